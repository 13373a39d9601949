import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { setTwoFactorRequiredHandler, setUnauthorizedHandler } from './api'
import { router } from './router'
import { useSession } from './stores/session'
import './style.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(router)
setUnauthorizedHandler(() => {
  const s = useSession(pinia)
  s.agent = null
  if (router.currentRoute.value.name !== 'login') void router.push({ name: 'login' })
})
// An admin required two-factor sign-in for the agent's role while they worked.
setTwoFactorRequiredHandler(() => {
  useSession(pinia).twoFactorRequired = true
  if (router.currentRoute.value.name !== 'enrol') void router.push({ name: 'enrol' })
})
app.mount('#app')

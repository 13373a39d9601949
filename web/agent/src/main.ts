import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { setUnauthorizedHandler } from './api'
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
app.mount('#app')

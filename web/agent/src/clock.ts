// A shared, slowly ticking "now" for countdowns and relative times.
import { ref } from 'vue'

export const now = ref(Date.now())
let timer: ReturnType<typeof setInterval> | null = null
let users = 0

/** useClock starts the clock (every 10 s) while at least one user holds it; call the result to release. */
export function holdClock(): () => void {
  users++
  now.value = Date.now()
  if (!timer) timer = setInterval(() => (now.value = Date.now()), 10_000)
  return () => {
    users--
    if (users <= 0 && timer) {
      clearInterval(timer)
      timer = null
      users = 0
    }
  }
}

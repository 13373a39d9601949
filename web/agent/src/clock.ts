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

// A second-by-second "now" for running call clocks, ticking only while held.
export const second = ref(Date.now())
let secondTimer: ReturnType<typeof setInterval> | null = null
let secondUsers = 0

/** holdSecondClock ticks `second` every second while held; call the result to release. */
export function holdSecondClock(): () => void {
  secondUsers++
  second.value = Date.now()
  if (!secondTimer) secondTimer = setInterval(() => (second.value = Date.now()), 1000)
  let held = true
  return () => {
    if (!held) return
    held = false
    secondUsers--
    if (secondUsers <= 0 && secondTimer) {
      clearInterval(secondTimer)
      secondTimer = null
      secondUsers = 0
    }
  }
}

// The connection test of a saved channel (POST /channels/{id}/test), shared by the channel forms.
import { ref } from 'vue'
import { api } from '../../api'
import { t } from '../../i18n'
import { toast } from '../../stores/toasts'
import type { ConnectionCheck } from '../../types'

/** useConnectionTest runs the test of the channel id() names; checks are its results. */
export function useConnectionTest(id: () => number | undefined) {
  const testing = ref(false)
  const checks = ref<ConnectionCheck[] | null>(null)
  async function test() {
    const c = id()
    if (!c) return
    testing.value = true
    checks.value = null
    try {
      checks.value = (await api.testChannel(c)).checks
    } catch (e) {
      toast(t('error.generic', { error: (e as Error).message }), { kind: 'error' })
    } finally {
      testing.value = false
    }
  }
  return { testing, checks, test }
}

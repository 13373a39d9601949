// Entry of the widget bundle, added to the page by /widget/loader.js with
// the channel and Loket's address as data attributes. A site that signs in
// its users may set, before the snippet:
//
//   window.loketChat = { user: { id, email, name, hmac }, language: 'nl' }
//
// where hmac is the hex HMAC-SHA256 of id under the channel's
// identity_secret, computed on the site's server.
import type { SiteUser } from './api'
import { pickLang } from './i18n'
import { css } from './style'
import { Widget } from './ui'

interface PageSettings {
  user?: SiteUser
  language?: string
}

function boot() {
  const script = document.currentScript as HTMLScriptElement | null
  const channel = Number(script?.getAttribute('data-loket-channel'))
  const base = script?.getAttribute('data-loket-base') || (script ? new URL(script.src).origin : '')
  if (!channel || !base) {
    console.warn('Loket chat: the script needs data-loket-channel; paste the snippet from the channel settings')
    return
  }
  const settings = ((window as unknown as { loketChat?: PageSettings }).loketChat ?? {}) as PageSettings
  const host = document.createElement('div')
  host.setAttribute('data-loket-chat', String(channel))
  const root = host.attachShadow({ mode: 'open' })
  const style = document.createElement('style')
  style.textContent = css
  root.append(style)
  let storage: Storage | null = null
  try {
    storage = window.localStorage
  } catch {
    storage = null
  }
  const lang = pickLang(settings.language, document.documentElement.lang, navigator.language)
  const widget = new Widget(root, { base, channel, lang, user: settings.user, storage })
  const mount = () => {
    document.body.append(host)
    widget.start().catch((err) => console.warn('Loket chat could not start:', err))
  }
  document.addEventListener('visibilitychange', () => widget.visibilityChanged())
  if (document.body) mount()
  else document.addEventListener('DOMContentLoaded', mount, { once: true })
}

boot()

import { describe, expect, it } from 'vitest'
import { passwordErrorKey, passwordProblem } from '../profile'
import { parseOrigins, webchatSettings, type WebchatForm } from '../webchat'

describe('profile and website chat forms', () => {
  it('checks a new password before sending it', () => {
    expect(passwordProblem('short', 'short')).toBe('profile.tooShort')
    expect(passwordProblem('long enough 1', 'long enough 2')).toBe('profile.mismatch')
    expect(passwordProblem('x'.repeat(257), 'x'.repeat(257))).toBe('profile.tooLong')
    expect(passwordProblem('eleven char', 'eleven char')).toBe('profile.tooShort')
    expect(passwordErrorKey('weak_password')).toBe('profile.weakPassword')
    expect(passwordErrorKey('bad_credentials')).toBe('')
    expect(passwordProblem('long enough 1', 'long enough 1')).toBe('')
  })
  it('saves website chat settings; the secret only when typed', () => {
    expect(parseOrigins('https://shop.example/\nhttp://localhost:8080, *\nshop.example')).toEqual({
      ok: ['https://shop.example', 'http://localhost:8080', '*'], bad: ['shop.example'],
    })
    const f: WebchatForm = {
      name: 'Chat', team_id: 0, enabled: true, color: '#0b5fff', title: ' Support ', avatar_url: '',
      greeting: { en: 'Hi!', nl: '', de: 'Hallo!' }, origins: 'https://shop.example', prechat: true, bot: true,
      bot_hours: 'outside_business_hours', identity_secret: '',
    }
    expect(webchatSettings(f)).toEqual({
      color: '#0b5fff', title: 'Support', greeting: { en: 'Hi!', de: 'Hallo!' }, avatar_url: '',
      allowed_origins: ['https://shop.example'], prechat: true, bot: { enabled: true, hours: 'outside_business_hours' },
    })
    expect(webchatSettings({ ...f, identity_secret: 'sixteen chars!!!' }).identity_secret).toBe('sixteen chars!!!')
    expect(webchatSettings({ ...f, callback_channel_id: 7 }).callback_channel_id).toBe(7)
  })
})

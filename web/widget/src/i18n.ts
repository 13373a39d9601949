// Texts of the widget in English, Dutch and German, picked by the page's
// <html lang> or else the browser's language.

export type Lang = 'en' | 'nl' | 'de'

const en = {
  open: 'Open chat',
  close: 'Close chat',
  title: 'Chat',
  greeting: 'Hello! How can we help?',
  placeholder: 'Write a message…',
  messageLabel: 'Your message',
  send: 'Send',
  attach: 'Attach a file',
  you: 'You',
  bot: 'Bot',
  team: 'Support',
  seen: 'Seen',
  typing: '{name} is typing…',
  someone: 'Someone',
  newMessages: 'New message from {name}: {text}',
  waitUnknown: 'We will be with you shortly.',
  waitSoon: 'A colleague will be with you in a moment.',
  waitMinutes: 'Expected wait: about {n} min.',
  unstaffed: 'No one is available right now. Leave a message and we will answer as soon as we can.',
  away: 'We are away. We are back {when}.',
  awayLeave: 'Leave a message: we will answer here{email}.',
  awayEmail: ' or by e-mail',
  prechatIntro: 'Before we start: how can we reach you?',
  name: 'Name',
  email: 'E-mail address (optional)',
  start: 'Start chat',
  emailLater: 'Your e-mail address, so we can answer you later',
  save: 'Save',
  saved: 'Thank you, we will answer by e-mail if you have left.',
  rateQuestion: 'How did we do?',
  rateStar: '{n} of 5',
  rateComment: 'Anything to add? (optional)',
  rateSend: 'Send rating',
  rateThanks: 'Thank you for your rating!',
  newConversation: 'Start a new conversation',
  solved: 'This conversation has been closed.',
  offline: 'Connection lost. Reconnecting…',
  failed: 'Could not send. Try again.',
  tooLarge: 'Files can be at most 10 MB.',
  download: 'Download {name}',
}

export type Key = keyof typeof en
type Dict = Record<Key, string>

const nl: Dict = {
  open: 'Chat openen',
  close: 'Chat sluiten',
  title: 'Chat',
  greeting: 'Hallo! Waarmee kunnen we helpen?',
  placeholder: 'Typ een bericht…',
  messageLabel: 'Uw bericht',
  send: 'Versturen',
  attach: 'Bestand toevoegen',
  you: 'U',
  bot: 'Bot',
  team: 'Klantenservice',
  seen: 'Gelezen',
  typing: '{name} typt…',
  someone: 'Iemand',
  newMessages: 'Nieuw bericht van {name}: {text}',
  waitUnknown: 'We helpen u zo.',
  waitSoon: 'Er is zo een collega voor u.',
  waitMinutes: 'Verwachte wachttijd: ongeveer {n} min.',
  unstaffed: 'Er is nu niemand beschikbaar. Laat een bericht achter, dan antwoorden we zo snel mogelijk.',
  away: 'We zijn er even niet. We zijn terug {when}.',
  awayLeave: 'Laat een bericht achter: we antwoorden hier{email}.',
  awayEmail: ' of per e-mail',
  prechatIntro: 'Voordat we beginnen: hoe kunnen we u bereiken?',
  name: 'Naam',
  email: 'E-mailadres (optioneel)',
  start: 'Chat starten',
  emailLater: 'Uw e-mailadres, zodat we u later kunnen antwoorden',
  save: 'Opslaan',
  saved: 'Dank u, we antwoorden per e-mail als u weg bent.',
  rateQuestion: 'Hoe hebben we het gedaan?',
  rateStar: '{n} van 5',
  rateComment: 'Wilt u nog iets kwijt? (optioneel)',
  rateSend: 'Beoordeling versturen',
  rateThanks: 'Bedankt voor uw beoordeling!',
  newConversation: 'Nieuw gesprek beginnen',
  solved: 'Dit gesprek is afgesloten.',
  offline: 'Verbinding verbroken. Opnieuw verbinden…',
  failed: 'Versturen mislukt. Probeer het opnieuw.',
  tooLarge: 'Bestanden mogen hoogstens 10 MB zijn.',
  download: '{name} downloaden',
}

const de: Dict = {
  open: 'Chat öffnen',
  close: 'Chat schließen',
  title: 'Chat',
  greeting: 'Hallo! Wie können wir helfen?',
  placeholder: 'Nachricht schreiben…',
  messageLabel: 'Ihre Nachricht',
  send: 'Senden',
  attach: 'Datei anhängen',
  you: 'Sie',
  bot: 'Bot',
  team: 'Kundenservice',
  seen: 'Gelesen',
  typing: '{name} schreibt…',
  someone: 'Jemand',
  newMessages: 'Neue Nachricht von {name}: {text}',
  waitUnknown: 'Wir sind gleich für Sie da.',
  waitSoon: 'Gleich ist jemand für Sie da.',
  waitMinutes: 'Voraussichtliche Wartezeit: etwa {n} Min.',
  unstaffed: 'Gerade ist niemand erreichbar. Hinterlassen Sie eine Nachricht, wir antworten so bald wie möglich.',
  away: 'Wir sind gerade nicht da. Wir sind zurück {when}.',
  awayLeave: 'Hinterlassen Sie eine Nachricht: Wir antworten hier{email}.',
  awayEmail: ' oder per E-Mail',
  prechatIntro: 'Bevor wir beginnen: Wie erreichen wir Sie?',
  name: 'Name',
  email: 'E-Mail-Adresse (optional)',
  start: 'Chat beginnen',
  emailLater: 'Ihre E-Mail-Adresse, damit wir Ihnen später antworten können',
  save: 'Speichern',
  saved: 'Danke, wir antworten per E-Mail, falls Sie nicht mehr da sind.',
  rateQuestion: 'Wie zufrieden waren Sie?',
  rateStar: '{n} von 5',
  rateComment: 'Möchten Sie noch etwas sagen? (optional)',
  rateSend: 'Bewertung senden',
  rateThanks: 'Danke für Ihre Bewertung!',
  newConversation: 'Neues Gespräch beginnen',
  solved: 'Dieses Gespräch wurde abgeschlossen.',
  offline: 'Verbindung unterbrochen. Neuer Versuch…',
  failed: 'Senden fehlgeschlagen. Bitte erneut versuchen.',
  tooLarge: 'Dateien dürfen höchstens 10 MB groß sein.',
  download: '{name} herunterladen',
}

const dicts: Record<Lang, Dict> = { en, nl, de }

/** pickLang returns the first supported language among the candidates. */
export function pickLang(...candidates: (string | null | undefined)[]): Lang {
  for (const c of candidates) {
    const l = (c ?? '').trim().toLowerCase().slice(0, 2)
    if (l === 'en' || l === 'nl' || l === 'de') return l
  }
  return 'en'
}

/** translator returns t(key, vars) for a language. */
export function translator(lang: Lang) {
  const d = dicts[lang]
  return (key: Key, vars: Record<string, string | number> = {}) =>
    d[key].replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}

export type T = ReturnType<typeof translator>

// The widget's styles, inside its shadow root: the host page's CSS does not
// reach in and ours does not leak out. --lk-color is the channel's colour,
// --lk-on its readable text colour.
export const css = `
:host { all: initial; }
.lk { --lk-color: #0b5fff; --lk-on: #fff; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; }
.lk *, .lk *::before, .lk *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
button, input, textarea, select { font: inherit; color: inherit; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.launcher { position: fixed; right: 20px; bottom: 20px; width: 60px; height: 60px; border-radius: 50%; border: 0;
  background: var(--lk-color); color: var(--lk-on); box-shadow: 0 4px 16px rgba(0,0,0,.25); display: grid; place-items: center; z-index: 2147483000; }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.badge { position: absolute; top: -2px; right: -2px; min-width: 22px; height: 22px; border-radius: 11px; background: #d4351c;
  color: #fff; font-size: 13px; font-weight: 700; display: grid; place-items: center; padding: 0 6px; }
.panel { position: fixed; right: 20px; bottom: 92px; width: 370px; height: min(600px, calc(100vh - 120px)); background: #fff;
  border-radius: 14px; box-shadow: 0 8px 32px rgba(0,0,0,.25); display: flex; flex-direction: column; overflow: hidden; z-index: 2147483001; }
.panel[hidden] { display: none; }
header { background: var(--lk-color); color: var(--lk-on); padding: 12px 14px; display: flex; gap: 10px; align-items: center; }
header img { width: 36px; height: 36px; border-radius: 50%; object-fit: cover; background: rgba(255,255,255,.3); }
header .head { flex: 1; min-width: 0; }
header h2 { margin: 0; font-size: 16px; font-weight: 700; }
header p { margin: 0; font-size: 13px; opacity: .9; }
header button { background: transparent; border: 0; color: inherit; font-size: 26px; line-height: 1; width: 40px; height: 40px; border-radius: 8px; }
.banner { padding: 8px 14px; background: #fff8e1; border-bottom: 1px solid #f0e2b6; font-size: 13px; }
.banner form { display: flex; gap: 6px; margin-top: 6px; }
.banner input { flex: 1; min-width: 0; padding: 6px 8px; border: 1px solid #8a8f98; border-radius: 6px; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f5f6f8; }
.greet { align-self: flex-start; background: #fff; border-radius: 12px; padding: 8px 12px; max-width: 85%; white-space: pre-wrap; }
.sep { align-self: center; font-size: 12px; color: #5b616b; }
.msg { max-width: 85%; display: flex; flex-direction: column; gap: 2px; }
.msg.in { align-self: flex-end; align-items: flex-end; }
.msg.out { align-self: flex-start; }
.msg .who { font-size: 12px; color: #5b616b; display: flex; gap: 6px; align-items: center; }
.msg .tag { background: #e4e7ec; color: #1b1f24; border-radius: 4px; padding: 0 5px; font-size: 11px; font-weight: 700; text-transform: uppercase; }
.bubble { border-radius: 12px; padding: 8px 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.in .bubble { background: var(--lk-color); color: var(--lk-on); }
.msg.out .bubble { background: #fff; }
.msg.bot .bubble { background: #eef1ff; border: 1px dashed #8c9bd6; }
.bubble.html { white-space: normal; }
.bubble.html > :first-child { margin-top: 0; }
.bubble.html > :last-child { margin-bottom: 0; }
.bubble.html p, .bubble.html ul, .bubble.html ol { margin: 0 0 6px; padding-left: 0; }
.bubble.html ul, .bubble.html ol { padding-left: 18px; }
.bubble.html a { color: #1d3fb8; text-decoration: underline; }
.msg img { max-width: 220px; max-height: 220px; border-radius: 8px; display: block; }
.file { background: #fff; border: 1px solid #c3c8d0; border-radius: 8px; padding: 6px 10px; text-align: left; }
.seen { font-size: 11px; color: #5b616b; }
.quick { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }
.quick button { border: 1px solid var(--lk-color); color: #1b1f24; background: #fff; border-radius: 16px; padding: 5px 12px; }
.typing { padding: 2px 14px; font-size: 12px; color: #5b616b; min-height: 18px; }
form.composer { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #e4e7ec; align-items: flex-end; }
form.composer textarea { flex: 1; resize: none; border: 1px solid #8a8f98; border-radius: 8px; padding: 8px; max-height: 120px; min-height: 40px; }
.icon { width: 40px; height: 40px; border-radius: 8px; border: 1px solid #c3c8d0; background: #fff; display: grid; place-items: center; }
.icon svg { width: 20px; height: 20px; fill: #1b1f24; }
.primary { background: var(--lk-color); color: var(--lk-on); border: 0; border-radius: 8px; padding: 8px 14px; font-weight: 600; }
form.prechat, form.rating, .closed { padding: 12px 14px; border-top: 1px solid #e4e7ec; display: flex; flex-direction: column; gap: 8px; }
form.prechat label, form.rating label { font-size: 13px; display: flex; flex-direction: column; gap: 3px; }
form.prechat input, form.rating textarea { border: 1px solid #8a8f98; border-radius: 6px; padding: 7px 8px; }
.stars { display: flex; gap: 4px; }
.stars button { border: 0; background: transparent; font-size: 28px; line-height: 1; color: #b5bac2; padding: 2px; }
.stars button[aria-pressed="true"], .stars button.lit { color: #f5a623; }
form.callback { padding: 12px 14px; border-top: 1px solid #e4e7ec; display: flex; flex-direction: column; gap: 8px; overflow-y: auto; max-height: 70%; }
form.callback .title { margin: 0; font-weight: 600; }
form.callback label { font-size: 13px; display: flex; flex-direction: column; gap: 3px; }
form.callback label.choice { flex-direction: row; align-items: center; gap: 8px; font-size: 14px; min-height: 32px; }
form.callback input:not([type=radio]), form.callback select, form.callback textarea { border: 1px solid #8a8f98; border-radius: 6px; padding: 7px 8px; background: #fff; font: inherit; min-height: 36px; }
form.callback input[aria-invalid="true"] { border-color: #b3261e; }
form.callback fieldset { border: 0; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 2px; }
form.callback legend { font-size: 13px; padding: 0; margin-bottom: 2px; }
form.callback .when { display: flex; gap: 8px; flex-wrap: wrap; }
form.callback .when > span { flex: 1 1 140px; display: flex; flex-direction: column; gap: 3px; font-size: 13px; }
form.callback .error { margin: 0; }
form.callback .buttons { display: flex; gap: 8px; flex-wrap: wrap; }
.secondary { background: #fff; border: 1px solid #8a8f98; border-radius: 8px; padding: 8px 14px; }
.actions { padding: 6px 10px 0; border-top: 1px solid #e4e7ec; }
.actions button { display: inline-flex; align-items: center; gap: 6px; background: transparent; border: 0; padding: 6px 4px; color: #1d3fb8; text-decoration: underline; }
.actions + form.composer { border-top: 0; }
.actions svg { width: 16px; height: 16px; fill: currentColor; }
.note { align-self: center; max-width: 90%; margin: 0; background: #e8f5e9; border: 1px solid #b7dfb9; border-radius: 10px; padding: 6px 10px; font-size: 13px; text-align: center; }
.error { color: #b3261e; font-size: 13px; margin: 0 14px 6px; }
.error:empty { display: none; }
@media (max-width: 480px) {
  .panel { right: 0; bottom: 0; width: 100vw; height: 100%; max-height: none; border-radius: 0; }
}
@media (prefers-reduced-motion: no-preference) { .panel { transition: opacity .15s; } }
`

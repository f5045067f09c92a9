// Starts the NHS.UK frontend components. Kept in a file, not inline, so the Content Security
// Policy can forbid inline scripts.
import { initAll } from '/assets/nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()

// A "print" button (the invitation letter): printing is the browser's; the page's print styles
// leave out the navigation.
document.querySelectorAll('[data-print]').forEach((b) => b.addEventListener('click', () => window.print()))

// A session's register is kept on the phone until the server has it: a lead in a church hall
// with one bar of signal loses nothing. Without JavaScript the form posts as usual.
const register = document.querySelector('form[data-register]')
if (register) {
  const key = 'together-register:' + register.dataset.register
  const status = document.getElementById('register-status')
  const say = (text) => { status.textContent = text }
  const send = async (pairs) => {
    try {
      const res = await fetch(register.action, {
        method: 'POST',
        body: new URLSearchParams(pairs),
        credentials: 'same-origin'
      })
      if (res.ok && new URL(res.url).searchParams.get('saved') === '1') {
        localStorage.removeItem(key)
        say('Register saved.')
        return
      }
      if (res.status >= 400 && res.status < 500) {
        // The server read it and said what to correct: show its answer as a normal post would.
        localStorage.removeItem(key)
        register.submit()
        return
      }
    } catch (e) {
      // Offline, or the connection dropped: keep it and try again.
    }
    say('Kept on this phone. It will be sent when you are back online.')
  }
  const pending = () => {
    const kept = localStorage.getItem(key)
    if (kept) send(JSON.parse(kept))
  }
  register.addEventListener('submit', (event) => {
    event.preventDefault()
    const pairs = [...new FormData(register)].map(([k, v]) => [k, String(v)])
    localStorage.setItem(key, JSON.stringify(pairs))
    say('Sending the register…')
    send(pairs)
  })
  window.addEventListener('online', pending)
  pending()
}

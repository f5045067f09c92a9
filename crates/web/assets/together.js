// Starts the NHS.UK frontend components. Kept in a file, not inline, so the Content Security
// Policy can forbid inline scripts.
import { initAll } from '/assets/nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()

// A "print" button (the invitation letter): printing is the browser's; the page's print styles
// leave out the navigation.
document.querySelectorAll('[data-print]').forEach((b) => b.addEventListener('click', () => window.print()))

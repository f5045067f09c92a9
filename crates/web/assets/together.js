// Starts the NHS.UK frontend components. Kept in a file, not inline, so the Content Security
// Policy can forbid inline scripts.
import { initAll } from '/assets/nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()

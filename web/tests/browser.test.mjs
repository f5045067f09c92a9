// Browser tests: the demo in Debian's Chromium, driven by Playwright, checked by axe-core.
// Every role signs in through the real form, sees its own navigation, and every page it can
// reach has no serious or critical accessibility violation. Also on a 375-pixel phone screen.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { chromium } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const binary = process.env.TOGETHER_BIN || join(root, 'target', 'debug', 'together')
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

let demo, dataDir, base, browser, creds, answerLink
let logs = ''

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'together-browser-'))
  demo = spawn(binary, ['demo', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TOGETHER_LOG: 'debug,sqlx=warn,hyper=info,h2=info,tower=info' } })
  demo.stderr.on('data', (chunk) => { logs += chunk.toString() })
  base = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: demo.stdout })
    lines.on('line', (line) => {
      const m = line.match(/^Together demo is running at (\S+)/)
      if (m) resolve(m[1])
      const a = line.match(/on their own phone \(this link works once\): (\S+)/)
      if (a) answerLink = a[1]
    })
    demo.on('exit', (code) => reject(new Error(`the demo exited with ${code}`)))
  })
  creds = readFileSync(join(dataDir, 'demo-credentials.txt'), 'utf8').trim().split('\n').map((l) => {
    const [role, email, password] = l.split(' ')
    return { role, email, password }
  })
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
})

after(async () => {
  await browser?.close()
  demo?.kill()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

async function axe (page, what) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `accessibility of ${what}`)
  return result.passes.length
}

async function signIn (page, who) {
  await page.goto(base + '/sign-in')
  await page.getByLabel('Email address').fill(who.email)
  await page.getByLabel('Password').fill(who.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(base + '/')
}

// Opens the most recent session's register of an offer, from the offers page; its address.
async function latestRegister (page, offer) {
  await page.goto(base + '/offers')
  await page.getByRole('link', { name: offer }).click()
  await page.getByRole('table', { name: 'Recent sessions and their registers' }).getByRole('link').first().click()
  return page.url()
}

async function navLinks (page) {
  return page.locator('.nhsuk-header__navigation-list a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
}

const expectedNav = {
  pcn_admin: ['/', '/insight', '/people', '/champions', '/offers', '/connections', '/impact', '/listings', '/equipment', '/partners', '/safeguarding', '/safeguarding/raise', '/pcn', '/admin', '/admin/audit', '/account'],
  clinician: ['/', '/insight', '/people', '/offers', '/connections', '/impact', '/safeguarding', '/safeguarding/raise', '/pcn', '/account'],
  link_worker: ['/', '/people', '/offers', '/connections', '/impact', '/safeguarding/raise', '/pcn', '/account'],
  analyst: ['/', '/insight', '/offers', '/impact', '/safeguarding/raise', '/pcn', '/account'],
  champion: ['/', '/champions/me', '/champions/me/hours', '/offers', '/sessions/rota', '/connections', '/safeguarding/raise', '/pcn', '/account'],
  partner: ['/', '/offers', '/partners/mine', '/partners/mine/listings', '/safeguarding/raise', '/pcn', '/account']
}

test('public pages are accessible', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  for (const path of ['/', '/sign-in', '/forgot-password', '/privacy', '/join', '/directory', '/directory?q=zzzz', '/directory?postcode=HV1+1AA&within=5', '/directory?postcode=ZZ1+1ZZ', '/directory/booklet', '/pledge', '/pledges/wall', '/no-such-page']) {
    await page.goto(base + path)
    await axe(page, path)
  }
  // A pledge made on the spot, which joins the count on the wall.
  await page.goto(base + '/pledges/wall')
  const before = Number((await page.locator('.nhsuk-lede-text').innerText()).match(/\d+/)[0])
  assert.match(await page.locator('main').innerText(), /Walk to the shops instead of taking the bus/)
  await page.getByRole('link', { name: 'Make your own pledge' }).click()
  await page.getByLabel('I will…').fill('Take the stairs at work')
  await page.getByLabel('Moving more').check()
  await page.waitForTimeout(3200)
  await page.getByRole('button', { name: 'Make my pledge' }).click()
  await page.getByRole('heading', { name: 'Thank you for your pledge' }).waitFor()
  await axe(page, 'thanks for a pledge')
  await page.getByRole('link', { name: 'See what others have pledged' }).click()
  assert.match(await page.locator('.nhsuk-lede-text').innerText(), new RegExp(`${before + 1} pledges`))
  // The directory: search by words, then a service's own page with its next sessions.
  await page.goto(base + '/directory')
  await page.getByLabel('What are you looking for?').fill('walking')
  await page.getByRole('button', { name: 'Search' }).click()
  await page.getByRole('link', { name: 'Harbourview walking group' }).click()
  assert.match(await page.locator('h1').innerText(), /Harbourview walking group/)
  await page.getByRole('heading', { name: 'Next sessions' }).waitFor()
  await axe(page, 'a directory listing')
  await page.getByRole('link', { name: /Print a poster/ }).click()
  await page.getByRole('img', { name: /QR code for/ }).waitFor()
  await axe(page, 'a poster')
  // Near a postcode: nearest first, each saying how far.
  await page.goto(base + '/directory')
  await page.getByLabel('Near a postcode (optional)').fill('HV1 1AA')
  await page.getByLabel('How far').selectOption('5')
  await page.getByRole('button', { name: 'Search' }).click()
  assert.match(await page.locator('main').innerText(), /miles away/)
  await context.close()
})

test('every demo role signs in, sees its own navigation, every page is accessible, and signs out', async () => {
  assert.equal(creds.length, 6)
  for (const who of creds) {
    const context = await browser.newContext()
    const page = await context.newPage()
    const cspErrors = []
    page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/.test(m.text()) && !/fonts|font/.test(m.text())) cspErrors.push(m.text()) })
    await signIn(page, who)
    const nav = await navLinks(page)
    assert.deepEqual(nav, expectedNav[who.role], `navigation for ${who.role}`)
    for (const href of nav) {
      await page.goto(base + href)
      assert.notEqual(await page.title(), '', href)
      await axe(page, `${href} as ${who.role}`)
    }
    if (who.role === 'pcn_admin') {
      // The coordinator's home is their work queue: what the demo holds, each a link to it.
      await page.goto(base + '/')
      const queue = page.getByRole('list', { name: 'What needs you, most urgent first' })
      assert.ok(await queue.getByRole('link').count() >= 4, "the coordinator's home lists the demo's work")
      await queue.getByRole('link').first().click()
      assert.notEqual(await page.title(), '', 'the most urgent piece of work opens')
      await axe(page, "the most urgent piece of work from the coordinator's home")
    }
    if (nav.includes('/people')) {
      await page.goto(base + '/people?q=an')
      await axe(page, `people search as ${who.role}`)
      await page.goto(base + '/people/new')
      await axe(page, `add a person as ${who.role}`)
    }
    if (who.role === 'pcn_admin') {
      for (const path of ['/pledges', '/impact/costs', '/impact/past-connections', '/admin/users', '/admin/outbox', '/champions/compliance', '/champions/roles', '/champions/invite', '/champions/claims', '/champions/workshops', '/champions/import', '/people/import', '/sessions', '/sessions?weeks=8&gaps=1']) {
        await page.goto(base + path)
        await axe(page, path)
      }
      // An offer's page (with every form the coordinator uses) and one of its sessions.
      await page.goto(base + '/offers')
      await page.getByRole('link', { name: 'Harbourview walking group' }).click()
      await axe(page, 'an offer')
      await page.getByRole('table', { name: 'Sessions coming up' }).getByRole('link').first().click()
      await axe(page, 'a session')
      // The directory's listings: two are overdue for checking, one has a change waiting.
      await page.goto(base + '/listings')
      assert.match(await page.getByRole('table', { name: 'Listings, by name' }).innerText(), /Overdue for checking/)
      await page.getByRole('link', { name: 'Wednesday lunch club and warm space' }).click()
      assert.match(await page.getByRole('table', { name: 'What would change' }).innerText(), /£3\.50/)
      await axe(page, 'a listing with a change waiting')
      // The equipment: an item's page, recording a return, and the person with the loan.
      await page.goto(base + '/equipment')
      await page.getByRole('table', { name: 'Every item, by name' }).getByRole('link').first().click()
      await axe(page, 'an item of equipment')
      await page.goto(base + '/equipment')
      const onLoan = page.getByRole('table', { name: 'Loans not yet back' })
      assert.match(await onLoan.innerText(), /Overdue/, 'the demo has a monitor overdue')
      await onLoan.getByRole('link', { name: /It came back/ }).first().click()
      await axe(page, 'recording a return')
      await page.getByLabel(/Blood pressure readings/).fill('138/86 72\n13/86')
      await page.getByRole('button', { name: 'Save: it came back' }).click()
      assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Line 2:/)
      await axe(page, 'a return with a wrong reading')
      await page.goto(base + '/equipment')
      await page.getByRole('table', { name: 'Loans not yet back' }).getByRole('link').nth(1).click()
      await page.locator('#equipment').waitFor()
      await axe(page, 'a person with a monitor on loan')
      // A letter for the GP about a referral: found through the connections it led to.
      await page.goto(base + '/connections?show=all')
      const connectionPages = await page.locator('table a[href^="/connections/"]').evaluateAll((as) => as.map((a) => a.href))
      let letters = 0
      for (const href of connectionPages) {
        await page.goto(href)
        const person = page.locator('dd a[href^="/people/"]')
        if (await person.count() === 0) continue
        await person.first().click()
        letters = await page.getByRole('link', { name: /Letter for the GP/ }).count()
        if (letters > 0) break
      }
      assert.ok(letters > 0, 'the demo has a referral to write to the GP about')
      await page.getByRole('link', { name: /Letter for the GP/ }).first().click()
      await page.getByText(/Thank you for referring/).waitFor()
      await axe(page, 'a letter for the GP')
      // A schedule that never happens is explained where it was typed.
      await page.goto(base + '/offers')
      await page.getByRole('link', { name: 'Harbourview walking group' }).click()
      await page.getByLabel('Monthly', { exact: true }).check()
      await page.getByRole('group', { name: 'On which days' }).getByLabel('Monday').check()
      await page.getByLabel('For a monthly schedule: which week').selectOption('-1')
      await page.getByLabel('From', { exact: true }).fill('2027-02-01')
      await page.getByLabel('Until (optional)').fill('2027-02-21')
      await page.getByLabel('Starts at').first().fill('10:00')
      await page.getByLabel('Ends at').first().fill('11:00')
      await page.getByRole('button', { name: 'Add the schedule' }).click()
      assert.match(await page.locator('.nhsuk-error-summary').innerText(), /never falls on a day/)
      await axe(page, 'a schedule that never happens')
    }
    if (who.role === 'partner') {
      await page.goto(base + '/partners/mine/listings')
      await page.getByRole('link', { name: 'Wednesday lunch club and warm space' }).click()
      await axe(page, 'a partner\'s own listing, its change waiting')
    }
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(base + '/sign-in')
    await page.goto(base + '/account')
    assert.equal(new URL(page.url()).pathname, '/sign-in', `${who.role} is signed out`)
    assert.deepEqual(cspErrors, [], `no script or style was blocked for ${who.role}`)
    await context.close()
  }
})

test('a link worker adds a person and opens their record; the form reports mistakes accessibly', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await signIn(page, creds.find((c) => c.role === 'link_worker'))
  await page.goto(base + '/people/new')
  await page.getByRole('button', { name: 'Add person' }).click()
  await page.locator('.nhsuk-error-summary').waitFor()
  await axe(page, 'the person form with errors')
  await page.getByLabel('First name').fill('Florence')
  await page.getByLabel('Last name').fill('Ashworth')
  await page.getByLabel('Date of birth').fill('27/03/1933')
  await page.getByLabel('Phone call').check()
  await page.getByLabel('Phone number (optional)').fill('07700 900982')
  await page.getByRole('button', { name: 'Add person' }).click()
  await page.getByRole('heading', { name: 'Florence Ashworth' }).waitFor()
  await axe(page, 'a person record')
  await page.getByRole('button', { name: 'Record consent' }).click()
  await page.getByText('Current').first().waitFor()
  // What matters to her, kept on the record.
  await page.getByRole('link', { name: /Change their details/ }).click()
  await axe(page, 'changing a person\'s details')
  await page.getByLabel('What matters to them (optional)').fill('Singing again, and company on Tuesdays')
  await page.getByRole('button', { name: 'Save their details' }).click()
  await page.getByText('Singing again, and company on Tuesdays').waitFor()
  // A buddy is chosen by name; choosing no one is explained where it happened.
  await page.getByRole('link', { name: 'Introduce them to a buddy' }).click()
  await page.getByLabel('Find them by name').fill('an')
  await page.getByRole('button', { name: 'Search' }).click()
  await page.getByRole('group', { name: 'Who will be their buddy?' }).waitFor()
  await axe(page, 'choosing a buddy')
  await page.getByRole('button', { name: 'Connect them' }).click()
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Choose who will be their buddy/)
  await axe(page, 'choosing a buddy, with a mistake')
  const record = page.url().replace(/\/buddy.*$/, '')
  await context.close()
  // Only the coordinator merges two records of one person.
  const coordinator = await browser.newContext()
  const admin = await coordinator.newPage()
  await signIn(admin, creds.find((c) => c.role === 'pcn_admin'))
  await admin.goto(record + '/merge?q=ashworth')
  await admin.getByRole('heading', { name: /Merge another record into Florence Ashworth/ }).waitFor()
  await axe(admin, 'merging two records')
  await coordinator.close()
})

test('the whole journey: a GP builds a cohort and invites it, a yes becomes a connection that a register moves on, and a follow-up shows the wellbeing change', async () => {
  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  await signIn(page, creds.find((c) => c.role === 'clinician'))
  await page.goto(base + '/insight')
  await page.getByRole('link', { name: 'Cohorts' }).first().click()
  await axe(page, 'the cohort builder')
  await page.getByLabel('Youngest age (optional)').fill('sixty')
  await page.getByRole('button', { name: 'Save cohort' }).click()
  await page.locator('.nhsuk-error-summary').waitFor()
  await axe(page, 'the cohort builder with errors')
  await page.getByLabel('Name', { exact: true }).fill('Over-60s who see us a lot')
  await page.getByLabel('Youngest age (optional)').fill('60')
  await page.getByLabel('At least this many appointments in the window (optional)').fill('4')
  await page.getByRole('button', { name: 'Save cohort' }).click()
  await page.getByRole('heading', { name: 'Over-60s who see us a lot' }).waitFor()
  await axe(page, 'a cohort')
  const size = Number(await page.locator('#size').innerText())
  assert.ok(size > 0, 'the demo cohort finds people')
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download the invitation list' }).click()
  ])
  const text = await (await download.createReadStream()).toArray()
  const lines = Buffer.concat(text).toString('utf8').trim().split('\n')
  assert.equal(lines[0], 'given_name,family_name,date_of_birth,nhs_number,mobile,suggested_text_message')
  assert.equal(lines.length - 1, size, 'one line per person in the cohort at the practice')
  const cli = spawnSync(binary, ['analyse', 'cohort', 'Over-60s who see us a lot', '--data-dir', dataDir, '--unsuppressed', '--format', 'json'], { encoding: 'utf8' })
  assert.equal(cli.status, 0, cli.stderr)
  assert.equal(JSON.parse(cli.stdout).size.value, size, 'the command line finds the same cohort')
  // Invite them from here, and record what the first one said.
  await page.getByLabel('Invite them to').selectOption({ label: 'Singing for wellbeing' })
  await page.getByLabel('Phone call').check()
  await page.getByRole('button', { name: 'Invite them', exact: true }).click()
  await page.getByRole('table', { name: 'Invitations, by day and name' }).waitFor()
  await axe(page, 'who was invited')
  // A register shows first name and initial, and cannot tell two people with the same apart:
  // the coordinator's register of the group says who it has already, and the answer is
  // recorded for someone whose first name and initial are not on it.
  const labelOf = (name) => `${name.slice(0, name.lastIndexOf(' '))} ${name[name.lastIndexOf(' ') + 1]}.`
  const coordinator = await browser.newContext()
  const register = await coordinator.newPage()
  await signIn(register, creds.find((c) => c.role === 'pcn_admin'))
  const registerUrl = await latestRegister(register, 'Singing for wellbeing')
  const onRegister = new Set((await register.locator('.nhsuk-checkboxes__label').allInnerTexts()).map((t) => t.trim()))
  const invited = await page.getByRole('table', { name: 'Invitations, by day and name' }).locator('tbody tr td:first-child').allInnerTexts()
  const names = invited.map((t) => t.replace(/^Name\s*/, '').trim())
  const byFamily = names.map((n) => `${n.slice(n.lastIndexOf(' ') + 1)} ${n.slice(0, n.lastIndexOf(' '))}`.toLowerCase())
  assert.deepEqual(byFamily, [...byFamily].sort(), 'invitations sent together are listed by family name')
  const name = names.find((n) => !onRegister.has(labelOf(n)))
  assert.ok(name, 'someone invited is not yet on the register')
  await page.getByRole('link', { name: `Record their answer (${name})` }).first().click()
  await page.getByRole('button', { name: 'Save their answer' }).click()
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Choose what they said/)
  await axe(page, 'recording an answer, with a mistake')
  await page.getByLabel('Yes, they would like to join').check()
  await page.getByLabel('Letter', { exact: true }).check()
  await page.getByLabel('For a champion to know their first name and how to reach them').check()
  await page.getByLabel('On the phone or in person').check()
  await page.getByRole('button', { name: 'Save their answer' }).click()
  await page.getByRole('table', { name: 'Invitations, by day and name' }).waitFor()
  assert.match(await page.locator('.nhsuk-summary-list').innerText(), /Yes\s+1/)
  // The whole journey: the yes is a person with a suggested connection; they come to today's
  // session and the register moves the connection on by itself; they say how they are at the
  // start and at a follow-up, and the change shows as a chart.
  const joined = page.getByRole('table', { name: 'Invitations, by day and name' }).locator('a[href^="/people/"]').first()
  assert.equal((await joined.innerText()).trim(), name)
  await register.goto(registerUrl)
  await register.getByLabel(labelOf(name), { exact: true }).check()
  await register.getByRole('button', { name: 'Save the register' }).click()
  await register.getByText('Register saved.').waitFor()
  await coordinator.close()
  await joined.click()
  // Someone in the cohort may have gone to the group before (an ended connection): the one the
  // register has just moved on is theirs now.
  await page.getByRole('table', { name: 'What they are connected to' }).getByRole('row').filter({ hasText: 'Went along' })
    .getByRole('link', { name: 'Singing for wellbeing' }).click()
  assert.match(await page.locator('.nhsuk-summary-list').innerText(), /An invitation from the practice/)
  assert.match(await page.locator('.nhsuk-summary-list').innerText(), /Went along/, 'the register moved it on')
  const answer = async (occasion, scores, lonely) => {
    await page.locator('select[name="occasion"]').selectOption(occasion)
    for (const [question, score] of Object.entries(scores)) await page.locator(`select[name="${question}"]`).selectOption(String(score))
    await page.locator('select[name="lonely"]').selectOption(lonely)
    await page.getByRole('button', { name: 'Save their answers' }).click()
    await page.getByRole('table', { name: 'Every time they said how they are' }).waitFor()
  }
  await answer('baseline', { life_satisfaction: 4, worthwhile: 5, happy: 4, anxious: 7 }, 'often_or_always')
  await answer('follow_up', { life_satisfaction: 7, worthwhile: 7, happy: 6, anxious: 4 }, 'some_of_the_time')
  await page.locator('#wellbeing-chart-heading').waitFor()
  await page.getByLabel('How they are getting on').fill('Loves the group; has made two friends')
  await page.getByRole('button', { name: 'Record the follow-up' }).click()
  await page.getByText(/Loves the group; has made two friends/).waitFor()
  await axe(page, 'a connection from an invitation, with its wellbeing chart')
  await context.close()
})

test('the shareable HTML report stands alone and is accessible', async () => {
  const run = spawnSync(binary, ['analyse', 'profile', '--data-dir', dataDir, '--from', '2025-01-01', '--to', '2025-12-31', '--format', 'html'], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.ok(!/<script|<link|src="http/.test(run.stdout), 'no scripts and no outside files')
  const file = join(dataDir, 'report.html')
  writeFileSync(file, run.stdout)
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto('file://' + file)
  assert.equal(await page.locator('svg[role="img"]').count(), 4, 'the charts are there')
  assert.ok((await page.locator('table').count()) >= 4, 'each chart has its table')
  await axe(page, 'the HTML report')
  await context.close()
})

test('did it help? the impact page recovers the planted effect beside the naive figure, and its report stands alone', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await signIn(page, creds.find((c) => c.role === 'analyst'))
  await page.goto(base + '/impact')
  const answer = page.locator('.nhsuk-card', { has: page.getByRole('heading', { name: 'GP appointments', exact: true }) })
  const words = await answer.innerText()
  // The planted fall is a fifth: the honest share's interval holds it; the naive count claims more.
  const m = words.match(/That is a change of (−?[\d.]+)% on what they would otherwise have had \(95% interval: (−?[\d.]+)% to (−?[\d.]+)%\)/)
  assert.ok(m, words)
  const num = (x) => Number(x.replace('−', '-'))
  assert.ok(num(m[2]) <= -20 && -20 <= num(m[3]), `the planted fall of 20% is within ${m[2]}% to ${m[3]}%`)
  assert.match(words, /Counting only the connected people, before and after, would say [\d.]+ fewer a year/)
  assert.match(await page.locator('main').innerText(), /regression to the mean/)
  assert.ok(await page.locator('svg[role="img"]').count() >= 3, 'the figures, month by month, hours gifted and wellbeing are charts')
  await axe(page, 'the impact page')
  await context.close()

  const out = join(dataDir, 'impact.html')
  const run = spawnSync(binary, ['report', 'impact', '--data-dir', dataDir, '--out', out], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const html = readFileSync(out, 'utf8')
  assert.ok(!/<script|<link|src="http/.test(html), 'no scripts and no outside files')
  const file = await browser.newContext()
  const report = await file.newPage()
  await report.goto('file://' + out)
  assert.match(await report.locator('h1').innerText(), /Did it help\?/)
  await axe(report, 'the impact report')
  await report.emulateMedia({ media: 'print' })
  const pdf = await report.pdf({ format: 'A4' })
  assert.ok(pdf.length > 10000, 'it prints to a PDF')
  await file.close()
})

test('on a 375-pixel phone the pages fit and the menu works', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true })
  const page = await context.newPage()
  await page.goto(base + '/sign-in')
  await axe(page, 'sign-in on a phone')
  await signIn(page, creds.find((c) => c.role === 'pcn_admin'))
  for (const path of ['/', '/insight', '/people?q=an', '/champions', '/champions/compliance', '/connections', '/admin', '/admin/users', '/account']) {
    await page.goto(base + path)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the phone`)
    await axe(page, `${path} on a phone`)
  }
  await context.close()
})

test('on a phone a champion sees the places they are clear for and takes one', async () => {
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true })
  const page = await phone.newPage()
  await signIn(page, creds.find((c) => c.role === 'champion'))
  await page.goto(base + '/sessions/rota')
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 0, `my sessions is ${overflow}px wider than the phone`)
  await axe(page, 'my sessions on a phone')
  assert.match(await page.locator('#loans + ul').innerText(), /due back/, 'the monitors Dave is looking after')
  const expected = page.locator('h2:has-text("Where you are expected") + ul > li')
  const before = await expected.count()
  // The form posts and comes back to the same address, so wait for the page to change rather
  // than for the address (which matches at once).
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: /I'll help/ }).first().click()
  ])
  await page.waitForLoadState('load')
  for (let i = 0; i < 50 && await expected.count() !== before + 1; i++) await page.waitForTimeout(100)
  assert.equal(await expected.count(), before + 1, 'the place taken is now theirs')
  await axe(page, 'my sessions after taking a place')
  await phone.close()
})

test('on a phone a champion records a connection, and the link worker sees it to follow up', async () => {
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true })
  const page = await phone.newPage()
  await signIn(page, creds.find((c) => c.role === 'champion'))
  await page.goto(base + '/connections')
  await page.getByRole('button', { name: 'Record a connection' }).click()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 0, `the connection form is ${overflow}px wider than the phone`)
  await axe(page, 'recording a connection on a phone')
  await page.getByLabel('Their first name', { exact: true }).fill('Gwen')
  await page.getByLabel('Their last name', { exact: true }).fill('Tasker')
  await page.getByLabel('Date of birth').fill('2/5/1941')
  await page.getByLabel('Their GP practice').selectOption({ index: 1 })
  await page.getByLabel('Text message').check()
  await page.getByLabel('Phone number (optional)').fill('07700 900555')
  await page.getByLabel('Connected to').selectOption({ label: 'Harbourview walking group (our offer)' })
  await page.getByLabel('How you met').selectOption('community_event')
  await page.getByRole('button', { name: 'Save the connection' }).click()
  await page.locator('.nhsuk-error-summary').waitFor()
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /only when they agree/)
  await axe(page, 'the connection form with errors on a phone')
  await page.getByLabel(/happy for the PCN team to get in touch/).check()
  await page.getByRole('button', { name: 'Save the connection' }).click()
  await page.getByRole('heading', { name: 'Gwen T. and Harbourview walking group' }).waitFor()
  assert.match(await page.locator('main').innerText(), /Text message: 07700 900555/)
  assert.doesNotMatch(await page.locator('main').innerText(), /Tasker/)
  await axe(page, 'a champion\'s connection on a phone')
  await phone.close()

  const context = await browser.newContext()
  const worker = await context.newPage()
  await signIn(worker, creds.find((c) => c.role === 'link_worker'))
  await worker.goto(base + '/connections')
  const row = worker.getByRole('row', { name: /Gwen T\./ })
  assert.match(await row.innerText(), /Harbourview walking group/)
  await row.getByRole('link', { name: 'Gwen T.' }).click()
  await worker.getByRole('button', { name: 'Take them on' }).click()
  await worker.getByRole('link', { name: 'Gwen T.' }).click()
  await worker.getByRole('heading', { name: 'Gwen Tasker' }).waitFor()
  await context.close()
})

test('someone answers how they are on their own phone, once, and the change shows as a chart', async () => {
  assert.ok(answerLink, 'the demo printed a one-time link')
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true })
  const page = await phone.newPage()
  await page.goto(answerLink)
  await page.getByRole('heading', { name: /How are you getting on, / }).waitFor()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 0, `the questions are ${overflow}px wider than the phone`)
  await axe(page, 'the wellbeing questions on a phone')
  await page.getByLabel('Overall, how satisfied are you with your life nowadays?').selectOption('7')
  await page.getByLabel(/things you do in your life are worthwhile/).selectOption('8')
  await page.getByRole('button', { name: 'Send my answers' }).click()
  await page.locator('.nhsuk-error-summary').waitFor()
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /answer all four questions, or none of them/)
  await axe(page, 'the wellbeing questions with errors')
  await page.getByLabel('Overall, how happy did you feel yesterday?').selectOption('7')
  await page.getByLabel('Overall, how anxious did you feel yesterday?').selectOption('3')
  await page.getByLabel('How often do you feel lonely?').selectOption('occasionally')
  await page.getByRole('button', { name: 'Send my answers' }).click()
  await page.getByRole('heading', { name: 'Thank you' }).waitFor()
  await page.goto(answerLink)
  await page.getByRole('heading', { name: 'This link has been used already' }).waitFor()
  await axe(page, 'a used link')
  await phone.close()

  const context = await browser.newContext()
  const admin = await context.newPage()
  await signIn(admin, creds.find((c) => c.role === 'pcn_admin'))
  await admin.goto(base + '/offers')
  await admin.getByRole('link', { name: 'Singing for wellbeing' }).click()
  await admin.getByRole('img', { name: /How the people connected to it are getting on/ }).waitFor()
  assert.match(await admin.getByRole('table', { name: 'Change from first to latest answers' }).innerText(), /Life satisfaction/)
  await axe(admin, 'an offer with its wellbeing change')
  await admin.goto(base + '/connections')
  await admin.getByRole('row', { name: /Singing for wellbeing/ }).first().getByRole('link').first().click()
  await admin.getByRole('heading', { name: 'How they are' }).waitFor()
  await axe(admin, 'a connection with its wellbeing answers')
  await context.close()
})

test('on a phone a register taken with the network cut is kept and sent when it comes back', async () => {
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true })
  const page = await phone.newPage()
  await signIn(page, creds.find((c) => c.role === 'pcn_admin'))
  const registerUrl = await latestRegister(page, 'Harbourview walking group')
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 0, `the register is ${overflow}px wider than the phone`)
  await axe(page, 'a register on a phone')
  await phone.setOffline(true)
  await page.getByLabel('New person 1').fill('zoe quayle')
  await page.getByLabel('How many others came').fill('2')
  await page.getByRole('button', { name: 'Save the register' }).click()
  await page.getByText('Kept on this phone').waitFor()
  await phone.setOffline(false)
  await page.getByText('Register saved.').waitFor()
  await page.goto(registerUrl)
  assert.ok(await page.getByLabel('Zoe Q.').isChecked(), 'the newcomer is on the register, by first name and initial')
  assert.equal(await page.getByLabel('How many others came').inputValue(), '2')
  await phone.close()
})

test('on a phone someone says they would like to help, and the coordinator takes them to active', async () => {
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true })
  const page = await phone.newPage()
  await page.goto(base + '/join')
  await axe(page, 'the expression of interest on a phone')
  assert.match(await page.locator('main').innerText(), /Health champions are local people/)
  // A person takes more than a moment over a form; the server tells a bot by its speed.
  await page.waitForTimeout(3500)
  await page.getByRole('button', { name: 'Send' }).click()
  await page.locator('.nhsuk-error-summary').waitFor()
  await axe(page, 'the expression of interest with errors')
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Tick the box/)
  await page.getByLabel('First name').fill('Wendy')
  await page.getByLabel('Last name').fill('Baker')
  await page.getByLabel('Text message').check()
  await page.getByLabel('Phone number').fill('07700 900777')
  await page.getByLabel('Walking groups').check()
  await page.getByLabel('Weekday mornings').check()
  await page.getByLabel(/may contact me about becoming a health champion/).check()
  await page.waitForTimeout(3500)
  await page.getByRole('button', { name: 'Send' }).click()
  await page.getByRole('heading', { name: 'Thank you, Wendy' }).waitFor()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 0, `the thank-you page is ${overflow}px wider than the phone`)
  await axe(page, 'the thank-you page')
  await phone.close()

  const context = await browser.newContext()
  const admin = await context.newPage()
  await signIn(admin, creds.find((c) => c.role === 'pcn_admin'))
  await admin.goto(base + '/champions')
  await axe(admin, 'the champions board')
  await admin.getByRole('link', { name: 'Wendy Baker' }).click()
  await admin.getByRole('heading', { name: /Wendy Baker/ }).waitFor()
  await axe(admin, 'a champion record')
  const move = async (stage) => {
    await admin.getByLabel(stage, { exact: true }).check()
    await admin.getByRole('button', { name: 'Move on' }).click()
    await admin.getByText('Their journey has moved on.').or(admin.getByText('sent an invitation')).waitFor()
  }
  await move('Conversation')
  await move('References')
  await admin.getByLabel('Give a role').selectOption({ label: 'Walk leader (basic)' })
  await admin.getByRole('button', { name: 'Give role' }).click()
  await admin.getByText('The role has been given.').waitFor()
  await move('DBS check')
  await admin.getByLabel('Ask for a DBS check for the role').selectOption({ label: 'Walk leader (basic)' })
  await admin.getByLabel('Level of check').selectOption('enhanced')
  await admin.getByRole('button', { name: 'Record the request' }).click()
  await admin.locator('.nhsuk-error-summary').waitFor()
  assert.match(await admin.locator('.nhsuk-error-summary').innerText(), /justifies a basic check/)
  await axe(admin, 'a refused DBS request')
  await admin.getByLabel('Level of check').selectOption('basic')
  await admin.getByRole('button', { name: 'Record the request' }).click()
  await admin.getByText('The DBS check has been recorded as asked for.').waitFor()
  await admin.getByLabel('Date of issue').fill('02/11/2026')
  await admin.getByLabel('Certificate number').fill('0099 8877 6655')
  await admin.getByLabel('Clear', { exact: true }).check()
  await admin.getByRole('button', { name: 'Record the result' }).click()
  await admin.getByText('The DBS result has been recorded.').waitFor()
  await move('Induction')
  await move('Active')
  assert.match(await admin.locator('h1').innerText(), /Active since/)
  assert.match(await admin.locator('table').first().innerText(), /They did, on the form/)
  await axe(admin, 'an active champion')
  await context.close()
})

// Security checklist L3: whatever happened above, the logs hold no secret and no NHS number.
test('the PCN administrator imports the Synthea sample from the web and a bad file is explained', async () => {
  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  await signIn(page, creds.find((c) => c.role === 'pcn_admin'))
  await page.goto(base + '/insight')
  await page.getByRole('link', { name: 'Import data' }).click()
  await axe(page, 'the import page')
  // Nothing chosen: each missing file is said beside it.
  await page.getByRole('button', { name: 'Import the export' }).click()
  await page.locator('.nhsuk-error-summary').waitFor()
  await axe(page, 'the import page with errors')
  const sample = join(root, 'testdata', 'synthea-unmc')
  for (const f of ['patients', 'encounters', 'conditions']) {
    await page.getByLabel(`${f}.csv`, { exact: true }).setInputFiles(join(sample, `${f}.csv`))
  }
  await page.getByRole('button', { name: 'Import the export' }).click()
  await page.getByRole('heading', { name: 'Imported', exact: true }).waitFor({ timeout: 60000 })
  await axe(page, 'a finished import')
  assert.match(await page.locator('#status').innerText(), /patients\.csv \(registrations\): imported 111 rows/)
  // A file with a mistyped NHS number: nothing imported, the rejected rows to download.
  const bad = join(dataDir, 'registrations-with-a-typo.csv')
  writeFileSync(bad, 'nhs_number,ods_code,given_name,family_name,date_of_birth,sex,registered_from\n9990000019,B99001,Amir,Khan,1970-01-01,M,2015-01-01\n')
  await page.goto(base + '/insight/imports')
  await page.getByLabel('What the file holds').selectOption('registrations')
  await page.getByLabel('File', { exact: true }).setInputFiles(bad)
  await page.getByRole('button', { name: 'Import the file' }).click()
  await page.getByRole('heading', { name: 'Nothing was imported' }).waitFor({ timeout: 60000 })
  await axe(page, 'a refused import')
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /Download the rejected rows/ }).click()
  ])
  const report = Buffer.concat(await (await download.createReadStream()).toArray()).toString('utf8')
  assert.match(report, /^line,column,reason\n2,nhs_number,is not a valid NHS number/)
  await page.goto(base + '/insight/imports')
  assert.equal(await page.locator('#imports tbody tr').filter({ hasText: 'synthea' }).count(), 4)
  await context.close()
})

test('the logs hold no password, token or NHS number', async () => {
  const token = 'ab'.repeat(32)
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(base + '/enrol?token=' + token)
  await signIn(page, creds[0])
  const session = (await context.cookies()).find((c) => c.name === '__Host-session').value
  await context.close()
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.ok(logs.includes('request'), 'request lines are logged')
  for (const c of creds) assert.ok(!logs.includes(c.password), `the password of ${c.role} is in the logs`)
  assert.ok(!logs.includes(token), 'a one-time link token is in the logs')
  assert.ok(!logs.includes(session), 'a session token is in the logs')
  const mod11 = (n) => {
    const d = [...n].map(Number)
    const c = 11 - (d.slice(0, 9).reduce((s, x, i) => s + x * (10 - i), 0) % 11)
    return (c === 11 ? 0 : c) === d[9]
  }
  // Ten digits standing alone (hex request ids and UUIDs can hold runs of digits between letters).
  const numbers = (logs.match(/(?<![0-9A-Za-z])\d{10}(?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{3} \d{3} \d{4}(?![0-9A-Za-z])/g) || []).map((n) => n.replace(/ /g, '')).filter(mod11)
  assert.deepEqual(numbers, [], 'NHS-number-shaped values in the logs')
})

// The dashboard in a real browser: Debian's chromium driven by
// playwright-core, against a real dpmon-server on a real data directory
// holding the demo council (../shared/scenarios/council-demo.jsonl). Every
// page is checked with axe-core (WCAG 2.2 AA) and kept as a screenshot in
// $DPMON_SCREENSHOT_DIR.
//
//   DPMON_SERVER_BIN=build/dpmon-server DPMON_DPCTL_BIN=build/dpctl \
//     DPMON_DEMO=../shared/scenarios/council-demo.jsonl node --test web/tests/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const serverBin = process.env.DPMON_SERVER_BIN;
const dpctlBin = process.env.DPMON_DPCTL_BIN;
const demo = process.env.DPMON_DEMO;
const shots = process.env.DPMON_SCREENSHOT_DIR || join(here, '..', 'screenshots');
const chromiumPath = process.env.DPMON_CHROMIUM || '/usr/bin/chromium';
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let dir, server, grpcAddr, base, adminKey, browser;

async function waitFor(file) {
  for (let i = 0; i < 300; i++) {
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      if (lines.length >= 2) return lines;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`dpmon-server did not start: see ${dir}/server.log`);
}

async function api(method, path, body, key = adminKey) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

// No WCAG 2.2 AA violations on the page as it stands.
async function checkAccessible(page, name) {
  const violations = await page.evaluate(async (source) => {
    // eslint-disable-next-line no-eval
    (0, eval)(source);
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`);
  }, axeSource);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(page, key) {
  await page.goto(base + '/');
  assert.match(page.url(), /\/signin$/);
  await page.getByLabel('Your key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

before(async () => {
  assert.ok(serverBin && dpctlBin && demo, 'set DPMON_SERVER_BIN, DPMON_DPCTL_BIN and DPMON_DEMO');
  dir = mkdtempSync(join(tmpdir(), 'dpmon-web-'));
  server = spawn(serverBin, [
    '--listen=127.0.0.1:0', '--http_listen=127.0.0.1:0', `--data_dir=${dir}/db`,
    `--ready_file=${dir}/ready`, '--evaluate_at=off',
    // The demo council's flags stay as its evaluation as of 31 December 2025
    // left them: a change made by one test does not re-evaluate accounts as
    // of today while another test counts them.
    '--reevaluate_delay_ms=-1',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr.on('data', () => {});
  [grpcAddr, base] = await waitFor(`${dir}/ready`);
  base = `http://${base}`;
  adminKey = readFileSync(`${dir}/db-admin.key`, 'utf8').trim();
  execFileSync(dpctlBin, [`--server=${grpcAddr}`, `--key_file=${dir}/db-admin.key`,
    '--progress=false', 'import', demo], { stdio: 'ignore' });
  await api('POST', '/v1/councils/demo:evaluate', { asOfDate: '2025-12-31' });
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('sign in, see today, sign out', async () => {
  const page = await browser.newPage();
  await page.goto(base + '/');
  await checkAccessible(page, 'signin');
  await signIn(page, adminKey);
  await page.waitForURL(/\/councils\/demo$/);
  assert.equal(await page.locator('h1').textContent(), 'Today');
  assert.ok((await page.locator('table tbody tr').count()) > 0, 'the demo council has open flags');
  await checkAccessible(page, 'today');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/signin$/);
  await page.goto(base + '/councils/demo');
  assert.match(page.url(), /\/signin$/, 'signed out means signed out');
  await page.close();
});

test('flags: filter, open one, a note is required, acknowledge it', async () => {
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL(/\/councils\/demo$/);
  // A tile on Today leads to the flags of that kind.
  await page.getByRole('link', { name: 'Surplus', exact: true }).first().click();
  await page.waitForURL(/\/flags\?kind=SURPLUS/);
  assert.equal(await page.locator('h1').textContent(), 'Flags');
  assert.equal(await page.getByLabel('Kind').inputValue(), 'SURPLUS');
  const rows = page.locator('table tbody tr');
  assert.ok((await rows.count()) > 0);
  for (const kind of await page.locator('table tbody td:nth-child(2)').allTextContents()) {
    assert.equal(kind.trim(), 'Surplus');
  }
  // Money is written for people, from the exact pence.
  assert.match(await rows.first().locator('td.numeric').textContent(), /^£[\d,]+\.\d\d$/);
  await checkAccessible(page, 'flags');
  // Filters are a plain GET form.
  await page.getByLabel('Kind').selectOption('DEFICIT');
  await page.getByLabel('Severity').selectOption('');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/kind=DEFICIT/);
  await page.locator('table tbody tr').first().getByRole('link', { name: 'Deficit' }).click();
  await page.waitForURL(/\/flags\/DEFICIT/);
  await checkAccessible(page, 'flag');
  // No note: an error summary that links to the field.
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  const summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  assert.match(await page.title(), /^Error: /);
  await checkAccessible(page, 'flag-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'note');
  await page.getByLabel('Note').fill('Called the carer: a late council payment, due Friday.');
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.waitForSelector('text=History');
  assert.match(await page.locator('.timeline').textContent(), /Acknowledged.*a late council payment/s);
  assert.match(await page.locator('.summary').textContent(), /Acknowledged/);
  await page.close();
});

test('an account as of a past date, and a date that is not one', async () => {
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL(/\/councils\/demo$/);
  await page.goto(base + '/councils/demo/flags?kind=SURPLUS');
  await page.locator('table tbody tr').first().locator('td').first().getByRole('link').click();
  await page.waitForURL(/\/councils\/demo\/accounts\/A\d+$/);
  await page.getByLabel('As of').fill('2025-12-31');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/asOf=2025-12-31/);
  assert.equal(await page.locator('main h2').first().textContent(), 'As of 31 December 2025');
  // The page's money is the API's, to the penny.
  const id = page.url().match(/accounts\/(A\d+)/)[1];
  const o = await api('GET', `/v1/councils/demo/accounts/${id}/overview?asOfDate=2025-12-31`);
  const pounds = (p) => {
    const v = BigInt(p ?? '0');
    const m = v < 0n ? -v : v;
    const whole = (m / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${v < 0n ? '\u2212' : ''}£${whole}.${(m % 100n).toString().padStart(2, '0')}`;
  };
  const balance = page.locator('tr', { has: page.locator('th', { hasText: /^Balance$/ }) });
  assert.equal((await balance.locator('td').textContent()).trim(), pounds(o.balancePence));
  assert.ok((await page.locator('main').textContent()).includes('Surplus'));
  // The chart's table ends on the page's date, with the same balance.
  assert.equal(await page.locator('figure.chart svg').count(), 1);
  const monthly = page.locator('table', { has: page.locator('caption', { hasText: 'end of each month' }) });
  const last = monthly.locator('tbody tr').last();
  assert.equal((await last.locator('td').first().textContent()).trim(), '31 December 2025');
  assert.equal((await last.locator('td.numeric').textContent()).trim(), pounds(o.balancePence));
  await checkAccessible(page, 'account');
  await page.getByLabel('As of').fill('2025-02-30');
  await page.getByRole('button', { name: 'Show' }).click();
  const summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  await checkAccessible(page, 'account-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'asOf');
  await page.close();
});

test('audits due: overdue first, then by risk, each leading to its account', async () => {
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL(/\/councils\/demo$/);
  await page.getByRole('navigation', { name: 'Council' }).getByRole('link', { name: 'Audits due' }).click();
  await page.waitForURL(/\/councils\/demo\/audits$/);
  await page.goto(base + '/councils/demo/audits?asOf=2026-06-30');
  const due = await api('GET', '/v1/councils/demo/auditsDue?asOfDate=2026-06-30&pageSize=50');
  const rows = page.locator('table tbody tr');
  assert.equal(await rows.count(), due.entries.length);
  assert.equal((await rows.first().locator('td').first().textContent()).trim(),
    due.entries[0].account.split('/').pop());
  assert.equal((await rows.first().locator('td.numeric').textContent()).trim(),
    String(due.entries[0].risk?.score ?? 0));
  await checkAccessible(page, 'audits-due');
  await rows.first().getByRole('link').click();
  await page.waitForURL(/\/accounts\/A\d+$/);
  await page.close();
});

test('a wrong key is answered by an error summary that links to the field', async () => {
  const page = await browser.newPage();
  await signIn(page, 'dpmon_0123456789abcdef_notakey');
  const summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  assert.match(await page.title(), /^Error: /);
  await checkAccessible(page, 'signin-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'key');
  await page.close();
});

test('the main path works with the keyboard alone', async () => {
  const page = await browser.newPage();
  await page.goto(base + '/signin');
  // The skip link first; it takes focus to the main content, whose first
  // control is the key.
  await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains('govuk-skip-link')));
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'key');
  await page.keyboard.type(adminKey);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/councils\/demo$/);
  // The header's sign-out button is reachable by keyboard.
  let reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement.textContent.trim() === 'Sign out');
  }
  assert.ok(reached, 'Sign out is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/signin$/);
  await page.close();
});

test("another council's officer sees none of the demo council's people", async () => {
  await api('POST', '/v1/councils?councilId=elsewhere', { displayName: 'Elsewhere Council' });
  const created = await api('POST', '/v1/keys',
    { displayName: 'Elsewhere officer', role: 'OFFICER', councils: ['elsewhere'] });
  const page = await browser.newPage();
  await signIn(page, created.secret);
  await page.waitForURL(/\/councils\/elsewhere$/);
  const demoCouncil = await api('GET', '/v1/councils/demo');
  const response = await page.goto(base + '/councils/demo');
  assert.equal(response.status(), 404);
  const html = await page.content();
  assert.ok(!html.includes(demoCouncil.displayName), 'nothing of the demo council shows');
  assert.ok(!/A1010\d{4}/.test(html), 'no demo account shows');
  await checkAccessible(page, 'not-found');
  await page.close();
});

// Names the DP team knows people by, on two demo accounts; an officer with
// them as a caseload.
async function namePeople() {
  const listed = await api('GET', '/v1/councils/demo/accounts?pageSize=3');
  const [a, b, c] = listed.accounts.map((x) => x.name);
  await api('PATCH', `/v1/${a}?updateMask=displayName,personRef`,
    { displayName: 'Ann Smith', personRef: 'CM-1001' });
  await api('PATCH', `/v1/${b}?updateMask=displayName`, { displayName: 'Bob Smithson' });
  await api('PATCH', `/v1/${c}?updateMask=displayName`, { displayName: 'Cat Jones' });
  return [a, b, c].map((n) => n.split('/').pop());
}

test('find a person by name or case id, and their page names them', async () => {
  const [a, b] = await namePeople();
  const page = await browser.newPage();
  await signIn(page, adminKey);
  // The administrator holds every council (another test adds one), so
  // sign-in may land on the list of councils.
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo');
  await page.getByRole('navigation', { name: 'Council' }).getByRole('link', { name: 'Find' }).click();
  await page.waitForURL(/\/find$/);
  await checkAccessible(page, 'find');
  await page.getByLabel('Account id, feed reference, case id or name').fill('smi');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/find\?q=smi/);
  const found = await page.locator('table tbody td:first-child').allTextContents();
  assert.deepEqual(found.map((t) => t.trim()), [a, b], 'the two Smiths, by name');
  await checkAccessible(page, 'find-results');
  await page.getByLabel('Account id, feed reference, case id or name').fill('CM-1001');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=CM-1001/);
  await page.locator('table tbody tr').first().getByRole('link').click();
  await page.waitForURL(new RegExp(`/accounts/${a}$`));
  assert.equal(await page.locator('h1').textContent(), `Account ${a}: Ann Smith`);
  // A query too long for a search: an error summary that links to the field.
  await page.goto(base + '/councils/demo/find?q=' + 'x'.repeat(201));
  const summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  await checkAccessible(page, 'find-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
  await page.close();
});

test("an officer's caseload is on Today, and the search is in the access log", async () => {
  const [a, b] = await namePeople();
  const officer = await api('POST', '/v1/keys',
    { displayName: 'Olive Officer', role: 'OFFICER', councils: ['demo'] });
  for (const id of [a, b]) {
    await api('PATCH', `/v1/councils/demo/accounts/${id}?updateMask=assignedOfficer`,
      { assignedOfficer: officer.apiKey.name });
  }
  const page = await browser.newPage();
  await signIn(page, officer.secret);
  await page.waitForURL(/\/councils\/demo$/);
  const caseload = page.locator('table', { has: page.locator('caption', { hasText: 'Accounts assigned to you' }) });
  const ids = (await caseload.locator('tbody td:first-child').allTextContents()).map((t) => t.trim());
  assert.deepEqual(ids.sort(), [a, b].sort());
  await checkAccessible(page, 'today-caseload');
  await page.goto(base + '/councils/demo/find?q=jones');
  const shown = (await page.locator('table tbody td:first-child').allTextContents()).map((t) => t.trim());
  assert.equal(shown.length, 1);
  // Who looked at that person: this officer's search.
  const log = await api('GET',
    `/v1/accessLog?account=councils/demo/accounts/${shown[0]}&key=${officer.apiKey.name}`);
  assert.ok(log.entries.some((e) => e.method === '/dpmon.v1.Accounts/SearchAccounts'),
    JSON.stringify(log));
  await page.close();
});

test('case notes and a review are recorded from the account page', async () => {
  const [a] = await namePeople();
  const page = await browser.newPage();
  await signIn(page, adminKey);
  // The administrator holds every council (another test adds one), so
  // sign-in may land on the list of councils.
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo');
  await page.goto(`${base}/councils/demo/accounts/${a}`);
  // An empty note: the error summary links to the field, nothing is kept.
  await page.getByRole('button', { name: 'Add note' }).click();
  let summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  assert.match(await page.title(), /^Error: /);
  await checkAccessible(page, 'account-note-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'notes-text');
  await page.locator('#notes-text').fill('Visited Ann at home.\nReceipts to follow.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.waitForURL(/#notes$/);
  assert.match(await page.locator('.notes').textContent(), /Visited Ann at home\.\s*Receipts to follow\./);
  assert.match(await page.locator('#timeline + .moj-timeline').textContent(),
    /Case note\s*\d+ \w+ \d{4}\s*bootstrap administrator, .*Visited Ann at home\./);
  const notes = await api('GET', `/v1/councils/demo/accounts/${a}/notes`);
  assert.equal(notes.caseNotes.length, 1);
  assert.equal(notes.caseNotes[0].text, 'Visited Ann at home.\nReceipts to follow.');
  // A review on a date that is not one, then on a real one.
  await page.locator('#reviews-date').fill('2026-02-30');
  await page.getByRole('button', { name: 'Record review' }).click();
  summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  await checkAccessible(page, 'account-review-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'reviews-date');
  await page.locator('#reviews-date').fill('2025-11-20');
  await page.locator('#reviews-note').fill('Plan still meets needs.');
  await page.getByRole('button', { name: 'Record review' }).click();
  await page.waitForURL(/#timeline$/);
  assert.match(await page.locator('#timeline + .moj-timeline').textContent(), /Review\s*20 November 2025\s*Plan still meets needs/);
  await checkAccessible(page, 'account-with-notes');
  // Its transactions, as the API lists them.
  await page.getByRole('link', { name: 'Transactions' }).click();
  await page.waitForURL(/\/transactions$/);
  const txns = await api('GET', `/v1/councils/demo/accounts/${a}/transactions?pageSize=50`);
  assert.equal(await page.locator('table tbody tr').count(), txns.transactions.length);
  await checkAccessible(page, 'transactions');
  await page.close();
});

test('surplus and recoveries across the council', async () => {
  const surplus = await api('GET', '/v1/councils/demo/flags?kind=SURPLUS&pageSize=1');
  const account = surplus.flags[0].account;
  await api('POST', `/v1/${account}:recordRecovery`, {
    recovery: { id: 'REC-1', amountPence: '12345', method: 'INVOICE', date: '2025-12-01', recordedBy: 'the auditor' },
  });
  const page = await browser.newPage();
  await signIn(page, adminKey);
  // The administrator holds every council (another test adds one), so
  // sign-in may land on the list of councils.
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo');
  await page.goto(base + '/councils/demo/recoveries?asOf=2025-12-31');
  const rec = page.locator('table', { has: page.locator('caption', { hasText: 'Recoveries' }) });
  const row = rec.locator('tbody tr', { hasText: 'REC-1' });
  assert.equal(await row.count(), 1);
  assert.equal((await row.locator('td.numeric').first().textContent()).trim(), '£123.45');
  const api_ = await api('GET', '/v1/councils/demo/recoveries?asOfDate=2025-12-31');
  assert.ok((await page.locator('main').textContent()).includes(
    api_.inProgressPence === '12345' ? '£123.45 still to come back' : 'still to come back'));
  const surplusRows = page.locator('table', { has: page.locator('caption', { hasText: 'surplus flags' }) }).locator('tbody tr');
  assert.ok((await surplusRows.count()) > 0, 'the demo council has surpluses');
  await checkAccessible(page, 'recoveries');
  await page.close();
});

test('suspense: give a waiting reference to its account', async () => {
  const listed = await api('GET', '/v1/councils/demo/accounts?pageSize=1');
  const account = listed.accounts[0].name.split('/').pop();
  await api('POST', '/v1/councils/demo:ingestBatch', {
    items: [{ transaction: { source: 'newcard', accountRef: 'CARD-9', externalId: 'S1', bookingDate: '2025-12-02', amountPence: '-2500' } }],
  });
  const page = await browser.newPage();
  await signIn(page, adminKey);
  // The administrator holds every council (another test adds one), so
  // sign-in may land on the list of councils.
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo');
  await page.goto(base + '/councils/demo/suspense');
  await checkAccessible(page, 'suspense');
  const row = page.locator('table tbody tr', { hasText: 'CARD-9' });
  assert.equal(await row.count(), 1);
  // No account: an error summary that links to that row's field.
  await row.getByRole('button', { name: /Attach/ }).click();
  let summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  await checkAccessible(page, 'suspense-error');
  await summary.getByRole('link').click();
  const focused = await page.evaluate(() => document.activeElement.id);
  assert.match(focused, /^account-\d+$/);
  await page.locator('#' + focused).fill('NO-SUCH-ACCOUNT');
  await page.locator('table tbody tr', { hasText: 'CARD-9' }).getByRole('button', { name: /Attach/ }).click();
  summary = page.locator('.error-summary');
  assert.match(await summary.textContent(), /no account "NO-SUCH-ACCOUNT"/);
  await page.locator('table tbody tr', { hasText: 'CARD-9' }).getByLabel(/Account id/).fill(account);
  await page.locator('table tbody tr', { hasText: 'CARD-9' }).getByRole('button', { name: /Attach/ }).click();
  await page.waitForURL(new RegExp(`/accounts/${account}$`));
  const txns = await api('GET', `/v1/councils/demo/accounts/${account}/transactions?startDate=2025-12-02&endDate=2025-12-02`);
  assert.ok(txns.transactions.some((t) => t.input.externalId === 'S1'), 'the waiting transaction joined the account');
  await page.close();
});

test("every form on an account's page: a wrong value is named, a right one is recorded", async () => {
  const listed = await api('GET', '/v1/councils/demo/accounts?pageSize=5');
  const id = listed.accounts[4].name.split('/').pop();
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  // Each form: a wrong value and the field it names, then right values and
  // what the timeline then says.
  const cases = [
    { form: 'status', wrong: { 'status-status': 'SUSPENDED', 'status-date': '2025-13-01' },
      field: 'status-date', right: { 'status-date': '2025-12-15', 'status-note': 'In hospital' },
      timeline: /Suspended\s*15 December 2025\s*In hospital/ },
    { form: 'earmarks', wrong: { 'earmarks-id': 'E1', 'earmarks-kind': 'AGREED_PURPOSE',
      'earmarks-amount_pence': '12.345', 'earmarks-from': '2025-12-01', 'earmarks-until': '2026-03-31' },
      field: 'earmarks-amount_pence', right: { 'earmarks-amount_pence': '£1,150.00' },
      timeline: /Earmark\s*1 December 2025\s*£1,150\.00 until 31 March 2026/ },
    { form: 'audits', wrong: { 'audits-date': '2025-12-10', 'audits-period_end': '2025-12-20',
      'audits-auditor': 'A. Auditor' },
      field: 'audits-period_end', right: { 'audits-period_end': '2025-11-30' },
      timeline: /Audit\s*10 December 2025\s*covering up to 30 November 2025, by A\. Auditor/ },
    { form: 'recoveries', wrong: { 'recoveries-id': 'R9', 'recoveries-amount_pence': '200',
      'recoveries-date': '2025-12-05', 'recoveries-recorded_by': 'Team lead' },
      field: 'recoveries-method', right: { 'recoveries-method': 'INVOICE' },
      timeline: /Recovery\s*5 December 2025\s*£200\.00 by Invoice/ },
  ];
  const fill = async (values) => {
    for (const [fieldId, value] of Object.entries(values)) {
      const el = page.locator('#' + fieldId);
      if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
      else await el.fill(value);
    }
  };
  for (const c of cases) {
    await page.goto(`${base}/councils/demo/accounts/${id}`);
    await fill(c.wrong);
    await page.locator(`#${c.form} + form button[type=submit]`).click();
    const summary = page.locator('.error-summary');
    assert.equal(await summary.isVisible(), true, c.form);
    assert.match(await page.title(), /^Error: /);
    await checkAccessible(page, `account-${c.form}-error`);
    await summary.getByRole('link').click();
    assert.equal(await page.evaluate(() => document.activeElement.id), c.field, c.form);
    // What was entered is still there.
    const [firstId, firstValue] = Object.entries(c.wrong)[0];
    assert.equal(await page.locator('#' + firstId).inputValue(), firstValue, c.form);
    await fill(c.right);
    await page.locator(`#${c.form} + form button[type=submit]`).click();
    await page.waitForURL(/#timeline$/);
    assert.match(await page.locator('#timeline + .moj-timeline').textContent(), c.timeline, c.form);
  }
  // The API agrees.
  const a = await api('GET', `/v1/councils/demo/accounts/${id}`);
  assert.ok(a.earmarks.some((e) => e.id === 'E1' && e.amountPence === '115000'));
  assert.ok(a.recoveries.some((r) => r.id === 'R9' && r.amountPence === '20000' && r.method === 'INVOICE'));
  assert.ok(a.audits.some((x) => x.periodEnd === '2025-11-30'));
  await checkAccessible(page, 'account-forms');
  await page.close();
});

test('acknowledge several flags at once, with one note', async () => {
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo/flags?state=OPEN&kind=STALE_FEED');
  let boxes = page.locator('table tbody input[type=checkbox]');
  if ((await boxes.count()) < 2) {
    await page.goto(base + '/councils/demo/flags?state=OPEN');
    boxes = page.locator('table tbody input[type=checkbox]');
  }
  assert.ok((await boxes.count()) >= 2, 'two open flags to acknowledge');
  // Nothing selected: the summary links to the first box.
  await page.getByRole('button', { name: 'Acknowledge selected flags' }).click();
  let summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  await checkAccessible(page, 'flags-bulk-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'select-1');
  const chosen = [await boxes.nth(0).getAttribute('value'), await boxes.nth(1).getAttribute('value')];
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  // No note: the summary links to the note.
  await page.getByRole('button', { name: 'Acknowledge selected flags' }).click();
  summary = page.locator('.error-summary');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'bulk-note');
  boxes = page.locator('table tbody input[type=checkbox]');
  for (const v of chosen) await page.locator(`input[type=checkbox][value="${v}"]`).check();
  await page.getByLabel('Note for the flags you select').fill('Feeds chased with the card provider.');
  await page.getByRole('button', { name: 'Acknowledge selected flags' }).click();
  await page.waitForSelector('.notification');
  assert.match(await page.locator('.notification').textContent(), /^\s*2 flags acknowledged\.\s*$/);
  // Each is acknowledged, with the note, in the API.
  for (const v of chosen) {
    const [, account, kind] = v.match(/^\/(councils\/demo\/accounts\/[^/]+)\/flags\/([A-Z_]+)/);
    const subject = decodeURIComponent(v.split('?subject=')[1] ?? '');
    const listed = await api('GET', `/v1/councils/demo/flags?account=${account}&kind=${kind}&states=ACKNOWLEDGED&pageSize=100`);
    const f = listed.flags.find((x) => (x.subject ?? '') === subject);
    assert.ok(f, `${v} is acknowledged`);
    assert.equal(f.actions.at(-1).note, 'Feeds chased with the card provider.');
  }
  await checkAccessible(page, 'flags-bulk-done');
  await page.close();
});

test('an audit pack as a printable page and CSV downloads, from Audits due', async () => {
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo/audits?asOf=2026-06-30');
  const due = await api('GET', '/v1/councils/demo/auditsDue?asOfDate=2026-06-30&pageSize=50');
  const entry = due.entries.find((e) => e.periodStart);
  const id = entry.account.split('/').pop();
  await page.getByRole('link', { name: `Audit pack for ${id}` }).first().click();
  await page.waitForURL(/\/audit-pack\?start=/);
  const pack = await api('GET',
    `/v1/${entry.account}/auditPack?startDate=${entry.periodStart}&endDate=${entry.periodEnd}`);
  const pounds = (p) => {
    const v = BigInt(p ?? '0');
    const m = v < 0n ? -v : v;
    const whole = (m / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${v < 0n ? '\u2212' : ''}£${whole}.${(m % 100n).toString().padStart(2, '0')}`;
  };
  const summary = page.locator('table', { has: page.locator('caption', { hasText: /^Summary$/ }) });
  const closing = summary.locator('tr', { has: page.locator('td', { hasText: /^Closing balance$/ }) });
  assert.equal((await closing.locator('td.numeric').textContent()).trim(), pounds(pack.closingBalancePence));
  await checkAccessible(page, 'audit-pack');
  // The summary as CSV: the same figures, in pence.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download Summary as CSV' }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv, new RegExp(`^closing_balance,${pack.closingBalancePence ?? 0},`, 'm'));
  assert.equal(download.suggestedFilename(), `${id}-${entry.periodStart}-${entry.periodEnd}-summary.csv`);
  // A period that is not one: the summary names the field.
  await page.getByLabel('From').fill('2026-13-01');
  await page.getByRole('button', { name: 'Show the pack' }).click();
  const problem = page.locator('.error-summary');
  assert.equal(await problem.isVisible(), true);
  await checkAccessible(page, 'audit-pack-error');
  await problem.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'start');
  await page.close();
});

test('admin: make a key (its secret shown once), see who looked at an account, revoke the key', async () => {
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.getByRole('link', { name: 'Keys', exact: true }).click();
  await page.waitForURL(/\/admin\/keys$/);
  await checkAccessible(page, 'keys');
  // No name: the summary links to the field.
  await page.getByLabel('Role').selectOption('OFFICER');
  await page.getByLabel('Councils').fill('demo');
  await page.getByRole('button', { name: 'Make key' }).click();
  const summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  await checkAccessible(page, 'keys-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'key-display_name');
  assert.equal(await page.getByLabel('Councils').inputValue(), 'demo', 'what was entered is kept');
  await page.getByLabel('Name', { exact: true }).fill('Pat Visitor, DP officer');
  await page.getByRole('button', { name: 'Make key' }).click();
  const secret = (await page.locator('code.secret').textContent()).trim();
  assert.match(secret, /^dpmon_[0-9a-f]{16}_/);
  assert.ok(!page.url().includes(secret), 'the secret is not in the address');
  await checkAccessible(page, 'keys-made');
  await page.goto(base + '/admin/keys');
  assert.ok(!(await page.content()).includes(secret), 'shown once only');

  // The new key's holder opens an account; the administrator sees it.
  const listed = await api('GET', '/v1/councils/demo/accounts?pageSize=1');
  const account = listed.accounts[0].name;
  const visitor = await browser.newPage();
  await signIn(visitor, secret);
  await visitor.waitForURL(/\/councils\/demo$/);
  await visitor.goto(`${base}/${account}`);
  assert.equal(await visitor.locator('h1').isVisible(), true);
  await page.goto(`${base}/${account}`);
  await page.getByRole('link', { name: 'Who looked at this account' }).click();
  await page.waitForURL(/\/admin\/access-log\?account=/);
  assert.match(await page.locator('table').textContent(), /Pat Visitor, DP officer/);
  await checkAccessible(page, 'access-log');

  // Revoked: the holder's session ends at once.
  await page.goto(base + '/admin/keys');
  await page.getByRole('button', { name: 'Revoke Pat Visitor, DP officer' }).click();
  await page.waitForURL(/\/admin\/keys$/);
  await visitor.goto(`${base}/${account}`);
  assert.match(visitor.url(), /\/signin$/);
  await visitor.close();
  await page.close();
});

test("a council's policy: a value out of range is named, a good one is saved", async () => {
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo/policy');
  await checkAccessible(page, 'policy');
  const before = await api('GET', '/v1/councils/demo');
  const threshold = Number(before.policy.surplusThresholdWeeks);
  await page.locator('#policy-surplus_retain_weeks').fill(String(threshold + 1));
  await page.getByRole('button', { name: 'Save policy' }).click();
  const summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  await checkAccessible(page, 'policy-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'policy-surplus_retain_weeks');
  assert.equal((await api('GET', '/v1/councils/demo')).policy.surplusRetainWeeks,
    before.policy.surplusRetainWeeks, 'nothing half-written');
  await page.locator('#policy-surplus_retain_weeks').fill(String(threshold - 1));
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.waitForURL(/\/policy$/);
  assert.equal(Number((await api('GET', '/v1/councils/demo')).policy.surplusRetainWeeks), threshold - 1);
  await page.close();
});

test('assign an officer and recategorise a transaction', async () => {
  const listed = await api('GET', '/v1/councils/demo/accounts?pageSize=6');
  const account = listed.accounts[5].name;
  const officer = await api('POST', '/v1/keys',
    { displayName: 'Rae Officer', role: 'OFFICER', councils: ['demo'] });
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(`${base}/${account}`);
  await page.locator('#officer-assigned_officer').selectOption(officer.apiKey.name);
  await page.getByRole('button', { name: 'Assign' }).click();
  await page.waitForURL(new RegExp(`${account}$`));
  assert.match(await page.locator('.summary').textContent(), /Rae Officer/);
  assert.equal((await api('GET', `/v1/${account}`)).assignedOfficer, officer.apiKey.name);

  // The officer puts a debit in another category.
  const txns = await api('GET', `/v1/${account}/transactions?pageSize=50`);
  const debit = txns.transactions.find((t) => BigInt(t.input.amountPence) < 0n && !t.reversalLinked);
  const officerPage = await browser.newPage();
  await signIn(officerPage, officer.secret);
  await officerPage.waitForURL(/\/councils\/demo$/);
  await officerPage.goto(`${base}/${account}/transactions`);
  await officerPage.getByRole('link', { name: `Change the category of ${debit.input.source}: ${debit.input.externalId}`, exact: true }).click();
  await officerPage.waitForURL(/\/recategorise\?/);
  await checkAccessible(officerPage, 'recategorise');
  const target = debit.effectiveCategory === 'RESPITE' ? 'TRANSPORT' : 'RESPITE';
  await officerPage.getByLabel('New category').selectOption(target);
  await officerPage.getByRole('button', { name: 'Change category' }).click();
  const summary = officerPage.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  await checkAccessible(officerPage, 'recategorise-error');
  await summary.getByRole('link').click();
  assert.equal(await officerPage.evaluate(() => document.activeElement.id), 'note');
  await officerPage.getByLabel('Why').fill('A respite break, invoiced by the provider.');
  await officerPage.getByRole('button', { name: 'Change category' }).click();
  await officerPage.waitForURL(/\/transactions$/);
  const after = await api('GET', `/v1/${account}/transactions?startDate=${debit.input.bookingDate}&endDate=${debit.input.bookingDate}&pageSize=1000`);
  const changed = after.transactions.find((t) => t.input.externalId === debit.input.externalId && t.input.source === debit.input.source);
  assert.equal(changed.effectiveCategory, target);
  assert.equal(changed.categoryHistory.at(-1).actor, 'Rae Officer');
  await officerPage.close();
  await page.close();
});

test('Today and Flags as of a past date are what the rules find then', async () => {
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo');
  await page.getByLabel('As of').fill('2025-06-30');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/asOf=2025-06-30/);
  assert.equal(await page.locator('h1').textContent(), 'As of 30 June 2025');
  let report = [];
  for (let token = ''; ;) {
    const r = await api('GET', `/v1/councils/demo/flagReport?asOfDate=2025-06-30&pageSize=1000&pageToken=${encodeURIComponent(token)}`);
    report = report.concat(r.flags ?? []);
    if (!r.nextPageToken) break;
    token = r.nextPageToken;
  }
  const tiles = page.locator('table', { has: page.locator('caption', { hasText: 'by kind and severity' }) });
  const counts = (await tiles.locator('tbody td.numeric').allTextContents()).map(Number);
  assert.equal(counts.reduce((a, b) => a + b, 0), report.length);
  await checkAccessible(page, 'today-as-of');
  // A tile leads to those flags, as of the same date.
  await tiles.locator('tbody a').first().click();
  await page.waitForURL(/\/flags\?kind=.*asOf=2025-06-30/);
  const kind = new URL(page.url()).searchParams.get('kind');
  const severity = new URL(page.url()).searchParams.get('severity');
  const want = report.filter((f) => f.kind === kind && f.severity === severity).length;
  assert.equal(await page.locator('table tbody tr').count(), Math.min(want, 50));
  assert.match(await page.locator('h1').textContent(), /as of 30 June 2025/);
  await checkAccessible(page, 'flags-as-of');
  await page.close();
});

test("flags of the signed-in officer's caseload", async () => {
  const listed = await api('GET', '/v1/councils/demo/accounts?pageSize=12');
  const officer = await api('POST', '/v1/keys',
    { displayName: 'Cass Officer', role: 'OFFICER', councils: ['demo'] });
  const mine = listed.accounts.slice(8, 12).map((a) => a.name);
  for (const name of mine) {
    await api('PATCH', `/v1/${name}?updateMask=assignedOfficer`, { assignedOfficer: officer.apiKey.name });
  }
  let want = 0;
  for (const name of mine) {
    const f = await api('GET', `/v1/councils/demo/flags?account=${name}&pageSize=1000`);
    want += (f.flags ?? []).length;
  }
  assert.ok(want > 0, 'the caseload has open flags to list');
  const page = await browser.newPage();
  await signIn(page, officer.secret);
  await page.waitForURL(/\/councils\/demo$/);
  await page.goto(base + '/councils/demo/flags');
  await page.getByLabel('Officer').selectOption('me');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/officer=me/);
  const accounts = (await page.locator('table tbody td:first-child').allTextContents()).map((t) => t.trim());
  assert.equal(accounts.length, Math.min(want, 50));
  for (const a of accounts) assert.ok(mine.some((n) => n.endsWith('/' + a)), `${a} is in the caseload`);
  await checkAccessible(page, 'flags-mine');
  await page.close();
});

// The civil date in Europe/London, `days` from now, as YYYY-MM-DD.
function londonDate(days = 0) {
  const when = new Date(Date.now() + days * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(when);
}

test('Suspense, Find, Keys, the access log and Policy as of a past date', async () => {
  // Two transactions, dated 2025, come today for a card no account holds.
  await api('POST', '/v1/councils/demo:ingestBatch', { items: [
    { transaction: { source: 'card', accountRef: 'CARD-ASOF', externalId: 'AO1', bookingDate: '2025-03-10', amountPence: '-1250' } },
    { transaction: { source: 'card', accountRef: 'CARD-ASOF', externalId: 'AO2', bookingDate: '2025-09-10', amountPence: '-2500' } },
  ] });
  const page = await browser.newPage();
  await signIn(page, adminKey);
  await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
  await page.goto(base + '/councils/demo/suspense');
  const all = page.locator('table tbody tr', { hasText: 'CARD-ASOF' });
  assert.equal((await all.locator('td').nth(2).textContent()).trim(), '2');
  // A date that is not one: an error summary that links to the field.
  await page.getByLabel('As of').fill('2025-02-30');
  await page.getByRole('button', { name: 'Show' }).click();
  let summary = page.locator('.error-summary');
  assert.equal(await summary.isVisible(), true);
  assert.match(await page.title(), /^Error: /);
  await checkAccessible(page, 'suspense-as-of-error');
  await summary.getByRole('link').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'asOf');
  // At the end of 30 June 2025 they had not come; at the end of tomorrow
  // both wait, as the API says.
  await page.getByLabel('As of').fill('2025-06-30');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/\/suspense\?asOf=2025-06-30/);
  assert.equal(await page.locator('h1').textContent(), 'Suspense as of 30 June 2025');
  assert.equal(await page.locator('table tbody tr', { hasText: 'CARD-ASOF' }).count(), 0);
  const then = londonDate(1);
  await page.getByLabel('As of').fill(then);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(new RegExp(`/suspense\\?asOf=${then}`));
  const row = page.locator('table tbody tr', { hasText: 'CARD-ASOF' });
  assert.equal((await row.locator('td').nth(2).textContent()).trim(), '2');
  assert.equal((await row.locator('td').nth(4).textContent()).trim(), '\u2212£37.50');
  const waiting = await api('GET', `/v1/councils/demo/suspense?asOfDate=${then}&pageSize=1000`);
  const refs = new Set((waiting.items ?? []).map((i) => `${i.source}/${i.accountRef}`));
  assert.equal(await page.locator('table tbody tr').count(), refs.size);
  await checkAccessible(page, 'suspense-as-of');

  // The date goes with the officer to Find: a match's status then.
  const listed = await api('GET', '/v1/councils/demo/accounts?pageSize=7');
  const name = listed.accounts[6].name;
  const id = name.split('/').pop();
  await api('POST', `/v1/${name}:changeStatus`,
    { change: { date: '2026-01-15', status: 'CLOSED', note: 'Moved to a managed account' } });
  await page.getByRole('navigation', { name: 'Council' }).getByRole('link', { name: 'Find' }).click();
  await page.waitForURL(new RegExp(`/find\\?asOf=${then}$`));
  assert.equal(await page.getByLabel('As of').inputValue(), then);
  for (const [asOf, status] of [['2026-01-14', 'Active'], ['2026-01-15', 'Closed']]) {
    await page.getByLabel(/^Account id, feed reference/).fill(id);
    await page.getByLabel('As of').fill(asOf);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(new RegExp(`asOf=${asOf}`));
    const match = page.locator('table tbody tr', { hasText: id }).first();
    assert.equal((await match.locator('td').nth(3).textContent()).trim(), status, asOf);
    assert.match(await page.locator('table thead').textContent(), /Status on 1[45] January 2026/);
    assert.match(await match.getByRole('link').getAttribute('href'), new RegExp(`asOf=${asOf}$`));
  }
  await checkAccessible(page, 'find-as-of');

  // Keys: one made and revoked today. Long ago there were none; at the end
  // of tomorrow it is revoked, with nothing to act on in that view.
  const made = await api('POST', '/v1/keys', { displayName: 'Quin Shortlived', role: 'OFFICER', councils: ['demo'] });
  await api('POST', `/v1/${made.apiKey.name}:revoke`, {});
  await page.goto(base + '/admin/keys?asOf=2000-01-01');
  assert.equal(await page.locator('h1').textContent(), 'Keys as of 1 January 2000');
  assert.match(await page.locator('main').textContent(), /No keys then\./);
  const tomorrow = londonDate(1);
  await page.goto(`${base}/admin/keys?revoked=yes&asOf=${tomorrow}`);
  const keys = await api('GET', `/v1/keys?asOfDate=${tomorrow}&showRevoked=true&pageSize=1000`);
  assert.equal(await page.locator('table tbody tr').count(), keys.apiKeys.length);
  const quin = page.locator('table tbody tr', { hasText: 'Quin Shortlived' });
  assert.notEqual((await quin.locator('td').nth(4).textContent()).trim(), '');
  assert.equal(await page.getByRole('button', { name: /^Revoke/ }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Make key' }).count(), 0);
  await checkAccessible(page, 'keys-as-of');
  await page.goto(`${base}/admin/keys?asOf=${tomorrow}`);
  assert.equal(await page.locator('table tbody tr', { hasText: 'Quin Shortlived' }).count(), 0);

  // The access log to the end of a day: nothing yesterday, today's calls today.
  await page.goto(`${base}/admin/access-log?council=councils/demo&asOf=${londonDate(-1)}`);
  assert.match(await page.locator('main').textContent(), /No calls match\./);
  await page.goto(`${base}/admin/access-log?council=councils/demo&asOf=${londonDate(0)}`);
  assert.ok(await page.locator('table tbody tr').count() > 0);
  assert.match(await page.locator('h1').textContent(), /^Access log to the end of /);
  await checkAccessible(page, 'access-log-as-of');

  // Policy: the version in force then, shown, not edited.
  const first = await api('GET', '/v1/councils/demo?asOfDate=2000-01-01');
  await page.goto(base + '/councils/demo/policy?asOf=2000-01-01');
  assert.equal(await page.locator('h1').textContent(), 'Policy as of 1 January 2000');
  assert.equal(await page.getByRole('button', { name: 'Save policy' }).count(), 0);
  const shown = page.locator('.govuk-summary-list__row', { hasText: 'Surplus threshold weeks' });
  assert.equal((await shown.locator('dd').textContent()).trim(), String(first.policy.surplusThresholdWeeks));
  assert.match(await page.locator('main').textContent(), /No policy was recorded before .*: this is the council's first\./);
  await checkAccessible(page, 'policy-as-of');
  await page.goto(`${base}/councils/demo/policy?asOf=${londonDate(1)}`);
  assert.match(await page.locator('main').textContent(), /In force since /);
  await page.close();
});

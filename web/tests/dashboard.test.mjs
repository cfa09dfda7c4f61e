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
  await page.getByRole('link', { name: 'Surplus' }).first().click();
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
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
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

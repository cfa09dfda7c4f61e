// How fast the dashboard's pages load in Chromium, and how much script and
// CSS each ships: bench/dashboard.sh runs it against a server holding the
// benchmark council.
//
//   DPMON_BASE=http://127.0.0.1:8080 DPMON_KEY_FILE=... node web/bench/pages.mjs
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const base = process.env.DPMON_BASE;
const key = readFileSync(process.env.DPMON_KEY_FILE, 'utf8').trim();
const council = process.env.DPMON_COUNCIL || 'bench';
const asOf = process.env.DPMON_AS_OF || '2025-12-31';
const runs = Number(process.env.DPMON_RUNS || 20);
const account = `/councils/${council}/accounts/A0000001`;
const pages = [
  ['Today', `/councils/${council}`],
  ['Flags', `/councils/${council}/flags`],
  ['Flags, surplus', `/councils/${council}/flags?kind=SURPLUS`],
  ['Account', `${account}?asOf=${asOf}`],
  ['Transactions', `${account}/transactions`],
  ['Audits due', `/councils/${council}/audits?asOf=${asOf}`],
  ['Audit pack, a year', `${account}/audit-pack?start=2025-01-01&end=${asOf}`],
  ['Surplus and recoveries', `/councils/${council}/recoveries?asOf=${asOf}`],
  ['Suspense', `/councils/${council}/suspense`],
  ['Find, a name', `/councils/${council}/find?q=smi`],
  ['Policy', `/councils/${council}/policy`],
  ['Keys', '/admin/keys'],
  ['Access log', `/admin/access-log?account=councils/${council}/accounts/A0000001`],
];

const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

const browser = await chromium.launch({
  executablePath: process.env.DPMON_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'],
});
const page = await browser.newPage();
await page.goto(base + '/signin');
await page.getByLabel('Your key').fill(key);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.waitForURL((u) => !u.pathname.endsWith('/signin'));
console.log(`page | p50 ms | p99 ms | max ms | script+CSS gzip bytes`);
let worst = 0;
for (const [name, path] of pages) {
  const assets = new Map();
  const onResponse = async (r) => {
    const type = r.request().resourceType();
    if (type === 'stylesheet' || type === 'script') {
      try { assets.set(r.url(), gzipSync(await r.body()).length); } catch { /* cached */ }
    }
  };
  page.on('response', onResponse);
  const ms = [];
  for (let i = 0; i < runs + 2; i++) {
    const response = await page.goto(base + path, { waitUntil: 'load' });
    if (response.status() !== 200) throw new Error(`${name}: ${response.status()}`);
    const t = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return n.loadEventEnd - n.startTime;
    });
    if (i >= 2) ms.push(t);  // Two to warm the server's caches and the browser's.
  }
  page.off('response', onResponse);
  const bytes = [...assets.values()].reduce((a, b) => a + b, 0);
  worst = Math.max(worst, pct(ms, 0.99));
  console.log(`${name} | ${pct(ms, 0.5).toFixed(0)} | ${pct(ms, 0.99).toFixed(0)} | ${Math.max(...ms).toFixed(0)} | ${bytes}`);
}
await browser.close();
console.log(`slowest page p99: ${worst.toFixed(0)} ms (target < 500 ms)`);

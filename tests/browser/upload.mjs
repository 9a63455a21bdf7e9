// Drive Debian's chromium through upload.html: choose files by their real
// paths (so the browser itself opens and reads them), upload them twice,
// wait for the page to show what the server received, take a screenshot.
//
//   node upload.mjs URL FILES.json SCREENSHOT.png
//
// FILES.json is a JSON list of absolute paths. Prints one JSON object:
// {rounds: [status...], results: [...], errors: [...]}.
// Uses playwright-core only: the browser is /usr/bin/chromium (or
// $CHROMIUM), never a downloaded one.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, filesJson, screenshot] = process.argv.slice(2);
if (!screenshot) {
  console.error('usage: node upload.mjs URL FILES.json SCREENSHOT.png');
  process.exit(2);
}
const paths = JSON.parse(readFileSync(filesJson, 'utf8'));
const ROUNDS = 2;
const errors = [];

// A fresh profile, removed at the end; no network but 127.0.0.1 is used.
const profile = mkdtempSync(join(tmpdir(), 'mintfs-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1100, height: 800 },
  timeout: 30000,
});
let out;
try {
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push('console: ' + m.text());
  });
  page.on('requestfailed', (r) =>
    errors.push('requestfailed: ' + r.url() + ' ' + (r.failure()?.errorText || '')));
  await page.goto(url);
  const rounds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await page.setInputFiles('#files', paths);
    await page.click('#upload');
    await page.waitForFunction(
      (r) => document.getElementById('status').dataset.round === String(r), round);
    rounds.push(await page.textContent('#status'));
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  out = {
    rounds,
    results: await page.evaluate(() => window.results),
    errors,
  };
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));

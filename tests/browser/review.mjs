// The browser test: a person's whole session on the web page of `manga serve`.
//
//   BASE_URL=http://127.0.0.1:8080 TOKEN=<jwt> node review.mjs
//
// Opens the page with the token in the fragment, writes a short Japanese
// story, starts it in review mode and approves every phase as it comes up
// for review; once published, clicks a panel, checks the plan (one panel,
// one page) and confirms the regeneration, approves the new version through
// to publication, reads the book right to left, and downloads the PDF.
// Screenshots go to screenshots/. Exits non-zero with the reason on failure.
//
// Env: BASE_URL, TOKEN (required); CHROMIUM (default /usr/bin/chromium);
// PHASE_TIMEOUT_MS (default 180000); HEADED=1 to watch.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, 'screenshots');
const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const TOKEN = process.env.TOKEN || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PHASE_TIMEOUT = Number(process.env.PHASE_TIMEOUT_MS || 180000);

const STORY = `ハルと雨の鈴

山あいの小さな村に、ハルという少女が住んでいた。その夏、雨は一滴も降らなかった。
「雨はどこへ行ったの？」とハルは渡し守の源蔵さんに尋ねた。
「雲が道に迷っておるのじゃろう」と源蔵さんは空を見上げた。

その夜、森の祠で鈴がひとりでに鳴った。ハルは提灯を持って森へ走った。
「雲さん、村はこっちよ！」とハルが叫ぶと、風が吹き、大粒の雨が降り始めた。`;

if (!BASE_URL || !TOKEN) {
  console.error('review.mjs: set BASE_URL (e.g. http://127.0.0.1:8080) and TOKEN (the JWT that `manga serve` prints after #token=)');
  process.exit(2);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`review.mjs: no Chromium at ${CHROMIUM}; install the Debian package chromium or set CHROMIUM`);
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });

let passed = 0;
let failed = 0;
const problems = [];

function check(condition, what) {
  if (!condition) {
    failed += 1;
    throw new Error(`check failed: ${what}`);
  }
  passed += 1;
  console.log(`  ok  ${what}`);
}

const step = (n) => `[data-testid="phase-step"][data-phase="${n}"]`;
const AWAITING = '[data-testid="phase-step"][data-state="awaiting_review"]';

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: !process.env.HEADED,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, locale: 'ja-JP' });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const origin = new URL(BASE_URL).origin;
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith(origin.replace(/^http/, 'ws'))) {
      problems.push(`the page fetched something outside the server: ${url}`);
    }
  });
  const shot = async (name) => {
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };

  try {
    console.log(`browser test against ${BASE_URL}`);
    // ---- sign in through the fragment, as the printed link does
    await page.goto(`${BASE_URL}/#token=${TOKEN}`);
    await page.waitForSelector('#story-text', { state: 'attached' });
    await page.waitForFunction(() => document.body.classList.contains('signed-in') || !document.getElementById('auth-panel').hidden);
    const authError = await page.$('#auth-panel:not([hidden])');
    check(!authError, `the token is accepted${authError ? `: ${await page.textContent('#auth-error')}` : ''}`);
    check(!(await page.evaluate(() => location.hash.includes('token='))), 'the token is taken out of the address bar');
    check((await page.evaluate(() => localStorage.getItem('manga.token'))) === TOKEN, 'the token is kept in localStorage');

    // ---- a new job in review mode
    await page.evaluate(() => (document.getElementById('new-story').open = true));
    await page.fill('#story-text', STORY);
    await page.selectOption('#mode-select', 'review');
    await page.fill('#pages-input', '2');
    await shot('01-story');
    await page.click('#start-button');
    await page.waitForSelector('#job-view:not([hidden])');
    const jobId = await page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('job'));
    check(Boolean(jobId), `a job was created (${jobId})`);
    await page.waitForSelector('#live-status[data-mode="ws"], #live-status[data-mode="sse"]', { timeout: 15000 });
    console.log(`  ..  live updates over ${await page.getAttribute('#live-status', 'data-mode')}`);

    // ---- approve each phase as it comes up, until published
    await approveUntilPublished(page, shot, 'v1');
    check((await page.getAttribute('#job-version', 'data-version')) === '1', 'the first run is version 1');
    await shot('20-published');

    // ---- regenerate one panel by clicking it, after checking the plan
    await page.click(step(5));
    await page.waitForSelector('#phase-panel[data-phase="5"] img[data-panel]');
    const panel = await page.getAttribute('#phase-panel img[data-panel] >> nth=0', 'data-panel');
    const before = await page.getAttribute(`img[data-panel="${panel}"]`, 'src');
    await page.click(`img[data-panel="${panel}"]`);
    await page.waitForSelector('#change-dialog[open] [data-testid="plan-summary"]');
    const plan = (await page.textContent('[data-testid="plan-summary"]')).trim();
    check(/1 panel, 1 page/.test(plan), `the plan to regenerate ${panel} is one panel on one page ("${plan}")`);
    await shot('21-regenerate-plan');
    await page.click('#change-confirm');
    await page.waitForSelector('#change-dialog', { state: 'hidden' });
    await page.waitForSelector('#job-version[data-version="2"]', { timeout: 15000 });
    check(true, 'confirming makes version 2');
    await shot('22-regenerating');
    await approveUntilPublished(page, shot, 'v2');
    await page.click(step(5));
    await page.waitForSelector(`#phase-panel[data-phase="5"] img[data-panel="${panel}"]`);
    const after = await page.getAttribute(`img[data-panel="${panel}"]`, 'src');
    check(after !== before, `panel ${panel} shows its new image (${after.replace(/access_token=[^&]+/, 'access_token=…')})`);
    const versions = await page.$$eval('[data-testid="version-item"]', (items) => items.map((i) => i.dataset.version));
    check(versions.includes('1') && versions.includes('2'), `the versions list shows v1 and v2 (${versions.join(', ')})`);
    await shot('23-published-v2');

    // ---- read it: Japanese, so right to left; ArrowLeft goes forward
    await page.click('#open-reader');
    await page.waitForSelector('#reader:not([hidden]) #reader-image[src]');
    await page.waitForFunction(() => document.getElementById('reader-image').complete && document.getElementById('reader-image').naturalWidth > 0);
    const pages = Number(await page.getAttribute('#reader', 'data-pages'));
    check(pages >= 1, `the reader has ${pages} page(s)`);
    check((await page.getAttribute('#reader', 'data-direction')) === 'rtl', 'a Japanese book reads right to left');
    await shot('30-reader-page-1');
    if (pages >= 2) {
      await page.keyboard.press('ArrowLeft');
      check((await page.getAttribute('#reader', 'data-page')) === '2', 'the left arrow key turns to page 2');
      check((await page.textContent('#reader-counter')).trim() === `2 / ${pages}`, 'the counter says 2 of the pages');
      await page.waitForFunction(() => document.getElementById('reader-image').complete);
      await shot('31-reader-page-2');
      await page.click('#reader-prev');
      check((await page.getAttribute('#reader', 'data-page')) === '1', 'the previous button goes back to page 1');
      await page.click('#reader-next');
      check((await page.getAttribute('#reader', 'data-page')) === '2', 'the next button goes forward again');
    }
    await page.keyboard.press('Escape');
    await page.waitForSelector('#reader', { state: 'hidden' });

    // ---- download the PDF through its link
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-pdf')]);
    const file = await download.path();
    const head = fs.readFileSync(file).subarray(0, 5).toString('latin1');
    check(head === '%PDF-', `the PDF download starts with %PDF- (${download.suggestedFilename()}, ${fs.statSync(file).size} bytes)`);
    const cbz = await page.getAttribute('#download-cbz', 'href');
    check(Boolean(cbz) && cbz.includes('manga.cbz'), 'the CBZ link is there');

    check(problems.length === 0, `no page errors and nothing fetched from elsewhere${problems.length ? `:\n    ${problems.join('\n    ')}` : ''}`);
  } catch (e) {
    if (!e.message.startsWith('check failed')) failed += 1;
    await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
    const activity = await page.$$eval('#activity li', (items) => items.slice(0, 8).map((i) => i.textContent.trim())).catch(() => []);
    const errors = await page.$$eval('.error:not([hidden])', (items) => items.map((i) => i.textContent.trim()).filter(Boolean)).catch(() => []);
    console.error(`\nFAILED: ${e.message.split('\n')[0]}`);
    if (errors.length) console.error(`errors on the page:\n  ${errors.join('\n  ')}`);
    if (activity.length) console.error(`latest activity:\n  ${activity.join('\n  ')}`);
    if (problems.length) console.error(`page problems:\n  ${problems.join('\n  ')}`);
    console.error(`screenshot: ${path.join(shots, 'failure.png')}`);
  } finally {
    await browser.close();
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

/** Approves whatever phase is awaiting review until the job is published; fails on a failed or cancelled job. */
async function approveUntilPublished(page, shot, label) {
  const approved = [];
  for (let round = 0; round < 24; round++) {
    const next = await page.waitForSelector(
      `${AWAITING}, #job-state[data-state="succeeded"], #job-state[data-state="failed"], #job-state[data-state="cancelled"]`,
      { timeout: PHASE_TIMEOUT },
    ).catch(() => null);
    if (!next) throw new Error(`no phase came up for review within ${PHASE_TIMEOUT / 1000} s (job ${await page.getAttribute('#job-state', 'data-state')})`);
    const jobState = await page.getAttribute('#job-state', 'data-state');
    if (jobState === 'failed' || jobState === 'cancelled') {
      throw new Error(`the job ${jobState}: ${(await page.textContent('#job-error').catch(() => '')) || 'no reason shown'}`);
    }
    if (jobState === 'succeeded' && !(await page.$(AWAITING))) break;
    const n = Number(await next.getAttribute('data-phase'));
    if (!n) continue;
    await page.click(step(n));
    const approve = await page.waitForSelector(`#phase-panel[data-phase="${n}"] #approve-button:not([disabled])`);
    await shot(`${label}-phase-${n}-review`);
    await approve.click();
    await page.waitForFunction(
      (sel) => {
        const el = document.querySelector(sel);
        return el && el.dataset.state !== 'awaiting_review';
      },
      step(n),
      { timeout: 30000 },
    );
    const error = await page.$('#review-error:not([hidden])');
    if (error) throw new Error(`approving phase ${n} failed: ${await error.textContent()}`);
    approved.push(n);
  }
  await page.waitForSelector('#job-state[data-state="succeeded"]', { timeout: PHASE_TIMEOUT });
  check(approved.length > 0, `${label}: approved phases ${approved.join(', ')} and the job is published`);
  const pdf = await page.getAttribute('#download-pdf', 'href');
  check(Boolean(pdf) && pdf.includes('access_token='), `${label}: the PDF link carries the token`);
}

main();

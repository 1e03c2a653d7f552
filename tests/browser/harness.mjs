// Shared setup for the browser tests: a static server for the repo root plus one headless
// Chromium (playwright-core) per test file.
//
//   import { useBrowser } from './harness.mjs';
//   const b = useBrowser();                 // registers before/after hooks
//   test('...', async () => {
//     const page = await b.openHebb();      // page with window.tf = await import('/dist/hebb.js')
//     const r = await page.evaluate(async () => { ... tf ... });
//   });
//
// Page console errors/warnings and uncaught page errors are forwarded to stderr (so they show up
// in the test output) and collected on `page.hebbErrors` for tests that want to assert on them.
import { before, after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve-lib.mjs';
import { BASE_ARGS, WEBGPU_ARGS } from '../../scripts/chromium.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

// --expose-gc lets a test force garbage collection to check that forgotten tensors are freed.
export const CHROME_ARGS = [...BASE_ARGS, ...WEBGPU_ARGS, '--js-flags=--expose-gc'];

/** Generous per-test timeout (ms) for anything that trains. */
export const TRAIN_TIMEOUT = 90_000;

function checkBuilt() {
  for (const f of ['dist/hebb.js', 'dist/hebb_bg.wasm']) {
    if (!fs.existsSync(path.join(ROOT, f))) {
      throw new Error(`${f} is missing: build the library first with \`bash scripts/build.sh\``);
    }
  }
}

/**
 * Starts the server and the browser.
 * @returns {Promise<{url: string, context: import('playwright-core').BrowserContext,
 *   openPage(p?: string, opts?: {waitFor?: string}): Promise<import('playwright-core').Page>,
 *   openHebb(): Promise<import('playwright-core').Page>, openTfjs(): Promise<import('playwright-core').Page>,
 *   close(): Promise<void>}>}
 */
export async function startBrowser({ label = 'browser', webgpu = true } = {}) {
  checkBuilt();
  const server = await serve(ROOT, 0);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hebb-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
      headless: true,
      // Without the WebGPU (SwiftShader GL) flags, frames are cheap: pages that animate while
      // training, like the playground, render at full rate.
      args: webgpu ? CHROME_ARGS : [...BASE_ARGS, '--js-flags=--expose-gc'],
      viewport: { width: 1280, height: 860 },
    });
  } catch (e) {
    await server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(60_000);

  const openPage = async (p = '/tests/browser/page.html', { waitFor } = {}) => {
    const page = await context.newPage();
    page.hebbErrors = [];
    const tag = `[${label} ${p}]`;
    page.on('console', (msg) => {
      const type = msg.type();
      if (type === 'error' || type === 'warning') {
        process.stderr.write(`${tag} console.${type}: ${msg.text()}\n`);
        if (type === 'error') page.hebbErrors.push(msg.text());
      }
    });
    page.on('pageerror', (err) => {
      process.stderr.write(`${tag} pageerror: ${err.stack || err.message}\n`);
      page.hebbErrors.push(String(err.message));
    });
    page.on('crash', () => process.stderr.write(`${tag} page crashed\n`));
    await page.goto(new URL(p.replace(/^\//, ''), server.url).href);
    if (waitFor) await page.waitForFunction(waitFor, null, { timeout: 60_000 });
    return page;
  };

  const openHebb = async () => {
    const page = await openPage('/tests/browser/page.html');
    await page.waitForFunction(() => window.hebbReady || window.hebbLoadError, null, { timeout: 60_000 });
    const err = await page.evaluate(() => window.hebbLoadError);
    if (err) throw new Error(`loading /dist/hebb.js failed: ${err}`);
    return page;
  };

  const openTfjs = async () => {
    const page = await openPage('/tests/browser/tfjs.html');
    await page.waitForFunction(() => window.tf && window.tf.version, null, { timeout: 60_000 });
    await page.evaluate(async () => {
      await window.tf.setBackend('cpu');
      await window.tf.ready();
    });
    return page;
  };

  const close = async () => {
    try { await context.close(); } catch { /* already gone */ }
    await server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };

  return { url: server.url, context, openPage, openHebb, openTfjs, close };
}

/**
 * Registers before/after hooks that start one browser for the current test file. The returned
 * object forwards to the started browser (openPage, openHebb, openTfjs, url, context).
 */
export function useBrowser(opts) {
  let b = null;
  before(async () => { b = await startBrowser(opts); }, { timeout: 90_000 });
  after(async () => { if (b) await b.close(); }, { timeout: 30_000 });
  const need = () => {
    if (!b) throw new Error('the browser did not start (see the before hook)');
    return b;
  };
  return {
    get url() { return need().url; },
    get context() { return need().context; },
    openPage: (...a) => need().openPage(...a),
    openHebb: () => need().openHebb(),
    openTfjs: () => need().openTfjs(),
  };
}

/** Saves a screenshot under test-artifacts/ and returns its path. */
export async function screenshot(page, name, opts = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, ...opts });
  return file;
}

/**
 * Source of helpers injected into pages with `page.addInitScript` / `page.evaluate`:
 * a seeded PRNG (mulberry32) and spiral / sine data generators, defined on window.T.
 */
export const PAGE_HELPERS = `
window.T = {
  rng(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6D2B79F5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  },
  gauss(rand) {
    const u = Math.max(rand(), 1e-12), v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  },
  // n points split evenly over k spiral arms; returns {x: number[][], label: number[]}
  spiral(n, k, noise, seed) {
    const rand = T.rng(seed);
    const x = [], label = [];
    const per = Math.floor(n / k);
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < per; i++) {
        const r = i / per;
        const t = c * 2 * Math.PI / k + r * 1.75 * 2 * Math.PI + noise * T.gauss(rand);
        x.push([r * Math.sin(t), r * Math.cos(t)]);
        label.push(c);
      }
    }
    return { x, label };
  },
};
`;

/** Opens a Hebb page with the PAGE_HELPERS (window.T) installed. */
export async function openHebbWithHelpers(b) {
  const page = await b.openHebb();
  await page.evaluate(PAGE_HELPERS);
  return page;
}

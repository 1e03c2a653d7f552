#!/usr/bin/env node
// Runs bench/index.html in headless Chromium (playwright-core) and reports the results.
//   node bench/run.mjs [--quick] [--engines=tfjs-cpu,tfjs-wasm,hebb,hebb-webgpu,tfjs-webgpu,tfjs-webgl] [--headed]
// (default: all engines). Chromium gets the WebGPU-on-SwiftShader flags (scripts/chromium.mjs).
// Env: CHROME_PATH (default /usr/bin/chromium), BENCH_TIMEOUT_MS (default 600000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../scripts/serve-lib.mjs';
import { BASE_ARGS, WEBGPU_ARGS } from '../scripts/chromium.mjs';
import { formatResults } from './format.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const headed = argv.includes('--headed');
const enginesArg = argv.find((a) => a.startsWith('--engines='));
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS || 1_800_000);
const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium';

async function main() {
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath} (set CHROME_PATH)`);
  }
  if (!fs.existsSync(path.join(root, 'dist', 'hebb.js'))) {
    console.log('note: dist/hebb.js not found — Hebb rows will be skipped ("Hebb: not built").');
  }
  const srv = await serve(root, 0);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hebb-bench-'));
  let context;
  let exitCode = 0;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: !headed,
      args: [...BASE_ARGS, ...WEBGPU_ARGS],
    });
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (msg) => console.log(`[page] ${msg.type() === 'log' ? '' : msg.type() + ': '}${msg.text()}`));
    page.on('pageerror', (err) => console.log(`[page] uncaught: ${err.message}`));
    page.on('requestfailed', (req) => {
      // The HEAD probe for dist/hebb.js is expected to fail when Hebb is not built.
      if (req.method() !== 'HEAD') console.log(`[page] request failed: ${req.url()} ${req.failure()?.errorText}`);
    });
    page.on('crash', () => console.log('[page] crashed'));

    const qs = new URLSearchParams();
    if (quick) qs.set('quick', '1');
    if (enginesArg) qs.set('engines', enginesArg.slice('--engines='.length));
    const url = `${srv.url}bench/index.html${qs.toString() ? '?' + qs : ''}`;
    console.log(`bench: ${url}  (browser: ${context.browser()?.version() ?? 'chromium'}, timeout ${timeoutMs / 1000} s)`);
    const t0 = Date.now();
    const loadavgAtStart = os.loadavg();
    if (loadavgAtStart[0] > os.cpus().length * 0.75) {
      console.log(`note: load average ${loadavgAtStart[0].toFixed(2)} on ${os.cpus().length} CPUs — timings will be noisy`);
    }
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.benchDone === true, null, { timeout: timeoutMs, polling: 500 });
    const results = await page.evaluate(() => window.benchResults);
    const pageError = await page.evaluate(() => window.benchError || null);
    results.browserVersion = context.browser()?.version() ?? null;
    results.host = { platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, loadavgAtStart, loadavgAtEnd: os.loadavg() };
    const hebbJs = path.join(root, 'dist', 'hebb.js');
    const hebbWasm = path.join(root, 'dist', 'hebb_bg.wasm');
    if (fs.existsSync(hebbJs)) {
      results.hebbBuild = {
        'hebb.js': { bytes: fs.statSync(hebbJs).size, mtime: fs.statSync(hebbJs).mtime.toISOString() },
        'hebb_bg.wasm': fs.existsSync(hebbWasm) ? { bytes: fs.statSync(hebbWasm).size, mtime: fs.statSync(hebbWasm).mtime.toISOString() } : null,
      };
    }
    results.wallSeconds = (Date.now() - t0) / 1000;

    console.log('\n' + formatResults(results) + '\n');
    const outDir = path.join(root, 'bench-results');
    fs.mkdirSync(outDir, { recursive: true });
    const outFile = path.join(outDir, 'latest.json');
    fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
    console.log(`wrote ${path.relative(process.cwd(), outFile) || outFile} (${results.wallSeconds.toFixed(1)} s)`);

    if (pageError || (results.errors && results.errors.length)) {
      console.error(`bench: page reported ${results.errors?.length || 1} error(s)`);
      exitCode = 1;
    }
  } finally {
    if (context) await context.close().catch(() => {});
    await srv.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('bench failed:', err && err.stack ? err.stack : err);
    process.exit(1);
  }
);

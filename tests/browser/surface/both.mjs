// Helpers of the browser tests that load TF.js 4.22 beside Hebb in one page
// (tests/browser/surface/page.html: TF.js as window.tfjs, Hebb as window.tf).
import assert from 'node:assert/strict';

/** Opens the page with both libraries loaded; `b` is the file's useBrowser(). */
export async function openBoth(b) {
  const page = await b.openPage('/tests/browser/surface/page.html');
  await page.waitForFunction(() => window.hebbReady || window.hebbLoadError, null, { timeout: 60_000 });
  const err = await page.evaluate(() => window.hebbLoadError);
  assert.equal(err, undefined, `loading the page failed: ${err}`);
  return page;
}

/** The first place two JSON values differ, as 'path: a vs b' (for readable failures). */
export function firstDiff(a, b, at = '') {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDiff(a[k], b[k], `${at}.${k}`);
      if (d) return d;
    }
  }
  return `${at || '(top)'}: Hebb ${JSON.stringify(a)} vs TF.js ${JSON.stringify(b)}`;
}

/** A JSON value with every object's keys sorted (configs compare regardless of key order). */
export const sortKeys = (v) => JSON.parse(JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((kk) => [kk, x[kk]])) : x)));

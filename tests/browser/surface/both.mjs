// Helpers of the browser tests that load TF.js 4.22 beside Hebb in one page
// (tests/browser/surface/page.html: TF.js as window.tfjs, Hebb as window.tf).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../harness.mjs';

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

function readList(file) {
  const entries = [];
  for (const line of fs.readFileSync(path.join(ROOT, 'tests/browser/surface', file), 'utf8').split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^(\S+?):\s+(.+)$/.exec(t);
    assert.ok(m, `${file}: '${t}' is not 'name: reason'`);
    const [subject, member] = m[1].includes('#') ? m[1].split('#') : [null, m[1]];
    entries.push({ key: m[1], subject, member, reason: m[2], used: false });
  }
  return entries;
}

function match(list, subject, member) {
  const e = list.find((x) => (x.subject === null || x.subject === subject) && (x.member === member || x.member === '*'));
  if (e) e.used = true;
  return e;
}

/**
 * The surface check: every public member TF.js 4.22 has on the subjects of `which` ('layers' or
 * 'ops', see members.js) is in Hebb, except the entries of `excludedFile` (internals, each with
 * its reason) and of `pendingFile` (not done yet). A pending entry Hebb now has fails too, so the
 * list only shrinks; so does an exclusion nothing needs. Prints the counts.
 */
export async function checkSurface(b, which, excludedFile, pendingFile) {
  const page = await openBoth(b);
  const report = await page.evaluate((w) => window.surface.compare(window.tfjs, window.tf, w), which);
  const excluded = readList(excludedFile);
  const pending = readList(pendingFile);
  let total = 0;
  let present = 0;
  let nExcluded = 0;
  let nPending = 0;
  const missing = [];
  for (const [subject, r] of Object.entries(report)) {
    assert.ok(r.members, `${subject}: TF.js could not build it: ${r.error}`);
    total += r.members.length;
    present += r.members.length - r.missing.length;
    for (const member of r.missing) {
      if (match(excluded, subject, member)) nExcluded++;
      else if (match(pending, subject, member)) nPending++;
      else missing.push(`${subject}#${member}${r.error ? ` (${r.error})` : ''}`);
    }
  }
  console.log(`TF.js ${which} surface: ${total} members over ${Object.keys(report).length} objects; present ${present}, excluded ${nExcluded}, pending ${nPending}, missing ${missing.length}`);
  assert.deepEqual(missing, [], `members TF.js has and Hebb lacks (implement them, or list an internal in ${excludedFile} with its reason):\n${missing.join('\n')}`);
  const stale = pending.filter((e) => !e.used).map((e) => e.key);
  assert.deepEqual(stale, [], `${pendingFile} lists members Hebb now has: remove them\n${stale.join('\n')}`);
  const unusedExcluded = excluded.filter((e) => !e.used).map((e) => e.key);
  assert.deepEqual(unusedExcluded, [], `${excludedFile} lists members nothing lacks: remove them\n${unusedExcluded.join('\n')}`);
}

/** Compares two results: {shape, dtype, values} records, plain JSON, or {error}. */
export function same(name, got, want) {
  if (want && want.error !== undefined) {
    assert.ok(got && got.error !== undefined, `${name}: TF.js throws '${want.error}', Hebb returned ${JSON.stringify(got)}`);
    return;
  }
  assert.ok(!(got && got.error !== undefined), `${name}: Hebb threw '${got?.error}'`);
  if (want && want.values !== undefined && want.shape !== undefined) {
    assert.deepEqual(got.shape, want.shape, `${name}: shape`);
    assert.equal(got.dtype, want.dtype, `${name}: dtype`);
    want.values.forEach((v, i) => {
      const g = got.values[i];
      const ok = want.dtype === 'float32' || want.dtype === 'complex64' ? Math.abs(g - v) <= 1e-5 * Math.max(1, Math.abs(v)) : g === v;
      assert.ok(ok, `${name}: value ${i}: Hebb ${g}, TF.js ${v}`);
    });
    return;
  }
  assert.deepEqual(got, want, name);
}

/**
 * The page with both libraries (`b`: the file's useBrowser()), and `window.onBoth(run)`: `run(lib)` on TF.js, then on Hebb on
 * the CPU and on WebGPU; resolves to {want, got: {cpu, webgpu}}.
 */
export async function openWithBackends(b) {
  const page = await openBoth(b);
  await page.evaluate(() => {
    window.onBoth = async (run) => {
      const want = await run(window.tfjs);
      const got = {};
      for (const backend of ['cpu', 'webgpu']) {
        await window.tf.setBackend(backend);
        got[backend] = await run(window.tf);
      }
      return { want, got };
    };
  });
  return page;
}

/**
 * Checks every backend's results in `r` ({want, got: {backend: results}}) against TF.js's: each
 * named list of results with `same`, and the `errors` record exactly.
 */
export function sameAll(r) {
  for (const [backend, got] of Object.entries(r.got)) {
    for (const [name, want] of Object.entries(r.want)) {
      if (name === 'errors') {
        assert.deepEqual(got[name], want, `${backend}: errors`);
        continue;
      }
      assert.equal(got[name]?.length, want.length, `${backend}: ${name}: number of results`);
      want.forEach((w, i) => same(`${backend}: ${name} [${i}]`, got[name][i], w));
    }
  }
}

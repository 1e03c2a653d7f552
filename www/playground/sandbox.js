// Sandbox side of the playground. Bundled on its own (IIFE) by
// scripts/build-playground.mjs and inlined into the srcdoc of an
// <iframe sandbox="allow-scripts">. It receives the library source (and wasm
// bytes) from the parent, loads it from a Blob URL, installs `tf`, `hebb` and
// `pg` globals, runs the user's program as a module and reports console
// output, errors and training progress back with postMessage.

import { makePg } from './data.js';
import { createFitWatcher } from './watch.js';

/** Lines the runner adds before the user's code (none: the module is the code). */
const LINE_OFFSET = 0;

const MAX_LOG_CHARS = 20000;

const post = (msg, transfer = []) => parent.postMessage(msg, '*', transfer);

let userUrl = '';
let libUrl = '';
let libName = 'hebb.js';
let started = false;
let moduleSettled = false;
let hadError = false;
let finishedSent = false;
let stopRequested = false;
const activeModels = new Set();
let backupKey = null; // the run key each fit checkpoints under (null: no automatic backups)
let fitCount = 0;
let lastModel = null; // the model the program trained last (the Download button's)

// ------------------------------------------------------------ checkpoints

// The sandbox has an opaque origin and so no IndexedDB: BackupAndRestore's checkpoints are kept
// by the parent page (www/playground/checkpoints.js), asked by postMessage.
const ckptWaiters = new Map();
let ckptId = 0;
function ckpt(op, key, artifacts) {
  return new Promise((resolve, reject) => {
    const id = ++ckptId;
    ckptWaiters.set(id, { resolve, reject });
    post({ type: 'ckpt', op, id, key, artifacts });
  });
}
// A checkpoint that cannot be kept (storage full, private mode) must not stop the program's
// training: it is reported once and training goes on without it.
let ckptWarned = false;
const ckptFailed = (what) => (err) => {
  if (!ckptWarned) {
    ckptWarned = true;
    console.warn(`Training checkpoints are off: the page could not ${what} one (${err && err.message ? err.message : err}).`);
  }
  return null;
};
const parentStore = {
  load: (key) => ckpt('load', key).catch(ckptFailed('read')),
  save: (key, artifacts) => ckpt('save', key, artifacts).catch(ckptFailed('save')),
  remove: (key) => ckpt('remove', key).catch(ckptFailed('remove')),
};

// ---------------------------------------------------------------- formatting

/** Rewrite a stack trace so frames point at "line N" of the user's code. */
function mapStack(stack) {
  if (!stack) return '';
  const out = [];
  for (const raw of String(stack).split('\n')) {
    if (raw.includes('about:srcdoc')) continue; // playground internals
    let line = raw;
    if (userUrl && line.includes(userUrl)) {
      line = line.replace(new RegExp(escapeRe(userUrl) + ':(\\d+):(\\d+)', 'g'),
        (_, l, c) => `line ${Number(l) - LINE_OFFSET}:${c}`);
    }
    if (libUrl && line.includes(libUrl)) line = line.split(libUrl).join(libName);
    out.push(line);
  }
  return out.join('\n');
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** First line number in the user's code mentioned by a stack trace, or 0. */
function userLineOf(stack) {
  if (!stack || !userUrl) return 0;
  const m = new RegExp(escapeRe(userUrl) + ':(\\d+):(\\d+)').exec(String(stack));
  return m ? Number(m[1]) - LINE_OFFSET : 0;
}

function formatValue(v, depth, seen) {
  if (typeof v === 'string') return depth === 0 ? v : JSON.stringify(v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'function') return `ƒ ${v.name || 'anonymous'}()`;
  if (v instanceof Error) return mapStack(v.stack) || `${v.name}: ${v.message}`;
  if (seen.has(v)) return '[Circular]';
  // Tensors and similar objects with a meaningful custom toString().
  if (Array.isArray(v.shape) && typeof v.toString === 'function' && v.toString !== Object.prototype.toString) {
    try { return v.toString(); } catch { /* fall through */ }
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const items = Array.from(v.slice(0, 20), (x) => formatValue(x, depth + 1, seen));
    if (v.length > 20) items.push(`… ${v.length - 20} more`);
    return `${v.constructor.name}(${v.length}) [${items.join(', ')}]`;
  }
  if (depth > 2) return Array.isArray(v) ? '[…]' : '{…}';
  seen.add(v);
  try {
    if (Array.isArray(v)) {
      const items = v.slice(0, 50).map((x) => formatValue(x, depth + 1, seen));
      if (v.length > 50) items.push(`… ${v.length - 50} more`);
      return `[${items.join(', ')}]`;
    }
    if (v instanceof Map) {
      return `Map(${v.size}) {${[...v].slice(0, 30).map(([k, x]) => `${formatValue(k, depth + 1, seen)} => ${formatValue(x, depth + 1, seen)}`).join(', ')}}`;
    }
    if (v instanceof Set) return `Set(${v.size}) {${[...v].slice(0, 30).map((x) => formatValue(x, depth + 1, seen)).join(', ')}}`;
    const keys = Object.keys(v);
    const body = keys.slice(0, 30).map((k) => {
      let item;
      try { item = formatValue(v[k], depth + 1, seen); } catch { item = '[unreadable]'; }
      return `${k}: ${item}`;
    });
    if (keys.length > 30) body.push('…');
    const name = v.constructor && v.constructor !== Object ? `${v.constructor.name} ` : '';
    return `${name}{${body.join(', ')}}`;
  } finally {
    seen.delete(v);
  }
}

/** Join console arguments the way browsers roughly do (with %s/%d/%o support). */
function formatArgs(args) {
  const parts = [];
  let rest = args;
  if (typeof args[0] === 'string' && /%[sdifoOc]/.test(args[0]) && args.length > 1) {
    let i = 1;
    const head = args[0].replace(/%([sdifoOc])/g, (m, f) => {
      if (i >= args.length) return m;
      const a = args[i++];
      if (f === 'c') return '';
      if (f === 'd' || f === 'i') return String(parseInt(a, 10));
      if (f === 'f') return String(Number(a));
      if (f === 's') return typeof a === 'string' ? a : formatValue(a, 1, new Set());
      return formatValue(a, 1, new Set());
    });
    parts.push(head);
    rest = args.slice(i);
  } else {
    parts.push(...(args.length ? [formatValue(args[0], 0, new Set())] : []));
    rest = args.slice(1);
  }
  for (const a of rest) parts.push(formatValue(a, 0, new Set()));
  const text = parts.join(' ');
  return text.length > MAX_LOG_CHARS ? `${text.slice(0, MAX_LOG_CHARS)}… (${text.length - MAX_LOG_CHARS} more characters)` : text;
}

// ------------------------------------------------------- console and errors

for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    original(...args);
    let text;
    try { text = formatArgs(args); } catch (e) { text = `[unprintable value: ${e && e.message}]`; }
    post({ type: 'log', level: level === 'debug' ? 'log' : level, text });
  };
}

/** Report an uncaught error; `line` is a 1-based line in the user's code or 0. */
function reportError(message, line, col, stack) {
  hadError = true;
  post({ type: 'error', message: String(message).replace(/^Uncaught /, ''), line, col, stack: mapStack(stack) });
}

const probeUrls = new Set(); // module URLs loaded only to locate a syntax error

addEventListener('error', (e) => {
  if (probeUrls.has(e.filename)) return;
  const err = e.error;
  let line = 0;
  let col = 0;
  if (userUrl && e.filename === userUrl) {
    line = e.lineno - LINE_OFFSET;
    col = e.colno;
  } else if (err && err.stack) {
    line = userLineOf(err.stack);
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : e.message;
  reportError(message, line, col, err && err.stack);
  e.preventDefault();
});

addEventListener('unhandledrejection', (e) => {
  const r = e.reason;
  const message = r instanceof Error ? `${r.name}: ${r.message}` : `Unhandled promise rejection: ${formatValue(r, 0, new Set())}`;
  reportError(message, r && r.stack ? userLineOf(r.stack) : 0, 0, r && r.stack);
  e.preventDefault();
});

// ------------------------------------------------------------ tf namespace

const FIT_WRAPPED = Symbol('pgFitWrapped');

function wrapFit(tfns, originalFit) {
  async function fit(x, y, args = {}) {
    // Sequential.fit delegates to an inner LayersModel.fit: watch only once.
    if (args && createFitWatcher.isWatched(args.callbacks)) return originalFit.call(this, x, y, args);
    const model = this;
    lastModel = model;
    const fitIndex = fitCount++;
    let backup = null;
    if (backupKey && typeof tfns.BackupAndRestore === 'function') {
      // Every fit checkpoints (at most every 2 s) so a reload can resume it; a fit that ends
      // deletes its checkpoint.
      backup = new tfns.BackupAndRestore({ backupDir: `${backupKey}#fit${fitIndex}`, saveFreq: false, saveEverySeconds: 2 });
      const b = backup;
      backup.onTrainBegin = () => {
        if (b.restoredEpoch != null) post({ type: 'resumed', fit: fitIndex, epoch: b.restoredEpoch });
      };
    }
    const watcher = createFitWatcher({
      tf: tfns, model, x, y, args: args || {}, post,
      shouldStop: () => stopRequested,
    });
    activeModels.add(model);
    try {
      try {
        await watcher.prepare();
      } catch (err) {
        // Never let the playground's own bookkeeping change fit()'s outcome;
        // the library reports bad inputs itself.
        console.debug('playground: cannot visualise this fit():', err);
      }
      let callbacks = watcher.mergeCallbacks(args && args.callbacks);
      if (backup) callbacks = [backup, ...(Array.isArray(callbacks) ? callbacks : callbacks == null ? [] : [callbacks])];
      const history = await originalFit.call(model, x, y, { ...args, callbacks });
      await watcher.finish();
      return history;
    } finally {
      activeModels.delete(model);
      maybeFinish();
    }
  }
  fit[FIT_WRAPPED] = true;
  return fit;
}

function patchPrototypeChain(tfns, obj) {
  for (let p = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, 'fit');
    if (d && typeof d.value === 'function' && !d.value[FIT_WRAPPED]) {
      Object.defineProperty(p, 'fit', { ...d, value: wrapFit(tfns, d.value) });
    }
  }
}

/**
 * Copy the library namespace into a plain object (module namespaces are
 * frozen) and make sure every model's fit() is watched.
 */
function wrapNamespace(ns) {
  const tf = { ...ns };
  for (const cls of [ns.LayersModel, ns.Sequential]) {
    if (typeof cls === 'function' && cls.prototype) patchPrototypeChain(tf, cls.prototype);
  }
  const patchModel = (m) => {
    if (m && typeof m === 'object') patchPrototypeChain(tf, m);
    return m;
  };
  for (const name of ['sequential', 'model', 'loadLayersModel']) {
    const f = ns[name];
    if (typeof f !== 'function') continue;
    tf[name] = function (...a) {
      const r = f.apply(ns, a);
      return r && typeof r.then === 'function' ? r.then(patchModel) : patchModel(r);
    };
  }
  return tf;
}

// ----------------------------------------------------------------- running

function maybeFinish() {
  if (finishedSent || !moduleSettled || activeModels.size > 0) return;
  finishedSent = true;
  post({ type: 'finished', ok: !hadError });
}

/** Parse errors from import() carry no location; a module <script> reports it. */
function locateSyntaxError(code) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
    probeUrls.add(url);
    const onError = (e) => {
      if (e.filename !== url) return;
      e.preventDefault();
      done({ line: e.lineno - LINE_OFFSET, col: e.colno });
    };
    const done = (loc) => {
      removeEventListener('error', onError, true);
      resolve(loc);
    };
    addEventListener('error', onError, true);
    const s = document.createElement('script');
    s.type = 'module';
    s.src = url;
    document.head.append(s);
    setTimeout(() => done(null), 2000);
  });
}

/**
 * Let programs copied from TF.js examples `import * as tf from
 * '@tensorflow/tfjs'` (or from 'hebb'): both resolve to a shim module that
 * re-exports the library with the watched model factories. Must run before
 * the first module import of the document.
 */
function installImportMap(url) {
  if (!(HTMLScriptElement.supports && HTMLScriptElement.supports('importmap'))) return;
  const names = ['sequential', 'model', 'loadLayersModel'];
  const shim = [
    `export * from ${JSON.stringify(url)};`,
    'const tf = globalThis.tf;',
    'export default tf;',
    ...names.map((n) => `export const ${n} = tf.${n};`),
  ].join('\n');
  const shimUrl = URL.createObjectURL(new Blob([shim], { type: 'text/javascript' }));
  const map = document.createElement('script');
  map.type = 'importmap';
  map.textContent = JSON.stringify({ imports: { hebb: shimUrl, '@tensorflow/tfjs': shimUrl } });
  document.head.append(map);
}

async function runProgram({ lib, code, backup }) {
  backupKey = typeof backup === 'string' && backup ? backup : null;
  try {
    if (lib.wasm) globalThis.HEBB_WASM = lib.wasm;
    libName = lib.name || 'hebb.js';
    libUrl = URL.createObjectURL(new Blob([lib.js], { type: 'text/javascript' }));
    installImportMap(libUrl);
    const ns = await import(libUrl);
    if (lib.backend && typeof ns.setBackend === 'function') {
      if (!(await ns.setBackend(lib.backend))) console.warn(`backend "${lib.backend}" is not available`);
    }
    if (typeof ns.ready === 'function') await ns.ready();
    if (typeof ns.BackupAndRestore === 'function') ns.BackupAndRestore.store = parentStore;
    const tf = wrapNamespace(ns);
    globalThis.tf = tf;
    globalThis.hebb = tf;
    globalThis.pg = makePg(tf);
    let backend = '?';
    try { backend = String(tf.getBackend()); } catch { /* older builds */ }
    post({ type: 'backend', name: backend });
  } catch (err) {
    reportError(`Could not load ${libName}: ${err && err.message ? err.message : err}`, 0, 0, err && err.stack);
    moduleSettled = true;
    maybeFinish();
    return;
  }

  userUrl = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  post({ type: 'started' });
  try {
    await import(userUrl);
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : `Uncaught ${formatValue(err, 0, new Set())}`;
    const stack = err && err.stack;
    let line = userLineOf(stack);
    let col = 0;
    if (err instanceof SyntaxError && !line && String(stack).split('\n').length < 2) {
      const loc = await locateSyntaxError(code);
      if (loc) ({ line, col } = loc);
    }
    reportError(message, line, col, stack);
  }
  moduleSettled = true;
  maybeFinish();
}

addEventListener('message', (e) => {
  if (e.source !== parent) return;
  const msg = e.data || {};
  if (msg.type === 'run' && !started) {
    started = true;
    runProgram(msg);
  } else if (msg.type === 'ckpt-reply') {
    const w = ckptWaiters.get(msg.id);
    ckptWaiters.delete(msg.id);
    if (w) (msg.error ? w.reject(new Error(msg.error)) : w.resolve(msg.result));
  } else if (msg.type === 'export') {
    exportModel(msg.id);
  } else if (msg.type === 'stop') {
    stopRequested = true;
    for (const m of activeModels) {
      try { m.stopTraining = true; } catch (err) { console.warn('could not stop training:', err); }
    }
  }
});

/** Sends the last trained model's artifacts (with its optimizer state) to the page. */
async function exportModel(id) {
  try {
    if (!lastModel) throw new Error('this run has not trained a model (no fit call yet)');
    let artifacts = null;
    const tf = globalThis.tf;
    await lastModel.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
    post({ type: 'export-result', id, artifacts, name: lastModel.name });
  } catch (err) {
    post({ type: 'export-result', id, error: String(err && err.message ? err.message : err) });
  }
}

post({ type: 'ready' });

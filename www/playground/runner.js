// Parent side of the sandbox: fetches the library once, creates a fresh
// <iframe sandbox="allow-scripts"> per run, hands it the library + program and
// relays its messages. The iframe has an opaque origin, so it never touches
// the page's DOM, storage or cookies; everything crosses via postMessage.

import sandboxSource from 'virtual:sandbox';
import * as checkpoints from './checkpoints.js';

const STOP_GRACE_MS = 1500;

/** Library sources the playground can run programs against. */
export const LIBRARIES = {
  hebb: { name: 'hebb.js', js: 'dist/hebb.js', wasm: 'dist/hebb_bg.wasm' },
  // Reference implementation for development; CPU backend unless ?backend= says otherwise.
  tfjs: { name: 'tf.js', js: 'node_modules/@tensorflow/tfjs/dist/tf.fesm.min.js', wasm: null, backend: 'cpu' },
};

async function fetchOk(url, kind) {
  const res = await fetch(url, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`GET ${url} failed: HTTP ${res.status}`);
  return kind === 'text' ? res.text() : res.arrayBuffer();
}

function srcdoc() {
  const js = sandboxSource.replace(/<\/(script)/gi, '<\\/$1');
  return `<!doctype html><html><head><meta charset="utf-8"><title>sandbox</title></head><body><script>${js}</script></body></html>`;
}

/**
 * Create the runner that owns the sandbox iframe.
 * @param {object} opts
 * @param {string} [opts.library='hebb'] key of LIBRARIES
 * @param {string} [opts.backend] backend to select with tf.setBackend() before the program runs
 * @param {HTMLElement} [opts.host=document.body] where the (invisible) iframe lives
 * @param {(msg: object) => void} opts.onMessage every sandbox message
 *   (log, error, backend, fit, data, progress, epoch, viz, ...)
 * @param {(state: string) => void} opts.onState 'idle'|'running'|'done'|'error'
 * @param {(level: string, text: string) => void} opts.onNotice playground's own notes
 * @returns {{run(code: string): Promise<string>, stop(): Promise<string>, readonly state: string}}
 */
export function createRunner({ library = 'hebb', backend = '', host = document.body, onMessage, onState, onNotice }) {
  const lib = LIBRARIES[library];
  if (!lib) throw new Error(`unknown library "${library}" (expected ${Object.keys(LIBRARIES).join(' or ')})`);
  let libPromise = null;
  let state = 'idle';
  let frame = null;
  let stopTimer = 0;
  let stopping = false;
  let waiters = [];
  const exportWaiters = new Map();
  let exportId = 0;

  const setState = (s) => {
    state = s;
    onState(s);
    if (s !== 'running') {
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve(s);
    }
  };

  function loadLibrary() {
    if (!libPromise) {
      const base = document.baseURI;
      libPromise = Promise.all([
        fetchOk(new URL(lib.js, base), 'text'),
        lib.wasm ? fetchOk(new URL(lib.wasm, base), 'binary') : null,
      ]).then(([js, wasm]) => ({ name: lib.name, js, wasm }));
      libPromise.catch(() => { libPromise = null; }); // retry on next run
    }
    return libPromise;
  }

  function destroyFrame() {
    clearTimeout(stopTimer);
    if (frame) frame.remove();
    frame = null;
  }

  function handle(e) {
    if (!frame || e.source !== frame.contentWindow) return;
    const msg = e.data;
    if (!msg || typeof msg.type !== 'string') return;
    if (msg.type === 'ready') {
      const { payload } = frame;
      frame.payload = null;
      if (payload) frame.contentWindow.postMessage({ type: 'run', ...payload }, '*');
      return;
    }
    if (msg.type === 'ckpt') {
      // The sandbox's BackupAndRestore keeps its checkpoints in this page's IndexedDB.
      const op = { load: () => checkpoints.load(msg.key), save: () => checkpoints.save(msg.key, msg.artifacts), remove: () => checkpoints.remove(msg.key) }[msg.op];
      const src = e.source;
      Promise.resolve(op ? op() : Promise.reject(new Error(`unknown checkpoint operation ${msg.op}`)))
        .then((result) => src.postMessage({ type: 'ckpt-reply', id: msg.id, result: result ?? null }, '*'),
          (err) => src.postMessage({ type: 'ckpt-reply', id: msg.id, error: String(err?.message ?? err) }, '*'));
      return;
    }
    if (msg.type === 'export-result') {
      const w = exportWaiters.get(msg.id);
      exportWaiters.delete(msg.id);
      if (w) (msg.error ? w.reject(new Error(msg.error)) : w.resolve(msg.artifacts));
      return;
    }
    if (msg.type === 'finished') {
      clearTimeout(stopTimer);
      if (stopping) onNotice('info', 'Stopped.');
      stopping = false;
      setState(msg.ok ? 'done' : 'error');
      return;
    }
    if (msg.type === 'error' && state !== 'running') {
      // Late errors (e.g. from a timer the program left behind).
      onMessage(msg);
      setState('error');
      return;
    }
    onMessage(msg);
  }
  addEventListener('message', handle);

  /**
   * Run a program in a fresh sandbox.
   * @param {string} code JavaScript module source (top-level await allowed)
   * @param {{backup?: string}} [opts] backup: the run key under which each fit of the
   *   program checkpoints (and resumes from what is saved there)
   * @returns {Promise<string>} the final state ('done' or 'error')
   */
  async function run(code, opts = {}) {
    destroyFrame();
    stopping = false;
    const previous = waiters; // a run that is being replaced counts as done
    waiters = [];
    for (const resolve of previous) resolve('done');
    const finished = new Promise((resolve) => waiters.push(resolve));
    setState('running');
    let payload;
    try {
      payload = { lib: { ...(await loadLibrary()), backend: backend || lib.backend || '' }, code, backup: opts.backup ?? null };
    } catch (err) {
      onNotice('error', `Could not load ${lib.name}: ${err.message}` +
        (library === 'hebb' ? '\nBuild it with `npm run build`, or try the page with ?lib=tfjs.' : ''));
      setState('error');
      return finished;
    }
    if (state !== 'running') return finished; // stopped while loading
    frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    // The program's origin is opaque (cross-origin): WebGPU must be delegated to it.
    frame.setAttribute('allow', 'webgpu');
    frame.setAttribute('title', 'program sandbox');
    frame.setAttribute('aria-hidden', 'true');
    frame.className = 'sandbox-frame';
    frame.payload = payload;
    frame.srcdoc = srcdoc();
    host.append(frame);
    return finished;
  }

  /**
   * Ask the running program to stop (sets model.stopTraining); if it has not
   * finished within 1.5 s the sandbox is destroyed.
   * @returns {Promise<string>} the final state
   */
  function stop() {
    if (state !== 'running') return Promise.resolve(state);
    const finished = new Promise((resolve) => waiters.push(resolve));
    if (!frame || !frame.contentWindow || frame.payload) {
      destroyFrame();
      onNotice('info', 'Stopped.');
      setState('done');
      return finished;
    }
    if (!stopping) {
      stopping = true;
      frame.contentWindow.postMessage({ type: 'stop' }, '*');
      stopTimer = setTimeout(() => {
        if (state !== 'running') return;
        destroyFrame();
        stopping = false;
        onNotice('warn', `Program did not stop within ${STOP_GRACE_MS / 1000} s; its sandbox was terminated.`);
        setState('done');
      }, STOP_GRACE_MS);
    }
    return finished;
  }

  /**
   * The model the program trained last, as TF.js model artifacts with its optimizer state
   * (from the sandbox, which stays alive after a run until the next one).
   * @returns {Promise<object>}
   */
  function exportModel() {
    if (!frame || !frame.contentWindow || frame.payload) return Promise.reject(new Error('run a program that trains a model first'));
    const id = ++exportId;
    return new Promise((resolve, reject) => {
      exportWaiters.set(id, { resolve, reject });
      frame.contentWindow.postMessage({ type: 'export', id }, '*');
    });
  }

  return {
    run,
    stop,
    exportModel,
    get state() { return state; },
    /** Backend for the next run: 'webgpu', 'cpu', or '' for the library's default. */
    get backend() { return backend; },
    set backend(name) { backend = name; },
  };
}

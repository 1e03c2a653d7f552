// Hebb browser benchmark. Runs in one page session, engines strictly one after another.
// Publishes window.benchResults and sets window.benchDone = true when finished.
import { formatResults } from './format.mjs';

const params = new URLSearchParams(location.search);
const QUICK = params.has('quick');
const ENGINES = (params.get('engines') || 'tfjs-cpu,tfjs-wasm,hebb')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const MLP = {
  samples: 4096,
  inputDim: 784,
  classes: 10,
  batchSize: 128,
  learningRate: 0.001,
  maxEpochs: QUICK ? 1 : 3,
  // Timed-phase budget per engine; slow engines get fewer epochs (at least 1).
  budgetSec: QUICK ? 5 : 25,
  // Fast engines repeat fit({epochs: maxEpochs}) until the timed phase lasts this long.
  minTimedSec: QUICK ? 0.3 : 1.0,
  maxFitCalls: 20,
  seed: 1234,
};
const MATMUL = {
  sizes: QUICK ? [256, 512] : [256, 512, 1024],
  minSeconds: QUICK ? 0.2 : 0.5,
  trials: 3,
  multiTrialBelowSec: 0.5,
  maxCallSeconds: 5, // skip a size when a single call is predicted to take longer than this
};

const WASM_DIST = new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href;
const HEBB_URL = new URL('../dist/hebb.js', location.href).href;

const results = {
  config: {
    mlp: {
      layers: '784-128(relu)-64(relu)-10(softmax)',
      loss: 'categoricalCrossentropy',
      learningRate: MLP.learningRate,
      batchSize: MLP.batchSize,
      samples: MLP.samples,
      maxEpochs: MLP.maxEpochs,
      seed: MLP.seed,
    },
    matmul: { sizes: MATMUL.sizes, minSeconds: MATMUL.minSeconds },
    quick: QUICK,
    engines: ENGINES,
  },
  mlp: [],
  matmul: [],
  ratios: {},
  notes: [],
  errors: [],
  userAgent: navigator.userAgent,
  hardwareConcurrency: navigator.hardwareConcurrency,
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  startedAt: new Date().toISOString(),
};
window.benchResults = results;
window.benchDone = false;

const $status = document.getElementById('status');
const $log = document.getElementById('log');
const $results = document.getElementById('results');

function log(msg) {
  console.log(msg);
  $log.textContent += msg + '\n';
}
function status(msg) {
  $status.textContent = msg;
}
const now = () => performance.now();
const tick = () => new Promise((r) => setTimeout(r, 0));
function errMsg(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

// The "current call" is recorded so a failure names the exact API call that broke.
let currentCall = '';
async function call(desc, fn) {
  currentCall = desc;
  const v = await fn();
  currentCall = '';
  return v;
}
function recordError(engine, stage, e) {
  const entry = { engine, stage, call: currentCall || undefined, message: errMsg(e) };
  if (e && e.stack) entry.stack = String(e.stack).split('\n').slice(0, 6).join('\n');
  results.errors.push(entry);
  log(`ERROR [${engine}/${stage}] ${entry.call ? entry.call + ': ' : ''}${entry.message}`);
  currentCall = '';
}

// ---- deterministic synthetic data -------------------------------------------------
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function makeData() {
  const rand = mulberry32(MLP.seed);
  const x = new Float32Array(MLP.samples * MLP.inputDim);
  for (let i = 0; i < x.length; i++) x[i] = rand();
  const y = new Float32Array(MLP.samples * MLP.classes);
  for (let i = 0; i < MLP.samples; i++) y[i * MLP.classes + Math.floor(rand() * MLP.classes)] = 1;
  return { x, y };
}

// ---- engines ----------------------------------------------------------------------
// Each engine: { name, lib, setup(): Promise<void> }. lib exposes the TF.js-style namespace.
function tfEngine(name, backend) {
  return {
    name,
    lib: window.tf,
    async setup() {
      const tf = window.tf;
      if (!tf) throw new Error('window.tf missing: tf.min.js did not load');
      if (backend === 'wasm') {
        if (!tf.wasm || typeof tf.wasm.setWasmPaths !== 'function') {
          throw new Error('tf.wasm missing: tf-backend-wasm.min.js did not load');
        }
        if (!tfEngine.wasmPathsSet) {
          tf.wasm.setWasmPaths(WASM_DIST);
          tfEngine.wasmPathsSet = true;
        }
      }
      const ok = await call(`tf.setBackend('${backend}')`, () => tf.setBackend(backend));
      if (!ok) throw new Error(`tf.setBackend('${backend}') returned false`);
      await tf.ready();
      if (tf.getBackend() !== backend) throw new Error(`active backend is ${tf.getBackend()}, wanted ${backend}`);
      if (backend === 'wasm' && !tfEngine.wasmNoted) {
        tfEngine.wasmNoted = true;
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        const threads = typeof tf.wasm.getThreadsCount === 'function' ? tf.wasm.getThreadsCount() : '?';
        results.notes.push(
          `TF.js wasm: SIMD ${simd ? 'on' : 'off'} (${simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm'}), ` +
            `threads ${mt ? threads : 1} — the page is not cross-origin isolated ` +
            `(crossOriginIsolated=${results.crossOriginIsolated}), so the wasm backend runs single-threaded.`
        );
      }
    },
  };
}

async function loadHebb() {
  let head;
  try {
    head = await fetch(HEBB_URL, { method: 'HEAD', cache: 'no-store' });
  } catch (e) {
    head = { ok: false, status: errMsg(e) };
  }
  if (!head.ok) {
    results.notes.push(`Hebb: not built (dist/hebb.js: HTTP ${head.status}); Hebb rows skipped.`);
    log('Hebb: not built');
    return null;
  }
  let hebb;
  try {
    hebb = await call(`import('../dist/hebb.js')`, () => import(HEBB_URL));
  } catch (e) {
    recordError('hebb', 'import', e);
    return null;
  }
  let backendNote = 'default backend';
  if (typeof hebb.setBackend === 'function') {
    try {
      await call(`hebb.setBackend('cpu')`, () => hebb.setBackend('cpu'));
      backendNote = "setBackend('cpu')";
    } catch (e) {
      results.notes.push(`Hebb: hebb.setBackend('cpu') failed (${errMsg(e)}); using its default backend.`);
      currentCall = '';
    }
  }
  if (typeof hebb.ready === 'function') {
    try {
      await call('hebb.ready()', () => hebb.ready());
    } catch (e) {
      recordError('hebb', 'ready', e);
      return null;
    }
  }
  let active = '?';
  try {
    if (typeof hebb.getBackend === 'function') active = hebb.getBackend();
  } catch {
    /* informational only */
  }
  const ver = hebb.version ? (typeof hebb.version === 'string' ? hebb.version : JSON.stringify(hebb.version)) : '?';
  results.notes.push(`Hebb: loaded dist/hebb.js (version ${ver}, ${backendNote}, active backend: ${active}).`);
  return hebb;
}

// ---- MLP training throughput ------------------------------------------------------
async function benchMlp(engine, data) {
  const { lib, name } = engine;
  const row = { engine: name, samplesPerSec: null, epochs: 0, seconds: null, status: 'ok' };
  results.mlp.push(row);
  status(`MLP: ${name}`);
  let xs, ys, model, optimizer;
  try {
    model = await call('sequential()', () => lib.sequential());
    await call("model.add(layers.dense({units: 128, activation: 'relu', inputShape: [784]}))", () =>
      model.add(lib.layers.dense({ units: 128, activation: 'relu', inputShape: [MLP.inputDim] }))
    );
    await call("model.add(layers.dense({units: 64, activation: 'relu'}))", () =>
      model.add(lib.layers.dense({ units: 64, activation: 'relu' }))
    );
    await call("model.add(layers.dense({units: 10, activation: 'softmax'}))", () =>
      model.add(lib.layers.dense({ units: MLP.classes, activation: 'softmax' }))
    );
    optimizer = await call('train.adam(0.001)', () => lib.train.adam(MLP.learningRate));
    await call("model.compile({optimizer, loss: 'categoricalCrossentropy'})", () =>
      model.compile({ optimizer, loss: 'categoricalCrossentropy' })
    );
    xs = await call('tensor2d(Float32Array, [4096, 784])', () => lib.tensor2d(data.x, [MLP.samples, MLP.inputDim]));
    ys = await call('tensor2d(Float32Array, [4096, 10])', () => lib.tensor2d(data.y, [MLP.samples, MLP.classes]));
    const fitArgs = { batchSize: MLP.batchSize, shuffle: false, verbose: 0 };

    let t0 = now();
    const h0 = await call('model.fit(xs, ys, {epochs: 1, batchSize: 128, shuffle: false, verbose: 0})', () =>
      model.fit(xs, ys, { ...fitArgs, epochs: 1 })
    );
    const warm = (now() - t0) / 1000;
    row.warmupSeconds = warm;
    row.warmupLoss = lastLoss(h0);
    const epochs = Math.max(1, Math.min(MLP.maxEpochs, Math.floor(MLP.budgetSec / Math.max(warm, 1e-6))));
    log(`${name}: warm-up epoch ${warm.toFixed(2)} s (loss ${fmt(row.warmupLoss)}); timing ${epochs} epoch(s)`);
    await tick();

    // Timed phase: fit(epochs). Fast engines repeat the fit(epochs) call until the timed
    // phase lasts at least MLP.minTimedSec, so very short runs are not dominated by noise.
    let h;
    let secs = 0;
    let fitCalls = 0;
    do {
      t0 = now();
      h = await call(`model.fit(xs, ys, {epochs: ${epochs}, batchSize: 128, shuffle: false, verbose: 0})`, () =>
        model.fit(xs, ys, { ...fitArgs, epochs })
      );
      const callSec = (now() - t0) / 1000;
      secs += callSec;
      fitCalls++;
      const sps = (MLP.samples * epochs) / callSec;
      if (!(row.bestCallSamplesPerSec >= sps)) row.bestCallSamplesPerSec = sps;
    } while (secs < MLP.minTimedSec && fitCalls < MLP.maxFitCalls);
    row.epochs = epochs * fitCalls;
    row.fitCalls = fitCalls;
    row.seconds = secs;
    row.samplesPerSec = (MLP.samples * row.epochs) / secs;
    row.finalLoss = lastLoss(h);
    if (epochs < MLP.maxEpochs) row.note = `reduced to ${epochs} epoch(s): warm-up epoch took ${warm.toFixed(1)} s`;
    log(`${name}: ${row.samplesPerSec.toFixed(0)} samples/s (${row.epochs} epochs in ${fitCalls} fit call(s), ${secs.toFixed(2)} s, loss ${fmt(row.finalLoss)})`);

    // Untimed sanity check: one more epoch with an onBatchEnd counter, to confirm that
    // every batch is really processed (expected ceil(samples / batchSize) batches).
    try {
      let batches = 0;
      await call('model.fit(xs, ys, {epochs: 1, batchSize: 128, shuffle: false, verbose: 0, callbacks: {onBatchEnd}})', () =>
        model.fit(xs, ys, { ...fitArgs, epochs: 1, callbacks: { onBatchEnd: () => { batches++; } } })
      );
      row.batchesPerEpoch = batches;
      const expected = Math.ceil(MLP.samples / MLP.batchSize);
      if (batches !== expected) {
        results.notes.push(`${name}: onBatchEnd fired ${batches} times in one epoch, expected ${expected}`);
      }
    } catch (e) {
      recordError(name, 'mlp batch-count check', e);
    }
  } catch (e) {
    row.status = 'error';
    recordError(name, 'mlp', e);
  } finally {
    for (const [what, fn] of [
      ['xs.dispose()', () => xs && xs.dispose()],
      ['ys.dispose()', () => ys && ys.dispose()],
      ['model.dispose()', () => model && typeof model.dispose === 'function' && model.dispose()],
      ['optimizer.dispose()', () => optimizer && typeof optimizer.dispose === 'function' && optimizer.dispose()],
    ]) {
      try {
        fn();
      } catch (e) {
        results.notes.push(`${name}: ${what} threw ${errMsg(e)}`);
      }
    }
  }
}

function lastLoss(history) {
  try {
    const l = history && history.history && history.history.loss;
    if (!l || !l.length) return null;
    const v = l[l.length - 1];
    return typeof v === 'number' ? v : Number(v);
  } catch {
    return null;
  }
}
function fmt(x) {
  return typeof x === 'number' && isFinite(x) ? x.toFixed(4) : String(x);
}

// ---- matmul GFLOP/s ---------------------------------------------------------------
function refMaxAbsErr(a, b, c, n, rows) {
  // Compare the first `rows` rows of c against a naive f64 reference.
  let maxErr = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      const d = Math.abs(s - c[i * n + j]);
      if (!(d <= maxErr)) maxErr = d; // also catches NaN
    }
  }
  return maxErr;
}

async function benchMatmul(engine) {
  const { lib, name } = engine;
  let lastCallSec = null;
  let lastN = null;
  for (const n of MATMUL.sizes) {
    const row = { engine: name, n, gflops: null, reps: 0, seconds: null, status: 'ok' };
    results.matmul.push(row);
    if (lastCallSec !== null) {
      const predicted = lastCallSec * Math.pow(n / lastN, 3);
      if (predicted > MATMUL.maxCallSeconds) {
        row.status = 'skipped';
        row.note = `predicted ${predicted.toFixed(1)} s per call (> ${MATMUL.maxCallSeconds} s)`;
        results.notes.push(`${name} matmul n=${n} skipped: ${row.note}`);
        log(`${name} matmul n=${n}: skipped (${row.note})`);
        continue;
      }
    }
    status(`matmul: ${name} n=${n}`);
    let a, b;
    try {
      a = await call(`randomUniform([${n}, ${n}])`, () => lib.randomUniform([n, n]));
      b = await call(`randomUniform([${n}, ${n}])`, () => lib.randomUniform([n, n]));
      // Warm-up call, also used for a correctness spot check.
      let t0 = now();
      let c = await call('a.matMul(b)', () => a.matMul(b));
      const cData = await call('await c.data()', () => c.data());
      const firstSec = (now() - t0) / 1000;
      if (!cData || cData.length !== n * n) throw new Error(`c.data() returned length ${cData && cData.length}, expected ${n * n}`);
      const aData = await call('await a.data()', () => a.data());
      const bData = await call('await b.data()', () => b.data());
      row.maxAbsErr = refMaxAbsErr(aData, bData, cData, n, Math.min(n, 8));
      await call('c.dispose()', () => c.dispose());
      if (!(row.maxAbsErr < 1e-2)) {
        results.notes.push(`${name} matmul n=${n}: result differs from reference, max |err| = ${row.maxAbsErr}`);
      }
      if (firstSec < 0.25) {
        // one more warm-up for fast engines (JIT / allocator / tiling caches)
        c = a.matMul(b);
        await c.data();
        c.dispose();
      }
      // Trials of >= minSeconds each; the best trial is reported (the machine may be shared
      // and noisy). Slow configurations (first call >= maxTrialsBelowSec) get a single trial.
      const minMs = MATMUL.minSeconds * 1000;
      const trials = firstSec < MATMUL.multiTrialBelowSec ? MATMUL.trials : 1;
      row.trials = [];
      for (let t = 0; t < trials; t++) {
        await tick();
        let reps = 0;
        t0 = now();
        let elapsed;
        do {
          c = await call('a.matMul(b)', () => a.matMul(b));
          await call('await c.data()', () => c.data());
          c.dispose();
          reps++;
          elapsed = now() - t0;
        } while (elapsed < minMs);
        row.trials.push({ reps, seconds: elapsed / 1000, gflops: (2 * n ** 3 * reps) / (elapsed / 1000) / 1e9 });
      }
      const best = row.trials.reduce((p, q) => (q.gflops > p.gflops ? q : p));
      const sorted = row.trials.map((t) => t.gflops).sort((p, q) => p - q);
      row.reps = best.reps;
      row.seconds = best.seconds;
      row.gflops = best.gflops;
      row.gflopsMedian = sorted[Math.floor(sorted.length / 2)];
      lastCallSec = best.seconds / best.reps;
      lastN = n;
      log(
        `${name} matmul n=${n}: ${row.gflops.toFixed(2)} GFLOP/s best of ${trials} trial(s) ` +
          `[${sorted.map((g) => g.toFixed(1)).join(', ')}] (best: ${best.reps} reps in ${best.seconds.toFixed(2)} s), ` +
          `max|err| ${row.maxAbsErr.toExponential(1)}`
      );
    } catch (e) {
      row.status = 'error';
      recordError(name, `matmul n=${n}`, e);
    } finally {
      try {
        a && a.dispose();
        b && b.dispose();
      } catch (e) {
        results.notes.push(`${name}: dispose after matmul n=${n} threw ${errMsg(e)}`);
      }
    }
    await tick();
  }
}

// ---- ratios -----------------------------------------------------------------------
function computeRatios() {
  const mlp = Object.fromEntries(
    results.mlp.filter((r) => r.samplesPerSec).map((r) => [r.engine, r.samplesPerSec])
  );
  const hebbName = Object.keys(mlp).find((k) => k.startsWith('hebb'));
  results.ratios.mlp = {};
  if (hebbName) {
    if (mlp['tfjs-wasm']) results.ratios.mlp['Hebb/TF.js-wasm'] = mlp[hebbName] / mlp['tfjs-wasm'];
    if (mlp['tfjs-cpu']) results.ratios.mlp['Hebb/TF.js-cpu'] = mlp[hebbName] / mlp['tfjs-cpu'];
  }
  results.ratios.matmul = {};
  for (const n of MATMUL.sizes) {
    const g = Object.fromEntries(
      results.matmul.filter((r) => r.n === n && r.gflops).map((r) => [r.engine, r.gflops])
    );
    const h = Object.keys(g).find((k) => k.startsWith('hebb'));
    if (!h) continue;
    const o = {};
    if (g['tfjs-wasm']) o['Hebb/TF.js-wasm'] = g[h] / g['tfjs-wasm'];
    if (g['tfjs-cpu']) o['Hebb/TF.js-cpu'] = g[h] / g['tfjs-cpu'];
    if (Object.keys(o).length) results.ratios.matmul[n] = o;
  }
}

// ---- main -------------------------------------------------------------------------
async function main() {
  const t0 = now();
  const engines = [];
  if (ENGINES.includes('tfjs-cpu')) engines.push(tfEngine('tfjs-cpu', 'cpu'));
  if (ENGINES.includes('tfjs-wasm')) engines.push(tfEngine('tfjs-wasm', 'wasm'));
  if (ENGINES.includes('hebb')) {
    status('loading Hebb');
    const hebb = await loadHebb();
    if (hebb) engines.push({ name: 'hebb', lib: hebb, async setup() {} });
  }
  if (window.tf) results.notes.push(`TF.js ${window.tf.version_core || (window.tf.version && window.tf.version['tfjs-core'])}`);

  const data = makeData();
  const ready = [];
  for (const eng of engines) {
    try {
      await eng.setup();
      ready.push(eng);
    } catch (e) {
      recordError(eng.name, 'setup', e);
    }
  }

  for (const eng of ready) {
    if (eng.setup && eng.lib === window.tf) await eng.setup();
    await benchMlp(eng, data);
    await tick();
  }
  for (const eng of ready) {
    if (eng.setup && eng.lib === window.tf) await eng.setup();
    await benchMatmul(eng);
    if (eng.lib === window.tf) {
      const m = window.tf.memory();
      log(`${eng.name}: tf.memory().numTensors after runs = ${m.numTensors}`);
    }
  }
  computeRatios();
  results.totalSeconds = (now() - t0) / 1000;
}

main()
  .catch((e) => {
    recordError('bench', 'main', e);
    window.benchError = errMsg(e);
  })
  .finally(() => {
    results.finishedAt = new Date().toISOString();
    $results.textContent = formatResults(results);
    status(results.errors.length ? `done with ${results.errors.length} error(s)` : 'done');
    window.benchDone = true;
  });

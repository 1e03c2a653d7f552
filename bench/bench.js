// Hebb browser benchmark. Runs in one page session, engines strictly one after another.
// Publishes window.benchResults and sets window.benchDone = true when finished.
import { formatResults } from './format.mjs';

// Engines in the order they run. CPU engines first, then the GPU ones (WebGPU / WebGL, which
// in headless Chromium here run on SwiftShader, a software GPU on the same CPU cores).
const ALL_ENGINES = ['tfjs-cpu', 'tfjs-wasm', 'hebb', 'hebb-webgpu', 'tfjs-webgpu', 'tfjs-webgl'];

const params = new URLSearchParams(location.search);
const QUICK = params.has('quick');
const REQUESTED = (params.get('engines') || ALL_ENGINES.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const ENGINES = ALL_ENGINES.filter((e) => REQUESTED.includes(e));
const UNKNOWN_ENGINES = REQUESTED.filter((e) => !ALL_ENGINES.includes(e));

const MLP = {
  samples: 4096,
  inputDim: 784,
  classes: 10,
  batchSize: 128,
  learningRate: 0.001,
  maxEpochs: QUICK ? 1 : 3,
  // Timed-phase budget per engine. The timed fit uses as many epochs (up to maxEpochs) as fit in
  // it; an engine too slow for one full epoch in the budget is timed on the first N samples
  // (a whole number of batches) instead, N chosen from its measured rate.
  budgetSec: QUICK ? 5 : 25,
  // Fast engines repeat fit({epochs}) until the timed phase lasts this long.
  minTimedSec: QUICK ? 0.3 : 1.0,
  maxFitCalls: 20,
  // GPU engines warm up (shader compilation, pipeline creation) on this many samples, then
  // run one more untimed fit on them to estimate their steady rate for the plan above.
  gpuWarmSamples: 256,
  seed: 1234,
};
// The model workloads: the MLP above, the issue's CNN (28x28x1, conv 8 - pool - conv 16 - pool -
// dense 10, batch 64) and LSTM(64) over length-32 sequences (batch 64). Same timing rules.
const WORKLOADS = [
  {
    ...MLP,
    key: 'mlp',
    title: 'MLP training: 784-128(relu)-64(relu)-10(softmax)',
    xShape: [784],
    build: (lib) => [
      ["layers.dense({units: 128, activation: 'relu', inputShape: [784]})", () => lib.layers.dense({ units: 128, activation: 'relu', inputShape: [784] })],
      ["layers.dense({units: 64, activation: 'relu'})", () => lib.layers.dense({ units: 64, activation: 'relu' })],
      ["layers.dense({units: 10, activation: 'softmax'})", () => lib.layers.dense({ units: 10, activation: 'softmax' })],
    ],
  },
  {
    ...MLP,
    key: 'cnn',
    title: 'CNN training: 28x28x1, conv2d 8 3x3 relu - maxPool 2 - conv2d 16 3x3 relu - maxPool 2 - flatten - dense 10 softmax',
    samples: QUICK ? 256 : 2048,
    batchSize: 64,
    gpuWarmSamples: 128,
    xShape: [28, 28, 1],
    skip: { 'tfjs-wasm': "TF.js's wasm backend has no gradient kernels for conv2d, so it cannot train convnets: compare with tfjs-cpu" },
    build: (lib) => [
      ["layers.conv2d({filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1]})", () => lib.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] })],
      ['layers.maxPooling2d({poolSize: 2})', () => lib.layers.maxPooling2d({ poolSize: 2 })],
      ["layers.conv2d({filters: 16, kernelSize: 3, activation: 'relu'})", () => lib.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' })],
      ['layers.maxPooling2d({poolSize: 2})', () => lib.layers.maxPooling2d({ poolSize: 2 })],
      ['layers.flatten()', () => lib.layers.flatten({})],
      ["layers.dense({units: 10, activation: 'softmax'})", () => lib.layers.dense({ units: 10, activation: 'softmax' })],
    ],
  },
  {
    ...MLP,
    key: 'lstm',
    title: 'LSTM training: 32 steps x 8 features, lstm 64 - dense 10 softmax',
    samples: QUICK ? 256 : 2048,
    batchSize: 64,
    gpuWarmSamples: 128,
    xShape: [32, 8],
    build: (lib) => [
      ['layers.lstm({units: 64, inputShape: [32, 8]})', () => lib.layers.lstm({ units: 64, inputShape: [32, 8] })],
      ["layers.dense({units: 10, activation: 'softmax'})", () => lib.layers.dense({ units: 10, activation: 'softmax' })],
    ],
  },
];

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
      budgetSec: MLP.budgetSec,
      gpuWarmSamples: MLP.gpuWarmSamples,
      seed: MLP.seed,
    },
    cnn: { layers: 'conv8-pool-conv16-pool-dense10', batchSize: 64, learningRate: MLP.learningRate },
    lstm: { layers: 'lstm64-dense10 over 32x8', batchSize: 64, learningRate: MLP.learningRate },
    matmul: { sizes: MATMUL.sizes, minSeconds: MATMUL.minSeconds },
    quick: QUICK,
    engines: ENGINES,
  },
  mlp: [],
  cnn: [],
  lstm: [],
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

// An engine that cannot run here (no WebGPU adapter, no WebGL): its rows are marked
// "skipped" with the reason; this is not an error of the benchmark.
class Unavailable extends Error {
  constructor(message) {
    super(message);
    this.name = 'Unavailable';
  }
}

// Runs fn while collecting console.warn messages (Hebb and TF.js explain a failed backend
// start there), so a skipped engine can say why.
async function collectWarnings(fn) {
  const warnings = [];
  const orig = console.warn;
  console.warn = (...args) => {
    // First line only: TF.js warns with the error's stack.
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ').split('\n')[0]);
    orig.apply(console, args);
  };
  try {
    return { value: await fn(), warnings };
  } finally {
    console.warn = orig;
  }
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
function makeData(W) {
  const rand = mulberry32(W.seed);
  const x = new Float32Array(W.samples * W.xShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = rand();
  const y = new Float32Array(W.samples * W.classes);
  for (let i = 0; i < W.samples; i++) y[i * W.classes + Math.floor(rand() * W.classes)] = 1;
  return { x, y };
}

// ---- engines ----------------------------------------------------------------------
// Each engine: { name, lib, gpu, setup(): Promise<void>, check(): void, matmulNA?: string }.
// lib exposes the TF.js-style namespace. setup() makes the engine's backend the active one
// (TF.js and the two Hebb engines each share one library instance, so it runs before every
// measurement); check() throws when the active backend is not the engine's any more.
// `unavailable` is set when setup() threw Unavailable.
function tfEngine(name, backend) {
  const gpu = backend === 'webgpu' || backend === 'webgl';
  const eng = {
    name,
    lib: window.tf,
    gpu,
    check() {
      const active = window.tf.getBackend();
      if (active !== backend) throw new Error(`active TF.js backend is ${active}, wanted ${backend}`);
    },
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
      if (backend === 'webgpu') {
        if (!tf.findBackendFactory || !tf.findBackendFactory('webgpu')) {
          throw new Error("TF.js 'webgpu' backend not registered: tf-backend-webgpu.min.js did not load");
        }
        if (!navigator.gpu) throw new Unavailable('this browser has no WebGPU (navigator.gpu is undefined)');
        if (!tfEngine.adapterChecked) {
          // TF.js does not check for a null adapter, its setBackend fails with a TypeError.
          tfEngine.adapterChecked = true;
          tfEngine.hasAdapter = (await navigator.gpu.requestAdapter().catch(() => null)) !== null;
        }
        if (!tfEngine.hasAdapter) throw new Unavailable('no WebGPU adapter (navigator.gpu.requestAdapter() resolved null)');
      }
      const { value: ok, warnings } = await collectWarnings(() =>
        call(`tf.setBackend('${backend}')`, () => tf.setBackend(backend))
      );
      if (!ok) {
        const why = `tf.setBackend('${backend}') resolved false${warnings.length ? ': ' + warnings[warnings.length - 1] : ''}`;
        if (gpu) throw new Unavailable(why);
        throw new Error(why);
      }
      await tf.ready();
      eng.check();
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
      if (backend === 'webgl' && !tfEngine.webglNoted) {
        tfEngine.webglNoted = true;
        results.notes.push(`TF.js webgl: WebGL ${tf.env().get('WEBGL_VERSION')}, ${webglRenderer()}.`);
      }
    },
  };
  return eng;
}

function webglRenderer() {
  try {
    const gl = document.createElement('canvas').getContext('webgl2') || document.createElement('canvas').getContext('webgl');
    if (!gl) return 'renderer unknown (no context)';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const r = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return `renderer "${r}"`;
  } catch (e) {
    return `renderer unknown (${errMsg(e)})`;
  }
}

async function webgpuAdapterNote() {
  if (!navigator.gpu) return 'WebGPU: navigator.gpu is undefined (no WebGPU in this browser).';
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return 'WebGPU: requestAdapter() returned null (no adapter).';
    const info = adapter.info || {};
    const parts = ['vendor', 'architecture', 'device', 'description']
      .filter((k) => info[k])
      .map((k) => `${k} "${info[k]}"`);
    return `WebGPU adapter: ${parts.join(', ') || 'no adapter info'}` + (adapter.isFallbackAdapter ? ' (fallback adapter)' : '') + '.';
  } catch (e) {
    return `WebGPU: requestAdapter() threw ${errMsg(e)}.`;
  }
}

let hebbModule; // undefined: not tried yet; null: not available
let hebbLoadWarnings = [];
async function loadHebb() {
  if (hebbModule !== undefined) return hebbModule;
  hebbModule = null;
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
    // The module opens the WebGPU device (when there is one) at import; a failure there is
    // only a console warning, kept as the reason should hebb-webgpu be unavailable.
    const r = await collectWarnings(() => call(`import('../dist/hebb.js')`, () => import(HEBB_URL)));
    hebb = r.value;
    hebbLoadWarnings = r.warnings;
  } catch (e) {
    recordError('hebb', 'import', e);
    return null;
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
  results.notes.push(`Hebb: loaded dist/hebb.js (version ${ver}, backend after import: ${active}).`);
  hebbModule = hebb;
  return hebb;
}

function hebbEngine(name, hebb, backend) {
  const eng = {
    name,
    lib: hebb,
    gpu: backend === 'webgpu',
    // On WebGPU, Hebb records eager ops (a.matMul(b)) and computes them on the GPU for an
    // asynchronous read (await c.data()): operands are uploaded on each read.
    matmulNA: undefined,
    check() {
      const active = hebb.getBackend();
      if (active !== backend) throw new Error(`hebb.getBackend() is '${active}', wanted '${backend}'`);
    },
    async setup() {
      if (typeof hebb.setBackend !== 'function' || typeof hebb.getBackend !== 'function') {
        if (backend === 'webgpu') throw new Unavailable('this Hebb build has no setBackend/getBackend');
        return; // an old build: CPU only
      }
      const { value: ok, warnings } = await collectWarnings(() =>
        call(`hebb.setBackend('${backend}')`, () => hebb.setBackend(backend))
      );
      if (!ok) {
        const w = [...hebbLoadWarnings, ...warnings];
        const why = `hebb.setBackend('${backend}') resolved false${w.length ? ': ' + w[w.length - 1] : ''}`;
        if (backend === 'webgpu') throw new Unavailable(why);
        throw new Error(why);
      }
      eng.check();
    },
  };
  return eng;
}

// ---- MLP training throughput ------------------------------------------------------
function skippedRow(list, base, engine) {
  const row = { ...base, engine: engine.name, status: 'skipped', note: engine.unavailable };
  list.push(row);
  return row;
}

async function benchModel(engine, W, data) {
  const MLP = W;
  const inputSize = W.xShape.reduce((x, y) => x * y, 1);
  const { lib, name } = engine;
  const row = { engine: name, samplesPerSec: null, epochs: 0, seconds: null, status: 'ok' };
  if (engine.unavailable || (W.skip && W.skip[name])) {
    skippedRow(results[W.key], row, engine.unavailable ? engine : { name, unavailable: W.skip[name] });
    log(`${name}: ${W.key} skipped (${engine.unavailable || W.skip[name]})`);
    return;
  }
  results[W.key].push(row);
  status(`${W.key}: ${name}`);
  const owned = []; // tensors to dispose
  let model, optimizer;
  const tensorsFor = async (n) => {
    const xs = await call(`tensor(Float32Array, [${n}, ${W.xShape}])`, () =>
      lib.tensor(n === MLP.samples ? data.x : data.x.subarray(0, n * inputSize), [n, ...W.xShape])
    );
    owned.push(xs);
    const ys = await call(`tensor2d(Float32Array, [${n}, 10])`, () =>
      lib.tensor2d(n === MLP.samples ? data.y : data.y.subarray(0, n * MLP.classes), [n, MLP.classes])
    );
    owned.push(ys);
    return { xs, ys, n };
  };
  const fitArgs = { batchSize: MLP.batchSize, shuffle: false, verbose: 0 };
  const fitDesc = (n, epochs, extra = '') =>
    `model.fit(xs[${n}], ys[${n}], {epochs: ${epochs}, batchSize: ${MLP.batchSize}, shuffle: false, verbose: 0${extra}})`;
  try {
    await engine.setup();
    model = await call('sequential()', () => lib.sequential());
    for (const [desc, make] of W.build(lib)) {
      await call(`model.add(${desc})`, () => model.add(make()));
    }
    optimizer = await call('train.adam(0.001)', () => lib.train.adam(MLP.learningRate));
    await call("model.compile({optimizer, loss: 'categoricalCrossentropy'})", () =>
      model.compile({ optimizer, loss: 'categoricalCrossentropy' })
    );

    // Warm-up (untimed): CPU engines train one full epoch; GPU engines one epoch on a few
    // batches (the first fit compiles their shaders), then a second one on the same batches
    // whose time gives the steady rate used to plan the timed phase.
    const warmN = engine.gpu ? Math.min(MLP.gpuWarmSamples, MLP.samples) : MLP.samples;
    const warmT = await tensorsFor(warmN);
    let t0 = now();
    const h0 = await call(fitDesc(warmN, 1), () => model.fit(warmT.xs, warmT.ys, { ...fitArgs, epochs: 1 }));
    const warm = (now() - t0) / 1000;
    row.warmupSeconds = warm;
    row.warmupSamples = warmN;
    row.warmupLoss = lastLoss(h0);
    let rate = warmN / Math.max(warm, 1e-6);
    let probeMsg = '';
    if (engine.gpu) {
      await tick();
      t0 = now();
      await call(fitDesc(warmN, 1), () => model.fit(warmT.xs, warmT.ys, { ...fitArgs, epochs: 1 }));
      const probe = (now() - t0) / 1000;
      row.probeSeconds = probe;
      rate = warmN / Math.max(probe, 1e-6);
      row.probeSamplesPerSec = rate;
      probeMsg = `, second warm-up ${probe.toFixed(2)} s (${rate.toFixed(0)} samples/s)`;
    }
    engine.check();

    // Plan the timed phase from the measured rate.
    const affordable = rate * MLP.budgetSec; // samples trainable within the budget
    let n, epochs;
    if (affordable >= MLP.samples) {
      n = MLP.samples;
      epochs = Math.max(1, Math.min(MLP.maxEpochs, Math.floor(affordable / MLP.samples)));
    } else {
      n = Math.max(MLP.batchSize, Math.floor(affordable / MLP.batchSize) * MLP.batchSize);
      epochs = 1;
    }
    row.timedSamples = n;
    log(
      `${name}: warm-up ${warm.toFixed(2)} s on ${warmN} samples (loss ${fmt(row.warmupLoss)})${probeMsg}; ` +
        `timing ${epochs} epoch(s) on ${n} samples`
    );
    const timedT = n === warmN ? warmT : await tensorsFor(n);
    await tick();

    // Timed phase: fit(epochs). Fast engines repeat the fit(epochs) call until the timed
    // phase lasts at least MLP.minTimedSec, so very short runs are not dominated by noise.
    let h;
    let secs = 0;
    let fitCalls = 0;
    do {
      t0 = now();
      h = await call(fitDesc(n, epochs), () => model.fit(timedT.xs, timedT.ys, { ...fitArgs, epochs }));
      const callSec = (now() - t0) / 1000;
      secs += callSec;
      fitCalls++;
      const sps = (n * epochs) / callSec;
      if (!(row.bestCallSamplesPerSec >= sps)) row.bestCallSamplesPerSec = sps;
    } while (secs < MLP.minTimedSec && fitCalls < MLP.maxFitCalls && secs < MLP.budgetSec);
    engine.check(); // e.g. Hebb falls back to the CPU when the GPU device is lost
    row.epochs = epochs * fitCalls;
    row.fitCalls = fitCalls;
    row.seconds = secs;
    row.samplesTrained = n * row.epochs;
    row.samplesPerSec = row.samplesTrained / secs;
    row.finalLoss = lastLoss(h);
    const notes = [];
    if (n < MLP.samples) {
      notes.push(`timed on the first ${n} of ${MLP.samples} samples (steady rate ~${rate.toFixed(0)} samples/s, ${MLP.budgetSec} s budget)`);
    } else if (epochs < MLP.maxEpochs) {
      notes.push(`reduced to ${epochs} epoch(s) per fit call (~${(MLP.samples / rate).toFixed(1)} s per epoch)`);
    }
    if (notes.length) row.note = notes.join('; ');
    log(
      `${name}: ${row.samplesPerSec.toFixed(0)} samples/s (${row.samplesTrained} samples = ${n} x ${row.epochs} epoch(s) ` +
        `in ${fitCalls} fit call(s), ${secs.toFixed(2)} s, loss ${fmt(row.finalLoss)})`
    );

    // Untimed sanity check: one more epoch with an onBatchEnd counter, to confirm that
    // every batch is really processed (expected ceil(samples / batchSize) batches). Engines
    // timed on a subset check on the warm-up batches, to keep the run short.
    const checkT = n < MLP.samples ? warmT : timedT;
    try {
      let batches = 0;
      await call(fitDesc(checkT.n, 1, ', callbacks: {onBatchEnd}'), () =>
        model.fit(checkT.xs, checkT.ys, { ...fitArgs, epochs: 1, callbacks: { onBatchEnd: () => { batches++; } } })
      );
      row.batchesPerEpoch = batches;
      row.batchCheckSamples = checkT.n;
      const expected = Math.ceil(checkT.n / MLP.batchSize);
      if (batches !== expected) {
        results.notes.push(`${name}: onBatchEnd fired ${batches} times in one epoch of ${checkT.n} samples, expected ${expected}`);
      }
    } catch (e) {
      recordError(name, 'mlp batch-count check', e);
    }
  } catch (e) {
    row.status = 'error';
    recordError(name, 'mlp', e);
  } finally {
    const disposers = owned.map((t, i) => [`tensor[${i}].dispose()`, () => t.dispose()]);
    disposers.push(
      ['model.dispose()', () => model && typeof model.dispose === 'function' && model.dispose()],
      ['optimizer.dispose()', () => optimizer && typeof optimizer.dispose === 'function' && optimizer.dispose()]
    );
    for (const [what, fn] of disposers) {
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

// Every read is asynchronous (await x.data()): TF.js's webgpu backend cannot dataSync on
// SwiftShader, and on a GPU the time to get the result back is part of the work.
async function benchMatmul(engine) {
  const { lib, name } = engine;
  if (engine.unavailable || engine.matmulNA) {
    for (const n of MATMUL.sizes) {
      const base = { engine: name, n, gflops: null, reps: 0, seconds: null };
      if (engine.unavailable) skippedRow(results.matmul, base, engine);
      else results.matmul.push({ ...base, status: 'n/a', note: engine.matmulNA });
    }
    log(`${name} matmul: ${engine.unavailable ? `skipped (${engine.unavailable})` : engine.matmulNA}`);
    return;
  }
  try {
    await engine.setup();
  } catch (e) {
    for (const n of MATMUL.sizes) results.matmul.push({ engine: name, n, gflops: null, status: 'error' });
    recordError(name, 'matmul setup', e);
    return;
  }
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
        log(`${name} matmul n=${n}: skipped (${row.note})`);
        continue;
      }
    }
    status(`matmul: ${name} n=${n}`);
    let a, b;
    try {
      a = await call(`randomUniform([${n}, ${n}])`, () => lib.randomUniform([n, n]));
      b = await call(`randomUniform([${n}, ${n}])`, () => lib.randomUniform([n, n]));
      // Warm-up call (compiles the GPU engines' shaders), also used for a correctness spot check.
      let t0 = now();
      let c = await call('a.matMul(b)', () => a.matMul(b));
      const cData = await call('await c.data()', () => c.data());
      let callSec = (now() - t0) / 1000;
      row.firstCallSeconds = callSec;
      if (!cData || cData.length !== n * n) throw new Error(`c.data() returned length ${cData && cData.length}, expected ${n * n}`);
      const aData = await call('await a.data()', () => a.data());
      const bData = await call('await b.data()', () => b.data());
      row.maxAbsErr = refMaxAbsErr(aData, bData, cData, n, Math.min(n, 8));
      await call('c.dispose()', () => c.dispose());
      if (!(row.maxAbsErr < 1e-2)) {
        results.notes.push(`${name} matmul n=${n}: result differs from reference, max |err| = ${row.maxAbsErr}`);
      }
      if (engine.gpu || callSec < 0.25) {
        // One more warm-up: JIT / allocator / tiling caches, and for a GPU the first call's
        // time is mostly shader compilation, so this one estimates the per-call time.
        t0 = now();
        c = await call('a.matMul(b)', () => a.matMul(b));
        await call('await c.data()', () => c.data());
        callSec = (now() - t0) / 1000;
        c.dispose();
      }
      // Trials of >= minSeconds each; the best trial is reported (the machine may be shared
      // and noisy). Slow configurations (a call >= multiTrialBelowSec) get a single trial.
      const minMs = MATMUL.minSeconds * 1000;
      const trials = callSec < MATMUL.multiTrialBelowSec ? MATMUL.trials : 1;
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
      engine.check();
      log(
        `${name} matmul n=${n}: ${row.gflops.toFixed(2)} GFLOP/s best of ${trials} trial(s) ` +
          `[${sorted.map((g) => g.toFixed(1)).join(', ')}] (best: ${best.reps} reps in ${best.seconds.toFixed(2)} s), ` +
          `first call ${row.firstCallSeconds.toFixed(2)} s, max|err| ${row.maxAbsErr.toExponential(1)}`
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
// [label, numerator engine, denominator engine]
const RATIOS = [
  ['Hebb-cpu/TF.js-fastest-cpu', 'hebb', 'tfjs-best-cpu'],
  ['Hebb-cpu/TF.js-wasm', 'hebb', 'tfjs-wasm'],
  ['Hebb-cpu/TF.js-cpu', 'hebb', 'tfjs-cpu'],
  ['Hebb-webgpu/TF.js-webgpu', 'hebb-webgpu', 'tfjs-webgpu'],
  ['Hebb-webgpu/TF.js-webgl', 'hebb-webgpu', 'tfjs-webgl'],
  ['Hebb-webgpu/Hebb-cpu', 'hebb-webgpu', 'hebb'],
];
function ratiosOf(values) {
  const o = {};
  for (const [label, num, den] of RATIOS) {
    if (values[num] && values[den]) o[label] = values[num] / values[den];
  }
  return o;
}
function computeRatios() {
  for (const W of WORKLOADS) {
    const values = Object.fromEntries(results[W.key].filter((r) => r.samplesPerSec).map((r) => [r.engine, r.samplesPerSec]));
    const cpus = ['tfjs-wasm', 'tfjs-cpu'].map((e) => values[e]).filter((v) => v);
    if (cpus.length) values['tfjs-best-cpu'] = Math.max(...cpus);
    results.ratios[W.key] = ratiosOf(values);
  }
  results.ratios.matmul = {};
  for (const n of MATMUL.sizes) {
    const o = ratiosOf(
      Object.fromEntries(results.matmul.filter((r) => r.n === n && r.gflops).map((r) => [r.engine, r.gflops]))
    );
    if (Object.keys(o).length) results.ratios.matmul[n] = o;
  }
}

// ---- main -------------------------------------------------------------------------
async function main() {
  const t0 = now();
  if (UNKNOWN_ENGINES.length) {
    results.notes.push(`unknown engine(s) ignored: ${UNKNOWN_ENGINES.join(', ')} (known: ${ALL_ENGINES.join(', ')})`);
  }
  const engines = [];
  for (const name of ENGINES) {
    if (name.startsWith('tfjs-')) {
      engines.push(tfEngine(name, name.slice('tfjs-'.length)));
    } else {
      status('loading Hebb');
      const hebb = await loadHebb();
      if (hebb) engines.push(hebbEngine(name, hebb, name === 'hebb' ? 'cpu' : 'webgpu'));
    }
  }
  if (window.tf) results.notes.push(`TF.js ${window.tf.version_core || (window.tf.version && window.tf.version['tfjs-core'])}`);
  if (engines.some((e) => e.gpu)) results.notes.push(await webgpuAdapterNote());

  const datasets = Object.fromEntries(WORKLOADS.map((W) => [W.key, makeData(W)]));
  // Start every engine once: one that throws is dropped (error), one that cannot run here
  // (no WebGPU / WebGL) keeps "skipped" rows with the reason.
  const ready = [];
  for (const eng of engines) {
    try {
      await eng.setup();
      ready.push(eng);
    } catch (e) {
      if (e instanceof Unavailable) {
        eng.unavailable = e.message;
        log(`${eng.name}: unavailable (${e.message})`);
        ready.push(eng);
      } else {
        recordError(eng.name, 'setup', e);
      }
    }
  }

  for (const W of WORKLOADS) {
    for (const eng of ready) {
      await benchModel(eng, W, datasets[W.key]);
      await tick();
    }
  }
  for (const eng of ready) {
    await benchMatmul(eng);
    if (eng.lib === window.tf && !eng.unavailable) {
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

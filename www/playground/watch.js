// Watches one model.fit() call inside the sandbox: forwards per-epoch logs,
// throttled per-batch progress and (for 1-D / 2-D inputs) model predictions on
// a grid or curve, so the parent page can plot without user code.

const WATCHER = Symbol('pgWatcher');
const GRID = 60; // boundary grid is GRID x GRID
const CURVE_POINTS = 200;
const MAX_POINTS = 4000; // data points sent for drawing
const PROGRESS_MS = 100; // <= ~10 progress messages per second
const VIZ_MS = 125; // <= ~8 prediction redraws per second

const now = () => performance.now();

/** Logs arrive as numbers (or occasionally scalar tensors); keep numbers only. */
function cleanLogs(logs) {
  const out = {};
  if (!logs) return out;
  for (const [k, v] of Object.entries(logs)) {
    const n = typeof v === 'number' ? v : Number(v);
    if (Number.isFinite(n) || Number.isNaN(n)) out[k] = n;
  }
  return out;
}

function isTensor(t) {
  return t && typeof t === 'object' && Array.isArray(t.shape) && typeof t.data === 'function';
}

/** True for BaseCallback-style instances (as opposed to plain config objects). */
function isCallbackInstance(c) {
  return c && typeof c === 'object' && typeof c.setModel === 'function' && typeof c.setParams === 'function';
}

/**
 * Create a watcher for one fit() call.
 * @param {object} o
 * @param {object} o.tf namespace used for tensors and Callback base class
 * @param {object} o.model the model being fitted
 * @param {*} o.x inputs passed to fit
 * @param {*} o.y targets passed to fit
 * @param {object} o.args fit() options
 * @param {(msg: object, transfer?: Transferable[]) => void} o.post
 * @param {() => boolean} o.shouldStop true once the user pressed Stop
 * @returns {{prepare(): Promise<void>, mergeCallbacks(user: *): *, finish(): Promise<void>}}
 */
export function createFitWatcher({ tf, model, x, y, args, post, shouldStop }) {
  const n = isTensor(x) ? x.shape[0] : 0;
  const dim = isTensor(x) && x.shape.length === 2 ? x.shape[1] : 0;
  const epochs = args.epochs ?? 1;
  const initialEpoch = args.initialEpoch ?? 0;
  const batchSize = args.batchSize ?? 32;
  const split = args.validationData ? 0 : args.validationSplit ?? 0;
  const nTrain = split > 0 ? Math.floor(n * (1 - split)) : n;
  const batches = Math.max(1, Math.ceil(nTrain / batchSize));

  let viz = null; // {kind, range, grid tensor data}
  let vizDisabled = false;
  let vizDirty = false;
  let lastViz = -Infinity;
  let lastProgress = -Infinity;
  let t0 = 0;
  let paused = 0; // ms spent in our own predictions, excluded from the rate
  let samples = 0;
  let epoch = initialEpoch;

  function rate() {
    const secs = (now() - t0 - paused) / 1000;
    return secs > 0 ? samples / secs : 0;
  }

  function progress(batch, force) {
    const t = now();
    if (!force && t - lastProgress < PROGRESS_MS) return;
    lastProgress = t;
    post({ type: 'progress', epoch, epochs, batch, batches, samples, rate: rate() });
  }

  async function prepare() {
    post({ type: 'fit', epochs, initialEpoch, batches, samples: nTrain });
    if (!(dim === 1 || dim === 2) || !isTensor(y)) return;
    const xd = await x.data();
    const yd = await y.data();
    const k = y.shape.length === 2 ? y.shape[1] : 1;
    const lo = [Infinity, Infinity];
    const hi = [-Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) {
        const v = xd[i * dim + d];
        if (v < lo[d]) lo[d] = v;
        if (v > hi[d]) hi[d] = v;
      }
    }
    const range = [];
    for (let d = 0; d < dim; d++) {
      const pad = (hi[d] - lo[d]) * 0.08 || 1;
      range.push(lo[d] - pad, hi[d] + pad);
    }
    // Subsample the points we ship for drawing. For 2-D inputs ys become
    // class indices (argmax of one-hot rows, integer labels as they are,
    // anything else thresholded at 0.5); for 1-D inputs they stay values.
    let integral = true;
    if (k === 1) for (let i = 0; i < n && integral; i++) integral = Number.isInteger(yd[i]) && yd[i] >= 0;
    const stride = Math.max(1, Math.ceil(n / MAX_POINTS));
    const m = Math.ceil(n / stride);
    const px = new Float32Array(m * dim);
    const py = new Float32Array(m);
    for (let i = 0, j = 0; i < n; i += stride, j++) {
      for (let d = 0; d < dim; d++) px[j * dim + d] = xd[i * dim + d];
      if (k > 1) {
        let best = 0;
        for (let c = 1; c < k; c++) if (yd[i * k + c] > yd[i * k + best]) best = c;
        py[j] = best;
      } else if (dim === 2 && !integral) {
        py[j] = yd[i] >= 0.5 ? 1 : 0;
      } else {
        py[j] = yd[i];
      }
    }
    viz = { kind: dim === 2 ? 'boundary' : 'curve', range, k };
    if (dim === 2) {
      const g = new Float32Array(GRID * GRID * 2);
      for (let r = 0; r < GRID; r++) {
        for (let c = 0; c < GRID; c++) {
          const i = r * GRID + c;
          g[2 * i] = range[0] + ((c + 0.5) / GRID) * (range[1] - range[0]);
          g[2 * i + 1] = range[2] + ((r + 0.5) / GRID) * (range[3] - range[2]);
        }
      }
      viz.inputs = g;
    } else {
      const g = new Float32Array(CURVE_POINTS);
      for (let i = 0; i < CURVE_POINTS; i++) g[i] = range[0] + (i / (CURVE_POINTS - 1)) * (range[1] - range[0]);
      viz.inputs = g;
    }
    post({ type: 'data', kind: viz.kind, range, k, xs: px, ys: py, grid: GRID }, [px.buffer, py.buffer]);
  }

  async function predictViz() {
    if (!viz || vizDisabled) return;
    const started = now();
    let input = null;
    let out = null;
    try {
      const rows = viz.kind === 'boundary' ? GRID * GRID : CURVE_POINTS;
      input = tf.tensor2d(viz.inputs, [rows, viz.kind === 'boundary' ? 2 : 1]);
      out = model.predict(input);
      if (Array.isArray(out)) out = out[0];
      const width = out.shape.length === 2 ? out.shape[1] : 1;
      const values = new Float32Array(await out.data());
      if (viz.kind === 'boundary') {
        post({ type: 'viz', kind: 'boundary', k: width, grid: GRID, probs: values }, [values.buffer]);
      } else {
        const ys = new Float32Array(CURVE_POINTS);
        for (let i = 0; i < CURVE_POINTS; i++) ys[i] = values[i * width];
        const xs = new Float32Array(viz.inputs);
        post({ type: 'viz', kind: 'curve', xs, ys }, [xs.buffer, ys.buffer]);
      }
      vizDirty = false;
    } catch (err) {
      vizDisabled = true;
      console.warn('playground: could not draw predictions:', err);
    } finally {
      if (input) input.dispose();
      if (out && typeof out.dispose === 'function') out.dispose();
      lastViz = now();
      paused += lastViz - started;
    }
  }

  const mine = {
    [WATCHER]: true,
    onTrainBegin() {
      t0 = now();
      post({ type: 'trainBegin' });
    },
    onEpochBegin(e) {
      epoch = e;
      if (shouldStop()) model.stopTraining = true;
      progress(0, true);
    },
    onBatchEnd(batch) {
      samples += Math.max(0, Math.min(batchSize, nTrain - batch * batchSize));
      if (shouldStop()) model.stopTraining = true;
      progress(batch + 1, false);
    },
    async onEpochEnd(e, logs) {
      epoch = e;
      progress(batches, true);
      post({ type: 'epoch', epoch: e, logs: cleanLogs(logs) });
      vizDirty = true;
      if (now() - lastViz >= VIZ_MS) await predictViz();
    },
  };

  function mergeCallbacks(user) {
    const list = user == null ? [] : Array.isArray(user) ? user.slice() : [user];
    if (list.length && list.every(isCallbackInstance) && typeof tf.Callback === 'function') {
      // TF.js only accepts homogeneous lists: wrap ours as a Callback instance.
      class PlaygroundCallback extends tf.Callback {}
      const inst = new PlaygroundCallback();
      for (const k of ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd']) {
        inst[k] = async (...a) => mine[k](...a);
      }
      inst[WATCHER] = true;
      return [...list, inst];
    }
    return [...list, mine];
  }

  async function finish() {
    if (vizDirty) await predictViz();
    post({ type: 'trainEnd' });
  }

  return { prepare, mergeCallbacks, finish };
}

/** True if a callbacks argument already contains a playground watcher. */
createFitWatcher.isWatched = (callbacks) => {
  const list = callbacks == null ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
  return list.some((c) => c && c[WATCHER]);
};

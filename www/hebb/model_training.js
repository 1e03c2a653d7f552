// LayersModel's compile, fit, evaluate and predict (TF.js's training.js): compile hands the
// options to the engine (user loss and metric functions traced once, or recorded per step when
// they read values); fit hands the data to the engine once and then asks it to run slices of
// batches, yielding to the browser between slices and firing callbacks with the numbers the
// engine reports. Defined on LayersModel.prototype, as container.js does.
import { engine, gpuWait, flushWarnings } from './engine.js';
import { Tensor, tidy, wrap } from './tensor.js';
import { mean } from './ops.js';
import { resolveOptimizer } from './train.js';
import { LossSpec } from './losses.js';
import { fire, toCallbackList, restoreFromBackup } from './callbacks.js';
import { yieldToBrowser } from './yield.js';
import { fitDataset, evaluateDataset } from './fit_dataset.js';
import { recording } from './grad.js';
import { settleWriteBacks } from './layer_weights.js';
import { LayersModel, History } from './models.js';

const SLICE_MS = 12;
const fmtShape = (s) => JSON.stringify(s);

/** Logs from the engine's values; non-finite ones arrive as "NaN"/"Infinity"/"-Infinity". */
function logsObject(keys, values, extra = {}) {
  const o = { ...extra };
  keys.forEach((k, i) => { o[k] = Number(values[i]); });
  return o;
}

/** fit's classWeight: {class: weight}, or a one-element array of it (TF.js's per-output form). */
function classWeightOf(cw) {
  if (cw === undefined || cw === null) return undefined;
  if (Array.isArray(cw)) {
    if (cw.length !== 1) throw new Error(`fit: a Sequential model has one output, so classWeight takes one map, received ${cw.length}`);
    return cw[0];
  }
  if (typeof cw !== 'object') throw new Error(`fit: classWeight must be an object like {0: 1, 1: 5}, received ${cw}`);
  return cw;
}

function fnName(f, fallback) {
  return (typeof f === 'function' && f.name) ? f.name : fallback;
}

class TrainingMembers {
  /**
   * Custom layers whose call depends on the batch size get a recording for each batch size a
   * run will use (`sizes`), once per model.
   */
  _prepareBatches(sizes) {
    for (const l of this._engineLayers) {
      const spec = l._custom ? l._traces?.get(JSON.stringify(l._builtFor)) : null;
      if (!spec?.byBatch) continue;
      this._batchTraced ??= new Set();
      for (const b of sizes) {
        if (!Number.isInteger(b) || b < 1 || this._batchTraced.has(`${l.name}:${b}`)) continue;
        spec.byBatch[b] ??= spec.record(b);
        engine.model_add_custom_trace(this._id, l.name, b, spec.byBatch[b]);
        this._batchTraced.add(`${l.name}:${b}`);
      }
    }
  }

  /** The model on tensors as recordable runtime ops (see apply). */
  _applyTensors(x, training) {
    const temps = [];
    try {
      const X = this._xOf(x, 'apply', temps);
      this._pull();
      this._prepareBatches([X.shape[0]]);
      const names = [];
      const handles = [];
      for (const l of this._engineLayers) l._boundWeights(names, handles);
      const out = wrap(engine.model_apply(this._id, X._live(), JSON.stringify(names), Uint32Array.from(handles), training));
      return this._unpackOutputs(out);
    } finally {
      temps.forEach((t) => t.dispose());
    }
  }

  /**
   * TF.js's compile. With several outputs, `loss` may be one loss for all, an array (one per
   * output) or an object keyed by output name; `metrics` an array for every output, an array of
   * arrays, or an object keyed by output name; `lossWeights` an array or object of numbers.
   * @param {{optimizer: string|object, loss: string|Function|Array|object, metrics?: Array|object, lossWeights?: number[]|object}} args
   */
  compile(args) {
    if (!args || typeof args !== 'object') throw new Error('compile: expected {optimizer, loss, metrics}');
    if (!this._engineLayers.length) throw new Error('compile: the model has no layers; add layers before compiling');
    const optimizer = resolveOptimizer(args.optimizer ?? (() => { throw new Error('compile: an optimizer is required, e.g. tf.train.adam(0.01) or \'adam\''); })());
    const names = this.outputNames;
    const n = names.length;
    const plain = (v) => v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof LossSpec);
    // One value per output from an array, an object keyed by output name, or one for all.
    const perOutput = (v, what) => {
      if (Array.isArray(v)) {
        if (v.length !== n) throw new Error(`compile: the model has ${n} output${n > 1 ? 's' : ''} (${names.join(', ')}), received ${v.length} ${what}`);
        return v;
      }
      if (plain(v) && n > 1) {
        const extra = Object.keys(v).filter((k) => !names.includes(k));
        if (extra.length) throw new Error(`compile: ${what} names unknown output${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (outputs: ${names.join(', ')})`);
        return names.map((nm) => v[nm]);
      }
      return names.map(() => v);
    };
    const losses = perOutput(args.loss, 'losses');
    losses.forEach((loss, j) => {
      if (typeof loss !== 'string' && typeof loss !== 'function' && !(loss instanceof LossSpec)) {
        throw new Error(`compile: ${n > 1 ? `the loss for output '${names[j]}'` : 'loss'} must be a name like 'meanSquaredError', a tf.losses.* class like new tf.losses.Huber({delta: 2}), or a function (yTrue, yPred) => Tensor, received ${loss}`);
      }
    });
    let metrics = args.metrics ?? [];
    let perMetrics;
    if (n > 1 && Array.isArray(metrics) && metrics.length && metrics.every(Array.isArray)) perMetrics = perOutput(metrics, 'metric lists');
    else if (n > 1 && plain(metrics)) perMetrics = perOutput(metrics, 'metrics').map((m) => (m === undefined ? [] : Array.isArray(m) ? m : [m]));
    else {
      if (!Array.isArray(metrics)) metrics = typeof metrics === 'object' && !(typeof metrics === 'function') ? Object.values(metrics).flat() : [metrics];
      perMetrics = names.map(() => metrics);
    }
    for (const list of perMetrics) {
      for (const m of list) {
        if (typeof m !== 'string' && typeof m !== 'function') throw new Error(`compile: a metric must be a name like 'accuracy' or a function, received ${m}`);
      }
    }
    const weights = args.lossWeights === undefined ? names.map(() => 1) : perOutput(args.lossWeights, 'loss weights');
    weights.forEach((w, j) => {
      if (typeof w !== 'number' || !Number.isFinite(w)) throw new Error(`compile: lossWeights for output '${names[j]}' must be a finite number, received ${w}`);
    });
    const heads = losses.map((loss, j) => ({ loss, metrics: perMetrics[j], weight: weights[j] }));
    const next = { optimizer, loss: heads[0].loss, metrics: heads[0].metrics, heads };
    // Check names with the engine before changing anything, so a failed compile leaves the
    // previous compile in force.
    if (heads.every((h) => typeof h.loss !== 'function' && h.metrics.every((m) => typeof m === 'string'))) {
      this._sendCompile(undefined, next);
    } else {
      // User functions are traced at the first fit, when the labels' shape is known; check the
      // rest (optimizer, loss and metric names) now.
      const stand = (f, what) => (typeof f === 'string' ? f : f instanceof LossSpec ? f.toJSON() : { perStep: true, name: fnName(f, what) });
      engine.model_compile(this._id, JSON.stringify(this._compileBody(next, (f, what) => stand(f, what))), true);
      this._traceKey = null;
    }
    if (this.optimizer) this.optimizer._models.delete(this);
    this.optimizer = optimizer;
    optimizer._models.add(this);
    this.loss = n === 1 ? heads[0].loss : losses;
    this.metrics = n === 1 ? heads[0].metrics : perMetrics;
    this._compileArgs = next;
  }

  /** compile's JSON for the engine; `spec(f, what, output, slot)` describes a loss (slot -1)
   *  or metric. */
  _compileBody({ optimizer, heads }, spec) {
    if (heads.length === 1) {
      return { optimizer: optimizer.toJSON(), loss: spec(heads[0].loss, 'loss', 0, -1), metrics: heads[0].metrics.map((m, i) => spec(m, `metric${i}`, 0, i)) };
    }
    return {
      optimizer: optimizer.toJSON(),
      heads: heads.map((h, j) => ({ loss: spec(h.loss, 'loss', j, -1), metrics: h.metrics.map((m, i) => spec(m, `metric${i}`, j, i)), weight: h.weight })),
    };
  }

  /** The optimizer's learning rate changed: tell the engine, if it has compiled this model yet
   *  (otherwise the next compile sends the optimizer's current config). */
  _setLearningRate(lr) {
    if (this._traceKey !== null) engine.model_set_learning_rate(this._id, lr);
  }

  /** Sends compile to the engine; user functions are traced for targets shaped like `ys` (one
   *  tensor per output). */
  _sendCompile(ys, args = this._compileArgs) {
    const { heads } = args;
    const needsTrace = heads.some((h) => typeof h.loss === 'function' || h.metrics.some((m) => typeof m === 'function'));
    if (needsTrace && !ys) return;
    const key = needsTrace ? JSON.stringify(ys.map((y) => [y.shape.slice(1), y.dtype])) : 'static';
    if (args === this._compileArgs && this._traceKey === key) return;
    const perStep = { loss: null, metrics: heads[0].metrics.map(() => null) };
    const made = [];
    const spec = (f, what, j, slot) => {
      if (typeof f === 'string') return f;
      if (f instanceof LossSpec) return f.toJSON();
      const traced = this._trace(f, ys[j], this._runOutputShapes[j].slice(1), what);
      if (traced !== null) {
        made.push(traced);
        return { traced, name: fnName(f, what) };
      }
      if (heads.length > 1) {
        throw new Error(`compile: the custom ${what} '${fnName(f, what)}' of output '${this.outputNames[j]}' reads tensor values; a model with several outputs needs losses and metrics written with tensor ops only`);
      }
      // The function reads values (data-dependent control flow): record it on every step.
      if (slot < 0) perStep.loss = f;
      else perStep.metrics[slot] = f;
      return { perStep: true, name: fnName(f, what) };
    };
    try {
      engine.model_compile(this._id, JSON.stringify(this._compileBody(args, spec)), false);
    } catch (e) {
      made.forEach((id) => engine.traced_drop(id)); // recordings compile did not take
      throw e;
    }
    this._perStep = perStep.loss || perStep.metrics.some(Boolean) ? perStep : null;
    this._traceKey = key;
  }

  /**
   * Traces a user loss or metric once on placeholders (targets like `y`, predictions of feature
   * shape `out`); returns the recording's id, or null when the function reads tensor values
   * and so must be recorded afresh on every step.
   */
  _trace(fn, y, out, what) {
    const at = (batch) => {
      const ph = engine.trace_begin(JSON.stringify([[[batch, ...y.shape.slice(1)], y.dtype], [[batch, ...out], 'float32']]), undefined);
      return this._finishTrace(fn, ph, what, true);
    };
    // Trace at two batch sizes: if the recordings agree, the function does not depend on the
    // batch size and one trace serves every batch. If they differ (a batch-sized shape or
    // constant is baked in), or the function cannot run on these probe sizes or reads values,
    // it is recorded afresh on every step instead (where a real error, if any, surfaces).
    const a = at(5);
    if (a === null) return null;
    const b = at(7);
    if (b === null || !engine.traced_same(a, b)) {
      engine.traced_drop(a);
      if (b !== null) engine.traced_drop(b);
      return null;
    }
    engine.traced_drop(b);
    return a;
  }

  /** Records `fn` on this step's actual (yTrue, yPred); returns the recording's id. */
  _record(fn, yTrue, yPred, what) {
    const ph = engine.trace_begin(JSON.stringify([[yTrue.shape, yTrue.dtype], [yPred.shape, 'float32']]), Uint32Array.of(yTrue.id, yPred.id));
    return this._finishTrace(fn, ph, what, false);
  }

  /** Calls `fn` on placeholders inside a tidy scope (what it creates is freed) and ends the
   *  trace. Returns the recording's id; with `probe`, null when the function failed. */
  _finishTrace(fn, ph, what, probe) {
    const abandon = () => { try { engine.trace_end(undefined); } catch { /* the trace is closed either way */ } };
    let id = null;
    let failure = null;
    try {
      tidy(() => {
        const result = fn(wrap(ph[0]), wrap(ph[1]));
        if (!(result instanceof Tensor)) {
          throw new TypeError(`the custom ${what} '${fnName(fn, what)}' must return a Tensor, received ${result}`);
        }
        id = engine.trace_end(result.id);
      });
    } catch (e) {
      failure = e;
    }
    if (id !== null) return id;
    abandon();
    if (failure instanceof TypeError && /must return a Tensor/.test(failure.message)) throw failure;
    if (probe) return null;
    throw new Error(`the custom ${what} '${fnName(fn, what)}' failed: ${failure?.message}`);
  }

  /** Records this step's per-step functions on the engine's (yTrue, yPred) and hands them over. */
  _supplyPerStep(session, ev) {
    const yTrue = wrap(ev.yTrue);
    const yPred = wrap(ev.yPred);
    const made = [];
    try {
      const ps = this._perStep;
      const rec = (f, what) => {
        if (!f) return null;
        const id = this._record(f, yTrue, yPred, what);
        made.push(id);
        return id;
      };
      const fns = { phase: ev.phase, loss: rec(ps.loss, 'loss'), metrics: ps.metrics.map((m, i) => rec(m, `metric${i}`)) };
      engine.fit_supply(session, JSON.stringify(fns));
    } catch (e) {
      made.forEach((id) => engine.traced_drop(id));
      throw e;
    } finally {
      yTrue.dispose();
      yPred.dispose();
    }
  }

  /**
   * Trains the model. Mirrors TF.js's model.fit: x and y are tensors, or (for several inputs or
   * outputs) arrays of tensors or objects keyed by input / output name.
   * @returns {Promise<History>}
   */
  async fit(x, y, args = {}) {
    const temps = [];
    // Weights a custom loop is updating on the GPU come from there, not from a CPU replay.
    await settleWriteBacks();
    try {
      if (this.isTraining) throw new Error('fit: cannot start training because another fit() call is ongoing');
      if (!this._compileArgs) throw new Error('fit: the model must be compiled before training: call model.compile({optimizer, loss})');
      const X = this._xOf(x, 'fit', temps);
      const ys = this._ysOf(y, 'fit', temps);
      let withV = args;
      const vd = args.validationData;
      if (vd) {
        if (!Array.isArray(vd) || vd.length < 2) throw new Error('fit: validationData must be [x, y]');
        const op = 'fit (validationData)';
        const vys = this._ysOf(vd[1], op, temps);
        vys.forEach((t, j) => {
          if (ys.length > 1 && fmtShape(t.shape.slice(1)) !== fmtShape(ys[j].shape.slice(1))) {
            throw new Error(`${op}: y[${j}] has shape ${fmtShape(t.shape)}, but the training y[${j}] has shape ${fmtShape(ys[j].shape)}`);
          }
        });
        const vx = this._xOf(vd[0], op, temps);
        if (this._hasFreeDims) {
          const xs = (v) => (v instanceof Tensor ? [v] : Array.isArray(v) ? v : this.inputNames.map((nm) => v[nm]));
          const a = xs(x).map((t) => fmtShape(t.shape.slice(1)));
          const b = xs(vd[0]).map((t) => fmtShape(t.shape.slice(1)));
          if (a.join() !== b.join()) throw new Error(`${op}: x of shape ${b.join(', ')} per sample must have the same number of steps as the training x (${a.join(', ')}) in one fit; evaluate it separately`);
          this._useShapes(xs(x));
        }
        withV = { ...args, validationData: [vx, this._packY(vys, op, temps)] };
      }
      const Y = this._packY(ys, 'fit', temps);
      this._sendCompile(ys);
      this._sendAddedLosses();
      this._pull();
      return await this._fit(X, Y, withV);
    } finally {
      temps.forEach((t) => t.dispose());
    }
  }

  /**
   * Records the functions layers added with addLoss, each with every layer's weights as its
   * inputs (LayerVariable.read() gives them while it runs), so fit adds their scalars to the
   * training loss as TF.js's calculateLosses does. Recorded again when the list changes.
   */
  _sendAddedLosses() {
    const layers = this._engineLayers;
    const fns = layers.flatMap((l) => l._addedLosses ?? []);
    const sent = this._addedSent;
    if (sent && sent.id === this._id && sent.fns.length === fns.length && sent.fns.every((f, i) => f === fns[i])) return;
    if (!fns.length && (!sent || sent.id !== this._id)) return;
    const specs = layers.flatMap((l) => (l._weightInfo ?? []).map((w) => [w.shape, 'float32']));
    const ids = [];
    try {
      fns.forEach((f, k) => {
        const ph = engine.trace_begin(JSON.stringify(specs), undefined);
        const saved = layers.map((l) => l._tracing);
        try {
          tidy(() => {
            const all = Array.from(ph).map((h) => wrap(h));
            let at = 0;
            for (const l of layers) {
              const n = (l._weightInfo ?? []).length;
              l._tracing = all.slice(at, at + n);
              at += n;
            }
            const r = f();
            if (!(r instanceof Tensor)) throw new TypeError(`it must return a scalar Tensor, received ${r}`);
            ids.push(engine.trace_end(r.id));
          });
        } catch (e) {
          try { engine.trace_end(undefined); } catch { /* closed either way */ }
          throw new Error(`fit: the function added with addLoss (number ${k}) could not be recorded: ${e.message}`);
        } finally {
          layers.forEach((l, i) => { l._tracing = saved[i]; });
        }
      });
    } catch (e) {
      ids.forEach((id) => engine.traced_drop(id));
      throw e;
    }
    engine.model_set_added_losses(this._id, Uint32Array.from(ids));
    this._addedSent = { id: this._id, fns };
  }

  /** TF.js's trainOnBatch: one gradient step on the whole batch. Resolves to the loss (from
   *  before the update, as Keras and TF.js report it), or [loss, ...metrics] with metrics. */
  async trainOnBatch(x, y) {
    const first = x instanceof Tensor ? x : Array.isArray(x) ? x[0] : x && typeof x === 'object' ? Object.values(x)[0] : undefined;
    if (!(first instanceof Tensor)) throw new Error(`trainOnBatch: x must be a Tensor (or an array of Tensors for several inputs), received ${x}`);
    const h = await this.fit(x, y, { epochs: 1, batchSize: Math.max(1, first.shape[0] ?? 1), shuffle: false, verbose: 0 });
    const values = Object.values(h.history).map((v) => v[0]);
    return values.length === 1 ? values[0] : values;
  }

  async _fit(x, y, args) {
    if (this.isTraining) throw new Error('fit: cannot start training because another fit() call is ongoing');
    if (!this._compileArgs) throw new Error('fit: the model must be compiled before training: call model.compile({optimizer, loss})');
    let vx = 0;
    let vy = 0;
    if (args.validationData) {
      const [a, b] = args.validationData;
      this._checkTensor('fit', 'validationData[0]', a);
      this._checkTensor('fit', 'validationData[1]', b);
      vx = a.id;
      vy = b.id;
    }
    for (const k of ['epochs', 'batchSize', 'initialEpoch']) {
      if (args[k] !== undefined && (!Number.isInteger(args[k]) || args[k] < (k === 'initialEpoch' ? 0 : 1))) {
        throw new Error(`fit: ${k} must be a ${k === 'initialEpoch' ? 'non-negative' : 'positive'} integer, received ${args[k]}`);
      }
    }
    {
      // The batch sizes this fit runs (training, and validation in batches of the same size).
      const bs = args.batchSize ?? 32;
      const n = x.shape[0];
      const vs = args.validationSplit ?? 0;
      const split = vs > 0 ? Math.floor(n * (1 - vs)) : n;
      const nv = args.validationData ? args.validationData[0].shape[0] : n - split;
      this._prepareBatches([...LayersModel._batchSizes(split, bs), ...(nv > 0 ? LayersModel._batchSizes(nv, bs) : [])]);
    }
    const cbs = toCallbackList(args.callbacks, args.verbose);
    const history = new History();
    const list = [...cbs, history];
    const initialEpoch = await restoreFromBackup(this, cbs, args.initialEpoch ?? 0);
    const session = engine.fit_begin(this._id, x.id, y.id, vx, vy, JSON.stringify({
      epochs: args.epochs ?? 1,
      batchSize: args.batchSize ?? 32,
      shuffle: args.shuffle === 'batch' ? true : (args.shuffle ?? true),
      validationSplit: args.validationSplit ?? 0,
      initialEpoch,
      seed: args.seed,
      reportBatches: cbs.some((c) => typeof c.onBatchEnd === 'function' || typeof c.onBatchBegin === 'function'),
      classWeight: classWeightOf(args.classWeight),
    }));
    const info = JSON.parse(engine.fit_info(session));
    const keys = info.validation ? [...info.keys, ...info.keys.map((k) => `val_${k}`)] : info.keys;
    const params = {
      epochs: args.epochs ?? 1, initialEpoch, samples: info.samples, steps: null,
      batchSize: args.batchSize ?? 32, verbose: args.verbose ?? 0, doValidation: info.validation, metrics: keys,
    };
    for (const c of list) {
      if (typeof c.setModel === 'function') c.setModel(this);
      if (typeof c.setParams === 'function') c.setParams(params);
    }
    history.params = params;
    const perBatch = cbs.some((c) => typeof c.onBatchEnd === 'function' || typeof c.onBatchBegin === 'function');
    this.isTraining = true;
    this.stopTraining = false;
    let slice = 1;
    let lastLogs = {};
    let epoch = 0;
    let inEpoch = false;
    let batch = 0;
    let begun = -1;
    let gpuPending = false;
    let lastYield = performance.now();
    try {
      await fire(list, 'onTrainBegin', {});
      // TF.js clears the flag after onTrainBegin: a stop requested there does not count.
      this.stopTraining = false;
      for (;;) {
        if (perBatch && inEpoch && batch < info.batches && batch !== begun && !(this.stopTraining && batch > 0)) {
          begun = batch;
          await fire(list, 'onBatchBegin', batch, { batch, size: Math.min(params.batchSize, info.samples - batch * params.batchSize) });
        }
        const t0 = performance.now();
        const events = JSON.parse(engine.fit_run(session, perBatch ? 1 : slice));
        const dt = performance.now() - t0;
        if (!perBatch) {
          // Aim each slice at SLICE_MS of engine time.
          const ran = events.reduce((n, e) => n + (e.type === 'progress' ? e.batches : 0), 0);
          const per = dt / Math.max(1, ran);
          slice = Math.max(1, Math.min(1024, Math.round(SLICE_MS / Math.max(per, 0.01))));
        }
        let ended = false;
        for (const ev of events) {
          if (ev.type === 'epochBegin') {
            epoch = ev.epoch;
            inEpoch = true;
            batch = 0;
            begun = -1;
            await fire(list, 'onEpochBegin', ev.epoch, {});
          } else if (ev.type === 'batchEnd') {
            batch = ev.batch + 1;
            await fire(list, 'onBatchEnd', ev.batch, logsObject(info.keys, ev.values, { batch: ev.batch, size: ev.size }));
            if (this.stopTraining) engine.fit_stop(session);
          } else if (ev.type === 'progress') {
            batch = ev.next;
          } else if (ev.type === 'epochEnd') {
            inEpoch = false;
            lastLogs = logsObject(info.keys, ev.values);
            if (ev.val) Object.assign(lastLogs, logsObject(info.keys.map((k) => `val_${k}`), ev.val));
            history.epoch.push(ev.epoch);
            for (const [k, v] of Object.entries(lastLogs)) (history.history[k] ??= []).push(v);
            await fire(cbs, 'onEpochEnd', ev.epoch, { ...lastLogs });
            if (this.stopTraining) engine.fit_stop(session);
          } else if (ev.type === 'trainEnd') {
            ended = true;
          } else if (ev.type === 'needFns') {
            this._supplyPerStep(session, ev);
          } else if (ev.type === 'gpuWait') {
            gpuPending = true;
          } else if (ev.type === 'deviceLost') {
            flushWarnings();
          }
        }
        if (ended) break;
        if (this.stopTraining) engine.fit_stop(session);
        if (gpuPending) {
          // The engine waits for the GPU (a read, or steps in flight): let the event loop run
          // until it answers; onYield still fires every slice of wall time.
          gpuPending = false;
          if (performance.now() - lastYield >= SLICE_MS) {
            lastYield = performance.now();
            await fire(cbs, 'onYield', epoch, batch, lastLogs);
          }
          await gpuWait();
          continue;
        }
        lastYield = performance.now();
        await fire(cbs, 'onYield', epoch, batch, lastLogs);
        await yieldToBrowser();
      }
      await fire(list, 'onTrainEnd', lastLogs);
    } finally {
      engine.fit_end(session);
      this.isTraining = false;
      this._claim();
      flushWarnings();
    }
    return history;
  }

  /** @returns {Tensor|Tensor[]} one tensor per output */
  predict(x, args = {}) {
    const temps = [];
    try {
      const X = this._xOf(x, 'predict', temps);
      this._pull();
      this._prepareBatches(LayersModel._batchSizes(X.shape[0], args.batchSize ?? 32));
      const out = wrap(engine.model_predict(this._id, X.id, args.batchSize ?? 32));
      flushWarnings();
      return this._unpackOutputs(out);
    } finally {
      temps.forEach((t) => t.dispose());
    }
  }

  predictOnBatch(x) {
    const first = x instanceof Tensor ? x : Array.isArray(x) ? x[0] : Object.values(x ?? {})[0];
    return this.predict(x, { batchSize: Math.max(1, first?.shape?.[0] ?? 1) });
  }

  /** @returns {Tensor|Tensor[]} the loss, then each metric, as scalars */
  evaluate(x, y, args = {}) {
    const temps = [];
    try {
      if (!this._compileArgs) throw new Error('evaluate: the model must be compiled first: call model.compile({optimizer, loss})');
      const X = this._xOf(x, 'evaluate', temps);
      const ys = this._ysOf(y, 'evaluate', temps);
      const Y = this._packY(ys, 'evaluate', temps);
      this._sendCompile(ys);
      this._pull();
      return this._evaluate(X, Y, args);
    } finally {
      temps.forEach((t) => t.dispose());
    }
  }

  _evaluate(x, y, args) {
    this._prepareBatches(LayersModel._batchSizes(x.shape[0], args.batchSize ?? 32));
    const hs = Array.from(engine.model_evaluate(this._id, x.id, y.id, args.batchSize ?? 32)).map(wrap);
    flushWarnings();
    if (!this._perStep) return hs.length === 1 ? hs[0] : hs;
    const v = hs.map((t) => t.dataSync()[0]);
    hs.forEach((t) => t.dispose());
    {
      // Per-step functions run here as plain calls, batch by batch, averaged over samples as
      // the engine averages the others (single-output models only).
      const { loss, metrics } = this._perStep;
      const n = x.shape[0];
      const bs = args.batchSize ?? 32;
      const fns = [loss, ...metrics];
      const sums = fns.map(() => 0);
      for (let start = 0; start < n; start += bs) {
        const size = Math.min(bs, n - start);
        tidy(() => {
          const xs = x.slice([start], [size]);
          const ys = y.slice([start], [size]);
          const yPred = wrap(engine.model_predict(this._id, xs.id, size));
          fns.forEach((f, i) => { if (f) sums[i] += mean(f(ys, yPred)).dataSync()[0] * size; });
        });
      }
      fns.forEach((f, i) => { if (f) v[i] = sums[i] / n; });
    }
    const out = v.map((s) => wrap(engine.tensor_new(Float32Array.of(s), new Float64Array(0), 'float32')));
    return out.length === 1 ? out[0] : out;
  }

  /** Trains on a tf.data dataset of {xs, ys} batches (TF.js's fitDataset). */
  fitDataset(dataset, args) { return fitDataset(this, dataset, args); }

  /** Evaluates on a tf.data dataset of {xs, ys} batches. */
  evaluateDataset(dataset, args) { return evaluateDataset(this, dataset, args); }
}

for (const key of Object.getOwnPropertyNames(TrainingMembers.prototype)) {
  if (key === 'constructor') continue;
  Object.defineProperty(LayersModel.prototype, key, { ...Object.getOwnPropertyDescriptor(TrainingMembers.prototype, key), enumerable: false });
}

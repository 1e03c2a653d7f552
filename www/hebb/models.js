// Sequential models. The model lives in the engine; this class holds its handle, the layer
// objects and the compile arguments. fit() hands the data to the engine once and then asks it to
// run slices of batches, yielding to the browser between slices and firing callbacks with the
// numbers the engine reports.
import { engine, gpuWait, flushWarnings } from './engine.js';
import { Tensor, tidy, wrap } from './tensor.js';
import { mean } from './ops.js';
import { Layer } from './layers.js';
import { resolveOptimizer } from './train.js';
import { LossSpec } from './losses.js';
import { fire, toCallbackList, Callback } from './callbacks.js';
import { yieldToBrowser } from './yield.js';

const SLICE_MS = 12;

export class History extends Callback {
  constructor() {
    super();
    this.epoch = [];
    this.history = {};
  }
}

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

export class Sequential {
  constructor(config = {}) {
    this._id = engine.model_new();
    this.name = config.name ?? 'sequential_1';
    this.layers = [];
    this.stopTraining = false;
    this.isTraining = false;
    this._compileArgs = null;
    this._traceKey = null;
    this._perStep = null;
    this.optimizer = null;
    if (config.layers) for (const l of config.layers) this.add(l);
  }

  /** @param {Layer} layer */
  add(layer) {
    if (!(layer instanceof Layer)) throw new Error(`Sequential.add: expected a layer from tf.layers.*, received ${layer?.constructor?.name ?? layer}`);
    if (layer._model) throw new Error(`Sequential.add: ${layer.className} '${layer.name}' already belongs to a model`);
    const info = JSON.parse(engine.model_add(this._id, layer.className, JSON.stringify(layer._config)));
    layer._attach(this, this.layers.length, info);
    this.layers.push(layer);
    if (this._compileArgs) {
      this._traceKey = null;
      this._sendCompile();
    }
  }

  get inputs() { return this.layers.length ? [{ shape: this.layers[0].inputShape }] : []; }
  get outputs() { return this.layers.length ? [{ shape: this.layers[this.layers.length - 1].outputShape }] : []; }
  get outputShape() { return this.layers.length ? this.layers[this.layers.length - 1].outputShape : undefined; }

  getLayer(name, index) {
    if (typeof name === 'number') return this.layers[name];
    if (index !== undefined) return this.layers[index];
    const l = this.layers.find((x) => x.name === name);
    if (!l) throw new Error(`getLayer: no layer named '${name}' (layers: ${this.layers.map((x) => x.name).join(', ')})`);
    return l;
  }

  summary(lineLength, positions, printFn = console.log) {
    const text = engine.model_summary(this._id, lineLength ?? 0, Float64Array.from(positions ?? []));
    for (const line of text.split('\n')) printFn(line);
  }

  countParams() {
    const [t, n] = engine.model_count_params(this._id);
    return t + n;
  }

  /**
   * @param {{optimizer: string|object, loss: string|Function, metrics?: Array<string|Function>}} args
   */
  compile(args) {
    if (!args || typeof args !== 'object') throw new Error('compile: expected {optimizer, loss, metrics}');
    if (!this.layers.length) throw new Error('compile: the model has no layers; add layers before compiling');
    const optimizer = resolveOptimizer(args.optimizer ?? (() => { throw new Error('compile: an optimizer is required, e.g. tf.train.adam(0.01) or \'adam\''); })());
    if (Array.isArray(args.loss)) {
      if (args.loss.length !== 1) throw new Error(`compile: a Sequential model has one output, received ${args.loss.length} losses`);
    }
    const loss = Array.isArray(args.loss) ? args.loss[0] : args.loss;
    if (typeof loss !== 'string' && typeof loss !== 'function' && !(loss instanceof LossSpec)) {
      throw new Error(`compile: loss must be a name like 'meanSquaredError', a tf.losses.* class like new tf.losses.Huber({delta: 2}), or a function (yTrue, yPred) => Tensor, received ${loss}`);
    }
    let metrics = args.metrics ?? [];
    if (!Array.isArray(metrics)) metrics = typeof metrics === 'object' && !(typeof metrics === 'function') ? Object.values(metrics).flat() : [metrics];
    for (const m of metrics) {
      if (typeof m !== 'string' && typeof m !== 'function') throw new Error(`compile: a metric must be a name like 'accuracy' or a function, received ${m}`);
    }
    const next = { optimizer, loss, metrics };
    // Check names with the engine before changing anything, so a failed compile leaves the
    // previous compile in force.
    if (typeof loss !== 'function' && metrics.every((m) => typeof m === 'string')) {
      this._sendCompile(undefined, next);
    } else {
      // User functions are traced at the first fit, when the labels' shape is known; check the
      // rest (optimizer, loss and metric names) now.
      const stand = (f, what) => (typeof f === 'string' ? f : f instanceof LossSpec ? f.toJSON() : { perStep: true, name: fnName(f, what) });
      engine.model_compile(this._id, JSON.stringify({ optimizer: optimizer.toJSON(), loss: stand(loss, 'loss'), metrics: metrics.map((m, i) => stand(m, `metric${i}`)) }), true);
      this._traceKey = null;
    }
    if (this.optimizer) this.optimizer._models.delete(this);
    this.optimizer = optimizer;
    optimizer._models.add(this);
    this.loss = loss;
    this.metrics = metrics;
    this._compileArgs = next;
  }

  /** The optimizer's learning rate changed: tell the engine, if it has compiled this model yet
   *  (otherwise the next compile sends the optimizer's current config). */
  _setLearningRate(lr) {
    if (this._traceKey !== null) engine.model_set_learning_rate(this._id, lr);
  }

  /** Sends compile to the engine; user functions are traced for labels shaped like `y`. */
  _sendCompile(y, args = this._compileArgs) {
    const { optimizer, loss, metrics } = args;
    const needsTrace = typeof loss === 'function' || metrics.some((m) => typeof m === 'function');
    if (needsTrace && !y) return;
    const key = needsTrace ? JSON.stringify([y.shape.slice(1), y.dtype]) : 'static';
    if (args === this._compileArgs && this._traceKey === key) return;
    const perStep = { loss: null, metrics: metrics.map(() => null) };
    const made = [];
    const spec = (f, what, slot) => {
      if (typeof f === 'string') return f;
      if (f instanceof LossSpec) return f.toJSON();
      const traced = this._trace(f, y, what);
      if (traced !== null) {
        made.push(traced);
        return { traced, name: fnName(f, what) };
      }
      // The function reads values (data-dependent control flow): record it on every step.
      if (slot < 0) perStep.loss = f;
      else perStep.metrics[slot] = f;
      return { perStep: true, name: fnName(f, what) };
    };
    try {
      engine.model_compile(this._id, JSON.stringify({
        optimizer: optimizer.toJSON(),
        loss: spec(loss, 'loss', -1),
        metrics: metrics.map((m, i) => spec(m, `metric${i}`, i)),
      }), false);
    } catch (e) {
      made.forEach((id) => engine.traced_drop(id)); // recordings compile did not take
      throw e;
    }
    this._perStep = perStep.loss || perStep.metrics.some(Boolean) ? perStep : null;
    this._traceKey = key;
  }

  /**
   * Traces a user loss or metric once on placeholders; returns the recording's id, or null when
   * the function reads tensor values and so must be recorded afresh on every step.
   */
  _trace(fn, y, what) {
    const out = this.layers[this.layers.length - 1].outputShape.slice(1);
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

  _checkTensor(op, name, t) {
    if (!(t instanceof Tensor)) {
      throw new Error(`${op}: ${name} must be a Tensor, received ${Array.isArray(t) ? 'an array (multiple inputs need tf.model)' : String(t)}`);
    }
    if (t.isDisposed) throw new Error(`${op}: ${name} has been disposed`);
  }

  /**
   * Trains the model. Mirrors TF.js's model.fit.
   * @returns {Promise<History>}
   */
  async fit(x, y, args = {}) {
    const temps = [];
    try {
      const vd = args.validationData;
      const withLabels = vd ? { ...args, validationData: [vd[0], this._labels(vd[1], temps)] } : args;
      return await this._fit(x, this._labels(y, temps), withLabels);
    } finally {
      temps.forEach((t) => t.dispose());
    }
  }

  /** TF.js's trainOnBatch: one gradient step on the whole batch. Resolves to the loss (from
   *  before the update, as Keras and TF.js report it), or [loss, ...metrics] with metrics. */
  async trainOnBatch(x, y) {
    if (!(x instanceof Tensor)) throw new Error(`trainOnBatch: x must be a Tensor, received ${x}`);
    const h = await this.fit(x, y, { epochs: 1, batchSize: Math.max(1, x.shape[0] ?? 1), shuffle: false, verbose: 0 });
    const values = Object.values(h.history).map((v) => v[0]);
    return values.length === 1 ? values[0] : values;
  }

  /** Labels of shape [n] for a model whose output is [null, 1] are read as [n, 1], as TF.js does. */
  _labels(y, temps) {
    const out = this.outputShape;
    if (!(y instanceof Tensor) || y.isDisposed || y.rank !== 1 || !out || out.length !== 2 || out[1] !== 1) return y;
    const r = y.reshape([-1, 1]);
    temps.push(r);
    return r;
  }

  async _fit(x, y, args) {
    if (this.isTraining) throw new Error('fit: cannot start training because another fit() call is ongoing');
    if (!this._compileArgs) throw new Error('fit: the model must be compiled before training: call model.compile({optimizer, loss})');
    this._checkTensor('fit', 'x', x);
    this._checkTensor('fit', 'y', y);
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
    this._sendCompile(y);
    const cbs = toCallbackList(args.callbacks);
    const history = new History();
    const list = [...cbs, history];
    const session = engine.fit_begin(this._id, x.id, y.id, vx, vy, JSON.stringify({
      epochs: args.epochs ?? 1,
      batchSize: args.batchSize ?? 32,
      shuffle: args.shuffle === 'batch' ? true : (args.shuffle ?? true),
      validationSplit: args.validationSplit ?? 0,
      initialEpoch: args.initialEpoch ?? 0,
      seed: args.seed,
      reportBatches: cbs.some((c) => typeof c.onBatchEnd === 'function' || typeof c.onBatchBegin === 'function'),
      classWeight: classWeightOf(args.classWeight),
    }));
    const info = JSON.parse(engine.fit_info(session));
    const keys = info.validation ? [...info.keys, ...info.keys.map((k) => `val_${k}`)] : info.keys;
    const params = {
      epochs: args.epochs ?? 1, initialEpoch: args.initialEpoch ?? 0, samples: info.samples, steps: null,
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
      flushWarnings();
    }
    return history;
  }

  /** @returns {Tensor} */
  predict(x, args = {}) {
    this._checkTensor('predict', 'x', x);
    const out = wrap(engine.model_predict(this._id, x.id, args.batchSize ?? 32));
    flushWarnings();
    return out;
  }

  predictOnBatch(x) { return this.predict(x, { batchSize: x.shape[0] }); }

  /** @returns {Tensor|Tensor[]} the loss, then each metric, as scalars */
  evaluate(x, y, args = {}) {
    const temps = [];
    try {
      return this._evaluate(x, this._labels(y, temps), args);
    } finally {
      temps.forEach((t) => t.dispose());
    }
  }

  _evaluate(x, y, args) {
    if (!this._compileArgs) throw new Error('evaluate: the model must be compiled first: call model.compile({optimizer, loss})');
    this._checkTensor('evaluate', 'x', x);
    this._checkTensor('evaluate', 'y', y);
    this._sendCompile(y);
    const hs = Array.from(engine.model_evaluate(this._id, x.id, y.id, args.batchSize ?? 32)).map(wrap);
    flushWarnings();
    if (!this._perStep) return hs.length === 1 ? hs[0] : hs;
    const v = hs.map((t) => t.dataSync()[0]);
    hs.forEach((t) => t.dispose());
    {
      // Per-step functions run here as plain calls, batch by batch, averaged over samples as
      // the engine averages the others.
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
          const yPred = this.predict(xs, { batchSize: size });
          fns.forEach((f, i) => { if (f) sums[i] += mean(f(ys, yPred)).dataSync()[0] * size; });
        });
      }
      fns.forEach((f, i) => { if (f) v[i] = sums[i] / n; });
    }
    const out = v.map((s) => wrap(engine.tensor_new(Float32Array.of(s), new Float64Array(0), 'float32')));
    return out.length === 1 ? out[0] : out;
  }

  getWeights() { return Array.from(engine.model_get_weights(this._id)).map(wrap); }

  setWeights(tensors) {
    if (!Array.isArray(tensors)) throw new Error('setWeights: expected an array of tensors');
    tensors.forEach((t, i) => this._checkTensor('setWeights', `weights[${i}]`, t));
    engine.model_set_weights(this._id, Uint32Array.from(tensors.map((t) => t.id)));
  }

  dispose() {
    if (this.optimizer) this.optimizer._models.delete(this);
    engine.model_dispose(this._id);
    return { refCountAfterDispose: 0, numDisposedVariables: this.layers.reduce((s, l) => s + l._weightCount, 0) };
  }
}

export function sequential(config) { return new Sequential(config); }

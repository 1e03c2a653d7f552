// Sequential models. The model lives in the engine; this class holds its handle, the layer
// objects and the compile arguments. fit() hands the data to the engine once and then asks it to
// run slices of batches, yielding to the browser between slices and firing callbacks with the
// numbers the engine reports.
import { engine, gpuWait, flushWarnings } from './engine.js';
import { Tensor, tidy, wrap } from './tensor.js';
import { mean, concat, reshape, cast, slice } from './ops.js';
import { Layer, SymbolicTensor, _registerModelFactory, _symbolicInput } from './layers.js';
import { resolveOptimizer } from './train.js';
import { LossSpec } from './losses.js';
import { fire, toCallbackList, Callback } from './callbacks.js';
import { yieldToBrowser } from './yield.js';
import { fitDataset, evaluateDataset } from './fit_dataset.js';
import { recording, _registerModelHooks } from './grad.js';

/** The models alive now: without a varList, tf.variableGrads differentiates their weights too. */
const liveModels = new Set();
_registerModelHooks({
  materialize() {
    for (const m of liveModels) for (const w of m.trainableWeights) void w.val;
  },
});

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

let weightsVersion = 0;
const fmtShape = (s) => JSON.stringify(s);

/**
 * A model: TF.js's LayersModel. `new LayersModel({inputs, outputs})` (or `tf.model`) makes a
 * functional model from symbolic tensors; Sequential extends it with `add`.
 */
export class LayersModel {
  constructor(config = {}) {
    this._init(config);
    if (config.inputs !== undefined || config.outputs !== undefined) this._initFunctional(config);
  }

  _init(config) {
    liveModels.add(this);
    this.name = config.name ?? 'model_1';
    /** The layers as the engine holds them (a nested model's layers one by one). */
    this._engineLayers = [];
    this.layers = [];
    /** The weights version of each shared layer this model has (see _pull). */
    this._seen = new Map();
    this.stopTraining = false;
    this.isTraining = false;
    this._compileArgs = null;
    this._traceKey = null;
    this._perStep = null;
    this.optimizer = null;
  }

  _initFunctional({ inputs, outputs, name }) {
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    ins.forEach((s, i) => {
      if (!(s instanceof SymbolicTensor)) throw new Error(`tf.model: inputs[${i}] must be a SymbolicTensor from tf.input(), received ${s?.constructor?.name ?? s}`);
      if (s._call) throw new Error(`tf.model: inputs[${i}] ('${s.name}') is the output of ${s.sourceLayer.className} '${s.sourceLayer.name}'; model inputs must come from tf.input()`);
    });
    outs.forEach((s, i) => {
      if (!(s instanceof SymbolicTensor)) throw new Error(`tf.model: outputs[${i}] must be a SymbolicTensor (a layer's apply() result), received ${s?.constructor?.name ?? s}`);
    });
    // Walk back from the outputs: every call after its inputs, layers in order of first use.
    const layers = [];
    const layerIndex = new Map();
    const inputIndex = new Map();
    ins.forEach((s, i) => {
      if (inputIndex.has(s)) throw new Error(`tf.model: input '${s.name}' is listed twice`);
      inputIndex.set(s, i);
      layerIndex.set(s.sourceLayer, layers.length);
      layers.push(s.sourceLayer);
    });
    const nodes = [];
    const calls = [];
    const nodeIndex = new Map();
    const visit = (s) => {
      if (!s._call) {
        if (!inputIndex.has(s)) throw new Error(`tf.model: the outputs depend on the input '${s.name}', which is not in inputs`);
        return ['input', inputIndex.get(s)];
      }
      const c = s._call;
      const o = s._outIndex ?? 0;
      if (nodeIndex.has(c)) return ['node', nodeIndex.get(c), o];
      const refs = c.inputs.map(visit);
      if (!layerIndex.has(c.layer)) {
        layerIndex.set(c.layer, layers.length);
        layers.push(c.layer);
      }
      nodeIndex.set(c, nodes.length);
      nodes.push({ layer: layerIndex.get(c.layer), inputs: refs });
      calls.push(c);
      return ['node', nodeIndex.get(c), o];
    };
    const outRefs = outs.map(visit);
    // TF.js's (and Keras's) layer order: by depth from the outputs, deepest first; ties in the
    // order a walk from the outputs meets the layers.
    const depth = new Map();
    for (let k = nodes.length - 1; k >= 0; k--) {
      if (!depth.has(k)) depth.set(k, 0);
    }
    outRefs.forEach(([kind, i]) => { if (kind === 'node') depth.set(i, 0); });
    const inputDepth = new Map();
    for (let k = nodes.length - 1; k >= 0; k--) {
      const d = depth.get(k);
      for (const [kind, i] of nodes[k].inputs) {
        const m = kind === 'node' ? depth : inputDepth;
        m.set(i, Math.max(m.get(i) ?? 0, d + 1));
      }
    }
    const met = new Map();
    const meet = (s) => {
      const l = s._call ? s._call.layer : s.sourceLayer;
      if (!met.has(l)) met.set(l, met.size);
      if (s._call) s._call.inputs.forEach(meet);
    };
    outs.forEach(meet);
    const layerDepth = new Map();
    nodes.forEach((nd, k) => { const l = layers[nd.layer]; layerDepth.set(l, Math.max(layerDepth.get(l) ?? 0, depth.get(k))); });
    ins.forEach((s, i) => layerDepth.set(s.sourceLayer, inputDepth.get(i) ?? 0));
    const order = layers.map((_, i) => i).sort((x, y) => (layerDepth.get(layers[y]) - layerDepth.get(layers[x])) || ((met.get(layers[x]) ?? 0) - (met.get(layers[y]) ?? 0)));
    const newIndex = new Map(order.map((old, i) => [old, i]));
    layers.splice(0, layers.length, ...order.map((i) => layers[i]));
    nodes.forEach((nd) => { nd.layer = newIndex.get(nd.layer); });
    for (const [l, i] of layerIndex) layerIndex.set(l, newIndex.get(i));
    const info = JSON.parse(engine.model_new_functional(JSON.stringify({
      layers: layers.map((l) => ({ className: l.className, config: l._engineConfig() })),
      inputs: ins.map((s) => ({ layer: layerIndex.get(s.sourceLayer), dtype: s.dtype })),
      nodes,
      outputs: outRefs,
    })));
    this._id = info.id;
    if (name) this.name = name;
    this._engineLayers = layers;
    layers.forEach((l, i) => l._attach(this, i, info.layers[i]));
    this._graph = { nodes, calls, outRefs };
    this.inputs = ins;
    this.outputs = outs;
    // What users see: a nested model's layers as the model itself, as TF.js shows them.
    const seen = new Set();
    for (let i = 0; i < layers.length; i++) {
      const group = calls.find((c) => c.layer === layers[i] && c.group)?.group;
      const item = group ?? layers[i];
      if (!seen.has(item)) {
        seen.add(item);
        this.layers.push(item);
      }
    }
    this._pull();
  }

  get inputNames() { return this.inputs.map((s) => s.sourceLayer?.name ?? s.name); }
  get outputNames() { return this.outputs.map((s) => s.sourceLayer?.name ?? s.name); }
  /** Feature shapes with the batch as null, one per input / output. */
  get _inputShapes() { return this.inputs.map((s) => s.shape); }
  get _outputShapes() { return this.outputs.map((s) => s.shape); }
  /** Whether an input leaves a dim after the batch null (a free number of steps). */
  get _hasFreeDims() { return this.inputs.some((s) => s.shape.slice(1).some((d) => d == null)); }
  /** The outputs' shapes as the layers are built now: free dims take the last run's sizes. */
  get _runOutputShapes() {
    if (!this._hasFreeDims) return this._outputShapes;
    return JSON.parse(engine.model_output_shapes(this._id)).map((s) => [null, ...s]);
  }
  /** Builds the layers for the inputs' shapes (once per shape; see the engine's model/shapes.rs). */
  _useShapes(list) {
    if (this._hasFreeDims) engine.model_use_shapes(this._id, JSON.stringify(list.map((t) => t.shape.slice(1))));
  }
  /** The log keys fit reports: ['loss', 'acc', ...] once compiled. */
  get metricsNames() { return this._compileArgs ? JSON.parse(engine.model_metric_keys(this._id)) : []; }
  get outputShape() {
    const o = this._outputShapes;
    return o.length === 1 ? o[0] : o.length ? o : undefined;
  }
  /** Zeroes the carried states of every stateful layer (TF.js's model.resetStates). */
  resetStates() {
    engine.model_reset_states(this._id, -1);
  }

  get trainable() { return this._engineLayers.every((l) => l.trainable); }
  /** Freezes or unfreezes every layer (a nested model as a whole, for transfer learning). */
  set trainable(v) {
    for (const l of this._engineLayers) {
      l.trainable = v;
      // As TF.js's Container does, the weights' own flags follow the model's.
      for (const w of l._variables()) w._trainable = !!v && !w._state;
    }
  }

  /**
   * Used as a layer: applied to symbolic tensors, the model's calls are repeated on them with
   * the same layer objects (so the weights are shared), and the outputs returned; applied to
   * tensors, it predicts.
   */
  apply(inputs, kwargs) {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (!list.every((x) => x instanceof SymbolicTensor)) {
      // Inside tf.grad / variableGrads / minimize the model's ops are recorded, with its
      // weights' variables as the weights; {training: true} runs dropout as fit does.
      if (recording() || kwargs?.training) return this._applyTensors(inputs, !!kwargs?.training);
      return this.predict(inputs);
    }
    if (!this._graph) throw new Error(`${this.name}: only a model built with tf.model or a Sequential with an input shape can be applied`);
    if (list.length !== this.inputs.length) throw new Error(`${this.name}: expects ${this.inputs.length} input(s), received ${list.length}`);
    list.forEach((s, i) => {
      const want = this.inputs[i].shape;
      const fits = s.shape.length === want.length && s.shape.every((d, k) => k === 0 || want[k] == null || d === want[k]);
      if (!fits) throw new Error(`${this.name}: input ${i} expects shape ${fmtShape(want)}, received ${fmtShape(s.shape)}`);
    });
    const made = [];
    const out = [];
    for (const [k, node] of this._graph.nodes.entries()) {
      const args = node.inputs.map(([kind, i, o]) => (kind === 'input' ? list[i] : out[i][o ?? 0]));
      const layer = this._engineLayers[node.layer];
      const res = layer.apply(args.length === 1 ? args[0] : args);
      out[k] = Array.isArray(res) ? res : [res];
      made.push(out[k][0]._call);
    }
    for (const c of made) c.group = this;
    const res = this._graph.outRefs.map(([kind, i, o]) => (kind === 'input' ? list[i] : out[i][o ?? 0]));
    return res.length === 1 ? res[0] : res;
  }

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
  /** The batch sizes of a run over n samples in batches of bs: full ones and the last. */
  static _batchSizes(n, bs) { return [Math.min(bs, n), n % bs]; }

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

  /** Marks this model's copy of the given (shared) layers' weights as the newest. */
  _claim(layers = this._engineLayers) {
    for (const l of layers) {
      if (!l._weightCount || !l._homes.has(this)) continue;
      l._version = ++weightsVersion;
      l._model = this;
      l._index = l._homes.get(this);
      this._seen.set(l, l._version);
    }
  }

  /** Copies in the newest weights of layers shared with other models that changed them. */
  _pull() {
    for (const l of this._engineLayers) {
      if (!l._weightCount || !l._model || l._model === this) {
        if (l._weightCount && !l._model) l._model = this;
        continue;
      }
      if (this._seen.get(l) === l._version) continue;
      const [home, index] = l._home();
      const ws = Array.from(engine.model_layer_weights(home._id, index)).map(wrap);
      try {
        engine.model_set_layer_weights(this._id, l._homes.get(this), Uint32Array.from(ws.map((t) => t.id)));
      } finally {
        ws.forEach((t) => t.dispose());
      }
      this._seen.set(l, l._version);
    }
    // Weights that symbolic apply() built now live here: the layer's own small model can go.
    for (const l of this._engineLayers) {
      if (l._own && l._own !== this && l._homes.has(this)) {
        const own = l._own;
        l._own = null;
        own.dispose();
      }
    }
  }

  /** The model's inputs as one tensor: several are packed side by side as [n, total]. */
  _xOf(x, op, temps) {
    const n = this.inputs.length;
    let list;
    if (x instanceof Tensor) list = [x];
    else if (Array.isArray(x)) list = x;
    else if (x && typeof x === 'object' && !(x instanceof SymbolicTensor)) {
      list = this.inputNames.map((nm) => {
        if (!(nm in x)) throw new Error(`${op}: x has no tensor for the input '${nm}' (keys: ${Object.keys(x).join(', ')})`);
        return x[nm];
      });
    } else throw new Error(`${op}: x must be a Tensor${n > 1 ? `, an array of ${n} Tensors or an object keyed by input name (${this.inputNames.join(', ')})` : ''}, received ${x}`);
    if (list.length !== n) throw new Error(`${op}: the model has ${n} input${n > 1 ? 's' : ''} (${this.inputNames.join(', ')}), received ${list.length} tensor${list.length === 1 ? '' : 's'}`);
    list.forEach((t, i) => this._checkTensor(op, n === 1 ? 'x' : `x[${i}]`, t));
    this._useShapes(list);
    if (n === 1) return list[0];
    list.forEach((t, i) => {
      const want = this.inputs[i].shape;
      if (t.rank !== want.length || t.shape.slice(1).some((d, k) => want[k + 1] != null && d !== want[k + 1])) {
        throw new Error(`${op}: input '${this.inputNames[i]}' expects shape ${fmtShape(want)}, received x[${i}] of shape ${fmtShape(t.shape)}`);
      }
      if (t.shape[0] !== list[0].shape[0]) {
        throw new Error(`${op}: every input needs the same number of samples, received x[0] with ${list[0].shape[0]} and x[${i}] with ${t.shape[0]}`);
      }
    });
    const packed = tidy(() => concat(list.map((t) => reshape(cast(t, 'float32'), [t.shape[0], t.size / Math.max(1, t.shape[0])])), 1));
    temps.push(packed);
    return packed;
  }

  /** The targets, one per output (labels of shape [n] read as [n, 1] for [null, 1] outputs). */
  _ysOf(y, op, temps) {
    const n = this.outputs.length;
    let list;
    if (y instanceof Tensor) list = [y];
    else if (Array.isArray(y)) list = y;
    else if (y && typeof y === 'object') {
      list = this.outputNames.map((nm) => {
        if (!(nm in y)) throw new Error(`${op}: y has no tensor for the output '${nm}' (keys: ${Object.keys(y).join(', ')})`);
        return y[nm];
      });
    } else throw new Error(`${op}: y must be a Tensor${n > 1 ? `, an array of ${n} Tensors or an object keyed by output name (${this.outputNames.join(', ')})` : ''}, received ${y}`);
    if (list.length !== n) throw new Error(`${op}: the model has ${n} output${n > 1 ? 's' : ''} (${this.outputNames.join(', ')}), received ${list.length} target tensor${list.length === 1 ? '' : 's'}`);
    return list.map((t, j) => {
      this._checkTensor(op, n === 1 ? 'y' : `y[${j}]`, t);
      const out = this._outputShapes[j];
      if (t.rank !== 1 || !out || out.length !== 2 || out[1] !== 1) return t;
      const r = t.reshape([-1, 1]);
      temps.push(r);
      return r;
    });
  }

  /** Several outputs' targets packed side by side; the engine learns their shapes first. */
  _packY(ys, op, temps) {
    if (ys.length === 1) return ys[0];
    ys.forEach((t, j) => {
      if (t.shape[0] !== ys[0].shape[0]) throw new Error(`${op}: every target needs the same number of samples, received y[0] with ${ys[0].shape[0]} and y[${j}] with ${t.shape[0]}`);
    });
    engine.model_set_y_layout(this._id, JSON.stringify(ys.map((t) => [t.shape.slice(1), t.dtype])));
    const packed = tidy(() => concat(ys.map((t) => reshape(cast(t, 'float32'), [t.shape[0], t.size / Math.max(1, t.shape[0])])), 1));
    temps.push(packed);
    return packed;
  }

  /** Splits a packed [n, total] prediction into one tensor per output. */
  _unpackOutputs(packed) {
    const shapes = this._runOutputShapes;
    if (shapes.length === 1) return packed;
    const n = packed.shape[0];
    let off = 0;
    const out = shapes.map((s) => {
      const feat = s.slice(1);
      const size = feat.reduce((a, b) => a * b, 1);
      const part = tidy(() => reshape(slice(packed, [0, off], [n, size]), [n, ...feat]));
      off += size;
      return part;
    });
    packed.dispose();
    return out;
  }

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

  _checkTensor(op, name, t) {
    if (!(t instanceof Tensor)) {
      throw new Error(`${op}: ${name} must be a Tensor, received ${Array.isArray(t) ? 'an array (multiple inputs need tf.model)' : String(t)}`);
    }
    if (t.isDisposed) throw new Error(`${op}: ${name} has been disposed`);
  }

  /**
   * Trains the model. Mirrors TF.js's model.fit: x and y are tensors, or (for several inputs or
   * outputs) arrays of tensors or objects keyed by input / output name.
   * @returns {Promise<History>}
   */
  async fit(x, y, args = {}) {
    const temps = [];
    try {
      if (this.isTraining) throw new Error('fit: cannot start training because another fit() call is ongoing');
      if (!this._compileArgs) throw new Error('fit: the model must be compiled before training: call model.compile({optimizer, loss})');
      const added = this._engineLayers.find((l) => l._addedLosses?.length);
      if (added) {
        throw new Error(`fit: ${added.className} '${added.name}' has losses added with addLoss(), which fit does not add to the loss yet; train with a custom loop: optimizer.minimize(() => tf.add(loss(), tf.addN(model.calculateLosses())))`);
      }
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
      this._pull();
      return await this._fit(X, Y, withV);
    } finally {
      temps.forEach((t) => t.dispose());
    }
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

  getWeights() {
    this._pull();
    return Array.from(engine.model_get_weights(this._id)).map(wrap);
  }

  setWeights(tensors) {
    if (!Array.isArray(tensors)) throw new Error('setWeights: expected an array of tensors');
    tensors.forEach((t, i) => this._checkTensor('setWeights', `weights[${i}]`, t));
    this._pull();
    engine.model_set_weights(this._id, Uint32Array.from(tensors.map((t) => t.id)));
    this._claim();
  }

  dispose() {
    if (this.optimizer) this.optimizer._models.delete(this);
    for (const m of this._executors?.values() ?? []) m.dispose();
    // Layers shared with other models keep their newest weights there.
    for (const l of this._engineLayers) {
      if (l._model === this) {
        const other = [...l._homes.keys()].find((m) => m !== this);
        if (other && l._weightCount) {
          const ws = Array.from(engine.model_layer_weights(this._id, l._homes.get(this))).map(wrap);
          try {
            engine.model_set_layer_weights(other._id, l._homes.get(other), Uint32Array.from(ws.map((t) => t.id)));
          } finally {
            ws.forEach((t) => t.dispose());
          }
          other._claim([l]);
        } else {
          l._model = other ?? null;
        }
      }
      l._homes.delete(this);
    }
    engine.model_dispose(this._id);
    this._disposed = true;
    liveModels.delete(this);
    return { refCountAfterDispose: 0, numDisposedVariables: this._engineLayers.reduce((s, l) => s + l._weightCount, 0) };
  }
}

/** A stack of layers, each feeding the next: TF.js's Sequential. */
export class Sequential extends LayersModel {
  constructor(config = {}) {
    super({ name: config.name ?? 'sequential_1' });
    this._id = engine.model_new();
    if (config.layers) for (const l of config.layers) this.add(l);
  }

  /** @param {Layer|LayersModel} layer a layer, or a model with one input and one output */
  add(layer) {
    if (layer instanceof LayersModel) {
      const g = layer._graph;
      const chain = g && layer.inputs.length === 1 && layer.outputs.length === 1 &&
        g.nodes.every((nd, k) => nd.inputs.length === 1 && (k === 0 ? nd.inputs[0][0] === 'input' : nd.inputs[0][0] === 'node' && nd.inputs[0][1] === k - 1 && (nd.inputs[0][2] ?? 0) === 0));
      if (!chain) throw new Error(`Sequential.add: the model '${layer.name}' can be added only if it is a chain of layers with one input and one output`);
      for (const [k, nd] of g.nodes.entries()) {
        const l = layer._engineLayers[nd.layer];
        const cfg = k === 0 && !this._engineLayers.length ? { ...l._config, batchInputShape: layer.inputs[0].shape } : l._config;
        this._addEngineLayer(l, cfg);
      }
      this.layers.push(layer);
    } else {
      if (!(layer instanceof Layer)) throw new Error(`Sequential.add: expected a layer from tf.layers.*, received ${layer?.constructor?.name ?? layer}`);
      if (layer._homes.has(this)) throw new Error(`Sequential.add: ${layer.className} '${layer.name}' is already in this model`);
      layer._assertNotDisposed();
      this._addEngineLayer(layer, layer._config);
      // An InputLayer added by hand is listed, as TF.js lists it (one made from inputShape is not).
      this.layers.push(layer);
    }
    this._chain(layer);
    this._pull();
    if (this._compileArgs) {
      this._traceKey = null;
      this._sendCompile();
    }
  }

  _addEngineLayer(layer, config) {
    // A stateful layer takes the model's fixed batch size (the first layer's batchInputShape).
    const first = this._engineLayers[0]?._config ?? config;
    const batch = Number.isInteger(first.batchInputShape?.[0]) ? first.batchInputShape[0] : first.batchSize;
    if (layer.stateful && Number.isInteger(batch)) {
      layer._takeStateBatch(batch);
      if (config.batchSize == null && !Number.isInteger(config.batchInputShape?.[0])) config = { ...config, batchSize: batch };
    }
    if (layer._custom) {
      const prev = this._engineLayers[this._engineLayers.length - 1];
      const shape = prev ? prev.outputShape.slice(1) : config.batchInputShape ? config.batchInputShape.slice(1) : config.inputShape;
      if (!shape) throw new Error(`Sequential.add: ${layer.className} '${layer.name}': the first layer in a Sequential model must get an inputShape or batchInputShape argument`);
      layer._customSpec([shape]);
      config = layer._engineConfig(prev ? {} : { inputShape: shape });
    }
    const info = JSON.parse(engine.model_add(this._id, layer.className, JSON.stringify(config)));
    layer._attach(this, this._engineLayers.length, info);
    this._engineLayers.push(layer);
  }

  /**
   * Continues the symbolic chain with the added layer (or model), as TF.js's Sequential does: the
   * first layer gets an input (its InputLayer's, or one named '<layer>_input'), each later one is
   * applied to the previous output. So `model.inputs`, `layer.output` and `layer.input` are the
   * symbolic tensors tf.model() takes (transfer learning from a Sequential).
   */
  _chain(layer) {
    const first = this._engineLayers[0];
    if (!this._inputSym) {
      const dtype = first._config.dtype ?? 'float32';
      const batch = first._config.batchInputShape?.[0] ?? first._config.batchSize ?? null;
      const shape = [batch, ...first.inputShape.slice(1)];
      const inLayer = first.className === 'InputLayer' ? first : new Layer('InputLayer', { batchInputShape: shape, dtype, name: `${first.name}_input` });
      this._inputSym = _symbolicInput(inLayer, shape, dtype);
      this._outputSym = this._inputSym;
      if (first.className === 'InputLayer') return;
    }
    this._outputSym = layer.apply(this._outputSym);
  }

  get inputs() { return this._inputSym ? [this._inputSym] : []; }
  get outputs() { return this._outputSym ? [this._outputSym] : []; }

  /**
   * Removes the last layer (TF.js's pop): the model's output becomes the previous layer's. The
   * remaining layers keep their weights; the removed one keeps its own. Compile again to train.
   */
  pop() {
    if (this.layers.length === 0) throw new Error('Sequential.pop: there are no layers in the model');
    const removed = this.layers.pop();
    const removedEngine = new Set(removed instanceof LayersModel ? removed._engineLayers : [removed]);
    const keep = this._engineLayers.filter((l) => !removedEngine.has(l) || l.className === 'InputLayer');
    // The old engine model stays as the weights' home while the new one takes them over.
    const holder = Object.create(LayersModel.prototype);
    holder._init({ name: `${this.name}_popped` });
    holder._id = this._id;
    holder._engineLayers = this._engineLayers;
    for (const l of this._engineLayers) {
      l._homes.set(holder, l._homes.get(this));
      l._homes.delete(this);
      if (l._model === this) l._model = holder;
    }
    this._id = engine.model_new();
    this._engineLayers = [];
    this._seen = new Map();
    const syms = { input: this._inputSym };
    this._inputSym = null;
    this._outputSym = null;
    for (const l of keep) {
      const cfg = this._engineLayers.length === 0 && l.className !== 'InputLayer' ? { ...l._config, batchInputShape: [null, ...l.inputShape.slice(1)] } : l._config;
      this._addEngineLayer(l, cfg);
    }
    this._pull();
    // The symbolic chain: the input stays; the output is the last kept layer's first output.
    this._inputSym = keep.length ? syms.input : null;
    const last = keep[keep.length - 1];
    this._outputSym = !last ? null : last.className === 'InputLayer' ? syms.input : (last._inbound.find((c) => c.inputs.length === 1)?.outputs[0] ?? null);
    // A removed layer that only this model held keeps its weights in a small model of its own.
    for (const l of removedEngine) {
      if (l._weightCount && l._model === holder && l._homes.size === 1 && l._builtInput) {
        l._buildFor(l._builtInput.map((sh) => ({ shape: [null, ...sh], dtype: 'float32', _batch: null })));
      }
    }
    holder.dispose();
    if (this._compileArgs) {
      this._traceKey = null;
      this._sendCompile();
    }
  }
  /** The chain as a graph, so a Sequential can be applied inside a functional model. */
  get _graph() {
    const nodes = [];
    let prev = ['input', 0];
    this._engineLayers.forEach((l, i) => {
      if (l.className === 'InputLayer') return;
      nodes.push({ layer: i, inputs: [prev] });
      prev = ['node', nodes.length - 1];
    });
    return { nodes, outRefs: [prev] };
  }
}

_registerModelFactory((config) => new LayersModel(config), (id) => wrap(id));

/** A functional model from symbolic tensors: tf.model({inputs, outputs}). */
export function model(config) {
  if (!config || typeof config !== 'object' || config.inputs === undefined || config.outputs === undefined) {
    throw new Error('tf.model: expected {inputs, outputs}, where inputs come from tf.input() and outputs from layers\' apply()');
  }
  return new LayersModel(config);
}

export function sequential(config) { return new Sequential(config); }

// Models: LayersModel (a graph of layer calls from tf.model) and Sequential (a chain built by
// add). The model lives in the engine; this class holds its handle, the layer objects and how
// they are wired. Its Container members (weights, input/output, ...) are in container.js, its
// data handling (inputs and targets packed for the engine) in model_data.js, and compile, fit,
// evaluate and predict in model_training.js.
import { engine } from './engine.js';
import { wrap } from './tensor.js';
import { Layer, SymbolicTensor, _registerModelFactory, _symbolicInput } from './layers.js';
import { Callback } from './callbacks.js';
import { recording, _registerModelHooks } from './grad.js';

/** The models alive now: without a varList, tf.variableGrads differentiates their weights too. */
const liveModels = new Set();
_registerModelHooks({
  materialize() {
    for (const m of liveModels) for (const w of m.trainableWeights) void w.val;
  },
});

export class History extends Callback {
  constructor() {
    super();
    this.epoch = [];
    this.history = {};
  }
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
    this._fixedBatch = ins.find((s) => Number.isInteger(s?._batch))?._batch ?? null;
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

  /** The batch sizes of a run over n samples in batches of bs: full ones and the last. */
  static _batchSizes(n, bs) { return [Math.min(bs, n), n % bs]; }

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
   * For each entry of `this.weights` (TF.js's order: every trainable weight, then the others,
   * such as moving statistics), its index in the engine's order (layer by layer); null when
   * the names do not pair up one to one, and the engine's order is used as it is.
   */
  _weightOrder() {
    const engineNames = this._engineLayers.flatMap((l) => (l._weightInfo ?? []).map((w) => w.name));
    const at = new Map(engineNames.map((n, i) => [n, i]));
    const order = this.weights.map((v) => at.get(v.name));
    if (at.size !== engineNames.length || order.length !== engineNames.length || order.some((i) => i === undefined)) return null;
    return order;
  }

  /** Copies of the weights, in the order of `model.weights` (TF.js's order). */
  getWeights() {
    this._pull();
    const ts = Array.from(engine.model_get_weights(this._id)).map(wrap);
    const order = ts.length ? this._weightOrder() : null;
    return order ? order.map((i) => ts[i]) : ts;
  }

  /** Sets every weight from tensors in the order of `model.weights`, as getWeights gives them. */
  setWeights(tensors) {
    if (!Array.isArray(tensors)) throw new Error('setWeights: expected an array of tensors');
    tensors.forEach((t, i) => this._checkTensor('setWeights', `weights[${i}]`, t));
    this._pull();
    const order = this._weightOrder();
    let list = tensors;
    if (order && tensors.length === order.length) {
      list = new Array(order.length);
      order.forEach((engineIndex, k) => { list[engineIndex] = tensors[k]; });
    }
    engine.model_set_weights(this._id, Uint32Array.from(list.map((t) => t.id)));
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
    this._fixedBatch = Number.isInteger(batch) ? batch : null;
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

_registerModelFactory((config) => new LayersModel(config));

/** A functional model from symbolic tensors: tf.model({inputs, outputs}). */
export function model(config) {
  if (!config || typeof config !== 'object' || config.inputs === undefined || config.outputs === undefined) {
    throw new Error('tf.model: expected {inputs, outputs}, where inputs come from tf.input() and outputs from layers\' apply()');
  }
  return new LayersModel(config);
}

export function sequential(config) { return new Sequential(config); }

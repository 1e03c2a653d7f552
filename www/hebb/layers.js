// Layers: option objects with TF.js names. A layer checks its options with the engine when it is
// constructed (so a bad option throws where the user wrote it), and is built inside a model by
// `model.add`, which infers its input shape. Its weights (LayerVariable, getWeights, losses, ...)
// are in layer_weights.js, the tf.layers factories in layer_factories.js, tf.initializers and
// tf.regularizers in initializers.js, the tracing of custom layers' calls in layer_custom.js.
import { engine } from './engine.js';
import { Tensor } from './tensor.js';
import { canonicalConstraint, canonicalLayerConfig } from './keras_json.js';
import { defineLayerProps, inputSpecOf, weightProp } from './layer_props.js';
import { recording } from './grad.js';
import { Regularizer } from './initializers.js';

let nextLayerId = 1;

const counters = new Map();
function autoName(className) {
  const n = (counters.get(className) ?? 0) + 1;
  counters.set(className, n);
  if (className === 'InputLayer') return `input${n}`;
  // Keras's and TF.js's snake case: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, SimpleRNN -> simple_rnn.
  const snake = className.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return `${snake}_${className}${n}`;
}

export function serializable(v) {
  if (v && typeof v === 'object' && typeof v.toJSON === 'function') return v.toJSON();
  return v;
}

export class Layer {
  /**
   * @param {string} className
   * @param {object} config TF.js layer options
   */
  constructor(className, config = {}) {
    // A subclass (a custom layer, TF.js style) calls super(config): its class names it.
    const custom = typeof className !== 'string';
    if (custom) {
      config = className ?? {};
      className = this.constructor.className ?? this.constructor.name;
    }
    if (config === null || typeof config !== 'object') throw new Error(`${className}: expected an options object, received ${config}`);
    this.className = className;
    this._custom = custom;
    this.name = config.name ?? autoName(className);
    const cfg = { ...config, name: this.name };
    // Dense's inputDim is shorthand for inputShape; Embedding's is its vocabulary size.
    if (className === 'Dense' && cfg.inputDim !== undefined && cfg.inputShape === undefined) cfg.inputShape = [cfg.inputDim];
    // An Embedding's inputLength gives its input shape, as in TF.js.
    if (className === 'Embedding' && cfg.inputLength != null && cfg.inputShape === undefined && cfg.batchInputShape === undefined) {
      cfg.inputShape = Array.isArray(cfg.inputLength) ? cfg.inputLength : [cfg.inputLength];
    }
    for (const k of Object.keys(cfg)) if (/(Initializer|Regularizer)$/.test(k) && cfg[k] !== undefined) cfg[k] = serializable(cfg[k]);
    for (const k of Object.keys(cfg)) if (/Constraint$/.test(k) && cfg[k] != null) cfg[k] = canonicalConstraint(cfg[k]);
    // Wrappers (bidirectional, timeDistributed) take a layer: it travels as {className, config}.
    if (cfg.layer instanceof Layer) {
      this._wrapped = cfg.layer;
      cfg.layer = { className: cfg.layer.className, config: cfg.layer._config };
    }
    if (className === 'StackedRNNCells' && Array.isArray(cfg.cells)) this._cells = cfg.cells.filter((c) => c instanceof Layer);
    if (className === 'RNN' && cfg.cell instanceof Layer) this._cell = cfg.cell;
    // tf.layers.rnn's cell: a cell, a list of cells or stackedRNNCells, as {className, config}.
    const cellSpec = (c) => (c instanceof Layer ? { className: c.className, config: c._config } : c);
    if (Array.isArray(cfg.cell)) cfg.cell = cfg.cell.map(cellSpec);
    else if (cfg.cell instanceof Layer) cfg.cell = cellSpec(cfg.cell);
    if (className === 'StackedRNNCells' && Array.isArray(cfg.cells)) cfg.cells = cfg.cells.map(cellSpec);
    if (cfg.inputShape !== undefined) checkShape(this, 'inputShape', cfg.inputShape);
    if (cfg.batchInputShape !== undefined) {
      const b = cfg.batchInputShape;
      if (Array.isArray(b)) checkShape(this, 'batchInputShape', b.slice(1), b[0]);
      else checkShape(this, 'batchInputShape', b);
    }
    // A cell steps inside tf.layers.rnn: its options are checked as the RNN around it would.
    if (CELLS.has(className)) engine.layer_validate('RNN', JSON.stringify({ cell: { className, config: cfg } }));
    else if (!custom) engine.layer_validate(className, JSON.stringify(cfg));
    this._config = cfg;
    if (custom) {
      this._weightSpecs = [];
      this._traces = new Map();
      this._tracing = null;
      this.built = false;
    }
    this._trainable = config.trainable ?? true;
    // The models that hold this layer (model -> its index there) and the one holding its
    // newest weights: a layer shared by several models has a copy in each, synced on use.
    this._homes = new Map();
    this._model = null;
    this._index = -1;
    this._version = 0;
    this._weightCount = 0;
    /** The calls made by apply() on symbolic tensors (TF.js's inbound nodes). */
    this._inbound = [];
    /** Calls of other layers on this layer's outputs (TF.js's outbound nodes). */
    this._outbound = [];
    this.id = nextLayerId++;
    this._disposed = false;
    /** The model that holds the weights symbolic apply() built, until a real model takes them. */
    this._own = null;
    if (!custom) defineLayerProps(this);
    // A wrapper's layer, stackedRNNCells' cells and tf.layers.rnn's cell, as they were given.
    const own = (key, get) => Object.defineProperty(this, key, { get, set(v) { Object.defineProperty(this, key, { value: v, writable: true, configurable: true }); }, configurable: true, enumerable: true });
    if (cfg.layer && !custom) own('layer', () => (this._wrapped ??= new Layer(cfg.layer.className, cfg.layer.config)));
    if (className === 'StackedRNNCells' && !custom) own('cells', () => this._cells ?? []);
    if (className === 'RNN' && !custom) own('cell', () => this._cell ?? null);
    this.outputShape = undefined;
    this.batchInputShape = cfg.batchInputShape ?? (cfg.inputShape ? [null, ...cfg.inputShape] : undefined);
  }
  /** A fresh layer id (models count as layers). */
  static nextId() { return nextLayerId++; }
  getClassName() { return this.className; }
  /** The layer's options as TF.js reports them: every option with its default, and the
   *  trainable flag as it is now (a frozen layer saves frozen). */
  getConfig() {
    if (!this._custom) return canonicalLayerConfig(this);
    const out = { name: this.name, trainable: this._trainable };
    for (const k of ['inputShape', 'batchInputShape', 'dtype']) if (this._config[k] !== undefined) out[k] = this._config[k];
    return out;
  }

  // ---- custom layers (class MyLayer extends tf.layers.Layer) ----

  /** Creates weights: subclasses override it and call addWeight. */
  build(inputShape) {}
  /**
   * The output shape for an input shape (batch included): a built-in layer's from the engine's
   * shape rule; a custom layer's default keeps it.
   */
  computeOutputShape(inputShape) {
    if (this._custom || this.className === 'InputLayer') return inputShape;
    const many = Array.isArray(inputShape?.[0]) || inputShape?.[0] === null && Array.isArray(inputShape[1]);
    const list = many ? inputShape : [inputShape];
    const outs = JSON.parse(engine.layer_output_shape(this.className, JSON.stringify(this._config), JSON.stringify(list.map((s) => s.slice(1)))));
    const batch = list[0]?.[0] ?? null;
    return outs.length === 1 ? [batch, ...outs[0]] : outs.map((o) => [batch, ...o]);
  }
  /**
   * The layer's computation on tensors (what apply() runs): a built-in layer runs through a small
   * model of its own; a custom layer overrides it (the default returns its inputs).
   */
  call(inputs, kwargs) {
    if (this._custom) return inputs;
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return this._applyEager(list);
  }
  /** Checks symbolic inputs against the layer's inputSpec (rank and fixed axes), as TF.js does. */
  assertInputCompatibility(inputs) {
    const specs = this.inputSpec;
    if (!specs) return;
    const list = Array.isArray(inputs) ? inputs : [inputs];
    list.forEach((x, i) => {
      const spec = specs[i] ?? specs[0];
      const shape = x.shape;
      const fail = (why) => { throw new Error(`${this.className} '${this.name}': input ${i} is incompatible with the layer: ${why}, received shape ${JSON.stringify(shape)}`); };
      if (spec.ndim !== undefined && shape.length !== spec.ndim) fail(`expected rank ${spec.ndim}`);
      if (spec.minNDim !== undefined && shape.length < spec.minNDim) fail(`expected rank >= ${spec.minNDim}`);
      if (spec.maxNDim !== undefined && shape.length > spec.maxNDim) fail(`expected rank <= ${spec.maxNDim}`);
      for (const [axis, size] of Object.entries(spec.axes ?? {})) {
        const a = Number(axis) < 0 ? shape.length + Number(axis) : Number(axis);
        if (shape[a] !== null && shape[a] !== size) fail(`expected axis ${axis} to have size ${size}`);
      }
    });
  }
  /** Throws when the layer is disposed (TF.js's assertNotDisposed). */
  assertNotDisposed() { this._assertNotDisposed(); }
  /** TF.js's disposeWeights: frees the weights, as dispose() does. */
  disposeWeights() { return this.dispose().numDisposedVariables; }
  /** The inbound node at `index` (TF.js's getNodeAtIndex). */
  getNodeAtIndex(index, attrName = 'node') { return nodeOf(this._nodeAt(index, attrName)); }
  /** The weights given as the `weights` option, set when the layer is built. */
  get initialWeights() { return this._config.weights ?? null; }
  /** The regularizer on the layer's output (its activityRegularizer option), or null. */
  get activityRegularizer() {
    const r = this._config.activityRegularizer;
    return r ? new Regularizer(r.config?.l1 ?? 0, r.config?.l2 ?? 0) : null;
  }


  /** The config the engine builds this layer from (a custom layer's carries its traced call). */
  _engineConfig(config = this._config) {
    if (!this._custom) return config;
    return { ...this.getConfig(), ...config, name: this.name, __custom: this._traces.get(JSON.stringify(this._builtFor)) };
  }
  get trainable() { return this._trainable; }
  set trainable(v) {
    this._trainable = !!v;
    for (const [model, index] of this._homes) engine.model_set_trainable(model._id, index, this._trainable);
  }
  _attach(model, index, info) {
    this._homes.set(model, index);
    if (!this._model) {
      this._model = model;
      this._index = index;
    }
    this._weightCount = info.weights.length;
    this._weightInfo = info.weights;
    this._vars = null;
    if (!this._builtInput) this._builtInput = info.inputShapes && info.inputShapes.length > 1 ? info.inputShapes : [info.inputShape];
    // The batch is the model's fixed one (batchInputShape [1, ...]), else null, as TF.js shows it.
    const b = model._fixedBatch ?? null;
    this.inputShape = info.inputShapes && info.inputShapes.length > 1 ? info.inputShapes.map((s) => [b, ...s]) : [b, ...info.inputShape];
    const outs = info.outputShapes ?? [info.outputShape];
    this.outputShape = outs.length > 1 ? outs.map((s) => [b, ...s]) : [b, ...info.outputShape];
    if (!this._trainable) engine.model_set_trainable(model._id, index, false);
  }
  /** The model holding this layer's newest weights, and the layer's index there. */
  _home() {
    if (!this._model) throw new Error(`${this.className} '${this.name}': the layer has no weights until it is added to a model or applied`);
    return [this._model, this._homes.get(this._model)];
  }
  /** Whether the layer has its weights (it is built by a model, or by apply()). */
  get built() { return this._builtFlag === true || this._weightInfo !== undefined; }
  set built(v) { this._builtFlag = !!v; }
  /** What the layer accepts: its rank, and once built its fixed feature axis (TF.js's InputSpec). */
  get inputSpec() { return inputSpecOf(this); }
  /** TF.js's update ops: moving statistics update inside Hebb's training step, so none here. */
  get updates() { return []; }
  get supportsMasking() { return MASKING.has(this.className); }
  get stateful() { return !!(this._config.stateful || this._config.layer?.config?.stateful); }
  /** The calls of this layer on symbolic tensors (TF.js's inbound nodes). */
  get inboundNodes() {
    // An InputLayer has one node, whose input and output are the model input it makes.
    if (this.className === 'InputLayer' && this._output) {
      this._inputNode ??= { layer: this, inputs: [this._output], outputs: [this._output], index: 0 };
      return [nodeOf(this._inputNode)];
    }
    return this._inbound.map(nodeOf);
  }
  /** The calls of other layers on this layer's outputs. */
  get outboundNodes() { return this._outbound.map(nodeOf); }
  _nodeAt(i, what) {
    if (!Number.isInteger(i) || i < 0 || i >= this._inbound.length) {
      throw new Error(`${this.className} '${this.name}': asked for the ${what} of node ${i}, but the layer has ${this._inbound.length} inbound node${this._inbound.length === 1 ? '' : 's'}`);
    }
    return this._inbound[i];
  }
  _single(what) {
    if (this.className === 'InputLayer' && this._output) return null;
    if (this._inbound.length === 0) throw new Error(`${this.className} '${this.name}': the layer is not connected, so it has no ${what}: apply it to a tf.input() or add it to a model first`);
    if (this._inbound.length > 1) throw new Error(`${this.className} '${this.name}': the layer has ${this._inbound.length} inbound nodes, so its ${what} is ill-defined; use get${what === 'input' ? 'Input' : 'Output'}At(nodeIndex)`);
    return this._inbound[0];
  }
  /** The symbolic input of the layer's only call (several for a layer with several inputs). */
  get input() {
    const c = this._single('input');
    if (c === null) return this._output;
    return c.inputs.length === 1 ? c.inputs[0] : c.inputs;
  }
  /** The symbolic output of the layer's only call (several for a layer returning states). */
  get output() {
    const c = this._single('output');
    if (c === null) return this._output;
    return c.outputs.length === 1 ? c.outputs[0] : c.outputs;
  }
  getInputAt(nodeIndex) {
    const c = this._nodeAt(nodeIndex, 'input');
    return c.inputs.length === 1 ? c.inputs[0] : c.inputs;
  }
  getOutputAt(nodeIndex) {
    const c = this._nodeAt(nodeIndex, 'output');
    return c.outputs.length === 1 ? c.outputs[0] : c.outputs;
  }
  /** The mask the layer passes on (masks flow inside the engine's step; a layer given none gives none). */
  computeMask(inputs, mask) { return mask ?? null; }
  /**
   * Frees the layer's weights (TF.js's layer.dispose()). A disposed layer cannot be applied
   * again; models that hold it keep their own copy until they are disposed.
   */
  dispose() {
    if (this._disposed) throw new Error(`${this.className} '${this.name}': the layer is already disposed`);
    const n = this._variables().length;
    this._disposed = true;
    for (const v of this._vals ?? []) if (v && !v.isDisposed) v.dispose();
    if (this._own) {
      this._own.dispose();
      this._own = null;
    }
    if (this._eager) {
      this._eager.model.dispose();
      this._eager = null;
    }
    return { refCountAfterDispose: 0, numDisposedVariables: n };
  }
  _assertNotDisposed() {
    if (this._disposed) throw new Error(`${this.className} '${this.name}': the layer is disposed`);
  }
  /**
   * On symbolic tensors (from tf.input() or another layer's apply), records the call and
   * returns the output's symbolic tensor, as TF.js does to define functional models; on
   * tensors, runs the layer (building it for that input shape on first use).
   */
  apply(inputs, kwargs) {
    if (CELLS.has(this.className)) throw new Error(`${this.className} '${this.name}': a cell steps inside a recurrent layer: use tf.layers.rnn({cell})`);
    const list = Array.isArray(inputs) ? [...inputs] : [inputs];
    // A recurrent layer's initialState (TF.js's kwargs) travels as extra inputs after x.
    if (kwargs && kwargs.initialState !== undefined && kwargs.initialState !== null) {
      if (!RECURRENT.has(this.className)) throw new Error(`${this.className} '${this.name}': initialState is only for recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional)`);
      list.push(...(Array.isArray(kwargs.initialState) ? kwargs.initialState : [kwargs.initialState]));
    }
    this._assertNotDisposed();
    if (list.length && list.every((x) => x instanceof SymbolicTensor)) {
      if (this.className === 'InputLayer') throw new Error(`InputLayer '${this.name}': an input layer cannot be applied to other tensors`);
      const batch = list[0]._batch ?? null;
      this._takeStateBatch(batch);
      const shapes = list.map((s) => s.shape.slice(1));
      if (this.built && !this._custom) this._checkCompatible(shapes);
      const outs = this._custom
        ? [(({ shown, output }) => shown ?? output)(this._customSpec(shapes, list.map((s) => s.dtype)))]
        : JSON.parse(engine.layer_output_shape(this.className, JSON.stringify(this._config), JSON.stringify(shapes)));
      // As in TF.js, the first symbolic call builds the layer: its weights exist from here on.
      if (!this.built && !this._building) this._buildFor(list);
      const call = { layer: this, inputs: list, index: this._inbound.length, group: null, kwargs: kwargs ?? {} };
      for (const s of list) s.sourceLayer?._outbound?.push(call);
      // Several outputs (returnState): one symbolic tensor each, told apart by their index.
      const syms = outs.map((out, i) => {
        const sym = new SymbolicTensor([batch, ...out], 'float32', this, call, `${this.name}/${this.name}`);
        sym._outIndex = i;
        sym._batch = batch;
        return sym;
      });
      call.output = syms[0];
      call.outputs = syms;
      this._inbound.push(call);
      if (this.outputShape === undefined) this.outputShape = syms.length === 1 ? syms[0].shape : syms.map((s) => s.shape);
      return syms.length === 1 ? syms[0] : syms;
    }
    if (list.length && list.every((x) => x instanceof Tensor)) return this._applyEager(list, !!kwargs?.training);
    const what = (x) => (x instanceof SymbolicTensor ? 'a SymbolicTensor' : x instanceof Tensor ? 'a Tensor' : String(x?.constructor?.name ?? x));
    throw new Error(`${this.className} '${this.name}': apply expects SymbolicTensors (from tf.input() or another layer's apply) or Tensors, not a mix; received ${list.map(what).join(', ') || 'nothing'}`);
  }
  /**
   * A stateful layer without a batch size of its own takes the model's fixed batch size (from
   * its input's batchShape or the first layer's batchInputShape), as TF.js does.
   */
  _takeStateBatch(batch) {
    if (!this.stateful || !Number.isInteger(batch)) return;
    const c = this._config;
    if (c.batchSize != null || Number.isInteger(c.batchInputShape?.[0])) return;
    this._config = { ...c, batchSize: batch };
  }
  /** Zeroes a stateful layer's carried states (in every model holding it). */
  resetStates() {
    if (!this.stateful) throw new Error(`${this.className} '${this.name}': resetStates is for stateful layers (stateful: true)`);
    for (const [model, index] of this._homes) engine.model_reset_states(model._id, index);
  }
  /**
   * Builds the layer for symbolic inputs like `list`: a small model of its own holds the weights
   * until a model that uses the layer takes them over (see LayersModel._pull).
   */
  _buildFor(list) {
    // Named, so they take nothing from the counters that name the user's layers.
    const ins = list.map((s, i) => input({ batchShape: [s._batch ?? null, ...s.shape.slice(1)], dtype: s.dtype, name: `${this.name}_build_input${i}` }));
    const saved = { inbound: this._inbound.slice(), outputShape: this.outputShape };
    this._building = true;
    privateCalls++;
    try {
      const out = this.apply(ins.length === 1 ? ins[0] : ins);
      this._own = modelFactory({ inputs: ins, outputs: out, name: `${this.name}_build` });
    } finally {
      privateCalls--;
      this._building = false;
      this._inbound = saved.inbound;
      this.outputShape = saved.outputShape;
    }
  }
  /**
   * Refuses inputs the built weights do not fit, as TF.js does: the message names the layer,
   * the shape it was built for and the shape it received.
   */
  _checkCompatible(shapes) {
    const built = this._builtInput;
    if (!built || JSON.stringify(built) === JSON.stringify(shapes)) return;
    const mine = (this._weightInfo ?? []).map((w) => w.shape);
    let theirs = null;
    try {
      theirs = JSON.parse(engine.layer_weight_shapes(this.className, JSON.stringify(this._config), JSON.stringify(shapes)));
    } catch { /* the layer cannot take these shapes at all */ }
    if (theirs && JSON.stringify(theirs) === JSON.stringify(mine)) return;
    const fmt = (v) => v.map((sh) => JSON.stringify([null, ...sh])).join(', ');
    const ws = (this._weightInfo ?? []).map((w) => `${weightProp(w.name)} [${w.shape}]`).join(', ');
    throw new Error(`${this.className} '${this.name}': input ${fmt(shapes)} is incompatible with the layer: it was built for input shape ${fmt(built)}${ws ? ` (weights ${ws})` : ''}`);
  }
  /** Runs the layer on tensors through a small model of its own, built on first use. */
  _applyEager(list, training = false) {
    if (list.some((t) => t.shape[0] !== list[0].shape[0])) {
      throw new Error(`${this.className} '${this.name}': every input needs the same batch size, received shapes ${list.map((t) => JSON.stringify(t.shape)).join(', ')}`);
    }
    const key = JSON.stringify(list.map((t) => [t.shape.slice(1), t.dtype]));
    if (!this._eager || this._eager.key !== key) {
      const ins = list.map((t, i) => input({ shape: t.shape.slice(1), dtype: t.dtype, name: `${this.name}_eager_input${i}` }));
      // The model of its own builds the layer if nothing has; the call is not a node of the layer.
      const saved = { inbound: this._inbound.slice(), outputShape: this.outputShape, building: this._building };
      this._building = true;
      privateCalls++;
      try {
        const out = this.apply(ins.length === 1 ? ins[0] : ins);
        if (this._eager) this._eager.model.dispose();
        this._eager = { key, model: modelFactory({ inputs: ins, outputs: out, name: `${this.name}_eager` }) };
      } finally {
        privateCalls--;
        this._building = saved.building;
        this._inbound = saved.inbound;
        this.outputShape = saved.outputShape;
      }
    }
    const x = list.length === 1 ? list[0] : list;
    if (recording() || training) return this._eager.model._applyTensors(x, training);
    return this._eager.model.predict(x, { batchSize: Math.max(1, list[0].shape[0] ?? 1) });
  }
}

/**
 * Lets a subclass (a custom layer) assign what the base class computes, as TF.js's fields allow
 * (`this.supportsMasking = true`, `this.inputSpec = ...`): the value becomes the instance's own.
 */
export function _overridable(proto, names) {
  for (const k of names) {
    const d = Object.getOwnPropertyDescriptor(proto, k);
    if (!d || d.set) continue;
    Object.defineProperty(proto, k, {
      get: d.get,
      set(v) { Object.defineProperty(this, k, { value: v, writable: true, configurable: true, enumerable: true }); },
      configurable: true,
    });
  }
}
_overridable(Layer.prototype, ['trainableWeights', 'nonTrainableWeights', 'weights', 'inputSpec', 'losses', 'updates', 'supportsMasking',
  'stateful', 'inboundNodes', 'outboundNodes', 'input', 'output', 'initialWeights', 'activityRegularizer']);

/** Custom layer classes by name, for loading saved models (tf.serialization.registerClass). */
export const customClasses = new Map();
/** TF.js's base for classes that serialize to {className, config}. */
class Serializable {
  getClassName() { return this.constructor.className ?? this.constructor.name; }
  getConfig() { return {}; }
  static fromConfig(cls, config) { return new cls(config); }
}
/** TF.js's registry of serializable classes: className -> class. */
class SerializationMap {
  constructor() { this.classNameMap = {}; }
  static getMap() {
    if (!SerializationMap.instance) SerializationMap.instance = new SerializationMap();
    const map = SerializationMap.instance;
    for (const [name, cls] of customClasses) map.classNameMap[name] = [cls, cls.fromConfig];
    return map;
  }
  static register(cls) { serialization.registerClass(cls); }
}
export const serialization = {
  Serializable,
  SerializationMap,
  /** The name a class is registered under (its static className, else its name). */
  getRegisteredName(cls) {
    return registeredNames.get(cls) ?? cls?.className ?? cls?.name;
  },
  /** Registers a custom layer class (its static className, else its name) for loadLayersModel. */
  registerClass(cls, pkg = 'Custom', name) {
    if (typeof cls !== 'function') throw new Error(`serialization.registerClass: expected a class, received ${cls}`);
    const className = name ?? cls.className ?? cls.name;
    if (!className) throw new Error('serialization.registerClass: the class needs a name (a static className)');
    customClasses.set(className, cls);
    // TF.js's registered name, '<package>>className'; model files name the class by className.
    registeredNames.set(cls, `${pkg}>${className}`);
    return cls;
  },
};
const registeredNames = new Map();

export const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'RNN', 'ConvLSTM2D']);
// Layers that pass a mask on (as TF.js's supportsMasking says).
const MASKING = new Set(['Masking', 'Embedding', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'Activation', 'Dense', 'TimeDistributed',
  'Bidirectional', 'SimpleRNN', 'LSTM', 'GRU', 'RNN', 'ConvLSTM2D', 'LeakyReLU', 'Softmax', 'BatchNormalization', 'LayerNormalization',
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Cropping1D']);

/** A symbolic call as TF.js's Node: the layer called, the tensors in and out. */
function nodeOf(call) {
  if (!call._node) {
    const ins = call.inputs;
    call._node = {
      outboundLayer: call.layer,
      inboundLayers: ins.map((s) => s.sourceLayer),
      nodeIndices: ins.map((s) => s.nodeIndex),
      tensorIndices: ins.map((s) => s.tensorIndex),
      inputTensors: ins,
      outputTensors: call.outputs,
      inputShapes: ins.length === 1 ? ins[0].shape : ins.map((s) => s.shape),
      outputShapes: call.outputs.length === 1 ? call.outputs[0].shape : call.outputs.map((s) => s.shape),
      inputMasks: ins.map(() => null),
      outputMasks: call.outputs.map(() => null),
      callArgs: {},
    };
  }
  return call._node;
}
export const CELLS = new Set(['SimpleRNNCell', 'LSTMCell', 'GRUCell', 'ConvLSTM2DCell', 'StackedRNNCells']);
let symbolicCount = 0;
const tensorNames = new Map();
let privateCalls = 0;
/** A placeholder for a tensor in a functional model's definition (TF.js's SymbolicTensor). */
export class SymbolicTensor {
  constructor(shape, dtype, sourceLayer, call, name) {
    this.id = ++symbolicCount;
    this.shape = shape;
    this.dtype = dtype;
    this.sourceLayer = sourceLayer;
    // Names are unique in the page, as TF.js makes them: a repeat gets _1, _2, ...
    // (The calls a layer makes on its own, to build itself or run on tensors, take no names.)
    const seen = tensorNames.get(name) ?? 0;
    if (!privateCalls) tensorNames.set(name, seen + 1);
    this.name = seen ? `${name}_${seen}` : name;
    this.originalName = name;
    /** The apply() call that made it; null for a model input. */
    this._call = call;
  }
  get rank() { return this.shape.length; }
  /** Which call of its layer made it (TF.js's nodeIndex): 0 for a model input. */
  get nodeIndex() { return this._call ? this._call.index : 0; }
  /** Which output of that call it is (0 unless the layer returns states too). */
  get tensorIndex() { return this._outIndex ?? 0; }
  get outputTensorIndex() { return this._outIndex ?? 0; }
  /** The symbolic tensors the call consumed. */
  get inputs() { return this._call ? this._call.inputs.slice() : []; }
  /** The call's keyword arguments. */
  get callArgs() { return this._call?.kwargs ?? {}; }
}

// models.js registers the functional-model constructor (it imports this module).
let modelFactory = () => { throw new Error('models are not loaded'); };
export function _registerModelFactory(make) {
  modelFactory = make;
}

/**
 * A model input, as TF.js's tf.input: `{shape}` (batch excluded) or `{batchShape}`, optional
 * `name` and `dtype` ('float32' or 'int32', e.g. for an embedding's indices).
 */
export function input(config) {
  if (!config || typeof config !== 'object') throw new Error(`input: expected {shape} or {batchShape}, received ${config}`);
  const batchShape = config.batchShape ?? (config.shape ? [null, ...config.shape] : undefined);
  if (!Array.isArray(batchShape)) throw new Error(`input: expected {shape: [...]} or {batchShape: [null, ...]}, received ${JSON.stringify(config)}`);
  const dtype = config.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`input: dtype must be 'float32' or 'int32', received ${dtype}`);
  const layer = new Layer('InputLayer', { batchInputShape: batchShape, name: config.name, dtype });
  const sym = new SymbolicTensor([Number.isInteger(batchShape[0]) ? batchShape[0] : null, ...batchShape.slice(1)], dtype, layer, null, layer.name);
  // A fixed batch size (batchShape: [4, ...]) reaches stateful layers applied downstream.
  sym._batch = Number.isInteger(batchShape[0]) ? batchShape[0] : null;
  layer._output = sym;
  layer.outputShape = sym.shape;
  return sym;
}

/** The symbolic tensor an InputLayer gives (made once): a Sequential's input. */
export function _symbolicInput(layer, batchShape, dtype = 'float32') {
  if (layer._output) return layer._output;
  const sym = new SymbolicTensor([Number.isInteger(batchShape[0]) ? batchShape[0] : null, ...batchShape.slice(1)], dtype, layer, null, layer.name);
  sym._batch = Number.isInteger(batchShape[0]) ? batchShape[0] : null;
  layer._output = sym;
  layer.outputShape = sym.shape;
  return sym;
}

/** An input shape's dims: positive integers, or null for a free one (a number of steps). */
function checkShape(layer, key, shape, batch = undefined) {
  const ok = Array.isArray(shape) && shape.every((d) => d === null || (Number.isInteger(d) && d > 0)) && (batch === undefined || batch === null || (Number.isInteger(batch) && batch > 0));
  if (!ok) {
    const given = batch === undefined ? shape : [batch, ...(Array.isArray(shape) ? shape : [])];
    throw new Error(`${layer.className} '${layer.name}': ${key} must be an array of positive integers or null, received ${JSON.stringify(given)}`);
  }
}

// Layers: option objects with TF.js names. A layer checks its options with the engine when it is
// constructed (so a bad option throws where the user wrote it), and is built inside a model by
// `model.add`, which infers its input shape.
import { engine } from './engine.js';
import { Tensor, tidy, wrap } from './tensor.js';
import { canonicalConstraint } from './keras_json.js';

const counters = new Map();
function autoName(className) {
  const n = (counters.get(className) ?? 0) + 1;
  counters.set(className, n);
  if (className === 'InputLayer') return `input${n}`;
  // Keras's and TF.js's snake case: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, SimpleRNN -> simple_rnn.
  const snake = className.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return `${snake}_${className}${n}`;
}

function serializable(v) {
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
    if (cfg.layer instanceof Layer) cfg.layer = { className: cfg.layer.className, config: cfg.layer._config };
    // tf.layers.rnn's cell: a cell, a list of cells or stackedRNNCells, as {className, config}.
    const cellSpec = (c) => (c instanceof Layer ? { className: c.className, config: c._config } : c);
    if (Array.isArray(cfg.cell)) cfg.cell = cfg.cell.map(cellSpec);
    else if (cfg.cell instanceof Layer) cfg.cell = cellSpec(cfg.cell);
    if (className === 'StackedRNNCells' && Array.isArray(cfg.cells)) cfg.cells = cfg.cells.map(cellSpec);
    if (cfg.inputShape !== undefined) checkShape(this, 'inputShape', cfg.inputShape);
    if (cfg.batchInputShape !== undefined) checkShape(this, 'batchInputShape', cfg.batchInputShape.map((d, i) => (i === 0 && d === null ? 1 : d)));
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
    this.outputShape = undefined;
    this.batchInputShape = cfg.batchInputShape ?? (cfg.inputShape ? [null, ...cfg.inputShape] : undefined);
  }
  getClassName() { return this.className; }
  getConfig() {
    // The trainable flag as it is now (a frozen layer saves frozen, as in TF.js).
    if (!this._custom) return { ...this._config, trainable: this._trainable };
    const out = { name: this.name, trainable: this._trainable };
    for (const k of ['inputShape', 'batchInputShape', 'dtype']) if (this._config[k] !== undefined) out[k] = this._config[k];
    return out;
  }

  // ---- custom layers (class MyLayer extends tf.layers.Layer) ----

  /** Creates weights: subclasses override it and call addWeight. */
  build(inputShape) {}
  /** The output shape for an input shape (the default keeps it). */
  computeOutputShape(inputShape) { return inputShape; }
  /**
   * A weight of a custom layer, asked for in build(): TF.js's addWeight(name, shape, dtype,
   * initializer, regularizer, trainable, constraint). Returns a variable whose read() gives the tensor.
   */
  addWeight(name, shape, dtype, initializer, regularizer, trainable = true, constraint = null) {
    if (!this._custom) throw new Error(`${this.className} '${this.name}': addWeight is for custom layers`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`${this.className} '${this.name}': addWeight '${name}': shape must be an array of positive integers, received ${JSON.stringify(shape)}`);
    }
    if (dtype !== undefined && dtype !== null && dtype !== 'float32') throw new Error(`${this.className} '${this.name}': addWeight '${name}': only float32 weights are supported, received ${dtype}`);
    const index = this._weightSpecs.length;
    this._weightSpecs.push({ name, shape, initializer: serializable(initializer) ?? 'glorotUniform', regularizer: serializable(regularizer) ?? null, trainable: trainable !== false, constraint: canonicalConstraint(constraint) ?? null });
    return new LayerVariable(this, index, `${this.name}/${name}`, shape, trainable !== false);
  }

  /** Builds (first use) and traces the custom layer's call for inputs of these feature shapes. */
  _customSpec(shapes, dtypes = []) {
    const key = JSON.stringify(shapes);
    if (this._traces.has(key)) return this._traces.get(key);
    const owner = `${this.className} '${this.name}'`;
    const fmt = (v) => v.map((sh) => JSON.stringify([null, ...sh])).join(', ');
    if (!this.built) {
      this._weightSpecs = [];
      this.build(shapes.length === 1 ? [null, ...shapes[0]] : shapes.map((sh) => [null, ...sh]));
      this.built = true;
      this._builtFor = shapes;
    } else if (JSON.stringify(this._builtFor) !== key) {
      throw new Error(`${owner}: the layer was built for input shape ${fmt(this._builtFor)}, received ${fmt(shapes)}`);
    }
    const n = shapes.length;
    const trace = (batch) => {
      const args = [...shapes.map((sh, i) => [[batch, ...sh], dtypes[i] ?? 'float32']), ...this._weightSpecs.map((w) => [w.shape, 'float32'])];
      const ph = engine.trace_begin(JSON.stringify(args), undefined);
      let id = null;
      let out = null;
      try {
        tidy(() => {
          const all = Array.from(ph).map((h) => wrap(h));
          this._tracing = all.slice(n);
          const res = this.call(n === 1 ? all[0] : all.slice(0, n), {});
          const r = Array.isArray(res) && res.length === 1 ? res[0] : res;
          if (!(r instanceof Tensor)) throw new TypeError(`call() must return one Tensor, received ${Array.isArray(res) ? `${res.length} values` : res}`);
          out = r.shape.slice(1);
          id = engine.trace_end(r.id);
        });
      } catch (e) {
        try { engine.trace_end(undefined); } catch { /* closed either way */ }
        throw new Error(`${owner}: call() failed on inputs of shape ${fmt(shapes)}: ${e.message}`);
      } finally {
        this._tracing = null;
      }
      return { id, out };
    };
    const a = trace(5);
    const b = trace(7);
    const same = engine.traced_same(a.id, b.id);
    engine.traced_drop(b.id);
    if (!same) {
      engine.traced_drop(a.id);
      throw new Error(`${owner}: call() must not depend on the batch size (use -1 for the batch in reshapes, and tensor ops instead of reading values)`);
    }
    const spec = { traced: a.id, inputs: shapes, output: a.out, weights: this._weightSpecs.map((w) => ({ ...w })) };
    this._traces.set(key, spec);
    return spec;
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
    this.inputShape = info.inputShapes && info.inputShapes.length > 1 ? info.inputShapes.map((s) => [null, ...s]) : [null, ...info.inputShape];
    const outs = info.outputShapes ?? [info.outputShape];
    this.outputShape = outs.length > 1 ? outs.map((s) => [null, ...s]) : [null, ...info.outputShape];
    if (!this._trainable) engine.model_set_trainable(model._id, index, false);
  }
  /** The model holding this layer's newest weights, and the layer's index there. */
  _home() {
    if (!this._model) throw new Error(`${this.className} '${this.name}': the layer has no weights until it is added to a model or applied`);
    return [this._model, this._homes.get(this._model)];
  }
  countParams() {
    return (this._weightInfo ?? []).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  }
  get weights() {
    return (this._weightInfo ?? []).map((w) => ({ name: w.name, shape: w.shape, trainable: this._trainable && !w.state }));
  }
  /** Copies of this layer's weights. */
  getWeights() {
    if (!this._model) return [];
    const [model, index] = this._home();
    return Array.from(engine.model_layer_weights(model._id, index)).map(wrapTensor);
  }
  setWeights(tensors) {
    if (!this._model) throw new Error(`${this.className} '${this.name}': setWeights before the layer is added to a model`);
    if (!Array.isArray(tensors) || tensors.length !== this._weightCount) {
      throw new Error(`${this.className} '${this.name}': setWeights expects ${this._weightCount} tensors, received ${Array.isArray(tensors) ? tensors.length : tensors}`);
    }
    const [model, index] = this._home();
    engine.model_set_layer_weights(model._id, index, Uint32Array.from(tensors.map((t) => t.id)));
    model._claim([this]);
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
    if (list.length && list.every((x) => x instanceof SymbolicTensor)) {
      if (this.className === 'InputLayer') throw new Error(`InputLayer '${this.name}': an input layer cannot be applied to other tensors`);
      const batch = list[0]._batch ?? null;
      this._takeStateBatch(batch);
      const shapes = list.map((s) => s.shape.slice(1));
      const outs = this._custom
        ? [this._customSpec(shapes, list.map((s) => s.dtype)).output]
        : JSON.parse(engine.layer_output_shape(this.className, JSON.stringify(this._config), JSON.stringify(shapes)));
      const call = { layer: this, inputs: list, index: this._inbound.length, group: null };
      // Several outputs (returnState): one symbolic tensor each, told apart by their index.
      const syms = outs.map((out, i) => {
        const sym = new SymbolicTensor([null, ...out], 'float32', this, call, `${this.name}/${this.name}${i ? `:${i}` : ''}`);
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
    if (list.length && list.every((x) => x instanceof Tensor)) return this._applyEager(list);
    const what = (x) => (x instanceof SymbolicTensor ? 'a SymbolicTensor' : x instanceof Tensor ? 'a Tensor' : String(x?.constructor?.name ?? x));
    throw new Error(`${this.className} '${this.name}': apply expects SymbolicTensors (from tf.input() or another layer's apply) or Tensors, not a mix; received ${list.map(what).join(', ') || 'nothing'}`);
  }
  /** Whether the layer (or the recurrent layer it wraps) keeps states between batches. */
  get stateful() {
    return !!(this._config.stateful || this._config.layer?.config?.stateful);
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
  /** Runs the layer on tensors through a small model of its own, built on first use. */
  _applyEager(list) {
    if (list.some((t) => t.shape[0] !== list[0].shape[0])) {
      throw new Error(`${this.className} '${this.name}': every input needs the same batch size, received shapes ${list.map((t) => JSON.stringify(t.shape)).join(', ')}`);
    }
    const key = JSON.stringify(list.map((t) => [t.shape.slice(1), t.dtype]));
    if (!this._eager || this._eager.key !== key) {
      const ins = list.map((t) => input({ shape: t.shape.slice(1), dtype: t.dtype }));
      const out = this.apply(ins.length === 1 ? ins[0] : ins);
      this._eager = { key, model: modelFactory({ inputs: ins, outputs: out, name: `${this.name}_eager` }) };
    }
    const x = list.length === 1 ? list[0] : list;
    return this._eager.model.predict(x, { batchSize: Math.max(1, list[0].shape[0] ?? 1) });
  }
}

/** A custom layer's weight (TF.js's LayerVariable): read() gives its value. */
export class LayerVariable {
  constructor(layer, index, name, shape, trainable) {
    this.layer = layer;
    this.index = index;
    this.name = name;
    this.shape = shape;
    this.dtype = 'float32';
    this.trainable = trainable;
  }
  /** The weight's tensor: inside call() the traced placeholder, elsewhere a copy of its value. */
  read() {
    if (this.layer._tracing) return this.layer._tracing[this.index];
    if (!this.layer._model) throw new Error(`${this.layer.className} '${this.layer.name}': weight '${this.name}' has no value until the layer is in a model`);
    const ws = this.layer.getWeights();
    ws.forEach((t, i) => { if (i !== this.index) t.dispose(); });
    return ws[this.index];
  }
  /** Sets the weight's value. */
  write(value) {
    const ws = this.layer.getWeights();
    ws[this.index].dispose();
    ws[this.index] = value;
    try {
      this.layer.setWeights(ws);
    } finally {
      ws.forEach((t, i) => { if (i !== this.index) t.dispose(); });
    }
  }
}

/** Custom layer classes by name, for loading saved models (tf.serialization.registerClass). */
export const customClasses = new Map();
export const serialization = {
  /** Registers a custom layer class (its static className, else its name) for loadLayersModel. */
  registerClass(cls) {
    if (typeof cls !== 'function') throw new Error(`serialization.registerClass: expected a class, received ${cls}`);
    const name = cls.className ?? cls.name;
    if (!name) throw new Error('serialization.registerClass: the class needs a name (a static className)');
    customClasses.set(name, cls);
    return cls;
  },
};

const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'RNN']);
const CELLS = new Set(['SimpleRNNCell', 'LSTMCell', 'GRUCell', 'StackedRNNCells']);
let symbolicCount = 0;
/** A placeholder for a tensor in a functional model's definition (TF.js's SymbolicTensor). */
export class SymbolicTensor {
  constructor(shape, dtype, sourceLayer, call, name) {
    this.id = ++symbolicCount;
    this.shape = shape;
    this.dtype = dtype;
    this.sourceLayer = sourceLayer;
    this.name = name;
    /** The apply() call that made it; null for a model input. */
    this._call = call;
  }
  get rank() { return this.shape.length; }
}

// models.js registers the functional-model constructor (it imports this module).
let modelFactory = () => { throw new Error('models are not loaded'); };
let wrapTensor = (id) => id;
export function _registerModelFactory(make, wrapFn) {
  modelFactory = make;
  wrapTensor = wrapFn;
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
  const sym = new SymbolicTensor([null, ...batchShape.slice(1)], dtype, layer, null, layer.name);
  // A fixed batch size (batchShape: [4, ...]) reaches stateful layers applied downstream.
  sym._batch = Number.isInteger(batchShape[0]) ? batchShape[0] : null;
  layer._output = sym;
  layer.outputShape = sym.shape;
  return sym;
}

function checkShape(layer, key, shape) {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`${layer.className} '${layer.name}': ${key} must be an array of positive integers, received ${JSON.stringify(shape)}`);
  }
}

const make = (className) => (config) => new Layer(className, config);
// Merge layers also take the list of inputs directly (TF.js: tf.layers.add([a, b]) is the output).
const merge = (className) => (config = {}) => (Array.isArray(config) ? new Layer(className, {}).apply(config) : new Layer(className, config));

export const layers = {
  dense: make('Dense'),
  activation: make('Activation'),
  dropout: make('Dropout'),
  flatten: (config = {}) => new Layer('Flatten', config),
  leakyReLU: (config = {}) => new Layer('LeakyReLU', config),
  softmax: (config = {}) => new Layer('Softmax', config),
  inputLayer: (config) => new Layer('InputLayer', config),
  add: merge('Add'),
  subtract: merge('Subtract'),
  multiply: merge('Multiply'),
  average: merge('Average'),
  maximum: merge('Maximum'),
  minimum: merge('Minimum'),
  concatenate: merge('Concatenate'),
  dot: make('Dot'),
  multiHeadAttention: make('MultiHeadAttention'),
  reshape: make('Reshape'),
  permute: make('Permute'),
  repeatVector: make('RepeatVector'),
  embedding: make('Embedding'),
  layerNormalization: (config = {}) => new Layer('LayerNormalization', config),
  batchNormalization: (config = {}) => new Layer('BatchNormalization', config),
  conv1d: make('Conv1D'),
  conv2d: make('Conv2D'),
  conv2dTranspose: make('Conv2DTranspose'),
  depthwiseConv2d: make('DepthwiseConv2D'),
  separableConv2d: make('SeparableConv2D'),
  maxPooling1d: (config = {}) => new Layer('MaxPooling1D', config),
  maxPooling2d: (config = {}) => new Layer('MaxPooling2D', config),
  averagePooling1d: (config = {}) => new Layer('AveragePooling1D', config),
  averagePooling2d: (config = {}) => new Layer('AveragePooling2D', config),
  globalMaxPooling1d: (config = {}) => new Layer('GlobalMaxPooling1D', config),
  globalMaxPooling2d: (config = {}) => new Layer('GlobalMaxPooling2D', config),
  globalAveragePooling1d: (config = {}) => new Layer('GlobalAveragePooling1D', config),
  globalAveragePooling2d: (config = {}) => new Layer('GlobalAveragePooling2D', config),
  upSampling2d: (config = {}) => new Layer('UpSampling2D', config),
  zeroPadding2d: (config = {}) => new Layer('ZeroPadding2D', config),
  cropping1d: (config = {}) => new Layer('Cropping1D', config),
  /** TF.js's name (and the lower-case spelling the other layers use). */
  cropping2D: (config = {}) => new Layer('Cropping2D', config),
  cropping2d: (config = {}) => new Layer('Cropping2D', config),
  spatialDropout1d: make('SpatialDropout1D'),
  gaussianNoise: make('GaussianNoise'),
  masking: make('Masking'),
  /** A recurrent layer around a cell or a list of cells (stacked), as TF.js's tf.layers.rnn. */
  rnn: make('RNN'),
  simpleRNNCell: make('SimpleRNNCell'),
  lstmCell: make('LSTMCell'),
  gruCell: make('GRUCell'),
  stackedRNNCells: make('StackedRNNCells'),
  simpleRNN: make('SimpleRNN'),
  lstm: make('LSTM'),
  gru: make('GRU'),
  bidirectional: make('Bidirectional'),
  timeDistributed: make('TimeDistributed'),
};
// The base class for custom layers: class MyLayer extends tf.layers.Layer.
layers.Layer = Layer;
// TF.js's aliases.
layers.convolution1d = layers.conv1d;
layers.convolution2d = layers.conv2d;
layers.maxPool1d = layers.maxPooling1d;
layers.maxPool2d = layers.maxPooling2d;
layers.avgPool1d = layers.averagePooling1d;
layers.avgPool2d = layers.averagePooling2d;
layers.avgPooling1d = layers.averagePooling1d;
layers.avgPooling2d = layers.averagePooling2d;
layers.globalMaxPool1d = layers.globalMaxPooling1d;
layers.globalMaxPool2d = layers.globalMaxPooling2d;
layers.globalAvgPool1d = layers.globalAveragePooling1d;
layers.globalAvgPool2d = layers.globalAveragePooling2d;

/** Initializers, as tf.initializers.* builds them: {className, config} descriptions. */
class Initializer {
  constructor(className, config = {}) { this.className = className; this.config = config; }
  getClassName() { return this.className; }
  getConfig() { return { ...this.config }; }
  toJSON() { return { className: this.className, config: this.config }; }
}
const init = (className) => (config) => new Initializer(className, config ?? {});
export const initializers = {
  zeros: init('Zeros'),
  ones: init('Ones'),
  constant: init('Constant'),
  randomUniform: init('RandomUniform'),
  randomNormal: init('RandomNormal'),
  truncatedNormal: init('TruncatedNormal'),
  glorotUniform: init('GlorotUniform'),
  glorotNormal: init('GlorotNormal'),
  heUniform: init('HeUniform'),
  heNormal: init('HeNormal'),
  leCunUniform: init('LeCunUniform'),
  leCunNormal: init('LeCunNormal'),
  varianceScaling: init('VarianceScaling'),
  orthogonal: init('Orthogonal'),
};


/** Regularizers, as tf.regularizers.* builds them: a penalty added to the loss. */
class Regularizer {
  constructor(l1, l2) { this.className = 'L1L2'; this.config = { l1, l2 }; }
  getClassName() { return this.className; }
  getConfig() { return { ...this.config }; }
  toJSON() { return { className: this.className, config: this.config }; }
}
export const regularizers = {
  l1: (config = {}) => new Regularizer(config.l1 ?? 0.01, 0),
  l2: (config = {}) => new Regularizer(0, config.l2 ?? 0.01),
  l1l2: (config = {}) => new Regularizer(config.l1 ?? 0.01, config.l2 ?? 0.01),
};

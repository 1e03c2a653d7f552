// Layers: option objects with TF.js names. A layer checks its options with the engine when it is
// constructed (so a bad option throws where the user wrote it), and is built inside a model by
// `model.add`, which infers its input shape.
import { engine } from './engine.js';

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
    if (config === null || typeof config !== 'object') throw new Error(`${className}: expected an options object, received ${config}`);
    this.className = className;
    this.name = config.name ?? autoName(className);
    const cfg = { ...config, name: this.name };
    // Dense's inputDim is shorthand for inputShape; Embedding's is its vocabulary size.
    if (className === 'Dense' && cfg.inputDim !== undefined && cfg.inputShape === undefined) cfg.inputShape = [cfg.inputDim];
    for (const k of Object.keys(cfg)) if (/(Initializer|Regularizer)$/.test(k) && cfg[k] !== undefined) cfg[k] = serializable(cfg[k]);
    // Wrappers (bidirectional, timeDistributed) take a layer: it travels as {className, config}.
    if (cfg.layer instanceof Layer) cfg.layer = { className: cfg.layer.className, config: cfg.layer._config };
    if (cfg.inputShape !== undefined) checkShape(this, 'inputShape', cfg.inputShape);
    if (cfg.batchInputShape !== undefined) checkShape(this, 'batchInputShape', cfg.batchInputShape.map((d, i) => (i === 0 && d === null ? 1 : d)));
    engine.layer_validate(className, JSON.stringify(cfg));
    this._config = cfg;
    this._trainable = config.trainable ?? true;
    this._model = null;
    this._index = -1;
    this._weightCount = 0;
    this.outputShape = undefined;
    this.batchInputShape = cfg.batchInputShape ?? (cfg.inputShape ? [null, ...cfg.inputShape] : undefined);
  }
  getClassName() { return this.className; }
  getConfig() { return { ...this._config }; }
  get trainable() { return this._trainable; }
  set trainable(v) {
    this._trainable = !!v;
    if (this._model) engine.model_set_trainable(this._model._id, this._index, this._trainable);
  }
  _attach(model, index, info) {
    this._model = model;
    this._index = index;
    this._weightCount = info.weights.length;
    this._weightInfo = info.weights;
    this.inputShape = [null, ...info.inputShape];
    this.outputShape = [null, ...info.outputShape];
    if (!this._trainable) engine.model_set_trainable(model._id, index, false);
  }
  _weightOffset() {
    let off = 0;
    for (const l of this._model.layers) {
      if (l === this) break;
      off += l._weightCount;
    }
    return off;
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
    const all = this._model.getWeights();
    const off = this._weightOffset();
    const mine = all.slice(off, off + this._weightCount);
    all.forEach((t, i) => { if (i < off || i >= off + this._weightCount) t.dispose(); });
    return mine;
  }
  setWeights(tensors) {
    if (!this._model) throw new Error(`${this.className} '${this.name}': setWeights before the layer is added to a model`);
    if (tensors.length !== this._weightCount) {
      throw new Error(`${this.className} '${this.name}': setWeights expects ${this._weightCount} tensors, received ${tensors.length}`);
    }
    const all = this._model.getWeights();
    const off = this._weightOffset();
    const next = all.map((t, i) => (i >= off && i < off + this._weightCount ? tensors[i - off] : t));
    try {
      this._model.setWeights(next);
    } finally {
      all.forEach((t) => t.dispose());
    }
  }
  apply() {
    throw new Error(`${this.className} '${this.name}': calling a layer directly is not supported yet; add it to a tf.sequential() model`);
  }
}

function checkShape(layer, key, shape) {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`${layer.className} '${layer.name}': ${key} must be an array of positive integers, received ${JSON.stringify(shape)}`);
  }
}

const make = (className) => (config) => new Layer(className, config);

export const layers = {
  dense: make('Dense'),
  activation: make('Activation'),
  dropout: make('Dropout'),
  flatten: (config = {}) => new Layer('Flatten', config),
  leakyReLU: (config = {}) => new Layer('LeakyReLU', config),
  softmax: (config = {}) => new Layer('Softmax', config),
  inputLayer: (config) => new Layer('InputLayer', config),
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
  spatialDropout1d: make('SpatialDropout1D'),
  gaussianNoise: make('GaussianNoise'),
  simpleRNN: make('SimpleRNN'),
  lstm: make('LSTM'),
  gru: make('GRU'),
  bidirectional: make('Bidirectional'),
  timeDistributed: make('TimeDistributed'),
};
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

// The properties TF.js's layer classes expose (layer.units, layer.kernelSize, layer.activation,
// layer.kernel, ...), read from the layer's canonical config (keras_json.js holds each option's
// default once) and its weights. TF.js normalises them as its getConfig() does: tuples as arrays,
// initializers, regularizers and constraints as objects, the activation as an object with
// getClassName() and apply().
import { tidy } from './tensor.js';
import { clipByValue, elu, mul, add, div, abs, relu, relu6, selu, sigmoid, softmax, softplus, tanh } from './ops.js';
import { LAYER_OPTIONS, canonicalLayerConfig } from './keras_json.js';

/** TF.js's activation classes by option name: the object `layer.activation` gives. */
const ACTIVATIONS = {
  linear: ['Linear', (x) => x.clone()],
  relu: ['Relu', relu],
  relu6: ['Relu6', relu6],
  elu: ['Elu', (x) => elu(x)],
  selu: ['Selu', selu],
  sigmoid: ['Sigmoid', sigmoid],
  hardSigmoid: ['HardSigmoid', (x) => tidy(() => clipByValue(add(mul(x, 0.2), 0.5), 0, 1))],
  tanh: ['Tanh', tanh],
  softplus: ['Softplus', softplus],
  softsign: ['Softsign', (x) => tidy(() => div(x, add(abs(x), 1)))],
  softmax: ['Softmax', (x) => softmax(x)],
  swish: ['Swish', (x) => tidy(() => mul(x, sigmoid(x)))],
};

/** An activation function as TF.js's layers hold it. */
export class Activation {
  constructor(name) {
    const entry = ACTIVATIONS[name];
    if (!entry) throw new Error(`activation: unknown activation '${name}'; expected one of ${Object.keys(ACTIVATIONS).join(', ')}`);
    this._name = name;
    this._fn = entry[1];
    this.className = entry[0];
  }
  /** The option name (TF.js's serialization name): 'relu', 'linear', ... */
  getClassName() { return this._name; }
  /** The activation of `x`, a new tensor. */
  apply(x) { return this._fn(x); }
}

/** TF.js's InputSpec: what a layer accepts (rank and fixed axes). */
export class InputSpec {
  constructor({ dtype, shape, ndim, maxNDim, minNDim, axes } = {}) {
    this.dtype = dtype;
    this.shape = shape;
    this.ndim = shape ? shape.length : ndim;
    this.maxNDim = maxNDim;
    this.minNDim = minNDim;
    // TF.js: no fixed axes is {}.
    this.axes = axes ?? {};
  }
}

// The rank each class accepts, and whether its last axis is fixed once built (TF.js's specs).
const RANKS = {
  Dense: { minNDim: 2, lastFixed: true },
  Conv1D: { ndim: 3, lastFixed: true },
  Conv2D: { ndim: 4, lastFixed: true },
  Conv2DTranspose: { ndim: 4, lastFixed: true },
  DepthwiseConv2D: { ndim: 4, lastFixed: true },
  SeparableConv2D: { ndim: 4, lastFixed: true },
  Conv3D: { ndim: 5, lastFixed: true }, Conv3DTranspose: { ndim: 5, lastFixed: true }, MaxPooling3D: { ndim: 5 }, AveragePooling3D: { ndim: 5 },
  MaxPooling1D: { ndim: 3 }, AveragePooling1D: { ndim: 3 }, MaxPooling2D: { ndim: 4 }, AveragePooling2D: { ndim: 4 },
  GlobalMaxPooling1D: { ndim: 3 }, GlobalAveragePooling1D: { ndim: 3 }, GlobalMaxPooling2D: { ndim: 4 }, GlobalAveragePooling2D: { ndim: 4 },
  Flatten: { minNDim: 3 }, RepeatVector: { ndim: 2 }, UpSampling2D: { ndim: 4 }, ZeroPadding2D: { ndim: 4 },
  Cropping1D: { ndim: 3 }, Cropping2D: { ndim: 4 }, SimpleRNN: { ndim: 3 }, LSTM: { ndim: 3 }, GRU: { ndim: 3 }, RNN: { ndim: 3 },
  Embedding: { minNDim: 2 }, Bidirectional: { ndim: 3 }, TimeDistributed: { minNDim: 3 }, ConvLSTM2D: { ndim: 5 },
};

/** The layer's input specs: before build the rank it accepts, after it also the fixed axes. */
export function inputSpecOf(layer) {
  // tf.layers.rnn around a ConvLSTM2DCell reads sequences of images, as ConvLSTM2D does.
  const r = layer.className === 'RNN' && layer._config.cell?.className === 'ConvLSTM2DCell' ? RANKS.ConvLSTM2D : RANKS[layer.className];
  if (!r) return null;
  const spec = { ndim: r.ndim, minNDim: r.minNDim };
  const shape = layer._builtInput?.[0];
  // TF.js keys Dense's feature axis as -1 and a convolution's as its index in the input.
  if (r.lastFixed && shape) spec.axes = { [layer.className === 'Dense' ? -1 : shape.length]: shape[shape.length - 1] };
  return [new InputSpec(spec)];
}

// Weights TF.js exposes by name, per class, before and after build (null until built).
const WEIGHT_PROPS = {
  Dense: ['kernel', 'bias'],
  Conv1D: ['kernel', 'bias'],
  Conv2D: ['kernel', 'bias'],
  Conv2DTranspose: ['kernel', 'bias'],
  DepthwiseConv2D: ['depthwiseKernel', 'bias'],
  SeparableConv2D: ['depthwiseKernel', 'pointwiseKernel', 'bias'],
  Conv3D: ['kernel', 'bias'],
  Conv3DTranspose: ['kernel', 'bias'],
  BatchNormalization: ['gamma', 'beta', 'movingMean', 'movingVariance'],
  LayerNormalization: ['gamma', 'beta'],
  Embedding: ['embeddings'],
  PReLU: ['alpha'],
  SimpleRNNCell: ['kernel', 'recurrentKernel', 'bias'],
  LSTMCell: ['kernel', 'recurrentKernel', 'bias'],
  GRUCell: ['kernel', 'recurrentKernel', 'bias'],
  ConvLSTM2DCell: ['kernel', 'recurrentKernel', 'bias'],
};

const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** A weight's short name as a property: 'dense_Dense1/kernel' -> 'kernel', 'moving_mean' -> 'movingMean'. */
export function weightProp(name) {
  return camel(name.slice(name.lastIndexOf('/') + 1));
}

// Options that are layer members already, or that TF.js does not expose as properties.
const SKIP = new Set(['name', 'trainable', 'inputShape', 'batchInputShape', 'batchSize', 'dtype', 'layer', 'inputDim']);

let makeInitializer = null;
let makeRegularizer = null;
let makeConstraint = null;
/** layers.js and constraints.js hand over their classes (they import this module). */
export function _registerOptionClasses({ initializer, regularizer, constraint }) {
  makeInitializer = initializer ?? makeInitializer;
  makeRegularizer = regularizer ?? makeRegularizer;
  makeConstraint = constraint ?? makeConstraint;
}

function optionValue(kind, key, v) {
  if (v === null || v === undefined) return v ?? null;
  if (key === 'activation' || key === 'recurrentActivation') return typeof v === 'string' ? new Activation(v) : v;
  if (kind === 'init' && makeInitializer && typeof v === 'object') return makeInitializer(v.className, v.config);
  if (kind === 'reg' && makeRegularizer && typeof v === 'object') return makeRegularizer(v.config ?? {});
  if (kind === 'con' && makeConstraint && typeof v === 'object') return makeConstraint(v.className, v.config);
  return v;
}

// Members TF.js's classes have beyond their config options, as fixed values or from the config.
const EXTRA = {
  Conv1D: { rank: 1, dataFormat: 'channelsLast' },
  Conv2D: { rank: 2 },
  Conv2DTranspose: { rank: 2, dilationRate: [1, 1] },
  DepthwiseConv2D: { rank: 2, DEFAULT_KERNEL_INITIALIZER: 'glorotUniform' },
  SeparableConv2D: { rank: 2, DEFAULT_KERNEL_INITIALIZER: 'glorotUniform', depthMultiplier: (c) => c.depthMultiplier ?? 1, kernel: null, kernelInitializer: null, kernelRegularizer: null, kernelConstraint: null },
  Conv3D: { rank: 3 },
  // TF.js keeps the dilationRate given (its conv3dTranspose op has none; Keras's layer uses it).
  Conv3DTranspose: { rank: 3, dilationRate: (c) => (typeof c.dilationRate === 'number' ? [c.dilationRate, c.dilationRate, c.dilationRate] : c.dilationRate ?? [1, 1, 1]) },
  Flatten: { dataFormat: (c) => c.dataFormat ?? 'channelsLast' },
  // The range of the width factor's offset: ±factor, or the [lower, upper] given.
  RandomWidth: { widthLower: (c) => (Array.isArray(c.factor) ? c.factor[0] : -c.factor), widthUpper: (c) => (Array.isArray(c.factor) ? c.factor[1] : c.factor) },
  Cropping2D: { cropping: (c) => c.cropping, dataFormat: (c) => c.dataFormat ?? 'channelsLast' },
  Cropping1D: { cropping: (c) => c.cropping },
  Dot: { axes: (c) => c.axes, normalize: (c) => c.normalize ?? false },
  Embedding: { inputDim: (c) => c.inputDim },
  Permute: { dimsIncludingBatch: (c) => [0, ...c.dims] },
  Bidirectional: { returnSequences: (c) => !!c.layer?.config?.returnSequences, returnState: (c) => !!c.layer?.config?.returnState },
  RNN: {
    returnSequences: (c) => !!c.returnSequences, returnState: (c) => !!c.returnState, goBackwards: (c) => !!c.goBackwards,
    unroll: (c) => !!c.unroll,
  },
  // TF.js lists the stacked cells' state sizes last cell first.
  StackedRNNCells: { stateSize: (c) => (c.cells ?? []).slice().reverse().flatMap((cell) => (cell.className === 'LSTMCell' ? [cell.config.units, cell.config.units] : [cell.config.units])) },
  SimpleRNNCell: { stateSize: (c) => c.units },
  GRUCell: { stateSize: (c) => c.units },
  LSTMCell: { stateSize: (c) => [c.units, c.units] },
  // TF.js's ConvLSTM2DCell is an LSTMCell with filters for units.
  ConvLSTM2DCell: { stateSize: (c) => [c.filters, c.filters], units: (c) => c.filters },
};

const DEFAULT_NAME = (key) => `DEFAULT_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;

/**
 * Defines the class's TF.js properties on a layer: each option of its config table (read from
 * the canonical config, so defaults and normalisation are TF.js's) and each named weight.
 */
export function defineLayerProps(layer) {
  const table = LAYER_OPTIONS[layer.className] ?? [];
  for (const { key, kind } of table) {
    if (SKIP.has(key) || key in layer) continue;
    Object.defineProperty(layer, key, {
      get() { return optionValue(kind, key, canonicalLayerConfig(this)[key]); },
      enumerable: true,
      configurable: true,
    });
  }
  // TF.js's DEFAULT_* members: each option's default (Hebb's, where it follows Keras 3).
  for (const { key, dflt } of table) {
    if (dflt === undefined || dflt === null || typeof dflt === 'boolean' || key.endsWith('Regularizer') || key.endsWith('Constraint')) continue;
    const name = DEFAULT_NAME(key);
    if (!(name in layer)) Object.defineProperty(layer, name, { value: dflt, enumerable: true });
  }
  for (const [key, v] of Object.entries(EXTRA[layer.className] ?? {})) {
    if (key in layer) continue;
    Object.defineProperty(layer, key, {
      get() { return typeof v === 'function' ? v(this._config) : v; },
      enumerable: true,
      configurable: true,
    });
  }
  for (const key of WEIGHT_PROPS[layer.className] ?? []) {
    if (key in layer) continue;
    Object.defineProperty(layer, key, {
      get() { return this._variables().find((v) => weightProp(v.name) === key) ?? null; },
      enumerable: true,
      configurable: true,
    });
  }
}

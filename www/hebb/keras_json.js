// One layer's config between Hebb's JS form (the options tf.layers.dense({...}) takes: camelCase,
// initializers as names or {className, config}) and the form TF.js writes into model.json
// ({class_name, config} with snake_case keys and values, every option spelled out).
//
// TF.js's own rule, which this follows: every key and every string value is converted
// (camelCase <-> snake_case: 'hardSigmoid' <-> 'hard_sigmoid', 'channelsLast' <->
// 'channels_last', 'fanAvg' <-> 'fan_avg'), except the value of a `name` or `className` key and
// the layer names that start the entries of inbound_nodes, input_layers and output_layers.
// On top of that, layerToKeras writes what TF.js's getConfig() would: all options with their
// defaults, initializers as {class_name, config} (glorotUniform is a VarianceScaling),
// regularizers as L1L2, constraints with their defaults, kernel sizes and strides as lists, the
// input shape as batch_input_shape.
// Where Hebb's default differs from TF.js's (Softmax's axis is -1, not 1; LSTM's unitForgetBias
// is on, as in Keras), the default written is Hebb's, so the file describes the model Hebb built.
// Options TF.js leaves undefined unless given (a dropout's noiseShape and seed, an embedding's
// maskZero and inputLength, a recurrent layer's implementation) are written only when given.

/** TF.js's toSnakeCase: 'kernelInitializer' -> 'kernel_initializer', 'Conv2D' -> 'conv2_d'. */
export function toSnakeCase(s) {
  const out = s.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return out[0] === '_' ? `private${out}` : out;
}

/** TF.js's toCamelCase: 'kernel_initializer' -> 'kernelInitializer'. */
export function toCamelCase(s) {
  if (s.length <= 1 || !s.includes('_')) return s;
  return s.replace(/_+(\w|$)/g, (_, c) => c.toUpperCase());
}

// Lists whose first element is a layer name, not a value to convert.
const NAME_LISTS = new Set(['inboundNodes', 'inputLayers', 'outputLayers']);

function convert(value, key, caseFn, keyFn, keepKeys) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return caseFn(value);
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    return value.map((v, i) => (NAME_LISTS.has(key) && i === 0 && typeof v === 'string' ? v : convert(v, key, caseFn, keyFn, keepKeys)));
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    const nk = keyFn(k);
    out[nk] = keepKeys.has(k) && typeof v === 'string' ? v : convert(v, toCamelCase(k), caseFn, keyFn, keepKeys);
  }
  return out;
}

/** A JS (camelCase) config tree in model.json's snake_case, as TF.js's convertTsToPythonic. */
export function jsToPythonic(value, key) {
  return convert(value, key, toSnakeCase, toSnakeCase, new Set(['name', 'className']));
}

/** A model.json (snake_case) config tree in JS camelCase, as TF.js's convertPythonicToTs. */
export function pythonicToJs(value, key) {
  return convert(value, key, toCamelCase, toCamelCase, new Set(['name']));
}

// ---- initializers and regularizers ----

const VS = (scale, mode, distribution) => ({ className: 'VarianceScaling', config: { scale, mode, distribution, seed: null } });
/** Every initializer name TF.js accepts, as the {className, config} its getConfig() gives. */
const INITIALIZERS = {
  zeros: () => ({ className: 'Zeros', config: {} }),
  ones: () => ({ className: 'Ones', config: {} }),
  constant: () => ({ className: 'Constant', config: { value: 0 } }),
  randomuniform: () => ({ className: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: undefined } }),
  randomnormal: () => ({ className: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: undefined } }),
  truncatednormal: () => ({ className: 'TruncatedNormal', config: { mean: 0, stddev: 0.05, seed: undefined } }),
  variancescaling: () => VS(1, 'fanIn', 'normal'),
  glorotuniform: () => VS(1, 'fanAvg', 'uniform'),
  glorotnormal: () => VS(1, 'fanAvg', 'normal'),
  heuniform: () => VS(2, 'fanIn', 'uniform'),
  henormal: () => VS(2, 'fanIn', 'normal'),
  lecununiform: () => VS(1, 'fanIn', 'uniform'),
  lecunnormal: () => VS(1, 'fanIn', 'normal'),
  orthogonal: () => ({ className: 'Orthogonal', config: { gain: 1, seed: undefined } }),
  identity: () => ({ className: 'Identity', config: { gain: 1 } }),
};
INITIALIZERS.xavieruniform = INITIALIZERS.glorotuniform;
INITIALIZERS.xaviernormal = INITIALIZERS.glorotnormal;

const lookupKey = (s) => s.replace(/_/g, '').toLowerCase();

/** An object from tf.initializers / tf.regularizers (or anything with toJSON) as plain data. */
function plain(v) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if (typeof v.toJSON === 'function') return v.toJSON();
    if (typeof v.getClassName === 'function' && typeof v.getConfig === 'function') return { className: v.getClassName(), config: v.getConfig() };
  }
  return v;
}

/** An initializer as TF.js serializes it; names it does not know pass through unchanged. */
function canonicalInitializer(v) {
  v = plain(v);
  if (typeof v === 'string') {
    const make = INITIALIZERS[lookupKey(v)];
    return make ? make() : v;
  }
  if (v && typeof v === 'object' && typeof v.className === 'string') {
    const make = INITIALIZERS[lookupKey(v.className)];
    if (!make) return v;
    const base = make();
    return { className: base.className, config: { ...base.config, ...(v.config ?? {}) } };
  }
  return v;
}

/** A regularizer as TF.js serializes it: {className: 'L1L2', config: {l1, l2}}. */
function canonicalRegularizer(v) {
  v = plain(v);
  const l1l2 = (l1, l2) => ({ className: 'L1L2', config: { l1, l2 } });
  if (typeof v === 'string') {
    const k = v.toLowerCase();
    if (k === 'l1') return l1l2(0.01, 0);
    if (k === 'l2') return l1l2(0, 0.01);
    if (k === 'l1l2' || k === 'l1_l2') return l1l2(0.01, 0.01);
    return v;
  }
  if (v && typeof v === 'object' && typeof v.className === 'string') {
    const c = v.config ?? {};
    const k = v.className.toLowerCase();
    if (k === 'l1') return l1l2(c.l1 ?? 0.01, 0);
    if (k === 'l2') return l1l2(0, c.l2 ?? 0.01);
    if (k === 'l1l2') return l1l2(c.l1 ?? 0.01, c.l2 ?? 0.01);
  }
  return v;
}

// ---- constraints ----

/** Each constraint class with its defaults, in the order TF.js's getConfig() writes them. */
export const CONSTRAINT_DEFAULTS = {
  MaxNorm: { maxValue: 2, axis: 0 },
  MinMaxNorm: { minValue: 0, maxValue: 1, rate: 1, axis: 0 },
  NonNeg: {},
  UnitNorm: { axis: 0 },
};

/** 'maxNorm', 'MaxNorm', 'max_norm' -> 'MaxNorm' (undefined for other names). */
export function constraintClass(name) {
  const key = lookupKey(String(name));
  return Object.keys(CONSTRAINT_DEFAULTS).find((c) => c.toLowerCase() === key);
}

/** A constraint's config with every default written; camelCase keys, or Keras's snake_case. */
export function constraintConfig(cls, config = {}) {
  const out = { ...CONSTRAINT_DEFAULTS[cls] };
  for (const k of Object.keys(out)) {
    const v = config[k] ?? config[toSnakeCase(k)];
    if (v != null) out[k] = v;
  }
  return out;
}

/**
 * A constraint option as TF.js serializes it: {className: 'MaxNorm', config: {maxValue, axis}}
 * with every default written. Takes a tf.constraints.* object, a name ('maxNorm', 'nonNeg',
 * 'unitNorm', 'minMaxNorm', or Keras's 'max_norm'...) or {className, config}; anything else is
 * returned as it is, for the engine to refuse with the layer and option named.
 */
export function canonicalConstraint(v) {
  v = plain(v);
  if (typeof v === 'string') {
    const cls = constraintClass(v);
    return cls ? { className: cls, config: constraintConfig(cls) } : v;
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const name = v.className ?? v.class_name;
    const cls = name === undefined ? undefined : constraintClass(name);
    const config = v.config ?? {};
    if (cls && typeof config === 'object' && !Array.isArray(config)) return { className: cls, config: constraintConfig(cls, config) };
  }
  return v;
}

// ---- per-class option tables ----

// Each table lists a class's options in the order TF.js's getConfig() writes them, with the
// default used when the option is absent (a null in the config stays null: TF.js wrote it so).
// BASE marks where name, trainable, batchInputShape and dtype go. Kinds: init, reg, con (converted
// to TF.js's objects), t1/t2/t3 (an int or a list, written as a list of 1, 2 or 3), pad2d, layer.
const BASE = '<base>';
const o = (key, dflt, kind) => ({ key, dflt, kind });
const REQ = undefined; // required: no default, absent stays absent
// TF.js leaves the option undefined unless given: getConfig() has the key with no value, which
// model.json writes as null.
const UNDEF = Symbol('undefined unless given');

const denseLike = [
  o('units', REQ), o('activation', 'linear'), o('useBias', true),
  o('kernelInitializer', 'glorotNormal', 'init'), o('biasInitializer', 'zeros', 'init'),
  o('kernelRegularizer', null, 'reg'), o('biasRegularizer', null, 'reg'), o('activityRegularizer', null, 'reg'),
  o('kernelConstraint', null, 'con'), o('biasConstraint', null, 'con'), BASE,
];

function conv(rank, { transpose = false } = {}) {
  const t = `t${rank}`;
  return [
    o('filters', REQ), o('kernelInitializer', 'glorotNormal', 'init'), o('kernelRegularizer', null, 'reg'), o('kernelConstraint', null, 'con'),
    o('kernelSize', REQ, t), o('strides', 1, t), o('padding', 'valid'),
    ...(rank > 1 ? [o('dataFormat', 'channelsLast')] : []),
    ...(transpose ? [] : [o('dilationRate', 1, t)]),
    o('activation', 'linear'), o('useBias', true), o('biasInitializer', 'zeros', 'init'), o('biasRegularizer', null, 'reg'),
    o('activityRegularizer', null, 'reg'), o('biasConstraint', null, 'con'), BASE,
  ];
}

const depthwiseHead = [
  o('kernelSize', REQ, 't2'), o('strides', 1, 't2'), o('padding', 'valid'), o('dataFormat', 'channelsLast'), o('dilationRate', 1, 't2'),
  o('activation', 'linear'), o('useBias', true), o('biasInitializer', 'zeros', 'init'), o('biasRegularizer', null, 'reg'),
  o('activityRegularizer', null, 'reg'), o('biasConstraint', null, 'con'), BASE,
];

function pooling(rank) {
  const t = `t${rank}`;
  return [o('poolSize', 2, t), o('padding', 'valid'), o('strides', REQ, t), ...(rank > 1 ? [o('dataFormat', 'channelsLast')] : []), BASE];
}

const rnnTail = [
  o('kernelRegularizer', null, 'reg'), o('recurrentRegularizer', null, 'reg'), o('biasRegularizer', null, 'reg'), o('activityRegularizer', null, 'reg'),
  o('kernelConstraint', null, 'con'), o('recurrentConstraint', null, 'con'), o('biasConstraint', null, 'con'), o('dropout', 0), o('recurrentDropout', 0),
];
const rnnFlags = [o('returnSequences', false), o('returnState', false), o('goBackwards', false), o('stateful', false), o('unroll', false)];
const rnnInits = [o('kernelInitializer', 'glorotNormal', 'init'), o('recurrentInitializer', 'orthogonal', 'init'), o('biasInitializer', 'zeros', 'init')];

const convLstmCell = [
  o('activation', 'tanh'), o('recurrentActivation', 'hardSigmoid'), o('useBias', true), ...rnnInits, o('unitForgetBias', true),
  ...rnnTail, o('implementation', UNDEF), o('filters', REQ), o('kernelSize', REQ, 't2'), o('padding', 'valid'),
  o('dataFormat', 'channelsLast'), o('dilationRate', 1, 't2'), o('strides', 1, 't2'),
];

const LAYERS = {
  Dense: denseLike,
  Activation: [o('activation', REQ), BASE],
  Dropout: [o('rate', REQ), o('noiseShape', UNDEF), o('seed', UNDEF), BASE],
  SpatialDropout1D: [o('rate', REQ), o('noiseShape', UNDEF), o('seed', UNDEF), BASE],
  GaussianNoise: [o('stddev', REQ), BASE],
  Masking: [o('maskValue', 0), BASE],
  ELU: [o('alpha', 1), BASE],
  // negativeSlope and threshold are Keras 3's (TF.js has maxValue only): written when given.
  ReLU: [o('maxValue', null), o('negativeSlope', REQ), o('threshold', REQ), BASE],
  PReLU: [o('alphaInitializer', 'zeros', 'init'), o('alphaRegularizer', null, 'reg'), o('alphaConstraint', null, 'con'), o('sharedAxes', null), BASE],
  ThresholdedReLU: [o('theta', 1), BASE],
  Rescaling: [o('scale', REQ), o('offset', 0), BASE],
  GaussianDropout: [o('rate', REQ), BASE],
  AlphaDropout: [o('rate', REQ), o('noiseShape', REQ), BASE],
  Resizing: [o('height', REQ), o('width', REQ), o('interpolation', 'bilinear'), o('cropToAspectRatio', false), BASE],
  CenterCrop: [o('height', REQ), o('width', REQ), BASE],
  RandomWidth: [o('factor', REQ), o('interpolation', 'bilinear'), o('seed', UNDEF), BASE],
  CategoryEncoding: [o('numTokens', REQ), o('outputMode', 'multiHot'), BASE],
  Flatten: [BASE],
  LeakyReLU: [o('alpha', 0.3), BASE],
  Softmax: [o('axis', -1), BASE],
  Reshape: [o('targetShape', REQ), BASE],
  Permute: [o('dims', REQ), BASE],
  RepeatVector: [o('n', REQ), BASE],
  Embedding: [
    o('inputDim', REQ), o('outputDim', REQ), o('embeddingsInitializer', 'randomUniform', 'init'), o('embeddingsRegularizer', null, 'reg'),
    o('activityRegularizer', null, 'reg'), o('embeddingsConstraint', null, 'con'), o('maskZero', UNDEF), o('inputLength', UNDEF), BASE,
  ],
  LayerNormalization: [
    o('axis', -1), o('epsilon', 0.001), o('center', true), o('scale', true), o('betaInitializer', 'zeros', 'init'),
    o('gammaInitializer', 'ones', 'init'), o('betaRegularizer', null, 'reg'), o('gammaRegularizer', null, 'reg'), BASE,
  ],
  BatchNormalization: [
    o('axis', -1), o('momentum', 0.99), o('epsilon', 0.001), o('center', true), o('scale', true),
    o('betaInitializer', 'zeros', 'init'), o('gammaInitializer', 'ones', 'init'), o('movingMeanInitializer', 'zeros', 'init'),
    o('movingVarianceInitializer', 'ones', 'init'), o('betaRegularizer', null, 'reg'), o('gammaRegularizer', null, 'reg'),
    o('betaConstraint', null, 'con'), o('gammaConstraint', null, 'con'), BASE,
  ],
  Conv1D: conv(1),
  Conv2D: conv(2),
  Conv2DTranspose: conv(2, { transpose: true }),
  DepthwiseConv2D: [
    ...depthwiseHead, o('depthMultiplier', 1), o('depthwiseInitializer', 'glorotNormal', 'init'),
    o('depthwiseRegularizer', null, 'reg'), o('depthwiseConstraint', null, 'con'),
  ],
  // TF.js leaves depthMultiplier out of SeparableConv2D's config; it is written when not 1
  // (TF.js reads it back), so no information is lost.
  SeparableConv2D: [
    o('filters', REQ), ...depthwiseHead, o('depthwiseInitializer', 'glorotUniform', 'init'), o('pointwiseInitializer', 'glorotUniform', 'init'),
    o('depthwiseRegularizer', null, 'reg'), o('pointwiseRegularizer', null, 'reg'), o('depthwiseConstraint', null, 'con'), o('pointwiseConstraint', null, 'con'),
  ],
  MaxPooling1D: pooling(1),
  MaxPooling2D: pooling(2),
  AveragePooling1D: pooling(1),
  AveragePooling2D: pooling(2),
  Conv3D: conv(3),
  Conv3DTranspose: conv(3, { transpose: true }),
  MaxPooling3D: pooling(3),
  AveragePooling3D: pooling(3),
  GlobalMaxPooling1D: [BASE],
  GlobalAveragePooling1D: [BASE],
  GlobalMaxPooling2D: [o('dataFormat', 'channelsLast'), BASE],
  GlobalAveragePooling2D: [o('dataFormat', 'channelsLast'), BASE],
  UpSampling2D: [o('size', 2, 't2'), o('dataFormat', 'channelsLast'), o('interpolation', 'nearest'), BASE],
  ZeroPadding2D: [o('padding', 1, 'pad2d'), o('dataFormat', 'channelsLast'), BASE],
  Cropping1D: [o('cropping', [1, 1], 'pair'), BASE],
  Cropping2D: [o('cropping', REQ, 'pad2d'), o('dataFormat', 'channelsLast'), BASE],
  SimpleRNN: [BASE, o('units', REQ), o('activation', 'tanh'), o('useBias', true), ...rnnInits, ...rnnTail, ...rnnFlags],
  LSTM: [
    BASE, o('units', REQ), o('activation', 'tanh'), o('recurrentActivation', 'hardSigmoid'), o('useBias', true), ...rnnInits,
    o('unitForgetBias', true), ...rnnTail, o('implementation', UNDEF), ...rnnFlags,
  ],
  GRU: [
    BASE, o('units', REQ), o('activation', 'tanh'), o('recurrentActivation', 'hardSigmoid'), o('useBias', true), ...rnnInits,
    ...rnnTail, o('implementation', UNDEF), o('resetAfter', false), ...rnnFlags,
  ],
  SimpleRNNCell: [o('units', REQ), o('activation', 'tanh'), o('useBias', true), ...rnnInits, ...rnnTail, BASE],
  LSTMCell: [
    o('units', REQ), o('activation', 'tanh'), o('recurrentActivation', 'hardSigmoid'), o('useBias', true), ...rnnInits,
    o('unitForgetBias', true), ...rnnTail, o('implementation', UNDEF), BASE,
  ],
  GRUCell: [
    o('units', REQ), o('activation', 'tanh'), o('recurrentActivation', 'hardSigmoid'), o('useBias', true), ...rnnInits,
    ...rnnTail, o('implementation', UNDEF), o('resetAfter', false), BASE,
  ],
  // TF.js's ConvLSTM2D options: an LSTM cell's with filters for units, then the convolution's.
  // unitForgetBias defaults to on, as Hebb's LSTM (TF.js leaves it undefined, Keras has it on).
  ConvLSTM2D: [BASE, ...convLstmCell, ...rnnFlags],
  ConvLSTM2DCell: [BASE, ...convLstmCell],
  Bidirectional: [o('mergeMode', 'concat'), o('layer', REQ, 'layer'), BASE],
  TimeDistributed: [o('layer', REQ, 'layer'), BASE],
  Concatenate: [o('axis', -1), BASE],
  Dot: [o('axes', REQ), o('normalize', false), BASE],
  StackedRNNCells: [o('cells', REQ, 'layers'), BASE],
  Add: [BASE],
  Subtract: [BASE],
  Multiply: [BASE],
  Average: [BASE],
  Maximum: [BASE],
  Minimum: [BASE],
};

// Options that become batchInputShape/dtype rather than being written themselves.
const INPUT_KEYS = ['inputShape', 'batchInputShape', 'batchSize', 'dtype'];

function tuple(v, n) {
  return typeof v === 'number' ? new Array(n).fill(v) : v;
}

function pad2d(v) {
  if (typeof v === 'number') return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [[v[0], v[0]], [v[1], v[1]]];
  return v;
}

function normalize(kind, v) {
  if (v === null || v === undefined) return v;
  switch (kind) {
    case 'init': return canonicalInitializer(v);
    case 'reg': return canonicalRegularizer(v);
    case 'con': return canonicalConstraint(v);
    case 't1': return tuple(v, 1);
    case 't2': return tuple(v, 2);
    case 't3': return tuple(v, 3);
    case 'pad2d': return pad2d(v);
    case 'pair': return typeof v === 'number' ? [v, v] : v;
    case 'layers': return Array.isArray(v) ? v.map((x) => normalize('layer', x)) : v;
    case 'layer': {
      const inner = plain(wrappedLayer(v));
      if (!inner || typeof inner.className !== 'string') return inner;
      return { className: inner.className, config: canonicalConfig(inner.className, inner.config ?? {}, {}) };
    }
    default: return v;
  }
}

/** A wrapped layer: a Hebb Layer (className + _config or getConfig()) or {className, config}. */
function wrappedLayer(v) {
  if (v && typeof v === 'object' && typeof v.className === 'string') {
    if (v.config) return { className: v.className, config: v.config };
    if (typeof v.getConfig === 'function') return { className: v.className, config: v.getConfig() };
  }
  return v;
}

/** The batch input shape (and dtype) TF.js records for a layer's input options, or null. */
function inputSpec(className, cfg) {
  let shape = null;
  if (cfg.batchInputShape != null) shape = cfg.batchInputShape;
  else if (cfg.inputShape != null) shape = [cfg.batchSize ?? null, ...cfg.inputShape];
  else if (className === 'Dense' && cfg.inputDim != null) shape = [cfg.batchSize ?? null, cfg.inputDim];
  else if (className === 'Embedding') {
    // TF.js's Embedding always records an input shape: (inputLength,) or an unknown length.
    const len = cfg.inputLength;
    shape = [cfg.batchSize ?? null, ...(len == null ? [null] : Array.isArray(len) ? len : [len])];
  }
  if (shape === null) return null;
  // TF.js adds dtype float32 to an inputShape, but not to the shape Dense derives from inputDim
  // or Embedding from inputLength. A batchInputShape keeps what it came with: TF.js's files have
  // batch_input_shape without dtype in those two cases, and reading then writing must not add it.
  let dtype = cfg.dtype;
  if (dtype === undefined && cfg.batchInputShape == null && cfg.inputShape != null) dtype = 'float32';
  return { shape, dtype };
}

/**
 * A layer's options as TF.js's getConfig() would report them (camelCase, before snake_casing).
 * @param {string} className
 * @param {object} config Hebb / TF.js layer options
 * @param {{inputShape?: (number|null)[]}} [hints] the layer's input shape with the batch dimension,
 *   when known: TF.js writes LayerNormalization's axis as positive indices, which needs the rank
 */
function canonicalConfig(className, config, hints = {}) {
  const cfg = { ...config };
  const table = LAYERS[className];
  if (className === 'InputLayer') {
    const spec = inputSpec(className, cfg);
    const out = {};
    if (spec) out.batchInputShape = spec.shape;
    out.dtype = cfg.dtype ?? 'float32';
    out.sparse = cfg.sparse ?? false;
    if (cfg.name !== undefined) out.name = cfg.name;
    for (const [k, v] of Object.entries(cfg)) if (!(k in out) && !INPUT_KEYS.includes(k)) out[k] = v;
    return out;
  }
  if (!table) {
    // A class without a table keeps its options as given (the input shape still becomes TF.js's).
    const out = {};
    for (const [k, v] of Object.entries(cfg)) if (!INPUT_KEYS.includes(k)) out[k] = v;
    const spec = inputSpec(className, cfg);
    if (spec) {
      out.batchInputShape = spec.shape;
      if (spec.dtype !== undefined) out.dtype = spec.dtype;
    }
    return out;
  }
  const out = {};
  const used = new Set(INPUT_KEYS);
  if (className === 'Dense') used.add('inputDim');
  for (const entry of table) {
    if (entry === BASE) {
      if (cfg.name !== undefined) out.name = cfg.name;
      out.trainable = cfg.trainable ?? true;
      used.add('name').add('trainable');
      const spec = inputSpec(className, cfg);
      if (spec) {
        out.batchInputShape = spec.shape;
        if (spec.dtype !== undefined) out.dtype = spec.dtype;
      }
      continue;
    }
    const { key, dflt, kind } = entry;
    used.add(key);
    let v = cfg[key];
    if (v === undefined) {
      if (key === 'strides' && className.includes('Pooling')) v = cfg.poolSize ?? 2;
      else v = dflt;
    }
    if (v === UNDEF) {
      out[key] = undefined;
      continue;
    }
    if (v === undefined) continue;
    out[key] = normalize(kind, v);
  }
  if (className === 'SeparableConv2D') {
    used.add('depthMultiplier');
    if (cfg.depthMultiplier != null && cfg.depthMultiplier !== 1) out.depthMultiplier = cfg.depthMultiplier;
  }
  if (className === 'LayerNormalization') {
    const shape = hints.inputShape ?? out.batchInputShape;
    if (Array.isArray(shape) && out.axis != null) {
      // TF.js's build() turns the axis into a list of non-negative indices.
      const axes = Array.isArray(out.axis) ? out.axis : [out.axis];
      out.axis = axes.map((a) => (a < 0 ? a + shape.length : a));
    }
  }
  // Options TF.js does not know (Hebb extensions, newer Keras) are kept rather than dropped.
  for (const [k, v] of Object.entries(cfg)) if (!used.has(k) && v !== undefined) out[k] = plain(v);
  return out;
}

/**
 * One layer in model.json's form.
 * @param {string} className e.g. 'Dense'
 * @param {object} config the layer's options (Hebb's / TF.js's camelCase form)
 * @param {{inputShape?: (number|null)[]}} [hints] the built layer's input shape, batch included
 * @returns {{class_name: string, config: object}}
 */
export function layerToKeras(className, config = {}, hints = {}) {
  if (typeof className !== 'string' || !className) throw new Error(`layerToKeras: expected a layer class name, received ${className}`);
  if (config === null || typeof config !== 'object') throw new Error(`layerToKeras: ${className}: expected an options object, received ${config}`);
  return { class_name: className, config: jsToPythonic(canonicalConfig(className, config, hints)) };
}

/**
 * One layer of model.json in Hebb's form, ready for `new tf.Layer(className, config)`.
 * Every option TF.js wrote is kept (nulls included), so layerToKeras gives the same JSON back.
 * @param {{class_name: string, config: object}} layer
 * @returns {{className: string, config: object}}
 */
export function layerFromKeras(layer) {
  if (layer === null || typeof layer !== 'object') throw new Error(`layerFromKeras: expected {class_name, config}, received ${layer}`);
  const className = layer.class_name ?? layer.className;
  if (typeof className !== 'string') throw new Error(`layerFromKeras: the layer has no class_name (keys: ${Object.keys(layer).join(', ')})`);
  const config = layer.config ?? {};
  if (typeof config !== 'object' || Array.isArray(config)) throw new Error(`layerFromKeras: ${className}: config must be an object`);
  return { className, config: pythonicToJs(config) };
}

/** Each class's options ({key, dflt, kind}), as TF.js's getConfig() lists them. */
export const LAYER_OPTIONS = Object.fromEntries(Object.entries(LAYERS).map(([k, t]) => [k, t.filter((e) => e !== BASE)]));

/**
 * A layer's config as TF.js's layer.getConfig() gives it (camelCase, defaults filled in), from a
 * Hebb layer object ({className, _config, _trainable, inputShape}).
 */
export function canonicalLayerConfig(layer) {
  const shape = Array.isArray(layer.inputShape?.[0]) ? undefined : layer.inputShape;
  const options = layer.className === 'InputLayer' ? layer._config : { ...layer._config, trainable: layer._trainable };
  return canonicalConfig(layer.className, options, { inputShape: shape });
}

/** A layer's config in TF.js's getConfig() form (camelCase), from its options and input shape. */
export function layerConfigJs(className, config = {}, hints = {}) {
  return canonicalConfig(className, config, hints);
}

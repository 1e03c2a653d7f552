// The public surface of a TF.js-style library, enumerated the same way for TF.js and Hebb: each
// entry builds an object from a library (`lib` is window.tfjs or window.tf) and lists its members,
// own and inherited, not starting with '_'.

/** Names of an object's members, own and inherited (up to Object.prototype), without '_' ones. */
export function members(obj) {
  const names = new Set();
  // A namespace that is a class in one library (tf.train in TF.js) has a function's own members.
  const fnBuiltins = typeof obj === 'function' ? new Set(['length', 'name', 'prototype', 'arguments', 'caller']) : new Set();
  for (let o = obj; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k.startsWith('_') || k === 'constructor' || fnBuiltins.has(k)) continue;
      names.add(k);
    }
  }
  return [...names].sort();
}

// One config per layer factory of tf.layers: enough to construct each.
const LAYER_CONFIGS = {
  activation: { activation: 'relu' }, dense: { units: 2 }, dropout: { rate: 0.5 }, embedding: { inputDim: 4, outputDim: 2 },
  reshape: { targetShape: [2] }, permute: { dims: [1] }, repeatVector: { n: 2 }, spatialDropout1d: { rate: 0.5 },
  conv1d: { filters: 2, kernelSize: 1 }, conv2d: { filters: 2, kernelSize: 1 }, conv2dTranspose: { filters: 2, kernelSize: 1 },
  conv3d: { filters: 2, kernelSize: 1 }, conv3dTranspose: { filters: 2, kernelSize: 1 }, convolution1d: { filters: 2, kernelSize: 1 },
  convolution2d: { filters: 2, kernelSize: 1 }, depthwiseConv2d: { kernelSize: 1 }, separableConv2d: { filters: 2, kernelSize: 1 },
  cropping2D: { cropping: 1 }, cropping1d: { cropping: 1 }, gaussianNoise: { stddev: 0.1 }, gaussianDropout: { rate: 0.1 },
  alphaDropout: { rate: 0.1 }, simpleRNN: { units: 2 }, lstm: { units: 2 }, gru: { units: 2 }, simpleRNNCell: { units: 2 },
  lstmCell: { units: 2 }, gruCell: { units: 2 }, convLstm2d: { filters: 2, kernelSize: 1 }, convLstm2dCell: { filters: 2, kernelSize: 1 },
  rescaling: { scale: 0.5 }, resizing: { height: 2, width: 2 }, centerCrop: { height: 1, width: 1 }, categoryEncoding: { numTokens: 3 },
  randomWidth: { factor: 0.1 }, masking: {}, dot: { axes: 1 }, multiHeadAttention: { numHeads: 1, keyDim: 2 },
};
const NOT_LAYERS = new Set(['input', 'Layer', 'RNN', 'RNNCell', 'inputLayer']);
const WRAPPED = { bidirectional: 'lstm', timeDistributed: 'dense' };

/** The layer factories of `lib.layers` that return a layer from a config. */
export function layerFactories(lib) {
  return Object.keys(lib.layers).filter((k) => typeof lib.layers[k] === 'function' && !NOT_LAYERS.has(k) && /^[a-z]/.test(k));
}

function makeLayer(lib, name) {
  // TF.js's constructors write into the options they get: each call gets its own copy.
  const cfg = (n) => structuredClone(LAYER_CONFIGS[n] ?? {});
  if (WRAPPED[name]) return lib.layers[name]({ layer: lib.layers[WRAPPED[name]](cfg(WRAPPED[name])) });
  if (name === 'rnn') return lib.layers.rnn({ cell: lib.layers.lstmCell({ units: 2 }) });
  if (name === 'stackedRNNCells') return lib.layers.stackedRNNCells({ cells: [lib.layers.lstmCell({ units: 2 })] });
  return lib.layers[name](cfg(name));
}

/** Every object the surface test compares, by name: () => object. */
export function subjects(lib, factories) {
  const seq = () => {
    const m = lib.sequential();
    m.add(lib.layers.dense({ units: 3, inputShape: [2], activation: 'relu' }));
    m.add(lib.layers.dense({ units: 1 }));
    return m;
  };
  const out = {
    'tf.layers': () => lib.layers,
    'tf.initializers': () => lib.initializers,
    'tf.metrics': () => lib.metrics,
    'tf.losses': () => lib.losses,
    'tf.serialization': () => lib.serialization,
    'tf.regularizers': () => lib.regularizers,
    'tf.constraints': () => lib.constraints,
    'tf.callbacks': () => lib.callbacks,
    'tf.train': () => lib.train,
    Sequential: seq,
    LayersModel: () => {
      const x = lib.input({ shape: [2] });
      return lib.model({ inputs: x, outputs: lib.layers.dense({ units: 1 }).apply(x) });
    },
    LayerVariable: () => seq().weights[0],
    SymbolicTensor: () => lib.input({ shape: [2] }),
    InputSpec: () => { const l = lib.layers.dense({ units: 1 }); lib.sequential({ layers: [lib.layers.dense({ units: 2, inputShape: [3] }), l] }); return l.inputSpec?.[0]; },
  };
  for (const o of ['sgd', 'momentum', 'adagrad', 'adadelta', 'adam', 'adamax', 'rmsprop']) {
    out[`tf.train.${o}()`] = () => (o === 'momentum' ? lib.train.momentum(0.1, 0.9) : lib.train[o](0.1));
  }
  for (const f of factories) out[`tf.layers.${f}()`] = () => makeLayer(lib, f);
  return out;
}

/**
 * The ops surface (issue 13's): the tf namespace, its op and utility sub-namespaces, and a
 * Tensor, a Variable and a TensorBuffer.
 */
export function opSubjects(lib) {
  const out = { tf: () => lib };
  for (const ns of ['browser', 'image', 'math', 'linalg', 'signal', 'spectral', 'sparse', 'string', 'fused', 'util', 'data', 'io']) {
    out[`tf.${ns}`] = () => lib[ns];
  }
  out.Tensor = () => lib.tensor([1, 2]);
  out.Variable = () => lib.variable(lib.tensor([1, 2]), true, `surface_${Math.random().toString(36).slice(2)}`);
  out.TensorBuffer = () => (typeof lib.buffer === 'function' ? lib.buffer([2]) : undefined);
  return out;
}

/**
 * For each subject: TF.js's members that `lib` lacks (or 'cannot build: ...'). `which`: the
 * layers surface (issue 12's, the default) or 'ops'.
 */
export function compare(ref, lib, which = 'layers') {
  const factories = layerFactories(ref);
  const make = which === 'ops' ? opSubjects : (l) => subjects(l, factories);
  const want = make(ref);
  const have = make(lib);
  const report = {};
  for (const [name, make] of Object.entries(want)) {
    let a;
    try { a = make(); } catch (e) { report[name] = { error: `TF.js: ${e.message}` }; continue; }
    if (a === undefined || a === null) continue;
    const wantMembers = members(a);
    let b;
    try {
      b = have[name]();
    } catch (e) {
      report[name] = { members: wantMembers, missing: wantMembers, error: e.message };
      continue;
    }
    const got = new Set(b === undefined || b === null ? [] : members(b));
    report[name] = { members: wantMembers, missing: wantMembers.filter((k) => !got.has(k)) };
  }
  return report;
}

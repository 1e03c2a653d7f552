#!/usr/bin/env node
// Writes TF.js 4.22's own save files for a few small models, so Hebb's model.json reader/writer is
// checked against what TF.js really writes rather than against our reading of its source:
//
//   tests/fixtures/tfjs/<model>/model.json     model.json as TF.js writes it (weights in ./weights.bin)
//   tests/fixtures/tfjs/<model>/weights.bin    the binary weights, in weightsManifest order
//   tests/fixtures/tfjs/<model>/expected.json  a fixed input and TF.js's predict() output (6 decimals)
//   tests/fixtures/tfjs/layer_configs.json     for single layers made with given options, the
//                                              {class_name, config} TF.js writes into model.json
//
// Models: mlp, convnet, recurrent (Sequential) and functional (tf.model with two inputs, a shared
// layer, concatenate, add and two outputs). Weights are overwritten with values from a seeded PRNG
// (and initializers carry seeds), so re-running gives identical files.
//
// Usage: node scripts/gen_tfjs_fixtures.mjs     (needs Chromium, as the browser tests do)
import fs from 'node:fs';
import path from 'node:path';
import { startBrowser, ROOT } from '../tests/browser/harness.mjs';

const OUT = path.join(ROOT, 'tests', 'fixtures', 'tfjs');

// Runs inside the TF.js page: builds model `name`, sets its weights, saves it through
// withSaveHandler and predicts on a fixed input. Returns plain JSON (weights as a byte array).
async function buildAndSave(name) {
  const tf = window.tf;
  // mulberry32: the same stream in every run.
  const rng = (seed) => {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6D2B79F5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };
  const L = tf.layers;
  const I = tf.initializers;
  const R = tf.regularizers;
  let model;
  let inputs;
  if (name === 'mlp') {
    model = tf.sequential({ name: 'mlp' });
    model.add(L.dense({
      units: 8, inputShape: [4], activation: 'relu', name: 'hidden1',
      kernelInitializer: I.glorotNormal({ seed: 1 }), biasInitializer: I.constant({ value: 0.1 }),
      kernelRegularizer: R.l2({ l2: 0.001 }),
    }));
    model.add(L.dropout({ rate: 0.25, seed: 7 }));
    model.add(L.layerNormalization({ epsilon: 0.0001 }));
    model.add(L.dense({
      units: 6, activation: 'hardSigmoid', kernelInitializer: 'heUniform',
      biasRegularizer: R.l1l2({ l1: 0.01, l2: 0.02 }),
    }));
    model.add(L.activation({ activation: 'tanh' }));
    model.add(L.reshape({ targetShape: [2, 3] }));
    model.add(L.flatten());
    model.add(L.leakyReLU({ alpha: 0.2 }));
    model.add(L.dense({
      units: 3, activation: 'softmax', useBias: true,
      kernelInitializer: I.randomNormal({ mean: 0, stddev: 0.3, seed: 3 }),
    }));
    // Compiled and saved with includeOptimizer, so model.json carries a trainingConfig and the
    // manifest Adam's step counter (an int32 scalar in group 'optimizer').
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    inputs = [{ shape: [3, 4], dtype: 'float32' }];
  } else if (name === 'convnet') {
    model = tf.sequential({ name: 'convnet' });
    model.add(L.conv2d({
      inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu',
      dataFormat: 'channelsLast', kernelInitializer: I.heNormal({ seed: 2 }), biasRegularizer: R.l1({ l1: 0.01 }),
    }));
    model.add(L.batchNormalization({ momentum: 0.9, epsilon: 0.001, gammaInitializer: I.ones() }));
    model.add(L.maxPooling2d({ poolSize: 2, strides: 2 }));
    model.add(L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: I.glorotUniform({ seed: 4 }) }));
    model.add(L.separableConv2d({ filters: 4, kernelSize: 2, activation: 'elu', depthMultiplier: 1 }));
    model.add(L.zeroPadding2d({ padding: 1 }));
    model.add(L.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, activation: 'sigmoid', useBias: false }));
    model.add(L.upSampling2d({ size: [2, 2] }));
    model.add(L.conv2d({ filters: 2, kernelSize: [3, 3], strides: 2, dilationRate: 1, padding: 'valid' }));
    model.add(L.globalAveragePooling2d({}));
    model.add(L.dense({ units: 2, activation: 'linear' }));
    inputs = [{ shape: [2, 8, 8, 2], dtype: 'float32' }];
  } else if (name === 'recurrent') {
    model = tf.sequential({ name: 'recurrent' });
    model.add(L.embedding({ inputDim: 20, outputDim: 6, inputLength: 10, embeddingsInitializer: I.randomUniform({ minval: -0.1, maxval: 0.1, seed: 5 }) }));
    model.add(L.conv1d({ filters: 5, kernelSize: 3, activation: 'relu', padding: 'valid' }));
    model.add(L.averagePooling1d({ poolSize: 2 }));
    model.add(L.bidirectional({
      layer: L.lstm({ units: 4, returnSequences: true, recurrentInitializer: I.orthogonal({ gain: 1, seed: 6 }), unitForgetBias: true }),
      mergeMode: 'concat',
    }));
    model.add(L.gru({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }));
    model.add(L.timeDistributed({ layer: L.dense({ units: 3, activation: 'relu' }) }));
    model.add(L.simpleRNN({ units: 3, activation: 'tanh', kernelRegularizer: R.l2({ l2: 0.01 }) }));
    model.add(L.dense({ units: 2, activation: 'sigmoid' }));
    inputs = [{ shape: [2, 10], dtype: 'int32', max: 20 }];
  } else if (name === 'functional') {
    const a = tf.input({ shape: [4], name: 'input_a' });
    const b = tf.input({ shape: [3], name: 'input_b' });
    const ha = L.dense({ units: 5, activation: 'relu', name: 'dense_a' }).apply(a);
    const hb = L.dense({ units: 5, activation: 'tanh', name: 'dense_b' }).apply(b);
    const c = L.concatenate({ axis: -1, name: 'concat' }).apply([ha, hb]);
    const shared = L.dense({ units: 10, activation: 'relu', name: 'shared' });
    const s2 = shared.apply(shared.apply(c));
    const r = L.add({ name: 'residual' }).apply([c, s2]);
    const out1 = L.dense({ units: 3, activation: 'softmax', name: 'class_out' }).apply(r);
    const out2 = L.dense({ units: 1, name: 'value_out' }).apply(r);
    model = tf.model({ inputs: [a, b], outputs: [out1, out2], name: 'functional' });
    inputs = [{ shape: [2, 4], dtype: 'float32' }, { shape: [2, 3], dtype: 'float32' }];
  } else {
    throw new Error(`unknown fixture model ${name}`);
  }

  // Deterministic weights: small uniform values; BN variances positive.
  const rand = rng(1234);
  const weights = model.weights.map((w) => {
    const n = w.shape.reduce((p, d) => p * d, 1);
    const v = new Float32Array(n);
    const positive = /moving_variance/.test(w.originalName ?? w.name);
    for (let i = 0; i < n; i++) v[i] = positive ? 0.5 + rand() : (rand() - 0.5) * 0.8;
    return tf.tensor(v, w.shape);
  });
  model.setWeights(weights);
  weights.forEach((t) => t.dispose());

  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }), { includeOptimizer: name === 'mlp' });

  const inRand = rng(99);
  const xs = inputs.map((s) => {
    const n = s.shape.reduce((p, d) => p * d, 1);
    const values = Array.from({ length: n }, () => (s.dtype === 'int32' ? Math.floor(inRand() * s.max) : Math.round((inRand() * 2 - 1) * 1e4) / 1e4));
    return { shape: s.shape, dtype: s.dtype, values };
  });
  const tensors = xs.map((x) => tf.tensor(x.values, x.shape, x.dtype));
  let ys = model.predict(tensors.length === 1 ? tensors[0] : tensors);
  if (!Array.isArray(ys)) ys = [ys];
  const outputs = [];
  for (const y of ys) {
    const values = Array.from(await y.data(), (v) => Math.round(v * 1e6) / 1e6);
    outputs.push({ shape: y.shape, values });
    y.dispose();
  }
  tensors.forEach((t) => t.dispose());
  model.dispose();

  const bytes = new Uint8Array(artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : artifacts.weightData[0]);
  return {
    artifacts: { ...artifacts, weightData: undefined },
    weightBytes: Array.from(bytes),
    expected: { tfjsVersion: tf.version.tfjs, inputs: xs, outputs },
  };
}

// Single-layer cases: `fn` is the tf.layers factory, `options` what it receives (JSON: initializers
// and regularizers as names or {className, config}, a wrapped layer as {className, config}).
// Each layer is the first of a model, so `inputShape` is part of its options.
const L2 = (l2) => ({ className: 'L1L2', config: { l1: 0, l2 } });
const LAYER_CASES = [
  ['dense_defaults', 'dense', { units: 3, inputShape: [4] }],
  ['dense_options', 'dense', {
    units: 4, inputShape: [3], activation: 'hardSigmoid', useBias: false,
    kernelInitializer: { className: 'GlorotNormal', config: { seed: 3 } }, kernelRegularizer: { className: 'L1L2', config: { l1: 0.001, l2: 0.002 } },
  }],
  ['dense_input_dim', 'dense', { units: 2, inputDim: 5, kernelInitializer: 'heUniform', biasInitializer: 'ones', biasRegularizer: L2(0.1) }],
  ['dense_batch_input_shape', 'dense', { units: 2, batchInputShape: [null, 3], kernelInitializer: 'glorotUniform' }],
  ...['zeros', 'ones', 'randomUniform', 'randomNormal', 'truncatedNormal', 'varianceScaling', 'glorotUniform', 'glorotNormal',
    'heUniform', 'heNormal', 'leCunUniform', 'leCunNormal'].map((init) => [`init_${init}`, 'dense', { units: 2, inputShape: [2], kernelInitializer: init }]),
  ['init_objects', 'dense', {
    units: 2, inputShape: [2],
    kernelInitializer: { className: 'VarianceScaling', config: { scale: 2, mode: 'fanOut', distribution: 'uniform', seed: 1 } },
    biasInitializer: { className: 'Constant', config: { value: 0.5 } },
  }],
  ['init_random_objects', 'dense', {
    units: 2, inputShape: [2],
    kernelInitializer: { className: 'RandomUniform', config: { minval: -1, maxval: 2, seed: 4 } },
    biasInitializer: { className: 'TruncatedNormal', config: { mean: 0.1, stddev: 0.2, seed: 5 } },
  }],
  ['init_named_objects', 'dense', {
    units: 2, inputShape: [2],
    kernelInitializer: { className: 'HeNormal', config: { seed: 7 } }, biasInitializer: { className: 'RandomNormal', config: { mean: 1, stddev: 2 } },
  }],
  ...['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hardSigmoid', 'tanh', 'softplus', 'softsign', 'softmax', 'swish']
    .map((a) => [`activation_${a}`, 'activation', { activation: a, inputShape: [3] }]),
  ['dropout', 'dropout', { rate: 0.3, seed: 5, inputShape: [3] }],
  ['flatten', 'flatten', { inputShape: [2, 3] }],
  ['leaky_relu_defaults', 'leakyReLU', { inputShape: [3] }],
  ['leaky_relu_alpha', 'leakyReLU', { alpha: 0.1, inputShape: [3] }],
  ['softmax_axis', 'softmax', { axis: -1, inputShape: [3] }],
  ['reshape', 'reshape', { targetShape: [3, 2], inputShape: [6] }],
  ['permute', 'permute', { dims: [2, 1], inputShape: [2, 3] }],
  ['repeat_vector', 'repeatVector', { n: 3, inputShape: [2] }],
  ['embedding_input_shape', 'embedding', { inputDim: 10, outputDim: 3, inputShape: [4] }],
  ['embedding_input_length', 'embedding', { inputDim: 10, outputDim: 3, inputLength: 4, embeddingsInitializer: 'glorotUniform', maskZero: false }],
  ['embedding_no_length', 'embedding', { inputDim: 10, outputDim: 3, embeddingsInitializer: 'randomUniform' }],
  ['layer_norm_defaults', 'layerNormalization', { inputShape: [4] }],
  ['layer_norm_options', 'layerNormalization', { axis: -1, epsilon: 0.00001, center: false, gammaRegularizer: L2(0.01), inputShape: [3, 4] }],
  ['batch_norm_defaults', 'batchNormalization', { inputShape: [4] }],
  ['batch_norm_options', 'batchNormalization', {
    momentum: 0.8, epsilon: 0.0001, scale: false, betaInitializer: 'ones', movingVarianceInitializer: { className: 'Constant', config: { value: 2 } }, inputShape: [3, 3, 2],
  }],
  ['conv1d', 'conv1d', { filters: 2, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: 'heNormal', inputShape: [8, 3] }],
  ['conv1d_dilated', 'conv1d', { filters: 2, kernelSize: [2], dilationRate: 2, activation: 'relu', kernelInitializer: 'glorotNormal', inputShape: [8, 3] }],
  ['conv2d', 'conv2d', {
    filters: 2, kernelSize: [2, 3], strides: [1, 2], padding: 'same', dataFormat: 'channelsLast', activation: 'relu',
    kernelInitializer: 'glorotNormal', kernelRegularizer: L2(0.01), inputShape: [6, 6, 2],
  }],
  ['conv2d_dilated', 'conv2d', { filters: 2, kernelSize: 3, dilationRate: 2, useBias: false, kernelInitializer: 'glorotUniform', inputShape: [7, 7, 1] }],
  ['conv2d_transpose', 'conv2dTranspose', { filters: 2, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: 'glorotNormal', inputShape: [4, 4, 2] }],
  ['depthwise_conv2d', 'depthwiseConv2d', { kernelSize: 3, depthMultiplier: 2, depthwiseInitializer: 'heNormal', inputShape: [5, 5, 2] }],
  ['separable_conv2d', 'separableConv2d', { filters: 3, kernelSize: 2, strides: 2, pointwiseInitializer: 'glorotNormal', inputShape: [6, 6, 2] }],
  ['max_pooling1d', 'maxPooling1d', { poolSize: 3, strides: 1, padding: 'same', inputShape: [6, 2] }],
  ['max_pooling2d', 'maxPooling2d', { poolSize: [2, 3], inputShape: [6, 6, 2] }],
  ['average_pooling1d', 'averagePooling1d', { inputShape: [6, 2] }],
  ['average_pooling2d', 'averagePooling2d', { poolSize: 2, strides: 1, padding: 'same', inputShape: [6, 6, 2] }],
  ['global_max_pooling1d', 'globalMaxPooling1d', { inputShape: [6, 2] }],
  ['global_max_pooling2d', 'globalMaxPooling2d', { inputShape: [6, 6, 2] }],
  ['global_average_pooling1d', 'globalAveragePooling1d', { inputShape: [6, 2] }],
  ['global_average_pooling2d', 'globalAveragePooling2d', { inputShape: [6, 6, 2] }],
  ['up_sampling2d', 'upSampling2d', { size: [2, 3], inputShape: [3, 3, 2] }],
  ['zero_padding2d_int', 'zeroPadding2d', { padding: 2, inputShape: [3, 3, 2] }],
  ['zero_padding2d_pair', 'zeroPadding2d', { padding: [1, 2], inputShape: [3, 3, 2] }],
  ['zero_padding2d_pairs', 'zeroPadding2d', { padding: [[1, 0], [0, 2]], inputShape: [3, 3, 2] }],
  ['spatial_dropout1d', 'spatialDropout1d', { rate: 0.2, inputShape: [4, 2] }],
  ['gaussian_noise', 'gaussianNoise', { stddev: 0.3, inputShape: [3] }],
  ['simple_rnn', 'simpleRNN', { units: 3, returnSequences: true, activation: 'relu', inputShape: [4, 2] }],
  ['lstm', 'lstm', {
    units: 2, unitForgetBias: true, recurrentActivation: 'sigmoid', goBackwards: true, recurrentRegularizer: L2(0.01),
    kernelInitializer: { className: 'GlorotUniform', config: { seed: 2 } }, inputShape: [4, 2],
  }],
  ['gru', 'gru', { units: 2, returnSequences: true, dropout: 0.1, recurrentDropout: 0.2, biasInitializer: 'ones', inputShape: [4, 2] }],
  ['bidirectional_gru', 'bidirectional', {
    layer: { className: 'GRU', config: { units: 2, name: 'inner_gru', returnSequences: true } }, mergeMode: 'sum', inputShape: [4, 2],
  }],
  ['bidirectional_lstm', 'bidirectional', { layer: { className: 'LSTM', config: { units: 3, name: 'inner_lstm', unitForgetBias: true } }, inputShape: [4, 2] }],
  ['time_distributed', 'timeDistributed', {
    layer: { className: 'Dense', config: { units: 2, activation: 'relu', name: 'inner_dense', kernelInitializer: 'glorotUniform' } }, inputShape: [4, 3],
  }],
].map(([id, fn, options]) => ({ id, fn, options: { name: id, ...options } }));

// Runs inside the TF.js page: each case's layer as the only layer of a model, saved; returns the
// layer's entry of modelTopology.config.layers.
async function serializeLayers(cases) {
  const tf = window.tf;
  const factories = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'simpleRNN', Dense: 'dense' };
  const out = [];
  for (const c of cases) {
    // A deep copy: TF.js's constructors write into the objects they receive (customObjects into
    // initializer configs, the cell into a wrapped RNN's options).
    const opts = structuredClone(c.options);
    if (opts.layer) opts.layer = tf.layers[factories[opts.layer.className]](opts.layer.config);
    const layer = tf.layers[c.fn](opts);
    const model = tf.sequential({ layers: [layer] });
    let topology;
    await model.save(tf.io.withSaveHandler(async (a) => {
      topology = a.modelTopology;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    out.push({ ...c, className: layer.getClassName(), keras: topology.config.layers[0] });
    model.dispose();
  }
  return out;
}

async function main() {
  const browser = await startBrowser({ label: 'fixtures', webgpu: false });
  try {
    const page = await browser.openTfjs();
    for (const name of ['mlp', 'convnet', 'recurrent', 'functional']) {
      const r = await page.evaluate(buildAndSave, name);
      const a = r.artifacts;
      // The model.json file form, with keys in the order TF.js's file writers use.
      const modelJson = {
        modelTopology: a.modelTopology,
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy,
        weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs }],
      };
      if (a.trainingConfig != null) modelJson.trainingConfig = a.trainingConfig;
      const dir = path.join(OUT, name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(r.weightBytes));
      fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(r.expected) + '\n');
      console.log(`${name}: ${a.weightSpecs.length} weights, ${r.weightBytes.length} bytes`);
    }
    const layers = await page.evaluate(serializeLayers, LAYER_CASES);
    fs.writeFileSync(path.join(OUT, 'layer_configs.json'), `[\n${layers.map((l) => JSON.stringify(l)).join(',\n')}\n]\n`);
    console.log(`layer_configs: ${layers.length} layers`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

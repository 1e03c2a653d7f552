// Issue 14: models graduate to Keras 3. Hebb builds and trains four models (an MLP, a convnet
// with batch norm and a separable conv, a recurrent net with an embedding, a bidirectional LSTM
// and a GRU, and a two-input functional model), writes each as a .keras file (model.toKeras()),
// and real Keras 3 (the venv scripts/setup.sh makes; scripts/keras_roundtrip.py) loads it,
// predicts the same values (1e-5), compiles it from the saved compile config with the saved
// optimizer state, trains it and saves it; Hebb loads Keras's file back and predicts what Keras
// predicts after its training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { useBrowser, ROOT, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'keras_roundtrip' });
const DIR = path.join(ROOT, 'test-artifacts/keras-roundtrip');
const PYTHON = path.join(ROOT, '.venv/bin/python');

// In the page: the four models, trained a little in Hebb (so they have optimizer state).
const BUILD = async () => {
  const fill = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(0.7 * i + k));
  const t = (shape, k, scale = 1) => tf.tensor(fill(shape.reduce((a, c) => a * c, 1), k).map((v) => v * scale), shape);
  const setFixed = (m) => m.setWeights(m.getWeights().map((w, k) => (w.shape.length === 1 && /variance/.test(m.weights[k].name)
    ? tf.ones(w.shape) : t(w.shape, k + 1, 0.4))));
  const ints = (shape, max, k) => tf.tensor(Array.from({ length: shape.reduce((a, c) => a * c, 1) }, (_, i) => (i * 7 + k) % max), shape, 'float32');
  const oneHot = (n, c, k) => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 5 + k) % c), 'int32'), c).toFloat();
  const models = {};

  const mlp = tf.sequential({ name: 'mlp', layers: [
    tf.layers.dense({ units: 16, activation: 'relu', inputShape: [6], kernelRegularizer: tf.regularizers.l2({ l2: 1e-3 }), name: 'hidden' }),
    tf.layers.dropout({ rate: 0.2 }),
    tf.layers.dense({ units: 8, activation: 'elu', useBias: false }),
    tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
  ] });
  setFixed(mlp);
  mlp.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  models.mlp = { model: mlp, x: [t([32, 6], 3)], y: [oneHot(32, 3, 1)] };

  const conv = tf.sequential({ name: 'convnet', layers: [
    tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 2] }),
    tf.layers.batchNormalization(),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.separableConv2d({ filters: 6, kernelSize: 3, activation: 'relu' }),
    tf.layers.depthwiseConv2d({ kernelSize: 1, depthMultiplier: 2 }),
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({ units: 4, activation: 'softmax' }),
  ] });
  setFixed(conv);
  conv.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy' });
  models.convnet = { model: conv, x: [t([16, 8, 8, 2], 5)], y: [oneHot(16, 4, 2)] };

  const rnn = tf.sequential({ name: 'recurrent', layers: [
    tf.layers.embedding({ inputDim: 12, outputDim: 4, inputLength: 7 }),
    tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid' }) }),
    tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid', resetAfter: true }),
    tf.layers.dense({ units: 1, activation: 'sigmoid' }),
  ] });
  setFixed(rnn);
  rnn.compile({ optimizer: tf.train.rmsprop(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  models.recurrent = { model: rnn, x: [ints([24, 7], 12, 1)], y: [ints([24, 1], 2, 0)] };

  const a = tf.input({ shape: [4], name: 'a' });
  const bIn = tf.input({ shape: [3], name: 'b' });
  const da = tf.layers.dense({ units: 5, activation: 'tanh', name: 'dense_a' }).apply(a);
  const db = tf.layers.dense({ units: 5, activation: 'tanh', name: 'dense_b' }).apply(bIn);
  const sum = tf.layers.add({ name: 'sum' }).apply([da, db]);
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([sum, da]);
  const norm = tf.layers.layerNormalization({ name: 'norm' }).apply(cat);
  const out = tf.layers.dense({ units: 2, name: 'out' }).apply(norm);
  const fn = tf.model({ inputs: [a, bIn], outputs: out, name: 'two_inputs' });
  setFixed(fn);
  fn.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
  models.functional = { model: fn, x: [t([20, 4], 7), t([20, 3], 8)], y: [t([20, 2], 9, 0.5)] };

  const dump = (ts) => ts.map((x) => [x.shape, Array.from(x.dataSync())]);
  const out2 = {};
  for (const [name, { model, x, y }] of Object.entries(models)) {
    await model.fit(x.length > 1 ? x : x[0], y[0], { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const pred = model.predict(x.length > 1 ? x : x[0]);
    const bytes = await model.toKeras();
    out2[name] = { bytes: Array.from(bytes), inputs: dump(x), outputs: dump([pred].flat()), x: dump(x), y: dump(y) };
  }
  return out2;
};

test('.keras written by Hebb loads, predicts, compiles and trains in Keras 3, and Keras\'s file comes back', { timeout: TRAIN_TIMEOUT * 3 }, async () => {
  assert.ok(fs.existsSync(PYTHON), `${PYTHON} is missing: scripts/setup.sh makes the venv with Keras 3`);
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  const page = await b.openHebb();
  const made = await page.evaluate(BUILD);
  for (const [name, m] of Object.entries(made)) {
    fs.writeFileSync(path.join(DIR, `${name}.keras`), Buffer.from(m.bytes));
    fs.writeFileSync(path.join(DIR, `${name}.json`), JSON.stringify({ inputs: m.inputs, outputs: m.outputs, x: m.x, y: m.y }));
  }
  const log = execFileSync(PYTHON, [path.join(ROOT, 'scripts/keras_roundtrip.py'), DIR], { encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  process.stdout.write(log.split('\n').map((l) => `# ${l}`).join('\n') + '\n');
  const want = { mlp: 'Adam', convnet: 'SGD', recurrent: 'RMSprop', functional: 'SGD' };
  for (const name of Object.keys(made)) {
    const k = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.keras.json`), 'utf8'));
    assert.ok(k.predict_max_diff <= 1e-5, `${name}: Keras predicts ${k.predict_max_diff} away from Hebb`);
    assert.equal(k.optimizer, want[name], `${name}: the optimizer compiled from compile_config`);
    assert.ok(k.losses.every(Number.isFinite), `${name}: Keras trains it (losses ${k.losses})`);
    assert.ok(k.losses[2] < k.losses[0], `${name}: the loss falls in Keras (${k.losses})`);
    // The optimizer state came along: Hebb trained 2 epochs of ceil(n/8) steps.
    const steps = 2 * Math.ceil(made[name].x[0][0][0] / 8);
    assert.equal(k.optimizer_iterations_loaded, steps, `${name}: Keras's optimizer starts at Hebb's step count`);
    // Keras's trained file, back in Hebb: the same predictions.
    const back = await page.evaluate(async ([name, inputs]) => {
      const model = await tf.loadLayersModel(`/test-artifacts/keras-roundtrip/${name}.trained.keras`);
      const xs = inputs.map(([shape, v]) => tf.tensor(v, shape));
      const p = [model.predict(xs.length > 1 ? xs : xs[0])].flat();
      return p.map((t) => Array.from(t.dataSync()));
    }, [name, made[name].inputs]);
    back.forEach((vals, o) => {
      const [, kv] = k.trained_outputs[o];
      assert.equal(vals.length, kv.length);
      vals.forEach((v, i) => assert.ok(Math.abs(v - kv[i]) <= 1e-5, `${name} after Keras's training: Hebb ${v} vs Keras ${kv[i]} at ${i}`));
    });
  }
  await page.close();
});

test('.keras writing: clear errors for what Keras 3 cannot take, downloads://name.keras gives one file', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const out = {};
    // TF.js's LSTM default recurrent activation (hardSigmoid: 0.2x + 0.5) is not Keras 3's hard_sigmoid (x/6 + 0.5).
    const m = tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [4, 2], name: 'seq' })] });
    try { await m.toKeras(); out.hard = 'no error'; } catch (e) { out.hard = e.message; }
    try { await tf.io.toKeras({}); out.empty = 'no error'; } catch (e) { out.empty = e.message; }
    const d = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    const names = [];
    const orig = HTMLAnchorElement.prototype.dispatchEvent;
    HTMLAnchorElement.prototype.dispatchEvent = function (ev) { names.push(this.download); return true; };
    try {
      await d.save('downloads://tiny.keras');
    } finally {
      HTMLAnchorElement.prototype.dispatchEvent = orig;
    }
    out.names = names;
    const bytes = await d.toKeras();
    out.zip = [bytes[0], bytes[1]];
    const back = await tf.loadLayersModel(bytes);
    out.same = JSON.stringify(Array.from(back.predict(tf.ones([1, 3])).dataSync())) === JSON.stringify(Array.from(d.predict(tf.ones([1, 3])).dataSync()));
    return out;
  });
  assert.match(r.hard, /save \.keras: layer 'seq' \(LSTM\).*hardSigmoid/);
  assert.match(r.empty, /^save \.keras: expected model artifacts/);
  assert.deepEqual(r.names, ['tiny.keras']);
  assert.deepEqual(r.zip, [0x50, 0x4b]);
  assert.equal(r.same, true, 'Hebb reads its own .keras back');
  await page.close();
});

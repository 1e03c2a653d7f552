// Keras 3 `.keras` files -> TF.js model artifacts (tf._kerasToArtifacts), on the files written by
// scripts/gen_keras_files.py: the topology in TF.js's model.json form (Keras 2 style), the weight
// specs in Keras's layer.weights order with the values Keras saved, and a clear
// 'loadLayersModel: ...' Error for damaged files. The HDF5 reader (dist/hebb_h5.js, ~5 MB) must
// load only when a .keras file is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, ROOT } from './harness.mjs';

const b = useBrowser({ label: 'keras_file' });
const FIXTURES = path.join(ROOT, 'tests/fixtures/keras');
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
// Page errors from the HDF5 reader (HDF5 prints its error stack unless told to throw it).
const h5Errors = (page) => page.hebbErrors.filter((m) => /HDF5|h5wasm|hebb_h5/i.test(m));

// In the page: reads one fixture and returns the artifacts with per-weight statistics.
async function readKeras(page, name) {
  return page.evaluate(async (name) => {
    const buf = await (await fetch(`/tests/fixtures/keras/${name}.keras`)).arrayBuffer();
    const a = await tf._kerasToArtifacts(buf, `${name}.keras`);
    const data = new Float32Array(a.weightData);
    let off = 0;
    const stats = a.weightSpecs.map((s) => {
      const n = s.shape.reduce((x, y) => x * y, 1);
      const v = data.subarray(off, off + n);
      off += n;
      let sum = 0;
      for (const x of v) sum += x;
      return { sum, first: v[0], last: v[n - 1] };
    });
    return {
      topology: a.modelTopology, specs: a.weightSpecs, stats, used: off, total: data.length,
      format: a.format, generatedBy: a.generatedBy, isBuffer: a.weightData instanceof ArrayBuffer,
    };
  }, name);
}

// Keras 3 leftovers that must not reach the TF.js-style topology.
function leftovers(obj, at = '$', out = []) {
  if (Array.isArray(obj)) obj.forEach((v, i) => leftovers(v, `${at}[${i}]`, out));
  else if (obj && typeof obj === 'object') {
    for (const k of ['module', 'registered_name', 'build_config', 'shared_object_id', 'batch_shape']) {
      if (k in obj) out.push(`${at}.${k}`);
    }
    if (/Policy|__keras_tensor__|Functional/.test(String(obj.class_name ?? ''))) out.push(`${at}: ${obj.class_name}`);
    for (const [k, v] of Object.entries(obj)) leftovers(v, `${at}.${k}`, out);
  }
  return out;
}

function checkWeights(r, fx) {
  assert.equal(r.format, 'layers-model');
  assert.equal(r.isBuffer, true);
  assert.match(r.generatedBy, /^keras v3\./);
  assert.deepEqual(r.specs.map((s) => s.name), fx.weights.map((w) => w.name));
  assert.deepEqual(r.specs.map((s) => s.shape), fx.weights.map((w) => w.shape));
  assert.ok(r.specs.every((s) => s.dtype === 'float32'));
  assert.equal(r.used, r.total, 'weightData holds exactly the specs\' values');
  fx.weights.forEach((w, i) => {
    const s = r.stats[i];
    for (const k of ['sum', 'first', 'last']) {
      assert.ok(Math.abs(s[k] - w[k]) <= 1e-5, `${w.name} (${w.path}) ${k}: ${s[k]} vs Keras ${w[k]}`);
    }
  });
  assert.deepEqual(leftovers(r.topology), []);
}

test('Sequential convnet: topology in model.json form, weights in Keras order', async () => {
  const page = await b.openHebb();
  const r = await readKeras(page, 'convnet');
  const fx = fixture('convnet');
  const t = r.topology;
  assert.equal(t.class_name, 'Sequential');
  assert.equal(t.config.name, 'convnet');
  // The InputLayer is folded into the first layer's batch_input_shape.
  assert.deepEqual(t.config.layers.map((l) => l.class_name), fx.layers.slice(1).map((l) => l.class_name));
  assert.deepEqual(t.config.layers.map((l) => l.class_name),
    ['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'SeparableConv2D', 'GlobalAveragePooling2D', 'Dropout', 'Dense']);
  assert.deepEqual(t.config.layers.map((l) => l.config.name), ['conv', 'bn', 'pool', 'sepconv', 'gap', 'drop', 'probs']);
  const [conv, bn, , sep, , drop, dense] = t.config.layers.map((l) => l.config);
  assert.deepEqual(conv.batch_input_shape, [null, 8, 8, 1]);
  assert.equal(conv.dtype, 'float32');
  assert.deepEqual(conv.kernel_size, [3, 3]);
  assert.equal(conv.padding, 'same');
  assert.equal(conv.activation, 'relu');
  assert.deepEqual(conv.kernel_initializer, { class_name: 'GlorotUniform', config: { seed: null, input_axes: null, output_axes: null } });
  assert.equal(bn.momentum, 0.99);
  assert.equal(bn.epsilon, 0.001);
  assert.equal(sep.filters, 6);
  assert.equal(drop.rate, 0.1);
  assert.equal(dense.units, 10);
  assert.equal(dense.activation, 'softmax');
  assert.equal(dense.batch_input_shape, undefined);
  checkWeights(r, fx);
  // BatchNormalization: gamma, beta, moving_mean, moving_variance.
  assert.deepEqual(fx.weights.filter((w) => w.layer === 'bn').map((w) => w.path.split('/').pop()),
    ['gamma', 'beta', 'moving_mean', 'moving_variance']);
  assert.deepEqual(h5Errors(page), []);
});

test('Sequential recurrent: Bidirectional(LSTM) forward then backward weights, GRU, int input', async () => {
  const page = await b.openHebb();
  const r = await readKeras(page, 'recurrent');
  const fx = fixture('recurrent');
  const t = r.topology;
  assert.equal(t.class_name, 'Sequential');
  assert.deepEqual(t.config.layers.map((l) => l.class_name), ['Embedding', 'Bidirectional', 'GRU', 'Dense']);
  const [embed, bi, gru] = t.config.layers.map((l) => l.config);
  assert.deepEqual(embed.batch_input_shape, [null, 5]);
  assert.equal(embed.input_dim, 20);
  assert.equal(embed.output_dim, 4);
  assert.equal(bi.merge_mode, 'concat');
  assert.equal(bi.layer.class_name, 'LSTM');
  assert.equal(bi.layer.config.units, 6);
  assert.equal(bi.layer.config.return_sequences, true);
  assert.equal(bi.layer.config.dtype, 'float32');
  assert.deepEqual(bi.layer.config.recurrent_initializer, { class_name: 'Orthogonal', config: { seed: null, gain: 1 } });
  assert.equal(bi.backward_layer.class_name, 'LSTM');
  assert.equal(bi.backward_layer.config.go_backwards, true);
  assert.equal(gru.reset_after, true);
  assert.equal(gru.units, 5);
  checkWeights(r, fx);
  assert.deepEqual(fx.weights.filter((w) => w.layer === 'bilstm').map((w) => w.path.split('/').slice(-3).join('/')), [
    'forward_lstm/lstm_cell/kernel', 'forward_lstm/lstm_cell/recurrent_kernel', 'forward_lstm/lstm_cell/bias',
    'backward_lstm/lstm_cell/kernel', 'backward_lstm/lstm_cell/recurrent_kernel', 'backward_lstm/lstm_cell/bias',
  ]);
  assert.deepEqual(r.specs.find((s) => s.name === 'gru/2').shape, [2, 15]);
  assert.deepEqual(h5Errors(page), []);
});

test('Functional: Model class, inbound nodes (merge layers, shared layer), inputs and outputs', async () => {
  const page = await b.openHebb();
  const r = await readKeras(page, 'functional');
  const fx = fixture('functional');
  const t = r.topology;
  assert.equal(t.class_name, 'Model');
  assert.equal(t.config.name, 'two_heads');
  const layers = t.config.layers;
  assert.deepEqual(layers.map((l) => [l.name, l.class_name]), fx.layers.map((l) => [l.name, l.class_name]));
  const nodes = Object.fromEntries(layers.map((l) => [l.name, l.inbound_nodes]));
  assert.deepEqual(nodes, {
    a: [],
    b: [],
    dense_a: [[['a', 0, 0, {}]]],
    dense_b: [[['b', 0, 0, {}]]],
    concat: [[['dense_a', 0, 0, {}], ['dense_b', 0, 0, {}]]],
    shared: [[['concat', 0, 0, {}]], [['concat_2', 0, 0, {}]]],
    concat_2: [[['shared', 0, 0, {}], ['dense_b', 0, 0, {}]]],
    residual: [[['shared', 1, 0, {}], ['dense_a', 0, 0, {}]]],
    norm: [[['residual', 0, 0, {}]]],
    cls: [[['norm', 0, 0, {}]]],
    reg: [[['norm', 0, 0, {}]]],
  });
  assert.deepEqual(t.config.input_layers, [['a', 0, 0], ['b', 0, 0]]);
  assert.deepEqual(t.config.output_layers, [['cls', 0, 0], ['reg', 0, 0]]);
  const a = layers[0].config;
  assert.deepEqual(a.batch_input_shape, [null, 4]);
  assert.equal(a.name, 'a');
  assert.equal(a.dtype, 'float32');
  assert.equal('optional' in a, false);
  assert.deepEqual(layers.find((l) => l.name === 'norm').config.axis, [-1]);
  checkWeights(r, fx);
  // The shared Dense has one set of weights, whatever the number of calls.
  assert.deepEqual(r.specs.filter((s) => s.name.startsWith('shared/')).map((s) => s.shape), [[10, 5], [5]]);
  assert.deepEqual(h5Errors(page), []);
});

test('damaged files reject with a loadLayersModel: Error that says what is wrong', async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const get = async (p) => (await fetch(p)).arrayBuffer();
    const good = await get('/tests/fixtures/keras/convnet.keras');
    const cases = {
      notZip: await get('/tests/fixtures/keras/convnet.json'),
      empty: new ArrayBuffer(0),
      noWeights: await get('/tests/fixtures/keras/broken_no_weights.keras'),
      badJson: await get('/tests/fixtures/keras/broken_json.keras'),
      badH5: await get('/tests/fixtures/keras/broken_h5.keras'),
      badCount: await get('/tests/fixtures/keras/broken_count.keras'),
      truncatedHalf: good.slice(0, good.byteLength >> 1),
      truncatedEnd: good.slice(0, good.byteLength - 7),
      notBytes: 'convnet.keras',
    };
    const out = {};
    for (const [k, v] of Object.entries(cases)) {
      try {
        await tf._kerasToArtifacts(v, `${k}.keras`);
        out[k] = { threw: false };
      } catch (e) {
        out[k] = { threw: true, isError: e instanceof Error, message: String(e?.message ?? e) };
      }
    }
    // After all that (HDF5 errors included), a good file still reads.
    const after = await tf._kerasToArtifacts(good, 'convnet.keras');
    out.afterwards = after.weightSpecs.length;
    return out;
  });
  const expect = {
    notZip: /'notZip\.keras' is not a \.keras file \(not a zip archive\)/,
    empty: /not a zip archive/,
    noWeights: /'noWeights\.keras' has no model\.weights\.h5 \(it holds metadata\.json, config\.json\)/,
    badJson: /config\.json in 'badJson\.keras' is not valid JSON/,
    badH5: /model\.weights\.h5 in 'badH5\.keras' is not a readable HDF5 file \(truncated file/,
    badCount: /holds 1 variable for layer 'd' \(Dense\), but its config needs 2/,
    truncatedHalf: /'truncatedHalf\.keras' is not a readable \.keras file \(damaged or truncated zip archive/,
    truncatedEnd: /damaged or truncated zip archive/,
    notBytes: /expected the bytes of a \.keras file/,
  };
  for (const [k, re] of Object.entries(expect)) {
    assert.equal(r[k].threw, true, `${k}: expected a rejection`);
    assert.equal(r[k].isError, true, `${k}: expected an Error`);
    assert.ok(r[k].message.startsWith('loadLayersModel: '), `${k}: ${r[k].message}`);
    assert.match(r[k].message, re);
  }
  assert.equal(r.afterwards, fixture('convnet').weights.length);
  assert.deepEqual(h5Errors(page), [], 'HDF5 errors are thrown, not printed to the console');
});

test('the HDF5 reader is a separate bundle, fetched only when a .keras file is read', async () => {
  const main = fs.statSync(path.join(ROOT, 'dist/hebb.js')).size;
  const h5 = fs.statSync(path.join(ROOT, 'dist/hebb_h5.js')).size;
  assert.ok(h5 > 1e6, `dist/hebb_h5.js is ${h5} bytes`);
  assert.ok(!fs.readFileSync(path.join(ROOT, 'dist/hebb.js'), 'utf8').includes('activate_throwing_error_handler'),
    'h5wasm must not be bundled into dist/hebb.js');
  assert.ok(main < h5 / 4, `dist/hebb.js (${main} bytes) should stay far smaller than the HDF5 bundle (${h5})`);

  const page = await b.openHebb();
  const fetched = [];
  page.on('request', (req) => fetched.push(new URL(req.url()).pathname));
  await page.evaluate(() => tf.tensor([1, 2]).sum().data());
  assert.ok(!fetched.includes('/dist/hebb_h5.js'), 'loaded before any .keras file was read');
  await readKeras(page, 'functional');
  assert.equal(fetched.filter((p) => p === '/dist/hebb_h5.js').length, 1);
  await readKeras(page, 'recurrent'); // loaded once per page
  assert.equal(fetched.filter((p) => p === '/dist/hebb_h5.js').length, 1);
});

test('an HDF5 reader that cannot be fetched gives a loadLayersModel: Error, and a later call retries', async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const buf = await (await fetch('/tests/fixtures/keras/functional.keras')).arrayBuffer();
    globalThis.HEBB_H5 = '/dist/no_such_reader.js';
    let message = null;
    try {
      await tf._kerasToArtifacts(buf, 'functional.keras');
    } catch (e) {
      message = e instanceof Error ? e.message : `not an Error: ${e}`;
    }
    delete globalThis.HEBB_H5;
    const again = await tf._kerasToArtifacts(buf, 'functional.keras');
    return { message, specs: again.weightSpecs.length };
  });
  assert.match(r.message, /^loadLayersModel: could not load the HDF5 reader from \/dist\/no_such_reader\.js/);
  assert.equal(r.specs, fixture('functional').weights.length);
});

test('issue 12\'s layers from Keras 3 .keras files predict Keras\'s values on both backends and keep them through model.json: ConvLSTM2D, ELU/ReLU/PReLU/Rescaling/GaussianDropout/AlphaDropout, Resizing/CenterCrop/CategoryEncoding', { timeout: 120_000 }, async () => {
  const page = await b.openHebb();
  const names = ['conv_lstm', 'activations', 'preprocess'];
  const fxs = Object.fromEntries(names.map((n) => [n, fixture(n)]));
  const r = await page.evaluate(async (fxs) => {
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      for (const [name, fx] of Object.entries(fxs)) {
        const m = await tf.loadLayersModel(`/tests/fixtures/keras/${name}.keras`);
        const xs = fx.inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype.startsWith('int') ? 'int32' : 'float32'));
        const x = xs.length === 1 ? xs[0] : xs;
        let a;
        await m.save(tf.io.withSaveHandler(async (art) => { a = art; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
        const back = await tf.loadLayersModel(tf.io.fromMemory(a.modelTopology, a.weightSpecs, a.weightData));
        out[`${backend} ${name}`] = {
          classes: m.layers.map((l) => l.getClassName()),
          got: Array.from(await m.predict(x).data()),
          again: Array.from(await back.predict(x).data()),
        };
      }
    }
    return out;
  }, fxs);
  for (const [key, g] of Object.entries(r)) {
    const fx = fxs[key.split(' ')[1]];
    // A Sequential's layers leave its InputLayer out, as in TF.js.
    const classes = fx.layers.map((l) => l.class_name).filter((c) => fx.class_name !== 'Sequential' || c !== 'InputLayer');
    assert.deepEqual(g.classes, classes, `${key}: layer classes`);
    const want = fx.outputs[0].data;
    for (const [what, vals] of [['predict', g.got], ['model.json round trip', g.again]]) {
      assert.equal(vals.length, want.length, `${key} ${what}: length`);
      vals.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * (1 + Math.abs(want[i])), `${key} ${what}[${i}]: ${v} vs Keras ${want[i]}`));
    }
  }
});

test('transfer learning from a Keras 3 .keras file: tf.model over its inputs and an inner layer\'s output shares its weights, frozen and stacked in a Sequential it trains only the new head (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await b.openHebb();
  const fx = fixture('convnet');
  const r = await page.evaluate(async (fx) => {
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      const base = await tf.loadLayersModel('/tests/fixtures/keras/convnet.keras');
      const x = tf.tensor(fx.inputs[0].data, fx.inputs[0].shape);
      const features = tf.model({ inputs: base.inputs, outputs: base.getLayer('gap').output });
      features.trainable = false;
      const before = features.getWeights().map((w) => Array.from(w.dataSync()));
      const clf = tf.sequential();
      clf.add(features);
      clf.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }));
      clf.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
      const xs = tf.concat(new Array(8).fill(x), 0);
      const ys = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3).cast('float32');
      const h = await clf.fit(xs, ys, { epochs: 5, batchSize: 8, verbose: 0 });
      out[backend] = {
        trainable: clf.trainableWeights.map((w) => w.name),
        frozen: features.getWeights().every((w, i) => Array.from(w.dataSync()).every((v, k) => v === before[i][k])),
        // The base still predicts Keras's values: the weights are shared, not copied and changed.
        base: Array.from(await base.predict(x).data()),
        losses: h.history.loss,
      };
    }
    return out;
  }, fx);
  const want = fx.outputs[0].data;
  for (const [backend, g] of Object.entries(r)) {
    assert.deepEqual(g.trainable, ['head/kernel', 'head/bias'], `${backend}: only the head trains`);
    assert.ok(g.frozen, `${backend}: the frozen base's weights did not move`);
    g.base.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * (1 + Math.abs(want[i])), `${backend}: base predict[${i}] ${v} vs Keras ${want[i]}`));
    assert.ok(g.losses.every(Number.isFinite), `${backend}: losses ${g.losses}`);
  }
});

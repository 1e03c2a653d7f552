// Stateful recurrent layers through the public API, on WebGPU and the CPU: a sequence fed in
// chunks gives what the whole sequence gives, resetStates (model and layer) starts afresh, a
// functional model's input batchShape reaches the stateful layer, training with resetStates
// in onEpochEnd gives the same losses on both backends, and wrong batch sizes raise errors that
// name the layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'stateful' });

test('a stateful LSTM continues from the last batch; resetStates starts afresh (WebGPU and CPU)', async () => {
  const page = await b.openHebb();
  for (const backend of ['webgpu', 'cpu']) {
    const r = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      const x = tf.randomNormal([2, 6, 2], 0, 1, 'float32', 7);
      const whole = tf.sequential();
      whole.add(tf.layers.lstm({ units: 3, inputShape: [6, 2] }));
      const chunked = tf.sequential();
      const lstm = tf.layers.lstm({ units: 3, stateful: true, batchInputShape: [2, 3, 2] });
      chunked.add(lstm);
      chunked.setWeights(whole.getWeights());
      const want = await whole.predict(x).data();
      const c1 = x.slice([0, 0, 0], [2, 3, 2]);
      const c2 = x.slice([0, 3, 0], [2, 3, 2]);
      const first = await chunked.predict(c1, { batchSize: 2 }).data();
      const second = await chunked.predict(c2, { batchSize: 2 }).data();
      chunked.resetStates();
      const again = await chunked.predict(c1, { batchSize: 2 }).data();
      chunked.predict(c1, { batchSize: 2 });
      lstm.resetStates();
      const layerReset = await chunked.predict(c1, { batchSize: 2 }).data();
      // A functional model: the input's batchShape gives the stateful layer its batch size.
      const inp = tf.input({ batchShape: [2, 3, 2] });
      const fl = tf.layers.lstm({ units: 3, stateful: true });
      const fm = tf.model({ inputs: inp, outputs: fl.apply(inp) });
      fm.setWeights(whole.getWeights());
      fm.predict(c1, { batchSize: 2 });
      const fsecond = await fm.predict(c2, { batchSize: 2 }).data();
      const diff = (a, b) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
      return {
        second: diff(second, want), firstDiffers: diff(first, want), again: diff(again, first), layerReset: diff(layerReset, first),
        functional: diff(fsecond, want), params: [whole.countParams(), chunked.countParams()], weights: chunked.getWeights().length,
      };
    }, backend);
    assert.ok(r.second <= 1e-5, `${backend}: the second chunk continues the first (diff ${r.second})`);
    assert.ok(r.firstDiffers > 1e-3, `${backend}: the first chunk alone is a different answer`);
    assert.ok(r.again <= 1e-6, `${backend}: model.resetStates starts afresh (diff ${r.again})`);
    assert.ok(r.layerReset <= 1e-6, `${backend}: layer.resetStates starts afresh (diff ${r.layerReset})`);
    assert.ok(r.functional <= 1e-5, `${backend}: the functional model continues too (diff ${r.functional})`);
    assert.deepEqual(r.params, [r.params[0], r.params[0]], 'carried states are not counted as parameters');
    assert.equal(r.weights, 3, 'carried states are not weights');
  }
});

test('stateful training with resetStates at each epoch end gives the same losses on WebGPU and the CPU', { timeout: 2 * TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const losses = {};
  for (const backend of ['webgpu', 'cpu']) {
    losses[backend] = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      tf.util.seed(21);
      const x = tf.randomNormal([32, 4, 3], 0, 1, 'float32', 3);
      const y = tf.randomNormal([32, 1], 0, 1, 'float32', 4);
      const model = tf.sequential();
      model.add(tf.layers.gru({ units: 8, stateful: true, batchInputShape: [8, 4, 3] }));
      model.add(tf.layers.dense({ units: 1 }));
      model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
      const h = await model.fit(x, y, { epochs: 6, batchSize: 8, shuffle: false, callbacks: { onEpochEnd: () => model.resetStates() } });
      return h.history.loss;
    }, backend);
  }
  const [g, c] = [losses.webgpu, losses.cpu];
  assert.equal(g.length, 6);
  g.forEach((v, i) => assert.ok(Math.abs(v - c[i]) <= 1e-3 * (1 + Math.abs(c[i])), `epoch ${i}: webgpu ${v} vs cpu ${c[i]}`));
  assert.ok(c[5] < c[0], `the loss falls: ${c}`);
});

test('stateful misuse raises errors naming the layer; the model keeps working', async () => {
  const page = await b.openHebb();
  const errs = await page.evaluate(async () => {
    const out = {};
    const grab = async (k, f) => { try { await f(); out[k] = 'no error'; } catch (e) { out[k] = e.message; } };
    const m = tf.sequential();
    m.add(tf.layers.lstm({ units: 3, stateful: true, batchInputShape: [4, 5, 2], name: 'keeper' }));
    await grab('predict', () => m.predict(tf.zeros([6, 5, 2]), { batchSize: 4 }));
    await grab('batchSize', () => m.predict(tf.zeros([8, 5, 2])));
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await grab('fit', () => m.fit(tf.zeros([10, 5, 2]), tf.zeros([10, 3]), { batchSize: 4 }));
    await grab('nobatch', () => { const s = tf.sequential(); s.add(tf.layers.gru({ units: 2, stateful: true, inputShape: [5, 2], name: 'nobatch' })); });
    await grab('reset', () => tf.layers.dense({ units: 2, name: 'plain' }).resetStates());
    out.stillWorks = (await m.predict(tf.ones([4, 5, 2]), { batchSize: 4 }).data()).length;
    return out;
  });
  assert.match(errs.predict, /LSTM 'keeper'.*batches of 4.*6 samples/);
  assert.match(errs.batchSize, /LSTM 'keeper'.*batchSize 4.*received batchSize 32/);
  assert.match(errs.fit, /LSTM 'keeper'.*fit.*10 samples/);
  assert.match(errs.nobatch, /GRU 'nobatch'.*fixed batch size/);
  assert.match(errs.reset, /Dense 'plain'.*resetStates is for stateful layers/);
  assert.equal(errs.stillWorks, 12);
});

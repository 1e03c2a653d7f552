// Recurrent nets through the public API: an LSTM learns to add two 3-digit numbers given as digit
// sequences (least significant digit first, one step per digit pair, one extra step for the last
// carry), on WebGPU and on the CPU; GRU, SimpleRNN and bidirectional variants train too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openHebbWithHelpers, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'recurrent' });

async function addition(page, { backend, layer, epochs, batchSize = 64, lr = 0.02 }) {
  return page.evaluate(async ({ backend, layer, epochs, batchSize, lr }) => {
    await tf.setBackend(backend);
    tf.util.seed(5);
    let s = 2024;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const STEPS = 4;
    const digits = (v) => Array.from({ length: STEPS }, (_, k) => Math.floor(v / 10 ** k) % 10);
    const make = (n, seen) => {
      const x = [];
      const y = [];
      const pairs = [];
      while (pairs.length < n) {
        const a = Math.floor(rand() * 1000);
        const c = Math.floor(rand() * 1000);
        const key = a * 1000 + c;
        if (seen.has(key)) continue;
        seen.add(key);
        pairs.push([a, c]);
        const da = digits(a);
        const dc = digits(c);
        const ds = digits(a + c);
        for (let t = 0; t < STEPS; t++) {
          for (let k = 0; k < 10; k++) x.push(k === da[t] ? 1 : 0);
          for (let k = 0; k < 10; k++) x.push(k === dc[t] ? 1 : 0);
          for (let k = 0; k < 10; k++) y.push(k === ds[t] ? 1 : 0);
        }
      }
      return { x: tf.tensor3d(x, [n, STEPS, 20]), y: tf.tensor3d(y, [n, STEPS, 10]), pairs };
    };
    const seen = new Set();
    const train = make(3000, seen);
    const test = make(500, seen);
    const m = tf.sequential();
    const rnn = { units: 32, returnSequences: true, inputShape: [STEPS, 20] };
    if (layer === 'lstm') m.add(tf.layers.lstm(rnn));
    else if (layer === 'gru') m.add(tf.layers.gru(rnn));
    else if (layer === 'simpleRNN') m.add(tf.layers.simpleRNN(rnn));
    m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 10, activation: 'softmax' }) }));
    m.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(train.x, train.y, { epochs, batchSize, seed: 2 });
    const pred = await m.predict(test.x).argMax(-1).data();
    let exact = 0;
    test.pairs.forEach(([a, c], i) => {
      let v = 0;
      for (let t = 0; t < STEPS; t++) v += pred[i * STEPS + t] * 10 ** t;
      if (v === a + c) exact++;
    });
    return {
      backend: tf.getBackend(),
      params: m.countParams(),
      loss: h.history.loss.at(-1),
      exact: exact / test.pairs.length,
      outputShape: m.outputShape,
    };
  }, { backend, layer, epochs, batchSize, lr });
}

for (const backend of ['webgpu', 'cpu']) {
  test(`an LSTM learns to add two numbers given as digit sequences (>= 95% exact answers, ${backend})`, { timeout: 3 * TRAIN_TIMEOUT }, async (t) => {
    const page = await openHebbWithHelpers(b);
    const r = await addition(page, { backend, layer: 'lstm', epochs: 10, batchSize: 128, lr: 0.03 });
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.backend, backend);
    assert.deepEqual(r.outputShape, [null, 4, 10]);
    assert.equal(r.params, 4 * 32 * (20 + 32 + 1) + 32 * 10 + 10);
    assert.ok(r.exact >= 0.95, `exact answers ${r.exact}`);
  });
}

test('GRU and SimpleRNN learn the same addition on the CPU', { timeout: 3 * TRAIN_TIMEOUT }, async (t) => {
  const page = await openHebbWithHelpers(b);
  const gru = await addition(page, { backend: 'cpu', layer: 'gru', epochs: 30 });
  const simple = await addition(page, { backend: 'cpu', layer: 'simpleRNN', epochs: 30 });
  t.diagnostic(JSON.stringify({ gru, simple }));
  assert.equal(gru.params, 3 * 32 * (20 + 32 + 1) + 330);
  assert.equal(simple.params, 32 * (20 + 32 + 1) + 330);
  assert.ok(gru.exact >= 0.95, `GRU exact answers ${gru.exact}`);
  assert.ok(simple.exact >= 0.9, `SimpleRNN exact answers ${simple.exact}`);
});

test('tf.layers.rnn with a cell or stacked cells computes what the matching layers compute, trains, and saves (WebGPU and CPU)', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  for (const backend of ['webgpu', 'cpu']) {
    const r = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      tf.util.seed(6);
      const x = tf.randomNormal([4, 5, 3], 0, 1, 'float32', 2);
      const diff = (a, b) => Math.max(...Array.from(a.dataSync(), (v, i) => Math.abs(v - b.dataSync()[i])));
      // One LSTM cell = an LSTM layer.
      const single = tf.sequential();
      single.add(tf.layers.rnn({ cell: tf.layers.lstmCell({ units: 4 }), inputShape: [5, 3] }));
      const lstm = tf.sequential();
      lstm.add(tf.layers.lstm({ units: 4, inputShape: [5, 3] }));
      lstm.setWeights(single.getWeights());
      // Stacked [GRU cell, SimpleRNN cell] = gru(returnSequences) then simpleRNN.
      const stacked = tf.sequential();
      stacked.add(tf.layers.rnn({ cell: [tf.layers.gruCell({ units: 3 }), tf.layers.simpleRNNCell({ units: 2 })], inputShape: [5, 3] }));
      const two = tf.sequential();
      two.add(tf.layers.gru({ units: 3, returnSequences: true, inputShape: [5, 3] }));
      two.add(tf.layers.simpleRNN({ units: 2 }));
      two.setWeights(stacked.getWeights());
      const out = { single: diff(single.predict(x), lstm.predict(x)), stacked: diff(stacked.predict(x), two.predict(x)) };
      out.names = stacked.layers[0].weights.map((w) => w.name.split('/').length);
      // It trains, and survives save/load.
      const y = tf.randomNormal([4, 2], 0, 1, 'float32', 3);
      stacked.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
      const h = await stacked.fit(x, y, { epochs: 30, batchSize: 4, verbose: 0 });
      out.loss = [h.history.loss[0], h.history.loss[29]];
      await stacked.save('indexeddb://stacked-rnn');
      const loaded = await tf.loadLayersModel('indexeddb://stacked-rnn');
      out.loaded = diff(loaded.predict(x), stacked.predict(x));
      try { tf.layers.lstmCell({ units: 2 }).apply(tf.input({ shape: [3] })); out.cellApply = 'no error'; } catch (e) { out.cellApply = e.message; }
      try { tf.layers.rnn({ cell: tf.layers.dense({ units: 2 }), name: 'bad_rnn' }); out.badCell = 'no error'; } catch (e) { out.badCell = e.message; }
      return out;
    }, backend);
    assert.ok(r.single <= 1e-5, `${backend}: rnn(lstmCell) vs lstm: ${r.single}`);
    assert.ok(r.stacked <= 1e-5, `${backend}: stacked cells vs two layers: ${r.stacked}`);
    assert.ok(r.names.every((n) => n === 3), 'weights are named rnn/cell/weight');
    assert.ok(r.loss[1] < r.loss[0] * 0.5, `${backend}: the loss falls ${r.loss}`);
    assert.ok(r.loaded <= 1e-6, `${backend}: the loaded model predicts the same (${r.loaded})`);
    assert.match(r.cellApply, /LSTMCell.*tf\.layers\.rnn/);
    assert.match(r.badCell, /RNN 'bad_rnn'.*SimpleRNNCell, LSTMCell, GRUCell/);
  }
});

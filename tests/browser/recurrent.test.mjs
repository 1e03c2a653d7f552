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

// Keras masking through the public API, on WebGPU and the CPU: an Embedding with maskZero (or a
// Masking layer) lets recurrent layers skip padding, so a sequence gives the same prediction
// however it is padded, and a classifier of variable-length sequences trains; GlobalAveragePooling1D
// averages only the real steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'masking' });

test('masked padding changes nothing: pre- and post-padded sequences predict the same (WebGPU and CPU)', async () => {
  const page = await b.openHebb();
  for (const backend of ['webgpu', 'cpu']) {
    const r = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      tf.util.seed(8);
      const m = tf.sequential();
      m.add(tf.layers.embedding({ inputDim: 6, outputDim: 4, maskZero: true, inputLength: 7 }));
      m.add(tf.layers.lstm({ units: 5, returnSequences: true }));
      m.add(tf.layers.gru({ units: 3 }));
      const post = tf.tensor2d([[3, 1, 4, 0, 0, 0, 0], [2, 5, 0, 0, 0, 0, 0]]);
      const pre = tf.tensor2d([[0, 0, 0, 0, 3, 1, 4], [0, 0, 0, 0, 0, 2, 5]]);
      const a = await m.predict(post).data();
      const c = await m.predict(pre).data();
      // The same layers in a functional model (weights shared) carry the mask the same way.
      const inp = tf.input({ shape: [7] });
      const fm = tf.model({ inputs: inp, outputs: m.layers.reduce((h, l) => l.apply(h), inp) });
      const fc = await fm.predict(post).data();
      // The same through a Masking layer on float features, and the masked average.
      const f = tf.sequential();
      f.add(tf.layers.masking({ maskValue: 0, inputShape: [4, 2] }));
      f.add(tf.layers.globalAveragePooling1d());
      const avg = await f.predict(tf.tensor3d([[[1, 2], [3, 4], [0, 0], [0, 0]]])).data();
      return { diff: Math.max(...Array.from(a, (v, i) => Math.abs(v - c[i]))), functional: Math.max(...Array.from(a, (v, i) => Math.abs(v - fc[i]))), spread: Math.max(...a) - Math.min(...a), avg: Array.from(avg) };
    }, backend);
    assert.ok(r.diff <= 1e-5, `${backend}: pre- and post-padding differ by ${r.diff}`);
    assert.ok(r.functional <= 1e-5, `${backend}: the functional model differs by ${r.functional}`);
    assert.ok(r.spread > 1e-3, `${backend}: the predictions are not all equal`);
    assert.deepEqual(r.avg.map((v) => Math.round(v * 1e5) / 1e5), [2, 3], `${backend}: masked average`);
  }
});

test('an LSTM over padded variable-length sequences learns which token came last (>= 90%, WebGPU and CPU)', { timeout: 2 * TRAIN_TIMEOUT }, async (t) => {
  const page = await b.openHebb();
  for (const backend of ['webgpu', 'cpu']) {
    const acc = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      tf.util.seed(12);
      let s = 31;
      const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
      const T = 8;
      const make = (n) => {
        const x = [], y = [];
        for (let i = 0; i < n; i++) {
          const len = 2 + Math.floor(rand() * (T - 1));
          const seq = Array.from({ length: len }, () => 1 + Math.floor(rand() * 4));
          x.push(...seq, ...Array(T - len).fill(0));
          y.push([0, 1, 2, 3].map((k) => (k === seq[len - 1] - 1 ? 1 : 0)));
        }
        return { x: tf.tensor2d(x, [n, T]), y: tf.tensor2d(y.flat(), [n, 4]) };
      };
      const train = make(1200);
      const held = make(300);
      const m = tf.sequential();
      m.add(tf.layers.embedding({ inputDim: 5, outputDim: 8, maskZero: true, inputLength: T }));
      m.add(tf.layers.lstm({ units: 16 }));
      m.add(tf.layers.dense({ units: 4, activation: 'softmax' }));
      m.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      await m.fit(train.x, train.y, { epochs: 12, batchSize: 32, verbose: 0 });
      const [, a] = m.evaluate(held.x, held.y);
      return (await a.data())[0];
    }, backend);
    t.diagnostic(`${backend}: held-out accuracy ${acc}`);
    assert.ok(acc >= 0.9, `${backend}: held-out accuracy ${acc} < 0.9`);
  }
});

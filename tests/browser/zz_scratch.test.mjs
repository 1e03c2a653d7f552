import { test } from 'node:test';
import { useBrowser, openHebbWithHelpers } from './harness.mjs';
const b = useBrowser({ label: 'scratch' });
test('scratch', { timeout: 300000 }, async (t) => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const out = {};
    const x = tf.randomNormal([256, 8, 8, 1], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d(Array.from({length: 256}, (_, i) => i % 10), 'int32'), 10);
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      for (const bn of [false, true]) {
      tf.util.seed(11);
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', inputShape: [8, 8, 1] }));
      if (bn) m.add(tf.layers.batchNormalization({ momentum: 0.9 }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
      m.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
      const w0 = Array.from(await m.layers[0].getWeights()[0].data()).slice(0, 3);
      const h = await m.fit(x, y, { epochs: 2, batchSize: 128, shuffle: false });
      const w1 = Array.from(await m.layers[0].getWeights()[0].data()).slice(0, 3);
      out[backend + bn] = { w0, w1, loss: h.history.loss, mm: bn ? Array.from(await m.layers[1].getWeights()[2].data()).slice(0, 3) : null };
      }
    }
    return out;
  });
  t.diagnostic(JSON.stringify(r));
});

// Without WebGPU (Chromium without the SwiftShader WebGPU flags gives no adapter), Hebb says so
// once, runs on the CPU, and the program does not change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openHebbWithHelpers, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'no-webgpu', webgpu: false });

test('no WebGPU adapter: one warning, the CPU backend, setBackend("webgpu") resolves false, training works', { timeout: TRAIN_TIMEOUT }, async () => {
  const warnings = [];
  const listen = (m) => { if (m.type() === 'warning' && /WebGPU/.test(m.text())) warnings.push(m.text()); };
  b.context.on('console', listen);
  try {
    const page = await openHebbWithHelpers(b);
    const r = await page.evaluate(async () => {
      const before = tf.getBackend();
      const switched = await tf.setBackend('webgpu');
      tf.util.seed(1);
      const { x, label } = T.spiral(100, 2, 0.2, 3);
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 16, activation: 'relu', inputShape: [2] }));
      model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
      model.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const h = await model.fit(tf.tensor2d(x), tf.tensor2d(label.map((l) => [l])), { epochs: 20 });
      return { before, switched, after: tf.getBackend(), loss: h.history.loss };
    });
    assert.equal(r.before, 'cpu');
    assert.equal(r.switched, false);
    assert.equal(r.after, 'cpu');
    assert.ok(r.loss.at(-1) < r.loss[0], 'trains on the CPU');
    assert.equal(warnings.length, 1, `said once: ${warnings.join(' | ')}`);
    assert.match(warnings[0], /running on the CPU/);
  } finally {
    b.context.off('console', listen);
  }
});

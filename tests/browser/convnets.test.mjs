// Convnets through the public API on scikit-learn's 8x8 digits (tests/fixtures/digits.u8.gz,
// made by scripts/gen_digits.py): a small CNN and its separable-conv variant, each on WebGPU and
// on the CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openHebbWithHelpers, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'convnets' });

// Loads the digits into window.digits: every 5th image is held out for testing.
async function loadDigits(page) {
  await page.evaluate(async () => {
    const res = await fetch('/tests/fixtures/digits.u8.gz');
    const bytes = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    const n = bytes.length / 65;
    const split = { train: { x: [], y: [] }, test: { x: [], y: [] } };
    for (let i = 0; i < n; i++) {
      const s = i % 5 === 4 ? split.test : split.train;
      for (let k = 0; k < 64; k++) s.x.push(bytes[i * 65 + k] / 16);
      s.y.push(bytes[i * 65 + 64]);
    }
    window.digits = {
      n,
      train: { x: tf.tensor4d(split.train.x, [split.train.y.length, 8, 8, 1]), y: tf.oneHot(tf.tensor1d(split.train.y, 'int32'), 10) },
      test: { x: tf.tensor4d(split.test.x, [split.test.y.length, 8, 8, 1]), y: split.test.y },
    };
  });
}

async function trainCnn(page, { separable, backend }) {
  return page.evaluate(async ({ separable, backend }) => {
    await tf.setBackend(backend);
    tf.util.seed(7);
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    const second = { filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' };
    m.add(separable ? tf.layers.separableConv2d(second) : tf.layers.conv2d(second));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const { train, test } = window.digits;
    const h = await m.fit(train.x, train.y, { epochs: 12, batchSize: 64, seed: 3 });
    const pred = await m.predict(test.x).argMax(-1).data();
    const correct = test.y.filter((label, i) => pred[i] === label).length;
    return {
      backend: tf.getBackend(),
      params: m.countParams(),
      loss: h.history.loss.at(-1),
      trainAcc: h.history.acc.at(-1),
      testAcc: correct / test.y.length,
      shapes: m.layers.map((l) => l.outputShape),
    };
  }, { separable, backend });
}

for (const backend of ['webgpu', 'cpu']) {
  test(`digits CNN >= 95% test accuracy, and a separable variant the same with fewer parameters (${backend})`, { timeout: 3 * TRAIN_TIMEOUT }, async (t) => {
    const page = await openHebbWithHelpers(b);
    await loadDigits(page);
    const conv = await trainCnn(page, { separable: false, backend });
    const sep = await trainCnn(page, { separable: true, backend });
    t.diagnostic(JSON.stringify({ conv, sep }));
    assert.equal(conv.backend, backend);
    assert.equal(sep.backend, backend);
    assert.deepEqual(conv.shapes, [[null, 8, 8, 16], [null, 4, 4, 16], [null, 4, 4, 32], [null, 2, 2, 32], [null, 128], [null, 10]]);
    // conv 9·16+16, conv 9·16·32+32, dense 128·10+10; separable: 9·16 depthwise + 16·32 pointwise + 32.
    assert.equal(conv.params, 160 + 4640 + 1290);
    assert.equal(sep.params, 160 + 144 + 512 + 32 + 1290);
    assert.ok(conv.testAcc >= 0.95, `CNN test accuracy ${conv.testAcc}`);
    assert.ok(sep.testAcc >= 0.95, `separable CNN test accuracy ${sep.testAcc}`);
    assert.ok(sep.params < conv.params);
  });
}

test('batchNormalization: trains with batch statistics, predicts with its moving statistics (webgpu and cpu)', { timeout: 3 * TRAIN_TIMEOUT }, async (t) => {
  const page = await openHebbWithHelpers(b);
  await loadDigits(page);
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      tf.util.seed(11);
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', inputShape: [8, 8, 1] }));
      m.add(tf.layers.batchNormalization({ momentum: 0.9 }));
      m.add(tf.layers.activation({ activation: 'relu' }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
      m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const { train, test } = window.digits;
      await m.fit(train.x, train.y, { epochs: 4, batchSize: 128, seed: 3 });
      const pred = await m.predict(test.x).argMax(-1).data();
      const bn = m.layers[1];
      // Unfreezing a layer never makes its moving statistics trainable.
      bn.trainable = false;
      bn.trainable = true;
      // Inference does not depend on what else is in the batch: one image alone predicts the same.
      const one = await m.predict(test.x.slice([0, 0, 0, 0], [1, 8, 8, 1])).data();
      const all = await m.predict(test.x.slice([0, 0, 0, 0], [16, 8, 8, 1])).data();
      out[backend] = {
        acc: test.y.filter((label, i) => pred[i] === label).length / test.y.length,
        weights: bn.weights.map((w) => [w.name, w.trainable]),
        params: [m.countParams(), bn.countParams()],
        movingMean: Array.from(await bn.getWeights()[2].data()),
        oneVsBatch: Math.max(...Array.from(one).map((v, i) => Math.abs(v - all[i]))),
        backend: tf.getBackend(),
      };
    }
    return out;
  });
  t.diagnostic(JSON.stringify(r));
  for (const backend of ['cpu', 'webgpu']) {
    const o = r[backend];
    assert.equal(o.backend, backend);
    assert.ok(o.acc >= 0.9, `${backend} accuracy ${o.acc}`);
    assert.deepEqual(o.weights.map((w) => w[1]), [true, true, false, false]);
    assert.equal(o.params[1], 4 * 8);
    assert.ok(o.movingMean.some((v) => Math.abs(v) > 1e-3), `${backend} moving mean moved: ${o.movingMean}`);
    assert.ok(o.oneVsBatch < 1e-5, `${backend}: prediction depends on the batch (${o.oneVsBatch})`);
  }
});

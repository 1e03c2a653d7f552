// Layers beyond Dense through the public API (on the default backend, WebGPU here): embedding,
// layerNormalization, reshape, permute, repeatVector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openHebbWithHelpers, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'layers' });

test('embedding + layerNormalization learn whether a token occurs in a sequence (>= 95%) on both backends', { timeout: TRAIN_TIMEOUT }, async (t) => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['webgpu', 'cpu']) {
      await tf.setBackend(backend);
      tf.util.seed(4);
      let s = 12345;
      const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
      const xs = [];
      const ys = [];
      for (let i = 0; i < 600; i++) {
        const seq = Array.from({ length: 6 }, () => Math.floor(rand() * 10));
        if (i % 2 === 0) seq[Math.floor(rand() * 6)] = 7;
        else for (let k = 0; k < 6; k++) if (seq[k] === 7) seq[k] = 3;
        xs.push(seq);
        ys.push([seq.includes(7) ? 1 : 0]);
      }
      const model = tf.sequential();
      model.add(tf.layers.embedding({ inputDim: 10, outputDim: 8, inputShape: [6] }));
      model.add(tf.layers.layerNormalization());
      model.add(tf.layers.flatten());
      model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
      model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
      model.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const h = await model.fit(tf.tensor2d(xs), tf.tensor2d(ys), { epochs: 25, batchSize: 32, seed: 1 });
      out[backend] = { acc: h.history.acc.at(-1), active: tf.getBackend(), params: model.countParams() };
    }
    return out;
  });
  t.diagnostic(JSON.stringify(r));
  assert.equal(r.webgpu.active, 'webgpu');
  assert.equal(r.cpu.active, 'cpu');
  assert.equal(r.webgpu.params, 10 * 8 + 2 * 8 + 48 * 16 + 16 + 17);
  assert.ok(r.webgpu.acc >= 0.95, `webgpu accuracy ${r.webgpu.acc}`);
  assert.ok(r.cpu.acc >= 0.95, `cpu accuracy ${r.cpu.acc}`);
});

test('reshape, permute and repeatVector give Keras shapes and values; bad options name the layer', async () => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const m = tf.sequential();
    m.add(tf.layers.reshape({ targetShape: [2, -1], inputShape: [6] }));
    m.add(tf.layers.permute({ dims: [2, 1] }));
    const x = tf.tensor2d([[0, 1, 2, 3, 4, 5]]);
    const y = m.predict(x);
    const r2 = tf.sequential();
    r2.add(tf.layers.repeatVector({ n: 3, inputShape: [2] }));
    const z = r2.predict(tf.tensor2d([[1, 2]]));
    const errors = [];
    for (const f of [
      () => tf.layers.reshape({ targetShape: [4, -1], inputShape: [6] }).apply,
      () => { const s = tf.sequential(); s.add(tf.layers.reshape({ targetShape: [4, -1], inputShape: [6] })); },
      () => tf.layers.permute({ dims: [1, 1] }),
      () => tf.layers.embedding({ inputDim: 0, outputDim: 2 }),
      () => { const s = tf.sequential(); s.add(tf.layers.repeatVector({ n: 2, inputShape: [2, 2] })); },
    ]) {
      try { f(); errors.push(null); } catch (e) { errors.push(e.message); }
    }
    return { yShape: y.shape, y: await y.array(), zShape: z.shape, z: z.arraySync(), errors };
  });
  assert.deepEqual(r.yShape, [1, 3, 2]);
  assert.deepEqual(r.y, [[[0, 3], [1, 4], [2, 5]]]);
  assert.deepEqual(r.zShape, [1, 3, 2]);
  assert.deepEqual(r.z, [[[1, 2], [1, 2], [1, 2]]]);
  assert.equal(r.errors[0], null);
  assert.match(r.errors[1], /Reshape .*\[null,6\]/);
  assert.match(r.errors[2], /Permute.*dims/);
  assert.match(r.errors[3], /Embedding.*inputDim/);
  assert.match(r.errors[4], /RepeatVector.*\[null,2,2\]/);
});

test('embedding indices outside [0, inputDim) raise an error naming the layer and the shape; the model keeps working', async () => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 10, outputDim: 3, inputShape: [4], name: 'tokens' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 1 }));
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const good = tf.tensor2d([[0, 1, 2, 9]]);
    const before = Array.from(await m.predict(good).data());
    const errors = [];
    for (const f of [
      () => m.predict(tf.tensor2d([[0, 1, 10, 2]])),
      () => m.fit(tf.tensor2d([[0, -1, 2, 3]]), tf.tensor2d([[1]])),
      () => m.evaluate(tf.tensor2d([[0, 1, 2, 3], [3, 2, 1, 12]]), tf.tensor2d([[1], [0]])),
    ]) {
      try { await f(); errors.push(null); } catch (e) { errors.push(e.message); }
    }
    const after = Array.from(await m.predict(good).data());
    return { errors, before, after };
  });
  assert.match(r.errors[0], /predict: Embedding 'tokens'.*index 10 at sample 0.*\[1,4\].*\[0, 10\)/);
  assert.match(r.errors[1], /fit: Embedding 'tokens'.*index -1/);
  assert.match(r.errors[2], /evaluate: Embedding 'tokens'.*index 12 at sample 1.*\[2,4\]/);
  assert.deepEqual(r.after, r.before);
});

test('upSampling2d bilinear interpolates with half-pixel centres as Keras 3 does, on both backends; a bad interpolation names the layer', async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['webgpu', 'cpu']) {
      await tf.setBackend(backend);
      const m = tf.sequential();
      m.add(tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear', inputShape: [2, 2, 1] }));
      out[backend] = Array.from(await m.predict(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1])).data());
    }
    try { tf.layers.upSampling2d({ interpolation: 'bicubic', name: 'up' }); out.err = 'no error'; } catch (e) { out.err = e.message; }
    return out;
  });
  // Rows interpolate 1 -> 3 and columns 1 -> 2 at source positions 0, 0.25, 0.75, 1.
  const pos = [0, 0.25, 0.75, 1];
  const want = pos.flatMap((rp) => pos.map((cp) => 1 + 2 * rp + cp));
  for (const backend of ['webgpu', 'cpu']) {
    r[backend].forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `${backend} [${i}]: ${v} vs ${want[i]}`));
  }
  assert.match(r.err, /UpSampling2D 'up'.*interpolation must be 'nearest' or 'bilinear', received 'bicubic'/);
});

test('cropping1d and cropping2D drop the given steps, rows and columns on both backends; too much cropping names the layer', async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['webgpu', 'cpu']) {
      await tf.setBackend(backend);
      const m1 = tf.sequential();
      m1.add(tf.layers.cropping1d({ cropping: [1, 2], inputShape: [5, 1] }));
      const m2 = tf.sequential();
      m2.add(tf.layers.cropping2D({ cropping: [[0, 1], [1, 0]], inputShape: [3, 3, 1] }));
      out[backend] = [
        Array.from(await m1.predict(tf.tensor3d([1, 2, 3, 4, 5], [1, 5, 1])).data()),
        Array.from(await m2.predict(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1])).data()),
        m2.outputs[0].shape,
      ];
    }
    try {
      const m = tf.sequential();
      m.add(tf.layers.cropping2d({ cropping: 2, inputShape: [4, 6, 1], name: 'crop' }));
      out.err = 'no error';
    } catch (e) { out.err = e.message; }
    return out;
  });
  for (const backend of ['webgpu', 'cpu']) {
    assert.deepEqual(r[backend], [[2, 3], [2, 3, 5, 6], [null, 2, 2, 1]], backend);
  }
  assert.match(r.err, /Cropping2D 'crop'.*cropping 2 \+ 2 leaves nothing of axis 1 \(size 4\)/);
});

test('batchNormalization over a channels-first axis normalizes per channel on both backends; a bad axis names the layer', async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['webgpu', 'cpu']) {
      await tf.setBackend(backend);
      const m = tf.sequential();
      m.add(tf.layers.batchNormalization({ axis: 1, epsilon: 1e-6, inputShape: [2, 4] }));
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      // Channel 0 holds 0..7 over the batch and steps, channel 1 ten times that.
      const x = tf.tensor3d([0, 1, 2, 3, 0, 10, 20, 30, 4, 5, 6, 7, 40, 50, 60, 70], [2, 2, 4]);
      await m.fit(x, tf.zeros([2, 2, 4]), { epochs: 1, batchSize: 2, verbose: 0 });
      const [, , mean] = m.layers[0].getWeights();
      out[backend] = { mean: Array.from(await mean.data()), params: m.countParams() };
    }
    try { tf.sequential().add(tf.layers.batchNormalization({ axis: 3, inputShape: [2, 4], name: 'bn' })); out.err = 'no error'; } catch (e) { out.err = e.message; }
    return out;
  });
  for (const backend of ['webgpu', 'cpu']) {
    // One step of momentum 0.99 from zero toward the per-channel means 3.5 and 35.
    r[backend].mean.forEach((v, i) => assert.ok(Math.abs(v - [0.035, 0.35][i]) < 1e-5, `${backend} moving mean ${i}: ${v}`));
    assert.equal(r[backend].params, 8, 'gamma, beta and the moving statistics are per channel (2 each)');
  }
  assert.match(r.err, /BatchNormalization 'bn'.*axis 3 is out of range for input shape \[null,2,4\]/);
});

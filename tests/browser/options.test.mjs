// Training options beyond TF.js through the public API: Keras loss classes (fromLogits,
// labelSmoothing), more metrics, adamw/adadelta, learning-rate schedules and gradient clipping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openHebbWithHelpers, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'options' });

test('a softmax-free model trains with CategoricalCrossentropy({fromLogits, labelSmoothing}), adamw, a cosine schedule with warmup and clipnorm', { timeout: TRAIN_TIMEOUT }, async (t) => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['webgpu', 'cpu']) {
      await tf.setBackend(backend);
      tf.util.seed(3);
      const d = T.spiral(300, 3, 0.1, 1);
      const x = tf.tensor2d(d.x);
      const y = tf.oneHot(tf.tensor1d(d.label, 'int32'), 3);
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 32, activation: 'relu', inputShape: [2] }));
      m.add(tf.layers.dense({ units: 32, activation: 'relu' }));
      m.add(tf.layers.dense({ units: 3 })); // logits
      const schedule = tf.train.schedules.cosineDecay({ initialLearningRate: 0.001, decaySteps: 400, warmupTarget: 0.03, warmupSteps: 40, alpha: 0.1 });
      m.compile({
        optimizer: tf.train.adamw(schedule, 0.001, 0.9, 0.999, undefined, { clipnorm: 1 }),
        loss: new tf.losses.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.05 }),
        metrics: ['categoricalAccuracy', 'topKCategoricalAccuracy'],
      });
      const h = await m.fit(x, y, { epochs: 150, batchSize: 32, seed: 2 });
      out[backend] = { acc: h.history.categoricalAccuracy.at(-1), top5: h.history.topKCategoricalAccuracy.at(-1), loss: h.history.loss, backend: tf.getBackend() };
    }
    return out;
  });
  for (const backend of ['webgpu', 'cpu']) {
    const o = r[backend];
    t.diagnostic(`${backend}: acc ${o.acc}, first loss ${o.loss[0]}, last ${o.loss.at(-1)}`);
    assert.equal(o.backend, backend);
    assert.ok(o.acc >= 0.9, `${backend} accuracy ${o.acc}`);
    assert.equal(o.top5, 1, 'with 3 classes the true class is always in the top 5');
    assert.ok(o.loss.at(-1) < 0.5 * o.loss[0]);
  }
});

test('precision, recall and the new losses give the documented values; bad options name the loss or optimizer', async () => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const yTrue = tf.tensor2d([[1, 0, 1, 1], [0, 0, 1, 0]]);
    const yPred = tf.tensor2d([[0.9, 0.8, 0.2, 0.7], [0.1, 0.6, 0.7, 0.3]]);
    const errors = [];
    for (const f of [
      () => new tf.losses.MeanSquaredError({ fromLogits: true }),
      () => new tf.losses.CategoricalCrossentropy({ labelSmoothing: 2 }),
      () => new tf.losses.Huber({ delta: -1 }),
      () => { const m = tf.sequential(); m.add(tf.layers.dense({ units: 1, inputShape: [1] })); m.compile({ optimizer: tf.train.sgd(0.1, { clipnorm: -1 }), loss: 'mse' }); },
      () => { const m = tf.sequential(); m.add(tf.layers.dense({ units: 1, inputShape: [1] })); m.compile({ optimizer: tf.train.sgd(0.1, { clipnorm: 1, clipvalue: 1 }), loss: 'mse' }); },
      () => tf.train.sgd(0.1, { clipNorm: 1 }),
      () => tf.train.schedules.exponentialDecay({ initialLearningRate: 0.1 }),
      () => tf.train.schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: -2, decayRate: 0.5 }),
      () => tf.train.schedules.piecewiseConstantDecay({ boundaries: [1, 2], values: [0.1] }),
    ]) {
      try { f(); errors.push(null); } catch (e) { errors.push(String(e.message)); }
    }
    // An epoch-level learning-rate callback cannot drive a scheduled optimizer.
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 1, inputShape: [1] }));
    m.compile({ optimizer: tf.train.sgd(tf.train.schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5 })), loss: 'mse' });
    try {
      await m.fit(tf.ones([4, 1]), tf.ones([4, 1]), { epochs: 2, callbacks: [tf.callbacks.learningRateScheduler(() => 0.01)] });
      errors.push(null);
    } catch (e) {
      errors.push(String(e.message));
    }
    return {
      precision: await tf.metrics.precision(yTrue, yPred).data(),
      recall: await tf.metrics.recall(yTrue, yPred).data(),
      hinge: await tf.metrics.categoricalHinge(tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0.3, 0.2, 0.9]])).data(),
      errors,
    };
  });
  // Thresholded at 0.5: predicted positives 5, true positives 3, actual positives 4.
  assert.ok(Math.abs(r.precision[0] - 3 / 5) < 1e-6, `precision ${r.precision[0]}`);
  assert.ok(Math.abs(r.recall[0] - 3 / 4) < 1e-6, `recall ${r.recall[0]}`);
  // max(0, max(0.3, 0.9) - 0.2 + 1) = 1.7
  assert.ok(Math.abs(r.hinge[0] - 1.7) < 1e-6, `categorical hinge ${r.hinge[0]}`);
  const [fl, ls, delta, clip, both, unknown, sched, steps, piecewise, withCallback] = r.errors;
  assert.match(steps, /ExponentialDecay.*decaySteps must be a positive number/);
  assert.match(piecewise, /values must have one more entry than boundaries/);
  assert.match(withCallback, /learningRateScheduler.*ExponentialDecay schedule/);
  assert.match(fl, /MeanSquaredError.*fromLogits/);
  assert.match(ls, /labelSmoothing/);
  assert.match(delta, /delta/);
  assert.match(clip, /clipnorm must be a positive number/);
  assert.match(both, /only one of clipnorm/);
  assert.match(unknown, /unknown option clipNorm/);
  assert.match(sched, /ExponentialDecay.*decaySteps/);
});

test('reduceLROnPlateau and learningRateScheduler change the learning rate the step uses (webgpu and cpu)', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['webgpu', 'cpu']) {
      await tf.setBackend(backend);
      const x = tf.tensor2d([[1], [2], [3], [4]]);
      const y = tf.tensor2d([[2], [4], [6], [8]]);
      const make = () => {
        tf.util.seed(1);
        const m = tf.sequential();
        m.add(tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'zeros', useBias: false }));
        m.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
        return m;
      };
      // A scheduler that sets a zero rate from epoch 2: the weight stops moving there.
      const m1 = make();
      const seen = [];
      await m1.fit(x, y, {
        epochs: 4, batchSize: 4,
        callbacks: [tf.callbacks.learningRateScheduler((epoch) => (epoch < 2 ? 0.01 : 0)), { onEpochEnd: async () => seen.push((await m1.getWeights()[0].data())[0]) }],
      });
      // A plateau (a rate too small to move the loss) is cut by factor 0.5 after patience 2, again after cooldown 1.
      const m2 = make();
      m2.optimizer.learningRate = 1e-9;
      const rates = [];
      await m2.fit(x, y, {
        epochs: 8, batchSize: 4,
        callbacks: [tf.callbacks.reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, cooldown: 1 }), { onEpochEnd: () => rates.push(m2.optimizer.learningRate) }],
      });
      out[backend] = { seen, rates, backend: tf.getBackend() };
    }
    return out;
  });
  for (const backend of ['webgpu', 'cpu']) {
    const { seen, rates } = r[backend];
    assert.equal(r[backend].backend, backend);
    assert.ok(seen[1] > seen[0] && seen[0] > 0, `${backend}: the weight moves while the rate is 0.01: ${seen}`);
    assert.equal(seen[2], seen[1], `${backend}: a zero rate from epoch 2 freezes the weight: ${seen}`);
    assert.equal(seen[3], seen[1]);
    // Keras: no gain at epochs 1-2 (wait 2: cut), cooldown at 3 then waits 3-4 (cut), 5-6 (cut).
    assert.deepEqual(rates, [1e-9, 1e-9, 5e-10, 5e-10, 2.5e-10, 2.5e-10, 1.25e-10, 1.25e-10], `${backend} rates`);
  }
});

test('trainOnBatch takes one step on the whole batch: the same weights as fit with one batch per epoch', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['webgpu', 'cpu']) {
      await tf.setBackend(backend);
      const x = tf.tensor2d([[0, 1], [1, 0], [1, 1], [0, 0], [0.5, 0.2]]);
      const y = tf.tensor2d([[1], [1], [0], [0], [1]]);
      const make = () => {
        tf.util.seed(8);
        const m = tf.sequential();
        m.add(tf.layers.dense({ units: 4, activation: 'tanh', inputShape: [2] }));
        m.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
        m.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
        return m;
      };
      const a = make();
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await a.trainOnBatch(x, y));
      const bm = make();
      const h = await bm.fit(x, y, { epochs: 3, batchSize: 5, shuffle: false });
      const wa = await a.getWeights()[0].data();
      const wb = await bm.getWeights()[0].data();
      out[backend] = { results, fitLoss: h.history.loss, diff: Math.max(...Array.from(wa).map((v, i) => Math.abs(v - wb[i]))) };
    }
    return out;
  });
  for (const backend of ['webgpu', 'cpu']) {
    const o = r[backend];
    assert.ok(Array.isArray(o.results[0]) && o.results[0].length === 2, `${backend}: [loss, acc] ${JSON.stringify(o.results)}`);
    o.results.forEach((v, i) => assert.ok(Math.abs(v[0] - o.fitLoss[i]) < 1e-6, `${backend} step ${i}: ${v[0]} vs fit ${o.fitLoss[i]}`));
    assert.ok(o.diff < 1e-6, `${backend}: weights differ by ${o.diff}`);
  }
});

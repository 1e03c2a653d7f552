// Issue 13's user programs: code written as TF.js users write it (normalising with moments,
// sampling text with multinomial, reading predictions with topk), run unchanged on TF.js 4.22 and
// on Hebb in one page, on the CPU and on WebGPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';
import { openWithBackends, sameAll } from './surface/both.mjs';

const b = useBrowser({ label: 'user programs' });

test('normalising features with tf.moments, then training and predicting, gives TF.js\'s numbers', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const program = async (tf) => {
      // House prices from size and age, on very different scales.
      const raw = tf.tensor2d([[1400, 20], [1600, 5], [1700, 32], [1875, 2], [1100, 45], [1550, 12], [2350, 1], [2450, 8]]);
      const price = tf.tensor2d([[245], [312], [279], [308], [199], [219], [405], [324]]).div(100);
      const { mean, variance } = tf.moments(raw, 0);
      const normalise = (x) => x.sub(mean).div(variance.sqrt());
      const xs = normalise(raw);
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros' })] });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const h = await model.fit(xs, price, { epochs: 30, batchSize: 8, shuffle: false, verbose: 0 });
      const guess = model.predict(normalise(tf.tensor2d([[2000, 10]])));
      return {
        stats: [rec(mean), rec(variance), rec(xs.mean(0)), rec(tf.moments(xs, 0).variance)],
        trained: [rec(guess), { shape: [], dtype: 'float32', values: [h.history.loss[0], h.history.loss.at(-1)] }],
      };
    };
    return window.onBoth(program);
  });
  sameAll(r);
  const [first, last] = r.got.cpu.trained[1].values;
  assert.ok(last < first / 10, `loss ${first} -> ${last}`);
});

test('sampling text with tf.multinomial at a temperature follows the model\'s probabilities', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    const program = async (tf) => {
      const vocab = 'abcde';
      // A "model" whose next-character logits favour the character after the current one.
      const logitsAfter = (i) => tf.oneHot(tf.tensor1d([(i + 1) % vocab.length], 'int32'), vocab.length).mul(3).squeeze();
      const sample = (logits, temperature) => tf.tidy(() => tf.multinomial(logits.div(temperature).expandDims(0), 1).dataSync()[0]);
      let text = 'a';
      for (let k = 0; k < 12; k++) text += vocab[sample(logitsAfter(vocab.indexOf(text.at(-1))), 0.05)];
      // At temperature 1 the frequencies follow softmax(logits).
      const logits = tf.tensor1d([2, 1, 0, -1, 0.5]);
      const draws = tf.multinomial(logits.expandDims(0), 20000, 11).dataSync();
      const freq = Array.from({ length: 5 }, (_, c) => draws.filter((d) => d === c).length / draws.length);
      const probs = Array.from(tf.softmax(logits).dataSync());
      return { text, close: freq.every((f, c) => Math.abs(f - probs[c]) < 0.02), inRange: draws.every((d) => d >= 0 && d < 5) };
    };
    const want = await program(window.tfjs);
    const got = {};
    for (const backend of ['cpu', 'webgpu']) {
      await window.tf.setBackend(backend);
      got[backend] = await program(window.tf);
    }
    return { want, got };
  });
  // Near zero temperature both follow the model exactly; at temperature 1 both match its probabilities.
  assert.equal(r.want.text, 'abcdeabcdeabc');
  for (const g of Object.values(r.got)) assert.deepEqual(g, r.want);
});

test('reading a classifier\'s predictions with tf.topk gives TF.js\'s labels and scores', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const program = async (tf) => {
      const labels = ['cat', 'dog', 'bird', 'fish', 'frog', 'horse'];
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 6, inputShape: [4], activation: 'softmax', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) })] });
      model.setWeights([tf.tensor2d(Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7)), [4, 6]), tf.tensor1d([0.1, -0.2, 0.3, 0, 0.05, -0.1])]);
      const preds = model.predict(tf.tensor2d([[1, 0.5, -1, 2], [0, 0, 1, 1], [-2, 1, 0.5, 0]]));
      const { values, indices } = tf.topk(preds, 3);
      const top = await indices.array();
      return {
        topk: [rec(values), rec(indices), rec(tf.topk(preds.slice([0, 0], [1, 6]).squeeze(), 2).indices)],
        named: [{ shape: [], dtype: 'json', values: [JSON.stringify(top.map((row) => row.map((i) => labels[i])))] }],
      };
    };
    return window.onBoth(program);
  });
  sameAll(r);
});

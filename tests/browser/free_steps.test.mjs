// Recurrent inputs with a null number of steps (tf.input({shape: [null, 5]}), batchInputShape
// [1, null, 6]) beside TF.js 4.22 in one page: a seq2seq model (TF.js's translation example's
// shape: an encoder LSTM's states start a decoder LSTM, inference encoder and decoder models
// from the same layers) gives TF.js's values at several lengths from the same weights, trains
// at two lengths and decodes step by step; a stateful text-generation LSTM fed one step at a
// time matches TF.js; shapes print with null; weights that would depend on a null dim are
// refused naming the layer. CPU and WebGPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';
import { openBoth as open } from './surface/both.mjs';

const b = useBrowser({ label: 'free steps' });
const openBoth = () => open(b);

/** The seq2seq models of TF.js's translation example over vocabulary V with D units. */
const SEQ2SEQ = `(lib, V, D, inference = true) => {
  const encIn = lib.input({ shape: [null, V], name: 'encIn' });
  const [, h, c] = lib.layers.lstm({ units: D, returnState: true, name: 'encLstm' }).apply(encIn);
  const decIn = lib.input({ shape: [null, V], name: 'decIn' });
  const decLstm = lib.layers.lstm({ units: D, returnSequences: true, returnState: true, name: 'decLstm' });
  const dense = lib.layers.dense({ units: V, activation: 'softmax', name: 'decDense' });
  const out = dense.apply(decLstm.apply([decIn, h, c])[0]);
  const model = lib.model({ inputs: [encIn, decIn], outputs: out, name: 's2s' });
  if (!inference) return { model };
  const encoder = lib.model({ inputs: encIn, outputs: [h, c] });
  const hIn = lib.input({ shape: [D], name: 'hIn' });
  const cIn = lib.input({ shape: [D], name: 'cIn' });
  const [o2, h2, c2] = decLstm.apply([decIn, hIn, cIn]);
  const decoder = lib.model({ inputs: [decIn, hIn, cIn], outputs: [dense.apply(o2), h2, c2] });
  return { model, encoder, decoder };
}`;

test('a seq2seq model with null steps gives TF.js\'s values at several lengths, and its inference encoder and decoder step as TF.js\'s (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async (src) => {
    const seq2seq = new Function(`return ${src}`)();
    const V = 5;
    const D = 8;
    const oneHot = (lib, n, t, seed) => {
      const a = [];
      let s = seed;
      for (let i = 0; i < n; i++) {
        const row = [];
        for (let j = 0; j < t; j++) {
          s = (s * 7 + 3) % 11;
          row.push(Array.from({ length: V }, (_, k) => (k === s % V ? 1 : 0)));
        }
        a.push(row);
      }
      return lib.tensor3d(a);
    };
    const ref = seq2seq(window.tfjs, V, D);
    const weights = ref.model.getWeights().map((w) => [Array.from(w.dataSync()), w.shape]);
    const lines = (m) => { const l = []; m.summary(120, undefined, (x) => l.push(x)); return l; };
    // (The summary of a model whose layers other models also call lists every call's input
    // shapes in TF.js: compared on a model of its own.)
    const out = { shapes: ref.model.layers.map((l) => l.outputShape), summary: lines(seq2seq(window.tfjs, V, D, false).model), rows: {} };
    const maxDiff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    for (const backend of ['cpu', 'webgpu']) {
      await window.tf.setBackend(backend);
      const mine = seq2seq(window.tf, V, D);
      mine.model.setWeights(weights.map(([d, s]) => window.tf.tensor(d, s)));
      const row = { shapes: mine.model.layers.map((l) => l.outputShape), summary: lines(seq2seq(window.tf, V, D, false).model), diffs: [] };
      // Training-model predictions at three (encoder, decoder) lengths, and back to the first.
      for (const [te, td] of [[4, 3], [6, 5], [1, 2], [4, 3]]) {
        const a = await mine.model.predict([oneHot(window.tf, 3, te, 1), oneHot(window.tf, 3, td, 2)]).data();
        const want = ref.model.predict([oneHot(window.tfjs, 3, te, 1), oneHot(window.tfjs, 3, td, 2)]).dataSync();
        row.diffs.push([te, td, a.length, want.length, maxDiff(Array.from(a), Array.from(want))]);
      }
      // Inference: the encoder's states start the decoder, one step at a time.
      let states = mine.encoder.predict(oneHot(window.tf, 1, 5, 3));
      let refStates = ref.encoder.predict(oneHot(window.tfjs, 1, 5, 3));
      row.steps = [];
      for (let k = 0; k < 3; k++) {
        const [p, h, c] = mine.decoder.predict([oneHot(window.tf, 1, 1, 4 + k), ...states]);
        const [q, rh, rc] = ref.decoder.predict([oneHot(window.tfjs, 1, 1, 4 + k), ...refStates]);
        row.steps.push([p.shape, maxDiff(Array.from(await p.data()), Array.from(q.dataSync())), maxDiff(Array.from(await h.data()), Array.from(rh.dataSync()))]);
        states = [h, c];
        refStates = [rh, rc];
      }
      out.rows[backend] = row;
    }
    return out;
  }, SEQ2SEQ);
  assert.deepEqual(r.shapes[0], [null, null, 5]);
  assert.deepEqual(r.shapes[3], [[null, null, 8], [null, 8], [null, 8]]);
  for (const [backend, row] of Object.entries(r.rows)) {
    assert.deepEqual(row.shapes, r.shapes, `${backend}: layer output shapes`);
    assert.deepEqual(row.summary, r.summary, `${backend}: summary`);
    for (const [te, td, n, want, diff] of row.diffs) {
      assert.equal(n, want, `${backend}: ${te}/${td} steps: size`);
      assert.ok(diff < 1e-5, `${backend}: ${te}/${td} steps differ from TF.js by ${diff}`);
    }
    for (const [shape, dp, dh] of row.steps) {
      assert.deepEqual(shape, [1, 1, 5]);
      assert.ok(dp < 1e-5 && dh < 1e-5, `${backend}: a decoder step differs from TF.js by ${dp} / ${dh}`);
    }
  }
});

test('a seq2seq model with null steps learns to reverse sequences of two lengths and decodes them step by step (CPU and WebGPU)', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await openBoth();
  for (const backend of ['cpu', 'webgpu']) {
    const r = await page.evaluate(async ([src, backend]) => {
      const tf = window.tf;
      await tf.setBackend(backend);
      const seq2seq = new Function(`return ${src}`)();
      // Tokens 1..4; 0 starts the decoder. Targets are the source reversed.
      const V = 5;
      const { model, encoder, decoder } = seq2seq(tf, V, 32);
      model.compile({ optimizer: tf.train.adam(0.03), loss: 'categoricalCrossentropy' });
      let seed = 5;
      const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
      const data = (n, t) => {
        const src = Array.from({ length: n }, () => Array.from({ length: t }, () => 1 + Math.floor(rand() * 4)));
        const tgt = src.map((s) => s.slice().reverse());
        const oh = (seqs) => tf.oneHot(tf.tensor2d(seqs, undefined, 'int32'), V).cast('float32');
        return { src, tgt, enc: oh(src), dec: oh(tgt.map((s) => [0, ...s.slice(0, -1)])), y: oh(tgt) };
      };
      const losses = [];
      // Two fits at different lengths, twice: each length keeps its own planned steps.
      for (const t of [4, 3, 4, 3]) {
        const d = data(256, t);
        const h = await model.fit([d.enc, d.dec], d.y, { epochs: 12, batchSize: 32, verbose: 0 });
        losses.push(h.history.loss[0], h.history.loss[h.history.loss.length - 1]);
      }
      const decode = async (seq) => {
        let states = encoder.predict(tf.oneHot(tf.tensor2d([seq], undefined, 'int32'), V).cast('float32'));
        let token = 0;
        const out = [];
        for (let k = 0; k < seq.length; k++) {
          const [p, h, c] = decoder.predict([tf.oneHot(tf.tensor2d([[token]], undefined, 'int32'), V).cast('float32'), ...states]);
          token = (await p.argMax(-1).data())[0];
          out.push(token);
          states = [h, c];
        }
        return out;
      };
      let right = 0;
      let total = 0;
      for (const t of [3, 4]) {
        const d = data(20, t);
        for (let i = 0; i < d.src.length; i++) {
          const got = await decode(d.src[i]);
          total++;
          if (got.join() === d.tgt[i].join()) right++;
        }
      }
      return { losses, accuracy: right / total };
    }, [SEQ2SEQ, backend]);
    assert.ok(r.losses[r.losses.length - 1] < 0.3 * r.losses[0], `${backend}: the loss fell from ${r.losses[0]} to ${r.losses[r.losses.length - 1]} (${r.losses})`);
    assert.ok(r.accuracy >= 0.8, `${backend}: decoded ${r.accuracy * 100}% of the held-out sequences exactly (losses ${r.losses})`);
  }
});

test('a stateful LSTM with batchInputShape [1, null, 6] predicts one step at a time as TF.js does (text generation); null-step errors name the layer', { timeout: 90_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const build = (lib) => {
      const m = lib.sequential();
      m.add(lib.layers.lstm({ units: 7, stateful: true, returnSequences: true, batchInputShape: [1, null, 6], name: 'lstm' }));
      m.add(lib.layers.lstm({ units: 5, stateful: true, name: 'lstm2' }));
      m.add(lib.layers.dense({ units: 6, activation: 'softmax', name: 'out' }));
      return m;
    };
    const ref = build(window.tfjs);
    const weights = ref.getWeights().map((w) => [Array.from(w.dataSync()), w.shape]);
    const xs = [[3, 0.5], [1, -1], [0, 2], [5, 0.1]].map(([k, v], i) => Array.from({ length: (i % 3) + 1 }, (_, t) => Array.from({ length: 6 }, (_, j) => (j === (k + t) % 6 ? 1 : v * 0.1))));
    const want = xs.map((x) => Array.from(ref.predict(window.tfjs.tensor3d([x])).dataSync()));
    const lines = (m) => { const l = []; m.summary(100, undefined, (x) => l.push(x)); return l; };
    const out = { shapes: ref.layers.map((l) => l.outputShape), summary: lines(ref), rows: {} };
    for (const backend of ['cpu', 'webgpu']) {
      await window.tf.setBackend(backend);
      const m = build(window.tf);
      m.setWeights(weights.map(([d, s]) => window.tf.tensor(d, s)));
      const got = [];
      for (const x of xs) got.push(Array.from(await m.predict(window.tf.tensor3d([x])).data()));
      out.rows[backend] = { shapes: m.layers.map((l) => l.outputShape), summary: lines(m), diff: Math.max(...got.flat().map((v, i) => Math.abs(v - want.flat()[i]))) };
    }
    const errors = [];
    const tf = window.tf;
    try {
      const x = tf.input({ shape: [null, 3] });
      tf.layers.dense({ units: 2, name: 'after_flatten' }).apply(tf.layers.flatten().apply(x));
    } catch (e) { errors.push(e.message); }
    try {
      const m = tf.sequential();
      m.add(tf.layers.lstm({ units: 2, inputShape: [null, 3], name: 'l' }));
      m.predict(tf.zeros([2, 4, 5]));
    } catch (e) { errors.push(e.message); }
    return { ...out, errors };
  });
  assert.deepEqual(r.shapes, [[1, null, 7], [1, 5], [1, 6]]);
  for (const [backend, row] of Object.entries(r.rows)) {
    // The fixed batch of 1 shows first, as in TF.js.
    assert.deepEqual(row.shapes, r.shapes, `${backend}: shapes`);
    assert.deepEqual(row.summary, r.summary, `${backend}: summary with the fixed batch`);
    assert.ok(row.diff < 1e-5, `${backend}: stateful steps differ from TF.js by ${row.diff}`);
  }
  assert.equal(r.errors.length, 2, JSON.stringify(r.errors));
  assert.match(r.errors[0], /Dense 'after_flatten'.*\[null,null\].*not fully defined/);
  assert.match(r.errors[1], /LSTM 'l'.*\[null,null,3\].*\[null,4,5\]/);
});

test('null dims around the recurrent layers: images of any size through conv2d and pooling, conv1d, masking with bidirectional and timeDistributed, multiHeadAttention (TF.js\'s values, or a fixed-length model\'s)', { timeout: 60_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const maxDiff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    const out = {};
    // Against TF.js: the same weights, two input sizes each.
    const vsTfjs = {
      conv2d: [(T) => {
        const i = T.input({ shape: [null, null, 3] });
        const c = T.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(i);
        const g = T.layers.globalAveragePooling2d({}).apply(T.layers.maxPooling2d({ poolSize: 2 }).apply(c));
        return T.model({ inputs: i, outputs: T.layers.dense({ units: 2 }).apply(g) });
      }, [[2, 8, 8, 3], [1, 12, 10, 3]]],
      conv1d: [(T) => {
        const i = T.input({ shape: [null, 3] });
        const c = T.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2 }).apply(i);
        return T.model({ inputs: i, outputs: T.layers.globalMaxPooling1d({}).apply(c) });
      }, [[2, 9, 3], [1, 5, 3]]],
    };
    for (const [name, [f, shapes]] of Object.entries(vsTfjs)) {
      const ref = f(window.tfjs);
      const mine = f(window.tf);
      mine.setWeights(ref.getWeights().map((w) => window.tf.tensor(Array.from(w.dataSync()), w.shape)));
      out[name] = { shape: mine.outputs[0].shape, want: ref.outputs[0].shape, diffs: [] };
      for (const s of shapes) {
        const d = Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(k));
        out[name].diffs.push(maxDiff(Array.from(mine.predict(window.tf.tensor(d, s)).dataSync()), Array.from(ref.predict(window.tfjs.tensor(d, s)).dataSync())));
      }
    }
    // Against Hebb's own fixed-length model with the same weights.
    const tf = window.tf;
    const masked = (steps) => {
      const i = tf.input({ shape: [steps] });
      const e = tf.layers.embedding({ inputDim: 7, outputDim: 4, maskZero: true }).apply(i);
      const b = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true }) }).apply(e);
      return tf.model({ inputs: i, outputs: tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }).apply(b) });
    };
    const free = masked(null);
    out.masked = { shape: free.outputs[0].shape, diffs: [] };
    for (const ids of [[[1, 2, 3, 0, 0], [4, 0, 5, 6, 1]], [[3, 0], [2, 2]]]) {
      const fixed = masked(ids[0].length);
      fixed.setWeights(free.getWeights());
      out.masked.diffs.push(maxDiff(Array.from(free.predict(tf.tensor(ids)).dataSync()), Array.from(fixed.predict(tf.tensor(ids)).dataSync())));
    }
    const attention = (tq, tv) => {
      const q = tf.input({ shape: [tq, 4] });
      const v = tf.input({ shape: [tv, 4] });
      return tf.model({ inputs: [q, v], outputs: tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([q, v]) });
    };
    const freeAtt = attention(null, null);
    out.attention = { shape: freeAtt.outputs[0].shape, diffs: [] };
    for (const [tq, tv] of [[3, 5], [2, 2]]) {
      const fixed = attention(tq, tv);
      fixed.setWeights(freeAtt.getWeights());
      const xs = [tf.randomNormal([2, tq, 4], 0, 1, 'float32', 2), tf.randomNormal([2, tv, 4], 0, 1, 'float32', 3)];
      out.attention.diffs.push(maxDiff(Array.from(freeAtt.predict(xs).dataSync()), Array.from(fixed.predict(xs).dataSync())));
    }
    return out;
  });
  assert.deepEqual(r.conv2d.shape, r.conv2d.want);
  assert.deepEqual(r.conv1d.shape, [null, 4]);
  assert.deepEqual(r.masked.shape, [null, null, 2]);
  assert.deepEqual(r.attention.shape, [null, null, 4]);
  for (const [name, row] of Object.entries(r)) {
    for (const d of row.diffs) assert.ok(d < 1e-5, `${name}: differs by ${d} (${row.diffs})`);
  }
});

test('fitDataset over batches of different lengths (3, 5, 8 steps in turn) trains one model with null steps, and it predicts sequences of a length it never saw (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openBoth();
  for (const backend of ['cpu', 'webgpu']) {
    const r = await page.evaluate(async (backend) => {
      const tf = window.tf;
      await tf.setBackend(backend);
      const m = tf.sequential();
      m.add(tf.layers.embedding({ inputDim: 10, outputDim: 4, inputShape: [null] }));
      m.add(tf.layers.lstm({ units: 8 }));
      m.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
      m.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      // The label says whether token 7 appears anywhere in the sequence.
      let s = 3;
      const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
      const batch = (t, n) => {
        const xs = [];
        const ys = [];
        for (let i = 0; i < n; i++) {
          const row = Array.from({ length: t }, () => Math.floor(rnd() * 9));
          if (rnd() < 0.5) row[Math.floor(rnd() * t)] = 7;
          xs.push(row);
          ys.push([row.includes(7) ? 1 : 0]);
        }
        return { xs: tf.tensor2d(xs), ys: tf.tensor2d(ys) };
      };
      const ds = tf.data.generator(function* gen() { for (let b = 0; b < 60; b++) yield batch([3, 5, 8][b % 3], 16); });
      const h = await m.fitDataset(ds, { epochs: 3, verbose: 0 });
      const held = batch(11, 64);
      const p = await m.predict(held.xs).data();
      const y = await held.ys.data();
      const right = Array.from(p).filter((v, i) => (v > 0.5) === (y[i] > 0.5)).length;
      return { losses: h.history.loss, accuracy: right / 64 };
    }, backend);
    assert.ok(r.losses[2] < 0.5 * r.losses[0], `${backend}: losses ${r.losses}`);
    assert.ok(r.accuracy >= 0.9, `${backend}: ${r.accuracy * 100}% right on 11-step sequences`);
  }
});

test('a custom layer under a null number of steps: recorded once, replayed at each length; TF.js\'s values at two lengths, and it trains (CPU and WebGPU)', { timeout: 90_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const make = (lib) => {
      // A TF.js-style custom layer: features scaled by a weight.
      class Scale extends lib.layers.Layer {
        build(s) { this.w = this.addWeight('w', [s[s.length - 1]], 'float32', lib.initializers.ones()); }
        call(x) { return lib.mul(Array.isArray(x) ? x[0] : x, this.w.read()); }
        computeOutputShape(s) { return s; }
        static get className() { return 'Scale'; }
      }
      const i = lib.input({ shape: [null, 3] });
      const s = new Scale({ name: 'scale' }).apply(i);
      const l = lib.layers.lstm({ units: 4, name: 'l' }).apply(s);
      return lib.model({ inputs: i, outputs: lib.layers.dense({ units: 2, name: 'o' }).apply(l) });
    };
    const ref = make(window.tfjs);
    const ws = ref.getWeights().map((w, k) => (k === 0 ? window.tfjs.tensor1d([1, 2, -1]) : w));
    ref.setWeights(ws);
    const out = { rows: {} };
    for (const backend of ['cpu', 'webgpu']) {
      await window.tf.setBackend(backend);
      const m = make(window.tf);
      m.setWeights(ws.map((w) => window.tf.tensor(Array.from(w.dataSync()), w.shape)));
      const diffs = [];
      for (const t of [4, 9]) {
        const d = Array.from({ length: 2 * t * 3 }, (_, k) => Math.sin(k));
        const a = await m.predict(window.tf.tensor(d, [2, t, 3])).data();
        const b = ref.predict(window.tfjs.tensor(d, [2, t, 3])).dataSync();
        diffs.push(Math.max(...Array.from(a).map((v, k) => Math.abs(v - b[k]))));
      }
      m.compile({ optimizer: window.tf.train.adam(0.05), loss: 'meanSquaredError' });
      const h = await m.fit(window.tf.ones([8, 6, 3]), window.tf.zeros([8, 2]), { epochs: 5, batchSize: 4, verbose: 0 });
      out.rows[backend] = { shapes: m.layers.map((l) => l.outputShape), diffs, losses: h.history.loss };
    }
    return out;
  });
  for (const [backend, row] of Object.entries(r.rows)) {
    assert.deepEqual(row.shapes, [[null, null, 3], [null, null, 3], [null, 4], [null, 2]], `${backend}: shapes`);
    row.diffs.forEach((d) => assert.ok(d < 1e-5, `${backend}: differs from TF.js by ${d}`));
    assert.ok(row.losses[4] < row.losses[0], `${backend}: losses ${row.losses}`);
  }
});

test('a batch-dependent custom layer (noise of the batch\'s shape) under null steps keeps its recordings for every length: batches of 3 at 6 steps, then at 4', { timeout: 60_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const tf = window.tf;
    class Noise extends tf.layers.Layer {
      call(x) { const t = Array.isArray(x) ? x[0] : x; return tf.add(t, tf.mul(0, tf.randomNormal([t.shape[0], 1, 3]))); }
      computeOutputShape(s) { return s; }
      static get className() { return 'Noise'; }
    }
    const i = tf.input({ shape: [null, 3] });
    const m = tf.model({ inputs: i, outputs: tf.layers.globalAveragePooling1d({}).apply(new Noise({ name: 'noise' }).apply(i)) });
    const out = [];
    // Each (batch, steps) pair: a recording per batch size, the layers built per length.
    for (const [b, t] of [[2, 4], [3, 6], [3, 4], [4, 6], [2, 6]]) {
      try {
        const y = m.predict(tf.ones([b, t, 3]), { batchSize: b });
        out.push([y.shape, Array.from(y.dataSync()).every((v) => v === 1)]);
      } catch (e) { out.push(e.message); }
    }
    return out;
  });
  assert.deepEqual(r, [[[2, 3], true], [[3, 3], true], [[3, 3], true], [[4, 3], true], [[2, 3], true]]);
});

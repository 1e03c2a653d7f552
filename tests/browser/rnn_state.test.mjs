// Recurrent layers' states through the public API: returnState gives [output, h(, c)],
// initialState starts a layer from given states. An encoder-decoder (the encoder's final LSTM
// states seed the decoder) learns to copy a sequence it only sees through those states, on WebGPU
// and the CPU, while the same decoder without them cannot; the model saves and loads with its
// multi-output connections; summary() and outputShape list every output; eager apply takes
// initialState tensors; misuse raises errors that name the layer and the shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'rnn_state' });

// Sequences of T symbols from V; the decoder's input is a constant "go" step at every position,
// so only the states carry the sequence to it.
const SEQ2SEQ = async ({ backend, withState, epochs }) => {
  await tf.setBackend(backend);
  tf.util.seed(11);
  const T = 4, V = 5, H = 32;
  let s = 77;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const make = (n) => {
    const x = [], y = [];
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < T; t++) {
        const v = Math.floor(rand() * V);
        for (let k = 0; k < V; k++) { x.push(k === v ? 1 : 0); y.push(k === v ? 1 : 0); }
      }
    }
    return { x: tf.tensor3d(x, [n, T, V]), y: tf.tensor3d(y, [n, T, V]), go: tf.ones([n, T, 1]) };
  };
  const train = make(1200);
  const held = make(300);
  const enc = tf.input({ shape: [T, V], name: 'enc' });
  const go = tf.input({ shape: [T, 1], name: 'go' });
  const encoder = tf.layers.lstm({ units: H, returnState: true, name: 'encoder' });
  const [, h, c] = encoder.apply(enc);
  const decoder = tf.layers.lstm({ units: H, returnSequences: true, name: 'decoder' });
  const seq = withState ? decoder.apply(go, { initialState: [h, c] }) : decoder.apply(go);
  const out = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: V, activation: 'softmax' }), name: 'out' }).apply(seq);
  // Without the states the decoder still gets the encoder's output through no path: the model
  // then only has the 'go' input, so keep enc as an (unused by the decoder) input for both.
  const model = tf.model({ inputs: withState ? [enc, go] : [go], outputs: out });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await model.fit(withState ? [train.x, train.go] : [train.go], train.y, { epochs, batchSize: 32, verbose: 0 });
  const p = model.predict(withState ? [held.x, held.go] : [held.go]);
  const pred = p.argMax(-1).dataSync();
  const truth = held.y.argMax(-1).dataSync();
  let right = 0;
  for (let i = 0; i < pred.length; i++) right += pred[i] === truth[i] ? 1 : 0;
  const result = { acc: right / pred.length, outputShape: encoder.outputShape };
  if (withState) {
    const lines = [];
    model.summary(undefined, undefined, (l) => lines.push(l));
    result.summary = lines;
    await model.save('indexeddb://rnn-state-seq2seq');
    const loaded = await tf.loadLayersModel('indexeddb://rnn-state-seq2seq');
    const q = loaded.predict([held.x, held.go]);
    result.maxDiff = tf.max(tf.abs(tf.sub(p, q))).dataSync()[0];
    result.loadedInputs = loaded.inputs.length;
  }
  return result;
};

test('an encoder-decoder passes LSTM states with returnState/initialState and learns to copy (WebGPU and CPU)', { timeout: 4 * TRAIN_TIMEOUT }, async (t) => {
  const page = await b.openHebb();
  for (const backend of ['webgpu', 'cpu']) {
    const r = await page.evaluate(SEQ2SEQ, { backend, withState: true, epochs: 25 });
    t.diagnostic(`${backend}: held-out token accuracy ${r.acc}`);
    assert.ok(r.acc >= 0.9, `${backend}: held-out token accuracy ${r.acc} < 0.9`);
    assert.deepEqual(r.outputShape, [[null, 32], [null, 32], [null, 32]]);
    assert.ok(r.maxDiff <= 1e-5, `${backend}: the loaded model predicts differently (max diff ${r.maxDiff})`);
    assert.equal(r.loadedInputs, 2);
    const enc = r.summary.find((l) => l.startsWith('encoder (LSTM)'));
    // (TF.js cuts the list of output shapes at the column width, as here.)
    assert.match(enc, /\[\[null,32\],\[null,32\],\[nu/, `encoder row: ${enc}`);
    const at = r.summary.findIndex((l) => l.startsWith('decoder (LSTM)'));
    const rows = r.summary.slice(at, at + 3).join('\n');
    for (const conn of ['go[0][0]', 'encoder[0][1]', 'encoder[0][2]']) assert.ok(rows.includes(conn), `decoder's inputs list ${conn}:\n${rows}`);
  }
  // The control: the same decoder without the encoder's states sees only constant input, so it
  // cannot beat guessing by much (chance is 1/5).
  const ctl = await page.evaluate(SEQ2SEQ, { backend: 'cpu', withState: false, epochs: 5 });
  t.diagnostic(`without the states: accuracy ${ctl.acc}`);
  assert.ok(ctl.acc < 0.4, `without the states the decoder should not copy, accuracy ${ctl.acc}`);
});

test('GRU, SimpleRNN and bidirectional layers return their states; eager apply takes initialState tensors', async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    await tf.setBackend('cpu');
    const x = tf.input({ shape: [6, 3] });
    const gru = tf.layers.gru({ units: 4, returnState: true, returnSequences: true });
    const g = gru.apply(x);
    const simple = tf.layers.simpleRNN({ units: 5, returnState: true });
    const sr = simple.apply(x);
    const bi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnState: true }) });
    const bo = bi.apply(x);
    const shapes = (l) => (Array.isArray(l) ? l.map((t) => t.shape) : l.shape);
    // Eager: a layer applied to tensors with initialState tensors.
    const lstm = tf.layers.lstm({ units: 3, returnState: true, kernelInitializer: 'glorotUniform' });
    const xt = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 1);
    const h0 = tf.zeros([2, 3]);
    const c0 = tf.zeros([2, 3]);
    const [o1, h1, c1] = lstm.apply(xt, { initialState: [h0, c0] });
    const [o2] = lstm.apply(xt, { initialState: [tf.onesLike(h0), tf.onesLike(c0)] });
    const sameAsH = tf.max(tf.abs(tf.sub(o1, h1))).dataSync()[0];
    const differs = tf.max(tf.abs(tf.sub(o1, o2))).dataSync()[0];
    return { g: shapes(g), sr: shapes(sr), bo: shapes(bo), eager: [o1.shape, h1.shape, c1.shape], sameAsH, differs };
  });
  assert.deepEqual(r.g, [[null, 6, 4], [null, 4]]);
  assert.deepEqual(r.sr, [[null, 5], [null, 5]]);
  assert.deepEqual(r.bo, [[null, 4], [null, 2], [null, 2], [null, 2], [null, 2]]);
  assert.deepEqual(r.eager, [[2, 3], [2, 3], [2, 3]]);
  assert.ok(r.sameAsH <= 1e-6, 'without returnSequences the output is the final h');
  assert.ok(r.differs > 1e-3, 'the initial state changes the output');
});

test('state misuse raises errors naming the layer and the shapes', async () => {
  const page = await b.openHebb();
  const errs = await page.evaluate(async () => {
    const out = {};
    const grab = (k, f) => { try { f(); out[k] = 'no error'; } catch (e) { out[k] = e.message; } };
    const x = tf.input({ shape: [5, 3] });
    const h = tf.input({ shape: [4] });
    const wrong = tf.input({ shape: [7] });
    grab('sequential', () => {
      const m = tf.sequential();
      m.add(tf.layers.lstm({ units: 4, returnState: true, inputShape: [5, 3], name: 'seq_lstm' }));
    });
    grab('count', () => tf.layers.lstm({ units: 4, name: 'needs_two' }).apply(x, { initialState: [h] }));
    grab('shape', () => tf.layers.gru({ units: 4, name: 'bad_shape' }).apply(x, { initialState: [wrong] }));
    grab('dense', () => tf.layers.dense({ units: 4, name: 'plain' }).apply(x, { initialState: [h] }));
    grab('bidi', () => tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4 }), name: 'bi' }).apply(x, { initialState: [h] }));
    // The eager path checks the batch of the given states.
    grab('batch', () => tf.layers.simpleRNN({ units: 4, name: 'eager_rnn' }).apply(tf.zeros([2, 5, 3]), { initialState: [tf.zeros([3, 4])] }));
    return out;
  });
  assert.match(errs.sequential, /seq_lstm.*returnState.*tf\.model/);
  assert.match(errs.count, /LSTM 'needs_two'.*initialState must be 2 tensors \(h and c\) of shape \[null,4\], received 1 of shape \[null,4\]/);
  assert.match(errs.shape, /GRU 'bad_shape'.*initialState must be 1 tensor \(h\) of shape \[null,4\].*\[null,7\]/);
  assert.match(errs.dense, /Dense 'plain'.*initialState is only for recurrent layers/);
  assert.match(errs.bidi, /Bidirectional 'bi'.*initialState must be 2 tensors/);
  assert.match(errs.batch, /SimpleRNN 'eager_rnn'/);
  assert.match(errs.batch, /\[3,4\]|\[2,4\]/);
});

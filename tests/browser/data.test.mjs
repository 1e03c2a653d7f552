// tf.data pipelines and model.fitDataset / evaluateDataset, through the public TF.js-style API in
// headless Chromium. Expected values are TF.js's documented results for the same calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openHebbWithHelpers, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'data' });

// Page helpers: fitDataset/evaluateDataset through the model's methods when it has them (else the
// test exports), a 2-class blobs problem and a small dense classifier.
const DATA_HELPERS = `
window.D = {
  fit(model, ds, args) {
    return typeof model.fitDataset === 'function' ? model.fitDataset(ds, args) : tf._fitDataset(model, ds, args);
  },
  evaluate(model, ds, args) {
    return typeof model.evaluateDataset === 'function' ? model.evaluateDataset(ds, args) : tf._evaluateDataset(model, ds, args);
  },
  // n points: class 0 around (-1, -1), class 1 around (1, 1); returns {x: number[][], y: number[]}
  blobs(n, seed) {
    const rand = T.rng(seed);
    const x = [], y = [];
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      const m = c ? 1 : -1;
      x.push([m + 0.6 * T.gauss(rand), m + 0.6 * T.gauss(rand)]);
      y.push(c);
    }
    return { x, y };
  },
  classifier() {
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [2] }));
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    return model;
  },
  // The blobs as a dataset of {xs, ys} batches.
  dataset(n, seed, batch) {
    const { x, y } = D.blobs(n, seed);
    return tf.data.zip({ xs: tf.data.array(x), ys: tf.data.array(y.map((v) => [v])) }).batch(batch);
  },
  async errorOf(fn) {
    try {
      await fn();
    } catch (e) {
      return { isError: e instanceof Error, message: e.message };
    }
    return { isError: false, message: 'no error thrown' };
  },
};
`;

async function openPage() {
  const page = await openHebbWithHelpers(b);
  await page.evaluate(DATA_HELPERS);
  return page;
}

test('array, batch, map, filter, take, skip, repeat, concatenate, prefetch, zip, generator: values and sizes', async () => {
  const page = await openPage();
  const r = await page.evaluate(async () => {
    const vals = async (ds) => (await ds.toArray()).map((e) => {
      if (e instanceof tf.Tensor) { const v = e.arraySync(); e.dispose(); return v; }
      return e;
    });
    const a8 = tf.data.array([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = {};
    out.batch = await vals(a8.batch(3));
    out.batchSizes = [a8.size, a8.batch(3).size, a8.batch(3, false).size, a8.batch(4).size];
    out.batchNoSmall = await vals(a8.batch(3, false));
    const b0 = (await a8.batch(3).toArray())[0];
    out.batchMeta = { shape: b0.shape, dtype: b0.dtype };
    b0.dispose();
    // Objects batch key by key; nested numeric arrays become n-D tensors.
    const objs = await tf.data.array([{ a: 1, b: [1, 2] }, { a: 2, b: [3, 4] }, { a: 3, b: [5, 6] }]).batch(2).toArray();
    out.objs = objs.map((e) => ({ keys: Object.keys(e).sort(), a: e.a.arraySync(), b: e.b.arraySync(), bShape: e.b.shape }));
    objs.forEach((e) => tf.dispose(e));
    // Tensors stack on a new leading axis, keeping their dtype; arrays holding tensors batch element-wise.
    const pairs = await tf.data.array([[tf.tensor1d([1, 2]), tf.scalar(0, 'int32')], [tf.tensor1d([3, 4]), tf.scalar(1, 'int32')]]).batch(2).toArray();
    out.pairs = { isArray: Array.isArray(pairs[0]), x: pairs[0][0].arraySync(), xShape: pairs[0][0].shape, y: pairs[0][1].arraySync(), yDtype: pairs[0][1].dtype };
    tf.dispose(pairs);
    out.bools = await vals(tf.data.array([true, false, true]).batch(3));
    out.map = await vals(a8.map((x) => x * x));
    out.mapTensor = await vals(tf.data.array([1, 2, 3]).map((x) => tf.scalar(x).mul(10)).batch(3));
    out.mapAsync = await vals(a8.mapAsync(async (x) => { await new Promise((res) => setTimeout(res, 1)); return -x; }));
    out.filter = await vals(a8.filter((x) => x % 2 === 0));
    out.filterAsync = await vals(a8.filter(async (x) => x > 6));
    out.take = await vals(a8.take(3));
    out.skip = await vals(a8.skip(5));
    out.repeat = await vals(tf.data.array([1, 2, 3]).repeat(2));
    out.repeatForever = await vals(tf.data.array([1, 2, 3]).repeat().take(7));
    out.concat = await vals(tf.data.array([1, 2]).concatenate(tf.data.array([3])));
    out.prefetch = await vals(a8.map((x) => x + 100).prefetch(3));
    out.chain = await vals(a8.filter((x) => x > 2).map((x) => x * 10).skip(1).take(4).batch(2));
    out.sizes = {
      filter: a8.filter(() => true).size, take: a8.take(3).size, takeMore: a8.take(20).size, skip: a8.skip(5).size,
      skipMore: a8.skip(20).size, repeat2: a8.repeat(2).size, repeatForever: a8.repeat().size, repeatTake: a8.repeat().take(5).size,
      repeatBatch: a8.repeat().batch(3).size, concat: a8.concatenate(a8.take(2)).size, map: a8.map((x) => x).size,
      shuffle: a8.shuffle(8).size, prefetch: a8.prefetch(2).size,
    };
    // zip: arrays, objects and nested structures; the shortest dataset sets the length.
    const d3 = tf.data.array([1, 2, 3]);
    const d2 = tf.data.array([{ b: 10 }, { b: 20 }]);
    out.zipArray = await tf.data.zip([d3, d2]).toArray();
    out.zipObject = await tf.data.zip({ n: d3, o: d2 }).toArray();
    out.zipNested = await tf.data.zip({ a: d3, rest: [d3.map((x) => x * 2), { deep: d3.skip(1) }] }).toArray();
    out.zipSizes = [tf.data.zip([d3, d2]).size, tf.data.zip([d3, d3.filter(() => true)]).size];
    // generator: sync and async generator functions, or a function returning an iterator; each
    // pass calls the function again.
    let calls = 0;
    const gen = tf.data.generator(function* () { calls++; for (let i = 0; i < 4; i++) yield i; });
    out.gen = [await gen.toArray(), await gen.toArray(), calls, gen.size];
    out.genAsync = await tf.data.generator(async function* () { yield 'a'.length; await null; yield 2; }).toArray();
    out.genNext = await tf.data.generator(() => { let i = 0; return { next: () => (i < 3 ? { value: i++ * 5, done: false } : { value: null, done: true }) }; }).toArray();
    out.genRepeat = await vals(tf.data.generator(function* () { yield 1; yield 2; }).repeat(3));
    // iterator(): next() gives {value, done}.
    const it = await tf.data.array([7, 8]).iterator();
    out.iter = [await it.next(), await it.next(), await it.next()];
    const seen = [];
    await tf.data.array([3, 1, 2]).forEachAsync((x) => { seen.push(x); });
    out.forEach = seen;
    out.isDataset = a8 instanceof tf.data.Dataset && a8.batch(2) instanceof tf.data.Dataset;
    // Tensor pipelines free what they consume: a pass leaves the tensor count where it was, and
    // array()'s source tensors survive every pass.
    const src = [tf.tensor1d([1, 2]), tf.tensor1d([3, 4]), tf.tensor1d([5, 6])];
    const pipe = tf.data.array(src).map((t) => t.mul(2)).shuffle(3, 1).batch(2);
    const before = tf.memory().numTensors;
    const sums = [];
    for (let pass = 0; pass < 2; pass++) await pipe.forEachAsync((t) => { sums.push(tf.tidy(() => t.sum().dataSync()[0])); });
    const earlyStop = await pipe.iterator();
    const firstBatch = (await earlyStop.next()).value;
    firstBatch.dispose();
    await earlyStop.return();
    out.memory = { before, after: tf.memory().numTensors, srcAlive: src.every((t) => !t.isDisposed), sums };
    return out;
  });
  assert.deepEqual(r.batch, [[1, 2, 3], [4, 5, 6], [7, 8]]);
  assert.deepEqual(r.batchSizes, [8, 3, 2, 2]);
  assert.deepEqual(r.batchNoSmall, [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(r.batchMeta, { shape: [3], dtype: 'float32' });
  assert.deepEqual(r.objs, [
    { keys: ['a', 'b'], a: [1, 2], b: [[1, 2], [3, 4]], bShape: [2, 2] },
    { keys: ['a', 'b'], a: [3], b: [[5, 6]], bShape: [1, 2] },
  ]);
  assert.deepEqual(r.pairs, { isArray: true, x: [[1, 2], [3, 4]], xShape: [2, 2], y: [0, 1], yDtype: 'int32' });
  assert.deepEqual(r.bools, [[1, 0, 1]]);
  assert.deepEqual(r.map, [1, 4, 9, 16, 25, 36, 49, 64]);
  assert.deepEqual(r.mapTensor, [[10, 20, 30]]);
  assert.deepEqual(r.mapAsync, [-1, -2, -3, -4, -5, -6, -7, -8]);
  assert.deepEqual(r.filter, [2, 4, 6, 8]);
  assert.deepEqual(r.filterAsync, [7, 8]);
  assert.deepEqual(r.take, [1, 2, 3]);
  assert.deepEqual(r.skip, [6, 7, 8]);
  assert.deepEqual(r.repeat, [1, 2, 3, 1, 2, 3]);
  assert.deepEqual(r.repeatForever, [1, 2, 3, 1, 2, 3, 1]);
  assert.deepEqual(r.concat, [1, 2, 3]);
  assert.deepEqual(r.prefetch, [101, 102, 103, 104, 105, 106, 107, 108]);
  assert.deepEqual(r.chain, [[40, 50], [60, 70]]);
  assert.deepEqual(r.sizes, {
    filter: null, take: 3, takeMore: 8, skip: 3, skipMore: 0, repeat2: 16, repeatForever: Infinity, repeatTake: 5,
    repeatBatch: Infinity, concat: 10, map: 8, shuffle: 8, prefetch: 8,
  });
  assert.deepEqual(r.zipArray, [[1, { b: 10 }], [2, { b: 20 }]]);
  assert.deepEqual(r.zipObject, [{ n: 1, o: { b: 10 } }, { n: 2, o: { b: 20 } }]);
  assert.deepEqual(r.zipNested, [{ a: 1, rest: [2, { deep: 2 }] }, { a: 2, rest: [4, { deep: 3 }] }]);
  assert.deepEqual(r.zipSizes, [2, null]);
  assert.deepEqual(r.gen, [[0, 1, 2, 3], [0, 1, 2, 3], 2, null]);
  assert.deepEqual(r.genAsync, [1, 2]);
  assert.deepEqual(r.genNext, [0, 5, 10]);
  assert.deepEqual(r.genRepeat, [1, 2, 1, 2, 1, 2]);
  assert.deepEqual(r.iter, [{ value: 7, done: false }, { value: 8, done: false }, { value: undefined, done: true }]);
  assert.deepEqual(r.forEach, [3, 1, 2]);
  assert.equal(r.isDataset, true);
  assert.equal(r.memory.after, r.memory.before, `tensors before ${r.memory.before}, after ${r.memory.after}`);
  assert.equal(r.memory.srcAlive, true);
  // Each pass: the doubled rows (sums 6, 14, 22) in some order, batched 2 + 1.
  for (const pass of [r.memory.sums.slice(0, 2), r.memory.sums.slice(2)]) {
    assert.ok([6, 14, 22].includes(pass[1]), `sums ${r.memory.sums}`);
    assert.equal(pass[0] + pass[1], 42, `sums ${r.memory.sums}`);
  }
});

test('shuffle: a seeded permutation, reproducible, reshuffled each pass unless told not to', async () => {
  const page = await openPage();
  const r = await page.evaluate(async () => {
    const n = 50;
    const items = Array.from({ length: n }, (_, i) => i);
    const ds = tf.data.array(items).shuffle(n, 'seed-1');
    const p1 = await ds.toArray();
    const p2 = await ds.toArray();
    const again = await tf.data.array(items).shuffle(n, 'seed-1').toArray();
    const other = await tf.data.array(items).shuffle(n, 'seed-2').toArray();
    const fixed = tf.data.array(items).shuffle(n, 7, false);
    const f1 = await fixed.toArray();
    const f2 = await fixed.toArray();
    const small = await tf.data.array(items).shuffle(5, 3).toArray();
    const unseeded = await tf.data.array(items).shuffle(n).toArray();
    // Shuffled batches of tensors: every row once per pass.
    const rows = await tf.data.array(items.map((i) => [i, -i])).shuffle(n, 9).batch(10).toArray();
    const flat = rows.flatMap((t) => { const v = t.arraySync(); t.dispose(); return v; });
    return { items, p1, p2, again, other, f1, f2, small, unseeded, flat };
  });
  const sorted = (a) => a.slice().sort((x, y) => x - y);
  for (const [name, p] of Object.entries({ p1: r.p1, p2: r.p2, f1: r.f1, small: r.small, unseeded: r.unseeded })) {
    assert.deepEqual(sorted(p), r.items, `${name} is a permutation of the input`);
    assert.notDeepEqual(p, r.items, `${name} differs from the input order`);
  }
  assert.notDeepEqual(r.p2, r.p1, 'a second pass is reshuffled');
  assert.deepEqual(r.again, r.p1, 'the same seed gives the same order');
  assert.notDeepEqual(r.other, r.p1, 'another seed gives another order');
  assert.deepEqual(r.f2, r.f1, 'reshuffleEachIteration = false repeats the order');
  assert.deepEqual(r.flat.map((row) => row[0]).sort((x, y) => x - y), r.items);
  assert.ok(r.flat.every((row) => row[1] === -row[0] || (row[0] === 0 && row[1] === 0)), 'rows stay whole');
});

test('fitDataset: blobs reach >= 90% accuracy; history, epoch logs and callbacks follow TF.js', { timeout: TRAIN_TIMEOUT }, async (t) => {
  const page = await openPage();
  const r = await page.evaluate(async () => {
    tf.util.seed(3);
    const model = D.classifier();
    const { x, y } = D.blobs(200, 1);
    const ds = tf.data.zip({ xs: tf.data.array(x), ys: tf.data.array(y.map((v) => [v])) }).shuffle(200, 5).batch(20);
    const val = D.blobs(100, 2);
    const xVal = tf.tensor2d(val.x);
    const yVal = tf.tensor2d(val.y.map((v) => [v]));
    const events = [];
    const batchLogs = [];
    let params = null;
    const h = await D.fit(model, ds, {
      epochs: 8,
      validationData: [xVal, yVal],
      callbacks: {
        onTrainBegin: () => { events.push('trainBegin'); },
        onEpochBegin: (e) => { events.push(`epochBegin ${e}`); },
        onBatchBegin: (bi, logs) => { events.push(`batchBegin ${bi} ${logs.size}`); },
        onBatchEnd: (bi, logs) => { events.push(`batchEnd ${bi}`); batchLogs.push({ ...logs }); },
        onEpochEnd: (e, logs) => { events.push(`epochEnd ${e} ${Object.keys(logs).sort().join(',')}`); },
        onTrainEnd: () => { events.push('trainEnd'); },
      },
    });
    params = h.params;
    const [loss, acc] = model.evaluate(tf.tensor2d(x), tf.tensor2d(y.map((v) => [v])));
    const [valLoss, valAcc] = model.evaluate(xVal, yVal);
    // The same numbers over the batched dataset, averaged by batch size.
    const viaDs = await D.evaluate(model, D.dataset(100, 2, 30));
    return {
      events, batchLogs, names: model.metricsNames, epoch: h.epoch, history: h.history, params,
      acc: acc.dataSync()[0], loss: loss.dataSync()[0], valLoss: valLoss.dataSync()[0], valAcc: valAcc.dataSync()[0],
      viaDs: viaDs.map((s) => ({ shape: s.shape, v: s.dataSync()[0] })), training: model.isTraining,
    };
  });
  t.diagnostic(`accuracy ${r.acc}, loss ${r.history.loss[0]} -> ${r.history.loss.at(-1)}, val_acc ${r.history.val_acc?.at(-1)}`);
  const [lossKey, accKey] = r.names;
  assert.equal(r.names.length, 2);
  assert.equal(lossKey, 'loss');
  assert.ok(r.acc >= 0.9, `model.evaluate accuracy after fitDataset = ${r.acc}`);
  assert.deepEqual(r.epoch, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Object.keys(r.history).sort(), [accKey, lossKey, `val_${accKey}`, `val_${lossKey}`].sort());
  for (const k of Object.keys(r.history)) assert.equal(r.history[k].length, 8, k);
  assert.ok(r.history.loss.at(-1) < r.history.loss[0] * 0.7, `loss ${r.history.loss[0]} -> ${r.history.loss.at(-1)}`);
  // val_ logs are model.evaluate on validationData after each epoch: the last one matches now.
  assert.ok(Math.abs(r.history[`val_${lossKey}`].at(-1) - r.valLoss) < 1e-5);
  assert.ok(Math.abs(r.history[`val_${accKey}`].at(-1) - r.valAcc) < 1e-6);
  // Callbacks in order: 8 epochs of 10 batches of 20.
  const expected = ['trainBegin'];
  const epochKeys = [accKey, lossKey, `val_${accKey}`, `val_${lossKey}`].sort().join(',');
  for (let e = 0; e < 8; e++) {
    expected.push(`epochBegin ${e}`);
    for (let i = 0; i < 10; i++) expected.push(`batchBegin ${i} 20`, `batchEnd ${i}`);
    expected.push(`epochEnd ${e} ${epochKeys}`);
  }
  expected.push('trainEnd');
  assert.deepEqual(r.events, expected);
  assert.equal(r.batchLogs.length, 80);
  assert.deepEqual(Object.keys(r.batchLogs[0]).sort(), ['batch', 'size', accKey, lossKey].sort());
  // Epoch logs are the batch-size-weighted means of the epoch's batch logs.
  for (let e = 0; e < 8; e++) {
    const logs = r.batchLogs.slice(e * 10, e * 10 + 10);
    for (const k of [lossKey, accKey]) {
      const mean = logs.reduce((s, l) => s + l[k] * l.size, 0) / logs.reduce((s, l) => s + l.size, 0);
      assert.ok(Math.abs(r.history[k][e] - mean) < 1e-6, `epoch ${e} ${k}: ${r.history[k][e]} vs ${mean}`);
    }
  }
  assert.equal(r.params.epochs, 8);
  assert.equal(r.params.steps, 10);
  assert.equal(r.params.doValidation, true);
  // evaluateDataset over 30/30/30/10 batches equals evaluate on the whole set.
  assert.equal(r.viaDs.length, 2);
  assert.deepEqual(r.viaDs[0].shape, []);
  assert.ok(Math.abs(r.viaDs[0].v - r.valLoss) < 1e-5, `evaluateDataset loss ${r.viaDs[0].v} vs evaluate ${r.valLoss}`);
  assert.ok(Math.abs(r.viaDs[1].v - r.valAcc) < 1e-6, `evaluateDataset acc ${r.viaDs[1].v} vs evaluate ${r.valAcc}`);
  assert.equal(r.training, false);
});

test('fitDataset: batchesPerEpoch runs one iterator across epochs; without it each epoch is a fresh pass', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await openPage();
  const r = await page.evaluate(async () => {
    tf.util.seed(4);
    const out = {};
    // repeat(): an endless dataset split into epochs of 4 batches.
    let model = D.classifier();
    let batches = 0;
    let h = await D.fit(model, D.dataset(100, 1, 20).repeat(), {
      epochs: 3, batchesPerEpoch: 4, validationData: D.dataset(60, 2, 20), validationBatches: 2,
      callbacks: { onBatchEnd: () => { batches++; } },
    });
    out.repeat = { batches, epoch: h.epoch, steps: h.params.steps, keys: Object.keys(h.history).sort(), len: h.history.loss.length };
    // A finite dataset of 10 batches numbered by xs: epoch e starts where epoch e-1 stopped.
    const numbered = () => tf.data.generator(function* () {
      for (let i = 0; i < 10; i++) yield { xs: tf.fill([2, 2], i), ys: tf.zeros([2, 1]) };
    });
    model = D.classifier();
    // Ask for more than there is: training stops when the data runs out (a warning, not an error).
    const warnings = [];
    const warn = console.warn;
    console.warn = (m) => { warnings.push(String(m)); };
    let seen = [];
    try {
      h = await D.fit(model, numbered().map((e) => { seen.push(e.xs.dataSync()[0]); return e; }), { epochs: 5, batchesPerEpoch: 4 });
    } finally {
      console.warn = warn;
    }
    out.runsOut = { epoch: h.epoch, seen, warned: warnings.some((w) => /fitDataset/.test(w) && /batchesPerEpoch/.test(w)) };
    // With batchesPerEpoch = 3 over 10 batches: batches 0-2, 3-5, 6-8.
    seen = [];
    await D.fit(model, numbered().map((e) => { seen.push(e.xs.dataSync()[0]); return e; }), { epochs: 3, batchesPerEpoch: 3 });
    out.across = seen;
    // No batchesPerEpoch: each epoch iterates the dataset again from the start.
    let passes = 0;
    seen = [];
    const fresh = tf.data.generator(function* () {
      passes++;
      for (let i = 0; i < 3; i++) yield { xs: tf.fill([2, 2], i), ys: tf.zeros([2, 1]) };
    }).map((e) => { seen.push(e.xs.dataSync()[0]); return e; });
    h = await D.fit(model, fresh, { epochs: 2 });
    out.fresh = { passes, seen, epoch: h.epoch, steps: h.params.steps };
    // initialEpoch: epochs is the index of the last epoch, as in fit.
    h = await D.fit(model, D.dataset(40, 3, 20), { epochs: 4, initialEpoch: 2 });
    out.initial = h.epoch;
    // model.stopTraining from onBatchEnd stops after that batch; the epoch still ends.
    const events = [];
    let trained = 0;
    h = await D.fit(model, D.dataset(100, 1, 20), {
      epochs: 5,
      callbacks: {
        onBatchEnd: (bi) => { events.push(bi); if (++trained === 7) model.stopTraining = true; },
        onEpochEnd: (e) => { events.push(`end ${e}`); },
      },
    });
    out.stopped = { events, epoch: h.epoch };
    // [xs, ys] elements work as {xs, ys}; rank-1 labels are read as [n, 1].
    const { x, y } = D.blobs(40, 6);
    h = await D.fit(model, tf.data.zip([tf.data.array(x), tf.data.array(y)]).batch(10), { epochs: 2 });
    out.pairs = { epoch: h.epoch, finite: h.history.loss.every(Number.isFinite) };
    return out;
  });
  assert.deepEqual(r.repeat, {
    batches: 12, epoch: [0, 1, 2], steps: 4, keys: ['acc', 'loss', 'val_acc', 'val_loss'].sort(), len: 3,
  });
  assert.deepEqual(r.runsOut.epoch, [0, 1, 2], 'epochs 0 and 1 take 8 batches, epoch 2 gets the last 2 and training stops');
  assert.deepEqual(r.runsOut.seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(r.runsOut.warned, true);
  assert.deepEqual(r.across, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(r.fresh, { passes: 2, seen: [0, 1, 2, 0, 1, 2], epoch: [0, 1], steps: null });
  assert.deepEqual(r.initial, [2, 3]);
  assert.deepEqual(r.stopped.events, [0, 1, 2, 3, 4, 'end 0', 0, 1, 'end 1']);
  assert.deepEqual(r.stopped.epoch, [0, 1]);
  assert.deepEqual(r.pairs, { epoch: [0, 1], finite: true });
});

test('fitDataset leaves no tensors behind', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await openPage();
  const r = await page.evaluate(async () => {
    tf.util.seed(5);
    const model = D.classifier();
    const ds = D.dataset(60, 1, 20);
    const val = D.dataset(40, 2, 20);
    await D.fit(model, ds, { epochs: 1, validationData: val }); // warm-up
    const before = tf.memory().numTensors;
    await D.fit(model, ds.shuffle(3), { epochs: 2, validationData: val });
    await D.fit(model, ds.repeat(), { epochs: 2, batchesPerEpoch: 2, validationData: val, validationBatches: 1 });
    const s = await D.evaluate(model, ds);
    tf.dispose(s);
    return { before, after: tf.memory().numTensors };
  });
  assert.equal(r.after, r.before, `live tensors ${r.before} -> ${r.after}`);
});

test('errors name the op and what was received', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await openPage();
  const r = await page.evaluate(async () => {
    const model = D.classifier();
    const e = {};
    e.batchSize = await D.errorOf(() => tf.data.array([1, 2]).batch(0));
    e.batchShapes = await D.errorOf(() => tf.data.array([[1, 2], [3, 4, 5]]).batch(2).toArray());
    e.batchString = await D.errorOf(() => tf.data.array(['a', 'b']).batch(2).toArray());
    e.batchKeys = await D.errorOf(() => tf.data.array([{ a: 1 }, { b: 2 }]).batch(2).toArray());
    e.zip = await D.errorOf(() => tf.data.zip(5));
    e.zipLeaf = await D.errorOf(() => tf.data.zip({ a: tf.data.array([1]), b: 3 }));
    e.shuffle = await D.errorOf(() => tf.data.array([1, 2, 3]).shuffle());
    e.generator = await D.errorOf(() => tf.data.generator(5));
    e.generatorResult = await D.errorOf(() => tf.data.generator(() => 5).toArray());
    e.mapAsyncFn = await D.errorOf(() => tf.data.array([1]).map(async (x) => x).toArray());
    e.toArray = await D.errorOf(() => tf.data.array([1]).repeat().toArray());
    e.take = await D.errorOf(() => tf.data.array([1]).take('2'));
    e.empty = await D.errorOf(() => D.fit(model, tf.data.array([]), { epochs: 1 }));
    e.emptyGen = await D.errorOf(() => D.fit(model, tf.data.generator(function* () {}), { epochs: 1 }));
    e.noXs = await D.errorOf(() => D.fit(model, tf.data.array([{ a: 1 }]).batch(1), { epochs: 1 }));
    e.unbatched = await D.errorOf(() => D.fit(model, tf.data.zip({ xs: tf.data.array([[1, 2]]), ys: tf.data.array([1]) }).map((el) => ({ xs: tf.tensor1d(el.xs), ys: tf.scalar(el.ys) })), { epochs: 1 }));
    e.noEpochs = await D.errorOf(() => D.fit(model, D.dataset(20, 1, 10), {}));
    e.notDataset = await D.errorOf(() => D.fit(model, [1, 2], { epochs: 1 }));
    e.validation = await D.errorOf(() => D.fit(model, D.dataset(20, 1, 10), { epochs: 1, validationData: [1, 2] }));
    e.evaluateEmpty = await D.errorOf(() => D.evaluate(model, tf.data.array([])));
    // The model is usable after all of that.
    const h = await D.fit(model, D.dataset(40, 1, 20), { epochs: 1 });
    return { e, after: h.epoch, training: model.isTraining };
  });
  const expect = {
    batchSize: /^batch: batchSize must be a positive integer, received 0$/,
    batchShapes: /^batch: .*\[2\].*\[3\]/,
    batchString: /^batch: cannot batch the string 'a'/,
    batchKeys: /^batch: .*keys \{a\}.*\{b\}/,
    zip: /^zip: datasets must be an array or object of datasets, received 5$/,
    zipLeaf: /^zip: datasets\.b must be a Dataset/,
    shuffle: /^shuffle: bufferSize must be a positive integer, received undefined; to shuffle the whole dataset, pass its size \(3\)$/,
    generator: /^generator: expected a function/,
    generatorResult: /^generator: the function must return an iterator/,
    mapAsyncFn: /^map: .*Promise.*mapAsync/,
    toArray: /^toArray: the dataset is infinite/,
    take: /^take: count must be an integer/,
    empty: /^fitDataset: the dataset is empty/,
    emptyGen: /^fitDataset: the dataset yielded no batches/,
    noXs: /^fitDataset: each dataset element must be a batch \{xs, ys\}.*keys \{a\}/,
    unbatched: /^fitDataset: xs of batch 0 has shape \[2\].*batch/,
    noEpochs: /^fitDataset: epochs must be a positive integer, received undefined$/,
    notDataset: /^fitDataset: dataset must be a tf\.data\.Dataset/,
    validation: /^fitDataset: validationData must be/,
    evaluateEmpty: /^evaluateDataset: the dataset yielded no batches/,
  };
  for (const [k, re] of Object.entries(expect)) {
    assert.equal(r.e[k].isError, true, `${k}: ${r.e[k].message}`);
    assert.match(r.e[k].message, re, k);
  }
  assert.deepEqual(r.after, [0]);
  assert.equal(r.training, false);
});

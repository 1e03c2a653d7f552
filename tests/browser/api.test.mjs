// Public API surface: summary() and countParams() against TF.js itself, tensor basics with
// golden values, memory management, weights round-trips, batched predict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';

const b = useBrowser({ label: 'api' });

// Builds the same models in whichever page runs it (Hebb's or TF.js's); layer names come from
// each library's per-class counters, so both pages must build the same layers in the same order.
// Returns each model's summary lines (captured through printFn) and parameter counts.
function buildModels(lineLength) {
  const models = [];
  const m1 = tf.sequential();
  m1.add(tf.layers.dense({ units: 32, activation: 'relu', inputShape: [2] }));
  m1.add(tf.layers.dense({ units: 32, activation: 'relu' }));
  m1.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  models.push(m1);

  const m2 = tf.sequential();
  m2.add(tf.layers.dense({ units: 8, inputShape: [4], activation: 'tanh' }));
  m2.add(tf.layers.dropout({ rate: 0.5 }));
  m2.add(tf.layers.leakyReLU());
  m2.add(tf.layers.dense({ units: 5, useBias: false, trainable: false }));
  m2.add(tf.layers.activation({ activation: 'relu' }));
  m2.add(tf.layers.dense({ units: 3 }));
  m2.add(tf.layers.softmax());
  models.push(m2);

  const m3 = tf.sequential();
  m3.add(tf.layers.flatten({ inputShape: [3, 4] }));
  m3.add(tf.layers.dense({ units: 10, activation: 'relu', name: 'hidden' }));
  m3.add(tf.layers.dense({ units: 2 }));
  models.push(m3);

  const m4 = tf.sequential({
    layers: [
      tf.layers.dense({ units: 6, batchInputShape: [null, 7], activation: 'elu' }),
      tf.layers.dense({ units: 6, activation: 'selu', useBias: false }),
      tf.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  models.push(m4);

  const m5 = tf.sequential();
  m5.add(tf.layers.inputLayer({ inputShape: [3] }));
  m5.add(tf.layers.dense({ units: 4, activation: 'relu' }));
  m5.add(tf.layers.dense({ units: 1 }));
  models.push(m5);

  const m6 = tf.sequential();
  m6.add(tf.layers.embedding({ inputDim: 20, outputDim: 6, inputShape: [5] }));
  m6.add(tf.layers.layerNormalization());
  m6.add(tf.layers.permute({ dims: [2, 1] }));
  m6.add(tf.layers.reshape({ targetShape: [30] }));
  m6.add(tf.layers.dense({ units: 3 }));
  m6.add(tf.layers.repeatVector({ n: 2 }));
  models.push(m6);

  const m7 = tf.sequential();
  m7.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [12, 10, 2] }));
  m7.add(tf.layers.batchNormalization());
  m7.add(tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }));
  m7.add(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }));
  m7.add(tf.layers.separableConv2d({ filters: 6, kernelSize: [2, 3], strides: 2 }));
  m7.add(tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2 }));
  m7.add(tf.layers.upSampling2d({ size: [2, 1] }));
  m7.add(tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }));
  m7.add(tf.layers.averagePooling2d({ poolSize: 3, strides: 1 }));
  m7.add(tf.layers.globalAveragePooling2d({}));
  m7.add(tf.layers.dense({ units: 2 }));
  models.push(m7);

  const m8 = tf.sequential();
  // (Not 'causal': TF.js 4.22's summary gives causal convs the 'valid' length; Keras and Hebb keep the input length.)
  m8.add(tf.layers.conv1d({ filters: 5, kernelSize: 3, padding: 'same', inputShape: [9, 3] }));
  m8.add(tf.layers.maxPooling1d({ poolSize: 2 }));
  m8.add(tf.layers.lstm({ units: 6, returnSequences: true }));
  m8.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true }) }));
  m8.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3 }) }));
  m8.add(tf.layers.simpleRNN({ units: 2 }));
  models.push(m8);

  return models.map((m) => {
    const lines = [];
    m.summary(lineLength, undefined, (line) => lines.push(line));
    return {
      lines,
      countParams: m.countParams(),
      layerNames: m.layers.map((l) => l.name),
      layerParams: m.layers.map((l) => l.countParams()),
      outputShape: m.outputShape,
    };
  });
}

test('summary() lines and countParams() match TF.js for the same models', { timeout: 60_000 }, async () => {
  const hebb = await b.openHebb();
  const tfjs = await b.openTfjs();
  const ours = await hebb.evaluate(buildModels);
  const ref = await tfjs.evaluate(buildModels);
  assert.equal(ours.length, ref.length);
  for (let i = 0; i < ref.length; i++) {
    assert.ok(ref[i].lines.length > 5, 'TF.js printed a summary');
    assert.deepEqual(ours[i].layerNames, ref[i].layerNames, `model ${i + 1}: layer names`);
    assert.equal(ours[i].countParams, ref[i].countParams, `model ${i + 1}: countParams`);
    assert.deepEqual(ours[i].layerParams, ref[i].layerParams, `model ${i + 1}: per-layer countParams`);
    assert.deepEqual(ours[i].outputShape, ref[i].outputShape, `model ${i + 1}: outputShape`);
    for (let j = 0; j < Math.max(ours[i].lines.length, ref[i].lines.length); j++) {
      assert.equal(ours[i].lines[j], ref[i].lines[j], `model ${i + 1}, summary line ${j + 1}`);
    }
  }
  assert.ok(ours[0].lines.includes('Total params: 1185'));
});

// Regression (caught a bug fixed after 6969106): Sequential.summary ignores its lineLength (and
// positions) arguments and always prints 90-column lines; TF.js honours them.
test('summary(lineLength) matches TF.js', { timeout: 60_000 }, async () => {
  const hebb = await b.openHebb();
  const tfjs = await b.openTfjs();
  const ours = await hebb.evaluate(buildModels, 70);
  const ref = await tfjs.evaluate(buildModels, 70);
  assert.equal(ref[0].lines[0].length, 70, 'TF.js prints 70-column rules');
  for (let i = 0; i < ref.length; i++) {
    assert.deepEqual(ours[i].lines, ref[i].lines, `model ${i + 1} summary(70)`);
  }
});

test('tensor basics: creation, reads, shape, dtype', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    const s = tf.scalar(3.5);
    const t1 = tf.tensor1d([true, false, true], 'bool');
    const data = await a.data();
    const sync = a.dataSync();
    return {
      shape: a.shape, dtype: a.dtype, rank: a.rank, size: a.size,
      dataType: data.constructor.name, data: Array.from(data),
      syncType: sync.constructor.name, sync: Array.from(sync),
      array: await a.array(), arraySync: a.arraySync(),
      iShape: i.shape, iDtype: i.dtype, iType: i.dataSync().constructor.name, iArr: i.arraySync(),
      sShape: s.shape, sVal: s.arraySync(), sData: Array.from(s.dataSync()),
      bDtype: t1.dtype, bArr: Array.from(t1.dataSync()),
      reshaped: a.reshape([4]).arraySync(), transposed: a.transpose().arraySync(),
      zeros: tf.zeros([2, 3]).arraySync(), ones: tf.ones([3]).arraySync(),
    };
  });
  assert.deepEqual(r.shape, [2, 2]);
  assert.equal(r.dtype, 'float32');
  assert.equal(r.rank, 2);
  assert.equal(r.size, 4);
  assert.equal(r.dataType, 'Float32Array');
  assert.equal(r.syncType, 'Float32Array');
  assert.deepEqual(r.data, [1, 2, 3, 4]);
  assert.deepEqual(r.sync, [1, 2, 3, 4]);
  assert.deepEqual(r.array, [[1, 2], [3, 4]]);
  assert.deepEqual(r.arraySync, [[1, 2], [3, 4]]);
  assert.deepEqual(r.iShape, [3, 2]);
  assert.equal(r.iDtype, 'int32');
  assert.equal(r.iType, 'Int32Array');
  assert.deepEqual(r.iArr, [[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(r.sShape, []);
  assert.equal(r.sVal, 3.5);
  assert.deepEqual(r.sData, [3.5]);
  assert.equal(r.bDtype, 'bool');
  assert.deepEqual(r.bArr, [1, 0, 1]);
  assert.deepEqual(r.reshaped, [1, 2, 3, 4]);
  assert.deepEqual(r.transposed, [[1, 3], [2, 4]]);
  assert.deepEqual(r.zeros, [[0, 0, 0], [0, 0, 0]]);
  assert.deepEqual(r.ones, [1, 1, 1]);
});

const close = (a, b, tol = 1e-5) => {
  const fa = [a].flat(Infinity);
  const fb = [b].flat(Infinity);
  return fa.length === fb.length && fa.every((v, i) => Math.abs(v - fb[i]) <= tol);
};

test('ops: broadcasting add, matMul golden values, sum/mean/argMax over axes, softmax, oneHot', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(() => {
    const x = tf.tensor2d([[1, 5, 3], [4, 2, 6]]);
    const am1 = x.argMax(1);
    const oh = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3);
    const sm = tf.softmax(tf.tensor2d([[1, 2, 3], [0, 0, 0], [-5, 10, 2.5]]));
    return {
      addRow: tf.add(x, tf.tensor1d([10, 20, 30])).arraySync(),
      addCol: x.add(tf.tensor2d([[100], [200]])).arraySync(),
      addScalar: x.add(1).arraySync(),
      addShape: tf.add(tf.ones([2, 1, 3]), tf.ones([4, 1])).shape,
      matMul: tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).arraySync(),
      matMulT: tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]), false, true).arraySync(),
      matMulRect: tf.tensor2d([[1, 2, 3]]).matMul(tf.tensor2d([[1], [2], [3]])).arraySync(),
      sumAll: x.sum().arraySync(),
      sum0: x.sum(0).arraySync(),
      sum1: tf.sum(x, 1).arraySync(),
      sum1k: x.sum(1, true).shape,
      mean: x.mean().arraySync(),
      mean0: x.mean(0).arraySync(),
      mean1: tf.mean(x, 1).arraySync(),
      argMax0: tf.argMax(x, 0).arraySync(),
      argMax1: am1.arraySync(),
      argMaxDtype: am1.dtype,
      softmax: sm.arraySync(),
      softmaxRowSums: sm.sum(1).arraySync(),
      ohDtype: oh.dtype,
      ohShape: oh.shape,
      oh: oh.arraySync(),
    };
  });
  assert.deepEqual(r.addRow, [[11, 25, 33], [14, 22, 36]]);
  assert.deepEqual(r.addCol, [[101, 105, 103], [204, 202, 206]]);
  assert.deepEqual(r.addScalar, [[2, 6, 4], [5, 3, 7]]);
  assert.deepEqual(r.addShape, [2, 4, 3]);
  assert.deepEqual(r.matMul, [[19, 22], [43, 50]]);
  assert.deepEqual(r.matMulT, [[17, 23], [39, 53]]);
  assert.deepEqual(r.matMulRect, [[14]]);
  assert.equal(r.sumAll, 21);
  assert.deepEqual(r.sum0, [5, 7, 9]);
  assert.deepEqual(r.sum1, [9, 12]);
  assert.deepEqual(r.sum1k, [2, 1]);
  assert.equal(r.mean, 3.5);
  assert.deepEqual(r.mean0, [2.5, 3.5, 4.5]);
  assert.ok(close(r.mean1, [3, 4]), `mean(1) = ${r.mean1}`);
  assert.deepEqual(r.argMax0, [1, 0, 1]);
  assert.deepEqual(r.argMax1, [1, 2]);
  assert.equal(r.argMaxDtype, 'int32');
  assert.ok(close(r.softmax[0], [0.09003057, 0.24472847, 0.66524096], 1e-6), `softmax row 0 = ${r.softmax[0]}`);
  assert.ok(close(r.softmax[1], [1 / 3, 1 / 3, 1 / 3], 1e-6), `softmax row 1 = ${r.softmax[1]}`);
  for (const s of r.softmaxRowSums) assert.ok(Math.abs(s - 1) < 1e-6, `softmax row sum ${s}`);
  assert.equal(r.ohDtype, 'int32');
  assert.deepEqual(r.ohShape, [3, 3]);
  assert.deepEqual(r.oh, [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
});

// The same op program in Hebb's page and TF.js's page must give the same numbers.
function opProgram() {
  return tf.tidy(() => {
    const x = tf.tensor2d([[0.5, -1.5, 2], [3, 0, -0.25]]);
    const w = tf.tensor2d([[1, -2], [0.5, 0.25], [-1, 3]]);
    const out = {
      relu: x.relu(), sigmoid: x.sigmoid(), tanh: x.tanh(), exp: x.exp(), square: x.square(),
      abs: x.abs(), neg: x.neg(), clip: x.clipByValue(-1, 1), matMul: x.matMul(w),
      logSoftmax: x.logSoftmax(), maxAxis: x.max(1), minAll: x.min(), sqDiff: tf.squaredDifference(x, 1),
      div: x.div(tf.tensor1d([2, 4, 8])), pow: tf.pow(x.abs(), 2), elu: tf.elu(x), leaky: tf.leakyRelu(x, 0.2),
      concat0: tf.concat([x, x], 0), concat1: tf.concat([x, x], 1), slice: x.slice([0, 1], [2, 2]),
      gather: x.gather(tf.tensor1d([1, 0, 1], 'int32')), where: tf.where(tf.greater(x, 0), x, tf.zerosLike(x)),
      stack: tf.stack([x, x]), expand: x.expandDims(0), cast: x.cast('int32'),
    };
    const res = {};
    for (const [k, t] of Object.entries(out)) res[k] = { shape: t.shape, dtype: t.dtype, v: Array.from(t.dataSync()) };
    return res;
  });
}

test('tensor ops agree with TF.js', { timeout: 60_000 }, async () => {
  const hebb = await b.openHebb();
  const tfjs = await b.openTfjs();
  const ours = await hebb.evaluate(opProgram);
  const ref = await tfjs.evaluate(opProgram);
  for (const k of Object.keys(ref)) {
    assert.ok(k in ours, `${k} computed`);
    assert.deepEqual(ours[k].shape, ref[k].shape, `${k}: shape`);
    assert.equal(ours[k].dtype, ref[k].dtype, `${k}: dtype`);
    assert.ok(close(ours[k].v, ref[k].v, 1e-5), `${k}: ${ours[k].v} vs TF.js ${ref[k].v}`);
  }
});

test('tidy disposes intermediates; keep/dispose; memory() returns to baseline', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(() => {
    const base = tf.memory().numTensors;
    const a = tf.tensor1d([1, 2, 3]);
    const afterA = tf.memory().numTensors;
    let kept;
    const out = tf.tidy(() => {
      const b1 = a.add(1);
      const b2 = b1.mul(2);
      const b3 = b2.square();
      kept = tf.keep(b1.sub(1));
      return b3.sum();
    });
    const inside = tf.memory().numTensors;
    const value = out.arraySync();
    const keptVal = kept.arraySync();
    const nested = tf.tidy(() => {
      const x = tf.ones([4, 4]);
      return tf.tidy(() => [x.add(1), x.mul(3)]);
    });
    const afterNested = tf.memory().numTensors;
    const nestedVals = nested.map((t) => t.dataSync()[0]);
    tf.dispose([out, kept, ...nested]);
    const afterDispose = tf.memory().numTensors;
    a.dispose();
    let disposedErr = '';
    try { a.dataSync(); } catch (e) { disposedErr = e.message; }
    return { base, afterA, inside, value, keptVal, afterNested, nestedVals, afterDispose, end: tf.memory().numTensors, isDisposed: a.isDisposed, disposedErr };
  });
  assert.equal(r.afterA, r.base + 1);
  assert.equal(r.inside, r.base + 3, 'a + the returned sum + the kept tensor survive the tidy');
  assert.equal(r.value, 4 * (4 + 9 + 16));
  assert.deepEqual(r.keptVal, [1, 2, 3]);
  assert.equal(r.afterNested, r.base + 5, 'nested tidy returns both tensors, the inner ones are gone');
  assert.deepEqual(r.nestedVals, [2, 3]);
  assert.equal(r.afterDispose, r.base + 1);
  assert.equal(r.end, r.base);
  assert.equal(r.isDisposed, true);
  assert.match(r.disposedErr, /disposed/i);
});

test('getWeights/setWeights round-trip changes predictions as expected', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(() => {
    tf.util.seed(12);
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 3, activation: 'relu', inputShape: [2] }));
    model.add(tf.layers.dense({ units: 1 }));
    const x = tf.tensor2d([[1, 2], [-1, 0.5], [0, 0]]);
    const p0 = Array.from(model.predict(x).dataSync());
    const orig = model.getWeights();
    const shapes = orig.map((w) => w.shape);
    // Known weights: h = relu(x W1 + b1), y = h W2 + b2.
    const W1 = [[1, 0, -1], [0, 1, 1]];
    const b1 = [0.5, 0, 0];
    const W2 = [[1], [2], [3]];
    const b2 = [-1];
    model.setWeights([tf.tensor2d(W1), tf.tensor1d(b1), tf.tensor2d(W2), tf.tensor1d(b2)]);
    const p1 = Array.from(model.predict(x).dataSync());
    const expected = x.arraySync().map(([u, v]) => {
      const h = [0, 1, 2].map((j) => Math.max(0, u * W1[0][j] + v * W1[1][j] + b1[j]));
      return h[0] * W2[0][0] + h[1] * W2[1][0] + h[2] * W2[2][0] + b2[0];
    });
    const back = model.getWeights().map((w) => w.arraySync());
    // Layer-level getWeights/setWeights.
    const layer2 = model.layers[1];
    const lw = layer2.getWeights().map((w) => w.shape);
    layer2.setWeights([tf.zeros([3, 1]), tf.tensor1d([7])]);
    const p2 = Array.from(model.predict(x).dataSync());
    // Restore the original weights: predictions return exactly.
    model.setWeights(orig);
    const p3 = Array.from(model.predict(x).dataSync());
    return { p0, p1, p2, p3, expected, shapes, back, lw, W1, b1, W2, b2 };
  });
  assert.deepEqual(r.shapes, [[2, 3], [3], [3, 1], [1]]);
  assert.ok(close(r.p1, r.expected, 1e-5), `predict ${r.p1} vs hand-computed ${r.expected}`);
  assert.deepEqual(r.back, [r.W1, r.b1, r.W2, r.b2], 'getWeights returns what setWeights set');
  assert.deepEqual(r.lw, [[3, 1], [1]]);
  assert.deepEqual(r.p2, [7, 7, 7]);
  assert.deepEqual(r.p3, r.p0, 'restoring the original weights restores the predictions');
  assert.notDeepEqual(r.p1, r.p0);
});

test('predict with a batchSize smaller than n gives the same values as one batch', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(() => {
    tf.util.seed(13);
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [3] }));
    model.add(tf.layers.dense({ units: 4, activation: 'softmax' }));
    const x = tf.randomNormal([50, 3], 0, 1, 'float32', 13);
    const whole = model.predict(x, { batchSize: 50 });
    const out = { shape: whole.shape, whole: Array.from(whole.dataSync()), parts: {} };
    for (const bs of [1, 7, 32, 64]) {
      const p = model.predict(x, { batchSize: bs });
      out.parts[bs] = { shape: p.shape, v: Array.from(p.dataSync()) };
    }
    out.defaultBatch = Array.from(model.predict(x).dataSync());
    out.onBatch = Array.from(model.predictOnBatch(x).dataSync());
    return out;
  });
  assert.deepEqual(r.shape, [50, 4]);
  for (const [bs, p] of Object.entries(r.parts)) {
    assert.deepEqual(p.shape, [50, 4], `batchSize ${bs}: shape`);
    assert.ok(close(p.v, r.whole, 1e-6), `batchSize ${bs}: values`);
  }
  assert.ok(close(r.defaultBatch, r.whole, 1e-6));
  assert.ok(close(r.onBatch, r.whole, 1e-6));
});

test('forgotten tensors are freed by the garbage collector; memory stays flat over training', { timeout: 90_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const base = tf.memory().numTensors;
    (() => {
      for (let i = 0; i < 200; i++) tf.ones([64, 64]).mul(2); // never disposed, never referenced
    })();
    const leaked = tf.memory().numTensors;
    for (let i = 0; i < 20 && tf.memory().numTensors > base + 10; i++) {
      globalThis.gc();
      await new Promise((res) => setTimeout(res, 50));
    }
    const afterGc = tf.memory().numTensors;
    // A long fit creates no tensors per step.
    const x = tf.randomUniform([256, 8], -1, 1, 'float32', 1);
    const y = x.sum(1, true);
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 16, activation: 'relu', inputShape: [8] }));
    model.add(tf.layers.dense({ units: 1 }));
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await model.fit(x, y, { epochs: 1, batchSize: 16 });
    const beforeLong = tf.memory();
    await model.fit(x, y, { epochs: 32, batchSize: 16 }); // 512 steps
    const afterLong = tf.memory();
    return { base, leaked, afterGc, beforeLong, afterLong };
  });
  assert.ok(r.leaked >= r.base + 400, `the loop created tensors (${r.leaked - r.base})`);
  assert.ok(r.afterGc <= r.base + 10, `after GC the forgotten tensors are freed: ${r.afterGc - r.base} left of ${r.leaked - r.base}`);
  assert.equal(r.afterLong.numTensors, r.beforeLong.numTensors, '512 training steps leave the tensor count flat');
  assert.equal(r.afterLong.numBytes, r.beforeLong.numBytes);
});

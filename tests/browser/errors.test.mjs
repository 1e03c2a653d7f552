// Misuse gives a JS Error whose message names the layer/option and the shapes/values involved,
// and leaves existing models intact (same predictions afterwards). Also: fit() lets timers run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'errors' });

// Installed in each page: window.M (2 -> 8 relu -> 1 sigmoid, compiled and trained a little),
// window.X (a fixed input), window.P0 (M's predictions on X), and helpers:
//   catchErr(fn)  -> {threw, isError, name, message} for sync or async fn
//   intact()      -> {same: M still predicts P0 exactly, canFit: a valid fit still trains}
async function setup() {
  tf.util.seed(31);
  const M = tf.sequential();
  M.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [2] }));
  M.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  M.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const x = tf.tensor2d([[0.1, 0.2], [-0.5, 0.9], [1, -1], [0.3, 0.3], [-0.7, -0.2], [0.8, 0.1]]);
  const y = tf.tensor2d([[0], [1], [0], [1], [1], [0]]);
  await M.fit(x, y, { epochs: 3, batchSize: 2, seed: 31 });
  window.M = M;
  window.X = x;
  window.Y = y;
  window.P0 = Array.from(M.predict(x).dataSync());
  window.catchErr = async (fn) => {
    try {
      await fn();
      return { threw: false };
    } catch (e) {
      return { threw: true, isError: e instanceof Error, name: e?.name, message: String(e?.message ?? e) };
    }
  };
  window.intact = async (model = window.M, p0 = window.P0, x = window.X) => {
    const p = Array.from(model.predict(x).dataSync());
    const same = p.length === p0.length && p.every((v, i) => Object.is(v, p0[i]));
    return { same, p, p0 };
  };
  // After the checks that compare predictions: a valid fit still runs and changes the model.
  window.canStillFit = async (model = window.M, x = window.X, y = window.Y) => {
    const h = await model.fit(x, y, { epochs: 2, batchSize: 3 });
    return { isTraining: model.isTraining, loss: h.history.loss, finite: h.history.loss.every(Number.isFinite) };
  };
}

async function page() {
  const p = await b.openHebb();
  await p.evaluate(setup);
  return p;
}

function assertError(r, ...patterns) {
  assert.equal(r.threw, true, 'expected an error to be thrown');
  assert.equal(r.isError, true, `expected an Error instance, got ${r.name}: ${r.message}`);
  for (const re of patterns) assert.match(r.message, re);
}

function assertIntact(after) {
  assert.equal(after.same, true, `predictions changed after the error: ${after.p} vs ${after.p0}`);
}

function assertCanFit(fit) {
  assert.equal(fit.isTraining, false);
  assert.equal(fit.loss.length, 2);
  assert.ok(fit.finite, `loss after the error: ${fit.loss}`);
}

test('predict with the wrong input shape names the layer and both shapes', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => ({
    predict: await catchErr(() => M.predict(tf.zeros([5, 3]))),
    evaluate: await catchErr(() => M.evaluate(tf.zeros([6, 3]), Y)),
    rank: await catchErr(() => M.predict(tf.zeros([5]))),
    after: await intact(),
    fit: await canStillFit(),
  }));
  assertError(r.predict, /dense_Dense\d+/, /\[null,\s*2\]/, /\[5,\s*3\]/);
  assertError(r.evaluate, /dense_Dense\d+/, /\[null,\s*2\]/, /\[6,\s*3\]/);
  assertError(r.rank, /\[5\]/);
  assertIntact(r.after);
  assertCanFit(r.fit);
});

test('tf.layers.dense({units: 0}) names units=0', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => ({
    zero: await catchErr(() => tf.layers.dense({ units: 0 })),
    negative: await catchErr(() => tf.layers.dense({ units: -3, inputShape: [2] })),
    fractional: await catchErr(() => tf.layers.dense({ units: 2.5 })),
    after: await intact(),
  }));
  assertError(r.zero, /units\s*=\s*0\b/, /Dense/);
  assertError(r.negative, /units\s*=\s*-3\b/);
  assertError(r.fractional, /units\s*=\s*2\.5\b/);
  assertIntact(r.after);
});

test("unknown activation 'foo' names the activation", { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => ({
    dense: await catchErr(() => tf.layers.dense({ units: 4, activation: 'foo' })),
    act: await catchErr(() => tf.layers.activation({ activation: 'foo' })),
    after: await intact(),
  }));
  assertError(r.dense, /activation/, /\bfoo\b/);
  assertError(r.act, /activation/, /\bfoo\b/);
  assertIntact(r.after);
});

test("unknown loss 'foo' in compile names the loss", { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => {
    const fresh = tf.sequential();
    fresh.add(tf.layers.dense({ units: 1, inputShape: [2] }));
    return {
      loss: await catchErr(() => fresh.compile({ optimizer: 'adam', loss: 'foo' })),
      onTrained: await catchErr(() => M.compile({ optimizer: 'adam', loss: 'foo' })),
      optimizer: await catchErr(() => fresh.compile({ optimizer: 'foo', loss: 'meanSquaredError' })),
      metric: await catchErr(() => fresh.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: ['foo'] })),
      after: await intact(),
    };
  });
  assertError(r.loss, /loss/, /\bfoo\b/);
  assertError(r.onTrained, /loss/, /\bfoo\b/);
  assertError(r.optimizer, /optimizer/, /\bfoo\b/);
  assertError(r.metric, /metric/, /\bfoo\b/);
  assertIntact(r.after);
});

test('NaN in x (or y) for fit mentions NaN', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => ({
    x: await catchErr(() => M.fit(tf.tensor2d([[0, 1], [NaN, 2], [3, 4]]), tf.tensor2d([[0], [1], [0]]), { epochs: 1 })),
    y: await catchErr(() => M.fit(tf.tensor2d([[0, 1], [1, 2], [3, 4]]), tf.tensor2d([[0], [NaN], [0]]), { epochs: 1 })),
    after: await intact(),
    fit: await canStillFit(),
  }));
  assertError(r.x, /NaN/, /\bx\b/);
  assertError(r.y, /NaN/, /\by\b/);
  assertIntact(r.after);
  assertCanFit(r.fit);
});

test('empty data (shape [0,2]) for fit', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => ({
    empty: await catchErr(() => M.fit(tf.zeros([0, 2]), tf.zeros([0, 1]), { epochs: 1 })),
    after: await intact(),
    fit: await canStillFit(),
  }));
  assertError(r.empty, /empty|no samples|0 samples/i, /\[0,\s*2\]/);
  assertIntact(r.after);
  assertCanFit(r.fit);
});

test('x and y with different sample counts', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => ({
    fit: await catchErr(() => M.fit(tf.zeros([5, 2]), tf.zeros([4, 1]), { epochs: 1 })),
    evaluate: await catchErr(() => M.evaluate(tf.zeros([5, 2]), tf.zeros([4, 1]))),
    after: await intact(),
    refit: await canStillFit(),
  }));
  assertError(r.fit, /sample/, /\b5\b/, /\b4\b/);
  assertError(r.evaluate, /sample/, /\b5\b/, /\b4\b/);
  assertIntact(r.after);
  assertCanFit(r.refit);
});

test('y with the wrong number of classes for categoricalCrossentropy', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => {
    tf.util.seed(5);
    const m3 = tf.sequential();
    m3.add(tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [2] }));
    m3.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const p3 = Array.from(m3.predict(X).dataSync());
    const yBad = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4).toFloat();
    const yGood = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3).toFloat();
    return {
      err: await catchErr(() => m3.fit(tf.zeros([4, 2]), yBad, { epochs: 1 })),
      after: await intact(m3, p3),
      fit: await canStillFit(m3, X, yGood),
    };
  });
  assertError(r.err, /categoricalCrossentropy/, /\[4,\s*4\]/, /\[null,\s*3\]|\b3 classes|\[3\]/);
  assertIntact(r.after);
  assertCanFit(r.fit);
});

test('fit before compile', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 1, inputShape: [2] }));
    const p1 = Array.from(m.predict(X).dataSync());
    return {
      fit: await catchErr(() => m.fit(X, Y, { epochs: 1 })),
      evaluate: await catchErr(() => m.evaluate(X, Y)),
      isTraining: m.isTraining,
      fresh: await intact(m, p1),
      after: await intact(),
    };
  });
  assertError(r.fit, /compile/);
  assertError(r.evaluate, /compile/);
  assert.equal(r.isTraining, false);
  assertIntact(r.fresh);
  assertIntact(r.after);
});

test('tensor2d with a ragged array', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => ({
    ragged: await catchErr(() => tf.tensor2d([[1, 2], [3]])),
    raggedDeep: await catchErr(() => tf.tensor([[[1], [2]], [[3]]])),
    badShape: await catchErr(() => tf.tensor2d([1, 2, 3], [2, 2])),
    after: await intact(),
  }));
  assertError(r.ragged, /ragged/i);
  assertError(r.raggedDeep, /ragged/i);
  assertError(r.badShape, /\[2,\s*2\]/, /\b3\b/);
  assertIntact(r.after);
});

test('a setTimeout(0) scheduled right before await model.fit runs before fit resolves', { timeout: TRAIN_TIMEOUT }, async (t) => {
  const p = await b.openHebb();
  const r = await p.evaluate(async () => {
    tf.util.seed(1);
    const n = 4000;
    const xs = tf.randomUniform([n, 8], -1, 1, 'float32', 1);
    const ys = tf.randomUniform([n, 1], 0, 1, 'float32', 2).round();
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 128, activation: 'relu', inputShape: [8] }));
    model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await model.fit(xs, ys, { epochs: 1, batchSize: 32 }); // warm-up

    async function measured(epochs) {
      let timerAt = null;
      let fitDone = null;
      let resolvedWhenTimerRan = null;
      const t0 = performance.now();
      setTimeout(() => {
        timerAt = performance.now() - t0;
        resolvedWhenTimerRan = fitDone !== null;
      }, 0);
      // A second, self-rescheduling timer measures how often timers get a turn during fit.
      let ticks = 0;
      let last = t0;
      let maxGap = 0;
      let running = true;
      const tick = () => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        ticks++;
        if (running) setTimeout(tick, 0);
      };
      setTimeout(tick, 0);
      await model.fit(xs, ys, { epochs, batchSize: 32 }); // no callbacks at all
      fitDone = performance.now() - t0;
      running = false;
      return { epochs, fitMs: fitDone, timerAt, ranBeforeResolve: timerAt !== null, resolvedWhenTimerRan, ticks, maxGap };
    }
    // Grow the run until it lasts well over 0.5 s, whatever the machine's speed.
    let epochs = 4;
    let res;
    for (let attempt = 0; attempt < 6; attempt++) {
      res = await measured(epochs);
      if (res.fitMs >= 700) break;
      epochs = Math.ceil(epochs * Math.min(8, Math.max(1.5, 1000 / Math.max(res.fitMs, 1))));
    }
    return res;
  });
  t.diagnostic(`fit took ${r.fitMs.toFixed(0)} ms (${r.epochs} epochs); setTimeout(0) ran at ${r.timerAt === null ? 'never (before resolve)' : r.timerAt.toFixed(1) + ' ms'}; ` +
    `timer chain: ${r.ticks} ticks, longest gap ${r.maxGap.toFixed(1)} ms`);
  assert.ok(r.fitMs >= 500, `precondition: the training run lasts >= 0.5 s (took ${r.fitMs} ms)`);
  assert.equal(r.ranBeforeResolve, true, 'the timer ran before fit resolved');
  assert.equal(r.resolvedWhenTimerRan, false);
  // Timers keep getting turns all through training, not just at the start.
  assert.ok(r.ticks >= 5, `timer chain ticks during fit: ${r.ticks}`);
  assert.ok(r.maxGap < 400, `longest gap between timer turns during fit: ${r.maxGap} ms`);
});

test('oversized and overflowing shapes throw instead of aborting the engine, which keeps working', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(() => {
    const attempts = {
      reshapeWrap: () => tf.zeros([0]).reshape([65536, 65536]).sum(1),
      randomHuge: () => tf.randomUniform([65536, 65536]),
      broadcastHuge: () => tf.broadcastTo(tf.scalar(1), [1e5, 1e5]),
      sliceHuge: () => tf.slice(tf.tensor1d([1, 2, 3, 4]), [2], [4294967295]),
      oneHotHuge: () => tf.oneHot(tf.tensor1d([1, 2], 'int32'), 1e10),
      denseHuge: () => tf.sequential().add(tf.layers.dense({ units: 1e5, inputShape: [1e5] })),
      summaryHuge: () => { const m = tf.sequential(); m.add(tf.layers.dense({ units: 1, inputShape: [1] })); m.summary(4e9); },
    };
    const out = {};
    for (const [k, f] of Object.entries(attempts)) {
      try { f(); out[k] = 'no error'; } catch (e) { out[k] = e.message; }
    }
    out.alive = Array.from(tf.ones([2, 2]).add(1).dataSync());
    return out;
  });
  assert.match(r.reshapeWrap, /reshape.*\[65536, ?65536\]/);
  assert.match(r.randomHuge, /too many elements/);
  assert.match(r.broadcastHuge, /broadcastTo.*too many elements/);
  assert.match(r.sliceHuge, /slice: size\[0\]=4294967295/);
  assert.match(r.oneHotHuge, /oneHot: depth/);
  assert.match(r.denseHuge, /Dense 'dense_Dense\d+'.*\[100000,100000\].*too many elements/);
  assert.match(r.summaryHuge, /summary: lineLength/);
  assert.deepEqual(r.alive, [2, 2, 2, 2]);
});

test('compile with a custom loss still checks metric and optimizer names at once', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(() => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 2, inputShape: [2] }));
    const custom = (a, p) => tf.losses.meanSquaredError(a, p);
    const errs = [];
    for (const args of [
      { optimizer: 'adam', loss: custom, metrics: ['accurcy'] },
      { optimizer: 'adamm', loss: custom },
      { optimizer: 'adam', loss: custom, metrics: [42] },
    ]) {
      try { m.compile(args); errs.push('no error'); } catch (e) { errs.push(e.message); }
    }
    return errs;
  });
  assert.match(r[0], /unknown metric 'accurcy'/);
  assert.match(r[1], /unknown optimizer 'adamm'/);
  assert.match(r[2], /metric must be a name like 'accuracy' or a function, received 42/);
});

test('conv, pooling and recurrent layers name themselves and the shapes on bad input or options', { timeout: 60_000 }, async () => {
  const p = await page();
  const r = await p.evaluate(async () => {
    const addTo = (first, layer) => () => {
      const m = tf.sequential();
      m.add(first);
      m.add(layer);
    };
    const cnn = tf.sequential();
    cnn.add(tf.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1] }));
    cnn.add(tf.layers.flatten());
    cnn.add(tf.layers.dense({ units: 2 }));
    return {
      convRank: await catchErr(addTo(tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.conv2d({ filters: 2, kernelSize: 3 }))),
      convTooSmall: await catchErr(() => {
        const m = tf.sequential();
        m.add(tf.layers.conv2d({ filters: 2, kernelSize: 5, inputShape: [3, 3, 1] }));
      }),
      badPadding: await catchErr(() => tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'full' })),
      stridesAndDilation: await catchErr(() => tf.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })),
      channelsFirst: await catchErr(() => tf.layers.maxPooling2d({ dataFormat: 'channelsFirst' })),
      lstmRank: await catchErr(addTo(tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.lstm({ units: 2 }))),
      returnState: await catchErr(() => tf.sequential().add(tf.layers.lstm({ units: 2, returnState: true, inputShape: [3, 2] }))),
      stateful: await catchErr(() => tf.sequential().add(tf.layers.gru({ units: 2, stateful: true, inputShape: [3, 2] }))),
      wrapNonRnn: await catchErr(() => tf.layers.bidirectional({ layer: tf.layers.dense({ units: 2 }) })),
      predictShape: await catchErr(() => cnn.predict(tf.zeros([2, 5, 4, 1]))),
      wrappedIndex: await catchErr(() => {
        const m = tf.sequential();
        m.add(tf.layers.timeDistributed({ layer: tf.layers.embedding({ inputDim: 4, outputDim: 2 }), inputShape: [2, 3] }));
        return m.predict(tf.tensor3d([[[0, 1, 2], [3, 9, 0]]]));
      }),
      after: await intact(),
    };
  });
  assertError(r.convRank, /Conv2D 'conv2d_Conv2D\d+'/, /rank 4/, /\[null,4\]/);
  assertError(r.convTooSmall, /Conv2D/, /larger than the input/);
  assertError(r.badPadding, /padding/, /'full'/);
  assertError(r.stridesAndDilation, /strides/, /dilationRate/);
  assertError(r.channelsFirst, /MaxPooling2D/, /channelsLast/);
  assertError(r.lstmRank, /LSTM 'lstm_LSTM\d+'/, /rank 3/, /\[null,4\]/);
  assertError(r.returnState, /LSTM/, /returnState/, /tf\.model/);
  assertError(r.stateful, /GRU/, /stateful/, /fixed batch size/);
  assertError(r.wrapNonRnn, /Bidirectional/, /SimpleRNN, LSTM or GRU/, /Dense/);
  assertError(r.predictShape, /conv2d_Conv2D\d+/, /\[null,5,5,1\]/, /\[2,5,4,1\]/);
  assertError(r.wrappedIndex, /TimeDistributed/, /Embedding/, /index 9/, /\[0, 4\)/);
  assertIntact(r.after);
});

test('a recurrent cell whose config is not an object is an error naming the layer, in code and in model.json, and the engine keeps working', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const out = {};
    try { tf.layers.rnn({ cell: { className: 'LSTMCell', config: 1 } }).apply(tf.input({ shape: [3, 2] })); out.code = 'no error'; } catch (e) { out.code = e.message; }
    try { tf.layers.rnn({ cell: [{ className: 'GRUCell', config: { units: 2 } }, { className: 'LSTMCell', config: 'x' }] }).apply(tf.input({ shape: [3, 2] })); out.stacked = 'no error'; } catch (e) { out.stacked = e.message; }
    try { tf.layers.bidirectional({ layer: { className: 'LSTM', config: [1] } }); out.wrapper = 'no error'; } catch (e) { out.wrapper = e.message; }
    const topology = {
      class_name: 'Sequential',
      config: { name: 's', layers: [{ class_name: 'RNN', config: { name: 'rnn', batch_input_shape: [null, 3, 2], cell: { class_name: 'LSTMCell', config: 1 } } }] },
    };
    try { await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, format: 'layers-model' })); out.json = 'no error'; } catch (e) { out.json = e.message; }
    const m = tf.sequential({ layers: [tf.layers.lstm({ units: 2, inputShape: [3, 2] }), tf.layers.dense({ units: 1 })] });
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const h = await m.fit(tf.ones([4, 3, 2]), tf.ones([4, 1]), { epochs: 2, verbose: 0 });
    out.trained = h.history.loss.length;
    return out;
  });
  for (const k of ['code', 'stacked', 'json']) assert.match(r[k], /RNN.*config of the wrapped LSTMCell must be an object/, k);
  assert.match(r.wrapper, /Bidirectional.*config of the wrapped LSTM must be an object/);
  assert.equal(r.trained, 2);
});

test('if the engine instance traps anyway, the call says so, old tensors say they are gone, and the next calls (and training) work on a fresh engine', { timeout: 120_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const out = { before: tf.getBackend() };
    const old = tf.tensor([1, 2, 3]);
    const oldModel = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    try { tf._debug.trap(); out.trap = 'no error'; } catch (e) { out.trap = e.message; }
    try { old.dataSync(); out.old = 'no error'; } catch (e) { out.old = e.message; }
    try { oldModel.predict(tf.ones([1, 2])); out.oldModel = 'no error'; } catch (e) { out.oldModel = e.message; }
    old.dispose();
    out.fresh = Array.from(tf.tensor([1, 2, 3]).mul(2).dataSync());
    // WebGPU comes back by itself when it was in use.
    for (let i = 0; i < 50 && tf.getBackend() !== out.before; i++) await new Promise((res) => setTimeout(res, 20));
    out.after = tf.getBackend();
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
    m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const h = await m.fit(tf.tensor2d([[0], [1], [2], [3]]), tf.tensor2d([[1], [3], [5], [7]]), { epochs: 60, verbose: 0 });
    out.loss = [h.history.loss[0], h.history.loss.at(-1)];
    return out;
  });
  assert.match(r.trap, /the engine stopped \(.*debug_trap\); tensors and models made before this are gone/);
  assert.match(r.old, /made before the engine stopped/);
  assert.notEqual(r.oldModel, 'no error');
  assert.deepEqual(r.fresh, [2, 4, 6]);
  assert.equal(r.after, r.before);
  assert.ok(r.loss[1] < r.loss[0] / 10, `loss ${r.loss}`);
});

test('tf.callbacks.terminateOnNaN stops fit at the first batch whose loss is not finite (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
      // A learning rate that blows the weights up within a few batches.
      m.compile({ optimizer: tf.train.sgd(1e6), loss: 'meanSquaredError' });
      const batches = [];
      const h = await m.fit(tf.linspace(-50, 50, 64).reshape([64, 1]), tf.linspace(0, 900, 64).reshape([64, 1]), {
        epochs: 20, batchSize: 8, verbose: 0,
        callbacks: [tf.callbacks.terminateOnNaN(), { onBatchEnd: (b, logs) => batches.push(logs.loss) }],
      });
      out[backend] = { epochs: h.history.loss.length, batches: batches.length, last: batches.at(-1) };
    }
    return out;
  });
  for (const [backend, v] of Object.entries(r)) {
    assert.ok(!Number.isFinite(v.last), `${backend}: the last batch's loss ${v.last}`);
    assert.ok(v.batches < 20 * 8 && v.epochs < 20, `${backend}: ran ${v.batches} batches in ${v.epochs} epochs`);
  }
});

test('out of memory is an Error: a tensor too large, a model too large for the tab; the engine keeps working', { timeout: 120_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const out = {};
    const msg = async (f) => { try { await f(); return 'no error'; } catch (e) { return e instanceof Error ? e.message : `not an Error: ${e}`; } };
    out.zeros = await msg(() => tf.zeros([1e6, 1e6]));
    out.layer = await msg(() => tf.sequential({ layers: [tf.layers.dense({ units: 100000, inputShape: [100000] })] }));
    // Each layer fits; together they would need 10 GB: refused at the layer that crosses the line.
    out.model = await msg(() => {
      const layers = [tf.layers.dense({ units: 8192, inputShape: [8192], name: 'wide_0' })];
      for (let i = 1; i < 40; i++) layers.push(tf.layers.dense({ units: 8192, name: `wide_${i}` }));
      return tf.sequential({ layers });
    });
    out.restarts = tf._debug.restarts();
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] })] });
    out.alive = m.predict(tf.ones([2, 3])).shape;
    return out;
  });
  assert.match(r.zeros, /^fill: shape \[1000000,1000000\] has 1000000000000 elements, more than/);
  assert.match(r.layer, /Dense 'dense_Dense\d+': shape \[100000,100000\] has too many elements/);
  assert.match(r.model, /Dense 'wide_1'.*the model's weights would hold \d+ values.*a model holds at most/);
  assert.equal(r.restarts, 0, 'nothing trapped');
  assert.deepEqual(r.alive, [2, 4]);
});

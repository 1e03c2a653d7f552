// The functional API through the public JS API: tf.input + tf.model with two inputs and two
// outputs (a loss and metrics each), merge layers, a shared layer, a residual connection, a model
// nested as a layer (weights shared with it), transfer learning with a frozen base, summary()
// against TF.js, and wiring mistakes raising errors that name the layer and shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'functional' });

// Two inputs a:[4], b:[3]; outputs: the class argmax(a[0..3] + b) and the value sum(a) - b[0].
test('a functional model with two inputs and two outputs trains (WebGPU and CPU)', { timeout: 3 * TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  for (const backend of ['webgpu', 'cpu']) {
    const r = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      tf.util.seed(3);
      let s = 12345;
      const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
      const make = (n) => {
        const a = [], bb = [], cls = [], reg = [];
        for (let i = 0; i < n; i++) {
          const ai = [rnd(), rnd(), rnd(), rnd()];
          const bi = [rnd(), rnd(), rnd()];
          const sc = [0, 1, 2].map((k) => ai[k] + bi[k]);
          const c = sc.indexOf(Math.max(...sc));
          a.push(...ai); bb.push(...bi);
          cls.push(...[0, 1, 2].map((k) => (k === c ? 1 : 0)));
          reg.push(ai[0] + ai[1] + ai[2] + ai[3] - bi[0]);
        }
        return { a: tf.tensor2d(a, [n, 4]), b: tf.tensor2d(bb, [n, 3]), cls: tf.tensor2d(cls, [n, 3]), reg: tf.tensor1d(reg) };
      };
      const train = make(1500);
      const held = make(300);
      const inA = tf.input({ shape: [4], name: 'a' });
      const inB = tf.input({ shape: [3], name: 'b' });
      const da = tf.layers.dense({ units: 16, activation: 'relu' }).apply(inA);
      const db = tf.layers.dense({ units: 16, activation: 'relu' }).apply(inB);
      const shared = tf.layers.dense({ units: 16, activation: 'tanh', name: 'shared' });
      const sa = shared.apply(da);
      const sb = shared.apply(db);
      const cat = tf.layers.concatenate().apply([sa, sb]);
      const mix = tf.layers.dense({ units: 16 }).apply(cat);
      const res = tf.layers.add().apply([mix, sa]);
      const cls = tf.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(res);
      const reg = tf.layers.dense({ units: 1, name: 'reg' }).apply(res);
      const model = tf.model({ inputs: [inA, inB], outputs: [cls, reg] });
      model.compile({
        optimizer: tf.train.adam(0.01),
        loss: { cls: 'categoricalCrossentropy', reg: 'meanSquaredError' },
        metrics: { cls: ['accuracy'] },
        lossWeights: [1, 0.5],
      });
      const h = await model.fit([train.a, train.b], { cls: train.cls, reg: train.reg }, { epochs: 40, batchSize: 32, validationData: [[held.a, held.b], [held.cls, held.reg]] });
      const [pc, pr] = model.predict({ a: held.a, b: held.b });
      const predCls = pc.argMax(-1).dataSync();
      const trueCls = held.cls.argMax(-1).dataSync();
      let right = 0;
      for (let i = 0; i < predCls.length; i++) right += predCls[i] === trueCls[i] ? 1 : 0;
      const regErr = tf.mean(tf.square(tf.sub(pr.reshape([-1]), held.reg))).dataSync()[0];
      const ev = model.evaluate([held.a, held.b], [held.cls, held.reg]).map((t) => t.dataSync()[0]);
      const last = (k) => h.history[k][h.history[k].length - 1];
      return {
        keys: Object.keys(h.history).sort(),
        names: model.metricsNames,
        acc: right / predCls.length,
        regErr,
        shapes: [pc.shape, pr.shape],
        total: last('loss'), parts: [last('cls_loss'), last('reg_loss')],
        ev, valAcc: last('val_cls_acc'),
        layers: model.layers.map((l) => l.name),
        sharedCalls: shared._inbound.length,
        params: model.countParams(),
      };
    }, backend);
    assert.deepEqual(r.names, ['loss', 'cls_loss', 'reg_loss', 'cls_acc'], backend);
    assert.deepEqual(r.keys, ['cls_acc', 'cls_loss', 'loss', 'reg_loss', 'val_cls_acc', 'val_cls_loss', 'val_loss', 'val_reg_loss'], backend);
    assert.deepEqual(r.shapes, [[300, 3], [300, 1]]);
    assert.ok(r.acc >= 0.9, `${backend}: held-out class accuracy ${r.acc}`);
    assert.ok(r.regErr < 0.1, `${backend}: held-out regression mse ${r.regErr}`);
    // The total loss is the weighted sum of the outputs' losses.
    assert.ok(Math.abs(r.total - (r.parts[0] + 0.5 * r.parts[1])) < 1e-3, `${backend}: ${r.total} vs ${r.parts}`);
    assert.ok(Math.abs(r.ev[3] - r.acc) < 1e-6, `${backend}: evaluate's accuracy ${r.ev[3]} vs ${r.acc}`);
    assert.ok(Math.abs(r.valAcc - r.acc) < 1e-6, `${backend}: the last val_cls_acc ${r.valAcc} vs ${r.acc}`);
    assert.equal(r.sharedCalls, 2);
    assert.deepEqual(r.layers.slice(0, 2), ['a', 'b']);
    // Shared weights counted once: 4*16+16 + 3*16+16 + 16*16+16 + 32*16+16 + 16*3+3 + 16+1.
    assert.equal(r.params, 80 + 64 + 272 + 528 + 51 + 17);
  }
});

test('a nested model shares its weights; a frozen base stays put while a new head trains', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    await tf.setBackend('cpu');
    tf.util.seed(5);
    // An encoder as its own model, then used as a layer in a classifier.
    const x = tf.input({ shape: [6] });
    const h1 = tf.layers.dense({ units: 8, activation: 'relu', name: 'enc1' }).apply(x);
    const code = tf.layers.dense({ units: 4, activation: 'tanh', name: 'enc2' }).apply(h1);
    const encoder = tf.model({ inputs: x, outputs: code, name: 'encoder' });
    const inp = tf.input({ shape: [6] });
    const feat = encoder.apply(inp);
    const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'head' }).apply(feat);
    const clf = tf.model({ inputs: inp, outputs: out });
    const xs = tf.randomNormal([200, 6], 0, 1, 'float32', 1);
    const lab = tf.oneHot(tf.cast(tf.greater(tf.sum(xs.slice([0, 0], [200, 3]), 1), 0), 'int32'), 2);
    const before = encoder.predict(xs).dataSync().slice();
    clf.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const h = await clf.fit(xs, lab, { epochs: 25, batchSize: 20 });
    // The encoder model sees what the classifier trained.
    const after = encoder.predict(xs).dataSync().slice();
    const feats = tf.model({ inputs: inp, outputs: feat }).predict(xs).dataSync();
    let changed = 0, same = 0;
    for (let i = 0; i < after.length; i++) {
      changed = Math.max(changed, Math.abs(after[i] - before[i]));
      same = Math.max(same, Math.abs(after[i] - feats[i]));
    }
    // Transfer: freeze the encoder, train a new head on another task.
    encoder.trainable = false;
    const frozen = encoder.getWeights().map((t) => t.dataSync().slice());
    const inp2 = tf.input({ shape: [6] });
    const out2 = tf.layers.dense({ units: 1, name: 'head2' }).apply(encoder.apply(inp2));
    const reg = tf.model({ inputs: inp2, outputs: out2 });
    reg.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const h2 = await reg.fit(xs, tf.sum(xs, 1), { epochs: 5, batchSize: 20 });
    const still = encoder.getWeights().map((t) => t.dataSync().slice());
    let moved = 0;
    still.forEach((w, i) => w.forEach((v, k) => { moved = Math.max(moved, Math.abs(v - frozen[i][k])); }));
    return {
      acc: h.history.acc[h.history.acc.length - 1], changed, same, moved,
      clfLayers: clf.layers.map((l) => l.name), trainable: reg.countParams(),
      regLoss: [h2.history.loss[0], h2.history.loss[4]],
    };
  });
  assert.ok(r.acc >= 0.9, `classifier accuracy ${r.acc}`);
  assert.ok(r.changed > 1e-3, 'training the classifier changed the shared encoder');
  assert.ok(r.same < 1e-5, `encoder.predict equals the classifier's features (${r.same})`);
  assert.equal(r.moved, 0, 'a frozen encoder keeps its weights');
  assert.ok(r.regLoss[1] < r.regLoss[0], `the new head learns: ${r.regLoss}`);
  // The nested encoder shows as one entry, after the classifier's own input layer.
  assert.equal(r.clfLayers.length, 3, r.clfLayers.join(', '));
  assert.match(r.clfLayers[0], /^input\d+$/);
  assert.deepEqual(r.clfLayers.slice(1), ['encoder', 'head']);
});

test('a self-attention model (multiHeadAttention, which TF.js lacks) trains on WebGPU and the CPU', { timeout: 2 * TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  for (const backend of ['webgpu', 'cpu']) {
    const r = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      tf.util.seed(8);
      // Target: the largest first feature over the sequence, which needs every position.
      const x = tf.randomUniform([256, 6, 4], -1, 1, 'float32', 2);
      const y = tf.max(x.slice([0, 0, 0], [256, 6, 1]).reshape([256, 6]), 1).reshape([-1, 1]);
      const inp = tf.input({ shape: [6, 4] });
      const att = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 8, name: 'mha' }).apply([inp, inp]);
      const res = tf.layers.add().apply([inp, att]);
      const pooled = tf.layers.globalMaxPooling1d().apply(tf.layers.dense({ units: 16, activation: 'relu' }).apply(res));
      const out = tf.layers.dense({ units: 1 }).apply(pooled);
      const m = tf.model({ inputs: inp, outputs: out });
      m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const h = await m.fit(x, y, { epochs: 40, batchSize: 32 });
      return { first: h.history.loss[0], last: h.history.loss[39], params: m.getLayer('mha').countParams() };
    }, backend);
    assert.ok(r.last < 0.25 * r.first, `${backend}: loss ${r.first} -> ${r.last}`);
    // query/key/value kernels [4, 2, 8] + biases [2, 8], output kernel [2, 8, 4] + bias [4].
    assert.equal(r.params, 3 * (4 * 16 + 16) + (16 * 4 + 4));
  }
});

test('functional summary() matches TF.js', { timeout: 60_000 }, async () => {
  const build = () => {
    const a = tf.input({ shape: [4], name: 'ina' });
    const c = tf.input({ shape: [3], name: 'inb' });
    const d1 = tf.layers.dense({ units: 5, name: 'd1' }).apply(a);
    const d2 = tf.layers.dense({ units: 5, name: 'd2' }).apply(c);
    const sh = tf.layers.dense({ units: 5, name: 'sh' });
    const s1 = sh.apply(d1);
    const s2 = sh.apply(d2);
    const m = tf.layers.multiply({ name: 'mul' }).apply([s1, s2]);
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([m, d1, s2]);
    const o1 = tf.layers.dense({ units: 2, name: 'o1' }).apply(cat);
    const o2 = tf.layers.dense({ units: 1, name: 'o2' }).apply(tf.layers.add({ name: 'res' }).apply([s1, d1]));
    const model = tf.model({ inputs: [a, c], outputs: [o1, o2] });
    const lines = [];
    model.summary(undefined, undefined, (l) => lines.push(l));
    return lines;
  };
  const ours = await (await b.openHebb()).evaluate(build);
  const ref = await (await b.openTfjs()).evaluate(build);
  assert.ok(ref.length > 10);
  assert.deepEqual(ours, ref);
});

test('wiring mistakes raise errors naming the layer and the shapes', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(() => {
    const msg = (f) => { try { f(); return 'no error'; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
    const a = tf.input({ shape: [4], name: 'x4' });
    const c = tf.input({ shape: [3], name: 'x3' });
    const d = tf.layers.dense({ units: 2, name: 'dd' });
    const out = tf.layers.dense({ units: 1, name: 'one' }).apply(a);
    const m = tf.model({ inputs: a, outputs: out });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const two = tf.model({ inputs: [a, c], outputs: tf.layers.concatenate().apply([a, c]) });
    return {
      concat: msg(() => tf.layers.concatenate({ name: 'cc' }).apply([tf.input({ shape: [2, 4] }), tf.input({ shape: [3, 3] })])),
      addOne: msg(() => tf.layers.add({ name: 'plus' }).apply([a])),
      denseTwo: msg(() => d.apply([a, c])),
      missing: msg(() => tf.model({ inputs: a, outputs: tf.layers.add().apply([a, tf.layers.dense({ units: 4 }).apply(c)]) })),
      notSym: msg(() => tf.model({ inputs: [tf.ones([2, 4])], outputs: out })),
      fitCount: msg(() => { two.predict([tf.ones([2, 4])]); }),
      fitShape: msg(() => { two.predict([tf.ones([2, 4]), tf.ones([2, 5])]); }),
      rows: msg(() => { two.predict([tf.ones([2, 4]), tf.ones([3, 3])]); }),
      losses: msg(() => m.compile({ optimizer: 'sgd', loss: ['mse', 'mse'] })),
      stillPredicts: m.predict(tf.ones([1, 4])).shape,
    };
  });
  assert.match(r.concat, /^Error: .*Concatenate 'cc'.*\[null,2,4\], \[null,3,3\]/);
  assert.match(r.addOne, /^Error: .*Add 'plus'.*at least 2 inputs/);
  assert.match(r.denseTwo, /^Error: .*Dense 'dd'.*single input.*\[null,4\], \[null,3\]/);
  assert.match(r.missing, /^Error: tf.model: the outputs depend on the input 'x3', which is not in inputs/);
  assert.match(r.notSym, /^Error: tf.model: inputs\[0\] must be a SymbolicTensor/);
  assert.match(r.fitCount, /^Error: predict: the model has 2 inputs \(x4, x3\), received 1 tensor/);
  assert.match(r.fitShape, /^Error: predict: input 'x3' expects shape \[null,3\], received x\[1\] of shape \[2,5\]/);
  assert.match(r.rows, /^Error: predict: every input needs the same number of samples/);
  assert.match(r.losses, /^Error: compile: the model has 1 output \(one\), received 2 losses/);
  assert.deepEqual(r.stillPredicts, [1, 1]);
});

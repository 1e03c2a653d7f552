// Custom layers through the public API, written as TF.js users write them (class extends
// tf.layers.Layer with build/addWeight/call/computeOutputShape/getConfig, registered with
// tf.serialization.registerClass): they train like built-ins on WebGPU and the CPU, work in
// functional models, survive save/load, and mistakes raise errors naming the layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'custom-layer' });

// Defines window.MyDense (tanh(x·W + b) with a learned per-unit gain) and a 3-class dataset.
async function setup(page) {
  await page.evaluate(() => {
    class MyDense extends tf.layers.Layer {
      constructor(config) {
        super(config);
        this.units = config.units;
      }
      build(inputShape) {
        this.kernel = this.addWeight('kernel', [inputShape[inputShape.length - 1], this.units], 'float32', tf.initializers.glorotUniform({ seed: 1 }));
        this.gain = this.addWeight('gain', [this.units], 'float32', tf.initializers.ones());
        this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
      }
      computeOutputShape(inputShape) { return [inputShape[0], this.units]; }
      call(inputs) {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.tanh(tf.add(tf.mul(tf.matMul(x, this.kernel.read()), this.gain.read()), this.bias.read()));
      }
      getConfig() { return { ...super.getConfig(), units: this.units }; }
      static get className() { return 'MyDense'; }
    }
    tf.serialization.registerClass(MyDense);
    window.MyDense = MyDense;
    const xs = [];
    const ys = [];
    let s = 7;
    const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 100; i++) {
        const t = (i / 100) * 3.5 + c * 2.1 + (r() - 0.5) * 0.2;
        const rad = i / 100;
        xs.push(rad * Math.sin(t), rad * Math.cos(t));
        ys.push(c);
      }
    }
    window.spiral = { x: tf.tensor2d(xs, [300, 2]), y: tf.oneHot(tf.tensor1d(ys, 'int32'), 3) };
  });
}

test('a custom layer trains like a built-in (WebGPU and CPU) and survives save/load', { timeout: 3 * TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  await setup(page);
  for (const backend of ['webgpu', 'cpu']) {
    const r = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      tf.util.seed(1);
      const m = tf.sequential();
      m.add(new MyDense({ units: 32, inputShape: [2] }));
      m.add(new MyDense({ units: 32 }));
      m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
      m.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const h = await m.fit(spiral.x, spiral.y, { epochs: 150, batchSize: 32 });
      const acc = h.history.acc[h.history.acc.length - 1];
      const want = Array.from(m.predict(spiral.x).dataSync());
      await m.save(`indexeddb://custom-${backend}`);
      const loaded = await tf.loadLayersModel(`indexeddb://custom-${backend}`);
      const got = Array.from(loaded.predict(spiral.x).dataSync());
      const gain = m.layers[0].gain.read();
      return {
        acc, same: JSON.stringify(got) === JSON.stringify(want), maxDiff: Math.max(...got.map((v, i) => Math.abs(v - want[i]))),
        params: m.countParams(), names: m.layers[0].weights.map((w) => w.name), cls: loaded.layers[0].getClassName(),
        units: loaded.layers[1].getConfig().units, gainMoved: Math.max(...Array.from(gain.dataSync()).map((v) => Math.abs(v - 1))),
      };
    }, backend);
    assert.ok(r.acc >= 0.9, `${backend}: spiral accuracy ${r.acc}`);
    assert.ok(r.maxDiff < 1e-5, `${backend}: loaded predictions differ by ${r.maxDiff}`);
    assert.equal(r.params, (2 * 32 + 32 + 32) + (32 * 32 + 32 + 32) + (32 * 3 + 3));
    assert.equal(r.cls, 'MyDense');
    assert.equal(r.units, 32);
    assert.ok(r.gainMoved > 1e-3, 'every custom weight trains');
    assert.deepEqual(r.names.map((n) => n.split('/')[1]), ['kernel', 'gain', 'bias']);
  }
});

test('custom layers in functional models, applied to tensors, and their errors', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  await setup(page);
  const r = await page.evaluate(async () => {
    await tf.setBackend('cpu');
    const msg = (f) => { try { f(); return 'no error'; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
    // A two-input custom layer: a learned mix a·w1 + b·w2.
    class Mix extends tf.layers.Layer {
      build(shapes) { this.w = this.addWeight('w', [2], 'float32', tf.initializers.constant({ value: 0.5 })); }
      call([a, c]) {
        const w = this.w.read();
        return tf.add(tf.mul(a, w.slice([0], [1])), tf.mul(c, w.slice([1], [1])));
      }
      static get className() { return 'Mix'; }
    }
    const a = tf.input({ shape: [3] });
    const c = tf.input({ shape: [3] });
    const mixed = new Mix({}).apply([a, c]);
    const out = new MyDense({ units: 2 }).apply(mixed);
    const f = tf.model({ inputs: [a, c], outputs: out });
    const xa = tf.ones([4, 3]);
    const xc = tf.zeros([4, 3]);
    const p = f.predict([xa, xc]);
    f.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const h = await f.fit([xa, xc], tf.fill([4, 2], 0.3), { epochs: 20 });
    // Applied to a tensor directly, a custom layer builds and runs.
    const direct = new MyDense({ units: 4 }).apply(tf.ones([2, 5]));
    class NoTensor extends tf.layers.Layer { call() { return 3; } static get className() { return 'NoTensor'; } }
    class BatchBound extends tf.layers.Layer { call(x) { return tf.mul(x, x.shape[0]); } static get className() { return 'BatchBound'; } }
    class BatchWide extends tf.layers.Layer { call(x) { const col = x.slice([0, 0], [-1, 1]); return tf.concat(new Array(x.shape[0]).fill(col), 1); } static get className() { return 'BatchWide'; } }
    class BadWeight extends tf.layers.Layer { build() { this.addWeight('w', [0, 2]); } call(x) { return x; } static get className() { return 'BadWeight'; } }
    const s = tf.sequential();
    s.add(new MyDense({ units: 3, inputShape: [4], name: 'md' }));
    return {
      p: p.shape, loss: [h.history.loss[0], h.history.loss[19]], direct: direct.shape,
      noTensor: msg(() => new NoTensor({ name: 'nt' }).apply(tf.input({ shape: [2] }))),
      // A call that reads the batch size runs as TF.js runs it: recorded per batch size.
      batch: Array.from(new BatchBound({ name: 'bb' }).apply(tf.tensor2d([[1, 2], [3, 4], [5, 6]])).dataSync()),
      batchWide: msg(() => new BatchWide({ name: 'bw2' }).apply(tf.input({ shape: [2] }))),
      badWeight: msg(() => new BadWeight({ name: 'bw' }).apply(tf.input({ shape: [2] }))),
      wrongShape: msg(() => s.layers[0].apply(tf.input({ shape: [7] }))),
      stillWorks: s.predict(tf.ones([1, 4])).shape,
    };
  });
  assert.deepEqual(r.p, [4, 2]);
  assert.ok(r.loss[1] < r.loss[0], `functional model with custom layers trains: ${r.loss}`);
  assert.deepEqual(r.direct, [2, 4]);
  assert.match(r.noTensor, /^Error: NoTensor 'nt': call\(\) failed .*must return one Tensor/);
  assert.deepEqual(r.batch, [3, 6, 9, 12, 15, 18]);
  assert.match(r.batchWide, /^Error: BatchWide 'bw2': call\(\) gives outputs of feature shape \[5\] for a batch of 5 and \[7\] for 7/);
  assert.match(r.badWeight, /^Error: BadWeight 'bw': addWeight 'w': shape must be an array of positive integers/);
  assert.match(r.wrongShape, /^Error: MyDense 'md': the layer was built for input shape \[null,4\], received \[null,7\]/);
  assert.deepEqual(r.stillWorks, [1, 3]);
});

// Weight constraints through the public API (tf.constraints.maxNorm/nonNeg/unitNorm/minMaxNorm,
// names and {className, config}): they hold after fit, and after every batch, on WebGPU and the
// CPU while the same training without them breaks the limits; getConfig, TF.js model.json
// save/load (read back by Hebb and by TF.js itself) and Keras 3 .keras files keep them; bad
// arguments throw errors naming the layer and the option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, ROOT, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'constraints' });

const close = (got, want, tol, what) => {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
};

/** L2 norms of the columns of a row-major [rows, cols] matrix (axis 0, as the default axis). */
const colNorms = (w, rows, cols) => Array.from({ length: cols }, (_, c) => Math.hypot(...Array.from({ length: rows }, (_, r) => w[r * cols + c])));

test('maxNorm and nonNeg hold after fit and after every batch on WebGPU and the CPU', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const seen = [];
  for (const backend of ['webgpu', 'cpu']) {
    const ok = await page.evaluate((bk) => tf.setBackend(bk), backend);
    if (!ok) {
      assert.notEqual(backend, 'cpu', 'the CPU backend must run');
      process.stdout.write('# no WebGPU adapter here: checked on the CPU backend only\n');
      continue;
    }
    const r = await page.evaluate(async () => {
      const n = 64;
      const rows = Array.from({ length: n }, (_, i) => [0, 1, 2, 3].map((j) => Math.sin(0.7 * i + 1.3 * j) + 0.3 * Math.cos(i * j)));
      const x = tf.tensor2d(rows.flat(), [n, 4]);
      // Targets that want large weights of both signs.
      const y = tf.tensor2d(rows.map((v) => [3 * v[0] - 4 * v[1] + 2 * v[2] - 5 * v[3]]), [n, 1]);
      const run = async (opts, watch = false) => {
        tf.util.seed(7);
        const m = tf.sequential();
        m.add(tf.layers.dense({ units: 3, inputShape: [4], ...opts }));
        m.add(tf.layers.dense({ units: 1 }));
        m.compile({ optimizer: tf.train.adam(0.2), loss: 'meanSquaredError' });
        const perBatch = [];
        // Watching batches reads the weights of each batch (on WebGPU, read back per batch).
        const callbacks = watch ? { onBatchEnd: () => { perBatch.push(Array.from(m.layers[0].getWeights()[0].dataSync())); } } : undefined;
        const h = await m.fit(x, y, { epochs: 12, batchSize: 16, callbacks });
        const [k, bias] = m.layers[0].getWeights();
        return { k: Array.from(k.dataSync()), b: Array.from(bias.dataSync()), loss: h.history.loss, perBatch };
      };
      return {
        backend: tf.getBackend(),
        maxNorm: await run({ kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.5 }) }),
        watched: await run({ kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.5 }) }, true),
        nonNeg: await run({ kernelConstraint: 'nonNeg', biasConstraint: tf.constraints.nonNeg() }),
        free: await run({}),
      };
    });
    assert.equal(r.backend, backend);
    seen.push(backend);
    const norms = colNorms(r.maxNorm.k, 4, 3);
    assert.ok(norms.every((v) => v <= 0.5 + 1e-5), `${backend} maxNorm column norms ${norms}`);
    assert.ok(Math.max(...norms) > 0.49, `${backend}: the constraint binds (norms ${norms})`);
    assert.ok(r.maxNorm.loss.every(Number.isFinite), `${backend} losses ${r.maxNorm.loss}`);
    assert.equal(r.watched.perBatch.length, 12 * 4);
    r.watched.perBatch.forEach((k, i) => {
      const nb = colNorms(k, 4, 3);
      assert.ok(nb.every((v) => v <= 0.5 + 1e-5), `${backend} batch ${i}: column norms ${nb}`);
    });
    close(r.watched.k, r.maxNorm.k, 1e-5, `${backend}: watching batches changes nothing`);
    assert.ok([...r.nonNeg.k, ...r.nonNeg.b].every((v) => v >= 0), `${backend} nonNeg weights ${r.nonNeg.k} ${r.nonNeg.b}`);
    // The same training without constraints goes past both limits.
    assert.ok(Math.max(...colNorms(r.free.k, 4, 3)) > 1, `${backend} free column norms ${colNorms(r.free.k, 4, 3)}`);
    assert.ok(r.free.k.some((v) => v < -0.1), `${backend} free kernel ${r.free.k}`);
  }
  assert.ok(seen.includes('cpu'));
});

test('getConfig, TF.js model.json save/load and Keras .keras files keep the constraints', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    await tf.setBackend('cpu');
    tf.util.seed(4);
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 6, outputDim: 3, inputShape: [4], embeddingsConstraint: tf.constraints.maxNorm({ maxValue: 1, axis: 1 }) }));
    m.add(tf.layers.lstm({
      units: 2, kernelConstraint: 'unitNorm', recurrentConstraint: tf.constraints.minMaxNorm({ minValue: 0.5, maxValue: 1, rate: 0.5 }),
      biasConstraint: { className: 'NonNeg', config: {} },
    }));
    m.add(tf.layers.dense({ units: 1, kernelConstraint: 'maxNorm' }));
    const cfgs = m.layers.map((l) => l.getConfig());
    let artifacts;
    await m.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts.modelTopology, artifacts.weightSpecs, artifacts.weightData));
    const loadedCfgs = loaded.layers.map((l) => l.getConfig());
    // The loaded model trains under its constraints.
    const x = tf.tensor2d([0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0, 1, 3, 5, 0], [4, 4]);
    loaded.compile({ optimizer: tf.train.sgd(5), loss: 'meanSquaredError' });
    await loaded.fit(x, tf.tensor2d([[3], [-3], [2], [-2]]), { epochs: 5 });
    const emb = Array.from(loaded.layers[0].getWeights()[0].dataSync());
    return {
      cfgs: cfgs.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => k.endsWith('Constraint')))),
      loadedCfgs: loadedCfgs.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => k.endsWith('Constraint')))),
      json: artifacts.modelTopology,
      specs: artifacts.weightSpecs,
      data: Array.from(new Uint8Array(artifacts.weightData)),
      emb,
    };
  });
  const maxNorm2 = { className: 'MaxNorm', config: { maxValue: 2, axis: 0 } };
  assert.deepEqual(r.cfgs, [
    { embeddingsConstraint: { className: 'MaxNorm', config: { maxValue: 1, axis: 1 } } },
    {
      kernelConstraint: { className: 'UnitNorm', config: { axis: 0 } },
      recurrentConstraint: { className: 'MinMaxNorm', config: { minValue: 0.5, maxValue: 1, rate: 0.5, axis: 0 } },
      biasConstraint: { className: 'NonNeg', config: {} },
    },
    // getConfig lists every option, as TF.js's does: the bias has none.
    { kernelConstraint: maxNorm2, biasConstraint: null },
  ]);
  // model.json in TF.js's form: snake_case keys, class names kept.
  const dense = r.json.config.layers[2].config;
  assert.deepEqual(dense.kernel_constraint, { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } });
  assert.equal(dense.bias_constraint, null);
  assert.deepEqual(r.json.config.layers[1].config.recurrent_constraint, { class_name: 'MinMaxNorm', config: { min_value: 0.5, max_value: 1, rate: 0.5, axis: 0 } });
  for (let i = 0; i < 3; i++) {
    for (const [k, v] of Object.entries(r.cfgs[i])) assert.deepEqual(r.loadedCfgs[i][k], v, `loaded layer ${i} ${k}`);
  }
  // Embeddings [6, 3] under maxNorm over axis 1: each row.
  const rows = Array.from({ length: 6 }, (_, i) => Math.hypot(...r.emb.slice(3 * i, 3 * i + 3)));
  assert.ok(rows.every((v) => v <= 1 + 1e-5), `embedding row norms after training ${rows}`);

  // TF.js itself reads the constraints Hebb wrote.
  const tfjs = await b.openTfjs();
  const tfjsCfgs = await tfjs.evaluate(async (s) => {
    const m = await tf.loadLayersModel(tf.io.fromMemory(s.json, s.specs, new Uint8Array(s.data).buffer));
    return m.layers.map((l) => Object.fromEntries(Object.entries(l.getConfig()).filter(([k, v]) => k.endsWith('Constraint') && v !== null)));
  }, r);
  assert.deepEqual(tfjsCfgs, r.cfgs.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== null))));

  // A Keras 3 .keras file with constraints: the same predictions, the constraints in the config,
  // and fine-tuning keeps them.
  const fx = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/keras/constrained.json'), 'utf8'));
  const k = await page.evaluate(async (fx) => {
    const m = await tf.loadLayersModel('/tests/fixtures/keras/constrained.keras');
    const x = tf.tensor(fx.inputs[0].data, fx.inputs[0].shape);
    const out = Array.from(m.predict(x).dataSync());
    const cfgs = m.layers.map((l) => Object.fromEntries(Object.entries(l.getConfig()).filter(([key, v]) => key.endsWith('Constraint') && v !== null)));
    m.compile({ optimizer: tf.train.sgd(3), loss: 'meanSquaredError' });
    await m.fit(x, tf.tensor2d([[4, -4], [-4, 4], [3, 3]]), { epochs: 4 });
    const w = (name) => Array.from(m.getLayer(name).getWeights()[0].dataSync());
    return { out, cfgs, conv: w('conv'), convBias: Array.from(m.getLayer('conv').getWeights()[1].dataSync()), hidden: w('hidden'), outK: w('out') };
  }, fx);
  close(k.out, fx.outputs[0].data, 1e-4, 'constrained.keras prediction');
  assert.deepEqual(k.cfgs, [
    { kernelConstraint: { className: 'MaxNorm', config: { maxValue: 2, axis: [0, 1, 2] } }, biasConstraint: { className: 'NonNeg', config: {} } },
    {},
    { kernelConstraint: { className: 'MinMaxNorm', config: { minValue: 0.5, maxValue: 1.5, rate: 0.5, axis: 0 } } },
    { kernelConstraint: { className: 'UnitNorm', config: { axis: 0 } } },
  ]);
  // conv kernel [3, 3, 2, 3]: each filter (axes 0, 1, 2) within norm 2.
  const filters = colNorms(k.conv, 18, 3);
  assert.ok(filters.every((v) => v <= 2 + 1e-5), `conv filter norms ${filters}`);
  assert.ok(k.convBias.every((v) => v >= 0), `conv bias ${k.convBias}`);
  const unit = colNorms(k.outK, 4, 2);
  assert.ok(unit.every((v) => Math.abs(v - 1) < 1e-5), `unitNorm columns ${unit}`);
});

test('bad constraint arguments throw errors naming the layer and the option', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const err = (f) => { try { f(); return null; } catch (e) { return e.message; } };
    const out = {
      negative: err(() => tf.layers.dense({ units: 2, name: 'neg', kernelConstraint: tf.constraints.maxNorm({ maxValue: -1 }) })),
      unknown: err(() => tf.layers.dense({ units: 2, name: 'unk', biasConstraint: 'clipNorm' })),
      notObject: err(() => tf.layers.embedding({ inputDim: 3, outputDim: 2, name: 'emb', embeddingsConstraint: 5 })),
      minMax: err(() => tf.layers.batchNormalization({ name: 'bn', gammaConstraint: tf.constraints.minMaxNorm({ minValue: 2, maxValue: 1 }) })),
      depthwise: err(() => tf.layers.depthwiseConv2d({ kernelSize: 2, name: 'dw', kernelConstraint: 'maxNorm' })),
      axis: err(() => tf.sequential().add(tf.layers.dense({ units: 2, inputShape: [3], name: 'ax', kernelConstraint: tf.constraints.unitNorm({ axis: 2 }) }))),
      lstmAxis: err(() => tf.sequential().add(tf.layers.lstm({ units: 2, inputShape: [3, 2], name: 'rec', recurrentConstraint: tf.constraints.maxNorm({ axis: [0, -3] }) }))),
    };
    // Constraint.apply, as TF.js has it, computes the same projection on a tensor.
    const ap = (c, t) => Array.from(c.apply(t).dataSync());
    out.apply = {
      max: ap(tf.constraints.maxNorm({ maxValue: 1 }), tf.tensor2d([[3, 0.3], [4, 0.4]])),
      unit: ap(tf.constraints.unitNorm({ axis: 1 }), tf.tensor2d([[3, 4], [0, 2]])),
      nonNeg: ap(tf.constraints.nonNeg(), tf.tensor1d([-1, 2])),
      minMax: ap(tf.constraints.minMaxNorm({ minValue: 1, maxValue: 2, rate: 0.5 }), tf.tensor1d([0.3, 0.4])),
    };
    // The engine keeps working.
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 1, inputShape: [2], kernelConstraint: 'nonNeg' }));
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const h = await m.fit(tf.ones([4, 2]), tf.zeros([4, 1]), { epochs: 1 });
    out.after = h.history.loss.length;
    return out;
  });
  assert.match(r.negative, /Dense 'neg'.*kernelConstraint: MaxNorm maxValue must be a non-negative number, received maxValue=-1/);
  assert.match(r.unknown, /Dense 'unk'.*biasConstraint: unknown constraint 'clipNorm' \(expected maxNorm, minMaxNorm, nonNeg or unitNorm\)/);
  assert.match(r.notObject, /Embedding 'emb'.*embeddingsConstraint must be a tf\.constraints\.\* object/);
  assert.match(r.minMax, /BatchNormalization 'bn'.*gammaConstraint: MinMaxNorm minValue \(2\) must not exceed maxValue \(1\)/);
  assert.match(r.depthwise, /DepthwiseConv2D 'dw'.*kernelConstraint does not apply to this layer \(its kernels take depthwiseConstraint\)/);
  assert.match(r.axis, /Dense 'ax'.*kernelConstraint: axis 2 is out of range for a weight of shape \[3,2\]/);
  assert.match(r.lstmAxis, /LSTM 'rec'.*recurrentConstraint: axis -3 is out of range/);
  assert.equal(r.after, 1);
  close(r.apply.max, [0.6, 0.3, 0.8, 0.4], 1e-6, 'maxNorm.apply');
  close(r.apply.unit, [0.6, 0.8, 0, 1], 1e-6, 'unitNorm.apply');
  close(r.apply.nonNeg, [0, 2], 0, 'nonNeg.apply');
  close(r.apply.minMax, [0.45, 0.6], 1e-6, 'minMaxNorm.apply');
});

test("a custom layer's addWeight constraint is applied after every update (WebGPU and CPU)", { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    class Scaled extends tf.layers.Layer {
      build(inputShape) {
        // TF.js's addWeight(name, shape, dtype, initializer, regularizer, trainable, constraint).
        this.k = this.addWeight('k', [inputShape[inputShape.length - 1], 2], 'float32', tf.initializers.ones(), undefined, true, tf.constraints.unitNorm({ axis: 0 }));
        this.g = this.addWeight('g', [2], 'float32', tf.initializers.ones(), undefined, true, 'nonNeg');
      }
      computeOutputShape(s) { return [s[0], 2]; }
      call(inputs) {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.mul(tf.matMul(x, this.k.read()), this.g.read());
      }
      static get className() { return 'Scaled'; }
    }
    const out = {};
    for (const backend of ['webgpu', 'cpu']) {
      if (!(await tf.setBackend(backend))) continue;
      const m = tf.sequential();
      m.add(new Scaled({ inputShape: [3] }));
      m.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
      const x = tf.tensor2d([1, 2, 3, -1, 0, 2, 0.5, -2, 1], [3, 3]);
      await m.fit(x, tf.tensor2d([[-5, 2], [-3, 1], [-4, 3]]), { epochs: 5 });
      const [k, g] = m.layers[0].getWeights();
      out[backend] = { k: Array.from(k.dataSync()), g: Array.from(g.dataSync()) };
    }
    return out;
  });
  assert.ok(r.cpu, 'the CPU backend must run');
  for (const [backend, w] of Object.entries(r)) {
    const norms = colNorms(w.k, 3, 2);
    assert.ok(norms.every((v) => Math.abs(v - 1) < 1e-5), `${backend} unitNorm columns ${norms} (${w.k})`);
    assert.ok(w.g.every((v) => v >= 0), `${backend} nonNeg gain ${w.g}`);
    assert.ok(w.g.some((v) => v === 0), `${backend}: the targets pull the gain below zero, nonNeg stops it at 0 (${w.g})`);
  }
});

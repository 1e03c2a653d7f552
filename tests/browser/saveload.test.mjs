// Saving and loading through the public API: IndexedDB and localStorage round trips give
// identical predictions (Sequential convnet with batch norm, functional two-in/two-out model);
// model.json files saved by TF.js 4.22 (tests/fixtures/tfjs, scripts/gen_tfjs_fixtures.mjs) load
// and predict what TF.js predicted; a model saved by Hebb loads in TF.js itself; Keras 3 .keras
// files (tests/fixtures/keras, scripts/gen_keras_files.py) load and predict what Keras predicted,
// then fine-tune; the checkpoint callback keeps the best epoch in IndexedDB; corrupt files fail
// with clear errors and leave the engine working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, ROOT, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'saveload' });

const close = (got, want, tol, what) => {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
};

test('IndexedDB and localStorage round trips give identical predictions', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    await tf.setBackend('cpu');
    tf.util.seed(11);
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 1] }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dropout({ rate: 0.2 }));
    m.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelRegularizer: tf.regularizers.l2() }));
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = tf.randomNormal([20, 6, 6, 1], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([...Array(20).keys()].map((i) => i % 3), 'int32'), 3);
    await m.fit(x, y, { epochs: 3, batchSize: 5 });
    const want = Array.from(m.predict(x).dataSync());
    const saved = await m.save('indexeddb://hebb-test-cnn');
    const loaded = await tf.loadLayersModel('indexeddb://hebb-test-cnn');
    const got = Array.from(loaded.predict(x).dataSync());
    const lines = (mm) => { const out = []; mm.summary(undefined, undefined, (l) => out.push(l)); return out; };
    // A functional model with two inputs and two outputs through localStorage.
    const a = tf.input({ shape: [4], name: 'ina' });
    const c = tf.input({ shape: [3], name: 'inb' });
    const sh = tf.layers.dense({ units: 5, activation: 'tanh', name: 'shared' });
    const s1 = sh.apply(tf.layers.dense({ units: 5, name: 'da' }).apply(a));
    const s2 = sh.apply(tf.layers.dense({ units: 5, name: 'db' }).apply(c));
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([s1, s2]);
    const o1 = tf.layers.dense({ units: 2, activation: 'softmax', name: 'o1' }).apply(cat);
    const o2 = tf.layers.dense({ units: 1, name: 'o2' }).apply(tf.layers.add({ name: 'res' }).apply([s1, s2]));
    const f = tf.model({ inputs: [a, c], outputs: [o1, o2] });
    const xa = tf.randomNormal([4, 4], 0, 1, 'float32', 5);
    const xb = tf.randomNormal([4, 3], 0, 1, 'float32', 6);
    const fw = f.predict([xa, xb]).map((t) => Array.from(t.dataSync()));
    await f.save('localstorage://hebb-test-functional');
    const f2 = await tf.loadLayersModel('localstorage://hebb-test-functional');
    const fg = f2.predict([xa, xb]).map((t) => Array.from(t.dataSync()));
    // The loaded copy trains on its own (its weights are its own).
    f2.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    await f2.fit([xa, xb], [tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2), tf.ones([4, 1])], { epochs: 2 });
    const fAfter = f.predict([xa, xb]).map((t) => Array.from(t.dataSync()));
    return {
      want, got, info: saved.modelArtifactsInfo, sameSummary: JSON.stringify(lines(m)) === JSON.stringify(lines(loaded)),
      names: loaded.layers.map((l) => l.name), origNames: m.layers.map((l) => l.name),
      fw, fg, fAfter, fNames: [f2.inputNames, f2.outputNames], list: Object.keys(await tf.io.listModels()),
    };
  });
  assert.deepEqual(r.got, r.want, 'IndexedDB: identical predictions');
  assert.ok(r.sameSummary, 'the loaded model has the same summary');
  assert.deepEqual(r.names, r.origNames);
  assert.equal(r.info.modelTopologyType, 'JSON');
  assert.deepEqual(r.fg, r.fw, 'localStorage: identical predictions for both outputs');
  assert.deepEqual(r.fAfter, r.fw, 'training the loaded copy leaves the original alone');
  assert.deepEqual(r.fNames, [['ina', 'inb'], ['o1', 'o2']]);
  assert.ok(r.list.includes('indexeddb://hebb-test-cnn') && r.list.includes('localstorage://hebb-test-functional'), r.list.join(', '));
});

test('model.json files saved by TF.js load and predict what TF.js predicted', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  for (const name of ['mlp', 'convnet', 'recurrent', 'functional']) {
    const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/tfjs', name, 'expected.json'), 'utf8'));
    const r = await page.evaluate(async ({ name, expected }) => {
      try {
        const m = await tf.loadLayersModel(`/tests/fixtures/tfjs/${name}/model.json`);
        const xs = expected.inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype));
        const p = m.predict(xs.length === 1 ? xs[0] : xs);
        return { out: (Array.isArray(p) ? p : [p]).map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) })) };
      } catch (e) {
        return { error: e.message };
      }
    }, { name, expected });
    assert.equal(r.error, undefined, `${name}: ${r.error}`);
    expected.outputs.forEach((o, i) => {
      assert.deepEqual(r.out[i].shape, o.shape, `${name} output ${i} shape`);
      close(r.out[i].values, o.values, 2e-5, `${name} output ${i}`);
    });
  }
});

test('a model saved by Hebb loads in TF.js and predicts the same', { timeout: 60_000 }, async () => {
  const hebb = await b.openHebb();
  const saved = await hebb.evaluate(async () => {
    tf.util.seed(2);
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [5, 5, 2] }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.globalAveragePooling2d());
    m.add(tf.layers.dense({ units: 4, activation: 'tanh' }));
    m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
    let artifacts;
    await m.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const x = tf.randomNormal([3, 5, 5, 2], 0, 1, 'float32', 9);
    return {
      topology: artifacts.modelTopology, specs: artifacts.weightSpecs, data: Array.from(new Uint8Array(artifacts.weightData)),
      x: Array.from(x.dataSync()), want: Array.from(m.predict(x).dataSync()),
    };
  });
  const tfjs = await b.openTfjs();
  const got = await tfjs.evaluate(async (s) => {
    const m = await tf.loadLayersModel(tf.io.fromMemory(s.topology, s.specs, new Uint8Array(s.data).buffer));
    return Array.from(m.predict(tf.tensor(s.x, [3, 5, 5, 2])).dataSync());
  }, saved);
  close(got, saved.want, 1e-5, 'TF.js prediction of the Hebb model');
});

test('Keras 3 .keras files load, predict what Keras predicted, and fine-tune', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  for (const name of ['convnet', 'recurrent', 'functional']) {
    const fx = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/keras', `${name}.json`), 'utf8'));
    const r = await page.evaluate(async ({ name, fx }) => {
      try {
        const m = await tf.loadLayersModel(`/tests/fixtures/keras/${name}.keras`);
        const xs = fx.inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype));
        const p = m.predict(xs.length === 1 ? xs[0] : xs);
        const out = (Array.isArray(p) ? p : [p]).map((t) => Array.from(t.dataSync()));
        // Fine-tune a few steps on the fixture's own outputs shifted: the loss goes down.
        const ys = (Array.isArray(p) ? p : [p]).map((t) => t.add(0.1));
        m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
        const h = await m.fit(xs.length === 1 ? xs[0] : xs, ys.length === 1 ? ys[0] : ys, { epochs: 15, batchSize: 2 });
        return { out, loss: [h.history.loss[0], h.history.loss[14]] };
      } catch (e) {
        return { error: e.message };
      }
    }, { name, fx });
    assert.equal(r.error, undefined, `${name}: ${r.error}`);
    fx.outputs.forEach((o, i) => close(r.out[i], o.data, 1e-4, `${name} output ${i}`));
    assert.ok(r.loss[1] < r.loss[0], `${name}: fine-tuning lowers the loss ${r.loss}`);
  }
  // The same file picked by a user (tf.io.browserFiles with a File) loads too.
  const viaFile = await page.evaluate(async () => {
    const bytes = await (await fetch('/tests/fixtures/keras/functional.keras')).arrayBuffer();
    const m = await tf.loadLayersModel(tf.io.browserFiles([new File([bytes], 'functional.keras')]));
    return m.outputNames;
  });
  assert.equal(viaFile.length, 2);
});

test('the checkpoint callback saves the best epoch to IndexedDB', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    await tf.setBackend('cpu');
    tf.util.seed(4);
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 1 })] });
    m.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    const x = tf.randomNormal([64, 2], 0, 1, 'float32', 8);
    const y = x.sum(1).reshape([-1, 1]);
    let bestLoss = Infinity;
    let bestPred = null;
    const ck = tf.callbacks.modelCheckpoint({ filepath: 'indexeddb://hebb-ckpt', monitor: 'loss', saveBestOnly: true });
    const watch = { onEpochEnd: (e, logs) => { if (logs.loss < bestLoss) { bestLoss = logs.loss; bestPred = Array.from(m.predict(x).dataSync()); } } };
    await m.fit(x, y, { epochs: 6, batchSize: 16, callbacks: [ck, watch] });
    const loaded = await tf.loadLayersModel('indexeddb://hebb-ckpt');
    return { saved: ck.saved.length, got: Array.from(loaded.predict(x).dataSync()), want: bestPred };
  });
  assert.ok(r.saved >= 1);
  assert.deepEqual(r.got, r.want, 'the checkpoint holds the best epoch\'s weights');
});

test('corrupt or mismatched files give clear errors and the engine keeps working', { timeout: 60_000 }, async () => {
  const page = await b.openHebb();
  const r = await page.evaluate(async () => {
    const msg = async (f) => { try { await f(); return 'no error'; } catch (e) { return `${e.constructor.name}: ${e.message}`; } };
    const json = await (await fetch('/tests/fixtures/tfjs/mlp/model.json')).json();
    const weights = await (await fetch('/tests/fixtures/tfjs/mlp/weights.bin')).arrayBuffer();
    const specs = json.weightsManifest[0].weights;
    const bad = JSON.parse(JSON.stringify(json.modelTopology));
    bad.config.layers[0].config.units += 1;
    const unknown = JSON.parse(JSON.stringify(json.modelTopology));
    unknown.config.layers[0].class_name = 'Conv4D';
    const out = {
      truncated: await msg(() => tf.loadLayersModel(tf.io.fromMemory(json.modelTopology, specs, weights.slice(0, weights.byteLength - 8)))),
      shapes: await msg(() => tf.loadLayersModel(tf.io.fromMemory(bad, specs, weights))),
      missing: await msg(() => tf.loadLayersModel(tf.io.fromMemory(json.modelTopology, specs.slice(2), weights.slice(0)))),
      unknown: await msg(() => tf.loadLayersModel(tf.io.fromMemory(unknown, specs, weights))),
      nothing: await msg(() => tf.loadLayersModel('indexeddb://no-such-model')),
      notKeras: await msg(() => tf.loadLayersModel(new Uint8Array([1, 2, 3, 4]))),
      brokenKeras: await msg(() => tf.loadLayersModel('/tests/fixtures/keras/broken_h5.keras')),
    };
    out.stillWorks = tf.tensor([1, 2]).add(1).dataSync()[1];
    return out;
  });
  assert.match(r.truncated, /^Error: loadLayersModel: .*(bytes|short|truncated)/i);
  assert.match(r.shapes, /^Error: loadLayersModel: .*shape/);
  assert.match(r.missing, /^Error: loadLayersModel: /);
  assert.match(r.unknown, /^Error: loadLayersModel: layer '.*': .*unknown layer class 'Conv4D'/);
  assert.match(r.nothing, /^Error: .*no-such-model/);
  assert.match(r.notKeras, /^Error: loadLayersModel: .*not a .keras file/);
  assert.match(r.brokenKeras, /^Error: loadLayersModel: /);
  assert.equal(r.stillWorks, 3);
});

// Same data and model in Hebb and TF.js: 32 samples of 6 features, 3 classes, dense 8 tanh -
// dense 3 softmax, Adam 0.01, no shuffling, batches of 8.
const RESUME_SETUP = () => {
  let s = 99;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const xs = Array.from({ length: 32 * 6 }, rnd);
  const ys = [];
  for (let i = 0; i < 32; i++) {
    const c = (xs[i * 6] + xs[i * 6 + 1] > 0 ? 1 : 0) + (xs[i * 6 + 2] > 0.5 ? 1 : 0);
    ys.push(...[0, 1, 2].map((k) => (k === c ? 1 : 0)));
  }
  const build = () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [6] }));
    m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  const fitArgs = (epochs) => ({ epochs, batchSize: 8, shuffle: false, verbose: 0 });
  return { x: tf.tensor2d(xs, [32, 6]), y: tf.tensor2d(ys, [32, 3]), build, fitArgs };
};

const capture = async (m, config) => {
  let a;
  await m.save(tf.io.withSaveHandler(async (x) => { a = x; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), config);
  return { topology: a.modelTopology, specs: a.weightSpecs, data: Array.from(new Uint8Array(a.weightData)), trainingConfig: a.trainingConfig ?? null };
};

test('save({includeOptimizer}) resumes training exactly, in Hebb (both backends) and across Hebb and TF.js', { timeout: 2 * TRAIN_TIMEOUT }, async () => {
  const hebb = await b.openHebb();
  const setup = `(${RESUME_SETUP})()`;
  const captureSrc = `(${capture})`;
  const r = {};
  for (const backend of ['webgpu', 'cpu']) {
    r[backend] = await hebb.evaluate(async ({ backend, setup, captureSrc }) => {
      await tf.setBackend(backend);
      tf.util.seed(4);
      const { x, y, build, fitArgs } = eval(setup);
      const save = eval(captureSrc);
      const m = build();
      await m.fit(x, y, fitArgs(3));
      const saved = await save(m, { includeOptimizer: true });
      await m.save('indexeddb://resume', { includeOptimizer: true });
      const plain = await save(m);
      const cont = (await m.fit(x, y, fitArgs(2))).history.loss;
      const loaded = await tf.loadLayersModel('indexeddb://resume');
      const resumed = (await loaded.fit(x, y, fitArgs(2))).history.loss;
      // Without the optimizer the loaded model is not compiled; compiled afresh, Adam starts over.
      const bare = await tf.loadLayersModel(tf.io.fromMemory(plain.topology, plain.specs, new Uint8Array(plain.data).buffer));
      let uncompiled;
      try { await bare.fit(x, y, fitArgs(1)); uncompiled = 'no error'; } catch (e) { uncompiled = e.message; }
      bare.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const fresh = (await bare.fit(x, y, fitArgs(2))).history.loss;
      return {
        cont, resumed, fresh, uncompiled, saved, metricsNames: loaded.metricsNames,
        optimizer: [loaded.optimizer.getClassName(), loaded.optimizer.getConfig().learningRate],
        groups: saved.specs.filter((s) => s.group === 'optimizer').map((s) => s.name),
      };
    }, { backend, setup, captureSrc });
    const o = r[backend];
    close(o.resumed, o.cont, 1e-5, `${backend}: losses after loading with the optimizer vs continuing`);
    assert.ok(Math.abs(o.fresh[0] - o.cont[0]) > 1e-4, `${backend}: a fresh Adam differs (${o.fresh[0]} vs ${o.cont[0]})`);
    assert.match(o.uncompiled, /compile/);
    assert.deepEqual(o.optimizer, ['Adam', 0.01]);
    assert.deepEqual(o.metricsNames, ['loss', 'acc']);
    assert.equal(o.groups.length, 9);
    assert.equal(o.groups[0], 'iter');
    // TF.js's order: the step count, every weight's m, then every weight's v.
    assert.ok(o.groups.slice(1, 5).every((n) => n.endsWith('/m')) && o.groups.slice(5).every((n) => n.endsWith('/v')), o.groups.join(', '));
    assert.deepEqual(o.groups.slice(1, 5).map((n) => n.split('/')[1]), ['kernel', 'bias', 'kernel', 'bias']);
  }
  // TF.js loads Hebb's file with its optimizer and resumes with the same losses.
  const tfjs = await b.openTfjs();
  const t = await tfjs.evaluate(async ({ setup, captureSrc, saved }) => {
    const { x, y, build, fitArgs } = eval(setup);
    const save = eval(captureSrc);
    const m = await tf.loadLayersModel(tf.io.fromMemory(saved.topology, saved.specs, new Uint8Array(saved.data).buffer, saved.trainingConfig));
    const fromHebb = (await m.fit(x, y, fitArgs(2))).history.loss;
    // And the reverse: TF.js trains 3 epochs, saves with its optimizer, goes on 2 more.
    const own = build();
    await own.fit(x, y, fitArgs(3));
    const mine = await save(own, { includeOptimizer: true });
    const cont = (await own.fit(x, y, fitArgs(2))).history.loss;
    return { fromHebb, mine, cont };
  }, { setup, captureSrc, saved: r.cpu.saved });
  close(t.fromHebb, r.cpu.cont, 1e-4, 'TF.js resuming from Hebb\'s file vs Hebb continuing');
  const back = await hebb.evaluate(async ({ setup, mine }) => {
    await tf.setBackend('cpu');
    const { x, y, fitArgs } = eval(setup);
    const m = await tf.loadLayersModel(tf.io.fromMemory(mine.topology, mine.specs, new Uint8Array(mine.data).buffer, mine.trainingConfig));
    return (await m.fit(x, y, fitArgs(2))).history.loss;
  }, { setup, mine: t.mine });
  close(back, t.cont, 1e-4, 'Hebb resuming from TF.js\'s file vs TF.js continuing');
});

test('damaged optimizer state or training config gives a loadLayersModel: Error naming what is wrong', { timeout: 60_000 }, async () => {
  const hebb = await b.openHebb();
  const r = await hebb.evaluate(async ({ setup, captureSrc }) => {
    await tf.setBackend('cpu');
    const { x, y, build, fitArgs } = eval(setup);
    const save = eval(captureSrc);
    const m = build();
    await m.fit(x, y, fitArgs(1));
    const s = await save(m, { includeOptimizer: true });
    const load = (specs, data, tc) => tf.loadLayersModel(tf.io.fromMemory(s.topology, specs, new Uint8Array(data).buffer, tc));
    const grab = async (f) => { try { await f(); return 'no error'; } catch (e) { return e.message; } };
    // The last slot dropped (its 3 float32 values are the data's last 12 bytes).
    const lastSpec = s.specs[s.specs.length - 1];
    const short = await grab(() => load(s.specs.slice(0, -1), s.data.slice(0, s.data.length - 4 * lastSpec.shape.reduce((a, b) => a * b, 1)), s.trainingConfig));
    const unknown = await grab(() => load(s.specs, s.data, { ...s.trainingConfig, optimizer_config: { class_name: 'Nadam', config: {} } }));
    const ok = await load(s.specs, s.data, s.trainingConfig);
    // A model with every layer frozen saves only the step count, and loads compiled.
    m.trainable = false;
    const frozen = await save(m, { includeOptimizer: true });
    const f = await tf.loadLayersModel(tf.io.fromMemory(frozen.topology, frozen.specs, new Uint8Array(frozen.data).buffer, frozen.trainingConfig));
    const frozenLoaded = [frozen.specs.filter((sp) => sp.group === 'optimizer').map((sp) => sp.name), f.optimizer?.getClassName(), f.layers.map((l) => l.trainable)];
    return { short, unknown, frozenLoaded, after: (await ok.fit(x, y, fitArgs(1))).history.loss.length };
  }, { setup: `(${RESUME_SETUP})()`, captureSrc: `(${capture})` });
  assert.match(r.short, /^loadLayersModel: .*optimizer state has 7 tensors; expected up to 2 slots for each of the 4 trained weights/);
  assert.match(r.unknown, /^loadLayersModel: .*unknown optimizer 'Nadam'/);
  assert.deepEqual(r.frozenLoaded, [['iter'], 'Adam', [false, false]]);
  assert.equal(r.after, 1);
});

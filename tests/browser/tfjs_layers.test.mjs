// TF.js 4.22 and Hebb side by side (one page, surface/page.html): the layers issue 12 added
// (values, summaries, model.json both ways, bad options), batch-dependent custom layers, metrics
// and losses against TF.js's values, and issue 12's CPU/WebGPU/TF.js gradient comparison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';
import { openBoth as open } from './surface/both.mjs';

const b = useBrowser({ label: 'tfjs layers' });
const openBoth = () => open(b);

test('the new layers (elu, reLU, prelu, thresholdedReLU, rescaling, gaussianDropout, alphaDropout) predict, summarise and save as in TF.js; model.json both ways (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const specs = [
      ['elu', {}], ['reLU', { maxValue: 0.6 }], ['prelu', { alphaInitializer: 'zeros' }], ['thresholdedReLU', { theta: 0.3 }],
      ['rescaling', { scale: 2, offset: -1 }], ['gaussianDropout', { rate: 0.3 }], ['alphaDropout', { rate: 0.2 }],
    ];
    const x = [[1, -2, 0.5], [0.3, 0.1, -0.7], [-1, 2, 3]];
    const build = (lib, name, cfg) => {
      const m = lib.sequential();
      m.add(lib.layers.dense({ units: 4, inputShape: [3], name: 'in', kernelInitializer: lib.initializers.randomUniform({ minval: -1, maxval: 1, seed: 2 }) }));
      m.add(lib.layers[name]({ ...structuredClone(cfg), name: 'act' }));
      m.add(lib.layers.dense({ units: 2, name: 'out', kernelInitializer: lib.initializers.ones() }));
      return m;
    };
    const save = async (m) => {
      let artifacts;
      await m.save(m.constructor === window.tf.Sequential || m instanceof window.tf.LayersModel
        ? window.tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; })
        : window.tfjs.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
      return artifacts;
    };
    const out = [];
    for (const [name, cfg] of specs) {
      const ref = build(window.tfjs, name, cfg);
      const start = ref.getWeights();
      // PReLU's alpha: the same non-zero values in both.
      if (name === 'prelu') start[2] = window.tfjs.tensor1d([0.1, 0.2, 0.3, 0.4]);
      ref.setWeights(start);
      const want = Array.from(ref.predict(window.tfjs.tensor2d(x)).dataSync());
      const lines = [];
      ref.summary(undefined, undefined, (l) => lines.push(l));
      const row = { name, want, lines, got: {} };
      for (const backend of ['cpu', 'webgpu']) {
        await window.tf.setBackend(backend);
        const m = build(window.tf, name, cfg);
        m.setWeights(start.map((t) => window.tf.tensor(Array.from(t.dataSync()), t.shape)));
        const got = Array.from(await m.predict(window.tf.tensor2d(x)).data());
        const mine = [];
        m.summary(undefined, undefined, (l) => mine.push(l));
        // Hebb's model.json loads in TF.js and in Hebb with the same predictions.
        const a = await save(m);
        const inTfjs = await window.tfjs.loadLayersModel(window.tfjs.io.fromMemory(a.modelTopology, a.weightSpecs, a.weightData));
        const back = await window.tf.loadLayersModel(window.tf.io.fromMemory(a.modelTopology, a.weightSpecs, a.weightData));
        row.got[backend] = {
          got, lines: mine,
          tfjsLoaded: Array.from(inTfjs.predict(window.tfjs.tensor2d(x)).dataSync()),
          hebbLoaded: Array.from(await back.predict(window.tf.tensor2d(x)).data()),
          config: back.getLayer('act').getConfig(),
          tfjsConfig: inTfjs.getLayer('act').getConfig(),
        };
      }
      // TF.js's model.json loads in Hebb.
      const ra = await save(ref);
      const fromTfjs = await window.tf.loadLayersModel(window.tf.io.fromMemory(ra.modelTopology, ra.weightSpecs, ra.weightData));
      row.fromTfjs = Array.from(await fromTfjs.predict(window.tf.tensor2d(x)).data());
      out.push(row);
    }
    return out;
  });
  const near = (a, b, what) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `${what}[${i}]: ${v} vs ${b[i]}`));
  for (const row of r) {
    for (const [backend, g] of Object.entries(row.got)) {
      near(g.got, row.want, `${row.name} ${backend}: predict vs TF.js`);
      assert.deepEqual(g.lines, row.lines, `${row.name} ${backend}: summary()`);
      near(g.tfjsLoaded, row.want, `${row.name} ${backend}: Hebb's model.json in TF.js`);
      near(g.hebbLoaded, row.want, `${row.name} ${backend}: Hebb's model.json in Hebb`);
      for (const [k, v] of Object.entries(g.tfjsConfig)) {
        if (k !== 'name') assert.deepEqual(g.config[k], v, `${row.name}: option ${k} after the round trip`);
      }
    }
    near(row.fromTfjs, row.want, `${row.name}: TF.js's model.json in Hebb`);
  }
});

test('the new layers\' bad options and inputs raise errors naming the layer', { timeout: 60_000 }, async () => {
  const page = await openBoth();
  const errors = await page.evaluate(() => {
    const tf = window.tf;
    const attempt = (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } };
    return {
      gaussianDropout: attempt(() => tf.layers.gaussianDropout({ rate: 1.5, name: 'gd' })),
      alphaDropout: attempt(() => tf.layers.alphaDropout({ rate: -0.1, name: 'ad' })),
      reLU: attempt(() => tf.layers.reLU({ maxValue: -1, name: 'r' })),
      thresholdedReLU: attempt(() => tf.layers.thresholdedReLU({ theta: -1, name: 't' })),
      rescaling: attempt(() => tf.layers.rescaling({ name: 'rs' })),
      prelu: attempt(() => tf.layers.prelu({ sharedAxes: [5], name: 'p' }).apply(tf.input({ shape: [3, 2] }))),
      elu: attempt(() => tf.layers.elu({ alpha: 'big', name: 'e' })),
    };
  });
  assert.match(errors.gaussianDropout, /GaussianDropout 'gd'.*rate/);
  assert.match(errors.alphaDropout, /AlphaDropout 'ad'.*rate/);
  assert.match(errors.reLU, /ReLU 'r'.*maxValue/);
  assert.match(errors.thresholdedReLU, /ThresholdedReLU 't'.*theta/);
  assert.match(errors.rescaling, /Rescaling 'rs'.*scale/);
  assert.match(errors.prelu, /PReLU 'p'.*sharedAxes/);
  assert.match(errors.elu, /ELU 'e'.*alpha/);
});

test('a custom layer whose call reads the batch size (a VAE\'s sampling layer) trains, evaluates and predicts with a last partial batch (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const tf = window.tf;
    class Sampling extends tf.layers.Layer {
      static className = 'Sampling';
      computeOutputShape(inputShape) { return inputShape[0]; }
      call(inputs) {
        const [zMean, zLogVar] = inputs;
        // As TF.js's VAE example writes it: noise of the batch's shape, fresh every call.
        const eps = tf.randomNormal([zMean.shape[0], zMean.shape[1]]);
        return zMean.add(zLogVar.mul(0.5).exp().mul(eps));
      }
    }
    tf.serialization.registerClass(Sampling);
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      tf.util.seed(5);
      const x = tf.input({ shape: [6] });
      const h = tf.layers.dense({ units: 8, activation: 'relu' }).apply(x);
      const zMean = tf.layers.dense({ units: 2, name: 'z_mean' }).apply(h);
      const zLogVar = tf.layers.dense({ units: 2, name: 'z_log_var', kernelInitializer: 'zeros', biasInitializer: tf.initializers.constant({ value: -4 }) }).apply(h);
      const z = new Sampling({ name: 'z' }).apply([zMean, zLogVar]);
      const y = tf.layers.dense({ units: 6 }).apply(z);
      const vae = tf.model({ inputs: x, outputs: y });
      vae.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
      const rows = [];
      for (let i = 0; i < 50; i++) {
        const t = (i % 10) / 10;
        rows.push([t, 1 - t, t * t, 0.5, -t, t / 2]);
      }
      const data = tf.tensor2d(rows);
      // 40 training samples in batches of 16 (16, 16, 8), 10 for validation (10).
      const hist = await vae.fit(data, data, { epochs: 40, batchSize: 16, validationSplit: 0.2 });
      const ev = await vae.evaluate(data, data, { batchSize: 7 }).data();
      const p1 = await vae.predict(data, { batchSize: 7 }).data();
      const p2 = await vae.predict(data, { batchSize: 7 }).data();
      const enc = tf.model({ inputs: x, outputs: z });
      const zs = await enc.predict(data.slice([0, 0], [3, 6])).data();
      out[backend] = {
        loss: [hist.history.loss[0], hist.history.loss[hist.history.loss.length - 1]],
        val: hist.history.val_loss[hist.history.val_loss.length - 1],
        ev: ev[0],
        differ: p1.some((v, i) => v !== p2[i]),
        n: p1.length,
        zs: Array.from(zs),
        backend: tf.getBackend(),
      };
    }
    return out;
  });
  for (const [backend, v] of Object.entries(r)) {
    assert.equal(v.backend, backend);
    assert.ok(v.loss[1] < 0.3 * v.loss[0], `${backend}: the VAE learns: loss ${v.loss}`);
    assert.ok(Number.isFinite(v.val) && Number.isFinite(v.ev), `${backend}: validation ${v.val}, evaluate ${v.ev}`);
    assert.equal(v.n, 300, `${backend}: predict in batches of 7 (the last of 1) gives every sample`);
    assert.ok(v.differ, `${backend}: the sampling layer draws fresh noise on each call`);
    assert.equal(v.zs.length, 6);
  }
});

test('tf.metrics.r2Score, tf.losses.computeWeightedLoss (every reduction), tf.serialization.getRegisteredName and the identity initializer give TF.js\'s values', { timeout: 60_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(() => {
    const run = (lib) => {
      const yt = lib.tensor2d([[1, 2], [3, 4], [5, 7]]);
      const yp = lib.tensor2d([[1.5, 2], [2.5, 4.5], [5, 6]]);
      const losses = lib.tensor2d([[1, 2], [3, 4], [5, 6]]);
      const w = lib.tensor2d([[1], [0], [2]]);
      class Custom extends lib.layers.Layer { static get className() { return 'MyCustom'; } }
      lib.serialization.registerClass(Custom);
      const d = lib.layers.dense({ units: 3, inputShape: [3], kernelInitializer: lib.initializers.identity({ gain: 2 }), useBias: false });
      const m = lib.sequential({ layers: [d] });
      return {
        r2: lib.metrics.r2Score(yt, yp).dataSync()[0],
        reductions: [0, 1, 2, 3].map((red) => Array.from(lib.losses.computeWeightedLoss(losses, w, red).dataSync())),
        noWeights: lib.losses.computeWeightedLoss(losses).dataSync()[0],
        name: lib.serialization.getRegisteredName(Custom),
        identity: Array.from(m.getWeights()[0].dataSync()),
      };
    };
    return { tfjs: run(window.tfjs), hebb: run(window.tf) };
  });
  const { hebb, tfjs } = r;
  assert.ok(Math.abs(hebb.r2 - tfjs.r2) < 1e-6, `r2Score ${hebb.r2} vs ${tfjs.r2}`);
  hebb.reductions.forEach((v, i) => v.forEach((x, k) => assert.ok(Math.abs(x - tfjs.reductions[i][k]) < 1e-5, `reduction ${i}: ${v} vs ${tfjs.reductions[i]}`)));
  assert.ok(Math.abs(hebb.noWeights - tfjs.noWeights) < 1e-6);
  assert.equal(hebb.name, tfjs.name);
  assert.deepEqual(hebb.identity, tfjs.identity);
});

test('resizing, centerCrop and categoryEncoding in the browser: TF.js\'s categoryEncoding values, Keras\'s half-pixel resizing, save and load, on both backends', { timeout: 90_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const out = { tfjs: {}, hebb: {} };
    const ids = [[0, 2, 2], [3, 1, 0]];
    for (const mode of ['multiHot', 'count']) {
      out.tfjs[mode] = Array.from(window.tfjs.layers.categoryEncoding({ numTokens: 4, outputMode: mode }).apply(window.tfjs.tensor2d(ids, [2, 3], 'int32')).dataSync());
    }
    const tf = window.tf;
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      const h = {};
      for (const mode of ['multiHot', 'count']) {
        const m = tf.sequential({ layers: [tf.layers.categoryEncoding({ numTokens: 4, outputMode: mode, inputShape: [3], dtype: 'int32' })] });
        h[mode] = Array.from(await m.predict(tf.tensor2d(ids, [2, 3], 'int32')).data());
      }
      // A 2x2 image resized to 4x4 with half-pixel centres: the corners keep their values and
      // the first row interpolates 1 -> 2 as 1, 1.25, 1.75, 2.
      const img = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const rm = tf.sequential({ layers: [tf.layers.resizing({ height: 4, width: 4, inputShape: [2, 2, 1] }), tf.layers.centerCrop({ height: 2, width: 2 })] });
      h.resized = Array.from(await rm.layers[0].apply(img).data());
      h.cropped = Array.from(await rm.predict(img).data());
      let saved;
      await rm.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
      const back = await tf.loadLayersModel(tf.io.fromMemory(saved.modelTopology, saved.weightSpecs, saved.weightData));
      h.reloaded = Array.from(await back.predict(img).data());
      h.configs = back.layers.map((l) => l.getConfig());
      out.hebb[backend] = h;
    }
    return out;
  });
  for (const [backend, h] of Object.entries(r.hebb)) {
    assert.deepEqual(h.multiHot, r.tfjs.multiHot, `${backend}: multiHot`);
    assert.deepEqual(h.count, r.tfjs.count, `${backend}: count`);
    const row = h.resized.slice(0, 4);
    [1, 1.25, 1.75, 2].forEach((v, i) => assert.ok(Math.abs(row[i] - v) < 1e-5, `${backend}: resized row ${row}`));
    assert.equal(h.cropped.length, 4);
    h.reloaded.forEach((v, i) => assert.ok(Math.abs(v - h.cropped[i]) < 1e-6, `${backend}: reloaded`));
    assert.equal(h.configs[0].interpolation, 'bilinear');
    assert.equal(h.configs[1].height, 2);
  }
});

test('issue 12\'s embedding / max-pool / residual model: the same gradients on the CPU, on WebGPU and in TF.js (one SGD step at rate 1)', { timeout: 120_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const build = (lib, mask) => {
      const tok = lib.input({ shape: [12], dtype: 'int32', name: 'tok' });
      const num = lib.input({ shape: [3], name: 'num' });
      const e = lib.layers.embedding({ inputDim: 40, outputDim: 8, maskZero: mask, name: 'emb' }).apply(tok);
      const p = lib.layers.globalMaxPooling1d({ name: 'gmp' }).apply(e);
      const d = lib.layers.dense({ units: 8, activation: 'relu', name: 'dn' }).apply(num);
      const c = lib.layers.concatenate({ name: 'cat' }).apply([p, d]);
      const h = lib.layers.dense({ units: 16, activation: 'relu', name: 'mix' }).apply(c);
      const res = lib.layers.add({ name: 'res' }).apply([h, c]);
      const o = lib.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }).apply(res);
      const m = lib.model({ inputs: [tok, num], outputs: o });
      m.compile({ optimizer: lib.train.sgd(1), loss: 'binaryCrossentropy' });
      return m;
    };
    let s = 11;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const toks = [];
    const nums = [];
    const ys = [];
    for (let i = 0; i < 48; i++) {
      const len = 3 + Math.floor(rnd() * 9);
      const t = Array.from({ length: 12 }, (_, k) => (k < len ? 1 + Math.floor(rnd() * 39) : 0));
      const v = [rnd() * 2 - 1, rnd() * 2 - 1, rnd() * 2 - 1];
      toks.push(t);
      nums.push(v);
      ys.push([t.some((q) => q > 0 && q < 4) || v[0] > 0.6 ? 1 : 0]);
    }
    const out = {};
    for (const mask of [false, true]) {
      const step = async (lib, m, start) => {
        m.setWeights(start.map(([v, sh]) => lib.tensor(v, sh)));
        await m.fit([lib.tensor2d(toks, undefined, 'int32'), lib.tensor2d(nums)], lib.tensor2d(ys), { epochs: 1, batchSize: 48, shuffle: false });
        const after = await Promise.all(m.getWeights().map((t) => t.data()));
        return after.map((a, i) => Array.from(a, (v, k) => start[i][0][k] - v));
      };
      const ref = build(window.tfjs, mask);
      const start = ref.getWeights().map((t) => [Array.from(t.dataSync()), t.shape]);
      const grads = { tfjs: await step(window.tfjs, ref, start) };
      for (const backend of ['cpu', 'webgpu']) {
        await window.tf.setBackend(backend);
        grads[backend] = await step(window.tf, build(window.tf, mask), start);
      }
      out[mask ? 'masked' : 'plain'] = grads;
    }
    return out;
  });
  for (const [what, g] of Object.entries(r)) {
    for (const backend of ['cpu', 'webgpu']) {
      g.tfjs.forEach((w, i) => {
        const scale = Math.max(1e-3, ...w.map(Math.abs));
        w.forEach((v, k) => assert.ok(Math.abs(g[backend][i][k] - v) <= 1e-4 * scale + 1e-6, `${what}, ${backend}: weight ${i}[${k}] gradient ${g[backend][i][k]}, TF.js ${v}`));
      });
    }
    assert.ok(g.tfjs.some((w) => w.some((v) => Math.abs(v) > 1e-3)), `${what}: the step moves the weights`);
  }
});

test('layer.losses are functions as in TF.js; addLoss functions join fit\'s loss and calculateLosses a custom loop\'s, giving TF.js\'s weights (CPU and WebGPU); model.addWeight says why not', { timeout: 90_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    // A functional model: TF.js's Sequential.calculateLosses() gives [] (its container has no
    // nodes of its own), its inner model's gives the penalties.
    const build = (lib) => {
      const x = lib.input({ shape: [3] });
      const h = lib.layers.dense({ units: 4, name: 'a', kernelRegularizer: lib.regularizers.l2({ l2: 0.05 }), kernelInitializer: lib.initializers.randomUniform({ minval: -1, maxval: 1, seed: 4 }) }).apply(x);
      const y = lib.layers.dense({ units: 1, name: 'b', kernelInitializer: lib.initializers.randomUniform({ minval: -1, maxval: 1, seed: 5 }) }).apply(h);
      const m = lib.model({ inputs: x, outputs: y });
      const b = m.getLayer('b');
      // An activity-style penalty on the second kernel, added by hand.
      b.addLoss(() => lib.mul(0.1, lib.sum(lib.abs(b.kernel.read()))));
      return m;
    };
    const data = (lib) => [lib.tensor2d([[1, 2, -1], [0.5, -0.3, 0.2], [-1, 1, 0]]), lib.tensor2d([[1], [0], [-1]])];
    const run = async (lib, start) => {
      const m = build(lib);
      if (start) m.setWeights(start.map(([d, sh]) => lib.tensor(d, sh)));
      const [xs, ys] = data(lib);
      const kinds = [m.getLayer('a').losses.map((f) => typeof f), m.getLayer('b').losses.map((f) => typeof f)];
      const penalties = m.calculateLosses().map((t) => t.dataSync()[0]);
      const opt = lib.train.sgd(0.1);
      for (let k = 0; k < 5; k++) {
        opt.minimize(() => lib.add(lib.losses.meanSquaredError(ys, m.apply(xs)), lib.addN(m.calculateLosses())), false, m.trainableWeights.map((w) => w.val));
      }
      const weights = m.getWeights().map((w) => Array.from(w.dataSync()));
      // fit: the penalties and the added function join the training loss.
      const f = build(lib);
      if (start) f.setWeights(start.map(([d, sh]) => lib.tensor(d, sh)));
      f.compile({ optimizer: lib.train.sgd(0.1), loss: 'meanSquaredError' });
      const h = await f.fit(xs, ys, { epochs: 4, batchSize: 3, shuffle: false, verbose: 0 });
      return { kinds, start: penalties, weights, fitLoss: h.history.loss, fitWeights: f.getWeights().map((w) => Array.from(w.dataSync())), model: m };
    };
    const ref = await run(window.tfjs);
    const start = build(window.tfjs).getWeights().map((w) => [Array.from(w.dataSync()), w.shape]);
    const out = { ref: { kinds: ref.kinds, start: ref.start, fitLoss: ref.fitLoss }, rows: {} };
    const maxDiff = (a, b) => Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i])));
    for (const backend of ['cpu', 'webgpu']) {
      await window.tf.setBackend(backend);
      const mine = await run(window.tf, start);
      const errors = [];
      try { mine.model.addWeight('w', [2]); } catch (e) { errors.push(e.message); }
      try { mine.model.getLayer('a').addLoss(window.tf.scalar(1)); } catch (e) { errors.push(e.message); }
      out.rows[backend] = {
        kinds: mine.kinds, start: mine.start, fitLoss: mine.fitLoss, errors,
        diff: maxDiff(mine.weights, ref.weights), fitDiff: maxDiff(mine.fitWeights, ref.fitWeights),
      };
    }
    return out;
  });
  assert.deepEqual(r.ref.kinds, [['function'], ['function']]);
  for (const [backend, row] of Object.entries(r.rows)) {
    assert.deepEqual(row.kinds, r.ref.kinds, `${backend}: losses`);
    row.start.forEach((v, i) => assert.ok(Math.abs(v - r.ref.start[i]) < 1e-5, `${backend}: calculateLosses ${row.start} vs TF.js ${r.ref.start}`));
    assert.ok(row.diff < 1e-5, `${backend}: custom-loop weights after 5 steps differ from TF.js by ${row.diff}`);
    row.fitLoss.forEach((v, i) => assert.ok(Math.abs(v - r.ref.fitLoss[i]) < 1e-4, `${backend}: fit losses ${row.fitLoss} vs TF.js ${r.ref.fitLoss}`));
    assert.ok(row.fitDiff < 1e-4, `${backend}: fit's weights differ from TF.js by ${row.fitDiff}`);
    assert.equal(row.errors.length, 2, JSON.stringify(row.errors));
    assert.match(row.errors[0], /addWeight\('w'\).*custom layer/);
    assert.match(row.errors[1], /Dense 'a'.*addLoss expects functions/);
  }
});

test('randomWidth: TF.js\'s config and properties; in training each batch is resized to a random width (Keras 2), in inference passed through; a model with it trains on both backends; errors name the layer', { timeout: 120_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const tf = window.tf;
    const out = {};
    const ref = window.tfjs.layers.randomWidth({ factor: [-0.25, 0.5], name: 'rw', seed: 3 });
    const mine = tf.layers.randomWidth({ factor: [-0.25, 0.5], name: 'rw', seed: 3 });
    out.config = [mine.getConfig(), ref.getConfig()];
    out.props = [[mine.widthLower, mine.widthUpper, mine.interpolation], [ref.widthLower, ref.widthUpper, ref.interpolation]];
    // Eager: inference keeps the width; training draws one in [round(8 * 0.75), round(8 * 1.5)].
    const x = tf.randomNormal([2, 4, 8, 1], 0, 1, 'float32', 1);
    out.inference = [mine.apply(x).shape, Array.from(mine.apply(x).dataSync()).every((v, i) => v === x.dataSync()[i])];
    out.trained = Array.from({ length: 12 }, () => mine.apply(x, { training: true }).shape[2]);
    const build = (withLayer) => {
      const m = tf.sequential();
      m.add(tf.layers.inputLayer({ inputShape: [6, 8, 2] }));
      if (withLayer) m.add(tf.layers.randomWidth({ factor: 0.5, name: 'random_width' }));
      m.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
      m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
      m.add(tf.layers.dense({ units: 2, name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      return m;
    };
    const xs = tf.randomNormal([16, 6, 8, 2], 0, 1, 'float32', 4);
    const ys = tf.randomNormal([16, 2], 0, 1, 'float32', 5);
    out.rows = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      const m = build(true);
      const plain = build(false);
      plain.setWeights(m.getWeights());
      const same = Array.from(await m.predict(xs).data()).every((v, i) => Math.abs(v - plain.predict(xs).dataSync()[i]) < 1e-6);
      const lines = [];
      m.summary(undefined, undefined, (l) => lines.push(l));
      const h = await m.fit(xs, ys, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
      const hp = await plain.fit(xs, ys, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
      let a;
      await m.save(tf.io.withSaveHandler(async (art) => { a = art; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
      const back = await tf.loadLayersModel(tf.io.fromMemory(a.modelTopology, a.weightSpecs, a.weightData));
      out.rows[backend] = {
        same, shape: m.getLayer('random_width').outputShape, summary: lines.find((l) => l.startsWith('random_width')),
        losses: h.history.loss, plainLosses: hp.history.loss,
        reloaded: Array.from(back.predict(xs).dataSync()).every((v, i) => Math.abs(v - m.predict(xs).dataSync()[i]) < 1e-5),
      };
    }
    const errors = [];
    for (const f of [() => tf.layers.randomWidth({ factor: 0 }), () => tf.layers.randomWidth({ factor: [0.5, 0.1] }), () => tf.layers.randomWidth({ factor: 0.1, interpolation: 'bicubic' })]) {
      try { f(); } catch (e) { errors.push(e.message); }
    }
    try {
      const m = tf.sequential();
      m.add(tf.layers.randomWidth({ factor: 0.2, inputShape: [4, 6, 1], name: 'rw2' }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 2, name: 'after' }));
    } catch (e) { errors.push(e.message); }
    return { ...out, errors };
  });
  assert.deepEqual(r.config[0], r.config[1]);
  assert.deepEqual(r.props[0], r.props[1]);
  assert.deepEqual(r.inference, [[2, 4, 8, 1], true]);
  assert.ok(r.trained.every((w) => w >= 6 && w <= 12), `trained widths ${r.trained}`);
  assert.ok(new Set(r.trained).size > 1, `training draws several widths: ${r.trained}`);
  for (const [backend, row] of Object.entries(r.rows)) {
    assert.ok(row.same, `${backend}: predict passes the images through`);
    assert.deepEqual(row.shape, [null, 6, null, 2], `${backend}: the width after the layer is free`);
    assert.match(row.summary, /\[null,6,null,2\]/, `${backend}: summary ${row.summary}`);
    assert.ok(row.losses.every(Number.isFinite) && row.losses[2] < row.losses[0], `${backend}: losses ${row.losses}`);
    assert.notDeepEqual(row.losses, row.plainLosses, `${backend}: training differs from the model without the layer`);
    assert.ok(row.reloaded, `${backend}: model.json round trip`);
  }
  assert.equal(r.errors.length, 4, JSON.stringify(r.errors));
  assert.match(r.errors[0], /RandomWidth.*factor must be a positive number/);
  assert.match(r.errors[1], /RandomWidth.*lower <= upper/);
  assert.match(r.errors[2], /RandomWidth.*interpolation/);
  assert.match(r.errors[3], /Dense 'after'.*not fully defined/);
});

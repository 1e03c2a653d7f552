// The 3-D layers (conv3d, conv3dTranspose, maxPooling3d, averagePooling3d and its aliases) beside
// TF.js 4.22 in one page (surface/page.html): the same model with TF.js's weights predicts TF.js's
// values on the CPU and WebGPU (both paddings), summary(), getConfig() and weights match, it
// trains, model.json goes both ways, a Keras 3 .keras file predicts Keras's values, and bad
// options and inputs name the layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, ROOT } from './harness.mjs';
import { openBoth as open, firstDiff } from './surface/both.mjs';

const b = useBrowser({ label: 'layers 3d' });
const openBoth = () => open(b);

test('conv3d → maxPooling3d → averagePooling3d → conv3dTranspose → dense predicts, summarises, configures and saves as TF.js (both paddings, CPU and WebGPU)', { timeout: 180_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    // 'valid': strides on the conv; 'same': dilation on the conv. Sizes are odd on purpose.
    const specs = {
      valid: { shape: [8, 10, 9, 2], conv: { kernelSize: [3, 3, 2], strides: [1, 2, 1] } },
      same: { shape: [8, 10, 9, 2], conv: { kernelSize: 3, dilationRate: [2, 1, 2] } },
    };
    const build = (lib, padding, spec) => lib.sequential({
      layers: [
        lib.layers.conv3d({ filters: 3, ...spec.conv, padding, activation: 'relu', inputShape: spec.shape, name: 'c3' }),
        lib.layers.maxPooling3d({ padding, name: 'mp' }),
        lib.layers.averagePooling3d({ poolSize: [2, 1, 2], strides: [1, 1, 2], padding, name: 'ap' }),
        lib.layers.conv3dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding, name: 'ct' }),
        lib.layers.flatten({ name: 'fl' }),
        lib.layers.dense({ units: 3, name: 'out' }),
      ],
    });
    const memory = (lib) => {
      let artifacts;
      const handler = lib.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; });
      return { handler, get: () => artifacts };
    };
    const out = {};
    for (const [padding, spec] of Object.entries(specs)) {
      const n = 2 * spec.shape.reduce((a, b2) => a * b2, 1);
      const xs = Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.3));
      const ref = build(window.tfjs, padding, spec);
      // Non-zero biases, so a bias in the wrong place shows.
      ref.setWeights(ref.getWeights().map((w, i) => (w.shape.length === 1 ? window.tfjs.fill(w.shape, 0.05 * (i + 1)) : w)));
      const start = ref.getWeights();
      const xT = window.tfjs.tensor([xs], [1, n]).reshape([2, ...spec.shape]);
      const want = Array.from(ref.predict(xT).dataSync());
      const lines = [];
      ref.summary(undefined, undefined, (l) => lines.push(l));
      const row = {
        want, lines,
        configs: ref.layers.map((l) => l.getConfig()),
        weights: ref.weights.map((w) => [w.name, w.shape]),
        shapes: ref.layers.map((l) => l.outputShape),
        got: {},
      };
      for (const backend of ['cpu', 'webgpu']) {
        await window.tf.setBackend(backend);
        const tf = window.tf;
        const m = build(tf, padding, spec);
        m.setWeights(start.map((t) => tf.tensor(Array.from(t.dataSync()), t.shape)));
        const x = tf.tensor(xs, [2, ...spec.shape]);
        const got = Array.from(await m.predict(x).data());
        const mine = [];
        m.summary(undefined, undefined, (l) => mine.push(l));
        // Hebb's model.json loads in TF.js and in Hebb with the same predictions.
        const saved = memory(tf);
        await m.save(saved.handler);
        const a = saved.get();
        const inTfjs = await window.tfjs.loadLayersModel(window.tfjs.io.fromMemory(a.modelTopology, a.weightSpecs, a.weightData));
        const back = await tf.loadLayersModel(tf.io.fromMemory(a.modelTopology, a.weightSpecs, a.weightData));
        row.got[backend] = {
          backend: tf.getBackend(),
          got, lines: mine,
          configs: m.layers.map((l) => l.getConfig()),
          weights: m.weights.map((w) => [w.name, w.shape]),
          shapes: m.layers.map((l) => l.outputShape),
          tfjsLoaded: Array.from(inTfjs.predict(xT).dataSync()),
          hebbLoaded: Array.from(await back.predict(x).data()),
          backConfigs: back.layers.map((l) => l.getConfig()),
        };
      }
      // TF.js's model.json loads in Hebb.
      const saved = memory(window.tfjs);
      await ref.save(saved.handler);
      const ra = saved.get();
      const fromTfjs = await window.tf.loadLayersModel(window.tf.io.fromMemory(ra.modelTopology, ra.weightSpecs, ra.weightData));
      row.fromTfjs = Array.from(await fromTfjs.predict(window.tf.tensor(xs, [2, ...spec.shape])).data());
      out[padding] = row;
    }
    return out;
  });
  const near = (a, want, what) => {
    assert.equal(a.length, want.length, `${what}: length`);
    a.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * (1 + Math.abs(want[i])), `${what}[${i}]: ${v} vs ${want[i]}`));
  };
  for (const [padding, row] of Object.entries(r)) {
    for (const [backend, g] of Object.entries(row.got)) {
      const at = `${padding} ${backend}`;
      assert.equal(g.backend, backend);
      near(g.got, row.want, `${at}: predict vs TF.js`);
      assert.deepEqual(g.lines, row.lines, `${at}: summary()`);
      assert.deepEqual(g.shapes, row.shapes, `${at}: output shapes`);
      // TF.js suffixes a weight name it has seen before in the page ('c3/kernel_3').
      const plain = (ws) => ws.map(([name, shape]) => [name.replace(/_\d+$/, ''), shape]);
      assert.deepEqual(plain(g.weights), plain(row.weights), `${at}: weight names and shapes`);
      g.configs.forEach((c, i) => assert.equal(firstDiff(c, row.configs[i]), null, `${at}: getConfig() of layer ${i}`));
      g.backConfigs.forEach((c, i) => assert.equal(firstDiff(c, row.configs[i]), null, `${at}: getConfig() of layer ${i} after the round trip`));
      near(g.tfjsLoaded, row.want, `${at}: Hebb's model.json in TF.js`);
      near(g.hebbLoaded, row.want, `${at}: Hebb's model.json in Hebb`);
    }
    near(row.fromTfjs, row.want, `${padding}: TF.js's model.json in Hebb`);
  }
});

test('the 3-D layers\' TF.js properties, defaults and aliases (avgPool3d, avgPooling3d)', { timeout: 60_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(() => {
    const props = (lib) => {
      const c = lib.layers.conv3d({ filters: 4, kernelSize: [3, 1, 2], strides: 1, name: 'c' });
      const t = lib.layers.conv3dTranspose({ filters: 2, kernelSize: 2, strides: [2, 1, 2], name: 't' });
      const m = lib.layers.maxPooling3d({ name: 'm' });
      const a = lib.layers.avgPool3d({ poolSize: 3, padding: 'same', name: 'a' });
      const a2 = lib.layers.avgPooling3d({ poolSize: [1, 2, 3], strides: 1, name: 'a2' });
      const before = [c.kernel, c.bias];
      const y = lib.sequential({ layers: [lib.layers.inputLayer({ inputShape: [4, 5, 6, 3] }), c, t, m, a2, a] });
      const layerProps = (l) => {
        const o = {};
        for (const k of ['filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate', 'rank', 'useBias', 'poolSize', 'DEFAULT_KERNEL_INITIALIZER', 'DEFAULT_BIAS_INITIALIZER']) o[k] = l[k];
        o.className = l.getClassName();
        o.activation = l.activation ? l.activation.getClassName() : null;
        o.inputSpec = l.inputSpec ? l.inputSpec.map((s) => ({ ndim: s.ndim, axes: s.axes })) : null;
        o.kernel = l.kernel ? [l.kernel.name, l.kernel.shape] : null;
        o.bias = l.bias ? [l.bias.name, l.bias.shape] : null;
        o.params = l.countParams();
        return o;
      };
      return {
        beforeBuild: before.map((v) => v ?? null),
        layers: y.layers.filter((l) => l.getClassName() !== 'InputLayer').map(layerProps),
        output: y.outputs[0].shape,
      };
    };
    return { hebb: props(window.tf), tfjs: props(window.tfjs) };
  });
  assert.deepEqual(r.hebb.beforeBuild, [null, null]);
  assert.deepEqual(r.hebb.output, r.tfjs.output);
  r.tfjs.layers.forEach((want, i) => assert.equal(firstDiff(r.hebb.layers[i], want), null, `layer ${i} (${want.className})`));
});

test('a 3-D conv net trains on the CPU and WebGPU (loss falls)', { timeout: 180_000 }, async () => {
  const page = await openBoth();
  const r = await page.evaluate(async () => {
    const tf = window.tf;
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      const m = tf.sequential({
        layers: [
          tf.layers.conv3d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 6, 1], kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
          tf.layers.maxPooling3d({}),
          tf.layers.conv3dTranspose({ filters: 2, kernelSize: 2, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
          tf.layers.averagePooling3d({ poolSize: 3, padding: 'same' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
        ],
      });
      m.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
      // The target is the mean of the central cube: a linear function of the input.
      const n = 16;
      const xs = [];
      const ys = [];
      for (let s = 0; s < n; s++) {
        let sum = 0;
        for (let i = 0; i < 216; i++) {
          const v = Math.sin(s * 1.7 + i * 0.31) * Math.cos(i * 0.07 + s);
          xs.push(v);
          const [d, h, w] = [Math.floor(i / 36), Math.floor(i / 6) % 6, i % 6];
          if (d >= 2 && d < 4 && h >= 2 && h < 4 && w >= 2 && w < 4) sum += v;
        }
        ys.push(sum / 8 * 4);
      }
      const hist = await m.fit(tf.tensor(xs, [n, 6, 6, 6, 1]), tf.tensor(ys, [n, 1]), { epochs: 30, batchSize: 8, shuffle: false });
      out[backend] = { loss: hist.history.loss, backend: tf.getBackend() };
    }
    return out;
  });
  for (const [backend, v] of Object.entries(r)) {
    assert.equal(v.backend, backend);
    const [first, last] = [v.loss[0], v.loss[v.loss.length - 1]];
    assert.ok(Number.isFinite(last) && last < 0.5 * first, `${backend}: loss ${v.loss.map((l) => l.toFixed(4))}`);
  }
  // Both devices follow the same path.
  r.cpu.loss.forEach((l, i) => assert.ok(Math.abs(l - r.webgpu.loss[i]) <= 1e-3 * (1 + l), `epoch ${i}: CPU ${l} vs WebGPU ${r.webgpu.loss[i]}`));
});

test('the 3-D layers\' bad options and inputs raise errors naming the layer', { timeout: 60_000 }, async () => {
  const page = await openBoth();
  const errors = await page.evaluate(() => {
    const tf = window.tf;
    const attempt = (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } };
    return {
      noFilters: attempt(() => tf.layers.conv3d({ kernelSize: 3, name: 'c1' })),
      kernel2: attempt(() => tf.layers.conv3d({ filters: 2, kernelSize: [3, 3], name: 'c2' })),
      kernel0: attempt(() => tf.layers.conv3dTranspose({ filters: 2, kernelSize: 0, name: 't1' })),
      stridesDilation: attempt(() => tf.layers.conv3d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2, name: 'c3' })),
      rank: attempt(() => tf.layers.conv3d({ filters: 2, kernelSize: 3, name: 'c4' }).apply(tf.input({ shape: [8, 8, 3] }))),
      tooLarge: attempt(() => tf.layers.conv3d({ filters: 2, kernelSize: [3, 3, 3], name: 'c5' }).apply(tf.input({ shape: [2, 8, 8, 1] }))),
      poolRank: attempt(() => tf.layers.maxPooling3d({ name: 'm1' }).apply(tf.input({ shape: [4, 4, 4] }))),
      poolLarge: attempt(() => tf.layers.averagePooling3d({ poolSize: [2, 5, 2], name: 'a1' }).apply(tf.input({ shape: [4, 4, 4, 1] }))),
      poolSize: attempt(() => tf.layers.avgPool3d({ poolSize: 0, name: 'a2' })),
      padding: attempt(() => tf.layers.maxPooling3d({ padding: 'causal', name: 'm2' })),
    };
  });
  assert.match(errors.noFilters, /Conv3D 'c1'.*filters/);
  assert.match(errors.kernel2, /Conv3D 'c2'.*kernelSize/);
  assert.match(errors.kernel0, /Conv3DTranspose 't1'.*kernelSize/);
  assert.match(errors.stridesDilation, /Conv3D 'c3'.*strides.*dilationRate/);
  assert.match(errors.rank, /Conv3D 'c4'.*rank 5.*\[null,8,8,3\]/);
  assert.match(errors.tooLarge, /Conv3D 'c5'.*larger than the input.*\[2,8,8\]/);
  assert.match(errors.poolRank, /MaxPooling3D 'm1'.*rank 5/);
  assert.match(errors.poolLarge, /AveragePooling3D 'a1'.*larger than the input/);
  assert.match(errors.poolSize, /AveragePooling3D 'a2'.*poolSize/);
  assert.match(errors.padding, /MaxPooling3D 'm2'.*padding/);
});

test('a Keras 3 .keras file with Conv3D, MaxPooling3D, Conv3DTranspose and AveragePooling3D predicts Keras\'s values; saved as model.json it predicts the same in TF.js (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openBoth();
  const fx = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/keras/volumes.json'), 'utf8'));
  const r = await page.evaluate(async (fx) => {
    const tf = window.tf;
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      const m = await tf.loadLayersModel('/tests/fixtures/keras/volumes.keras');
      const x = tf.tensor(fx.inputs[0].data, fx.inputs[0].shape);
      let a;
      await m.save(tf.io.withSaveHandler(async (art) => { a = art; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
      const inTfjs = await window.tfjs.loadLayersModel(window.tfjs.io.fromMemory(a.modelTopology, a.weightSpecs, a.weightData));
      out[backend] = {
        backend: tf.getBackend(),
        got: Array.from(await m.predict(x).data()),
        classes: m.layers.map((l) => l.getClassName()),
        kernels: m.layers.filter((l) => l.kernel).map((l) => l.kernel.shape),
        tfjs: Array.from(inTfjs.predict(window.tfjs.tensor(fx.inputs[0].data, fx.inputs[0].shape)).dataSync()),
      };
    }
    return out;
  }, fx);
  const want = fx.outputs[0].data;
  const near = (a, what) => {
    assert.equal(a.length, want.length, `${what}: length`);
    a.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * (1 + Math.abs(want[i])), `${what}[${i}]: ${v} vs Keras ${want[i]}`));
  };
  for (const [backend, g] of Object.entries(r)) {
    assert.equal(g.backend, backend);
    assert.deepEqual(g.classes, ['Conv3D', 'MaxPooling3D', 'Conv3DTranspose', 'AveragePooling3D', 'Flatten', 'Dense']);
    assert.deepEqual(g.kernels, [[3, 2, 3, 2, 3], [3, 3, 3, 2, 3], [fx.weights.at(-2).shape[0], 2]]);
    near(g.got, `${backend}: volumes.keras predict`);
    near(g.tfjs, `${backend}: its model.json in TF.js`);
  }
});

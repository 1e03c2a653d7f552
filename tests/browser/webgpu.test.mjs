// The WebGPU backend through the public API, in headless Chromium on SwiftShader's WebGPU
// adapter: the default backend, CPU/WebGPU agreement, synchronous reads of GPU results, a device
// lost mid-training, flat memory over 500 steps, and limits refused with a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openHebbWithHelpers, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'webgpu' });

test('WebGPU is the default backend; CPU and WebGPU predictions agree; dataSync of a GPU result computes it on the CPU', { timeout: TRAIN_TIMEOUT }, async (t) => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const start = tf.getBackend();
    tf.util.seed(3);
    const { x, label } = T.spiral(200, 2, 0.2, 9);
    const xs = tf.tensor2d(x);
    const ys = tf.tensor2d(label.map((l) => [l]));
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 33, activation: 'tanh', inputShape: [2] }));
    model.add(tf.layers.dense({ units: 7, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await model.fit(xs, ys, { epochs: 20, batchSize: 32 });
    const afterFit = tf.getBackend();
    const gpuPred = model.predict(xs);
    const gpu = Array.from(await gpuPred.data());
    const syncRead = Array.from(model.predict(xs).dataSync());
    const gpuEval = await Promise.all(model.evaluate(xs, ys).map((s) => s.data()));
    await tf.setBackend('cpu');
    const onCpu = tf.getBackend();
    const cpu = Array.from(model.predict(xs).dataSync());
    const cpuEval = model.evaluate(xs, ys).map((s) => s.dataSync()[0]);
    await tf.setBackend('webgpu');
    return { n: label.length, start, afterFit, onCpu, back: tf.getBackend(), gpu, cpu, syncRead, gpuEval: gpuEval.map((a) => a[0]), cpuEval };
  });
  assert.equal(r.start, 'webgpu');
  assert.equal(r.afterFit, 'webgpu');
  assert.equal(r.onCpu, 'cpu');
  assert.equal(r.back, 'webgpu');
  assert.equal(r.gpu.length, r.n);
  let worst = 0;
  r.gpu.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - r.cpu[i])); });
  t.diagnostic(`largest CPU/WebGPU prediction difference ${worst}`);
  assert.ok(worst < 1e-4, `CPU and WebGPU predictions differ by ${worst}`);
  r.syncRead.forEach((v, i) => assert.ok(Math.abs(v - r.cpu[i]) < 1e-6, `dataSync [${i}]`));
  r.gpuEval.forEach((v, i) => assert.ok(Math.abs(v - r.cpuEval[i]) < 1e-4, `evaluate ${i}: ${v} vs ${r.cpuEval[i]}`));
});

test('eager ops on WebGPU: await data() computes on the GPU, dataSync() on the CPU, both agree with the CPU backend', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const program = () => {
      const a = tf.randomUniform([33, 70], -1, 1, 'float32', 1);
      const w = tf.randomUniform([70, 7], -1, 1, 'float32', 2);
      const bias = tf.tensor1d([0.1, -0.2, 0.3, 0, 0.5, -0.5, 1]);
      const h = a.matMul(w).add(bias).relu();
      const probs = tf.softmax(h.mul(2).sub(h.mean(0)));
      return { probs, total: probs.sum(), arg: probs.argMax(1) };
    };
    const before = tf._debug.gpuValues();
    const g = program();
    const gpu = { probs: Array.from(await g.probs.data()), total: (await g.total.data())[0], arg: Array.from(await g.arg.data()) };
    const fromGpu = tf._debug.gpuValues() - before;
    const s = program();
    const sync = { probs: Array.from(s.probs.dataSync()), arg: Array.from(s.arg.dataSync()) };
    const afterSync = tf._debug.gpuValues() - before;
    await tf.setBackend('cpu');
    const c = program();
    const cpu = { probs: Array.from(c.probs.dataSync()), total: c.total.dataSync()[0], arg: Array.from(c.arg.dataSync()) };
    return { gpu, sync, cpu, fromGpu, afterSync };
  });
  assert.equal(r.fromGpu, 3, 'the three asynchronous reads came from the GPU');
  assert.equal(r.afterSync, 3, 'synchronous reads are computed on the CPU');
  assert.equal(r.gpu.probs.length, 33 * 7);
  r.gpu.probs.forEach((v, i) => assert.ok(Math.abs(v - r.cpu.probs[i]) < 1e-5, `probs[${i}] ${v} vs ${r.cpu.probs[i]}`));
  assert.deepEqual(r.sync.probs, r.cpu.probs);
  assert.ok(Math.abs(r.gpu.total - 33) < 1e-4, `rows sum to 1: total ${r.gpu.total}`);
  assert.deepEqual(r.gpu.arg, r.cpu.arg);
  assert.deepEqual(r.sync.arg, r.cpu.arg);
});

test('losing the GPU device mid-training: fit goes on on the CPU from the trained weights and says so once', { timeout: TRAIN_TIMEOUT }, async (t) => {
  const page = await openHebbWithHelpers(b);
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning' && /lost/i.test(m.text())) warnings.push(m.text()); });
  const r = await page.evaluate(async () => {
    tf.util.seed(5);
    const { x, label } = T.spiral(200, 2, 0.2, 4);
    const xs = tf.tensor2d(x);
    const ys = tf.tensor2d(label.map((l) => [l]));
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 32, activation: 'relu', inputShape: [2] }));
    model.add(tf.layers.dense({ units: 32, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const backends = [];
    const h = await model.fit(xs, ys, {
      epochs: 120, batchSize: 32, seed: 2,
      callbacks: { onEpochEnd: (epoch) => { backends.push(tf.getBackend()); if (epoch === 39) tf._debug.loseGpuDevice(); } },
    });
    const p = await model.predict(xs).data();
    let correct = 0;
    for (let i = 0; i < label.length; i++) if ((p[i] > 0.5 ? 1 : 0) === label[i]) correct++;
    return { loss: h.history.loss, epochs: h.epoch, backends, end: tf.getBackend(), acc: correct / label.length };
  });
  t.diagnostic(`loss at epochs 0/39/41/119: ${[0, 39, 41, 119].map((i) => r.loss[i]?.toFixed(4)).join(' ')}, accuracy ${r.acc}; warnings ${warnings.length}`);
  assert.equal(r.backends[0], 'webgpu');
  assert.equal(r.backends[39], 'webgpu');
  assert.equal(r.backends.at(-1), 'cpu');
  assert.equal(r.end, 'cpu');
  assert.equal(warnings.length, 1, `told once: ${warnings.join(' | ')}`);
  // Nothing trained was lost: the epoch after the loss starts where the GPU left off, not from scratch.
  assert.ok(r.loss[41] < 0.5 * r.loss[0], `loss after the device loss ${r.loss[41]} vs first epoch ${r.loss[0]}`);
  assert.ok(r.loss[41] < r.loss[39] * 1.5, `loss ${r.loss[39]} before, ${r.loss[41]} after`);
  assert.ok(r.acc >= 0.95, `accuracy ${r.acc}`);
});

test('tf.memory() stays flat over 500 training steps on WebGPU (tensors, GPU pool and model buffers)', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    const xs = tf.randomUniform([400, 8], -1, 1, 'float32', 1);
    const ys = tf.tidy(() => xs.sum(1, true).tanh());
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 16, activation: 'relu', inputShape: [8] }));
    model.add(tf.layers.dropout({ rate: 0.1 }));
    model.add(tf.layers.dense({ units: 1 }));
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mae'] });
    await model.fit(xs, ys, { epochs: 1, batchSize: 16, validationSplit: 0.1 });
    const warm = model.predict(xs);
    await warm.data();
    warm.dispose();
    const before = tf.memory();
    let steps = 0;
    const h = await model.fit(xs, ys, { epochs: 25, batchSize: 16, validationSplit: 0.1, callbacks: { onEpochEnd: () => { steps += 23; } } });
    const p = model.predict(xs);
    await p.data();
    p.dispose();
    const after = tf.memory();
    return { before, after, steps, backend: tf.getBackend(), loss: h.history.loss };
  });
  assert.equal(r.backend, 'webgpu');
  assert.ok(r.steps >= 500, `${r.steps} steps`);
  for (const k of ['numTensors', 'numBytes', 'gpuPoolBytes', 'gpuModelBytes']) assert.equal(r.after[k], r.before[k], `${k}: ${JSON.stringify(r.before)} -> ${JSON.stringify(r.after)}`);
  assert.ok(r.loss.at(-1) < r.loss[0], 'the loss falls');
});

test('a GPU buffer above maxStorageBufferBindingSize is refused with a message naming it, and the engine keeps working', { timeout: TRAIN_TIMEOUT }, async (t) => {
  const page = await openHebbWithHelpers(b);
  const r = await page.evaluate(async () => {
    // A device with WebGPU's default binding limit (128 MiB), below SwiftShader's 1 GiB.
    const limit = 128 * 1024 * 1024;
    await tf._debug.reopenGpu(limit);
    // A dense layer whose output for the batch needs just over the limit.
    const units = 4096;
    const rows = Math.floor(limit / 4 / units) + 1;
    const model = tf.sequential();
    model.add(tf.layers.dense({ units, inputShape: [1], useBias: false }));
    let message = null;
    if (rows * units < 2 ** 27) {
      try {
        model.predict(tf.zeros([rows, 1]), { batchSize: rows });
      } catch (e) {
        message = e.message;
      }
    }
    const small = await model.predict(tf.ones([2, 1])).data();
    return { limit, rows, message, small: small.length, backend: tf.getBackend() };
  });
  t.diagnostic(`maxStorageBufferBindingSize ${r.limit}: ${r.message}`);
  if (r.rows * 4096 >= 2 ** 27) {
    t.skip(`the adapter's binding limit (${r.limit} bytes) is above Hebb's own 2^27-element cap`);
    return;
  }
  assert.ok(r.message && /maxStorageBufferBindingSize/.test(r.message) && /predict/.test(r.message), String(r.message));
  assert.equal(r.small, 2 * 4096);
  assert.equal(r.backend, 'webgpu');
});

test('the playground shows the active backend and switches between WebGPU and the CPU', { timeout: 120_000 }, async () => {
  const page = await b.openPage('/index.html');
  await page.waitForFunction(() => window.playground);
  const program = [
    'const m = tf.sequential();',
    'm.add(tf.layers.dense({ units: 4, activation: "relu", inputShape: [2] }));',
    'm.add(tf.layers.dense({ units: 1 }));',
    'm.compile({ optimizer: "adam", loss: "meanSquaredError" });',
    'await m.fit(tf.randomUniform([64, 2]), tf.randomUniform([64, 1]), { epochs: 3 });',
    'console.log("trained on " + tf.getBackend());',
  ].join('\n');
  const seen = {};
  for (const choice of ['', 'cpu', 'webgpu']) {
    await page.evaluate((c) => window.playground.setBackend(c), choice);
    await page.evaluate((code) => window.playground.setCode(code), program);
    const state = await page.evaluate(() => window.playground.run());
    assert.equal(state, 'done', `run with backend '${choice}'`);
    seen[choice || 'auto'] = { pill: await page.textContent('#backend'), console: await page.evaluate(() => window.playground.consoleText()) };
  }
  assert.match(seen.auto.pill, /webgpu/);
  assert.match(seen.auto.console, /trained on webgpu/);
  assert.match(seen.cpu.pill, /cpu/);
  assert.match(seen.cpu.console, /trained on cpu/);
  assert.match(seen.webgpu.pill, /webgpu/);
  assert.equal(await page.$eval('#backend-select', (el) => el.value), 'webgpu');
  assert.match(page.url(), /backend=webgpu/);
});

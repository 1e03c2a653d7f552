// Custom training loops through the public API, as TF.js users write them: tf.variable,
// tf.grad/grads/valueAndGrad(s)/variableGrads against analytic gradients, optimizer.minimize and
// applyGradients for every tf.train optimizer (against the reference TF.js build and the Adam
// formula), on WebGPU and the CPU; misuse raises errors naming the function, and the engine keeps
// working after each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'custom-loop' });

const close = (a, e, tol, what) => {
  assert.equal(a.length, e.length, `${what}: length ${a.length} vs ${e.length}`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - e[i]) <= tol * (1 + Math.abs(e[i])), `${what}[${i}]: ${a[i]} vs ${e[i]} (all: ${a} vs ${e})`);
};

/** Runs `fn(backend)` in the page once per backend that is available; {backend: result}. */
async function onBackends(page, fn) {
  const out = {};
  for (const backend of ['webgpu', 'cpu']) {
    const ok = await page.evaluate((bk) => tf.setBackend(bk), backend);
    if (!ok) continue;
    out[backend] = await page.evaluate(fn, backend);
  }
  assert.ok(out.cpu, 'the CPU backend must run');
  if (!out.webgpu) process.stdout.write('# no WebGPU adapter here: checked on the CPU backend only\n');
  return out;
}

test('tf.grad, tf.grads, valueAndGrad(s) match analytic gradients (WebGPU and CPU)', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const res = await onBackends(page, () => {
    const pts = [-2, -0.5, 0, 1.5, 3];
    const x = tf.tensor1d(pts);
    // d/dx x³ = 3x², through mul and through pow (away from 0, where pow's rule divides by x).
    const cube = Array.from(tf.grad((t) => t.mul(t).mul(t))(x).dataSync());
    const powPts = tf.tensor1d([-2, -0.5, 1.5, 3]);
    const cubePow = Array.from(tf.grad((t) => tf.pow(t, 3))(powPts).dataSync());
    // One point at a time, scalar in and out.
    const scalarCube = pts.map((p) => tf.grad((t) => t.mul(t).mul(t))(tf.scalar(p)).dataSync()[0]);
    // f(a, b) = a·b + sin(a): da = b + cos(a), db = a (non-scalar: summed, as TF.js).
    const a = tf.tensor1d([0.3, -1.2, 2]);
    const bb = tf.tensor1d([1.5, 0.5, -2]);
    const f = (u, v) => u.mul(v).add(u.sin());
    const [da, db] = tf.grads(f)([a, bb]);
    // With dy: the gradient of sum(f · dy).
    const dy = tf.tensor1d([1, 2, -1]);
    const [dad] = tf.grads(f)([a, bb], dy);
    const vg = tf.valueAndGrads(f)([a, bb]);
    const v1 = tf.valueAndGrad((t) => t.square().sum())(tf.tensor1d([1, -2]));
    // The same tensor twice: both get the full gradient of d(u·u)/du = 2u.
    const [t1, t2] = tf.grads((u, w) => u.mul(w))([a, a]);
    // The identity, and f returning its input reshaped.
    const id = Array.from(tf.grad((t) => t)(x).dataSync());
    const reshaped = Array.from(tf.grad((t) => t.reshape([5]).reshape([1, 5]).sum())(x).dataSync());
    // Reading values inside f works (the function runs on real values).
    let seen = null;
    const withRead = tf.valueAndGrad((t) => { const y = t.square().sum(); seen = y.dataSync()[0]; return y; })(tf.tensor1d([3, 4]));
    return {
      cube, cubePow, scalarCube, da: Array.from(da.dataSync()), db: Array.from(db.dataSync()), dad: Array.from(dad.dataSync()),
      value: Array.from(vg.value.dataSync()), vgrads: vg.grads.map((g) => Array.from(g.dataSync())),
      v1: { value: v1.value.dataSync()[0], rank: v1.value.rank, grad: Array.from(v1.grad.dataSync()) },
      twice: [Array.from(t1.dataSync()), Array.from(t2.dataSync())], id, reshaped,
      seen, readValue: withRead.value.dataSync()[0], readGrad: Array.from(withRead.grad.dataSync()),
      backend: tf.getBackend(),
    };
  });
  for (const [backend, r] of Object.entries(res)) {
    assert.equal(r.backend, backend);
    const pts = [-2, -0.5, 0, 1.5, 3];
    close(r.cube, pts.map((p) => 3 * p * p), 1e-5, `${backend} d(x·x·x)`);
    close(r.cubePow, [-2, -0.5, 1.5, 3].map((p) => 3 * p * p), 1e-4, `${backend} d(pow(x,3))`);
    close(r.scalarCube, pts.map((p) => 3 * p * p), 1e-5, `${backend} scalar d(x³)`);
    const a = [0.3, -1.2, 2], bb = [1.5, 0.5, -2], dy = [1, 2, -1];
    close(r.da, a.map((x, i) => bb[i] + Math.cos(x)), 1e-5, `${backend} da`);
    close(r.db, a, 1e-6, `${backend} db`);
    close(r.dad, a.map((x, i) => dy[i] * (bb[i] + Math.cos(x))), 1e-5, `${backend} da with dy`);
    close(r.value, a.map((x, i) => x * bb[i] + Math.sin(x)), 1e-5, `${backend} value`);
    close(r.vgrads[0], r.da, 1e-6, `${backend} valueAndGrads da`);
    close(r.vgrads[1], a, 1e-6, `${backend} valueAndGrads db`);
    assert.deepEqual(r.v1, { value: 5, rank: 0, grad: [2, -4] });
    close(r.twice[0], a.map((x) => 2 * x), 1e-6, `${backend} same tensor twice (first)`);
    close(r.twice[1], a.map((x) => 2 * x), 1e-6, `${backend} same tensor twice (second)`);
    assert.deepEqual(r.id, [1, 1, 1, 1, 1]);
    assert.deepEqual(r.reshaped, [1, 1, 1, 1, 1]);
    assert.equal(r.seen, 25);
    assert.equal(r.readValue, 25);
    assert.deepEqual(r.readGrad, [6, 8]);
  }
});

test('tf.variable and tf.variableGrads on a linear model match analytic gradients', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const res = await onBackends(page, (backend) => {
    const w = tf.variable(tf.tensor2d([[0.5], [-1]]), true, `w_${backend}`);
    const bias = tf.variable(tf.tensor1d([0.25]), true, `b_${backend}`);
    const unused = tf.variable(tf.tensor1d([7]), true, `unused_${backend}`);
    const frozen = tf.variable(tf.tensor1d([3]), false, `frozen_${backend}`);
    const x = tf.tensor2d([[1, 2], [0, -1], [3, 1], [-2, 0.5]]);
    const y = tf.tensor2d([[1], [0], [2], [-1]]);
    const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), bias), y)));
    const all = tf.variableGrads(loss);
    const listed = tf.variableGrads(loss, [w, frozen]);
    // tidy never frees a variable; assign keeps the object and its name.
    const inTidy = tf.tidy(() => { const v = tf.variable(tf.scalar(1), true, `t_${backend}`); v.assign(tf.scalar(4)); return 0; });
    const tv = tf.tidy(() => tf.variable(tf.scalar(2)));
    const result = {
      value: all.value.dataSync()[0], rank: all.value.rank,
      keys: Object.keys(all.grads).filter((k) => k.endsWith(backend)).sort(),
      gw: Array.from(all.grads[w.name].dataSync()), gb: Array.from(all.grads[bias.name].dataSync()),
      listedKeys: Object.keys(listed.grads).sort(), frozenGrad: listed.grads[frozen.name],
      listedW: Array.from(listed.grads[w.name].dataSync()),
      isTensor: w instanceof tf.Tensor && w instanceof tf.Variable, trainable: [w.trainable, frozen.trainable], name: w.name,
      inTidy, tvAlive: !tv.isDisposed && tv.dataSync()[0] === 2,
      wAfter: Array.from(w.dataSync()),
    };
    [w, bias, unused, frozen, tv].forEach((v) => v.dispose());
    return result;
  });
  const x = [[1, 2], [0, -1], [3, 1], [-2, 0.5]], y = [1, 0, 2, -1];
  const r = x.map((row, i) => row[0] * 0.5 - row[1] + 0.25 - y[i]);
  const gw = [0, 1].map((j) => (2 / 4) * x.reduce((s, row, i) => s + row[j] * r[i], 0));
  const gb = [(2 / 4) * r.reduce((s, v) => s + v, 0)];
  for (const [backend, g] of Object.entries(res)) {
    close([g.value], [r.reduce((s, v) => s + v * v, 0) / 4], 1e-5, `${backend} loss`);
    assert.equal(g.rank, 0);
    assert.deepEqual(g.keys, [`b_${backend}`, `w_${backend}`], 'unused and non-trainable variables are left out');
    close(g.gw, gw, 1e-5, `${backend} dL/dw`);
    close(g.gb, gb, 1e-5, `${backend} dL/db`);
    assert.deepEqual(g.listedKeys, [`frozen_${backend}`, `w_${backend}`]);
    assert.equal(g.frozenGrad, null, 'a non-trainable variable named in varList gets null');
    close(g.listedW, gw, 1e-5, `${backend} listed dL/dw`);
    assert.deepEqual([g.isTensor, ...g.trainable, g.name], [true, true, false, `w_${backend}`]);
    assert.equal(g.tvAlive, true, 'a variable made inside tidy() survives it');
    assert.deepEqual(g.wAfter, [0.5, -1], 'variableGrads does not change the variables');
  }
});

test('a custom loop with minimize fits y = 2x + 1 (sgd and adam, WebGPU and CPU), memory stays flat', { timeout: 2 * TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const res = await onBackends(page, () => {
    const out = {};
    const xs = tf.linspace(-1, 1, 20);
    const ys = xs.mul(2).add(1);
    for (const [name, opt] of [['sgd', tf.train.sgd(0.1)], ['adam', tf.train.adam(0.1)]]) {
      const w = tf.variable(tf.scalar(0));
      const b0 = tf.variable(tf.scalar(0));
      const loss = () => tf.mean(tf.square(xs.mul(w).add(b0).sub(ys)));
      const first = opt.minimize(loss, true);
      const l0 = first.dataSync()[0];
      first.dispose();
      let mem = null;
      for (let i = 1; i < 200; i++) {
        opt.minimize(loss);
        if (i === 20) mem = tf.memory().numTensors;
      }
      const cost = opt.minimize(loss, true, [w, b0]);
      out[name] = { l0, l1: cost.dataSync()[0], w: w.dataSync()[0], b: b0.dataSync()[0], memGrowth: tf.memory().numTensors - mem - 1, iterations: opt.iterations };
      [cost, w, b0].forEach((t) => t.dispose());
    }
    return out;
  });
  for (const [backend, r] of Object.entries(res)) {
    for (const [name, s] of Object.entries(r)) {
      assert.ok(s.l1 < s.l0 / 100, `${backend} ${name}: loss ${s.l0} -> ${s.l1}`);
      assert.ok(Math.abs(s.w - 2) < 0.05 && Math.abs(s.b - 1) < 0.05, `${backend} ${name}: w=${s.w} b=${s.b}`);
      assert.equal(s.memGrowth, 0, `${backend} ${name}: live tensors grew by ${s.memGrowth} over the loop`);
      assert.equal(s.iterations, 201);
    }
  }
});

// Every optimizer: applyGradients with the gradients variableGrads returns takes the same step as
// minimize; both as {name: grad} and as [{name, tensor}].
test('applyGradients with explicit gradients takes the same step as minimize, for every optimizer', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const res = await onBackends(page, () => {
    const makers = {
      sgd: () => tf.train.sgd(0.1), momentum: () => tf.train.momentum(0.1, 0.9), adam: () => tf.train.adam(0.05),
      adamax: () => tf.train.adamax(0.05), rmsprop: () => tf.train.rmsprop(0.05), adagrad: () => tf.train.adagrad(0.1),
      adadelta: () => tf.train.adadelta(1), adamw: () => tf.train.adamw(0.05, 0.01), clipped: () => tf.train.sgd(0.1, { clipnorm: 0.5 }),
    };
    const x = tf.tensor2d([[1, 2], [0, -1], [3, 1]]);
    const y = tf.tensor2d([[1], [0], [2]]);
    const out = {};
    for (const [name, make] of Object.entries(makers)) {
      const sets = [0, 1, 2].map(() => ({ w: tf.variable(tf.tensor2d([[0.5], [-1]])), b: tf.variable(tf.tensor1d([0.25])) }));
      const loss = (s) => () => tf.mean(tf.square(tf.matMul(x, s.w).add(s.b).sub(y)));
      const opts = [make(), make(), make()];
      const vals = [];
      for (let step = 0; step < 2; step++) {
        opts[0].minimize(loss(sets[0]));
        const g1 = tf.variableGrads(loss(sets[1]), [sets[1].w, sets[1].b]);
        opts[1].applyGradients(g1.grads);
        const g2 = tf.variableGrads(loss(sets[2]), [sets[2].w, sets[2].b]);
        opts[2].applyGradients(Object.entries(g2.grads).map(([n, t]) => ({ name: n, tensor: t })));
        tf.dispose([g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
      }
      for (const s of sets) vals.push([...s.w.dataSync(), ...s.b.dataSync()]);
      out[name] = vals;
      sets.forEach((s) => { s.w.dispose(); s.b.dispose(); });
      opts.forEach((o) => o.dispose());
    }
    return out;
  });
  for (const [backend, r] of Object.entries(res)) {
    for (const [name, [m, a1, a2]] of Object.entries(r)) {
      assert.deepEqual(a1, m, `${backend} ${name}: applyGradients({name: grad}) vs minimize`);
      assert.deepEqual(a2, m, `${backend} ${name}: applyGradients([{name, tensor}]) vs minimize`);
      assert.ok(m.some((v, i) => v !== [0.5, -1, 0.25][i]), `${backend} ${name}: the variables moved`);
    }
  }
});

test('minimize with adam keeps its moments across calls (the TF.js Adam formula, step by step)', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const res = await onBackends(page, () => {
    const target = [1, -2, 0.5];
    const w = tf.variable(tf.tensor1d([0, 0, 0]));
    const t = tf.tensor1d(target);
    const opt = tf.train.adam(0.1, 0.9, 0.999, 1e-7);
    const steps = [];
    for (let i = 0; i < 3; i++) {
      opt.minimize(() => tf.sum(tf.square(w.sub(t))));
      steps.push(Array.from(w.dataSync()));
    }
    // Another variable under the same optimizer gets its own, fresh moments.
    const u = tf.variable(tf.tensor1d([0, 0, 0]));
    opt.minimize(() => tf.sum(tf.square(u.sub(t))), false, [u]);
    const out = { steps, u: Array.from(u.dataSync()), iterations: opt.iterations };
    [w, u].forEach((v) => v.dispose());
    return out;
  });
  // Keras/TF.js Adam: m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², w -= lr·m̂/(√v̂ + ε).
  const lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-7, target = [1, -2, 0.5];
  const w = [0, 0, 0], m = [0, 0, 0], v = [0, 0, 0];
  const expected = [];
  for (let t = 1; t <= 3; t++) {
    for (let i = 0; i < 3; i++) {
      const g = 2 * (w[i] - target[i]);
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      w[i] -= lr * (m[i] / (1 - b1 ** t)) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
    }
    expected.push(w.slice());
  }
  // Fresh moments at every call would move each weight by lr·sign(g) at every step instead.
  assert.ok(Math.abs(expected[2][0] - 0.3) > 1e-3, 'the check tells kept moments from fresh ones');
  for (const [backend, r] of Object.entries(res)) {
    r.steps.forEach((s, k) => close(s, expected[k], 1e-5, `${backend} adam step ${k + 1}`));
    // u's first step happens at iteration 4: bias corrections with t = 4 on fresh moments.
    const t4 = 4;
    const u = target.map((tt) => {
      const g = -2 * tt;
      const mm = (1 - b1) * g, vv = (1 - b2) * g * g;
      return -lr * (mm / (1 - b1 ** t4)) / (Math.sqrt(vv / (1 - b2 ** t4)) + eps);
    });
    close(r.u, u, 1e-5, `${backend} a new variable's first step`);
    assert.equal(r.iterations, 4);
  }
});

// The same custom loop in the reference TF.js build and in Hebb: the optimizers take the same
// steps. Adadelta is left out: TF.js divides by the accumulated squared gradient from before the
// step, Hebb's optimizer (shared with fit) by the updated one, as Keras does.
test('minimize takes the steps TF.js takes (sgd, momentum, adam, adamax, rmsprop, adagrad)', { timeout: TRAIN_TIMEOUT }, async () => {
  const loop = () => {
    const makers = {
      sgd: () => tf.train.sgd(0.1), momentum: () => tf.train.momentum(0.1, 0.9), nesterov: () => tf.train.momentum(0.05, 0.9, true),
      adam: () => tf.train.adam(0.05), adamax: () => tf.train.adamax(0.05), rmsprop: () => tf.train.rmsprop(0.05),
      rmspropCentered: () => tf.train.rmsprop(0.05, 0.9, 0.5, 1e-7, true),
      adagrad: () => tf.train.adagrad(0.1),
    };
    const x = tf.tensor2d([[1, 2], [0, -1], [3, 1], [-1, 0.5]]);
    const y = tf.tensor2d([[1], [0], [2], [-0.5]]);
    const out = {};
    for (const [name, make] of Object.entries(makers)) {
      const w = tf.variable(tf.tensor2d([[0.5], [-1]]));
      const b = tf.variable(tf.tensor1d([0.25]));
      const opt = make();
      const costs = [];
      for (let i = 0; i < 5; i++) {
        const c = opt.minimize(() => tf.mean(tf.square(tf.sigmoid(tf.matMul(x, w).add(b)).sub(y))), true);
        costs.push(c.dataSync()[0]);
        c.dispose();
      }
      out[name] = { costs, w: [...w.dataSync(), ...b.dataSync()] };
      w.dispose();
      b.dispose();
    }
    return out;
  };
  const ref = await (await b.openTfjs()).evaluate(loop);
  const page = await b.openHebb();
  const res = await onBackends(page, loop);
  for (const [backend, r] of Object.entries(res)) {
    for (const name of Object.keys(ref)) {
      close(r[name].costs, ref[name].costs, 1e-4, `${backend} ${name} costs`);
      close(r[name].w, ref[name].w, 1e-4, `${backend} ${name} weights`);
    }
  }
});

test('misuse raises errors naming the function, and the engine keeps working after each', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  const res = await onBackends(page, (backend) => {
    const catchErr = (fn) => {
      try {
        fn();
        return { threw: false };
      } catch (e) {
        return { threw: true, isError: e instanceof Error, message: String(e?.message ?? e) };
      }
    };
    // After every error: gradients and eager ops still work, no recording is left open.
    const works = () => {
      const g = tf.grad((t) => t.square())(tf.tensor1d([3])).dataSync()[0];
      const s = tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0];
      return g === 6 && s === 3;
    };
    const x = tf.tensor1d([1, 2]);
    const w = tf.variable(tf.tensor2d([[1], [2]]), true, `w_${backend}`);
    const cases = {
      notTensor: () => tf.grad(() => 3)(x),
      notTensorArray: () => tf.grads((a) => [a.square()])([x]),
      notFunction: () => tf.grad(5),
      unusedArg: () => tf.grads((a, b) => a.square())([x, tf.tensor1d([3])]),
      unconnected: () => tf.grad(() => tf.scalar(2))(x),
      dyShape: () => tf.grad((t) => t.square())(x, tf.tensor1d([1, 2, 3])),
      nonScalarVariableGrads: () => tf.variableGrads(() => w.mul(2)),
      noVariableUsed: () => tf.variableGrads(() => tf.scalar(1).add(x.sum()), [w]),
      noTrainable: () => tf.variableGrads(() => w.sum(), []),
      nonScalarMinimize: () => tf.train.sgd(0.1).minimize(() => w.square(), false, [w]),
      throws: () => tf.grad((t) => { t.square(); throw new Error('user code failed'); })(x),
      nested: () => tf.grad((t) => tf.grad((u) => u.square())(t).sum())(x),
      assignShape: () => w.assign(tf.tensor1d([1, 2, 3])),
      assignDtype: () => w.assign(tf.tensor2d([[1], [2]], [2, 1], 'int32')),
      duplicateName: () => tf.variable(tf.scalar(1), true, `w_${backend}`),
      unknownName: () => tf.train.sgd(0.1).applyGradients({ nope: tf.scalar(1) }),
      gradShape: () => tf.train.sgd(0.1).applyGradients({ [w.name]: tf.tensor1d([1, 2]) }),
      disposedArg: () => { const t = tf.tensor1d([1]); t.dispose(); return tf.grad((u) => u.square())(t); },
    };
    const out = {};
    for (const [name, fn] of Object.entries(cases)) out[name] = { ...catchErr(fn), works: works() };
    out.wIntact = Array.from(w.dataSync());
    w.dispose();
    return out;
  });
  const expect = {
    notTensor: [/^grad: /, /must return a tensor/, /number 3/],
    notTensorArray: [/^grads: /, /must return a tensor/],
    notFunction: [/^grad: /, /must be a function/],
    unusedArg: [/^grads: /, /argument 1/, /not computed from it/],
    unconnected: [/^grad: /, /not computed from x/],
    dyShape: [/^grad: /, /dy \[3\]/, /\[2\]/],
    nonScalarVariableGrads: [/^variableGrads: /, /scalar/, /rank-2/],
    noVariableUsed: [/^variableGrads: /, /connection between any variable/],
    noTrainable: [/^variableGrads: /, /at least one trainable variable/],
    nonScalarMinimize: [/^minimize: /, /scalar/],
    throws: [/^user code failed$/],
    nested: [/^grad: /, /nested/],
    assignShape: [/^assign: /, /'w_\w+'/, /\[2,1\]/, /\[3\]/],
    assignDtype: [/^assign: /, /int32/],
    duplicateName: [/^variable: /, /'w_\w+' already exists/],
    unknownName: [/^applyGradients: /, /no variable named 'nope'/],
    gradShape: [/^applyGradients: /, /\[2\]/, /\[2,1\]/],
    disposedArg: [/disposed/],
  };
  for (const [backend, r] of Object.entries(res)) {
    for (const [name, patterns] of Object.entries(expect)) {
      const c = r[name];
      assert.equal(c.threw, true, `${backend} ${name}: expected an error`);
      assert.equal(c.isError, true, `${backend} ${name}: expected an Error instance`);
      for (const re of patterns) assert.match(c.message, re, `${backend} ${name}`);
      assert.equal(c.works, true, `${backend} ${name}: the engine stopped working after the error`);
    }
    assert.deepEqual(r.wIntact, [1, 2], `${backend}: failed assigns and updates left the variable as it was`);
  }
});

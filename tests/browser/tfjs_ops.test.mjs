// Ops and helpers of issue 13, side by side with TF.js 4.22 in one page: the same calls on both
// libraries, compared value by value (1e-5 relative for float32, exact for int32 and bool), with
// TF.js's tf.grad for the differentiable ones, on the CPU and on WebGPU; TF.js's messages where it
// throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';
import { openBoth, openWithBackends, same, sameAll } from './surface/both.mjs';

const b = useBrowser({ label: 'tfjs ops' });

test('tf.util helpers give TF.js\'s results and messages', { timeout: 60_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(() => {
    const calls = [
      ['arraysEqual', [1, 2], [1, 2]], ['arraysEqual', [1, 2], [1, 3]], ['arraysEqualWithNull', [1, null], [1, 4]],
      ['sizeFromShape', [2, 3, 4]], ['sizeFromShape', []], ['computeStrides', [2, 3, 4]], ['computeStrides', [5]],
      ['locToIndex', [1, 2, 3], 3, [12, 4]], ['indexToLoc', 23, 3, [12, 4]], ['indexToLoc', 5, 1, []],
      ['inferFromImplicitShape', [2, -1, 4], 24], ['inferFromImplicitShape', [2, -1], 7], ['inferFromImplicitShape', [-1, -1], 4],
      ['inferFromImplicitShape', [3, 4], 13], ['inferFromImplicitShape', [0, -1], 0],
      ['parseAxisParam', -1, [2, 3]], ['parseAxisParam', null, [2, 3, 4]], ['parseAxisParam', [0, 5], [2, 3]], ['parseAxisParam', 0.5, [2, 3]],
      ['squeezeShape', [1, 3, 1, 2]], ['squeezeShape', [1, 3, 1, 2], [2]], ['squeezeShape', [1, 3, 1, 2], [1]], ['squeezeShape', [1, 3], []],
      ['flatten', [[1, [2, 3]], [4]]], ['flatten', [new Float32Array([1, 2]), [3]], [], true],
      ['toNestedArray', [2, 3], [1, 2, 3, 4, 5, 6]], ['toNestedArray', [], [7]], ['toNestedArray', [2, 2], [1, 2, 3]],
      ['clamp', 0, 5, 3], ['nearestLargerEven', 7], ['nearestDivisor', 12, 5], ['sizeToSquarishShape', 10], ['sum', [1, 2, 3.5]],
      ['distSquared', [1, 2], [4, 6]], ['rightPad', 'ab', 5], ['isInt', 3], ['isInt', 3.5], ['isString', 'x'], ['isNumber', '3'],
      ['isBoolean', false], ['isTypedArray', new Int32Array(2)], ['isTypedArray', [1]], ['isValidDtype', 'int32'], ['isValidDtype', 'int64'],
      ['isScalarShape', []], ['bytesPerElement', 'int32'], ['bytesPerElement', 'bool'], ['bytesPerElement', 'uint8'],
      ['hasEncodingLoss', 'float32', 'int32'], ['hasEncodingLoss', 'int32', 'float32'], ['hasEncodingLoss', 'bool', 'bool'],
      ['inferDtype', [[true]]], ['inferDtype', new Int32Array(1)], ['inferDtype', 'a'], ['bytesFromStringArray', [new Uint8Array(3), new Uint8Array(2)]],
      ['getTypedArrayFromDType', 'int32', 3], ['getArrayFromDType', 'bool', 2], ['makeOnesTypedArray', 3, 'float32'], ['makeZerosTypedArray', 2, 'int32'],
      ['makeZerosNestedTypedArray', [2, 2], 'float32'], ['toTypedArray', [[1.6, 0], [2, 0.2]], 'bool'], ['toTypedArray', [1.5, 2], 'int32'],
      ['createScalarValue', 3, 'int32'], ['encodeString', 'héllo'], ['decodeString', new Uint8Array([104, 105])],
      ['assert', true, 'fine'], ['assert', false, 'the message'], ['assertShapesMatch', [1, 2], [1, 3], 'prefix:'],
      ['assertNonNull', null], ['assertNonNegativeIntegerDimensions', [2, -1]], ['tanh', 0.5], ['isFunction', () => 1], ['isPromise', Promise.resolve(1)],
    ];
    const run = (lib, [name, ...args]) => {
      try {
        const v = lib.util[name](...args.map((a) => (ArrayBuffer.isView(a) ? a.slice() : structuredClone(a))));
        const plain = (x) => (ArrayBuffer.isView(x) ? { typed: x.constructor.name, values: Array.from(x) } : Array.isArray(x) ? x.map(plain) : x);
        return { value: plain(v) };
      } catch (e) {
        return { error: e.message };
      }
    };
    const want = calls.map((c) => run(window.tfjs, c));
    const got = calls.map((c) => run(window.tf, c));
    // Shuffles keep every element; shuffleCombo keeps the pairs; createShuffledIndices is a permutation.
    const a = [1, 2, 3, 4, 5, 6];
    const bb = ['a', 'b', 'c', 'd', 'e', 'f'];
    window.tf.util.shuffleCombo(a, bb);
    const pairs = a.every((v, i) => bb[i] === 'abcdef'[v - 1]);
    const idx = Array.from(window.tf.util.createShuffledIndices(9)).sort();
    let comboError = null;
    try { window.tf.util.shuffleCombo([1], [1, 2]); } catch (e) { comboError = e.message; }
    let wantCombo = null;
    try { window.tfjs.util.shuffleCombo([1], [1, 2]); } catch (e) { wantCombo = e.message; }
    return { names: calls.map((c) => c[0]), want, got, pairs, idx, comboError, wantCombo };
  });
  r.names.forEach((n, i) => assert.deepEqual(r.got[i], r.want[i], `util.${n} (call ${i})`));
  assert.ok(r.pairs, 'shuffleCombo keeps the pairs');
  assert.deepEqual(r.idx, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(r.comboError, r.wantCombo);
});

test('tf.buffer / TensorBuffer and tensor.buffer(), bufferSync() as in TF.js', { timeout: 60_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(async () => {
    const use = async (lib) => {
      const out = {};
      const buf = lib.buffer([2, 3], 'int32');
      buf.set(5, 0, 1);
      buf.set(7, 1, 2);
      out.get = [buf.get(0, 1), buf.get(1, 2), buf.get(1, 0)];
      out.meta = [buf.rank, buf.size, buf.dtype, buf.shape, buf.strides, buf.locToIndex([1, 1]), buf.indexToLoc(4)];
      const t = buf.toTensor();
      out.tensor = [t.shape, t.dtype, Array.from(t.dataSync())];
      const errs = [];
      for (const f of [() => buf.get(2, 0), () => buf.set(1, 0), () => lib.buffer([2], 'float32', [1, 2, 3])]) {
        try { f(); errs.push(null); } catch (e) { errs.push(e.message); }
      }
      out.errors = errs;
      const x = lib.tensor2d([[1, 2], [3, 4]]);
      const bs = x.bufferSync();
      bs.set(9, 1, 0);
      // (TF.js's CPU backend hands bufferSync its own storage, so setting a value there changes x
      // too; Hebb's buffer is a copy, as TF.js's WebGL backend gives: x itself is not compared.)
      out.fromTensor = [bs.get(1, 1), Array.from(bs.toTensor().dataSync())];
      const ba = await x.buffer();
      out.async = [ba.get(0, 1), ba.shape];
      const f = lib.buffer([3]);
      out.floatDefault = [f.dtype, Array.from(f.values)];
      const s = lib.buffer([], 'float32');
      try { s.set(4); out.scalar = s.get(); } catch (e) { out.scalar = e.message; }
      return out;
    };
    return { want: await use(window.tfjs), got: await use(window.tf) };
  });
  assert.deepEqual(r.got, r.want);
});

test('moments, tile, split, clone, tensor5d/6d and the new Tensor methods give TF.js\'s values and gradients (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    let seed = 7;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647) * 4 - 2; };
    const arr = (n) => Array.from({ length: n }, rnd);
    const cases = [
      ['moments all', [7], (l, x) => { const m = l.moments(x); return [m.mean, m.variance]; }],
      ['moments axis 0', [33, 3], (l, x) => { const m = l.moments(x, 0); return [m.mean, m.variance]; }],
      ['moments axes [0, 2] keepDims', [2, 7, 3], (l, x) => { const m = l.moments(x, [0, 2], true); return [m.mean, m.variance]; }],
      ['moments axis -1', [1, 5], (l, x) => { const m = l.moments(x, -1); return [m.mean, m.variance]; }],
      ['tile [2, 3]', [2, 3], (l, x) => [l.tile(x, [2, 3])]],
      ['tile rank 1', [7], (l, x) => [l.tile(x, [3])]],
      ['tile [1, 1, 2]', [1, 7, 3], (l, x) => [x.tile([1, 1, 2])]],
      ['tile rank 5', [2, 1, 2, 1, 2], (l, x) => [l.tile(x, [1, 2, 1, 3, 1])]],
      ['split 3', [6, 2], (l, x) => l.split(x, 3)],
      ['split sizes -1 axis 1', [2, 7], (l, x) => l.split(x, [2, -1, 1], 1)],
      ['split method', [4, 4], (l, x) => x.split(2, -1)],
      ['clone', [3, 2], (l, x) => [l.clone(x)]],
      ['reshapeAs', [6], (l, x) => [x.reshapeAs(l.zeros([2, 3]))]],
      ['as3D', [12], (l, x) => [x.as3D(2, 3, 2)]],
      ['as4D', [12], (l, x) => [x.as4D(1, 2, 3, 2)]],
      ['as5D', [12], (l, x) => [x.as5D(1, 2, 1, 3, 2)]],
      ['asScalar', [1], (l, x) => [x.asScalar()]],
      ['toBool', [5], (l, x) => [x.toBool()]],
      ['zerosLike / onesLike', [2, 2], (l, x) => [x.zerosLike(), x.onesLike()]],
      ['stack / unstack', [2, 3], (l, x) => [x.stack(x, 1), ...x.unstack(1)]],
    ];
    const grads = [
      ['grad of variance', [7, 3], (l) => (x) => l.moments(x, 0).variance.sum()],
      ['grad of tile', [2, 3], (l) => (x) => l.tile(x, [3, 2]).mul(l.range(0, 36).reshape([6, 6])).sum()],
      ['grad of split', [6, 2], (l) => (x) => l.split(x, [1, 2, 3])[1].square().sum()],
    ];
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const runAll = (l) => {
      seed = 7;
      const out = {};
      for (const [name, shape, f] of cases) {
        const x = l.tensor(arr(shape.reduce((a, b) => a * b, 1)), shape);
        try { out[name] = f(l, x).map(rec); } catch (e) { out[name] = { error: e.message }; }
      }
      for (const [name, shape, f] of grads) {
        const x = l.tensor(arr(shape.reduce((a, b) => a * b, 1)), shape);
        try { out[name] = [rec(l.grad(f(l))(x))]; } catch (e) { out[name] = { error: e.message }; }
      }
      const ints = l.tensor([[1, 2], [3, 4]], [2, 2], 'int32');
      out['tile int32'] = [rec(l.tile(ints, [2, 1]))];
      out['tile bool'] = [rec(l.tile(l.tensor([true, false]), [3]))];
      out['split int32'] = l.split(ints, 2, 1).map(rec);
      out.t5 = [rec(l.tensor5d([[[[[1, 2]]]]]))];
      out.t6 = [rec(l.tensor6d([1, 2, 3, 4], [1, 1, 2, 1, 2, 1]))];
      out.strides = l.zeros([2, 3, 4]).strides;
      const errs = {};
      for (const [k, f] of Object.entries({
        splitUneven: () => l.split(l.zeros([5]), 2),
        tileRank: () => l.tile(l.zeros([2, 2]), [2]),
        asScalarBig: () => l.zeros([2]).asScalar(),
        t5rank: () => l.tensor5d([1, 2]),
      })) {
        try { f(); errs[k] = null; } catch (e) { errs[k] = 'threw'; }
      }
      out.errors = errs;
      return out;
    };
    const { want, got } = await window.onBoth(runAll);
    let frames = 0;
    await tf.nextFrame();
    frames++;
    return { want, got, frames };
  });
  for (const [backend, got] of Object.entries(r.got)) {
    for (const [name, want] of Object.entries(r.want)) {
      if (name === 'errors' || name === 'strides') {
        assert.deepEqual(got[name], want, `${backend}: ${name}`);
        continue;
      }
      if (want.error !== undefined) {
        same(`${backend}: ${name}`, got[name], want);
        continue;
      }
      assert.equal(got[name].length, want.length, `${backend}: ${name}: number of results`);
      want.forEach((w, i) => same(`${backend}: ${name} [${i}]`, got[name][i], w));
    }
  }
  assert.equal(r.frames, 1, 'nextFrame resolves');
});

test('tf.io.encodeWeights / decodeWeights round trip, and read what TF.js wrote (and the reverse)', { timeout: 60_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(async () => {
    const make = (l) => ({ w: l.tensor2d([[1.5, -2], [3, 4.25]]), ids: l.tensor1d([1, 7, -3], 'int32') });
    const hebb = await tf.io.encodeWeights(make(tf), 'model');
    const ref = await window.tfjs.io.encodeWeights(make(window.tfjs));
    const view = (m) => Object.fromEntries(Object.entries(m).map(([k, t]) => [k, [t.shape, t.dtype, Array.from(t.dataSync())]]));
    return {
      specs: hebb.specs,
      refSpecs: ref.specs,
      bytes: [hebb.data.byteLength, ref.data.byteLength],
      hebbReadsTfjs: view(tf.io.decodeWeights(ref.data, ref.specs)),
      tfjsReadsHebb: view(window.tfjs.io.decodeWeights(hebb.data, hebb.specs)),
      own: view(tf.io.decodeWeights(hebb.data, hebb.specs)),
      listForm: (await tf.io.encodeWeights([{ name: 'a', tensor: tf.scalar(2) }])).specs,
    };
  });
  assert.deepEqual(r.specs, r.refSpecs.map((s) => ({ ...s, group: 'model' })));
  assert.equal(r.bytes[0], r.bytes[1]);
  const want = { w: [[2, 2], 'float32', [1.5, -2, 3, 4.25]], ids: [[3], 'int32', [1, 7, -3]] };
  assert.deepEqual(r.hebbReadsTfjs, want);
  assert.deepEqual(r.tfjsReadsHebb, want);
  assert.deepEqual(r.own, want);
  assert.deepEqual(r.listForm, [{ name: 'a', shape: [], dtype: 'float32' }]);
});

test('tf.browser: fromPixels (canvas, ImageData, raw pixels, an img; 1, 3 and 4 channels), toPixels and draw as in TF.js, and their errors', { timeout: 60_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 7;
    canvas.height = 5;
    const ctx = canvas.getContext('2d');
    const grad = ctx.createLinearGradient(0, 0, 7, 5);
    grad.addColorStop(0, 'rgb(250, 10, 30)');
    grad.addColorStop(1, 'rgb(5, 200, 90)');
    ctx.fillStyle = grad;
    ctx.fillRect(0, 0, 7, 5);
    ctx.fillStyle = 'rgba(0, 0, 255, 1)';
    ctx.fillRect(2, 1, 3, 2);
    const image = ctx.getImageData(0, 0, 7, 5);
    const img = new Image();
    img.src = canvas.toDataURL('image/png');
    await img.decode();
    const raw = { data: new Uint8Array(image.data), width: 7, height: 5 };
    const view = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const use = async (l) => {
      const out = {};
      for (const c of [1, 3, 4]) out[`canvas ${c}`] = view(l.browser.fromPixels(canvas, c));
      out.imageData = view(l.browser.fromPixels(image));
      out.raw = view(l.browser.fromPixels(raw, 4));
      out.img = view(l.browser.fromPixels(img));
      out.async = view(await l.browser.fromPixelsAsync(canvas, 3));
      const f = l.tensor3d([[[0, 0.5, 1], [0.25, 0.75, 0.1]]]);
      const i = l.tensor2d([[0, 128, 255]], [1, 3], 'int32');
      const c2 = document.createElement('canvas');
      out.toPixelsFloat = Array.from(await l.browser.toPixels(f, c2));
      out.drawnSize = [c2.width, c2.height];
      out.toPixelsInt = Array.from(await l.browser.toPixels(i));
      const errs = [];
      for (const bad of [() => l.browser.fromPixels(canvas, 5), () => l.browser.fromPixels(null), () => l.browser.toPixels(l.tensor3d([[[1.5, 0, 0]]])), () => l.browser.toPixels(l.zeros([2, 2, 2]))]) {
        try { await bad(); errs.push(null); } catch (e) { errs.push(e.message); }
      }
      out.errors = errs;
      return out;
    };
    const want = await use(window.tfjs);
    const got = await use(window.tf);
    const drawn = document.createElement('canvas');
    tf.browser.draw(tf.tensor2d([[0, 1], [0.5, 0.25]]), drawn);
    const px = Array.from(drawn.getContext('2d').getImageData(0, 0, 2, 2).data);
    return { want, got, px };
  });
  assert.deepEqual(r.got, r.want);
  assert.deepEqual(r.px, [0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255, 64, 64, 64, 255]);
});

test('tf.math.confusionMatrix, tf.env, tf.engine scopes and variables, tf.time, tf.profile, disposeVariables', { timeout: 60_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(async () => {
    const cm = (l) => Array.from(l.math.confusionMatrix(l.tensor1d([0, 1, 2, 1, 0], 'int32'), l.tensor1d([0, 2, 2, 1, 0], 'int32'), 3).dataSync());
    const cmErr = (l) => { try { l.math.confusionMatrix(l.tensor1d([0, 1]), l.tensor1d([0]), 2); return null; } catch (e) { return 'threw'; } };
    const scopes = (l) => {
      const before = l.memory().numTensors;
      l.engine().startScope();
      const a = l.ones([3]);
      const kept = a.add(1);
      l.engine().endScope(kept);
      const after = l.memory().numTensors;
      const v = l.variable(l.zeros([2]), true, 'env_test_var');
      const named = Object.keys(l.engine().registeredVariables).includes('env_test_var');
      l.disposeVariables();
      // (TF.js unregisters the variable and frees its data, but leaves its isDisposed false.)
      const gone = !Object.keys(l.engine().registeredVariables).includes('env_test_var');
      return { leaked: after - before, kept: Array.from(kept.dataSync()), named, gone };
    };
    const envs = (l) => {
      l.enableProdMode();
      return [l.env().getBool('PROD'), typeof l.env().getFlags(), l.env().get('IS_BROWSER')];
    };
    const out = {};
    for (const [k, l] of [['want', window.tfjs], ['got', window.tf]]) {
      const t = await l.time(() => l.ones([50, 50]).matMul(l.ones([50, 50])).dataSync());
      const p = await l.profile(() => l.ones([4, 4]).add(1));
      out[k] = {
        cm: cm(l), cmErr: cmErr(l), scopes: scopes(l), env: envs(l),
        time: typeof t.wallMs === 'number' && typeof t.kernelMs === 'number',
        profile: [p.newTensors >= 1, p.newBytes >= 64, Array.isArray(p.kernels), p.result instanceof l.Tensor],
      };
    }
    return out;
  });
  assert.deepEqual(r.got, r.want);
  assert.deepEqual(r.got.cm, [2, 0, 0, 0, 1, 1, 0, 0, 1]);
});

test('the trig and hyperbolic family, erf, expm1, isFinite, isInf, logSigmoid, mod and step give TF.js\'s values and gradients (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    let seed = 11;
    const rnd = (lo, hi) => { seed = (seed * 16807) % 2147483647; return lo + (seed / 2147483647) * (hi - lo); };
    // Each op with the domain its inputs are drawn from (awkward sizes: 1, 7, 33).
    const ops = [
      ['tan', -1.2, 1.2], ['asin', -0.95, 0.95], ['acos', -0.95, 0.95], ['atan', -5, 5], ['sinh', -3, 3], ['cosh', -3, 3],
      ['asinh', -5, 5], ['acosh', 1.05, 6], ['atanh', -0.9, 0.9], ['erf', -3, 3], ['expm1', -2, 2], ['logSigmoid', -6, 6],
    ];
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const runAll = (l) => {
      seed = 11;
      const out = {};
      for (const [name, lo, hi] of ops) {
        for (const n of [1, 7, 33]) {
          const x = l.tensor(Array.from({ length: n }, () => rnd(lo, hi)));
          out[`${name} ${n}`] = [rec(l[name](x)), rec(x[name]()), rec(l.grad((v) => l[name](v).sum())(x))];
        }
      }
      const tiny = l.tensor([1e-7, -3e-6, 2e-5, 0]);
      out['expm1 tiny'] = [rec(l.expm1(tiny))];
      const special = l.tensor([0, 1, -1, NaN, Infinity, -Infinity, 3.5]);
      out.isFinite = [rec(l.isFinite(special))];
      out.isInf = [rec(l.isInf(special))];
      const a = l.tensor([[5.5, -7, 3], [-2.25, 9, -4]]);
      const bb = l.tensor([3, -2, 2.5]);
      out.mod = [rec(l.mod(a, bb)), rec(a.mod(bb)), rec(l.grad((v) => l.mod(v, bb).mul(l.tensor([[1, 2, 3], [4, 5, 6]])).sum())(a))];
      out.modInt = [rec(l.mod(l.tensor([7, -7, 8], [3], 'int32'), l.tensor([3, 3, -3], [3], 'int32')))];
      out.step = [rec(l.step(l.tensor([-2, 0, 0.5, 3]))), rec(l.step(l.tensor([-2, 0, 0.5, 3]), 0.25))];
      return out;
    };
    return window.onBoth(runAll);
  });
  sameAll(r);
});

test('topk, unique, multinomial and the async ops (whereAsync, booleanMaskAsync, setdiff1dAsync, inTopKAsync) as in TF.js', { timeout: 90_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const runAll = async (l) => {
      const x = l.tensor([[3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]]);
      const t1 = l.topk(x, 3);
      const t2 = x.topk(8, true);
      const t3 = l.topk(l.tensor([5, 2, 7, 2]), 2, false);
      const u1 = l.unique(l.tensor([1, 1, 2, 4, 4, 4, 7, 8, 8]));
      const u2 = l.unique(l.tensor([[1, 0, 0], [1, 0, 0], [2, 0, 0]]), 0);
      const u3 = l.unique(l.tensor([[1, 0, 1], [1, 0, 1], [2, 0, 2]]), 1);
      const w = await l.whereAsync(l.tensor([[true, false], [false, true], [true, true]]));
      const bm = await l.booleanMaskAsync(l.tensor([[1, 2], [3, 4], [5, 6]]), l.tensor([true, false, true]));
      const bm2 = await l.booleanMaskAsync(l.tensor([[[1], [2]], [[3], [4]]]), l.tensor([[true, false], [false, true]]), 0);
      const [sd, si] = await l.setdiff1dAsync(l.tensor([1, 2, 3, 4, 5, 6]), l.tensor([2, 4, 7]));
      const itk = await l.inTopKAsync(l.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.3, 0.3, 0.4]]), l.tensor([1, 2, 0], [3], 'int32'), 2);
      return {
        topk: [t1.values, t1.indices, t2.values, t2.indices, t3.values, t3.indices].map(rec),
        unique: [u1.values, u1.indices, u2.values, u2.indices, u3.values, u3.indices].map(rec),
        async: [w, bm, bm2, sd, si, itk].map(rec),
      };
    };
    const out = await window.onBoth(runAll);
    // multinomial: Hebb draws from its own stream: the frequencies follow the probabilities, and a
    // seed repeats the draws.
    const probs = [0.1, 0.6, 0.3];
    const draws = Array.from(tf.multinomial(tf.tensor([probs]), 3000, 7, true).dataSync());
    const freq = probs.map((_, c) => draws.filter((d) => d === c).length / draws.length);
    const again = Array.from(tf.multinomial(tf.tensor([probs]), 3000, 7, true).dataSync());
    const fromLogits = tf.multinomial(tf.tensor([[0, 0, 50], [50, 0, 0]]), 5, 1);
    out.multinomial = { freq, repeat: again.every((d, i) => d === draws[i]), logits: Array.from(fromLogits.dataSync()), shape: fromLogits.shape, dtype: fromLogits.dtype, oneD: tf.multinomial(tf.tensor([1, 2]), 4).shape };
    return out;
  });
  for (const [backend, got] of Object.entries(r.got)) {
    for (const [name, want] of Object.entries(r.want)) want.forEach((w, i) => same(`${backend}: ${name} [${i}]`, got[name][i], w));
  }
  const m = r.multinomial;
  [0.1, 0.6, 0.3].forEach((p, c) => assert.ok(Math.abs(m.freq[c] - p) < 0.04, `multinomial: class ${c} drawn ${m.freq[c]}, expected about ${p}`));
  assert.ok(m.repeat, 'a seed repeats the draws');
  assert.deepEqual(m.logits, [2, 2, 2, 2, 2, 0, 0, 0, 0, 0]);
  assert.deepEqual([m.shape, m.dtype, m.oneD], [[2, 5], 'int32', [4]]);
});

test('the basic ops and aliases (cast, dot, argMax/argMin, logSoftmax, broadcastTo, concat, leakyRelu, linspace, pad1d-4d, reverse2d-4d, batchNorm3d, upcastType, valueAndGrad(s)) give TF.js\'s values, and the random ones its distributions (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    let seed = 21;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647) * 4 - 2; };
    const arr = (n) => Array.from({ length: n }, rnd);
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const json = (v) => ({ shape: [], dtype: 'json', values: [JSON.stringify(v)] });
    // Moments of random draws, to what their count can tell apart.
    const moments = (t, mean, sd) => {
      const v = Array.from(t.dataSync());
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
      return json({ shape: t.shape, dtype: t.dtype, mean: Math.abs(m - mean) < 0.05 * Math.max(1, Math.abs(mean)), sd: Math.abs(s - sd) < 0.05 * sd });
    };
    const runAll = (l) => {
      seed = 21;
      const x = l.tensor(arr(2 * 7 * 3), [2, 7, 3]);
      const m = l.tensor(arr(12), [3, 4]);
      const v = l.tensor(arr(4));
      const out = {
        basics: [
          rec(l.cast(x, 'int32')), rec(l.cast(l.tensor([0, 2, -1]), 'bool')), rec(l.cast(l.tensor([true, false]), 'float32')),
          rec(l.dot(m, v)), rec(l.dot(v, v)), rec(l.dot(l.tensor(arr(3)), m)), rec(l.dot(m, l.tensor(arr(8), [4, 2]))),
          rec(l.argMax(x)), rec(l.argMax(x, 1)), rec(l.argMin(x, 2)), rec(l.argMin(m, -1)),
          rec(l.logSoftmax(m)), rec(l.logSoftmax(x, -1)), rec(l.broadcastTo(v, [3, 4])), rec(l.broadcastTo(l.tensor([[1], [2]]), [2, 2, 5])),
          rec(l.concat([m, m], 1)), rec(l.concat([x, x, x], 0)), rec(l.concat([l.tensor([1, 2], [2], 'int32'), l.tensor([3], [1], 'int32')])),
          rec(l.leakyRelu(m)), rec(l.leakyRelu(m, 0.05)), rec(l.linspace(0, 1, 7)), rec(l.linspace(-3, 5, 1)),
        ],
        aliases: [
          rec(l.pad1d(v, [1, 2])), rec(l.pad2d(m, [[1, 0], [0, 2]], 3)), rec(l.pad3d(x, [[0, 1], [1, 0], [0, 0]])), rec(l.pad4d(x.expandDims(0), [[0, 0], [1, 0], [0, 0], [2, 1]])),
          rec(l.reverse2d(m, 0)), rec(l.reverse3d(x, [0, 2])), rec(l.reverse4d(x.expandDims(0), 3)),
          rec(l.batchNorm3d(x, l.tensor([0.1, 0.2, 0.3]), l.tensor([1, 2, 0.5]))),
          json([l.upcastType('int32', 'float32'), l.upcastType('bool', 'int32'), l.upcastType('bool', 'bool'), l.sumOutType('bool'), l.sumOutType('float32')]),
        ],
        grads: [
          rec(l.valueAndGrad((t) => t.square().sum())(m).value), rec(l.valueAndGrad((t) => t.square().sum())(m).grad),
          ...(() => { const { value, grads } = l.valueAndGrads((a, c) => a.mul(c).sum())([m, m.add(1)]); return [rec(value), ...grads.map(rec)]; })(),
          rec(l.grad((t) => l.logSoftmax(t).mul(l.range(0, 12).reshape([3, 4])).sum())(m)),
          rec(l.grad((t) => l.leakyRelu(t, 0.1).square().sum())(m)),
        ],
        random: [
          moments(l.randomStandardNormal([20000]), 0, 1), moments(l.truncatedNormal([20000], 1, 2), 1, 2 * 0.8796),
          moments(l.rand([20000], Math.random), 0.5, Math.sqrt(1 / 12)),
          json((() => { const t = l.randomUniformInt([2000], 3, 9); const a = Array.from(t.dataSync()); return [t.dtype, Math.min(...a), Math.max(...a), a.every(Number.isInteger)]; })()),
        ],
      };
      return out;
    };
    return window.onBoth(runAll);
  });
  sameAll(r);
});

// Issue 13's neural-net, shape and index ops, side by side with TF.js 4.22 in one page (see
// tfjs_ops.test.mjs): values and gradients on the CPU and on WebGPU, and TF.js's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';
import { openWithBackends, sameAll } from './surface/both.mjs';

const b = useBrowser({ label: 'tfjs nn ops' });

test('pad, mirrorPad, reverse, cumsum, meshgrid, outerProduct, eye, broadcastArgs, norm, logSumExp, all/any, logicalXor, prelu give TF.js\'s values and gradients (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    let seed = 5;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647) * 4 - 2; };
    const arr = (n) => Array.from({ length: n }, rnd);
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const runAll = (l) => {
      seed = 5;
      const x = l.tensor(arr(2 * 7 * 3), [2, 7, 3]);
      const m = l.tensor(arr(33), [33]);
      const w = l.tensor(arr(12), [3, 4]);
      const out = {
        pad: [rec(l.pad(x, [[1, 0], [0, 2], [1, 1]])), rec(l.pad(m, [[3, 1]], 2.5)), rec(x.pad([[0, 0], [1, 1], [0, 0]]))],
        padInt: [rec(l.pad(l.tensor([[1, 2]], [1, 2], 'int32'), [[1, 1], [0, 1]], 7))],
        mirrorReflect: [rec(l.mirrorPad(w, [[2, 1], [3, 2]], 'reflect'))],
        mirrorSymmetric: [rec(l.mirrorPad(w, [[3, 0], [1, 4]], 'symmetric'))],
        reverse: [rec(l.reverse(x)), rec(l.reverse(x, 1)), rec(l.reverse(x, [0, 2])), rec(l.reverse1d(m))],
        cumsum: [rec(l.cumsum(m)), rec(l.cumsum(x, 1)), rec(l.cumsum(x, 1, true)), rec(l.cumsum(x, 2, false, true)), rec(l.cumsum(x, 2, true, true))],
        cumsumInt: [rec(l.cumsum(l.tensor([1, 2, 3, 4], [4], 'int32')))],
        meshgrid: [...l.meshgrid(l.tensor([1, 2, 3]), l.tensor([4, 5])).map(rec), ...l.meshgrid(l.tensor([1, 2, 3]), l.tensor([4, 5]), { indexing: 'ij' }).map(rec)],
        outer: [rec(l.outerProduct(l.tensor([1, 2, 3]), l.tensor([4, 5])))],
        eye: [rec(l.eye(3)), rec(l.eye(2, 4)), rec(l.eye(2, 2, [3]))],
        broadcastArgs: [rec(l.broadcastArgs(l.tensor([2, 1, 3], [3], 'int32'), l.tensor([4, 1], [2], 'int32')))],
        norm: [rec(l.norm(x)), rec(l.norm(m, 1)), rec(l.norm(m, Infinity)), rec(l.norm(m, -Infinity)), rec(l.norm(x, 'euclidean', 2)), rec(l.norm(w, 'fro', [0, 1])), rec(l.norm(w, 1, [0, 1])), rec(l.norm(w, Infinity, [0, 1])), rec(l.norm(x, 2, 1, true)), rec(l.euclideanNorm(w, 0))],
        logSumExp: [rec(l.logSumExp(x)), rec(l.logSumExp(x, 1)), rec(l.logSumExp(x, [0, 2], true)), rec(l.logSumExp(l.tensor([1000, 1000.5])))],
        allAny: [rec(l.all(l.tensor([[true, false], [true, true]]), 1)), rec(l.any(l.tensor([[false, false], [true, false]]), 1)), rec(l.all(l.tensor([true, true, false]))), rec(l.any(l.tensor([false, false, false]), 0, true))],
        xor: [rec(l.logicalXor(l.tensor([true, true, false, false]), l.tensor([true, false, true, false])))],
        prelu: [rec(l.prelu(w, l.tensor([0.1, 0.2, 0.3, 0.4]))), rec(w.prelu(0.25))],
        grads: [
          rec(l.grad((v) => l.pad(v, [[1, 1], [2, 0], [0, 1]]).mul(l.range(0, 4 * 9 * 4).reshape([4, 9, 4])).sum())(x)),
          // TF.js's mirrorPad gradient keeps only the centre (it drops what the reflected copies
          // received); Hebb sums them, as TensorFlow does: compared with the same padding written
          // as gathers, whose gradient TF.js computes in full.
          rec(l === window.tfjs
            ? l.grad((v) => l.gather(l.gather(v, l.tensor([2, 1, 0, 1, 2, 1], [6], 'int32'), 0), l.tensor([3, 2, 1, 0, 1, 2, 3, 2, 1], [9], 'int32'), 1).square().sum())(w)
            : l.grad((v) => l.mirrorPad(v, [[2, 1], [3, 2]], 'reflect').square().sum())(w)),
          rec(l.grad((v) => l.reverse(v, 1).mul(l.range(0, 42).reshape([2, 7, 3])).sum())(x)),
          rec(l.grad((v) => l.cumsum(v, 2, true, true).square().sum())(x)),
          rec(l.grad((v) => l.norm(v))(w)),
          rec(l.grad((v) => l.logSumExp(v, 1).sum())(w)),
          rec(l.grad((v) => l.prelu(v, 0.3).mul(l.range(0, 12).reshape([3, 4])).sum())(w)),
        ],
      };
      const errs = {};
      for (const [k, f] of Object.entries({
        mirrorTooBig: () => l.mirrorPad(w, [[3, 0], [0, 0]], 'reflect'),
        normOrd: () => l.norm(w, 'nuc', [0, 1]),
        normP: () => l.norm(m, 3),
        allFloat: () => l.all(m),
        outerRank: () => l.outerProduct(w, m),
        broadcast: () => l.broadcastArgs(l.tensor([2, 3], [2], 'int32'), l.tensor([4], [1], 'int32')),
      })) {
        try { f(); errs[k] = null; } catch (e) { errs[k] = 'threw'; }
      }
      out.errors = errs;
      return out;
    };
    const out = await window.onBoth(runAll);
    // A padding that is not a [before, after] pair: TF.js pads anyway; Hebb says what is wrong.
    try { tf.pad(tf.zeros([2, 2]), [[1], [1, 1]]); out.padPair = null; } catch (e) { out.padPair = e.message; }
    return out;
  });
  assert.equal(r.padPair, 'Invalid number of paddings. Must be length of 2 each.');
  sameAll(r);
});

test('conv1d, conv2d, depthwiseConv2d, separableConv2d, conv2dTranspose, maxPool and avgPool give TF.js\'s values and gradients (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    let seed = 3;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647) * 2 - 1; };
    const t = (l, shape) => l.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd), shape);
    const rec = (x) => ({ shape: x.shape, dtype: x.dtype, values: Array.from(x.dataSync()) });
    const runAll = (l) => {
      seed = 3;
      const x = t(l, [2, 7, 5, 3]);
      const f = t(l, [3, 2, 3, 4]);
      const dw = t(l, [3, 3, 3, 2]);
      const pw = t(l, [1, 1, 6, 4]);
      const tf1 = t(l, [3, 3, 2, 3]);
      const small = t(l, [2, 4, 3, 3]);
      const seq = t(l, [2, 9, 3]);
      const f1 = t(l, [3, 3, 5]);
      const out = {
        conv2d: [rec(l.conv2d(x, f, 1, 'same')), rec(l.conv2d(x, f, [2, 1], 'valid')), rec(l.conv2d(x, f, 1, 'valid', 'NHWC', [2, 1])), rec(x.conv2d(f, 2, 1)), rec(l.conv2d(l.squeeze(l.slice(x, [0], [1]), [0]), f, 1, 'same'))],
        depthwise: [rec(l.depthwiseConv2d(x, dw, 1, 'same')), rec(l.depthwiseConv2d(x, dw, 2, 'valid'))],
        separable: [rec(l.separableConv2d(x, dw, pw, 1, 'same'))],
        transpose: [rec(l.conv2dTranspose(small, tf1, [2, 8, 6, 2], 2, 'same')), rec(l.conv2dTranspose(small, tf1, [2, 6, 5, 2], 1, 'valid'))],
        conv1d: [rec(l.conv1d(seq, f1, 1, 'same')), rec(l.conv1d(seq, f1, 2, 'valid')), rec(l.conv1d(seq, f1, 1, 'valid', 'NWC', 2))],
        pools: [rec(l.maxPool(x, 3, 2, 'same')), rec(l.maxPool(x, [2, 3], 1, 'valid')), rec(l.avgPool(x, 3, 2, 'same')), rec(l.avgPool(x, 2, 2, 'valid')), rec(x.avgPool([3, 2], [1, 2], 'same'))],
        grads: [
          ...l.grads((a, b) => l.conv2d(a, b, 2, 'same').square().sum())([x, f]).map(rec),
          ...l.grads((a, b) => l.depthwiseConv2d(a, b, 1, 'same').square().sum())([x, dw]).map(rec),
          ...l.grads((a, b) => l.conv2dTranspose(a, b, [2, 8, 6, 2], 2, 'same').square().sum())([small, tf1]).map(rec),
          rec(l.grad((a) => l.maxPool(a, 3, 2, 'same').mul(l.range(1, 2 * 4 * 3 * 3 + 1).reshape([2, 4, 3, 3])).sum())(x)),
          // (With 'same' padding TF.js's avgPool gradient divides by the whole window at the
          // borders while its forward pass divides by the values inside; Hebb's gradient follows
          // its forward pass, as TensorFlow's does, so only 'valid' is compared.)
          rec(l.grad((a) => l.avgPool(a, 3, 2, 'valid').square().sum())(x)),
          ...l.grads((a, b) => l.conv1d(a, b, 1, 'same').square().sum())([seq, f1]).map(rec),
        ],
      };
      const errs = {};
      for (const [k, fn] of Object.entries({
        depth: () => l.conv2d(x, t(l, [3, 3, 2, 4]), 1, 'same'),
        rank: () => l.conv2d(t(l, [5, 3]), f, 1, 'same'),
      })) {
        try { fn(); errs[k] = null; } catch (e) { errs[k] = 'threw'; }
      }
      out.errors = errs;
      return out;
    };
    return window.onBoth(runAll);
  });
  sameAll(r);
});

test('gatherND, scatterND, unsortedSegmentSum, diag, depthToSpace, movingAverage, basicLSTMCell, multiRNNCell, searchSorted give TF.js\'s values and gradients (CPU and WebGPU); dropout keeps 1 - rate, scaled', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    let seed = 9;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647) * 2 - 1; };
    const t = (l, shape) => l.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd), shape);
    const rec = (x) => ({ shape: x.shape, dtype: x.dtype, values: Array.from(x.dataSync()) });
    const runAll = (l) => {
      seed = 9;
      const x = t(l, [4, 3, 2]);
      const idx = l.tensor([[0, 1], [3, 2], [0, 1]], [3, 2], 'int32');
      const upd = t(l, [3]);
      const seg = t(l, [5, 3]);
      const ids = l.tensor([1, 0, 1, 3, 1], [5], 'int32');
      const img = t(l, [2, 2, 3, 8]);
      const kernel = t(l, [5, 12]);
      const bias = t(l, [12]);
      const data = t(l, [2, 2]);
      const c = t(l, [2, 3]);
      const h = t(l, [2, 3]);
      const cell = (k, b) => (d, cc, hh) => l.basicLSTMCell(l.scalar(1), k, b, d, cc, hh);
      const k2 = t(l, [6, 12]);
      const [cs, hs] = l.multiRNNCell([cell(kernel, bias), cell(k2, bias)], data, [c, c], [h, h]);
      return {
        gatherND: [rec(l.gatherND(x, idx)), rec(l.gatherND(x, l.tensor([[1], [3]], [2, 1], 'int32'))), rec(l.gatherND(x, l.tensor([[[0, 0, 1]], [[2, 1, 0]]], [2, 1, 3], 'int32')))],
        scatterND: [rec(l.scatterND(idx, upd, [4, 3])), rec(l.scatterND(l.tensor([[1], [3], [1]], [3, 1], 'int32'), t(l, [3, 2]), [5, 2]))],
        segments: [rec(l.unsortedSegmentSum(seg, ids, 4)), rec(l.unsortedSegmentSum(l.tensor([1, 2, 3, 4], [4], 'int32'), l.tensor([0, 0, 2, 2], [4], 'int32'), 3))],
        diag: [rec(l.diag(l.tensor([1, 2, 3]))), rec(l.diag(l.tensor([[1, 2], [3, 4]])))],
        depthToSpace: [rec(l.depthToSpace(img, 2))],
        movingAverage: [rec(l.movingAverage(l.tensor([1, 2]), l.tensor([3, 5]), 0.9, 3)), rec(l.movingAverage(l.tensor([1, 2]), l.tensor([3, 5]), 0.9, 1, false))],
        lstm: [...l.basicLSTMCell(l.scalar(1), kernel, bias, data, c, h).map(rec), ...cs.map(rec), ...hs.map(rec)],
        search: [rec(l.searchSorted(l.tensor([1, 3, 5, 7, 9]), l.tensor([3, 6, 9, 0, 10]))), rec(l.searchSorted(l.tensor([1, 3, 5, 7, 9]), l.tensor([3, 6, 9]), 'right')), rec(l.lowerBound(l.tensor([[0, 3, 9], [1, 2, 3]]), l.tensor([[2, 9], [3, 0]]))), rec(l.upperBound(l.tensor([[0, 3, 9], [1, 2, 3]]), l.tensor([[2, 9], [3, 0]])))],
        grads: [
          // (TF.js has no gradient for gatherND and scatterND; Hebb's, through its gathers and
          // one-hot products, are checked against the same sums written with gather and oneHot.)
          rec(l === window.tfjs
            ? l.grad((v) => l.gather(l.reshape(v, [12, 2]), l.tensor([1, 11, 1], [3], 'int32')).mul(l.tensor([[1, 2], [3, 4], [5, 6]])).sum())(x)
            : l.grad((v) => l.gatherND(v, idx).mul(l.tensor([[1, 2], [3, 4], [5, 6]])).sum())(x)),
          rec(l === window.tfjs ? l.grad((v) => v.mul(l.tensor([2, 0, 2])).sum())(upd) : l.grad((v) => l.scatterND(idx, v, [4, 3]).mul(l.tensor([[0, 2, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])).sum())(upd)),
          rec(l.grad((v) => l.unsortedSegmentSum(v, ids, 4).square().sum())(seg)),
          // (Nor for depthToSpace: compared with its reshape-transpose-reshape written out.)
          rec(l.grad((v) => (l === window.tfjs ? v.reshape([2, 2, 3, 2, 2, 2]).transpose([0, 1, 3, 2, 4, 5]).reshape([2, 4, 6, 2]) : l.depthToSpace(v, 2)).mul(l.range(0, 2 * 4 * 6 * 2).reshape([2, 4, 6, 2])).sum())(img)),
          ...l.grads((k, b) => l.basicLSTMCell(l.scalar(1), k, b, data, c, h)[1].sum())([kernel, bias]).map(rec),
        ],
      };
    };
    const out = await window.onBoth(runAll);
    const d = tf.dropout(tf.ones([4000]), 0.25, undefined, 3);
    const v = Array.from(d.dataSync());
    out.dropout = { kept: v.filter((x) => x !== 0).length / v.length, values: [...new Set(v.map((x) => x.toFixed(5)))].sort() };
    return out;
  });
  sameAll(r);
  assert.ok(Math.abs(r.dropout.kept - 0.75) < 0.03, `dropout kept ${r.dropout.kept}`);
  assert.deepEqual(r.dropout.values, ['0.00000', '1.33333']);
});

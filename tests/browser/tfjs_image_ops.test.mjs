// Issue 13: tf.customGrad and tf.image, side by side with TF.js 4.22 in one page (see
// tfjs_ops.test.mjs): values and gradients on the CPU and on WebGPU, and TF.js's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';
import { openWithBackends, sameAll } from './surface/both.mjs';

const b = useBrowser({ label: 'tfjs image ops' });

test('customGrad gives TF.js\'s values and gradients, in tf.grad(s) and in an optimizer.minimize loop (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const runAll = (l) => {
      // The value is x², the gradient the user's own: dy · (|x| + 1), with x saved.
      const odd = l.customGrad((x, save) => {
        save([x]);
        return { value: x.square(), gradFunc: (dy, [sx]) => [dy.mul(sx.abs().add(1))] };
      });
      // Two inputs, one gradient each; a gradient that does not use dy.
      const pair = l.customGrad((a, c) => ({ value: a.mul(c), gradFunc: (dy) => [dy.mul(2), l.onesLike(c).mul(5)] }));
      // Gradient clipping as an op: identity forward, clipped dy backward.
      const clipGrad = l.customGrad((x) => ({ value: x.clone(), gradFunc: (dy) => dy.clipByValue(-0.5, 0.5) }));
      const x = l.tensor([[-2, 0.5, 3], [1, -1, 0]]);
      const c = l.tensor([[4, 5, 6], [7, 8, 9]]);
      const out = {
        value: [rec(odd(x)), rec(pair(x, c))],
        grads: [
          rec(l.grad((v) => odd(v).sum())(x)),
          rec(l.grad((v) => odd(v).mul(l.tensor([1, 2, 3])).sum())(x)),
          ...l.grads((a, d) => pair(a, d).sum())([x, c]).map(rec),
          rec(l.grad((v) => clipGrad(v).mul(l.tensor([[0.1, 2, -3], [0.2, -0.4, 9]])).sum())(x)),
          // Through a chain: the custom op's input and output both pass through other ops.
          rec(l.grad((v) => odd(v.mul(3).sin()).tanh().sum())(x)),
        ],
      };
      const w = l.variable(l.tensor([0.5, -1.5, 2]));
      const opt = l.train.sgd(0.1);
      const costs = [];
      for (let i = 0; i < 4; i++) costs.push(rec(opt.minimize(() => clipGrad(odd(w)).sum(), true)));
      out.loop = [...costs, rec(w)];
      w.dispose();
      const errs = {};
      for (const [k, f] of Object.entries({
        notTensor: () => odd([1, 2]),
        noGradFunc: () => l.grad((v) => l.customGrad((y) => ({ value: y }))(v).sum())(x),
      })) {
        try { f(); errs[k] = null; } catch (e) { errs[k] = 'threw'; }
      }
      out.errors = errs;
      return out;
    };
    return window.onBoth(runAll);
  });
  sameAll(r);
});

test('tf.image resizes, flips, colour conversions, crops, rotations, transforms, non-max suppression and thresholds give TF.js\'s values and gradients (CPU and WebGPU)', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    let seed = 11;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
    const arr = (n, k = 1) => Array.from({ length: n }, () => rnd() * k);
    const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
    const runAll = async (l) => {
      seed = 11;
      const img = l.tensor(arr(2 * 5 * 7 * 3), [2, 5, 7, 3]);
      const img3 = l.tensor(arr(4 * 3 * 2), [4, 3, 2]);
      const ints = l.tensor(arr(1 * 4 * 6 * 1, 255).map(Math.floor), [1, 4, 6, 1], 'int32');
      const rgb = l.tensor(arr(6 * 8 * 3, 255), [6, 8, 3]);
      const sq = l.tensor(arr(2 * 6 * 6 * 2), [2, 6, 6, 2]);
      const I = l.image;
      const out = {
        bilinear: [
          rec(I.resizeBilinear(img, [9, 4])), rec(I.resizeBilinear(img, [3, 13], true)), rec(I.resizeBilinear(img, [8, 8], false, true)),
          rec(I.resizeBilinear(img3, [7, 1])), rec(I.resizeBilinear(img, [1, 1], true)), rec(img.resizeBilinear([2, 3])), rec(I.resizeBilinear(ints, [5, 9])),
        ],
        nearest: [
          rec(I.resizeNearestNeighbor(img, [9, 4])), rec(I.resizeNearestNeighbor(img, [3, 13], true)), rec(I.resizeNearestNeighbor(img, [8, 8], false, true)),
          rec(I.resizeNearestNeighbor(img3, [2, 5])), rec(I.resizeNearestNeighbor(ints, [7, 3])), rec(ints.resizeNearestNeighbor([2, 2], true)),
        ],
        flipColour: [
          rec(I.flipLeftRight(img)), rec(I.grayscaleToRGB(l.tensor([[[1], [2]]]))), rec(I.grayscaleToRGB(ints)),
          rec(I.rgbToGrayscale(img)), rec(I.rgbToGrayscale(rgb)), rec(I.rgbToGrayscale(l.tensor([[10, 200, 30], [255, 0, 7]], [2, 3], 'int32'))),
        ],
        crop: [
          rec(I.cropAndResize(img, l.tensor([[0, 0, 1, 1], [0.2, 0.1, 0.9, 0.7], [-0.2, 0.3, 0.5, 1.4]]), l.tensor([0, 1, 1], [3], 'int32'), [4, 5])),
          rec(I.cropAndResize(img, l.tensor([[0.1, 0.2, 0.8, 0.9], [0.5, 0.5, 0.5, 0.5]]), l.tensor([1, 0], [2], 'int32'), [3, 3], 'nearest', 7)),
          rec(I.cropAndResize(img, l.tensor([[0.1, 0.2, 0.8, 0.9]]), l.tensor([0], [1], 'int32'), [1, 1])),
        ],
        rotate: [
          rec(I.rotateWithOffset(img, 0.6)), rec(I.rotateWithOffset(img, -1.2, 3, [0.3, 0.7])),
          rec(I.rotateWithOffset(l.tensor(arr(1 * 4 * 4 * 4, 255).map(Math.floor), [1, 4, 4, 4]), 2, [1, 2, 3])),
        ],
        transform: [
          rec(I.transform(img.slice([0], [1]), l.tensor([[1, 0.2, 0.5, -0.1, 1, 1.5, 0, 0]]))),
          rec(I.transform(img.slice([1], [1]), l.tensor([[0.9, -0.3, 2, 0.4, 1.1, -1, 0.01, 0.02]]), 'bilinear', 'reflect', 0, [6, 9])),
          rec(I.transform(img.slice([0], [1]), l.tensor([[1.3, 0, -2, 0, 1.3, -2, 0, 0]]), 'nearest', 'wrap')),
          rec(I.transform(img.slice([0], [1]), l.tensor([[1.3, 0, -2, 0, 1.3, -2, 0, 0]]), 'bilinear', 'nearest')),
          rec(I.transform(img.slice([1], [1]), l.tensor([[1, 0, -3, 0, 1, -3, 0, 0]]), 'nearest', 'constant', 9)),
        ],
        // TF.js's resize gradients swap height and width for non-square images (its shape check
        // then throws), so the gradients are compared on square ones.
        grads: [
          rec(l.grad((v) => I.resizeBilinear(v, [9, 4]).mul(l.range(0, 2 * 9 * 4 * 2).reshape([2, 9, 4, 2])).sum())(sq)),
          rec(l.grad((v) => I.resizeBilinear(v, [3, 13], true).square().sum())(sq)),
          // TF.js's resize gradients ignore halfPixelCenters, and its nearest-neighbour gradient
          // with alignCorners has NaNs. A resize is linear, so Hebb's gradient
          // G of sum(resize(v) · R) must give sum(v · G) = sum(resize(v) · R), which TF.js computes
          // right: the one compared with the other.
          ...[(v) => I.resizeBilinear(v, [8, 3], false, true), (v) => I.resizeNearestNeighbor(v, [11, 4], false, true), (v) => I.resizeNearestNeighbor(v, [2, 3], true)].map((resize) => {
            const lin = (v) => { const y = resize(v); return y.mul(l.range(0, y.size).reshape(y.shape).div(50)).sum(); };
            return rec(l === window.tfjs ? lin(sq) : sq.mul(l.grad(lin)(sq)).sum());
          }),
          rec(l.grad((v) => I.resizeNearestNeighbor(v, [9, 4]).mul(l.range(0, 2 * 9 * 4 * 2).reshape([2, 9, 4, 2])).sum())(sq)),
          // TF.js has no gradient for flipLeftRight: compared with the same flip as a reverse.
          rec(l.grad((v) => (l === window.tfjs ? l.reverse(v, 2) : I.flipLeftRight(v)).mul(l.range(0, 210).reshape([2, 5, 7, 3])).sum())(img)),
          // Nor for rgbToGrayscale (an einsum there): compared with the same weighted sum.
          rec(l.grad((v) => (l === window.tfjs ? v.mul(l.tensor([0.2989, 0.5870, 0.1140])).sum(-1, true) : I.rgbToGrayscale(v)).square().sum())(img)),
        ],
      };
      // Boxes with overlaps, a tie in score, a degenerate box and corners given in either order.
      const boxes = l.tensor([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11], [0, 10.1, 1, 11.1], [0, 100, 1, 101], [1, 1, 0, 0], [5, 5, 5, 5]]);
      const scores = l.tensor([0.9, 0.75, 0.6, 0.95, 0.5, 0.3, 0.9, 0.8]);
      const ws = I.nonMaxSuppressionWithScore(boxes, scores, 8, 0.6, 0.1, 0.5);
      const pd = I.nonMaxSuppressionPadded(boxes, scores, 7, 0.5, 0.4, true);
      const pa = await I.nonMaxSuppressionPaddedAsync(boxes, scores, 3, 0.5);
      const wsa = await I.nonMaxSuppressionWithScoreAsync(boxes, scores, 4, 0.4, 0, 0.2);
      out.nms = [
        rec(I.nonMaxSuppression(boxes, scores, 5)), rec(I.nonMaxSuppression(boxes, scores, 10, 0.3, 0.55)), rec(I.nonMaxSuppression(boxes, scores, 2)),
        rec(await I.nonMaxSuppressionAsync(boxes, scores, 6, 0.7)), rec(ws.selectedIndices), rec(ws.selectedScores),
        rec(pd.selectedIndices), rec(pd.validOutputs), rec(pa.selectedIndices), rec(pa.validOutputs), rec(wsa.selectedIndices), rec(wsa.selectedScores),
      ];
      const gray = l.tensor(arr(9 * 11, 255), [9, 11, 1]);
      out.threshold = [
        rec(I.threshold(rgb)), rec(I.threshold(rgb, 'binary', true, 0.3)), rec(I.threshold(gray, 'otsu')), rec(I.threshold(rgb, 'otsu', true)),
        rec(I.threshold(l.tensor(arr(5 * 5, 255).map(Math.floor), [5, 5, 1], 'int32'), 'binary', false, 0.6)),
      ];
      const errs = {};
      for (const [k, f] of Object.entries({
        resizeRank: () => I.resizeBilinear(l.zeros([4, 4]), [2, 2]),
        resizeBoth: () => I.resizeBilinear(img, [2, 2], true, true),
        resizeSize: () => I.resizeNearestNeighbor(img, [2]),
        flipRank: () => I.flipLeftRight(img3),
        flipInt: () => I.flipLeftRight(ints),
        rotateInt: () => I.rotateWithOffset(ints, 1),
        cropIndFloat: () => I.cropAndResize(img, l.tensor([[0, 0, 1, 1]]), l.tensor([0]), [2, 2]),
        grayChannels: () => I.grayscaleToRGB(img),
        rgbChannels: () => I.rgbToGrayscale(img3),
        cropBoxes: () => I.cropAndResize(img, l.tensor([[0, 0, 1]]), l.tensor([0], [1], 'int32'), [2, 2]),
        cropMethod: () => I.cropAndResize(img, l.tensor([[0, 0, 1, 1]]), l.tensor([0], [1], 'int32'), [2, 2], 'cubic'),
        transformShape: () => I.transform(img, l.tensor([[1, 0, 0, 0, 1, 0, 0]])),
        nmsIou: () => I.nonMaxSuppression(boxes, scores, 3, 1.5),
        nmsScores: () => I.nonMaxSuppression(boxes, l.tensor([1, 2]), 3),
        thresholdMethod: () => I.threshold(rgb, 'mean'),
        thresholdChannels: () => I.threshold(l.zeros([2, 2, 2])),
      })) {
        try { f(); errs[k] = null; } catch (e) { errs[k] = 'threw'; }
      }
      out.errors = errs;
      return out;
    };
    return window.onBoth(runAll);
  });
  sameAll(r);
});

test('a fromPixels → resizeBilinear → predict pipeline on a canvas drawing matches TF.js', { timeout: 120_000 }, async () => {
  const page = await openWithBackends(b);
  const r = await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 40;
    canvas.height = 30;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 40, 30);
    ctx.fillStyle = '#000';
    ctx.beginPath();
    ctx.arc(20, 15, 9, 0, 2 * Math.PI);
    ctx.fill();
    const run = (l) => {
      const m = l.sequential({ layers: [l.layers.flatten({ inputShape: [8, 8, 1] }), l.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: 'ones' })] });
      const x = l.tidy(() => {
        const px = l.browser.fromPixels(canvas, 1).toFloat().div(255);
        return l.image.resizeBilinear(px, [8, 8]).expandDims(0);
      });
      const rec = (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) });
      return { input: [rec(x)], prediction: [rec(m.predict(x))], centre: [rec(x.slice([0, 3, 3, 0], [1, 2, 2, 1]))] };
    };
    return window.onBoth(run);
  });
  sameAll(r);
  // The drawing is dark in the middle: the resized image sees it.
  assert.ok(r.got.cpu.centre[0].values.every((v) => v < 0.5), `centre pixels ${r.got.cpu.centre[0].values}`);
});

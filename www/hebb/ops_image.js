// tf.image, with TF.js 4.22's semantics. The resizes, flips and colour conversions are composed
// from gathers, products and sums, so they differentiate (the resizes' gradients are the exact
// adjoints, as TF.js's) and run on either backend. The ops TF.js has no gradient for and whose
// arithmetic depends on values (crop-and-resize, rotate, transform, non-max suppression,
// threshold) read their inputs and compute on the CPU, as TF.js's CPU backend does.
import { Tensor, tensor, tidy } from './tensor.js';
import { gather, mul, add, sub, cast, sum, expandDims, squeeze, greater, lessEqual } from './ops.js';
import { reverse } from './ops_shape.js';
import { tile } from './ops_composed.js';
import { withTensors } from './op_run.js';

function check(cond, message) {
  if (!cond) throw new Error(message);
}
/** TF.js's rule for arguments it parses as float32 tensors. */
const float32Only = (op, arg, x) => check(x.dtype === 'float32', `Argument '${arg}' passed to '${op}' must be float32 tensor, but got ${x.dtype} tensor`);

/** Runs `f` on a 4-D batch: a 3-D image gets a batch of one, taken off again after. */
function batched(op, images, f) {
  check(images.rank === 3 || images.rank === 4, `Error in ${op}: x must be rank 3 or 4, but got rank ${images.rank}.`);
  if (images.rank === 4) return f(images);
  return tidy(() => squeeze(f(expandDims(images, 0)), [0]));
}

function checkSize(op, size, alignCorners, halfPixelCenters) {
  check(Array.isArray(size) && size.length === 2, `Error in ${op}: new shape must 2D, but got shape ${size}.`);
  check(size.every((d) => Number.isInteger(d) && d >= 0), `Error in ${op}: the new size must be two non-negative integers, received [${size}]`);
  check(!(halfPixelCenters && alignCorners), `Error in ${op}: If halfPixelCenters is true, alignCorners must be false.`);
}

/** Input position per output position along one axis (TF.js's effective size ratio). */
function ratio(inLen, outLen, alignCorners) {
  const shrink = alignCorners && outLen > 1;
  return (shrink ? inLen - 1 : inLen) / (shrink ? outLen - 1 : outLen);
}

/** Bilinear taps along one axis: the two source rows and the weight of the second. */
function bilinearTaps(inLen, outLen, alignCorners, halfPixelCenters) {
  const r = ratio(inLen, outLen, alignCorners);
  const lo = new Int32Array(outLen);
  const hi = new Int32Array(outLen);
  const frac = new Float32Array(outLen);
  for (let i = 0; i < outLen; i++) {
    const src = halfPixelCenters ? r * (i + 0.5) - 0.5 : r * i;
    lo[i] = Math.max(0, Math.floor(src));
    hi[i] = Math.min(inLen - 1, Math.ceil(src));
    frac[i] = src - lo[i];
  }
  return { lo, hi, frac };
}

/** x interpolated along `axis` of a 4-D tensor: a + (b - a) * frac. */
function lerpAxis(x, taps, axis) {
  const n = taps.lo.length;
  const a = gather(x, tensor(taps.lo, [n], 'int32'), axis);
  const b = gather(x, tensor(taps.hi, [n], 'int32'), axis);
  const shape = [1, 1, 1, 1];
  shape[axis] = n;
  return add(a, mul(sub(b, a), tensor(taps.frac, shape)));
}

/** tf.image.resizeBilinear(images, [newHeight, newWidth], alignCorners?, halfPixelCenters?): float32. */
export function resizeBilinear(images, size, alignCorners = false, halfPixelCenters = false) {
  const op = 'resizeBilinear';
  checkSize(op, size, alignCorners, halfPixelCenters);
  return withTensors(op, [images], (x) => batched(op, x, (x4) => tidy(() => {
    const [, h, w] = x4.shape;
    const xf = cast(x4, 'float32');
    const cols = lerpAxis(xf, bilinearTaps(w, size[1], alignCorners, halfPixelCenters), 2);
    return lerpAxis(cols, bilinearTaps(h, size[0], alignCorners, halfPixelCenters), 1);
  })));
}

/** The nearest source row for each output row along one axis. */
function nearestTaps(inLen, outLen, alignCorners, halfPixelCenters) {
  const r = ratio(inLen, outLen, alignCorners);
  const idx = new Int32Array(outLen);
  for (let i = 0; i < outLen; i++) {
    const src = halfPixelCenters ? r * (i + 0.5) : r * i;
    let k = Math.min(inLen - 1, alignCorners ? Math.round(src) : Math.floor(src));
    if (halfPixelCenters) k = Math.max(0, k);
    idx[i] = k;
  }
  return tensor(idx, [outLen], 'int32');
}

/** tf.image.resizeNearestNeighbor(images, [newHeight, newWidth], alignCorners?, halfPixelCenters?): the input's dtype. */
export function resizeNearestNeighbor(images, size, alignCorners = false, halfPixelCenters = false) {
  const op = 'resizeNearestNeighbor';
  checkSize(op, size, alignCorners, halfPixelCenters);
  return withTensors(op, [images], (x) => {
    check(x.dtype === 'float32' || x.dtype === 'int32', `Error in ${op}: images must be float32 or int32, received ${x.dtype}`);
    return batched(op, x, (x4) => tidy(() => {
      const [, h, w] = x4.shape;
      const rows = gather(x4, nearestTaps(h, size[0], alignCorners, halfPixelCenters), 1);
      return gather(rows, nearestTaps(w, size[1], alignCorners, halfPixelCenters), 2);
    }));
  });
}

/** tf.image.flipLeftRight(image): a 4-D batch mirrored along its width. */
export function flipLeftRight(image) {
  return withTensors('flipLeftRight', [image], (x) => {
    check(x.rank === 4, `Error in flipLeftRight: image must be 4D, but got rank ${x.rank}.`);
    float32Only('flipLeftRight', 'image', x);
    return reverse(x, 2);
  });
}

/** tf.image.grayscaleToRGB(image): the one channel repeated three times. */
export function grayscaleToRGB(image) {
  return withTensors('grayscaleToRGB', [image], (x) => {
    check(x.rank >= 2, `Error in grayscaleToRGB: images must be at least rank 2, but got rank ${x.rank}.`);
    check(x.shape[x.rank - 1] === 1, `Error in grayscaleToRGB: last dimension of a grayscale image should be size 1, but got size ${x.shape[x.rank - 1]}.`);
    return tile(x, [...Array(x.rank - 1).fill(1), 3]);
  });
}

/** tf.image.rgbToGrayscale(image): luma (0.2989 R + 0.5870 G + 0.1140 B), kept as a channel of one, in the input's dtype. */
export function rgbToGrayscale(image) {
  return withTensors('rgbToGrayscale', [image], (x) => {
    check(x.rank >= 2, `Error in RGBToGrayscale: images must be at least rank 2, but got rank ${x.rank}.`);
    check(x.shape[x.rank - 1] === 3, `Error in RGBToGrayscale: last dimension of an RGB image should be size 3, but got size ${x.shape[x.rank - 1]}.`);
    return tidy(() => {
      const gray = sum(mul(cast(x, 'float32'), tensor([0.2989, 0.5870, 0.1140])), -1, true);
      return cast(gray, x.dtype);
    });
  });
}

/** The image's values with its shape (and a strided reader), read on the CPU. */
function pixels(op, image) {
  check(image.rank === 4, `Error in ${op}: image must be rank 4, but got rank ${image.rank}.`);
  const [n, h, w, c] = image.shape;
  return { v: image.dataSync(), n, h, w, c, at: (b, y, x, ch) => ((b * h + y) * w + x) * c + ch };
}

/**
 * tf.image.rotateWithOffset(image, radians, fillValue = 0, center = 0.5): each pixel takes the
 * value at its position rotated about `center` (a fraction of the size, or [x, y]); positions
 * outside the image get `fillValue` (a number, or per channel with an alpha channel kept opaque).
 */
export function rotateWithOffset(image, radians, fillValue = 0, center = 0.5) {
  const op = 'rotateWithOffset';
  return withTensors(op, [image], (x) => {
    check(x.rank === 4, `Error in rotateWithOffset: image must be rank 4, but got rank ${x.rank}.`);
    float32Only(op, 'image', x);
    const { v, n, h, w, c, at } = pixels(op, x);
    const cx = w * (typeof center === 'number' ? center : center[0]);
    const cy = h * (typeof center === 'number' ? center : center[1]);
    const [sn, cs] = [Math.sin(radians), Math.cos(radians)];
    const out = new Float32Array(v.length);
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const sx = Math.round((xx - cx) * cs - (y - cy) * sn + cx);
          const sy = Math.round((xx - cx) * sn + (y - cy) * cs + cy);
          const inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
          for (let ch = 0; ch < c; ch++) {
            const fill = typeof fillValue === 'number' ? fillValue : (ch === 3 ? 255 : fillValue[ch]);
            out[at(b, y, xx, ch)] = inside ? v[at(b, sy, sx, ch)] : fill;
          }
        }
      }
    }
    return tensor(out, x.shape);
  });
}

/** Where an input coordinate outside [0, len - 1] reads from under `mode`. */
function mapCoord(p, len, mode) {
  const clamp = (q) => Math.min(Math.max(q, 0), len - 1);
  if (mode === 'nearest') return clamp(p);
  if (mode !== 'reflect' && mode !== 'wrap') return p;
  if (p >= 0 && p <= len - 1) return p;
  if (len <= 1) return 0;
  if (mode === 'reflect') {
    const period = 2 * len;
    let q = p;
    if (q < 0) {
      if (q < period) q += period * Math.trunc(-q / period);
      q = q < -len ? q + period : -q - 1;
    } else {
      q -= period * Math.trunc(q / period);
      if (q >= len) q = period - q - 1;
    }
    return clamp(q);
  }
  const q = p < 0 ? p + len * (Math.trunc(-p / (len - 1)) + 1) : p - len * Math.trunc(p / (len - 1));
  return clamp(q);
}

/**
 * tf.image.transform(image, transforms, interpolation = 'nearest', fillMode = 'constant',
 * fillValue = 0, outputShape?): each output pixel (x, y) reads the input at the projective map
 * [a0 x + a1 y + a2, b0 x + b1 y + b2] / (c0 x + c1 y + 1) of its transform row (one row for
 * every image, or one per image).
 */
export function transform(image, transforms, interpolation = 'nearest', fillMode = 'constant', fillValue = 0, outputShape) {
  const op = 'transform';
  return withTensors(op, [image, transforms], (x, t) => {
    float32Only(op, 'image', x);
    float32Only(op, 'transforms', t);
    check(x.rank === 4, `Error in transform: image must be rank 4,but got rank ${x.rank}.`);
    check(t.rank === 2 && (t.shape[0] === x.shape[0] || t.shape[0] === 1) && t.shape[1] === 8, 'Error in transform: Input transform should be batch x 8 or 1 x 8');
    check(outputShape == null || outputShape.length === 2, `Error in transform: outputShape must be [height, width] or null, but got ${outputShape}.`);
    check(interpolation === 'nearest' || interpolation === 'bilinear', `Error in Transform: Expect 'nearest' or 'bilinear', but got ${interpolation}`);
    const { v, n, h, w, c, at } = pixels(op, x);
    const [oh, ow] = outputShape ?? [h, w];
    const tv = t.dataSync();
    const out = new Float32Array(n * oh * ow * c);
    const read = (b, y, xx, ch) => (y >= 0 && y < h && xx >= 0 && xx < w ? v[at(b, y, xx, ch)] : fillValue);
    for (let b = 0; b < n; b++) {
      const m = t.shape[0] === 1 ? tv.subarray(0, 8) : tv.subarray(b * 8, b * 8 + 8);
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          const proj = m[6] * xx + m[7] * y + 1;
          for (let ch = 0; ch < c; ch++) {
            let val = fillValue;
            if (proj !== 0) {
              const sx = mapCoord((m[0] * xx + m[1] * y + m[2]) / proj, w, fillMode);
              const sy = mapCoord((m[3] * xx + m[4] * y + m[5]) / proj, h, fillMode);
              if (interpolation === 'nearest') {
                val = read(b, Math.round(sy), Math.round(sx), ch);
              } else {
                const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
                const top = (x0 + 1 - sx) * read(b, y0, x0, ch) + (sx - x0) * read(b, y0, x0 + 1, ch);
                const bottom = (x0 + 1 - sx) * read(b, y0 + 1, x0, ch) + (sx - x0) * read(b, y0 + 1, x0 + 1, ch);
                val = (y0 + 1 - sy) * top + (sy - y0) * bottom;
              }
            }
            out[((b * oh + y) * ow + xx) * c + ch] = val;
          }
        }
      }
    }
    return tensor(out, [n, oh, ow, c]);
  });
}

/**
 * tf.image.cropAndResize(image, boxes, boxInd, cropSize, method = 'bilinear', extrapolationValue = 0):
 * for each box [y1, x1, y2, x2] (normalised) of image boxInd[i], a crop resized to cropSize.
 */
export function cropAndResize(image, boxes, boxInd, cropSize, method = 'bilinear', extrapolationValue = 0) {
  const op = 'cropAndResize';
  const ind = Array.isArray(boxInd) ? tensor(boxInd, [boxInd.length], 'int32') : boxInd;
  try {
    return cropAndResizeOf(image, boxes, ind, cropSize, method, extrapolationValue);
  } finally {
    if (ind !== boxInd) ind.dispose();
  }
}
function cropAndResizeOf(image, boxes, boxInd, cropSize, method, extrapolationValue) {
  const op = 'cropAndResize';
  return withTensors(op, [image, boxes, boxInd], (x, bx, bi) => {
    float32Only(op, 'boxes', bx);
    check(bi.dtype === 'int32', `Argument 'boxInd' passed to '${op}' must be int32 tensor, but got ${bi.dtype} tensor`);
    check(x.rank === 4, `Error in cropAndResize: image must be rank 4,but got rank ${x.rank}.`);
    check(bx.rank === 2 && bx.shape[1] === 4, `Error in cropAndResize: boxes must be have size [${bx.shape[0]},4] but had shape ${bx.shape}.`);
    check(bi.rank === 1 && bi.shape[0] === bx.shape[0], `Error in cropAndResize: boxInd must be have size [${bx.shape[0]}] but had shape ${bi.shape}.`);
    check(Array.isArray(cropSize) && cropSize.length === 2, `Error in cropAndResize: cropSize must be of length 2, but got length ${cropSize?.length}.`);
    check(cropSize[0] >= 1 && cropSize[1] >= 1, `cropSize must be atleast [1,1], but was ${cropSize}`);
    check(method === 'bilinear' || method === 'nearest', `method must be bilinear or nearest, but was ${method}`);
    const { v, n, h, w, c, at } = pixels(op, x);
    const [ch_, cw] = cropSize;
    const bv = bx.dataSync();
    const iv = bi.dataSync();
    const out = new Float32Array(bx.shape[0] * ch_ * cw * c).fill(extrapolationValue);
    const along = (lo, hi, len, k, steps) => (steps > 1 ? lo * (len - 1) + k * ((hi - lo) * (len - 1)) / (steps - 1) : 0.5 * (lo + hi) * (len - 1));
    for (let i = 0; i < bx.shape[0]; i++) {
      const [y1, x1, y2, x2] = bv.subarray(i * 4, i * 4 + 4);
      const b = iv[i];
      if (b < 0 || b >= n) continue;
      for (let y = 0; y < ch_; y++) {
        const sy = along(y1, y2, h, y, ch_);
        if (sy < 0 || sy > h - 1) continue;
        for (let xx = 0; xx < cw; xx++) {
          const sx = along(x1, x2, w, xx, cw);
          if (sx < 0 || sx > w - 1) continue;
          const o = ((i * ch_ + y) * cw + xx) * c;
          for (let k = 0; k < c; k++) {
            if (method === 'nearest') {
              out[o + k] = v[at(b, Math.round(sy), Math.round(sx), k)];
              continue;
            }
            const [t, bo, l, r] = [Math.floor(sy), Math.ceil(sy), Math.floor(sx), Math.ceil(sx)];
            const [fy, fx] = [sy - t, sx - l];
            const top = v[at(b, t, l, k)] + (v[at(b, t, r, k)] - v[at(b, t, l, k)]) * fx;
            const bottom = v[at(b, bo, l, k)] + (v[at(b, bo, r, k)] - v[at(b, bo, l, k)]) * fx;
            out[o + k] = top + (bottom - top) * fy;
          }
        }
      }
    }
    return tensor(out, [bx.shape[0], ch_, cw, c]);
  });
}

/** Intersection over union of boxes i and j ([y1, x1, y2, x2], corners in either order). */
function iou(bv, i, j) {
  const box = (k) => {
    const [a, b, c, d] = bv.subarray(k * 4, k * 4 + 4);
    return [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)];
  };
  const [ay0, ax0, ay1, ax1] = box(i);
  const [by0, bx0, by1, bx1] = box(j);
  const areaA = (ay1 - ay0) * (ax1 - ax0);
  const areaB = (by1 - by0) * (bx1 - bx0);
  if (areaA <= 0 || areaB <= 0) return 0;
  const inter = Math.max(Math.min(ay1, by1) - Math.max(ay0, by0), 0) * Math.max(Math.min(ax1, bx1) - Math.max(ax0, bx0), 0);
  return inter / (areaA + areaB - inter);
}

/**
 * Greedy non-max suppression (soft when softNmsSigma > 0: overlapping boxes' scores decay by
 * exp(-iou² / 2σ) and they compete again), highest score first, ties to the lower index.
 */
function suppress(op, boxes, scores, maxOutputSize, iouThreshold = 0.5, scoreThreshold = -Infinity, softNmsSigma = 0) {
  iouThreshold ??= 0.5;
  scoreThreshold ??= -Infinity;
  softNmsSigma ??= 0;
  check(boxes.rank === 2, `boxes must be a 2D tensor, but was of rank '${boxes.rank}'`);
  check(boxes.shape[1] === 4, `boxes must have 4 columns, but 2nd dimension was ${boxes.shape[1]}`);
  check(scores.rank === 1, 'scores must be a 1D tensor');
  check(scores.shape[0] === boxes.shape[0], `scores has incompatible shape with boxes. Expected ${boxes.shape[0]}, but was ${scores.shape[0]}`);
  check(iouThreshold >= 0 && iouThreshold <= 1, `iouThreshold must be in [0, 1], but was '${iouThreshold}'`);
  check(softNmsSigma >= 0 && softNmsSigma <= 1, `softNmsSigma must be in [0, 1], but was '${softNmsSigma}'`);
  check(Number.isInteger(maxOutputSize) && maxOutputSize >= 0, `${op}: maxOutputSize must be a non-negative integer, received ${maxOutputSize}`);
  const limit = Math.min(maxOutputSize, boxes.shape[0]);
  const bv = boxes.dataSync();
  const sv = scores.dataSync();
  const before = (p, q) => p.score - q.score || q.index - p.index;
  // Ascending, so the best candidate is last.
  const pool = [];
  sv.forEach((s, index) => { if (s > scoreThreshold) pool.push({ score: s, index, checkedUpTo: 0 }); });
  pool.sort(before);
  const decay = softNmsSigma > 0 ? -0.5 / softNmsSigma : 0;
  const indices = [];
  const kept = [];
  while (indices.length < limit && pool.length > 0) {
    const cand = pool.pop();
    const original = cand.score;
    if (original < scoreThreshold) break;
    let dropped = false;
    for (let j = indices.length - 1; j >= cand.checkedUpTo; j--) {
      const o = iou(bv, cand.index, indices[j]);
      if (o >= iouThreshold) {
        dropped = true;
        break;
      }
      cand.score *= o <= iouThreshold ? Math.exp(decay * o * o) : 0;
      if (cand.score <= scoreThreshold) break;
    }
    cand.checkedUpTo = indices.length;
    if (dropped) continue;
    if (cand.score === original) {
      indices.push(cand.index);
      kept.push(cand.score);
    } else if (cand.score > scoreThreshold) {
      let k = 0;
      while (k < pool.length && before(pool[k], cand) < 0) k++;
      pool.splice(k, 0, cand);
    }
  }
  return { indices, kept, limit };
}

const nms = (op, args, f) => withTensors(op, args.slice(0, 2), (b, s) => f(suppress(op, b, s, ...args.slice(2))));

/** tf.image.nonMaxSuppression(boxes, scores, maxOutputSize, iouThreshold?, scoreThreshold?): int32 indices. */
export function nonMaxSuppression(boxes, scores, maxOutputSize, iouThreshold, scoreThreshold) {
  return nms('nonMaxSuppression', [boxes, scores, maxOutputSize, iouThreshold, scoreThreshold], (r) => tensor(r.indices, [r.indices.length], 'int32'));
}

/** tf.image.nonMaxSuppressionWithScore(..., softNmsSigma): {selectedIndices, selectedScores}. */
export function nonMaxSuppressionWithScore(boxes, scores, maxOutputSize, iouThreshold, scoreThreshold, softNmsSigma) {
  return nms('nonMaxSuppressionWithScore', [boxes, scores, maxOutputSize, iouThreshold, scoreThreshold, softNmsSigma], (r) => ({
    selectedIndices: tensor(r.indices, [r.indices.length], 'int32'),
    selectedScores: tensor(r.kept, [r.kept.length]),
  }));
}

/** tf.image.nonMaxSuppressionPadded(..., padToMaxOutputSize): {selectedIndices, validOutputs}. */
export function nonMaxSuppressionPadded(boxes, scores, maxOutputSize, iouThreshold, scoreThreshold, padToMaxOutputSize = false) {
  return nms('nonMaxSuppressionPadded', [boxes, scores, maxOutputSize, iouThreshold, scoreThreshold], (r) => {
    const valid = r.indices.length;
    const idx = padToMaxOutputSize ? [...r.indices, ...Array(Math.max(0, r.limit - valid)).fill(0)] : r.indices;
    return { selectedIndices: tensor(idx, [idx.length], 'int32'), validOutputs: tensor(valid, [], 'int32') };
  });
}

export const nonMaxSuppressionAsync = async (...a) => nonMaxSuppression(...a);
export const nonMaxSuppressionWithScoreAsync = async (...a) => nonMaxSuppressionWithScore(...a);
export const nonMaxSuppressionPaddedAsync = async (...a) => nonMaxSuppressionPadded(...a);

/** Otsu's threshold over a 256-bin histogram, in float32 steps as TF.js takes them. */
function otsu(hist, total) {
  const f = Math.fround;
  let best = -1;
  let bestVar = 0;
  for (let k = 0; k < hist.length - 1; k++) {
    let [n1, s1, n2, s2] = [0, 0, 0, 0];
    for (let i = 0; i <= k; i++) { n1 = f(n1 + hist[i]); s1 = f(s1 + f(hist[i] * i)); }
    for (let i = k + 1; i < hist.length; i++) { n2 = f(n2 + hist[i]); s2 = f(s2 + f(hist[i] * i)); }
    const [w1, w2] = [f(n1 / total), f(n2 / total)];
    const d = f(f(s1 / n1) - f(s2 / n2));
    const between = f(f(f(w1 * w2) * d) * d);
    if (between > bestVar) {
      bestVar = between;
      best = k;
    }
  }
  return best;
}

/**
 * tf.image.threshold(image, method = 'binary', inverted = false, threshValue = 0.5): 255 where
 * the pixel's luma is above the threshold (threshValue × 255, or Otsu's), else 0; int32.
 */
export function threshold(image, method = 'binary', inverted = false, threshValue = 0.5) {
  return withTensors('threshold', [image], (x) => {
    check(x.rank === 3, `Error in threshold: image must be rank 3,but got rank ${x.rank}.`);
    check(x.shape[2] === 3 || x.shape[2] === 1, `Error in threshold: image color channel must be equal to 3 or 1but got ${x.shape[2]}.`);
    check(x.dtype === 'int32' || x.dtype === 'float32', `Error in dtype: image dtype must be int32 or float32,but got dtype ${x.dtype}.`);
    check(method === 'otsu' || method === 'binary', `Method must be binary or otsu, but was ${method}`);
    return tidy(() => {
      const xf = cast(x, 'float32');
      const gray = x.shape[2] === 3 ? sum(mul(xf, tensor([0.2989, 0.5870, 0.1140])), -1, true) : xf;
      let level = tensor([Math.fround(Math.fround(threshValue) * 255)]);
      if (method === 'otsu') {
        const hist = new Float64Array(256);
        for (const g of gray.dataSync()) {
          const bin = Math.round(g);
          if (bin >= 0 && bin < 256) hist[bin]++;
        }
        level = tensor([otsu(hist, x.shape[0] * x.shape[1])]);
      }
      const on = inverted ? lessEqual(gray, level) : greater(gray, level);
      return mul(cast(on, 'int32'), tensor(255, [], 'int32'));
    });
  });
}

export const image = {
  resizeBilinear, resizeNearestNeighbor, flipLeftRight, grayscaleToRGB, rgbToGrayscale, rotateWithOffset, transform,
  cropAndResize, nonMaxSuppression, nonMaxSuppressionAsync, nonMaxSuppressionWithScore, nonMaxSuppressionWithScoreAsync,
  nonMaxSuppressionPadded, nonMaxSuppressionPaddedAsync, threshold,
};

Tensor.prototype.resizeBilinear = function (size, alignCorners, halfPixelCenters) { return resizeBilinear(this, size, alignCorners, halfPixelCenters); };
Tensor.prototype.resizeNearestNeighbor = function (size, alignCorners, halfPixelCenters) { return resizeNearestNeighbor(this, size, alignCorners, halfPixelCenters); };

// TF.js's neural-net ops on tensors: conv1d, conv2d, conv2dTranspose, depthwiseConv2d,
// separableConv2d, dilation2d, maxPool, avgPool, pool, their 3-D forms, batchNorm and
// localResponseNormalization (channels last, as TF.js's default). The engine builds the windowed
// ops from the same window gathers and matmuls the layers use (src/ops/window_ops.rs,
// window3.rs), so they differentiate and run on both backends; the normalisations are composed.
import { Tensor, tensor, tidy } from './tensor.js';
import { runOp as run, withTensors } from './op_run.js';
import { reshape, sub, mul, add, rsqrt, square, matMul, pow } from './ops.js';
import { spaceToBatchND, batchToSpaceND } from './ops_slice.js';


function channelsLast(op, dataFormat, want) {
  if (dataFormat !== undefined && dataFormat !== want) throw new Error(`${op}: only dataFormat '${want}' (channels last) is supported, received '${dataFormat}'`);
}

/** tf.conv2d(x, filter [fh, fw, inDepth, outDepth], strides, pad, dataFormat?, dilations?) */
export function conv2d(x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1]) {
  channelsLast('conv2d', dataFormat, 'NHWC');
  return run('conv2d', [x, filter], { strides, pad, dilations });
}

/** tf.depthwiseConv2d(x, filter [fh, fw, inDepth, multiplier], strides, pad, dataFormat?, dilations?) */
export function depthwiseConv2d(x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1]) {
  channelsLast('depthwiseConv2d', dataFormat, 'NHWC');
  return run('depthwiseConv2d', [x, filter], { strides, pad, dilations });
}

/** tf.separableConv2d(x, depthwiseFilter, pointwiseFilter [1, 1, inDepth·multiplier, outDepth], strides, pad, dilation?, dataFormat?) */
export function separableConv2d(x, depthwiseFilter, pointwiseFilter, strides, pad, dilation = [1, 1], dataFormat = 'NHWC') {
  channelsLast('separableConv2d', dataFormat, 'NHWC');
  return tidy(() => conv2d(depthwiseConv2d(x, depthwiseFilter, strides, pad, 'NHWC', dilation), pointwiseFilter, 1, 'valid'));
}

/** tf.conv2dTranspose(x, filter [fh, fw, outDepth, inDepth], outputShape, strides, pad) */
export function conv2dTranspose(x, filter, outputShape, strides, pad) {
  return run('conv2dTranspose', [x, filter], { outputShape, strides, pad });
}

/** tf.conv1d(x [batch?, width, inDepth], filter [fw, inDepth, outDepth], stride, pad, dataFormat?, dilation?) */
export function conv1d(x, filter, stride, pad, dataFormat = 'NWC', dilation = 1) {
  channelsLast('conv1d', dataFormat, 'NWC');
  const X = x instanceof Tensor ? x : tensor(x);
  const F = filter instanceof Tensor ? filter : tensor(filter);
  try {
    if (X.rank !== 2 && X.rank !== 3) throw new Error(`conv1d: input must be rank 3 (or 2), but got rank ${X.rank} (shape [${X.shape}])`);
    if (F.rank !== 3) throw new Error(`conv1d: filter must be rank 3, but got rank ${F.rank} (shape [${F.shape}])`);
    return tidy(() => {
      const s = X.shape;
      const img = reshape(X, X.rank === 3 ? [s[0], 1, s[1], s[2]] : [1, s[0], s[1]]);
      const y = conv2d(img, reshape(F, [1, ...F.shape]), [1, stride], pad, 'NHWC', [1, dilation]);
      const ys = y.shape;
      return reshape(y, X.rank === 3 ? [ys[0], ys[2], ys[3]] : [ys[1], ys[2]]);
    });
  } finally {
    if (X !== x) X.dispose();
    if (F !== filter) F.dispose();
  }
}

/** tf.maxPool(x, filterSize, strides, pad) */
export function maxPool(x, filterSize, strides, pad) { return run('maxPool', [x], { filterSize, strides, pad }); }
/** tf.avgPool(x, filterSize, strides, pad): windows over 'same' padding average only the values inside. */
export function avgPool(x, filterSize, strides, pad) { return run('avgPool', [x], { filterSize, strides, pad }); }

/** tf.conv3d(x [batch?, d, h, w, c], filter [fd, fh, fw, c, f], strides, pad, dataFormat?, dilations?) */
export function conv3d(x, filter, strides, pad, dataFormat = 'NDHWC', dilations = [1, 1, 1]) {
  channelsLast('conv3d', dataFormat, 'NDHWC');
  return run('conv3d', [x, filter], { strides, pad, dilations });
}
/** tf.conv3dTranspose(x, filter [fd, fh, fw, outDepth, inDepth], outputShape, strides, pad) */
export function conv3dTranspose(x, filter, outputShape, strides, pad) {
  return run('conv3dTranspose', [x, filter], { outputShape, strides, pad });
}
/** tf.maxPool3d(x, filterSize, strides, pad, dimRoundingMode?, dataFormat?) */
export function maxPool3d(x, filterSize = [1, 1, 1], strides, pad, dimRoundingMode, dataFormat = 'NDHWC') {
  channelsLast('maxPool3d', dataFormat, 'NDHWC');
  noRounding('maxPool3d', dimRoundingMode);
  return run('maxPool3d', [x], { filterSize, strides, pad });
}
/** tf.avgPool3d(x, filterSize, strides, pad, dimRoundingMode?, dataFormat?): 'same' windows average the values inside. */
export function avgPool3d(x, filterSize = [1, 1, 1], strides, pad, dimRoundingMode, dataFormat = 'NDHWC') {
  channelsLast('avgPool3d', dataFormat, 'NDHWC');
  noRounding('avgPool3d', dimRoundingMode);
  return run('avgPool3d', [x], { filterSize, strides, pad });
}
function noRounding(op, mode) {
  if (mode !== undefined && mode !== null) throw new Error(`${op}: dimRoundingMode is for numeric pads, which ${op} does not take; received '${mode}'`);
}

/** tf.dilation2d(x [batch?, h, w, c], filter [fh, fw, c], strides, pad, dilations?, dataFormat?): greyscale morphological dilation. */
export function dilation2d(x, filter, strides, pad, dilations = [1, 1], dataFormat = 'NHWC') {
  channelsLast('dilation2d', dataFormat, 'NHWC');
  return run('dilation2d', [x, filter], { strides, pad, dilations });
}

const pair = (v) => (Array.isArray(v) ? v : [v, v]);

/**
 * tf.pool(input, windowShape, poolingType, pad, dilations?, strides?, dimRoundingMode?): max or
 * avg pooling; dilated windows pool the image moved into the batch by spaceToBatchND, as TF.js.
 */
export function pool(input, windowShape, poolingType, pad, dilations = [1, 1], strides = [1, 1], dimRoundingMode) {
  if (poolingType !== 'max' && poolingType !== 'avg') throw new Error(`pool: poolingType must be 'max' or 'avg', received '${poolingType}'`);
  noRounding('pool', dimRoundingMode);
  const pad0 = pad === 0 ? 'valid' : pad;
  const [dh, dw] = pair(dilations ?? 1);
  const [sh, sw] = pair(strides ?? 1);
  const [kh, kw] = pair(windowShape);
  if ((dh > 1 || dw > 1) && (sh > 1 || sw > 1)) throw new Error(`Error in pool: Either strides or dilations must be 1. Got strides ${[sh, sw]} and dilations '${[dh, dw]}'`);
  const poolOf = (t, p) => (poolingType === 'max' ? maxPool(t, [kh, kw], [sh, sw], p) : avgPool(t, [kh, kw], [sh, sw], p));
  if (dh === 1 && dw === 1) return poolOf(input, pad0);
  return withTensors('pool', [input], (X) => tidy(() => {
    const x4 = X.rank === 3 ? reshape(X, [1, ...X.shape]) : X;
    const [, h, w] = x4.shape;
    // 'same': the dilated window's padding, split as TF does; then padded up to whole blocks.
    const base = [[kh, dh], [kw, dw]].map(([k, d]) => {
      const extra = pad0 === 'same' ? (k - 1) * d : 0;
      return [Math.floor(extra / 2), extra - Math.floor(extra / 2)];
    });
    const blocks = [dh, dw];
    const more = [h, w].map((s, i) => (blocks[i] - ((s + base[i][0] + base[i][1]) % blocks[i])) % blocks[i]);
    const paddings = base.map(([a, b], i) => [a, b + more[i]]);
    const y = poolOf(spaceToBatchND(x4, blocks, paddings), 'valid');
    const out = batchToSpaceND(y, blocks, more.map((m) => [0, m]));
    return X.rank === 3 ? reshape(out, out.shape.slice(1)) : out;
  }));
}

/**
 * tf.batchNorm(x, mean, variance, offset?, scale?, varianceEpsilon = 0.001):
 * (x - mean) · scale / sqrt(variance + ε) + offset, broadcasting the statistics.
 */
export function batchNorm(x, mean, variance, offset, scale, varianceEpsilon = 0.001) {
  const given = [offset, scale].filter((t) => t !== undefined && t !== null);
  return withTensors('batchNorm', [x, mean, variance, ...given], (X, M, V, ...rest) => {
    if (M.rank !== V.rank) throw new Error('Batch normalization gradient requires mean and variance to have equal ranks.');
    const [O, S] = [offset != null ? rest.shift() : null, scale != null ? rest.shift() : null];
    if (O && O.rank !== M.rank) throw new Error('Batch normalization gradient requires mean and offset to have equal ranks.');
    if (S && S.rank !== M.rank) throw new Error('Batch normalization gradient requires mean and scale to have equal ranks.');
    return tidy(() => {
      let inv = rsqrt(add(V, varianceEpsilon ?? 0.001));
      if (S) inv = mul(inv, S);
      const y = mul(sub(X, M), inv);
      return O ? add(y, O) : y;
    });
  });
}
const batchNormOfRank = (rank) => (x, mean, variance, offset, scale, varianceEpsilon) => withTensors(`batchNorm${rank}d`, [x], (X) => {
  if (X.rank !== rank) throw new Error(`Error in batchNorm${rank}D: x must be rank ${rank} but got rank ${X.rank}.`);
  return batchNorm(X, mean, variance, offset, scale, varianceEpsilon);
});
export const batchNorm2d = batchNormOfRank(2);
export const batchNorm3d = batchNormOfRank(3);
export const batchNorm4d = batchNormOfRank(4);

/**
 * tf.localResponseNormalization(x, depthRadius = 5, bias = 1, alpha = 1, beta = 0.5): each value
 * divided by (bias + alpha · the sum of squares over the channels within depthRadius)^beta.
 */
export function localResponseNormalization(x, depthRadius = 5, bias = 1, alpha = 1, beta = 0.5) {
  return withTensors('localResponseNormalization', [x], (X) => {
    if (X.rank !== 4 && X.rank !== 3) throw new Error(`Error in localResponseNormalization: x must be rank 3 or 4 but got rank ${X.rank}.`);
    if (!Number.isInteger(depthRadius)) throw new Error(`Error in localResponseNormalization: depthRadius must be an integer but got depthRadius ${depthRadius}.`);
    const c = X.shape[X.rank - 1];
    const band = new Float32Array(c * c);
    for (let i = 0; i < c; i++) for (let j = Math.max(0, i - depthRadius); j <= Math.min(c - 1, i + depthRadius); j++) band[i * c + j] = 1;
    return tidy(() => {
      const sums = reshape(matMul(reshape(square(X), [-1, c]), tensor(band, [c, c])), X.shape);
      return mul(X, pow(add(mul(sums, alpha), bias), -beta));
    });
  });
}

/**
 * tf.maxPoolWithArgmax(x [batch, h, w, c], filterSize, strides, pad, includeBatchInIndex = false):
 * {result, indexes}: each window's maximum and the flat position it came from (the first, on
 * ties), on the CPU (TF.js has no gradient for it).
 */
export function maxPoolWithArgmax(x, filterSize, strides, pad, includeBatchInIndex = false) {
  return withTensors('maxPoolWithArgmax', [x], (X) => {
    if (X.rank !== 4) throw new Error(`Error in maxPoolWithArgmax: x must be rank 4 but got rank ${X.rank}.`);
    const [n, h, w, c] = X.shape;
    const [kh, kw] = pair(filterSize);
    const [sh, sw] = pair(strides);
    const grid = (size, k, s) => (pad === 'same' ? Math.ceil(size / s) : typeof pad === 'number' ? Math.floor((size + 2 * pad - k) / s) + 1 : Math.ceil((size - k + 1) / s));
    const [gh, gw] = [grid(h, kh, sh), grid(w, kw, sw)];
    if (!(gh > 0 && gw > 0)) throw new Error(`maxPoolWithArgmax: the window [${kh}, ${kw}] does not fit the image [${h}, ${w}] with pad '${pad}'`);
    const before = (size, k, s, g) => (pad === 'same' ? Math.floor(Math.max((g - 1) * s + k - size, 0) / 2) : typeof pad === 'number' ? pad : 0);
    const [ph, pw] = [before(h, kh, sh, gh), before(w, kw, sw, gw)];
    const v = X.dataSync();
    const vals = new Float32Array(n * gh * gw * c);
    const idx = new Int32Array(n * gh * gw * c);
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < gh; oy++) {
        for (let ox = 0; ox < gw; ox++) {
          for (let ch = 0; ch < c; ch++) {
            let best = -Infinity;
            let at = -1;
            for (let ky = 0; ky < kh; ky++) {
              const y = oy * sh + ky - ph;
              if (y < 0 || y >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const xx = ox * sw + kx - pw;
                if (xx < 0 || xx >= w) continue;
                const p = ((b * h + y) * w + xx) * c + ch;
                if (v[p] > best || at < 0) {
                  best = v[p];
                  at = includeBatchInIndex ? p : (y * w + xx) * c + ch;
                }
              }
            }
            const o = ((b * gh + oy) * gw + ox) * c + ch;
            vals[o] = best;
            idx[o] = at;
          }
        }
      }
    }
    return { result: tensor(vals, [n, gh, gw, c]), indexes: tensor(idx, [n, gh, gw, c], 'int32') };
  });
}

Object.assign(Tensor.prototype, {
  batchNorm(mean, variance, offset, scale, varianceEpsilon) { return batchNorm(this, mean, variance, offset, scale, varianceEpsilon); },
  localResponseNormalization(depthRadius, bias, alpha, beta) { return localResponseNormalization(this, depthRadius, bias, alpha, beta); },
  pool(windowShape, poolingType, pad, dilations, strides, dimRoundingMode) { return pool(this, windowShape, poolingType, pad, dilations, strides, dimRoundingMode); },
  dilation2d(filter, strides, pad, dilations, dataFormat) { return dilation2d(this, filter, strides, pad, dilations, dataFormat); },
  conv1d(filter, stride, pad, dataFormat, dilation) { return conv1d(this, filter, stride, pad, dataFormat, dilation); },
  conv2d(filter, strides, pad, dataFormat, dilations) { return conv2d(this, filter, strides, pad, dataFormat, dilations); },
  conv2dTranspose(filter, outputShape, strides, pad) { return conv2dTranspose(this, filter, outputShape, strides, pad); },
  depthwiseConv2d(filter, strides, pad, dataFormat, dilations) { return depthwiseConv2d(this, filter, strides, pad, dataFormat, dilations); },
  separableConv2d(depthwiseFilter, pointwiseFilter, strides, pad, dilation, dataFormat) { return separableConv2d(this, depthwiseFilter, pointwiseFilter, strides, pad, dilation, dataFormat); },
  maxPool(filterSize, strides, pad) { return maxPool(this, filterSize, strides, pad); },
  avgPool(filterSize, strides, pad) { return avgPool(this, filterSize, strides, pad); },
});

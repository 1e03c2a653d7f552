// Index and cell ops TF.js users call, composed from Hebb's primitives (gathers, one-hot
// products, reshapes), so they differentiate and run on both backends: gatherND, scatterND,
// unsortedSegmentSum, diag, depthToSpace, movingAverage, dropout, basicLSTMCell, multiRNNCell;
// and searchSorted / lowerBound / upperBound, which read the values and answer on the CPU.
import { Tensor, tensor, tidy, randomUniform } from './tensor.js';
import { reshape, gather, oneHot, matMul, transpose, cast, mul, add, sub, div, pow, floor, concat, sigmoid, tanh } from './ops.js';
import { eye } from './ops_shape.js';
import { split } from './ops_composed.js';
import { withTensors } from './op_run.js';

/** Row-major flat positions of the index rows in `indices` ([..., k]) over the first k dims of `shape`. */
export function flatPositions(op, indices, shape) {
  const is = indices.shape;
  const k = is[is.length - 1];
  if (!(k >= 1) || k > shape.length) throw new Error(`${op}: the last dimension of indices (${k}) must be between 1 and the rank of the tensor (${shape.length})`);
  const data = indices.dataSync();
  const rows = data.length / k;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let p = 0;
    for (let j = 0; j < k; j++) {
      const v = data[r * k + j];
      if (v < 0 || v >= shape[j]) throw new Error(`${op}: index ${Array.from(data.slice(r * k, r * k + k))} is out of bounds for shape [${shape}]`);
      p = p * shape[j] + v;
    }
    out[r] = p;
  }
  return { positions: out, k, lead: is.slice(0, -1) };
}

/** tf.gatherND(x, indices): the slices of x at the index rows of indices ([..., k]). */
export function gatherND(x, indices) {
  return withTensors('gatherND', [x, indices], (X, I) => {
    const { positions, k, lead } = flatPositions('gatherND', I, X.shape);
    const rest = X.shape.slice(k);
    const outer = X.shape.slice(0, k).reduce((a, b) => a * b, 1);
    return tidy(() => reshape(gather(reshape(X, [outer, ...rest]), tensor(positions, [positions.length], 'int32'), 0), [...lead, ...rest]));
  });
}

/** tf.scatterND(indices, updates, shape): zeros of `shape` with updates added at the index rows (repeats sum). */
export function scatterND(indices, updates, shape) {
  return withTensors('scatterND', [indices, updates], (I, U) => {
    const { positions, k } = flatPositions('scatterND', I, shape);
    const rest = shape.slice(k);
    const outer = shape.slice(0, k).reduce((a, b) => a * b, 1);
    const inner = rest.reduce((a, b) => a * b, 1);
    if (U.size !== positions.length * inner) throw new Error(`scatterND: updates of shape [${U.shape}] do not fit ${positions.length} index rows of slices [${rest}]`);
    return tidy(() => {
      const sel = cast(oneHot(tensor(positions, [positions.length], 'int32'), outer), 'float32');
      const out = reshape(matMul(transpose(sel), reshape(cast(U, 'float32'), [positions.length, inner])), shape);
      return U.dtype === 'int32' ? cast(out, 'int32') : out;
    });
  });
}

/** tf.unsortedSegmentSum(x, segmentIds, numSegments): the rows of x summed per segment id. */
export function unsortedSegmentSum(x, segmentIds, numSegments) {
  return withTensors('unsortedSegmentSum', [x, segmentIds], (X, S) => {
    if (!Number.isInteger(numSegments) || numSegments < 1) throw new Error(`unsortedSegmentSum: numSegments must be a positive integer, received ${numSegments}`);
    if (S.rank !== 1 || S.shape[0] !== X.shape[0]) throw new Error(`unsortedSegmentSum: segmentIds must be rank 1 with one id per row of x (${X.shape[0]}), received shape [${S.shape}]`);
    return tidy(() => {
      const rest = X.shape.slice(1);
      const sel = cast(oneHot(cast(S, 'int32'), numSegments), 'float32');
      // A float32 result whatever x's dtype, as TF.js gives.
      return reshape(matMul(transpose(sel), reshape(cast(X, 'float32'), [X.shape[0], -1])), [numSegments, ...rest]);
    });
  });
}

/** tf.diag(x): a tensor of shape [...x.shape, ...x.shape] with x on its diagonal. */
export function diag(x) {
  return withTensors('diag', [x], (X) => tidy(() => {
    const n = X.size;
    const d = mul(reshape(X, [n, 1]), eye(n, n, undefined, X.dtype));
    return reshape(d, [...X.shape, ...X.shape]);
  }));
}

/** tf.depthToSpace(x [b, h, w, c], blockSize): depth moved into blockSize × blockSize spatial blocks. */
export function depthToSpace(x, blockSize, dataFormat = 'NHWC') {
  return withTensors('depthToSpace', [x], (X) => {
    if (dataFormat !== 'NHWC') throw new Error(`depthToSpace: only dataFormat 'NHWC' is supported, received '${dataFormat}'`);
    if (X.rank !== 4) throw new Error(`depthToSpace: x must be rank 4, received shape [${X.shape}]`);
    const [b, h, w, c] = X.shape;
    if (!(blockSize > 1)) throw new Error(`blockSize should be > 1 for depthToSpace, but was: ${blockSize}`);
    if (c % (blockSize * blockSize) !== 0) throw new Error(`Dimension size must be evenly divisible by ${blockSize * blockSize} but is ${c} for depthToSpace with input shape ${X.shape}`);
    const d = c / (blockSize * blockSize);
    return tidy(() => reshape(transpose(reshape(X, [b, h, w, blockSize, blockSize, d]), [0, 1, 3, 2, 4, 5]), [b, h * blockSize, w * blockSize, d]));
  });
}

/** tf.movingAverage(v, x, decay, step?, zeroDebias = true): v + (x - v)(1 - decay), debiased by 1 - decay^step. */
export function movingAverage(v, x, decay, step, zeroDebias = true) {
  return withTensors('movingAverage', [v, x], (V, X) => tidy(() => {
    let update = mul(sub(X, V), 1 - decay);
    if (zeroDebias) {
      if (step == null) throw new Error('movingAverage: step is required when zeroDebias is true');
      update = div(update, sub(1, pow(tensor(decay), step instanceof Tensor ? step : tensor(step))));
    }
    return add(V, update);
  }));
}

/** tf.dropout(x, rate, noiseShape?, seed?): elements zeroed with probability rate, the rest scaled by 1 / (1 - rate). */
export function dropout(x, rate, noiseShape, seed) {
  return withTensors('dropout', [x], (X) => {
    if (X.dtype !== 'float32') throw new Error(`x has to be a floating point tensor since it's going to be scaled, but got a ${X.dtype} tensor instead.`);
    if (!(rate >= 0 && rate < 1)) throw new Error(`rate must be a float in the range [0, 1), but got ${rate}.`);
    if (rate === 0) return X.clone();
    const shape = noiseShape ?? X.shape;
    return tidy(() => {
      const keep = 1 - rate;
      const mask = div(floor(add(randomUniform(shape, 0, 1, 'float32', seed), keep)), keep);
      return mul(X, mask);
    });
  });
}

/** tf.basicLSTMCell(forgetBias, lstmKernel, lstmBias, data, c, h): [newC, newH] of one LSTM step (TF.js's gate order i, j, f, o). */
export function basicLSTMCell(forgetBias, lstmKernel, lstmBias, data, c, h) {
  return withTensors('basicLSTMCell', [forgetBias, lstmKernel, lstmBias, data, c, h], (F, K, B, D, C, H) => tidy(() => {
    const res = add(matMul(concat([D, H], 1), K), B);
    const [i, j, f, o] = split(res, 4, 1);
    const newC = add(mul(sigmoid(i), tanh(j)), mul(C, sigmoid(add(F, f))));
    const newH = mul(tanh(newC), sigmoid(o));
    return [newC, newH];
  }));
}

/** tf.multiRNNCell(lstmCells, data, c, h): the cells stacked, each fed the one before's output; [newCs, newHs]. */
export function multiRNNCell(lstmCells, data, c, h) {
  let input = data;
  const cs = [];
  const hs = [];
  lstmCells.forEach((cell, i) => {
    const [nc, nh] = cell(input, c[i], h[i]);
    cs.push(nc);
    hs.push(nh);
    input = nh;
  });
  return [cs, hs];
}

/** tf.searchSorted(sortedSequence, values, side = 'left'): where each value would go in its row of sortedSequence. */
export function searchSorted(sortedSequence, values, side = 'left') {
  return withTensors('searchSorted', [sortedSequence, values], (S, V) => {
    if (side !== 'left' && side !== 'right') throw new Error(`searchSorted: side must be 'left' or 'right', received '${side}'`);
    if (S.rank < 1) throw new Error('Sorted input argument must be at least 1-dimensional');
    if (S.rank !== V.rank) throw new Error(`Sorted sequence and values must have the same rank: ${S.rank} and ${V.rank}`);
    const n = S.shape[S.rank - 1];
    const m = V.shape[V.rank - 1];
    const rows = S.size / Math.max(n, 1);
    if (rows !== V.size / Math.max(m, 1)) throw new Error(`Leading dimensions of sortedSequence [${S.shape}] and values [${V.shape}] must match`);
    const s = S.dataSync();
    const v = V.dataSync();
    const out = new Int32Array(V.size);
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < m; q++) {
        const target = v[r * m + q];
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          const x = s[r * n + mid];
          if (side === 'left' ? x < target : x <= target) lo = mid + 1;
          else hi = mid;
        }
        out[r * m + q] = lo;
      }
    }
    // One-dimensional inputs answer as one row of a batch, as TF.js 4.22 returns them.
    return tensor(out, V.rank === 1 ? [1, m] : V.shape, 'int32');
  });
}
export const lowerBound = (sortedSequence, values) => searchSorted(sortedSequence, values, 'left');
export const upperBound = (sortedSequence, values) => searchSorted(sortedSequence, values, 'right');

Tensor.prototype.unsortedSegmentSum = function (segmentIds, numSegments) { return unsortedSegmentSum(this, segmentIds, numSegments); };
Tensor.prototype.depthToSpace = function (blockSize, dataFormat) { return depthToSpace(this, blockSize, dataFormat); };

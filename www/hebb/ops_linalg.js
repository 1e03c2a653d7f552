// tf.linalg (bandPart, gramSchmidt, qr) and tf.fused (matMul, conv2d, depthwiseConv2d with a
// bias and an activation), composed from Hebb's ops as TF.js composes them, so they
// differentiate and run on both backends.
import { Tensor, tensor, tidy, ones, zerosLike, range } from './tensor.js';
import {
  reshape, slice, concat, matMul, sub, mul, div, neg, where, greater, sum, stack, unstack, cast, add, relu, relu6, elu,
  sigmoid, leakyRelu, logicalAnd, lessEqual,
} from './ops.js';
import { eye, norm, prelu } from './ops_shape.js';
import { conv2d, depthwiseConv2d } from './ops_nn.js';
import { withTensors } from './op_run.js';

function intOf(op, name, v) {
  const n = v instanceof Tensor ? v.dataSync()[0] : v;
  if (!Number.isInteger(n)) throw new Error(`bandPart(): ${name} must be an integer, got ${n}.`);
  return n;
}

/**
 * tf.linalg.bandPart(a, numLower, numUpper): the band of each innermost matrix, numLower
 * diagonals below and numUpper above the main one (a negative count keeps that whole triangle).
 */
export function bandPart(a, numLower, numUpper) {
  return withTensors('bandPart', [a], (A) => {
    if (A.rank < 2) throw new Error(`bandPart(): Rank must be at least 2, got ${A.rank}.`);
    const [m, n] = A.shape.slice(-2);
    let lower = intOf('bandPart', 'numLower', numLower);
    let upper = intOf('bandPart', 'numUpper', numUpper);
    if (lower > m) throw new Error(`bandPart(): numLower (${lower}) must not be greater than the number of rows (${m}).`);
    if (upper > n) throw new Error(`bandPart(): numUpper (${upper}) must not be greater than the number of columns (${n}).`);
    if (lower < 0) lower = m;
    if (upper < 0) upper = n;
    return tidy(() => {
      // (i - j) for every entry: inside the band when -upper <= i - j <= lower.
      const ij = sub(reshape(range(0, m, 1, 'int32'), [-1, 1]), range(0, n, 1, 'int32'));
      const inBand = logicalAnd(lessEqual(ij, tensor(lower, [], 'int32')), greater(ij, tensor(-upper - 1, [], 'int32')));
      return where(inBand, A, zerosLike(A));
    });
  });
}

/**
 * tf.linalg.gramSchmidt(xs): the rows of a matrix (or an array of vectors) made orthonormal, each
 * in turn: minus its projections on the ones before, divided by its norm.
 */
export function gramSchmidt(xs) {
  const asMatrix = !Array.isArray(xs);
  if (!asMatrix && xs.length === 0) throw new Error('Gram-Schmidt process: input must not be null, undefined, or empty');
  return tidy(() => {
    const rows = asMatrix ? unstack(xs instanceof Tensor ? xs : tensor(xs), 0) : xs;
    const dim = rows[0].shape[0];
    rows.forEach((r, i) => {
      if (r.rank !== 1 || r.shape[0] !== dim) throw new Error(`Gram-Schmidt: Non-unique lengths found in the input vectors: (${r.shape[0]} vs. ${dim})`);
      if (i >= dim) throw new Error(`Gram-Schmidt: Number of vectors (${rows.length}) exceeds number of dimensions (${dim}).`);
    });
    const ys = [];
    for (const x0 of rows) {
      let x = x0;
      for (const y of ys) x = sub(x, mul(sum(mul(y, x)), y));
      ys.push(div(x, norm(x, 'euclidean')));
    }
    return asMatrix ? stack(ys, 0) : ys;
  });
}

/** QR of one matrix by Householder reflections, with TF.js's sign convention (R's diagonal opposite to the column's pivot). */
function householder(x, fullMatrices) {
  const [m, n] = x.shape;
  let q = eye(m);
  let r = cast(x, 'float32');
  const one = ones([1, 1]);
  for (let j = 0; j < Math.min(m, n); j++) {
    const col = slice(r, [j, j], [m - j, 1]);
    const normX = norm(col);
    const pivot = slice(r, [j, j], [1, 1]);
    const s = where(greater(pivot, 0), tensor([[-1]]), tensor([[1]]));
    const u1 = sub(pivot, mul(s, normX));
    const w = m - j === 1 ? one : concat([one, div(slice(col, [1, 0], [m - j - 1, 1]), u1)], 0);
    const tau = neg(div(mul(s, u1), normX));
    const tw = mul(tau, w);
    const below = slice(r, [j, 0], [m - j, n]);
    const reflected = sub(below, matMul(tw, matMul(w, below, true, false)));
    r = j === 0 ? reflected : concat([slice(r, [0, 0], [j, n]), reflected], 0);
    const right = slice(q, [0, j], [m, m - j]);
    const turned = sub(right, matMul(matMul(right, w), tw, false, true));
    q = j === 0 ? turned : concat([slice(q, [0, 0], [m, j]), turned], 1);
  }
  if (!fullMatrices && m > n) return [slice(q, [0, 0], [m, n]), slice(r, [0, 0], [n, n])];
  return [q, r];
}

/** tf.linalg.qr(x, fullMatrices = false): [q, r] of each innermost matrix. */
export function qr(x, fullMatrices = false) {
  return withTensors('qr', [x], (X) => {
    if (X.rank < 2) throw new Error(`qr() requires input tensor to have a rank >= 2, but got rank ${X.rank}`);
    return tidy(() => {
      if (X.rank === 2) return householder(X, fullMatrices);
      const [m, n] = X.shape.slice(-2);
      const lead = X.shape.slice(0, -2);
      const parts = unstack(reshape(X, [-1, m, n]), 0).map((mat) => householder(mat, fullMatrices));
      const q = stack(parts.map((p) => p[0]), 0);
      const r = stack(parts.map((p) => p[1]), 0);
      return [reshape(q, [...lead, ...q.shape.slice(-2)]), reshape(r, [...lead, ...r.shape.slice(-2)])];
    });
  });
}

export const linalg = { bandPart, gramSchmidt, qr };

/** An activation by TF.js's fused-op names. */
function activate(op, y, activation, preluActivationWeights, leakyreluAlpha) {
  switch (activation ?? 'linear') {
    case 'linear': return y;
    case 'relu': return relu(y);
    case 'relu6': return relu6(y);
    case 'elu': return elu(y);
    case 'sigmoid': return sigmoid(y);
    case 'leakyrelu': return leakyRelu(y, leakyreluAlpha ?? 0.2);
    case 'prelu':
      if (!preluActivationWeights) throw new Error(`${op}: activation 'prelu' needs preluActivationWeights`);
      return prelu(y, preluActivationWeights);
    default: throw new Error(`Unknown fused activation ${activation}.`);
  }
}

const withBias = (y, bias) => (bias === undefined || bias === null ? y : add(y, bias));

/** tf.fused.matMul({a, b, transposeA?, transposeB?, bias?, activation?, preluActivationWeights?, leakyreluAlpha?}). */
function fusedMatMul({ a, b, transposeA = false, transposeB = false, bias, activation = 'linear', preluActivationWeights, leakyreluAlpha = 0.2 }) {
  return tidy(() => activate('fused.matMul', withBias(matMul(a, b, transposeA, transposeB), bias), activation, preluActivationWeights, leakyreluAlpha));
}

/** tf.fused.conv2d({x, filter, strides, pad, dataFormat?, dilations?, dimRoundingMode?, bias?, activation?, ...}). */
function fusedConv2d({ x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1], dimRoundingMode, bias, activation = 'linear', preluActivationWeights, leakyreluAlpha }) {
  if (dimRoundingMode != null) throw new Error(`fused.conv2d: dimRoundingMode is not supported (received '${dimRoundingMode}')`);
  return tidy(() => activate('fused.conv2d', withBias(conv2d(x, filter, strides, pad, dataFormat, dilations), bias), activation, preluActivationWeights, leakyreluAlpha));
}

/** tf.fused.depthwiseConv2d({x, filter, strides, pad, dataFormat?, dilations?, dimRoundingMode?, bias?, activation?, ...}). */
function fusedDepthwiseConv2d({ x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1], dimRoundingMode, bias, activation = 'linear', preluActivationWeights, leakyreluAlpha }) {
  if (dimRoundingMode != null) throw new Error(`fused.depthwiseConv2d: dimRoundingMode is not supported (received '${dimRoundingMode}')`);
  return tidy(() => activate('fused.depthwiseConv2d', withBias(depthwiseConv2d(x, filter, strides, pad, dataFormat, dilations), bias), activation, preluActivationWeights, leakyreluAlpha));
}

export const fused = { matMul: fusedMatMul, conv2d: fusedConv2d, depthwiseConv2d: fusedDepthwiseConv2d };

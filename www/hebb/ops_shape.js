// Shape and math ops TF.js users call, composed from Hebb's primitives as TF.js composes them
// (so they run and differentiate on both backends): pad, mirrorPad, reverse, cumsum, meshgrid,
// outerProduct, eye, broadcastArgs, norm, euclideanNorm, logSumExp, all, any, logicalXor, prelu,
// and the random helpers rand, randomUniformInt, randomStandardNormal.
import { Tensor, tensor, tidy, fill, randomUniform, randomNormal } from './tensor.js';
import {
  reshape, broadcastTo, concat, gather, transpose, matMul, cast, sum, max, min, abs, square, sqrt, exp, log, sub,
  add, mul, where, greater, logicalAnd, logicalOr, logicalNot,
} from './ops.js';
import { parseAxisParam } from './util.js';
import { withTensors } from './op_run.js';

/** `shape` with size 1 at `axes` (TF.js's expandShapeToKeepDim). */
const keptShape = (shape, axes) => {
  const out = shape.slice();
  for (const a of [...axes].sort((p, q) => p - q)) out.splice(a, 0, 1);
  return out;
};

/** tf.pad(x, paddings, constantValue = 0): [before, after] per axis, filled with the constant. */
export function pad(x, paddings, constantValue = 0) {
  return withTensors('pad', [x], (X) => {
    if (!Array.isArray(paddings) || paddings.length !== X.rank) throw new Error(`pad: paddings must have one [before, after] pair per axis: ${X.rank} for shape [${X.shape}], received ${JSON.stringify(paddings)}`);
    paddings.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new Error('Invalid number of paddings. Must be length of 2 each.');
      if (!p.every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`pad: paddings must be non-negative integers, received ${JSON.stringify(p)} for axis ${i}`);
    });
    return tidy(() => {
      let t = X;
      paddings.forEach(([before, after], i) => {
        if (before === 0 && after === 0) return;
        const parts = [];
        const side = (n) => fill(t.shape.map((d, k) => (k === i ? n : d)), constantValue, X.dtype);
        if (before > 0) parts.push(side(before));
        parts.push(t);
        if (after > 0) parts.push(side(after));
        t = concat(parts, i);
      });
      return t === X ? X.clone() : t;
    });
  });
}
export const pad1d = (x, paddings, constantValue) => pad(x, [paddings], constantValue);
export const pad2d = (x, paddings, constantValue) => pad(x, paddings, constantValue);
export const pad3d = pad2d;
export const pad4d = pad2d;

/** tf.mirrorPad(x, paddings, mode): 'reflect' (edge not repeated) or 'symmetric' (edge repeated). */
export function mirrorPad(x, paddings, mode) {
  return withTensors('mirrorPad', [x], (X) => {
    if (mode !== 'reflect' && mode !== 'symmetric') throw new Error(`Invalid mode. Mode must be either reflect or symmetric. Got ${mode}.`);
    if (!Array.isArray(paddings) || paddings.length !== X.rank) throw new Error(`Padding doesn't match input. Must be ${X.rank}. Got ${paddings?.length}.`);
    const offset = mode === 'reflect' ? 1 : 0;
    paddings.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new Error('Invalid number of paddings. Must be length of 2 each.');
      if (p[0] < 0 || p[0] > X.shape[i] - offset || p[1] < 0 || p[1] > X.shape[i] - offset) {
        throw new Error(`Padding in dimension ${i} cannot be greater than or equal to ${X.shape[i] - offset} or less than 0 for input of shape ${X.shape}`);
      }
    });
    return tidy(() => {
      let t = X;
      paddings.forEach(([before, after], i) => {
        if (before === 0 && after === 0) return;
        const n = X.shape[i];
        const idx = [];
        for (let j = before; j >= 1; j--) idx.push(j - 1 + offset);
        for (let j = 0; j < n; j++) idx.push(j);
        for (let j = 1; j <= after; j++) idx.push(n - j - offset);
        t = gather(t, tensor(idx, [idx.length], 'int32'), i);
      });
      return t === X ? X.clone() : t;
    });
  });
}

/** tf.reverse(x, axis?): the order of the elements along `axis` (every axis by default) reversed. */
export function reverse(x, axis) {
  return withTensors('reverse', [x], (X) => {
    const axes = parseAxisParam(axis, X.shape);
    return tidy(() => {
      let t = X;
      for (const a of axes) {
        const n = X.shape[a];
        t = gather(t, tensor(Array.from({ length: n }, (_, j) => n - 1 - j), [n], 'int32'), a);
      }
      return t === X ? X.clone() : t;
    });
  });
}
export const reverse1d = (x) => reverse(x, 0);
export const reverse2d = (x, axis) => reverse(x, axis);
export const reverse3d = reverse2d;
export const reverse4d = reverse2d;

/**
 * tf.cumsum(x, axis = 0, exclusive = false, reverse = false): running sums along `axis`, as a
 * product with a triangular matrix of ones (so it differentiates like any product).
 */
export function cumsum(x, axis = 0, exclusive = false, reverseOrder = false) {
  return withTensors('cumsum', [x], (X) => {
    const [ax] = parseAxisParam(axis, X.shape);
    const rank = X.rank;
    const n = X.shape[ax];
    return tidy(() => {
      const perm = [...Array(rank).keys()].filter((i) => i !== ax).concat(ax);
      const back = perm.map((_, i) => perm.indexOf(i));
      const xt = transpose(cast(X, 'float32'), perm);
      const moved = xt.shape;
      const tri = new Float32Array(n * n);
      for (let k = 0; k < n; k++) {
        for (let j = 0; j < n; j++) {
          const takes = reverseOrder ? (exclusive ? k > j : k >= j) : (exclusive ? k < j : k <= j);
          tri[k * n + j] = takes ? 1 : 0;
        }
      }
      const out = matMul(reshape(xt, [-1, n]), tensor(tri, [n, n]));
      const res = transpose(reshape(out, moved), back);
      return X.dtype === 'int32' ? cast(res, 'int32') : res;
    });
  });
}

/** tf.meshgrid(x, y?, {indexing}): coordinate matrices ('xy': [len(y), len(x)]; 'ij': [len(x), len(y)]). */
export function meshgrid(x, y, { indexing = 'xy' } = {}) {
  if (indexing !== 'xy' && indexing !== 'ij') throw new Error(`${indexing} is not a valid third argument to meshgrid`);
  if (x === undefined) return [];
  return withTensors('meshgrid', y === undefined ? [x] : [x, y], (X, Y) => {
    const xs = reshape(X, [-1]);
    if (Y === undefined) return [xs];
    return tidy(() => {
      const ys = reshape(Y, [-1]);
      const [nx, ny] = [xs.size, ys.size];
      if (indexing === 'xy') return [broadcastTo(reshape(xs, [1, nx]), [ny, nx]), broadcastTo(reshape(ys, [ny, 1]), [ny, nx])];
      return [broadcastTo(reshape(xs, [nx, 1]), [nx, ny]), broadcastTo(reshape(ys, [1, ny]), [nx, ny])];
    });
  });
}

/** tf.outerProduct(v1, v2): the [len(v1), len(v2)] matrix of products. */
export function outerProduct(v1, v2) {
  return withTensors('outerProduct', [v1, v2], (a, b) => {
    if (a.rank !== 1 || b.rank !== 1) throw new Error(`Error in outerProduct: inputs must be rank 1, but got ranks ${a.rank} and ${b.rank}.`);
    return tidy(() => matMul(reshape(a, [-1, 1]), reshape(b, [1, -1])));
  });
}

/** tf.eye(numRows, numColumns?, batchShape?, dtype?): identity matrices. */
export function eye(numRows, numColumns, batchShape, dtype = 'float32') {
  const cols = numColumns ?? numRows;
  const data = new Float32Array(numRows * cols);
  for (let i = 0; i < Math.min(numRows, cols); i++) data[i * cols + i] = 1;
  const m = tensor(data, [numRows, cols], dtype);
  if (!batchShape || batchShape.length === 0) return m;
  try {
    return broadcastTo(reshape(m, [...batchShape.map(() => 1), numRows, cols]), [...batchShape, numRows, cols]);
  } finally {
    m.dispose();
  }
}

/** tf.broadcastArgs(s0, s1): the shape two shapes broadcast to, as an int32 tensor. */
export function broadcastArgs(s0, s1) {
  return withTensors('broadcastArgs', [s0, s1], (a, b) => {
    if (a.rank !== 1 || b.rank !== 1) throw new Error(`broadcastArgs: the shapes must be rank-1 tensors, received ranks ${a.rank} and ${b.rank}`);
    const [x, y] = [Array.from(a.dataSync()), Array.from(b.dataSync())];
    const n = Math.max(x.length, y.length);
    const out = [];
    for (let i = 0; i < n; i++) {
      const p = x[x.length - n + i] ?? 1;
      const q = y[y.length - n + i] ?? 1;
      if (p !== q && p !== 1 && q !== 1) throw new Error(`Operands could not be broadcast together with shapes ${x} and ${y}.`);
      out.push(p === 1 ? q : p);
    }
    return tensor(out, [n], 'int32');
  });
}

/** tf.norm(x, ord?, axis?, keepDims?): vector norms (1, 2/'euclidean', Infinity, -Infinity) or matrix norms over two axes (1, Infinity, -Infinity, 'fro'). */
export function norm(x, ord = 'euclidean', axis = null, keepDims = false) {
  return withTensors('norm', [x], (X) => tidy(() => {
    const vector = (v, ax) => {
      const a = abs(v);
      if (ord === 1) return sum(a, ax);
      if (ord === Infinity) return max(a, ax);
      if (ord === -Infinity) return min(a, ax);
      if (ord === 'euclidean' || ord === 2) return sqrt(sum(square(v), ax));
      throw new Error(`Error in norm: invalid ord value: ${ord}`);
    };
    let out;
    if (X.rank === 0) out = abs(X);
    else if (axis === null && X.rank !== 1) out = vector(reshape(X, [-1]), null);
    else {
      const axes = axis === null ? [0] : parseAxisParam(axis, X.shape);
      if (axes.length === 1) out = vector(X, axes);
      else if (axes.length === 2) {
        const a = abs(X);
        if (ord === 1) out = max(sum(a, axes[0]), axes[1] - 1);
        else if (ord === Infinity) out = max(sum(a, axes[1]), axes[0]);
        else if (ord === -Infinity) out = min(sum(a, axes[1]), axes[0]);
        else if (ord === 'fro' || ord === 'euclidean') out = sqrt(sum(square(X), axes));
        else throw new Error(`Error in norm: invalid ord value: ${ord}`);
      } else {
        throw new Error(`Error in norm: invalid axis: ${axis}`);
      }
    }
    if (!keepDims) return out;
    const axes = axis === null ? [...Array(X.rank).keys()] : parseAxisParam(axis, X.shape);
    return reshape(out, keptShape(out.shape, axes));
  }));
}
export const euclideanNorm = (x, axis = null, keepDims = false) => norm(x, 'euclidean', axis, keepDims);

/** tf.logSumExp(x, axis?, keepDims?): log(sum(exp(x))) without overflow. */
export function logSumExp(x, axis = null, keepDims = false) {
  return withTensors('logSumExp', [x], (X) => tidy(() => {
    const axes = parseAxisParam(axis, X.shape);
    const m = max(X, axes, true);
    const d = log(sum(exp(sub(X, m)), axes));
    const res = add(reshape(m, d.shape), d);
    return keepDims ? reshape(res, keptShape(res.shape, axes)) : res;
  }));
}

/** tf.all / tf.any: logical and / or over `axis` (every axis by default); bool results. */
const boolReduce = (name, reduce) => (x, axis = null, keepDims = false) => withTensors(name, [x], (X) => {
  if (X.dtype !== 'bool') throw new Error(`Argument 'x' passed to '${name}' must be bool tensor, but got ${X.dtype} tensor`);
  return tidy(() => cast(reduce(cast(X, 'float32'), axis, keepDims), 'bool'));
});
export const all = boolReduce('all', min);
export const any = boolReduce('any', max);

/** tf.logicalXor(a, b): true where exactly one is. */
export const logicalXor = (a, b) => withTensors('logicalXor', [a, b], (A, B) => tidy(() => logicalAnd(logicalOr(A, B), logicalNot(logicalAnd(A, B)))));

/** tf.prelu(x, alpha): x where x > 0, else alpha * x (alpha broadcast). */
export const prelu = (x, alpha) => withTensors('prelu', [x, alpha], (X, A) => tidy(() => where(greater(X, 0), X, mul(A, X))));

/** The dtype of an op over dtypes a and b (TF.js's upcastType). */
export function upcastType(a, b) {
  const order = ['bool', 'int32', 'float32', 'complex64'];
  if (a === 'string' || b === 'string') {
    if (a === 'string' && b === 'string') return 'string';
    throw new Error(`Can not upcast ${a} with ${b}`);
  }
  return order[Math.max(order.indexOf(a), order.indexOf(b))];
}
/** The dtype of a sum over `type` (TF.js's sumOutType). */
export const sumOutType = (type) => upcastType(type, 'int32');

/** tf.rand(shape, randFunction, dtype?): a tensor of randFunction()'s values. */
export function rand(shape, randFunction, dtype = 'float32') {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = randFunction();
  return tensor(values, shape, dtype);
}
/** tf.randomUniformInt(shape, minval, maxval, seed?): int32 values in [minval, maxval). */
export const randomUniformInt = (shape, minval, maxval, seed) => randomUniform(shape, minval, maxval, 'int32', seed);
/** tf.randomStandardNormal(shape, dtype?, seed?): normal values of mean 0 and deviation 1. */
export const randomStandardNormal = (shape, dtype = 'float32', seed) => randomNormal(shape, 0, 1, dtype, seed);

// Tensor methods TF.js has that these compose.
Object.assign(Tensor.prototype, {
  pad(paddings, constantValue) { return pad(this, paddings, constantValue); },
  mirrorPad(paddings, mode) { return mirrorPad(this, paddings, mode); },
  reverse(axis) { return reverse(this, axis); },
  cumsum(axis, exclusive, rev) { return cumsum(this, axis, exclusive, rev); },
  norm(ord, axis, keepDims) { return norm(this, ord, axis, keepDims); },
  euclideanNorm(axis, keepDims) { return euclideanNorm(this, axis, keepDims); },
  logSumExp(axis, keepDims) { return logSumExp(this, axis, keepDims); },
  all(axis, keepDims) { return all(this, axis, keepDims); },
  any(axis, keepDims) { return any(this, axis, keepDims); },
  logicalXor(b) { return logicalXor(this, b); },
  prelu(alpha) { return prelu(this, alpha); },
});


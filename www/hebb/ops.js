// Tensor ops. Each call crosses into the engine once with integer handles; numbers and arrays
// are accepted wherever a tensor is, as in TF.js. While a custom loss or metric is being traced,
// the same calls record a graph instead of computing (see models.js).
import { Tensor, tensor } from './tensor.js';
import { runOp as run } from './op_run.js';


const binary = (name) => (a, b) => run(name, [a, b]);
const unary = (name) => (x) => run(name, [x]);

export const add = binary('add');
export const sub = binary('sub');
export const mul = binary('mul');
export const div = binary('div');
export const pow = binary('pow');
export const maximum = binary('maximum');
export const minimum = binary('minimum');
export const squaredDifference = binary('squaredDifference');
export const greater = binary('greater');
export const greaterEqual = binary('greaterEqual');
export const less = binary('less');
export const lessEqual = binary('lessEqual');
export const equal = binary('equal');
export const notEqual = binary('notEqual');
export const logicalAnd = binary('logicalAnd');
export const logicalOr = binary('logicalOr');
export const divNoNan = (a, b) => {
  const z = equal(b, 0);
  const safe = where(z, 1, b);
  const q = div(a, safe);
  const out = where(z, 0, q);
  [z, safe, q].forEach((t) => t.dispose());
  return out;
};
/** tf.addN: the elementwise sum of tensors of one shape. */
export function addN(tensors) {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`addN: expects a non-empty array of tensors, received ${Array.isArray(tensors) ? 'an empty array' : String(tensors)}`);
  const shape = (x) => (x instanceof Tensor ? x.shape : null);
  const first = JSON.stringify(shape(tensors[0]));
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`addN: tensors[${i}] must be a Tensor, received ${String(t)}`);
    if (JSON.stringify(t.shape) !== first) throw new Error(`addN: every tensor must have the same shape: tensors[0] is [${tensors[0].shape}], tensors[${i}] is [${t.shape}]`);
  });
  let acc = run('add', [tensors[0], 0]);
  for (const t of tensors.slice(1)) {
    const next = add(acc, t);
    acc.dispose();
    acc = next;
  }
  return acc;
}

export const neg = unary('neg');
export const abs = unary('abs');
export const exp = unary('exp');
export const log = unary('log');
export const log1p = unary('log1p');
export const sqrt = unary('sqrt');
export const rsqrt = unary('rsqrt');
export const square = unary('square');
export const reciprocal = unary('reciprocal');
export const sign = unary('sign');
export const floor = unary('floor');
export const ceil = unary('ceil');
export const round = unary('round');
export const sin = unary('sin');
export const cos = unary('cos');
export const relu = unary('relu');
export const relu6 = unary('relu6');
export const selu = unary('selu');
export const sigmoid = unary('sigmoid');
export const tanh = unary('tanh');
export const softplus = unary('softplus');
export const logicalNot = unary('logicalNot');
export const isNaN = unary('isNaN');
export const isFinite = unary('isFinite');
export const isInf = unary('isInf');
export const tan = unary('tan');
export const asin = unary('asin');
export const acos = unary('acos');
export const atan = unary('atan');
export const sinh = unary('sinh');
export const cosh = unary('cosh');
export const asinh = unary('asinh');
export const acosh = unary('acosh');
export const atanh = unary('atanh');
export const erf = unary('erf');
export const expm1 = unary('expm1');
/** log(sigmoid(x)) = -softplus(-x), as TF.js composes it. */
export const logSigmoid = (x) => {
  const n = neg(x);
  const sp = softplus(n);
  const out = neg(sp);
  [n, sp].forEach((t) => t.dispose());
  return out;
};
/** TF.js's mod: the remainder with the divisor's sign, x - floor(x / y) * y. */
export const mod = (a, b) => {
  const q = floorDiv(a, b);
  const qb = mul(q, b);
  const out = sub(a, qb);
  [q, qb].forEach((t) => t.dispose());
  return out;
};
/** tf.step(x, alpha = 0): 1 where x > 0, else alpha. */
export const step = (x, alpha = 0) => {
  const pos = greater(x, 0);
  const out = where(pos, 1, alpha);
  pos.dispose();
  return out;
};
export const elu = (x, alpha = 1) => run('elu', [x], { alpha });
export const leakyRelu = (x, alpha = 0.2) => run('leakyRelu', [x], { alpha });

export const where = (cond, a, b) => run('where', [cond, a, b]);
const F32_MAX = 3.4028234663852886e38;
export const clipByValue = (x, min, max) => {
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max)) {
    throw new Error(`clipByValue: min and max must be numbers, received min=${min}, max=${max}`);
  }
  // JSON has no Infinity; the f32 range says the same.
  return run('clipByValue', [x], { min: Math.max(min, -F32_MAX), max: Math.min(max, F32_MAX) });
};
export const cast = (x, dtype) => run('cast', [x], { dtype });
export const matMul = (a, b, transposeA = false, transposeB = false) => run('matMul', [a, b], { transposeA, transposeB });
/** tf.dot: vector·vector, matrix·vector, vector·matrix or matrix·matrix. */
export const dot = (a, b) => {
  const ra = a instanceof Tensor ? a.rank : null;
  const rb = b instanceof Tensor ? b.rank : null;
  if (ra === null || rb === null || ra > 2 || rb > 2) throw new Error(`dot: expected tensors of rank 1 or 2, received ranks ${ra} and ${rb}`);
  if (ra === 2 && rb === 2) return matMul(a, b);
  const a2 = ra === 1 ? reshape(a, [1, -1]) : a;
  const b2 = rb === 1 ? reshape(b, [-1, 1]) : b;
  const c = matMul(a2, b2);
  const shape = [...(ra === 2 ? [a.shape[0]] : []), ...(rb === 2 ? [b.shape[1]] : [])];
  const out = reshape(c, shape);
  [a2, b2, c].forEach((t) => { if (t !== a && t !== b) t.dispose(); });
  return out;
};
export const floorDiv = binary('floorDiv');

const reducer = (name) => (x, axis = null, keepDims = false) => run(name, [x], { axis, keepDims });
export const sum = reducer('sum');
export const mean = reducer('mean');
export const max = reducer('max');
export const min = reducer('min');
export const argMax = (x, axis = 0) => run('argMax', [x], { axis });
export const argMin = (x, axis = 0) => run('argMin', [x], { axis });
export const softmax = (x, dim = -1) => run('softmax', [x], { axis: dim });
export const logSoftmax = (x, axis = -1) => run('logSoftmax', [x], { axis });

export const reshape = (x, shape) => run('reshape', [x], { shape });
export const flatten = (x) => reshape(x, [-1]);
export const transpose = (x, perm) => run('transpose', [x], { perm: perm ?? null });
export const broadcastTo = (x, shape) => run('broadcastTo', [x], { shape });
export const slice = (x, begin, size) => {
  const b = Array.isArray(begin) ? begin : [begin];
  const s = size === undefined ? null : (Array.isArray(size) ? size : [size]);
  return run('slice', [x], { begin: b, size: s });
};
export const concat = (tensors, axis = 0) => {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('concat: expected a non-empty array of tensors');
  return run('concat', tensors, { axis });
};
export const gather = (x, indices, axis = 0) => {
  const idx = indices instanceof Tensor ? indices : tensor(indices, undefined, 'int32');
  try {
    return run('gather', [x, idx], { axis });
  } finally {
    if (idx !== indices) idx.dispose();
  }
};
export const oneHot = (indices, depth, onValue = 1, offValue = 0) => run('oneHot', [indices], { depth, onValue, offValue });
export const expandDims = (x, axis = 0) => {
  const s = x.shape;
  const a = axis < 0 ? s.length + 1 + axis : axis;
  s.splice(a, 0, 1);
  return reshape(x, s);
};
export const squeeze = (x, axis) => {
  const s = x.shape;
  const drop = axis === undefined ? s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? s.length + a : a));
  return reshape(x, s.filter((_, i) => !drop.includes(i)));
};
export const stack = (tensors, axis = 0) => {
  const ex = tensors.map((t) => expandDims(t, axis));
  const out = concat(ex, axis);
  ex.forEach((t) => t.dispose());
  return out;
};
export const unstack = (x, axis = 0) => {
  const s = x.shape;
  const out = [];
  for (let i = 0; i < s[axis]; i++) {
    const begin = s.map((_, k) => (k === axis ? i : 0));
    const size = s.map((d, k) => (k === axis ? 1 : d));
    const sl = slice(x, begin, size);
    out.push(squeeze(sl, [axis]));
    sl.dispose();
  }
  return out;
};

// Chainable methods, as on TF.js tensors.
const methods = {
  add, sub, mul, div, pow, maximum, minimum, squaredDifference, greater, greaterEqual, less, lessEqual,
  equal, notEqual, logicalAnd, logicalOr, neg, abs, exp, log, log1p, sqrt, rsqrt, square, reciprocal, sign,
  floor, ceil, round, sin, cos, relu, relu6, selu, sigmoid, tanh, softplus, elu, leakyRelu, clipByValue,
  cast, matMul, dot, sum, mean, max, min, argMax, argMin, softmax, logSoftmax, reshape, flatten, transpose,
  broadcastTo, slice, gather, expandDims, squeeze, logicalNot, isNaN, divNoNan, floorDiv,
  isFinite, isInf, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, erf, expm1, logSigmoid, mod, step,
};
for (const [name, fn] of Object.entries(methods)) {
  Tensor.prototype[name] = function (...args) { return fn(this, ...args); };
}
Tensor.prototype.asType = function (dtype) { return cast(this, dtype); };
Tensor.prototype.toFloat = function () { return cast(this, 'float32'); };
Tensor.prototype.toInt = function () { return cast(this, 'int32'); };
Tensor.prototype.as1D = function () { return reshape(this, [-1]); };
Tensor.prototype.as2D = function (r, c) { return reshape(this, [r, c]); };
Tensor.prototype.concat = function (other, axis = 0) { return concat([this, ...(Array.isArray(other) ? other : [other])], axis); };

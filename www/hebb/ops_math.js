// Math ops TF.js users call, composed from Hebb's primitives so they differentiate and run on
// both backends: atan2, prod, cumprod (products as trees and scans of multiplies), einsum (as
// transposes, broadcast products and sums); and bincount, denseBincount, bitwiseAnd on integer
// values, counted on the CPU.
import { Tensor, tensor, tidy, ones } from './tensor.js';
import {
  reshape, transpose, cast, mul, add, div, atan, where, equal, less, greaterEqual, slice, concat, sum, sign, broadcastTo, gather,
} from './ops.js';
import { reverse } from './ops_shape.js';
import { withTensors } from './op_run.js';
import { parseAxisParam } from './util.js';

/** tf.atan2(a, b): the angle of the point (b, a), in (-π, π]; broadcasts. */
export function atan2(a, b) {
  return withTensors('atan2', [a, b], (A, B) => tidy(() => {
    const [y, x] = [cast(A, 'float32'), cast(B, 'float32')];
    // atan(y / x) where x is not 0 (x is replaced by 1 there so no branch divides by zero).
    const zero = equal(x, 0);
    const base = atan(div(y, where(zero, ones(x.shape), x)));
    const halfTurn = mul(where(greaterEqual(y, 0), ones(y.shape), mul(ones(y.shape), -1)), Math.PI);
    const left = add(base, mul(cast(less(x, 0), 'float32'), halfTurn));
    return where(zero, mul(sign(y), Math.PI / 2), left);
  }));
}

/** x with the axes in `axes` moved to the end and merged: [rest..., n]. */
function gatherAxes(x, axes) {
  const rest = [...Array(x.rank).keys()].filter((i) => !axes.includes(i));
  const n = axes.reduce((p, a) => p * x.shape[a], 1);
  return { moved: reshape(transpose(x, [...rest, ...axes]), [...rest.map((i) => x.shape[i]), n]), rest, n };
}

/** Products over the last axis (size n) by halves: log2(n) multiplies. */
function productTree(x, n) {
  let cur = x;
  let len = n;
  const lead = x.shape.slice(0, -1);
  const at = (t, from, size) => slice(t, [...lead.map(() => 0), from], [...lead, size]);
  while (len > 1) {
    const half = Math.floor(len / 2);
    const paired = mul(at(cur, 0, half), at(cur, half, half));
    cur = len % 2 === 1 ? concat([paired, at(cur, 2 * half, 1)], -1) : paired;
    len = half + (len % 2);
  }
  return cur;
}

/** tf.prod(x, axis?, keepDims?): the product over `axis` (all axes when null); bool counts as int32. */
export function prod(x, axis = null, keepDims = false) {
  return withTensors('prod', [x], (X) => tidy(() => {
    const xs = X.dtype === 'bool' ? cast(X, 'int32') : X;
    const axes = parseAxisParam(axis ?? [...Array(X.rank).keys()], X.shape);
    const { moved, rest, n } = gatherAxes(xs, axes);
    const out = n === 0 ? cast(ones([...moved.shape.slice(0, -1), 1]), xs.dtype) : productTree(moved, n);
    const shape = keepDims ? X.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : rest.map((i) => X.shape[i]);
    return reshape(out, shape);
  }));
}

/**
 * tf.cumprod(x, axis = 0, exclusive = false, reverse = false): running products along `axis`,
 * by doubling steps (each multiplies by the value 1, 2, 4, ... places back).
 */
export function cumprod(x, axis = 0, exclusive = false, reverseOrder = false) {
  return withTensors('cumprod', [x], (X) => tidy(() => {
    const [ax] = parseAxisParam(axis, X.shape);
    const n = X.shape[ax];
    const dtype = X.dtype === 'bool' ? 'int32' : X.dtype;
    let cur = reverseOrder ? reverse(cast(X, dtype), ax) : cast(X, dtype);
    const onesAlong = (k) => cast(ones(X.shape.map((d, i) => (i === ax ? k : d))), dtype);
    const head = (t, k) => slice(t, X.shape.map(() => 0), X.shape.map((d, i) => (i === ax ? k : d)));
    for (let step = 1; step < n; step *= 2) cur = mul(cur, concat([onesAlong(step), head(cur, n - step)], ax));
    if (exclusive && n > 0) cur = concat([onesAlong(1), head(cur, n - 1)], ax);
    return reverseOrder ? reverse(cur, ax) : cur;
  }));
}

/** Counts (or weight sums) of each value of x in [0, size) into `out` rows of `size`. */
function countInto(op, xv, wv, size, binary, out, rowOf) {
  xv.forEach((v, i) => {
    if (v < 0) throw new Error(`${op}: input x must be non-negative, found ${v}`);
    if (v >= size) return;
    const at = rowOf(i) * size + v;
    out[at] = binary ? 1 : out[at] + (wv ? wv[i] : 1);
  });
}

function checkCounts(op, X, W, size) {
  if (X.dtype !== 'int32') throw new Error(`${op}: x must be an int32 tensor, received ${X.dtype}`);
  if (!Number.isInteger(size) || size < 0) throw new Error(`${op}: size must be a non-negative integer, received ${size}`);
  if (W.size > 0 && (W.shape.length !== X.shape.length || W.shape.some((d, i) => d !== X.shape[i]))) {
    throw new Error(`${op}: weights must have the same shape as x or size 0, received [${W.shape}] for x of shape [${X.shape}]`);
  }
}

/** tf.bincount(x, weights, size): how often each value in [0, size) occurs in the 1-D int32 x (or the sum of its weights). */
export function bincount(x, weights, size) {
  return withTensors('bincount', [x, weights], (X, W) => {
    checkCounts('bincount', X, W, size);
    if (X.rank !== 1) throw new Error(`bincount: x must be 1-D, received rank ${X.rank}`);
    const out = new Float64Array(size);
    countInto('bincount', X.dataSync(), W.size > 0 ? W.dataSync() : null, size, false, out, () => 0);
    return tensor(Array.from(out), [size], W.dtype);
  });
}

/** tf.denseBincount(x, weights, size, binaryOutput = false): bincount of a 1-D x, or of each row of a 2-D one. */
export function denseBincount(x, weights, size, binaryOutput = false) {
  return withTensors('denseBincount', [x, weights], (X, W) => {
    checkCounts('denseBincount', X, W, size);
    if (X.rank !== 1 && X.rank !== 2) throw new Error(`denseBincount: x must be 1-D or 2-D, received rank ${X.rank}`);
    const rows = X.rank === 2 ? X.shape[0] : 1;
    const cols = X.rank === 2 ? X.shape[1] : X.size;
    const out = new Float64Array(rows * size);
    countInto('denseBincount', X.dataSync(), W.size > 0 ? W.dataSync() : null, size, binaryOutput, out, (i) => Math.floor(i / cols));
    return tensor(Array.from(out), X.rank === 2 ? [rows, size] : [size], W.dtype);
  });
}

/** tf.bitwiseAnd(x, y): the bitwise AND of two int32 tensors of one shape. */
export function bitwiseAnd(x, y) {
  return withTensors('bitwiseAnd', [x, y], (X, Y) => {
    if (X.dtype !== 'int32' || Y.dtype !== 'int32') throw new Error(`bitwiseAnd: only int32 is supported, received ${X.dtype} and ${Y.dtype}`);
    if (X.rank !== Y.rank || X.shape.some((d, i) => d !== Y.shape[i])) throw new Error(`bitwiseAnd: x and y must have the same shape, received [${X.shape}] and [${Y.shape}]`);
    const [a, b] = [X.dataSync(), Y.dataSync()];
    return tensor(Int32Array.from(a, (v, i) => v & b[i]), X.shape, 'int32');
  });
}

/**
 * tf.einsum(equation, ...tensors): e.g. 'ij,jk->ik'. Each operand is laid out over every index
 * letter (size 1 where it lacks one), the operands multiplied with broadcasting, and the letters
 * not in the output summed. Without '->', the output is the letters used once, in order.
 */
export function einsum(equation, ...tensors) {
  if (typeof equation !== 'string') throw new Error(`einsum: the equation must be a string, received ${equation}`);
  const [lhs, given] = equation.replace(/\s/g, '').split('->');
  const terms = lhs.split(',');
  if (terms.length !== tensors.length) throw new Error(`einsum: the equation names ${terms.length} operands, ${tensors.length} tensors were given`);
  if (/[^a-zA-Z,]/.test(lhs) || (given !== undefined && /[^a-zA-Z]/.test(given))) throw new Error(`einsum: the equation '${equation}' may use letters, ',' and '->' only (no ellipsis)`);
  const letters = [...new Set(terms.join(''))];
  const out = given ?? letters.filter((c) => terms.join('').split(c).length === 2).sort().join('');
  for (const c of out) if (!letters.includes(c)) throw new Error(`einsum: output index '${c}' does not appear in the inputs of '${equation}'`);
  return withTensors('einsum', tensors, (...ts) => tidy(() => {
    const sizes = {};
    const laid = ts.map((t, k) => {
      const term = terms[k];
      if (term.length !== t.rank) throw new Error(`einsum: operand ${k} ('${term}') has rank ${t.rank}, expected ${term.length}`);
      if (new Set(term).size !== term.length) throw new Error(`einsum: an index repeated within one operand ('${term}') is not supported`);
      [...term].forEach((c, i) => {
        if (sizes[c] !== undefined && sizes[c] !== t.shape[i]) throw new Error(`einsum: index '${c}' has size ${sizes[c]} and ${t.shape[i]} in '${equation}'`);
        sizes[c] = t.shape[i];
      });
      const present = letters.filter((c) => term.includes(c));
      const moved = transpose(t, present.map((c) => term.indexOf(c)));
      return reshape(moved, letters.map((c) => (term.includes(c) ? sizes[c] : 1)));
    });
    let prodT = laid[0];
    for (const t of laid.slice(1)) prodT = mul(prodT, t);
    prodT = broadcastTo(prodT, letters.map((c) => sizes[c]));
    const summed = letters.map((c, i) => (out.includes(c) ? -1 : i)).filter((i) => i >= 0);
    const reduced = summed.length ? sum(prodT, summed) : prodT;
    const kept = letters.filter((c) => out.includes(c));
    return transpose(reduced, [...out].map((c) => kept.indexOf(c)));
  }));
}

/** The smallest power of two at least `value` (TF.js's signal helper). */
export const enclosingPowerOfTwo = (value) => Math.floor(2 ** Math.ceil(Math.log(value) / Math.log(2.0)));

/** tf.cosineWindow(windowLength, a, b): a - b cos(2πi / (N - 1)) for a periodic-even window of N = windowLength + (1 if even). */
export function cosineWindow(windowLength, a, b) {
  const even = 1 - (windowLength % 2);
  const v = new Float32Array(windowLength);
  for (let i = 0; i < windowLength; i++) v[i] = a - b * Math.cos((2.0 * Math.PI * i) / (windowLength + even - 1));
  return tensor(v, [windowLength]);
}

/**
 * tf.signal.frame(signal, frameLength, frameStep, padEnd = false, padValue = 0): the 1-D signal
 * cut into [numFrames, frameLength] windows frameStep apart (with padEnd, the last ones padded).
 */
export function frame(signal, frameLength, frameStep, padEnd = false, padValue = 0) {
  return withTensors('frame', [signal], (S) => tidy(() => {
    if (S.rank !== 1) throw new Error(`frame: the signal must be 1-D, received shape [${S.shape}]`);
    if (!(frameLength >= 1) || !(frameStep >= 1)) throw new Error(`frame: frameLength and frameStep must be positive, received ${frameLength} and ${frameStep}`);
    const n = S.size;
    const starts = [];
    for (let s0 = 0; s0 + frameLength <= n; s0 += frameStep) starts.push(s0);
    if (padEnd) for (let s0 = starts.length ? starts[starts.length - 1] + frameStep : 0; s0 < n; s0 += frameStep) starts.push(s0);
    if (starts.length === 0) return tensor([], [0, frameLength]);
    // Positions past the end read the pad value, appended once after the signal.
    const idx = starts.flatMap((s0) => Array.from({ length: frameLength }, (_, k) => Math.min(s0 + k, n)));
    const padded = concat([cast(S, 'float32'), tensor([padValue])], 0);
    return reshape(gather(padded, tensor(idx, [idx.length], 'int32'), 0), [starts.length, frameLength]);
  }));
}

export const signal = {
  hannWindow: (windowLength) => cosineWindow(windowLength, 0.5, 0.5),
  hammingWindow: (windowLength) => cosineWindow(windowLength, 0.54, 0.46),
  frame,
};

Tensor.prototype.atan2 = function (b) { return atan2(this, b); };
Tensor.prototype.prod = function (axis, keepDims) { return prod(this, axis, keepDims); };
Tensor.prototype.cumprod = function (axis, exclusive, reverseOrder) { return cumprod(this, axis, exclusive, reverseOrder); };

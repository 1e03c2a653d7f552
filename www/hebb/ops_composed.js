// Ops TF.js users call that are compositions of Hebb's primitive ops (so they run, and
// differentiate, on both backends with no kernel of their own), TensorBuffer, and the small
// top-level helpers: tf.buffer, clone, tensor5d/6d, moments, tile, split, nextFrame.
import { Tensor, tensor, tidy, zerosLike, onesLike } from './tensor.js';
import { reshape, broadcastTo, slice, mean, square, sub, cast, stack, unstack, oneHot, matMul, transpose, where } from './ops.js';
import { computeStrides, locToIndex as locIndex, indexToLoc as indexLoc, getArrayFromDType, sizeFromShape } from './util.js';

const DTYPES = ['float32', 'int32', 'bool'];

/** A mutable array of values with a shape, turned into a tensor with toTensor() (TF.js's TensorBuffer). */
export class TensorBuffer {
  constructor(shape, dtype = 'float32', values) {
    if (!DTYPES.includes(dtype)) throw new Error(`buffer: dtype must be one of ${DTYPES.join(', ')}, received ${dtype}`);
    this.dtype = dtype;
    this.shape = shape.slice();
    this.size = sizeFromShape(shape);
    if (values != null) {
      if (values.length !== this.size) {
        throw new Error(`Length of values '${values.length}' does not match the size inferred by the shape '${this.size}'.`);
      }
      this.values = values;
    } else {
      this.values = getArrayFromDType(dtype, this.size);
    }
    this.strides = computeStrides(shape);
  }

  get rank() { return this.shape.length; }

  /** Sets the value at `locs` (one coordinate per dimension). */
  set(value, ...locs) {
    if (locs.length === 0) locs = [0];
    if (locs.length !== this.rank) throw new Error(`The number of provided coordinates (${locs.length}) must match the rank (${this.rank})`);
    this.values[this.locToIndex(locs)] = value;
  }

  /** The value at `locs`. */
  get(...locs) {
    if (locs.length === 0) locs = [0];
    locs.forEach((l, i) => {
      if (l < 0 || l >= this.shape[i]) throw new Error(`Requested out of range element at ${locs}.   Buffer shape=${this.shape}`);
    });
    return this.values[this.locToIndex(locs)];
  }

  locToIndex(locs) { return locIndex(locs, this.rank, this.strides); }
  indexToLoc(index) { return indexLoc(index, this.rank, this.strides); }
  toTensor() { return tensor(this.values, this.shape, this.dtype); }
}

/** tf.buffer(shape, dtype?, values?) */
export function buffer(shape, dtype = 'float32', values) { return new TensorBuffer(shape, dtype, values); }

Tensor.prototype.bufferSync = function () { return new TensorBuffer(this.shape, this.dtype, this.dataSync()); };
Tensor.prototype.buffer = async function () { return new TensorBuffer(this.shape, this.dtype, await this.data()); };

/** tf.clone(x): a new tensor with x's values. */
export function clone(x) {
  if (!(x instanceof Tensor)) return tensor(x);
  return x.clone();
}

function rankCheck(name, values, shape, rank) {
  let s = shape;
  if (!s) {
    s = [];
    for (let v = values; Array.isArray(v) || ArrayBuffer.isView(v); v = v[0]) s.push(v.length);
  }
  if (s.length !== rank) throw new Error(`${name}: expected a rank-${rank} tensor, received shape [${s}]`);
}
export const tensor5d = (v, shape, dtype) => { rankCheck('tensor5d', v, shape, 5); return tensor(v, shape, dtype); };
export const tensor6d = (v, shape, dtype) => { rankCheck('tensor6d', v, shape, 6); return tensor(v, shape, dtype); };

/** tf.moments(x, axis?, keepDims?): the mean and variance over `axis` (every axis by default). */
export function moments(x, axis = null, keepDims = false) {
  const X = x instanceof Tensor ? x : tensor(x);
  try {
    const rank = X.rank;
    const axes = axis == null ? [...Array(rank).keys()] : [].concat(axis).map((a) => (a < 0 ? rank + a : a));
    return tidy(() => {
      const xf = cast(X, 'float32');
      const m = mean(xf, axes, keepDims);
      const kept = X.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const variance = mean(square(sub(xf, reshape(m, kept))), axes, keepDims);
      return { mean: m, variance };
    });
  } finally {
    if (X !== x) X.dispose();
  }
}

/** tf.tile(x, reps): x repeated reps[i] times along axis i. */
export function tile(x, reps) {
  const X = x instanceof Tensor ? x : tensor(x);
  try {
    if (!Array.isArray(reps) || reps.length !== X.rank) {
      throw new Error(`tile: rank of input ${X.rank} must match length of reps [${reps}] (input shape [${X.shape}])`);
    }
    reps.forEach((r, i) => { if (!Number.isInteger(r) || r < 0) throw new Error(`tile: reps[${i}] must be a non-negative integer, received ${r}`); });
    return tidy(() => {
      let t = X;
      let shape = X.shape;
      // One axis at a time: a new axis of size r before it, broadcast, then merged into it.
      reps.forEach((r, i) => {
        if (r === 1) return;
        const widened = [...shape.slice(0, i), 1, ...shape.slice(i)];
        const spread = [...shape.slice(0, i), r, ...shape.slice(i)];
        shape = shape.map((d, k) => (k === i ? d * r : d));
        t = reshape(broadcastTo(reshape(t, widened), spread), shape);
      });
      return t === X ? X.clone() : t;
    });
  } finally {
    if (X !== x) X.dispose();
  }
}

/**
 * tf.split(x, numOrSizeSplits, axis?): `numOrSizeSplits` equal parts along `axis`, or parts of
 * the listed sizes (one of them may be -1: what is left).
 */
export function split(x, numOrSizeSplits, axis = 0) {
  const X = x instanceof Tensor ? x : tensor(x);
  try {
    const rank = X.rank;
    const ax = axis < 0 ? rank + axis : axis;
    if (!Number.isInteger(ax) || ax < 0 || ax >= rank) throw new Error(`split: axis ${axis} is out of range for a rank-${rank} tensor`);
    const dim = X.shape[ax];
    let sizes;
    if (typeof numOrSizeSplits === 'number') {
      if (!Number.isInteger(numOrSizeSplits) || numOrSizeSplits <= 0 || dim % numOrSizeSplits !== 0) {
        throw new Error(`split: number of splits must evenly divide the axis: ${numOrSizeSplits} splits of axis ${ax} (size ${dim}) of shape [${X.shape}]`);
      }
      sizes = new Array(numOrSizeSplits).fill(dim / numOrSizeSplits);
    } else if (Array.isArray(numOrSizeSplits)) {
      const free = numOrSizeSplits.filter((s) => s === -1).length;
      if (free > 1) throw new Error('split: there should be only one negative value in split array');
      const known = numOrSizeSplits.reduce((a, s) => (s === -1 ? a : a + s), 0);
      sizes = numOrSizeSplits.map((s) => (s === -1 ? dim - known : s));
      if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== dim) {
        throw new Error(`split: the sizes [${numOrSizeSplits}] must add up to axis ${ax}'s size ${dim} (shape [${X.shape}])`);
      }
    } else {
      throw new Error(`split: numOrSizeSplits must be a number or an array of sizes, received ${String(numOrSizeSplits)}`);
    }
    let at = 0;
    return sizes.map((s) => {
      const begin = X.shape.map((_, i) => (i === ax ? at : 0));
      const size = X.shape.map((d, i) => (i === ax ? s : d));
      at += s;
      return slice(X, begin, size);
    });
  } finally {
    if (X !== x) X.dispose();
  }
}

/**
 * tf.math.confusionMatrix(labels, predictions, numClasses): an int32 [numClasses, numClasses]
 * matrix counting each (label, prediction) pair, as TF.js composes it (one-hot products).
 */
export function confusionMatrix(labels, predictions, numClasses) {
  const L = labels instanceof Tensor ? labels : tensor(labels, undefined, 'int32');
  const P = predictions instanceof Tensor ? predictions : tensor(predictions, undefined, 'int32');
  try {
    const need = (ok, msg) => { if (!ok) throw new Error(`confusionMatrix: ${msg}`); };
    need(numClasses == null || (numClasses > 0 && Number.isInteger(numClasses)), `If provided, numClasses must be a positive integer, but got ${numClasses}`);
    need(L.rank === 1, `Expected the rank of labels to be 1, but got ${L.rank}`);
    need(P.rank === 1, `Expected the rank of predictions to be 1, but got ${P.rank}`);
    need(L.shape[0] === P.shape[0], `Mismatch in the number of examples: ${L.shape[0]} vs. ${P.shape[0]}. Labels and predictions should have the same number of elements.`);
    need(numClasses > 0 && Number.isInteger(numClasses), `numClasses is required to be a positive integer, but got ${numClasses}`);
    return tidy(() => {
      const l = cast(oneHot(cast(L, 'int32'), numClasses), 'float32');
      const p = cast(oneHot(cast(P, 'int32'), numClasses), 'float32');
      return cast(matMul(transpose(l), p), 'int32');
    });
  } finally {
    if (L !== labels) L.dispose();
    if (P !== predictions) P.dispose();
  }
}
export const math = { confusionMatrix };

/** Resolves at the browser's next animation frame (a loop yields to the page with `await tf.nextFrame()`). */
export function nextFrame() {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => resolve());
    else setTimeout(resolve, 0);
  });
}

// Tensor methods TF.js has that these compose.
Object.assign(Tensor.prototype, {
  tile(reps) { return tile(this, reps); },
  split(numOrSizeSplits, axis) { return split(this, numOrSizeSplits, axis); },
  stack(other, axis = 0) { return stack([this, ...(Array.isArray(other) ? other : [other])], axis); },
  unstack(axis = 0) { return unstack(this, axis); },
  reshapeAs(other) { return reshape(this, other.shape); },
  asScalar() {
    if (this.size !== 1) throw new Error(`asScalar: the tensor must have size 1, but has shape [${this.shape}]`);
    return reshape(this, []);
  },
  as3D(rows, columns, depth) { return reshape(this, [rows, columns, depth]); },
  as4D(rows, columns, depth, depth2) { return reshape(this, [rows, columns, depth, depth2]); },
  as5D(rows, columns, depth, depth2, depth3) { return reshape(this, [rows, columns, depth, depth2, depth3]); },
  toBool() { return cast(this, 'bool'); },
  zerosLike() { return zerosLike(this); },
  onesLike() { return onesLike(this); },
  throwIfDisposed() {
    if (this.isDisposed) throw new Error('Tensor is disposed.');
  },
  /** The values' bytes (as TF.js: a view of the typed array's buffer). */
  async bytes() {
    const d = await this.data();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  },
  oneHot(depth, onValue, offValue) { return oneHot(this, depth, onValue, offValue); },
  /** x.where(condition, other): this where condition holds, else other (TF.js's argument order). */
  where(condition, other) { return where(condition, this, other); },
});
Object.defineProperty(Tensor.prototype, 'strides', {
  get() { return computeStrides(this.shape); },
  configurable: true,
});
/** TF.js's rankType: the rank as a string, 'higher' from 5 on. */
Object.defineProperty(Tensor.prototype, 'rankType', {
  get() { return this.rank < 5 ? String(this.rank) : 'higher'; },
  configurable: true,
});


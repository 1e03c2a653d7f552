// tf.util: TF.js's helpers for shapes, arrays, dtypes and strings, with TF.js 4.22's behaviour
// and messages (a program that calls them gets what it got from TF.js).
import { engine } from './engine.js';

const TYPED = [Float32Array, Int32Array, Uint8Array, Uint8ClampedArray];

export function isTypedArray(a) { return TYPED.some((T) => a instanceof T); }
export function isString(v) { return typeof v === 'string' || v instanceof String; }
export function isBoolean(v) { return typeof v === 'boolean'; }
export function isNumber(v) { return typeof v === 'number'; }
export function isInt(a) { return a % 1 === 0; }
export function isFunction(f) { return !!(f && f.constructor && f.call && f.apply); }
export function isPromise(o) { return !!(o && o.then && typeof o.then === 'function'); }
export function isScalarShape(shape) { return shape.length === 0; }
export function isValidDtype(dtype) { return ['bool', 'complex64', 'float32', 'int32', 'string'].includes(dtype); }

/** Throws an Error with `msg` (a string or a function giving one) unless `expr`. */
export function assert(expr, msg) {
  if (!expr) throw new Error(typeof msg === 'string' ? msg : msg());
}
export function assertShapesMatch(shapeA, shapeB, errorMessagePrefix = '') {
  assert(arraysEqual(shapeA, shapeB), () => `${errorMessagePrefix} Shapes ${shapeA} and ${shapeB} must match`);
}
export function assertNonNull(a) {
  assert(a != null, () => 'The input to the tensor constructor must be a non-null value.');
}
export function assertNonNegativeIntegerDimensions(shape) {
  shape.forEach((d) => assert(Number.isInteger(d) && d >= 0, () => `Tensor must have a shape comprised of positive integers but got shape [${shape}].`));
}

export function arraysEqual(n1, n2) {
  if (n1 === n2) return true;
  if (n1 == null || n2 == null || n1.length !== n2.length) return false;
  for (let i = 0; i < n1.length; i++) if (n1[i] !== n2[i]) return false;
  return true;
}
export function arraysEqualWithNull(n1, n2) {
  if (n1 === n2) return true;
  if (n1 == null || n2 == null || n1.length !== n2.length) return false;
  for (let i = 0; i < n1.length; i++) if (n1[i] !== null && n2[i] !== null && n1[i] !== n2[i]) return false;
  return true;
}

/** Fisher-Yates, in place. */
export function shuffle(array) {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    swap(array, i, j);
  }
}
/** Shuffles two arrays of one length with the same permutation. */
export function shuffleCombo(array, array2) {
  if (array.length !== array2.length) {
    throw new Error(`Array sizes must match to be shuffled together First array length was ${array.length}Second array length was ${array2.length}`);
  }
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    swap(array, i, j);
    swap(array2, i, j);
  }
}
export function createShuffledIndices(n) {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  shuffle(out);
  return out;
}
export function swap(object, left, right) {
  const t = object[left];
  object[left] = object[right];
  object[right] = t;
}

export function clamp(min, x, max) { return Math.max(min, Math.min(x, max)); }
export function nearestLargerEven(v) { return v % 2 === 0 ? v : v + 1; }
export function sum(arr) { let s = 0; for (const v of arr) s += v; return s; }
export function randUniform(a, b) { const r = Math.random(); return b * r + (1 - r) * a; }
export function distSquared(a, b) {
  let r = 0;
  for (let i = 0; i < a.length; i++) { const d = Number(a[i]) - Number(b[i]); r += d * d; }
  return r;
}
export function tanh(x) { return Math.tanh(x); }
export function nearestDivisor(size, start) {
  for (let i = start; i < size; ++i) if (size % i === 0) return i;
  return size;
}
export function sizeToSquarishShape(size) {
  const width = Math.ceil(Math.sqrt(size));
  return [width, Math.ceil(size / width)];
}
export function rightPad(a, size) { return size <= a.length ? a : a + ' '.repeat(size - a.length); }
export function now() { return globalThis.performance?.now() ?? Date.now(); }
export function fetch(path, requestInits) { return globalThis.fetch(path, requestInits); }

/** Calls `checkFn` until it returns true, waiting `delayFn(tries)` ms between; rejects after `maxCounter` tries. */
export function repeatedTry(checkFn, delayFn = () => 0, maxCounter, scheduleFn) {
  return new Promise((resolve, reject) => {
    let tries = 0;
    const attempt = () => {
      if (checkFn()) { resolve(); return; }
      tries++;
      const next = delayFn(tries);
      if (maxCounter != null && tries >= maxCounter) { reject(); return; }
      if (scheduleFn != null) scheduleFn(attempt, next); else setTimeout(attempt, next);
    };
    attempt();
  });
}

export function sizeFromShape(shape) {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}
export function computeStrides(shape) {
  const rank = shape.length;
  if (rank < 2) return [];
  const strides = new Array(rank - 1);
  strides[rank - 2] = shape[rank - 1];
  for (let i = rank - 3; i >= 0; --i) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}
export function locToIndex(locs, rank, strides) {
  if (rank === 0) return 0;
  if (rank === 1) return locs[0];
  let index = locs[locs.length - 1];
  for (let i = 0; i < locs.length - 1; ++i) index += strides[i] * locs[i];
  return index;
}
export function indexToLoc(index, rank, strides) {
  if (rank === 0) return [];
  if (rank === 1) return [index];
  const locs = new Array(rank);
  for (let i = 0; i < locs.length - 1; ++i) {
    locs[i] = Math.floor(index / strides[i]);
    index -= locs[i] * strides[i];
  }
  locs[locs.length - 1] = index;
  return locs;
}
/** A shape with its one -1 filled in from `size`. */
export function inferFromImplicitShape(shape, size) {
  let prod = 1;
  let implicit = -1;
  for (let i = 0; i < shape.length; ++i) {
    if (shape[i] >= 0) prod *= shape[i];
    else if (shape[i] === -1) {
      if (implicit !== -1) throw Error(`Shapes can only have 1 implicit size. Found -1 at dim ${implicit} and dim ${i}`);
      implicit = i;
    } else if (shape[i] < 0) {
      throw Error(`Shapes can not be < 0. Found ${shape[i]} at dim ${i}`);
    }
  }
  if (implicit === -1) {
    if (size > 0 && size !== prod) throw Error(`Size(${size}) must match the product of shape ${shape}`);
    return shape;
  }
  if (prod === 0) throw Error(`Cannot infer the missing size in [${shape}] when there are 0 elements`);
  if (size % prod !== 0) throw Error(`The implicit shape can't be a fractional number. Got ${size} / ${prod}`);
  const out = shape.slice();
  out[implicit] = size / prod;
  return out;
}
/** Axes in [0, rank): `axis` (a number, a list, or null for all) with negatives counted from the end. */
export function parseAxisParam(axis, shape) {
  const rank = shape.length;
  const axes = axis == null ? shape.map((s, i) => i) : [].concat(axis);
  assert(axes.every((ax) => ax >= -rank && ax < rank), () => `All values in axis param must be in range [-${rank}, ${rank}) but got axis ${axes}`);
  assert(axes.every((ax) => isInt(ax)), () => `All values in axis param must be integers but got axis ${axes}`);
  return axes.map((a) => (a < 0 ? rank + a : a));
}
/** The shape without its size-1 dims (those of `axis` only, when given) and the dims kept. */
export function squeezeShape(shape, axis) {
  const newShape = [];
  const keptDims = [];
  const empty = axis != null && Array.isArray(axis) && axis.length === 0;
  const axes = axis == null || empty ? null : parseAxisParam(axis, shape).sort();
  let j = 0;
  for (let i = 0; i < shape.length; ++i) {
    if (axes != null) {
      if (axes[j] === i && shape[i] !== 1) throw new Error(`Can't squeeze axis ${i} since its dim '${shape[i]}' is not 1`);
      if ((axes[j] == null || axes[j] > i) && shape[i] === 1) {
        newShape.push(shape[i]);
        keptDims.push(i);
      }
      if (axes[j] <= i) j++;
    }
    if (shape[i] !== 1) {
      newShape.push(shape[i]);
      keptDims.push(i);
    }
  }
  return { newShape, keptDims };
}

export function bytesPerElement(dtype) {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'complex64') return 8;
  if (dtype === 'bool') return 1;
  throw new Error(`Unknown dtype ${dtype}`);
}
export function bytesFromStringArray(arr) {
  if (arr == null) return 0;
  let bytes = 0;
  arr.forEach((x) => { bytes += x.length; });
  return bytes;
}
export function hasEncodingLoss(oldType, newType) {
  if (newType === 'complex64') return false;
  if (newType === 'float32' && oldType !== 'complex64') return false;
  if (newType === 'int32' && oldType !== 'float32' && oldType !== 'complex64') return false;
  if (newType === 'bool' && oldType === 'bool') return false;
  return true;
}
export function inferDtype(values) {
  if (Array.isArray(values)) return inferDtype(values[0]);
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Int32Array || values instanceof Uint8Array || values instanceof Uint8ClampedArray) return 'int32';
  if (isNumber(values)) return 'float32';
  if (isString(values)) return 'string';
  if (isBoolean(values)) return 'bool';
  return 'float32';
}
export function getTypedArrayFromDType(dtype, size) {
  if (dtype == null || dtype === 'float32') return new Float32Array(size);
  if (dtype === 'int32') return new Int32Array(size);
  if (dtype === 'bool') return new Uint8Array(size);
  throw new Error(`Unknown data type ${dtype}`);
}
export function getArrayFromDType(dtype, size) {
  return dtype === 'string' ? new Array(size) : getTypedArrayFromDType(dtype, size);
}
export function makeZerosTypedArray(size, dtype) {
  if (dtype == null || dtype === 'float32' || dtype === 'complex64') return new Float32Array(size);
  if (dtype === 'int32') return new Int32Array(size);
  if (dtype === 'bool') return new Uint8Array(size);
  throw new Error(`Unknown data type ${dtype}`);
}
export function makeOnesTypedArray(size, dtype) {
  const a = makeZerosTypedArray(size, dtype);
  a.fill(1);
  return a;
}
export function makeZerosNestedTypedArray(shape, dtype) {
  const size = shape.reduce((p, d) => p * d, 1);
  if (dtype == null || dtype === 'float32') return toNestedArray(shape, new Float32Array(size));
  if (dtype === 'int32') return toNestedArray(shape, new Int32Array(size));
  if (dtype === 'bool') return toNestedArray(shape, new Uint8Array(size));
  throw new Error(`Unknown data type ${dtype}`);
}
export function toTypedArray(a, dtype) {
  if (dtype === 'string') throw new Error('Cannot convert a string[] to a TypedArray');
  if (Array.isArray(a)) a = flatten(a);
  if ((a instanceof Float32Array && dtype === 'float32') || (a instanceof Int32Array && dtype === 'int32') || (a instanceof Uint8Array && dtype === 'bool')) return a;
  if (dtype == null || dtype === 'float32' || dtype === 'complex64') return new Float32Array(a);
  if (dtype === 'int32') return new Int32Array(a);
  if (dtype === 'bool') {
    const out = new Uint8Array(a.length);
    for (let i = 0; i < a.length; ++i) if (Math.round(a[i]) !== 0) out[i] = 1;
    return out;
  }
  throw new Error(`Unknown data type ${dtype}`);
}
export function createScalarValue(value, dtype) {
  return dtype === 'string' ? encodeString(value) : toTypedArray([value], dtype);
}

/** Nested arrays and typed arrays flattened into `result` (typed arrays kept whole with `skipTypedArray`). */
export function flatten(arr, result = [], skipTypedArray = false) {
  if (result == null) result = [];
  if (typeof arr === 'boolean' || typeof arr === 'number' || typeof arr === 'string' || isPromise(arr) || arr == null || (isTypedArray(arr) && skipTypedArray)) {
    result.push(arr);
  } else if (Array.isArray(arr) || isTypedArray(arr)) {
    for (let i = 0; i < arr.length; ++i) flatten(arr[i], result, skipTypedArray);
  } else {
    let max = -1;
    for (const key of Object.keys(arr)) if (/^([1-9]+[0-9]*|0)$/.test(key)) max = Math.max(max, Number(key));
    for (let i = 0; i <= max; i++) flatten(arr[i], result, skipTypedArray);
  }
  return result;
}
/** `a` (flat) as nested arrays of `shape`. */
export function toNestedArray(shape, a, isComplex = false) {
  if (shape.length === 0) return a[0];
  const size = shape.reduce((p, d) => p * d, 1) * (isComplex ? 2 : 1);
  if (size === 0) return [];
  if (size !== a.length) throw new Error(`[${shape}] does not match the input size ${a.length}${isComplex ? ' for a complex tensor' : ''}.`);
  const nest = (offset, dims) => {
    const out = [];
    if (dims.length === 1) {
      const d = dims[0] * (isComplex ? 2 : 1);
      for (let i = 0; i < d; i++) out[i] = a[offset + i];
      return out;
    }
    const [first, ...rest] = dims;
    const len = rest.reduce((p, d) => p * d, 1) * (isComplex ? 2 : 1);
    for (let i = 0; i < first; i++) out[i] = nest(offset + i * len, rest);
    return out;
  };
  return nest(0, shape);
}

export function encodeString(s, encoding = 'utf-8') {
  if (encoding !== 'utf-8' && encoding !== 'utf8') throw new Error(`Browser's encoder only supports utf-8, but got ${encoding}`);
  return new TextEncoder().encode(s);
}
export function decodeString(bytes, encoding = 'utf-8') {
  return new TextDecoder(encoding).decode(bytes);
}

/** TF.js's tf.util, plus Hebb's seed (its global random streams: weights, shuffling, dropout). */
export const util = {
  seed(s) { engine.set_seed(s); },
  isTypedArray, isString, isBoolean, isNumber, isInt, isFunction, isPromise, isScalarShape, isValidDtype,
  assert, assertShapesMatch, assertNonNull, assertNonNegativeIntegerDimensions, arraysEqual, arraysEqualWithNull,
  shuffle, shuffleCombo, createShuffledIndices, swap, clamp, nearestLargerEven, sum, randUniform, distSquared, tanh,
  nearestDivisor, sizeToSquarishShape, rightPad, now, fetch, repeatedTry, sizeFromShape, computeStrides, locToIndex,
  indexToLoc, inferFromImplicitShape, parseAxisParam, squeezeShape, bytesPerElement, bytesFromStringArray,
  hasEncodingLoss, inferDtype, getTypedArrayFromDType, getArrayFromDType, makeZerosTypedArray, makeOnesTypedArray,
  makeZerosNestedTypedArray, toTypedArray, createScalarValue, flatten, toNestedArray, encodeString, decodeString,
};

// Data-dependent ops TF.js users call, whose output size depends on the values: topk, unique,
// multinomial, and the async ones (whereAsync, booleanMaskAsync, setdiff1dAsync, inTopKAsync).
// They read the values and compute on the CPU (TF.js's GPU backends do the same for most of them);
// none of them has a gradient in TF.js.
import { Tensor, tensor, tidy } from './tensor.js';
import { reshape, gather, softmax } from './ops.js';

const own = (x, name) => {
  if (x instanceof Tensor) return [x, false];
  if (x === null || x === undefined) throw new Error(`${name}: received ${x} where a tensor was expected`);
  return [tensor(x), true];
};
function withValues(name, xs, f) {
  const made = xs.map((x) => own(x, name));
  try {
    return f(...made.map(([t]) => t));
  } finally {
    made.forEach(([t, temp]) => { if (temp) t.dispose(); });
  }
}

/** tf.topk(x, k = 1, sorted = true): the k largest values along the last axis and their indices (largest first either way, as TF.js's CPU backend). */
export function topk(x, k = 1, sorted = true) {
  void sorted;
  return withValues('topk', [x], (X) => {
    if (X.rank === 0) throw new Error('topk() expects the input to be of rank 1 or higher');
    const last = X.shape[X.rank - 1];
    if (k < 0) throw new Error(`'k' passed to topk() must be >= 0 but got ${k}`);
    if (k > last) throw new Error(`'k' passed to topk() must be <= the last dimension (${last}) but got ${k}`);
    const data = X.dataSync();
    const rows = X.size / Math.max(last, 1);
    const values = new Float32Array(rows * k);
    const indices = new Int32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const order = Array.from({ length: last }, (_, j) => j);
      // Larger first; equal values keep their order (lower index first), as TF.js.
      order.sort((a, b) => data[r * last + b] - data[r * last + a] || a - b);
      // With sorted = false the order is unspecified; TF.js's CPU backend keeps it sorted too.
      const chosen = order.slice(0, k);
      chosen.forEach((j, i) => {
        values[r * k + i] = data[r * last + j];
        indices[r * k + i] = j;
      });
    }
    const shape = [...X.shape.slice(0, -1), k];
    return { values: tensor(values, shape, X.dtype), indices: tensor(indices, shape, 'int32') };
  });
}

/** tf.unique(x, axis = 0): the distinct slices along `axis` in order of appearance, and each slice's index among them. */
export function unique(x, axis = 0) {
  return withValues('unique', [x], (X) => {
    const ax = axis < 0 ? X.rank + axis : axis;
    if (ax < 0 || ax >= Math.max(X.rank, 1)) throw new Error(`unique: axis ${axis} is out of range for a rank-${X.rank} tensor`);
    const data = X.dataSync();
    const n = X.shape[ax];
    const outer = X.shape.slice(0, ax).reduce((a, b) => a * b, 1);
    const inner = X.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
    const key = (i) => {
      const parts = [];
      for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) parts.push(data[(o * n + i) * inner + j]);
      return parts.join(',');
    };
    const seen = new Map();
    const firsts = [];
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = key(i);
      if (!seen.has(k)) {
        seen.set(k, firsts.length);
        firsts.push(i);
      }
      indices[i] = seen.get(k);
    }
    const idx = tensor(firsts, [firsts.length], 'int32');
    try {
      return { values: gather(X, idx, ax), indices: tensor(indices, [n], 'int32') };
    } finally {
      idx.dispose();
    }
  });
}

/** A seeded stream of numbers in [0, 1) (mulberry32), or Math.random without a seed. */
export function stream(seed) {
  if (seed === undefined || seed === null) return Math.random;
  let a = Math.floor(seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * tf.multinomial(logits, numSamples, seed?, normalized = false): numSamples class indices drawn
 * per row of logits (probabilities when normalized). The draws come from Hebb's own stream, so a
 * seed repeats Hebb's draws, not TF.js's.
 */
export function multinomial(logits, numSamples, seed, normalized = false) {
  return withValues('multinomial', [logits], (L) => {
    if (L.rank !== 1 && L.rank !== 2) throw new Error(`Rank of probabilities must be 1 or 2, but is ${L.rank}`);
    if (!Number.isInteger(numSamples) || numSamples < 1) throw new Error(`multinomial: numSamples must be a positive integer, received ${numSamples}`);
    const numClasses = L.shape[L.rank - 1];
    if (numClasses < 2) throw new Error(`Number of outcomes must be greater than 1, got ${numClasses}`);
    const probs = normalized ? L : tidy(() => softmax(reshape(L, [-1, numClasses])));
    const p = probs.dataSync();
    if (probs !== L) probs.dispose();
    const rows = p.length / numClasses;
    const next = stream(seed);
    const out = new Int32Array(rows * numSamples);
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (let c = 0; c < numClasses; c++) total += p[r * numClasses + c];
      for (let s = 0; s < numSamples; s++) {
        let u = next() * total;
        let c = 0;
        while (c < numClasses - 1 && u >= p[r * numClasses + c]) {
          u -= p[r * numClasses + c];
          c++;
        }
        out[r * numSamples + s] = c;
      }
    }
    return tensor(out, L.rank === 1 ? [numSamples] : [rows, numSamples], 'int32');
  });
}

/** tf.whereAsync(condition): the coordinates of the true elements, an int32 [count, rank] tensor. */
export async function whereAsync(condition) {
  const [C, temp] = own(condition, 'whereAsync');
  try {
    const data = await C.data();
    const shape = C.shape;
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const coords = [];
    for (let i = 0; i < data.length; i++) {
      if (!data[i]) continue;
      for (const s of strides.map((st, k) => Math.floor(i / st) % shape[k])) coords.push(s);
    }
    return tensor(coords, [coords.length / Math.max(shape.length, 1), shape.length], 'int32');
  } finally {
    if (temp) C.dispose();
  }
}

/** tf.booleanMaskAsync(tensor, mask, axis = 0): the slices where mask (over axes axis..) is true. */
export async function booleanMaskAsync(x, mask, axis = 0) {
  const [X, tx] = own(x, 'booleanMaskAsync');
  const [M, tm] = own(mask, 'booleanMaskAsync');
  try {
    if (M.rank === 0) throw new Error('mask cannot be scalar');
    const ax = axis ?? 0;
    const masked = X.shape.slice(ax, ax + M.rank);
    if (masked.length !== M.rank || masked.some((d, i) => d !== M.shape[i])) {
      throw new Error(`mask's shape must match the first K dimensions of tensor's shape, Shapes ${X.shape.slice(ax, ax + M.rank)} and ${M.shape} must match`);
    }
    const m = await M.data();
    const keep = [];
    m.forEach((v, i) => { if (v) keep.push(i); });
    const flatShape = [...X.shape.slice(0, ax), masked.reduce((a, b) => a * b, 1), ...X.shape.slice(ax + M.rank)];
    return tidy(() => gather(reshape(X, flatShape), tensor(keep, [keep.length], 'int32'), ax));
  } finally {
    if (tx) X.dispose();
    if (tm) M.dispose();
  }
}

/** tf.setdiff1dAsync(x, y): [the values of x not in y, in order, and their indices in x]. */
export async function setdiff1dAsync(x, y) {
  const [X, tx] = own(x, 'setdiff1dAsync');
  const [Y, ty] = own(y, 'setdiff1dAsync');
  try {
    if (X.dtype !== Y.dtype) throw new Error(`x and y should have the same dtype, but got x (${X.dtype}) and y (${Y.dtype}).`);
    if (X.rank !== 1) throw new Error(`x should be 1D tensor, but got x (${X.shape}).`);
    if (Y.rank !== 1) throw new Error(`y should be 1D tensor, but got y (${Y.shape}).`);
    const xs = await X.data();
    const ys = new Set(await Y.data());
    const values = [];
    const indices = [];
    xs.forEach((v, i) => {
      if (!ys.has(v)) {
        values.push(v);
        indices.push(i);
      }
    });
    return [tensor(values, [values.length], X.dtype), tensor(indices, [indices.length], 'int32')];
  } finally {
    if (tx) X.dispose();
    if (ty) Y.dispose();
  }
}

/** tf.inTopKAsync(predictions, targets, k = 1): whether each target is among its row's k largest predictions. */
export async function inTopKAsync(predictions, targets, k = 1) {
  const [P, tp] = own(predictions, 'inTopKAsync');
  const [T, tt] = own(targets, 'inTopKAsync');
  try {
    if (P.rank < 2) throw new Error(`inTopK() expects the predictions to be of rank 2 or higher, but got ${P.rank}`);
    if (P.rank - 1 !== T.rank) throw new Error(`predictions rank should be 1 larger than targets rank, but got predictions rank ${P.rank} and targets rank ${T.rank}`);
    const last = P.shape[P.rank - 1];
    if (!(k > 0 && k <= last)) throw new Error(`'k' passed to inTopK() must be > 0 && <= the predictions last dimension (${last}), but got ${k}`);
    const p = await P.data();
    const t = await T.data();
    const out = new Uint8Array(t.length);
    for (let b = 0; b < t.length; b++) {
      const row = Array.from({ length: last }, (_, j) => [p[b * last + j], j]);
      row.sort((u, v) => v[0] - u[0]);
      out[b] = row.slice(0, k).some(([, j]) => j === t[b]) ? 1 : 0;
    }
    return tensor(out, T.shape, 'bool');
  } finally {
    if (tp) P.dispose();
    if (tt) T.dispose();
  }
}

Object.assign(Tensor.prototype, {
  topk(k, sorted) { return topk(this, k, sorted); },
  unique(axis) { return unique(this, axis); },
});

// Slicing and block-rearranging ops TF.js users call: concat1d..4d, slice1d..4d, stridedSlice
// (its masks resolved here into gathers and a reshape, so it differentiates), ensureShape,
// spaceToBatchND / batchToSpaceND (pads, reshapes and transposes), and tensorScatterUpdate /
// sparseToDense, which place values by index on the CPU (TF.js has no gradient for them).
import { Tensor, tensor, tidy } from './tensor.js';
import { reshape, transpose, slice, concat, gather } from './ops.js';
import { pad } from './ops_shape.js';
import { flatPositions } from './ops_index.js';
import { withTensors } from './op_run.js';

export const concat1d = (tensors) => concat(tensors, 0);
export const concat2d = (tensors, axis) => concat(tensors, axis);
export const concat3d = concat2d;
export const concat4d = concat2d;
export const slice1d = (x, begin, size) => slice(x, [begin], [size]);
export const slice2d = (x, begin, size) => slice(x, begin, size);
export const slice3d = slice2d;
export const slice4d = slice2d;

/** tf.ensureShape(x, shape): x, after checking its shape against `shape` (null matches any size). */
export function ensureShape(x, shape) {
  return withTensors('ensureShape', [x], (X) => {
    const ok = X.rank === shape.length && shape.every((d, i) => d === null || d === undefined || d === X.shape[i]);
    if (!ok) throw new Error(`EnsureShape: Shape of tensor ${X.shape} is not compatible with expected shape ${shape}`);
    return X === x ? X : X.clone();
  });
}

const bit = (mask, i) => (mask & (1 << i)) !== 0;

/**
 * The positions stridedSlice takes along each axis of `shape`, and the output shape: the sparse
 * spec (begin/end/strides with their masks, an ellipsis, new axes) made dense over the input's axes.
 */
function stridedPlan(shape, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask) {
  const n = begin.length;
  if ((ellipsisMask & (ellipsisMask - 1)) !== 0) throw new Error('Multiple ellipses in slice is not allowed.');
  const taken = [...Array(n).keys()].filter((i) => !bit(ellipsisMask, i) && !bit(newAxisMask, i)).length;
  const picks = [];
  const outShape = [];
  let axis = 0;
  const full = () => {
    picks.push(null);
    outShape.push(shape[axis++]);
  };
  for (let i = 0; i < n; i++) {
    if (bit(ellipsisMask, i)) {
      const span = shape.length - taken;
      for (let k = 0; k < span; k++) full();
      continue;
    }
    if (bit(newAxisMask, i)) {
      outShape.push(1);
      continue;
    }
    if (axis >= shape.length) throw new Error(`stridedSlice: the slice spec has more axes than the tensor's rank ${shape.length}`);
    const len = shape[axis];
    const s = strides[i] ?? 1;
    if (s === 0) throw new Error(`stridedSlice: strides[${i}] must not be 0`);
    if (bit(shrinkAxisMask, i)) {
      const at = begin[i] < 0 ? begin[i] + len : begin[i];
      if (!(at >= 0 && at < len)) throw new Error(`stridedSlice: index ${begin[i]} of axis ${axis} is out of range for size ${len}`);
      picks.push([at]);
      axis++;
      continue;
    }
    const clamp = (v) => (s > 0 ? Math.min(Math.max(v, 0), len) : Math.min(Math.max(v, -1), len - 1));
    const norm = (v) => (v < 0 ? v + len : v);
    const b = bit(beginMask, i) ? (s > 0 ? 0 : len - 1) : clamp(norm(begin[i]));
    const e = bit(endMask, i) ? (s > 0 ? len : -1) : clamp(norm(end[i]));
    const idx = [];
    for (let k = b; s > 0 ? k < e : k > e; k += s) idx.push(k);
    picks.push(idx);
    outShape.push(idx.length);
    axis++;
  }
  while (axis < shape.length) full();
  return { picks, outShape };
}

/**
 * tf.stridedSlice(x, begin, end, strides?, beginMask?, endMask?, ellipsisMask?, newAxisMask?,
 * shrinkAxisMask?): x[begin:end:strides] per axis, with NumPy's masks.
 */
export function stridedSlice(x, begin, end, strides, beginMask = 0, endMask = 0, ellipsisMask = 0, newAxisMask = 0, shrinkAxisMask = 0) {
  return withTensors('stridedSlice', [x], (X) => tidy(() => {
    const st = strides ?? begin.map(() => 1);
    const { picks, outShape } = stridedPlan(X.shape, begin, end, st, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask);
    let cur = X;
    picks.forEach((idx, ax) => {
      if (idx === null) return;
      const len = cur.shape[ax];
      const contiguous = idx.length > 0 && idx.every((v, k) => v === idx[0] + k);
      if (contiguous && idx.length === len) return;
      if (contiguous || idx.length === 0) {
        cur = slice(cur, cur.shape.map((_, k) => (k === ax ? (idx[0] ?? 0) : 0)), cur.shape.map((d, k) => (k === ax ? idx.length : d)));
      } else {
        cur = gather(cur, tensor(idx, [idx.length], 'int32'), ax);
      }
    });
    return reshape(cur, outShape);
  }));
}

function checkBlocks(op, X, blockShape, pairs, pairName) {
  const m = blockShape.length;
  if (m < 1 || X.rank < 1 + m) throw new Error(`${op}: input rank ${X.rank} should be > than [blockShape] ${m}`);
  if (!Array.isArray(pairs) || pairs.length !== m || pairs.some((p) => !Array.isArray(p) || p.length !== 2)) {
    throw new Error(`${op}: ${pairName} must be ${m} pairs [before, after], received ${JSON.stringify(pairs)}`);
  }
  if (blockShape.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`${op}: blockShape must hold positive integers, received [${blockShape}]`);
}

/** tf.spaceToBatchND(x, blockShape, paddings): spatial blocks moved into the batch. */
export function spaceToBatchND(x, blockShape, paddings) {
  const op = 'spaceToBatchND';
  return withTensors(op, [x], (X) => tidy(() => {
    checkBlocks(op, X, blockShape, paddings, 'paddings');
    const m = blockShape.length;
    const padded = pad(X, [[0, 0], ...paddings, ...X.shape.slice(1 + m).map(() => [0, 0])]);
    const sp = padded.shape.slice(1, 1 + m);
    sp.forEach((d, i) => {
      if (d % blockShape[i] !== 0) throw new Error(`${op}: input spatial dimensions [${X.shape.slice(1, 1 + m)}] with paddings ${JSON.stringify(paddings)} must be divisible by blockShapes [${blockShape}]`);
    });
    const rest = padded.shape.slice(1 + m);
    const split = reshape(padded, [padded.shape[0], ...sp.flatMap((d, i) => [d / blockShape[i], blockShape[i]]), ...rest]);
    const perm = [...blockShape.map((_, i) => 2 + 2 * i), 0, ...blockShape.map((_, i) => 1 + 2 * i), ...rest.map((_, i) => 1 + 2 * m + i)];
    const prodB = blockShape.reduce((a, b) => a * b, 1);
    return reshape(transpose(split, perm), [padded.shape[0] * prodB, ...sp.map((d, i) => d / blockShape[i]), ...rest]);
  }));
}

/** tf.batchToSpaceND(x, blockShape, crops): the inverse of spaceToBatchND, then cropped. */
export function batchToSpaceND(x, blockShape, crops) {
  const op = 'batchToSpaceND';
  return withTensors(op, [x], (X) => tidy(() => {
    checkBlocks(op, X, blockShape, crops, 'crops');
    const m = blockShape.length;
    const prodB = blockShape.reduce((a, b) => a * b, 1);
    if (X.shape[0] % prodB !== 0) throw new Error(`${op}: input tensor batch is ${X.shape[0]} but is not divisible by the product of the elements of blockShape ${blockShape.join(' * ')} === ${prodB}`);
    const batch = X.shape[0] / prodB;
    const sp = X.shape.slice(1, 1 + m);
    const rest = X.shape.slice(1 + m);
    const split = reshape(X, [...blockShape, batch, ...sp, ...rest]);
    const perm = [m, ...sp.flatMap((_, i) => [m + 1 + i, i]), ...rest.map((_, i) => 1 + 2 * m + i)];
    const merged = reshape(transpose(split, perm), [batch, ...sp.map((d, i) => d * blockShape[i]), ...rest]);
    const size = [batch, ...sp.map((d, i) => d * blockShape[i] - crops[i][0] - crops[i][1]), ...rest];
    if (size.some((d) => d < 0)) throw new Error(`${op}: crops ${JSON.stringify(crops)} are larger than the output [${merged.shape}]`);
    return slice(merged, [0, ...crops.map((c) => c[0]), ...rest.map(() => 0)], size);
  }));
}

/** tf.tensorScatterUpdate(tensor, indices, updates): a copy of tensor with the slices at indices replaced (the last write wins). */
export function tensorScatterUpdate(t, indices, updates) {
  const op = 'tensorScatterUpdate';
  return withTensors(op, [t, indices, updates], (T, I, U) => {
    if (I.dtype !== 'int32') throw new Error(`${op}: indices must be int32, received ${I.dtype}`);
    if (T.dtype !== U.dtype) throw new Error(`${op}: tensor and updates must have one dtype, received ${T.dtype} and ${U.dtype}`);
    const { positions, k } = flatPositions(op, I, T.shape);
    const inner = T.shape.slice(k).reduce((a, b) => a * b, 1);
    if (U.size !== positions.length * inner) throw new Error(`${op}: updates of shape [${U.shape}] do not fit ${positions.length} index rows of slices [${T.shape.slice(k)}]`);
    const out = T.dataSync().slice();
    const uv = U.dataSync();
    positions.forEach((p, r) => out.set(uv.subarray(r * inner, (r + 1) * inner), p * inner));
    return tensor(out, T.shape, T.dtype);
  });
}

/** tf.sparseToDense(sparseIndices, sparseValues, outputShape, defaultValue = 0). */
export function sparseToDense(sparseIndices, sparseValues, outputShape, defaultValue = 0) {
  const op = 'sparseToDense';
  return withTensors(op, [sparseIndices, sparseValues, defaultValue], (I, V, D) => {
    if (I.dtype !== 'int32') throw new Error(`${op}: sparseIndices must be int32, received ${I.dtype}`);
    if (D.size !== 1) throw new Error(`${op}: defaultValue must be a scalar, received shape [${D.shape}]`);
    if (I.rank > 2) throw new Error(`${op}: sparseIndices should be a scalar, vector, or matrix, but got shape [${I.shape}].`);
    const rows = I.rank > 0 ? I.shape[0] : 1;
    const k = I.rank > 1 ? I.shape[1] : 1;
    if (k !== outputShape.length) throw new Error(`${op}: sparseIndices rows of ${k} do not index an output of rank ${outputShape.length}`);
    if (V.rank > 1 || (V.rank === 1 && V.shape[0] !== rows)) throw new Error(`${op}: sparseValues has incorrect shape [${V.shape}], should be [] or [${rows}]`);
    const dtype = V.dtype;
    const size = outputShape.reduce((a, b) => a * b, 1);
    const out = new (dtype === 'int32' ? Int32Array : dtype === 'bool' ? Uint8Array : Float32Array)(size).fill(D.dataSync()[0]);
    const iv = I.dataSync();
    const vv = V.dataSync();
    for (let r = 0; r < rows; r++) {
      let p = 0;
      for (let j = 0; j < k; j++) {
        const v = iv[r * k + j];
        if (v < 0 || v >= outputShape[j]) throw new Error(`${op}: index [${Array.from(iv.subarray(r * k, r * k + k))}] is out of bounds for the output shape [${outputShape}]`);
        p = p * outputShape[j] + v;
      }
      out[p] = V.rank === 0 ? vv[0] : vv[r];
    }
    return tensor(out, outputShape, dtype);
  });
}

Tensor.prototype.stridedSlice = function (...a) { return stridedSlice(this, ...a); };
Tensor.prototype.spaceToBatchND = function (blockShape, paddings) { return spaceToBatchND(this, blockShape, paddings); };
Tensor.prototype.batchToSpaceND = function (blockShape, crops) { return batchToSpaceND(this, blockShape, crops); };

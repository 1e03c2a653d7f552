// tf.sparse (sparseFillEmptyRows, sparseReshape, sparseSegmentSum, sparseSegmentMean), the
// ragged ops (raggedGather, raggedRange, raggedTensorToTensor) and randomGamma, with TF.js's
// semantics. Index bookkeeping reads the integer inputs on the CPU; the segment reductions then
// gather and sum with Hebb's ops, so they differentiate with respect to the data.
import { Tensor, tensor, tidy } from './tensor.js';
import { gather, cast, div, reshape, maximum } from './ops.js';
import { unsortedSegmentSum } from './ops_index.js';
import { withTensors } from './op_run.js';
import { stream } from './ops_data.js';

const ints = (t) => Array.from(t.dataSync());
function checkInt(op, name, t) {
  if (t.dtype !== 'int32') throw new Error(`${op}: ${name} must be int32, received ${t.dtype}`);
}

/**
 * tf.sparse.sparseFillEmptyRows(indices, values, denseShape, defaultValue): the sparse entries
 * grouped by row, with (row, 0, ...) = defaultValue added for each empty row.
 */
function sparseFillEmptyRows(indices, values, denseShape, defaultValue) {
  const op = 'sparseFillEmptyRows';
  return withTensors(op, [indices, values, denseShape, defaultValue], (I, V, D, DV) => {
    checkInt(op, 'indices', I);
    if (I.rank !== 2) throw new Error(`Indices should be Tensor2D but received shape ${I.shape}`);
    if (V.rank !== 1) throw new Error(`Values should be Tensor1D but received shape ${V.shape}`);
    if (D.rank !== 1) throw new Error(`Dense shape should be Tensor1D but received shape ${D.shape}`);
    if (DV.rank !== 0) throw new Error(`Default value should be a scalar but received shape ${DV.shape}`);
    const [n, rank] = I.shape;
    const rows = ints(D)[0];
    const iv = ints(I);
    const vv = Array.from(V.dataSync());
    if (rows === 0 && n !== 0) throw new Error(`Received SparseTensor with denseShape[0] = 0 but indices.shape[0] = ${n}`);
    const byRow = Array.from({ length: rows }, () => []);
    for (let i = 0; i < n; i++) {
      const row = iv[i * rank];
      if (row < 0) throw new Error(`indices(${i}, 0) is invalid: ${row} < 0`);
      if (row >= rows) throw new Error(`indices(${i}, 0) is invalid: ${row} >= ${rows}`);
      byRow[row].push(i);
    }
    const outIdx = [];
    const outVal = [];
    const reverse = new Array(n);
    const empty = byRow.map((r) => r.length === 0);
    byRow.forEach((list, row) => {
      if (list.length === 0) {
        outIdx.push(row, ...Array(rank - 1).fill(0));
        outVal.push(DV.dataSync()[0]);
        return;
      }
      for (const i of list) {
        reverse[i] = outVal.length;
        outIdx.push(...iv.slice(i * rank, (i + 1) * rank));
        outVal.push(vv[i]);
      }
    });
    return {
      outputIndices: tensor(outIdx, [outVal.length, rank], 'int32'),
      outputValues: tensor(outVal, [outVal.length], V.dtype),
      emptyRowIndicator: tensor(empty, [rows], 'bool'),
      reverseIndexMap: tensor(reverse, [n], 'int32'),
    };
  });
}

/** tf.sparse.sparseReshape(inputIndices, inputShape, newShape): the same entries indexed in newShape (one -1 inferred). */
function sparseReshape(inputIndices, inputShape, newShape) {
  const op = 'sparseReshape';
  return withTensors(op, [inputIndices, inputShape, newShape], (I, S, N) => {
    checkInt(op, 'inputIndices', I);
    if (I.rank !== 2) throw new Error(`Input indices should be Tensor2D but received shape ${I.shape}`);
    if (S.rank !== 1) throw new Error(`Input shape should be Tensor1D but received shape ${S.shape}`);
    if (N.rank !== 1) throw new Error(`Target shape should be Tensor1D but received shape ${N.shape}`);
    const [n, rank] = I.shape;
    const from = ints(S);
    const to = ints(N);
    if (from.length !== rank) throw new Error(`Input shape has ${from.length} dimensions, the indices ${rank}`);
    const dense = from.reduce((a, b) => a * b, 1);
    let unknown = -1;
    let known = 1;
    to.forEach((d, i) => {
      if (d === -1) {
        if (unknown !== -1) throw new Error(`only one output dimension may be -1, not both ${unknown} and ${i}`);
        unknown = i;
      } else if (d < 0) {
        throw new Error(`size ${i} must be non-negative, not ${d}`);
      } else {
        known *= d;
      }
    });
    const out = to.slice();
    if (unknown !== -1) {
      if (known <= 0) throw new Error('reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero');
      const missing = Math.trunc(dense / known);
      if (known * missing !== dense) throw new Error(`Input to reshape is a SparseTensor with ${dense} dense values, but the requested shape requires a multiple of ${known}. inputShape=${from} outputShape=${out}`);
      out[unknown] = missing;
    }
    if (out.reduce((a, b) => a * b, 1) !== dense) throw new Error(`Input to reshape is a tensor with ${dense} dense values, but the requested shape has ${out.reduce((a, b) => a * b, 1)}. inputShape=${from} outputShape=${out}`);
    const iv = ints(I);
    const outIdx = new Int32Array(n * out.length);
    for (let i = 0; i < n; i++) {
      let flat = 0;
      for (let j = 0; j < rank; j++) flat = flat * from[j] + iv[i * rank + j];
      for (let j = out.length - 1; j >= 0; j--) {
        outIdx[i * out.length + j] = flat % out[j];
        flat = Math.floor(flat / out[j]);
      }
    }
    return { outputIndices: tensor(outIdx, [n, out.length], 'int32'), outputShape: tensor(out, [out.length], 'int32') };
  });
}

/** The rows of data at `indices` summed (or averaged) per sorted segment id. */
function segmentReduce(op, data, indices, segmentIds, mean) {
  return withTensors(op, [data, indices, segmentIds], (X, I, S) => {
    checkInt(op, 'indices', I);
    checkInt(op, 'segmentIds', S);
    if (X.rank < 1) throw new Error('Data should be at least 1 dimensional but received scalar');
    if (I.rank !== 1) throw new Error(`Indices should be Tensor1D but received shape ${I.shape}`);
    if (S.rank !== 1) throw new Error(`Segment ids should be Tensor1D but received shape ${S.shape}`);
    if (I.shape[0] !== S.shape[0]) throw new Error(`segmentIds and indices should have the same size, received ${S.shape[0]} and ${I.shape[0]}`);
    const seg = ints(S);
    const idx = ints(I);
    seg.forEach((s, i) => {
      if (i > 0 && s < seg[i - 1]) throw new Error('segment ids are not increasing');
    });
    idx.forEach((v) => {
      if (v < 0 || v >= X.shape[0]) throw new Error(`Bad: indices[${idx.indexOf(v)}] == ${v} out of range [0, ${X.shape[0]})`);
    });
    const segments = seg.length ? seg[seg.length - 1] + 1 : 0;
    return tidy(() => {
      if (segments === 0) return tensor([], [0, ...X.shape.slice(1)], X.dtype);
      const rows = gather(X, tensor(idx, [idx.length], 'int32'), 0);
      const summed = unsortedSegmentSum(rows, tensor(seg, [seg.length], 'int32'), segments);
      if (!mean) return cast(summed, X.dtype);
      const counts = new Float32Array(segments);
      for (const s of seg) counts[s]++;
      const shape = [segments, ...X.shape.slice(1).map(() => 1)];
      return div(summed, maximum(reshape(tensor(counts, [segments]), shape), 1));
    });
  });
}

export const sparse = {
  sparseFillEmptyRows,
  sparseReshape,
  sparseSegmentSum: (data, indices, segmentIds) => segmentReduce('sparseSegmentSum', data, indices, segmentIds, false),
  sparseSegmentMean: (data, indices, segmentIds) => segmentReduce('sparseSegmentMean', data, indices, segmentIds, true),
};

/**
 * tf.raggedRange(starts, limits, deltas): the ranges start..limit by delta, one per row
 * (scalars broadcast), as {rtNestedSplits, rtDenseValues}.
 */
export function raggedRange(starts, limits, deltas) {
  const op = 'raggedRange';
  return withTensors(op, [starts, limits, deltas], (S, L, D) => {
    const dtype = S.dtype;
    if ([S, L, D].some((t) => t.rank > 1)) throw new Error(`${op}: starts, limits and deltas must be scalars or vectors`);
    const n = Math.max(S.size * (S.rank ? 1 : 0), L.size * (L.rank ? 1 : 0), D.size * (D.rank ? 1 : 0), [S, L, D].every((t) => t.rank === 0) ? 1 : 0);
    for (const t of [S, L, D]) if (t.rank === 1 && t.size !== n) throw new Error(`starts, limits, and deltas must have the same shape`);
    const at = (t, i) => (t.rank === 0 ? t.dataSync()[0] : t.dataSync()[i]);
    const splits = [0];
    const values = [];
    for (let i = 0; i < n; i++) {
      const [s, l, d] = [at(S, i), at(L, i), at(D, i)];
      if (d === 0) throw new Error('Requires delta != 0');
      const size = d > 0 ? (l > s ? Math.ceil((l - s) / d) : 0) : (s > l ? Math.ceil((s - l) / -d) : 0);
      for (let k = 0; k < size; k++) values.push(s + k * d);
      splits.push(splits[i] + size);
    }
    return { rtNestedSplits: tensor(splits, [splits.length], 'int32'), rtDenseValues: tensor(values, [values.length], dtype) };
  });
}

/**
 * tf.raggedGather(paramsNestedSplits, paramsDenseValues, indices, outputRaggedRank): the rows of
 * a ragged tensor at `indices`, as {outputNestedSplits, outputDenseValues}.
 */
export function raggedGather(paramsNestedSplits, paramsDenseValues, indices, outputRaggedRank) {
  const op = 'raggedGather';
  if (!Array.isArray(paramsNestedSplits) || paramsNestedSplits.length === 0) throw new Error(`${op}: paramsNestedSplits must be a non-empty array of int32 tensors`);
  return withTensors(op, [paramsDenseValues, indices, ...paramsNestedSplits], (values, I, ...splitsT) => {
    checkInt(op, 'indices', I);
    const splits = splitsT.map(ints);
    const wantRank = I.rank + splits.length - 1;
    if (outputRaggedRank !== undefined && outputRaggedRank !== wantRank) throw new Error(`${op}: outputRaggedRank must be ${wantRank} (indices rank + ragged rank - 1), received ${outputRaggedRank}`);
    const outSplits = [];
    // The dimensions of indices below the first become uniform row partitions.
    let rows = I.shape[0] ?? 1;
    for (let d = 1; d < I.rank; d++) {
      const k = I.shape[d];
      outSplits.push(Array.from({ length: rows + 1 }, (_, r) => r * k));
      rows *= k;
    }
    let cur = ints(I);
    const nrows = splits[0].length - 1;
    cur.forEach((v) => {
      if (v < 0 || v >= nrows) throw new Error(`${op}: index ${v} is out of bounds for a ragged tensor of ${nrows} rows`);
    });
    for (const s of splits) {
      const next = [];
      const out = [0];
      for (const r of cur) {
        for (let j = s[r]; j < s[r + 1]; j++) next.push(j);
        out.push(out[out.length - 1] + s[r + 1] - s[r]);
      }
      outSplits.push(out);
      cur = next;
    }
    return {
      outputNestedSplits: outSplits.map((s) => tensor(s, [s.length], 'int32')),
      outputDenseValues: gather(values, tensor(cur, [cur.length], 'int32'), 0),
    };
  });
}

/**
 * tf.raggedTensorToTensor(shape, values, defaultValue, rowPartitionTensors, rowPartitionTypes):
 * the dense tensor of a ragged one described by row partitions (ROW_SPLITS, or FIRST_DIM_SIZE
 * then VALUE_ROWIDS), padded with defaultValue and cropped to `shape` (-1: the largest row).
 */
export function raggedTensorToTensor(shape, values, defaultValue, rowPartitionTensors, rowPartitionTypes) {
  const op = 'raggedTensorToTensor';
  if (!Array.isArray(rowPartitionTensors) || !Array.isArray(rowPartitionTypes)) throw new Error(`${op}: rowPartitionTensors and rowPartitionTypes must be arrays`);
  const sh = shape instanceof Tensor ? shape : tensor(shape ?? [], undefined, 'int32');
  try {
    return withTensors(op, [values, defaultValue, ...rowPartitionTensors], (V, DV, ...parts) => {
      const types = rowPartitionTypes.slice();
      let firstRows = null;
      if (types[0] === 'FIRST_DIM_SIZE') {
        firstRows = ints(parts.shift())[0];
        types.shift();
      }
      if (parts.length !== types.length) throw new Error(`${op}: ${parts.length} row partition tensors for ${types.length} types`);
      // For each level, each element's (row, position in row); rows per level.
      let rowsAbove = firstRows;
      const levels = parts.map((p, l) => {
        const v = ints(p);
        const type = types[l];
        if (type === 'ROW_SPLITS') {
          const rows = v.length - 1;
          const row = [];
          const pos = [];
          for (let r = 0; r < rows; r++) for (let j = v[r]; j < v[r + 1]; j++) { row.push(r); pos.push(j - v[r]); }
          rowsAbove = rows;
          return { row, pos, rows };
        }
        if (type === 'VALUE_ROWIDS') {
          if (rowsAbove === null) throw new Error(`${op}: VALUE_ROWIDS needs FIRST_DIM_SIZE (or a level) before it`);
          const pos = [];
          v.forEach((r, j) => pos.push(j > 0 && v[j - 1] === r ? pos[j - 1] + 1 : 0));
          const rows = rowsAbove;
          rowsAbove = v.length;
          return { row: v, pos, rows };
        }
        throw new Error(`${op}: unknown row partition type '${type}'`);
      });
      // Each level's elements are the next level's rows (the values, for the last).
      levels.forEach((lv, l) => {
        const below = l + 1 < levels.length ? levels[l + 1].rows : V.shape[0];
        if (lv.row.length !== below) throw new Error(`${op}: row partition ${l} partitions ${lv.row.length} elements, but ${l + 1 < levels.length ? `partition ${l + 1} has ${below} rows` : `there are ${below} values`}`);
        if (l > 0 && lv.rows !== levels[l - 1].row.length) throw new Error(`${op}: row partition ${l} has ${lv.rows} rows, but partition ${l - 1} has ${levels[l - 1].row.length} elements`);
      });
      const raggedRank = levels.length;
      const inner = V.shape.slice(1);
      const innerSize = inner.reduce((a, b) => a * b, 1);
      // The dense index of every value along the ragged dims.
      const n = V.shape[0];
      const paths = Array.from({ length: n }, (_, j) => {
        const path = [];
        let k = j;
        for (let l = raggedRank - 1; l >= 0; l--) {
          path.unshift(levels[l].pos[k]);
          k = levels[l].row[k];
        }
        path.unshift(k);
        return path;
      });
      const natural = [levels[0].rows];
      for (let d = 1; d <= raggedRank; d++) natural.push(paths.reduce((m, p) => Math.max(m, p[d] + 1), 0));
      const given = sh.size > 0 ? ints(sh) : [];
      const outShape = [...natural, ...inner].map((d, i) => (given.length && given[i] !== undefined && given[i] >= 0 ? given[i] : d));
      const size = outShape.reduce((a, b) => a * b, 1);
      const dv = Array.from(DV.dataSync());
      const out = new Array(size);
      for (let i = 0; i < size; i++) out[i] = dv[DV.size === 1 ? 0 : i % DV.size];
      const vv = V.dataSync();
      const dims = outShape.slice(0, raggedRank + 1);
      paths.forEach((p, j) => {
        if (p.some((x, d) => x >= dims[d])) return;
        let flat = 0;
        p.forEach((x, d) => { flat = flat * dims[d] + x; });
        for (let e = 0; e < innerSize; e++) out[flat * innerSize + e] = vv[j * innerSize + e];
      });
      return tensor(out, outShape, V.dtype);
    });
  } finally {
    if (sh !== shape) sh.dispose();
  }
}

/**
 * tf.randomGamma(shape, alpha, beta = 1, dtype = 'float32', seed?): Gamma samples (Marsaglia
 * and Tsang) times beta: TF.js documents beta as an inverse scale but multiplies by it (mean
 * alpha · beta), and programs rely on what it does.
 */
export function randomGamma(shape, alpha, beta = 1, dtype = 'float32', seed) {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`randomGamma: shape must be non-negative integers, received [${shape}]`);
  if (!(alpha > 0)) throw new Error(`randomGamma: alpha must be positive, received ${alpha}`);
  beta ??= 1;
  if (!(beta > 0)) throw new Error(`randomGamma: beta must be positive, received ${beta}`);
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`Unsupported data type ${dtype}`);
  const u = stream(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  // Marsaglia-Tsang for shape >= 1; below 1, boost by a uniform power.
  const a = alpha < 1 ? alpha + 1 : alpha;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  const draw = () => {
    for (;;) {
      let x;
      let v;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const w = u();
      if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        const g = d * v;
        return alpha < 1 ? g * u() ** (1 / alpha) : g;
      }
    }
  };
  const n = shape.reduce((p, q) => p * q, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = draw() * beta;
  return tensor(dtype === 'int32' ? Int32Array.from(out, Math.trunc) : out, shape, dtype);
}

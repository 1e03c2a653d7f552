// tf.string (stringSplit, stringNGrams, stringToHashBucketFast, staticRegexReplace) on string
// tensors (tensor.js's StringTensor), with TF's semantics: splits and n-grams work on UTF-8
// bytes as TensorFlow's kernels do, and the hash is FarmHash's Fingerprint64, so bucket ids match
// TensorFlow's and TF.js's.
import { Tensor, StringTensor, tensor } from './tensor.js';
import { registerDtypeOps } from './op_run.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function strings(op, x, name = 'input') {
  const t = x instanceof Tensor ? x : tensor(x, undefined, 'string');
  if (!(t instanceof StringTensor)) throw new Error(`${op}: ${name} must be a string tensor, received ${t.dtype}`);
  return t;
}

/**
 * tf.string.stringSplit(input, delimiter, skipEmpty = true): each string of the 1-D input split
 * at any byte of `delimiter` (into bytes when it is empty), as a sparse
 * {indices [n, 2], values [n], shape [batch, most tokens]}.
 */
function stringSplit(input, delimiter, skipEmpty = true) {
  const x = strings('stringSplit', input);
  if (x.rank !== 1) throw new Error(`Input should be Tensor1D but received shape ${x.shape}`);
  const d = delimiter instanceof StringTensor ? delimiter.dataSync()[0] : delimiter;
  if (typeof d !== 'string') throw new Error(`stringSplit: delimiter must be a string, received ${typeof d}`);
  const delims = enc.encode(d);
  const indices = [];
  const values = [];
  let most = 0;
  x.dataSync().forEach((s, row) => {
    const bytes = enc.encode(s);
    const tokens = [];
    if (bytes.length) {
      if (delims.length === 0) {
        for (let i = 0; i < bytes.length; i++) tokens.push(bytes.subarray(i, i + 1));
      } else {
        let start = 0;
        for (let i = 0; i <= bytes.length; i++) {
          if (i === bytes.length || delims.includes(bytes[i])) {
            if (!skipEmpty || i > start) tokens.push(bytes.subarray(start, i));
            start = i + 1;
          }
        }
      }
    }
    tokens.forEach((t, j) => {
      indices.push(row, j);
      values.push(dec.decode(t));
    });
    most = Math.max(most, tokens.length);
  });
  return {
    indices: tensor(indices, [values.length, 2], 'int32'),
    values: new StringTensor(values, [values.length]),
    shape: tensor([x.shape[0], most], [2], 'int32'),
  };
}

/**
 * tf.string.stringNGrams(data, dataSplits, separator, nGramWidths, leftPad, rightPad, padWidth,
 * preserveShortSequences): the n-grams of each ragged row of tokens, padded padWidth tokens each
 * side (-1: width - 1), as {nGrams, nGramsSplits}.
 */
function stringNGrams(data, dataSplits, separator, nGramWidths, leftPad, rightPad, padWidth, preserveShortSequences) {
  const op = 'stringNGrams';
  const x = strings(op, data, 'data');
  const sp = dataSplits instanceof Tensor ? dataSplits : tensor(dataSplits, undefined, 'int32');
  try {
    if (x.rank !== 1) throw new Error(`Data must be a vector, saw: ${x.shape}`);
    if (sp.dtype !== 'int32') throw new Error(`${op}: dataSplits must be int32, received ${sp.dtype}`);
    if (!Array.isArray(nGramWidths) || nGramWidths.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`${op}: nGramWidths must be positive integers, received ${nGramWidths}`);
    const tokens = x.dataSync();
    const splits = Array.from(sp.dataSync());
    if (splits.length) {
      if (splits[0] !== 0) throw new Error(`First split value must be 0, got ${splits[0]}`);
      splits.forEach((v, i) => {
        if (i > 0 && (v < splits[i - 1] || v > tokens.length)) throw new Error(`Invalid split value ${v}, must be in [${splits[i - 1]}, ${tokens.length}]`);
      });
      if (splits[splits.length - 1] !== tokens.length) throw new Error(`Last split value must be data size. Expected ${tokens.length}, got ${splits[splits.length - 1]}`);
    }
    const padOf = (w) => Math.min(padWidth < 0 ? w - 1 : padWidth, w - 1);
    const count = (len, w) => Math.max(0, len + 2 * padOf(w) - w + 1);
    // The k-th of `num` n-grams of width w over the row starting at `start`.
    const gram = (start, num, k, w) => {
      const p = padOf(w);
      const left = Math.max(0, p - k);
      const right = Math.max(0, p - (num - (k + 1)));
      const n = w - left - right;
      const from = start + (left > 0 ? 0 : k - p);
      return [...Array(left).fill(leftPad), ...tokens.slice(from, from + n), ...Array(right).fill(rightPad)].join(separator);
    };
    const out = [];
    const outSplits = [0];
    for (let r = 0; r + 1 < splits.length; r++) {
      const len = splits[r + 1] - splits[r];
      const before = out.length;
      for (const w of nGramWidths) {
        const num = count(len, w);
        for (let k = 0; k < num; k++) out.push(gram(splits[r], num, k, w));
      }
      if (preserveShortSequences && len > 0 && out.length === before) out.push(gram(splits[r], 1, 0, len + 2 * padWidth));
      outSplits.push(out.length);
    }
    return { nGrams: new StringTensor(out, [out.length]), nGramsSplits: tensor(splits.length ? outSplits : [], [splits.length ? outSplits.length : 0], 'int32') };
  } finally {
    if (sp !== dataSplits) sp.dispose();
  }
}

// ---- FarmHash Fingerprint64 (farmhashna), on BigInt words ----

const M64 = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const mul64 = (a, b) => (a * b) & M64;
const add64 = (...xs) => xs.reduce((p, q) => (p + q) & M64, 0n);
const rot = (v, s) => (s === 0n ? v : ((v >> s) | (v << (64n - s))) & M64);
const shiftMix = (v) => v ^ (v >> 47n);
const fetch64 = (b, i) => {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]);
  return v;
};
const fetch32 = (b, i) => BigInt((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0);

function hashLen16(u, v, m) {
  let a = mul64(u ^ v, m);
  a ^= a >> 47n;
  let b = mul64(v ^ a, m);
  b ^= b >> 47n;
  return mul64(b, m);
}

function hashLen0to16(s) {
  const len = s.length;
  const n = BigInt(len);
  if (len >= 8) {
    const m = add64(K2, n * 2n);
    const a = add64(fetch64(s, 0), K2);
    const b = fetch64(s, len - 8);
    const c = add64(mul64(rot(b, 37n), m), a);
    const d = mul64(add64(rot(a, 25n), b), m);
    return hashLen16(c, d, m);
  }
  if (len >= 4) {
    const m = add64(K2, n * 2n);
    const a = fetch32(s, 0);
    return hashLen16(add64(n, a << 3n), fetch32(s, len - 4), m);
  }
  if (len > 0) {
    const y = BigInt((s[0] + (s[len >> 1] << 8)) >>> 0);
    const z = BigInt(len + (s[len - 1] << 2));
    return mul64(shiftMix(mul64(y, K2) ^ mul64(z, K0)), K2);
  }
  return K2;
}

/** The words both mid-length hashes start from: the multiplier and four mixed reads (the first times `ka`). */
function midWords(s, ka) {
  const len = s.length;
  const m = add64(K2, BigInt(len) * 2n);
  return [m, mul64(fetch64(s, 0), ka), fetch64(s, 8), mul64(fetch64(s, len - 8), m), mul64(fetch64(s, len - 16), K2)];
}

function hashLen17to32(s) {
  const [m, a, b, c, d] = midWords(s, K1);
  return hashLen16(add64(rot(add64(a, b), 43n), rot(c, 30n), d), add64(a, rot(add64(b, K2), 18n), c), m);
}

function hashLen33to64(s) {
  const len = s.length;
  const [m, a, b, c, d] = midWords(s, K2);
  const y = add64(rot(add64(a, b), 43n), rot(c, 30n), d);
  const z = hashLen16(y, add64(a, rot(add64(b, K2), 18n), c), m);
  const e = mul64(fetch64(s, 16), m);
  const f = fetch64(s, 24);
  const g = mul64(add64(y, fetch64(s, len - 32)), m);
  const h = mul64(add64(z, fetch64(s, len - 24)), m);
  return hashLen16(add64(rot(add64(e, f), 43n), rot(g, 30n), h), add64(e, rot(add64(f, a), 18n), g), m);
}

/** FarmHash's WeakHashLen32WithSeeds over the 32 bytes at i. */
function weak32(s, i, a0, b0) {
  const [w, x, y, z] = [fetch64(s, i), fetch64(s, i + 8), fetch64(s, i + 16), fetch64(s, i + 24)];
  let a = add64(a0, w);
  let b = rot(add64(b0, a, z), 21n);
  const c = a;
  a = add64(a, x, y);
  b = add64(b, rot(a, 44n));
  return [add64(a, z), add64(b, c)];
}

/** FarmHash Fingerprint64 of the bytes `s`, as an unsigned BigInt. */
export function fingerprint64(s) {
  const len = s.length;
  if (len <= 16) return hashLen0to16(s);
  if (len <= 32) return hashLen17to32(s);
  if (len <= 64) return hashLen33to64(s);
  const seed = 81n;
  let x = seed;
  let y = add64(mul64(seed, K1), 113n);
  let z = mul64(shiftMix(add64(mul64(y, K2), 113n)), K2);
  let v = [0n, 0n];
  let w = [0n, 0n];
  x = add64(mul64(x, K2), fetch64(s, 0));
  const end = Math.floor((len - 1) / 64) * 64;
  const last64 = end + ((len - 1) & 63) - 63;
  let p = 0;
  do {
    x = mul64(rot(add64(x, y, v[0], fetch64(s, p + 8)), 37n), K1);
    y = mul64(rot(add64(y, v[1], fetch64(s, p + 48)), 42n), K1);
    x ^= w[1];
    y = add64(y, v[0], fetch64(s, p + 40));
    z = mul64(rot(add64(z, w[0]), 33n), K1);
    v = weak32(s, p, mul64(v[1], K1), add64(x, w[0]));
    w = weak32(s, p + 32, add64(z, w[1]), add64(y, fetch64(s, p + 16)));
    [z, x] = [x, z];
    p += 64;
  } while (p !== end);
  const m = add64(K1, (z & 0xffn) << 1n);
  p = last64;
  w[0] = add64(w[0], BigInt((len - 1) & 63));
  v[0] = add64(v[0], w[0]);
  w[0] = add64(w[0], v[0]);
  x = mul64(rot(add64(x, y, v[0], fetch64(s, p + 8)), 37n), m);
  y = mul64(rot(add64(y, v[1], fetch64(s, p + 48)), 42n), m);
  x ^= mul64(w[1], 9n);
  y = add64(y, mul64(v[0], 9n), fetch64(s, p + 40));
  z = mul64(rot(add64(z, w[0]), 33n), m);
  v = weak32(s, p, mul64(v[1], m), add64(x, w[0]));
  w = weak32(s, p + 32, add64(z, w[1]), add64(y, fetch64(s, p + 16)));
  [z, x] = [x, z];
  return hashLen16(add64(hashLen16(v[0], w[0], m), mul64(shiftMix(y), K0), z), add64(hashLen16(v[1], w[1], m), x), m);
}

/** tf.string.stringToHashBucketFast(input, numBuckets): Fingerprint64 of each string modulo numBuckets (int32). */
function stringToHashBucketFast(input, numBuckets) {
  const x = strings('stringToHashBucketFast', input);
  if (!(numBuckets >= 1)) throw new Error(`Number of buckets must be at least 1`);
  const n = BigInt(numBuckets);
  return tensor(x.dataSync().map((v) => Number(fingerprint64(enc.encode(v)) % n)), x.shape, 'int32');
}

/**
 * tf.string.staticRegexReplace(input, pattern, rewrite, replaceGlobal = true): each string with
 * the matches of `pattern` (a JavaScript RegExp source, as TF.js takes it) replaced by `rewrite`.
 */
function staticRegexReplace(input, pattern, rewrite, replaceGlobal = true) {
  const x = strings('staticRegexReplace', input);
  const re = new RegExp(pattern, replaceGlobal ? 'g' : '');
  return new StringTensor(x.dataSync().map((v) => v.replace(re, rewrite)), x.shape);
}

export const string = { stringSplit, stringNGrams, stringToHashBucketFast, staticRegexReplace };

registerDtypeOps('string', {
  reshape: ([x], { shape }) => {
    const n = x.size;
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out = shape.map((d) => (d === -1 ? n / known : d));
    if (out.reduce((a, b) => a * b, 1) !== n || out.some((d) => !Number.isInteger(d))) throw new Error(`reshape: cannot reshape a string tensor of shape [${x.shape}] to [${shape}]`);
    return new StringTensor(x.dataSync(), out);
  },
});

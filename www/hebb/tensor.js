// Tensors: thin JS handles (integer ids) into the engine. Values stay in WebAssembly memory;
// only typed arrays cross when the user reads them. tidy/dispose/keep work as in TF.js, and a
// handle the user forgets is freed by a FinalizationRegistry.
import { engine, gpuWait, engineGeneration } from './engine.js';

// A forgotten handle is freed, unless it belonged to an engine that has since been replaced.
const registry = new FinalizationRegistry(([id, gen]) => { if (gen === engineGeneration()) engine.tensor_dispose(id); });
const scopes = [];

export class Tensor {
  /** @param {number} id engine handle */
  constructor(id) {
    this.id = id;
    this._shape = null;
    this._dtype = null;
    this.isDisposedInternal = false;
    this._gen = engineGeneration();
    // Handle 0: no engine value (a string tensor's values live in JS).
    if (id !== 0) registry.register(this, [id, this._gen], this);
    if (scopes.length) scopes[scopes.length - 1].push(this);
  }
  get shape() {
    if (this._shape === null) this._shape = Array.from(engine.tensor_shape(this._live()));
    return this._shape.slice();
  }
  get rank() { return this.shape.length; }
  get size() { return this.shape.reduce((a, b) => a * b, 1); }
  get dtype() {
    if (this._dtype === null) this._dtype = engine.tensor_dtype(this._live());
    return this._dtype;
  }
  get isDisposed() { return this.isDisposedInternal; }
  _live() {
    if (this.isDisposedInternal) throw new Error(`Tensor is disposed (it was created with shape [${this._shape ?? '?'}])`);
    if (this._gen !== engineGeneration()) throw new Error('This tensor was made before the engine stopped and restarted; it is gone (make it again)');
    return this.id;
  }
  /** Synchronous read: a Float32Array (Int32Array for int32, Uint8Array for bool). */
  dataSync() {
    const f = engine.tensor_data(this._live());
    if (this.dtype === 'int32') return Int32Array.from(f);
    if (this.dtype === 'bool') return Uint8Array.from(f);
    return f;
  }
  /** Waits for the GPU when the value is being computed there (a synchronous read would compute it on the CPU instead). */
  async data() {
    const id = this._live();
    // On WebGPU an op's value is computed there for an asynchronous read.
    engine.tensor_gpu_read(id);
    while (engine.tensor_pending(id) === 1) await gpuWait();
    return this.dataSync();
  }
  arraySync() { return nest(Array.from(this.dataSync()), this.shape); }
  async array() { return nest(Array.from(await this.data()), this.shape); }
  dispose() {
    if (this.isDisposedInternal) return;
    this.isDisposedInternal = true;
    registry.unregister(this);
    if (this._gen === engineGeneration()) engine.tensor_dispose(this.id);
  }
  print(verbose = false) { console.log(this.toString(verbose)); }
  /** TF.js's layout: "Tensor" then the values, nested arrays indented under it. */
  toString(verbose = false) {
    const vals = Array.from(this.dataSync());
    const shape = this.shape;
    const fmt = (v) => (this.dtype === 'float32' ? formatFloat(v) : String(v));
    const strs = vals.map(fmt);
    const width = strs.reduce((w, x) => Math.max(w, x.length), 0);
    const cells = strs.map((x) => x.padStart(width));
    let head = 'Tensor';
    if (verbose) head += `\n  dtype: ${this.dtype}\n  rank: ${shape.length}\n  shape: [${shape}]\n  values:`;
    return `${head}\n    ${render(cells, shape, '    ')}`;
  }
  clone() { return wrap(engine.op('reshape', [this._live()], JSON.stringify({ shape: this.shape }))); }
}

/**
 * A string tensor: TF.js's 'string' dtype, its values held in JS (the engine computes on numbers
 * only). dataSync() gives the strings, bytes() their UTF-8 bytes; reshape, clone and tf.string
 * take them.
 */
export class StringTensor extends Tensor {
  constructor(values, shape) {
    super(0);
    this._values = values;
    this._shape = shape.slice();
  }
  get shape() { return this._shape.slice(); }
  get dtype() { return 'string'; }
  _live() { throw new Error('this op does not take string tensors; Hebb\'s string ops are reshape, clone and tf.string'); }
  _strings() {
    if (this.isDisposedInternal) throw new Error(`Tensor is disposed (it was created with shape [${this._shape}])`);
    return this._values;
  }
  dataSync() { return this._strings().slice(); }
  async data() { return this.dataSync(); }
  async bytes() { return this._strings().map((v) => new TextEncoder().encode(v)); }
  clone() { return new StringTensor(this._strings().slice(), this._shape); }
  dispose() { this.isDisposedInternal = true; }
  toString(verbose = false) {
    const cells = this._strings().map((v) => `'${v}'`);
    const head = verbose ? `Tensor\n  dtype: string\n  rank: ${this.rank}\n  shape: [${this._shape}]\n  values:` : 'Tensor';
    return `${head}\n    ${render(cells, this._shape, '    ')}`;
  }
}

function formatFloat(v) {
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e7) ? v.toExponential(4) : String(Number(v.toFixed(4)));
}

/** Nested "[a, b],\n [c, d]" text for `shape`, continuation lines indented under the bracket. */
function render(cells, shape, indent) {
  if (shape.length === 0) return cells[0];
  if (shape.length === 1) return `[${cells.join(', ')}]`;
  const step = cells.length / shape[0];
  const rows = [];
  for (let i = 0; i < shape[0]; i++) rows.push(render(cells.slice(i * step, (i + 1) * step), shape.slice(1), `${indent} `));
  const sep = `,${'\n'.repeat(shape.length - 1)}${indent} `;
  return `[${rows.join(sep)}]`;
}

function nest(flat, shape) {
  if (shape.length === 0) return flat[0];
  if (shape.length === 1) return flat;
  const [d, ...rest] = shape;
  const step = rest.reduce((a, b) => a * b, 1);
  const out = [];
  for (let i = 0; i < d; i++) out.push(nest(flat.slice(i * step, (i + 1) * step), rest));
  return out;
}

/** Wraps an engine handle. */
export function wrap(id) { return new Tensor(id); }

/**
 * Takes the engine handle away from tensor `t` (which then counts as disposed, and whose
 * finalizer no longer frees it) for another wrapper to own: returns the handle.
 */
export function _handOver(t) {
  const id = t._live();
  t.isDisposedInternal = true;
  registry.unregister(t);
  return id;
}

function inferShape(values) {
  const shape = [];
  let v = values;
  while (Array.isArray(v) || ArrayBuffer.isView(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function flatten(values, out) {
  if (Array.isArray(values) || ArrayBuffer.isView(values)) {
    for (const v of values) flatten(v, out);
  } else if (typeof values === 'boolean') {
    out.push(values ? 1 : 0);
  } else {
    out.push(values);
  }
  return out;
}

/**
 * tf.tensor(values, shape?, dtype?)
 * @param {number|boolean|Array|TypedArray} values
 * @param {number[]} [shape]
 * @param {'float32'|'int32'|'bool'} [dtype]
 */
export function tensor(values, shape, dtype) {
  if (values instanceof Tensor) return values.clone();
  const flat = (ArrayBuffer.isView(values) && !Array.isArray(values)) ? Array.from(values) : flatten(values, []);
  const inferred = inferShape(values);
  const s = shape ?? inferred;
  if (!shape && Array.isArray(values)) checkRagged(values, inferred);
  if (dtype === 'string' || (dtype === undefined && typeof flat[0] === 'string')) {
    if (flat.some((v) => typeof v !== 'string')) throw new Error('tensor: a string tensor takes strings only; found a value that is not a string');
    if (s.reduce((a, b) => a * b, 1) !== flat.length) throw new Error(`tensor: shape [${s}] needs ${s.reduce((a, b) => a * b, 1)} values, received ${flat.length}`);
    return new StringTensor(flat, s);
  }
  for (const v of flat) {
    if (typeof v !== 'number') throw new Error(`tensor: values must be numbers or booleans, received ${typeof v} (${String(v)})`);
  }
  if (dtype === undefined) {
    const intArray = values instanceof Int32Array || values instanceof Uint8Array || values instanceof Uint8ClampedArray;
    dtype = intArray ? 'int32' : (typeof firstLeaf(values) === 'boolean' ? 'bool' : 'float32');
  }
  const n = checkSize('tensor', s);
  if (n !== flat.length) {
    throw new Error(`tensor: shape [${s}] needs ${n} values, received ${flat.length}`);
  }
  checkDtype('tensor', dtype);
  let data = Float32Array.from(flat);
  if (dtype === 'int32') data = data.map(Math.trunc);
  return wrap(engine.tensor_new(data, Float64Array.from(s), dtype));
}

// The engine holds float32, int32 and bool (complex64 and string tensors are built on them in JS).
const DTYPES = new Set(['float32', 'int32', 'bool']);
function checkDtype(op, dtype) {
  if (!DTYPES.has(dtype)) throw new Error(`${op}: dtype must be 'float32', 'int32' or 'bool' (or 'string' for strings), received ${typeof dtype === 'string' ? `'${dtype}'` : String(dtype)}`);
}
/** The engine's limit on one tensor's elements (2^27, as src/tensor/shape.rs's MAX_ELEMENTS). */
const MAX_ELEMENTS = 2 ** 27;
function checkSize(op, shape) {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${op}: the shape must be an array of non-negative integers, received ${JSON.stringify(shape)}`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > MAX_ELEMENTS) throw new Error(`${op}: shape [${shape}] has ${n} elements, more than the ${MAX_ELEMENTS} one tensor can hold`);
  return n;
}

function firstLeaf(v) {
  while (Array.isArray(v)) v = v[0];
  return v;
}

function checkRagged(values, shape, depth = 0) {
  if (depth >= shape.length) return;
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) throw new Error(`tensor: ragged nested array: expected an array at depth ${depth} of shape [${shape}]`);
  if (values.length !== shape[depth]) throw new Error(`tensor: ragged nested array: expected length ${shape[depth]} at depth ${depth}, received ${values.length}`);
  if (depth + 1 < shape.length) for (const v of values) checkRagged(v, shape, depth + 1);
}

function rankCheck(name, values, shape, rank) {
  const s = shape ?? inferShape(values);
  if (s.length !== rank) throw new Error(`${name}: expected a rank-${rank} tensor, received shape [${s}]`);
}

export const scalar = (v, dtype) => {
  if (Array.isArray(v)) throw new Error('scalar: expected a number, received an array');
  return tensor(v, [], dtype);
};
export const tensor1d = (v, dtype) => { rankCheck('tensor1d', v, null, 1); return tensor(v, undefined, dtype); };
export const tensor2d = (v, shape, dtype) => { rankCheck('tensor2d', v, shape, 2); return tensor(v, shape, dtype); };
export const tensor3d = (v, shape, dtype) => { rankCheck('tensor3d', v, shape, 3); return tensor(v, shape, dtype); };
export const tensor4d = (v, shape, dtype) => { rankCheck('tensor4d', v, shape, 4); return tensor(v, shape, dtype); };

function filled(shape, v, dtype = 'float32') {
  checkDtype('fill', dtype);
  const n = checkSize('fill', shape);
  return wrap(engine.tensor_new(new Float32Array(n).fill(v), Float64Array.from(shape), dtype));
}
export const zeros = (shape, dtype) => filled(shape, 0, dtype);
export const ones = (shape, dtype) => filled(shape, 1, dtype);
export const fill = (shape, value, dtype) => filled(shape, value, dtype);
export const zerosLike = (t) => filled(t.shape, 0, t.dtype);
export const onesLike = (t) => filled(t.shape, 1, t.dtype);

export function randomUniform(shape, minval = 0, maxval = 1, dtype = 'float32', seed) {
  const t = wrap(engine.random('uniform', Float64Array.from(shape), minval, maxval, seed ?? undefined));
  if (dtype !== 'int32') return t;
  // Integers in [minval, maxval), as TF.js.
  const out = wrap(engine.op('floor', Uint32Array.of(t.id), ''));
  const i = wrap(engine.op('cast', Uint32Array.of(out.id), JSON.stringify({ dtype: 'int32' })));
  t.dispose();
  out.dispose();
  return i;
}
export function randomNormal(shape, mean = 0, stdDev = 1, dtype = 'float32', seed) {
  return wrap(engine.random('normal', Float64Array.from(shape), mean, stdDev, seed ?? undefined));
}
export function truncatedNormal(shape, mean = 0, stdDev = 1, dtype = 'float32', seed) {
  return wrap(engine.random('truncatedNormal', Float64Array.from(shape), mean, stdDev, seed ?? undefined));
}
export function linspace(start, stop, num) {
  const v = new Float32Array(num);
  for (let i = 0; i < num; i++) v[i] = num === 1 ? start : start + (stop - start) * i / (num - 1);
  return tensor(v, [num]);
}
export function range(start, stop, step = 1, dtype = 'float32') {
  if (step === 0) throw new Error('range: step must not be 0');
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !Number.isFinite(step)) throw new Error(`range: start, stop and step must be finite numbers, received ${start}, ${stop}, ${step}`);
  const v = [];
  for (let x = start; step > 0 ? x < stop : x > stop; x += step) v.push(x);
  return tensor(v, [v.length], dtype);
}

/** Makes the global random streams (initializers, shuffles, dropout) reproducible. */
export function setSeed(seed) { engine.set_seed(seed); }

// ---- memory ----

export function tidy(nameOrFn, maybeFn) {
  const fn = typeof nameOrFn === 'function' ? nameOrFn : maybeFn;
  _startScope();
  let result;
  try {
    result = fn();
  } finally {
    _endScope(result);
  }
  if (result instanceof Promise) throw new Error('tidy: the function must not be async (it returned a Promise)');
  return result;
}

function collect(v, set) {
  if (v instanceof Tensor) set.add(v);
  else if (Array.isArray(v)) v.forEach((x) => collect(x, set));
  else if (v && typeof v === 'object' && v.constructor === Object) Object.values(v).forEach((x) => collect(x, set));
}

export function keep(t) { t._kept = true; return t; }

/** Opens a tidy scope by hand (TF.js's engine().startScope); endScope closes it. */
export function _startScope() { scopes.push([]); }
/** Closes the innermost startScope: its tensors are disposed except those in `result` (and kept ones). */
export function _endScope(result) {
  const created = scopes.pop() ?? [];
  const keepSet = new Set();
  collect(result, keepSet);
  for (const t of created) {
    if (keepSet.has(t) || t._kept) {
      if (scopes.length) scopes[scopes.length - 1].push(t);
    } else {
      t.dispose();
    }
  }
}

export function dispose(x) {
  const set = new Set();
  collect(x, set);
  for (const t of set) t.dispose();
  if (x && typeof x.dispose === 'function' && !(x instanceof Tensor)) x.dispose();
}

/** {numTensors, numBytes}: live tensors in the engine (weights inside models are counted apart). */
export function memory() {
  const [numTensors, numBytes, numModels, modelBytes, gpuPoolBytes, gpuModelBytes, gpuBuffersMade] = engine.memory_stats();
  return { numTensors, numBytes, numModels, modelBytes, gpuPoolBytes, gpuModelBytes, gpuBuffersMade, unreliable: false };
}

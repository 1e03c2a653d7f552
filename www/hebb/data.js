// tf.data: lazy pipelines of elements (numbers, booleans, tensors, numeric arrays, or objects and
// arrays of them) with TF.js's semantics. A Dataset is a recipe: every iteration runs it again
// from its source, so a dataset can be iterated once per epoch.
//
// Ownership: an element an iterator hands out belongs to whoever pulled it. Ops that consume
// elements (map, filter, skip, batch, forEachAsync) dispose the tensors they take in and do not
// pass on, and array() hands out clones of its tensors so that the source survives every pass.
import { Tensor, tensor, tidy } from './tensor.js';

// ---- element helpers (also used by fit_dataset.js) ----

export function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** The tensors inside an element, at any depth of plain objects and arrays. */
export function tensorsIn(v, out = new Set()) {
  if (v instanceof Tensor) out.add(v);
  else if (Array.isArray(v)) for (const x of v) tensorsIn(x, out);
  else if (isPlainObject(v)) for (const x of Object.values(v)) tensorsIn(x, out);
  return out;
}

/** Disposes the tensors of an element, except those in `keep`. */
export function disposeElement(v, keep) {
  for (const t of tensorsIn(v)) if (!keep?.has(t)) t.dispose();
}

/** A short description of a value for error messages. */
export function describe(v) {
  if (v instanceof Tensor) return v.isDisposed ? 'a disposed Tensor' : `a ${v.dtype} Tensor of shape [${v.shape}]`;
  if (v instanceof Dataset) return `a Dataset (size ${v.size})`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${v.length}`;
  if (isPlainObject(v)) return `an object with keys {${Object.keys(v).join(', ')}}`;
  if (typeof v === 'string') return `the string '${v}'`;
  if (typeof v === 'function') return 'a function';
  if (v !== null && typeof v === 'object') return `a ${v.constructor?.name ?? 'object'}`;
  return String(v);
}

function cloneElement(v) {
  if (v instanceof Tensor) return v.clone();
  if (Array.isArray(v)) return v.map(cloneElement);
  if (isPlainObject(v)) {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = cloneElement(x);
    return o;
  }
  return v;
}

const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';

function checkPositiveInt(op, name, v) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${op}: ${name} must be a positive integer, received ${describe(v)}`);
}

/** take/skip/repeat counts: an integer, or undefined (negative and undefined mean "all"). */
function checkCount(op, v) {
  if (v !== undefined && !Number.isInteger(v)) throw new Error(`${op}: count must be an integer (or undefined), received ${describe(v)}`);
}

function checkFn(op, f) {
  if (typeof f !== 'function') throw new Error(`${op}: expected a function, received ${describe(f)}`);
}

// ---- iteration ----

/** What iterator() resolves to, as TF.js's LazyIterator: next() gives {value, done}. */
class LazyIterator {
  constructor(gen) { this._gen = gen; }
  next() { return this._gen.next(); }
  /** Ends the iteration early; what the pipeline holds (shuffle buffers, prefetched elements) is disposed. */
  return(value) { return this._gen.return(value); }
  [Symbol.asyncIterator]() { return this; }
}

/** The elements of any dataset (subclasses included), closing its iterator if we stop early. */
async function* pull(ds) {
  const it = await ds.iterator();
  let finished = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!finished && typeof it.return === 'function') await it.return();
  }
}

// ---- batching ----

/**
 * The shape of a rectangular numeric array (nested arrays of numbers or booleans, or typed
 * arrays), else null. Such arrays batch as one tensor; other arrays batch element by element.
 */
function numericShape(v) {
  if (typeof v === 'number' || typeof v === 'boolean') return [];
  if (ArrayBuffer.isView(v)) return [v.length];
  if (!Array.isArray(v)) return null;
  if (v.length === 0) return [0];
  const inner = numericShape(v[0]);
  if (inner === null) return null;
  for (let i = 1; i < v.length; i++) {
    const s = numericShape(v[i]);
    if (s === null || s.length !== inner.length || s.some((d, k) => d !== inner[k])) return null;
  }
  return [v.length, ...inner];
}

const isLeaf = (v) => v instanceof Tensor || numericShape(v) !== null;

/** {shape, dtype, values} of one leaf of one row of a batch. */
function leafOf(v, path, i) {
  if (v instanceof Tensor) {
    if (v.isDisposed) throw new Error(`batch: ${path} of element ${i} is a disposed Tensor`);
    return { shape: v.shape, dtype: v.dtype, values: v.dataSync() };
  }
  if (typeof v === 'number') return { shape: [], dtype: 'float32', values: [v] };
  if (typeof v === 'boolean') return { shape: [], dtype: 'bool', values: [v ? 1 : 0] };
  if (numericShape(v) !== null) {
    const t = tensor(v);
    const leaf = { shape: t.shape, dtype: t.dtype, values: t.dataSync() };
    t.dispose();
    return leaf;
  }
  const what = Array.isArray(v) ? `${describe(v)} that is not a rectangular numeric array` : describe(v);
  throw new Error(`batch: ${path} of element ${i} is ${what}, but element 0 has a number, boolean, tensor or numeric array there`);
}

/** Stacks one leaf across the rows: a new leading axis of length rows.length. */
function stackLeaves(rows, path) {
  const leaves = rows.map((r, i) => leafOf(r, path, i));
  const { shape, dtype } = leaves[0];
  leaves.forEach((l, i) => {
    if (l.shape.length !== shape.length || l.shape.some((d, k) => d !== shape[k])) {
      throw new Error(`batch: cannot stack ${path} of shape [${shape}] (element 0) with ${path} of shape [${l.shape}] (element ${i}); all elements of a batch must have the same shape`);
    }
    if (l.dtype !== dtype) throw new Error(`batch: cannot stack ${path} of dtype ${dtype} (element 0) with dtype ${l.dtype} (element ${i})`);
  });
  const per = leaves[0].values.length;
  const flat = new Float32Array(per * rows.length);
  leaves.forEach((l, i) => flat.set(l.values, i * per));
  return tensor(flat, [rows.length, ...shape], dtype);
}

/** Batches rows that share one structure; tensors it makes go into `made` (freed on failure). */
function collate(rows, path, made) {
  const first = rows[0];
  if (isLeaf(first)) {
    const t = stackLeaves(rows, path);
    made.push(t);
    return t;
  }
  if (Array.isArray(first)) {
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== first.length) {
        throw new Error(`batch: ${path} of element 0 is an array of length ${first.length} but element ${i} has ${describe(r)}`);
      }
    });
    return first.map((_, k) => collate(rows.map((r) => r[k]), `${path}[${k}]`, made));
  }
  if (isPlainObject(first)) {
    const keys = Object.keys(first);
    const want = keys.slice().sort().join(', ');
    rows.forEach((r, i) => {
      if (!isPlainObject(r) || Object.keys(r).sort().join(', ') !== want) {
        throw new Error(`batch: ${path} of element 0 has keys {${want}} but element ${i} is ${describe(r)}`);
      }
    });
    const out = {};
    for (const k of keys) out[k] = collate(rows.map((r) => r[k]), `${path}.${k}`, made);
    return out;
  }
  throw new Error(`batch: cannot batch ${describe(first)} (at ${path}); elements must be numbers, booleans, tensors, numeric arrays, or objects and arrays of them`);
}

/** One batch from `rows`; on success the rows' own tensors are disposed. */
function batchRows(rows) {
  const made = [];
  let out;
  try {
    out = collate(rows, 'element', made);
  } catch (e) {
    made.forEach((t) => t.dispose());
    throw e;
  }
  rows.forEach((r) => disposeElement(r));
  return out;
}

// ---- seeded shuffling ----

/** FNV-1a over the seed's text: any number or string gives a well-spread 32-bit state. */
function hashSeed(seed) {
  let h = 0x811c9dc5;
  for (const ch of String(seed)) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Uniform numbers in [0, 1): xorshift32 with a multiplicative output mix. */
function randomStream(seed) {
  let s = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (Math.imul(s, 0x2c1b3c6d) >>> 0) / 4294967296;
  };
  for (let i = 0; i < 4; i++) next(); // leave the seed's neighbourhood
  return next;
}

// ---- Dataset ----

/**
 * An ordered, re-iterable collection of elements and the transformations to apply to them.
 * Subclasses may override iterator() (resolving to an object with next()) and set `size`.
 */
export class Dataset {
  /**
   * @param {() => AsyncGenerator} [source] makes a fresh async generator per iteration
   * @param {number|null} [size] number of elements: null when unknown, Infinity when endless
   */
  constructor(source, size = null) {
    this._source = source ?? null;
    this.size = size;
  }

  /** @returns {Promise<LazyIterator>} a fresh pass over the elements */
  async iterator() {
    if (!this._source) throw new Error('Dataset: a subclass must implement iterator()');
    return new LazyIterator(this._source());
  }

  /**
   * Groups consecutive elements into batches: tensors stack on a new leading axis, numbers and
   * booleans become 1-D tensors, numeric arrays n-D tensors; objects and other arrays batch
   * key by key (element by element).
   */
  batch(batchSize, smallLastBatch = true) {
    checkPositiveInt('batch', 'batchSize', batchSize);
    const up = this;
    let size = null;
    if (up.size === Infinity) size = Infinity;
    else if (up.size !== null) size = smallLastBatch ? Math.ceil(up.size / batchSize) : Math.floor(up.size / batchSize);
    return new Dataset(async function* () {
      let rows = [];
      try {
        for await (const el of pull(up)) {
          rows.push(el);
          if (rows.length === batchSize) {
            const b = batchRows(rows);
            rows = [];
            yield b;
          }
        }
        if (rows.length > 0 && smallLastBatch) {
          const b = batchRows(rows);
          rows = [];
          yield b;
        }
      } finally {
        rows.forEach((r) => disposeElement(r));
      }
    }, size);
  }

  /** This dataset's elements, then `dataset`'s. */
  concatenate(dataset) {
    if (!(dataset instanceof Dataset)) throw new Error(`concatenate: expected a Dataset, received ${describe(dataset)}`);
    const up = this;
    let size = null;
    if (up.size === Infinity || dataset.size === Infinity) size = Infinity;
    else if (up.size !== null && dataset.size !== null) size = up.size + dataset.size;
    return new Dataset(async function* () {
      yield* pull(up);
      yield* pull(dataset);
    }, size);
  }

  /** Keeps the elements for which `predicate` (a boolean, or a Promise of one) is true. */
  filter(predicate) {
    checkFn('filter', predicate);
    const up = this;
    return new Dataset(async function* () {
      for await (const el of pull(up)) {
        let keep;
        try {
          // Tensors the predicate makes are freed, as under TF.js's tidy.
          keep = await tidy(() => ({ r: predicate(el) })).r;
          if (keep instanceof Tensor) {
            const t = keep;
            keep = t.dataSync()[0] !== 0;
            if (!tensorsIn(el).has(t)) t.dispose();
          }
        } catch (e) {
          disposeElement(el);
          throw e;
        }
        if (keep) yield el;
        else disposeElement(el);
      }
    }, up.size === Infinity ? Infinity : null);
  }

  /** Calls `f` on each element (awaiting it), then disposes the element's tensors. */
  async forEachAsync(f) {
    checkFn('forEachAsync', f);
    for await (const el of pull(this)) {
      try {
        await f(el);
      } finally {
        disposeElement(el);
      }
    }
  }

  /**
   * A 1-to-1 synchronous transform, run under tidy: tensors it makes and does not return are
   * freed, and the input's tensors that the output does not contain are disposed.
   */
  map(transform) {
    checkFn('map', transform);
    const up = this;
    return new Dataset(async function* () {
      for await (const el of pull(up)) {
        let out;
        try {
          out = tidy(() => {
            const v = transform(el);
            if (isThenable(v)) throw new Error('map: the transform returned a Promise; use mapAsync for async transforms');
            return { v };
          }).v;
        } catch (e) {
          disposeElement(el);
          throw e;
        }
        disposeElement(el, tensorsIn(out));
        yield out;
      }
    }, up.size);
  }

  /** A 1-to-1 async transform; it must free its own intermediates (no tidy across awaits). */
  mapAsync(transform) {
    checkFn('mapAsync', transform);
    const up = this;
    return new Dataset(async function* () {
      for await (const el of pull(up)) {
        let out;
        try {
          out = await transform(el);
        } catch (e) {
          disposeElement(el);
          throw e;
        }
        disposeElement(el, tensorsIn(out));
        yield out;
      }
    }, up.size);
  }

  /** Requests up to `bufferSize` elements ahead, so a slow source overlaps with the consumer. */
  prefetch(bufferSize) {
    checkPositiveInt('prefetch', 'bufferSize', bufferSize);
    const up = this;
    return new Dataset(async function* () {
      const it = await up.iterator();
      const queue = [];
      // Requests are chained: the upstream iterator never sees two next() calls at once.
      let tail = Promise.resolve();
      let ended = false;
      const request = () => {
        const p = tail.then(() => it.next());
        tail = p.catch(() => {});
        queue.push(p);
      };
      try {
        for (;;) {
          while (queue.length < bufferSize) request();
          const r = await queue.shift();
          if (r.done) {
            ended = true;
            return;
          }
          yield r.value;
        }
      } finally {
        if (!ended) {
          for (const p of queue) {
            const r = await p.catch(() => null);
            if (r && !r.done) disposeElement(r.value);
          }
          if (typeof it.return === 'function') await it.return();
        }
      }
    }, up.size);
  }

  /** Repeats the dataset `count` times; undefined or negative repeats it forever. */
  repeat(count) {
    checkCount('repeat', count);
    const up = this;
    const forever = count === undefined || count < 0;
    let size = null;
    if (count === 0 || up.size === 0) size = 0;
    else if (up.size !== null) size = forever ? Infinity : up.size * count;
    return new Dataset(async function* () {
      for (let pass = 0; forever || pass < count; pass++) {
        let any = false;
        for await (const el of pull(up)) {
          any = true;
          yield el;
        }
        // An empty pass means the source is empty: stop rather than spin forever.
        if (!any) return;
      }
    }, size);
  }

  /**
   * Pseudorandomly shuffles by sampling from a buffer of `bufferSize` elements (the dataset's
   * size gives a uniform shuffle). A seed (number or string) makes the order reproducible; with
   * reshuffleEachIteration each pass draws a new order (from the seed's sequence).
   */
  shuffle(bufferSize, seed, reshuffleEachIteration = true) {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      const hint = Number.isFinite(this.size) && this.size > 0 ? `; to shuffle the whole dataset, pass its size (${this.size})` : '';
      throw new Error(`shuffle: bufferSize must be a positive integer, received ${describe(bufferSize)}${hint}`);
    }
    const up = this;
    const base = seed === undefined || seed === null ? Math.floor(Math.random() * 4294967296) : hashSeed(seed);
    let passes = 0;
    return new Dataset(async function* () {
      const rand = randomStream(reshuffleEachIteration ? hashSeed(`${base}:${passes++}`) : base);
      const buf = [];
      try {
        for await (const el of pull(up)) {
          if (buf.length < bufferSize) {
            buf.push(el);
            continue;
          }
          const i = Math.floor(rand() * buf.length);
          const out = buf[i];
          buf[i] = el;
          yield out;
        }
        while (buf.length > 0) {
          const i = Math.floor(rand() * buf.length);
          const out = buf[i];
          buf[i] = buf[buf.length - 1];
          buf.pop();
          yield out;
        }
      } finally {
        buf.forEach((el) => disposeElement(el));
      }
    }, up.size);
  }

  /** Skips the first `count` elements (all of them when count is undefined or negative). */
  skip(count) {
    checkCount('skip', count);
    const up = this;
    const all = count === undefined || count < 0;
    let size = null;
    if (all) size = 0;
    else if (up.size !== null) size = Math.max(up.size - count, 0);
    return new Dataset(async function* () {
      if (all) return;
      let seen = 0;
      for await (const el of pull(up)) {
        if (seen < count) {
          seen++;
          disposeElement(el);
        } else {
          yield el;
        }
      }
    }, size);
  }

  /** The first `count` elements (all of them when count is undefined or negative). */
  take(count) {
    checkCount('take', count);
    const up = this;
    const all = count === undefined || count < 0;
    let size = up.size;
    if (!all && up.size !== null) size = Math.min(up.size, count);
    else if (!all) size = null;
    return new Dataset(async function* () {
      if (all) {
        yield* pull(up);
        return;
      }
      if (count === 0) return;
      let n = 0;
      for await (const el of pull(up)) {
        yield el;
        if (++n >= count) return;
      }
    }, size);
  }

  /** All elements in an array (the caller owns their tensors). */
  async toArray() {
    if (this.size === Infinity) throw new Error('toArray: the dataset is infinite (repeat() without a count); take(n) first');
    const out = [];
    for await (const el of pull(this)) out.push(el);
    return out;
  }
}

// ---- factories ----

/** A dataset of the given items, in order (tensors in them are cloned for each pass). */
export function array(items) {
  if (!Array.isArray(items)) throw new Error(`array: items must be an array, received ${describe(items)}`);
  return new Dataset(async function* () {
    for (const item of items) yield tensorsIn(item).size > 0 ? cloneElement(item) : item;
  }, items.length);
}

/**
 * Zips an array or object of datasets (nested structures too) into a dataset of elements with
 * the same structure. It ends with the shortest dataset.
 */
export function zip(datasets) {
  if (!Array.isArray(datasets) && !isPlainObject(datasets)) {
    throw new Error(`zip: datasets must be an array or object of datasets, received ${describe(datasets)}`);
  }
  const leaves = [];
  const walk = (c, path) => {
    if (c instanceof Dataset) leaves.push(c);
    else if (Array.isArray(c)) c.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (isPlainObject(c)) for (const [k, x] of Object.entries(c)) walk(x, `${path}.${k}`);
    else throw new Error(`zip: ${path} must be a Dataset (or an array or object of datasets), received ${describe(c)}`);
  };
  walk(datasets, 'datasets');
  if (leaves.length === 0) throw new Error('zip: datasets holds no Dataset');
  const size = leaves.some((d) => d.size === null) ? null : Math.min(...leaves.map((d) => d.size));
  return new Dataset(async function* () {
    const its = leaves.map((d) => pull(d));
    try {
      for (;;) {
        const settled = await Promise.allSettled(its.map((it) => it.next()));
        const failed = settled.find((s) => s.status === 'rejected');
        const rs = settled.map((s) => (s.status === 'fulfilled' ? s.value : null));
        if (failed || rs.some((r) => r.done)) {
          for (const r of rs) if (r && !r.done) disposeElement(r.value);
          if (failed) throw failed.reason;
          return;
        }
        let k = 0;
        const build = (c) => {
          if (c instanceof Dataset) return rs[k++].value;
          if (Array.isArray(c)) return c.map(build);
          const o = {};
          for (const [key, x] of Object.entries(c)) o[key] = build(x);
          return o;
        };
        yield build(datasets);
      }
    } finally {
      await Promise.allSettled(its.map((it) => it.return()));
    }
  }, size);
}

/**
 * A dataset from a function called afresh for each pass: a generator function (sync or async),
 * or any function returning an iterator, an async iterator, an iterable, or a Promise of one.
 */
export function generator(fn) {
  if (typeof fn !== 'function') throw new Error(`generator: expected a function that returns an iterator (e.g. a generator function), received ${describe(fn)}`);
  return new Dataset(async function* () {
    let it = await fn();
    if (it && typeof it.next !== 'function') {
      if (typeof it[Symbol.asyncIterator] === 'function') it = it[Symbol.asyncIterator]();
      else if (typeof it[Symbol.iterator] === 'function') it = it[Symbol.iterator]();
    }
    if (!it || typeof it.next !== 'function') {
      throw new Error(`generator: the function must return an iterator (an object with next()), received ${describe(it)}`);
    }
    let finished = false;
    try {
      for (;;) {
        const r = await it.next();
        if (r === null || typeof r !== 'object') throw new Error(`generator: the iterator's next() must return {value, done}, received ${describe(r)}`);
        if (r.done) {
          finished = true;
          return;
        }
        yield r.value;
      }
    } finally {
      if (!finished && typeof it.return === 'function') await it.return();
    }
  }, null);
}

export const data = { array, zip, generator, Dataset };

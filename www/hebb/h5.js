// The HDF5 half of the .keras reader, bundled on its own as dist/hebb_h5.js: h5wasm embeds a
// WebAssembly build of the HDF5 C library (about 4 MB), so keras_file.js imports this module
// only when a .keras file is actually read, and dist/hebb.js stays small.
//
// h5wasm works on files in an Emscripten in-memory file system: the bytes are written there,
// opened read-only, and removed again on close().
import h5wasm from 'h5wasm';

let started = null;
let serial = 0;

function start() {
  started ??= h5wasm.ready.then((Module) => {
    // HDF5 reports errors by printing its error stack; with this handler the stack is thrown as
    // a JS Error instead, so a damaged file gives an exception (and no console noise).
    Module.activate_throwing_error_handler();
    return Module;
  });
  return started;
}

/**
 * HDF5's error stack (one "#00N: file line L in func(): what" line per frame, outermost first)
 * condensed to the innermost "what", which says what is wrong with the file.
 * @param {unknown} e
 * @returns {string}
 */
export function h5Message(e) {
  const text = String(e?.message ?? e);
  const frames = [...text.matchAll(/#\d+:.*? in \w+\(\): (.*)/g)].map((m) => m[1].trim());
  return frames.length ? frames[frames.length - 1] : text.split('\n')[0].trim();
}

// IEEE half precision -> number (h5wasm has no Float16 reader).
function halfToNumber(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Raw little-endian bytes (HDF5 class and size in `meta`) -> Float32Array. */
function toFloat32(bytes, meta) {
  const { buffer } = bytes;
  if (meta.type === 1) { // H5T_FLOAT
    if (meta.size === 4) return new Float32Array(buffer);
    if (meta.size === 8) return Float32Array.from(new Float64Array(buffer));
    if (meta.size === 2) return Float32Array.from(new Uint16Array(buffer), halfToNumber);
  } else if (meta.type === 0) { // H5T_INTEGER
    const Int = {
      1: meta.signed ? Int8Array : Uint8Array,
      2: meta.signed ? Int16Array : Uint16Array,
      4: meta.signed ? Int32Array : Uint32Array,
      8: meta.signed ? BigInt64Array : BigUint64Array,
    }[meta.size];
    if (Int) return Float32Array.from(new Int(buffer), Number);
  }
  const kind = meta.type === 1 ? `float${meta.size * 8}` : `HDF5 type class ${meta.type}, ${meta.size} bytes`;
  throw new Error(`it holds ${kind} values, not numbers`);
}

/** A read-only HDF5 file. Paths are absolute within the file ('/layers/dense/vars'). */
class H5Reader {
  constructor(Module, file, fsPath) {
    this.Module = Module;
    this.file = file;
    this.fsPath = fsPath;
  }

  /**
   * The groups and datasets directly under a group, each list sorted by name, or null when
   * `path` is not a group.
   * @param {string} path
   * @returns {{groups: string[], datasets: string[]} | null}
   */
  list(path) {
    let group;
    try {
      group = this.file.get(path);
    } catch {
      return null;
    }
    if (!(group instanceof h5wasm.Group)) return null;
    const groups = [];
    const datasets = [];
    for (const name of group.keys()) {
      const child = group.get(name);
      if (child instanceof h5wasm.Group) groups.push(name);
      else if (child instanceof h5wasm.Dataset) datasets.push(name);
    }
    return { groups: groups.sort(), datasets: datasets.sort() };
  }

  /**
   * An attribute of a group or dataset (strings and numbers as JS values), or undefined.
   * @param {string} path
   * @param {string} name
   */
  attr(path, name) {
    try {
      const obj = this.file.get(path);
      if (!obj || !(name in obj.attrs)) return undefined;
      return obj.get_attribute(name, true);
    } catch {
      return undefined;
    }
  }

  /**
   * A numeric dataset as float32 values (row-major) with its shape.
   * @param {string} path
   * @returns {{shape: number[], dtype: string, values: Float32Array}}
   */
  read(path) {
    const { Module } = this;
    const ds = this.file.get(path);
    if (!(ds instanceof h5wasm.Dataset)) throw new Error(`${path} is not a dataset`);
    const meta = ds.metadata;
    const shape = (meta.shape ?? []).map(Number);
    const count = shape.reduce((a, b) => a * b, 1);
    const nbytes = count * meta.size;
    // Read the whole dataset as raw bytes: the library converts big-endian data to
    // little-endian, and float16 (which h5wasm's typed reader refuses) is decoded here.
    const ptr = Module._malloc(Math.max(nbytes, 8));
    if (!ptr) throw new Error(`out of memory reading ${path} (${nbytes} bytes)`);
    let bytes;
    try {
      Module.get_dataset_data(this.file.file_id, path, null, null, null, BigInt(ptr));
      bytes = Module.HEAPU8.slice(ptr, ptr + nbytes);
    } finally {
      Module._free(ptr);
    }
    const dtype = `${meta.type === 1 ? 'float' : meta.type === 0 ? (meta.signed ? 'int' : 'uint') : 'other'}${meta.size * 8}`;
    return { shape, dtype, values: toFloat32(bytes, meta) };
  }

  /** Closes the file and frees its bytes. */
  close() {
    try {
      this.file.close();
    } catch { /* already closed */ }
    try {
      this.Module.FS.unlink(this.fsPath);
    } catch { /* already gone */ }
  }
}

/**
 * Opens the bytes of an HDF5 file. Rejects with an Error whose message is HDF5's reason
 * ("file signature not found", "truncated file: ...") when they are not a readable HDF5 file.
 * @param {Uint8Array} bytes
 * @returns {Promise<H5Reader>}
 */
export async function openH5(bytes) {
  const Module = await start();
  const fsPath = `/hebb-${++serial}.h5`;
  Module.FS.writeFile(fsPath, bytes);
  try {
    const file = new h5wasm.File(fsPath, 'r');
    // Without an exception, a failed open shows as a negative id.
    if (typeof file.file_id === 'bigint' ? file.file_id < 0n : file.file_id < 0) {
      throw new Error('not an HDF5 file');
    }
    return new H5Reader(Module, file, fsPath);
  } catch (e) {
    try { Module.FS.unlink(fsPath); } catch { /* already gone */ }
    throw new Error(h5Message(e));
  }
}

/**
 * Writes an HDF5 file and returns its bytes: `groups` (paths such as 'layers/dense/vars', made
 * with their parents), each with optional string attributes, and `datasets`: {path, shape,
 * values} with float32 (Float32Array) or int32 (Int32Array) values; a shape of [] is a scalar.
 * @param {{path: string, attrs?: Record<string, string>}[]} groups
 * @param {{path: string, shape: number[], values: Float32Array | Int32Array}[]} datasets
 * @returns {Promise<Uint8Array>}
 */
export async function writeH5(groups, datasets) {
  const Module = await start();
  const fsPath = `/hebb-out-${++serial}.h5`;
  let file = null;
  try {
    file = new h5wasm.File(fsPath, 'w');
    const made = new Map([['', file]]);
    const group = (path) => {
      if (made.has(path)) return made.get(path);
      const cut = path.lastIndexOf('/');
      const parent = group(cut < 0 ? '' : path.slice(0, cut));
      const g = parent.create_group(path.slice(cut + 1));
      made.set(path, g);
      return g;
    };
    for (const { path, attrs } of groups) {
      const g = group(path);
      for (const [k, v] of Object.entries(attrs ?? {})) g.create_attribute(k, String(v));
    }
    for (const { path, shape, values } of datasets) {
      const cut = path.lastIndexOf('/');
      const dtype = values instanceof Int32Array ? '<i4' : '<f';
      group(cut < 0 ? '' : path.slice(0, cut)).create_dataset({ name: path.slice(cut + 1), data: values, shape, dtype });
    }
    file.flush();
    file.close();
    file = null;
    return Module.FS.readFile(fsPath);
  } catch (e) {
    throw new Error(h5Message(e));
  } finally {
    if (file) {
      try { file.close(); } catch { /* already closed */ }
    }
    try { Module.FS.unlink(fsPath); } catch { /* never made */ }
  }
}

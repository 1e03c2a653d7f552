// tf.io: where saved models live, in TF.js's Layers format. A model travels as ModelArtifacts
//   {modelTopology, weightSpecs, weightData, format, generatedBy, convertedBy, trainingConfig,
//    userDefinedMetadata}
// and on disk or over HTTP as model.json
//   {modelTopology, format: 'layers-model', generatedBy, convertedBy,
//    weightsManifest: [{paths, weights}], trainingConfig?}
// plus the binary weight files the manifest names (little-endian values, weights back to back).
// This module only moves artifacts and packs/unpacks weight bytes; turning a topology into a
// model is models.js's job, so nothing here depends on the model classes.
import { kerasToArtifacts } from './keras_file.js';

/** IndexedDB database and stores: TF.js's layout under Hebb's own database name. */
const DB_NAME = 'hebb_models';
const DB_VERSION = 1;
const MODEL_STORE = 'models_store';
const INFO_STORE = 'model_info_store';
/** localStorage keys: `hebb_models/<path>/<part>`, the parts TF.js uses. */
const LS_PREFIX = 'hebb_models';
const LS_PARTS = ['info', 'model_topology', 'weight_specs', 'weight_data', 'model_metadata'];

const BYTES = { float32: 4, int32: 4, bool: 1 };
const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 };

// ---- weights ----

/** Joins an ArrayBuffer, an array of them, or a typed array into one ArrayBuffer. */
export function joinBuffers(data) {
  if (data == null) return new ArrayBuffer(0);
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  if (Array.isArray(data)) {
    if (data.length === 1 && data[0] instanceof ArrayBuffer) return data[0];
    const parts = data.map((d) => new Uint8Array(joinBuffers(d)));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out.buffer;
  }
  throw new Error(`weightData must be an ArrayBuffer or an array of ArrayBuffers, received ${describe(data)}`);
}

/**
 * Packs weights into TF.js's binary layout.
 * @param {{name: string, shape: number[], dtype?: 'float32'|'int32', data: Float32Array|Int32Array|number[]}[]} list
 * @returns {{weightSpecs: {name: string, shape: number[], dtype: string}[], weightData: ArrayBuffer}}
 */
export function encodeWeights(list) {
  if (!Array.isArray(list)) throw new Error(`encodeWeights: expected an array of {name, shape, dtype, data}, received ${describe(list)}`);
  const weightSpecs = [];
  const arrays = [];
  for (const w of list) {
    const dtype = w.dtype ?? (w.data instanceof Int32Array ? 'int32' : 'float32');
    if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`encodeWeights: weight '${w.name}' has dtype '${dtype}'; expected 'float32' or 'int32'`);
    const size = shapeSize(w.shape);
    if (size < 0) throw new Error(`encodeWeights: weight '${w.name}' has an invalid shape ${JSON.stringify(w.shape)}`);
    const data = dtype === 'int32' ? Int32Array.from(w.data ?? []) : Float32Array.from(w.data ?? []);
    if (data.length !== size) {
      throw new Error(`encodeWeights: weight '${w.name}' of shape [${w.shape}] needs ${size} values, received ${data.length}`);
    }
    weightSpecs.push({ name: w.name, shape: w.shape.slice(), dtype });
    arrays.push(data);
  }
  return { weightSpecs, weightData: joinBuffers(arrays.map((a) => a.buffer)) };
}

/**
 * Unpacks weights: float32, int32 and bool, and the converter's quantized forms (uint8/uint16
 * with scale and min, float16). Each entry keeps its spec's `group` when there is one (TF.js marks
 * optimizer state with group 'optimizer').
 * @param {ArrayBuffer|ArrayBuffer[]} weightData
 * @param {object[]} weightSpecs
 * @returns {{name: string, shape: number[], dtype: string, data: Float32Array|Int32Array|Uint8Array, group?: string}[]}
 */
export function decodeWeights(weightData, weightSpecs) {
  if (!Array.isArray(weightSpecs)) throw new Error(`loadLayersModel: weightSpecs must be an array, received ${describe(weightSpecs)}`);
  const buf = joinBuffers(weightData);
  const total = buf.byteLength;
  const out = [];
  let offset = 0;
  for (const spec of weightSpecs) {
    const name = spec?.name;
    const shapeText = JSON.stringify(spec?.shape);
    const where = `weight '${name}' (shape ${shapeText}, dtype ${spec?.dtype})`;
    const size = shapeSize(spec?.shape);
    if (size < 0) {
      throw new Error(`loadLayersModel: ${where} has an invalid shape: dimensions must be non-negative integers (at byte ${offset} of ${total})`);
    }
    const q = spec.quantization;
    let bytes;
    if (q != null) {
      bytes = QUANT_BYTES[q.dtype];
      if (bytes === undefined) {
        throw new Error(`loadLayersModel: ${where} is quantized as '${q.dtype}'; expected uint8, uint16 or float16 (at byte ${offset} of ${total})`);
      }
      if (q.dtype === 'float16' ? spec.dtype !== 'float32' : spec.dtype !== 'float32' && spec.dtype !== 'int32') {
        throw new Error(`loadLayersModel: ${where}: ${q.dtype} quantization of dtype '${spec.dtype}' is not supported (at byte ${offset} of ${total})`);
      }
      if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number')) {
        throw new Error(`loadLayersModel: ${where} is quantized as ${q.dtype} but its quantization lacks numeric scale and min`);
      }
    } else {
      bytes = BYTES[spec.dtype];
      if (bytes === undefined) {
        throw new Error(`loadLayersModel: ${where} has dtype '${spec.dtype}'; Hebb reads float32, int32 and bool weights (at byte ${offset} of ${total})`);
      }
    }
    const need = size * bytes;
    if (offset + need > total) {
      throw new Error(
        `loadLayersModel: ${where} needs ${need} bytes at byte ${offset}, but the weight data holds only ${total} bytes ` +
        `(${Math.max(0, total - offset)} left; the weight files are truncated or do not match model.json)`,
      );
    }
    // slice copies, so views are aligned whatever the offset and independent of the input.
    const chunk = buf.slice(offset, offset + need);
    offset += need;
    let data;
    let dtype = spec.dtype;
    if (q == null) {
      data = dtype === 'float32' ? new Float32Array(chunk) : dtype === 'int32' ? new Int32Array(chunk) : new Uint8Array(chunk);
    } else if (q.dtype === 'float16') {
      data = halfToFloat(new Uint16Array(chunk));
    } else {
      const raw = q.dtype === 'uint8' ? new Uint8Array(chunk) : new Uint16Array(chunk);
      data = dtype === 'int32' ? new Int32Array(raw.length) : new Float32Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const v = raw[i] * q.scale + q.min;
        data[i] = dtype === 'int32' ? Math.round(v) : v;
      }
    }
    const entry = { name, shape: spec.shape.slice(), dtype, data };
    if (spec.group != null) entry.group = spec.group;
    out.push(entry);
  }
  return out;
}

/** Number of values of a shape, or -1 when it is not a list of non-negative integers. */
function shapeSize(shape) {
  if (!Array.isArray(shape)) return -1;
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) return -1;
    n *= d;
  }
  return n;
}

/** IEEE 754 half precision to float32. */
function halfToFloat(h) {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const sign = h[i] & 0x8000 ? -1 : 1;
    const exp = (h[i] >> 10) & 0x1f;
    const frac = h[i] & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** Bytes that a manifest group's weights occupy. */
function groupBytes(weights) {
  let n = 0;
  for (const s of weights) {
    const size = shapeSize(s.shape);
    const b = s.quantization ? QUANT_BYTES[s.quantization.dtype] : BYTES[s.dtype];
    if (size < 0 || b === undefined) return 0; // decodeWeights reports these with the details
    n += size * b;
  }
  return n;
}

// ---- artifacts and model.json ----

function describe(v) {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v !== 'object') return String(v);
  return v.constructor?.name ?? 'object';
}

function utf8Length(s) { return new TextEncoder().encode(s).length; }

function checkJsonTopology(artifacts, where) {
  if (artifacts == null || typeof artifacts !== 'object') throw new Error(`${where}: expected model artifacts, received ${describe(artifacts)}`);
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error(`${where}: a binary (GraphDef) model topology cannot be saved; only JSON topologies`);
}

/**
 * TF.js's ModelArtifactsInfo: when and how much was saved.
 * @returns {{dateSaved: Date, modelTopologyType: 'JSON', modelTopologyBytes: number, weightSpecsBytes: number, weightDataBytes: number}}
 */
export function getModelArtifactsInfoForJSON(artifacts) {
  checkJsonTopology(artifacts, 'getModelArtifactsInfoForJSON');
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: artifacts.modelTopology == null ? 0 : utf8Length(JSON.stringify(artifacts.modelTopology)),
    weightSpecsBytes: artifacts.weightSpecs == null ? 0 : utf8Length(JSON.stringify(artifacts.weightSpecs)),
    weightDataBytes: artifacts.weightData == null ? 0 : joinBuffers(artifacts.weightData).byteLength,
  };
}

// Optional metadata that travels with a model, in the order TF.js writes it after the manifest.
const EXTRA_FIELDS = ['signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature', 'trainingConfig'];

/** The model.json object for `artifacts`, whose weights are in the files of `weightsManifest`. */
export function getModelJSONForModelArtifacts(artifacts, weightsManifest) {
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest,
  };
  for (const k of EXTRA_FIELDS) if (artifacts[k] != null) json[k] = artifacts[k];
  return json;
}

/** Artifacts from a parsed model.json and its weights (already read). */
function artifactsFromModelJson(json, weightSpecs, weightData) {
  const a = { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy };
  for (const k of EXTRA_FIELDS) if (json[k] != null) a[k] = json[k];
  if (weightSpecs !== undefined) {
    a.weightSpecs = weightSpecs;
    a.weightData = weightData;
  }
  return a;
}

/** Parses model.json text; `source` names the file or URL in errors. */
function parseModelJson(text, source) {
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const hint = text.length === 0 ? 'the file is empty' : `${text.length} characters; ${e.message}`;
    throw new Error(`loadLayersModel: ${source} is not valid JSON (${hint}); is the file truncated or not a model.json?`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`loadLayersModel: ${source} holds ${Array.isArray(json) ? 'an array' : describe(json)}, not a model.json object`);
  }
  if (json.modelTopology == null && json.weightsManifest == null) {
    throw new Error(`loadLayersModel: ${source} has neither modelTopology nor weightsManifest; is it a TF.js Layers model.json?`);
  }
  if (json.weightsManifest != null) {
    const ok = Array.isArray(json.weightsManifest) &&
      json.weightsManifest.every((g) => g && Array.isArray(g.paths) && g.paths.every((p) => typeof p === 'string') && Array.isArray(g.weights));
    if (!ok) throw new Error(`loadLayersModel: ${source}: weightsManifest must be a list of {paths: string[], weights: object[]}`);
  }
  return json;
}

/**
 * Reads the weight files a manifest names, group by group, and joins them in manifest order.
 * `fetchFile(path)` resolves to [ArrayBuffer, description for errors].
 */
async function readManifestWeights(manifest, fetchFile) {
  const groups = await Promise.all(manifest.map((g) => Promise.all(g.paths.map(fetchFile))));
  const buffers = [];
  manifest.forEach((g, i) => {
    const files = groups[i];
    const have = files.reduce((n, [b]) => n + b.byteLength, 0);
    const need = groupBytes(g.weights);
    if (have < need) {
      const names = g.weights.map((w) => w.name);
      throw new Error(
        `loadLayersModel: weight file${files.length === 1 ? '' : 's'} ${files.map(([, d]) => d).join(', ')} ` +
        `hold${files.length === 1 ? 's' : ''} ${have} bytes, but the manifest needs ${need} bytes for ` +
        `${names.length} weights (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}); the file is truncated or does not belong to this model.json`,
      );
    }
    for (const [b] of files) buffers.push(b);
  });
  const weightSpecs = manifest.flatMap((g) => g.weights);
  return [weightSpecs, joinBuffers(buffers)];
}

// ---- handlers ----

/** Structured-clone-safe copy of the artifacts with the weights as one ArrayBuffer. */
function storable(artifacts) {
  const out = {};
  for (const [k, v] of Object.entries(artifacts)) if (typeof v !== 'function' && v !== undefined) out[k] = v;
  if (artifacts.weightData != null) out.weightData = joinBuffers(artifacts.weightData);
  return out;
}

function idbFactory(url) {
  const f = globalThis.indexedDB;
  if (!f) throw new Error(`${url}: IndexedDB is not available here (private browsing, a worker without it, or Node)`);
  return f;
}

function idbRequest(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDb(url) {
  return new Promise((resolve, reject) => {
    const req = idbFactory(url).open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(MODEL_STORE)) db.createObjectStore(MODEL_STORE, { keyPath: 'modelPath' });
      if (!db.objectStoreNames.contains(INFO_STORE)) db.createObjectStore(INFO_STORE, { keyPath: 'modelPath' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`${url}: could not open IndexedDB database '${DB_NAME}': ${req.error?.message ?? req.error}`));
    req.onblocked = () => reject(new Error(`${url}: IndexedDB database '${DB_NAME}' is blocked by another tab holding an older version`));
  });
}

/** Runs `fn(models, infos)` in one transaction over both stores; resolves when it commits. */
async function idbTransaction(url, mode, fn) {
  const db = await openDb(url);
  // Our own errors (a missing model) pass through; the database's (DOMExceptions such as
  // QuotaExceededError or DataCloneError) get the URL and the operation.
  const wrap = (e) => (e instanceof DOMException || !(e instanceof Error)
    ? new Error(`${url}: IndexedDB ${mode === 'readonly' ? 'read' : 'write'} failed: ${e?.name ? `${e.name}: ` : ''}${e?.message ?? e}`)
    : e);
  try {
    let tx;
    try {
      tx = db.transaction([MODEL_STORE, INFO_STORE], mode);
    } catch (e) {
      throw wrap(e);
    }
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
      tx.onerror = () => reject(tx.error);
    });
    let result;
    try {
      result = await fn(tx.objectStore(MODEL_STORE), tx.objectStore(INFO_STORE));
    } catch (e) {
      try { tx.abort(); } catch { /* already finished */ }
      await done.catch(() => {});
      throw wrap(e);
    }
    await done.catch((e) => { throw wrap(e); });
    return result;
  } finally {
    db.close();
  }
}

class IndexedDBHandler {
  constructor(path) {
    if (!path) throw new Error('indexeddb://: the model path must not be empty (e.g. indexeddb://my-model)');
    this.path = path;
    this.url = `indexeddb://${path}`;
  }
  async save(artifacts) {
    checkJsonTopology(artifacts, `save to ${this.url}`);
    const modelArtifacts = storable(artifacts);
    const modelArtifactsInfo = getModelArtifactsInfoForJSON(modelArtifacts);
    await idbTransaction(this.url, 'readwrite', (models, infos) => {
      infos.put({ modelPath: this.path, modelArtifactsInfo });
      models.put({ modelPath: this.path, modelArtifacts, modelArtifactsInfo });
    });
    return { modelArtifactsInfo };
  }
  async load() {
    const rec = await idbTransaction(this.url, 'readonly', (models) => idbRequest(models.get(this.path)));
    if (rec == null) throw new Error(`Cannot find model '${this.url}' in IndexedDB: nothing was saved under that name (io.listModels() lists what was)`);
    return rec.modelArtifacts;
  }
}

const indexedDBManager = {
  scheme: 'indexeddb',
  available: () => typeof globalThis.indexedDB !== 'undefined',
  async listModels() {
    const all = await idbTransaction('indexeddb://', 'readonly', (_, infos) => idbRequest(infos.getAll()));
    const out = {};
    for (const r of all) out[r.modelPath] = r.modelArtifactsInfo;
    return out;
  },
  async removeModel(path) {
    const url = `indexeddb://${path}`;
    return idbTransaction(url, 'readwrite', async (models, infos) => {
      const rec = await idbRequest(infos.get(path));
      if (rec == null) throw new Error(`Cannot find model '${url}' in IndexedDB, so it cannot be removed`);
      infos.delete(path);
      models.delete(path);
      return rec.modelArtifactsInfo;
    });
  },
};

function lsStorage(url) {
  let ls = null;
  try { ls = globalThis.localStorage ?? null; } catch { /* access denied, e.g. sandboxed iframe */ }
  if (!ls) throw new Error(`${url}: localStorage is not available here`);
  return ls;
}

const lsKeys = (path) => Object.fromEntries(LS_PARTS.map((p) => [p, `${LS_PREFIX}/${path}/${p}`]));

function bufferToBase64(buf) {
  const bytes = new Uint8Array(buf);
  let s = '';
  // In chunks: String.fromCharCode with a huge argument list overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function base64ToBuffer(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function isQuotaError(e) {
  return e && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e.code === 22 || e.code === 1014);
}

class LocalStorageHandler {
  constructor(path) {
    if (!path) throw new Error('localstorage://: the model path must not be empty (e.g. localstorage://my-model)');
    this.path = path;
    this.url = `localstorage://${path}`;
    this.keys = lsKeys(path);
  }
  async save(artifacts) {
    checkJsonTopology(artifacts, `save to ${this.url}`);
    const ls = lsStorage(this.url);
    const info = getModelArtifactsInfoForJSON(artifacts);
    const metadata = { format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy };
    for (const k of EXTRA_FIELDS) if (artifacts[k] != null) metadata[k] = artifacts[k];
    const weights = bufferToBase64(joinBuffers(artifacts.weightData));
    try {
      ls.setItem(this.keys.info, JSON.stringify(info));
      // `?? null` / `?? []`: JSON.stringify(undefined) is not JSON and would not load back.
      ls.setItem(this.keys.model_topology, JSON.stringify(artifacts.modelTopology ?? null));
      ls.setItem(this.keys.weight_specs, JSON.stringify(artifacts.weightSpecs ?? []));
      ls.setItem(this.keys.weight_data, weights);
      ls.setItem(this.keys.model_metadata, JSON.stringify(metadata));
    } catch (e) {
      // A half-written model would list as saved but fail to load.
      for (const k of Object.values(this.keys)) ls.removeItem(k);
      if (isQuotaError(e)) {
        throw new Error(
          `Saving to ${this.url} failed: localStorage is full (its quota is about 5 MB per origin and weights are stored as base64, ` +
          `${weights.length} characters here; topology ${info.modelTopologyBytes} bytes, weight specs ${info.weightSpecsBytes} bytes, ` +
          `weights ${info.weightDataBytes} bytes). Use indexeddb:// for larger models, or remove old ones with io.removeModel`,
        );
      }
      throw new Error(`Saving to ${this.url} failed: ${e?.message ?? e}`);
    }
    return { modelArtifactsInfo: info };
  }
  async load() {
    const ls = lsStorage(this.url);
    const read = (part, what) => {
      const s = ls.getItem(this.keys[part]);
      if (s == null) throw new Error(`Cannot load '${this.url}' from localStorage: its ${what} (key '${this.keys[part]}') is missing`);
      return s;
    };
    const parse = (part, what) => {
      const s = read(part, what);
      try {
        return JSON.parse(s);
      } catch (e) {
        throw new Error(`Cannot load '${this.url}' from localStorage: its ${what} (key '${this.keys[part]}') is not valid JSON (${e.message})`);
      }
    };
    if (ls.getItem(this.keys.info) == null) {
      throw new Error(`Cannot find model '${this.url}' in localStorage: nothing was saved under that name (io.listModels() lists what was)`);
    }
    const info = parse('info', 'info record');
    if (info.modelTopologyType !== 'JSON') throw new Error(`Cannot load '${this.url}': only JSON topologies are supported, found ${info.modelTopologyType}`);
    const out = { modelTopology: parse('model_topology', 'model topology') };
    out.weightSpecs = parse('weight_specs', 'weight specs');
    if (ls.getItem(this.keys.model_metadata) != null) {
      const meta = parse('model_metadata', 'metadata');
      out.format = meta.format;
      out.generatedBy = meta.generatedBy;
      out.convertedBy = meta.convertedBy;
      for (const k of EXTRA_FIELDS) if (meta[k] != null) out[k] = meta[k];
    }
    try {
      out.weightData = base64ToBuffer(read('weight_data', 'weight data'));
    } catch (e) {
      if (e.message.startsWith('Cannot')) throw e;
      throw new Error(`Cannot load '${this.url}' from localStorage: its weight data is not valid base64 (${e.message})`);
    }
    return out;
  }
}

const localStorageManager = {
  scheme: 'localstorage',
  available: () => {
    try { return !!globalThis.localStorage; } catch { return false; }
  },
  async listModels() {
    const ls = lsStorage('localstorage://');
    const out = {};
    const prefix = `${LS_PREFIX}/`;
    for (let i = 0; i < ls.length; i++) {
      const key = ls.key(i);
      if (!key.startsWith(prefix) || !key.endsWith('/info')) continue;
      try {
        const info = JSON.parse(ls.getItem(key));
        // JSON turned the Date into a string; give back TF.js's Date.
        if (info && info.dateSaved != null) info.dateSaved = new Date(info.dateSaved);
        out[key.slice(prefix.length, -'/info'.length)] = info;
      } catch { /* an unreadable record is not a model */ }
    }
    return out;
  },
  async removeModel(path) {
    const url = `localstorage://${path}`;
    const ls = lsStorage(url);
    const keys = lsKeys(path);
    const s = ls.getItem(keys.info);
    if (s == null) throw new Error(`Cannot find model '${url}' in localStorage, so it cannot be removed`);
    for (const k of Object.values(keys)) ls.removeItem(k);
    let info = null;
    try { info = JSON.parse(s); } catch { /* removed anyway */ }
    if (info && info.dateSaved != null) info.dateSaved = new Date(info.dateSaved);
    return info;
  },
};

const MANAGERS = { indexeddb: indexedDBManager, localstorage: localStorageManager };

class DownloadsHandler {
  constructor(name = 'model') {
    if (name.startsWith('downloads://')) name = name.slice('downloads://'.length);
    this.name = name || 'model';
    this.jsonName = `${this.name}.json`;
    this.weightsName = `${this.name}.weights.bin`;
  }
  async save(artifacts) {
    if (typeof document === 'undefined') throw new Error(`downloads://${this.name}: downloads need a page with a document (not a worker or Node)`);
    checkJsonTopology(artifacts, `downloads://${this.name}`);
    const manifest = [{ paths: [`./${this.weightsName}`], weights: artifacts.weightSpecs ?? [] }];
    const json = JSON.stringify(getModelJSONForModelArtifacts(artifacts, manifest));
    const files = [[this.jsonName, new Blob([json], { type: 'application/json' })]];
    if (artifacts.weightData != null) files.push([this.weightsName, new Blob([joinBuffers(artifacts.weightData)], { type: 'application/octet-stream' })]);
    for (const [fileName, blob] of files) {
      const href = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.download = fileName;
      a.href = href;
      // One click per task, as TF.js does: browsers may drop a second download started in the same task.
      await new Promise((resolve) => setTimeout(resolve, 0));
      a.dispatchEvent(new MouseEvent('click'));
      // Revoking at once can cancel the download; the blob is freed a minute later instead.
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
    }
    return { modelArtifactsInfo: getModelArtifactsInfoForJSON(artifacts) };
  }
}

/** `dir/` of a URL (without its query), and the query, which TF.js appends to weight URLs too. */
function splitUrl(url) {
  const q = url.indexOf('?');
  const base = q >= 0 ? url.slice(0, q) : url;
  const query = q >= 0 ? url.slice(q) : '';
  const slash = base.lastIndexOf('/');
  return [slash >= 0 ? base.slice(0, slash + 1) : '', query];
}

class HttpHandler {
  constructor(path, options = {}) {
    if (typeof path !== 'string' || path.length === 0) throw new Error(`io.http: the URL must be a non-empty string, received ${describe(path)}`);
    options = options ?? {};
    if (options.requestInit?.body != null) throw new Error(`io.http(${path}): requestInit must not have a body; the handler sets it`);
    if (options.fetchFunc != null && typeof options.fetchFunc !== 'function') throw new Error(`io.http(${path}): fetchFunc must be a function like fetch`);
    this.path = path;
    this.options = options;
    this.requestInit = options.requestInit ?? {};
  }
  _fetch(url, init) {
    const f = this.options.fetchFunc ?? globalThis.fetch;
    if (typeof f !== 'function') throw new Error(`io.http(${this.path}): fetch is not available; pass options.fetchFunc`);
    return f(url, init);
  }
  async save(artifacts) {
    checkJsonTopology(artifacts, `save to ${this.path}`);
    const form = new FormData();
    const manifest = [{ paths: ['./model.weights.bin'], weights: artifacts.weightSpecs ?? [] }];
    form.append('model.json', new Blob([JSON.stringify(getModelJSONForModelArtifacts(artifacts, manifest))], { type: 'application/json' }), 'model.json');
    if (artifacts.weightData != null) {
      form.append('model.weights.bin', new Blob([joinBuffers(artifacts.weightData)], { type: 'application/octet-stream' }), 'model.weights.bin');
    }
    const init = { method: 'POST', ...this.requestInit, body: form };
    let response;
    try {
      response = await this._fetch(this.path, init);
    } catch (e) {
      throw new Error(`Saving to ${this.path} failed: the request did not complete (${e?.message ?? e})`);
    }
    if (!response.ok) throw new Error(`Saving to ${this.path} failed: HTTP status ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    return { modelArtifactsInfo: getModelArtifactsInfoForJSON(artifacts), responses: [response] };
  }
  async _get(url, what) {
    let response;
    try {
      response = await this._fetch(url, this.requestInit);
    } catch (e) {
      throw new Error(`loadLayersModel: fetching ${what} ${url} failed: ${e?.message ?? e}`);
    }
    if (!response.ok) {
      throw new Error(`loadLayersModel: fetching ${what} ${url} failed with HTTP status ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    return response;
  }
  async load() {
    const response = await this._get(this.path, 'model JSON');
    const json = parseModelJson(await response.text(), `${this.path} (HTTP status ${response.status})`);
    if (json.weightsManifest == null) return artifactsFromModelJson(json);
    const [dir, query] = splitUrl(this.path);
    const prefix = this.options.weightPathPrefix ?? dir;
    const all = json.weightsManifest.reduce((n, g) => n + g.paths.length, 0);
    let done = 0;
    const onProgress = this.options.onProgress;
    const [specs, data] = await readManifestWeights(json.weightsManifest, async (p) => {
      const url = this.options.weightUrlConverter ? await this.options.weightUrlConverter(p) : prefix + p + query;
      const r = await this._get(url, 'weight file');
      const buf = await r.arrayBuffer();
      done++;
      if (typeof onProgress === 'function') onProgress(done / all);
      return [buf, url];
    });
    return artifactsFromModelJson(json, specs, data);
  }
}

const basename = (p) => p.trim().replace(/\/+$/, '').split('/').pop();

class FilesHandler {
  constructor(files) {
    if (files == null || typeof files[Symbol.iterator] !== 'function') throw new Error(`io.browserFiles: expected an array of File objects (model.json first), received ${describe(files)}`);
    files = Array.from(files);
    if (files.length < 1) throw new Error('io.browserFiles: expected at least the model.json File, received none');
    this.jsonFile = files[0];
    this.weightFiles = files.slice(1);
  }
  async load() {
    const name = this.jsonFile.name ?? 'model.json';
    // A Keras 3 .keras file (a zip of config.json and model.weights.h5) holds everything.
    if (/\.keras$/i.test(name)) return kerasToArtifacts(await this.jsonFile.arrayBuffer(), name);
    let text;
    try {
      text = await this.jsonFile.text();
    } catch (e) {
      throw new Error(`loadLayersModel: could not read ${name}: ${e?.message ?? e}`);
    }
    const json = parseModelJson(text, `file '${name}'`);
    if (json.modelTopology == null) throw new Error(`loadLayersModel: file '${name}' has no modelTopology`);
    if (json.weightsManifest == null || this.weightFiles.length === 0) {
      if (json.weightsManifest != null && json.weightsManifest.some((g) => g.paths.length > 0)) {
        const needed = json.weightsManifest.flatMap((g) => g.paths.map(basename));
        throw new Error(`loadLayersModel: ${name} needs the weight file(s) ${needed.map((n) => `'${n}'`).join(', ')}; pass them after the model.json File`);
      }
      return artifactsFromModelJson({ ...json, weightsManifest: undefined });
    }
    const byName = new Map(this.weightFiles.map((f) => [basename(f.name), f]));
    const wanted = json.weightsManifest.flatMap((g) => g.paths.map(basename));
    const dup = wanted.find((n, i) => wanted.indexOf(n) !== i);
    if (dup) throw new Error(`loadLayersModel: ${name}'s weightsManifest names the file '${dup}' twice`);
    const missing = wanted.filter((n) => !byName.has(n));
    if (missing.length) {
      throw new Error(
        `loadLayersModel: the weight file${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')} named in ${name} ` +
        `${missing.length > 1 ? 'were' : 'was'} not given (given: ${[...byName.keys()].map((n) => `'${n}'`).join(', ')})`,
      );
    }
    const extra = [...byName.keys()].filter((n) => !wanted.includes(n));
    if (extra.length) throw new Error(`loadLayersModel: ${name}'s weightsManifest does not name the given file(s) ${extra.map((n) => `'${n}'`).join(', ')}`);
    const [specs, data] = await readManifestWeights(json.weightsManifest, async (p) => {
      const f = byName.get(basename(p));
      return [await f.arrayBuffer(), `'${f.name}'`];
    });
    return artifactsFromModelJson(json, specs, data);
  }
}

// ---- routing ----

const saveRouters = [];
const loadRouters = [];

function schemeOf(url) {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
  return m ? m[1].toLowerCase() : null;
}

const isHTTPScheme = (url) => /^https?:\/\//i.test(url);

/** Save handlers for a URL, as tf.io.getSaveHandlers: registered routers first, then the built-ins. */
function getSaveHandlers(url) {
  const custom = saveRouters.map((r) => r(url)).filter((h) => h != null);
  if (custom.length) return custom;
  const scheme = schemeOf(url);
  const path = scheme ? url.slice(scheme.length + 3) : url;
  if (scheme === 'indexeddb') return [new IndexedDBHandler(path)];
  if (scheme === 'localstorage') return [new LocalStorageHandler(path)];
  if (scheme === 'downloads') return [new DownloadsHandler(path)];
  if (isHTTPScheme(url)) return [new HttpHandler(url)];
  return [];
}

/** Load handlers for a URL, as tf.io.getLoadHandlers. */
function getLoadHandlers(url, options) {
  const custom = loadRouters.map((r) => r(url, options)).filter((h) => h != null);
  if (custom.length) return custom;
  const scheme = schemeOf(url);
  const path = scheme ? url.slice(scheme.length + 3) : url;
  if (scheme === 'indexeddb') return [new IndexedDBHandler(path)];
  if (scheme === 'localstorage') return [new LocalStorageHandler(path)];
  if (isHTTPScheme(url)) return [new HttpHandler(url, options)];
  return [];
}

const SCHEMES = "indexeddb://, localstorage://, downloads://, http:// or https://";

/**
 * The handler `model.save(urlOrHandler)` writes through: an object with save() passes through.
 * @returns {{save(artifacts: object): Promise<object>}}
 */
export function getSaveHandler(urlOrHandler) {
  if (typeof urlOrHandler === 'string') {
    const hs = getSaveHandlers(urlOrHandler);
    if (hs.length === 0) {
      const scheme = schemeOf(urlOrHandler);
      throw new Error(`save: cannot find a save handler for URL '${urlOrHandler}'${scheme ? ` (scheme '${scheme}://')` : ' (no scheme)'}; use ${SCHEMES}, or a handler such as tf.io.withSaveHandler(fn)`);
    }
    if (hs.length > 1) throw new Error(`save: ${hs.length} save handlers match URL '${urlOrHandler}'; register routers that do not overlap`);
    return hs[0];
  }
  if (urlOrHandler != null && typeof urlOrHandler.save === 'function') return urlOrHandler;
  throw new Error(`save: expected a URL string or an IOHandler with a save() method, received ${describe(urlOrHandler)}`);
}

/**
 * The handler `tf.loadLayersModel(urlOrHandler, options)` reads through. A string without a
 * scheme is an HTTP path relative to the page, as in TF.js.
 * @returns {{load(): Promise<object>}}
 */
export function getLoadHandler(urlOrHandler, options) {
  if (typeof urlOrHandler === 'string') {
    const hs = getLoadHandlers(urlOrHandler, options);
    if (hs.length > 1) throw new Error(`loadLayersModel: ${hs.length} load handlers match URL '${urlOrHandler}'; register routers that do not overlap`);
    if (hs.length === 1) return hs[0];
    const scheme = schemeOf(urlOrHandler);
    if (scheme === 'downloads') throw new Error(`loadLayersModel: '${urlOrHandler}': downloads:// can only save; load the files with tf.io.browserFiles([jsonFile, weightsFile])`);
    if (scheme) throw new Error(`loadLayersModel: cannot find a load handler for URL '${urlOrHandler}' (scheme '${scheme}://'); use indexeddb://, localstorage://, http:// or https://`);
    return new HttpHandler(urlOrHandler, options);
  }
  if (urlOrHandler != null && typeof urlOrHandler.load === 'function') return urlOrHandler;
  throw new Error(`loadLayersModel: expected a URL string or an IOHandler with a load() method, received ${describe(urlOrHandler)}`);
}

function managerFor(url, what) {
  if (typeof url !== 'string') throw new Error(`${what}: expected a URL string like 'indexeddb://my-model', received ${describe(url)}`);
  const scheme = schemeOf(url);
  const m = scheme && MANAGERS[scheme];
  if (!m) throw new Error(`${what}: '${url}' is not in a model store; expected a URL starting with indexeddb:// or localstorage://`);
  return [m, url.slice(scheme.length + 3)];
}

async function cloneModel(src, dst, move) {
  const what = move ? 'moveModel' : 'copyModel';
  if (typeof src !== 'string' || typeof dst !== 'string') throw new Error(`${what}: expected two URL strings, received ${describe(src)} and ${describe(dst)}`);
  if (src === dst) throw new Error(`${what}: the source and destination are the same URL '${src}'`);
  const source = move ? managerFor(src, what) : null;
  const artifacts = await getLoadHandler(src).load();
  const result = await getSaveHandler(dst).save(artifacts);
  // The source goes only once the copy is saved, so a failed move loses nothing.
  if (source) await source[0].removeModel(source[1]);
  return result.modelArtifactsInfo;
}

/** tf.io: storage handlers and model management, with TF.js's names and result shapes. */
export const io = {
  /** Reads a model from File objects (e.g. an <input type=file multiple>): model.json first, then its weight files. */
  browserFiles: (files) => new FilesHandler(files),
  /** Saves by downloading NAME.json and NAME.weights.bin. */
  browserDownloads: (name = 'model') => new DownloadsHandler(name),
  /** Loads with GET model.json + weights; saves with a multipart POST (fields model.json, model.weights.bin). */
  http: (path, options) => new HttpHandler(path, options),
  browserHTTPRequest: (path, options) => new HttpHandler(path, options),
  /** A load handler that returns the given artifacts (or topology, specs and weights). */
  fromMemory(modelArtifacts, weightSpecs, weightData, trainingConfig) {
    const whole = arguments.length === 1 && modelArtifacts != null &&
      (modelArtifacts.modelTopology != null || modelArtifacts.weightSpecs != null);
    const artifacts = whole ? modelArtifacts : { modelTopology: modelArtifacts, weightSpecs, weightData, trainingConfig };
    return { load: async () => artifacts };
  },
  /** A save handler that calls `fn(artifacts)` and resolves to its result (a SaveResult). */
  withSaveHandler(fn) {
    if (typeof fn !== 'function') throw new Error(`io.withSaveHandler: expected a function (artifacts) => SaveResult, received ${describe(fn)}`);
    return { save: async (artifacts) => fn(artifacts) };
  },
  /** Every model saved in IndexedDB and localStorage: {url: ModelArtifactsInfo}. */
  async listModels() {
    const out = {};
    for (const m of Object.values(MANAGERS)) {
      if (!m.available()) continue;
      const models = await m.listModels();
      for (const [path, info] of Object.entries(models)) out[`${m.scheme}://${path}`] = info;
    }
    return out;
  },
  /** Deletes a stored model; resolves to its ModelArtifactsInfo. */
  async removeModel(url) {
    const [m, path] = managerFor(url, 'removeModel');
    return m.removeModel(path);
  },
  /** Copies a model between URLs (any loadable source to any savable destination). */
  copyModel: (src, dst) => cloneModel(src, dst, false),
  /** Moves a stored model: copies it, then removes the source. */
  moveModel: (src, dst) => cloneModel(src, dst, true),
  getSaveHandlers,
  getLoadHandlers,
  /** Adds a router `url => handler | null` tried before the built-in schemes. */
  registerSaveRouter(router) { saveRouters.push(router); },
  registerLoadRouter(router) { loadRouters.push(router); },
  isHTTPScheme,
  getModelArtifactsInfoForJSON,
  getModelJSONForModelArtifacts,
  concatenateArrayBuffers: joinBuffers,
};

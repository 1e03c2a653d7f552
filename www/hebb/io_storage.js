// tf.io's browser stores: indexeddb:// and localstorage:// (save, load, and the model managers
// behind tf.io.listModels / removeModel / copyModel / moveModel), in TF.js's layouts under Hebb's
// own names.
import { joinBuffers, checkJsonTopology, getModelArtifactsInfoForJSON, EXTRA_FIELDS } from './io_format.js';

/** IndexedDB database and stores: TF.js's layout under Hebb's own database name. */
const DB_NAME = 'hebb_models';
const DB_VERSION = 1;
const MODEL_STORE = 'models_store';
const INFO_STORE = 'model_info_store';
/** localStorage keys: `hebb_models/<path>/<part>`, the parts TF.js uses. */
const LS_PREFIX = 'hebb_models';
const LS_PARTS = ['info', 'model_topology', 'weight_specs', 'weight_data', 'model_metadata'];

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

export class IndexedDBHandler {
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

export class LocalStorageHandler {
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

export const MANAGERS = { indexeddb: indexedDBManager, localstorage: localStorageManager };

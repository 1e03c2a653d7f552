// tf.io: where saved models live, in TF.js's Layers format. A model travels as ModelArtifacts
//   {modelTopology, weightSpecs, weightData, format, generatedBy, convertedBy, trainingConfig,
//    userDefinedMetadata}
// and on disk or over HTTP as model.json
//   {modelTopology, format: 'layers-model', generatedBy, convertedBy,
//    weightsManifest: [{paths, weights}], trainingConfig?}
// plus the binary weight files the manifest names (little-endian values, weights back to back).
// This module moves artifacts (model.json, files, HTTP, routing by URL scheme); the weight bytes
// are io_format.js's, the browser's stores io_storage.js's. Turning a topology into a model is
// models.js's job, so nothing here depends on the model classes.

import { kerasToArtifacts } from './keras_file.js';
import { artifactsToKeras } from './keras_write.js';
import { clickDownload } from './download.js';
import { Tensor, tensor } from './tensor.js';
import { joinBuffers, encodeWeights, decodeWeights, describe, groupBytes, checkJsonTopology, getModelArtifactsInfoForJSON, getModelJSONForModelArtifacts, EXTRA_FIELDS } from './io_format.js';
import { IndexedDBHandler, LocalStorageHandler, MANAGERS } from './io_storage.js';

export { encodeWeights, decodeWeights, getModelArtifactsInfoForJSON, getModelJSONForModelArtifacts };

/** Artifacts from a parsed model.json and its weights (already read). */
export function artifactsFromModelJson(json, weightSpecs, weightData) {
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
export async function readManifestWeights(manifest, fetchFile) {
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
    if (/\.keras$/i.test(this.name)) {
      // One Keras 3 file: config, compile config, weights and optimizer state.
      const bytes = await artifactsToKeras(artifacts);
      await clickDownload(this.name, new Blob([bytes], { type: 'application/zip' }));
      return { modelArtifactsInfo: getModelArtifactsInfoForJSON(artifacts) };
    }
    const manifest = [{ paths: [`./${this.weightsName}`], weights: artifacts.weightSpecs ?? [] }];
    const json = JSON.stringify(getModelJSONForModelArtifacts(artifacts, manifest));
    const files = [[this.jsonName, new Blob([json], { type: 'application/json' })]];
    if (artifacts.weightData != null) files.push([this.weightsName, new Blob([joinBuffers(artifacts.weightData)], { type: 'application/octet-stream' })]);
    for (const [fileName, blob] of files) await clickDownload(fileName, blob);
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
/** fromMemory's arguments as artifacts: the artifacts themselves, or (topology, specs, data, trainingConfig). */
export function memoryArtifacts([modelArtifacts, weightSpecs, weightData, trainingConfig, ...rest]) {
  const whole = weightSpecs === undefined && weightData === undefined && trainingConfig === undefined && rest.length === 0 &&
    modelArtifacts != null && (modelArtifacts.modelTopology != null || modelArtifacts.weightSpecs != null);
  return whole ? modelArtifacts : { modelTopology: modelArtifacts, weightSpecs, weightData, trainingConfig };
}

export const io = {
  /** Reads a model from File objects (e.g. an <input type=file multiple>): model.json first, then its weight files. */
  browserFiles: (files) => new FilesHandler(files),
  /** Saves by downloading NAME.json and NAME.weights.bin. */
  browserDownloads: (name = 'model') => new DownloadsHandler(name),
  /** Loads with GET model.json + weights; saves with a multipart POST (fields model.json, model.weights.bin). */
  http: (path, options) => new HttpHandler(path, options),
  browserHTTPRequest: (path, options) => new HttpHandler(path, options),
  /** A load handler that returns the given artifacts (or topology, specs and weights). */
  fromMemory(...args) {
    const artifacts = memoryArtifacts(args);
    return { load: async () => artifacts };
  },
  /**
   * The bytes of a Keras 3 `.keras` file for model artifacts (what a save handler receives):
   * `model.save(tf.io.withSaveHandler(async (a) => { bytes = await tf.io.toKeras(a); ... }))`,
   * or `model.toKeras()`.
   */
  toKeras: (artifacts) => artifactsToKeras(artifacts),
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
  /**
   * TF.js's io.encodeWeights: tensors ({name: tensor} or [{name, tensor}]) packed into one
   * ArrayBuffer; resolves to {data, specs} (each spec marked with `group` when given).
   */
  async encodeWeights(tensors, group) {
    const named = Array.isArray(tensors) ? tensors.map((t) => [t?.name, t?.tensor]) : Object.entries(tensors ?? {});
    const list = [];
    for (const [name, t] of named) {
      if (!(t instanceof Tensor)) throw new Error(`io.encodeWeights: '${name}' must be a Tensor, received ${describe(t)}`);
      if (t.dtype === 'bool') throw new Error(`io.encodeWeights: '${name}' is a bool tensor; Hebb writes float32 and int32 weights`);
      list.push({ name, shape: t.shape, dtype: t.dtype, data: await t.data() });
    }
    const { weightSpecs, weightData } = encodeWeights(list);
    return { data: weightData, specs: group ? weightSpecs.map((s) => ({ ...s, group })) : weightSpecs };
  },
  /** TF.js's io.decodeWeights: {name: tensor} from weight bytes and their specs. */
  decodeWeights(weightData, specs) {
    const out = {};
    for (const w of decodeWeights(weightData, specs)) out[w.name] = tensor(w.data, w.shape, w.dtype);
    return out;
  },
};

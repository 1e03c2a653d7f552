// The rest of TF.js's tf.io: weights fetched by manifest (loadWeights, weightsLoaderFactory),
// decoded from a stream (decodeWeightsStream), model.json turned into artifacts
// (getModelArtifactsForJSON[Sync], getWeightSpecs), synchronous handlers (fromMemorySync,
// withSaveHandlerSync) and CompositeArrayBuffer.
import { io, readManifestWeights, artifactsFromModelJson, memoryArtifacts } from './io.js';
import { joinBuffers, describe } from './io_format.js';

/** TF.js's CompositeArrayBuffer: several buffers read as one. */
export class CompositeArrayBuffer {
  constructor(buffers) {
    const list = buffers == null ? [] : Array.isArray(buffers) ? buffers : [buffers];
    this.buffers = list.map((b) => joinBuffers(b));
    this.byteLength = this.buffers.reduce((n, b) => n + b.byteLength, 0);
  }
  /** The bytes [start, end) as one ArrayBuffer. */
  slice(start = 0, end = this.byteLength) {
    const whole = new Uint8Array(CompositeArrayBuffer.join(this.buffers));
    return whole.slice(Math.max(0, start), Math.min(this.byteLength, end)).buffer;
  }
  static join(buffers) { return joinBuffers(buffers ?? []); }
}

/** The weight specs of every group of a weights manifest, in order. */
export function getWeightSpecs(weightsManifest) {
  if (!Array.isArray(weightsManifest)) throw new Error(`io.getWeightSpecs: expected a weights manifest (an array of {paths, weights}), received ${describe(weightsManifest)}`);
  return weightsManifest.flatMap((g) => g.weights);
}

/** Artifacts from a parsed model.json, its weights read by `loadWeights(manifest)` => [specs, data]. */
export async function getModelArtifactsForJSON(modelJSON, loadWeights) {
  if (modelJSON == null || typeof modelJSON !== 'object') throw new Error(`io.getModelArtifactsForJSON: expected a model.json object, received ${describe(modelJSON)}`);
  if (modelJSON.weightsManifest == null) return artifactsFromModelJson(modelJSON);
  const [specs, data] = await loadWeights(modelJSON.weightsManifest);
  return artifactsFromModelJson(modelJSON, specs, data);
}

/** Artifacts from a parsed model.json and weights already in hand. */
export function getModelArtifactsForJSONSync(modelJSON, weightSpecs, weightData) {
  if (modelJSON == null || typeof modelJSON !== 'object') throw new Error(`io.getModelArtifactsForJSONSync: expected a model.json object, received ${describe(modelJSON)}`);
  return weightSpecs === undefined ? artifactsFromModelJson(modelJSON) : artifactsFromModelJson(modelJSON, weightSpecs, weightData);
}

/**
 * TF.js's weightsLoaderFactory(fetchWeights): a loader (manifest, filePathPrefix, weightNames?)
 * => {name: tensor}, reading the groups that hold the wanted weights through
 * `fetchWeights(urls)` => ArrayBuffer[].
 */
export function weightsLoaderFactory(fetchWeightsFunction) {
  if (typeof fetchWeightsFunction !== 'function') throw new Error(`io.weightsLoaderFactory: expected a function (urls) => Promise<ArrayBuffer[]>, received ${describe(fetchWeightsFunction)}`);
  return async (manifest, filePathPrefix = '', weightNames) => {
    if (!Array.isArray(manifest)) throw new Error(`io.loadWeights: expected a weights manifest, received ${describe(manifest)}`);
    const wanted = weightNames ? new Set(weightNames) : null;
    const groups = manifest.filter((g) => !wanted || g.weights.some((w) => wanted.has(w.name)));
    if (wanted) {
      const found = new Set(groups.flatMap((g) => g.weights.map((w) => w.name)));
      const missing = [...wanted].filter((n) => !found.has(n));
      if (missing.length) throw new Error(`Could not find weights in manifest with names: ${missing.join(', ')}. \nManifest JSON has weights with names: ${manifest.flatMap((g) => g.weights.map((w) => w.name)).join(', ')}.`);
    }
    const prefix = filePathPrefix.endsWith('/') ? filePathPrefix : `${filePathPrefix}/`;
    const urls = groups.flatMap((g) => g.paths.map((p) => prefix + p));
    const buffers = await fetchWeightsFunction(urls);
    let k = 0;
    const out = {};
    for (const g of groups) {
      const files = g.paths.map((p) => [buffers[k++], prefix + p]);
      const [specs, data] = await readManifestWeights([g], async (p) => files[g.paths.indexOf(p)]);
      const tensors = io.decodeWeights(data, specs);
      for (const [name, t] of Object.entries(tensors)) {
        if (!wanted || wanted.has(name)) out[name] = t;
        else t.dispose();
      }
    }
    return out;
  };
}

/** tf.io.loadWeights(manifest, filePathPrefix?, weightNames?, requestInit?): the weights fetched over HTTP. */
export function loadWeights(manifest, filePathPrefix = '', weightNames, requestInit) {
  const fetchAll = (urls) => Promise.all(urls.map(async (u) => {
    const r = await fetch(u, requestInit);
    if (!r.ok) throw new Error(`io.loadWeights: fetching ${u} failed with HTTP status ${r.status}`);
    return r.arrayBuffer();
  }));
  return weightsLoaderFactory(fetchAll)(manifest, filePathPrefix, weightNames);
}

/** tf.io.decodeWeightsStream(stream, specs): decodeWeights over the bytes a ReadableStream gives. */
export async function decodeWeightsStream(weightStream, specs) {
  if (!weightStream || typeof weightStream.getReader !== 'function') throw new Error(`io.decodeWeightsStream: expected a ReadableStream, received ${describe(weightStream)}`);
  const reader = weightStream.getReader();
  const parts = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value instanceof ArrayBuffer ? value : joinBuffers(value));
  }
  return io.decodeWeights(joinBuffers(parts), specs);
}

/** A load handler whose load() returns the artifacts at once (not a Promise). */
export function fromMemorySync(...args) {
  const artifacts = memoryArtifacts(args);
  return { load: () => artifacts };
}

/** A save handler whose save() returns fn(artifacts) at once. */
export function withSaveHandlerSync(fn) {
  if (typeof fn !== 'function') throw new Error(`io.withSaveHandlerSync: expected a function (artifacts) => SaveResult, received ${describe(fn)}`);
  return { save: (artifacts) => fn(artifacts) };
}

Object.assign(io, {
  CompositeArrayBuffer, getWeightSpecs, getModelArtifactsForJSON, getModelArtifactsForJSONSync, weightsLoaderFactory, loadWeights,
  decodeWeightsStream, fromMemorySync, withSaveHandlerSync,
});

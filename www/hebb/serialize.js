// Saving and loading models in the TF.js Layers format (model.json + binary weights), so a model
// saved by TF.js loads here and the reverse; Keras 3 `.keras` files load through the same path
// (keras_file.js turns them into the same artifacts). Storage (IndexedDB, localStorage,
// downloads, HTTP, files) lives in io.js; one layer's config conversion in keras_json.js.
import { engine } from './engine.js';
import { tensor, wrap } from './tensor.js';
import { Layer, input, customClasses } from './layers.js';
import { LayersModel, Sequential } from './models.js';
import { getSaveHandler, getLoadHandler, encodeWeights, decodeWeights } from './io.js';
import { layerToKeras, layerFromKeras } from './keras_json.js';
import { kerasToArtifacts } from './keras_file.js';

const GENERATED_BY = 'Hebb 0.1.0';
const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/** One layer's config in model.json's form; a Sequential's first layer carries the input shape. */
function layerEntry(l, first) {
  let cfg = l._custom ? l.getConfig() : l._config;
  if (first && l.className !== 'InputLayer' && cfg.batchInputShape === undefined && cfg.inputShape === undefined) {
    cfg = { ...cfg, batchInputShape: l.inputShape };
  }
  return layerToKeras(l.className, cfg, { inputShape: Array.isArray(l.inputShape?.[0]) ? undefined : l.inputShape });
}

/** The model's topology as TF.js writes it in model.json. */
export function modelTopology(model) {
  const common = { keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };
  if (model instanceof Sequential) {
    const layers = model._engineLayers.map((l, i) => layerEntry(l, i === 0));
    return { class_name: 'Sequential', config: { name: model.name, layers }, ...common };
  }
  const { nodes } = model._graph;
  const layers = model._engineLayers;
  // Each call's index among its layer's calls, as inbound nodes name them.
  const callIndex = [];
  const count = new Map();
  nodes.forEach((nd, k) => {
    callIndex[k] = count.get(nd.layer) ?? 0;
    count.set(nd.layer, callIndex[k] + 1);
  });
  const inputLayer = (i) => model.inputs[i].sourceLayer.name;
  const ref = ([kind, i, o]) => (kind === 'input' ? [inputLayer(i), 0, 0] : [layers[nodes[i].layer].name, callIndex[i], o ?? 0]);
  const entries = layers.map((l) => {
    const { class_name, config } = layerToKeras(l.className, l._custom ? l.getConfig() : l._config, { inputShape: Array.isArray(l.inputShape?.[0]) ? undefined : l.inputShape });
    const inbound = [];
    nodes.forEach((nd) => {
      if (layers[nd.layer] === l) inbound.push(nd.inputs.map((r) => [...ref(r), {}]));
    });
    return { name: l.name, class_name, config, inbound_nodes: inbound };
  });
  return {
    class_name: 'Model',
    config: {
      name: model.name,
      layers: entries,
      input_layers: model.inputs.map((_, i) => [inputLayer(i), 0, 0]),
      output_layers: model._graph.outRefs.map(ref),
    },
    ...common,
  };
}

/** The model's weights as {name, shape, dtype, data}, layer by layer. */
function modelWeights(model) {
  model._pull();
  const out = [];
  model._engineLayers.forEach((l, i) => {
    if (!l._weightCount) return;
    const ts = Array.from(engine.model_layer_weights(model._id, i)).map(wrap);
    try {
      ts.forEach((t, k) => out.push({ name: l._weightInfo[k].name, shape: t.shape, dtype: 'float32', data: t.dataSync().slice() }));
    } finally {
      ts.forEach((t) => t.dispose());
    }
  });
  return out;
}

/** TF.js's ModelArtifacts for the model. */
export function modelArtifacts(model) {
  const { weightSpecs, weightData } = encodeWeights(modelWeights(model));
  return { modelTopology: modelTopology(model), weightSpecs, weightData, format: 'layers-model', generatedBy: GENERATED_BY, convertedBy: null };
}

/** model.save(url or handler): TF.js's schemes (indexeddb://, localstorage://, downloads://, http(s)://). */
export async function saveModel(model, handlerOrURL, config = {}) {
  if (!model._id) throw new Error('save: the model has no layers');
  const handler = getSaveHandler(handlerOrURL);
  const artifacts = modelArtifacts(model);
  if (config.includeOptimizer) console.warn('Hebb: save({includeOptimizer}) is not supported yet; the optimizer state is not saved.');
  return handler.save(artifacts);
}

function layerOf(entry, where) {
  const { className, config } = layerFromKeras(entry);
  try {
    const Custom = customClasses.get(className);
    if (Custom) return new Custom(config);
    return new Layer(className, config);
  } catch (e) {
    throw new Error(`loadLayersModel: ${where}: ${e.message}`);
  }
}

/** Builds a model (without weights) from a model.json topology. */
function buildModel(topo, where = 'the model') {
  if (!topo || typeof topo !== 'object') throw new Error(`loadLayersModel: ${where}: the topology is missing`);
  const t = topo.model_config ?? topo;
  const cls = t.class_name;
  const config = t.config ?? {};
  if (cls === 'Sequential') {
    const list = Array.isArray(config) ? config : config.layers;
    if (!Array.isArray(list) || !list.length) throw new Error(`loadLayersModel: ${where}: a Sequential model needs a list of layers`);
    const seq = new Sequential({ name: config.name });
    list.forEach((entry, i) => {
      const name = entry?.config?.name ?? `layer ${i}`;
      const item = MODEL_CLASSES.has(entry?.class_name) ? buildModel(entry, `layer '${name}'`) : layerOf(entry, `layer '${name}'`);
      try {
        seq.add(item);
      } catch (e) {
        throw new Error(`loadLayersModel: layer '${name}': ${e.message}`);
      }
    });
    return seq;
  }
  if (cls !== 'Model' && cls !== 'Functional') throw new Error(`loadLayersModel: ${where}: unknown model class '${cls}' (expected Sequential or Model)`);
  const entries = config.layers;
  if (!Array.isArray(entries)) throw new Error(`loadLayersModel: ${where}: the model config has no layers`);
  const outputsOf = new Map();
  const key = (name, node, tensorIndex) => `${name}\u0000${node}\u0000${tensorIndex}`;
  const pending = [];
  for (const entry of entries) {
    const name = entry.name ?? entry.config?.name;
    if (entry.class_name === 'InputLayer') {
      const c = layerFromKeras(entry).config;
      const sym = input({ batchShape: c.batchInputShape ?? [null, ...(c.inputShape ?? [])], name, dtype: c.dtype === 'int32' ? 'int32' : 'float32' });
      outputsOf.set(key(name, 0, 0), sym);
      continue;
    }
    const obj = MODEL_CLASSES.has(entry.class_name) ? buildModel(entry, `layer '${name}'`) : layerOf(entry, `layer '${name}'`);
    (entry.inbound_nodes ?? []).forEach((node, k) => pending.push({ name, obj, node, k }));
  }
  // Apply each call once its inputs exist (calls may be listed in any order).
  while (pending.length) {
    const before = pending.length;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i];
      const args = (Array.isArray(p.node) ? p.node : []).map((r) => outputsOf.get(key(r[0], r[1] ?? 0, r[2] ?? 0)));
      if (args.some((a) => a === undefined)) continue;
      let out;
      try {
        out = p.obj.apply(args.length === 1 ? args[0] : args);
      } catch (e) {
        throw new Error(`loadLayersModel: layer '${p.name}': ${e.message}`);
      }
      (Array.isArray(out) ? out : [out]).forEach((o, ti) => outputsOf.set(key(p.name, p.k, ti), o));
      pending.splice(i, 1);
      i--;
    }
    if (pending.length === before) {
      const p = pending[0];
      const missing = p.node.filter((r) => !outputsOf.has(key(r[0], r[1] ?? 0, r[2] ?? 0))).map((r) => r[0]);
      throw new Error(`loadLayersModel: ${where}: layer '${p.name}' takes the output of '${missing.join("', '")}', which no layer produces`);
    }
  }
  const pick = (list, what) => (list ?? []).map((r) => {
    const s = outputsOf.get(key(r[0], r[1] ?? 0, r[2] ?? 0));
    if (!s) throw new Error(`loadLayersModel: ${where}: the ${what} '${r[0]}' is not in the model`);
    return s;
  });
  const inputs = pick(config.input_layers, 'input');
  const outputs = pick(config.output_layers, 'output');
  return new LayersModel({ inputs, outputs, name: config.name });
}

/** Sets the loaded weights, matched to layers by name (the part before the first '/'). */
function setLoadedWeights(model, artifacts) {
  const specs = (artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer');
  const list = decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), artifacts.weightSpecs ?? []).filter((w, i) => (artifacts.weightSpecs[i].group ?? '') !== 'optimizer');
  if (list.length !== specs.length) throw new Error('loadLayersModel: the weights could not be decoded');
  const groups = new Map();
  for (const w of list) {
    const layer = w.name.split('/')[0];
    if (!groups.has(layer)) groups.set(layer, []);
    groups.get(layer).push(w);
  }
  for (const l of model._engineLayers) {
    if (!l._weightCount) continue;
    const g = groups.get(l.name);
    if (!g) throw new Error(`loadLayersModel: the weights have none for layer '${l.name}' (${l.className}, ${l._weightCount} weights)`);
    if (g.length !== l._weightCount) {
      throw new Error(`loadLayersModel: layer '${l.name}' (${l.className}) has ${l._weightCount} weights, the file has ${g.length}: ${g.map((w) => w.name).join(', ')}`);
    }
    const ts = g.map((w) => tensor(w.data instanceof Float32Array ? w.data : Float32Array.from(w.data), w.shape, 'float32'));
    try {
      l.setWeights(ts);
    } catch (e) {
      throw new Error(`loadLayersModel: ${e.message}`);
    } finally {
      ts.forEach((t) => t.dispose());
    }
    groups.delete(l.name);
  }
  if (groups.size) {
    throw new Error(`loadLayersModel: the file has weights for ${[...groups.keys()].map((n) => `'${n}'`).join(', ')}, which the model does not have`);
  }
}

/** A model from TF.js ModelArtifacts. */
export function modelFromArtifacts(artifacts) {
  if (!artifacts || typeof artifacts !== 'object') throw new Error(`loadLayersModel: expected model artifacts, received ${artifacts}`);
  if (!artifacts.modelTopology) throw new Error('loadLayersModel: the model has no modelTopology (is this a graph model or a weights-only file?)');
  const model = buildModel(artifacts.modelTopology);
  try {
    setLoadedWeights(model, artifacts);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/**
 * tf.loadLayersModel: a URL (indexeddb://, localstorage://, http(s)://, a path), an IO handler
 * (tf.io.browserFiles, tf.io.fromMemory), or a Keras 3 `.keras` file (its URL, a File/Blob or
 * its bytes).
 */
export async function loadLayersModel(source, options = {}) {
  let artifacts;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    artifacts = await kerasToArtifacts(source);
  } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    artifacts = await kerasToArtifacts(await source.arrayBuffer(), source.name);
  } else if (typeof source === 'string' && /\.keras($|[?#])/.test(source)) {
    const fetchFn = options.fetchFunc ?? fetch;
    let res;
    try {
      res = await fetchFn(source, options.requestInit);
    } catch (e) {
      throw new Error(`loadLayersModel: could not fetch '${source}': ${e?.message ?? e}`);
    }
    if (!res.ok) throw new Error(`loadLayersModel: '${source}' answered ${res.status} ${res.statusText ?? ''}`.trim());
    artifacts = await kerasToArtifacts(await res.arrayBuffer(), source);
  } else {
    artifacts = await getLoadHandler(source, options).load();
  }
  return modelFromArtifacts(artifacts);
}

// model.save on every model class.
LayersModel.prototype.save = function save(handlerOrURL, config) { return saveModel(this, handlerOrURL, config); };

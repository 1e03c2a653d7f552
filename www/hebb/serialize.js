// Saving and loading models in the TF.js Layers format (model.json + binary weights), so a model
// saved by TF.js loads here and the reverse; Keras 3 `.keras` files load through the same path
// (keras_file.js turns them into the same artifacts). Storage (IndexedDB, localStorage,
// downloads, HTTP, files) lives in io.js; one layer's config conversion in keras_json.js.
import { engine } from './engine.js';
import { tensor, wrap } from './tensor.js';
import { Layer, input, customClasses } from './layers.js';
import { LayersModel, Sequential } from './models.js';
import { getSaveHandler, getLoadHandler, encodeWeights, decodeWeights } from './io.js';
import { layerToKeras, layerFromKeras, pythonicToJs, layerConfigJs } from './keras_json.js';
import { kerasToArtifacts } from './keras_file.js';
import { artifactsToKeras } from './keras_write.js';
import { Optimizer, LearningRateSchedule, optimizerFromConfig } from './train.js';
import { LossSpec } from './losses.js';

const GENERATED_BY = 'Hebb 0.1.0';
const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/** One layer's options with the hints TF.js's config needs; a Sequential's first layer carries
 *  the input shape. */
function layerOptions(l, first) {
  let cfg = l.getConfig();
  if (first && l.className !== 'InputLayer' && cfg.batchInputShape === undefined && cfg.inputShape === undefined) {
    cfg = { ...cfg, batchInputShape: l.inputShape };
  }
  return [l.className, cfg, { inputShape: Array.isArray(l.inputShape?.[0]) ? undefined : l.inputShape }];
}

/** One layer's config in model.json's form. */
function layerEntry(l, first) {
  return layerToKeras(...layerOptions(l, first));
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
    const { class_name, config } = layerToKeras(l.className, l.getConfig(), { inputShape: Array.isArray(l.inputShape?.[0]) ? undefined : l.inputShape });
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

/**
 * TF.js's ModelArtifacts for the model; with {includeOptimizer: true} a compiled model's
 * training config and optimizer state too (TF.js's format: weights of group 'optimizer').
 */
export function modelArtifacts(model, config = {}) {
  const weights = modelWeights(model);
  let extra = {};
  if (config && config.includeOptimizer && model.optimizer && model._compileArgs) {
    const tc = trainingConfig(model);
    if (tc === null) {
      console.warn('Hebb: save({includeOptimizer}): a loss or metric is a function, which cannot be saved, so neither is the optimizer state. Compile the loaded model yourself.');
    } else {
      const opt = optimizerWeights(model);
      weights.push(...opt.map((w) => ({ ...w, group: 'optimizer' })));
      extra = { trainingConfig: tc };
    }
  }
  if (model._userMetadata !== undefined) extra.userDefinedMetadata = model._userMetadata;
  return artifactsOf(model, weights, extra);
}

/** Artifacts of the model's topology with `weights` ({name, shape, dtype, data, group?}). */
function artifactsOf(model, weights, extra) {
  const { weightSpecs, weightData } = encodeWeights(weights);
  weightSpecs.forEach((spec, i) => { if (weights[i].group) spec.group = weights[i].group; });
  return { modelTopology: modelTopology(model), weightSpecs, weightData, format: 'layers-model', generatedBy: GENERATED_BY, convertedBy: null, ...extra };
}

// The names TF.js gives each optimizer's state, slot by slot (weight name + '/' + slot name).
const SLOT_NAMES = {
  SGD: [], Momentum: ['momentum'], Adam: ['m', 'v'], AdamW: ['m', 'v'], Adamax: ['m', 'u'],
  RMSProp: ['rms', 'momentum', 'mg'], Adagrad: ['accumulator'], Adadelta: ['accum_grad', 'accum_var'],
};
const slotNames = (opt) => {
  const names = SLOT_NAMES[opt.className] ?? [];
  // TF.js keeps a centred RMSProp's mean gradients only when it is centred.
  return opt.className === 'RMSProp' && !opt.config.centered ? names.slice(0, 2) : names;
};

const snake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/**
 * TF.js's trainingConfig (loss and metric names in snake case, the optimizer's class and
 * config), or null with the reason when a loss or metric is a function, which cannot be saved.
 */
function trainingConfig(model) {
  const args = model._compileArgs;
  const lossId = (l) => (typeof l === 'string' ? snake(l) : l instanceof LossSpec ? l.toJSON() : null);
  const losses = args.heads.map((h) => lossId(h.loss));
  const metrics = args.heads.map((h) => h.metrics.map((m) => (typeof m === 'string' ? snake(m) : null)));
  if (losses.includes(null) || metrics.some((l) => l.includes(null))) return null;
  const n = args.heads.length;
  const names = model.outputNames;
  const config = { ...model.optimizer.getConfig() };
  if (config.learningRate instanceof LearningRateSchedule) config.learningRate = config.learningRate.toJSON();
  return {
    loss: n === 1 ? losses[0] : Object.fromEntries(names.map((nm, j) => [nm, losses[j]])),
    metrics: n === 1 ? metrics[0] : Object.fromEntries(names.map((nm, j) => [nm, metrics[j]])),
    loss_weights: n === 1 ? undefined : args.heads.map((h) => h.weight),
    optimizer_config: { class_name: model.optimizer.getClassName(), config },
  };
}

/** The optimizer's state as TF.js saves it: 'iter' (int32), then each slot of every trained weight. */
function optimizerWeights(model) {
  const info = JSON.parse(engine.model_optimizer_info(model._id));
  const names = slotNames(model.optimizer);
  const out = [{ name: 'iter', shape: [], dtype: 'int32', data: Int32Array.of(info.iterations) }];
  const ts = Array.from(engine.model_optimizer_slots(model._id, names.length)).map(wrap);
  try {
    ts.forEach((t, i) => {
      const w = info.weights[i % info.weights.length];
      out.push({ name: `${w.name}/${names[Math.floor(i / info.weights.length)]}`, shape: t.shape, dtype: 'float32', data: t.dataSync().slice() });
    });
  } finally {
    ts.forEach((t) => t.dispose());
  }
  return out;
}

/**
 * model.save(url or handler): TF.js's schemes (indexeddb://, localstorage://, downloads://,
 * http(s)://). With {includeOptimizer: true} a compiled model also saves its training config and
 * optimizer state (TF.js's format), so a loaded model resumes training where it stopped.
 */
export async function saveModel(model, handlerOrURL, config = {}) {
  if (!model._id) throw new Error('save: the model has no layers');
  const handler = getSaveHandler(handlerOrURL);
  // A .keras file carries the compile config and optimizer state unless told not to, as Keras's
  // model.save does.
  const keras = typeof handlerOrURL === 'string' && /\.keras$/i.test(handlerOrURL);
  const cfg = keras ? { includeOptimizer: true, ...(config ?? {}) } : (config ?? {});
  return handler.save(modelArtifacts(model, cfg));
}

/**
 * The model as the bytes of a Keras 3 `.keras` file (Hebb's own; TF.js cannot write .keras):
 * its config, its compile config and optimizer state when compiled (includeOptimizer: false
 * leaves them out), and its weights. model.save('downloads://name.keras') downloads the same.
 */
LayersModel.prototype.toKeras = async function toKeras(config = {}) {
  if (!this._id) throw new Error('toKeras: the model has no layers');
  return artifactsToKeras(modelArtifacts(this, { includeOptimizer: true, ...(config ?? {}) }));
};

/** Compiles a model from a training config in model.json's form (TF.js's loadTrainingConfig). */
function compileFrom(model, tc, where = 'loadLayersModel') {
  if (!tc || typeof tc !== 'object') throw new Error(`${where}: expected a training config {optimizer_config, loss, metrics}, received ${tc}`);
  const oc = tc.optimizer_config ?? {};
  const config = { ...(oc.config ?? {}) };
  if (config.learningRate && typeof config.learningRate === 'object') {
    config.learningRate = new LearningRateSchedule(config.learningRate.className, config.learningRate.config);
  }
  if (!SLOT_NAMES[oc.class_name]) throw new Error(`${where}: the training config names an unknown optimizer '${oc.class_name}'`);
  const optimizer = optimizerFromConfig(oc.class_name, config);
  const lossOf = (l) => (typeof l === 'string' ? camel(l) : l && typeof l === 'object' && l.className ? new LossSpec(l.className, l.config ?? {}) : l);
  const mapAll = (v, f) => (Array.isArray(v) ? v.map(f) : v && typeof v === 'object' && !v.className ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f(x)])) : f(v));
  const loss = mapAll(tc.loss, lossOf);
  const metrics = tc.metrics == null ? [] : mapAll(tc.metrics, (m) => (Array.isArray(m) ? m.map((x) => camel(x)) : typeof m === 'string' ? camel(m) : m));
  model.compile({ optimizer, loss, metrics, ...(Array.isArray(tc.loss_weights) ? { lossWeights: tc.loss_weights } : {}) });
}

/** Compiles a loaded model from its trainingConfig and restores the optimizer state saved with it. */
function restoreTraining(model, artifacts, decoded) {
  compileFrom(model, artifacts.trainingConfig);
  const specs = artifacts.weightSpecs ?? [];
  const opt = decoded.filter((w, i) => specs[i].group === 'optimizer');
  if (opt.length) setOptimizerState(model, opt);
}

/** Puts saved optimizer state ('iter', then the slots, as optimizerWeights gives them) into the model. */
function setOptimizerState(model, opt) {
  const iter = opt.find((w) => w.name === 'iter');
  const ts = opt.filter((w) => w !== iter).map((w) => tensor(w.data instanceof Float32Array ? w.data : Float32Array.from(w.data), w.shape, 'float32'));
  try {
    engine.model_set_optimizer_state(model._id, iter ? Number(iter.data[0]) : 0, Uint32Array.from(ts.map((t) => t.id)));
  } finally {
    ts.forEach((t) => t.dispose());
  }
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
  const short = (v) => JSON.stringify(v)?.slice(0, 80);
  // A reference to a layer's output: [layer name, node index, tensor index(, kwargs)].
  const isRef = (r) => Array.isArray(r) && typeof r[0] === 'string' && [r[1], r[2]].every((v) => v === undefined || (Number.isInteger(v) && v >= 0));
  const refs = (list, what) => {
    if (list == null) return [];
    const arr = Array.isArray(list) && isRef(list) ? [list] : list; // one [name, 0, 0] alone
    if (!Array.isArray(arr) || !arr.every(isRef)) throw new Error(`loadLayersModel: ${where}: ${what} must be a list of [layer name, node index, tensor index], received ${short(list)}`);
    return arr;
  };
  for (const entry of entries) {
    if (!entry || typeof entry !== 'object' || typeof entry.class_name !== 'string') throw new Error(`loadLayersModel: ${where}: a layer entry must be {class_name, config, inbound_nodes}, received ${short(entry)}`);
    const name = entry.name ?? entry.config?.name;
    if (entry.class_name === 'InputLayer') {
      const c = layerFromKeras(entry).config;
      const sym = input({ batchShape: c.batchInputShape ?? [null, ...(c.inputShape ?? [])], name, dtype: c.dtype === 'int32' ? 'int32' : 'float32' });
      outputsOf.set(key(name, 0, 0), sym);
      continue;
    }
    const obj = MODEL_CLASSES.has(entry.class_name) ? buildModel(entry, `layer '${name}'`) : layerOf(entry, `layer '${name}'`);
    const nodes = entry.inbound_nodes ?? [];
    if (!Array.isArray(nodes)) throw new Error(`loadLayersModel: ${where}: layer '${name}': inbound_nodes must be a list of calls, received ${short(nodes)}`);
    nodes.forEach((node, k) => pending.push({ name, obj, node: refs(node, `layer '${name}': each of its inbound_nodes`), k }));
  }
  // Apply each call once its inputs exist (calls may be listed in any order).
  while (pending.length) {
    const before = pending.length;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i];
      const args = p.node.map((r) => outputsOf.get(key(r[0], r[1] ?? 0, r[2] ?? 0)));
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
  const pick = (list, what) => refs(list, `${what}_layers`).map((r) => {
    const s = outputsOf.get(key(r[0], r[1] ?? 0, r[2] ?? 0));
    if (!s) throw new Error(`loadLayersModel: ${where}: the ${what} '${r[0]}' is not in the model`);
    return s;
  });
  const inputs = pick(config.input_layers, 'input');
  const outputs = pick(config.output_layers, 'output');
  try {
    return new LayersModel({ inputs, outputs, name: config.name });
  } catch (e) {
    throw new Error(`loadLayersModel: ${where}: ${e.message}`);
  }
}

/** Sets the loaded weights, matched to layers by name (the part before the first '/'). */
function setLoadedWeights(model, artifacts, decoded) {
  const specs = (artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer');
  const list = decoded.filter((w, i) => (artifacts.weightSpecs[i].group ?? '') !== 'optimizer');
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
  if (artifacts.userDefinedMetadata !== undefined) model._userMetadata = artifacts.userDefinedMetadata;
  try {
    // Decoded once: the model's weights, then (with a training config) the optimizer's.
    const decoded = decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), artifacts.weightSpecs ?? []);
    setLoadedWeights(model, artifacts, decoded);
    if (artifacts.trainingConfig) restoreTraining(model, artifacts, decoded);
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

/**
 * TF.js's model.toJSON(unused, returnString = true): the topology as model.json holds it
 * ({class_name, config, keras_version, backend}), as a string or an object.
 */
LayersModel.prototype.toJSON = function toJSON(unused, returnString = true) {
  const topo = modelTopology(this);
  return returnString ? JSON.stringify(topo) : topo;
};
/** The compile arguments as model.json's training_config holds them (TF.js's getTrainingConfig). */
LayersModel.prototype.getTrainingConfig = function getTrainingConfig() {
  if (!this._compileArgs) throw new Error(`${this.name}: getTrainingConfig: the model is not compiled`);
  return pythonicToJs(trainingConfig(this));
};
/** Compiles the model from a training config as model.json holds it (TF.js's loadTrainingConfig). */
LayersModel.prototype.loadTrainingConfig = function loadTrainingConfig(trainingConfig) {
  compileFrom(this, trainingConfig, 'loadTrainingConfig');
};

/**
 * The optimizer's state as TF.js's optimizer.getWeights() gives it: [{name, tensor}], 'iter'
 * first, then each slot of every weight of the model it was compiled with (the model fit last),
 * named as TF.js names them.
 */
Optimizer.prototype.getWeights = async function getWeights() {
  const model = [...this._models].pop();
  if (!model) return [{ name: 'iter', tensor: tensor([this.iterations ?? 0], [], 'int32') }];
  return optimizerWeights(model).map((w) => ({ name: w.name, tensor: tensor(w.data, w.shape, w.dtype) }));
};
/** Restores what getWeights gave (TF.js's optimizer.setWeights), for the model it is compiled with. */
Optimizer.prototype.setWeights = async function setWeights(weightValues) {
  if (!Array.isArray(weightValues)) throw new Error(`${this.className}: setWeights expects [{name, tensor}], received ${weightValues}`);
  const model = [...this._models].pop();
  if (!model) throw new Error(`${this.className}: setWeights needs the optimizer compiled into a model (its state lives with the model's weights)`);
  const iter = weightValues.find((w) => w.name === 'iter');
  const slots = weightValues.filter((w) => w !== iter);
  const want = optimizerWeights(model).length - 1;
  if (slots.length !== want) throw new Error(`${this.className}: setWeights expects ${want} slot tensors besides 'iter' for this model, received ${slots.length}`);
  const ts = slots.map((w) => w.tensor.cast('float32'));
  try {
    engine.model_set_optimizer_state(model._id, iter ? iter.tensor.dataSync()[0] : 0, Uint32Array.from(ts.map((t) => t.id)));
  } finally {
    ts.forEach((t) => t.dispose());
  }
};

/**
 * A checkpoint of the model for tf.callbacks.backupAndRestore: its weights and, when it has
 * trained, its optimizer's state (iterations and slots, group 'optimizer'), whatever its loss is
 * (a loss function cannot be saved in a training config, but the state still can), with `extra`
 * stored beside them.
 */
LayersModel.prototype._backupArtifacts = function backupArtifacts(extra = {}) {
  const weights = modelWeights(this);
  const info = this.optimizer ? JSON.parse(engine.model_optimizer_info(this._id)) : null;
  if (info && info.iterations > 0) weights.push(...optimizerWeights(this).map((w) => ({ ...w, group: 'optimizer' })));
  return artifactsOf(this, weights, { hebbBackup: { ...extra, optimizer: this.optimizer?.getClassName() ?? null } });
};

/**
 * Puts a checkpoint from _backupArtifacts back into this (compiled) model: the weights, and the
 * optimizer's state when the checkpoint has it and the optimizer is of the same class. Nothing
 * changes when the checkpoint does not fit the model (the Error says why).
 */
LayersModel.prototype._restoreBackup = function restoreBackup(artifacts, where) {
  const specs = artifacts.weightSpecs ?? [];
  let decoded;
  try {
    decoded = decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), specs);
  } catch (e) {
    throw new Error(`${where}: the checkpoint's weights cannot be read (${e.message})`);
  }
  const saved = artifacts.hebbBackup ?? {};
  const opt = decoded.filter((w, i) => specs[i].group === 'optimizer');
  const own = this.optimizer?.getClassName() ?? null;
  const useOpt = opt.length > 0 && own === saved.optimizer;
  // Check the optimizer state before touching the weights, so a mismatch changes nothing.
  if (useOpt) {
    const info = JSON.parse(engine.model_optimizer_info(this._id));
    const want = 1 + slotNames(this.optimizer).length * info.weights.length;
    if (opt.length !== want) throw new Error(`${where}: the checkpoint holds ${opt.length} optimizer tensors, this model's ${own} needs ${want}: it was saved from a different model`);
  } else if (opt.length > 0) {
    console.warn(`Hebb: ${where}: the checkpoint's optimizer state is ${saved.optimizer}'s, this model is compiled with ${own}; restoring the weights only.`);
  }
  const before = modelWeights(this);
  const putBack = () => setLoadedWeights(this, { weightSpecs: before.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }, before);
  try {
    setLoadedWeights(this, artifacts, decoded);
  } catch (e) {
    putBack(); // layers before the one that did not fit were already set
    throw new Error(`${where}: the checkpoint does not fit this model (${e.message.replace(/^loadLayersModel: /, '')})`);
  }
  if (!useOpt) return;
  try {
    setOptimizerState(this, opt);
  } catch (e) {
    putBack(); // a failed restore leaves the model as it was
    throw new Error(`${where}: the checkpoint's optimizer state does not fit this model (${e.message})`);
  }
};

/** TF.js's model.getConfig(): the model's name and its layers' configs, camelCase. */
LayersModel.prototype.getConfig = function getConfig() {
  const config = pythonicToJs(modelTopology(this).config);
  // Each layer's config as its getConfig() gives it (options TF.js leaves undefined stay so).
  const seq = this instanceof Sequential;
  config.layers.forEach((entry, i) => { entry.config = layerConfigJs(...layerOptions(this._engineLayers[i], seq && i === 0)); });
  return config;
};

/** tf.models: models from their JSON topology (TF.js's modelFromJSON). */
export const models = {
  /**
   * A model (fresh weights) from a topology: model.toJSON()'s object or string, a model.json's
   * {modelTopology, ...} (its weights are not fetched), or its model_config.
   */
  async modelFromJSON(modelAndWeightsConfig, customObjects) {
    let json = modelAndWeightsConfig;
    if (typeof json === 'string') {
      try { json = JSON.parse(json); } catch (e) { throw new Error(`modelFromJSON: the string is not JSON: ${e.message}`); }
    }
    if (!json || typeof json !== 'object') throw new Error(`modelFromJSON: expected a model topology object, received ${json}`);
    if (customObjects && typeof customObjects === 'object') for (const [k, v] of Object.entries(customObjects)) customClasses.set(k, v);
    return buildModel(json.modelTopology ?? json, 'modelFromJSON');
  },
};

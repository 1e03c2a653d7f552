// Reads a Keras 3 `.keras` file (a zip of config.json, metadata.json and model.weights.h5) into
// TF.js model artifacts: a Keras-2-style `modelTopology` (the form TF.js's model.json uses),
// `weightSpecs` and one `weightData` buffer, so the TF.js-format loader can build the model.
//
// The zip is read here (fflate, small); the HDF5 weights by ./h5.js, which carries a
// WebAssembly build of the HDF5 library and is bundled separately as dist/hebb_h5.js, next to
// dist/hebb.js, and imported only when a .keras file is read.
import { unzipSync } from 'fflate';

/** @typedef {{name: string, shape: number[], dtype: 'float32'}} WeightSpec */

const PREFIX = 'loadLayersModel: ';

function fail(message) {
  return new Error(PREFIX + message);
}

// --- the HDF5 reader bundle ----------------------------------------------------------------

let h5Loading = null;

/**
 * Imports dist/hebb_h5.js (once). Its address is resolved against this module's, as the engine
 * does for hebb_bg.wasm; globalThis.HEBB_H5 may give another address (or the module itself).
 */
export function loadH5() {
  const where = globalThis.HEBB_H5 ?? new URL('./hebb_h5.js', import.meta.url).href;
  h5Loading ??= (typeof where === 'string' ? import(/* not bundled into hebb.js */ where) : Promise.resolve(where))
    .catch((e) => {
      h5Loading = null; // a later call may try again (e.g. after a network error)
      throw fail(`could not load the HDF5 reader from ${where} (${e?.message ?? e}); it is built `
        + 'next to hebb.js as hebb_h5.js and must be served with it');
    });
  return h5Loading;
}

// --- config.json -> TF.js model topology ----------------------------------------------------

// Keras 3 bookkeeping with no meaning for building, running or training the model.
const DROP_KEYS = new Set(['module', 'registered_name', 'shared_object_id', 'build_config', 'compile_config']);
const POLICIES = new Set(['DTypePolicy', 'FloatDTypePolicy', 'QuantizedDTypePolicy',
  'QuantizedFloat8DTypePolicy', 'GPTQDTypePolicy', 'DTypePolicyMap']);
const MODELS = new Set(['Sequential', 'Functional', 'Model']);

/** The dtype variables are kept in, for a Keras 3 dtype policy. */
function policyDtype(policy) {
  const c = policy.config ?? {};
  if (policy.class_name === 'DTypePolicyMap') {
    return c.default_policy ? convertValue(c.default_policy) : 'float32';
  }
  const name = typeof c.name === 'string' ? c.name : 'float32';
  const from = /_from_(\w+)$/.exec(name); // quantized: 'int8_from_float32'
  if (from) return from[1];
  if (name.startsWith('mixed_')) return 'float32'; // mixed precision keeps float32 variables
  return name;
}

/** [layer, node, tensor] of a Keras 3 `__keras_tensor__`. */
function kerasHistory(t) {
  const h = t.config?.keras_history;
  if (!Array.isArray(h) || typeof h[0] !== 'string') {
    throw fail(`config.json has a layer input without a keras_history (${JSON.stringify(t).slice(0, 120)})`);
  }
  return [h[0], h[1] ?? 0, h[2] ?? 0];
}

const isKerasTensor = (v) => v !== null && typeof v === 'object' && v.class_name === '__keras_tensor__';

/**
 * Keras 3 serialized values -> Keras 2 form: `{module, class_name, config, registered_name}`
 * objects (initializers, regularizers, constraints, nested layers) -> `{class_name, config}`,
 * dtype policies -> their variable dtype, serialized arrays/tuples -> plain arrays, built-in
 * functions -> their name. Keys stay snake_case.
 */
function convertValue(v) {
  if (Array.isArray(v)) return v.map(convertValue);
  if (v === null || typeof v !== 'object') return v;
  if (typeof v.class_name === 'string' && 'config' in v) {
    const cls = v.class_name;
    if (POLICIES.has(cls)) return policyDtype(v);
    if (cls === '__keras_tensor__') return kerasHistory(v);
    if (cls === '__tensor__' || cls === '__numpy__' || cls === '__tuple__') return convertValue(v.config?.value);
    if (cls === 'function' && typeof v.config === 'string') return v.config; // e.g. an activation
    if (MODELS.has(cls) && Array.isArray(v.config?.layers)) return convertModel(v);
    return { class_name: cls, config: convertValue(v.config) };
  }
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    if (!DROP_KEYS.has(k)) out[k] = convertValue(x);
  }
  return out;
}

/** One layer's Keras 3 config -> Keras 2 config (InputLayer: batch_shape -> batch_input_shape). */
function convertLayerConfig(entry) {
  const config = convertValue(entry.config ?? {});
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw fail(`config.json has a ${entry.class_name} layer whose config is not an object`);
  }
  if (entry.class_name === 'InputLayer') {
    const { batch_shape: batchShape, shape, optional, ...rest } = config;
    if (rest.batch_input_shape === undefined) {
      rest.batch_input_shape = batchShape ?? (shape ? [null, ...shape] : undefined);
    }
    return rest;
  }
  // A null quantization_config is Keras 3's "not quantized": nothing to carry.
  if (config.quantization_config === null) delete config.quantization_config;
  return config;
}

/**
 * Keras 3 inbound nodes (`{args, kwargs}`, tensors as `__keras_tensor__`, merge layers with a
 * list of tensors as the first arg) -> Keras 2 nodes: `[[layer, node, tensor, kwargs], ...]`.
 */
function convertNodes(nodes, layerName) {
  if (!Array.isArray(nodes)) return [];
  return nodes.map((node) => {
    if (Array.isArray(node)) { // already Keras 2 style
      return node.map((t) => (t.length >= 4 ? t : [t[0], t[1] ?? 0, t[2] ?? 0, {}]));
    }
    const inputs = [];
    const collect = (a) => {
      if (isKerasTensor(a)) inputs.push(kerasHistory(a));
      else if (Array.isArray(a)) a.forEach(collect);
      else if (a && typeof a === 'object' && !('class_name' in a)) Object.values(a).forEach(collect);
      // other positional values (numbers, None) have no place in the Keras 2 node format
    };
    collect(node?.args ?? []);
    // A recurrent layer's initial_state tensors are inputs after x, as TF.js records them.
    const kw = { ...(node?.kwargs ?? {}) };
    if (kw.initial_state != null) {
      collect(kw.initial_state);
      delete kw.initial_state;
    }
    if (inputs.length === 0) {
      throw fail(`config.json: a call of layer '${layerName}' has no input tensors`);
    }
    const kwargs = convertValue(kw);
    return inputs.map((t) => [...t, kwargs]);
  });
}

/** input_layers / output_layers: one `[name, 0, 0]`, a list or a dict of them -> a list. */
function layerRefs(refs) {
  if (refs == null) return [];
  if (Array.isArray(refs) && typeof refs[0] === 'string') return [refs];
  const list = Array.isArray(refs) ? refs : Object.values(refs);
  return list.map((r) => [r[0], r[1] ?? 0, r[2] ?? 0]);
}

/** A Keras 3 Sequential or Functional config -> TF.js `{class_name, config}`. */
function convertModel(model, buildConfig = model.build_config) {
  const cfg = model.config ?? {};
  const entries = cfg.layers;
  if (!Array.isArray(entries)) {
    throw fail(`config.json: model '${cfg.name}' has no layer list`);
  }
  for (const e of entries) {
    if (!e || typeof e.class_name !== 'string') {
      throw fail(`config.json: model '${cfg.name}' has a layer entry without a class_name`);
    }
  }
  if (model.class_name === 'Sequential') {
    const layers = entries.map((e) => ({ class_name: e.class_name, config: convertLayerConfig(e) }));
    let inputShape = cfg.build_input_shape ?? buildConfig?.input_shape ?? null;
    if (layers.length > 1 && layers[0].class_name === 'InputLayer') {
      inputShape = layers.shift().config.batch_input_shape ?? inputShape;
    }
    const first = layers[0];
    if (first && first.class_name !== 'InputLayer' && Array.isArray(inputShape)
      && first.config.batch_input_shape === undefined) {
      // Keras 2 form: the input shape rides on the first layer.
      const { name, ...rest } = first.config;
      first.config = name === undefined ? { batch_input_shape: inputShape, ...rest }
        : { name, batch_input_shape: inputShape, ...rest };
    }
    return { class_name: 'Sequential', config: { name: cfg.name, layers } };
  }
  const layers = entries.map((e) => {
    const name = e.name ?? e.config?.name;
    return {
      name,
      class_name: e.class_name === 'Functional' ? 'Model' : e.class_name,
      config: MODELS.has(e.class_name) ? convertModel(e).config : convertLayerConfig(e),
      inbound_nodes: convertNodes(e.inbound_nodes, name),
    };
  });
  return {
    class_name: 'Model',
    config: {
      name: cfg.name,
      layers,
      input_layers: layerRefs(cfg.input_layers),
      output_layers: layerRefs(cfg.output_layers),
    },
  };
}

// --- model.weights.h5 -> weight specs and data --------------------------------------------

/** Keras's naming.to_snake_case: 'SeparableConv2D' -> 'separable_conv2d'. */
function snakeCase(name) {
  return name.replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * The names Keras's saving gives the entries of a list of layers (a model's layers, stacked
 * RNN cells): the class name in snake_case, numbered per class in list order (dense, dense_1).
 */
export function containerNames(classNames) {
  const used = new Map();
  return classNames.map((cls) => {
    const base = snakeCase(cls);
    const n = used.has(base) ? used.get(base) + 1 : 0;
    used.set(base, n);
    return n === 0 ? base : `${base}_${n}`;
  });
}

// Sub-objects whose variables follow a layer's own, in the order the layer tracks them (its
// `weights` order): Bidirectional's two layers, a wrapper's layer, an RNN's cell, stacked cells,
// a nested model's layers. Any other child group follows, by name.
const CHILD_ORDER = ['forward_layer', 'backward_layer', 'layer', 'cell', 'cells', 'layers'];

/**
 * The variables under one layer's group, in Keras's `layer.weights` order: its own
 * `vars/0..n-1`, then those of its children (CHILD_ORDER).
 * @param {object} h5 reader from h5.js
 * @param {string} path the layer's group
 * @param {object | null} entry the layer's Keras 3 config entry ({class_name, config}), if known
 * @param {string} where the layer, for messages
 */
function layerVariables(h5, path, entry, where) {
  const listing = h5.list(path);
  if (!listing) return [];
  const out = [];
  if (listing.groups.includes('vars')) {
    const names = h5.list(`${path}/vars`).datasets;
    const indices = names.map(Number).sort((a, b) => a - b);
    if (!names.every((n) => /^\d+$/.test(n)) || !indices.every((v, i) => v === i)) {
      throw fail(`model.weights.h5: the variables of ${where} are named ${names.join(', ')}, `
        + 'not 0, 1, ...');
    }
    for (const i of indices) out.push({ path: `${path}/vars/${i}`, ...readVar(h5, `${path}/vars/${i}`, where) });
  }
  const config = entry?.config ?? {};
  const children = listing.groups.filter((g) => g !== 'vars');
  children.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const child of children) {
    const sub = `${path}/${child}`;
    if (child === 'cells' || child === 'layers') {
      const list = child === 'cells' ? config.cells : config.layers;
      out.push(...listVariables(h5, sub, Array.isArray(list) ? list : null, entry?.class_name === 'Sequential', where));
    } else {
      const subEntry = config[child] ?? (child === 'forward_layer' || child === 'backward_layer' ? config.layer : null);
      out.push(...layerVariables(h5, sub, subEntry ?? null, `${where} (${child})`));
    }
  }
  return out;
}

function rank(child) {
  const i = CHILD_ORDER.indexOf(child);
  return i < 0 ? CHILD_ORDER.length : i;
}

/** Variables of a list container (stacked cells, a nested model's layers), in list order. */
function listVariables(h5, path, entries, sequential, where) {
  const present = h5.list(path)?.groups ?? [];
  if (!entries) { // no config to order them by: natural name order
    const names = [...present].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    return names.flatMap((n) => layerVariables(h5, `${path}/${n}`, null, where));
  }
  const saved = sequential ? entries.filter((e, i) => !(i === 0 && e.class_name === 'InputLayer')) : entries;
  const names = containerNames(saved.map((e) => e.class_name));
  return saved.flatMap((e, i) => (present.includes(names[i])
    ? layerVariables(h5, `${path}/${names[i]}`, e, `${where} / ${e.config?.name ?? names[i]}`) : []));
}

function readVar(h5, path, where) {
  try {
    return h5.read(path);
  } catch (e) {
    throw fail(`model.weights.h5: cannot read variable ${path} of ${where} (${e?.message ?? e})`);
  }
}

/** How many variables Keras 3 gives a layer of this class and config, or null if not known. */
function expectedCount(entry) {
  if (!entry || typeof entry.class_name !== 'string') return null;
  const c = entry.config ?? {};
  if (c.lora_rank || c.quantization_config) return null; // extra LoRA / quantization variables
  const bias = c.use_bias === false ? 0 : 1;
  switch (entry.class_name) {
    case 'Dense': case 'Conv1D': case 'Conv2D': case 'Conv3D':
    case 'Conv1DTranspose': case 'Conv2DTranspose': case 'Conv3DTranspose':
    case 'DepthwiseConv1D': case 'DepthwiseConv2D':
      return 1 + bias;
    case 'SeparableConv1D': case 'SeparableConv2D':
    case 'SimpleRNN': case 'LSTM': case 'GRU': case 'SimpleRNNCell': case 'LSTMCell': case 'GRUCell':
    case 'ConvLSTM2D': case 'ConvLSTM2DCell':
      return 2 + bias;
    case 'Embedding': case 'PReLU':
      return 1;
    case 'BatchNormalization':
      return (c.scale === false ? 0 : 1) + (c.center === false ? 0 : 1) + 2;
    case 'LayerNormalization':
      return (c.scale === false ? 0 : 1) + (c.center === false || c.rms_scaling ? 0 : 1);
    case 'TimeDistributed':
      return expectedCount(c.layer);
    case 'Bidirectional': {
      const f = expectedCount(c.layer);
      const b = expectedCount(c.backward_layer ?? c.layer);
      return f === null || b === null ? null : f + b;
    }
    case 'InputLayer': case 'Dropout': case 'SpatialDropout1D': case 'SpatialDropout2D':
    case 'GaussianNoise': case 'GaussianDropout': case 'AlphaDropout': case 'Activation':
    case 'Flatten': case 'Reshape': case 'Permute': case 'RepeatVector':
    case 'MaxPooling1D': case 'MaxPooling2D': case 'MaxPooling3D':
    case 'AveragePooling1D': case 'AveragePooling2D': case 'AveragePooling3D':
    case 'GlobalMaxPooling1D': case 'GlobalMaxPooling2D': case 'GlobalMaxPooling3D':
    case 'GlobalAveragePooling1D': case 'GlobalAveragePooling2D': case 'GlobalAveragePooling3D':
    case 'Concatenate': case 'Add': case 'Subtract': case 'Multiply': case 'Average':
    case 'Maximum': case 'Minimum': case 'ThresholdedReLU': case 'Rescaling':
    case 'Resizing': case 'CenterCrop': case 'CategoryEncoding': case 'RandomWidth':
    case 'ZeroPadding1D': case 'ZeroPadding2D': case 'ZeroPadding3D':
    case 'Cropping1D': case 'Cropping2D': case 'Cropping3D':
    case 'UpSampling1D': case 'UpSampling2D': case 'UpSampling3D':
    case 'ReLU': case 'LeakyReLU': case 'ELU': case 'Softmax':
      return 0;
    default:
      return null;
  }
}

/**
 * Every layer's variables, in the model's layer order: `{layer, variables}` per layer.
 * Keras saves each entry of model.layers under layers/<class in snake_case>[_n] (a Sequential's
 * implicit InputLayer is not in model.layers); each `vars` group also records the layer's name,
 * which is used when the class-derived group does not match.
 */
function modelVariables(h5, config, label) {
  const top = h5.list('/');
  if (!top) throw fail(`model.weights.h5 in ${label} has no root group`);
  const entries = config.config.layers;
  const sequential = config.class_name === 'Sequential';
  const saved = sequential ? entries.filter((e, i) => !(i === 0 && e.class_name === 'InputLayer')) : entries;
  const names = containerNames(saved.map((e) => e.class_name));
  const present = h5.list('/layers')?.groups ?? [];
  const byRecordedName = new Map();
  for (const g of present) {
    const n = h5.attr(`/layers/${g}/vars`, 'name');
    if (typeof n === 'string' && !byRecordedName.has(n)) byRecordedName.set(n, g);
  }
  const claimed = new Set();
  const out = [];
  saved.forEach((entry, i) => {
    const layerName = entry.name ?? entry.config?.name;
    const where = `layer '${layerName}' (${entry.class_name})`;
    let group = names[i];
    const recorded = h5.attr(`/layers/${group}/vars`, 'name');
    if (!present.includes(group) || (typeof recorded === 'string' && recorded !== layerName)) {
      group = byRecordedName.get(layerName) ?? null;
    }
    if (group !== null) claimed.add(group);
    const variables = group === null ? [] : layerVariables(h5, `/layers/${group}`, entry, where);
    const want = expectedCount(entry);
    if (want !== null && want !== variables.length) {
      throw fail(`model.weights.h5 in ${label} holds ${variables.length} variable`
        + `${variables.length === 1 ? '' : 's'} for ${where}, but its config needs ${want}`);
    }
    out.push({ layer: layerName, variables });
  });
  for (const g of present) {
    if (claimed.has(g)) continue;
    const extra = layerVariables(h5, `/layers/${g}`, null, `layers/${g}`);
    if (extra.length) {
      const n = h5.attr(`/layers/${g}/vars`, 'name');
      throw fail(`model.weights.h5 in ${label} holds ${extra.length} variable(s) under layers/${g}`
        + `${typeof n === 'string' ? ` (layer '${n}')` : ''}, which matches no layer of config.json`);
    }
  }
  return out;
}

// --- entry point ----------------------------------------------------------------------------

function asBytes(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

function parseJson(bytes, file, label) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return JSON.parse(text);
  } catch (e) {
    throw fail(`${file} in ${label} is not valid JSON (${e?.message ?? e})`);
  }
}

/**
 * Reads a Keras 3 `.keras` file into TF.js model artifacts.
 *
 * `modelTopology` is in the Keras 2 form of TF.js's model.json: `{class_name: 'Sequential',
 * config: {name, layers: [{class_name, config}]}}` with `batch_input_shape` on the first layer,
 * or `{class_name: 'Model', config: {name, layers: [{name, class_name, config, inbound_nodes}],
 * input_layers, output_layers}}`; layer options keep Keras's snake_case names. Weights are
 * named `<layer name>/<index in layer.weights>`, float32, concatenated in layer order.
 *
 * @param {ArrayBuffer | ArrayBufferView} arrayBuffer the file's bytes
 * @param {string} [source] the file's name or address, for error messages
 * @returns {Promise<{modelTopology: object, weightSpecs: WeightSpec[], weightData: ArrayBuffer,
 *   format: 'layers-model', generatedBy: string, convertedBy: string}>}
 */
export async function kerasToArtifacts(arrayBuffer, source) {
  const label = source ? `'${source}'` : 'the file';
  const bytes = asBytes(arrayBuffer);
  if (!bytes) {
    throw fail(`expected the bytes of a .keras file (an ArrayBuffer or Uint8Array), got ${
      arrayBuffer === null ? 'null' : typeof arrayBuffer}`);
  }
  // "PK\3\4": a zip starting with a file entry (a .keras file always holds files).
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 3 || bytes[3] !== 4) {
    throw fail(`${label} is not a .keras file (not a zip archive)`);
  }
  const wanted = new Set(['config.json', 'metadata.json', 'model.weights.h5']);
  const names = [];
  let files;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        names.push(f.name);
        return wanted.has(f.name);
      },
    });
  } catch (e) {
    throw fail(`${label} is not a readable .keras file (damaged or truncated zip archive: ${e?.message ?? e})`);
  }
  const listed = names.length ? names.join(', ') : 'nothing';
  if (!files['config.json']) {
    throw fail(`${label} is not a Keras 3 .keras file: the archive has no config.json (it holds ${listed})`);
  }
  if (!files['model.weights.h5']) {
    const sharded = names.some((n) => n.endsWith('.weights.json'));
    throw fail(`${label} has no model.weights.h5 (it holds ${listed})${
      sharded ? '; sharded weights are not supported' : ''}`);
  }
  const config = parseJson(files['config.json'], 'config.json', label);
  const metadata = files['metadata.json'] ? parseJson(files['metadata.json'], 'metadata.json', label) : {};
  if (!config || !MODELS.has(config.class_name) || !Array.isArray(config.config?.layers)) {
    throw fail(`config.json in ${label} does not describe a Sequential or Functional model `
      + `(class_name ${JSON.stringify(config?.class_name)}); subclassed models cannot be loaded`);
  }
  const modelTopology = convertModel(config);
  if (typeof metadata.keras_version === 'string') modelTopology.keras_version = metadata.keras_version;

  const { openH5, h5Message } = await loadH5();
  let h5;
  try {
    h5 = await openH5(files['model.weights.h5']);
  } catch (e) {
    throw fail(`model.weights.h5 in ${label} is not a readable HDF5 file (${e?.message ?? e})`);
  }
  let layers;
  try {
    layers = modelVariables(h5, config, label);
  } catch (e) {
    // The reader's own messages say what is wrong; HDF5's (a damaged file read halfway) are
    // condensed to their innermost reason.
    if (String(e?.message).startsWith(PREFIX)) throw e;
    throw fail(`model.weights.h5 in ${label} is damaged (${h5Message(e)})`);
  } finally {
    h5.close();
  }

  const weightSpecs = [];
  let total = 0;
  for (const { layer, variables } of layers) {
    variables.forEach((v, i) => {
      weightSpecs.push({ name: `${layer}/${i}`, shape: v.shape, dtype: 'float32' });
      total += v.values.length;
    });
  }
  // Float32Array is little-endian on every platform browsers run on.
  const data = new Float32Array(total);
  let offset = 0;
  for (const { variables } of layers) {
    for (const v of variables) {
      data.set(v.values, offset);
      offset += v.values.length;
    }
  }
  return {
    modelTopology,
    weightSpecs,
    weightData: data.buffer,
    format: 'layers-model',
    generatedBy: `keras v${metadata.keras_version ?? '3'}`,
    convertedBy: 'hebb .keras reader',
  };
}

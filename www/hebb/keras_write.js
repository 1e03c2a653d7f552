// Writes a Keras 3 `.keras` file (a zip of metadata.json, config.json and model.weights.h5) from
// TF.js model artifacts, so a model built and trained in the tab graduates to Keras 3 (JAX,
// TensorFlow or PyTorch). The reverse of keras_file.js:
//
// - config.json: the Keras-2-style topology of model.json in Keras 3's form. Each layer becomes
//   {module, class_name, config, registered_name}; initializers, regularizers, constraints and
//   wrapped layers get their Keras module; a Sequential's input shape becomes an InputLayer; the
//   options Keras 3 dropped (TF.js-only or deprecated ones) are left out. Functional models keep
//   the [layer, node, tensor, kwargs] inbound nodes, which Keras 3 reads as they are.
// - compile_config: from the training config (saved with the model when it is compiled): the
//   optimizer as its Keras 3 class (tf.train.momentum is SGD with momentum, rmsprop RMSprop),
//   the loss and metric names.
// - model.weights.h5: the weights under layers/<class in snake_case>[_n]/vars/<i>, a recurrent
//   layer's under .../cell/vars, Bidirectional's under forward_layer and backward_layer, a
//   wrapper's under layer; the optimizer's state under optimizer/vars in Keras's order, so
//   training goes on in Keras with the moments it had here.
import { zipSync, strToU8 } from 'fflate';
import { containerNames, loadH5 } from './keras_file.js';
import { decodeWeights } from './io_format.js';

const PREFIX = 'save .keras: ';
const fail = (m) => new Error(PREFIX + m);

// Keras 3 layers whose variables live in a child object, not in their own vars.
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D']);
// Options TF.js writes that Keras 3 does not take (it would refuse the layer).
const DROP = { Embedding: ['input_length'] };
// Keys whose {class_name, config} value is an object of this Keras module.
function moduleFor(key) {
  if (/_initializer$/.test(key)) return 'keras.initializers';
  if (/_regularizer$/.test(key)) return 'keras.regularizers';
  if (/_constraint$/.test(key)) return 'keras.constraints';
  if (['layer', 'backward_layer', 'cell'].includes(key)) return 'keras.layers';
  return null;
}

/** One config value in Keras 3's form (nested {class_name, config} objects get a module). */
function value(v, key) {
  if (Array.isArray(v)) return v.map((x) => value(x, key));
  if (v === null || typeof v !== 'object') return v;
  if (typeof v.class_name === 'string' && 'config' in v) {
    const module = moduleFor(key) ?? 'keras.layers';
    const config = module === 'keras.layers' ? layerConfig(v.class_name, v.config) : value(v.config, '');
    return { module, class_name: v.class_name, config, registered_name: null };
  }
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = value(x, k);
  return out;
}

/** A layer's model.json config in Keras 3's form. */
function layerConfig(className, config) {
  if (className === 'InputLayer') {
    const { batch_input_shape: bs, batch_shape: bs3, dtype, sparse, name } = config ?? {};
    return { batch_shape: bs ?? bs3, dtype: dtype ?? 'float32', sparse: sparse ?? false, ragged: false, name };
  }
  const drop = new Set(DROP[className] ?? []);
  const out = {};
  for (const [k, x] of Object.entries(config ?? {})) {
    if (drop.has(k) || k === 'batch_input_shape' || x === undefined) continue;
    if (k === 'cells' && Array.isArray(x)) out[k] = x.map((c) => value(c, 'cell'));
    else out[k] = value(x, k);
  }
  return out;
}

/**
 * Throws for options Keras 3 would read differently: TF.js's hardSigmoid is clip(0.2x + 0.5),
 * Keras 3's hard_sigmoid is clip(x/6 + 0.5), and Keras 3 has no activation equal to TF.js's.
 */
function checkKeras3(l) {
  const look = (config, where) => {
    for (const [k, v] of Object.entries(config ?? {})) {
      if (v === 'hard_sigmoid') {
        throw fail(`${where}: its ${k} is TF.js's hardSigmoid (clip(0.2x + 0.5)), which Keras 3 does not have (Keras 3's hard_sigmoid is clip(x/6 + 0.5)); build the layer with ${k.replace(/_(\w)/g, (_, c) => c.toUpperCase())}: 'sigmoid' to take it to Keras`);
      }
      if (v && typeof v === 'object' && typeof v.class_name === 'string' && (k === 'layer' || k === 'cell' || k === 'backward_layer')) look(v.config, where);
    }
  };
  look(l.config, `layer '${l.config?.name ?? l.name}' (${l.class_name})`);
}

const layerEntry = (l) => {
  checkKeras3(l);
  return { module: 'keras.layers', class_name: l.class_name, config: layerConfig(l.class_name, l.config), registered_name: null };
};

const single = (refs) => (Array.isArray(refs) && refs.length === 1 && Array.isArray(refs[0]) ? refs[0] : refs);

/** The Keras 3 config.json object of a TF.js topology. */
function modelConfig(topo) {
  const t = topo.model_config ?? topo;
  const cfg = t.config ?? {};
  if (t.class_name === 'Sequential') {
    const list = Array.isArray(cfg) ? cfg : cfg.layers;
    if (!Array.isArray(list) || !list.length) throw fail('the model has no layers');
    const layers = list.map(layerEntry);
    let inputShape = null;
    if (list[0].class_name === 'InputLayer') {
      inputShape = layers[0].config.batch_shape;
    } else {
      inputShape = list[0].config?.batch_input_shape ?? null;
      if (inputShape) {
        layers.unshift({
          module: 'keras.layers', class_name: 'InputLayer', registered_name: null,
          config: { batch_shape: inputShape, dtype: list[0].config?.dtype ?? 'float32', sparse: false, ragged: false, name: `${cfg.name ?? 'sequential'}_input` },
        });
      }
    }
    return {
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: { name: cfg.name ?? 'sequential', trainable: true, dtype: 'float32', layers },
      ...(inputShape ? { build_config: { input_shape: inputShape } } : {}),
    };
  }
  if (t.class_name !== 'Model' && t.class_name !== 'Functional') throw fail(`cannot write a model of class '${t.class_name}'`);
  const layers = (cfg.layers ?? []).map((l) => {
    if (l.class_name === 'Sequential' || l.class_name === 'Model' || l.class_name === 'Functional') {
      throw fail(`layer '${l.name}' is a nested model, which the .keras writer does not handle yet`);
    }
    return { ...layerEntry(l), name: l.name, inbound_nodes: (l.inbound_nodes ?? []).map((node) => node.map(([n, i, k, kw]) => [n, i, k, kw ?? {}])) };
  });
  return {
    module: 'keras.src.models.functional', class_name: 'Functional', registered_name: null,
    // One input or output is written as [name, node, tensor], not a list of one, as Keras does:
    // a list would make Keras's model take or give a list.
    config: { name: cfg.name ?? 'model', trainable: true, layers, input_layers: single(cfg.input_layers), output_layers: single(cfg.output_layers) },
  };
}

// --- training config -> compile_config ------------------------------------------------------

const OPTIMIZERS = {
  SGD: (c) => ['SGD', { learning_rate: c.learningRate }],
  Momentum: (c) => ['SGD', { learning_rate: c.learningRate, momentum: c.momentum, nesterov: !!c.useNesterov }],
  Adam: (c) => ['Adam', { learning_rate: c.learningRate, beta_1: c.beta1 ?? 0.9, beta_2: c.beta2 ?? 0.999, epsilon: c.epsilon ?? 1e-7, amsgrad: false }],
  AdamW: (c) => ['AdamW', { learning_rate: c.learningRate, weight_decay: c.weightDecay, beta_1: c.beta1 ?? 0.9, beta_2: c.beta2 ?? 0.999, epsilon: c.epsilon ?? 1e-7, amsgrad: false }],
  Adamax: (c) => ['Adamax', { learning_rate: c.learningRate, beta_1: c.beta1 ?? 0.9, beta_2: c.beta2 ?? 0.999, epsilon: c.epsilon ?? 1e-7 }],
  RMSProp: (c) => ['RMSprop', { learning_rate: c.learningRate, rho: c.decay ?? 0.9, momentum: c.momentum ?? 0, epsilon: c.epsilon ?? 1e-7, centered: !!c.centered }],
  Adagrad: (c) => ['Adagrad', { learning_rate: c.learningRate, initial_accumulator_value: c.initialAccumulatorValue ?? 0.1, epsilon: 1e-7 }],
  Adadelta: (c) => ['Adadelta', { learning_rate: c.learningRate, rho: c.rho ?? 0.95, epsilon: c.epsilon ?? 1e-7 }],
};
const CLIP = { clipnorm: 'clipnorm', clipvalue: 'clipvalue', globalClipnorm: 'global_clipnorm' };

function compileConfig(tc) {
  const oc = tc.optimizer_config ?? {};
  const make = OPTIMIZERS[oc.class_name];
  const c = oc.config ?? {};
  if (!make || typeof c.learningRate !== 'number') return null; // an unknown optimizer or a schedule: not carried
  const [cls, config] = make(c);
  for (const [k, kk] of Object.entries(CLIP)) if (c[k] != null) config[kk] = c[k];
  const name = (x) => (typeof x === 'string' ? x : null);
  const mapAll = (v, f) => (Array.isArray(v) ? v.map(f) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f(x)])) : f(v));
  const loss = mapAll(tc.loss, name);
  return {
    optimizer: { module: 'keras.optimizers', class_name: cls, config: { name: cls.toLowerCase(), ...config }, registered_name: null },
    loss,
    loss_weights: tc.loss_weights ?? null,
    metrics: tc.metrics == null ? null : mapAll(tc.metrics, (m) => (Array.isArray(m) ? m.map(name) : name(m))),
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

// --- weights -> model.weights.h5 ------------------------------------------------------------

/** The h5 groups a layer's variables go to, with how many variables each holds. */
function variableGroups(entry, base, count) {
  const cls = entry.class_name;
  const inner = entry.config?.layer;
  if (RECURRENT.has(cls) || (cls === 'RNN' && entry.config?.cell && !Array.isArray(entry.config.cell))) {
    return [[`${base}/cell`, count]];
  }
  if (cls === 'Bidirectional') {
    const sub = (name) => (RECURRENT.has(inner?.class_name) ? `${base}/${name}/cell` : `${base}/${name}`);
    return [[sub('forward_layer'), count / 2], [sub('backward_layer'), count / 2]];
  }
  if (cls === 'TimeDistributed') return [[RECURRENT.has(inner?.class_name) ? `${base}/layer/cell` : `${base}/layer`, count]];
  if (cls === 'RNN') throw fail(`layer '${entry.config?.name}' is an RNN over stacked cells, which the .keras writer does not handle yet`);
  return [[base, count]];
}

// Keras 3's optimizer variables after iterations and learning_rate, from the TF.js slots Hebb
// saves (named '<weight>/<slot>'): `interleaved` lists each trained variable's slots together
// (Adam: m and v of the first variable, then of the next), otherwise slot by slot (RMSprop:
// every velocity, then every momentum). A slot name of null is one Keras does not keep for
// that config. `scale` converts a TF.js value into Keras's.
const KERAS_SLOTS = {
  Adam: () => ({ interleaved: true, slots: ['m', 'v'] }),
  AdamW: () => ({ interleaved: true, slots: ['m', 'v'] }),
  Adamax: () => ({ interleaved: true, slots: ['m', 'u'] }),
  SGD: () => ({ interleaved: false, slots: [] }),
  // TF.js's momentum accumulates gradients (w -= lr * accum); Keras's SGD keeps the step
  // itself (v = m v - lr g; w += v): v = -lr * accum.
  Momentum: (c) => ({ interleaved: false, slots: ['momentum'], scale: -c.learningRate }),
  RMSProp: (c) => ({ interleaved: false, slots: ['rms', c.momentum > 0 ? 'momentum' : null, c.centered ? 'mg' : null] }),
  Adagrad: () => ({ interleaved: false, slots: ['accumulator'] }),
  Adadelta: () => ({ interleaved: false, slots: ['accum_grad', 'accum_var'] }),
};

/** Keras's optimizer variables, or null when the saved state cannot fill them all. */
function optimizerVariables(tc, compile, opt, trained) {
  const layout = KERAS_SLOTS[tc.optimizer_config?.class_name]?.(tc.optimizer_config.config ?? {});
  if (!layout) return null;
  const iter = opt.find((w) => w.name === 'iter');
  const byName = new Map(opt.map((w) => [w.name, w]));
  // Only the weights the optimizer trains have slots; they follow in the model's order.
  const owners = trained.filter((w) => layout.slots.some((s) => s && byName.has(`${w.name}/${s}`)));
  const slots = layout.slots.filter((s) => s);
  const pairs = layout.interleaved ? owners.flatMap((w) => slots.map((s) => [w, s])) : slots.flatMap((s) => owners.map((w) => [w, s]));
  const out = [
    { shape: [], values: Int32Array.of(iter ? Number(iter.data[0]) : 0) },
    { shape: [], values: Float32Array.of(compile.optimizer.config.learning_rate) },
  ];
  for (const [w, s] of pairs) {
    const slot = byName.get(`${w.name}/${s}`);
    if (!slot) return null;
    const scale = layout.scale ?? 1;
    out.push({ shape: slot.shape, values: Float32Array.from(slot.data, (x) => x * scale) });
  }
  return out;
}

/**
 * The bytes of a Keras 3 `.keras` file for TF.js model artifacts (modelArtifacts or what a
 * save handler receives). With a training config, the file's compile_config compiles the model
 * in Keras; with the optimizer's state (saved with {includeOptimizer: true}, the default of
 * toKeras and of downloads://name.keras), Keras's optimizer starts from it.
 * @param {object} artifacts
 * @returns {Promise<Uint8Array>}
 */
export async function artifactsToKeras(artifacts) {
  if (!artifacts || typeof artifacts !== 'object' || !artifacts.modelTopology) throw fail('expected model artifacts with a modelTopology');
  const topo = artifacts.modelTopology.model_config ?? artifacts.modelTopology;
  const config = modelConfig(topo);
  const tc = artifacts.trainingConfig;
  const compile = tc ? compileConfig(tc) : null;
  if (compile) config.compile_config = compile;

  const specs = artifacts.weightSpecs ?? [];
  const decoded = decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), specs);
  const own = decoded.filter((w, i) => specs[i].group !== 'optimizer');
  const byLayer = new Map();
  for (const w of own) {
    const layer = w.name.split('/')[0];
    if (!byLayer.has(layer)) byLayer.set(layer, []);
    byLayer.get(layer).push(w);
  }
  // model.layers in Keras: a Sequential's without its InputLayer, a Functional's all of them.
  const entries = (config.class_name === 'Sequential' ? config.config.layers.filter((l) => l.class_name !== 'InputLayer') : config.config.layers)
    .map((l) => ({ class_name: l.class_name, config: l.config, name: l.name ?? l.config.name }));
  const names = containerNames(entries.map((e) => e.class_name));
  const groups = [{ path: 'layers' }, { path: 'vars', attrs: { name: config.config.name } }];
  const datasets = [];
  const trained = [];
  entries.forEach((e, i) => {
    const base = `layers/${names[i]}`;
    const vars = byLayer.get(e.name) ?? [];
    byLayer.delete(e.name);
    groups.push({ path: `${base}/vars`, attrs: { name: e.name } });
    let k = 0;
    for (const [path, n] of variableGroups(e, base, vars.length)) {
      if (path !== base) groups.push({ path: `${path}/vars`, attrs: { name: path.split('/').pop() } });
      for (let j = 0; j < n; j++, k++) {
        const w = vars[k];
        datasets.push({ path: `${path}/vars/${j}`, shape: w.shape, values: w.data instanceof Float32Array ? w.data : Float32Array.from(w.data) });
      }
    }
    trained.push(...vars);
  });
  if (byLayer.size) throw fail(`the weights of ${[...byLayer.keys()].map((n) => `'${n}'`).join(', ')} belong to no layer of the topology`);

  const opt = decoded.filter((w, i) => specs[i].group === 'optimizer');
  const vars = compile && opt.length ? optimizerVariables(tc, compile, opt, trained) : null;
  if (vars) {
    groups.push({ path: 'optimizer' }, { path: 'optimizer/vars', attrs: { name: compile.optimizer.config.name } });
    vars.forEach((d, i) => datasets.push({ path: `optimizer/vars/${i}`, ...d }));
  }

  const { writeH5 } = await loadH5();
  let h5;
  try {
    h5 = await writeH5(groups, datasets);
  } catch (e) {
    throw fail(`could not write model.weights.h5 (${e.message})`);
  }
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  const metadata = {
    keras_version: '3.15.1', // the Keras release this format was checked against
    date_saved: `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}@${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`,
    generated_by: artifacts.generatedBy ?? 'Hebb',
  };
  return zipSync({
    'metadata.json': strToU8(JSON.stringify(metadata)),
    'config.json': strToU8(JSON.stringify(config)),
    'model.weights.h5': [h5, { level: 0 }],
  });
}

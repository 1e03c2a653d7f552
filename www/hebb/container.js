// The members of TF.js's Container (LayersModel's base) that describe a model as an object:
// its weights as LayerVariables, its symbolic input and output, node and layer bookkeeping,
// execute(), loadWeights() and the like. They are defined on LayersModel.prototype here, so
// models.js keeps to building and running models.
import { Tensor } from './tensor.js';
import { Layer, SymbolicTensor, _overridable } from './layers.js';
import { LayersModel, Sequential } from './models.js';
import { recording } from './grad.js';

const fmtShape = (s) => JSON.stringify(s);

class ContainerMembers {

  /** The weights training changes, layer by layer (none when the model is frozen). */
  get trainableWeights() {
    const out = [];
    const seen = new Set();
    for (const l of this.layers) for (const v of l.trainableWeights) if (!seen.has(v.name)) { seen.add(v.name); out.push(v); }
    return out;
  }
  /** The weights training leaves alone (moving statistics, frozen layers' weights). */
  get nonTrainableWeights() {
    const out = [];
    const seen = new Set();
    for (const l of this.layers) for (const v of l.nonTrainableWeights) if (!seen.has(v.name)) { seen.add(v.name); out.push(v); }
    return out;
  }
  /** Every weight: the trainable ones first, as TF.js lists them. */
  get weights() { return [...this.trainableWeights, ...this.nonTrainableWeights]; }
  /** The model's symbolic input (a list when it has several). */
  get input() { return this.inputs.length === 1 ? this.inputs[0] : this.inputs; }
  /** The model's symbolic output (a list when it has several). */
  get output() { return this.outputs.length === 1 ? this.outputs[0] : this.outputs; }
  get built() { return this._engineLayers.length > 0; }
  get id() { return this._layerId ??= Layer.nextId(); }
  get stateful() { return this._engineLayers.some((l) => l.stateful); }
  get supportsMasking() { return true; }
  /** The model's own added losses (TF.js's Container: its layers' losses are theirs). */
  get losses() { return this._addedLosses ?? []; }
  /** Loss functions on the model itself, as TF.js's addLoss keeps them (fit reads only its layers'). */
  addLoss(losses) {
    if (losses == null || (Array.isArray(losses) && losses.length === 0)) return;
    const list = Array.isArray(losses) ? losses : [losses];
    if (list.some((f) => typeof f !== 'function')) throw new Error(`${this.name}: addLoss expects functions returning a scalar (TF.js's RegularizerFn)`);
    (this._addedLosses ??= []).push(...list);
  }
  /**
   * Every layer's losses evaluated now (TF.js's calculateLosses): the regularization penalties
   * and what addLoss added; a custom loop adds them to its loss.
   */
  calculateLosses() { return this._engineLayers.flatMap((l) => l.calculateLosses()); }
  /**
   * A model's weights are its layers' (TF.js 4.22 accepts addWeight on a model, after which its
   * trainableWeights throws); Hebb says so at the call.
   */
  addWeight(name) {
    throw new Error(`${this.name}: addWeight('${name}') on a model: a model's weights are its layers' weights; create the weight in a custom layer's build() with this.addWeight and add that layer to the model`);
  }
  get updates() { return []; }
  get inputSpec() { return null; }
  get inputLayers() { return this.inputs.map((s) => s.sourceLayer); }
  get outputLayers() { return this.outputs.map((s) => s.sourceLayer); }
  getClassName() { return this instanceof Sequential ? 'Sequential' : 'Model'; }
  /** The model's input (output) at node 0: a model's own node is its inputs and outputs. */
  getInputAt(nodeIndex) {
    if (nodeIndex !== 0) throw new Error(`${this.name}: getInputAt(${nodeIndex}): the model has one node (0)`);
    return this.input;
  }
  getOutputAt(nodeIndex) {
    if (nodeIndex !== 0) throw new Error(`${this.name}: getOutputAt(${nodeIndex}): the model has one node (0)`);
    return this.output;
  }
  getNodeAtIndex(nodeIndex) {
    if (nodeIndex !== 0) throw new Error(`${this.name}: getNodeAtIndex(${nodeIndex}): the model has one node (0)`);
    return { outboundLayer: this, inputTensors: this.inputs, outputTensors: this.outputs, inboundLayers: [], callArgs: {} };
  }
  assertNotDisposed() {
    if (this._disposed) throw new Error(`${this.name}: the model is disposed`);
  }
  /** Frees the weights (TF.js's disposeWeights); returns how many variables were freed. */
  disposeWeights() { return this.dispose().numDisposedVariables; }
  get initialWeights() { return null; }
  get activityRegularizer() { return null; }
  /** A model is built when it has layers with an input shape (TF.js's build(inputShape) checks it). */
  build(inputShape) {
    if (!this.built) throw new Error(`${this.name}: build: add a first layer with an inputShape (Hebb builds each layer as it is added)`);
    if (inputShape !== undefined) this.computeOutputShape(inputShape);
  }
  /**
   * Sets weights by name from {name: tensor} (TF.js's loadWeights). With strict (the default),
   * every weight of the model must be given and no other.
   */
  loadWeights(weightMap, strict = true) {
    if (!weightMap || typeof weightMap !== 'object') throw new Error(`loadWeights: expected {weightName: tensor}, received ${weightMap}`);
    const vars = this.weights;
    const names = new Set(vars.map((v) => v.name));
    if (strict) {
      const extra = Object.keys(weightMap).filter((k) => !names.has(k));
      if (extra.length) throw new Error(`loadWeights: the model has no weight${extra.length > 1 ? 's' : ''} named ${extra.join(', ')}`);
      const missing = vars.filter((v) => !(v.name in weightMap)).map((v) => v.name);
      if (missing.length) throw new Error(`loadWeights: no value for the weight${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    }
    for (const v of vars) if (v.name in weightMap) v.write(weightMap[v.name]);
  }
  /** Checks symbolic inputs against the model's inputs (rank and fixed dimensions). */
  assertInputCompatibility(inputs) {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== this.inputs.length) throw new Error(`${this.name}: expects ${this.inputs.length} input(s), received ${list.length}`);
    list.forEach((x, i) => {
      const want = this.inputs[i].shape;
      const got = x.shape;
      if (got.length !== want.length || want.some((d, k) => d !== null && got[k] !== null && got[k] !== d)) {
        throw new Error(`${this.name}: input ${i} is incompatible with the model: expected shape ${fmtShape(want)}, received ${fmtShape(got)}`);
      }
    });
  }
  /** The layer of this name (TF.js's findLayer). */
  findLayer(name) { return this.getLayer(name); }
  /**
   * The values of symbolic tensors of the model's graph, by name (TF.js's execute): the outputs
   * of inner layers, e.g. model.execute(x, 'dense_Dense1/dense_Dense1'). One tensor, or one per name.
   */
  execute(inputs, outputs) {
    const names = Array.isArray(outputs) ? outputs : [outputs];
    const syms = new Map();
    const visit = (s) => {
      if (!s || syms.has(s.name)) return;
      syms.set(s.name, s);
      if (s._call) s._call.inputs.forEach(visit);
    };
    this.outputs.forEach(visit);
    const wanted = names.map((n) => {
      const sym = typeof n === 'string' ? syms.get(n) ?? syms.get(`${n}/${n}`) : n;
      if (!(sym instanceof SymbolicTensor)) throw new Error(`${this.name}: execute: the model has no tensor named '${n}' (names: ${[...syms.keys()].join(', ')})`);
      return sym;
    });
    const key = wanted.map((s) => s.name).join('|');
    this._executors ??= new Map();
    let m = this._executors.get(key);
    if (!m) {
      m = new LayersModel({ inputs: this.inputs, outputs: wanted, name: `${this.name}_execute` });
      this._executors.set(key, m);
    }
    const x = inputs && typeof inputs === 'object' && !(inputs instanceof Tensor) && !Array.isArray(inputs)
      ? this.inputNames.map((nm) => inputs[nm] ?? inputs[this.inputs.find((s) => s.sourceLayer?.name === nm)?.name])
      : inputs;
    const out = recording() ? m._applyTensors(x, false) : m.predict(x);
    return Array.isArray(outputs) ? (Array.isArray(out) ? out : [out]) : out;
  }
  /** The calls of this model on symbolic tensors, when it is nested in another model. */
  get inboundNodes() { return []; }
  get outboundNodes() { return []; }
  /** The output shape for an input shape (the model's own, checked against it). */
  computeOutputShape(inputShape) {
    const shapes = Array.isArray(inputShape?.[0]) || inputShape?.[0] === undefined ? inputShape : [inputShape];
    (shapes ?? []).forEach((sh, i) => {
      const want = this.inputs[i]?.shape;
      if (want && (sh.length !== want.length || sh.some((d, k) => k > 0 && d !== want[k]))) {
        throw new Error(`${this.name}: computeOutputShape: input ${i} expects shape ${fmtShape(want)}, received ${fmtShape(sh)}`);
      }
    });
    return this.outputShape;
  }
  computeMask(inputs, mask) { return mask ?? null; }
  /** Runs the model on tensors (TF.js's call / execute with the model's outputs). */
  call(inputs) { return this.predict(inputs); }
  /** TF.js's getUserDefinedMetadata / setUserDefinedMetadata: saved in model.json. */
  getUserDefinedMetadata() { return this._userMetadata; }
  setUserDefinedMetadata(metadata) {
    if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) throw new Error(`setUserDefinedMetadata: expected a plain object, received ${metadata}`);
    this._userMetadata = metadata;
  }
  /** The layers, by depth from the inputs (TF.js's layersByDepth), keyed by depth. */
  get layersByDepth() {
    const out = {};
    const n = this.layers.length;
    this.layers.forEach((l, i) => { (out[n - 1 - i] ??= []).push(l); });
    return out;
  }
  /** The weights with their names, as TF.js's getNamedWeights gives them: [{name, tensor}]. */
  getNamedWeights() {
    return this.weights.map((v) => ({ name: v.name, tensor: v.read() }));
  }
}

for (const key of Object.getOwnPropertyNames(ContainerMembers.prototype)) {
  if (key === 'constructor') continue;
  Object.defineProperty(LayersModel.prototype, key, { ...Object.getOwnPropertyDescriptor(ContainerMembers.prototype, key), enumerable: false });
}
// A subclass may assign what these compute, as TF.js's fields allow.
_overridable(LayersModel.prototype, ['trainableWeights', 'nonTrainableWeights', 'weights', 'stateful', 'supportsMasking', 'losses', 'updates',
  'inputSpec', 'inboundNodes', 'outboundNodes', 'initialWeights', 'activityRegularizer']);

// A layer's weights as TF.js shows them: LayerVariables (name, shape, trainable, read(), write(),
// val for custom loops), getWeights/setWeights, countParams, addWeight for custom layers, and the
// losses (regularization penalties and addLoss functions). Defined on Layer.prototype.
import { engine, _onModelUse } from './engine.js';
import { Tensor, tidy, wrap } from './tensor.js';
import { abs, add, mul, square, sum } from './ops.js';
import { canonicalConstraint, canonicalLayerConfig } from './keras_json.js';
import { weightProp, _registerOptionClasses } from './layer_props.js';
import { variable, recording, uniqueVariableName, _registerModelHooks } from './grad.js';
import { Layer, serializable, _overridable } from './layers.js';

let nextVariableId = 1;

/**
 * A layer's weight (TF.js's LayerVariable): its name, shape and dtype, read() for a copy of its
 * value (inside a custom layer's call(), the traced placeholder) and write() to set it.
 */
export class LayerVariable {
  constructor(layer, index, name, shape, trainable) {
    this.layer = layer;
    this.index = index;
    this.id = nextVariableId++;
    this.name = name;
    this.originalName = name;
    this.shape = shape;
    this.dtype = 'float32';
    this._trainable = trainable;
    this._disposed = false;
  }
  /** The weight's own flag, as TF.js keeps it (a frozen layer lists it in nonTrainableWeights). */
  get trainable() { return this._trainable; }
  set trainable(v) { this._trainable = !!v; }
  /** The constraint projected on the weight after each update (its layer's option), or null. */
  get constraint() {
    const cfg = this.layer._custom ? this.layer._weightSpecs?.[this.index] : this.layer._config;
    const key = this.layer._custom ? 'constraint' : `${weightProp(this.name)}Constraint`;
    const c = cfg?.[key];
    return c ? makeConstraintObject(c) : null;
  }
  assertNotDisposed() {
    if (this._disposed) throw new Error(`LayerVariable '${this.name}' is already disposed`);
  }
  /**
   * The weight as a tf.Variable, for custom training loops: tf.variableGrads(f, [w.val]),
   * optimizer.minimize(f, true, model.trainableWeights). Updates to it reach the model.
   */
  get val() {
    this.assertNotDisposed();
    return this.layer._valVariable(this.index);
  }
  /** The weight's tensor: inside call() the traced placeholder, elsewhere a copy of its value. */
  read() {
    this.assertNotDisposed();
    if (this.layer._tracing) return this.layer._tracing[this.index];
    // Inside tf.grad / variableGrads / minimize: the variable itself, so gradients reach it.
    if (recording()) return this.val;
    return this._copy();
  }
  /** A copy of the weight's value. */
  _copy() {
    if (!this.layer._model) throw new Error(`${this.layer.className} '${this.layer.name}': weight '${this.name}' has no value until the layer is built`);
    const ws = this.layer.getWeights();
    ws.forEach((t, i) => { if (i !== this.index) t.dispose(); });
    return ws[this.index];
  }
  /** Sets the weight's value (same shape); the models holding the layer see it. */
  write(value) {
    this.assertNotDisposed();
    if (!(value instanceof Tensor)) throw new Error(`LayerVariable '${this.name}': write expects a Tensor, received ${value}`);
    if (JSON.stringify(value.shape) !== JSON.stringify(this.shape)) {
      throw new Error(`LayerVariable '${this.name}': write expects shape [${this.shape}], received [${value.shape}]`);
    }
    const ws = this.layer.getWeights();
    ws[this.index].dispose();
    ws[this.index] = value;
    try {
      this.layer.setWeights(ws);
    } finally {
      ws.forEach((t, i) => { if (i !== this.index) t.dispose(); });
    }
    return this;
  }
  /** Marks the variable disposed (its value lives in the models that hold the layer). */
  dispose() {
    this.assertNotDisposed();
    this._disposed = true;
  }
}

let makeConstraintObject = (c) => c;
/** constraints.js hands over its class (it imports this module's dependencies). */
export function _registerConstraintClass(make) {
  makeConstraintObject = make;
  _registerOptionClasses({ constraint: make });
}

class WeightMembers {
  /**
   * A weight of a custom layer, asked for in build(): TF.js's addWeight(name, shape, dtype,
   * initializer, regularizer, trainable, constraint). Returns a variable whose read() gives the tensor.
   */
  addWeight(name, shape, dtype, initializer, regularizer, trainable = true, constraint = null) {
    if (!this._custom) throw new Error(`${this.className} '${this.name}': addWeight is for custom layers`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`${this.className} '${this.name}': addWeight '${name}': shape must be an array of positive integers, received ${JSON.stringify(shape)}`);
    }
    if (dtype !== undefined && dtype !== null && dtype !== 'float32') throw new Error(`${this.className} '${this.name}': addWeight '${name}': only float32 weights are supported, received ${dtype}`);
    const index = this._weightSpecs.length;
    this._weightSpecs.push({ name, shape, initializer: serializable(initializer) ?? 'glorotUniform', regularizer: serializable(regularizer) ?? null, trainable: trainable !== false, constraint: canonicalConstraint(constraint) ?? null });
    return new LayerVariable(this, index, `${this.name}/${name}`, shape, trainable !== false);
  }

  countParams() {
    if (!this.built) throw new Error(`${this.className} '${this.name}': countParams() needs the layer built: apply it to an input or add it to a model first`);
    return (this._weightInfo ?? []).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** The layer's weights as TF.js's LayerVariables, in the engine's (and TF.js's) order. */
  _variables() {
    const info = this._weightInfo ?? [];
    if (!this._vars || this._vars.length !== info.length) {
      this._vars = info.map((w, i) => {
        const v = new LayerVariable(this, i, w.name, w.shape, !w.state);
        v._state = !!w.state;
        return v;
      });
    }
    return this._vars;
  }

  /**
   * The tf.Variable standing for weight `i` in custom training loops (LayerVariable.val): made
   * on first use from the weight's value, refreshed when the model's weights changed since (fit,
   * setWeights), and written back into the model by optimizer updates and assign().
   */
  _valVariable(i) {
    if (!this._model) throw new Error(`${this.className} '${this.name}': the layer's weights do not exist until it is built`);
    this._vals ??= [];
    let v = this._vals[i];
    if (!v || v.isDisposed) {
      const w = this._variables()[i];
      const value = w._copy();
      try {
        v = variable(value, w.trainable, uniqueVariableName(w.name));
      } finally {
        value.dispose();
      }
      v._bound = { layer: this, index: i };
      v._syncedVersion = this._version;
      this._vals[i] = v;
    } else if (v._syncedVersion !== this._version && !recording()) {
      const value = this._variables()[i]._copy();
      try {
        engine.variable_assign(v._live(), value._live());
      } finally {
        value.dispose();
      }
      v._syncedVersion = this._version;
    }
    return v;
  }

  /** Weight names and the variables that stand for them, for a model applied on tensors. */
  _boundWeights(names, handles) {
    for (const [i, v] of (this._vals ?? []).entries()) {
      if (!v || v.isDisposed) continue;
      this._valVariable(i);
      names.push(this._weightInfo[i].name);
      handles.push(v._live());
    }
  }

  /** The weights training changes: none when the layer is frozen. */
  get trainableWeights() {
    return this._trainable ? this._variables().filter((v) => v._trainable) : [];
  }

  /** The weights training leaves alone: moving statistics, or every weight of a frozen layer. */
  get nonTrainableWeights() {
    return this._trainable ? this._variables().filter((v) => !v._trainable) : this._variables().slice();
  }

  /** Trainable weights first, then the others, as TF.js lists them. */
  get weights() { return [...this.trainableWeights, ...this.nonTrainableWeights]; }

  /**
   * TF.js's layer.losses: functions giving a scalar each, the regularization penalty of each
   * regularized weight (from its value when called), then those added with addLoss. fit adds the
   * penalties inside the engine's step; a custom loop adds `calculateLosses()` itself.
   */
  get losses() {
    const out = [];
    const cfg = this._custom ? null : canonicalLayerConfig(this);
    for (const v of this._variables()) {
      const r = this._custom ? this._weightSpecs?.[v.index]?.regularizer : cfg[`${weightProp(v.name)}Regularizer`];
      if (!r) continue;
      const { l1 = 0, l2 = 0 } = r.config ?? {};
      out.push(() => tidy(() => {
        const w = v.read();
        return add(mul(l1, sum(abs(w))), mul(l2, sum(square(w))));
      }));
    }
    return out.concat(this._addedLosses ?? []);
  }

  /** The values of `losses` now (TF.js's calculateLosses): one scalar each. */
  calculateLosses() { return this.losses.map((f) => f()); }

  /**
   * Adds loss functions (each `() => Scalar`, or a list) to the layer's `losses`, as TF.js's
   * addLoss does: fit adds them to the training loss (recorded once on the weights), a custom
   * loop sums them with `calculateLosses()`.
   */
  addLoss(losses) {
    if (losses == null || (Array.isArray(losses) && losses.length === 0)) return;
    const list = Array.isArray(losses) ? losses : [losses];
    list.forEach((f, i) => {
      if (typeof f !== 'function') throw new Error(`${this.className} '${this.name}': addLoss expects functions returning a scalar (TF.js's RegularizerFn), received ${f instanceof Tensor ? 'a Tensor' : String(f)}${list.length > 1 ? ` at ${i}` : ''}`);
    });
    (this._addedLosses ??= []).push(...list);
  }

  /** Copies of this layer's weights. */
  getWeights() {
    if (!this._model) return [];
    const [model, index] = this._home();
    return Array.from(engine.model_layer_weights(model._id, index)).map(wrap);
  }

  setWeights(tensors) {
    if (!this._model) throw new Error(`${this.className} '${this.name}': setWeights before the layer is added to a model`);
    if (!Array.isArray(tensors) || tensors.length !== this._weightCount) {
      throw new Error(`${this.className} '${this.name}': setWeights expects ${this._weightCount} tensors, received ${Array.isArray(tensors) ? tensors.length : tensors}`);
    }
    const [model, index] = this._home();
    engine.model_set_layer_weights(model._id, index, Uint32Array.from(tensors.map((t) => t.id)));
    model._claim([this]);
  }
}

for (const key of Object.getOwnPropertyNames(WeightMembers.prototype)) {
  if (key === 'constructor') continue;
  Object.defineProperty(Layer.prototype, key, { ...Object.getOwnPropertyDescriptor(WeightMembers.prototype, key), enumerable: false });
}
// A subclass may assign what these compute, as TF.js's fields allow.
_overridable(Layer.prototype, ['trainableWeights', 'nonTrainableWeights', 'weights', 'losses']);

/** Writes updated variables of model weights back into their layers (grouped per layer). */
function writeBack(vars) {
  const byLayer = new Map();
  for (const v of vars) {
    const { layer, index } = v._bound;
    if (!byLayer.has(layer)) byLayer.set(layer, []);
    byLayer.get(layer).push([index, v]);
  }
  for (const [layer, list] of byLayer) {
    if (!layer._model || layer._disposed) continue;
    const before = layer._version;
    const ws = layer.getWeights();
    const given = new Set();
    for (const [i, v] of list) {
      ws[i].dispose();
      ws[i] = v;
      given.add(i);
    }
    try {
      layer.setWeights(ws);
    } finally {
      ws.forEach((t, i) => { if (!given.has(i)) t.dispose(); });
    }
    // The layer's other variables were in step before, and are still.
    for (const v of layer._vals ?? []) if (v && (given.has(v._bound.index) || v._syncedVersion === before)) v._syncedVersion = layer._version;
  }
}
/**
 * Variables a custom loop on the GPU updated: their values are still being computed there, so
 * the models take them when they are next used (any engine call on their weights), not after
 * every step, which would wait for the GPU.
 */
const deferred = new Set();
function deferWriteBack(vars) { for (const v of vars) deferred.add(v); }
function flushWriteBacks() {
  if (!deferred.size) return;
  const vars = [...deferred].filter((v) => !v.isDisposed);
  deferred.clear();
  writeBack(vars);
}
/** Waits for the GPU's values of the deferred variables, then writes them (fit calls this). */
export async function settleWriteBacks() {
  if (!deferred.size) return;
  await Promise.all([...deferred].filter((v) => !v.isDisposed).map((v) => v.data()));
  flushWriteBacks();
}
_onModelUse(flushWriteBacks);
_registerModelHooks({ writeBack, deferWriteBack });

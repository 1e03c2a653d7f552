// Custom training loops, as in TF.js: tf.variable, gradients of JS functions (tf.grad, tf.grads,
// tf.valueAndGrad(s), tf.variableGrads) and optimizer.minimize / applyGradients.
//
// A function is differentiated by running it once with the tensors it is differentiated by
// watched: the engine computes every op as usual (so reading values inside it works) and records
// them, then plans the recording plus its backward pass and runs it on the CPU. Optimizer updates
// reuse the engine's optimizers (the same update rule as fit), with their state kept in the
// engine per optimizer and per variable. On WebGPU, minimize and variableGrads record f without
// computing it and the engine runs the step there, applyGradients with gradients it left there
// too (src/engine/gpu_loop/); a function that reads a value is recorded again with values and
// stepped on the CPU.
import { engine } from './engine.js';
import { Tensor, tensor, tidy, wrap } from './tensor.js';
import { Optimizer } from './train.js';

/** Live variables by name (names are unique, as in TF.js). */
const registry = new Map();

/** Whether a function is being differentiated now (model.apply then records its ops). */
let recordingDepth = 0;
export function recording() { return recordingDepth > 0; }

// Models register how to make their weights' variables (LayerVariable.val) and how to write
// updated variables back into their weights (models.js, layers.js).
const hooks = { materialize: () => {}, writeBack: () => {}, deferWriteBack: () => {} };
export function _registerModelHooks(h) { Object.assign(hooks, h); }

/** The live variables by name (TF.js's engine().registeredVariables). */
export function registeredVariables() { return Object.fromEntries(registry); }

/** Disposes every live variable (TF.js's tf.disposeVariables). */
export function disposeVariables() { for (const v of [...registry.values()]) v.dispose(); }

/** A variable name not in use: `name`, else name_1, name_2, ... */
export function uniqueVariableName(name) {
  if (!registry.has(name)) return name;
  let k = 1;
  while (registry.has(`${name}_${k}`)) k++;
  return `${name}_${k}`;
}
let nextName = 0;
let nextKey = 1;

const sameShape = (a, b) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A tensor whose value can change (assign); tidy() never frees it, dispose() does. */
export class Variable extends Tensor {
  constructor(id, trainable, name) {
    super(id);
    this._kept = true;
    this.trainable = trainable;
    this.name = name;
    // The variable's identity for optimizer state (a name can be reused after dispose).
    this._key = nextKey++;
  }

  /** Replaces the value; the shape and dtype must stay as they are. */
  assign(newValue) {
    const v = newValue instanceof Tensor ? newValue : tensor(newValue);
    try {
      if (v.dtype !== this.dtype) throw new Error(`assign: variable '${this.name}' has dtype ${this.dtype}, the new value has dtype ${v.dtype}`);
      if (!sameShape(v.shape, this.shape)) {
        throw new Error(`assign: variable '${this.name}' has shape [${this.shape}], the new value has shape [${v.shape}]; a variable keeps its shape`);
      }
      engine.variable_assign(this._live(), v._live());
      if (this._bound) hooks.writeBack([this]);
    } finally {
      if (v !== newValue) v.dispose();
    }
  }

  dispose() {
    if (registry.get(this.name) === this) registry.delete(this.name);
    super.dispose();
  }
}

/**
 * tf.variable(initialValue, trainable = true, name?, dtype?): a Variable holding a copy of
 * `initialValue` (cast to `dtype` when given).
 */
export function variable(initialValue, trainable = true, name, dtype) {
  if (name !== undefined && name !== null) {
    if (typeof name !== 'string' || name === '') throw new Error(`variable: name must be a non-empty string, received ${String(name)}`);
    if (registry.has(name)) throw new Error(`variable: a variable named '${name}' already exists (dispose it first, or choose another name)`);
  } else {
    do name = String(nextName++); while (registry.has(name));
  }
  const src = initialValue instanceof Tensor ? initialValue : tensor(initialValue);
  const cast = dtype !== undefined && dtype !== null && dtype !== src.dtype ? src.cast(dtype) : src;
  try {
    const v = new Variable(engine.variable_new(cast._live()), trainable !== false, name);
    registry.set(name, v);
    return v;
  } finally {
    if (cast !== src) cast.dispose();
    if (src !== initialValue) src.dispose();
  }
}

Tensor.prototype.variable = function (trainable = true, name, dtype) { return variable(this, trainable, name, dtype); };

function describe(v) {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? `an object (${v.constructor?.name ?? 'Object'})` : `${typeof v} ${String(v)}`;
}

function checkFn(name, f) {
  if (typeof f !== 'function') throw new Error(`${name}: f must be a function, received ${describe(f)}`);
}

/** Tensors for `xs` (numbers and arrays converted); `temps` collects the conversions to free. */
function asTensors(name, xs, temps) {
  return xs.map((x, i) => {
    if (x instanceof Tensor) return x;
    if (x === null || x === undefined) throw new Error(`${name}: argument ${i} is ${x}; expected a tensor`);
    const t = tensor(x);
    temps.push(t);
    return t;
  });
}

/**
 * Runs `f(...args)` with `watch` watched and returns {value, grads} (a gradient is null where the
 * result is not computed from that tensor). `all`: every gradient must exist; `scalar`: f must
 * return a scalar.
 */
function differentiate(name, f, args, watch, dy, { all, scalar }) {
  const ids = Uint32Array.from(watch.map((t) => t._live()));
  if (dy !== undefined && dy !== null && !(dy instanceof Tensor)) throw new Error(`${name}: dy must be a tensor, received ${describe(dy)}`);
  const dyId = dy ? dy._live() : undefined;
  engine.grad_begin(name, ids, false);
  let y;
  let out;
  try {
    recordingDepth++;
    try {
      y = tidy(() => f(...args));
    } finally {
      recordingDepth--;
    }
    if (!(y instanceof Tensor)) throw new Error(`${name}: f must return a tensor, received ${describe(y)}`);
    out = engine.grad_end(name, ids, y._live(), dyId, scalar, all);
  } catch (e) {
    engine.grad_abort();
    throw e;
  } finally {
    // A result recorded inside f went with the recording; one f did not make stays.
    if (y instanceof Tensor && !y.isDisposed && !engine.tensor_exists(y.id)) y.dispose();
  }
  const [value, ...grads] = Array.from(out, (id) => (id === 0 ? null : wrap(id)));
  return { value, grads };
}

/** One-argument forms: (x, dy?) with x a tensor or something tf.tensor accepts. */
function one(name, f, x, dy) {
  checkFn(name, f);
  const temps = [];
  try {
    const [t] = asTensors(name, [x], temps);
    return differentiate(name, f, [t], [t], dy, { all: true, scalar: false });
  } finally {
    temps.forEach((t) => t.dispose());
  }
}

function many(name, f, args, dy) {
  checkFn(name, f);
  if (!Array.isArray(args)) throw new Error(`${name}: args must be an array of tensors, received ${describe(args)}`);
  const temps = [];
  try {
    const ts = asTensors(name, args, temps);
    return differentiate(name, f, ts, ts, dy, { all: true, scalar: false });
  } finally {
    temps.forEach((t) => t.dispose());
  }
}

/**
 * tf.grad(f): (x, dy?) => df/dx. Without dy a non-scalar result is summed (its gradient seeded
 * with ones, as in TF.js); with dy, the gradient of sum(f(x) · dy).
 */
export function grad(f) {
  checkFn('grad', f);
  return (x, dy) => {
    const { value, grads } = one('grad', f, x, dy);
    value.dispose();
    return grads[0];
  };
}

/** tf.grads(f): (args[], dy?) => the gradient with respect to each argument. */
export function grads(f) {
  checkFn('grads', f);
  return (args, dy) => {
    const r = many('grads', f, args, dy);
    r.value.dispose();
    return r.grads;
  };
}

/** tf.valueAndGrad(f): (x, dy?) => {value: f(x), grad}. */
export function valueAndGrad(f) {
  checkFn('valueAndGrad', f);
  return (x, dy) => {
    const r = one('valueAndGrad', f, x, dy);
    return { value: r.value, grad: r.grads[0] };
  };
}

/** tf.valueAndGrads(f): (args[], dy?) => {value: f(...args), grads}. */
export function valueAndGrads(f) {
  checkFn('valueAndGrads', f);
  return (args, dy) => many('valueAndGrads', f, args, dy);
}

/** The trainable variables of varList (default: every trainable variable), checked. */
function trainableOf(name, varList) {
  // A model's weights (model.trainableWeights, LayerVariables) stand for their variables.
  if (Array.isArray(varList)) varList = varList.map((v) => (v && !(v instanceof Variable) && v.val instanceof Variable ? v.val : v));
  if (varList !== undefined && varList !== null && (!Array.isArray(varList) || !varList.every((v) => v instanceof Variable))) {
    throw new Error(`${name}: varList must be an array of tf.variable()s or a model's weights, received ${describe(varList)}`);
  }
  // Without a list, every trainable variable counts: the live models' weights among them.
  if (!varList) hooks.materialize();
  const given = varList ?? [...registry.values()];
  const trainable = given.filter((v) => v.trainable);
  if (trainable.length === 0) {
    throw new Error(`${name}: expected at least one trainable variable, but none of the ${given.length} variables is trainable`);
  }
  return { varList, trainable };
}

function variableGradsAs(name, f, vars) {
  checkFn(name, f);
  const { varList, trainable } = trainableOf(name, vars);
  // On WebGPU the value and gradients are computed there and stay there (applyGradients then
  // updates the variables there too).
  const onGpu = engine.loop_on_gpu()
    ? recordOnGpu(name, f, trainable, (ids, keys, y) => engine.grads_end(name, ids, keys, y))
    : undefined;
  const { value, grads } = onGpu
    ? (([v, ...gs]) => ({ value: wrap(v), grads: gs.map((id) => (id === 0 ? null : wrap(id))) }))(Array.from(onGpu))
    : differentiate(name, f, [], trainable, undefined, { all: false, scalar: true });
  const named = {};
  trainable.forEach((v, i) => { if (grads[i] !== null) named[v.name] = grads[i]; });
  // Non-trainable variables named explicitly get a null gradient (TF.js does the same).
  if (varList) for (const v of varList) if (!v.trainable) named[v.name] = null;
  return { value, grads: named };
}

/**
 * tf.variableGrads(f, varList?): {value: f(), grads: {[name]: gradient}} with respect to the
 * trainable variables in varList (default: every trainable variable). f takes no arguments and
 * returns a scalar; variables it does not use are left out of grads.
 */
export function variableGrads(f, varList) {
  return variableGradsAs('variableGrads', f, varList);
}

/** Pairs of [Variable, gradient] from {name: grad} or [{name, tensor}]; null gradients skipped. */
function gradientPairs(name, variableGradients) {
  let entries;
  if (Array.isArray(variableGradients)) {
    entries = variableGradients.map((e, i) => {
      if (!e || typeof e !== 'object' || typeof e.name !== 'string') throw new Error(`${name}: entry ${i} must be {name, tensor}, received ${describe(e)}`);
      return [e.name, e.tensor];
    });
  } else if (variableGradients && typeof variableGradients === 'object') {
    entries = Object.entries(variableGradients);
  } else {
    throw new Error(`${name}: expected {variableName: gradient} or [{name, tensor}], received ${describe(variableGradients)}`);
  }
  const pairs = [];
  for (const [vname, g] of entries) {
    if (g === null || g === undefined) continue;
    const v = registry.get(vname);
    if (!v) throw new Error(`${name}: there is no variable named '${vname}' (gradients are matched to live tf.variable()s by name)`);
    if (!(g instanceof Tensor)) throw new Error(`${name}: the gradient for variable '${vname}' must be a tensor, received ${describe(g)}`);
    if (!sameShape(g.shape, v.shape)) throw new Error(`${name}: the gradient for variable '${vname}' has shape [${g.shape}], the variable has shape [${v.shape}]`);
    pairs.push([v, g]);
  }
  return pairs;
}

/** Applies one update of this optimizer to the named variables (fit's update rule). */
Optimizer.prototype.applyGradients = function (variableGradients) {
  const pairs = gradientPairs('applyGradients', variableGradients);
  if (pairs.length === 0) return;
  engine.optimizer_apply(
    JSON.stringify(this.toJSON()),
    Float64Array.from(pairs.map(([v]) => v._key)),
    Uint32Array.from(pairs.map(([v]) => v._live())),
    Uint32Array.from(pairs.map(([, g]) => g._live())),
  );
  // Variables of model weights: the models see the update (fit and predict use it); an update
  // made on the GPU reaches them when they are next used.
  const bound = pairs.map(([v]) => v).filter((v) => v._bound);
  const onGpu = bound.some((v) => engine.tensor_waits_on_gpu(v.id));
  if (bound.length) (onGpu ? hooks.deferWriteBack : hooks.writeBack)(bound);
};

/** variableGrads(f, varList) without applying them. */
Optimizer.prototype.computeGradients = function (f, varList) {
  return variableGradsAs('computeGradients', f, varList);
};

/**
 * One step minimizing f() (a scalar) over varList (default: every trainable variable). Returns
 * the cost before the step when returnCost, else null.
 */
Optimizer.prototype.minimize = function (f, returnCost = false, varList) {
  if (engine.loop_on_gpu()) {
    const ran = minimizeOnGpu(this, f, returnCost, varList);
    if (ran !== undefined) return ran;
  }
  const { value, grads } = variableGradsAs('minimize', f, varList);
  try {
    const pairs = Object.entries(grads).filter(([, g]) => g !== null);
    this.applyGradients(Object.fromEntries(pairs));
  } catch (e) {
    value.dispose();
    throw e;
  } finally {
    for (const g of Object.values(grads)) g?.dispose();
  }
  if (returnCost) return value;
  value.dispose();
  return null;
};

/**
 * On WebGPU, runs f recorded without computing anything and hands the recording to `end(ids,
 * keys, y)`, which runs the step on the GPU (planned once for a recording, replayed after).
 * Returns undefined when f cannot be recorded so (it reads a value): the caller then records it
 * with values, on the CPU.
 */
function recordOnGpu(name, f, trainable, end) {
  const ids = Uint32Array.from(trainable.map((v) => v._live()));
  engine.grad_begin(name, ids, true);
  let y;
  try {
    recordingDepth++;
    try {
      y = tidy(() => f());
    } catch (e) {
      engine.grad_abort();
      return undefined;
    } finally {
      recordingDepth--;
    }
    if (!(y instanceof Tensor)) {
      engine.grad_abort();
      throw new Error(`${name}: f must return a tensor, received ${describe(y)}`);
    }
    return end(ids, Float64Array.from(trainable.map((v) => v._key)), y._live());
  } finally {
    if (y instanceof Tensor && !y.isDisposed && !engine.tensor_exists(y.id)) y.dispose();
  }
}

/** minimize on WebGPU (see recordOnGpu); undefined when f must run on the CPU. */
function minimizeOnGpu(opt, f, returnCost, varList) {
  checkFn('minimize', f);
  const { trainable } = trainableOf('minimize', varList);
  const cost = recordOnGpu('minimize', f, trainable, (ids, keys, y) => engine.minimize_end('minimize', ids, keys, y, JSON.stringify(opt.toJSON()), returnCost));
  if (cost === undefined) return undefined;
  const bound = trainable.filter((v) => v._bound);
  if (bound.length) hooks.deferWriteBack(bound);
  return returnCost ? wrap(cost) : null;
}

/** Steps taken by minimize/applyGradients (fit counts its own). */
Object.defineProperty(Optimizer.prototype, 'iterations', {
  get() { return engine.optimizer_iterations(this._id); },
  configurable: true,
});

/**
 * tf.customGrad(f): a function whose gradient is the user's own. f(...inputs, save) returns
 * {value, gradFunc}; gradFunc(dy, saved) returns the gradient for each input (one tensor when
 * there is one input). Inside a recording (tf.grad, minimize, ...) gradFunc is recorded on a
 * placeholder for dy and the engine copies it onto the real dy in the backward pass; outside,
 * only the value is computed.
 */
export function customGrad(f) {
  checkFn('customGrad', f);
  return (...inputs) => {
    inputs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new Error(`customGrad: the arguments of customGrad(f)(x1, x2, ...) must all be tensors; argument ${i} is ${describe(x)}`);
    });
    const saved = [];
    const save = (ts) => {
      if (!Array.isArray(ts) || !ts.every((t) => t instanceof Tensor)) throw new Error(`customGrad: save() takes an array of tensors, received ${describe(ts)}`);
      saved.push(...ts);
    };
    const run = () => {
      const r = f(...inputs, save);
      if (!r || !(r.value instanceof Tensor)) throw new Error(`customGrad: f must return an object {value, gradFunc} whose value is a tensor, received ${describe(r?.value ?? r)}`);
      if (typeof r.gradFunc !== 'function') throw new Error(`customGrad: f must return an object {value, gradFunc} whose gradFunc is a function, received ${describe(r.gradFunc)}`);
      return r;
    };
    if (!recording()) return tidy(() => run().value);
    return tidy(() => {
      const { value, gradFunc } = run();
      const dy = wrap(engine.custom_grad_dy(Uint32Array.from(value.shape)));
      let gs = gradFunc(dy, saved);
      if (gs instanceof Tensor) gs = [gs];
      if (!Array.isArray(gs) || gs.length !== inputs.length || !gs.every((g) => g instanceof Tensor)) {
        throw new Error(`customGrad: gradFunc must return ${inputs.length === 1 ? 'a tensor' : `an array of ${inputs.length} tensors`} (one gradient per input), received ${describe(gs)}`);
      }
      return wrap(engine.custom_grad_end(value._live(), Uint32Array.from(inputs.map((x) => x._live())), dy._live(), Uint32Array.from(gs.map((g) => g._live()))));
    });
  };
}

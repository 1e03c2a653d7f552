// Optimizers, as tf.train.* builds them. They are descriptions: the update itself runs fused in
// the engine over every parameter. Options follow TF.js's positional signatures.
import { engine } from './engine.js';

function checkRate(name, lr) {
  if (lr instanceof LearningRateSchedule) return;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new Error(`${name}: learningRate must be a non-negative number or a tf.train.schedules.* schedule, received ${lr}`);
  }
}

/** A learning rate that changes with the step (Keras 3's schedules), usable wherever a rate is. */
export class LearningRateSchedule {
  constructor(className, config) {
    this.className = className;
    this.config = config;
  }
  getClassName() { return this.className; }
  getConfig() { return { ...this.config }; }
  toJSON() { return { className: this.className, config: this.config }; }
}

const schedule = (className, required) => (config = {}) => {
  for (const k of required) {
    if (config[k] === undefined) throw new Error(`${className}: the option ${k} is required`);
  }
  const s = new LearningRateSchedule(className, { ...config });
  engine.schedule_validate(JSON.stringify(s.toJSON())); // bad values throw where they are written
  return s;
};

export const schedules = {
  /** initialLearningRate · decayRate^(step / decaySteps), floored with staircase. */
  exponentialDecay: schedule('ExponentialDecay', ['initialLearningRate', 'decaySteps', 'decayRate']),
  /** Cosine decay to alpha · peak over decaySteps, after an optional warmup to warmupTarget. */
  cosineDecay: schedule('CosineDecay', ['initialLearningRate', 'decaySteps']),
  /** values[i] while step <= boundaries[i]; the last value after. */
  piecewiseConstantDecay: schedule('PiecewiseConstantDecay', ['boundaries', 'values']),
};

/** Trailing options of every tf.train.* factory: gradient clipping as in Keras. */
function clipping(name, extra) {
  if (extra === undefined || extra === null) return {};
  if (typeof extra !== 'object' || Array.isArray(extra)) throw new Error(`${name}: the last argument must be an options object like {clipnorm: 1}, received ${extra}`);
  const out = {};
  for (const k of Object.keys(extra)) {
    if (!['clipnorm', 'clipvalue', 'globalClipnorm'].includes(k)) throw new Error(`${name}: unknown option ${k}; expected clipnorm, clipvalue or globalClipnorm`);
    out[k] = extra[k];
  }
  return out;
}

let nextOptimizerId = 1;

export class Optimizer {
  constructor(className, config) {
    this.className = className;
    this.config = config;
    this._models = new Set();
    // Recompiling with this same object keeps its state (moments, step count), as in TF.js.
    this._id = nextOptimizerId++;
  }
  getClassName() { return this.className; }
  getConfig() { return { ...this.config }; }
  get learningRate() { return this.config.learningRate; }
  set learningRate(v) {
    checkRate(this.className, v);
    if (v instanceof LearningRateSchedule) throw new Error(`${this.className}: a schedule can be given when the optimizer is made, not set later`);
    this.config.learningRate = v;
    for (const m of this._models) m._setLearningRate(v);
  }
  /** TF.js's SGD/Momentum setLearningRate. */
  setLearningRate(learningRate) { this.learningRate = learningRate; }
  toJSON() { return { className: this.className, config: this.config, id: this._id }; }
  /** Frees the state minimize/applyGradients kept (a model compiled with it keeps its own). */
  dispose() { engine.optimizer_drop(this._id); }
}

// The hyperparameters TF.js's optimizer classes expose as members (read from the config).
for (const key of ['momentum', 'useNesterov', 'beta1', 'beta2', 'epsilon', 'rho', 'decay', 'centered', 'initialAccumulatorValue', 'weightDecay']) {
  Object.defineProperty(Optimizer.prototype, key, {
    get() { return this.config[key]; },
    configurable: true,
  });
}
/** TF.js's Momentum setMomentum. */
Optimizer.prototype.setMomentum = function setMomentum(momentum) {
  if (this.className !== 'Momentum') throw new Error(`${this.className}: setMomentum is for tf.train.momentum optimizers`);
  if (typeof momentum !== 'number' || !Number.isFinite(momentum)) throw new Error(`Momentum: momentum must be a number, received ${momentum}`);
  this.config.momentum = momentum;
  // A compiled model gets the new value at its next compile, as TF.js reads it at the next step.
  for (const m of this._models) m._traceKey = null;
};

const def = (v, d) => (v === undefined || v === null ? d : v);

// TF.js's optimizer classes: `new tf.AdamOptimizer(lr, beta1, beta2)` or tf.train.adam(...)
// (Hebb's trailing `options` adds clipnorm/clipvalue, as Keras's optimizers have).
export class SGDOptimizer extends Optimizer {
  constructor(learningRate, options) {
    checkRate('sgd', learningRate);
    super('SGD', { learningRate, ...clipping('sgd', options) });
  }
}
export class MomentumOptimizer extends Optimizer {
  constructor(learningRate, momentum, useNesterov = false, options) {
    checkRate('momentum', learningRate);
    if (typeof momentum !== 'number') throw new Error(`momentum: the momentum argument is required, received ${momentum}`);
    super('Momentum', { learningRate, momentum, useNesterov, ...clipping('momentum', options) });
  }
}
export class AdamOptimizer extends Optimizer {
  constructor(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon, options) {
    checkRate('adam', learningRate);
    super('Adam', { learningRate, beta1, beta2, epsilon: def(epsilon, 1e-7), ...clipping('adam', options) });
  }
}
/** Keras 3's AdamW (TF.js has none): decoupled weight decay, then Adam. */
export class AdamWOptimizer extends Optimizer {
  constructor(learningRate = 0.001, weightDecay = 0.004, beta1 = 0.9, beta2 = 0.999, epsilon, options) {
    checkRate('adamw', learningRate);
    super('AdamW', { learningRate, weightDecay, beta1, beta2, epsilon: def(epsilon, 1e-7), ...clipping('adamw', options) });
  }
}
export class AdamaxOptimizer extends Optimizer {
  constructor(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon, decay = 0, options) {
    checkRate('adamax', learningRate);
    super('Adamax', { learningRate, beta1, beta2, epsilon: def(epsilon, 1e-7), decay, ...clipping('adamax', options) });
  }
}
export class AdadeltaOptimizer extends Optimizer {
  constructor(learningRate = 0.001, rho = 0.95, epsilon, options) {
    checkRate('adadelta', learningRate);
    super('Adadelta', { learningRate, rho, epsilon: def(epsilon, 1e-7), ...clipping('adadelta', options) });
  }
}
export class RMSPropOptimizer extends Optimizer {
  constructor(learningRate, decay = 0.9, momentum = 0, epsilon, centered = false, options) {
    checkRate('rmsprop', learningRate);
    super('RMSProp', { learningRate, decay, momentum, epsilon: def(epsilon, 1e-7), centered, ...clipping('rmsprop', options) });
  }
}
export class AdagradOptimizer extends Optimizer {
  constructor(learningRate, initialAccumulatorValue = 0.1, options) {
    checkRate('adagrad', learningRate);
    super('Adagrad', { learningRate, initialAccumulatorValue, ...clipping('adagrad', options) });
  }
}

const CLASSES = {
  SGD: SGDOptimizer, Momentum: MomentumOptimizer, Adam: AdamOptimizer, AdamW: AdamWOptimizer, Adamax: AdamaxOptimizer,
  Adadelta: AdadeltaOptimizer, RMSProp: RMSPropOptimizer, Adagrad: AdagradOptimizer,
};
/** An optimizer of class `className` with `config` as it is (a saved training config). */
export function optimizerFromConfig(className, config) {
  const o = new Optimizer(className, config);
  Object.setPrototypeOf(o, (CLASSES[className] ?? Optimizer).prototype);
  return o;
}
for (const [className, Cls] of Object.entries(CLASSES)) {
  Object.defineProperty(Cls, 'className', { value: className });
  Cls.fromConfig = (cls, config) => optimizerFromConfig(className, { ...config });
}

export const train = {
  sgd: (learningRate, options) => new SGDOptimizer(learningRate, options),
  momentum: (learningRate, momentum, useNesterov, options) => new MomentumOptimizer(learningRate, momentum, useNesterov, options),
  adam: (learningRate, beta1, beta2, epsilon, options) => new AdamOptimizer(learningRate, beta1, beta2, epsilon, options),
  adamw: (learningRate, weightDecay, beta1, beta2, epsilon, options) => new AdamWOptimizer(learningRate, weightDecay, beta1, beta2, epsilon, options),
  adamax: (learningRate, beta1, beta2, epsilon, decay, options) => new AdamaxOptimizer(learningRate, beta1, beta2, epsilon, decay, options),
  adadelta: (learningRate, rho, epsilon, options) => new AdadeltaOptimizer(learningRate, rho, epsilon, options),
  rmsprop: (learningRate, decay, momentum, epsilon, centered, options) => new RMSPropOptimizer(learningRate, decay, momentum, epsilon, centered, options),
  adagrad: (learningRate, initialAccumulatorValue, options) => new AdagradOptimizer(learningRate, initialAccumulatorValue, options),
  schedules,
};

const BY_NAME = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW', adamax: 'Adamax', adadelta: 'Adadelta', rmsprop: 'RMSProp', adagrad: 'Adagrad', momentum: 'Momentum' };

/** Resolves compile's optimizer argument: a name (TF.js defaults) or an Optimizer. */
export function resolveOptimizer(o) {
  if (o instanceof Optimizer) return o;
  if (typeof o === 'string') {
    const cls = BY_NAME[o.toLowerCase()];
    if (!cls) throw new Error(`compile: unknown optimizer '${o}'; expected one of ${Object.keys(BY_NAME).join(', ')} or a tf.train.* optimizer`);
    const lr = { SGD: 0.01, Adagrad: 0.01, Adamax: 0.002 }[cls] ?? 0.001;
    return cls === 'Momentum' ? new MomentumOptimizer(lr, 0.9) : new CLASSES[cls](lr);
  }
  throw new Error(`compile: optimizer must be a name like 'adam' or a tf.train.* optimizer, received ${o}`);
}

// Optimizers, as tf.train.* builds them. They are descriptions: the update itself runs fused in
// the engine over every parameter. Options follow TF.js's positional signatures.

function checkRate(name, lr) {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new Error(`${name}: learningRate must be a non-negative number, received ${lr}`);
  }
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
    this.config.learningRate = v;
    for (const m of this._models) m._setLearningRate(v);
  }
  toJSON() { return { className: this.className, config: this.config, id: this._id }; }
  dispose() {}
}

const def = (v, d) => (v === undefined || v === null ? d : v);

export const train = {
  /** @param {number} learningRate */
  sgd(learningRate) {
    checkRate('sgd', learningRate);
    return new Optimizer('SGD', { learningRate });
  },
  momentum(learningRate, momentum, useNesterov = false) {
    checkRate('momentum', learningRate);
    if (typeof momentum !== 'number') throw new Error(`momentum: the momentum argument is required, received ${momentum}`);
    return new Optimizer('Momentum', { learningRate, momentum, useNesterov });
  },
  adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon) {
    checkRate('adam', learningRate);
    return new Optimizer('Adam', { learningRate, beta1, beta2, epsilon: def(epsilon, 1e-7) });
  },
  adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon, decay = 0) {
    checkRate('adamax', learningRate);
    return new Optimizer('Adamax', { learningRate, beta1, beta2, epsilon: def(epsilon, 1e-7), decay });
  },
  rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon, centered = false) {
    checkRate('rmsprop', learningRate);
    return new Optimizer('RMSProp', { learningRate, decay, momentum, epsilon: def(epsilon, 1e-7), centered });
  },
  adagrad(learningRate, initialAccumulatorValue = 0.1) {
    checkRate('adagrad', learningRate);
    return new Optimizer('Adagrad', { learningRate, initialAccumulatorValue });
  },
};

const BY_NAME = { sgd: 'SGD', adam: 'Adam', adamax: 'Adamax', rmsprop: 'RMSProp', adagrad: 'Adagrad', momentum: 'Momentum' };

/** Resolves compile's optimizer argument: a name (TF.js defaults) or an Optimizer. */
export function resolveOptimizer(o) {
  if (o instanceof Optimizer) return o;
  if (typeof o === 'string') {
    const cls = BY_NAME[o.toLowerCase()];
    if (!cls) throw new Error(`compile: unknown optimizer '${o}'; expected one of ${Object.keys(BY_NAME).join(', ')} or a tf.train.* optimizer`);
    const lr = { SGD: 0.01, Adagrad: 0.01, Adamax: 0.002 }[cls] ?? 0.001;
    return new Optimizer(cls, cls === 'Momentum' ? { learningRate: lr, momentum: 0.9 } : { learningRate: lr });
  }
  throw new Error(`compile: optimizer must be a name like 'adam' or a tf.train.* optimizer, received ${o}`);
}

// tf.initializers and tf.regularizers: {className, config} descriptions a layer's options take
// (the engine builds the weights and adds the penalties).
import { _registerOptionClasses } from './layer_props.js';

/** Initializers, as tf.initializers.* builds them: {className, config} descriptions. */
export class Initializer {
  constructor(className, config = {}) { this.className = className; this.config = config; }
  getClassName() { return this.className; }
  getConfig() { return { ...this.config }; }
  toJSON() { return { className: this.className, config: this.config }; }
}
const init = (className) => (config) => new Initializer(className, config ?? {});
export const initializers = {
  zeros: init('Zeros'),
  ones: init('Ones'),
  constant: init('Constant'),
  randomUniform: init('RandomUniform'),
  randomNormal: init('RandomNormal'),
  truncatedNormal: init('TruncatedNormal'),
  glorotUniform: init('GlorotUniform'),
  glorotNormal: init('GlorotNormal'),
  heUniform: init('HeUniform'),
  heNormal: init('HeNormal'),
  leCunUniform: init('LeCunUniform'),
  leCunNormal: init('LeCunNormal'),
  varianceScaling: init('VarianceScaling'),
  orthogonal: init('Orthogonal'),
  /** The identity matrix times `gain` (default 1), for square 2-D weights. */
  identity: init('Identity'),
};


/** Regularizers, as tf.regularizers.* builds them: a penalty added to the loss. */
export class Regularizer {
  constructor(l1, l2) { this.className = 'L1L2'; this.config = { l1, l2 }; }
  getClassName() { return this.className; }
  getConfig() { return { ...this.config }; }
  toJSON() { return { className: this.className, config: this.config }; }
}
export const regularizers = {
  l1: (config = {}) => new Regularizer(config.l1 ?? 0.01, 0),
  l2: (config = {}) => new Regularizer(0, config.l2 ?? 0.01),
  l1l2: (config = {}) => new Regularizer(config.l1 ?? 0.01, config.l2 ?? 0.01),
};

_registerOptionClasses({
  initializer: (className, config) => new Initializer(className, config ?? {}),
  regularizer: (config) => new Regularizer(config.l1 ?? 0, config.l2 ?? 0),
});

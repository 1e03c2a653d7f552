// Weight constraints, as tf.constraints.* builds them: {className, config} descriptions that a
// layer option takes (kernelConstraint, biasConstraint, ...). The engine projects each
// constrained weight right after every optimizer update, on the CPU and on WebGPU, as Keras 3
// does (TF.js 4.22 declares the same constraints but its fit never applies them). Names and
// configs are made canonical by keras_json.js (which stays free of the engine).
import { tidy } from './tensor.js';
import { add, clipByValue, div, mul, relu, sqrt, square, sum } from './ops.js';
import { constraintConfig } from './keras_json.js';
import { _registerConstraintClass } from './layer_weights.js';

/** Keras 3's backend epsilon, and TF.js's on float32 backends. */
const EPSILON = 1e-7;

export class Constraint {
  /**
   * @param {'MaxNorm'|'MinMaxNorm'|'NonNeg'|'UnitNorm'} className
   * @param {object} config the class's options; missing ones take TF.js's defaults
   */
  constructor(className, config = {}) {
    this.className = className;
    this.config = constraintConfig(className, config ?? {});
  }
  getClassName() { return this.className; }
  getConfig() { return { ...this.config }; }
  toJSON() { return { className: this.className, config: this.getConfig() }; }
  /** The projection of `w` (a new tensor), as the engine applies it after an update. */
  apply(w) {
    const c = this.config;
    return tidy(() => {
      if (this.className === 'NonNeg') return relu(w);
      const norms = sqrt(sum(square(w), c.axis, true));
      const denom = add(norms, EPSILON);
      if (this.className === 'UnitNorm') return div(w, denom);
      let desired = clipByValue(norms, this.className === 'MaxNorm' ? 0 : c.minValue, c.maxValue);
      if (this.className === 'MinMaxNorm' && c.rate !== 1) desired = add(mul(desired, c.rate), mul(norms, 1 - c.rate));
      return mul(w, div(desired, denom));
    });
  }
}

export const constraints = {
  /** Each slice's L2 norm (over `axis`, default 0) scaled down to at most maxValue (default 2). */
  maxNorm: (args = {}) => new Constraint('MaxNorm', args),
  /** Each slice's L2 norm moved into [minValue, maxValue] (defaults 0 and 1) at `rate` (default 1). */
  minMaxNorm: (args = {}) => new Constraint('MinMaxNorm', args),
  /** Negative weights set to zero. */
  nonNeg: () => new Constraint('NonNeg'),
  /** Each slice (over `axis`, default 0) scaled to an L2 norm of 1. */
  unitNorm: (args = {}) => new Constraint('UnitNorm', args),
};

// Layers report their constraint options (layer.kernelConstraint, weight.constraint) as these objects.
_registerConstraintClass((c) => (c instanceof Constraint ? c : new Constraint(c.className, c.config)));

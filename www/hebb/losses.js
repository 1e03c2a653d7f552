// tf.losses (TF.js core: a scalar, the mean over every element) and tf.metrics (TF.js Layers:
// one value per sample). Both run as engine ops, so they work eagerly and inside traced custom
// losses and metrics.
import { engine } from './engine.js';
import { Tensor, onesLike, tidy, wrap } from './tensor.js';
import * as ops from './ops.js';

function pair(name, a, b) {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new Error(`${name}: expected two tensors (yTrue, yPred)`);
  return Uint32Array.from([a._live(), b._live()]);
}
const lossOp = (kind, name) => (yTrue, yPred) => wrap(engine.op(kind, pair(name, yTrue, yPred), JSON.stringify({ name })));
const metricOp = (name) => (yTrue, yPred) => wrap(engine.op('metric', pair(name, yTrue, yPred), JSON.stringify({ name })));

/** TF.js's default reduction: the weighted sum over the number of non-zero weights. */
function weighted(per, weights) {
  if (weights === undefined || weights === null) return ops.mean(per);
  return tidy(() => {
    const w = ops.mul(onesLike(per), weights);
    const nonzero = ops.sum(ops.cast(ops.notEqual(w, 0), 'float32'));
    return ops.divNoNan(ops.sum(ops.mul(per, w)), nonzero);
  });
}

export const losses = {
  meanSquaredError: (labels, predictions, weights) => {
    const d = ops.squaredDifference(labels, predictions);
    try { return weighted(d, weights); } finally { d.dispose(); }
  },
  absoluteDifference: (labels, predictions, weights) => tidy(() => weighted(ops.abs(ops.sub(labels, predictions)), weights)),
  huberLoss: (labels, predictions, weights, delta = 1) => tidy(() => {
    const a = ops.abs(ops.sub(predictions, labels));
    const q = ops.minimum(a, delta);
    const per = ops.add(ops.mul(0.5, ops.square(q)), ops.mul(delta, ops.sub(a, q)));
    return weighted(per, weights);
  }),
  logLoss: (labels, predictions, weights, epsilon = 1e-7) => tidy(() => {
    const one = ops.sub(1, labels);
    const per = ops.neg(ops.add(ops.mul(labels, ops.log(ops.add(predictions, epsilon))), ops.mul(one, ops.log(ops.add(ops.sub(1, predictions), epsilon)))));
    return weighted(per, weights);
  }),
  hingeLoss: (labels, predictions, weights) => tidy(() => {
    const y = ops.sub(ops.mul(2, labels), 1);
    return weighted(ops.relu(ops.sub(1, ops.mul(y, predictions))), weights);
  }),
  sigmoidCrossEntropy: (labels, logits, weights) => tidy(() => {
    // max(x, 0) - x z + log(1 + e^-|x|)
    const per = ops.add(ops.sub(ops.relu(logits), ops.mul(logits, labels)), ops.log1p(ops.exp(ops.neg(ops.abs(logits)))));
    return weighted(per, weights);
  }),
  softmaxCrossEntropy: (onehotLabels, logits, weights) => tidy(() => {
    const per = ops.neg(ops.sum(ops.mul(onehotLabels, ops.logSoftmax(logits)), -1));
    return weighted(per, weights);
  }),
  cosineDistance: (labels, predictions, axis = -1, weights) => tidy(() => weighted(ops.sub(1, ops.sum(ops.mul(labels, predictions), axis)), weights)),
};

/** TF.js's Reduction: how computeWeightedLoss reduces the weighted losses. */
export const Reduction = { NONE: 0, MEAN: 1, SUM: 2, SUM_BY_NONZERO_WEIGHTS: 3 };

/**
 * TF.js's tf.losses.computeWeightedLoss(losses, weights?, reduction?): the losses times the
 * weights (broadcast), reduced by `reduction` (default: the sum over the non-zero weights' count).
 */
losses.computeWeightedLoss = (perElement, weights, reduction = Reduction.SUM_BY_NONZERO_WEIGHTS) => {
  if (!(perElement instanceof Tensor)) throw new Error(`computeWeightedLoss: losses must be a Tensor, received ${perElement}`);
  if (!Object.values(Reduction).includes(reduction)) throw new Error(`computeWeightedLoss: unknown reduction ${reduction}; expected one of tf.Reduction's values (0-3)`);
  return tidy(() => {
    const w = weights === undefined || weights === null ? null : ops.mul(onesLike(perElement), weights);
    const weightedLosses = w ? ops.mul(perElement, w) : perElement.clone();
    if (reduction === Reduction.NONE) return weightedLosses;
    const total = ops.sum(weightedLosses);
    if (reduction === Reduction.SUM) return total;
    if (reduction === Reduction.MEAN) return w ? ops.divNoNan(total, ops.sum(w)) : ops.div(total, perElement.size);
    return w ? ops.divNoNan(total, ops.sum(ops.cast(ops.notEqual(w, 0), 'float32'))) : ops.div(total, perElement.size);
  });
};

export const metrics = {
  binaryAccuracy: metricOp('binaryAccuracy'),
  categoricalAccuracy: metricOp('categoricalAccuracy'),
  sparseCategoricalAccuracy: metricOp('sparseCategoricalAccuracy'),
  binaryCrossentropy: lossOp('lossPerSample', 'binaryCrossentropy'),
  categoricalCrossentropy: lossOp('lossPerSample', 'categoricalCrossentropy'),
  sparseCategoricalCrossentropy: lossOp('lossPerSample', 'sparseCategoricalCrossentropy'),
  meanSquaredError: lossOp('lossPerSample', 'meanSquaredError'),
  meanAbsoluteError: lossOp('lossPerSample', 'meanAbsoluteError'),
  meanAbsolutePercentageError: lossOp('lossPerSample', 'meanAbsolutePercentageError'),
  topKCategoricalAccuracy: metricOp('topKCategoricalAccuracy'),
  sparseTopKCategoricalAccuracy: metricOp('sparseTopKCategoricalAccuracy'),
  precision: metricOp('precision'),
  recall: metricOp('recall'),
  cosineProximity: lossOp('lossPerSample', 'cosineProximity'),
  kullbackLeiblerDivergence: lossOp('lossPerSample', 'kullbackLeiblerDivergence'),
  categoricalHinge: lossOp('lossPerSample', 'categoricalHinge'),
  poisson: lossOp('lossPerSample', 'poisson'),
};
/** TF.js's r2Score: 1 - (residual sum of squares) / (total sum of squares about yTrue's mean). */
metrics.r2Score = (yTrue, yPred) => tidy(() => {
  const residual = ops.sum(ops.square(ops.sub(yTrue, yPred)));
  const total = ops.sum(ops.square(ops.sub(yTrue, ops.mean(yTrue))));
  return ops.sub(1, ops.div(residual, total));
});
metrics.MSE = metrics.mse = metrics.meanSquaredError;
metrics.MAE = metrics.mae = metrics.meanAbsoluteError;
metrics.MAPE = metrics.mape = metrics.meanAbsolutePercentageError;

/**
 * Keras 3's loss classes, for the options TF.js's compile cannot take:
 * `model.compile({loss: new tf.losses.CategoricalCrossentropy({fromLogits: true, labelSmoothing: 0.1})})`.
 */
export class LossSpec {
  constructor(className, config = {}) {
    if (config === null || typeof config !== 'object') throw new Error(`${className}: expected an options object, received ${config}`);
    this.className = className;
    this.config = { ...config };
    engine.loss_validate(JSON.stringify(this.toJSON()));
  }
  getClassName() { return this.className; }
  getConfig() { return { ...this.config }; }
  toJSON() { return { className: this.className, config: this.config }; }
}
for (const cls of ['BinaryCrossentropy', 'CategoricalCrossentropy', 'SparseCategoricalCrossentropy', 'Huber', 'CategoricalHinge', 'KLDivergence', 'CosineSimilarity', 'Poisson', 'MeanSquaredError', 'MeanAbsoluteError', 'LogCosh', 'Hinge', 'SquaredHinge']) {
  losses[cls] = class extends LossSpec {
    constructor(config) { super(cls, config); }
  };
}

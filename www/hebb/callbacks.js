// Callbacks with TF.js semantics: plain objects of hooks, arrays of them, or Callback instances
// such as tf.callbacks.earlyStopping(). Hooks may be async; fit awaits them.

export class Callback {
  constructor() { this.model = null; this.params = {}; }
  setModel(model) { this.model = model; }
  setParams(params) { this.params = params; }
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onYield'];

/** Normalises fit's `callbacks` option into a list of objects with hook methods. */
export function toCallbackList(cbs) {
  if (cbs === undefined || cbs === null) return [];
  const list = Array.isArray(cbs) ? cbs : [cbs];
  for (const c of list) {
    if (c === null || typeof c !== 'object') throw new Error(`fit: callbacks must be objects with hooks like onEpochEnd, received ${c}`);
    const known = HOOKS.some((h) => typeof c[h] === 'function');
    if (!known && !(c instanceof Callback)) {
      throw new Error(`fit: a callback object has none of the hooks ${HOOKS.join(', ')} (keys: ${Object.keys(c).join(', ') || 'none'})`);
    }
  }
  return list;
}

export async function fire(list, hook, ...args) {
  for (const c of list) {
    if (typeof c[hook] === 'function') await c[hook](...args);
  }
}

export class EarlyStopping extends Callback {
  constructor(args = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.patience = args.patience ?? 0;
    this.verbose = args.verbose ?? 0;
    this.baseline = args.baseline;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    const mode = args.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) throw new Error(`earlyStopping: mode must be 'auto', 'min' or 'max', received '${mode}'`);
    this.higherIsBetter = mode === 'max' || (mode === 'auto' && /acc/.test(this.monitor));
  }
  _better(a, b) { return this.higherIsBetter ? a - this.minDelta > b : a + this.minDelta < b; }
  async onTrainBegin() {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.baseline ?? (this.higherIsBetter ? -Infinity : Infinity);
    this._dropBest();
  }
  async onEpochEnd(epoch, logs) {
    const v = logs?.[this.monitor];
    if (v === undefined) {
      console.warn(`earlyStopping: metric '${this.monitor}' is not in the logs (available: ${Object.keys(logs ?? {}).join(', ')})`);
      return;
    }
    if (this._better(v, this.best)) {
      this.best = v;
      this.wait = 0;
      if (this.restoreBestWeights) {
        this._dropBest();
        this.bestWeights = this.model.getWeights();
      }
    } else {
      this.wait += 1;
      if (this.wait >= this.patience) {
        this.stoppedEpoch = epoch;
        this.model.stopTraining = true;
        if (this.restoreBestWeights && this.bestWeights) this.model.setWeights(this.bestWeights);
      }
    }
  }
  async onTrainEnd() { this._dropBest(); }
  _dropBest() {
    if (this.bestWeights) this.bestWeights.forEach((t) => t.dispose());
    this.bestWeights = null;
  }
}

export const callbacks = {
  earlyStopping: (args) => new EarlyStopping(args),
};

// Callbacks with TF.js semantics: plain objects of hooks, arrays of them, or Callback instances
// such as tf.callbacks.earlyStopping(). Hooks may be async; fit awaits them.
import { IndexedDBHandler, MANAGERS } from './io_storage.js';

export class Callback {
  constructor() { this.model = null; this.params = {}; }
  setModel(model) { this.model = model; }
  setParams(params) { this.params = params; }
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onYield'];

/** TF.js's tf.CustomCallback: a Callback whose hooks are the functions in `args`. */
export class CustomCallback extends Callback {
  constructor(args = {}) {
    super();
    if (args === null || typeof args !== 'object') throw new Error(`CustomCallback: expected an object of hooks like {onEpochEnd}, received ${args}`);
    for (const h of HOOKS) if (typeof args[h] === 'function') this[h] = args[h];
    if (args.yieldEvery !== undefined) this.yieldEvery = args.yieldEvery;
  }
}

/** TF.js's tf.CallbackList: several callbacks called as one. */
export class CallbackList {
  constructor(callbacks = [], queueLength = 10) {
    this.callbacks = [...callbacks];
    this.queueLength = queueLength;
  }
  append(callback) { this.callbacks.push(callback); }
  setParams(params) { for (const c of this.callbacks) c.setParams?.(params); }
  setModel(model) { for (const c of this.callbacks) c.setModel?.(model); }
}
for (const h of HOOKS) {
  CallbackList.prototype[h] = async function (...args) { await fire(this.callbacks, h, ...args); };
}

/** Callback classes fit adds by itself, by the least `verbose` that adds them (TF.js's registry). */
const registered = new Map();
/** tf.registerCallbackConstructor(verbosityLevel, callbackConstructor). */
export function registerCallbackConstructor(verbosityLevel, callbackConstructor) {
  if (!Number.isInteger(verbosityLevel) || verbosityLevel < 0) throw new Error(`registerCallbackConstructor: verbosityLevel must be a non-negative integer, received ${verbosityLevel}`);
  if (typeof callbackConstructor !== 'function') throw new Error(`registerCallbackConstructor: expected a callback class, received ${callbackConstructor}`);
  if (!registered.has(verbosityLevel)) registered.set(verbosityLevel, []);
  registered.get(verbosityLevel).push(callbackConstructor);
}

/**
 * Normalises fit's `callbacks` option into a list of objects with hook methods, after new
 * instances of the registered callback classes whose level is at most `verbose` (TF.js's
 * default verbosity, 1, when not given).
 */
export function toCallbackList(cbs, verbose = 1) {
  const made = [...registered].filter(([level]) => level <= (verbose ?? 1)).flatMap(([, ctors]) => ctors.map((C) => new C()));
  if (cbs === undefined || cbs === null) return made;
  const list = cbs instanceof CallbackList ? cbs.callbacks : (Array.isArray(cbs) ? cbs : [cbs]);
  for (const c of list) {
    if (c === null || typeof c !== 'object') throw new Error(`fit: callbacks must be objects with hooks like onEpochEnd, received ${c}`);
    const known = HOOKS.some((h) => typeof c[h] === 'function');
    if (!known && !(c instanceof Callback)) {
      throw new Error(`fit: a callback object has none of the hooks ${HOOKS.join(', ')} (keys: ${Object.keys(c).join(', ') || 'none'})`);
    }
  }
  return [...made, ...list];
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

function optimizerOf(cb, name) {
  const opt = cb.model?.optimizer;
  if (!opt) throw new Error(`${name}: the model must be compiled with an optimizer`);
  if (typeof opt.learningRate !== 'number') {
    throw new Error(`${name}: the optimizer's learning rate is a ${opt.learningRate?.className ?? 'schedule'} schedule; use a plain rate with this callback (as in Keras)`);
  }
  return opt;
}

/** Keras's ReduceLROnPlateau: multiplies the learning rate by `factor` when `monitor` has not
 *  improved by `minDelta` for `patience` epochs, then waits `cooldown` epochs. */
export class ReduceLROnPlateau extends Callback {
  constructor(args = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = args.factor ?? 0.1;
    if (!(this.factor < 1 && this.factor >= 0)) throw new Error(`reduceLROnPlateau: factor must be in [0, 1), received ${this.factor}`);
    this.patience = args.patience ?? 10;
    this.minDelta = Math.abs(args.minDelta ?? 1e-4);
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
    const mode = args.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) throw new Error(`reduceLROnPlateau: mode must be 'auto', 'min' or 'max', received '${mode}'`);
    this.higherIsBetter = mode === 'max' || (mode === 'auto' && /acc/.test(this.monitor));
  }
  async onTrainBegin() {
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.higherIsBetter ? -Infinity : Infinity;
  }
  async onEpochEnd(epoch, logs) {
    const v = logs?.[this.monitor];
    if (v === undefined) {
      console.warn(`reduceLROnPlateau: metric '${this.monitor}' is not in the logs (available: ${Object.keys(logs ?? {}).join(', ')})`);
      return;
    }
    const opt = optimizerOf(this, 'reduceLROnPlateau');
    if (logs) logs.lr = opt.learningRate;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    const better = this.higherIsBetter ? v > this.best + this.minDelta : v < this.best - this.minDelta;
    if (better) {
      this.best = v;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = opt.learningRate;
        if (old > this.minLr) {
          opt.learningRate = Math.max(old * this.factor, this.minLr);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

/** Keras's LearningRateScheduler: `schedule(epoch, lr)` gives each epoch's learning rate. */
export class LearningRateScheduler extends Callback {
  constructor(schedule) {
    super();
    if (typeof schedule !== 'function') throw new Error(`learningRateScheduler: expected a function (epoch, lr) => number, received ${schedule}`);
    this.schedule = schedule;
  }
  async onEpochBegin(epoch) {
    const opt = optimizerOf(this, 'learningRateScheduler');
    const lr = await this.schedule(epoch, opt.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`learningRateScheduler: the schedule returned ${lr} for epoch ${epoch}; expected a non-negative number`);
    }
    opt.learningRate = lr;
  }
}

/**
 * Saves the model after each epoch (to IndexedDB with 'indexeddb://name', or any URL or handler
 * model.save takes), as Keras's ModelCheckpoint: with `saveBestOnly`, only when the monitored
 * value improved. `{epoch}` in the path is replaced by the epoch number (from 1).
 */
export class ModelCheckpoint extends Callback {
  constructor(args = {}) {
    super();
    if (!args || (typeof args.filepath !== 'string' && typeof args.filepath?.save !== 'function')) {
      throw new Error(`modelCheckpoint: filepath is required, e.g. 'indexeddb://my-model', received ${args?.filepath}`);
    }
    this.filepath = args.filepath;
    this.monitor = args.monitor ?? 'val_loss';
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.mode = args.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(this.mode)) throw new Error(`modelCheckpoint: mode must be 'auto', 'min' or 'max', received ${this.mode}`);
    this.saveFreq = args.saveFreq ?? 'epoch';
    if (this.saveFreq !== 'epoch' && !(Number.isInteger(this.saveFreq) && this.saveFreq > 0)) {
      throw new Error(`modelCheckpoint: saveFreq must be 'epoch' or a positive number of batches, received ${this.saveFreq}`);
    }
    this.best = undefined;
    this.saved = [];
    this._batches = 0;
    this._epoch = 0;
    // Only a batch-based frequency watches batches (watching them costs fit some speed).
    if (this.saveFreq !== 'epoch') {
      this.onBatchEnd = async (batch, logs) => {
        if (++this._batches % this.saveFreq === 0) await this._save(this._epoch, logs);
      };
    }
  }
  _better(v) {
    const max = this.mode === 'max' || (this.mode === 'auto' && /acc|auc|precision|recall/.test(this.monitor));
    return this.best === undefined || (max ? v > this.best : v < this.best);
  }
  async _save(epoch, logs) {
    if (this.saveBestOnly) {
      const v = logs?.[this.monitor];
      if (v === undefined) {
        console.warn(`Hebb: modelCheckpoint monitors '${this.monitor}', which the logs do not have (${Object.keys(logs ?? {}).join(', ')}); saving every time.`);
      } else if (!this._better(v)) {
        return;
      } else {
        this.best = v;
      }
    }
    const path = typeof this.filepath === 'string' ? this.filepath.replace('{epoch}', String(epoch + 1)) : this.filepath;
    await this.model.save(path);
    this.saved.push({ epoch, path: typeof path === 'string' ? path : '(handler)' });
  }
  async onEpochEnd(epoch, logs) {
    if (this.saveFreq === 'epoch') await this._save(epoch, logs);
  }
  onEpochBegin(epoch) { this._epoch = epoch; }
}

/** Keras's TerminateOnNaN: stops training at the first batch whose loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  onBatchEnd(batch, logs) {
    const loss = logs?.loss;
    if (typeof loss === 'number' && !Number.isFinite(loss)) {
      console.warn(`Batch ${batch}: Invalid loss, terminating training`);
      if (this.model) this.model.stopTraining = true;
    }
  }
}

/** Where checkpoints live by default: IndexedDB, as `indexeddb://<backupDir>`. */
const indexedDBStore = {
  async load(dir) {
    if (typeof globalThis.indexedDB === 'undefined') throw new Error(`backupAndRestore(${dir}): IndexedDB is not available here, so nothing can be backed up`);
    try {
      return await new IndexedDBHandler(dir).load();
    } catch (e) {
      if (/Cannot find model/.test(e.message)) return null;
      throw e;
    }
  },
  save: (dir, artifacts) => new IndexedDBHandler(dir).save(artifacts),
  async remove(dir) {
    try {
      await MANAGERS.indexeddb.removeModel(dir);
    } catch { /* nothing was saved (a fit shorter than saveFreq) */ }
  },
};

/**
 * Keras's BackupAndRestore: checkpoints the model's weights, its optimizer's state and the epoch
 * reached to IndexedDB while fit runs, so that after a reload (or a crash) the same fit call
 * with the same callback resumes at the epoch it reached, with the same optimizer moments.
 *
 *   tf.callbacks.backupAndRestore({backupDir: 'my-run'})     // every epoch
 *   tf.callbacks.backupAndRestore({backupDir: 'my-run', saveFreq: 100})   // every 100 batches
 *   tf.callbacks.backupAndRestore({backupDir: 'my-run', saveEverySeconds: 30})
 *
 * `backupDir` names the checkpoint (stored as `indexeddb://<backupDir>`, listed by
 * tf.io.listModels). A checkpoint written at the end of epoch e resumes at epoch e + 1; one
 * written mid-epoch (saveFreq in batches, or saveEverySeconds) resumes at the start of the epoch
 * it was written in, as Keras's does. When fit ends (its epochs done, or stopped by a callback)
 * the checkpoint is deleted, unless deleteCheckpoint is false; a fit cut short by a reload or a
 * crash leaves it for the next run.
 */
export class BackupAndRestore extends Callback {
  constructor(args = {}) {
    super();
    const where = 'backupAndRestore';
    if (!args || typeof args !== 'object') throw new Error(`${where}: expected {backupDir, saveFreq?, saveEverySeconds?, deleteCheckpoint?}, received ${args}`);
    let dir = args.backupDir ?? args.backup_dir;
    if (typeof dir !== 'string' || !dir.replace(/^indexeddb:\/\//, '')) {
      throw new Error(`${where}: backupDir must be a non-empty name for the checkpoint in IndexedDB, e.g. 'my-run', received ${dir}`);
    }
    dir = dir.replace(/^indexeddb:\/\//, '');
    this.backupDir = dir;
    this.url = `indexeddb://${dir}`;
    this.saveFreq = args.saveFreq ?? args.save_freq ?? 'epoch';
    if (this.saveFreq !== 'epoch' && this.saveFreq !== false && !(Number.isInteger(this.saveFreq) && this.saveFreq > 0)) {
      throw new Error(`${where}: saveFreq must be 'epoch', false or a positive number of batches, received ${this.saveFreq}`);
    }
    this.saveEverySeconds = args.saveEverySeconds ?? null;
    if (this.saveEverySeconds !== null && !(typeof this.saveEverySeconds === 'number' && this.saveEverySeconds > 0)) {
      throw new Error(`${where}: saveEverySeconds must be a positive number, received ${this.saveEverySeconds}`);
    }
    this.deleteCheckpoint = args.deleteCheckpoint ?? args.delete_checkpoint ?? true;
    this.restoredEpoch = null;
    // The epoch a checkpoint written now resumes at: the current one mid-epoch, the next one
    // after an epoch ended.
    this._resumeAt = 0;
    this._batches = 0;
    this._lastSave = 0;
    // Only a batch count watches batches (a batch hook makes fit report every batch, which costs
    // it speed); the clock is checked whenever fit yields to the page, and at epoch ends.
    if (Number.isInteger(this.saveFreq)) {
      this.onBatchEnd = async () => {
        this._batches += 1;
        if (this._batches % this.saveFreq === 0) await this._save();
      };
    }
    if (this.saveEverySeconds !== null) {
      this.onYield = async () => {
        if (this._due()) await this._save();
      };
    }
  }

  /**
   * Where checkpoints are kept: {load(dir) -> artifacts or null, save(dir, artifacts),
   * remove(dir)}. IndexedDB unless a page sets another (the playground's sandbox, which has no
   * storage of its own, keeps them in its parent page).
   */
  static get store() { return BackupAndRestore._store ?? indexedDBStore; }
  static set store(s) {
    if (s !== null && !(s && ['load', 'save', 'remove'].every((k) => typeof s[k] === 'function'))) {
      throw new Error('BackupAndRestore.store: expected {load, save, remove} functions, or null for IndexedDB');
    }
    BackupAndRestore._store = s;
  }

  /** The checkpoint under `backupDir` ({epoch, savedAt, ...}) or null: lets a page offer to resume. */
  static async pending(backupDir) {
    const dir = String(backupDir ?? '').replace(/^indexeddb:\/\//, '');
    if (!dir) return null;
    try {
      const a = await BackupAndRestore.store.load(dir);
      return a?.hebbBackup ? { ...a.hebbBackup } : null;
    } catch {
      return null;
    }
  }

  _due() {
    return this.saveEverySeconds !== null && performance.now() - this._lastSave >= this.saveEverySeconds * 1000;
  }

  /** Called by fit before it starts: restores a checkpoint, if any; returns the epoch to start at. */
  async _restoreBeforeFit(model) {
    this.restoredEpoch = null;
    this._resumeAt = 0;
    this._lastSave = performance.now();
    const artifacts = await BackupAndRestore.store.load(this.backupDir);
    if (artifacts == null) return null; // nothing saved yet: start afresh
    if (!artifacts.hebbBackup) throw new Error(`backupAndRestore: ${this.url} holds a model saved by model.save, not a checkpoint; pick another backupDir`);
    model._restoreBackup(artifacts, `backupAndRestore(${this.backupDir})`);
    this.restoredEpoch = artifacts.hebbBackup.epoch;
    return this.restoredEpoch;
  }

  /** Saves a checkpoint that resumes at `_resumeAt`. */
  async _save() {
    const artifacts = this.model._backupArtifacts({ epoch: this._resumeAt, savedAt: new Date().toISOString(), backupDir: this.backupDir });
    await BackupAndRestore.store.save(this.backupDir, artifacts);
    this._lastSave = performance.now();
  }

  onEpochBegin(epoch) { this._resumeAt = epoch; }

  async onEpochEnd(epoch) {
    this._resumeAt = epoch + 1;
    if (this.saveFreq === 'epoch' || this._due()) await this._save();
  }

  async onTrainEnd() {
    // As Keras: a fit that ended (ran out of epochs, or was stopped by a callback) has nothing
    // left to resume; only one cut short by a reload or a crash leaves its checkpoint.
    if (!this.deleteCheckpoint) return;
    await BackupAndRestore.store.remove(this.backupDir);
  }
}

/**
 * Before fit starts: lets each callback that restores a checkpoint (BackupAndRestore) put it
 * back into the model; the epoch fit starts at is the latest they resume at.
 */
export async function restoreFromBackup(model, cbs, initialEpoch) {
  let start = initialEpoch;
  for (const c of cbs) {
    if (typeof c?._restoreBeforeFit !== 'function') continue;
    const e = await c._restoreBeforeFit(model);
    if (Number.isInteger(e) && e > start) start = e;
  }
  return start;
}

export const callbacks = {
  backupAndRestore: (args) => new BackupAndRestore(args),
  terminateOnNaN: () => new TerminateOnNaN(),
  earlyStopping: (args) => new EarlyStopping(args),
  modelCheckpoint: (args) => new ModelCheckpoint(args),
  reduceLROnPlateau: (args) => new ReduceLROnPlateau(args),
  learningRateScheduler: (schedule) => new LearningRateScheduler(schedule),
};

// model.fitDataset and model.evaluateDataset with TF.js's semantics, built on the model's public
// trainOnBatch and evaluate. Each dataset element is one batch: {xs, ys} (or [xs, ys]). The
// element's tensors belong to us once pulled, so each is disposed after its step.
import { Tensor, scalar } from './tensor.js';
import { fire, toCallbackList, restoreFromBackup } from './callbacks.js';
import { History } from './models.js';
import { Dataset, describe, disposeElement, isPlainObject } from './data.js';

/** TF.js's yieldEvery 'auto': onYield at most every 125 ms. */
const AUTO_YIELD_MS = 125;

/** Models inside fitDataset: trainOnBatch clears isTraining between steps, so we track our own. */
const running = new WeakSet();

const isDataset = (d) => d instanceof Dataset || (d !== null && typeof d === 'object' && typeof d.iterator === 'function');

function checkDataset(op, dataset) {
  if (!isDataset(dataset)) throw new Error(`${op}: dataset must be a tf.data.Dataset (e.g. tf.data.zip({xs, ys}).batch(32)), received ${describe(dataset)}`);
}

function optionalPositiveInt(op, args, name) {
  const v = args[name];
  if (v !== undefined && v !== null && (!Number.isInteger(v) || v < 1)) throw new Error(`${op}: ${name} must be a positive integer, received ${describe(v)}`);
}

/** A one-input, one-output model takes a tensor, or [tensor] / {name: tensor} as TF.js allows. */
function oneTensor(op, name, v, index) {
  let t = v;
  if (Array.isArray(v) && v.length === 1) [t] = v;
  else if (isPlainObject(v) && Object.keys(v).length === 1) [t] = Object.values(v);
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${name} of batch ${index} must be a Tensor, received ${describe(v)}`);
  if (t.isDisposed) throw new Error(`${op}: ${name} of batch ${index} has been disposed`);
  return t;
}

/** {xs, ys} of one dataset element, checked. */
function batchOf(op, model, el, index) {
  let xs;
  let ys;
  if (Array.isArray(el) && el.length === 2) [xs, ys] = el;
  else if (isPlainObject(el) && 'xs' in el && 'ys' in el) ({ xs, ys } = el);
  else throw new Error(`${op}: each dataset element must be a batch {xs, ys} (or [xs, ys]) of tensors; batch ${index} is ${describe(el)}`);
  xs = oneTensor(op, 'xs', xs, index);
  ys = oneTensor(op, 'ys', ys, index);
  // The usual slip: a dataset of single examples, not batched.
  const want = model.inputs?.[0]?.shape;
  if (Array.isArray(want) && xs.rank === want.length - 1) {
    throw new Error(`${op}: xs of batch ${index} has shape [${xs.shape}], one example for a model that takes batches of shape [${want.map((d) => d ?? 'null')}]; batch the dataset first, e.g. dataset.batch(32)`);
  }
  return { xs, ys };
}

/** Reads the scalars model.evaluate returns, disposing them. */
function readScalars(out) {
  const list = Array.isArray(out) ? out : [out];
  const v = list.map((t) => t.dataSync()[0]);
  list.forEach((t) => t.dispose());
  return v;
}

/** Sample-weighted means of [loss, ...metrics] over the dataset's batches (all, or `batches`). */
async function evaluateValues(op, model, source, batches) {
  const own = typeof source?.next !== 'function';
  if (own) checkDataset(op, source);
  const it = own ? await source.iterator() : source;
  let sums = null;
  let seen = 0;
  let n = 0;
  let exhausted = false;
  try {
    while (batches === undefined || batches === null || n < batches) {
      const r = await it.next();
      if (r.done) {
        exhausted = true;
        break;
      }
      let size;
      let vals;
      try {
        const { xs, ys } = batchOf(op, model, r.value, n);
        size = xs.shape[0];
        vals = readScalars(model.evaluate(xs, ys, { batchSize: Math.max(1, size) }));
      } finally {
        disposeElement(r.value);
      }
      sums ??= vals.map(() => 0);
      vals.forEach((v, i) => { sums[i] += v * size; });
      seen += size;
      n++;
    }
  } finally {
    if (own && !exhausted && typeof it.return === 'function') await it.return();
  }
  if (n === 0 || seen === 0) throw new Error(`${op}: the dataset yielded no batches (expected elements {xs, ys}, already batched)`);
  if (batches && n < batches) console.warn(`${op}: the dataset ran out after ${n} of the ${batches} batches asked for; the result covers those ${n}`);
  return sums.map((s) => s / seen);
}

/**
 * TF.js's model.evaluateDataset: the loss and metrics averaged over the dataset's batches
 * (weighted by batch size), as scalars.
 * @param {object} model a compiled model
 * @param {Dataset|{next: Function}} dataset a dataset of {xs, ys} batches, or an iterator of them
 * @param {{batches?: number, verbose?: number}} [args]
 * @returns {Promise<Tensor|Tensor[]>}
 */
export async function evaluateDataset(model, dataset, args = {}) {
  if (args === null || typeof args !== 'object') throw new Error(`evaluateDataset: args must be an object like {batches: 10}, received ${describe(args)}`);
  optionalPositiveInt('evaluateDataset', args, 'batches');
  const vals = await evaluateValues('evaluateDataset', model, dataset, args.batches);
  const out = vals.map((v) => scalar(v));
  return out.length === 1 ? out[0] : out;
}

/** When onYield fires, per TF.js's yieldEvery. */
function yieldPolicy(y) {
  if (y === undefined || y === null || y === 'auto') return { ms: AUTO_YIELD_MS };
  if (y === 'batch' || y === 'epoch' || y === 'never') return { every: y };
  if (typeof y === 'number' && y >= 0) return { ms: y };
  throw new Error(`fitDataset: yieldEvery must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds, received ${describe(y)}`);
}

function checkFitArgs(model, dataset, args) {
  if (args === undefined || args === null || typeof args !== 'object') {
    throw new Error(`fitDataset: the args object with epochs is required, e.g. {epochs: 10}, received ${describe(args)}`);
  }
  checkDataset('fitDataset', dataset);
  if (!Number.isInteger(args.epochs) || args.epochs < 1) throw new Error(`fitDataset: epochs must be a positive integer, received ${describe(args.epochs)}`);
  const initialEpoch = args.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new Error(`fitDataset: initialEpoch must be a non-negative integer, received ${describe(args.initialEpoch)}`);
  for (const k of ['batchesPerEpoch', 'validationBatches', 'validationBatchSize']) optionalPositiveInt('fitDataset', args, k);
  if (args.classWeight !== undefined && args.classWeight !== null) {
    throw new Error('fitDataset: classWeight is not supported; use model.fit with classWeight, or weight the classes in the dataset');
  }
  const vd = args.validationData;
  if (vd !== undefined && vd !== null && !isDataset(vd)) {
    if (!Array.isArray(vd) || vd.length !== 2 || !(vd[0] instanceof Tensor) || !(vd[1] instanceof Tensor)) {
      const extra = Array.isArray(vd) && vd.length === 3 ? ' (sample weights are not supported)' : '';
      throw new Error(`fitDataset: validationData must be a Dataset of {xs, ys} batches or [xVal, yVal] tensors${extra}, received ${describe(vd)}`);
    }
  }
  if (model.isTraining || running.has(model)) throw new Error('fitDataset: cannot start training because another fit() call is ongoing');
  if (Array.isArray(model.metricsNames) && model.metricsNames.length === 0) {
    throw new Error('fitDataset: the model must be compiled before training: call model.compile({optimizer, loss})');
  }
  if (dataset.size === 0) throw new Error('fitDataset: the dataset is empty (size 0); expected batches {xs, ys}');
  return { initialEpoch, yieldAt: yieldPolicy(args.yieldEvery) };
}

/**
 * TF.js's model.fitDataset: trains on a dataset of {xs, ys} batches. Without batchesPerEpoch an
 * epoch is one full pass (the dataset is iterated afresh each epoch); with it, one iterator runs
 * across epochs, and training stops (with a warning) when it runs dry.
 * @param {object} model a compiled model with trainOnBatch, evaluate and metricsNames
 * @param {Dataset} dataset
 * @param {object} args {epochs, batchesPerEpoch?, initialEpoch?, validationData?, validationBatches?,
 *   validationBatchSize?, callbacks?, yieldEvery?, verbose?}
 * @returns {Promise<History>}
 */
export async function fitDataset(model, dataset, args) {
  const checked = checkFitArgs(model, dataset, args);
  const { yieldAt } = checked;
  const { epochs } = args;
  const perEpoch = args.batchesPerEpoch ?? null;
  const vd = args.validationData ?? null;
  const cbs = toCallbackList(args.callbacks, args.verbose);
  const initialEpoch = await restoreFromBackup(model, cbs, checked.initialEpoch);
  const history = new History();
  const list = [...cbs, history];
  const named = Array.isArray(model.metricsNames) && model.metricsNames.length ? model.metricsNames : null;
  let keys = named ?? ['loss'];
  const params = {
    epochs, initialEpoch, samples: null, steps: perEpoch ?? (Number.isFinite(dataset.size) ? dataset.size : null),
    batchSize: null, verbose: args.verbose ?? 0, doValidation: vd !== null,
    metrics: vd ? [...keys, ...keys.map((k) => `val_${k}`)] : [...keys],
  };
  for (const c of list) {
    if (typeof c.setModel === 'function') c.setModel(model);
    if (typeof c.setParams === 'function') c.setParams(params);
  }
  history.params = params;

  running.add(model);
  let it = null;
  let itDone = false;
  let lastLogs = {};
  let lastYield = performance.now();
  let total = 0; // batches trained, over all epochs
  // trainOnBatch clears model.stopTraining when it starts, so a request is latched here.
  let stop = false;
  const latch = () => { stop ||= model.stopTraining === true; };
  const maybeYield = async (epoch, batch, logs, point) => {
    if (yieldAt.every === 'never') return;
    if (yieldAt.every ? yieldAt.every === point : performance.now() - lastYield >= yieldAt.ms) {
      lastYield = performance.now();
      await fire(cbs, 'onYield', epoch, batch, logs);
      latch();
    }
  };
  const closeIterator = async () => {
    if (it && !itDone && typeof it.return === 'function') await it.return();
    it = null;
  };
  const nextElement = async () => {
    const r = await it.next();
    if (r.done) itDone = true;
    return r;
  };
  try {
    model.stopTraining = false;
    await fire(list, 'onTrainBegin', {});
    // As in fit: a stop requested in onTrainBegin does not count.
    model.stopTraining = false;
    for (let epoch = initialEpoch; epoch < epochs && !stop; epoch++) {
      // Pull the epoch's first batch before onEpochBegin, so an exhausted dataset ends training
      // without an epoch that has no batches.
      if (perEpoch === null || it === null) {
        await closeIterator();
        it = await dataset.iterator();
        itDone = false;
      }
      let r = await nextElement();
      if (r.done) {
        if (total === 0) throw new Error(`fitDataset: the dataset yielded no batches (expected elements {xs, ys}, already batched; its size is ${dataset.size})`);
        if (perEpoch === null) {
          throw new Error(`fitDataset: the dataset yielded no batches in epoch ${epoch}, after ${total} before; a dataset must yield its elements again each time it is iterated (does the generator function make a new iterator per call?)`);
        }
        console.warn(`fitDataset: batchesPerEpoch is ${perEpoch} but the dataset ran out after ${total} batches; stopping training at epoch ${epoch} of ${epochs}. Make sure the dataset yields at least batchesPerEpoch * epochs batches, e.g. with repeat().`);
        break;
      }
      await fire(list, 'onEpochBegin', epoch, {});
      latch();
      const sums = new Map();
      let seen = 0;
      let batch = 0;
      while (!r.done) {
        let size;
        let values;
        try {
          const { xs, ys } = batchOf('fitDataset', model, r.value, batch);
          size = xs.shape[0];
          await fire(list, 'onBatchBegin', batch, { batch, size });
          latch();
          const out = await model.trainOnBatch(xs, ys);
          values = Array.isArray(out) ? out : [out];
        } finally {
          disposeElement(r.value);
        }
        if (named === null) keys = values.map((_, i) => (i === 0 ? 'loss' : `metric${i}`));
        const logs = { batch, size };
        values.forEach((v, i) => {
          logs[keys[i]] = v;
          sums.set(keys[i], (sums.get(keys[i]) ?? 0) + v * size);
        });
        seen += size;
        batch++;
        total++;
        await fire(list, 'onBatchEnd', batch - 1, logs);
        latch();
        await maybeYield(epoch, batch - 1, logs, 'batch');
        if (stop || (perEpoch !== null && batch >= perEpoch)) break;
        r = await nextElement();
        if (r.done && perEpoch !== null) {
          console.warn(`fitDataset: batchesPerEpoch is ${perEpoch} but the dataset ran out after ${total} batches, in epoch ${epoch}; stopping training. Make sure the dataset yields at least batchesPerEpoch * epochs batches, e.g. with repeat().`);
          stop = true;
        }
      }
      // Epoch logs: averages over the epoch's batches weighted by batch size (TF.js's BaseLogger).
      const logs = {};
      for (const [k, s] of sums) logs[k] = s / seen;
      if (vd !== null) {
        const v = isDataset(vd)
          ? await evaluateValues('fitDataset (validationData)', model, vd, args.validationBatches)
          : readScalars(model.evaluate(vd[0], vd[1], { batchSize: args.validationBatchSize ?? 32 }));
        v.forEach((x, i) => { logs[`val_${keys[i]}`] = x; });
      }
      history.epoch.push(epoch);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      lastLogs = logs;
      await fire(cbs, 'onEpochEnd', epoch, { ...logs });
      latch();
      await maybeYield(epoch, batch - 1, logs, 'epoch');
    }
    await fire(list, 'onTrainEnd', lastLogs);
  } finally {
    running.delete(model);
    await closeIterator();
  }
  return history;
}

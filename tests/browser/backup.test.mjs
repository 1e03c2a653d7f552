// Issue 14: nothing lost on a reload. tf.callbacks.backupAndRestore checkpoints the weights, the
// optimizer's state and the epoch to IndexedDB; a fit cut short by a real page reload resumes,
// after the reload, at the epoch it reached, and ends where the uninterrupted run ends (exactly
// on the CPU; within float rounding on WebGPU, whose reductions may run in another order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, TRAIN_TIMEOUT } from './harness.mjs';

const b = useBrowser({ label: 'backup' });

// In the page: defines window.setup(backend) -> {model, x, y}, the same model, weights and data
// on every call (weights from a fixed formula, Adam, no dropout), and window.weights(model).
const SETUP = () => {
  window.setup = async (backend) => {
    await tf.setBackend(backend);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 12, activation: 'tanh', inputShape: [5], name: 'hidden' }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
      ],
    });
    model.setWeights(model.getWeights().map((w, k) => {
      const n = w.size;
      const v = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(1.3 * i + 7 * k + 1));
      return tf.tensor(v, w.shape);
    }));
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const xv = Float32Array.from({ length: 40 * 5 }, (_, i) => Math.cos(0.37 * i * i));
    const x = tf.tensor(xv, [40, 5]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 40 }, (_, i) => (i * 7) % 3), 'int32'), 3).toFloat();
    return { model, x, y };
  };
  window.weights = (model) => model.getWeights().map((w) => Array.from(w.dataSync()));
};

const EPOCHS = 8;
const CUT = 3; // the reload comes after the checkpoint of epoch index CUT (4 epochs done)

for (const backend of ['cpu', 'webgpu']) {
  test(`backupAndRestore: a fit interrupted by a page reload resumes at the epoch it reached (${backend})`, { timeout: TRAIN_TIMEOUT * 2 }, async () => {
    const page = await b.openHebb();
    await page.evaluate(SETUP);
    const dir = `backup-test-${backend}`;
    // The uninterrupted run.
    const full = await page.evaluate(async ([backend, epochs]) => {
      const { model, x, y } = await window.setup(backend);
      const h = await model.fit(x, y, { epochs, batchSize: 8, shuffle: false, verbose: 0 });
      const iters = (await model.optimizer.getWeights())[0].tensor.dataSync()[0];
      return { weights: window.weights(model), loss: h.history.loss, iters };
    }, [backend, EPOCHS]);

    // The interrupted run: after epoch CUT's checkpoint, fit hangs (as a tab does when the user
    // reloads it mid-run) and the page is reloaded.
    await page.evaluate(([backend, epochs, cut, dir]) => {
      window.cut = false;
      (async () => {
        const { model, x, y } = await window.setup(backend);
        await model.fit(x, y, {
          epochs, batchSize: 8, shuffle: false, verbose: 0,
          callbacks: [tf.callbacks.backupAndRestore({ backupDir: dir }), {
            onEpochEnd: async (epoch) => {
              if (epoch === cut) {
                window.cut = true;
                await new Promise(() => {}); // never returns: the reload ends it
              }
            },
          }],
        });
      })();
    }, [backend, EPOCHS, CUT, dir]);
    await page.waitForFunction(() => window.cut === true, null, { timeout: 60_000 });
    const pending = await page.evaluate((dir) => tf.BackupAndRestore.pending(dir), dir);
    assert.equal(pending.epoch, CUT + 1, 'the checkpoint resumes after the last finished epoch');

    await page.reload();
    await page.waitForFunction(() => window.hebbReady || window.hebbLoadError, null, { timeout: 60_000 });
    await page.evaluate(SETUP);
    const resumed = await page.evaluate(async ([backend, epochs, dir]) => {
      const { model, x, y } = await window.setup(backend);
      const before = await tf.BackupAndRestore.pending(dir);
      const cb = tf.callbacks.backupAndRestore({ backupDir: dir });
      const h = await model.fit(x, y, { epochs, batchSize: 8, shuffle: false, verbose: 0, callbacks: [cb] });
      return {
        before, restoredEpoch: cb.restoredEpoch, epochs: h.epoch, loss: h.history.loss,
        weights: window.weights(model), iters: (await model.optimizer.getWeights())[0].tensor.dataSync()[0],
        after: await tf.BackupAndRestore.pending(dir),
        listed: Object.keys(await tf.io.listModels()),
      };
    }, [backend, EPOCHS, dir]);

    assert.equal(resumed.before.epoch, CUT + 1, 'the checkpoint survived the reload');
    assert.equal(resumed.restoredEpoch, CUT + 1);
    assert.deepEqual(resumed.epochs, Array.from({ length: EPOCHS - CUT - 1 }, (_, i) => CUT + 1 + i), 'fit ran only the epochs left');
    assert.equal(resumed.iters, full.iters, 'the optimizer step count continues');
    assert.equal(resumed.after, null, 'the checkpoint is deleted when fit ends');
    assert.ok(!resumed.listed.includes(dir));
    // The last epochs' losses and the final weights are the uninterrupted run's.
    const tol = backend === 'cpu' ? 0 : 1e-4;
    resumed.loss.forEach((l, i) => {
      const want = full.loss[CUT + 1 + i];
      assert.ok(Math.abs(l - want) <= tol * Math.max(1, Math.abs(want)), `epoch ${CUT + 1 + i} loss ${l} vs uninterrupted ${want}`);
    });
    full.weights.forEach((w, k) => w.forEach((v, i) => {
      const got = resumed.weights[k][i];
      assert.ok(Math.abs(got - v) <= tol * Math.max(1, Math.abs(v)), `weight ${k}[${i}]: resumed ${got} vs uninterrupted ${v}`);
    }));
    await page.close();
  });
}

test('backupAndRestore: fitDataset resumes too; a checkpoint of another model is refused and changes nothing; bad options throw', { timeout: TRAIN_TIMEOUT }, async () => {
  const page = await b.openHebb();
  await page.evaluate(SETUP);
  const r = await page.evaluate(async () => {
    const out = {};
    const { model, x, y } = await window.setup('cpu');
    const ds = () => tf.data.zip({ xs: tf.data.array(tf.unstack(x)), ys: tf.data.array(tf.unstack(y)) }).batch(8);
    // A checkpoint every 2 batches of 5 per epoch; stopped in epoch 2 -> resumes at epoch 2.
    const cb = tf.callbacks.backupAndRestore({ backupDir: 'ds-run', saveFreq: 2, deleteCheckpoint: false });
    let epoch = 0;
    await model.fitDataset(ds(), { epochs: 4, callbacks: [cb, { onEpochBegin: (e) => { epoch = e; }, onBatchEnd: (b) => { if (b === 3 && epoch === 2) model.stopTraining = true; } }] });
    out.pending = await tf.BackupAndRestore.pending('ds-run');
    const again = await window.setup('cpu');
    const cb2 = tf.callbacks.backupAndRestore({ backupDir: 'ds-run' });
    const h = await again.model.fitDataset(ds(), { epochs: 4, callbacks: [cb2] });
    out.resumedEpochs = h.epoch;
    out.restored = cb2.restoredEpoch;
    // A checkpoint of a different model: an Error naming the callback, the weights untouched.
    const other = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [5], name: 'hidden' })] });
    other.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await other.fit(tf.ones([4, 5]), tf.ones([4, 2]), { epochs: 1, callbacks: [tf.callbacks.backupAndRestore({ backupDir: 'other', deleteCheckpoint: false })] });
    const fresh = await window.setup('cpu');
    const w0 = window.weights(fresh.model);
    try {
      await fresh.model.fit(fresh.x, fresh.y, { epochs: 1, callbacks: [tf.callbacks.backupAndRestore({ backupDir: 'other' })] });
      out.mismatch = 'no error';
    } catch (e) {
      out.mismatch = e.message;
    }
    out.untouched = JSON.stringify(window.weights(fresh.model)) === JSON.stringify(w0);
    await fresh.model.save('indexeddb://plain-save');
    try {
      await fresh.model.fit(fresh.x, fresh.y, { epochs: 1, callbacks: [tf.callbacks.backupAndRestore({ backupDir: 'plain-save' })] });
      out.plain = 'no error';
    } catch (e) {
      out.plain = e.message;
    }
    out.bad = [];
    for (const args of [{}, { backupDir: '' }, { backupDir: 'x', saveFreq: 0 }, { backupDir: 'x', saveEverySeconds: -1 }, null]) {
      try { tf.callbacks.backupAndRestore(args); out.bad.push('no error'); } catch (e) { out.bad.push(e.message); }
    }
    out.alive = tf.add(1, 2).dataSync()[0];
    return out;
  });
  assert.equal(r.pending.epoch, 2, 'a mid-epoch checkpoint resumes at the start of its epoch');
  assert.equal(r.restored, 2);
  assert.deepEqual(r.resumedEpochs, [2, 3]);
  assert.match(r.mismatch, /backupAndRestore\(other\).*does not fit this model/);
  assert.equal(r.untouched, true, 'a refused checkpoint leaves the weights as they were');
  assert.match(r.plain, /plain-save holds a model saved by model.save, not a checkpoint/);
  assert.equal(r.bad.length, 5);
  for (const m of r.bad) assert.match(m, /^backupAndRestore: /);
  assert.equal(r.alive, 3);
  await page.close();
});

// Issue 14: one page's engine takes thousands of malformed calls and files (every tf.* function
// with arguments of the wrong kind, layer factories with bad options, mutated model.json
// topologies and weight specs, truncated weights, damaged .keras files) and must answer each with
// an Error, never trap (which would replace the instance), then train a model as if nothing
// happened; on the CPU and on WebGPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';

const b = useBrowser({ label: 'bad input' });

test('hundreds of malformed calls and model files are Errors, the engine never traps, and a model trains afterwards', { timeout: 300_000 }, async () => {
  const page = await b.openHebb();
  for (const backend of ['cpu', 'webgpu']) {
    const r = await page.evaluate(async (backend) => {
      await tf.setBackend(backend);
      // Functions that wait, print, change global settings or need a user program around them.
      const skip = new Set(['ready', 'setBackend', 'nextFrame', 'time', 'profile', 'print', 'disposeVariables', 'enableProdMode', 'enableDebugMode',
        'setSeed', 'deprecationWarn', 'disableDeprecationWarnings', 'registerCallbackConstructor', 'getBackend', 'memory', 'engine', 'env']);
      const fns = Object.keys(tf).filter((k) => typeof tf[k] === 'function' && !k.startsWith('_') && !skip.has(k) && !/^[A-Z]/.test(k));
      const bad = () => [[], [null], ['x'], [[[1, 2], [3]]], [tf.ones([2, 3]), tf.ones([4])], [{}], [NaN, -1], [tf.ones([0]), 1e9], [tf.tensor([1, 2], [2], 'int32'), 'bogus', -5]];
      const out = { calls: 0, errors: 0, notErrors: [], traps: [], restarts: 0 };
      const attempt = async (what, f) => {
        out.calls++;
        try {
          const v = f();
          if (v && typeof v.then === 'function') await v;
        } catch (e) {
          out.errors++;
          if (!(e instanceof Error)) out.notErrors.push(`${what}: threw ${String(e)}`);
          else if (/engine stopped/.test(e.message)) out.traps.push(`${what}: ${e.message}`);
        }
      };
      for (const name of fns) {
        for (const [i, args] of bad().entries()) await attempt(`${name} #${i}`, () => tf[name](...args));
      }
      // Layer factories with options of the wrong kind.
      for (const name of Object.keys(tf.layers)) {
        if (typeof tf.layers[name] !== 'function' || /^[A-Z]/.test(name)) continue;
        for (const args of [{ units: -1 }, { units: 'x', inputShape: 5 }, { filters: 2, kernelSize: 0, inputShape: [4, 4, 1] }, { cell: { className: 'LSTMCell', config: 1 } }, null, 7]) {
          await attempt(`layers.${name}`, () => tf.layers[name](args).apply(tf.input({ shape: [4, 4, 1] })));
        }
      }
      // A saved model, then its topology and weights mutated.
      const model = tf.sequential({ layers: [tf.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1] }), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
      let saved;
      await model.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
      let seed = 1;
      const rnd = (n) => { seed = (seed * 16807) % 2147483647; return seed % n; };
      const junk = [null, -1, 0, 1e12, 'x', [], {}, [1, [2]], { className: 'Dense', config: 3 }, true];
      const paths = (v, at = []) => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [[...at, k], ...paths(x, [...at, k])]) : []);
      const places = paths(saved.modelTopology);
      for (let i = 0; i < 150; i++) {
        const topo = JSON.parse(JSON.stringify(saved.modelTopology));
        const p = places[rnd(places.length)];
        let o = topo;
        for (const k of p.slice(0, -1)) o = o[k];
        if (rnd(4) === 0) delete o[p.at(-1)];
        else o[p.at(-1)] = junk[rnd(junk.length)];
        await attempt('loadLayersModel(mutated topology)', () => tf.loadLayersModel(tf.io.fromMemory({ ...saved, modelTopology: topo })));
      }
      for (const cut of [0, 1, 7, 100, saved.weightData.byteLength - 1]) {
        await attempt('loadLayersModel(truncated weights)', () => tf.loadLayersModel(tf.io.fromMemory({ ...saved, weightData: saved.weightData.slice(0, cut) })));
      }
      for (let i = 0; i < 20; i++) {
        const specs = JSON.parse(JSON.stringify(saved.weightSpecs));
        const s = specs[rnd(specs.length)];
        s[['shape', 'dtype', 'name'][rnd(3)]] = junk[rnd(junk.length)];
        await attempt('loadLayersModel(mutated weight specs)', () => tf.loadLayersModel(tf.io.fromMemory({ ...saved, weightSpecs: specs })));
      }
      // A .keras file with bytes flipped or cut off (once per backend: the file reader does not
      // depend on it).
      if (backend === 'cpu') {
        const keras = await (await fetch('/tests/fixtures/keras/convnet.keras')).arrayBuffer();
        for (let i = 0; i < 40; i++) {
          const bytes = new Uint8Array(keras.slice(0, i % 4 === 0 ? rnd(keras.byteLength) : keras.byteLength));
          for (let k = 0; k < 1 + rnd(8); k++) bytes[rnd(bytes.length)] = rnd(256);
          await attempt('.keras (damaged)', async () => tf.loadLayersModel(tf.io.fromMemory(await tf._kerasToArtifacts(bytes.buffer, 'damaged.keras'))));
        }
      }
      out.restarts = tf._debug.restarts();
      // The engine works as before: a model trains.
      const m = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 1 })] });
      m.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
      const x = tf.randomUniform([64, 2], -1, 1, 'float32', 3);
      const h = await m.fit(x, x.sum(1, true), { epochs: 30, verbose: 0 });
      out.loss = [h.history.loss[0], h.history.loss.at(-1)];
      out.backend = tf.getBackend();
      return out;
    }, backend);
    console.log(`bad input on ${backend}: ${r.calls} calls, ${r.errors} errors, ${r.restarts} engine restarts`);
    assert.equal(r.backend, backend);
    assert.ok(r.calls >= 2000, `only ${r.calls} calls`);
    assert.ok(r.errors >= r.calls / 2, `only ${r.errors} of ${r.calls} calls threw`);
    assert.deepEqual(r.notErrors, []);
    assert.deepEqual(r.traps, [], 'calls that trapped the engine');
    assert.equal(r.restarts, 0, 'the engine trapped');
    assert.ok(r.loss[1] < r.loss[0] / 5, `loss ${r.loss}`);
  }
});

// Structure-aware damage to model files, made here in Node: Keras 3 .keras archives whose
// config.json has values replaced or removed, whose model.weights.h5 has bytes changed or is cut
// short, re-zipped; and a functional model.json whose inbound nodes, layer lists and weight
// manifest are mutated. Every load must fail with an Error that names loadLayersModel (and, for
// a bad layer, the layer), or load; nothing may trap the engine.
function lcg(seed) {
  let s = seed;
  return (n) => { s = (s * 16807) % 2147483647; return s % n; };
}
const JUNK = [null, -1, 0, 2.5, 1e12, 'x', '', [], {}, [1, [2]], { class_name: 'Dense', config: 3 }, true, [null, -3]];
function jsonPaths(v, at = []) {
  return v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [[...at, k], ...jsonPaths(x, [...at, k])]) : [];
}
function mutateJson(value, rnd, edits = 1 + rnd(3)) {
  const out = JSON.parse(JSON.stringify(value));
  for (let e = 0; e < edits; e++) {
    const places = jsonPaths(out);
    if (!places.length) break;
    const p = places[rnd(places.length)];
    let o = out;
    for (const k of p.slice(0, -1)) o = o[k];
    if (rnd(4) === 0) delete o[p.at(-1)];
    else o[p.at(-1)] = JSON.parse(JSON.stringify(JUNK[rnd(JUNK.length)]));
  }
  return out;
}

test('structure-aware damage to .keras archives and functional model.json files: Errors that name loadLayersModel, no trap', { timeout: 300_000 }, async () => {
  const { unzipSync, zipSync } = await import('fflate');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { ROOT } = await import('./harness.mjs');
  const rnd = lcg(7);
  const cases = [];
  for (const name of ['convnet', 'functional', 'recurrent', 'preprocess']) {
    const files = unzipSync(new Uint8Array(fs.readFileSync(path.join(ROOT, `tests/fixtures/keras/${name}.keras`))));
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    for (let i = 0; i < 60; i++) {
      const out = { ...files };
      const kind = rnd(3);
      if (kind === 0) {
        out['config.json'] = new TextEncoder().encode(JSON.stringify(mutateJson(config, rnd)));
      } else {
        const h5 = files['model.weights.h5'].slice(0, kind === 1 ? files['model.weights.h5'].length : 1 + rnd(files['model.weights.h5'].length));
        for (let k = 0; k < 1 + rnd(12); k++) h5[rnd(h5.length)] = rnd(256);
        out['model.weights.h5'] = h5;
      }
      cases.push({ what: `${name}.keras (${['config.json', 'h5 bytes', 'h5 cut'][kind]})`, bytes: Array.from(zipSync(out, { level: 0 })) });
    }
  }
  const page = await b.openHebb();
  const r = await page.evaluate(async (cases) => {
    const out = { loads: 0, predicted: 0, errors: [], notErrors: [] };
    const attempt = async (what, f) => {
      let m;
      try {
        m = await f();
        out.loads++;
      } catch (e) {
        if (!(e instanceof Error)) out.notErrors.push(`${what}: threw ${String(e)}`);
        else out.errors.push(`${what}: ${e.message}`);
        return;
      }
      // A model that loads runs (or refuses with an Error).
      try {
        const xs = m.inputs.map((t) => tf.zeros([1, ...t.shape.slice(1).map((d) => d ?? 2)]));
        tf.dispose(m.predict(xs.length === 1 ? xs[0] : xs));
        out.predicted++;
      } catch (e) {
        if (!(e instanceof Error)) out.notErrors.push(`${what} (predict): threw ${String(e)}`);
      }
    };
    for (const c of cases) await attempt(c.what, () => tf.loadLayersModel(new Uint8Array(c.bytes)));
    // A functional model.json: inbound nodes, layer lists and the weight manifest mutated.
    const a = tf.input({ shape: [4], name: 'a' });
    const b2 = tf.input({ shape: [3], name: 'b' });
    const d1 = tf.layers.dense({ units: 5, name: 'd1' }).apply(a);
    const d2 = tf.layers.dense({ units: 5, name: 'd2' }).apply(b2);
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([tf.layers.add({ name: 'sum' }).apply([d1, d2]), d1]);
    const model = tf.model({ inputs: [a, b2], outputs: tf.layers.dense({ units: 2, name: 'out' }).apply(cat) });
    let saved;
    await model.save(tf.io.withSaveHandler(async (s) => { saved = s; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    let seed = 11;
    const rnd = (n) => { seed = (seed * 16807) % 2147483647; return seed % n; };
    const junk = [null, -1, 0, 9, 'x', 'd1', [], {}, [['d1', 0, 0, {}]], [['nope', 3, 1, {}]], true];
    const paths = (v, at = []) => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [[...at, k], ...paths(x, [...at, k])]) : []);
    const nodePlaces = paths(saved.modelTopology).filter((p) => p.includes('inbound_nodes') || p.includes('input_layers') || p.includes('output_layers'));
    for (let i = 0; i < 200; i++) {
      const topo = JSON.parse(JSON.stringify(saved.modelTopology));
      const p = nodePlaces[rnd(nodePlaces.length)];
      let o = topo;
      for (const k of p.slice(0, -1)) o = o[k];
      if (rnd(4) === 0) delete o[p.at(-1)];
      else o[p.at(-1)] = JSON.parse(JSON.stringify(junk[rnd(junk.length)]));
      await attempt('functional model.json', () => tf.loadLayersModel(tf.io.fromMemory({ ...saved, modelTopology: topo })));
    }
    for (let i = 0; i < 60; i++) {
      const specs = JSON.parse(JSON.stringify(saved.weightSpecs));
      const s = specs[rnd(specs.length)];
      const field = ['shape', 'dtype', 'name', 'quantization'][rnd(4)];
      s[field] = field === 'quantization' ? [{ dtype: 'uint8', scale: 'x' }, { dtype: 'int4' }, { dtype: 'float16' }, null][rnd(4)] : junk[rnd(junk.length)];
      if (rnd(3) === 0) specs.splice(rnd(specs.length), 1);
      await attempt('weight manifest', () => tf.loadLayersModel(tf.io.fromMemory({ ...saved, weightSpecs: specs })));
    }
    out.restarts = tf._debug.restarts();
    out.alive = tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0];
    return out;
  }, cases);
  const unnamed = r.errors.filter((m) => !/^[^:]+: loadLayersModel: /.test(m));
  console.log(`structured damage: ${cases.length + 260} files, ${r.loads} loaded (${r.predicted} predicted), ${r.errors.length} Errors`);
  assert.deepEqual(r.notErrors, []);
  assert.equal(r.restarts, 0, 'the engine trapped');
  assert.equal(r.alive, 5);
  assert.deepEqual(unnamed.slice(0, 20), [], 'every Error names loadLayersModel');
  assert.ok(r.errors.length > (cases.length + 260) / 2, `${r.errors.length} errors`);
});

// Issue 13: tf.data's sources (csv, func, TextLineDataset, FileDataSource, URLDataSource, webcam,
// microphone) side by side with TF.js 4.22 in one page, and a CSV from a blob: URL trained on
// with fitDataset as a user program would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './harness.mjs';
import { openBoth } from './surface/both.mjs';

const b = useBrowser({ label: 'tfjs data sources' });

test('tf.data.csv, func, TextLineDataset, FileDataSource and URLDataSource give TF.js\'s elements and errors', { timeout: 120_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(async () => {
    const text = 'a,b,label,name\r\n1,2.5,0,"x, y"\n3,,1,"say hi"\n-4,7,1,z\n';
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const semi = URL.createObjectURL(new Blob(['1;2;true\n3;4;false\n5;6;1\n']));
    const spaced = URL.createObjectURL(new Blob(['p q\n1   2\n 3 4\n']));
    const run = async (l) => {
      const all = async (ds) => ds.toArray();
      const out = {};
      out.plain = await all(l.data.csv(url));
      out.names = await l.data.csv(url).columnNames();
      out.labelled = await all(l.data.csv(url, { columnConfigs: { label: { isLabel: true, dtype: 'int32' }, b: { default: -1 } } }));
      out.configuredOnly = await all(l.data.csv(url, { configuredColumnsOnly: true, columnConfigs: { a: { dtype: 'int32' }, label: { isLabel: true } } }));
      out.noHeader = await all(l.data.csv(semi, { hasHeader: false, columnNames: ['x', 'y', 'flag'], delimiter: ';', columnConfigs: { flag: { dtype: 'bool' } } }));
      out.whitespace = await all(l.data.csv(spaced, { delimWhitespace: true }));
      out.batched = (await all(l.data.csv(url, { columnConfigs: { label: { isLabel: true } } }).map(({ ys }) => ys.label).batch(2))).map((t) => Array.from(t.dataSync()));
      let n = 0;
      out.func = await all(l.data.func(() => (n < 4 ? { value: n++ * 10, done: false } : { value: null, done: true })));
      out.lines = await all(new l.data.TextLineDataset(new l.data.FileDataSource(new Blob(['one\r\ntwo\n\nthree']), { chunkSize: 3 })));
      out.urlLines = await all(new l.data.TextLineDataset(new l.data.URLDataSource(semi)));
      const errs = {};
      for (const [k, f] of Object.entries({
        missingRequired: () => all(l.data.csv(url, { columnConfigs: { b: { required: true } } })),
        badKey: () => all(l.data.csv(url, { columnConfigs: { nope: {} } })),
        badRow: () => all(l.data.csv(URL.createObjectURL(new Blob(['a,b\n1,2,3\n'])))),
        duplicate: () => all(l.data.csv(semi, { hasHeader: false, columnNames: ['x', 'x', 'y'] })),
        noNames: () => all(l.data.csv(semi, { hasHeader: false })),
      })) {
        try { await f(); errs[k] = null; } catch (e) { errs[k] = 'threw'; }
      }
      out.errors = errs;
      return out;
    };
    const res = { want: await run(window.tfjs), got: await run(window.tf) };
    // A doubled quote inside a quoted field is one quote (RFC 4180); TF.js keeps both.
    res.quoted = await tf.data.csv(URL.createObjectURL(new Blob(['s\n"say ""hi"""\n']))).toArray();
    return res;
  });
  assert.deepEqual(r.quoted, [{ s: 'say "hi"' }]);
  delete r.quoted;
  assert.deepEqual(r.got, r.want);
});

test('a CSV from a blob: URL trains a model through tf.data.csv and fitDataset', { timeout: 120_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(async () => {
    // Two features, a label that is 1 when x + y > 0.
    let seed = 3;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647) * 2 - 1; };
    const rows = ['x,y,label'];
    for (let i = 0; i < 200; i++) {
      const [x, y] = [rnd(), rnd()];
      rows.push(`${x.toFixed(4)},${y.toFixed(4)},${x + y > 0 ? 1 : 0}`);
    }
    const url = URL.createObjectURL(new Blob([rows.join('\n')]));
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      await tf.setBackend(backend);
      const ds = tf.data.csv(url, { columnConfigs: { label: { isLabel: true } } })
        .map(({ xs, ys }) => ({ xs: Object.values(xs), ys: Object.values(ys) }))
        .shuffle(200, 'seed')
        .batch(20);
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [2] })] });
      model.compile({ optimizer: tf.train.adam(0.1), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const h = await model.fitDataset(ds, { epochs: 15, verbose: 0 });
      out[backend] = { first: h.history.loss[0], last: h.history.loss.at(-1), acc: h.history.acc.at(-1) };
    }
    return out;
  });
  for (const backend of ['cpu', 'webgpu']) {
    assert.ok(r[backend].last < r[backend].first * 0.5, `${backend}: loss ${r[backend].first} -> ${r[backend].last}`);
    assert.ok(r[backend].acc >= 0.95, `${backend}: accuracy ${r[backend].acc}`);
  }
});

test('tf.data.webcam and tf.data.microphone read a stream as TF.js does', { timeout: 120_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(async () => {
    // getUserMedia answered with a painted canvas's stream (video) and an oscillator's (audio),
    // so both libraries read a known picture and tone.
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const ctx = canvas.getContext('2d');
    const paint = () => { ctx.fillStyle = 'rgb(20, 200, 60)'; ctx.fillRect(0, 0, 64, 48); };
    paint();
    const timer = setInterval(paint, 20);
    const audio = new AudioContext({ sampleRate: 44100 });
    const osc = audio.createOscillator();
    osc.frequency.value = 2000;
    osc.start();
    await audio.resume();
    // A fresh stream per call: stopping a capture ends its stream's tracks.
    const tone = () => {
      const dest = audio.createMediaStreamDestination();
      osc.connect(dest);
      return dest.stream;
    };
    navigator.mediaDevices.getUserMedia = async (c) => (c.video ? canvas.captureStream(30) : tone());
    const run = async (l) => {
      const video = document.createElement('video');
      video.width = 64;
      video.height = 48;
      const cam = await l.data.webcam(video);
      const frame = await cam.capture();
      const hidden = await l.data.webcam(null, { resizeWidth: 16, resizeHeight: 16 });
      const full = await hidden.capture();
      const video2 = document.createElement('video');
      video2.width = 64;
      video2.height = 48;
      const small = await l.data.webcam(video2, { resizeWidth: 16, resizeHeight: 12, centerCrop: true });
      const it = await small.next();
      cam.stop();
      hidden.stop();
      small.stop();
      const mic = await l.data.microphone({ fftSize: 512, numFramesPerSpectrogram: 4, includeWaveform: true });
      await new Promise((res) => setTimeout(res, 300));
      await mic.capture();
      const { spectrogram, waveform } = await mic.capture();
      mic.stop();
      const spec = spectrogram.dataSync();
      // The loudest bin of the last frame: 2000 Hz at 44100 / 1024 Hz per bin is bin 46.
      const last = Array.from(spec.slice(3 * 512, 4 * 512));
      const peak = last.indexOf(Math.max(...last));
      return {
        frame: { shape: frame.shape, dtype: frame.dtype, centre: Array.from(frame.slice([24, 32, 0], [1, 1, 3]).dataSync()) },
        small: { shape: it.value.shape, dtype: it.value.dtype, done: it.done, hidden: full.shape },
        mic: { spec: spectrogram.shape, wave: waveform.shape, peak },
      };
    };
    const out = { want: await run(window.tfjs), got: await run(window.tf) };
    clearInterval(timer);
    osc.stop();
    return out;
  });
  assert.deepEqual(r.got.frame.shape, r.want.frame.shape);
  assert.equal(r.got.frame.dtype, r.want.frame.dtype);
  r.got.frame.centre.forEach((v, i) => assert.ok(Math.abs(v - [20, 200, 60][i]) <= 4, `frame colour ${r.got.frame.centre} (TF.js ${r.want.frame.centre})`));
  assert.deepEqual(r.got.small, r.want.small);
  assert.deepEqual(r.got.mic.spec, r.want.mic.spec);
  assert.deepEqual(r.got.mic.wave, r.want.mic.wave);
  assert.ok(Math.abs(r.got.mic.peak - 46) <= 1, `Hebb's loudest bin ${r.got.mic.peak} (TF.js ${r.want.mic.peak})`);
});

test('tf.io loadWeights, weightsLoaderFactory, decodeWeightsStream, getWeightSpecs, getModelArtifactsForJSON(Sync), fromMemorySync, withSaveHandlerSync and CompositeArrayBuffer behave as TF.js\'s', { timeout: 120_000 }, async () => {
  const page = await openBoth(b);
  const r = await page.evaluate(async () => {
    const run = async (l) => {
      const named = (m) => Object.fromEntries(Object.entries(m).sort(([a], [c]) => (a < c ? -1 : 1)).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) }]));
      const g1 = await l.io.encodeWeights({ a: l.tensor([[1, 2], [3, 4]]), b: l.tensor([5, 6, 7], [3], 'int32') });
      const g2 = await l.io.encodeWeights({ c: l.tensor([0.5]) });
      const u1 = URL.createObjectURL(new Blob([g1.data]));
      const u2 = URL.createObjectURL(new Blob([g2.data]));
      const base = u1.slice(0, u1.lastIndexOf('/'));
      const manifest = [{ paths: [u1.slice(base.length + 1)], weights: g1.specs }, { paths: [u2.slice(base.length + 1)], weights: g2.specs }];
      const out = {};
      out.loaded = named(await l.io.loadWeights(manifest, base));
      out.some = named(await l.io.loadWeights(manifest, `${base}/`, ['c']));
      const asked = [];
      const loader = l.io.weightsLoaderFactory(async (urls) => { asked.push(urls.length); return Promise.all(urls.map(async (u) => (await fetch(u)).arrayBuffer())); });
      out.factory = [named(await loader(manifest, base, ['b'])), asked];
      out.stream = named(await l.io.decodeWeightsStream(new Blob([g1.data]).stream(), g1.specs));
      out.specs = l.io.getWeightSpecs(manifest);
      const model = l.sequential({ layers: [l.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'ones', biasInitializer: 'ones' })] });
      let saved = null;
      const info = await model.save(l.io.withSaveHandlerSync((artifacts) => { saved = artifacts; return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } }; }));
      out.saved = [info.modelArtifactsInfo.modelTopologyType, saved.weightSpecs.map((s) => s.name)];
      const back = await l.loadLayersModel(l.io.fromMemorySync(saved));
      out.predicted = Array.from(back.predict(l.ones([1, 3])).dataSync());
      const json = { modelTopology: saved.modelTopology, format: 'layers-model', weightsManifest: [{ paths: ['w.bin'], weights: saved.weightSpecs }] };
      const art = await l.io.getModelArtifactsForJSON(json, async (m) => [l.io.getWeightSpecs(m), saved.weightData]);
      out.artifacts = [Object.keys(art).sort(), art.weightSpecs.length, art.weightData.byteLength];
      const artSync = l.io.getModelArtifactsForJSONSync(json, saved.weightSpecs, saved.weightData);
      out.artifactsSync = [Object.keys(artSync).sort(), artSync.weightData.byteLength];
      const cab = new l.io.CompositeArrayBuffer([new Uint8Array([1, 2, 3]).buffer, new Uint8Array([4, 5, 6, 7]).buffer]);
      out.composite = [cab.byteLength, Array.from(new Uint8Array(cab.slice(2, 5))), Array.from(new Uint8Array(l.io.CompositeArrayBuffer.join([new Uint8Array([9]).buffer, new Uint8Array([8]).buffer])))];
      const errs = {};
      for (const [k, f] of Object.entries({ missingName: () => l.io.loadWeights(manifest, base, ['zzz']) })) {
        try { await f(); errs[k] = null; } catch (e) { errs[k] = 'threw'; }
      }
      out.errors = errs;
      return out;
    };
    return { want: await run(window.tfjs), got: await run(window.tf) };
  });
  assert.deepEqual(r.got, r.want);
});

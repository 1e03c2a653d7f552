// The playground page (index.html): runs the default program end to end, and reports a
// program's error with its line number. Saves test-artifacts/playground.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unzipSync } from 'fflate';
import { useBrowser, screenshot } from './harness.mjs';

// The playground does not use WebGPU yet; software-GL frames would make its live chart crawl.
const b = useBrowser({ label: 'playground', webgpu: false });

const ready = (page) => page.waitForFunction(() => window.playground && window.playground.state === 'idle', null, { timeout: 60_000 });

/** The playground with its starters as shipped (edits kept by an earlier test are dropped). */
async function openPlayground() {
  const page = await b.openPage('/index.html');
  await ready(page);
  if (await page.evaluate(() => { const n = localStorage.length; localStorage.clear(); return n; })) {
    await page.reload();
    await ready(page);
  }
  return page;
}

/** Starts a run and waits (up to 60 s) until the playground is no longer running. */
async function runToEnd(page) {
  await page.evaluate(() => { window.__runResult = null; window.playground.run().then((s) => { window.__runResult = s; }); });
  await page.waitForFunction(() => window.__runResult !== null && window.playground.state !== 'running', null, { timeout: 60_000 });
  return page.evaluate(() => ({ state: window.playground.state, result: window.__runResult }));
}

test('the default program (3-class spiral) trains, charts a falling loss and prints the summary', { timeout: 120_000 }, async (t) => {
  const page = await openPlayground();
  const code = await page.evaluate(() => window.playground.getCode());
  assert.match(code, /tf\.sequential/, 'the editor holds the default starter');
  assert.match(code, /classes: 3/, 'the default starter is the 3-class spiral');

  const t0 = Date.now();
  const end = await runToEnd(page);
  const ms = Date.now() - t0;
  const r = await page.evaluate(() => ({ chart: window.playground.chartData(), console: window.playground.consoleText() }));
  t.diagnostic(`run took ${ms} ms; ${r.chart.loss.length} epochs; loss ${r.chart.loss[0]} -> ${r.chart.loss.at(-1)}`);
  if (end.state !== 'done') t.diagnostic(`console:\n${r.console}`);
  assert.equal(end.state, 'done');
  assert.equal(end.result, 'done');

  const loss = r.chart.loss;
  assert.ok(loss.length >= 5, `chart has ${loss.length} loss points`);
  assert.ok(loss.every((v) => Number.isFinite(v)), `loss points are numbers: ${loss}`);
  assert.ok(loss.at(-1) < 0.5 * loss[0], `loss falls: ${loss[0]} -> ${loss.at(-1)}`);
  assert.equal(r.chart.epochs.length, loss.length);
  assert.ok(r.chart.acc.filter((v) => v != null).length === loss.length, 'accuracy is charted too');
  assert.ok(r.chart.val_loss.filter((v) => v != null).length === loss.length, 'validation loss is charted too');

  assert.match(r.console, /Total params/);
  assert.match(r.console, /final accuracy: \d+(\.\d)?%/);
  assert.doesNotMatch(r.console, /\[error\]/);

  // Let the last chart / decision-boundary frame paint, then keep a screenshot.
  await page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))));
  await page.waitForTimeout(300);
  const file = await screenshot(page, 'playground.png', { fullPage: true });
  t.diagnostic(`screenshot: ${file}`);
  assert.ok(page.hebbErrors.length === 0, `page errors: ${page.hebbErrors.join('\n')}`);
});

test('a program error shows in the console with its message and line number', { timeout: 120_000 }, async () => {
  const page = await openPlayground();
  const program = [
    '// deliberate error on line 4',
    'const model = tf.sequential();',
    "model.add(tf.layers.dense({units: 4, inputShape: [2]}));",
    'model.add(tf.layers.dense({units: 0}));',
    "console.log('not reached');",
  ].join('\n');
  await page.evaluate((code) => window.playground.setCode(code), program);
  assert.equal(await page.evaluate(() => window.playground.getCode()), program);
  const end = await runToEnd(page);
  const text = await page.evaluate(() => window.playground.consoleText());
  assert.equal(end.state, 'error', `final state; console:\n${text}`);
  assert.match(text, /\[error\].*units\s*=\s*0/, `console:\n${text}`);
  assert.match(text, /\(line 4\)/, `console names line 4:\n${text}`);
  assert.doesNotMatch(text, /not reached/);
  // The line link is rendered in the console panel.
  await page.waitForFunction(() => [...document.querySelectorAll('#console .line-link')].some((el) => el.textContent === 'line 4'), null, { timeout: 10_000 });

  // An error thrown from inside training (the awaited fit) is reported with its line too.
  const program2 = [
    'const model = tf.sequential();',
    "model.add(tf.layers.dense({units: 1, inputShape: [2]}));",
    "model.compile({optimizer: 'sgd', loss: 'meanSquaredError'});",
    '',
    'await model.fit(tf.zeros([5, 2]), tf.zeros([4, 1]));',
  ].join('\n');
  await page.evaluate((code) => window.playground.setCode(code), program2);
  const end2 = await runToEnd(page);
  const text2 = await page.evaluate(() => window.playground.consoleText());
  assert.equal(end2.state, 'error', `final state; console:\n${text2}`);
  assert.match(text2, /\[error\].*sample/, `console:\n${text2}`);
  assert.match(text2, /\(line 5\)/, `console names line 5:\n${text2}`);
});

test('edit the program, run it with Ctrl+Enter, press Stop mid-run: training stops early and the page keeps working', { timeout: 120_000 }, async () => {
  const page = await openPlayground();
  // A long run: the starter with many more epochs and a smaller learning rate.
  const code = (await page.evaluate(() => window.playground.getCode())).replace(/epochs: \d+/, 'epochs: 3000').replace('adam(0.01)', 'adam(0.005)');
  await page.evaluate((c) => window.playground.setCode(c), code);
  await page.click('.cm-content');
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => window.playground.state === 'running', null, { timeout: 30_000 });
  await page.waitForFunction(() => window.playground.chartData().loss.length >= 3, null, { timeout: 60_000, polling: 20 });
  const atClick = await page.evaluate(() => {
    document.getElementById('stop').click(); // the Stop button, as a user presses it
    return window.playground.chartData().loss.length;
  });
  await page.waitForFunction(() => window.playground.state !== 'running', null, { timeout: 30_000 });
  const r = await page.evaluate(() => ({
    state: window.playground.state,
    epochs: window.playground.chartData().loss.length,
    console: window.playground.consoleText(),
    boundary: (() => {
      // The decision-boundary canvas shows more than one colour (class regions were drawn).
      const c = document.getElementById('boundary');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const colours = new Set();
      for (let i = 0; i < d.length; i += 4 * 97) colours.add(`${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4}`);
      return colours.size;
    })(),
  }));
  assert.equal(r.state, 'done');
  assert.ok(atClick >= 3 && atClick < 3000, `Stop pressed mid-run, after ${atClick} epochs`);
  // Epoch reports reach the page a frame or so late, so a few more epochs may land after the click.
  assert.ok(r.epochs >= atClick && r.epochs <= atClick + 50, `training stopped promptly: ${r.epochs} epochs charted, ${atClick} at the click; console: ${r.console.slice(-200)}`);
  assert.match(r.console, /Stopped/);
  assert.ok(r.boundary >= 3, `the decision boundary canvas has ${r.boundary} colours`);
  // Run again after the stop: the default program completes.
  await page.evaluate(() => window.playground.setCode(window.playground.getCode().replace(/epochs: \d+/, 'epochs: 5')));
  const again = await runToEnd(page);
  assert.equal(again.state, 'done');
});

test('a run cut short by a reload offers to resume, and goes on from its checkpoint; Download gives a .keras file and model.json', { timeout: 180_000 }, async () => {
  const page = await openPlayground();
  // The starter with many epochs: it is still training when the page is reloaded (a checkpoint
  // is written at most every 2 s, and a fast machine trains hundreds of epochs in that time).
  const code = (await page.evaluate(() => window.playground.getCode())).replace(/epochs: \d+/, 'epochs: 5000');
  await page.evaluate((c) => window.playground.setCode(c), code);
  await page.click('#run');
  await page.waitForFunction(() => window.playground.state === 'running', null, { timeout: 30_000 });
  // A checkpoint is written at most every 2 s of training: wait for one a few epochs in.
  let saved = -1;
  for (const t0 = Date.now(); saved < 3 && Date.now() - t0 < 90_000;) {
    await page.waitForTimeout(250);
    const c = await page.evaluate(() => window.playground.checkpoints());
    if (c.length) saved = c[0].epoch;
  }
  assert.ok(saved >= 3, `a checkpoint a few epochs in (epoch ${saved})`);
  const firstLoss = (await page.evaluate(() => window.playground.chartData().loss))[0];
  assert.equal(await page.evaluate(() => window.playground.state), 'running', 'still training when the page reloads');

  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => window.playground.getCode()), code, 'the edited program survives the reload');
  await page.waitForSelector('#resume-banner:not([hidden])', { timeout: 10_000 });
  const offered = Number(await page.evaluate(() => document.body.dataset.resume));
  assert.ok(offered >= saved, `the banner offers epoch ${offered + 1} (checkpoint at ${saved + 1} or later)`);
  assert.match(await page.textContent('#resume-text'), /interrupted.*epoch \d+/);

  // Resume, as a user clicks it; stop a few epochs later (the point is where it starts).
  await page.click('#resume');
  await page.waitForFunction(() => /Resumed from the checkpoint/.test(window.playground.consoleText()), null, { timeout: 60_000 });
  await page.waitForFunction(() => window.playground.chartData().loss.length >= 3, null, { timeout: 60_000, polling: 50 });
  await page.click('#stop');
  await page.waitForFunction(() => window.playground.state !== 'running', null, { timeout: 30_000 });
  const r = await page.evaluate(() => ({ console: window.playground.consoleText(), chart: window.playground.chartData(), progress: document.getElementById('progress-text').textContent }));
  const m = /training goes on at epoch (\d+)/.exec(r.console);
  assert.ok(m, r.console);
  assert.equal(Number(m[1]), offered + 1, 'training resumes at the offered epoch');
  assert.ok(r.chart.loss.length < 5000 - offered, `only the remaining epochs ran (${r.chart.loss.length} charted)`);
  assert.ok(r.chart.loss[0] < firstLoss, `the resumed model starts trained: first loss ${r.chart.loss[0]}, the interrupted run's first ${firstLoss}`);
  assert.equal(await page.evaluate(() => document.getElementById('resume-banner').hidden), true);

  // Download: both formats, from the model the run trained.
  assert.equal(await page.evaluate(() => document.getElementById('download').disabled), false);
  await page.click('#download');
  assert.equal(await page.evaluate(() => document.getElementById('download-menu').hidden), false);
  const texts = await page.evaluate(() => [...document.querySelectorAll('#download-menu .menu-item')].map((el) => el.textContent));
  assert.match(texts[0], /Keras 3.*load_model/s);
  assert.match(texts[1], /TensorFlow\.js.*loadLayersModel/s);
  const [kerasFile] = await Promise.all([page.waitForEvent('download'), page.click('#download-keras')]);
  assert.match(kerasFile.suggestedFilename(), /\.keras$/);
  const bytes = await (await import('node:fs')).promises.readFile(await kerasFile.path());
  assert.deepEqual([bytes[0], bytes[1], bytes[2], bytes[3]], [0x50, 0x4b, 3, 4], 'a zip archive');
  const entries = unzipSync(new Uint8Array(bytes));
  assert.deepEqual(Object.keys(entries).sort(), ['config.json', 'metadata.json', 'model.weights.h5']);
  const kcfg = JSON.parse(new TextDecoder().decode(entries['config.json']));
  assert.equal(kcfg.class_name, 'Sequential');
  assert.equal(kcfg.compile_config.optimizer.class_name, 'Adam', 'the compile config travels with the model');
  await page.click('#download');
  const files = [];
  page.on('download', (d) => files.push(d.suggestedFilename()));
  await page.click('#download-tfjs');
  await page.waitForFunction(() => /Downloaded .*\.json and/.test(window.playground.consoleText()), null, { timeout: 30_000 });
  await page.waitForTimeout(500);
  assert.equal(files.length, 2, `downloads: ${files}`);
  assert.ok(files.some((f) => f.endsWith('.json')) && files.some((f) => f.endsWith('.weights.bin')), files.join(', '));
});

test('the same program run 50 times in a row holds the page\'s memory steady', { timeout: 400_000 }, async (t) => {
  const page = await openPlayground();
  const code = (await page.evaluate(() => window.playground.getCode())).replace(/epochs: \d+/, 'epochs: 2');
  await page.evaluate((c) => window.playground.setCode(c), code);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const measure = async () => {
    // Collect garbage until the heap settles, then read it with the page's DOM counters.
    for (let i = 0; i < 3; i++) await page.evaluate(() => window.gc && window.gc());
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    return { heap: m.JSHeapUsedSize, documents: m.Documents, nodes: m.Nodes, listeners: m.JSEventListeners, frames: m.Frames };
  };
  let at10 = null;
  for (let run = 1; run <= 50; run++) {
    const end = await runToEnd(page);
    assert.equal(end.state, 'done', `run ${run}`);
    if (run === 10) at10 = await measure();
  }
  const at50 = await measure();
  t.diagnostic(`after run 10: ${JSON.stringify(at10)}; after run 50: ${JSON.stringify(at50)}`);
  assert.ok(at50.documents <= at10.documents, `documents grew from ${at10.documents} to ${at50.documents} (sandboxes kept alive)`);
  assert.ok(at50.frames <= at10.frames, `frames grew from ${at10.frames} to ${at50.frames}`);
  assert.ok(at50.listeners <= at10.listeners + 20, `event listeners grew from ${at10.listeners} to ${at50.listeners}`);
  assert.ok(at50.nodes <= at10.nodes * 1.1 + 200, `DOM nodes grew from ${at10.nodes} to ${at50.nodes}`);
  assert.ok(at50.heap <= at10.heap + 4 * 2 ** 20, `the page's JS heap grew by ${((at50.heap - at10.heap) / 2 ** 20).toFixed(1)} MB over 40 runs`);
});

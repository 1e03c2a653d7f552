// Playground entry point: wires the editor, starter picker, runner, chart,
// boundary view and console together, and exposes `window.playground` for
// tests.

import 'uplot/dist/uPlot.min.css';
import './style.css';
import { createEditor } from './editor.js';
import { createChart } from './chart.js';
import { createBoundaryView } from './boundary.js';
import { createConsole } from './console.js';
import { createRunner, LIBRARIES } from './runner.js';
import { STARTERS, DEFAULT_STARTER, findStarter } from './starters.js';
import * as checkpoints from './checkpoints.js';
import { artifactsToKeras } from '../hebb/keras_write.js';
import { getModelJSONForModelArtifacts, joinBuffers } from '../hebb/io_format.js';
import { clickDownload } from '../hebb/download.js';

const $ = (id) => document.getElementById(id);
const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const params = new URLSearchParams(location.search);
let library = params.get('lib') || 'hebb';
const badLibrary = !(library in LIBRARIES) ? library : null;
if (badLibrary) library = 'hebb';

// ------------------------------------------------------------ starters + editor

const picker = $('starter');
for (const s of STARTERS) picker.append(new Option(s.title, s.id));
let starterId = findStarter(params.get('starter'))?.id || DEFAULT_STARTER;
picker.value = starterId;
// Edits per starter, kept across switches and reloads (localStorage); reset restores the original.
const EDIT_KEY = (id) => `hebb-playground:code:${id}`;
const edits = {
  get(id) {
    try { return localStorage.getItem(EDIT_KEY(id)); } catch { return null; }
  },
  set(id, code) {
    try {
      if (code === findStarter(id).code) localStorage.removeItem(EDIT_KEY(id));
      else localStorage.setItem(EDIT_KEY(id), code);
    } catch { /* storage full or denied: edits last until the page closes */ }
  },
  delete(id) {
    try { localStorage.removeItem(EDIT_KEY(id)); } catch { /* nothing kept */ }
  },
};
let switching = false;

const editor = createEditor($('editor'), {
  doc: edits.get(starterId) ?? findStarter(starterId).code,
  onRun: () => run(),
  onChange: () => { if (!switching) edits.set(starterId, editor.getCode()); },
});

function showStarter(code) {
  switching = true;
  try {
    editor.setCode(code);
  } finally {
    switching = false;
  }
}

picker.addEventListener('change', () => {
  starterId = picker.value;
  showStarter(edits.get(starterId) ?? findStarter(starterId).code);
  editor.focus();
  checkResume();
});

$('reset-code').addEventListener('click', () => {
  edits.delete(starterId);
  showStarter(findStarter(starterId).code);
  checkResume();
});

// ------------------------------------------------------------------ panels

const chart = createChart($('chart'));
const boundary = createBoundaryView($('boundary'), $('boundary-caption'));
const consolePanel = createConsole($('console'), { onLineClick: (n) => editor.goToLine(n) });
$('console-clear').addEventListener('click', () => consolePanel.clear());

const progressText = $('progress-text');
const progressBar = $('progress-bar');
const backendEl = $('backend');
const statusEl = $('status');
let fitInfo = { epochs: 1, initialEpoch: 0, batches: 1 };

function showProgress({ epoch, epochs, batch, batches, rate }) {
  const span = Math.max(1, epochs - fitInfo.initialEpoch);
  const done = Math.min(1, (epoch - fitInfo.initialEpoch + batch / Math.max(1, batches)) / span);
  progressBar.style.width = `${(done * 100).toFixed(1)}%`;
  const parts = [`epoch ${epoch + 1}/${epochs}`, `batch ${batch}/${batches}`];
  if (rate > 0) parts.push(`${nf.format(rate)} samples/s`);
  progressText.textContent = parts.join(' · ');
}

/** Dispatch a message from the sandbox to the panel it concerns. */
function onMessage(msg) {
  switch (msg.type) {
    case 'log':
      consolePanel.log(msg.level, msg.text);
      break;
    case 'error':
      consolePanel.error(msg.message, msg.line, msg.stack);
      break;
    case 'backend':
      backendEl.textContent = `backend: ${msg.name}`;
      break;
    case 'fit':
      trained = true;
      fitInfo = msg;
      progressText.textContent = `epoch ${msg.initialEpoch + 1}/${msg.epochs} · starting…`;
      break;
    case 'data':
      boundary.setData(msg);
      break;
    case 'viz':
      boundary.setPrediction(msg);
      break;
    case 'progress':
      showProgress(msg);
      break;
    case 'resumed':
      consolePanel.log('info', `Resumed from the checkpoint: training goes on at epoch ${msg.epoch + 1}.`);
      fitInfo = { ...fitInfo, initialEpoch: msg.epoch };
      break;
    case 'epoch':
      chart.addEpoch(msg.logs);
      // Progress messages are throttled; epoch ends are not, so the bar never lags at the end.
      if (typeof msg.epoch === 'number') {
        const span = Math.max(1, fitInfo.epochs - fitInfo.initialEpoch);
        progressBar.style.width = `${(Math.min(1, (msg.epoch + 1 - fitInfo.initialEpoch) / span) * 100).toFixed(1)}%`;
      }
      break;
    default:
      break;
  }
}

let trained = false; // did this run call fit()?

function onState(state) {
  document.body.dataset.state = state;
  if (state === 'done' || state === 'error') {
    if (!trained) progressText.textContent = state === 'error' ? 'failed before training' : 'no training in this run';
    else if (state === 'error') progressText.textContent += ' · failed';
  }
  statusEl.textContent = { idle: 'idle', running: 'running…', done: 'done', error: 'error' }[state] || state;
  $('stop').disabled = state !== 'running';
  $('download').disabled = !(trained && (state === 'done' || state === 'error'));
  if (state === 'done' || state === 'error') checkResume();
  $('run').title = state === 'running' ? 'Restart the program (Ctrl+Enter)' : 'Run the program (Ctrl+Enter)';
}

const runner = createRunner({
  library,
  backend: params.get('backend') || '',
  onMessage,
  onState,
  onNotice: (level, text) => consolePanel.log(level, text),
});
onState('idle');
backendEl.textContent = library === 'hebb' ? 'backend: —' : `${LIBRARIES[library].name} · backend: —`;

// Backend for the next run: auto (WebGPU where the browser gives an adapter), webgpu or cpu.
const backendSelect = $('backend-select');
backendSelect.value = ['webgpu', 'cpu'].includes(runner.backend) ? runner.backend : '';
backendSelect.addEventListener('change', () => {
  runner.backend = backendSelect.value;
  const url = new URL(location.href);
  if (backendSelect.value) url.searchParams.set('backend', backendSelect.value);
  else url.searchParams.delete('backend');
  history.replaceState(null, '', url);
  consolePanel.log('info', `The next run uses ${backendSelect.value || 'the default backend (WebGPU if available)'}.`);
});
if (badLibrary) consolePanel.log('warn', `Unknown ?lib=${badLibrary}; using Hebb.`);

// ------------------------------------------------------------------ actions

/**
 * Run the editor's program in a fresh sandbox; resolves with the final state. Every fit of the
 * run checkpoints to this page's IndexedDB (tf.callbacks.backupAndRestore); a plain run starts
 * afresh, `{resume: true}` picks up the checkpoints a reload interrupted.
 */
async function run({ resume = false } = {}) {
  const code = editor.getCode();
  const key = checkpoints.runKey(starterId, code);
  hideResume();
  let backup = key;
  try {
    if (!resume) await checkpoints.clear(key);
  } catch (err) {
    backup = null; // no IndexedDB (private mode): run without checkpoints
    consolePanel.log('warn', `Training will not be checkpointed: ${err.message}`);
  }
  chart.reset();
  boundary.reset();
  consolePanel.clear();
  progressBar.style.width = '0%';
  progressText.textContent = 'starting…';
  fitInfo = { epochs: 1, initialEpoch: 0, batches: 1 };
  trained = false;
  return runner.run(code, { backup });
}

// ------------------------------------------------------------------ resume after a reload

const resumeBanner = $('resume-banner');
function hideResume() {
  resumeBanner.hidden = true;
  delete document.body.dataset.resume;
}

/** Offers to resume when a run of this program was cut short (a reload, a crash) mid-fit. */
async function checkResume() {
  if (runner.state === 'running') return;
  let found = [];
  try {
    found = await checkpoints.pending(checkpoints.runKey(starterId, editor.getCode()));
  } catch { /* no IndexedDB: nothing to offer */ }
  if (!found.length || runner.state === 'running') {
    hideResume();
    return;
  }
  const last = found[found.length - 1];
  const when = new Date(last.savedAt).toLocaleTimeString();
  $('resume-text').textContent = `A run of this program was interrupted; its training was saved at epoch ${last.epoch + 1} (${when}).`;
  resumeBanner.hidden = false;
  document.body.dataset.resume = String(last.epoch);
}
$('resume').addEventListener('click', () => run({ resume: true }));
$('resume-discard').addEventListener('click', async () => {
  await checkpoints.clear(checkpoints.runKey(starterId, editor.getCode())).catch(() => {});
  hideResume();
});
checkResume();

// ------------------------------------------------------------------ download the model

const downloadBtn = $('download');
const downloadMenu = $('download-menu');
const closeMenu = () => {
  downloadMenu.hidden = true;
  downloadBtn.setAttribute('aria-expanded', 'false');
};
downloadBtn.addEventListener('click', () => {
  downloadMenu.hidden = !downloadMenu.hidden;
  downloadBtn.setAttribute('aria-expanded', String(!downloadMenu.hidden));
});
document.addEventListener('click', (e) => {
  if (!downloadMenu.hidden && !e.target.closest('.download-wrap')) closeMenu();
});

/** Downloads the model the last run trained: 'keras' (one .keras file) or 'tfjs'. */
async function download(format) {
  closeMenu();
  try {
    const artifacts = await runner.exportModel();
    const name = (artifacts.modelTopology?.config?.name || starterId || 'model').replace(/[^\w.-]+/g, '_');
    if (format === 'keras') {
      const bytes = await artifactsToKeras(artifacts);
      await clickDownload(`${name}.keras`, new Blob([bytes], { type: 'application/zip' }));
      consolePanel.log('info', `Downloaded ${name}.keras: in Python, keras.saving.load_model('${name}.keras') loads it compiled, ready to train.`);
    } else {
      const weights = `${name}.weights.bin`;
      const json = getModelJSONForModelArtifacts(artifacts, [{ paths: [`./${weights}`], weights: artifacts.weightSpecs ?? [] }]);
      await clickDownload(`${name}.json`, new Blob([JSON.stringify(json)], { type: 'application/json' }));
      await clickDownload(weights, new Blob([joinBuffers(artifacts.weightData)], { type: 'application/octet-stream' }));
      consolePanel.log('info', `Downloaded ${name}.json and ${weights}: serve them together and load with tf.loadLayersModel('${name}.json').`);
    }
    return name;
  } catch (err) {
    consolePanel.log('error', `Download failed: ${err.message}`);
    throw err;
  }
}
$('download-keras').addEventListener('click', () => download('keras').catch(() => {}));
$('download-tfjs').addEventListener('click', () => download('tfjs').catch(() => {}));

/** Ask the program to stop; resolves with the final state. */
function stop() {
  const wasRunning = runner.state === 'running';
  return runner.stop().then((state) => {
    if (wasRunning && trained) progressText.textContent += ' · stopped';
    return state;
  });
}

$('run').addEventListener('click', () => run());
$('stop').addEventListener('click', () => stop());
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
    e.preventDefault();
    run();
  }
});

const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
$('run-hint').textContent = isMac ? '⌘↵' : 'Ctrl↵';

window.playground = {
  run,
  stop,
  setBackend: (name) => {
    backendSelect.value = name;
    backendSelect.dispatchEvent(new Event('change'));
  },
  setCode: (code) => editor.setCode(String(code)),
  checkpoints: () => checkpoints.pending(checkpoints.runKey(starterId, editor.getCode())),
  resume: () => run({ resume: true }),
  download,
  checkResume,
  getCode: () => editor.getCode(),
  get state() { return runner.state; },
  chartData: () => chart.data(),
  consoleText: () => consolePanel.text(),
};

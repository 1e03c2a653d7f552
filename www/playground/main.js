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
const edits = new Map(); // unsaved edits per starter, kept while switching

const editor = createEditor($('editor'), {
  doc: findStarter(starterId).code,
  onRun: () => run(),
});

picker.addEventListener('change', () => {
  edits.set(starterId, editor.getCode());
  starterId = picker.value;
  editor.setCode(edits.get(starterId) ?? findStarter(starterId).code);
  editor.focus();
});

$('reset-code').addEventListener('click', () => {
  edits.delete(starterId);
  editor.setCode(findStarter(starterId).code);
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

/** Run the editor's program in a fresh sandbox; resolves with the final state. */
function run() {
  chart.reset();
  boundary.reset();
  consolePanel.clear();
  progressBar.style.width = '0%';
  progressText.textContent = 'starting…';
  fitInfo = { epochs: 1, initialEpoch: 0, batches: 1 };
  trained = false;
  return runner.run(editor.getCode());
}

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
  getCode: () => editor.getCode(),
  get state() { return runner.state; },
  chartData: () => chart.data(),
  consoleText: () => consolePanel.text(),
};

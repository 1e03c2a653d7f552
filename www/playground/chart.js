// Live loss / accuracy chart (uPlot). Loss on the left axis, accuracy (0-1)
// on the right; validation series dashed. Rebuilt only when the set of
// series changes, otherwise updated in place with setData().

import uPlot from 'uplot';

const SERIES = [
  { key: 'loss', label: 'loss', stroke: '#2563eb', scale: 'loss' },
  { key: 'val_loss', label: 'val loss', stroke: '#2563eb', scale: 'loss', dash: [6, 4] },
  { key: 'acc', label: 'acc', stroke: '#ea580c', scale: 'acc' },
  { key: 'val_acc', label: 'val acc', stroke: '#ea580c', scale: 'acc', dash: [6, 4] },
];

const HEIGHT = 210;

/** Read a metric from TF.js-style logs, accepting 'acc' and 'accuracy'. */
function pick(logs, key) {
  const alt = { acc: 'accuracy', val_acc: 'val_accuracy' }[key];
  const v = logs[key] ?? (alt ? logs[alt] : undefined);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** 1-2-5 ticks inside [lo, hi] for a log axis (fewer when the range is wide). */
function logTicks(lo, hi) {
  if (!(lo > 0 && hi > lo)) return [lo];
  const decades = Math.log10(hi / lo);
  const steps = decades > 2.5 ? [1] : decades > 1.2 ? [1, 3] : [1, 2, 5];
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of steps) {
      const t = m * 10 ** e;
      if (t >= lo && t <= hi) out.push(Number(t.toPrecision(3)));
    }
  }
  if (out.length >= 3) return out;
  // Less than a decade: evenly spaced round values read better.
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw);
  const lin = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) lin.push(Number(t.toPrecision(6)));
  return lin;
}

/** Last non-null entry of a series, or null. */
function latest(arr) {
  for (let i = arr.length - 1; i >= 0; i--) if (arr[i] != null) return arr[i];
  return null;
}

const fmtLoss = (v) => (v == null ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
const fmtAcc = (v) => (v == null ? '—' : `${(v * 100).toFixed(1)}%`);

/**
 * Create the training chart inside `container`.
 * @param {HTMLElement} container element the chart (and its legend) fills
 * @returns {{reset(): void, addEpoch(logs: object): void,
 *   data(): {epochs: number[], loss: (number|null)[], acc: (number|null)[],
 *   val_loss: (number|null)[], val_acc: (number|null)[]}}}
 */
export function createChart(container) {
  let store;
  let plot = null;
  let shape = '';
  let pending = 0;
  let shown = []; // series currently plotted
  const empty = document.createElement('div');
  empty.className = 'chart-empty';
  empty.textContent = 'Loss and accuracy appear here, one point per epoch.';

  function reset() {
    cancelAnimationFrame(pending);
    pending = 0;
    store = { epochs: [], loss: [], acc: [], val_loss: [], val_acc: [] };
    if (plot) plot.destroy();
    plot = null;
    shape = '';
    container.replaceChildren(empty);
  }

  function build(active, logScale) {
    if (plot) plot.destroy();
    container.replaceChildren();
    const hasAcc = active.some((s) => s.scale === 'acc');
    const axes = [
      { label: 'epoch', labelSize: 18, size: 36, stroke: '#64748b', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#e2e8f0' } },
      {
        scale: 'loss', label: 'loss', labelSize: 18, size: 52, stroke: '#2563eb', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' },
        ...(logScale ? {
          splits: (u, i, lo, hi) => logTicks(lo, hi),
          filter: (u, splits) => splits,
          values: (u, ticks) => ticks.map((t) => String(Number(t.toPrecision(3)))),
        } : {}),
      },
    ];
    if (hasAcc) {
      axes.push({
        scale: 'acc', side: 1, label: 'accuracy', labelSize: 18, size: 52, stroke: '#ea580c', grid: { show: false },
        ticks: { stroke: '#e2e8f0' }, values: (_, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`),
      });
    }
    const opts = {
      width: Math.max(200, container.clientWidth),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: { x: { time: false }, loss: logScale ? { distr: 3, range: (u, lo, hi) => [lo / 1.25, hi * 1.25] } : { auto: true }, acc: { auto: false, range: [0, 1] } },
      axes,
      series: [
        { label: 'epoch', value: (u, v, si, i) => { const e = i == null ? latest(u.data[0]) : v; return e == null ? '—' : String(e); } },
        ...active.map((s) => ({
          label: s.label, stroke: s.stroke, width: 2, dash: s.dash, scale: s.scale, spanGaps: true,
          points: { show: (u) => u.data[0].length < 40, size: 4 },
          // Without a hovered point the legend shows the latest value.
          value: (u, v, si, i) => {
            const x = i == null ? latest(u.data[si]) : v;
            return s.scale === 'acc' ? fmtAcc(x) : fmtLoss(x);
          },
        })),
      ],
    };
    plot = new uPlot(opts, [store.epochs, ...active.map((s) => store[s.key])], container);
  }

  /**
   * Append one epoch's logs (epoch numbers are 1-based and continue across
   * several fit() calls in one run).
   * @param {object} logs TF.js logs: loss, acc|accuracy, val_loss, val_acc|val_accuracy
   */
  function addEpoch(logs) {
    store.epochs.push(store.epochs.length + 1);
    for (const s of SERIES) store[s.key].push(pick(logs, s.key));
    const active = SERIES.filter((s) => store[s.key].some((v) => v != null));
    if (!active.length) return;
    // Log scale for losses while they are all positive (some losses can go negative).
    const logScale = ['loss', 'val_loss'].every((k) => store[k].every((v) => v == null || v > 0));
    const next = `${active.map((s) => s.key).join(',')}|${logScale}`;
    if (next !== shape || !plot) {
      shape = next;
      shown = active;
      cancelAnimationFrame(pending);
      pending = 0;
      build(active, logScale);
    } else if (!pending) {
      // Coalesce redraws: fast epochs can arrive far quicker than frames.
      pending = requestAnimationFrame(() => {
        pending = 0;
        if (plot) plot.setData([store.epochs, ...shown.map((s) => store[s.key])]);
      });
    }
  }

  const ro = new ResizeObserver(() => {
    if (plot) plot.setSize({ width: Math.max(200, container.clientWidth), height: HEIGHT });
  });
  ro.observe(container);

  reset();
  return {
    reset,
    addEpoch,
    data: () => ({
      epochs: store.epochs.slice(),
      loss: store.loss.slice(),
      acc: store.acc.slice(),
      val_loss: store.val_loss.slice(),
      val_acc: store.val_acc.slice(),
    }),
  };
}

// Canvas view of what the model learned: for 2-D inputs, class regions
// (colour = predicted class, strength = confidence) with the training points
// on top; for 1-D inputs, the data points and the model's fitted curve.

/** Class colours, shared with the CSS legend. */
export const CLASS_COLORS = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#db2777', '#0891b2', '#ca8a04', '#475569'];

const RGB = CLASS_COLORS.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };
const PLACEHOLDER = 'Train a model on 2-D inputs to see its decision regions here (1-D inputs: the fitted curve).';

/** Roughly `count` round tick values covering [lo, hi]. */
function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

const fmtTick = (t) => String(Number(t.toPrecision(4)));

/**
 * Create the prediction view.
 * @param {HTMLCanvasElement} canvas drawing surface (sized by CSS)
 * @param {HTMLElement} caption element that receives a one-line description
 * @returns {{reset(): void, setData(msg: object): void, setPrediction(msg: object): void}}
 */
export function createBoundaryView(canvas, caption) {
  const ctx = canvas.getContext('2d');
  const tile = document.createElement('canvas');
  let data = null; // {kind, range, k, xs, ys}
  let pred = null; // boundary: {k, grid, probs}; curve: {xs, ys}

  function reset() {
    data = null;
    pred = null;
    caption.textContent = '';
    draw();
  }

  /**
   * Show the training data (before any prediction arrives).
   * @param {{kind: 'boundary'|'curve', range: number[], k: number, xs: Float32Array, ys: Float32Array}} msg
   *   xs: points (2 per point for 'boundary'); ys: class index ('boundary') or target value ('curve')
   */
  function setData(msg) {
    data = msg;
    pred = null;
    const n = msg.ys.length;
    caption.textContent = msg.kind === 'boundary'
      ? `Decision regions · ${Math.max(2, msg.k, ...msg.ys.map((c) => c + 1))} classes · ${n} points`
      : `Fitted curve · ${n} points`;
    draw();
  }

  /**
   * Draw the model's latest predictions.
   * @param {object} msg a 'viz' message: {kind:'boundary', k, grid, probs} or {kind:'curve', xs, ys}
   */
  function setPrediction(msg) {
    if (!data || msg.kind !== data.kind) return;
    pred = msg;
    draw();
  }

  function frame() {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return { w, h };
  }

  /** Plot rectangle; `square` keeps one data unit the same length on both axes. */
  function layout(w, h, xr, yr, square) {
    let pw = w - PAD.left - PAD.right;
    let ph = h - PAD.top - PAD.bottom;
    if (square) {
      const s = Math.min(pw / (xr[1] - xr[0]), ph / (yr[1] - yr[0]));
      pw = s * (xr[1] - xr[0]);
      ph = s * (yr[1] - yr[0]);
    }
    const x0 = PAD.left + (w - PAD.left - PAD.right - pw) / 2;
    const y0 = PAD.top + (h - PAD.top - PAD.bottom - ph) / 2;
    return {
      x0, y0, pw, ph,
      sx: (v) => x0 + ((v - xr[0]) / (xr[1] - xr[0])) * pw,
      sy: (v) => y0 + ph - ((v - yr[0]) / (yr[1] - yr[0])) * ph,
    };
  }

  function axes(L, xr, yr) {
    ctx.save();
    ctx.strokeStyle = '#cbd5e1';
    ctx.lineWidth = 1;
    ctx.strokeRect(L.x0 + 0.5, L.y0 + 0.5, L.pw - 1, L.ph - 1);
    ctx.fillStyle = '#64748b';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(xr[0], xr[1], Math.max(2, Math.floor(L.pw / 70)))) {
      ctx.fillText(fmtTick(t), L.sx(t), L.y0 + L.ph + 6);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of niceTicks(yr[0], yr[1], Math.max(2, Math.floor(L.ph / 50)))) {
      ctx.fillText(fmtTick(t), L.x0 - 6, L.sy(t));
    }
    ctx.restore();
  }

  function regions(L) {
    const { grid, k, probs } = pred;
    tile.width = grid;
    tile.height = grid;
    const tctx = tile.getContext('2d');
    const img = tctx.createImageData(grid, grid);
    for (let r = 0; r < grid; r++) {
      for (let c = 0; c < grid; c++) {
        const i = r * grid + c;
        let cls;
        let conf;
        if (k === 1) {
          const p = Math.min(1, Math.max(0, probs[i]));
          cls = p >= 0.5 ? 1 : 0;
          conf = Math.abs(p - 0.5) * 2;
        } else {
          cls = 0;
          for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + cls]) cls = j;
          conf = (probs[i * k + cls] - 1 / k) / (1 - 1 / k);
        }
        const a = 0.12 + 0.38 * Math.min(1, Math.max(0, conf || 0));
        const rgb = RGB[cls % RGB.length];
        const o = ((grid - 1 - r) * grid + c) * 4; // row 0 is the bottom (ymin)
        img.data[o] = 255 + (rgb[0] - 255) * a;
        img.data[o + 1] = 255 + (rgb[1] - 255) * a;
        img.data[o + 2] = 255 + (rgb[2] - 255) * a;
        img.data[o + 3] = 255;
      }
    }
    tctx.putImageData(img, 0, 0);
    ctx.save();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(tile, L.x0, L.y0, L.pw, L.ph);
    ctx.restore();
  }

  function drawBoundary(w, h) {
    const xr = [data.range[0], data.range[1]];
    const yr = [data.range[2], data.range[3]];
    const L = layout(w, h, xr, yr, true);
    if (pred) regions(L);
    axes(L, xr, yr);
    const { xs, ys } = data;
    const r = data.ys.length > 1500 ? 2 : 3;
    ctx.lineWidth = 1;
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    for (let i = 0; i < ys.length; i++) {
      const cls = ys[i]; // class index, computed by the sandbox
      ctx.fillStyle = CLASS_COLORS[cls % CLASS_COLORS.length];
      ctx.beginPath();
      ctx.arc(L.sx(xs[2 * i]), L.sy(xs[2 * i + 1]), r, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    }
  }

  function drawCurve(w, h) {
    const xr = [data.range[0], data.range[1]];
    let lo = Infinity;
    let hi = -Infinity;
    const scan = (arr) => { for (const v of arr) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } };
    scan(data.ys);
    if (pred) scan(pred.ys);
    const pad = (hi - lo) * 0.1 || 1;
    const yr = [lo - pad, hi + pad];
    const L = layout(w, h, xr, yr, false);
    axes(L, xr, yr);
    ctx.save();
    ctx.beginPath();
    ctx.rect(L.x0, L.y0, L.pw, L.ph);
    ctx.clip();
    ctx.fillStyle = 'rgba(37, 99, 235, 0.55)';
    for (let i = 0; i < data.ys.length; i++) {
      ctx.beginPath();
      ctx.arc(L.sx(data.xs[i]), L.sy(data.ys[i]), 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
    if (pred) {
      ctx.strokeStyle = CLASS_COLORS[1];
      ctx.lineWidth = 2.5;
      ctx.lineJoin = 'round';
      ctx.beginPath();
      pred.xs.forEach((x, i) => (i ? ctx.lineTo(L.sx(x), L.sy(pred.ys[i])) : ctx.moveTo(L.sx(x), L.sy(pred.ys[i]))));
      ctx.stroke();
    }
    ctx.restore();
  }

  function draw() {
    const { w, h } = frame();
    if (!w || !h) return;
    if (!data) {
      ctx.fillStyle = '#94a3b8';
      ctx.font = '13px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      wrapText(PLACEHOLDER, w / 2, h / 2, Math.min(w - 40, 320), 18);
      return;
    }
    if (data.kind === 'boundary') drawBoundary(w, h);
    else drawCurve(w, h);
  }

  function wrapText(text, cx, cy, maxWidth, lineHeight) {
    const lines = [];
    let line = '';
    for (const word of text.split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (ctx.measureText(next).width > maxWidth && line) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    lines.push(line);
    lines.forEach((l, i) => ctx.fillText(l, cx, cy + (i - (lines.length - 1) / 2) * lineHeight));
  }

  new ResizeObserver(() => draw()).observe(canvas);
  reset();
  return { reset, setData, setPrediction };
}

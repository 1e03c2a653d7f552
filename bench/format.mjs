// Pure formatting helpers shared by the page (bench.js) and the runner (run.mjs).

function pad(s, w, right) {
  s = String(s);
  return right ? s.padStart(w) : s.padEnd(w);
}

function table(headers, rows, rightAlign = []) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => pad(c, widths[i], rightAlign[i])).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function fmtNum(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  if (typeof x !== 'number') return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
}

export function formatResults(r) {
  const out = [];
  const rt = r.ratios || {};
  const titles = {
    mlp: (m) => `MLP training: ${m.layers}, ${m.loss}, adam lr=${m.learningRate}, batch ${m.batchSize}, ${m.samples} synthetic samples, shuffle=false`,
    cnn: () => 'CNN training: 28x28x1, conv2d 8 3x3 relu - maxPool 2 - conv2d 16 3x3 relu - maxPool 2 - dense 10 softmax, adam, batch 64, shuffle=false',
    lstm: () => 'LSTM training: 32 steps x 8 features, lstm 64 - dense 10 softmax, adam, batch 64, shuffle=false',
  };
  for (const key of ['mlp', 'cnn', 'lstm']) {
    const rows = r[key] || [];
    if (!rows.length) continue;
    const m = (r.config && r.config[key]) || {};
    if (key !== 'mlp') out.push('');
    out.push(titles[key](m));
    const total = Math.max(0, ...rows.map((e) => e.timedSamples || 0)) || null;
    out.push(
      table(
        ['engine', 'samples/s', 'best fit call', 'samples used', 'epochs', 'seconds', 'warm-up s', 'final loss', 'status'],
        rows.map((e) => [
          e.engine,
          fmtNum(e.samplesPerSec, 0),
          fmtNum(e.bestCallSamplesPerSec, 0),
          e.timedSamples ? (total && e.timedSamples !== total ? `${e.timedSamples}/${total}` : String(e.timedSamples)) : '-',
          e.epochs || '-',
          fmtNum(e.seconds, 2),
          fmtNum(e.warmupSeconds, 2),
          fmtNum(e.finalLoss, 4),
          e.status || 'ok',
        ]),
        [false, true, true, true, true, true, true, true, false]
      )
    );
    for (const e of rows) if (e.note) out.push(`  ${e.engine}: ${e.note}`);
    if (rt[key] && Object.keys(rt[key]).length) {
      out.push('');
      for (const [k, v] of Object.entries(rt[key])) out.push(`${key} ratio ${k}: ${fmtNum(v, 2)}x`);
    }
  }
  out.push('');
  out.push('Square f32 matmul (c = a.matMul(b); await c.data()), GFLOP/s = 2n^3*reps/s/1e9, best of up to 3 trials >= ' +
    ((r.config && r.config.matmul && r.config.matmul.minSeconds) || 0.5) + ' s');
  const mm = r.matmul || [];
  const engines = [...new Set(mm.map((e) => e.engine))];
  const sizes = [...new Set(mm.map((e) => e.n))].sort((a, b) => a - b);
  const cell = (eng, n) => {
    const e = mm.find((x) => x.engine === eng && x.n === n);
    if (!e) return '-';
    if (e.status && e.status !== 'ok') return e.status;
    return fmtNum(e.gflops, 2);
  };
  out.push(
    table(
      ['engine', ...sizes.map((n) => `n=${n}`)],
      engines.map((eng) => [eng, ...sizes.map((n) => cell(eng, n))]),
      [false, ...sizes.map(() => true)]
    )
  );
  // Why an engine has no numbers (skipped / n/a), once per engine and reason.
  const seen = new Set();
  for (const e of mm) {
    if (!e.note || (e.status !== 'n/a' && e.status !== 'skipped') || seen.has(e.engine + e.note)) continue;
    seen.add(e.engine + e.note);
    const ns = mm.filter((x) => x.engine === e.engine && x.note === e.note).map((x) => x.n);
    const which = ns.length === sizes.length ? '' : ` (n=${ns.join(', ')})`;
    out.push(`  ${e.engine}${which}: ${e.status === 'n/a' ? e.note : `skipped, ${e.note}`}`);
  }
  if (rt.matmul && Object.keys(rt.matmul).length) {
    out.push('');
    for (const [n, obj] of Object.entries(rt.matmul)) {
      for (const [k, v] of Object.entries(obj)) out.push(`matmul n=${n} ratio ${k}: ${fmtNum(v, 2)}x`);
    }
  }
  if (r.notes && r.notes.length) {
    out.push('');
    out.push('Notes:');
    for (const n of r.notes) out.push(`  - ${n}`);
  }
  if (r.errors && r.errors.length) {
    out.push('');
    out.push('Errors:');
    for (const e of r.errors) out.push(`  - [${e.engine}/${e.stage}] ${e.call ? e.call + ': ' : ''}${e.message}`);
  }
  return out.join('\n');
}

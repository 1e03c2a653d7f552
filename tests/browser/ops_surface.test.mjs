// The ops surface (issue 13): TF.js 4.22 and Hebb loaded in one page, the public members (own
// and inherited, not starting with '_') of the tf namespace, tf.browser, tf.image, tf.math,
// tf.linalg, tf.signal, tf.spectral, tf.sparse, tf.string, tf.fused, tf.util, tf.data, tf.io, a
// Tensor, a Variable and a TensorBuffer, enumerated on both. Every member TF.js has must be in
// Hebb, except the entries of surface/ops_excluded.txt (backend internals, each with its reason)
// and of surface/ops_pending.txt (not done yet: the list issue 13 empties). A pending entry Hebb
// now has fails the test too, so the list only shrinks.
import { test } from 'node:test';
import { useBrowser } from './harness.mjs';
import { checkSurface } from './surface/both.mjs';

const b = useBrowser({ label: 'ops surface' });

test('Hebb has every public op and utility of TF.js 4.22 but the listed internals (and the pending list)', { timeout: 120_000 }, async () => {
  await checkSurface(b, 'ops', 'ops_excluded.txt', 'ops_pending.txt');
});

// hebb.d.ts must type what the module exports: every member of the tf namespace and of its
// namespaces (tf.image, tf.io, tf.layers, ...), read from the page, must be declared there, as a
// function, const, class or namespace (or a property of a declared const's type).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { ROOT } from './harness.mjs';
import { openBoth } from './surface/both.mjs';

function declared() {
  const ts = createRequire(import.meta.url)('typescript');
  const file = path.join(ROOT, 'www/hebb/hebb.d.ts');
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const scopes = { tf: new Set() };
  // A type literal's members; '*' for an index signature ({[name: string]: ...} declares them all).
  const typeMembers = (t) => (t && ts.isTypeLiteralNode(t) ? t.members.map((m) => (ts.isIndexSignatureDeclaration(m) ? '*' : m.name?.getText(src))).filter(Boolean) : []);
  const visit = (stmts, scope, prefix) => {
    for (const st of stmts) {
      if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) {
        if (st.name) scope.add(st.name.text);
      } else if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          scope.add(d.name.getText(src));
          const members = typeMembers(d.type);
          if (members.length) scopes[`${prefix}${d.name.getText(src)}`] = new Set(members);
        }
      } else if (ts.isModuleDeclaration(st) && st.body && ts.isModuleBlock(st.body)) {
        scope.add(st.name.text);
        const inner = new Set();
        scopes[`${prefix}${st.name.text}`] = inner;
        visit(st.body.statements, inner, `${prefix}${st.name.text}.`);
      }
    }
  };
  visit(src.statements, scopes.tf, '');
  return scopes;
}

test('hebb.d.ts declares every member of tf and of its namespaces', { timeout: 120_000 }, async () => {
  const page = await openBoth(b);
  const runtime = await page.evaluate(() => {
    const keys = (o) => Object.keys(o).filter((k) => !k.startsWith('_'));
    const out = { tf: keys(window.tf) };
    for (const k of out.tf) {
      const v = window.tf[k];
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype && k !== 'version') out[k] = keys(v);
    }
    return out;
  });
  const types = declared();
  const missing = [];
  for (const [scope, names] of Object.entries(runtime)) {
    const have = types[scope === 'tf' ? 'tf' : scope];
    for (const n of names) if (!have || !(have.has(n) || have.has('*'))) missing.push(scope === 'tf' ? n : `${scope}.${n}`);
  }
  console.log(`hebb.d.ts: ${Object.values(runtime).reduce((s, v) => s + v.length, 0)} runtime members over ${Object.keys(runtime).length} namespaces, ${missing.length} undeclared`);
  assert.deepEqual(missing, [], `members the module exports that hebb.d.ts does not declare:\n${missing.join('\n')}`);
});

#!/usr/bin/env node
// Builds the playground page's bundle:
//   dist/playground.js  (+ .map)  ESM, CodeMirror 6 + uPlot + playground code
//   dist/playground.css           uPlot's stylesheet + www/playground/style.css
// The sandbox side (www/playground/sandbox.js) is bundled separately as an
// IIFE and embedded as a string (import 'virtual:sandbox') so the runner can
// inline it into the sandboxed iframe's srcdoc.
//
// Usage: node scripts/build-playground.mjs [--dev]   (--dev: no minification)

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dev = process.argv.includes('--dev');
const src = join(root, 'www', 'playground');
const target = ['es2022', 'chrome100', 'firefox100', 'safari15.4'];

async function main() {
  const sandbox = await esbuild.build({
    entryPoints: [join(src, 'sandbox.js')],
    bundle: true,
    format: 'iife',
    minify: !dev,
    target,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const sandboxText = sandbox.outputFiles[0].text;

  const virtualSandbox = {
    name: 'virtual-sandbox',
    setup(build) {
      build.onResolve({ filter: /^virtual:sandbox$/ }, () => ({ path: 'sandbox', namespace: 'playground-virtual' }));
      build.onLoad({ filter: /.*/, namespace: 'playground-virtual' }, () => ({ contents: sandboxText, loader: 'text' }));
    },
  };

  const result = await esbuild.build({
    entryPoints: [join(src, 'main.js')],
    outfile: join(root, 'dist', 'playground.js'),
    bundle: true,
    format: 'esm',
    minify: !dev,
    sourcemap: 'linked',
    target,
    plugins: [virtualSandbox],
    metafile: true,
    logLevel: 'warning',
  });

  const outputs = Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .map(([file, info]) => `${file.replace(/^.*dist\//, 'dist/')} ${(info.bytes / 1024).toFixed(1)} KiB`);
  console.log(`playground: built ${outputs.join(', ')} (sandbox ${(sandboxText.length / 1024).toFixed(1)} KiB)`);
}

main().catch((err) => {
  console.error(err && err.message ? err.message : err);
  process.exit(1);
});

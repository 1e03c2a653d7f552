#!/usr/bin/env bash
# Builds the engine to WebAssembly and bundles the JS API and the playground into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo build (wasm32, release, simd128)"
cargo build --release --target wasm32-unknown-unknown --lib

echo "==> wasm-bindgen"
mkdir -p target/bindgen dist
wasm-bindgen --target web --out-dir target/bindgen --out-name hebb_engine \
  target/wasm32-unknown-unknown/release/hebb.wasm
# A way to start a fresh instance of the same module after one trapped (the JS side's last line
# of defence, see www/hebb/engine.js): the glue keeps its instance in module scope.
grep -q '__wbg_finalize_init(instance, module)' target/bindgen/hebb_engine.js || { echo "wasm-bindgen glue changed: no __wbg_finalize_init"; exit 1; }
cat >> target/bindgen/hebb_engine.js <<'GLUE'

/** Hebb: replaces a trapped instance with a fresh one of the same module (its state is gone). */
export function __hebb_restart() {
    const module = wasmModule;
    wasm = undefined;
    return initSync({ module });
}
GLUE

echo "==> wasm-opt"
npx --no-install wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  target/bindgen/hebb_engine_bg.wasm -o dist/hebb_bg.wasm

echo "==> bundle dist/hebb.js"
npx --no-install esbuild www/hebb/index.js --bundle --format=esm --target=es2022 \
  --outfile=dist/hebb.js --log-level=warning
npx --no-install esbuild www/hebb/h5.js --bundle --format=esm --target=es2022 --charset=utf8 --outfile=dist/hebb_h5.js --log-level=warning
cp www/hebb/hebb.d.ts dist/hebb.d.ts

if [ -f scripts/build-playground.mjs ]; then
  echo "==> playground"
  node scripts/build-playground.mjs
fi
ls -l dist/hebb.js dist/hebb_bg.wasm

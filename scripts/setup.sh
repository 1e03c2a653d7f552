#!/usr/bin/env bash
# Installs what Hebb's build and tests need, skipping whatever is already there. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_wb=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)

echo "==> wasm32 target"
if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  rustup target add wasm32-unknown-unknown
fi

echo "==> wasm-bindgen-cli $need_wb"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$need_wb" ]; then
  # No --locked: a dependency pinned in the CLI's own lockfile is missing from the registry mirror.
  cargo install wasm-bindgen-cli --version "$need_wb"
fi

echo "==> npm packages"
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Debian packages for the browser tests and the native GPU tests.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then missing+=(mesa-vulkan-drivers libvulkan1); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif [ -z "${CHROME_PATH:-}" ]; then
    echo "Missing: ${missing[*]}. Install them (Debian: apt-get install ${missing[*]}) or set CHROME_PATH to a Chromium binary." >&2
  fi
fi
echo "==> Python venv with Keras 3 (the .keras round-trip test and the fixture scripts)"
# Keras 3 on JAX's CPU build: about a minute from the package registry, once.
if ! KERAS_BACKEND=jax .venv/bin/python -c "import keras, jax, h5py" >/dev/null 2>&1; then
  python3 -m venv .venv
  .venv/bin/pip install -q "keras==3.15.1" "jax[cpu]==0.10.2" "h5py==3.16.0"
fi
echo "==> setup done"

#!/usr/bin/env bash
# Every test: native cargo tests (golden values, gradient checks, SIMD vs the scalar oracle,
# Keras references, training), then the WebAssembly build and the browser tests in headless
# Chromium through the public API. Prints one closing line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
mkdir -p test-artifacts
fail=0
pass_total=0
fail_total=0

count() { # $1: log file; adds "test result: ok. N passed; M failed" and node's "# pass N"/"# fail N"
  local p f
  p=$(grep -Eo 'test result: .* ([0-9]+) passed' "$1" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '([0-9]+) failed' "$1" | awk '{s+=$1} END {print s+0}')
  local np nf
  np=$(grep -E '^# pass [0-9]+' "$1" | awk '{s+=$3} END {print s+0}')
  nf=$(grep -E '^# fail [0-9]+' "$1" | awk '{s+=$3} END {print s+0}')
  pass_total=$((pass_total + p + np))
  fail_total=$((fail_total + f + nf))
}

# Mesa's lavapipe (the Vulkan adapter the WGSL kernel tests run on) wants a private runtime dir.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/hebb-xdg-$(id -u)"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi

echo "==> cargo test (native; WGSL kernels on the Vulkan adapter)"
# The GPU tests fail, rather than pass unchecked, when no adapter opens (setup installs lavapipe);
# each one that ran on a device is logged, and counted below.
export HEBB_REQUIRE_GPU="${HEBB_REQUIRE_GPU:-1}"
export HEBB_GPU_LOG="$PWD/test-artifacts/gpu-tests.log"
rm -f "$HEBB_GPU_LOG"
cargo test 2>&1 | tee test-artifacts/cargo-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
count test-artifacts/cargo-test.log
if [ -f "$HEBB_GPU_LOG" ]; then
  echo "GPU: $(cut -f1,2 "$HEBB_GPU_LOG" | sort -u | wc -l) native tests ran on the GPU ($(cut -f3 "$HEBB_GPU_LOG" | sort -u | paste -sd, -))"
else
  echo "GPU: no native test ran on the GPU"
fi

echo "==> build (wasm + JS + playground)"
if ! bash scripts/build.sh; then
  echo "build failed"
  echo "$pass_total passed, $((fail_total + 1)) failed"
  exit 1
fi

echo "==> TypeScript declarations (tsc on a TF.js-style program)"
if npx --no-install tsc -p tests/types/tsconfig.json; then
  echo "types: ok"
  pass_total=$((pass_total + 1))
else
  echo "types: FAILED"
  fail_total=$((fail_total + 1))
  fail=1
fi

echo "==> browser tests (headless Chromium)"
node --test --test-concurrency=1 tests/browser/ 2>&1 | tee test-artifacts/browser-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
count test-artifacts/browser-test.log

echo "$pass_total passed, $fail_total failed"
exit $fail

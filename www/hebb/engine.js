// Loads the WebAssembly engine once. The module's top-level await means `import * as tf from
// 'hebb'` resolves only when the engine is ready. A sandboxed page (opaque origin, no CORS) can
// hand the bytes in instead: set globalThis.HEBB_WASM to an ArrayBuffer, Uint8Array or
// WebAssembly.Module before importing.
import init, * as engine from '../../target/bindgen/hebb_engine.js';

const source = globalThis.HEBB_WASM ?? new URL('./hebb_bg.wasm', import.meta.url);
await init({ module_or_path: source });

/** Prints the engine's messages for the user (a lost GPU device), each once. */
export function flushWarnings() {
  for (const w of engine.take_warnings()) console.warn(w);
}

/** Opens WebGPU; resolves to the adapter's name, or null (after saying why, once). */
let gpuTried = null;
export function openGpu() {
  gpuTried ??= (async () => {
    if (!globalThis.navigator?.gpu) {
      console.warn('Hebb: this browser has no WebGPU (navigator.gpu); running on the CPU (SIMD WebAssembly).');
      return null;
    }
    try {
      return await engine.gpu_init(0);
    } catch (e) {
      console.warn(`Hebb: WebGPU could not start (${e.message ?? e}); running on the CPU (SIMD WebAssembly).`);
      return null;
    }
  })();
  return gpuTried;
}

// WebGPU is the default wherever the browser gives an adapter (set globalThis.HEBB_BACKEND =
// 'cpu' before importing to start on the CPU without asking for one).
if (globalThis.HEBB_BACKEND !== 'cpu' && (await openGpu()) !== null) engine.set_backend('webgpu');

/** Resolves when the GPU delivers a read (or after a short while, whichever is first). */
export function gpuWait() {
  return Promise.race([engine.gpu_wait(), new Promise((r) => setTimeout(r, 50))]);
}

export { engine };

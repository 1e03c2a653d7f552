// Loads the WebAssembly engine once. The module's top-level await means `import * as tf from
// 'hebb'` resolves only when the engine is ready. A sandboxed page (opaque origin, no CORS) can
// hand the bytes in instead: set globalThis.HEBB_WASM to an ArrayBuffer, Uint8Array or
// WebAssembly.Module before importing.
import init, * as raw from '../../target/bindgen/hebb_engine.js';

const source = globalThis.HEBB_WASM ?? new URL('./hebb_bg.wasm', import.meta.url);
let exports = await init({ module_or_path: source });
/** The engine instance's WebAssembly memory, in bytes (it grows, never shrinks). */
export function wasmBytes() { return exports.memory.buffer.byteLength; }

// Model weights that a custom loop on the GPU updated reach the model when it is next used
// (see layer_weights.js): every engine call that reads or writes a model's weights runs this
// hook first. Calls that only build models or read their structure, and model.apply inside the
// loop (which reads the loop's variables themselves), do not.
let beforeModelUse = null;
export function _onModelUse(f) { beforeModelUse = f; }
const STRUCTURE_ONLY = new Set(['model_apply', 'model_new', 'model_new_functional', 'model_dispose', 'model_add', 'model_add_custom_trace', 'model_use_shapes', 'model_output_shapes', 'model_summary', 'model_count_params', 'model_metric_keys']);
// The last line of defence: a bug that traps the WebAssembly instance (a Rust panic aborts it)
// would otherwise leave every later call failing. The call that trapped throws an Error that says
// so; a fresh instance of the module takes over at once, numbering its handles past the old ones'
// (tensors and models made before are gone, and say so when used), and WebGPU is opened again.
let generation = 0;
// The backend the program chose, restored on a fresh engine.
let backendWanted = 'cpu';
/** How many times the engine has been restarted after a trap (tensors record it). */
export function engineGeneration() { return generation; }
function restart(name, e) {
  generation++;
  exports = raw.__hebb_restart();
  raw.engine_number_from(((generation % 255) + 1) * 2 ** 24);
  gpuTried = null;
  if (backendWanted === 'webgpu') openGpu().then((adapter) => { if (adapter !== null && backendWanted === 'webgpu') raw.set_backend('webgpu'); });
  return new Error(`Hebb: the engine stopped (${e.message} in ${name}); tensors and models made before this are gone. The next call runs on a fresh engine.`);
}
const engine = {};
for (const [name, f] of Object.entries(raw)) {
  if (typeof f !== 'function' || name.startsWith('__')) continue;
  const usesWeights = (name.startsWith('model_') || name === 'fit_begin') && !STRUCTURE_ONLY.has(name);
  engine[name] = (...args) => {
    try {
      if (usesWeights) beforeModelUse?.();
      const out = f(...args);
      if (name === 'set_backend') backendWanted = args[0];
      return out;
    } catch (e) {
      throw e instanceof WebAssembly.RuntimeError ? restart(name, e) : e;
    }
  };
}

/** Prints the engine's messages for the user (a lost GPU device), each once. */
export function flushWarnings() {
  for (const w of raw.take_warnings()) console.warn(w);
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
      return await raw.gpu_init(0);
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
  return Promise.race([raw.gpu_wait(), new Promise((r) => setTimeout(r, 50))]);
}

export { engine };

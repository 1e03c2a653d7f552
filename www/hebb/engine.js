// Loads the WebAssembly engine once. The module's top-level await means `import * as tf from
// 'hebb'` resolves only when the engine is ready. A sandboxed page (opaque origin, no CORS) can
// hand the bytes in instead: set globalThis.HEBB_WASM to an ArrayBuffer, Uint8Array or
// WebAssembly.Module before importing.
import init, * as engine from '../../target/bindgen/hebb_engine.js';

const source = globalThis.HEBB_WASM ?? new URL('./hebb_bg.wasm', import.meta.url);
await init({ module_or_path: source });

export { engine };

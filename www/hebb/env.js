// TF.js's environment and engine handles as far as user code reads them: tf.env() flags,
// enableProdMode/enableDebugMode, tf.engine() scopes and registered variables, tf.time and
// tf.profile.
import { engine as wasm } from './engine.js';
import { tidy, keep, dispose, memory, _startScope as startScope, _endScope as endScope } from './tensor.js';
import { registeredVariables, disposeVariables } from './grad.js';
import { now } from './util.js';

const DEFAULTS = { IS_BROWSER: typeof window !== 'undefined', IS_NODE: false, DEBUG: false, PROD: false, IS_TEST: false };

/** TF.js's Environment: named flags (Hebb reads PROD and DEBUG; others are kept for the program). */
class Environment {
  constructor() {
    this.flags = { ...DEFAULTS };
    this.platformName = 'browser';
  }
  get features() { return this.flags; }
  get(name) {
    if (!(name in this.flags)) throw new Error(`Cannot evaluate flag '${name}': no evaluation function found.`);
    return this.flags[name];
  }
  getBool(name) { return this.get(name); }
  getNumber(name) { return this.get(name); }
  getString(name) { return this.get(name); }
  getFlags() { return { ...this.flags }; }
  set(name, value) { this.flags[name] = value; }
  setFlags(flags) { Object.assign(this.flags, flags); }
  reset() { this.flags = { ...DEFAULTS }; }
  registerFlag(name, evaluationFn) { if (!(name in this.flags)) this.flags[name] = evaluationFn(); }
}

const ENV = new Environment();
/** tf.env(): the environment's flags. */
export function env() { return ENV; }
/** Turns off the debug checks (Hebb's checks run regardless: they are what keep the engine safe). */
export function enableProdMode() { ENV.set('PROD', true); }
/** Turns on debug mode (TF.js then checks every op's output for NaN; Hebb's errors already name the op). */
export function enableDebugMode() { ENV.set('DEBUG', true); }

/** tf.engine(): scopes opened by hand, the registered variables, memory. */
const ENGINE = {
  startScope(name) { startScope(name); },
  endScope(result) { endScope(result); },
  get registeredVariables() { return registeredVariables(); },
  memory,
  tidy,
  keep,
  dispose,
  disposeVariables,
  get backendName() { return wasm.get_backend(); },
};
export function engine() { return ENGINE; }

/**
 * tf.time(f): runs f and resolves to {wallMs, kernelMs}. Hebb's ops run inside f, so the time in
 * its kernels is f's wall time.
 */
export async function time(f) {
  const t0 = now();
  f();
  const wallMs = now() - t0;
  return { wallMs, kernelMs: wallMs };
}

/**
 * tf.profile(f): runs f (awaited) and resolves to {newBytes, newTensors, peakBytes, kernels,
 * kernelNames, result}. Hebb does not record its ops one by one: kernels and kernelNames are empty.
 */
export async function profile(f) {
  const before = memory();
  const result = await f();
  const after = memory();
  return {
    newBytes: after.numBytes - before.numBytes,
    newTensors: after.numTensors - before.numTensors,
    peakBytes: Math.max(before.numBytes, after.numBytes),
    kernels: [],
    kernelNames: [],
    result,
  };
}

export { disposeVariables };

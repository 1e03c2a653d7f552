// TF.js's environment and engine handles as far as user code reads them: tf.env() flags,
// enableProdMode/enableDebugMode, tf.engine() scopes and registered variables, tf.time and
// tf.profile.
import { engine as wasm } from './engine.js';
import { tidy, keep, dispose, memory, _startScope as startScope, _endScope as endScope } from './tensor.js';
import { registeredVariables, disposeVariables } from './grad.js';
import { now } from './util.js';

const DEFAULTS = { IS_BROWSER: typeof window !== 'undefined', IS_NODE: false, DEBUG: false, PROD: false, IS_TEST: false, DEPRECATION_WARNINGS_ENABLED: true };

/** TF.js's Environment: named flags (Hebb reads PROD and DEBUG; others are kept for the program). */
export class Environment {
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

export const ENV = new Environment();
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

/** tf.deprecationWarn(message): warns once per call unless deprecation warnings are disabled. */
export function deprecationWarn(message) {
  if (ENV.getBool('DEPRECATION_WARNINGS_ENABLED')) console.warn(`${message} You can disable deprecation warnings with tf.disableDeprecationWarnings().`);
}
/** tf.disableDeprecationWarnings() */
export function disableDeprecationWarnings() {
  ENV.set('DEPRECATION_WARNINGS_ENABLED', false);
  console.warn('TensorFlow.js deprecation warnings have been disabled.');
}

/** TF.js's Rank names. */
export const Rank = Object.freeze({ R0: 'R0', R1: 'R1', R2: 'R2', R3: 'R3', R4: 'R4', R5: 'R5', R6: 'R6' });

/** tf.print(x, verbose = false): x.toString() on the console. */
export function print(x, verbose = false) { x.print(verbose); }

/**
 * tf.op({name: f}): f as an op: the tensors it makes along the way are freed when it returns
 * (as tidy), and the function is named after the op.
 */
export function op(f) {
  const keys = f && typeof f === 'object' ? Object.keys(f) : [];
  if (keys.length !== 1) throw new Error(`Please provide an object with a single key (operation name) mapping to a function. Got an object with ${keys.length} keys.`);
  const name = `${keys[0].replace(/_$/, '')}__op`;
  const fn = f[keys[0]];
  if (typeof fn !== 'function') throw new Error(`op: the value of '${keys[0]}' must be a function, received ${typeof fn}`);
  const wrapped = (...args) => {
    startScope(name);
    let result = null;
    try {
      result = fn(...args);
      if (result && typeof result.then === 'function') console.error('Cannot return a Promise inside of tidy.');
      return result;
    } finally {
      endScope(result);
    }
  };
  Object.defineProperty(wrapped, 'name', { value: name, configurable: true });
  return wrapped;
}

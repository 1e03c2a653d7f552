// One engine op call from JS: tensors by handle, numbers and arrays converted (and freed after),
// attributes as JSON. Shared by every op module.
import { engine } from './engine.js';
import { Tensor, tensor, wrap } from './tensor.js';

/** Ops on complex64 tensors, by op name (complex.js registers them). */
const complexOps = {};
export function registerComplexOps(ops) { Object.assign(complexOps, ops); }

export function runOp(name, inputs, attrs) {
  if (inputs.some((x) => x instanceof Tensor && x.dtype === 'complex64')) {
    const f = complexOps[name];
    if (!f) throw new Error(`${name}: complex64 tensors are not supported here; Hebb's complex64 ops are ${Object.keys(complexOps).join(', ')}, tf.complex, real, imag, clone and tf.spectral`);
    return f(inputs, attrs ?? {});
  }
  const temps = [];
  const ids = inputs.map((x) => {
    if (x instanceof Tensor) return x._live();
    if (x === undefined || x === null) throw new Error(`${name}: received ${x} where a tensor was expected`);
    const t = tensor(x);
    temps.push(t);
    return t.id;
  });
  try {
    return wrap(engine.op(name, Uint32Array.from(ids), attrs ? JSON.stringify(attrs) : ''));
  } finally {
    temps.forEach((t) => t.dispose());
  }
}

/** Runs `f` on `xs` as tensors (numbers and arrays converted, and freed after). */
export function withTensors(name, xs, f) {
  const temps = [];
  try {
    return f(...xs.map((x) => {
      if (x instanceof Tensor) return x;
      if (x === null || x === undefined) throw new Error(`${name}: received ${x} where a tensor was expected`);
      const t = tensor(x);
      temps.push(t);
      return t;
    }));
  } finally {
    temps.forEach((t) => t.dispose());
  }
}

// One engine op call from JS: tensors by handle, numbers and arrays converted (and freed after),
// attributes as JSON. Shared by every op module.
import { engine } from './engine.js';
import { Tensor, tensor, wrap } from './tensor.js';

/** Ops on the dtypes the engine does not hold (complex64: complex.js; string: strings.js), by op name. */
const dtypeOps = { complex64: {}, string: {} };
const dtypeMore = { complex64: 'tf.complex, real, imag, clone and tf.spectral', string: 'clone and tf.string' };
export function registerDtypeOps(dtype, ops) { Object.assign(dtypeOps[dtype], ops); }

export function runOp(name, inputs, attrs) {
  const special = inputs.find((x) => x instanceof Tensor && dtypeOps[x.dtype] !== undefined);
  if (special) {
    const dtype = special.dtype;
    const f = dtypeOps[dtype][name];
    if (!f) throw new Error(`${name}: ${dtype} tensors are not supported here; Hebb's ${dtype} ops are ${[...Object.keys(dtypeOps[dtype]), dtypeMore[dtype]].join(', ')}`);
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

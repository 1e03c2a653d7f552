// One engine op call from JS: tensors by handle, numbers and arrays converted (and freed after),
// attributes as JSON. Shared by every op module.
import { engine } from './engine.js';
import { Tensor, tensor, wrap } from './tensor.js';

export function runOp(name, inputs, attrs) {
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

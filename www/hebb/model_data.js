// How a LayersModel's inputs and targets reach the engine: checked, packed side by side in one
// [n, total] tensor when there are several, the layers built for free dims' sizes first; and
// predictions unpacked into one tensor per output. Defined on LayersModel.prototype.
import { engine } from './engine.js';
import { Tensor, tidy } from './tensor.js';
import { concat, reshape, cast, slice } from './ops.js';
import { SymbolicTensor } from './layers.js';
import { LayersModel } from './models.js';

const fmtShape = (s) => JSON.stringify(s);

class DataMembers {
  /** Whether an input leaves a dim after the batch null (a free number of steps). */
  get _hasFreeDims() { return this.inputs.some((s) => s.shape.slice(1).some((d) => d == null)); }

  /** The outputs' shapes as the layers are built now: free dims take the last run's sizes. */
  get _runOutputShapes() {
    if (!this._hasFreeDims) return this._outputShapes;
    return JSON.parse(engine.model_output_shapes(this._id)).map((s) => [null, ...s]);
  }

  /** Builds the layers for the inputs' shapes (once per shape; see the engine's model/shapes.rs). */
  _useShapes(list) {
    if (this._hasFreeDims) engine.model_use_shapes(this._id, JSON.stringify(list.map((t) => t.shape.slice(1))));
  }

  /** The model's inputs as one tensor: several are packed side by side as [n, total]. */
  _xOf(x, op, temps) {
    const n = this.inputs.length;
    let list;
    if (x instanceof Tensor) list = [x];
    else if (Array.isArray(x)) list = x;
    else if (x && typeof x === 'object' && !(x instanceof SymbolicTensor)) {
      list = this.inputNames.map((nm) => {
        if (!(nm in x)) throw new Error(`${op}: x has no tensor for the input '${nm}' (keys: ${Object.keys(x).join(', ')})`);
        return x[nm];
      });
    } else throw new Error(`${op}: x must be a Tensor${n > 1 ? `, an array of ${n} Tensors or an object keyed by input name (${this.inputNames.join(', ')})` : ''}, received ${x}`);
    if (list.length !== n) throw new Error(`${op}: the model has ${n} input${n > 1 ? 's' : ''} (${this.inputNames.join(', ')}), received ${list.length} tensor${list.length === 1 ? '' : 's'}`);
    list.forEach((t, i) => this._checkTensor(op, n === 1 ? 'x' : `x[${i}]`, t));
    this._useShapes(list);
    if (n === 1) return list[0];
    list.forEach((t, i) => {
      const want = this.inputs[i].shape;
      if (t.rank !== want.length || t.shape.slice(1).some((d, k) => want[k + 1] != null && d !== want[k + 1])) {
        throw new Error(`${op}: input '${this.inputNames[i]}' expects shape ${fmtShape(want)}, received x[${i}] of shape ${fmtShape(t.shape)}`);
      }
      if (t.shape[0] !== list[0].shape[0]) {
        throw new Error(`${op}: every input needs the same number of samples, received x[0] with ${list[0].shape[0]} and x[${i}] with ${t.shape[0]}`);
      }
    });
    const packed = tidy(() => concat(list.map((t) => reshape(cast(t, 'float32'), [t.shape[0], t.size / Math.max(1, t.shape[0])])), 1));
    temps.push(packed);
    return packed;
  }

  /** The targets, one per output (labels of shape [n] read as [n, 1] for [null, 1] outputs). */
  _ysOf(y, op, temps) {
    const n = this.outputs.length;
    let list;
    if (y instanceof Tensor) list = [y];
    else if (Array.isArray(y)) list = y;
    else if (y && typeof y === 'object') {
      list = this.outputNames.map((nm) => {
        if (!(nm in y)) throw new Error(`${op}: y has no tensor for the output '${nm}' (keys: ${Object.keys(y).join(', ')})`);
        return y[nm];
      });
    } else throw new Error(`${op}: y must be a Tensor${n > 1 ? `, an array of ${n} Tensors or an object keyed by output name (${this.outputNames.join(', ')})` : ''}, received ${y}`);
    if (list.length !== n) throw new Error(`${op}: the model has ${n} output${n > 1 ? 's' : ''} (${this.outputNames.join(', ')}), received ${list.length} target tensor${list.length === 1 ? '' : 's'}`);
    return list.map((t, j) => {
      this._checkTensor(op, n === 1 ? 'y' : `y[${j}]`, t);
      const out = this._outputShapes[j];
      if (t.rank !== 1 || !out || out.length !== 2 || out[1] !== 1) return t;
      const r = t.reshape([-1, 1]);
      temps.push(r);
      return r;
    });
  }

  /** Several outputs' targets packed side by side; the engine learns their shapes first. */
  _packY(ys, op, temps) {
    if (ys.length === 1) return ys[0];
    ys.forEach((t, j) => {
      if (t.shape[0] !== ys[0].shape[0]) throw new Error(`${op}: every target needs the same number of samples, received y[0] with ${ys[0].shape[0]} and y[${j}] with ${t.shape[0]}`);
    });
    engine.model_set_y_layout(this._id, JSON.stringify(ys.map((t) => [t.shape.slice(1), t.dtype])));
    const packed = tidy(() => concat(ys.map((t) => reshape(cast(t, 'float32'), [t.shape[0], t.size / Math.max(1, t.shape[0])])), 1));
    temps.push(packed);
    return packed;
  }

  /** Splits a packed [n, total] prediction into one tensor per output. */
  _unpackOutputs(packed) {
    const shapes = this._runOutputShapes;
    if (shapes.length === 1) return packed;
    const n = packed.shape[0];
    let off = 0;
    const out = shapes.map((s) => {
      const feat = s.slice(1);
      const size = feat.reduce((a, b) => a * b, 1);
      const part = tidy(() => reshape(slice(packed, [0, off], [n, size]), [n, ...feat]));
      off += size;
      return part;
    });
    packed.dispose();
    return out;
  }

  _checkTensor(op, name, t) {
    if (!(t instanceof Tensor)) {
      throw new Error(`${op}: ${name} must be a Tensor, received ${Array.isArray(t) ? 'an array (multiple inputs need tf.model)' : String(t)}`);
    }
    if (t.isDisposed) throw new Error(`${op}: ${name} has been disposed`);
  }
}

for (const key of Object.getOwnPropertyNames(DataMembers.prototype)) {
  if (key === 'constructor') continue;
  Object.defineProperty(LayersModel.prototype, key, { ...Object.getOwnPropertyDescriptor(DataMembers.prototype, key), enumerable: false });
}

// A custom layer's call (class MyLayer extends tf.layers.Layer) as the engine runs it: traced
// once on placeholders for its inputs and weights (at a stand-in size for null dims, and per batch
// size when it reads the batch), then replayed in every planned step. Defined on Layer.prototype.
import { engine } from './engine.js';
import { Tensor, tidy, wrap } from './tensor.js';
import { Layer } from './layers.js';

/** The sizes a null dim takes while shapes are inferred (the engine's free::STAND_IN, PROBE). */
const FREE_STAND_IN = 64;
const FREE_PROBE = 96;

/** Whether input shapes fit those a layer was built for, null there matching any size. */
function fitsBuilt(shapes, built) {
  return Array.isArray(built) && shapes.length === built.length
    && shapes.every((sh, i) => sh.length === built[i].length && sh.every((d, k) => built[i][k] === null || d === built[i][k]));
}

class CustomMembers {
  /** Builds (first use) and traces the custom layer's call for inputs of these feature shapes. */
  _customSpec(shapes, dtypes = []) {
    const key = JSON.stringify(shapes);
    if (this._traces.has(key)) return this._traces.get(key);
    const owner = `${this.className} '${this.name}'`;
    const fmt = (v) => v.map((sh) => JSON.stringify([null, ...sh])).join(', ');
    if (!this.built) {
      this._weightSpecs = [];
      this.build(shapes.length === 1 ? [null, ...shapes[0]] : shapes.map((sh) => [null, ...sh]));
      this.built = true;
      this._builtFor = shapes;
    } else if (JSON.stringify(this._builtFor) !== key && !fitsBuilt(shapes, this._builtFor)) {
      throw new Error(`${owner}: the layer was built for input shape ${fmt(this._builtFor)}, received ${fmt(shapes)}`);
    }
    const n = shapes.length;
    // Null dims (a free number of steps) are recorded at a stand-in size; the engine replays the
    // recording at the sizes runs bring.
    const filled = (size) => shapes.map((sh) => sh.map((d) => d ?? size));
    const trace = (batch, size = FREE_STAND_IN) => {
      const args = [...filled(size).map((sh, i) => [[batch, ...sh], dtypes[i] ?? 'float32']), ...this._weightSpecs.map((w) => [w.shape, 'float32'])];
      const ph = engine.trace_begin(JSON.stringify(args), undefined);
      let id = null;
      let out = null;
      try {
        tidy(() => {
          const all = Array.from(ph).map((h) => wrap(h));
          this._tracing = all.slice(n);
          const res = this.call(n === 1 ? all[0] : all.slice(0, n), {});
          const r = Array.isArray(res) && res.length === 1 ? res[0] : res;
          if (!(r instanceof Tensor)) throw new TypeError(`call() must return one Tensor, received ${Array.isArray(res) ? `${res.length} values` : res}`);
          out = r.shape.slice(1);
          id = engine.trace_end(r.id);
        });
      } catch (e) {
        try { engine.trace_end(undefined); } catch { /* closed either way */ }
        throw new Error(`${owner}: call() failed on inputs of shape ${fmt(shapes)}: ${e.message}`);
      } finally {
        this._tracing = null;
      }
      return { id, out };
    };
    const a = trace(5);
    const b = trace(7);
    const spec = { traced: a.id, inputs: filled(FREE_STAND_IN), output: a.out, weights: this._weightSpecs.map((w) => ({ ...w })) };
    if (shapes.some((sh) => sh.includes(null))) {
      // The output dims that follow a null input dim are null too (as the engine infers them).
      const c = trace(5, FREE_PROBE);
      engine.traced_drop(c.id);
      Object.defineProperty(spec, 'shown', { value: a.out.map((d, i) => (d === c.out[i] ? d : null)), enumerable: false });
    }
    if (engine.traced_same(a.id, b.id)) {
      engine.traced_drop(b.id);
    } else {
      // The call depends on the batch size (a VAE's sampling layer draws noise of shape
      // [x.shape[0], dim]): it is recorded for each batch size a run uses (see
      // LayersModel._prepareBatches), as TF.js runs it afresh for each batch.
      if (JSON.stringify(a.out) !== JSON.stringify(b.out)) {
        engine.traced_drop(a.id);
        engine.traced_drop(b.id);
        throw new Error(`${owner}: call() gives outputs of feature shape ${JSON.stringify(a.out)} for a batch of 5 and ${JSON.stringify(b.out)} for 7; only the batch dimension may depend on the batch size`);
      }
      spec.byBatch = { 5: a.id, 7: b.id };
      Object.defineProperty(spec, 'record', { value: (batch) => trace(batch).id, enumerable: false });
    }
    this._traces.set(key, spec);
    return spec;
  }
}

for (const key of Object.getOwnPropertyNames(CustomMembers.prototype)) {
  if (key === 'constructor') continue;
  Object.defineProperty(Layer.prototype, key, { ...Object.getOwnPropertyDescriptor(CustomMembers.prototype, key), enumerable: false });
}

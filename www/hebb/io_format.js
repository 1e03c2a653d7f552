// tf.io's formats: weight bytes (TF.js's little-endian layout, quantized weights included) and
// the artifacts' info. Used by io.js (model.json, files, HTTP) and io_storage.js (the browser's
// stores).

const BYTES = { float32: 4, int32: 4, bool: 1 };
const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 };

// ---- weights ----

/** Joins an ArrayBuffer, an array of them, or a typed array into one ArrayBuffer. */
export function joinBuffers(data) {
  if (data == null) return new ArrayBuffer(0);
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  if (Array.isArray(data)) {
    if (data.length === 1 && data[0] instanceof ArrayBuffer) return data[0];
    const parts = data.map((d) => new Uint8Array(joinBuffers(d)));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out.buffer;
  }
  throw new Error(`weightData must be an ArrayBuffer or an array of ArrayBuffers, received ${describe(data)}`);
}

/**
 * Packs weights into TF.js's binary layout.
 * @param {{name: string, shape: number[], dtype?: 'float32'|'int32', data: Float32Array|Int32Array|number[]}[]} list
 * @returns {{weightSpecs: {name: string, shape: number[], dtype: string}[], weightData: ArrayBuffer}}
 */
export function encodeWeights(list) {
  if (!Array.isArray(list)) throw new Error(`encodeWeights: expected an array of {name, shape, dtype, data}, received ${describe(list)}`);
  const weightSpecs = [];
  const arrays = [];
  for (const w of list) {
    const dtype = w.dtype ?? (w.data instanceof Int32Array ? 'int32' : 'float32');
    if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`encodeWeights: weight '${w.name}' has dtype '${dtype}'; expected 'float32' or 'int32'`);
    const size = shapeSize(w.shape);
    if (size < 0) throw new Error(`encodeWeights: weight '${w.name}' has an invalid shape ${JSON.stringify(w.shape)}`);
    const data = dtype === 'int32' ? Int32Array.from(w.data ?? []) : Float32Array.from(w.data ?? []);
    if (data.length !== size) {
      throw new Error(`encodeWeights: weight '${w.name}' of shape [${w.shape}] needs ${size} values, received ${data.length}`);
    }
    weightSpecs.push({ name: w.name, shape: w.shape.slice(), dtype });
    arrays.push(data);
  }
  return { weightSpecs, weightData: joinBuffers(arrays.map((a) => a.buffer)) };
}

/**
 * Unpacks weights: float32, int32 and bool, and the converter's quantized forms (uint8/uint16
 * with scale and min, float16). Each entry keeps its spec's `group` when there is one (TF.js marks
 * optimizer state with group 'optimizer').
 * @param {ArrayBuffer|ArrayBuffer[]} weightData
 * @param {object[]} weightSpecs
 * @returns {{name: string, shape: number[], dtype: string, data: Float32Array|Int32Array|Uint8Array, group?: string}[]}
 */
export function decodeWeights(weightData, weightSpecs) {
  if (!Array.isArray(weightSpecs)) throw new Error(`loadLayersModel: weightSpecs must be an array, received ${describe(weightSpecs)}`);
  const buf = joinBuffers(weightData);
  const total = buf.byteLength;
  const out = [];
  let offset = 0;
  for (const spec of weightSpecs) {
    const name = spec?.name;
    const shapeText = JSON.stringify(spec?.shape);
    const where = `weight '${name}' (shape ${shapeText}, dtype ${spec?.dtype})`;
    if (typeof name !== 'string' || name === '') {
      throw new Error(`loadLayersModel: the weight spec at byte ${offset} has no name (received ${describe(name)}); each needs '<layer name>/<weight name>'`);
    }
    const size = shapeSize(spec?.shape);
    if (size < 0) {
      throw new Error(`loadLayersModel: ${where} has an invalid shape: dimensions must be non-negative integers (at byte ${offset} of ${total})`);
    }
    const q = spec.quantization;
    let bytes;
    if (q != null) {
      bytes = QUANT_BYTES[q.dtype];
      if (bytes === undefined) {
        throw new Error(`loadLayersModel: ${where} is quantized as '${q.dtype}'; expected uint8, uint16 or float16 (at byte ${offset} of ${total})`);
      }
      if (q.dtype === 'float16' ? spec.dtype !== 'float32' : spec.dtype !== 'float32' && spec.dtype !== 'int32') {
        throw new Error(`loadLayersModel: ${where}: ${q.dtype} quantization of dtype '${spec.dtype}' is not supported (at byte ${offset} of ${total})`);
      }
      if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number')) {
        throw new Error(`loadLayersModel: ${where} is quantized as ${q.dtype} but its quantization lacks numeric scale and min`);
      }
    } else {
      bytes = BYTES[spec.dtype];
      if (bytes === undefined) {
        throw new Error(`loadLayersModel: ${where} has dtype '${spec.dtype}'; Hebb reads float32, int32 and bool weights (at byte ${offset} of ${total})`);
      }
    }
    const need = size * bytes;
    if (offset + need > total) {
      throw new Error(
        `loadLayersModel: ${where} needs ${need} bytes at byte ${offset}, but the weight data holds only ${total} bytes ` +
        `(${Math.max(0, total - offset)} left; the weight files are truncated or do not match model.json)`,
      );
    }
    // slice copies, so views are aligned whatever the offset and independent of the input.
    const chunk = buf.slice(offset, offset + need);
    offset += need;
    let data;
    let dtype = spec.dtype;
    if (q == null) {
      data = dtype === 'float32' ? new Float32Array(chunk) : dtype === 'int32' ? new Int32Array(chunk) : new Uint8Array(chunk);
    } else if (q.dtype === 'float16') {
      data = halfToFloat(new Uint16Array(chunk));
    } else {
      const raw = q.dtype === 'uint8' ? new Uint8Array(chunk) : new Uint16Array(chunk);
      data = dtype === 'int32' ? new Int32Array(raw.length) : new Float32Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const v = raw[i] * q.scale + q.min;
        data[i] = dtype === 'int32' ? Math.round(v) : v;
      }
    }
    const entry = { name, shape: spec.shape.slice(), dtype, data };
    if (spec.group != null) entry.group = spec.group;
    out.push(entry);
  }
  return out;
}

/** Number of values of a shape, or -1 when it is not a list of non-negative integers. */
function shapeSize(shape) {
  if (!Array.isArray(shape)) return -1;
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) return -1;
    n *= d;
  }
  return n;
}

/** IEEE 754 half precision to float32. */
function halfToFloat(h) {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const sign = h[i] & 0x8000 ? -1 : 1;
    const exp = (h[i] >> 10) & 0x1f;
    const frac = h[i] & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** Bytes that a manifest group's weights occupy. */
export function groupBytes(weights) {
  let n = 0;
  for (const s of weights) {
    const size = shapeSize(s.shape);
    const b = s.quantization ? QUANT_BYTES[s.quantization.dtype] : BYTES[s.dtype];
    if (size < 0 || b === undefined) return 0; // decodeWeights reports these with the details
    n += size * b;
  }
  return n;
}

// ---- artifacts and model.json ----

export function describe(v) {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v !== 'object') return String(v);
  return v.constructor?.name ?? 'object';
}

function utf8Length(s) { return new TextEncoder().encode(s).length; }

export function checkJsonTopology(artifacts, where) {
  if (artifacts == null || typeof artifacts !== 'object') throw new Error(`${where}: expected model artifacts, received ${describe(artifacts)}`);
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error(`${where}: a binary (GraphDef) model topology cannot be saved; only JSON topologies`);
}

/**
 * TF.js's ModelArtifactsInfo: when and how much was saved.
 * @returns {{dateSaved: Date, modelTopologyType: 'JSON', modelTopologyBytes: number, weightSpecsBytes: number, weightDataBytes: number}}
 */
export function getModelArtifactsInfoForJSON(artifacts) {
  checkJsonTopology(artifacts, 'getModelArtifactsInfoForJSON');
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: artifacts.modelTopology == null ? 0 : utf8Length(JSON.stringify(artifacts.modelTopology)),
    weightSpecsBytes: artifacts.weightSpecs == null ? 0 : utf8Length(JSON.stringify(artifacts.weightSpecs)),
    weightDataBytes: artifacts.weightData == null ? 0 : joinBuffers(artifacts.weightData).byteLength,
  };
}

// Optional metadata that travels with a model, in the order TF.js writes it after the manifest.
export const EXTRA_FIELDS = ['signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature', 'trainingConfig'];

/** The model.json object for `artifacts`, whose weights are in the files of `weightsManifest`. */
export function getModelJSONForModelArtifacts(artifacts, weightsManifest) {
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest,
  };
  for (const k of EXTRA_FIELDS) if (artifacts[k] != null) json[k] = artifacts[k];
  return json;
}

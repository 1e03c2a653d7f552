// tf.data's sources, as TF.js has them: tf.data.func, byte sources (FileDataSource for a File,
// Blob or bytes; URLDataSource for anything fetch() reads, blob: URLs included), TextLineDataset
// over one, CSVDataset / tf.data.csv over that, and the browser's webcam and microphone.
import { Dataset, describe, data } from './data.js';
import { tensor, tidy } from './tensor.js';
import { browser } from './browser.js';
import { cropAndResize } from './ops_image.js';
import { expandDims, squeeze } from './ops.js';

/**
 * tf.data.func(f): a dataset whose elements are what f() returns, {value, done} (or a Promise of
 * it), until done.
 */
export function func(f) {
  if (typeof f !== 'function') throw new Error(`func: expected a function returning {value, done}, received ${describe(f)}`);
  return new Dataset(async function* () {
    for (;;) {
      const r = await f();
      if (r === null || typeof r !== 'object') throw new Error(`func: f must return {value, done}, received ${describe(r)}`);
      if (r.done) return;
      yield r.value;
    }
  }, null);
}

const DEFAULT_CHUNK = 1024 * 1024;

/** Byte chunks of a Blob (or File) or an array of bytes. */
async function* chunksOf(input, chunkSize) {
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
    for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
    return;
  }
  for (let at = 0; at < input.size; at += chunkSize) yield new Uint8Array(await input.slice(at, at + chunkSize).arrayBuffer());
}

/** TF.js's FileDataSource: the bytes of a File, Blob, ArrayBuffer or Uint8Array, in chunks. */
export class FileDataSource {
  constructor(input, options = {}) {
    const blobLike = typeof Blob !== 'undefined' && input instanceof Blob;
    if (!blobLike && !(input instanceof Uint8Array) && !(input instanceof ArrayBuffer)) {
      throw new Error(`FileDataSource: expected a File, Blob, ArrayBuffer or Uint8Array, received ${describe(input)}`);
    }
    this.input = input;
    this.options = options;
  }
  async iterator() { return chunksOf(this.input, this.options.chunkSize ?? DEFAULT_CHUNK); }
}

/** TF.js's URLDataSource: the bytes fetch() reads at `url` (http(s), blob: or data: URLs, or a Request). */
export class URLDataSource {
  constructor(url, fileOptions = {}) {
    if (typeof url !== 'string' && !(typeof Request !== 'undefined' && url instanceof Request)) throw new Error(`URLDataSource: expected a URL string or a Request, received ${describe(url)}`);
    this.url = url;
    this.fileOptions = fileOptions;
  }
  async iterator() {
    const res = await fetch(this.url, this.fileOptions.requestInit);
    if (!res.ok) throw new Error(`URLDataSource: fetching ${typeof this.url === 'string' ? this.url : this.url.url} failed: ${res.status} ${res.statusText}`);
    return chunksOf(await res.blob(), this.fileOptions.chunkSize ?? DEFAULT_CHUNK);
  }
}

/** The text lines of a byte source, decoded as UTF-8 ('\r\n' ends a line too). */
async function* linesOf(source) {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  for await (const chunk of await source.iterator()) {
    const parts = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = parts.pop();
    for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
  }
  carry += decoder.decode();
  if (carry !== '') yield carry.endsWith('\r') ? carry.slice(0, -1) : carry;
}

/** TF.js's TextLineDataset: the lines of a data source, as strings. */
export class TextLineDataset extends Dataset {
  constructor(input) {
    if (!input || typeof input.iterator !== 'function') throw new Error(`TextLineDataset: expected a data source (FileDataSource or URLDataSource), received ${describe(input)}`);
    super(() => linesOf(input), null);
    this.input = input;
  }
}

/** One CSV line's fields: quotes group (a doubled quote is a quote), `delimiter` separates. */
function splitRow(line, delimiter, whitespace) {
  if (whitespace) return line.split(/\s+/).filter((v) => v !== '');
  const out = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === delimiter) {
      out.push(field);
      field = '';
    } else {
      field += ch;
    }
  }
  out.push(field);
  return out;
}

/**
 * TF.js's CSVDataset: one element per line of the source after the header. A row is an object
 * by column name (numbers parsed, empty fields their column's default); with label columns
 * (columnConfigs[name].isLabel) it is {xs: features, ys: labels}.
 */
export class CSVDataset extends Dataset {
  constructor(input, csvConfig = {}) {
    super(null, null);
    if (!input || typeof input.iterator !== 'function') throw new Error(`CSVDataset: expected a data source (FileDataSource or URLDataSource), received ${describe(input)}`);
    const c = csvConfig ?? {};
    this.input = input;
    this.base = new TextLineDataset(input);
    this.hasHeader = c.hasHeader !== false;
    this.fullColumnNames = c.columnNames ?? null;
    this.columnConfigs = c.columnConfigs ?? null;
    this.configuredColumnsOnly = c.configuredColumnsOnly === true;
    this.delimWhitespace = c.delimWhitespace === true;
    this.delimiter = c.delimiter ?? ',';
    if (!this.hasHeader && !this.fullColumnNames) throw new Error('Column names must be provided if there is no header line.');
    if (this.delimWhitespace && c.delimiter !== undefined) throw new Error('Delimiter should not be provided when delimWhitespace is true.');
    if (this.configuredColumnsOnly && !this.columnConfigs) throw new Error('columnConfigs is required when configuredColumnsOnly is true.');
  }

  /** The column names: the configured ones, else the header's. */
  async columnNames() {
    if (!this._names) this._names = await this._readNames();
    return this._names;
  }

  async _readNames() {
    let names = this.fullColumnNames;
    if (this.hasHeader) {
      const header = await this._header();
      if (!names) names = header;
      else if (header !== null && header.length !== names.length) {
        throw new Error(`The length of provided columnNames (${names.length}) does not match the length of the header line read from file (${header.length}).`);
      }
    }
    if (!names) throw new Error('Column names must be provided if there is no header line.');
    const seen = new Set();
    for (const n of names) {
      if (seen.has(n)) throw new Error(`Duplicate column names found: ${n}`);
      seen.add(n);
    }
    if (this.columnConfigs) {
      for (const key of Object.keys(this.columnConfigs)) {
        if (!names.includes(key)) throw new Error(`The key "${key}" provided in columnConfigs does not match any of the column names (${names.join(',')}).`);
      }
    }
    return names;
  }

  async _header() {
    const it = linesOf(this.input);
    const first = await it.next();
    await it.return();
    return first.done ? null : splitRow(first.value, this.delimiter, this.delimWhitespace);
  }

  async iterator() {
    const names = await this.columnNames();
    const self = this;
    async function* rows() {
      let first = true;
      for await (const line of linesOf(self.input)) {
        if (first && self.hasHeader) {
          first = false;
          continue;
        }
        first = false;
        yield self._element(line, names);
      }
    }
    const gen = rows();
    return { next: () => gen.next(), return: (v) => gen.return(v), [Symbol.asyncIterator]() { return this; } };
  }

  _element(line, names) {
    const values = splitRow(line, this.delimiter, this.delimWhitespace);
    if (values.length !== names.length) throw new Error(`Invalid row in csv file. Should have ${names.length} elements in a row, but got ${values.length}`);
    const features = {};
    const labels = {};
    names.forEach((key, i) => {
      const config = this.columnConfigs ? this.columnConfigs[key] : null;
      if (this.configuredColumnsOnly && !config) return;
      const raw = values[i];
      let v;
      if (raw === '') {
        if (config && config.default !== undefined) v = config.default;
        else if (config && (config.required || config.isLabel)) throw new Error(`Required column ${key} is empty in this line: ${line}`);
        else v = undefined;
      } else {
        const num = Number(raw);
        const bool = () => (raw === '1' || raw.toLowerCase() === 'true' ? 1 : 0);
        if (Number.isNaN(num)) v = config && config.dtype === 'bool' ? bool() : raw;
        else if (!config || !config.dtype || config.dtype === 'float32') v = num;
        else if (config.dtype === 'int32') v = Math.floor(num);
        else if (config.dtype === 'bool') v = bool();
        else v = num;
      }
      if (config && config.isLabel) labels[key] = v;
      else features[key] = v;
    });
    return Object.keys(labels).length === 0 ? features : { xs: features, ys: labels };
  }
}

/** tf.data.csv(source, csvConfig?): a CSVDataset over the bytes at a URL (blob: URLs included). */
export function csv(source, csvConfig = {}) {
  return new CSVDataset(new URLDataSource(source), csvConfig);
}

/** The camera stream getUserMedia gives for `config`, with an error that says what to do when it cannot. */
async function userMedia(what, constraints) {
  const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  if (!md || typeof md.getUserMedia !== 'function') throw new Error(`tf.data.${what}: this page cannot reach the ${what} (navigator.mediaDevices.getUserMedia is missing; it needs a secure context: https or localhost)`);
  try {
    return await md.getUserMedia(constraints);
  } catch (e) {
    throw new Error(`tf.data.${what}: the browser refused the ${what} (${e.name ?? 'Error'}: ${e.message})`);
  }
}

/**
 * tf.data.webcam(videoElement?, config?): frames of the camera as tensors; capture() takes one,
 * the iterator takes them in turn. Config: facingMode, deviceId, resizeWidth/resizeHeight (with
 * centerCrop), see capture().
 */
export async function webcam(webcamVideoElement, webcamConfig = {}) {
  const cam = new WebcamIterator(webcamVideoElement, webcamConfig ?? {});
  await cam.start();
  return cam;
}

class WebcamIterator {
  constructor(video, config) {
    if (typeof document === 'undefined') throw new Error('tf.data.webcam: there is no document (it needs a browser page)');
    this.config = config;
    this.video = video ?? document.createElement('video');
    if (!video) {
      if (!config.resizeWidth || !config.resizeHeight) throw new Error('Please provide webcam video element, or resizeWidth and resizeHeight to create a hidden video element.');
      this.video.width = config.resizeWidth;
      this.video.height = config.resizeHeight;
    }
    this.isClosed = true;
  }
  async start() {
    const c = this.config;
    if (c.facingMode && c.facingMode !== 'user' && c.facingMode !== 'environment') throw new Error(`Invalid webcam facing mode: ${c.facingMode}. Please provide 'user' or 'environment'`);
    this.stream = await userMedia('webcam', {
      video: { deviceId: c.deviceId, facingMode: c.facingMode ?? 'user', width: this.video.width, height: this.video.height },
    });
    this.video.srcObject = this.stream;
    this.video.muted = true;
    this.video.playsInline = true;
    await new Promise((resolve) => {
      if (this.video.readyState >= 2) resolve();
      else this.video.onloadeddata = () => resolve();
    });
    await this.video.play();
    this.isClosed = false;
  }
  /**
   * One frame: int32 [height, width, 3]; when the config asks for another size than the video
   * element's, float32 [resizeHeight, resizeWidth, 3], cropped first to the middle (centerCrop)
   * by the ratio of the sizes, as TF.js does.
   */
  async capture() {
    if (this.isClosed) throw new Error('tf.data.webcam: the webcam is stopped (call start() first)');
    const c = this.config;
    const frame = browser.fromPixels(this.video);
    const resize = c.resizeWidth && c.resizeHeight && (this.video.width !== c.resizeWidth || this.video.height !== c.resizeHeight);
    if (!resize) return frame;
    return tidy(() => {
      let box = [0, 0, 1, 1];
      if (c.centerCrop) {
        const [wr, hr] = [c.resizeWidth / this.video.width, c.resizeHeight / this.video.height];
        const [x0, y0] = [(1 - wr) / 2, (1 - hr) / 2];
        box = [y0, x0, y0 + hr, x0 + wr];
      }
      const out = cropAndResize(expandDims(frame.toFloat(), 0), tensor([box]), tensor([0], [1], 'int32'), [c.resizeHeight, c.resizeWidth]);
      frame.dispose();
      return squeeze(out, [0]);
    });
  }
  async next() { return this.isClosed ? { value: null, done: true } : { value: await this.capture(), done: false }; }
  stop() {
    for (const t of this.stream?.getTracks?.() ?? []) t.stop();
    this.video.srcObject = null;
    this.isClosed = true;
  }
  [Symbol.asyncIterator]() { return this; }
}

/**
 * tf.data.microphone(config?): the microphone's spectrogram (float32 [numFramesPerSpectrogram,
 * fftSize (or columnTruncateLength), 1], in dB: the analyser runs over 2 · fftSize samples) and, with includeWaveform, its waveform
 * ([fftSize · frames, 1]); capture() waits for the next full spectrogram.
 */
export async function microphone(microphoneConfig = {}) {
  const mic = new MicrophoneIterator(microphoneConfig ?? {});
  await mic.start();
  return mic;
}

class MicrophoneIterator {
  constructor(c) {
    this.fftSize = c.fftSize ?? 1024;
    const log2 = Math.log2(this.fftSize);
    if (!(this.fftSize >= 32 && this.fftSize <= 32768 && Number.isInteger(log2))) throw new Error(`Invalid fftSize: it must be a power of 2 between 2 to 4 and 2 to 14, but got ${this.fftSize}`);
    this.sampleRateHz = c.sampleRateHz ?? 44100;
    if (this.sampleRateHz !== 44100 && this.sampleRateHz !== 48000) throw new Error(`sampleRateHz must be 44100 or 48000, received ${this.sampleRateHz}`);
    this.numFrames = c.numFramesPerSpectrogram ?? 43;
    this.columnTruncateLength = c.columnTruncateLength ?? this.fftSize;
    this.smoothingTimeConstant = c.smoothingTimeConstant ?? 0;
    this.includeSpectrogram = c.includeSpectrogram !== false;
    this.includeWaveform = c.includeWaveform === true;
    if (!this.includeSpectrogram && !this.includeWaveform) throw new Error('Both includeSpectrogram and includeWaveform are false. At least one type of data should be returned.');
    this.audioTrackConstraints = c.audioTrackConstraints;
    this.isClosed = true;
  }
  async start() {
    if (typeof AudioContext === 'undefined') throw new Error('tf.data.microphone: this browser has no Web Audio API (AudioContext)');
    this.stream = await userMedia('microphone', { audio: this.audioTrackConstraints ?? true, video: false });
    this.audioContext = new AudioContext({ sampleRate: this.sampleRateHz });
    if (this.audioContext.sampleRate !== this.sampleRateHz) throw new Error(`Mismatch in sampling rate: Expected: ${this.sampleRateHz}; Actual: ${this.audioContext.sampleRate}`);
    const source = this.audioContext.createMediaStreamSource(this.stream);
    this.analyser = this.audioContext.createAnalyser();
    this.analyser.fftSize = this.fftSize * 2;
    this.analyser.smoothingTimeConstant = this.smoothingTimeConstant;
    source.connect(this.analyser);
    this.freqData = new Float32Array(this.fftSize);
    this.timeData = new Float32Array(this.fftSize);
    await this.audioContext.resume();
    this.isClosed = false;
  }
  /** {spectrogram?, waveform?} of the next numFramesPerSpectrogram frames. */
  async capture() {
    if (this.isClosed) throw new Error('tf.data.microphone: the microphone is stopped (call start() first)');
    const frameMs = (this.fftSize / this.sampleRateHz) * 1000;
    const spec = new Float32Array(this.numFrames * this.columnTruncateLength);
    const wave = new Float32Array(this.numFrames * this.fftSize);
    for (let f = 0; f < this.numFrames; f++) {
      await new Promise((r) => setTimeout(r, frameMs));
      this.analyser.getFloatFrequencyData(this.freqData);
      this.analyser.getFloatTimeDomainData(this.timeData);
      spec.set(this.freqData.subarray(0, this.columnTruncateLength), f * this.columnTruncateLength);
      wave.set(this.timeData, f * this.fftSize);
    }
    const out = {};
    if (this.includeSpectrogram) out.spectrogram = tensor(spec, [this.numFrames, this.columnTruncateLength, 1]);
    if (this.includeWaveform) out.waveform = tensor(wave, [this.numFrames * this.fftSize, 1]);
    return out;
  }
  async next() { return this.isClosed ? { value: null, done: true } : { value: await this.capture(), done: false }; }
  stop() {
    for (const t of this.stream?.getTracks?.() ?? []) t.stop();
    this.audioContext?.close();
    this.isClosed = true;
  }
  getSampleRate() { return this.sampleRateHz; }
  [Symbol.asyncIterator]() { return this; }
}

Object.assign(data, { func, csv, webcam, microphone, CSVDataset, TextLineDataset, FileDataSource, URLDataSource });

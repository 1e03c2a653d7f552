// tf.browser: tensors from pictures (ImageData, canvas, img, video, ImageBitmap, or raw
// {data, width, height}) and pictures from tensors, as TF.js 4.22 makes them: fromPixels gives an
// int32 [height, width, numChannels] tensor of 0..255 values; toPixels takes a rank-2 or rank-3
// (1, 3 or 4 channels) tensor, float32 in [0, 1] or int32 in [0, 255], and gives RGBA bytes.
import { Tensor, tensor } from './tensor.js';

let scratch = null;

/** A 2-D context to draw `w` × `h` pictures on (an OffscreenCanvas where there is one). */
function context(w, h) {
  if (!scratch) {
    scratch = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : document.createElement('canvas');
  }
  if (scratch.width !== w) scratch.width = w;
  if (scratch.height !== h) scratch.height = h;
  const ctx = scratch.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('fromPixels: cannot get a 2-D canvas context to read the pixels');
  return ctx;
}

const is = (x, name) => typeof globalThis[name] !== 'undefined' && x instanceof globalThis[name];

/** The RGBA bytes and size of a picture. */
function rgba(pixels) {
  if (pixels == null) throw new Error('pixels passed to tf.browser.fromPixels() can not be null');
  if (is(pixels, 'ImageData') || (pixels.data instanceof Uint8Array && Number.isInteger(pixels.width) && Number.isInteger(pixels.height))) {
    return { data: pixels.data, width: pixels.width, height: pixels.height };
  }
  let width;
  let height;
  if (is(pixels, 'HTMLVideoElement')) {
    if (pixels.readyState < 2) {
      throw new Error('The video element has not loaded data yet. Please wait for `loadeddata` event on the <video> element.');
    }
    [width, height] = [pixels.videoWidth, pixels.videoHeight];
  } else if (is(pixels, 'HTMLImageElement')) {
    [width, height] = [pixels.naturalWidth || pixels.width, pixels.naturalHeight || pixels.height];
  } else if (is(pixels, 'HTMLCanvasElement') || is(pixels, 'OffscreenCanvas') || is(pixels, 'ImageBitmap')) {
    [width, height] = [pixels.width, pixels.height];
  } else {
    const got = pixels.constructor?.name ?? typeof pixels;
    throw new Error(`pixels passed to tf.browser.fromPixels() must be either an HTMLVideoElement, HTMLImageElement, HTMLCanvasElement, ImageData in browser, or OffscreenCanvas, ImageData in webworker or {data: Uint32Array, width: number, height: number}, but was ${got}`);
  }
  if (!(width > 0 && height > 0)) throw new Error(`fromPixels: the picture has no pixels (width ${width}, height ${height}); wait until it has loaded`);
  const ctx = context(width, height);
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(pixels, 0, 0, width, height);
  return { data: ctx.getImageData(0, 0, width, height).data, width, height };
}

/** tf.browser.fromPixels(pixels, numChannels = 3): an int32 [height, width, numChannels] tensor. */
export function fromPixels(pixels, numChannels = 3) {
  if (!Number.isInteger(numChannels) || numChannels < 1) throw new Error(`fromPixels: numChannels must be a positive integer, received ${numChannels}`);
  if (numChannels > 4) throw new Error('Cannot construct Tensor with more than 4 channels from pixels.');
  const { data, width, height } = rgba(pixels);
  const n = width * height;
  const out = new Int32Array(n * numChannels);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < numChannels; c++) out[i * numChannels + c] = data[i * 4 + c];
  }
  return tensor(out, [height, width, numChannels], 'int32');
}

/** tf.browser.fromPixelsAsync: fromPixels, resolved (TF.js reads through an ImageBitmap there). */
export async function fromPixelsAsync(pixels, numChannels = 3) {
  return fromPixels(pixels, numChannels);
}

/** Checks a tensor toPixels and draw take, as TF.js checks it. */
function check(img, op) {
  if (!(img instanceof Tensor)) throw new Error(`${op}: img must be a Tensor, received ${img === null ? 'null' : typeof img}`);
  if (img.rank !== 2 && img.rank !== 3) throw new Error(`toPixels only supports rank 2 or 3 tensors, got rank ${img.rank}.`);
  const depth = img.rank === 2 ? 1 : img.shape[2];
  if (depth > 4 || depth === 2) throw new Error(`toPixels only supports depth of size 1, 3 or 4 but got ${depth}`);
  if (img.dtype !== 'float32' && img.dtype !== 'int32') throw new Error(`Unsupported type for toPixels: ${img.dtype}. Please use float32 or int32 tensors.`);
}

/** The RGBA bytes of checked tensor `img` whose values are `data`. */
function toRgba(img, data) {
  const [height, width] = img.shape.slice(0, 2);
  const depth = img.rank === 2 ? 1 : img.shape[2];
  const multiplier = img.dtype === 'float32' ? 255 : 1;
  const bytes = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < height * width; ++i) {
    const rgbaPx = [0, 0, 0, 255];
    for (let d = 0; d < depth; d++) {
      const value = data[i * depth + d];
      if (img.dtype === 'float32') {
        if (value < 0 || value > 1) throw new Error(`Tensor values for a float32 Tensor must be in the range [0 - 1] but encountered ${value}.`);
      } else if (value < 0 || value > 255) {
        throw new Error(`Tensor values for a int32 Tensor must be in the range [0 - 255] but encountered ${value}.`);
      }
      if (depth === 1) {
        rgbaPx[0] = value * multiplier;
        rgbaPx[1] = value * multiplier;
        rgbaPx[2] = value * multiplier;
      } else {
        rgbaPx[d] = value * multiplier;
      }
    }
    const j = i * 4;
    bytes[j] = Math.round(rgbaPx[0]);
    bytes[j + 1] = Math.round(rgbaPx[1]);
    bytes[j + 2] = Math.round(rgbaPx[2]);
    bytes[j + 3] = Math.round(rgbaPx[3]);
  }
  return { bytes, width, height };
}

/**
 * tf.browser.toPixels(img, canvas?): the RGBA bytes of `img` (a Uint8ClampedArray), drawn on
 * `canvas` (resized to the picture) when given.
 */
export async function toPixels(img, canvas) {
  check(img, 'toPixels');
  const { bytes, width, height } = toRgba(img, await img.data());
  if (canvas != null) paint(canvas, bytes, width, height);
  return bytes;
}

function paint(canvas, bytes, width, height, contextOptions) {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', contextOptions);
  ctx.putImageData(new ImageData(bytes, width, height), 0, 0);
}

/** tf.browser.draw(image, canvas, options?): draws `image` on `canvas` (resized to it), at once. */
export function draw(image, canvas, options = {}) {
  check(image, 'draw');
  if (canvas == null) throw new Error('draw: a canvas is required');
  const { bytes, width, height } = toRgba(image, image.dataSync());
  paint(canvas, bytes, width, height, options.contextOptions);
}

export const browser = { fromPixels, fromPixelsAsync, toPixels, draw };

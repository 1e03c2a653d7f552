// Type declarations for Hebb's TF.js-compatible API.

export type DataType = 'float32' | 'int32' | 'bool' | 'complex64' | 'string';
export type Rank = number;
export type TensorLike = number | boolean | number[] | number[][] | number[][][] | number[][][][] | number[][][][][] | number[][][][][][] | boolean[] | boolean[][] | boolean[][][] | Float32Array | Int32Array | Uint8Array | string | string[] | string[][] | string[][][];
export type TensorOrLike = Tensor | TensorLike;

export declare class Tensor {
  readonly id: number;
  readonly shape: number[];
  readonly rank: number;
  readonly size: number;
  readonly dtype: DataType;
  readonly isDisposed: boolean;
  dataSync(): Float32Array | Int32Array | Uint8Array;
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  arraySync(): any;
  array(): Promise<any>;
  dispose(): void;
  print(): void;
  clone(): Tensor;
  add(b: TensorOrLike): Tensor; sub(b: TensorOrLike): Tensor; mul(b: TensorOrLike): Tensor; div(b: TensorOrLike): Tensor;
  pow(b: TensorOrLike): Tensor; maximum(b: TensorOrLike): Tensor; minimum(b: TensorOrLike): Tensor;
  squaredDifference(b: TensorOrLike): Tensor;
  greater(b: TensorOrLike): Tensor; greaterEqual(b: TensorOrLike): Tensor; less(b: TensorOrLike): Tensor;
  lessEqual(b: TensorOrLike): Tensor; equal(b: TensorOrLike): Tensor; notEqual(b: TensorOrLike): Tensor;
  neg(): Tensor; abs(): Tensor; exp(): Tensor; log(): Tensor; log1p(): Tensor; sqrt(): Tensor; rsqrt(): Tensor;
  square(): Tensor; reciprocal(): Tensor; sign(): Tensor; floor(): Tensor; ceil(): Tensor; round(): Tensor;
  sin(): Tensor; cos(): Tensor; relu(): Tensor; relu6(): Tensor; selu(): Tensor; sigmoid(): Tensor; tanh(): Tensor;
  softplus(): Tensor; elu(alpha?: number): Tensor; leakyRelu(alpha?: number): Tensor;
  clipByValue(min: number, max: number): Tensor; cast(dtype: DataType): Tensor; asType(dtype: DataType): Tensor;
  matMul(b: TensorOrLike, transposeA?: boolean, transposeB?: boolean): Tensor; dot(b: TensorOrLike): Tensor;
  sum(axis?: number | number[], keepDims?: boolean): Tensor; mean(axis?: number | number[], keepDims?: boolean): Tensor;
  max(axis?: number | number[], keepDims?: boolean): Tensor; min(axis?: number | number[], keepDims?: boolean): Tensor;
  argMax(axis?: number): Tensor; argMin(axis?: number): Tensor;
  softmax(dim?: number): Tensor; logSoftmax(axis?: number): Tensor;
  reshape(shape: number[]): Tensor; flatten(): Tensor; transpose(perm?: number[]): Tensor;
  expandDims(axis?: number): Tensor; squeeze(axis?: number[]): Tensor;
  slice(begin: number | number[], size?: number | number[]): Tensor; gather(indices: TensorOrLike, axis?: number): Tensor;
  concat(other: Tensor | Tensor[], axis?: number): Tensor;
  toFloat(): Tensor; toInt(): Tensor; as1D(): Tensor; as2D(rows: number, cols: number): Tensor;
  as3D(rows: number, columns: number, depth: number): Tensor;
  as4D(rows: number, columns: number, depth: number, depth2: number): Tensor;
  as5D(rows: number, columns: number, depth: number, depth2: number, depth3: number): Tensor;
  asScalar(): Tensor; reshapeAs(x: Tensor): Tensor; toBool(): Tensor; zerosLike(): Tensor; onesLike(): Tensor;
  tile(reps: number[]): Tensor; split(numOrSizeSplits: number | number[], axis?: number): Tensor[];
  stack(x: Tensor | Tensor[], axis?: number): Tensor; unstack(axis?: number): Tensor[];
  /** The values in a TensorBuffer (a copy). */
  bufferSync(): TensorBuffer;
  buffer(): Promise<TensorBuffer>;
  readonly strides: number[];
  throwIfDisposed(): void;
  tan(): Tensor; asin(): Tensor; acos(): Tensor; atan(): Tensor; sinh(): Tensor; cosh(): Tensor; asinh(): Tensor;
  acosh(): Tensor; atanh(): Tensor; erf(): Tensor; expm1(): Tensor; isFinite(): Tensor; isInf(): Tensor;
  logSigmoid(): Tensor; mod(b: TensorOrLike): Tensor; step(alpha?: number): Tensor;
  pad(paddings: Array<[number, number]>, constantValue?: number): Tensor;
  mirrorPad(paddings: Array<[number, number]>, mode: 'reflect' | 'symmetric'): Tensor;
  reverse(axis?: number | number[]): Tensor;
  cumsum(axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
  norm(ord?: number | 'euclidean' | 'fro', axis?: number | number[] | null, keepDims?: boolean): Tensor;
  euclideanNorm(axis?: number | number[] | null, keepDims?: boolean): Tensor;
  logSumExp(axis?: number | number[] | null, keepDims?: boolean): Tensor;
  all(axis?: number | number[] | null, keepDims?: boolean): Tensor; any(axis?: number | number[] | null, keepDims?: boolean): Tensor;
  logicalXor(b: TensorOrLike): Tensor; prelu(alpha: TensorOrLike): Tensor;
  topk(k?: number, sorted?: boolean): { values: Tensor; indices: Tensor };
  unique(axis?: number): { values: Tensor; indices: Tensor };
  conv1d(filter: TensorOrLike, stride: number, pad: PadType, dataFormat?: 'NWC', dilation?: number): Tensor;
  conv2d(filter: TensorOrLike, strides: number | [number, number], pad: PadType, dataFormat?: 'NHWC', dilations?: number | [number, number]): Tensor;
  conv2dTranspose(filter: TensorOrLike, outputShape: number[], strides: number | [number, number], pad: PadType): Tensor;
  depthwiseConv2d(filter: TensorOrLike, strides: number | [number, number], pad: PadType, dataFormat?: 'NHWC', dilations?: number | [number, number]): Tensor;
  separableConv2d(depthwiseFilter: TensorOrLike, pointwiseFilter: TensorOrLike, strides: number | [number, number], pad: PadType, dilation?: number | [number, number], dataFormat?: 'NHWC'): Tensor;
  maxPool(filterSize: number | [number, number], strides: number | [number, number], pad: PadType): Tensor;
  avgPool(filterSize: number | [number, number], strides: number | [number, number], pad: PadType): Tensor;
}
/** 'valid', 'same', or a number of rows and columns added on every side. */
export type PadType = 'valid' | 'same' | number;

/** A mutable array of values with a shape (tf.buffer); toTensor() makes a tensor of it. */
export declare class TensorBuffer {
  constructor(shape: number[], dtype?: DataType, values?: Float32Array | Int32Array | Uint8Array | number[]);
  readonly shape: number[];
  readonly dtype: DataType;
  readonly size: number;
  readonly strides: number[];
  values: Float32Array | Int32Array | Uint8Array;
  readonly rank: number;
  set(value: number, ...locs: number[]): void;
  get(...locs: number[]): number;
  locToIndex(locs: number[]): number;
  indexToLoc(index: number): number[];
  toTensor(): Tensor;
}
export declare function buffer(shape: number[], dtype?: DataType, values?: Float32Array | Int32Array | Uint8Array | number[]): TensorBuffer;
export declare function clone(x: TensorOrLike): Tensor;
export declare function tensor5d(values: TensorLike, shape?: [number, number, number, number, number], dtype?: DataType): Tensor;
export declare function tensor6d(values: TensorLike, shape?: [number, number, number, number, number, number], dtype?: DataType): Tensor;
/** The mean and variance over `axis` (every axis by default). */
export declare function moments(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): { mean: Tensor; variance: Tensor };
export declare function tile(x: TensorOrLike, reps: number[]): Tensor;
export declare function split(x: TensorOrLike, numOrSizeSplits: number | number[], axis?: number): Tensor[];
export declare function tan(x: TensorOrLike): Tensor;
export declare function asin(x: TensorOrLike): Tensor;
export declare function acos(x: TensorOrLike): Tensor;
export declare function atan(x: TensorOrLike): Tensor;
export declare function sinh(x: TensorOrLike): Tensor;
export declare function cosh(x: TensorOrLike): Tensor;
export declare function asinh(x: TensorOrLike): Tensor;
export declare function acosh(x: TensorOrLike): Tensor;
export declare function atanh(x: TensorOrLike): Tensor;
/** The error function (TF.js's polynomial, error below 1.5e-7). */
export declare function erf(x: TensorOrLike): Tensor;
export declare function expm1(x: TensorOrLike): Tensor;
export declare function isFinite(x: TensorOrLike): Tensor;
export declare function isInf(x: TensorOrLike): Tensor;
export declare function logSigmoid(x: TensorOrLike): Tensor;
/** The remainder with the divisor's sign. */
export declare function mod(a: TensorOrLike, b: TensorOrLike): Tensor;
/** 1 where x > 0, else alpha. */
export declare function step(x: TensorOrLike, alpha?: number): Tensor;
type Paddings = Array<[number, number]>;
/** [before, after] per axis, filled with constantValue. */
export declare function pad(x: TensorOrLike, paddings: Paddings, constantValue?: number): Tensor;
export declare function pad1d(x: TensorOrLike, paddings: [number, number], constantValue?: number): Tensor;
export declare function pad2d(x: TensorOrLike, paddings: Paddings, constantValue?: number): Tensor;
export declare function pad3d(x: TensorOrLike, paddings: Paddings, constantValue?: number): Tensor;
export declare function pad4d(x: TensorOrLike, paddings: Paddings, constantValue?: number): Tensor;
export declare function mirrorPad(x: TensorOrLike, paddings: Paddings, mode: 'reflect' | 'symmetric'): Tensor;
export declare function reverse(x: TensorOrLike, axis?: number | number[]): Tensor;
export declare function reverse1d(x: TensorOrLike): Tensor;
export declare function reverse2d(x: TensorOrLike, axis?: number | number[]): Tensor;
export declare function reverse3d(x: TensorOrLike, axis?: number | number[]): Tensor;
export declare function reverse4d(x: TensorOrLike, axis?: number | number[]): Tensor;
export declare function cumsum(x: TensorOrLike, axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
export declare function meshgrid(x?: TensorOrLike, y?: TensorOrLike, options?: { indexing?: 'xy' | 'ij' }): Tensor[];
export declare function outerProduct(v1: TensorOrLike, v2: TensorOrLike): Tensor;
export declare function eye(numRows: number, numColumns?: number, batchShape?: number[], dtype?: DataType): Tensor;
export declare function broadcastArgs(s0: TensorOrLike, s1: TensorOrLike): Tensor;
export declare function norm(x: TensorOrLike, ord?: number | 'euclidean' | 'fro', axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function euclideanNorm(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function logSumExp(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function all(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function any(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function logicalXor(a: TensorOrLike, b: TensorOrLike): Tensor;
export declare function prelu(x: TensorOrLike, alpha: TensorOrLike): Tensor;
export declare function upcastType(a: string, b: string): string;
export declare function sumOutType(type: string): string;
export declare function rand(shape: number[], randFunction: () => number, dtype?: DataType): Tensor;
export declare function randomUniformInt(shape: number[], minval: number, maxval: number, seed?: number): Tensor;
export declare function randomStandardNormal(shape: number[], dtype?: DataType, seed?: number): Tensor;
/** The k largest values along the last axis, largest first, and their indices. */
export declare function topk(x: TensorOrLike, k?: number, sorted?: boolean): { values: Tensor; indices: Tensor };
export declare function unique(x: TensorOrLike, axis?: number): { values: Tensor; indices: Tensor };
/** Class indices drawn per row (Hebb's own random stream: a seed repeats Hebb's draws). */
export declare function multinomial(logits: TensorOrLike, numSamples: number, seed?: number, normalized?: boolean): Tensor;
export declare function whereAsync(condition: TensorOrLike): Promise<Tensor>;
export declare function booleanMaskAsync(tensor: TensorOrLike, mask: TensorOrLike, axis?: number): Promise<Tensor>;
export declare function setdiff1dAsync(x: TensorOrLike, y: TensorOrLike): Promise<[Tensor, Tensor]>;
export declare function inTopKAsync(predictions: TensorOrLike, targets: TensorOrLike, k?: number): Promise<Tensor>;
/** x [batch?, height, width, inDepth] with filter [fh, fw, inDepth, outDepth] (channels last). */
export declare function conv2d(x: TensorOrLike, filter: TensorOrLike, strides: number | [number, number], pad: PadType, dataFormat?: 'NHWC', dilations?: number | [number, number]): Tensor;
export declare function conv1d(x: TensorOrLike, filter: TensorOrLike, stride: number, pad: PadType, dataFormat?: 'NWC', dilation?: number): Tensor;
/** filter [fh, fw, outDepth, inDepth]; outputShape [batch?, height, width, outDepth]. */
export declare function conv2dTranspose(x: TensorOrLike, filter: TensorOrLike, outputShape: number[], strides: number | [number, number], pad: PadType): Tensor;
export declare function depthwiseConv2d(x: TensorOrLike, filter: TensorOrLike, strides: number | [number, number], pad: PadType, dataFormat?: 'NHWC', dilations?: number | [number, number]): Tensor;
export declare function separableConv2d(x: TensorOrLike, depthwiseFilter: TensorOrLike, pointwiseFilter: TensorOrLike, strides: number | [number, number], pad: PadType, dilation?: number | [number, number], dataFormat?: 'NHWC'): Tensor;
export declare function maxPool(x: TensorOrLike, filterSize: number | [number, number], strides: number | [number, number], pad: PadType): Tensor;
export declare function avgPool(x: TensorOrLike, filterSize: number | [number, number], strides: number | [number, number], pad: PadType): Tensor;
type Triple = number | [number, number, number];
/** x [batch?, depth, height, width, inDepth] with filter [fd, fh, fw, inDepth, outDepth]. */
export declare function conv3d(x: TensorOrLike, filter: TensorOrLike, strides: Triple, pad: 'valid' | 'same', dataFormat?: 'NDHWC', dilations?: Triple): Tensor;
/** filter [fd, fh, fw, outDepth, inDepth]; outputShape [batch?, depth, height, width, outDepth]. */
export declare function conv3dTranspose(x: TensorOrLike, filter: TensorOrLike, outputShape: number[], strides: Triple, pad: 'valid' | 'same'): Tensor;
export declare function maxPool3d(x: TensorOrLike, filterSize: Triple, strides: Triple, pad: 'valid' | 'same', dimRoundingMode?: null, dataFormat?: 'NDHWC'): Tensor;
export declare function avgPool3d(x: TensorOrLike, filterSize: Triple, strides: Triple, pad: 'valid' | 'same', dimRoundingMode?: null, dataFormat?: 'NDHWC'): Tensor;
/** Greyscale dilation of x [batch?, h, w, c] by filter [fh, fw, c]. */
export declare function dilation2d(x: TensorOrLike, filter: TensorOrLike, strides: number | [number, number], pad: 'valid' | 'same', dilations?: number | [number, number], dataFormat?: 'NHWC'): Tensor;
export declare function pool(input: TensorOrLike, windowShape: number | [number, number], poolingType: 'max' | 'avg', pad: PadType, dilations?: number | [number, number], strides?: number | [number, number], dimRoundingMode?: null): Tensor;
export declare function maxPoolWithArgmax(x: TensorOrLike, filterSize: number | [number, number], strides: number | [number, number], pad: PadType, includeBatchInIndex?: boolean): { result: Tensor; indexes: Tensor };
/** (x - mean) · scale / sqrt(variance + ε) + offset. */
export declare function batchNorm(x: TensorOrLike, mean: TensorOrLike, variance: TensorOrLike, offset?: TensorOrLike, scale?: TensorOrLike, varianceEpsilon?: number): Tensor;
export declare function batchNorm2d(x: TensorOrLike, mean: TensorOrLike, variance: TensorOrLike, offset?: TensorOrLike, scale?: TensorOrLike, varianceEpsilon?: number): Tensor;
export declare function batchNorm3d(x: TensorOrLike, mean: TensorOrLike, variance: TensorOrLike, offset?: TensorOrLike, scale?: TensorOrLike, varianceEpsilon?: number): Tensor;
export declare function batchNorm4d(x: TensorOrLike, mean: TensorOrLike, variance: TensorOrLike, offset?: TensorOrLike, scale?: TensorOrLike, varianceEpsilon?: number): Tensor;
export declare function localResponseNormalization(x: TensorOrLike, depthRadius?: number, bias?: number, alpha?: number, beta?: number): Tensor;
export declare function atan2(a: TensorOrLike, b: TensorOrLike): Tensor;
export declare function prod(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function cumprod(x: TensorOrLike, axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
export declare function bincount(x: TensorOrLike, weights: TensorOrLike, size: number): Tensor;
export declare function denseBincount(x: TensorOrLike, weights: TensorOrLike, size: number, binaryOutput?: boolean): Tensor;
export declare function bitwiseAnd(x: TensorOrLike, y: TensorOrLike): Tensor;
/** e.g. einsum('ij,jk->ik', a, b). */
export declare function einsum(equation: string, ...tensors: TensorOrLike[]): Tensor;
export declare function enclosingPowerOfTwo(value: number): number;
export declare function cosineWindow(windowLength: number, a: number, b: number): Tensor;
/** A complex64 tensor: real + i·imag (dataSync() gives the values interleaved, real first). */
export declare function complex(real: TensorOrLike, imag: TensorOrLike): Tensor;
export declare function real(x: TensorOrLike): Tensor;
export declare function imag(x: TensorOrLike): Tensor;
export declare function fft(x: Tensor): Tensor;
export declare function ifft(x: Tensor): Tensor;
export declare function rfft(x: TensorOrLike, fftLength?: number): Tensor;
export declare function irfft(x: Tensor): Tensor;
/** String tensors: tf.tensor(['a', 'b']) has dtype 'string'; its dataSync() gives the strings. */
export declare namespace string {
  function stringSplit(input: TensorOrLike, delimiter: string | Tensor, skipEmpty?: boolean): { indices: Tensor; values: Tensor; shape: Tensor };
  function stringNGrams(data: TensorOrLike, dataSplits: TensorOrLike, separator: string, nGramWidths: number[], leftPad: string, rightPad: string, padWidth: number, preserveShortSequences: boolean): { nGrams: Tensor; nGramsSplits: Tensor };
  /** FarmHash Fingerprint64 of each string modulo numBuckets (int32). */
  function stringToHashBucketFast(input: TensorOrLike, numBuckets: number): Tensor;
  function staticRegexReplace(input: TensorOrLike, pattern: string, rewrite: string, replaceGlobal?: boolean): Tensor;
}
export declare namespace sparse {
  function sparseFillEmptyRows(indices: TensorOrLike, values: TensorOrLike, denseShape: TensorOrLike, defaultValue: TensorOrLike): { outputIndices: Tensor; outputValues: Tensor; emptyRowIndicator: Tensor; reverseIndexMap: Tensor };
  function sparseReshape(inputIndices: TensorOrLike, inputShape: TensorOrLike, newShape: TensorOrLike): { outputIndices: Tensor; outputShape: Tensor };
  function sparseSegmentSum(data: TensorOrLike, indices: TensorOrLike, segmentIds: TensorOrLike): Tensor;
  function sparseSegmentMean(data: TensorOrLike, indices: TensorOrLike, segmentIds: TensorOrLike): Tensor;
}
export declare function raggedRange(starts: TensorOrLike, limits: TensorOrLike, deltas: TensorOrLike): { rtNestedSplits: Tensor; rtDenseValues: Tensor };
export declare function raggedGather(paramsNestedSplits: Tensor[], paramsDenseValues: TensorOrLike, indices: TensorOrLike, outputRaggedRank: number): { outputNestedSplits: Tensor[]; outputDenseValues: Tensor };
export declare function raggedTensorToTensor(shape: TensorOrLike, values: TensorOrLike, defaultValue: TensorOrLike, rowPartitionTensors: Tensor[], rowPartitionTypes: string[]): Tensor;
/** Gamma(alpha) samples times beta (mean alpha · beta, as TF.js computes it). */
export declare function randomGamma(shape: number[], alpha: number, beta?: number, dtype?: 'float32' | 'int32', seed?: number): Tensor;
export declare namespace spectral {
  /** The DFT of a complex64 tensor along its innermost axis. */
  function fft(x: Tensor): Tensor;
  function ifft(x: Tensor): Tensor;
  /** The n/2 + 1 non-negative frequencies of a real signal's DFT (complex64). */
  function rfft(x: TensorOrLike, fftLength?: number): Tensor;
  function irfft(x: Tensor): Tensor;
}
export declare namespace signal {
  /** The rfft of each windowed frame: complex64 [numFrames, fftLength / 2 + 1]. */
  function stft(signal: TensorOrLike, frameLength: number, frameStep: number, fftLength?: number, windowFn?: (length: number) => Tensor): Tensor;
  function hannWindow(windowLength: number): Tensor;
  function hammingWindow(windowLength: number): Tensor;
  function frame(signal: TensorOrLike, frameLength: number, frameStep: number, padEnd?: boolean, padValue?: number): Tensor;
}
export declare function concat1d(tensors: TensorOrLike[]): Tensor;
export declare function concat2d(tensors: TensorOrLike[], axis: number): Tensor;
export declare function concat3d(tensors: TensorOrLike[], axis: number): Tensor;
export declare function concat4d(tensors: TensorOrLike[], axis: number): Tensor;
export declare function slice1d(x: TensorOrLike, begin: number, size: number): Tensor;
export declare function slice2d(x: TensorOrLike, begin: number[], size: number[]): Tensor;
export declare function slice3d(x: TensorOrLike, begin: number[], size: number[]): Tensor;
export declare function slice4d(x: TensorOrLike, begin: number[], size: number[]): Tensor;
export declare function ensureShape(x: Tensor, shape: (number | null)[]): Tensor;
export declare function stridedSlice(x: TensorOrLike, begin: number[], end: number[], strides?: number[], beginMask?: number, endMask?: number, ellipsisMask?: number, newAxisMask?: number, shrinkAxisMask?: number): Tensor;
export declare function spaceToBatchND(x: TensorOrLike, blockShape: number[], paddings: number[][]): Tensor;
export declare function batchToSpaceND(x: TensorOrLike, blockShape: number[], crops: number[][]): Tensor;
export declare function tensorScatterUpdate(tensor: TensorOrLike, indices: TensorOrLike, updates: TensorOrLike): Tensor;
export declare function sparseToDense(sparseIndices: TensorOrLike, sparseValues: TensorOrLike, outputShape: number[], defaultValue?: TensorOrLike): Tensor;
/** The slices of x at the index rows of indices ([..., k]). */
export declare function gatherND(x: TensorOrLike, indices: TensorOrLike): Tensor;
/** Zeros of `shape` with updates added at the index rows (repeats sum). */
export declare function scatterND(indices: TensorOrLike, updates: TensorOrLike, shape: number[]): Tensor;
export declare function unsortedSegmentSum(x: TensorOrLike, segmentIds: TensorOrLike, numSegments: number): Tensor;
export declare function diag(x: TensorOrLike): Tensor;
export declare function depthToSpace(x: TensorOrLike, blockSize: number, dataFormat?: 'NHWC'): Tensor;
export declare function movingAverage(v: TensorOrLike, x: TensorOrLike, decay: number, step?: number | Tensor, zeroDebias?: boolean): Tensor;
export declare function dropout(x: TensorOrLike, rate: number, noiseShape?: number[], seed?: number): Tensor;
/** One LSTM step: [newC, newH] (gates i, j, f, o). */
export declare function basicLSTMCell(forgetBias: TensorOrLike, lstmKernel: TensorOrLike, lstmBias: TensorOrLike, data: TensorOrLike, c: TensorOrLike, h: TensorOrLike): [Tensor, Tensor];
export declare function multiRNNCell(lstmCells: Array<(data: Tensor, c: Tensor, h: Tensor) => [Tensor, Tensor]>, data: Tensor, c: Tensor[], h: Tensor[]): [Tensor[], Tensor[]];
export declare function searchSorted(sortedSequence: TensorOrLike, values: TensorOrLike, side?: 'left' | 'right'): Tensor;
export declare function lowerBound(sortedSequence: TensorOrLike, values: TensorOrLike): Tensor;
export declare function upperBound(sortedSequence: TensorOrLike, values: TensorOrLike): Tensor;
/** Resolves at the browser's next animation frame. */
export declare function nextFrame(): Promise<void>;
type PixelData = { data: Uint8Array; width: number; height: number };
type Pixels = PixelData | ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap | OffscreenCanvas;
/** Tensors from pictures and pictures from tensors. */
export declare namespace browser {
  /** An int32 [height, width, numChannels] tensor of 0..255 values. */
  function fromPixels(pixels: Pixels, numChannels?: number): Tensor;
  function fromPixelsAsync(pixels: Pixels, numChannels?: number): Promise<Tensor>;
  /** RGBA bytes of a rank-2 or rank-3 tensor (float32 in [0, 1] or int32 in [0, 255]), drawn on `canvas` when given. */
  function toPixels(img: Tensor, canvas?: HTMLCanvasElement): Promise<Uint8ClampedArray>;
  function draw(image: Tensor, canvas: HTMLCanvasElement, options?: { contextOptions?: CanvasRenderingContext2DSettings }): void;
}
/** Image ops on [batch, height, width, channels] tensors (a single [h, w, c] image where TF.js allows it). */
export declare namespace image {
  function resizeBilinear(images: TensorOrLike, size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean): Tensor;
  function resizeNearestNeighbor(images: TensorOrLike, size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean): Tensor;
  function flipLeftRight(image: TensorOrLike): Tensor;
  function grayscaleToRGB(image: TensorOrLike): Tensor;
  function rgbToGrayscale(image: TensorOrLike): Tensor;
  function rotateWithOffset(image: TensorOrLike, radians: number, fillValue?: number | [number, number, number], center?: number | [number, number]): Tensor;
  function transform(image: TensorOrLike, transforms: TensorOrLike, interpolation?: 'nearest' | 'bilinear', fillMode?: 'constant' | 'reflect' | 'wrap' | 'nearest', fillValue?: number, outputShape?: [number, number]): Tensor;
  function cropAndResize(image: TensorOrLike, boxes: TensorOrLike, boxInd: TensorOrLike, cropSize: [number, number], method?: 'bilinear' | 'nearest', extrapolationValue?: number): Tensor;
  function nonMaxSuppression(boxes: TensorOrLike, scores: TensorOrLike, maxOutputSize: number, iouThreshold?: number, scoreThreshold?: number): Tensor;
  function nonMaxSuppressionAsync(boxes: TensorOrLike, scores: TensorOrLike, maxOutputSize: number, iouThreshold?: number, scoreThreshold?: number): Promise<Tensor>;
  function nonMaxSuppressionWithScore(boxes: TensorOrLike, scores: TensorOrLike, maxOutputSize: number, iouThreshold?: number, scoreThreshold?: number, softNmsSigma?: number): { selectedIndices: Tensor; selectedScores: Tensor };
  function nonMaxSuppressionWithScoreAsync(boxes: TensorOrLike, scores: TensorOrLike, maxOutputSize: number, iouThreshold?: number, scoreThreshold?: number, softNmsSigma?: number): Promise<{ selectedIndices: Tensor; selectedScores: Tensor }>;
  function nonMaxSuppressionPadded(boxes: TensorOrLike, scores: TensorOrLike, maxOutputSize: number, iouThreshold?: number, scoreThreshold?: number, padToMaxOutputSize?: boolean): { selectedIndices: Tensor; validOutputs: Tensor };
  function nonMaxSuppressionPaddedAsync(boxes: TensorOrLike, scores: TensorOrLike, maxOutputSize: number, iouThreshold?: number, scoreThreshold?: number, padToMaxOutputSize?: boolean): Promise<{ selectedIndices: Tensor; validOutputs: Tensor }>;
  /** 255 where a pixel's luma is above the threshold, else 0 (int32). */
  function threshold(image: TensorOrLike, method?: 'binary' | 'otsu', inverted?: boolean, threshValue?: number): Tensor;
}
export declare namespace linalg {
  function bandPart(a: TensorOrLike, numLower: number | Tensor, numUpper: number | Tensor): Tensor;
  function gramSchmidt(xs: Tensor): Tensor;
  function gramSchmidt(xs: Tensor[]): Tensor[];
  /** [q, r] of each innermost matrix. */
  function qr(x: TensorOrLike, fullMatrices?: boolean): [Tensor, Tensor];
}
type FusedActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'prelu' | 'leakyrelu' | 'sigmoid';
interface FusedArgs { bias?: TensorOrLike; activation?: FusedActivation; preluActivationWeights?: TensorOrLike; leakyreluAlpha?: number }
export declare namespace fused {
  function matMul(args: FusedArgs & { a: TensorOrLike; b: TensorOrLike; transposeA?: boolean; transposeB?: boolean }): Tensor;
  function conv2d(args: FusedArgs & { x: TensorOrLike; filter: TensorOrLike; strides: number | [number, number]; pad: PadType; dataFormat?: 'NHWC'; dilations?: number | [number, number] }): Tensor;
  function depthwiseConv2d(args: FusedArgs & { x: TensorOrLike; filter: TensorOrLike; strides: number | [number, number]; pad: PadType; dataFormat?: 'NHWC'; dilations?: number | [number, number] }): Tensor;
}
export declare namespace math {
  /** An int32 [numClasses, numClasses] matrix counting each (label, prediction) pair. */
  function confusionMatrix(labels: TensorOrLike, predictions: TensorOrLike, numClasses: number): Tensor;
}
/** The environment's flags (PROD, DEBUG, IS_BROWSER, ...). */
export declare function deprecationWarn(message: string): void;
export declare function disableDeprecationWarnings(): void;
export declare const Rank: { readonly R0: 'R0'; readonly R1: 'R1'; readonly R2: 'R2'; readonly R3: 'R3'; readonly R4: 'R4'; readonly R5: 'R5'; readonly R6: 'R6' };
export declare function print(x: Tensor, verbose?: boolean): void;
/** f as an op: the tensors made along the way are freed when it returns. */
export declare function op<F extends (...args: any[]) => any>(f: { [name: string]: F }): F;
export declare class Environment {
  flags: { [name: string]: unknown };
  get(name: string): unknown; getBool(name: string): boolean; getNumber(name: string): number;
  set(name: string, value: unknown): void;
}
export declare const ENV: Environment;
export declare function env(): {
  flags: { [name: string]: unknown };
  get(name: string): unknown; getBool(name: string): boolean; getNumber(name: string): number;
  getFlags(): { [name: string]: unknown }; set(name: string, value: unknown): void; setFlags(flags: { [name: string]: unknown }): void;
};
export declare function enableProdMode(): void;
export declare function enableDebugMode(): void;
/** Scopes opened by hand, the registered variables, memory. */
export declare function engine(): {
  startScope(name?: string): void;
  endScope(result?: Tensor | Tensor[] | { [k: string]: Tensor }): void;
  readonly registeredVariables: { [name: string]: Variable };
  memory(): ReturnType<typeof memory>;
};
export declare function time(f: () => void): Promise<{ wallMs: number; kernelMs: number }>;
export declare function profile<T>(f: () => T | Promise<T>): Promise<{ newBytes: number; newTensors: number; peakBytes: number; kernels: unknown[]; kernelNames: string[]; result: T }>;
export declare function disposeVariables(): void;

export declare function tensor(values: TensorLike, shape?: number[], dtype?: DataType): Tensor;
export declare function scalar(value: number | boolean, dtype?: DataType): Tensor;
export declare function tensor1d(values: TensorLike, dtype?: DataType): Tensor;
export declare function tensor2d(values: TensorLike, shape?: [number, number], dtype?: DataType): Tensor;
export declare function tensor3d(values: TensorLike, shape?: [number, number, number], dtype?: DataType): Tensor;
export declare function tensor4d(values: TensorLike, shape?: [number, number, number, number], dtype?: DataType): Tensor;
export declare function zeros(shape: number[], dtype?: DataType): Tensor;
export declare function ones(shape: number[], dtype?: DataType): Tensor;
export declare function fill(shape: number[], value: number, dtype?: DataType): Tensor;
export declare function zerosLike(t: Tensor): Tensor;
export declare function onesLike(t: Tensor): Tensor;
export declare function randomUniform(shape: number[], minval?: number, maxval?: number, dtype?: DataType, seed?: number): Tensor;
export declare function randomNormal(shape: number[], mean?: number, stdDev?: number, dtype?: DataType, seed?: number): Tensor;
export declare function truncatedNormal(shape: number[], mean?: number, stdDev?: number, dtype?: DataType, seed?: number): Tensor;
export declare function linspace(start: number, stop: number, num: number): Tensor;
export declare function range(start: number, stop: number, step?: number, dtype?: DataType): Tensor;
export declare function oneHot(indices: TensorOrLike, depth: number, onValue?: number, offValue?: number): Tensor;
export declare function setSeed(seed: number): void;

export declare function tidy<T>(fn: () => T): T;
export declare function tidy<T>(name: string, fn: () => T): T;
export declare function keep<T extends Tensor>(t: T): T;
export declare function dispose(x: Tensor | Tensor[] | { [k: string]: Tensor } | { dispose(): void }): void;
/** Live tensors and bytes; model weights apart; on WebGPU, the GPU buffer pool and the models' GPU buffers. */
export declare function memory(): {
  numTensors: number;
  numBytes: number;
  numModels: number;
  modelBytes: number;
  gpuPoolBytes: number;
  gpuModelBytes: number;
  /** GPU buffers Hebb has made so far (pooled ones are reused: steady training makes no new ones). */
  gpuBuffersMade: number;
  unreliable: boolean;
};
export declare function ready(): Promise<boolean>;
export declare function getBackend(): 'cpu' | 'webgpu';
export declare function setBackend(name: 'cpu' | 'wasm' | 'webgpu'): Promise<boolean>;
type TypedArray = Float32Array | Int32Array | Uint8Array;
/** TF.js's tf.util helpers, plus Hebb's seed (its global random streams). */
export declare const util: {
  seed(s: number): void;
  isTypedArray(a: unknown): boolean; isString(v: unknown): boolean; isBoolean(v: unknown): boolean; isNumber(v: unknown): boolean;
  isInt(a: number): boolean; isFunction(f: unknown): boolean; isPromise(o: unknown): boolean; isScalarShape(shape: number[]): boolean;
  isValidDtype(dtype: string): boolean;
  assert(expr: boolean, msg: string | (() => string)): void;
  assertShapesMatch(shapeA: number[], shapeB: number[], errorMessagePrefix?: string): void;
  assertNonNull(a: unknown): void;
  assertNonNegativeIntegerDimensions(shape: number[]): void;
  arraysEqual(n1: ArrayLike<unknown>, n2: ArrayLike<unknown>): boolean;
  arraysEqualWithNull(n1: ArrayLike<unknown> | null, n2: ArrayLike<unknown> | null): boolean;
  shuffle(array: unknown[] | TypedArray | Uint32Array): void;
  shuffleCombo(array: unknown[] | TypedArray, array2: unknown[] | TypedArray): void;
  createShuffledIndices(n: number): Uint32Array;
  swap<T>(object: { [index: number]: T }, left: number, right: number): void;
  clamp(min: number, x: number, max: number): number;
  nearestLargerEven(v: number): number;
  sum(arr: ArrayLike<number>): number;
  randUniform(a: number, b: number): number;
  distSquared(a: ArrayLike<number>, b: ArrayLike<number>): number;
  tanh(x: number): number;
  nearestDivisor(size: number, start: number): number;
  sizeToSquarishShape(size: number): [number, number];
  rightPad(a: string, size: number): string;
  now(): number;
  fetch(path: string, requestInits?: RequestInit): Promise<Response>;
  repeatedTry(checkFn: () => boolean, delayFn?: (counter: number) => number, maxCounter?: number, scheduleFn?: (f: () => void, ms: number) => void): Promise<void>;
  sizeFromShape(shape: number[]): number;
  computeStrides(shape: number[]): number[];
  locToIndex(locs: number[], rank: number, strides: number[]): number;
  indexToLoc(index: number, rank: number, strides: number[]): number[];
  inferFromImplicitShape(shape: number[], size: number): number[];
  parseAxisParam(axis: number | number[] | null | undefined, shape: number[]): number[];
  squeezeShape(shape: number[], axis?: number | number[]): { newShape: number[]; keptDims: number[] };
  bytesPerElement(dtype: string): number;
  bytesFromStringArray(arr: Uint8Array[]): number;
  hasEncodingLoss(oldType: string, newType: string): boolean;
  inferDtype(values: unknown): string;
  getTypedArrayFromDType(dtype: DataType, size: number): TypedArray;
  getArrayFromDType(dtype: DataType | 'string', size: number): TypedArray | string[];
  makeZerosTypedArray(size: number, dtype: DataType): TypedArray;
  makeOnesTypedArray(size: number, dtype: DataType): TypedArray;
  makeZerosNestedTypedArray(shape: number[], dtype: DataType): any;
  toTypedArray(a: unknown, dtype: DataType): TypedArray;
  createScalarValue(value: number | string, dtype: DataType | 'string'): TypedArray;
  flatten<T>(arr: unknown, result?: T[], skipTypedArray?: boolean): T[];
  toNestedArray(shape: number[], a: ArrayLike<number>, isComplex?: boolean): any;
  encodeString(s: string, encoding?: string): Uint8Array;
  decodeString(bytes: Uint8Array, encoding?: string): string;
};
export declare const version: { hebb: string };

type Bin = (a: TensorOrLike, b: TensorOrLike) => Tensor;
type Un = (x: TensorOrLike) => Tensor;
export declare const add: Bin, sub: Bin, mul: Bin, div: Bin, pow: Bin, maximum: Bin, minimum: Bin, squaredDifference: Bin,
  greater: Bin, greaterEqual: Bin, less: Bin, lessEqual: Bin, equal: Bin, notEqual: Bin, logicalAnd: Bin, logicalOr: Bin, divNoNan: Bin, floorDiv: Bin;
export declare const neg: Un, abs: Un, exp: Un, log: Un, log1p: Un, sqrt: Un, rsqrt: Un, square: Un, reciprocal: Un, sign: Un,
  floor: Un, ceil: Un, round: Un, sin: Un, cos: Un, relu: Un, relu6: Un, selu: Un, sigmoid: Un, tanh: Un, softplus: Un, logicalNot: Un, isNaN: Un;
/** The elementwise sum of tensors of one shape. */
export declare function addN(tensors: Tensor[]): Tensor;
export declare function elu(x: TensorOrLike, alpha?: number): Tensor;
export declare function leakyRelu(x: TensorOrLike, alpha?: number): Tensor;
export declare function where(cond: TensorOrLike, a: TensorOrLike, b: TensorOrLike): Tensor;
export declare function clipByValue(x: TensorOrLike, min: number, max: number): Tensor;
export declare function cast(x: TensorOrLike, dtype: DataType): Tensor;
export declare function matMul(a: TensorOrLike, b: TensorOrLike, transposeA?: boolean, transposeB?: boolean): Tensor;
/** Vector·vector, matrix·vector, vector·matrix or matrix·matrix. */
export declare function dot(a: Tensor, b: Tensor): Tensor;
export declare function sum(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function mean(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function max(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function min(x: TensorOrLike, axis?: number | number[] | null, keepDims?: boolean): Tensor;
export declare function argMax(x: TensorOrLike, axis?: number): Tensor;
export declare function argMin(x: TensorOrLike, axis?: number): Tensor;
export declare function softmax(x: TensorOrLike, dim?: number): Tensor;
export declare function logSoftmax(x: TensorOrLike, axis?: number): Tensor;
export declare function reshape(x: TensorOrLike, shape: number[]): Tensor;
export declare function flatten(x: TensorOrLike): Tensor;
export declare function transpose(x: TensorOrLike, perm?: number[]): Tensor;
export declare function broadcastTo(x: TensorOrLike, shape: number[]): Tensor;
export declare function slice(x: TensorOrLike, begin: number | number[], size?: number | number[]): Tensor;
export declare function concat(tensors: Tensor[], axis?: number): Tensor;
export declare function stack(tensors: Tensor[], axis?: number): Tensor;
export declare function unstack(x: Tensor, axis?: number): Tensor[];
export declare function gather(x: TensorOrLike, indices: TensorOrLike, axis?: number): Tensor;
export declare function expandDims(x: Tensor, axis?: number): Tensor;
export declare function squeeze(x: Tensor, axis?: number | number[]): Tensor;

export type ActivationIdentifier = 'linear' | 'relu' | 'relu6' | 'elu' | 'selu' | 'sigmoid' | 'hardSigmoid' | 'tanh' | 'softplus' | 'softsign' | 'softmax' | 'swish';
export interface InitializerSpec { getClassName(): string; getConfig(): object }
export type InitializerIdentifier = 'zeros' | 'ones' | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'leCunUniform' | 'leCunNormal' | 'randomUniform' | 'randomNormal' | 'truncatedNormal' | 'varianceScaling' | InitializerSpec;

export interface LayerArgs { name?: string; inputShape?: (number | null)[]; batchInputShape?: (number | null)[]; batchSize?: number; inputDim?: number; trainable?: boolean }
export interface RegularizerSpec { getClassName(): string; getConfig(): { l1: number; l2: number } }
export declare const regularizers: {
  l1(config?: { l1?: number }): RegularizerSpec;
  l2(config?: { l2?: number }): RegularizerSpec;
  l1l2(config?: { l1?: number; l2?: number }): RegularizerSpec;
};
/**
 * A weight constraint from tf.constraints.*: Hebb projects the weight right after every optimizer
 * update (as Keras 3 does), on the CPU and on WebGPU. `axis` is the axis (or axes) the L2 norm
 * runs over; each slice along the others is scaled on its own.
 */
export interface ConstraintSpec { getClassName(): string; getConfig(): { [option: string]: number | number[] }; apply(w: Tensor): Tensor }
export type ConstraintIdentifier =
  | 'maxNorm' | 'minMaxNorm' | 'nonNeg' | 'unitNorm'
  | ConstraintSpec
  | { className: 'MaxNorm' | 'MinMaxNorm' | 'NonNeg' | 'UnitNorm'; config?: { maxValue?: number; minValue?: number; rate?: number; axis?: number | number[] } };
export declare const constraints: {
  /** Scales each slice down to an L2 norm of at most maxValue (default 2); axis defaults to 0. */
  maxNorm(args?: { maxValue?: number; axis?: number | number[] }): ConstraintSpec;
  /** Moves each slice's L2 norm into [minValue, maxValue] (defaults 0, 1) at rate (default 1). */
  minMaxNorm(args?: { minValue?: number; maxValue?: number; rate?: number; axis?: number | number[] }): ConstraintSpec;
  /** Sets negative weights to zero. */
  nonNeg(): ConstraintSpec;
  /** Scales each slice to an L2 norm of 1; axis defaults to 0. */
  unitNorm(args?: { axis?: number | number[] }): ConstraintSpec;
};
export interface DenseLayerArgs extends LayerArgs {
  units: number; activation?: ActivationIdentifier; useBias?: boolean;
  kernelInitializer?: InitializerIdentifier; biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerSpec | 'l1' | 'l2' | 'l1l2'; biasRegularizer?: RegularizerSpec | 'l1' | 'l2' | 'l1l2';
  kernelConstraint?: ConstraintIdentifier; biasConstraint?: ConstraintIdentifier;
}

/** A layer's weight (TF.js's LayerVariable): layer.kernel, model.weights[i], addWeight()'s result. */
export declare class LayerVariable {
  readonly id: number;
  readonly name: string;
  readonly originalName: string;
  readonly shape: number[];
  readonly dtype: 'float32';
  trainable: boolean;
  readonly constraint: ConstraintSpec | null;
  /** A copy of the weight's value (inside a custom layer's call(), its traced placeholder). */
  read(): Tensor;
  write(value: Tensor): LayerVariable;
  /** The weight as a tf.Variable for custom loops; optimizer updates to it reach the model. */
  readonly val: Variable;
  assertNotDisposed(): void;
  dispose(): void;
}
/** What a layer accepts: rank and fixed axes (TF.js's InputSpec). */
export declare class InputSpec {
  dtype?: DataType; shape?: (number | null)[]; ndim?: number; maxNDim?: number; minNDim?: number;
  axes?: { [axis: number]: number };
}
/** A call of a layer on symbolic tensors (TF.js's Node). */
export interface LayerNode {
  outboundLayer: Layer; inboundLayers: Layer[]; inputTensors: SymbolicTensor[]; outputTensors: SymbolicTensor[];
  nodeIndices: number[]; tensorIndices: number[];
}
export declare const serialization: {
  /** Registers a custom layer class (by its static className) so loadLayersModel can build it. */
  registerClass<T extends new (config: any) => Layer>(cls: T, pkg?: string, name?: string): T;
  /** The name a class is registered under. */
  getRegisteredName(cls: Function): string;
  Serializable: new () => { getClassName(): string; getConfig(): object };
  SerializationMap: { getMap(): { classNameMap: { [name: string]: unknown } } };
};
/** A layer's activation (layer.activation): its name and the function. */
export interface ActivationFn { getClassName(): string; apply(x: Tensor): Tensor }
export declare class Layer {
  /** For custom layers: class MyLayer extends tf.layers.Layer { constructor(config) { super(config); } } */
  constructor(config?: LayerArgs & { [option: string]: unknown });
  /** Custom layers: create weights with addWeight (called once with the input shape). */
  build(inputShape: (number | null)[] | (number | null)[][]): void;
  /** Custom layers: the layer's math, written with tensor ops. */
  call(inputs: Tensor | Tensor[], kwargs: { [key: string]: unknown }): Tensor | Tensor[];
  computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] | (number | null)[][];
  addWeight(name: string, shape: number[], dtype?: 'float32', initializer?: InitializerIdentifier, regularizer?: RegularizerSpec, trainable?: boolean, constraint?: ConstraintIdentifier): LayerVariable;
  built: boolean;
  readonly name: string;
  readonly className: string;
  trainable: boolean;
  readonly inputShape?: (number | null)[];
  /** One shape, or one per output for a layer with several (returnState). */
  readonly outputShape?: (number | null)[] | (number | null)[][];
  readonly id: number;
  /** Trainable weights first, then the others (moving statistics, or all of a frozen layer). */
  readonly weights: LayerVariable[];
  readonly trainableWeights: LayerVariable[];
  readonly nonTrainableWeights: LayerVariable[];
  /** TF.js's RegularizerFns: each regularized weight's penalty, then what addLoss added. */
  readonly losses: (() => Tensor)[];
  /** The values of `losses` now, one scalar each. */
  calculateLosses(): Tensor[];
  /** Adds loss functions: fit adds them to the training loss; custom loops use calculateLosses(). */
  addLoss(losses: (() => Tensor) | (() => Tensor)[]): void;
  readonly updates: Tensor[];
  readonly inputSpec: InputSpec[] | null;
  readonly supportsMasking: boolean;
  readonly stateful: boolean;
  /** The symbolic input/output of the layer's only call (throws when it has several). */
  readonly input: SymbolicTensor | SymbolicTensor[];
  readonly output: SymbolicTensor | SymbolicTensor[];
  readonly inboundNodes: LayerNode[];
  readonly outboundNodes: LayerNode[];
  getInputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[];
  getOutputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[];
  // The class's TF.js properties, where the class has them (from its options and weights).
  units?: number; filters?: number; kernelSize?: number[]; strides?: number[]; poolSize?: number[];
  padding?: 'valid' | 'same' | 'causal'; dataFormat?: 'channelsLast' | 'channelsFirst'; dilationRate?: number[];
  useBias?: boolean; rate?: number; axis?: number | number[]; returnSequences?: boolean; returnState?: boolean; goBackwards?: boolean;
  activation?: ActivationFn; recurrentActivation?: ActivationFn;
  kernelInitializer?: InitializerSpec | null; biasInitializer?: InitializerSpec | null;
  kernel?: LayerVariable | null; bias?: LayerVariable | null; recurrentKernel?: LayerVariable | null;
  depthwiseKernel?: LayerVariable | null; pointwiseKernel?: LayerVariable | null; embeddings?: LayerVariable | null;
  gamma?: LayerVariable | null; beta?: LayerVariable | null; movingMean?: LayerVariable | null; movingVariance?: LayerVariable | null;
  /** A wrapper's (bidirectional, timeDistributed) layer. */
  layer?: Layer;
  getClassName(): string;
  getConfig(): { [option: string]: unknown };
  countParams(): number;
  computeMask(inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor | Tensor[] | null;
  assertInputCompatibility(inputs: SymbolicTensor | SymbolicTensor[]): void;
  /** Frees the layer's weights; a disposed layer cannot be applied. */
  dispose(): { refCountAfterDispose: number; numDisposedVariables: number };
  /** Zeroes a stateful recurrent layer's carried states. */
  resetStates(): void;
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
  /** On symbolic tensors: records the call (functional models); on tensors: runs the layer. */
  /**
   * As in TF.js: one output, or a list for a layer with several (a recurrent layer with
   * returnState gives [output, ...finalStates]); `initialState` starts a recurrent layer from
   * given states (h, and c for an LSTM).
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], kwargs?: { initialState?: SymbolicTensor | SymbolicTensor[] }): SymbolicTensor | SymbolicTensor[];
  apply(inputs: Tensor | Tensor[], kwargs?: { initialState?: Tensor | Tensor[] }): Tensor | Tensor[];
}

/** A placeholder in a functional model's definition (from tf.input or a layer's apply). */
export declare class SymbolicTensor {
  readonly id: number;
  readonly shape: (number | null)[];
  readonly dtype: DataType;
  readonly name: string;
  readonly originalName: string;
  readonly sourceLayer: Layer;
  readonly rank: number;
  /** Which call of sourceLayer made it, and which of that call's outputs it is. */
  readonly nodeIndex: number;
  readonly tensorIndex: number;
  readonly inputs: SymbolicTensor[];
}
export declare function input(config: { shape?: (number | null)[]; batchShape?: (number | null)[]; name?: string; dtype?: 'float32' | 'int32' }): SymbolicTensor;
type MergeArgs = { name?: string; trainable?: boolean };

type Tuple = number | number[];
export interface ConvLayerArgs extends LayerArgs {
  kernelSize: Tuple; strides?: Tuple; padding?: 'valid' | 'same' | 'causal'; dataFormat?: 'channelsLast';
  dilationRate?: Tuple; activation?: ActivationIdentifier; useBias?: boolean;
  biasInitializer?: InitializerIdentifier; biasRegularizer?: RegularizerSpec; biasConstraint?: ConstraintIdentifier;
}
export interface FilterConvArgs extends ConvLayerArgs {
  filters: number; kernelInitializer?: InitializerIdentifier; kernelRegularizer?: RegularizerSpec; kernelConstraint?: ConstraintIdentifier;
}
export interface DepthwiseArgs extends ConvLayerArgs {
  depthMultiplier?: number; depthwiseInitializer?: InitializerIdentifier; depthwiseRegularizer?: RegularizerSpec;
  depthwiseConstraint?: ConstraintIdentifier;
}
export interface SeparableArgs extends DepthwiseArgs {
  filters: number; pointwiseInitializer?: InitializerIdentifier; pointwiseRegularizer?: RegularizerSpec; pointwiseConstraint?: ConstraintIdentifier;
}
export interface PoolingArgs extends LayerArgs { poolSize?: Tuple; strides?: Tuple; padding?: 'valid' | 'same'; dataFormat?: 'channelsLast' }

export interface RNNLayerArgs extends LayerArgs {
  units: number; activation?: ActivationIdentifier; useBias?: boolean;
  returnSequences?: boolean; goBackwards?: boolean; dropout?: number; recurrentDropout?: number;
  /** Also return the final states: apply gives [output, h] ([output, h, c] for an LSTM). */
  returnState?: boolean;
  /** Keep the final states as the next batch's initial states (needs a fixed batch size: batchInputShape or batchSize). */
  stateful?: boolean;
  kernelInitializer?: InitializerIdentifier; recurrentInitializer?: InitializerIdentifier | 'orthogonal'; biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerSpec; recurrentRegularizer?: RegularizerSpec; biasRegularizer?: RegularizerSpec;
  kernelConstraint?: ConstraintIdentifier; recurrentConstraint?: ConstraintIdentifier; biasConstraint?: ConstraintIdentifier;
}

/** ConvLSTM2D's (and its cell's) options: an LSTM's with filters for units, and a 2-D convolution's. */
export interface ConvLSTM2DArgs extends Omit<RNNLayerArgs, 'units'> {
  filters: number; kernelSize: number | [number, number]; strides?: number | [number, number];
  padding?: 'valid' | 'same'; dataFormat?: 'channelsLast'; dilationRate?: number | [number, number];
  recurrentActivation?: ActivationIdentifier; unitForgetBias?: boolean;
}

/** The class of the recurrent layers (simpleRNN, lstm, gru, rnn). */
export declare class RNN extends Layer {}
/** The class of the cells tf.layers.rnn steps (simpleRNNCell, lstmCell, gruCell). */
export declare class RNNCell extends Layer {}
export declare const layers: {
  /** The base class of custom layers. */
  Layer: typeof Layer;
  RNN: typeof RNN;
  RNNCell: typeof RNNCell;
  dense(args: DenseLayerArgs): Layer;
  activation(args: LayerArgs & { activation: ActivationIdentifier }): Layer;
  dropout(args: LayerArgs & { rate: number; seed?: number }): Layer;
  flatten(args?: LayerArgs): Layer;
  leakyReLU(args?: LayerArgs & { alpha?: number }): Layer;
  elu(args?: LayerArgs & { alpha?: number }): Layer;
  /** Keras 3's ReLU: maxValue, and negativeSlope and threshold (TF.js has maxValue only). */
  reLU(args?: LayerArgs & { maxValue?: number | null; negativeSlope?: number; threshold?: number }): Layer;
  prelu(args?: LayerArgs & { alphaInitializer?: InitializerIdentifier; alphaRegularizer?: RegularizerSpec; alphaConstraint?: ConstraintIdentifier; sharedAxes?: number | number[] }): Layer;
  thresholdedReLU(args?: LayerArgs & { theta?: number }): Layer;
  rescaling(args: LayerArgs & { scale: number; offset?: number }): Layer;
  gaussianDropout(args: LayerArgs & { rate: number }): Layer;
  alphaDropout(args: LayerArgs & { rate: number; noiseShape?: (number | null)[] }): Layer;
  /** Keras 3's half-pixel resizing of images [batch, h, w, c]. */
  resizing(args: LayerArgs & { height: number; width: number; interpolation?: 'bilinear' | 'nearest'; cropToAspectRatio?: false }): Layer;
  /** In training, each batch's images resized to a random width (round(width * U(1 + lower, 1 + upper))); in inference, passed through. */
  randomWidth(args: LayerArgs & { factor: number | [number, number]; interpolation?: 'bilinear' | 'nearest'; seed?: number }): Layer;
  centerCrop(args: LayerArgs & { height: number; width: number }): Layer;
  categoryEncoding(args: LayerArgs & { numTokens: number; outputMode?: 'oneHot' | 'multiHot' | 'count' }): Layer;
  /** tf.input. */
  input(config: { shape?: number[]; batchShape?: (number | null)[]; name?: string; dtype?: 'float32' | 'int32' }): SymbolicTensor;
  softmax(args?: LayerArgs & { axis?: number }): Layer;
  inputLayer(args: { inputShape?: (number | null)[]; batchInputShape?: (number | null)[]; name?: string }): Layer;
  add(args?: MergeArgs): Layer;
  add(inputs: SymbolicTensor[]): SymbolicTensor;
  subtract(args?: MergeArgs): Layer;
  subtract(inputs: SymbolicTensor[]): SymbolicTensor;
  multiply(args?: MergeArgs): Layer;
  multiply(inputs: SymbolicTensor[]): SymbolicTensor;
  average(args?: MergeArgs): Layer;
  average(inputs: SymbolicTensor[]): SymbolicTensor;
  maximum(args?: MergeArgs): Layer;
  maximum(inputs: SymbolicTensor[]): SymbolicTensor;
  minimum(args?: MergeArgs): Layer;
  minimum(inputs: SymbolicTensor[]): SymbolicTensor;
  concatenate(args?: MergeArgs & { axis?: number }): Layer;
  concatenate(inputs: SymbolicTensor[]): SymbolicTensor;
  dot(args: MergeArgs & { axes: number | [number, number]; normalize?: boolean }): Layer;
  /** Keras's MultiHeadAttention (TF.js has none): apply([query, value]) or apply([query, value, key]). */
  multiHeadAttention(args: LayerArgs & {
    numHeads: number; keyDim: number; valueDim?: number; dropout?: number; useBias?: boolean; outputShape?: number;
    useCausalMask?: boolean; kernelInitializer?: InitializerIdentifier; biasInitializer?: InitializerIdentifier;
    kernelRegularizer?: RegularizerSpec; biasRegularizer?: RegularizerSpec;
    kernelConstraint?: ConstraintIdentifier; biasConstraint?: ConstraintIdentifier;
  }): Layer;
  reshape(args: LayerArgs & { targetShape: number[] }): Layer;
  permute(args: LayerArgs & { dims: number[] }): Layer;
  repeatVector(args: LayerArgs & { n: number }): Layer;
  embedding(
    args: LayerArgs & {
      inputDim: number;
      outputDim: number;
      embeddingsInitializer?: InitializerIdentifier;
      embeddingsRegularizer?: RegularizerSpec;
      embeddingsConstraint?: ConstraintIdentifier;
      inputLength?: number;
      /** Index 0 is padding: later layers (recurrent layers, pooling) skip those steps. */
      maskZero?: boolean;
    },
  ): Layer;
  layerNormalization(
    args?: LayerArgs & {
      axis?: -1;
      epsilon?: number;
      center?: boolean;
      scale?: boolean;
      gammaInitializer?: InitializerIdentifier;
      betaInitializer?: InitializerIdentifier;
      gammaRegularizer?: RegularizerSpec;
      betaRegularizer?: RegularizerSpec;
      gammaConstraint?: ConstraintIdentifier;
      betaConstraint?: ConstraintIdentifier;
    },
  ): Layer;
  batchNormalization(
    args?: LayerArgs & {
      axis?: number; momentum?: number; epsilon?: number; center?: boolean; scale?: boolean;
      gammaInitializer?: InitializerIdentifier; betaInitializer?: InitializerIdentifier;
      movingMeanInitializer?: InitializerIdentifier; movingVarianceInitializer?: InitializerIdentifier;
      gammaRegularizer?: RegularizerSpec; betaRegularizer?: RegularizerSpec;
      gammaConstraint?: ConstraintIdentifier; betaConstraint?: ConstraintIdentifier;
    },
  ): Layer;
  conv1d(args: FilterConvArgs): Layer;
  conv2d(args: FilterConvArgs): Layer;
  conv2dTranspose(args: FilterConvArgs): Layer;
  depthwiseConv2d(args: DepthwiseArgs): Layer;
  separableConv2d(args: SeparableArgs): Layer;
  /** Convolution over volumes [batch, depth, height, width, channels]; kernel [kd, kh, kw, in, filters]. */
  conv3d(args: FilterConvArgs): Layer;
  /** Transposed 3-D convolution; kernel [kd, kh, kw, filters, in] (Keras's layout). */
  conv3dTranspose(args: FilterConvArgs): Layer;
  /** Pooling over volumes [batch, depth, height, width, channels]; poolSize defaults to [2, 2, 2], strides to poolSize. */
  maxPooling3d(args?: PoolingArgs): Layer;
  averagePooling3d(args?: PoolingArgs): Layer;
  maxPooling1d(args?: PoolingArgs): Layer;
  maxPooling2d(args?: PoolingArgs): Layer;
  averagePooling1d(args?: PoolingArgs): Layer;
  averagePooling2d(args?: PoolingArgs): Layer;
  globalMaxPooling1d(args?: LayerArgs): Layer;
  globalMaxPooling2d(args?: LayerArgs): Layer;
  globalAveragePooling1d(args?: LayerArgs): Layer;
  globalAveragePooling2d(args?: LayerArgs): Layer;
  upSampling2d(args?: LayerArgs & { size?: Tuple; interpolation?: 'nearest' | 'bilinear' }): Layer;
  zeroPadding2d(args?: LayerArgs & { padding?: number | [number, number] | [[number, number], [number, number]] }): Layer;
  /** Drops [start, end] steps (default 1 each). */
  cropping1d(args?: LayerArgs & { cropping?: number | [number, number] }): Layer;
  /** Drops rows and columns: an integer, [symH, symW] or [[top, bottom], [left, right]]. */
  cropping2D(args: LayerArgs & { cropping: number | [number, number] | [[number, number], [number, number]]; dataFormat?: 'channelsLast' }): Layer;
  cropping2d(args: LayerArgs & { cropping: number | [number, number] | [[number, number], [number, number]]; dataFormat?: 'channelsLast' }): Layer;
  spatialDropout1d(args: LayerArgs & { rate: number }): Layer;
  gaussianNoise(args: LayerArgs & { stddev: number }): Layer;
  /** Masks the steps whose features all equal maskValue (default 0): recurrent layers skip them. */
  masking(args?: LayerArgs & { maskValue?: number }): Layer;
  simpleRNN(args: RNNLayerArgs): Layer;
  lstm(args: RNNLayerArgs & { recurrentActivation?: ActivationIdentifier; unitForgetBias?: boolean }): Layer;
  gru(args: RNNLayerArgs & { recurrentActivation?: ActivationIdentifier; resetAfter?: boolean }): Layer;
  /** An LSTM over sequences of images [batch, steps, height, width, channels] whose transforms are convolutions. */
  convLstm2d(args: ConvLSTM2DArgs): Layer;
  /** A recurrent layer around a cell, a list of cells (stacked) or stackedRNNCells. */
  rnn(args: LayerArgs & {
    cell: Layer | Layer[];
    returnSequences?: boolean; returnState?: boolean; goBackwards?: boolean; stateful?: boolean;
  }): Layer;
  /** Cells step inside tf.layers.rnn (their options are the matching layer's, less the sequence flags). */
  simpleRNNCell(args: Omit<RNNLayerArgs, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful'>): Layer;
  lstmCell(args: Omit<RNNLayerArgs, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful'> & { recurrentActivation?: ActivationIdentifier; unitForgetBias?: boolean }): Layer;
  gruCell(args: Omit<RNNLayerArgs, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful'> & { recurrentActivation?: ActivationIdentifier; resetAfter?: boolean }): Layer;
  /** ConvLSTM2D's cell, for tf.layers.rnn over [batch, steps, height, width, channels] (not stackable). */
  convLstm2dCell(args: Omit<ConvLSTM2DArgs, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful'>): Layer;
  stackedRNNCells(args: { cells: Layer[]; name?: string }): Layer;
  bidirectional(args: LayerArgs & { layer: Layer; mergeMode?: 'concat' | 'sum' | 'mul' | 'ave' }): Layer;
  timeDistributed(args: LayerArgs & { layer: Layer }): Layer;
  // TF.js's aliases.
  convolution1d(args: FilterConvArgs): Layer;
  convolution2d(args: FilterConvArgs): Layer;
  maxPool1d(args?: PoolingArgs): Layer;
  maxPool2d(args?: PoolingArgs): Layer;
  avgPool1d(args?: PoolingArgs): Layer;
  avgPool2d(args?: PoolingArgs): Layer;
  avgPooling1d(args?: PoolingArgs): Layer;
  avgPooling2d(args?: PoolingArgs): Layer;
  avgPool3d(args?: PoolingArgs): Layer;
  avgPooling3d(args?: PoolingArgs): Layer;
  globalMaxPool1d(args?: LayerArgs): Layer;
  globalMaxPool2d(args?: LayerArgs): Layer;
  globalAvgPool1d(args?: LayerArgs): Layer;
  globalAvgPool2d(args?: LayerArgs): Layer;
};
export declare const initializers: { [name: string]: (config?: object) => InitializerSpec };

export declare class Optimizer {
  learningRate: number;
  getClassName(): string;
  getConfig(): object;
  setLearningRate(learningRate: number): void;
  /** The state as TF.js gives it: 'iter', then each slot of every weight of the model it trains. */
  getWeights(): Promise<{ name: string; tensor: Tensor }[]>;
  setWeights(weightValues: { name: string; tensor: Tensor }[]): Promise<void>;
  /** Momentum only. */
  setMomentum(momentum: number): void;
  readonly momentum?: number; readonly useNesterov?: boolean; readonly beta1?: number; readonly beta2?: number;
  readonly epsilon?: number; readonly rho?: number; readonly decay?: number; readonly centered?: boolean;
  readonly initialAccumulatorValue?: number;
}
export declare class LearningRateSchedule {
  getClassName(): string;
  getConfig(): object;
}
/** Gradient clipping (Keras 3): the last argument of every tf.train.* factory. At most one. */
export interface ClipOptions { clipnorm?: number; globalClipnorm?: number; clipvalue?: number }
type Rate = number | LearningRateSchedule;
export declare class SGDOptimizer extends Optimizer { constructor(learningRate: Rate, options?: ClipOptions); }
export declare class MomentumOptimizer extends Optimizer { constructor(learningRate: Rate, momentum: number, useNesterov?: boolean, options?: ClipOptions); }
export declare class AdamOptimizer extends Optimizer { constructor(learningRate?: Rate, beta1?: number, beta2?: number, epsilon?: number, options?: ClipOptions); }
export declare class AdamaxOptimizer extends Optimizer { constructor(learningRate?: Rate, beta1?: number, beta2?: number, epsilon?: number, decay?: number, options?: ClipOptions); }
export declare class AdadeltaOptimizer extends Optimizer { constructor(learningRate?: Rate, rho?: number, epsilon?: number, options?: ClipOptions); }
export declare class RMSPropOptimizer extends Optimizer { constructor(learningRate: Rate, decay?: number, momentum?: number, epsilon?: number, centered?: boolean, options?: ClipOptions); }
export declare class AdagradOptimizer extends Optimizer { constructor(learningRate: Rate, initialAccumulatorValue?: number, options?: ClipOptions); }
export declare const train: {
  sgd(learningRate: Rate, options?: ClipOptions): Optimizer;
  momentum(learningRate: Rate, momentum: number, useNesterov?: boolean, options?: ClipOptions): Optimizer;
  adam(learningRate?: Rate, beta1?: number, beta2?: number, epsilon?: number, options?: ClipOptions): Optimizer;
  adamw(learningRate?: Rate, weightDecay?: number, beta1?: number, beta2?: number, epsilon?: number, options?: ClipOptions): Optimizer;
  adamax(learningRate?: Rate, beta1?: number, beta2?: number, epsilon?: number, decay?: number, options?: ClipOptions): Optimizer;
  adadelta(learningRate?: Rate, rho?: number, epsilon?: number, options?: ClipOptions): Optimizer;
  rmsprop(learningRate: Rate, decay?: number, momentum?: number, epsilon?: number, centered?: boolean, options?: ClipOptions): Optimizer;
  adagrad(learningRate: Rate, initialAccumulatorValue?: number, options?: ClipOptions): Optimizer;
  schedules: {
    exponentialDecay(config: { initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean }): LearningRateSchedule;
    cosineDecay(config: { initialLearningRate: number; decaySteps: number; alpha?: number; warmupTarget?: number; warmupSteps?: number }): LearningRateSchedule;
    piecewiseConstantDecay(config: { boundaries: number[]; values: number[] }): LearningRateSchedule;
  };
};

export type LossOrMetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;
export declare class LossSpec {
  getClassName(): string;
  getConfig(): object;
}
export interface CrossentropyOptions { fromLogits?: boolean; labelSmoothing?: number }
export declare const losses: {
  BinaryCrossentropy: new (config?: CrossentropyOptions) => LossSpec;
  CategoricalCrossentropy: new (config?: CrossentropyOptions) => LossSpec;
  SparseCategoricalCrossentropy: new (config?: { fromLogits?: boolean }) => LossSpec;
  Huber: new (config?: { delta?: number }) => LossSpec;
  CategoricalHinge: new (config?: {}) => LossSpec;
  KLDivergence: new (config?: {}) => LossSpec;
  CosineSimilarity: new (config?: {}) => LossSpec;
  Poisson: new (config?: {}) => LossSpec;
  MeanSquaredError: new (config?: {}) => LossSpec;
  MeanAbsoluteError: new (config?: {}) => LossSpec;
  LogCosh: new (config?: {}) => LossSpec;
  Hinge: new (config?: {}) => LossSpec;
  SquaredHinge: new (config?: {}) => LossSpec;
  meanSquaredError(labels: Tensor, predictions: Tensor, weights?: Tensor): Tensor;
  absoluteDifference(labels: Tensor, predictions: Tensor, weights?: Tensor): Tensor;
  huberLoss(labels: Tensor, predictions: Tensor, weights?: Tensor, delta?: number): Tensor;
  logLoss(labels: Tensor, predictions: Tensor, weights?: Tensor, epsilon?: number): Tensor;
  hingeLoss(labels: Tensor, predictions: Tensor, weights?: Tensor): Tensor;
  sigmoidCrossEntropy(labels: Tensor, logits: Tensor, weights?: Tensor): Tensor;
  softmaxCrossEntropy(onehotLabels: Tensor, logits: Tensor, weights?: Tensor): Tensor;
  cosineDistance(labels: Tensor, predictions: Tensor, axis?: number, weights?: Tensor): Tensor;
  /** The losses times the weights, reduced by `reduction` (default SUM_BY_NONZERO_WEIGHTS). */
  computeWeightedLoss(losses: Tensor, weights?: Tensor | number, reduction?: number): Tensor;
};
/** How computeWeightedLoss reduces. */
export declare const Reduction: { NONE: 0; MEAN: 1; SUM: 2; SUM_BY_NONZERO_WEIGHTS: 3 };
export declare const metrics: { [name: string]: LossOrMetricFn };

export type Logs = { [key: string]: number };
export interface CustomCallbackArgs {
  onTrainBegin?: (logs?: Logs) => void | Promise<void>;
  onTrainEnd?: (logs?: Logs) => void | Promise<void>;
  onEpochBegin?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onEpochEnd?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onBatchBegin?: (batch: number, logs?: Logs) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs?: Logs) => void | Promise<void>;
  onYield?: (epoch: number, batch: number, logs?: Logs) => void | Promise<void>;
}
export declare class Callback {
  model: Sequential | null;
  params: object;
  setModel(m: Sequential): void;
  setParams(p: object): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}
export declare class EarlyStopping extends Callback {}
/**
 * Keras's BackupAndRestore: checkpoints the weights, the optimizer's state and the epoch reached
 * to IndexedDB (`indexeddb://<backupDir>`) while fit or fitDataset runs; after a reload the same
 * fit with the same callback resumes at that epoch. The checkpoint is deleted when fit ends.
 */
export declare class BackupAndRestore extends Callback {
  constructor(args: BackupAndRestoreArgs);
  readonly backupDir: string;
  /** The epoch the last fit resumed at, or null when it started afresh. */
  restoredEpoch: number | null;
  /** The checkpoint waiting under `backupDir` ({epoch, savedAt}), or null: lets a page offer to resume. */
  static pending(backupDir: string): Promise<{ epoch: number; savedAt: string; backupDir: string } | null>;
  /** Where checkpoints are kept (IndexedDB by default; set null to go back to it). */
  static store: { load(dir: string): Promise<io.ModelArtifacts | null>; save(dir: string, artifacts: io.ModelArtifacts): Promise<unknown>; remove(dir: string): Promise<unknown> } | null;
}
export interface BackupAndRestoreArgs {
  /** The checkpoint's name in IndexedDB (with or without 'indexeddb://'). */
  backupDir: string;
  /** 'epoch' (default), a number of batches, or false (then only saveEverySeconds saves). */
  saveFreq?: 'epoch' | number | false;
  /** Also save at the first batch or epoch end this many seconds after the last save. */
  saveEverySeconds?: number;
  /** Delete the checkpoint when fit ends (default true). */
  deleteCheckpoint?: boolean;
}
/** A Callback whose hooks are the functions given. */
export declare class CustomCallback extends Callback { constructor(args: CustomCallbackArgs); }
/** Several callbacks called as one. */
export declare class CallbackList {
  constructor(callbacks?: Callback[], queueLength?: number);
  callbacks: Callback[];
  append(callback: Callback): void;
  setParams(params: object): void;
  setModel(model: Sequential): void;
  onTrainBegin(logs?: Logs): Promise<void>;
  onTrainEnd(logs?: Logs): Promise<void>;
  onEpochBegin(epoch: number, logs?: Logs): Promise<void>;
  onEpochEnd(epoch: number, logs?: Logs): Promise<void>;
  onBatchBegin(batch: number, logs?: Logs): Promise<void>;
  onBatchEnd(batch: number, logs?: Logs): Promise<void>;
}
/** Callback classes fit adds by itself when its verbose is at least verbosityLevel. */
export declare function registerCallbackConstructor(verbosityLevel: number, callbackConstructor: new () => Callback): void;
export declare const callbacks: {
  earlyStopping(args?: { monitor?: string; minDelta?: number; patience?: number; mode?: 'auto' | 'min' | 'max'; baseline?: number; restoreBestWeights?: boolean }): EarlyStopping;
  reduceLROnPlateau(args?: { monitor?: string; factor?: number; patience?: number; minDelta?: number; cooldown?: number; minLr?: number; mode?: 'auto' | 'min' | 'max' }): Callback;
  learningRateScheduler(schedule: (epoch: number, lr: number) => number | Promise<number>): Callback;
  /** Keras's BackupAndRestore: a fit cut short by a reload resumes where it was (IndexedDB). */
  backupAndRestore(args: BackupAndRestoreArgs): BackupAndRestore;
  /** Keras's TerminateOnNaN: stops training at the first batch whose loss is NaN or infinite. */
  terminateOnNaN(): Callback;
  /** Saves the model (to a URL or IOHandler) after epochs where the monitored value improves (or every epoch). */
  modelCheckpoint(args: { filepath: string | IOHandler; monitor?: string; mode?: 'auto' | 'min' | 'max'; saveBestOnly?: boolean; saveFreq?: 'epoch' | number }): Callback;
};

export interface ModelFitArgs {
  epochs?: number; batchSize?: number; shuffle?: boolean | 'batch'; validationSplit?: number;
  validationData?: [Tensor, Tensor]; initialEpoch?: number; verbose?: number; seed?: number;
  /** Weights of each class in the training loss (class = argmax of one-hot labels, else the label). */
  classWeight?: { [classIndex: number]: number } | { [classIndex: number]: number }[];
  callbacks?: CustomCallbackArgs | Callback | Array<CustomCallbackArgs | Callback>;
}
export declare class History { epoch: number[]; history: { [key: string]: number[] }; params: object }
type LossIdentifier = string | LossSpec | LossOrMetricFn;
type MetricIdentifier = string | LossOrMetricFn;
export interface ModelCompileArgs {
  optimizer: string | Optimizer;
  /** One loss, or (several outputs) one per output as an array or an object keyed by output name. */
  loss: LossIdentifier | LossIdentifier[] | { [outputName: string]: LossIdentifier };
  metrics?: MetricIdentifier[] | MetricIdentifier[][] | { [outputName: string]: MetricIdentifier | MetricIdentifier[] };
  lossWeights?: number[] | { [outputName: string]: number };
}
/** A model's inputs or targets: one tensor, or one per input/output (array or keyed by name). */
export type TensorOrList = Tensor | Tensor[] | { [name: string]: Tensor };

export declare class LayersModel {
  constructor(config: { inputs: SymbolicTensor | SymbolicTensor[]; outputs: SymbolicTensor | SymbolicTensor[]; name?: string });
  name: string;
  readonly layers: (Layer | LayersModel)[];
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  /** inputs[0] / outputs[0], or the lists when there are several. */
  readonly input: SymbolicTensor | SymbolicTensor[];
  readonly output: SymbolicTensor | SymbolicTensor[];
  readonly inputLayers: Layer[];
  readonly outputLayers: Layer[];
  /** Trainable weights first, then the others, as TF.js lists them. */
  readonly weights: LayerVariable[];
  readonly trainableWeights: LayerVariable[];
  readonly nonTrainableWeights: LayerVariable[];
  readonly built: boolean;
  /** The topology as model.json holds it: a JSON string, or the object with returnString false. */
  toJSON(unused?: unknown, returnString?: boolean): string | object;
  getConfig(): { name: string; layers: object[]; [key: string]: unknown };
  getTrainingConfig(): object;
  /** Sets weights by name; with strict (the default) every weight and no other. */
  loadWeights(weights: { [name: string]: Tensor }, strict?: boolean): void;
  getNamedWeights(): { name: string; tensor: Tensor }[];
  /** Every layer's losses evaluated now (regularization penalties and addLoss functions). */
  calculateLosses(): Tensor[];
  addLoss(losses: (() => Tensor) | (() => Tensor)[]): void;
  /** Throws: a model's weights are its layers' (add them in a custom layer). */
  addWeight(name: string, ...rest: unknown[]): never;
  /** Values of inner symbolic tensors by name, e.g. execute(x, 'dense_Dense1/dense_Dense1'). */
  execute(inputs: TensorOrList | { [inputName: string]: Tensor }, outputs: string | string[]): Tensor | Tensor[];
  findLayer(name: string): Layer | LayersModel;
  /** Compiles from a training config as model.json holds it. */
  loadTrainingConfig(trainingConfig: object): void;
  getUserDefinedMetadata(): object | undefined;
  setUserDefinedMetadata(metadata: object): void;
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly metricsNames: string[];
  stopTraining: boolean;
  readonly isTraining: boolean;
  /** Freezes or unfreezes every layer of the model. */
  trainable: boolean;
  optimizer: Optimizer | null;
  readonly outputShape?: (number | null)[] | (number | null)[][];
  getLayer(name: string | number, index?: number): Layer | LayersModel;
  compile(args: ModelCompileArgs): void;
  fit(x: TensorOrList, y: TensorOrList, args?: ModelFitArgs): Promise<History>;
  trainOnBatch(x: TensorOrList, y: TensorOrList): Promise<number | number[]>;
  evaluate(x: TensorOrList, y: TensorOrList, args?: { batchSize?: number }): Tensor | Tensor[];
  predict(x: TensorOrList, args?: { batchSize?: number }): Tensor | Tensor[];
  predictOnBatch(x: TensorOrList): Tensor | Tensor[];
  /** As a layer: on symbolic tensors, repeats the model's calls (sharing its weights); on
   *  tensors, runs the model (recorded inside tf.grad/variableGrads/minimize; `training` runs
   *  dropout as fit does). */
  apply(inputs: SymbolicTensor | SymbolicTensor[], kwargs?: { training?: boolean }): SymbolicTensor | SymbolicTensor[];
  apply(inputs: Tensor | Tensor[], kwargs?: { training?: boolean }): Tensor | Tensor[];
  summary(lineLength?: number, positions?: number[], printFn?: (line: string) => void): void;
  countParams(): number;
  /** Zeroes the carried states of every stateful layer. */
  resetStates(): void;
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
  dispose(): { refCountAfterDispose: number; numDisposedVariables: number };
}
export declare class Sequential extends LayersModel {
  constructor(config?: { layers?: (Layer | LayersModel)[]; name?: string });
  add(layer: Layer | LayersModel): void;
  /** Removes the last layer. */
  pop(): void;
  predict(x: Tensor | Tensor[], args?: { batchSize?: number }): Tensor;
  predictOnBatch(x: Tensor): Tensor;
}
export declare function sequential(config?: { layers?: (Layer | LayersModel)[]; name?: string }): Sequential;
/** A functional model: tf.model({inputs: tf.input(...), outputs: layer.apply(...)}). */
export declare function model(config: { inputs: SymbolicTensor | SymbolicTensor[]; outputs: SymbolicTensor | SymbolicTensor[]; name?: string }): LayersModel;

// ---- tf.data ----
// tf.data pipelines (www/hebb/data.js) and model.fitDataset / model.evaluateDataset
// (www/hebb/fit_dataset.js).

/** What a dataset element may hold: tensors, numbers, booleans, strings, numeric arrays, or objects and arrays of them. */
export type TensorContainer = void | Tensor | string | number | boolean | Float32Array | Int32Array | Uint8Array | TensorContainerObject | TensorContainerArray;
export interface TensorContainerObject { [key: string]: TensorContainer }
export interface TensorContainerArray extends Array<TensorContainer> {}

type NumericArray = number[] | boolean[] | number[][] | number[][][] | number[][][][] | Float32Array | Int32Array | Uint8Array;
/** The element type after batch(): leaves become tensors with a leading batch axis; objects and arrays keep their structure. */
export type Batched<T> = T extends Tensor | number | boolean | NumericArray ? Tensor
  : T extends readonly unknown[] ? { [K in keyof T]: Batched<T[K]> }
  : T extends object ? { [K in keyof T]: Batched<T[K]> }
  : Tensor;

export declare namespace data {
  /** What iterator() resolves to. */
  interface LazyIterator<T> extends AsyncIterableIterator<T> {
    next(): Promise<IteratorResult<T>>;
    /** Ends the pass early, disposing what the pipeline holds. */
    return(value?: unknown): Promise<IteratorResult<T>>;
  }
  /** A dataset, or an array or object (nested) of them: the argument of zip(). */
  type DatasetContainer = Dataset<any> | DatasetContainer[] | { [key: string]: DatasetContainer };
  /** The element type zip() gives for a container of datasets. */
  type Zipped<C> = C extends Dataset<infer E> ? E : { [K in keyof C]: Zipped<C[K]> };

  // Unlike TF.js, T is not constrained to TensorContainer, so that batch() and zip() can type their elements.
  class Dataset<T = TensorContainer> {
  /** The number of elements: null when unknown, Infinity after repeat() without a count. */
    readonly size: number | null;
    iterator(): Promise<LazyIterator<T>>;
    batch(batchSize: number, smallLastBatch?: boolean): Dataset<Batched<T>>;
    concatenate(dataset: Dataset<T>): Dataset<T>;
    filter(predicate: (value: T) => boolean | Promise<boolean>): Dataset<T>;
    forEachAsync(f: (input: T) => void | Promise<void>): Promise<void>;
    map<O>(transform: (value: T) => O): Dataset<O>;
    mapAsync<O>(transform: (value: T) => Promise<O>): Dataset<O>;
    prefetch(bufferSize: number): Dataset<T>;
    repeat(count?: number): Dataset<T>;
    shuffle(bufferSize: number, seed?: number | string, reshuffleEachIteration?: boolean): Dataset<T>;
    skip(count: number): Dataset<T>;
    take(count: number): Dataset<T>;
    toArray(): Promise<T[]>;
  }
  function array<T>(items: T[]): Dataset<T>;
  function zip<C extends DatasetContainer>(datasets: C): Dataset<Zipped<C>>;
  function generator<T>(
    fn: () => Iterator<T> | AsyncIterator<T> | Iterable<T> | AsyncIterable<T> | Promise<Iterator<T> | AsyncIterator<T>>,
  ): Dataset<T>;
  /** Elements from f() until it returns {done: true}. */
  function func<T>(f: () => IteratorResult<T> | Promise<IteratorResult<T>>): Dataset<T>;
  interface ColumnConfig { required?: boolean; dtype?: 'float32' | 'int32' | 'bool' | 'string'; default?: number | string | boolean; isLabel?: boolean }
  interface CSVConfig {
    hasHeader?: boolean; columnNames?: string[]; columnConfigs?: { [name: string]: ColumnConfig };
    configuredColumnsOnly?: boolean; delimiter?: string; delimWhitespace?: boolean;
  }
  type CSVRow = { [column: string]: number | string | undefined };
  /** Rows of a CSV at a URL (blob: URLs included): {column: value}, or {xs, ys} with label columns. */
  function csv(source: string | Request, csvConfig?: CSVConfig): CSVDataset;
  class FileDataSource { constructor(input: Blob | File | ArrayBuffer | Uint8Array, options?: { chunkSize?: number }); }
  class URLDataSource { constructor(url: string | Request, fileOptions?: { chunkSize?: number; requestInit?: RequestInit }); }
  class TextLineDataset extends Dataset<string> { constructor(input: FileDataSource | URLDataSource); }
  class CSVDataset extends Dataset<CSVRow | { xs: CSVRow; ys: CSVRow }> {
    constructor(input: FileDataSource | URLDataSource, csvConfig?: CSVConfig);
    columnNames(): Promise<string[]>;
  }
  interface WebcamConfig { facingMode?: 'user' | 'environment'; deviceId?: string; resizeWidth?: number; resizeHeight?: number; centerCrop?: boolean }
  interface WebcamIterator extends AsyncIterableIterator<Tensor> { capture(): Promise<Tensor>; start(): Promise<void>; stop(): void }
  function webcam(webcamVideoElement?: HTMLVideoElement | null, webcamConfig?: WebcamConfig): Promise<WebcamIterator>;
  interface MicrophoneConfig {
    sampleRateHz?: 44100 | 48000; fftSize?: number; columnTruncateLength?: number; numFramesPerSpectrogram?: number;
    audioTrackConstraints?: MediaTrackConstraints; smoothingTimeConstant?: number; includeSpectrogram?: boolean; includeWaveform?: boolean;
  }
  interface MicrophoneIterator extends AsyncIterableIterator<{ spectrogram?: Tensor; waveform?: Tensor }> {
    capture(): Promise<{ spectrogram?: Tensor; waveform?: Tensor }>; start(): Promise<void>; stop(): void; getSampleRate(): number;
  }
  function microphone(microphoneConfig?: MicrophoneConfig): Promise<MicrophoneIterator>;
}

export interface ModelFitDatasetArgs<T = TensorContainer> {
  /** Index of the last epoch (epochs - initialEpoch epochs run). */
  epochs: number;
  /** Batches per epoch, drawn from one iterator across epochs; without it an epoch is one pass over the dataset. */
  batchesPerEpoch?: number;
  initialEpoch?: number;
  verbose?: number;
  validationData?: [Tensor, Tensor] | data.Dataset<any>;
  /** Batch size for [xVal, yVal] tensors (default 32). */
  validationBatchSize?: number;
  /** Batches drawn from a validationData dataset (default: all). */
  validationBatches?: number;
  /** How often onYield fires: 'auto' (every 125 ms), 'batch', 'epoch', 'never', or milliseconds. */
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never' | number;
  callbacks?: CustomCallbackArgs | Callback | Array<CustomCallbackArgs | Callback>;
}
export interface ModelEvaluateDatasetArgs { batches?: number; verbose?: number }

// Declaration merging adds the methods to the Sequential class declared above (harmless if the
// class declares them too). Elements are {xs, ys} (or [xs, ys]) batches.
export interface LayersModel {
  /**
   * Saves in TF.js's Layers format (indexeddb://, localstorage://, downloads://, http(s)://, or
   * a handler); {includeOptimizer: true} adds the training config and optimizer state, so the
   * loaded model comes back compiled and resumes training where it stopped.
   */
  save(handlerOrURL: string | io.IOHandler, config?: { includeOptimizer?: boolean }): Promise<io.SaveResult>;
  /**
   * The model as the bytes of a Keras 3 `.keras` file, which `keras.saving.load_model` reads:
   * config, compile config and optimizer state (unless includeOptimizer is false), weights.
   * `save('downloads://name.keras')` downloads the same file.
   */
  toKeras(config?: { includeOptimizer?: boolean }): Promise<Uint8Array>;
  fitDataset<T>(dataset: data.Dataset<T>, args: ModelFitDatasetArgs<T>): Promise<History>;
  evaluateDataset<T>(dataset: data.Dataset<T> | data.LazyIterator<T>, args?: ModelEvaluateDatasetArgs): Promise<Tensor | Tensor[]>;
}
/** model.fitDataset as a function (test hook, until every model class has the method). */
export declare function _fitDataset<T>(model: Sequential, dataset: data.Dataset<T>, args: ModelFitDatasetArgs<T>): Promise<History>;
/** model.evaluateDataset as a function (test hook). */
export declare function _evaluateDataset<T>(model: Sequential, dataset: data.Dataset<T> | data.LazyIterator<T>, args?: ModelEvaluateDatasetArgs): Promise<Tensor | Tensor[]>;

/**
 * Loads a model saved in TF.js's Layers format (a URL with a scheme, an IO handler) or a Keras 3
 * `.keras` file (its URL, a File/Blob or its bytes). A file saved with its optimizer comes back
 * compiled, with the optimizer's state.
 */
/** Models from their JSON topology (fresh weights): toJSON()'s string or object, or a model.json's. */
export declare const models: {
  modelFromJSON(modelAndWeightsConfig: string | object, customObjects?: { [className: string]: unknown }): Promise<LayersModel>;
};
export declare function loadLayersModel(
  source: string | io.IOHandler | ArrayBuffer | ArrayBufferView | Blob,
  options?: { fetchFunc?: typeof fetch; requestInit?: RequestInit },
): Promise<LayersModel>;

// ---- tf.io ----
// Saving and loading in TF.js's Layers format (model.json + binary weights): io.js.
export declare namespace io {
  /** One weight in a manifest: its bytes follow the previous weight's in the weight files. */
  interface WeightsManifestEntry {
    name: string;
    shape: number[];
    dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
    /** 'optimizer' for optimizer state saved with includeOptimizer. */
    group?: string;
    /** The converter's quantized storage: value = q * scale + min (uint8/uint16), or half floats. */
    quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: string };
  }
  interface WeightsManifestGroupConfig { paths: string[]; weights: WeightsManifestEntry[] }
  type WeightsManifestConfig = WeightsManifestGroupConfig[];
  type WeightData = ArrayBuffer | ArrayBuffer[];
  /** model.json's trainingConfig (snake_case keys; optimizer_config holds the optimizer's camelCase config). */
  interface TrainingConfig {
    optimizer_config: { class_name: string; config: { [key: string]: unknown } };
    loss: string | string[] | { [outputName: string]: string };
    metrics?: string[] | { [outputName: string]: string };
    weighted_metrics?: string[];
    sample_weight_mode?: string;
    loss_weights?: number[] | { [key: string]: number };
  }
  /** A model in memory, as handlers pass it: the topology is the `{class_name, config, ...}` JSON. */
  interface ModelArtifacts {
    modelTopology?: { [key: string]: unknown } | ArrayBuffer;
    trainingConfig?: TrainingConfig;
    weightSpecs?: WeightsManifestEntry[];
    weightData?: WeightData;
    format?: string;
    generatedBy?: string;
    convertedBy?: string | null;
    signature?: { [key: string]: unknown };
    userDefinedMetadata?: { [key: string]: unknown };
    modelInitializer?: { [key: string]: unknown };
    initializerSignature?: { [key: string]: unknown };
  }
  /** The model.json file: artifacts with a weightsManifest naming the weight files. */
  interface ModelJSON {
    modelTopology: { [key: string]: unknown };
    weightsManifest: WeightsManifestConfig;
    format?: string;
    generatedBy?: string;
    convertedBy?: string | null;
    trainingConfig?: TrainingConfig;
    signature?: { [key: string]: unknown };
    userDefinedMetadata?: { [key: string]: unknown };
    modelInitializer?: { [key: string]: unknown };
    initializerSignature?: { [key: string]: unknown };
  }
  interface ModelArtifactsInfo {
    dateSaved: Date;
    modelTopologyType: 'JSON' | 'GraphDef';
    modelTopologyBytes?: number;
    weightSpecsBytes?: number;
    weightDataBytes?: number;
  }
  interface SaveResult { modelArtifactsInfo: ModelArtifactsInfo; responses?: Response[]; errors?: Array<{} | string> }
  type SaveHandler = (modelArtifacts: ModelArtifacts) => Promise<SaveResult>;
  type LoadHandler = () => Promise<ModelArtifacts>;
  interface IOHandler { save?: SaveHandler; load?: LoadHandler }
  interface LoadOptions {
    requestInit?: RequestInit;
    onProgress?: (fraction: number) => void;
    fetchFunc?: (input: string, init?: RequestInit) => Promise<Response>;
    weightPathPrefix?: string;
    weightUrlConverter?: (weightFileName: string) => Promise<string>;
  }
  type IORouter = (url: string, loadOptions?: LoadOptions) => IOHandler | null;

  /** Loads model.json (first) and its weight files from File objects, matched by file name. */
  function browserFiles(files: File[]): IOHandler;
  /** Saves by downloading `${fileNamePrefix}.json` and `${fileNamePrefix}.weights.bin`. */
  function browserDownloads(fileNamePrefix?: string): IOHandler;
  /** GET model.json and its weights; save POSTs multipart form data (model.json, model.weights.bin). */
  function http(path: string, loadOptions?: LoadOptions): IOHandler;
  function browserHTTPRequest(path: string, loadOptions?: LoadOptions): IOHandler;
  function fromMemory(modelArtifacts: ModelArtifacts): IOHandler;
  function fromMemory(modelTopology: {}, weightSpecs?: WeightsManifestEntry[], weightData?: WeightData, trainingConfig?: TrainingConfig): IOHandler;
  function withSaveHandler(saveHandler: (artifacts: ModelArtifacts) => Promise<SaveResult>): IOHandler;
  /** The bytes of a Keras 3 `.keras` file for model artifacts (what a save handler receives). */
  function toKeras(artifacts: ModelArtifacts): Promise<Uint8Array>;
  /** Models saved under indexeddb:// and localstorage://, by URL. */
  function listModels(): Promise<{ [url: string]: ModelArtifactsInfo }>;
  function removeModel(url: string): Promise<ModelArtifactsInfo>;
  function copyModel(sourceURL: string, destURL: string): Promise<ModelArtifactsInfo>;
  function moveModel(sourceURL: string, destURL: string): Promise<ModelArtifactsInfo>;
  function getSaveHandlers(url: string): IOHandler[];
  function getLoadHandlers(url: string, loadOptions?: LoadOptions): IOHandler[];
  function registerSaveRouter(router: IORouter): void;
  function registerLoadRouter(router: IORouter): void;
  function isHTTPScheme(url: string): boolean;
  function getModelArtifactsInfoForJSON(modelArtifacts: ModelArtifacts): ModelArtifactsInfo;
  function getModelJSONForModelArtifacts(artifacts: ModelArtifacts, manifest: WeightsManifestConfig): ModelJSON;
  function concatenateArrayBuffers(buffers: ArrayBuffer[] | ArrayBuffer): ArrayBuffer;
  /** Tensors packed into one ArrayBuffer, with their specs (each marked with `group` when given). */
  function encodeWeights(tensors: { [name: string]: Tensor } | { name: string; tensor: Tensor }[], group?: string): Promise<{ data: ArrayBuffer; specs: WeightsManifestEntry[] }>;
  /** {name: tensor} from weight bytes and their specs. */
  function decodeWeights(weightData: WeightData, specs: WeightsManifestEntry[]): { [name: string]: Tensor };
  function decodeWeightsStream(weightStream: ReadableStream<ArrayBuffer | Uint8Array>, specs: WeightsManifestEntry[]): Promise<{ [name: string]: Tensor }>;
  /** Fetches the weights of a manifest (those named in weightNames, or all) from filePathPrefix/path. */
  function loadWeights(manifest: WeightsManifestConfig, filePathPrefix?: string, weightNames?: string[], requestInit?: RequestInit): Promise<{ [name: string]: Tensor }>;
  function weightsLoaderFactory(fetchWeightsFunction: (fetchUrls: string[]) => Promise<ArrayBuffer[]>): (manifest: WeightsManifestConfig, filePathPrefix?: string, weightNames?: string[]) => Promise<{ [name: string]: Tensor }>;
  function getWeightSpecs(weightsManifest: WeightsManifestConfig): WeightsManifestEntry[];
  function getModelArtifactsForJSON(modelJSON: ModelJSON, loadWeights: (weightsManifest: WeightsManifestConfig) => Promise<[WeightsManifestEntry[], WeightData]>): Promise<ModelArtifacts>;
  function getModelArtifactsForJSONSync(modelJSON: ModelJSON, weightSpecs?: WeightsManifestEntry[], weightData?: WeightData): ModelArtifacts;
  function fromMemorySync(modelArtifacts: ModelArtifacts): IOHandler;
  function fromMemorySync(modelTopology: {}, weightSpecs?: WeightsManifestEntry[], weightData?: WeightData, trainingConfig?: TrainingConfig): IOHandler;
  function withSaveHandlerSync(saveHandler: (artifacts: ModelArtifacts) => SaveResult): IOHandler;
  /** Several buffers read as one. */
  class CompositeArrayBuffer {
    constructor(buffers?: ArrayBuffer | ArrayBuffer[] | ArrayBufferView | ArrayBufferView[]);
    readonly byteLength: number;
    slice(start?: number, end?: number): ArrayBuffer;
    static join(buffers: ArrayBuffer[]): ArrayBuffer;
  }
}
export type ModelArtifacts = io.ModelArtifacts;
export type WeightsManifestEntry = io.WeightsManifestEntry;
export type SaveResult = io.SaveResult;
export type IOHandler = io.IOHandler;
export type ModelArtifactsInfo = io.ModelArtifactsInfo;
/** A decoded weight (test hooks _encodeWeights / _decodeWeights). */
export interface NamedWeightData { name: string; shape: number[]; dtype: 'float32' | 'int32' | 'bool'; data: Float32Array | Int32Array | Uint8Array; group?: string }
export declare function _encodeWeights(list: Array<{ name: string; shape: number[]; dtype?: 'float32' | 'int32'; data: Float32Array | Int32Array | number[] }>): { weightSpecs: io.WeightsManifestEntry[]; weightData: ArrayBuffer };
export declare function _decodeWeights(weightData: io.WeightData, weightSpecs: io.WeightsManifestEntry[]): NamedWeightData[];
/** One layer's options in model.json's form (test hook): {class_name, config} in snake_case. */
export declare function _layerToKeras(className: string, config: { [key: string]: unknown }, hints?: { inputShape?: (number | null)[] }): { class_name: string; config: { [key: string]: unknown } };
/** One model.json layer in Hebb's form, for new tf.Layer(className, config) (test hook). */
export declare function _layerFromKeras(layer: { class_name: string; config: { [key: string]: unknown } }): { className: string; config: { [key: string]: unknown } };
// ---- custom training loops ----
/** A tensor whose value can change (assign); tidy() never frees it, dispose() does. */
export declare class Variable extends Tensor {
  readonly name: string;
  trainable: boolean;
  /** Replaces the value; the shape and dtype must stay as they are. */
  assign(newValue: TensorOrLike): void;
}
export declare function variable(initialValue: TensorOrLike, trainable?: boolean, name?: string, dtype?: DataType): Variable;
export interface Tensor {
  variable(trainable?: boolean, name?: string, dtype?: DataType): Variable;
  atan2(b: TensorOrLike): Tensor;
  prod(axis?: number | number[] | null, keepDims?: boolean): Tensor;
  cumprod(axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
  stridedSlice(begin: number[], end: number[], strides?: number[], beginMask?: number, endMask?: number, ellipsisMask?: number, newAxisMask?: number, shrinkAxisMask?: number): Tensor;
  spaceToBatchND(blockShape: number[], paddings: number[][]): Tensor;
  batchToSpaceND(blockShape: number[], crops: number[][]): Tensor;
  batchNorm(mean: TensorOrLike, variance: TensorOrLike, offset?: TensorOrLike, scale?: TensorOrLike, varianceEpsilon?: number): Tensor;
  localResponseNormalization(depthRadius?: number, bias?: number, alpha?: number, beta?: number): Tensor;
  pool(windowShape: number | [number, number], poolingType: 'max' | 'avg', pad: PadType, dilations?: number | [number, number], strides?: number | [number, number]): Tensor;
  dilation2d(filter: TensorOrLike, strides: number | [number, number], pad: 'valid' | 'same', dilations?: number | [number, number]): Tensor;
  depthToSpace(blockSize: number, dataFormat?: 'NHWC'): Tensor;
  unsortedSegmentSum(segmentIds: TensorOrLike, numSegments: number): Tensor;
  oneHot(depth: number, onValue?: number, offValue?: number): Tensor;
  where(condition: TensorOrLike, other: TensorOrLike): Tensor;
  bytes(): Promise<Uint8Array>;
  fft(): Tensor;
  ifft(): Tensor;
  rfft(): Tensor;
  irfft(): Tensor;
  readonly rankType: string;
  resizeBilinear(size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean): Tensor;
  resizeNearestNeighbor(size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean): Tensor;
}
export type NamedTensorMap = { [name: string]: Tensor };
export type NamedTensor = { name: string; tensor: Tensor };
/** (x, dy?) => df/dx; with dy, the gradient of sum(f(x) · dy). */
export declare function grad(f: (x: Tensor) => Tensor): (x: TensorOrLike, dy?: Tensor) => Tensor;
export declare function grads(f: (...args: Tensor[]) => Tensor): (args: TensorOrLike[], dy?: Tensor) => Tensor[];
export declare function valueAndGrad(f: (x: Tensor) => Tensor): (x: TensorOrLike, dy?: Tensor) => { value: Tensor; grad: Tensor };
export declare function valueAndGrads(f: (...args: Tensor[]) => Tensor): (args: TensorOrLike[], dy?: Tensor) => { value: Tensor; grads: Tensor[] };
/** What the function given to tf.customGrad returns: its value and the gradient of each input. */
export interface CustomGradientResult {
  value: Tensor;
  gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor | Tensor[];
}
/** A function with a gradient of your own: f(...inputs, save) returns {value, gradFunc}. */
export declare function customGrad(f: (...args: any[]) => CustomGradientResult): (...inputs: Tensor[]) => Tensor;
/** Gradients of the scalar f() with respect to varList (default: every trainable variable), by variable name. */
export declare function variableGrads(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: NamedTensorMap };
export interface Optimizer {
  /** One step minimizing the scalar f(); returns the cost when returnCost, else null. */
  minimize(f: () => Tensor, returnCost?: boolean, varList?: Variable[]): Tensor | null;
  computeGradients(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: NamedTensorMap };
  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void;
  /** Steps taken by minimize/applyGradients. */
  readonly iterations: number;
}

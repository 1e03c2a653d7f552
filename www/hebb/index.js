// Hebb: the TF.js-compatible namespace. `import * as tf from 'hebb'` (or `* as hebb`).
import { engine, openGpu, flushWarnings, engineGeneration, wasmBytes } from './engine.js';

export {
  Tensor, tensor, scalar, tensor1d, tensor2d, tensor3d, tensor4d, zeros, ones, fill, zerosLike, onesLike, randomUniform, randomNormal,
  truncatedNormal, linspace, range, setSeed, tidy, keep, dispose, memory,
} from './tensor.js';
export * from './ops.js';
export { TensorBuffer, buffer, clone, tensor5d, tensor6d, moments, tile, split, nextFrame, math } from './ops_composed.js';
export { Layer, SymbolicTensor, input, serialization } from './layers.js';
export { LayerVariable } from './layer_weights.js';
import './layer_custom.js';
export { layers, RNN } from './layer_factories.js';
export { initializers, regularizers } from './initializers.js';
export { InputSpec } from './layer_props.js';
export { constraints } from './constraints.js';
import './rnn.js';
export {
  train, Optimizer, SGDOptimizer, MomentumOptimizer, AdamOptimizer, AdamaxOptimizer, AdadeltaOptimizer, RMSPropOptimizer, AdagradOptimizer,
} from './train.js';
export { Variable, variable, grad, grads, valueAndGrad, valueAndGrads, variableGrads, customGrad } from './grad.js';
export { losses, metrics, Reduction } from './losses.js';
export { callbacks, Callback, EarlyStopping, BackupAndRestore, CustomCallback, CallbackList, registerCallbackConstructor } from './callbacks.js';
export { Sequential, sequential, History, LayersModel, model } from './models.js';
import './container.js';
import './model_data.js';
import './model_training.js';
export { io } from './io.js';
import './io_extra.js';
export { loadLayersModel, models } from './serialize.js';
export { encodeWeights as _encodeWeights, decodeWeights as _decodeWeights } from './io.js';
export { layerToKeras as _layerToKeras, layerFromKeras as _layerFromKeras } from './keras_json.js';
export { data } from './data.js';
import './data_sources.js';
export { util } from './util.js';
export {
  pad, pad1d, pad2d, pad3d, pad4d, mirrorPad, reverse, reverse1d, reverse2d, reverse3d, reverse4d, cumsum, meshgrid,
  outerProduct, eye, broadcastArgs, norm, euclideanNorm, logSumExp, all, any, logicalXor, prelu, upcastType,
  sumOutType, rand, randomUniformInt, randomStandardNormal,
} from './ops_shape.js';
export { topk, unique, multinomial, whereAsync, booleanMaskAsync, setdiff1dAsync, inTopKAsync } from './ops_data.js';
export {
  conv1d, conv2d, conv2dTranspose, depthwiseConv2d, separableConv2d, maxPool, avgPool, conv3d, conv3dTranspose, maxPool3d, avgPool3d,
  dilation2d, pool, batchNorm, batchNorm2d, batchNorm3d, batchNorm4d, localResponseNormalization, maxPoolWithArgmax,
} from './ops_nn.js';
export {
  gatherND, scatterND, unsortedSegmentSum, diag, depthToSpace, movingAverage, dropout, basicLSTMCell, multiRNNCell,
  searchSorted, lowerBound, upperBound,
} from './ops_index.js';
export { browser } from './browser.js';
export { image } from './ops_image.js';
export { linalg, fused } from './ops_linalg.js';
export { complex, real, imag, fft, ifft, rfft, irfft, spectral } from './complex.js';
export { sparse, raggedGather, raggedRange, raggedTensorToTensor, randomGamma } from './ops_sparse.js';
export { string } from './strings.js';
export {
  env, ENV, Environment, enableProdMode, enableDebugMode, engine, time, profile, disposeVariables, deprecationWarn, disableDeprecationWarnings,
  Rank, print, op,
} from './env.js';
export { atan2, prod, cumprod, bincount, denseBincount, bitwiseAnd, einsum, enclosingPowerOfTwo, cosineWindow, signal } from './ops_math.js';
export {
  concat1d, concat2d, concat3d, concat4d, slice1d, slice2d, slice3d, slice4d, ensureShape, stridedSlice, spaceToBatchND, batchToSpaceND,
  tensorScatterUpdate, sparseToDense,
} from './ops_slice.js';
// Reached as model.fitDataset / model.evaluateDataset; exported for tests until the model classes have them.
export { fitDataset as _fitDataset, evaluateDataset as _evaluateDataset } from './fit_dataset.js';
export { kerasToArtifacts as _kerasToArtifacts } from './keras_file.js';

export const version = { hebb: '0.1.0' };

/** Resolves when the engine is ready (it already is: loading the module awaited it). */
export async function ready() { return true; }
/** 'webgpu' or 'cpu': where fit, evaluate and predict run now. */
export function getBackend() {
  flushWarnings();
  return engine.get_backend();
}
/**
 * 'webgpu' runs training steps as WGSL compute kernels; 'cpu' (or its synonym 'wasm') on the
 * SIMD WebAssembly engine. Resolves to false (after a warning) when WebGPU cannot start.
 */
export async function setBackend(name) {
  if (name === 'cpu' || name === 'wasm') {
    engine.set_backend('cpu');
    return true;
  }
  if (name === 'webgpu') {
    if ((await openGpu()) === null) return false;
    try {
      engine.set_backend('webgpu');
      return true;
    } catch (e) {
      console.warn(`Hebb: ${e.message}; running on the CPU (SIMD WebAssembly).`);
      return false;
    }
  }
  throw new Error(`setBackend: unknown backend '${name}'; expected 'cpu' or 'webgpu'`);
}


/** Test hooks (not part of the TF.js API). */
export const _debug = {
  /** Traps the engine instance, as an engine bug would: the call throws and a fresh engine takes over. */
  trap() { engine.debug_trap(); },
  /** How many times a trapped engine was replaced by a fresh one. */
  restarts() { return engineGeneration(); },
  /** The engine's WebAssembly memory in bytes. */
  wasmBytes() { return wasmBytes(); },
  /** Destroys the WebGPU device, as a driver reset would: training goes on on the CPU. */
  loseGpuDevice() { engine.gpu_debug_destroy(); },
  /** How many tensor values were read back from the GPU (the others were computed on the CPU). */
  gpuValues() { return engine.gpu_values(); },
  /** Custom-loop steps taken on the GPU, and the steps planned for them: {steps, plans}. */
  gpuLoop() { const [steps, plans] = engine.loop_stats(); return { steps, plans }; },
  /** Opens a fresh WebGPU device whose maxStorageBufferBindingSize is at most `bytes` (>= 128 MiB). */
  async reopenGpu(bytes) {
    await engine.gpu_init(bytes);
    engine.set_backend('webgpu');
  },
};

// TF.js's neural-net ops on tensors: conv1d, conv2d, conv2dTranspose, depthwiseConv2d,
// separableConv2d, maxPool and avgPool (channels last, as TF.js's default). The engine builds them
// from the same window gathers and matmuls the layers use (src/ops/window_ops.rs), so they
// differentiate and run on both backends.
import { Tensor, tensor, tidy } from './tensor.js';
import { runOp as run } from './op_run.js';
import { reshape } from './ops.js';


function channelsLast(op, dataFormat, want) {
  if (dataFormat !== undefined && dataFormat !== want) throw new Error(`${op}: only dataFormat '${want}' (channels last) is supported, received '${dataFormat}'`);
}

/** tf.conv2d(x, filter [fh, fw, inDepth, outDepth], strides, pad, dataFormat?, dilations?) */
export function conv2d(x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1]) {
  channelsLast('conv2d', dataFormat, 'NHWC');
  return run('conv2d', [x, filter], { strides, pad, dilations });
}

/** tf.depthwiseConv2d(x, filter [fh, fw, inDepth, multiplier], strides, pad, dataFormat?, dilations?) */
export function depthwiseConv2d(x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1]) {
  channelsLast('depthwiseConv2d', dataFormat, 'NHWC');
  return run('depthwiseConv2d', [x, filter], { strides, pad, dilations });
}

/** tf.separableConv2d(x, depthwiseFilter, pointwiseFilter [1, 1, inDepth·multiplier, outDepth], strides, pad, dilation?, dataFormat?) */
export function separableConv2d(x, depthwiseFilter, pointwiseFilter, strides, pad, dilation = [1, 1], dataFormat = 'NHWC') {
  channelsLast('separableConv2d', dataFormat, 'NHWC');
  return tidy(() => conv2d(depthwiseConv2d(x, depthwiseFilter, strides, pad, 'NHWC', dilation), pointwiseFilter, 1, 'valid'));
}

/** tf.conv2dTranspose(x, filter [fh, fw, outDepth, inDepth], outputShape, strides, pad) */
export function conv2dTranspose(x, filter, outputShape, strides, pad) {
  return run('conv2dTranspose', [x, filter], { outputShape, strides, pad });
}

/** tf.conv1d(x [batch?, width, inDepth], filter [fw, inDepth, outDepth], stride, pad, dataFormat?, dilation?) */
export function conv1d(x, filter, stride, pad, dataFormat = 'NWC', dilation = 1) {
  channelsLast('conv1d', dataFormat, 'NWC');
  const X = x instanceof Tensor ? x : tensor(x);
  const F = filter instanceof Tensor ? filter : tensor(filter);
  try {
    if (X.rank !== 2 && X.rank !== 3) throw new Error(`conv1d: input must be rank 3 (or 2), but got rank ${X.rank} (shape [${X.shape}])`);
    if (F.rank !== 3) throw new Error(`conv1d: filter must be rank 3, but got rank ${F.rank} (shape [${F.shape}])`);
    return tidy(() => {
      const s = X.shape;
      const img = reshape(X, X.rank === 3 ? [s[0], 1, s[1], s[2]] : [1, s[0], s[1]]);
      const y = conv2d(img, reshape(F, [1, ...F.shape]), [1, stride], pad, 'NHWC', [1, dilation]);
      const ys = y.shape;
      return reshape(y, X.rank === 3 ? [ys[0], ys[2], ys[3]] : [ys[1], ys[2]]);
    });
  } finally {
    if (X !== x) X.dispose();
    if (F !== filter) F.dispose();
  }
}

/** tf.maxPool(x, filterSize, strides, pad) */
export function maxPool(x, filterSize, strides, pad) { return run('maxPool', [x], { filterSize, strides, pad }); }
/** tf.avgPool(x, filterSize, strides, pad): windows over 'same' padding average only the values inside. */
export function avgPool(x, filterSize, strides, pad) { return run('avgPool', [x], { filterSize, strides, pad }); }

Object.assign(Tensor.prototype, {
  conv1d(filter, stride, pad, dataFormat, dilation) { return conv1d(this, filter, stride, pad, dataFormat, dilation); },
  conv2d(filter, strides, pad, dataFormat, dilations) { return conv2d(this, filter, strides, pad, dataFormat, dilations); },
  conv2dTranspose(filter, outputShape, strides, pad) { return conv2dTranspose(this, filter, outputShape, strides, pad); },
  depthwiseConv2d(filter, strides, pad, dataFormat, dilations) { return depthwiseConv2d(this, filter, strides, pad, dataFormat, dilations); },
  separableConv2d(depthwiseFilter, pointwiseFilter, strides, pad, dilation, dataFormat) { return separableConv2d(this, depthwiseFilter, pointwiseFilter, strides, pad, dilation, dataFormat); },
  maxPool(filterSize, strides, pad) { return maxPool(this, filterSize, strides, pad); },
  avgPool(filterSize, strides, pad) { return avgPool(this, filterSize, strides, pad); },
});

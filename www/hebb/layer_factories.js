// tf.layers: one factory per layer class (TF.js's names and aliases), and the RNN, RNNCell and
// Bidirectional classes the recurrent layers are instances of.
import { Layer, RECURRENT, CELLS, input } from './layers.js';

/** TF.js's RNN class: the recurrent layers (simpleRNN, lstm, gru, rnn) are instances of it. */
export class RNN extends Layer {
  constructor(className, config) {
    if (typeof className === 'string') super(className, config);
    else super('RNN', className);
  }
}
/** TF.js's RNNCell class: the cells tf.layers.rnn steps (simpleRNNCell, lstmCell, gruCell). */
export class RNNCell extends Layer {
  constructor(className, config) {
    if (typeof className === 'string') super(className, config);
    else super('RNNCell', className);
  }
}
/** TF.js's Bidirectional class (its forwardLayer and backwardLayer: see rnn.js). */
export class Bidirectional extends Layer {
  constructor(className, config) {
    if (typeof className === 'string') super(className, config);
    else super('Bidirectional', className);
  }
}
const make = (className) => (config) => {
  if (className === 'Bidirectional') return new Bidirectional(className, config);
  if (RECURRENT.has(className)) return new RNN(className, config);
  if (CELLS.has(className)) return new RNNCell(className, config);
  return new Layer(className, config);
};
// Merge layers also take the list of inputs directly (TF.js: tf.layers.add([a, b]) is the output).
const merge = (className) => (config = {}) => (Array.isArray(config) ? new Layer(className, {}).apply(config) : new Layer(className, config));

export const layers = {
  dense: make('Dense'),
  activation: make('Activation'),
  dropout: make('Dropout'),
  flatten: (config = {}) => new Layer('Flatten', config),
  leakyReLU: (config = {}) => new Layer('LeakyReLU', config),
  softmax: (config = {}) => new Layer('Softmax', config),
  inputLayer: (config) => new Layer('InputLayer', config),
  add: merge('Add'),
  subtract: merge('Subtract'),
  multiply: merge('Multiply'),
  average: merge('Average'),
  maximum: merge('Maximum'),
  minimum: merge('Minimum'),
  concatenate: merge('Concatenate'),
  dot: make('Dot'),
  multiHeadAttention: make('MultiHeadAttention'),
  reshape: make('Reshape'),
  permute: make('Permute'),
  repeatVector: make('RepeatVector'),
  embedding: make('Embedding'),
  layerNormalization: (config = {}) => new Layer('LayerNormalization', config),
  batchNormalization: (config = {}) => new Layer('BatchNormalization', config),
  conv1d: make('Conv1D'),
  conv2d: make('Conv2D'),
  conv2dTranspose: make('Conv2DTranspose'),
  depthwiseConv2d: make('DepthwiseConv2D'),
  separableConv2d: make('SeparableConv2D'),
  conv3d: make('Conv3D'),
  conv3dTranspose: make('Conv3DTranspose'),
  maxPooling3d: (config = {}) => new Layer('MaxPooling3D', config),
  averagePooling3d: (config = {}) => new Layer('AveragePooling3D', config),
  maxPooling1d: (config = {}) => new Layer('MaxPooling1D', config),
  maxPooling2d: (config = {}) => new Layer('MaxPooling2D', config),
  averagePooling1d: (config = {}) => new Layer('AveragePooling1D', config),
  averagePooling2d: (config = {}) => new Layer('AveragePooling2D', config),
  globalMaxPooling1d: (config = {}) => new Layer('GlobalMaxPooling1D', config),
  globalMaxPooling2d: (config = {}) => new Layer('GlobalMaxPooling2D', config),
  globalAveragePooling1d: (config = {}) => new Layer('GlobalAveragePooling1D', config),
  globalAveragePooling2d: (config = {}) => new Layer('GlobalAveragePooling2D', config),
  upSampling2d: (config = {}) => new Layer('UpSampling2D', config),
  zeroPadding2d: (config = {}) => new Layer('ZeroPadding2D', config),
  cropping1d: (config = {}) => new Layer('Cropping1D', config),
  /** TF.js's name (and the lower-case spelling the other layers use). */
  cropping2D: (config = {}) => new Layer('Cropping2D', config),
  cropping2d: (config = {}) => new Layer('Cropping2D', config),
  spatialDropout1d: make('SpatialDropout1D'),
  gaussianNoise: make('GaussianNoise'),
  masking: make('Masking'),
  elu: (config = {}) => new Layer('ELU', config),
  reLU: (config = {}) => new Layer('ReLU', config),
  prelu: (config = {}) => new Layer('PReLU', config),
  thresholdedReLU: (config = {}) => new Layer('ThresholdedReLU', config),
  rescaling: make('Rescaling'),
  gaussianDropout: make('GaussianDropout'),
  alphaDropout: make('AlphaDropout'),
  resizing: make('Resizing'),
  randomWidth: make('RandomWidth'),
  centerCrop: make('CenterCrop'),
  categoryEncoding: make('CategoryEncoding'),
  /** A recurrent layer around a cell or a list of cells (stacked), as TF.js's tf.layers.rnn. */
  rnn: make('RNN'),
  simpleRNNCell: make('SimpleRNNCell'),
  lstmCell: make('LSTMCell'),
  gruCell: make('GRUCell'),
  /** A ConvLSTM2D cell for tf.layers.rnn over [batch, steps, height, width, channels]. */
  convLstm2dCell: make('ConvLSTM2DCell'),
  stackedRNNCells: make('StackedRNNCells'),
  simpleRNN: make('SimpleRNN'),
  lstm: make('LSTM'),
  gru: make('GRU'),
  /** An LSTM whose transforms are 2-D convolutions, over [batch, steps, height, width, channels]. */
  convLstm2d: make('ConvLSTM2D'),
  bidirectional: make('Bidirectional'),
  timeDistributed: make('TimeDistributed'),
};
// The base class for custom layers: class MyLayer extends tf.layers.Layer.
layers.Layer = Layer;
layers.RNN = RNN;
layers.RNNCell = RNNCell;
/** tf.layers.input is tf.input. */
layers.input = (config) => input(config);
// TF.js's aliases.
layers.convolution1d = layers.conv1d;
layers.convolution2d = layers.conv2d;
layers.maxPool1d = layers.maxPooling1d;
layers.maxPool2d = layers.maxPooling2d;
layers.avgPool1d = layers.averagePooling1d;
layers.avgPool2d = layers.averagePooling2d;
layers.avgPooling1d = layers.averagePooling1d;
layers.avgPooling2d = layers.averagePooling2d;
layers.avgPool3d = layers.averagePooling3d;
layers.avgPooling3d = layers.averagePooling3d;
layers.globalMaxPool1d = layers.globalMaxPooling1d;
layers.globalMaxPool2d = layers.globalMaxPooling2d;
layers.globalAvgPool1d = layers.globalAveragePooling1d;
layers.globalAvgPool2d = layers.globalAveragePooling2d;

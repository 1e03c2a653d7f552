// A TF.js-style program checked against dist/hebb.d.ts by `tsc --noEmit` (run from npm test):
// the declarations must accept what TF.js users write, and reject what is wrong.
import * as tf from '../../dist/hebb.js';

export async function program(): Promise<number> {
  tf.util.seed(1);
  const xs = tf.tensor2d([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const ys = tf.tensor2d([[0], [1], [1], [0]]);
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [2], kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }));
  model.add(tf.layers.dropout({ rate: 0.1 }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(xs, ys, {
    epochs: 10,
    batchSize: 4,
    validationData: [xs, ys],
    callbacks: [{ onEpochEnd: async (epoch: number, logs?: tf.Logs) => { console.log(epoch, logs?.loss); } }, tf.callbacks.earlyStopping({ monitor: 'val_loss', patience: 3 })],
  });
  const loss: number[] = history.history.loss;
  model.summary(undefined, undefined, (line: string) => console.log(line));
  const p = model.predict(xs) as tf.Tensor;
  const values = await p.data();
  const s = tf.tidy(() => p.mul(2).add(tf.scalar(1)).sum());
  const custom = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor => tf.losses.meanSquaredError(yTrue, yPred);
  model.compile({ optimizer: 'sgd', loss: custom });
  tf.dispose([p, s]);
  const m = tf.memory();
  if (!(await tf.setBackend('webgpu'))) await tf.setBackend('cpu');
  const backend: 'cpu' | 'webgpu' = tf.getBackend();
  return loss.length + values.length + m.numTensors + m.gpuPoolBytes + backend.length;
}

const seq = tf.sequential();
seq.add(tf.layers.embedding({ inputDim: 100, outputDim: 8, inputShape: [5] }));
seq.add(tf.layers.layerNormalization({ epsilon: 1e-5 }));
seq.add(tf.layers.permute({ dims: [2, 1] }));
seq.add(tf.layers.reshape({ targetShape: [40] }));
seq.add(tf.layers.repeatVector({ n: 2 }));

// @ts-expect-error units must be a number
tf.layers.dense({ units: '3' });
// @ts-expect-error unknown activation name
tf.layers.dense({ units: 3, activation: 'relu7' });
// @ts-expect-error fit needs tensors
void tf.sequential().fit([1, 2], [3]);
// @ts-expect-error unknown backend name
void tf.setBackend('webgl');

const cnn = tf.sequential();
cnn.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
cnn.add(tf.layers.batchNormalization());
cnn.add(tf.layers.maxPool2d({ poolSize: 2 }));
cnn.add(tf.layers.separableConv2d({ filters: 16, kernelSize: [3, 3], depthMultiplier: 2 }));
cnn.add(tf.layers.globalAveragePooling2d());
cnn.add(tf.layers.dense({ units: 10 }));
cnn.compile({
  optimizer: tf.train.adamw(tf.train.schedules.cosineDecay({ initialLearningRate: 0.01, decaySteps: 100 }), 0.004, 0.9, 0.999, 1e-7, { clipnorm: 1 }),
  loss: new tf.losses.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }),
  metrics: ['accuracy', 'topKCategoricalAccuracy'],
});
const rnn = tf.sequential();
rnn.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 8, returnSequences: true }), inputShape: [10, 4] }));
rnn.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }));
void rnn.trainOnBatch(tf.zeros([2, 10, 4]), tf.zeros([2, 10, 2]));

// @ts-expect-error no such layer (layers are not an open-ended map)
tf.layers.conv2D({ filters: 1, kernelSize: 1 });
// @ts-expect-error gru's resetAfter is a boolean
tf.layers.gru({ units: 2, resetAfter: 'yes' });

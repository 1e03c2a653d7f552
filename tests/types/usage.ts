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

// Weight constraints, as objects, names or {className, config}, on every kind of weight.
const constrained = tf.sequential();
constrained.add(tf.layers.dense({ units: 4, inputShape: [3], kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.5, axis: 0 }), biasConstraint: 'nonNeg' }));
constrained.add(tf.layers.reshape({ targetShape: [2, 2, 1] }));
constrained.add(tf.layers.conv2d({ filters: 2, kernelSize: 1, kernelConstraint: tf.constraints.unitNorm({ axis: [0, 1, 2] }) }));
constrained.add(tf.layers.separableConv2d({ filters: 2, kernelSize: 1, depthwiseConstraint: tf.constraints.nonNeg(), pointwiseConstraint: 'maxNorm' }));
constrained.add(tf.layers.batchNormalization({ gammaConstraint: tf.constraints.minMaxNorm({ minValue: 0.5, maxValue: 2, rate: 0.5 }), betaConstraint: { className: 'NonNeg' } }));
constrained.add(tf.layers.reshape({ targetShape: [4, 2] }));
constrained.add(tf.layers.lstm({ units: 2, kernelConstraint: 'unitNorm', recurrentConstraint: { className: 'MaxNorm', config: { maxValue: 1 } } }));
const maxNormConfig: { [option: string]: number | number[] } = tf.constraints.maxNorm().getConfig();
void maxNormConfig;
tf.layers.embedding({ inputDim: 5, outputDim: 2, embeddingsConstraint: tf.constraints.maxNorm({ axis: 1 }) });
// @ts-expect-error no such constraint name
tf.layers.dense({ units: 1, kernelConstraint: 'clipNorm' });
// @ts-expect-error maxValue is a number
tf.constraints.maxNorm({ maxValue: '2' });

// @ts-expect-error no such layer (layers are not an open-ended map)
tf.layers.conv2D({ filters: 1, kernelSize: 1 });
// @ts-expect-error gru's resetAfter is a boolean
tf.layers.gru({ units: 2, resetAfter: 'yes' });

// tf.data: element types flow through zip, batch and map into fitDataset.
export async function dataProgram(model: tf.Sequential): Promise<number> {
  const ds = tf.data.zip({ xs: tf.data.array([[0, 0], [1, 1]]), ys: tf.data.array([0, 1]) }).shuffle(2, 'seed').batch(2);
  const first = (await ds.take(1).toArray())[0];
  const shape: number[] = first.xs.shape;
  const gen = tf.data.generator(function* () { yield { xs: tf.zeros([2, 2]), ys: tf.zeros([2, 1]) }; });
  const h = await model.fitDataset(ds, { epochs: 2, validationData: gen, callbacks: { onBatchEnd: (batch: number) => console.log(batch) } });
  await tf._fitDataset(model, gen.repeat(), { epochs: 1, batchesPerEpoch: 1, yieldEvery: 'batch' });
  const ev = await model.evaluateDataset(gen, { batches: 1 });
  const size: number | null = ds.size;
  const squares: tf.data.Dataset<number> = tf.data.array([1, 2, 3]).map((x) => x * x).filter((x) => x > 1);
  const it = await squares.iterator();
  const r = await it.next();
  // Number pairs form a numeric array, so they batch as one [n, 2] tensor.
  const pairs: tf.Tensor = (await tf.data.zip([squares, squares]).batch(2).toArray())[0];
  return shape.length + h.epoch.length + (size ?? 0) + (r.done ? 0 : r.value) + (Array.isArray(ev) ? ev.length : 1) + pairs.rank;
}
// @ts-expect-error zip takes datasets
tf.data.zip({ a: 1 });
// @ts-expect-error fitDataset needs epochs
void tf.sequential().fitDataset(tf.data.array([1]), {});

// The functional API: two inputs, merge layers, two outputs with a loss each.
export async function functionalProgram(xa: tf.Tensor, xb: tf.Tensor, y1: tf.Tensor, y2: tf.Tensor): Promise<number> {
  const a = tf.input({ shape: [4], name: 'a' });
  const b = tf.input({ shape: [3] });
  const shared = tf.layers.dense({ units: 8, activation: 'relu' });
  const merged: tf.SymbolicTensor = tf.layers.concatenate().apply([shared.apply(tf.layers.dense({ units: 4 }).apply(a) as tf.SymbolicTensor) as tf.SymbolicTensor, tf.layers.dense({ units: 8 }).apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const out1 = tf.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(merged) as tf.SymbolicTensor;
  const out2 = tf.layers.add().apply([tf.layers.dense({ units: 1 }).apply(merged) as tf.SymbolicTensor, tf.layers.dense({ units: 1 }).apply(merged) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [a, b], outputs: [out1, out2] });
  model.compile({ optimizer: 'adam', loss: { cls: 'categoricalCrossentropy', add: 'meanSquaredError' }, metrics: { cls: ['accuracy'] }, lossWeights: [1, 0.5] });
  const h = await model.fit([xa, xb], [y1, y2], { epochs: 1 });
  const preds = model.predict({ a: xa, input2: xb }) as tf.Tensor[];
  return h.history.loss[0] + preds.length + model.outputNames.length;
}

// A custom layer, TF.js style.
class Scale extends tf.layers.Layer {
  w!: tf.LayerVariable;
  build(inputShape: (number | null)[] | (number | null)[][]): void {
    const s = inputShape as (number | null)[];
    this.w = this.addWeight('w', [s[s.length - 1] as number], 'float32', tf.initializers.ones());
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.mul(x, this.w.read());
  }
  static get className(): string { return 'Scale'; }
}
tf.serialization.registerClass(Scale);
export function customLayerProgram(): tf.Sequential {
  const m = tf.sequential();
  m.add(new Scale({ inputShape: [3] }));
  return m;
}

// Custom training loops: variables, gradients of functions, minimize and applyGradients.
export function customLoopProgram(xs: tf.Tensor, ys: tf.Tensor): number {
  const w: tf.Variable = tf.variable(tf.scalar(0), true, 'w');
  const b = tf.scalar(0).variable();
  const opt = tf.train.adam(0.1);
  const loss = () => tf.mean(tf.square(xs.mul(w).add(b).sub(ys)));
  const cost: tf.Tensor | null = opt.minimize(loss, true, [w, b]);
  const { value, grads } = tf.variableGrads(loss);
  opt.applyGradients(grads);
  opt.applyGradients([{ name: w.name, tensor: grads[w.name] }]);
  w.assign(tf.scalar(1));
  const dx: tf.Tensor = tf.grad((x) => x.square())(xs);
  const [da, db] = tf.grads((p, q) => p.mul(q))([xs, ys], tf.onesLike(xs));
  const vg = tf.valueAndGrad((x) => x.sin())(xs);
  const vgs = tf.valueAndGrads((p, q) => p.add(q))([xs, [1, 2]]);
  return (cost?.rank ?? 0) + value.rank + dx.rank + da.rank + db.rank + vg.grad.rank + vgs.grads.length + opt.iterations + (w.trainable ? 1 : 0);
}
// @ts-expect-error variableGrads takes a function of no arguments
tf.variableGrads((x: tf.Tensor) => x);
// @ts-expect-error assign takes a tensor
tf.variable(tf.scalar(1)).assign({ value: 1 });

// Recurrent states, stateful layers, and saving with the optimizer.
export async function statesProgram(x: tf.Tensor): Promise<number> {
  const inp = tf.input({ batchShape: [4, 5, 3] });
  const enc = tf.layers.lstm({ units: 8, returnState: true });
  const [, h, c] = enc.apply(inp) as tf.SymbolicTensor[];
  const dec = tf.layers.lstm({ units: 8, stateful: true });
  const out = dec.apply(inp, { initialState: [h, c] }) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out });
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  model.resetStates();
  dec.resetStates();
  await model.save('indexeddb://states', { includeOptimizer: true });
  const loaded: tf.LayersModel = await tf.loadLayersModel('indexeddb://states');
  const p = loaded.predict(x, { batchSize: 4 }) as tf.Tensor;
  return p.rank;
}

// The object model as TF.js programs use it: weights, properties, symbolic tensors, transfer
// learning, custom loops over a model's weights.
export async function objectModel(): Promise<number> {
  const base = tf.sequential();
  base.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 1], name: 'conv' }));
  base.add(tf.layers.flatten({ name: 'flat' }));
  base.add(tf.layers.dense({ units: 2, name: 'head' }));
  const conv = base.getLayer('conv') as tf.Layer;
  const k: tf.LayerVariable | null | undefined = conv.kernel;
  conv.addLoss(() => tf.mul(0.01, tf.sum(tf.abs(conv.kernel!.read()))));
  const penalty: tf.Tensor = tf.addN(base.calculateLosses());
  const fns: (() => tf.Tensor)[] = conv.losses;
  const steps = tf.input({ shape: [null, 8] });
  const seq = tf.model({ inputs: steps, outputs: tf.layers.lstm({ units: 4, returnSequences: true }).apply(steps) as tf.SymbolicTensor });
  seq.dispose();
  penalty.dispose();
  if (fns.length !== 1) throw new Error('one added loss');
  const sizes: number[] = base.weights.map((w) => w.shape.reduce((a, b) => a * b, 1));
  const flat = base.getLayer('flat') as tf.Layer;
  const feat = tf.model({ inputs: base.inputs, outputs: flat.output as tf.SymbolicTensor });
  feat.trainable = false;
  const clf = tf.sequential();
  clf.add(feat);
  clf.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  const x = tf.ones([2, 8, 8, 1]);
  const opt = tf.train.sgd(0.1);
  const cost = opt.minimize(() => tf.mean(tf.square(base.apply(x) as tf.Tensor)), true, base.trainableWeights.map((w) => w.val));
  const json = base.toJSON(null, false);
  base.pop();
  const unit: number | undefined = (clf.getLayer(1) as tf.Layer).units;
  return (k?.shape.length ?? 0) + sizes.length + (cost ? 1 : 0) + (json ? 1 : 0) + (unit ?? 0) + (conv.activation?.getClassName().length ?? 0);
}

// Issue 13's first members: tf.buffer, moments, tile, split, util, io weights.
export async function ops13(): Promise<number> {
  const b: tf.TensorBuffer = tf.buffer([2, 2], 'int32');
  b.set(3, 0, 1);
  const t = b.toTensor().tile([2, 1]);
  const { mean, variance } = tf.moments(t, 0, true);
  const parts: tf.Tensor[] = tf.split(t, [1, -1], 0);
  const bs = await t.buffer();
  const n: number = bs.get(0, 1) + tf.util.sizeFromShape(t.shape) + tf.util.computeStrides([2, 3])[0];
  const idx: Uint32Array = tf.util.createShuffledIndices(4);
  tf.util.assert(idx.length === 4, () => 'four indices');
  const { data, specs } = await tf.io.encodeWeights({ t: tf.clone(t) });
  const back: { [name: string]: tf.Tensor } = tf.io.decodeWeights(data, specs);
  await tf.nextFrame();
  tf.dispose([t, mean, variance, ...parts, ...Object.values(back), tf.tensor5d([1], [1, 1, 1, 1, 1]), tf.tensor6d([1], [1, 1, 1, 1, 1, 1])]);
  return n;
}

export async function pictures(canvas: HTMLCanvasElement): Promise<number> {
  const img = tf.browser.fromPixels(canvas, 3);
  const bytes: Uint8ClampedArray = await tf.browser.toPixels(img.div(255) as tf.Tensor, canvas);
  tf.browser.draw(img, canvas);
  const cm = tf.math.confusionMatrix([0, 1], [1, 1], 2);
  tf.enableProdMode();
  const prod = tf.env().getBool('PROD');
  tf.engine().startScope();
  const t = tf.ones([2]);
  tf.engine().endScope(t);
  const { wallMs } = await tf.time(() => t.add(1));
  const { result } = await tf.profile(() => t.mul(2));
  tf.disposeVariables();
  tf.dispose([img, cm, t, result]);
  return bytes.length + wallMs + (prod ? 1 : 0);
}

export async function moreOps(x: tf.Tensor): Promise<number> {
  const p = tf.pad(x, [[1, 1], [0, 2]], 0.5).mirrorPad([[1, 1], [1, 1]], 'reflect');
  const c = tf.cumsum(tf.reverse(p, 1), 1, false, true);
  const { values, indices } = tf.topk(c, 2);
  const n = tf.norm(c, 'fro', [0, 1]).add(tf.logSumExp(c, 1).sum());
  const [gx, gy] = tf.meshgrid(tf.range(0, 3), tf.range(0, 2), { indexing: 'ij' });
  const draws = tf.multinomial(tf.tensor([[0.2, 0.8]]), 10, 3, true);
  const coords = await tf.whereAsync(tf.all(tf.tensor([[true, false]]), 1));
  const [diff, at] = await tf.setdiff1dAsync(tf.tensor([1, 2, 3]), tf.tensor([2]));
  tf.dispose([p, c, values, indices, n, gx, gy, draws, coords, diff, at, tf.eye(2), tf.outerProduct([1, 2], [3, 4])]);
  return tf.util.sizeFromShape(x.shape);
}

export function convolutions(images: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const f = tf.randomNormal([3, 3, 3, 8]);
    const y = tf.conv2d(images, f, 1, 'same').relu().maxPool(2, 2, 'valid');
    const z = tf.depthwiseConv2d(y, tf.ones([3, 3, 8, 1]), [1, 1], 'same');
    const up = tf.conv2dTranspose(z, tf.ones([2, 2, 4, 8]), [1, 8, 8, 4], 2, 'same');
    return tf.avgPool(up, 2, 2, 0).add(tf.conv1d(tf.ones([1, 8, 2]), tf.ones([3, 2, 1]), 1, 'same').sum());
  });
}

export function indexing(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const g = tf.gatherND(x, tf.tensor([[0, 1]], [1, 2], 'int32'));
    const s = tf.scatterND(tf.tensor([[1]], [1, 1], 'int32'), tf.ones([1, 2]), [3, 2]);
    const seg = tf.unsortedSegmentSum(tf.ones([4, 2]), tf.tensor([0, 1, 0, 1], [4], 'int32'), 2);
    const [c, h] = tf.basicLSTMCell(tf.scalar(1), tf.ones([4, 8]), tf.zeros([8]), tf.ones([1, 2]), tf.zeros([1, 2]), tf.zeros([1, 2]));
    const where = tf.searchSorted([1, 2, 3], [2.5], 'right');
    return g.sum().add(s.sum()).add(seg.sum()).add(c.sum()).add(h.sum()).add(where.sum()).add(tf.dropout(tf.diag([1, 2]), 0.5).sum());
  });
}

export async function imagesAndCustomGradients(canvas: HTMLCanvasElement): Promise<number> {
  const px = tf.browser.fromPixels(canvas, 3).toFloat().expandDims(0);
  const small: tf.Tensor = tf.image.resizeBilinear(px, [8, 8]);
  const near = px.resizeNearestNeighbor([4, 4], true);
  const gray = tf.image.rgbToGrayscale(small);
  const flipped = tf.image.flipLeftRight(small);
  const crops = tf.image.cropAndResize(px, [[0, 0, 1, 1]], [0], [5, 5], 'nearest');
  const rotated = tf.image.rotateWithOffset(small, 0.5, [0, 0, 0], [0.5, 0.5]);
  const moved = tf.image.transform(small, [[1, 0, 1, 0, 1, 1, 0, 0]], 'bilinear', 'reflect');
  const boxes = tf.tensor([[0, 0, 1, 1], [0, 0.1, 1, 1.1]]);
  const scores = tf.tensor([0.9, 0.8]);
  const keep: tf.Tensor = await tf.image.nonMaxSuppressionAsync(boxes, scores, 2, 0.5);
  const { selectedScores } = tf.image.nonMaxSuppressionWithScore(boxes, scores, 2, 0.5, 0, 0.5);
  const { validOutputs } = tf.image.nonMaxSuppressionPadded(boxes, scores, 2, 0.5, 0, true);
  const bw = tf.image.threshold(gray.squeeze([0]), 'otsu');
  const square = tf.customGrad((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([x]);
    return { value: x.square(), gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => [dy.mul(sx).mul(2)] };
  });
  const g = tf.grad((x) => square(x).sum())(tf.tensor([1, 2]));
  tf.dispose([px, small, near, gray, flipped, crops, rotated, moved, boxes, scores, keep, selectedScores, validOutputs, bw, g]);
  return g.size;
}

export async function volumesAndSignals(): Promise<number> {
  const x = tf.randomNormal([2, 4, 5, 6, 2]);
  const k = tf.randomNormal([2, 2, 2, 2, 3]);
  const y = tf.conv3d(x, k, 1, 'same');
  const up = tf.conv3dTranspose(y, tf.randomNormal([2, 2, 2, 2, 3]), [2, 4, 5, 6, 2], 1, 'same');
  const p3 = tf.maxPool3d(x, 2, 2, 'valid').add(tf.avgPool3d(x, [2, 2, 2], 2, 'valid'));
  const img = tf.randomNormal([1, 6, 6, 3]);
  const d = tf.dilation2d(img, tf.zeros([2, 2, 3]), 1, 'same');
  const pl = tf.pool(img, [2, 2], 'max', 'same', [2, 2]);
  const { result, indexes } = tf.maxPoolWithArgmax(img, 2, 2, 'valid');
  const bn = tf.batchNorm(img, [0, 0, 0], [1, 1, 1]).add(tf.localResponseNormalization(img, 2));
  const m = tf.einsum('ij,jk->ik', tf.ones([2, 3]), tf.ones([3, 4])).add(tf.atan2(1, tf.ones([2, 4]))).prod(1).cumprod();
  const counts = tf.bincount(tf.tensor([1, 2], [2], 'int32'), tf.tensor([]), 3);
  const s = tf.stridedSlice(tf.range(0, 10), [1], [8], [2]).add(tf.slice1d(tf.range(0, 10), 0, 4));
  const sb = tf.batchToSpaceND(tf.spaceToBatchND(img, [2, 2], [[0, 0], [0, 0]]), [2, 2], [[0, 0], [0, 0]]);
  const frames = tf.signal.frame(tf.range(0, 10), 4, 2).mul(tf.signal.hannWindow(4));
  const opt: tf.Optimizer = new tf.AdamOptimizer(0.01);
  const cb = new tf.CallbackList([new tf.CustomCallback({ onEpochEnd: () => {} })]);
  await cb.onEpochEnd(0, {});
  const sq = tf.op({ sq: (t: tf.Tensor) => t.square() });
  const bytes = await sq(tf.ones([2])).bytes();
  tf.dispose([x, k, y, up, p3, img, d, pl, result, indexes, bn, m, counts, s, sb, frames]);
  return bytes.length + (opt.getClassName() === 'Adam' ? 1 : 0) + tf.enclosingPowerOfTwo(5) + (tf.Rank.R1 === 'R1' ? 1 : 0);
}

export async function linalgAndSources(): Promise<number> {
  const [q, r] = tf.linalg.qr(tf.randomNormal([4, 3]));
  const band = tf.linalg.bandPart(tf.ones([3, 3]), 0, -1);
  const ortho: tf.Tensor = tf.linalg.gramSchmidt(tf.randomNormal([2, 3]));
  const y = tf.fused.matMul({ a: q, b: r, bias: tf.zeros([3]), activation: 'relu' });
  const csv = tf.data.csv('data.csv', { columnConfigs: { label: { isLabel: true } } });
  const names: string[] = await csv.columnNames();
  let n = 0;
  const counted = await tf.data.func(() => ({ value: n++, done: n > 3 })).toArray();
  const lines = new tf.data.TextLineDataset(new tf.data.FileDataSource(new Blob(['a\nb'])));
  tf.dispose([q, r, band, ortho, y]);
  return names.length + counted.length + (lines.size ?? 0);
}

export async function ioExtras(manifest: tf.io.WeightsManifestConfig): Promise<number> {
  const weights = await tf.io.loadWeights(manifest, 'https://example.org/model', ['dense/kernel']);
  const specs = tf.io.getWeightSpecs(manifest);
  const loader = tf.io.weightsLoaderFactory(async (urls) => urls.map(() => new ArrayBuffer(4)));
  const more = await loader(manifest);
  const joined = new tf.io.CompositeArrayBuffer([new ArrayBuffer(2), new ArrayBuffer(3)]);
  const handler = tf.io.withSaveHandlerSync(() => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }));
  return Object.keys(weights).length + specs.length + Object.keys(more).length + joined.byteLength + (handler ? 1 : 0);
}

export function spectra(): number {
  const c = tf.complex(tf.ones([4]), tf.zeros([4]));
  const f = tf.spectral.fft(c);
  const back = tf.real(tf.spectral.ifft(f)).add(tf.imag(f));
  const spec = tf.abs(tf.signal.stft(tf.randomNormal([64]), 16, 8));
  const r = tf.spectral.irfft(tf.spectral.rfft(tf.ones([8]), 8));
  tf.dispose([c, f, back, spec, r]);
  return spec.rank;
}

export function sparseAndRagged(): number {
  const { outputIndices } = tf.sparse.sparseFillEmptyRows(tf.tensor([[0, 0]], [1, 2], 'int32'), [1], tf.tensor([2, 2], [2], 'int32'), 0);
  const seg = tf.sparse.sparseSegmentSum(tf.ones([3, 2]), tf.tensor([0, 1], [2], 'int32'), tf.tensor([0, 0], [2], 'int32'));
  const { rtDenseValues } = tf.raggedRange(tf.tensor([0], [1], 'int32'), tf.tensor([3], [1], 'int32'), tf.tensor([1], [1], 'int32'));
  const g = tf.randomGamma([4], 2);
  tf.dispose([outputIndices, seg, rtDenseValues, g]);
  return g.size;
}

export function texts(): number {
  const words = tf.tensor(['a b', 'c']);
  const { values } = tf.string.stringSplit(words, ' ');
  const buckets = tf.string.stringToHashBucketFast(values, 100);
  const grams = tf.string.stringNGrams(values, tf.tensor([0, 3], [2], 'int32'), ' ', [2], '', '', 0, false).nGrams;
  const clean = tf.string.staticRegexReplace(words, '\\s+', '_');
  const dt: tf.DataType = words.dtype;
  tf.dispose([words, values, buckets, grams, clean]);
  return dt === 'string' ? 1 : 0;
}

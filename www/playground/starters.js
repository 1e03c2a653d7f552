// Starter programs for the picker. Each is plain TF.js Layers code; `tf`
// (also available as `hebb`) and the data helper `pg` are globals, and the
// program runs as a module, so top-level await works.

const spiral2 = `// Two interleaved spirals; a small MLP learns a sigmoid decision boundary.
const {xs, ys} = pg.spiral({classes: 2, points: 400, noise: 0.2, oneHot: false});

const model = tf.sequential();
model.add(tf.layers.dense({units: 16, activation: 'relu', inputShape: [2]}));
model.add(tf.layers.dense({units: 16, activation: 'relu'}));
model.add(tf.layers.dense({units: 1, activation: 'sigmoid'}));
model.compile({optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy']});

const history = await model.fit(xs, ys, {epochs: 50, batchSize: 32, validationSplit: 0.1, shuffle: true});
model.summary();
const {acc, val_acc} = history.history;
console.log(\`final accuracy: \${(acc.at(-1) * 100).toFixed(1)}% (validation \${(val_acc.at(-1) * 100).toFixed(1)}%)\`);
`;

const spiral3 = `// Three spiral arms, one per class; softmax output + categorical cross-entropy.
const {xs, ys} = pg.spiral({classes: 3, points: 300, noise: 0.15});

const model = tf.sequential();
model.add(tf.layers.dense({units: 32, activation: 'relu', inputShape: [2]}));
model.add(tf.layers.dense({units: 32, activation: 'relu'}));
model.add(tf.layers.dense({units: 3, activation: 'softmax'}));
model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy']});

const history = await model.fit(xs, ys, {epochs: 60, batchSize: 32, validationSplit: 0.1, shuffle: true});
model.summary();
const {acc, val_acc} = history.history;
console.log(\`final accuracy: \${(acc.at(-1) * 100).toFixed(1)}% (validation \${(val_acc.at(-1) * 100).toFixed(1)}%)\`);
`;

const sine = `// Regression: fit y = sin(x) + noise with a small tanh network.
const {xs, ys} = pg.sine({points: 200, noise: 0.05});

const model = tf.sequential();
model.add(tf.layers.dense({units: 32, activation: 'tanh', inputShape: [1]}));
model.add(tf.layers.dense({units: 32, activation: 'tanh'}));
model.add(tf.layers.dense({units: 1}));
model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});

const history = await model.fit(xs, ys, {epochs: 150, batchSize: 16, validationSplit: 0.1, shuffle: true});
model.summary();
console.log(\`final loss: \${history.history.loss.at(-1).toFixed(4)}\`);

const [y] = await model.predict(tf.tensor2d([[Math.PI / 2]])).data();
console.log(\`model(π/2) = \${y.toFixed(3)}  (sin(π/2) = 1)\`);
`;

/**
 * The starter programs, in picker order.
 * @type {{id: string, title: string, code: string}[]}
 */
export const STARTERS = [
  { id: 'spiral2', title: 'Spiral, 2 classes (sigmoid)', code: spiral2 },
  { id: 'spiral3', title: 'Spiral, 3 classes (softmax)', code: spiral3 },
  { id: 'sine', title: 'Sine regression', code: sine },
];

/** Id of the starter shown on first load. */
export const DEFAULT_STARTER = 'spiral3';

/**
 * Look a starter up by id.
 * @param {string} id
 * @returns {{id: string, title: string, code: string} | undefined}
 */
export function findStarter(id) {
  return STARTERS.find((s) => s.id === id);
}

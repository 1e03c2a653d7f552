// Seeded toy data sets for playground programs, exposed to user code as `pg`.
// Runs inside the sandbox iframe; tensors are created with whatever `tf`
// namespace the sandbox loaded (Hebb by default, TF.js with ?lib=tfjs).

const DEFAULT_SEED = 42;

/**
 * Small, fast 32-bit PRNG (mulberry32 construction).
 * @param {number} seed any integer
 * @returns {() => number} generator of floats in [0, 1)
 */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample via Box-Muller, drawing from `rand`. */
function gaussian(rand) {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** In-place Fisher-Yates shuffle of an index array. */
function shuffleIndices(n, rand) {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

function positiveInt(value, fallback, name) {
  const v = value === undefined ? fallback : value;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`pg: ${name} must be a positive integer, got ${value}`);
  return v;
}

/**
 * Interleaved spiral arms in about [-1, 1]^2, one arm per class, shuffled.
 * @param {object} tf namespace providing tensor2d
 * @param {object} [opts]
 * @param {number} [opts.classes=3] number of arms / classes (>= 2)
 * @param {number} [opts.points=300] points per class
 * @param {number} [opts.noise=0.2] std-dev of the Gaussian jitter added to each
 *   coordinate, as a fraction of the radial gap between neighbouring arms
 * @param {number} [opts.seed=42] PRNG seed
 * @param {boolean} [opts.oneHot=true] one-hot labels [n, classes]; with
 *   `false` (2 classes only) labels are [n, 1] of 0/1 for sigmoid outputs
 * @returns {{xs: object, ys: object, labels: Int32Array}} tensors + raw labels
 */
export function spiral(tf, opts = {}) {
  const classes = positiveInt(opts.classes, 3, 'classes');
  if (classes < 2) throw new RangeError('pg.spiral: classes must be at least 2');
  const perClass = positiveInt(opts.points, 300, 'points');
  const noise = opts.noise ?? 0.2;
  const oneHot = opts.oneHot ?? true;
  if (!oneHot && classes !== 2) throw new RangeError('pg.spiral: oneHot:false needs classes: 2');
  const rand = mulberry32(opts.seed ?? DEFAULT_SEED);
  const n = classes * perClass;
  const px = new Float32Array(n * 2);
  const pl = new Int32Array(n);
  const sweep = 7.5; // radians each arm turns from centre to rim
  const rim = 0.9; // radius of the arms' outer ends
  const gap = (rim * 2 * Math.PI) / classes / sweep; // radial distance between neighbouring arms
  const jitter = noise * gap;
  let k = 0;
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++, k++) {
      const t = 0.03 + (0.97 * i) / Math.max(1, perClass - 1); // 0 = centre, 1 = rim
      const r = rim * t;
      const theta = (2 * Math.PI * c) / classes + sweep * t;
      px[2 * k] = r * Math.sin(theta) + jitter * gaussian(rand);
      px[2 * k + 1] = r * Math.cos(theta) + jitter * gaussian(rand);
      pl[k] = c;
    }
  }
  // Shuffle so that validationSplit (which takes the tail) sees every class.
  const order = shuffleIndices(n, rand);
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  const width = oneHot ? classes : 1;
  const y = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const src = order[i];
    x[2 * i] = px[2 * src];
    x[2 * i + 1] = px[2 * src + 1];
    labels[i] = pl[src];
    if (oneHot) y[i * classes + pl[src]] = 1;
    else y[i] = pl[src];
  }
  return { xs: tf.tensor2d(x, [n, 2]), ys: tf.tensor2d(y, [n, width]), labels };
}

/**
 * Noisy samples of y = sin(x) with x uniform in [-pi, pi].
 * @param {object} tf namespace providing tensor2d
 * @param {object} [opts]
 * @param {number} [opts.points=200] number of samples
 * @param {number} [opts.noise=0.05] std-dev of Gaussian noise added to y
 * @param {number} [opts.seed=42] PRNG seed
 * @returns {{xs: object, ys: object}} tensors of shape [n, 1]
 */
export function sine(tf, opts = {}) {
  const n = positiveInt(opts.points, 200, 'points');
  const noise = opts.noise ?? 0.05;
  const rand = mulberry32(opts.seed ?? DEFAULT_SEED);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (rand() * 2 - 1) * Math.PI;
    y[i] = Math.sin(x[i]) + noise * gaussian(rand);
  }
  return { xs: tf.tensor2d(x, [n, 1]), ys: tf.tensor2d(y, [n, 1]) };
}

/**
 * Build the `pg` helper object bound to a tf namespace.
 * @param {object} tf the namespace user code sees as `tf`
 * @returns {{spiral: Function, sine: Function, random: Function}}
 */
export function makePg(tf) {
  return Object.freeze({
    spiral: (opts) => spiral(tf, opts),
    sine: (opts) => sine(tf, opts),
    /** Seeded uniform generator for user code: `const r = pg.random(7); r()`. */
    random: (seed = DEFAULT_SEED) => mulberry32(seed),
  });
}

// complex64 tensors and tf.spectral. A complex tensor of shape S is held as one float32 engine
// tensor of shape [...S, 2] (real, imaginary): its dataSync() is TF.js's interleaved layout, and
// every complex op is composed from real ops on that pair, so they differentiate and run on both
// backends. The FFT is radix-2 (log2 n butterfly stages of gathers, products and sums) for
// powers of two, a DFT as a matmul otherwise.
import { engine } from './engine.js';
import { Tensor, tensor, tidy, zeros, wrap, _handOver } from './tensor.js';
import { registerDtypeOps } from './op_run.js';
import { reshape, stack, slice, concat, mul, add, sub, neg, sqrt, square, cast, matMul, gather } from './ops.js';
import { frame, signal } from './ops_math.js';

const baseLive = Tensor.prototype._live;

/** A complex64 tensor (see the module comment). */
export class ComplexTensor extends Tensor {
  /** The [...shape, 2] float32 pair's handle. */
  _packed() { return baseLive.call(this); }
  _live() {
    throw new Error('this op does not take complex64 tensors; Hebb\'s complex64 ops are tf.complex, real, imag, abs, add, sub, mul, neg, reshape, clone and tf.spectral (fft, ifft, rfft, irfft) and tf.signal.stft');
  }
  get shape() { return Array.from(engine.tensor_shape(this._packed())).slice(0, -1); }
  get dtype() { return 'complex64'; }
  /** The [...shape, 2] float32 tensor (a new handle on the same value). */
  pair() {
    const id = this._packed();
    return wrap(engine.op('reshape', Uint32Array.of(id), JSON.stringify({ shape: Array.from(engine.tensor_shape(id)) })));
  }
  dataSync() { return tidy(() => this.pair().dataSync()); }
  async data() {
    const p = this.pair();
    try {
      return await p.data();
    } finally {
      p.dispose();
    }
  }
  arraySync() { return nestComplex(Array.from(this.dataSync()), this.shape); }
  async array() { return nestComplex(Array.from(await this.data()), this.shape); }
  clone() { return tidy(() => complexOf(this.pair())); }
  toString(verbose = false) {
    const v = this.dataSync();
    const cells = [];
    for (let i = 0; i < v.length; i += 2) cells.push(`${v[i]} + ${v[i + 1]}j`);
    const head = verbose ? `Tensor\n  dtype: complex64\n  rank: ${this.rank}\n  shape: [${this.shape}]\n  values:` : 'Tensor';
    return `${head}\n    [${cells.join(', ')}]`;
  }
}

function nestComplex(flat, shape) {
  if (shape.length === 0) return flat;
  const dims = [...shape.slice(0, -1), shape[shape.length - 1] * 2];
  const nest = (f, s) => {
    if (s.length === 1) return f;
    const step = f.length / s[0];
    return Array.from({ length: s[0] }, (_, i) => nest(f.slice(i * step, (i + 1) * step), s.slice(1)));
  };
  return nest(flat, dims);
}

/** A ComplexTensor owning the value of the float32 pair `p` ([...S, 2]); p itself is left to its scope. */
function complexOf(p) {
  return new ComplexTensor(_handOver(tidy(() => p.clone())));
}

const parts = (c) => {
  const p = c.pair();
  return [reshape(slice(p, [...c.shape.map(() => 0), 0], [...c.shape, 1]), c.shape), reshape(slice(p, [...c.shape.map(() => 0), 1], [...c.shape, 1]), c.shape)];
};
const fromParts = (re, im) => complexOf(stack([re, im], -1));
const isComplex = (x) => x instanceof ComplexTensor;
const asParts = (x) => (isComplex(x) ? parts(x) : [cast(x instanceof Tensor ? x : tensor(x), 'float32'), null]);

/** tf.complex(real, imag): the complex tensor real + i·imag. */
export function complex(real, imag) {
  return tidy(() => {
    const [re, im] = [real instanceof Tensor ? real : tensor(real), imag instanceof Tensor ? imag : tensor(imag)];
    if (re.rank !== im.rank || re.shape.some((d, i) => d !== im.shape[i])) throw new Error(`real and imag shapes, ${re.shape} and ${im.shape}, must match in call to tf.complex().`);
    return fromParts(cast(re, 'float32'), cast(im, 'float32'));
  });
}
/** tf.real(x): the real part (x itself as float32 for a real tensor). */
export const real = (x) => tidy(() => (isComplex(x) ? parts(x)[0] : cast(x instanceof Tensor ? x : tensor(x), 'float32').clone()));
/** tf.imag(x): the imaginary part (zeros for a real tensor). */
export const imag = (x) => tidy(() => (isComplex(x) ? parts(x)[1] : zeros(x instanceof Tensor ? x.shape : tensor(x).shape)));

// ---- the FFT ----

const isPow2 = (n) => n > 0 && (n & (n - 1)) === 0;

/** FFT (or its inverse, unscaled) of re/im [b, n] along the last axis. */
function transform(re, im, inverse) {
  const n = re.shape[1];
  if (n <= 1) return [re, im];
  const sgn = inverse ? 1 : -1;
  if (!isPow2(n)) {
    const c = new Float32Array(n * n);
    const s = new Float32Array(n * n);
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) {
        const a = (2 * Math.PI * ((j * k) % n)) / n;
        c[j * n + k] = Math.cos(a);
        s[j * n + k] = sgn * Math.sin(a);
      }
    }
    const [C, S] = [tensor(c, [n, n]), tensor(s, [n, n])];
    return [sub(matMul(re, C), matMul(im, S)), add(matMul(re, S), matMul(im, C))];
  }
  // Bit-reversed order, then butterflies over blocks of 2, 4, ..., n.
  const bits = Math.log2(n);
  const rev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let k = 0; k < bits; k++) r |= ((i >> k) & 1) << (bits - 1 - k);
    rev[i] = r;
  }
  const order = tensor(rev, [n], 'int32');
  let [xr, xi] = [gather(re, order, 1), gather(im, order, 1)];
  const b = re.shape[0];
  for (let m = 1; m < n; m *= 2) {
    const wr = new Float32Array(m);
    const wi = new Float32Array(m);
    for (let k = 0; k < m; k++) {
      wr[k] = Math.cos((Math.PI * k) / m);
      wi[k] = sgn * Math.sin((Math.PI * k) / m);
    }
    const [Wr, Wi] = [tensor(wr, [1, 1, m]), tensor(wi, [1, 1, m])];
    const blocks = [b * (n / (2 * m)), 2, m];
    const [pr, pi] = [reshape(xr, blocks), reshape(xi, blocks)];
    const half = (t, h) => reshape(slice(t, [0, h, 0], [blocks[0], 1, m]), [blocks[0], 1, m]);
    const [ar, ai, br, bi] = [half(pr, 0), half(pi, 0), half(pr, 1), half(pi, 1)];
    const tr = sub(mul(br, Wr), mul(bi, Wi));
    const ti = add(mul(br, Wi), mul(bi, Wr));
    xr = reshape(concat([add(ar, tr), sub(ar, tr)], 1), [b, n]);
    xi = reshape(concat([add(ai, ti), sub(ai, ti)], 1), [b, n]);
  }
  return [xr, xi];
}

/** re/im along the innermost axis as [b, n], transformed, back in their shape. */
function innermost(re, im, inverse) {
  const shape = re.shape;
  const n = shape[shape.length - 1];
  const [r, i] = transform(reshape(re, [-1, n]), reshape(im, [-1, n]), inverse);
  return [reshape(r, shape), reshape(i, shape)];
}

function checkComplex(op, x) {
  if (!isComplex(x)) throw new Error(`The dtype for tf.spectral.${op}() must be complex64 but got ${x instanceof Tensor ? x.dtype : typeof x}.`);
}

/** tf.spectral.fft(x): the DFT of a complex tensor along its innermost axis. */
export function fft(x) {
  checkComplex('fft', x);
  return tidy(() => fromParts(...innermost(...parts(x), false)));
}
/** tf.spectral.ifft(x): the inverse DFT (scaled by 1/n) along the innermost axis. */
export function ifft(x) {
  checkComplex('ifft', x);
  return tidy(() => {
    const n = x.shape[x.rank - 1];
    const [r, i] = innermost(...parts(x), true);
    return fromParts(mul(r, 1 / n), mul(i, 1 / n));
  });
}

/** tf.spectral.rfft(x, fftLength?): the DFT of a real tensor's innermost axis (cropped or zero-padded to fftLength), its n/2 + 1 non-negative frequencies. */
export function rfft(x, fftLength) {
  if (isComplex(x)) throw new Error('The dtype for tf.spectral.rfft() must be real (float32) but got complex64.');
  return tidy(() => {
    const X = cast(x instanceof Tensor ? x : tensor(x), 'float32');
    const n0 = X.shape[X.rank - 1];
    const n = fftLength ?? n0;
    let re = X;
    if (n < n0) re = slice(X, X.shape.map(() => 0), [...X.shape.slice(0, -1), n]);
    else if (n > n0) re = concat([X, zeros([...X.shape.slice(0, -1), n - n0])], -1);
    const [r, i] = innermost(re, zeros(re.shape), false);
    const keep = (t) => slice(t, t.shape.map(() => 0), [...t.shape.slice(0, -1), Math.floor(n / 2) + 1]);
    return fromParts(keep(r), keep(i));
  });
}

/** tf.spectral.irfft(x): the real signal of length 2(n - 1) whose rfft is x. */
export function irfft(x) {
  checkComplex('irfft', x);
  return tidy(() => {
    const [re, im] = parts(x);
    const m = x.shape[x.rank - 1];
    const n = 2 * (m - 1);
    if (n <= 0) return reshape(re, x.shape);
    // The full Hermitian spectrum: X[n - k] = conj(X[k]) for k = 1 .. m - 2.
    const mirror = tensor(Int32Array.from({ length: m - 2 }, (_, k) => m - 2 - k), [m - 2], 'int32');
    const axis = x.rank - 1;
    const fullRe = m > 2 ? concat([re, gather(re, mirror, axis)], -1) : re;
    const fullIm = m > 2 ? concat([im, neg(gather(im, mirror, axis))], -1) : im;
    const [r] = innermost(fullRe, fullIm, true);
    return mul(r, 1 / n);
  });
}

/**
 * tf.signal.stft(signal, frameLength, frameStep, fftLength?, windowFn = hannWindow): the rfft
 * of each windowed frame: complex [numFrames, fftLength / 2 + 1].
 */
export function stft(sig, frameLength, frameStep, fftLength, windowFn = signal.hannWindow) {
  return tidy(() => {
    const frames = frame(sig, frameLength, frameStep);
    const windowed = mul(frames, windowFn(frameLength));
    return rfft(windowed, fftLength ?? frameLength);
  });
}
signal.stft = stft;

export const spectral = { fft, ifft, rfft, irfft };

// Elementwise ops on complex tensors (op_run.js sends a complex input here).
registerDtypeOps('complex64', {
  add: ([a, b]) => tidy(() => { const [[ar, ai], [br, bi]] = [asParts(a), asParts(b)]; return fromParts(add(ar, br), ai && bi ? add(ai, bi) : (ai ?? bi)); }),
  sub: ([a, b]) => tidy(() => { const [[ar, ai], [br, bi]] = [asParts(a), asParts(b)]; return fromParts(sub(ar, br), bi ? sub(ai ?? zeros(bi.shape), bi) : ai); }),
  mul: ([a, b]) => tidy(() => {
    const [[ar, ai], [br, bi]] = [asParts(a), asParts(b)];
    if (!ai) return fromParts(mul(ar, br), mul(ar, bi));
    if (!bi) return fromParts(mul(ar, br), mul(ai, br));
    return fromParts(sub(mul(ar, br), mul(ai, bi)), add(mul(ar, bi), mul(ai, br)));
  }),
  neg: ([a]) => tidy(() => { const [r, i] = parts(a); return fromParts(neg(r), neg(i)); }),
  abs: ([a]) => tidy(() => { const [r, i] = parts(a); return sqrt(add(square(r), square(i))); }),
  reshape: ([a], { shape }) => tidy(() => complexOf(reshape(a.pair(), [...shape, 2]))),
});

Object.assign(Tensor.prototype, {
  fft() { return fft(this); },
  ifft() { return ifft(this); },
  rfft() { return rfft(this); },
  irfft() { return irfft(this); },
});

//! Losses with Keras / TF.js Layers semantics: a per-sample value (the mean over the last axis),
//! then the mean over the batch. Built from ops, so they run eagerly, in traced user functions,
//! and inside planned training steps alike.

use crate::error::{fmt_shape, Error, Result};
use crate::graph::Builder;
use crate::ops::{Binary, Op, Unary};
use crate::tensor::DType;

/// Probabilities are clipped to [EPS, 1 - EPS] before a log, as Keras and TF.js do.
pub const EPS: f32 = 1e-7;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Hinge,
    SquaredHinge,
    Huber,
    LogCosh,
    CategoricalHinge,
    KlDivergence,
    CosineProximity,
    Poisson,
}

/// Options of the Keras 3 loss classes: `fromLogits` (the crossentropies take logits),
/// `labelSmoothing` (binary and categorical crossentropy) and Huber's `delta`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossOpts {
    pub from_logits: bool,
    pub label_smoothing: f32,
    pub delta: f32,
}

impl Default for LossOpts {
    fn default() -> Self {
        LossOpts { from_logits: false, label_smoothing: 0.0, delta: 1.0 }
    }
}

pub const NAMES: &[&str] = &[
    "meanSquaredError",
    "meanAbsoluteError",
    "meanAbsolutePercentageError",
    "meanSquaredLogarithmicError",
    "binaryCrossentropy",
    "categoricalCrossentropy",
    "sparseCategoricalCrossentropy",
    "hinge",
    "squaredHinge",
    "huber",
    "logCosh",
    "categoricalHinge",
    "kullbackLeiblerDivergence",
    "cosineProximity",
    "poisson",
];

impl Loss {
    pub fn parse(name: &str) -> Result<Loss> {
        use Loss::*;
        Ok(match name {
            "meanSquaredError" | "mse" | "MSE" | "mean_squared_error" => MeanSquaredError,
            "meanAbsoluteError" | "mae" | "MAE" | "mean_absolute_error" => MeanAbsoluteError,
            "meanAbsolutePercentageError" | "mape" | "MAPE" => MeanAbsolutePercentageError,
            "meanSquaredLogarithmicError" | "msle" | "MSLE" => MeanSquaredLogarithmicError,
            "binaryCrossentropy" | "binary_crossentropy" => BinaryCrossentropy,
            "categoricalCrossentropy" | "categorical_crossentropy" => CategoricalCrossentropy,
            "sparseCategoricalCrossentropy" | "sparse_categorical_crossentropy" => SparseCategoricalCrossentropy,
            "hinge" => Hinge,
            "squaredHinge" => SquaredHinge,
            "huber" | "huberLoss" => Huber,
            "logCosh" | "logcosh" => LogCosh,
            "categoricalHinge" | "categorical_hinge" => CategoricalHinge,
            "kullbackLeiblerDivergence" | "kld" | "KLD" | "kl_divergence" | "kullback_leibler_divergence" => KlDivergence,
            "cosineProximity" | "cosine" | "cosine_similarity" => CosineProximity,
            "poisson" => Poisson,
            _ => {
                return Err(Error::arg(
                    "compile",
                    format!("unknown loss '{name}'; expected one of {} or a function (yTrue, yPred) => Tensor", NAMES.join(", ")),
                ))
            }
        })
    }

    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// Checks that labels of shape `y` fit predictions of shape `p` (batch included).
    pub fn check_shapes(self, y: &[usize], p: &[usize]) -> Result<()> {
        let ok = if self == Loss::SparseCategoricalCrossentropy {
            !p.is_empty() && (y == &p[..p.len() - 1] || (y.len() == p.len() && y[..y.len() - 1] == p[..p.len() - 1] && y[y.len() - 1] == 1))
        } else {
            y == p
        };
        if ok {
            Ok(())
        } else {
            let want = if self == Loss::SparseCategoricalCrossentropy {
                "integer class labels with shape yPred.shape[:-1]"
            } else {
                "the same shape as yPred"
            };
            Err(Error::shape(
                self.name(),
                format!("yTrue has shape {} but yPred has shape {}; expected {want}", fmt_shape(y), fmt_shape(p)),
            ))
        }
    }

    /// Parses `{className: 'CategoricalCrossentropy', config: {fromLogits, labelSmoothing}}`
    /// (Keras 3's loss classes, as `new tf.losses.CategoricalCrossentropy({...})` writes them).
    pub fn from_config(v: &serde_json::Value) -> Result<(Loss, LossOpts)> {
        let class = v.get("className").and_then(|c| c.as_str()).unwrap_or("");
        let mut name: String = class.chars().next().map(|c| c.to_ascii_lowercase().to_string()).unwrap_or_default();
        name.push_str(class.get(1..).unwrap_or(""));
        let loss = Loss::parse(match name.as_str() {
            "kLDivergence" | "kLD" => "kld",
            "cosineSimilarity" => "cosineProximity",
            n => n,
        })?;
        let empty = serde_json::Value::Object(Default::default());
        let o = crate::nn::Opts::new(format!("loss {class}"), v.get("config").unwrap_or(&empty));
        let opts = LossOpts {
            from_logits: o.bool_or("fromLogits", false)?,
            label_smoothing: o.f32_or("labelSmoothing", 0.0)?,
            delta: o.f32_or("delta", 1.0)?,
        };
        let logits_ok = matches!(loss, Loss::BinaryCrossentropy | Loss::CategoricalCrossentropy | Loss::SparseCategoricalCrossentropy);
        if opts.from_logits && !logits_ok {
            return Err(Error::arg(&o.owner, "fromLogits applies only to the crossentropy losses"));
        }
        let smoothing_ok = matches!(loss, Loss::BinaryCrossentropy | Loss::CategoricalCrossentropy);
        if !(0.0..=1.0).contains(&opts.label_smoothing) || (opts.label_smoothing > 0.0 && !smoothing_ok) {
            return Err(Error::arg(&o.owner, format!("labelSmoothing must be in [0, 1] on binary or categorical crossentropy, received {}", opts.label_smoothing)));
        }
        if opts.delta.is_nan() || opts.delta <= 0.0 {
            return Err(Error::arg(&o.owner, format!("delta must be positive, received {}", opts.delta)));
        }
        Ok((loss, opts))
    }

    /// The loss of each sample: shape = the batch dims.
    pub fn per_sample<B: Builder>(self, b: &mut B, y: B::Id, p: B::Id) -> Result<B::Id> {
        self.per_sample_with(b, y, p, LossOpts::default())
    }

    /// [`Loss::per_sample`] with the options of a Keras loss class.
    pub fn per_sample_with<B: Builder>(self, b: &mut B, y: B::Id, p: B::Id, opts: LossOpts) -> Result<B::Id> {
        use Loss::*;
        self.check_shapes(&b.shape_of(y), &b.shape_of(p))?;
        let mut y = b.cast(y, DType::F32)?;
        let last = b.last_axis(p);
        let mean_last = |b: &mut B, t: B::Id| b.mean(t, &[last], false);
        if opts.label_smoothing > 0.0 {
            // Keras: y·(1 - s) + s/2 (binary) or s/classes (categorical).
            let classes = if self == BinaryCrossentropy { 2.0 } else { b.shape_of(p)[last] as f32 };
            let scaled = b.mul_scalar(y, 1.0 - opts.label_smoothing)?;
            y = b.add_scalar(scaled, opts.label_smoothing / classes)?;
        }
        if opts.from_logits {
            match self {
                BinaryCrossentropy => {
                    // max(z, 0) - z·y + log(1 + e^-|z|)
                    let r = b.unary(Unary::Relu, p)?;
                    let zy = b.mul(p, y)?;
                    let a = b.unary(Unary::Abs, p)?;
                    let na = b.neg(a)?;
                    let e = b.unary(Unary::Exp, na)?;
                    let l = b.unary(Unary::Log1p, e)?;
                    let d = b.sub(r, zy)?;
                    let s = b.add(d, l)?;
                    return mean_last(b, s);
                }
                CategoricalCrossentropy | SparseCategoricalCrossentropy => {
                    let y = if self == SparseCategoricalCrossentropy {
                        let ps = b.shape_of(p);
                        let ys = b.reshape(y, &ps[..last])?;
                        let oh = b.apply(Op::OneHot { depth: ps[last], on: 1.0, off: 0.0 }, &[ys])?;
                        b.cast(oh, DType::F32)?
                    } else {
                        y
                    };
                    let ls = b.apply(Op::LogSoftmax { axis: last }, &[p])?;
                    let t = b.mul(y, ls)?;
                    let s = b.sum(t, &[last], false)?;
                    return b.neg(s);
                }
                _ => {}
            }
        }
        match self {
            MeanSquaredError => {
                let d = b.binary(Binary::SquaredDifference, p, y)?;
                mean_last(b, d)
            }
            MeanAbsoluteError => {
                let d = b.sub(p, y)?;
                let a = b.unary(Unary::Abs, d)?;
                mean_last(b, a)
            }
            MeanAbsolutePercentageError => {
                let d = b.sub(y, p)?;
                let ay = b.unary(Unary::Abs, y)?;
                let ay = b.clip(ay, EPS, f32::MAX)?;
                let r = b.div(d, ay)?;
                let a = b.unary(Unary::Abs, r)?;
                let m = mean_last(b, a)?;
                b.mul_scalar(m, 100.0)
            }
            MeanSquaredLogarithmicError => {
                let lp = {
                    let c = b.clip(p, EPS, f32::MAX)?;
                    b.unary(Unary::Log1p, c)?
                };
                let ly = {
                    let c = b.clip(y, EPS, f32::MAX)?;
                    b.unary(Unary::Log1p, c)?
                };
                let d = b.binary(Binary::SquaredDifference, lp, ly)?;
                mean_last(b, d)
            }
            BinaryCrossentropy => {
                // -(y log p + (1 - y) log(1 - p)), p clipped away from 0 and 1.
                let pc = b.clip(p, EPS, 1.0 - EPS)?;
                let lp = b.unary(Unary::Log, pc)?;
                let one_minus_p = {
                    let n = b.neg(pc)?;
                    b.add_scalar(n, 1.0)?
                };
                let lq = b.unary(Unary::Log, one_minus_p)?;
                let one_minus_y = {
                    let n = b.neg(y)?;
                    b.add_scalar(n, 1.0)?
                };
                let t1 = b.mul(y, lp)?;
                let t2 = b.mul(one_minus_y, lq)?;
                let s = b.add(t1, t2)?;
                let m = mean_last(b, s)?;
                b.neg(m)
            }
            CategoricalCrossentropy => categorical(b, y, p, last),
            SparseCategoricalCrossentropy => {
                let ps = b.shape_of(p);
                let depth = ps[last];
                let ys = b.reshape(y, &ps[..last])?;
                let oh = b.apply(Op::OneHot { depth, on: 1.0, off: 0.0 }, &[ys])?;
                let oh = b.cast(oh, DType::F32)?;
                categorical(b, oh, p, last)
            }
            Hinge | SquaredHinge => {
                // max(0, 1 - y p) with labels in {-1, 1}, as TF.js Layers (Keras 3 would also
                // map {0, 1} labels to {-1, 1}; TF.js does not).
                let t = b.mul(y, p)?;
                let n = b.neg(t)?;
                let m = b.add_scalar(n, 1.0)?;
                let h = b.unary(Unary::Relu, m)?;
                let h = if self == SquaredHinge { b.unary(Unary::Square, h)? } else { h };
                mean_last(b, h)
            }
            Huber => {
                // 0.5 d^2 where |d| <= delta, else delta (|d| - delta / 2).
                let delta = opts.delta;
                let d = b.sub(p, y)?;
                let a = b.unary(Unary::Abs, d)?;
                let lim = b.scalar(delta)?;
                let small = b.binary(Binary::LessEqual, a, lim)?;
                let q = b.unary(Unary::Square, d)?;
                let q = b.mul_scalar(q, 0.5)?;
                let l = b.add_scalar(a, -0.5 * delta)?;
                let l = b.mul_scalar(l, delta)?;
                let h = b.where_(small, q, l)?;
                mean_last(b, h)
            }
            CategoricalHinge => {
                // max(0, max((1 - y) p) - Σ y p + 1)
                let yp = b.mul(y, p)?;
                let pos = b.sum(yp, &[last], false)?;
                let ny = b.neg(y)?;
                let one_minus = b.add_scalar(ny, 1.0)?;
                let q = b.mul(one_minus, p)?;
                let neg = b.reduce(crate::ops::ReduceKind::Max, q, &[last], false)?;
                let d = b.sub(neg, pos)?;
                let d = b.add_scalar(d, 1.0)?;
                b.unary(Unary::Relu, d)
            }
            KlDivergence => {
                // Σ y log(y / p), both clipped to [EPS, 1].
                let yc = b.clip(y, EPS, 1.0)?;
                let pc = b.clip(p, EPS, 1.0)?;
                let r = b.div(yc, pc)?;
                let l = b.unary(Unary::Log, r)?;
                let t = b.mul(yc, l)?;
                b.sum(t, &[last], false)
            }
            CosineProximity => {
                // -Σ ŷ p̂ with both scaled to unit L2 norm on the last axis.
                let unit = |b: &mut B, t: B::Id| -> Result<B::Id> {
                    let sq = b.unary(Unary::Square, t)?;
                    let s = b.sum(sq, &[last], true)?;
                    let s = b.clip(s, 1e-12, f32::MAX)?;
                    let r = b.unary(Unary::Rsqrt, s)?;
                    b.mul(t, r)
                };
                let (yn, pn) = (unit(b, y)?, unit(b, p)?);
                let t = b.mul(yn, pn)?;
                let s = b.sum(t, &[last], false)?;
                b.neg(s)
            }
            Poisson => {
                // p - y log(p + EPS)
                let pe = b.add_scalar(p, EPS)?;
                let l = b.unary(Unary::Log, pe)?;
                let yl = b.mul(y, l)?;
                let d = b.sub(p, yl)?;
                mean_last(b, d)
            }
            LogCosh => {
                // log cosh d = d + softplus(-2d) - log 2
                let d = b.sub(p, y)?;
                let m2 = b.mul_scalar(d, -2.0)?;
                let sp = b.unary(Unary::Softplus, m2)?;
                let s = b.add(d, sp)?;
                let l = b.add_scalar(s, -std::f32::consts::LN_2)?;
                mean_last(b, l)
            }
        }
    }

    /// The batch loss: the mean of the per-sample losses.
    pub fn mean<B: Builder>(self, b: &mut B, y: B::Id, p: B::Id) -> Result<B::Id> {
        let s = self.per_sample(b, y, p)?;
        b.mean_all(s)
    }
}

/// -Σ y log(p / Σp), with p clipped to [EPS, 1 - EPS].
fn categorical<B: Builder>(b: &mut B, y: B::Id, p: B::Id, last: usize) -> Result<B::Id> {
    // The prediction is a softmax: one fused kernel from the logits (same clip, same values).
    if let Some(z) = b.softmax_logits(p) {
        if b.shape_of(z) == b.shape_of(y) && b.dtype_of(y) == DType::F32 {
            return b.apply(Op::SoftmaxXent { eps: EPS }, &[z, y]);
        }
    }
    let s = b.sum(p, &[last], true)?;
    let pn = b.div(p, s)?;
    let pc = b.clip(pn, EPS, 1.0 - EPS)?;
    let lp = b.unary(Unary::Log, pc)?;
    let t = b.mul(y, lp)?;
    let s = b.sum(t, &[last], false)?;
    b.neg(s)
}

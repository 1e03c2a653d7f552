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

    /// The loss of each sample: shape = the batch dims.
    pub fn per_sample<B: Builder>(self, b: &mut B, y: B::Id, p: B::Id) -> Result<B::Id> {
        use Loss::*;
        self.check_shapes(&b.shape_of(y), &b.shape_of(p))?;
        let y = b.cast(y, DType::F32)?;
        let last = b.last_axis(p);
        let mean_last = |b: &mut B, t: B::Id| b.mean(t, &[last], false);
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
                // delta = 1: 0.5 d^2 where |d| <= 1, else |d| - 0.5.
                let d = b.sub(p, y)?;
                let a = b.unary(Unary::Abs, d)?;
                let one = b.scalar(1.0)?;
                let small = b.binary(Binary::LessEqual, a, one)?;
                let q = b.unary(Unary::Square, d)?;
                let q = b.mul_scalar(q, 0.5)?;
                let l = b.add_scalar(a, -0.5)?;
                let h = b.where_(small, q, l)?;
                mean_last(b, h)
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

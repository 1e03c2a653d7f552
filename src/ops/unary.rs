//! Unary elementwise ops (math and activations): the op list, the scalar function each one
//! computes, and each one's backward rule written with other ops.

use crate::error::Result;
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Binary;
use crate::tensor::DType;

const SELU_ALPHA: f32 = 1.673_263_2;
const SELU_SCALE: f32 = 1.050_701;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    Neg,
    Abs,
    Exp,
    Log,
    Log1p,
    Sqrt,
    Rsqrt,
    Square,
    Reciprocal,
    Sign,
    Floor,
    Ceil,
    Round,
    Sin,
    Cos,
    Relu,
    Relu6,
    Elu {
        alpha: f32,
    },
    Selu,
    LeakyRelu {
        alpha: f32,
    },
    Sigmoid,
    HardSigmoid,
    Tanh,
    Softplus,
    Softsign,
    /// 1 where x > 0, else 0 (the derivative of relu).
    Step,
    LogicalNot,
    IsNaN,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Asinh,
    Acosh,
    Atanh,
    Erf,
    Expm1,
    IsFinite,
    IsInf,
}

/// The unary ops without parameters, each found by its JS name ([`Unary::name`]).
pub const PLAIN: &[Unary] = {
    use Unary::*;
    &[
        Neg, Abs, Exp, Log, Log1p, Sqrt, Rsqrt, Square, Reciprocal, Sign, Floor, Ceil, Round, Sin, Cos, Relu, Relu6, Selu,
        Sigmoid, HardSigmoid, Tanh, Softplus, Softsign, Step, LogicalNot, IsNaN, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh,
        Acosh, Atanh, Erf, Expm1, IsFinite, IsInf,
    ]
};

/// The error function as TF.js computes it (Abramowitz and Stegun 7.1.26, error below 1.5e-7);
/// elementwise.wgsl's `erf_` is the same polynomial.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [0.254_829_6, -0.284_496_74, 1.421_413_7, -1.453_152_1, 1.061_405_4];
    let s = if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { 0.0 };
    let v = x.abs();
    let t = 1.0 / (1.0 + P * v);
    let poly = ((((A[4] * t + A[3]) * t + A[2]) * t + A[1]) * t + A[0]) * t;
    s * (1.0 - poly * (-v * v).exp())
}

impl Unary {
    pub fn name(self) -> &'static str {
        use Unary::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Exp => "exp",
            Log => "log",
            Log1p => "log1p",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Square => "square",
            Reciprocal => "reciprocal",
            Sign => "sign",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Sin => "sin",
            Cos => "cos",
            Relu => "relu",
            Relu6 => "relu6",
            Elu { .. } => "elu",
            Selu => "selu",
            LeakyRelu { .. } => "leakyRelu",
            Sigmoid => "sigmoid",
            HardSigmoid => "hardSigmoid",
            Tanh => "tanh",
            Softplus => "softplus",
            Softsign => "softsign",
            Step => "step",
            LogicalNot => "logicalNot",
            IsNaN => "isNaN",
            Tan => "tan",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Sinh => "sinh",
            Cosh => "cosh",
            Asinh => "asinh",
            Acosh => "acosh",
            Atanh => "atanh",
            Erf => "erf",
            Expm1 => "expm1",
            IsFinite => "isFinite",
            IsInf => "isInf",
        }
    }

    #[inline(always)]
    pub fn eval(self, x: f32) -> f32 {
        use Unary::*;
        match self {
            Neg => -x,
            Abs => x.abs(),
            Exp => x.exp(),
            Log => x.ln(),
            Log1p => x.ln_1p(),
            Sqrt => x.sqrt(),
            Rsqrt => 1.0 / x.sqrt(),
            Square => x * x,
            Reciprocal => 1.0 / x,
            Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Floor => x.floor(),
            Ceil => x.ceil(),
            // Banker's rounding, as TF.js does.
            Round => x.round_ties_even(),
            Sin => x.sin(),
            Cos => x.cos(),
            Relu => x.max(0.0),
            Relu6 => x.clamp(0.0, 6.0),
            Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * (x.exp() - 1.0)
                }
            }
            Selu => {
                if x > 0.0 {
                    SELU_SCALE * x
                } else {
                    SELU_SCALE * SELU_ALPHA * (x.exp() - 1.0)
                }
            }
            LeakyRelu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x
                }
            }
            Sigmoid => sigmoid(x),
            HardSigmoid => (0.2 * x + 0.5).clamp(0.0, 1.0),
            Tanh => x.tanh(),
            Softplus => {
                // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
                x.max(0.0) + (-x.abs()).exp().ln_1p()
            }
            Softsign => x / (1.0 + x.abs()),
            Step => (x > 0.0) as u8 as f32,
            LogicalNot => (x == 0.0) as u8 as f32,
            IsNaN => x.is_nan() as u8 as f32,
            Tan => x.tan(),
            Asin => x.asin(),
            Acos => x.acos(),
            Atan => x.atan(),
            Sinh => x.sinh(),
            Cosh => x.cosh(),
            Asinh => x.asinh(),
            Acosh => x.acosh(),
            Atanh => x.atanh(),
            Erf => erf(x),
            Expm1 => x.exp_m1(),
            IsFinite => x.is_finite() as u8 as f32,
            IsInf => x.is_infinite() as u8 as f32,
        }
    }

    pub(super) fn out_dtype(self, d: DType) -> DType {
        use Unary::*;
        match self {
            LogicalNot | IsNaN | IsFinite | IsInf => DType::Bool,
            Neg | Abs | Square | Sign | Relu | Floor | Ceil | Round if d == DType::I32 => DType::I32,
            _ => DType::F32,
        }
    }
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[inline(always)]
pub(super) fn unary_kernel(x: &[f32], out: &mut [f32], f: impl Fn(f32) -> f32) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(v);
    }
}

pub(super) fn unary_grad(g: &mut Graph, u: Unary, x: NodeId, y: NodeId, dy: NodeId) -> Result<Option<NodeId>> {
    use Unary::*;
    let d = match u {
        Neg => g.neg(dy)?,
        Abs => {
            let s = g.unary(Sign, x)?;
            g.mul(dy, s)?
        }
        Exp => g.mul(dy, y)?,
        Log => g.div(dy, x)?,
        Log1p => {
            let x1 = g.add_scalar(x, 1.0)?;
            g.div(dy, x1)?
        }
        // d sqrt(x) = 1 / (2 sqrt(x))
        Sqrt => {
            let two_y = g.mul_scalar(y, 2.0)?;
            g.div(dy, two_y)?
        }
        // d x^-1/2 = -1/2 x^-3/2 = -y^3/2
        Rsqrt => {
            let y2 = g.unary(Square, y)?;
            let y3 = g.mul(y2, y)?;
            let t = g.mul_scalar(y3, -0.5)?;
            g.mul(dy, t)?
        }
        Square => {
            let t = g.mul_scalar(x, 2.0)?;
            g.mul(dy, t)?
        }
        // d 1/x = -1/x^2 = -y^2
        Reciprocal => {
            let y2 = g.unary(Square, y)?;
            let t = g.neg(y2)?;
            g.mul(dy, t)?
        }
        Sin => {
            let c = g.unary(Cos, x)?;
            g.mul(dy, c)?
        }
        Cos => {
            let s = g.unary(Sin, x)?;
            let t = g.neg(s)?;
            g.mul(dy, t)?
        }
        Relu => {
            let s = g.unary(Step, x)?;
            g.mul(dy, s)?
        }
        Relu6 => {
            let zero = g.scalar(0.0)?;
            let six = g.scalar(6.0)?;
            let a = g.binary(Binary::Greater, x, zero)?;
            let b = g.binary(Binary::Less, x, six)?;
            let inside = g.binary(Binary::LogicalAnd, a, b)?;
            g.where_(inside, dy, zero)?
        }
        // x > 0: 1; else alpha e^x = y + alpha
        Elu { alpha } => {
            let zero = g.scalar(0.0)?;
            let pos = g.binary(Binary::Greater, x, zero)?;
            let ya = g.add_scalar(y, alpha)?;
            let neg = g.mul(dy, ya)?;
            g.where_(pos, dy, neg)?
        }
        // x > 0: scale; else scale alpha e^x = y + scale alpha
        Selu => {
            let zero = g.scalar(0.0)?;
            let pos = g.binary(Binary::Greater, x, zero)?;
            let p = g.mul_scalar(dy, SELU_SCALE)?;
            let ya = g.add_scalar(y, SELU_SCALE * SELU_ALPHA)?;
            let n = g.mul(dy, ya)?;
            g.where_(pos, p, n)?
        }
        LeakyRelu { alpha } => {
            let zero = g.scalar(0.0)?;
            let pos = g.binary(Binary::Greater, x, zero)?;
            let n = g.mul_scalar(dy, alpha)?;
            g.where_(pos, dy, n)?
        }
        // y (1 - y)
        Sigmoid => {
            let one_minus = {
                let n = g.neg(y)?;
                g.add_scalar(n, 1.0)?
            };
            let t = g.mul(y, one_minus)?;
            g.mul(dy, t)?
        }
        HardSigmoid => {
            let lo = g.scalar(-2.5)?;
            let hi = g.scalar(2.5)?;
            let a = g.binary(Binary::Greater, x, lo)?;
            let b = g.binary(Binary::Less, x, hi)?;
            let inside = g.binary(Binary::LogicalAnd, a, b)?;
            let d = g.mul_scalar(dy, 0.2)?;
            let zero = g.scalar(0.0)?;
            g.where_(inside, d, zero)?
        }
        // 1 - y^2
        Tanh => {
            let y2 = g.unary(Square, y)?;
            let n = g.neg(y2)?;
            let t = g.add_scalar(n, 1.0)?;
            g.mul(dy, t)?
        }
        Softplus => {
            let s = g.unary(Sigmoid, x)?;
            g.mul(dy, s)?
        }
        // 1 / (1 + |x|)^2
        Softsign => {
            let a = g.unary(Abs, x)?;
            let a1 = g.add_scalar(a, 1.0)?;
            let sq = g.unary(Square, a1)?;
            g.div(dy, sq)?
        }
        // 1 / cos(x)^2
        Tan => {
            let c = g.unary(Cos, x)?;
            let c2 = g.unary(Square, c)?;
            g.div(dy, c2)?
        }
        // ±1 / sqrt(1 - x^2)
        Asin | Acos => {
            let x2 = g.unary(Square, x)?;
            let n = g.neg(x2)?;
            let one_minus = g.add_scalar(n, 1.0)?;
            let r = g.unary(Rsqrt, one_minus)?;
            let d = g.mul(dy, r)?;
            if u == Acos {
                g.neg(d)?
            } else {
                d
            }
        }
        // 1 / (1 + x^2)
        Atan => {
            let x2 = g.unary(Square, x)?;
            let den = g.add_scalar(x2, 1.0)?;
            g.div(dy, den)?
        }
        Sinh => {
            let c = g.unary(Cosh, x)?;
            g.mul(dy, c)?
        }
        Cosh => {
            let s = g.unary(Sinh, x)?;
            g.mul(dy, s)?
        }
        // 1 / sqrt(x^2 + 1), 1 / sqrt(x^2 - 1)
        Asinh | Acosh => {
            let x2 = g.unary(Square, x)?;
            let a = g.add_scalar(x2, if u == Asinh { 1.0 } else { -1.0 })?;
            let r = g.unary(Rsqrt, a)?;
            g.mul(dy, r)?
        }
        // 1 / (1 - x^2)
        Atanh => {
            let x2 = g.unary(Square, x)?;
            let n = g.neg(x2)?;
            let den = g.add_scalar(n, 1.0)?;
            g.div(dy, den)?
        }
        // 2 / sqrt(pi) e^(-x^2)
        Erf => {
            let x2 = g.unary(Square, x)?;
            let n = g.neg(x2)?;
            let e = g.unary(Exp, n)?;
            let t = g.mul_scalar(e, std::f32::consts::FRAC_2_SQRT_PI)?;
            g.mul(dy, t)?
        }
        // e^x = y + 1
        Expm1 => {
            let e = g.add_scalar(y, 1.0)?;
            g.mul(dy, e)?
        }
        Sign | Floor | Ceil | Round | Step | LogicalNot | IsNaN | IsFinite | IsInf => return Ok(None),
    };
    Ok(Some(d))
}

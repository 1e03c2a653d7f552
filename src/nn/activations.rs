//! Activation functions by their Keras / TF.js names, built from ops.

use crate::error::{Error, Result};
use crate::graph::Builder;
use crate::ops::Unary;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Linear,
    Relu,
    Relu6,
    Elu,
    Selu,
    Sigmoid,
    HardSigmoid,
    Tanh,
    Softplus,
    Softsign,
    Softmax,
    Swish,
}

pub const NAMES: &[&str] =
    &["linear", "relu", "relu6", "elu", "selu", "sigmoid", "hardSigmoid", "tanh", "softplus", "softsign", "softmax", "swish"];

impl Activation {
    pub fn parse(owner: &str, name: &str) -> Result<Activation> {
        use Activation::*;
        Ok(match name {
            "linear" | "" => Linear,
            "relu" => Relu,
            "relu6" => Relu6,
            "elu" => Elu,
            "selu" => Selu,
            "sigmoid" => Sigmoid,
            "hardSigmoid" | "hard_sigmoid" => HardSigmoid,
            "tanh" => Tanh,
            "softplus" => Softplus,
            "softsign" => Softsign,
            "softmax" => Softmax,
            "swish" | "silu" => Swish,
            _ => {
                return Err(Error::arg(owner, format!("unknown activation '{name}'; expected one of {}", NAMES.join(", "))));
            }
        })
    }
    pub fn name(self) -> &'static str {
        use Activation::*;
        match self {
            Linear => "linear",
            Relu => "relu",
            Relu6 => "relu6",
            Elu => "elu",
            Selu => "selu",
            Sigmoid => "sigmoid",
            HardSigmoid => "hardSigmoid",
            Tanh => "tanh",
            Softplus => "softplus",
            Softsign => "softsign",
            Softmax => "softmax",
            Swish => "swish",
        }
    }
    pub fn apply<B: Builder>(self, b: &mut B, x: B::Id) -> Result<B::Id> {
        use Activation::*;
        match self {
            Linear => Ok(x),
            Relu => b.unary(Unary::Relu, x),
            Relu6 => b.unary(Unary::Relu6, x),
            Elu => b.unary(Unary::Elu { alpha: 1.0 }, x),
            Selu => b.unary(Unary::Selu, x),
            Sigmoid => b.unary(Unary::Sigmoid, x),
            HardSigmoid => b.unary(Unary::HardSigmoid, x),
            Tanh => b.unary(Unary::Tanh, x),
            Softplus => b.unary(Unary::Softplus, x),
            Softsign => b.unary(Unary::Softsign, x),
            Softmax => {
                let axis = b.last_axis(x);
                b.softmax(x, axis)
            }
            Swish => {
                let s = b.unary(Unary::Sigmoid, x)?;
                b.mul(x, s)
            }
        }
    }
}

//! Activation layers with options (TF.js's `advanced_activations.ts`, Keras 3's
//! `layers/activations/`): ELU, ReLU, PReLU (a trained slope) and ThresholdedReLU. All are built
//! from existing ops, so their CPU and WGSL kernels and their gradients come for free.

use super::constraints::Constraint;
use super::initializers::Init;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Binary, Unary};
use serde_json::{json, Value};

/// `x` where `x > t`, else 0 (Keras's thresholded form of relu).
fn above<B: Builder>(g: &mut B, x: B::Id, t: f32) -> Result<B::Id> {
    let (t, zero) = (g.scalar(t)?, g.scalar(0.0)?);
    let keep = g.binary(Binary::Greater, x, t)?;
    g.where_(keep, x, zero)
}

/// ELU: x for x > 0, else alpha (e^x - 1). (TF.js 4.22 refuses alpha other than 1; Keras 3 and
/// Hebb take any.)
pub struct Elu {
    name: String,
    alpha: f32,
}

impl Elu {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        Ok(Elu { name, alpha: o.f32_or("alpha", 1.0)? })
    }
}

impl Layer for Elu {
    fn class_name(&self) -> &'static str {
        "ELU"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        g.unary(Unary::Elu { alpha: self.alpha }, x)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "alpha": self.alpha})
    }
}

/// Keras 3's ReLU: `x` above `threshold` (else 0), clipped to `maxValue` when given, minus
/// `negativeSlope · relu(threshold - x)`. TF.js's ReLU has `maxValue` only (the others default to 0).
pub struct Relu {
    name: String,
    max_value: Option<f32>,
    negative_slope: f32,
    threshold: f32,
}

impl Relu {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let max_value = o.get("maxValue").map(|_| o.f32_or("maxValue", 0.0)).transpose()?;
        let negative_slope = o.f32_or("negativeSlope", 0.0)?;
        let threshold = o.f32_or("threshold", 0.0)?;
        for (key, v) in [("maxValue", max_value.unwrap_or(0.0)), ("negativeSlope", negative_slope), ("threshold", threshold)] {
            if v < 0.0 {
                return Err(Error::arg(&o.owner, format!("expected {key} to be >= 0, received {key}={v}")));
            }
        }
        Ok(Relu { name, max_value, negative_slope, threshold })
    }
}

impl Layer for Relu {
    fn class_name(&self) -> &'static str {
        "ReLU"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let (slope, t) = (self.negative_slope, self.threshold);
        if slope != 0.0 && self.max_value.is_none() && t == 0.0 {
            return g.unary(Unary::LeakyRelu { alpha: slope }, x);
        }
        // The same branches as Keras's `ReLU.static_call`, so the gradients at the kinks agree.
        let mut y = match self.max_value {
            _ if t != 0.0 => above(g, x, t)?,
            Some(6.0) => g.unary(Unary::Relu6, x)?,
            _ => g.unary(Unary::Relu, x)?,
        };
        if let Some(m) = self.max_value.filter(|&m| t != 0.0 || m != 6.0) {
            y = g.clip(y, 0.0, m)?;
        }
        if slope != 0.0 {
            let nx = g.neg(x)?;
            let shifted = g.add_scalar(nx, t)?;
            let below = g.unary(Unary::Relu, shifted)?;
            let scaled = g.mul_scalar(below, slope)?;
            y = g.sub(y, scaled)?;
        }
        Ok(y)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "maxValue": self.max_value,
            "negativeSlope": self.negative_slope, "threshold": self.threshold,
        })
    }
}

/// ThresholdedReLU (TF.js; Keras 2): x where x > theta, else 0. Keras 3 writes it as
/// `ReLU(threshold=theta)`, and refuses a negative theta as Keras 2 did.
pub struct ThresholdedRelu {
    name: String,
    theta: f32,
}

impl ThresholdedRelu {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let theta = o.f32_or("theta", 1.0)?;
        if theta < 0.0 {
            return Err(Error::arg(&o.owner, format!("expected theta to be >= 0, received theta={theta}")));
        }
        Ok(ThresholdedRelu { name, theta })
    }
}

impl Layer for ThresholdedRelu {
    fn class_name(&self) -> &'static str {
        "ThresholdedReLU"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        above(g, x, self.theta)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "theta": self.theta})
    }
}

/// PReLU: relu(x) - alpha · relu(-x), with a trained `alpha` of the input's feature shape, of
/// size 1 along `sharedAxes` (1-based, batch excluded) so those positions share one slope.
pub struct Prelu {
    name: String,
    init: (Init, Option<u64>),
    init_cfg: Value,
    reg: Option<Regularizer>,
    con: Option<Constraint>,
    shared_axes: Option<Vec<usize>>,
}

impl Prelu {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let shared_axes = match o.get("sharedAxes") {
            None => None,
            Some(v) => {
                let axis = |d: &Value| d.as_f64().filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < 1e9).map(|f| f as usize);
                let axes = match v {
                    Value::Array(a) => a.iter().map(axis).collect::<Option<Vec<_>>>(),
                    d => axis(d).map(|a| vec![a]),
                };
                let bad = || {
                    Error::arg(
                        &o.owner,
                        format!("sharedAxes must be an axis >= 1 (batch excluded) or an array of them, received sharedAxes={v}"),
                    )
                };
                Some(axes.ok_or_else(bad)?)
            }
        };
        Ok(Prelu {
            name,
            init: o.init_or("alphaInitializer", "zeros")?,
            init_cfg: o.get("alphaInitializer").cloned().unwrap_or(json!("zeros")),
            reg: o.regularizer("alphaRegularizer")?,
            con: o.constraint("alphaConstraint")?,
            shared_axes,
        })
    }
}

impl Layer for Prelu {
    fn class_name(&self) -> &'static str {
        "PReLU"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = format!("PReLU '{}'", self.name);
        if input.is_empty() {
            return Err(Error::shape(owner, "expected input of rank >= 2, received shape [null]"));
        }
        let mut shape = input.to_vec();
        for &a in self.shared_axes.iter().flatten() {
            if a > input.len() {
                return Err(Error::shape(
                    owner,
                    format!(
                        "sharedAxes {:?} must be axes of the input shape {} (1 to {}, batch excluded)",
                        self.shared_axes.as_deref().unwrap_or_default(),
                        batch_shape(input),
                        input.len()
                    ),
                ));
            }
            shape[a - 1] = 1;
        }
        let w = WeightSpec::new(&self.name, "alpha", shape, &self.init, self.reg).constrained(&owner, "alphaConstraint", self.con)?;
        Ok((vec![w], input.to_vec()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], _training: bool) -> Result<NodeId> {
        // Keras 3's form (not a where on x > 0), so the gradients at 0 agree too.
        let pos = g.unary(Unary::Relu, x)?;
        let nx = g.neg(x)?;
        let neg = g.unary(Unary::Relu, nx)?;
        let scaled = g.mul(w[0], neg)?;
        g.sub(pos, scaled)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "alphaInitializer": self.init_cfg,
            "alphaRegularizer": self.reg.map(|r| r.config()), "alphaConstraint": self.con.map(|c| c.config()),
            "sharedAxes": self.shared_axes,
        })
    }
}

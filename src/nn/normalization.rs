//! LayerNormalization over the last axis: (x - mean) / sqrt(var + epsilon) * gamma + beta, with
//! the biased variance, as Keras and TF.js compute it.

use super::initializers::Init;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Unary;
use serde_json::{json, Value};

pub struct LayerNormalization {
    name: String,
    epsilon: f32,
    center: bool,
    scale: bool,
    gamma_init: (Init, Option<u64>),
    beta_init: (Init, Option<u64>),
    gamma_cfg: Value,
    beta_cfg: Value,
    gamma_reg: Option<Regularizer>,
    beta_reg: Option<Regularizer>,
}

impl LayerNormalization {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        if let Some(a) = o.get("axis") {
            if a.as_i64() != Some(-1) {
                return Err(Error::arg(&o.owner, format!("only axis -1 (the last) is supported yet, received axis={a}")));
            }
        }
        o.unsupported(&["gammaConstraint", "betaConstraint"])?;
        let epsilon = o.f32_or("epsilon", 1e-3)?;
        if epsilon <= 0.0 {
            return Err(Error::arg(&o.owner, format!("epsilon must be positive, received {epsilon}")));
        }
        Ok(LayerNormalization {
            name,
            epsilon,
            center: o.bool_or("center", true)?,
            scale: o.bool_or("scale", true)?,
            gamma_init: o.init_or("gammaInitializer", "ones")?,
            beta_init: o.init_or("betaInitializer", "zeros")?,
            gamma_cfg: o.get("gammaInitializer").cloned().unwrap_or(json!("ones")),
            beta_cfg: o.get("betaInitializer").cloned().unwrap_or(json!("zeros")),
            gamma_reg: o.regularizer("gammaRegularizer")?,
            beta_reg: o.regularizer("betaRegularizer")?,
        })
    }
}

impl Layer for LayerNormalization {
    fn class_name(&self) -> &'static str {
        "LayerNormalization"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let Some(&last) = input.last().filter(|&&d| d > 0) else {
            return Err(Error::shape(
                format!("LayerNormalization '{}'", self.name),
                format!("needs a non-empty last axis, received shape {}", batch_shape(input)),
            ));
        };
        let spec = |what: &str, init: &(Init, Option<u64>), reg| WeightSpec {
            name: format!("{}/{what}", self.name),
            shape: vec![last],
            init: init.0.clone(),
            seed: init.1,
            trainable: true,
            regularizer: reg,
        };
        let mut w = vec![];
        if self.scale {
            w.push(spec("gamma", &self.gamma_init, self.gamma_reg));
        }
        if self.center {
            w.push(spec("beta", &self.beta_init, self.beta_reg));
        }
        Ok((w, input.to_vec()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], _training: bool) -> Result<NodeId> {
        let last = g.last_axis(x);
        let mean = g.mean(x, &[last], true)?;
        let d = g.sub(x, mean)?;
        let sq = g.unary(Unary::Square, d)?;
        let var = g.mean(sq, &[last], true)?;
        let ve = g.add_scalar(var, self.epsilon)?;
        let r = g.unary(Unary::Rsqrt, ve)?;
        let mut y = g.mul(d, r)?;
        let mut k = 0;
        if self.scale {
            y = g.mul(y, w[k])?;
            k += 1;
        }
        if self.center {
            y = g.add(y, w[k])?;
        }
        Ok(y)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "axis": -1, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale, "gammaInitializer": self.gamma_cfg, "betaInitializer": self.beta_cfg,
            "gammaRegularizer": self.gamma_reg.map(|r| r.config()), "betaRegularizer": self.beta_reg.map(|r| r.config()),
        })
    }
}

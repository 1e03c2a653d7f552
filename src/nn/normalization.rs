//! LayerNormalization and BatchNormalization. LayerNormalization over the last axis: (x - mean) / sqrt(var + epsilon) * gamma + beta, with
//! the biased variance, as Keras and TF.js compute it.

use super::initializers::Init;
use super::constraints::Constraint;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Unary;
use serde_json::{json, Value};

pub struct LayerNormalization {
    /// As given: -1 or the last axis's number (batch counted).
    axis: i64,
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
    gamma_con: Option<Constraint>,
    beta_con: Option<Constraint>,
}

impl LayerNormalization {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        // -1, or the last axis by number (TF.js's model.json writes [rank - 1] after build):
        // checked against the input's rank in build.
        let axis = match o.get("axis") {
            None => -1,
            Some(a) => {
                let one = match a {
                    Value::Array(v) if v.len() == 1 => v[0].as_i64(),
                    v => v.as_i64(),
                };
                match one {
                    Some(k) if k == -1 || k >= 1 => k,
                    _ => return Err(Error::arg(&o.owner, format!("only the last axis (-1) is supported yet, received axis={a}"))),
                }
            }
        };
        let epsilon = o.f32_or("epsilon", 1e-3)?;
        if epsilon <= 0.0 {
            return Err(Error::arg(&o.owner, format!("epsilon must be positive, received {epsilon}")));
        }
        Ok(LayerNormalization {
            name,
            axis,
            epsilon,
            center: o.bool_or("center", true)?,
            scale: o.bool_or("scale", true)?,
            gamma_init: o.init_or("gammaInitializer", "ones")?,
            beta_init: o.init_or("betaInitializer", "zeros")?,
            gamma_cfg: o.get("gammaInitializer").cloned().unwrap_or(json!("ones")),
            beta_cfg: o.get("betaInitializer").cloned().unwrap_or(json!("zeros")),
            gamma_reg: o.regularizer("gammaRegularizer")?,
            beta_reg: o.regularizer("betaRegularizer")?,
            gamma_con: o.constraint("gammaConstraint")?,
            beta_con: o.constraint("betaConstraint")?,
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
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let Some(&last) = input.last().filter(|&&d| d > 0) else {
            return Err(Error::shape(
                format!("LayerNormalization '{}'", self.name),
                format!("needs a non-empty last axis, received shape {}", batch_shape(input)),
            ));
        };
        if self.axis != -1 && self.axis != input.len() as i64 {
            return Err(Error::arg(
                format!("LayerNormalization '{}'", self.name),
                format!("only the last axis is supported yet: axis {} of input shape {} is not the last ({})", self.axis, batch_shape(input), input.len()),
            ));
        }
        let owner = format!("LayerNormalization '{}'", self.name);
        let mut w = vec![];
        if self.scale {
            w.push(WeightSpec::new(&self.name, "gamma", vec![last], &self.gamma_init, self.gamma_reg).constrained(&owner, "gammaConstraint", self.gamma_con)?);
        }
        if self.center {
            w.push(WeightSpec::new(&self.name, "beta", vec![last], &self.beta_init, self.beta_reg).constrained(&owner, "betaConstraint", self.beta_con)?);
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
            "gammaConstraint": self.gamma_con.map(|c| c.config()), "betaConstraint": self.beta_con.map(|c| c.config()),
        })
    }
}

/// BatchNormalization over the last axis. Training normalizes with the batch's mean and biased
/// variance and moves the moving statistics toward them (`moving = moving·momentum +
/// batch·(1 - momentum)`); inference (and a frozen layer) uses the moving statistics. Weights:
/// gamma, beta (trained), moving_mean, moving_variance (state), as in Keras and TF.js.
pub struct BatchNormalization {
    /// The features' axis as given (negative counts from the end) and, once built, its index
    /// in the input's shape with the batch.
    axis: i64,
    at: usize,
    name: String,
    momentum: f32,
    epsilon: f32,
    center: bool,
    scale: bool,
    inits: [(Init, Option<u64>); 4],
    cfgs: [Value; 4],
    gamma_reg: Option<Regularizer>,
    beta_reg: Option<Regularizer>,
    gamma_con: Option<Constraint>,
    beta_con: Option<Constraint>,
}

const BN_INITS: [(&str, &str); 4] =
    [("gammaInitializer", "ones"), ("betaInitializer", "zeros"), ("movingMeanInitializer", "zeros"), ("movingVarianceInitializer", "ones")];

impl BatchNormalization {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let axis = match o.get("axis") {
            None => -1,
            Some(a) => match a.as_i64() {
                Some(k) if k != 0 => k,
                _ => return Err(Error::arg(&o.owner, format!("axis must be a non-zero integer (the features' axis; 0 is the batch), received axis={a}"))),
            },
        };
        let epsilon = o.f32_or("epsilon", 1e-3)?;
        if epsilon <= 0.0 {
            return Err(Error::arg(&o.owner, format!("epsilon must be positive, received {epsilon}")));
        }
        let momentum = o.f32_or("momentum", 0.99)?;
        if !(0.0..=1.0).contains(&momentum) {
            return Err(Error::arg(&o.owner, format!("momentum must be in [0, 1], received {momentum}")));
        }
        let mut inits = vec![];
        let mut cfgs = vec![];
        for (key, default) in BN_INITS {
            inits.push(o.init_or(key, default)?);
            cfgs.push(o.get(key).cloned().unwrap_or(json!(default)));
        }
        Ok(BatchNormalization {
            name,
            axis,
            at: 0,
            momentum,
            epsilon,
            center: o.bool_or("center", true)?,
            scale: o.bool_or("scale", true)?,
            inits: inits.try_into().map_err(|_| Error::internal("BatchNormalization", "four initializers"))?,
            cfgs: cfgs.try_into().map_err(|_| Error::internal("BatchNormalization", "four initializer configs"))?,
            gamma_reg: o.regularizer("gammaRegularizer")?,
            beta_reg: o.regularizer("betaRegularizer")?,
            gamma_con: o.constraint("gammaConstraint")?,
            beta_con: o.constraint("betaConstraint")?,
        })
    }
}

impl Layer for BatchNormalization {
    fn class_name(&self) -> &'static str {
        "BatchNormalization"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let rank = input.len() as i64 + 1;
        let at = if self.axis < 0 { rank + self.axis } else { self.axis };
        if at < 1 || at >= rank {
            return Err(Error::shape(
                format!("BatchNormalization '{}'", self.name),
                format!("axis {} is out of range for input shape {}", self.axis, batch_shape(input)),
            ));
        }
        self.at = at as usize;
        let Some(&c) = input.get(self.at - 1).filter(|&&d| d > 0) else {
            return Err(Error::shape(
                format!("BatchNormalization '{}'", self.name),
                format!("needs a non-empty features axis, received shape {}", batch_shape(input)),
            ));
        };
        let mut w = vec![];
        let owner = format!("BatchNormalization '{}'", self.name);
        if self.scale {
            w.push(WeightSpec::new(&self.name, "gamma", vec![c], &self.inits[0], self.gamma_reg).constrained(&owner, "gammaConstraint", self.gamma_con)?);
        }
        if self.center {
            w.push(WeightSpec::new(&self.name, "beta", vec![c], &self.inits[1], self.beta_reg).constrained(&owner, "betaConstraint", self.beta_con)?);
        }
        for (k, what) in [(2, "moving_mean"), (3, "moving_variance")] {
            let mut s = WeightSpec::new(&self.name, what, vec![c], &self.inits[k], None);
            s.init.check(&owner, &s.name, &s.shape)?;
            s.trainable = false;
            w.push(s);
        }
        Ok((w, input.to_vec()))
    }
    fn frozen_runs_inference(&self) -> bool {
        true
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], training: bool) -> Result<NodeId> {
        let xs = g.shape_of(x);
        let rank = xs.len();
        let k = self.scale as usize + self.center as usize;
        // Per-feature vectors [c] broadcast along the features' axis: as they are when it is the
        // last axis, reshaped to [1, .., c, .., 1] otherwise.
        let last = self.at == rank - 1;
        let mut bshape = vec![1; rank];
        bshape[self.at] = xs[self.at];
        let along = |g: &mut Graph, v: NodeId| -> Result<NodeId> { if last { Ok(v) } else { g.reshape(v, &bshape) } };
        let (mm, mv) = (w[k], w[k + 1]);
        let (mean, var) = if training {
            let axes: Vec<usize> = (0..rank).filter(|&a| a != self.at).collect();
            let mean = g.mean(x, &axes, !last)?;
            let d = g.sub(x, mean)?;
            let sq = g.unary(Unary::Square, d)?;
            let var = g.mean(sq, &axes, !last)?;
            let c = xs[self.at];
            let keep = |g: &mut Graph, moving: NodeId, batch: NodeId| -> Result<NodeId> {
                let batch = if last { batch } else { g.reshape(batch, &[c])? };
                let a = g.mul_scalar(moving, self.momentum)?;
                let b = g.mul_scalar(batch, 1.0 - self.momentum)?;
                g.add(a, b)
            };
            let new_mean = keep(g, mm, mean)?;
            let new_var = keep(g, mv, var)?;
            g.assign(mm, new_mean)?;
            g.assign(mv, new_var)?;
            (mean, var)
        } else {
            (along(g, mm)?, along(g, mv)?)
        };
        let ve = g.add_scalar(var, self.epsilon)?;
        let r = g.unary(Unary::Rsqrt, ve)?;
        let scale = if self.scale {
            let gamma = along(g, w[0])?;
            g.mul(r, gamma)?
        } else {
            r
        };
        let d = g.sub(x, mean)?;
        let mut y = g.mul(d, scale)?;
        if self.center {
            let beta = along(g, w[self.scale as usize])?;
            y = g.add(y, beta)?;
        }
        Ok(y)
    }
    fn config(&self) -> Value {
        let mut c = json!({
            "name": self.name, "trainable": true, "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "gammaRegularizer": self.gamma_reg.map(|r| r.config()), "betaRegularizer": self.beta_reg.map(|r| r.config()),
            "gammaConstraint": self.gamma_con.map(|c| c.config()), "betaConstraint": self.beta_con.map(|c| c.config()),
        });
        for ((key, _), cfg) in BN_INITS.iter().zip(&self.cfgs) {
            c[*key] = cfg.clone();
        }
        c
    }
}

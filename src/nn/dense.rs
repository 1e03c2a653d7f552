//! `Dense`: y = activation(x · kernel + bias), on the last axis of inputs of any rank >= 1.

use super::activations::Activation;
use super::initializers::Init;
use super::constraints::Constraint;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use serde_json::{json, Value};

pub struct Dense {
    name: String,
    units: usize,
    activation: Activation,
    use_bias: bool,
    kernel_init: (Init, Option<u64>),
    bias_init: (Init, Option<u64>),
    kernel_init_cfg: Value,
    bias_init_cfg: Value,
    kernel_reg: Option<Regularizer>,
    bias_reg: Option<Regularizer>,
    kernel_con: Option<Constraint>,
    bias_con: Option<Constraint>,
    input_dim: usize,
}

impl Dense {
    pub fn new(name: String, o: &Opts) -> Result<Dense> {
        let units = o.positive_int("units")?;
        let activation = Activation::parse(&o.owner, o.str_or("activation", "linear")?)?;
        o.unsupported(&["activityRegularizer"])?;
        Ok(Dense {
            name,
            units,
            activation,
            use_bias: o.bool_or("useBias", true)?,
            kernel_init: o.init_or("kernelInitializer", "glorotNormal")?,
            bias_init: o.init_or("biasInitializer", "zeros")?,
            kernel_init_cfg: o.get("kernelInitializer").cloned().unwrap_or(json!("glorotNormal")),
            bias_init_cfg: o.get("biasInitializer").cloned().unwrap_or(json!("zeros")),
            kernel_reg: o.regularizer("kernelRegularizer")?,
            bias_reg: o.regularizer("biasRegularizer")?,
            kernel_con: o.constraint("kernelConstraint")?,
            bias_con: o.constraint("biasConstraint")?,
            input_dim: 0,
        })
    }
}

impl Layer for Dense {
    fn class_name(&self) -> &'static str {
        "Dense"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let Some(&last) = input.last() else {
            return Err(Error::shape(
                format!("Dense '{}'", self.name),
                format!("expected input of rank >= 2, received shape {}", batch_shape(input)),
            ));
        };
        if last == 0 {
            return Err(Error::shape(
                format!("Dense '{}'", self.name),
                format!("input last dimension must be positive, received shape {}", batch_shape(input)),
            ));
        }
        self.input_dim = last;
        let owner = format!("Dense '{}'", self.name);
        let mut w = vec![WeightSpec::new(&self.name, "kernel", vec![last, self.units], &self.kernel_init, self.kernel_reg).constrained(
            &owner,
            "kernelConstraint",
            self.kernel_con,
        )?];
        if self.use_bias {
            w.push(WeightSpec::new(&self.name, "bias", vec![self.units], &self.bias_init, self.bias_reg).constrained(&owner, "biasConstraint", self.bias_con)?);
        }
        let mut out = input.to_vec();
        match out.last_mut() {
            Some(last) => *last = self.units,
            None => return Err(Error::shape(owner, "expects inputs with a feature axis, received a scalar per sample")),
        }
        Ok((w, out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], _training: bool) -> Result<NodeId> {
        let xs = g.shape_of(x);
        if xs.last() != Some(&self.input_dim) {
            return Err(Error::shape(
                format!("Dense '{}'", self.name),
                format!("expected input with last dimension {}, received shape {}", self.input_dim, crate::error::fmt_shape(&xs)),
            ));
        }
        let mut y = g.matmul(x, w[0], false, false)?;
        if self.use_bias {
            y = g.add(y, w[1])?;
        }
        self.activation.apply(g, y)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "units": self.units, "activation": self.activation.name(),
            "useBias": self.use_bias, "kernelInitializer": self.kernel_init_cfg, "biasInitializer": self.bias_init_cfg,
            "kernelRegularizer": self.kernel_reg.map(|r| r.config()), "biasRegularizer": self.bias_reg.map(|r| r.config()),
            "kernelConstraint": self.kernel_con.map(|c| c.config()), "biasConstraint": self.bias_con.map(|c| c.config()),
        })
    }
}

//! Weightless core layers: Activation, Dropout, Flatten, LeakyReLU, Softmax.

use super::activations::Activation;
use super::{Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Op, Unary};
use serde_json::{json, Value};

pub struct ActivationLayer {
    name: String,
    activation: Activation,
}

impl ActivationLayer {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let a = o.str_or("activation", "")?;
        if a.is_empty() {
            return Err(Error::arg(&o.owner, "the option activation is required"));
        }
        Ok(ActivationLayer { name, activation: Activation::parse(&o.owner, a)? })
    }
}

impl Layer for ActivationLayer {
    fn class_name(&self) -> &'static str {
        "Activation"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        self.activation.apply(g, x)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "activation": self.activation.name()})
    }
}

pub struct Dropout {
    name: String,
    rate: f32,
}

impl Dropout {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        o.unsupported(&["noiseShape"])?;
        let rate = o.f32_or("rate", f32::NAN)?;
        if !(0.0..1.0).contains(&rate) {
            return Err(Error::arg(&o.owner, format!("expected rate to be a number in [0, 1), received rate={rate}")));
        }
        Ok(Dropout { name, rate })
    }
}

impl Layer for Dropout {
    fn class_name(&self) -> &'static str {
        "Dropout"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], training: bool) -> Result<NodeId> {
        if !training || self.rate == 0.0 {
            return Ok(x);
        }
        let mask = g.apply(Op::DropoutMask { rate: self.rate }, &[x])?;
        g.mul(x, mask)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "rate": self.rate})
    }
}

pub struct Flatten {
    name: String,
}

impl Flatten {
    pub fn new(name: String) -> Self {
        Flatten { name }
    }
}

impl Layer for Flatten {
    fn class_name(&self) -> &'static str {
        "Flatten"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if input.is_empty() {
            return Err(Error::shape(format!("Flatten '{}'", self.name), "expected input of rank >= 2, received shape [null]"));
        }
        Ok((vec![], vec![input.iter().product()]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        let rest: usize = s[1..].iter().product();
        g.reshape(x, &[s[0], rest])
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "dataFormat": "channelsLast"})
    }
}

pub struct LeakyRelu {
    name: String,
    alpha: f32,
}

impl LeakyRelu {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        Ok(LeakyRelu { name, alpha: o.f32_or("alpha", 0.3)? })
    }
}

impl Layer for LeakyRelu {
    fn class_name(&self) -> &'static str {
        "LeakyReLU"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        g.unary(Unary::LeakyRelu { alpha: self.alpha }, x)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "alpha": self.alpha})
    }
}

pub struct SoftmaxLayer {
    name: String,
    axis: i64,
}

impl SoftmaxLayer {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        Ok(SoftmaxLayer { name, axis: o.f32_or("axis", -1.0)? as i64 })
    }
}

impl Layer for SoftmaxLayer {
    fn class_name(&self) -> &'static str {
        "Softmax"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        crate::tensor::shape::norm_axis(&format!("Softmax '{}'", self.name), self.axis, input.len() + 1)?;
        Ok((vec![], input.to_vec()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let rank = g.shape_of(x).len();
        let axis = crate::tensor::shape::norm_axis("softmax", self.axis, rank)?;
        g.softmax(x, axis)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "axis": self.axis})
    }
}

/// `InputLayer`: declares the input shape of a Sequential model; passes its input through.
pub struct InputLayer {
    name: String,
}

impl InputLayer {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        if o.get("inputShape").is_none() && o.get("batchInputShape").is_none() {
            return Err(Error::arg(&o.owner, "an InputLayer needs inputShape or batchInputShape"));
        }
        Ok(InputLayer { name })
    }
}

impl Layer for InputLayer {
    fn class_name(&self) -> &'static str {
        "InputLayer"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, _g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        Ok(x)
    }
    fn config(&self) -> Value {
        json!({"name": self.name})
    }
}

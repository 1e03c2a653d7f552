//! Multiplicative noise layers (TF.js's `noise.ts`; GaussianNoise lives in core.rs): GaussianDropout
//! and AlphaDropout. Both are the identity in inference and draw fresh noise in each training step
//! from the random ops Dropout and GaussianNoise use, so the GPU draws it with the same kernels.

use super::core::{check_noise_shape, noise_like, parse_noise_shape};
use super::{Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Op;
use serde_json::{json, Value};

/// SELU's constants, in f64 as Keras writes them.
const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

fn rate(o: &Opts) -> Result<f32> {
    let rate = o.f32_or("rate", f32::NAN)?;
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::arg(&o.owner, format!("expected rate to be a number in [0, 1), received rate={rate}")));
    }
    Ok(rate)
}

/// GaussianDropout: in training, x · n with n ~ N(1, rate / (1 - rate)) drawn per element.
pub struct GaussianDropout {
    name: String,
    rate: f32,
}

impl GaussianDropout {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        Ok(GaussianDropout { name, rate: rate(o)? })
    }
}

impl Layer for GaussianDropout {
    fn class_name(&self) -> &'static str {
        "GaussianDropout"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], training: bool) -> Result<NodeId> {
        if !training || self.rate == 0.0 {
            return Ok(x);
        }
        let stddev = (self.rate as f64 / (1.0 - self.rate as f64)).sqrt() as f32;
        let noise = g.apply(Op::RandomNormal { stddev }, &[x])?;
        let factor = g.add_scalar(noise, 1.0)?;
        g.mul(x, factor)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "rate": self.rate})
    }
}

/// AlphaDropout (Keras 3's): in training, dropped elements are set to SELU's negative saturation
/// α' = -scale·alpha, then a·x + b restores the mean and variance of a standardized input:
/// a = ((1 - rate)(1 + rate·α'²))^-1/2, b = -a·α'·rate. (TF.js 4.22 adds α'·(kept - 1), the sign
/// flipped, which breaks that property; Hebb follows Keras.)
pub struct AlphaDropout {
    name: String,
    rate: f32,
    noise_shape: Option<Vec<Option<usize>>>,
}

impl AlphaDropout {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        Ok(AlphaDropout { name, rate: rate(o)?, noise_shape: parse_noise_shape(o)? })
    }
}

impl Layer for AlphaDropout {
    fn class_name(&self) -> &'static str {
        "AlphaDropout"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        check_noise_shape(&format!("AlphaDropout '{}'", self.name), self.noise_shape.as_deref(), input)?;
        Ok((vec![], input.to_vec()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], training: bool) -> Result<NodeId> {
        if !training || self.rate == 0.0 {
            return Ok(x);
        }
        let r = self.rate as f64;
        let alpha_p = -SELU_ALPHA * SELU_SCALE;
        let a = ((1.0 - r) * (1.0 + r * alpha_p * alpha_p)).powf(-0.5);
        let b = -a * alpha_p * r;
        // With kept ∈ {0, 1}: a·(x·kept + α'·(1 - kept)) + b = kept·a·(x - α') + (a·α' + b).
        // DropoutMask gives kept / (1 - rate), so its scale folds into a.
        let like = noise_like(g, x, self.noise_shape.as_deref())?;
        let mask = g.apply(Op::DropoutMask { rate: self.rate }, &[like])?;
        let shifted = g.add_scalar(x, -alpha_p as f32)?;
        let kept = g.mul(shifted, mask)?;
        let scaled = g.mul_scalar(kept, (a * (1.0 - r)) as f32)?;
        g.add_scalar(scaled, (a * alpha_p + b) as f32)
    }
    fn config(&self) -> Value {
        let mut c = json!({"name": self.name, "trainable": true, "rate": self.rate});
        if let Some(ns) = &self.noise_shape {
            c["noiseShape"] = json!(ns);
        }
        c
    }
}

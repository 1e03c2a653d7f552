//! RandomWidth (TF.js's preprocessing layer, from Keras 2; Keras 3 has none): in training each
//! batch's images [batch, height, width, channels] are resized to a width drawn from
//! `round(width · U(1 + lower, 1 + upper))`; in inference the layer passes its input through, as
//! Keras 2 does (TF.js 4.22 resizes in inference too and reports a broken output shape). The
//! width a training step uses changes the shapes after the layer, so the model builds its layers
//! for each width drawn (a variant, see `model::shapes`), the draw coming from the step's seed so
//! the CPU and WebGPU train on the same widths.

// What callers send (configs, shapes, option lists) is read with checked access here.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use super::pooling::{check_rank, resize_2d};
use super::{Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::rng::Rng;
use serde_json::{json, Value};

pub struct RandomWidth {
    name: String,
    /// The factor as given (a number, or [lower, upper]).
    factor: Value,
    lower: f64,
    upper: f64,
    bilinear: bool,
    seed: Option<u64>,
    /// The width a training variant resizes to (set by the model through `__trainWidth`).
    train_width: Option<usize>,
}

impl RandomWidth {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let factor = o.get("factor").cloned().ok_or_else(|| Error::arg(&o.owner, "the option factor is required"))?;
        let bad = || Error::arg(&o.owner, format!("factor must be a positive number or [lower, upper] with both above -1 and lower <= upper, received {factor}"));
        let (lower, upper) = match &factor {
            Value::Number(n) => {
                let f = n.as_f64().filter(|f| *f > 0.0 && f.is_finite()).ok_or_else(bad)?;
                (-f, f)
            }
            Value::Array(a) => match a.as_slice() {
                [lo, hi] => (lo.as_f64().ok_or_else(bad)?, hi.as_f64().ok_or_else(bad)?),
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        if !(lower >= -1.0 && upper >= -1.0 && upper >= lower && upper.is_finite()) {
            return Err(bad());
        }
        let bilinear = match o.str_or("interpolation", "bilinear")? {
            "bilinear" => true,
            "nearest" => false,
            i => return Err(Error::arg(&o.owner, format!("interpolation must be 'bilinear' or 'nearest', received '{i}'"))),
        };
        let seed = match o.get("seed") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| Error::arg(&o.owner, format!("seed must be a non-negative integer, received {v}")))?),
        };
        let train_width = match o.get("__trainWidth") {
            None | Some(Value::Null) => None,
            Some(_) => Some(o.positive_int("__trainWidth")?),
        };
        o.channels_last()?;
        Ok(RandomWidth { name, factor, lower, upper, bilinear, seed, train_width })
    }

    /// The width a training step draws for an input `width` wide, from the step's `seed`
    /// (at least 1).
    pub fn draw(&self, width: usize, seed: u64) -> usize {
        let mut rng = Rng::new(seed ^ self.seed.unwrap_or(0x005e_ed0f_a1d7));
        let f = 1.0 + self.lower + (self.upper - self.lower) * rng.uniform() as f64;
        ((width as f64 * f).round() as usize).max(1)
    }
}

impl Layer for RandomWidth {
    fn class_name(&self) -> &'static str {
        "RandomWidth"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        check_rank(&format!("RandomWidth '{}'", self.name), input, 2)?;
        let mut out = input.to_vec();
        if let (Some(w), Some(width)) = (self.train_width, out.get_mut(1)) {
            *width = w;
        }
        Ok((vec![], out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        match (self.train_width, s.get(1..3)) {
            (Some(w), Some(&[h, width])) if training && w != width => resize_2d(g, x, [h, w], self.bilinear),
            _ => Ok(x),
        }
    }
    fn random_width(&self) -> Option<&RandomWidth> {
        Some(self)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "factor": self.factor,
            "interpolation": if self.bilinear { "bilinear" } else { "nearest" }, "seed": self.seed,
        })
    }
}

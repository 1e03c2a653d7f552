//! Embedding: integer indices to rows of a trained table (a gather; its gradient adds rows back
//! with scatterAdd, so repeated indices accumulate).

use super::initializers::Init;
use super::constraints::Constraint;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Op;
use crate::tensor::DType;
use serde_json::{json, Value};

pub struct Embedding {
    name: String,
    input_dim: usize,
    output_dim: usize,
    init: (Init, Option<u64>),
    init_cfg: Value,
    reg: Option<Regularizer>,
    con: Option<Constraint>,
    input_length: Option<Value>,
    /// Index 0 is padding: the output carries a mask of the other positions (Keras masking).
    mask_zero: bool,
}

impl Embedding {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        o.unsupported(&["activityRegularizer"])?;
        Ok(Embedding {
            name,
            input_dim: o.positive_int("inputDim")?,
            output_dim: o.positive_int("outputDim")?,
            // TF.js's default: uniform in [-0.05, 0.05].
            init: o.init_or("embeddingsInitializer", "randomUniform")?,
            init_cfg: o.get("embeddingsInitializer").cloned().unwrap_or(json!("randomUniform")),
            reg: o.regularizer("embeddingsRegularizer")?,
            con: o.constraint("embeddingsConstraint")?,
            input_length: o.get("inputLength").cloned(),
            mask_zero: o.bool_or("maskZero", false)?,
        })
    }
}

impl Layer for Embedding {
    fn class_name(&self) -> &'static str {
        "Embedding"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if input.contains(&0) {
            return Err(Error::shape(
                format!("Embedding '{}'", self.name),
                format!("received an empty input shape {}", batch_shape(input)),
            ));
        }
        let w = WeightSpec::new(&self.name, "embeddings", vec![self.input_dim, self.output_dim], &self.init, self.reg).constrained(
            &format!("Embedding '{}'", self.name),
            "embeddingsConstraint",
            self.con,
        )?;
        let mut out = input.to_vec();
        out.push(self.output_dim);
        Ok((vec![w], out))
    }
    fn compute_mask(&self, g: &mut Graph, xs: &[NodeId], _mask: Option<NodeId>) -> Result<Option<NodeId>> {
        if !self.mask_zero {
            return Ok(None);
        }
        let idx = g.cast(xs[0], DType::I32)?;
        let f = g.cast(idx, DType::F32)?;
        let zero = g.constant(crate::tensor::Tensor::scalar(0.0))?;
        let keep = g.binary(crate::ops::Binary::NotEqual, f, zero)?;
        Ok(Some(g.cast(keep, DType::F32)?))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], _training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        let n: usize = s.iter().product();
        // Indices as integers (truncated, as TF.js casts them), flattened for one gather.
        let idx = g.cast(x, DType::I32)?;
        let flat = g.reshape(idx, &[n])?;
        let rows = g.apply(Op::Gather { axis: 0 }, &[w[0], flat])?;
        let mut out = s;
        out.push(self.output_dim);
        g.reshape(rows, &out)
    }
    fn check_input_values(&self, x: &crate::tensor::Tensor) -> Result<()> {
        let per = x.shape[1..].iter().product::<usize>().max(1);
        if let Some(k) = x.data.iter().position(|&v| !(v >= 0.0 && v < self.input_dim as f32)) {
            return Err(Error::data(
                format!("Embedding '{}'", self.name),
                format!(
                    "index {} at sample {} (flat index {k}) of input shape {} is outside [0, {}) (inputDim {})",
                    x.data[k],
                    k / per,
                    crate::error::fmt_shape(&x.shape),
                    self.input_dim,
                    self.input_dim
                ),
            ));
        }
        Ok(())
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "inputDim": self.input_dim, "outputDim": self.output_dim,
            "embeddingsInitializer": self.init_cfg, "embeddingsRegularizer": self.reg.map(|r| r.config()),
            "embeddingsConstraint": self.con.map(|c| c.config()),
            "maskZero": self.mask_zero, "inputLength": self.input_length,
        })
    }
}

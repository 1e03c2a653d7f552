//! `MultiHeadAttention` (Keras 3's; TF.js has none): called on [query, value] or
//! [query, value, key] of shapes [batch, T, features]. Each input is projected per head
//! (kernels [features, heads, dim] and biases [heads, dim], as Keras stores them), the scaled
//! dot-product attention runs per head as batched matmuls over [batch·heads, T, dim], and the
//! heads are projected back to the query's features (or `outputShape`).

use super::initializers::Init;
use super::constraints::Constraint;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Op;
use serde_json::{json, Value};

pub struct MultiHeadAttention {
    name: String,
    heads: usize,
    key_dim: usize,
    value_dim: usize,
    dropout: f32,
    use_bias: bool,
    output_dim: Option<usize>,
    causal: bool,
    kernel_init: (Init, Option<u64>),
    bias_init: (Init, Option<u64>),
    kernel_cfg: Value,
    bias_cfg: Value,
    kernel_reg: Option<Regularizer>,
    bias_reg: Option<Regularizer>,
    kernel_con: Option<Constraint>,
    bias_con: Option<Constraint>,
    /// Built: [query, value, key] sequence lengths and features, and the output features.
    dims: [(usize, usize); 3],
    out: usize,
}

impl MultiHeadAttention {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        o.unsupported(&["attentionAxes", "activityRegularizer"])?;
        let heads = o.positive_int("numHeads")?;
        let key_dim = o.positive_int("keyDim")?;
        let value_dim = if o.get("valueDim").is_some() { o.positive_int("valueDim")? } else { key_dim };
        let dropout = o.f32_or("dropout", 0.0)?;
        if !(0.0..1.0).contains(&dropout) {
            return Err(Error::arg(&o.owner, format!("expected dropout to be a number in [0, 1), received dropout={dropout}")));
        }
        let output_dim = match o.get("outputShape") {
            None => None,
            Some(Value::Array(a)) if a.len() == 1 => Some(o_int(&o.owner, &a[0])?),
            Some(v) => Some(o_int(&o.owner, v)?),
        };
        Ok(MultiHeadAttention {
            name,
            heads,
            key_dim,
            value_dim,
            dropout,
            use_bias: o.bool_or("useBias", true)?,
            output_dim,
            causal: o.bool_or("useCausalMask", false)?,
            kernel_init: o.init_or("kernelInitializer", "glorotUniform")?,
            bias_init: o.init_or("biasInitializer", "zeros")?,
            kernel_cfg: o.get("kernelInitializer").cloned().unwrap_or(json!("glorotUniform")),
            bias_cfg: o.get("biasInitializer").cloned().unwrap_or(json!("zeros")),
            kernel_reg: o.regularizer("kernelRegularizer")?,
            bias_reg: o.regularizer("biasRegularizer")?,
            kernel_con: o.constraint("kernelConstraint")?,
            bias_con: o.constraint("biasConstraint")?,
            dims: [(0, 0); 3],
            out: 0,
        })
    }
    fn owner(&self) -> String {
        format!("MultiHeadAttention '{}'", self.name)
    }
}

fn o_int(owner: &str, v: &Value) -> Result<usize> {
    v.as_f64()
        .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < 1e9)
        .map(|f| f as usize)
        .ok_or_else(|| Error::arg(owner, format!("expected outputShape to be a positive integer, received {v}")))
}

impl Layer for MultiHeadAttention {
    fn class_name(&self) -> &'static str {
        "MultiHeadAttention"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        self.build_multi(&[input.to_vec()])
    }
    fn build_multi(&mut self, inputs: &[Vec<usize>]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let txt = inputs.iter().map(|s| batch_shape(s)).collect::<Vec<_>>().join(", ");
        if !(2..=3).contains(&inputs.len()) {
            return Err(Error::arg(self.owner(), format!("expects [query, value] or [query, value, key], received {} input(s) (shapes {txt})", inputs.len())));
        }
        if inputs.iter().any(|s| s.len() != 2 || s.contains(&0)) {
            return Err(Error::shape(self.owner(), format!("expects inputs of shape [batch, length, features], received {txt}")));
        }
        let (q, v) = (&inputs[0], &inputs[1]);
        let k = inputs.get(2).unwrap_or(v);
        if k[0] != v[0] {
            return Err(Error::shape(self.owner(), format!("key and value must have the same length, received {txt}")));
        }
        if self.causal && q[0] != v[0] {
            return Err(Error::shape(self.owner(), format!("useCausalMask needs query and value of the same length, received {txt}")));
        }
        self.dims = [(q[0], q[1]), (v[0], v[1]), (k[0], k[1])];
        self.out = self.output_dim.unwrap_or(q[1]);
        let (h, kd, vd) = (self.heads, self.key_dim, self.value_dim);
        let mut specs = vec![];
        let owner = self.owner();
        let mut add = |what: &str, shape: Vec<usize>, bias: bool| -> Result<()> {
            let (init, reg, con, key) = if bias {
                (&self.bias_init, self.bias_reg, self.bias_con, "biasConstraint")
            } else {
                (&self.kernel_init, self.kernel_reg, self.kernel_con, "kernelConstraint")
            };
            specs.push(WeightSpec::new(&self.name, what, shape, init, reg).constrained(&owner, key, con)?);
            Ok(())
        };
        for (what, feat, dim) in [("query", q[1], kd), ("key", k[1], kd), ("value", v[1], vd)] {
            add(&format!("{what}/kernel"), vec![feat, h, dim], false)?;
            if self.use_bias {
                add(&format!("{what}/bias"), vec![h, dim], true)?;
            }
        }
        add("attention_output/kernel", vec![h, vd, self.out], false)?;
        if self.use_bias {
            add("attention_output/bias", vec![self.out], true)?;
        }
        Ok((specs, vec![q[0], self.out]))
    }
    fn call(&self, _g: &mut Graph, _x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        Err(Error::arg(self.owner(), "expects [query, value] (or [query, value, key]): apply it in a functional model, e.g. mha.apply([x, x])"))
    }
    fn call_multi(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<NodeId> {
        if xs.len() < 2 {
            return self.call(g, xs[0], w, training);
        }
        let batch = g.shape_of(xs[0])[0];
        let (h, kd, vd) = (self.heads, self.key_dim, self.value_dim);
        let stride = if self.use_bias { 2 } else { 1 };
        // x [B, T, F] -> per head [B·H, T, dim].
        let project = |g: &mut Graph, x: NodeId, slot: usize, t: usize, f: usize, dim: usize| -> Result<NodeId> {
            let x2 = g.reshape(x, &[batch * t, f])?;
            let k2 = g.reshape(w[slot * stride], &[f, h * dim])?;
            let mut y = g.matmul(x2, k2, false, false)?;
            if self.use_bias {
                let b = g.reshape(w[slot * stride + 1], &[h * dim])?;
                y = g.add(y, b)?;
            }
            let y4 = g.reshape(y, &[batch, t, h, dim])?;
            let yt = g.transpose(y4, &[0, 2, 1, 3])?;
            g.reshape(yt, &[batch * h, t, dim])
        };
        let [(tq, fq), (tv, fv), (tk, fk)] = self.dims;
        let q = project(g, xs[0], 0, tq, fq, kd)?;
        let k = project(g, *xs.get(2).unwrap_or(&xs[1]), 1, tk, fk, kd)?;
        let v = project(g, xs[1], 2, tv, fv, vd)?;
        let qs = g.mul_scalar(q, 1.0 / (kd as f32).sqrt())?;
        let mut scores = g.matmul(qs, k, false, true)?; // [B·H, Tq, Tk]
        if self.causal {
            // Future positions get a large negative score (Keras masks them before the softmax).
            let mut m = vec![0.0f32; tq * tk];
            for i in 0..tq {
                for j in (i + 1)..tk {
                    m[i * tk + j] = -1e9;
                }
            }
            let mask = g.constant(crate::tensor::Tensor::new(vec![tq, tk], m)?)?;
            scores = g.add(scores, mask)?;
        }
        let mut probs = g.softmax(scores, 2)?;
        if training && self.dropout > 0.0 {
            let mask = g.apply(Op::DropoutMask { rate: self.dropout }, &[probs])?;
            probs = g.mul(probs, mask)?;
        }
        let o = g.matmul(probs, v, false, false)?; // [B·H, Tq, Vd]
        let o4 = g.reshape(o, &[batch, h, tq, vd])?;
        let ot = g.transpose(o4, &[0, 2, 1, 3])?;
        let o2 = g.reshape(ot, &[batch * tq, h * vd])?;
        let wo = g.reshape(w[3 * stride], &[h * vd, self.out])?;
        let mut y = g.matmul(o2, wo, false, false)?;
        if self.use_bias {
            y = g.add(y, w[3 * stride + 1])?;
        }
        g.reshape(y, &[batch, tq, self.out])
    }
    fn config(&self) -> Value {
        let mut c = json!({
            "name": self.name, "trainable": true, "numHeads": self.heads, "keyDim": self.key_dim, "valueDim": self.value_dim,
            "dropout": self.dropout, "useBias": self.use_bias, "useCausalMask": self.causal,
            "kernelInitializer": self.kernel_cfg, "biasInitializer": self.bias_cfg,
        });
        if let Some(d) = self.output_dim {
            c["outputShape"] = json!(d);
        }
        if let Some(r) = self.kernel_reg {
            c["kernelRegularizer"] = r.config();
        }
        if let Some(r) = self.bias_reg {
            c["biasRegularizer"] = r.config();
        }
        if let Some(k) = self.kernel_con {
            c["kernelConstraint"] = k.config();
        }
        if let Some(b) = self.bias_con {
            c["biasConstraint"] = b.config();
        }
        c
    }
}

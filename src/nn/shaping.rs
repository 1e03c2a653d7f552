//! Layers that only move data: Reshape, Permute, RepeatVector. Shapes exclude the batch.

// What callers send (configs, shapes, option lists) is read with checked access here.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use serde_json::{json, Value};

/// Reads a list of integers option (`targetShape: [2, -1]`).
fn int_list(o: &Opts, key: &str) -> Result<Vec<i64>> {
    let bad = || {
        Error::arg(&o.owner, format!("expected {key} to be an array of integers, received {key}={}", o.get(key).unwrap_or(&Value::Null)))
    };
    let list = o.get(key).and_then(|v| v.as_array()).ok_or_else(bad)?;
    list.iter().map(|d| d.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e9).map(|f| f as i64).ok_or_else(bad)).collect()
}

pub struct Reshape {
    name: String,
    target: Vec<i64>,
    out: Vec<usize>,
}

impl Reshape {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let target = int_list(o, "targetShape")?;
        if target.iter().any(|&d| d == 0 || d < -1) {
            return Err(Error::arg(&o.owner, format!("targetShape dimensions must be positive or -1, received {target:?}")));
        }
        Ok(Reshape { name, target, out: vec![] })
    }
}

impl Layer for Reshape {
    fn class_name(&self) -> &'static str {
        "Reshape"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = format!("Reshape '{}'", self.name);
        let out = crate::tensor::shape::resolve_reshape(&owner, input, &self.target).map_err(|_| {
            Error::shape(
                &owner,
                format!(
                    "cannot reshape input of shape {} ({} values per sample) to {:?}",
                    batch_shape(input),
                    input.iter().product::<usize>(),
                    self.target
                ),
            )
        })?;
        self.out = out.clone();
        Ok((vec![], out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let mut to: Vec<usize> = g.shape_of(x).first().copied().into_iter().collect();
        to.extend(&self.out);
        g.reshape(x, &to)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "targetShape": self.target})
    }
}

pub struct Permute {
    name: String,
    /// 1-based feature axes, as Keras writes them.
    dims: Vec<usize>,
}

impl Permute {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let dims = int_list(o, "dims")?;
        let n = dims.len() as i64;
        let mut seen = vec![false; dims.len()];
        for &d in &dims {
            let repeated = usize::try_from(d - 1).ok().and_then(|i| seen.get_mut(i)).map(|s| std::mem::replace(s, true));
            if d < 1 || d > n || repeated != Some(false) {
                return Err(Error::arg(&o.owner, format!("dims must be a permutation of 1..{n}, received {dims:?}")));
            }
        }
        Ok(Permute { name, dims: dims.iter().map(|&d| d as usize).collect() })
    }
}

impl Layer for Permute {
    fn class_name(&self) -> &'static str {
        "Permute"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if input.len() != self.dims.len() {
            return Err(Error::shape(
                format!("Permute '{}'", self.name),
                format!(
                    "dims {:?} need inputs of rank {} (batch excluded), received shape {}",
                    self.dims,
                    self.dims.len(),
                    batch_shape(input)
                ),
            ));
        }
        let out = self.dims.iter().map(|&d| d.checked_sub(1).and_then(|i| input.get(i)).copied()).collect::<Option<Vec<_>>>();
        let out = out.ok_or_else(|| Error::shape(format!("Permute '{}'", self.name), format!("dims {:?} do not fit shape {}", self.dims, batch_shape(input))))?;
        Ok((vec![], out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let mut perm = vec![0];
        perm.extend(&self.dims);
        g.transpose(x, &perm)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "dims": self.dims})
    }
}

pub struct RepeatVector {
    name: String,
    n: usize,
}

impl RepeatVector {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        Ok(RepeatVector { name, n: o.positive_int("n")? })
    }
}

impl Layer for RepeatVector {
    fn class_name(&self) -> &'static str {
        "RepeatVector"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if input.len() != 1 {
            return Err(Error::shape(
                format!("RepeatVector '{}'", self.name),
                format!("expects inputs of shape [null,features], received shape {}", batch_shape(input)),
            ));
        }
        Ok((vec![], [self.n].into_iter().chain(input.iter().copied()).collect()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        let &[batch, features] = s.as_slice() else {
            return Err(Error::shape(format!("RepeatVector '{}'", self.name), format!("expects rank-2 input, received {}", fmt_shape(&s))));
        };
        let r = g.reshape(x, &[batch, 1, features])?;
        g.broadcast_to(r, &[batch, self.n, features])
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "n": self.n})
    }
}

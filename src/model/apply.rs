//! `model.apply(x)` on tensors as ops of the eager runtime: the model's forward graph is built
//! once for the input's shape and replayed op by op into the [`Runtime`], with chosen weights read
//! from given tensors (a custom loop's variables). Inside a gradient recording the replay is
//! recorded like any other op, so `tf.variableGrads(() => loss(model.apply(x)), vars)` differentiates
//! through the model with respect to its weights.

use super::{forward::pack, LayersModel};
use crate::eager::{Handle, Runtime};
use crate::error::{fmt_shape, Error, OrInternal, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Op;
use std::rc::Rc;

impl LayersModel {
    /// The model's output for `x` (the packed inputs, batch first) as a runtime tensor. `weights`
    /// has one entry per model weight: a tensor to read it from, or None for the stored value.
    /// `training` runs dropout and the like as `fit` does (moving statistics are not updated).
    pub fn apply_eager(&self, rt: &mut Runtime, x: Handle, weights: &[Option<Handle>], training: bool) -> Result<Handle> {
        let op = "apply";
        if weights.len() != self.weights.len() {
            return Err(Error::arg(op, format!("expected {} weight tensors (or none), received {}", self.weights.len(), weights.len())));
        }
        let shape = rt.shape(x)?;
        let feat = self.input_feature_shape()?;
        if shape.len() != feat.len() + 1 || shape[1..] != feat[..] {
            let mut want = vec![None];
            want.extend(feat.iter().map(|&d| Some(d)));
            let want: Vec<String> = want.iter().map(|d| d.map_or("null".into(), |d| d.to_string())).collect();
            return Err(Error::shape(op, format!("expected input of shape [{}], received {}", want.join(","), fmt_shape(&shape))));
        }
        for (i, w) in weights.iter().enumerate() {
            if let Some(h) = w {
                let s = rt.shape(*h)?;
                if s != self.weights[i].value.shape {
                    return Err(Error::shape(
                        op,
                        format!(
                            "weight '{}' has shape {}, the tensor given for it {}",
                            self.weights[i].name,
                            fmt_shape(&self.weights[i].value.shape),
                            fmt_shape(&s)
                        ),
                    ));
                }
            }
        }
        let mut g = Graph::new();
        let xn = g.input(0, &shape, rt.dtype(x)?);
        let params: Vec<NodeId> = self.weights.iter().enumerate().map(|(i, w)| g.param(i, &w.value.shape)).collect();
        let outs = self.forward_all(&mut g, xn, &params, training)?;
        let out = if outs.len() == 1 { outs[0] } else { pack(&mut g, &outs)? };
        replay(&g, out, rt, x, |rt, i| match weights[i] {
            Some(h) => Ok((h, false)),
            None => Ok((rt.put_shared(Rc::new(self.weights[i].value.clone())), true)),
        })
    }
}

/// Runs the nodes `out` depends on through the runtime; returns `out`'s handle. Every handle the
/// replay made on the way (stored weights included) is disposed again.
fn replay(
    g: &Graph,
    out: NodeId,
    rt: &mut Runtime,
    x: Handle,
    mut param: impl FnMut(&mut Runtime, usize) -> Result<(Handle, bool)>,
) -> Result<Handle> {
    let mut needed = vec![false; g.nodes.len()];
    needed[out] = true;
    for k in (0..g.nodes.len()).rev() {
        if needed[k] {
            for &i in &g.nodes[k].inputs {
                needed[i] = true;
            }
        }
    }
    let mut h: Vec<Option<Handle>> = vec![None; g.nodes.len()];
    let mut made: Vec<Handle> = vec![];
    let r = (|| -> Result<Handle> {
        for (k, node) in g.nodes.iter().enumerate() {
            if !needed[k] {
                continue;
            }
            let v = match node.op {
                Op::Input { .. } => x,
                Op::Param { index } => {
                    let (v, own) = param(rt, index)?;
                    if own {
                        made.push(v);
                    }
                    v
                }
                Op::Const { index } => {
                    let v = rt.constant(g.consts[index].clone())?;
                    made.push(v);
                    v
                }
                _ => {
                    let ins: Vec<Handle> = node.inputs.iter().map(|&i| h[i].or_internal("apply", "an input comes after its user")).collect::<Result<_>>()?;
                    let v = rt.apply(node.op.clone(), &ins)?;
                    made.push(v);
                    v
                }
            };
            h[k] = Some(v);
        }
        h[out].or_internal("apply", "the output was not computed")
    })();
    let keep = r.as_ref().ok().copied();
    let fresh = keep.is_some_and(|k| made.contains(&k));
    for v in made {
        if Some(v) != keep {
            rt.dispose(v);
        }
    }
    // An output that is an input or a given weight (a model of reshapes only) gets a handle of
    // its own, so the caller owns what it receives.
    match r {
        Ok(k) if !fresh => rt.alias(k),
        r => r,
    }
}

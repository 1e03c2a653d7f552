//! The forward pass: the model's graph of layer calls (several inputs and targets arrive packed
//! side by side in one tensor).

use super::{LayersModel, Ref};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::nn::describe;
use crate::tensor::DType;

/// Splits a packed [batch, total] tensor into parts of the given feature shapes and dtypes.
pub(super) fn unpack(g: &mut Graph, x: NodeId, parts: &[(Vec<usize>, DType)]) -> Result<Vec<NodeId>> {
    let batch = g.shape_of(x)[0];
    let mut off = 0;
    let mut out = vec![];
    for (shape, dtype) in parts {
        let n: usize = shape.iter().product();
        let s = g.apply(crate::ops::Op::Slice { begin: vec![0, off], size: vec![batch, n] }, &[x])?;
        let mut full = vec![batch];
        full.extend(shape);
        let r = g.reshape(s, &full)?;
        out.push(g.cast(r, *dtype)?);
        off += n;
    }
    Ok(out)
}

/// Packs outputs side by side into one [batch, total] tensor.
pub(super) fn pack(g: &mut Graph, outs: &[NodeId]) -> Result<NodeId> {
    let mut flat = vec![];
    for &o in outs {
        let s = g.shape_of(o);
        let n: usize = s[1..].iter().product();
        flat.push(g.reshape(o, &[s[0], n])?);
    }
    g.apply(crate::ops::Op::Concat { axis: 1 }, &flat)
}

impl LayersModel {
    /// Adds the forward pass to `g` (a model with one output). `params` maps weight index to
    /// its graph node.
    pub fn forward(&self, g: &mut Graph, x: NodeId, params: &[NodeId], training: bool) -> Result<NodeId> {
        Ok(self.forward_all(g, x, params, training)?[0])
    }

    /// Runs the model's layer calls, walking its graph; one node per model output.
    pub fn forward_all(&self, g: &mut Graph, x: NodeId, params: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        let Some(t) = &self.topo else {
            return Err(Error::arg("Sequential", "the model has no layers"));
        };
        let ins = if t.inputs.len() == 1 {
            vec![x]
        } else {
            let parts: Vec<(Vec<usize>, DType)> = t.inputs.iter().map(|i| (i.shape.clone(), i.dtype)).collect();
            unpack(g, x, &parts)?
        };
        let mut vals: Vec<Vec<NodeId>> = Vec::with_capacity(t.nodes.len());
        // Each call's first output's mask (Keras masking: from an Embedding with maskZero or a
        // Masking layer, passed along by the layers that keep the steps).
        let mut masks: Vec<Option<NodeId>> = Vec::with_capacity(t.nodes.len());
        for node in &t.nodes {
            let xs: Vec<NodeId> = node
                .inputs
                .iter()
                .map(|r| match *r {
                    Ref::Input(i) => ins[i],
                    Ref::Node(k, o) => vals[k][o],
                })
                .collect();
            // The mask travels with a layer's first input (x, for a recurrent layer given states).
            let mask = match node.inputs.first() {
                Some(Ref::Node(k, 0)) => masks[*k],
                _ => None,
            };
            let entry = &self.layers[node.layer];
            let w: Vec<NodeId> = entry.weights.iter().chain(&entry.carries).map(|&i| params[i]).collect();
            let train_layer = training && (entry.trainable || !entry.layer.frozen_runs_inference());
            let within = |e: Error| e.within(&describe(entry.layer.as_ref()));
            masks.push(entry.layer.compute_mask(g, &xs, mask).map_err(within)?);
            vals.push(if mask.is_some() {
                entry.layer.call_masked(g, &xs, mask, &w, train_layer).map_err(within)?
            } else {
                entry.layer.call_outputs(g, &xs, &w, train_layer).map_err(within)?
            });
        }
        Ok(t.outputs
            .iter()
            .map(|r| match *r {
                Ref::Input(i) => ins[i],
                Ref::Node(k, o) => vals[k][o],
            })
            .collect())
    }
}

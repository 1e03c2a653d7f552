//! Custom layers written in JS (`class MyLayer extends tf.layers.Layer`): the layer's `call` is
//! traced once on placeholders for its input(s) and weights, and the recording is replayed in
//! every step's graph, so a custom layer trains, plans and runs on every device like a built-in.

use super::{batch_shape, Layer, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId, TracedFn};
use serde_json::Value;
use std::collections::HashMap;

#[derive(Clone)]
pub struct Custom {
    name: String,
    class: &'static str,
    traced: TracedFn,
    /// A call that depends on the batch size (a sampling layer drawing noise of the batch's
    /// shape) has a recording per batch size, which the JS side supplies before each run.
    by_batch: Option<HashMap<usize, TracedFn>>,
    specs: Vec<WeightSpec>,
    /// The feature shapes the call was traced for, and its output's.
    inputs: Vec<Vec<usize>>,
    out: Vec<usize>,
    config: Value,
}

impl Custom {
    pub fn new(class: &str, config: Value, traced: TracedFn, specs: Vec<WeightSpec>, inputs: Vec<Vec<usize>>, out: Vec<usize>) -> Result<Custom> {
        let name = config.get("name").and_then(|n| n.as_str()).unwrap_or(class).to_string();
        if traced.inputs.len() != inputs.len() + specs.len() {
            return Err(Error::arg(
                format!("{class} '{name}'"),
                format!("the traced call takes {} tensors, expected {} input(s) and {} weight(s)", traced.inputs.len(), inputs.len(), specs.len()),
            ));
        }
        // Class names live as long as the program (a handful per page).
        let class: &'static str = Box::leak(class.to_string().into_boxed_str());
        Ok(Custom { name, class, traced, by_batch: None, specs, inputs, out, config })
    }

    /// Makes the call batch-dependent, with these recordings by batch size.
    pub fn per_batch(mut self, traces: Vec<(usize, TracedFn)>) -> Result<Custom> {
        let mut map = HashMap::new();
        for (b, t) in traces {
            self.check(&t)?;
            map.insert(b, t);
        }
        self.by_batch = Some(map);
        Ok(self)
    }

    /// The output's feature shape when the recorded call runs on inputs of these feature shapes
    /// (a batch of 5, one the JS side always records).
    fn infer_output(&self, inputs: &[Vec<usize>]) -> Result<Vec<usize>> {
        if inputs.len() != self.inputs.len() || inputs.iter().zip(&self.inputs).any(|(a, b)| a.len() != b.len()) {
            return Err(Error::shape(format!("{} '{}'", self.class, self.name), "the inputs' number or ranks differ"));
        }
        let traced = self.by_batch.as_ref().and_then(|m| m.get(&5)).unwrap_or(&self.traced);
        let mut g = Graph::new();
        let mut args = vec![];
        for (i, s) in inputs.iter().enumerate() {
            let mut shape = vec![5];
            shape.extend(s);
            let dtype = traced.graph.nodes[traced.inputs[i]].dtype;
            args.push(g.input(i, &shape, dtype));
        }
        for (k, w) in self.specs.iter().enumerate() {
            args.push(g.param(k, &w.shape));
        }
        let out = traced.instantiate(&mut g, &args)?;
        let shape = g.shape_of(out);
        match shape.split_first() {
            Some((&5, rest)) => Ok(rest.to_vec()),
            _ => Err(Error::shape(format!("{} '{}'", self.class, self.name), "call() must keep the batch as its output's first dimension")),
        }
    }

    fn check(&self, t: &TracedFn) -> Result<()> {
        if t.inputs.len() != self.traced.inputs.len() {
            return Err(Error::arg(format!("{} '{}'", self.class, self.name), "a recording of the call takes a different number of tensors"));
        }
        Ok(())
    }
}

impl Layer for Custom {
    fn class_name(&self) -> &'static str {
        self.class
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        self.build_multi(&[input.to_vec()])
    }
    fn build_multi(&mut self, inputs: &[Vec<usize>]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if inputs != self.inputs.as_slice() {
            // Other sizes of the same rank (a null number of steps): the recording is replayed
            // at them, as long as its ops take them (shapes are inferred op by op).
            let out = self.infer_output(inputs).map_err(|e| {
                let txt = |v: &[Vec<usize>]| v.iter().map(|s| batch_shape(s)).collect::<Vec<_>>().join(", ");
                Error::shape(
                    format!("{} '{}'", self.class, self.name),
                    format!("the layer was built for input shape {}, received {} ({e})", txt(&self.inputs), txt(inputs)),
                )
            })?;
            self.inputs = inputs.to_vec();
            self.out = out;
        }
        Ok((self.specs.clone(), self.out.clone()))
    }
    fn duplicate(&self) -> Option<Box<dyn Layer>> {
        Some(Box::new(self.clone()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], training: bool) -> Result<NodeId> {
        self.call_multi(g, &[x], w, training)
    }
    fn call_multi(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], _training: bool) -> Result<NodeId> {
        let mut args = xs.to_vec();
        args.extend_from_slice(w);
        let owner = || format!("{} '{}'", self.class, self.name);
        let traced = match &self.by_batch {
            None => &self.traced,
            Some(map) => {
                let batch = g.shape_of(xs[0]).first().copied().unwrap_or(0);
                map.get(&batch).ok_or_else(|| {
                    let mut have: Vec<usize> = map.keys().copied().collect();
                    have.sort_unstable();
                    Error::arg(owner(), format!("call() depends on the batch size and was recorded for batches of {have:?}, not {batch}"))
                })?
            }
        };
        traced.instantiate(g, &args).map_err(|e| e.within(&owner()))
    }
    fn add_batch_trace(&mut self, batch: usize, traced: TracedFn) -> Result<()> {
        self.check(&traced)?;
        match &mut self.by_batch {
            Some(map) => {
                map.insert(batch, traced);
                Ok(())
            }
            None => Err(Error::arg(format!("{} '{}'", self.class, self.name), "the call does not depend on the batch size")),
        }
    }
    fn config(&self) -> Value {
        self.config.clone()
    }
}

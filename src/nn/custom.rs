//! Custom layers written in JS (`class MyLayer extends tf.layers.Layer`): the layer's `call` is
//! traced once on placeholders for its input(s) and weights, and the recording is replayed in
//! every step's graph, so a custom layer trains, plans and runs on every device like a built-in.

use super::{batch_shape, Layer, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Graph, NodeId, TracedFn};
use serde_json::Value;

pub struct Custom {
    name: String,
    class: &'static str,
    traced: TracedFn,
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
        Ok(Custom { name, class, traced, specs, inputs, out, config })
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
            let txt = |v: &[Vec<usize>]| v.iter().map(|s| batch_shape(s)).collect::<Vec<_>>().join(", ");
            return Err(Error::shape(
                format!("{} '{}'", self.class, self.name),
                format!("the layer was built for input shape {}, received {}", txt(&self.inputs), txt(inputs)),
            ));
        }
        Ok((self.specs.clone(), self.out.clone()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], training: bool) -> Result<NodeId> {
        self.call_multi(g, &[x], w, training)
    }
    fn call_multi(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], _training: bool) -> Result<NodeId> {
        let mut args = xs.to_vec();
        args.extend_from_slice(w);
        self.traced.instantiate(g, &args).map_err(|e| e.within(&format!("{} '{}'", self.class, self.name)))
    }
    fn config(&self) -> Value {
        self.config.clone()
    }
}

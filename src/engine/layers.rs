//! Models from the JS API's descriptions: layers from `{className, config}` (a custom JS layer
//! with its recorded call), a Sequential model's `add`, a functional model's graph, and what
//! JS is told about each layer (its shapes and weights).

// What callers send (configs, shapes, option lists) is read with checked access here.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use super::Engine;
use crate::error::{Error, Result};
use crate::model::{Compiled, LayersModel, Ref};
use crate::nn;
use crate::tensor::DType;
use serde_json::{json, Value};

impl Engine {
    /// A layer from `{className, config}`; a custom JS layer's config carries `__custom: {traced,
    /// inputs, output, weights: [{name, shape, initializer, trainable, regularizer, constraint}]}`:
    /// its traced call (kept, so the layer can join several models), the feature shapes it was
    /// traced for, and the weights its build() asked for; `byBatch` maps batch sizes to
    /// recordings of a call that depends on the batch size.
    pub fn make_layer(&self, class: &str, cfg: &Value) -> Result<Box<dyn nn::Layer>> {
        let Some(c) = cfg.get("__custom") else { return nn::from_config(class, cfg) };
        let lname = cfg.get("name").and_then(|n| n.as_str()).unwrap_or(class).to_string();
        let owner = format!("{class} '{lname}'");
        let id = c.get("traced").and_then(|t| t.as_u64()).unwrap_or(0) as u32;
        let traced = self.traced.get(&id).cloned().ok_or_else(|| Error::arg(&owner, "the traced call is gone"))?;
        let shapes = |v: Option<&Value>| -> Result<Vec<Vec<usize>>> {
            serde_json::from_value(v.cloned().unwrap_or(Value::Null)).map_err(|e| Error::arg(&owner, format!("bad shapes: {e}")))
        };
        let inputs = shapes(c.get("inputs"))?;
        let out: Vec<usize> = serde_json::from_value(c.get("output").cloned().unwrap_or(Value::Null))
            .map_err(|e| Error::arg(&owner, format!("bad output shape: {e}")))?;
        let mut specs = vec![];
        for w in c.get("weights").and_then(|w| w.as_array()).cloned().unwrap_or_default() {
            let wname = w.get("name").and_then(|n| n.as_str()).unwrap_or("weight");
            let shape: Vec<usize> = serde_json::from_value(w.get("shape").cloned().unwrap_or(Value::Null))
                .map_err(|e| Error::arg(&owner, format!("addWeight '{wname}': the shape must be an array of positive integers ({e})")))?;
            let init_v = w.get("initializer").filter(|v| !v.is_null()).cloned().unwrap_or(json!("glorotUniform"));
            let (init, seed) = nn::initializers::Init::parse(&owner, &init_v)?;
            let regularizer = w
                .get("regularizer")
                .filter(|v| !v.is_null())
                .map(|v| nn::regularizers::Regularizer::parse(&owner, "regularizer", v))
                .transpose()?;
            let trainable = w.get("trainable").and_then(|t| t.as_bool()).unwrap_or(true);
            let key = format!("addWeight '{wname}' constraint");
            let constraint =
                w.get("constraint").filter(|v| !v.is_null()).map(|v| nn::constraints::Constraint::parse(&owner, &key, v)).transpose()?;
            let spec = nn::WeightSpec { name: format!("{lname}/{wname}"), shape, init, seed, trainable, regularizer, constraint: None };
            specs.push(spec.constrained(&owner, &key, constraint)?);
        }
        let mut config = cfg.clone();
        if let Some(o) = config.as_object_mut() {
            o.remove("__custom");
        }
        let custom = nn::custom::Custom::new(class, config, traced, specs, inputs, out)?;
        let Some(by) = c.get("byBatch").and_then(|b| b.as_object()) else { return Ok(Box::new(custom)) };
        let mut traces = vec![];
        for (b, id) in by {
            let batch: usize = b.parse().map_err(|_| Error::arg(&owner, format!("bad batch size '{b}'")))?;
            let id = id.as_u64().unwrap_or(0) as u32;
            traces.push((batch, self.traced.get(&id).cloned().ok_or_else(|| Error::arg(&owner, "a recording of the call is gone"))?));
        }
        Ok(Box::new(custom.per_batch(traces)?))
    }

    /// An empty Sequential model; returns its id.
    pub fn new_model(&mut self) -> u32 {
        let seed = self.next_seed();
        self.insert_model(LayersModel::new(seed))
    }

    /// Adds a layer from `{className, config}` to Sequential model `m`; returns the layer's
    /// [`layer_info`]. As in TF.js, only the first layer's inputShape defines the input.
    pub fn add_layer(&mut self, m: u32, class: &str, cfg: &Value) -> Result<Value> {
        self.settle_model(m)?;
        let layer = self.make_layer(class, cfg)?;
        let dims = match cfg.get("batchInputShape").or_else(|| cfg.get("inputShape")) {
            Some(Value::Array(a)) => {
                let skip = if cfg.get("batchInputShape").is_some() { 1.min(a.len()) } else { 0 };
                let dims = a.iter().skip(skip).map(nn::free::dim).collect::<Option<Vec<_>>>();
                let dims = dims.ok_or_else(|| {
                    Error::arg(
                        class,
                        format!("the input shape must be a list of positive integers or null, received {}", Value::Array(a.clone())),
                    )
                })?;
                crate::tensor::shape::checked_numel(class, &nn::free::fill(&dims, 1))?;
                Some(dims)
            }
            _ => None,
        };
        let batch = cfg.get("batchInputShape").and_then(|b| b.get(0)).or_else(|| cfg.get("batchSize")).and_then(|b| b.as_u64()).filter(|&b| b > 0);
        let model = self.model(m)?;
        let first = model.layers.is_empty();
        let dims = if first { dims } else { None };
        model.add_with_free(layer, dims)?;
        if first {
            model.fixed_batch = batch.map(|b| b as usize);
        }
        Ok(layer_info(model, model.layers.len() - 1))
    }

    /// Gives a custom layer of model `m` (by name) the recording of its call for one more
    /// batch size.
    pub fn add_custom_trace(&mut self, m: u32, layer: &str, batch: usize, traced: u32) -> Result<()> {
        let t = self.traced.get(&traced).cloned().ok_or_else(|| Error::arg(layer, "the recording is gone"))?;
        let model = self.model(m)?;
        let index = model.layers.iter().position(|e| e.layer.name() == layer).ok_or_else(|| Error::arg(layer, "no such layer in the model"))?;
        model.add_batch_trace(index, batch, t)
    }

    /// A functional model from `{layers: [{className, config}], inputs: [{layer, dtype}],
    /// nodes: [{layer, inputs: [["input"|"node", index, output?]]}], outputs: [[...]]}`.
    /// Returns `{id, layers: [layer_info]}`.
    pub fn new_functional(&mut self, cfg: &Value) -> Result<Value> {
        let list = |k: &str| cfg.get(k).and_then(|v| v.as_array()).cloned().ok_or_else(|| Error::arg("model", format!("{k} is missing")));
        let mut layers = vec![];
        for l in list("layers")? {
            let class = l.get("className").and_then(|c| c.as_str()).unwrap_or("");
            layers.push(self.make_layer(class, l.get("config").unwrap_or(&Value::Null))?);
        }
        let parse_ref = |v: &Value| -> Result<Ref> {
            let kind = v.get(0).and_then(|k| k.as_str()).unwrap_or("");
            let i = v.get(1).and_then(|i| i.as_u64()).unwrap_or(u64::MAX) as usize;
            let o = v.get(2).map(|o| o.as_u64().unwrap_or(u64::MAX) as usize).unwrap_or(0);
            match kind {
                "input" => Ok(Ref::Input(i)),
                "node" => Ok(Ref::Node(i, o)),
                _ => Err(Error::arg("model", format!("bad connection {v}"))),
            }
        };
        let mut inputs = vec![];
        for i in list("inputs")? {
            let layer = i.get("layer").and_then(|l| l.as_u64()).unwrap_or(u64::MAX) as usize;
            let dtype = DType::parse(i.get("dtype").and_then(|d| d.as_str()).unwrap_or("float32"))?;
            inputs.push((layer, dtype));
        }
        let mut nodes = vec![];
        for n in list("nodes")? {
            let layer = n.get("layer").and_then(|l| l.as_u64()).unwrap_or(u64::MAX) as usize;
            let refs = n.get("inputs").and_then(|r| r.as_array()).cloned().unwrap_or_default();
            nodes.push((layer, refs.iter().map(parse_ref).collect::<Result<Vec<_>>>()?));
        }
        let outputs = list("outputs")?.iter().map(parse_ref).collect::<Result<Vec<_>>>()?;
        let seed = self.next_seed();
        let model = LayersModel::functional(seed, layers, inputs, nodes, outputs)?;
        let info: Vec<Value> = (0..model.layers.len()).map(|i| layer_info(&model, i)).collect();
        let id = self.insert_model(model);
        Ok(json!({"id": id, "layers": info}))
    }

    /// compile, from its options (see [`Compiled::from_json`]); recorded functions it names are
    /// taken. With `check_only`, everything is validated and nothing changes.
    pub fn compile(&mut self, m: u32, cfg: &Value, check_only: bool) -> Result<()> {
        let model = self.models.get(&m).ok_or_else(|| Error::NotFound(format!("model #{m} has been disposed")))?;
        let traced = &mut self.traced;
        let compiled = Compiled::from_json(model, cfg, |id| traced.remove(&id))?;
        if !check_only {
            self.settle_model(m)?;
            self.model(m)?.compile(compiled);
        }
        Ok(())
    }
}

impl Engine {
    /// The functions added with `layer.addLoss`, as recordings `ids` (taken): fit adds them to
    /// the training loss.
    pub fn set_added_losses(&mut self, m: u32, ids: &[u32]) -> Result<()> {
        let mut fns = vec![];
        for &id in ids {
            fns.push(self.traced.remove(&id).ok_or_else(|| Error::arg("fit", "an addLoss function's recording is gone"))?);
        }
        self.settle_model(m)?;
        self.model(m)?.set_added_losses(fns)
    }
}

/// A layer's shapes as a user sees them (free dims as null) and its weights:
/// `{inputShape, inputShapes, outputShape, outputShapes, weights: [{name, shape, state}]}`.
pub fn layer_info(model: &LayersModel, i: usize) -> Value {
    let (ins, outs) = model.shown_shapes(i);
    let weights: Vec<Value> = model
        .layers
        .get(i)
        .map(|e| e.weights.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|&w| model.weights.get(w))
        .map(|w| json!({"name": w.name, "shape": w.value.shape, "state": w.state}))
        .collect();
    json!({"inputShape": ins.first(), "inputShapes": ins, "outputShape": outs.first(), "outputShapes": outs, "weights": weights})
}

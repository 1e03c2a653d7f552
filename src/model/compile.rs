//! compile's options, parsed once: `{optimizer, loss, metrics}` for a model with one output, or
//! `{optimizer, heads: [{loss, metrics, weight}]}` with one entry per output. A loss is a name, a
//! Keras loss class `{className, config}`, a recorded user function `{traced: id, name}` or one
//! recorded afresh each step `{perStep, name}`; metrics likewise.

// What callers send (configs, shapes, option lists) is read with checked access here.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use super::LayersModel;
use crate::error::{Error, Result};
use crate::graph::TracedFn;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::optim::Optimizer;
use serde_json::Value;

pub enum LossFn {
    Builtin(Loss, crate::losses::LossOpts),
    Traced(String, TracedFn),
    /// A user function that could not be traced once (it reads tensor values): it is recorded
    /// afresh on every step's actual values, and that step's plan is built from the recording.
    PerStep(String),
}

pub enum MetricFn {
    Builtin(Metric),
    Traced(TracedFn),
    PerStep,
}

/// The recordings of the per-step functions for one step: the loss (if it is per-step), then one
/// entry per metric (None where the metric is not per-step).
pub struct StepFns {
    /// What the recordings were made for: a training batch or the validation set.
    pub phase: Phase,
    pub loss: Option<TracedFn>,
    pub metrics: Vec<Option<TracedFn>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Train,
    Val,
}

/// What one output of the model is trained and measured with.
pub struct Head {
    pub loss: LossFn,
    /// The weight of this output's loss in the total (compile's lossWeights).
    pub weight: f32,
    pub metrics: Vec<(MetricFn, String)>,
}

pub struct Compiled {
    /// One per model output, in the order of the model's outputs.
    pub heads: Vec<Head>,
    pub optimizer: Optimizer,
    /// The output layers' names, which prefix the log keys when there are several outputs.
    pub output_names: Vec<String>,
}

impl Compiled {
    /// A single-output model's compile.
    pub fn new(loss: LossFn, metrics: Vec<(MetricFn, String)>, optimizer: Optimizer) -> Compiled {
        Compiled { heads: vec![Head { loss, weight: 1.0, metrics }], optimizer, output_names: vec![] }
    }
    /// The first output's loss and metrics: the only ones per-step functions may use.
    pub fn loss(&self) -> Option<&LossFn> {
        self.heads.first().map(|h| &h.loss)
    }
    pub fn metrics(&self) -> &[(MetricFn, String)] {
        self.heads.first().map(|h| h.metrics.as_slice()).unwrap_or_default()
    }
    /// The log keys, in the order the step computes them: "loss" (the weighted total), then for
    /// several outputs each output's loss ("dense_2_loss"), then each output's metrics (prefixed
    /// with the output's name when there are several), as TF.js names them.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = vec!["loss".to_string()];
        if let [head] = self.heads.as_slice() {
            keys.extend(head.metrics.iter().map(|(_, k)| k.clone()));
            return keys;
        }
        let name = |j: usize| self.output_names.get(j).cloned().unwrap_or_else(|| format!("output_{}", j + 1));
        keys.extend((0..self.heads.len()).map(|j| format!("{}_loss", name(j))));
        for (j, h) in self.heads.iter().enumerate() {
            keys.extend(h.metrics.iter().map(|(_, k)| format!("{}_{k}", name(j))));
        }
        keys
    }
    pub fn num_values(&self) -> usize {
        1 + if self.heads.len() > 1 { self.heads.len() } else { 0 } + self.heads.iter().map(|h| h.metrics.len()).sum::<usize>()
    }
}

impl Compiled {
    /// compile's options for `model`; `traced(id)` hands over a recorded user function.
    pub fn from_json(model: &LayersModel, cfg: &Value, mut traced: impl FnMut(u32) -> Option<TracedFn>) -> Result<Compiled> {
        let optimizer = Optimizer::from_config(cfg.get("optimizer").ok_or_else(|| Error::arg("compile", "an optimizer is required"))?)?;
        let outs = model.output_shapes()?;
        let names: Vec<String> =
            (0..outs.len()).map(|j| model.output_layer(j).map(|l| l.layer.name().to_string()).unwrap_or_default()).collect();
        let units = |j: usize| outs.get(j).and_then(|o| o.last()).copied().unwrap_or(1);
        let name_of = |j: usize| names.get(j).cloned().unwrap_or_default();
        let heads = match cfg.get("heads").and_then(|h| h.as_array()) {
            None => vec![parse_head(cfg.get("loss"), cfg.get("metrics"), units(0), 1.0, &mut traced)?],
            Some(hs) => {
                if hs.len() != outs.len() {
                    return Err(Error::arg("compile", format!("the model has {} outputs, received {} losses", outs.len(), hs.len())));
                }
                let mut heads = vec![];
                for (j, h) in hs.iter().enumerate() {
                    let w = h.get("weight").and_then(|w| w.as_f64()).unwrap_or(1.0) as f32;
                    if !w.is_finite() {
                        return Err(Error::arg("compile", format!("lossWeights for output '{}' must be a finite number", name_of(j))));
                    }
                    let head = parse_head(h.get("loss"), h.get("metrics"), units(j), w, &mut traced)
                        .map_err(|e| e.within(&format!("output '{}'", name_of(j))))?;
                    let per_step =
                        matches!(head.loss, LossFn::PerStep(_)) || head.metrics.iter().any(|(m, _)| matches!(m, MetricFn::PerStep));
                    if per_step && hs.len() > 1 {
                        return Err(Error::arg(
                            "compile",
                            format!("output '{}': a model with several outputs needs losses and metrics written with tensor ops only (this one reads tensor values)", name_of(j)),
                        ));
                    }
                    heads.push(head);
                }
                heads
            }
        };
        Ok(Compiled { heads, optimizer, output_names: names })
    }
}

/// One output's loss and metrics (`units`: the output's last dimension, which picks accuracy's kind).
fn parse_head(
    loss: Option<&Value>,
    metrics_v: Option<&Value>,
    units: usize,
    weight: f32,
    traced: &mut impl FnMut(u32) -> Option<TracedFn>,
) -> Result<Head> {
    let name_of = |o: &serde_json::Map<String, Value>, dflt: &str| o.get("name").and_then(|n| n.as_str()).unwrap_or(dflt).to_string();
    let (loss, builtin) = match loss {
        Some(Value::String(s)) => {
            let l = Loss::parse(s)?;
            (LossFn::Builtin(l, Default::default()), Some(l))
        }
        Some(v @ Value::Object(o)) if o.contains_key("className") => {
            let (l, opts) = Loss::from_config(v)?;
            (LossFn::Builtin(l, opts), Some(l))
        }
        Some(Value::Object(o)) if o.contains_key("traced") => {
            let f = traced(o["traced"].as_u64().unwrap_or(0) as u32).ok_or_else(|| Error::arg("compile", "the traced loss is gone"))?;
            (LossFn::Traced(name_of(o, "custom"), f), None)
        }
        Some(Value::Object(o)) if o.contains_key("perStep") => (LossFn::PerStep(name_of(o, "custom")), None),
        _ => {
            return Err(Error::arg(
                "compile",
                format!("a loss is required: one of {} or a function (yTrue, yPred) => Tensor", crate::losses::NAMES.join(", ")),
            ))
        }
    };
    let mut metrics = vec![];
    for mv in metrics_v.and_then(|v| v.as_array()).into_iter().flatten() {
        match mv {
            Value::String(s) => {
                let (metric, key) = Metric::parse(s, builtin, units)?;
                metrics.push((MetricFn::Builtin(metric), key));
            }
            Value::Object(o) if o.contains_key("traced") => {
                let f =
                    traced(o["traced"].as_u64().unwrap_or(0) as u32).ok_or_else(|| Error::arg("compile", "the traced metric is gone"))?;
                metrics.push((MetricFn::Traced(f), name_of(o, "metric")));
            }
            Value::Object(o) if o.contains_key("perStep") => metrics.push((MetricFn::PerStep, name_of(o, "metric"))),
            other => return Err(Error::arg("compile", format!("a metric must be a name or a function, received {other}"))),
        }
    }
    Ok(Head { loss, weight, metrics })
}

impl LayersModel {
    /// The log keys of the compiled model (["loss"] when it is not compiled).
    pub fn metric_keys(&self) -> Vec<String> {
        self.compiled.as_ref().map(|c| c.keys()).unwrap_or_else(|| vec!["loss".to_string()])
    }

    /// Sets the optimizer's learning rate. A plain rate set later replaces a schedule, as
    /// assigning a float does in Keras.
    pub fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        let c = self.compiled.as_mut().ok_or_else(|| Error::arg("optimizer", "the model is not compiled"))?;
        c.optimizer.lr = lr;
        c.optimizer.schedule = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ref;
    use crate::nn;
    use crate::tensor::DType;
    use serde_json::json;

    fn two_heads() -> LayersModel {
        let l = |c: &str, cfg: Value| nn::from_config(c, &cfg).unwrap();
        let layers = vec![
            l("InputLayer", json!({"name": "x", "inputShape": [4]})),
            l("Dense", json!({"name": "cls", "units": 3, "activation": "softmax"})),
            l("Dense", json!({"name": "reg", "units": 1})),
        ];
        LayersModel::functional(
            1,
            layers,
            vec![(0, DType::F32)],
            vec![(1, vec![Ref::Input(0)]), (2, vec![Ref::Input(0)])],
            vec![Ref::Node(0, 0), Ref::Node(1, 0)],
        )
        .unwrap()
    }

    #[test]
    fn heads_keys_and_errors() {
        let m = two_heads();
        let opt = json!({"className": "Adam", "config": {"learningRate": 0.01}});
        let c = Compiled::from_json(
            &m,
            &json!({"optimizer": opt, "heads": [{"loss": "categoricalCrossentropy", "metrics": ["accuracy"], "weight": 1.0}, {"loss": {"className": "Huber", "config": {"delta": 2}}, "metrics": [], "weight": 0.5}]}),
            |_| None,
        )
        .unwrap();
        // Several outputs: each head's loss, then its metrics, prefixed with the output's name.
        assert_eq!(c.keys(), ["loss", "cls_loss", "reg_loss", "cls_acc"]);
        assert_eq!(c.heads[1].weight, 0.5);
        let err = |cfg: Value| Compiled::from_json(&m, &cfg, |_| None).err().unwrap().to_string();
        assert!(err(json!({"heads": []})).contains("an optimizer is required"));
        assert!(err(json!({"optimizer": opt, "heads": [{"loss": "mse"}]})).contains("2 outputs, received 1 losses"));
        let e = err(json!({"optimizer": opt, "heads": [{"loss": "categoricalCrossentropy"}, {"loss": "nope"}]}));
        assert!(e.contains("output 'reg'") && e.contains("nope"), "{e}");
        let e = err(json!({"optimizer": opt, "heads": [{"loss": {"traced": 7, "name": "mine"}}, {"loss": "mse"}]}));
        assert!(e.contains("the traced loss is gone"), "{e}");
    }
}

//! A model's weight store: weights, carried states of stateful layers, getting and setting them
//! (whole model or one layer), and the optimizer's state for the trained weights (saved and
//! restored with the model, as TF.js saves optimizer weights).

use super::{LayersModel, Weight};
use crate::error::{fmt_shape, Error, Result};
use crate::nn::{describe, Layer};
use crate::tensor::{numel, DType, Tensor};
use serde_json::{json, Value};

/// The most weight values one model holds (512 MB of float32): with the gradients and an
/// optimizer's slots, training needs about four times that, within WebAssembly's 4 GB.
pub const MAX_MODEL_ELEMENTS: usize = 1 << 27;

impl LayersModel {
    /// Creates the weights `specs` describe (each initialised from its own seed, or the model's
    /// generator); returns their indices in the weight store.
    pub(super) fn push_weights(&mut self, owner: &str, specs: Vec<crate::nn::WeightSpec>) -> Result<Vec<usize>> {
        // A model too large for the tab is refused here, before anything is allocated: past the
        // WebAssembly memory an allocation would abort the instance.
        let have: usize = self.weights.iter().map(|w| w.value.numel()).fold(0, usize::saturating_add);
        let add: usize = specs.iter().map(|s| s.shape.iter().fold(1usize, |a, &d| a.saturating_mul(d))).fold(0, usize::saturating_add);
        let total = have.saturating_add(add);
        if total > MAX_MODEL_ELEMENTS {
            return Err(Error::data(
                owner,
                format!(
                    "the model's weights would hold {total} values ({:.1} GB); a model holds at most {MAX_MODEL_ELEMENTS} ({} MB), \
                     as training needs about four times its weights' memory (gradients, optimizer state) and a tab has 4 GB at most",
                    total as f64 * 4.0 / 1e9,
                    (MAX_MODEL_ELEMENTS * 4) >> 20
                ),
            ));
        }
        let mut idx = vec![];
        for s in specs {
            let value = match s.seed {
                Some(seed) => s.init.sample(&s.shape, &mut crate::rng::Rng::new(seed)),
                None => s.init.sample(&s.shape, &mut self.rng),
            };
            self.weights.push(Weight {
                name: s.name,
                value,
                trainable: s.trainable,
                state: !s.trainable,
                carry: false,
                regularizer: s.regularizer,
                constraint: s.constraint,
            });
            idx.push(self.weights.len() - 1);
        }
        Ok(idx)
    }

    /// Creates a layer's carried states (zeros) in the weight store; returns their indices.
    pub(super) fn push_carries(&mut self, layer: &dyn Layer) -> Vec<usize> {
        let mut idx = vec![];
        for (name, shape) in layer.carries() {
            self.weights.push(Weight {
                name,
                value: Tensor::zeros(&shape),
                trainable: false,
                state: true,
                carry: true,
                regularizer: None,
                constraint: None,
            });
            idx.push(self.weights.len() - 1);
        }
        idx
    }

    /// Zeroes the carried states of stateful layers (all, or those of layer `only`).
    pub fn reset_states(&mut self, only: Option<usize>) {
        for (i, e) in self.layers.iter().enumerate() {
            if only.is_none_or(|o| o == i) {
                for &w in &e.carries {
                    self.weights[w].value.data.fill(0.0);
                }
            }
        }
        // The GPU copy is rebuilt from this mirror on its next use.
        self.gpu = None;
    }

    /// The states layer `layer` carries between batches (a stateful recurrent layer's h, c).
    pub fn states(&self, layer: usize) -> Result<Vec<Tensor>> {
        let e = self.layers.get(layer).ok_or_else(|| Error::arg("getStates", format!("layer {layer} is out of range")))?;
        Ok(e.carries.iter().map(|&w| self.weights[w].value.clone()).collect())
    }

    /// Sets the states layer `layer` carries (shapes as they are).
    pub fn set_states(&mut self, layer: usize, states: Vec<Tensor>) -> Result<()> {
        let e = self.layers.get(layer).ok_or_else(|| Error::arg("setStates", format!("layer {layer} is out of range")))?;
        let owner = describe(e.layer.as_ref());
        if e.carries.is_empty() {
            return Err(Error::arg(&owner, "setStates is for stateful recurrent layers (stateful: true)"));
        }
        if states.len() != e.carries.len() {
            return Err(Error::arg(&owner, format!("setStates expects {} state tensors, received {}", e.carries.len(), states.len())));
        }
        for (&w, t) in e.carries.iter().zip(&states) {
            if t.shape != self.weights[w].value.shape {
                return Err(Error::shape(
                    &owner,
                    format!(
                        "setStates: state '{}' has shape {}, received {}",
                        self.weights[w].name,
                        fmt_shape(&self.weights[w].value.shape),
                        fmt_shape(&t.shape)
                    ),
                ));
            }
        }
        let carries = e.carries.clone();
        for (w, t) in carries.into_iter().zip(states) {
            self.weights[w].value = Tensor { dtype: DType::F32, ..t };
        }
        // The GPU copy is rebuilt from this mirror on its next use.
        self.gpu = None;
        Ok(())
    }

    /// Whether any layer carries state between batches.
    pub fn stateful(&self) -> bool {
        self.layers.iter().any(|e| !e.carries.is_empty())
    }

    /// The indices of the real weights (carried states left out), in order.
    pub fn weight_indices(&self) -> Vec<usize> {
        (0..self.weights.len()).filter(|&i| !self.weights[i].carry).collect()
    }

    pub fn count_params(&self) -> (usize, usize) {
        let t = self.weights.iter().filter(|w| w.trainable).map(|w| w.value.numel()).sum();
        let n = self.weights.iter().filter(|w| !w.trainable && !w.carry).map(|w| w.value.numel()).sum();
        (t, n)
    }

    pub fn set_weights(&mut self, ws: Vec<Tensor>) -> Result<()> {
        let idx = self.weight_indices();
        if ws.len() != idx.len() {
            return Err(Error::arg("setWeights", format!("the model has {} weights, received {}", idx.len(), ws.len())));
        }
        for (i, (&wi, t)) in idx.iter().zip(&ws).enumerate() {
            let w = &self.weights[wi];
            if w.value.shape != t.shape {
                return Err(Error::shape(
                    "setWeights",
                    format!("weight {i} ({}) has shape {}, received shape {}", w.name, fmt_shape(&w.value.shape), fmt_shape(&t.shape)),
                ));
            }
            if let Some(k) = t.first_non_finite() {
                return Err(Error::data("setWeights", format!("weight {i} ({}) has a non-finite value at index {k}", w.name)));
            }
        }
        for (&wi, t) in idx.iter().zip(ws) {
            self.weights[wi].value.data = t.data;
        }
        self.gpu = None;
        Ok(())
    }
}

impl LayersModel {
    /// Copies of the real weights (carried states left out), in order.
    pub fn get_weights(&self) -> Vec<Tensor> {
        self.weight_indices().into_iter().map(|i| self.weights[i].value.clone()).collect()
    }

    /// Copies of layer `layer`'s weights.
    pub fn layer_weights(&self, layer: usize) -> Result<Vec<Tensor>> {
        let e = self.layers.get(layer).ok_or_else(|| Error::arg("getWeights", format!("layer {layer} is out of range")))?;
        Ok(e.weights.iter().map(|&w| self.weights[w].value.clone()).collect())
    }

    /// Sets layer `layer`'s weights (checked as [`Self::set_weights`] checks them).
    pub fn set_layer_weights(&mut self, layer: usize, ts: Vec<Tensor>) -> Result<()> {
        let e = self.layers.get(layer).ok_or_else(|| Error::arg("setWeights", format!("layer {layer} is out of range")))?;
        let idx = e.weights.clone();
        if ts.len() != idx.len() {
            return Err(Error::arg(
                "setWeights",
                format!("{} has {} weights, received {}", describe(e.layer.as_ref()), idx.len(), ts.len()),
            ));
        }
        let order = self.weight_indices();
        let mut all: Vec<Tensor> = order.iter().map(|&i| self.weights[i].value.clone()).collect();
        for (i, t) in idx.into_iter().zip(ts) {
            if let Some(k) = order.iter().position(|&o| o == i) {
                all[k] = t;
            }
        }
        self.set_weights(all)
    }

    /// Zeroes the carried states of all stateful layers (None) or of layer `layer`, which must
    /// exist.
    pub fn reset_layer_states(&mut self, layer: Option<usize>) -> Result<()> {
        if let Some(l) = layer.filter(|&l| l >= self.layers.len()) {
            return Err(Error::arg("resetStates", format!("layer {l} is out of range")));
        }
        self.reset_states(layer);
        Ok(())
    }

    /// The trained weights' indices, in the order the optimizer keeps their state.
    pub fn trained_weights(&self) -> Vec<usize> {
        (0..self.weights.len()).filter(|&i| self.weights[i].trainable).collect()
    }

    /// A compiled model's optimizer state: `{iterations, slots, weights: [{name, shape}]}` for
    /// the trained weights, in the order TF.js saves optimizer weights.
    pub fn optimizer_info(&self) -> Result<Value> {
        let c = self.compiled.as_ref().ok_or_else(|| Error::arg("save", "the model is not compiled, so it has no optimizer state"))?;
        let ws: Vec<Value> = self
            .trained_weights()
            .into_iter()
            .map(|i| json!({"name": self.weights[i].name, "shape": self.weights[i].value.shape}))
            .collect();
        Ok(json!({"iterations": c.optimizer.iterations, "slots": c.optimizer.num_slots(), "weights": ws}))
    }

    /// The first `count` slots of every trained weight, slot by slot (all weights' slot 0, then
    /// slot 1, ...), as tensors of the weights' shapes; zeros where no step has made them yet.
    pub fn optimizer_slots(&mut self, count: usize) -> Result<Vec<Tensor>> {
        let shapes: Vec<Vec<usize>> = self.trained_weights().iter().map(|&i| self.weights[i].value.shape.clone()).collect();
        let opt = &mut self.compiled.as_mut().ok_or_else(|| Error::arg("save", "the model is not compiled"))?.optimizer;
        let count = count.min(opt.num_slots());
        let mut out = vec![];
        for j in 0..count {
            for (k, shape) in shapes.iter().enumerate() {
                out.push(Tensor::new(shape.clone(), opt.slots_of(k, numel(shape))[j].clone())?);
            }
        }
        Ok(out)
    }

    /// Restores a compiled model's optimizer state: the step count and, slot by slot, the first
    /// slots of every trained weight (as [`Self::optimizer_slots`] gives them; later slots start
    /// as the optimizer starts them).
    pub fn set_optimizer_state(&mut self, iterations: f64, ts: Vec<Tensor>) -> Result<()> {
        let trained = self.trained_weights();
        let shapes: Vec<Vec<usize>> = trained.iter().map(|&i| self.weights[i].value.shape.clone()).collect();
        let names: Vec<String> = trained.iter().map(|&i| self.weights[i].name.clone()).collect();
        let opt = &mut self.compiled.as_mut().ok_or_else(|| Error::arg("loadLayersModel", "the model is not compiled"))?.optimizer;
        let nt = shapes.len();
        if !(iterations.is_finite() && iterations >= 0.0) {
            return Err(Error::arg(
                "loadLayersModel",
                format!("the optimizer's step count must be a non-negative integer, received {iterations}"),
            ));
        }
        // (A model with every layer frozen saves only the step count.)
        if (nt == 0 && !ts.is_empty()) || (nt > 0 && (!ts.len().is_multiple_of(nt) || ts.len() / nt > opt.num_slots())) {
            return Err(Error::arg(
                "loadLayersModel",
                format!(
                    "the optimizer state has {} tensors; expected up to {} slots for each of the {nt} trained weights",
                    ts.len(),
                    opt.num_slots()
                ),
            ));
        }
        for (idx, t) in ts.iter().enumerate() {
            let k = idx % nt;
            if t.shape != shapes[k] {
                return Err(Error::shape(
                    "loadLayersModel",
                    format!(
                        "optimizer slot {} of weight '{}' has shape {}, the weight has shape {}",
                        idx / nt,
                        names[k],
                        fmt_shape(&t.shape),
                        fmt_shape(&shapes[k])
                    ),
                ));
            }
            if let Some(i) = t.first_non_finite() {
                return Err(Error::data(
                    "loadLayersModel",
                    format!("optimizer slot {} of weight '{}' has a non-finite value at index {i}", idx / nt, names[k]),
                ));
            }
        }
        opt.reset();
        for (idx, t) in ts.into_iter().enumerate() {
            let k = idx % nt;
            let n = t.data.len();
            opt.slots_of(k, n)[idx / nt] = t.data;
        }
        // Slots with nothing saved for them start as the optimizer starts them.
        for (k, shape) in shapes.iter().enumerate() {
            opt.slots_of(k, numel(shape));
        }
        opt.iterations = iterations as u64;
        self.gpu = None;
        Ok(())
    }
}

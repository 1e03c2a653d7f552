//! Models: layers with inferred shapes and the weight store, as a chain (a Sequential model)
//! or a graph of layer calls (a functional model).
//!
//! - this file: the model type, building it ([`LayersModel::add`], [`LayersModel::functional`]), its shapes
//!   and input checks;
//! - [`forward`]: the forward pass (chain or graph); [`plan`]: the step graphs (loss, metrics,
//!   gradients) and the cache of planned steps; [`weights`]: weights, carried states and the
//!   optimizer's state; [`compile`]: compile's options; [`summary`]; [`shapes`]: wiring a
//!   graph and the variants built for free input dims;
//! - [`apply`]: the model on eager tensors (custom loops); [`trainer`]: fit, evaluate and
//!   predict; [`gpu`]: the model's copy on the GPU and [`gpu_run`]: predict and evaluate there.

pub mod apply;
pub mod compile;
pub mod forward;
pub mod gpu;
pub mod gpu_run;
pub mod plan;
pub mod shapes;
pub mod summary;
pub mod trainer;
pub mod weights;

pub use compile::{Compiled, Head, LossFn, MetricFn, Phase, StepFns};
pub use plan::{PlanKind, StepGraph, StepPlan};

use crate::error::{fmt_shape, Error, OrInternal, Result};
use crate::nn::{batch_shape, describe, Layer};
use crate::rng::Rng;
use crate::tensor::{DType, Tensor};
use plan::PlanKey;
use shapes::free_dims;
use std::collections::HashMap;

pub struct Weight {
    pub name: String,
    pub value: Tensor,
    pub trainable: bool,
    /// State a layer updates itself (moving statistics): never trained, whatever the layer's flag.
    pub state: bool,
    /// A stateful layer's carried state (see [`Layer::carries`]): not a weight.
    pub carry: bool,
    pub regularizer: Option<crate::nn::regularizers::Regularizer>,
    /// Projected after each optimizer update (tf.constraints.*).
    pub constraint: Option<crate::nn::constraints::Constraint>,
}

/// A plan reads a model's weights in place.
impl crate::graph::plan::Params for [Weight] {
    fn param(&self, k: usize) -> &[f32] {
        &self[k].value.data
    }
}

pub struct LayerEntry {
    pub layer: Box<dyn Layer>,
    /// The first input's shape; `in_shapes` holds every input's (merge layers have several).
    pub in_shape: Vec<usize>,
    pub in_shapes: Vec<Vec<usize>>,
    pub out_shape: Vec<usize>,
    /// Every output's shape (`out_shape` first; a recurrent layer with returnState has more).
    pub out_shapes: Vec<Vec<usize>>,
    pub weights: Vec<usize>,
    /// The carried states' indices in the model's weight store (after every weight).
    pub carries: Vec<usize>,
    pub trainable: bool,
}

/// Where a functional model's layer call takes an input from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ref {
    /// The model's i-th input.
    Input(usize),
    /// Output j of the k-th call node (j is 0 except for layers with several outputs).
    Node(usize, usize),
}

#[derive(Clone)]
pub struct ModelInput {
    /// The InputLayer's index in `layers` (None: a Sequential model's input, declared by its
    /// first layer's inputShape, has no InputLayer of its own).
    pub layer: Option<usize>,
    pub shape: Vec<usize>,
    pub dtype: DType,
}

/// One call of a layer in a functional model (a shared layer has several).
#[derive(Clone)]
pub struct CallNode {
    pub layer: usize,
    pub inputs: Vec<Ref>,
    /// Every output's feature shape (one for most layers).
    pub out_shapes: Vec<Vec<usize>>,
}

/// A functional model's graph of layer calls, in an order where every call follows its inputs.
/// Several inputs arrive packed side by side in one [batch, total] float tensor (and several
/// targets likewise), so the trainer and both devices move one x and one y as before.
#[derive(Clone)]
pub struct Topology {
    pub inputs: Vec<ModelInput>,
    pub nodes: Vec<CallNode>,
    pub outputs: Vec<Ref>,
}

/// A model, as TF.js's `LayersModel`: layers, the graph of their calls, the weight store,
/// compile's state and the cached planned steps. A functional model (`tf.model`) is given its
/// graph ([`LayersModel::functional`]); a Sequential model builds one, a call of each new layer
/// on the last one's output, with [`LayersModel::add`], as TF.js's `Sequential` does.
pub struct LayersModel {
    pub layers: Vec<LayerEntry>,
    pub input_shape: Option<Vec<usize>>,
    pub input_dtype: DType,
    pub weights: Vec<Weight>,
    pub compiled: Option<Compiled>,
    pub rng: Rng,
    plans: HashMap<PlanKey, StepPlan>,
    /// The training state on the GPU while the model trains there (the weights above mirror it).
    pub gpu: Option<gpu::GpuModel>,
    /// The graph of layer calls (None until a Sequential model has its first layer).
    pub topo: Option<Topology>,
    /// For several outputs: the feature shape and dtype of each output's targets, which arrive
    /// packed in one y.
    pub y_layout: Vec<(Vec<usize>, DType)>,
    /// Inputs with free dims (null steps): the variants of the layers built for each input
    /// shape seen (see [`shapes`]).
    pub free: Option<shapes::FreeDims>,
    /// Functions added with `layer.addLoss` (recorded on every layer's weights, in layer order):
    /// their scalars join the training loss, as TF.js's calculateLosses does in fit.
    pub added_losses: Vec<crate::graph::TracedFn>,
    /// The batch size the first input fixes (batchInputShape [1, ...]), shown as TF.js shows it.
    pub fixed_batch: Option<usize>,
}

/// The name the native tests and most of the engine's history use: every model is a
/// [`LayersModel`], a Sequential one is built with `new` and `add`.
pub type Sequential = LayersModel;

impl LayersModel {
    /// An empty model; layers join it with [`LayersModel::add`].
    pub fn new(seed: u64) -> LayersModel {
        LayersModel {
            layers: vec![],
            input_shape: None,
            input_dtype: DType::F32,
            weights: vec![],
            compiled: None,
            rng: Rng::new(seed),
            plans: HashMap::new(),
            gpu: None,
            topo: None,
            y_layout: vec![],
            added_losses: vec![],
            fixed_batch: None,
            free: None,
        }
    }

    /// A functional model: `layers` (InputLayers included), `inputs` naming the InputLayer and
    /// dtype of each model input, `nodes` the layer calls in an order where each call's inputs
    /// come before it, and the `outputs`. Each layer is built at its first call; a shared layer's
    /// later calls must get the same input shapes. Weights are created in `layers` order.
    pub fn functional(
        seed: u64,
        mut layers: Vec<Box<dyn Layer>>,
        inputs: Vec<(usize, DType)>,
        nodes: Vec<(usize, Vec<Ref>)>,
        outputs: Vec<Ref>,
    ) -> Result<LayersModel> {
        let mut m = LayersModel::new(seed);
        let mut model_inputs = vec![];
        let mut free_mask = vec![];
        for &(li, dtype) in &inputs {
            let layer = layers.get_mut(li).ok_or_else(|| Error::arg("model", format!("input layer index {li} is out of range")))?;
            if layer.class_name() != "InputLayer" {
                return Err(Error::arg(
                    "model",
                    format!("the model's inputs must be InputLayers (tf.input), received {}", describe(layer.as_ref())),
                ));
            }
            let shape = layer.build(&[])?.1;
            free_mask.push(free_dims(layer.as_ref()));
            model_inputs.push(ModelInput { layer: Some(li), shape, dtype });
        }
        if model_inputs.is_empty() {
            return Err(Error::arg("model", "a model needs at least one input"));
        }
        let wired: Vec<(Option<usize>, Vec<usize>)> = model_inputs.iter().map(|i| (i.layer, i.shape.clone())).collect();
        let (built, call_nodes) = shapes::wire(&mut layers, &wired, nodes)?;
        for r in &outputs {
            let ok = match *r {
                Ref::Input(i) => i < model_inputs.len(),
                Ref::Node(j, o) => j < call_nodes.len() && o < call_nodes[j].out_shapes.len(),
            };
            if !ok {
                return Err(Error::arg("model", format!("output {r:?} is not in the model")));
            }
        }
        if outputs.is_empty() {
            return Err(Error::arg("model", "a model needs at least one output"));
        }
        for (li, (layer, b)) in layers.into_iter().zip(built).enumerate() {
            let Some((specs, in_shapes, out_shapes)) = b else {
                return Err(Error::arg(describe(layer.as_ref()), format!("layer {li} is not connected to the model's inputs")));
            };
            let idx = m.push_weights(&describe(layer.as_ref()), specs)?;
            let carries = m.push_carries(layer.as_ref());
            m.layers.push(LayerEntry {
                layer,
                in_shape: in_shapes[0].clone(),
                in_shapes,
                out_shape: out_shapes[0].clone(),
                out_shapes,
                weights: idx,
                carries,
                trainable: true,
            });
        }
        if model_inputs.len() == 1 {
            m.input_shape = Some(model_inputs[0].shape.clone());
            m.input_dtype = model_inputs[0].dtype;
        } else {
            m.input_shape = Some(vec![model_inputs.iter().map(|i| i.shape.iter().product::<usize>()).sum()]);
            m.input_dtype = DType::F32;
        }
        // The batch size the first input's InputLayer fixes (batchShape [4, ...]), if any.
        m.fixed_batch = model_inputs
            .first()
            .and_then(|i| m.layers[i.layer?].layer.config().get("batchInputShape").and_then(|b| b.get(0)).and_then(|b| b.as_u64()))
            .map(|b| b as usize);
        m.topo = Some(Topology { inputs: model_inputs, nodes: call_nodes, outputs });
        m.set_free(free_mask)?;
        Ok(m)
    }

    /// The feature shape of each model output.
    pub fn output_shapes(&self) -> Result<Vec<Vec<usize>>> {
        match &self.topo {
            None => Err(Error::arg("Sequential", "the model has no layers")),
            Some(t) => Ok(t.outputs.iter().map(|r| self.ref_shape(t, *r)).collect()),
        }
    }

    fn ref_shape(&self, t: &Topology, r: Ref) -> Vec<usize> {
        match r {
            Ref::Input(i) => t.inputs[i].shape.clone(),
            Ref::Node(k, o) => t.nodes[k].out_shapes[o].clone(),
        }
    }

    /// The layer that produces output `j` (the input layer when an output is an input).
    pub fn output_layer(&self, j: usize) -> Option<&LayerEntry> {
        match &self.topo {
            None => None,
            Some(t) => match *t.outputs.get(j)? {
                Ref::Input(i) => self.layers.get(t.inputs[i].layer?),
                Ref::Node(k, _) => self.layers.get(t.nodes[k].layer),
            },
        }
    }

    /// Sets the shapes and dtypes of several outputs' targets (packed in one y).
    pub fn set_y_layout(&mut self, layout: Vec<(Vec<usize>, DType)>) {
        if self.y_layout != layout {
            self.y_layout = layout;
            self.plans.clear();
            self.gpu = None;
        }
    }

    /// Adds a layer called on the last layer's output (the first one on the model's input,
    /// whose shape it declares), building it at once, as TF.js's `Sequential.add` does.
    pub fn add(&mut self, mut layer: Box<dyn Layer>, input_shape: Option<Vec<usize>>) -> Result<()> {
        let last = self.topo.as_ref().and_then(|t| t.outputs.first().map(|&r| self.ref_shape(t, r)));
        let in_shape = match (last, input_shape) {
            (Some(s), _) => s,
            (None, Some(s)) => s,
            (None, None) => {
                return Err(Error::arg(
                    describe(layer.as_ref()),
                    "the first layer in a Sequential model must get an inputShape or batchInputShape argument",
                ));
            }
        };
        let is_input = layer.class_name() == "InputLayer";
        if is_input && !self.layers.is_empty() {
            return Err(Error::arg(describe(layer.as_ref()), "an InputLayer can only be the first layer of a Sequential model"));
        }
        let (specs, out_shape) = layer.build(&in_shape)?;
        if !layer.extra_outputs().is_empty() {
            return Err(Error::arg(
                describe(layer.as_ref()),
                "has several outputs (returnState), so it cannot join a Sequential model: use the functional API (tf.model) and pick the outputs",
            ));
        }
        for s in &specs {
            crate::tensor::shape::checked_numel(&describe(layer.as_ref()), &s.shape)?;
        }
        crate::tensor::shape::checked_numel(&describe(layer.as_ref()), &out_shape)?;
        let idx = self.push_weights(&describe(layer.as_ref()), specs)?;
        let li = self.layers.len();
        if self.topo.is_none() {
            self.input_shape = Some(in_shape.clone());
            let input = ModelInput { layer: is_input.then_some(li), shape: in_shape.clone(), dtype: self.input_dtype };
            self.topo = Some(Topology { inputs: vec![input], nodes: vec![], outputs: vec![Ref::Input(0)] });
        }
        if !is_input {
            let t = self.topo.as_mut().or_internal("add", "the model has no topology")?;
            t.nodes.push(CallNode { layer: li, inputs: vec![t.outputs[0]], out_shapes: vec![out_shape.clone()] });
            t.outputs = vec![Ref::Node(t.nodes.len() - 1, 0)];
        }
        let carries = self.push_carries(layer.as_ref());
        self.layers.push(LayerEntry {
            layer,
            in_shapes: vec![in_shape.clone()],
            in_shape,
            out_shapes: vec![out_shape.clone()],
            out_shape,
            weights: idx,
            carries,
            trainable: true,
        });
        self.plans.clear();
        self.gpu = None;
        Ok(())
    }

    /// The output's feature shape; several outputs arrive packed as [total].
    pub fn output_shape(&self) -> Result<Vec<usize>> {
        let shapes = self.output_shapes()?;
        if shapes.len() == 1 {
            return shapes.into_iter().next().or_internal("model", "no output shape");
        }
        Ok(vec![shapes.iter().map(|s| s.iter().product::<usize>()).sum()])
    }

    pub fn input_feature_shape(&self) -> Result<Vec<usize>> {
        self.input_shape.clone().ok_or_else(|| Error::arg("Sequential", "the model has no layers"))
    }

    pub fn set_trainable(&mut self, layer: usize, trainable: bool) {
        if let Some(l) = self.layers.get_mut(layer) {
            l.trainable = trainable;
            for &w in &l.weights {
                self.weights[w].trainable = trainable && !self.weights[w].state;
            }
            self.plans.clear();
            self.gpu = None;
        }
    }

    /// Compiles. When the new optimizer is the same optimizer object as before (same id, as
    /// TF.js users pass one `tf.train.*` instance), its state (moments, step count) carries over.
    pub fn compile(&mut self, mut c: Compiled) {
        if let Some(old) = self.compiled.take() {
            if old.optimizer.id.is_some() && old.optimizer.id == c.optimizer.id && old.optimizer.kind == c.optimizer.kind {
                let lr = c.optimizer.lr;
                c.optimizer = old.optimizer;
                c.optimizer.lr = lr;
            }
        }
        self.compiled = Some(c);
        self.plans.clear();
        self.gpu = None;
    }

    /// Checks `x`'s values against what the first layer accepts (an embedding's index range).
    pub fn check_input_values(&self, op: &str, x: &Tensor) -> Result<()> {
        // A single input: every layer that reads it directly checks it (several inputs arrive
        // packed; their layers check nothing here).
        if let Some(t) = self.topo.as_ref().filter(|t| t.inputs.len() == 1) {
            for n in t.nodes.iter().filter(|n| n.inputs == [Ref::Input(0)]) {
                let l = &self.layers[n.layer].layer;
                l.check_input_values(x).map_err(|e| e.within(op))?;
            }
        }
        Ok(())
    }

    /// Checks that `x` (batch first) fits the model's input, naming the first layer.
    pub fn check_input(&self, op: &str, x: &[usize]) -> Result<()> {
        let want = self.input_feature_shape()?;
        if x.len() != want.len() + 1 || x[1..] != want[..] {
            let first = &self.layers[0];
            return Err(Error::shape(
                op,
                format!(
                    "{} expected input of shape {}, received shape {}",
                    describe(first.layer.as_ref()),
                    batch_shape(&want),
                    fmt_shape(x)
                ),
            ));
        }
        Ok(())
    }

    /// True when a compiled loss or metric must be recorded on every step.
    pub fn per_step(&self) -> bool {
        self.compiled.as_ref().is_some_and(|c| {
            c.heads.iter().any(|h| matches!(h.loss, LossFn::PerStep(_)) || h.metrics.iter().any(|(m, _)| matches!(m, MetricFn::PerStep)))
        })
    }
}

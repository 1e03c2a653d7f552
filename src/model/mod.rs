//! Sequential models: layers with inferred shapes, the weight store, compile, summary, and the
//! planned steps (train, evaluate, predict) cached per batch size.

pub mod apply;
pub mod compile;
pub mod gpu;
pub mod shapes;
pub mod summary;
pub mod trainer;

use crate::error::{fmt_shape, Error, Result};
use crate::graph::autodiff::grad;
use crate::graph::plan::Plan;
use crate::graph::{Builder, Graph, NodeId, TracedFn};
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::nn::{batch_shape, describe, Layer};
use shapes::free_dims;
use crate::optim::Optimizer;
use crate::rng::Rng;
use crate::tensor::{DType, Tensor};
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
    pub fn loss(&self) -> &LossFn {
        &self.heads[0].loss
    }
    pub fn metrics(&self) -> &[(MetricFn, String)] {
        &self.heads[0].metrics
    }
    /// The log keys, in the order the step computes them: "loss" (the weighted total), then for
    /// several outputs each output's loss ("dense_2_loss"), then each output's metrics (prefixed
    /// with the output's name when there are several), as TF.js names them.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = vec!["loss".to_string()];
        if self.heads.len() == 1 {
            keys.extend(self.heads[0].metrics.iter().map(|(_, k)| k.clone()));
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

/// Where a functional model's layer call takes an input from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ref {
    /// The model's i-th input.
    Input(usize),
    /// Output j of the k-th call node (j is 0 except for layers with several outputs).
    Node(usize, usize),
}

pub struct ModelInput {
    /// The InputLayer's index in `layers`.
    pub layer: usize,
    pub shape: Vec<usize>,
    pub dtype: DType,
}

/// One call of a layer in a functional model (a shared layer has several).
pub struct CallNode {
    pub layer: usize,
    pub inputs: Vec<Ref>,
    /// Every output's feature shape (one for most layers).
    pub out_shapes: Vec<Vec<usize>>,
}

/// A functional model's graph of layer calls, in an order where every call follows its inputs.
/// Several inputs arrive packed side by side in one [batch, total] float tensor (and several
/// targets likewise), so the trainer and both devices move one x and one y as before.
pub struct Topology {
    pub inputs: Vec<ModelInput>,
    pub nodes: Vec<CallNode>,
    pub outputs: Vec<Ref>,
}

/// Splits a packed [batch, total] tensor into parts of the given feature shapes and dtypes.
fn unpack(g: &mut Graph, x: NodeId, parts: &[(Vec<usize>, DType)]) -> Result<Vec<NodeId>> {
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
fn pack(g: &mut Graph, outs: &[NodeId]) -> Result<NodeId> {
    let mut flat = vec![];
    for &o in outs {
        let s = g.shape_of(o);
        let n: usize = s[1..].iter().product();
        flat.push(g.reshape(o, &[s[0], n])?);
    }
    g.apply(crate::ops::Op::Concat { axis: 1 }, &flat)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PlanKind {
    Train,
    Eval,
    Predict,
    /// The training-mode forward pass alone (dropout on): per-step functions see its output.
    Forward,
    /// A training step whose loss weights each sample (fit's classWeight): a third input.
    TrainWeighted,
}

impl PlanKind {
    fn trains(self) -> bool {
        matches!(self, PlanKind::Train | PlanKind::TrainWeighted)
    }
}

/// A step's graph before planning: the loss and metric nodes (or the prediction) and the
/// gradient node of each trained weight.
pub struct StepGraph {
    pub graph: Graph,
    pub outputs: Vec<NodeId>,
    pub grads: Vec<(usize, NodeId)>,
    /// For training steps: the new values of state weights (moving statistics), by weight index.
    pub updates: Vec<(usize, NodeId)>,
}

impl StepGraph {
    /// Gives each state update a buffer of its own, so every device can copy it into its
    /// weight after the step.
    fn finish(mut graph: Graph, outputs: Vec<NodeId>, grads: Vec<(usize, NodeId)>, mut updates: Vec<(usize, NodeId)>) -> Result<StepGraph> {
        let mut ups: Vec<NodeId> = updates.iter().map(|u| u.1).collect();
        crate::graph::plan::materialize(&mut graph, &mut ups)?;
        for (u, n) in updates.iter_mut().zip(ups) {
            u.1 = n;
        }
        Ok(StepGraph { graph, outputs, grads, updates })
    }
}

/// Keras 3's gradient clipping, as graph ops (so both backends run it inside the step).
fn clip_gradients(g: &mut Graph, grads: Vec<NodeId>, clip: crate::optim::Clip) -> Result<Vec<NodeId>> {
    use crate::optim::Clip;
    let sq_norm = |g: &mut Graph, d: NodeId| -> Result<NodeId> {
        let sq = g.unary(crate::ops::Unary::Square, d)?;
        let rank = g.shape_of(sq).len();
        let axes: Vec<usize> = (0..rank).collect();
        g.sum(sq, &axes, false)
    };
    // d · c / max(norm, c): unchanged when the norm is within c.
    let scale = |g: &mut Graph, d: NodeId, sq: NodeId, c: f32| -> Result<NodeId> {
        let norm = g.unary(crate::ops::Unary::Sqrt, sq)?;
        let cn = g.scalar(c)?;
        let m = g.binary(crate::ops::Binary::Maximum, norm, cn)?;
        let f = g.div(cn, m)?;
        g.mul(d, f)
    };
    match clip {
        Clip::Value(v) => grads.into_iter().map(|d| g.clip(d, -v, v)).collect(),
        Clip::Norm(c) => grads
            .into_iter()
            .map(|d| {
                let sq = sq_norm(g, d)?;
                scale(g, d, sq, c)
            })
            .collect(),
        Clip::GlobalNorm(c) => {
            let mut total = None;
            for &d in &grads {
                let sq = sq_norm(g, d)?;
                total = Some(match total {
                    Some(t) => g.add(t, sq)?,
                    None => sq,
                });
            }
            let Some(total) = total else { return Ok(grads) };
            grads.into_iter().map(|d| scale(g, d, total, c)).collect()
        }
    }
}

pub struct StepPlan {
    pub plan: Plan,
    /// For Train and Eval: the loss node, then one node per metric. For Predict: the output.
    pub outputs: Vec<NodeId>,
    /// For Train: the gradient node of each trainable weight, with the weight's index.
    pub grads: Vec<(usize, NodeId)>,
    /// For Train: state weights written after the step (see [`StepGraph::updates`]).
    pub updates: Vec<(usize, NodeId)>,
}

/// Plans are cached per kind, batch size, variant of the layers (free input dims) and label
/// signature (hashed, so a lookup allocates nothing).
type PlanKey = (PlanKind, usize, u64);

const MAX_CACHED_PLANS: usize = 32;

fn plan_key(kind: PlanKind, batch: usize, y_feat: &[usize], y_dtype: DType, shape_tag: u64) -> PlanKey {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    shape_tag.hash(&mut h);
    y_feat.hash(&mut h);
    y_dtype.hash(&mut h);
    (kind, batch, h.finish())
}

pub struct Sequential {
    pub layers: Vec<LayerEntry>,
    pub input_shape: Option<Vec<usize>>,
    pub input_dtype: DType,
    pub weights: Vec<Weight>,
    pub compiled: Option<Compiled>,
    pub rng: Rng,
    plans: HashMap<PlanKey, StepPlan>,
    /// The training state on the GPU while the model trains there (the weights above mirror it).
    pub gpu: Option<gpu::GpuModel>,
    /// A functional model's graph (None: the layers form a chain).
    pub topo: Option<Topology>,
    /// For several outputs: the feature shape and dtype of each output's targets, which arrive
    /// packed in one y.
    pub y_layout: Vec<(Vec<usize>, DType)>,
    /// Inputs with free dims (null steps): the variants of the layers built for each input
    /// shape seen (see [`shapes`]).
    pub free: Option<shapes::FreeDims>,
}

impl Sequential {
    pub fn new(seed: u64) -> Sequential {
        Sequential {
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
    ) -> Result<Sequential> {
        let mut m = Sequential::new(seed);
        let mut model_inputs = vec![];
        let mut free_mask = vec![];
        for &(li, dtype) in &inputs {
            let layer = layers.get_mut(li).ok_or_else(|| Error::arg("model", format!("input layer index {li} is out of range")))?;
            if layer.class_name() != "InputLayer" {
                return Err(Error::arg("model", format!("the model's inputs must be InputLayers (tf.input), received {}", describe(layer.as_ref()))));
            }
            let shape = layer.build(&[])?.1;
            free_mask.push(free_dims(layer.as_ref()));
            model_inputs.push(ModelInput { layer: li, shape, dtype });
        }
        if model_inputs.is_empty() {
            return Err(Error::arg("model", "a model needs at least one input"));
        }
        let wired: Vec<(usize, Vec<usize>)> = model_inputs.iter().map(|i| (i.layer, i.shape.clone())).collect();
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
            let mut idx = vec![];
            for s in specs {
                let value = match s.seed {
                    Some(seed) => s.init.sample(&s.shape, &mut Rng::new(seed)),
                    None => s.init.sample(&s.shape, &mut m.rng),
                };
                m.weights.push(Weight { name: s.name, value, trainable: s.trainable, state: !s.trainable, carry: false, regularizer: s.regularizer, constraint: s.constraint });
                idx.push(m.weights.len() - 1);
            }
            let carries = m.push_carries(layer.as_ref());
            m.layers.push(LayerEntry { layer, in_shape: in_shapes[0].clone(), in_shapes, out_shape: out_shapes[0].clone(), out_shapes, weights: idx, carries, trainable: true });
        }
        if model_inputs.len() == 1 {
            m.input_shape = Some(model_inputs[0].shape.clone());
            m.input_dtype = model_inputs[0].dtype;
        } else {
            m.input_shape = Some(vec![model_inputs.iter().map(|i| i.shape.iter().product::<usize>()).sum()]);
            m.input_dtype = DType::F32;
        }
        m.topo = Some(Topology { inputs: model_inputs, nodes: call_nodes, outputs });
        m.set_free(free_mask)?;
        Ok(m)
    }

    /// The feature shape of each model output.
    pub fn output_shapes(&self) -> Result<Vec<Vec<usize>>> {
        match &self.topo {
            None => Ok(vec![self.output_shape_chain()?]),
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
            None => self.layers.last(),
            Some(t) => match *t.outputs.get(j)? {
                Ref::Input(i) => self.layers.get(t.inputs[i].layer),
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

    /// Runs a functional model's calls; the chain of a Sequential model otherwise. One node
    /// per model output.
    pub fn forward_all(&self, g: &mut Graph, x: NodeId, params: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        let Some(t) = &self.topo else {
            return Ok(vec![self.forward(g, x, params, training)?]);
        };
        let ins = if t.inputs.len() == 1 {
            vec![x]
        } else {
            let parts: Vec<(Vec<usize>, DType)> = t.inputs.iter().map(|i| (i.shape.clone(), i.dtype)).collect();
            unpack(g, x, &parts)?
        };
        let mut vals: Vec<Vec<NodeId>> = Vec::with_capacity(t.nodes.len());
        // Each call's first output's mask (Keras masking; see `forward`).
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

    /// Adds a layer, building it at once when the input shape is known (TF.js does the same).
    pub fn add(&mut self, mut layer: Box<dyn Layer>, input_shape: Option<Vec<usize>>) -> Result<()> {
        let in_shape = match (self.layers.last(), input_shape) {
            (Some(prev), _) => prev.out_shape.clone(),
            (None, Some(s)) => s,
            (None, None) => {
                return Err(Error::arg(
                    describe(layer.as_ref()),
                    "the first layer in a Sequential model must get an inputShape or batchInputShape argument",
                ));
            }
        };
        if layer.class_name() == "InputLayer" && !self.layers.is_empty() {
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
        let mut idx = vec![];
        for s in specs {
            let value = match s.seed {
                Some(seed) => s.init.sample(&s.shape, &mut Rng::new(seed)),
                None => s.init.sample(&s.shape, &mut self.rng),
            };
            self.weights.push(Weight { name: s.name, value, trainable: s.trainable, state: !s.trainable, carry: false, regularizer: s.regularizer, constraint: s.constraint });
            idx.push(self.weights.len() - 1);
        }
        if self.layers.is_empty() {
            self.input_shape = Some(in_shape.clone());
        }
        let carries = self.push_carries(layer.as_ref());
        self.layers.push(LayerEntry { layer, in_shapes: vec![in_shape.clone()], in_shape, out_shapes: vec![out_shape.clone()], out_shape, weights: idx, carries, trainable: true });
        self.plans.clear();
        self.gpu = None;
        Ok(())
    }

    /// Creates a layer's carried states (zeros) in the weight store; returns their indices.
    fn push_carries(&mut self, layer: &dyn Layer) -> Vec<usize> {
        let mut idx = vec![];
        for (name, shape) in layer.carries() {
            self.weights.push(Weight { name, value: Tensor::zeros(&shape), trainable: false, state: true, carry: true, regularizer: None, constraint: None });
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
                return Err(Error::shape(&owner, format!("setStates: state '{}' has shape {}, received {}", self.weights[w].name, fmt_shape(&self.weights[w].value.shape), fmt_shape(&t.shape))));
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

    /// The output's feature shape; several outputs arrive packed as [total].
    pub fn output_shape(&self) -> Result<Vec<usize>> {
        let shapes = self.output_shapes()?;
        if shapes.len() == 1 {
            return Ok(shapes.into_iter().next().unwrap());
        }
        Ok(vec![shapes.iter().map(|s| s.iter().product::<usize>()).sum()])
    }

    fn output_shape_chain(&self) -> Result<Vec<usize>> {
        self.layers.last().map(|l| l.out_shape.clone()).ok_or_else(|| Error::arg("Sequential", "the model has no layers"))
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
        if let Some(t) = &self.topo {
            // A single input: every layer that reads it directly checks it (several inputs
            // arrive packed; their layers check nothing here).
            if t.inputs.len() == 1 {
                for n in t.nodes.iter().filter(|n| n.inputs == [Ref::Input(0)]) {
                    let l = &self.layers[n.layer].layer;
                    l.check_input_values(x).map_err(|e| e.within(op))?;
                }
            }
            return Ok(());
        }
        match self.layers.first() {
            Some(first) => first.layer.check_input_values(x).map_err(|e| e.within(op)),
            None => Ok(()),
        }
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

    /// Adds the forward pass to `g`. `params` maps weight index to its graph node.
    pub fn forward(&self, g: &mut Graph, x: NodeId, params: &[NodeId], training: bool) -> Result<NodeId> {
        let mut h = x;
        // Keras masking: the mask of the current tensor (from an Embedding with maskZero or a
        // Masking layer), passed along by the layers that keep the steps.
        let mut mask = None;
        for entry in &self.layers {
            let w: Vec<NodeId> = entry.weights.iter().chain(&entry.carries).map(|&i| params[i]).collect();
            // Keras 3: a frozen BatchNormalization runs in inference mode (moving statistics used,
            // none updated); other frozen layers keep their training behaviour.
            let train_layer = training && (entry.trainable || !entry.layer.frozen_runs_inference());
            let within = |e: Error| e.within(&describe(entry.layer.as_ref()));
            let next_mask = entry.layer.compute_mask(g, &[h], mask).map_err(within)?;
            h = if mask.is_some() {
                entry.layer.call_masked(g, &[h], mask, &w, train_layer).map_err(within)?[0]
            } else {
                entry.layer.call(g, h, &w, train_layer).map_err(within)?
            };
            mask = next_mask;
        }
        Ok(h)
    }

    /// True when a compiled loss or metric must be recorded on every step.
    pub fn per_step(&self) -> bool {
        self.compiled
            .as_ref()
            .is_some_and(|c| c.heads.iter().any(|h| matches!(h.loss, LossFn::PerStep(_)) || h.metrics.iter().any(|(m, _)| matches!(m, MetricFn::PerStep))))
    }

    /// The loss node (a scalar: each output's mean loss over samples, weighted by `sample_w`
    /// when given, summed with the outputs' loss weights), then each output's loss when there
    /// are several, then each output's metrics (never weighted, as in TF.js). `ys` and `ps` hold
    /// one node per output.
    fn loss_and_metrics(
        &self,
        g: &mut Graph,
        ys: &[NodeId],
        ps: &[NodeId],
        fns: Option<&StepFns>,
        sample_w: Option<NodeId>,
    ) -> Result<Vec<NodeId>> {
        let c = self.compiled.as_ref().ok_or_else(|| {
            Error::arg("fit", "the model must be compiled before training or evaluation: call model.compile({optimizer, loss})")
        })?;
        let reduce_loss = |g: &mut Graph, v: NodeId, what: &str| -> Result<NodeId> {
            let Some(w) = sample_w else { return g.mean_all(v) };
            let (vs, batch) = (g.shape_of(v), g.shape_of(w)[0]);
            if vs.first() != Some(&batch) {
                return Err(Error::arg(
                    what,
                    format!("classWeight needs a loss that gives one value per sample, this one gives shape {}", fmt_shape(&vs)),
                ));
            }
            let mut ws = vec![batch];
            ws.extend(std::iter::repeat_n(1, vs.len() - 1));
            let wr = g.reshape(w, &ws)?;
            let weighted = g.mul(v, wr)?;
            g.mean_all(weighted)
        };
        // Without a recording (evaluate, predict-time checks) a per-step value is NaN here and
        // filled in by the JS side, which calls the function itself.
        let missing = |g: &mut Graph| g.scalar(f32::NAN);
        let mut losses = vec![];
        let mut metrics = vec![];
        for (j, head) in c.heads.iter().enumerate() {
            let (y, p) = (ys[j], ps[j]);
            let instantiate = |g: &mut Graph, f: &TracedFn, what: &str| f.instantiate(g, &[y, p]).map_err(|e| e.within(what));
            losses.push(match &head.loss {
                LossFn::Builtin(l, opts) => {
                    let v = l.per_sample_with(g, y, p, *opts)?;
                    reduce_loss(g, v, l.name())?
                }
                LossFn::Traced(name, f) => {
                    let what = format!("loss '{name}'");
                    let v = instantiate(g, f, &what)?;
                    reduce_loss(g, v, &what)?
                }
                LossFn::PerStep(name) => match fns.and_then(|f| f.loss.as_ref()) {
                    Some(f) if j == 0 => {
                        let what = format!("loss '{name}'");
                        let v = instantiate(g, f, &what)?;
                        reduce_loss(g, v, &what)?
                    }
                    _ => missing(g)?,
                },
            });
            for (i, (m, key)) in head.metrics.iter().enumerate() {
                let traced = |g: &mut Graph, f: &TracedFn| -> Result<NodeId> {
                    let v = instantiate(g, f, &format!("metric '{key}'"))?;
                    g.mean_all(v)
                };
                metrics.push(match m {
                    MetricFn::Builtin(m) => m.mean(g, y, p)?,
                    MetricFn::Traced(f) => traced(g, f)?,
                    MetricFn::PerStep => match fns.and_then(|f| f.metrics.get(i)).and_then(|f| f.as_ref()) {
                        Some(f) if j == 0 => traced(g, f)?,
                        _ => missing(g)?,
                    },
                });
            }
        }
        let mut out = if losses.len() == 1 {
            vec![losses[0]]
        } else {
            let mut total = None;
            for (l, h) in losses.iter().zip(&c.heads) {
                let w = if h.weight == 1.0 { *l } else { g.mul_scalar(*l, h.weight)? };
                total = Some(match total {
                    Some(t) => g.add(t, w)?,
                    None => w,
                });
            }
            let mut v = vec![total.unwrap()];
            v.extend(losses);
            v
        };
        out.extend(metrics);
        Ok(out)
    }

    /// Takes the cached plan for `kind` at `batch` out of the cache (building it on first use),
    /// so the caller can run it against the weights; give it back with [`Self::put_plan`].
    pub fn take_plan(&mut self, kind: PlanKind, batch: usize, y_shape: &[usize], y_dtype: DType) -> Result<StepPlan> {
        match self.plans.remove(&plan_key(kind, batch, y_shape, y_dtype, self.shape_tag())) {
            Some(p) => Ok(p),
            None => self.build_plan(kind, batch, y_shape, y_dtype, None),
        }
    }

    pub fn put_plan(&mut self, kind: PlanKind, batch: usize, y_shape: &[usize], y_dtype: DType, plan: StepPlan) {
        // Bounded: a program that predicts on ever new batch sizes must not grow memory forever.
        if self.plans.len() >= MAX_CACHED_PLANS {
            self.plans.clear();
        }
        self.plans.insert(plan_key(kind, batch, y_shape, y_dtype, self.shape_tag()), plan);
    }

    /// Builds a plan. With `fns`, per-step functions use this step's recordings (such a plan is
    /// used once and not cached).
    pub fn build_plan(&self, kind: PlanKind, batch: usize, y_feat: &[usize], y_dtype: DType, fns: Option<&StepFns>) -> Result<StepPlan> {
        let sg = self.step_graph(kind, batch, y_feat, y_dtype, fns)?;
        let mut all = sg.outputs.clone();
        all.extend(sg.grads.iter().map(|&(_, n)| n));
        all.extend(sg.updates.iter().map(|&(_, n)| n));
        let plan = Plan::new(sg.graph, &all)?;
        Ok(StepPlan { plan, outputs: sg.outputs, grads: sg.grads, updates: sg.updates })
    }

    /// The graph of one step of `kind` (any device plans it).
    pub fn step_graph(&self, kind: PlanKind, batch: usize, y_feat: &[usize], y_dtype: DType, fns: Option<&StepFns>) -> Result<StepGraph> {
        let mut g = Graph::new();
        let mut xs = vec![batch];
        xs.extend(self.input_feature_shape()?);
        let x = g.input(0, &xs, self.input_dtype);
        let params: Vec<NodeId> = self.weights.iter().enumerate().map(|(i, w)| g.param(i, &w.value.shape)).collect();
        let outs = self.forward_all(&mut g, x, &params, kind.trains() || kind == PlanKind::Forward)?;
        let mut p = if outs.len() == 1 { outs[0] } else { pack(&mut g, &outs)? };
        // A model whose output is its input (only weightless reshaping layers) still needs a
        // step that writes the output buffer: copy it.
        let mut root = p;
        while let crate::ops::Op::Reshape { .. } = g.nodes[root].op {
            root = g.nodes[root].inputs[0];
        }
        if g.nodes[root].inputs.is_empty() {
            p = g.apply(crate::ops::Op::Cast { dtype: DType::F32 }, &[p])?;
        }
        if matches!(kind, PlanKind::Predict | PlanKind::Forward) {
            // A stateful layer's carried states move on in predict too (as in Keras); the
            // Forward pass that previews a training step records none (its step will).
            let updates = if kind == PlanKind::Predict { std::mem::take(&mut g.updates) } else { vec![] };
            return StepGraph::finish(g, vec![p], vec![], updates);
        }
        let mut ys = vec![batch];
        ys.extend_from_slice(y_feat);
        let y = g.input(1, &ys, y_dtype);
        let sample_w = (kind == PlanKind::TrainWeighted).then(|| g.input(2, &[batch], DType::F32));
        let (y_parts, p_parts) = if outs.len() == 1 {
            (vec![y], vec![p])
        } else {
            if self.y_layout.len() != outs.len() {
                return Err(Error::arg("fit", format!("the model has {} outputs, received targets for {}", outs.len(), self.y_layout.len())));
            }
            (unpack(&mut g, y, &self.y_layout)?, outs)
        };
        let mut outputs = self.loss_and_metrics(&mut g, &y_parts, &p_parts, fns, sample_w)?;
        // Weight penalties join the training loss (trained and reported), not evaluate's or
        // validation's, as in TF.js.
        for (w, &node) in self.weights.iter().zip(&params) {
            if let (Some(r), true) = (w.regularizer, kind.trains()) {
                let pen = r.penalty(&mut g, node)?;
                outputs[0] = g.add(outputs[0], pen)?;
            }
        }
        let mut grads = vec![];
        if kind.trains() {
            let trainable: Vec<usize> = (0..self.weights.len()).filter(|&i| self.weights[i].trainable).collect();
            let wrt: Vec<NodeId> = trainable.iter().map(|&i| params[i]).collect();
            let mut d = grad(&mut g, outputs[0], &wrt)?;
            if let Some(clip) = self.compiled.as_ref().and_then(|c| c.optimizer.clip) {
                d = clip_gradients(&mut g, d, clip)?;
            }
            grads = trainable.into_iter().zip(d).collect();
        }
        // Moving statistics are recorded only by layers in training mode (a frozen layer records
        // none); stateful layers' carried states in every step.
        let updates = std::mem::take(&mut g.updates);
        StepGraph::finish(g, outputs, grads, updates)
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

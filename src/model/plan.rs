//! The planned steps: the graph of one train, evaluate or predict step (forward pass, loss and
//! metrics, gradients, gradient clipping, state updates), planned once per kind, batch size,
//! layer variant and label signature and cached on the model (DESIGN.md §2).

use super::{forward::pack, forward::unpack, LayersModel, LossFn, MetricFn, StepFns};
use crate::error::{fmt_shape, Error, OrInternal, Result};
use crate::graph::autodiff::grad;
use crate::graph::plan::Plan;
use crate::graph::{Builder, Graph, NodeId, TracedFn};
use crate::tensor::DType;

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
    pub(super) fn trains(self) -> bool {
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
pub(super) type PlanKey = (PlanKind, usize, u64);

pub(super) const MAX_CACHED_PLANS: usize = 32;

pub(super) fn plan_key(kind: PlanKind, batch: usize, y_feat: &[usize], y_dtype: DType, shape_tag: u64) -> PlanKey {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    shape_tag.hash(&mut h);
    y_feat.hash(&mut h);
    y_dtype.hash(&mut h);
    (kind, batch, h.finish())
}

impl LayersModel {
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
            let mut v = vec![total.or_internal("loss", "a model with several outputs has no losses")?];
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

    /// Replaces the functions added with `layer.addLoss` (each recorded with every layer's
    /// weights as its inputs, in layer order); steps are planned again.
    pub fn set_added_losses(&mut self, fns: Vec<TracedFn>) -> Result<()> {
        let n: usize = self.layers.iter().map(|e| e.weights.len()).sum();
        for (k, f) in fns.iter().enumerate() {
            if f.inputs.len() != n {
                return Err(Error::arg("fit", format!("addLoss function {k} was recorded on {} weights, the model has {n}", f.inputs.len())));
            }
        }
        self.added_losses = fns;
        self.plans.clear();
        self.gpu = None;
        Ok(())
    }

    /// Adds each addLoss function's scalar to the training loss.
    fn add_added_losses(&self, g: &mut Graph, params: &[NodeId], loss: &mut NodeId) -> Result<()> {
        if self.added_losses.is_empty() {
            return Ok(());
        }
        let order: Vec<NodeId> = self.layers.iter().flat_map(|e| e.weights.iter().map(|&i| params[i])).collect();
        for (k, f) in self.added_losses.iter().enumerate() {
            let what = format!("addLoss function {k}");
            let v = f.instantiate(g, &order).map_err(|e| e.within(&what))?;
            let shape = g.shape_of(v);
            if !shape.is_empty() {
                return Err(Error::shape(what, format!("must return a scalar, it returned shape {}", fmt_shape(&shape))));
            }
            *loss = g.add(*loss, v)?;
        }
        Ok(())
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
                return Err(Error::arg(
                    "fit",
                    format!("the model has {} outputs, received targets for {}", outs.len(), self.y_layout.len()),
                ));
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
        if kind.trains() {
            self.add_added_losses(&mut g, &params, &mut outputs[0])?;
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
}

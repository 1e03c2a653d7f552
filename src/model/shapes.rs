//! Building a model's layers for its input shapes: the wiring of a functional model's calls
//! (each layer built at its first call), and, for inputs with free dims (TF.js's
//! `inputShape: [null, 8]`), one build of the layers per input shape a run brings (a variant),
//! over the same weights. RandomWidth layers make variants too: a training step builds the
//! layers for the widths drawn from its seed, inference uses the variant where they pass their
//! input through. A variant is made the first time it is needed and kept; the planned steps are
//! cached per variant as per batch size (see [`LayersModel::shape_tag`]).

use super::{CallNode, LayersModel, Ref};
use crate::error::{Error, OrInternal, Result};
use crate::nn::{self, batch_shape, describe, free, Layer, WeightSpec};
use std::collections::HashMap;

/// What building a layer gave: its weights, and the shapes of its inputs and outputs.
pub type Built = (Vec<WeightSpec>, Vec<Vec<usize>>, Vec<Vec<usize>>);

/// Builds each layer of a functional model at its first call, in call order: `inputs` gives
/// each model input's InputLayer index and shape, `nodes` each call's layer and inputs. Returns
/// what each layer's build gave (None for a layer no call reaches) and the call nodes.
pub fn wire(layers: &mut [Box<dyn Layer>], inputs: &[(Option<usize>, Vec<usize>)], nodes: Vec<(usize, Vec<Ref>)>) -> Result<(Vec<Option<Built>>, Vec<CallNode>)> {
    let mut built: Vec<Option<Built>> = (0..layers.len()).map(|_| None).collect();
    for (li, shape) in inputs {
        if let Some(li) = *li {
            built[li] = Some((vec![], vec![shape.clone()], vec![shape.clone()]));
        }
    }
    let mut calls: Vec<CallNode> = vec![];
    for (k, (li, refs)) in nodes.into_iter().enumerate() {
        let mut shapes = vec![];
        for r in &refs {
            shapes.push(match *r {
                Ref::Input(i) if i < inputs.len() => inputs[i].1.clone(),
                Ref::Node(j, o) if j < k && o < calls[j].out_shapes.len() => calls[j].out_shapes[o].clone(),
                _ => return Err(Error::arg("model", format!("layer call {k} reads {r:?}, which does not come before it"))),
            });
        }
        let layer = layers.get_mut(li).ok_or_else(|| Error::arg("model", format!("layer index {li} is out of range")))?;
        if refs.is_empty() || layer.class_name() == "InputLayer" {
            return Err(Error::arg(describe(layer.as_ref()), "cannot be called on other layers' outputs"));
        }
        let out = match &built[li] {
            Some((_, first, out)) => {
                if *first != shapes {
                    let txt = |v: &[Vec<usize>]| v.iter().map(|s| batch_shape(s)).collect::<Vec<_>>().join(", ");
                    return Err(Error::shape(
                        describe(layer.as_ref()),
                        format!("a shared layer must get inputs of the same shapes at every call: first called on {}, now on {}", txt(first), txt(&shapes)),
                    ));
                }
                out.clone()
            }
            None => {
                let (specs, first) = layer.build_multi(&shapes)?;
                for s in &specs {
                    crate::tensor::shape::checked_numel(&describe(layer.as_ref()), &s.shape)?;
                }
                let mut out = vec![first];
                out.extend(layer.extra_outputs());
                for o in &out {
                    crate::tensor::shape::checked_numel(&describe(layer.as_ref()), o)?;
                }
                built[li] = Some((specs, shapes, out.clone()));
                out
            }
        };
        calls.push(CallNode { layer: li, inputs: refs, out_shapes: out });
    }
    Ok((built, calls))
}

/// Which feature dims of an InputLayer (or a first layer's batchInputShape) are null.
pub fn free_dims(layer: &dyn Layer) -> Vec<bool> {
    let cfg = layer.config();
    match (cfg.get("batchInputShape"), cfg.get("inputShape")) {
        (Some(serde_json::Value::Array(a)), _) => a.iter().skip(1).map(|d| d.is_null()).collect(),
        (None, Some(serde_json::Value::Array(a))) => a.iter().map(|d| d.is_null()).collect(),
        _ => vec![],
    }
}

/// One build of the layers for one input shape.
struct Variant {
    layers: Vec<Box<dyn Layer>>,
    in_shapes: Vec<Vec<Vec<usize>>>,
    out_shapes: Vec<Vec<Vec<usize>>>,
    node_outs: Vec<Vec<Vec<usize>>>,
}

/// A model's free input dims, its RandomWidth layers' widths, and the variants built so far.
pub struct FreeDims {
    /// Per model input, which feature dims are free.
    pub mask: Vec<Vec<bool>>,
    /// The input shapes the layers are built for now.
    pub current: Vec<Vec<usize>>,
    /// The widths the RandomWidth layers resize to now (a training step's draw; empty: the
    /// inference variant, where they pass their input through).
    pub widths: Vec<usize>,
    /// Whether the model has RandomWidth layers.
    random: bool,
    parked: HashMap<(Vec<Vec<usize>>, Vec<usize>), Variant>,
    /// Each layer's input and output shapes with the free dims as None (summary, the JS shapes).
    pub shown_in: Vec<Vec<Vec<Option<usize>>>>,
    pub shown_out: Vec<Vec<Vec<Option<usize>>>>,
    tag: u64,
}

/// At most this many variants are kept besides the current one (a variant is only the layer
/// objects and their shapes; a RandomWidth layer over wide images makes one per width drawn).
const MAX_PARKED: usize = 64;

fn tag_of(shapes: &[Vec<usize>], widths: &[usize]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    shapes.hash(&mut h);
    widths.hash(&mut h);
    h.finish() | 1
}

impl LayersModel {
    /// The feature shape of each model input.
    pub fn input_shapes(&self) -> Vec<Vec<usize>> {
        match &self.topo {
            Some(t) => t.inputs.iter().map(|i| i.shape.clone()).collect(),
            None => self.input_shape.iter().cloned().collect(),
        }
    }

    /// The layer that stands for model input `i` in messages: its InputLayer, else the first
    /// layer that reads it.
    pub fn input_owner(&self, i: usize) -> &dyn Layer {
        let t = self.topo.as_ref();
        let li = t.and_then(|t| t.inputs.get(i)?.layer.or_else(|| t.nodes.iter().find(|n| n.inputs.contains(&Ref::Input(i))).map(|n| n.layer)));
        self.layers[li.unwrap_or(0)].layer.as_ref()
    }

    /// Adds a layer to a Sequential model; `dims` is the input shape a first layer declares, free dims as
    /// None. A layer whose weights would depend on a free dim is refused and not added.
    pub fn add_with_free(&mut self, layer: Box<dyn Layer>, dims: Option<Vec<Option<usize>>>) -> Result<()> {
        let first = self.layers.is_empty();
        let (nl, nw, topo) = (self.layers.len(), self.weights.len(), self.topo.clone());
        let mask = match (&self.free, &dims) {
            (_, Some(d)) if first => vec![d.iter().map(|x| x.is_none()).collect::<Vec<_>>()],
            (Some(fd), _) => fd.mask.clone(),
            _ => vec![],
        };
        self.add(layer, dims.map(|d| free::fill(&d, free::STAND_IN)))?;
        let random = self.layers.iter().any(|e| e.layer.random_width().is_some());
        if random || mask.iter().flatten().any(|&f| f) {
            let kept = self.free.as_ref().map(|f| f.mask.clone());
            let mask = if mask.is_empty() { self.input_shapes().iter().map(|s| vec![false; s.len()]).collect() } else { mask };
            if let Err(e) = self.set_free(mask) {
                self.layers.truncate(nl);
                self.weights.truncate(nw);
                self.topo = topo;
                if let Some(m) = kept {
                    self.set_free(m)?;
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Which variant of the layers the planned steps are for (0 without free dims).
    pub fn shape_tag(&self) -> u64 {
        self.free.as_ref().map_or(0, |f| f.tag)
    }

    /// Declares the free dims of each input (`mask`), after the layers are built at the stand-in
    /// size: builds them at a second size to learn which dims of every layer's shapes are free
    /// (and that no weight depends on one). Called again after a layer is added.
    pub fn set_free(&mut self, mask: Vec<Vec<bool>>) -> Result<()> {
        self.free = None;
        let random = self.layers.iter().any(|e| e.layer.random_width().is_some());
        if !random && !mask.iter().flatten().any(|&f| f) {
            return Ok(());
        }
        let current = self.input_shapes();
        if mask.len() != current.len() || mask.iter().zip(&current).any(|(m, s)| m.len() != s.len()) {
            return Err(Error::arg("model", "the free dims do not match the model's inputs"));
        }
        let at = |size: usize| -> Vec<Vec<usize>> {
            current.iter().zip(&mask).map(|(s, m)| s.iter().zip(m).map(|(&d, &f)| if f { size } else { d }).collect()).collect()
        };
        let sizes = [at(free::STAND_IN), at(free::PROBE)];
        let some = |v: &Vec<Vec<usize>>| -> Vec<Vec<Option<usize>>> { v.iter().map(|s| s.iter().map(|&d| Some(d)).collect()).collect() };
        let shown_in = self.layers.iter().map(|e| some(&e.in_shapes)).collect();
        let shown_out = self.layers.iter().map(|e| some(&e.out_shapes)).collect();
        let tag = tag_of(&current, &[]);
        self.free = Some(FreeDims { mask, current: current.clone(), widths: vec![], random, parked: HashMap::new(), shown_in, shown_out, tag });
        let res = self.probe_free(&sizes, &current);
        if res.is_err() {
            self.free = None;
        }
        res
    }

    /// Builds the layers at both sizes and marks the dims that differ as free.
    /// With RandomWidth layers, the widths after them are free too (a training step at other
    /// widths is built to see which, and that no weight depends on them).
    fn probe_free(&mut self, sizes: &[Vec<Vec<usize>>; 2], current: &[Vec<usize>]) -> Result<()> {
        let mut seen = vec![];
        for s in sizes {
            self.use_input_shapes(s)?;
            seen.push(self.layers.iter().map(|e| (e.in_shapes.clone(), e.out_shapes.clone())).collect::<Vec<_>>());
            if self.free.as_ref().is_some_and(|f| f.random) {
                let widths: Vec<usize> = self.layers.iter().filter(|e| e.layer.random_width().is_some()).map(|e| e.in_shape[1] + 1).collect();
                self.use_variant(s.clone(), widths)?;
                seen.push(self.layers.iter().map(|e| (e.in_shapes.clone(), e.out_shapes.clone())).collect::<Vec<_>>());
            }
        }
        self.use_input_shapes(current)?;
        let fd = self.free.as_mut().or_internal("model", "no free-dimension state")?;
        for i in 0..seen[0].len() {
            let (mut a_in, mut a_out) = (free::merge(&seen[0][i].0, &seen[1][i].0), free::merge(&seen[0][i].1, &seen[1][i].1));
            for other in &seen[2..] {
                let known = |v: &Vec<Vec<Option<usize>>>, w: &Vec<Vec<usize>>| -> Vec<Vec<Option<usize>>> {
                    v.iter().zip(w).map(|(x, y)| x.iter().zip(y).map(|(p, q)| p.filter(|p| p == q)).collect()).collect()
                };
                a_in = known(&a_in, &other[i].0);
                a_out = known(&a_out, &other[i].1);
            }
            fd.shown_in[i] = a_in;
            fd.shown_out[i] = a_out;
        }
        Ok(())
    }

    /// Builds the layers for a training step whose seed is `seed` (each RandomWidth layer
    /// resizes to a width drawn from it), or back for inference (`None`). A no-op for models
    /// without RandomWidth layers.
    pub fn use_train_widths(&mut self, seed: Option<u64>) -> Result<()> {
        let Some(fd) = &self.free else { return Ok(()) };
        if !fd.random {
            return Ok(());
        }
        let shapes = fd.current.clone();
        let Some(seed) = seed else { return self.use_variant(shapes, vec![]) };
        if !fd.widths.is_empty() {
            self.use_variant(shapes.clone(), vec![])?;
        }
        let widths: Vec<usize> = self
            .layers
            .iter()
            .filter_map(|e| e.layer.random_width().map(|r| (r, e.in_shape[1])))
            .enumerate()
            .map(|(k, (r, w))| r.draw(w, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(k as u64)))
            .collect();
        self.use_variant(shapes, widths)
    }

    /// Builds the layers for these input shapes (from the kept variants when seen before). A
    /// model without free dims is left as it is: the usual input checks apply.
    pub fn use_input_shapes(&mut self, shapes: &[Vec<usize>]) -> Result<()> {
        let Some(fd) = &self.free else { return Ok(()) };
        if fd.current == shapes && fd.widths.is_empty() {
            return Ok(());
        }
        if shapes.len() != fd.mask.len() {
            return Err(Error::arg("model", format!("expects {} input(s), received {}", fd.mask.len(), shapes.len())));
        }
        for (i, (s, m)) in shapes.iter().zip(&fd.mask).enumerate() {
            let fixed_ok = s.len() == m.len() && s.iter().zip(m).zip(&fd.current[i]).all(|((&d, &f), &c)| d >= 1 && (f || d == c));
            if !fixed_ok {
                let want: Vec<Option<usize>> = fd.current[i].iter().zip(m).map(|(&d, &f)| (!f).then_some(d)).collect();
                let first = describe(self.input_owner(i));
                return Err(Error::shape(
                    "model",
                    format!("{first} expected input of shape {}, received shape {}", free::batch_shape(&want), batch_shape(s)),
                ));
            }
        }
        self.use_variant(shapes.to_vec(), vec![])
    }

    /// Puts the variant for these input shapes and RandomWidth widths in place (built the first
    /// time, then kept).
    fn use_variant(&mut self, shapes: Vec<Vec<usize>>, widths: Vec<usize>) -> Result<()> {
        let fd = self.free.as_ref().or_internal("model", "no free-dimension state")?;
        if fd.current == shapes && fd.widths == widths {
            return Ok(());
        }
        let key = (shapes, widths);
        let parked = self.free.as_mut().or_internal("model", "no free-dimension state")?.parked.remove(&key);
        let v = match parked {
            Some(v) => v,
            None => self.build_variant(&key.0, &key.1)?,
        };
        let old = self.install(v);
        let fd = self.free.as_mut().or_internal("model", "no free-dimension state")?;
        let old_shapes = std::mem::replace(&mut fd.current, key.0);
        let old_widths = std::mem::replace(&mut fd.widths, key.1);
        fd.tag = tag_of(&fd.current, &fd.widths);
        if fd.parked.len() >= MAX_PARKED {
            fd.parked.clear();
        }
        fd.parked.insert((old_shapes, old_widths), old);
        Ok(())
    }

    /// The layers built afresh (from their configs) for `shapes`; every weight and carried state
    /// must keep its shape.
    fn build_variant(&self, shapes: &[Vec<usize>], widths: &[usize]) -> Result<Variant> {
        let mut layers = vec![];
        let mut drawn = widths.iter();
        for e in &self.layers {
            let mut cfg = e.layer.config();
            if e.layer.random_width().is_some() {
                if let Some(w) = drawn.next() {
                    cfg["__trainWidth"] = serde_json::json!(w);
                }
            }
            let l = match e.layer.duplicate() {
                Some(l) => l,
                None => nn::from_config(e.layer.class_name(), &cfg)
                    .map_err(|err| Error::arg(describe(e.layer.as_ref()), format!("cannot be built again for another input size: {err}")))?,
            };
            layers.push(l);
        }
        // Each layer's weight shapes, input shapes and output shapes.
        type Shapes = (Vec<Vec<usize>>, Vec<Vec<usize>>, Vec<Vec<usize>>);
        let mut built: Vec<Shapes> = vec![];
        let t = self.topo.as_ref().ok_or_else(|| Error::arg("Sequential", "the model has no layers"))?;
        let inputs: Vec<(Option<usize>, Vec<usize>)> = t.inputs.iter().zip(shapes).map(|(i, s)| (i.layer, s.clone())).collect();
        let nodes = t.nodes.iter().map(|n| (n.layer, n.inputs.clone())).collect();
        let (b, calls) = wire(&mut layers, &inputs, nodes)?;
        for (li, x) in b.into_iter().enumerate() {
            let (specs, ins, outs) = x.ok_or_else(|| Error::arg("model", format!("layer {li} is not connected to the model's inputs")))?;
            built.push((specs.into_iter().map(|s| s.shape).collect(), ins, outs));
        }
        let node_outs = calls.into_iter().map(|c| c.out_shapes).collect();
        for (i, e) in self.layers.iter().enumerate() {
            let have: Vec<&Vec<usize>> = e.weights.iter().map(|&w| &self.weights[w].value.shape).collect();
            let carried: Vec<Vec<usize>> = layers[i].carries().into_iter().map(|c| c.1).collect();
            let had: Vec<&Vec<usize>> = e.carries.iter().map(|&w| &self.weights[w].value.shape).collect();
            if built[i].0.iter().collect::<Vec<_>>() != have || carried.iter().collect::<Vec<_>>() != had {
                // The dims that differ between the two builds are the free ones.
                let shown = free::merge(&e.in_shapes, &built[i].1);
                return Err(free::free_weights_error(e.layer.as_ref(), &shown));
            }
        }
        let (in_shapes, out_shapes) = built.into_iter().map(|(_, i, o)| (i, o)).unzip();
        Ok(Variant { layers, in_shapes, out_shapes, node_outs })
    }

    /// Puts a variant's layers and shapes in place; returns the ones it replaced.
    fn install(&mut self, mut v: Variant) -> Variant {
        for (i, e) in self.layers.iter_mut().enumerate() {
            std::mem::swap(&mut e.layer, &mut v.layers[i]);
            std::mem::swap(&mut e.in_shapes, &mut v.in_shapes[i]);
            std::mem::swap(&mut e.out_shapes, &mut v.out_shapes[i]);
            e.in_shape = e.in_shapes[0].clone();
            e.out_shape = e.out_shapes[0].clone();
        }
        if let Some(t) = &mut self.topo {
            for (n, outs) in t.nodes.iter_mut().zip(v.node_outs.iter_mut()) {
                std::mem::swap(&mut n.out_shapes, outs);
            }
            for (i, inp) in t.inputs.iter_mut().enumerate() {
                // An InputLayer's shape, else the input shape of the first call that reads it.
                let shape = match inp.layer {
                    Some(l) => Some(self.layers[l].out_shapes[0].clone()),
                    None => t.nodes.iter().find_map(|n| {
                        let j = n.inputs.iter().position(|&r| r == Ref::Input(i))?;
                        Some(self.layers[n.layer].in_shapes[j].clone())
                    }),
                };
                if let Some(s) = shape {
                    inp.shape = s;
                }
            }
            self.input_shape = Some(if t.inputs.len() == 1 {
                t.inputs[0].shape.clone()
            } else {
                vec![t.inputs.iter().map(|i| i.shape.iter().product::<usize>()).sum()]
            });
        }
        v
    }

    /// Gives custom layer `index` its recording for one more batch size, in every variant (the
    /// kept ones copied it before it had this one).
    pub fn add_batch_trace(&mut self, index: usize, batch: usize, traced: crate::graph::TracedFn) -> Result<()> {
        if let Some(fd) = &mut self.free {
            for v in fd.parked.values_mut() {
                v.layers[index].add_batch_trace(batch, traced.clone())?;
            }
        }
        self.layers[index].layer.add_batch_trace(batch, traced)
    }

    /// Layer `i`'s input and output shapes as a user sees them: free dims as null.
    pub fn shown_shapes(&self, i: usize) -> (free::Shapes, free::Shapes) {
        match &self.free {
            Some(fd) => (fd.shown_in[i].clone(), fd.shown_out[i].clone()),
            None => {
                let some = |v: &Vec<Vec<usize>>| v.iter().map(|s| s.iter().map(|&d| Some(d)).collect()).collect();
                (some(&self.layers[i].in_shapes), some(&self.layers[i].out_shapes))
            }
        }
    }
}

//! Recurrent layers: SimpleRNN, LSTM and GRU (TF.js's RNN around cells, Bidirectional and
//! TimeDistributed are in `wrappers.rs`).
//!
//! A recurrent layer is unrolled over its (fixed) number of steps when the step is planned, so
//! training runs the same planned kernels as every other layer and autodiff gives
//! backpropagation through time. The input projection x·W (+ b) is one matmul over all steps;
//! each step adds h·U and applies the gates. Weight layouts follow Keras (gates i, f, c, o for
//! LSTM and z, r, h for GRU, side by side on the last axis), so weights load as they are.
//! Defaults follow TF.js: `recurrentActivation` 'hardSigmoid', kernels 'glorotNormal', GRU
//! `resetAfter` false (Keras 3's `resetAfter: true` is supported too).

use super::activations::Activation;
use super::initializers::Init;
use super::constraints::Constraint;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{fmt_shape, Error, OrInternal, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Op;
use serde_json::{json, Value};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cell {
    Simple,
    Lstm,
    Gru,
}

impl Cell {
    fn gates(self) -> usize {
        match self {
            Cell::Simple => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }
    /// The states carried between steps: h, and c for an LSTM.
    pub(super) fn states(self) -> usize {
        if self == Cell::Lstm {
            2
        } else {
            1
        }
    }
}

type InitCfg = ((Init, Option<u64>), Value);

/// The fixed batch size a stateful layer keeps states for: `batchSize`, or the first entry of
/// `batchInputShape`; 0 when neither gives one.
pub(super) fn fixed_batch(o: &Opts) -> Result<usize> {
    if o.get("batchSize").is_some() {
        return o.positive_int("batchSize");
    }
    Ok(o.get("batchInputShape").and_then(|s| s.get(0)).and_then(|b| b.as_u64()).filter(|&b| b > 0).unwrap_or(0) as usize)
}

/// The constraint options of the kernel, recurrent kernel and bias.
const CON_KEYS: [&str; 3] = ["kernelConstraint", "recurrentConstraint", "biasConstraint"];

fn init_cfg(o: &Opts, key: &str, default: &str) -> Result<InitCfg> {
    Ok((o.init_or(key, default)?, o.get(key).cloned().unwrap_or(json!(default))))
}

/// A recurrence's result: every step's output (processing order), the final h and c.
pub(super) struct Run {
    pub(super) outs: Vec<NodeId>,
    pub(super) h: NodeId,
    pub(super) c: Option<NodeId>,
}

pub struct Rnn {
    name: String,
    pub(super) cell: Cell,
    units: usize,
    activation: Activation,
    recurrent_activation: Activation,
    use_bias: bool,
    pub(super) return_sequences: bool,
    pub(super) return_state: bool,
    go_backwards: bool,
    /// Carry the final states into the next batch (which must have `state_batch` samples).
    stateful: bool,
    state_batch: usize,
    unit_forget_bias: bool,
    reset_after: bool,
    dropout: f32,
    recurrent_dropout: f32,
    kernel_init: InitCfg,
    recurrent_init: InitCfg,
    bias_init: InitCfg,
    regs: [Option<Regularizer>; 3],
    cons: [Option<Constraint>; 3],
    /// Set by build: steps and input features.
    steps: usize,
    features: usize,
}

impl Rnn {
    pub fn new(name: String, o: &Opts, cell: Cell) -> Result<Rnn> {
        o.unsupported(&["activityRegularizer"])?;
        let rate = |key: &str| -> Result<f32> {
            let r = o.f32_or(key, 0.0)?;
            if !(0.0..1.0).contains(&r) {
                return Err(Error::arg(&o.owner, format!("{key} must be in [0, 1), received {r}")));
            }
            Ok(r)
        };
        let reset_after = cell == Cell::Gru && o.bool_or("resetAfter", false)?;
        Ok(Rnn {
            name,
            cell,
            units: o.positive_int("units")?,
            activation: Activation::parse(&o.owner, o.str_or("activation", "tanh")?)?,
            recurrent_activation: Activation::parse(&o.owner, o.str_or("recurrentActivation", "hardSigmoid")?)?,
            use_bias: o.bool_or("useBias", true)?,
            return_sequences: o.bool_or("returnSequences", false)?,
            return_state: o.bool_or("returnState", false)?,
            stateful: o.bool_or("stateful", false)?,
            state_batch: fixed_batch(o)?,
            go_backwards: o.bool_or("goBackwards", false)?,
            unit_forget_bias: cell == Cell::Lstm && o.bool_or("unitForgetBias", true)?,
            reset_after,
            dropout: rate("dropout")?,
            recurrent_dropout: rate("recurrentDropout")?,
            kernel_init: init_cfg(o, "kernelInitializer", "glorotNormal")?,
            recurrent_init: init_cfg(o, "recurrentInitializer", "orthogonal")?,
            bias_init: init_cfg(o, "biasInitializer", "zeros")?,
            regs: [o.regularizer("kernelRegularizer")?, o.regularizer("recurrentRegularizer")?, o.regularizer("biasRegularizer")?],
            cons: [o.constraint(CON_KEYS[0])?, o.constraint(CON_KEYS[1])?, o.constraint(CON_KEYS[2])?],
            steps: 0,
            features: 0,
        })
    }

    /// The same layer reading its sequence the other way (Bidirectional's backward half).
    pub(super) fn reversed(&self, name: String) -> Rnn {
        Rnn {
            name,
            go_backwards: !self.go_backwards,
            kernel_init: self.kernel_init.clone(),
            recurrent_init: self.recurrent_init.clone(),
            bias_init: self.bias_init.clone(),
            ..*self
        }
    }

    fn owner(&self) -> String {
        format!("{} '{}'", self.class_name(), self.name)
    }

    /// Checks the initial states given with the input (`initialState`): as many as the cell
    /// carries, each [units].
    pub(super) fn check_states(&self, states: &[Vec<usize>]) -> Result<()> {
        let n = self.cell.states();
        let what = if n == 2 { "2 tensors (h and c)" } else { "1 tensor (h)" };
        if states.len() != n || states.iter().any(|s| *s != [self.units]) {
            return Err(Error::shape(
                self.owner(),
                format!(
                    "initialState must be {what} of shape [null,{}], received {} of shape{} {}",
                    self.units,
                    states.len(),
                    if states.len() == 1 { "" } else { "s" },
                    states.iter().map(|s| batch_shape(s)).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// How many weights the layer has (its carried states follow them in `w`).
    pub(super) fn n_weights(&self) -> usize {
        2 + self.use_bias as usize
    }

    /// The final states' shapes, each [units].
    pub(super) fn state_shapes(&self) -> Vec<Vec<usize>> {
        vec![vec![self.units]; self.cell.states()]
    }

    /// Runs the layer on x and optional initial states: the main output, then (with
    /// returnState) the final states.
    pub(super) fn outputs(&self, g: &mut Graph, x: NodeId, init: &[NodeId], w: &[NodeId], training: bool, mask: Option<NodeId>) -> Result<Vec<NodeId>> {
        let Run { outs, h, c } = self.run(g, x, init, w, training, mask, false)?;
        let mut res = vec![if self.return_sequences { Rnn::stack(g, &outs)? } else { h }];
        if self.return_state {
            res.push(h);
            res.extend(c);
        }
        Ok(res)
    }

    /// Runs the recurrence over x [N, T, D] from the initial states `init` (zeros when empty):
    /// every step's output h_t [N, H] in processing order, and an LSTM's final cell state.
    ///
    /// With a mask ([N, T] of 0/1, Keras masking) a masked step keeps the states it received
    /// and its output is the previous one, or zeros with `zero_output` (Keras's Bidirectional
    /// with returnSequences).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run(&self, g: &mut Graph, x: NodeId, init: &[NodeId], w: &[NodeId], training: bool, mask: Option<NodeId>, zero_output: bool) -> Result<Run> {
        let xs = g.shape_of(x);
        if xs.len() != 3 || xs[1] != self.steps || xs[2] != self.features {
            return Err(Error::shape(
                self.owner(),
                format!("expected input of shape [null,{},{}], received shape {}", self.steps, self.features, fmt_shape(&xs)),
            ));
        }
        let (n, t, d, h) = (xs[0], xs[1], xs[2], self.units);
        let gh = self.cell.gates() * h;
        // A stateful layer starts from the states it carried out of the last batch (unless
        // initial states are given) and carries this batch's final states on.
        let carried = &w[self.n_weights().min(w.len())..];
        if self.stateful && n != self.state_batch {
            return Err(Error::shape(
                self.owner(),
                format!(
                    "a stateful layer keeps states for batches of {} samples, received a batch of {n} (use batchSize {} in fit, evaluate and predict, with a number of samples divisible by it)",
                    self.state_batch, self.state_batch
                ),
            ));
        }
        let init = if self.stateful && init.is_empty() { carried } else { init };
        let mut x = x;
        if training && self.dropout > 0.0 {
            // One mask per sample and feature, the same at every step (Keras's RNN dropout).
            let like = g.apply(Op::Slice { begin: vec![0, 0, 0], size: vec![n, 1, d] }, &[x])?;
            let mask = g.apply(Op::DropoutMask { rate: self.dropout }, &[like])?;
            x = g.mul(x, mask)?;
        }
        let rec_mask = if training && self.recurrent_dropout > 0.0 {
            let zeros = g.constant(crate::tensor::Tensor::zeros(&[n, h]))?;
            Some(g.apply(Op::DropoutMask { rate: self.recurrent_dropout }, &[zeros])?)
        } else {
            None
        };
        let (kernel, rec) = (w[0], w[1]);
        let flat = g.reshape(x, &[n * t, d])?;
        let mut xw = g.matmul(flat, kernel, false, false)?;
        // The input bias joins the projection; GRU with resetAfter keeps a second, recurrent bias.
        let mut rec_bias = None;
        if self.use_bias {
            if self.reset_after {
                let b_in = g.apply(Op::Slice { begin: vec![0, 0], size: vec![1, gh] }, &[w[2]])?;
                let b_rec = g.apply(Op::Slice { begin: vec![1, 0], size: vec![1, gh] }, &[w[2]])?;
                xw = g.add(xw, b_in)?;
                rec_bias = Some(b_rec);
            } else {
                xw = g.add(xw, w[2])?;
            }
        }
        let xw = g.reshape(xw, &[n, t, gh])?;
        let cols = |g: &mut Graph, v: NodeId, k: usize, count: usize| -> Result<NodeId> {
            let s = g.shape_of(v);
            g.apply(Op::Slice { begin: vec![0, k * h], size: vec![s[0], count * h] }, &[v])
        };
        // GRU without resetAfter multiplies r·h by the candidate's own block of U.
        let (u_zr, u_h) = if self.cell == Cell::Gru && !self.reset_after {
            (Some(cols(g, rec, 0, 2)?), Some(cols(g, rec, 2, 1)?))
        } else {
            (None, None)
        };
        let order: Vec<usize> = if self.go_backwards { (0..t).rev().collect() } else { (0..t).collect() };
        for (i, &s) in init.iter().enumerate() {
            if g.shape_of(s) != [n, h] {
                return Err(Error::shape(
                    self.owner(),
                    format!("initialState[{i}] must have shape [{n},{h}] (the batch and units), received shape {}", fmt_shape(&g.shape_of(s))),
                ));
            }
        }
        let mut hprev: Option<NodeId> = init.first().copied();
        let mut cprev: Option<NodeId> = init.get(1).copied();
        let mut outs = vec![];
        if let Some(m) = mask {
            if g.shape_of(m) != [n, t] {
                return Err(Error::shape(self.owner(), format!("expected a mask of shape [{n},{t}], received shape {}", fmt_shape(&g.shape_of(m)))));
            }
        }
        for step in order {
            let xt = g.apply(Op::Slice { begin: vec![0, step, 0], size: vec![n, 1, gh] }, &[xw])?;
            let xt = g.reshape(xt, &[n, gh])?;
            // This step's mask as [N, 1]: masked rows keep the state they received.
            let keep = match mask {
                Some(m) => {
                    let mt = g.apply(Op::Slice { begin: vec![0, step], size: vec![n, 1] }, &[m])?;
                    Some(mt)
                }
                None => None,
            };
            let blend = |g: &mut Graph, new: NodeId, old: Option<NodeId>| -> Result<NodeId> {
                match (keep, old) {
                    (None, _) => Ok(new),
                    (Some(k), Some(o)) => {
                        let d = g.sub(new, o)?;
                        let kd = g.mul(k, d)?;
                        g.add(o, kd)
                    }
                    (Some(k), None) => g.mul(k, new),
                }
            };
            let hin = match (hprev, rec_mask) {
                (Some(hp), Some(m)) => Some(g.mul(hp, m)?),
                (hp, _) => hp,
            };
            let hnew = match self.cell {
                Cell::Simple => {
                    let z = match hin {
                        Some(hp) => {
                            let hu = g.matmul(hp, rec, false, false)?;
                            g.add(xt, hu)?
                        }
                        None => xt,
                    };
                    self.activation.apply(g, z)?
                }
                Cell::Lstm => {
                    let z = match hin {
                        Some(hp) => {
                            let hu = g.matmul(hp, rec, false, false)?;
                            g.add(xt, hu)?
                        }
                        None => xt,
                    };
                    let zi = cols(g, z, 0, 1)?;
                    let i = self.recurrent_activation.apply(g, zi)?;
                    let zc = cols(g, z, 2, 1)?;
                    let cand = self.activation.apply(g, zc)?;
                    let zo = cols(g, z, 3, 1)?;
                    let o = self.recurrent_activation.apply(g, zo)?;
                    let ic = g.mul(i, cand)?;
                    let c = match cprev {
                        Some(cp) => {
                            let zf = cols(g, z, 1, 1)?;
                            let f = self.recurrent_activation.apply(g, zf)?;
                            let fc = g.mul(f, cp)?;
                            g.add(fc, ic)?
                        }
                        None => ic,
                    };
                    let ac = self.activation.apply(g, c)?;
                    cprev = Some(blend(g, c, cprev)?);
                    g.mul(o, ac)?
                }
                Cell::Gru => {
                    let xzr = cols(g, xt, 0, 2)?;
                    let xh = cols(g, xt, 2, 1)?;
                    // hu: the recurrent contributions to z and r (and, with resetAfter, to h).
                    let (zr, cand_in) = if self.reset_after {
                        let hu = match (hin, rec_bias) {
                            (Some(hp), b) => {
                                let m = g.matmul(hp, rec, false, false)?;
                                match b {
                                    Some(b) => Some(g.add(m, b)?),
                                    None => Some(m),
                                }
                            }
                            (None, Some(b)) => Some(g.broadcast_to(b, &[n, gh])?),
                            (None, None) => None,
                        };
                        match hu {
                            Some(hu) => {
                                let hzr = cols(g, hu, 0, 2)?;
                                let zr = g.add(xzr, hzr)?;
                                let zr = self.recurrent_activation.apply(g, zr)?;
                                let r = cols(g, zr, 1, 1)?;
                                let hh = cols(g, hu, 2, 1)?;
                                let rh = g.mul(r, hh)?;
                                (zr, g.add(xh, rh)?)
                            }
                            None => (self.recurrent_activation.apply(g, xzr)?, xh),
                        }
                    } else {
                        match hin {
                            Some(hp) => {
                                let hzr = g.matmul(hp, u_zr.or_internal("GRU", "no recurrent kernel")?, false, false)?;
                                let zr = g.add(xzr, hzr)?;
                                let zr = self.recurrent_activation.apply(g, zr)?;
                                let r = cols(g, zr, 1, 1)?;
                                let rh = g.mul(r, hp)?;
                                let rhu = g.matmul(rh, u_h.or_internal("GRU", "no recurrent kernel")?, false, false)?;
                                (zr, g.add(xh, rhu)?)
                            }
                            None => (self.recurrent_activation.apply(g, xzr)?, xh),
                        }
                    };
                    let z = cols(g, zr, 0, 1)?;
                    let cand = self.activation.apply(g, cand_in)?;
                    // h = z·h_prev + (1 - z)·cand = cand + z·(h_prev - cand).
                    match hprev {
                        Some(hp) => {
                            let diff = g.sub(hp, cand)?;
                            let zd = g.mul(z, diff)?;
                            g.add(cand, zd)?
                        }
                        None => {
                            let zc = g.mul(z, cand)?;
                            g.sub(cand, zc)?
                        }
                    }
                }
            };
            let h = blend(g, hnew, hprev)?;
            hprev = Some(h);
            outs.push(match keep {
                Some(k) if zero_output => g.mul(k, hnew)?,
                _ => h,
            });
        }
        if self.stateful {
            g.assign(carried[0], hprev.or_internal("recurrent layer", "no time step")?)?;
            if let Some(c) = cprev {
                g.assign(carried[1], c)?;
            }
        }
        Ok(Run { h: hprev.or_internal("recurrent layer", "no time step")?, outs, c: cprev })
    }

    /// Stacks per-step outputs [N, H] into [N, T, H].
    pub(super) fn stack(g: &mut Graph, outs: &[NodeId]) -> Result<NodeId> {
        let mut parts = vec![];
        for &o in outs {
            let s = g.shape_of(o);
            parts.push(g.reshape(o, &[s[0], 1, s[1]])?);
        }
        if parts.len() == 1 {
            return Ok(parts[0]);
        }
        g.apply(Op::Concat { axis: 1 }, &parts)
    }
}

impl Layer for Rnn {
    fn class_name(&self) -> &'static str {
        match self.cell {
            Cell::Simple => "SimpleRNN",
            Cell::Lstm => "LSTM",
            Cell::Gru => "GRU",
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if input.len() != 2 || input.contains(&0) {
            return Err(Error::shape(
                self.owner(),
                format!("expected input of rank 3 [batch, steps, features] with a known number of steps, received shape {}", batch_shape(input)),
            ));
        }
        if self.stateful && self.state_batch == 0 {
            return Err(Error::arg(
                self.owner(),
                "a stateful layer needs a fixed batch size: give the model's input a batch size (tf.input({batchShape: [32, steps, features]}), or batchInputShape on the first layer) or set batchSize",
            ));
        }
        self.steps = input[0];
        self.features = input[1];
        let (h, gh) = (self.units, self.cell.gates() * self.units);
        let owner = self.owner();
        let mut w = vec![
            WeightSpec::new(&self.name, "kernel", vec![self.features, gh], &self.kernel_init.0, self.regs[0]).constrained(&owner, CON_KEYS[0], self.cons[0])?,
            WeightSpec::new(&self.name, "recurrent_kernel", vec![h, gh], &self.recurrent_init.0, self.regs[1]).constrained(&owner, CON_KEYS[1], self.cons[1])?,
        ];
        if self.use_bias {
            let shape = if self.reset_after { vec![2, gh] } else { vec![gh] };
            let mut b = WeightSpec::new(&self.name, "bias", shape, &self.bias_init.0, self.regs[2]).constrained(&owner, CON_KEYS[2], self.cons[2])?;
            if self.unit_forget_bias {
                // The forget gate's bias starts at one: [init(H), ones(H), init(2H)].
                b.init = Init::UnitForget(Box::new(b.init.clone()), h);
            }
            w.push(b);
        }
        let out = if self.return_sequences { vec![self.steps, h] } else { vec![h] };
        Ok((w, out))
    }
    fn build_multi(&mut self, inputs: &[Vec<usize>]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if inputs.len() > 1 {
            self.check_states(&inputs[1..])?;
        }
        self.build(&inputs[0])
    }
    fn extra_outputs(&self) -> Vec<Vec<usize>> {
        if self.return_state {
            self.state_shapes()
        } else {
            vec![]
        }
    }
    fn carries(&self) -> Vec<(String, Vec<usize>)> {
        if !self.stateful {
            return vec![];
        }
        let names = ["states_h", "states_c"];
        (0..self.cell.states()).map(|k| (format!("{}/{}", self.name, names[k]), vec![self.state_batch, self.units])).collect()
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], training: bool) -> Result<NodeId> {
        Ok(self.outputs(g, x, &[], w, training, None)?[0])
    }
    fn call_multi(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<NodeId> {
        Ok(self.outputs(g, xs[0], &xs[1..], w, training, None)?[0])
    }
    fn call_outputs(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        self.outputs(g, xs[0], &xs[1..], w, training, None)
    }
    fn call_masked(&self, g: &mut Graph, xs: &[NodeId], mask: Option<NodeId>, w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        self.outputs(g, xs[0], &xs[1..], w, training, mask)
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        Ok(if self.return_sequences { mask } else { None })
    }
    fn config(&self) -> Value {
        let mut c = json!({
            "name": self.name, "trainable": true, "units": self.units, "activation": self.activation.name(),
            "useBias": self.use_bias, "returnSequences": self.return_sequences, "returnState": self.return_state,
            "goBackwards": self.go_backwards, "stateful": self.stateful, "unroll": false,
            "kernelInitializer": self.kernel_init.1, "recurrentInitializer": self.recurrent_init.1,
            "biasInitializer": self.bias_init.1, "kernelRegularizer": self.regs[0].map(|r| r.config()),
            "recurrentRegularizer": self.regs[1].map(|r| r.config()), "biasRegularizer": self.regs[2].map(|r| r.config()),
            "kernelConstraint": self.cons[0].map(|c| c.config()), "recurrentConstraint": self.cons[1].map(|c| c.config()),
            "biasConstraint": self.cons[2].map(|c| c.config()),
            "dropout": self.dropout, "recurrentDropout": self.recurrent_dropout,
        });
        if self.cell != Cell::Simple {
            c["recurrentActivation"] = json!(self.recurrent_activation.name());
        }
        if self.cell == Cell::Lstm {
            c["unitForgetBias"] = json!(self.unit_forget_bias);
        }
        if self.cell == Cell::Gru {
            c["resetAfter"] = json!(self.reset_after);
        }
        if self.stateful && self.state_batch > 0 {
            c["batchSize"] = json!(self.state_batch);
        }
        c
    }
}

/// Reads a wrapped layer given as `{className, config}` or as a Hebb layer's JSON.
pub(super) fn layer_spec(owner: &str, spec: &Value) -> Result<(String, Value)> {
    let class = spec.get("className").and_then(|c| c.as_str());
    let cfg = spec.get("config");
    match (class, cfg) {
        (Some(c), Some(cfg)) if cfg.is_object() => Ok((c.to_string(), cfg.clone())),
        (Some(c), Some(cfg)) => Err(Error::arg(owner, format!("the config of the wrapped {c} must be an object, received {cfg}"))),
        _ => Err(Error::arg(owner, format!("the wrapped layer must be a layer, received {spec}"))),
    }
}

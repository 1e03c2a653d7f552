//! Recurrent layers: SimpleRNN, LSTM, GRU, and the Bidirectional and TimeDistributed wrappers.
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
use super::{batch_shape, describe, Layer, Opts, WeightSpec};
use crate::error::{fmt_shape, Error, Result};
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
    fn states(self) -> usize {
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
struct Run {
    outs: Vec<NodeId>,
    h: NodeId,
    c: Option<NodeId>,
}

pub struct Rnn {
    name: String,
    cell: Cell,
    units: usize,
    activation: Activation,
    recurrent_activation: Activation,
    use_bias: bool,
    return_sequences: bool,
    return_state: bool,
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
    fn reversed(&self, name: String) -> Rnn {
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
    fn check_states(&self, states: &[Vec<usize>]) -> Result<()> {
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
    fn n_weights(&self) -> usize {
        2 + self.use_bias as usize
    }

    /// The final states' shapes, each [units].
    fn state_shapes(&self) -> Vec<Vec<usize>> {
        vec![vec![self.units]; self.cell.states()]
    }

    /// Runs the layer on x and optional initial states: the main output, then (with
    /// returnState) the final states.
    fn outputs(&self, g: &mut Graph, x: NodeId, init: &[NodeId], w: &[NodeId], training: bool, mask: Option<NodeId>) -> Result<Vec<NodeId>> {
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
    fn run(&self, g: &mut Graph, x: NodeId, init: &[NodeId], w: &[NodeId], training: bool, mask: Option<NodeId>, zero_output: bool) -> Result<Run> {
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
                                let hzr = g.matmul(hp, u_zr.unwrap(), false, false)?;
                                let zr = g.add(xzr, hzr)?;
                                let zr = self.recurrent_activation.apply(g, zr)?;
                                let r = cols(g, zr, 1, 1)?;
                                let rh = g.mul(r, hp)?;
                                let rhu = g.matmul(rh, u_h.unwrap(), false, false)?;
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
            g.assign(carried[0], hprev.expect("at least one step"))?;
            if let Some(c) = cprev {
                g.assign(carried[1], c)?;
            }
        }
        Ok(Run { h: hprev.expect("at least one step"), outs, c: cprev })
    }

    /// Stacks per-step outputs [N, H] into [N, T, H].
    fn stack(g: &mut Graph, outs: &[NodeId]) -> Result<NodeId> {
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

/// Bidirectional: a recurrent layer run forwards and backwards, outputs merged ('concat', 'sum',
/// 'mul', 'ave'). With returnSequences the backward outputs are put back in time order.
pub struct Bidirectional {
    name: String,
    fwd: Rnn,
    bwd: Rnn,
    merge: String,
    inner_class: String,
    inner_cfg: Value,
    split: usize,
}

impl Bidirectional {
    pub fn new(name: String, o: &Opts) -> Result<Bidirectional> {
        let spec = o.get("layer").ok_or_else(|| Error::arg(&o.owner, "the option layer (a recurrent layer) is required"))?;
        let (class, cfg) = layer_spec(&o.owner, spec)?;
        let cell = match class.as_str() {
            "SimpleRNN" => Cell::Simple,
            "LSTM" => Cell::Lstm,
            "GRU" => Cell::Gru,
            c => return Err(Error::arg(&o.owner, format!("wraps a SimpleRNN, LSTM or GRU layer, received {c}"))),
        };
        let inner_name = cfg.get("name").and_then(|n| n.as_str()).unwrap_or(&class).to_string();
        // A stateful inner layer takes the wrapper's fixed batch size when it has none itself.
        let mut inner = cfg.clone();
        if inner.get("batchSize").is_none() && inner.get("batchInputShape").is_none() {
            if let Ok(b @ 1..) = fixed_batch(o) {
                inner["batchSize"] = json!(b);
            }
        }
        let fwd = Rnn::new(format!("forward_{inner_name}"), &Opts::new(o.owner.clone(), &inner), cell)?;
        let bwd = fwd.reversed(format!("backward_{inner_name}"));
        let merge = o.str_or("mergeMode", "concat")?.to_string();
        if !["concat", "sum", "mul", "ave"].contains(&merge.as_str()) {
            return Err(Error::arg(&o.owner, format!("mergeMode must be 'concat', 'sum', 'mul' or 'ave', received '{merge}'")));
        }
        Ok(Bidirectional { name, fwd, bwd, merge, inner_class: class, inner_cfg: cfg, split: 0 })
    }
}

/// Reads a wrapped layer given as `{className, config}` or as a Hebb layer's JSON.
fn layer_spec(owner: &str, spec: &Value) -> Result<(String, Value)> {
    let class = spec.get("className").and_then(|c| c.as_str());
    let cfg = spec.get("config");
    match (class, cfg) {
        (Some(c), Some(cfg)) => Ok((c.to_string(), cfg.clone())),
        _ => Err(Error::arg(owner, format!("the wrapped layer must be a layer, received {spec}"))),
    }
}

impl Layer for Bidirectional {
    fn class_name(&self) -> &'static str {
        "Bidirectional"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let (mut wf, of) = self.fwd.build(input).map_err(|e| e.within(&format!("Bidirectional '{}'", self.name)))?;
        let (wb, _) = self.bwd.build(input)?;
        self.split = wf.len();
        wf.extend(wb);
        // TF.js scopes a wrapped layer's weights by the wrapper: bidirectional_1/forward_lstm/kernel.
        for w in &mut wf {
            w.name = format!("{}/{}", self.name, w.name);
        }
        let mut out = of;
        if self.merge == "concat" {
            *out.last_mut().unwrap() *= 2;
        }
        Ok((wf, out))
    }
    fn build_multi(&mut self, inputs: &[Vec<usize>]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if inputs.len() > 1 {
            // initialState: the forward layer's states, then the backward layer's.
            let n = self.fwd.cell.states();
            if inputs.len() != 1 + 2 * n {
                return Err(Error::shape(
                    format!("Bidirectional '{}'", self.name),
                    format!("initialState must be {} tensors (the forward layer's states, then the backward layer's), received {}", 2 * n, inputs.len() - 1),
                ));
            }
            self.fwd.check_states(&inputs[1..1 + n])?;
        }
        self.build(&inputs[0])
    }
    fn extra_outputs(&self) -> Vec<Vec<usize>> {
        if self.fwd.return_state {
            let mut s = self.fwd.state_shapes();
            s.extend(self.bwd.state_shapes());
            s
        } else {
            vec![]
        }
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], training: bool) -> Result<NodeId> {
        Ok(self.call_outputs(g, &[x], w, training)?[0])
    }
    fn call_multi(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<NodeId> {
        Ok(self.call_outputs(g, xs, w, training)?[0])
    }
    fn carries(&self) -> Vec<(String, Vec<usize>)> {
        let mut c = self.fwd.carries();
        c.extend(self.bwd.carries());
        c.into_iter().map(|(n, s)| (format!("{}/{n}", self.name), s)).collect()
    }
    fn call_outputs(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        self.call_masked(g, xs, None, w, training)
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        Ok(if self.fwd.return_sequences { mask } else { None })
    }
    fn call_masked(&self, g: &mut Graph, xs: &[NodeId], mask: Option<NodeId>, w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        let x = xs[0];
        let n = if xs.len() > 1 { self.fwd.cell.states() } else { 0 };
        let (init_f, init_b) = (&xs[1..1 + n], &xs[1 + n..]);
        // w: the forward weights, the backward weights, then each half's carried states.
        let nb = self.bwd.n_weights();
        let (ws, carried) = w.split_at((self.split + nb).min(w.len()));
        let nc = self.fwd.carries().len();
        let with = |own: &[NodeId], c: &[NodeId]| -> Vec<NodeId> { own.iter().chain(c).copied().collect() };
        let wf = with(&ws[..self.split], &carried[..nc.min(carried.len())]);
        let wb = with(&ws[self.split..], &carried[nc.min(carried.len())..]);
        // Keras's Bidirectional gives masked steps zero outputs when it returns sequences.
        let seq = self.fwd.return_sequences;
        let fr = self.fwd.run(g, x, init_f, &wf, training, mask, seq)?;
        let br = self.bwd.run(g, x, init_b, &wb, training, mask, seq)?;
        let (f, b) = if seq {
            let mut outs = br.outs.clone();
            outs.reverse();
            (Rnn::stack(g, &fr.outs)?, Rnn::stack(g, &outs)?)
        } else {
            (fr.h, br.h)
        };
        let fo: Vec<NodeId> = std::iter::once(f).chain(std::iter::once(fr.h)).chain(fr.c).collect();
        let (bwd_h, bwd_c) = (br.h, br.c);
        let f = fo[0];
        let merged = match self.merge.as_str() {
            "concat" => {
                let axis = g.shape_of(f).len() - 1;
                g.apply(Op::Concat { axis }, &[f, b])?
            }
            "sum" => g.add(f, b)?,
            "mul" => g.mul(f, b)?,
            _ => {
                let s = g.add(f, b)?;
                g.mul_scalar(s, 0.5)?
            }
        };
        let mut res = vec![merged];
        if self.fwd.return_state {
            res.extend(&fo[1..]);
            res.push(bwd_h);
            res.extend(bwd_c);
        }
        Ok(res)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "mergeMode": self.merge,
            "layer": {"className": self.inner_class, "config": self.inner_cfg},
        })
    }
}

/// TimeDistributed: applies a layer to every step of [batch, steps, ...] (steps folded into the
/// batch).
pub struct TimeDistributed {
    name: String,
    inner: Box<dyn Layer>,
    inner_class: String,
    inner_cfg: Value,
}

impl TimeDistributed {
    pub fn new(name: String, o: &Opts) -> Result<TimeDistributed> {
        let spec = o.get("layer").ok_or_else(|| Error::arg(&o.owner, "the option layer is required"))?;
        let (class, cfg) = layer_spec(&o.owner, spec)?;
        let inner = super::from_config(&class, &cfg)?;
        Ok(TimeDistributed { name, inner, inner_class: class, inner_cfg: cfg })
    }
}

impl Layer for TimeDistributed {
    fn class_name(&self) -> &'static str {
        "TimeDistributed"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if input.len() < 2 {
            return Err(Error::shape(
                format!("TimeDistributed '{}'", self.name),
                format!("expected input of rank >= 3 [batch, steps, ...], received shape {}", batch_shape(input)),
            ));
        }
        let (mut w, inner_out) = self.inner.build(&input[1..]).map_err(|e| e.within(&format!("TimeDistributed '{}'", self.name)))?;
        for spec in &mut w {
            spec.name = format!("{}/{}", self.name, spec.name);
        }
        let mut out = vec![input[0]];
        out.extend(inner_out);
        Ok((w, out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        let mut folded = vec![s[0] * s[1]];
        folded.extend(&s[2..]);
        let xf = g.reshape(x, &folded)?;
        let y = self.inner.call(g, xf, w, training).map_err(|e| e.within(&describe(self.inner.as_ref())))?;
        let ys = g.shape_of(y);
        let mut out = vec![s[0], s[1]];
        out.extend(&ys[1..]);
        g.reshape(y, &out)
    }
    fn check_input_values(&self, x: &crate::tensor::Tensor) -> Result<()> {
        self.inner.check_input_values(x).map_err(|e| e.within(&format!("TimeDistributed '{}'", self.name)))
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "layer": {"className": self.inner_class, "config": self.inner_cfg}})
    }
}

/// TF.js's and Keras's generic RNN layer around a cell (SimpleRNNCell, LSTMCell, GRUCell) or a
/// stack of cells (StackedRNNCells, or a list). Stacked cells step together; that is the same
/// computation as one recurrent layer per cell, each but the last returning its sequence, which
/// is how this runs them. States (returnState, initialState, stateful) are every cell's, in order.
pub struct RnnLayer {
    name: String,
    cells: Vec<Rnn>,
    cell_spec: Value,
    flags: Value,
}

/// The cell classes and the layer each one steps like.
fn cell_kind(owner: &str, class: &str) -> Result<Cell> {
    Ok(match class {
        "SimpleRNNCell" => Cell::Simple,
        "LSTMCell" => Cell::Lstm,
        "GRUCell" => Cell::Gru,
        c => return Err(Error::arg(owner, format!("cell must be a SimpleRNNCell, LSTMCell, GRUCell or a list of them, received {c}"))),
    })
}

impl RnnLayer {
    pub fn new(name: String, o: &Opts) -> Result<RnnLayer> {
        let spec = o.get("cell").ok_or_else(|| Error::arg(&o.owner, "the option cell (a recurrent cell or a list of cells) is required"))?;
        let list: Vec<Value> = match spec {
            Value::Array(a) => a.clone(),
            v if v.get("className").and_then(|c| c.as_str()) == Some("StackedRNNCells") => {
                v.get("config").and_then(|c| c.get("cells")).and_then(|c| c.as_array()).cloned().unwrap_or_default()
            }
            v => vec![v.clone()],
        };
        if list.is_empty() {
            return Err(Error::arg(&o.owner, "cell must name at least one cell"));
        }
        let flag = |k: &str| o.bool_or(k, false);
        let (seq, state, back, stateful) = (flag("returnSequences")?, flag("returnState")?, flag("goBackwards")?, flag("stateful")?);
        let batch = fixed_batch(o)?;
        let n = list.len();
        let mut cells = vec![];
        for (k, c) in list.iter().enumerate() {
            let (class, cfg) = layer_spec(&o.owner, c)?;
            let kind = cell_kind(&o.owner, &class)?;
            let cell_name = cfg.get("name").and_then(|v| v.as_str()).map(|s| s.to_string()).unwrap_or_else(|| format!("{}_cell_{k}", class.to_lowercase()));
            let mut cfg = cfg.clone();
            cfg["returnSequences"] = json!(seq || k + 1 < n);
            cfg["returnState"] = json!(state);
            cfg["goBackwards"] = json!(back && k == 0);
            cfg["stateful"] = json!(stateful);
            if batch > 0 {
                cfg["batchSize"] = json!(batch);
            }
            let owner = format!("{} ({class} {k})", o.owner);
            cells.push(Rnn::new(format!("{name}/{cell_name}"), &Opts::new(owner, &cfg), kind)?);
        }
        let flags = json!({"returnSequences": seq, "returnState": state, "goBackwards": back, "stateful": stateful});
        Ok(RnnLayer { name, cells, cell_spec: spec.clone(), flags })
    }

    fn owner(&self) -> String {
        format!("RNN '{}'", self.name)
    }

    /// Splits `w` (each cell's weights, then each cell's carried states) per cell.
    fn split_weights(&self, w: &[NodeId]) -> Vec<Vec<NodeId>> {
        let nw: usize = self.cells.iter().map(|c| c.n_weights()).sum();
        let (ws, carried) = w.split_at(nw.min(w.len()));
        let (mut at_w, mut at_c) = (0, 0);
        self.cells
            .iter()
            .map(|c| {
                let (a, b) = (c.n_weights(), c.carries().len());
                let mut v: Vec<NodeId> = ws[at_w..at_w + a].to_vec();
                v.extend(carried.get(at_c..at_c + b).unwrap_or(&[]));
                at_w += a;
                at_c += b;
                v
            })
            .collect()
    }
}

impl Layer for RnnLayer {
    fn class_name(&self) -> &'static str {
        "RNN"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let mut shape = input.to_vec();
        let mut specs = vec![];
        for c in &mut self.cells {
            let (w, out) = c.build(&shape).map_err(|e| e.within(&format!("RNN '{}'", self.name)))?;
            specs.extend(w);
            // The next cell reads this one's sequence (returnSequences is set on all but the last).
            shape = out;
        }
        Ok((specs, shape))
    }
    fn build_multi(&mut self, inputs: &[Vec<usize>]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if inputs.len() > 1 {
            let want: usize = self.cells.iter().map(|c| c.cell.states()).sum();
            if inputs.len() - 1 != want {
                return Err(Error::shape(self.owner(), format!("initialState must be {want} tensors (every cell's states, in order), received {}", inputs.len() - 1)));
            }
            let mut at = 1;
            for c in &self.cells {
                let k = c.cell.states();
                c.check_states(&inputs[at..at + k])?;
                at += k;
            }
        }
        self.build(&inputs[0])
    }
    fn extra_outputs(&self) -> Vec<Vec<usize>> {
        self.cells.iter().flat_map(|c| c.extra_outputs()).collect()
    }
    fn carries(&self) -> Vec<(String, Vec<usize>)> {
        self.cells.iter().flat_map(|c| c.carries()).collect()
    }
    fn compute_mask(&self, g: &mut Graph, xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        self.cells.last().unwrap().compute_mask(g, xs, mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], training: bool) -> Result<NodeId> {
        Ok(self.call_masked(g, &[x], None, w, training)?[0])
    }
    fn call_multi(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<NodeId> {
        Ok(self.call_masked(g, xs, None, w, training)?[0])
    }
    fn call_outputs(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        self.call_masked(g, xs, None, w, training)
    }
    fn call_masked(&self, g: &mut Graph, xs: &[NodeId], mask: Option<NodeId>, w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        let per = self.split_weights(w);
        let mut h = xs[0];
        let mut states: Vec<NodeId> = vec![];
        let mut at = 1;
        let given = xs.len() > 1;
        for (c, wc) in self.cells.iter().zip(&per) {
            let k = c.cell.states();
            let init = if given { &xs[at..at + k] } else { &[][..] };
            at += k;
            let outs = c.outputs(g, h, init, wc, training, mask).map_err(|e| e.within(&self.owner()))?;
            h = outs[0];
            states.extend(&outs[1..]);
        }
        let mut res = vec![h];
        res.extend(states);
        Ok(res)
    }
    fn config(&self) -> Value {
        let mut c = self.flags.clone();
        c["name"] = json!(self.name);
        c["trainable"] = json!(true);
        c["cell"] = self.cell_spec.clone();
        c
    }
}

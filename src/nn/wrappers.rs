//! The wrappers: TF.js's RNN around cells (SimpleRNNCell, LSTMCell, GRUCell, stacks of them),
//! Bidirectional (a recurrent layer run forwards and backwards, outputs merged) and
//! TimeDistributed (a layer applied to every step).

use super::recurrent::{fixed_batch, layer_spec, Cell, Rnn};
use super::{batch_shape, describe, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::Op;
use serde_json::{json, Value};

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
            if let Some(last) = out.last_mut() {
                *last *= 2;
            }
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
                    format!(
                        "initialState must be {} tensors (the forward layer's states, then the backward layer's), received {}",
                        2 * n,
                        inputs.len() - 1
                    ),
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
        let spec =
            o.get("cell").ok_or_else(|| Error::arg(&o.owner, "the option cell (a recurrent cell or a list of cells) is required"))?;
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
            let cell_name = cfg
                .get("name")
                .and_then(|v| v.as_str())
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("{}_cell_{k}", class.to_lowercase()));
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
                return Err(Error::shape(
                    self.owner(),
                    format!("initialState must be {want} tensors (every cell's states, in order), received {}", inputs.len() - 1),
                ));
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
        match self.cells.last() {
            Some(c) => c.compute_mask(g, xs, mask),
            None => Ok(mask),
        }
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

//! ConvLSTM2D: an LSTM whose input and recurrent transforms are 2-D convolutions, over
//! channels-last sequences of images [batch, steps, height, width, channels]; and the generic
//! RNN layer around a ConvLSTM2DCell, which runs the same way.
//!
//! Built from existing graph ops, like the other recurrent layers: the input convolution of all
//! steps at once (steps folded into the batch, `Im2Col` then one matmul, the bias added), then
//! per step the recurrent convolution of h (stride 1, 'same' padding, as Keras) and the gate
//! math, unrolled over the fixed number of steps when the step is planned; autodiff gives
//! backpropagation through time. Weight layouts are Keras's (kernel [kh, kw, C, 4·filters],
//! recurrent_kernel [kh, kw, filters, 4·filters], bias [4·filters], gates i, f, c, o on the
//! last axis), so weights load as they are. Defaults follow TF.js (recurrentActivation
//! 'hardSigmoid'), with the forget gate's bias starting at one as Hebb's LSTM does.

use super::activations::Activation;
use super::constraints::Constraint;
use super::initializers::Init;
use super::recurrent::fixed_batch;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Op, Window};
use crate::tensor::Tensor;
use serde_json::{json, Value};

type InitCfg = ((Init, Option<u64>), Value);

/// The constraint options of the kernel, recurrent kernel and bias.
const CON_KEYS: [&str; 3] = ["kernelConstraint", "recurrentConstraint", "biasConstraint"];

fn init_cfg(o: &Opts, key: &str, default: &str) -> Result<InitCfg> {
    Ok((o.init_or(key, default)?, o.get(key).cloned().unwrap_or(json!(default))))
}

/// Whether an RNN layer's `cell` option is (or stacks) a ConvLSTM2DCell: such an RNN is built
/// here rather than by `wrappers::RnnLayer`.
pub fn wraps_conv_cell(config: &Value) -> bool {
    let is_conv = |c: &Value| c.get("className").and_then(|n| n.as_str()) == Some("ConvLSTM2DCell");
    match config.get("cell") {
        Some(Value::Array(list)) => list.iter().any(is_conv),
        Some(c) if c.get("className").and_then(|n| n.as_str()) == Some("StackedRNNCells") => {
            c.get("config").and_then(|c| c.get("cells")).and_then(|c| c.as_array()).is_some_and(|l| l.iter().any(is_conv))
        }
        Some(c) => is_conv(c),
        None => false,
    }
}

/// Set by build: the input's geometry and the two convolutions' windows.
#[derive(Clone)]
struct Geometry {
    steps: usize,
    channels: usize,
    /// The input convolution over [height, width] (the layer's strides, padding, dilation).
    input: Window,
    /// The recurrent convolution over the output grid (stride 1, 'same').
    recurrent: Window,
}

pub struct ConvLstm2d {
    name: String,
    filters: usize,
    kernel: [usize; 2],
    strides: [usize; 2],
    dilation: [usize; 2],
    padding: String,
    activation: Activation,
    recurrent_activation: Activation,
    use_bias: bool,
    unit_forget_bias: bool,
    return_sequences: bool,
    return_state: bool,
    go_backwards: bool,
    /// Carry the final states into the next batch (which must have `state_batch` samples).
    stateful: bool,
    state_batch: usize,
    dropout: f32,
    recurrent_dropout: f32,
    kernel_init: InitCfg,
    recurrent_init: InitCfg,
    bias_init: InitCfg,
    regs: [Option<Regularizer>; 3],
    cons: [Option<Constraint>; 3],
    /// Built as `RNN({cell: ConvLSTM2DCell})`: the cell as given and the RNN's own flags.
    rnn: Option<(Value, Value)>,
    geo: Option<Geometry>,
}

fn pair(o: &Opts, key: &str, default: Option<usize>) -> Result<[usize; 2]> {
    let v = o.int_tuple(key, 2, default, 1)?;
    Ok([v[0], v[1]])
}

impl ConvLstm2d {
    pub fn new(name: String, o: &Opts) -> Result<ConvLstm2d> {
        o.unsupported(&["activityRegularizer"])?;
        o.channels_last()?;
        if o.bool_or("unroll", false)? {
            return Err(Error::arg(&o.owner, "unroll true is not possible with convolutional recurrent layers (as in TF.js)"));
        }
        let rate = |key: &str| -> Result<f32> {
            let r = o.f32_or(key, 0.0)?;
            if !(0.0..1.0).contains(&r) {
                return Err(Error::arg(&o.owner, format!("{key} must be in [0, 1), received {r}")));
            }
            Ok(r)
        };
        let strides = pair(o, "strides", Some(1))?;
        let dilation = pair(o, "dilationRate", Some(1))?;
        if strides.iter().any(|&s| s > 1) && dilation.iter().any(|&d| d > 1) {
            return Err(Error::arg(
                &o.owner,
                format!("strides {strides:?} and dilationRate {dilation:?} cannot both be above 1 (as in Keras)"),
            ));
        }
        let padding = o.str_or("padding", "valid")?.to_string();
        if padding != "valid" && padding != "same" {
            return Err(Error::arg(&o.owner, format!("padding must be 'valid' or 'same', received '{padding}'")));
        }
        Ok(ConvLstm2d {
            name,
            filters: o.positive_int("filters")?,
            kernel: pair(o, "kernelSize", None)?,
            strides,
            dilation,
            padding,
            activation: Activation::parse(&o.owner, o.str_or("activation", "tanh")?)?,
            recurrent_activation: Activation::parse(&o.owner, o.str_or("recurrentActivation", "hardSigmoid")?)?,
            use_bias: o.bool_or("useBias", true)?,
            unit_forget_bias: o.bool_or("unitForgetBias", true)?,
            return_sequences: o.bool_or("returnSequences", false)?,
            return_state: o.bool_or("returnState", false)?,
            go_backwards: o.bool_or("goBackwards", false)?,
            stateful: o.bool_or("stateful", false)?,
            state_batch: fixed_batch(o)?,
            dropout: rate("dropout")?,
            recurrent_dropout: rate("recurrentDropout")?,
            kernel_init: init_cfg(o, "kernelInitializer", "glorotNormal")?,
            recurrent_init: init_cfg(o, "recurrentInitializer", "orthogonal")?,
            bias_init: init_cfg(o, "biasInitializer", "zeros")?,
            regs: [o.regularizer("kernelRegularizer")?, o.regularizer("recurrentRegularizer")?, o.regularizer("biasRegularizer")?],
            cons: [o.constraint(CON_KEYS[0])?, o.constraint(CON_KEYS[1])?, o.constraint(CON_KEYS[2])?],
            rnn: None,
            geo: None,
        })
    }

    /// `RNN({cell: ConvLSTM2DCell, returnSequences, ...})`: the cell's options with the RNN's
    /// flags. Convolutional cells cannot be stacked (as in TF.js).
    pub fn from_rnn(name: String, o: &Opts) -> Result<ConvLstm2d> {
        let spec = o.get("cell").cloned().unwrap_or(Value::Null);
        let cfg = match (spec.get("className").and_then(|c| c.as_str()), spec.get("config")) {
            (Some("ConvLSTM2DCell"), Some(c)) if c.is_object() => c.clone(),
            _ => {
                return Err(Error::arg(
                    &o.owner,
                    "a ConvLSTM2DCell cannot be stacked with other cells (as in TF.js): give it alone as the cell",
                ))
            }
        };
        let cell_name = cfg.get("name").and_then(|n| n.as_str()).unwrap_or("");
        let owner = if cell_name.is_empty() {
            format!("{} (ConvLSTM2DCell)", o.owner)
        } else {
            format!("{} (ConvLSTM2DCell '{cell_name}')", o.owner)
        };
        let mut merged = cfg.clone();
        let mut flags = json!({});
        for k in ["returnSequences", "returnState", "goBackwards", "stateful", "unroll"] {
            let v = o.bool_or(k, false)?;
            merged[k] = json!(v);
            flags[k] = json!(v);
        }
        for k in ["batchSize", "batchInputShape"] {
            if let Some(v) = o.get(k) {
                merged[k] = v.clone();
            }
        }
        let mut layer = ConvLstm2d::new(name, &Opts::new(owner, &merged))?;
        layer.rnn = Some((spec, flags));
        Ok(layer)
    }

    fn owner(&self) -> String {
        format!("{} '{}'", self.class_name(), self.name)
    }

    fn geometry(&self) -> Result<&Geometry> {
        self.geo.as_ref().ok_or_else(|| Error::arg(self.owner(), "the layer was not built"))
    }

    /// The shape of h and c, and of each step's output: [out height, out width, filters].
    fn state_shape(&self) -> Result<Vec<usize>> {
        let g = self.geometry()?;
        Ok(vec![g.input.grid[0], g.input.grid[1], self.filters])
    }

    fn n_weights(&self) -> usize {
        2 + self.use_bias as usize
    }

    /// Checks the initial states given with the input: h and c, each [out h, out w, filters].
    fn check_states(&self, states: &[Vec<usize>]) -> Result<()> {
        let want = self.state_shape()?;
        if states.len() != 2 || states.iter().any(|s| *s != want) {
            return Err(Error::shape(
                self.owner(),
                format!(
                    "initialState must be 2 tensors (h and c) of shape {}, received {} of shape{} {}",
                    batch_shape(&want),
                    states.len(),
                    if states.len() == 1 { "" } else { "s" },
                    states.iter().map(|s| batch_shape(s)).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Runs the layer on x [N, T, H, W, C] from the initial states `init` (zeros when empty):
    /// the main output, then (with returnState) the final h and c. With a mask ([N, T] of 0/1)
    /// a masked step keeps the states it received and repeats the previous output.
    fn outputs(
        &self,
        g: &mut Graph,
        x: NodeId,
        init: &[NodeId],
        w: &[NodeId],
        training: bool,
        mask: Option<NodeId>,
    ) -> Result<Vec<NodeId>> {
        let geo = self.geometry()?.clone();
        let xs = g.shape_of(x);
        if xs.len() != 5 || xs[1] != geo.steps || xs[4] != geo.channels {
            return Err(Error::shape(
                self.owner(),
                format!(
                    "expected input of shape [null,{},height,width,{}] (built for it), received shape {}",
                    geo.steps,
                    geo.channels,
                    fmt_shape(&xs)
                ),
            ));
        }
        let (n, t, c, f) = (xs[0], xs[1], xs[4], self.filters);
        let [oh, ow] = geo.input.grid;
        let (p, gates) = (oh * ow, 4 * f);
        let state = [n, oh, ow, f];
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
        for (i, &s) in init.iter().enumerate() {
            if g.shape_of(s) != state {
                return Err(Error::shape(
                    self.owner(),
                    format!(
                        "initialState[{i}] must have shape {} (the batch, output grid and filters), received shape {}",
                        fmt_shape(&state),
                        fmt_shape(&g.shape_of(s))
                    ),
                ));
            }
        }
        if let Some(m) = mask {
            if g.shape_of(m) != [n, t] {
                return Err(Error::shape(
                    self.owner(),
                    format!("expected a mask of shape [{n},{t}] (one flag per step), received shape {}", fmt_shape(&g.shape_of(m))),
                ));
            }
        }
        let mut x = x;
        if training && self.dropout > 0.0 {
            // One mask per sample, pixel and channel, the same at every step and for every gate
            // (Keras 3's ConvLSTM dropout).
            let like = g.apply(Op::Slice { begin: vec![0; 5], size: vec![n, 1, xs[2], xs[3], c] }, &[x])?;
            let m = g.apply(Op::DropoutMask { rate: self.dropout }, &[like])?;
            x = g.mul(x, m)?;
        }
        let rec_mask = if training && self.recurrent_dropout > 0.0 {
            let zeros = g.constant(Tensor::zeros(&state))?;
            Some(g.apply(Op::DropoutMask { rate: self.recurrent_dropout }, &[zeros])?)
        } else {
            None
        };
        // The input convolution of every step at once: [N·T·P, 4F].
        let frames = g.reshape(x, &[n * t, xs[2], xs[3], c])?;
        let ktaps = geo.input.taps();
        let cols = windows(g, frames, &geo.input)?;
        let cols = g.reshape(cols, &[n * t * p, ktaps * c])?;
        let kern = g.reshape(w[0], &[ktaps * c, gates])?;
        let mut xw = g.matmul(cols, kern, false, false)?;
        if self.use_bias {
            xw = g.add(xw, w[2])?;
        }
        let xw = g.reshape(xw, &[n, t, p, gates])?;
        let rtaps = geo.recurrent.taps();
        let rkern = g.reshape(w[1], &[rtaps * f, gates])?;
        let gate = |g: &mut Graph, z: NodeId, k: usize| g.apply(Op::Slice { begin: vec![0, k * f], size: vec![n * p, f] }, &[z]);
        let mut hprev: Option<NodeId> = init.first().copied();
        let mut cprev: Option<NodeId> = init.get(1).copied();
        let mut outs = vec![];
        let order: Vec<usize> = if self.go_backwards { (0..t).rev().collect() } else { (0..t).collect() };
        for step in order {
            let xt = g.apply(Op::Slice { begin: vec![0, step, 0, 0], size: vec![n, 1, p, gates] }, &[xw])?;
            let xt = g.reshape(xt, &[n * p, gates])?;
            let z = match hprev {
                Some(hp) => {
                    let hin = match rec_mask {
                        Some(m) => g.mul(hp, m)?,
                        None => hp,
                    };
                    let hc = windows(g, hin, &geo.recurrent)?;
                    let hc = g.reshape(hc, &[n * p, rtaps * f])?;
                    let hu = g.matmul(hc, rkern, false, false)?;
                    g.add(xt, hu)?
                }
                None => xt,
            };
            let zi = gate(g, z, 0)?;
            let i = self.recurrent_activation.apply(g, zi)?;
            let zc = gate(g, z, 2)?;
            let cand = self.activation.apply(g, zc)?;
            let zo = gate(g, z, 3)?;
            let o = self.recurrent_activation.apply(g, zo)?;
            let ic = g.mul(i, cand)?;
            let cnew = match cprev {
                Some(cp) => {
                    let zf = gate(g, z, 1)?;
                    let fg = self.recurrent_activation.apply(g, zf)?;
                    let cp = g.reshape(cp, &[n * p, f])?;
                    let fc = g.mul(fg, cp)?;
                    g.add(fc, ic)?
                }
                None => ic,
            };
            let ac = self.activation.apply(g, cnew)?;
            let hnew = g.mul(o, ac)?;
            let cnew = g.reshape(cnew, &state)?;
            let hnew = g.reshape(hnew, &state)?;
            // A masked step keeps the states it received (zeros before any state).
            let keep = match mask {
                Some(m) => {
                    let mt = g.apply(Op::Slice { begin: vec![0, step], size: vec![n, 1] }, &[m])?;
                    Some(g.reshape(mt, &[n, 1, 1, 1])?)
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
            let h = blend(g, hnew, hprev)?;
            cprev = Some(blend(g, cnew, cprev)?);
            hprev = Some(h);
            outs.push(h);
        }
        let (h, cfin) = match (hprev, cprev) {
            (Some(h), Some(c)) => (h, c),
            _ => return Err(Error::shape(self.owner(), "the input has no steps")),
        };
        if self.stateful {
            g.assign(carried[0], h)?;
            g.assign(carried[1], cfin)?;
        }
        let y = if self.return_sequences {
            let parts = outs.iter().map(|&o| g.reshape(o, &[n, 1, oh, ow, f])).collect::<Result<Vec<_>>>()?;
            if parts.len() == 1 {
                parts[0]
            } else {
                g.apply(Op::Concat { axis: 1 }, &parts)?
            }
        } else {
            h
        };
        let mut res = vec![y];
        if self.return_state {
            res.extend([h, cfin]);
        }
        Ok(res)
    }
}

/// The windows of `img` [N, H, W, C] as [N, OH, OW, taps, C]; a 1x1 window with stride 1 and no
/// padding is the image itself.
fn windows(g: &mut Graph, img: NodeId, w: &Window) -> Result<NodeId> {
    let s = g.shape_of(img);
    if w.taps() == 1 && w.stride == [1, 1] && w.pad == [0, 0] && w.grid == [s[1], s[2]] {
        return Ok(img);
    }
    g.apply(Op::Im2Col { w: w.clone(), fill: 0.0 }, &[img])
}

impl Layer for ConvLstm2d {
    fn class_name(&self) -> &'static str {
        if self.rnn.is_some() {
            "RNN"
        } else {
            "ConvLSTM2D"
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = self.owner();
        if input.len() != 4 || input.contains(&0) {
            return Err(Error::shape(
                &owner,
                format!(
                    "expected input of rank 5 [batch, steps, height, width, channels] with non-zero sizes, received shape {}",
                    batch_shape(input)
                ),
            ));
        }
        if self.stateful && self.state_batch == 0 {
            return Err(Error::arg(
                &owner,
                "a stateful layer needs a fixed batch size: give the model's input a batch size (tf.input({batchShape: [8, steps, height, width, channels]}), or batchInputShape on the first layer) or set batchSize",
            ));
        }
        let (steps, c) = (input[0], input[3]);
        if self.padding == "valid" {
            let span = [0, 1].map(|a| (self.kernel[a] - 1) * self.dilation[a] + 1);
            if input[1] < span[0] || input[2] < span[1] {
                return Err(Error::shape(
                    &owner,
                    format!(
                        "the window (kernelSize {:?}, dilationRate {:?}) is larger than the input images ({} x {}) of input shape {} with padding 'valid'",
                        self.kernel,
                        self.dilation,
                        input[1],
                        input[2],
                        batch_shape(input)
                    ),
                ));
            }
        }
        let win = Window::new(&owner, [input[1], input[2]], self.kernel, self.strides, self.dilation, &self.padding)?;
        let rec = Window::new(&owner, win.grid, self.kernel, [1, 1], [1, 1], "same")?;
        let [oh, ow] = win.grid;
        self.geo = Some(Geometry { steps, channels: c, input: win, recurrent: rec });
        let (f, gates) = (self.filters, 4 * self.filters);
        let [kh, kw] = self.kernel;
        let mut w = vec![
            WeightSpec::new(&self.name, "kernel", vec![kh, kw, c, gates], &self.kernel_init.0, self.regs[0]).constrained(
                &owner,
                CON_KEYS[0],
                self.cons[0],
            )?,
            WeightSpec::new(&self.name, "recurrent_kernel", vec![kh, kw, f, gates], &self.recurrent_init.0, self.regs[1]).constrained(
                &owner,
                CON_KEYS[1],
                self.cons[1],
            )?,
        ];
        if self.use_bias {
            let mut b = WeightSpec::new(&self.name, "bias", vec![gates], &self.bias_init.0, self.regs[2]).constrained(
                &owner,
                CON_KEYS[2],
                self.cons[2],
            )?;
            if self.unit_forget_bias {
                // The forget gate's bias starts at one: [init(F), ones(F), init(2F)].
                b.init = Init::UnitForget(Box::new(b.init.clone()), f);
            }
            w.push(b);
        }
        let out = if self.return_sequences { vec![steps, oh, ow, f] } else { vec![oh, ow, f] };
        Ok((w, out))
    }
    fn build_multi(&mut self, inputs: &[Vec<usize>]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let built = self.build(&inputs[0])?;
        if inputs.len() > 1 {
            self.check_states(&inputs[1..])?;
        }
        Ok(built)
    }
    fn extra_outputs(&self) -> Vec<Vec<usize>> {
        match (self.return_state, self.state_shape()) {
            (true, Ok(s)) => vec![s.clone(), s],
            _ => vec![],
        }
    }
    fn carries(&self) -> Vec<(String, Vec<usize>)> {
        match (self.stateful, self.state_shape()) {
            (true, Ok(s)) => {
                let mut shape = vec![self.state_batch];
                shape.extend(s);
                ["states_h", "states_c"].iter().map(|k| (format!("{}/{k}", self.name), shape.clone())).collect()
            }
            _ => vec![],
        }
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
        if let Some((cell, flags)) = &self.rnn {
            let mut c = flags.clone();
            c["name"] = json!(self.name);
            c["trainable"] = json!(true);
            c["cell"] = cell.clone();
            if self.state_batch > 0 {
                c["batchSize"] = json!(self.state_batch);
            }
            return c;
        }
        let mut c = json!({
            "name": self.name, "trainable": true, "filters": self.filters, "kernelSize": self.kernel,
            "strides": self.strides, "padding": self.padding, "dataFormat": "channelsLast", "dilationRate": self.dilation,
            "activation": self.activation.name(), "recurrentActivation": self.recurrent_activation.name(),
            "useBias": self.use_bias, "unitForgetBias": self.unit_forget_bias,
            "kernelInitializer": self.kernel_init.1, "recurrentInitializer": self.recurrent_init.1, "biasInitializer": self.bias_init.1,
            "kernelRegularizer": self.regs[0].map(|r| r.config()), "recurrentRegularizer": self.regs[1].map(|r| r.config()),
            "biasRegularizer": self.regs[2].map(|r| r.config()), "kernelConstraint": self.cons[0].map(|c| c.config()),
            "recurrentConstraint": self.cons[1].map(|c| c.config()), "biasConstraint": self.cons[2].map(|c| c.config()),
            "dropout": self.dropout, "recurrentDropout": self.recurrent_dropout,
            "returnSequences": self.return_sequences, "returnState": self.return_state, "goBackwards": self.go_backwards,
            "stateful": self.stateful, "unroll": false,
        });
        if self.state_batch > 0 {
            c["batchSize"] = json!(self.state_batch);
        }
        c
    }
}

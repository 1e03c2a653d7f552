//! Convolutions over channels-last inputs: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D and
//! SeparableConv2D. Each gathers its windows with `Im2Col` and multiplies them with the kernel;
//! the transposed conv multiplies first and sums the windows back with `Col2Im`. 1-D layers run
//! as 2-D ones over a height of 1. Kernels use Keras's layouts, so weights load as they are.

use super::activations::Activation;
use super::initializers::Init;
use super::constraints::Constraint;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Op, Window};
use serde_json::{json, Value};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Conv,
    Transpose,
    Depthwise,
    Separable,
}

type InitCfg = ((Init, Option<u64>), Value);

pub struct Conv {
    name: String,
    kind: Kind,
    rank: usize,
    filters: usize,
    depth_multiplier: usize,
    kernel: Vec<usize>,
    strides: Vec<usize>,
    dilation: Vec<usize>,
    padding: String,
    activation: Activation,
    use_bias: bool,
    /// The kernel (Conv, Transpose), depthwise kernel (Depthwise, Separable) and pointwise kernel.
    inits: Vec<InitCfg>,
    regs: Vec<Option<Regularizer>>,
    /// The constraints of the same kernels (kernelConstraint, or depthwise-/pointwiseConstraint).
    cons: Vec<Option<Constraint>>,
    bias_init: InitCfg,
    bias_reg: Option<Regularizer>,
    bias_con: Option<Constraint>,
    /// Set by build: the window over the (height-1 for 1-D) input, and the input channels.
    window: Option<Window>,
    channels: usize,
    /// Transpose: the output image size.
    image: [usize; 2],
}

fn init_cfg(o: &Opts, key: &str, default: &str) -> Result<InitCfg> {
    Ok((o.init_or(key, default)?, o.get(key).cloned().unwrap_or(json!(default))))
}

impl Conv {
    pub fn new(name: String, o: &Opts, kind: Kind, rank: usize) -> Result<Conv> {
        o.channels_last()?;
        o.unsupported(&["activityRegularizer"])?;
        if kind == Kind::Transpose {
            o.unsupported(&["outputPadding"])?;
        }
        let filters = if kind == Kind::Depthwise { 0 } else { o.positive_int("filters")? };
        let depth_multiplier = match kind {
            Kind::Depthwise | Kind::Separable => o.int_tuple("depthMultiplier", 1, Some(1), 1)?[0],
            _ => 1,
        };
        let kernel = o.int_tuple("kernelSize", rank, None, 1)?;
        let strides = o.int_tuple("strides", rank, Some(1), 1)?;
        let dilation = o.int_tuple("dilationRate", rank, Some(1), 1)?;
        if strides.iter().any(|&s| s > 1) && dilation.iter().any(|&d| d > 1) {
            return Err(Error::arg(
                &o.owner,
                format!("strides {strides:?} and dilationRate {dilation:?} cannot both be above 1 (as in Keras)"),
            ));
        }
        let padding = o.str_or("padding", "valid")?.to_string();
        let allowed: &[&str] = if rank == 1 && kind == Kind::Conv { &["valid", "same", "causal"] } else { &["valid", "same"] };
        if !allowed.contains(&padding.as_str()) {
            return Err(Error::arg(&o.owner, format!("padding must be one of {allowed:?}, received '{padding}'")));
        }
        let (inits, regs) = match kind {
            Kind::Conv | Kind::Transpose => (vec![init_cfg(o, "kernelInitializer", "glorotNormal")?], vec![o.regularizer("kernelRegularizer")?]),
            Kind::Depthwise => (vec![init_cfg(o, "depthwiseInitializer", "glorotNormal")?], vec![o.regularizer("depthwiseRegularizer")?]),
            Kind::Separable => (
                vec![init_cfg(o, "depthwiseInitializer", "glorotUniform")?, init_cfg(o, "pointwiseInitializer", "glorotUniform")?],
                vec![o.regularizer("depthwiseRegularizer")?, o.regularizer("pointwiseRegularizer")?],
            ),
        };
        // Each kind takes the constraints of its own kernels; another kind's is a mistake.
        let con_keys: &[&str] = match kind {
            Kind::Conv | Kind::Transpose => &["kernelConstraint"],
            Kind::Depthwise => &["depthwiseConstraint"],
            Kind::Separable => &["depthwiseConstraint", "pointwiseConstraint"],
        };
        for key in ["kernelConstraint", "depthwiseConstraint", "pointwiseConstraint"] {
            if o.get(key).is_some() && !con_keys.contains(&key) {
                return Err(Error::arg(&o.owner, format!("the option {key} does not apply to this layer (its kernels take {})", con_keys.join(" and "))));
            }
        }
        let cons = con_keys.iter().map(|k| o.constraint(k)).collect::<Result<Vec<_>>>()?;
        Ok(Conv {
            name,
            kind,
            rank,
            filters,
            depth_multiplier,
            kernel,
            strides,
            dilation,
            padding,
            activation: Activation::parse(&o.owner, o.str_or("activation", "linear")?)?,
            use_bias: o.bool_or("useBias", true)?,
            inits,
            regs,
            cons,
            bias_init: init_cfg(o, "biasInitializer", "zeros")?,
            bias_reg: o.regularizer("biasRegularizer")?,
            bias_con: o.constraint("biasConstraint")?,
            window: None,
            channels: 0,
            image: [0, 0],
        })
    }

    fn owner(&self) -> String {
        format!("{} '{}'", self.class_name(), self.name)
    }

    /// The per-axis geometry as 2-D: 1-D layers get a height of 1.
    fn two(&self, v: &[usize]) -> [usize; 2] {
        if self.rank == 1 {
            [1, v[0]]
        } else {
            [v[0], v[1]]
        }
    }

    fn out_channels(&self) -> usize {
        if self.kind == Kind::Depthwise {
            self.channels * self.depth_multiplier
        } else {
            self.filters
        }
    }
}

impl Layer for Conv {
    fn class_name(&self) -> &'static str {
        match (self.kind, self.rank) {
            (Kind::Conv, 1) => "Conv1D",
            (Kind::Conv, _) => "Conv2D",
            (Kind::Transpose, _) => "Conv2DTranspose",
            (Kind::Depthwise, _) => "DepthwiseConv2D",
            (Kind::Separable, _) => "SeparableConv2D",
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = self.owner();
        if input.len() != self.rank + 1 || input.contains(&0) {
            let what = if self.rank == 1 { "[batch, steps, channels]" } else { "[batch, height, width, channels]" };
            return Err(Error::shape(
                &owner,
                format!("expected input of rank {} {what} with non-zero sizes, received shape {}", self.rank + 2, batch_shape(input)),
            ));
        }
        let c = input[self.rank];
        self.channels = c;
        let size = self.two(&input[..self.rank]);
        let (k, s, d) = (self.two(&self.kernel), self.two(&self.strides), self.two(&self.dilation));
        let out_size = if self.kind == Kind::Transpose {
            // Keras's deconv length: size·stride, plus max(span - stride, 0) for 'valid'.
            let img = [0, 1].map(|a| {
                let span = (k[a] - 1) * d[a] + 1;
                size[a] * s[a] + if self.padding == "valid" { span.saturating_sub(s[a]) } else { 0 }
            });
            let w = Window::new(&owner, img, k, s, d, &self.padding)?;
            if w.grid != size {
                return Err(Error::arg(&owner, format!("cannot invert the window for input {}", batch_shape(input))));
            }
            self.image = img;
            self.window = Some(w);
            img
        } else {
            let w = Window::new(&owner, size, k, s, d, &self.padding)?;
            let g = w.grid;
            self.window = Some(w);
            g
        };
        let mut ks = self.kernel.clone();
        let taps = ks.clone();
        let mut w = vec![];
        match self.kind {
            Kind::Conv => {
                ks.extend([c, self.filters]);
                w.push(WeightSpec::new(&self.name, "kernel", ks, &self.inits[0].0, self.regs[0]).constrained(&owner, "kernelConstraint", self.cons[0])?);
            }
            Kind::Transpose => {
                ks.extend([self.filters, c]);
                w.push(WeightSpec::new(&self.name, "kernel", ks, &self.inits[0].0, self.regs[0]).constrained(&owner, "kernelConstraint", self.cons[0])?);
            }
            Kind::Depthwise | Kind::Separable => {
                ks.extend([c, self.depth_multiplier]);
                let dw = WeightSpec::new(&self.name, "depthwise_kernel", ks, &self.inits[0].0, self.regs[0]);
                w.push(dw.constrained(&owner, "depthwiseConstraint", self.cons[0])?);
                if self.kind == Kind::Separable {
                    let mut pk = vec![1; taps.len()];
                    pk.extend([c * self.depth_multiplier, self.filters]);
                    let pw = WeightSpec::new(&self.name, "pointwise_kernel", pk, &self.inits[1].0, self.regs[1]);
                    w.push(pw.constrained(&owner, "pointwiseConstraint", self.cons[1])?);
                }
            }
        }
        let f = self.out_channels();
        if self.use_bias {
            w.push(WeightSpec::new(&self.name, "bias", vec![f], &self.bias_init.0, self.bias_reg).constrained(&owner, "biasConstraint", self.bias_con)?);
        }
        let mut out = if self.rank == 1 { vec![out_size[1]] } else { out_size.to_vec() };
        out.push(f);
        Ok((w, out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], _training: bool) -> Result<NodeId> {
        let win = self.window.as_ref().ok_or_else(|| Error::arg(self.owner(), "the layer was not built"))?;
        let xs = g.shape_of(x);
        let n = xs[0];
        let c = self.channels;
        let [h, wd] = if self.kind == Kind::Transpose { win.grid } else { self.two(&xs[1..]) };
        if xs.len() != self.rank + 2 || xs[self.rank + 1] != c {
            return Err(Error::shape(self.owner(), format!("received input of shape {}, built for {c} channels", crate::error::fmt_shape(&xs))));
        }
        let img = g.reshape(x, &[n, h, wd, c])?;
        let taps = win.taps();
        let [gh, gw] = win.grid;
        let p = n * gh * gw;
        let windows = |g: &mut Graph, img: NodeId| -> Result<NodeId> {
            // A 1x1 window with stride 1 and no padding is the image itself.
            if taps == 1 && win.stride == [1, 1] && win.pad == [0, 0] && win.grid == [h, wd] {
                return Ok(img);
            }
            g.apply(Op::Im2Col { w: win.clone(), fill: 0.0 }, &[img])
        };
        let (y, mut k) = match self.kind {
            Kind::Conv => {
                let cols = windows(g, img)?;
                let cols = g.reshape(cols, &[p, taps * c])?;
                let kern = g.reshape(w[0], &[taps * c, self.filters])?;
                (g.matmul(cols, kern, false, false)?, 1)
            }
            Kind::Transpose => {
                // x [N·H·W, C] · kernel[(taps·F), C]ᵀ, then each window is summed onto the image.
                let rows = g.reshape(img, &[p, c])?;
                let kern = g.reshape(w[0], &[taps * self.filters, c])?;
                let cols = g.matmul(rows, kern, false, true)?;
                let cols = g.reshape(cols, &[n, gh, gw, taps, self.filters])?;
                (g.apply(Op::Col2Im { w: win.clone(), image: self.image }, &[cols])?, 1)
            }
            Kind::Depthwise | Kind::Separable => {
                let m = self.depth_multiplier;
                let cols = windows(g, img)?;
                let cols = g.reshape(cols, &[p, taps, c, 1])?;
                let kern = g.reshape(w[0], &[taps, c, m])?;
                let prod = g.mul(cols, kern)?;
                let dw = g.sum(prod, &[1], false)?;
                let dw = g.reshape(dw, &[p, c * m])?;
                if self.kind == Kind::Separable {
                    let pk = g.reshape(w[1], &[c * m, self.filters])?;
                    (g.matmul(dw, pk, false, false)?, 2)
                } else {
                    (dw, 1)
                }
            }
        };
        let f = self.out_channels();
        let mut y = y;
        if self.use_bias {
            y = g.add(y, w[k])?;
            k += 1;
        }
        debug_assert_eq!(k, w.len());
        let out_hw = if self.kind == Kind::Transpose { self.image } else { win.grid };
        let shape = if self.rank == 1 { vec![n, out_hw[1], f] } else { vec![n, out_hw[0], out_hw[1], f] };
        let y = g.reshape(y, &shape)?;
        self.activation.apply(g, y)
    }
    fn config(&self) -> Value {
        let mut c = json!({
            "name": self.name, "trainable": true, "kernelSize": self.kernel, "strides": self.strides,
            "padding": self.padding, "dataFormat": "channelsLast", "dilationRate": self.dilation,
            "activation": self.activation.name(), "useBias": self.use_bias,
            "biasInitializer": self.bias_init.1, "biasRegularizer": self.bias_reg.map(|r| r.config()),
            "biasConstraint": self.bias_con.map(|c| c.config()),
        });
        let Some(m) = c.as_object_mut() else { return c };
        if self.kind != Kind::Depthwise {
            m.insert("filters".into(), json!(self.filters));
        }
        match self.kind {
            Kind::Conv | Kind::Transpose => {
                m.insert("kernelInitializer".into(), self.inits[0].1.clone());
                m.insert("kernelRegularizer".into(), json!(self.regs[0].map(|r| r.config())));
                m.insert("kernelConstraint".into(), json!(self.cons[0].map(|c| c.config())));
            }
            Kind::Depthwise | Kind::Separable => {
                m.insert("depthMultiplier".into(), json!(self.depth_multiplier));
                m.insert("depthwiseInitializer".into(), self.inits[0].1.clone());
                m.insert("depthwiseRegularizer".into(), json!(self.regs[0].map(|r| r.config())));
                m.insert("depthwiseConstraint".into(), json!(self.cons[0].map(|c| c.config())));
                if self.kind == Kind::Separable {
                    m.insert("pointwiseInitializer".into(), self.inits[1].1.clone());
                    m.insert("pointwiseRegularizer".into(), json!(self.regs[1].map(|r| r.config())));
                    m.insert("pointwiseConstraint".into(), json!(self.cons[1].map(|c| c.config())));
                }
            }
        }
        c
    }
}

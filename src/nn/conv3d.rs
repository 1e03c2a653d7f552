//! The 3-D convolution and pooling layers over channels-last volumes [N, D, H, W, C]: Conv3D,
//! Conv3DTranspose, MaxPooling3D and AveragePooling3D, built on the windows of
//! [`crate::ops::window3`] (which the `tf.conv3d` family of ops shares).

use super::activations::Activation;
use super::constraints::Constraint;
use super::initializers::Init;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::window3::{self, Window3};
use crate::tensor::Tensor;
use serde_json::{json, Value};

type InitCfg = ((Init, Option<u64>), Value);

fn init_cfg(o: &Opts, key: &str, default: &str) -> Result<InitCfg> {
    Ok((o.init_or(key, default)?, o.get(key).cloned().unwrap_or(json!(default))))
}

fn check_rank(owner: &str, input: &[usize]) -> Result<()> {
    if input.len() != 4 || input.contains(&0) {
        return Err(Error::shape(
            owner,
            format!(
                "expects input of rank 5 [batch, depth, height, width, channels] with non-zero sizes, received shape {}",
                batch_shape(input)
            ),
        ));
    }
    Ok(())
}

fn padding(o: &Opts) -> Result<String> {
    let p = o.str_or("padding", "valid")?;
    if p != "valid" && p != "same" {
        return Err(Error::arg(&o.owner, format!("padding must be 'valid' or 'same', received '{p}'")));
    }
    Ok(p.to_string())
}

/// Checks that `call` gets the volume `build` saw: the windows are fixed by its size.
fn check_call(owner: &str, xs: &[usize], size: [usize; 3], c: usize) -> Result<()> {
    if xs.len() != 5 || xs[1..4] != size || xs[4] != c {
        return Err(Error::shape(
            owner,
            format!("received input of shape {}, built for [batch,{},{},{},{c}]", fmt_shape(xs), size[0], size[1], size[2]),
        ));
    }
    Ok(())
}

/// Conv3D (kernel [kd, kh, kw, in, filters]) and Conv3DTranspose (kernel [kd, kh, kw, filters,
/// in]), Keras's layouts.
pub struct Conv3d {
    name: String,
    transpose: bool,
    filters: usize,
    kernel: Vec<usize>,
    strides: Vec<usize>,
    dilation: Vec<usize>,
    padding: String,
    activation: Activation,
    use_bias: bool,
    kernel_init: InitCfg,
    kernel_reg: Option<Regularizer>,
    kernel_con: Option<Constraint>,
    bias_init: InitCfg,
    bias_reg: Option<Regularizer>,
    bias_con: Option<Constraint>,
    /// Set by build: the windows (over the output volume for the transpose) and input channels.
    window: Option<Window3>,
    channels: usize,
}

impl Conv3d {
    pub fn new(name: String, o: &Opts, transpose: bool) -> Result<Conv3d> {
        o.channels_last()?;
        o.unsupported(&["activityRegularizer"])?;
        if transpose {
            o.unsupported(&["outputPadding"])?;
        }
        let filters = o.positive_int("filters")?;
        let kernel = o.int_tuple("kernelSize", 3, None, 1)?;
        let strides = o.int_tuple("strides", 3, Some(1), 1)?;
        let dilation = o.int_tuple("dilationRate", 3, Some(1), 1)?;
        if strides.iter().any(|&s| s > 1) && dilation.iter().any(|&d| d > 1) {
            return Err(Error::arg(
                &o.owner,
                format!("strides {strides:?} and dilationRate {dilation:?} cannot both be above 1 (as in Keras)"),
            ));
        }
        Ok(Conv3d {
            name,
            transpose,
            filters,
            kernel,
            strides,
            dilation,
            padding: padding(o)?,
            activation: Activation::parse(&o.owner, o.str_or("activation", "linear")?)?,
            use_bias: o.bool_or("useBias", true)?,
            kernel_init: init_cfg(o, "kernelInitializer", "glorotNormal")?,
            kernel_reg: o.regularizer("kernelRegularizer")?,
            kernel_con: o.constraint("kernelConstraint")?,
            bias_init: init_cfg(o, "biasInitializer", "zeros")?,
            bias_reg: o.regularizer("biasRegularizer")?,
            bias_con: o.constraint("biasConstraint")?,
            window: None,
            channels: 0,
        })
    }

    fn owner(&self) -> String {
        format!("{} '{}'", self.class_name(), self.name)
    }
}

impl Layer for Conv3d {
    fn class_name(&self) -> &'static str {
        if self.transpose {
            "Conv3DTranspose"
        } else {
            "Conv3D"
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = self.owner();
        check_rank(&owner, input)?;
        let size = [input[0], input[1], input[2]];
        let c = input[3];
        let (k, s, d) = (&self.kernel, &self.strides, &self.dilation);
        let out = if self.transpose {
            // Keras's deconv length: size·stride, plus max(span - stride, 0) for 'valid'.
            let vol = [0, 1, 2].map(|a| {
                let span = (k[a] - 1) * d[a] + 1;
                size[a] * s[a] + if self.padding == "valid" { span.saturating_sub(s[a]) } else { 0 }
            });
            let w = Window3::new(&owner, vol, k, s, d, &self.padding)?;
            if w.grid() != size {
                return Err(Error::arg(&owner, format!("cannot invert the window for input {}", batch_shape(input))));
            }
            self.window = Some(w);
            vol
        } else {
            let w = Window3::new(&owner, size, k, s, d, &self.padding)?;
            let grid = w.grid();
            self.window = Some(w);
            grid
        };
        self.channels = c;
        let mut ks = self.kernel.clone();
        ks.extend(if self.transpose { [self.filters, c] } else { [c, self.filters] });
        let mut w = vec![WeightSpec::new(&self.name, "kernel", ks, &self.kernel_init.0, self.kernel_reg).constrained(
            &owner,
            "kernelConstraint",
            self.kernel_con,
        )?];
        if self.use_bias {
            let b = WeightSpec::new(&self.name, "bias", vec![self.filters], &self.bias_init.0, self.bias_reg);
            w.push(b.constrained(&owner, "biasConstraint", self.bias_con)?);
        }
        Ok((w, vec![out[0], out[1], out[2], self.filters]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], _training: bool) -> Result<NodeId> {
        let owner = self.owner();
        let win = self.window.as_ref().ok_or_else(|| Error::arg(&owner, "the layer was not built"))?;
        let xs = g.shape_of(x);
        let y = if self.transpose {
            check_call(&owner, &xs, win.grid(), self.channels)?;
            window3::conv3d_transpose(g, x, w[0], win)?
        } else {
            check_call(&owner, &xs, win.size, self.channels)?;
            window3::conv3d(g, x, w[0], win)?
        };
        let y = if self.use_bias { g.add(y, w[1])? } else { y };
        self.activation.apply(g, y)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "filters": self.filters, "kernelSize": self.kernel,
            "strides": self.strides, "padding": self.padding, "dataFormat": "channelsLast",
            "dilationRate": self.dilation, "activation": self.activation.name(), "useBias": self.use_bias,
            "kernelInitializer": self.kernel_init.1, "kernelRegularizer": self.kernel_reg.map(|r| r.config()),
            "kernelConstraint": self.kernel_con.map(|c| c.config()),
            "biasInitializer": self.bias_init.1, "biasRegularizer": self.bias_reg.map(|r| r.config()),
            "biasConstraint": self.bias_con.map(|c| c.config()),
        })
    }
}

/// MaxPooling3D and AveragePooling3D.
pub struct Pooling3d {
    name: String,
    max: bool,
    pool: Vec<usize>,
    strides: Vec<usize>,
    padding: String,
    window: Option<Window3>,
    channels: usize,
    /// Average pooling with 'same' padding: how many taps of each plane window ([GH, GW, 1]) and
    /// each depth window ([GD, 1, 1]) lie inside the input. TF divides by the taps inside, which
    /// factorise over the axes, so each stage divides by its own count.
    counts: Option<(Tensor, Tensor)>,
}

impl Pooling3d {
    pub fn new(name: String, o: &Opts, max: bool) -> Result<Pooling3d> {
        o.channels_last()?;
        let pool = o.int_tuple("poolSize", 3, Some(2), 1)?;
        // TF.js and Keras: strides default to the pool size.
        let strides = match o.get("strides") {
            None => pool.clone(),
            Some(_) => o.int_tuple("strides", 3, None, 1)?,
        };
        Ok(Pooling3d { name, max, pool, strides, padding: padding(o)?, window: None, channels: 0, counts: None })
    }
}

impl Layer for Pooling3d {
    fn class_name(&self) -> &'static str {
        if self.max {
            "MaxPooling3D"
        } else {
            "AveragePooling3D"
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = format!("{} '{}'", self.class_name(), self.name);
        check_rank(&owner, input)?;
        let size = [input[0], input[1], input[2]];
        let w = Window3::new(&owner, size, &self.pool, &self.strides, &[1, 1, 1], &self.padding)?;
        let [gd, gh, gw] = w.grid();
        self.counts = if self.max { None } else { w.inside_counts() };
        self.channels = input[3];
        self.window = Some(w);
        Ok((vec![], vec![gd, gh, gw, input[3]]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let owner = format!("{} '{}'", self.class_name(), self.name);
        let win = self.window.as_ref().ok_or_else(|| Error::arg(&owner, "the layer was not built"))?;
        let xs = g.shape_of(x);
        check_call(&owner, &xs, win.size, self.channels)?;
        window3::pool3d(g, x, win, self.max, self.counts.as_ref())
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "poolSize": self.pool, "padding": self.padding,
            "strides": self.strides, "dataFormat": "channelsLast",
        })
    }
}

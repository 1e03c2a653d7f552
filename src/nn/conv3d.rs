//! 3-D convolution and pooling over channels-last volumes [N, D, H, W, C]: Conv3D,
//! Conv3DTranspose, MaxPooling3D and AveragePooling3D.
//!
//! No kernel of their own: a 3-D window is two 2-D windows of the existing `Im2Col`. The volume
//! [N, D, H, W, C] is first seen as N·D images [H, W, C], whose (kh, kw) windows give
//! [N·D, GH, GW, kh·kw, C]; that is then seen as N images of height D and width GH·GW with
//! kh·kw·C channels, whose (kd, 1) windows over the depth give [N, GD, GH·GW, kd, kh·kw·C]: the
//! rows of the 3-D windows with their taps in Keras's kernel order (kd, kh, kw, C), so a
//! convolution is one matmul with the kernel as it is stored. The transposed convolution runs the
//! adjoint chain (matmul, then `Col2Im` over the depth, then over the planes). Max and average
//! pooling are separable: reduce the plane windows, then the depth windows. Gradients and both
//! devices come with the ops.

use super::activations::Activation;
use super::constraints::Constraint;
use super::initializers::Init;
use super::regularizers::Regularizer;
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Op, ReduceKind, Window};
use crate::tensor::{DType, Tensor};
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

/// A 3-D window as two 2-D ones: `plane` over the [H, W] images, `depth` (kd x 1) over the
/// [D, GH·GW] images the plane windows make.
#[derive(Clone, Debug)]
struct Window3 {
    plane: Window,
    depth: Window,
    /// The volume [D, H, W] the windows read (a transposed conv's output).
    size: [usize; 3],
}

impl Window3 {
    /// The windows over a volume of `size`, with TF's padding rules per axis; a window larger
    /// than the volume with 'valid' padding is an error naming every axis.
    fn new(owner: &str, size: [usize; 3], k: &[usize], s: &[usize], d: &[usize], padding: &str) -> Result<Window3> {
        if padding == "valid" && (0..3).any(|a| (k[a] - 1) * d[a] + 1 > size[a]) {
            return Err(Error::shape(
                owner,
                format!(
                    "the window (kernel {} with dilation {}) is larger than the input [depth, height, width] {} with padding 'valid'",
                    fmt_shape(k),
                    fmt_shape(d),
                    fmt_shape(&size)
                ),
            ));
        }
        let plane = Window::new(owner, [size[1], size[2]], [k[1], k[2]], [s[1], s[2]], [d[1], d[2]], padding)?;
        let cols = plane.grid[0] * plane.grid[1];
        let depth = Window::new(owner, [size[0], cols], [k[0], 1], [s[0], 1], [d[0], 1], padding)?;
        Ok(Window3 { plane, depth, size })
    }
    /// Output positions [GD, GH, GW].
    fn grid(&self) -> [usize; 3] {
        [self.depth.grid[0], self.plane.grid[0], self.plane.grid[1]]
    }
    fn taps(&self) -> usize {
        self.depth.taps() * self.plane.taps()
    }
}

/// A window that reads each pixel once, in place: the image is its own windows.
fn is_identity(w: &Window, size: [usize; 2]) -> bool {
    w.taps() == 1 && w.stride == [1, 1] && w.pad == [0, 0] && w.grid == size
}

/// The windows of `x` [N, D, H, W, C] as [N, GD, GH·GW, kd, kh·kw·C] (taps in Keras's kernel
/// order), reading `fill` outside the volume.
fn gather(g: &mut Graph, x: NodeId, w: &Window3, n: usize, c: usize, fill: f32) -> Result<NodeId> {
    let [d, h, wd] = w.size;
    let img = g.reshape(x, &[n * d, h, wd, c])?;
    let cols = if is_identity(&w.plane, [h, wd]) { img } else { g.apply(Op::Im2Col { w: w.plane.clone(), fill }, &[img])? };
    let ghw = w.plane.grid[0] * w.plane.grid[1];
    let vol = g.reshape(cols, &[n, d, ghw, w.plane.taps() * c])?;
    if is_identity(&w.depth, [d, ghw]) {
        return g.reshape(vol, &[n, d, ghw, 1, w.plane.taps() * c]);
    }
    g.apply(Op::Im2Col { w: w.depth.clone(), fill }, &[vol])
}

/// The adjoint of [`gather`] (fill 0): windows [N, GD, GH·GW, kd, kh·kw·F] summed back onto the
/// volume [N, D, H, W, F].
fn scatter(g: &mut Graph, cols: NodeId, w: &Window3, n: usize, f: usize) -> Result<NodeId> {
    let [d, h, wd] = w.size;
    let ghw = w.plane.grid[0] * w.plane.grid[1];
    let vol = if is_identity(&w.depth, [d, ghw]) {
        g.reshape(cols, &[n, d, ghw, w.plane.taps() * f])?
    } else {
        g.apply(Op::Col2Im { w: w.depth.clone(), image: [d, ghw] }, &[cols])?
    };
    let rows = g.reshape(vol, &[n * d, w.plane.grid[0], w.plane.grid[1], w.plane.taps(), f])?;
    let img = if is_identity(&w.plane, [h, wd]) {
        g.reshape(rows, &[n * d, h, wd, f])?
    } else {
        g.apply(Op::Col2Im { w: w.plane.clone(), image: [h, wd] }, &[rows])?
    };
    g.reshape(img, &[n, d, h, wd, f])
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
        let (n, c, f) = (xs[0], self.channels, self.filters);
        let taps = win.taps();
        let y = if self.transpose {
            check_call(&owner, &xs, win.grid(), c)?;
            // x [N·D·H·W, C] · kernel[(taps·F), C]ᵀ, then each window is summed onto the volume.
            let rows = g.reshape(x, &[xs[..4].iter().product(), c])?;
            let kern = g.reshape(w[0], &[taps * f, c])?;
            let cols = g.matmul(rows, kern, false, true)?;
            let ghw = win.plane.grid[0] * win.plane.grid[1];
            let cols = g.reshape(cols, &[n, win.depth.grid[0], ghw, win.depth.taps(), win.plane.taps() * f])?;
            scatter(g, cols, win, n, f)?
        } else {
            check_call(&owner, &xs, win.size, c)?;
            let cols = gather(g, x, win, n, c, 0.0)?;
            let [gd, gh, gw] = win.grid();
            let cols = g.reshape(cols, &[n * gd * gh * gw, taps * c])?;
            let kern = g.reshape(w[0], &[taps * c, f])?;
            let y = g.matmul(cols, kern, false, false)?;
            g.reshape(y, &[n, gd, gh, gw, f])?
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

/// How many of the `k` taps of window position `o` along axis `a` read inside `size`.
fn inside(w: &Window, a: usize, o: usize, size: usize) -> usize {
    (0..w.k[a]).filter(|&t| (o * w.stride[a] + t * w.dil[a]).checked_sub(w.pad[a]).is_some_and(|p| p < size)).count()
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
        self.counts = None;
        if !self.max && self.padding == "same" {
            let p = &w.plane;
            let plane = (0..gh * gw).map(|i| (inside(p, 0, i / gw, size[1]) * inside(p, 1, i % gw, size[2])) as f32).collect();
            let depth = (0..gd).map(|o| inside(&w.depth, 0, o, size[0]) as f32).collect();
            self.counts = Some((
                Tensor { shape: vec![gh, gw, 1], dtype: DType::F32, data: plane },
                Tensor { shape: vec![gd, 1, 1], dtype: DType::F32, data: depth },
            ));
        }
        self.channels = input[3];
        self.window = Some(w);
        Ok((vec![], vec![gd, gh, gw, input[3]]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let owner = format!("{} '{}'", self.class_name(), self.name);
        let win = self.window.as_ref().ok_or_else(|| Error::arg(&owner, "the layer was not built"))?;
        let xs = g.shape_of(x);
        check_call(&owner, &xs, win.size, self.channels)?;
        let (n, c) = (xs[0], self.channels);
        let [d, h, wd] = win.size;
        let [gd, gh, gw] = win.grid();
        let fill = if self.max { f32::NEG_INFINITY } else { 0.0 };
        // Reduces windows [.., .., .., taps, C] over the taps, dividing by `count` if given.
        let reduce = |g: &mut Graph, cols: NodeId, count: Option<&Tensor>| -> Result<NodeId> {
            if self.max {
                return g.reduce(ReduceKind::Max, cols, &[3], false);
            }
            match count {
                Some(k) => {
                    let s = g.sum(cols, &[3], false)?;
                    let k = g.constant(k.clone())?;
                    g.div(s, k)
                }
                None => g.mean(cols, &[3], false),
            }
        };
        let img = g.reshape(x, &[n * d, h, wd, c])?;
        let planes = if is_identity(&win.plane, [h, wd]) {
            img
        } else {
            let cols = g.apply(Op::Im2Col { w: win.plane.clone(), fill }, &[img])?;
            reduce(g, cols, self.counts.as_ref().map(|c| &c.0))?
        };
        let vol = g.reshape(planes, &[n, d, gh * gw, c])?;
        let y = if is_identity(&win.depth, [d, gh * gw]) {
            vol
        } else {
            let cols = g.apply(Op::Im2Col { w: win.depth.clone(), fill }, &[vol])?;
            reduce(g, cols, self.counts.as_ref().map(|c| &c.1))?
        };
        g.reshape(y, &[n, gd, gh, gw, c])
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "poolSize": self.pool, "padding": self.padding,
            "strides": self.strides, "dataFormat": "channelsLast",
        })
    }
}

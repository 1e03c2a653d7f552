//! Pooling and spatial resizing over channels-last inputs: Max/AveragePooling1D/2D (windows from
//! `Im2Col`, then a reduction over the taps), the global poolings, UpSampling2D (nearest and
//! bilinear, with the resize helper Resizing and CenterCrop share), ZeroPadding2D and cropping.

use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Op, Window};
use crate::tensor::Tensor;
use serde_json::{json, Value};

pub(super) fn check_rank(owner: &str, input: &[usize], rank: usize) -> Result<()> {
    if input.len() != rank + 1 || input.contains(&0) {
        let what = if rank == 1 { "[batch, steps, channels]" } else { "[batch, height, width, channels]" };
        return Err(Error::shape(
            owner,
            format!("expected input of rank {} {what} with non-zero sizes, received shape {}", rank + 2, batch_shape(input)),
        ));
    }
    Ok(())
}

pub struct Pooling {
    name: String,
    max: bool,
    rank: usize,
    pool: Vec<usize>,
    strides: Vec<usize>,
    padding: String,
    window: Option<Window>,
    /// Average pooling with 'same' padding: how many taps of each window lie inside the input
    /// (TF divides by that, not by the window size), shape [OH, OW, 1].
    counts: Option<Tensor>,
}

impl Pooling {
    pub fn new(name: String, o: &Opts, max: bool, rank: usize) -> Result<Pooling> {
        o.channels_last()?;
        let pool = o.int_tuple("poolSize", rank, Some(2), 1)?;
        // TF.js and Keras: strides default to the pool size.
        let strides = match o.get("strides") {
            None => pool.clone(),
            Some(_) => o.int_tuple("strides", rank, None, 1)?,
        };
        let padding = o.str_or("padding", "valid")?.to_string();
        if padding != "valid" && padding != "same" {
            return Err(Error::arg(&o.owner, format!("padding must be 'valid' or 'same', received '{padding}'")));
        }
        Ok(Pooling { name, max, rank, pool, strides, padding, window: None, counts: None })
    }
    fn two(&self, v: &[usize]) -> [usize; 2] {
        if self.rank == 1 {
            [1, v[0]]
        } else {
            [v[0], v[1]]
        }
    }
}

impl Layer for Pooling {
    fn class_name(&self) -> &'static str {
        match (self.max, self.rank) {
            (true, 1) => "MaxPooling1D",
            (true, _) => "MaxPooling2D",
            (false, 1) => "AveragePooling1D",
            (false, _) => "AveragePooling2D",
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = format!("{} '{}'", self.class_name(), self.name);
        check_rank(&owner, input, self.rank)?;
        let size = self.two(&input[..self.rank]);
        let w = Window::new(&owner, size, self.two(&self.pool), self.two(&self.strides), [1, 1], &self.padding)?;
        self.counts = None;
        if !self.max && self.padding == "same" {
            let [gh, gw] = w.grid;
            let inside = |a: usize, o: usize, k: usize| (0..k).filter(|&t| (o * w.stride[a] + t).checked_sub(w.pad[a]).is_some_and(|p| p < size[a])).count();
            let data = (0..gh * gw).map(|i| (inside(0, i / gw, w.k[0]) * inside(1, i % gw, w.k[1])) as f32).collect();
            self.counts = Some(Tensor { shape: vec![gh, gw, 1], dtype: crate::tensor::DType::F32, data });
        }
        let mut out = if self.rank == 1 { vec![w.grid[1]] } else { w.grid.to_vec() };
        out.push(input[self.rank]);
        self.window = Some(w);
        Ok((vec![], out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let win = self.window.as_ref().ok_or_else(|| Error::arg(&self.name, "the layer was not built"))?;
        let xs = g.shape_of(x);
        let (n, c) = (xs[0], xs[self.rank + 1]);
        let [h, w] = self.two(&xs[1..]);
        let img = g.reshape(x, &[n, h, w, c])?;
        let fill = if self.max { f32::NEG_INFINITY } else { 0.0 };
        let cols = g.apply(Op::Im2Col { w: win.clone(), fill }, &[img])?;
        let y = if self.max {
            g.reduce(crate::ops::ReduceKind::Max, cols, &[3], false)?
        } else if let Some(counts) = &self.counts {
            let s = g.sum(cols, &[3], false)?;
            let k = g.constant(counts.clone())?;
            g.div(s, k)?
        } else {
            g.mean(cols, &[3], false)?
        };
        let [gh, gw] = win.grid;
        let shape = if self.rank == 1 { vec![n, gw, c] } else { vec![n, gh, gw, c] };
        g.reshape(y, &shape)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "poolSize": self.pool, "padding": self.padding,
            "strides": self.strides, "dataFormat": "channelsLast",
        })
    }
}

pub struct GlobalPooling {
    name: String,
    max: bool,
    rank: usize,
}

impl GlobalPooling {
    pub fn new(name: String, o: &Opts, max: bool, rank: usize) -> Result<GlobalPooling> {
        o.channels_last()?;
        if o.bool_or("keepdims", false)? {
            return Err(Error::arg(&o.owner, "the option keepdims is not supported yet"));
        }
        Ok(GlobalPooling { name, max, rank })
    }
}

impl Layer for GlobalPooling {
    fn class_name(&self) -> &'static str {
        match (self.max, self.rank) {
            (true, 1) => "GlobalMaxPooling1D",
            (true, _) => "GlobalMaxPooling2D",
            (false, 1) => "GlobalAveragePooling1D",
            (false, _) => "GlobalAveragePooling2D",
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        check_rank(&format!("{} '{}'", self.class_name(), self.name), input, self.rank)?;
        Ok((vec![], vec![input[self.rank]]))
    }
    fn call_masked(&self, g: &mut Graph, xs: &[NodeId], mask: Option<NodeId>, w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        // Keras's masked average over the steps: sum(x·m) / sum(m). (Max pooling ignores masks.)
        match mask {
            Some(m) if !self.max && self.rank == 1 => {
                let s = g.shape_of(m);
                let m3 = g.reshape(m, &[s[0], s[1], 1])?;
                let xm = g.mul(xs[0], m3)?;
                let num = g.sum(xm, &[1], false)?;
                let den = g.sum(m3, &[1], false)?;
                Ok(vec![g.div(num, den)?])
            }
            _ => self.call_outputs(g, xs, w, training),
        }
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let axes: Vec<usize> = (1..=self.rank).collect();
        if self.max {
            g.reduce(crate::ops::ReduceKind::Max, x, &axes, false)
        } else {
            g.mean(x, &axes, false)
        }
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "dataFormat": "channelsLast"})
    }
}

pub struct UpSampling2D {
    name: String,
    size: Vec<usize>,
    bilinear: bool,
}

impl UpSampling2D {
    pub fn new(name: String, o: &Opts) -> Result<UpSampling2D> {
        o.channels_last()?;
        let bilinear = match o.str_or("interpolation", "nearest")? {
            "nearest" => false,
            "bilinear" => true,
            i => return Err(Error::arg(&o.owner, format!("interpolation must be 'nearest' or 'bilinear', received '{i}'"))),
        };
        Ok(UpSampling2D { name, size: o.int_tuple("size", 2, Some(2), 1)?, bilinear })
    }
}

/// The [from, to] matrix that resizes `from` samples to `to` with half-pixel centres, as Keras 3
/// resizes (jax.image.resize, no antialiasing): output i is centred at c = (i + 0.5) · from / to
/// in source pixels; bilinear reads the source at c - 0.5, between its two neighbours, clamped to
/// the edges; nearest takes source pixel floor(c), as a 0/1 matrix (exact for finite pixels; an
/// infinite one would spread NaN along its row through 0 · inf).
pub(super) fn resize_matrix(from: usize, to: usize, bilinear: bool) -> Result<Tensor> {
    if from == 0 || to == 0 {
        return Err(Error::shape("resize", format!("cannot resize {from} pixels to {to}")));
    }
    let mut m = vec![0f32; from * to];
    for i in 0..to {
        let centre = (i as f64 + 0.5) * from as f64 / to as f64;
        if !bilinear {
            m[(centre.floor() as usize).min(from - 1) * to + i] = 1.0;
            continue;
        }
        let src = (centre - 0.5).max(0.0);
        let i0 = (src.floor() as usize).min(from - 1);
        let i1 = (i0 + 1).min(from - 1);
        let frac = (src - i0 as f64) as f32;
        m[i0 * to + i] += 1.0 - frac;
        m[i1 * to + i] += frac;
    }
    Tensor::new(vec![from, to], m)
}

/// Resizes the rows and columns of `x` [n, h, w, c] to `size` with [`resize_matrix`]: separable,
/// one matmul with a constant matrix per axis, so both backends and autodiff need nothing new.
/// (UpSampling2D's bilinear mode, Resizing, CenterCrop on small inputs.)
pub(super) fn resize_2d(g: &mut Graph, x: NodeId, size: [usize; 2], bilinear: bool) -> Result<NodeId> {
    let s = g.shape_of(x);
    let (n, h, w, c) = (s[0], s[1], s[2], s[3]);
    let [oh, ow] = size;
    let ah = g.constant(resize_matrix(h, oh, bilinear)?)?;
    let aw = g.constant(resize_matrix(w, ow, bilinear)?)?;
    let t = g.transpose(x, &[0, 2, 3, 1])?; // [n, w, c, h]
    let t = g.reshape(t, &[n * w * c, h])?;
    let t = g.matmul(t, ah, false, false)?;
    let t = g.reshape(t, &[n, w, c, oh])?;
    let t = g.transpose(t, &[0, 3, 2, 1])?; // [n, oh, c, w]
    let t = g.reshape(t, &[n * oh * c, w])?;
    let t = g.matmul(t, aw, false, false)?;
    let t = g.reshape(t, &[n, oh, c, ow])?;
    g.transpose(t, &[0, 1, 3, 2])
}

impl Layer for UpSampling2D {
    fn class_name(&self) -> &'static str {
        "UpSampling2D"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        check_rank(&format!("UpSampling2D '{}'", self.name), input, 2)?;
        Ok((vec![], vec![input[0] * self.size[0], input[1] * self.size[1], input[2]]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        let (n, h, w, c) = (s[0], s[1], s[2], s[3]);
        let (a, b) = (self.size[0], self.size[1]);
        if self.bilinear {
            return resize_2d(g, x, [h * a, w * b], true);
        }
        let x6 = g.reshape(x, &[n, h, 1, w, 1, c])?;
        let rep = g.broadcast_to(x6, &[n, h, a, w, b, c])?;
        g.reshape(rep, &[n, h * a, w * b, c])
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "size": self.size, "dataFormat": "channelsLast", "interpolation": if self.bilinear { "bilinear" } else { "nearest" }})
    }
}

pub struct ZeroPadding2D {
    name: String,
    /// [[top, bottom], [left, right]].
    pad: [[usize; 2]; 2],
}

/// (before, after) amounts per spatial axis, as TF.js and Keras take them: an integer for every
/// side; for two axes [symH, symW] or [[top, bottom], [left, right]]; for one axis [before, after].
fn axis_pairs(o: &Opts, key: &str, rank: usize, default: usize) -> Result<Vec<[usize; 2]>> {
    let shapes = if rank == 1 { "an integer or [before, after]" } else { "an integer, [symH, symW] or [[top, bottom], [left, right]]" };
    let bad = |v: &Value| Error::arg(&o.owner, format!("expected {key} to be {shapes} of non-negative integers, received {key}={v}"));
    let int = |v: &Value| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e9).map(|f| f as usize);
    let Some(v) = o.get(key) else { return Ok(vec![[default, default]; rank]) };
    match v {
        Value::Array(a) if rank == 1 && a.len() == 2 => Ok(vec![[int(&a[0]).ok_or_else(|| bad(v))?, int(&a[1]).ok_or_else(|| bad(v))?]]),
        Value::Array(a) if a.len() == rank => a
            .iter()
            .map(|e| match e {
                Value::Array(p) if p.len() == 2 => Some([int(&p[0])?, int(&p[1])?]),
                e => int(e).map(|k| [k, k]),
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad(v)),
        v => int(v).map(|k| vec![[k, k]; rank]).ok_or_else(|| bad(v)),
    }
}

impl ZeroPadding2D {
    pub fn new(name: String, o: &Opts) -> Result<ZeroPadding2D> {
        o.channels_last()?;
        let p = axis_pairs(o, "padding", 2, 1)?;
        Ok(ZeroPadding2D { name, pad: [p[0], p[1]] })
    }
}

impl Layer for ZeroPadding2D {
    fn class_name(&self) -> &'static str {
        "ZeroPadding2D"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        check_rank(&format!("ZeroPadding2D '{}'", self.name), input, 2)?;
        let [[t, b], [l, r]] = self.pad;
        Ok((vec![], vec![input[0] + t + b, input[1] + l + r, input[2]]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let [[t, b], [l, r]] = self.pad;
        g.apply(Op::Pad { before: vec![0, t, l, 0], after: vec![0, b, r, 0] }, &[x])
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "padding": self.pad, "dataFormat": "channelsLast"})
    }
}

/// Cropping1D / Cropping2D: drops (before, after) steps or rows and columns from each side.
pub struct Cropping {
    name: String,
    crop: Vec<[usize; 2]>,
}

impl Cropping {
    pub fn new(name: String, o: &Opts, rank: usize) -> Result<Cropping> {
        if rank == 2 {
            o.channels_last()?;
        }
        // Keras's defaults: one step off each end in 1-D, nothing in 2-D.
        Ok(Cropping { name, crop: axis_pairs(o, "cropping", rank, if rank == 1 { 1 } else { 0 })? })
    }
    fn owner(&self) -> String {
        format!("{} '{}'", self.class_name(), self.name)
    }
}

impl Layer for Cropping {
    fn class_name(&self) -> &'static str {
        if self.crop.len() == 1 {
            "Cropping1D"
        } else {
            "Cropping2D"
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let rank = self.crop.len();
        check_rank(&self.owner(), input, rank)?;
        let mut out = input.to_vec();
        for (k, &[a, b]) in self.crop.iter().enumerate() {
            if a + b >= input[k] {
                return Err(Error::shape(
                    self.owner(),
                    format!("cropping {a} + {b} leaves nothing of axis {} (size {}) of input shape {}", k + 1, input[k], batch_shape(input)),
                ));
            }
            out[k] = input[k] - a - b;
        }
        Ok((vec![], out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        let mut begin = vec![0; s.len()];
        let mut size = s.clone();
        for (k, &[a, b]) in self.crop.iter().enumerate() {
            begin[k + 1] = a;
            size[k + 1] = s[k + 1] - a - b;
        }
        g.apply(Op::Slice { begin, size }, &[x])
    }
    fn config(&self) -> Value {
        let cropping = if self.crop.len() == 1 { json!(self.crop[0]) } else { json!(self.crop) };
        let mut c = json!({"name": self.name, "trainable": true, "cropping": cropping});
        if self.crop.len() == 2 {
            c["dataFormat"] = json!("channelsLast");
        }
        c
    }
}

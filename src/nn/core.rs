//! Weightless core layers: Activation, Dropout (and SpatialDropout1D), GaussianNoise, Flatten,
//! LeakyReLU, Softmax, Rescaling.

use super::activations::Activation;
use super::{Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Op, Unary};
use serde_json::{json, Value};

pub struct ActivationLayer {
    name: String,
    activation: Activation,
}

impl ActivationLayer {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let a = o.str_or("activation", "")?;
        if a.is_empty() {
            return Err(Error::arg(&o.owner, "the option activation is required"));
        }
        Ok(ActivationLayer { name, activation: Activation::parse(&o.owner, a)? })
    }
}

impl Layer for ActivationLayer {
    fn class_name(&self) -> &'static str {
        "Activation"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        self.activation.apply(g, x)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "activation": self.activation.name()})
    }
}

pub struct Dropout {
    name: String,
    rate: f32,
    /// The mask's shape (batch first; `None` entries follow the input), so the same value drops
    /// whole rows or channels; SpatialDropout1D uses [batch, 1, channels].
    noise_shape: Option<Vec<Option<usize>>>,
    spatial: bool,
}

impl Dropout {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let rate = o.f32_or("rate", f32::NAN)?;
        if !(0.0..1.0).contains(&rate) {
            return Err(Error::arg(&o.owner, format!("expected rate to be a number in [0, 1), received rate={rate}")));
        }
        let noise_shape = parse_noise_shape(o)?;
        Ok(Dropout { name, rate, noise_shape, spatial: false })
    }
    pub fn spatial(name: String, o: &Opts) -> Result<Self> {
        o.unsupported(&["noiseShape"])?;
        let mut d = Dropout::new(name, o)?;
        d.spatial = true;
        Ok(d)
    }
}

impl Layer for Dropout {
    fn class_name(&self) -> &'static str {
        if self.spatial {
            "SpatialDropout1D"
        } else {
            "Dropout"
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = format!("{} '{}'", self.class_name(), self.name);
        if self.spatial && input.len() != 2 {
            return Err(Error::shape(owner, format!("expected input of rank 3, received shape {}", super::batch_shape(input))));
        }
        check_noise_shape(&owner, self.noise_shape.as_deref(), input)?;
        Ok((vec![], input.to_vec()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], training: bool) -> Result<NodeId> {
        if !training || self.rate == 0.0 {
            return Ok(x);
        }
        let spatial = [None, Some(1), None];
        let ns = if self.spatial { Some(&spatial[..]) } else { self.noise_shape.as_deref() };
        // The mask op takes its shape from its input: a slice of x of the mask's shape.
        let like = noise_like(g, x, ns)?;
        let mask = g.apply(Op::DropoutMask { rate: self.rate }, &[like])?;
        g.mul(x, mask)
    }
    fn config(&self) -> Value {
        let mut c = json!({"name": self.name, "trainable": true, "rate": self.rate});
        if let Some(ns) = &self.noise_shape {
            c["noiseShape"] = json!(ns);
        }
        c
    }
}

/// `noiseShape` (Dropout, AlphaDropout): an array of positive integers or nulls, batch first.
pub(super) fn parse_noise_shape(o: &Opts) -> Result<Option<Vec<Option<usize>>>> {
    match o.get("noiseShape") {
        None => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|d| match d {
                Value::Null => Ok(None),
                d => d.as_f64().filter(|f| f.fract() == 0.0 && *f >= 1.0).map(|f| Some(f as usize)).ok_or(()),
            })
            .collect::<std::result::Result<Vec<_>, ()>>()
            .map(Some)
            .map_err(|_| Error::arg(&o.owner, format!("noiseShape must be an array of positive integers or null, received {a:?}"))),
        Some(v) => Err(Error::arg(&o.owner, format!("noiseShape must be an array, received {v}"))),
    }
}

/// Checks that a noise shape broadcasts to the input (feature shape, batch excluded).
pub(super) fn check_noise_shape(owner: &str, ns: Option<&[Option<usize>]>, input: &[usize]) -> Result<()> {
    let Some(ns) = ns else { return Ok(()) };
    let fits = ns.len() == input.len() + 1 && ns[1..].iter().zip(input).all(|(d, &i)| d.is_none_or(|d| d == 1 || d == i));
    if !fits {
        return Err(Error::shape(owner, format!("noiseShape {ns:?} does not broadcast to the input shape {}", super::batch_shape(input))));
    }
    Ok(())
}

/// A node of the noise's shape for a random op to take its shape from: `x` itself, or a slice
/// of it (`None` entries of the noise shape follow the input, the others are 1 or the input's).
pub(super) fn noise_like(g: &mut Graph, x: NodeId, ns: Option<&[Option<usize>]>) -> Result<NodeId> {
    let xs = g.shape_of(x);
    let shape: Vec<usize> = match ns {
        Some(ns) => xs.iter().zip(ns).map(|(&d, n)| n.map_or(d, |n| n.min(d))).collect(),
        None => xs.clone(),
    };
    if shape == xs {
        return Ok(x);
    }
    g.apply(Op::Slice { begin: vec![0; xs.len()], size: shape }, &[x])
}

/// GaussianNoise: adds N(0, stddev²) noise while training; the identity otherwise.
pub struct GaussianNoise {
    name: String,
    stddev: f32,
}

impl GaussianNoise {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let stddev = o.f32_or("stddev", f32::NAN)?;
        if stddev.is_nan() || stddev < 0.0 {
            return Err(Error::arg(&o.owner, format!("expected stddev to be a number >= 0, received stddev={stddev}")));
        }
        Ok(GaussianNoise { name, stddev })
    }
}

impl Layer for GaussianNoise {
    fn class_name(&self) -> &'static str {
        "GaussianNoise"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], training: bool) -> Result<NodeId> {
        if !training || self.stddev == 0.0 {
            return Ok(x);
        }
        let noise = g.apply(Op::RandomNormal { stddev: self.stddev }, &[x])?;
        g.add(x, noise)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "stddev": self.stddev})
    }
}

pub struct Flatten {
    name: String,
}

impl Flatten {
    pub fn new(name: String) -> Self {
        Flatten { name }
    }
}

impl Layer for Flatten {
    fn class_name(&self) -> &'static str {
        "Flatten"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if input.is_empty() {
            return Err(Error::shape(format!("Flatten '{}'", self.name), "expected input of rank >= 2, received shape [null]"));
        }
        Ok((vec![], vec![input.iter().product()]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        let rest: usize = s[1..].iter().product();
        g.reshape(x, &[s[0], rest])
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "dataFormat": "channelsLast"})
    }
}

pub struct LeakyRelu {
    name: String,
    alpha: f32,
}

impl LeakyRelu {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        Ok(LeakyRelu { name, alpha: o.f32_or("alpha", 0.3)? })
    }
}

impl Layer for LeakyRelu {
    fn class_name(&self) -> &'static str {
        "LeakyReLU"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        g.unary(Unary::LeakyRelu { alpha: self.alpha }, x)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "alpha": self.alpha})
    }
}

pub struct SoftmaxLayer {
    name: String,
    axis: i64,
}

impl SoftmaxLayer {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        Ok(SoftmaxLayer { name, axis: o.f32_or("axis", -1.0)? as i64 })
    }
}

impl Layer for SoftmaxLayer {
    fn class_name(&self) -> &'static str {
        "Softmax"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        crate::tensor::shape::norm_axis(&format!("Softmax '{}'", self.name), self.axis, input.len() + 1)?;
        Ok((vec![], input.to_vec()))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let rank = g.shape_of(x).len();
        let axis = crate::tensor::shape::norm_axis("softmax", self.axis, rank)?;
        g.softmax(x, axis)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "axis": self.axis})
    }
}

/// Rescaling (TF.js's image preprocessing layer): y = x · scale + offset.
pub struct Rescaling {
    name: String,
    scale: f32,
    offset: f32,
}

impl Rescaling {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        if o.get("scale").is_none() {
            return Err(Error::arg(&o.owner, "the option scale is required"));
        }
        Ok(Rescaling { name, scale: o.f32_or("scale", 1.0)?, offset: o.f32_or("offset", 0.0)? })
    }
}

impl Layer for Rescaling {
    fn class_name(&self) -> &'static str {
        "Rescaling"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], mask: Option<NodeId>) -> Result<Option<NodeId>> {
        super::pass_mask(mask)
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let x = g.cast(x, crate::tensor::DType::F32)?;
        let y = g.mul_scalar(x, self.scale)?;
        g.add_scalar(y, self.offset)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "scale": self.scale, "offset": self.offset})
    }
}

/// `InputLayer`: declares the input shape of a Sequential model; passes its input through.
pub struct InputLayer {
    name: String,
    /// The feature shape (batch excluded); a free dim (null) holds the stand-in size
    /// [`super::free::STAND_IN`] until a model builds a variant for the size it receives.
    shape: Vec<usize>,
    free: Vec<bool>,
    /// A fixed batch size (batchInputShape [4, ...]), shown as TF.js shows it.
    batch: Option<usize>,
}

impl InputLayer {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let (key, skip) = match (o.get("batchInputShape"), o.get("inputShape")) {
            (Some(_), _) => ("batchInputShape", 1),
            (None, Some(_)) => ("inputShape", 0),
            (None, None) => return Err(Error::arg(&o.owner, "an InputLayer needs inputShape or batchInputShape")),
        };
        let Some(v) = o.get(key) else { return Err(Error::arg(&o.owner, format!("{key} is missing"))) };
        let dims = v.as_array().and_then(|a| a.iter().skip(skip).map(super::free::dim).collect::<Option<Vec<_>>>());
        let dims = dims.ok_or_else(|| Error::arg(&o.owner, format!("{key} must be an array of positive integers or null, received {v}")))?;
        let free = dims.iter().map(|d| d.is_none()).collect();
        let batch = if skip == 1 { v.get(0).and_then(|b| b.as_u64()).filter(|&b| b > 0).map(|b| b as usize) } else { None };
        Ok(InputLayer { name, shape: super::free::fill(&dims, super::free::STAND_IN), free, batch })
    }
}

impl Layer for InputLayer {
    fn class_name(&self) -> &'static str {
        "InputLayer"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, _input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        Ok((vec![], self.shape.clone()))
    }
    fn call(&self, _g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        Ok(x)
    }
    fn config(&self) -> Value {
        let mut batch = vec![self.batch.map_or(Value::Null, |b| json!(b))];
        batch.extend(self.shape.iter().zip(&self.free).map(|(&d, &f)| if f { Value::Null } else { json!(d) }));
        json!({"name": self.name, "batchInputShape": batch})
    }
}

/// Keras's Masking: steps whose features all equal `maskValue` are masked for the layers after
/// (recurrent layers skip them) and zeroed in the output.
pub struct Masking {
    name: String,
    value: f32,
}

impl Masking {
    pub fn new(name: String, o: &Opts) -> Result<Masking> {
        Ok(Masking { name, value: o.f32_or("maskValue", 0.0)? })
    }
    fn keep(&self, g: &mut Graph, x: NodeId) -> Result<NodeId> {
        let v = g.constant(crate::tensor::Tensor::scalar(self.value))?;
        let ne = g.binary(crate::ops::Binary::NotEqual, x, v)?;
        let ne = g.cast(ne, crate::tensor::DType::F32)?;
        let rank = g.shape_of(x).len();
        g.reduce(crate::ops::ReduceKind::Max, ne, &[rank - 1], false)
    }
}

impl Layer for Masking {
    fn class_name(&self) -> &'static str {
        "Masking"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        if input.len() < 2 {
            return Err(Error::shape(
                format!("Masking '{}'", self.name),
                format!("expected input of rank >= 3 [batch, steps, features], received shape {}", super::batch_shape(input)),
            ));
        }
        Ok((vec![], input.to_vec()))
    }
    fn compute_mask(&self, g: &mut Graph, xs: &[NodeId], _mask: Option<NodeId>) -> Result<Option<NodeId>> {
        Ok(Some(self.keep(g, xs[0])?))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let keep = self.keep(g, x)?;
        let mut s = g.shape_of(keep);
        s.push(1);
        let k = g.reshape(keep, &s)?;
        g.mul(x, k)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "maskValue": self.value})
    }
}

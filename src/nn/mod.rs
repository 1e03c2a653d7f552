//! Layers, following the Keras life cycle: validate options in the constructor, create weights in
//! `build(input_shape)`, keep `call` short, report `config` for summaries and serialization.
//! Shapes here exclude the batch dimension, which is always first and unknown until a batch arrives.

pub mod activations;
pub mod advanced_activations;
pub mod attention;
pub mod constraints;
pub mod conv;
pub mod conv_lstm;
pub mod conv3d;
pub mod core;
pub mod custom;
pub mod dense;
pub mod embedding;
pub mod free;
pub mod initializers;
pub mod merge;
pub mod noise;
pub mod normalization;
pub mod pooling;
pub mod preprocessing;
pub mod random_width;
pub mod recurrent;
pub mod regularizers;
pub mod shaping;
pub mod wrappers;

use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Graph, NodeId};
use initializers::Init;
use serde_json::Value;

/// A weight a layer asks for when it builds.
#[derive(Clone, Debug)]
pub struct WeightSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub init: Init,
    pub seed: Option<u64>,
    pub trainable: bool,
    pub regularizer: Option<regularizers::Regularizer>,
    /// Projected after each optimizer update (tf.constraints.*); its axes were checked against
    /// `shape` by [`WeightSpec::constrained`].
    pub constraint: Option<constraints::Constraint>,
}

pub trait Layer {
    fn class_name(&self) -> &'static str;
    fn name(&self) -> &str;
    /// Checks the input shape (batch excluded) and returns the weights to create and the output
    /// shape. The default suits weightless layers that keep the shape.
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        Ok((vec![], input.to_vec()))
    }
    /// Adds the layer's math to `g`; `w` are the nodes of the weights `build` asked for, in order.
    fn call(&self, g: &mut Graph, x: NodeId, w: &[NodeId], training: bool) -> Result<NodeId>;
    /// `build` for a layer called on several inputs in a functional model (merge layers).
    fn build_multi(&mut self, inputs: &[Vec<usize>]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        match inputs {
            [one] => self.build(one),
            _ => Err(Error::arg(
                format!("{} '{}'", self.class_name(), self.name()),
                format!(
                    "expects a single input, received {} (shapes {})",
                    inputs.len(),
                    inputs.iter().map(|s| batch_shape(s)).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    /// `call` with the nodes of every input (one for most layers).
    fn call_multi(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<NodeId> {
        let Some(&x) = xs.first() else {
            return Err(Error::shape(format!("{} '{}'", self.class_name(), self.name()), "was called without an input"));
        };
        self.call(g, x, w, training)
    }
    /// The shapes of the outputs after the first, once built (a recurrent layer with
    /// returnState gives its final states too). Such layers only join functional models.
    fn extra_outputs(&self) -> Vec<Vec<usize>> {
        vec![]
    }
    /// States carried from one batch to the next (a stateful recurrent layer's h and c), as
    /// (name, shape with the batch). They are not weights: never trained, saved or counted,
    /// start at zero, and `resetStates` zeroes them. Their nodes follow the weights' in `w`,
    /// and the layer updates them with [`Graph::assign`] in every step.
    fn carries(&self) -> Vec<(String, Vec<usize>)> {
        vec![]
    }
    /// Keras masking: the mask (f32 [batch, steps] of 0/1) of this layer's first output, given
    /// its inputs and the first input's mask. The default drops the mask; layers that keep the
    /// steps pass it on (`pass_mask`), Embedding (maskZero) and Masking make one.
    fn compute_mask(&self, _g: &mut Graph, _xs: &[NodeId], _mask: Option<NodeId>) -> Result<Option<NodeId>> {
        Ok(None)
    }
    /// `call_outputs` for an input with a mask: layers that use masks (recurrent layers, average
    /// pooling over steps) override it; others ignore the mask.
    fn call_masked(&self, g: &mut Graph, xs: &[NodeId], _mask: Option<NodeId>, w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        self.call_outputs(g, xs, w, training)
    }
    /// Every output's node: `call_multi`'s, then the extra outputs'.
    fn call_outputs(&self, g: &mut Graph, xs: &[NodeId], w: &[NodeId], training: bool) -> Result<Vec<NodeId>> {
        Ok(vec![self.call_multi(g, xs, w, training)?])
    }
    fn config(&self) -> Value;
    /// A custom layer whose call depends on the batch size takes one recording per batch size
    /// (see [`custom::Custom`]); other layers refuse.
    fn add_batch_trace(&mut self, _batch: usize, _traced: crate::graph::TracedFn) -> Result<()> {
        Err(Error::arg(format!("{} '{}'", self.class_name(), self.name()), "only a custom layer takes recordings of its call"))
    }
    /// Checks the values of the model's input when this is the first layer (an embedding's
    /// indices must be in range); called once per fit/evaluate/predict, before any kernel runs.
    fn check_input_values(&self, _x: &crate::tensor::Tensor) -> Result<()> {
        Ok(())
    }
    /// Whether freezing the layer also switches it to inference mode (Keras 3 does this for
    /// BatchNormalization only; other frozen layers keep their training behaviour, e.g. dropout).
    fn frozen_runs_inference(&self) -> bool {
        false
    }
    /// A RandomWidth layer: the model builds a variant of its layers for each width drawn in
    /// training (see `model::shapes`).
    fn random_width(&self) -> Option<&random_width::RandomWidth> {
        None
    }
    /// A copy of the layer that a model can build for other input sizes, where its config
    /// cannot make it again (a custom layer's recorded call).
    fn duplicate(&self) -> Option<Box<dyn Layer>> {
        None
    }
}

impl WeightSpec {
    /// A trainable weight `layer/what` drawn from `init`.
    pub fn new(layer: &str, what: &str, shape: Vec<usize>, init: &(Init, Option<u64>), regularizer: Option<regularizers::Regularizer>) -> Self {
        WeightSpec { name: format!("{layer}/{what}"), shape, init: init.0.clone(), seed: init.1, trainable: true, regularizer, constraint: None }
    }

    /// Attaches the constraint of layer option `key` (of layer `owner`), checking its axes
    /// against the weight's shape.
    /// Also checks that the initializer can fill the shape (`identity` needs 2-D).
    pub fn constrained(mut self, owner: &str, key: &str, c: Option<constraints::Constraint>) -> Result<Self> {
        self.init.check(owner, &self.name, &self.shape)?;
        if let Some(c) = &c {
            c.reduced(owner, key, &self.shape)?;
        }
        self.constraint = c;
        Ok(self)
    }
}

/// `compute_mask` for layers that keep the steps of their input: the mask passes unchanged.
pub fn pass_mask(mask: Option<NodeId>) -> Result<Option<NodeId>> {
    Ok(mask)
}

/// `Dense 'dense_Dense2'`: how errors and summaries name a layer.
pub fn describe(layer: &dyn Layer) -> String {
    format!("{} '{}'", layer.class_name(), layer.name())
}

/// Formats a feature shape with the unknown batch dimension first: `[null,32]`.
pub fn batch_shape(feat: &[usize]) -> String {
    let inner = fmt_shape(feat);
    if feat.is_empty() {
        "[null]".into()
    } else {
        format!("[null,{}", &inner[1..])
    }
}

/// Options object helper: reads typed fields with clear errors naming the layer and option.
pub struct Opts<'a> {
    pub owner: String,
    pub v: &'a Value,
}

impl<'a> Opts<'a> {
    pub fn new(owner: impl Into<String>, v: &'a Value) -> Self {
        Opts { owner: owner.into(), v }
    }
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.v.get(key).filter(|x| !x.is_null())
    }
    pub fn positive_int(&self, key: &str) -> Result<usize> {
        match self.get(key) {
            Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f >= 1.0 && f.fract() == 0.0 && f < 1e9) => {
                Ok(n.as_f64().unwrap_or(0.0) as usize)
            }
            Some(other) => Err(Error::arg(&self.owner, format!("expected {key} to be a positive integer, received {key}={other}"))),
            None => Err(Error::arg(&self.owner, format!("the option {key} is required"))),
        }
    }
    pub fn f32_or(&self, key: &str, default: f32) -> Result<f32> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f.is_finite()) => Ok(n.as_f64().unwrap_or(0.0) as f32),
            Some(other) => Err(Error::arg(&self.owner, format!("expected {key} to be a finite number, received {key}={other}"))),
        }
    }
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(Error::arg(&self.owner, format!("expected {key} to be true or false, received {key}={other}"))),
        }
    }
    pub fn str_or(&self, key: &str, default: &'a str) -> Result<&'a str> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::String(s)) => Ok(s.as_str()),
            Some(other) => Err(Error::arg(&self.owner, format!("expected {key} to be a string, received {key}={other}"))),
        }
    }
    pub fn regularizer(&self, key: &str) -> Result<Option<regularizers::Regularizer>> {
        self.get(key).map(|v| regularizers::Regularizer::parse(&self.owner, key, v)).transpose()
    }
    pub fn constraint(&self, key: &str) -> Result<Option<constraints::Constraint>> {
        self.get(key).map(|v| constraints::Constraint::parse(&self.owner, key, v)).transpose()
    }
    /// Options Hebb does not implement yet: an error rather than silently different results.
    pub fn unsupported(&self, keys: &[&str]) -> Result<()> {
        match keys.iter().find(|k| self.get(k).is_some()) {
            Some(k) => Err(Error::arg(&self.owner, format!("the option {k} is not supported yet"))),
            None => Ok(()),
        }
    }
    /// An integer or an array of `n` integers (`kernelSize: 3` or `[3, 3]`), each >= `min`.
    pub fn int_tuple(&self, key: &str, n: usize, default: Option<usize>, min: usize) -> Result<Vec<usize>> {
        let bad = |v: &Value| Error::arg(&self.owner, format!("expected {key} to be an integer >= {min} or an array of {n} such integers, received {key}={v}"));
        let int = |v: &Value| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= min as f64 && *f < 1e9).map(|f| f as usize);
        match self.get(key) {
            None => default.map(|d| vec![d; n]).ok_or_else(|| Error::arg(&self.owner, format!("the option {key} is required"))),
            Some(v @ Value::Array(a)) => {
                let out: Option<Vec<usize>> = a.iter().map(int).collect();
                match out {
                    Some(o) if o.len() == n => Ok(o),
                    _ => Err(bad(v)),
                }
            }
            Some(v) => int(v).map(|d| vec![d; n]).ok_or_else(|| bad(v)),
        }
    }
    /// `dataFormat`: only 'channelsLast' (Hebb's layout, the default) is supported.
    pub fn channels_last(&self) -> Result<()> {
        match self.str_or("dataFormat", "channelsLast")? {
            "channelsLast" | "channels_last" => Ok(()),
            f => Err(Error::arg(&self.owner, format!("only dataFormat 'channelsLast' is supported, received '{f}'"))),
        }
    }
    pub fn init_or(&self, key: &str, default: &str) -> Result<(Init, Option<u64>)> {
        match self.get(key) {
            None => Init::parse(&self.owner, &Value::String(default.into())),
            Some(v) => Init::parse(&self.owner, v),
        }
    }
}

/// Creates a layer from `{className, config}` as the JS API (and TF.js model.json) describe it.
pub fn from_config(class_name: &str, config: &Value) -> Result<Box<dyn Layer>> {
    let name = config.get("name").and_then(|n| n.as_str()).unwrap_or("").to_string();
    let owner = if name.is_empty() { class_name.to_string() } else { format!("{class_name} '{name}'") };
    let o = Opts::new(owner, config);
    Ok(match class_name {
        "Dense" => Box::new(dense::Dense::new(name, &o)?),
        "Activation" => Box::new(core::ActivationLayer::new(name, &o)?),
        "Dropout" => Box::new(core::Dropout::new(name, &o)?),
        "Masking" => Box::new(core::Masking::new(name, &o)?),
        "Flatten" => Box::new(core::Flatten::new(name)),
        "LeakyReLU" => Box::new(core::LeakyRelu::new(name, &o)?),
        "Softmax" => Box::new(core::SoftmaxLayer::new(name, &o)?),
        "InputLayer" => Box::new(core::InputLayer::new(name, &o)?),
        "Reshape" => Box::new(shaping::Reshape::new(name, &o)?),
        "Permute" => Box::new(shaping::Permute::new(name, &o)?),
        "RepeatVector" => Box::new(shaping::RepeatVector::new(name, &o)?),
        "Embedding" => Box::new(embedding::Embedding::new(name, &o)?),
        "LayerNormalization" => Box::new(normalization::LayerNormalization::new(name, &o)?),
        "BatchNormalization" => Box::new(normalization::BatchNormalization::new(name, &o)?),
        "Conv1D" => Box::new(conv::Conv::new(name, &o, conv::Kind::Conv, 1)?),
        "Conv2D" => Box::new(conv::Conv::new(name, &o, conv::Kind::Conv, 2)?),
        "Conv2DTranspose" => Box::new(conv::Conv::new(name, &o, conv::Kind::Transpose, 2)?),
        "DepthwiseConv2D" => Box::new(conv::Conv::new(name, &o, conv::Kind::Depthwise, 2)?),
        "SeparableConv2D" => Box::new(conv::Conv::new(name, &o, conv::Kind::Separable, 2)?),
        "Conv3D" => Box::new(conv3d::Conv3d::new(name, &o, false)?),
        "Conv3DTranspose" => Box::new(conv3d::Conv3d::new(name, &o, true)?),
        "MaxPooling3D" => Box::new(conv3d::Pooling3d::new(name, &o, true)?),
        "AveragePooling3D" => Box::new(conv3d::Pooling3d::new(name, &o, false)?),
        "MaxPooling1D" => Box::new(pooling::Pooling::new(name, &o, true, 1)?),
        "MaxPooling2D" => Box::new(pooling::Pooling::new(name, &o, true, 2)?),
        "AveragePooling1D" => Box::new(pooling::Pooling::new(name, &o, false, 1)?),
        "AveragePooling2D" => Box::new(pooling::Pooling::new(name, &o, false, 2)?),
        "GlobalMaxPooling1D" => Box::new(pooling::GlobalPooling::new(name, &o, true, 1)?),
        "GlobalMaxPooling2D" => Box::new(pooling::GlobalPooling::new(name, &o, true, 2)?),
        "GlobalAveragePooling1D" => Box::new(pooling::GlobalPooling::new(name, &o, false, 1)?),
        "GlobalAveragePooling2D" => Box::new(pooling::GlobalPooling::new(name, &o, false, 2)?),
        "UpSampling2D" => Box::new(pooling::UpSampling2D::new(name, &o)?),
        "ZeroPadding2D" => Box::new(pooling::ZeroPadding2D::new(name, &o)?),
        "Cropping1D" => Box::new(pooling::Cropping::new(name, &o, 1)?),
        "Cropping2D" => Box::new(pooling::Cropping::new(name, &o, 2)?),
        "SpatialDropout1D" => Box::new(core::Dropout::spatial(name, &o)?),
        "GaussianNoise" => Box::new(core::GaussianNoise::new(name, &o)?),
        "GaussianDropout" => Box::new(noise::GaussianDropout::new(name, &o)?),
        "AlphaDropout" => Box::new(noise::AlphaDropout::new(name, &o)?),
        "ELU" => Box::new(advanced_activations::Elu::new(name, &o)?),
        "ReLU" => Box::new(advanced_activations::Relu::new(name, &o)?),
        "PReLU" => Box::new(advanced_activations::Prelu::new(name, &o)?),
        "ThresholdedReLU" => Box::new(advanced_activations::ThresholdedRelu::new(name, &o)?),
        "Rescaling" => Box::new(core::Rescaling::new(name, &o)?),
        "Resizing" => Box::new(preprocessing::Resizing::new(name, &o)?),
        "RandomWidth" => Box::new(random_width::RandomWidth::new(name, &o)?),
        "CenterCrop" => Box::new(preprocessing::CenterCrop::new(name, &o)?),
        "CategoryEncoding" => Box::new(preprocessing::CategoryEncoding::new(name, &o)?),
        "SimpleRNN" => Box::new(recurrent::Rnn::new(name, &o, recurrent::Cell::Simple)?),
        "LSTM" => Box::new(recurrent::Rnn::new(name, &o, recurrent::Cell::Lstm)?),
        "GRU" => Box::new(recurrent::Rnn::new(name, &o, recurrent::Cell::Gru)?),
        "Bidirectional" => Box::new(wrappers::Bidirectional::new(name, &o)?),
        "ConvLSTM2D" => Box::new(conv_lstm::ConvLstm2d::new(name, &o)?),
        "RNN" if conv_lstm::wraps_conv_cell(config) => Box::new(conv_lstm::ConvLstm2d::from_rnn(name, &o)?),
        "RNN" => Box::new(wrappers::RnnLayer::new(name, &o)?),
        "TimeDistributed" => Box::new(wrappers::TimeDistributed::new(name, &o)?),
        "Add" => Box::new(merge::Merge::new(name, &o, merge::Kind::Add)?),
        "Subtract" => Box::new(merge::Merge::new(name, &o, merge::Kind::Subtract)?),
        "Multiply" => Box::new(merge::Merge::new(name, &o, merge::Kind::Multiply)?),
        "Average" => Box::new(merge::Merge::new(name, &o, merge::Kind::Average)?),
        "Maximum" => Box::new(merge::Merge::new(name, &o, merge::Kind::Maximum)?),
        "Minimum" => Box::new(merge::Merge::new(name, &o, merge::Kind::Minimum)?),
        "Concatenate" => Box::new(merge::Merge::new(name, &o, merge::Kind::Concatenate)?),
        "Dot" => Box::new(merge::Merge::new(name, &o, merge::Kind::Dot)?),
        "MultiHeadAttention" => Box::new(attention::MultiHeadAttention::new(name, &o)?),
        _ => return Err(Error::arg("layers", format!("unknown layer class '{class_name}'"))),
    })
}

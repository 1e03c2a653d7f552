//! Preprocessing layers TF.js 4.22 has, built from existing ops: Resizing and CenterCrop (image
//! resizing through the constant-matrix resize of `pooling::resize_2d`, slicing) and
//! CategoryEncoding (integer tokens to one-hot, multi-hot or count vectors by comparison with
//! the token ids). Numerics follow Keras 3 (half-pixel centres), not TF.js's `resizeBilinear`
//! defaults.

use super::pooling::{check_rank, resize_2d};
use super::{batch_shape, Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Binary, Op, ReduceKind};
use crate::tensor::{DType, Tensor};
use serde_json::{json, Value};

/// Keras 3 options (a converted Keras file carries them) that Hebb does not implement: refused
/// when switched on rather than silently ignored.
fn refuse_flags(o: &Opts, keys: &[&str]) -> Result<()> {
    for k in keys {
        if o.bool_or(k, false)? {
            return Err(Error::arg(&o.owner, format!("{k} true is not supported yet")));
        }
    }
    Ok(())
}

/// `interpolation`: 'bilinear' (true) or 'nearest' (false).
fn interpolation(o: &Opts, default: &str) -> Result<bool> {
    match o.str_or("interpolation", default)? {
        "bilinear" => Ok(true),
        "nearest" => Ok(false),
        i => Err(Error::arg(&o.owner, format!("interpolation must be 'bilinear' or 'nearest', received '{i}'"))),
    }
}

/// Resizing: images [batch, height, width, channels] to [batch, `height`, `width`, channels].
pub struct Resizing {
    name: String,
    size: [usize; 2],
    bilinear: bool,
}

impl Resizing {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let size = [o.positive_int("height")?, o.positive_int("width")?];
        let bilinear = interpolation(o, "bilinear")?;
        if o.bool_or("cropToAspectRatio", false)? {
            return Err(Error::arg(&o.owner, "cropToAspectRatio true is not supported yet; crop with centerCrop or cropping2D first"));
        }
        refuse_flags(o, &["padToAspectRatio", "antialias"])?;
        o.channels_last()?;
        Ok(Resizing { name, size, bilinear })
    }
}

impl Layer for Resizing {
    fn class_name(&self) -> &'static str {
        "Resizing"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        check_rank(&format!("Resizing '{}'", self.name), input, 2)?;
        Ok((vec![], vec![self.size[0], self.size[1], input[2]]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        resize_2d(g, x, self.size, self.bilinear)
    }
    fn config(&self) -> Value {
        json!({
            "name": self.name, "trainable": true, "height": self.size[0], "width": self.size[1],
            "interpolation": if self.bilinear { "bilinear" } else { "nearest" }, "cropToAspectRatio": false,
        })
    }
}

/// CenterCrop: the central `height` x `width` window of each image. An input smaller than that
/// on either axis is resized up as Keras 3 does (`smart_resize`): the largest central window
/// with the target's aspect ratio, resized bilinearly to the target.
pub struct CenterCrop {
    name: String,
    size: [usize; 2],
    /// Set at build: the window's start and size, and whether it is then resized.
    start: [usize; 2],
    window: [usize; 2],
    resize: bool,
}

impl CenterCrop {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let size = [o.positive_int("height")?, o.positive_int("width")?];
        o.channels_last()?;
        Ok(CenterCrop { name, size, start: [0, 0], window: size, resize: false })
    }
}

impl Layer for CenterCrop {
    fn class_name(&self) -> &'static str {
        "CenterCrop"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        check_rank(&format!("CenterCrop '{}'", self.name), input, 2)?;
        let ([h, w], [th, tw]) = ([input[0], input[1]], self.size);
        self.resize = h < th || w < tw;
        if self.resize {
            // Keras's smart_resize: crop to the target's aspect ratio, at least one pixel.
            let ch = (w * th / tw).clamp(1, h);
            let cw = (h * tw / th).clamp(1, w);
            self.window = [ch, cw];
            self.start = [(h - ch) / 2, (w - cw) / 2];
        } else {
            self.window = self.size;
            self.start = [(h - th) / 2, (w - tw) / 2];
        }
        Ok((vec![], vec![th, tw, input[2]]))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let s = g.shape_of(x);
        let mut y = x;
        if self.window != [s[1], s[2]] {
            let begin = vec![0, self.start[0], self.start[1], 0];
            y = g.apply(Op::Slice { begin, size: vec![s[0], self.window[0], self.window[1], s[3]] }, &[x])?;
        }
        if self.resize {
            y = resize_2d(g, y, self.size, true)?;
        }
        Ok(y)
    }
    fn config(&self) -> Value {
        json!({"name": self.name, "trainable": true, "height": self.size[0], "width": self.size[1]})
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    OneHot,
    MultiHot,
    Count,
}

/// CategoryEncoding: integer token ids in [0, numTokens) (cast to integers by truncation, as
/// TF.js does) to vectors of numTokens: 'oneHot' encodes each id, 'multiHot' marks the ids a
/// sample holds, 'count' counts them. Built from a comparison with the ids 0..numTokens; it has
/// no gradient. Ids out of range are refused before any kernel runs when the layer reads the
/// model's input (`check_input_values`); deeper in a model they encode as zeros.
pub struct CategoryEncoding {
    name: String,
    num_tokens: usize,
    mode: Mode,
}

impl CategoryEncoding {
    pub fn new(name: String, o: &Opts) -> Result<Self> {
        let num_tokens = o.positive_int("numTokens")?;
        let mode = match o.str_or("outputMode", "multiHot")? {
            "oneHot" => Mode::OneHot,
            "multiHot" => Mode::MultiHot,
            "count" => Mode::Count,
            m => return Err(Error::arg(&o.owner, format!("outputMode must be 'oneHot', 'multiHot' or 'count', received '{m}'"))),
        };
        refuse_flags(o, &["sparse"])?;
        Ok(CategoryEncoding { name, num_tokens, mode })
    }
    fn owner(&self) -> String {
        format!("CategoryEncoding '{}'", self.name)
    }
}

impl Layer for CategoryEncoding {
    fn class_name(&self) -> &'static str {
        "CategoryEncoding"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let mut out = input.to_vec();
        if self.mode == Mode::OneHot {
            // Keras: a last axis of 1 is replaced by the encoding; any other gains one.
            if out.last() == Some(&1) {
                out.pop();
            }
        } else if input.len() != 1 {
            // Keras and TF.js reduce over axis 1, which for other ranks mixes samples or axes.
            return Err(Error::shape(
                self.owner(),
                format!("outputMode 'multiHot' and 'count' expect input [batch, tokens], received shape {}", batch_shape(input)),
            ));
        } else {
            out.pop();
        }
        out.push(self.num_tokens);
        Ok((vec![], out))
    }
    fn call(&self, g: &mut Graph, x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        let mut s = g.shape_of(x);
        let ids = g.cast(x, DType::I32)?;
        let ids = g.cast(ids, DType::F32)?;
        if self.mode == Mode::OneHot && s.len() > 1 && s.last() == Some(&1) {
            s.pop();
        }
        s.push(1);
        let ids = g.reshape(ids, &s)?;
        let tokens = g.constant(Tensor::new(vec![self.num_tokens], (0..self.num_tokens).map(|t| t as f32).collect())?)?;
        let hit = g.binary(Binary::Equal, ids, tokens)?;
        let one_hot = g.cast(hit, DType::F32)?;
        match self.mode {
            Mode::OneHot => Ok(one_hot),
            Mode::MultiHot => g.reduce(ReduceKind::Max, one_hot, &[1], false),
            Mode::Count => g.sum(one_hot, &[1], false),
        }
    }
    fn check_input_values(&self, x: &Tensor) -> Result<()> {
        let per = x.shape[1..].iter().product::<usize>().max(1);
        if let Some(k) = x.data.iter().position(|v| !(v.trunc() >= 0.0 && v.trunc() < self.num_tokens as f32)) {
            return Err(Error::data(
                self.owner(),
                format!(
                    "token id {} at sample {} (flat index {k}) of input shape {} is outside [0, {}) (numTokens {})",
                    x.data[k],
                    k / per,
                    crate::error::fmt_shape(&x.shape),
                    self.num_tokens,
                    self.num_tokens
                ),
            ));
        }
        Ok(())
    }
    fn config(&self) -> Value {
        let mode = match self.mode {
            Mode::OneHot => "oneHot",
            Mode::MultiHot => "multiHot",
            Mode::Count => "count",
        };
        json!({"name": self.name, "trainable": true, "numTokens": self.num_tokens, "outputMode": mode})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::plan::Plan;
    use crate::rng::Rng;

    fn layer(class: &str, cfg: Value) -> Result<Box<dyn Layer>> {
        super::super::from_config(class, &cfg)
    }

    fn run(l: &mut dyn Layer, x: Tensor) -> (Vec<usize>, Vec<f32>) {
        let (_, out) = l.build(&x.shape[1..]).unwrap();
        let mut g = Graph::new();
        let xn = g.input(0, &x.shape, DType::F32);
        let y = l.call(&mut g, xn, &[], false).unwrap();
        let mut outs = vec![y];
        crate::graph::plan::materialize(&mut g, &mut outs).unwrap();
        let mut plan = Plan::new(g, &outs).unwrap();
        plan.run(&[&x.data], &[], &mut Rng::new(0));
        (out, plan.value(outs[0]).to_vec())
    }

    #[test]
    fn category_encoding_modes() {
        // Sample 0 holds ids 1, 1, 3; sample 1 holds 0, 2, 2 (numTokens 4).
        let x = Tensor::new(vec![2, 3], vec![1., 1., 3., 0., 2., 2.]).unwrap();
        let mut count = layer("CategoryEncoding", json!({"name": "c", "numTokens": 4, "outputMode": "count"})).unwrap();
        assert_eq!(run(count.as_mut(), x.clone()), (vec![4], vec![0., 2., 0., 1., 1., 0., 2., 0.]));
        let mut multi = layer("CategoryEncoding", json!({"name": "m", "numTokens": 4})).unwrap();
        assert_eq!(run(multi.as_mut(), x.clone()), (vec![4], vec![0., 1., 0., 1., 1., 0., 1., 0.]));
        let mut one = layer("CategoryEncoding", json!({"name": "o", "numTokens": 3, "outputMode": "oneHot"})).unwrap();
        let ids = Tensor::new(vec![2, 1], vec![2., 0.]).unwrap();
        assert_eq!(run(one.as_mut(), ids), (vec![3], vec![0., 0., 1., 1., 0., 0.]));
        assert!(one.check_input_values(&Tensor::new(vec![2, 1], vec![2.9, 0.]).unwrap()).is_ok());
    }

    #[test]
    fn center_crop_takes_the_centre() {
        // 4 x 5 image of its flat pixel index; the 2 x 3 centre starts at row 1, column 1.
        let x = Tensor::new(vec![1, 4, 5, 1], (0..20).map(|v| v as f32).collect()).unwrap();
        let mut c = layer("CenterCrop", json!({"name": "cc", "height": 2, "width": 3})).unwrap();
        assert_eq!(run(c.as_mut(), x), (vec![2, 3, 1], vec![6., 7., 8., 11., 12., 13.]));
    }

    #[test]
    fn invalid_options_and_inputs_name_the_layer() {
        let err = |class: &str, cfg: Value| layer(class, cfg).err().expect("refused").to_string();
        let e = err("Resizing", json!({"name": "resizing_1", "height": 4, "width": 4, "cropToAspectRatio": true}));
        assert!(e.contains("Resizing 'resizing_1'") && e.contains("cropToAspectRatio"), "{e}");
        let e = err("Resizing", json!({"name": "resizing_1", "height": 4, "width": 4, "interpolation": "bicubic"}));
        assert!(e.contains("Resizing 'resizing_1'") && e.contains("'bicubic'"), "{e}");
        let e = err("Resizing", json!({"name": "resizing_1", "width": 4}));
        assert!(e.contains("Resizing 'resizing_1'") && e.contains("height"), "{e}");
        let e = err("Resizing", json!({"name": "resizing_1", "height": 4, "width": 4, "antialias": true}));
        assert!(e.contains("Resizing 'resizing_1'") && e.contains("antialias"), "{e}");
        let e = err("CenterCrop", json!({"name": "cc", "height": 0, "width": 4}));
        assert!(e.contains("CenterCrop 'cc'") && e.contains("height=0"), "{e}");
        let e = err("CategoryEncoding", json!({"name": "ce", "numTokens": 4, "outputMode": "tfIdf"}));
        assert!(e.contains("CategoryEncoding 'ce'") && e.contains("'tfIdf'"), "{e}");
        let e = err("CategoryEncoding", json!({"name": "ce", "outputMode": "count"}));
        assert!(e.contains("CategoryEncoding 'ce'") && e.contains("numTokens"), "{e}");
        // Inputs: rank, and token ids out of range (an error, never a panic or a wrong read).
        let mut r = layer("Resizing", json!({"name": "resizing_1", "height": 4, "width": 4})).unwrap();
        let e = r.build(&[5, 5]).unwrap_err().to_string();
        assert!(e.contains("Resizing 'resizing_1'") && e.contains("[null,5,5]"), "{e}");
        let mut c = layer("CategoryEncoding", json!({"name": "ce", "numTokens": 4, "outputMode": "count"})).unwrap();
        let e = c.build(&[2, 3]).unwrap_err().to_string();
        assert!(e.contains("CategoryEncoding 'ce'") && e.contains("[null,2,3]"), "{e}");
        for bad in [4.0, -1.0, f32::NAN] {
            let x = Tensor::new(vec![2, 2], vec![0., 1., 3., bad]).unwrap();
            let e = c.check_input_values(&x).unwrap_err().to_string();
            assert!(e.contains("CategoryEncoding 'ce'") && e.contains("sample 1") && e.contains("numTokens 4"), "{e}");
        }
    }
}

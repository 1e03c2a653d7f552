//! Free dimensions: TF.js's `null` in an input shape after the batch (`inputShape: [null, 8]`,
//! a recurrent input's number of steps; `[null, null, 3]`, an image of any size). Layers are
//! always built for concrete shapes: a free dim stands at [`STAND_IN`] until a run brings its
//! real size, and shape inference builds a layer at two sizes to see which output dims follow
//! the free ones (those are null too).

use super::{describe, Layer};
use crate::error::{Error, Result};
use serde_json::Value;

/// The size a free dim has while no run has given it one.
pub const STAND_IN: usize = 64;
/// The second size shape inference builds at; dims that differ between the two are free.
pub const PROBE: usize = 96;

/// A JSON dim: `Some(Some(d))` for a positive integer, `Some(None)` for null, `None` otherwise.
pub fn dim(v: &Value) -> Option<Option<usize>> {
    if v.is_null() {
        return Some(None);
    }
    v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < 1e9).map(|f| Some(f as usize))
}

/// The shape with each free dim set to `size`.
pub fn fill(dims: &[Option<usize>], size: usize) -> Vec<usize> {
    dims.iter().map(|d| d.unwrap_or(size)).collect()
}

/// Shapes whose dims are null where `a` and `b` differ.
pub fn merge(a: &[Vec<usize>], b: &[Vec<usize>]) -> Vec<Vec<Option<usize>>> {
    a.iter().zip(b).map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p == q).then_some(*p)).collect()).collect()
}

/// A feature shape with the batch first and free dims as null: `[null,null,8]`.
pub fn batch_shape(feat: &[Option<usize>]) -> String {
    batch_shape_in(None, feat)
}

/// [`batch_shape`] with a fixed batch size when the model has one: `[1,null,8]`.
pub fn batch_shape_in(batch: Option<usize>, feat: &[Option<usize>]) -> String {
    let mut s = batch.map_or_else(|| String::from("[null"), |b| format!("[{b}"));
    for d in feat {
        s.push(',');
        match d {
            Some(d) => s.push_str(&d.to_string()),
            None => s.push_str("null"),
        }
    }
    s.push(']');
    s
}

/// Feature shapes with free dims as None, one per input or output.
pub type Shapes = Vec<Vec<Option<usize>>>;

/// What building a layer on shapes with free dims gives: each weight's shape and each output's
/// shape (null where it follows a free input dim).
pub struct Inferred {
    pub weights: Vec<Vec<usize>>,
    pub outputs: Vec<Vec<Option<usize>>>,
}

/// Builds the layer `make` gives at the two sizes; the weights must not depend on the free dims
/// (a Dense after a Flatten of a free number of steps cannot be built, as in TF.js).
pub fn infer(make: impl Fn() -> Result<Box<dyn Layer>>, inputs: &[Vec<Option<usize>>]) -> Result<Inferred> {
    type Build = (Box<dyn Layer>, Vec<Vec<usize>>, Vec<Vec<usize>>);
    let build = |size: usize| -> Result<Build> {
        let mut layer = make()?;
        let shapes: Vec<Vec<usize>> = inputs.iter().map(|s| fill(s, size)).collect();
        let (specs, first) = layer.build_multi(&shapes)?;
        let mut outs = vec![first];
        outs.extend(layer.extra_outputs());
        Ok((layer, specs.into_iter().map(|s| s.shape).collect(), outs))
    };
    let (layer, w1, o1) = build(STAND_IN)?;
    if inputs.iter().all(|s| s.iter().all(Option::is_some)) {
        return Ok(Inferred { weights: w1, outputs: o1.into_iter().map(|s| s.into_iter().map(Some).collect()).collect() });
    }
    let (_, w2, o2) = build(PROBE)?;
    if w1 != w2 {
        return Err(free_weights_error(layer.as_ref(), inputs));
    }
    Ok(Inferred { weights: w1, outputs: merge(&o1, &o2) })
}

/// The error for a layer whose weights would depend on a free dim.
pub fn free_weights_error(layer: &dyn Layer, inputs: &[Vec<Option<usize>>]) -> Error {
    Error::shape(
        describe(layer),
        format!(
            "the input shape {} is not fully defined and the layer's weights depend on the unknown dimension; give the model's input a fixed shape (inputShape or batchInputShape) up to this layer",
            inputs.iter().map(|s| batch_shape(s)).collect::<Vec<_>>().join(", ")
        ),
    )
}

/// Parses JSON feature shapes whose dims may be null.
pub fn parse_shapes(owner: &str, text: &str) -> Result<Vec<Vec<Option<usize>>>> {
    let v: Value = serde_json::from_str(text).map_err(|e| Error::arg(owner, format!("bad input shapes: {e}")))?;
    let bad = || Error::arg(owner, format!("input shapes must be lists of positive integers or null, received {v}"));
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|s| s.as_array().ok_or_else(bad)?.iter().map(|d| dim(d).ok_or_else(bad)).collect())
        .collect()
}

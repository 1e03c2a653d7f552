//! Named-op dispatch for the JS API: `op("matMul", [a, b], '{"transposeA":false}')`. Attributes
//! are checked here, once, before any kernel runs; messages name the op and the values received.

use crate::eager::{Handle, Runtime};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::Builder;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::ops::window3::{self, Window3};
use crate::ops::window_ops::{self, Pad};
use crate::ops::{Binary, Op, ReduceKind, Unary};
use crate::tensor::shape::{norm_axes, norm_axis, resolve_reshape};
use crate::tensor::DType;
use serde_json::Value;

fn binary(name: &str) -> Option<Binary> {
    use Binary::*;
    Some(match name {
        "add" => Add,
        "sub" => Sub,
        "mul" => Mul,
        "div" => Div,
        "floorDiv" => FloorDiv,
        "pow" => Pow,
        "maximum" => Maximum,
        "minimum" => Minimum,
        "squaredDifference" => SquaredDifference,
        "greater" => Greater,
        "greaterEqual" => GreaterEqual,
        "less" => Less,
        "lessEqual" => LessEqual,
        "equal" => Equal,
        "notEqual" => NotEqual,
        "logicalAnd" => LogicalAnd,
        "logicalOr" => LogicalOr,
        _ => return None,
    })
}

fn unary(name: &str, a: &Value) -> Option<Unary> {
    let f = |k: &str, d: f32| a.get(k).and_then(|v| v.as_f64()).map(|v| v as f32).unwrap_or(d);
    match name {
        "elu" => Some(Unary::Elu { alpha: f("alpha", 1.0) }),
        "leakyRelu" => Some(Unary::LeakyRelu { alpha: f("alpha", 0.2) }),
        _ => crate::ops::unary::PLAIN.iter().copied().find(|u| u.name() == name),
    }
}

fn ints(op: &str, a: &Value, key: &str) -> Result<Option<Vec<i64>>> {
    match a.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(vec![n.as_f64().unwrap_or(0.0) as i64])),
        Some(Value::Array(v)) => v
            .iter()
            .map(|x| {
                x.as_f64()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| f as i64)
                    .ok_or_else(|| Error::arg(op, format!("{key} must hold integers, received {x}")))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(other) => Err(Error::arg(op, format!("{key} must be an integer or a list of integers, received {other}"))),
    }
}

fn flag(a: &Value, key: &str) -> bool {
    a.get(key).and_then(|v| v.as_bool()).unwrap_or(false)
}

/// Runs the named op on `inputs` with JSON attributes.
pub fn dispatch(rt: &mut Runtime, name: &str, inputs: &[Handle], attrs: &str) -> Result<Handle> {
    let a: Value = if attrs.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(attrs).map_err(|e| Error::arg(name, format!("bad attributes: {e}")))?
    };
    let need = |n: usize| -> Result<()> {
        if inputs.len() != n {
            Err(Error::arg(name, format!("expects {n} tensor arguments, received {}", inputs.len())))
        } else {
            Ok(())
        }
    };
    let rank = |rt: &Runtime, h: Handle| rt.shape(h).map(|s| s.len());
    if let Some(b) = binary(name) {
        need(2)?;
        // TF.js divides two int32 tensors with floor division and keeps int32.
        let ints = rt.dtype(inputs[0])? == DType::I32 && rt.dtype(inputs[1])? == DType::I32;
        let b = if b == Binary::Div && ints { Binary::FloorDiv } else { b };
        return rt.binary(b, inputs[0], inputs[1]);
    }
    if let Some(u) = unary(name, &a) {
        need(1)?;
        return rt.unary(u, inputs[0]);
    }
    match name {
        "where" => {
            need(3)?;
            rt.where_(inputs[0], inputs[1], inputs[2])
        }
        "clipByValue" => {
            need(1)?;
            let f = |k: &str| {
                a.get(k).and_then(|v| v.as_f64()).map(|v| v as f32).ok_or_else(|| Error::arg(name, format!("{k} must be a number")))
            };
            rt.clip(inputs[0], f("min")?, f("max")?)
        }
        "cast" => {
            need(1)?;
            let d = DType::parse(a.get("dtype").and_then(|d| d.as_str()).unwrap_or(""))?;
            rt.cast(inputs[0], d)
        }
        "matMul" => {
            need(2)?;
            rt.matmul(inputs[0], inputs[1], flag(&a, "transposeA"), flag(&a, "transposeB"))
        }
        "sum" | "mean" | "max" | "min" => {
            need(1)?;
            let r = rank(rt, inputs[0])?;
            let axis = ints(name, &a, "axis")?;
            // An explicit empty axis list reduces nothing (TF.js returns the input).
            if axis.as_ref().is_some_and(|v| v.is_empty()) {
                return rt.alias(inputs[0]);
            }
            let axes = norm_axes(name, &axis.unwrap_or_default(), r)?;
            let kind = match name {
                "sum" => ReduceKind::Sum,
                "mean" => ReduceKind::Mean,
                "max" => ReduceKind::Max,
                _ => ReduceKind::Min,
            };
            rt.reduce(kind, inputs[0], &axes, flag(&a, "keepDims"))
        }
        "argMax" | "argMin" => {
            need(1)?;
            let r = rank(rt, inputs[0])?;
            let axis = norm_axis(name, ints(name, &a, "axis")?.and_then(|v| v.first().copied()).unwrap_or(0), r)?;
            let x = if name == "argMin" { rt.neg(inputs[0])? } else { inputs[0] };
            rt.argmax(x, axis)
        }
        "softmax" | "logSoftmax" => {
            need(1)?;
            let r = rank(rt, inputs[0])?;
            let axis = norm_axis(name, ints(name, &a, "axis")?.and_then(|v| v.first().copied()).unwrap_or(-1), r)?;
            if name == "softmax" {
                rt.softmax(inputs[0], axis)
            } else {
                rt.log_softmax(inputs[0], axis)
            }
        }
        "reshape" => {
            need(1)?;
            let s = rt.shape(inputs[0])?;
            let to = resolve_reshape(name, &s, &ints(name, &a, "shape")?.unwrap_or_default())?;
            rt.apply(Op::Reshape { shape: to }, &[inputs[0]])
        }
        "transpose" => {
            need(1)?;
            let r = rank(rt, inputs[0])?;
            let perm = match ints(name, &a, "perm")? {
                Some(p) => p.iter().map(|&x| norm_axis(name, x, r)).collect::<Result<Vec<_>>>()?,
                None => (0..r).rev().collect(),
            };
            rt.transpose(inputs[0], &perm)
        }
        "broadcastTo" => {
            need(1)?;
            let dims = ints(name, &a, "shape")?.unwrap_or_default();
            if let Some(bad) = dims.iter().find(|&&d| !(0..=1_000_000_000).contains(&d)) {
                return Err(Error::arg(name, format!("invalid dimension {bad} in shape {dims:?}")));
            }
            let to: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
            rt.apply(Op::BroadcastTo { shape: to }, &[inputs[0]])
        }
        "slice" => {
            need(1)?;
            let s = rt.shape(inputs[0])?;
            let begin = ints(name, &a, "begin")?.unwrap_or_default();
            let size = ints(name, &a, "size")?.unwrap_or_default();
            let mut b = vec![0usize; s.len()];
            let mut z = s.clone();
            for i in 0..s.len() {
                if let Some(&v) = begin.get(i) {
                    if v < 0 || v > s[i] as i64 {
                        return Err(Error::arg(name, format!("begin[{i}]={v} is out of range for shape {}", fmt_shape(&s))));
                    }
                    b[i] = v as usize;
                }
                z[i] = match size.get(i) {
                    Some(&-1) | None => s[i] - b[i],
                    Some(&v) if (0..=(s[i] - b[i]) as i64).contains(&v) => v as usize,
                    Some(&v) => {
                        return Err(Error::arg(
                            name,
                            format!("size[{i}]={v} does not fit: begin[{i}]={} in a dimension of {} (shape {})", b[i], s[i], fmt_shape(&s)),
                        ))
                    }
                };
            }
            rt.apply(Op::Slice { begin: b, size: z }, &[inputs[0]])
        }
        "concat" => {
            if inputs.is_empty() {
                return Err(Error::arg(name, "needs at least one tensor"));
            }
            let r = rank(rt, inputs[0])?;
            let axis = norm_axis(name, ints(name, &a, "axis")?.and_then(|v| v.first().copied()).unwrap_or(0), r)?;
            rt.apply(Op::Concat { axis }, inputs)
        }
        "gather" => {
            need(2)?;
            let s = rt.shape(inputs[0])?;
            if s.is_empty() {
                return Err(Error::shape(name, "x must have rank 1 or more (it is a scalar)"));
            }
            let axis = norm_axis(name, ints(name, &a, "axis")?.and_then(|v| v.first().copied()).unwrap_or(0), s.len())?;
            if !rt.tracing() {
                let idx = rt.get(inputs[1])?;
                if let Some(bad) = idx.data.iter().find(|&&v| v < 0.0 || v as usize >= s[axis] || v.fract() != 0.0) {
                    return Err(Error::arg(
                        name,
                        format!("index {bad} is out of range [0, {}) for axis {axis} of shape {}", s[axis], fmt_shape(&s)),
                    ));
                }
            }
            rt.apply(Op::Gather { axis }, inputs)
        }
        "oneHot" => {
            need(1)?;
            let depth = a
                .get("depth")
                .and_then(|d| d.as_f64())
                .filter(|d| *d >= 1.0 && d.fract() == 0.0 && *d <= crate::tensor::shape::MAX_ELEMENTS as f64)
                .ok_or_else(|| {
                    Error::arg(
                        name,
                        format!(
                            "depth must be a positive integer, received {}",
                            a.get("depth").map(|d| d.to_string()).unwrap_or("nothing".into())
                        ),
                    )
                })?;
            let f = |k: &str, d: f32| a.get(k).and_then(|v| v.as_f64()).map(|v| v as f32).unwrap_or(d);
            rt.apply(Op::OneHot { depth: depth as usize, on: f("onValue", 1.0), off: f("offValue", 0.0) }, inputs)
        }
        // Layers-style losses and metrics: per-sample values (tf.metrics.*), or the batch mean.
        "loss" | "lossPerSample" => {
            need(2)?;
            let l = Loss::parse(a.get("name").and_then(|n| n.as_str()).unwrap_or(""))?;
            if name == "loss" {
                l.mean(rt, inputs[0], inputs[1])
            } else {
                l.per_sample(rt, inputs[0], inputs[1])
            }
        }
        "metric" => {
            need(2)?;
            let p = rt.shape(inputs[1])?;
            let (m, _) = Metric::parse(a.get("name").and_then(|n| n.as_str()).unwrap_or(""), None, p.last().copied().unwrap_or(1))?;
            // Precision and recall are one value for the batch, as in TF.js.
            if matches!(m, Metric::Precision | Metric::Recall) {
                m.mean(rt, inputs[0], inputs[1])
            } else {
                m.per_sample(rt, inputs[0], inputs[1])
            }
        }
        "conv2d" | "depthwiseConv2d" => {
            need(2)?;
            let (stride, dil, pad) = (pair(name, &a, "strides")?, pair(name, &a, "dilations")?, pad_of(name, &a)?);
            if name == "conv2d" {
                window_ops::conv2d(rt, name, inputs[0], inputs[1], stride, dil, &pad)
            } else {
                window_ops::depthwise_conv2d(rt, name, inputs[0], inputs[1], stride, dil, &pad)
            }
        }
        "conv2dTranspose" => {
            need(2)?;
            let out = ints(name, &a, "outputShape")?.unwrap_or_default();
            if out.len() != 3 && out.len() != 4 {
                return Err(Error::arg(
                    name,
                    format!("outputShape must be [height, width, depth] or [batch, height, width, depth], received {out:?}"),
                ));
            }
            let hw = [out[out.len() - 3].max(0) as usize, out[out.len() - 2].max(0) as usize];
            window_ops::conv2d_transpose(rt, name, inputs[0], inputs[1], hw, pair(name, &a, "strides")?, &pad_of(name, &a)?)
        }
        "maxPool" | "avgPool" => {
            need(1)?;
            let (k, stride, pad) = (pair(name, &a, "filterSize")?, pair(name, &a, "strides")?, pad_of(name, &a)?);
            window_ops::pool(rt, name, inputs[0], k, stride, &pad, name == "maxPool")
        }
        "dilation2d" => {
            need(2)?;
            let (stride, dil, pad) = (pair(name, &a, "strides")?, pair(name, &a, "dilations")?, pad_of(name, &a)?);
            window_ops::dilation2d(rt, name, inputs[0], inputs[1], stride, dil, &pad)
        }
        "conv3d" | "conv3dTranspose" | "maxPool3d" | "avgPool3d" => volume_op(rt, name, inputs, &a),
        _ => Err(Error::arg(name, "unknown op")),
    }
}

/// tf.conv3d, tf.conv3dTranspose, tf.maxPool3d and tf.avgPool3d on [batch?, d, h, w, c] volumes.
fn volume_op(rt: &mut Runtime, name: &str, inputs: &[Handle], a: &Value) -> Result<Handle> {
    let want = if name.ends_with("Pool3d") { 1 } else { 2 };
    if inputs.len() != want {
        return Err(Error::arg(name, format!("expects {want} inputs, received {}", inputs.len())));
    }
    let (x, had) = window3::batched5(rt, name, inputs[0])?;
    let xs = rt.shape(x)?;
    let pad = match a.get("pad") {
        Some(Value::String(p)) => p.clone(),
        other => {
            return Err(Error::arg(
                name,
                format!("pad must be 'valid' or 'same', received {}", other.map_or("nothing".into(), |v| v.to_string())),
            ))
        }
    };
    let strides = triple(name, a, "strides")?;
    let vol = [xs[1], xs[2], xs[3]];
    let y = if name.ends_with("Pool3d") {
        let w = Window3::new(name, vol, &triple(name, a, "filterSize")?, &strides, &[1, 1, 1], &pad)?;
        let counts = if name == "avgPool3d" { w.inside_counts() } else { None };
        window3::pool3d(rt, x, &w, name == "maxPool3d", counts.as_ref())?
    } else {
        let fs = rt.shape(inputs[1])?;
        if fs.len() != 5 {
            return Err(Error::shape(name, format!("filter must be rank 5, but got rank {} (shape {})", fs.len(), fmt_shape(&fs))));
        }
        let dil = triple(name, a, "dilations")?;
        if strides.iter().any(|&v| v > 1) && dil.iter().any(|&v| v > 1) {
            return Err(Error::arg(
                name,
                format!("either strides or dilations must be 1, received strides {strides:?} and dilations {dil:?}"),
            ));
        }
        if name == "conv3d" {
            if fs[3] != xs[4] {
                return Err(Error::shape(name, format!("depth of input ({}) must match input depth for filter {}", xs[4], fs[3])));
            }
            let w = Window3::new(name, vol, &fs[..3], &strides, &dil, &pad)?;
            window3::conv3d(rt, x, inputs[1], &w)?
        } else {
            let out = ints(name, a, "outputShape")?.unwrap_or_default();
            if out.len() != 4 && out.len() != 5 {
                return Err(Error::arg(
                    name,
                    format!("outputShape must be [depth, height, width, outDepth] with an optional batch first, received {out:?}"),
                ));
            }
            let o = &out[out.len() - 4..];
            if fs[4] != xs[4] || o[3] != fs[3] as i64 {
                return Err(Error::shape(
                    name,
                    format!("the filter {} must be [fd, fh, fw, outDepth {}, inDepth {}]", fmt_shape(&fs), o[3], xs[4]),
                ));
            }
            let size = [o[0].max(0) as usize, o[1].max(0) as usize, o[2].max(0) as usize];
            let w = Window3::new(name, size, &fs[..3], &strides, &dil, &pad)?;
            if w.grid() != vol {
                return Err(Error::shape(
                    name,
                    format!(
                        "an output of {} with these strides and padding gives windows {}, but x has {}",
                        fmt_shape(&size),
                        fmt_shape(&w.grid()),
                        fmt_shape(&vol)
                    ),
                ));
            }
            window3::conv3d_transpose(rt, x, inputs[1], &w)?
        }
    };
    if had {
        return Ok(y);
    }
    let s = rt.shape(y)?;
    rt.reshape(y, &s[1..])
}

/// A [depth, rows, columns] attribute given as one number or three (1 when absent).
fn triple(op: &str, a: &Value, key: &str) -> Result<Vec<usize>> {
    let v = ints(op, a, key)?.unwrap_or_else(|| vec![1]);
    let ok: Option<Vec<usize>> = v.iter().map(|&x| usize::try_from(x).ok().filter(|&x| x > 0)).collect();
    match (ok, v.len()) {
        (Some(x), 1) => Ok(vec![x[0]; 3]),
        (Some(x), 3) => Ok(x),
        _ => Err(Error::arg(op, format!("{key} must be a positive integer or three of them, received {v:?}"))),
    }
}

/// A [rows, columns] attribute given as one number or a pair (1 when absent).
fn pair(op: &str, a: &Value, key: &str) -> Result<[usize; 2]> {
    let v = ints(op, a, key)?.unwrap_or_else(|| vec![1]);
    let ok = |x: i64| usize::try_from(x).ok().filter(|&x| x > 0);
    match v[..] {
        [x] => ok(x).map(|x| [x, x]),
        [x, y] => ok(x).zip(ok(y)).map(|(x, y)| [x, y]),
        _ => None,
    }
    .ok_or_else(|| Error::arg(op, format!("{key} must be a positive integer or a pair of them, received {v:?}")))
}

/// TF.js's pad argument: 'valid', 'same' or a number.
fn pad_of(op: &str, a: &Value) -> Result<Pad> {
    match a.get("pad") {
        Some(Value::String(s)) => Ok(Pad::Named(s.clone())),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(Pad::Each(n.as_u64().unwrap_or(0) as usize)),
        other => Err(Error::arg(
            op,
            format!(
                "pad must be 'valid', 'same' or a non-negative integer, received {}",
                other.map_or("nothing".to_string(), |v| v.to_string())
            ),
        )),
    }
}

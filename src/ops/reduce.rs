//! Reductions (sum, mean, max, min over a contiguous axis range), argMax, softmax and logSoftmax.
//!
//! Every kernel sees its input as [outer, dim, inner]: `dim` is the reduced extent, `inner` the
//! product of the axes after it. With inner == 1 a row reduces in place; otherwise whole rows
//! of `inner` values accumulate, which vectorises (a bias gradient is a sum over axis 0).

use super::Op;
use crate::backend::gpu::record::{fill_disp, linear, reduce_disp, Disp};
use crate::backend::gpu::Kernel;
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Binary, Unary};
use crate::tensor::shape::numel;
use crate::tensor::DType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceKind {
    Sum,
    Mean,
    Max,
    Min,
}

impl ReduceKind {
    pub fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Mean => "mean",
            ReduceKind::Max => "max",
            ReduceKind::Min => "min",
        }
    }
}

fn split(shape: &[usize], start: usize, end: usize) -> (usize, usize, usize) {
    (numel(&shape[..start]), numel(&shape[start..end]), numel(&shape[end..]))
}

pub fn infer(op: &Op, s: &[usize], dtype: DType) -> Result<(Vec<usize>, DType)> {
    let name = op.name();
    let check_axis = |axis: usize| {
        if axis >= s.len() {
            Err(Error::arg(&name, format!("axis {axis} is out of range for a tensor of rank {}", s.len())))
        } else {
            Ok(())
        }
    };
    match op {
        Op::Reduce { kind, start, end, keep_dims } => {
            if start >= end || *end > s.len() {
                return Err(Error::arg(&name, format!("axes {start}..{end} are out of range for a tensor of rank {}", s.len())));
            }
            if matches!(kind, ReduceKind::Max | ReduceKind::Min) && numel(&s[*start..*end]) == 0 {
                return Err(Error::shape(&name, "cannot take the max or min of an empty axis"));
            }
            let mut out = s[..*start].to_vec();
            if *keep_dims {
                out.extend(std::iter::repeat_n(1, end - start));
            }
            out.extend_from_slice(&s[*end..]);
            let d = match kind {
                ReduceKind::Mean => DType::F32,
                // Counting trues gives an integer, as in TF.js.
                ReduceKind::Sum if dtype == DType::Bool => DType::I32,
                _ => dtype,
            };
            Ok((out, d))
        }
        Op::ArgMax { axis } => {
            check_axis(*axis)?;
            let mut out = s.to_vec();
            out.remove(*axis);
            Ok((out, DType::I32))
        }
        Op::Softmax { axis } | Op::LogSoftmax { axis } => {
            check_axis(*axis)?;
            Ok((s.to_vec(), DType::F32))
        }
        _ => unreachable!(),
    }
}

pub fn forward(op: &Op, x: &[f32], s: &[usize], out: &mut [f32]) {
    match op {
        Op::Reduce { kind, start, end, .. } => {
            let (outer, dim, inner) = split(s, *start, *end);
            reduce(*kind, x, outer, dim, inner, out)
        }
        Op::ArgMax { axis } => {
            let (outer, dim, inner) = split(s, *axis, axis + 1);
            for o in 0..outer {
                for i in 0..inner {
                    let mut best = 0;
                    let mut bv = f32::NEG_INFINITY;
                    for d in 0..dim {
                        let v = x[(o * dim + d) * inner + i];
                        if v > bv || (d == 0) {
                            bv = v;
                            best = d;
                        }
                    }
                    out[o * inner + i] = best as f32;
                }
            }
        }
        Op::Softmax { axis } | Op::LogSoftmax { axis } => {
            let log = matches!(op, Op::LogSoftmax { .. });
            let (outer, dim, inner) = split(s, *axis, axis + 1);
            for o in 0..outer {
                for i in 0..inner {
                    let at = |d: usize| (o * dim + d) * inner + i;
                    let mut m = f32::NEG_INFINITY;
                    for d in 0..dim {
                        m = m.max(x[at(d)]);
                    }
                    let mut sum = 0.0f32;
                    for d in 0..dim {
                        let e = (x[at(d)] - m).exp();
                        out[at(d)] = e;
                        sum += e;
                    }
                    if log {
                        let ls = sum.ln() + m;
                        for d in 0..dim {
                            out[at(d)] = x[at(d)] - ls;
                        }
                    } else {
                        let inv = 1.0 / sum;
                        for d in 0..dim {
                            out[at(d)] *= inv;
                        }
                    }
                }
            }
        }
        _ => unreachable!(),
    }
}

fn reduce(kind: ReduceKind, x: &[f32], outer: usize, dim: usize, inner: usize, out: &mut [f32]) {
    let comb = |a: f32, b: f32| match kind {
        ReduceKind::Sum | ReduceKind::Mean => a + b,
        ReduceKind::Max => {
            if a >= b || a.is_nan() {
                a
            } else {
                b
            }
        }
        ReduceKind::Min => {
            if a <= b || a.is_nan() {
                a
            } else {
                b
            }
        }
    };
    let init = match kind {
        ReduceKind::Sum | ReduceKind::Mean => 0.0,
        ReduceKind::Max => f32::NEG_INFINITY,
        ReduceKind::Min => f32::INFINITY,
    };
    for o in 0..outer {
        let dst = &mut out[o * inner..(o + 1) * inner];
        if inner == 1 {
            let row = &x[o * dim..(o + 1) * dim];
            dst[0] = if matches!(kind, ReduceKind::Sum | ReduceKind::Mean) {
                pairwise_sum(row)
            } else {
                row.iter().fold(init, |a, &b| comb(a, b))
            };
        } else {
            dst.fill(init);
            for d in 0..dim {
                let src = &x[(o * dim + d) * inner..(o * dim + d + 1) * inner];
                match kind {
                    ReduceKind::Sum | ReduceKind::Mean => {
                        for (a, &b) in dst.iter_mut().zip(src) {
                            *a += b;
                        }
                    }
                    _ => {
                        for (a, &b) in dst.iter_mut().zip(src) {
                            *a = comb(*a, b);
                        }
                    }
                }
            }
        }
        if kind == ReduceKind::Mean {
            let inv = 1.0 / dim as f32;
            dst.iter_mut().for_each(|v| *v *= inv);
        }
    }
}

/// Sum with eight independent accumulators: vectorises and loses less precision than a chain.
fn pairwise_sum(row: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = row.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in tail {
        s += v;
    }
    s
}

pub fn backward(g: &mut Graph, op: &Op, inputs: &[NodeId], y: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let x = inputs[0];
    let sx = g.shape_of(x);
    match op {
        Op::Reduce { kind, start, end, .. } => {
            // Bring dy (and y) back to the keep-dims shape, then broadcast over the reduced axes.
            let mut keep = sx.clone();
            for d in &mut keep[*start..*end] {
                *d = 1;
            }
            let dyk = g.reshape(dy, &keep)?;
            let dx = match kind {
                ReduceKind::Sum => g.broadcast_to(dyk, &sx)?,
                ReduceKind::Mean => {
                    let n = numel(&sx[*start..*end]) as f32;
                    let b = g.broadcast_to(dyk, &sx)?;
                    g.mul_scalar(b, 1.0 / n)?
                }
                ReduceKind::Max | ReduceKind::Min => {
                    let yk = g.reshape(y, &keep)?;
                    let mask = g.binary(Binary::Equal, x, yk)?;
                    let mask = g.cast(mask, DType::F32)?;
                    g.mul(mask, dyk)?
                }
            };
            Ok(vec![Some(dx)])
        }
        Op::ArgMax { .. } => Ok(vec![None]),
        // dx = y (dy - Σ dy·y)
        Op::Softmax { axis } => {
            let p = g.mul(dy, y)?;
            let s = g.sum(p, &[*axis], true)?;
            let d = g.sub(dy, s)?;
            Ok(vec![Some(g.mul(y, d)?)])
        }
        // dx = dy - softmax(x) Σ dy
        Op::LogSoftmax { axis } => {
            let s = g.sum(dy, &[*axis], true)?;
            let p = g.unary(Unary::Exp, y)?;
            let t = g.mul(p, s)?;
            Ok(vec![Some(g.sub(dy, t)?)])
        }
        _ => unreachable!(),
    }
}

/// GPU lowering: reduce.wgsl over [outer, dim, inner] with the kind's code (sum 0, mean 1, max
/// 2, min 3, argMax 4, softmax 5, logSoftmax 6); an empty axis fills the result instead.
pub fn lower(op: &Op, shapes: &[&[usize]], os: &[usize]) -> Result<Vec<Disp>> {
    let n = numel(os);
    let s = shapes[0];
    Ok(match op {
        Op::Reduce { kind, start, end, .. } => {
            let (outer, dim, inner) = (numel(&s[..*start]), numel(&s[*start..*end]), numel(&s[*end..]));
            if dim == 0 {
                return Ok(vec![fill_disp(n, 0, if *kind == ReduceKind::Sum { 0.0 } else { f32::NAN })]);
            }
            let code = match kind {
                ReduceKind::Sum => 0,
                ReduceKind::Mean => 1,
                ReduceKind::Max => 2,
                ReduceKind::Min => 3,
            };
            vec![reduce_disp(outer, dim, inner, code)]
        }
        Op::ArgMax { axis } | Op::Softmax { axis } | Op::LogSoftmax { axis } => {
            let (outer, dim, inner) = (numel(&s[..*axis]), s[*axis], numel(&s[axis + 1..]));
            let code = match op {
                Op::ArgMax { .. } => 4,
                Op::Softmax { .. } => 5,
                _ => 6,
            };
            if dim == 0 {
                return Ok(vec![fill_disp(n, 0, 0.0)]);
            }
            let mut d = reduce_disp(outer, dim, inner, code);
            d.kernel = Kernel::ReduceRows;
            d.groups = linear(outer * inner, 256);
            vec![d]
        }
        _ => return Err(Error::arg(op.name(), "not a reduction")),
    })
}

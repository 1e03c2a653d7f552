//! Softmax cross-entropy fused: from logits `z` and labels `y` (same shape), the per-row loss
//! -Σ y·log(clip(softmax(z), ε, 1-ε)) over the last axis, and its gradient in one kernel. A
//! Dense layer with a softmax activation trained with categorical cross-entropy gets this in
//! place of softmax → normalize → clip → log → multiply → sum (the clip keeps TF.js's numerics).

use super::Op;
use crate::backend::gpu::record::{fill_disp, linear, put_f, Disp, Src};
use crate::backend::gpu::{Kernel, RECORD_WORDS};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Binary, Unary};
use crate::tensor::shape::numel;
use crate::tensor::DType;

pub fn infer(op: &Op, shapes: &[&[usize]]) -> Result<(Vec<usize>, DType)> {
    let (z, y) = (shapes[0], shapes[1]);
    if z.is_empty() || z != y {
        return Err(Error::shape(
            op.name(),
            format!("logits {} and labels {} must have one shape of rank >= 1", fmt_shape(z), fmt_shape(y)),
        ));
    }
    let rows = &z[..z.len() - 1];
    match op {
        Op::SoftmaxXent { .. } => Ok((rows.to_vec(), DType::F32)),
        _ => {
            if shapes[2] != rows {
                return Err(Error::shape(op.name(), format!("dy {} must have shape {}", fmt_shape(shapes[2]), fmt_shape(rows))));
            }
            Ok((z.to_vec(), DType::F32))
        }
    }
}

/// softmax of one row into `p`.
fn softmax_row(z: &[f32], p: &mut [f32]) {
    let m = z.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
    let mut s = 0.0;
    for (pi, &zi) in p.iter_mut().zip(z) {
        *pi = (zi - m).exp();
        s += *pi;
    }
    let inv = 1.0 / s;
    p.iter_mut().for_each(|v| *v *= inv);
}

pub fn forward(op: &Op, ins: &[&[f32]], shapes: &[&[usize]], out: &mut [f32]) {
    let z = shapes[0];
    let c = z[z.len() - 1].max(1);
    let rows = numel(z) / c;
    let mut p = [0.0f32; 64];
    let mut heap = vec![];
    let p: &mut [f32] = if c <= 64 {
        &mut p[..c]
    } else {
        heap.resize(c, 0.0);
        &mut heap
    };
    match op {
        Op::SoftmaxXent { eps } => {
            for r in 0..rows {
                let (zr, yr) = (&ins[0][r * c..(r + 1) * c], &ins[1][r * c..(r + 1) * c]);
                softmax_row(zr, p);
                out[r] = -p.iter().zip(yr).map(|(&pi, &yi)| yi * pi.clamp(*eps, 1.0 - eps).ln()).sum::<f32>();
            }
        }
        Op::SoftmaxXentGrad { eps } => {
            for r in 0..rows {
                let (zr, yr, dy) = (&ins[0][r * c..(r + 1) * c], &ins[1][r * c..(r + 1) * c], ins[2][r]);
                softmax_row(zr, p);
                let inside = |v: f32| (v >= *eps && v <= 1.0 - eps) as u8 as f32;
                let a: f32 = p.iter().zip(yr).map(|(&pi, &yi)| yi * inside(pi)).sum();
                for k in 0..c {
                    out[r * c + k] = dy * (p[k] * a - yr[k] * inside(p[k]));
                }
            }
        }
        _ => unreachable!(),
    }
}

pub fn backward(g: &mut Graph, op: &Op, inputs: &[NodeId], dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let Op::SoftmaxXent { eps } = *op else {
        return Err(Error::arg(op.name(), "second derivatives of the fused softmax cross-entropy are not supported"));
    };
    let (z, y) = (inputs[0], inputs[1]);
    let dz = g.apply(Op::SoftmaxXentGrad { eps }, &[z, y, dy])?;
    // d/dy = -log(clip(softmax(z))) · dy, for labels that are themselves computed.
    let last = g.last_axis(z);
    let p = g.softmax(z, last)?;
    let pc = g.clip(p, eps, 1.0 - eps)?;
    let lp = g.unary(Unary::Log, pc)?;
    let mut ds = g.shape_of(dy);
    ds.push(1);
    let dyr = g.reshape(dy, &ds)?;
    let t = g.binary(Binary::Mul, lp, dyr)?;
    let dlabels = g.neg(t)?;
    Ok(vec![Some(dz), Some(dlabels)])
}

/// GPU lowering: one invocation per row of xent.wgsl (the loss) or xent_grad.wgsl (its gradient).
pub fn lower(op: &Op, shapes: &[&[usize]], os: &[usize]) -> Result<Vec<Disp>> {
    let (Op::SoftmaxXent { eps } | Op::SoftmaxXentGrad { eps }) = op else {
        return Err(Error::arg(op.name(), "not a softmax cross-entropy op"));
    };
    let z = shapes[0];
    let c = z[z.len() - 1];
    let rows = numel(&z[..z.len() - 1]);
    let mut w = [0u32; RECORD_WORDS];
    w[0] = rows as u32;
    w[1] = c as u32;
    put_f(&mut w, 2, *eps);
    if c == 0 {
        return Ok(vec![fill_disp(numel(os), 0, 0.0)]);
    }
    Ok(if matches!(op, Op::SoftmaxXent { .. }) {
        vec![Disp { kernel: Kernel::Xent, words: w, ins: vec![Src::In(0), Src::In(1)], groups: linear(rows, 256) }]
    } else {
        vec![Disp { kernel: Kernel::XentGrad, words: w, ins: vec![Src::In(0), Src::In(1), Src::In(2)], groups: linear(rows, 256) }]
    })
}

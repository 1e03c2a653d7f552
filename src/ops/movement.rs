//! Movement ops: reshape, transpose, broadcastTo, slice, pad, concat, gather (and its adjoint
//! scatterAdd), oneHot. All of them are strided copies, done by one helper.

use super::Op;
use crate::backend::gpu::record::{copy_disp, fill_disp, linear, put_f, Disp, Src};
use crate::backend::gpu::{Kernel, RECORD_WORDS};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::tensor::shape::{broadcast_dims, broadcast_shapes, numel, strides_dims as strides, Dims};
use crate::tensor::DType;

pub fn infer(op: &Op, shapes: &[&[usize]], dtypes: &[DType]) -> Result<(Vec<usize>, DType)> {
    let name = op.name();
    let s = shapes[0];
    let out = match op {
        Op::Reshape { shape } => {
            if numel(shape) != numel(s) {
                return Err(Error::shape(
                    &name,
                    format!("cannot reshape {} ({} elements) into {}", fmt_shape(s), numel(s), fmt_shape(shape)),
                ));
            }
            shape.clone()
        }
        Op::Transpose { perm } => {
            let mut seen = vec![false; s.len()];
            if perm.len() != s.len() || perm.iter().any(|&p| p >= s.len() || std::mem::replace(&mut seen[p], true)) {
                return Err(Error::arg(
                    &name,
                    format!("perm {perm:?} is not a permutation of the axes of a tensor of shape {}", fmt_shape(s)),
                ));
            }
            perm.iter().map(|&p| s[p]).collect()
        }
        Op::BroadcastTo { shape } => {
            if s.len() > shape.len() || broadcast_shapes(&name, s, shape)? != *shape {
                return Err(Error::shape(&name, format!("cannot broadcast {} to {}", fmt_shape(s), fmt_shape(shape))));
            }
            shape.clone()
        }
        Op::Slice { begin, size } => {
            if begin.len() != s.len() || size.len() != s.len() || (0..s.len()).any(|i| begin[i] + size[i] > s[i]) {
                return Err(Error::arg(
                    &name,
                    format!("begin {begin:?} and size {size:?} do not fit in a tensor of shape {}", fmt_shape(s)),
                ));
            }
            size.clone()
        }
        Op::Pad { before, after } => {
            if before.len() != s.len() || after.len() != s.len() {
                return Err(Error::arg(&name, format!("paddings must have one pair per axis of {}", fmt_shape(s))));
            }
            (0..s.len()).map(|i| before[i] + s[i] + after[i]).collect()
        }
        Op::Concat { axis } => {
            if shapes.is_empty() {
                return Err(Error::arg(&name, "needs at least one tensor"));
            }
            if *axis >= s.len() {
                return Err(Error::arg(&name, format!("axis {axis} is out of range for rank {}", s.len())));
            }
            let mut out = s.to_vec();
            for t in &shapes[1..] {
                let fits = t.len() == s.len() && (0..s.len()).all(|i| i == *axis || t[i] == s[i]);
                if !fits {
                    let all: Vec<String> = shapes.iter().map(|x| fmt_shape(x)).collect();
                    return Err(Error::shape(&name, format!("shapes must match except on axis {axis}, received {}", all.join(", "))));
                }
                out[*axis] += t[*axis];
            }
            out
        }
        Op::Gather { axis } => {
            if *axis >= s.len() {
                return Err(Error::arg(&name, format!("axis {axis} is out of range for a tensor of shape {}", fmt_shape(s))));
            }
            let mut out = s[..*axis].to_vec();
            out.extend_from_slice(shapes[1]);
            out.extend_from_slice(&s[axis + 1..]);
            out
        }
        Op::ScatterAdd { axis, dim } => {
            let ir = shapes[1].len();
            if s.len() < axis + ir || s[*axis..axis + ir] != *shapes[1] {
                return Err(Error::shape(
                    &name,
                    format!("updates {} do not fit indices {} on axis {axis}", fmt_shape(s), fmt_shape(shapes[1])),
                ));
            }
            let mut out = s[..*axis].to_vec();
            out.push(*dim);
            out.extend_from_slice(&s[axis + ir..]);
            out
        }
        Op::OneHot { depth, .. } => {
            let mut out = s.to_vec();
            out.push(*depth);
            return Ok((out, DType::I32));
        }
        _ => unreachable!(),
    };
    Ok((out, if matches!(op, Op::ScatterAdd { .. }) { DType::F32 } else { dtypes[0] }))
}

/// Copies `shape`-many elements: dst[dst_off + Σ i·ds] = src[src_off + Σ i·ss].
#[allow(clippy::too_many_arguments)]
fn copy_strided(src: &[f32], src_off: usize, ss: &[usize], dst: &mut [f32], dst_off: usize, ds: &[usize], shape: &[usize]) {
    let rank = shape.len();
    if rank == 0 {
        dst[dst_off] = src[src_off];
        return;
    }
    if numel(shape) == 0 {
        return;
    }
    let inner = shape[rank - 1];
    let (si, di) = (ss[rank - 1], ds[rank - 1]);
    let mut idx = Dims::zeros(rank - 1);
    let (mut so, mut dof) = (src_off, dst_off);
    loop {
        if si == 1 && di == 1 {
            dst[dof..dof + inner].copy_from_slice(&src[so..so + inner]);
        } else {
            for j in 0..inner {
                dst[dof + j * di] = src[so + j * si];
            }
        }
        let mut ax = rank - 1;
        loop {
            if ax == 0 {
                return;
            }
            ax -= 1;
            idx[ax] += 1;
            so += ss[ax];
            dof += ds[ax];
            if idx[ax] < shape[ax] {
                break;
            }
            so -= ss[ax] * shape[ax];
            dof -= ds[ax] * shape[ax];
            idx[ax] = 0;
        }
    }
}

pub fn forward(op: &Op, ins: &[&[f32]], shapes: &[&[usize]], out: &mut [f32], os: &[usize]) {
    let (x, s) = (ins[0], shapes[0]);
    match op {
        Op::Reshape { .. } => out.copy_from_slice(x),
        Op::Transpose { perm } => {
            let xs = strides(s);
            let ss = Dims::from_fn(perm.len(), |i| xs[perm[i]]);
            copy_strided(x, 0, &ss, out, 0, &strides(os), os);
        }
        Op::BroadcastTo { .. } => copy_strided(x, 0, &broadcast_dims(s, os), out, 0, &strides(os), os),
        Op::Slice { begin, .. } => {
            let xs = strides(s);
            let off: usize = begin.iter().zip(xs.iter()).map(|(b, st)| b * st).sum();
            copy_strided(x, off, &xs, out, 0, &strides(os), os);
        }
        Op::Pad { before, .. } => {
            out.fill(0.0);
            let ost = strides(os);
            let off: usize = before.iter().zip(ost.iter()).map(|(b, st)| b * st).sum();
            copy_strided(x, 0, &strides(s), out, off, &ost, s);
        }
        Op::Concat { axis } => {
            let outer = numel(&os[..*axis]);
            let inner = numel(&os[axis + 1..]);
            let row = os[*axis] * inner;
            let mut at = 0;
            for (t, ts) in ins.iter().zip(shapes) {
                let chunk = ts[*axis] * inner;
                for o in 0..outer {
                    out[o * row + at..o * row + at + chunk].copy_from_slice(&t[o * chunk..(o + 1) * chunk]);
                }
                at += chunk;
            }
        }
        Op::Gather { axis } => {
            let idx = ins[1];
            let (outer, dim, inner) = (numel(&s[..*axis]), s[*axis], numel(&s[axis + 1..]));
            let n = idx.len();
            for o in 0..outer {
                for (j, &v) in idx.iter().enumerate() {
                    // Indices were range-checked at the API; clamp so a bad value can never read out of bounds.
                    let r = (v.max(0.0) as usize).min(dim.saturating_sub(1));
                    let dst = (o * n + j) * inner;
                    out[dst..dst + inner].copy_from_slice(&x[(o * dim + r) * inner..(o * dim + r + 1) * inner]);
                }
            }
        }
        Op::ScatterAdd { axis, dim } => {
            let idx = ins[1];
            let n = idx.len();
            let outer = numel(&s[..*axis]);
            let inner = numel(&s[axis + shapes[1].len()..]);
            out.fill(0.0);
            for o in 0..outer {
                for (j, &v) in idx.iter().enumerate() {
                    let r = (v.max(0.0) as usize).min(dim.saturating_sub(1));
                    let src = &x[(o * n + j) * inner..(o * n + j + 1) * inner];
                    let dst = &mut out[(o * dim + r) * inner..(o * dim + r + 1) * inner];
                    for (d, &u) in dst.iter_mut().zip(src) {
                        *d += u;
                    }
                }
            }
        }
        Op::OneHot { depth, on, off } => {
            out.fill(*off);
            for (i, &v) in x.iter().enumerate() {
                if v >= 0.0 && (v as usize) < *depth {
                    out[i * depth + v as usize] = *on;
                }
            }
        }
        _ => unreachable!(),
    }
}

pub fn backward(g: &mut Graph, op: &Op, inputs: &[NodeId], dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let x = inputs[0];
    let sx = g.shape_of(x);
    Ok(match op {
        Op::Reshape { .. } => vec![Some(g.reshape(dy, &sx)?)],
        Op::Transpose { perm } => {
            let mut inv = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inv[p] = i;
            }
            vec![Some(g.transpose(dy, &inv)?)]
        }
        Op::BroadcastTo { .. } => vec![Some(g.sum_to(dy, &sx)?)],
        Op::Slice { begin, size } => {
            let after: Vec<usize> = (0..sx.len()).map(|i| sx[i] - begin[i] - size[i]).collect();
            vec![Some(g.apply(Op::Pad { before: begin.clone(), after }, &[dy])?)]
        }
        Op::Pad { before, .. } => vec![Some(g.apply(Op::Slice { begin: before.clone(), size: sx }, &[dy])?)],
        Op::Concat { axis } => {
            let mut out = vec![];
            let mut at = 0;
            let sy = g.shape_of(dy);
            for &t in inputs {
                let st = g.shape_of(t);
                let mut begin = vec![0; sy.len()];
                begin[*axis] = at;
                at += st[*axis];
                out.push(Some(g.apply(Op::Slice { begin, size: st }, &[dy])?));
            }
            out
        }
        Op::Gather { axis } => vec![Some(g.apply(Op::ScatterAdd { axis: *axis, dim: sx[*axis] }, &[dy, inputs[1]])?), None],
        Op::ScatterAdd { axis, .. } => vec![Some(g.apply(Op::Gather { axis: *axis }, &[dy, inputs[1]])?), None],
        Op::OneHot { .. } => vec![None],
        _ => unreachable!(),
    })
}

/// GPU lowering: strided copies (copy.wgsl) for reshape, transpose, broadcastTo, slice, pad
/// (after a fill) and concat (one copy per input); gather.wgsl for gather, its adjoint
/// scatterAdd, and oneHot.
pub fn lower(op: &Op, shapes: &[&[usize]], os: &[usize]) -> Result<Vec<Disp>> {
    let n = numel(os);
    let mut w = [0u32; RECORD_WORDS];
    let st = |s: &[usize]| -> Vec<usize> { strides(s).to_vec() };
    Ok(match op {
        Op::Reshape { .. } => vec![copy_disp(&[n], 0, 0, &[1], 0, &[1])],
        Op::Transpose { perm } => {
            let xs = st(shapes[0]);
            let ss: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
            vec![copy_disp(os, 0, 0, &ss, 0, &st(os))]
        }
        Op::BroadcastTo { .. } => {
            let b = broadcast_dims(shapes[0], os);
            let ss: Vec<usize> = (0..os.len()).map(|i| b[i]).collect();
            vec![copy_disp(os, 0, 0, &ss, 0, &st(os))]
        }
        Op::Slice { begin, .. } => {
            let xs = st(shapes[0]);
            let off: usize = begin.iter().zip(&xs).map(|(b, s)| b * s).sum();
            vec![copy_disp(os, 0, off, &xs, 0, &st(os))]
        }
        Op::Pad { before, .. } => {
            let ost = st(os);
            let off: usize = before.iter().zip(&ost).map(|(b, s)| b * s).sum();
            vec![fill_disp(n, 0, 0.0), copy_disp(shapes[0], 0, 0, &st(shapes[0]), off, &ost)]
        }
        Op::Concat { axis } => {
            let ost = st(os);
            let mut at = 0;
            let mut v = vec![];
            for (k, s) in shapes.iter().enumerate() {
                if numel(s) > 0 {
                    v.push(copy_disp(s, k, 0, &st(s), at * ost[*axis], &ost));
                }
                at += s[*axis];
            }
            v
        }
        Op::Gather { axis } | Op::ScatterAdd { axis, .. } => {
            let s = shapes[0];
            let idx = numel(shapes[1]);
            let (outer, dim, inner, mode) = match op {
                Op::ScatterAdd { dim, .. } => (numel(&s[..*axis]), *dim, numel(&s[axis + shapes[1].len()..]), 1),
                _ => (numel(&s[..*axis]), s[*axis], numel(&s[axis + 1..]), 0),
            };
            w[0] = n as u32;
            w[1] = outer as u32;
            w[2] = dim as u32;
            w[3] = inner as u32;
            w[4] = idx as u32;
            w[5] = mode;
            if idx == 0 {
                return Ok(vec![fill_disp(n, 0, 0.0)]);
            }
            vec![Disp { kernel: Kernel::Gather, words: w, ins: vec![Src::In(0), Src::In(1)], groups: linear(n, 256) }]
        }
        Op::OneHot { depth, on, off } => {
            w[0] = n as u32;
            w[2] = *depth as u32;
            w[4] = numel(shapes[0]) as u32;
            w[5] = 2;
            put_f(&mut w, 6, *on);
            put_f(&mut w, 7, *off);
            vec![Disp { kernel: Kernel::Gather, words: w, ins: vec![Src::In(0), Src::In(0)], groups: linear(n, 256) }]
        }
        _ => return Err(Error::arg(op.name(), "not a movement op")),
    })
}

//! Elementwise ops: shape rules and dispatch for unary (unary.rs) and binary (binary.rs) ops,
//! and the kernels and backward rules of `where`, `clip`, `cast` and the dropout mask.
//!
//! Kernels run an outer loop over rows of the output's last axis and a tight inner loop that LLVM
//! vectorises (simd128 on wasm32, SSE natively); broadcast inputs use stride 0.

use super::binary::{binary_dispatch, binary_grad};
use super::unary::{unary_grad, unary_kernel};
use super::{Binary, KernelCtx, Op, Unary};
use crate::backend::gpu::codes::{binary_code, unary_code};
use crate::backend::gpu::record::{elementwise_words, linear, put_f, Disp, Src};
use crate::backend::gpu::{Kernel, RECORD_WORDS};
use crate::error::Result;
use crate::graph::{Builder, Graph, NodeId};
use crate::tensor::shape::{broadcast_dims, broadcast_shapes, numel, Dims};
use crate::tensor::DType;

fn arith_dtype(a: DType, b: DType) -> DType {
    if a == DType::F32 || b == DType::F32 {
        DType::F32
    } else {
        DType::I32
    }
}

pub fn infer(op: &Op, shapes: &[&[usize]], dtypes: &[DType]) -> Result<(Vec<usize>, DType)> {
    let name = op.name();
    Ok(match op {
        Op::Unary(u) => (shapes[0].to_vec(), u.out_dtype(dtypes[0])),
        Op::Binary(b) => {
            let s = broadcast_shapes(&name, shapes[0], shapes[1])?;
            let d = match b {
                _ if b.is_predicate() => DType::Bool,
                Binary::Div | Binary::Pow => DType::F32,
                _ => arith_dtype(dtypes[0], dtypes[1]),
            };
            (s, d)
        }
        Op::Where => {
            let s = broadcast_shapes(&name, shapes[1], shapes[2])?;
            (broadcast_shapes(&name, shapes[0], &s)?, arith_dtype(dtypes[1], dtypes[2]))
        }
        Op::Clip { .. } => (shapes[0].to_vec(), dtypes[0]),
        Op::Cast { dtype } => (shapes[0].to_vec(), *dtype),
        Op::DropoutMask { .. } | Op::RandomNormal { .. } => (shapes[0].to_vec(), DType::F32),
        _ => unreachable!("elementwise::infer called with {name}"),
    })
}

/// Calls `f(out_offset, offsets)` for each row of the output's last axis, with `offsets[k]` the
/// start of that row in input k under broadcast strides.
pub(super) fn for_each_row<const N: usize>(out_shape: &[usize], strides: &[Dims; N], mut f: impl FnMut(usize, [usize; N])) {
    let rank = out_shape.len();
    if rank == 0 {
        f(0, [0; N]);
        return;
    }
    let inner = out_shape[rank - 1];
    let rows = numel(&out_shape[..rank - 1]);
    let mut idx = Dims::zeros(rank - 1);
    let mut offs = [0usize; N];
    for r in 0..rows {
        f(r * inner, offs);
        // Advance the multi-index over the outer axes, updating offsets incrementally.
        for ax in (0..rank - 1).rev() {
            idx[ax] += 1;
            for k in 0..N {
                offs[k] += strides[k][ax];
            }
            if idx[ax] < out_shape[ax] {
                break;
            }
            for k in 0..N {
                offs[k] -= strides[k][ax] * out_shape[ax];
            }
            idx[ax] = 0;
        }
    }
}

pub fn forward(op: &Op, ins: &[&[f32]], shapes: &[&[usize]], out: &mut [f32], os: &[usize], ctx: &mut KernelCtx) {
    match op {
        Op::Unary(u) => match *u {
            // The hot activations get their own monomorphised loop so LLVM vectorises them.
            Unary::Relu => unary_kernel(ins[0], out, |v| v.max(0.0)),
            Unary::Step => unary_kernel(ins[0], out, |v| (v > 0.0) as u8 as f32),
            Unary::Neg => unary_kernel(ins[0], out, |v| -v),
            Unary::Square => unary_kernel(ins[0], out, |v| v * v),
            u => unary_kernel(ins[0], out, |v| u.eval(v)),
        },
        Op::Binary(b) => binary_dispatch(*b, ins[0], shapes[0], ins[1], shapes[1], out, os),
        Op::Where => {
            let st = [broadcast_dims(shapes[0], os), broadcast_dims(shapes[1], os), broadcast_dims(shapes[2], os)];
            let inner = os.last().copied().unwrap_or(1);
            let last = |k: usize| st[k].last().copied().unwrap_or(0);
            let (sc, sa, sb) = (last(0), last(1), last(2));
            for_each_row(os, &st, |o, [pc, pa, pb]| {
                for j in 0..inner {
                    out[o + j] = if ins[0][pc + j * sc] != 0.0 { ins[1][pa + j * sa] } else { ins[2][pb + j * sb] };
                }
            });
        }
        Op::Clip { lo, hi } => unary_kernel(ins[0], out, |v| v.clamp(*lo, *hi)),
        Op::Cast { dtype } => match dtype {
            DType::F32 => out.copy_from_slice(ins[0]),
            DType::I32 => unary_kernel(ins[0], out, |v| v.trunc()),
            DType::Bool => unary_kernel(ins[0], out, |v| (v != 0.0) as u8 as f32),
        },
        Op::DropoutMask { rate } => {
            let keep = 1.0 - rate;
            let scale = if keep > 0.0 { 1.0 / keep } else { 0.0 };
            for o in out.iter_mut() {
                *o = if ctx.rng.uniform() < keep { scale } else { 0.0 };
            }
        }
        Op::RandomNormal { stddev } => {
            for o in out.iter_mut() {
                *o = stddev * ctx.rng.normal();
            }
        }
        _ => unreachable!(),
    }
}

pub fn backward(g: &mut Graph, op: &Op, inputs: &[NodeId], y: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    match op {
        Op::Unary(u) => Ok(vec![unary_grad(g, *u, inputs[0], y, dy)?]),
        Op::Binary(b) => binary_grad(g, *b, inputs[0], inputs[1], y, dy),
        Op::Where => {
            let (c, a, b) = (inputs[0], inputs[1], inputs[2]);
            let zero = g.scalar(0.0)?;
            let da = g.where_(c, dy, zero)?;
            let db = g.where_(c, zero, dy)?;
            let (sa, sb) = (g.shape_of(a), g.shape_of(b));
            Ok(vec![None, Some(g.sum_to(da, &sa)?), Some(g.sum_to(db, &sb)?)])
        }
        Op::Clip { lo, hi } => {
            let x = inputs[0];
            let (lo, hi) = (g.scalar(*lo)?, g.scalar(*hi)?);
            let above = g.binary(Binary::GreaterEqual, x, lo)?;
            let below = g.binary(Binary::LessEqual, x, hi)?;
            let inside = g.binary(Binary::LogicalAnd, above, below)?;
            let zero = g.scalar(0.0)?;
            Ok(vec![Some(g.where_(inside, dy, zero)?)])
        }
        Op::Cast { dtype: DType::F32 } if g.dtype_of(inputs[0]) == DType::F32 => Ok(vec![Some(dy)]),
        _ => Ok(vec![None; inputs.len()]),
    }
}

/// GPU lowering: unary ops (clip and cast among them) and binary ops by their codes, `where`,
/// and the random masks (dropout, normal noise) drawn from the step's seed and `salt`.
pub fn lower(op: &Op, shapes: &[&[usize]], os: &[usize], salt: u32) -> Result<Vec<Disp>> {
    let n = numel(os);
    let mut w = [0u32; RECORD_WORDS];
    Ok(match op {
        Op::Binary(b) => {
            let mut w = elementwise_words(shapes, os);
            w[1] = binary_code(*b);
            vec![Disp { kernel: Kernel::Binary, words: w, ins: vec![Src::In(0), Src::In(1)], groups: linear(n, 256) }]
        }
        Op::Where => {
            let w = elementwise_words(shapes, os);
            vec![Disp { kernel: Kernel::Select, words: w, ins: vec![Src::In(0), Src::In(1), Src::In(2)], groups: linear(n, 256) }]
        }
        Op::DropoutMask { rate } => {
            let keep = 1.0 - rate;
            w[0] = n as u32;
            w[1] = salt;
            put_f(&mut w, 2, keep);
            put_f(&mut w, 3, if keep > 0.0 { 1.0 / keep } else { 0.0 });
            vec![Disp { kernel: Kernel::Dropout, words: w, ins: vec![Src::Seed], groups: linear(n, 256) }]
        }
        Op::RandomNormal { stddev } => {
            w[0] = n as u32;
            w[1] = salt;
            put_f(&mut w, 2, *stddev);
            w[4] = 1;
            vec![Disp { kernel: Kernel::Dropout, words: w, ins: vec![Src::Seed], groups: linear(n, 256) }]
        }
        _ => {
            let (code, p0, p1) = unary_code(op);
            w[0] = n as u32;
            w[1] = code;
            put_f(&mut w, 2, p0);
            put_f(&mut w, 3, p1);
            vec![Disp { kernel: Kernel::Unary, words: w, ins: vec![Src::In(0)], groups: linear(n, 256) }]
        }
    })
}

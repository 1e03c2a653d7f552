//! Matrix multiply, optionally transposed, with batch dimensions.
//!
//! Shapes: a is [..., m, k] ([..., k, m] when `ta`), b is [..., k, n] ([..., n, k] when `tb`),
//! output [..., m, n]. Batch dims must match, or one operand is 2-D and is shared by every batch
//! (a dense layer applied to a sequence). The CPU kernel is the packed GEMM; transposes are free
//! because the GEMM reads strided operands.

use crate::backend::cpu::gemm::{gemm, MatRef};
use crate::backend::gpu::record::{linear, Disp, Src};
use crate::backend::gpu::{Gpu, Kernel, RECORD_WORDS};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::tensor::shape::numel;

struct Dims {
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
}

fn dims(ta: bool, tb: bool, a: &[usize], b: &[usize]) -> Result<Dims> {
    let err =
        |why: &str| Error::shape("matMul", format!("{why}: a {} (transposeA={ta}), b {} (transposeB={tb})", fmt_shape(a), fmt_shape(b)));
    if a.len() < 2 || b.len() < 2 {
        return Err(err("both operands must have rank >= 2"));
    }
    let (ra, rb) = (a.len(), b.len());
    let (m, ka) = if ta { (a[ra - 1], a[ra - 2]) } else { (a[ra - 2], a[ra - 1]) };
    let (kb, n) = if tb { (b[rb - 1], b[rb - 2]) } else { (b[rb - 2], b[rb - 1]) };
    if ka != kb {
        return Err(err(&format!("inner dimensions must agree ({ka} vs {kb})")));
    }
    let (ba, bb) = (&a[..ra - 2], &b[..rb - 2]);
    let batch = if ba == bb || bb.is_empty() {
        ba.to_vec()
    } else if ba.is_empty() {
        bb.to_vec()
    } else {
        return Err(err("batch dimensions must match"));
    };
    Ok(Dims { batch, m, k: ka, n })
}

pub fn infer(ta: bool, tb: bool, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let d = dims(ta, tb, a, b)?;
    let mut out = d.batch;
    out.extend([d.m, d.n]);
    Ok(out)
}

pub fn forward(ta: bool, tb: bool, a: &[f32], sa: &[usize], b: &[f32], sb: &[usize], out: &mut [f32]) {
    // A kernel: `infer` checked these shapes before any buffer was made for them.
    #[allow(clippy::expect_used)]
    let d = dims(ta, tb, sa, sb).expect("shapes were checked by infer");
    let batches = numel(&d.batch);
    let (a_step, b_step) = (if sa.len() > 2 { d.m * d.k } else { 0 }, if sb.len() > 2 { d.k * d.n } else { 0 });
    for i in 0..batches {
        let am = MatRef::row_major(&a[i * a_step..i * a_step + d.m * d.k], if ta { d.m } else { d.k }, ta);
        let bm = MatRef::row_major(&b[i * b_step..i * b_step + d.k * d.n], if tb { d.k } else { d.n }, tb);
        gemm(d.m, d.n, d.k, am, bm, &mut out[i * d.m * d.n..(i + 1) * d.m * d.n], d.n, false);
    }
}

/// C = op(A)·op(B). dA = dC·op(B)ᵀ (transposed back when `ta`); dB = op(A)ᵀ·dC likewise.
pub fn backward(g: &mut Graph, ta: bool, tb: bool, inputs: &[NodeId], dc: NodeId) -> Result<Vec<Option<NodeId>>> {
    let (a, b) = (inputs[0], inputs[1]);
    let da = if ta { g.matmul(b, dc, tb, true)? } else { g.matmul(dc, b, false, !tb)? };
    let db = if tb { g.matmul(dc, a, true, ta)? } else { g.matmul(a, dc, !ta, false)? };
    let (sa, sb) = (g.shape_of(a), g.shape_of(b));
    Ok(vec![Some(g.sum_to(da, &sa)?), Some(g.sum_to(db, &sb)?)])
}

/// GPU lowering: the tiled kernel (matmul.wgsl) where the adapter runs it well for this size,
/// else the direct one (matmul_direct.wgsl); batches ride on the z workgroup axis.
pub fn lower(gpu: &Gpu, ta: bool, tb: bool, shapes: &[&[usize]], os: &[usize]) -> Result<Vec<Disp>> {
    let (a, b) = (shapes[0], shapes[1]);
    let (ra, rb) = (a.len(), b.len());
    let (m, k) = if ta { (a[ra - 1], a[ra - 2]) } else { (a[ra - 2], a[ra - 1]) };
    let nn = if tb { b[rb - 2] } else { b[rb - 1] };
    let batch = numel(&os[..os.len() - 2]);
    if batch > 65535 {
        return Err(Error::shape("matMul", format!("a batch of {batch} matrices exceeds the GPU dispatch limit of 65535")));
    }
    let mut w = [0u32; RECORD_WORDS];
    w[0] = m as u32;
    w[1] = nn as u32;
    w[2] = k as u32;
    w[3] = ta as u32;
    w[4] = tb as u32;
    w[5] = if ra > 2 { (m * k) as u32 } else { 0 };
    w[6] = if rb > 2 { (k * nn) as u32 } else { 0 };
    if !gpu.tiled_matmul(m, nn) {
        let mut groups = linear(m.div_ceil(8) * nn.div_ceil(4), 256);
        groups[2] = batch.max(1) as u32;
        return Ok(vec![Disp { kernel: Kernel::MatMulDirect, words: w, ins: vec![Src::In(0), Src::In(1)], groups }]);
    }
    let groups = [nn.div_ceil(64).max(1) as u32, m.div_ceil(64).max(1) as u32, batch.max(1) as u32];
    if groups[0] > 65535 || groups[1] > 65535 {
        return Err(Error::shape("matMul", format!("output {} exceeds the GPU dispatch limit", fmt_shape(os))));
    }
    Ok(vec![Disp { kernel: Kernel::MatMul, words: w, ins: vec![Src::In(0), Src::In(1)], groups }])
}

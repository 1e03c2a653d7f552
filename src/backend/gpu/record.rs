//! What an op's GPU lowering produces: dispatches of a kernel with a uniform record (the
//! 64-word parameter block every WGSL kernel reads), the buffers it binds and its workgroup
//! counts. Each op family lowers its ops in its own file (`crate::ops::*::lower`, registered in
//! `crate::ops::lower`); the plan (plan.rs) turns the records into pipelines and bind groups.

use super::{Kernel, RECORD_WORDS};
use crate::tensor::shape::{broadcast_dims, numel};

/// What a binding reads or writes.
#[derive(Clone, Copy, Debug)]
pub enum Src {
    /// The k-th input of the op.
    In(usize),
    /// The step's random seed (dropout).
    Seed,
}

/// One dispatch: `kernel` with the uniform `words`, reading `ins`, over `groups` workgroups.
pub struct Disp {
    pub kernel: Kernel,
    pub words: [u32; RECORD_WORDS],
    pub ins: Vec<Src>,
    pub groups: [u32; 3],
}

pub type Words = [u32; RECORD_WORDS];

/// Workgroups for `n` invocations of `wg` each, folded into y past the 65535 limit of x.
pub fn linear(n: usize, wg: u32) -> [u32; 3] {
    let groups = (n as u64).div_ceil(wg as u64).max(1);
    let x = groups.min(65535);
    [x as u32, groups.div_ceil(x) as u32, 1]
}

pub fn put_f(w: &mut Words, i: usize, v: f32) {
    w[i] = v.to_bits();
}

/// A strided copy over `shape` (see copy.wgsl).
pub fn copy_disp(shape: &[usize], src: usize, soff: usize, sst: &[usize], doff: usize, dst: &[usize]) -> Disp {
    let mut w = [0u32; RECORD_WORDS];
    let n = numel(shape);
    w[0] = n as u32;
    w[1] = shape.len() as u32;
    w[2] = soff as u32;
    w[3] = doff as u32;
    for i in 0..shape.len() {
        w[8 + i] = shape[i] as u32;
        w[16 + i] = sst[i] as u32;
        w[24 + i] = dst[i] as u32;
    }
    Disp { kernel: Kernel::Copy, words: w, ins: vec![Src::In(src)], groups: linear(n, 256) }
}

/// `n` values of `v` from element `off` (see fill.wgsl).
pub fn fill_disp(n: usize, off: usize, v: f32) -> Disp {
    let mut w = [0u32; RECORD_WORDS];
    w[0] = n as u32;
    w[3] = off as u32;
    put_f(&mut w, 4, v);
    Disp { kernel: Kernel::Fill, words: w, ins: vec![], groups: linear(n, 256) }
}

/// A reduction of kind `kind` (reduce.wgsl's codes) over the middle axis of [outer, dim, inner].
pub fn reduce_disp(outer: usize, dim: usize, inner: usize, kind: u32) -> Disp {
    let mut w = [0u32; RECORD_WORDS];
    let outs = outer * inner;
    w[0] = outs as u32;
    w[1] = dim as u32;
    w[2] = inner as u32;
    w[3] = kind;
    // Long sums and extrema get a workgroup each; everything else an invocation per output.
    if dim >= 256 && kind <= 3 {
        let x = outs.clamp(1, 65535);
        Disp { kernel: Kernel::ReduceWide, words: w, ins: vec![Src::In(0)], groups: [x as u32, outs.div_ceil(x) as u32, 1] }
    } else {
        Disp { kernel: Kernel::ReduceRows, words: w, ins: vec![Src::In(0)], groups: linear(outs, 256) }
    }
}

/// The record of a broadcasting elementwise op with inputs of `shapes` and output `os`: the
/// output size and shape, which inputs match it, and each input's broadcast strides.
pub fn elementwise_words(shapes: &[&[usize]], os: &[usize]) -> Words {
    let mut w = [0u32; RECORD_WORDS];
    w[0] = numel(os) as u32;
    w[4] = os.len() as u32;
    for (i, &d) in os.iter().enumerate() {
        w[8 + i] = d as u32;
    }
    for (k, s) in shapes.iter().enumerate() {
        if *s == os {
            w[5] |= 1 << k;
        }
        let st = broadcast_dims(s, os);
        for i in 0..os.len() {
            w[16 + 8 * k + i] = st[i] as u32;
        }
    }
    w
}

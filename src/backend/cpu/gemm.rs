//! Single-precision GEMM: `C (+)= op(A) · op(B)`.
//!
//! Shape legend: C is m×n (row stride `ldc`), op(A) is m×k, op(B) is k×n. A and B are given by a
//! row stride and a column stride, so transposed operands cost nothing extra: packing reads them
//! in whatever order they lie.
//!
//! The fast path follows the GotoBLAS layout: B is packed into k×NR column slivers (an NC-wide
//! panel, KC deep) and A into MR×k row slivers (an MC-tall block), then a 4×8 register-blocked
//! micro-kernel keeps 8 four-lane accumulators in registers (11 vector registers with the two B
//! vectors and the broadcast A value: it fits in the 16 that SSE and V8's wasm backend give us).
//! Packing buffers live in a thread-local arena and are reused, so steady state allocates nothing.

use super::simd::F32x4;
use std::cell::RefCell;

pub const MR: usize = 4;
pub const NR: usize = 8;
const MC: usize = 64;
const KC: usize = 256;
const NC: usize = 512;

/// A strided view of a matrix operand.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major matrix with `cols` columns, optionally seen transposed.
    pub fn row_major(data: &'a [f32], cols: usize, transposed: bool) -> Self {
        if transposed {
            MatRef { data, rs: 1, cs: cols }
        } else {
            MatRef { data, rs: cols, cs: 1 }
        }
    }
    #[inline(always)]
    fn at(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.rs + c * self.cs]
    }
}

/// The oracle: three loops, no blocking. `accumulate` adds into C instead of overwriting it.
#[allow(clippy::too_many_arguments)]
pub fn gemm_naive(m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32], ldc: usize, accumulate: bool) {
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f32;
            for p in 0..k {
                s += a.at(i, p) * b.at(p, j);
            }
            let dst = &mut c[i * ldc + j];
            *dst = if accumulate { *dst + s } else { s };
        }
    }
}

struct Arena {
    a: Vec<f32>,
    b: Vec<f32>,
}

thread_local! {
    static ARENA: RefCell<Arena> = const { RefCell::new(Arena { a: Vec::new(), b: Vec::new() }) };
}

/// The fast GEMM. Small products go to the naive loop, where packing would cost more than it saves.
#[allow(clippy::too_many_arguments)]
pub fn gemm(m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32], ldc: usize, accumulate: bool) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * ldc..i * ldc + n].fill(0.0);
            }
        }
        return;
    }
    // In u64: on wasm32 the product of three dimensions overflows usize.
    if (m as u64) * (n as u64) * (k as u64) < 8 * 8 * 8 || (n < NR && m < MR) {
        gemm_naive(m, n, k, a, b, c, ldc, accumulate);
        return;
    }
    ARENA.with(|arena| {
        let mut arena = arena.borrow_mut();
        let Arena { a: apack, b: bpack } = &mut *arena;
        let nc_max = NC.min(n.div_ceil(NR) * NR);
        let kc_max = KC.min(k);
        let mc_max = MC.min(m.div_ceil(MR) * MR);
        if bpack.len() < kc_max * nc_max {
            bpack.resize(kc_max * nc_max, 0.0);
        }
        if apack.len() < kc_max * mc_max {
            apack.resize(kc_max * mc_max, 0.0);
        }
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                pack_b(kc, nc, b, pc, jc, bpack);
                let acc = accumulate || pc > 0;
                for ic in (0..m).step_by(MC) {
                    let mc = MC.min(m - ic);
                    pack_a(mc, kc, a, ic, pc, apack);
                    macro_kernel(mc, nc, kc, apack, bpack, &mut c[ic * ldc + jc..], ldc, acc);
                }
            }
        }
    });
}

/// Packs op(B)[pc..pc+kc, jc..jc+nc] into NR-wide slivers, each stored k-major, zero-padded.
fn pack_b(kc: usize, nc: usize, b: MatRef, pc: usize, jc: usize, out: &mut [f32]) {
    let slivers = nc.div_ceil(NR);
    for s in 0..slivers {
        let j0 = s * NR;
        let w = NR.min(nc - j0);
        let dst = &mut out[s * kc * NR..(s + 1) * kc * NR];
        if b.cs == 1 && w == NR {
            for p in 0..kc {
                let src = (pc + p) * b.rs + jc + j0;
                dst[p * NR..p * NR + NR].copy_from_slice(&b.data[src..src + NR]);
            }
        } else {
            for p in 0..kc {
                for j in 0..NR {
                    dst[p * NR + j] = if j < w { b.at(pc + p, jc + j0 + j) } else { 0.0 };
                }
            }
        }
    }
}

/// Packs op(A)[ic..ic+mc, pc..pc+kc] into MR-tall slivers, each stored k-major, zero-padded.
fn pack_a(mc: usize, kc: usize, a: MatRef, ic: usize, pc: usize, out: &mut [f32]) {
    let slivers = mc.div_ceil(MR);
    for s in 0..slivers {
        let i0 = s * MR;
        let h = MR.min(mc - i0);
        let dst = &mut out[s * kc * MR..(s + 1) * kc * MR];
        if a.rs == 1 && h == MR {
            for p in 0..kc {
                let src = (ic + i0) + (pc + p) * a.cs;
                dst[p * MR..p * MR + MR].copy_from_slice(&a.data[src..src + MR]);
            }
        } else {
            for p in 0..kc {
                for i in 0..MR {
                    dst[p * MR + i] = if i < h { a.at(ic + i0 + i, pc + p) } else { 0.0 };
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn macro_kernel(mc: usize, nc: usize, kc: usize, apack: &[f32], bpack: &[f32], c: &mut [f32], ldc: usize, acc: bool) {
    let mut tile = [0.0f32; MR * NR];
    for jr in (0..nc).step_by(NR) {
        let w = NR.min(nc - jr);
        let bp = &bpack[(jr / NR) * kc * NR..];
        for ir in (0..mc).step_by(MR) {
            let h = MR.min(mc - ir);
            let ap = &apack[(ir / MR) * kc * MR..];
            micro_kernel(kc, ap, bp, &mut tile);
            for i in 0..h {
                let row = &mut c[(ir + i) * ldc + jr..(ir + i) * ldc + jr + w];
                let t = &tile[i * NR..i * NR + w];
                if acc {
                    for (d, s) in row.iter_mut().zip(t) {
                        *d += *s;
                    }
                } else {
                    row.copy_from_slice(t);
                }
            }
        }
    }
}

/// 4×8 micro-kernel: tile = Σ_p a[p, 0..4]ᵀ · b[p, 0..8].
#[inline(always)]
fn micro_kernel(kc: usize, ap: &[f32], bp: &[f32], tile: &mut [f32; MR * NR]) {
    assert!(ap.len() >= kc * MR && bp.len() >= kc * NR);
    let (mut c00, mut c01, mut c10, mut c11) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let (mut c20, mut c21, mut c30, mut c31) = (F32x4::zero(), F32x4::zero(), F32x4::zero(), F32x4::zero());
    let mut a = ap.as_ptr();
    let mut b = bp.as_ptr();
    for _ in 0..kc {
        // SAFETY: the assert above bounds every read: kc steps of MR and NR floats.
        unsafe {
            let b0 = F32x4::load(b);
            let b1 = F32x4::load(b.add(4));
            let a0 = F32x4::splat(*a);
            c00 = c00.add(a0.mul(b0));
            c01 = c01.add(a0.mul(b1));
            let a1 = F32x4::splat(*a.add(1));
            c10 = c10.add(a1.mul(b0));
            c11 = c11.add(a1.mul(b1));
            let a2 = F32x4::splat(*a.add(2));
            c20 = c20.add(a2.mul(b0));
            c21 = c21.add(a2.mul(b1));
            let a3 = F32x4::splat(*a.add(3));
            c30 = c30.add(a3.mul(b0));
            c31 = c31.add(a3.mul(b1));
            a = a.add(MR);
            b = b.add(NR);
        }
    }
    let t = tile.as_mut_ptr();
    // SAFETY: tile holds MR*NR = 32 floats; each store writes 4 within it.
    unsafe {
        c00.store(t);
        c01.store(t.add(4));
        c10.store(t.add(8));
        c11.store(t.add(12));
        c20.store(t.add(16));
        c21.store(t.add(20));
        c30.store(t.add(24));
        c31.store(t.add(28));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn check(m: usize, n: usize, k: usize, ta: bool, tb: bool, accumulate: bool) {
        let mut rng = Rng::new((m * 131 + n * 17 + k) as u64);
        let a: Vec<f32> = (0..m * k).map(|_| rng.uniform() - 0.5).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.uniform() - 0.5).collect();
        let c0: Vec<f32> = (0..m * n).map(|_| rng.uniform()).collect();
        let am = MatRef::row_major(&a, if ta { m } else { k }, ta);
        let bm = MatRef::row_major(&b, if tb { k } else { n }, tb);
        let mut want = c0.clone();
        gemm_naive(m, n, k, am, bm, &mut want, n, accumulate);
        let mut got = c0.clone();
        gemm(m, n, k, am, bm, &mut got, n, accumulate);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "m{m} n{n} k{k} ta{ta} tb{tb} at {i}: {g} vs {w}");
        }
    }

    #[test]
    fn packed_gemm_matches_oracle_on_odd_sizes() {
        for &(m, n, k) in &[(1, 1, 1), (7, 33, 5), (33, 7, 257), (65, 129, 3), (4, 8, 300), (130, 520, 260), (1, 257, 33), (257, 1, 7)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    check(m, n, k, ta, tb, false);
                }
            }
            check(m, n, k, false, false, true);
        }
    }

    #[test]
    fn golden_2x2() {
        // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]]
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        let mut c = [0.0; 4];
        gemm(2, 2, 2, MatRef::row_major(&a, 2, false), MatRef::row_major(&b, 2, false), &mut c, 2, false);
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
    }
}

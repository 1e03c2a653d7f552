//! Binary elementwise ops with NumPy broadcasting: the op list, the kernels (with fast paths for
//! equal shapes, scalars, and row or column broadcasts), and each op's backward rule.

use super::elementwise::for_each_row;
use super::Unary;
use crate::error::Result;
use crate::graph::{Builder, Graph, NodeId};
use crate::tensor::shape::broadcast_dims;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    /// Division rounded down (TF.js's `div` on two int32 tensors, and `floorDiv`).
    FloorDiv,
    Pow,
    Maximum,
    Minimum,
    SquaredDifference,
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
    Equal,
    NotEqual,
    LogicalAnd,
    LogicalOr,
}

impl Binary {
    pub fn name(self) -> &'static str {
        use Binary::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            FloorDiv => "floorDiv",
            Pow => "pow",
            Maximum => "maximum",
            Minimum => "minimum",
            SquaredDifference => "squaredDifference",
            Greater => "greater",
            GreaterEqual => "greaterEqual",
            Less => "less",
            LessEqual => "lessEqual",
            Equal => "equal",
            NotEqual => "notEqual",
            LogicalAnd => "logicalAnd",
            LogicalOr => "logicalOr",
        }
    }
    pub(super) fn is_predicate(self) -> bool {
        use Binary::*;
        matches!(self, Greater | GreaterEqual | Less | LessEqual | Equal | NotEqual | LogicalAnd | LogicalOr)
    }
}

/// `s` broadcasts as one row over `os`: its only non-1 dim is the last, equal to os's last.
fn is_row(s: &[usize], os: &[usize]) -> bool {
    !s.is_empty() && s.last() == os.last() && s[..s.len() - 1].iter().all(|&d| d == 1)
}

/// `s` is `os` with the last dim 1: one value per row.
fn is_col(s: &[usize], os: &[usize]) -> bool {
    s.len() == os.len() && !s.is_empty() && s.last() == Some(&1) && s[..s.len() - 1] == os[..os.len() - 1]
}

#[inline(always)]
fn binary_kernel(a: &[f32], sa: &[usize], b: &[f32], sb: &[usize], out: &mut [f32], os: &[usize], f: impl Fn(f32, f32) -> f32) {
    if sa == os && sb == os {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f(x, y);
        }
        return;
    }
    if b.len() == 1 && sa == os {
        let y = b[0];
        for (o, &x) in out.iter_mut().zip(a) {
            *o = f(x, y);
        }
        return;
    }
    if a.len() == 1 && sb == os {
        let x = a[0];
        for (o, &y) in out.iter_mut().zip(b) {
            *o = f(x, y);
        }
        return;
    }
    // Row and column broadcasts (a bias add, a per-row normaliser) without the general machinery.
    let inner = os.last().copied().unwrap_or(1);
    if sa == os && inner > 0 {
        if is_row(sb, os) {
            for (row, xs) in out.chunks_exact_mut(inner).zip(a.chunks_exact(inner)) {
                for ((o, &x), &y) in row.iter_mut().zip(xs).zip(b) {
                    *o = f(x, y);
                }
            }
            return;
        }
        if is_col(sb, os) {
            for ((row, xs), &y) in out.chunks_exact_mut(inner).zip(a.chunks_exact(inner)).zip(b) {
                for (o, &x) in row.iter_mut().zip(xs) {
                    *o = f(x, y);
                }
            }
            return;
        }
    }
    if sb == os && inner > 0 {
        if is_row(sa, os) {
            for (row, ys) in out.chunks_exact_mut(inner).zip(b.chunks_exact(inner)) {
                for ((o, &y), &x) in row.iter_mut().zip(ys).zip(a) {
                    *o = f(x, y);
                }
            }
            return;
        }
        if is_col(sa, os) {
            for ((row, ys), &x) in out.chunks_exact_mut(inner).zip(b.chunks_exact(inner)).zip(a) {
                for (o, &y) in row.iter_mut().zip(ys) {
                    *o = f(x, y);
                }
            }
            return;
        }
    }
    let st = [broadcast_dims(sa, os), broadcast_dims(sb, os)];
    let (ia, ib) = (st[0].last().copied().unwrap_or(0), st[1].last().copied().unwrap_or(0));
    for_each_row(os, &st, |o, [pa, pb]| {
        let row = &mut out[o..o + inner];
        match (ia, ib) {
            (1, 1) => {
                for ((d, &x), &y) in row.iter_mut().zip(&a[pa..pa + inner]).zip(&b[pb..pb + inner]) {
                    *d = f(x, y);
                }
            }
            (1, 0) => {
                let y = b[pb];
                for (d, &x) in row.iter_mut().zip(&a[pa..pa + inner]) {
                    *d = f(x, y);
                }
            }
            (0, 1) => {
                let x = a[pa];
                for (d, &y) in row.iter_mut().zip(&b[pb..pb + inner]) {
                    *d = f(x, y);
                }
            }
            _ => {
                for (j, d) in row.iter_mut().enumerate() {
                    *d = f(a[pa + j * ia], b[pb + j * ib]);
                }
            }
        }
    });
}

pub(super) fn binary_dispatch(op: Binary, a: &[f32], sa: &[usize], b: &[f32], sb: &[usize], out: &mut [f32], os: &[usize]) {
    use Binary::*;
    let t = |c: bool| c as u8 as f32;
    match op {
        Add => binary_kernel(a, sa, b, sb, out, os, |x, y| x + y),
        Sub => binary_kernel(a, sa, b, sb, out, os, |x, y| x - y),
        Mul => binary_kernel(a, sa, b, sb, out, os, |x, y| x * y),
        Div => binary_kernel(a, sa, b, sb, out, os, |x, y| x / y),
        FloorDiv => binary_kernel(a, sa, b, sb, out, os, |x, y| (x / y).floor()),
        Pow => binary_kernel(a, sa, b, sb, out, os, |x, y| x.powf(y)),
        Maximum => binary_kernel(a, sa, b, sb, out, os, |x, y| if x >= y || y.is_nan() { x } else { y }),
        Minimum => binary_kernel(a, sa, b, sb, out, os, |x, y| if x <= y || y.is_nan() { x } else { y }),
        SquaredDifference => binary_kernel(a, sa, b, sb, out, os, |x, y| (x - y) * (x - y)),
        Greater => binary_kernel(a, sa, b, sb, out, os, |x, y| t(x > y)),
        GreaterEqual => binary_kernel(a, sa, b, sb, out, os, |x, y| t(x >= y)),
        Less => binary_kernel(a, sa, b, sb, out, os, |x, y| t(x < y)),
        LessEqual => binary_kernel(a, sa, b, sb, out, os, |x, y| t(x <= y)),
        Equal => binary_kernel(a, sa, b, sb, out, os, |x, y| t(x == y)),
        NotEqual => binary_kernel(a, sa, b, sb, out, os, |x, y| t(x != y)),
        LogicalAnd => binary_kernel(a, sa, b, sb, out, os, |x, y| t(x != 0.0 && y != 0.0)),
        LogicalOr => binary_kernel(a, sa, b, sb, out, os, |x, y| t(x != 0.0 || y != 0.0)),
    }
}

pub(super) fn binary_grad(g: &mut Graph, b: Binary, x: NodeId, z: NodeId, y: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    use Binary::*;
    let (sx, sz) = (g.shape_of(x), g.shape_of(z));
    let (dx, dz) = match b {
        Add => (dy, dy),
        Sub => (dy, g.neg(dy)?),
        Mul => (g.mul(dy, z)?, g.mul(dy, x)?),
        // d(x/z) = dy/z, -dy x / z^2
        Div => {
            let dx = g.div(dy, z)?;
            let z2 = g.unary(Unary::Square, z)?;
            let t = g.div(x, z2)?;
            let n = g.mul(dy, t)?;
            (dx, g.neg(n)?)
        }
        // d(x^z) = z x^(z-1), x^z log x (zero where x <= 0)
        Pow => {
            let zm1 = g.add_scalar(z, -1.0)?;
            let p = g.binary(Pow, x, zm1)?;
            let t = g.mul(z, p)?;
            let dx = g.mul(dy, t)?;
            let zero = g.scalar(0.0)?;
            let pos = g.binary(Greater, x, zero)?;
            let lx = g.unary(Unary::Log, x)?;
            let lx = g.where_(pos, lx, zero)?;
            let t = g.mul(y, lx)?;
            (dx, g.mul(dy, t)?)
        }
        Maximum | Minimum => {
            let pick = g.binary(if b == Maximum { GreaterEqual } else { LessEqual }, x, z)?;
            let zero = g.scalar(0.0)?;
            (g.where_(pick, dy, zero)?, g.where_(pick, zero, dy)?)
        }
        // d (x-z)^2 = 2 (x - z), -2 (x - z)
        SquaredDifference => {
            let d = g.sub(x, z)?;
            let t = g.mul_scalar(d, 2.0)?;
            let dx = g.mul(dy, t)?;
            (dx, g.neg(dx)?)
        }
        _ => return Ok(vec![None, None]),
    };
    Ok(vec![Some(g.sum_to(dx, &sx)?), Some(g.sum_to(dz, &sz)?)])
}

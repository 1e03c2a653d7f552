//! Elementwise ops: unary math and activations, broadcasting binary arithmetic and comparisons,
//! `where`, `clip`, `cast` and the dropout mask.
//!
//! Kernels run an outer loop over rows of the output's last axis and a tight inner loop that LLVM
//! vectorises (simd128 on wasm32, SSE natively); broadcast inputs use stride 0.

use super::{KernelCtx, Op};
use crate::error::Result;
use crate::graph::{Builder, Graph, NodeId};
use crate::tensor::shape::{broadcast_dims, broadcast_shapes, numel, Dims};
use crate::tensor::DType;

const SELU_ALPHA: f32 = 1.673_263_2;
const SELU_SCALE: f32 = 1.050_701;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    Neg,
    Abs,
    Exp,
    Log,
    Log1p,
    Sqrt,
    Rsqrt,
    Square,
    Reciprocal,
    Sign,
    Floor,
    Ceil,
    Round,
    Sin,
    Cos,
    Relu,
    Relu6,
    Elu { alpha: f32 },
    Selu,
    LeakyRelu { alpha: f32 },
    Sigmoid,
    HardSigmoid,
    Tanh,
    Softplus,
    Softsign,
    /// 1 where x > 0, else 0 (the derivative of relu).
    Step,
    LogicalNot,
    IsNaN,
}

impl Unary {
    pub fn name(self) -> &'static str {
        use Unary::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Exp => "exp",
            Log => "log",
            Log1p => "log1p",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Square => "square",
            Reciprocal => "reciprocal",
            Sign => "sign",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Sin => "sin",
            Cos => "cos",
            Relu => "relu",
            Relu6 => "relu6",
            Elu { .. } => "elu",
            Selu => "selu",
            LeakyRelu { .. } => "leakyRelu",
            Sigmoid => "sigmoid",
            HardSigmoid => "hardSigmoid",
            Tanh => "tanh",
            Softplus => "softplus",
            Softsign => "softsign",
            Step => "step",
            LogicalNot => "logicalNot",
            IsNaN => "isNaN",
        }
    }

    #[inline(always)]
    pub fn eval(self, x: f32) -> f32 {
        use Unary::*;
        match self {
            Neg => -x,
            Abs => x.abs(),
            Exp => x.exp(),
            Log => x.ln(),
            Log1p => x.ln_1p(),
            Sqrt => x.sqrt(),
            Rsqrt => 1.0 / x.sqrt(),
            Square => x * x,
            Reciprocal => 1.0 / x,
            Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Floor => x.floor(),
            Ceil => x.ceil(),
            // Banker's rounding, as TF.js does.
            Round => x.round_ties_even(),
            Sin => x.sin(),
            Cos => x.cos(),
            Relu => x.max(0.0),
            Relu6 => x.clamp(0.0, 6.0),
            Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * (x.exp() - 1.0)
                }
            }
            Selu => {
                if x > 0.0 {
                    SELU_SCALE * x
                } else {
                    SELU_SCALE * SELU_ALPHA * (x.exp() - 1.0)
                }
            }
            LeakyRelu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x
                }
            }
            Sigmoid => sigmoid(x),
            HardSigmoid => (0.2 * x + 0.5).clamp(0.0, 1.0),
            Tanh => x.tanh(),
            Softplus => {
                // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
                x.max(0.0) + (-x.abs()).exp().ln_1p()
            }
            Softsign => x / (1.0 + x.abs()),
            Step => (x > 0.0) as u8 as f32,
            LogicalNot => (x == 0.0) as u8 as f32,
            IsNaN => x.is_nan() as u8 as f32,
        }
    }

    fn out_dtype(self, d: DType) -> DType {
        use Unary::*;
        match self {
            LogicalNot | IsNaN => DType::Bool,
            Neg | Abs | Square | Sign | Relu | Floor | Ceil | Round if d == DType::I32 => DType::I32,
            _ => DType::F32,
        }
    }
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

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
    fn is_predicate(self) -> bool {
        use Binary::*;
        matches!(self, Greater | GreaterEqual | Less | LessEqual | Equal | NotEqual | LogicalAnd | LogicalOr)
    }
}

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
        Op::DropoutMask { .. } => (shapes[0].to_vec(), DType::F32),
        _ => unreachable!("elementwise::infer called with {name}"),
    })
}

/// Calls `f(out_offset, offsets)` for each row of the output's last axis, with `offsets[k]` the
/// start of that row in input k under broadcast strides.
fn for_each_row<const N: usize>(out_shape: &[usize], strides: &[Dims; N], mut f: impl FnMut(usize, [usize; N])) {
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

fn binary_dispatch(op: Binary, a: &[f32], sa: &[usize], b: &[f32], sb: &[usize], out: &mut [f32], os: &[usize]) {
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

#[inline(always)]
fn unary_kernel(x: &[f32], out: &mut [f32], f: impl Fn(f32) -> f32) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(v);
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

fn unary_grad(g: &mut Graph, u: Unary, x: NodeId, y: NodeId, dy: NodeId) -> Result<Option<NodeId>> {
    use Unary::*;
    let d = match u {
        Neg => g.neg(dy)?,
        Abs => {
            let s = g.unary(Sign, x)?;
            g.mul(dy, s)?
        }
        Exp => g.mul(dy, y)?,
        Log => g.div(dy, x)?,
        Log1p => {
            let x1 = g.add_scalar(x, 1.0)?;
            g.div(dy, x1)?
        }
        // d sqrt(x) = 1 / (2 sqrt(x))
        Sqrt => {
            let two_y = g.mul_scalar(y, 2.0)?;
            g.div(dy, two_y)?
        }
        // d x^-1/2 = -1/2 x^-3/2 = -y^3/2
        Rsqrt => {
            let y2 = g.unary(Square, y)?;
            let y3 = g.mul(y2, y)?;
            let t = g.mul_scalar(y3, -0.5)?;
            g.mul(dy, t)?
        }
        Square => {
            let t = g.mul_scalar(x, 2.0)?;
            g.mul(dy, t)?
        }
        // d 1/x = -1/x^2 = -y^2
        Reciprocal => {
            let y2 = g.unary(Square, y)?;
            let t = g.neg(y2)?;
            g.mul(dy, t)?
        }
        Sin => {
            let c = g.unary(Cos, x)?;
            g.mul(dy, c)?
        }
        Cos => {
            let s = g.unary(Sin, x)?;
            let t = g.neg(s)?;
            g.mul(dy, t)?
        }
        Relu => {
            let s = g.unary(Step, x)?;
            g.mul(dy, s)?
        }
        Relu6 => {
            let zero = g.scalar(0.0)?;
            let six = g.scalar(6.0)?;
            let a = g.binary(Binary::Greater, x, zero)?;
            let b = g.binary(Binary::Less, x, six)?;
            let inside = g.binary(Binary::LogicalAnd, a, b)?;
            g.where_(inside, dy, zero)?
        }
        // x > 0: 1; else alpha e^x = y + alpha
        Elu { alpha } => {
            let zero = g.scalar(0.0)?;
            let pos = g.binary(Binary::Greater, x, zero)?;
            let ya = g.add_scalar(y, alpha)?;
            let neg = g.mul(dy, ya)?;
            g.where_(pos, dy, neg)?
        }
        // x > 0: scale; else scale alpha e^x = y + scale alpha
        Selu => {
            let zero = g.scalar(0.0)?;
            let pos = g.binary(Binary::Greater, x, zero)?;
            let p = g.mul_scalar(dy, SELU_SCALE)?;
            let ya = g.add_scalar(y, SELU_SCALE * SELU_ALPHA)?;
            let n = g.mul(dy, ya)?;
            g.where_(pos, p, n)?
        }
        LeakyRelu { alpha } => {
            let zero = g.scalar(0.0)?;
            let pos = g.binary(Binary::Greater, x, zero)?;
            let n = g.mul_scalar(dy, alpha)?;
            g.where_(pos, dy, n)?
        }
        // y (1 - y)
        Sigmoid => {
            let one_minus = {
                let n = g.neg(y)?;
                g.add_scalar(n, 1.0)?
            };
            let t = g.mul(y, one_minus)?;
            g.mul(dy, t)?
        }
        HardSigmoid => {
            let lo = g.scalar(-2.5)?;
            let hi = g.scalar(2.5)?;
            let a = g.binary(Binary::Greater, x, lo)?;
            let b = g.binary(Binary::Less, x, hi)?;
            let inside = g.binary(Binary::LogicalAnd, a, b)?;
            let d = g.mul_scalar(dy, 0.2)?;
            let zero = g.scalar(0.0)?;
            g.where_(inside, d, zero)?
        }
        // 1 - y^2
        Tanh => {
            let y2 = g.unary(Square, y)?;
            let n = g.neg(y2)?;
            let t = g.add_scalar(n, 1.0)?;
            g.mul(dy, t)?
        }
        Softplus => {
            let s = g.unary(Sigmoid, x)?;
            g.mul(dy, s)?
        }
        // 1 / (1 + |x|)^2
        Softsign => {
            let a = g.unary(Abs, x)?;
            let a1 = g.add_scalar(a, 1.0)?;
            let sq = g.unary(Square, a1)?;
            g.div(dy, sq)?
        }
        Sign | Floor | Ceil | Round | Step | LogicalNot | IsNaN => return Ok(None),
    };
    Ok(Some(d))
}

fn binary_grad(g: &mut Graph, b: Binary, x: NodeId, z: NodeId, y: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
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

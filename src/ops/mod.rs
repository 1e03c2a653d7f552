//! The op set. Each family lives in one file holding its shape rule, its CPU kernel and its
//! backward rule, the backward written with other ops so every device runs gradients with the
//! kernels it already has.
//!
//! An [`Op`] is plain data. [`infer`] checks inputs and gives the output shape and dtype;
//! [`forward`] runs the CPU kernel into a caller-owned buffer (so a replayed plan allocates
//! nothing); [`backward`] adds the gradient nodes to a graph.

pub mod binary;
pub mod conv;
pub mod elementwise;
pub mod matmul;
pub mod movement;
pub mod reduce;
pub mod unary;
pub mod window3;
pub mod window_ops;
pub mod xent;

use crate::backend::gpu::record::Disp;
use crate::backend::gpu::Gpu;
use crate::error::{Error, Result};
use crate::graph::{Graph, NodeId};
use crate::rng::Rng;
use crate::tensor::DType;
pub use binary::Binary;
pub use conv::Window;
pub use reduce::ReduceKind;
pub use unary::Unary;

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A value fed in for each step (a batch of x or y).
    Input {
        index: usize,
    },
    /// A model weight, read in place from the parameter store.
    Param {
        index: usize,
    },
    /// A constant held by the graph.
    Const {
        index: usize,
    },
    Unary(Unary),
    Binary(Binary),
    /// `cond ? a : b`, broadcasting all three.
    Where,
    Clip {
        lo: f32,
        hi: f32,
    },
    Cast {
        dtype: DType,
    },
    MatMul {
        ta: bool,
        tb: bool,
    },
    /// Reduction over the contiguous axis range `start..end` (the builder splits other sets).
    Reduce {
        kind: ReduceKind,
        start: usize,
        end: usize,
        keep_dims: bool,
    },
    ArgMax {
        axis: usize,
    },
    Softmax {
        axis: usize,
    },
    LogSoftmax {
        axis: usize,
    },
    Reshape {
        shape: Vec<usize>,
    },
    Transpose {
        perm: Vec<usize>,
    },
    BroadcastTo {
        shape: Vec<usize>,
    },
    Slice {
        begin: Vec<usize>,
        size: Vec<usize>,
    },
    /// Zero padding: `before[i]` zeros before and `after[i]` after the data on axis i.
    Pad {
        before: Vec<usize>,
        after: Vec<usize>,
    },
    Concat {
        axis: usize,
    },
    /// `x.gather(indices, axis)`.
    Gather {
        axis: usize,
    },
    /// The adjoint of `Gather`: sums rows of `updates` into a zero tensor whose `axis` has `dim` rows.
    ScatterAdd {
        axis: usize,
        dim: usize,
    },
    OneHot {
        depth: usize,
        on: f32,
        off: f32,
    },
    /// Inverted-dropout mask: 0 with probability `rate`, else 1/(1-rate). Fresh each execution.
    DropoutMask {
        rate: f32,
    },
    /// Fused softmax cross-entropy over the last axis: (logits, labels) -> per-row loss.
    SoftmaxXent {
        eps: f32,
    },
    /// Its gradient w.r.t. the logits: (logits, labels, dy) -> dlogits.
    SoftmaxXentGrad {
        eps: f32,
    },
    /// NHWC image [N,H,W,C] -> windows [N,OH,OW,KH·KW,C]; reads outside the image give `fill`.
    Im2Col {
        w: Window,
        fill: f32,
    },
    /// The adjoint of `Im2Col`: windows [N,OH,OW,KH·KW,C] summed onto an image [N,H,W,C].
    Col2Im {
        w: Window,
        image: [usize; 2],
    },
    /// Gaussian noise with mean 0 and standard deviation `stddev`, the shape of its input.
    RandomNormal {
        stddev: f32,
    },
}

impl Op {
    pub fn name(&self) -> String {
        match self {
            Op::Input { .. } => "input".into(),
            Op::Param { .. } => "param".into(),
            Op::Const { .. } => "const".into(),
            Op::Unary(u) => u.name().into(),
            Op::Binary(b) => b.name().into(),
            Op::Where => "where".into(),
            Op::Clip { .. } => "clipByValue".into(),
            Op::Cast { .. } => "cast".into(),
            Op::MatMul { .. } => "matMul".into(),
            Op::Reduce { kind, .. } => kind.name().into(),
            Op::ArgMax { .. } => "argMax".into(),
            Op::Softmax { .. } => "softmax".into(),
            Op::LogSoftmax { .. } => "logSoftmax".into(),
            Op::Reshape { .. } => "reshape".into(),
            Op::Transpose { .. } => "transpose".into(),
            Op::BroadcastTo { .. } => "broadcastTo".into(),
            Op::Slice { .. } => "slice".into(),
            Op::Pad { .. } => "pad".into(),
            Op::Concat { .. } => "concat".into(),
            Op::Gather { .. } => "gather".into(),
            Op::ScatterAdd { .. } => "scatterAdd".into(),
            Op::OneHot { .. } => "oneHot".into(),
            Op::DropoutMask { .. } => "dropout".into(),
            Op::SoftmaxXent { .. } => "softmaxCrossEntropy".into(),
            Op::SoftmaxXentGrad { .. } => "softmaxCrossEntropyGrad".into(),
            Op::Im2Col { .. } => "im2col".into(),
            Op::Col2Im { .. } => "col2im".into(),
            Op::RandomNormal { .. } => "randomNormal".into(),
        }
    }

    fn arity(&self) -> Option<usize> {
        Some(match self {
            Op::Input { .. } | Op::Param { .. } | Op::Const { .. } => 0,
            Op::Binary(_) | Op::MatMul { .. } | Op::Gather { .. } | Op::ScatterAdd { .. } | Op::SoftmaxXent { .. } => 2,
            Op::Where | Op::SoftmaxXentGrad { .. } => 3,
            Op::Concat { .. } => return None,
            _ => 1,
        })
    }
}

/// Scratch state a kernel may use: the random stream for dropout.
pub struct KernelCtx<'a> {
    pub rng: &'a mut Rng,
}

/// Checks an op's inputs and gives its output shape and dtype.
pub fn infer(op: &Op, shapes: &[&[usize]], dtypes: &[DType]) -> Result<(Vec<usize>, DType)> {
    if let Some(n) = op.arity() {
        if shapes.len() != n {
            return Err(Error::arg(op.name(), format!("expects {n} inputs, received {}", shapes.len())));
        }
    }
    let out = infer_op(op, shapes, dtypes)?;
    crate::tensor::shape::checked_numel(&op.name(), &out.0)?;
    if out.0.len() > crate::tensor::shape::MAX_RANK {
        return Err(Error::shape(
            op.name(),
            format!(
                "tensors of rank above {} are not supported (result shape {})",
                crate::tensor::shape::MAX_RANK,
                crate::error::fmt_shape(&out.0)
            ),
        ));
    }
    Ok(out)
}

/// The op families. Each is one file holding its ops' shape rules, CPU kernels, backward rules
/// and GPU lowering (with its WGSL kernels in shaders/), so adding an op to a family is local.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Input, Param, Const: values the graph is given.
    Leaf,
    /// elementwise.rs (with unary.rs and binary.rs): unary, binary, where, clip, cast, random masks.
    Elementwise,
    /// matmul.rs.
    MatMul,
    /// reduce.rs: reductions, argMax, softmax, logSoftmax.
    Reduce,
    /// xent.rs: fused softmax cross-entropy and its gradient.
    Xent,
    /// conv.rs: the sliding windows (im2col, col2im).
    Conv,
    /// movement.rs: reshape, transpose, broadcastTo, slice, pad, concat, gather, scatterAdd, oneHot.
    Movement,
}

/// The one table from ops to their families: [`infer`], [`forward`], [`backward`] and [`lower`]
/// dispatch through it.
pub fn family(op: &Op) -> Family {
    match op {
        Op::Input { .. } | Op::Param { .. } | Op::Const { .. } => Family::Leaf,
        Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Clip { .. } | Op::Cast { .. } | Op::DropoutMask { .. } | Op::RandomNormal { .. } => {
            Family::Elementwise
        }
        Op::MatMul { .. } => Family::MatMul,
        Op::Reduce { .. } | Op::ArgMax { .. } | Op::Softmax { .. } | Op::LogSoftmax { .. } => Family::Reduce,
        Op::SoftmaxXent { .. } | Op::SoftmaxXentGrad { .. } => Family::Xent,
        Op::Im2Col { .. } | Op::Col2Im { .. } => Family::Conv,
        Op::Reshape { .. }
        | Op::Transpose { .. }
        | Op::BroadcastTo { .. }
        | Op::Slice { .. }
        | Op::Pad { .. }
        | Op::Concat { .. }
        | Op::Gather { .. }
        | Op::ScatterAdd { .. }
        | Op::OneHot { .. } => Family::Movement,
    }
}

/// A matmul's transpose flags (false, false for any other op).
fn transposes(op: &Op) -> (bool, bool) {
    match op {
        Op::MatMul { ta, tb } => (*ta, *tb),
        _ => (false, false),
    }
}

fn infer_op(op: &Op, shapes: &[&[usize]], dtypes: &[DType]) -> Result<(Vec<usize>, DType)> {
    match family(op) {
        Family::Leaf => Err(Error::arg(op.name(), "leaf nodes carry their own shape")),
        Family::Elementwise => elementwise::infer(op, shapes, dtypes),
        Family::MatMul => {
            let (ta, tb) = transposes(op);
            matmul::infer(ta, tb, shapes[0], shapes[1]).map(|s| (s, DType::F32))
        }
        Family::Reduce => reduce::infer(op, shapes[0], dtypes[0]),
        Family::Xent => xent::infer(op, shapes),
        Family::Conv => conv::infer(op, shapes),
        Family::Movement => movement::infer(op, shapes, dtypes),
    }
}

/// Runs the CPU kernel for `op`. `out` has exactly the inferred output size and may hold garbage.
pub fn forward(op: &Op, ins: &[&[f32]], shapes: &[&[usize]], out: &mut [f32], out_shape: &[usize], ctx: &mut KernelCtx) {
    match family(op) {
        Family::Leaf => {}
        Family::Elementwise => elementwise::forward(op, ins, shapes, out, out_shape, ctx),
        Family::MatMul => {
            let (ta, tb) = transposes(op);
            matmul::forward(ta, tb, ins[0], shapes[0], ins[1], shapes[1], out)
        }
        Family::Reduce => reduce::forward(op, ins[0], shapes[0], out),
        Family::Xent => xent::forward(op, ins, shapes, out),
        Family::Conv => conv::forward(op, ins[0], shapes[0], out, out_shape),
        Family::Movement => movement::forward(op, ins, shapes, out, out_shape),
    }
}

/// Adds to `g` the gradient of the graph's output w.r.t. each input of node `node`, given the
/// gradient `dy` flowing into its output. `None` where an input takes no gradient.
pub fn backward(g: &mut Graph, node: NodeId, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let n = &g.nodes[node];
    let op = n.op.clone();
    let inputs = n.inputs.clone();
    match family(&op) {
        Family::Leaf => Ok(vec![]),
        Family::Elementwise => elementwise::backward(g, &op, &inputs, node, dy),
        Family::MatMul => {
            let (ta, tb) = transposes(&op);
            matmul::backward(g, ta, tb, &inputs, dy)
        }
        Family::Reduce => reduce::backward(g, &op, &inputs, node, dy),
        Family::Xent => xent::backward(g, &op, &inputs, dy),
        Family::Conv => conv::backward(g, &op, &inputs, dy),
        Family::Movement => movement::backward(g, &op, &inputs, dy),
    }
}

/// The GPU dispatches that compute `op` from inputs of `shapes` into an output of shape `os`
/// (`salt` varies a random op's stream per node).
pub fn lower(gpu: &Gpu, op: &Op, shapes: &[&[usize]], os: &[usize], salt: u32) -> Result<Vec<Disp>> {
    match family(op) {
        Family::Leaf => Ok(vec![]),
        Family::Elementwise => elementwise::lower(op, shapes, os, salt),
        Family::MatMul => {
            let (ta, tb) = transposes(op);
            matmul::lower(gpu, ta, tb, shapes, os)
        }
        Family::Reduce => reduce::lower(op, shapes, os),
        Family::Xent => xent::lower(op, shapes, os),
        Family::Conv => conv::lower(op, shapes, os),
        Family::Movement => movement::lower(op, shapes, os),
    }
}

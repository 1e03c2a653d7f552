//! The graph: ops as nodes with inferred shapes. Layers, losses and metrics build their math
//! through the [`Builder`] trait, which both the symbolic graph and the eager runtime implement,
//! so one definition serves traced training steps and immediate JS calls alike.

pub mod autodiff;
pub mod plan;

use crate::error::{fmt_shape, Error, OrInternal, Result};
use crate::ops::{self, Binary, Op, ReduceKind, Unary};
use crate::tensor::{shape, DType, Tensor};

pub type NodeId = usize;

#[derive(Clone, Debug)]
pub struct Node {
    pub op: Op,
    pub inputs: Vec<NodeId>,
    pub shape: Vec<usize>,
    pub dtype: DType,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub consts: Vec<Tensor>,
    /// State a training step writes back: (weight index, new value), e.g. BatchNormalization's
    /// moving statistics. Recorded by layers through [`Graph::assign`].
    pub updates: Vec<(usize, NodeId)>,
    /// Nodes whose gradient the user wrote (`tf.customGrad`): see [`CustomGrad`].
    pub custom: Vec<CustomGrad>,
}

/// A node with a gradient of the user's own (`tf.customGrad`): `node` passes its only input (f's
/// value) through, and the backward pass gives `xs[k]` the subgraph `grads[k]`, recorded on the
/// placeholder `dy`, with `dy` replaced by the gradient arriving at `node`. Nothing flows back
/// through the ops that computed the value.
#[derive(Clone, Debug)]
pub struct CustomGrad {
    pub node: NodeId,
    pub dy: NodeId,
    pub xs: Vec<NodeId>,
    pub grads: Vec<NodeId>,
}

impl Graph {
    pub fn new() -> Graph {
        Graph::default()
    }
    pub fn input(&mut self, index: usize, shape: &[usize], dtype: DType) -> NodeId {
        self.leaf(Op::Input { index }, shape, dtype)
    }
    pub fn param(&mut self, index: usize, shape: &[usize]) -> NodeId {
        self.leaf(Op::Param { index }, shape, DType::F32)
    }
    /// Records that a training step sets the weight read by `param` to `value`.
    pub fn assign(&mut self, param: NodeId, value: NodeId) -> Result<()> {
        let Op::Param { index } = self.nodes[param].op else {
            return Err(Error::arg("assign", "only a weight can be assigned"));
        };
        if self.nodes[param].shape != self.nodes[value].shape {
            return Err(Error::shape(
                "assign",
                format!(
                    "cannot assign a value of shape {} to a weight of shape {}",
                    fmt_shape(&self.nodes[value].shape),
                    fmt_shape(&self.nodes[param].shape)
                ),
            ));
        }
        self.updates.push((index, value));
        Ok(())
    }
    fn leaf(&mut self, op: Op, shape: &[usize], dtype: DType) -> NodeId {
        self.nodes.push(Node { op, inputs: vec![], shape: shape.to_vec(), dtype });
        self.nodes.len() - 1
    }
}

/// Something ops can be applied to: a symbolic [`Graph`] or the eager runtime.
pub trait Builder {
    type Id: Copy;
    fn apply(&mut self, op: Op, inputs: &[Self::Id]) -> Result<Self::Id>;
    fn constant(&mut self, t: Tensor) -> Result<Self::Id>;
    fn shape_of(&self, id: Self::Id) -> Vec<usize>;
    fn dtype_of(&self, id: Self::Id) -> DType;

    fn scalar(&mut self, v: f32) -> Result<Self::Id> {
        self.constant(Tensor::scalar(v))
    }
    fn unary(&mut self, u: Unary, x: Self::Id) -> Result<Self::Id> {
        self.apply(Op::Unary(u), &[x])
    }
    fn binary(&mut self, b: Binary, x: Self::Id, y: Self::Id) -> Result<Self::Id> {
        self.apply(Op::Binary(b), &[x, y])
    }
    fn add(&mut self, x: Self::Id, y: Self::Id) -> Result<Self::Id> {
        self.binary(Binary::Add, x, y)
    }
    fn sub(&mut self, x: Self::Id, y: Self::Id) -> Result<Self::Id> {
        self.binary(Binary::Sub, x, y)
    }
    fn mul(&mut self, x: Self::Id, y: Self::Id) -> Result<Self::Id> {
        self.binary(Binary::Mul, x, y)
    }
    fn div(&mut self, x: Self::Id, y: Self::Id) -> Result<Self::Id> {
        self.binary(Binary::Div, x, y)
    }
    fn neg(&mut self, x: Self::Id) -> Result<Self::Id> {
        self.unary(Unary::Neg, x)
    }
    fn mul_scalar(&mut self, x: Self::Id, v: f32) -> Result<Self::Id> {
        let s = self.scalar(v)?;
        self.mul(x, s)
    }
    fn add_scalar(&mut self, x: Self::Id, v: f32) -> Result<Self::Id> {
        let s = self.scalar(v)?;
        self.add(x, s)
    }
    fn cast(&mut self, x: Self::Id, dtype: DType) -> Result<Self::Id> {
        if self.dtype_of(x) == dtype {
            return Ok(x);
        }
        self.apply(Op::Cast { dtype }, &[x])
    }
    fn where_(&mut self, c: Self::Id, a: Self::Id, b: Self::Id) -> Result<Self::Id> {
        self.apply(Op::Where, &[c, a, b])
    }
    fn clip(&mut self, x: Self::Id, lo: f32, hi: f32) -> Result<Self::Id> {
        if lo > hi {
            return Err(Error::arg("clipByValue", format!("min {lo} must not exceed max {hi}")));
        }
        self.apply(Op::Clip { lo, hi }, &[x])
    }
    fn matmul(&mut self, a: Self::Id, b: Self::Id, ta: bool, tb: bool) -> Result<Self::Id> {
        self.apply(Op::MatMul { ta, tb }, &[a, b])
    }
    fn reshape(&mut self, x: Self::Id, to: &[usize]) -> Result<Self::Id> {
        if self.shape_of(x) == to {
            return Ok(x);
        }
        self.apply(Op::Reshape { shape: to.to_vec() }, &[x])
    }
    fn transpose(&mut self, x: Self::Id, perm: &[usize]) -> Result<Self::Id> {
        self.apply(Op::Transpose { perm: perm.to_vec() }, &[x])
    }
    fn broadcast_to(&mut self, x: Self::Id, to: &[usize]) -> Result<Self::Id> {
        if self.shape_of(x) == to {
            return Ok(x);
        }
        self.apply(Op::BroadcastTo { shape: to.to_vec() }, &[x])
    }
    /// Reduces over sorted, de-duplicated `axes`, splitting them into contiguous runs.
    fn reduce(&mut self, kind: ReduceKind, x: Self::Id, axes: &[usize], keep_dims: bool) -> Result<Self::Id> {
        let rank = self.shape_of(x).len();
        if axes.is_empty() {
            return Ok(x);
        }
        if let Some(&bad) = axes.iter().find(|&&a| a >= rank) {
            return Err(Error::arg(kind.name(), format!("axis {bad} is out of range for a tensor of rank {rank}")));
        }
        // Contiguous runs, reduced from the last run to the first so earlier axes keep their index.
        let mut runs: Vec<(usize, usize)> = vec![];
        for &a in axes {
            match runs.last_mut() {
                Some((_, end)) if *end == a => *end += 1,
                _ => runs.push((a, a + 1)),
            }
        }
        let mut cur = x;
        for &(start, end) in runs.iter().rev() {
            cur = self.apply(Op::Reduce { kind, start, end, keep_dims }, &[cur])?;
        }
        Ok(cur)
    }
    fn sum(&mut self, x: Self::Id, axes: &[usize], keep_dims: bool) -> Result<Self::Id> {
        self.reduce(ReduceKind::Sum, x, axes, keep_dims)
    }
    fn mean(&mut self, x: Self::Id, axes: &[usize], keep_dims: bool) -> Result<Self::Id> {
        self.reduce(ReduceKind::Mean, x, axes, keep_dims)
    }
    fn mean_all(&mut self, x: Self::Id) -> Result<Self::Id> {
        let rank = self.shape_of(x).len();
        let axes: Vec<usize> = (0..rank).collect();
        self.mean(x, &axes, false)
    }
    /// Sums `x` down to `target` (the adjoint of broadcasting).
    fn sum_to(&mut self, x: Self::Id, target: &[usize]) -> Result<Self::Id> {
        let xs = self.shape_of(x);
        if xs == target {
            return Ok(x);
        }
        let off = xs
            .len()
            .checked_sub(target.len())
            .ok_or_else(|| Error::shape("sumTo", format!("cannot sum {} down to {}", fmt_shape(&xs), fmt_shape(target))))?;
        let axes: Vec<usize> = (0..xs.len()).filter(|&i| i < off || (target[i - off] == 1 && xs[i] != 1)).collect();
        let s = self.sum(x, &axes, true)?;
        self.reshape(s, target)
    }
    fn softmax(&mut self, x: Self::Id, axis: usize) -> Result<Self::Id> {
        self.apply(Op::Softmax { axis }, &[x])
    }
    fn log_softmax(&mut self, x: Self::Id, axis: usize) -> Result<Self::Id> {
        self.apply(Op::LogSoftmax { axis }, &[x])
    }
    fn argmax(&mut self, x: Self::Id, axis: usize) -> Result<Self::Id> {
        self.apply(Op::ArgMax { axis }, &[x])
    }
    fn last_axis(&self, x: Self::Id) -> usize {
        self.shape_of(x).len().saturating_sub(1)
    }
    /// The logits when `x` is a softmax over its last axis (so a loss can fuse with it); only a
    /// graph can see this, the eager runtime computes values and says None.
    fn softmax_logits(&self, _x: Self::Id) -> Option<Self::Id> {
        None
    }
}

impl Builder for Graph {
    type Id = NodeId;
    fn apply(&mut self, op: Op, inputs: &[NodeId]) -> Result<NodeId> {
        let shapes: Vec<&[usize]> = inputs.iter().map(|&i| self.nodes[i].shape.as_slice()).collect();
        let dtypes: Vec<DType> = inputs.iter().map(|&i| self.nodes[i].dtype).collect();
        let (shape, dtype) = ops::infer(&op, &shapes, &dtypes)?;
        self.nodes.push(Node { op, inputs: inputs.to_vec(), shape, dtype });
        Ok(self.nodes.len() - 1)
    }
    fn constant(&mut self, t: Tensor) -> Result<NodeId> {
        let (s, d) = (t.shape.clone(), t.dtype);
        self.consts.push(t);
        Ok(self.leaf(Op::Const { index: self.consts.len() - 1 }, &s, d))
    }
    fn shape_of(&self, id: NodeId) -> Vec<usize> {
        self.nodes[id].shape.clone()
    }
    fn dtype_of(&self, id: NodeId) -> DType {
        self.nodes[id].dtype
    }
    fn softmax_logits(&self, x: NodeId) -> Option<NodeId> {
        let n = &self.nodes[x];
        match n.op {
            Op::Softmax { axis } if axis + 1 == n.shape.len() => Some(n.inputs[0]),
            _ => None,
        }
    }
}

/// Checks that `shape` has exactly `numel` elements (a guard used by leaf constructors).
pub fn check_numel(op: &str, s: &[usize], n: usize) -> Result<()> {
    if shape::numel(s) != n {
        return Err(Error::shape(op, format!("shape {} needs {} values, received {n}", fmt_shape(s), shape::numel(s))));
    }
    Ok(())
}

/// A user function (a custom loss or metric) recorded as ops on placeholder inputs. Instantiating
/// it into a step's graph replays those ops on real nodes, with shapes inferred anew, so the same
/// trace serves every batch size.
#[derive(Clone, Debug)]
pub struct TracedFn {
    pub graph: Graph,
    /// The placeholder nodes, in argument order.
    pub inputs: Vec<NodeId>,
    pub output: NodeId,
}

impl TracedFn {
    /// Same ops, attributes, wiring, dtypes and constants (shapes may differ).
    pub fn same_structure(&self, other: &TracedFn) -> bool {
        self.inputs == other.inputs
            && self.output == other.output
            && self.graph.consts == other.graph.consts
            && self.graph.nodes.len() == other.graph.nodes.len()
            && self.graph.nodes.iter().zip(&other.graph.nodes).all(|(a, b)| a.op == b.op && a.inputs == b.inputs && a.dtype == b.dtype)
    }

    pub fn instantiate(&self, g: &mut Graph, args: &[NodeId]) -> Result<NodeId> {
        if args.len() != self.inputs.len() {
            return Err(Error::arg("traced function", format!("expects {} arguments, received {}", self.inputs.len(), args.len())));
        }
        let mut map: Vec<Option<NodeId>> = vec![None; self.graph.nodes.len()];
        for (&p, &a) in self.inputs.iter().zip(args) {
            map[p] = Some(a);
        }
        for i in 0..=self.output {
            if map[i].is_some() {
                continue;
            }
            let node = &self.graph.nodes[i];
            map[i] = Some(match node.op {
                Op::Const { index } => g.constant(self.graph.consts[index].clone())?,
                Op::Input { .. } | Op::Param { .. } => {
                    return Err(Error::arg("traced function", "uses a tensor that is not one of its arguments or a constant"))
                }
                _ => {
                    let ins: Vec<NodeId> = node.inputs.iter().map(|&j| map[j].or_internal("traced function", "an input comes after its user")).collect::<Result<_>>()?;
                    g.apply(node.op.clone(), &ins)?
                }
            });
        }
        map[self.output].or_internal("traced function", "the output was not computed")
    }
}

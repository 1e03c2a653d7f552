//! A planned step: the graph's live nodes in order, each with a buffer chosen once. Buffers come
//! from a pool and are shared by values whose lifetimes do not overlap; reshapes alias their input.
//! Replaying the plan runs the kernels into the same buffers: no allocation, no shape checks.

use super::{Graph, NodeId};
use crate::error::Result;
use crate::ops::{self, KernelCtx, Op};
use crate::rng::Rng;
use crate::tensor::shape::numel;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loc {
    Input(usize),
    Param(usize),
    Const(usize),
    Slot(usize),
}

pub struct Step {
    pub node: NodeId,
    pub inputs: Vec<Loc>,
    /// Element counts of the inputs, fixed at plan time.
    pub sizes: Vec<usize>,
    pub out: usize,
}

/// The execution order of a graph's live nodes with a buffer slot for each value: slots are
/// shared by values whose lifetimes do not overlap, and reshapes alias their input. Both the
/// CPU and the WebGPU plan are built from one.
pub struct Schedule {
    pub steps: Vec<Step>,
    pub loc: Vec<Option<Loc>>,
    /// Elements per slot.
    pub slot_size: Vec<usize>,
}

/// Ops with more inputs than this (a wide concat) gather them in a Vec; the rest use the stack.
const MAX_INLINE: usize = 8;

/// Where a plan reads the values of its Param leaves (a model's weights, or plain slices).
pub trait Params {
    fn param(&self, k: usize) -> &[f32];
}

impl Params for [&[f32]] {
    fn param(&self, k: usize) -> &[f32] {
        self[k]
    }
}

impl Params for Vec<&[f32]> {
    fn param(&self, k: usize) -> &[f32] {
        self[k]
    }
}

impl<const N: usize> Params for [&[f32]; N] {
    fn param(&self, k: usize) -> &[f32] {
        self[k]
    }
}

pub struct Plan {
    pub graph: Graph,
    steps: Vec<Step>,
    loc: Vec<Option<Loc>>,
    slots: Vec<Vec<f32>>,
}

impl Plan {
    /// Plans the computation of `outputs` (and whatever they need) from `graph`.
    pub fn new(graph: Graph, outputs: &[NodeId]) -> Result<Plan> {
        let Schedule { steps, loc, slot_size } = schedule(&graph, outputs);
        let slots = slot_size.iter().map(|&s| crate::tensor::shape::alloc_zeroed("plan", s)).collect::<Result<Vec<_>>>()?;
        Ok(Plan { graph, steps, loc, slots })
    }

    /// Runs every step. `inputs` and `params` are indexed as the graph's Input and Param leaves.
    /// Nothing is allocated here: buffers were sized when the plan was made.
    pub fn run<P: Params + ?Sized>(&mut self, inputs: &[&[f32]], params: &P, rng: &mut Rng) {
        let mut ctx = KernelCtx { rng };
        for step in &self.steps {
            let node = &self.graph.nodes[step.node];
            let size = numel(&node.shape);
            let mut out = std::mem::take(&mut self.slots[step.out]);
            {
                let slots = &self.slots;
                let consts = &self.graph.consts;
                let resolve = |k: usize| -> &[f32] {
                    let n = step.sizes[k];
                    match step.inputs[k] {
                        Loc::Input(i) => &inputs[i][..n],
                        Loc::Param(i) => &params.param(i)[..n],
                        Loc::Const(i) => &consts[i].data[..],
                        Loc::Slot(s) => &slots[s][..n],
                    }
                };
                let shape_of = |k: usize| self.graph.nodes[node.inputs[k]].shape.as_slice();
                let n = step.inputs.len();
                if n <= MAX_INLINE {
                    let mut ins: [&[f32]; MAX_INLINE] = [&[]; MAX_INLINE];
                    let mut shapes: [&[usize]; MAX_INLINE] = [&[]; MAX_INLINE];
                    for k in 0..n {
                        ins[k] = resolve(k);
                        shapes[k] = shape_of(k);
                    }
                    ops::forward(&node.op, &ins[..n], &shapes[..n], &mut out[..size], &node.shape, &mut ctx);
                } else {
                    let ins: Vec<&[f32]> = (0..n).map(resolve).collect();
                    let shapes: Vec<&[usize]> = (0..n).map(shape_of).collect();
                    ops::forward(&node.op, &ins, &shapes, &mut out[..size], &node.shape, &mut ctx);
                }
            }
            self.slots[step.out] = out;
        }
    }

    /// The value of a planned node after `run` (for Input and Param nodes, use the caller's data).
    pub fn value(&self, node: NodeId) -> &[f32] {
        let n = numel(&self.graph.nodes[node].shape);
        match self.loc[node] {
            Some(Loc::Slot(s)) => &self.slots[s][..n],
            Some(Loc::Const(k)) => &self.graph.consts[k].data[..n],
            _ => &[],
        }
    }

    /// Bytes held by the plan's buffers.
    pub fn bytes(&self) -> usize {
        self.slots.iter().map(|s| s.len() * 4).sum()
    }

    pub fn num_steps(&self) -> usize {
        self.steps.len()
    }
}

/// Orders the nodes `outputs` need and assigns each value a slot (see [`Schedule`]).
pub fn schedule(graph: &Graph, outputs: &[NodeId]) -> Schedule {
    let n = graph.nodes.len();
    let mut needed = vec![false; n];
    for &o in outputs {
        needed[o] = true;
    }
    for i in (0..n).rev() {
        if needed[i] {
            for &j in &graph.nodes[i].inputs {
                needed[j] = true;
            }
        }
    }
    // Where each value lives; a reshape shares its input's location.
    let mut loc: Vec<Option<Loc>> = vec![None; n];
    let mut root: Vec<NodeId> = (0..n).collect();
    let mut last_use = vec![0usize; n];
    let mut order = vec![];
    for i in 0..n {
        if !needed[i] {
            continue;
        }
        let node = &graph.nodes[i];
        match node.op {
            Op::Input { index } => loc[i] = Some(Loc::Input(index)),
            Op::Param { index } => loc[i] = Some(Loc::Param(index)),
            Op::Const { index } => loc[i] = Some(Loc::Const(index)),
            Op::Reshape { .. } => root[i] = root[node.inputs[0]],
            _ => order.push(i),
        }
        let pos = order.len();
        for &j in &node.inputs {
            last_use[root[j]] = pos;
        }
    }
    for &o in outputs {
        last_use[root[o]] = usize::MAX;
    }
    // Assign slots in execution order, best-fit from the free list.
    let mut slot_size: Vec<usize> = vec![];
    let mut free: Vec<usize> = vec![];
    let mut steps = vec![];
    for (pos, &i) in order.iter().enumerate() {
        let size = numel(&graph.nodes[i].shape).max(1);
        let pick = free.iter().enumerate().filter(|(_, &s)| slot_size[s] >= size).min_by_key(|(_, &s)| slot_size[s]).map(|(k, _)| k);
        let slot = match pick {
            Some(k) => free.swap_remove(k),
            None => {
                // Grow the largest free slot rather than adding a new one when none fits.
                if let Some(k) = (0..free.len()).max_by_key(|&k| slot_size[free[k]]) {
                    let s = free.swap_remove(k);
                    slot_size[s] = size;
                    s
                } else {
                    slot_size.push(size);
                    slot_size.len() - 1
                }
            }
        };
        loc[i] = Some(Loc::Slot(slot));
        // A graph's nodes come after their inputs (Graph::apply links only existing nodes), so
        // each input has its place by now.
        #[allow(clippy::expect_used)]
        let inputs: Vec<Loc> = graph.nodes[i].inputs.iter().map(|&j| loc[root[j]].expect("inputs precede their users")).collect();
        let sizes = graph.nodes[i].inputs.iter().map(|&j| numel(&graph.nodes[j].shape)).collect();
        steps.push(Step { node: i, inputs, sizes, out: slot });
        // Release inputs whose last reader was this step (the output never shares their slot).
        for &j in &graph.nodes[i].inputs {
            let r = root[j];
            if last_use[r] == pos + 1 {
                if let Some(Loc::Slot(s)) = loc[r] {
                    if !free.contains(&s) {
                        free.push(s);
                    }
                }
                last_use[r] = usize::MAX - 1; // released once
            }
        }
        // A value nobody reads (and no output) frees at once.
        if last_use[i] == 0 {
            free.push(slot);
        }
    }
    for i in 0..n {
        if needed[i] && loc[i].is_none() {
            loc[i] = loc[root[i]];
        }
    }
    Schedule { steps, loc, slot_size }
}

/// Makes every node in `outs` a computed value (a leaf or a reshape of one gets a copy), so the
/// plan holds it in a buffer of its own that can be read back or copied from.
pub fn materialize(g: &mut Graph, outs: &mut [NodeId]) -> Result<()> {
    use crate::graph::Builder;
    use crate::tensor::DType;
    for o in outs.iter_mut() {
        let mut root = *o;
        while let Op::Reshape { .. } = g.nodes[root].op {
            root = g.nodes[root].inputs[0];
        }
        if g.nodes[root].inputs.is_empty() {
            let shape = g.nodes[*o].shape.clone();
            let c = g.apply(Op::Cast { dtype: DType::F32 }, &[root])?;
            *o = g.reshape(c, &shape)?;
        }
    }
    Ok(())
}

//! Computing a lazy eager tensor (see [`crate::eager::Lazy`]) on the GPU: the ops recorded
//! behind it become one planned GPU step whose result is read back asynchronously.

use crate::backend::gpu::plan::{materialize, GpuPlan, ParamArena};
use crate::backend::gpu::{Gpu, Readback};
use crate::eager::{Lazy, Operand};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// Adds the ops behind `l` to `g` (shared operands once; values already known become
/// constants) and returns its node.
fn visit(
    l: &Rc<Lazy>,
    g: &mut Graph,
    nodes: &mut HashMap<*const Lazy, NodeId>,
    consts: &mut HashMap<*const Tensor, NodeId>,
) -> Result<NodeId> {
    if let Some(&n) = nodes.get(&Rc::as_ptr(l)) {
        return Ok(n);
    }
    let n = if l.is_known() {
        g.constant((**l.cpu()).clone())?
    } else {
        let mut ins = vec![];
        for o in l.operands() {
            ins.push(match o {
                Operand::Ready(t) => match consts.get(&Rc::as_ptr(&t)) {
                    Some(&n) => n,
                    None => {
                        let n = g.constant((*t).clone())?;
                        consts.insert(Rc::as_ptr(&t), n);
                        n
                    }
                },
                Operand::Lazy(x) => visit(&x, g, nodes, consts)?,
            });
        }
        g.apply(l.op.clone(), &ins)?
    };
    nodes.insert(Rc::as_ptr(l), n);
    Ok(n)
}

/// The ops behind `root` as a graph with one output.
pub fn lazy_graph(root: &Rc<Lazy>) -> Result<(Graph, NodeId)> {
    let mut g = Graph::new();
    let out = visit(root, &mut g, &mut HashMap::new(), &mut HashMap::new())?;
    Ok((g, out))
}

/// Plans the lazy ops behind `root` as one GPU step, runs it and starts reading the result.
/// The plan is returned with the read: its buffers must live until the read is taken.
pub fn gpu_lazy_read(gpu: &Arc<Gpu>, root: &Rc<Lazy>) -> Result<(Readback, GpuPlan)> {
    let (mut g, out) = lazy_graph(root)?;
    let mut outs = [out];
    materialize(&mut g, &mut outs)?;
    let arena = ParamArena::new(gpu, &[], &[])?;
    let mut plan = GpuPlan::new(gpu, g, &outs, &arena)?;
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    plan.encode(&mut enc, &[], 0);
    let (buf, n) = plan.value(outs[0]).ok_or_else(|| Error::arg(root.op.name(), "the GPU plan has no output"))?;
    let mut rb = gpu.readback(&mut enc, &[(buf, 0, n)]);
    gpu.queue.submit([enc.finish()]);
    rb.start();
    gpu.check(&root.op.name())?;
    Ok((rb, plan))
}

//! Reverse-mode differentiation on the graph: walk the nodes between the parameters and the loss
//! backwards, asking each op for its backward rule (which adds ordinary nodes), and sum the
//! contributions that meet at a node. The result is more graph, planned and replayed like the
//! forward pass.

use super::{plan, Builder, Graph, NodeId, TracedFn};
use crate::error::{fmt_shape, Error, Result};
use crate::ops;
use crate::rng::Rng;
use crate::tensor::{DType, Tensor};

/// Gradients of node `loss` with respect to each node in `wrt`. A node that does not affect the
/// loss gets a zero gradient. A non-scalar `loss` is treated as summed.
pub fn grad(g: &mut Graph, loss: NodeId, wrt: &[NodeId]) -> Result<Vec<NodeId>> {
    if g.dtype_of(loss) != DType::F32 {
        return Err(Error::arg("grad", "the differentiated value must be float32"));
    }
    let n = loss + 1;
    // depends[i]: node i is (or is computed from) one of `wrt`.
    let mut depends = vec![false; n];
    for &w in wrt {
        if w < n {
            depends[w] = true;
        }
    }
    // A node with a gradient of the user's own depends on what that gradient reaches too.
    let custom: Vec<Option<usize>> = (0..n).map(|i| g.custom.iter().position(|c| c.node == i)).collect();
    for i in 0..n {
        let via_custom = custom[i].is_some_and(|c| g.custom[c].xs.iter().any(|&x| depends[x]));
        if !depends[i] && (via_custom || g.nodes[i].inputs.iter().any(|&j| depends[j])) {
            depends[i] = true;
        }
    }
    let mut grads: Vec<Option<NodeId>> = vec![None; n];
    if depends[loss] {
        let ones = Tensor::full(&g.shape_of(loss), 1.0);
        grads[loss] = Some(g.constant(ones)?);
    }
    for i in (0..n).rev() {
        let Some(dy) = grads[i] else { continue };
        if !depends[i] || g.nodes[i].inputs.is_empty() {
            continue;
        }
        let (targets, dins) = match custom[i] {
            Some(c) => {
                let c = g.custom[c].clone();
                (c.xs.clone(), user_gradient(g, &c, dy)?)
            }
            None => (g.nodes[i].inputs.clone(), ops::backward(g, i, dy)?),
        };
        for (k, d) in dins.into_iter().enumerate() {
            let (Some(d), Some(&j)) = (d, targets.get(k)) else { continue };
            if !depends[j] {
                continue;
            }
            grads[j] = Some(match grads[j] {
                Some(prev) => g.add(prev, d)?,
                None => d,
            });
        }
    }
    wrt.iter()
        .map(|&w| match grads.get(w).copied().flatten() {
            Some(d) => Ok(d),
            None => g.constant(Tensor::zeros(&g.shape_of(w))),
        })
        .collect()
}

/// The gradients a `tf.customGrad` node gives its inputs when `dy` arrives at it: its recorded
/// gradient subgraph copied with the placeholder replaced by `dy`. Only nodes recorded after the
/// placeholder can depend on it, so one pass over them in order finds what to copy.
fn user_gradient(g: &mut Graph, c: &super::CustomGrad, dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let last = c.grads.iter().copied().max().unwrap_or(c.dy).max(c.dy);
    let mut map: Vec<Option<NodeId>> = vec![None; last + 1 - c.dy];
    map[0] = Some(dy);
    for j in c.dy + 1..=last {
        let inputs = g.nodes[j].inputs.clone();
        if !inputs.iter().any(|&k| k >= c.dy && map[k - c.dy].is_some()) {
            continue;
        }
        let moved: Vec<NodeId> = inputs.iter().map(|&k| if k >= c.dy { map[k - c.dy].unwrap_or(k) } else { k }).collect();
        let op = g.nodes[j].op.clone();
        map[j - c.dy] = Some(g.apply(op, &moved)?);
    }
    Ok(c.grads.iter().map(|&k| Some(if k >= c.dy { map[k - c.dy].unwrap_or(k) } else { k })).collect())
}

/// The value of traced function `f` at `args` and its gradient with respect to each argument
/// (weighted by `dy` when given: the gradient of sum(f · dy)), computed on the CPU by planning
/// the trace plus its backward graph once. An argument the output is not computed from gets
/// None, so callers can tell "unused" from "zero". `op` names the caller in errors.
pub fn value_and_grads(
    op: &str,
    f: &TracedFn,
    args: &[&Tensor],
    dy: Option<&Tensor>,
    rng: &mut Rng,
) -> Result<(Tensor, Vec<Option<Tensor>>)> {
    if args.len() != f.inputs.len() {
        return Err(Error::arg(op, format!("expects {} arguments, received {}", f.inputs.len(), args.len())));
    }
    let mut g = f.graph.clone();
    for (k, (&p, a)) in f.inputs.iter().zip(args).enumerate() {
        if g.nodes[p].shape != a.shape {
            return Err(Error::shape(
                op,
                format!("argument {k} has shape {}, the trace expects {}", fmt_shape(&a.shape), fmt_shape(&g.nodes[p].shape)),
            ));
        }
    }
    let out = f.output;
    let out_shape = g.shape_of(out);
    if g.dtype_of(out) != DType::F32 {
        return Err(Error::arg(op, format!("the function must return a float32 tensor, received {}", g.dtype_of(out).name())));
    }
    let linked: Vec<bool> = f.inputs.iter().map(|&p| connected(&g, p, out)).collect();
    let target = match dy {
        Some(d) => {
            if d.shape != out_shape {
                return Err(Error::shape(
                    op,
                    format!("the shape of dy {} must match the shape returned by f {}", fmt_shape(&d.shape), fmt_shape(&out_shape)),
                ));
            }
            let c = g.constant(Tensor { shape: d.shape.clone(), dtype: DType::F32, data: d.data.clone() })?;
            g.mul(out, c)?
        }
        None => out,
    };
    let reached: Vec<NodeId> = f.inputs.iter().zip(&linked).filter(|(_, &l)| l).map(|(&p, _)| p).collect();
    let grads = grad(&mut g, target, &reached)?;
    let mut outs = vec![out];
    outs.extend(grads);
    plan::materialize(&mut g, &mut outs)?;
    let mut plan = plan::Plan::new(g, &outs)?;
    let data: Vec<&[f32]> = args.iter().map(|t| t.data.as_slice()).collect();
    plan.run(&data, &[], rng);
    let value = Tensor { shape: out_shape, dtype: DType::F32, data: plan.value(outs[0]).to_vec() };
    let mut next = outs[1..].iter();
    let result = f
        .inputs
        .iter()
        .zip(&linked)
        .map(|(&p, &l)| match l {
            true => {
                next.next().map(|&d| Tensor { shape: plan.graph.nodes[p].shape.clone(), dtype: DType::F32, data: plan.value(d).to_vec() })
            }
            false => None,
        })
        .collect();
    Ok((value, result))
}

/// Whether node `out` is computed from node `from`.
pub fn connected(g: &Graph, from: NodeId, out: NodeId) -> bool {
    if from > out {
        return false;
    }
    let mut on = vec![false; out + 1];
    on[from] = true;
    for i in from..=out {
        let via_custom = || g.custom.iter().any(|c| c.node == i && c.xs.iter().any(|&x| x >= from && on[x]));
        if !on[i] && (g.nodes[i].inputs.iter().any(|&j| on[j]) || via_custom()) {
            on[i] = true;
        }
    }
    on[out]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::plan::Plan;
    use crate::rng::Rng;

    #[test]
    fn golden_polynomial_gradient() {
        // y = sum(x*x + 5x) at x = [1, 2, 3] = 6 + 14 + 24 = 44; dy/dx = 2x + 5 = [7, 9, 11]
        let mut g = Graph::new();
        let x = g.input(0, &[3], DType::F32);
        let xx = g.mul(x, x).unwrap();
        let fx = g.mul_scalar(x, 5.0).unwrap();
        let s = g.add(xx, fx).unwrap();
        let y = g.sum(s, &[0], false).unwrap();
        let d = grad(&mut g, y, &[x]).unwrap()[0];
        let mut plan = Plan::new(g, &[y, d]).unwrap();
        let mut rng = Rng::new(0);
        plan.run(&[&[1.0, 2.0, 3.0]], &[], &mut rng);
        assert_eq!(plan.value(y), &[44.0]);
        assert_eq!(plan.value(d), &[7.0, 9.0, 11.0]);
    }

    #[test]
    fn matmul_gradient_golden() {
        // Burn's check: C = A·B summed; dA = 1·Bᵀ rows, dB = Aᵀ·1 columns.
        // A = [[1,7],[2,3]], B = [[2,3],[4,5]]: dA = [[5,9],[5,9]], dB = [[3,3],[10,10]]
        let mut g = Graph::new();
        let a = g.input(0, &[2, 2], DType::F32);
        let b = g.input(1, &[2, 2], DType::F32);
        let c = g.matmul(a, b, false, false).unwrap();
        let s = g.sum(c, &[0, 1], false).unwrap();
        let d = grad(&mut g, s, &[a, b]).unwrap();
        let mut plan = Plan::new(g, &d).unwrap();
        plan.run(&[&[1.0, 7.0, 2.0, 3.0], &[2.0, 3.0, 4.0, 5.0]], &[], &mut Rng::new(0));
        assert_eq!(plan.value(d[0]), &[5.0, 9.0, 5.0, 9.0]);
        assert_eq!(plan.value(d[1]), &[3.0, 3.0, 10.0, 10.0]);
    }

    #[test]
    fn custom_gradient_replaces_the_ops_rule() {
        // value = x*x, but the user's gradient is dy * 3 (TF.js's customGrad): the loss
        // sum(2 * value) then has gradient 6 everywhere, not 4x; the placeholder's subgraph is
        // copied onto the real dy.
        let mut g = Graph::new();
        let x = g.input(0, &[3], DType::F32);
        let value = g.mul(x, x).unwrap();
        let dy = g.constant(Tensor::zeros(&[3])).unwrap();
        let gx = g.mul_scalar(dy, 3.0).unwrap();
        let node = g.apply(ops::Op::Reshape { shape: vec![3] }, &[value]).unwrap();
        g.custom.push(crate::graph::CustomGrad { node, dy, xs: vec![x], grads: vec![gx] });
        let twice = g.mul_scalar(node, 2.0).unwrap();
        let s = g.sum(twice, &[0], false).unwrap();
        let d = grad(&mut g, s, &[x]).unwrap()[0];
        let mut plan = Plan::new(g, &[s, d]).unwrap();
        plan.run(&[&[1.0, 2.0, 3.0]], &[], &mut Rng::new(0));
        assert_eq!(plan.value(s), &[28.0]);
        assert_eq!(plan.value(d), &[6.0, 6.0, 6.0]);
    }
}

//! Finite-difference gradient checks for every differentiable op (tinygrad's gradcheck): the
//! gradient autodiff builds from each backward rule must match central differences of
//! L = Σ f(x) · r, for a fixed random r, on awkward shapes and with broadcasting.

use hebb::graph::autodiff::grad;
use hebb::graph::plan::Plan;
use hebb::graph::{Builder, Graph, NodeId};
use hebb::losses::Loss;
use hebb::ops::{Binary, Op, ReduceKind, Unary};
use hebb::rng::Rng;
use hebb::tensor::DType;

/// Inputs: (shape, sampler). A sampler keeps values away from kinks and domain edges.
type Sampler = fn(&mut Rng) -> f32;

fn any(r: &mut Rng) -> f32 {
    r.uniform() * 4.0 - 2.0
}
/// Away from 0 (for relu-like kinks and 1/x).
fn off_zero(r: &mut Rng) -> f32 {
    let v = 0.2 + r.uniform() * 1.8;
    if r.uniform() < 0.5 {
        -v
    } else {
        v
    }
}
fn positive(r: &mut Rng) -> f32 {
    0.3 + r.uniform() * 2.0
}
fn prob(r: &mut Rng) -> f32 {
    0.05 + r.uniform() * 0.9
}

fn check(name: &str, inputs: &[(&[usize], Sampler)], build: impl Fn(&mut Graph, &[NodeId]) -> NodeId) {
    check_with(name, inputs, &[], build)
}

/// `consts`: extra non-differentiated inputs (e.g. gather indices), fed as given.
fn check_with(
    name: &str,
    inputs: &[(&[usize], Sampler)],
    consts: &[(&[usize], Vec<f32>)],
    build: impl Fn(&mut Graph, &[NodeId]) -> NodeId,
) {
    let mut rng = Rng::new(name.len() as u64 * 7919);
    let mut g = Graph::new();
    let mut nodes = vec![];
    let mut data: Vec<Vec<f32>> = vec![];
    for (i, (shape, sample)) in inputs.iter().enumerate() {
        nodes.push(g.input(i, shape, DType::F32));
        data.push((0..shape.iter().product::<usize>()).map(|_| sample(&mut rng)).collect());
    }
    let mut all = nodes.clone();
    for (k, (shape, v)) in consts.iter().enumerate() {
        all.push(g.input(inputs.len() + k, shape, DType::I32));
        data.push(v.clone());
    }
    let y = build(&mut g, &all);
    let ys = g.shape_of(y);
    let r: Vec<f32> = (0..ys.iter().product::<usize>()).map(|_| rng.uniform() - 0.5).collect();
    let rn = g.constant(hebb::Tensor::new(ys.clone(), r).unwrap()).unwrap();
    let prod = g.mul(y, rn).unwrap();
    let axes: Vec<usize> = (0..ys.len()).collect();
    let loss = if axes.is_empty() { prod } else { g.sum(prod, &axes, false).unwrap() };
    let grads = grad(&mut g, loss, &nodes).unwrap();
    let mut outs = vec![loss];
    outs.extend(&grads);
    let mut plan = Plan::new(g, &outs).unwrap();
    let analytic: Vec<Vec<f32>> = {
        let ins: Vec<&[f32]> = data.iter().map(|d| d.as_slice()).collect();
        plan.run(&ins, &[], &mut Rng::new(1));
        grads.iter().map(|&gnode| plan.value(gnode).to_vec()).collect()
    };
    let mut eval = |data: &[Vec<f32>]| -> f64 {
        let ins: Vec<&[f32]> = data.iter().map(|d| d.as_slice()).collect();
        plan.run(&ins, &[], &mut Rng::new(1));
        plan.value(loss)[0] as f64
    };
    let h = 1e-2f32;
    for (i, a) in analytic.iter().enumerate() {
        for k in 0..data[i].len() {
            let orig = data[i][k];
            data[i][k] = orig + h;
            let up = eval(&data);
            data[i][k] = orig - h;
            let down = eval(&data);
            data[i][k] = orig;
            let numeric = (up - down) / (2.0 * h as f64);
            let err = (numeric - a[k] as f64).abs();
            assert!(err <= 2e-2 * (1.0 + numeric.abs()), "{name}: d/dx{i}[{k}] analytic {} vs numeric {numeric}", a[k]);
        }
    }
}

#[test]
fn unary_ops() {
    use Unary::*;
    let cases: Vec<(Unary, Sampler)> = vec![
        (Neg, any),
        (Abs, off_zero),
        (Exp, any),
        (Log, positive),
        (Log1p, positive),
        (Sqrt, positive),
        (Rsqrt, positive),
        (Square, any),
        (Reciprocal, off_zero),
        (Sin, any),
        (Cos, any),
        (Relu, off_zero),
        (Elu { alpha: 0.7 }, off_zero),
        (Selu, off_zero),
        (LeakyRelu { alpha: 0.2 }, off_zero),
        (Sigmoid, any),
        (Tanh, any),
        (Softplus, any),
        (Softsign, off_zero),
        (Tan, |r| r.uniform() * 2.0 - 1.0),
        (Asin, |r| r.uniform() * 1.6 - 0.8),
        (Acos, |r| r.uniform() * 1.6 - 0.8),
        (Atan, any),
        (Sinh, any),
        (Cosh, any),
        (Asinh, any),
        (Acosh, |r| 1.2 + r.uniform() * 3.0),
        (Atanh, |r| r.uniform() * 1.6 - 0.8),
        (Erf, any),
        (Expm1, any),
    ];
    for (u, s) in cases {
        check(u.name(), &[(&[3, 5], s)], |g, x| g.unary(u, x[0]).unwrap());
    }
    // Relu6 and hardSigmoid: stay inside the linear pieces' interiors.
    check("relu6", &[(&[7], |r| 0.5 + r.uniform() * 5.0)], |g, x| g.unary(Relu6, x[0]).unwrap());
    check("hardSigmoid", &[(&[7], |r| r.uniform() * 4.0 - 2.0)], |g, x| g.unary(HardSigmoid, x[0]).unwrap());
}

#[test]
fn binary_ops_with_broadcasting() {
    use Binary::*;
    for b in [Add, Sub, Mul, Div, SquaredDifference, Maximum, Minimum] {
        let s: Sampler = if b == Div { off_zero } else { any };
        check(b.name(), &[(&[4, 3], any), (&[4, 3], s)], |g, x| g.binary(b, x[0], x[1]).unwrap());
        check(b.name(), &[(&[2, 4, 3], any), (&[3], s)], |g, x| g.binary(b, x[0], x[1]).unwrap());
        check(b.name(), &[(&[4, 1], any), (&[1, 5], s)], |g, x| g.binary(b, x[0], x[1]).unwrap());
        check(b.name(), &[(&[], any), (&[2, 3], s)], |g, x| g.binary(b, x[0], x[1]).unwrap());
    }
    check("pow", &[(&[3, 2], positive), (&[2], any)], |g, x| g.binary(Pow, x[0], x[1]).unwrap());
}

#[test]
fn where_and_clip() {
    check("where", &[(&[3, 4], any), (&[4], any), (&[3, 1], any)], |g, x| {
        let zero = g.scalar(0.0).unwrap();
        let c = g.binary(Binary::Greater, x[0], zero).unwrap();
        g.where_(c, x[1], x[2]).unwrap()
    });
    check("clip", &[(&[9], off_zero)], |g, x| g.clip(x[0], -1.1, 1.3).unwrap());
}

#[test]
fn matmul_variants() {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let a: &[usize] = if ta { &[5, 3] } else { &[3, 5] };
        let b: &[usize] = if tb { &[7, 5] } else { &[5, 7] };
        check("matMul", &[(a, any), (b, any)], move |g, x| g.matmul(x[0], x[1], ta, tb).unwrap());
    }
    check("batched matMul", &[(&[2, 3, 4], any), (&[2, 4, 5], any)], |g, x| g.matmul(x[0], x[1], false, false).unwrap());
    check("batched x shared matMul", &[(&[2, 3, 4], any), (&[4, 5], any)], |g, x| g.matmul(x[0], x[1], false, false).unwrap());
    check("big matMul", &[(&[9, 33], any), (&[33, 10], any)], |g, x| g.matmul(x[0], x[1], false, false).unwrap());
}

#[test]
fn reductions_and_softmax() {
    for kind in [ReduceKind::Sum, ReduceKind::Mean] {
        for axes in [vec![0], vec![1], vec![2], vec![0, 2], vec![0, 1, 2]] {
            for keep in [false, true] {
                let ax = axes.clone();
                check(kind.name(), &[(&[3, 4, 5], any)], move |g, x| g.reduce(kind, x[0], &ax, keep).unwrap());
            }
        }
    }
    for kind in [ReduceKind::Max, ReduceKind::Min] {
        for axis in 0..2 {
            check(kind.name(), &[(&[4, 6], any)], move |g, x| g.reduce(kind, x[0], &[axis], false).unwrap());
        }
    }
    for axis in 0..3 {
        check("softmax", &[(&[2, 3, 4], any)], move |g, x| g.softmax(x[0], axis).unwrap());
        check("logSoftmax", &[(&[2, 3, 4], any)], move |g, x| g.log_softmax(x[0], axis).unwrap());
    }
}

#[test]
fn movement_ops() {
    check("reshape", &[(&[2, 6], any)], |g, x| g.reshape(x[0], &[3, 4]).unwrap());
    check("transpose", &[(&[2, 3, 4], any)], |g, x| g.transpose(x[0], &[2, 0, 1]).unwrap());
    check("broadcastTo", &[(&[3, 1], any)], |g, x| g.broadcast_to(x[0], &[2, 3, 4]).unwrap());
    check("slice", &[(&[4, 5], any)], |g, x| g.apply(Op::Slice { begin: vec![1, 2], size: vec![2, 3] }, &[x[0]]).unwrap());
    check("pad", &[(&[2, 3], any)], |g, x| g.apply(Op::Pad { before: vec![1, 0], after: vec![2, 1] }, &[x[0]]).unwrap());
    check("concat", &[(&[2, 3], any), (&[2, 1], any), (&[2, 2], any)], |g, x| g.apply(Op::Concat { axis: 1 }, x).unwrap());
    check_with("gather", &[(&[5, 3], any)], &[(&[4], vec![4.0, 0.0, 4.0, 2.0])], |g, x| {
        g.apply(Op::Gather { axis: 0 }, &[x[0], x[1]]).unwrap()
    });
    check_with("gather axis 1", &[(&[2, 5, 3], any)], &[(&[2, 2], vec![1.0, 1.0, 0.0, 3.0])], |g, x| {
        g.apply(Op::Gather { axis: 1 }, &[x[0], x[1]]).unwrap()
    });
    check_with("scatterAdd", &[(&[4, 3], any)], &[(&[4], vec![1.0, 0.0, 1.0, 2.0])], |g, x| {
        g.apply(Op::ScatterAdd { axis: 0, dim: 3 }, &[x[0], x[1]]).unwrap()
    });
}

#[test]
fn losses() {
    for l in [Loss::MeanSquaredError, Loss::MeanAbsoluteError, Loss::Huber, Loss::LogCosh, Loss::MeanSquaredLogarithmicError] {
        let s: Sampler = if l == Loss::MeanSquaredLogarithmicError { positive } else { any };
        check(l.name(), &[(&[4, 3], s), (&[4, 3], s)], move |g, x| {
            // Offset the prediction so |p - y| stays away from the kinks of mae and huber.
            let p = g.add_scalar(x[1], 3.0).unwrap();
            l.mean(g, x[0], p).unwrap()
        });
    }
    check("binaryCrossentropy", &[(&[5, 2], prob), (&[5, 2], prob)], |g, x| Loss::BinaryCrossentropy.mean(g, x[0], x[1]).unwrap());
    check("categoricalCrossentropy", &[(&[3, 4], prob), (&[3, 4], prob)], |g, x| {
        Loss::CategoricalCrossentropy.mean(g, x[0], x[1]).unwrap()
    });
    check("hinge", &[(&[3, 4], |r| if r.uniform() < 0.5 { 0.0 } else { 1.0 }), (&[3, 4], |r| 0.1 + r.uniform() * 0.7)], |g, x| {
        Loss::Hinge.mean(g, x[0], x[1]).unwrap()
    });
    check_with("sparseCategoricalCrossentropy", &[(&[4, 3], prob)], &[(&[4], vec![0.0, 2.0, 1.0, 2.0])], |g, x| {
        Loss::SparseCategoricalCrossentropy.mean(g, x[1], x[0]).unwrap()
    });
    // Softmax predictions: the loss fuses with the softmax (logits and labels both differentiated).
    check("categoricalCrossentropy of a softmax (fused)", &[(&[3, 5], prob), (&[3, 5], any)], |g, x| {
        let p = g.softmax(x[1], 1).unwrap();
        let l = Loss::CategoricalCrossentropy.mean(g, x[0], p).unwrap();
        assert!(g.nodes.iter().any(|n| matches!(n.op, Op::SoftmaxXent { .. })), "the loss should fuse with the softmax");
        l
    });
    check_with("sparseCategoricalCrossentropy of a softmax (fused)", &[(&[4, 3], any)], &[(&[4], vec![0.0, 2.0, 1.0, 2.0])], |g, x| {
        let p = g.softmax(x[0], 1).unwrap();
        Loss::SparseCategoricalCrossentropy.mean(g, x[1], p).unwrap()
    });
}

/// The fused softmax cross-entropy gives the values and logit gradients of the unfused chain
/// (softmax, normalize, clip, log, multiply, sum), including where the clip saturates.
#[test]
fn fused_softmax_crossentropy_matches_the_unfused_chain() {
    let logits: Vec<f32> = vec![0.3, -1.2, 2.0, 0.1, 40.0, -30.0, 0.0, 1.0, 5.0, 5.0, -5.0, 0.5];
    let labels: Vec<f32> = vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.2, 0.3, 0.5, 0.0];
    let run = |fused: bool| {
        let mut g = Graph::new();
        let y = g.input(0, &[3, 4], DType::F32);
        let z = g.param(0, &[3, 4]);
        let l = if fused {
            let p = g.softmax(z, 1).unwrap();
            Loss::CategoricalCrossentropy.mean(&mut g, y, p).unwrap()
        } else {
            // The same chain written out (no softmax node for the loss to see).
            let lp = g.log_softmax(z, 1).unwrap();
            let p = g.unary(Unary::Exp, lp).unwrap();
            Loss::CategoricalCrossentropy.mean(&mut g, y, p).unwrap()
        };
        assert_eq!(g.nodes.iter().any(|n| matches!(n.op, Op::SoftmaxXent { .. })), fused);
        let d = grad(&mut g, l, &[z]).unwrap();
        let mut plan = Plan::new(g, &[l, d[0]]).unwrap();
        plan.run(&[&labels], &[&logits[..]], &mut Rng::new(0));
        (plan.value(l).to_vec(), plan.value(d[0]).to_vec())
    };
    let (fl, fg) = run(true);
    let (ul, ug) = run(false);
    assert!((fl[0] - ul[0]).abs() < 1e-5 * (1.0 + ul[0].abs()), "loss fused {} unfused {}", fl[0], ul[0]);
    for (i, (a, b)) in fg.iter().zip(&ug).enumerate() {
        assert!((a - b).abs() < 1e-5, "dlogits[{i}] fused {a} unfused {b}");
    }
}

#[test]
fn sliding_windows() {
    use hebb::ops::Window;
    // Stride 2 with dilation, uneven padding, a grid that reaches past the image: every tap kind.
    let w = Window { k: [3, 2], stride: [2, 1], dil: [1, 2], pad: [1, 0], grid: [3, 3] };
    let (w1, w2) = (w.clone(), w.clone());
    check("im2col", &[(&[2, 5, 5, 3], any)], move |g, x| g.apply(Op::Im2Col { w: w1.clone(), fill: 0.5 }, &[x[0]]).unwrap());
    check("col2im", &[(&[2, 3, 3, 6, 2], any)], move |g, x| g.apply(Op::Col2Im { w: w2.clone(), image: [5, 5] }, &[x[0]]).unwrap());
    // Max pooling over windows padded with -inf: the gradient goes to each window's maximum.
    let wp = Window::new("maxPool", [5, 4], [2, 2], [2, 2], [1, 1], "same").unwrap();
    check("maxPool", &[(&[1, 5, 4, 2], any)], move |g, x| {
        let cols = g.apply(Op::Im2Col { w: wp.clone(), fill: f32::NEG_INFINITY }, &[x[0]]).unwrap();
        g.reduce(ReduceKind::Max, cols, &[3], false).unwrap()
    });
}

/// TF.js's neural-net ops on tensors (hebb::ops::window_ops): conv2d, depthwise and transposed
/// convolutions and both poolings, over odd sizes, strides, dilations and paddings.
#[test]
fn window_ops() {
    use hebb::ops::window_ops::{self, Pad};
    let same = Pad::Named("same".into());
    let valid = Pad::Named("valid".into());
    check("conv2d same stride 2", &[(&[2, 5, 7, 3], any), (&[3, 2, 3, 4], any)], |g, x| {
        window_ops::conv2d(g, "conv2d", x[0], x[1], [2, 2], [1, 1], &same).unwrap()
    });
    check("conv2d valid dilated", &[(&[1, 7, 6, 2], any), (&[2, 2, 2, 3], any)], |g, x| {
        window_ops::conv2d(g, "conv2d", x[0], x[1], [1, 1], [2, 2], &valid).unwrap()
    });
    check("conv2d pad 1 rank 3", &[(&[4, 5, 2], any), (&[3, 3, 2, 2], any)], |g, x| {
        window_ops::conv2d(g, "conv2d", x[0], x[1], [1, 2], [1, 1], &Pad::Each(1)).unwrap()
    });
    check("depthwiseConv2d", &[(&[2, 6, 5, 3], any), (&[3, 2, 3, 2], any)], |g, x| {
        window_ops::depthwise_conv2d(g, "depthwiseConv2d", x[0], x[1], [1, 2], [1, 1], &same).unwrap()
    });
    check("conv2dTranspose", &[(&[2, 3, 4, 3], any), (&[3, 3, 2, 3], any)], |g, x| {
        window_ops::conv2d_transpose(g, "conv2dTranspose", x[0], x[1], [6, 8], [2, 2], &same).unwrap()
    });
    // Windows that do not overlap, so no two values tie within the finite difference.
    check("maxPool", &[(&[1, 7, 5, 2], any)], |g, x| window_ops::pool(g, "maxPool", x[0], [2, 2], [2, 2], &same, true).unwrap());
    check("maxPool batch 2", &[(&[2, 4, 4, 1], any)], |g, x| window_ops::pool(g, "maxPool", x[0], [2, 2], [2, 2], &valid, true).unwrap());
    check("avgPool same", &[(&[2, 7, 5, 2], any)], |g, x| window_ops::pool(g, "avgPool", x[0], [3, 3], [2, 2], &same, false).unwrap());
    check("avgPool valid", &[(&[1, 6, 6, 3], any)], |g, x| window_ops::pool(g, "avgPool", x[0], [2, 2], [2, 2], &valid, false).unwrap());
}

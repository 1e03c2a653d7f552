//! Every op's WGSL kernel against the CPU oracle, forward and backward, on awkward sizes (1, 7,
//! 33, 257, non-square, broadcast), through wgpu on whatever Vulkan adapter exists (Mesa's
//! lavapipe here). With no adapter the tests say so on stderr and pass without checking: CI
//! machines without `mesa-vulkan-drivers` still build, and the message makes the skip visible.

use hebb::backend::gpu::plan::{materialize, ErrorScopes, GpuPlan, ParamArena};
use hebb::backend::gpu::{Gpu, MatMulKernel};
use hebb::graph::autodiff::grad;
use hebb::graph::plan::Plan;
use hebb::graph::{Builder, Graph, NodeId};
use hebb::ops::{Binary, Op, ReduceKind, Unary};
use hebb::rng::Rng;
use hebb::tensor::{DType, Tensor};
use std::sync::Arc;

mod common;

use common::gpu;

type Sampler = fn(&mut Rng) -> f32;
fn any(r: &mut Rng) -> f32 {
    r.uniform() * 4.0 - 2.0
}
fn positive(r: &mut Rng) -> f32 {
    0.3 + r.uniform() * 2.0
}
fn small_int(r: &mut Rng) -> f32 {
    (r.uniform() * 5.0).floor() - 2.0
}

/// Builds `f` on Param leaves of `shapes`, runs it (and, with `backward`, the gradient of
/// Σ f·r w.r.t. every input) on the CPU and the GPU, and compares every value.
fn check(
    name: &str,
    shapes: &[&[usize]],
    sample: Sampler,
    backward: bool,
    f: impl Fn(&mut Graph, &[NodeId]) -> hebb::error::Result<NodeId>,
) {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(7);
    let values: Vec<Vec<f32>> = shapes.iter().map(|s| (0..s.iter().product::<usize>()).map(|_| sample(&mut rng)).collect()).collect();
    let mut g = Graph::new();
    let params: Vec<NodeId> = shapes.iter().enumerate().map(|(i, s)| g.param(i, s)).collect();
    let y = f(&mut g, &params).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut outs = vec![y];
    if backward {
        let ys = g.shape_of(y);
        let r: Vec<f32> = (0..ys.iter().product::<usize>()).map(|_| rng.uniform() - 0.5).collect();
        let rc = g.constant(Tensor::new(ys, r).unwrap()).unwrap();
        let prod = g.mul(y, rc).unwrap();
        let axes: Vec<usize> = (0..g.shape_of(prod).len()).collect();
        let l = g.sum(prod, &axes, false).unwrap();
        outs.extend(grad(&mut g, l, &params).unwrap());
    }
    materialize(&mut g, &mut outs).unwrap();
    let slices: Vec<&[f32]> = values.iter().map(|v| v.as_slice()).collect();
    let mut cpu = Plan::new(g.clone(), &outs).unwrap();
    cpu.run(&[], &slices, &mut Rng::new(1));
    let order: Vec<usize> = (0..values.len()).collect();
    let arena = ParamArena::new(&gpu, &slices, &order).unwrap();
    let mut plan = GpuPlan::new(&gpu, g, &outs, &arena).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    plan.encode(&mut enc, &[], 1);
    let parts: Vec<_> = outs.iter().map(|&o| plan.value(o).map(|(b, n)| (b, 0u64, n)).expect("computed")).collect();
    let rb = gpu.readback(&mut enc, &parts);
    gpu.queue.submit([enc.finish()]);
    let got = rb.wait(&gpu).unwrap();
    gpu.check(name).unwrap();
    for (k, (&o, gv)) in outs.iter().zip(&got).enumerate() {
        let want = cpu.value(o);
        assert_eq!(want.len(), gv.len(), "{name} output {k}");
        for (i, (&a, &b)) in want.iter().zip(gv).enumerate() {
            let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 2e-4 * (1.0 + a.abs().max(b.abs()));
            assert!(ok, "{name}: output {k} (0 = forward, then gradients) differs at {i}: cpu {a}, gpu {b}");
        }
    }
}

#[test]
fn unary_ops_forward_and_backward() {
    use Unary::*;
    let smooth = [Neg, Abs, Exp, Square, Sin, Cos, Relu, Relu6, Selu, Sigmoid, HardSigmoid, Tanh, Softplus, Softsign];
    for u in smooth.into_iter().chain([Elu { alpha: 0.7 }, LeakyRelu { alpha: 0.2 }]) {
        for shape in [&[1usize][..], &[7], &[33, 7], &[257]] {
            check(&format!("{} {shape:?}", u.name()), &[shape], any, true, |g, p| g.unary(u, p[0]));
        }
    }
    for u in [Log, Log1p, Sqrt, Rsqrt, Reciprocal] {
        check(u.name(), &[&[33, 7]], positive, true, |g, p| g.unary(u, p[0]));
    }
    // The trig family, erf and expm1 on their domains (any: values in [-2, 2) or so).
    for u in [Tan, Atan, Sinh, Cosh, Asinh, Erf, Expm1] {
        check(&format!("{} [33, 7]", u.name()), &[&[33, 7]], any, true, |g, p| g.unary(u, p[0]));
    }
    for u in [Asin, Acos, Atanh] {
        check(u.name(), &[&[33, 7]], any, true, |g, p| {
            let t = g.unary(Tanh, p[0])?;
            let s = g.mul_scalar(t, 0.9)?;
            g.unary(u, s)
        });
    }
    check("acosh", &[&[33, 7]], positive, true, |g, p| {
        let s = g.add_scalar(p[0], 1.1)?;
        g.unary(Acosh, s)
    });
    for u in [Sign, Floor, Ceil, Round, Step, LogicalNot, IsNaN, IsFinite, IsInf] {
        check(u.name(), &[&[257]], small_int, false, |g, p| g.unary(u, p[0]));
    }
    check("clip", &[&[7, 33]], any, true, |g, p| g.clip(p[0], -0.5, 0.7));
    check("cast int32", &[&[33]], any, false, |g, p| g.apply(Op::Cast { dtype: DType::I32 }, &[p[0]]));
    check("cast bool", &[&[33]], small_int, false, |g, p| g.apply(Op::Cast { dtype: DType::Bool }, &[p[0]]));
}

#[test]
fn binary_ops_with_broadcasting() {
    use Binary::*;
    let cases: [(&[usize], &[usize]); 6] =
        [(&[1], &[1]), (&[7], &[7]), (&[33, 7], &[7]), (&[33, 7], &[33, 1]), (&[1, 257], &[5, 1]), (&[2, 3, 4], &[3, 1])];
    for b in [Add, Sub, Mul, Div, Maximum, Minimum, SquaredDifference] {
        for (sa, sb) in cases {
            check(&format!("{} {sa:?} {sb:?}", b.name()), &[sa, sb], positive, true, |g, p| g.binary(b, p[0], p[1]));
        }
    }
    check("pow", &[&[33, 7], &[7]], positive, true, |g, p| g.binary(Pow, p[0], p[1]));
    for b in [FloorDiv, Greater, GreaterEqual, Less, LessEqual, Equal, NotEqual, LogicalAnd, LogicalOr] {
        check(b.name(), &[&[33, 7], &[33, 1]], small_int, false, |g, p| g.binary(b, p[0], p[1]));
    }
    check("pow negative base", &[&[7], &[7]], small_int, false, |g, p| g.binary(Pow, p[0], p[1]));
    check("where", &[&[33, 1], &[33, 7], &[7]], small_int, false, |g, p| {
        let c = g.apply(Op::Cast { dtype: DType::Bool }, &[p[0]])?;
        g.where_(c, p[1], p[2])
    });
    check("where grad", &[&[33, 7], &[33, 7]], any, true, |g, p| {
        let z = g.scalar(0.0)?;
        let c = g.binary(Greater, p[0], z)?;
        g.where_(c, p[0], p[1])
    });
}

#[test]
fn matmul_all_transposes_and_batches() {
    // Both kernels, whatever the adapter would pick: the tiled one (workgroup memory) and the
    // direct one (register blocks).
    let Some(g) = gpu() else { return };
    for kernel in [MatMulKernel::Tiled, MatMulKernel::Direct] {
        *g.matmul.lock().unwrap() = kernel;
        matmul_cases(&format!("{kernel:?}"));
    }
    *g.matmul.lock().unwrap() = MatMulKernel::Auto;
}

fn matmul_cases(kernel: &str) {
    let sizes = [(1, 1, 1), (7, 33, 1), (33, 7, 257), (65, 130, 67), (128, 64, 784)];
    for (m, n, k) in sizes {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a: Vec<usize> = if ta { vec![k, m] } else { vec![m, k] };
            let b: Vec<usize> = if tb { vec![n, k] } else { vec![k, n] };
            check(&format!("{kernel} matMul {m}x{k}x{n} ta={ta} tb={tb}"), &[&a, &b], any, true, |g, p| g.matmul(p[0], p[1], ta, tb));
        }
    }
    check("batched matMul", &[&[3, 7, 33], &[3, 33, 5]], any, true, |g, p| g.matmul(p[0], p[1], false, false));
    check("matMul shared rhs", &[&[4, 9, 6], &[6, 5]], any, true, |g, p| g.matmul(p[0], p[1], false, false));
    check("matMul shared lhs", &[&[9, 6], &[4, 6, 5]], any, true, |g, p| g.matmul(p[0], p[1], false, false));
}

#[test]
fn reductions_softmax_argmax() {
    for kind in [ReduceKind::Sum, ReduceKind::Mean, ReduceKind::Max, ReduceKind::Min] {
        for (shape, axes) in [
            (&[1usize][..], &[0usize][..]),
            (&[257], &[0]),
            (&[33, 7], &[0]),
            (&[33, 7], &[1]),
            (&[3, 300, 2], &[1]),
            (&[2, 5, 7], &[0, 2]),
            (&[1000, 3], &[0, 1]),
        ] {
            let sampler: Sampler = if matches!(kind, ReduceKind::Max | ReduceKind::Min) { small_int_dense } else { any };
            let bw = !matches!(kind, ReduceKind::Max | ReduceKind::Min);
            check(&format!("{} {shape:?} {axes:?}", kind.name()), &[shape], sampler, bw, |g, p| g.reduce(kind, p[0], axes, false));
        }
    }
    for (shape, axis) in [(&[7usize, 33][..], 1usize), (&[33, 7], 0), (&[2, 3, 4], 1), (&[1], 0)] {
        check(&format!("softmax {shape:?} {axis}"), &[shape], any, true, |g, p| g.softmax(p[0], axis));
        check(&format!("logSoftmax {shape:?} {axis}"), &[shape], any, true, |g, p| g.log_softmax(p[0], axis));
        check(&format!("argMax {shape:?} {axis}"), &[shape], any, false, |g, p| g.argmax(p[0], axis));
    }
}

/// Distinct values, so max/min have a unique winner on both devices.
fn small_int_dense(r: &mut Rng) -> f32 {
    r.uniform() * 100.0
}

#[test]
fn fused_softmax_crossentropy() {
    for shape in [&[1usize, 1][..], &[7, 3], &[33, 10], &[2, 5, 257]] {
        check(&format!("softmaxCrossEntropy {shape:?}"), &[shape, shape], any, true, |g, p| {
            let y = g.unary(Unary::Sigmoid, p[1])?;
            g.apply(Op::SoftmaxXent { eps: 1e-7 }, &[p[0], y])
        });
    }
}

#[test]
fn movement_ops() {
    check("transpose", &[&[3, 7, 5]], any, true, |g, p| g.transpose(p[0], &[2, 0, 1]));
    check("broadcastTo", &[&[7, 1]], any, true, |g, p| g.broadcast_to(p[0], &[3, 7, 33]));
    check("slice", &[&[9, 33]], any, true, |g, p| g.apply(Op::Slice { begin: vec![2, 5], size: vec![4, 20] }, &[p[0]]));
    check("pad", &[&[7, 5]], any, true, |g, p| g.apply(Op::Pad { before: vec![1, 0], after: vec![2, 3] }, &[p[0]]));
    check("concat", &[&[7, 2], &[7, 33], &[7, 1]], any, true, |g, p| g.apply(Op::Concat { axis: 1 }, p));
    check("concat axis 0", &[&[2, 5], &[3, 5]], any, true, |g, p| g.apply(Op::Concat { axis: 0 }, p));
    check("reshape", &[&[6, 4]], any, true, |g, p| {
        let r = g.reshape(p[0], &[4, 6])?;
        g.unary(Unary::Tanh, r)
    });
    let idx = |g: &mut Graph, v: &[f32]| g.constant(Tensor::with_dtype(vec![v.len()], v.to_vec(), DType::I32).unwrap());
    check("gather", &[&[7, 5]], any, true, |g, p| {
        let i = idx(g, &[6.0, 0.0, 3.0, 3.0])?;
        g.apply(Op::Gather { axis: 0 }, &[p[0], i])
    });
    check("gather axis 1", &[&[3, 7, 2]], any, true, |g, p| {
        let i = idx(g, &[1.0, 6.0, 1.0])?;
        g.apply(Op::Gather { axis: 1 }, &[p[0], i])
    });
    check("scatterAdd", &[&[4, 3]], any, false, |g, p| {
        let i = idx(g, &[2.0, 0.0, 2.0, 1.0])?;
        g.apply(Op::ScatterAdd { axis: 0, dim: 5 }, &[p[0], i])
    });
    check("oneHot", &[&[33]], small_int, false, |g, p| {
        let c = g.apply(Op::Cast { dtype: DType::I32 }, &[p[0]])?;
        g.apply(Op::OneHot { depth: 3, on: 1.0, off: 0.0 }, &[c])
    });
}

/// Runs a random op (its input only gives the shape) on a [rows, cols] tensor for two steps.
fn two_draws(gpu: &Arc<Gpu>, op: Op, rows: usize, cols: usize) -> Vec<Vec<f32>> {
    let mut g = Graph::new();
    let x = g.param(0, &[rows, cols]);
    let m = g.apply(op, &[x]).unwrap();
    let data = vec![0.0f32; rows * cols];
    let arena = ParamArena::new(gpu, &[&data], &[0]).unwrap();
    let mut plan = GpuPlan::new(gpu, g, &[m], &arena).unwrap();
    (0..2)
        .map(|step| {
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            plan.encode(&mut enc, &[], step);
            let (b, n) = plan.value(m).unwrap();
            let rb = gpu.readback(&mut enc, &[(b, 0, n)]);
            gpu.queue.submit([enc.finish()]);
            rb.wait(gpu).unwrap().remove(0)
        })
        .collect()
}

#[test]
fn dropout_mask_keeps_the_rate() {
    let Some(gpu) = gpu() else { return };
    let masks = two_draws(&gpu, Op::DropoutMask { rate: 0.3 }, 100, 100);
    for mask in &masks {
        let kept = mask.iter().filter(|&&v| v != 0.0).count() as f32 / 10_000.0;
        assert!((kept - 0.7).abs() < 0.03, "kept fraction {kept}");
        assert!(mask.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
    }
    assert_ne!(masks[0], masks[1], "each step draws a fresh mask");
}

#[test]
fn gaussian_noise_has_its_stddev() {
    let Some(gpu) = gpu() else { return };
    let draws = two_draws(&gpu, Op::RandomNormal { stddev: 0.5 }, 200, 100);
    for d in &draws {
        let n = d.len() as f64;
        let mean = d.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = d.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        assert!(mean.abs() < 0.02 && (var.sqrt() - 0.5).abs() < 0.02, "mean {mean}, std {}", var.sqrt());
        assert!(d.iter().all(|v| v.is_finite()));
        let within = d.iter().filter(|v| v.abs() < 0.5).count() as f64 / n;
        assert!((within - 0.6827).abs() < 0.02, "fraction within one stddev {within}");
    }
    assert_ne!(draws[0], draws[1], "each step draws fresh noise");
}

#[test]
fn oversized_buffers_are_refused_with_a_message() {
    let Some(gpu) = gpu() else { return };
    let too_big = gpu.max_binding_elements() as usize + 1;
    let err = gpu.check_size("dense_1/matMul", too_big).unwrap_err().to_string();
    assert!(err.contains("dense_1/matMul") && err.contains("maxStorageBufferBindingSize"), "{err}");
}

/// WebGPU errors are caught per object and named: an invalid buffer made inside a named scope
/// comes back as an error naming it (the plan names each scope after its op and shapes).
#[test]
fn webgpu_errors_are_caught_and_named() {
    let Some(gpu) = gpu() else { return };
    let mut scopes = ErrorScopes::default();
    let scope = scopes.open(&gpu);
    // MAP_READ may only be combined with COPY_DST: a validation error.
    let _bad = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("bad"),
        size: 16,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    scopes.close(scope, "dense_1/matMul ([32,784], [784,128] -> [32,128])".into());
    let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    let err = scopes.take_error().expect("the invalid buffer is reported").to_string();
    assert!(err.contains("dense_1/matMul") && err.contains("[32,784]"), "{err}");
    assert!(gpu.check("after").is_ok(), "a caught error does not also reach the uncaptured handler");
    // A clean scope reports nothing.
    let scope = scopes.open(&gpu);
    let _ok = gpu.storage(4);
    scopes.close(scope, "fine".into());
    assert!(scopes.take_error().is_none());
}

/// Plans `g` on the GPU with `values` as its Param leaves (in index order), runs it once and
/// reads back every node of `outs`.
fn run_on_gpu(gpu: &Arc<Gpu>, g: Graph, outs: &[NodeId], values: &[&[f32]]) -> Vec<Vec<f32>> {
    let order: Vec<usize> = (0..values.len()).collect();
    let arena = ParamArena::new(gpu, values, &order).unwrap();
    let mut plan = GpuPlan::new(gpu, g, outs, &arena).unwrap();
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    plan.encode(&mut enc, &[], 0);
    let parts: Vec<_> = outs.iter().map(|&o| plan.value(o).map(|(b, n)| (b, 0u64, n)).unwrap()).collect();
    let rb = gpu.readback(&mut enc, &parts);
    gpu.queue.submit([enc.finish()]);
    rb.wait(gpu).unwrap()
}

/// The Keras layer fixtures (tests/fixtures/keras_layers.json) on the GPU: forward values and
/// gradients through the WGSL kernels match Keras as the CPU does (tests/keras.rs).
#[test]
fn keras_layer_fixtures_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let fx = common::load("keras_layers.json");
    let tensor = common::tensor;
    for case in fx["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut cfg = case["config"].clone();
        cfg["name"] = serde_json::json!(name);
        let mut layer = hebb::nn::from_config(case["class"].as_str().unwrap(), &cfg).unwrap();
        let x = tensor(&case["x"]);
        let mut weights: Vec<Tensor> = case["weights"].as_array().unwrap().iter().map(tensor).collect();
        let trained = weights.len();
        if let Some(state) = case.get("state") {
            weights.extend(state.as_array().unwrap().iter().map(tensor));
        }
        let training = case.get("training").and_then(|t| t.as_bool()).unwrap_or(false);
        layer.build(&x.shape[1..]).unwrap();
        let mut g = Graph::new();
        let xn = g.param(weights.len(), &x.shape);
        let params: Vec<NodeId> = weights.iter().enumerate().map(|(i, w)| g.param(i, &w.shape)).collect();
        let y = layer.call(&mut g, xn, &params, training).unwrap();
        let updates = std::mem::take(&mut g.updates);
        let dy = g.constant(tensor(&case["dy"])).unwrap();
        let prod = g.mul(y, dy).unwrap();
        let axes: Vec<usize> = (0..g.shape_of(prod).len()).collect();
        let loss = g.sum(prod, &axes, false).unwrap();
        let grads = grad(&mut g, loss, &params[..trained]).unwrap();
        let mut outs = vec![y];
        outs.extend(&grads);
        outs.extend(updates.iter().map(|u| u.1));
        materialize(&mut g, &mut outs).unwrap();
        let mut values: Vec<&[f32]> = weights.iter().map(|w| w.data.as_slice()).collect();
        values.push(&x.data);
        let got = run_on_gpu(&gpu, g, &outs, &values);
        let mut want = vec![tensor(&case["y"])];
        want.extend(case["grad_weights"].as_array().unwrap().iter().map(tensor));
        if training {
            want.extend(case["new_state"].as_array().unwrap().iter().map(tensor));
        }
        assert_eq!(got.len(), want.len(), "{name}: outputs");
        for (k, (gv, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(gv.len(), w.data.len(), "{name} output {k}");
            for (i, (a, b)) in gv.iter().zip(&w.data).enumerate() {
                assert!((a - b).abs() <= 2e-5 * (1.0 + b.abs()), "{name} output {k} [{i}]: gpu {a} vs Keras {b}");
            }
        }
    }
}

/// The masking fixtures (Embedding maskZero, Masking, masked recurrent layers and pooling)
/// through the WGSL kernels.
#[test]
fn keras_masking_fixtures_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    for case in common::load("keras_masking.json")["cases"].as_array().unwrap() {
        let fg = common::masking_graph(case);
        let values: Vec<&[f32]> = fg.values.iter().map(|w| w.data.as_slice()).collect();
        let got = run_on_gpu(&gpu, fg.graph, &fg.outs, &values);
        for (k, (gv, w)) in got.iter().zip(&fg.want).enumerate() {
            for (i, (a, b)) in gv.iter().zip(&w.data).enumerate() {
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{} output {k} [{i}]: gpu {a} vs Keras {b}", fg.name);
            }
        }
    }
}

/// The multi-input layers' Keras fixtures (merge layers, MultiHeadAttention, recurrent layers
/// with initial and returned states) through the WGSL kernels: values and the gradients w.r.t.
/// every weight and input.
#[test]
fn keras_multi_input_fixtures_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    for file in ["keras_merge.json", "keras_attention.json", "keras_rnn_state.json"] {
        let fx = common::load(file);
        for case in fx["cases"].as_array().unwrap() {
            let fg = common::fixture_graph(case);
            let (name, want) = (&fg.name, &fg.want);
            let values: Vec<&[f32]> = fg.values.iter().map(|w| w.data.as_slice()).collect();
            let got = run_on_gpu(&gpu, fg.graph, &fg.outs, &values);
            assert_eq!(got.len(), want.len(), "{name}: outputs");
            for (k, (gv, w)) in got.iter().zip(want).enumerate() {
                assert_eq!(gv.len(), w.data.len(), "{name} output {k}");
                for (i, (a, b)) in gv.iter().zip(&w.data).enumerate() {
                    assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{name} output {k} [{i}]: gpu {a} vs Keras {b}");
                }
            }
        }
    }
}

/// ConvLSTM2D's Keras fixtures (tests/fixtures/keras_conv_lstm.json) through the WGSL kernels:
/// the im2col + matmul convolutions and the gate math of every step, values and the gradients
/// w.r.t. the weights, the input and the initial states.
#[test]
fn keras_conv_lstm_fixtures_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    for case in common::load("keras_conv_lstm.json")["cases"].as_array().unwrap() {
        let fg = common::fixture_graph(case);
        let (name, want) = (&fg.name, &fg.want);
        let values: Vec<&[f32]> = fg.values.iter().map(|w| w.data.as_slice()).collect();
        let got = run_on_gpu(&gpu, fg.graph, &fg.outs, &values);
        assert_eq!(got.len(), want.len(), "{name}: outputs");
        for (k, (gv, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(gv.len(), w.data.len(), "{name} output {k}");
            for (i, (a, b)) in gv.iter().zip(&w.data).enumerate() {
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{name} output {k} [{i}]: gpu {a} vs Keras {b}");
            }
        }
    }
}

/// GaussianDropout and AlphaDropout in training through the WGSL random kernels: y / x has mean 1
/// and variance rate / (1 - rate), and AlphaDropout keeps a standardized input at mean 0 and
/// variance 1 with its gradient a (kept) or 0 (dropped), as on the CPU (tests/advanced_layers.rs).
#[test]
fn noise_layers_keep_their_statistics_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let shape = [200usize, 100usize];
    let mut r = Rng::new(5);
    let run = |class: &str, rate: f64, x: &[f32]| {
        let mut layer = hebb::nn::from_config(class, &serde_json::json!({"name": "n", "rate": rate})).unwrap();
        layer.build(&shape[1..]).unwrap();
        let mut g = Graph::new();
        let xn = g.param(0, &shape);
        let y = layer.call(&mut g, xn, &[], true).unwrap();
        let total = g.sum(y, &[0, 1], false).unwrap();
        let dx = grad(&mut g, total, &[xn]).unwrap()[0];
        let got = run_on_gpu(&gpu, g, &[y, dx], &[x]);
        (got[0].clone(), got[1].clone())
    };
    let stats = |v: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = v.collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (mean, v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64)
    };
    let x: Vec<f32> = (0..20_000).map(|_| 0.5 + r.uniform()).collect();
    let (y, dx) = run("GaussianDropout", 0.3, &x);
    let (mean, var) = stats(&mut y.iter().zip(&x).map(|(&y, &x)| (y / x) as f64));
    assert!((mean - 1.0).abs() < 0.02 && (var - 0.3 / 0.7).abs() < 0.04 * (0.3 / 0.7), "y/x mean {mean}, var {var}");
    assert!(dx.iter().zip(&y).zip(&x).all(|((d, y), x)| (d - y / x).abs() < 1e-4 * (1.0 + d.abs())), "gradient is the noise");

    let x: Vec<f32> = (0..20_000).map(|_| r.normal()).collect();
    let (y, dx) = run("AlphaDropout", 0.2, &x);
    let (mean, var) = stats(&mut y.iter().map(|&v| v as f64));
    assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.04, "mean {mean}, var {var}");
    let dropped = dx.iter().filter(|&&d| d == 0.0).count() as f64 / dx.len() as f64;
    assert!((dropped - 0.2).abs() < 0.02, "dropped fraction {dropped}");
}

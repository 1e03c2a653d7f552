//! End-to-end training through the engine's own API (no JS): accuracy reached, determinism,
//! the plan replays without allocating, and TF.js's summary layout.

use hebb::model::trainer::{self, Event, FitOptions, FitSession};
use hebb::model::{Compiled, LossFn, Sequential};
use hebb::nn;
use hebb::optim::{Kind, Optimizer};
use hebb::rng::Rng;
use hebb::tensor::Tensor;
use hebb::{losses::Loss, metrics::Metric, model::MetricFn};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by the current thread (tests run on several threads at once).
struct Counting;
thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}
fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs a session past its first epoch: plans built, optimizer slots created, a new epoch begun.
fn warm_up(s: &mut FitSession, m: &mut Sequential) {
    s.run(m, 64).unwrap(); // epoch begin
    s.run(m, 64).unwrap(); // plans built, optimizer slots created
    s.run(m, 1).unwrap(); // epoch end
    s.run(m, 1).unwrap(); // next epoch begins
}

/// The allocations of one `run` of `n` unwatched batches (which must end in progress).
fn allocs_of_run(s: &mut FitSession, m: &mut Sequential, n: usize) -> usize {
    let before = allocs();
    let ev = s.run(m, n).unwrap();
    assert!(matches!(ev.last(), Some(Event::Progress { .. })), "{ev:?}");
    allocs() - before
}

/// The loss of the last training batch in `events`.
fn last_batch_loss(events: Vec<Event>) -> f32 {
    events
        .into_iter()
        .filter_map(|ev| if let Event::BatchEnd { values, .. } = ev { Some(values[0]) } else { None })
        .next_back()
        .unwrap_or(f32::NAN)
}

/// Two or three interleaved spiral arms, `n` points each, labels one-hot.
fn spiral(n: usize, classes: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = Rng::new(seed);
    let (mut x, mut y) = (vec![], vec![]);
    for c in 0..classes {
        for i in 0..n {
            let r = i as f32 / n as f32;
            let t = c as f32 * std::f32::consts::TAU / classes as f32 + r * 4.0 + (rng.uniform() - 0.5) * 0.3;
            x.extend([r * t.sin(), r * t.cos()]);
            y.extend((0..classes).map(|k| (k == c) as u8 as f32));
        }
    }
    (Tensor::new(vec![n * classes, 2], x).unwrap(), Tensor::new(vec![n * classes, classes], y).unwrap())
}

fn mlp(classes: usize, seed: u64) -> Sequential {
    let mut m = Sequential::new(seed);
    m.add(nn::from_config("Dense", &json!({"name": "d1", "units": 32, "activation": "relu"})).unwrap(), Some(vec![2])).unwrap();
    m.add(nn::from_config("Dense", &json!({"name": "d2", "units": 32, "activation": "relu"})).unwrap(), None).unwrap();
    m.add(nn::from_config("Dense", &json!({"name": "d3", "units": classes, "activation": "softmax"})).unwrap(), None).unwrap();
    m.compile(Compiled::new(LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()), vec![(MetricFn::Builtin(Metric::CategoricalAccuracy), "acc".into())], Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01)));
    m
}

fn fit(m: &mut Sequential, x: &Tensor, y: &Tensor, epochs: usize) -> Vec<f32> {
    let opts = FitOptions { shuffle: true, seed: 5, report_batches: false, ..FitOptions::new(epochs, 32) };
    let mut s = FitSession::new(m, x.clone(), y.clone(), None, opts).unwrap();
    s.run_all(m)
        .unwrap()
        .into_iter()
        .filter_map(|ev| if let Event::EpochEnd { values, .. } = ev { Some(values[0]) } else { None })
        .collect()
}

#[test]
fn three_class_spiral_reaches_high_accuracy_and_is_deterministic() {
    let (x, y) = spiral(100, 3, 1);
    let mut m = mlp(3, 7);
    let curve = fit(&mut m, &x, &y, 120);
    let eval = trainer::evaluate(&mut m, &x, &y, 64).unwrap();
    assert!(eval[1] >= 0.95, "accuracy {} (loss curve ends {:?})", eval[1], &curve[curve.len() - 3..]);
    assert!(curve[curve.len() - 1] < 0.3 * curve[0], "loss should fall: {} -> {}", curve[0], curve[curve.len() - 1]);
    let mut again = mlp(3, 7);
    assert_eq!(fit(&mut again, &x, &y, 120), curve, "same seeds, same loss curve");
}

#[test]
fn replayed_training_step_allocates_nothing() {
    let (x, y) = spiral(64, 2, 3);
    let mut m = mlp(2, 1);
    fit(&mut m, &x, &y, 1); // plans built here
    let mut plan = m.take_plan(hebb::model::PlanKind::Train, 32, &[2], hebb::DType::F32).unwrap();
    let xb = &x.data[..64];
    let yb = &y.data[..64];
    let weights: Vec<Vec<f32>> = m.weights.iter().map(|w| w.value.data.clone()).collect();
    let ws: Vec<&[f32]> = weights.iter().map(|w| w.as_slice()).collect();
    let mut rng = Rng::new(0);
    plan.plan.run(&[xb, yb], &ws, &mut rng);
    let before = allocs();
    for _ in 0..10 {
        plan.plan.run(&[xb, yb], &ws, &mut rng);
    }
    let during = allocs() - before;
    assert_eq!(during, 0, "a replayed step must not allocate ({} steps in the plan)", plan.plan.num_steps());
}

#[test]
fn training_batches_allocate_nothing_once_planned() {
    // FitSession::run may allocate per call (its event list), never per batch.
    let (x, y) = spiral(256, 2, 3);
    let mut m = mlp(2, 1);
    let opts = FitOptions { shuffle: true, seed: 1, report_batches: false, ..FitOptions::new(1000, 32) };
    let mut s = FitSession::new(&m, x, y, None, opts).unwrap();
    warm_up(&mut s, &mut m);
    let one = allocs_of_run(&mut s, &mut m, 1);
    let many = allocs_of_run(&mut s, &mut m, 12);
    assert_eq!(one, many, "12 batches must allocate no more than 1 ({one} vs {many})");
}

#[test]
fn summary_matches_tfjs_layout() {
    let m = mlp(3, 1);
    let lines = m.summary_lines();
    // What TF.js 4.22 prints for the same model (its names: dense_Dense1.. are given by the JS side).
    assert_eq!(lines[1], "Layer (type)                Input Shape               Output shape              Param #   ");
    assert_eq!(lines[3], "d1 (Dense)                  [[null,2]]                [null,32]                 96        ");
    assert_eq!(lines[5], "d2 (Dense)                  [[null,32]]               [null,32]                 1056      ");
    assert_eq!(lines[lines.len() - 4], "Total params: 1251");
    assert!(lines.iter().all(|l| l.len() <= 90));
}

#[test]
fn bad_data_is_refused_with_names_and_shapes_and_weights_survive() {
    let (x, y) = spiral(10, 3, 1);
    let mut m = mlp(3, 1);
    let before: Vec<f32> = m.weights[0].value.data.clone();
    let opts = || FitOptions::new(1, 8);
    let wrong_x = Tensor::new(vec![30, 3], vec![0.0; 90]).unwrap();
    let e = FitSession::new(&m, wrong_x, y.clone(), None, opts()).err().unwrap().to_string();
    assert!(e.contains("Dense 'd1'") && e.contains("[null,2]") && e.contains("[30,3]"), "{e}");
    let mut nan_x = x.clone();
    nan_x.data[7] = f32::NAN;
    let e = FitSession::new(&m, nan_x, y.clone(), None, opts()).err().unwrap().to_string();
    assert!(e.contains("NaN") && e.contains("sample 3"), "{e}");
    let wrong_y = Tensor::new(vec![30, 2], vec![0.0; 60]).unwrap();
    let e = FitSession::new(&m, x.clone(), wrong_y, None, opts()).err().unwrap().to_string();
    assert!(e.contains("[30,2]") && e.contains("Dense 'd3'") && e.contains("[null,3]"), "{e}");
    let empty = Tensor::new(vec![0, 2], vec![]).unwrap();
    let e = FitSession::new(&m, empty, Tensor::new(vec![0, 3], vec![]).unwrap(), None, opts()).err().unwrap().to_string();
    assert!(e.contains("empty"), "{e}");
    assert_eq!(m.weights[0].value.data, before);
    let p = trainer::predict(&mut m, &x, 7).unwrap();
    let p1 = trainer::predict(&mut m, &x, 30).unwrap();
    assert_eq!(p.shape, vec![30, 3]);
    for (a, b) in p.data.iter().zip(&p1.data) {
        assert!((a - b).abs() < 1e-6, "batched predict must match one batch");
    }
}

#[test]
fn plans_are_keyed_by_label_shape_and_identity_models_predict() {
    use hebb::graph::{Builder, Graph};
    // A custom (traced) loss accepts labels of several widths; each width needs its own plan.
    let mut g = Graph::new();
    let yt = g.input(0, &[5, 1], hebb::DType::F32);
    let yp = g.input(1, &[5, 1], hebb::DType::F32);
    let d = g.sub(yt, yp).unwrap();
    let sq = g.mul(d, d).unwrap();
    let out = g.mean_all(sq).unwrap();
    let traced = hebb::graph::TracedFn { graph: g, inputs: vec![yt, yp], output: out };
    let mut m = Sequential::new(1);
    m.add(
        nn::from_config("Dense", &json!({"name": "d", "units": 1, "kernelInitializer": "ones", "biasInitializer": "zeros"})).unwrap(),
        Some(vec![2]),
    )
    .unwrap();
    m.compile(Compiled::new(LossFn::Traced("mse".into(), traced), vec![], Optimizer::new(Kind::Sgd, 0.0)));
    let x = Tensor::new(vec![4, 2], vec![1.0; 8]).unwrap(); // prediction 2 everywhere
    let y1 = Tensor::new(vec![4, 1], vec![0.0; 4]).unwrap();
    let y3 = Tensor::new(vec![4, 3], vec![1.0; 12]).unwrap();
    assert_eq!(trainer::evaluate(&mut m, &x, &y3, 4).unwrap()[0], 1.0); // (2-1)^2 broadcast
    assert_eq!(trainer::evaluate(&mut m, &x, &y1, 4).unwrap()[0], 4.0); // (2-0)^2, not the [4,3] plan
                                                                        // A model of weightless layers only: its output is its input.
    let mut id = Sequential::new(1);
    id.add(nn::from_config("Dropout", &json!({"name": "drop", "rate": 0.5})).unwrap(), Some(vec![3])).unwrap();
    let p = trainer::predict(&mut id, &Tensor::new(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap(), 8).unwrap();
    assert_eq!(p.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
}

#[test]
fn counting_booleans_gives_int32_and_oversized_shapes_are_errors() {
    use hebb::eager::Runtime;
    use hebb::graph::Builder;
    let mut rt = Runtime::new(1);
    let a = rt.put(Tensor::new(vec![300], vec![1.0; 300]).unwrap());
    let eq = rt.binary(hebb::ops::Binary::Equal, a, a).unwrap();
    let s = rt.sum(eq, &[0], false).unwrap();
    assert_eq!(rt.dtype(s).unwrap(), hebb::DType::I32);
    assert_eq!(rt.get(s).unwrap().data, vec![300.0]);
    let e = Tensor::new(vec![1 << 20, 1 << 20], vec![]).unwrap_err().to_string();
    assert!(e.contains("too many elements"), "{e}");
    let z = rt.put(Tensor::new(vec![1 << 14], vec![0.0; 1 << 14]).unwrap());
    let e = rt.broadcast_to(z, &[1 << 14, 1 << 14]).unwrap_err().to_string();
    assert!(e.contains("broadcastTo") && e.contains("too many elements"), "{e}");
}

#[test]
fn l2_kernel_regularizer_adds_its_penalty_to_the_loss() {
    // Dense(1) with kernel [[1],[2]] and bias 0 on x = [1, 1], y = 0: prediction 3, mse 9;
    // penalty 0.1 * (1 + 4) = 0.5, so the loss is 9.5. Bias is not regularized.
    let mut m = Sequential::new(1);
    let cfg = json!({"name": "d", "units": 1, "kernelRegularizer": {"className": "L1L2", "config": {"l1": 0.0, "l2": 0.1}}});
    m.add(nn::from_config("Dense", &cfg).unwrap(), Some(vec![2])).unwrap();
    m.set_weights(vec![Tensor::new(vec![2, 1], vec![1.0, 2.0]).unwrap(), Tensor::new(vec![1], vec![0.0]).unwrap()]).unwrap();
    m.compile(Compiled::new(LossFn::Builtin(Loss::MeanSquaredError, Default::default()), vec![], Optimizer::new(Kind::Sgd, 0.01)));
    let x = Tensor::new(vec![1, 2], vec![1.0, 1.0]).unwrap();
    let y = Tensor::new(vec![1, 1], vec![0.0]).unwrap();
    // evaluate reports the data loss only, as TF.js does.
    let l = trainer::evaluate(&mut m, &x, &y, 1).unwrap()[0];
    assert!((l - 9.0).abs() < 1e-5, "evaluate loss {l}");
    // One SGD step: dL/dk = 2*3*x + 2*0.1*k = [6.2, 6.4]; k -= 0.01 * that.
    let opts = FitOptions::new(1, 1);
    let mut s = FitSession::new(&m, x, y, None, opts).unwrap();
    let train_loss = last_batch_loss(s.run_all(&mut m).unwrap());
    assert!((train_loss - 9.5).abs() < 1e-5, "training loss with the penalty: {train_loss}");
    let k = &m.weights[0].value.data;
    assert!((k[0] - (1.0 - 0.062)).abs() < 1e-6 && (k[1] - (2.0 - 0.064)).abs() < 1e-6, "{k:?}");
    let e = nn::from_config("Dense", &json!({"name": "d", "units": 1, "kernelConstraint": "maxNorms"})).err().unwrap().to_string();
    assert!(e.contains("Dense 'd'") && e.contains("kernelConstraint: unknown constraint 'maxNorms'"), "{e}");
}

#[test]
fn class_weight_weights_each_samples_loss_by_its_class() {
    // Dense(1, sigmoid) with zero weights predicts 0.5 everywhere: every sample's binary
    // cross-entropy is ln 2. With classWeight {0: 1, 1: 3} and labels [1, 0, 0, 1] the batch loss
    // is ln 2 * (3 + 1 + 1 + 3) / 4 = 2 ln 2; without it, ln 2.
    let batch_loss = |cw: Option<Vec<f32>>| {
        let mut m = Sequential::new(1);
        let cfg = json!({"name": "d", "units": 1, "activation": "sigmoid", "kernelInitializer": "zeros"});
        m.add(nn::from_config("Dense", &cfg).unwrap(), Some(vec![2])).unwrap();
        m.compile(Compiled::new(LossFn::Builtin(Loss::BinaryCrossentropy, Default::default()), vec![], Optimizer::new(Kind::Sgd, 0.0)));
        let x = Tensor::new(vec![4, 2], vec![1.0; 8]).unwrap();
        let y = Tensor::new(vec![4, 1], vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        let opts = FitOptions { class_weight: cw, ..FitOptions::new(1, 4) };
        let mut s = FitSession::new(&m, x, y, None, opts).unwrap();
        last_batch_loss(s.run_all(&mut m).unwrap())
    };
    let ln2 = std::f32::consts::LN_2;
    assert!((batch_loss(None) - ln2).abs() < 1e-5);
    assert!((batch_loss(Some(vec![1.0, 3.0])) - 2.0 * ln2).abs() < 1e-5, "{}", batch_loss(Some(vec![1.0, 3.0])));
}

/// Keras 3: freezing BatchNormalization switches it to inference mode (moving statistics used,
/// none updated); freezing another layer keeps its training behaviour (a frozen LSTM's dropout
/// still drops).
#[test]
fn frozen_batch_norm_runs_in_inference_mode_other_frozen_layers_do_not() {
    let (x, y) = spiral(30, 3, 4);
    let build = |first: &str, cfg: serde_json::Value, input: Vec<usize>| {
        let mut m = Sequential::new(3);
        m.add(nn::from_config(first, &cfg).unwrap(), Some(input)).unwrap();
        m.add(nn::from_config("Dense", &json!({"units": 3, "activation": "softmax"})).unwrap(), None).unwrap();
        m.compile(Compiled::new(LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()), vec![], Optimizer::new(Kind::Sgd, 0.1)));
        m
    };
    // BatchNormalization: trainable, its moving mean moves; frozen, nothing of it changes.
    for frozen in [false, true] {
        let mut m = build("BatchNormalization", json!({"momentum": 0.5}), vec![2]);
        m.set_trainable(0, !frozen);
        let before: Vec<Vec<f32>> = m.weights[..4].iter().map(|w| w.value.data.clone()).collect();
        fit(&mut m, &x, &y, 2);
        let moved = m.weights[..4].iter().zip(&before).map(|(w, b)| w.value.data != *b).collect::<Vec<_>>();
        assert_eq!(moved, if frozen { vec![false; 4] } else { vec![true; 4] }, "frozen {frozen}: gamma, beta, moving mean, moving variance");
    }
    // A frozen LSTM with dropout: two training-mode forward passes of one batch differ (dropout
    // still draws masks), so its output is random while training.
    let seq = Tensor::new(vec![4, 3, 2], (0..24).map(|i| (i as f32 * 0.37).sin()).collect()).unwrap();
    let mut m = build("LSTM", json!({"units": 5, "dropout": 0.5}), vec![3, 2]);
    m.set_trainable(0, false);
    let mut g = hebb::graph::Graph::new();
    let xn = g.input(0, &seq.shape, hebb::tensor::DType::F32);
    let params: Vec<_> = m.weights.iter().enumerate().map(|(i, w)| g.param(i, &w.value.shape)).collect();
    let out = m.forward(&mut g, xn, &params, true).unwrap();
    let mut plan = hebb::graph::plan::Plan::new(g, &[out]).unwrap();
    let mut rng = Rng::new(1);
    plan.run(&[&seq.data], &m.weights[..], &mut rng);
    let first = plan.value(out).to_vec();
    plan.run(&[&seq.data], &m.weights[..], &mut rng);
    assert_ne!(first, plan.value(out), "a frozen LSTM keeps its dropout while training");
}

/// A model whose every trained weight carries a constraint: maxNorm on a kernel, nonNeg on a
/// bias, unitNorm on the next kernel, minMaxNorm on the last bias.
fn constrained_mlp() -> Sequential {
    let mut m = Sequential::new(3);
    let dense = |cfg: serde_json::Value| nn::from_config("Dense", &cfg).unwrap();
    m.add(
        dense(json!({"name": "c1", "units": 16, "activation": "relu", "kernelConstraint": {"className": "MaxNorm", "config": {"maxValue": 0.5}}, "biasConstraint": "nonNeg"})),
        Some(vec![2]),
    )
    .unwrap();
    m.add(dense(json!({"name": "c2", "units": 2, "activation": "softmax", "kernelConstraint": "unitNorm", "biasConstraint": {"className": "MinMaxNorm", "config": {"minValue": 0.2, "maxValue": 0.3}}})), None)
        .unwrap();
    m.compile(Compiled::new(LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()), vec![], Optimizer::new(Kind::Sgd, 2.0)));
    m
}

fn col_norms(w: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols).map(|c| (0..rows).map(|r| w[r * cols + c].powi(2)).sum::<f32>().sqrt()).collect()
}

#[test]
fn constraints_hold_after_every_batch_and_allocate_nothing_once_planned() {
    let (x, y) = spiral(128, 2, 3);
    let mut m = constrained_mlp();
    let opts = FitOptions { shuffle: true, seed: 1, report_batches: true, ..FitOptions::new(1000, 32) };
    let mut s = FitSession::new(&m, x, y, None, opts).unwrap();
    let check = |m: &Sequential| {
        let w = |k: usize| &m.weights[k].value.data;
        assert!(col_norms(w(0), 2, 16).iter().all(|n| *n <= 0.5 + 1e-6), "maxNorm: {:?}", col_norms(w(0), 2, 16));
        assert!(w(1).iter().all(|v| *v >= 0.0), "nonNeg: {:?}", w(1));
        assert!(col_norms(w(2), 16, 2).iter().all(|n| (n - 1.0).abs() < 1e-5), "unitNorm: {:?}", col_norms(w(2), 16, 2));
        let bn = col_norms(w(3), 2, 1)[0];
        // (A tiny norm lifted to 0.2 lands a little short: w · 0.2 / (1e-7 + norm).)
        assert!((0.2 - 1e-4..=0.3 + 1e-6).contains(&bn), "minMaxNorm: {bn}");
    };
    s.run(&mut m, 64).unwrap(); // epoch begin
    for _ in 0..4 {
        // One batch at a time: the constraints hold after each.
        let ev = s.run(&mut m, 1).unwrap();
        assert!(ev.iter().any(|e| matches!(e, Event::BatchEnd { .. })), "{ev:?}");
        check(&m);
    }
    // Unwatched batches allocate nothing per batch, projections included.
    let (x, y) = spiral(256, 2, 5);
    let opts = FitOptions { shuffle: true, seed: 1, report_batches: false, ..FitOptions::new(1000, 32) };
    let mut s = FitSession::new(&m, x, y, None, opts).unwrap();
    warm_up(&mut s, &mut m);
    let one = allocs_of_run(&mut s, &mut m, 1);
    let many = allocs_of_run(&mut s, &mut m, 6);
    assert_eq!(one, many, "6 batches must allocate no more than 1 ({one} vs {many})");
    let before = allocs();
    for w in m.weights.iter_mut() {
        w.constraint.unwrap().apply(&mut w.value.data, &w.value.shape);
    }
    assert_eq!(allocs() - before, 0, "a projection allocates nothing");
    check(&m);
    // Without the constraints the same model and training leave larger columns and a negative
    // bias: the projections did something.
    let mut free = Sequential::new(3);
    free.add(nn::from_config("Dense", &json!({"name": "c1", "units": 16, "activation": "relu"})).unwrap(), Some(vec![2])).unwrap();
    free.add(nn::from_config("Dense", &json!({"name": "c2", "units": 2, "activation": "softmax"})).unwrap(), None).unwrap();
    free.compile(Compiled::new(LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()), vec![], Optimizer::new(Kind::Sgd, 2.0)));
    let (x, y) = spiral(128, 2, 3);
    let mut s = FitSession::new(&free, x, y, None, FitOptions { shuffle: true, seed: 1, ..FitOptions::new(1, 32) }).unwrap();
    s.run_all(&mut free).unwrap();
    assert!(col_norms(&free.weights[0].value.data, 2, 16).iter().any(|n| *n > 0.5), "{:?}", col_norms(&free.weights[0].value.data, 2, 16));
    assert!(free.weights[1].value.data.iter().any(|v| *v < 0.0), "{:?}", free.weights[1].value.data);
}

#[test]
fn frozen_weights_are_not_projected_and_configs_keep_constraints() {
    let (x, y) = spiral(32, 2, 3);
    let mut m = constrained_mlp();
    // Weights that break every constraint, then the first layer frozen: only the second layer's
    // weights are updated, so only they are projected (Keras projects the variables it updates).
    let ws: Vec<Tensor> = m.weights.iter().map(|w| Tensor::new(w.value.shape.clone(), vec![-3.0; w.value.numel()]).unwrap()).collect();
    m.set_weights(ws).unwrap();
    m.set_trainable(0, false);
    let mut s = FitSession::new(&m, x, y, None, FitOptions::new(1, 64)).unwrap();
    s.run_all(&mut m).unwrap();
    assert!(m.weights[0].value.data.iter().chain(&m.weights[1].value.data).all(|v| *v == -3.0), "the frozen layer is untouched");
    assert!(col_norms(&m.weights[2].value.data, 16, 2).iter().all(|n| (n - 1.0).abs() < 1e-5));
    // Every layer kind reports its constraints in its config, which builds the same layer again.
    for (class, cfg) in [
        ("Dense", json!({"name": "a", "units": 2, "kernelConstraint": "maxNorm", "biasConstraint": "nonNeg"})),
        ("Conv2D", json!({"name": "b", "filters": 2, "kernelSize": 3, "kernelConstraint": {"className": "UnitNorm", "config": {"axis": [0, 1, 2]}}, "biasConstraint": "nonNeg"})),
        ("Conv2DTranspose", json!({"name": "b2", "filters": 2, "kernelSize": 3, "kernelConstraint": "maxNorm"})),
        ("DepthwiseConv2D", json!({"name": "c", "kernelSize": 3, "depthwiseConstraint": "unitNorm", "biasConstraint": "maxNorm"})),
        ("SeparableConv2D", json!({"name": "d", "filters": 2, "kernelSize": 3, "depthwiseConstraint": "nonNeg", "pointwiseConstraint": "maxNorm"})),
        ("LSTM", json!({"name": "e", "units": 2, "kernelConstraint": "maxNorm", "recurrentConstraint": "unitNorm", "biasConstraint": "nonNeg"})),
        ("GRU", json!({"name": "f", "units": 2, "recurrentConstraint": "minMaxNorm"})),
        ("SimpleRNN", json!({"name": "g", "units": 2, "kernelConstraint": "nonNeg"})),
        ("Embedding", json!({"name": "h", "inputDim": 4, "outputDim": 2, "embeddingsConstraint": {"className": "MaxNorm", "config": {"maxValue": 1, "axis": 1}}})),
        ("BatchNormalization", json!({"name": "i", "gammaConstraint": "nonNeg", "betaConstraint": "maxNorm"})),
        ("LayerNormalization", json!({"name": "j", "gammaConstraint": "unitNorm", "betaConstraint": "nonNeg"})),
        ("MultiHeadAttention", json!({"name": "k", "numHeads": 2, "keyDim": 2, "kernelConstraint": "maxNorm", "biasConstraint": "nonNeg"})),
    ] {
        let layer = nn::from_config(class, &cfg).unwrap_or_else(|e| panic!("{class}: {e}"));
        let c = layer.config();
        for (k, v) in cfg.as_object().unwrap() {
            if k.ends_with("Constraint") {
                let name = c[k]["className"].as_str().unwrap_or_else(|| panic!("{class} config {k}: {c}"));
                assert_eq!(name.to_lowercase(), v.as_str().map(|s| s.to_lowercase()).unwrap_or_else(|| v["className"].as_str().unwrap().to_lowercase()));
            }
        }
        assert_eq!(nn::from_config(class, &c).unwrap().config(), c, "{class}: config round trip");
    }
}

#[test]
fn constraint_errors_name_the_layer_and_the_option() {
    let err = |class: &str, cfg: serde_json::Value, input: Vec<usize>| -> String {
        let layer = match nn::from_config(class, &cfg) {
            Err(e) => return e.to_string(),
            Ok(l) => l,
        };
        let mut m = Sequential::new(1);
        m.add(layer, Some(input)).err().map(|e| e.to_string()).unwrap_or_else(|| panic!("{class} {cfg}: no error"))
    };
    let cases = [
        ("Dense", json!({"name": "d", "units": 2, "kernelConstraint": {"className": "MaxNorm", "config": {"maxValue": -1}}}), vec![3], "Dense 'd'", "kernelConstraint: MaxNorm maxValue must be a non-negative number, received maxValue=-1"),
        ("Dense", json!({"name": "d", "units": 2, "biasConstraint": "clipNorm"}), vec![3], "Dense 'd'", "biasConstraint: unknown constraint 'clipNorm'"),
        ("Dense", json!({"name": "d", "units": 2, "kernelConstraint": {"className": "UnitNorm", "config": {"axis": 2}}}), vec![3], "Dense 'd'", "kernelConstraint: axis 2 is out of range for a weight of shape [3,2]"),
        ("Dense", json!({"name": "d", "units": 2, "biasConstraint": {"className": "UnitNorm", "config": {"axis": 1}}}), vec![3], "Dense 'd'", "biasConstraint: axis 1 is out of range"),
        ("Conv2D", json!({"name": "c", "filters": 2, "kernelSize": 2, "kernelConstraint": {"className": "MaxNorm", "config": {"axis": [0, 1, 4]}}}), vec![4, 4, 1], "Conv2D 'c'", "kernelConstraint: axis 4 is out of range"),
        ("DepthwiseConv2D", json!({"name": "w", "kernelSize": 2, "kernelConstraint": "maxNorm"}), vec![4, 4, 1], "DepthwiseConv2D 'w'", "kernelConstraint does not apply"),
        ("LSTM", json!({"name": "l", "units": 2, "recurrentConstraint": {"className": "MaxNorm", "config": {"axis": -3}}}), vec![3, 2], "LSTM 'l'", "recurrentConstraint: axis -3 is out of range"),
        ("Embedding", json!({"name": "e", "inputDim": 3, "outputDim": 2, "embeddingsConstraint": 5}), vec![2], "Embedding 'e'", "embeddingsConstraint must be a tf.constraints.* object"),
        ("BatchNormalization", json!({"name": "b", "gammaConstraint": {"className": "MinMaxNorm", "config": {"minValue": 2, "maxValue": 1}}}), vec![3], "BatchNormalization 'b'", "gammaConstraint: MinMaxNorm minValue (2) must not exceed maxValue (1)"),
    ];
    for (class, cfg, input, layer, want) in cases {
        let e = err(class, cfg.clone(), input);
        assert!(e.contains(layer) && e.contains(want), "{class} {cfg}: {e}");
    }
}

/// `layer.addLoss` functions (recorded on every layer's weights) join the training loss: one
/// SGD step moves the kernel by the loss's gradient plus 0.1·sign(kernel), the added L1 term's,
/// and evaluate leaves them out (as TF.js's evaluate does).
#[test]
fn added_losses_join_the_training_loss() {
    use hebb::graph::{Builder, Graph};
    let dense = || nn::from_config("Dense", &json!({"name": "d", "units": 2, "kernelInitializer": {"className": "RandomUniform", "config": {"minval": -1, "maxval": 1, "seed": 3}}})).unwrap();
    let build = || {
        let mut m = Sequential::new(1);
        m.add(dense(), Some(vec![3])).unwrap();
        m.compile(Compiled::new(LossFn::Builtin(Loss::MeanSquaredError, Default::default()), vec![], Optimizer::new(Kind::Sgd, 0.5)));
        m
    };
    // 0.1 * sum(|kernel|), with the kernel and bias as the recording's inputs.
    let mut g = Graph::new();
    let kernel = g.input(0, &[3, 2], hebb::DType::F32);
    let bias = g.input(1, &[2], hebb::DType::F32);
    let a = g.unary(hebb::ops::Unary::Abs, kernel).unwrap();
    let s = g.sum(a, &[0, 1], false).unwrap();
    let tenth = g.scalar(0.1).unwrap();
    let out = g.mul(s, tenth).unwrap();
    let l1 = hebb::graph::TracedFn { graph: g, inputs: vec![kernel, bias], output: out };

    let (mut plain, mut with) = (build(), build());
    let k0 = plain.weights[0].value.clone();
    assert!(with.set_added_losses(vec![l1.clone(), l1.clone()]).is_ok());
    let x = Tensor::new(vec![2, 3], vec![1.0, -0.5, 2.0, 0.3, 0.1, -1.0]).unwrap();
    let y = Tensor::new(vec![2, 2], vec![1.0, 0.0, -1.0, 0.5]).unwrap();
    let ev = |m: &mut Sequential| trainer::evaluate(m, &x, &y, 2).unwrap()[0];
    assert_eq!(ev(&mut plain), ev(&mut with), "evaluate leaves the added losses out");
    for m in [&mut plain, &mut with] {
        let mut s = FitSession::new(m, x.clone(), y.clone(), None, FitOptions::new(1, 2)).unwrap();
        s.run_all(m).unwrap();
    }
    // Two added L1 terms of 0.1 each: 0.5 (rate) * 0.2 * sign(k0) further.
    for i in 0..6 {
        let extra = plain.weights[0].value.data[i] - with.weights[0].value.data[i];
        let want = 0.5 * 0.2 * k0.data[i].signum();
        assert!((extra - want).abs() < 1e-5, "kernel[{i}]: moved {extra} further, want {want}");
    }
    assert_eq!(plain.weights[1].value.data, with.weights[1].value.data, "the bias is not in the added loss");
    // A recording on the wrong number of weights is refused.
    let bad = hebb::graph::TracedFn { inputs: vec![l1.inputs[0]], ..l1 };
    let e = with.set_added_losses(vec![bad]).unwrap_err().to_string();
    assert!(e.contains("recorded on 1 weights, the model has 2"), "{e}");
}

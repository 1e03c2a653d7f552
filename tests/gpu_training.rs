//! Whole training steps on the GPU (plan replay, fused optimizer, sums kept on the GPU, mirror
//! refresh) against the CPU path, on lavapipe; a device destroyed mid-training hands over to
//! the CPU without losing what was trained. Skipped with a message when no adapter exists.

use hebb::backend::gpu::Gpu;
use hebb::model::trainer::{Event, FitOptions, FitSession};
use hebb::model::{Compiled, LossFn, MetricFn, Sequential};
use hebb::nn;
use hebb::optim::{Kind, Optimizer};
use hebb::rng::Rng;
use hebb::tensor::Tensor;
use hebb::{losses::Loss, metrics::Metric};
use serde_json::json;
use std::sync::Arc;

mod common;

use common::gpu;

fn spiral(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = Rng::new(seed);
    let (mut x, mut y) = (vec![], vec![]);
    for c in 0..3 {
        for i in 0..n {
            let r = i as f32 / n as f32;
            let t = c as f32 * 2.1 + r * 4.0 + (rng.uniform() - 0.5) * 0.3;
            x.extend([r * t.sin(), r * t.cos()]);
            y.extend((0..3).map(|k| (k == c) as u8 as f32));
        }
    }
    (Tensor::new(vec![n * 3, 2], x).unwrap(), Tensor::new(vec![n * 3, 3], y).unwrap())
}

fn mlp(kind: Kind, lr: f32, dropout: bool) -> Sequential {
    mlp_with(Optimizer::new(kind, lr), dropout)
}

fn mlp_with(optimizer: Optimizer, dropout: bool) -> Sequential {
    let mut m = Sequential::new(11);
    m.add(nn::from_config("Dense", &json!({"units": 33, "activation": "relu"})).unwrap(), Some(vec![2])).unwrap();
    if dropout {
        m.add(nn::from_config("Dropout", &json!({"rate": 0.2})).unwrap(), None).unwrap();
    }
    m.add(
        nn::from_config(
            "Dense",
            &json!({"units": 7, "activation": "tanh", "kernelRegularizer": {"className": "L1L2", "config": {"l1": 0.0, "l2": 0.001}}}),
        )
        .unwrap(),
        None,
    )
    .unwrap();
    m.add(nn::from_config("Dense", &json!({"units": 3, "activation": "softmax"})).unwrap(), None).unwrap();
    m.compile(Compiled::new(LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()), vec![(MetricFn::Builtin(Metric::CategoricalAccuracy), "acc".into())], optimizer));
    m
}

fn epochs_of(events: &[Event]) -> Vec<(Vec<f32>, Option<Vec<f32>>)> {
    events
        .iter()
        .filter_map(|e| if let Event::EpochEnd { values, val, .. } = e { Some((values.clone(), val.clone())) } else { None })
        .collect()
}

fn batch_losses(events: &[Event]) -> Vec<f32> {
    events.iter().filter_map(|e| if let Event::BatchEnd { values, .. } = e { Some(values[0]) } else { None }).collect()
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn train(m: &mut Sequential, on: Option<Arc<Gpu>>, opts: FitOptions, val: bool) -> Vec<Event> {
    let (x, y) = spiral(30, 3);
    let v = val.then(|| spiral(10, 9));
    let mut s = FitSession::new(m, x, y, v, opts).unwrap();
    if let Some(g) = on {
        assert!(s.use_gpu(g, m).unwrap());
    }
    s.run_all(m).unwrap()
}

#[test]
fn mlp_training_on_the_gpu_matches_the_cpu_for_every_optimizer() {
    let Some(gpu) = gpu() else { return };
    let kinds = [
        (Kind::Sgd, 0.1),
        (Kind::Momentum { momentum: 0.9, nesterov: true }, 0.05),
        (Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01),
        (Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: true }, 0.01),
        (Kind::Adamax { beta1: 0.9, beta2: 0.999, eps: 1e-7, decay: 0.01 }, 0.01),
        (Kind::RmsProp { decay: 0.9, momentum: 0.5, eps: 1e-7, centered: true }, 0.005),
        (Kind::Adagrad { initial: 0.1, eps: 1e-7 }, 0.05),
        (Kind::Adadelta { rho: 0.9, eps: 1e-7 }, 1.0),
        (Kind::AdamW { beta1: 0.9, beta2: 0.999, eps: 1e-7, weight_decay: 0.05 }, 0.01),
    ];
    // Schedules and clipping, as users write them.
    let configs = [
        json!({"className": "Adam", "config": {"learningRate": {"className": "CosineDecay", "config": {"initialLearningRate": 0.001, "decaySteps": 10, "warmupTarget": 0.02, "warmupSteps": 3}}, "clipnorm": 0.5}}),
        json!({"className": "SGD", "config": {"learningRate": {"className": "ExponentialDecay", "config": {"initialLearningRate": 0.2, "decaySteps": 4, "decayRate": 0.5}}, "globalClipnorm": 1.0}}),
        json!({"className": "Momentum", "config": {"learningRate": 0.05, "momentum": 0.9, "clipvalue": 0.05}}),
    ];
    let make: Vec<Box<dyn Fn() -> Optimizer>> = kinds
        .iter()
        .map(|(k, lr)| {
            let (k, lr) = (k.clone(), *lr);
            Box::new(move || Optimizer::new(k.clone(), lr)) as Box<dyn Fn() -> Optimizer>
        })
        .chain(configs.iter().map(|c| {
            let c = c.clone();
            Box::new(move || Optimizer::from_config(&c).unwrap()) as Box<dyn Fn() -> Optimizer>
        }))
        .collect();
    for new_opt in make {
        let kind = format!("{:?} {:?} {:?}", new_opt().kind, new_opt().schedule, new_opt().clip);
        for report_batches in [false, true] {
            let opts = FitOptions { report_batches, validation_split: 0.0, ..FitOptions::new(3, 16) };
            let mut cpu = mlp_with(new_opt(), false);
            let mut gm = mlp_with(new_opt(), false);
            let ce = train(&mut cpu, None, opts.clone(), true);
            let ge = train(&mut gm, Some(gpu.clone()), opts, true);
            let (ca, ga) = (epochs_of(&ce), epochs_of(&ge));
            assert_eq!(ca.len(), 3);
            assert_eq!(ga.len(), 3, "{kind:?}: {ge:?}");
            for ((cv, cval), (gv, gval)) in ca.iter().zip(&ga) {
                for (a, b) in cv.iter().zip(gv).chain(cval.as_ref().unwrap().iter().zip(gval.as_ref().unwrap())) {
                    assert!(close(*a, *b, 1e-3), "{kind:?} epoch logs: cpu {cv:?} {cval:?}, gpu {gv:?} {gval:?}");
                }
            }
            if report_batches {
                let (cb, gb) = (batch_losses(&ce), batch_losses(&ge));
                assert_eq!(cb.len(), gb.len());
                assert!(cb.iter().zip(&gb).all(|(a, b)| close(*a, *b, 1e-3)), "{kind:?} batch losses {cb:?} vs {gb:?}");
            }
            assert_eq!(cpu.compiled.as_ref().unwrap().optimizer.iterations, gm.compiled.as_ref().unwrap().optimizer.iterations);
            for (w, v) in cpu.weights.iter().zip(&gm.weights) {
                for (a, b) in w.value.data.iter().zip(&v.value.data) {
                    assert!(close(*a, *b, 1e-3), "{kind:?} weight {}: cpu {a} gpu {b}", w.name);
                }
            }
        }
    }
}

#[test]
fn gpu_training_with_dropout_and_class_weights_learns() {
    let Some(gpu) = gpu() else { return };
    let mut m = mlp(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.02, true);
    let opts = FitOptions { class_weight: Some(vec![1.0, 2.0, 1.0]), shuffle: true, report_batches: false, ..FitOptions::new(60, 16) };
    let ev = train(&mut m, Some(gpu.clone()), opts, false);
    let curve: Vec<f32> = epochs_of(&ev).iter().map(|e| e.0[0]).collect();
    assert_eq!(curve.len(), 60);
    assert!(curve[59] < 0.5 * curve[0], "loss should fall on the GPU: {curve:?}");
    // The mirror holds the trained weights: CPU evaluation agrees with the last epoch.
    let (x, y) = spiral(30, 3);
    let acc = hebb::model::trainer::evaluate(&mut m, &x, &y, 32).unwrap()[1];
    assert!(acc > 0.8, "accuracy from the mirrored weights {acc}");
}

#[test]
fn replayed_gpu_steps_create_no_buffers() {
    // A device of its own: the byte count must not see other tests' buffers.
    let Some(gpu) = common::own_gpu() else { return };
    let mut m = mlp(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01, true);
    let opts = FitOptions { report_batches: false, ..FitOptions::new(1, 16) };
    let (x, y) = spiral(30, 3);
    let mut s = FitSession::new(&m, x, y, None, opts.clone()).unwrap();
    s.use_gpu(gpu.clone(), &mut m).unwrap();
    s.run_all(&mut m).unwrap();
    let before = *gpu.bytes.lock().unwrap();
    let (x, y) = spiral(30, 3);
    let mut s = FitSession::new(&m, x, y, None, FitOptions { epochs: 20, ..opts }).unwrap();
    s.use_gpu(gpu.clone(), &mut m).unwrap();
    s.run_all(&mut m).unwrap();
    assert_eq!(*gpu.bytes.lock().unwrap(), before, "20 more epochs allocated GPU buffers");
}

#[test]
fn a_lost_device_hands_training_to_the_cpu_without_losing_weights() {
    // A device of its own, destroyed part-way through.
    let Some(gpu) = common::own_gpu() else { return };
    let kind = Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false };
    let opts = FitOptions { report_batches: false, ..FitOptions::new(6, 16) };
    let mut reference = mlp(kind.clone(), 0.01, false);
    train(&mut reference, None, opts.clone(), false);

    let mut m = mlp(kind, 0.01, false);
    let (x, y) = spiral(30, 3);
    let mut s = FitSession::new(&m, x, y, None, opts).unwrap();
    assert!(s.use_gpu(gpu.clone(), &mut m).unwrap());
    let mut events = vec![];
    // Three epochs on the GPU (each ends with a read), then the device goes away.
    while epochs_of(&events).len() < 3 {
        let ev = s.run(&mut m, 4).unwrap();
        if matches!(ev.last(), Some(Event::GpuWait)) {
            let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
        }
        events.extend(ev);
    }
    gpu.device.destroy();
    events.extend(s.run_all(&mut m).unwrap());
    let lost: Vec<&Event> = events.iter().filter(|e| matches!(e, Event::DeviceLost { .. })).collect();
    assert_eq!(lost.len(), 1, "told once: {events:?}");
    assert!(!s.on_gpu());
    assert!(matches!(events.last(), Some(Event::TrainEnd)));
    // Training finished on the CPU from the mirrored weights: the result matches a CPU-only run.
    for (w, v) in reference.weights.iter().zip(&m.weights) {
        for (a, b) in w.value.data.iter().zip(&v.value.data) {
            assert!(close(*a, *b, 2e-3), "weight {}: cpu-only {a}, gpu-then-cpu {b}", w.name);
        }
    }
}

/// A watched batch (per-batch events) brings the CPU weights up to date with it: after batch k
/// they equal the CPU path's weights after batch k.
#[test]
fn watched_batches_see_the_weights_of_that_batch() {
    let Some(gpu) = gpu() else { return };
    let kind = Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false };
    let opts = FitOptions { report_batches: true, ..FitOptions::new(1, 16) };
    let (x, y) = spiral(30, 3);
    let mut cpu = mlp(kind.clone(), 0.01, false);
    let mut gm = mlp(kind, 0.01, false);
    let mut sc = FitSession::new(&cpu, x.clone(), y.clone(), None, opts.clone()).unwrap();
    let mut sg = FitSession::new(&gm, x, y, None, opts).unwrap();
    assert!(sg.use_gpu(gpu.clone(), &mut gm).unwrap());
    let mut checked = 0;
    while !sg.finished() && checked < 3 {
        let ev = sg.run(&mut gm, 1).unwrap();
        if matches!(ev.last(), Some(Event::GpuWait)) {
            let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
        }
        if ev.iter().any(|e| matches!(e, Event::BatchEnd { .. })) {
            // Advance the CPU session to the same batch.
            loop {
                if sc.run(&mut cpu, 1).unwrap().iter().any(|e| matches!(e, Event::BatchEnd { .. })) {
                    break;
                }
            }
            for (w, v) in cpu.weights.iter().zip(&gm.weights) {
                for (a, b) in w.value.data.iter().zip(&v.value.data) {
                    assert!(close(*a, *b, 1e-4), "after batch {checked}: weight {} cpu {a} gpu mirror {b}", w.name);
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3);
}

/// New weights (or a frozen layer) in the middle of a GPU epoch: the GPU copy is uploaded again
/// from the CPU weights and training goes on from the last mirrored position; nothing panics and
/// the epoch logs stay whole.
#[test]
fn weights_replaced_or_layers_frozen_mid_epoch_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let kind = Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false };
    for change in ["setWeights", "freeze"] {
        let mut m = mlp(kind.clone(), 0.01, false);
        let (x, y) = spiral(60, 3);
        let opts = FitOptions { report_batches: false, ..FitOptions::new(3, 8) };
        let mut s = FitSession::new(&m, x, y, None, opts).unwrap();
        assert!(s.use_gpu(gpu.clone(), &mut m).unwrap());
        let mut events = vec![];
        let mut changed = false;
        while !s.finished() {
            let ev = s.run(&mut m, 4).unwrap();
            if matches!(ev.last(), Some(Event::GpuWait)) {
                let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
            }
            let mid_epoch = ev.iter().any(|e| matches!(e, Event::Progress { next, .. } if *next > 5 && *next < 15));
            events.extend(ev);
            if mid_epoch && !changed {
                changed = true;
                match change {
                    "setWeights" => {
                        let ws: Vec<Tensor> =
                            m.weights.iter().map(|w| Tensor::new(w.value.shape.clone(), vec![0.05; w.value.numel()]).unwrap()).collect();
                        m.set_weights(ws).unwrap();
                    }
                    _ => m.set_trainable(0, false),
                }
            }
        }
        assert!(changed, "{change}: the change was made mid-epoch");
        let epochs = epochs_of(&events);
        assert_eq!(epochs.len(), 3, "{change}: {events:?}");
        for (values, _) in &epochs {
            assert!(values.iter().all(|v| v.is_finite() && *v > 0.0), "{change}: epoch logs {values:?}");
        }
        assert!(!events.iter().any(|e| matches!(e, Event::DeviceLost { .. })), "{change}: stays on the GPU");
        if change == "freeze" {
            // The frozen first layer kept the weights it had when it was frozen.
            let w0 = m.weights[0].value.data.clone();
            let (x, y) = spiral(60, 3);
            let mut s = FitSession::new(&m, x, y, None, FitOptions { report_batches: false, ..FitOptions::new(1, 8) }).unwrap();
            s.use_gpu(gpu.clone(), &mut m).unwrap();
            s.run_all(&mut m).unwrap();
            assert_eq!(m.weights[0].value.data, w0, "a frozen layer does not train on the GPU");
        }
    }
}

/// A convnet with batch normalization: conv - BN - pool - flatten - dense on 6x6 images.
fn small_cnn() -> (Sequential, Tensor, Tensor) {
    let mut m = Sequential::new(5);
    let layer = |c: &str, cfg: serde_json::Value| nn::from_config(c, &cfg).unwrap();
    m.add(layer("Conv2D", json!({"filters": 4, "kernelSize": 3, "padding": "same", "activation": "relu", "kernelInitializer": "glorotUniform"})), Some(vec![6, 6, 2])).unwrap();
    m.add(layer("BatchNormalization", json!({"momentum": 0.9})), None).unwrap();
    m.add(layer("MaxPooling2D", json!({"poolSize": 2})), None).unwrap();
    m.add(layer("Flatten", json!({})), None).unwrap();
    m.add(layer("Dense", json!({"units": 3, "activation": "softmax"})), None).unwrap();
    m.compile(Compiled::new(LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()), vec![(MetricFn::Builtin(Metric::CategoricalAccuracy), "acc".into())], Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01)));
    let mut rng = Rng::new(4);
    let n = 48;
    let mut x = vec![];
    let mut y = vec![];
    for i in 0..n {
        let c = i % 3;
        for p in 0..72 {
            // Class c brightens one third of the image's rows.
            let row = (p / 12) % 6;
            x.push(rng.uniform() + if row / 2 == c { 1.0 } else { 0.0 });
        }
        y.extend((0..3).map(|k| (k == c) as u8 as f32));
    }
    (m, Tensor::new(vec![n, 6, 6, 2], x).unwrap(), Tensor::new(vec![n, 3], y).unwrap())
}

#[test]
fn a_batch_normalized_convnet_trains_the_same_on_the_gpu_and_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let (mut cpu, x, y) = small_cnn();
    let (mut gm, _, _) = small_cnn();
    let opts = FitOptions { report_batches: false, ..FitOptions::new(4, 16) };
    let run = |m: &mut Sequential, on: Option<Arc<Gpu>>| {
        let mut s = FitSession::new(m, x.clone(), y.clone(), None, opts.clone()).unwrap();
        if let Some(g) = on {
            assert!(s.use_gpu(g, m).unwrap());
        }
        epochs_of(&s.run_all(m).unwrap())
    };
    let (ce, ge) = (run(&mut cpu, None), run(&mut gm, Some(gpu.clone())));
    for (c, g) in ce.iter().zip(&ge) {
        assert!(c.0.iter().zip(&g.0).all(|(a, b)| close(*a, *b, 1e-3)), "epoch logs cpu {c:?} gpu {g:?}");
    }
    for (w, v) in cpu.weights.iter().zip(&gm.weights) {
        for (a, b) in w.value.data.iter().zip(&v.value.data) {
            assert!(close(*a, *b, 1e-3), "weight {}: cpu {a} gpu {b}", w.name);
        }
    }
    // The moving statistics moved (4 epochs x 3 batches at momentum 0.9) on both.
    let mean = gm.weights.iter().find(|w| w.name.ends_with("moving_mean")).unwrap();
    assert!(!mean.trainable);
    assert!(mean.value.data.iter().all(|&v| v > 0.01), "moving mean of relu outputs {:?}", mean.value.data);
    let acc = hebb::model::trainer::evaluate(&mut gm, &x, &y, 16).unwrap()[1];
    assert!(acc > 0.9, "inference with the moving statistics: accuracy {acc}");
}

/// Weight constraints on the GPU: the Keras 3 fixtures (maxNorm, nonNeg, unitNorm, minMaxNorm on
/// Dense, Conv2D, SeparableConv2D, LSTM, GRU, Embedding and normalization weights; SGD and Adam)
/// trained two steps in one GPU session, where the projection kernel runs after the fused
/// optimizer update in the same submit. The weights match Keras and the CPU path.
#[test]
fn weight_constraints_on_the_gpu_match_keras_and_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let fx = common::load("keras_constraints.json");
    for case in fx["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        for (r, run) in case["runs"].as_array().unwrap().iter().enumerate() {
            let (mut gm, x, y) = common::constraint_model(case, r);
            let (mut cm, _, _) = common::constraint_model(case, r);
            let opts = FitOptions { report_batches: false, ..FitOptions::new(2, x.shape[0]) };
            let mut s = FitSession::new(&gm, x.clone(), y.clone(), None, opts.clone()).unwrap();
            assert!(s.use_gpu(gpu.clone(), &mut gm).unwrap(), "{name}: trains on the GPU");
            let ev = s.run_all(&mut gm).unwrap();
            assert!(!ev.iter().any(|e| matches!(e, Event::DeviceLost { .. })), "{name}: stays on the GPU: {ev:?}");
            let mut s = FitSession::new(&cm, x.clone(), y.clone(), None, opts).unwrap();
            s.run_all(&mut cm).unwrap();
            let keras = run["weights_after"][1].as_array().unwrap();
            for ((g, c), k) in gm.weights.iter().zip(&cm.weights).zip(keras) {
                let what = format!("{name} run {r} {}", g.name);
                common::assert_near(&format!("{what} (GPU vs Keras)"), &g.value.data, &common::tensor(k), 1e-4);
                for (a, b) in g.value.data.iter().zip(&c.value.data) {
                    assert!(close(*a, *b, 1e-4), "{what}: gpu {a} cpu {b}");
                }
            }
        }
    }
}

//! Functional models (`tf.model`): two inputs, two outputs with a loss each, a layer shared by
//! two calls, a concatenation and a residual add. They train on the CPU, the GPU gives the same
//! numbers, and wiring mistakes are refused naming the layer and the shapes.

use hebb::model::trainer::{self, Event, FitOptions, FitSession};
use hebb::model::{Compiled, Head, LossFn, MetricFn, Ref, Sequential};
use hebb::nn;
use hebb::optim::{Kind, Optimizer};
use hebb::rng::Rng;
use hebb::tensor::{DType, Tensor};
use hebb::{losses::Loss, metrics::Metric};
use serde_json::json;


use common::gpu;

mod common;

fn layer(class: &str, cfg: serde_json::Value) -> Box<dyn nn::Layer> {
    nn::from_config(class, &cfg).unwrap()
}

/// a:[4] -> dense(8) ; b:[3] -> dense(8) ; shared dense(8) on both ; concat ; dense(8) + residual
/// add with the shared output of a ; heads: softmax(3) 'cls' and linear(1) 'reg'.
fn model(seed: u64) -> Sequential {
    let layers = vec![
        layer("InputLayer", json!({"name": "a", "inputShape": [4]})),
        layer("InputLayer", json!({"name": "b", "inputShape": [3]})),
        layer("Dense", json!({"name": "da", "units": 8, "activation": "relu"})),
        layer("Dense", json!({"name": "db", "units": 8, "activation": "relu"})),
        layer("Dense", json!({"name": "shared", "units": 8, "activation": "tanh"})),
        layer("Concatenate", json!({"name": "cat"})),
        layer("Dense", json!({"name": "mix", "units": 8})),
        layer("Add", json!({"name": "res"})),
        layer("Dense", json!({"name": "cls", "units": 3, "activation": "softmax"})),
        layer("Dense", json!({"name": "reg", "units": 1})),
    ];
    let nodes = vec![
        (2, vec![Ref::Input(0)]),                    // 0 da(a)
        (3, vec![Ref::Input(1)]),                    // 1 db(b)
        (4, vec![Ref::Node(0, 0)]),                  // 2 shared(da)
        (4, vec![Ref::Node(1, 0)]),                  // 3 shared(db)
        (5, vec![Ref::Node(2, 0), Ref::Node(3, 0)]), // 4 cat
        (6, vec![Ref::Node(4, 0)]),                  // 5 mix
        (7, vec![Ref::Node(5, 0), Ref::Node(2, 0)]), // 6 res
        (8, vec![Ref::Node(6, 0)]),                  // 7 cls
        (9, vec![Ref::Node(6, 0)]),                  // 8 reg
    ];
    let mut m = Sequential::functional(seed, layers, vec![(0, DType::F32), (1, DType::F32)], nodes, vec![Ref::Node(7, 0), Ref::Node(8, 0)])
        .unwrap();
    m.compile(Compiled {
        heads: vec![
            Head {
                loss: LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()),
                weight: 1.0,
                metrics: vec![(MetricFn::Builtin(Metric::CategoricalAccuracy), "acc".into())],
            },
            Head { loss: LossFn::Builtin(Loss::MeanSquaredError, Default::default()), weight: 0.5, metrics: vec![] },
        ],
        optimizer: Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.02),
        output_names: vec!["cls".into(), "reg".into()],
    });
    m.set_y_layout(vec![(vec![3], DType::F32), (vec![1], DType::F32)]);
    m
}

/// Packed data: x = [a(4) | b(3)], y = [one-hot class(3) | target(1)]. The class is the argmax
/// of a[0..3] + b; the target is sum(a) - b[0].
fn data(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = Rng::new(seed);
    let (mut x, mut y) = (vec![], vec![]);
    for _ in 0..n {
        let a: Vec<f32> = (0..4).map(|_| rng.uniform() * 2.0 - 1.0).collect();
        let b: Vec<f32> = (0..3).map(|_| rng.uniform() * 2.0 - 1.0).collect();
        let s: Vec<f32> = (0..3).map(|i| a[i] + b[i]).collect();
        let c = (0..3).max_by(|&i, &j| s[i].total_cmp(&s[j])).unwrap();
        x.extend(&a);
        x.extend(&b);
        y.extend((0..3).map(|k| (k == c) as u8 as f32));
        y.push(a.iter().sum::<f32>() - b[0]);
    }
    (Tensor::new(vec![n, 7], x).unwrap(), Tensor::new(vec![n, 4], y).unwrap())
}

/// The error building a functional model with these layers, inputs, call nodes and outputs gives.
fn wiring_error(layers: Vec<Box<dyn nn::Layer>>, inputs: Vec<(usize, DType)>, nodes: Vec<(usize, Vec<Ref>)>, outputs: Vec<Ref>) -> String {
    Sequential::functional(1, layers, inputs, nodes, outputs).err().expect("the wiring is refused").to_string()
}

fn epochs(events: &[Event]) -> Vec<Vec<f32>> {
    events.iter().filter_map(|e| if let Event::EpochEnd { values, .. } = e { Some(values.clone()) } else { None }).collect()
}

#[test]
fn two_inputs_two_outputs_train_with_a_loss_each() {
    let mut m = model(5);
    assert_eq!(m.compiled.as_ref().unwrap().keys(), ["loss", "cls_loss", "reg_loss", "cls_acc"]);
    // The shared layer's weights exist once: 4*8+8 + 3*8+8 + 8*8+8 + 16*8+8 + 8*3+3 + 8+1.
    let (t, n) = m.count_params();
    assert_eq!((t, n), (40 + 32 + 72 + 136 + 27 + 9, 0));
    let (x, y) = data(600, 1);
    let mut s = FitSession::new(&m, x, y, None, FitOptions::new(40, 32)).unwrap();
    let ev = epochs(&s.run_all(&mut m).unwrap());
    let (first, last) = (&ev[0], &ev[ev.len() - 1]);
    // The total is the weighted sum of the heads' losses (weights 1 and 0.5), per batch, so the
    // epoch means agree too.
    assert!((last[0] - (last[1] + 0.5 * last[2])).abs() < 1e-4, "{last:?}");
    assert!(last[1] < 0.5 * first[1] && last[2] < 0.2 * first[2], "first {first:?} last {last:?}");
    let (xt, yt) = data(300, 2);
    let v = trainer::evaluate(&mut m, &xt, &yt, 64).unwrap();
    assert!(v[3] >= 0.85, "held-out accuracy {}", v[3]);
    assert!(v[2] < 0.1, "held-out regression mse {}", v[2]);
    // predict packs both outputs side by side: [softmax(3) | reg(1)].
    let p = trainer::predict(&mut m, &xt, 64).unwrap();
    assert_eq!(p.shape, [300, 4]);
    for r in 0..300 {
        let s: f32 = p.data[r * 4..r * 4 + 3].iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
    }
}

#[test]
fn functional_training_on_the_gpu_matches_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let (mut cpu, mut gm) = (model(7), model(7));
    let (x, y) = data(200, 3);
    let opts = FitOptions::new(3, 32);
    let mut sc = FitSession::new(&cpu, x.clone(), y.clone(), None, opts.clone()).unwrap();
    let ce = epochs(&sc.run_all(&mut cpu).unwrap());
    let mut sg = FitSession::new(&gm, x, y, None, opts).unwrap();
    assert!(sg.use_gpu(gpu, &mut gm).unwrap());
    let ge = epochs(&sg.run_all(&mut gm).unwrap());
    for (a, b) in ce.iter().zip(&ge) {
        for (u, v) in a.iter().zip(b) {
            assert!((u - v).abs() <= 1e-3 * (1.0 + u.abs()), "cpu {a:?} gpu {b:?}");
        }
    }
    for (wc, wg) in cpu.weights.iter().zip(&gm.weights) {
        for (u, v) in wc.value.data.iter().zip(&wg.value.data) {
            assert!((u - v).abs() <= 1e-3 * (1.0 + u.abs()), "{}: cpu {u} gpu {v}", wc.name);
        }
    }
}

#[test]
fn wiring_mistakes_name_the_layer_and_shapes() {
    let input = |name: &str, n: usize| layer("InputLayer", json!({"name": name, "inputShape": [n]}));
    // A shared layer called on two different shapes.
    let err = wiring_error(
        vec![input("a", 4), input("b", 3), layer("Dense", json!({"name": "d", "units": 2}))],
        vec![(0, DType::F32), (1, DType::F32)],
        vec![(2, vec![Ref::Input(0)]), (2, vec![Ref::Input(1)])],
        vec![Ref::Node(0, 0), Ref::Node(1, 0)],
    );
    assert!(err.contains("Dense 'd'") && err.contains("[null,4]") && err.contains("[null,3]"), "{err}");
    // Concatenating incompatible shapes.
    let err = wiring_error(
        vec![
            layer("InputLayer", json!({"name": "a", "inputShape": [2, 4]})),
            layer("InputLayer", json!({"name": "b", "inputShape": [3, 3]})),
            layer("Concatenate", json!({"name": "c"})),
        ],
        vec![(0, DType::F32), (1, DType::F32)],
        vec![(2, vec![Ref::Input(0), Ref::Input(1)])],
        vec![Ref::Node(0, 0)],
    );
    assert!(err.contains("Concatenate 'c'") && err.contains("[null,2,4], [null,3,3]"), "{err}");
    // A single-input layer given two inputs.
    let err = wiring_error(
        vec![input("a", 4), input("b", 4), layer("Dense", json!({"name": "d", "units": 2}))],
        vec![(0, DType::F32), (1, DType::F32)],
        vec![(2, vec![Ref::Input(0), Ref::Input(1)])],
        vec![Ref::Node(0, 0)],
    );
    assert!(err.contains("Dense 'd'") && err.contains("single input"), "{err}");
}

/// MultiHeadAttention with kernelConstraint maxNorm and biasConstraint nonNeg in a functional
/// model: after training (on the CPU, and on the GPU when there is one, with the same numbers)
/// every projection kernel's slices are within the norm and every bias is non-negative.
#[test]
fn attention_kernels_and_biases_keep_their_constraints() {
    let build = || {
        let layers = vec![
            layer("InputLayer", json!({"name": "seq", "inputShape": [4, 6]})),
            layer(
                "MultiHeadAttention",
                json!({"name": "mha", "numHeads": 2, "keyDim": 3, "kernelConstraint": {"className": "MaxNorm", "config": {"maxValue": 0.3}}, "biasConstraint": "nonNeg"}),
            ),
            layer("GlobalAveragePooling1D", json!({"name": "pool"})),
            layer("Dense", json!({"name": "out", "units": 2})),
        ];
        let nodes = vec![(1, vec![Ref::Input(0), Ref::Input(0)]), (2, vec![Ref::Node(0, 0)]), (3, vec![Ref::Node(1, 0)])];
        let mut m = Sequential::functional(5, layers, vec![(0, DType::F32)], nodes, vec![Ref::Node(2, 0)]).unwrap();
        m.compile(hebb::model::Compiled::new(
            LossFn::Builtin(Loss::MeanSquaredError, Default::default()),
            vec![],
            Optimizer::new(Kind::Sgd, 0.1),
        ));
        m
    };
    let mut rng = Rng::new(3);
    let x = Tensor::new(vec![16, 4, 6], (0..16 * 24).map(|_| rng.uniform() * 2.0 - 1.0).collect()).unwrap();
    let y = Tensor::new(vec![16, 2], (0..32).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect()).unwrap();
    let check = |m: &Sequential, what: &str| {
        for w in m.weights.iter().filter(|w| w.name.starts_with("mha/")) {
            let s = &w.value.shape;
            assert!(w.constraint.is_some(), "{what} {}: constrained", w.name);
            if w.name.ends_with("kernel") {
                // Kernels [features, heads, dim] or [heads, dim, features]: norms over axis 0.
                let inner: usize = s[1..].iter().product();
                for j in 0..inner {
                    let n = (0..s[0]).map(|i| w.value.data[i * inner + j].powi(2)).sum::<f32>().sqrt();
                    assert!(n <= 0.3 + 1e-5, "{what} {} slice {j}: norm {n}", w.name);
                }
            } else {
                assert!(w.value.data.iter().all(|v| *v >= 0.0), "{what} {}: {:?}", w.name, w.value.data);
            }
        }
    };
    let mut cpu = build();
    let before = cpu.weights.iter().map(|w| w.value.data.clone()).collect::<Vec<_>>();
    let mut s = FitSession::new(&cpu, x.clone(), y.clone(), None, FitOptions::new(3, 8)).unwrap();
    let ev = epochs(&s.run_all(&mut cpu).unwrap());
    assert!(ev.iter().all(|e| e[0].is_finite()) && ev[2][0] < ev[0][0], "losses {ev:?}");
    check(&cpu, "cpu");
    assert!(cpu.weights.iter().zip(&before).all(|(w, b)| w.value.data != *b), "every weight trained");
    let Some(gpu) = gpu() else { return };
    let mut gm = build();
    let mut s = FitSession::new(&gm, x, y, None, FitOptions::new(3, 8)).unwrap();
    assert!(s.use_gpu(gpu, &mut gm).unwrap());
    s.run_all(&mut gm).unwrap();
    check(&gm, "gpu");
    for (wc, wg) in cpu.weights.iter().zip(&gm.weights) {
        for (u, v) in wc.value.data.iter().zip(&wg.value.data) {
            assert!((u - v).abs() <= 1e-3 * (1.0 + u.abs()), "{}: cpu {u} gpu {v}", wc.name);
        }
    }
}

/// An ACGAN's conditioning: a label embedding [null, 1, 16] times a latent vector [null, 16].
/// Keras 3 gives the lower-rank input a size-1 axis after the batch axis, so the product is
/// [null, 1, 16]; predict agrees with that arithmetic done by hand, training runs on the CPU (and
/// on the GPU with the same numbers), and shapes that do not broadcast name the layer.
#[test]
fn merge_inputs_of_different_ranks_broadcast_in_a_model() {
    let build = || {
        let layers = vec![
            layer("InputLayer", json!({"name": "z", "inputShape": [16]})),
            layer("InputLayer", json!({"name": "label", "inputShape": [1]})),
            layer("Embedding", json!({"name": "emb", "inputDim": 10, "outputDim": 16})),
            layer("Multiply", json!({"name": "cond"})),
            layer("Flatten", json!({"name": "flat"})),
            layer("Dense", json!({"name": "out", "units": 1})),
        ];
        let nodes = vec![
            (2, vec![Ref::Input(1)]),                  // 0 emb(label): [null, 1, 16]
            (3, vec![Ref::Input(0), Ref::Node(0, 0)]), // 1 z * emb: [null, 1, 16]
            (4, vec![Ref::Node(1, 0)]),                // 2 flat: [null, 16]
            (5, vec![Ref::Node(2, 0)]),                // 3 out
        ];
        let mut m = Sequential::functional(3, layers, vec![(0, DType::F32), (1, DType::F32)], nodes, vec![Ref::Node(3, 0)]).unwrap();
        m.compile(Compiled::new(LossFn::Builtin(Loss::MeanSquaredError, Default::default()), vec![], Optimizer::new(Kind::Sgd, 0.05)));
        m
    };
    let mut m = build();
    assert_eq!(m.output_shape().unwrap(), [1]);
    let mut rng = Rng::new(4);
    let n = 64;
    let (mut x, mut y) = (vec![], vec![]);
    for i in 0..n {
        x.extend((0..16).map(|_| rng.uniform() * 2.0 - 1.0));
        x.push((i % 10) as f32);
        y.push(rng.uniform());
    }
    let (x, y) = (Tensor::new(vec![n, 17], x).unwrap(), Tensor::new(vec![n, 1], y).unwrap());
    // predict = sum_k z[k] * emb[label][k] * kernel[k] + bias.
    let p = trainer::predict(&mut m, &x, 16).unwrap();
    let w = |name: &str| m.weights.iter().find(|w| w.name.contains(name)).unwrap().value.data.clone();
    let (emb, kernel, bias) = (w("emb/embeddings"), w("out/kernel"), w("out/bias"));
    for r in 0..n {
        let (z, label) = (&x.data[r * 17..r * 17 + 16], x.data[r * 17 + 16] as usize);
        let want: f32 = (0..16).map(|k| z[k] * emb[label * 16 + k] * kernel[k]).sum::<f32>() + bias[0];
        assert!((p.data[r] - want).abs() <= 1e-5 * (1.0 + want.abs()), "row {r}: {} vs {want}", p.data[r]);
    }
    let mut s = FitSession::new(&m, x.clone(), y.clone(), None, FitOptions::new(3, 16)).unwrap();
    let ce = epochs(&s.run_all(&mut m).unwrap());
    assert!(ce.iter().all(|e| e[0].is_finite()), "{ce:?}");
    if let Some(gpu) = gpu() {
        let mut gm = build();
        let mut sg = FitSession::new(&gm, x, y, None, FitOptions::new(3, 16)).unwrap();
        assert!(sg.use_gpu(gpu, &mut gm).unwrap());
        let ge = epochs(&sg.run_all(&mut gm).unwrap());
        for (a, b) in ce.iter().zip(&ge) {
            assert!((a[0] - b[0]).abs() <= 1e-4 * (1.0 + a[0].abs()), "cpu {a:?} gpu {b:?}");
        }
    }
    // [null, 4] becomes [null, 1, 4]; its 4 meets the other input's 3.
    let err = wiring_error(
        vec![
            layer("InputLayer", json!({"name": "a", "inputShape": [4]})),
            layer("InputLayer", json!({"name": "b", "inputShape": [4, 3]})),
            layer("Add", json!({"name": "sum"})),
        ],
        vec![(0, DType::F32), (1, DType::F32)],
        vec![(2, vec![Ref::Input(0), Ref::Input(1)])],
        vec![Ref::Node(0, 0)],
    );
    assert!(err.contains("Add 'sum'") && err.contains("[null,4], [null,4,3]"), "{err}");
}

/// CategoryEncoding reading the model's input: token ids out of [0, numTokens) are refused by
/// fit and predict before any kernel runs, naming the layer, the id and the sample.
#[test]
fn category_encoding_refuses_token_ids_out_of_range() {
    let mut m = Sequential::new(1);
    m.add(layer("CategoryEncoding", json!({"name": "enc", "numTokens": 5, "outputMode": "count"})), Some(vec![3])).unwrap();
    m.add(layer("Dense", json!({"name": "d", "units": 2})), None).unwrap();
    m.compile(Compiled::new(LossFn::Builtin(Loss::MeanSquaredError, Default::default()), vec![], Optimizer::new(Kind::Sgd, 0.1)));
    let good = Tensor::new(vec![2, 3], vec![0., 4., 4., 1., 2., 3.]).unwrap();
    assert_eq!(trainer::predict(&mut m, &good, 2).unwrap().shape, [2, 2]);
    for bad in [5.0, -1.0] {
        let x = Tensor::new(vec![2, 3], vec![0., 4., 4., 1., bad, 3.]).unwrap();
        let err = trainer::predict(&mut m, &x, 2).unwrap_err().to_string();
        assert!(err.contains("CategoryEncoding 'enc'") && err.contains("sample 1") && err.contains("predict"), "{err}");
        let y = Tensor::new(vec![2, 2], vec![0.; 4]).unwrap();
        let err = FitSession::new(&m, x, y, None, FitOptions::new(1, 2)).and_then(|mut s| s.run_all(&mut m)).err().unwrap().to_string();
        assert!(err.contains("CategoryEncoding 'enc'"), "{err}");
    }
}

/// Issue 12's report: tokens -> Embedding -> GlobalMaxPooling1D beside a Dense branch,
/// concatenated, a Dense with a residual Add, a sigmoid head. `mask` turns Embedding's maskZero on.
fn text_model(seed: u64, mask: bool, sgd: bool) -> Sequential {
    let layers = vec![
        layer("InputLayer", json!({"name": "tok", "inputShape": [12], "dtype": "int32"})),
        layer("InputLayer", json!({"name": "num", "inputShape": [3]})),
        layer("Embedding", json!({"name": "emb", "inputDim": 40, "outputDim": 8, "maskZero": mask})),
        layer("GlobalMaxPooling1D", json!({"name": "gmp"})),
        layer("Dense", json!({"name": "dn", "units": 8, "activation": "relu"})),
        layer("Concatenate", json!({"name": "cat"})),
        layer("Dense", json!({"name": "mix", "units": 16, "activation": "relu"})),
        layer("Add", json!({"name": "res"})),
        layer("Dense", json!({"name": "out", "units": 1, "activation": "sigmoid"})),
    ];
    let nodes = vec![
        (2, vec![Ref::Input(0)]),
        (3, vec![Ref::Node(0, 0)]),
        (4, vec![Ref::Input(1)]),
        (5, vec![Ref::Node(1, 0), Ref::Node(2, 0)]),
        (6, vec![Ref::Node(3, 0)]),
        (7, vec![Ref::Node(4, 0), Ref::Node(3, 0)]),
        (8, vec![Ref::Node(5, 0)]),
    ];
    let mut m = Sequential::functional(seed, layers, vec![(0, DType::I32), (1, DType::F32)], nodes, vec![Ref::Node(6, 0)]).unwrap();
    let opt = if sgd {
        Optimizer::new(Kind::Sgd, 1.0)
    } else {
        Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01)
    };
    m.compile(Compiled::new(
        LossFn::Builtin(Loss::BinaryCrossentropy, Default::default()),
        vec![(MetricFn::Builtin(Metric::BinaryAccuracy), "acc".into())],
        opt,
    ));
    m
}

/// Zero-padded token rows of varying length (ids 1..39, repeats included) and 3 numbers; the
/// label: a token below 4 occurs, or the first number is large.
fn text_data(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = Rng::new(seed);
    let (mut x, mut y) = (vec![], vec![]);
    for _ in 0..n {
        let len = 3 + (rng.uniform() * 9.0) as usize;
        let toks: Vec<f32> = (0..12).map(|k| if k < len { 1.0 + (rng.uniform() * 39.0).floor().min(38.0) } else { 0.0 }).collect();
        let num: Vec<f32> = (0..3).map(|_| rng.uniform() * 2.0 - 1.0).collect();
        let label = toks.iter().any(|&t| t > 0.0 && t < 4.0) || num[0] > 0.6;
        x.extend(&toks);
        x.extend(&num);
        y.push(label as u8 as f32);
    }
    (Tensor::new(vec![n, 15], x).unwrap(), Tensor::new(vec![n, 1], y).unwrap())
}

/// The gradients of the model agree on the CPU and the GPU (one SGD step at rate 1 moves
/// each weight by minus its gradient), with and without masking; and training with shuffling
/// sees the same batches on both devices, so whole runs agree.
#[test]
fn an_embedding_max_pool_residual_model_has_the_same_gradients_on_the_cpu_and_the_gpu() {
    let Some(gpu) = gpu() else { return };
    for mask in [false, true] {
        let (x, y) = text_data(64, 9);
        let (mut cpu, mut gm) = (text_model(3, mask, true), text_model(3, mask, true));
        let start: Vec<Vec<f32>> = cpu.weights.iter().map(|w| w.value.data.clone()).collect();
        let opts = FitOptions::new(1, 64);
        let mut sc = FitSession::new(&cpu, x.clone(), y.clone(), None, opts.clone()).unwrap();
        sc.run_all(&mut cpu).unwrap();
        let mut sg = FitSession::new(&gm, x.clone(), y.clone(), None, opts).unwrap();
        assert!(sg.use_gpu(gpu.clone(), &mut gm).unwrap());
        sg.run_all(&mut gm).unwrap();
        let mut moved = 0.0f32;
        for ((wc, wg), s) in cpu.weights.iter().zip(&gm.weights).zip(&start) {
            let scale = wc.value.data.iter().zip(s).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            moved = moved.max(scale);
            for ((a, b), s0) in wc.value.data.iter().zip(&wg.value.data).zip(s) {
                let (ga, gb) = (s0 - a, s0 - b);
                assert!((ga - gb).abs() <= 1e-4 * (1.0 + scale), "mask {mask}, {}: gradient cpu {ga} gpu {gb}", wc.name);
            }
        }
        assert!(moved > 1e-3, "the step moved the weights");
    }
    // Adam, 3 epochs with shuffling and a validation split: the same numbers on both devices.
    let (x, y) = text_data(300, 4);
    let (mut cpu, mut gm) = (text_model(5, false, false), text_model(5, false, false));
    let opts = FitOptions { shuffle: true, validation_split: 0.2, seed: 7, ..FitOptions::new(3, 32) };
    let mut sc = FitSession::new(&cpu, x.clone(), y.clone(), None, opts.clone()).unwrap();
    let ce = epochs(&sc.run_all(&mut cpu).unwrap());
    let mut sg = FitSession::new(&gm, x, y, None, opts).unwrap();
    assert!(sg.use_gpu(gpu, &mut gm).unwrap());
    let ge = epochs(&sg.run_all(&mut gm).unwrap());
    for (a, b) in ce.iter().zip(&ge) {
        for (u, v) in a.iter().zip(b) {
            assert!((u - v).abs() <= 1e-3 * (1.0 + u.abs()), "epoch logs cpu {a:?} gpu {b:?}");
        }
    }
}

/// A Sequential model is the same graph of layer calls `tf.model` makes: `add` calls each new
/// layer on the last one's output; it predicts what the functional model with the same weights
/// predicts, and sums itself up in TF.js's Sequential layout.
#[test]
fn sequential_add_builds_the_graph_a_functional_model_has() {
    let mut s = Sequential::new(3);
    s.add(layer("Dense", json!({"name": "h", "units": 5, "activation": "tanh"})), Some(vec![4])).unwrap();
    s.add(layer("Dense", json!({"name": "o", "units": 2})), None).unwrap();
    let t = s.topo.as_ref().expect("add builds the graph");
    assert_eq!(t.inputs.len(), 1);
    assert_eq!(t.inputs[0].layer, None, "the input is declared by the first layer");
    assert_eq!(
        t.nodes.iter().map(|n| (n.layer, n.inputs.clone())).collect::<Vec<_>>(),
        vec![(0, vec![Ref::Input(0)]), (1, vec![Ref::Node(0, 0)])]
    );
    assert_eq!(t.outputs, vec![Ref::Node(1, 0)]);
    let f = Sequential::functional(
        3,
        vec![
            layer("InputLayer", json!({"name": "x", "inputShape": [4]})),
            layer("Dense", json!({"name": "h", "units": 5, "activation": "tanh"})),
            layer("Dense", json!({"name": "o", "units": 2})),
        ],
        vec![(0, DType::F32)],
        vec![(1, vec![Ref::Input(0)]), (2, vec![Ref::Node(0, 0)])],
        vec![Ref::Node(1, 0)],
    )
    .unwrap();
    let mut f = f;
    for (dst, src) in f.weights.iter_mut().zip(&s.weights) {
        dst.value = src.value.clone();
    }
    let x = Tensor::new(vec![3, 4], (0..12).map(|i| (i as f32 * 0.3).sin()).collect()).unwrap();
    assert_eq!(trainer::predict(&mut s, &x, 3).unwrap().data, trainer::predict(&mut f, &x, 3).unwrap().data);
    assert!(s.chain_like());
    let (width, stops) = s.summary_defaults();
    let lines = s.summary_lines_with(width, &stops);
    assert!(lines.iter().any(|l| l.starts_with("h (Dense)")), "{lines:#?}");
    assert!(!lines.iter().any(|l| l.contains("Receives inputs")));
}

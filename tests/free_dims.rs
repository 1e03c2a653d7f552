//! Inputs with free dims (TF.js's `inputShape: [null, 3]`): the layers are built for each
//! number of steps a run brings, over the same weights, and give what a model built for that
//! fixed shape gives; training at one length and then another keeps the weights and the
//! optimizer's state; weights that would depend on a free dim are refused, naming the layer.

use hebb::model::trainer::{self, FitOptions, FitSession};
use hebb::model::{Compiled, Head, LossFn, Ref, Sequential};
use hebb::nn;
use hebb::optim::{Kind, Optimizer};
use hebb::rng::Rng;
use hebb::tensor::{DType, Tensor};
use hebb::losses::Loss;
use serde_json::{json, Value};

fn layer(class: &str, cfg: Value) -> Box<dyn nn::Layer> {
    nn::from_config(class, &cfg).unwrap()
}

/// x:[T,3] -> LSTM(4, sequences) -> Dense(2) per step, and a second head: GRU(3) -> Dense(1).
fn seq_model(steps: Option<usize>) -> Sequential {
    let layers = vec![
        layer("InputLayer", json!({"name": "x", "batchInputShape": [null, steps, 3]})),
        layer("LSTM", json!({"name": "lstm", "units": 4, "returnSequences": true})),
        layer("Dense", json!({"name": "per_step", "units": 2})),
        layer("GRU", json!({"name": "gru", "units": 3})),
        layer("Dense", json!({"name": "last", "units": 1})),
    ];
    let nodes = vec![(1, vec![Ref::Input(0)]), (2, vec![Ref::Node(0, 0)]), (3, vec![Ref::Input(0)]), (4, vec![Ref::Node(2, 0)])];
    Sequential::functional(3, layers, vec![(0, DType::F32)], nodes, vec![Ref::Node(1, 0), Ref::Node(3, 0)]).unwrap()
}

fn random(shape: Vec<usize>, seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let n = shape.iter().product();
    Tensor::new(shape, (0..n).map(|_| rng.uniform() * 2.0 - 1.0).collect()).unwrap()
}

fn weights(m: &Sequential) -> Vec<Tensor> {
    m.weights.iter().filter(|w| !w.carry).map(|w| w.value.clone()).collect()
}

#[test]
fn free_steps_predict_as_a_model_of_that_length() {
    let mut free = seq_model(None);
    // The shapes a user sees keep the free dim.
    let (ins, outs) = free.shown_shapes(1);
    assert_eq!(ins, vec![vec![None, Some(3)]]);
    assert_eq!(outs, vec![vec![None, Some(4)]]);
    assert_eq!(free.shown_shapes(3).1, vec![vec![Some(3)]]);
    let summary = free.summary_lines().join("\n");
    assert!(summary.contains("[null,null,4]") && summary.contains("[null,null,2]"), "{summary}");
    for steps in [5, 7, 5, 1] {
        let x = random(vec![2, steps, 3], steps as u64);
        free.use_input_shapes(&[vec![steps, 3]]).unwrap();
        let got = trainer::predict(&mut free, &x, 2).unwrap();
        let mut fixed = seq_model(Some(steps));
        fixed.set_weights(weights(&free)).unwrap();
        let want = trainer::predict(&mut fixed, &x, 2).unwrap();
        assert_eq!(got.shape, [2, steps * 2 + 1], "{steps} steps: outputs packed side by side");
        assert_eq!(got.shape, want.shape);
        for (a, b) in got.data.iter().zip(&want.data) {
            assert!((a - b).abs() < 1e-6, "{steps} steps: {a} vs {b}");
        }
    }
}

#[test]
fn training_at_two_lengths_keeps_the_weights_and_the_optimizer() {
    let compile = |m: &mut Sequential| {
        m.compile(Compiled {
            heads: vec![
                Head { loss: LossFn::Builtin(Loss::MeanSquaredError, Default::default()), weight: 1.0, metrics: vec![] },
                Head { loss: LossFn::Builtin(Loss::MeanSquaredError, Default::default()), weight: 1.0, metrics: vec![] },
            ],
            optimizer: Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01),
            output_names: vec!["per_step".into(), "last".into()],
        });
    };
    let mut free = seq_model(None);
    compile(&mut free);
    // The same two fits on models of fixed lengths 6 and then 4 (one model each, with the
    // weights and optimizer moved across by hand) must agree with the free model's.
    let run = |m: &mut Sequential, steps: usize, seed: u64| {
        let x = random(vec![8, steps, 3], seed);
        let y = random(vec![8, steps * 2 + 1], seed + 100);
        m.set_y_layout(vec![(vec![steps, 2], DType::F32), (vec![1], DType::F32)]);
        let mut s = FitSession::new(m, x, y, None, FitOptions::new(2, 4)).unwrap();
        s.run_all(m).unwrap();
    };
    free.use_input_shapes(&[vec![6, 3]]).unwrap();
    run(&mut free, 6, 1);
    let after6 = weights(&free);
    free.use_input_shapes(&[vec![4, 3]]).unwrap();
    run(&mut free, 4, 2);

    let mut a = seq_model(Some(6));
    compile(&mut a);
    a.set_weights(weights(&seq_model(None))).unwrap();
    run(&mut a, 6, 1);
    for (u, v) in weights(&a).iter().zip(&after6) {
        assert_eq!(u.data, v.data, "the first fit at 6 steps");
    }
    let mut b = seq_model(Some(4));
    compile(&mut b);
    b.set_weights(weights(&a)).unwrap();
    // Adam's moments and step count carry over, as within one model.
    b.compiled.as_mut().unwrap().optimizer = a.compiled.take().unwrap().optimizer;
    run(&mut b, 4, 2);
    for (u, v) in weights(&b).iter().zip(&weights(&free)) {
        for (p, q) in u.data.iter().zip(&v.data) {
            assert!((p - q).abs() < 1e-6, "after the second fit: {p} vs {q}");
        }
    }
}

#[test]
fn a_chain_with_free_steps_and_a_stateful_lstm() {
    // TF.js's text generation: batchInputShape [1, null, 6] on a stateful LSTM.
    let mut m = Sequential::new(1);
    m.add_with_free(layer("LSTM", json!({"name": "l", "units": 5, "stateful": true, "batchInputShape": [1, null, 6], "returnSequences": true})), Some(vec![None, Some(6)]))
        .unwrap();
    m.add_with_free(layer("Dense", json!({"name": "d", "units": 6})), None).unwrap();
    assert_eq!(m.shown_shapes(1).1, vec![vec![None, Some(6)]]);
    // Feeding 3 steps then 1 step continues from the carried state, as feeding 4 at once does.
    let x = random(vec![1, 4, 6], 9);
    m.use_input_shapes(&[vec![4, 6]]).unwrap();
    let all = trainer::predict(&mut m, &x, 1).unwrap();
    m.reset_states(None);
    let first = Tensor::new(vec![1, 3, 6], x.data[..18].to_vec()).unwrap();
    let last = Tensor::new(vec![1, 1, 6], x.data[18..].to_vec()).unwrap();
    m.use_input_shapes(&[vec![3, 6]]).unwrap();
    trainer::predict(&mut m, &first, 1).unwrap();
    m.use_input_shapes(&[vec![1, 6]]).unwrap();
    let step = trainer::predict(&mut m, &last, 1).unwrap();
    for (a, b) in step.data.iter().zip(&all.data[18..]) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn weights_that_depend_on_a_free_dim_and_wrong_fixed_dims_are_refused() {
    let mut m = Sequential::new(1);
    m.add_with_free(layer("InputLayer", json!({"name": "x", "batchInputShape": [null, null, 3]})), Some(vec![None, Some(3)])).unwrap();
    m.add_with_free(layer("Flatten", json!({"name": "f"})), None).unwrap();
    let e = m.add_with_free(layer("Dense", json!({"name": "d", "units": 2})), None).unwrap_err().to_string();
    assert!(e.contains("Dense 'd'") && e.contains("[null,null]") && e.contains("not fully defined"), "{e}");
    // The refused layer is not in the model; a global pooling instead of Flatten works.
    assert_eq!(m.layers.len(), 2);
    let e = m.use_input_shapes(&[vec![5, 4]]).unwrap_err().to_string();
    assert!(e.contains("[null,null,3]") && e.contains("[null,5,4]"), "{e}");
    // Shape inference for a layer called on a free dim.
    let inferred = nn::free::infer(|| nn::from_config("Conv1D", &json!({"name": "c", "filters": 2, "kernelSize": 3, "strides": 2})), &[vec![None, Some(3)]]).unwrap();
    assert_eq!(inferred.outputs, vec![vec![None, Some(2)]]);
    assert_eq!(inferred.weights, vec![vec![3, 3, 2], vec![2]]);
    let inferred = nn::free::infer(|| nn::from_config("GlobalAveragePooling1D", &json!({"name": "g"})), &[vec![None, Some(3)]]).unwrap();
    assert_eq!(inferred.outputs, vec![vec![Some(3)]]);
}

/// image [6, 8, 2] -> RandomWidth(factor) -> Conv2D(3, 3x3, same) -> global average -> Dense(2),
/// built as the JS API builds a Sequential (add_with_free), or without the RandomWidth layer.
fn random_width_model(factor: Option<Value>) -> Sequential {
    let mut m = Sequential::new(4);
    m.add_with_free(layer("InputLayer", json!({"name": "img", "batchInputShape": [null, 6, 8, 2]})), Some(vec![Some(6), Some(8), Some(2)])).unwrap();
    if let Some(f) = factor {
        m.add_with_free(layer("RandomWidth", json!({"name": "rw", "factor": f})), None).unwrap();
    }
    m.add_with_free(layer("Conv2D", json!({"name": "c", "filters": 3, "kernelSize": 3, "padding": "same", "activation": "relu"})), None).unwrap();
    m.add_with_free(layer("GlobalAveragePooling2D", json!({"name": "g"})), None).unwrap();
    m.add_with_free(layer("Dense", json!({"name": "d", "units": 2})), None).unwrap();
    m.compile(hebb::model::Compiled::new(
        LossFn::Builtin(Loss::MeanSquaredError, Default::default()),
        vec![],
        Optimizer::new(Kind::Sgd, 0.05),
    ));
    m
}

use common::gpu;

mod common;

#[test]
fn random_width_resizes_in_training_only_with_the_same_widths_on_both_devices() {
    let fit = |m: &mut Sequential, on_gpu: bool| -> Vec<f32> {
        let x = random(vec![12, 6, 8, 2], 1);
        let y = random(vec![12, 2], 2);
        let mut s = FitSession::new(m, x, y, None, FitOptions::new(3, 4)).unwrap();
        if on_gpu {
            assert!(s.use_gpu(gpu().unwrap(), m).unwrap());
        }
        let ev = s.run_all(m).unwrap();
        ev.iter().filter_map(|e| if let hebb::model::trainer::Event::EpochEnd { values, .. } = e { Some(values[0]) } else { None }).collect()
    };
    let mut rw = random_width_model(Some(json!(0.5)));
    // The width after the layer is free (null), as in Keras; the weights do not depend on it.
    assert_eq!(rw.shown_shapes(1).1, vec![vec![Some(6), None, Some(2)]]);
    assert_eq!(rw.shown_shapes(2).1, vec![vec![Some(6), None, Some(3)]]);
    assert_eq!(rw.shown_shapes(3).1, vec![vec![Some(3)]]);
    let start = weights(&rw);
    // Inference passes the images through: the same predictions as without the layer.
    let mut plain = random_width_model(None);
    plain.set_weights(start.clone()).unwrap();
    let x = random(vec![3, 6, 8, 2], 3);
    assert_eq!(trainer::predict(&mut rw, &x, 3).unwrap().data, trainer::predict(&mut plain, &x, 3).unwrap().data);
    // A factor of [0, 0] keeps the width: training then equals the model without the layer;
    // 0.5 draws other widths, so it trains differently.
    let mut still = random_width_model(Some(json!([0.0, 0.0])));
    still.set_weights(start.clone()).unwrap();
    let (a, b) = (fit(&mut still, false), fit(&mut plain, false));
    assert_eq!(a, b, "factor [0, 0] trains as no resize");
    let cpu = fit(&mut rw, false);
    assert_ne!(cpu, b, "RandomWidth changes the training steps");
    assert!(cpu.iter().all(|v| v.is_finite()));
    // The GPU draws the same widths from the same step seeds.
    if gpu().is_some() {
        let mut on_gpu = random_width_model(Some(json!(0.5)));
        on_gpu.set_weights(start).unwrap();
        let g = fit(&mut on_gpu, true);
        for (u, v) in cpu.iter().zip(&g) {
            assert!((u - v).abs() <= 1e-4 * (1.0 + u.abs()), "epoch losses CPU {cpu:?} GPU {g:?}");
        }
    }
}

#[test]
fn random_width_refuses_weights_that_depend_on_the_width_and_bad_factors() {
    let mut m = Sequential::new(1);
    m.add_with_free(layer("RandomWidth", json!({"name": "rw", "factor": 0.2, "batchInputShape": [null, 4, 6, 1]})), Some(vec![Some(4), Some(6), Some(1)])).unwrap();
    m.add_with_free(layer("Flatten", json!({"name": "f"})), None).unwrap();
    let e = m.add_with_free(layer("Dense", json!({"name": "d", "units": 2})), None).unwrap_err().to_string();
    assert!(e.contains("Dense 'd'") && e.contains("not fully defined"), "{e}");
    for (f, what) in [(json!(0), "positive"), (json!([0.5, 0.1]), "lower <= upper"), (json!([-2, 1]), "above -1"), (json!("x"), "factor")] {
        let e = nn::from_config("RandomWidth", &json!({"name": "rw", "factor": f})).err().expect("refused").to_string();
        assert!(e.contains("RandomWidth 'rw'") && e.contains(what), "{e}");
    }
    let e = nn::from_config("RandomWidth", &json!({"name": "rw", "factor": 0.1, "interpolation": "bicubic"})).err().expect("refused").to_string();
    assert!(e.contains("interpolation"), "{e}");
}

/// A custom layer (a recorded JS call, here x * w elementwise over the features) under a null
/// number of steps: recorded at the stand-in length, replayed at each run's length; a recording
/// whose ops cannot take another length is refused naming the layer.
#[test]
fn custom_layers_replay_their_recording_at_other_lengths() {
    use hebb::graph::{Builder, Graph, TracedFn};
    let recorded = |steps: usize| {
        let mut g = Graph::new();
        let x = g.input(0, &[5, steps, 3], hebb::DType::F32);
        let w = g.input(1, &[3], hebb::DType::F32);
        let out = g.mul(x, w).unwrap();
        TracedFn { graph: g, inputs: vec![x, w], output: out }
    };
    let spec = |name: &str| nn::WeightSpec {
        name: format!("{name}/w"),
        shape: vec![3],
        init: nn::initializers::Init::parse(name, &json!("ones")).unwrap().0,
        seed: None,
        trainable: true,
        regularizer: None,
        constraint: None,
    };
    let custom = |name: &str, traced: TracedFn| -> Box<dyn nn::Layer> {
        Box::new(nn::custom::Custom::new("Scale", json!({"name": name}), traced, vec![spec(name)], vec![vec![64, 3]], vec![64, 3]).unwrap())
    };
    let mut m = Sequential::new(2);
    m.add_with_free(layer("InputLayer", json!({"name": "x", "batchInputShape": [null, null, 3]})), Some(vec![None, Some(3)])).unwrap();
    m.add_with_free(custom("scale", recorded(64)), None).unwrap();
    m.add_with_free(layer("GlobalAveragePooling1D", json!({"name": "g"})), None).unwrap();
    assert_eq!(m.shown_shapes(1).1, vec![vec![None, Some(3)]]);
    m.weights[0].value = Tensor::new(vec![3], vec![1.0, 2.0, -1.0]).unwrap();
    for steps in [4, 9] {
        let x = random(vec![2, steps, 3], steps as u64);
        m.use_input_shapes(&[vec![steps, 3]]).unwrap();
        let got = trainer::predict(&mut m, &x, 2).unwrap();
        for b in 0..2 {
            for f in 0..3 {
                let mean: f32 = (0..steps).map(|t| x.data[(b * steps + t) * 3 + f]).sum::<f32>() / steps as f32;
                let want = mean * [1.0, 2.0, -1.0][f];
                assert!((got.data[b * 3 + f] - want).abs() < 1e-5, "{steps} steps: {} vs {want}", got.data[b * 3 + f]);
            }
        }
    }
    // A recording that baked its length in (a constant of 64 steps) cannot take another.
    let mut g = Graph::new();
    let x = g.input(0, &[5, 64, 3], hebb::DType::F32);
    let w = g.input(1, &[3], hebb::DType::F32);
    let c = g.constant(Tensor::new(vec![64, 3], vec![1.0; 192]).unwrap()).unwrap();
    let y = g.mul(x, c).unwrap();
    let out = g.mul(y, w).unwrap();
    let baked = TracedFn { graph: g, inputs: vec![x, w], output: out };
    let mut m = Sequential::new(2);
    m.add_with_free(layer("InputLayer", json!({"name": "x", "batchInputShape": [null, null, 3]})), Some(vec![None, Some(3)])).unwrap();
    let e = m.add_with_free(custom("fixed", baked), None).unwrap_err().to_string();
    assert!(e.contains("Scale 'fixed'") && e.contains("built for input shape [null,64,3]"), "{e}");
}

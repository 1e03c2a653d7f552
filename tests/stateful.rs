//! Stateful recurrent layers: each batch starts from the states the last one ended with, so a
//! sequence fed in chunks gives what the whole sequence gives; resetStates starts afresh;
//! carried states are not weights; batches of the wrong size are refused before any step; and
//! training carries the states the same way on the GPU as on the CPU.

use hebb::backend::gpu::Gpu;
use hebb::model::trainer::{self, Event, FitOptions, FitSession};
use hebb::model::{Compiled, LossFn, Sequential};
use hebb::nn;
use hebb::optim::{Kind, Optimizer};
use hebb::rng::Rng;
use hebb::tensor::Tensor;
use serde_json::json;
use std::sync::Arc;

fn rnn_model(class: &str, cfg: serde_json::Value, input: Vec<usize>) -> Sequential {
    let mut m = Sequential::new(4);
    m.add(nn::from_config(class, &cfg).unwrap(), Some(input)).unwrap();
    m
}

/// Steps `from..to` of every sequence in x [n, t, d].
fn steps(x: &Tensor, from: usize, to: usize) -> Tensor {
    let (n, t, d) = (x.shape[0], x.shape[1], x.shape[2]);
    let mut data = vec![];
    for i in 0..n {
        data.extend_from_slice(&x.data[(i * t + from) * d..(i * t + to) * d]);
    }
    Tensor::new(vec![n, to - from, d], data).unwrap()
}

fn assert_close(what: &str, a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "{what} [{i}]: {x} vs {y}");
    }
}

#[test]
fn a_sequence_in_chunks_gives_what_the_whole_sequence_gives() {
    let mut rng = Rng::new(9);
    let x = Tensor::new(vec![2, 6, 2], (0..24).map(|_| rng.normal()).collect()).unwrap();
    for class in ["LSTM", "GRU", "SimpleRNN"] {
        let mut whole = rnn_model(class, json!({"units": 3, "recurrentActivation": "sigmoid"}), vec![6, 2]);
        let mut chunked = rnn_model(class, json!({"units": 3, "recurrentActivation": "sigmoid", "stateful": true, "batchInputShape": [2, 3, 2]}), vec![3, 2]);
        // Carried states are not weights: the same weights, the same parameter count.
        assert_eq!(whole.count_params(), chunked.count_params(), "{class}");
        let ws: Vec<Tensor> = whole.weights.iter().map(|w| w.value.clone()).collect();
        chunked.set_weights(ws).unwrap();
        let want = trainer::predict(&mut whole, &x, 2).unwrap();
        let first = trainer::predict(&mut chunked, &steps(&x, 0, 3), 2).unwrap();
        let second = trainer::predict(&mut chunked, &steps(&x, 3, 6), 2).unwrap();
        assert_close(&format!("{class}: second chunk vs whole sequence"), &second.data, &want.data, 1e-5);
        assert!(first.data.iter().zip(&want.data).any(|(a, b)| (a - b).abs() > 1e-3), "{class}: the first chunk alone differs");
        // Starting afresh repeats the first chunk's answer.
        chunked.reset_states(None);
        let again = trainer::predict(&mut chunked, &steps(&x, 0, 3), 2).unwrap();
        assert_close(&format!("{class}: after resetStates"), &again.data, &first.data, 1e-6);
        // Evaluate moves the states on too (as in Keras): the next chunk then continues.
        chunked.reset_states(None);
        chunked.compile(Compiled::new(LossFn::Builtin(hebb::losses::Loss::MeanSquaredError, Default::default()), vec![], Optimizer::new(Kind::Sgd, 0.1)));
        trainer::evaluate(&mut chunked, &steps(&x, 0, 3), &want, 2).unwrap();
        let after_eval = trainer::predict(&mut chunked, &steps(&x, 3, 6), 2).unwrap();
        assert_close(&format!("{class}: predict after evaluate"), &after_eval.data, &want.data, 1e-5);
    }
}

#[test]
fn wrong_batch_sizes_and_missing_batch_sizes_are_refused() {
    let mut m = rnn_model("LSTM", json!({"units": 3, "stateful": true, "batchInputShape": [4, 5, 2], "name": "keeper"}), vec![5, 2]);
    let x = Tensor::zeros(&[6, 5, 2]);
    let before: Vec<Tensor> = m.weights.iter().map(|w| w.value.clone()).collect();
    let e = trainer::predict(&mut m, &x, 4).unwrap_err().to_string();
    assert!(e.contains("LSTM 'keeper'") && e.contains("batches of 4") && e.contains("6 samples"), "{e}");
    let e = trainer::predict(&mut m, &Tensor::zeros(&[8, 5, 2]), 2).unwrap_err().to_string();
    assert!(e.contains("batchSize 4") && e.contains("received batchSize 2"), "{e}");
    m.compile(Compiled::new(LossFn::Builtin(hebb::losses::Loss::MeanSquaredError, Default::default()), vec![], Optimizer::new(Kind::Sgd, 0.1)));
    let e = FitSession::new(&m, x.clone(), Tensor::zeros(&[6, 3]), None, FitOptions::new(1, 4)).err().unwrap().to_string();
    assert!(e.contains("LSTM 'keeper'") && e.contains("fit"), "{e}");
    for (w, b) in m.weights.iter().zip(&before) {
        assert_eq!(w.value.data, b.data, "{} unchanged", w.name);
    }
    let mut plain = Sequential::new(1);
    let e = plain.add(nn::from_config("GRU", &json!({"units": 2, "stateful": true, "name": "nobatch"})).unwrap(), Some(vec![5, 2])).unwrap_err().to_string();
    assert!(e.contains("GRU 'nobatch'") && e.contains("fixed batch size"), "{e}");
    // A Bidirectional wrapper passes its batch size to the stateful layer it wraps.
    let bi = rnn_model(
        "Bidirectional",
        json!({"layer": {"className": "LSTM", "config": {"units": 2, "stateful": true}}, "batchInputShape": [3, 4, 2]}),
        vec![4, 2],
    );
    let carried: Vec<&str> = bi.weights.iter().filter(|w| w.carry).map(|w| w.name.as_str()).collect();
    assert_eq!(carried.len(), 4, "{carried:?}");
    assert_eq!(bi.weight_indices().len(), 6);
}

use common::gpu;

mod common;

#[test]
fn stateful_training_carries_the_same_states_on_the_gpu_as_on_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(3);
    let x = Tensor::new(vec![16, 3, 2], (0..96).map(|_| rng.normal()).collect()).unwrap();
    let y = Tensor::new(vec![16, 1], (0..16).map(|_| rng.normal()).collect()).unwrap();
    let make = || {
        let mut m = rnn_model("LSTM", json!({"units": 4, "stateful": true, "batchInputShape": [4, 3, 2]}), vec![3, 2]);
        m.add(nn::from_config("Dense", &json!({"units": 1})).unwrap(), None).unwrap();
        m.compile(Compiled::new(LossFn::Builtin(hebb::losses::Loss::MeanSquaredError, Default::default()), vec![], Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01)));
        m
    };
    let (mut cpu, mut gm) = (make(), make());
    let opts = FitOptions { report_batches: false, ..FitOptions::new(3, 4) };
    let run = |m: &mut Sequential, on: Option<Arc<Gpu>>| -> Vec<f32> {
        let mut s = FitSession::new(m, x.clone(), y.clone(), None, opts.clone()).unwrap();
        if let Some(g) = on {
            assert!(s.use_gpu(g, m).unwrap());
        }
        s.run_all(m).unwrap().into_iter().filter_map(|e| if let Event::EpochEnd { values, .. } = e { Some(values[0]) } else { None }).collect()
    };
    let (cl, gl) = (run(&mut cpu, None), run(&mut gm, Some(gpu)));
    assert_close("epoch losses", &gl, &cl, 1e-3);
    // Every weight and the carried states (after the last batch) agree.
    for (w, v) in cpu.weights.iter().zip(&gm.weights) {
        assert_close(&w.name, &v.value.data, &w.value.data, 1e-3);
    }
    let h = gm.weights.iter().find(|w| w.carry).unwrap();
    assert!(h.value.data.iter().any(|&v| v.abs() > 1e-3), "the carried h moved: {:?}", h.value.data);
}

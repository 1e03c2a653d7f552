//! ConvLSTM2D on the CPU: Keras 3 values and gradients (tests/fixtures/keras_conv_lstm.json,
//! written by scripts/gen_fixtures.py conv_lstm), the RNN layer around a ConvLSTM2DCell, masks,
//! stateful layers carrying their 4-D states from batch to batch, dropout in training, and bad
//! options and inputs refused with errors naming the layer.

use hebb::graph::plan::Plan;
use hebb::graph::{Builder, Graph, NodeId};
use hebb::model::trainer;
use hebb::model::Sequential;
use hebb::nn::{self, Layer};
use hebb::rng::Rng;
use hebb::tensor::{DType, Tensor};
use serde_json::{json, Value};

mod common;
use common::{load, tensor};

fn assert_close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: {g} vs {w}");
    }
}

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut r = Rng::new(seed);
    let n = shape.iter().product();
    Tensor::new(shape.to_vec(), (0..n).map(|_| r.normal()).collect()).unwrap()
}

/// Runs `layer` (built for `x`) on x with the given weights, extra input nodes (initial states)
/// and mask: every output's values.
fn run(layer: &mut dyn Layer, x: &Tensor, weights: &[Tensor], states: &[Tensor], mask: Option<&Tensor>, training: bool) -> Vec<Vec<f32>> {
    let mut shapes = vec![x.shape[1..].to_vec()];
    shapes.extend(states.iter().map(|s| s.shape[1..].to_vec()));
    layer.build_multi(&shapes).unwrap();
    let mut g = Graph::new();
    let wn: Vec<NodeId> = weights.iter().enumerate().map(|(i, w)| g.param(i, &w.shape)).collect();
    let xn = g.input(0, &x.shape, DType::F32);
    let mut xs = vec![xn];
    for s in states {
        xs.push(g.constant(s.clone()).unwrap());
    }
    let m = mask.map(|m| g.constant(m.clone()).unwrap());
    let mut outs = layer.call_masked(&mut g, &xs, m, &wn, training).unwrap();
    let mut updates: Vec<NodeId> = std::mem::take(&mut g.updates).into_iter().map(|u| u.1).collect();
    outs.append(&mut updates);
    hebb::graph::plan::materialize(&mut g, &mut outs).unwrap();
    let mut plan = Plan::new(g, &outs).unwrap();
    let values: Vec<&[f32]> = weights.iter().map(|w| w.data.as_slice()).collect();
    plan.run(&[&x.data], &values, &mut Rng::new(3));
    outs.iter().map(|&o| plan.value(o).to_vec()).collect()
}

fn layer(class: &str, cfg: Value) -> Box<dyn Layer> {
    nn::from_config(class, &cfg).unwrap_or_else(|e| panic!("{cfg}: {e}"))
}

/// The weights of a case of the fixture file by name, with its input and its config.
fn fixture_case(name: &str) -> (Value, Tensor, Vec<Tensor>) {
    let fx = load("keras_conv_lstm.json");
    let case = fx["cases"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    let x = tensor(&case["xs"][0]);
    let ws = case["weights"].as_array().unwrap().iter().map(tensor).collect();
    (case["config"].clone(), x, ws)
}

/// ConvLSTM2D against Keras 3: valid/same padding, strides, dilation, even and 1x1 kernels,
/// returnSequences, goBackwards, returnState with and without initial states. Output shapes,
/// weight shapes, values, and the gradients of sum_k sum(y_k * dy_k) w.r.t. the kernel, the
/// recurrent kernel, the bias, the input and the initial states; the config round trip.
#[test]
fn conv_lstm_matches_keras() {
    let fx = load("keras_conv_lstm.json");
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let fg = common::fixture_graph(case);
        let name = &fg.name;
        let again = nn::from_config("ConvLSTM2D", &fg.layer.config()).unwrap();
        assert_eq!(again.config(), fg.layer.config(), "{name}: config round trip");
        let mut plan = Plan::new(fg.graph, &fg.outs).unwrap();
        let values: Vec<&[f32]> = fg.values.iter().map(|w| w.data.as_slice()).collect();
        plan.run(&[], &values, &mut Rng::new(0));
        for (k, (o, w)) in fg.outs.iter().zip(&fg.want).enumerate() {
            assert_close(&format!("{name} output/gradient {k}"), plan.value(*o), &w.data, 1e-4);
        }
    }
}

/// tf.layers.rnn({cell: tf.layers.convLstm2dCell(...)}) runs as the ConvLSTM2D layer with the
/// same options: same weights, same outputs (and states), its own config back.
#[test]
fn rnn_around_a_conv_lstm_cell_is_the_layer() {
    let (cfg, x, ws) = fixture_case("conv_lstm_state_seq_backwards");
    let mut direct = layer(
        "ConvLSTM2D",
        json!({"name": "direct", "filters": 2, "kernelSize": 3, "recurrentActivation": "sigmoid",
        "returnState": true, "returnSequences": true, "goBackwards": true}),
    );
    let cell =
        json!({"className": "ConvLSTM2DCell", "config": {"name": "cell", "filters": 2, "kernelSize": 3, "recurrentActivation": "sigmoid"}});
    let rnn_cfg = json!({"name": "rnn", "cell": cell, "returnState": true, "returnSequences": true, "goBackwards": true});
    let mut rnn = layer("RNN", rnn_cfg.clone());
    assert_eq!(cfg["filters"], 2);
    assert_eq!(rnn.class_name(), "RNN");
    let (specs, out) = rnn.build(&x.shape[1..]).unwrap();
    assert_eq!(out, vec![4, 4, 3, 2]);
    assert_eq!(specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["rnn/kernel", "rnn/recurrent_kernel", "rnn/bias"]);
    assert_eq!(rnn.extra_outputs(), vec![vec![4, 3, 2], vec![4, 3, 2]]);
    let a = run(direct.as_mut(), &x, &ws, &[], None, false);
    let b = run(rnn.as_mut(), &x, &ws, &[], None, false);
    assert_eq!(a.len(), 3);
    for (k, (p, q)) in a.iter().zip(&b).enumerate() {
        assert_close(&format!("output {k}"), q, p, 1e-6);
    }
    assert_eq!(
        rnn.config(),
        rnn_cfg.as_object().unwrap().iter().fold(json!({"trainable": true, "stateful": false, "unroll": false}), |mut c, (k, v)| {
            c[k] = v.clone();
            c
        })
    );
    let again = nn::from_config("RNN", &rnn.config()).unwrap();
    assert_eq!(again.config(), rnn.config());
}

/// A masked step keeps the states it received: a sample whose last steps are masked ends with
/// the states the unmasked prefix gives; an all-ones mask changes nothing.
#[test]
fn masked_steps_keep_their_states() {
    let (_, x, ws) = fixture_case("conv_lstm_state_no_init");
    let cfg = json!({"name": "m", "filters": 2, "kernelSize": 3, "padding": "same", "recurrentActivation": "sigmoid", "returnState": true});
    let plain = run(layer("ConvLSTM2D", cfg.clone()).as_mut(), &x, &ws, &[], None, false);
    let ones = Tensor::new(vec![2, 4], vec![1.0; 8]).unwrap();
    let all = run(layer("ConvLSTM2D", cfg.clone()).as_mut(), &x, &ws, &[], Some(&ones), false);
    for (k, (p, q)) in plain.iter().zip(&all).enumerate() {
        assert_close(&format!("all-ones mask output {k}"), q, p, 1e-6);
    }
    // Sample 1 masks its last two steps: its final states are those of its first two steps.
    let mask = Tensor::new(vec![2, 4], vec![1., 1., 1., 1., 1., 1., 0., 0.]).unwrap();
    let masked = run(layer("ConvLSTM2D", cfg.clone()).as_mut(), &x, &ws, &[], Some(&mask), false);
    let per = x.data.len() / 8;
    let first_two: Vec<f32> = (0..2).flat_map(|i| x.data[(i * 4) * per..(i * 4 + 2) * per].to_vec()).collect();
    let short = Tensor::new(vec![2, 2, 6, 5, 2], first_two).unwrap();
    let prefix = run(layer("ConvLSTM2D", cfg).as_mut(), &short, &ws, &[], None, false);
    let half = masked[0].len() / 2;
    for k in 0..3 {
        assert_close(&format!("masked sample 0 output {k}"), &masked[k][..half], &plain[k][..half], 1e-6);
        assert_close(&format!("masked sample 1 output {k}"), &masked[k][half..], &prefix[k][half..], 1e-5);
    }
}

/// Steps `from..to` of x [n, t, h, w, c].
fn steps(x: &Tensor, from: usize, to: usize) -> Tensor {
    let (n, t) = (x.shape[0], x.shape[1]);
    let per: usize = x.shape[2..].iter().product();
    let mut data = vec![];
    for i in 0..n {
        data.extend_from_slice(&x.data[(i * t + from) * per..(i * t + to) * per]);
    }
    let mut shape = x.shape.clone();
    shape[1] = to - from;
    Tensor::new(shape, data).unwrap()
}

/// A stateful ConvLSTM2D carries h and c ([batch, out h, out w, filters]) from one batch to the
/// next: a sequence fed in two chunks ends where the whole sequence does; resetStates starts
/// afresh; the carried states are not weights.
#[test]
fn stateful_conv_lstm_carries_its_states() {
    let x = random(&[2, 6, 5, 4, 2], 11);
    let base = json!({"filters": 3, "kernelSize": 3, "padding": "same", "strides": 2, "recurrentActivation": "sigmoid"});
    let mut whole = Sequential::new(4);
    whole.add(layer("ConvLSTM2D", base.clone()), Some(vec![6, 5, 4, 2])).unwrap();
    let mut cfg = base.clone();
    cfg["stateful"] = json!(true);
    cfg["batchInputShape"] = json!([2, 3, 5, 4, 2]);
    let mut chunked = Sequential::new(4);
    chunked.add(layer("ConvLSTM2D", cfg), Some(vec![3, 5, 4, 2])).unwrap();
    assert_eq!(whole.count_params(), chunked.count_params());
    let ws: Vec<Tensor> = whole.weights.iter().map(|w| w.value.clone()).collect();
    chunked.set_weights(ws).unwrap();
    let want = trainer::predict(&mut whole, &x, 2).unwrap();
    assert_eq!(want.shape, vec![2, 3, 2, 3]);
    let first = trainer::predict(&mut chunked, &steps(&x, 0, 3), 2).unwrap();
    let second = trainer::predict(&mut chunked, &steps(&x, 3, 6), 2).unwrap();
    assert_close("second chunk vs whole sequence", &second.data, &want.data, 1e-5);
    assert!(first.data.iter().zip(&want.data).any(|(a, b)| (a - b).abs() > 1e-3), "the first chunk alone differs");
    chunked.reset_states(None);
    let again = trainer::predict(&mut chunked, &steps(&x, 0, 3), 2).unwrap();
    assert_close("after resetStates", &again.data, &first.data, 1e-6);
    // A batch of another size is refused, naming the layer.
    let e = trainer::predict(&mut chunked, &steps(&Tensor::zeros(&[3, 6, 5, 4, 2]), 0, 3), 3).unwrap_err().to_string();
    assert!(e.contains("ConvLSTM2D") && e.contains("batches of 2"), "{e}");
}

/// Dropout in training: the input mask (one per sample, pixel and channel, the same at every
/// step) changes the output and keeps it finite; inference ignores it; recurrent dropout has
/// nothing to drop on the first step from zero states.
#[test]
fn dropout_applies_in_training_only() {
    let (_, x, ws) = fixture_case("conv_lstm_same_seq");
    let cfg = json!({"filters": 3, "kernelSize": 3, "padding": "same", "returnSequences": true, "recurrentActivation": "sigmoid"});
    let plain = run(layer("ConvLSTM2D", cfg.clone()).as_mut(), &x, &ws, &[], None, false);
    let mut with = cfg.clone();
    with["dropout"] = json!(0.5);
    with["recurrentDropout"] = json!(0.3);
    let infer = run(layer("ConvLSTM2D", with.clone()).as_mut(), &x, &ws, &[], None, false);
    assert_close("inference with dropout", &infer[0], &plain[0], 1e-6);
    let train = run(layer("ConvLSTM2D", with).as_mut(), &x, &ws, &[], None, true);
    assert!(train[0].iter().all(|v| v.is_finite()));
    assert!(train[0].iter().zip(&plain[0]).any(|(a, b)| (a - b).abs() > 1e-3), "dropout changes the training output");
    let one = steps(&x, 0, 1);
    let mut rec_only = cfg.clone();
    rec_only["recurrentDropout"] = json!(0.5);
    let a = run(layer("ConvLSTM2D", cfg).as_mut(), &one, &ws, &[], None, false);
    let b = run(layer("ConvLSTM2D", rec_only).as_mut(), &one, &ws, &[], None, true);
    assert_close("recurrent dropout on one step", &b[0], &a[0], 1e-6);
}

/// Bad options and inputs are errors naming the layer (never panics).
#[test]
fn bad_options_and_inputs_name_the_layer() {
    let err = |class: &str, cfg: Value| nn::from_config(class, &cfg).err().expect("refused").to_string();
    let base = |extra: Value| {
        let mut c = json!({"name": "clstm", "filters": 2, "kernelSize": 3});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    for (extra, want) in [
        (json!({"strides": 2, "dilationRate": 2}), "cannot both be above 1"),
        (json!({"padding": "causal"}), "'causal'"),
        (json!({"filters": 0}), "filters"),
        (json!({"kernelSize": [3, 3, 3]}), "kernelSize"),
        (json!({"dataFormat": "channelsFirst"}), "channelsFirst"),
        (json!({"unroll": true}), "unroll"),
        (json!({"dropout": 1.5}), "dropout must be in [0, 1)"),
        (json!({"activation": "nope"}), "nope"),
        (json!({"activityRegularizer": {"className": "L1L2", "config": {"l1": 0.1}}}), "activityRegularizer"),
    ] {
        let e = err("ConvLSTM2D", base(extra.clone()));
        assert!(e.contains("ConvLSTM2D 'clstm'") && e.contains(want), "{extra}: {e}");
    }
    let e = err("ConvLSTM2D", json!({"name": "clstm", "filters": 2}));
    assert!(e.contains("ConvLSTM2D 'clstm'") && e.contains("kernelSize"), "{e}");
    // A stacked convolutional cell, and a cell with a bad option inside tf.layers.rnn.
    let cell = json!({"className": "ConvLSTM2DCell", "config": {"name": "c1", "filters": 2, "kernelSize": 3}});
    let e = err("RNN", json!({"name": "r", "cell": [cell.clone(), cell.clone()]}));
    assert!(e.contains("RNN 'r'") && e.contains("stacked"), "{e}");
    let bad_cell = json!({"className": "ConvLSTM2DCell", "config": {"name": "c1", "filters": 2, "kernelSize": 3, "padding": "full"}});
    let e = err("RNN", json!({"name": "r", "cell": bad_cell}));
    assert!(e.contains("ConvLSTM2DCell 'c1'") && e.contains("'full'"), "{e}");
    // Inputs: rank, a window larger than the images, initial states of the wrong shape, a
    // stateful layer without a batch size, a mask that is not one flag per step.
    let mut l = layer("ConvLSTM2D", base(json!({})));
    let e = l.build(&[4, 6, 6]).unwrap_err().to_string();
    assert!(e.contains("ConvLSTM2D 'clstm'") && e.contains("rank 5") && e.contains("[null,4,6,6]"), "{e}");
    let e = l.build(&[4, 2, 6, 1]).unwrap_err().to_string();
    assert!(e.contains("ConvLSTM2D 'clstm'") && e.contains("larger than the input") && e.contains("[null,4,2,6,1]"), "{e}");
    let e = l.build_multi(&[vec![4, 6, 6, 1], vec![4, 4, 2], vec![4, 4, 3]]).unwrap_err().to_string();
    assert!(e.contains("ConvLSTM2D 'clstm'") && e.contains("[null,4,4,2]") && e.contains("[null,4,4,3]"), "{e}");
    let mut s = layer("ConvLSTM2D", base(json!({"stateful": true})));
    let e = s.build(&[4, 6, 6, 1]).unwrap_err().to_string();
    assert!(e.contains("ConvLSTM2D 'clstm'") && e.contains("fixed batch size"), "{e}");
    let mut m = layer("ConvLSTM2D", base(json!({})));
    m.build(&[4, 6, 6, 1]).unwrap();
    let mut g = Graph::new();
    let x = g.input(0, &[2, 4, 6, 6, 1], DType::F32);
    let w: Vec<NodeId> = [vec![3, 3, 1, 8], vec![3, 3, 2, 8], vec![8]].iter().enumerate().map(|(i, s)| g.param(i, s)).collect();
    let bad_mask = g.constant(Tensor::zeros(&[2, 4, 6, 6])).unwrap();
    let e = m.call_masked(&mut g, &[x], Some(bad_mask), &w, false).unwrap_err().to_string();
    assert!(e.contains("ConvLSTM2D 'clstm'") && e.contains("mask of shape [2,4]"), "{e}");
    let other = g.input(0, &[2, 4, 6, 6, 3], DType::F32);
    let e = m.call(&mut g, other, &w, false).unwrap_err().to_string();
    assert!(e.contains("ConvLSTM2D 'clstm'") && e.contains("[2,4,6,6,3]"), "{e}");
}

//! The option-taking activation layers (ELU, ReLU, PReLU, ThresholdedReLU), Rescaling, the noise
//! layers (GaussianDropout, AlphaDropout) and the identity initializer. Values and gradients of
//! the deterministic layers are checked against Keras 3 in tests/keras.rs (keras_layers.json);
//! here: the noise layers' statistics in training and identity in inference, on the CPU, and
//! every layer's bad options refused with the layer named.

use hebb::graph::autodiff::grad;
use hebb::graph::plan::Plan;
use hebb::graph::{Builder, Graph};
use hebb::nn::{self, initializers::Init};
use hebb::rng::Rng;
use hebb::tensor::DType;
use serde_json::{json, Value};

const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

fn mean_var(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = v.clone().count() as f64;
    let mean = v.clone().sum::<f64>() / n;
    (mean, v.map(|x| (x - mean).powi(2)).sum::<f64>() / n)
}

/// Runs layer `class` (config `cfg`) on `x` of `shape` in training mode with the given seed:
/// returns y and the gradient of sum(y) w.r.t. x.
fn run_training(class: &str, cfg: Value, shape: &[usize], x: &[f32], seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut layer = nn::from_config(class, &cfg).unwrap();
    layer.build(&shape[1..]).unwrap();
    let mut g = Graph::new();
    let xn = g.input(0, shape, DType::F32);
    assert_eq!(layer.call(&mut g, xn, &[], false).unwrap(), xn, "{class}: the identity in inference");
    let y = layer.call(&mut g, xn, &[], true).unwrap();
    let axes: Vec<usize> = (0..shape.len()).collect();
    let total = g.sum(y, &axes, false).unwrap();
    let dx = grad(&mut g, total, &[xn]).unwrap()[0];
    let mut plan = Plan::new(g, &[y, dx]).unwrap();
    let no_params: Vec<&[f32]> = vec![];
    plan.run(&[x], &no_params[..], &mut Rng::new(seed));
    (plan.value(y).to_vec(), plan.value(dx).to_vec())
}

#[test]
fn gaussian_dropout_multiplies_by_noise_of_mean_1_and_its_variance() {
    // 20000 values of x in [0.5, 1.5); y / x ~ N(1, rate / (1 - rate)) = N(1, 0.3 / 0.7).
    let shape = [200, 100];
    let mut r = Rng::new(5);
    let x: Vec<f32> = (0..20_000).map(|_| 0.5 + r.uniform()).collect();
    let (y, dx) = run_training("GaussianDropout", json!({"name": "gd", "rate": 0.3}), &shape, &x, 1);
    let ratio = y.iter().zip(&x).map(|(&y, &x)| (y / x) as f64);
    let (mean, var) = mean_var(ratio.clone());
    let want = 0.3 / 0.7;
    assert!((mean - 1.0).abs() < 0.02, "mean of y/x {mean}");
    assert!((var.sqrt() - f64::sqrt(want)).abs() < 0.02 * f64::sqrt(want), "std of y/x {} (want {})", var.sqrt(), want.sqrt());
    // d(x·n)/dx = n = y / x.
    for (i, (d, r)) in dx.iter().zip(ratio).enumerate() {
        assert!((*d as f64 - r).abs() < 1e-4 * (1.0 + r.abs()), "grad [{i}] {d} vs {r}");
    }
    let (y2, _) = run_training("GaussianDropout", json!({"name": "gd", "rate": 0.3}), &shape, &x, 2);
    assert!(y != y2, "another step draws fresh noise");
    // rate 0 is the identity in training too.
    for class in ["GaussianDropout", "AlphaDropout"] {
        let layer = nn::from_config(class, &json!({"name": "n0", "rate": 0.0})).unwrap();
        let mut g = Graph::new();
        let xn = g.input(0, &shape, DType::F32);
        assert_eq!(layer.call(&mut g, xn, &[], true).unwrap(), xn, "{class} at rate 0");
    }
}

#[test]
fn alpha_dropout_keeps_a_standardized_input_standardized() {
    let (rate, shape) = (0.2f64, [200usize, 100usize]);
    let mut r = Rng::new(8);
    let x: Vec<f32> = (0..20_000).map(|_| r.normal()).collect();
    let (y, dx) = run_training("AlphaDropout", json!({"name": "ad", "rate": rate}), &shape, &x, 3);
    let alpha_p = -SELU_ALPHA * SELU_SCALE;
    let a = ((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p)).powf(-0.5);
    let b = -a * alpha_p * rate;
    // Mean 0 and variance 1 (Keras's point of the layer), within sampling error.
    let (mean, var) = mean_var(y.iter().map(|&v| v as f64));
    assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.04, "mean {mean}, var {var}");
    // Each value is a·x + b (kept, gradient a) or a·α' + b (dropped, gradient 0).
    let dropped_value = a * alpha_p + b;
    let mut dropped = 0;
    for i in 0..x.len() {
        let (yi, xi, di) = (y[i] as f64, x[i] as f64, dx[i] as f64);
        if di == 0.0 {
            dropped += 1;
            assert!((yi - dropped_value).abs() < 1e-5, "dropped [{i}]: {yi} vs {dropped_value}");
        } else {
            assert!((di - a).abs() < 1e-5 && (yi - (a * xi + b)).abs() < 1e-4 * (1.0 + yi.abs()), "kept [{i}]: y {yi}, grad {di}");
        }
    }
    let frac = dropped as f64 / x.len() as f64;
    assert!((frac - rate).abs() < 0.02, "dropped fraction {frac}");

    // noiseShape [null, 1]: each row is kept or dropped whole.
    let (y, dx) = run_training("AlphaDropout", json!({"name": "ad", "rate": 0.5, "noiseShape": [null, 1]}), &shape, &x, 4);
    let rows_dropped = (0..shape[0])
        .filter(|&r| {
            let row = &dx[r * shape[1]..(r + 1) * shape[1]];
            assert!(row.iter().all(|&d| d == row[0]), "row {r} is mixed");
            row[0] == 0.0
        })
        .count();
    assert!((40..=160).contains(&rows_dropped), "rows dropped {rows_dropped} of 200");
    assert!(y.iter().all(|v| v.is_finite()));
}

#[test]
fn identity_initializer_gives_gain_times_eye_and_refuses_other_ranks() {
    let (init, _) = Init::parse("dense", &json!({"className": "Identity", "config": {"gain": 2.0}})).unwrap();
    let t = init.sample(&[2, 3], &mut Rng::new(0));
    assert_eq!(t.data, vec![2.0, 0.0, 0.0, 0.0, 2.0, 0.0]);
    let (init, _) = Init::parse("dense", &json!("identity")).unwrap();
    assert_eq!(init.sample(&[2, 2], &mut Rng::new(0)).data, vec![1.0, 0.0, 0.0, 1.0]);
    // A Dense kernel is 2-D; a Conv2D kernel is not, and its bias is 1-D: errors name the weight.
    let mut dense = nn::from_config("Dense", &json!({"name": "d", "units": 3, "kernelInitializer": "identity"})).unwrap();
    dense.build(&[3]).unwrap();
    let mut conv =
        nn::from_config("Conv2D", &json!({"name": "c", "filters": 2, "kernelSize": 3, "kernelInitializer": "identity"})).unwrap();
    let e = conv.build(&[5, 5, 1]).err().unwrap().to_string();
    assert!(e.contains("Conv2D 'c'") && e.contains("c/kernel") && e.contains("2-D"), "{e}");
    let mut dense =
        nn::from_config("Dense", &json!({"name": "d2", "units": 3, "biasInitializer": {"className": "Identity", "config": {}}})).unwrap();
    let e = dense.build(&[3]).err().unwrap().to_string();
    assert!(e.contains("Dense 'd2'") && e.contains("d2/bias"), "{e}");
}

#[test]
fn bad_options_are_refused_with_the_layer_named() {
    let refused = |class: &str, cfg: Value, want: &str| {
        let e = nn::from_config(class, &cfg).err().unwrap_or_else(|| panic!("{class} {cfg} was accepted")).to_string();
        let owner = format!("{class} '{}'", cfg["name"].as_str().unwrap());
        assert!(e.contains(&owner) && e.contains(want), "{class} {cfg}: {e}");
    };
    refused("ELU", json!({"name": "elu_1", "alpha": "big"}), "alpha");
    refused("ReLU", json!({"name": "re_lu_1", "maxValue": -1}), "maxValue");
    refused("ReLU", json!({"name": "re_lu_1", "negativeSlope": -0.1}), "negativeSlope");
    refused("ReLU", json!({"name": "re_lu_1", "threshold": -0.5}), "threshold");
    refused("ThresholdedReLU", json!({"name": "t_1", "theta": -1}), "theta");
    refused("PReLU", json!({"name": "p_1", "sharedAxes": [0]}), "sharedAxes");
    refused("PReLU", json!({"name": "p_1", "sharedAxes": [1.5]}), "sharedAxes");
    refused("PReLU", json!({"name": "p_1", "sharedAxes": "all"}), "sharedAxes");
    refused("PReLU", json!({"name": "p_1", "alphaInitializer": "nope"}), "nope");
    refused("Rescaling", json!({"name": "r_1"}), "scale is required");
    refused("Rescaling", json!({"name": "r_1", "scale": "x"}), "scale");
    refused("Rescaling", json!({"name": "r_1", "scale": 2, "offset": [1]}), "offset");
    for class in ["GaussianDropout", "AlphaDropout"] {
        refused(class, json!({"name": "n_1"}), "rate");
        refused(class, json!({"name": "n_1", "rate": -0.1}), "rate");
        refused(class, json!({"name": "n_1", "rate": 1}), "rate");
    }
    refused("AlphaDropout", json!({"name": "n_1", "rate": 0.1, "noiseShape": "x"}), "noiseShape");

    // Errors that need the input shape come from build.
    let built = |class: &str, cfg: Value, input: &[usize], want: &str| {
        let mut l = nn::from_config(class, &cfg).unwrap();
        let e = l.build(input).err().unwrap_or_else(|| panic!("{class} {cfg} built on {input:?}")).to_string();
        let owner = format!("{class} '{}'", cfg["name"].as_str().unwrap());
        assert!(e.contains(&owner) && e.contains(want), "{class} {cfg}: {e}");
    };
    built("PReLU", json!({"name": "p_2", "sharedAxes": [3]}), &[4, 5], "sharedAxes");
    built("AlphaDropout", json!({"name": "a_2", "rate": 0.1, "noiseShape": [null, 3]}), &[5], "noiseShape");

    // And the good forms build: PReLU's alpha takes the input's shape with shared axes at 1.
    let mut p = nn::from_config("PReLU", &json!({"name": "p_3", "sharedAxes": [1, 2]})).unwrap();
    let (specs, out) = p.build(&[4, 5, 3]).unwrap();
    assert_eq!((specs[0].name.as_str(), specs[0].shape.clone(), out), ("p_3/alpha", vec![1, 1, 3], vec![4, 5, 3]));
    let mut p = nn::from_config("PReLU", &json!({"name": "p_4", "sharedAxes": 2})).unwrap();
    assert_eq!(p.build(&[4, 5]).unwrap().0[0].shape, vec![4, 1]);
    let relu = nn::from_config("ReLU", &json!({"name": "r"})).unwrap();
    assert_eq!(relu.config(), json!({"name": "r", "trainable": true, "maxValue": null, "negativeSlope": 0.0, "threshold": 0.0}));
}

//! The benchmark workloads shared by `cargo bench --bench gemm` and `--bench gpu`: the browser
//! benchmark's MLP (784-128-64-10, softmax, categorical cross-entropy, Adam 0.001) with 4096
//! synthetic samples, and its CNN (28x28x1, conv 8 - pool - conv 16 - pool - dense 10) and
//! LSTM (64 units over 32 steps of 8 features - dense 10) with 1024.

use hebb::model::{Compiled, LossFn, Sequential};
use hebb::optim::{Kind, Optimizer};
use hebb::rng::Rng;
use hebb::{losses::Loss, nn, Tensor};
use serde_json::json;

pub const SAMPLES: usize = 4096;

pub fn mlp() -> (Sequential, Tensor, Tensor) {
    let mut m = Sequential::new(1);
    let dense = |units: usize, act: &str| nn::from_config("Dense", &json!({"units": units, "activation": act})).unwrap();
    m.add(dense(128, "relu"), Some(vec![784])).unwrap();
    m.add(dense(64, "relu"), None).unwrap();
    m.add(dense(10, "softmax"), None).unwrap();
    m.compile(Compiled::new(LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()), vec![], Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.001)));
    let n = SAMPLES;
    let mut rng = Rng::new(9);
    let x = Tensor::new(vec![n, 784], (0..n * 784).map(|_| rng.uniform()).collect()).unwrap();
    let y = Tensor::new(vec![n, 10], (0..n * 10).map(|i| ((i % 10) == (i / 10) % 10) as u8 as f32).collect()).unwrap();
    (m, x, y)
}

#[allow(dead_code)]
fn compiled(mut m: Sequential) -> Sequential {
    m.compile(Compiled::new(LossFn::Builtin(Loss::CategoricalCrossentropy, Default::default()), vec![], Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.001)));
    m
}

/// `n` samples of `feat` uniform features and one-hot labels over 10 classes.
#[allow(dead_code)]
fn data(n: usize, feat: &[usize]) -> (Tensor, Tensor) {
    let mut rng = Rng::new(9);
    let row: usize = feat.iter().product();
    let mut shape = vec![n];
    shape.extend(feat);
    let x = Tensor::new(shape, (0..n * row).map(|_| rng.uniform()).collect()).unwrap();
    let y = Tensor::new(vec![n, 10], (0..n * 10).map(|i| ((i % 10) == (i / 10) % 10) as u8 as f32).collect()).unwrap();
    (x, y)
}

#[allow(dead_code)]
pub fn cnn() -> (Sequential, Tensor, Tensor) {
    let mut m = Sequential::new(1);
    let layer = |c: &str, cfg: serde_json::Value| nn::from_config(c, &cfg).unwrap();
    m.add(layer("Conv2D", json!({"filters": 8, "kernelSize": 3, "activation": "relu"})), Some(vec![28, 28, 1])).unwrap();
    m.add(layer("MaxPooling2D", json!({"poolSize": 2})), None).unwrap();
    m.add(layer("Conv2D", json!({"filters": 16, "kernelSize": 3, "activation": "relu"})), None).unwrap();
    m.add(layer("MaxPooling2D", json!({"poolSize": 2})), None).unwrap();
    m.add(layer("Flatten", json!({})), None).unwrap();
    m.add(layer("Dense", json!({"units": 10, "activation": "softmax"})), None).unwrap();
    let (x, y) = data(1024, &[28, 28, 1]);
    (compiled(m), x, y)
}

#[allow(dead_code)]
pub fn lstm() -> (Sequential, Tensor, Tensor) {
    let mut m = Sequential::new(1);
    m.add(nn::from_config("LSTM", &json!({"units": 64})).unwrap(), Some(vec![32, 8])).unwrap();
    m.add(nn::from_config("Dense", &json!({"units": 10, "activation": "softmax"})).unwrap(), None).unwrap();
    let (x, y) = data(1024, &[32, 8]);
    (compiled(m), x, y)
}

//! The benchmark workload shared by `cargo bench --bench gemm` and `--bench gpu`: the browser
//! benchmark's MLP (784-128-64-10, softmax, categorical cross-entropy, Adam 0.001) and 4096
//! synthetic samples.

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

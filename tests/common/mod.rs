//! Helpers shared by the native test files: the Keras fixtures written by scripts/gen_fixtures.py.

#![allow(dead_code)]

use hebb::tensor::Tensor;
use serde_json::Value;

/// A fixture file from tests/fixtures.
pub fn load(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A fixture's `{shape, data}` as a tensor.
pub fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f32> = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap() as f32).collect();
    Tensor::new(shape, data).unwrap()
}

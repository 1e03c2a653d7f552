//! Structure-aware fuzzing as an ordinary test (issue 14): layer configs mutated from the Keras
//! fixtures' valid ones (values of the wrong type or range, options removed, unknown or misplaced
//! options added), on input shapes of random rank and size, built into a model and run. Every
//! case must end in a value or an `Err`, never a panic: in the browser a panic traps the
//! instance. Natively the test harness unwinds, so `catch_unwind` sees a panic and the case fails
//! with its config. HEBB_FUZZ_CASES sets the number of cases (default 3000, a few seconds).

mod common;

use hebb::model::trainer;
use hebb::model::Sequential;
use hebb::nn;
use hebb::tensor::Tensor;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The (class, config) of every layer case in the fixtures.
fn seeds() -> Vec<(String, Value)> {
    let mut out = vec![];
    for file in ["keras_layers.json", "keras_rnn_state.json", "keras_constraints.json"] {
        let fx = common::load(file);
        for case in fx["cases"].as_array().into_iter().flatten() {
            if let (Some(class), Some(cfg)) = (case["class"].as_str(), case.get("config")) {
                out.push((class.to_string(), cfg.clone()));
            }
        }
    }
    assert!(out.len() > 20, "the fixtures hold only {} layer cases", out.len());
    out
}

/// Option names layers read (so mutations reach the checks, not just the unknown-option one).
const KEYS: &[&str] = &[
    "units", "filters", "kernelSize", "strides", "padding", "activation", "rate", "axis", "dataFormat", "poolSize",
    "returnSequences", "returnState", "cell", "layer", "targetShape", "dims", "size", "dilationRate", "depthMultiplier",
    "inputDim", "outputDim", "numHeads", "keyDim", "cropping", "n", "momentum", "epsilon", "center", "scale",
    "recurrentActivation", "stateful", "batchInputShape", "batchSize", "useBias", "kernelInitializer", "mergeMode",
];

/// Values of every JSON type, in and out of range; numbers stay small enough that no case
/// needs gigabytes (the engine's own limits reject the huge ones).
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        prop::sample::select(vec![-3i64, -1, 0, 1, 2, 3, 4, 5, 8, 16, 64, 1 << 40]).prop_map(Value::from),
        prop::sample::select(vec![-0.5f64, 0.0, 0.25, 0.5, 1.0, 1.5, 1e30, -1e30]).prop_map(Value::from),
        prop::sample::select(vec!["same", "valid", "causal", "relu", "softmax", "channelsFirst", "LSTMCell", "x", ""]).prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())),
            Just(json!({"className": "LSTMCell", "config": 1})),
        ]
    })
}

#[derive(Clone, Debug)]
enum Edit {
    /// Replace the value of the k-th key (modulo the number of keys).
    Set(usize, Value),
    Remove(usize),
    Add(&'static str, Value),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any_value()).prop_map(|(k, v)| Edit::Set(k, v)),
        any::<usize>().prop_map(Edit::Remove),
        (prop::sample::select(KEYS.to_vec()), any_value()).prop_map(|(k, v)| Edit::Add(k, v)),
    ]
}

fn apply(cfg: &Value, edits: &[Edit]) -> Value {
    let mut obj = cfg.as_object().cloned().unwrap_or_default();
    for e in edits {
        let keys: Vec<String> = obj.keys().cloned().collect();
        match e {
            Edit::Set(k, v) if !keys.is_empty() => {
                obj.insert(keys[k % keys.len()].clone(), v.clone());
            }
            Edit::Remove(k) if !keys.is_empty() => {
                obj.remove(&keys[k % keys.len()]);
            }
            Edit::Add(k, v) => {
                obj.insert(k.to_string(), v.clone());
            }
            _ => {}
        }
    }
    Value::Object(obj)
}

/// How far the cases got: [layer made, model built, predicted].
static REACHED: [AtomicUsize; 3] = [AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)];

/// Builds the layer from `cfg`, adds it to a model for inputs of `shape`, and predicts on
/// zeros: any of the steps may refuse, none may panic.
fn run(class: &str, cfg: &Value, shape: &[usize]) {
    let Ok(layer) = nn::from_config(class, cfg) else { return };
    REACHED[0].fetch_add(1, Ordering::Relaxed);
    let mut m = Sequential::new(1);
    if m.add(layer, Some(shape.to_vec())).is_err() {
        return;
    }
    REACHED[1].fetch_add(1, Ordering::Relaxed);
    let mut dims = vec![2];
    dims.extend_from_slice(shape);
    if dims.iter().product::<usize>() > 1 << 14 {
        return;
    }
    if trainer::predict(&mut m, &Tensor::zeros(&dims), 2).is_ok() {
        REACHED[2].fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn mutated_layer_configs_and_shapes_never_panic() {
    let cases: u32 = std::env::var("HEBB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let seeds = seeds();
    let n = seeds.len();
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = (0..n, prop::collection::vec(edit(), 0..4), prop::collection::vec(0usize..7, 0..5));
    let result = runner.run(&strategy, |(i, edits, shape)| {
        let (class, base) = &seeds[i];
        let cfg = apply(base, &edits);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(class, &cfg, &shape)));
        if outcome.is_err() {
            return Err(TestCaseError::fail(format!("{class} with config {cfg} on input shape {shape:?} panicked")));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let [made, built, predicted] = REACHED.each_ref().map(|r| r.load(Ordering::Relaxed));
    eprintln!("fuzz: {cases} cases over {n} layer configs: {made} layers made, {built} models built, {predicted} predicted");
    // The mutations must leave enough cases valid to reach the deeper checks.
    assert!(built * 10 >= cases as usize && predicted * 20 >= cases as usize, "too few cases got far: {made} made, {built} built, {predicted} predicted");
}

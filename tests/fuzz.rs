//! Structure-aware fuzzing as an ordinary test (issue 14): layer configs mutated from the Keras
//! fixtures' valid ones (values of the wrong type or range, options removed, unknown or misplaced
//! options added), on input shapes of random rank and size, built into a model and run. Every
//! case must end in a value or an `Err`, never a panic: in the browser a panic traps the
//! instance. Natively the test harness unwinds, so `catch_unwind` sees a panic and the case fails
//! with its config. Then functional topologies: random graphs of layers (calls reading inputs and
//! earlier calls, now and then an input, call, layer or shape that does not exist), built, run
//! and trained a step. HEBB_FUZZ_CASES sets the number of cases of each (default 3000, under a
//! second).

mod common;

use hebb::engine::Engine;
use hebb::model::trainer;
use hebb::model::trainer::FitOptions;
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
    "units",
    "filters",
    "kernelSize",
    "strides",
    "padding",
    "activation",
    "rate",
    "axis",
    "dataFormat",
    "poolSize",
    "returnSequences",
    "returnState",
    "cell",
    "layer",
    "targetShape",
    "dims",
    "size",
    "dilationRate",
    "depthMultiplier",
    "inputDim",
    "outputDim",
    "numHeads",
    "keyDim",
    "cropping",
    "n",
    "momentum",
    "epsilon",
    "center",
    "scale",
    "recurrentActivation",
    "stateful",
    "batchInputShape",
    "batchSize",
    "useBias",
    "kernelInitializer",
    "mergeMode",
];

/// Values of every JSON type, in and out of range; numbers stay small enough that no case
/// needs gigabytes (the engine's own limits reject the huge ones).
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        prop::sample::select(vec![-3i64, -1, 0, 1, 2, 3, 4, 5, 8, 16, 64, 1 << 40]).prop_map(Value::from),
        prop::sample::select(vec![-0.5f64, 0.0, 0.25, 0.5, 1.0, 1.5, 1e30, -1e30]).prop_map(Value::from),
        prop::sample::select(vec!["same", "valid", "causal", "relu", "softmax", "channelsFirst", "LSTMCell", "x", ""])
            .prop_map(Value::from),
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
    assert!(
        built * 10 >= cases as usize && predicted * 20 >= cases as usize,
        "too few cases got far: {made} made, {built} built, {predicted} predicted"
    );
}

// ---- functional topologies ------------------------------------------------------------------

/// Layers a functional graph is made of (valid configs; the graph wiring is what is fuzzed).
const PALETTE: &[(&str, &str)] = &[
    ("Dense", r#"{"units": 3}"#),
    ("Dense", r#"{"units": 2, "activation": "relu"}"#),
    ("Concatenate", r#"{}"#),
    ("Concatenate", r#"{"axis": 1}"#),
    ("Add", r#"{}"#),
    ("Multiply", r#"{}"#),
    ("Average", r#"{}"#),
    ("Dot", r#"{"axes": 1}"#),
    ("Flatten", r#"{}"#),
    ("Reshape", r#"{"targetShape": [2, -1]}"#),
    ("Conv1D", r#"{"filters": 2, "kernelSize": 2}"#),
    ("LSTM", r#"{"units": 2, "returnSequences": true}"#),
    ("GRU", r#"{"units": 2}"#),
    ("Dropout", r#"{"rate": 0.5}"#),
    ("LayerNormalization", r#"{}"#),
    ("BatchNormalization", r#"{}"#),
    ("MultiHeadAttention", r#"{"numHeads": 1, "keyDim": 2}"#),
    ("Embedding", r#"{"inputDim": 5, "outputDim": 2}"#),
    ("GlobalAveragePooling1D", r#"{}"#),
    ("RepeatVector", r#"{"n": 2}"#),
];

/// A call's input: (from a call, not a model input; the call's or input's index; the output index).
type Wire = (bool, usize, usize);
/// A drawn wire and its raw flag (0: keep it as drawn, however wrong).
type RawWire = (u8, bool, usize, usize);

#[derive(Clone, Debug)]
struct Graph {
    inputs: Vec<Vec<i64>>,
    layers: Vec<usize>,
    /// (layer index into all layers, inputs as (is_node, index, tensor))
    nodes: Vec<(usize, Vec<Wire>)>,
    outputs: Vec<Wire>,
}

/// Mostly well-formed graphs (references to earlier nodes and to inputs that exist, layers
/// that exist), each part left raw (out of range, forward, a wrong tensor index or shape) one
/// time in 100, so that both the wiring checks and the layers' shape rules are reached.
fn graph() -> impl Strategy<Value = Graph> {
    let dims = prop::collection::vec((0u8..100, 1i64..5, prop::sample::select(vec![-1i64, 0, 100000])), 1..4);
    let refs = prop::collection::vec((0u8..100, any::<bool>(), 0usize..8, 0usize..3), 1..3);
    (
        prop::collection::vec(dims, 1..4),
        prop::collection::vec(0..PALETTE.len(), 1..6),
        prop::collection::vec((0u8..100, 0usize..12, refs.clone()), 1..7),
        refs,
    )
        .prop_map(|(inputs, layers, nodes, outputs)| {
            let n_in = inputs.len();
            let n_layers = layers.len();
            let fix = |k: usize, refs: Vec<RawWire>| -> Vec<Wire> {
                refs.into_iter()
                    .map(|(raw, node, i, t)| {
                        if raw == 0 {
                            (node, i, t)
                        } else if node && k > 0 {
                            (true, i % k, 0)
                        } else {
                            (false, i % n_in, 0)
                        }
                    })
                    .collect()
            };
            let nodes: Vec<(usize, Vec<Wire>)> = nodes
                .into_iter()
                .enumerate()
                .map(|(k, (raw, l, refs))| (if raw == 0 { l } else { n_in + l % n_layers }, fix(k, refs)))
                .collect();
            // Merge layers and attention take two inputs, the others one (a raw draw keeps
            // whatever it drew).
            let nodes: Vec<(usize, Vec<Wire>)> = nodes
                .into_iter()
                .map(|(l, mut refs)| {
                    if let Some(&p) = l.checked_sub(n_in).and_then(|i| layers.get(i)) {
                        let two = matches!(PALETTE[p].0, "Concatenate" | "Add" | "Multiply" | "Average" | "Dot" | "MultiHeadAttention");
                        let want = if two { 2 } else { 1 };
                        while refs.len() < want {
                            refs.push(refs[0]);
                        }
                        refs.truncate(want);
                    }
                    (l, refs)
                })
                .collect();
            let outputs = fix(nodes.len(), outputs);
            let inputs =
                inputs.into_iter().map(|ds| ds.into_iter().map(|(raw, d, bad)| if raw == 0 { bad } else { d }).collect()).collect();
            Graph { inputs, layers, nodes, outputs }
        })
}

/// The JSON `Engine::new_functional` takes: InputLayers first, then the palette's layers.
fn graph_json(g: &Graph) -> Value {
    let mut layers: Vec<Value> = g
        .inputs
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"className": "InputLayer", "config": {"name": format!("in{i}"), "inputShape": s}}))
        .collect();
    for (k, &p) in g.layers.iter().enumerate() {
        let (class, cfg) = PALETTE[p];
        let mut cfg: Value = serde_json::from_str(cfg).unwrap_or(Value::Null);
        if let Some(o) = cfg.as_object_mut() {
            o.insert("name".into(), json!(format!("l{k}")));
        }
        layers.push(json!({"className": class, "config": cfg}));
    }
    let r = |&(node, i, t): &Wire| if node { json!(["node", i, t]) } else { json!(["input", i]) };
    json!({
        "layers": layers,
        "inputs": (0..g.inputs.len()).map(|i| json!({"layer": i, "dtype": "float32"})).collect::<Vec<_>>(),
        "nodes": g.nodes.iter().map(|(l, ins)| json!({"layer": l, "inputs": ins.iter().map(r).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "outputs": g.outputs.iter().map(r).collect::<Vec<_>>(),
    })
}

static GRAPHS: [AtomicUsize; 3] = [AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)];

/// Builds the graph; when it builds, predicts on zeros and trains one step: each may refuse,
/// none may panic.
fn run_graph(cfg: &Value) {
    let mut e = Engine::default();
    let r = match e.new_functional(cfg) {
        Ok(r) => r,
        Err(err) => {
            // HEBB_FUZZ_DEBUG=1 prints why each graph was refused (to tune the generator).
            if std::env::var("HEBB_FUZZ_DEBUG").is_ok() {
                eprintln!("ERR {err}");
            }
            return;
        }
    };
    GRAPHS[0].fetch_add(1, Ordering::Relaxed);
    let Some(m) = r["id"].as_u64().map(|m| m as u32) else { return };
    // Every input's features side by side in one x, as the JS API packs them.
    let features: usize = cfg["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["className"] == "InputLayer")
        .map(|l| l["config"]["inputShape"].as_array().map(|s| s.iter().map(|d| d.as_u64().unwrap_or(1) as usize).product()).unwrap_or(1))
        .sum();
    if features == 0 || features > 4096 {
        return;
    }
    let x = e.rt.put(Tensor::zeros(&[2, features]));
    let Ok(p) = e.predict(m, x, 2) else { return };
    GRAPHS[1].fetch_add(1, Ordering::Relaxed);
    let Ok(out) = e.rt.shape(p) else { return };
    let cfg = json!({"optimizer": {"className": "Adam", "config": {"learningRate": 0.01}}, "loss": "meanSquaredError"});
    if e.compile(m, &cfg, false).is_err() {
        return;
    }
    let y = e.rt.put(Tensor::zeros(&out));
    let Ok(s) = e.fit_begin(m, x, y, None, FitOptions::new(1, 2)) else { return };
    while e.sessions.contains_key(&s) {
        if e.fit_run(s, 10).is_err() {
            return;
        }
    }
    GRAPHS[2].fetch_add(1, Ordering::Relaxed);
}

#[test]
fn random_functional_topologies_never_panic() {
    let cases: u32 = std::env::var("HEBB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&graph(), |g| {
        let cfg = graph_json(&g);
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_graph(&cfg))).is_err() {
            return Err(TestCaseError::fail(format!("the functional topology {cfg} panicked")));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let [built, predicted, trained] = GRAPHS.each_ref().map(|r| r.load(Ordering::Relaxed));
    eprintln!("fuzz: {cases} functional topologies: {built} built, {predicted} predicted, {trained} trained a step");
    assert!(
        built * 20 >= cases as usize && trained * 50 >= cases as usize,
        "too few graphs got far: {built} built, {predicted} predicted, {trained} trained"
    );
}

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

/// One case of a multi-input fixture (merge layers, attention, recurrent layers with states):
/// the layer's graph on parameters (weights, then inputs), its outputs followed by the
/// gradients of sum_k sum(y_k * dy_k) w.r.t. the weights and inputs, and the values Keras gave
/// for the same list.
#[allow(dead_code)]
pub struct FixtureGraph {
    pub name: String,
    pub graph: hebb::graph::Graph,
    pub outs: Vec<hebb::graph::NodeId>,
    pub values: Vec<Tensor>,
    pub want: Vec<Tensor>,
    pub layer: Box<dyn hebb::nn::Layer>,
}

#[allow(dead_code)]
pub fn fixture_graph(case: &Value) -> FixtureGraph {
    use hebb::graph::Builder as _;
    let name = case["name"].as_str().unwrap().to_string();
    let class = case["class"].as_str().unwrap();
    let mut cfg = case["config"].clone();
    cfg["name"] = serde_json::json!(name);
    let mut layer = hebb::nn::from_config(class, &cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
    let xs: Vec<Tensor> = case["xs"].as_array().unwrap().iter().map(tensor).collect();
    let ws: Vec<Tensor> = case.get("weights").map(|w| w.as_array().unwrap().iter().map(tensor).collect()).unwrap_or_default();
    // Layers with several outputs (returnState) list them in ys, with one dy each.
    let (ys_want, dys): (Vec<Tensor>, Vec<Tensor>) = match case.get("ys") {
        Some(ys) => (ys.as_array().unwrap().iter().map(tensor).collect(), case["dys"].as_array().unwrap().iter().map(tensor).collect()),
        None => (vec![tensor(&case["y"])], vec![tensor(&case["dy"])]),
    };
    let shapes: Vec<Vec<usize>> = xs.iter().map(|x| x.shape[1..].to_vec()).collect();
    let (specs, out) = layer.build_multi(&shapes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut out_shapes = vec![out];
    out_shapes.extend(layer.extra_outputs());
    assert_eq!(out_shapes, ys_want.iter().map(|y| y.shape[1..].to_vec()).collect::<Vec<_>>(), "{name}: output shapes");
    let spec_shapes: Vec<Vec<usize>> = specs.iter().map(|s| s.shape.clone()).collect();
    assert_eq!(spec_shapes, ws.iter().map(|w| w.shape.clone()).collect::<Vec<_>>(), "{name}: weight shapes");
    let mut g = hebb::graph::Graph::new();
    let wn: Vec<_> = ws.iter().enumerate().map(|(i, w)| g.param(i, &w.shape)).collect();
    let xn: Vec<_> = xs.iter().enumerate().map(|(i, x)| g.param(ws.len() + i, &x.shape)).collect();
    let ys = layer.call_outputs(&mut g, &xn, &wn, false).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(ys.len(), ys_want.len(), "{name}: number of outputs");
    let mut loss = None;
    for (&y, dy) in ys.iter().zip(&dys) {
        let dy = g.constant(dy.clone()).unwrap();
        let prod = g.mul(y, dy).unwrap();
        let axes: Vec<usize> = (0..g.shape_of(y).len()).collect();
        let part = g.sum(prod, &axes, false).unwrap();
        loss = Some(match loss {
            None => part,
            Some(l) => g.add(l, part).unwrap(),
        });
    }
    let mut wrt = wn.clone();
    wrt.extend(&xn);
    let grads = hebb::graph::autodiff::grad(&mut g, loss.unwrap(), &wrt).unwrap();
    let mut outs = ys;
    outs.extend(&grads);
    hebb::graph::plan::materialize(&mut g, &mut outs).unwrap();
    let mut want = ys_want;
    if let Some(gw) = case.get("grad_weights") {
        want.extend(gw.as_array().unwrap().iter().map(tensor));
    }
    want.extend(case["grad_xs"].as_array().unwrap().iter().map(tensor));
    assert_eq!(outs.len(), want.len(), "{name}: outputs and gradients");
    let mut values = ws;
    values.extend(xs);
    FixtureGraph { name, graph: g, outs, values, want, layer }
}

/// A case of keras_constraints.json as a compiled Hebb model with the case's initial weights and
/// the optimizer of run `run` (mean squared error), with the case's x and y.
pub fn constraint_model(case: &Value, run: usize) -> (hebb::model::Sequential, Tensor, Tensor) {
    use hebb::model::{Compiled, LossFn, Sequential};
    let name = case["name"].as_str().unwrap();
    let mut model = Sequential::new(1);
    let input: Vec<usize> = case["input_shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    for (i, l) in case["layers"].as_array().unwrap().iter().enumerate() {
        let mut cfg = l["config"].clone();
        cfg["name"] = serde_json::json!(format!("{name}_{i}"));
        let layer = hebb::nn::from_config(l["className"].as_str().unwrap(), &cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
        model.add(layer, (i == 0).then(|| input.clone())).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    model.set_weights(case["initial_weights"].as_array().unwrap().iter().map(tensor).collect()).unwrap();
    let opt = hebb::optim::Optimizer::from_config(&case["runs"][run]["optimizer"]).unwrap();
    model.compile(Compiled::new(LossFn::Builtin(hebb::losses::Loss::MeanSquaredError, Default::default()), vec![], opt));
    (model, tensor(&case["x"]), tensor(&case["y"]))
}

/// Asserts `got` is within `tol` (relative, plus `tol` absolute) of the fixture's values.
pub fn assert_near(what: &str, got: &[f32], want: &Tensor, tol: f32) {
    assert_eq!(got.len(), want.data.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(&want.data).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: {g} vs Keras {w}");
    }
}

/// One case of the masking fixture: a Sequential model built from its layers' configs with the
/// fixture's weights, its output followed by the gradients of sum(y * dy) w.r.t. every weight,
/// and Keras's values for the same list.
#[allow(dead_code)]
pub fn masking_graph(case: &Value) -> FixtureGraph {
    use hebb::graph::Builder as _;
    let name = case["name"].as_str().unwrap().to_string();
    let x = tensor(&case["x"]);
    let ws: Vec<Tensor> = case["weights"].as_array().unwrap().iter().map(tensor).collect();
    let mut m = hebb::model::Sequential::new(1);
    for (i, l) in case["layers"].as_array().unwrap().iter().enumerate() {
        let layer = hebb::nn::from_config(l["className"].as_str().unwrap(), &l["config"]).unwrap_or_else(|e| panic!("{name}: {e}"));
        m.add(layer, (i == 0).then(|| x.shape[1..].to_vec())).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let shapes: Vec<Vec<usize>> = m.weights.iter().map(|w| w.value.shape.clone()).collect();
    assert_eq!(shapes, ws.iter().map(|w| w.shape.clone()).collect::<Vec<_>>(), "{name}: weight shapes");
    let mut g = hebb::graph::Graph::new();
    let params: Vec<_> = ws.iter().enumerate().map(|(i, w)| g.param(i, &w.shape)).collect();
    let xn = g.param(ws.len(), &x.shape);
    let y = m.forward(&mut g, xn, &params, false).unwrap_or_else(|e| panic!("{name}: {e}"));
    let dy = g.constant(tensor(&case["dy"])).unwrap();
    let prod = g.mul(y, dy).unwrap();
    let axes: Vec<usize> = (0..g.shape_of(y).len()).collect();
    let loss = g.sum(prod, &axes, false).unwrap();
    let grads = hebb::graph::autodiff::grad(&mut g, loss, &params).unwrap();
    let mut outs = vec![y];
    outs.extend(&grads);
    hebb::graph::plan::materialize(&mut g, &mut outs).unwrap();
    let mut want = vec![tensor(&case["y"])];
    want.extend(case["grad_weights"].as_array().unwrap().iter().map(tensor));
    let mut values = ws;
    values.push(x);
    let layer = hebb::nn::from_config("Flatten", &serde_json::json!({})).unwrap();
    FixtureGraph { name, graph: g, outs, values, want, layer }
}

use hebb::backend::gpu::Gpu;
use std::sync::{Arc, OnceLock};

/// A GPU device for a native test: `shared` gives the test binary's one device (opened once),
/// otherwise a device of the test's own. Without an adapter it returns None and the caller skips
/// its GPU part, except under HEBB_REQUIRE_GPU=1 (npm test sets it where lavapipe is installed),
/// where that fails the test instead of passing unchecked. Each test that gets a device is
/// written to the file HEBB_GPU_LOG names (npm test counts them).
fn device(shared: bool) -> Option<Arc<Gpu>> {
    static SHARED: OnceLock<Result<Arc<Gpu>, String>> = OnceLock::new();
    let opened = if shared {
        SHARED.get_or_init(|| Gpu::open_blocking().map(Arc::new).map_err(|e| e.to_string())).clone()
    } else {
        Gpu::open_blocking().map(Arc::new).map_err(|e| e.to_string())
    };
    let test = std::thread::current().name().unwrap_or("?").to_string();
    match opened {
        Ok(g) => {
            if let Ok(path) = std::env::var("HEBB_GPU_LOG") {
                use std::io::Write;
                // One write per line, so that tests on other threads do not interleave.
                let line = format!("{}\t{test}\t{}\n", env!("CARGO_CRATE_NAME"), g.name);
                if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                    let _ = f.write_all(line.as_bytes());
                }
            }
            Some(g)
        }
        Err(e) => {
            assert!(
                std::env::var("HEBB_REQUIRE_GPU").as_deref() != Ok("1"),
                "{test}: HEBB_REQUIRE_GPU=1 but no GPU adapter opened ({e}); install mesa-vulkan-drivers"
            );
            eprintln!("SKIPPED: {test} needs a Vulkan adapter (apt-get install mesa-vulkan-drivers): {e}");
            None
        }
    }
}

/// The test binary's shared GPU device (see [`device`]).
pub fn gpu() -> Option<Arc<Gpu>> {
    device(true)
}

/// A GPU device of the test's own, for tests that count its buffers or destroy it (see [`device`]).
pub fn own_gpu() -> Option<Arc<Gpu>> {
    device(false)
}

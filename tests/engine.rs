//! The engine behind the JS API (`hebb::engine::Engine`), driven as the wasm layer drives it:
//! models built from JSON, fit sessions, weights and optimizer state by handle, fit's options;
//! and on the GPU (lavapipe; skipped with a message when no adapter exists) predict and evaluate
//! handing back pending tensors, lazy eager tensors read asynchronously, and synchronous reads
//! that finish them on the CPU, all against the CPU's values.

use hebb::backend::gpu::Gpu;
use hebb::engine::pending::Status;
use hebb::engine::Engine;
use hebb::model::trainer::{class_weight, Event, FitOptions};
use hebb::tensor::Tensor;
use serde_json::{json, Value};
use std::sync::Arc;

use common::gpu;

mod common;

fn data(n: usize) -> (Tensor, Tensor) {
    let x: Vec<f32> = (0..n * 4).map(|i| ((i * 37 % 23) as f32 / 11.0) - 1.0).collect();
    let y: Vec<f32> = (0..n).flat_map(|i| (0..3).map(move |k| (k == i % 3) as u8 as f32)).collect();
    (Tensor::new(vec![n, 4], x).unwrap(), Tensor::new(vec![n, 3], y).unwrap())
}

/// A compiled Sequential model [4] -> 8 -> 3 made the way the JS API makes it.
fn model(e: &mut Engine, optimizer: &str) -> u32 {
    let m = e.new_model();
    let info = e.add_layer(m, "Dense", &json!({"name": "d1", "units": 8, "activation": "tanh", "inputShape": [4]})).unwrap();
    assert_eq!(info["inputShape"], json!([4]));
    assert_eq!(info["outputShape"], json!([8]));
    assert_eq!(info["weights"].as_array().unwrap().len(), 2);
    e.add_layer(m, "Dense", &json!({"name": "d2", "units": 3, "activation": "softmax"})).unwrap();
    let cfg = json!({"optimizer": {"className": optimizer, "config": {"learningRate": 0.05}}, "loss": "categoricalCrossentropy", "metrics": ["accuracy"]});
    e.compile(m, &cfg, false).unwrap();
    m
}

fn fit(e: &mut Engine, m: u32, x: u32, y: u32, epochs: usize) -> Vec<Event> {
    let mut o = FitOptions::new(epochs, 8);
    o.seed = 3;
    let s = e.fit_begin(m, x, y, None, o).unwrap();
    let mut events = vec![];
    while e.sessions.contains_key(&s) {
        events.extend(e.fit_run(s, 100).unwrap().0);
    }
    events
}

fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (p, q)) in a.iter().zip(b).enumerate() {
        assert!((p - q).abs() <= tol * (1.0 + q.abs()), "{what}[{i}]: {p} vs {q}");
    }
}

#[test]
fn fit_predict_evaluate_by_handle() {
    let mut e = Engine::default();
    let m = model(&mut e, "Adam");
    let (x, y) = data(24);
    let (xh, yh) = (e.rt.put(x.clone()), e.rt.put(y.clone()));
    let before = e.evaluate(m, xh, yh, 8).unwrap();
    let events = fit(&mut e, m, xh, yh, 3);
    assert!(events.iter().any(|ev| matches!(ev, Event::EpochEnd { epoch: 2, .. })), "{events:?}");
    let after = e.evaluate(m, xh, yh, 8).unwrap();
    assert_eq!(after.len(), 2, "loss and accuracy");
    let (l0, l1) = (e.tensor_data(before[0]).unwrap()[0], e.tensor_data(after[0]).unwrap()[0]);
    assert!(l1 < l0, "training lowers the loss: {l0} -> {l1}");
    let p = e.predict(m, xh, 5).unwrap();
    assert_eq!(e.rt.shape(p).unwrap(), [24, 3]);
    let direct = hebb::model::trainer::predict(e.model(m).unwrap(), &x, 24).unwrap();
    close(&e.tensor_data(p).unwrap(), &direct.data, 1e-6, "predict");
    assert_eq!(e.pending_status(p), Status::Ready);
    assert_eq!(e.model(m).unwrap().metric_keys(), ["loss", "acc"]);
    // A disposed model: its sessions go, and every use names it.
    e.dispose_model(m);
    assert!(e.predict(m, xh, 8).unwrap_err().to_string().contains("has been disposed"));
}

#[test]
fn optimizer_state_round_trip() {
    let mut e = Engine::default();
    let m = model(&mut e, "Adam");
    let (x, y) = data(16);
    let (xh, yh) = (e.rt.put(x), e.rt.put(y));
    fit(&mut e, m, xh, yh, 2);
    let info = e.model(m).unwrap().optimizer_info().unwrap();
    assert_eq!(info["iterations"], json!(4));
    assert_eq!(info["slots"], json!(2));
    assert_eq!(info["weights"][0]["shape"], json!([4, 8]));
    let slots = e.model(m).unwrap().optimizer_slots(2).unwrap();
    assert_eq!(slots.len(), 8, "two slots of four weights");
    assert!(slots[0].data.iter().any(|v| *v != 0.0), "the first moments were made by the steps");
    // Into a fresh model with the same weights: the next steps match.
    let weights = e.model(m).unwrap().get_weights();
    let m2 = model(&mut e, "Adam");
    e.model(m2).unwrap().set_weights(weights).unwrap();
    e.model(m2).unwrap().set_optimizer_state(4.0, slots.clone()).unwrap();
    assert_eq!(
        e.model(m2).unwrap().optimizer_slots(2).unwrap().iter().map(|t| t.data.clone()).collect::<Vec<_>>(),
        slots.iter().map(|t| t.data.clone()).collect::<Vec<_>>()
    );
    fit(&mut e, m, xh, yh, 1);
    fit(&mut e, m2, xh, yh, 1);
    let (a, b) = (e.model(m).unwrap().get_weights(), e.model(m2).unwrap().get_weights());
    for (wa, wb) in a.iter().zip(&b) {
        close(&wa.data, &wb.data, 1e-6, "weights after a step from the restored state");
    }
    // The first slot alone: the others start as the optimizer starts them.
    e.model(m2).unwrap().set_optimizer_state(1.0, slots[..4].to_vec()).unwrap();
    assert!(e.model(m2).unwrap().optimizer_slots(2).unwrap()[4].data.iter().all(|v| *v == 0.0));
    let err = |e: &mut Engine, it: f64, ts: Vec<Tensor>| e.model(m2).unwrap().set_optimizer_state(it, ts).unwrap_err().to_string();
    assert!(err(&mut e, -1.0, vec![]).contains("non-negative integer"));
    assert!(err(&mut e, 1.0, slots[..3].to_vec()).contains("has 3 tensors; expected up to 2 slots for each of the 4 trained weights"));
    let mut bad = slots[..4].to_vec();
    bad.swap(0, 1);
    assert!(err(&mut e, 1.0, bad).contains("optimizer slot 0 of weight"));
    let mut nan = slots[..4].to_vec();
    nan[2].data[0] = f32::NAN;
    assert!(err(&mut e, 1.0, nan).contains("non-finite value at index 0"));
    let m3 = e.new_model();
    e.add_layer(m3, "Dense", &json!({"units": 1, "inputShape": [2]})).unwrap();
    assert!(e.model(m3).unwrap().optimizer_info().unwrap_err().to_string().contains("not compiled"));
}

#[test]
fn layer_weights_states_and_checks() {
    let mut e = Engine::default();
    let m = model(&mut e, "SGD");
    let ws = e.model(m).unwrap().layer_weights(1).unwrap();
    assert_eq!(ws.iter().map(|t| t.shape.clone()).collect::<Vec<_>>(), [vec![8, 3], vec![3]]);
    let ones = vec![Tensor::new(vec![8, 3], vec![1.0; 24]).unwrap(), Tensor::zeros(&[3])];
    e.model(m).unwrap().set_layer_weights(1, ones).unwrap();
    assert_eq!(e.model(m).unwrap().get_weights()[2].data, vec![1.0; 24]);
    let model = e.model(m).unwrap();
    assert!(model.layer_weights(5).unwrap_err().to_string().contains("layer 5 is out of range"));
    assert!(model.set_layer_weights(0, vec![]).unwrap_err().to_string().contains("has 2 weights, received 0"));
    assert!(model.reset_layer_states(Some(2)).unwrap_err().to_string().contains("resetStates: layer 2 is out of range"));
    model.reset_layer_states(None).unwrap();
    assert!(model.summary_text(0, &[]).unwrap().contains("Total params: 67"));
    assert!(model.summary_text(2000, &[]).unwrap_err().to_string().contains("lineLength must be at most 1000"));
    assert!(model.summary_text(0, &[0.5]).unwrap_err().to_string().contains("must list 4 column stops, received 1"));
    assert!(model.summary_text(0, &[0.5, 0.4, 0.9, 1.0]).unwrap_err().to_string().contains("increasing"));
    model.set_learning_rate(0.5).unwrap();
    // Layer options checked where the JS API passes them.
    let info = e.add_layer(m, "Dense", &json!({"units": 2, "inputShape": [99]})).unwrap();
    assert_eq!(info["inputShape"], json!([3]), "a later layer's inputShape is ignored, as in TF.js");
    let m2 = e.new_model();
    let bad = e.add_layer(m2, "Dense", &json!({"units": 2, "inputShape": [-1]})).unwrap_err().to_string();
    assert!(bad.contains("must be a list of positive integers or null"), "{bad}");
    assert!(e.add_custom_trace(m2, "dense", 8, 99).unwrap_err().to_string().contains("the recording is gone"));
}

#[test]
fn functional_from_json() {
    let mut e = Engine::default();
    let cfg = json!({
        "layers": [
            {"className": "InputLayer", "config": {"name": "a", "inputShape": [3]}},
            {"className": "InputLayer", "config": {"name": "b", "inputShape": [2]}},
            {"className": "Concatenate", "config": {"name": "cat"}},
            {"className": "Dense", "config": {"name": "out", "units": 4}},
        ],
        "inputs": [{"layer": 0, "dtype": "float32"}, {"layer": 1, "dtype": "float32"}],
        "nodes": [{"layer": 2, "inputs": [["input", 0], ["input", 1]]}, {"layer": 3, "inputs": [["node", 0]]}],
        "outputs": [["node", 1]],
    });
    let r = e.new_functional(&cfg).unwrap();
    let m = r["id"].as_u64().unwrap() as u32;
    let layers = r["layers"].as_array().unwrap();
    assert_eq!(layers[2]["inputShapes"], json!([[3], [2]]));
    assert_eq!(layers[3]["outputShape"], json!([4]));
    assert_eq!(e.model(m).unwrap().output_shapes().unwrap(), [vec![4]]);
    let x = e.rt.put(Tensor::new(vec![2, 5], (0..10).map(|v| v as f32).collect()).unwrap());
    let p = e.predict(m, x, 32).unwrap();
    assert_eq!(e.rt.shape(p).unwrap(), [2, 4]);
    let mut bad = cfg.clone();
    bad["outputs"] = json!([["wire", 0]]);
    assert!(e.new_functional(&bad).unwrap_err().to_string().contains("bad connection"));
    bad["outputs"] = Value::Null;
    assert!(e.new_functional(&bad).unwrap_err().to_string().contains("outputs is missing"));
    let custom = json!({"name": "mine", "__custom": {"traced": 12345}});
    assert!(e.make_layer("MyLayer", &custom).err().unwrap().to_string().contains("MyLayer 'mine': the traced call is gone"));
}

#[test]
fn fit_options_and_class_weight() {
    let o = FitOptions::from_json(&json!({"epochs": 3, "batchSize": 4, "shuffle": false, "classWeight": {"0": 1, "2": 5}}), 9).unwrap();
    assert_eq!((o.epochs, o.batch_size, o.shuffle, o.seed, o.validation_split), (3, 4, false, 9, 0.0));
    assert_eq!(o.class_weight, Some(vec![1.0, 1.0, 5.0]));
    let d = FitOptions::from_json(&Value::Null, 1).unwrap();
    assert_eq!((d.epochs, d.batch_size, d.shuffle, d.report_batches, d.class_weight), (1, 32, true, true, None));
    let err = |v: Value| FitOptions::from_json(&v, 0).unwrap_err().to_string();
    assert!(err(json!({"epochs": -1})).contains("epochs must be a non-negative number, received epochs=-1"));
    assert!(err(json!({"shuffle": 2})).contains("shuffle"));
    assert!(class_weight(Some(&json!([1, 2]))).unwrap_err().to_string().contains("classWeight must be an object"));
    assert!(class_weight(Some(&json!({"x": 1}))).unwrap_err().to_string().contains("keys must be class indices, received 'x'"));
    assert!(class_weight(Some(&json!({"1": "a"}))).unwrap_err().to_string().contains("classWeight[1] must be a number"));
    assert_eq!(class_weight(Some(&Value::Null)).unwrap(), None);
}

#[test]
fn random_and_backend() {
    let mut e = Engine::default();
    let h = e.random("uniform", vec![100], 2.0, 3.0, Some(7)).unwrap();
    let v = e.tensor_data(h).unwrap();
    assert!(v.iter().all(|x| (2.0..=3.0).contains(x)));
    let again = e.random("uniform", vec![100], 2.0, 3.0, Some(7)).unwrap();
    assert_eq!(e.tensor_data(again).unwrap(), v, "a seed repeats the draw");
    assert!(e.random("poisson", vec![2], 0.0, 1.0, None).unwrap_err().to_string().contains("unknown distribution 'poisson'"));
    assert_eq!(e.backend(), "cpu");
    assert!(e.set_backend("webgpu").unwrap_err().to_string().contains("WebGPU is not available"));
    assert!(e.set_backend("tpu").unwrap_err().to_string().contains("unknown backend 'tpu'"));
    assert!(!e.start_gpu_read(h), "nothing to compute on the GPU");
    let stats = e.memory_stats();
    assert_eq!(stats[0], 2.0);
    e.dispose_tensor(h);
    assert_eq!(e.memory_stats()[0], 1.0);
}

/// Polls the device until `h` is no longer computing.
fn wait_for(e: &mut Engine, gpu: &Gpu, h: u32) {
    for _ in 0..10_000 {
        if e.pending_status(h) != Status::Computing {
            return;
        }
        let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    }
    panic!("tensor {h} never arrived");
}

fn gpu_engine() -> Option<(Engine, Arc<Gpu>)> {
    let gpu = gpu()?;
    let mut e = Engine::default();
    e.set_gpu(gpu.clone());
    e.set_backend("webgpu").unwrap();
    assert_eq!(e.backend(), "webgpu");
    Some((e, gpu))
}

#[test]
fn gpu_predict_and_evaluate_pending() {
    let Some((mut e, gpu)) = gpu_engine() else { return };
    let m = model(&mut e, "Adam");
    let (x, y) = data(20);
    let (xh, yh) = (e.rt.put(x.clone()), e.rt.put(y.clone()));
    fit(&mut e, m, xh, yh, 2);
    let cpu_p = hebb::model::trainer::predict(e.model(m).unwrap(), &x, 20).unwrap();
    let cpu_ev = hebb::model::trainer::evaluate(e.model(m).unwrap(), &x, &y, 6).unwrap();
    // Read once the GPU delivered: values from the GPU.
    let p = e.predict(m, xh, 6).unwrap();
    assert_eq!(e.rt.shape(p).unwrap(), [20, 3], "the shape is known while pending");
    let ev = e.evaluate(m, xh, yh, 6).unwrap();
    wait_for(&mut e, &gpu, p);
    wait_for(&mut e, &gpu, ev[0]);
    assert_eq!(e.pending_status(p), Status::Arrived);
    let from_gpu = e.gpu_values;
    close(&e.tensor_data(p).unwrap(), &cpu_p.data, 1e-4, "GPU predict");
    for (k, &h) in ev.iter().enumerate() {
        close(&e.tensor_data(h).unwrap(), &[cpu_ev[k]], 1e-4, "GPU evaluate");
    }
    assert_eq!(e.gpu_values, from_gpu + 3, "predict and both evaluate values came from the GPU");
    assert_eq!(e.pending_status(p), Status::Ready);
    // A model change finishes what is pending on it first, with the values it was asked of.
    let p2 = e.predict(m, xh, 6).unwrap();
    let zeros: Vec<Tensor> = e.model(m).unwrap().get_weights().iter().map(|w| Tensor::zeros(&w.shape)).collect();
    e.settle_model(m).unwrap();
    e.model(m).unwrap().set_weights(zeros).unwrap();
    close(&e.tensor_data(p2).unwrap(), &cpu_p.data, 1e-4, "settled before the change");
    let p3 = e.predict(m, xh, 6).unwrap();
    close(&e.tensor_data(p3).unwrap(), &[1.0 / 3.0; 60], 1e-4, "zero weights: uniform softmax");
}

#[test]
fn gpu_synchronous_read_falls_back_to_cpu() {
    let Some((mut e, _gpu)) = gpu_engine() else { return };
    let m = model(&mut e, "SGD");
    let (x, y) = data(12);
    let (xh, yh) = (e.rt.put(x.clone()), e.rt.put(y.clone()));
    let cpu_p = hebb::model::trainer::predict(e.model(m).unwrap(), &x, 12).unwrap();
    let cpu_ev = hebb::model::trainer::evaluate(e.model(m).unwrap(), &x, &y, 4).unwrap();
    // Read at once: the value is the model's either way (from the GPU if it has already
    // arrived, else computed on the CPU from the mirrored weights).
    let p = e.predict(m, xh, 4).unwrap();
    let ev = e.evaluate(m, xh, yh, 4).unwrap();
    close(&e.tensor_data(p).unwrap(), &cpu_p.data, 1e-4, "predict read at once");
    close(&e.tensor_data(ev[1]).unwrap(), &[cpu_ev[1]], 1e-4, "accuracy read at once");
    close(&e.tensor_data(ev[0]).unwrap(), &[cpu_ev[0]], 1e-4, "loss read at once");
    // A tensor computed from a pending one: the op finishes its input first.
    let p = e.predict(m, xh, 4).unwrap();
    let s = e.finishing(|st| {
        let t = st.rt.get(p)?.clone();
        Ok(st.rt.put(Tensor::scalar(t.data.iter().sum())))
    });
    close(&e.tensor_data(s.unwrap()).unwrap(), &[12.0], 1e-4, "softmax rows sum to one");
    // A lost device: the next predict runs on the CPU, and the user is told once.
    e.lose_gpu("WebGPU: the device was lost");
    assert_eq!(e.backend(), "cpu");
    let p = e.predict(m, xh, 4).unwrap();
    assert_eq!(e.pending_status(p), Status::Ready);
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
}

#[test]
fn gpu_lazy_tensor_read() {
    use hebb::graph::Builder as _;
    let Some((mut e, gpu)) = gpu_engine() else { return };
    let a = e.rt.put(Tensor::new(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap());
    let b = e.rt.put(Tensor::new(vec![3], vec![10.0, 20.0, 30.0]).unwrap());
    let s = e.rt.add(a, b).unwrap();
    let t = e.rt.mul(s, s).unwrap();
    assert!(e.start_gpu_read(t), "a lazy tensor is computed on the GPU");
    assert!(e.start_gpu_read(t), "asked again: the same read");
    wait_for(&mut e, &gpu, t);
    let before = e.gpu_values;
    let want: Vec<f32> = [11.0f32, 22.0, 33.0, 14.0, 25.0, 36.0].iter().map(|v| v * v).collect();
    close(&e.tensor_data(t).unwrap(), &want, 1e-6, "lazy read from the GPU");
    assert_eq!(e.gpu_values, before + 1);
    // Read synchronously before any GPU read: computed on the CPU.
    let u = e.rt.add(t, a).unwrap();
    let v = e.tensor_data(u).unwrap();
    assert_eq!(v[0], 122.0);
    assert_eq!(e.gpu_values, before + 1);
    assert!(!e.start_gpu_read(u), "its value is known now");
    // The graph a lazy read plans.
    let w = e.rt.sub(t, b).unwrap();
    let node = e.rt.lazy(w).expect("lazy on WebGPU");
    let (g, out) = hebb::engine::lazy::lazy_graph(&node).unwrap();
    assert_eq!(g.shape_of(out), vec![2, 3]);
}

#[test]
fn custom_loop_gradients_and_optimizer_steps() {
    use hebb::engine::grad::GradCheck;
    use hebb::graph::Builder as _;
    let mut e = Engine::default();
    let x = e.rt.put(Tensor::new(vec![3], vec![1.0, -2.0, 3.0]).unwrap());
    let c = e.rt.put(Tensor::new(vec![3], vec![5.0, 5.0, 5.0]).unwrap());
    // f(x) = sum(x * x): the value and 2x, for x watched twice.
    e.grad_begin("grads", &[x, x], false).unwrap();
    assert!(e.grad_begin("grads", &[x], false).unwrap_err().to_string().contains("nested gradients are not supported"));
    let sq = e.rt.mul(x, x).unwrap();
    let y = e.rt.sum(sq, &[0], false).unwrap();
    let out = e.grad_end("grads", &[x, x], y, None, GradCheck { scalar: true, all: true }).unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(e.tensor_data(out[0]).unwrap(), [14.0]);
    assert_eq!(e.tensor_data(out[1]).unwrap(), [2.0, -4.0, 6.0]);
    assert_eq!(e.tensor_data(out[2]).unwrap(), [2.0, -4.0, 6.0]);
    // A result not computed from the watched tensor.
    e.grad_begin("grad", &[x], false).unwrap();
    let z = e.rt.mul(c, c).unwrap();
    let err = e.grad_end("grad", &[x], z, None, GradCheck { scalar: false, all: true }).unwrap_err().to_string();
    assert!(err.contains("y is not computed from x"), "{err}");
    assert!(!e.rt.tracing(), "the recording is closed");
    // A non-scalar result where a scalar is required.
    e.grad_begin("grad", &[x], false).unwrap();
    let v = e.rt.mul(x, c).unwrap();
    let err = e.grad_end("grad", &[x], v, None, GradCheck { scalar: true, all: true }).unwrap_err().to_string();
    assert!(err.contains("f must return a scalar"), "{err}");
    e.grad_begin("grad", &[x], false).unwrap();
    e.grad_abort();
    assert!(!e.rt.tracing());
    // Optimizer steps keep their state per optimizer id and variable key.
    let g = e.rt.put(Tensor::new(vec![3], vec![1.0, 1.0, 1.0]).unwrap());
    let w = e.rt.put(Tensor::new(vec![3], vec![0.0; 3]).unwrap());
    let opt = || hebb::optim::Optimizer::from_config(&json!({"className": "SGD", "config": {"learningRate": 0.5}})).unwrap();
    e.optimizer_apply(opt(), &[1], &[w], &[g]).unwrap();
    e.optimizer_apply(opt(), &[1], &[w], &[g]).unwrap();
    assert_eq!(e.tensor_data(w).unwrap(), [-1.0, -1.0, -1.0]);
    let id = opt().id.unwrap_or(0);
    assert_eq!(e.optimizer_iterations(id), 2);
    e.optimizer_drop(id);
    assert_eq!(e.optimizer_iterations(id), 0);
    let err = e.optimizer_apply(opt(), &[1, 2], &[w], &[g]).unwrap_err().to_string();
    assert!(err.contains("2 keys, 1 variables and 1 gradients"), "{err}");
    let bad = e.rt.put(Tensor::zeros(&[2]));
    let err = e.optimizer_apply(opt(), &[1], &[w], &[bad]).unwrap_err().to_string();
    assert!(err.contains("variable 0 has shape [3], its gradient [2]"), "{err}");
    // model.apply on tensors: the model's own weights, or tensors given for some of them.
    let m = model(&mut e, "SGD");
    let (xs, _) = data(5);
    let xh = e.rt.put(xs.clone());
    let p = e.predict(m, xh, 5).unwrap();
    let a = e.apply_model(m, xh, &[], &[], false).unwrap();
    close(&e.tensor_data(a).unwrap(), &e.tensor_data(p).unwrap(), 1e-6, "apply = predict");
    let names: Vec<String> = e.model(m).unwrap().weights.iter().map(|w| w.name.clone()).collect();
    let zeros: Vec<u32> = e
        .model(m)
        .unwrap()
        .get_weights()
        .iter()
        .map(|w| Tensor::zeros(&w.shape))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| e.rt.put(t))
        .collect();
    let a0 = e.apply_model(m, xh, &names, &zeros, false).unwrap();
    close(&e.tensor_data(a0).unwrap(), &[1.0 / 3.0; 15], 1e-6, "apply with zero weights");
    assert!(e.apply_model(m, xh, &names[..1], &[], false).unwrap_err().to_string().contains("1 weight names for 0 tensors"));
}

#[test]
fn a_model_too_large_for_the_tab_is_an_error_before_anything_is_allocated() {
    let mut e = Engine::default();
    let m = e.new_model();
    e.add_layer(m, "Dense", &json!({"name": "big1", "units": 9000, "inputShape": [9000]})).unwrap();
    let err = e.add_layer(m, "Dense", &json!({"name": "big2", "units": 9000})).unwrap_err().to_string();
    assert!(err.contains("Dense 'big2'") && err.contains("a model holds at most 134217728"), "{err}");
    // The model keeps the layer it had and still runs.
    let x = e.rt.put(Tensor::zeros(&[1, 9000]));
    let p = e.predict(m, x, 1).unwrap();
    assert_eq!(e.rt.shape(p).unwrap(), [1, 9000]);
}

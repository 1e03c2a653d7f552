//! Custom training loops on the GPU (`optimizer.minimize` on WebGPU, see `hebb::engine::gpu_loop`),
//! driven as the JS API drives the engine, against the same loop on the CPU engine: the step is
//! planned once and replayed, asynchronous reads take the GPU's values, synchronous reads replay
//! the logged steps on the CPU, and the loop goes on from either. Needs a Vulkan adapter
//! (lavapipe); skipped with a message otherwise.

use hebb::backend::gpu::Gpu;
use hebb::engine::pending::Status;
use hebb::engine::Engine;
use hebb::graph::Builder as _;
use hebb::optim::Optimizer;
use hebb::tensor::Tensor;
use serde_json::json;
use std::sync::Arc;

mod common;

fn gpu_engine() -> Option<(Engine, Arc<Gpu>)> {
    let gpu = common::own_gpu()?;
    let mut e = Engine::default();
    e.set_gpu(gpu.clone());
    e.set_backend("webgpu").unwrap();
    Some((e, gpu))
}

struct Loop {
    w: u32,
    b: u32,
    x: u32,
    y: u32,
}

fn setup(e: &mut Engine) -> Loop {
    let w = e.rt.put(Tensor::new(vec![3, 2], vec![0.1, -0.2, 0.3, 0.05, -0.4, 0.2]).unwrap());
    let b = e.rt.put(Tensor::new(vec![2], vec![0.0, 0.1]).unwrap());
    let x = e.rt.put(Tensor::new(vec![4, 3], vec![1.0, 2.0, 3.0, 0.5, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0, -1.0]).unwrap());
    let y = e.rt.put(Tensor::new(vec![4, 2], vec![1.0, 0.0, 0.0, 1.0, -1.0, 0.5, 0.5, 0.5]).unwrap());
    Loop { w, b, x, y }
}

fn adam() -> Optimizer {
    Optimizer::from_config(&json!({"className": "Adam", "config": {"learningRate": 0.05}, "id": 7})).unwrap()
}

/// One `optimizer.minimize(() => mean((x·w + b - y)²), true, [w, b])`, as the JS side records it.
fn step(e: &mut Engine, l: &Loop, symbolic: bool) -> u32 {
    let loss = record(e, l, "minimize", symbolic);
    e.minimize_end("minimize", &[l.w, l.b], &[1, 2], loss, adam(), true).unwrap().expect("the cost was asked for")
}

/// Opens the recording `op` makes and records f = mean((x·w + b - y)²) in it; returns f's value.
fn record(e: &mut Engine, l: &Loop, op: &str, symbolic: bool) -> u32 {
    e.grad_begin(op, &[l.w, l.b], symbolic).unwrap();
    let xw = e.rt.matmul(l.x, l.w, false, false).unwrap();
    let z = e.rt.add(xw, l.b).unwrap();
    let d = e.rt.sub(z, l.y).unwrap();
    let sq = e.rt.mul(d, d).unwrap();
    e.rt.mean_all(sq).unwrap()
}

fn wait(e: &mut Engine, gpu: &Gpu, h: u32) {
    e.start_gpu_read(h);
    for _ in 0..10_000 {
        if e.pending_status(h) != Status::Computing {
            return;
        }
        let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    }
    panic!("tensor {h} never arrived");
}

fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{what}[{i}]: GPU loop {x}, CPU loop {y}");
    }
}

#[test]
fn minimize_on_the_gpu_matches_the_cpu_loop() {
    let Some((mut g, gpu)) = gpu_engine() else { return };
    let mut c = Engine::default();
    let (lg, lc) = (setup(&mut g), setup(&mut c));
    assert!(g.loop_on_gpu() && !c.loop_on_gpu());
    let mut want_costs = vec![];
    let mut want = vec![];
    for _ in 0..12 {
        let h = step(&mut c, &lc, false);
        want_costs.push(c.tensor_data(h).unwrap()[0]);
        want.push((c.tensor_data(lc.w).unwrap(), c.tensor_data(lc.b).unwrap()));
    }
    assert_eq!(c.loop_stats(), [0, 0], "the CPU engine takes no GPU step");

    // Five steps: planned once, replayed four times; the variables and costs wait on the GPU.
    let costs: Vec<u32> = (0..5).map(|_| step(&mut g, &lg, true)).collect();
    assert_eq!(g.loop_stats(), [5, 1]);
    assert!(g.rt.is_pending(lg.w) && g.rt.is_pending(lg.b));
    assert_eq!(g.optimizer_iterations(7), 5);
    // Asynchronous reads: the costs' own reads, and the loop's weights from the GPU.
    for (i, &h) in costs.iter().enumerate() {
        wait(&mut g, &gpu, h);
        close(&g.tensor_data(h).unwrap(), &[want_costs[i]], 1e-5, &format!("cost {i}"));
    }
    let before = g.gpu_values;
    wait(&mut g, &gpu, lg.w);
    close(&g.tensor_data(lg.w).unwrap(), &want[4].0, 1e-5, "w after 5 steps (GPU values)");
    close(&g.tensor_data(lg.b).unwrap(), &want[4].1, 1e-5, "b after 5 steps (GPU values)");
    assert!(g.gpu_values > before, "the weights came back from the GPU");

    // Three more steps read synchronously at once: the CPU replays them from the GPU's values.
    for _ in 0..3 {
        step(&mut g, &lg, true);
    }
    close(&g.tensor_data(lg.w).unwrap(), &want[7].0, 1e-5, "w after 8 steps (replayed)");
    close(&g.tensor_data(lg.b).unwrap(), &want[7].1, 1e-5, "b after 8 steps (replayed)");
    // The GPU goes on from there.
    let h = step(&mut g, &lg, true);
    wait(&mut g, &gpu, h);
    close(&g.tensor_data(h).unwrap(), &[want_costs[8]], 1e-5, "cost 8");
    assert_eq!(g.loop_stats(), [9, 1], "still the one plan");
    assert_eq!(g.optimizer_iterations(7), 9);

    // A variable assigned between steps is taken up by the next one.
    let fresh = g.rt.put(Tensor::new(vec![2], vec![0.5, -0.5]).unwrap());
    let fresh_c = c.rt.put(Tensor::new(vec![2], vec![0.5, -0.5]).unwrap());
    let v = g.rt.get_rc(fresh).unwrap();
    assert!(g.tensor_data(lg.b).is_ok());
    g.rt.replace(lg.b, v).unwrap();
    let vc = c.rt.get_rc(fresh_c).unwrap();
    // The CPU reference: rerun from the start to step 9, assign, one more step.
    let mut c2 = Engine::default();
    let l2 = setup(&mut c2);
    for _ in 0..9 {
        step(&mut c2, &l2, false);
    }
    c2.rt.replace(l2.b, vc).unwrap();
    step(&mut c2, &l2, false);
    step(&mut g, &lg, true);
    wait(&mut g, &gpu, lg.w);
    close(&g.tensor_data(lg.w).unwrap(), &c2.tensor_data(l2.w).unwrap(), 1e-5, "w after an assign");
    close(&g.tensor_data(lg.b).unwrap(), &c2.tensor_data(l2.b).unwrap(), 1e-5, "b after an assign");
}

#[test]
fn a_loop_read_synchronously_every_step_returns_to_the_cpu() {
    let Some((mut g, _gpu)) = gpu_engine() else { return };
    let mut c = Engine::default();
    let (lg, lc) = (setup(&mut g), setup(&mut c));
    for i in 0..6 {
        let h = step(&mut g, &lg, true);
        let hc = step(&mut c, &lc, false);
        close(&g.tensor_data(h).unwrap(), &c.tensor_data(hc).unwrap(), 1e-5, &format!("cost {i}"));
        close(&g.tensor_data(lg.w).unwrap(), &c.tensor_data(lc.w).unwrap(), 1e-5, &format!("w {i}"));
    }
    assert_eq!(g.loop_stats()[0], 3, "after three replays in a row the loop runs on the CPU");
    assert_eq!(g.optimizer_iterations(7), 6);
}

#[test]
fn applying_gradients_on_the_cpu_takes_over_the_loops_state() {
    let Some((mut g, gpu)) = gpu_engine() else { return };
    let mut c = Engine::default();
    let (lg, lc) = (setup(&mut g), setup(&mut c));
    for _ in 0..3 {
        step(&mut g, &lg, true);
        step(&mut c, &lc, false);
    }
    // applyGradients with explicit gradients, with the same optimizer, then the GPU again.
    let grads = |e: &mut Engine| {
        let gw = e.rt.put(Tensor::new(vec![3, 2], vec![0.1; 6]).unwrap());
        let gb = e.rt.put(Tensor::new(vec![2], vec![-0.2; 2]).unwrap());
        (gw, gb)
    };
    let (gw, gb) = grads(&mut g);
    g.finishing(|e| e.optimizer_apply(adam(), &[1, 2], &[lg.w, lg.b], &[gw, gb])).unwrap();
    let (cw, cb) = grads(&mut c);
    c.optimizer_apply(adam(), &[1, 2], &[lc.w, lc.b], &[cw, cb]).unwrap();
    step(&mut g, &lg, true);
    step(&mut c, &lc, false);
    wait(&mut g, &gpu, lg.w);
    close(&g.tensor_data(lg.w).unwrap(), &c.tensor_data(lc.w).unwrap(), 1e-5, "w");
    assert_eq!(g.optimizer_iterations(7), 5);
}

#[test]
fn a_long_loop_over_one_batch_is_logged_once_and_replayed_on_a_synchronous_read() {
    let Some((mut g, _gpu)) = gpu_engine() else { return };
    let mut c = Engine::default();
    let (lg, lc) = (setup(&mut g), setup(&mut c));
    for _ in 0..150 {
        step(&mut g, &lg, true);
        step(&mut c, &lc, false);
    }
    // No read in between: every step ran on the GPU, from one plan.
    assert_eq!(g.loop_stats(), [150, 1]);
    close(&g.tensor_data(lg.w).unwrap(), &c.tensor_data(lc.w).unwrap(), 1e-4, "w after 150 steps");
    close(&g.tensor_data(lg.b).unwrap(), &c.tensor_data(lc.b).unwrap(), 1e-4, "b after 150 steps");
    step(&mut g, &lg, true);
    assert_eq!(g.loop_stats()[0], 151, "one replay does not send the loop back to the CPU");
}

/// `tf.variableGrads(f)` as the JS side records it: [value, grad of w, grad of b].
fn grads(e: &mut Engine, l: &Loop, symbolic: bool) -> Vec<u32> {
    let loss = record(e, l, "variableGrads", symbolic);
    e.grads_end("variableGrads", &[l.w, l.b], &[1, 2], loss).unwrap()
}

#[test]
fn variable_grads_then_apply_gradients_run_on_the_gpu() {
    let Some((mut g, gpu)) = gpu_engine() else { return };
    let mut c = Engine::default();
    let (lg, lc) = (setup(&mut g), setup(&mut c));
    let mut want = vec![];
    for _ in 0..6 {
        let out = grads(&mut c, &lc, false);
        want.push((c.tensor_data(out[0]).unwrap()[0], c.tensor_data(out[1]).unwrap(), c.tensor_data(out[2]).unwrap()));
        c.optimizer_apply(adam(), &[1, 2], &[lc.w, lc.b], &[out[1], out[2]]).unwrap();
    }
    let (cw, cb) = (c.tensor_data(lc.w).unwrap(), c.tensor_data(lc.b).unwrap());
    let mut kept = vec![];
    for i in 0..6 {
        let out = grads(&mut g, &lg, true);
        assert!(out[1..].iter().all(|&h| g.rt.is_pending(h)), "step {i}: the gradients stay on the GPU");
        g.finishing(|e| e.optimizer_apply(adam(), &[1, 2], &[lg.w, lg.b], &[out[1], out[2]])).unwrap();
        kept.push(out);
    }
    // Six gradient steps and six updates on the GPU, from one plan.
    assert_eq!(g.loop_stats(), [12, 1]);
    assert_eq!(g.optimizer_iterations(7), 6);
    // Read asynchronously: the values, the gradients (from the checkpoint) and the weights.
    for (i, out) in kept.iter().enumerate() {
        wait(&mut g, &gpu, out[0]);
        close(&g.tensor_data(out[0]).unwrap(), &[want[i].0], 1e-5, &format!("value {i}"));
    }
    wait(&mut g, &gpu, kept[5][1]);
    close(&g.tensor_data(kept[5][1]).unwrap(), &want[5].1, 1e-5, "grad of w at step 5");
    close(&g.tensor_data(kept[3][2]).unwrap(), &want[3].2, 1e-5, "grad of b at step 3");
    close(&g.tensor_data(lg.w).unwrap(), &cw, 1e-5, "w after 6 updates");
    close(&g.tensor_data(lg.b).unwrap(), &cb, 1e-5, "b after 6 updates");
    // Gradients changed before applying (clipped by hand) are applied on the CPU.
    let out = grads(&mut g, &lg, true);
    let half = g.rt.put(Tensor::scalar(0.5));
    let hw = g.finishing(|e| e.rt.mul(out[1], half)).unwrap();
    let hb = g.finishing(|e| e.rt.mul(out[2], half)).unwrap();
    g.finishing(|e| e.optimizer_apply(adam(), &[1, 2], &[lg.w, lg.b], &[hw, hb])).unwrap();
    let outc = grads(&mut c, &lc, false);
    let halfc = c.rt.put(Tensor::scalar(0.5));
    let (hwc, hbc) = (c.rt.mul(outc[1], halfc).unwrap(), c.rt.mul(outc[2], halfc).unwrap());
    c.optimizer_apply(adam(), &[1, 2], &[lc.w, lc.b], &[hwc, hbc]).unwrap();
    close(&g.tensor_data(lg.w).unwrap(), &c.tensor_data(lc.w).unwrap(), 1e-5, "w after a halved update");
    assert_eq!(g.optimizer_iterations(7), 7);
}

/// A second optimizer taking over a loop that has just gone back to the CPU: no step is lost and
/// the values stay the CPU loop's (this once aborted the engine).
#[test]
fn another_optimizer_after_the_loop_went_back_to_the_cpu() {
    let Some((mut g, _gpu)) = gpu_engine() else { return };
    let mut c = Engine::default();
    let (lg, lc) = (setup(&mut g), setup(&mut c));
    let sgd = || Optimizer::from_config(&json!({"className": "SGD", "config": {"learningRate": 0.1}, "id": 8})).unwrap();
    let with = |e: &mut Engine, l: &Loop, symbolic: bool, opt: Optimizer| {
        let loss = record(e, l, "minimize", symbolic);
        e.minimize_end("minimize", &[l.w, l.b], &[1, 2], loss, opt, false).unwrap();
    };
    for i in 0..2 {
        step(&mut g, &lg, true);
        step(&mut c, &lc, false);
        close(&g.tensor_data(lg.w).unwrap(), &c.tensor_data(lc.w).unwrap(), 1e-5, &format!("w after adam step {i}"));
    }
    step(&mut g, &lg, true);
    step(&mut c, &lc, false);
    for i in 0..3 {
        with(&mut g, &lg, true, sgd());
        with(&mut c, &lc, false, sgd());
        close(&g.tensor_data(lg.w).unwrap(), &c.tensor_data(lc.w).unwrap(), 1e-5, &format!("w after sgd step {i}"));
    }
    close(&g.tensor_data(lg.b).unwrap(), &c.tensor_data(lc.b).unwrap(), 1e-5, "b");
    assert_eq!(g.optimizer_iterations(7), 3);
    assert_eq!(g.optimizer_iterations(8), 3);
}

#[test]
fn a_long_loop_whose_values_are_disposed_unread_makes_no_new_gpu_buffers() {
    let Some((mut e, gpu)) = gpu_engine() else { return };
    let l = setup(&mut e);
    let made = || gpu.buffers_made.load(std::sync::atomic::Ordering::Relaxed);
    let mut at_warm = 0;
    for s in 1..=400 {
        // As a tf.tidy loop does: the step's cost is asked for, then disposed before it is read
        // (its read is still on the way); every 50 steps a value is read synchronously.
        let c = step(&mut e, &l, true);
        if s % 50 == 0 {
            e.tensor_data(c).unwrap();
        }
        e.dispose_tensor(c);
        // As in a page that yields to the event loop only now and then: the GPU's answers
        // (mapped reads) arrive every 50 steps.
        if s % 50 == 0 {
            let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
        }
        if s == 100 {
            at_warm = made();
        }
    }
    // Without the pooling of dropped reads this made one buffer a step (300 here); a read the
    // GPU answers late may still need one more.
    assert!(made() <= at_warm + 2, "{} GPU buffers made after warm-up (reads dropped in flight must give their buffers back)", made() - at_warm);
}

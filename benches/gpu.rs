//! `cargo bench --bench gpu`: the WGSL kernels natively through wgpu (Vulkan): GFLOP/s of the
//! tiled matmul and the time of one planned training step on the GPU, with the CPU step for
//! comparison, for the MLP (784-128-64-10, batch 128, Adam), the CNN (28x28x1, conv 8 - pool -
//! conv 16 - pool - dense 10, batch 64) and the LSTM (64 units over 32 steps, batch 64). On a software adapter (lavapipe) the matmul
//! sizes stop at 1024; on a real GPU they go to 4096. Skips with a message without an adapter.

mod common;

use hebb::backend::gpu::plan::{GpuPlan, ParamArena};
use hebb::backend::gpu::Gpu;
use hebb::graph::{Builder, Graph};
use hebb::model::trainer::{Event, FitOptions, FitSession};
use hebb::model::Sequential;
use hebb::rng::Rng;
use std::sync::Arc;
use std::time::Instant;

fn wait(gpu: &Gpu) {
    let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
}

fn matmul(gpu: &Arc<Gpu>, n: usize) -> f64 {
    let mut rng = Rng::new(n as u64);
    let a: Vec<f32> = (0..n * n).map(|_| rng.uniform()).collect();
    let b: Vec<f32> = (0..n * n).map(|_| rng.uniform()).collect();
    let mut g = Graph::new();
    let (pa, pb) = (g.param(0, &[n, n]), g.param(1, &[n, n]));
    let c = g.matmul(pa, pb, false, false).unwrap();
    let arena = ParamArena::new(gpu, &[&a, &b], &[0, 1]).unwrap();
    let mut plan = GpuPlan::new(gpu, g, &[c], &arena).unwrap();
    let run = |plan: &mut GpuPlan, reps: usize| {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        for _ in 0..reps {
            plan.encode(&mut enc, &[], 0);
        }
        gpu.queue.submit([enc.finish()]);
        wait(gpu);
    };
    run(&mut plan, 1); // warm-up: pipeline compiled
    let flops = 2.0 * (n * n * n) as f64;
    let mut reps = 1;
    loop {
        let t = Instant::now();
        run(&mut plan, reps);
        let s = t.elapsed().as_secs_f64();
        if s > 0.5 || reps >= 4096 {
            return flops * reps as f64 / s / 1e9;
        }
        reps *= 2;
    }
}

/// Seconds per training step of `epochs` over the workload's samples in batches of `batch`.
fn train_step(workload: fn() -> (Sequential, hebb::Tensor, hebb::Tensor), batch: usize, gpu: Option<&Arc<Gpu>>, epochs: usize) -> f64 {
    let (mut m, x, y) = workload();
    let n = x.shape[0];
    let opts = FitOptions { report_batches: false, ..FitOptions::new(1, batch) };
    let train = |m: &mut Sequential, opts: FitOptions| {
        let mut s = FitSession::new(m, x.clone(), y.clone(), None, opts).unwrap();
        if let Some(g) = gpu {
            s.use_gpu(g.clone(), m).unwrap();
        }
        while !s.finished() {
            let ev = s.run(m, 64).unwrap();
            if let (Some(Event::GpuWait), Some(g)) = (ev.last(), gpu) {
                wait(g);
            }
        }
        if let Some(g) = gpu {
            wait(g);
        }
    };
    train(&mut m, opts.clone()); // warm-up: plans and pipelines built
    let t = Instant::now();
    train(&mut m, FitOptions { epochs, ..opts });
    t.elapsed().as_secs_f64() / (epochs * n.div_ceil(batch)) as f64
}

fn main() {
    let gpu = match Gpu::open_blocking() {
        Ok(g) => Arc::new(g),
        Err(e) => {
            println!("SKIPPED: no Vulkan adapter ({e})");
            return;
        }
    };
    let software = gpu.name.contains("Cpu");
    println!("adapter: {}", gpu.name);
    let sizes: &[usize] = if software { &[256, 512, 1024] } else { &[1024, 2048, 4096] };
    for &n in sizes {
        println!("WGSL matmul n = {n:<5} {:>10.1} GFLOP/s", matmul(&gpu, n));
    }
    let epochs = if software { 1 } else { 10 };
    type Workload = fn() -> (Sequential, hebb::Tensor, hebb::Tensor);
    let runs: [(&str, Workload, usize); 3] = [
        ("MLP 784-128-64-10 (batch 128, Adam)", common::mlp, 128),
        ("CNN conv8-pool-conv16-pool-dense10 on 28x28x1 (batch 64)", common::cnn, 64),
        ("LSTM 64 over 32x8 - dense 10 (batch 64)", common::lstm, 64),
    ];
    for (name, workload, batch) in runs {
        let g = train_step(workload, batch, Some(&gpu), epochs);
        let c = train_step(workload, batch, None, 1);
        println!(
            "{name} train step: GPU {:.3} ms/step ({:.0} samples/s), CPU {:.3} ms/step, GPU/CPU speed-up {:.1}x",
            g * 1e3,
            batch as f64 / g,
            c * 1e3,
            c / g
        );
    }
}

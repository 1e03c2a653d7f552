//! `cargo bench --bench gpu`: the WGSL kernels natively through wgpu (Vulkan): GFLOP/s of the
//! tiled matmul and the time of one planned MLP training step (784-128-64-10, batch 128, Adam)
//! on the GPU, with the CPU step for comparison. On a software adapter (lavapipe) the matmul
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

/// Seconds per training step of `epochs` over 4096 samples, batch 128.
fn mlp_step(gpu: Option<&Arc<Gpu>>, epochs: usize) -> f64 {
    let (mut m, x, y) = common::mlp();
    let opts = FitOptions { report_batches: false, ..FitOptions::new(1, 128) };
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
    };
    train(&mut m, opts.clone()); // warm-up: plans and pipelines built
    let t = Instant::now();
    train(&mut m, FitOptions { epochs, ..opts });
    t.elapsed().as_secs_f64() / (epochs * 4096 / 128) as f64
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
    let g = mlp_step(Some(&gpu), epochs);
    let c = mlp_step(None, 1);
    println!(
        "MLP 784-128-64-10 train step (batch 128, Adam): GPU {:.3} ms/step ({:.0} samples/s), CPU {:.3} ms/step",
        g * 1e3,
        128.0 / g,
        c * 1e3
    );
}

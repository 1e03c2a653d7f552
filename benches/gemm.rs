//! `cargo bench`: native GFLOP/s of the packed GEMM against the naive oracle, and the time of one
//! planned MLP training step (784-128-64-10, batch 128), the benchmark page's workload.
//! (Native SSE here; the browser figures come from `npm run bench`.)

mod common;

use hebb::backend::cpu::gemm::{gemm, gemm_naive, MatRef};
use hebb::model::trainer::{FitOptions, FitSession};
use hebb::rng::Rng;
use std::time::Instant;

fn time<F: FnMut()>(mut f: F, min_secs: f64) -> f64 {
    f();
    let mut reps = 0usize;
    let t = Instant::now();
    while t.elapsed().as_secs_f64() < min_secs {
        f();
        reps += 1;
    }
    t.elapsed().as_secs_f64() / reps as f64
}

fn main() {
    println!("GEMM (single thread, f32)        packed GFLOP/s   naive GFLOP/s");
    for n in [256usize, 512, 1024] {
        let mut rng = Rng::new(n as u64);
        let a: Vec<f32> = (0..n * n).map(|_| rng.uniform()).collect();
        let b: Vec<f32> = (0..n * n).map(|_| rng.uniform()).collect();
        let mut c = vec![0.0f32; n * n];
        let flops = 2.0 * (n * n * n) as f64;
        let fast = time(|| gemm(n, n, n, MatRef::row_major(&a, n, false), MatRef::row_major(&b, n, false), &mut c, n, false), 1.0);
        let naive = if n <= 512 {
            let t = time(|| gemm_naive(n, n, n, MatRef::row_major(&a, n, false), MatRef::row_major(&b, n, false), &mut c, n, false), 0.5);
            format!("{:>8.2}", flops / t / 1e9)
        } else {
            "  (skip)".into()
        };
        println!("n = {n:<5}                        {:>8.2}        {naive}", flops / fast / 1e9);
    }

    let (mut m, x, y) = common::mlp();
    let n = common::SAMPLES;
    let epochs = 3;
    let opts = FitOptions { report_batches: false, ..FitOptions::new(epochs, 128) };
    let mut s = FitSession::new(&m, x.clone(), y.clone(), None, opts.clone()).unwrap();
    s.run(&mut m, 4).unwrap(); // warm-up: plans built
    let mut s = FitSession::new(&m, x, y, None, opts).unwrap();
    let t = Instant::now();
    while !s.finished() {
        s.run(&mut m, 64).unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    let steps = epochs * n / 128;
    println!(
        "MLP 784-128-64-10 train step (batch 128, Adam): {:.3} ms/step, {:.0} samples/s",
        secs / steps as f64 * 1e3,
        (epochs * n) as f64 / secs
    );
}

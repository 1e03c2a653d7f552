//! `predict` and `evaluate` on the GPU without waiting for it: every batch is encoded into the
//! model's GPU copy (made from the mirrored weights on first use) and one asynchronous read of
//! the results is started. The caller polls the read; nothing here blocks.

use super::gpu::{GpuModel, EVAL};
use super::{trainer, LayersModel, PlanKind};
use crate::backend::gpu::{Gpu, Readback};
use crate::error::Result;
use crate::tensor::{numel, shape::checked_numel, Tensor};
use std::sync::Arc;

/// Runs `model` on `x` in batches of `batch` on the GPU: the output's shape, the read of its
/// values, and the buffer the read copies from (give it back to the pool once read).
pub fn predict(model: &mut LayersModel, gpu: &Arc<Gpu>, x: &Tensor, batch: usize) -> Result<(Vec<usize>, Readback, wgpu::Buffer)> {
    trainer::check_predict(model, x)?;
    let mut shape = vec![x.shape[0]];
    shape.extend(model.output_shape()?);
    let total = checked_numel("predict", &shape)?;
    gpu.check_size("predict output (all samples at once; predict fewer samples per call, or use the CPU backend)", total)?;
    let mut g = match model.gpu.take() {
        Some(g) => g,
        None => GpuModel::new(gpu, model)?,
    };
    let out = gpu.storage(total.max(1));
    let (n, row) = (x.shape[0], numel(&x.shape[1..]));
    let orow = total / n.max(1);
    let mut start = 0;
    let mut r = Ok(());
    while start < n && r.is_ok() {
        let b = batch.min(n - start);
        let seed = model.rng.next_u32();
        r = g.predict_batch(model, &x.data[start * row..(start + b) * row], &out, (start * orow) as u64, seed);
        start += b;
    }
    model.gpu = Some(g);
    r?;
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    let mut rb = gpu.readback(&mut enc, &[(&out, 0, total)]);
    gpu.queue.submit([enc.finish()]);
    rb.start();
    gpu.check("predict")?;
    Ok((shape, rb, out))
}

/// Evaluates `model` on `x`, `y` in batches of `batch` on the GPU: the number of values (the
/// loss, then each metric) and the read of their sums over the samples (one part, `k` values:
/// divide by the sample count).
pub fn evaluate(model: &mut LayersModel, gpu: &Arc<Gpu>, x: &Tensor, y: &Tensor, batch: usize) -> Result<(usize, Readback)> {
    trainer::check_data(model, "evaluate", x, y)?;
    let mut g = match model.gpu.take() {
        Some(g) => g,
        None => GpuModel::new(gpu, model)?,
    };
    g.clear_sums(EVAL);
    let (n, xr, yr) = (x.shape[0], numel(&x.shape[1..]), numel(&y.shape[1..]));
    let mut start = 0;
    let mut r = Ok(());
    while start < n && r.is_ok() {
        let b = batch.min(n - start);
        let (xs, ys) = (&x.data[start * xr..(start + b) * xr], &y.data[start * yr..(start + b) * yr]);
        r = g.step(model, PlanKind::Eval, &[xs, ys], (&y.shape[1..], y.dtype), 0, EVAL);
        start += b;
    }
    let k = g.k;
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    let mut rb = g.read_sums(&mut enc, EVAL);
    model.gpu = Some(g);
    r?;
    gpu.queue.submit([enc.finish()]);
    rb.start();
    gpu.check("evaluate")?;
    Ok((k, rb))
}

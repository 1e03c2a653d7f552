//! The GPU step of the training loop: training batches encoded and submitted without waiting,
//! the CPU mirror of the weights refreshed in the background, epoch sums read back with
//! `map_async`, and the fall back to the CPU (from the last mirrored weights) when the device is
//! lost.

use super::{Event, FitSession, LayersModel, PlanKind};
use crate::error::{Error, OrInternal, Result};
use crate::tensor::numel;

#[derive(Clone)]
pub(super) struct Snap {
    pub(super) epoch: usize,
    pub(super) batch: Option<usize>,
    pub(super) seen: usize,
    pub(super) sums: Vec<f64>,
    pub(super) iterations: u64,
    pub(super) order: Vec<usize>,
}

pub(super) enum Wait {
    /// A batch's loss and metrics, with the weights and optimizer state after it (so callbacks
    /// that watch batches see exact weights).
    Batch { b: usize, size: usize, snap: Snap },
    /// The epoch's sums (training and validation) with the weights and optimizer state.
    Epoch { snap: Snap, complete: bool },
}

pub(super) struct GpuRun {
    pub(super) gpu: std::sync::Arc<crate::backend::gpu::Gpu>,
    pub(super) wait: Option<(crate::backend::gpu::Readback, Wait)>,
    /// A mirror refresh in flight, and the position it will record.
    pub(super) sync: Option<(crate::backend::gpu::Readback, Snap)>,
    pub(super) snap: Snap,
    /// Batches trained since the last mirror refresh began.
    pub(super) since_sync: usize,
}

impl FitSession {
    /// Trains on `gpu` from here on (the weights and optimizer state are uploaded from the CPU).
    /// A model with per-step user functions stays on the CPU: they need each step's prediction
    /// in JS. Returns whether the GPU is used.
    pub fn use_gpu(&mut self, gpu: std::sync::Arc<crate::backend::gpu::Gpu>, model: &mut LayersModel) -> Result<bool> {
        if self.per_step || gpu.is_lost() {
            return Ok(false);
        }
        // The GPU copy from an earlier fit or predict is current (CPU training or new weights
        // drop it), so it is reused with its planned steps.
        let g = match model.gpu.take() {
            Some(g) => g,
            None => crate::model::gpu::GpuModel::new(&gpu, model)?,
        };
        g.clear_sums(crate::model::gpu::TRAIN);
        g.clear_sums(crate::model::gpu::VAL);
        model.gpu = Some(g);
        let snap = self.position(model);
        self.gpu = Some(GpuRun { gpu, wait: None, sync: None, snap, since_sync: 0 });
        Ok(true)
    }

    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    pub(super) fn position(&self, model: &LayersModel) -> Snap {
        Snap {
            epoch: self.epoch,
            batch: self.batch,
            seen: self.seen,
            sums: self.sums.clone(),
            iterations: model.compiled.as_ref().map(|c| c.optimizer.iterations).unwrap_or(0),
            order: self.order.clone(),
        }
    }

    /// Resumes on the CPU from the last mirrored position after the GPU failed.
    pub(super) fn fall_back(&mut self, model: &mut LayersModel, why: &Error, events: &mut Vec<Event>) {
        let Some(run) = self.gpu.take() else { return };
        model.gpu = None;
        let s = run.snap;
        let (epoch, batch) = (s.epoch, s.batch);
        self.rewind(model, s);
        events.push(Event::DeviceLost {
            message: format!("{why}; training continues on the CPU from the weights of epoch {}, batch {}", epoch + 1, batch.unwrap_or(0)),
        });
    }

    /// Goes back to where the mirrored weights were read (the batches since are trained again).
    pub(super) fn rewind(&mut self, model: &mut LayersModel, s: Snap) {
        // An epoch JS has already begun is resumed from its start, not begun a second time.
        let begun = s.batch.is_none() && self.epoch == s.epoch && self.batch.is_some();
        self.epoch = s.epoch;
        self.batch = if begun { Some(0) } else { s.batch };
        self.seen = s.seen;
        self.sums = s.sums;
        self.order = s.order;
        if let Some(c) = model.compiled.as_mut() {
            c.optimizer.iterations = s.iterations;
        }
    }

    /// The session ends before finishing (a callback threw, or an error): the model keeps the
    /// mirrored weights and the optimizer state that goes with them.
    pub fn abandon(&mut self, model: &mut LayersModel) {
        if let Some(run) = self.gpu.take() {
            model.gpu = None;
            if let Some(c) = model.compiled.as_mut() {
                c.optimizer.iterations = run.snap.iterations;
            }
        }
    }

    /// The model's GPU copy was dropped during the fit (new weights, a frozen layer, a new
    /// compile): upload the mirror again and go on from the position it was read at.
    pub(super) fn reupload(&mut self, model: &mut LayersModel) -> Result<()> {
        let Some(run) = self.gpu.as_mut() else { return Ok(()) };
        run.wait = None;
        run.sync = None;
        run.since_sync = 0;
        let gpu = run.gpu.clone();
        let snap = run.snap.clone();
        self.rewind(model, snap);
        let g = crate::model::gpu::GpuModel::new(&gpu, model)?;
        g.clear_sums(crate::model::gpu::VAL);
        let sums: Vec<f32> = self.sums.iter().map(|&v| v as f32).collect();
        g.set_sums(crate::model::gpu::TRAIN, &sums);
        model.gpu = Some(g);
        self.sums.iter_mut().for_each(|v| *v = 0.0);
        Ok(())
    }

    /// Takes in finished GPU reads. Ok(false): still waiting; Ok(true) with `hand_back` set when
    /// an epoch just ended.
    pub(super) fn gpu_poll(&mut self, model: &mut LayersModel, events: &mut Vec<Event>, hand_back: &mut bool) -> Result<bool> {
        let Some(run) = self.gpu.as_mut() else { return Ok(true) };
        if let Some(e) = run.gpu.check("training").err() {
            return Err(e);
        }
        if let Some((mut rb, snap)) = run.sync.take() {
            match rb.poll(&run.gpu) {
                None => run.sync = Some((rb, snap)),
                Some(r) => {
                    let data = r?;
                    if let Some(g) = model.gpu.take() {
                        let (train, _) = g.apply_sync(model, data);
                        model.gpu = Some(g);
                        run.snap = Snap { sums: train.iter().map(|&v| v as f64).collect(), ..snap };
                    }
                }
            }
        }
        let Some((mut rb, wait)) = run.wait.take() else { return Ok(true) };
        let data = match rb.poll(&run.gpu) {
            None => {
                run.wait = Some((rb, wait));
                return Ok(false);
            }
            Some(r) => r?,
        };
        match wait {
            Wait::Batch { b, size, snap } => {
                let mut it = data.into_iter();
                let values = it.next().unwrap_or_default();
                let g = model.gpu.take().ok_or_else(|| Error::Device("the model's GPU copy is gone".into()))?;
                let (train, _) = g.apply_sync(model, it.collect());
                model.gpu = Some(g);
                let run = self.gpu.as_mut().or_internal("fit", "the GPU run is gone")?;
                run.snap = Snap { sums: train.iter().map(|&v| v as f64).collect(), ..snap };
                run.since_sync = 0;
                events.push(Event::BatchEnd { batch: b, size, values });
                // JS runs onBatchEnd (which may stop training) before the next batch.
                *hand_back = true;
            }
            Wait::Epoch { snap, complete } => {
                let g = model.gpu.take().ok_or_else(|| Error::Device("the model's GPU copy is gone".into()))?;
                let (train, val) = g.apply_sync(model, data);
                g.clear_sums(crate::model::gpu::TRAIN);
                g.clear_sums(crate::model::gpu::VAL);
                model.gpu = Some(g);
                let values: Vec<f32> = train.iter().map(|&s| (s as f64 / self.seen.max(1) as f64) as f32).collect();
                let val = self.val.as_ref().filter(|_| !val.is_empty() && complete).map(|(vx, _)| {
                    let n = vx.shape[0] as f64;
                    val.iter().map(|&s| (s as f64 / n) as f32).collect::<Vec<f32>>()
                });
                let run = self.gpu.as_mut().or_internal("fit", "the GPU run is gone")?;
                run.snap = snap;
                run.since_sync = 0;
                events.push(Event::EpochEnd { epoch: self.epoch, values, val });
                self.epoch += 1;
                self.batch = None;
                *hand_back = true;
            }
        }
        Ok(true)
    }

    /// Starts a mirror refresh when at least `every` batches were trained since the last and
    /// none is in flight; it completes in the background (no waiting).
    pub(super) fn start_sync(&mut self, model: &LayersModel, every: usize) {
        let pos = self.position(model);
        let (Some(run), Some(g)) = (self.gpu.as_mut(), model.gpu.as_ref()) else { return };
        if run.sync.is_some() || run.wait.is_some() || run.since_sync < every.max(1) {
            return;
        }
        let mut enc = run.gpu.device.create_command_encoder(&Default::default());
        let mut rb = g.sync_parts(&mut enc, model);
        run.gpu.queue.submit([enc.finish()]);
        rb.start();
        run.sync = Some((rb, pos));
        run.since_sync = 0;
    }

    /// One training step on the GPU (submitted, not awaited).
    pub(super) fn train_batch_gpu(&mut self, model: &mut LayersModel, b: usize) -> Result<()> {
        let size = self.gather(b);
        self.sample_weights(size);
        let kind = if self.opts.class_weight.is_some() { PlanKind::TrainWeighted } else { PlanKind::Train };
        let run = self.gpu.as_mut().or_internal("fit", "the GPU run is gone")?;
        let mut g = model.gpu.take().ok_or_else(|| Error::Device("the model's GPU copy is gone".into()))?;
        let seed = self.rng.next_u32();
        // RandomWidth layers draw their widths from the step's seed, as on the CPU.
        let r = model.use_train_widths(Some(seed as u64)).and_then(|_| {
            g.step(model, kind, &[&self.xb, &self.yb, &self.wb], (&self.y.shape[1..], self.y.dtype), seed, crate::model::gpu::TRAIN)
        });
        model.gpu = Some(g);
        model.use_train_widths(None)?;
        r?;
        run.since_sync += 1;
        self.seen += size;
        Ok(())
    }

    /// Encodes the validation pass (when the epoch completed) and the read of the epoch's sums,
    /// weights and optimizer state.
    pub(super) fn end_epoch_gpu(&mut self, model: &mut LayersModel, complete: bool) -> Result<()> {
        let mut g = model.gpu.take().ok_or_else(|| Error::Device("the model's GPU copy is gone".into()))?;
        let r = (|| -> Result<()> {
            if let (Some((vx, vy)), true) = (self.val.as_ref(), complete) {
                let (n, bs) = (vx.shape[0], self.opts.batch_size);
                let mut start = 0;
                while start < n {
                    let size = bs.min(n - start);
                    let xr = numel(&vx.shape[1..]);
                    let yr = numel(&vy.shape[1..]);
                    let xs = &vx.data[start * xr..(start + size) * xr];
                    let ys = &vy.data[start * yr..(start + size) * yr];
                    g.step(model, PlanKind::Eval, &[xs, ys], (&vy.shape[1..], vy.dtype), 0, crate::model::gpu::VAL)?;
                    start += size;
                }
            }
            Ok(())
        })();
        model.gpu = Some(g);
        r?;
        let mut snap = self.position(model);
        snap.epoch += 1;
        snap.batch = None;
        snap.seen = 0;
        snap.sums.iter_mut().for_each(|s| *s = 0.0);
        let run = self.gpu.as_mut().or_internal("fit", "the GPU run is gone")?;
        let Some(g) = model.gpu.as_ref() else { return Err(Error::Device("the model's GPU copy is gone".into())) };
        let mut enc = run.gpu.device.create_command_encoder(&Default::default());
        let mut rb = g.sync_parts(&mut enc, model);
        run.gpu.queue.submit([enc.finish()]);
        rb.start();
        // A refresh still in flight is superseded by this one.
        run.sync = None;
        run.wait = Some((rb, Wait::Epoch { snap, complete }));
        Ok(())
    }
}

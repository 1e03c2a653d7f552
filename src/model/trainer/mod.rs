//! The training loop, inside the engine. `FitSession::run` advances a bounded number of batches
//! (forward, backward, optimizer update, metrics) and returns the events JS needs for callbacks;
//! JS calls it again after yielding to the browser. Batches are gathered into buffers allocated
//! once; plans are built on the first step of each batch size and replayed after.

use super::{LayersModel, Phase, PlanKind, StepFns, StepPlan};
use crate::error::{Error, OrInternal, Result};
use crate::rng::Rng;
use crate::tensor::{numel, Tensor};
use serde::Serialize;

mod cpu_step;
mod gpu_step;
mod checks;
mod options;
use gpu_step::{GpuRun, Wait};
pub use checks::{check_data, check_predict, check_state_batch};
pub use options::{class_weight, FitOptions};

#[derive(Serialize, Debug, Clone)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    EpochBegin {
        epoch: usize,
    },
    /// `values` follow [`FitSession::keys`]: the loss, then each metric, for this batch.
    BatchEnd {
        batch: usize,
        size: usize,
        #[serde(serialize_with = "numbers")]
        values: Vec<f32>,
    },
    /// Batches run since the last event, when batches are not reported one by one.
    Progress {
        batches: usize,
        next: usize,
    },
    /// Epoch averages in key order, and the validation values (`val_` keys) when there are any.
    EpochEnd {
        epoch: usize,
        #[serde(serialize_with = "numbers")]
        values: Vec<f32>,
        #[serde(serialize_with = "maybe_numbers")]
        val: Option<Vec<f32>>,
    },
    TrainEnd,
    /// Per-step functions must be recorded on [`FitSession::take_pending`]'s (yTrue, yPred)
    /// and handed back with [`FitSession::supply`] before training goes on. `phase` is "train"
    /// (the next batch) or "val" (the whole validation set at epoch end).
    NeedFns {
        phase: &'static str,
    },
    /// The GPU is computing values this session needs (a batch's logs, the epoch's sums): wait
    /// for the GPU (in the browser, let the event loop run) and call `run` again.
    GpuWait,
    /// The GPU device was lost or failed: training goes on on the CPU from the last weights
    /// read back, repeating the batches trained since.
    DeviceLost {
        message: String,
    },
}

/// Log values as JSON: NaN and infinities (a diverging run) become the strings "NaN",
/// "Infinity", "-Infinity", which JS's Number() reads back; plain JSON would make them null.
fn numbers<S: serde::Serializer>(v: &[f32], s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for &x in v {
        if x.is_finite() {
            seq.serialize_element(&(x as f64))?;
        } else {
            seq.serialize_element(if x.is_nan() {
                "NaN"
            } else if x > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            })?;
        }
    }
    seq.end()
}

fn maybe_numbers<S: serde::Serializer>(v: &Option<Vec<f32>>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => numbers(v, s),
        None => s.serialize_none(),
    }
}

/// Copies rows `idx` of `src` (row length `row`) into `dst`.
fn gather_rows(src: &[f32], row: usize, idx: &[usize], dst: &mut Vec<f32>) {
    dst.clear();
    for &i in idx {
        dst.extend_from_slice(&src[i * row..(i + 1) * row]);
    }
}

/// Runs `kind` over `x` (and `y`) in batches, calling `each(plan outputs, batch size)`.
fn batched(
    model: &mut LayersModel,
    kind: PlanKind,
    x: &Tensor,
    y: Option<&Tensor>,
    batch_size: usize,
    rng: &mut Rng,
    mut each: impl FnMut(&StepPlan, usize),
) -> Result<()> {
    let n = x.shape[0];
    let xrow = numel(&x.shape[1..]);
    let (yrow, yfeat, ydt) = match y {
        Some(y) => (numel(&y.shape[1..]), y.shape[1..].to_vec(), y.dtype),
        None => (0, vec![], crate::tensor::DType::F32),
    };
    let mut start = 0;
    while start < n {
        let b = batch_size.min(n - start);
        let mut plan = model.take_plan(kind, b, &yfeat, ydt)?;
        let xs = &x.data[start * xrow..(start + b) * xrow];
        let ys: &[f32] = y.map(|y| &y.data[start * yrow..(start + b) * yrow]).unwrap_or(&[]);
        plan.plan.run(&[xs, ys], &model.weights[..], rng);
        each(&plan, b);
        // Stateful layers' carried states (evaluate and predict move them on too); the GPU's
        // copy is then rebuilt from this mirror on its next use.
        for &(wi, node) in &plan.updates {
            model.weights[wi].value.data.copy_from_slice(plan.plan.value(node));
            model.gpu = None;
        }
        model.put_plan(kind, b, &yfeat, ydt, plan);
        start += b;
    }
    Ok(())
}

/// `evaluate`: the loss and each metric, averaged over samples.
pub fn evaluate(model: &mut LayersModel, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Vec<f32>> {
    check_data(model, "evaluate", x, y)?;
    check_state_batch(model, "evaluate", x.shape[0], batch_size)?;
    let k = model.compiled.as_ref().map(|c| c.num_values()).unwrap_or(1);
    let mut sums = vec![0.0f64; k];
    // Random ops a model runs in inference (a custom sampling layer) draw afresh on each call.
    let mut rng = Rng::new(model.rng.next_u32() as u64);
    batched(model, PlanKind::Eval, x, Some(y), batch_size.max(1), &mut rng, |sp, b| {
        for (s, &node) in sums.iter_mut().zip(&sp.outputs) {
            *s += sp.plan.value(node)[0] as f64 * b as f64;
        }
    })?;
    Ok(sums.iter().map(|s| (s / x.shape[0] as f64) as f32).collect())
}

/// Evaluates `x` as one batch with this step's recordings of per-step functions.
fn evaluate_once(model: &mut LayersModel, x: &Tensor, y: &Tensor, fns: &StepFns) -> Result<Vec<f32>> {
    let n = x.shape[0];
    let mut sp = model.build_plan(PlanKind::Eval, n, &y.shape[1..], y.dtype, Some(fns))?;
    sp.plan.run(&[&x.data, &y.data], &model.weights[..], &mut Rng::new(0));
    Ok(sp.outputs.iter().map(|&o| sp.plan.value(o)[0]).collect())
}

/// `predict`: the model's output for every sample of `x`.
pub fn predict(model: &mut LayersModel, x: &Tensor, batch_size: usize) -> Result<Tensor> {
    check_predict(model, x)?;
    check_state_batch(model, "predict", x.shape[0], batch_size)?;
    let mut shape = vec![x.shape[0]];
    shape.extend(model.output_shape()?);
    let mut data = crate::tensor::shape::alloc_zeroed("predict", crate::tensor::shape::checked_numel("predict", &shape)?)?;
    data.clear();
    let mut rng = Rng::new(model.rng.next_u32() as u64);
    batched(model, PlanKind::Predict, x, None, batch_size.max(1), &mut rng, |sp, _| {
        data.extend_from_slice(sp.plan.value(sp.outputs[0]));
    })?;
    Tensor::new(shape, data)
}

pub struct FitSession {
    opts: FitOptions,
    x: Tensor,
    y: Tensor,
    val: Option<(Tensor, Tensor)>,
    n_train: usize,
    epoch: usize,
    order: Vec<usize>,
    /// Index of the next batch within the epoch; None before the epoch has begun.
    batch: Option<usize>,
    sums: Vec<f64>,
    seen: usize,
    xb: Vec<f32>,
    yb: Vec<f32>,
    wb: Vec<f32>,
    rng: Rng,
    pub keys: Vec<String>,
    stopped: bool,
    finished: bool,
    per_step: bool,
    pending: Option<(Tensor, Tensor)>,
    supplied: Option<StepFns>,
    epochs_begun: usize,
    /// Per-step validation: the next validation batch and the running sums.
    val_batch: usize,
    val_sums: Vec<f64>,
    /// Set while training runs on the GPU.
    gpu: Option<GpuRun>,
}

/// Where a session stood when the CPU mirror was last brought up to date from the GPU: a lost
/// device resumes on the CPU from here.
/// While batches are not watched one by one, the CPU mirror is refreshed every this many batches
/// (and at each epoch end).
const SYNC_EVERY: usize = 16;

impl FitSession {
    pub fn new(model: &LayersModel, x: Tensor, y: Tensor, val: Option<(Tensor, Tensor)>, opts: FitOptions) -> Result<FitSession> {
        let c = model
            .compiled
            .as_ref()
            .ok_or_else(|| Error::arg("fit", "the model must be compiled before training: call model.compile({optimizer, loss})"))?;
        if opts.batch_size == 0 {
            return Err(Error::arg("fit", "batchSize must be a positive integer, received 0"));
        }
        if !(0.0..1.0).contains(&opts.validation_split) {
            return Err(Error::arg("fit", format!("validationSplit must be in [0, 1), received {}", opts.validation_split)));
        }
        check_data(model, "fit", &x, &y)?;
        if let Some(cw) = &opts.class_weight {
            if let Some(bad) = cw.iter().find(|w| !w.is_finite() || **w < 0.0) {
                return Err(Error::arg("fit", format!("classWeight values must be finite and non-negative, received {bad}")));
            }
        }
        let n = x.shape[0];
        let (x, y, val) = if opts.validation_split > 0.0 {
            if val.is_some() {
                return Err(Error::arg("fit", "give either validationSplit or validationData, not both"));
            }
            // As TF.js and Keras: the last fraction of the samples, taken before any shuffling.
            let split = ((n as f64) * (1.0 - opts.validation_split)).floor() as usize;
            if split == 0 || split == n {
                return Err(Error::data(
                    "fit",
                    format!("validationSplit {} leaves an empty training or validation set for {n} samples", opts.validation_split),
                ));
            }
            let (xt, xv) = split_rows(&x, split);
            let (yt, yv) = split_rows(&y, split);
            (xt, yt, Some((xv, yv)))
        } else {
            if let Some((vx, vy)) = &val {
                check_data(model, "fit (validationData)", vx, vy)?;
            }
            (x, y, val)
        };
        check_state_batch(model, "fit", x.shape[0], opts.batch_size)?;
        if let Some((vx, _)) = &val {
            check_state_batch(model, "fit (validation data)", vx.shape[0], opts.batch_size)?;
        }
        let keys = c.keys();
        let n_train = x.shape[0];
        Ok(FitSession {
            epoch: opts.initial_epoch,
            rng: Rng::new(opts.seed),
            opts,
            n_train,
            x,
            y,
            val,
            order: (0..n_train).collect(),
            batch: None,
            sums: vec![0.0; keys.len()],
            seen: 0,
            xb: vec![],
            yb: vec![],
            wb: vec![],
            keys,
            stopped: false,
            finished: false,
            per_step: model.per_step(),
            pending: None,
            supplied: None,
            epochs_begun: 0,
            val_batch: 0,
            val_sums: vec![],
            gpu: None,
        })
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.n_train.div_ceil(self.opts.batch_size)
    }
    pub fn samples(&self) -> usize {
        self.n_train
    }
    pub fn has_validation(&self) -> bool {
        self.val.is_some()
    }

    /// Stops after the current batch: the epoch ends (with its logs so far) and training ends.
    /// Called between epochs, no further epoch begins.
    pub fn stop(&mut self) {
        self.stopped = true;
        self.supplied = None;
    }

    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The (yTrue, yPred) that per-step functions must be recorded on, after a NeedFns event.
    pub fn take_pending(&mut self) -> Option<(Tensor, Tensor)> {
        self.pending.take()
    }

    /// This step's recordings of the per-step functions; the next `run` uses them once.
    pub fn supply(&mut self, fns: StepFns) {
        self.supplied = Some(fns);
    }

    /// Runs to the end without handing back (native use, tests): every event, in order.
    pub fn run_all(&mut self, model: &mut LayersModel) -> Result<Vec<Event>> {
        let mut events = vec![];
        while !self.finished {
            let evs = self.run(model, 1024)?;
            #[cfg(not(target_arch = "wasm32"))]
            if let (Some(Event::GpuWait), Some(run)) = (evs.last(), self.gpu.as_ref()) {
                let _ = run.gpu.device.poll(wgpu::PollType::wait_indefinitely());
            }
            events.extend(evs.into_iter().filter(|e| !matches!(e, Event::GpuWait)));
        }
        Ok(events)
    }

    /// Runs up to `max_batches` batches and returns what happened.
    pub fn run(&mut self, model: &mut LayersModel, max_batches: usize) -> Result<Vec<Event>> {
        let mut events = vec![];
        let mut done = 0;
        let mut unreported = 0;
        let flush = |events: &mut Vec<Event>, n: &mut usize, next: usize| {
            if *n > 0 {
                events.push(Event::Progress { batches: *n, next });
                *n = 0;
            }
        };
        if self.gpu.is_some() && model.gpu.is_none() {
            match self.reupload(model) {
                Ok(()) => {}
                Err(e) => self.fall_back(model, &e, &mut events),
            }
        }
        if self.gpu.is_some() {
            let mut hand_back = false;
            match self.gpu_poll(model, &mut events, &mut hand_back) {
                Ok(true) => {}
                Ok(false) => {
                    events.push(Event::GpuWait);
                    return Ok(events);
                }
                Err(e @ Error::Device(_)) => self.fall_back(model, &e, &mut events),
                Err(e) => return Err(e),
            }
            if hand_back {
                return Ok(events);
            }
        }
        while !self.finished && done < max_batches.max(1) {
            if self.epoch >= self.opts.epochs {
                self.finished = true;
                events.push(Event::TrainEnd);
                break;
            }
            let Some(b) = self.batch else {
                // As TF.js: a stop requested before an epoch begins still lets one epoch begin
                // (and its first batch run) when none has yet.
                if self.stopped && self.epochs_begun > 0 {
                    self.finished = true;
                    events.push(Event::TrainEnd);
                    break;
                }
                if self.opts.shuffle {
                    self.rng.shuffle(&mut self.order);
                }
                self.sums.iter_mut().for_each(|s| *s = 0.0);
                self.seen = 0;
                self.batch = Some(0);
                self.epochs_begun += 1;
                events.push(Event::EpochBegin { epoch: self.epoch });
                // Hand back so onEpochBegin (a learning-rate schedule, say) runs before batch 0.
                break;
            };
            // TF.js checks stopTraining after each batch, so an epoch that began runs its first batch.
            if b < self.batches_per_epoch() && (!self.stopped || b == 0) {
                let fns = if self.per_step {
                    match self.supplied.take().filter(|f| f.phase == Phase::Train) {
                        Some(f) => Some(f),
                        None => {
                            self.prepare_train_fns(model, b)?;
                            flush(&mut events, &mut unreported, b);
                            events.push(Event::NeedFns { phase: "train" });
                            break;
                        }
                    }
                } else {
                    None
                };
                let size = self.opts.batch_size.min(self.n_train - b * self.opts.batch_size);
                if let Some(run) = self.gpu.as_ref() {
                    if run.gpu.is_lost() {
                        self.fall_back(model, &Error::Device("WebGPU: the device was lost during training".into()), &mut events);
                        continue;
                    }
                    // Stay a few steps ahead of the GPU, no more: progress is real, stops are prompt.
                    if run.gpu.in_flight() >= crate::backend::gpu::MAX_INFLIGHT {
                        flush(&mut events, &mut unreported, b);
                        events.push(Event::GpuWait);
                        self.start_sync(model, SYNC_EVERY);
                        return Ok(events);
                    }
                    match self.train_batch_gpu(model, b) {
                        Ok(()) => {}
                        Err(e @ Error::Device(_)) => {
                            self.fall_back(model, &e, &mut events);
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                    self.batch = Some(b + 1);
                    done += 1;
                    if self.opts.report_batches {
                        let snap = self.position(model);
                        let run = self.gpu.as_mut().or_internal("fit", "the GPU run is gone")?;
                        let Some(g) = model.gpu.as_ref() else { continue };
                        let mut enc = run.gpu.device.create_command_encoder(&Default::default());
                        let mut rb = g.read_values_and_state(&mut enc, model);
                        run.gpu.queue.submit([enc.finish()]);
                        rb.start();
                        run.sync = None;
                        run.wait = Some((rb, Wait::Batch { b, size, snap }));
                        flush(&mut events, &mut unreported, b + 1);
                        events.push(Event::GpuWait);
                        return Ok(events);
                    }
                    unreported += 1;
                    continue;
                }
                let values = self.train_batch(model, b, fns)?;
                self.batch = Some(b + 1);
                done += 1;
                if self.opts.report_batches {
                    events.push(Event::BatchEnd { batch: b, size, values });
                } else {
                    unreported += 1;
                }
                continue;
            }
            // Epoch end: averaged logs, then validation.
            let complete = b >= self.batches_per_epoch();
            if self.gpu.is_some() {
                match self.end_epoch_gpu(model, complete) {
                    Ok(()) => {
                        flush(&mut events, &mut unreported, b);
                        events.push(Event::GpuWait);
                        return Ok(events);
                    }
                    Err(e @ Error::Device(_)) => {
                        self.fall_back(model, &e, &mut events);
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            let values: Vec<f32> = self.sums.iter().map(|s| (s / self.seen.max(1) as f64) as f32).collect();
            let mut val = None;
            // As TF.js: an epoch cut short by stopTraining gets no validation pass.
            if self.val.is_some() && complete {
                match self.validate(model)? {
                    Some(v) => val = Some(v),
                    None => {
                        flush(&mut events, &mut unreported, b);
                        events.push(Event::NeedFns { phase: "val" });
                        break;
                    }
                }
            }
            flush(&mut events, &mut unreported, b);
            events.push(Event::EpochEnd { epoch: self.epoch, values, val });
            self.epoch += 1;
            self.batch = None;
            // Hand control back at every epoch end, so JS can run onEpochEnd (which may set
            // model.stopTraining) before the next epoch starts.
            break;
        }
        flush(&mut events, &mut unreported, self.batch.unwrap_or(0));
        self.start_sync(model, 1);
        Ok(events)
    }
}

/// Rows `start..start + len` of `t`.
fn rows(t: &Tensor, start: usize, len: usize) -> Tensor {
    let row = numel(&t.shape[1..]);
    let mut shape = t.shape.clone();
    shape[0] = len;
    Tensor { shape, dtype: t.dtype, data: t.data[start * row..(start + len) * row].to_vec() }
}

fn split_rows(t: &Tensor, at: usize) -> (Tensor, Tensor) {
    let row = numel(&t.shape[1..]);
    let mut a = t.shape.clone();
    a[0] = at;
    let mut b = t.shape.clone();
    b[0] = t.shape[0] - at;
    (
        Tensor { shape: a, dtype: t.dtype, data: t.data[..at * row].to_vec() },
        Tensor { shape: b, dtype: t.dtype, data: t.data[at * row..].to_vec() },
    )
}

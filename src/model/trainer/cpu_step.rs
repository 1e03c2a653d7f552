//! The CPU step of the training loop: a batch gathered into the session's buffers and run
//! through the planned step (or a plan of its own when per-step functions were recorded), and
//! validation batch by batch.

use super::{evaluate, evaluate_once, gather_rows, predict, rows, FitSession, LayersModel, Phase, PlanKind, StepFns};
use crate::error::{OrInternal, Result};
use crate::rng::Rng;
use crate::tensor::{numel, Tensor};

impl FitSession {
    /// The validation values, batch by batch as TF.js averages them. With per-step functions each
    /// validation batch needs its own recording: returns None (with `pending` set) until supplied.
    pub(super) fn validate(&mut self, model: &mut LayersModel) -> Result<Option<Vec<f32>>> {
        let (vx, vy) = self.val.as_ref().or_internal("fit", "validation without validation data")?;
        if !self.per_step {
            return evaluate(model, vx, vy, self.opts.batch_size).map(Some);
        }
        let (n, bs) = (vx.shape[0], self.opts.batch_size);
        if self.val_batch == 0 && self.supplied.is_none() {
            self.val_sums = vec![0.0; self.keys.len()];
        }
        while self.val_batch * bs < n {
            let start = self.val_batch * bs;
            let size = bs.min(n - start);
            let (xs, ys) = (rows(vx, start, size), rows(vy, start, size));
            let Some(fns) = self.supplied.take().filter(|f| f.phase == Phase::Val) else {
                let p = predict(model, &xs, size)?;
                self.pending = Some((ys, p));
                return Ok(None);
            };
            for (s, v) in self.val_sums.iter_mut().zip(evaluate_once(model, &xs, &ys, &fns)?) {
                *s += v as f64 * size as f64;
            }
            self.val_batch += 1;
        }
        self.val_batch = 0;
        Ok(Some(self.val_sums.iter().map(|s| (s / n as f64) as f32).collect()))
    }

    /// Gathers batch `b` into the batch buffers; returns its size.
    pub(super) fn gather(&mut self, b: usize) -> usize {
        let bs = self.opts.batch_size;
        let idx = &self.order[b * bs..((b + 1) * bs).min(self.n_train)];
        gather_rows(&self.x.data, numel(&self.x.shape[1..]), idx, &mut self.xb);
        gather_rows(&self.y.data, numel(&self.y.shape[1..]), idx, &mut self.yb);
        idx.len()
    }

    /// Runs batch `b`'s training-mode forward pass on a copy of the random stream (so the step
    /// that follows draws the same dropout masks) and keeps (yTrue, yPred) for the recording.
    pub(super) fn prepare_train_fns(&mut self, model: &mut LayersModel, b: usize) -> Result<()> {
        let size = self.gather(b);
        let (yfeat, ydt) = (self.y.shape[1..].to_vec(), self.y.dtype);
        let mut fwd = model.take_plan(PlanKind::Forward, size, &yfeat, ydt)?;
        fwd.plan.run(&[&self.xb], &model.weights[..], &mut self.rng.clone());
        let mut pshape = vec![size];
        pshape.extend(model.output_shape()?);
        let y_pred = Tensor::new(pshape, fwd.plan.value(fwd.outputs[0]).to_vec())?;
        model.put_plan(PlanKind::Forward, size, &yfeat, ydt, fwd);
        let mut yshape = vec![size];
        yshape.extend(&yfeat);
        let y_true = Tensor::with_dtype(yshape, self.yb.clone(), ydt)?;
        self.pending = Some((y_true, y_pred));
        Ok(())
    }

    /// Fills the per-sample loss weights of the gathered batch from classWeight.
    pub(super) fn sample_weights(&mut self, size: usize) {
        let Some(cw) = &self.opts.class_weight else { return };
        let row = numel(&self.y.shape[1..]);
        self.wb.clear();
        for i in 0..size {
            let y = &self.yb[i * row..(i + 1) * row];
            let class = match row {
                0 => None,
                1 => Some(y[0].round().max(0.0) as usize),
                _ => Some((0..row).fold(0, |best, k| if y[k] > y[best] { k } else { best })),
            };
            self.wb.push(class.and_then(|c| cw.get(c).copied()).unwrap_or(1.0));
        }
    }

    pub(super) fn train_batch(&mut self, model: &mut LayersModel, b: usize, fns: Option<StepFns>) -> Result<Vec<f32>> {
        // Training on the CPU changes the weights: a copy on the GPU is stale from here.
        model.gpu = None;
        let size = self.gather(b);
        self.sample_weights(size);
        let kind = if self.opts.class_weight.is_some() { PlanKind::TrainWeighted } else { PlanKind::Train };
        let (yfeat, ydt) = (&self.y.shape[1..], self.y.dtype);
        // One draw per step for the step's random ops, as the GPU step takes its seed: the
        // stream the shuffles draw from then moves the same on both devices, so CPU and WebGPU
        // see the same batches epoch after epoch. RandomWidth layers draw their widths from it.
        let seed = self.rng.next_u32();
        model.use_train_widths(Some(seed as u64))?;
        // A step with recorded per-step functions gets a plan of its own, used once.
        let planned = match &fns {
            Some(f) => model.build_plan(kind, size, yfeat, ydt, Some(f)),
            None => model.take_plan(kind, size, yfeat, ydt),
        };
        let mut sp = match planned {
            Ok(sp) => sp,
            Err(e) => {
                model.use_train_widths(None)?;
                return Err(e);
            }
        };
        sp.plan.run(&[&self.xb, &self.yb, &self.wb], &model.weights[..], &mut Rng::new(seed as u64));
        let mut values = Vec::with_capacity(if self.opts.report_batches { self.sums.len() } else { 0 });
        for (s, &node) in self.sums.iter_mut().zip(&sp.outputs) {
            let v = sp.plan.value(node)[0];
            *s += v as f64 * size as f64;
            if self.opts.report_batches {
                values.push(v);
            }
        }
        self.seen += size;
        // The fused update, parameter by parameter, straight from the plan's gradient buffers.
        let opt = &mut model.compiled.as_mut().or_internal("fit", "the model is not compiled")?.optimizer;
        opt.begin_step(sp.grads.len());
        for (k, &(wi, node)) in sp.grads.iter().enumerate() {
            opt.update(k, &mut model.weights[wi].value.data, sp.plan.value(node));
        }
        // Constraints project the updated weights, as Keras 3 does after apply_gradients.
        for &(wi, _) in &sp.grads {
            let w = &mut model.weights[wi];
            if let Some(c) = w.constraint {
                c.apply(&mut w.value.data, &w.value.shape);
            }
        }
        for &(wi, node) in &sp.updates {
            model.weights[wi].value.data.copy_from_slice(sp.plan.value(node));
        }
        if fns.is_none() {
            model.put_plan(kind, size, yfeat, ydt, sp);
        }
        model.use_train_widths(None)?;
        Ok(values)
    }
}

//! Values still being computed on the GPU. Nothing waits for the GPU: `predict` and `evaluate`
//! on WebGPU hand back pending tensors whose values are read back asynchronously; a lazy eager
//! tensor (see [`crate::eager::Lazy`]) is computed there when an asynchronous read asks for it.
//! A synchronous read that comes first computes the value on the CPU instead, from the mirrored
//! weights (see [`Engine::force`]), so both kinds of read always give the model's value.

// What callers send (configs, shapes, option lists) is read with checked access here.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use super::gpu_loop::LoopPart;
use super::Engine;
use crate::backend::gpu::plan::GpuPlan;
use crate::backend::gpu::{Gpu, Readback};
use crate::eager::{Handle, Lazy};
use crate::error::{Error, Result};
use crate::model::gpu_run;
use crate::model::trainer;
use crate::tensor::{DType, Tensor};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// A lazy tensor being computed on the GPU for an asynchronous read.
pub(super) struct LazyRead {
    node: Rc<Lazy>,
    rb: Readback,
    /// Kept until the read is taken (its buffers go back to the pool then); it also carries
    /// WebGPU's verdict on the plan's objects.
    plan: GpuPlan,
}

/// One GPU read shared by the tensors it fills (evaluate's loss and metrics share one).
struct SharedRead {
    rb: Option<Readback>,
    result: Option<Vec<Vec<f32>>>,
    /// evaluate's values computed on the CPU instead (once, for every handle that shares this).
    cpu: Option<Vec<f32>>,
    /// The GPU buffer the read copies from, returned to the pool when the read is dropped.
    buffer: Option<(Arc<Gpu>, wgpu::Buffer)>,
}

impl Drop for SharedRead {
    fn drop(&mut self) {
        if let Some((gpu, b)) = self.buffer.take() {
            gpu.recycle(b);
        }
    }
}

/// How a synchronous read computes the value on the CPU instead of waiting for the GPU.
enum Fallback {
    Predict {
        model: u32,
        x: Rc<Tensor>,
        batch: usize,
    },
    Evaluate {
        model: u32,
        x: Rc<Tensor>,
        y: Rc<Tensor>,
        batch: usize,
        k: usize,
    },
    /// A custom loop's variable, value or gradient (see [`super::gpu_loop`]): the loop's log is
    /// replayed.
    Loop {
        lid: u64,
        part: LoopPart,
    },
}

impl Fallback {
    fn model(&self) -> Option<u32> {
        match self {
            Fallback::Predict { model, .. } | Fallback::Evaluate { model, .. } => Some(*model),
            Fallback::Loop { .. } => None,
        }
    }
}

pub(super) struct PendingEntry {
    read: Rc<RefCell<SharedRead>>,
    part: usize,
    /// Element `index` of the part (None: the whole part), divided by `scale`.
    index: Option<usize>,
    scale: f32,
    fallback: Fallback,
}

impl PendingEntry {
    /// A custom loop's pending tensor, with its own GPU read (a value) or buffer (a gradient)
    /// when it has one.
    pub(super) fn of_loop(lid: u64, part: LoopPart, rb: Option<Readback>, buffer: Option<(Arc<Gpu>, wgpu::Buffer)>) -> PendingEntry {
        let read = SharedRead { rb, result: None, cpu: None, buffer };
        PendingEntry { read: Rc::new(RefCell::new(read)), part: 0, index: None, scale: 1.0, fallback: Fallback::Loop { lid, part } }
    }

    pub(super) fn loop_part(&self) -> Option<(u64, LoopPart)> {
        match self.fallback {
            Fallback::Loop { lid, part } => Some((lid, part)),
            _ => None,
        }
    }

    /// The first value of this tensor's own GPU read, once it arrived.
    pub(super) fn gpu_value(&self, gpu: Option<&Gpu>) -> Option<f32> {
        if let Some(g) = gpu {
            self.poll(g);
        }
        self.read.borrow().result.as_ref().and_then(|v| v.first()).and_then(|p| p.first()).copied()
    }

    /// The GPU buffer holding this tensor's value (a custom loop's gradient).
    pub(super) fn buffer(&self) -> Option<wgpu::Buffer> {
        self.read.borrow().buffer.as_ref().map(|(_, b)| b.clone())
    }

    /// Whether this tensor's own GPU read is still in flight.
    pub(super) fn gpu_waiting(&self) -> bool {
        let r = self.read.borrow();
        r.result.is_none() && r.rb.as_ref().is_some_and(|rb| !rb.ready())
    }

    /// Polls this tensor's own GPU read into its result.
    fn poll(&self, gpu: &Gpu) {
        let mut r = self.read.borrow_mut();
        if r.result.is_none() {
            if let Some(rb) = r.rb.as_mut() {
                match rb.poll(gpu) {
                    Some(Ok(v)) => {
                        r.result = Some(v);
                        r.rb = None;
                    }
                    Some(Err(_)) => r.rb = None,
                    None => {}
                }
            }
        }
    }
}

/// Where a tensor's value stands: [`Engine::pending_status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// An ordinary tensor.
    Ready = 0,
    /// The GPU is still computing it.
    Computing = 1,
    /// The GPU's value has arrived (or the read will compute it on the CPU).
    Arrived = 2,
}

impl Engine {
    /// Runs `f`; where it needs a tensor still being computed on the GPU, that tensor is
    /// finished first (from the GPU's result when it has arrived, otherwise on the CPU) and `f`
    /// runs again.
    pub fn finishing<T>(&mut self, mut f: impl FnMut(&mut Engine) -> Result<T>) -> Result<T> {
        for _ in 0..256 {
            match f(self) {
                Err(Error::Pending(h)) => self.force(h)?,
                r => return r,
            }
        }
        Err(Error::arg("engine", "too many tensors pending on the GPU"))
    }

    /// Tensor `h`'s values (a synchronous read).
    pub fn tensor_data(&mut self, h: Handle) -> Result<Vec<f32>> {
        self.finishing(|st| {
            st.take_lazy_read(h);
            let data = st.rt.get(h)?.data.clone();
            // Computed on the CPU before the GPU answered: that read is no longer needed.
            st.lazy_reads.remove(&h);
            Ok(data)
        })
    }

    /// Starts computing lazy tensor `h` on the GPU for an asynchronous read; false when there is
    /// nothing to compute there (its value is known, or the CPU backend is active).
    pub fn start_gpu_read(&mut self, h: Handle) -> bool {
        if self.lazy_reads.contains_key(&h) {
            return true;
        }
        if self.loop_of(h).is_some() {
            return self.loop_waiting(h);
        }
        let (Some(node), Some(gpu)) = (self.rt.lazy(h), self.active_gpu()) else { return false };
        match super::lazy::gpu_lazy_read(&gpu, &node) {
            Ok((rb, plan)) => {
                self.lazy_reads.insert(h, LazyRead { node, rb, plan });
                true
            }
            Err(Error::Device(e)) => {
                self.lose_gpu(&e);
                false
            }
            // Anything the GPU cannot take (a size over its limits): the CPU computes it on read.
            Err(_) => false,
        }
    }

    /// Whether tensor `h` waits on the GPU.
    pub fn pending_status(&mut self, h: Handle) -> Status {
        if self.loop_of(h).is_some() {
            return if self.loop_waiting(h) { Status::Computing } else { Status::Arrived };
        }
        if let Some(r) = self.lazy_reads.get_mut(&h) {
            if let Some(e) = r.plan.take_error() {
                // Refused by the GPU: the read computes it on the CPU.
                self.warnings.push(format!("Hebb: {e}; computing it on the CPU."));
                self.lazy_reads.remove(&h);
                return Status::Arrived;
            }
            let waiting = (r.plan.scopes_waiting() || !r.rb.ready()) && self.gpu.as_ref().is_some_and(|g| !g.is_lost());
            return if waiting { Status::Computing } else { Status::Arrived };
        }
        let Some(e) = self.pending.get(&h) else { return Status::Ready };
        let r = e.read.borrow();
        if r.result.is_some() || r.rb.as_ref().is_none_or(|rb| rb.ready()) || self.gpu.as_ref().is_none_or(|g| g.is_lost()) {
            Status::Arrived
        } else {
            Status::Computing
        }
    }

    /// Takes a finished GPU read of lazy tensor `h` into its value (else it is computed on the
    /// CPU when read).
    fn take_lazy_read(&mut self, h: Handle) {
        let (Some(mut r), Some(gpu)) = (self.lazy_reads.remove(&h), self.gpu.clone()) else { return };
        if let Some(e) = r.plan.take_error() {
            // The GPU refused the plan: the value is computed on the CPU when read.
            self.warnings.push(format!("Hebb: {e}; computing it on the CPU."));
            return;
        }
        if r.plan.scopes_waiting() {
            self.lazy_reads.insert(h, r);
            return;
        }
        match r.rb.poll(&gpu) {
            Some(Ok(mut v)) => {
                if let Ok(t) = Tensor::with_dtype(r.node.shape.clone(), v.pop().unwrap_or_default(), r.node.dtype) {
                    r.node.set(t);
                    self.gpu_values += 1;
                }
            }
            Some(Err(_)) => {}
            None => {
                self.lazy_reads.insert(h, r);
            }
        }
    }

    /// Finishes pending tensor `h`.
    pub fn force(&mut self, h: Handle) -> Result<()> {
        let Some(e) = self.pending.remove(&h) else {
            return Err(Error::NotFound(format!("tensor #{h} has been disposed")));
        };
        // A WebGPU error about the model's planned steps: their results cannot be trusted.
        if let Some(model) = e.fallback.model() {
            if let Some(err) = self.models.get_mut(&model).and_then(|m| m.gpu.as_mut()).and_then(|g| g.take_error()) {
                self.warnings.push(format!("Hebb: {err}; computing the result on the CPU."));
                e.read.borrow_mut().rb = None;
                if let Some(m) = self.models.get_mut(&model) {
                    m.gpu = None;
                }
            }
        }
        let gpu_value = {
            let mut r = e.read.borrow_mut();
            if r.result.is_none() {
                if let (Some(rb), Some(gpu)) = (r.rb.as_mut(), self.gpu.clone()) {
                    match rb.poll(&gpu) {
                        Some(Ok(v)) => {
                            r.result = Some(v);
                            r.rb = None;
                        }
                        Some(Err(_)) => r.rb = None,
                        None => {}
                    }
                }
            }
            r.result.as_ref().and_then(|v| v.get(e.part)).map(|part| match e.index {
                Some(i) => vec![part.get(i).copied().unwrap_or(f32::NAN) / e.scale],
                None => part.clone(),
            })
        };
        let shape = self.rt.shape(h)?;
        let t = match gpu_value {
            Some(data) => {
                self.gpu_values += 1;
                Tensor::new(shape, data)
            }
            None => self.compute_fallback(&e),
        };
        match t {
            Ok(t) => {
                self.rt.resolve(h, t);
                Ok(())
            }
            Err(err) => {
                // Still pending: a later read (or the GPU's result) may succeed.
                self.pending.insert(h, e);
                Err(err)
            }
        }
    }

    fn compute_fallback(&mut self, e: &PendingEntry) -> Result<Tensor> {
        match &e.fallback {
            Fallback::Predict { model, x, batch } => trainer::predict(self.model(*model)?, x, *batch),
            Fallback::Evaluate { model, x, y, batch, k } => {
                let m = self.model(*model)?;
                let mut r = e.read.borrow_mut();
                if r.cpu.is_none() {
                    r.cpu = Some(trainer::evaluate(m, x, y, *batch)?);
                }
                Ok(Tensor::scalar(r.cpu.as_ref().and_then(|v| v.get(*k)).copied().unwrap_or(f32::NAN)))
            }
            Fallback::Loop { lid, part } => {
                let got = self.loop_flush(*lid)?;
                let t = match *part {
                    LoopPart::Var(j) => got.base.get(j).map(|t| (**t).clone()),
                    LoopPart::Cost(s) => got.costs.get(&s).copied().map(Tensor::scalar),
                    LoopPart::Grad(s, j) => got.grads.get(&s).and_then(|g| g.get(j)).cloned(),
                };
                t.ok_or_else(|| Error::arg("custom loop", "this value is no longer known (its GPU read failed)"))
            }
        }
    }

    /// Finishes every tensor still pending on model `m` before the model changes, so each gets
    /// the value of the model it was asked of.
    pub fn settle_model(&mut self, m: u32) -> Result<()> {
        let hs: Vec<Handle> = self.pending.iter().filter(|(_, e)| e.fallback.model() == Some(m)).map(|(&h, _)| h).collect();
        for h in hs {
            self.force(h)?;
        }
        Ok(())
    }

    /// `model.predict(x)`. On WebGPU the result is computed on the GPU and read back
    /// asynchronously; a synchronous read before it arrives computes it on the CPU from the
    /// mirrored weights.
    pub fn predict(&mut self, m: u32, x: Handle, batch: usize) -> Result<Handle> {
        self.finishing(|st| {
            let xt = st.rt.get_rc(x)?;
            let batch = batch.max(1);
            // A stateful model predicts on the CPU mirror, which holds its carried states (the
            // GPU's copy follows on its next use).
            if let (Some(gpu), false) = (st.active_gpu(), st.model(m)?.stateful()) {
                match gpu_run::predict(st.model(m)?, &gpu, &xt, batch) {
                    Ok((shape, rb, out)) => {
                        let h = st.rt.put_pending(shape, DType::F32);
                        let read = SharedRead { rb: Some(rb), result: None, cpu: None, buffer: Some((gpu, out)) };
                        let fallback = Fallback::Predict { model: m, x: xt, batch };
                        st.pending
                            .insert(h, PendingEntry { read: Rc::new(RefCell::new(read)), part: 0, index: None, scale: 1.0, fallback });
                        return Ok(h);
                    }
                    Err(Error::Device(e)) => st.lose_gpu(&e),
                    Err(e) => return Err(e),
                }
            }
            let out = trainer::predict(st.model(m)?, &xt, batch)?;
            Ok(st.rt.put(out))
        })
    }

    /// `model.evaluate(x, y)`: the loss and each metric as scalar handles. On WebGPU they are
    /// computed there and come back pending.
    pub fn evaluate(&mut self, m: u32, x: Handle, y: Handle, batch: usize) -> Result<Vec<Handle>> {
        self.finishing(|st| {
            let (xt, yt) = (st.rt.get_rc(x)?, st.rt.get_rc(y)?);
            let batch = batch.max(1);
            if let (Some(gpu), false) = (st.active_gpu(), st.model(m)?.per_step() || st.model(m)?.stateful()) {
                match gpu_run::evaluate(st.model(m)?, &gpu, &xt, &yt, batch) {
                    Ok((k, rb)) => {
                        let read = Rc::new(RefCell::new(SharedRead { rb: Some(rb), result: None, cpu: None, buffer: None }));
                        let n = xt.shape.first().copied().unwrap_or(0) as f32;
                        let mut hs = vec![];
                        for i in 0..k {
                            let h = st.rt.put_pending(vec![], DType::F32);
                            let fallback = Fallback::Evaluate { model: m, x: xt.clone(), y: yt.clone(), batch, k: i };
                            st.pending.insert(h, PendingEntry { read: read.clone(), part: 0, index: Some(i), scale: n, fallback });
                            hs.push(h);
                        }
                        return Ok(hs);
                    }
                    Err(Error::Device(e)) => st.lose_gpu(&e),
                    Err(e) => return Err(e),
                }
            }
            let v = trainer::evaluate(st.model(m)?, &xt, &yt, batch)?;
            Ok(v.into_iter().map(|s| st.rt.put(Tensor::scalar(s))).collect())
        })
    }
}

//! Bringing a GPU loop's values to the CPU: the GPU's checkpoints (asynchronous), and the replay
//! of the logged steps on the CPU (synchronous reads), each resolving the loop's pending tensors.

use super::{key_set, Checkpoint, LoopPart, MAX_REPLAYS};
use crate::eager::Handle;
use crate::engine::Engine;
use crate::error::{Error, OrInternal, Result};
use crate::graph::autodiff;
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::rc::Rc;

/// What a flush gives: the replayed values by step, the replayed gradients by step, and the
/// variables' values.
#[derive(Default)]
pub struct Flushed {
    pub costs: HashMap<u64, f32>,
    pub grads: HashMap<u64, Vec<Tensor>>,
    pub base: Vec<Rc<Tensor>>,
}

impl Engine {
    /// Asks the GPU for loop `lid`'s weights, optimizer slots and pending gradients (one read in
    /// flight at a time).
    pub(super) fn loop_request_checkpoint(&mut self, lid: u64) {
        let grads: Vec<(Handle, wgpu::Buffer, usize)> = self
            .pending
            .iter()
            .filter_map(|(&h, e)| match e.loop_part() {
                Some((l, LoopPart::Grad(_, j))) if l == lid => Some((h, e.buffer()?, j)),
                _ => None,
            })
            .collect();
        let slots = self.loops.get(&lid).and_then(|l| l.opt).and_then(|o| self.optimizers.get(&o)).map_or(0, |k| k.opt.num_slots());
        let Some(lp) = self.loops.get_mut(&lid) else { return };
        if lp.checkpoint.is_some() || lp.gpu.is_lost() {
            return;
        }
        let mut enc = lp.gpu.device.create_command_encoder(&Default::default());
        let n = lp.arena.len();
        let mut parts = vec![(&lp.arena.buf, 0u64, n)];
        parts.extend(lp.slots[..slots].iter().map(|s| (s, 0u64, n)));
        parts.extend(grads.iter().map(|(_, b, j)| (b, 0u64, lp.arena.lens[*j])));
        let mut rb = lp.gpu.readback(&mut enc, &parts);
        lp.gpu.submit(enc.finish());
        rb.start();
        lp.checkpoint =
            Some(Checkpoint { step: lp.steps, rb: Some(rb), data: None, slots, grads: grads.into_iter().map(|g| g.0).collect() });
    }

    /// Takes loop `lid`'s checkpoint into the CPU values if it has arrived.
    pub(super) fn loop_poll(&mut self, lid: u64) {
        let Some(lp) = self.loops.get_mut(&lid) else { return };
        let Some(mut cp) = lp.checkpoint.take() else { return };
        if cp.data.is_none() {
            match cp.rb.as_mut().and_then(|rb| rb.poll(&lp.gpu)) {
                None if cp.rb.is_some() => {
                    lp.checkpoint = Some(cp);
                    return;
                }
                Some(Ok(d)) => {
                    cp.data = Some(d);
                    cp.rb = None;
                }
                _ => return,
            }
        }
        let s = cp.step;
        // Stale (the log was replayed since), or a later update reads gradients it would drop.
        if s <= lp.start || lp.log.iter().any(|e| e.step > s && e.apply.is_some_and(|(from, _)| from <= s)) {
            return;
        }
        let costs: Vec<Handle> = self
            .pending
            .iter()
            .filter(|(_, e)| matches!(e.loop_part(), Some((l, LoopPart::Cost(c))) if l == lid && c <= s))
            .map(|(&h, _)| h)
            .collect();
        let mut got = vec![];
        for h in costs {
            let Some(e) = self.pending.get(&h) else { continue };
            match e.gpu_value(self.gpu.as_deref()) {
                Some(v) => got.push((h, Tensor::scalar(v))),
                // A value still on its way: the checkpoint cannot stand for its step yet.
                None if e.gpu_waiting() => {
                    if let Some(lp) = self.loops.get_mut(&lid) {
                        lp.checkpoint = Some(cp);
                    }
                    return;
                }
                // A value whose read failed stays unknown (reading it is then an error).
                None => {}
            }
        }
        let Some(lp) = self.loops.get_mut(&lid) else { return };
        let mut it = cp.data.take().unwrap_or_default().into_iter();
        let weights = it.next().unwrap_or_default();
        let slots: Vec<Vec<f32>> = it.by_ref().take(cp.slots).collect();
        for (&h, g) in cp.grads.iter().zip(it) {
            if let Ok(shape) = self.rt.shape(h) {
                got.push((h, Tensor { shape, dtype: crate::tensor::DType::F32, data: g }));
            }
        }
        for (j, t) in lp.base.iter_mut().enumerate() {
            let (off, len) = (lp.arena.offsets[j] as usize, lp.arena.lens[j]);
            if let Some(src) = weights.get(off..off + len) {
                *t = Rc::new(Tensor { shape: t.shape.clone(), dtype: t.dtype, data: src.to_vec() });
            }
        }
        if let Some(keyed) = lp.opt.and_then(|o| self.optimizers.get_mut(&o)) {
            for (j, &key) in lp.keys.iter().enumerate() {
                let (off, len) = (lp.arena.offsets[j] as usize, lp.arena.lens[j]);
                for (i, dst) in keyed.slots_for(key, len).iter_mut().enumerate() {
                    if let Some(src) = slots.get(i).and_then(|v| v.get(off..off + len)) {
                        dst.copy_from_slice(src);
                    }
                }
            }
            if let Some((_, lr)) = lp.log.iter().filter(|e| e.step <= s).rev().find_map(|e| e.apply) {
                if keyed.opt.schedule.is_none() {
                    keyed.opt.lr = lr;
                }
            }
            keyed.opt.iterations += lp.applied(s);
        }
        lp.log.retain(|e| e.step > s);
        lp.start = s;
        lp.replays = 0;
        let drained = lp.log.is_empty();
        for (h, t) in got {
            self.pending.remove(&h);
            self.rt.resolve(h, t);
        }
        self.gpu_values += 1;
        if drained {
            self.loop_resolve(lid, &Flushed::default());
        }
    }

    /// Gives the pending tensors of loop `lid` their values: the variables their base values
    /// (the log must be empty), values and gradients those replayed (else their own GPU read).
    fn loop_resolve(&mut self, lid: u64, got: &Flushed) {
        let Some(lp) = self.loops.get(&lid) else { return };
        let base = lp.base.clone();
        let mine: Vec<(Handle, LoopPart)> =
            self.pending.iter().filter_map(|(&h, e)| e.loop_part().filter(|(l, _)| *l == lid).map(|(_, p)| (h, p))).collect();
        for (h, part) in mine {
            let t = match part {
                LoopPart::Var(j) => base.get(j).map(|t| (**t).clone()),
                LoopPart::Cost(s) => {
                    got.costs.get(&s).copied().or_else(|| self.pending.get(&h)?.gpu_value(self.gpu.as_deref())).map(Tensor::scalar)
                }
                LoopPart::Grad(s, j) => got.grads.get(&s).and_then(|g| g.get(j)).cloned(),
            };
            if let Some(t) = t {
                self.pending.remove(&h);
                self.rt.resolve(h, t);
            }
        }
    }

    /// Brings loop `lid`'s CPU values up to date (a checkpoint that arrived, then a replay of
    /// the steps after it) and resolves its pending tensors.
    pub(crate) fn loop_flush(&mut self, lid: u64) -> Result<Flushed> {
        self.loop_poll(lid);
        let mut out = Flushed::default();
        let Some(lp) = self.loops.get_mut(&lid) else { return Ok(out) };
        let log = std::mem::take(&mut lp.log);
        let (watch, trained, keys, opt) = (lp.watch.clone(), lp.trained.clone(), lp.keys.clone(), lp.opt);
        let mut vars: Vec<Tensor> = lp.base.iter().map(|t| (**t).clone()).collect();
        let replayed = !log.is_empty();
        let mut rng = self.rt.rng.clone();
        for e in &log {
            if let Some(rec) = &e.rec {
                let f = rec.traced();
                let others: Vec<Option<Rc<Tensor>>> = watch
                    .iter()
                    .enumerate()
                    // A watched tensor the value does not depend on: any of its shape does.
                    .map(|(k, &h)| {
                        (!trained.contains(&k))
                            .then(|| self.rt.get_rc(h).unwrap_or_else(|_| Rc::new(Tensor::zeros(&f.graph.nodes[f.inputs[k]].shape))))
                    })
                    .collect();
                let args: Vec<&Tensor> = (0..watch.len())
                    .map(|k| match trained.iter().position(|&t| t == k) {
                        Some(j) => Ok(&vars[j]),
                        None => others[k].as_deref().or_internal("custom loop", "a watched value is missing"),
                    })
                    .collect::<Result<_>>()?;
                let (value, grads) = autodiff::value_and_grads("custom loop", &f, &args, None, &mut rng)?;
                out.costs.insert(e.step, value.data.first().copied().unwrap_or(f32::NAN));
                let gs =
                    trained.iter().enumerate().map(|(j, &k)| grads[k].clone().unwrap_or_else(|| Tensor::zeros(&vars[j].shape))).collect();
                out.grads.insert(e.step, gs);
            }
            if let Some((from, lr)) = e.apply {
                let keyed = opt
                    .and_then(|o| self.optimizers.get_mut(&o))
                    .ok_or_else(|| Error::arg("applyGradients", "the optimizer was disposed"))?;
                let gs =
                    out.grads.get(&from).ok_or_else(|| Error::arg("applyGradients", "the gradients of this update are no longer known"))?;
                if keyed.opt.schedule.is_none() {
                    keyed.opt.lr = lr;
                }
                let gr: Vec<&[f32]> = gs.iter().map(|g| g.data.as_slice()).collect();
                let mut params: Vec<&mut [f32]> = vars.iter_mut().map(|v| v.data.as_mut_slice()).collect();
                keyed.apply(&keys, &mut params, &gr)?;
            }
        }
        let lp = self.loops.get_mut(&lid).or_internal("custom loop", "the loop is gone")?;
        lp.base = vars.into_iter().map(Rc::new).collect();
        lp.start = lp.steps;
        // A read still on its way is stale now (its buffer goes back to the pool when it lands).
        lp.checkpoint = None;
        if replayed {
            lp.replays += 1;
            // The GPU goes on from the CPU's values, so both devices agree.
            if !lp.gpu.is_lost() {
                for (j, t) in lp.base.iter().enumerate() {
                    lp.gpu.write(&lp.arena.buf, lp.arena.offsets[j], &t.data);
                }
                if let Some(keyed) = opt.and_then(|o| self.optimizers.get_mut(&o)) {
                    lp.upload_slots(keyed);
                }
            }
        }
        let demote = lp.replays >= MAX_REPLAYS;
        out.base = lp.base.clone();
        self.loop_resolve(lid, &out);
        // The loop itself stays (callers may still hold its id); the next step over these
        // variables runs on the CPU and finishes it (see Engine::loop_gpu).
        if demote {
            self.cpu_loops.insert(key_set(&keys));
        }
        Ok(out)
    }

    /// Flushes loop `lid` and forgets it.
    pub(super) fn loop_finish(&mut self, lid: u64) -> Result<()> {
        let r = self.loop_flush(lid).map(|_| ());
        self.loops.remove(&lid);
        r
    }

    /// Whether a pending tensor of a loop still waits on the GPU for an asynchronous read (which
    /// asks for the loop's values if nobody has).
    pub(crate) fn loop_waiting(&mut self, h: Handle) -> bool {
        let Some((lid, part)) = self.loop_of(h) else { return false };
        self.loop_poll(lid);
        if !self.rt.is_pending(h) {
            return false;
        }
        let Some(lp) = self.loops.get(&lid) else { return false };
        if lp.gpu.is_lost() {
            return false;
        }
        match part {
            LoopPart::Cost(_) => self.pending.get(&h).is_some_and(|e| e.gpu_waiting()),
            LoopPart::Var(_) | LoopPart::Grad(..) => {
                self.loop_request_checkpoint(lid);
                true
            }
        }
    }
}

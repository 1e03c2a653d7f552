//! Custom training loops on the GPU: `optimizer.minimize(f)`, `tf.variableGrads(f)` and
//! `optimizer.applyGradients(grads)` on the WebGPU backend.
//!
//! f is recorded symbolically (nothing is computed on the CPU while it runs). The recording plus
//! its backward pass is planned once per distinct recording (the same ops, shapes and wiring; the
//! tensors it captured become the plan's inputs) and replayed on every call that records it
//! again. The variables it trains live on the GPU in one weight buffer, updated by the fused
//! optimizer kernel as in `fit`. Each call is one submit and nothing waits on the GPU: the
//! variables, the value and the gradients become pending tensors (gradients stay in GPU buffers
//! of their own, which `applyGradients` feeds to the update).
//!
//! Synchronous reads still work. Every step since the last values known on the CPU is logged (its
//! recording, with the data it captured, and the update it made); a synchronous read replays the
//! log on the CPU with the same update rule and uploads the result, so both devices go on from
//! the same values ([`sync`]). An asynchronous read (`data()`), and one every few steps of the
//! loop's own accord, copies the GPU's weights, optimizer state and gradients back instead, which
//! shortens the log. A loop read synchronously again and again (each step would run twice) goes
//! back to the CPU.

mod sync;

use super::pending::PendingEntry;
use super::Engine;
use crate::backend::gpu::plan::{materialize, GpuPlan, ParamArena};
use crate::backend::gpu::{Gpu, Readback, RECORD_WORDS};
use crate::eager::Handle;
use crate::error::{Error, OrInternal, Result};
use crate::graph::{autodiff, Graph, Node, NodeId, TracedFn};
use crate::model::gpu::{optimizer_update, zeroed};
use crate::ops::Op;
use crate::optim::{Keyed, Optimizer};
use crate::tensor::{DType, Tensor};
use std::rc::Rc;
use std::sync::Arc;

pub use sync::Flushed;

/// Logged steps after which the loop asks for the GPU's values of its own accord.
const CHECKPOINT_EVERY: usize = 16;
/// Logged steps at most, and bytes of the data they captured (data equal to the step before's is
/// counted once): the log is replayed on the CPU beyond.
const MAX_LOG: usize = 1024;
const MAX_LOG_BYTES: usize = 32 << 20;
/// Replays in a row (no GPU values arriving between them) after which the loop runs on the CPU.
const MAX_REPLAYS: u32 = 3;
/// Planned steps kept per loop.
const MAX_PLANS: usize = 8;

/// What a pending tensor of a loop stands for (steps are numbered per loop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopPart {
    /// Trained variable `j` (weight-buffer order).
    Var(usize),
    /// f's value at step `s`.
    Cost(u64),
    /// The gradient of trained variable `j` at step `s`.
    Grad(u64, usize),
}

/// A recorded function: the recording, its watched handles (distinct, in input order), which of
/// them its value depends on, and their optimizer keys.
pub struct Recorded<'a> {
    pub f: TracedFn,
    pub watch: &'a [Handle],
    pub reached: &'a [bool],
    pub keys: &'a [u64],
}

/// What a recorded step gives: f's value (when asked for) and each trained variable's gradient
/// (when the step does not apply them itself).
pub struct StepOut {
    pub value: Option<Handle>,
    pub grads: Vec<Handle>,
}

struct LoopPlan {
    /// The recording's structure the plan was made for.
    nodes: Rc<Vec<Node>>,
    plan: GpuPlan,
    value: NodeId,
    grads: Vec<NodeId>,
}

/// A recording as the CPU replays it: its structure (shared with its plan) and its constants
/// (shared with the step before where equal: a loop over one batch keeps one copy).
struct Recording {
    nodes: Rc<Vec<Node>>,
    inputs: Vec<NodeId>,
    output: NodeId,
    consts: Vec<Rc<Tensor>>,
    /// Bytes of the constants this step added.
    bytes: usize,
}

impl Recording {
    fn traced(&self) -> TracedFn {
        let graph = Graph {
            nodes: (*self.nodes).clone(),
            consts: self.consts.iter().map(|c| (**c).clone()).collect(),
            updates: vec![],
            custom: vec![],
        };
        TracedFn { graph, inputs: self.inputs.clone(), output: self.output }
    }
}

/// A logged step: f recorded and run (minimize, variableGrads), an update applied with the
/// gradients of step `apply.0` at learning rate `apply.1` (minimize, applyGradients), or both.
struct Logged {
    step: u64,
    rec: Option<Recording>,
    apply: Option<(u64, f32)>,
}

/// A read of the weights, slots and pending gradients, taken after step `step`: in flight, or
/// arrived and waiting for the values of the steps it covers.
struct Checkpoint {
    step: u64,
    rb: Option<Readback>,
    data: Option<Vec<Vec<f32>>>,
    slots: usize,
    grads: Vec<Handle>,
}

pub struct GpuLoop {
    gpu: Arc<Gpu>,
    /// The watched handles, distinct, in the recording's input order.
    watch: Vec<Handle>,
    /// Positions in `watch` of the trained variables (those f's value depends on), in
    /// weight-buffer order, and their optimizer keys.
    trained: Vec<usize>,
    keys: Vec<u64>,
    /// The optimizer whose state the slot buffers hold.
    opt: Option<u64>,
    arena: ParamArena,
    grads: wgpu::Buffer,
    slots: Vec<wgpu::Buffer>,
    opt_params: wgpu::Buffer,
    opt_bind: wgpu::BindGroup,
    opt_pipeline: wgpu::ComputePipeline,
    plans: Vec<LoopPlan>,
    /// The trained variables' values after step `start` (on the CPU).
    base: Vec<Rc<Tensor>>,
    start: u64,
    /// Steps `start + 1 ..= steps`.
    log: Vec<Logged>,
    steps: u64,
    checkpoint: Option<Checkpoint>,
    replays: u32,
}

/// Same ops, wiring, shapes and dtypes.
fn same_nodes(a: &[Node], b: &[Node]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.op == y.op && x.inputs == y.inputs && x.shape == y.shape && x.dtype == y.dtype)
}

impl GpuLoop {
    fn new(gpu: &Arc<Gpu>, watch: Vec<Handle>, trained: Vec<usize>, keys: Vec<u64>, base: Vec<Rc<Tensor>>) -> Result<GpuLoop> {
        gpu.check("uploading a custom loop's variables")?;
        let vals: Vec<&[f32]> = base.iter().map(|t| t.data.as_slice()).collect();
        let order: Vec<usize> = (0..vals.len()).collect();
        let arena = ParamArena::new(gpu, &vals, &order)?;
        let n = arena.len() as u64;
        let grads = zeroed(gpu, n, "custom loop gradients");
        let slots: Vec<wgpu::Buffer> = (0..3).map(|_| zeroed(gpu, n, "custom loop optimizer slot")).collect();
        let (opt_pipeline, opt_params, opt_bind) = optimizer_update(gpu, &arena, &grads, &slots, "custom loop optimizer");
        Ok(GpuLoop {
            gpu: gpu.clone(),
            watch,
            trained,
            keys,
            opt: None,
            arena,
            grads,
            slots,
            opt_params,
            opt_bind,
            opt_pipeline,
            plans: vec![],
            base,
            start: 0,
            log: vec![],
            steps: 0,
            checkpoint: None,
            replays: 0,
        })
    }

    /// The trained variables' handles, in weight-buffer order.
    fn vars(&self) -> Vec<Handle> {
        self.trained.iter().map(|&k| self.watch[k]).collect()
    }

    /// Writes the optimizer's CPU state of the trained variables into the slot buffers.
    fn upload_slots(&self, keyed: &mut Keyed) {
        for (j, &key) in self.keys.iter().enumerate() {
            let n = self.arena.lens[j];
            for (s, v) in keyed.slots_for(key, n).iter().enumerate().take(self.slots.len()) {
                self.gpu.write(&self.slots[s], self.arena.offsets[j], v);
            }
        }
    }

    /// Updates applied by the logged steps up to step `upto`.
    fn applied(&self, upto: u64) -> u64 {
        self.log.iter().filter(|e| e.step <= upto && e.apply.is_some()).count() as u64
    }

    fn log_bytes(&self) -> usize {
        self.log.iter().filter_map(|e| e.rec.as_ref()).map(|r| r.bytes).sum()
    }

    /// The plan for recording `f`: its constants become inputs, the trained variables read the
    /// weight buffer, and the gradients of its value with respect to them follow it.
    fn build(&self, f: &TracedFn) -> Result<LoopPlan> {
        let mut g = f.graph.clone();
        let nc = g.consts.len();
        for nd in g.nodes.iter_mut() {
            if let Op::Const { index } = nd.op {
                nd.op = Op::Input { index };
            }
        }
        for (k, &p) in f.inputs.iter().enumerate() {
            g.nodes[p].op = match self.trained.iter().position(|&t| t == k) {
                Some(j) => Op::Param { index: j },
                None => Op::Input { index: nc + k },
            };
        }
        let wrt: Vec<NodeId> = self.trained.iter().map(|&k| f.inputs[k]).collect();
        let grads = autodiff::grad(&mut g, f.output, &wrt)?;
        let mut outs = vec![f.output];
        outs.extend(grads);
        materialize(&mut g, &mut outs)?;
        let plan = GpuPlan::new(&self.gpu, g, &outs, &self.arena)?;
        self.gpu.check("planning a custom loop's step")?;
        Ok(LoopPlan { nodes: Rc::new(f.graph.nodes.clone()), plan, value: outs[0], grads: outs[1..].to_vec() })
    }

    /// The index of the plan for `f`, made if new (`made` counts it).
    fn plan_for(&mut self, f: &TracedFn, made: &mut u64) -> Result<usize> {
        if let Some(i) = self.plans.iter().position(|p| same_nodes(&p.nodes, &f.graph.nodes)) {
            if let Some(e) = self.plans[i].plan.take_error() {
                self.plans.remove(i);
                return Err(e);
            }
            return Ok(i);
        }
        let p = self.build(f)?;
        *made += 1;
        if self.plans.len() >= MAX_PLANS {
            self.plans.remove(0);
        }
        self.plans.push(p);
        Ok(self.plans.len() - 1)
    }

    /// Writes the fused update's parameters for the next update of `keyed`'s optimizer (its
    /// learning rate and bias corrections as the CPU would take them); returns the rate.
    fn set_update(&self, keyed: &Keyed, lr: f32) -> f32 {
        let mut o = Optimizer::new(keyed.opt.kind.clone(), lr);
        o.schedule = keyed.opt.schedule.clone();
        o.iterations = keyed.opt.iterations + self.applied(u64::MAX);
        o.begin_step(0);
        let (code, w) = o.gpu_words();
        let mut words = [0u32; RECORD_WORDS];
        words[0] = self.arena.total as u32;
        words[1] = code;
        for (i, v) in w.iter().enumerate() {
            words[2 + i] = v.to_bits();
        }
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.gpu.queue.write_buffer(&self.opt_params, 0, &bytes);
        o.lr
    }

    /// Records the fused update into `enc` (reading the gradient buffer).
    fn encode_update(&self, enc: &mut wgpu::CommandEncoder) {
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("custom loop update"), timestamp_writes: None });
        if self.arena.total > 0 {
            pass.set_pipeline(&self.opt_pipeline);
            pass.set_bind_group(0, &self.opt_bind, &[]);
            let groups = (self.arena.total as u32).div_ceil(256);
            pass.dispatch_workgroups(groups.min(65535), groups.div_ceil(65535), 1);
        }
    }

    /// Logs step `step` with recording `f` (its constants shared with the step before's where
    /// equal).
    fn log_recording(&mut self, idx: usize, f: TracedFn, apply: Option<(u64, f32)>) {
        let nodes = self.plans[idx].nodes.clone();
        let prev = self.log.iter().rev().find_map(|e| e.rec.as_ref()).map(|r| r.consts.clone()).unwrap_or_default();
        let mut bytes = 0;
        let TracedFn { graph, inputs, output } = f;
        let consts = graph
            .consts
            .into_iter()
            .enumerate()
            .map(|(i, t)| match prev.get(i) {
                Some(p) if p.shape == t.shape && p.dtype == t.dtype && p.data == t.data => p.clone(),
                _ => {
                    bytes += t.data.len() * 4;
                    Rc::new(t)
                }
            })
            .collect();
        let step = self.steps;
        self.log.push(Logged { step, rec: Some(Recording { nodes, inputs, output, consts, bytes }), apply });
    }
}

impl Engine {
    /// Whether custom loops run on the GPU (WebGPU is active): their functions are then recorded
    /// symbolically.
    pub fn loop_on_gpu(&mut self) -> bool {
        self.active_gpu().is_some()
    }

    /// [GPU steps taken, plans made] by custom loops.
    pub fn loop_stats(&self) -> [u64; 2] {
        [self.loop_steps, self.loop_plans]
    }

    /// The loop a pending tensor belongs to.
    pub(super) fn loop_of(&self, h: Handle) -> Option<(u64, LoopPart)> {
        self.pending.get(&h).and_then(|e| e.loop_part())
    }

    /// Whether a loop over these variables (by key) went back to the CPU.
    pub(super) fn loop_demoted(&self, keys: &[u64]) -> bool {
        self.cpu_loops.contains(&key_set(keys))
    }

    /// The loop over `watch` training `trained`, made (from the variables' values) if there is
    /// none; loops sharing a trained variable with it are finished first.
    fn loop_for(&mut self, gpu: &Arc<Gpu>, watch: &[Handle], trained: &[usize], keys: &[u64]) -> Result<u64> {
        if let Some((&id, _)) = self.loops.iter().find(|(_, l)| l.watch == watch && l.trained == trained && Arc::ptr_eq(&l.gpu, gpu)) {
            return Ok(id);
        }
        let mine: Vec<Handle> = trained.iter().map(|&k| watch[k]).collect();
        let clash: Vec<u64> = self.loops.iter().filter(|(_, l)| l.vars().iter().any(|h| mine.contains(h))).map(|(&id, _)| id).collect();
        for id in clash {
            self.loop_finish(id)?;
        }
        let base = mine.iter().map(|&h| self.value_now(h)).collect::<Result<Vec<_>>>()?;
        let lp = GpuLoop::new(gpu, watch.to_vec(), trained.to_vec(), trained.iter().map(|&k| keys[k]).collect(), base)?;
        self.next_loop += 1;
        self.loops.insert(self.next_loop, lp);
        Ok(self.next_loop)
    }

    /// Uploads the trained variables of loop `lid` that got a value outside it (assign,
    /// setWeights) since.
    fn loop_refresh(&mut self, lid: u64) -> Result<()> {
        self.loop_poll(lid);
        let vars = self.loops[&lid].vars();
        for (j, h) in vars.into_iter().enumerate() {
            if self.loop_of(h).is_some_and(|(l, _)| l == lid) {
                continue;
            }
            let v = self.value_now(h)?;
            let lp = self.loops.get_mut(&lid).or_internal("custom loop", "the loop is gone")?;
            if !Rc::ptr_eq(&v, &lp.base[j]) {
                lp.gpu.write(&lp.arena.buf, lp.arena.offsets[j], &v.data);
                lp.base[j] = v;
            }
        }
        Ok(())
    }

    /// Makes optimizer `opt` the one whose state loop `lid`'s slots hold (another loop holding
    /// it, or another optimizer held here, hands its state back to the CPU first).
    fn loop_attach(&mut self, lid: u64, opt: Optimizer) -> Result<()> {
        let oid = opt.id.unwrap_or(0);
        let others: Vec<u64> = self.loops.iter().filter(|(&id, l)| id != lid && l.opt == Some(oid)).map(|(&id, _)| id).collect();
        for id in others {
            self.loop_finish(id)?;
        }
        let same = self.loops[&lid].opt == Some(oid) && self.optimizers.get(&oid).is_some_and(|k| k.same_rule(&opt));
        // Updates logged with the state held before are replayed into it first.
        if !same && self.loops[&lid].applied(u64::MAX) > 0 {
            self.loop_flush(lid)?;
        }
        match self.optimizers.entry(oid) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut().reconfigure(opt),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Keyed::new(opt));
            }
        }
        if !same {
            let lp = self.loops.get_mut(&lid).or_internal("custom loop", "the loop is gone")?;
            lp.opt = Some(oid);
            lp.upload_slots(self.optimizers.get_mut(&oid).or_internal("custom loop", "the optimizer is gone")?);
        }
        Ok(())
    }

    /// One recorded step on the GPU: f's value and gradients, and with `apply` the optimizer's
    /// update from them (minimize) in the same submit; without, the gradients are handed back
    /// (variableGrads).
    pub(super) fn loop_record(&mut self, gpu: &Arc<Gpu>, rec: Recorded, apply: Option<Optimizer>, want_value: bool) -> Result<StepOut> {
        let Recorded { f, watch, reached, keys } = rec;
        let trained: Vec<usize> = (0..watch.len()).filter(|&k| reached[k]).collect();
        let lid = self.loop_for(gpu, watch, &trained, keys)?;
        let lr = apply.as_ref().map(|o| o.lr);
        let oid = apply.as_ref().map(|o| o.id.unwrap_or(0));
        if let Some(opt) = apply {
            self.loop_attach(lid, opt)?;
        }
        self.loop_refresh(lid)?;
        let seed = self.rt.rng.next_u32();
        let lp = self.loops.get_mut(&lid).or_internal("custom loop", "the loop is gone")?;
        let idx = lp.plan_for(&f, &mut self.loop_plans)?;
        let rate = match (oid, lr) {
            (Some(oid), Some(lr)) => Some(lp.set_update(&self.optimizers[&oid], lr)),
            _ => None,
        };
        let consts: Vec<&[f32]> = f.graph.consts.iter().map(|t| t.data.as_slice()).collect();
        let mut enc = lp.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("custom loop step") });
        let step = &mut lp.plans[idx];
        step.plan.encode(&mut enc, &consts, seed);
        let mut own = vec![];
        for (j, &node) in step.grads.iter().enumerate() {
            let Some((b, n)) = step.plan.value(node) else { continue };
            if rate.is_some() {
                enc.copy_buffer_to_buffer(b, 0, &lp.grads, lp.arena.offsets[j] * 4, Some(n as u64 * 4));
            } else {
                let keep = lp.gpu.storage(n);
                enc.copy_buffer_to_buffer(b, 0, &keep, 0, Some(n as u64 * 4));
                own.push((j, keep));
            }
        }
        let mut rb = match (want_value, step.plan.value(step.value)) {
            (true, Some((b, _))) => Some(lp.gpu.readback(&mut enc, &[(b, 0, 1)])),
            _ => None,
        };
        if rate.is_some() {
            lp.encode_update(&mut enc);
        }
        lp.gpu.submit(enc.finish());
        if let Some(rb) = rb.as_mut() {
            rb.start();
        }
        lp.steps += 1;
        let s = lp.steps;
        lp.log_recording(idx, f, rate.map(|r| (s, r)));
        let vars = lp.vars();
        let gpu = lp.gpu.clone();
        self.loop_steps += 1;
        if rate.is_some() {
            self.loop_mark_vars(lid, &vars);
        }
        let value = want_value.then(|| {
            let h = self.rt.put_pending(vec![], DType::F32);
            self.pending.insert(h, PendingEntry::of_loop(lid, LoopPart::Cost(s), rb, None));
            h
        });
        let mut grads = vec![];
        for (j, buf) in own {
            let shape = self.rt.shape(vars[j])?;
            let h = self.rt.put_pending(shape, DType::F32);
            self.pending.insert(h, PendingEntry::of_loop(lid, LoopPart::Grad(s, j), None, Some((gpu.clone(), buf))));
            grads.push(h);
        }
        self.loop_after_step(lid)?;
        Ok(StepOut { value, grads })
    }

    /// `applyGradients` on the GPU when every gradient is a pending gradient of one step of one
    /// loop, covering the variables it trains; false (nothing done) otherwise.
    pub(super) fn loop_apply(&mut self, opt: Optimizer, vars: &[Handle], grads: &[Handle]) -> Result<bool> {
        let parts: Vec<(u64, LoopPart)> = match grads.iter().map(|&g| self.loop_of(g)).collect::<Option<Vec<_>>>() {
            Some(p) => p,
            None => return Ok(false),
        };
        let Some(&(lid, LoopPart::Grad(s, _))) = parts.first() else { return Ok(false) };
        let Some(lp) = self.loops.get(&lid) else { return Ok(false) };
        let lvars = lp.vars();
        let mut order = vec![usize::MAX; lvars.len()];
        for (i, p) in parts.iter().enumerate() {
            match *p {
                (l, LoopPart::Grad(t, j)) if l == lid && t == s && lvars.get(j) == Some(&vars[i]) && order[j] == usize::MAX => order[j] = i,
                _ => return Ok(false),
            }
        }
        if order.contains(&usize::MAX) || lp.gpu.is_lost() {
            return Ok(false);
        }
        let lr = opt.lr;
        let oid = opt.id.unwrap_or(0);
        self.loop_attach(lid, opt)?;
        self.loop_refresh(lid)?;
        // Attaching may have replayed the log on the CPU, which gives the gradients their values.
        let bufs: Vec<wgpu::Buffer> = match order.iter().map(|&i| self.pending.get(&grads[i]).and_then(|e| e.buffer())).collect() {
            Some(b) => b,
            None => return Ok(false),
        };
        let lp = self.loops.get_mut(&lid).or_internal("applyGradients", "the loop is gone")?;
        let keyed = self.optimizers.get(&oid).or_internal("applyGradients", "the optimizer is gone")?;
        let rate = lp.set_update(keyed, lr);
        let mut enc = lp.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("custom loop update") });
        for (j, b) in bufs.iter().enumerate() {
            let n = lp.arena.lens[j];
            enc.copy_buffer_to_buffer(b, 0, &lp.grads, lp.arena.offsets[j] * 4, Some(n as u64 * 4));
        }
        lp.encode_update(&mut enc);
        lp.gpu.submit(enc.finish());
        lp.steps += 1;
        let step = lp.steps;
        lp.log.push(Logged { step, rec: None, apply: Some((s, rate)) });
        self.loop_steps += 1;
        self.loop_mark_vars(lid, &lvars);
        self.loop_after_step(lid)?;
        Ok(true)
    }

    /// The trained variables of loop `lid` wait on the GPU.
    fn loop_mark_vars(&mut self, lid: u64, vars: &[Handle]) {
        for (j, &h) in vars.iter().enumerate() {
            if self.loop_of(h) != Some((lid, LoopPart::Var(j))) && self.rt.make_pending(h) {
                self.pending.insert(h, PendingEntry::of_loop(lid, LoopPart::Var(j), None, None));
            }
        }
    }

    /// After a step: asks for a checkpoint every few steps; replays a log grown too long.
    fn loop_after_step(&mut self, lid: u64) -> Result<()> {
        let Some(lp) = self.loops.get(&lid) else { return Ok(()) };
        let (n, bytes) = (lp.log.len(), lp.log_bytes());
        if n.is_multiple_of(CHECKPOINT_EVERY) {
            self.loop_request_checkpoint(lid);
        }
        if n >= MAX_LOG || bytes > MAX_LOG_BYTES {
            self.loop_flush(lid)?;
        }
        Ok(())
    }

    /// Finishes the loops that train any of the variables keyed `keys`.
    pub(super) fn loop_drop_keys(&mut self, keys: &[u64]) {
        let ids: Vec<u64> = self.loops.iter().filter(|(_, l)| l.keys.iter().any(|k| keys.contains(k))).map(|(&id, _)| id).collect();
        for id in ids {
            // Its values are resolved by the flush; an error here leaves them to a later read.
            let _ = self.loop_finish(id);
        }
    }

    /// The steps the loop holding optimizer `oid` has applied beyond its CPU state.
    pub(super) fn loop_lead(&self, oid: u64) -> u64 {
        self.loops.values().find(|l| l.opt == Some(oid)).map_or(0, |l| l.applied(u64::MAX))
    }

    /// Finishes the loop holding optimizer `oid`'s state, if any (its state is then current on
    /// the CPU).
    pub(super) fn loop_release(&mut self, oid: u64) -> Result<()> {
        let ids: Vec<u64> = self.loops.iter().filter(|(_, l)| l.opt == Some(oid)).map(|(&id, _)| id).collect();
        for id in ids {
            self.loop_finish(id)?;
        }
        Ok(())
    }

    /// The value of `h` now, finishing whatever it waits on.
    pub(super) fn value_now(&mut self, h: Handle) -> Result<Rc<Tensor>> {
        for _ in 0..64 {
            match self.rt.get_rc(h) {
                Err(Error::Pending(p)) => self.force(p)?,
                r => return r,
            }
        }
        Err(Error::arg("engine", "too many tensors pending on the GPU"))
    }
}

/// The sorted keys a demotion is recorded under.
fn key_set(keys: &[u64]) -> Vec<u64> {
    let mut k = keys.to_vec();
    k.sort_unstable();
    k
}

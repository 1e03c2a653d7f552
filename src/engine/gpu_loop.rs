//! Custom training loops on the GPU: `optimizer.minimize(f)` on the WebGPU backend.
//!
//! f is recorded symbolically (nothing is computed on the CPU while it runs). The recording plus
//! its backward pass is planned once per distinct recording (the same ops, shapes and wiring; the
//! tensors it captured become the plan's inputs) and replayed on every call that records it
//! again. The variables it trains live on the GPU in one weight buffer, updated by the fused
//! optimizer kernel as in `fit`; each call is one submit and nothing waits on the GPU: the
//! variables, and the cost when asked for, become pending tensors.
//!
//! Synchronous reads still work. Every step since the last values known on the CPU is logged
//! (its recording, with the data it captured, and its learning rate); a synchronous read replays
//! the log on the CPU with the same update rule and uploads the result, so both devices go on
//! from the same values. An asynchronous read (`data()`), and one every few steps of the loop's
//! own accord, copies the GPU's weights and optimizer state back instead, which shortens the log.
//! A loop read synchronously again and again (each step would run twice) returns to the CPU.

use super::Engine;
use crate::backend::gpu::plan::{materialize, GpuPlan, ParamArena};
use crate::backend::gpu::{Gpu, Kernel, Readback, RECORD_WORDS};
use crate::eager::Handle;
use crate::error::{Error, Result};
use crate::graph::{autodiff, Graph, Node, NodeId, TracedFn};
use crate::model::gpu::zeroed;
use crate::ops::Op;
use crate::optim::{Keyed, Optimizer};
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

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

/// What a pending tensor of a loop stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopPart {
    /// Trained variable `j` (weight-buffer order).
    Var(usize),
    /// The cost of step `s`.
    Cost(u64),
}

/// A recorded `minimize` function: the recording, its watched handles (distinct, in input
/// order), which of them its value depends on, and their optimizer keys.
pub struct Recorded<'a> {
    pub f: TracedFn,
    pub watch: &'a [Handle],
    pub reached: &'a [bool],
    pub keys: &'a [u64],
}

/// What a flush gives: the replayed costs by step, and the variables' values.
pub type Flushed = (HashMap<u64, f32>, Vec<Rc<Tensor>>);

struct LoopPlan {
    /// The recording's structure the plan was made for.
    nodes: Rc<Vec<Node>>,
    plan: GpuPlan,
    value: NodeId,
    grads: Vec<NodeId>,
}

/// A step as the CPU replays it: the recording's structure (shared with its plan), its
/// constants (shared with the step before where equal: a loop over the same batch keeps one
/// copy), its learning rate and its number.
struct Logged {
    nodes: Rc<Vec<Node>>,
    inputs: Vec<NodeId>,
    output: NodeId,
    consts: Vec<Rc<Tensor>>,
    /// Bytes of the constants this step added.
    bytes: usize,
    lr: f32,
    step: u64,
}

impl Logged {
    fn recording(&self) -> TracedFn {
        let graph = Graph { nodes: (*self.nodes).clone(), consts: self.consts.iter().map(|c| (**c).clone()).collect(), updates: vec![] };
        TracedFn { graph, inputs: self.inputs.clone(), output: self.output }
    }
}

pub struct GpuLoop {
    gpu: Arc<Gpu>,
    /// The watched handles, distinct, in the recording's input order.
    watch: Vec<Handle>,
    /// Positions in `watch` of the trained variables (those f's value depends on), in
    /// weight-buffer order, and their optimizer keys.
    trained: Vec<usize>,
    keys: Vec<u64>,
    arena: ParamArena,
    grads: wgpu::Buffer,
    slots: Vec<wgpu::Buffer>,
    num_slots: usize,
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
    /// A read of the weights and slots in flight, with the step it was taken after.
    checkpoint: Option<(u64, Readback)>,
    replays: u32,
}

/// Bytes of data a loop's log holds.
fn lp_bytes(lp: Option<&GpuLoop>) -> usize {
    lp.map_or(0, |l| l.log.iter().map(|e| e.bytes).sum())
}

/// Same ops, wiring, shapes and dtypes.
fn same_nodes(a: &[Node], b: &[Node]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.op == y.op && x.inputs == y.inputs && x.shape == y.shape && x.dtype == y.dtype)
}

impl GpuLoop {
    fn new(gpu: &Arc<Gpu>, watch: Vec<Handle>, trained: Vec<usize>, keys: Vec<u64>, base: Vec<Rc<Tensor>>, keyed: &mut Keyed) -> Result<GpuLoop> {
        gpu.check("uploading a custom loop's variables")?;
        let vals: Vec<&[f32]> = base.iter().map(|t| t.data.as_slice()).collect();
        let order: Vec<usize> = (0..vals.len()).collect();
        let arena = ParamArena::new(gpu, &vals, &order)?;
        let n = arena.len() as u64;
        let num_slots = keyed.opt.num_slots();
        let grads = zeroed(gpu, n, "custom loop gradients");
        let slots: Vec<wgpu::Buffer> = (0..3).map(|j| zeroed(gpu, if j < num_slots { n } else { 1 }, "custom loop slot")).collect();
        let opt_pipeline = gpu.pipeline(Kernel::Optimizer);
        let opt_params = gpu.uniform(1);
        let opt_bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("custom loop optimizer"),
            layout: &opt_pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: opt_params.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: arena.buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: grads.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: slots[0].as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: slots[1].as_entire_binding() },
                wgpu::BindGroupEntry { binding: 5, resource: slots[2].as_entire_binding() },
            ],
        });
        let steps = keyed.opt.iterations;
        let lp = GpuLoop {
            gpu: gpu.clone(),
            watch,
            trained,
            keys,
            arena,
            grads,
            slots,
            num_slots,
            opt_params,
            opt_bind,
            opt_pipeline,
            plans: vec![],
            base,
            start: steps,
            log: vec![],
            steps,
            checkpoint: None,
            replays: 0,
        };
        lp.upload_slots(keyed);
        Ok(lp)
    }

    /// Writes the optimizer's CPU state of the trained variables into the slot buffers.
    fn upload_slots(&self, keyed: &mut Keyed) {
        for (j, &key) in self.keys.iter().enumerate() {
            let n = self.arena.lens[j];
            for (s, v) in keyed.slots_for(key, n).iter().enumerate().take(self.num_slots) {
                self.gpu.write(&self.slots[s], self.arena.offsets[j], v);
            }
        }
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

    fn request_checkpoint(&mut self) {
        if self.checkpoint.is_some() || self.gpu.is_lost() {
            return;
        }
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        let n = self.arena.len();
        let mut parts = vec![(&self.arena.buf, 0u64, n)];
        parts.extend(self.slots[..self.num_slots].iter().map(|s| (s, 0u64, n)));
        let mut rb = self.gpu.readback(&mut enc, &parts);
        self.gpu.submit(enc.finish());
        rb.start();
        self.checkpoint = Some((self.steps, rb));
    }
}

impl Engine {
    /// Whether `optimizer.minimize` of optimizer `opt` runs on the GPU (WebGPU is active and the
    /// loop has not gone back to the CPU).
    pub fn loop_on_gpu(&mut self, opt: u64) -> bool {
        !self.cpu_loops.contains(&opt) && self.active_gpu().is_some()
    }

    /// [GPU steps taken, plans made] by custom loops.
    pub fn loop_stats(&self) -> [u64; 2] {
        [self.loop_steps, self.loop_plans]
    }

    /// The loop a pending tensor belongs to.
    pub(super) fn loop_of(&self, h: Handle) -> Option<(u64, LoopPart)> {
        self.pending.get(&h).and_then(|e| e.loop_part())
    }

    /// One step of `optimizer.minimize` on the GPU. Returns the pending cost when asked for.
    pub(super) fn loop_step(&mut self, gpu: &Arc<Gpu>, opt: Optimizer, rec: Recorded, return_cost: bool) -> Result<Option<Handle>> {
        let Recorded { f, watch, reached, keys } = rec;
        let oid = opt.id.unwrap_or(0);
        let lr = opt.lr;
        let trained: Vec<usize> = (0..watch.len()).filter(|&k| reached[k]).collect();
        let tkeys: Vec<u64> = trained.iter().map(|&k| keys[k]).collect();
        let fits = self.loops.get(&oid).is_some_and(|l| l.watch == watch && l.trained == trained && Arc::ptr_eq(&l.gpu, gpu))
            && self.optimizers.get(&oid).is_some_and(|k| k.same_rule(&opt));
        if !fits {
            self.loop_finish(oid)?;
        }
        match self.optimizers.entry(oid) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut().reconfigure(opt),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Keyed::new(opt));
            }
        }
        if !self.loops.contains_key(&oid) {
            let base = trained.iter().map(|&k| self.value_now(watch[k])).collect::<Result<Vec<_>>>()?;
            let keyed = self.optimizers.get_mut(&oid).expect("inserted above");
            let lp = GpuLoop::new(gpu, watch.to_vec(), trained.clone(), tkeys, base, keyed)?;
            self.loops.insert(oid, lp);
        }
        self.loop_poll(oid);
        // A variable given a new value outside the loop (assign, setWeights) is uploaded.
        for (j, &k) in trained.iter().enumerate() {
            let h = watch[k];
            if self.loop_of(h).is_some_and(|(o, _)| o == oid) {
                continue;
            }
            let v = self.value_now(h)?;
            let lp = self.loops.get_mut(&oid).expect("made above");
            if !Rc::ptr_eq(&v, &lp.base[j]) {
                lp.gpu.write(&lp.arena.buf, lp.arena.offsets[j], &v.data);
                lp.base[j] = v;
            }
        }
        let seed = self.rt.rng.next_u32();
        let lp = self.loops.get_mut(&oid).expect("made above");
        let keyed = self.optimizers.get(&oid).expect("inserted above");
        let idx = match lp.plans.iter().position(|p| same_nodes(&p.nodes, &f.graph.nodes)) {
            Some(i) => i,
            None => {
                let p = lp.build(&f)?;
                self.loop_plans += 1;
                if lp.plans.len() >= MAX_PLANS {
                    lp.plans.remove(0);
                }
                lp.plans.push(p);
                lp.plans.len() - 1
            }
        };
        if let Some(e) = lp.plans[idx].plan.take_error() {
            lp.plans.remove(idx);
            return Err(e);
        }
        // This step's learning rate and bias corrections, as the CPU would take them.
        let mut o = Optimizer::new(keyed.opt.kind.clone(), lr);
        o.schedule = keyed.opt.schedule.clone();
        o.iterations = keyed.opt.iterations + lp.log.len() as u64;
        o.begin_step(0);
        let (code, w) = o.gpu_words();
        let mut words = [0u32; RECORD_WORDS];
        words[0] = lp.arena.total as u32;
        words[1] = code;
        for (i, v) in w.iter().enumerate() {
            words[2 + i] = v.to_bits();
        }
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        lp.gpu.queue.write_buffer(&lp.opt_params, 0, &bytes);
        let consts: Vec<&[f32]> = f.graph.consts.iter().map(|t| t.data.as_slice()).collect();
        let mut enc = lp.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("custom loop step") });
        let step = &mut lp.plans[idx];
        step.plan.encode(&mut enc, &consts, seed);
        for (j, &node) in step.grads.iter().enumerate() {
            if let Some((b, n)) = step.plan.value(node) {
                enc.copy_buffer_to_buffer(b, 0, &lp.grads, lp.arena.offsets[j] * 4, Some(n as u64 * 4));
            }
        }
        let mut rb = match (return_cost, step.plan.value(step.value)) {
            (true, Some((b, _))) => Some(lp.gpu.readback(&mut enc, &[(b, 0, 1)])),
            _ => None,
        };
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("custom loop update"), timestamp_writes: None });
            if lp.arena.total > 0 {
                pass.set_pipeline(&lp.opt_pipeline);
                pass.set_bind_group(0, &lp.opt_bind, &[]);
                let groups = (lp.arena.total as u32).div_ceil(256);
                pass.dispatch_workgroups(groups.min(65535), groups.div_ceil(65535), 1);
            }
        }
        lp.gpu.submit(enc.finish());
        if let Some(rb) = rb.as_mut() {
            rb.start();
        }
        lp.steps += 1;
        let step_no = lp.steps;
        let nodes = lp.plans[idx].nodes.clone();
        let prev = lp.log.last().map(|p| p.consts.clone()).unwrap_or_default();
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
        lp.log.push(Logged { nodes, inputs, output, consts, bytes, lr: o.lr, step: step_no });
        self.loop_steps += 1;
        let vars: Vec<Handle> = lp.trained.iter().map(|&k| lp.watch[k]).collect();
        let log_len = lp.log.len();
        if log_len.is_multiple_of(CHECKPOINT_EVERY) {
            lp.request_checkpoint();
        }
        for (j, h) in vars.into_iter().enumerate() {
            if self.rt.make_pending(h) {
                self.pending.insert(h, super::pending::PendingEntry::of_loop(oid, LoopPart::Var(j), None));
            }
        }
        let cost = return_cost.then(|| {
            let h = self.rt.put_pending(vec![], crate::tensor::DType::F32);
            self.pending.insert(h, super::pending::PendingEntry::of_loop(oid, LoopPart::Cost(step_no), rb));
            h
        });
        if log_len >= MAX_LOG || lp_bytes(self.loops.get(&oid)) > MAX_LOG_BYTES {
            self.loop_flush(oid)?;
        }
        Ok(cost)
    }

    /// Takes the GPU's checkpoint of loop `oid` into the CPU values if it has arrived (every
    /// cost of the steps it covers must have arrived too).
    pub(super) fn loop_poll(&mut self, oid: u64) {
        let Some(lp) = self.loops.get_mut(&oid) else { return };
        let Some((s, mut rb)) = lp.checkpoint.take() else { return };
        let data = match rb.poll(&lp.gpu) {
            None => {
                lp.checkpoint = Some((s, rb));
                return;
            }
            Some(Err(_)) => return,
            Some(Ok(d)) => d,
        };
        if s <= lp.start {
            return;
        }
        let costs: Vec<Handle> = self
            .pending
            .iter()
            .filter(|(_, e)| matches!(e.loop_part(), Some((o, LoopPart::Cost(c))) if o == oid && c <= s))
            .map(|(&h, _)| h)
            .collect();
        let mut got = vec![];
        for h in costs {
            let Some(e) = self.pending.get(&h) else { continue };
            match e.gpu_value(self.gpu.as_deref()) {
                Some(v) => got.push((h, v)),
                // A cost still on its way: the checkpoint cannot stand for its step yet.
                None if e.gpu_waiting() => return,
                // A cost whose read failed stays unknown (reading it is then an error).
                None => {}
            }
        }
        for (h, v) in got {
            self.pending.remove(&h);
            self.rt.resolve(h, Tensor::scalar(v));
        }
        let lp = self.loops.get_mut(&oid).expect("checked above");
        let Some(keyed) = self.optimizers.get_mut(&oid) else { return };
        let mut it = data.into_iter();
        let weights = it.next().unwrap_or_default();
        let slots: Vec<Vec<f32>> = it.collect();
        for (j, &key) in lp.keys.iter().enumerate() {
            let (off, len) = (lp.arena.offsets[j] as usize, lp.arena.lens[j]);
            if let Some(src) = weights.get(off..off + len) {
                lp.base[j] = Rc::new(Tensor { shape: lp.base[j].shape.clone(), dtype: lp.base[j].dtype, data: src.to_vec() });
            }
            for (i, dst) in keyed.slots_for(key, len).iter_mut().enumerate() {
                if let Some(src) = slots.get(i).and_then(|v| v.get(off..off + len)) {
                    dst.copy_from_slice(src);
                }
            }
        }
        if let Some(last) = lp.log.iter().rfind(|e| e.step <= s) {
            if keyed.opt.schedule.is_none() {
                keyed.opt.lr = last.lr;
            }
        }
        keyed.opt.iterations += s - lp.start;
        lp.log.retain(|e| e.step > s);
        lp.start = s;
        lp.replays = 0;
        self.gpu_values += 1;
        if lp.log.is_empty() {
            self.loop_resolve(oid, &HashMap::new());
        }
    }

    /// Gives every pending tensor of loop `oid` its value: the variables their base values (the
    /// log must be empty), the costs theirs (from `costs`, else from their own GPU read).
    fn loop_resolve(&mut self, oid: u64, costs: &HashMap<u64, f32>) {
        let Some(lp) = self.loops.get(&oid) else { return };
        let base = lp.base.clone();
        let mine: Vec<(Handle, LoopPart)> =
            self.pending.iter().filter_map(|(&h, e)| e.loop_part().filter(|(o, _)| *o == oid).map(|(_, p)| (h, p))).collect();
        for (h, part) in mine {
            let t = match part {
                LoopPart::Var(j) => base.get(j).map(|t| (**t).clone()),
                LoopPart::Cost(s) => costs.get(&s).copied().or_else(|| self.pending.get(&h).and_then(|e| e.gpu_value(self.gpu.as_deref()))).map(Tensor::scalar),
            };
            if let Some(t) = t {
                self.pending.remove(&h);
                self.rt.resolve(h, t);
            }
        }
    }

    /// Brings loop `oid`'s CPU values up to date (a checkpoint that arrived, then a replay of
    /// the steps after it) and resolves its pending tensors. Returns the replayed costs and the
    /// variables' values.
    pub(super) fn loop_flush(&mut self, oid: u64) -> Result<Flushed> {
        self.loop_poll(oid);
        let mut costs = HashMap::new();
        let Some(lp) = self.loops.get_mut(&oid) else { return Ok((costs, vec![])) };
        let log = std::mem::take(&mut lp.log);
        let watch = lp.watch.clone();
        let trained = lp.trained.clone();
        let keys = lp.keys.clone();
        let mut vars: Vec<Tensor> = lp.base.iter().map(|t| (**t).clone()).collect();
        let replayed = !log.is_empty();
        let mut rng = self.rt.rng.clone();
        let keyed = self.optimizers.entry(oid).or_insert_with(|| Keyed::new(Optimizer::new(crate::optim::Kind::Sgd, 0.0)));
        for e in &log {
            let f = e.recording();
            let others: Vec<Rc<Tensor>> = watch
                .iter()
                .enumerate()
                .map(|(k, &h)| match trained.contains(&k) {
                    true => Rc::new(Tensor::zeros(&[0])),
                    // Not reaching the value: any tensor of the shape does.
                    false => self.rt.get_rc(h).unwrap_or_else(|_| Rc::new(Tensor::zeros(&f.graph.nodes[f.inputs[k]].shape))),
                })
                .collect();
            let args: Vec<&Tensor> = (0..watch.len())
                .map(|k| match trained.iter().position(|&t| t == k) {
                    Some(j) => &vars[j],
                    None => others[k].as_ref(),
                })
                .collect();
            let (value, grads) = autodiff::value_and_grads("minimize", &f, &args, None, &mut rng)?;
            costs.insert(e.step, value.data.first().copied().unwrap_or(f32::NAN));
            let gs: Vec<Vec<f32>> =
                trained.iter().enumerate().map(|(j, &k)| grads[k].as_ref().map(|g| g.data.clone()).unwrap_or_else(|| vec![0.0; vars[j].data.len()])).collect();
            if keyed.opt.schedule.is_none() {
                keyed.opt.lr = e.lr;
            }
            let gr: Vec<&[f32]> = gs.iter().map(|g| g.as_slice()).collect();
            let mut params: Vec<&mut [f32]> = vars.iter_mut().map(|v| v.data.as_mut_slice()).collect();
            keyed.apply(&keys, &mut params, &gr)?;
        }
        let lp = self.loops.get_mut(&oid).expect("checked above");
        lp.base = vars.into_iter().map(Rc::new).collect();
        lp.start = lp.steps;
        lp.checkpoint = None;
        if replayed {
            lp.replays += 1;
            // The GPU goes on from the CPU's values, so both devices agree.
            if !lp.gpu.is_lost() {
                for (j, t) in lp.base.iter().enumerate() {
                    lp.gpu.write(&lp.arena.buf, lp.arena.offsets[j], &t.data);
                }
                if let Some(keyed) = self.optimizers.get_mut(&oid) {
                    lp.upload_slots(keyed);
                }
            }
        }
        let demote = lp.replays >= MAX_REPLAYS;
        let base = lp.base.clone();
        self.loop_resolve(oid, &costs);
        if demote {
            self.cpu_loops.insert(oid);
            self.loops.remove(&oid);
        }
        Ok((costs, base))
    }

    /// Flushes loop `oid` and forgets it (its optimizer's CPU state is then current).
    pub(super) fn loop_finish(&mut self, oid: u64) -> Result<()> {
        let r = self.loop_flush(oid).map(|_| ());
        self.loops.remove(&oid);
        r
    }

    /// Whether a pending tensor of a loop still waits on the GPU for an asynchronous read (which
    /// asks for the loop's values if nobody has).
    pub(super) fn loop_waiting(&mut self, h: Handle) -> bool {
        let Some((oid, part)) = self.loop_of(h) else { return false };
        self.loop_poll(oid);
        if !self.rt.is_pending(h) {
            return false;
        }
        let Some(lp) = self.loops.get_mut(&oid) else { return false };
        if lp.gpu.is_lost() {
            return false;
        }
        match part {
            LoopPart::Cost(_) => self.pending.get(&h).is_some_and(|e| e.gpu_waiting()),
            LoopPart::Var(_) => {
                lp.request_checkpoint();
                true
            }
        }
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

    /// The steps a loop has taken beyond its optimizer's CPU state.
    pub(super) fn loop_lead(&self, oid: u64) -> u64 {
        self.loops.get(&oid).map_or(0, |l| l.log.len() as u64)
    }
}

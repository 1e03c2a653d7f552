//! A model's training state on the GPU: the weights in one buffer (trained ones first, so one
//! fused optimizer dispatch covers them all), gradients and optimizer slots in buffers of the same
//! layout, running loss/metric sums, and the planned steps. A step is one command encoder and
//! one submit: the plan's dispatches, the gradient copies, the optimizer update and the
//! accumulation of the step's loss and metrics. Nothing is read back per step.
//!
//! The CPU weights (`Sequential::weights`) are the mirror: refreshed from the GPU by
//! [`GpuModel::sync_parts`] / [`GpuModel::apply_sync`] at epoch ends, every few batches, and when
//! `fit` ends, so synchronous reads and a fallback to the CPU always have recent weights.

use super::plan::{plan_key, PlanKey};
use super::{LayersModel, PlanKind};
use crate::backend::gpu::plan::{materialize, GpuPlan, ParamArena};
use crate::backend::gpu::{Gpu, Kernel, Readback, RECORD_BYTES, RECORD_WORDS};
use crate::error::{OrInternal, Result};
use crate::graph::NodeId;
use crate::tensor::DType;
use std::collections::HashMap;
use std::sync::Arc;

/// Regions of the sums buffer, 64 elements each (bindable offsets): training, validation, evaluate.
pub const TRAIN: usize = 0;
pub const VAL: usize = 1;
pub const EVAL: usize = 2;
const REGION: u64 = 64;
const VAL_AT: u64 = REGION;

pub struct GpuStep {
    pub plan: GpuPlan,
    pub outputs: Vec<NodeId>,
    grads: Vec<(usize, NodeId)>,
    /// State weights a training step writes (moving statistics), copied into the arena.
    updates: Vec<(usize, NodeId)>,
    /// Accumulate into the training, validation or evaluate sums.
    accum: [wgpu::BindGroup; 3],
    _accum_params: wgpu::Buffer,
    pub batch: usize,
}

/// The weight constraints' projections: a pipeline, their uniform records (one per weight, written
/// once) and a bind group and thread count per constrained weight.
struct Constraints {
    pipeline: Option<wgpu::ComputePipeline>,
    _params: Option<wgpu::Buffer>,
    dispatches: Vec<(wgpu::BindGroup, u32)>,
}

impl Constraints {
    /// The dispatches for the trained weights of `model` that have a constraint; each binds its
    /// weight's range of the arena.
    fn new(gpu: &Gpu, model: &LayersModel, arena: &ParamArena, trained: &[usize]) -> Constraints {
        let list: Vec<usize> = trained.iter().copied().filter(|&wi| model.weights[wi].constraint.is_some()).collect();
        if list.is_empty() || model.compiled.is_none() {
            return Constraints { pipeline: None, _params: None, dispatches: vec![] };
        }
        let pipeline = gpu.pipeline(Kernel::Constraint);
        let params = gpu.uniform(list.len());
        let mut bytes = Vec::with_capacity(list.len() * RECORD_BYTES as usize);
        let mut threads = vec![];
        for &wi in &list {
            let w = &model.weights[wi];
            // (`list` holds only constrained weights.)
            let Some(c) = w.constraint else { continue };
            let (words, n) = c.gpu_words(&w.value.shape, 0);
            bytes.extend(words.iter().flat_map(|v| v.to_le_bytes()));
            threads.push(n);
        }
        gpu.queue.write_buffer(&params, 0, &bytes);
        let dispatches = list
            .iter()
            .zip(threads)
            .enumerate()
            .map(|(k, (&wi, n))| {
                let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(&format!("constraint of {}", model.weights[wi].name)),
                    layout: &pipeline.get_bind_group_layout(0),
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &params,
                                offset: k as u64 * RECORD_BYTES,
                                size: wgpu::BufferSize::new(RECORD_BYTES),
                            }),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &arena.buf,
                                offset: arena.offsets[wi] * 4,
                                size: wgpu::BufferSize::new(arena.lens[wi].max(1) as u64 * 4),
                            }),
                        },
                    ],
                });
                (bind, n)
            })
            .collect();
        Constraints { pipeline: Some(pipeline), _params: Some(params), dispatches }
    }

    /// Records the projections into `pass` (after the optimizer's dispatch).
    fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        let Some(p) = &self.pipeline else { return };
        pass.set_pipeline(p);
        for (bind, n) in &self.dispatches {
            let groups = n.div_ceil(Kernel::Constraint.workgroup()).max(1);
            pass.set_bind_group(0, bind, &[]);
            pass.dispatch_workgroups(groups.min(65535), groups.div_ceil(65535), 1);
        }
    }
}

pub struct GpuModel {
    pub gpu: Arc<Gpu>,
    pub arena: ParamArena,
    /// Weight indices in arena order, the trained ones first.
    trained: Vec<usize>,
    grads: wgpu::Buffer,
    slots: Vec<wgpu::Buffer>,
    opt_params: wgpu::Buffer,
    opt_bind: wgpu::BindGroup,
    opt_pipeline: wgpu::ComputePipeline,
    accum_pipeline: wgpu::ComputePipeline,
    /// One dispatch per constrained trained weight, run after the optimizer update.
    constraints: Constraints,
    /// Loss and metric sums (value × batch size): training at 0, validation at VAL_AT.
    pub acc: wgpu::Buffer,
    vals: wgpu::Buffer,
    /// Loss + metrics.
    pub k: usize,
    plans: HashMap<PlanKey, GpuStep>,
    opt_words: [u32; RECORD_WORDS],
}

/// The fused optimizer update over `arena` (optimizer.wgsl): its pipeline, its uniform record
/// (written before each step) and the bind group of the weights, gradients and three slot
/// buffers, all of the arena's layout.
pub(crate) fn optimizer_update(
    gpu: &Gpu,
    arena: &ParamArena,
    grads: &wgpu::Buffer,
    slots: &[wgpu::Buffer],
    label: &str,
) -> (wgpu::ComputePipeline, wgpu::Buffer, wgpu::BindGroup) {
    let pipeline = gpu.pipeline(Kernel::Optimizer);
    let params = gpu.uniform(1);
    let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: arena.buf.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 2, resource: grads.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 3, resource: slots[0].as_entire_binding() },
            wgpu::BindGroupEntry { binding: 4, resource: slots[1].as_entire_binding() },
            wgpu::BindGroupEntry { binding: 5, resource: slots[2].as_entire_binding() },
        ],
    });
    (pipeline, params, bind)
}

pub(crate) fn zeroed(gpu: &Gpu, elements: u64, label: &str) -> wgpu::Buffer {
    gpu.made();
    gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: elements.max(4) * 4,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    })
}

impl GpuModel {
    /// Uploads the model's weights and optimizer state (from the CPU mirror).
    pub fn new(gpu: &Arc<Gpu>, model: &mut LayersModel) -> Result<GpuModel> {
        gpu.check("uploading the model")?;
        let trained: Vec<usize> = (0..model.weights.len()).filter(|&i| model.weights[i].trainable).collect();
        let values: Vec<&[f32]> = model.weights.iter().map(|w| w.value.data.as_slice()).collect();
        let arena = ParamArena::new(gpu, &values, &trained)?;
        let n = arena.len() as u64;
        // A model that only predicts (not compiled) gets no gradient or optimizer buffers;
        // compiling drops this copy, so a training one is made afresh.
        let grads = zeroed(gpu, if model.compiled.is_some() { n } else { 1 }, "gradients");
        let mut slots = vec![];
        let ns = model.compiled.as_ref().map(|c| c.optimizer.num_slots()).unwrap_or(0);
        for j in 0..3 {
            slots.push(zeroed(gpu, if j < ns { n } else { 1 }, "optimizer slot"));
        }
        if let Some(c) = model.compiled.as_mut() {
            for (k, &wi) in trained.iter().enumerate() {
                let len = model.weights[wi].value.data.len();
                for (j, v) in c.optimizer.slots_of(k, len).iter().enumerate() {
                    gpu.write(&slots[j], arena.offsets[wi], v);
                }
            }
        }
        let k = model.compiled.as_ref().map(|c| c.num_values()).unwrap_or(1);
        let acc = zeroed(gpu, 3 * REGION, "sums");
        let vals = zeroed(gpu, 64, "step values");
        let (opt_pipeline, opt_params, opt_bind) = optimizer_update(gpu, &arena, &grads, &slots, "optimizer");
        let accum_pipeline = gpu.pipeline(Kernel::Accumulate);
        let constraints = Constraints::new(gpu, model, &arena, &trained);
        let mut order = trained.clone();
        order.extend((0..model.weights.len()).filter(|i| !model.weights[*i].trainable));
        Ok(GpuModel {
            gpu: gpu.clone(),
            arena,
            trained: order,
            grads,
            slots,
            opt_params,
            opt_bind,
            opt_pipeline,
            accum_pipeline,
            constraints,
            acc,
            vals,
            k,
            plans: HashMap::new(),
            opt_words: [0; RECORD_WORDS],
        })
    }

    fn build_step(&self, model: &LayersModel, kind: PlanKind, batch: usize, y_feat: &[usize], y_dtype: DType) -> Result<GpuStep> {
        let mut sg = model.step_graph(kind, batch, y_feat, y_dtype, None)?;
        let mut outs = sg.outputs.clone();
        let mut grads: Vec<NodeId> = sg.grads.iter().map(|g| g.1).collect();
        materialize(&mut sg.graph, &mut outs)?;
        materialize(&mut sg.graph, &mut grads)?;
        let updates = std::mem::take(&mut sg.updates);
        let mut all = outs.clone();
        all.extend(&grads);
        all.extend(updates.iter().map(|u| u.1));
        let plan = GpuPlan::new(&self.gpu, sg.graph, &all, &self.arena)?;
        let params = self.gpu.uniform(1);
        let mut words = [0u32; RECORD_WORDS];
        words[0] = outs.len() as u32;
        words[1] = (batch as f32).to_bits();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.gpu.queue.write_buffer(&params, 0, &bytes);
        let bind = |at: u64| {
            self.gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("accumulate"),
                layout: &self.accum_pipeline.get_bind_group_layout(0),
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: &self.acc,
                            offset: at * 4,
                            size: wgpu::BufferSize::new(64 * 4),
                        }),
                    },
                    wgpu::BindGroupEntry { binding: 2, resource: self.vals.as_entire_binding() },
                ],
            })
        };
        let accum = [bind(0), bind(REGION), bind(2 * REGION)];
        self.gpu.check(&format!("planning the {kind:?} step for batch {batch}"))?;
        Ok(GpuStep {
            plan,
            outputs: outs,
            grads: sg.grads.iter().map(|g| g.0).zip(grads).collect(),
            updates,
            accum,
            _accum_params: params,
            batch,
        })
    }

    /// Runs one step of `kind` on `inputs` ([x, y, sample weights]); training steps update the
    /// weights. The step's loss and metrics are added to the sums of `region` (TRAIN, VAL or
    /// EVAL). Returns after submitting: nothing waits on the GPU.
    pub fn step(
        &mut self,
        model: &mut LayersModel,
        kind: PlanKind,
        inputs: &[&[f32]],
        (y_feat, y_dtype): (&[usize], DType),
        seed: u32,
        region: usize,
    ) -> Result<()> {
        let batch = inputs[0].len() / crate::tensor::numel(&model.input_feature_shape()?).max(1);
        let key = plan_key(kind, batch, y_feat, y_dtype, model.shape_tag());
        let mut step = match self.plans.remove(&key) {
            Some(s) => s,
            None => self.build_step(model, kind, batch, y_feat, y_dtype)?,
        };
        if let Some(e) = step.plan.take_error() {
            return Err(e);
        }
        let mut enc = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("step") });
        step.plan.encode(&mut enc, inputs, seed);
        if kind.trains() && !step.grads.is_empty() {
            for &(wi, node) in &step.grads {
                if let Some((b, n)) = step.plan.value(node) {
                    enc.copy_buffer_to_buffer(b, 0, &self.grads, self.arena.offsets[wi] * 4, Some(n as u64 * 4));
                }
            }
            let opt = &mut model.compiled.as_mut().or_internal("fit", "the model is not compiled")?.optimizer;
            opt.begin_step(step.grads.len());
            let (code, w) = opt.gpu_words();
            self.opt_words[0] = self.arena.total as u32;
            self.opt_words[1] = code;
            for (i, v) in w.iter().enumerate() {
                self.opt_words[2 + i] = v.to_bits();
            }
            let mut bytes = [0u8; 64];
            for (chunk, w) in bytes.chunks_exact_mut(4).zip(&self.opt_words) {
                chunk.copy_from_slice(&w.to_le_bytes());
            }
            self.gpu.queue.write_buffer(&self.opt_params, 0, &bytes);
        }
        for (i, &o) in step.outputs.iter().enumerate() {
            if let Some((b, _)) = step.plan.value(o) {
                enc.copy_buffer_to_buffer(b, 0, &self.vals, i as u64 * 4, Some(4));
            }
        }
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("update"), timestamp_writes: None });
            if kind.trains() && !step.grads.is_empty() && self.arena.total > 0 {
                pass.set_pipeline(&self.opt_pipeline);
                pass.set_bind_group(0, &self.opt_bind, &[]);
                let groups = (self.arena.total as u32).div_ceil(256);
                pass.dispatch_workgroups(groups.min(65535), groups.div_ceil(65535), 1);
                // The constraints read the updated weights (each dispatch sees the ones before).
                self.constraints.encode(&mut pass);
            }
            if kind != PlanKind::Predict {
                pass.set_pipeline(&self.accum_pipeline);
                pass.set_bind_group(0, &step.accum[region.min(2)], &[]);
                pass.dispatch_workgroups(1, 1, 1);
            }
        }
        // State updates after the step has read the old values (commands run in order).
        for &(wi, node) in &step.updates {
            if let Some((b, n)) = step.plan.value(node) {
                enc.copy_buffer_to_buffer(b, 0, &self.arena.buf, self.arena.offsets[wi] * 4, Some(n as u64 * 4));
            }
        }
        self.gpu.submit(enc.finish());
        self.plans.insert(key, step);
        if self.plans.len() > 32 {
            self.plans.clear();
        }
        Ok(())
    }

    /// Runs a predict step and copies its output into `enc`'s readback; used by `predict`.
    /// `seed` draws the noise of random ops a model runs in inference (a custom sampling layer).
    pub fn predict_batch(&mut self, model: &LayersModel, x: &[f32], out: &wgpu::Buffer, out_at: u64, seed: u32) -> Result<()> {
        let batch = x.len() / crate::tensor::numel(&model.input_feature_shape()?).max(1);
        let key = plan_key(PlanKind::Predict, batch, &[], DType::F32, model.shape_tag());
        let mut step = match self.plans.remove(&key) {
            Some(s) => s,
            None => self.build_step(model, PlanKind::Predict, batch, &[], DType::F32)?,
        };
        if let Some(e) = step.plan.take_error() {
            return Err(e);
        }
        let mut enc = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("predict") });
        step.plan.encode(&mut enc, &[x], seed);
        if let Some((b, n)) = step.plan.value(step.outputs[0]) {
            enc.copy_buffer_to_buffer(b, 0, out, out_at * 4, Some(n as u64 * 4));
        }
        self.gpu.queue.submit([enc.finish()]);
        self.plans.insert(key, step);
        Ok(())
    }

    /// Zeroes the loss/metric sums of `region`.
    pub fn clear_sums(&self, region: usize) {
        self.gpu.write(&self.acc, region as u64 * REGION, &[0.0; REGION as usize]);
    }

    /// Encodes a readback of the step values (the last step's loss and metrics).
    pub fn read_values(&self, enc: &mut wgpu::CommandEncoder) -> Readback {
        self.gpu.readback(enc, &[(&self.vals, 0, self.k)])
    }

    /// Sets the sums of `region` (resuming an epoch on a fresh upload).
    pub fn set_sums(&self, region: usize, sums: &[f32]) {
        self.clear_sums(region);
        self.gpu.write(&self.acc, region as u64 * REGION, &sums[..sums.len().min(REGION as usize)]);
    }

    /// The step values, then everything [`GpuModel::apply_sync`] needs, in one read.
    pub fn read_values_and_state(&self, enc: &mut wgpu::CommandEncoder, model: &LayersModel) -> Readback {
        let mut parts = vec![(&self.vals, 0u64, self.k)];
        parts.extend(self.state_parts(model));
        self.gpu.readback(enc, &parts)
    }

    /// Encodes a readback of the sums of `region`.
    pub fn read_sums(&self, enc: &mut wgpu::CommandEncoder, region: usize) -> Readback {
        self.gpu.readback(enc, &[(&self.acc, region as u64 * REGION, self.k)])
    }

    /// Encodes a readback of the sums (training, validation), then the weights and the
    /// optimizer slots: everything [`GpuModel::apply_sync`] needs.
    pub fn sync_parts(&self, enc: &mut wgpu::CommandEncoder, model: &LayersModel) -> Readback {
        let parts = self.state_parts(model);
        self.gpu.readback(enc, &parts)
    }

    fn state_parts(&self, model: &LayersModel) -> Vec<(&wgpu::Buffer, u64, usize)> {
        let n = self.arena.len();
        let ns = model.compiled.as_ref().map(|c| c.optimizer.num_slots()).unwrap_or(0);
        let mut parts = vec![(&self.acc, 0u64, self.k), (&self.acc, VAL_AT, self.k), (&self.arena.buf, 0, n)];
        for s in &self.slots[..ns.min(self.slots.len())] {
            parts.push((s, 0, n));
        }
        parts
    }

    /// Writes a finished [`GpuModel::sync_parts`] read into the CPU mirror (weights and optimizer
    /// state); returns the training and validation sums.
    pub fn apply_sync(&self, model: &mut LayersModel, data: Vec<Vec<f32>>) -> (Vec<f32>, Vec<f32>) {
        let mut it = data.into_iter();
        let train = it.next().unwrap_or_default();
        let val = it.next().unwrap_or_default();
        let w = it.next().unwrap_or_default();
        let slots: Vec<Vec<f32>> = it.collect();
        for &wi in &self.trained {
            let (off, len) = (self.arena.offsets[wi] as usize, self.arena.lens[wi]);
            if let Some(src) = w.get(off..off + len) {
                model.weights[wi].value.data.copy_from_slice(src);
            }
        }
        if let Some(c) = model.compiled.as_mut() {
            for (k, &wi) in self.trained.iter().filter(|&&wi| model.weights[wi].trainable).enumerate() {
                let (off, len) = (self.arena.offsets[wi] as usize, self.arena.lens[wi]);
                for (j, dst) in c.optimizer.slots_of(k, len).iter_mut().enumerate() {
                    if let Some(src) = slots.get(j).and_then(|s| s.get(off..off + len)) {
                        dst.copy_from_slice(src);
                    }
                }
            }
        }
        (train, val)
    }

    /// A WebGPU error reported about any planned step (validation, out of memory), naming the op.
    pub fn take_error(&mut self) -> Option<crate::error::Error> {
        self.plans.values_mut().find_map(|p| p.plan.take_error())
    }

    /// Bytes held on the GPU by the weights, gradients, slots and planned steps.
    pub fn bytes(&self) -> u64 {
        self.arena.buf.size()
            + self.grads.size()
            + self.slots.iter().map(|s| s.size()).sum::<u64>()
            + self.plans.values().map(|p| p.plan.bytes()).sum::<u64>()
    }
}

/// Native only: trains `batches` steps of (x, y) batches on the GPU and brings the mirror up to
/// date (tests and benchmarks).
#[cfg(not(target_arch = "wasm32"))]
pub fn sync_blocking(g: &GpuModel, model: &mut LayersModel) -> Result<(Vec<f32>, Vec<f32>)> {
    let mut enc = g.gpu.device.create_command_encoder(&Default::default());
    let rb = g.sync_parts(&mut enc, model);
    g.gpu.queue.submit([enc.finish()]);
    let data = rb.wait(&g.gpu)?;
    Ok(g.apply_sync(model, data))
}

#[allow(dead_code)]
const _: () = assert!(RECORD_BYTES as usize == RECORD_WORDS * 4);

//! A graph planned for the GPU: the same schedule as the CPU plan (values share pooled buffers
//! when their lifetimes do not overlap, reshapes alias), turned into a list of dispatches whose
//! pipelines, uniform records and bind groups are all made here, once. Replaying it writes the
//! step's inputs and records every dispatch into the caller's encoder, in one compute pass.

use super::record::{Disp, Src};
use super::{Gpu, RECORD_BYTES};
use crate::error::{fmt_shape, Error, OrInternal, Result};
pub use crate::graph::plan::materialize;
use crate::graph::plan::{schedule, Loc};
use crate::graph::{Graph, NodeId};
use crate::ops::Op;
use crate::tensor::shape::numel;
use std::sync::Arc;

/// Parameters (model weights) end to end in one buffer, each at an offset the device can bind.
pub struct ParamArena {
    pub buf: wgpu::Buffer,
    pub offsets: Vec<u64>,
    pub lens: Vec<usize>,
    /// Elements covered by the parameters listed first in `order` (the trained ones).
    pub total: usize,
}

impl ParamArena {
    /// Lays out `values` in `order` (indices into `values`; the rest follow) and uploads them.
    pub fn new(gpu: &Gpu, values: &[&[f32]], order: &[usize]) -> Result<ParamArena> {
        let align = (gpu.limits.min_storage_buffer_offset_alignment as u64 / 4).max(1);
        let mut offsets = vec![0u64; values.len()];
        let mut at = 0u64;
        let mut seq: Vec<usize> = order.to_vec();
        seq.extend((0..values.len()).filter(|i| !order.contains(i)));
        let mut total = 0;
        for (pos, &i) in seq.iter().enumerate() {
            offsets[i] = at;
            at = (at + values[i].len().max(1) as u64).div_ceil(align) * align;
            if pos + 1 == order.len() {
                total = at as usize;
            }
        }
        gpu.check_size("model weights", at as usize)?;
        gpu.made();
        let buf = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("weights"),
            size: at.max(4) * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        for (i, v) in values.iter().enumerate() {
            gpu.write(&buf, offsets[i], v);
        }
        Ok(ParamArena { buf, offsets, lens: values.iter().map(|v| v.len()).collect(), total })
    }

    /// Total elements of the arena (padding included).
    pub fn len(&self) -> usize {
        (self.buf.size() / 4) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }
}

/// A lowered dispatch with where it writes (slot), what it reads, the element counts it reads,
/// and the node it computes (for labels).
struct Lowered {
    disp: Disp,
    out: usize,
    ins: Vec<Loc>,
    sizes: Vec<usize>,
    node: NodeId,
}

struct Dispatch {
    pipeline: wgpu::ComputePipeline,
    bind: wgpu::BindGroup,
    groups: [u32; 3],
}

pub struct GpuPlan {
    pub graph: Graph,
    gpu: Arc<Gpu>,
    slots: Vec<wgpu::Buffer>,
    /// One buffer per Input leaf index (sized for this plan's batch).
    inputs: Vec<Option<(wgpu::Buffer, usize)>>,
    _consts: Vec<wgpu::Buffer>,
    _uniforms: wgpu::Buffer,
    seed: wgpu::Buffer,
    dispatches: Vec<Dispatch>,
    loc: Vec<Option<Loc>>,
    step: u32,
    /// WebGPU's verdicts on the plan's pipelines, bind groups and buffers (in the browser they
    /// arrive asynchronously), each with the op and shapes it is about.
    scopes: ErrorScopes,
}

type ErrorFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Option<wgpu::Error>>>>;

/// Error scopes around the creation of GPU objects, each named, polled without blocking.
#[derive(Default)]
pub struct ErrorScopes {
    pending: Vec<(String, ErrorFuture)>,
}

/// Guards of one open scope: out-of-memory inside validation. Fields drop in order, so an
/// early return pops the inner scope first, as WebGPU requires.
pub struct OpenScope {
    oom: wgpu::ErrorScopeGuard,
    validation: wgpu::ErrorScopeGuard,
}

impl ErrorScopes {
    pub fn open(&mut self, gpu: &Gpu) -> OpenScope {
        let validation = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        OpenScope { oom, validation }
    }

    pub fn close(&mut self, scope: OpenScope, what: String) {
        let OpenScope { oom, validation } = scope;
        let oom = oom.pop();
        let invalid = validation.pop();
        self.pending.push((what.clone(), Box::pin(oom)));
        self.pending.push((what, Box::pin(invalid)));
    }

    /// The first error WebGPU has reported so far, naming what it was about; None while all
    /// verdicts are clean or still on their way.
    pub fn take_error(&mut self) -> Option<Error> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut found = None;
        self.pending.retain_mut(|(what, f)| match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Some(e)) => {
                if found.is_none() {
                    found = Some(Error::Device(format!("WebGPU error in {what}: {e}")));
                }
                false
            }
            std::task::Poll::Ready(None) => false,
            std::task::Poll::Pending => true,
        });
        found
    }

    /// Whether some verdicts have not arrived yet.
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// A binding of the first `elements` of a pooled buffer (the pool rounds sizes up; binding only
/// what is used keeps each binding within maxStorageBufferBindingSize).
fn sized(b: &wgpu::Buffer, elements: usize) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: b, offset: 0, size: wgpu::BufferSize::new(elements.max(1) as u64 * 4) })
}

impl GpuPlan {
    /// Plans `outputs` of `graph` on `gpu`, reading Param leaves from `params`.
    pub fn new(gpu: &Arc<Gpu>, graph: Graph, outputs: &[NodeId], params: &ParamArena) -> Result<GpuPlan> {
        let sched = schedule(&graph, outputs);
        let context = |node: NodeId| {
            let nd = &graph.nodes[node];
            let ins: Vec<String> = nd.inputs.iter().map(|&j| fmt_shape(&graph.nodes[j].shape)).collect();
            format!("{} ({} -> {})", nd.op.name(), ins.join(", "), fmt_shape(&nd.shape))
        };
        for &s in &sched.slot_size {
            gpu.check_size("a planned step", s)?;
        }
        let mut scopes = ErrorScopes::default();
        let alloc = scopes.open(gpu);
        let slots: Vec<wgpu::Buffer> = sched.slot_size.iter().map(|&s| gpu.storage(s.max(1))).collect();
        // Input buffers, sized from the graph's Input leaves.
        let mut inputs: Vec<Option<(wgpu::Buffer, usize)>> = vec![];
        let mut consts = vec![None; graph.consts.len()];
        for (i, nd) in graph.nodes.iter().enumerate() {
            if sched.loc[i].is_none() {
                continue;
            }
            match nd.op {
                Op::Input { index } => {
                    let len = numel(&nd.shape);
                    gpu.check_size(&format!("input {index} of shape {}", fmt_shape(&nd.shape)), len)?;
                    if inputs.len() <= index {
                        inputs.resize_with(index + 1, || None);
                    }
                    if inputs[index].is_none() {
                        inputs[index] = Some((gpu.storage(len.max(1)), len));
                    }
                }
                Op::Const { index } if consts[index].is_none() => {
                    let data = &graph.consts[index].data;
                    let b = gpu.storage(data.len().max(1));
                    gpu.write(&b, 0, data);
                    consts[index] = Some(b);
                }
                _ => {}
            }
        }
        let seed = gpu.storage(1);
        let mut disps: Vec<Lowered> = vec![];
        for st in &sched.steps {
            let nd = &graph.nodes[st.node];
            let shapes: Vec<&[usize]> = nd.inputs.iter().map(|&j| graph.nodes[j].shape.as_slice()).collect();
            for d in crate::ops::lower(gpu, &nd.op, &shapes, &nd.shape, st.node as u32).map_err(|e| e.within(&context(st.node)))? {
                disps.push(Lowered { disp: d, out: st.out, ins: st.inputs.clone(), sizes: st.sizes.clone(), node: st.node });
            }
        }
        let uniforms = gpu.uniform(disps.len());
        let mut bytes = Vec::with_capacity(disps.len() * RECORD_BYTES as usize);
        for l in &disps {
            for w in l.disp.words {
                bytes.extend_from_slice(&w.to_le_bytes());
            }
        }
        if !bytes.is_empty() {
            gpu.queue.write_buffer(&uniforms, 0, &bytes);
        }
        let consts: Vec<wgpu::Buffer> = consts.into_iter().map(|c| c.unwrap_or_else(|| gpu.storage(1))).collect();
        let mut dispatches = vec![];
        let what = outputs.iter().map(|&o| context(o)).collect::<Vec<_>>().join(", ");
        scopes.close(alloc, format!("allocating buffers for a step computing {what}"));
        for (k, Lowered { disp: d, out, ins, sizes, node }) in disps.iter().enumerate() {
            let scope = scopes.open(gpu);
            let pipeline = gpu.pipeline(d.kernel);
            let mut entries = vec![
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &uniforms,
                        offset: k as u64 * RECORD_BYTES,
                        size: wgpu::BufferSize::new(RECORD_BYTES),
                    }),
                },
                wgpu::BindGroupEntry { binding: 1, resource: sized(&slots[*out], sched.slot_size[*out]) },
            ];
            for (j, src) in d.ins.iter().enumerate() {
                let resource = match *src {
                    Src::Seed => seed.as_entire_binding(),
                    Src::In(i) => match ins[i] {
                        Loc::Slot(s) => sized(&slots[s], sched.slot_size[s]),
                        Loc::Input(x) => inputs[x].as_ref().or_internal("GPU plan", "an input was not planned")?.0.as_entire_binding(),
                        Loc::Const(c) => consts[c].as_entire_binding(),
                        Loc::Param(p) => {
                            if p >= params.offsets.len() || params.lens[p] < sizes[i] {
                                return Err(Error::arg("WebGPU plan", format!("parameter {p} is missing from the weight buffer")));
                            }
                            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &params.buf,
                                offset: params.offsets[p] * 4,
                                size: wgpu::BufferSize::new(params.lens[p].max(1) as u64 * 4),
                            })
                        }
                    },
                };
                entries.push(wgpu::BindGroupEntry { binding: 2 + j as u32, resource });
            }
            debug_assert_eq!(entries.len(), d.kernel.bindings() + 1);
            // The label names the op and its shapes in any WebGPU error about this dispatch.
            let label = context(*node);
            let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&label),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            });
            scopes.close(scope, format!("{label} ({:?} kernel)", d.kernel));
            dispatches.push(Dispatch { pipeline, bind, groups: d.groups });
        }
        Ok(GpuPlan {
            graph,
            gpu: gpu.clone(),
            slots,
            inputs,
            _consts: consts,
            _uniforms: uniforms,
            seed,
            dispatches,
            loc: sched.loc,
            step: 0,
            scopes,
        })
    }

    /// Writes the step's inputs and records every dispatch into `enc`. `seed` varies dropout masks.
    pub fn encode(&mut self, enc: &mut wgpu::CommandEncoder, inputs: &[&[f32]], seed: u32) {
        for (i, inp) in self.inputs.iter().enumerate() {
            if let (Some((b, len)), Some(data)) = (inp, inputs.get(i)) {
                self.gpu.write(b, 0, &data[..(*len).min(data.len())]);
            }
        }
        self.step = self.step.wrapping_add(1);
        self.gpu.queue.write_buffer(&self.seed, 0, &(seed ^ self.step.wrapping_mul(0x9e37_79b9)).to_le_bytes());
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("step"), timestamp_writes: None });
        for d in &self.dispatches {
            pass.set_pipeline(&d.pipeline);
            pass.set_bind_group(0, &d.bind, &[]);
            pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
        }
    }

    /// The buffer and element count holding `node`'s value after a run (None for leaves).
    pub fn value(&self, node: NodeId) -> Option<(&wgpu::Buffer, usize)> {
        let n = numel(&self.graph.nodes[node].shape);
        match self.loc.get(node).copied().flatten() {
            Some(Loc::Slot(s)) => Some((&self.slots[s], n)),
            Some(Loc::Input(i)) => self.inputs.get(i).and_then(|b| b.as_ref()).map(|b| (&b.0, n)),
            _ => None,
        }
    }

    /// Whether WebGPU's verdicts on this plan's objects are still on their way.
    pub fn scopes_waiting(&self) -> bool {
        self.scopes.waiting()
    }

    /// A WebGPU error about this plan's objects, once reported (see [`ErrorScopes`]).
    pub fn take_error(&mut self) -> Option<Error> {
        self.scopes.take_error()
    }

    pub fn num_dispatches(&self) -> usize {
        self.dispatches.len()
    }

    /// Bytes of the plan's pooled buffers.
    pub fn bytes(&self) -> u64 {
        self.slots.iter().map(|b| b.size()).sum::<u64>() + self.inputs.iter().flatten().map(|b| b.0.size()).sum::<u64>()
    }
}

impl Drop for GpuPlan {
    fn drop(&mut self) {
        for b in self.slots.drain(..) {
            self.gpu.recycle(b);
        }
        for (b, _) in self.inputs.drain(..).flatten() {
            self.gpu.recycle(b);
        }
        for b in self._consts.drain(..) {
            self.gpu.recycle(b);
        }
        self.gpu.recycle(self.seed.clone());
    }
}

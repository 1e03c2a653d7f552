//! A graph planned for the GPU: the same schedule as the CPU plan (values share pooled buffers
//! when their lifetimes do not overlap, reshapes alias), turned into a list of dispatches whose
//! pipelines, uniform records and bind groups are all made here, once. Replaying it writes the
//! step's inputs and records every dispatch into the caller's encoder, in one compute pass.

use super::codes::{binary_code, unary_code};
use super::{Gpu, Kernel, RECORD_BYTES, RECORD_WORDS};
use crate::error::{fmt_shape, Error, Result};
pub use crate::graph::plan::materialize;
use crate::graph::plan::{schedule, Loc};
use crate::graph::{Graph, NodeId};
use crate::ops::{Op, ReduceKind};
use crate::tensor::shape::{broadcast_dims, numel, strides};
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

/// What a binding reads or writes.
#[derive(Clone, Copy, Debug)]
enum Src {
    /// The k-th input of the op.
    In(usize),
    /// The step's random seed (dropout).
    Seed,
}

struct Disp {
    kernel: Kernel,
    words: [u32; RECORD_WORDS],
    ins: Vec<Src>,
    groups: [u32; 3],
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

fn linear(n: usize, wg: u32) -> [u32; 3] {
    let groups = (n as u64).div_ceil(wg as u64).max(1);
    let x = groups.min(65535);
    [x as u32, groups.div_ceil(x) as u32, 1]
}

fn put_f(w: &mut [u32; RECORD_WORDS], i: usize, v: f32) {
    w[i] = v.to_bits();
}

/// A strided copy over `shape` (see copy.wgsl).
fn copy_disp(shape: &[usize], src: usize, soff: usize, sst: &[usize], doff: usize, dst: &[usize]) -> Disp {
    let mut w = [0u32; RECORD_WORDS];
    let n = numel(shape);
    w[0] = n as u32;
    w[1] = shape.len() as u32;
    w[2] = soff as u32;
    w[3] = doff as u32;
    for i in 0..shape.len() {
        w[8 + i] = shape[i] as u32;
        w[16 + i] = sst[i] as u32;
        w[24 + i] = dst[i] as u32;
    }
    Disp { kernel: Kernel::Copy, words: w, ins: vec![Src::In(src)], groups: linear(n, 256) }
}

fn fill_disp(n: usize, off: usize, v: f32) -> Disp {
    let mut w = [0u32; RECORD_WORDS];
    w[0] = n as u32;
    w[3] = off as u32;
    put_f(&mut w, 4, v);
    Disp { kernel: Kernel::Fill, words: w, ins: vec![], groups: linear(n, 256) }
}

fn reduce_disp(outer: usize, dim: usize, inner: usize, kind: u32) -> Disp {
    let mut w = [0u32; RECORD_WORDS];
    let outs = outer * inner;
    w[0] = outs as u32;
    w[1] = dim as u32;
    w[2] = inner as u32;
    w[3] = kind;
    // Long sums and extrema get a workgroup each; everything else an invocation per output.
    if dim >= 256 && kind <= 3 {
        let x = outs.clamp(1, 65535);
        Disp { kernel: Kernel::ReduceWide, words: w, ins: vec![Src::In(0)], groups: [x as u32, outs.div_ceil(x) as u32, 1] }
    } else {
        Disp { kernel: Kernel::ReduceRows, words: w, ins: vec![Src::In(0)], groups: linear(outs, 256) }
    }
}

/// The dispatches that compute `op` from inputs of `shapes` into an output of shape `os`.
fn lower(gpu: &Gpu, op: &Op, shapes: &[&[usize]], os: &[usize], salt: u32) -> Result<Vec<Disp>> {
    let n = numel(os);
    let mut w = [0u32; RECORD_WORDS];
    let ew = |w: &mut [u32; RECORD_WORDS], shapes: &[&[usize]]| {
        w[0] = n as u32;
        w[4] = os.len() as u32;
        for (i, &d) in os.iter().enumerate() {
            w[8 + i] = d as u32;
        }
        for (k, s) in shapes.iter().enumerate() {
            if *s == os {
                w[5] |= 1 << k;
            }
            let st = broadcast_dims(s, os);
            for i in 0..os.len() {
                w[16 + 8 * k + i] = st[i] as u32;
            }
        }
    };
    Ok(match op {
        Op::Input { .. } | Op::Param { .. } | Op::Const { .. } => vec![],
        Op::Unary(_) | Op::Clip { .. } | Op::Cast { .. } => {
            let (code, p0, p1) = unary_code(op);
            w[0] = n as u32;
            w[1] = code;
            put_f(&mut w, 2, p0);
            put_f(&mut w, 3, p1);
            vec![Disp { kernel: Kernel::Unary, words: w, ins: vec![Src::In(0)], groups: linear(n, 256) }]
        }
        Op::Binary(b) => {
            ew(&mut w, shapes);
            w[1] = binary_code(*b);
            vec![Disp { kernel: Kernel::Binary, words: w, ins: vec![Src::In(0), Src::In(1)], groups: linear(n, 256) }]
        }
        Op::Where => {
            ew(&mut w, shapes);
            vec![Disp { kernel: Kernel::Select, words: w, ins: vec![Src::In(0), Src::In(1), Src::In(2)], groups: linear(n, 256) }]
        }
        Op::DropoutMask { rate } => {
            let keep = 1.0 - rate;
            w[0] = n as u32;
            w[1] = salt;
            put_f(&mut w, 2, keep);
            put_f(&mut w, 3, if keep > 0.0 { 1.0 / keep } else { 0.0 });
            vec![Disp { kernel: Kernel::Dropout, words: w, ins: vec![Src::Seed], groups: linear(n, 256) }]
        }
        Op::RandomNormal { stddev } => {
            w[0] = n as u32;
            w[1] = salt;
            put_f(&mut w, 2, *stddev);
            w[4] = 1;
            vec![Disp { kernel: Kernel::Dropout, words: w, ins: vec![Src::Seed], groups: linear(n, 256) }]
        }
        Op::Im2Col { w: win, .. } | Op::Col2Im { w: win, .. } => {
            let img = if matches!(op, Op::Im2Col { .. }) { shapes[0] } else { os };
            w[0] = n as u32;
            if let Op::Im2Col { fill, .. } = op {
                put_f(&mut w, 2, *fill);
            } else {
                w[1] = 1;
            }
            let vals = [img[1], img[2], img[3], win.grid[0], win.grid[1], win.k[0], win.k[1]];
            for (i, v) in vals.into_iter().enumerate() {
                w[4 + i] = v as u32;
            }
            let geo = [win.stride[0], win.stride[1], win.dil[0], win.dil[1], win.pad[0], win.pad[1]];
            for (i, v) in geo.into_iter().enumerate() {
                w[12 + i] = v as u32;
            }
            if n == 0 {
                return Ok(vec![]);
            }
            vec![Disp { kernel: Kernel::Window, words: w, ins: vec![Src::In(0)], groups: linear(n, 256) }]
        }
        Op::MatMul { ta, tb } => {
            let (a, b) = (shapes[0], shapes[1]);
            let (ra, rb) = (a.len(), b.len());
            let (m, k) = if *ta { (a[ra - 1], a[ra - 2]) } else { (a[ra - 2], a[ra - 1]) };
            let nn = if *tb { b[rb - 2] } else { b[rb - 1] };
            let batch = numel(&os[..os.len() - 2]);
            if batch > 65535 {
                return Err(Error::shape("matMul", format!("a batch of {batch} matrices exceeds the GPU dispatch limit of 65535")));
            }
            w[0] = m as u32;
            w[1] = nn as u32;
            w[2] = k as u32;
            w[3] = *ta as u32;
            w[4] = *tb as u32;
            w[5] = if ra > 2 { (m * k) as u32 } else { 0 };
            w[6] = if rb > 2 { (k * nn) as u32 } else { 0 };
            if !gpu.tiled_matmul(m, nn) {
                let mut groups = linear(m.div_ceil(8) * nn.div_ceil(4), 256);
                groups[2] = batch.max(1) as u32;
                return Ok(vec![Disp { kernel: Kernel::MatMulDirect, words: w, ins: vec![Src::In(0), Src::In(1)], groups }]);
            }
            let groups = [nn.div_ceil(64).max(1) as u32, m.div_ceil(64).max(1) as u32, batch.max(1) as u32];
            if groups[0] > 65535 || groups[1] > 65535 {
                return Err(Error::shape("matMul", format!("output {} exceeds the GPU dispatch limit", fmt_shape(os))));
            }
            vec![Disp { kernel: Kernel::MatMul, words: w, ins: vec![Src::In(0), Src::In(1)], groups }]
        }
        Op::Reduce { kind, start, end, .. } => {
            let s = shapes[0];
            let (outer, dim, inner) = (numel(&s[..*start]), numel(&s[*start..*end]), numel(&s[*end..]));
            if dim == 0 {
                return Ok(vec![fill_disp(n, 0, if *kind == ReduceKind::Sum { 0.0 } else { f32::NAN })]);
            }
            let code = match kind {
                ReduceKind::Sum => 0,
                ReduceKind::Mean => 1,
                ReduceKind::Max => 2,
                ReduceKind::Min => 3,
            };
            vec![reduce_disp(outer, dim, inner, code)]
        }
        Op::ArgMax { axis } | Op::Softmax { axis } | Op::LogSoftmax { axis } => {
            let s = shapes[0];
            let (outer, dim, inner) = (numel(&s[..*axis]), s[*axis], numel(&s[axis + 1..]));
            let code = match op {
                Op::ArgMax { .. } => 4,
                Op::Softmax { .. } => 5,
                _ => 6,
            };
            if dim == 0 {
                return Ok(vec![fill_disp(n, 0, 0.0)]);
            }
            let mut d = reduce_disp(outer, dim, inner, code);
            d.kernel = Kernel::ReduceRows;
            d.groups = linear(outer * inner, 256);
            vec![d]
        }
        Op::Reshape { .. } => vec![copy_disp(&[n], 0, 0, &[1], 0, &[1])],
        Op::Transpose { perm } => {
            let xs = strides(shapes[0]);
            let ss: Vec<usize> = perm.iter().map(|&p| xs[p]).collect();
            vec![copy_disp(os, 0, 0, &ss, 0, &strides(os))]
        }
        Op::BroadcastTo { .. } => {
            let st = broadcast_dims(shapes[0], os);
            let ss: Vec<usize> = (0..os.len()).map(|i| st[i]).collect();
            vec![copy_disp(os, 0, 0, &ss, 0, &strides(os))]
        }
        Op::Slice { begin, .. } => {
            let xs = strides(shapes[0]);
            let off: usize = begin.iter().zip(&xs).map(|(b, s)| b * s).sum();
            vec![copy_disp(os, 0, off, &xs, 0, &strides(os))]
        }
        Op::Pad { before, .. } => {
            let ost = strides(os);
            let off: usize = before.iter().zip(&ost).map(|(b, s)| b * s).sum();
            vec![fill_disp(n, 0, 0.0), copy_disp(shapes[0], 0, 0, &strides(shapes[0]), off, &ost)]
        }
        Op::Concat { axis } => {
            let ost = strides(os);
            let mut at = 0;
            let mut v = vec![];
            for (k, s) in shapes.iter().enumerate() {
                if numel(s) > 0 {
                    v.push(copy_disp(s, k, 0, &strides(s), at * ost[*axis], &ost));
                }
                at += s[*axis];
            }
            v
        }
        Op::Gather { axis } | Op::ScatterAdd { axis, .. } => {
            let s = shapes[0];
            let idx = numel(shapes[1]);
            let (outer, dim, inner, mode) = match op {
                Op::Gather { .. } => (numel(&s[..*axis]), s[*axis], numel(&s[axis + 1..]), 0),
                Op::ScatterAdd { dim, .. } => (numel(&s[..*axis]), *dim, numel(&s[axis + shapes[1].len()..]), 1),
                _ => unreachable!(),
            };
            w[0] = n as u32;
            w[1] = outer as u32;
            w[2] = dim as u32;
            w[3] = inner as u32;
            w[4] = idx as u32;
            w[5] = mode;
            if idx == 0 {
                return Ok(vec![fill_disp(n, 0, 0.0)]);
            }
            vec![Disp { kernel: Kernel::Gather, words: w, ins: vec![Src::In(0), Src::In(1)], groups: linear(n, 256) }]
        }
        Op::SoftmaxXent { eps } | Op::SoftmaxXentGrad { eps } => {
            let z = shapes[0];
            let c = z[z.len() - 1];
            let rows = numel(&z[..z.len() - 1]);
            w[0] = rows as u32;
            w[1] = c as u32;
            put_f(&mut w, 2, *eps);
            if c == 0 {
                return Ok(vec![fill_disp(n, 0, 0.0)]);
            }
            if matches!(op, Op::SoftmaxXent { .. }) {
                vec![Disp { kernel: Kernel::Xent, words: w, ins: vec![Src::In(0), Src::In(1)], groups: linear(rows, 256) }]
            } else {
                vec![Disp { kernel: Kernel::XentGrad, words: w, ins: vec![Src::In(0), Src::In(1), Src::In(2)], groups: linear(rows, 256) }]
            }
        }
        Op::OneHot { depth, on, off } => {
            w[0] = n as u32;
            w[2] = *depth as u32;
            w[4] = numel(shapes[0]) as u32;
            w[5] = 2;
            put_f(&mut w, 6, *on);
            put_f(&mut w, 7, *off);
            vec![Disp { kernel: Kernel::Gather, words: w, ins: vec![Src::In(0), Src::In(0)], groups: linear(n, 256) }]
        }
    })
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
            for d in lower(gpu, &nd.op, &shapes, &nd.shape, st.node as u32).map_err(|e| e.within(&context(st.node)))? {
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
                        Loc::Input(x) => inputs[x].as_ref().expect("input planned").0.as_entire_binding(),
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

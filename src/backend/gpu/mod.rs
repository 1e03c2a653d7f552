//! The WebGPU device: one `wgpu` device (WebGPU in the browser, Vulkan natively), its compute
//! pipelines (built once per kernel, workgroup size an `override` constant), a buffer pool keyed
//! by size, and asynchronous readback. Nothing here waits on the GPU except the native-only
//! `wait` helpers that tests and benchmarks use; in the browser every read is a `map_async`.

pub mod codes;
pub mod plan;
pub mod record;

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A compute kernel: a WGSL entry point and how many bindings after the uniform it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    Unary,
    Binary,
    Select,
    Dropout,
    MatMul,
    MatMulDirect,
    ReduceRows,
    ReduceWide,
    Copy,
    Fill,
    Gather,
    Optimizer,
    /// A weight constraint projected after the optimizer update (shaders/constraint.wgsl).
    Constraint,
    Accumulate,
    Xent,
    XentGrad,
    Window,
}

const COMMON: &str = include_str!("../../../shaders/common.wgsl");
const ELEMENTWISE: &str = include_str!("../../../shaders/elementwise.wgsl");

impl Kernel {
    fn source(self) -> String {
        let body = match self {
            Kernel::Unary => return format!("{COMMON}\n{}\n{ELEMENTWISE}\n{}", codes::wgsl(), include_str!("../../../shaders/unary.wgsl")),
            Kernel::Binary => {
                return format!("{COMMON}\n{}\n{ELEMENTWISE}\n{}", codes::wgsl(), include_str!("../../../shaders/binary.wgsl"))
            }
            Kernel::Select => {
                return format!("{COMMON}\n{}\n{ELEMENTWISE}\n{}", codes::wgsl(), include_str!("../../../shaders/select.wgsl"))
            }
            Kernel::Dropout => include_str!("../../../shaders/dropout.wgsl"),
            Kernel::MatMul => include_str!("../../../shaders/matmul.wgsl"),
            Kernel::MatMulDirect => include_str!("../../../shaders/matmul_direct.wgsl"),
            Kernel::ReduceRows | Kernel::ReduceWide => include_str!("../../../shaders/reduce.wgsl"),
            Kernel::Copy => include_str!("../../../shaders/copy.wgsl"),
            Kernel::Fill => include_str!("../../../shaders/fill.wgsl"),
            Kernel::Gather => include_str!("../../../shaders/gather.wgsl"),
            Kernel::Window => include_str!("../../../shaders/window.wgsl"),
            Kernel::Optimizer => include_str!("../../../shaders/optimizer.wgsl"),
            Kernel::Constraint => include_str!("../../../shaders/constraint.wgsl"),
            Kernel::Accumulate => include_str!("../../../shaders/accumulate.wgsl"),
            Kernel::Xent => {
                return format!(
                    "{COMMON}\n{}\n{}",
                    include_str!("../../../shaders/xent.wgsl"),
                    include_str!("../../../shaders/xent_loss.wgsl")
                )
            }
            Kernel::XentGrad => {
                return format!(
                    "{COMMON}\n{}\n{}",
                    include_str!("../../../shaders/xent.wgsl"),
                    include_str!("../../../shaders/xent_grad.wgsl")
                )
            }
        };
        format!("{COMMON}\n{body}")
    }

    fn entry(self) -> &'static str {
        match self {
            Kernel::ReduceRows => "rows",
            Kernel::ReduceWide => "wide",
            _ => "main",
        }
    }

    /// Storage bindings after the uniform (binding 0): the output first, then the inputs.
    pub fn bindings(self) -> usize {
        match self {
            Kernel::Fill | Kernel::Constraint => 1,
            Kernel::Unary
            | Kernel::Dropout
            | Kernel::ReduceRows
            | Kernel::ReduceWide
            | Kernel::Copy
            | Kernel::Accumulate
            | Kernel::Window => 2,
            Kernel::Binary | Kernel::MatMul | Kernel::MatMulDirect | Kernel::Gather | Kernel::Xent => 3,
            Kernel::Select | Kernel::XentGrad => 4,
            Kernel::Optimizer => 5,
        }
    }

    /// Invocations per workgroup of a linear kernel (the `WG` override).
    pub fn workgroup(self) -> u32 {
        match self {
            Kernel::Accumulate => 64,
            _ => 256,
        }
    }
}

/// Words in one dispatch's uniform record (256 bytes: the uniform offset alignment WebGPU guarantees).
pub const RECORD_WORDS: usize = 64;
pub const RECORD_BYTES: u64 = 256;

pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub limits: wgpu::Limits,
    pub name: String,
    pipelines: Mutex<HashMap<Kernel, wgpu::ComputePipeline>>,
    pool: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
    staging: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
    /// Reads dropped before the GPU delivered them (a tensor disposed while its value was on the
    /// way, a custom loop's checkpoint made stale): their staging buffers go back to the pool
    /// once the GPU is done with them, so steady training makes no new ones.
    retiring: Arc<Mutex<Vec<Readback>>>,
    /// Set by the device-lost callback.
    pub lost: Arc<AtomicBool>,
    /// The first uncaptured WebGPU error (validation, out of memory), until taken.
    pub error: Arc<Mutex<Option<String>>>,
    /// Bytes currently held by pooled and live buffers made here.
    pub bytes: Mutex<u64>,
    /// Buffers made here so far, of every kind (storage, uniform, staging, weights). Storage and
    /// staging buffers are pooled and reused, so in steady training this stops growing; the
    /// soak test checks that it does.
    pub buffers_made: std::sync::atomic::AtomicU64,
    /// A software rasterizer (SwiftShader, lavapipe): workgroup barriers are costly there.
    pub software: bool,
    /// Which matmul kernel plans use (see [`MatMulKernel`]).
    pub matmul: Mutex<MatMulKernel>,
    /// Submissions the GPU has not finished yet (see [`Gpu::submit`]).
    inflight: Arc<std::sync::atomic::AtomicUsize>,
}

/// Training submits at most this many steps ahead of the GPU: enough to keep it busy, few enough
/// that progress is real and a stop takes effect at once.
pub const MAX_INFLIGHT: usize = 3;

/// The matmul kernel choice: tiled (workgroup memory, for large products on real GPUs), direct
/// (register blocks, no barriers), or chosen per product by size and adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatMulKernel {
    Auto,
    Tiled,
    Direct,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Gpu {
    /// Opens the default adapter. `Err` when there is none (no WebGPU, or no Vulkan driver).
    pub async fn open() -> Result<Gpu> {
        Gpu::open_with(0).await
    }

    /// As [`Gpu::open`]; a non-zero `max_binding` asks for at most that maxStorageBufferBindingSize
    /// (bytes; WebGPU raises it to its 128 MiB default) instead of the adapter's largest.
    pub async fn open_with(max_binding: u64) -> Result<Gpu> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = if cfg!(target_arch = "wasm32") { wgpu::Backends::BROWSER_WEBGPU } else { wgpu::Backends::VULKAN };
        let instance = wgpu::Instance::new(desc);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Io(format!("WebGPU: no adapter ({e})")))?;
        let info = adapter.get_info();
        let software = info.device_type == wgpu::DeviceType::Cpu
            || [&info.name, &info.driver, &info.driver_info].iter().any(|s| {
                let s = s.to_lowercase();
                s.contains("swiftshader") || s.contains("llvmpipe") || s.contains("lavapipe")
            });
        let al = adapter.limits();
        // Ask for the adapter's storage limits so big models fit where the hardware allows.
        let binding = if max_binding > 0 {
            al.max_storage_buffer_binding_size.min(max_binding.max(128 << 20))
        } else {
            al.max_storage_buffer_binding_size
        };
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: binding,
            max_buffer_size: al.max_buffer_size,
            max_storage_buffers_per_shader_stage: al.max_storage_buffers_per_shader_stage.min(8),
            ..wgpu::Limits::downlevel_defaults()
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("hebb"),
                required_features: wgpu::Features::empty(),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Io(format!("WebGPU: the device could not be created ({e})")))?;
        let lost = Arc::new(AtomicBool::new(false));
        let l = lost.clone();
        device.set_device_lost_callback(move |_, _| {
            l.store(true, Ordering::SeqCst);
            wake();
        });
        let error: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let e = error.clone();
        // Without a handler wgpu panics on an uncaptured error, which would abort the instance.
        device.on_uncaptured_error(Arc::new(move |err: wgpu::Error| {
            let mut slot = lock(&e);
            if slot.is_none() {
                *slot = Some(err.to_string());
            }
        }));
        Ok(Gpu {
            device,
            queue,
            limits,
            name: format!("{} ({:?})", info.name, info.device_type),
            pipelines: Mutex::new(HashMap::new()),
            pool: Mutex::new(HashMap::new()),
            staging: Mutex::new(HashMap::new()),
            retiring: Arc::new(Mutex::new(vec![])),
            lost,
            error,
            bytes: Mutex::new(0),
            buffers_made: std::sync::atomic::AtomicU64::new(0),
            software,
            matmul: Mutex::new(MatMulKernel::Auto),
            inflight: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        })
    }

    /// Native only: opens the adapter, blocking.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_blocking() -> Result<Gpu> {
        pollster::block_on(Gpu::open())
    }

    /// Submits `cmd`, counting it in flight until the GPU reports it done.
    pub fn submit(&self, cmd: wgpu::CommandBuffer) {
        self.inflight.fetch_add(1, Ordering::SeqCst);
        self.queue.submit([cmd]);
        let n = self.inflight.clone();
        self.queue.on_submitted_work_done(move || {
            n.fetch_sub(1, Ordering::SeqCst);
            wake();
        });
    }

    /// Submissions not finished yet (natively, polls the device first).
    pub fn in_flight(&self) -> usize {
        #[cfg(not(target_arch = "wasm32"))]
        let _ = self.device.poll(wgpu::PollType::Poll);
        if self.is_lost() {
            return 0;
        }
        self.inflight.load(Ordering::SeqCst)
    }

    /// Whether a product of `m` x `n` outputs uses the tiled kernel.
    pub fn tiled_matmul(&self, m: usize, n: usize) -> bool {
        match *lock(&self.matmul) {
            MatMulKernel::Tiled => true,
            MatMulKernel::Direct => false,
            MatMulKernel::Auto => !self.software && m >= 64 && n >= 64,
        }
    }

    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// An error recorded by the device since the last call, named with `what` (the op or step).
    pub fn check(&self, what: &str) -> Result<()> {
        if self.is_lost() {
            return Err(Error::Device(format!("WebGPU: the device was lost during {what}")));
        }
        match lock(&self.error).take() {
            Some(e) => Err(Error::Device(format!("WebGPU error in {what}: {e}"))),
            None => Ok(()),
        }
    }

    pub fn pipeline(&self, k: Kernel) -> wgpu::ComputePipeline {
        let mut p = lock(&self.pipelines);
        p.entry(k)
            .or_insert_with(|| {
                let name = format!("{k:?} kernel");
                let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(&name),
                    source: wgpu::ShaderSource::Wgsl(k.source().into()),
                });
                let constants: &[(&str, f64)] = &[("WG", k.workgroup() as f64)];
                let uses_wg = !matches!(k, Kernel::MatMul | Kernel::ReduceWide | Kernel::Accumulate);
                self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(&name),
                    layout: None,
                    module: &module,
                    entry_point: Some(k.entry()),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants: if uses_wg { constants } else { &[] },
                        ..Default::default()
                    },
                    cache: None,
                })
            })
            .clone()
    }

    /// The largest buffer one binding may cover, in f32 elements.
    pub fn max_binding_elements(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size) / 4
    }

    /// Refuses a buffer the device cannot bind, naming what it was for.
    pub fn check_size(&self, what: &str, elements: usize) -> Result<()> {
        if elements as u64 > self.max_binding_elements() {
            return Err(Error::arg(
                what,
                format!(
                    "needs a GPU buffer of {} bytes, above this device's maxStorageBufferBindingSize of {} bytes; use a smaller batch or the CPU backend",
                    elements as u64 * 4,
                    self.max_binding_elements() * 4
                ),
            ));
        }
        Ok(())
    }

    fn bucket(bytes: u64) -> u64 {
        // 256-byte granules up to 64 KiB, powers of two up to 64 MiB, then MiB granules (so a
        // big buffer never doubles past the device's limits): freed buffers get reused.
        let b = bytes.max(16);
        if b <= 65536 {
            b.div_ceil(256) * 256
        } else if b <= 64 << 20 {
            b.next_power_of_two()
        } else {
            b.div_ceil(1 << 20) << 20
        }
    }

    /// A storage buffer of at least `elements` f32 (zeroed when new), from the pool when one fits.
    pub fn storage(&self, elements: usize) -> wgpu::Buffer {
        let size = Gpu::bucket(elements as u64 * 4);
        if let Some(b) = lock(&self.pool).get_mut(&size).and_then(|v| v.pop()) {
            return b;
        }
        *lock(&self.bytes) += size;
        self.made();
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    }

    /// Counts a buffer made (see [`Gpu::buffers_made`]).
    pub fn made(&self) {
        self.buffers_made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Returns a buffer from [`Gpu::storage`] to the pool.
    pub fn recycle(&self, b: wgpu::Buffer) {
        lock(&self.pool).entry(b.size()).or_default().push(b);
    }

    pub fn uniform(&self, records: usize) -> wgpu::Buffer {
        self.made();
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: (records.max(1) as u64) * RECORD_BYTES,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    pub fn write(&self, b: &wgpu::Buffer, offset_elems: u64, data: &[f32]) {
        if !data.is_empty() {
            self.queue.write_buffer(b, offset_elems * 4, as_bytes(data));
        }
    }

    /// Pools the staging buffers of dropped reads the GPU has delivered.
    fn reclaim(&self) {
        let done: Vec<Readback> = {
            let mut list = lock(&self.retiring);
            let (ready, waiting): (Vec<Readback>, Vec<Readback>) = list.drain(..).partition(|rb| lock(&rb.state).is_some());
            *list = waiting;
            ready
        };
        for mut rb in done {
            let ok = matches!(*lock(&rb.state), Some(Ok(())));
            // Taken either way, so dropping `rb` does not retire it again.
            if let Some(staging) = rb.staging.take() {
                if ok {
                    staging.unmap();
                    lock(&self.staging).entry(staging.size()).or_default().push(staging);
                }
            }
        }
    }

    fn staging_buffer(&self, bytes: u64) -> wgpu::Buffer {
        self.reclaim();
        let size = Gpu::bucket(bytes);
        if let Some(b) = lock(&self.staging).get_mut(&size).and_then(|v| v.pop()) {
            return b;
        }
        self.made();
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Encodes copies of `parts` (buffer, first element, elements) into one staging buffer; call
    /// [`Readback::start`] after submitting the encoder.
    pub fn readback(&self, enc: &mut wgpu::CommandEncoder, parts: &[(&wgpu::Buffer, u64, usize)]) -> Readback {
        let total: usize = parts.iter().map(|p| p.2).sum();
        let staging = self.staging_buffer(total.max(1) as u64 * 4);
        let mut at = 0u64;
        let mut lens = vec![];
        for &(b, off, n) in parts {
            if n > 0 {
                enc.copy_buffer_to_buffer(b, off * 4, &staging, at * 4, Some(n as u64 * 4));
            }
            at += n as u64;
            lens.push(n);
        }
        Readback { staging: Some(staging), lens, state: Arc::new(Mutex::new(None)), started: false, retire: Arc::downgrade(&self.retiring) }
    }
}

pub fn as_bytes(d: &[f32]) -> &[u8] {
    // SAFETY: f32 has no padding or invalid bit patterns; the slice covers exactly the data.
    unsafe { std::slice::from_raw_parts(d.as_ptr() as *const u8, std::mem::size_of_val(d)) }
}

/// A pending asynchronous read of GPU buffers (copied into one staging buffer).
pub struct Readback {
    staging: Option<wgpu::Buffer>,
    lens: Vec<usize>,
    state: Arc<Mutex<Option<std::result::Result<(), String>>>>,
    started: bool,
    /// Where a read dropped in flight leaves its staging buffer (the GPU's `retiring` list).
    retire: std::sync::Weak<Mutex<Vec<Readback>>>,
}

impl Drop for Readback {
    fn drop(&mut self) {
        // A read still on its way: the buffer is mapped (or will be) by the GPU; hand it to the
        // GPU's retiring list, which pools it once the mapping is done.
        if let (Some(staging), true, Some(list)) = (self.staging.take(), self.started, self.retire.upgrade()) {
            let rb = Readback { staging: Some(staging), lens: vec![], state: self.state.clone(), started: true, retire: std::sync::Weak::new() };
            lock(&list).push(rb);
        }
    }
}

impl Readback {
    /// Requests the mapping (after the copies were submitted).
    pub fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        let st = self.state.clone();
        if let Some(s) = &self.staging {
            s.slice(..).map_async(wgpu::MapMode::Read, move |r| {
                *lock(&st) = Some(r.map_err(|e| e.to_string()));
                wake();
            });
        }
    }

    /// The values once the GPU delivered them (`None` while in flight), and gives the staging
    /// buffer back to the pool.
    pub fn poll(&mut self, gpu: &Gpu) -> Option<Result<Vec<Vec<f32>>>> {
        #[cfg(not(target_arch = "wasm32"))]
        let _ = gpu.device.poll(wgpu::PollType::Poll);
        if gpu.is_lost() {
            return Some(Err(Error::Device("WebGPU: the device was lost".into())));
        }
        let r = lock(&self.state).take()?;
        let staging = self.staging.take()?;
        Some(match r {
            Err(e) => Err(Error::Device(format!("WebGPU: reading results back failed ({e})"))),
            Ok(()) => {
                let out = {
                    let view = match staging.slice(..).get_mapped_range() {
                        Ok(v) => v,
                        Err(e) => return Some(Err(Error::Io(format!("WebGPU: reading results back failed ({e:?})")))),
                    };
                    let mut at = 0;
                    let mut out = vec![];
                    for &n in &self.lens {
                        let bytes = &view[at * 4..(at + n) * 4];
                        out.push(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect());
                        at += n;
                    }
                    out
                };
                staging.unmap();
                lock(&gpu.staging).entry(staging.size()).or_default().push(staging);
                Ok(out)
            }
        })
    }

    /// Native only: blocks until the values arrive.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait(mut self, gpu: &Gpu) -> Result<Vec<Vec<f32>>> {
        self.start();
        loop {
            let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
            if let Some(r) = self.poll(gpu) {
                return r;
            }
        }
    }

    /// Resolves once the mapping finished (or failed); the browser's event loop drives it.
    pub fn ready(&self) -> bool {
        lock(&self.state).is_some()
    }
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    static WAITERS: std::cell::RefCell<Vec<js_sys::Function>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A promise that resolves the next time the GPU finishes a read (or the device is lost).
#[cfg(target_arch = "wasm32")]
pub fn next_completion() -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _| WAITERS.with(|w| w.borrow_mut().push(resolve)))
}

/// Resolves the promises of [`next_completion`]; called from map and device-lost callbacks.
fn wake() {
    #[cfg(target_arch = "wasm32")]
    {
        let waiting = WAITERS.with(|w| std::mem::take(&mut *w.borrow_mut()));
        for f in waiting {
            let _ = f.call0(&wasm_bindgen::JsValue::NULL);
        }
    }
}

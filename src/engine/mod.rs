//! The state behind the JS API, as plain Rust: the tensors JS holds handles to, the models, the
//! fit sessions and recorded functions by id, the WebGPU device, the results still being
//! computed there (see [`pending`]) and custom training loops' optimizer state (see [`grad`]).
//! `wasm` only converts arguments and results around the methods here, so everything they do
//! is reachable from native tests.

pub mod gpu_loop;
pub mod grad;
pub mod layers;
pub mod lazy;
pub mod pending;

use crate::backend::gpu::Gpu;
use crate::eager::{Handle, Runtime};
use crate::error::{Error, Result};
use crate::graph::TracedFn;
use crate::model::trainer::{self, FitOptions, FitSession};
use crate::model::LayersModel;
use crate::tensor::Tensor;
use pending::{LazyRead, PendingEntry};
use std::collections::HashMap;
use std::sync::Arc;

/// What [`Engine::fit_run`] gives: the events, and the handles of (yTrue, yPred) when the
/// session asks for this step's per-step recordings.
pub type FitRun = (Vec<trainer::Event>, Option<(Handle, Handle)>);

pub struct Engine {
    pub rt: Runtime,
    pub models: HashMap<u32, LayersModel>,
    /// Fit sessions by id, with the id of the model each trains.
    pub sessions: HashMap<u32, (u32, FitSession)>,
    pub traced: HashMap<u32, TracedFn>,
    next_id: u32,
    seed: u64,
    /// The WebGPU device, once opened; `webgpu` says whether it is the active backend.
    pub gpu: Option<Arc<Gpu>>,
    pub webgpu: bool,
    /// Tensors the GPU is computing: how to finish each one.
    pending: HashMap<Handle, PendingEntry>,
    /// Messages for the user (a lost device), shown once by the JS side.
    pub warnings: Vec<String>,
    /// Lazy tensors being computed on the GPU for an asynchronous read.
    lazy_reads: HashMap<Handle, LazyRead>,
    /// Values that came from the GPU: lazy reads, pending predict/evaluate results.
    pub gpu_values: u64,
    /// Custom-loop optimizer state by the JS optimizer's id (apart from a model's: `fit` keeps
    /// its own, keyed by weight).
    optimizers: HashMap<u64, crate::optim::Keyed>,
    /// Custom loops running on the GPU, by id (see [`gpu_loop`]).
    loops: HashMap<u64, gpu_loop::GpuLoop>,
    next_loop: u64,
    /// The variables (sorted keys) of loops that went back to the CPU (their values were read
    /// synchronously again and again).
    cpu_loops: std::collections::HashSet<Vec<u64>>,
    /// GPU steps taken by custom loops, and the plans made for them.
    pub loop_steps: u64,
    pub loop_plans: u64,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(0x4845_4242)
    }
}

impl Engine {
    pub fn new(seed: u64) -> Engine {
        Engine {
            rt: Runtime::default(),
            models: HashMap::new(),
            sessions: HashMap::new(),
            traced: HashMap::new(),
            next_id: 0,
            seed,
            gpu: None,
            webgpu: false,
            pending: HashMap::new(),
            warnings: vec![],
            lazy_reads: HashMap::new(),
            gpu_values: 0,
            optimizers: HashMap::new(),
            loops: HashMap::new(),
            next_loop: 0,
            cpu_loops: Default::default(),
            loop_steps: 0,
            loop_plans: 0,
        }
    }

    /// Numbers new handles and ids from `base` on (see `wasm::engine_number_from`).
    pub fn number_from(&mut self, base: u32) {
        self.next_id = base;
        self.rt.number_from(base);
    }

    /// A fresh id for a model, a fit session or a recorded function.
    pub fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    pub fn next_seed(&mut self) -> u64 {
        self.seed = self.seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.seed
    }

    /// `tf.setRandomSeed`: the seed of unseeded draws from now on.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
        self.rt.rng = crate::rng::Rng::new(seed);
    }

    pub fn model(&mut self, m: u32) -> Result<&mut LayersModel> {
        self.models.get_mut(&m).ok_or_else(|| Error::NotFound(format!("model #{m} has been disposed")))
    }

    pub fn tensor(&self, h: Handle) -> Result<Tensor> {
        self.rt.get(h).cloned()
    }

    pub fn tensors(&self, hs: &[Handle]) -> Result<Vec<Tensor>> {
        hs.iter().map(|&h| self.tensor(h)).collect()
    }

    pub fn put_all(&mut self, ts: Vec<Tensor>) -> Vec<Handle> {
        ts.into_iter().map(|t| self.rt.put(t)).collect()
    }

    /// Keeps `model` under a new id.
    pub fn insert_model(&mut self, model: LayersModel) -> u32 {
        let id = self.id();
        self.models.insert(id, model);
        id
    }

    /// Forgets model `m` and its fit sessions (tensors pending on it are finished first).
    pub fn dispose_model(&mut self, m: u32) {
        let _ = self.settle_model(m);
        self.models.remove(&m);
        self.sessions.retain(|_, (mm, _)| *mm != m);
    }

    pub fn dispose_tensor(&mut self, h: Handle) {
        self.rt.dispose(h);
        self.pending.remove(&h);
        self.lazy_reads.remove(&h);
    }

    /// A tensor of random values: "uniform" (a=min, b=max), "normal" (a=mean, b=std),
    /// "truncatedNormal"; unseeded draws take the next seed. Inside a traced function
    /// (a custom layer's call, a loss) unseeded normal noise is a recorded op, drawn afresh each
    /// time the recording runs (each training step).
    pub fn random(&mut self, kind: &str, shape: Vec<usize>, a: f32, b: f32, seed: Option<u64>) -> Result<Handle> {
        if kind == "normal" && seed.is_none() && self.rt.tracing() {
            use crate::graph::Builder as _;
            let zeros = self.rt.trace_const(Tensor::zeros(&shape))?;
            let noise = self.rt.apply(crate::ops::Op::RandomNormal { stddev: b }, &[zeros])?;
            return if a == 0.0 {
                Ok(noise)
            } else {
                let mean = self.rt.constant(Tensor::scalar(a))?;
                self.rt.add(noise, mean)
            };
        }
        let seed = match seed {
            Some(v) => v,
            None => self.next_seed(),
        };
        let mut rng = crate::rng::Rng::new(seed);
        let mut data = crate::tensor::shape::alloc_zeroed(kind, crate::tensor::numel(&shape))?;
        match kind {
            "uniform" => data.iter_mut().for_each(|v| *v = a + (b - a) * rng.uniform()),
            "normal" => data.iter_mut().for_each(|v| *v = a + b * rng.normal()),
            "truncatedNormal" => data.iter_mut().for_each(|v| *v = a + b * rng.truncated_normal()),
            _ => return Err(Error::arg("random", format!("unknown distribution '{kind}'"))),
        }
        Ok(self.rt.put(Tensor::new(shape, data)?))
    }

    // ---- the device ----

    /// The active GPU, or None on the CPU backend.
    pub fn active_gpu(&mut self) -> Option<Arc<Gpu>> {
        if !self.webgpu {
            return None;
        }
        match &self.gpu {
            Some(g) if g.is_lost() => {
                self.lose_gpu("WebGPU: the device was lost");
                None
            }
            g => g.clone(),
        }
    }

    /// The opened device's adapter name, unless it was lost.
    pub fn gpu_name(&self) -> Option<String> {
        self.gpu.as_ref().filter(|g| !g.is_lost()).map(|g| g.name.clone())
    }

    /// Takes `gpu` as the device (the backend stays as it is).
    pub fn set_gpu(&mut self, gpu: Arc<Gpu>) {
        self.gpu = Some(gpu);
    }

    /// Forgets the device and every model's copy on it (a fresh one is about to be opened).
    pub fn drop_gpu(&mut self) {
        self.gpu = None;
        for m in self.models.values_mut() {
            m.gpu = None;
        }
    }

    /// "cpu" or "webgpu" (which needs a device first).
    pub fn set_backend(&mut self, name: &str) -> Result<()> {
        match name {
            "cpu" => self.webgpu = false,
            "webgpu" if self.gpu_name().is_some() => self.webgpu = true,
            "webgpu" => return Err(Error::arg("setBackend", "WebGPU is not available (no adapter, or the device was lost)")),
            _ => return Err(Error::arg("setBackend", format!("unknown backend '{name}'; expected 'cpu' or 'webgpu'"))),
        }
        // On WebGPU, eager ops are recorded and computed when read (see eager::Lazy).
        self.rt.lazy = self.webgpu;
        Ok(())
    }

    pub fn backend(&mut self) -> &'static str {
        if self.active_gpu().is_some() {
            "webgpu"
        } else {
            "cpu"
        }
    }

    /// Switches to the CPU for good after a GPU failure, telling the user once.
    pub fn lose_gpu(&mut self, why: &str) {
        if self.gpu.is_some() {
            self.warnings.push(format!("Hebb: {why}; continuing on the CPU (SIMD WebAssembly)."));
        }
        self.gpu = None;
        self.webgpu = false;
        self.rt.lazy = false;
        self.lazy_reads.clear();
        for m in self.models.values_mut() {
            m.gpu = None;
        }
    }

    /// [live tensors, bytes, models, model weight bytes, GPU pool bytes, GPU model bytes, GPU
    /// buffers made so far]
    pub fn memory_stats(&self) -> Vec<f64> {
        let (n, b) = self.rt.memory();
        let wb: usize = self.models.values().flat_map(|m| m.weights.iter()).map(|w| w.value.numel() * 4).sum();
        let gpu_pool = self.gpu.as_ref().map(|g| *g.bytes.lock().unwrap_or_else(|p| p.into_inner())).unwrap_or(0);
        let gpu_models: u64 = self.models.values().filter_map(|m| m.gpu.as_ref()).map(|g| g.bytes()).sum();
        let made = self.gpu.as_ref().map(|g| g.buffers_made.load(std::sync::atomic::Ordering::Relaxed)).unwrap_or(0);
        vec![n as f64, b as f64, self.models.len() as f64, wb as f64, gpu_pool as f64, gpu_models as f64, made as f64]
    }

    // ---- fit ----

    /// Starts `fit` of model `m` on tensors `x`, `y` (and validation tensors); returns the
    /// session's id. On WebGPU the session trains there (a lost device: on the CPU).
    pub fn fit_begin(&mut self, m: u32, x: Handle, y: Handle, val: Option<(Handle, Handle)>, opts: FitOptions) -> Result<u32> {
        self.settle_model(m)?;
        let (xt, yt) = (self.tensor(x)?, self.tensor(y)?);
        let val = match val {
            Some((vx, vy)) => Some((self.tensor(vx)?, self.tensor(vy)?)),
            None => None,
        };
        let mut session = FitSession::new(self.model(m)?, xt, yt, val, opts)?;
        if let Some(gpu) = self.active_gpu() {
            match session.use_gpu(gpu, self.model(m)?) {
                Ok(_) => {}
                Err(Error::Device(e)) => self.lose_gpu(&e),
                Err(e) => return Err(e),
            }
        }
        let id = self.id();
        self.sessions.insert(id, (m, session));
        Ok(id)
    }

    pub fn session(&mut self, s: u32) -> Result<&mut FitSession> {
        self.sessions.get_mut(&s).map(|(_, sess)| sess).ok_or_else(|| Error::NotFound("fit session ended".into()))
    }

    /// Runs up to `max_batches` batches of session `s`: its events, and the handles of
    /// (yTrue, yPred) when the session asks for this step's per-step recordings.
    pub fn fit_run(&mut self, s: u32, max_batches: usize) -> Result<FitRun> {
        let (m, mut sess) = self.sessions.remove(&s).ok_or_else(|| Error::NotFound("fit session ended".into()))?;
        let r = match self.models.get_mut(&m) {
            Some(model) => sess.run(model, max_batches),
            None => Err(Error::NotFound(format!("model #{m} has been disposed"))),
        };
        if let Ok(evs) = &r {
            for e in evs {
                if let trainer::Event::DeviceLost { message } = e {
                    self.lose_gpu(message);
                }
            }
        }
        let pending = match (&r, sess.take_pending()) {
            (Ok(_), Some((yt, yp))) => Some((self.rt.put(yt), self.rt.put(yp))),
            _ => None,
        };
        if r.is_ok() && !sess.finished() {
            self.sessions.insert(s, (m, sess));
        } else if r.is_err() {
            // The session ends here: keep the weights the mirror has, not a GPU copy ahead of it.
            if let Some(model) = self.models.get_mut(&m) {
                sess.abandon(model);
            }
        }
        r.map(|ev| (ev, pending))
    }

    /// Ends session `s`. One abandoned part-way (a callback threw) may have a GPU copy ahead
    /// of the mirrored weights: it is dropped, so every read and the next fit agree with the
    /// mirror.
    pub fn fit_end(&mut self, s: u32) {
        if let Some((m, mut sess)) = self.sessions.remove(&s) {
            if let Some(model) = self.models.get_mut(&m) {
                sess.abandon(model);
            }
        }
    }

    /// Takes recorded function `id` (a step's loss or metric, handed to a fit session).
    pub fn take_traced(&mut self, id: u32) -> Result<TracedFn> {
        self.traced.remove(&id).ok_or_else(|| Error::arg("fit", "a recorded function is gone"))
    }
}

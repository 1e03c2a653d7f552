//! The only `#[wasm_bindgen]` surface. Integer handles and typed arrays cross the boundary; every
//! engine error becomes a JS `Error` with the engine's message, and nothing here can panic on bad
//! input (a panic would abort the instance and lose every model in it).

mod grad;
mod ops;

use crate::backend::gpu::{Gpu, Readback};
use crate::eager::{Handle, Runtime};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::TracedFn;
use crate::losses::Loss;
use crate::model::trainer::{self, FitOptions, FitSession};
use crate::model::{Compiled, Phase, Sequential, StepFns};
use crate::nn;
use crate::tensor::{DType, Tensor};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

#[derive(Default)]
struct State {
    rt: Runtime,
    models: HashMap<u32, Sequential>,
    sessions: HashMap<u32, (u32, FitSession)>,
    traced: HashMap<u32, TracedFn>,
    next_id: u32,
    seed: u64,
    /// The WebGPU device, once opened; `webgpu` says whether it is the active backend.
    gpu: Option<Arc<Gpu>>,
    webgpu: bool,
    /// Tensors the GPU is computing: how to finish each one.
    pending: HashMap<Handle, PendingEntry>,
    /// Messages for the user (a lost device), shown once by the JS side.
    warnings: Vec<String>,
    /// Lazy tensors being computed on the GPU for an asynchronous read.
    lazy_reads: HashMap<Handle, LazyRead>,
    /// Values that came from the GPU: lazy reads, pending predict/evaluate results.
    gpu_values: u64,
}

struct LazyRead {
    node: Rc<crate::eager::Lazy>,
    rb: Readback,
    /// Kept until the read is taken (its buffers go back to the pool then); it also carries
    /// WebGPU's verdict on the plan's objects.
    plan: crate::backend::gpu::plan::GpuPlan,
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
    Predict { model: u32, x: Rc<Tensor>, batch: usize },
    Evaluate { model: u32, x: Rc<Tensor>, y: Rc<Tensor>, batch: usize, k: usize },
}

impl Fallback {
    fn model(&self) -> u32 {
        match self {
            Fallback::Predict { model, .. } | Fallback::Evaluate { model, .. } => *model,
        }
    }
}

struct PendingEntry {
    read: Rc<RefCell<SharedRead>>,
    part: usize,
    /// Element `index` of the part (None: the whole part), divided by `scale`.
    index: Option<usize>,
    scale: f32,
    fallback: Fallback,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State { seed: 0x4845_4242, ..Default::default() });
}

fn with<T>(f: impl FnOnce(&mut State) -> Result<T>) -> std::result::Result<T, JsError> {
    STATE.with(|s| match s.try_borrow_mut() {
        Ok(mut st) => f(&mut st).map_err(|e| JsError::new(&e.to_string())),
        Err(_) => Err(JsError::new("Hebb engine is busy (re-entrant call)")),
    })
}

/// Like [`with`], for calls that read tensors: a tensor still being computed on the GPU is
/// finished first (from the GPU's result when it has arrived, otherwise on the CPU) and the call
/// is made again.
fn with_tensors<T>(mut f: impl FnMut(&mut State) -> Result<T>) -> std::result::Result<T, JsError> {
    with(move |st| {
        for _ in 0..256 {
            match f(st) {
                Err(Error::Pending(h)) => st.force(h)?,
                r => return r,
            }
        }
        Err(Error::arg("engine", "too many tensors pending on the GPU"))
    })
}

impl State {
    /// The active GPU, or None on the CPU backend.
    fn active_gpu(&mut self) -> Option<Arc<Gpu>> {
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

    /// Switches to the CPU for good after a GPU failure, telling the user once.
    fn lose_gpu(&mut self, why: &str) {
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
    fn force(&mut self, h: Handle) -> Result<()> {
        let Some(e) = self.pending.remove(&h) else {
            return Err(Error::NotFound(format!("tensor #{h} has been disposed")));
        };
        // A WebGPU error about the model's planned steps: their results cannot be trusted.
        let model = e.fallback.model();
        if let Some(err) = self.models.get_mut(&model).and_then(|m| m.gpu.as_mut()).and_then(|g| g.take_error()) {
            self.warnings.push(format!("Hebb: {err}; computing the result on the CPU."));
            e.read.borrow_mut().rb = None;
            if let Some(m) = self.models.get_mut(&model) {
                m.gpu = None;
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
        let model = e.fallback.model();
        let m = self.models.get_mut(&model).ok_or_else(|| Error::NotFound(format!("model #{model} has been disposed")))?;
        match &e.fallback {
            Fallback::Predict { x, batch, .. } => trainer::predict(m, x, *batch),
            Fallback::Evaluate { x, y, batch, k, .. } => {
                let mut r = e.read.borrow_mut();
                if r.cpu.is_none() {
                    r.cpu = Some(trainer::evaluate(m, x, y, *batch)?);
                }
                Ok(Tensor::scalar(r.cpu.as_ref().and_then(|v| v.get(*k)).copied().unwrap_or(f32::NAN)))
            }
        }
    }

    /// Finishes every tensor still pending on model `m` before the model changes, so each gets
    /// the value of the model it was asked of.
    fn settle_model(&mut self, m: u32) -> Result<()> {
        let hs: Vec<Handle> = self.pending.iter().filter(|(_, e)| e.fallback.model() == m).map(|(&h, _)| h).collect();
        for h in hs {
            self.force(h)?;
        }
        Ok(())
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }
    fn next_seed(&mut self) -> u64 {
        self.seed = self.seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.seed
    }
    fn model(&mut self, m: u32) -> Result<&mut Sequential> {
        self.models.get_mut(&m).ok_or_else(|| Error::NotFound(format!("model #{m} has been disposed")))
    }
    fn tensor(&self, h: Handle) -> Result<Tensor> {
        self.rt.get(h).cloned()
    }
}

fn parse_json(op: &str, s: &str) -> Result<Value> {
    if s.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(s).map_err(|e| Error::arg(op, format!("bad options: {e}")))
}

fn shape_from(op: &str, s: &[f64]) -> Result<Vec<usize>> {
    let shape = s
        .iter()
        .map(|&d| {
            if d >= 0.0 && d.fract() == 0.0 && d < 1e9 {
                Ok(d as usize)
            } else {
                Err(Error::arg(op, format!("invalid dimension {d} in shape {s:?}")))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    crate::tensor::shape::checked_numel(op, &shape)?;
    if shape.len() > crate::tensor::shape::MAX_RANK {
        return Err(Error::shape(op, format!("tensors of rank above {} are not supported", crate::tensor::shape::MAX_RANK)));
    }
    Ok(shape)
}

// ---- tensors ----

#[wasm_bindgen]
pub fn tensor_new(data: Vec<f32>, shape: Vec<f64>, dtype: &str) -> std::result::Result<u32, JsError> {
    with(|st| {
        let s = shape_from("tensor", &shape)?;
        let d = DType::parse(dtype)?;
        let t = Tensor::with_dtype(s, data, d)?;
        Ok(st.rt.put(t))
    })
}

#[wasm_bindgen]
pub fn tensor_data(h: u32) -> std::result::Result<Vec<f32>, JsError> {
    with_tensors(|st| {
        st.take_lazy_read(h);
        let data = st.rt.get(h)?.data.clone();
        // Computed on the CPU before the GPU answered: that read is no longer needed.
        st.lazy_reads.remove(&h);
        Ok(data)
    })
}

/// Starts computing lazy tensor `h` on the GPU for an asynchronous read; false when there is
/// nothing to compute there (its value is known, or the CPU backend is active).
#[wasm_bindgen]
pub fn tensor_gpu_read(h: u32) -> std::result::Result<bool, JsError> {
    with(|st| {
        if st.lazy_reads.contains_key(&h) {
            return Ok(true);
        }
        let (Some(node), Some(gpu)) = (st.rt.lazy(h), st.active_gpu()) else { return Ok(false) };
        match gpu_lazy_read(&gpu, &node) {
            Ok((rb, plan)) => {
                st.lazy_reads.insert(h, LazyRead { node, rb, plan });
                Ok(true)
            }
            Err(Error::Device(e)) => {
                st.lose_gpu(&e);
                Ok(false)
            }
            // Anything the GPU cannot take (a size over its limits): the CPU computes it on read.
            Err(_) => Ok(false),
        }
    })
}

/// Plans the lazy ops behind `root` as one GPU step (known values become constants), runs it
/// and starts reading the result.
fn gpu_lazy_read(gpu: &Arc<Gpu>, root: &Rc<crate::eager::Lazy>) -> Result<(Readback, crate::backend::gpu::plan::GpuPlan)> {
    use crate::eager::{Lazy, Operand};
    use crate::graph::{Builder, Graph, NodeId};
    fn visit(
        l: &Rc<Lazy>,
        g: &mut Graph,
        nodes: &mut HashMap<*const Lazy, NodeId>,
        consts: &mut HashMap<*const Tensor, NodeId>,
    ) -> Result<NodeId> {
        if let Some(&n) = nodes.get(&Rc::as_ptr(l)) {
            return Ok(n);
        }
        let n = if l.is_known() {
            g.constant((**l.cpu()).clone())?
        } else {
            let mut ins = vec![];
            for o in l.operands() {
                ins.push(match o {
                    Operand::Ready(t) => match consts.get(&Rc::as_ptr(&t)) {
                        Some(&n) => n,
                        None => {
                            let n = g.constant((*t).clone())?;
                            consts.insert(Rc::as_ptr(&t), n);
                            n
                        }
                    },
                    Operand::Lazy(x) => visit(&x, g, nodes, consts)?,
                });
            }
            g.apply(l.op.clone(), &ins)?
        };
        nodes.insert(Rc::as_ptr(l), n);
        Ok(n)
    }
    let mut g = Graph::new();
    let out = visit(root, &mut g, &mut HashMap::new(), &mut HashMap::new())?;
    let mut outs = [out];
    crate::backend::gpu::plan::materialize(&mut g, &mut outs)?;
    let arena = crate::backend::gpu::plan::ParamArena::new(gpu, &[], &[])?;
    let mut plan = crate::backend::gpu::plan::GpuPlan::new(gpu, g, &outs, &arena)?;
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    plan.encode(&mut enc, &[], 0);
    let (buf, n) = plan.value(outs[0]).ok_or_else(|| Error::arg(root.op.name(), "the GPU plan has no output"))?;
    let mut rb = gpu.readback(&mut enc, &[(buf, 0, n)]);
    gpu.queue.submit([enc.finish()]);
    rb.start();
    gpu.check(&root.op.name())?;
    Ok((rb, plan))
}

/// 0: an ordinary tensor; 1: the GPU is still computing it; 2: the GPU's value has arrived.
#[wasm_bindgen]
pub fn tensor_pending(h: u32) -> u8 {
    with(|st| {
        if let Some(r) = st.lazy_reads.get_mut(&h) {
            if let Some(e) = r.plan.take_error() {
                // Refused by the GPU: the read computes it on the CPU.
                st.warnings.push(format!("Hebb: {e}; computing it on the CPU."));
                st.lazy_reads.remove(&h);
                return Ok(2);
            }
            let waiting = (r.plan.scopes_waiting() || !r.rb.ready()) && st.gpu.as_ref().is_some_and(|g| !g.is_lost());
            return Ok(if waiting { 1 } else { 2 });
        }
        let Some(e) = st.pending.get(&h) else { return Ok(0) };
        let r = e.read.borrow();
        Ok(if r.result.is_some() || r.rb.as_ref().is_none_or(|rb| rb.ready()) || st.gpu.as_ref().is_none_or(|g| g.is_lost()) {
            2
        } else {
            1
        })
    })
    .unwrap_or(0)
}

// ---- WebGPU ----

/// Opens the WebGPU device; resolves to the adapter's name. The backend stays as it is. A
/// non-zero `max_binding` (bytes) opens a fresh device with at most that storage binding size.
#[wasm_bindgen]
pub async fn gpu_init(max_binding: f64) -> std::result::Result<String, JsError> {
    if max_binding > 0.0 {
        let _ = with(|st| {
            st.gpu = None;
            for m in st.models.values_mut() {
                m.gpu = None;
            }
            Ok(())
        });
    }
    if let Some(name) = with(|st| Ok(st.gpu.as_ref().filter(|g| !g.is_lost()).map(|g| g.name.clone()))).ok().flatten() {
        return Ok(name);
    }
    let gpu = Gpu::open_with(max_binding.max(0.0) as u64).await.map_err(|e| JsError::new(&e.to_string()))?;
    let name = gpu.name.clone();
    with(move |st| {
        st.gpu = Some(Arc::new(gpu));
        Ok(())
    })?;
    Ok(name)
}

/// "cpu" or "webgpu" (which needs `gpu_init` first).
#[wasm_bindgen]
pub fn set_backend(name: &str) -> std::result::Result<(), JsError> {
    with(|st| {
        match name {
            "cpu" => st.webgpu = false,
            "webgpu" if st.gpu.as_ref().is_some_and(|g| !g.is_lost()) => st.webgpu = true,
            "webgpu" => return Err(Error::arg("setBackend", "WebGPU is not available (no adapter, or the device was lost)")),
            _ => return Err(Error::arg("setBackend", format!("unknown backend '{name}'; expected 'cpu' or 'webgpu'"))),
        }
        // On WebGPU, eager ops are recorded and computed when read (see eager::Lazy).
        st.rt.lazy = st.webgpu;
        Ok(())
    })
}

#[wasm_bindgen]
pub fn get_backend() -> String {
    with(|st| Ok(if st.active_gpu().is_some() { "webgpu" } else { "cpu" }.to_string())).unwrap_or_else(|_| "cpu".into())
}

/// Resolves the next time the GPU delivers a read (the fit loop awaits this on `gpuWait`).
#[wasm_bindgen]
pub fn gpu_wait() -> js_sys::Promise {
    crate::backend::gpu::next_completion()
}

/// For tests: how many tensor values came from the GPU (the rest were computed on the CPU).
#[wasm_bindgen]
pub fn gpu_values() -> f64 {
    with(|st| Ok(st.gpu_values as f64)).unwrap_or(0.0)
}

/// Messages for the user since the last call (JS prints each once).
#[wasm_bindgen]
pub fn take_warnings() -> Vec<String> {
    with(|st| Ok(std::mem::take(&mut st.warnings))).unwrap_or_default()
}

/// For tests: destroys the WebGPU device, as a driver reset or a lost GPU would.
#[wasm_bindgen]
pub fn gpu_debug_destroy() {
    let _ = with(|st| {
        if let Some(g) = &st.gpu {
            g.device.destroy();
        }
        Ok(())
    });
}

#[wasm_bindgen]
pub fn tensor_shape(h: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| Ok(st.rt.shape(h)?.iter().map(|&d| d as u32).collect()))
}

#[wasm_bindgen]
pub fn tensor_dtype(h: u32) -> std::result::Result<String, JsError> {
    with(|st| Ok(st.rt.dtype(h)?.name().to_string()))
}

#[wasm_bindgen]
pub fn tensor_dispose(h: u32) {
    let _ = with(|st| {
        st.rt.dispose(h);
        st.pending.remove(&h);
        st.lazy_reads.remove(&h);
        Ok(())
    });
}

#[wasm_bindgen]
pub fn tensor_exists(h: u32) -> bool {
    with(|st| Ok(st.rt.exists(h))).unwrap_or(false)
}

/// [live tensors, bytes, models]
#[wasm_bindgen]
pub fn memory_stats() -> Vec<f64> {
    with(|st| {
        let (n, b) = st.rt.memory();
        let wb: usize = st.models.values().flat_map(|m| m.weights.iter()).map(|w| w.value.numel() * 4).sum();
        let gpu_pool = st.gpu.as_ref().map(|g| *g.bytes.lock().unwrap_or_else(|p| p.into_inner())).unwrap_or(0);
        let gpu_models: u64 = st.models.values().filter_map(|m| m.gpu.as_ref()).map(|g| g.bytes()).sum();
        Ok(vec![n as f64, b as f64, st.models.len() as f64, wb as f64, gpu_pool as f64, gpu_models as f64])
    })
    .unwrap_or_default()
}

/// Runs a named op; temporaries it creates are freed, only the result survives.
#[wasm_bindgen]
pub fn op(name: &str, inputs: Vec<u32>, attrs: &str) -> std::result::Result<u32, JsError> {
    with_tensors(|st| {
        st.rt.begin_scope();
        let r = ops::dispatch(&mut st.rt, name, &inputs, attrs);
        let r = match r {
            Ok(h) if inputs.contains(&h) => st.rt.alias(h),
            other => other,
        };
        st.rt.end_scope(r.as_ref().map(|h| vec![*h]).unwrap_or_default().as_slice());
        r
    })
}

#[wasm_bindgen]
pub fn set_seed(seed: f64) {
    let _ = with(|st| {
        st.seed = seed as u64;
        st.rt.rng = crate::rng::Rng::new(seed as u64);
        Ok(())
    });
}

/// kind: "uniform" (a=min, b=max), "normal" (a=mean, b=std), "truncatedNormal".
#[wasm_bindgen]
pub fn random(kind: &str, shape: Vec<f64>, a: f32, b: f32, seed: Option<f64>) -> std::result::Result<u32, JsError> {
    with(|st| {
        let s = shape_from(kind, &shape)?;
        // Inside a traced function (a custom layer's call, a loss) unseeded normal noise is a
        // recorded op, drawn afresh each time the recording runs (each training step).
        if kind == "normal" && seed.is_none() && st.rt.tracing() {
            use crate::graph::Builder as _;
            let zeros = st.rt.trace_const(Tensor::zeros(&s))?;
            let noise = st.rt.apply(crate::ops::Op::RandomNormal { stddev: b }, &[zeros])?;
            return if a == 0.0 {
                Ok(noise)
            } else {
                let mean = st.rt.constant(Tensor::scalar(a))?;
                st.rt.add(noise, mean)
            };
        }
        let seed = match seed {
            Some(v) => v as u64,
            None => st.next_seed(),
        };
        let mut rng = crate::rng::Rng::new(seed);
        let mut data = crate::tensor::shape::alloc_zeroed(kind, crate::tensor::numel(&s))?;
        match kind {
            "uniform" => data.iter_mut().for_each(|v| *v = a + (b - a) * rng.uniform()),
            "normal" => data.iter_mut().for_each(|v| *v = a + b * rng.normal()),
            "truncatedNormal" => data.iter_mut().for_each(|v| *v = a + b * rng.truncated_normal()),
            _ => return Err(Error::arg("random", format!("unknown distribution '{kind}'"))),
        }
        Ok(st.rt.put(Tensor::new(s, data)?))
    })
}

// ---- tracing user functions ----

/// Starts a trace with placeholders shaped like `args` (a JSON list of [shape, dtype]). With
/// `values` (tensor handles, one per placeholder) it records on those values instead.
#[wasm_bindgen]
pub fn trace_begin(args: &str, values: Option<Vec<u32>>) -> std::result::Result<Vec<u32>, JsError> {
    with_tensors(|st| {
        let v = parse_json("trace", args)?;
        let list = v.as_array().ok_or_else(|| Error::arg("trace", "expected a list of [shape, dtype]"))?;
        let mut specs = vec![];
        for item in list {
            let shape: Vec<f64> =
                item.get(0).and_then(|s| s.as_array()).map(|a| a.iter().filter_map(|d| d.as_f64()).collect()).unwrap_or_default();
            let d = DType::parse(item.get(1).and_then(|d| d.as_str()).unwrap_or("float32"))?;
            specs.push((shape_from("trace", &shape)?, d));
        }
        let values = match &values {
            Some(hs) => Some(hs.iter().map(|&h| st.tensor(h)).collect::<Result<Vec<_>>>()?),
            None => None,
        };
        st.rt.trace_begin(&specs, values)
    })
}

/// Ends the trace (or abandons it, with no output); returns the id of the recorded function.
#[wasm_bindgen]
pub fn trace_end(output: Option<u32>) -> std::result::Result<u32, JsError> {
    with(|st| {
        let f = st.rt.trace_end(output)?;
        let id = st.id();
        st.traced.insert(id, f);
        Ok(id)
    })
}

// ---- models ----

#[wasm_bindgen]
pub fn model_new() -> u32 {
    with(|st| {
        let seed = st.next_seed();
        let id = st.id();
        st.models.insert(id, Sequential::new(seed));
        Ok(id)
    })
    .unwrap_or(0)
}

#[wasm_bindgen]
pub fn model_dispose(m: u32) {
    let _ = with(|st| {
        let _ = st.settle_model(m);
        st.models.remove(&m);
        st.sessions.retain(|_, (mm, _)| *mm != m);
        Ok(())
    });
}

/// A layer from `{className, config}`; a custom JS layer's config carries `__custom: {traced,
/// inputs, output, weights: [{name, shape, initializer, trainable, regularizer, constraint}]}`:
/// its traced call (kept, so the layer can join several models), the feature shapes it was traced
/// for, and the weights its build() asked for.
fn make_layer(st: &State, class: &str, cfg: &Value) -> Result<Box<dyn nn::Layer>> {
    let Some(c) = cfg.get("__custom") else { return nn::from_config(class, cfg) };
    let lname = cfg.get("name").and_then(|n| n.as_str()).unwrap_or(class).to_string();
    let owner = format!("{class} '{lname}'");
    let id = c.get("traced").and_then(|t| t.as_u64()).unwrap_or(0) as u32;
    let traced = st.traced.get(&id).cloned().ok_or_else(|| Error::arg(&owner, "the traced call is gone"))?;
    let shapes = |v: Option<&Value>| -> Result<Vec<Vec<usize>>> {
        serde_json::from_value(v.cloned().unwrap_or(Value::Null)).map_err(|e| Error::arg(&owner, format!("bad shapes: {e}")))
    };
    let inputs = shapes(c.get("inputs"))?;
    let out: Vec<usize> = serde_json::from_value(c.get("output").cloned().unwrap_or(Value::Null)).map_err(|e| Error::arg(&owner, format!("bad output shape: {e}")))?;
    let mut specs = vec![];
    for w in c.get("weights").and_then(|w| w.as_array()).cloned().unwrap_or_default() {
        let wname = w.get("name").and_then(|n| n.as_str()).unwrap_or("weight");
        let shape: Vec<usize> = serde_json::from_value(w.get("shape").cloned().unwrap_or(Value::Null))
            .map_err(|e| Error::arg(&owner, format!("addWeight '{wname}': the shape must be an array of positive integers ({e})")))?;
        let init_v = w.get("initializer").filter(|v| !v.is_null()).cloned().unwrap_or(json!("glorotUniform"));
        let (init, seed) = nn::initializers::Init::parse(&owner, &init_v)?;
        let regularizer = w.get("regularizer").filter(|v| !v.is_null()).map(|v| nn::regularizers::Regularizer::parse(&owner, "regularizer", v)).transpose()?;
        let trainable = w.get("trainable").and_then(|t| t.as_bool()).unwrap_or(true);
        let key = format!("addWeight '{wname}' constraint");
        let constraint = w.get("constraint").filter(|v| !v.is_null()).map(|v| nn::constraints::Constraint::parse(&owner, &key, v)).transpose()?;
        let spec = nn::WeightSpec { name: format!("{lname}/{wname}"), shape, init, seed, trainable, regularizer, constraint: None };
        specs.push(spec.constrained(&owner, &key, constraint)?);
    }
    let mut config = cfg.clone();
    if let Some(o) = config.as_object_mut() {
        o.remove("__custom");
    }
    let custom = nn::custom::Custom::new(class, config, traced, specs, inputs, out)?;
    // A call that depends on the batch size: `byBatch` maps batch sizes to recordings.
    let Some(by) = c.get("byBatch").and_then(|b| b.as_object()) else { return Ok(Box::new(custom)) };
    let mut traces = vec![];
    for (b, id) in by {
        let batch: usize = b.parse().map_err(|_| Error::arg(&owner, format!("bad batch size '{b}'")))?;
        let id = id.as_u64().unwrap_or(0) as u32;
        traces.push((batch, st.traced.get(&id).cloned().ok_or_else(|| Error::arg(&owner, "a recording of the call is gone"))?));
    }
    Ok(Box::new(custom.per_batch(traces)?))
}

/// Gives a custom layer of model `m` (by name) the recording of its call for one more batch size.
#[wasm_bindgen]
pub fn model_add_custom_trace(m: u32, layer: &str, batch: u32, traced: u32) -> std::result::Result<(), JsError> {
    with(|st| {
        let t = st.traced.get(&traced).cloned().ok_or_else(|| Error::arg(layer, "the recording is gone"))?;
        let model = st.model(m)?;
        let entry = model.layers.iter_mut().find(|e| e.layer.name() == layer).ok_or_else(|| Error::arg(layer, "no such layer in the model"))?;
        entry.layer.add_batch_trace(batch as usize, t)
    })
}

/// Validates a layer config without adding it (layer constructors call this, so a bad option
/// throws where the user wrote it).
#[wasm_bindgen]
pub fn layer_validate(class_name: &str, config: &str) -> std::result::Result<(), JsError> {
    with(|_| {
        let cfg = parse_json(class_name, config)?;
        nn::from_config(class_name, &cfg).map(|_| ())
    })
}

/// Adds a layer; returns `{outputShape, inputShape, params, weights: [names]}` as JSON.
#[wasm_bindgen]
pub fn model_add(m: u32, class_name: &str, config: &str) -> std::result::Result<String, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let cfg = parse_json(class_name, config)?;
        let layer = make_layer(st, class_name, &cfg)?;
        let dims = match cfg.get("batchInputShape").or_else(|| cfg.get("inputShape")) {
            Some(Value::Array(a)) => {
                let skip = if cfg.get("batchInputShape").is_some() { 1.min(a.len()) } else { 0 };
                let dims = a[skip..].iter().map(nn::free::dim).collect::<Option<Vec<_>>>();
                let dims = dims.ok_or_else(|| Error::arg(class_name, format!("the input shape must be a list of positive integers or null, received {}", Value::Array(a.clone()))))?;
                crate::tensor::shape::checked_numel(class_name, &nn::free::fill(&dims, 1))?;
                Some(dims)
            }
            _ => None,
        };
        let model = st.model(m)?;
        // As in TF.js, only the first layer's inputShape defines the input; later ones are ignored.
        let dims = if model.layers.is_empty() { dims } else { None };
        model.add_with_free(layer, dims)?;
        let i = model.layers.len() - 1;
        Ok(layer_info(model, i).to_string())
    })
}

/// A layer's shapes as a user sees them (free dims as null) and its weights.
fn layer_info(model: &Sequential, i: usize) -> Value {
    let e = &model.layers[i];
    let (ins, outs) = model.shown_shapes(i);
    json!({
        "inputShape": ins[0], "inputShapes": ins, "outputShape": outs[0], "outputShapes": outs,
        "weights": e.weights.iter().map(|&w| json!({"name": model.weights[w].name, "shape": model.weights[w].value.shape, "state": model.weights[w].state})).collect::<Vec<_>>(),
    })
}

/// Shape inference for `layer.apply(symbolicTensor)`: builds the layer on `inputs` (a JSON list
/// of feature shapes, batch excluded) and returns its output's feature shape. Errors name the
/// layer and the shapes, where the user wrote the call.
#[wasm_bindgen]
pub fn layer_output_shape(class_name: &str, config: &str, inputs: &str) -> std::result::Result<String, JsError> {
    with(|_| {
        let cfg = parse_json(class_name, config)?;
        let shapes = nn::free::parse_shapes(class_name, inputs)?;
        let inferred = nn::free::infer(|| nn::from_config(class_name, &cfg), &shapes)?;
        Ok(serde_json::to_string(&inferred.outputs).unwrap_or_default())
    })
}

/// The shapes of the weights a layer builds for `inputs` (a JSON list of feature shapes): a
/// built layer compares them with its own to accept or refuse a new input.
#[wasm_bindgen]
pub fn layer_weight_shapes(class_name: &str, config: &str, inputs: &str) -> std::result::Result<String, JsError> {
    with(|_| {
        let cfg = parse_json(class_name, config)?;
        let shapes = nn::free::parse_shapes(class_name, inputs)?;
        let inferred = nn::free::infer(|| nn::from_config(class_name, &cfg), &shapes)?;
        Ok(serde_json::to_string(&inferred.weights).unwrap_or_default())
    })
}

/// Builds a model with free input dims (null steps) for the feature shapes of the tensors a run
/// brings (`[[...], ...]`, one per input); the next fit, evaluate, predict or apply uses them.
#[wasm_bindgen]
pub fn model_use_shapes(m: u32, shapes: &str) -> std::result::Result<(), JsError> {
    with(|st| {
        let shapes: Vec<Vec<usize>> = serde_json::from_str(shapes).map_err(|e| Error::arg("model", format!("bad input shapes: {e}")))?;
        if st.model(m)?.free.is_none() {
            return Ok(());
        }
        st.settle_model(m)?;
        st.model(m)?.use_input_shapes(&shapes)
    })
}

/// The feature shape of each of the model's outputs, as the layers are built now.
#[wasm_bindgen]
pub fn model_output_shapes(m: u32) -> std::result::Result<String, JsError> {
    with(|st| Ok(serde_json::to_string(&st.model(m)?.output_shapes()?).unwrap_or_default()))
}

/// A functional model from `{layers: [{className, config}], inputs: [{layer, dtype}],
/// nodes: [{layer, inputs: [["input"|"node", index]]}], outputs: [["input"|"node", index]]}`.
/// Returns `{id, layers: [{inputShape, inputShapes, outputShape, weights}]}` as JSON.
#[wasm_bindgen]
pub fn model_new_functional(config: &str) -> std::result::Result<String, JsError> {
    with(|st| {
        let cfg = parse_json("model", config)?;
        let list = |k: &str| cfg.get(k).and_then(|v| v.as_array()).cloned().ok_or_else(|| Error::arg("model", format!("{k} is missing")));
        let mut layers = vec![];
        for l in list("layers")? {
            let class = l.get("className").and_then(|c| c.as_str()).unwrap_or("");
            layers.push(make_layer(st, class, l.get("config").unwrap_or(&Value::Null))?);
        }
        let parse_ref = |v: &Value| -> Result<crate::model::Ref> {
            let kind = v.get(0).and_then(|k| k.as_str()).unwrap_or("");
            let i = v.get(1).and_then(|i| i.as_u64()).unwrap_or(u64::MAX) as usize;
            let o = v.get(2).map(|o| o.as_u64().unwrap_or(u64::MAX) as usize).unwrap_or(0);
            match kind {
                "input" => Ok(crate::model::Ref::Input(i)),
                "node" => Ok(crate::model::Ref::Node(i, o)),
                _ => Err(Error::arg("model", format!("bad connection {v}"))),
            }
        };
        let mut inputs = vec![];
        for i in list("inputs")? {
            let layer = i.get("layer").and_then(|l| l.as_u64()).unwrap_or(u64::MAX) as usize;
            let dtype = DType::parse(i.get("dtype").and_then(|d| d.as_str()).unwrap_or("float32"))?;
            inputs.push((layer, dtype));
        }
        let mut nodes = vec![];
        for n in list("nodes")? {
            let layer = n.get("layer").and_then(|l| l.as_u64()).unwrap_or(u64::MAX) as usize;
            let refs = n.get("inputs").and_then(|r| r.as_array()).cloned().unwrap_or_default();
            nodes.push((layer, refs.iter().map(parse_ref).collect::<Result<Vec<_>>>()?));
        }
        let outputs = list("outputs")?.iter().map(parse_ref).collect::<Result<Vec<_>>>()?;
        let seed = st.next_seed();
        let model = Sequential::functional(seed, layers, inputs, nodes, outputs)?;
        let info: Vec<Value> = (0..model.layers.len()).map(|i| layer_info(&model, i)).collect();
        let id = st.id();
        st.models.insert(id, model);
        Ok(json!({"id": id, "layers": info}).to_string())
    })
}

/// The targets' feature shapes and dtypes of a model with several outputs (`[[shape, dtype]]`):
/// fit and evaluate receive them packed side by side in one y.
#[wasm_bindgen]
pub fn model_set_y_layout(m: u32, layout: &str) -> std::result::Result<(), JsError> {
    with(|st| {
        let v: Vec<(Vec<usize>, String)> = serde_json::from_str(layout).map_err(|e| Error::arg("fit", format!("bad target layout: {e}")))?;
        let parts = v.into_iter().map(|(s, d)| Ok((s, DType::parse(&d)?))).collect::<Result<Vec<_>>>()?;
        st.settle_model(m)?;
        st.model(m)?.set_y_layout(parts);
        Ok(())
    })
}

/// The summary lines; `line_length` 0 and an empty `positions` give TF.js's defaults.
#[wasm_bindgen]
pub fn model_summary(m: u32, line_length: u32, positions: Vec<f64>) -> std::result::Result<String, JsError> {
    with(|st| {
        let model = st.model(m)?;
        let (dw, dp) = model.summary_defaults();
        let width = if line_length == 0 { dw } else { line_length as usize };
        if width > 1000 {
            return Err(Error::arg("summary", format!("lineLength must be at most 1000, received {line_length}")));
        }
        let pos = match positions.len() {
            0 => dp,
            n if n == dp.len() => positions.clone(),
            n => return Err(Error::arg("summary", format!("positions must list {} column stops, received {n}", dp.len()))),
        };
        if pos.iter().any(|p| !p.is_finite() || *p < 0.0 || *p > 1000.0) || pos.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::arg("summary", format!("positions must be non-negative and increasing, received {positions:?}")));
        }
        Ok(model.summary_lines_with(width, &pos).join("\n"))
    })
}

#[wasm_bindgen]
pub fn model_count_params(m: u32) -> std::result::Result<Vec<f64>, JsError> {
    with(|st| {
        let (t, n) = st.model(m)?.count_params();
        Ok(vec![t as f64, n as f64])
    })
}

/// The trained weights' indices, in the order the optimizer keeps their state.
fn trained_weights(model: &Sequential) -> Vec<usize> {
    (0..model.weights.len()).filter(|&i| model.weights[i].trainable).collect()
}

/// A compiled model's optimizer state: `{iterations, slots, weights: [{name, shape}]}` for the
/// trained weights, in the order TF.js saves optimizer weights.
#[wasm_bindgen]
pub fn model_optimizer_info(m: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let model = st.model(m)?;
        let c = model.compiled.as_ref().ok_or_else(|| Error::arg("save", "the model is not compiled, so it has no optimizer state"))?;
        let ws: Vec<Value> = trained_weights(model).into_iter().map(|i| json!({"name": model.weights[i].name, "shape": model.weights[i].value.shape})).collect();
        Ok(json!({"iterations": c.optimizer.iterations, "slots": c.optimizer.num_slots(), "weights": ws}).to_string())
    })
}

/// The first `count` slots of every trained weight, slot by slot (all weights' slot 0, then
/// slot 1, ...), as tensors of the weights' shapes; zeros where no step has made them yet.
#[wasm_bindgen]
pub fn model_optimizer_slots(m: u32, count: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let model = st.model(m)?;
        let trained = trained_weights(model);
        let shapes: Vec<Vec<usize>> = trained.iter().map(|&i| model.weights[i].value.shape.clone()).collect();
        let opt = &mut model.compiled.as_mut().ok_or_else(|| Error::arg("save", "the model is not compiled"))?.optimizer;
        let count = (count as usize).min(opt.num_slots());
        let mut out = vec![];
        for j in 0..count {
            for (k, shape) in shapes.iter().enumerate() {
                let n = crate::tensor::numel(shape);
                out.push(Tensor::new(shape.clone(), opt.slots_of(k, n)[j].clone())?);
            }
        }
        Ok(out.into_iter().map(|t| st.rt.put(t)).collect())
    })
}

/// Restores a compiled model's optimizer state: the step count and, slot by slot, the first
/// slots of every trained weight (as [`model_optimizer_slots`] gives them; later slots stay
/// zero).
#[wasm_bindgen]
pub fn model_set_optimizer_state(m: u32, iterations: f64, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let ts = handles.iter().map(|&h| st.tensor(h)).collect::<Result<Vec<_>>>()?;
        let model = st.model(m)?;
        let trained = trained_weights(model);
        let shapes: Vec<Vec<usize>> = trained.iter().map(|&i| model.weights[i].value.shape.clone()).collect();
        let names: Vec<String> = trained.iter().map(|&i| model.weights[i].name.clone()).collect();
        let opt = &mut model.compiled.as_mut().ok_or_else(|| Error::arg("loadLayersModel", "the model is not compiled"))?.optimizer;
        let nt = shapes.len();
        if !(iterations.is_finite() && iterations >= 0.0) {
            return Err(Error::arg("loadLayersModel", format!("the optimizer's step count must be a non-negative integer, received {iterations}")));
        }
        // (A model with every layer frozen saves only the step count.)
        if (nt == 0 && !ts.is_empty()) || (nt > 0 && (ts.len() % nt != 0 || ts.len() / nt > opt.num_slots())) {
            return Err(Error::arg(
                "loadLayersModel",
                format!("the optimizer state has {} tensors; expected up to {} slots for each of the {nt} trained weights", ts.len(), opt.num_slots()),
            ));
        }
        for (idx, t) in ts.iter().enumerate() {
            let k = idx % nt;
            if t.shape != shapes[k] {
                return Err(Error::shape(
                    "loadLayersModel",
                    format!("optimizer slot {} of weight '{}' has shape {}, the weight has shape {}", idx / nt, names[k], fmt_shape(&t.shape), fmt_shape(&shapes[k])),
                ));
            }
            if let Some(i) = t.first_non_finite() {
                return Err(Error::data("loadLayersModel", format!("optimizer slot {} of weight '{}' has a non-finite value at index {i}", idx / nt, names[k])));
            }
        }
        opt.reset();
        for (idx, t) in ts.into_iter().enumerate() {
            let k = idx % nt;
            let n = t.data.len();
            opt.slots_of(k, n)[idx / nt] = t.data;
        }
        // Slots with nothing saved for them start as the optimizer starts them.
        for (k, shape) in shapes.iter().enumerate() {
            opt.slots_of(k, crate::tensor::numel(shape));
        }
        opt.iterations = iterations as u64;
        model.gpu = None;
        Ok(())
    })
}

/// Zeroes the carried states of the model's stateful layers (`layer` < 0: all of them).
/// Copies of the states a stateful layer carries.
#[wasm_bindgen]
pub fn model_layer_states(m: u32, layer: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let ts = st.model(m)?.states(layer as usize)?;
        Ok(ts.into_iter().map(|t| st.rt.put(t)).collect())
    })
}

/// Sets the states a stateful layer carries.
#[wasm_bindgen]
pub fn model_set_layer_states(m: u32, layer: u32, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let ts = handles.iter().map(|&h| st.rt.get(h).cloned()).collect::<Result<Vec<_>>>()?;
        st.model(m)?.set_states(layer as usize, ts)
    })
}

#[wasm_bindgen]
pub fn model_reset_states(m: u32, layer: i32) -> std::result::Result<(), JsError> {
    with(|st| {
        st.settle_model(m)?;
        let model = st.model(m)?;
        if layer >= 0 && layer as usize >= model.layers.len() {
            return Err(Error::arg("resetStates", format!("layer {layer} is out of range")));
        }
        model.reset_states((layer >= 0).then_some(layer as usize));
        Ok(())
    })
}

#[wasm_bindgen]
pub fn model_set_trainable(m: u32, layer: u32, trainable: bool) -> std::result::Result<(), JsError> {
    with(|st| {
        st.settle_model(m)?;
        st.model(m)?.set_trainable(layer as usize, trainable);
        Ok(())
    })
}

/// Checks a learning-rate schedule where the user writes it (`tf.train.schedules.*`).
#[wasm_bindgen]
pub fn schedule_validate(config: &str) -> std::result::Result<(), JsError> {
    let v = parse_json("schedule", config).map_err(JsError::from)?;
    crate::optim::Schedule::parse("tf.train.schedules", &v).map(|_| ()).map_err(JsError::from)
}

/// Checks a Keras loss class's options where the user writes them (`new tf.losses.Huber({...})`).
#[wasm_bindgen]
pub fn loss_validate(config: &str) -> std::result::Result<(), JsError> {
    let v = parse_json("loss", config).map_err(JsError::from)?;
    Loss::from_config(&v).map(|_| ()).map_err(JsError::from)
}

/// compile: its options as JSON (see [`Compiled::from_json`]). With `check_only`, everything is
/// validated and nothing changes (compile's early checks when user functions are traced later,
/// at the first fit).
#[wasm_bindgen]
pub fn model_compile(m: u32, config: &str, check_only: bool) -> std::result::Result<(), JsError> {
    with(|st| {
        let cfg = parse_json("compile", config)?;
        let model = st.models.get(&m).ok_or_else(|| Error::NotFound(format!("model #{m} has been disposed")))?;
        let traced = &mut st.traced;
        let compiled = Compiled::from_json(model, &cfg, |id| traced.remove(&id))?;
        if !check_only {
            st.settle_model(m)?;
            st.model(m)?.compile(compiled);
        }
        Ok(())
    })
}

/// The log keys of the compiled model: ["loss", "acc", ...].
#[wasm_bindgen]
pub fn model_metric_keys(m: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        let model = st.model(m)?;
        let keys = model.compiled.as_ref().map(|c| c.keys()).unwrap_or_else(|| vec!["loss".to_string()]);
        Ok(serde_json::to_string(&keys).unwrap_or_default())
    })
}

#[wasm_bindgen]
pub fn model_set_learning_rate(m: u32, lr: f32) -> std::result::Result<(), JsError> {
    with(|st| {
        let model = st.model(m)?;
        let c = model.compiled.as_mut().ok_or_else(|| Error::arg("optimizer", "the model is not compiled"))?;
        // A plain rate set later replaces a schedule, as assigning a float does in Keras.
        c.optimizer.lr = lr;
        c.optimizer.schedule = None;
        Ok(())
    })
}

#[wasm_bindgen]
pub fn model_get_weights(m: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        let model = st.model(m)?;
        let ws: Vec<Tensor> = model.weight_indices().into_iter().map(|i| model.weights[i].value.clone()).collect();
        Ok(ws.into_iter().map(|t| st.rt.put(t)).collect())
    })
}

#[wasm_bindgen]
pub fn model_set_weights(m: u32, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let ts = handles.iter().map(|&h| st.tensor(h)).collect::<Result<Vec<_>>>()?;
        st.model(m)?.set_weights(ts)
    })
}

/// Copies of one layer's weights (shared layers copy them between the models that hold them).
#[wasm_bindgen]
pub fn model_layer_weights(m: u32, layer: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let model = st.model(m)?;
        let e = model.layers.get(layer as usize).ok_or_else(|| Error::arg("getWeights", format!("layer {layer} is out of range")))?;
        let ws: Vec<Tensor> = e.weights.iter().map(|&w| model.weights[w].value.clone()).collect();
        Ok(ws.into_iter().map(|t| st.rt.put(t)).collect())
    })
}

#[wasm_bindgen]
pub fn model_set_layer_weights(m: u32, layer: u32, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let ts = handles.iter().map(|&h| st.tensor(h)).collect::<Result<Vec<_>>>()?;
        let model = st.model(m)?;
        let e = model.layers.get(layer as usize).ok_or_else(|| Error::arg("setWeights", format!("layer {layer} is out of range")))?;
        let idx = e.weights.clone();
        if ts.len() != idx.len() {
            return Err(Error::arg("setWeights", format!("{} has {} weights, received {}", nn::describe(e.layer.as_ref()), idx.len(), ts.len())));
        }
        let order = model.weight_indices();
        let mut all: Vec<Tensor> = order.iter().map(|&i| model.weights[i].value.clone()).collect();
        for (i, t) in idx.into_iter().zip(ts) {
            if let Some(k) = order.iter().position(|&o| o == i) {
                all[k] = t;
            }
        }
        model.set_weights(all)
    })
}

/// On WebGPU the result is computed on the GPU and read back asynchronously (`data()`); a
/// synchronous read before it arrives computes it on the CPU from the mirrored weights.
#[wasm_bindgen]
pub fn model_predict(m: u32, x: u32, batch_size: u32) -> std::result::Result<u32, JsError> {
    with_tensors(|st| {
        let xt = st.rt.get_rc(x)?;
        let batch = batch_size.max(1) as usize;
        // A stateful model predicts on the CPU mirror, which holds its carried states (the
        // GPU's copy follows on its next use).
        if let (Some(gpu), false) = (st.active_gpu(), st.model(m)?.stateful()) {
            match gpu_predict(st.model(m)?, &gpu, &xt, batch) {
                Ok((shape, read)) => {
                    let h = st.rt.put_pending(shape, DType::F32);
                    let fallback = Fallback::Predict { model: m, x: xt, batch };
                    st.pending.insert(h, PendingEntry { read, part: 0, index: None, scale: 1.0, fallback });
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

fn gpu_predict(model: &mut Sequential, gpu: &Arc<Gpu>, x: &Tensor, batch: usize) -> Result<(Vec<usize>, Rc<RefCell<SharedRead>>)> {
    trainer::check_predict(model, x)?;
    let mut shape = vec![x.shape[0]];
    shape.extend(model.output_shape()?);
    let total = crate::tensor::shape::checked_numel("predict", &shape)?;
    gpu.check_size("predict output (all samples at once; predict fewer samples per call, or use the CPU backend)", total)?;
    let mut g = match model.gpu.take() {
        Some(g) => g,
        None => crate::model::gpu::GpuModel::new(gpu, model)?,
    };
    let out = gpu.storage(total.max(1));
    let (n, row) = (x.shape[0], crate::tensor::numel(&x.shape[1..]));
    let orow = total / n.max(1);
    let mut start = 0;
    let mut r = Ok(());
    while start < n && r.is_ok() {
        let b = batch.min(n - start);
        let seed = model.rng.next_u32();
        r = g.predict_batch(model, &x.data[start * row..(start + b) * row], &out, (start * orow) as u64, seed);
        start += b;
    }
    model.gpu = Some(g);
    r?;
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    let mut rb = gpu.readback(&mut enc, &[(&out, 0, total)]);
    gpu.queue.submit([enc.finish()]);
    rb.start();
    gpu.check("predict")?;
    Ok((shape, Rc::new(RefCell::new(SharedRead { rb: Some(rb), result: None, cpu: None, buffer: Some((gpu.clone(), out)) }))))
}

/// The loss and each metric. On WebGPU they are computed there and come back as pending scalar
/// handles; on the CPU as plain scalar handles.
#[wasm_bindgen]
pub fn model_evaluate(m: u32, x: u32, y: u32, batch_size: u32) -> std::result::Result<Vec<u32>, JsError> {
    with_tensors(|st| {
        let (xt, yt) = (st.rt.get_rc(x)?, st.rt.get_rc(y)?);
        let batch = batch_size.max(1) as usize;
        if let (Some(gpu), false) = (st.active_gpu(), st.model(m)?.per_step() || st.model(m)?.stateful()) {
            match gpu_evaluate(st.model(m)?, &gpu, &xt, &yt, batch) {
                Ok((k, read)) => {
                    let n = xt.shape[0] as f32;
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

fn gpu_evaluate(model: &mut Sequential, gpu: &Arc<Gpu>, x: &Tensor, y: &Tensor, batch: usize) -> Result<(usize, Rc<RefCell<SharedRead>>)> {
    trainer::check_data(model, "evaluate", x, y)?;
    let mut g = match model.gpu.take() {
        Some(g) => g,
        None => crate::model::gpu::GpuModel::new(gpu, model)?,
    };
    g.clear_sums(crate::model::gpu::EVAL);
    let (n, xr, yr) = (x.shape[0], crate::tensor::numel(&x.shape[1..]), crate::tensor::numel(&y.shape[1..]));
    let mut start = 0;
    let mut r = Ok(());
    while start < n && r.is_ok() {
        let b = batch.min(n - start);
        let (xs, ys) = (&x.data[start * xr..(start + b) * xr], &y.data[start * yr..(start + b) * yr]);
        r = g.step(model, crate::model::PlanKind::Eval, &[xs, ys], (&y.shape[1..], y.dtype), 0, crate::model::gpu::EVAL);
        start += b;
    }
    let k = g.k;
    let mut enc = gpu.device.create_command_encoder(&Default::default());
    let mut rb = g.read_sums(&mut enc, crate::model::gpu::EVAL);
    model.gpu = Some(g);
    r?;
    gpu.queue.submit([enc.finish()]);
    rb.start();
    gpu.check("evaluate")?;
    Ok((k, Rc::new(RefCell::new(SharedRead { rb: Some(rb), result: None, cpu: None, buffer: None }))))
}

/// Starts `fit`. Options: {epochs, batchSize, shuffle, validationSplit, initialEpoch, seed}.
/// `vx`/`vy` are validation tensors or 0.
#[wasm_bindgen]
pub fn fit_begin(m: u32, x: u32, y: u32, vx: u32, vy: u32, options: &str) -> std::result::Result<u32, JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let o = parse_json("fit", options)?;
        let opts = nn::Opts::new("fit", &o);
        let num = |k: &str, d: f64| -> Result<f64> {
            match opts.get(k) {
                None => Ok(d),
                Some(v) => v
                    .as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .ok_or_else(|| Error::arg("fit", format!("{k} must be a non-negative number, received {k}={v}"))),
            }
        };
        let seed = match o.get("seed").and_then(|s| s.as_f64()) {
            Some(s) => s as u64,
            None => st.next_seed(),
        };
        let fo = FitOptions {
            epochs: num("epochs", 1.0)? as usize,
            batch_size: num("batchSize", 32.0)? as usize,
            shuffle: opts.bool_or("shuffle", true)?,
            validation_split: num("validationSplit", 0.0)?,
            initial_epoch: num("initialEpoch", 0.0)? as usize,
            seed,
            report_batches: opts.bool_or("reportBatches", true)?,
            class_weight: class_weight(o.get("classWeight"))?,
        };
        let (xt, yt) = (st.tensor(x)?, st.tensor(y)?);
        let val = if vx != 0 && vy != 0 { Some((st.tensor(vx)?, st.tensor(vy)?)) } else { None };
        let mut session = FitSession::new(st.model(m)?, xt, yt, val, fo)?;
        if let Some(gpu) = st.active_gpu() {
            match session.use_gpu(gpu, st.model(m)?) {
                Ok(_) => {}
                Err(Error::Device(e)) => st.lose_gpu(&e),
                Err(e) => return Err(e),
            }
        }
        let id = st.id();
        st.sessions.insert(id, (m, session));
        Ok(id)
    })
}

/// `{"0": 1, "1": 5}` (TF.js's classWeight) as a dense vector indexed by class.
fn class_weight(v: Option<&Value>) -> Result<Option<Vec<f32>>> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(None) };
    let o = v.as_object().ok_or_else(|| Error::arg("fit", format!("classWeight must be an object like {{0: 1, 1: 5}}, received {v}")))?;
    let mut out: Vec<f32> = vec![];
    for (k, w) in o {
        let class: usize = k
            .parse()
            .ok()
            .filter(|c| *c < 1_000_000)
            .ok_or_else(|| Error::arg("fit", format!("classWeight keys must be class indices, received '{k}'")))?;
        let w = w.as_f64().ok_or_else(|| Error::arg("fit", format!("classWeight[{k}] must be a number, received {w}")))? as f32;
        if out.len() <= class {
            out.resize(class + 1, 1.0);
        }
        out[class] = w;
    }
    Ok(Some(out))
}

/// `{samples, batches, keys, validation}`.
#[wasm_bindgen]
pub fn fit_info(s: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        let (_, sess) = st.sessions.get(&s).ok_or_else(|| Error::NotFound("fit session ended".into()))?;
        Ok(json!({"samples": sess.samples(), "batches": sess.batches_per_epoch(), "keys": sess.keys, "validation": sess.has_validation()})
            .to_string())
    })
}

/// Runs up to `max_batches` batches; returns the events as JSON.
#[wasm_bindgen]
pub fn fit_run(s: u32, max_batches: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        let (m, mut sess) = st.sessions.remove(&s).ok_or_else(|| Error::NotFound("fit session ended".into()))?;
        let r = match st.models.get_mut(&m) {
            Some(model) => sess.run(model, max_batches as usize),
            None => Err(Error::NotFound(format!("model #{m} has been disposed"))),
        };
        if let Ok(evs) = &r {
            for e in evs {
                if let trainer::Event::DeviceLost { message } = e {
                    st.lose_gpu(message);
                }
            }
        }
        // A request for per-step recordings carries (yTrue, yPred) as tensor handles.
        let pending = match (&r, sess.take_pending()) {
            (Ok(_), Some((yt, yp))) => Some((st.rt.put(yt), st.rt.put(yp))),
            _ => None,
        };
        if r.is_ok() && !sess.finished() {
            st.sessions.insert(s, (m, sess));
        } else if r.is_err() {
            // The session ends here: keep the weights the mirror has, not a GPU copy ahead of it.
            if let Some(model) = st.models.get_mut(&m) {
                sess.abandon(model);
            }
        }
        r.map(|ev| {
            let mut v = serde_json::to_value(&ev).unwrap_or(Value::Null);
            if let (Some((yt, yp)), Some(last)) = (pending, v.as_array_mut().and_then(|a| a.last_mut())) {
                last["yTrue"] = json!(yt);
                last["yPred"] = json!(yp);
            }
            v.to_string()
        })
    })
}

/// Hands this step's recordings to a session that asked for them: `{loss: id|null, metrics: [id|null]}`.
#[wasm_bindgen]
pub fn fit_supply(s: u32, fns: &str) -> std::result::Result<(), JsError> {
    with(|st| {
        let v = parse_json("fit", fns)?;
        let mut take = |x: &Value| -> Result<Option<TracedFn>> {
            match x.as_u64() {
                Some(id) => st.traced.remove(&(id as u32)).map(Some).ok_or_else(|| Error::arg("fit", "a recorded function is gone")),
                None => Ok(None),
            }
        };
        let phase = if v["phase"].as_str() == Some("val") { Phase::Val } else { Phase::Train };
        let loss = take(&v["loss"])?;
        let metrics = v["metrics"].as_array().cloned().unwrap_or_default().iter().map(&mut take).collect::<Result<Vec<_>>>()?;
        let (_, sess) = st.sessions.get_mut(&s).ok_or_else(|| Error::NotFound("fit session ended".into()))?;
        sess.supply(StepFns { phase, loss, metrics });
        Ok(())
    })
}

/// Forgets a recorded function that will not be used (its user code failed part-way).
#[wasm_bindgen]
pub fn traced_drop(id: u32) {
    let _ = with(|st| {
        st.traced.remove(&id);
        Ok(())
    });
}

/// True when two recordings of one function (made at different batch sizes) are the same ops
/// with the same constants: then the function does not depend on the batch size and one trace
/// serves every batch. Both are kept; drop the one not used.
#[wasm_bindgen]
pub fn traced_same(a: u32, b: u32) -> bool {
    with(|st| Ok(matches!((st.traced.get(&a), st.traced.get(&b)), (Some(x), Some(y)) if x.same_structure(y)))).unwrap_or(false)
}

#[wasm_bindgen]
pub fn fit_stop(s: u32) {
    let _ = with(|st| {
        if let Some((_, sess)) = st.sessions.get_mut(&s) {
            sess.stop();
        }
        Ok(())
    });
}

#[wasm_bindgen]
pub fn fit_end(s: u32) {
    let _ = with(|st| {
        // A GPU session abandoned part-way (a callback threw): the GPU copy may be ahead of the
        // mirrored weights; drop it so every read and the next fit agree with the mirror.
        if let Some((m, mut sess)) = st.sessions.remove(&s) {
            if let Some(model) = st.models.get_mut(&m) {
                sess.abandon(model);
            }
        }
        Ok(())
    });
}

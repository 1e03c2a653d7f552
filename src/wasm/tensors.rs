//! Tensors, ops, random values, tracing of user functions, the backend and the WebGPU device.

use super::{ops, parse_json, shape_from, with, with_tensors};
use crate::backend::gpu::Gpu;
use crate::engine::pending::Status;
use crate::error::Error;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

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
    with(|st| st.tensor_data(h))
}

/// Starts computing lazy tensor `h` on the GPU for an asynchronous read; false when there is
/// nothing to compute there (its value is known, or the CPU backend is active).
#[wasm_bindgen]
pub fn tensor_gpu_read(h: u32) -> std::result::Result<bool, JsError> {
    with(|st| Ok(st.start_gpu_read(h)))
}

/// 0: an ordinary tensor; 1: the GPU is still computing it; 2: the GPU's value has arrived.
#[wasm_bindgen]
pub fn tensor_pending(h: u32) -> u8 {
    with(|st| Ok(st.pending_status(h))).unwrap_or(Status::Ready) as u8
}

/// Whether `h`'s value waits on the GPU (asks nothing of it, unlike `tensor_pending`).
#[wasm_bindgen]
pub fn tensor_waits_on_gpu(h: u32) -> bool {
    with(|st| Ok(st.rt.is_pending(h))).unwrap_or(false)
}

// ---- WebGPU ----

/// Opens the WebGPU device; resolves to the adapter's name. The backend stays as it is. A
/// non-zero `max_binding` (bytes) opens a fresh device with at most that storage binding size.
#[wasm_bindgen]
pub async fn gpu_init(max_binding: f64) -> std::result::Result<String, JsError> {
    if max_binding > 0.0 {
        let _ = with(|st| {
            st.drop_gpu();
            Ok(())
        });
    }
    if let Some(name) = with(|st| Ok(st.gpu_name())).ok().flatten() {
        return Ok(name);
    }
    let gpu = Gpu::open_with(max_binding.max(0.0) as u64).await.map_err(|e| JsError::new(&e.to_string()))?;
    let name = gpu.name.clone();
    with(move |st| {
        st.set_gpu(Arc::new(gpu));
        Ok(())
    })?;
    Ok(name)
}

/// "cpu" or "webgpu" (which needs `gpu_init` first).
#[wasm_bindgen]
pub fn set_backend(name: &str) -> std::result::Result<(), JsError> {
    with(|st| st.set_backend(name))
}

#[wasm_bindgen]
pub fn get_backend() -> String {
    with(|st| Ok(st.backend().to_string())).unwrap_or_else(|_| "cpu".into())
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
        st.dispose_tensor(h);
        Ok(())
    });
}

#[wasm_bindgen]
pub fn tensor_exists(h: u32) -> bool {
    with(|st| Ok(st.rt.exists(h))).unwrap_or(false)
}

/// [live tensors, bytes, models, model weight bytes, GPU pool bytes, GPU model bytes]
#[wasm_bindgen]
pub fn memory_stats() -> Vec<f64> {
    with(|st| Ok(st.memory_stats())).unwrap_or_default()
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
        st.set_seed(seed as u64);
        Ok(())
    });
}

/// kind: "uniform" (a=min, b=max), "normal" (a=mean, b=std), "truncatedNormal".
#[wasm_bindgen]
pub fn random(kind: &str, shape: Vec<f64>, a: f32, b: f32, seed: Option<f64>) -> std::result::Result<u32, JsError> {
    with(|st| {
        let s = shape_from(kind, &shape)?;
        st.random(kind, s, a, b, seed.map(|v| v as u64))
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
            Some(hs) => Some(st.tensors(hs)?),
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

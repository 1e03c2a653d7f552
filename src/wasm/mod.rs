//! The only `#[wasm_bindgen]` surface: it converts arguments and results around
//! [`crate::engine::Engine`], which holds the state and does the work. Integer handles and
//! typed arrays cross the boundary; every engine error becomes a JS `Error` with the engine's
//! message, and nothing here can panic on bad input (a panic would abort the instance and lose
//! every model in it).
//!
//! - `tensors`: tensors, ops, random values, tracing, the backend and the WebGPU device.
//! - `models`: building, compiling and inspecting models; weights, states, optimizer state;
//!   predict and evaluate.
//! - `fit`: fit sessions and the per-step recordings they ask for.
//! - `grad`: custom training loops (gradients, variables, optimizer steps, `model.apply`).
//! - `ops`: the named ops behind `tf.*`.

mod fit;
mod grad;
mod models;
mod ops;
mod tensors;

use crate::engine::Engine;
use crate::error::{Error, Result};
use serde_json::Value;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static STATE: RefCell<Engine> = RefCell::new(Engine::default());
}

fn with<T>(f: impl FnOnce(&mut Engine) -> Result<T>) -> std::result::Result<T, JsError> {
    STATE.with(|s| match s.try_borrow_mut() {
        Ok(mut st) => f(&mut st).map_err(|e| JsError::new(&e.to_string())),
        Err(_) => Err(JsError::new("Hebb engine is busy (re-entrant call)")),
    })
}

/// Like [`with`], for calls that read tensors: a tensor still being computed on the GPU is
/// finished first and the call is made again (see [`Engine::finishing`]).
fn with_tensors<T>(f: impl FnMut(&mut Engine) -> Result<T>) -> std::result::Result<T, JsError> {
    with(move |st| st.finishing(f))
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

/// Numbers this engine's handles (tensors, models, fit sessions, recordings) from `base` on:
/// the JS side calls it on an engine started after the previous one trapped, so handles made
/// before never name anything in the new one.
#[wasm_bindgen]
pub fn engine_number_from(base: u32) {
    let _ = with(|st| {
        st.number_from(base);
        Ok(())
    });
}

/// Test hook: traps the instance, as an engine bug would (the JS side then starts a fresh one).
#[wasm_bindgen]
pub fn debug_trap() {
    #[allow(clippy::panic)] // the point of the hook: a trap the JS recovery is tested against
    {
        panic!("debug trap");
    }
}

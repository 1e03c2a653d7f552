//! Hebb: Keras-style deep learning that trains inside a browser tab.
//!
//! Where things live:
//! - [`tensor`]: shapes, dtypes, the `Tensor` value type.
//! - [`ops`]: the op set; each family holds its shape rule, CPU kernel and backward rule.
//! - [`graph`]: the symbolic graph, reverse-mode autodiff, and the planned, replayable step.
//! - [`backend`]: the compute primitives (SIMD vector type, packed GEMM).
//! - [`eager`]: the runtime behind JS tensor handles: immediate ops, tracing of user functions.
//! - [`nn`]: layers, activations, initializers. [`optim`]: optimizers. [`losses`], [`metrics`].
//! - [`model`]: models (a graph of layer calls; a Sequential is a chain): the model type and
//!   its building in `model/mod.rs`, the forward pass (`model::forward`), the planned steps and
//!   their cache (`model::plan`), weights, carried states and optimizer state (`model::weights`),
//!   compile (`model::compile`), summary, the wiring and free input dims (`model::shapes`),
//!   `apply` on tensors for custom loops (`model::apply`), and the trainer that runs `fit` inside
//!   the engine: the loop in `model::trainer` (its options in `trainer/options.rs`, the checks
//!   on the data in `trainer/checks.rs`), its CPU step in `trainer/cpu_step.rs` and its GPU step
//!   in `trainer/gpu_step.rs`; the GPU copy of a model
//!   in `model::gpu`, predict and evaluate on it without waiting in `model::gpu_run`.
//! - [`engine`]: the state behind the JS API as plain Rust (tensors by handle, models, fit
//!   sessions, recorded functions, the WebGPU device): models from the API's JSON
//!   (`engine::layers`), results pending on the GPU and how a read finishes them
//!   (`engine::pending`), lazy eager tensors computed on the GPU (`engine::lazy`).
//! - `wasm` (wasm32 only): the one `#[wasm_bindgen]` surface, converting arguments and results
//!   around [`engine::Engine`] (`wasm/tensors.rs`, `models.rs`, `fit.rs`, `grad.rs`, `ops.rs`);
//!   every error becomes a JS `Error`.

// No panics on the engine's paths (a panic traps the WebAssembly instance, ending every model in
// the tab): a missing value is an `Err` (`Error::internal` for the engine's own invariants).
// Each remaining allowance says why it holds. Indexing is denied in the modules that read what
// callers send (see `clippy::indexing_slicing` in them); kernels index buffers whose sizes the
// shape rules checked first.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod backend;
pub mod error;
pub mod graph;
pub mod ops;
pub mod rng;
pub mod tensor;

pub use error::{Error, Result};
pub use tensor::{DType, Tensor};
pub mod eager;
pub mod engine;
pub mod losses;
pub mod metrics;
pub mod model;
pub mod nn;
pub mod optim;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

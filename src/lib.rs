//! Hebb: Keras-style deep learning that trains inside a browser tab.
//!
//! Where things live:
//! - [`tensor`]: shapes, dtypes, the `Tensor` value type.
//! - [`ops`]: the op set; each family holds its shape rule, CPU kernel and backward rule.
//! - [`graph`]: the symbolic graph, reverse-mode autodiff, and the planned, replayable step.
//! - [`backend`]: the compute primitives (SIMD vector type, packed GEMM).
//! - [`eager`]: the runtime behind JS tensor handles: immediate ops, tracing of user functions.
//! - [`nn`]: layers, activations, initializers. [`optim`]: optimizers. [`losses`], [`metrics`].
//! - [`model`]: models (a graph of layer calls; a Sequential is a chain), compile, `apply` on
//!   tensors for custom loops (`model::apply`), and the trainer that runs `fit` inside the engine:
//!   the loop in `model::trainer`, its CPU step in `trainer/cpu_step.rs` and its GPU step in
//!   `trainer/gpu_step.rs` (the GPU copy of a model in `model::gpu`).
//! - `wasm` (wasm32 only): the one `#[wasm_bindgen]` surface; every error becomes a JS `Error`.

pub mod backend;
pub mod error;
pub mod graph;
pub mod ops;
pub mod rng;
pub mod tensor;

pub use error::{Error, Result};
pub use tensor::{DType, Tensor};
pub mod eager;
pub mod losses;
pub mod metrics;
pub mod model;
pub mod nn;
pub mod optim;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

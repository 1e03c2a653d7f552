//! CPU kernels: a 4-lane SIMD vector type that compiles to `simd128` on wasm32 and to SSE on
//! x86_64 (scalar elsewhere), and the packed, register-blocked GEMM built on it. The naive scalar
//! GEMM stays beside it as the oracle the tests compare against.

pub mod gemm;
pub mod simd;

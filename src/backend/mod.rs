//! Compute backends. `cpu` owns the SIMD primitives and the packed GEMM; a WebGPU backend lands
//! beside it with the same op set.

pub mod cpu;

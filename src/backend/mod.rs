//! Compute backends. `cpu` owns the SIMD primitives and the packed GEMM; `gpu` runs the same op
//! set as WGSL compute kernels through `wgpu` (WebGPU in the browser, Vulkan natively).

pub mod cpu;
pub mod gpu;

//! Tensors: an f32 buffer with a shape and a logical dtype.
//!
//! Every value is stored as f32. `int32` and `bool` tensors (labels, indices, comparison results)
//! keep integral values, which f32 holds exactly up to 2^24; the dtype is what the JS API reports
//! and what ops check.

pub mod shape;

use crate::error::{fmt_shape, Error, Result};
pub use shape::numel;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    I32,
    Bool,
}

impl DType {
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::I32 => "int32",
            DType::Bool => "bool",
        }
    }
    pub fn parse(s: &str) -> Result<DType> {
        match s {
            "float32" => Ok(DType::F32),
            "int32" => Ok(DType::I32),
            "bool" => Ok(DType::Bool),
            _ => Err(Error::arg("cast", format!("unknown dtype '{s}' (expected 'float32', 'int32' or 'bool')"))),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor> {
        Tensor::with_dtype(shape, data, DType::F32)
    }
    pub fn with_dtype(shape: Vec<usize>, data: Vec<f32>, dtype: DType) -> Result<Tensor> {
        shape::checked_numel("tensor", &shape)?;
        if shape.len() > shape::MAX_RANK {
            return Err(Error::shape(
                "tensor",
                format!("tensors of rank above {} are not supported, received shape {}", shape::MAX_RANK, fmt_shape(&shape)),
            ));
        }
        if numel(&shape) != data.len() {
            return Err(Error::shape(
                "tensor",
                format!("shape {} needs {} values, received {}", fmt_shape(&shape), numel(&shape), data.len()),
            ));
        }
        Ok(Tensor { shape, dtype, data })
    }
    pub fn scalar(v: f32) -> Tensor {
        Tensor { shape: vec![], dtype: DType::F32, data: vec![v] }
    }
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor { shape: shape.to_vec(), dtype: DType::F32, data: vec![0.0; numel(shape)] }
    }
    pub fn full(shape: &[usize], v: f32) -> Tensor {
        Tensor { shape: shape.to_vec(), dtype: DType::F32, data: vec![v; numel(shape)] }
    }
    pub fn numel(&self) -> usize {
        self.data.len()
    }
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    /// Index of the first NaN or infinity, if any.
    pub fn first_non_finite(&self) -> Option<usize> {
        self.data.iter().position(|v| !v.is_finite())
    }
}

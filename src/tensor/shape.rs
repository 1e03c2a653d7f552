//! Shape rules every op uses: sizes, strides, broadcasting and axis normalisation.

use crate::error::{fmt_shape, Error, Result};

/// The highest rank any op accepts; kernels keep indices on the stack up to it.
pub const MAX_RANK: usize = 8;

/// A shape-sized list of indices or strides that lives on the stack (no allocation in kernels).
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    d: [usize; MAX_RANK],
    n: usize,
}

impl Dims {
    pub fn zeros(n: usize) -> Dims {
        Dims { d: [0; MAX_RANK], n: n.min(MAX_RANK) }
    }
    pub fn from_fn(n: usize, f: impl Fn(usize) -> usize) -> Dims {
        let mut d = Dims::zeros(n);
        for i in 0..d.n {
            d.d[i] = f(i);
        }
        d
    }
}

impl std::ops::Deref for Dims {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.d[..self.n]
    }
}

impl std::ops::DerefMut for Dims {
    fn deref_mut(&mut self) -> &mut [usize] {
        &mut self.d[..self.n]
    }
}

/// Row-major strides, on the stack.
pub fn strides_dims(shape: &[usize]) -> Dims {
    let mut s = Dims::from_fn(shape.len(), |_| 1);
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Strides of `input` seen through `out_shape` (broadcast dims get stride 0), on the stack.
pub fn broadcast_dims(input: &[usize], out_shape: &[usize]) -> Dims {
    let s = strides_dims(input);
    let off = out_shape.len() - input.len();
    Dims::from_fn(out_shape.len(), |i| if i < off || input[i - off] == 1 { 0 } else { s[i - off] })
}

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// The most elements one tensor may hold (512 MiB of f32): larger requests are refused with an
/// error rather than left to fail allocation, which would abort the WebAssembly instance.
pub const MAX_ELEMENTS: usize = 1 << 27;

/// Element count with overflow checked (usize is 32 bits on wasm32) and bounded by MAX_ELEMENTS.
pub fn checked_numel(op: &str, shape: &[usize]) -> Result<usize> {
    let n = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match n {
        Some(n) if n <= MAX_ELEMENTS => Ok(n),
        _ => Err(Error::shape(op, format!("shape {} has too many elements (the limit is {MAX_ELEMENTS})", fmt_shape(shape)))),
    }
}

/// A zeroed buffer, or an error when memory runs out (instead of aborting the instance).
pub fn alloc_zeroed(op: &str, n: usize) -> Result<Vec<f32>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::data(op, format!("out of memory allocating {n} floats")))?;
    v.resize(n, 0.0);
    Ok(v)
}

/// Row-major strides.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// NumPy broadcasting of two shapes.
pub fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::shape(
                op,
                format!("operands could not be broadcast together with shapes {} and {}", fmt_shape(a), fmt_shape(b)),
            ));
        };
    }
    Ok(out)
}

/// Normalises a possibly negative axis against `rank`.
pub fn norm_axis(op: &str, axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    if axis < -r || axis >= r.max(1) {
        return Err(Error::arg(op, format!("axis {axis} is out of range for a tensor of rank {rank}")));
    }
    Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
}

/// Normalises, sorts and de-duplicates a list of axes; an empty list means all axes.
pub fn norm_axes(op: &str, axes: &[i64], rank: usize) -> Result<Vec<usize>> {
    if axes.is_empty() {
        return Ok((0..rank).collect());
    }
    let mut out = axes.iter().map(|&a| norm_axis(op, a, rank)).collect::<Result<Vec<_>>>()?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Resolves a reshape target with at most one `-1`.
pub fn resolve_reshape(op: &str, from: &[usize], to: &[i64]) -> Result<Vec<usize>> {
    let n = numel(from);
    let mut unknown = None;
    let mut known: i64 = 1;
    for (i, &d) in to.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                return Err(Error::arg(op, format!("only one dimension can be -1, received {to:?}")));
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(Error::arg(op, format!("invalid dimension {d} in {to:?}")));
        } else {
            known = known.saturating_mul(d);
        }
    }
    if known > MAX_ELEMENTS as i64 {
        return Err(Error::shape(op, format!("cannot reshape a tensor of shape {} ({n} elements) into {to:?}", fmt_shape(from))));
    }
    let known = known as usize;
    let mut out: Vec<usize> = to.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = unknown {
        if known == 0 || !n.is_multiple_of(known) {
            return Err(Error::shape(op, format!("cannot reshape a tensor of shape {} ({n} elements) into {to:?}", fmt_shape(from))));
        }
        out[i] = n / known;
    } else if known != n {
        return Err(Error::shape(
            op,
            format!("cannot reshape a tensor of shape {} ({n} elements) into shape {}", fmt_shape(from), fmt_shape(&out)),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes("add", &[4, 1, 3], &[5, 1]).unwrap(), vec![4, 5, 3]);
        assert_eq!(broadcast_shapes("add", &[], &[2]).unwrap(), vec![2]);
        let e = broadcast_shapes("add", &[2, 3], &[4]).unwrap_err().to_string();
        assert_eq!(e, "add: operands could not be broadcast together with shapes [2,3] and [4]");
        assert_eq!(&*broadcast_dims(&[3, 1], &[2, 3, 4]), &[0, 1, 0]);
    }
    #[test]
    fn reshape_resolves_minus_one() {
        assert_eq!(resolve_reshape("reshape", &[4, 6], &[-1, 3]).unwrap(), vec![8, 3]);
        assert!(resolve_reshape("reshape", &[4, 6], &[5, -1]).is_err());
    }
}

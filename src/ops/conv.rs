//! Sliding windows over NHWC images: `Im2Col` gathers each output position's window into a row
//! (convolutions become one matmul, pooling one reduction), and `Col2Im`, its adjoint, sums rows
//! back onto the image (the input gradient of both, and the forward pass of a transposed conv).

use super::Op;
use crate::backend::gpu::record::{linear, put_f, Disp, Src};
use crate::backend::gpu::{Kernel, RECORD_WORDS};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::{Graph, NodeId};
use crate::tensor::shape::numel;
use crate::tensor::DType;

/// Where each window sits: output position (oh, ow) and tap (kh, kw) read image row
/// `oh·stride[0] + kh·dil[0] - pad[0]` (likewise for columns). Reads outside the image see `fill`.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub k: [usize; 2],
    pub stride: [usize; 2],
    pub dil: [usize; 2],
    /// Top and left padding; the bottom and right padding follow from `grid`.
    pub pad: [usize; 2],
    /// Output positions (OH, OW).
    pub grid: [usize; 2],
}

impl Window {
    /// The window that `padding` ('valid', 'same' or 'causal') gives over an image of `size`,
    /// with TF's rule for 'same': out = ceil(size / stride), extra padding at the end.
    pub fn new(owner: &str, size: [usize; 2], k: [usize; 2], stride: [usize; 2], dil: [usize; 2], padding: &str) -> Result<Window> {
        let mut grid = [0; 2];
        let mut pad = [0; 2];
        for a in 0..2 {
            let span = (k[a] - 1) * dil[a] + 1;
            match padding {
                "valid" => {
                    if size[a] < span {
                        return Err(Error::shape(
                            owner,
                            format!(
                                "the window (kernel {} with dilation {}) is larger than the input ({}) with padding 'valid'",
                                k[a], dil[a], size[a]
                            ),
                        ));
                    }
                    grid[a] = (size[a] - span) / stride[a] + 1;
                }
                "same" => {
                    grid[a] = size[a].div_ceil(stride[a]);
                    let total = ((grid[a] - 1) * stride[a] + span).saturating_sub(size[a]);
                    pad[a] = total / 2;
                }
                "causal" => {
                    grid[a] = size[a].div_ceil(stride[a]);
                    pad[a] = span - 1;
                }
                p => return Err(Error::arg(owner, format!("padding must be 'valid' or 'same', received '{p}'"))),
            }
        }
        Ok(Window { k, stride, dil, pad, grid })
    }
    pub fn taps(&self) -> usize {
        self.k[0] * self.k[1]
    }
    /// The image row (or column, a = 1) that output position `o` and tap `t` read, if inside.
    #[inline]
    fn src(&self, a: usize, o: usize, t: usize, size: usize) -> Option<usize> {
        let p = (o * self.stride[a] + t * self.dil[a]).checked_sub(self.pad[a])?;
        (p < size).then_some(p)
    }
}

pub fn infer(op: &Op, shapes: &[&[usize]]) -> Result<(Vec<usize>, DType)> {
    let s = shapes[0];
    let name = op.name();
    let (w, out) = match op {
        Op::Im2Col { w, .. } => {
            if s.len() != 4 {
                return Err(Error::shape(name, format!("expects an NHWC image of rank 4, received shape {}", fmt_shape(s))));
            }
            (w, vec![s[0], w.grid[0], w.grid[1], w.taps(), s[3]])
        }
        Op::Col2Im { w, image } => {
            if s.len() != 5 || s[1..4] != [w.grid[0], w.grid[1], w.taps()] {
                return Err(Error::shape(
                    name,
                    format!("expects windows of shape [N,{},{},{},C], received shape {}", w.grid[0], w.grid[1], w.taps(), fmt_shape(s)),
                ));
            }
            (w, vec![s[0], image[0], image[1], s[4]])
        }
        _ => unreachable!(),
    };
    if w.k.contains(&0) || w.stride.contains(&0) || w.dil.contains(&0) {
        return Err(Error::arg(name, format!("kernel {:?}, strides {:?} and dilations {:?} must be positive", w.k, w.stride, w.dil)));
    }
    Ok((out, DType::F32))
}

/// Calls `f(d, src)` for each window entry in order: `d` is the entry's offset in the windows
/// [N,OH,OW,KH·KW,C] (a run of C values), `src` the offset of the image pixel it reads, if inside.
fn for_each_tap(w: &Window, n: usize, h: usize, wd: usize, c: usize, mut f: impl FnMut(usize, Option<usize>)) {
    let mut d = 0;
    for b in 0..n {
        for oh in 0..w.grid[0] {
            for ow in 0..w.grid[1] {
                for kh in 0..w.k[0] {
                    let r = w.src(0, oh, kh, h);
                    for kw in 0..w.k[1] {
                        let src = match (r, w.src(1, ow, kw, wd)) {
                            (Some(r), Some(q)) => Some(((b * h + r) * wd + q) * c),
                            _ => None,
                        };
                        f(d, src);
                        d += c;
                    }
                }
            }
        }
    }
}

pub fn forward(op: &Op, x: &[f32], s: &[usize], out: &mut [f32], os: &[usize]) {
    match op {
        Op::Im2Col { w, fill } => {
            let c = s[3];
            for_each_tap(w, s[0], s[1], s[2], c, |d, src| match src {
                Some(at) => out[d..d + c].copy_from_slice(&x[at..at + c]),
                None => out[d..d + c].fill(*fill),
            });
        }
        Op::Col2Im { w, .. } => {
            let c = os[3];
            out.fill(0.0);
            for_each_tap(w, os[0], os[1], os[2], c, |d, src| {
                if let Some(at) = src {
                    for (o, v) in out[at..at + c].iter_mut().zip(&x[d..d + c]) {
                        *o += v;
                    }
                }
            });
        }
        _ => unreachable!(),
    }
}

pub fn backward(g: &mut Graph, op: &Op, inputs: &[NodeId], dy: NodeId) -> Result<Vec<Option<NodeId>>> {
    let sx = crate::graph::Builder::shape_of(g, inputs[0]);
    Ok(match op {
        Op::Im2Col { w, .. } => vec![Some(crate::graph::Builder::apply(g, Op::Col2Im { w: w.clone(), image: [sx[1], sx[2]] }, &[dy])?)],
        Op::Col2Im { w, .. } => vec![Some(crate::graph::Builder::apply(g, Op::Im2Col { w: w.clone(), fill: 0.0 }, &[dy])?)],
        _ => unreachable!(),
    })
}

/// GPU lowering: one dispatch of window.wgsl, gathering windows (Im2Col, reading `fill` outside
/// the image) or summing them back (Col2Im).
pub fn lower(op: &Op, shapes: &[&[usize]], os: &[usize]) -> Result<Vec<Disp>> {
    let (Op::Im2Col { w: win, .. } | Op::Col2Im { w: win, .. }) = op else {
        return Err(Error::arg(op.name(), "not a window op"));
    };
    let n = numel(os);
    let mut w = [0u32; RECORD_WORDS];
    let img = if matches!(op, Op::Im2Col { .. }) { shapes[0] } else { os };
    w[0] = n as u32;
    if let Op::Im2Col { fill, .. } = op {
        put_f(&mut w, 2, *fill);
    } else {
        w[1] = 1;
    }
    let vals = [img[1], img[2], img[3], win.grid[0], win.grid[1], win.k[0], win.k[1]];
    for (i, v) in vals.into_iter().enumerate() {
        w[4 + i] = v as u32;
    }
    let geo = [win.stride[0], win.stride[1], win.dil[0], win.dil[1], win.pad[0], win.pad[1]];
    for (i, v) in geo.into_iter().enumerate() {
        w[12 + i] = v as u32;
    }
    if n == 0 {
        return Ok(vec![]);
    }
    Ok(vec![Disp { kernel: Kernel::Window, words: w, ins: vec![Src::In(0)], groups: linear(n, 256) }])
}

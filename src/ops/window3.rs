//! 3-D windows over channels-last volumes [N, D, H, W, C], on any [`Builder`]: the Conv3D,
//! Conv3DTranspose, MaxPooling3D and AveragePooling3D layers and the `tf.conv3d`,
//! `tf.conv3dTranspose`, `tf.maxPool3d` and `tf.avgPool3d` ops share them.
//!
//! No kernel of their own: a 3-D window is two 2-D windows of the existing `Im2Col`. The volume
//! [N, D, H, W, C] is first seen as N·D images [H, W, C], whose (kh, kw) windows give
//! [N·D, GH, GW, kh·kw, C]; that is then seen as N images of height D and width GH·GW with
//! kh·kw·C channels, whose (kd, 1) windows over the depth give [N, GD, GH·GW, kd, kh·kw·C]: the
//! rows of the 3-D windows with their taps in Keras's kernel order (kd, kh, kw, C), so a
//! convolution is one matmul with the kernel as it is stored. The transposed convolution runs the
//! adjoint chain (matmul, then `Col2Im` over the depth, then over the planes). Max and average
//! pooling are separable: reduce the plane windows, then the depth windows. Gradients and both
//! devices come with the ops.

use super::{Op, ReduceKind, Window};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::Builder;
use crate::tensor::{DType, Tensor};

/// A 3-D window as two 2-D ones: `plane` over the [H, W] images, `depth` (kd x 1) over the
/// [D, GH·GW] images the plane windows make.
#[derive(Clone, Debug)]
pub struct Window3 {
    pub plane: Window,
    pub depth: Window,
    /// The volume [D, H, W] the windows read (a transposed conv's output).
    pub size: [usize; 3],
}

impl Window3 {
    /// The windows over a volume of `size`, with TF's padding rules per axis; a window larger
    /// than the volume with 'valid' padding is an error naming every axis.
    pub fn new(owner: &str, size: [usize; 3], k: &[usize], s: &[usize], d: &[usize], padding: &str) -> Result<Window3> {
        if k.len() != 3 || s.len() != 3 || d.len() != 3 || k.iter().chain(s).chain(d).any(|&v| v == 0) {
            return Err(Error::arg(
                owner,
                format!("window sizes, strides and dilations must be 3 positive integers, received {k:?}, {s:?}, {d:?}"),
            ));
        }
        if size.contains(&0) {
            return Err(Error::shape(owner, format!("the volume is empty ({})", fmt_shape(&size))));
        }
        if padding != "valid" && padding != "same" {
            return Err(Error::arg(owner, format!("pad must be 'valid' or 'same', received '{padding}'")));
        }
        if padding == "valid" && (0..3).any(|a| (k[a] - 1) * d[a] + 1 > size[a]) {
            return Err(Error::shape(
                owner,
                format!(
                    "the window (kernel {} with dilation {}) is larger than the input [depth, height, width] {} with padding 'valid'",
                    fmt_shape(k),
                    fmt_shape(d),
                    fmt_shape(&size)
                ),
            ));
        }
        let plane = Window::new(owner, [size[1], size[2]], [k[1], k[2]], [s[1], s[2]], [d[1], d[2]], padding)?;
        let cols = plane.grid[0] * plane.grid[1];
        let depth = Window::new(owner, [size[0], cols], [k[0], 1], [s[0], 1], [d[0], 1], padding)?;
        Ok(Window3 { plane, depth, size })
    }
    /// Output positions [GD, GH, GW].
    pub fn grid(&self) -> [usize; 3] {
        [self.depth.grid[0], self.plane.grid[0], self.plane.grid[1]]
    }
    pub fn taps(&self) -> usize {
        self.depth.taps() * self.plane.taps()
    }

    /// Average pooling with 'same' padding: how many taps of each plane window ([GH, GW, 1]) and
    /// each depth window ([GD, 1, 1]) lie inside the volume. TF divides by the taps inside,
    /// which factorise over the axes, so each stage divides by its own count. None when every
    /// window lies inside.
    pub fn inside_counts(&self) -> Option<(Tensor, Tensor)> {
        let [gd, gh, gw] = self.grid();
        let [d, h, w] = self.size;
        let inside = |win: &Window, a: usize, o: usize, size: usize| {
            (0..win.k[a]).filter(|&t| (o * win.stride[a] + t * win.dil[a]).checked_sub(win.pad[a]).is_some_and(|p| p < size)).count()
        };
        let p = &self.plane;
        let plane: Vec<f32> = (0..gh * gw).map(|i| (inside(p, 0, i / gw, h) * inside(p, 1, i % gw, w)) as f32).collect();
        let depth: Vec<f32> = (0..gd).map(|o| inside(&self.depth, 0, o, d) as f32).collect();
        let full = (p.taps() * self.depth.taps()) as f32;
        if plane.iter().all(|&v| v == p.taps() as f32) && depth.iter().all(|&v| v * p.taps() as f32 == full) {
            return None;
        }
        Some((
            Tensor { shape: vec![gh, gw, 1], dtype: DType::F32, data: plane },
            Tensor { shape: vec![gd, 1, 1], dtype: DType::F32, data: depth },
        ))
    }
}

/// A window that reads each pixel once, in place: the image is its own windows.
fn is_identity(w: &Window, size: [usize; 2]) -> bool {
    w.taps() == 1 && w.stride == [1, 1] && w.pad == [0, 0] && w.grid == size
}

/// The windows of `x` [N, D, H, W, C] as [N, GD, GH·GW, kd, kh·kw·C] (taps in Keras's kernel
/// order), reading `fill` outside the volume.
fn gather<B: Builder>(g: &mut B, x: B::Id, w: &Window3, n: usize, c: usize, fill: f32) -> Result<B::Id> {
    let [d, h, wd] = w.size;
    let img = g.reshape(x, &[n * d, h, wd, c])?;
    let cols = if is_identity(&w.plane, [h, wd]) { img } else { g.apply(Op::Im2Col { w: w.plane.clone(), fill }, &[img])? };
    let ghw = w.plane.grid[0] * w.plane.grid[1];
    let vol = g.reshape(cols, &[n, d, ghw, w.plane.taps() * c])?;
    if is_identity(&w.depth, [d, ghw]) {
        return g.reshape(vol, &[n, d, ghw, 1, w.plane.taps() * c]);
    }
    g.apply(Op::Im2Col { w: w.depth.clone(), fill }, &[vol])
}

/// The adjoint of [`gather`] (fill 0): windows [N, GD, GH·GW, kd, kh·kw·F] summed back onto the
/// volume [N, D, H, W, F].
fn scatter<B: Builder>(g: &mut B, cols: B::Id, w: &Window3, n: usize, f: usize) -> Result<B::Id> {
    let [d, h, wd] = w.size;
    let ghw = w.plane.grid[0] * w.plane.grid[1];
    let vol = if is_identity(&w.depth, [d, ghw]) {
        g.reshape(cols, &[n, d, ghw, w.plane.taps() * f])?
    } else {
        g.apply(Op::Col2Im { w: w.depth.clone(), image: [d, ghw] }, &[cols])?
    };
    let rows = g.reshape(vol, &[n * d, w.plane.grid[0], w.plane.grid[1], w.plane.taps(), f])?;
    let img = if is_identity(&w.plane, [h, wd]) {
        g.reshape(rows, &[n * d, h, wd, f])?
    } else {
        g.apply(Op::Col2Im { w: w.plane.clone(), image: [h, wd] }, &[rows])?
    };
    g.reshape(img, &[n, d, h, wd, f])
}

/// The 3-D convolution of `x` [N, D, H, W, C] with `kernel` [kd, kh, kw, C, F] over windows `w`.
pub fn conv3d<B: Builder>(g: &mut B, x: B::Id, kernel: B::Id, w: &Window3) -> Result<B::Id> {
    let xs = g.shape_of(x);
    let (n, c, f) = (xs[0], xs[4], *g.shape_of(kernel).last().unwrap_or(&0));
    let cols = gather(g, x, w, n, c, 0.0)?;
    let [gd, gh, gw] = w.grid();
    let cols = g.reshape(cols, &[n * gd * gh * gw, w.taps() * c])?;
    let kern = g.reshape(kernel, &[w.taps() * c, f])?;
    let y = g.matmul(cols, kern, false, false)?;
    g.reshape(y, &[n, gd, gh, gw, f])
}

/// The transposed 3-D convolution of `x` [N, GD, GH, GW, C] (the windows' grid) with `kernel`
/// [kd, kh, kw, F, C], onto the volume [N, D, H, W, F] the windows `w` read.
pub fn conv3d_transpose<B: Builder>(g: &mut B, x: B::Id, kernel: B::Id, w: &Window3) -> Result<B::Id> {
    let xs = g.shape_of(x);
    let ks = g.shape_of(kernel);
    let (n, c, f) = (xs[0], xs[4], ks[3]);
    // x [N·GD·GH·GW, C] · kernel[(taps·F), C]ᵀ, then each window is summed onto the volume.
    let rows = g.reshape(x, &[xs[..4].iter().product(), c])?;
    let kern = g.reshape(kernel, &[w.taps() * f, c])?;
    let cols = g.matmul(rows, kern, false, true)?;
    let ghw = w.plane.grid[0] * w.plane.grid[1];
    let cols = g.reshape(cols, &[n, w.depth.grid[0], ghw, w.depth.taps(), w.plane.taps() * f])?;
    scatter(g, cols, w, n, f)
}

/// Max or average pooling of `x` [N, D, H, W, C] over windows `w`; an average divides by the
/// taps inside the volume (`counts`, from [`Window3::inside_counts`]) when given.
pub fn pool3d<B: Builder>(g: &mut B, x: B::Id, w: &Window3, max: bool, counts: Option<&(Tensor, Tensor)>) -> Result<B::Id> {
    let xs = g.shape_of(x);
    let (n, c) = (xs[0], xs[4]);
    let [d, h, wd] = w.size;
    let [gd, gh, gw] = w.grid();
    let fill = if max { f32::NEG_INFINITY } else { 0.0 };
    // Reduces windows [.., .., .., taps, C] over the taps, dividing by `count` if given.
    let reduce = |g: &mut B, cols: B::Id, count: Option<&Tensor>| -> Result<B::Id> {
        if max {
            return g.reduce(ReduceKind::Max, cols, &[3], false);
        }
        match count {
            Some(k) => {
                let s = g.sum(cols, &[3], false)?;
                let k = g.constant(k.clone())?;
                g.div(s, k)
            }
            None => g.mean(cols, &[3], false),
        }
    };
    let img = g.reshape(x, &[n * d, h, wd, c])?;
    let planes = if is_identity(&w.plane, [h, wd]) {
        img
    } else {
        let cols = g.apply(Op::Im2Col { w: w.plane.clone(), fill }, &[img])?;
        reduce(g, cols, counts.map(|c| &c.0))?
    };
    let vol = g.reshape(planes, &[n, d, gh * gw, c])?;
    let y = if is_identity(&w.depth, [d, gh * gw]) {
        vol
    } else {
        let cols = g.apply(Op::Im2Col { w: w.depth.clone(), fill }, &[vol])?;
        reduce(g, cols, counts.map(|c| &c.1))?
    };
    g.reshape(y, &[n, gd, gh, gw, c])
}

/// `x` as a batch of volumes [n, d, h, w, c] (a rank-4 volume gets a batch of 1), and whether it
/// had one.
pub fn batched5<B: Builder>(g: &mut B, op: &str, x: B::Id) -> Result<(B::Id, bool)> {
    let s = g.shape_of(x);
    match s.len() {
        5 => Ok((x, true)),
        4 => Ok((g.reshape(x, &[1, s[0], s[1], s[2], s[3]])?, false)),
        _ => Err(Error::shape(op, format!("x must be rank 5 (or 4), but got rank {} (shape {})", s.len(), fmt_shape(&s)))),
    }
}

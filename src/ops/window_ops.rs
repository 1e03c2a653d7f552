//! TF.js's neural-net ops on tensors (`tf.conv2d`, `tf.depthwiseConv2d`, `tf.conv2dTranspose`,
//! `tf.maxPool`, `tf.avgPool`, ...), built on any [`Builder`] from the same pieces the layers use:
//! windows gathered with `Im2Col` (summed back with `Col2Im`), a matmul or a reduction. So they
//! run eagerly, record inside a traced function, differentiate, and run on both devices.

use super::{Op, ReduceKind, Window};
use crate::error::{fmt_shape, Error, Result};
use crate::graph::Builder;
use crate::tensor::{DType, Tensor};

/// TF.js's `pad` argument: 'valid', 'same', or a number of rows and columns on every side.
#[derive(Clone, Debug, PartialEq)]
pub enum Pad {
    Named(String),
    Each(usize),
}

/// The windows of `pad` over an image of `size`.
pub fn window(op: &str, size: [usize; 2], k: [usize; 2], stride: [usize; 2], dil: [usize; 2], pad: &Pad) -> Result<Window> {
    if size.contains(&0) {
        return Err(Error::shape(op, format!("the image is empty ({}x{})", size[0], size[1])));
    }
    if k.contains(&0) || stride.contains(&0) || dil.contains(&0) {
        return Err(Error::arg(op, format!("filter sizes, strides and dilations must be positive, received {k:?}, {stride:?}, {dil:?}")));
    }
    match pad {
        Pad::Named(p) if p == "valid" || p == "same" => Window::new(op, size, k, stride, dil, p),
        Pad::Named(p) => Err(Error::arg(op, format!("pad must be 'valid', 'same' or a number, received '{p}'"))),
        Pad::Each(p) => {
            let mut grid = [0; 2];
            for a in 0..2 {
                let span = (k[a] - 1) * dil[a] + 1;
                if size[a] + 2 * p < span {
                    return Err(Error::shape(op, format!("the filter ({}) is larger than the padded input ({})", span, size[a] + 2 * p)));
                }
                grid[a] = (size[a] + 2 * p - span) / stride[a] + 1;
            }
            Ok(Window { k, stride, dil, pad: [*p, *p], grid })
        }
    }
}

/// `x` as a batch of images [n, h, w, c] (a rank-3 image gets a batch of 1), and whether it had one.
fn batched<B: Builder>(g: &mut B, op: &str, x: B::Id) -> Result<(B::Id, [usize; 4], bool)> {
    let s = g.shape_of(x);
    match s.len() {
        4 => Ok((x, [s[0], s[1], s[2], s[3]], true)),
        3 => Ok((g.reshape(x, &[1, s[0], s[1], s[2]])?, [1, s[0], s[1], s[2]], false)),
        _ => Err(Error::shape(op, format!("x must be rank 4 (or 3), but got rank {} (shape {})", s.len(), fmt_shape(&s)))),
    }
}

fn unbatched<B: Builder>(g: &mut B, y: B::Id, had_batch: bool) -> Result<B::Id> {
    if had_batch {
        return Ok(y);
    }
    let s = g.shape_of(y);
    g.reshape(y, &s[1..])
}

/// The windows of image batch `img` ([n, gh, gw, taps, c]); the image itself for a 1×1 window.
fn windows<B: Builder>(g: &mut B, img: B::Id, win: &Window, size: [usize; 2], fill: f32) -> Result<B::Id> {
    if win.taps() == 1 && win.stride == [1, 1] && win.pad == [0, 0] && win.grid == size {
        return Ok(img);
    }
    g.apply(Op::Im2Col { w: win.clone(), fill }, &[img])
}

/// tf.conv2d(x [n, h, w, c], filter [kh, kw, c, f]).
pub fn conv2d<B: Builder>(g: &mut B, op: &str, x: B::Id, filter: B::Id, stride: [usize; 2], dil: [usize; 2], pad: &Pad) -> Result<B::Id> {
    let (img, [n, h, w, c], had) = batched(g, op, x)?;
    let fs = g.shape_of(filter);
    if fs.len() != 4 {
        return Err(Error::shape(op, format!("filter must be rank 4, but got rank {} (shape {})", fs.len(), fmt_shape(&fs))));
    }
    if fs[2] != c {
        return Err(Error::shape(
            op,
            format!("depth of input ({c}) must match input depth for filter {} (x [{n}, {h}, {w}, {c}], filter {})", fs[2], fmt_shape(&fs)),
        ));
    }
    let win = window(op, [h, w], [fs[0], fs[1]], stride, dil, pad)?;
    let [gh, gw] = win.grid;
    let taps = win.taps();
    let cols = windows(g, img, &win, [h, w], 0.0)?;
    let cols = g.reshape(cols, &[n * gh * gw, taps * c])?;
    let kern = g.reshape(filter, &[taps * c, fs[3]])?;
    let y = g.matmul(cols, kern, false, false)?;
    let y = g.reshape(y, &[n, gh, gw, fs[3]])?;
    unbatched(g, y, had)
}

/// tf.depthwiseConv2d(x [n, h, w, c], filter [kh, kw, c, m]): [n, gh, gw, c·m].
pub fn depthwise_conv2d<B: Builder>(
    g: &mut B,
    op: &str,
    x: B::Id,
    filter: B::Id,
    stride: [usize; 2],
    dil: [usize; 2],
    pad: &Pad,
) -> Result<B::Id> {
    let (img, [n, h, w, c], had) = batched(g, op, x)?;
    let fs = g.shape_of(filter);
    if fs.len() != 4 || fs[2] != c {
        return Err(Error::shape(
            op,
            format!(
                "filter must be [filterHeight, filterWidth, {c}, channelMultiplier] for an input of {c} channels, received {}",
                fmt_shape(&fs)
            ),
        ));
    }
    let win = window(op, [h, w], [fs[0], fs[1]], stride, dil, pad)?;
    let [gh, gw] = win.grid;
    let (taps, m) = (win.taps(), fs[3]);
    let cols = windows(g, img, &win, [h, w], 0.0)?;
    let cols = g.reshape(cols, &[n * gh * gw, taps, c, 1])?;
    let kern = g.reshape(filter, &[taps, c, m])?;
    let prod = g.mul(cols, kern)?;
    let y = g.sum(prod, &[1], false)?;
    let y = g.reshape(y, &[n, gh, gw, c * m])?;
    unbatched(g, y, had)
}

/// tf.conv2dTranspose(x [n, h, w, ci], filter [kh, kw, co, ci], outputShape [n, oh, ow, co]).
pub fn conv2d_transpose<B: Builder>(
    g: &mut B,
    op: &str,
    x: B::Id,
    filter: B::Id,
    out: [usize; 2],
    stride: [usize; 2],
    pad: &Pad,
) -> Result<B::Id> {
    let (img, [n, h, w, ci], had) = batched(g, op, x)?;
    let fs = g.shape_of(filter);
    if fs.len() != 4 || fs[3] != ci {
        return Err(Error::shape(
            op,
            format!(
                "depth of input ({ci}) must match input depth for filter {} (filter {})",
                fs.get(3).copied().unwrap_or(0),
                fmt_shape(&fs)
            ),
        ));
    }
    // The windows over the output image: the input has one value per window.
    let win = window(op, out, [fs[0], fs[1]], stride, [1, 1], pad)?;
    if win.grid != [h, w] {
        return Err(Error::shape(
            op,
            format!(
                "an output of {}x{} with these strides and padding is read by {}x{} windows, but x is {h}x{w}",
                out[0], out[1], win.grid[0], win.grid[1]
            ),
        ));
    }
    let (taps, co) = (win.taps(), fs[2]);
    let rows = g.reshape(img, &[n * h * w, ci])?;
    let kern = g.reshape(filter, &[taps * co, ci])?;
    let cols = g.matmul(rows, kern, false, true)?;
    let cols = g.reshape(cols, &[n, h, w, taps, co])?;
    let y = g.apply(Op::Col2Im { w: win, image: out }, &[cols])?;
    unbatched(g, y, had)
}

/// tf.maxPool / tf.avgPool(x [n, h, w, c]); an average over 'same' padding counts only the
/// values inside the image, as TF.js does.
pub fn pool<B: Builder>(g: &mut B, op: &str, x: B::Id, k: [usize; 2], stride: [usize; 2], pad: &Pad, max: bool) -> Result<B::Id> {
    let (img, [n, h, w, c], had) = batched(g, op, x)?;
    let win = window(op, [h, w], k, stride, [1, 1], pad)?;
    let [gh, gw] = win.grid;
    let fill = if max { f32::NEG_INFINITY } else { 0.0 };
    let cols = g.apply(Op::Im2Col { w: win.clone(), fill }, &[img])?;
    let y = if max {
        g.reduce(ReduceKind::Max, cols, &[3], false)?
    } else if win.pad != [0, 0] || (gh - 1) * stride[0] + k[0] > h || (gw - 1) * stride[1] + k[1] > w {
        // Each window's count of values inside the image.
        let inside = |a: usize, o: usize, size: usize| {
            (0..win.k[a]).filter(|&t| (o * win.stride[a] + t).checked_sub(win.pad[a]).is_some_and(|p| p < size)).count()
        };
        let data = (0..gh * gw).map(|i| (inside(0, i / gw, h) * inside(1, i % gw, w)) as f32).collect();
        let counts = g.constant(Tensor { shape: vec![gh, gw, 1], dtype: DType::F32, data })?;
        let s = g.sum(cols, &[3], false)?;
        g.div(s, counts)?
    } else {
        g.mean(cols, &[3], false)?
    };
    let y = g.reshape(y, &[n, gh, gw, c])?;
    unbatched(g, y, had)
}

/// tf.dilation2d(x [n, h, w, c], filter [kh, kw, c]): greyscale morphological dilation, the
/// maximum over each window of the values plus the filter (positions outside the image never win).
pub fn dilation2d<B: Builder>(
    g: &mut B,
    op: &str,
    x: B::Id,
    filter: B::Id,
    stride: [usize; 2],
    dil: [usize; 2],
    pad: &Pad,
) -> Result<B::Id> {
    let (img, [_, h, w, c], had) = batched(g, op, x)?;
    let fs = g.shape_of(filter);
    if fs.len() != 3 || fs[2] != c {
        return Err(Error::shape(
            op,
            format!("filter must be rank 3 [height, width, {c}] (the input's depth), received {}", fmt_shape(&fs)),
        ));
    }
    let win = window(op, [h, w], [fs[0], fs[1]], stride, dil, pad)?;
    let cols = g.apply(Op::Im2Col { w: win, fill: f32::NEG_INFINITY }, &[img])?;
    let taps = g.reshape(filter, &[fs[0] * fs[1], c])?;
    let shifted = g.add(cols, taps)?;
    let y = g.reduce(ReduceKind::Max, shifted, &[3], false)?;
    unbatched(g, y, had)
}

//! Weight initializers with Keras / TF.js names and semantics, all seedable.

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::Tensor;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    Zeros,
    Ones,
    Constant(f32),
    RandomUniform {
        min: f32,
        max: f32,
    },
    RandomNormal {
        mean: f32,
        std: f32,
    },
    TruncatedNormal {
        mean: f32,
        std: f32,
    },
    /// scale, mode ("fanIn" | "fanOut" | "fanAvg"), distribution ("normal" | "uniform" | "truncatedNormal").
    VarianceScaling {
        scale: f32,
        mode: &'static str,
        dist: &'static str,
    },
    /// A random orthogonal matrix (rows = all axes but the last), times `gain`.
    Orthogonal {
        gain: f32,
    },
    /// `gain` times the identity matrix (Keras 3 allows non-square: ones on the main diagonal);
    /// 2-D weights only.
    Identity {
        gain: f32,
    },
    /// An LSTM bias with unitForgetBias: `init` for [0, h) and [2h, 4h), ones for the forget gate.
    UnitForget(Box<Init>, usize),
}

impl Init {
    /// Parses `'glorotUniform'` or `{className: 'RandomNormal', config: {...}}`, returning the
    /// initializer and its seed, if one was given.
    pub fn parse(owner: &str, v: &Value) -> Result<(Init, Option<u64>)> {
        let (name, cfg) = match v {
            Value::String(s) => (s.clone(), Value::Null),
            Value::Object(o) => {
                let n = o.get("className").and_then(|c| c.as_str()).unwrap_or("").to_string();
                (n, o.get("config").cloned().unwrap_or(Value::Null))
            }
            _ => return Err(Error::arg(owner, format!("initializer must be a name or {{className, config}}, received {v}"))),
        };
        let f = |k: &str, d: f32| cfg.get(k).and_then(|x| x.as_f64()).map(|x| x as f32).unwrap_or(d);
        let seed = cfg.get("seed").and_then(|s| s.as_f64()).map(|s| s as u64);
        let key: String = name.chars().filter(|c| *c != '_').collect::<String>().to_lowercase();
        let vs = |scale, mode, dist| Init::VarianceScaling { scale, mode, dist };
        let init = match key.as_str() {
            "zeros" => Init::Zeros,
            "ones" => Init::Ones,
            "constant" => Init::Constant(f("value", 0.0)),
            "randomuniform" => Init::RandomUniform { min: f("minval", -0.05), max: f("maxval", 0.05) },
            "randomnormal" => Init::RandomNormal { mean: f("mean", 0.0), std: f("stddev", 0.05) },
            "truncatednormal" => Init::TruncatedNormal { mean: f("mean", 0.0), std: f("stddev", 0.05) },
            "glorotuniform" | "xavieruniform" => vs(1.0, "fanAvg", "uniform"),
            "glorotnormal" | "xaviernormal" => vs(1.0, "fanAvg", "truncatedNormal"),
            "heuniform" => vs(2.0, "fanIn", "uniform"),
            "henormal" => vs(2.0, "fanIn", "truncatedNormal"),
            "lecununiform" => vs(1.0, "fanIn", "uniform"),
            "lecunnormal" => vs(1.0, "fanIn", "truncatedNormal"),
            "orthogonal" => Init::Orthogonal { gain: f("gain", 1.0) },
            "identity" => Init::Identity { gain: f("gain", 1.0) },
            "variancescaling" => {
                let mode = match cfg.get("mode").and_then(|m| m.as_str()).unwrap_or("fanIn") {
                    "fanIn" | "fan_in" => "fanIn",
                    "fanOut" | "fan_out" => "fanOut",
                    "fanAvg" | "fan_avg" => "fanAvg",
                    m => return Err(Error::arg(owner, format!("varianceScaling mode '{m}' is not fanIn, fanOut or fanAvg"))),
                };
                let dist = match cfg.get("distribution").and_then(|m| m.as_str()).unwrap_or("normal") {
                    "normal" | "truncatedNormal" | "truncated_normal" => "truncatedNormal",
                    "uniform" => "uniform",
                    d => return Err(Error::arg(owner, format!("varianceScaling distribution '{d}' is not normal or uniform"))),
                };
                vs(f("scale", 1.0), mode, dist)
            }
            _ => return Err(Error::arg(owner, format!("unknown initializer '{name}'"))),
        };
        Ok((init, seed))
    }

    /// Checks that the initializer can fill weight `weight` (`layer/what`) of `shape`.
    pub fn check(&self, owner: &str, weight: &str, shape: &[usize]) -> Result<()> {
        match self {
            Init::Identity { .. } if shape.len() != 2 => Err(Error::shape(
                owner,
                format!("the identity initializer needs a 2-D weight, but {weight} has shape {}", crate::error::fmt_shape(shape)),
            )),
            _ => Ok(()),
        }
    }

    /// Draws a tensor. Fans follow Keras: for a kernel [.., in, out], fan_in = in·receptive field.
    pub fn sample(&self, shape: &[usize], rng: &mut Rng) -> Tensor {
        let n: usize = shape.iter().product();
        if let Init::UnitForget(init, h) = self {
            let mut data = init.sample(&[*h], rng).data;
            data.extend(std::iter::repeat_n(1.0, *h));
            data.extend(init.sample(&[n.saturating_sub(2 * h)], rng).data);
            return Tensor { shape: shape.to_vec(), dtype: crate::tensor::DType::F32, data };
        }
        let data: Vec<f32> = match *self {
            Init::UnitForget(..) => unreachable!(),
            Init::Zeros => vec![0.0; n],
            Init::Ones => vec![1.0; n],
            Init::Constant(v) => vec![v; n],
            Init::RandomUniform { min, max } => (0..n).map(|_| min + (max - min) * rng.uniform()).collect(),
            Init::RandomNormal { mean, std } => (0..n).map(|_| mean + std * rng.normal()).collect(),
            Init::TruncatedNormal { mean, std } => (0..n).map(|_| mean + std * rng.truncated_normal()).collect(),
            Init::Orthogonal { gain } => orthogonal(shape, gain, rng),
            // [rows, cols] with rows = all axes but the last (only 2-D passes `check`).
            Init::Identity { gain } => {
                let cols = shape.last().copied().unwrap_or(1).max(1);
                (0..n).map(|i| if i / cols == i % cols { gain } else { 0.0 }).collect()
            }
            Init::VarianceScaling { scale, mode, dist } => {
                let (fan_in, fan_out) = fans(shape);
                let fan = match mode {
                    "fanIn" => fan_in,
                    "fanOut" => fan_out,
                    _ => (fan_in + fan_out) / 2.0,
                };
                let var = scale / fan.max(1.0);
                match dist {
                    "uniform" => {
                        let lim = (3.0 * var).sqrt();
                        (0..n).map(|_| -lim + 2.0 * lim * rng.uniform()).collect()
                    }
                    _ => {
                        // TF.js draws from a normal truncated at two standard deviations of
                        // sqrt(variance), without Keras's 0.8796 correction; we follow TF.js.
                        let std = var.sqrt();
                        (0..n).map(|_| std * rng.truncated_normal()).collect()
                    }
                }
            }
        };
        Tensor { shape: shape.to_vec(), dtype: crate::tensor::DType::F32, data }
    }
}

/// Q of the QR decomposition of a normal matrix (modified Gram-Schmidt on its columns), with the
/// signs of R's diagonal folded in so the distribution is uniform over orthogonal matrices.
fn orthogonal(shape: &[usize], gain: f32, rng: &mut Rng) -> Vec<f32> {
    let cols = shape.last().copied().unwrap_or(1);
    let rows: usize = shape.iter().product::<usize>() / cols.max(1);
    if rows == 0 || cols == 0 {
        return vec![];
    }
    // Orthonormal columns need a tall matrix: work on [tall, short] and transpose at the end.
    let (tall, short) = (rows.max(cols), rows.min(cols));
    let mut q: Vec<Vec<f64>> = (0..short).map(|_| (0..tall).map(|_| rng.normal() as f64).collect()).collect();
    for j in 0..short {
        for k in 0..j {
            let (done, rest) = q.split_at_mut(j);
            let d: f64 = rest[0].iter().zip(&done[k]).map(|(a, b)| a * b).sum();
            for (v, u) in rest[0].iter_mut().zip(&done[k]) {
                *v -= d * u;
            }
        }
        let norm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        for v in q[j].iter_mut() {
            *v /= norm;
        }
    }
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let v = if rows >= cols { q[c][r] } else { q[r][c] };
            out[r * cols + c] = gain * v as f32;
        }
    }
    out
}

fn fans(shape: &[usize]) -> (f32, f32) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f32, shape[0] as f32),
        2 => (shape[0] as f32, shape[1] as f32),
        r => {
            let receptive: usize = shape[..r - 2].iter().product();
            ((shape[r - 2] * receptive) as f32, (shape[r - 1] * receptive) as f32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn glorot_uniform_respects_its_limit_and_seed() {
        let (init, _) = Init::parse("dense", &Value::String("glorotUniform".into())).unwrap();
        let a = init.sample(&[30, 20], &mut Rng::new(3));
        let b = init.sample(&[30, 20], &mut Rng::new(3));
        assert_eq!(a, b);
        let lim = (6.0f32 / 50.0).sqrt();
        assert!(a.data.iter().all(|v| v.abs() <= lim));
        let maxabs = a.data.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(maxabs > 0.9 * lim, "samples should spread to the limit, max {maxabs}");
        assert!(Init::parse("dense", &Value::String("nope".into())).is_err());
    }

    #[test]
    fn orthogonal_gives_orthonormal_rows_or_columns() {
        for shape in [[6usize, 4], [4, 6], [5, 5]] {
            let (init, _) = Init::parse("lstm", &serde_json::json!({"className": "Orthogonal", "config": {"gain": 2.0}})).unwrap();
            let t = init.sample(&shape, &mut Rng::new(9));
            let (r, c) = (shape[0], shape[1]);
            let at = |i: usize, j: usize| t.data[i * c + j] as f64;
            // Gram matrix of the shorter side: 4·I (gain 2).
            let (n, m, tall) = if r >= c { (c, r, true) } else { (r, c, false) };
            for a in 0..n {
                for b in 0..n {
                    let d: f64 = (0..m).map(|k| if tall { at(k, a) * at(k, b) } else { at(a, k) * at(b, k) }).sum();
                    let want = if a == b { 4.0 } else { 0.0 };
                    assert!((d - want).abs() < 1e-4, "{shape:?} gram[{a}][{b}] = {d}");
                }
            }
        }
    }
}

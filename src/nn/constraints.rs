//! Weight constraints (TF.js `tf.constraints.*`, Keras 3 `keras.constraints.*`): a projection
//! applied to a weight right after each optimizer update, as Keras 3's optimizer does
//! (`variable.assign(constraint(variable))` after the gradients are applied). TF.js 4.22 declares
//! the same constraints but its `fit` never applies them (its optimizer writes the variables
//! directly); Hebb follows Keras.
//!
//! With `norm` the L2 norm over `axis` (kept dimensions, so one norm per slice) and `eps` the
//! backend epsilon 1e-7 (Keras 3's `backend.epsilon()`, TF.js's float32 `epsilon()`):
//! - `maxNorm({maxValue = 2, axis = 0})`: w · clip(norm, 0, maxValue) / (eps + norm);
//! - `unitNorm({axis = 0})`: w / (eps + norm);
//! - `minMaxNorm({minValue = 0, maxValue = 1, rate = 1, axis = 0})`:
//!   w · (rate · clip(norm, minValue, maxValue) + (1 - rate) · norm) / (eps + norm);
//! - `nonNeg()`: max(w, 0) (NaN stays NaN).
//!
//! The GPU runs the same projection in shaders/constraint.wgsl, one thread per slice.

use crate::error::{fmt_shape, Error, Result};
use serde_json::{json, Value};

/// The backend epsilon of Keras 3 (`keras.backend.epsilon()`) and of TF.js on float32 backends.
pub const EPSILON: f32 = 1e-7;

/// Weights of at most this rank can be constrained (Hebb's weights have rank <= 4).
pub const MAX_RANK: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    NonNeg,
    MaxNorm { max: f32 },
    UnitNorm,
    MinMaxNorm { min: f32, max: f32, rate: f32 },
}

/// A parsed constraint. `Copy` (the axes live in a small array), as layers copy their options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constraint {
    pub kind: Kind,
    axes: [i8; MAX_RANK],
    n_axes: u8,
    /// The axis was given as a list (`axis: [0, 1, 2]`): the config writes a list back.
    axis_list: bool,
}

/// `'maxNorm'`, `'MaxNorm'`, `'max_norm'` all name the same class.
fn lookup(name: &str) -> Option<&'static str> {
    match name.replace('_', "").to_lowercase().as_str() {
        "maxnorm" => Some("MaxNorm"),
        "nonneg" => Some("NonNeg"),
        "unitnorm" => Some("UnitNorm"),
        "minmaxnorm" => Some("MinMaxNorm"),
        _ => None,
    }
}

impl Constraint {
    /// Parses the layer option `key` of `owner` (the layer, named in errors): a name
    /// ('maxNorm', 'nonNeg', 'unitNorm', 'minMaxNorm', also Keras's snake_case names) with the
    /// defaults, or `{className: 'MaxNorm', config: {maxValue, axis}}` (config keys in camelCase
    /// as TF.js writes them, or Keras's snake_case).
    pub fn parse(owner: &str, key: &str, v: &Value) -> Result<Constraint> {
        let (name, cfg) = match v {
            Value::String(s) => (s.clone(), Value::Null),
            Value::Object(o) => {
                let name = o.get("className").or_else(|| o.get("class_name")).and_then(|c| c.as_str());
                let Some(name) = name else {
                    return Err(Error::arg(
                        owner,
                        format!("{key} must be a tf.constraints.* object, a name or {{className, config}}, received {v}"),
                    ));
                };
                (name.to_string(), o.get("config").cloned().unwrap_or(Value::Null))
            }
            _ => {
                return Err(Error::arg(
                    owner,
                    format!("{key} must be a tf.constraints.* object, a name or {{className, config}}, received {v}"),
                ))
            }
        };
        let Some(class) = lookup(&name) else {
            return Err(Error::arg(
                owner,
                format!("{key}: unknown constraint '{name}' (expected maxNorm, minMaxNorm, nonNeg or unitNorm)"),
            ));
        };
        if !(cfg.is_null() || cfg.is_object()) {
            return Err(Error::arg(owner, format!("{key}: the config of {class} must be an object, received {cfg}")));
        }
        let field = |camel: &str, snake: &str| cfg.get(camel).or_else(|| cfg.get(snake)).filter(|x| !x.is_null());
        let number = |camel: &str, snake: &str, default: f32| -> Result<f32> {
            match field(camel, snake) {
                None => Ok(default),
                Some(x) => x.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as f32).ok_or_else(|| {
                    Error::arg(owner, format!("{key}: {class} {camel} must be a non-negative number, received {camel}={x}"))
                }),
            }
        };
        let kind = match class {
            "NonNeg" => Kind::NonNeg,
            "UnitNorm" => Kind::UnitNorm,
            "MaxNorm" => Kind::MaxNorm { max: number("maxValue", "max_value", 2.0)? },
            _ => {
                let min = number("minValue", "min_value", 0.0)?;
                let max = number("maxValue", "max_value", 1.0)?;
                let rate = number("rate", "rate", 1.0)?;
                if min > max {
                    return Err(Error::arg(owner, format!("{key}: {class} minValue ({min}) must not exceed maxValue ({max})")));
                }
                if rate > 1.0 {
                    return Err(Error::arg(owner, format!("{key}: {class} rate must be in [0, 1], received rate={rate}")));
                }
                Kind::MinMaxNorm { min, max, rate }
            }
        };
        let mut c = Constraint { kind, axes: [0; MAX_RANK], n_axes: 1, axis_list: false };
        if kind == Kind::NonNeg {
            return Ok(c);
        }
        let bad_axis = |x: &Value| {
            Error::arg(owner, format!("{key}: {class} axis must be an integer or a list of distinct integers, received axis={x}"))
        };
        let int = |x: &Value| x.as_i64().filter(|a| (-(MAX_RANK as i64)..MAX_RANK as i64).contains(a)).map(|a| a as i8);
        match field("axis", "axis") {
            None => {}
            Some(a @ Value::Array(list)) => {
                if list.len() > MAX_RANK {
                    return Err(bad_axis(a));
                }
                c.axis_list = true;
                c.n_axes = list.len() as u8;
                for (i, x) in list.iter().enumerate() {
                    c.axes[i] = int(x).ok_or_else(|| bad_axis(a))?;
                }
            }
            Some(x) => c.axes[0] = int(x).ok_or_else(|| bad_axis(x))?,
        }
        Ok(c)
    }

    /// The axes as given (negative ones count from the end).
    pub fn axes(&self) -> &[i8] {
        &self.axes[..self.n_axes as usize]
    }

    /// Which dimensions of a weight of `shape` the norm runs over (a bit per dimension); an
    /// error (naming `owner` and the option `key`) when an axis is outside the weight's rank or
    /// repeated.
    pub fn reduced(&self, owner: &str, key: &str, shape: &[usize]) -> Result<u32> {
        let rank = shape.len();
        let mut red = 0u32;
        if self.kind == Kind::NonNeg {
            return Ok(red);
        }
        if rank > MAX_RANK {
            return Err(Error::arg(
                owner,
                format!("{key}: constraints support weights of rank <= {MAX_RANK}, this one has shape {}", fmt_shape(shape)),
            ));
        }
        for &a in self.axes() {
            let k = if a < 0 { a as i64 + rank as i64 } else { a as i64 };
            if k < 0 || k >= rank as i64 {
                return Err(Error::arg(
                    owner,
                    format!("{key}: axis {a} is out of range for a weight of shape {} (rank {rank})", fmt_shape(shape)),
                ));
            }
            if red & (1 << k) != 0 {
                return Err(Error::arg(owner, format!("{key}: axis {a} is listed twice")));
            }
            red |= 1 << k;
        }
        Ok(red)
    }

    /// TF.js's serialized form, `{className: 'MaxNorm', config: {maxValue: 2, axis: 0}}`.
    pub fn config(&self) -> Value {
        let axis = if self.axis_list { json!(self.axes()) } else { json!(self.axes[0]) };
        match self.kind {
            Kind::NonNeg => json!({"className": "NonNeg", "config": {}}),
            Kind::UnitNorm => json!({"className": "UnitNorm", "config": {"axis": axis}}),
            Kind::MaxNorm { max } => json!({"className": "MaxNorm", "config": {"maxValue": max, "axis": axis}}),
            Kind::MinMaxNorm { min, max, rate } => {
                json!({"className": "MinMaxNorm", "config": {"minValue": min, "maxValue": max, "rate": rate, "axis": axis}})
            }
        }
    }

    /// The slices the norm runs over for a weight of `shape`: the kept dimensions (sizes and
    /// strides, one slice per combination) and the reduced ones. Axes must be valid (checked
    /// by [`Constraint::reduced`] when the layer was built). Allocates nothing.
    pub fn layout(&self, shape: &[usize]) -> Layout {
        let red = self.reduced("", "", shape).unwrap_or(0);
        let mut l = Layout::default();
        let mut stride = 1;
        // Innermost first, then reversed, so each part lists its dimensions outermost first.
        for d in (0..shape.len().min(MAX_RANK)).rev() {
            let (dims, n) = if red & (1 << d) != 0 { (&mut l.reduced, &mut l.n_reduced) } else { (&mut l.kept, &mut l.n_kept) };
            dims[*n] = (shape[d], stride);
            *n += 1;
            stride *= shape[d];
        }
        l.kept[..l.n_kept].reverse();
        l.reduced[..l.n_reduced].reverse();
        l
    }

    /// Projects `w` (a weight of `shape`, row-major) in place.
    pub fn apply(&self, w: &mut [f32], shape: &[usize]) {
        let (lo, hi, rate) = match self.kind {
            Kind::NonNeg => {
                for v in w.iter_mut() {
                    if *v < 0.0 {
                        *v = 0.0;
                    }
                }
                return;
            }
            Kind::UnitNorm => (0.0, 0.0, 0.0),
            Kind::MaxNorm { max } => (0.0, max, 1.0),
            Kind::MinMaxNorm { min, max, rate } => (min, max, rate),
        };
        let l = self.layout(shape);
        let (kept, reduced) = (l.kept(), l.reduced());
        let slices: usize = kept.iter().map(|d| d.0).product();
        let count: usize = reduced.iter().map(|d| d.0).product();
        for g in 0..slices {
            let b = offset_of(g, kept);
            let sq: f64 = (0..count).map(|r| w[b + offset_of(r, reduced)] as f64).map(|v| v * v).sum();
            let norm = sq.sqrt() as f32;
            if self.kind == Kind::UnitNorm {
                let d = EPSILON + norm;
                (0..count).for_each(|r| w[b + offset_of(r, reduced)] /= d);
                continue;
            }
            let clipped = norm.clamp(lo, hi);
            let desired = if rate == 1.0 { clipped } else { rate * clipped + (1.0 - rate) * norm };
            let scale = desired / (EPSILON + norm);
            (0..count).for_each(|r| w[b + offset_of(r, reduced)] *= scale);
        }
    }

    /// The GPU kernel's uniform record (shaders/constraint.wgsl) for the weight of `shape` that
    /// starts at element `offset` of the weights buffer. Returns the words and the number of
    /// threads (slices, or elements for nonNeg).
    pub fn gpu_words(&self, shape: &[usize], offset: u32) -> ([u32; 64], u32) {
        let mut w = [0u32; 64];
        let n: usize = shape.iter().product();
        w[2] = offset;
        w[7] = EPSILON.to_bits();
        let (code, lo, hi, rate) = match self.kind {
            Kind::NonNeg => {
                w[0] = n as u32;
                return (w, n as u32);
            }
            Kind::MaxNorm { max } => (1, 0.0, max, 1.0),
            Kind::UnitNorm => (2, 0.0, 0.0, 0.0),
            Kind::MinMaxNorm { min, max, rate } => (3, min, max, rate),
        };
        let l = self.layout(shape);
        let groups: usize = l.kept().iter().map(|d| d.0).product();
        let count: usize = l.reduced().iter().map(|d| d.0).product();
        w[0] = groups as u32;
        w[1] = code;
        w[3] = count as u32;
        w[4] = f32::to_bits(lo);
        w[5] = f32::to_bits(hi);
        w[6] = f32::to_bits(rate);
        w[8] = l.n_kept as u32;
        w[9] = l.n_reduced as u32;
        for (i, &(size, stride)) in l.kept().iter().enumerate() {
            w[16 + i] = size as u32;
            w[24 + i] = stride as u32;
        }
        for (i, &(size, stride)) in l.reduced().iter().enumerate() {
            w[32 + i] = size as u32;
            w[40 + i] = stride as u32;
        }
        (w, groups as u32)
    }
}

/// Kept and reduced dimensions of a weight, each as (size, row-major stride), outermost first.
#[derive(Default, Debug)]
pub struct Layout {
    kept: [(usize, usize); MAX_RANK],
    n_kept: usize,
    reduced: [(usize, usize); MAX_RANK],
    n_reduced: usize,
}

impl Layout {
    pub fn kept(&self) -> &[(usize, usize)] {
        &self.kept[..self.n_kept]
    }
    pub fn reduced(&self) -> &[(usize, usize)] {
        &self.reduced[..self.n_reduced]
    }
}

/// The element offset of index `i` over `dims` (the last varies fastest), as the kernel computes it.
fn offset_of(mut i: usize, dims: &[(usize, usize)]) -> usize {
    let mut off = 0;
    for &(size, stride) in dims.iter().rev() {
        off += (i % size) * stride;
        i /= size;
    }
    off
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<Constraint> {
        Constraint::parse("Dense 'd'", "kernelConstraint", &v)
    }

    /// Column norms (axis 0) of a [rows, cols] matrix.
    fn col_norms(w: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        (0..cols).map(|c| (0..rows).map(|r| w[r * cols + c].powi(2)).sum::<f32>().sqrt()).collect()
    }

    #[test]
    fn max_norm_scales_only_the_columns_above_the_limit() {
        let c = parse(json!({"className": "MaxNorm", "config": {"maxValue": 1.0, "axis": 0}})).unwrap();
        // Columns of norm 5 and 0.5.
        let mut w = vec![3.0, 0.3, 4.0, 0.4];
        c.apply(&mut w, &[2, 2]);
        let want = [3.0 / (5.0 + 1e-7), 0.3 * 0.5 / (0.5 + 1e-7), 4.0 / (5.0 + 1e-7), 0.4 * 0.5 / (0.5 + 1e-7)];
        for (g, w) in w.iter().zip(want) {
            assert!((g - w).abs() < 1e-7, "{g} vs {w}");
        }
        // The default: maxValue 2 over axis 0.
        let d = parse(json!("maxNorm")).unwrap();
        assert_eq!(d.kind, Kind::MaxNorm { max: 2.0 });
        assert_eq!(d.axes(), &[0]);
        let mut w = vec![3.0f32, 4.0];
        d.apply(&mut w, &[2]);
        assert!((col_norms(&w, 2, 1)[0] - 2.0).abs() < 1e-6);
    }

    #[test]
    fn unit_norm_over_a_list_of_axes_and_a_negative_axis() {
        // A conv kernel [2, 2, 1, 3]: each filter (axes 0, 1, 2) gets norm 1.
        let c = parse(json!({"className": "UnitNorm", "config": {"axis": [0, 1, 2]}})).unwrap();
        let mut w: Vec<f32> = (0..12).map(|i| i as f32 - 5.5).collect();
        c.apply(&mut w, &[2, 2, 1, 3]);
        for f in 0..3 {
            let n: f32 = (0..4).map(|k| w[k * 3 + f].powi(2)).sum::<f32>().sqrt();
            assert!((n - 1.0).abs() < 1e-6, "filter {f}: norm {n}");
        }
        // axis -1 of [2, 3]: each row.
        let r = parse(json!({"className": "UnitNorm", "config": {"axis": -1}})).unwrap();
        let mut w = vec![1.0, 2.0, 2.0, 0.0, 0.0, 5.0];
        r.apply(&mut w, &[2, 3]);
        let want = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 0.0, 0.0, 1.0];
        assert!(w.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6), "{w:?}");
        assert_eq!(r.config(), json!({"className": "UnitNorm", "config": {"axis": -1}}));
        assert_eq!(c.config(), json!({"className": "UnitNorm", "config": {"axis": [0, 1, 2]}}));
    }

    #[test]
    fn min_max_norm_moves_norms_into_the_interval_at_its_rate() {
        let c = parse(json!({"className": "MinMaxNorm", "config": {"minValue": 1.0, "maxValue": 2.0, "rate": 0.5}})).unwrap();
        // Column norms 0.5 (below), 1.5 (inside) and 4 (above).
        let mut w = vec![0.3, 0.9, 0.0, 0.4, 1.2, 4.0];
        c.apply(&mut w, &[2, 3]);
        let n = col_norms(&w, 2, 3);
        let want = [0.5 * 1.0 + 0.5 * 0.5, 1.5, 0.5 * 2.0 + 0.5 * 4.0];
        for (g, w) in n.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{n:?}");
        }
        let strict = parse(json!("minMaxNorm")).unwrap();
        assert_eq!(strict.kind, Kind::MinMaxNorm { min: 0.0, max: 1.0, rate: 1.0 });
        let mut w = vec![3.0, 4.0];
        strict.apply(&mut w, &[2]);
        assert!((col_norms(&w, 2, 1)[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn non_neg_zeroes_negatives_and_keeps_nan() {
        let c = parse(json!({"className": "NonNeg", "config": {}})).unwrap();
        let mut w = vec![-1.0, 0.5, -0.0, 2.0, f32::NAN];
        c.apply(&mut w, &[5]);
        assert_eq!(&w[..4], &[0.0, 0.5, -0.0, 2.0]);
        assert!(w[4].is_nan());
        assert_eq!(parse(json!("non_neg")).unwrap().kind, Kind::NonNeg);
    }

    #[test]
    fn zero_weights_stay_zero() {
        for name in ["maxNorm", "unitNorm", "minMaxNorm"] {
            let mut w = vec![0.0f32; 6];
            parse(json!(name)).unwrap().apply(&mut w, &[3, 2]);
            assert!(w.iter().all(|v| *v == 0.0), "{name}: {w:?}");
        }
    }

    #[test]
    fn names_and_configs_round_trip_in_both_spellings() {
        for (v, class) in [
            (json!("maxNorm"), "MaxNorm"),
            (json!("MaxNorm"), "MaxNorm"),
            (json!("max_norm"), "MaxNorm"),
            (json!("unitNorm"), "UnitNorm"),
            (json!({"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 3, "rate": 0.25, "axis": 1}}), "MinMaxNorm"),
        ] {
            let c = parse(v).unwrap();
            assert_eq!(c.config()["className"], class);
            assert_eq!(parse(c.config()).unwrap(), c, "{class}");
        }
        let c = parse(json!({"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 3, "rate": 0.25, "axis": 1}})).unwrap();
        assert_eq!(c.config(), json!({"className": "MinMaxNorm", "config": {"minValue": 0.5, "maxValue": 3.0, "rate": 0.25, "axis": 1}}));
    }

    #[test]
    fn bad_arguments_name_the_layer_and_the_option() {
        let cases = [
            (json!({"className": "MaxNorm", "config": {"maxValue": -1}}), "maxValue must be a non-negative number"),
            (json!("maxnorms"), "unknown constraint 'maxnorms'"),
            (json!({"className": "L1L2", "config": {}}), "unknown constraint 'L1L2'"),
            (json!(3), "must be a tf.constraints.* object"),
            (json!({"config": {}}), "must be a tf.constraints.* object"),
            (json!({"className": "UnitNorm", "config": {"axis": 1.5}}), "axis must be an integer"),
            (json!({"className": "UnitNorm", "config": {"axis": [0, "a"]}}), "axis must be an integer"),
            (json!({"className": "MinMaxNorm", "config": {"minValue": 2, "maxValue": 1}}), "must not exceed maxValue"),
            (json!({"className": "MinMaxNorm", "config": {"rate": 2}}), "rate must be in [0, 1]"),
        ];
        for (v, want) in cases {
            let e = parse(v.clone()).unwrap_err().to_string();
            assert!(e.contains("Dense 'd'") && e.contains("kernelConstraint") && e.contains(want), "{v}: {e}");
        }
        // Axes are checked against the weight when the layer builds.
        let c = parse(json!({"className": "MaxNorm", "config": {"axis": 2}})).unwrap();
        let e = c.reduced("Dense 'd'", "kernelConstraint", &[3, 4]).unwrap_err().to_string();
        assert!(e.contains("Dense 'd'") && e.contains("kernelConstraint") && e.contains("axis 2 is out of range"), "{e}");
        let c = parse(json!({"className": "MaxNorm", "config": {"axis": [0, -2]}})).unwrap();
        assert!(c.reduced("Dense 'd'", "kernelConstraint", &[3, 4]).unwrap_err().to_string().contains("listed twice"));
        assert!(c.reduced("Dense 'd'", "kernelConstraint", &[3, 4, 5]).is_ok());
    }

    #[test]
    fn gpu_words_describe_the_slices() {
        let c = parse(json!({"className": "MaxNorm", "config": {"maxValue": 0.5, "axis": [0, 1, 2]}})).unwrap();
        let (w, threads) = c.gpu_words(&[3, 3, 2, 4], 100);
        assert_eq!(threads, 4);
        assert_eq!((w[0], w[1], w[2], w[3]), (4, 1, 100, 18));
        assert_eq!(f32::from_bits(w[5]), 0.5);
        assert_eq!((w[8], w[9]), (1, 3));
        assert_eq!((w[16], w[24]), (4, 1));
        assert_eq!(&w[32..35], &[3, 3, 2]);
        assert_eq!(&w[40..43], &[24, 8, 4]);
        let (w, threads) = parse(json!("nonNeg")).unwrap().gpu_words(&[3, 5], 8);
        assert_eq!((threads, w[0], w[1], w[2]), (15, 15, 0, 8));
    }
}

//! Merge layers, the layers that take several inputs: Add, Subtract, Multiply, Average, Maximum,
//! Minimum, Concatenate and Dot. They only exist in functional models (`tf.model`), where a layer
//! can receive the outputs of several others.

use super::{Layer, Opts, WeightSpec};
use crate::error::{Error, Result};
use crate::graph::{Builder, Graph, NodeId};
use crate::ops::{Binary, Op, Unary};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
    Concatenate,
    Dot,
}

impl Kind {
    fn class_name(self) -> &'static str {
        match self {
            Kind::Add => "Add",
            Kind::Subtract => "Subtract",
            Kind::Multiply => "Multiply",
            Kind::Average => "Average",
            Kind::Maximum => "Maximum",
            Kind::Minimum => "Minimum",
            Kind::Concatenate => "Concatenate",
            Kind::Dot => "Dot",
        }
    }
}

pub struct Merge {
    name: String,
    kind: Kind,
    /// Concatenate's axis, as given (batch axis counted; negative from the end).
    axis: i64,
    /// Dot's axes per input, as given (batch axis counted).
    axes: [i64; 2],
    normalize: bool,
    /// Resolved at build: the concatenation axis in the full (batch-first) shape, Dot's
    /// contracted axes.
    concat_at: usize,
    dot_at: [usize; 2],
}

impl Merge {
    pub fn new(name: String, o: &Opts, kind: Kind) -> Result<Self> {
        let mut m = Merge { name, kind, axis: -1, axes: [-1, -1], normalize: false, concat_at: 0, dot_at: [0, 0] };
        let int = |v: &Value, what: &str| -> Result<i64> {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e6)
                .map(|f| f as i64)
                .ok_or_else(|| Error::arg(&o.owner, format!("expected {what} to be an integer, received {what}={v}")))
        };
        match kind {
            Kind::Concatenate => {
                if let Some(a) = o.get("axis") {
                    m.axis = int(a, "axis")?;
                }
                if m.axis == 0 {
                    return Err(Error::arg(&o.owner, "cannot concatenate along the batch axis (axis 0)"));
                }
            }
            Kind::Dot => {
                m.axes = match o.get("axes") {
                    None => return Err(Error::arg(&o.owner, "the option axes is required")),
                    Some(Value::Array(a)) if a.len() == 2 => [int(&a[0], "axes")?, int(&a[1], "axes")?],
                    Some(v @ Value::Array(_)) => return Err(Error::arg(&o.owner, format!("axes must be an integer or a pair of integers, received {v}"))),
                    Some(v) => {
                        let a = int(v, "axes")?;
                        [a, a]
                    }
                };
                if m.axes.contains(&0) {
                    return Err(Error::arg(&o.owner, "cannot take a dot product along the batch axis (axes 0)"));
                }
                m.normalize = o.bool_or("normalize", false)?;
            }
            _ => {}
        }
        Ok(m)
    }

    fn owner(&self) -> String {
        format!("{} '{}'", self.kind.class_name(), self.name)
    }

    fn shapes_text(inputs: &[Vec<usize>]) -> String {
        inputs.iter().map(|s| super::batch_shape(s)).collect::<Vec<_>>().join(", ")
    }
}

/// Resolves an axis given with the batch axis counted (negative from the end) against a rank
/// that includes the batch axis.
fn resolve(axis: i64, rank: usize) -> Option<usize> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    (a >= 1 && (a as usize) < rank).then_some(a as usize)
}

impl Layer for Merge {
    fn class_name(&self) -> &'static str {
        self.kind.class_name()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn build(&mut self, input: &[usize]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        self.build_multi(&[input.to_vec()])
    }
    fn build_multi(&mut self, inputs: &[Vec<usize>]) -> Result<(Vec<WeightSpec>, Vec<usize>)> {
        let owner = self.owner();
        let two = matches!(self.kind, Kind::Subtract | Kind::Dot);
        if inputs.len() < 2 || (two && inputs.len() != 2) {
            let want = if two { "exactly 2 inputs" } else { "a list of at least 2 inputs" };
            return Err(Error::arg(owner, format!("expects {want}, received {} (shapes {})", inputs.len(), Self::shapes_text(inputs))));
        }
        let mismatch = |why: &str| Error::shape(&owner, format!("{why}; received inputs of shapes {}", Self::shapes_text(inputs)));
        match self.kind {
            Kind::Concatenate => {
                let rank = inputs[0].len() + 1;
                if inputs.iter().any(|s| s.len() + 1 != rank) {
                    return Err(mismatch("all inputs must have the same rank"));
                }
                let at = resolve(self.axis, rank).ok_or_else(|| mismatch(&format!("axis {} is out of range for inputs of rank {rank}", self.axis)))?;
                let mut out = inputs[0].clone();
                for s in &inputs[1..] {
                    for d in 0..s.len() {
                        if d + 1 != at && s[d] != out[d] {
                            return Err(mismatch(&format!("inputs must have the same shape except on the concatenation axis {}", self.axis)));
                        }
                    }
                    out[at - 1] += s[at - 1];
                }
                self.concat_at = at;
                Ok((vec![], out))
            }
            Kind::Dot => {
                let (a, b) = (&inputs[0], &inputs[1]);
                if a.len() != b.len() || !(1..=2).contains(&a.len()) {
                    return Err(mismatch("Dot supports two inputs of rank 2 ([batch, n]) or two of rank 3 ([batch, n, m])"));
                }
                let rank = a.len() + 1;
                let ax = resolve(self.axes[0], rank).ok_or_else(|| mismatch(&format!("axes {:?} are out of range", self.axes)))?;
                let ay = resolve(self.axes[1], rank).ok_or_else(|| mismatch(&format!("axes {:?} are out of range", self.axes)))?;
                if a[ax - 1] != b[ay - 1] {
                    return Err(mismatch(&format!("the dot product's axes {:?} have different sizes {} and {}", self.axes, a[ax - 1], b[ay - 1])));
                }
                self.dot_at = [ax, ay];
                let out = if rank == 2 { vec![1] } else { vec![a[2 - ax], b[2 - ay]] };
                Ok((vec![], out))
            }
            _ => {
                // Keras 3 (`Merge._compute_elemwise_op_output_shape`): feature shapes line up
                // from the right (a lower-rank input gains size-1 axes after the batch axis),
                // then sizes of 1 broadcast against the others.
                let rank = inputs.iter().map(|s| s.len()).max().unwrap_or(0);
                let mut out = vec![1; rank];
                for s in inputs {
                    for (d, &n) in expanded(s, rank).iter().enumerate() {
                        if n != out[d] {
                            if out[d] == 1 {
                                out[d] = n;
                            } else if n != 1 {
                                return Err(mismatch(
                                    "inputs must broadcast: after size-1 axes are added after the batch axis of the lower-rank ones, each dimension must be equal or 1",
                                ));
                            }
                        }
                    }
                }
                Ok((vec![], out))
            }
        }
    }
    fn call(&self, _g: &mut Graph, _x: NodeId, _w: &[NodeId], _training: bool) -> Result<NodeId> {
        Err(Error::arg(self.owner(), "expects a list of at least 2 inputs, received one; use it in a functional model: tf.layers.add().apply([a, b])"))
    }
    fn call_multi(&self, g: &mut Graph, xs: &[NodeId], _w: &[NodeId], _training: bool) -> Result<NodeId> {
        if xs.len() < 2 {
            return self.call(g, xs[0], &[], false);
        }
        // Lower-rank inputs gain size-1 axes after the batch axis (Keras 3's Merge.call).
        let rank = xs.iter().map(|&x| g.shape_of(x).len()).max().unwrap_or(1).saturating_sub(1);
        let mut up = Vec::with_capacity(xs.len());
        for &x in xs {
            let s = g.shape_of(x);
            up.push(if matches!(self.kind, Kind::Concatenate | Kind::Dot) || s.len() == rank + 1 {
                x
            } else {
                let mut to = vec![s[0]];
                to.extend(expanded(&s[1..], rank));
                g.reshape(x, &to)?
            });
        }
        let xs = &up[..];
        let fold = |g: &mut Graph, b: Binary| -> Result<NodeId> {
            let mut acc = xs[0];
            for &x in &xs[1..] {
                acc = g.binary(b, acc, x)?;
            }
            Ok(acc)
        };
        match self.kind {
            Kind::Add => fold(g, Binary::Add),
            Kind::Subtract => g.sub(xs[0], xs[1]),
            Kind::Multiply => fold(g, Binary::Mul),
            Kind::Maximum => fold(g, Binary::Maximum),
            Kind::Minimum => fold(g, Binary::Minimum),
            Kind::Average => {
                let s = fold(g, Binary::Add)?;
                g.mul_scalar(s, 1.0 / xs.len() as f32)
            }
            Kind::Concatenate => {
                // Inputs that broadcast in their batch only are never the case here: shapes are
                // checked at build, so a plain concatenation suffices.
                g.apply(Op::Concat { axis: self.concat_at }, xs)
            }
            Kind::Dot => {
                let (mut x, mut y) = (xs[0], xs[1]);
                if self.normalize {
                    x = l2_normalize(g, x, self.dot_at[0])?;
                    y = l2_normalize(g, y, self.dot_at[1])?;
                }
                let rank = g.shape_of(x).len();
                if rank == 2 {
                    let p = g.mul(x, y)?;
                    g.sum(p, &[1], true)
                } else {
                    // [B, m, k] x [B, k, n]: transpose flags put the contracted axes inside.
                    g.matmul(x, y, self.dot_at[0] == 1, self.dot_at[1] == 2)
                }
            }
        }
    }
    fn config(&self) -> Value {
        match self.kind {
            Kind::Concatenate => json!({"name": self.name, "trainable": true, "axis": self.axis}),
            Kind::Dot => json!({"name": self.name, "trainable": true, "axes": self.axes, "normalize": self.normalize}),
            _ => json!({"name": self.name, "trainable": true}),
        }
    }
}

/// A feature shape (batch excluded) with size-1 axes put in front up to `rank`: the axes Keras
/// adds after the batch axis of a lower-rank merge input.
fn expanded(s: &[usize], rank: usize) -> Vec<usize> {
    let mut e = vec![1; rank - s.len()];
    e.extend_from_slice(s);
    e
}

/// x / sqrt(max(sum(x², axis), 1e-12)), as Keras's l2_normalize.
fn l2_normalize(g: &mut Graph, x: NodeId, axis: usize) -> Result<NodeId> {
    let sq = g.unary(Unary::Square, x)?;
    let s = g.sum(sq, &[axis], true)?;
    let lo = g.scalar(1e-12)?;
    let m = g.binary(Binary::Maximum, s, lo)?;
    let n = g.unary(Unary::Sqrt, m)?;
    g.div(x, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(kind: Kind, cfg: Value) -> Merge {
        Merge::new("m".into(), &Opts::new("M", &cfg), kind).unwrap()
    }

    #[test]
    fn shapes_and_errors_name_the_layer_and_inputs() {
        let mut c = make(Kind::Concatenate, json!({}));
        assert_eq!(c.build_multi(&[vec![2, 3], vec![2, 5]]).unwrap().1, vec![2, 8]);
        let mut c1 = make(Kind::Concatenate, json!({"axis": 1}));
        assert_eq!(c1.build_multi(&[vec![2, 3], vec![4, 3]]).unwrap().1, vec![6, 3]);
        let e = make(Kind::Concatenate, json!({})).build_multi(&[vec![2, 3], vec![4, 3]]).unwrap_err().to_string();
        assert!(e.contains("Concatenate 'm'") && e.contains("[null,2,3], [null,4,3]"), "{e}");
        let e = make(Kind::Add, json!({})).build_multi(&[vec![3]]).unwrap_err().to_string();
        assert!(e.contains("at least 2 inputs"), "{e}");
        let e = make(Kind::Add, json!({})).build_multi(&[vec![3], vec![4]]).unwrap_err().to_string();
        assert!(e.contains("Add 'm'") && e.contains("[null,3], [null,4]"), "{e}");
        assert_eq!(make(Kind::Add, json!({})).build_multi(&[vec![1, 4], vec![3, 4]]).unwrap().1, vec![3, 4]);
        let e = make(Kind::Subtract, json!({})).build_multi(&[vec![3], vec![3], vec![3]]).unwrap_err().to_string();
        assert!(e.contains("exactly 2"), "{e}");
        let mut d = make(Kind::Dot, json!({"axes": [1, 2]}));
        assert_eq!(d.build_multi(&[vec![3, 4], vec![5, 3]]).unwrap().1, vec![4, 5]);
        assert_eq!(make(Kind::Dot, json!({"axes": -1})).build_multi(&[vec![3], vec![3]]).unwrap().1, vec![1]);
        assert!(Merge::new("m".into(), &Opts::new("M", &json!({"axis": 0})), Kind::Concatenate).is_err());
    }

    #[test]
    fn elementwise_inputs_of_different_ranks_broadcast_as_in_keras() {
        // ACGAN: a label embedding [null, 1, 16] times a latent vector [null, 16].
        assert_eq!(make(Kind::Multiply, json!({})).build_multi(&[vec![16], vec![1, 16]]).unwrap().1, vec![1, 16]);
        assert_eq!(make(Kind::Add, json!({})).build_multi(&[vec![1, 16], vec![16]]).unwrap().1, vec![1, 16]);
        assert_eq!(make(Kind::Maximum, json!({})).build_multi(&[vec![4], vec![3, 1], vec![1, 3, 4]]).unwrap().1, vec![1, 3, 4]);
        assert_eq!(make(Kind::Subtract, json!({})).build_multi(&[vec![2, 3, 4], vec![4]]).unwrap().1, vec![2, 3, 4]);
        // [null, 4] becomes [null, 1, 4]: its 4 meets the other input's 3.
        let e = make(Kind::Multiply, json!({})).build_multi(&[vec![4], vec![4, 3]]).unwrap_err().to_string();
        assert!(e.contains("Multiply 'm'") && e.contains("[null,4], [null,4,3]") && e.contains("broadcast"), "{e}");
        // Concatenate keeps its same-rank rule.
        let e = make(Kind::Concatenate, json!({})).build_multi(&[vec![4], vec![1, 4]]).unwrap_err().to_string();
        assert!(e.contains("same rank"), "{e}");
    }
}

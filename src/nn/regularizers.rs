//! Weight regularizers (TF.js `tf.regularizers.l1/l2/l1l2`): a penalty l1·Σ|w| + l2·Σw² added to
//! the training loss (and so to the reported loss, as TF.js does).

use crate::error::{Error, Result};
use crate::graph::Builder;
use crate::ops::Unary;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Regularizer {
    pub l1: f32,
    pub l2: f32,
}

impl Regularizer {
    /// Parses `{className: 'L1L2', config: {l1, l2}}` or the names 'l1', 'l2', 'l1l2' (TF.js's
    /// defaults: 0.01).
    pub fn parse(owner: &str, key: &str, v: &Value) -> Result<Regularizer> {
        let (class, cfg) = match v {
            Value::String(s) => (s.to_lowercase(), Value::Null),
            Value::Object(o) => {
                (o.get("className").and_then(|c| c.as_str()).unwrap_or("").to_lowercase(), o.get("config").cloned().unwrap_or(Value::Null))
            }
            _ => return Err(Error::arg(owner, format!("{key} must be a tf.regularizers.* object, received {v}"))),
        };
        let f = |k: &str, d: f32| -> Result<f32> {
            match cfg.get(k).filter(|x| !x.is_null()) {
                None => Ok(d),
                Some(x) => x
                    .as_f64()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .map(|x| x as f32)
                    .ok_or_else(|| Error::arg(owner, format!("{key}: {k} must be a non-negative number, received {x}"))),
            }
        };
        match class.as_str() {
            "l1" => Ok(Regularizer { l1: f("l1", 0.01)?, l2: 0.0 }),
            "l2" => Ok(Regularizer { l1: 0.0, l2: f("l2", 0.01)? }),
            "l1l2" => Ok(Regularizer { l1: f("l1", 0.01)?, l2: f("l2", 0.01)? }),
            _ => Err(Error::arg(owner, format!("{key}: unknown regularizer '{class}' (expected l1, l2 or l1l2)"))),
        }
    }

    pub fn config(&self) -> Value {
        json!({"className": "L1L2", "config": {"l1": self.l1, "l2": self.l2}})
    }

    /// The penalty for weight node `w`, a scalar.
    pub fn penalty<B: Builder>(&self, b: &mut B, w: B::Id) -> Result<B::Id> {
        let rank = b.shape_of(w).len();
        let axes: Vec<usize> = (0..rank).collect();
        let mut total = b.scalar(0.0)?;
        if self.l1 > 0.0 {
            let a = b.unary(Unary::Abs, w)?;
            let s = b.sum(a, &axes, false)?;
            let s = b.mul_scalar(s, self.l1)?;
            total = b.add(total, s)?;
        }
        if self.l2 > 0.0 {
            let q = b.unary(Unary::Square, w)?;
            let s = b.sum(q, &axes, false)?;
            let s = b.mul_scalar(s, self.l2)?;
            total = b.add(total, s)?;
        }
        Ok(total)
    }
}

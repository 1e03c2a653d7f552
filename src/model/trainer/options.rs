//! fit's options: [`FitOptions`], from the JS API's `{epochs, batchSize, ...}`.

// What callers send (configs, shapes, option lists) is read with checked access here.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use crate::error::{Error, Result};
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct FitOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub shuffle: bool,
    pub validation_split: f64,
    pub initial_epoch: usize,
    pub seed: u64,
    /// Emit a BatchEnd event per batch (someone listens per batch); otherwise one Progress
    /// event per call, so unwatched batches cost no bookkeeping.
    pub report_batches: bool,
    /// TF.js's classWeight: the training loss weights each sample by its class's weight (class =
    /// the label's argmax for one-hot labels, else its value). Classes not listed weigh 1.
    pub class_weight: Option<Vec<f32>>,
}

impl FitOptions {
    /// `epochs` of `batch_size`, in order (no shuffle), no validation, seed 0, per-batch events.
    pub fn new(epochs: usize, batch_size: usize) -> FitOptions {
        FitOptions {
            epochs,
            batch_size,
            shuffle: false,
            validation_split: 0.0,
            initial_epoch: 0,
            seed: 0,
            report_batches: true,
            class_weight: None,
        }
    }

    /// fit's options from `{epochs, batchSize, shuffle, validationSplit, initialEpoch,
    /// reportBatches, classWeight}` (null or absent: TF.js's defaults); `seed` shuffles and
    /// draws dropout masks.
    pub fn from_json(o: &Value, seed: u64) -> Result<FitOptions> {
        let opts = crate::nn::Opts::new("fit", o);
        let num = |k: &str, d: f64| -> Result<f64> {
            match opts.get(k) {
                None => Ok(d),
                Some(v) => v
                    .as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .ok_or_else(|| Error::arg("fit", format!("{k} must be a non-negative number, received {k}={v}"))),
            }
        };
        Ok(FitOptions {
            epochs: num("epochs", 1.0)? as usize,
            batch_size: num("batchSize", 32.0)? as usize,
            shuffle: opts.bool_or("shuffle", true)?,
            validation_split: num("validationSplit", 0.0)?,
            initial_epoch: num("initialEpoch", 0.0)? as usize,
            seed,
            report_batches: opts.bool_or("reportBatches", true)?,
            class_weight: class_weight(o.get("classWeight"))?,
        })
    }
}

/// `{"0": 1, "1": 5}` (TF.js's classWeight) as a dense vector indexed by class (classes not
/// listed weigh 1).
pub fn class_weight(v: Option<&Value>) -> Result<Option<Vec<f32>>> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(None) };
    let o = v.as_object().ok_or_else(|| Error::arg("fit", format!("classWeight must be an object like {{0: 1, 1: 5}}, received {v}")))?;
    let mut out: Vec<f32> = vec![];
    for (k, w) in o {
        let class: usize = k
            .parse()
            .ok()
            .filter(|c| *c < 1_000_000)
            .ok_or_else(|| Error::arg("fit", format!("classWeight keys must be class indices, received '{k}'")))?;
        let w = w.as_f64().ok_or_else(|| Error::arg("fit", format!("classWeight[{k}] must be a number, received {w}")))? as f32;
        if out.len() <= class {
            out.resize(class + 1, 1.0);
        }
        if let Some(slot) = out.get_mut(class) {
            *slot = w;
        }
    }
    Ok(Some(out))
}

//! Metrics with TF.js Layers names and log keys. Each gives a per-sample value; the trainer
//! averages them over the batch and weights batches by their size over an epoch.

use crate::error::{Error, Result};
use crate::graph::Builder;
use crate::losses::Loss;
use crate::ops::Binary;
use crate::tensor::DType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    /// Whether the true class is among the k highest predictions (one-hot or sparse labels).
    TopKCategoricalAccuracy(usize),
    SparseTopKCategoricalAccuracy(usize),
    /// Over the batch, with predictions thresholded at 0.5 (Keras's threshold; TF.js compares
    /// predictions with exactly 1): TP / (TP + FP) and TP / (TP + FN), 0 when undefined.
    Precision,
    Recall,
    Loss(Loss),
}

impl Metric {
    /// Resolves a metric name. `'accuracy'` picks the accuracy that fits the loss and the output,
    /// as TF.js does: binary for a single output unit or binary cross-entropy, sparse for sparse
    /// labels, categorical otherwise. Returns the metric and its key in the logs.
    pub fn parse(name: &str, loss: Option<Loss>, output_units: usize) -> Result<(Metric, String)> {
        Ok(match name {
            "accuracy" | "acc" => {
                let m = if output_units == 1 || loss == Some(Loss::BinaryCrossentropy) {
                    Metric::BinaryAccuracy
                } else if loss == Some(Loss::SparseCategoricalCrossentropy) {
                    Metric::SparseCategoricalAccuracy
                } else {
                    Metric::CategoricalAccuracy
                };
                (m, "acc".into())
            }
            "binaryAccuracy" => (Metric::BinaryAccuracy, name.into()),
            "categoricalAccuracy" => (Metric::CategoricalAccuracy, name.into()),
            "sparseCategoricalAccuracy" => (Metric::SparseCategoricalAccuracy, name.into()),
            "topKCategoricalAccuracy" | "top_k_categorical_accuracy" => (Metric::TopKCategoricalAccuracy(5), name.into()),
            "sparseTopKCategoricalAccuracy" | "sparse_top_k_categorical_accuracy" => (Metric::SparseTopKCategoricalAccuracy(5), name.into()),
            "precision" => (Metric::Precision, name.into()),
            "recall" => (Metric::Recall, name.into()),
            "crossentropy" | "ce" => {
                let l = if output_units == 1 || loss == Some(Loss::BinaryCrossentropy) {
                    Loss::BinaryCrossentropy
                } else if loss == Some(Loss::SparseCategoricalCrossentropy) {
                    Loss::SparseCategoricalCrossentropy
                } else {
                    Loss::CategoricalCrossentropy
                };
                (Metric::Loss(l), "ce".into())
            }
            other => match Loss::parse(other) {
                Ok(l) => (Metric::Loss(l), other.into()),
                Err(_) => return Err(Error::arg("compile", format!("unknown metric '{other}'"))),
            },
        })
    }

    pub fn per_sample<B: Builder>(self, b: &mut B, y: B::Id, p: B::Id) -> Result<B::Id> {
        let last = b.last_axis(p);
        match self {
            Metric::BinaryAccuracy => {
                let half = b.scalar(0.5)?;
                let pred = b.binary(Binary::Greater, p, half)?;
                let pred = b.cast(pred, DType::F32)?;
                let yf = b.cast(y, DType::F32)?;
                let eq = b.binary(Binary::Equal, yf, pred)?;
                let eq = b.cast(eq, DType::F32)?;
                b.mean(eq, &[last], false)
            }
            Metric::CategoricalAccuracy => {
                let yl = b.last_axis(y);
                let ya = b.argmax(y, yl)?;
                let pa = b.argmax(p, last)?;
                let eq = b.binary(Binary::Equal, ya, pa)?;
                b.cast(eq, DType::F32)
            }
            Metric::SparseCategoricalAccuracy => {
                let ps = b.shape_of(p);
                let yr = b.reshape(y, &ps[..last])?;
                let yr = b.cast(yr, DType::F32)?;
                let pa = b.argmax(p, last)?;
                let eq = b.binary(Binary::Equal, yr, pa)?;
                b.cast(eq, DType::F32)
            }
            Metric::TopKCategoricalAccuracy(k) | Metric::SparseTopKCategoricalAccuracy(k) => {
                let ps = b.shape_of(p);
                let yf = b.cast(y, DType::F32)?;
                let onehot = if matches!(self, Metric::SparseTopKCategoricalAccuracy(_)) {
                    let yr = b.reshape(yf, &ps[..last])?;
                    let oh = b.apply(crate::ops::Op::OneHot { depth: ps[last], on: 1.0, off: 0.0 }, &[yr])?;
                    b.cast(oh, DType::F32)?
                } else {
                    // The true class: the label's argmax, as TF.js reads one-hot labels.
                    let yl = b.last_axis(yf);
                    let ya = b.argmax(yf, yl)?;
                    let oh = b.apply(crate::ops::Op::OneHot { depth: ps[last], on: 1.0, off: 0.0 }, &[ya])?;
                    b.cast(oh, DType::F32)?
                };
                // In the top k when fewer than k predictions beat the true class's.
                let tp = b.mul(onehot, p)?;
                let truth = b.sum(tp, &[last], true)?;
                let above = b.binary(Binary::Greater, p, truth)?;
                let above = b.cast(above, DType::F32)?;
                let count = b.sum(above, &[last], false)?;
                let kk = b.scalar(k as f32)?;
                let hit = b.binary(Binary::Less, count, kk)?;
                b.cast(hit, DType::F32)
            }
            Metric::Precision | Metric::Recall => {
                Err(crate::error::Error::arg("metrics", "precision and recall are batch ratios, not per-sample values"))
            }
            Metric::Loss(l) => l.per_sample(b, y, p),
        }
    }

    pub fn mean<B: Builder>(self, b: &mut B, y: B::Id, p: B::Id) -> Result<B::Id> {
        if matches!(self, Metric::Precision | Metric::Recall) {
            let half = b.scalar(0.5)?;
            let pred = b.binary(Binary::Greater, p, half)?;
            let pred = b.cast(pred, DType::F32)?;
            let yb = b.binary(Binary::Greater, y, half)?;
            let yb = b.cast(yb, DType::F32)?;
            let rank = b.shape_of(p).len();
            let all: Vec<usize> = (0..rank).collect();
            let tp = b.mul(pred, yb)?;
            let tp = b.sum(tp, &all, false)?;
            let base = if self == Metric::Precision { pred } else { yb };
            let total = b.sum(base, &all, false)?;
            // tp / total, or 0 when total is 0.
            let zero = b.scalar(0.0)?;
            let some = b.binary(Binary::Greater, total, zero)?;
            let one = b.scalar(1.0)?;
            let safe = b.where_(some, total, one)?;
            let r = b.div(tp, safe)?;
            return b.where_(some, r, zero);
        }
        let s = self.per_sample(b, y, p)?;
        b.mean_all(s)
    }
}

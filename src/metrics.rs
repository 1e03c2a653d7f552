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
            Metric::Loss(l) => l.per_sample(b, y, p),
        }
    }

    pub fn mean<B: Builder>(self, b: &mut B, y: B::Id, p: B::Id) -> Result<B::Id> {
        let s = self.per_sample(b, y, p)?;
        b.mean_all(s)
    }
}

//! The checks `fit`, `evaluate` and `predict` make before any step runs: the data fit the model
//! (shapes, dtypes, finite values, targets for each loss), and a stateful model gets whole
//! batches of the size its states are kept for. Each error names the op, the layer and the shapes.

use crate::error::{fmt_shape, Error, Result};
use crate::model::{LayersModel, LossFn};
use crate::nn::describe;
use crate::tensor::{numel, Tensor};

/// Validates that x and y can train `model`, naming the input, the output layer and the shapes.
pub fn check_data(model: &LayersModel, op: &str, x: &Tensor, y: &Tensor) -> Result<()> {
    if x.shape.is_empty() || x.shape[0] == 0 {
        return Err(Error::data(op, format!("x is empty (shape {}); at least one sample is needed", fmt_shape(&x.shape))));
    }
    if y.shape.first() != x.shape.first() {
        return Err(Error::data(
            op,
            format!(
                "x and y must have the same number of samples, received x with {} (shape {}) and y with {} (shape {})",
                x.shape[0],
                fmt_shape(&x.shape),
                y.shape.first().copied().unwrap_or(0),
                fmt_shape(&y.shape)
            ),
        ));
    }
    model.check_input(op, &x.shape)?;
    model.check_input_values(op, x)?;
    for (name, t) in [("x", x), ("y", y)] {
        if let Some(k) = t.first_non_finite() {
            let per = numel(&t.shape[1..]).max(1);
            return Err(Error::data(
                op,
                format!("{name} contains {} at sample {} (flat index {k}) of shape {}", t.data[k], k / per, fmt_shape(&t.shape)),
            ));
        }
    }
    let outs = model.output_shapes()?;
    if let Some(c) = &model.compiled {
        for (j, head) in c.heads.iter().enumerate() {
            let LossFn::Builtin(l, _) = &head.loss else { continue };
            let out = &outs[j];
            // Several outputs' targets arrive packed: check each part's own shape.
            let mut ys = vec![y.shape[0]];
            if outs.len() == 1 {
                ys.extend(&y.shape[1..]);
            } else {
                ys.extend(&model.y_layout.get(j).map(|p| p.0.clone()).unwrap_or_default());
            }
            let mut p = vec![y.shape[0]];
            p.extend(out);
            l.check_shapes(&ys, &p).map_err(|_| {
                let layer = model.output_layer(j).map_or_else(|| format!("output {j}"), |last| crate::nn::describe(last.layer.as_ref()));
                Error::shape(
                    op,
                    format!(
                        "the target {} of shape {} does not fit the output of {} ({}) for loss {}",
                        if outs.len() == 1 { "y".to_string() } else { format!("y[{j}]") },
                        fmt_shape(&ys),
                        layer,
                        crate::nn::batch_shape(out),
                        l.name()
                    ),
                )
            })?;
        }
    }
    Ok(())
}

/// A stateful model runs only whole batches of the size its layers keep states for (Keras's
/// rule), checked before any step runs.
pub fn check_state_batch(model: &LayersModel, op: &str, n: usize, batch_size: usize) -> Result<()> {
    for e in model.layers.iter().filter(|e| !e.carries.is_empty()) {
        let keep = model.weights[e.carries[0]].value.shape[0];
        // Every batch must have `keep` samples: batches of batchSize (the last one shorter), or
        // one batch of all the samples when batchSize is at least their number (as in TF.js).
        let fits = (batch_size >= n && n == keep) || (batch_size == keep && n.is_multiple_of(keep));
        if !fits {
            return Err(Error::arg(
                describe(e.layer.as_ref()),
                format!(
                    "is stateful with batches of {keep} samples: {op} needs batchSize {keep} and a number of samples divisible by it, received batchSize {batch_size} and {n} samples"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks `x` for `predict`: the model's input shape, finite values.
pub fn check_predict(model: &LayersModel, x: &Tensor) -> Result<()> {
    model.check_input("predict", &x.shape)?;
    model.check_input_values("predict", x)?;
    if let Some(k) = x.first_non_finite() {
        return Err(Error::data("predict", format!("x contains {} at flat index {k} of shape {}", x.data[k], fmt_shape(&x.shape))));
    }
    Ok(())
}

//! Models: building (Sequential `add`, functional graphs, custom layers), compile, summary,
//! shapes, weights, carried states, optimizer state, predict and evaluate.

use super::{parse_json, with, with_tensors};
use crate::error::{Error, Result};
use crate::losses::Loss;
use crate::nn;
use crate::tensor::DType;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn model_new() -> u32 {
    with(|st| Ok(st.new_model())).unwrap_or(0)
}

#[wasm_bindgen]
pub fn model_dispose(m: u32) {
    let _ = with(|st| {
        st.dispose_model(m);
        Ok(())
    });
}

/// Gives a custom layer of model `m` (by name) the recording of its call for one more batch size.
#[wasm_bindgen]
pub fn model_add_custom_trace(m: u32, layer: &str, batch: u32, traced: u32) -> std::result::Result<(), JsError> {
    with(|st| st.add_custom_trace(m, layer, batch as usize, traced))
}

/// Validates a layer config without adding it (layer constructors call this, so a bad option
/// throws where the user wrote it).
#[wasm_bindgen]
pub fn layer_validate(class_name: &str, config: &str) -> std::result::Result<(), JsError> {
    with(|_| {
        let cfg = parse_json(class_name, config)?;
        nn::from_config(class_name, &cfg).map(|_| ())
    })
}

/// Adds a layer; returns `{outputShape, inputShape, params, weights: [names]}` as JSON.
#[wasm_bindgen]
pub fn model_add(m: u32, class_name: &str, config: &str) -> std::result::Result<String, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let cfg = parse_json(class_name, config)?;
        Ok(st.add_layer(m, class_name, &cfg)?.to_string())
    })
}

/// Shape inference for `layer.apply(symbolicTensor)`: builds the layer on `inputs` (a JSON list
/// of feature shapes, batch excluded) and returns its output's feature shape. Errors name the
/// layer and the shapes, where the user wrote the call.
#[wasm_bindgen]
pub fn layer_output_shape(class_name: &str, config: &str, inputs: &str) -> std::result::Result<String, JsError> {
    with(|_| {
        let cfg = parse_json(class_name, config)?;
        let shapes = nn::free::parse_shapes(class_name, inputs)?;
        let inferred = nn::free::infer(|| nn::from_config(class_name, &cfg), &shapes)?;
        Ok(serde_json::to_string(&inferred.outputs).unwrap_or_default())
    })
}

/// The shapes of the weights a layer builds for `inputs` (a JSON list of feature shapes): a
/// built layer compares them with its own to accept or refuse a new input.
#[wasm_bindgen]
pub fn layer_weight_shapes(class_name: &str, config: &str, inputs: &str) -> std::result::Result<String, JsError> {
    with(|_| {
        let cfg = parse_json(class_name, config)?;
        let shapes = nn::free::parse_shapes(class_name, inputs)?;
        let inferred = nn::free::infer(|| nn::from_config(class_name, &cfg), &shapes)?;
        Ok(serde_json::to_string(&inferred.weights).unwrap_or_default())
    })
}

/// Builds a model with free input dims (null steps) for the feature shapes of the tensors a run
/// brings (`[[...], ...]`, one per input); the next fit, evaluate, predict or apply uses them.
#[wasm_bindgen]
pub fn model_use_shapes(m: u32, shapes: &str) -> std::result::Result<(), JsError> {
    with(|st| {
        let shapes: Vec<Vec<usize>> = serde_json::from_str(shapes).map_err(|e| Error::arg("model", format!("bad input shapes: {e}")))?;
        if st.model(m)?.free.is_none() {
            return Ok(());
        }
        st.settle_model(m)?;
        st.model(m)?.use_input_shapes(&shapes)
    })
}

/// The feature shape of each of the model's outputs, as the layers are built now.
#[wasm_bindgen]
pub fn model_output_shapes(m: u32) -> std::result::Result<String, JsError> {
    with(|st| Ok(serde_json::to_string(&st.model(m)?.output_shapes()?).unwrap_or_default()))
}

/// A functional model from `{layers: [{className, config}], inputs: [{layer, dtype}],
/// nodes: [{layer, inputs: [["input"|"node", index]]}], outputs: [["input"|"node", index]]}`.
/// Returns `{id, layers: [{inputShape, inputShapes, outputShape, weights}]}` as JSON.
#[wasm_bindgen]
pub fn model_new_functional(config: &str) -> std::result::Result<String, JsError> {
    with(|st| {
        let cfg = parse_json("model", config)?;
        Ok(st.new_functional(&cfg)?.to_string())
    })
}

/// The targets' feature shapes and dtypes of a model with several outputs (`[[shape, dtype]]`):
/// fit and evaluate receive them packed side by side in one y.
#[wasm_bindgen]
pub fn model_set_y_layout(m: u32, layout: &str) -> std::result::Result<(), JsError> {
    with(|st| {
        let v: Vec<(Vec<usize>, String)> =
            serde_json::from_str(layout).map_err(|e| Error::arg("fit", format!("bad target layout: {e}")))?;
        let parts = v.into_iter().map(|(s, d)| Ok((s, DType::parse(&d)?))).collect::<Result<Vec<_>>>()?;
        st.settle_model(m)?;
        st.model(m)?.set_y_layout(parts);
        Ok(())
    })
}

/// The functions added with `layer.addLoss`, as recordings made on every layer's weights.
#[wasm_bindgen]
pub fn model_set_added_losses(m: u32, ids: Vec<u32>) -> std::result::Result<(), JsError> {
    with(|st| st.set_added_losses(m, &ids))
}

/// The summary lines; `line_length` 0 and an empty `positions` give TF.js's defaults.
#[wasm_bindgen]
pub fn model_summary(m: u32, line_length: u32, positions: Vec<f64>) -> std::result::Result<String, JsError> {
    with(|st| st.model(m)?.summary_text(line_length as usize, &positions))
}

#[wasm_bindgen]
pub fn model_count_params(m: u32) -> std::result::Result<Vec<f64>, JsError> {
    with(|st| {
        let (t, n) = st.model(m)?.count_params();
        Ok(vec![t as f64, n as f64])
    })
}

/// A compiled model's optimizer state: `{iterations, slots, weights: [{name, shape}]}` for the
/// trained weights, in the order TF.js saves optimizer weights.
#[wasm_bindgen]
pub fn model_optimizer_info(m: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        st.settle_model(m)?;
        Ok(st.model(m)?.optimizer_info()?.to_string())
    })
}

/// The first `count` slots of every trained weight, slot by slot (all weights' slot 0, then
/// slot 1, ...), as tensors of the weights' shapes; zeros where no step has made them yet.
#[wasm_bindgen]
pub fn model_optimizer_slots(m: u32, count: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let ts = st.model(m)?.optimizer_slots(count as usize)?;
        Ok(st.put_all(ts))
    })
}

/// Restores a compiled model's optimizer state: the step count and, slot by slot, the first
/// slots of every trained weight (as [`model_optimizer_slots`] gives them; later slots stay
/// zero).
#[wasm_bindgen]
pub fn model_set_optimizer_state(m: u32, iterations: f64, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let ts = st.tensors(&handles)?;
        st.model(m)?.set_optimizer_state(iterations, ts)
    })
}

/// Copies of the states a stateful layer carries.
#[wasm_bindgen]
pub fn model_layer_states(m: u32, layer: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let ts = st.model(m)?.states(layer as usize)?;
        Ok(st.put_all(ts))
    })
}

/// Sets the states a stateful layer carries.
#[wasm_bindgen]
pub fn model_set_layer_states(m: u32, layer: u32, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let ts = st.tensors(&handles)?;
        st.model(m)?.set_states(layer as usize, ts)
    })
}

/// Zeroes the carried states of the model's stateful layers (`layer` < 0: all of them).
#[wasm_bindgen]
pub fn model_reset_states(m: u32, layer: i32) -> std::result::Result<(), JsError> {
    with(|st| {
        st.settle_model(m)?;
        st.model(m)?.reset_layer_states((layer >= 0).then_some(layer as usize))
    })
}

#[wasm_bindgen]
pub fn model_set_trainable(m: u32, layer: u32, trainable: bool) -> std::result::Result<(), JsError> {
    with(|st| {
        st.settle_model(m)?;
        st.model(m)?.set_trainable(layer as usize, trainable);
        Ok(())
    })
}

/// Checks a learning-rate schedule where the user writes it (`tf.train.schedules.*`).
#[wasm_bindgen]
pub fn schedule_validate(config: &str) -> std::result::Result<(), JsError> {
    let v = parse_json("schedule", config).map_err(JsError::from)?;
    crate::optim::Schedule::parse("tf.train.schedules", &v).map(|_| ()).map_err(JsError::from)
}

/// Checks a Keras loss class's options where the user writes them (`new tf.losses.Huber({...})`).
#[wasm_bindgen]
pub fn loss_validate(config: &str) -> std::result::Result<(), JsError> {
    let v = parse_json("loss", config).map_err(JsError::from)?;
    Loss::from_config(&v).map(|_| ()).map_err(JsError::from)
}

/// compile: its options as JSON (see [`crate::model::Compiled::from_json`]). With
/// `check_only`, everything is validated and nothing changes (compile's early checks when user
/// functions are traced later, at the first fit).
#[wasm_bindgen]
pub fn model_compile(m: u32, config: &str, check_only: bool) -> std::result::Result<(), JsError> {
    with(|st| {
        let cfg = parse_json("compile", config)?;
        st.compile(m, &cfg, check_only)
    })
}

/// The log keys of the compiled model: ["loss", "acc", ...].
#[wasm_bindgen]
pub fn model_metric_keys(m: u32) -> std::result::Result<String, JsError> {
    with(|st| Ok(serde_json::to_string(&st.model(m)?.metric_keys()).unwrap_or_default()))
}

#[wasm_bindgen]
pub fn model_set_learning_rate(m: u32, lr: f32) -> std::result::Result<(), JsError> {
    with(|st| st.model(m)?.set_learning_rate(lr))
}

#[wasm_bindgen]
pub fn model_get_weights(m: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        let ws = st.model(m)?.get_weights();
        Ok(st.put_all(ws))
    })
}

#[wasm_bindgen]
pub fn model_set_weights(m: u32, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let ts = st.tensors(&handles)?;
        st.model(m)?.set_weights(ts)
    })
}

/// Copies of one layer's weights (shared layers copy them between the models that hold them).
#[wasm_bindgen]
pub fn model_layer_weights(m: u32, layer: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        st.settle_model(m)?;
        let ws = st.model(m)?.layer_weights(layer as usize)?;
        Ok(st.put_all(ws))
    })
}

#[wasm_bindgen]
pub fn model_set_layer_weights(m: u32, layer: u32, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let ts = st.tensors(&handles)?;
        st.model(m)?.set_layer_weights(layer as usize, ts)
    })
}

/// On WebGPU the result is computed on the GPU and read back asynchronously (`data()`); a
/// synchronous read before it arrives computes it on the CPU from the mirrored weights.
#[wasm_bindgen]
pub fn model_predict(m: u32, x: u32, batch_size: u32) -> std::result::Result<u32, JsError> {
    with(|st| st.predict(m, x, batch_size as usize))
}

/// The loss and each metric. On WebGPU they are computed there and come back as pending scalar
/// handles; on the CPU as plain scalar handles.
#[wasm_bindgen]
pub fn model_evaluate(m: u32, x: u32, y: u32, batch_size: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| st.evaluate(m, x, y, batch_size as usize))
}

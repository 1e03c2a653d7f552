//! Custom training loops (see [`crate::engine::grad`]): gradients of JS functions
//! (`tf.grads`, `tf.variableGrads`), variables, optimizer steps on them (`optimizer.minimize`,
//! `applyGradients`) and `model.apply` on tensors.

use super::{parse_json, with, with_tensors};
use crate::engine::grad::GradCheck;
use crate::error::Error;
use crate::optim::Optimizer;
use wasm_bindgen::prelude::*;

/// Opens a recording in which ops on `watch` are traced. `op` names the caller in errors;
/// `symbolic`: nothing is computed while the function runs (a step the GPU will take).
#[wasm_bindgen]
pub fn grad_begin(op: &str, watch: Vec<u32>, symbolic: bool) -> std::result::Result<(), JsError> {
    with_tensors(|st| st.grad_begin(op, &watch, symbolic))
}

/// Ends the recording of `optimizer.minimize(f)` (`output`: f's value) and takes one step of
/// the optimizer described by `config` on the watched variables (`keys`: their identities).
/// Returns the cost's handle when `return_cost`, else 0.
#[wasm_bindgen]
pub fn minimize_end(
    op: &str,
    watch: Vec<u32>,
    keys: Vec<f64>,
    output: u32,
    config: &str,
    return_cost: bool,
) -> std::result::Result<u32, JsError> {
    let parsed = parse_json(op, config).and_then(|v| Optimizer::from_config(&v).map_err(|e| e.within(op)));
    let opt = match parsed {
        Ok(o) => o,
        Err(e) => {
            grad_abort();
            return Err(JsError::new(&e.to_string()));
        }
    };
    let keys: Vec<u64> = keys.iter().map(|&k| k as u64).collect();
    let mut opt = Some(opt);
    with(|st| {
        let opt = opt.take().ok_or_else(|| crate::error::Error::internal(op, "the optimizer was taken twice"))?;
        st.minimize_end(op, &watch, &keys, output, opt, return_cost).map(|h| h.unwrap_or(0))
    })
}

/// Ends the recording of `tf.variableGrads(f)` (`output`: f's value; `keys`: the watched
/// variables' identities): the value, then each watched variable's gradient (0: none).
#[wasm_bindgen]
pub fn grads_end(op: &str, watch: Vec<u32>, keys: Vec<f64>, output: u32) -> std::result::Result<Vec<u32>, JsError> {
    let keys: Vec<u64> = keys.iter().map(|&k| k as u64).collect();
    with(|st| st.grads_end(op, &watch, &keys, output))
}

/// Whether custom loops run on the GPU (their functions are then recorded symbolically).
#[wasm_bindgen]
pub fn loop_on_gpu() -> bool {
    with(|st| Ok(st.loop_on_gpu())).unwrap_or(false)
}

/// [GPU steps taken by custom loops, plans made for them].
#[wasm_bindgen]
pub fn loop_stats() -> Vec<f64> {
    with(|st| Ok(st.loop_stats().iter().map(|&v| v as f64).collect())).unwrap_or_default()
}

/// Closes the recording `grad_begin` opened, if it is still open (the function threw).
#[wasm_bindgen]
pub fn grad_abort() {
    let _ = with(|st| {
        st.grad_abort();
        Ok(())
    });
}

/// Ends the recording with `output` as the function's result and returns new tensors: the value,
/// then the gradient for each entry of `watch` (0 where the value is not computed from it).
/// `dy` weights the output (the gradient of sum(y · dy)); `scalar` requires a rank-0 result;
/// `all` requires every gradient, otherwise at least one.
#[wasm_bindgen]
pub fn grad_end(
    op: &str,
    watch: Vec<u32>,
    output: u32,
    dy: Option<u32>,
    scalar: bool,
    all: bool,
) -> std::result::Result<Vec<u32>, JsError> {
    with_tensors(|st| st.grad_end(op, &watch, output, dy, GradCheck { scalar, all }))
}

/// A new handle holding `h`'s value (a variable's own storage; later assigns replace it).
#[wasm_bindgen]
pub fn variable_new(h: u32) -> std::result::Result<u32, JsError> {
    with_tensors(|st| {
        let t = st.rt.get_rc(h)?;
        Ok(st.rt.put_shared(t))
    })
}

/// Gives variable `h` the value of `value` (same shape and dtype: JS checks with names first).
#[wasm_bindgen]
pub fn variable_assign(h: u32, value: u32) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        // A variable a GPU loop is updating takes its value first (the loop then re-reads it).
        st.rt.get_rc(h)?;
        let t = st.rt.get_rc(value)?;
        st.rt.replace(h, t)
    })
}

/// One optimizer step: `vars[i] -= update(grads[i])`, with the optimizer described by `config`
/// (Optimizer.toJSON) and its state kept per `keys[i]` (the variable's identity) across calls.
#[wasm_bindgen]
pub fn optimizer_apply(config: &str, keys: Vec<f64>, vars: Vec<u32>, grads: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        const OP: &str = "applyGradients";
        let opt = Optimizer::from_config(&parse_json(OP, config)?).map_err(|e| e.within(OP))?;
        let keys: Vec<u64> = keys.iter().map(|&k| k as u64).collect();
        st.optimizer_apply(opt, &keys, &vars, &grads)
    })
}

/// How many steps the custom-loop state of optimizer `id` has taken.
#[wasm_bindgen]
pub fn optimizer_iterations(id: f64) -> f64 {
    with(|st| Ok(st.optimizer_iterations(id as u64) as f64)).unwrap_or(0.0)
}

/// Forgets optimizer `id`'s custom-loop state (Optimizer.dispose).
#[wasm_bindgen]
pub fn optimizer_drop(id: f64) {
    let _ = with(|st| {
        st.optimizer_drop(id as u64);
        Ok(())
    });
}

/// `model.apply(x)` on tensors as runtime ops (recorded inside a gradient recording): the model
/// weights named in `names` (a JSON list) are read from the tensors `handles` (a custom loop's
/// variables), the others from the model. Returns the (packed) output.
#[wasm_bindgen]
pub fn model_apply(m: u32, x: u32, names: &str, handles: Vec<u32>, training: bool) -> std::result::Result<u32, JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let names: Vec<String> = serde_json::from_str(names).map_err(|e| Error::arg("apply", format!("bad weight names: {e}")))?;
        st.apply_model(m, x, &names, &handles, training)
    })
}

/// The placeholder `dy` a `tf.customGrad` gradient function is recorded on (see
/// [`crate::eager::Runtime::trace_placeholder`]).
#[wasm_bindgen]
pub fn custom_grad_dy(shape: Vec<u32>) -> std::result::Result<u32, JsError> {
    let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    with_tensors(|st| st.rt.trace_placeholder("customGrad", &shape))
}

/// Ends a `tf.customGrad` call inside a recording: `value` with the gradients `grads` (recorded
/// on `dy`) for `xs` (see [`crate::eager::Runtime::trace_custom`]).
#[wasm_bindgen]
pub fn custom_grad_end(value: u32, xs: Vec<u32>, dy: u32, grads: Vec<u32>) -> std::result::Result<u32, JsError> {
    with_tensors(|st| st.rt.trace_custom("customGrad", value, &xs, dy, &grads))
}

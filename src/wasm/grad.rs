//! Custom training loops: gradients of JS functions (`tf.grads`, `tf.variableGrads`), variables,
//! and optimizer steps on them (`optimizer.minimize`, `applyGradients`).
//!
//! The function runs once in record mode with the tensors it is differentiated by watched: every
//! op is computed as usual (so reading values inside it works) and recorded. The recording and
//! its backward graph are then planned and run on the CPU, whichever backend is active; the
//! results are ordinary tensors. Optimizer state lives here, per JS optimizer and per variable.

use super::{parse_json, with, with_tensors};
use crate::eager::Handle;
use crate::error::{fmt_shape, Error, Result};
use crate::graph::autodiff;
use crate::optim::{Keyed, Optimizer};
use crate::tensor::{DType, Tensor};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

thread_local! {
    /// Custom-loop optimizer state by the JS optimizer's id (apart from a model's: `fit` keeps
    /// its own, keyed by weight).
    static OPTIMIZERS: RefCell<HashMap<u64, Keyed>> = RefCell::new(HashMap::new());
}

/// Distinct handles in order of first appearance, and each position's index among them (the
/// order `trace_watch` numbers its inputs in).
fn distinct(handles: &[Handle]) -> (Vec<Handle>, Vec<usize>) {
    let mut uniq: Vec<Handle> = vec![];
    let pos = handles
        .iter()
        .map(|h| match uniq.iter().position(|u| u == h) {
            Some(k) => k,
            None => {
                uniq.push(*h);
                uniq.len() - 1
            }
        })
        .collect();
    (uniq, pos)
}

/// Opens a recording in which ops on `watch` are traced. `op` names the caller in errors.
#[wasm_bindgen]
pub fn grad_begin(op: &str, watch: Vec<u32>) -> std::result::Result<(), JsError> {
    with_tensors(|st| {
        if st.rt.tracing() {
            return Err(Error::arg(
                op,
                "cannot be called inside a function that is being differentiated or traced (nested gradients are not supported)",
            ));
        }
        // Read (and so finish) every watched value before the trace opens: a retry after a value
        // pending on the GPU then starts clean.
        for &h in &watch {
            st.rt.get_rc(h)?;
        }
        st.rt.trace_begin(&[], Some(vec![]))?;
        if let Err(e) = st.rt.trace_watch(&watch) {
            let _ = st.rt.trace_end(None);
            return Err(e.within(op));
        }
        Ok(())
    })
}

/// Closes the recording `grad_begin` opened, if it is still open (the function threw).
#[wasm_bindgen]
pub fn grad_abort() {
    let _ = with(|st| {
        if st.rt.tracing() {
            let _ = st.rt.trace_end(None);
        }
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
    with_tensors(|st| {
        let (uniq, pos) = distinct(&watch);
        // Everything that may still be pending on the GPU is read while the trace is open, so a
        // retry finds it as it was; any other failure closes the trace.
        let read = (|| -> Result<_> {
            let dy = dy.map(|h| st.rt.get_rc(h)).transpose()?;
            let args = uniq.iter().map(|&h| st.rt.get_rc(h)).collect::<Result<Vec<_>>>()?;
            let shape = st.rt.shape(output)?;
            let dtype = st.rt.dtype(output)?;
            Ok((dy, args, shape, dtype))
        })();
        let (dy, args, shape, dtype) = match read {
            Err(Error::Pending(h)) => return Err(Error::Pending(h)),
            Err(e) => {
                let _ = st.rt.trace_end(None);
                return Err(e.within(op));
            }
            Ok(r) => r,
        };
        let linked = st.rt.trace_node(output).is_some();
        let f = st.rt.trace_end(linked.then_some(output));
        if !linked {
            return Err(Error::arg(op, unlinked(all)));
        }
        if dtype != DType::F32 {
            return Err(Error::arg(op, format!("f must return a float32 tensor, received {}", dtype.name())));
        }
        let f = f?;
        if scalar && !shape.is_empty() {
            return Err(Error::shape(
                op,
                format!("f must return a scalar, but it returned a rank-{} tensor of shape {}", shape.len(), fmt_shape(&shape)),
            ));
        }
        let arg_refs: Vec<&Tensor> = args.iter().map(|t| t.as_ref()).collect();
        let mut rng = st.rt.rng.clone();
        let (value, grads) = autodiff::value_and_grads(op, &f, &arg_refs, dy.as_deref(), &mut rng)?;
        if all {
            if let Some(k) = pos.iter().position(|&p| grads[p].is_none()) {
                return Err(Error::arg(op, format!("cannot compute the gradient with respect to argument {k}: the result of f is not computed from it (make sure f uses it in the operations that lead to its result)")));
            }
        } else if grads.iter().all(|g| g.is_none()) {
            return Err(Error::arg(op, unlinked(false)));
        }
        let mut out = vec![st.rt.put(value)];
        for &p in &pos {
            out.push(match &grads[p] {
                Some(g) => st.rt.put(g.clone()),
                None => 0,
            });
        }
        Ok(out)
    })
}

fn unlinked(args: bool) -> &'static str {
    if args {
        "cannot compute the gradient of y = f(x) with respect to x: y is not computed from x (make sure the operations that lead from x to y are inside f)"
    } else {
        "cannot find a connection between any variable and the result of f (make sure the operations that use the variables are inside f)"
    }
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
        if keys.len() != vars.len() || grads.len() != vars.len() {
            return Err(Error::arg(OP, format!("{} keys, {} variables and {} gradients", keys.len(), vars.len(), grads.len())));
        }
        let mut ws: Vec<Tensor> = vec![];
        let mut gs: Vec<Rc<Tensor>> = vec![];
        for (k, (&v, &g)) in vars.iter().zip(&grads).enumerate() {
            let (w, d) = (st.rt.get_rc(v)?, st.rt.get_rc(g)?);
            if w.dtype != DType::F32 {
                return Err(Error::arg(OP, format!("variable {k} is {}; only float32 variables can be trained", w.dtype.name())));
            }
            if w.shape != d.shape {
                return Err(Error::shape(
                    OP,
                    format!("variable {k} has shape {}, its gradient {}", fmt_shape(&w.shape), fmt_shape(&d.shape)),
                ));
            }
            ws.push((*w).clone());
            gs.push(d);
        }
        let keys: Vec<u64> = keys.iter().map(|&k| k as u64).collect();
        let id = opt.id.unwrap_or(0);
        OPTIMIZERS.with(|m| {
            let mut m = m.borrow_mut();
            let state = match m.entry(id) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    let s = e.into_mut();
                    s.reconfigure(opt);
                    s
                }
                std::collections::hash_map::Entry::Vacant(e) => e.insert(Keyed::new(opt)),
            };
            let mut params: Vec<&mut [f32]> = ws.iter_mut().map(|w| w.data.as_mut_slice()).collect();
            let grads: Vec<&[f32]> = gs.iter().map(|g| g.data.as_slice()).collect();
            state.apply(&keys, &mut params, &grads)
        })?;
        for (&v, w) in vars.iter().zip(ws) {
            st.rt.replace(v, Rc::new(w))?;
        }
        Ok(())
    })
}

/// How many steps the custom-loop state of optimizer `id` has taken.
#[wasm_bindgen]
pub fn optimizer_iterations(id: f64) -> f64 {
    OPTIMIZERS.with(|m| m.borrow().get(&(id as u64)).map_or(0.0, |s| s.opt.iterations as f64))
}

/// Forgets optimizer `id`'s custom-loop state (Optimizer.dispose).
#[wasm_bindgen]
pub fn optimizer_drop(id: f64) {
    OPTIMIZERS.with(|m| m.borrow_mut().remove(&(id as u64)));
}

/// `model.apply(x)` on tensors as runtime ops (recorded inside a gradient recording): the model
/// weights named in `names` (a JSON list) are read from the tensors `handles` (a custom loop's
/// variables), the others from the model. Returns the (packed) output.
#[wasm_bindgen]
pub fn model_apply(m: u32, x: u32, names: &str, handles: Vec<u32>, training: bool) -> std::result::Result<u32, JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let names: Vec<String> = serde_json::from_str(names).map_err(|e| Error::arg("apply", format!("bad weight names: {e}")))?;
        if names.len() != handles.len() {
            return Err(Error::arg("apply", format!("{} weight names for {} tensors", names.len(), handles.len())));
        }
        let model = st.models.get(&m).ok_or_else(|| Error::NotFound(format!("model #{m} has been disposed")))?;
        let ws: Vec<Option<Handle>> = model.weights.iter().map(|w| names.iter().position(|n| *n == w.name).map(|k| handles[k])).collect();
        model.apply_eager(&mut st.rt, x, &ws, training)
    })
}

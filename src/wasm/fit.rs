//! `fit`: sessions that run a bounded number of batches per call, and the recordings of
//! per-step user functions they ask for.

use super::{parse_json, with, with_tensors};
use crate::error::Result;
use crate::graph::TracedFn;
use crate::model::trainer::FitOptions;
use crate::model::{Phase, StepFns};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// Starts `fit`. Options: {epochs, batchSize, shuffle, validationSplit, initialEpoch, seed,
/// reportBatches, classWeight}. `vx`/`vy` are validation tensors or 0.
#[wasm_bindgen]
pub fn fit_begin(m: u32, x: u32, y: u32, vx: u32, vy: u32, options: &str) -> std::result::Result<u32, JsError> {
    with_tensors(|st| {
        st.settle_model(m)?;
        let o = parse_json("fit", options)?;
        let seed = match o.get("seed").and_then(|s| s.as_f64()) {
            Some(s) => s as u64,
            None => st.next_seed(),
        };
        let fo = FitOptions::from_json(&o, seed)?;
        let val = (vx != 0 && vy != 0).then_some((vx, vy));
        st.fit_begin(m, x, y, val, fo)
    })
}

/// `{samples, batches, keys, validation}`.
#[wasm_bindgen]
pub fn fit_info(s: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        let sess = st.session(s)?;
        Ok(json!({"samples": sess.samples(), "batches": sess.batches_per_epoch(), "keys": sess.keys, "validation": sess.has_validation()})
            .to_string())
    })
}

/// Runs up to `max_batches` batches; returns the events as JSON. A request for per-step
/// recordings carries (yTrue, yPred) as tensor handles on the last event.
#[wasm_bindgen]
pub fn fit_run(s: u32, max_batches: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        let (ev, pending) = st.fit_run(s, max_batches as usize)?;
        let mut v = serde_json::to_value(&ev).unwrap_or(Value::Null);
        if let (Some((yt, yp)), Some(last)) = (pending, v.as_array_mut().and_then(|a| a.last_mut())) {
            last["yTrue"] = json!(yt);
            last["yPred"] = json!(yp);
        }
        Ok(v.to_string())
    })
}

/// Hands this step's recordings to a session that asked for them: `{loss: id|null, metrics: [id|null]}`.
#[wasm_bindgen]
pub fn fit_supply(s: u32, fns: &str) -> std::result::Result<(), JsError> {
    with(|st| {
        let v = parse_json("fit", fns)?;
        let mut take = |x: &Value| -> Result<Option<TracedFn>> {
            match x.as_u64() {
                Some(id) => st.take_traced(id as u32).map(Some),
                None => Ok(None),
            }
        };
        let phase = if v["phase"].as_str() == Some("val") { Phase::Val } else { Phase::Train };
        let loss = take(&v["loss"])?;
        let metrics = v["metrics"].as_array().cloned().unwrap_or_default().iter().map(&mut take).collect::<Result<Vec<_>>>()?;
        st.session(s)?.supply(StepFns { phase, loss, metrics });
        Ok(())
    })
}

/// Forgets a recorded function that will not be used (its user code failed part-way).
#[wasm_bindgen]
pub fn traced_drop(id: u32) {
    let _ = with(|st| {
        st.traced.remove(&id);
        Ok(())
    });
}

/// True when two recordings of one function (made at different batch sizes) are the same ops
/// with the same constants: then the function does not depend on the batch size and one trace
/// serves every batch. Both are kept; drop the one not used.
#[wasm_bindgen]
pub fn traced_same(a: u32, b: u32) -> bool {
    with(|st| Ok(matches!((st.traced.get(&a), st.traced.get(&b)), (Some(x), Some(y)) if x.same_structure(y)))).unwrap_or(false)
}

#[wasm_bindgen]
pub fn fit_stop(s: u32) {
    let _ = with(|st| {
        if let Ok(sess) = st.session(s) {
            sess.stop();
        }
        Ok(())
    });
}

#[wasm_bindgen]
pub fn fit_end(s: u32) {
    let _ = with(|st| {
        st.fit_end(s);
        Ok(())
    });
}

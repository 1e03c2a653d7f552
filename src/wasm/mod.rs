//! The only `#[wasm_bindgen]` surface. Integer handles and typed arrays cross the boundary; every
//! engine error becomes a JS `Error` with the engine's message, and nothing here can panic on bad
//! input (a panic would abort the instance and lose every model in it).

mod ops;

use crate::eager::{Handle, Runtime};
use crate::error::{Error, Result};
use crate::graph::TracedFn;
use crate::losses::Loss;
use crate::metrics::Metric;
use crate::model::trainer::{self, FitOptions, FitSession};
use crate::model::{Compiled, LossFn, MetricFn, Phase, Sequential, StepFns};
use crate::nn;
use crate::optim::Optimizer;
use crate::tensor::{DType, Tensor};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

#[derive(Default)]
struct State {
    rt: Runtime,
    models: HashMap<u32, Sequential>,
    sessions: HashMap<u32, (u32, FitSession)>,
    traced: HashMap<u32, TracedFn>,
    next_id: u32,
    seed: u64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State { seed: 0x4845_4242, ..Default::default() });
}

fn with<T>(f: impl FnOnce(&mut State) -> Result<T>) -> std::result::Result<T, JsError> {
    STATE.with(|s| match s.try_borrow_mut() {
        Ok(mut st) => f(&mut st).map_err(|e| JsError::new(&e.to_string())),
        Err(_) => Err(JsError::new("Hebb engine is busy (re-entrant call)")),
    })
}

impl State {
    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }
    fn next_seed(&mut self) -> u64 {
        self.seed = self.seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.seed
    }
    fn model(&mut self, m: u32) -> Result<&mut Sequential> {
        self.models.get_mut(&m).ok_or_else(|| Error::NotFound(format!("model #{m} has been disposed")))
    }
    fn tensor(&self, h: Handle) -> Result<Tensor> {
        self.rt.get(h).cloned()
    }
}

fn parse_json(op: &str, s: &str) -> Result<Value> {
    if s.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(s).map_err(|e| Error::arg(op, format!("bad options: {e}")))
}

fn shape_from(op: &str, s: &[f64]) -> Result<Vec<usize>> {
    let shape = s
        .iter()
        .map(|&d| {
            if d >= 0.0 && d.fract() == 0.0 && d < 1e9 {
                Ok(d as usize)
            } else {
                Err(Error::arg(op, format!("invalid dimension {d} in shape {s:?}")))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    crate::tensor::shape::checked_numel(op, &shape)?;
    if shape.len() > crate::tensor::shape::MAX_RANK {
        return Err(Error::shape(op, format!("tensors of rank above {} are not supported", crate::tensor::shape::MAX_RANK)));
    }
    Ok(shape)
}

// ---- tensors ----

#[wasm_bindgen]
pub fn tensor_new(data: Vec<f32>, shape: Vec<f64>, dtype: &str) -> std::result::Result<u32, JsError> {
    with(|st| {
        let s = shape_from("tensor", &shape)?;
        let d = DType::parse(dtype)?;
        let t = Tensor::with_dtype(s, data, d)?;
        Ok(st.rt.put(t))
    })
}

#[wasm_bindgen]
pub fn tensor_data(h: u32) -> std::result::Result<Vec<f32>, JsError> {
    with(|st| Ok(st.rt.get(h)?.data.clone()))
}

#[wasm_bindgen]
pub fn tensor_shape(h: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| Ok(st.rt.shape(h)?.iter().map(|&d| d as u32).collect()))
}

#[wasm_bindgen]
pub fn tensor_dtype(h: u32) -> std::result::Result<String, JsError> {
    with(|st| Ok(st.rt.dtype(h)?.name().to_string()))
}

#[wasm_bindgen]
pub fn tensor_dispose(h: u32) {
    let _ = with(|st| {
        st.rt.dispose(h);
        Ok(())
    });
}

#[wasm_bindgen]
pub fn tensor_exists(h: u32) -> bool {
    with(|st| Ok(st.rt.exists(h))).unwrap_or(false)
}

/// [live tensors, bytes, models]
#[wasm_bindgen]
pub fn memory_stats() -> Vec<f64> {
    with(|st| {
        let (n, b) = st.rt.memory();
        let wb: usize = st.models.values().flat_map(|m| m.weights.iter()).map(|w| w.value.numel() * 4).sum();
        Ok(vec![n as f64, b as f64, st.models.len() as f64, wb as f64])
    })
    .unwrap_or_default()
}

/// Runs a named op; temporaries it creates are freed, only the result survives.
#[wasm_bindgen]
pub fn op(name: &str, inputs: Vec<u32>, attrs: &str) -> std::result::Result<u32, JsError> {
    with(|st| {
        st.rt.begin_scope();
        let r = ops::dispatch(&mut st.rt, name, &inputs, attrs);
        let r = match r {
            Ok(h) if inputs.contains(&h) => st.rt.alias(h),
            other => other,
        };
        st.rt.end_scope(r.as_ref().map(|h| vec![*h]).unwrap_or_default().as_slice());
        r
    })
}

#[wasm_bindgen]
pub fn set_seed(seed: f64) {
    let _ = with(|st| {
        st.seed = seed as u64;
        st.rt.rng = crate::rng::Rng::new(seed as u64);
        Ok(())
    });
}

/// kind: "uniform" (a=min, b=max), "normal" (a=mean, b=std), "truncatedNormal".
#[wasm_bindgen]
pub fn random(kind: &str, shape: Vec<f64>, a: f32, b: f32, seed: Option<f64>) -> std::result::Result<u32, JsError> {
    with(|st| {
        let s = shape_from(kind, &shape)?;
        let seed = match seed {
            Some(v) => v as u64,
            None => st.next_seed(),
        };
        let mut rng = crate::rng::Rng::new(seed);
        let mut data = crate::tensor::shape::alloc_zeroed(kind, crate::tensor::numel(&s))?;
        match kind {
            "uniform" => data.iter_mut().for_each(|v| *v = a + (b - a) * rng.uniform()),
            "normal" => data.iter_mut().for_each(|v| *v = a + b * rng.normal()),
            "truncatedNormal" => data.iter_mut().for_each(|v| *v = a + b * rng.truncated_normal()),
            _ => return Err(Error::arg("random", format!("unknown distribution '{kind}'"))),
        }
        Ok(st.rt.put(Tensor::new(s, data)?))
    })
}

// ---- tracing user functions ----

/// Starts a trace with placeholders shaped like `args` (a JSON list of [shape, dtype]). With
/// `values` (tensor handles, one per placeholder) it records on those values instead.
#[wasm_bindgen]
pub fn trace_begin(args: &str, values: Option<Vec<u32>>) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        let v = parse_json("trace", args)?;
        let list = v.as_array().ok_or_else(|| Error::arg("trace", "expected a list of [shape, dtype]"))?;
        let mut specs = vec![];
        for item in list {
            let shape: Vec<f64> =
                item.get(0).and_then(|s| s.as_array()).map(|a| a.iter().filter_map(|d| d.as_f64()).collect()).unwrap_or_default();
            let d = DType::parse(item.get(1).and_then(|d| d.as_str()).unwrap_or("float32"))?;
            specs.push((shape_from("trace", &shape)?, d));
        }
        let values = match values {
            Some(hs) => Some(hs.iter().map(|&h| st.tensor(h)).collect::<Result<Vec<_>>>()?),
            None => None,
        };
        st.rt.trace_begin(&specs, values)
    })
}

/// Ends the trace (or abandons it, with no output); returns the id of the recorded function.
#[wasm_bindgen]
pub fn trace_end(output: Option<u32>) -> std::result::Result<u32, JsError> {
    with(|st| {
        let f = st.rt.trace_end(output)?;
        let id = st.id();
        st.traced.insert(id, f);
        Ok(id)
    })
}

// ---- models ----

#[wasm_bindgen]
pub fn model_new() -> u32 {
    with(|st| {
        let seed = st.next_seed();
        let id = st.id();
        st.models.insert(id, Sequential::new(seed));
        Ok(id)
    })
    .unwrap_or(0)
}

#[wasm_bindgen]
pub fn model_dispose(m: u32) {
    let _ = with(|st| {
        st.models.remove(&m);
        st.sessions.retain(|_, (mm, _)| *mm != m);
        Ok(())
    });
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
        let cfg = parse_json(class_name, config)?;
        let layer = nn::from_config(class_name, &cfg)?;
        let input_shape = match cfg.get("batchInputShape").or_else(|| cfg.get("inputShape")) {
            Some(Value::Array(a)) => {
                let dims: Vec<f64> = a.iter().map(|d| d.as_f64().unwrap_or(-1.0)).collect();
                let dims = if cfg.get("batchInputShape").is_some() { dims[1.min(dims.len())..].to_vec() } else { dims };
                Some(shape_from(class_name, &dims)?)
            }
            _ => None,
        };
        let model = st.model(m)?;
        // As in TF.js, only the first layer's inputShape defines the input; later ones are ignored.
        let input_shape = if model.layers.is_empty() { input_shape } else { None };
        model.add(layer, input_shape)?;
        let e = model.layers.last().unwrap();
        Ok(json!({
            "inputShape": e.in_shape, "outputShape": e.out_shape,
            "weights": e.weights.iter().map(|&w| json!({"name": model.weights[w].name, "shape": model.weights[w].value.shape})).collect::<Vec<_>>(),
        })
        .to_string())
    })
}

/// The summary lines; `line_length` 0 and an empty `positions` give TF.js's defaults.
#[wasm_bindgen]
pub fn model_summary(m: u32, line_length: u32, positions: Vec<f64>) -> std::result::Result<String, JsError> {
    with(|st| {
        let width = if line_length == 0 { crate::model::summary::WIDTH } else { line_length as usize };
        if width > 1000 {
            return Err(Error::arg("summary", format!("lineLength must be at most 1000, received {line_length}")));
        }
        let pos = match positions.len() {
            0 => crate::model::summary::POSITIONS,
            4 => [positions[0], positions[1], positions[2], positions[3]],
            n => return Err(Error::arg("summary", format!("positions must list 4 column stops, received {n}"))),
        };
        if pos.iter().any(|p| !p.is_finite() || *p < 0.0 || *p > 1000.0) || pos.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::arg("summary", format!("positions must be non-negative and increasing, received {positions:?}")));
        }
        Ok(st.model(m)?.summary_lines_with(width, pos).join("\n"))
    })
}

#[wasm_bindgen]
pub fn model_count_params(m: u32) -> std::result::Result<Vec<f64>, JsError> {
    with(|st| {
        let (t, n) = st.model(m)?.count_params();
        Ok(vec![t as f64, n as f64])
    })
}

#[wasm_bindgen]
pub fn model_set_trainable(m: u32, layer: u32, trainable: bool) -> std::result::Result<(), JsError> {
    with(|st| {
        st.model(m)?.set_trainable(layer as usize, trainable);
        Ok(())
    })
}

/// `{optimizer, loss: name | {traced: id, name}, metrics: [name | {traced: id, name}]}`.
/// With `check_only`, everything is validated and nothing changes (compile's early checks when
/// user functions are traced later, at the first fit).
#[wasm_bindgen]
pub fn model_compile(m: u32, config: &str, check_only: bool) -> std::result::Result<(), JsError> {
    with(|st| {
        let cfg = parse_json("compile", config)?;
        let optimizer = Optimizer::from_config(cfg.get("optimizer").ok_or_else(|| Error::arg("compile", "an optimizer is required"))?)?;
        let units = st.model(m)?.output_shape()?.last().copied().unwrap_or(1);
        let (loss, builtin) = match cfg.get("loss") {
            Some(Value::String(s)) => {
                let l = Loss::parse(s)?;
                (LossFn::Builtin(l), Some(l))
            }
            Some(Value::Object(o)) if o.contains_key("traced") => {
                let id = o["traced"].as_u64().unwrap_or(0) as u32;
                let f = st.traced.remove(&id).ok_or_else(|| Error::arg("compile", "the traced loss is gone"))?;
                (LossFn::Traced(o.get("name").and_then(|n| n.as_str()).unwrap_or("custom").to_string(), f), None)
            }
            Some(Value::Object(o)) if o.contains_key("perStep") => {
                (LossFn::PerStep(o.get("name").and_then(|n| n.as_str()).unwrap_or("custom").to_string()), None)
            }
            _ => {
                return Err(Error::arg(
                    "compile",
                    format!("a loss is required: one of {} or a function (yTrue, yPred) => Tensor", crate::losses::NAMES.join(", ")),
                ))
            }
        };
        let mut metrics = vec![];
        for mv in cfg.get("metrics").and_then(|v| v.as_array()).cloned().unwrap_or_default() {
            match &mv {
                Value::String(s) => {
                    let (metric, key) = Metric::parse(s, builtin, units)?;
                    metrics.push((MetricFn::Builtin(metric), key));
                }
                Value::Object(o) if o.contains_key("traced") => {
                    let id = o["traced"].as_u64().unwrap_or(0) as u32;
                    let f = st.traced.remove(&id).ok_or_else(|| Error::arg("compile", "the traced metric is gone"))?;
                    metrics.push((MetricFn::Traced(f), o.get("name").and_then(|n| n.as_str()).unwrap_or("metric").to_string()));
                }
                Value::Object(o) if o.contains_key("perStep") => {
                    metrics.push((MetricFn::PerStep, o.get("name").and_then(|n| n.as_str()).unwrap_or("metric").to_string()));
                }
                other => return Err(Error::arg("compile", format!("a metric must be a name or a function, received {other}"))),
            }
        }
        if !check_only {
            st.model(m)?.compile(Compiled { loss, metrics, optimizer });
        }
        Ok(())
    })
}

/// The log keys of the compiled model: ["loss", "acc", ...].
#[wasm_bindgen]
pub fn model_metric_keys(m: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        let model = st.model(m)?;
        let mut keys = vec!["loss".to_string()];
        if let Some(c) = &model.compiled {
            keys.extend(c.metrics.iter().map(|(_, k)| k.clone()));
        }
        Ok(serde_json::to_string(&keys).unwrap_or_default())
    })
}

#[wasm_bindgen]
pub fn model_set_learning_rate(m: u32, lr: f32) -> std::result::Result<(), JsError> {
    with(|st| {
        let model = st.model(m)?;
        let c = model.compiled.as_mut().ok_or_else(|| Error::arg("optimizer", "the model is not compiled"))?;
        c.optimizer.lr = lr;
        Ok(())
    })
}

#[wasm_bindgen]
pub fn model_get_weights(m: u32) -> std::result::Result<Vec<u32>, JsError> {
    with(|st| {
        let ws: Vec<Tensor> = st.model(m)?.weights.iter().map(|w| w.value.clone()).collect();
        Ok(ws.into_iter().map(|t| st.rt.put(t)).collect())
    })
}

#[wasm_bindgen]
pub fn model_set_weights(m: u32, handles: Vec<u32>) -> std::result::Result<(), JsError> {
    with(|st| {
        let ts = handles.iter().map(|&h| st.tensor(h)).collect::<Result<Vec<_>>>()?;
        st.model(m)?.set_weights(ts)
    })
}

#[wasm_bindgen]
pub fn model_predict(m: u32, x: u32, batch_size: u32) -> std::result::Result<u32, JsError> {
    with(|st| {
        let xt = st.rt.get(x)?.clone();
        let out = trainer::predict(st.model(m)?, &xt, batch_size as usize)?;
        Ok(st.rt.put(out))
    })
}

#[wasm_bindgen]
pub fn model_evaluate(m: u32, x: u32, y: u32, batch_size: u32) -> std::result::Result<Vec<f32>, JsError> {
    with(|st| {
        let (xt, yt) = (st.tensor(x)?, st.tensor(y)?);
        trainer::evaluate(st.model(m)?, &xt, &yt, batch_size as usize)
    })
}

/// Starts `fit`. Options: {epochs, batchSize, shuffle, validationSplit, initialEpoch, seed}.
/// `vx`/`vy` are validation tensors or 0.
#[wasm_bindgen]
pub fn fit_begin(m: u32, x: u32, y: u32, vx: u32, vy: u32, options: &str) -> std::result::Result<u32, JsError> {
    with(|st| {
        let o = parse_json("fit", options)?;
        let opts = nn::Opts::new("fit", &o);
        let num = |k: &str, d: f64| -> Result<f64> {
            match opts.get(k) {
                None => Ok(d),
                Some(v) => v
                    .as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .ok_or_else(|| Error::arg("fit", format!("{k} must be a non-negative number, received {k}={v}"))),
            }
        };
        let seed = match o.get("seed").and_then(|s| s.as_f64()) {
            Some(s) => s as u64,
            None => st.next_seed(),
        };
        let fo = FitOptions {
            epochs: num("epochs", 1.0)? as usize,
            batch_size: num("batchSize", 32.0)? as usize,
            shuffle: opts.bool_or("shuffle", true)?,
            validation_split: num("validationSplit", 0.0)?,
            initial_epoch: num("initialEpoch", 0.0)? as usize,
            seed,
            report_batches: opts.bool_or("reportBatches", true)?,
            class_weight: class_weight(o.get("classWeight"))?,
        };
        let (xt, yt) = (st.tensor(x)?, st.tensor(y)?);
        let val = if vx != 0 && vy != 0 { Some((st.tensor(vx)?, st.tensor(vy)?)) } else { None };
        let session = FitSession::new(st.model(m)?, xt, yt, val, fo)?;
        let id = st.id();
        st.sessions.insert(id, (m, session));
        Ok(id)
    })
}

/// `{"0": 1, "1": 5}` (TF.js's classWeight) as a dense vector indexed by class.
fn class_weight(v: Option<&Value>) -> Result<Option<Vec<f32>>> {
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
        out[class] = w;
    }
    Ok(Some(out))
}

/// `{samples, batches, keys, validation}`.
#[wasm_bindgen]
pub fn fit_info(s: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        let (_, sess) = st.sessions.get(&s).ok_or_else(|| Error::NotFound("fit session ended".into()))?;
        Ok(json!({"samples": sess.samples(), "batches": sess.batches_per_epoch(), "keys": sess.keys, "validation": sess.has_validation()})
            .to_string())
    })
}

/// Runs up to `max_batches` batches; returns the events as JSON.
#[wasm_bindgen]
pub fn fit_run(s: u32, max_batches: u32) -> std::result::Result<String, JsError> {
    with(|st| {
        let (m, mut sess) = st.sessions.remove(&s).ok_or_else(|| Error::NotFound("fit session ended".into()))?;
        let r = match st.models.get_mut(&m) {
            Some(model) => sess.run(model, max_batches as usize),
            None => Err(Error::NotFound(format!("model #{m} has been disposed"))),
        };
        // A request for per-step recordings carries (yTrue, yPred) as tensor handles.
        let pending = match (&r, sess.take_pending()) {
            (Ok(_), Some((yt, yp))) => Some((st.rt.put(yt), st.rt.put(yp))),
            _ => None,
        };
        if r.is_ok() && !sess.finished() {
            st.sessions.insert(s, (m, sess));
        }
        r.map(|ev| {
            let mut v = serde_json::to_value(&ev).unwrap_or(Value::Null);
            if let (Some((yt, yp)), Some(last)) = (pending, v.as_array_mut().and_then(|a| a.last_mut())) {
                last["yTrue"] = json!(yt);
                last["yPred"] = json!(yp);
            }
            v.to_string()
        })
    })
}

/// Hands this step's recordings to a session that asked for them: `{loss: id|null, metrics: [id|null]}`.
#[wasm_bindgen]
pub fn fit_supply(s: u32, fns: &str) -> std::result::Result<(), JsError> {
    with(|st| {
        let v = parse_json("fit", fns)?;
        let mut take = |x: &Value| -> Result<Option<TracedFn>> {
            match x.as_u64() {
                Some(id) => st.traced.remove(&(id as u32)).map(Some).ok_or_else(|| Error::arg("fit", "a recorded function is gone")),
                None => Ok(None),
            }
        };
        let phase = if v["phase"].as_str() == Some("val") { Phase::Val } else { Phase::Train };
        let loss = take(&v["loss"])?;
        let metrics = v["metrics"].as_array().cloned().unwrap_or_default().iter().map(&mut take).collect::<Result<Vec<_>>>()?;
        let (_, sess) = st.sessions.get_mut(&s).ok_or_else(|| Error::NotFound("fit session ended".into()))?;
        sess.supply(StepFns { phase, loss, metrics });
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
        if let Some((_, sess)) = st.sessions.get_mut(&s) {
            sess.stop();
        }
        Ok(())
    });
}

#[wasm_bindgen]
pub fn fit_end(s: u32) {
    let _ = with(|st| {
        st.sessions.remove(&s);
        Ok(())
    });
}

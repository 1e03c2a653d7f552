//! Optimizers with TF.js semantics, each one fused update over every parameter: one pass per
//! parameter reads the gradient and the slots and writes the weight, no temporaries.
//!
//! Where Keras 3 differs (Adam adds epsilon to sqrt(v) before bias correction; TF.js after), the
//! TF.js form is the default and `epsilonBeforeBiasCorrection: true` selects the Keras 3 form.

use crate::error::{Error, Result};
use crate::nn::Opts;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Sgd,
    Momentum { momentum: f32, nesterov: bool },
    Adam { beta1: f32, beta2: f32, eps: f32, keras_eps: bool },
    Adamax { beta1: f32, beta2: f32, eps: f32, decay: f32 },
    RmsProp { decay: f32, momentum: f32, eps: f32, centered: bool },
    Adagrad { initial: f32, eps: f32 },
    Adadelta { rho: f32, eps: f32 },
    /// Keras 3's AdamW: decoupled weight decay (w -= lr·wd·w), then Adam in Keras's epsilon form.
    AdamW { beta1: f32, beta2: f32, eps: f32, weight_decay: f32 },
}

/// A learning rate that changes with the step (Keras 3's schedules).
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    Exponential { initial: f32, decay_steps: f32, rate: f32, staircase: bool },
    /// Cosine decay to `alpha`·peak over `decay_steps`, after an optional linear warmup from
    /// `initial` to `warmup_target` over `warmup_steps`.
    Cosine { initial: f32, decay_steps: f32, alpha: f32, warmup: Option<(f32, f32)> },
    Piecewise { boundaries: Vec<f32>, values: Vec<f32> },
}

impl Schedule {
    pub fn parse(owner: &str, v: &Value) -> Result<Schedule> {
        let class = v.get("className").and_then(|c| c.as_str()).unwrap_or("");
        let empty = Value::Object(Default::default());
        let cfg = v.get("config").unwrap_or(&empty);
        let o = Opts::new(format!("{owner} learning-rate schedule {class}"), cfg);
        let positive = |key: &str| -> Result<f32> {
            let x = o.f32_or(key, f32::NAN)?;
            if x.is_nan() || x <= 0.0 {
                return Err(Error::arg(&o.owner, format!("{key} must be a positive number, received {x}")));
            }
            Ok(x)
        };
        Ok(match class {
            "ExponentialDecay" => Schedule::Exponential {
                initial: positive("initialLearningRate")?,
                decay_steps: positive("decaySteps")?,
                rate: positive("decayRate")?,
                staircase: o.bool_or("staircase", false)?,
            },
            "CosineDecay" => {
                let warmup = match o.get("warmupTarget") {
                    Some(_) => Some((positive("warmupTarget")?, o.f32_or("warmupSteps", 0.0)?.max(0.0))),
                    None => None,
                };
                Schedule::Cosine { initial: o.f32_or("initialLearningRate", f32::NAN)?, decay_steps: positive("decaySteps")?, alpha: o.f32_or("alpha", 0.0)?, warmup }
            }
            "PiecewiseConstantDecay" => {
                let list = |key: &str| -> Result<Vec<f32>> {
                    o.get(key)
                        .and_then(|a| a.as_array())
                        .and_then(|a| a.iter().map(|x| x.as_f64().map(|f| f as f32)).collect::<Option<Vec<f32>>>())
                        .ok_or_else(|| Error::arg(&o.owner, format!("{key} must be an array of numbers")))
                };
                let (boundaries, values) = (list("boundaries")?, list("values")?);
                if values.len() != boundaries.len() + 1 {
                    return Err(Error::arg(
                        &o.owner,
                        format!("values must have one more entry than boundaries, received {} and {}", values.len(), boundaries.len()),
                    ));
                }
                Schedule::Piecewise { boundaries, values }
            }
            c => {
                return Err(Error::arg(
                    owner,
                    format!("unknown learning-rate schedule '{c}'; expected ExponentialDecay, CosineDecay or PiecewiseConstantDecay"),
                ))
            }
        })
    }

    /// The learning rate at `step` (the number of updates already applied).
    pub fn at(&self, step: u64) -> f32 {
        let s = step as f32;
        match self {
            Schedule::Exponential { initial, decay_steps, rate, staircase } => {
                let p = s / decay_steps;
                initial * rate.powf(if *staircase { p.floor() } else { p })
            }
            Schedule::Cosine { initial, decay_steps, alpha, warmup } => {
                let decay = |s: f32, from: f32| {
                    let done = s.min(*decay_steps) / decay_steps;
                    from * ((1.0 - alpha) * 0.5 * (1.0 + (std::f32::consts::PI * done).cos()) + alpha)
                };
                match warmup {
                    None => decay(s, *initial),
                    Some((target, steps)) if s < *steps => initial + (target - initial) * s / steps,
                    Some((target, steps)) => decay(s - steps, *target),
                }
            }
            Schedule::Piecewise { boundaries, values } => {
                let k = boundaries.iter().take_while(|&&b| s > b).count();
                values[k]
            }
        }
    }
}

/// Gradient clipping applied before the update (Keras 3's options; at most one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clip {
    /// Each gradient scaled to an L2 norm of at most this.
    Norm(f32),
    /// All gradients scaled together to a global L2 norm of at most this.
    GlobalNorm(f32),
    /// Each element clipped to [-v, v].
    Value(f32),
}

pub struct Optimizer {
    pub kind: Kind,
    pub lr: f32,
    /// When set, the learning rate of each step comes from here (and `lr` is its current value).
    pub schedule: Option<Schedule>,
    pub clip: Option<Clip>,
    /// Identity of the JS optimizer object this came from (state carries over a recompile with it).
    pub id: Option<u64>,
    pub iterations: u64,
    slots: Vec<Vec<Vec<f32>>>,
}

/// TF.js's backend epsilon on the CPU.
const EPSILON: f32 = 1e-7;

impl Optimizer {
    pub fn new(kind: Kind, lr: f32) -> Optimizer {
        Optimizer { kind, lr, schedule: None, clip: None, id: None, iterations: 0, slots: vec![] }
    }

    /// The same rule (kind, learning rate, schedule, clipping, identity) with no state.
    pub fn clone_rule(&self) -> Optimizer {
        let mut o = Optimizer::new(self.kind.clone(), self.lr);
        o.schedule = self.schedule.clone();
        o.clip = self.clip;
        o.id = self.id;
        o
    }

    /// `{className: 'Adam', config: {learningRate: 0.01, ...}}`, or a bare name with TF.js's defaults.
    pub fn from_config(v: &Value) -> Result<Optimizer> {
        let (class, cfg) = match v {
            Value::String(s) => (s.clone(), Value::Object(Default::default())),
            Value::Object(o) => (
                o.get("className").and_then(|c| c.as_str()).unwrap_or("").to_string(),
                o.get("config").cloned().unwrap_or(Value::Object(Default::default())),
            ),
            _ => return Err(Error::arg("compile", format!("optimizer must be a name or an optimizer object, received {v}"))),
        };
        let key = class.to_lowercase();
        let o = Opts::new(format!("optimizer {class}"), &cfg);
        let lr_default = match key.as_str() {
            "sgd" | "adagrad" => 0.01,
            "adamax" => 0.002,
            _ => 0.001,
        };
        let schedule = match o.get("learningRate") {
            Some(s @ Value::Object(_)) => Some(Schedule::parse(&o.owner, s)?),
            _ => None,
        };
        let lr = match &schedule {
            Some(s) => s.at(0),
            None => o.f32_or("learningRate", lr_default)?,
        };
        if lr.is_nan() || lr < 0.0 {
            return Err(Error::arg(&o.owner, format!("learningRate must be a non-negative number, received {lr}")));
        }
        let mut clips = vec![];
        for (key, make) in [("clipnorm", Clip::Norm as fn(f32) -> Clip), ("globalClipnorm", Clip::GlobalNorm), ("clipvalue", Clip::Value)] {
            if o.get(key).is_some() {
                let v = o.f32_or(key, f32::NAN)?;
                if v.is_nan() || v <= 0.0 {
                    return Err(Error::arg(&o.owner, format!("{key} must be a positive number, received {v}")));
                }
                clips.push(make(v));
            }
        }
        if clips.len() > 1 {
            return Err(Error::arg(&o.owner, "only one of clipnorm, globalClipnorm and clipvalue can be set (as in Keras)"));
        }
        let eps = o.f32_or("epsilon", EPSILON)?;
        let kind = match key.as_str() {
            "sgd" => Kind::Sgd,
            "momentum" => Kind::Momentum { momentum: o.f32_or("momentum", 0.9)?, nesterov: o.bool_or("useNesterov", false)? },
            "adam" => Kind::Adam {
                beta1: o.f32_or("beta1", 0.9)?,
                beta2: o.f32_or("beta2", 0.999)?,
                eps,
                keras_eps: o.bool_or("epsilonBeforeBiasCorrection", false)?,
            },
            "adamax" => {
                Kind::Adamax { beta1: o.f32_or("beta1", 0.9)?, beta2: o.f32_or("beta2", 0.999)?, eps, decay: o.f32_or("decay", 0.0)? }
            }
            "rmsprop" => Kind::RmsProp {
                decay: o.f32_or("decay", 0.9)?,
                momentum: o.f32_or("momentum", 0.0)?,
                eps,
                centered: o.bool_or("centered", false)?,
            },
            "adagrad" => Kind::Adagrad { initial: o.f32_or("initialAccumulatorValue", 0.1)?, eps },
            "adadelta" => Kind::Adadelta { rho: o.f32_or("rho", 0.95)?, eps },
            "adamw" => Kind::AdamW {
                beta1: o.f32_or("beta1", 0.9)?,
                beta2: o.f32_or("beta2", 0.999)?,
                eps,
                weight_decay: o.f32_or("weightDecay", 0.004)?,
            },
            _ => {
                return Err(Error::arg(
                    "compile",
                    format!("unknown optimizer '{class}'; expected one of sgd, momentum, adam, adamw, adamax, adadelta, rmsprop, adagrad"),
                ))
            }
        };
        let mut opt = Optimizer::new(kind, lr);
        opt.schedule = schedule;
        opt.clip = clips.pop();
        opt.id = v.get("id").and_then(|i| i.as_u64());
        Ok(opt)
    }

    /// The state of trained parameter `k` (n elements), created on first use: one vector per slot.
    pub fn slots_of(&mut self, k: usize, n: usize) -> &mut [Vec<f32>] {
        self.ensure_slots(k, n);
        &mut self.slots[k]
    }

    fn ensure_slots(&mut self, k: usize, n: usize) {
        if self.slots.len() <= k || self.slots[k].first().is_some_and(|v| v.len() != n) || self.slots[k].len() != self.num_slots() {
            let init = if let Kind::Adagrad { initial, .. } = self.kind { initial } else { 0.0 };
            let fresh: Vec<Vec<f32>> = (0..self.num_slots()).map(|j| vec![if j == 0 { init } else { 0.0 }; n]).collect();
            if self.slots.len() <= k {
                self.slots.resize_with(k + 1, Vec::new);
            }
            self.slots[k] = fresh;
        }
    }

    /// The fused GPU update's parameters for the current step (after `begin_step`): the kind
    /// code and words 2.. of optimizer.wgsl.
    pub fn gpu_words(&self) -> (u32, [f32; 8]) {
        let t = self.iterations.max(1) as i32;
        let lr = self.lr;
        match self.kind {
            Kind::Sgd => (0, [lr, 0., 0., 0., 0., 0., 0., 0.]),
            Kind::Momentum { momentum, nesterov } => (if nesterov { 2 } else { 1 }, [lr, momentum, 0., 0., 0., 0., 0., 0.]),
            Kind::Adam { beta1, beta2, eps, keras_eps } => {
                (if keras_eps { 4 } else { 3 }, [lr, beta1, beta2, eps, 1.0 - beta1.powi(t), 1.0 - beta2.powi(t), 0., 0.])
            }
            Kind::Adamax { beta1, beta2, eps, decay } => {
                let lr_t = lr / (1.0 + decay * (t - 1) as f32) / (1.0 - beta1.powi(t));
                (5, [lr, beta1, beta2, eps, 0., 0., lr_t, 0.])
            }
            Kind::RmsProp { decay, momentum, eps, centered } => (if centered { 7 } else { 6 }, [lr, decay, 0., eps, 0., 0., 0., momentum]),
            Kind::Adagrad { eps, .. } => (8, [lr, 0., 0., eps, 0., 0., 0., 0.]),
            Kind::Adadelta { rho, eps } => (9, [lr, rho, 0., eps, 0., 0., 0., 0.]),
            Kind::AdamW { beta1, beta2, eps, weight_decay } => {
                (10, [lr, beta1, beta2, eps, 1.0 - beta1.powi(t), 1.0 - beta2.powi(t), 0., weight_decay])
            }
        }
    }

    pub fn num_slots(&self) -> usize {
        match self.kind {
            Kind::Sgd => 0,
            Kind::Momentum { .. } | Kind::Adagrad { .. } => 1,
            Kind::Adam { .. } | Kind::Adamax { .. } | Kind::Adadelta { .. } | Kind::AdamW { .. } => 2,
            Kind::RmsProp { .. } => 3,
        }
    }

    /// Forgets the slot state (after weights are replaced wholesale).
    pub fn reset(&mut self) {
        self.slots.clear();
        self.iterations = 0;
    }

    /// Applies one update to every parameter.
    pub fn apply(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]]) {
        self.begin_step(params.len());
        for (k, (w, g)) in params.iter_mut().zip(grads).enumerate() {
            self.update(k, w, g);
        }
    }

    /// Starts an optimizer step over `n` trained parameters (then call `update` for each).
    pub fn begin_step(&mut self, n: usize) {
        if let Some(s) = &self.schedule {
            self.lr = s.at(self.iterations);
        }
        self.iterations += 1;
        self.slots.truncate(n);
    }

    /// Updates trained parameter `k` in place from its gradient. Slots are created on first use
    /// (and re-created if the parameter set changed, a layer was frozen), then reused.
    pub fn update(&mut self, k: usize, w: &mut [f32], g: &[f32]) {
        let n = w.len();
        self.ensure_slots(k, n);
        let t = self.iterations as i32;
        let lr = self.lr;
        let slots = &mut self.slots[k];
        let (g, w) = (&g[..n], &mut w[..n]);
        match self.kind {
            Kind::Sgd => {
                for i in 0..n {
                    w[i] -= lr * g[i];
                }
            }
            Kind::Momentum { momentum, nesterov } => {
                let acc = &mut slots[0][..n];
                for i in 0..n {
                    acc[i] = momentum * acc[i] + g[i];
                    w[i] -= if nesterov { lr * (g[i] + momentum * acc[i]) } else { lr * acc[i] };
                }
            }
            Kind::Adam { beta1, beta2, eps, keras_eps } => {
                let (m, v) = two(slots);
                let c1 = 1.0 - beta1.powi(t);
                let c2 = 1.0 - beta2.powi(t);
                let alpha = lr * c2.sqrt() / c1;
                for i in 0..n {
                    m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
                    v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i];
                    w[i] -= if keras_eps { alpha * m[i] / (v[i].sqrt() + eps) } else { lr * (m[i] / c1) / ((v[i] / c2).sqrt() + eps) };
                }
            }
            Kind::Adamax { beta1, beta2, eps, decay } => {
                let (m, u) = two(slots);
                let lr_t = lr / (1.0 + decay * (t - 1) as f32) / (1.0 - beta1.powi(t));
                for i in 0..n {
                    m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
                    u[i] = (beta2 * u[i]).max(g[i].abs());
                    w[i] -= lr_t * m[i] / (u[i] + eps);
                }
            }
            Kind::RmsProp { decay, momentum, eps, centered } => {
                let [ms, mom, mg] = &mut slots[..] else { unreachable!() };
                for i in 0..n {
                    ms[i] = decay * ms[i] + (1.0 - decay) * g[i] * g[i];
                    let denom = if centered {
                        mg[i] = decay * mg[i] + (1.0 - decay) * g[i];
                        (ms[i] - mg[i] * mg[i] + eps).sqrt()
                    } else {
                        (ms[i] + eps).sqrt()
                    };
                    if momentum > 0.0 {
                        mom[i] = momentum * mom[i] + lr * g[i] / denom;
                        w[i] -= mom[i];
                    } else {
                        w[i] -= lr * g[i] / denom;
                    }
                }
            }
            Kind::Adagrad { eps, .. } => {
                let acc = &mut slots[0][..n];
                for i in 0..n {
                    acc[i] += g[i] * g[i];
                    w[i] -= lr * g[i] / (acc[i] + eps).sqrt();
                }
            }
            Kind::Adadelta { rho, eps } => {
                let (ag, ad) = two(slots);
                for i in 0..n {
                    ag[i] = rho * ag[i] + (1.0 - rho) * g[i] * g[i];
                    let delta = (ad[i] + eps).sqrt() / (ag[i] + eps).sqrt() * g[i];
                    ad[i] = rho * ad[i] + (1.0 - rho) * delta * delta;
                    w[i] -= lr * delta;
                }
            }
            Kind::AdamW { beta1, beta2, eps, weight_decay } => {
                let (m, v) = two(slots);
                let alpha = lr * (1.0 - beta2.powi(t)).sqrt() / (1.0 - beta1.powi(t));
                for i in 0..n {
                    w[i] -= w[i] * weight_decay * lr;
                    m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
                    v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i];
                    w[i] -= alpha * m[i] / (v[i].sqrt() + eps);
                }
            }
        }
    }
}

/// An optimizer driven from a custom training loop (`optimizer.minimize`, `applyGradients`):
/// the same update as `fit`, with each variable's state (moments, accumulators) found by the
/// caller's key, so it carries over calls whichever subset of variables a call updates.
pub struct Keyed {
    pub opt: Optimizer,
    index: HashMap<u64, usize>,
}

impl Keyed {
    pub fn new(opt: Optimizer) -> Keyed {
        Keyed { opt, index: HashMap::new() }
    }

    /// Takes a changed configuration: a new learning rate keeps the state, anything else (another
    /// kind, schedule or clipping) starts afresh.
    pub fn reconfigure(&mut self, new: Optimizer) {
        if self.same_rule(&new) {
            if self.opt.schedule.is_none() {
                self.opt.lr = new.lr;
            }
        } else {
            *self = Keyed::new(new);
        }
    }

    /// Whether `new` is this optimizer with at most another learning rate (its state carries over).
    pub fn same_rule(&self, new: &Optimizer) -> bool {
        new.kind == self.opt.kind && new.schedule == self.opt.schedule && new.clip == self.opt.clip
    }

    /// The state of the variable keyed `key` (n elements): one vector per slot, created (and the
    /// key registered) on first use.
    pub fn slots_for(&mut self, key: u64, n: usize) -> &mut [Vec<f32>] {
        let next = self.index.len();
        let k = *self.index.entry(key).or_insert(next);
        self.opt.slots_of(k, n)
    }

    /// One optimizer step over `params` (keyed by `keys`), clipping the gradients as configured.
    pub fn apply(&mut self, keys: &[u64], params: &mut [&mut [f32]], grads: &[&[f32]]) -> Result<()> {
        if keys.len() != params.len() || grads.len() != params.len() {
            return Err(Error::arg(
                "applyGradients",
                format!("{} keys, {} variables and {} gradients", keys.len(), params.len(), grads.len()),
            ));
        }
        if let Some((k, _)) = params.iter().zip(grads).enumerate().find(|(_, (w, g))| w.len() != g.len()) {
            return Err(Error::shape(
                "applyGradients",
                format!("variable {k} has {} values, its gradient {}", params[k].len(), grads[k].len()),
            ));
        }
        let mut clipped: Vec<Vec<f32>> = grads.iter().map(|g| g.to_vec()).collect();
        if let Some(c) = self.opt.clip {
            clip_cpu(c, &mut clipped);
        }
        for &key in keys {
            let next = self.index.len();
            self.index.entry(key).or_insert(next);
        }
        // Every known slot survives begin_step (it keeps the first n).
        self.opt.begin_step(self.index.len());
        for ((key, w), g) in keys.iter().zip(params.iter_mut()).zip(&clipped) {
            self.opt.update(self.index[key], w, g);
        }
        Ok(())
    }
}

/// Keras's gradient clipping on CPU values, as the training step does it in the graph.
pub fn clip_cpu(clip: Clip, grads: &mut [Vec<f32>]) {
    let sq = |g: &[f32]| g.iter().map(|v| v * v).sum::<f32>();
    let scale = |g: &mut [f32], sq: f32, c: f32| {
        let f = c / sq.sqrt().max(c);
        g.iter_mut().for_each(|v| *v *= f);
    };
    match clip {
        Clip::Value(c) => grads.iter_mut().flatten().for_each(|v| *v = v.clamp(-c, c)),
        Clip::Norm(c) => grads.iter_mut().for_each(|g| {
            let s = sq(g);
            scale(g, s, c)
        }),
        Clip::GlobalNorm(c) => {
            let total: f32 = grads.iter().map(|g| sq(g)).sum();
            grads.iter_mut().for_each(|g| scale(g, total, c));
        }
    }
}

fn two(slots: &mut [Vec<f32>]) -> (&mut [f32], &mut [f32]) {
    let (a, b) = slots.split_at_mut(1);
    (&mut a[0], &mut b[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sgd_and_adam_first_steps_golden() {
        // SGD: w = 1 - 0.1 * 2 = 0.8
        let mut o = Optimizer::new(Kind::Sgd, 0.1);
        let mut w = vec![1.0f32];
        o.apply(&mut [&mut w], &[&[2.0]]);
        assert!((w[0] - 0.8).abs() < 1e-7);
        // Adam step 1: m̂ = g, v̂ = g², so w moves by lr·g/(|g| + eps) ≈ lr.
        let mut o = Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01);
        let mut w = vec![1.0f32, -1.0];
        o.apply(&mut [&mut w], &[&[0.5, -3.0]]);
        assert!((w[0] - 0.99).abs() < 1e-6 && (w[1] + 0.99).abs() < 1e-6, "{w:?}");
    }
}

//! Custom training loops: gradients of JS functions (`tf.grads`, `tf.variableGrads`), optimizer
//! steps on variables (`optimizer.minimize`, `applyGradients`) and `model.apply` on tensors.
//!
//! The function runs once in record mode with the tensors it is differentiated by watched: every
//! op is computed as usual (so reading values inside it works) and recorded. The recording and
//! its backward graph are then planned and run on the CPU, whichever backend is active; the
//! results are ordinary tensors. Optimizer state is kept per JS optimizer and per variable.

use super::gpu_loop::Recorded;
use super::Engine;
use crate::backend::gpu::Gpu;
use crate::eager::Handle;
use crate::error::{fmt_shape, Error, Result};
use crate::graph::autodiff;
use crate::graph::TracedFn;
use crate::optim::{Keyed, Optimizer};
use crate::tensor::{DType, Tensor};
use std::rc::Rc;
use std::sync::Arc;

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

fn unlinked(args: bool) -> &'static str {
    if args {
        "cannot compute the gradient of y = f(x) with respect to x: y is not computed from x (make sure the operations that lead from x to y are inside f)"
    } else {
        "cannot find a connection between any variable and the result of f (make sure the operations that use the variables are inside f)"
    }
}

/// A recording ended by [`Engine::end_scalar`]: it, its distinct watched handles, which of them
/// its value depends on, and their keys.
type Ended = (TracedFn, Vec<Handle>, Vec<bool>, Vec<u64>);

/// How [`Engine::grad_end`] checks the function's result and gradients.
#[derive(Clone, Copy, Debug, Default)]
pub struct GradCheck {
    /// The result must be a scalar.
    pub scalar: bool,
    /// Every watched tensor must have a gradient (otherwise at least one).
    pub all: bool,
}

impl Engine {
    /// Opens a recording in which ops on `watch` are traced. `op` names the caller in errors.
    /// With `symbolic` (a step the GPU will take) nothing is computed while f runs, and a value
    /// read inside f raises [`crate::eager::SYMBOLIC_READ`]; the caller then records it again.
    pub fn grad_begin(&mut self, op: &str, watch: &[Handle], symbolic: bool) -> Result<()> {
        if self.rt.tracing() {
            return Err(Error::arg(
                op,
                "cannot be called inside a function that is being differentiated or traced (nested gradients are not supported)",
            ));
        }
        // Read (and so finish) every watched value before the trace opens: a retry after a value
        // pending on the GPU then starts clean.
        if !symbolic {
            for &h in watch {
                self.rt.get_rc(h)?;
            }
        }
        self.rt.trace_begin(&[], (!symbolic).then(Vec::new))?;
        if let Err(e) = self.rt.trace_watch(watch) {
            let _ = self.rt.trace_end(None);
            return Err(e.within(op));
        }
        Ok(())
    }

    /// Closes the recording [`Self::grad_begin`] opened, if it is still open (the function
    /// threw).
    pub fn grad_abort(&mut self) {
        if self.rt.tracing() {
            let _ = self.rt.trace_end(None);
        }
    }

    /// Ends the recording with `output` as the function's result and returns new tensors: the
    /// value, then the gradient for each entry of `watch` (0 where the value is not computed
    /// from it). `dy` weights the output (the gradient of sum(y · dy)).
    pub fn grad_end(&mut self, op: &str, watch: &[Handle], output: Handle, dy: Option<Handle>, check: GradCheck) -> Result<Vec<Handle>> {
        let (uniq, pos) = distinct(watch);
        // Everything that may still be pending on the GPU is read while the trace is open, so a
        // retry finds it as it was; any other failure closes the trace.
        let rt = &mut self.rt;
        let read = (|| -> Result<_> {
            let dy = dy.map(|h| rt.get_rc(h)).transpose()?;
            let args = uniq.iter().map(|&h| rt.get_rc(h)).collect::<Result<Vec<_>>>()?;
            let shape = rt.shape(output)?;
            let dtype = rt.dtype(output)?;
            Ok((dy, args, shape, dtype))
        })();
        let (dy, args, shape, dtype) = match read {
            Err(Error::Pending(h)) => return Err(Error::Pending(h)),
            Err(e) => {
                let _ = self.rt.trace_end(None);
                return Err(e.within(op));
            }
            Ok(r) => r,
        };
        let linked = self.rt.trace_node(output).is_some();
        let f = self.rt.trace_end(linked.then_some(output));
        if !linked {
            return Err(Error::arg(op, unlinked(check.all)));
        }
        if dtype != DType::F32 {
            return Err(Error::arg(op, format!("f must return a float32 tensor, received {}", dtype.name())));
        }
        let f = f?;
        if check.scalar && !shape.is_empty() {
            return Err(Error::shape(
                op,
                format!("f must return a scalar, but it returned a rank-{} tensor of shape {}", shape.len(), fmt_shape(&shape)),
            ));
        }
        let arg_refs: Vec<&Tensor> = args.iter().map(|t| t.as_ref()).collect();
        let mut rng = self.rt.rng.clone();
        let (value, grads) = autodiff::value_and_grads(op, &f, &arg_refs, dy.as_deref(), &mut rng)?;
        if check.all {
            if let Some(k) = pos.iter().position(|&p| grads[p].is_none()) {
                return Err(Error::arg(op, format!("cannot compute the gradient with respect to argument {k}: the result of f is not computed from it (make sure f uses it in the operations that lead to its result)")));
            }
        } else if grads.iter().all(|g| g.is_none()) {
            return Err(Error::arg(op, unlinked(false)));
        }
        let mut out = vec![self.rt.put(value)];
        for &p in &pos {
            out.push(match &grads[p] {
                Some(g) => self.rt.put(g.clone()),
                None => 0,
            });
        }
        Ok(out)
    }

    /// Ends a recording of a scalar function of variables (`optimizer.minimize(f)`,
    /// `tf.variableGrads(f)`): checks it, and returns it with the distinct watched handles,
    /// which of them f's value depends on, and their keys.
    fn end_scalar(&mut self, op: &str, watch: &[Handle], keys: &[u64], output: Handle) -> Result<Ended> {
        if keys.len() != watch.len() {
            self.grad_abort();
            return Err(Error::arg(op, format!("{} keys for {} variables", keys.len(), watch.len())));
        }
        let (uniq, _) = distinct(watch);
        // Each distinct variable's key: that of its first occurrence in `watch`.
        let ukeys: Vec<u64> = uniq.iter().filter_map(|u| watch.iter().position(|w| w == u).map(|i| keys[i])).collect();
        let (shape, dtype) = match (self.rt.shape(output), self.rt.dtype(output)) {
            (Ok(s), Ok(d)) => (s, d),
            (Err(e), _) | (_, Err(e)) => {
                self.grad_abort();
                return Err(e.within(op));
            }
        };
        let linked = self.rt.trace_node(output).is_some();
        let f = self.rt.trace_end(linked.then_some(output));
        if !linked {
            return Err(Error::arg(op, unlinked(false)));
        }
        if dtype != DType::F32 {
            return Err(Error::arg(op, format!("f must return a float32 tensor, received {}", dtype.name())));
        }
        let f = f?;
        if !shape.is_empty() {
            return Err(Error::shape(
                op,
                format!("f must return a scalar, but it returned a rank-{} tensor of shape {}", shape.len(), fmt_shape(&shape)),
            ));
        }
        let reached: Vec<bool> = f.inputs.iter().map(|&p| autodiff::connected(&f.graph, p, f.output)).collect();
        if !reached.iter().any(|&r| r) {
            return Err(Error::arg(op, unlinked(false)));
        }
        Ok((f, uniq, reached, ukeys))
    }

    /// The GPU a recorded step over variables `keys` runs on: WebGPU is active, the loop has not
    /// gone back to the CPU, and the recording's value is more than one of its arguments.
    fn loop_gpu(&mut self, f: &TracedFn, keys: &[u64]) -> Option<Arc<Gpu>> {
        if self.loop_demoted(keys) {
            // A loop over these variables that went back to the CPU hands them back for good.
            self.loop_drop_keys(keys);
            return None;
        }
        if f.inputs.contains(&f.output) {
            return None;
        }
        self.active_gpu()
    }

    /// A failed GPU step: a lost device ends WebGPU; anything else the GPU refused (a size over
    /// its limits) sends this loop to the CPU.
    fn loop_failed(&mut self, e: Error, keys: &[u64]) {
        match e {
            Error::Device(e) => self.lose_gpu(&e),
            e => {
                self.warnings.push(format!("Hebb: {e}; this custom loop continues on the CPU."));
                let mut k = keys.to_vec();
                k.sort_unstable();
                self.cpu_loops.insert(k);
            }
        }
    }

    /// Ends the recording of `optimizer.minimize(f)` with `output` (a scalar) as f's value and
    /// takes one step of `opt` on the watched variables (`keys` their identities) that the value
    /// depends on. On WebGPU the step is planned and run there (see [`super::gpu_loop`]);
    /// otherwise on the CPU. Returns the cost when `return_cost`.
    pub fn minimize_end(
        &mut self,
        op: &str,
        watch: &[Handle],
        keys: &[u64],
        output: Handle,
        opt: Optimizer,
        return_cost: bool,
    ) -> Result<Option<Handle>> {
        let (f, uniq, reached, ukeys) = self.end_scalar(op, watch, keys, output)?;
        let rec = |f| Recorded { f, watch: &uniq, reached: &reached, keys: &ukeys };
        let gpu = if opt.clip.is_none() { self.loop_gpu(&f, &ukeys) } else { None };
        if let Some(gpu) = gpu {
            let cfg = opt.clone_rule();
            match self.loop_record(&gpu, rec(f.clone()), Some(opt), return_cost) {
                Ok(out) => return Ok(out.value),
                Err(e) => self.loop_failed(e, &ukeys),
            }
            return self.minimize_cpu(op, &rec(f), cfg, return_cost);
        }
        self.minimize_cpu(op, &rec(f), opt, return_cost)
    }

    /// Ends the recording of `tf.variableGrads(f)` with `output` (a scalar) as f's value: returns
    /// the value, then the gradient for each watched handle (0 where the value does not depend
    /// on it). On WebGPU they are computed there and stay there, pending (`applyGradients` then
    /// updates from them on the GPU).
    pub fn grads_end(&mut self, op: &str, watch: &[Handle], keys: &[u64], output: Handle) -> Result<Vec<Handle>> {
        let (f, uniq, reached, ukeys) = self.end_scalar(op, watch, keys, output)?;
        let (_, pos) = distinct(watch);
        if let Some(gpu) = self.loop_gpu(&f, &ukeys) {
            match self.loop_record(&gpu, Recorded { f: f.clone(), watch: &uniq, reached: &reached, keys: &ukeys }, None, true) {
                Ok(out) => {
                    let mut next = out.grads.into_iter();
                    let per: Vec<Handle> = reached.iter().map(|&r| if r { next.next().unwrap_or(0) } else { 0 }).collect();
                    let mut hs = vec![out.value.unwrap_or(0)];
                    hs.extend(pos.iter().map(|&p| per[p]));
                    return Ok(hs);
                }
                Err(e) => self.loop_failed(e, &ukeys),
            }
        }
        let args = uniq.iter().map(|&h| self.value_now(h)).collect::<Result<Vec<_>>>()?;
        let arg_refs: Vec<&Tensor> = args.iter().map(|t| t.as_ref()).collect();
        let mut rng = self.rt.rng.clone();
        let (value, grads) = autodiff::value_and_grads(op, &f, &arg_refs, None, &mut rng)?;
        let mut out = vec![self.rt.put(value)];
        for &p in &pos {
            out.push(match (&grads[p], reached[p]) {
                (Some(g), true) => self.rt.put(g.clone()),
                _ => 0,
            });
        }
        Ok(out)
    }

    fn minimize_cpu(&mut self, op: &str, rec: &Recorded, opt: Optimizer, return_cost: bool) -> Result<Option<Handle>> {
        let Recorded { f, watch, reached, keys } = rec;
        self.loop_release(opt.id.unwrap_or(0))?;
        let args = watch.iter().map(|&h| self.value_now(h)).collect::<Result<Vec<_>>>()?;
        let arg_refs: Vec<&Tensor> = args.iter().map(|t| t.as_ref()).collect();
        let mut rng = self.rt.rng.clone();
        let (value, grads) = autodiff::value_and_grads(op, f, &arg_refs, None, &mut rng)?;
        let trained: Vec<usize> = (0..watch.len()).filter(|&k| reached[k] && grads[k].is_some()).collect();
        let vars: Vec<Handle> = trained.iter().map(|&k| watch[k]).collect();
        let tkeys: Vec<u64> = trained.iter().map(|&k| keys[k]).collect();
        let gs: Vec<Rc<Tensor>> = trained.iter().filter_map(|&k| grads[k].clone().map(Rc::new)).collect();
        self.keyed_apply(opt, &tkeys, &vars, gs)?;
        Ok(return_cost.then(|| self.rt.put(value)))
    }

    /// One optimizer step: `vars[i] -= update(grads[i])`, with optimizer `opt` (its state kept
    /// per optimizer id and per `keys[i]`, the variable's identity, across calls).
    pub fn optimizer_apply(&mut self, opt: Optimizer, keys: &[u64], vars: &[Handle], grads: &[Handle]) -> Result<()> {
        const OP: &str = "applyGradients";
        if keys.len() != vars.len() || grads.len() != vars.len() {
            return Err(Error::arg(OP, format!("{} keys, {} variables and {} gradients", keys.len(), vars.len(), grads.len())));
        }
        // Gradients a GPU loop computed update its variables there.
        if opt.clip.is_none() && self.loop_on_gpu() {
            match self.loop_apply(opt.clone_rule(), vars, grads) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(Error::Device(e)) => self.lose_gpu(&e),
                Err(e) => return Err(e.within(OP)),
            }
        }
        let mut gs: Vec<Rc<Tensor>> = vec![];
        for &g in grads {
            gs.push(self.value_now(g)?);
        }
        // The loop holding this optimizer's state on the GPU hands it back to the CPU first.
        self.loop_release(opt.id.unwrap_or(0))?;
        self.keyed_apply(opt, keys, vars, gs)
    }

    /// `optimizer_apply` on gradient values.
    fn keyed_apply(&mut self, opt: Optimizer, keys: &[u64], vars: &[Handle], grads: Vec<Rc<Tensor>>) -> Result<()> {
        const OP: &str = "applyGradients";
        let mut ws: Vec<Tensor> = vec![];
        let mut gs: Vec<Rc<Tensor>> = vec![];
        for (k, (&v, d)) in vars.iter().zip(grads).enumerate() {
            let w = self.rt.get_rc(v)?;
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
        let state = match self.optimizers.entry(opt.id.unwrap_or(0)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let s = e.into_mut();
                s.reconfigure(opt);
                s
            }
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Keyed::new(opt)),
        };
        let mut params: Vec<&mut [f32]> = ws.iter_mut().map(|w| w.data.as_mut_slice()).collect();
        let gr: Vec<&[f32]> = gs.iter().map(|g| g.data.as_slice()).collect();
        state.apply(keys, &mut params, &gr)?;
        for (&v, w) in vars.iter().zip(ws) {
            self.rt.replace(v, Rc::new(w))?;
        }
        Ok(())
    }

    /// How many steps the custom-loop state of optimizer `id` has taken.
    pub fn optimizer_iterations(&self, id: u64) -> u64 {
        self.optimizers.get(&id).map_or(0, |s| s.opt.iterations) + self.loop_lead(id)
    }

    /// Forgets optimizer `id`'s custom-loop state (Optimizer.dispose).
    pub fn optimizer_drop(&mut self, id: u64) {
        // Its variables keep the values the loop gave them.
        let _ = self.loop_release(id);
        self.optimizers.remove(&id);
    }

    /// `model.apply(x)` on tensors as runtime ops (recorded inside a gradient recording): the
    /// model weights named in `names` are read from the tensors `handles` (a custom loop's
    /// variables), the others from the model. Returns the (packed) output.
    pub fn apply_model(&mut self, m: u32, x: Handle, names: &[String], handles: &[Handle], training: bool) -> Result<Handle> {
        self.settle_model(m)?;
        if names.len() != handles.len() {
            return Err(Error::arg("apply", format!("{} weight names for {} tensors", names.len(), handles.len())));
        }
        let model = self.models.get_mut(&m).ok_or_else(|| Error::NotFound(format!("model #{m} has been disposed")))?;
        let ws: Vec<Option<Handle>> = model.weights.iter().map(|w| names.iter().position(|n| *n == w.name).map(|k| handles[k])).collect();
        // In training mode RandomWidth layers resize to widths drawn afresh, as in a fit step.
        if training {
            model.use_train_widths(Some(self.rt.rng.next_u32() as u64))?;
        }
        let out = model.apply_eager(&mut self.rt, x, &ws, training);
        if training {
            model.use_train_widths(None)?;
        }
        out
    }
}

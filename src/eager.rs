//! The runtime behind JS tensor handles. A handle is a u32 naming either a concrete tensor or,
//! while a user function is being traced, a symbolic node of the trace graph. Ops on concrete
//! inputs run at once on the CPU kernels; an op with any symbolic input is recorded instead, so
//! the same JS code (a custom loss) both computes values and describes a graph.

use crate::error::{fmt_shape, Error, OrInternal, Result};
use crate::graph::{Builder, Graph, NodeId, TracedFn};
use crate::ops::{self, KernelCtx, Op};
use crate::rng::Rng;
use crate::tensor::{numel, DType, Tensor};
use std::collections::HashMap;
use std::rc::Rc;

pub type Handle = u32;

/// The message a value read raises inside a trace; the JS side recognises it and switches that
/// function to per-step recording.
pub const SYMBOLIC_READ: &str = "cannot read the values of a symbolic tensor while a function is being traced";

enum Value {
    Concrete(Rc<Tensor>),
    Symbolic(NodeId),
    /// Being computed on the GPU; reading it raises [`Error::Pending`] until the caller resolves
    /// it (from the GPU's result, or by computing it on the CPU).
    Pending {
        shape: Vec<usize>,
        dtype: DType,
    },
    /// Not computed yet (the WebGPU backend): a synchronous read computes it on the CPU, an
    /// asynchronous one may compute it on the GPU first (see [`Lazy`]).
    Lazy(Rc<Lazy>),
}

/// An input of a lazy op: a value, or another lazy op.
#[derive(Clone)]
pub enum Operand {
    Ready(Rc<Tensor>),
    Lazy(Rc<Lazy>),
}

/// An op recorded on the WebGPU backend instead of run: its value is computed once, on the CPU
/// when read synchronously, or from a GPU result that arrived first. Chains deeper than
/// [`MAX_LAZY_DEPTH`] are computed at once, so no read recurses without bound.
pub struct Lazy {
    pub op: Op,
    inputs: std::cell::RefCell<Vec<Operand>>,
    pub shape: Vec<usize>,
    pub dtype: DType,
    depth: usize,
    value: std::cell::OnceCell<Rc<Tensor>>,
}

pub const MAX_LAZY_DEPTH: usize = 32;

impl Lazy {
    /// The value, computed on the CPU now if it is not known yet.
    pub fn cpu(&self) -> &Rc<Tensor> {
        let value = self.value.get_or_init(|| {
            let ins: Vec<Rc<Tensor>> = self
                .inputs
                .borrow()
                .iter()
                .map(|o| match o {
                    Operand::Ready(t) => t.clone(),
                    Operand::Lazy(l) => l.cpu().clone(),
                })
                .collect();
            let shapes: Vec<&[usize]> = ins.iter().map(|t| t.shape.as_slice()).collect();
            let data: Vec<&[f32]> = ins.iter().map(|t| t.data.as_slice()).collect();
            let mut out = vec![0.0; numel(&self.shape)];
            // Ops that draw random numbers are never lazy, so this stream is never read.
            let mut rng = Rng::new(0);
            ops::forward(&self.op, &data, &shapes, &mut out, &self.shape, &mut KernelCtx { rng: &mut rng });
            Rc::new(Tensor { shape: self.shape.clone(), dtype: self.dtype, data: out })
        });
        self.inputs.borrow_mut().clear();
        value
    }

    /// Gives the node its value from elsewhere (the GPU); no-op once it has one.
    pub fn set(&self, t: Tensor) {
        if self.value.set(Rc::new(t)).is_ok() {
            self.inputs.borrow_mut().clear();
        }
    }

    pub fn is_known(&self) -> bool {
        self.value.get().is_some()
    }

    /// The inputs (empty once the value is known).
    pub fn operands(&self) -> Vec<Operand> {
        self.inputs.borrow().clone()
    }
}

struct Trace {
    graph: Graph,
    /// In record mode (a per-step function), every node's value on this step's actual inputs.
    values: Option<HashMap<NodeId, Tensor>>,
    inputs: Vec<NodeId>,
    /// Concrete handles already copied into the trace as constants.
    consts: HashMap<Handle, NodeId>,
    /// Concrete handles recorded as inputs rather than constants (what a gradient is taken
    /// with respect to), each with its Input node.
    watched: HashMap<Handle, NodeId>,
    handles: Vec<Handle>,
}

pub struct Runtime {
    values: HashMap<Handle, Value>,
    next: Handle,
    trace: Option<Trace>,
    pub rng: Rng,
    /// Handles created since the innermost open scope began.
    scopes: Vec<Vec<Handle>>,
    /// Record ops lazily (the WebGPU backend) instead of running them at once.
    pub lazy: bool,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new(0x5EED)
    }
}

impl Runtime {
    pub fn new(seed: u64) -> Runtime {
        Runtime { values: HashMap::new(), next: 1, trace: None, rng: Rng::new(seed), scopes: vec![], lazy: false }
    }

    fn insert(&mut self, v: Value) -> Handle {
        let h = self.next;
        self.next = self.next.wrapping_add(1).max(1);
        let symbolic = matches!(v, Value::Symbolic(_));
        self.values.insert(h, v);
        if let Some(s) = self.scopes.last_mut() {
            s.push(h);
        }
        if let (true, Some(t)) = (symbolic, self.trace.as_mut()) {
            t.handles.push(h);
        }
        h
    }

    pub fn put(&mut self, t: Tensor) -> Handle {
        self.insert(Value::Concrete(Rc::new(t)))
    }

    /// A shared reference to `h`'s value (computing a lazy one on the CPU).
    pub fn get_rc(&self, h: Handle) -> Result<Rc<Tensor>> {
        match self.values.get(&h) {
            Some(Value::Concrete(t)) => Ok(t.clone()),
            Some(Value::Lazy(l)) => Ok(l.cpu().clone()),
            _ => self.get(h).map(|t| Rc::new(t.clone())),
        }
    }

    /// The lazy op behind `h`, if its value is not known yet.
    pub fn lazy(&self, h: Handle) -> Option<Rc<Lazy>> {
        match self.values.get(&h) {
            Some(Value::Lazy(l)) if !l.is_known() => Some(l.clone()),
            _ => None,
        }
    }

    pub fn get(&self, h: Handle) -> Result<&Tensor> {
        match self.values.get(&h) {
            Some(Value::Concrete(t)) => Ok(t),
            Some(Value::Lazy(l)) => Ok(l.cpu()),
            Some(Value::Symbolic(n)) => match self.trace.as_ref().and_then(|t| t.values.as_ref()).and_then(|v| v.get(n)) {
                Some(t) => Ok(t),
                None => Err(Error::arg("dataSync", SYMBOLIC_READ)),
            },
            Some(Value::Pending { .. }) => Err(Error::Pending(h)),
            None => Err(Error::NotFound(format!("tensor #{h} has been disposed"))),
        }
    }

    /// A handle whose value the GPU is still computing.
    pub fn put_pending(&mut self, shape: Vec<usize>, dtype: DType) -> Handle {
        self.insert(Value::Pending { shape, dtype })
    }

    /// Marks existing handle `h` as being computed on the GPU (a variable a GPU step updates);
    /// shape and dtype stay. False when `h` is gone or symbolic.
    pub fn make_pending(&mut self, h: Handle) -> bool {
        let (Ok(shape), Ok(dtype)) = (self.shape(h), self.dtype(h)) else { return false };
        match self.values.get_mut(&h) {
            Some(v @ (Value::Concrete(_) | Value::Lazy(_) | Value::Pending { .. })) => {
                *v = Value::Pending { shape, dtype };
                true
            }
            _ => false,
        }
    }

    /// Whether `h` is waiting on the GPU.
    pub fn is_pending(&self, h: Handle) -> bool {
        matches!(self.values.get(&h), Some(Value::Pending { .. }))
    }

    /// Gives a pending handle its value (the shape must be the one promised).
    pub fn resolve(&mut self, h: Handle, t: Tensor) {
        if let Some(v @ Value::Pending { .. }) = self.values.get_mut(&h) {
            *v = Value::Concrete(Rc::new(t));
        }
    }

    pub fn shape(&self, h: Handle) -> Result<Vec<usize>> {
        match self.values.get(&h) {
            Some(Value::Concrete(t)) => Ok(t.shape.clone()),
            Some(Value::Pending { shape, .. }) => Ok(shape.clone()),
            Some(Value::Lazy(l)) => Ok(l.shape.clone()),
            Some(Value::Symbolic(n)) => Ok(self.trace.as_ref().map(|t| t.graph.nodes[*n].shape.clone()).unwrap_or_default()),
            None => Err(Error::NotFound(format!("tensor #{h} has been disposed"))),
        }
    }

    pub fn dtype(&self, h: Handle) -> Result<DType> {
        match self.values.get(&h) {
            Some(Value::Concrete(t)) => Ok(t.dtype),
            Some(Value::Pending { dtype, .. }) => Ok(*dtype),
            Some(Value::Lazy(l)) => Ok(l.dtype),
            Some(Value::Symbolic(n)) => Ok(self.trace.as_ref().map(|t| t.graph.nodes[*n].dtype).unwrap_or(DType::F32)),
            None => Err(Error::NotFound(format!("tensor #{h} has been disposed"))),
        }
    }

    /// A new handle to a copy of `h`'s value (ops that return an input unchanged use this, so
    /// every JS tensor owns its handle).
    pub fn alias(&mut self, h: Handle) -> Result<Handle> {
        let v = match self.values.get(&h) {
            Some(Value::Concrete(t)) => Value::Concrete(t.clone()),
            Some(Value::Lazy(l)) => Value::Lazy(l.clone()),
            Some(Value::Symbolic(n)) => Value::Symbolic(*n),
            Some(Value::Pending { .. }) => return Err(Error::Pending(h)),
            None => return Err(Error::NotFound(format!("tensor #{h} has been disposed"))),
        };
        let a = self.insert(v);
        // An alias of a watched tensor (an op that returned its input) is the same trace input.
        if let Some(tr) = self.trace.as_mut() {
            if let Some(&n) = tr.watched.get(&h) {
                tr.watched.insert(a, n);
            }
        }
        Ok(a)
    }

    pub fn dispose(&mut self, h: Handle) {
        self.values.remove(&h);
    }

    pub fn exists(&self, h: Handle) -> bool {
        self.values.contains_key(&h)
    }

    /// Live concrete tensors and their bytes.
    pub fn memory(&self) -> (usize, usize) {
        let mut n = 0;
        let mut bytes = 0;
        for v in self.values.values() {
            match v {
                Value::Concrete(t) => {
                    n += 1;
                    bytes += t.numel() * 4;
                }
                Value::Pending { shape, .. } => {
                    n += 1;
                    bytes += numel(shape) * 4;
                }
                Value::Lazy(l) => {
                    n += 1;
                    bytes += numel(&l.shape) * 4;
                }
                Value::Symbolic(_) => {}
            }
        }
        (n, bytes)
    }

    /// Opens a scope: handles created until `end_scope` are disposed then, except those kept.
    pub fn begin_scope(&mut self) {
        self.scopes.push(vec![]);
    }

    pub fn end_scope(&mut self, keep: &[Handle]) {
        if let Some(created) = self.scopes.pop() {
            for h in created {
                if keep.contains(&h) {
                    if let Some(outer) = self.scopes.last_mut() {
                        outer.push(h);
                    }
                } else {
                    self.values.remove(&h);
                }
            }
        }
    }

    /// Starts tracing: returns placeholder handles with the given shapes and dtypes. With
    /// `values` (record mode) the placeholders also carry those values, every recorded op is
    /// computed as well, and reading values works: the recording then holds for these values.
    pub fn trace_begin(&mut self, args: &[(Vec<usize>, DType)], values: Option<Vec<Tensor>>) -> Result<Vec<Handle>> {
        if self.trace.is_some() {
            return Err(Error::arg("trace", "a function is already being traced"));
        }
        let mut graph = Graph::new();
        let inputs: Vec<NodeId> = args.iter().enumerate().map(|(i, (s, d))| graph.input(i, s, *d)).collect();
        let values = match values {
            Some(vs) => {
                if vs.len() != inputs.len() || vs.iter().zip(args).any(|(v, (s, d))| &v.shape != s || v.dtype != *d) {
                    return Err(Error::arg("trace", "recorded values must match the placeholders' shapes and dtypes"));
                }
                Some(inputs.iter().copied().zip(vs).collect())
            }
            None => None,
        };
        self.trace =
            Some(Trace { graph, values, inputs: inputs.clone(), consts: HashMap::new(), watched: HashMap::new(), handles: vec![] });
        Ok(inputs.into_iter().map(|n| self.insert(Value::Symbolic(n))).collect())
    }

    /// Ends tracing with `output` as the function's result; symbolic handles are released.
    pub fn trace_end(&mut self, output: Option<Handle>) -> Result<TracedFn> {
        let trace = self.trace.take().ok_or_else(|| Error::arg("trace", "no trace is active"))?;
        let out = output.and_then(|h| match self.values.get(&h) {
            Some(Value::Symbolic(n)) => Some(*n),
            _ => trace.watched.get(&h).copied(),
        });
        for h in &trace.handles {
            self.values.remove(h);
        }
        let Some(out) = out else {
            return Err(Error::arg("trace", "the function must return a tensor computed from its arguments"));
        };
        if trace.graph.nodes[out].dtype != DType::F32 {
            return Err(Error::arg("trace", "the function must return a float32 tensor"));
        }
        Ok(TracedFn { graph: trace.graph, inputs: trace.inputs, output: out })
    }

    /// Numbers new handles from `base` on (a restarted engine, so that handles from before the
    /// restart never name its tensors).
    pub fn number_from(&mut self, base: Handle) {
        self.next = base.max(1);
    }

    pub fn tracing(&self) -> bool {
        self.trace.is_some()
    }

    /// Makes existing concrete tensors inputs of the active trace: ops on them are recorded (and,
    /// in record mode, computed) instead of only computed, so the trace can be differentiated
    /// with respect to them while the user's function keeps the very tensors it was given. Each
    /// distinct handle becomes the next Input, in order of first appearance.
    pub fn trace_watch(&mut self, handles: &[Handle]) -> Result<()> {
        let mut specs = Vec::with_capacity(handles.len());
        for &h in handles {
            match self.values.get(&h) {
                Some(Value::Symbolic(_)) => return Err(Error::arg("trace", "cannot watch a symbolic tensor")),
                Some(_) => specs.push((self.shape(h)?, self.dtype(h)?)),
                None => return Err(Error::NotFound(format!("tensor #{h} has been disposed"))),
            }
        }
        let tr = self.trace.as_mut().ok_or_else(|| Error::arg("trace", "no trace is active"))?;
        for (&h, (shape, dtype)) in handles.iter().zip(specs) {
            if tr.watched.contains_key(&h) {
                continue;
            }
            let n = tr.graph.input(tr.inputs.len(), &shape, dtype);
            tr.inputs.push(n);
            tr.watched.insert(h, n);
        }
        Ok(())
    }

    /// A constant as a node of the active trace (a symbolic tensor), so ops on it are recorded:
    /// a random op drawn inside a traced function then draws afresh on every replay.
    pub fn trace_const(&mut self, t: Tensor) -> Result<Handle> {
        let tr = self.trace.as_mut().ok_or_else(|| Error::arg("trace", "no trace is active"))?;
        let n = tr.graph.constant(t.clone())?;
        if let Some(vals) = tr.values.as_mut() {
            vals.insert(n, t);
        }
        Ok(self.insert(Value::Symbolic(n)))
    }

    /// The placeholder a `tf.customGrad` gradient function is recorded on: a symbolic float32
    /// tensor of `shape` (zeros where values are recorded: they are never used).
    pub fn trace_placeholder(&mut self, op: &str, shape: &[usize]) -> Result<Handle> {
        match self.trace.as_ref() {
            None => Err(Error::arg(op, "no gradient is being recorded")),
            Some(t) if t.values.is_none() => Err(Error::arg(op, SYMBOLIC_READ)),
            Some(_) => self.trace_const(Tensor::zeros(shape)),
        }
    }

    /// Ends a `tf.customGrad` call inside a recording: a new tensor with `value`'s value whose
    /// gradient is `grads[k]` for input `xs[k]`, recorded on the placeholder `dy`
    /// ([`Self::trace_placeholder`]). Inputs outside the recording get no gradient.
    pub fn trace_custom(&mut self, op: &str, value: Handle, xs: &[Handle], dy: Handle, grads: &[Handle]) -> Result<Handle> {
        if grads.len() != xs.len() {
            return Err(Error::arg(
                op,
                format!("the gradient function must return one gradient per input: {} inputs, {} gradients", xs.len(), grads.len()),
            ));
        }
        for (k, (&x, &g)) in xs.iter().zip(grads).enumerate() {
            let (xs_, gs) = (self.shape(x)?, self.shape(g)?);
            if xs_ != gs {
                return Err(Error::shape(
                    op,
                    format!("the gradient for input {k} has shape {}, the input has shape {}", fmt_shape(&gs), fmt_shape(&xs_)),
                ));
            }
        }
        let Some(&Value::Symbolic(dy)) = self.values.get(&dy) else {
            return Err(Error::arg(op, "dy is not the placeholder of this recording"));
        };
        let value_now = self.get(value)?.clone();
        let v = self.node_for(value)?;
        let x_nodes: Vec<Option<NodeId>> = xs.iter().map(|&x| self.trace_node(x)).collect();
        let g_nodes = grads.iter().map(|&g| self.node_for(g)).collect::<Result<Vec<_>>>()?;
        let tr = self.trace.as_mut().ok_or_else(|| Error::arg(op, "no gradient is being recorded"))?;
        let shape = tr.graph.nodes[v].shape.clone();
        let n = tr.graph.apply(Op::Reshape { shape }, &[v])?;
        if let Some(vals) = tr.values.as_mut() {
            vals.insert(n, value_now);
        }
        let (xs, grads): (Vec<NodeId>, Vec<NodeId>) = x_nodes.iter().zip(g_nodes).filter_map(|(x, g)| x.map(|x| (x, g))).unzip();
        tr.graph.custom.push(crate::graph::CustomGrad { node: n, dy, xs, grads });
        Ok(self.insert(Value::Symbolic(n)))
    }

    /// The trace node behind `h` while tracing: a symbolic tensor or a watched one.
    pub fn trace_node(&self, h: Handle) -> Option<NodeId> {
        let tr = self.trace.as_ref()?;
        match self.values.get(&h) {
            Some(Value::Symbolic(n)) => Some(*n),
            _ => tr.watched.get(&h).copied(),
        }
    }

    /// A new handle sharing `t` (no copy).
    pub fn put_shared(&mut self, t: Rc<Tensor>) -> Handle {
        self.insert(Value::Concrete(t))
    }

    /// Gives existing handle `h` a new value, shape and dtype unchanged (a variable's assign:
    /// the handle, and so every JS object naming it, stays the same).
    pub fn replace(&mut self, h: Handle, t: Rc<Tensor>) -> Result<()> {
        let (shape, dtype) = (self.shape(h)?, self.dtype(h)?);
        if t.shape != shape || t.dtype != dtype {
            return Err(Error::shape(
                "assign",
                format!(
                    "the new value has shape {} ({}), the tensor has shape {} ({})",
                    fmt_shape(&t.shape),
                    t.dtype.name(),
                    fmt_shape(&shape),
                    dtype.name()
                ),
            ));
        }
        match self.values.get(&h) {
            Some(Value::Concrete(_) | Value::Lazy(_)) => {
                self.values.insert(h, Value::Concrete(t));
                Ok(())
            }
            _ => Err(Error::arg("assign", "only a concrete tensor can be assigned")),
        }
    }

    fn node_for(&mut self, h: Handle) -> Result<NodeId> {
        if let Some(&n) = self.trace.as_ref().and_then(|t| t.watched.get(&h)) {
            return Ok(n);
        }
        match self.values.get(&h) {
            Some(Value::Symbolic(n)) => Ok(*n),
            Some(v @ (Value::Concrete(_) | Value::Lazy(_))) => {
                let t = match v {
                    Value::Lazy(l) => (**l.cpu()).clone(),
                    Value::Concrete(t) => (**t).clone(),
                    _ => unreachable!(),
                };
                let tr = self.trace.as_mut().or_internal("trace", "a constant captured outside a recording")?;
                if let Some(&n) = tr.consts.get(&h) {
                    return Ok(n);
                }
                let n = tr.graph.constant(t)?;
                tr.consts.insert(h, n);
                Ok(n)
            }
            Some(Value::Pending { .. }) => Err(Error::Pending(h)),
            None => Err(Error::NotFound(format!("tensor #{h} has been disposed"))),
        }
    }
}

impl Runtime {
    /// Records `op` lazily; None when it should run now (a chain too deep).
    fn record(&mut self, op: &Op, inputs: &[Handle]) -> Result<Option<Handle>> {
        let mut operands = Vec::with_capacity(inputs.len());
        let mut depth = 0;
        for &h in inputs {
            operands.push(match self.values.get(&h) {
                Some(Value::Concrete(t)) => Operand::Ready(t.clone()),
                Some(Value::Lazy(l)) => match l.value.get() {
                    Some(t) => Operand::Ready(t.clone()),
                    None => {
                        depth = depth.max(l.depth);
                        Operand::Lazy(l.clone())
                    }
                },
                Some(Value::Pending { .. }) => return Err(Error::Pending(h)),
                _ => return Err(Error::NotFound(format!("tensor #{h} has been disposed"))),
            });
        }
        if depth + 1 > MAX_LAZY_DEPTH {
            return Ok(None);
        }
        let shapes: Vec<Vec<usize>> = inputs.iter().map(|&h| self.shape(h)).collect::<Result<_>>()?;
        let shape_refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
        let dtypes: Vec<DType> = inputs.iter().map(|&h| self.dtype(h)).collect::<Result<_>>()?;
        let (shape, dtype) = ops::infer(op, &shape_refs, &dtypes)?;
        let node = Lazy {
            op: op.clone(),
            inputs: std::cell::RefCell::new(operands),
            shape,
            dtype,
            depth: depth + 1,
            value: std::cell::OnceCell::new(),
        };
        Ok(Some(self.insert(Value::Lazy(Rc::new(node)))))
    }

    /// Runs one op's CPU kernel on concrete tensors.
    fn compute(&self, op: &Op, ts: &[&Tensor]) -> Result<Tensor> {
        let shapes: Vec<&[usize]> = ts.iter().map(|t| t.shape.as_slice()).collect();
        let dtypes: Vec<DType> = ts.iter().map(|t| t.dtype).collect();
        let (shape, dtype) = ops::infer(op, &shapes, &dtypes)?;
        let mut out = crate::tensor::shape::alloc_zeroed(&op.name(), numel(&shape))?;
        let ins: Vec<&[f32]> = ts.iter().map(|t| t.data.as_slice()).collect();
        let mut rng = self.rng.clone();
        ops::forward(op, &ins, &shapes, &mut out, &shape, &mut KernelCtx { rng: &mut rng });
        Ok(Tensor { shape, dtype, data: out })
    }
}

impl Builder for Runtime {
    type Id = Handle;
    fn apply(&mut self, op: Op, inputs: &[Handle]) -> Result<Handle> {
        let symbolic = self
            .trace
            .as_ref()
            .is_some_and(|t| inputs.iter().any(|h| matches!(self.values.get(h), Some(Value::Symbolic(_))) || t.watched.contains_key(h)));
        if symbolic {
            let nodes = inputs.iter().map(|&h| self.node_for(h)).collect::<Result<Vec<_>>>()?;
            let value = match self.trace.as_ref().and_then(|t| t.values.as_ref()) {
                Some(_) => {
                    let ts = inputs.iter().map(|&h| self.get(h)).collect::<Result<Vec<_>>>()?;
                    Some(self.compute(&op, &ts)?)
                }
                None => None,
            };
            let tr = self.trace.as_mut().or_internal("trace", "a symbolic op outside a recording")?;
            let n = tr.graph.apply(op, &nodes)?;
            if let (Some(vals), Some(v)) = (tr.values.as_mut(), value) {
                vals.insert(n, v);
            }
            return Ok(self.insert(Value::Symbolic(n)));
        }
        if self.lazy && !matches!(op, Op::DropoutMask { .. } | Op::RandomNormal { .. }) {
            if let Some(h) = self.record(&op, inputs)? {
                return Ok(h);
            }
        }
        let ts = inputs.iter().map(|&h| self.get(h)).collect::<Result<Vec<_>>>()?;
        let t = self.compute(&op, &ts)?;
        Ok(self.put(t))
    }
    fn constant(&mut self, t: Tensor) -> Result<Handle> {
        Ok(self.put(t))
    }
    fn shape_of(&self, h: Handle) -> Vec<usize> {
        self.shape(h).unwrap_or_default()
    }
    fn dtype_of(&self, h: Handle) -> DType {
        self.dtype(h).unwrap_or(DType::F32)
    }
}

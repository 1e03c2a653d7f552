//! One error type for the whole engine. Every message names the op or layer, the rule that was
//! broken, and the shapes or values received; `wasm/` turns these into JS `Error`s unchanged.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Shapes that do not fit an op's or a layer's rule.
    Shape { op: String, msg: String },
    /// A bad option or argument value (`units: 0`, an unknown activation, a negative rate).
    InvalidArgument { op: String, msg: String },
    /// Data that cannot be used (NaN, empty, mismatched lengths).
    InvalidData { op: String, msg: String },
    /// A handle that does not exist (disposed tensor, unknown model).
    NotFound(String),
    /// Serialized input that cannot be parsed.
    Io(String),
    /// The GPU failed (device lost, a WebGPU validation or out-of-memory error).
    Device(String),
    /// A tensor whose value is still being computed on the GPU (resolved by the wasm layer).
    Pending(u32),
    /// A broken invariant of the engine itself (a bug, not the caller's input): reported as an
    /// error instead of a panic, which would trap the WebAssembly instance.
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn shape(op: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Shape { op: op.into(), msg: msg.into() }
    }
    pub fn arg(op: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::InvalidArgument { op: op.into(), msg: msg.into() }
    }
    pub fn data(op: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::InvalidData { op: op.into(), msg: msg.into() }
    }
    /// A broken invariant in `op`: what was expected to hold.
    pub fn internal(op: &str, what: &str) -> Self {
        Error::Internal(format!("{op}: internal error ({what}); please report it"))
    }
    /// Prefixes the op or layer name, so an error raised deep inside a layer names the layer too.
    pub fn within(self, ctx: &str) -> Self {
        match self {
            Error::Shape { op, msg } => Error::Shape { op: format!("{ctx}: {op}"), msg },
            Error::InvalidArgument { op, msg } => Error::InvalidArgument { op: format!("{ctx}: {op}"), msg },
            Error::InvalidData { op, msg } => Error::InvalidData { op: format!("{ctx}: {op}"), msg },
            other => other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape { op, msg } | Error::InvalidArgument { op, msg } | Error::InvalidData { op, msg } => {
                write!(f, "{op}: {msg}")
            }
            Error::NotFound(what) => write!(f, "{what}"),
            Error::Io(msg) | Error::Device(msg) | Error::Internal(msg) => write!(f, "{msg}"),
            Error::Pending(h) => write!(f, "tensor #{h} is still being computed on the GPU"),
        }
    }
}

impl std::error::Error for Error {}

/// Formats a shape the way TF.js prints it: `[32,10]`, with `null` for an unknown batch.
pub fn fmt_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// `Option` -> `Result` for invariants: `x.or_internal("fit", "compiled before training")?`.
pub trait OrInternal<T> {
    fn or_internal(self, op: &str, what: &str) -> Result<T>;
}

impl<T> OrInternal<T> for Option<T> {
    fn or_internal(self, op: &str, what: &str) -> Result<T> {
        self.ok_or_else(|| Error::internal(op, what))
    }
}

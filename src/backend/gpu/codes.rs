//! The op codes the elementwise kernels switch on, named once, here. The Rust side picks them
//! (`plan.rs`); the WGSL side gets the same names as constants prepended to the shaders that
//! include `elementwise.wgsl` ([`wgsl`]), and its `switch` arms use those names, so the two
//! cannot drift. A test checks that every arm names a code and every code has its arm.

use crate::ops::Op;
use crate::tensor::DType;

macro_rules! codes {
    ($prefix:literal; $($name:ident = $v:expr),* $(,)?) => {
        $(pub const $name: u32 = $v;)*
        /// Every code with its WGSL name.
        pub const ALL: &[(&str, u32)] = &[$((concat!($prefix, stringify!($name)), $v)),*];
    };
}

/// Unary elementwise ops (`unary_op` in elementwise.wgsl; a clip and two casts among them).
pub mod unary {
    codes!("U_";
        NEG = 0, ABS = 1, EXP = 2, LOG = 3, LOG1P = 4, SQRT = 5, RSQRT = 6, SQUARE = 7,
        RECIPROCAL = 8, SIGN = 9, FLOOR = 10, CEIL = 11, ROUND = 12, SIN = 13, COS = 14,
        RELU = 15, RELU6 = 16, ELU = 17, SELU = 18, LEAKY_RELU = 19, SIGMOID = 20,
        HARD_SIGMOID = 21, TANH = 22, SOFTPLUS = 23, SOFTSIGN = 24, STEP = 25,
        LOGICAL_NOT = 26, IS_NAN = 27, CLIP = 28, CAST_INT = 29, CAST_BOOL = 30, COPY = 31,
        TAN = 32, ASIN = 33, ACOS = 34, ATAN = 35, SINH = 36, COSH = 37, ASINH = 38, ACOSH = 39,
        ATANH = 40, ERF = 41, EXPM1 = 42, IS_FINITE = 43, IS_INF = 44,
    );
}

/// Binary elementwise ops (`binary_op` in elementwise.wgsl).
pub mod binary {
    codes!("B_";
        ADD = 0, SUB = 1, MUL = 2, DIV = 3, FLOOR_DIV = 4, POW = 5, MAXIMUM = 6, MINIMUM = 7,
        SQUARED_DIFFERENCE = 8, GREATER = 9, GREATER_EQUAL = 10, LESS = 11, LESS_EQUAL = 12,
        EQUAL = 13, NOT_EQUAL = 14, LOGICAL_AND = 15, LOGICAL_OR = 16,
    );
}

/// The codes as WGSL constants.
pub fn wgsl() -> String {
    unary::ALL.iter().chain(binary::ALL).map(|(name, v)| format!("const {name}: u32 = {v}u;\n")).collect()
}

/// The code (and its two parameters) of an elementwise op the unary kernel runs.
pub fn unary_code(op: &Op) -> (u32, f32, f32) {
    use crate::ops::Unary::*;
    use unary as c;
    match op {
        Op::Unary(u) => match *u {
            Neg => (c::NEG, 0., 0.),
            Abs => (c::ABS, 0., 0.),
            Exp => (c::EXP, 0., 0.),
            Log => (c::LOG, 0., 0.),
            Log1p => (c::LOG1P, 0., 0.),
            Sqrt => (c::SQRT, 0., 0.),
            Rsqrt => (c::RSQRT, 0., 0.),
            Square => (c::SQUARE, 0., 0.),
            Reciprocal => (c::RECIPROCAL, 0., 0.),
            Sign => (c::SIGN, 0., 0.),
            Floor => (c::FLOOR, 0., 0.),
            Ceil => (c::CEIL, 0., 0.),
            Round => (c::ROUND, 0., 0.),
            Sin => (c::SIN, 0., 0.),
            Cos => (c::COS, 0., 0.),
            Relu => (c::RELU, 0., 0.),
            Relu6 => (c::RELU6, 0., 0.),
            Elu { alpha } => (c::ELU, alpha, 0.),
            Selu => (c::SELU, 0., 0.),
            LeakyRelu { alpha } => (c::LEAKY_RELU, alpha, 0.),
            Sigmoid => (c::SIGMOID, 0., 0.),
            HardSigmoid => (c::HARD_SIGMOID, 0., 0.),
            Tanh => (c::TANH, 0., 0.),
            Softplus => (c::SOFTPLUS, 0., 0.),
            Softsign => (c::SOFTSIGN, 0., 0.),
            Step => (c::STEP, 0., 0.),
            LogicalNot => (c::LOGICAL_NOT, 0., 0.),
            IsNaN => (c::IS_NAN, 0., 0.),
            Tan => (c::TAN, 0., 0.),
            Asin => (c::ASIN, 0., 0.),
            Acos => (c::ACOS, 0., 0.),
            Atan => (c::ATAN, 0., 0.),
            Sinh => (c::SINH, 0., 0.),
            Cosh => (c::COSH, 0., 0.),
            Asinh => (c::ASINH, 0., 0.),
            Acosh => (c::ACOSH, 0., 0.),
            Atanh => (c::ATANH, 0., 0.),
            Erf => (c::ERF, 0., 0.),
            Expm1 => (c::EXPM1, 0., 0.),
            IsFinite => (c::IS_FINITE, 0., 0.),
            IsInf => (c::IS_INF, 0., 0.),
        },
        Op::Clip { lo, hi } => (c::CLIP, *lo, *hi),
        Op::Cast { dtype: DType::I32 } => (c::CAST_INT, 0., 0.),
        Op::Cast { dtype: DType::Bool } => (c::CAST_BOOL, 0., 0.),
        _ => (c::COPY, 0., 0.),
    }
}

/// The code of a binary op.
pub fn binary_code(b: crate::ops::Binary) -> u32 {
    use crate::ops::Binary::*;
    use binary as c;
    match b {
        Add => c::ADD,
        Sub => c::SUB,
        Mul => c::MUL,
        Div => c::DIV,
        FloorDiv => c::FLOOR_DIV,
        Pow => c::POW,
        Maximum => c::MAXIMUM,
        Minimum => c::MINIMUM,
        SquaredDifference => c::SQUARED_DIFFERENCE,
        Greater => c::GREATER,
        GreaterEqual => c::GREATER_EQUAL,
        Less => c::LESS,
        LessEqual => c::LESS_EQUAL,
        Equal => c::EQUAL,
        NotEqual => c::NOT_EQUAL,
        LogicalAnd => c::LOGICAL_AND,
        LogicalOr => c::LOGICAL_OR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `case` labels of the switch in WGSL function `f`.
    fn arms(src: &str, f: &str) -> Vec<String> {
        let start = src.find(&format!("fn {f}(")).expect("the function is in the shader");
        let body = &src[start..];
        let end = body.find("\n}").expect("the function ends");
        body[..end]
            .lines()
            .filter_map(|l| l.trim().strip_prefix("case "))
            .map(|l| l.split(':').next().unwrap_or("").trim().to_string())
            .collect()
    }

    #[test]
    fn every_wgsl_arm_names_a_code_and_every_code_has_an_arm() {
        let src = include_str!("../../../shaders/elementwise.wgsl");
        for (f, table, skip) in [("unary_op", unary::ALL, &["U_COPY"][..]), ("binary_op", binary::ALL, &[][..])] {
            let got = arms(src, f);
            for a in &got {
                assert!(table.iter().any(|(n, _)| n == a), "{f}: case {a} is not a named code of codes.rs");
            }
            for (n, _) in table.iter().filter(|(n, _)| !skip.contains(n)) {
                assert_eq!(got.iter().filter(|a| a == n).count(), 1, "{f}: code {n} needs exactly one case");
            }
            let mut values: Vec<u32> = table.iter().map(|(_, v)| *v).collect();
            values.sort_unstable();
            values.dedup();
            assert_eq!(values.len(), table.len(), "{f}: two codes share a value");
        }
    }
}

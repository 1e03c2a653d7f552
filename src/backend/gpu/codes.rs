//! The op codes the elementwise kernels switch on, named once, here. The Rust side picks them
//! (`plan.rs`); the WGSL side gets the same names as constants prepended to the shaders that
//! include `elementwise.wgsl` ([`wgsl`]), and its `switch` arms use those names, so the two
//! cannot drift. A test checks that every arm names a code and every code has its arm.

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

// Unary, binary (broadcasting) and select kernels. Words: 0 n, 1 op, 2 p0, 3 p1, 4 rank,
// 5 flags (bit k: input k has the output's shape), 8..16 output dims, 16..24 / 24..32 / 32..40
// element strides of inputs 0 / 1 / 2 over the output's axes (0 on broadcast axes). The op codes
// (U_* and B_*) are constants that src/backend/gpu/codes.rs names and prepends to this file.

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;

fn src_index(i: u32, k: u32) -> u32 {
    if ((pu(5u) >> k) & 1u) == 1u {
        return i;
    }
    let rank = pu(4u);
    var rem = i;
    var idx = 0u;
    for (var d = rank; d > 0u; d = d - 1u) {
        let dim = pu(7u + d);
        let c = rem % dim;
        rem = rem / dim;
        idx = idx + c * pu(16u + 8u * k + d - 1u);
    }
    return idx;
}

fn log1p_(x: f32) -> f32 {
    let u = 1.0 + x;
    if u == 1.0 {
        return x;
    }
    return log(u) * x / (u - 1.0);
}

fn sigmoid_(x: f32) -> f32 {
    if x >= 0.0 {
        return 1.0 / (1.0 + exp(-x));
    }
    let e = exp(x);
    return e / (1.0 + e);
}

fn tanh_(x: f32) -> f32 {
    let e = exp(-2.0 * abs(x));
    return sign(x) * (1.0 - e) / (1.0 + e);
}

const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;

// The error function as TF.js computes it (Abramowitz and Stegun 7.1.26); src/ops/unary.rs's erf
// is the same polynomial.
fn erf_(x: f32) -> f32 {
    let v = abs(x);
    let t = 1.0 / (1.0 + 0.3275911 * v);
    let poly = ((((1.0614054 * t - 1.4531521) * t + 1.4214137) * t - 0.28449674) * t + 0.2548296) * t;
    return sign(x) * (1.0 - poly * exp(-v * v));
}

// e^x - 1 without losing the small x (Kahan's: (u - 1) x / log u for u = e^x).
fn expm1_(x: f32) -> f32 {
    let u = exp(x);
    if u == 1.0 {
        return x;
    }
    let um1 = u - 1.0;
    if um1 == -1.0 {
        return -1.0;
    }
    if abs(x) > 1.0 {
        return um1;
    }
    return um1 * x / log(u);
}

fn unary_op(op: u32, x: f32, p0: f32, p1: f32) -> f32 {
    switch op {
        case U_NEG: { return -x; }
        case U_ABS: { return abs(x); }
        case U_EXP: { return exp(x); }
        case U_LOG: { return log(x); }
        case U_LOG1P: { return log1p_(x); }
        case U_SQRT: { return sqrt(x); }
        case U_RSQRT: { return 1.0 / sqrt(x); }
        case U_SQUARE: { return x * x; }
        case U_RECIPROCAL: { return 1.0 / x; }
        case U_SIGN: { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
        case U_FLOOR: { return floor(x); }
        case U_CEIL: { return ceil(x); }
        case U_ROUND: { return round(x); }
        case U_SIN: { return sin(x); }
        case U_COS: { return cos(x); }
        case U_RELU: { return max(x, 0.0); }
        case U_RELU6: { return clamp(x, 0.0, 6.0); }
        case U_ELU: { return select(p0 * (exp(x) - 1.0), x, x > 0.0); }
        case U_SELU: { return select(SELU_SCALE * SELU_ALPHA * (exp(x) - 1.0), SELU_SCALE * x, x > 0.0); }
        case U_LEAKY_RELU: { return select(p0 * x, x, x > 0.0); }
        case U_SIGMOID: { return sigmoid_(x); }
        case U_HARD_SIGMOID: { return clamp(0.2 * x + 0.5, 0.0, 1.0); }
        case U_TANH: { return tanh_(x); }
        case U_SOFTPLUS: { return max(x, 0.0) + log1p_(exp(-abs(x))); }
        case U_SOFTSIGN: { return x / (1.0 + abs(x)); }
        case U_STEP: { return select(0.0, 1.0, x > 0.0); }
        case U_LOGICAL_NOT: { return select(0.0, 1.0, x == 0.0); }
        case U_IS_NAN: { return select(0.0, 1.0, is_nan(x)); }
        // Clip, cast to int32 (truncate), cast to bool, copy.
        case U_CLIP: { return min(max(x, p0), p1); }
        case U_CAST_INT: { return trunc(x); }
        case U_CAST_BOOL: { return select(0.0, 1.0, x != 0.0); }
        case U_TAN: { return tan(x); }
        case U_ASIN: { return asin(x); }
        case U_ACOS: { return acos(x); }
        case U_ATAN: { return atan(x); }
        case U_SINH: { return sinh(x); }
        case U_COSH: { return cosh(x); }
        case U_ASINH: { return asinh(x); }
        case U_ACOSH: { return acosh(x); }
        case U_ATANH: { return atanh(x); }
        case U_ERF: { return erf_(x); }
        case U_EXPM1: { return expm1_(x); }
        case U_IS_FINITE: { return select(0.0, 1.0, !is_nan(x) && abs(x) <= 3.4028234663852886e38); }
        case U_IS_INF: { return select(0.0, 1.0, !is_nan(x) && abs(x) > 3.4028234663852886e38); }
        default: { return x; }
    }
}

fn pow_(x: f32, y: f32) -> f32 {
    if y == 0.0 {
        return 1.0;
    }
    let r = pow(abs(x), y);
    if x < 0.0 {
        if fract(y) != 0.0 {
            return nan();
        }
        let odd = (i32(abs(y)) & 1) == 1;
        return select(r, -r, odd);
    }
    if x == 0.0 {
        return select(0.0, inf(), y < 0.0);
    }
    return r;
}

fn binary_op(op: u32, x: f32, y: f32) -> f32 {
    switch op {
        case B_ADD: { return x + y; }
        case B_SUB: { return x - y; }
        case B_MUL: { return x * y; }
        case B_DIV: { return x / y; }
        case B_FLOOR_DIV: { return floor(x / y); }
        case B_POW: { return pow_(x, y); }
        case B_MAXIMUM: { return select(y, x, x >= y || is_nan(y)); }
        case B_MINIMUM: { return select(y, x, x <= y || is_nan(y)); }
        case B_SQUARED_DIFFERENCE: { return (x - y) * (x - y); }
        case B_GREATER: { return select(0.0, 1.0, x > y); }
        case B_GREATER_EQUAL: { return select(0.0, 1.0, x >= y); }
        case B_LESS: { return select(0.0, 1.0, x < y); }
        case B_LESS_EQUAL: { return select(0.0, 1.0, x <= y); }
        case B_EQUAL: { return select(0.0, 1.0, x == y); }
        case B_NOT_EQUAL: { return select(0.0, 1.0, x != y); }
        case B_LOGICAL_AND: { return select(0.0, 1.0, x != 0.0 && y != 0.0); }
        case B_LOGICAL_OR: { return select(0.0, 1.0, x != 0.0 || y != 0.0); }
        default: { return nan(); }
    }
}

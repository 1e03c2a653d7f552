// Unary, binary (broadcasting) and select kernels. Words: 0 n, 1 op, 2 p0, 3 p1, 4 rank,
// 5 flags (bit k: input k has the output's shape), 8..16 output dims, 16..24 / 24..32 / 32..40
// element strides of inputs 0 / 1 / 2 over the output's axes (0 on broadcast axes).

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

fn unary_op(op: u32, x: f32, p0: f32, p1: f32) -> f32 {
    switch op {
        case 0u: { return -x; }
        case 1u: { return abs(x); }
        case 2u: { return exp(x); }
        case 3u: { return log(x); }
        case 4u: { return log1p_(x); }
        case 5u: { return sqrt(x); }
        case 6u: { return 1.0 / sqrt(x); }
        case 7u: { return x * x; }
        case 8u: { return 1.0 / x; }
        case 9u: { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
        case 10u: { return floor(x); }
        case 11u: { return ceil(x); }
        case 12u: { return round(x); }
        case 13u: { return sin(x); }
        case 14u: { return cos(x); }
        case 15u: { return max(x, 0.0); }
        case 16u: { return clamp(x, 0.0, 6.0); }
        case 17u: { return select(p0 * (exp(x) - 1.0), x, x > 0.0); }
        case 18u: { return select(SELU_SCALE * SELU_ALPHA * (exp(x) - 1.0), SELU_SCALE * x, x > 0.0); }
        case 19u: { return select(p0 * x, x, x > 0.0); }
        case 20u: { return sigmoid_(x); }
        case 21u: { return clamp(0.2 * x + 0.5, 0.0, 1.0); }
        case 22u: { return tanh_(x); }
        case 23u: { return max(x, 0.0) + log1p_(exp(-abs(x))); }
        case 24u: { return x / (1.0 + abs(x)); }
        case 25u: { return select(0.0, 1.0, x > 0.0); }
        case 26u: { return select(0.0, 1.0, x == 0.0); }
        case 27u: { return select(0.0, 1.0, is_nan(x)); }
        // Clip, cast to int32 (truncate), cast to bool, copy.
        case 28u: { return min(max(x, p0), p1); }
        case 29u: { return trunc(x); }
        case 30u: { return select(0.0, 1.0, x != 0.0); }
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
        case 0u: { return x + y; }
        case 1u: { return x - y; }
        case 2u: { return x * y; }
        case 3u: { return x / y; }
        case 4u: { return floor(x / y); }
        case 5u: { return pow_(x, y); }
        case 6u: { return select(y, x, x >= y || is_nan(y)); }
        case 7u: { return select(y, x, x <= y || is_nan(y)); }
        case 8u: { return (x - y) * (x - y); }
        case 9u: { return select(0.0, 1.0, x > y); }
        case 10u: { return select(0.0, 1.0, x >= y); }
        case 11u: { return select(0.0, 1.0, x < y); }
        case 12u: { return select(0.0, 1.0, x <= y); }
        case 13u: { return select(0.0, 1.0, x == y); }
        case 14u: { return select(0.0, 1.0, x != y); }
        case 15u: { return select(0.0, 1.0, x != 0.0 && y != 0.0); }
        case 16u: { return select(0.0, 1.0, x != 0.0 || y != 0.0); }
        default: { return nan(); }
    }
}

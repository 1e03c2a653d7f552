// Fused softmax cross-entropy over rows of `c` logits: `loss` writes -Σ y·log(clip(p, ε, 1-ε))
// per row, `grad` writes dy·(p·Σ y·m - y·m) with m = [ε <= p <= 1-ε] (the clip's pass-through).
// Words: 0 rows, 1 c, 2 ε.

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> z: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;

// The row's max and the reciprocal of its softmax denominator: p_k = exp(z_k - max) * inv.
fn row_stats(base: u32, c: u32) -> vec2<f32> {
    var m = z[base];
    for (var k = 1u; k < c; k = k + 1u) {
        m = max(m, z[base + k]);
    }
    var s = 0.0;
    for (var k = 0u; k < c; k = k + 1u) {
        s = s + exp(z[base + k] - m);
    }
    return vec2<f32>(m, 1.0 / s);
}

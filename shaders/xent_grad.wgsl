@group(0) @binding(4) var<storage, read> dy: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = linear_id(gid, nwg);
    if r >= pu(0u) {
        return;
    }
    let c = pu(1u);
    let eps = pf(2u);
    let base = r * c;
    let st = row_stats(base, c);
    let m = st.x;
    let inv = st.y;
    var a = 0.0;
    for (var k = 0u; k < c; k = k + 1u) {
        let p = exp(z[base + k] - m) * inv;
        a = a + select(0.0, y[base + k], p >= eps && p <= 1.0 - eps);
    }
    let d = dy[r];
    for (var k = 0u; k < c; k = k + 1u) {
        let p = exp(z[base + k] - m) * inv;
        let inside = select(0.0, 1.0, p >= eps && p <= 1.0 - eps);
        out[base + k] = d * (p * a - y[base + k] * inside);
    }
}

// gather / scatterAdd / oneHot. Words: 0 n (outputs), 1 outer, 2 dim, 3 inner, 4 number of
// indices, 5 mode (0 gather, 1 scatterAdd, 2 oneHot), 6 on, 7 off. Indices are clamped to
// [0, dim) as the CPU kernel does, so a bad value never reads out of bounds.

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> idx: array<f32>;

fn row(v: f32, dim: u32) -> u32 {
    return min(u32(max(v, 0.0)), max(dim, 1u) - 1u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_id(gid, nwg);
    if t >= pu(0u) {
        return;
    }
    let dim = pu(2u);
    let inner = pu(3u);
    let n = pu(4u);
    let mode = pu(5u);
    if mode == 0u {
        // out [outer, n, inner]
        let k = t % inner;
        let j = (t / inner) % n;
        let o = t / (inner * n);
        out[t] = x[(o * dim + row(idx[j], dim)) * inner + k];
    } else if mode == 1u {
        // out [outer, dim, inner]; x (updates) [outer, n, inner]
        let k = t % inner;
        let r = (t / inner) % dim;
        let o = t / (inner * dim);
        var s = 0.0;
        for (var j = 0u; j < n; j = j + 1u) {
            if row(idx[j], dim) == r {
                s = s + x[(o * n + j) * inner + k];
            }
        }
        out[t] = s;
    } else {
        // oneHot: out [n, dim] from the values in x (idx is bound but unused).
        let c = t % dim;
        let v = x[t / dim] + 0.0 * idx[0];
        out[t] = select(pf(7u), pf(6u), v >= 0.0 && u32(v) == c);
    }
}

// A weight constraint (tf.constraints.*), projecting one weight in place right after the fused
// optimizer update. One thread per slice: the slice's elements are the weight's reduced
// dimensions (the norm's axes), the slices are all combinations of the kept dimensions.
// Words: 0 threads (slices; elements for nonNeg), 1 kind (0 nonNeg, 1 maxNorm, 2 unitNorm,
// 3 minMaxNorm), 2 first element, 3 elements per slice, 4 min norm, 5 max norm, 6 rate,
// 7 epsilon, 8 kept dims, 9 reduced dims, 16.. kept sizes, 24.. kept strides, 32.. reduced
// sizes, 40.. reduced strides.

@group(0) @binding(1) var<storage, read_write> w: array<f32>;

// The element offset of index `i` over `n` dimensions whose sizes start at word `sizes` and
// strides at word `strides` (the last dimension varies fastest).
fn offset_of(i: u32, n: u32, sizes: u32, strides: u32) -> u32 {
    var rem = i;
    var off = 0u;
    var d = n;
    loop {
        if d == 0u {
            break;
        }
        d = d - 1u;
        let size = pu(sizes + d);
        off = off + (rem % size) * pu(strides + d);
        rem = rem / size;
    }
    return off;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_id(gid, nwg);
    if t >= pu(0u) {
        return;
    }
    let kind = pu(1u);
    let first = pu(2u);
    if kind == 0u {
        // nonNeg: max(w, 0), NaN kept.
        let v = w[first + t];
        if v < 0.0 {
            w[first + t] = 0.0;
        }
        return;
    }
    let base = first + offset_of(t, pu(8u), 16u, 24u);
    let count = pu(3u);
    let nr = pu(9u);
    var sq = 0.0;
    for (var r = 0u; r < count; r = r + 1u) {
        let v = w[base + offset_of(r, nr, 32u, 40u)];
        sq = sq + v * v;
    }
    let norm = sqrt(sq);
    let eps = pf(7u);
    if kind == 2u {
        let d = eps + norm;
        for (var r = 0u; r < count; r = r + 1u) {
            let i = base + offset_of(r, nr, 32u, 40u);
            w[i] = w[i] / d;
        }
        return;
    }
    var desired = clamp(norm, pf(4u), pf(5u));
    if kind == 3u {
        let rate = pf(6u);
        desired = rate * desired + (1.0 - rate) * norm;
    }
    let scale = desired / (eps + norm);
    for (var r = 0u; r < count; r = r + 1u) {
        let i = base + offset_of(r, nr, 32u, 40u);
        w[i] = w[i] * scale;
    }
}

// Reductions of x viewed as [outer, dim, inner] over dim. Words: 0 outputs (outer*inner),
// 1 dim, 2 inner, 3 kind (0 sum, 1 mean, 2 max, 3 min, 4 argmax, 5 softmax, 6 logSoftmax).
// `rows`: one invocation per output. `wide`: one workgroup per output, for long reductions.

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

fn combine(kind: u32, acc: f32, v: f32) -> f32 {
    switch kind {
        case 2u: { return select(acc, v, v > acc || is_nan(v)); }
        case 3u: { return select(acc, v, v < acc || is_nan(v)); }
        default: { return acc + v; }
    }
}

// Where output t's reduction starts in x ([outer, dim, inner], t = o * inner + i).
fn base_of(t: u32) -> u32 {
    let inner = pu(2u);
    return (t / inner) * pu(1u) * inner + t % inner;
}

fn finish(kind: u32, acc: f32, dim: u32) -> f32 {
    if kind == 1u {
        return acc / f32(dim);
    }
    return acc;
}

@compute @workgroup_size(WG)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_id(gid, nwg);
    if t >= pu(0u) {
        return;
    }
    let dim = pu(1u);
    let inner = pu(2u);
    let kind = pu(3u);
    let base = base_of(t);
    if kind == 4u {
        var best = 0u;
        var bv = x[base];
        for (var d = 1u; d < dim; d = d + 1u) {
            let v = x[base + d * inner];
            if v > bv {
                bv = v;
                best = d;
            }
        }
        out[t] = f32(best);
        return;
    }
    if kind >= 5u {
        var m = x[base];
        for (var d = 1u; d < dim; d = d + 1u) {
            m = max(m, x[base + d * inner]);
        }
        var s = 0.0;
        for (var d = 0u; d < dim; d = d + 1u) {
            s = s + exp(x[base + d * inner] - m);
        }
        if kind == 6u {
            let ls = log(s) + m;
            for (var d = 0u; d < dim; d = d + 1u) {
                out[base + d * inner] = x[base + d * inner] - ls;
            }
        } else {
            let inv = 1.0 / s;
            for (var d = 0u; d < dim; d = d + 1u) {
                out[base + d * inner] = exp(x[base + d * inner] - m) * inv;
            }
        }
        return;
    }
    var acc = x[base];
    for (var d = 1u; d < dim; d = d + 1u) {
        acc = combine(kind, acc, x[base + d * inner]);
    }
    out[t] = finish(kind, acc, dim);
}

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = wg.x + wg.y * nwg.x;
    if t >= pu(0u) {
        return;
    }
    let dim = pu(1u);
    let inner = pu(2u);
    let kind = pu(3u);
    let base = base_of(t);
    var acc = x[base + min(li, dim - 1u) * inner];
    for (var d = li + 256u; d < dim; d = d + 256u) {
        acc = combine(kind, acc, x[base + d * inner]);
    }
    if (kind == 0u || kind == 1u) && li >= dim {
        acc = 0.0;
    }
    part[li] = acc;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if li < s {
            part[li] = combine(kind, part[li], part[li + s]);
        }
        workgroupBarrier();
    }
    if li == 0u {
        out[t] = finish(kind, part[0], dim);
    }
}

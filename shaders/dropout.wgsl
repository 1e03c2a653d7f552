// Random values from a counter-based hash: words 0 n, 1 salt, 4 mode. Mode 0: an inverted-dropout
// mask (2 keep, 3 scale); mode 1: normal noise (2 stddev) by Box-Muller. The step seed is written
// before each run, so every step draws fresh values without re-recording.
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> seed: array<u32>;

fn hash(x: u32) -> u32 {
    var h = x;
    h = h ^ (h >> 16u);
    h = h * 0x7feb352du;
    h = h ^ (h >> 15u);
    h = h * 0x846ca68bu;
    h = h ^ (h >> 16u);
    return h;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if i >= pu(0u) {
        return;
    }
    let base = hash(seed[0] ^ hash(pu(1u)));
    if pu(4u) == 1u {
        let a = hash((2u * i) ^ base);
        let b = hash((2u * i + 1u) ^ base);
        // u1 in (0, 1] so the log is finite.
        let u1 = (f32(a >> 8u) + 1.0) * (1.0 / 16777216.0);
        let u2 = f32(b >> 8u) * (1.0 / 16777216.0);
        out[i] = pf(2u) * sqrt(-2.0 * log(u1)) * cos(6.283185307 * u2);
        return;
    }
    let h = hash(i ^ base);
    let u = f32(h >> 8u) * (1.0 / 16777216.0);
    out[i] = select(0.0, pf(3u), u < pf(2u));
}

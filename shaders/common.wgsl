// Shared by every Hebb kernel: per-dispatch parameters live in one 256-byte uniform record (64
// words), read as u32 or f32 by index. Work is linear over `num_workgroups`, so dispatches larger
// than the 65535-workgroup limit per dimension spill into y.

struct Params {
    w: array<vec4<u32>, 16>,
}

@group(0) @binding(0) var<uniform> P: Params;

override WG: u32 = 256u;

fn pu(i: u32) -> u32 {
    return P.w[i / 4u][i % 4u];
}

fn pf(i: u32) -> f32 {
    return bitcast<f32>(pu(i));
}

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// NaN and infinity cannot be WGSL constants (Tint rejects them), so they are built from a
// runtime zero.
fn nan() -> f32 {
    return bitcast<f32>(0x7fc00000u + min(pu(0u), 0u));
}

fn inf() -> f32 {
    return bitcast<f32>(0x7f800000u + min(pu(0u), 0u));
}

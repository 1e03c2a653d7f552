// Batched matmul without workgroup memory: each invocation computes a 4x4 block of the output
// straight from the operands (same words as matmul.wgsl). No barriers, no tile padding: the
// kernel for small or thin products, and for software adapters (SwiftShader, lavapipe) where
// workgroup barriers are costly and memory is the CPU's cache anyway.

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let M = pu(0u);
    let N = pu(1u);
    let K = pu(2u);
    let ta = pu(3u) == 1u;
    let tb = pu(4u) == 1u;
    let cb = (N + 3u) / 4u;
    let t = gid.x + gid.y * nwg.x * WG;
    if t >= cb * ((M + 3u) / 4u) {
        return;
    }
    let a0 = gid.z * pu(5u);
    let b0 = gid.z * pu(6u);
    let r0 = (t / cb) * 4u;
    let c0 = (t % cb) * 4u;
    // Rows and columns past the edge read a valid neighbour and are not written.
    var ri: vec4<u32>;
    var ci: vec4<u32>;
    for (var i = 0u; i < 4u; i = i + 1u) {
        ri[i] = min(r0 + i, M - 1u);
        ci[i] = min(c0 + i, N - 1u);
    }
    // Element (r, k) of op(A) is a[ra + k * ka]; element (k, c) of op(B) is b[cb_ + k * kb].
    let ka = select(1u, M, ta);
    let kb = select(N, 1u, tb);
    var ra: vec4<u32>;
    var rb: vec4<u32>;
    for (var i = 0u; i < 4u; i = i + 1u) {
        ra[i] = a0 + select(ri[i] * K, ri[i], ta);
        rb[i] = b0 + select(ci[i], ci[i] * K, tb);
    }
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k = 0u; k < K; k = k + 1u) {
        let bv = vec4<f32>(b[rb.x + k * kb], b[rb.y + k * kb], b[rb.z + k * kb], b[rb.w + k * kb]);
        acc0 = fma(vec4<f32>(a[ra.x + k * ka]), bv, acc0);
        acc1 = fma(vec4<f32>(a[ra.y + k * ka]), bv, acc1);
        acc2 = fma(vec4<f32>(a[ra.z + k * ka]), bv, acc2);
        acc3 = fma(vec4<f32>(a[ra.w + k * ka]), bv, acc3);
    }
    let o0 = gid.z * M * N;
    let rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var i = 0u; i < 4u; i = i + 1u) {
        let r = r0 + i;
        if r < M {
            for (var j = 0u; j < 4u; j = j + 1u) {
                if c0 + j < N {
                    out[o0 + r * N + c0 + j] = rows[i][j];
                }
            }
        }
    }
}

// Batched matmul without workgroup memory: each invocation computes an 8x4 block of the output
// straight from the operands (same words as matmul.wgsl). No barriers, no tile padding: the
// kernel for small or thin products, and for software adapters (SwiftShader, lavapipe) where
// workgroup barriers are costly and memory is the CPU's cache anyway.

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

const R: u32 = 8u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let M = pu(0u);
    let N = pu(1u);
    let K = pu(2u);
    let ta = pu(3u) == 1u;
    let tb = pu(4u) == 1u;
    let cb = (N + 3u) / 4u;
    let t = gid.x + gid.y * nwg.x * WG;
    if t >= cb * ((M + R - 1u) / R) {
        return;
    }
    let a0 = gid.z * pu(5u);
    let b0 = gid.z * pu(6u);
    let r0 = (t / cb) * R;
    let c0 = (t % cb) * 4u;
    // Element (r, k) of op(A) is a[ra[r] + k * ka]; element (k, c) of op(B) is b[rb[c] + k * kb].
    // Rows and columns past the edge read a valid neighbour and are not written.
    let ka = select(1u, M, ta);
    let kb = select(N, 1u, tb);
    // Row offsets in two vec4s and accumulators in named variables: no dynamically indexed
    // arrays in the loop (SwiftShader keeps those in memory).
    var ra0: vec4<u32>;
    var ra1: vec4<u32>;
    var rb: vec4<u32>;
    for (var i = 0u; i < 4u; i = i + 1u) {
        let r = min(r0 + i, M - 1u);
        ra0[i] = a0 + select(r * K, r, ta);
        let s = min(r0 + 4u + i, M - 1u);
        ra1[i] = a0 + select(s * K, s, ta);
        let c = min(c0 + i, N - 1u);
        rb[i] = b0 + select(c, c * K, tb);
    }
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    var acc4 = vec4<f32>(0.0);
    var acc5 = vec4<f32>(0.0);
    var acc6 = vec4<f32>(0.0);
    var acc7 = vec4<f32>(0.0);
    for (var k = 0u; k < K; k = k + 1u) {
        let bv = vec4<f32>(b[rb.x + k * kb], b[rb.y + k * kb], b[rb.z + k * kb], b[rb.w + k * kb]);
        let x0 = ra0 + vec4<u32>(k * ka);
        let x1 = ra1 + vec4<u32>(k * ka);
        acc0 = fma(vec4<f32>(a[x0.x]), bv, acc0);
        acc1 = fma(vec4<f32>(a[x0.y]), bv, acc1);
        acc2 = fma(vec4<f32>(a[x0.z]), bv, acc2);
        acc3 = fma(vec4<f32>(a[x0.w]), bv, acc3);
        acc4 = fma(vec4<f32>(a[x1.x]), bv, acc4);
        acc5 = fma(vec4<f32>(a[x1.y]), bv, acc5);
        acc6 = fma(vec4<f32>(a[x1.z]), bv, acc6);
        acc7 = fma(vec4<f32>(a[x1.w]), bv, acc7);
    }
    let acc = array<vec4<f32>, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7);
    let o0 = gid.z * M * N;
    for (var i = 0u; i < R; i = i + 1u) {
        let r = r0 + i;
        if r < M {
            for (var j = 0u; j < 4u; j = j + 1u) {
                if c0 + j < N {
                    out[o0 + r * N + c0 + j] = acc[i][j];
                }
            }
        }
    }
}

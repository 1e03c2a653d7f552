// Batched matmul, out[b] = op(A[b]) * op(B[b]), tiled 64x64 in workgroup memory, each of the 256
// invocations accumulating a 4x4 block in registers over K tiles of 16. Words: 0 M, 1 N, 2 K,
// 3 transposeA, 4 transposeB, 5 A batch stride, 6 B batch stride (0: shared by all batches).

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

const TILE: u32 = 64u;
const BK: u32 = 16u;

var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let M = pu(0u);
    let N = pu(1u);
    let K = pu(2u);
    let ta = pu(3u) == 1u;
    let tb = pu(4u) == 1u;
    let a0 = wg.z * pu(5u);
    let b0 = wg.z * pu(6u);
    let row0 = wg.y * TILE;
    let col0 = wg.x * TILE;
    let t = lid.y * 16u + lid.x;
    var acc: array<array<f32, 4>, 4>;
    for (var i = 0u; i < 4u; i = i + 1u) {
        for (var j = 0u; j < 4u; j = j + 1u) {
            acc[i][j] = 0.0;
        }
    }
    for (var k0 = 0u; k0 < K; k0 = k0 + BK) {
        // Each invocation stages 4 elements of each 64x16 tile.
        for (var e = 0u; e < 4u; e = e + 1u) {
            let idx = t + e * 256u;
            // A tile element (m, k): stored k-major.
            var m = idx % TILE;
            var k = idx / TILE;
            if !ta {
                // Row-major A: consecutive invocations walk k for coalescing.
                k = idx % BK;
                m = idx / BK;
            }
            let gm = row0 + m;
            let gk = k0 + k;
            var v = 0.0;
            if gm < M && gk < K {
                v = select(a[a0 + gm * K + gk], a[a0 + gk * M + gm], ta);
            }
            As[k * TILE + m] = v;
            var n = idx % TILE;
            var kb = idx / TILE;
            if tb {
                kb = idx % BK;
                n = idx / BK;
            }
            let gn = col0 + n;
            let gkb = k0 + kb;
            var w = 0.0;
            if gn < N && gkb < K {
                w = select(b[b0 + gkb * N + gn], b[b0 + gn * K + gkb], tb);
            }
            Bs[kb * TILE + n] = w;
        }
        workgroupBarrier();
        for (var k = 0u; k < BK; k = k + 1u) {
            var ar: array<f32, 4>;
            var br: array<f32, 4>;
            for (var i = 0u; i < 4u; i = i + 1u) {
                ar[i] = As[k * TILE + lid.y + 16u * i];
                br[i] = Bs[k * TILE + lid.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i = i + 1u) {
                for (var j = 0u; j < 4u; j = j + 1u) {
                    acc[i][j] = fma(ar[i], br[j], acc[i][j]);
                }
            }
        }
        workgroupBarrier();
    }
    let o0 = wg.z * M * N;
    for (var i = 0u; i < 4u; i = i + 1u) {
        let r = row0 + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j = j + 1u) {
            let c = col0 + lid.x + 16u * j;
            if r < M && c < N {
                out[o0 + r * N + c] = acc[i][j];
            }
        }
    }
}

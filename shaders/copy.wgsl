// Strided copy over a region of up to rank 8: element c (coordinates over `shape`) moves from
// src[soff + sum c_k*sstride_k] to dst[doff + sum c_k*dstride_k]. Serves transpose, broadcastTo,
// slice, pad, concat and reshape copies. Words: 0 n, 1 rank, 2 soff, 3 doff, 8..16 shape,
// 16..24 src strides, 24..32 dst strides; `fill` writes word 4 (as f32) to dst[doff..doff+n].

@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if i >= pu(0u) {
        return;
    }
    let rank = pu(1u);
    var rem = i;
    var s = pu(2u);
    var d = pu(3u);
    for (var k = rank; k > 0u; k = k - 1u) {
        let dim = pu(7u + k);
        let c = rem % dim;
        rem = rem / dim;
        s = s + c * pu(15u + k);
        d = d + c * pu(23u + k);
    }
    dst[d] = src[s];
}

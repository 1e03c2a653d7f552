@group(0) @binding(3) var<storage, read> b: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if i >= pu(0u) {
        return;
    }
    out[i] = binary_op(pu(1u), a[src_index(i, 0u)], b[src_index(i, 1u)]);
}

// where(cond, b, c), all three broadcast to the output.
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if i >= pu(0u) {
        return;
    }
    let cond = a[src_index(i, 0u)] != 0.0;
    out[i] = select(c[src_index(i, 2u)], b[src_index(i, 1u)], cond);
}

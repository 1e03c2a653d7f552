// Running sums of the step's loss and metrics, kept on the GPU: acc[k] += vals[k] * word 1
// (the batch size), for k < word 0. Read back every few batches, never per step.
@group(0) @binding(1) var<storage, read_write> acc: array<f32>;
@group(0) @binding(2) var<storage, read> vals: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = gid.x;
    if k >= pu(0u) {
        return;
    }
    acc[k] = acc[k] + vals[k] * pf(1u);
}

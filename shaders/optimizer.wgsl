// One fused update over every trained parameter at once (they sit end to end in one buffer).
// Words: 0 n, 1 kind (0 sgd, 1 momentum, 2 nesterov, 3 adam, 4 adam keras-eps, 5 adamax,
// 6 rmsprop, 7 rmsprop centered, 8 adagrad, 9 adadelta, 10 adamw), 2 lr, 3 beta1/momentum/
// decay/rho, 4 beta2, 5 eps, 6 c1 (1 - beta1^t), 7 c2 (1 - beta2^t), 8 adamax lr_t, 9 rmsprop
// momentum / adamw weight decay.

@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> s1: array<f32>;
@group(0) @binding(5) var<storage, read_write> s2: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if i >= pu(0u) {
        return;
    }
    let kind = pu(1u);
    let lr = pf(2u);
    let b1 = pf(3u);
    let b2 = pf(4u);
    let eps = pf(5u);
    let gi = g[i];
    switch kind {
        case 0u: {
            w[i] = w[i] - lr * gi;
        }
        case 1u, 2u: {
            let acc = b1 * s0[i] + gi;
            s0[i] = acc;
            w[i] = w[i] - select(lr * acc, lr * (gi + b1 * acc), kind == 2u);
        }
        case 3u, 4u: {
            let m = b1 * s0[i] + (1.0 - b1) * gi;
            let v = b2 * s1[i] + (1.0 - b2) * gi * gi;
            s0[i] = m;
            s1[i] = v;
            let c1 = pf(6u);
            let c2 = pf(7u);
            if kind == 4u {
                w[i] = w[i] - (lr * sqrt(c2) / c1) * m / (sqrt(v) + eps);
            } else {
                w[i] = w[i] - lr * (m / c1) / (sqrt(v / c2) + eps);
            }
        }
        case 5u: {
            let m = b1 * s0[i] + (1.0 - b1) * gi;
            let u = max(b2 * s1[i], abs(gi));
            s0[i] = m;
            s1[i] = u;
            w[i] = w[i] - pf(8u) * m / (u + eps);
        }
        case 6u, 7u: {
            let ms = b1 * s0[i] + (1.0 - b1) * gi * gi;
            s0[i] = ms;
            var denom = sqrt(ms + eps);
            if kind == 7u {
                let mg = b1 * s2[i] + (1.0 - b1) * gi;
                s2[i] = mg;
                denom = sqrt(ms - mg * mg + eps);
            }
            let mom = pf(9u);
            if mom > 0.0 {
                let v = mom * s1[i] + lr * gi / denom;
                s1[i] = v;
                w[i] = w[i] - v;
            } else {
                w[i] = w[i] - lr * gi / denom;
            }
        }
        case 9u: {
            let ag = b1 * s0[i] + (1.0 - b1) * gi * gi;
            s0[i] = ag;
            let delta = sqrt(s1[i] + eps) / sqrt(ag + eps) * gi;
            s1[i] = b1 * s1[i] + (1.0 - b1) * delta * delta;
            w[i] = w[i] - lr * delta;
        }
        case 10u: {
            let decayed = w[i] - w[i] * pf(9u) * lr;
            let m = b1 * s0[i] + (1.0 - b1) * gi;
            let v = b2 * s1[i] + (1.0 - b2) * gi * gi;
            s0[i] = m;
            s1[i] = v;
            w[i] = decayed - (lr * sqrt(pf(7u)) / pf(6u)) * m / (sqrt(v) + eps);
        }
        default: {
            let acc = s0[i] + gi * gi;
            s0[i] = acc;
            w[i] = w[i] - lr * gi / sqrt(acc + eps);
        }
    }
}

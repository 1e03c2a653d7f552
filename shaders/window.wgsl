// im2col / col2im over NHWC images. Words: 0 n (outputs), 1 mode (0 im2col, 1 col2im), 2 fill,
// 4 H, 5 W, 6 C, 7 OH, 8 OW, 9 KH, 10 KW, 12 stride h, 13 stride w, 14 dilation h, 15 dilation w,
// 16 pad top, 17 pad left. Tap (kh, kw) of output position (oh, ow) reads image row
// oh*sh + kh*dh - pt and column ow*sw + kw*dw - pl.
// im2col writes windows [N,OH,OW,KH*KW,C]; col2im writes the image [N,H,W,C], each pixel summing
// the window entries that read it (a gather, so no atomics are needed).

@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = linear_id(gid, nwg);
    if t >= pu(0u) {
        return;
    }
    let h = pu(4u);
    let w = pu(5u);
    let c = pu(6u);
    let oh_n = pu(7u);
    let ow_n = pu(8u);
    let kh_n = pu(9u);
    let kw_n = pu(10u);
    let taps = kh_n * kw_n;
    let sh = pu(12u);
    let sw = pu(13u);
    let dh = pu(14u);
    let dw = pu(15u);
    let pt = i32(pu(16u));
    let pl = i32(pu(17u));
    let ch = t % c;
    if pu(1u) == 0u {
        var r = t / c;
        let tap = r % taps;
        r = r / taps;
        let ow = r % ow_n;
        r = r / ow_n;
        let oh = r % oh_n;
        let b = r / oh_n;
        let ih = i32(oh * sh + (tap / kw_n) * dh) - pt;
        let iw = i32(ow * sw + (tap % kw_n) * dw) - pl;
        if ih < 0 || iw < 0 || ih >= i32(h) || iw >= i32(w) {
            out[t] = pf(2u);
        } else {
            out[t] = x[((b * h + u32(ih)) * w + u32(iw)) * c + ch];
        }
        return;
    }
    var r = t / c;
    let iw = i32(r % w);
    r = r / w;
    let ih = i32(r % h);
    let b = r / h;
    var s = 0.0;
    for (var kh = 0u; kh < kh_n; kh = kh + 1u) {
        let y = ih + pt - i32(kh * dh);
        if y < 0 || y % i32(sh) != 0 {
            continue;
        }
        let oh = u32(y) / sh;
        if oh >= oh_n {
            continue;
        }
        for (var kw = 0u; kw < kw_n; kw = kw + 1u) {
            let z = iw + pl - i32(kw * dw);
            if z < 0 || z % i32(sw) != 0 {
                continue;
            }
            let ow = u32(z) / sw;
            if ow >= ow_n {
                continue;
            }
            s = s + x[(((b * oh_n + oh) * ow_n + ow) * taps + kh * kw_n + kw) * c + ch];
        }
    }
    out[t] = s;
}

//! Conv3D, Conv3DTranspose, MaxPooling3D and AveragePooling3D. Values and gradients against
//! Keras 3 are in tests/keras.rs (CPU) and tests/gpu_ops.rs (WGSL), from keras_layers.json; here:
//! batches of several volumes against a direct 3-D loop (the layers compose 2-D window ops, so a
//! mix-up of the batch and depth axes would show), and bad options and inputs refused with the
//! layer and the shapes named.

use hebb::graph::plan::Plan;
use hebb::graph::Graph;
use hebb::nn;
use hebb::rng::Rng;
use hebb::tensor::DType;
use serde_json::{json, Value};

/// Runs `class` with `cfg` on x [n, d, h, w, c] at `weights`; returns (output shape, values).
fn run(class: &str, cfg: Value, shape: &[usize], x: &[f32], weights: &[Vec<f32>]) -> (Vec<usize>, Vec<f32>) {
    let mut layer = nn::from_config(class, &cfg).unwrap();
    let (specs, out) = layer.build(&shape[1..]).unwrap();
    let mut g = Graph::new();
    let xn = g.input(0, shape, DType::F32);
    let params: Vec<_> = specs.iter().enumerate().map(|(i, s)| g.param(i, &s.shape)).collect();
    let y = layer.call(&mut g, xn, &params, false).unwrap();
    let mut outs = vec![y];
    hebb::graph::plan::materialize(&mut g, &mut outs).unwrap();
    let mut plan = Plan::new(g, &outs).unwrap();
    let values: Vec<&[f32]> = weights.iter().map(|w| w.as_slice()).collect();
    plan.run(&[x], &values, &mut Rng::new(0));
    let mut full = vec![shape[0]];
    full.extend(out);
    (full, plan.value(outs[0]).to_vec())
}

fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n).map(|i| (((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) % 1000) as f32 / 500.0 - 1.0).collect()
}

/// TF's 'same' padding before the first window along one axis, and the number of windows.
fn geometry(size: usize, k: usize, s: usize, d: usize, same: bool) -> (usize, usize) {
    let span = (k - 1) * d + 1;
    if same {
        let grid = size.div_ceil(s);
        (((grid - 1) * s + span).saturating_sub(size) / 2, grid)
    } else {
        (0, (size - span) / s + 1)
    }
}

#[test]
fn conv3d_over_a_batch_matches_a_direct_loop() {
    let (n, d, h, w, c, f) = (3, 4, 5, 3, 2, 3);
    let x = values(n * d * h * w * c, 1);
    for (k, s, dil, same) in [([2, 3, 2], [2, 1, 2], [1, 1, 1], true), ([3, 2, 2], [1, 1, 1], [1, 2, 1], false)] {
        let kernel = values(k.iter().product::<usize>() * c * f, 7);
        let bias = vec![0.1, -0.2, 0.3];
        let cfg = json!({"name": "c3", "filters": f, "kernelSize": k, "strides": s, "dilationRate": dil, "padding": if same { "same" } else { "valid" }});
        let (shape, got) = run("Conv3D", cfg, &[n, d, h, w, c], &x, &[kernel.clone(), bias.clone()]);
        let g: Vec<(usize, usize)> = (0..3).map(|a| geometry([d, h, w][a], k[a], s[a], dil[a], same)).collect();
        assert_eq!(shape, vec![n, g[0].1, g[1].1, g[2].1, f]);
        let mut want = vec![];
        for b in 0..n {
            for od in 0..g[0].1 {
                for oh in 0..g[1].1 {
                    for ow in 0..g[2].1 {
                        for o in 0..f {
                            let mut acc = bias[o];
                            for (t, kd, kh, kw) in (0..k[0] * k[1] * k[2]).map(|t| (t, t / (k[1] * k[2]), t / k[2] % k[1], t % k[2])) {
                                let at = |a: usize, p: usize, q: usize| {
                                    (p * s[a] + q * dil[a]).checked_sub(g[a].0).filter(|&v| v < [d, h, w][a])
                                };
                                if let (Some(zd), Some(zh), Some(zw)) = (at(0, od, kd), at(1, oh, kh), at(2, ow, kw)) {
                                    for ci in 0..c {
                                        acc += x[(((b * d + zd) * h + zh) * w + zw) * c + ci] * kernel[(t * c + ci) * f + o];
                                    }
                                }
                            }
                            want.push(acc);
                        }
                    }
                }
            }
        }
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!((a - b).abs() < 1e-4, "conv3d k{k:?} s{s:?} [{i}]: {a} vs {b}");
        }
    }
}

#[test]
fn conv3d_transpose_over_a_batch_matches_a_direct_loop() {
    let (n, d, h, w, c, f) = (2, 3, 2, 4, 3, 2);
    let x = values(n * d * h * w * c, 3);
    for (k, s, same) in [([3, 2, 3], [2, 2, 1], false), ([3, 3, 2], [2, 1, 2], true)] {
        let kernel = values(k.iter().product::<usize>() * f * c, 11);
        let cfg = json!({"name": "t3", "filters": f, "kernelSize": k, "strides": s, "padding": if same { "same" } else { "valid" }, "useBias": false});
        let (shape, got) = run("Conv3DTranspose", cfg, &[n, d, h, w, c], &x, std::slice::from_ref(&kernel));
        let size: Vec<usize> = (0..3).map(|a| [d, h, w][a] * s[a] + if same { 0 } else { k[a].saturating_sub(s[a]) }).collect();
        assert_eq!(shape, vec![n, size[0], size[1], size[2], f]);
        let pad: Vec<usize> = (0..3).map(|a| geometry(size[a], k[a], s[a], 1, same).0).collect();
        let mut want = vec![0f32; got.len()];
        for b in 0..n {
            for (i, t) in (0..d * h * w).flat_map(|i| (0..k[0] * k[1] * k[2]).map(move |t| (i, t))) {
                let (id, ih, iw) = (i / (h * w), i / w % h, i % w);
                let (kd, kh, kw) = (t / (k[1] * k[2]), t / k[2] % k[1], t % k[2]);
                let at = |a: usize, p: usize, q: usize| (p * s[a] + q).checked_sub(pad[a]).filter(|&v| v < size[a]);
                if let (Some(zd), Some(zh), Some(zw)) = (at(0, id, kd), at(1, ih, kh), at(2, iw, kw)) {
                    for o in 0..f {
                        for ci in 0..c {
                            want[(((b * size[0] + zd) * size[1] + zh) * size[2] + zw) * f + o] +=
                                x[(b * d * h * w + i) * c + ci] * kernel[(t * f + o) * c + ci];
                        }
                    }
                }
            }
        }
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!((a - b).abs() < 1e-4, "conv3dTranspose k{k:?} s{s:?} [{i}]: {a} vs {b}");
        }
    }
}

#[test]
fn pooling3d_over_a_batch_matches_a_direct_loop() {
    let (n, d, h, w, c) = (3, 5, 4, 3, 2);
    let x = values(n * d * h * w * c, 5);
    for (max, same) in [(true, true), (false, true), (true, false), (false, false)] {
        let (k, s) = ([3, 2, 2], [2, 3, 1]);
        let cfg = json!({"name": "p3", "poolSize": k, "strides": s, "padding": if same { "same" } else { "valid" }});
        let class = if max { "MaxPooling3D" } else { "AveragePooling3D" };
        let (shape, got) = run(class, cfg, &[n, d, h, w, c], &x, &[]);
        let g: Vec<(usize, usize)> = (0..3).map(|a| geometry([d, h, w][a], k[a], s[a], 1, same)).collect();
        assert_eq!(shape, vec![n, g[0].1, g[1].1, g[2].1, c]);
        let (gh, gw) = (g[1].1, g[2].1);
        let mut i = 0;
        for b in 0..n {
            for (od, oh, ow) in (0..g[0].1).flat_map(|a| (0..gh).flat_map(move |bb| (0..gw).map(move |cc| (a, bb, cc)))) {
                for ci in 0..c {
                    let (mut acc, mut count) = (if max { f32::NEG_INFINITY } else { 0.0 }, 0);
                    for t in 0..k[0] * k[1] * k[2] {
                        let at = |a: usize, p: usize, q: usize| (p * s[a] + q).checked_sub(g[a].0).filter(|&v| v < [d, h, w][a]);
                        if let (Some(zd), Some(zh), Some(zw)) = (at(0, od, t / 4), at(1, oh, t / 2 % 2), at(2, ow, t % 2)) {
                            let v = x[(((b * d + zd) * h + zh) * w + zw) * c + ci];
                            acc = if max { acc.max(v) } else { acc + v };
                            count += 1;
                        }
                    }
                    let want = if max { acc } else { acc / count as f32 };
                    assert!((got[i] - want).abs() < 1e-5, "{class} same={same} [{i}]: {} vs {want}", got[i]);
                    i += 1;
                }
            }
        }
        assert_eq!(i, got.len());
    }
}

#[test]
fn bad_options_and_inputs_are_refused_with_the_layer_named() {
    let refused = |class: &str, cfg: Value, want: &str| {
        let e = nn::from_config(class, &cfg).err().unwrap_or_else(|| panic!("{class} {cfg} was accepted")).to_string();
        let owner = format!("{class} '{}'", cfg["name"].as_str().unwrap());
        assert!(e.contains(&owner) && e.contains(want), "{class} {cfg}: {e}");
    };
    for class in ["Conv3D", "Conv3DTranspose"] {
        refused(class, json!({"name": "c_1", "kernelSize": 3}), "filters is required");
        refused(class, json!({"name": "c_1", "filters": 0, "kernelSize": 3}), "filters");
        refused(class, json!({"name": "c_1", "filters": 2}), "kernelSize is required");
        refused(class, json!({"name": "c_1", "filters": 2, "kernelSize": 0}), "kernelSize");
        refused(class, json!({"name": "c_1", "filters": 2, "kernelSize": [3, -1, 3]}), "kernelSize");
        refused(class, json!({"name": "c_1", "filters": 2, "kernelSize": [3, 3]}), "array of 3");
        refused(
            class,
            json!({"name": "c_1", "filters": 2, "kernelSize": 3, "strides": [1, 2, 1], "dilationRate": 2}),
            "cannot both be above 1",
        );
        refused(class, json!({"name": "c_1", "filters": 2, "kernelSize": 3, "padding": "causal"}), "padding");
        refused(class, json!({"name": "c_1", "filters": 2, "kernelSize": 3, "dataFormat": "channelsFirst"}), "channelsLast");
        refused(class, json!({"name": "c_1", "filters": 2, "kernelSize": 3, "activation": "nope"}), "nope");
    }
    for class in ["MaxPooling3D", "AveragePooling3D"] {
        refused(class, json!({"name": "p_1", "poolSize": 0}), "poolSize");
        refused(class, json!({"name": "p_1", "poolSize": [2, 2]}), "poolSize");
        refused(class, json!({"name": "p_1", "strides": [1, 2]}), "strides");
        refused(class, json!({"name": "p_1", "padding": "full"}), "padding");
    }

    // Errors that need the input shape come from build, with the shapes.
    let built = |class: &str, cfg: Value, input: &[usize], want: &[&str]| {
        let mut l = nn::from_config(class, &cfg).unwrap();
        let e = l.build(input).err().unwrap_or_else(|| panic!("{class} {cfg} built on {input:?}")).to_string();
        let owner = format!("{class} '{}'", cfg["name"].as_str().unwrap());
        assert!(e.contains(&owner) && want.iter().all(|w| e.contains(w)), "{class} {cfg}: {e}");
    };
    let conv = json!({"name": "c_2", "filters": 2, "kernelSize": 3});
    let pool = json!({"name": "p_2"});
    for (class, cfg) in [("Conv3D", &conv), ("Conv3DTranspose", &conv), ("MaxPooling3D", &pool), ("AveragePooling3D", &pool)] {
        built(class, cfg.clone(), &[5, 5, 2], &["rank 5", "[null,5,5,2]"]);
        built(class, cfg.clone(), &[4, 5, 5, 5, 2], &["rank 5", "[null,4,5,5,5,2]"]);
        built(class, cfg.clone(), &[4, 0, 5, 2], &["rank 5", "[null,4,0,5,2]"]);
    }
    built("Conv3D", conv.clone(), &[2, 5, 5, 1], &["larger than the input", "[2,5,5]", "'valid'"]);
    built(
        "Conv3D",
        json!({"name": "c_3", "filters": 2, "kernelSize": 2, "dilationRate": [1, 3, 1]}),
        &[5, 3, 5, 1],
        &["larger than the input", "[1,3,1]"],
    );
    built("MaxPooling3D", json!({"name": "p_3", "poolSize": [2, 2, 4]}), &[4, 4, 3, 1], &["larger than the input", "[4,4,3]"]);
    // 'same' padding takes any size; the transposed conv has no size limit either.
    let mut l = nn::from_config("Conv3D", &json!({"name": "c_4", "filters": 2, "kernelSize": 3, "padding": "same", "strides": 2})).unwrap();
    assert_eq!(l.build(&[1, 2, 5, 3]).unwrap().1, vec![1, 1, 3, 2]);
    let mut l = nn::from_config("Conv3DTranspose", &json!({"name": "t_4", "filters": 2, "kernelSize": [3, 1, 2], "strides": 2})).unwrap();
    let (specs, out) = l.build(&[1, 2, 5, 3]).unwrap();
    assert_eq!((specs[0].shape.clone(), out), (vec![3, 1, 2, 2, 3], vec![3, 4, 10, 2]));
    // A model's input that does not match the built size is refused when called.
    let mut l = nn::from_config("AveragePooling3D", &json!({"name": "p_5"})).unwrap();
    l.build(&[4, 4, 4, 1]).unwrap();
    let mut g = Graph::new();
    let x = g.input(0, &[2, 4, 4, 6, 1], DType::F32);
    let e = l.call(&mut g, x, &[], false).err().unwrap().to_string();
    assert!(e.contains("AveragePooling3D 'p_5'") && e.contains("[2,4,4,6,1]") && e.contains("[batch,4,4,4,1]"), "{e}");
}

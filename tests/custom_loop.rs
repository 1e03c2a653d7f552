//! The engine side of custom training loops: a function recorded on the eager runtime with its
//! arguments watched is differentiated against central finite differences; arguments it does
//! not use get no gradient; and the keyed optimizer state behind `minimize`/`applyGradients`
//! takes the same steps as the optimizer `fit` uses, whichever subset of variables a call updates.

use hebb::eager::{Handle, Runtime};
use hebb::graph::autodiff::value_and_grads;
use hebb::graph::{Builder, TracedFn};
use hebb::ops::{Binary, Unary};
use hebb::optim::{clip_cpu, Clip, Keyed, Kind, Optimizer};
use hebb::rng::Rng;
use hebb::tensor::Tensor;

/// f(a, b) = sum(a·b + sin(a) · tanh(b) + a²), recorded on `rt` with `a` and `b` watched.
fn record(rt: &mut Runtime, a: Handle, b: Handle) -> TracedFn {
    rt.trace_begin(&[], Some(vec![])).unwrap();
    rt.trace_watch(&[a, b]).unwrap();
    let ab = rt.mul(a, b).unwrap();
    let s = rt.unary(Unary::Sin, a).unwrap();
    let t = rt.unary(Unary::Tanh, b).unwrap();
    let st = rt.mul(s, t).unwrap();
    let sq = rt.unary(Unary::Square, a).unwrap();
    let sum1 = rt.add(ab, st).unwrap();
    let y = rt.add(sum1, sq).unwrap();
    let out = rt.sum(y, &[0, 1], false).unwrap();
    // Record mode: the value is readable while recording.
    assert!(rt.get(out).is_ok(), "values must be readable inside the recording");
    rt.trace_end(Some(out)).unwrap()
}

fn f64_of(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| (x * y + x.sin() * y.tanh() + x * x) as f64).sum()
}

#[test]
fn recorded_function_gradients_match_finite_differences() {
    let mut rt = Runtime::new(1);
    let av = vec![0.3, -1.2, 2.0, 0.7, -0.4, 1.1];
    let bv = vec![1.5, 0.5, -2.0, -0.3, 0.9, 0.2];
    let a = rt.put(Tensor::new(vec![2, 3], av.clone()).unwrap());
    let b = rt.put(Tensor::new(vec![2, 3], bv.clone()).unwrap());
    let f = record(&mut rt, a, b);
    assert!(!rt.tracing());
    let (ta, tb) = (rt.get(a).unwrap().clone(), rt.get(b).unwrap().clone());
    let (value, grads) = value_and_grads("test", &f, &[&ta, &tb], None, &mut Rng::new(0)).unwrap();
    assert!((value.data[0] as f64 - f64_of(&av, &bv)).abs() < 1e-4, "value {} vs {}", value.data[0], f64_of(&av, &bv));
    let h = 1e-2f32;
    for (k, g) in grads.iter().enumerate() {
        let g = g.as_ref().expect("both arguments are used");
        assert_eq!(g.shape, vec![2, 3]);
        for i in 0..6 {
            let (mut ap, mut bp, mut am, mut bm) = (av.clone(), bv.clone(), av.clone(), bv.clone());
            if k == 0 {
                ap[i] += h;
                am[i] -= h;
            } else {
                bp[i] += h;
                bm[i] -= h;
            }
            let fd = (f64_of(&ap, &bp) - f64_of(&am, &bm)) / (2.0 * h as f64);
            assert!((g.data[i] as f64 - fd).abs() < 2e-3 * (1.0 + fd.abs()), "d/d{} [{i}]: {} vs {fd}", ["a", "b"][k], g.data[i]);
        }
    }
    // With dy: the gradient of sum(f · dy) is dy times the gradient (f is a scalar here).
    let dy = Tensor::scalar(-2.5);
    let (_, gd) = value_and_grads("test", &f, &[&ta, &tb], Some(&dy), &mut Rng::new(0)).unwrap();
    let (g0, gd0) = (grads[0].as_ref().unwrap(), gd[0].as_ref().unwrap());
    for i in 0..6 {
        assert!((gd0.data[i] - -2.5 * g0.data[i]).abs() < 1e-4);
    }
    // A dy of the wrong shape names the caller.
    let err = value_and_grads("grad", &f, &[&ta, &tb], Some(&Tensor::zeros(&[3])), &mut Rng::new(0)).unwrap_err();
    assert!(err.to_string().starts_with("grad: the shape of dy [3]"), "{err}");
}

#[test]
fn an_unused_argument_gets_no_gradient_and_aliases_stay_watched() {
    let mut rt = Runtime::new(1);
    let x = rt.put(Tensor::new(vec![3], vec![1.0, 2.0, 3.0]).unwrap());
    let unused = rt.put(Tensor::new(vec![2], vec![5.0, 6.0]).unwrap());
    rt.trace_begin(&[], Some(vec![])).unwrap();
    rt.trace_watch(&[x, unused]).unwrap();
    // An op that returns its input unchanged hands back an alias: still the watched input.
    let alias = rt.alias(x).unwrap();
    let c = rt.constant(Tensor::new(vec![3], vec![4.0, 5.0, 6.0]).unwrap()).unwrap();
    let y = rt.binary(Binary::Mul, alias, c).unwrap();
    let s = rt.sum(y, &[0], false).unwrap();
    let f = rt.trace_end(Some(s)).unwrap();
    let (tx, tu) = (rt.get(x).unwrap().clone(), rt.get(unused).unwrap().clone());
    let (value, grads) = value_and_grads("test", &f, &[&tx, &tu], None, &mut Rng::new(0)).unwrap();
    assert_eq!(value.data, vec![32.0]);
    assert_eq!(grads[0].as_ref().unwrap().data, vec![4.0, 5.0, 6.0]);
    assert!(grads[1].is_none());
    // A concrete tensor used inside (c) stayed a constant: the runtime is untouched after the trace.
    assert!(!rt.tracing());
    assert_eq!(rt.get(x).unwrap().data, vec![1.0, 2.0, 3.0]);
}

#[test]
fn replace_keeps_the_handle_and_refuses_a_new_shape() {
    let mut rt = Runtime::new(1);
    let v = rt.put(Tensor::new(vec![2], vec![1.0, 2.0]).unwrap());
    rt.replace(v, std::rc::Rc::new(Tensor::new(vec![2], vec![3.0, 4.0]).unwrap())).unwrap();
    assert_eq!(rt.get(v).unwrap().data, vec![3.0, 4.0]);
    let err = rt.replace(v, std::rc::Rc::new(Tensor::new(vec![3], vec![0.0; 3]).unwrap())).unwrap_err();
    assert!(err.to_string().contains("[3]") && err.to_string().contains("[2]"), "{err}");
    assert_eq!(rt.get(v).unwrap().data, vec![3.0, 4.0]);
}

fn adam() -> Optimizer {
    Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.1)
}

#[test]
fn keyed_state_matches_the_fit_optimizer_and_survives_partial_calls() {
    // Reference: fit's optimizer over two parameters, both updated every step.
    let mut reference = adam();
    let (mut r0, mut r1) = (vec![1.0f32, -1.0], vec![0.5f32]);
    let grads = |w0: &[f32], w1: &[f32]| {
        (w0.iter().map(|v| 2.0 * (v - 0.3)).collect::<Vec<f32>>(), w1.iter().map(|v| 2.0 * v).collect::<Vec<f32>>())
    };
    let mut keyed = Keyed::new(adam());
    let (mut k0, mut k1) = (r0.clone(), r1.clone());
    for _ in 0..3 {
        let (g0, g1) = grads(&r0, &r1);
        reference.apply(&mut [&mut r0, &mut r1], &[&g0, &g1]);
        // Keys in another order than the reference's parameter order: state follows the key.
        let (g0, g1) = grads(&k0, &k1);
        keyed.apply(&[9, 4], &mut [&mut k1, &mut k0], &[&g1, &g0]).unwrap();
    }
    assert_eq!(k0, r0);
    assert_eq!(k1, r1);
    // A call that updates only key 4 leaves key 9's moments in place for its next step.
    let mut single = adam();
    let mut s1 = vec![0.5f32];
    let mut tracked = Keyed::new(adam());
    let mut t1 = s1.clone();
    let mut other = vec![2.0f32];
    for step in 0..4 {
        let g = vec![2.0 * s1[0]];
        single.apply(&mut [&mut s1], &[&g]);
        let g = vec![2.0 * t1[0]];
        if step % 2 == 0 {
            let go = vec![1.0];
            tracked.apply(&[9, 4], &mut [&mut t1, &mut other], &[&g, &go]).unwrap();
        } else {
            tracked.apply(&[9], &mut [&mut t1], &[&g]).unwrap();
        }
    }
    assert_eq!(tracked.opt.iterations, 4);
    assert_eq!(t1, s1, "key 9 took the same four steps as a lone optimizer");
    // A new learning rate keeps the state; another kind starts afresh.
    tracked.reconfigure(Optimizer::new(Kind::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, keras_eps: false }, 0.01));
    assert_eq!((tracked.opt.iterations, tracked.opt.lr), (4, 0.01));
    tracked.reconfigure(Optimizer::new(Kind::Sgd, 0.5));
    assert_eq!(tracked.opt.iterations, 0);
    // Mismatched lengths are errors, not panics.
    assert!(tracked.apply(&[1], &mut [&mut [0.0f32; 2]], &[&[1.0]]).is_err());
}

#[test]
fn cpu_clipping_matches_keras() {
    let mut g = vec![vec![3.0f32, 4.0], vec![0.0, 0.5]];
    clip_cpu(Clip::Norm(1.0), &mut g);
    assert!((g[0][0] - 0.6).abs() < 1e-6 && (g[0][1] - 0.8).abs() < 1e-6 && g[1] == vec![0.0, 0.5]);
    let mut g = vec![vec![3.0f32], vec![4.0]];
    clip_cpu(Clip::GlobalNorm(2.5), &mut g);
    assert!((g[0][0] - 1.5).abs() < 1e-6 && (g[1][0] - 2.0).abs() < 1e-6);
    let mut g = vec![vec![-3.0f32, 0.2]];
    clip_cpu(Clip::Value(1.0), &mut g);
    assert_eq!(g[0], vec![-1.0, 0.2]);
}

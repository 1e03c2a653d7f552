#!/usr/bin/env python3
"""Generate Keras 3 reference fixtures for Hebb's tests.

Usage (from the repo root):
    python3 -m venv .venv && .venv/bin/pip install keras "jax[cpu]"
    .venv/bin/python scripts/gen_fixtures.py            # every fixture
    .venv/bin/python scripts/gen_fixtures.py merge      # only the named generators

Writes:
    tests/fixtures/keras_dense.json      Dense forward + backward (vjp)
    tests/fixtures/keras_adam_mlp.json   MLP, categorical_crossentropy, Adam
    tests/fixtures/keras_sgd_mse.json    MLP, mean_squared_error, SGD nesterov
    tests/fixtures/keras_layers.json     Reshape, Permute, RepeatVector, Embedding,
                                         LayerNormalization, convolutions, pooling,
                                         UpSampling2D, ZeroPadding2D, ELU, ReLU, PReLU,
                                         ThresholdedReLU, Rescaling, Resizing, CenterCrop,
                                         CategoryEncoding, Conv3D, Conv3DTranspose, Max/
                                         AveragePooling3D: forward + backward (vjp)
    tests/fixtures/keras_merge.json      Add, Subtract, Multiply, Average, Maximum, Minimum,
                                         Concatenate, Dot on lists of inputs (elementwise ones
                                         also on inputs of different ranks)
    tests/fixtures/keras_attention.json  MultiHeadAttention (self, cross with key, no bias,
                                         causal mask)
    tests/fixtures/keras_constraints.json  weight constraints (MaxNorm, NonNeg, UnitNorm,
                                         MinMaxNorm) on every kind of weight: two SGD and two
                                         Adam training steps
    tests/fixtures/keras_conv_lstm.json  ConvLSTM2D (paddings, strides, dilation, go_backwards,
                                         return_sequences, return_state, initial states):
                                         outputs and vjp w.r.t. weights, input and states

All weights and inputs are fixed numbers drawn from numpy with fixed seeds
(float32); Keras initializers are never relied on. Every array is stored as
{"shape": [...], "data": [flat row-major float32 values]}. Values are written
as the exact decimal expansion of the float32 (Python float of np.float32),
so parsing as f64 and casting to f32 recovers the bits exactly.

The script is deterministic: running it twice gives byte-identical files on one
machine. On another CPU, XLA's kernels can differ in the last bits (seen: up to 2e-6
relative in convolution and RNN gradients, inputs identical); when adding cases, append
them and keep the committed values of the existing ones rather than churn them.
keras_layers.json and keras_merge.json do this by themselves (`keep_committed`): the cases
already in the committed file are written back as they are, and only cases with new names
are appended. To regenerate a committed case, delete it from the file first.
"""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402

assert keras.backend.backend() == "jax", keras.backend.backend()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures")

GENERATOR = {
    "script": "scripts/gen_fixtures.py",
    "keras": keras.__version__,
    "jax": jax.__version__,
    "numpy": np.__version__,
    "backend": "jax (cpu)",
}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def f32(a):
    return np.asarray(a, dtype=np.float32)


def arr(a):
    """Array -> {"shape", "data"} with exact float32 values."""
    a = f32(a)
    return {
        "shape": [int(d) for d in a.shape],
        "data": [float(v) for v in a.reshape(-1)],
    }


def named(name, a):
    d = arr(a)
    return {"name": name, "shape": d["shape"], "data": d["data"]}


def rand(rng, shape, scale=1.0):
    return f32(rng.standard_normal(shape) * scale)


def write(name, obj):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


def keep_committed(name, cases):
    """The cases to write to fixture `name`: the committed file's cases unchanged (json round
    trip keeps their bytes), then the generated cases whose names are not in it."""
    path = os.path.join(OUT_DIR, name)
    if not os.path.exists(path):
        return cases
    with open(path) as f:
        old = json.load(f)["cases"]
    names = {c["name"] for c in old}
    new = [c for c in cases if c["name"] not in names]
    print(f"{name}: kept {len(old)} committed cases, appended {len(new)}: {[c['name'] for c in new]}")
    return old + new


# ---------------------------------------------------------------------------
# Fixture 1: Dense forward / backward
# ---------------------------------------------------------------------------

DENSE_CASES = [
    # name, batch, in, units, activation, use_bias
    ("linear_bias_3x5x4", 3, 5, 4, "linear", True),
    ("relu_bias_3x5x4", 3, 5, 4, "relu", True),
    ("sigmoid_nobias_1x7x1", 1, 7, 1, "sigmoid", False),
    ("tanh_bias_4x2x3", 4, 2, 3, "tanh", True),
    ("softmax_bias_4x2x3", 4, 2, 3, "softmax", True),
    ("elu_nobias_3x5x4", 3, 5, 4, "elu", False),
    ("relu_nobias_1x7x1", 1, 7, 1, "relu", False),
]


def dense_case(idx, name, batch, n_in, units, activation, use_bias):
    rng = np.random.default_rng(1000 + idx)
    x = rand(rng, (batch, n_in))
    kernel = rand(rng, (n_in, units), scale=0.5)
    bias = rand(rng, (units,), scale=0.5) if use_bias else None
    z = x.astype(np.float64) @ kernel + (bias if use_bias else 0.0)
    if activation in ("relu", "elu"):
        if z.size == 1 and z.item() < 0:
            # Single output: make it the active (positive) branch so the
            # gradients are non-trivial.
            kernel = -kernel
        elif z.size > 1:
            assert (z > 0).any() and (z < 0).any(), name
    assert np.abs(z).min() > 1e-3, name  # stay away from kinks

    layer = keras.layers.Dense(units, activation=activation, use_bias=use_bias)
    layer.build((None, n_in))
    assert [v.path.split("/")[-1] for v in layer.trainable_variables] == (
        ["kernel", "bias"] if use_bias else ["kernel"]
    )

    def fwd(kernel, bias, x):
        tv = [kernel, bias] if use_bias else [kernel]
        y, _ = layer.stateless_call(tv, [], x)
        return y

    bias_in = jnp.asarray(bias) if use_bias else jnp.zeros((units,), jnp.float32)
    y, vjp = jax.vjp(fwd, jnp.asarray(kernel), bias_in, jnp.asarray(x))
    y = np.asarray(y)
    assert y.dtype == np.float32 and y.shape == (batch, units)
    dy = rand(rng, y.shape)
    g_kernel, g_bias, g_x = (np.asarray(g) for g in vjp(jnp.asarray(dy)))

    # Also check that layer(x) with real weights set matches stateless_call.
    layer.set_weights([kernel, bias] if use_bias else [kernel])
    y2 = np.asarray(layer(x))
    assert np.array_equal(y, y2), (name, np.abs(y - y2).max())

    case = {
        "name": name,
        "units": units,
        "activation": activation,
        "use_bias": use_bias,
        "x": arr(x),
        "kernel": arr(kernel),
    }
    if use_bias:
        case["bias"] = arr(bias)
    case["y"] = arr(y)
    case["dy"] = arr(dy)
    case["grad_kernel"] = arr(g_kernel)
    if use_bias:
        case["grad_bias"] = arr(g_bias)
    case["grad_x"] = arr(g_x)
    return case


def gen_dense():
    cases = [dense_case(i, *c) for i, c in enumerate(DENSE_CASES)]
    write(
        "keras_dense.json",
        {
            "generator": GENERATOR,
            "description": (
                "keras.layers.Dense forward y = activation(x @ kernel + bias) "
                "computed by layer.stateless_call; grad_* are gradients of "
                "sum(y * dy) w.r.t. kernel, bias, x (jax.vjp through the "
                "Keras layer call)."
            ),
            "cases": cases,
        },
    )


# ---------------------------------------------------------------------------
# Fixtures 2/3: training steps
# ---------------------------------------------------------------------------


def np_forward(weights, x, act0, act1):
    """Pure jnp re-implementation of the 2-layer MLP (for cross-checking)."""
    k0, b0, k1, b1 = weights
    h = x @ k0 + b0
    h = {"relu": jax.nn.relu, "tanh": jnp.tanh}[act0](h)
    o = h @ k1 + b1
    if act1 == "softmax":
        o = jax.nn.softmax(o, axis=-1)
    return o


def np_loss(weights, x, y, act0, act1, loss):
    p = np_forward(weights, x, act0, act1)
    if loss == "categorical_crossentropy":
        eps = 1e-7
        p = p / jnp.sum(p, axis=-1, keepdims=True)
        p = jnp.clip(p, eps, 1.0 - eps)
        return jnp.mean(-jnp.sum(y * jnp.log(p), axis=-1))
    elif loss == "mean_squared_error":
        return jnp.mean(jnp.mean(jnp.square(y - p), axis=-1))
    raise ValueError(loss)


def manual_train(weights, x, y, act0, act1, loss, opt, steps):
    """Independent float32 re-implementation of the optimizer update rules,
    used only to confirm the formulas stated in the fixture notes."""
    w = [np.array(a, dtype=np.float32) for a in weights]
    grad_fn = jax.jit(
        jax.value_and_grad(lambda ws: np_loss(ws, x, y, act0, act1, loss))
    )
    state = [[np.zeros_like(a), np.zeros_like(a)] for a in w]
    losses, snaps = [], []
    for t in range(1, steps + 1):
        lv, grads = grad_fn([jnp.asarray(a) for a in w])
        losses.append(float(lv))
        grads = [np.asarray(g, dtype=np.float32) for g in grads]
        for i, g in enumerate(grads):
            if opt["type"] == "adam":
                lr, b1, b2, eps = (
                    np.float32(opt[k]) for k in ("lr", "beta1", "beta2", "epsilon")
                )
                m, v = state[i]
                m = m + (g - m) * (np.float32(1) - b1)
                v = v + (g * g - v) * (np.float32(1) - b2)
                lr_t = lr * np.sqrt(np.float32(1) - b2 ** np.float32(t)) / (
                    np.float32(1) - b1 ** np.float32(t)
                )
                if opt.get("variant") == "tfjs":
                    m_hat = m / (np.float32(1) - b1 ** np.float32(t))
                    v_hat = v / (np.float32(1) - b2 ** np.float32(t))
                    w[i] = w[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
                else:
                    w[i] = w[i] - (m * lr_t) / (np.sqrt(v) + eps)
                state[i] = [m, v]
            elif opt["type"] == "sgd":
                lr, mu = np.float32(opt["lr"]), np.float32(opt["momentum"])
                m = state[i][0]
                m = m * mu - g * lr
                if opt["nesterov"]:
                    w[i] = w[i] + (m * mu - g * lr)
                else:
                    w[i] = w[i] + m
                state[i][0] = m
        snaps.append([a.copy() for a in w])
    return losses, snaps


def train_fixture(
    *,
    fname,
    seed,
    n_in,
    hidden,
    act0,
    n_out,
    act1,
    batch,
    steps,
    loss,
    make_optimizer,
    opt_desc,
    make_y,
    extra,
):
    rng = np.random.default_rng(seed)
    k0 = rand(rng, (n_in, hidden), scale=1.0 / np.sqrt(n_in))
    b0 = rand(rng, (hidden,), scale=0.1)
    k1 = rand(rng, (hidden, n_out), scale=1.0 / np.sqrt(hidden))
    b1 = rand(rng, (n_out,), scale=0.1)
    init = [k0, b0, k1, b1]
    x = rand(rng, (batch, n_in))
    y = make_y(rng)

    model = keras.Sequential(
        [
            keras.Input(shape=(n_in,)),
            keras.layers.Dense(hidden, activation=act0),
            keras.layers.Dense(n_out, activation=act1),
        ]
    )
    model.set_weights(init)
    model.compile(optimizer=make_optimizer(), loss=loss)
    assert [v.path.split("/")[-1] for v in model.trainable_variables] == [
        "kernel",
        "bias",
        "kernel",
        "bias",
    ]

    # Loss with the initial weights, computed two ways independently of
    # train_on_batch: Keras's own loss function on model(x), and a pure jnp
    # re-implementation.
    keras_loss_fn = keras.losses.get(loss)
    init_loss_keras = float(np.mean(np.asarray(keras_loss_fn(y, model(x)))))
    init_loss_manual = float(np_loss([jnp.asarray(a) for a in init], x, y, act0, act1, loss))

    losses, weights_after = [], []
    for _ in range(steps):
        lv = model.train_on_batch(x, y)
        losses.append(float(np.float32(lv)))
        weights_after.append([f32(w) for w in model.get_weights()])

    # Loss with the weights after the last step (to distinguish before/after).
    final_loss = float(np.mean(np.asarray(keras_loss_fn(y, model(x)))))

    tol = 1e-6 * max(1.0, abs(init_loss_keras))
    # Loss of the weights after step 1 (hand-written forward, Keras loss fn).
    p1 = np_forward([jnp.asarray(a) for a in weights_after[0]], x, act0, act1)
    loss_after_step1 = float(np.mean(np.asarray(keras_loss_fn(y, p1))))
    if abs(losses[0] - init_loss_keras) <= tol:
        semantics = "before_update"
    elif abs(losses[0] - loss_after_step1) <= tol:
        semantics = "after_update"
    else:
        raise AssertionError(
            f"cannot determine loss semantics: {losses[0]} vs {init_loss_keras}"
            f" / {loss_after_step1}"
        )
    assert semantics == "before_update", semantics
    assert abs(init_loss_manual - init_loss_keras) <= 1e-5 * max(1, abs(init_loss_keras))

    # Cross-check the stated update formula with an independent loop.
    m_losses, m_snaps = manual_train(init, x, y, act0, act1, loss, opt_desc, steps)
    max_w_diff = max(
        float(np.max(np.abs(a - b)))
        for s_k, s_m in zip(weights_after, m_snaps)
        for a, b in zip(s_k, s_m)
    )
    max_loss_diff = max(abs(a - b) for a, b in zip(losses, m_losses))
    assert max_w_diff < 1e-5, max_w_diff
    assert max_loss_diff < 1e-5, max_loss_diff

    verification = {
        "note": (
            "weights_after was cross-checked against an independent float32 "
            "re-implementation (jax.grad of a hand-written forward/loss + "
            "the update formula stated in this file)"
        ),
        "max_abs_weight_diff": max_w_diff,
        "max_abs_loss_diff": max_loss_diff,
    }
    if opt_desc["type"] == "adam":
        _, t_snaps = manual_train(
            init, x, y, act0, act1, loss, dict(opt_desc, variant="tfjs"), steps
        )
        verification["tfjs_formula_max_abs_weight_diff"] = [
            max(float(np.max(np.abs(a - b))) for a, b in zip(s_k, s_t))
            for s_k, s_t in zip(weights_after, t_snaps)
        ]
        verification["tfjs_formula_note"] = (
            "per step: max |weights_after - weights from the TF.js Adam "
            "formula (eps added to sqrt(v_hat))| starting from the same "
            "initial weights"
        )

    names = ["kernel0", "bias0", "kernel1", "bias1"]
    obj = {
        "generator": GENERATOR,
        "model": {
            "input_dim": n_in,
            "layers": [
                {"type": "dense", "units": hidden, "activation": act0, "use_bias": True},
                {"type": "dense", "units": n_out, "activation": act1, "use_bias": True},
            ],
        },
        "loss": loss,
        "optimizer": opt_desc["keras"],
        **{k: v for k, v in opt_desc.items() if k not in ("keras", "type")},
        "batch_size": batch,
        "steps": steps,
        "training": (
            "model.train_on_batch(x, y) called `steps` times on the full batch "
            "(equivalent to model.fit(x, y, batch_size=batch, epochs=steps, "
            "shuffle=False))"
        ),
        "initial_weights": [named(n, a) for n, a in zip(names, init)],
        "x": arr(x),
        "y": arr(y),
        "initial_loss": float(np.float32(init_loss_keras)),
        "losses": losses,
        "loss_semantics": (
            "before_update: the value returned by the t-th train_on_batch call "
            "is the loss computed in that step's forward pass, i.e. with the "
            "weights before that step's update (losses[0] equals the loss of "
            "the initial weights: %r vs independently computed %r). Keras "
            "resets metrics at each train_on_batch call, so it is the loss of "
            "that single batch, reduction = mean over the batch "
            "(sum_over_batch_size)." % (losses[0], init_loss_keras)
        ),
        "final_loss": float(np.float32(final_loss)),
        "final_loss_note": "loss of the weights after the last step (weights_after[-1])",
        "weights_after": [
            [named(n, a) for n, a in zip(names, snap)] for snap in weights_after
        ],
        "verification": verification,
    }
    obj.update(extra)
    write(fname, obj)


def gen_adam():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7

    def make_y(rng):
        labels = np.array([0, 1, 2, 0, 1, 2])
        labels = rng.permutation(labels)
        return f32(np.eye(3)[labels])

    train_fixture(
        fname="keras_adam_mlp.json",
        seed=2024,
        n_in=4,
        hidden=8,
        act0="relu",
        n_out=3,
        act1="softmax",
        batch=6,
        steps=5,
        loss="categorical_crossentropy",
        make_optimizer=lambda: keras.optimizers.Adam(
            learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps
        ),
        opt_desc={
            "type": "adam",
            "keras": "keras.optimizers.Adam(learning_rate=0.01) (defaults beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)",
            "lr": lr,
            "beta1": b1,
            "beta2": b2,
            "epsilon": eps,
        },
        make_y=make_y,
        extra={
            "adam_epsilon": (
                "keras3: var -= lr_t * m / (sqrt(v) + eps) with "
                "lr_t = lr*sqrt(1-b2^t)/(1-b1^t). Verified by reading "
                "keras/src/optimizers/adam.py (Keras %s) update_step: "
                "alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) with "
                "t = iterations + 1; m += (g - m) * (1 - beta_1); "
                "v += (g^2 - v) * (1 - beta_2); var -= (m * alpha) / (sqrt(v) + epsilon). "
                "So epsilon is added to sqrt(v) of the *uncorrected* v (the "
                "'epsilon hat' form of the Adam paper), not to sqrt(v_hat). "
                "NOTE this differs from TF.js AdamOptimizer (tfjs-core "
                "adam_optimizer.js), which does var -= lr * m_hat / "
                "(sqrt(v_hat) + eps) with m_hat = m/(1-b1^t), "
                "v_hat = v/(1-b2^t), i.e. the same as Keras with eps replaced "
                "by eps*sqrt(1-b2^t) (a factor ~0.032 at t=1). The relative "
                "step difference is about eps/sqrt(v), i.e. ~3e-6/|g| at t=1 "
                "(~1%% of the step for |g| ~ 3e-4), so it is far above float32 "
                "noise: see verification.tfjs_formula_max_abs_weight_diff for how "
                "far the TF.js formula lands from these Keras values. "
                "m and v start at zero. "
                "Confirmed numerically: an independent re-implementation of "
                "this formula reproduces weights_after (see verification)."
                % keras.__version__
            ),
            "loss_details": (
                "categorical_crossentropy (from_logits=False) on the JAX "
                "backend: p = p / sum(p, -1); p = clip(p, 1e-7, 1 - 1e-7); "
                "loss = mean_over_batch(-sum(y * log(p), -1))"
            ),
        },
    )


def gen_sgd():
    lr, mom = 0.1, 0.9

    def make_y(rng):
        return rand(rng, (8, 1), scale=0.5)

    train_fixture(
        fname="keras_sgd_mse.json",
        seed=77,
        n_in=3,
        hidden=5,
        act0="tanh",
        n_out=1,
        act1="linear",
        batch=8,
        steps=3,
        loss="mean_squared_error",
        make_optimizer=lambda: keras.optimizers.SGD(
            learning_rate=lr, momentum=mom, nesterov=True
        ),
        opt_desc={
            "type": "sgd",
            "keras": "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)",
            "lr": lr,
            "momentum": mom,
            "nesterov": True,
        },
        make_y=make_y,
        extra={
            "sgd_formula": (
                "keras3 keras/src/optimizers/sgd.py (Keras %s) update_step with "
                "momentum and nesterov: m = momentum * m - lr * g; "
                "var += momentum * m - lr * g (using the new m). m starts at "
                "zero. Confirmed numerically (see verification). Equivalent "
                "(for a constant lr) to TF.js MomentumOptimizer with "
                "useNesterov: acc = momentum * acc + g; "
                "var -= lr * (g + momentum * acc)."
                % keras.__version__
            ),
            "loss_details": (
                "mean_squared_error: loss = mean_over_batch(mean((y - p)^2, -1))"
            ),
        },
    )


# ---------------------------------------------------------------------------
# Fixture 4: more layers, forward / backward
# ---------------------------------------------------------------------------


def layer_case(name, cls, tfjs_config, layer, x, weights, int_input=False, seed=0, state=None, training=False):
    """Forward and vjp of `layer` at `weights` (in Keras's trainable order) and input x.

    `state` sets the non-trainable variables (BatchNormalization's moving statistics); with
    `training` the layer runs in training mode and the case records the state it leaves."""
    rng = np.random.default_rng(4000 + seed)
    layer.build((None,) + tuple(x.shape[1:]))
    assert len(layer.trainable_variables) == len(weights), name
    for v, w in zip(layer.trainable_variables, weights):
        assert tuple(v.shape) == w.shape, (name, v.path, v.shape, w.shape)
    # Non-trainable state (an RNN's dropout seed) is passed through as it is unless given.
    if state is None:
        st = [v.value for v in layer.non_trainable_variables]
    else:
        st = [jnp.asarray(v) for v in state]

    def fwd(ws, xx):
        if training:
            return layer.stateless_call(list(ws), st, xx, training=True)
        return layer.stateless_call(list(ws), st, xx)

    ws = tuple(jnp.asarray(w) for w in weights)
    if int_input:
        xi = jnp.asarray(x.astype(np.int32))
        y, vjp, new_state = jax.vjp(lambda ws: fwd(ws, xi), ws, has_aux=True)
    else:
        y, vjp, new_state = jax.vjp(fwd, ws, jnp.asarray(x), has_aux=True)
    y = np.asarray(y)
    dy = rand(rng, y.shape)
    grads = vjp(jnp.asarray(dy))
    g_w = [np.asarray(g) for g in grads[0]]
    case = {
        "name": name,
        "class": cls,
        "config": tfjs_config,
        "x": arr(x),
        "weights": [arr(w) for w in weights],
        "y": arr(y),
        "dy": arr(dy),
        "grad_weights": [arr(g) for g in g_w],
    }
    if not int_input:
        case["grad_x"] = arr(np.asarray(grads[1]))
    if state is not None:
        case["state"] = [arr(v) for v in state]
        case["training"] = training
        if training:
            case["new_state"] = [arr(np.asarray(v)) for v in new_state]
    return case


def gen_conv_cases(rng, cases):
    """Convolutions, pooling and resizing (channels-last), at odd sizes and every padding."""
    L = keras.layers
    x = rand(rng, (2, 7, 6, 3))
    seed = 100

    def add(name, cls, cfg, layer, xx, ws):
        nonlocal seed
        seed += 1
        cases.append(layer_case(name, cls, cfg, layer, xx, ws, seed=seed))

    for pad in ["valid", "same"]:
        for (k, st, dil) in [((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 2), (1, 1)), ((2, 3), (1, 1), (2, 1))]:
            cfg = {"filters": 4, "kernelSize": list(k), "strides": list(st), "dilationRate": list(dil), "padding": pad}
            layer = L.Conv2D(4, k, strides=st, dilation_rate=dil, padding=pad)
            ws = [rand(rng, k + (3, 4), 0.3), rand(rng, (4,), 0.1)]
            add(f"conv2d_k{k[0]}{k[1]}_s{st[0]}_d{dil[0]}_{pad}", "Conv2D", cfg, layer, x, ws)
    add(
        "conv2d_1x1_relu_nobias",
        "Conv2D",
        {"filters": 5, "kernelSize": 1, "activation": "relu", "useBias": False},
        L.Conv2D(5, 1, activation="relu", use_bias=False),
        x,
        [rand(rng, (1, 1, 3, 5), 0.5)],
    )
    x1 = rand(rng, (2, 9, 3))
    for pad, st, dil in [("valid", 1, 1), ("same", 2, 1), ("causal", 1, 2)]:
        cfg = {"filters": 4, "kernelSize": 3, "strides": st, "dilationRate": dil, "padding": pad}
        layer = L.Conv1D(4, 3, strides=st, dilation_rate=dil, padding=pad)
        add(f"conv1d_{pad}_s{st}_d{dil}", "Conv1D", cfg, layer, x1, [rand(rng, (3, 3, 4), 0.3), rand(rng, (4,), 0.1)])
    for pad, k, st in [("valid", (3, 3), (2, 2)), ("same", (3, 3), (2, 2)), ("valid", (2, 3), (1, 2)), ("same", (4, 4), (2, 2))]:
        cfg = {"filters": 2, "kernelSize": list(k), "strides": list(st), "padding": pad}
        layer = L.Conv2DTranspose(2, k, strides=st, padding=pad)
        xt = rand(rng, (2, 3, 4, 3))
        ws = [rand(rng, k + (2, 3), 0.3), rand(rng, (2,), 0.1)]
        add(f"conv2d_transpose_k{k[0]}{k[1]}_s{st[0]}{st[1]}_{pad}", "Conv2DTranspose", cfg, layer, xt, ws)
    for pad, m, st in [("valid", 1, 1), ("same", 2, 2)]:
        cfg = {"kernelSize": 3, "depthMultiplier": m, "strides": st, "padding": pad}
        layer = L.DepthwiseConv2D(3, depth_multiplier=m, strides=st, padding=pad)
        add(f"depthwise_m{m}_{pad}", "DepthwiseConv2D", cfg, layer, x, [rand(rng, (3, 3, 3, m), 0.3), rand(rng, (3 * m,), 0.1)])
    for pad, m in [("valid", 1), ("same", 2)]:
        cfg = {"filters": 4, "kernelSize": 3, "depthMultiplier": m, "padding": pad, "activation": "relu"}
        layer = L.SeparableConv2D(4, 3, depth_multiplier=m, padding=pad, activation="relu")
        ws = [rand(rng, (3, 3, 3, m), 0.3), rand(rng, (1, 1, 3 * m, 4), 0.3), rand(rng, (4,), 0.1)]
        add(f"separable_m{m}_{pad}", "SeparableConv2D", cfg, layer, x, ws)
    for pad in ["valid", "same"]:
        for (ps, st) in [((2, 2), (2, 2)), ((3, 3), (2, 1))]:
            cfg = {"poolSize": list(ps), "strides": list(st), "padding": pad}
            add(f"maxpool2d_p{ps[0]}_s{st[0]}{st[1]}_{pad}", "MaxPooling2D", cfg, L.MaxPooling2D(ps, st, padding=pad), x, [])
            add(f"avgpool2d_p{ps[0]}_s{st[0]}{st[1]}_{pad}", "AveragePooling2D", cfg, L.AveragePooling2D(ps, st, padding=pad), x, [])
        cfg = {"poolSize": 3, "strides": 2, "padding": pad}
        add(f"maxpool1d_{pad}", "MaxPooling1D", cfg, L.MaxPooling1D(3, 2, padding=pad), x1, [])
        add(f"avgpool1d_{pad}", "AveragePooling1D", cfg, L.AveragePooling1D(3, 2, padding=pad), x1, [])
    add("global_max_2d", "GlobalMaxPooling2D", {}, L.GlobalMaxPooling2D(), x, [])
    add("global_avg_2d", "GlobalAveragePooling2D", {}, L.GlobalAveragePooling2D(), x, [])
    add("global_max_1d", "GlobalMaxPooling1D", {}, L.GlobalMaxPooling1D(), x1, [])
    add("global_avg_1d", "GlobalAveragePooling1D", {}, L.GlobalAveragePooling1D(), x1, [])
    add("upsampling_2x3", "UpSampling2D", {"size": [2, 3]}, L.UpSampling2D((2, 3)), x, [])
    add(
        "zero_padding_asym",
        "ZeroPadding2D",
        {"padding": [[1, 2], [0, 3]]},
        L.ZeroPadding2D(((1, 2), (0, 3))),
        x,
        [],
    )


def gen_rnn_cases(rng, cases):
    """Recurrent layers. TF.js defaults differ from Keras 3 (recurrentActivation hardSigmoid vs
    sigmoid, GRU resetAfter false vs true), so every case sets them explicitly."""
    L = keras.layers
    x = rand(rng, (2, 5, 3))
    seed = 300
    H = 4

    def add(name, cls, cfg, layer, ws):
        nonlocal seed
        seed += 1
        cases.append(layer_case(name, cls, cfg, layer, x, ws, seed=seed))

    def lstm_w():
        return [rand(rng, (3, 4 * H), 0.4), rand(rng, (H, 4 * H), 0.4), rand(rng, (4 * H,), 0.2)]

    for seq, back in [(False, False), (True, False), (True, True)]:
        tag = f"{'seq' if seq else 'last'}{'_backwards' if back else ''}"
        add(
            f"simple_rnn_{tag}",
            "SimpleRNN",
            {"units": H, "returnSequences": seq, "goBackwards": back},
            L.SimpleRNN(H, return_sequences=seq, go_backwards=back),
            [rand(rng, (3, H), 0.4), rand(rng, (H, H), 0.4), rand(rng, (H,), 0.2)],
        )
        add(
            f"lstm_{tag}",
            "LSTM",
            {"units": H, "recurrentActivation": "sigmoid", "returnSequences": seq, "goBackwards": back},
            L.LSTM(H, recurrent_activation="sigmoid", return_sequences=seq, go_backwards=back),
            lstm_w(),
        )
        for reset_after in [False, True]:
            bshape = (2, 3 * H) if reset_after else (3 * H,)
            add(
                f"gru_{tag}_reset_{'after' if reset_after else 'before'}",
                "GRU",
                {"units": H, "recurrentActivation": "sigmoid", "resetAfter": reset_after, "returnSequences": seq, "goBackwards": back},
                L.GRU(H, recurrent_activation="sigmoid", reset_after=reset_after, return_sequences=seq, go_backwards=back),
                [rand(rng, (3, 3 * H), 0.4), rand(rng, (H, 3 * H), 0.4), rand(rng, bshape, 0.2)],
            )
    add(
        "lstm_relu_nobias",
        "LSTM",
        {"units": H, "activation": "relu", "recurrentActivation": "sigmoid", "useBias": False},
        L.LSTM(H, activation="relu", recurrent_activation="sigmoid", use_bias=False),
        lstm_w()[:2],
    )
    for merge in ["concat", "sum", "mul", "ave"]:
        for seq in [False, True]:
            inner = {"className": "LSTM", "config": {"units": H, "recurrentActivation": "sigmoid", "returnSequences": seq}}
            add(
                f"bidirectional_{merge}_{'seq' if seq else 'last'}",
                "Bidirectional",
                {"layer": inner, "mergeMode": merge},
                L.Bidirectional(L.LSTM(H, recurrent_activation="sigmoid", return_sequences=seq), merge_mode=merge),
                lstm_w() + lstm_w(),
            )
    add(
        "time_distributed_dense",
        "TimeDistributed",
        {"layer": {"className": "Dense", "config": {"units": 2, "activation": "tanh"}}},
        L.TimeDistributed(L.Dense(2, activation="tanh")),
        [rand(rng, (3, 2), 0.5), rand(rng, (2,), 0.1)],
    )


def gen_batchnorm_cases(rng, cases):
    """BatchNormalization in training mode (batch statistics, moving statistics updated) and in
    inference mode (moving statistics), on a dense and an image input."""
    L = keras.layers
    for i, shape in enumerate([(6, 5), (3, 4, 3, 2)]):
        c = shape[-1]
        x = rand(rng, shape, 2.0) + 0.7
        gamma = 1.0 + rand(rng, (c,), 0.3)
        beta = rand(rng, (c,), 0.3)
        state = [rand(rng, (c,), 0.5), 0.5 + np.abs(rand(rng, (c,), 0.5))]
        for training in [True, False]:
            for momentum, eps in [(0.99, 1e-3), (0.8, 1e-2)]:
                tag = f"{'x'.join(map(str, shape))}_{'train' if training else 'infer'}_m{momentum}"
                cases.append(
                    layer_case(
                        f"batch_norm_{tag}",
                        "BatchNormalization",
                        {"momentum": momentum, "epsilon": eps},
                        L.BatchNormalization(momentum=momentum, epsilon=eps),
                        x,
                        [gamma, beta],
                        seed=500 + 10 * i + 2 * training + (momentum < 0.9),
                        state=state,
                        training=training,
                    )
                )


def gen_optimizers():
    """Five training steps of a small MLP per optimizer setting that TF.js lacks or that Keras 3
    defines (AdamW, Adadelta, gradient clipping, learning-rate schedules). Each case carries the
    Hebb (TF.js-style) optimizer config that should reproduce it."""
    K = keras.optimizers
    S = keras.optimizers.schedules
    rng = np.random.default_rng(99)
    n_in, hidden, n_out, batch = 4, 6, 3, 8
    init = [
        rand(rng, (n_in, hidden), 0.5),
        rand(rng, (hidden,), 0.1),
        rand(rng, (hidden, n_out), 0.4),
        rand(rng, (n_out,), 0.1),
    ]
    x = rand(rng, (batch, n_in))
    y = f32(np.eye(n_out)[rng.integers(0, n_out, size=batch)])
    cases = []
    settings = [
        ("adamw", K.AdamW(learning_rate=0.01, weight_decay=0.05), {"className": "AdamW", "config": {"learningRate": 0.01, "weightDecay": 0.05}}),
        ("adadelta", K.Adadelta(learning_rate=0.5, rho=0.9), {"className": "Adadelta", "config": {"learningRate": 0.5, "rho": 0.9}}),
        (
            "adam_clipnorm",
            K.Adam(learning_rate=0.01, clipnorm=0.05),
            {"className": "Adam", "config": {"learningRate": 0.01, "clipnorm": 0.05, "epsilonBeforeBiasCorrection": True}},
        ),
        ("sgd_clipvalue", K.SGD(learning_rate=0.2, clipvalue=0.02), {"className": "SGD", "config": {"learningRate": 0.2, "clipvalue": 0.02}}),
        (
            "sgd_global_clipnorm",
            K.SGD(learning_rate=0.2, global_clipnorm=0.1),
            {"className": "SGD", "config": {"learningRate": 0.2, "globalClipnorm": 0.1}},
        ),
        (
            "sgd_exponential_decay",
            K.SGD(learning_rate=S.ExponentialDecay(0.3, decay_steps=2, decay_rate=0.5, staircase=True)),
            {"className": "SGD", "config": {"learningRate": {"className": "ExponentialDecay", "config": {"initialLearningRate": 0.3, "decaySteps": 2, "decayRate": 0.5, "staircase": True}}}},
        ),
        (
            "sgd_cosine_warmup",
            K.SGD(learning_rate=S.CosineDecay(0.05, decay_steps=3, alpha=0.1, warmup_target=0.3, warmup_steps=2)),
            {"className": "SGD", "config": {"learningRate": {"className": "CosineDecay", "config": {"initialLearningRate": 0.05, "decaySteps": 3, "alpha": 0.1, "warmupTarget": 0.3, "warmupSteps": 2}}}},
        ),
        (
            "sgd_piecewise",
            K.SGD(learning_rate=S.PiecewiseConstantDecay([1, 3], [0.3, 0.1, 0.02])),
            {"className": "SGD", "config": {"learningRate": {"className": "PiecewiseConstantDecay", "config": {"boundaries": [1, 3], "values": [0.3, 0.1, 0.02]}}}},
        ),
    ]
    for name, opt, hebb in settings:
        model = keras.Sequential([keras.Input(shape=(n_in,)), keras.layers.Dense(hidden, activation="tanh"), keras.layers.Dense(n_out, activation="softmax")])
        model.set_weights(init)
        model.compile(optimizer=opt, loss="categorical_crossentropy")
        losses, after = [], []
        for _ in range(5):
            losses.append(float(np.float32(model.train_on_batch(x, y))))
            after.append([arr(w) for w in model.get_weights()])
        cases.append({"name": name, "optimizer": hebb, "losses": losses, "weights_after": after})
    write(
        "keras_optimizers.json",
        {
            "generator": GENERATOR,
            "description": "5 train_on_batch steps of Dense(6, tanh) - Dense(3, softmax), categorical_crossentropy, per optimizer",
            "model": {"input_dim": n_in, "layers": [{"units": hidden, "activation": "tanh", "use_bias": True}, {"units": n_out, "activation": "softmax", "use_bias": True}]},
            "initial_weights": [arr(w) for w in init],
            "x": arr(x),
            "y": arr(y),
            "batch_size": batch,
            "cases": cases,
        },
    )


def gen_losses():
    """Per-sample values and gradients (w.r.t. the prediction) of the losses and options TF.js
    lacks or Keras 3 defines: categorical hinge, KL divergence, cosine similarity, Poisson, Huber
    with delta, fromLogits and labelSmoothing."""
    Lf = keras.losses
    rng = np.random.default_rng(123)
    n, c = 5, 4
    probs = f32(jax.nn.softmax(rand(rng, (n, c), 1.5), axis=-1))
    onehot = f32(np.eye(c)[rng.integers(0, c, size=n)])
    logits = rand(rng, (n, c), 2.0)
    bin_y = f32(rng.integers(0, 2, size=(n, 3)))
    bin_logits = rand(rng, (n, 3), 2.0)
    bin_p = f32(1 / (1 + np.exp(-bin_logits)))
    reg_y = rand(rng, (n, 3))
    reg_p = reg_y + rand(rng, (n, 3), 1.5)
    counts = f32(rng.integers(0, 4, size=(n, 3)))
    rates = f32(np.abs(rand(rng, (n, 3))) + 0.2)
    dist_y = f32(jax.nn.softmax(rand(rng, (n, c)), axis=-1))
    settings = [
        ("categorical_hinge", {"className": "CategoricalHinge", "config": {}}, Lf.categorical_hinge, onehot, rand(rng, (n, c))),
        ("kl_divergence", {"className": "KLDivergence", "config": {}}, Lf.kl_divergence, dist_y, probs),
        ("cosine_similarity", {"className": "CosineSimilarity", "config": {}}, Lf.cosine_similarity, reg_y, reg_p),
        ("poisson", {"className": "Poisson", "config": {}}, Lf.poisson, counts, rates),
        ("huber_delta_0.5", {"className": "Huber", "config": {"delta": 0.5}}, lambda y, p: Lf.huber(y, p, delta=0.5), reg_y, reg_p),
        (
            "categorical_from_logits_smoothing",
            {"className": "CategoricalCrossentropy", "config": {"fromLogits": True, "labelSmoothing": 0.1}},
            lambda y, p: Lf.categorical_crossentropy(y, p, from_logits=True, label_smoothing=0.1),
            onehot,
            logits,
        ),
        (
            "categorical_smoothing",
            {"className": "CategoricalCrossentropy", "config": {"labelSmoothing": 0.2}},
            lambda y, p: Lf.categorical_crossentropy(y, p, label_smoothing=0.2),
            onehot,
            probs,
        ),
        (
            "sparse_from_logits",
            {"className": "SparseCategoricalCrossentropy", "config": {"fromLogits": True}},
            lambda y, p: Lf.sparse_categorical_crossentropy(y, p, from_logits=True),
            f32(np.argmax(onehot, -1)),
            logits,
        ),
        (
            "binary_from_logits_smoothing",
            {"className": "BinaryCrossentropy", "config": {"fromLogits": True, "labelSmoothing": 0.1}},
            lambda y, p: Lf.binary_crossentropy(y, p, from_logits=True, label_smoothing=0.1),
            bin_y,
            bin_logits,
        ),
        (
            "binary_smoothing",
            {"className": "BinaryCrossentropy", "config": {"labelSmoothing": 0.3}},
            lambda y, p: Lf.binary_crossentropy(y, p, label_smoothing=0.3),
            bin_y,
            bin_p,
        ),
    ]
    cases = []
    for name, cfg, fn, y, pred in settings:
        yy = jnp.asarray(y.astype(np.int32)) if name.startswith("sparse") else jnp.asarray(y)
        per = np.asarray(fn(yy, jnp.asarray(pred)))
        w = rand(rng, per.shape)
        grad = np.asarray(jax.grad(lambda p: jnp.sum(fn(yy, p) * w))(jnp.asarray(pred)))
        cases.append({"name": name, "loss": cfg, "y": arr(y), "p": arr(pred), "per_sample": arr(per), "w": arr(w), "grad_p": arr(grad)})
    write(
        "keras_losses.json",
        {"generator": GENERATOR, "description": "per-sample Keras 3 losses and d(sum(loss * w))/dp", "cases": cases},
    )


def gen_activation_layer_cases(cases):
    """ELU, ReLU (maxValue, negativeSlope, threshold), ThresholdedReLU (Keras 3 writes it as
    ReLU(threshold=theta)), PReLU (with and without sharedAxes, at a non-zero alpha) and
    Rescaling, on their own random stream so the cases before them keep their values."""
    L = keras.layers
    ra = np.random.default_rng(79)
    specs = [
        ("elu_default", "ELU", {}, L.ELU(), (2, 3, 4), 1.5),
        ("elu_alpha_0.5", "ELU", {"alpha": 0.5}, L.ELU(alpha=0.5), (3, 5), 1.5),
        ("relu_max_value_1.5", "ReLU", {"maxValue": 1.5}, L.ReLU(max_value=1.5), (3, 6), 1.5),
        ("relu_max_value_6", "ReLU", {"maxValue": 6}, L.ReLU(max_value=6.0), (3, 6), 5.0),
        ("relu_negative_slope", "ReLU", {"negativeSlope": 0.25}, L.ReLU(negative_slope=0.25), (2, 3, 4), 1.0),
        (
            "relu_slope_threshold",
            "ReLU",
            {"negativeSlope": 0.2, "threshold": 0.3},
            L.ReLU(negative_slope=0.2, threshold=0.3),
            (3, 6),
            1.0,
        ),
        (
            "relu_max_slope_threshold",
            "ReLU",
            {"maxValue": 1.2, "negativeSlope": 0.1, "threshold": 0.5},
            L.ReLU(max_value=1.2, negative_slope=0.1, threshold=0.5),
            (4, 5),
            1.5,
        ),
        ("thresholded_relu_0.7", "ThresholdedReLU", {"theta": 0.7}, L.ReLU(threshold=0.7), (2, 3, 4), 1.5),
        ("rescaling", "Rescaling", {"scale": 1 / 255, "offset": -0.5}, L.Rescaling(scale=1 / 255, offset=-0.5), (2, 3, 3, 2), 100.0),
        ("rescaling_scale_only", "Rescaling", {"scale": 2.5}, L.Rescaling(scale=2.5), (3, 4), 1.0),
    ]
    for k, (name, cls, cfg, layer, shape, scale) in enumerate(specs):
        cases.append(layer_case(name, cls, cfg, layer, rand(ra, shape, scale), [], seed=940 + k))
    for k, (name, cfg, layer, shape, alpha_shape) in enumerate(
        [
            ("prelu", {}, L.PReLU(), (3, 2, 4), (2, 4)),
            ("prelu_shared_axes_1_2", {"sharedAxes": [1, 2]}, L.PReLU(shared_axes=[1, 2]), (2, 3, 4, 2), (1, 1, 2)),
            ("prelu_shared_axis_1", {"sharedAxes": 1}, L.PReLU(shared_axes=[1]), (3, 4, 5), (1, 5)),
        ]
    ):
        alpha = rand(ra, alpha_shape, 0.3) + 0.2
        cases.append(layer_case(name, "PReLU", cfg, layer, rand(ra, shape), [alpha], seed=960 + k))


def gen_preprocessing_cases(cases):
    """Resizing (bilinear and nearest, up and down; Keras 3 uses half-pixel centres, unlike
    TF.js's resizeBilinear), CenterCrop (cropping, and an input smaller than the target, which
    Keras crops to the target's aspect ratio and resizes up), CategoryEncoding (integer ids in;
    no gradient), on their own random stream."""
    L = keras.layers
    rp = np.random.default_rng(80)
    specs = [
        ("resizing_bilinear_up", "Resizing", {"height": 5, "width": 7}, L.Resizing(5, 7), (2, 3, 4, 2)),
        ("resizing_bilinear_down", "Resizing", {"height": 3, "width": 4}, L.Resizing(3, 4), (1, 7, 6, 3)),
        ("resizing_bilinear_mixed", "Resizing", {"height": 6, "width": 3, "interpolation": "bilinear"}, L.Resizing(6, 3), (2, 4, 5, 1)),
        (
            "resizing_nearest_up",
            "Resizing",
            {"height": 5, "width": 6, "interpolation": "nearest"},
            L.Resizing(5, 6, interpolation="nearest"),
            (2, 3, 4, 2),
        ),
        (
            "resizing_nearest_down",
            "Resizing",
            {"height": 4, "width": 3, "interpolation": "nearest"},
            L.Resizing(4, 3, interpolation="nearest"),
            (1, 7, 6, 2),
        ),
        ("center_crop", "CenterCrop", {"height": 3, "width": 4}, L.CenterCrop(3, 4), (2, 7, 6, 3)),
        ("center_crop_odd", "CenterCrop", {"height": 3, "width": 2}, L.CenterCrop(3, 2), (1, 6, 5, 2)),
        ("center_crop_same", "CenterCrop", {"height": 4, "width": 4}, L.CenterCrop(4, 4), (1, 4, 4, 1)),
        ("center_crop_upsize", "CenterCrop", {"height": 5, "width": 5}, L.CenterCrop(5, 5), (2, 3, 4, 2)),
        ("center_crop_mixed", "CenterCrop", {"height": 6, "width": 4}, L.CenterCrop(6, 4), (1, 4, 8, 2)),
    ]
    for k, (name, cls, cfg, layer, shape) in enumerate(specs):
        cases.append(layer_case(name, cls, cfg, layer, rand(rp, shape), [], seed=980 + k))
    for k, (name, cfg, layer, shape, n) in enumerate(
        [
            ("category_encoding_count", {"numTokens": 6, "outputMode": "count"}, L.CategoryEncoding(6, output_mode="count"), (3, 5), 6),
            ("category_encoding_multi_hot", {"numTokens": 6}, L.CategoryEncoding(6), (3, 5), 6),
            (
                "category_encoding_one_hot",
                {"numTokens": 5, "outputMode": "oneHot"},
                L.CategoryEncoding(5, output_mode="one_hot"),
                (4, 1),
                5,
            ),
            (
                "category_encoding_one_hot_seq",
                {"numTokens": 5, "outputMode": "oneHot"},
                L.CategoryEncoding(5, output_mode="one_hot"),
                (3, 4),
                5,
            ),
        ]
    ):
        ids = f32(rp.integers(0, n, size=shape))
        cases.append(layer_case(name, "CategoryEncoding", cfg, layer, ids, [], int_input=True, seed=995 + k))


def gen_conv3d_cases(cases):
    """Conv3D (both paddings, strides, dilation, no bias), Conv3DTranspose ('valid' and 'same',
    stride 2, a stride above the kernel) and MaxPooling3D/AveragePooling3D (both paddings, the
    default strides) on volumes of odd sizes [N, D, H, W, C], on their own random stream."""
    L = keras.layers
    r3 = np.random.default_rng(83)
    seed = 1100
    x = rand(r3, (1, 5, 4, 6, 2))
    for k, st, dil, pad in [
        ((3, 3, 3), (1, 1, 1), (1, 1, 1), "valid"),
        ((2, 3, 3), (1, 1, 1), (1, 1, 1), "same"),
        ((3, 2, 3), (2, 1, 2), (1, 1, 1), "valid"),
        ((3, 2, 3), (2, 2, 2), (1, 1, 1), "same"),
        ((2, 2, 2), (1, 1, 1), (2, 1, 2), "valid"),
        ((3, 2, 2), (1, 1, 1), (2, 2, 1), "same"),
    ]:
        cfg = {"filters": 3, "kernelSize": list(k), "strides": list(st), "dilationRate": list(dil), "padding": pad}
        layer = L.Conv3D(3, k, strides=st, dilation_rate=dil, padding=pad)
        ws = [rand(r3, k + (2, 3), 0.3), rand(r3, (3,), 0.1)]
        name = f"conv3d_k{''.join(map(str, k))}_s{''.join(map(str, st))}_d{''.join(map(str, dil))}_{pad}"
        seed += 1
        cases.append(layer_case(name, "Conv3D", cfg, layer, x, ws, seed=seed))
    seed += 1
    cfg = {"filters": 4, "kernelSize": 1, "activation": "relu", "useBias": False}
    layer = L.Conv3D(4, 1, activation="relu", use_bias=False)
    cases.append(layer_case("conv3d_1x1x1_relu_nobias", "Conv3D", cfg, layer, x, [rand(r3, (1, 1, 1, 2, 4), 0.5)], seed=seed))
    xt = rand(r3, (1, 3, 2, 3, 3))
    for k, st, pad, bias in [
        ((3, 3, 3), (2, 2, 2), "valid", True),
        ((3, 3, 3), (2, 2, 2), "same", True),
        ((2, 3, 2), (1, 2, 1), "valid", True),
        ((2, 2, 3), (2, 1, 2), "same", False),
        ((2, 2, 2), (3, 3, 1), "valid", True),
    ]:
        cfg = {"filters": 2, "kernelSize": list(k), "strides": list(st), "padding": pad}
        if not bias:
            cfg["useBias"] = False
        layer = L.Conv3DTranspose(2, k, strides=st, padding=pad, use_bias=bias)
        ws = [rand(r3, k + (2, 3), 0.3)] + ([rand(r3, (2,), 0.1)] if bias else [])
        name = f"conv3d_transpose_k{''.join(map(str, k))}_s{''.join(map(str, st))}_{pad}{'' if bias else '_nobias'}"
        seed += 1
        cases.append(layer_case(name, "Conv3DTranspose", cfg, layer, xt, ws, seed=seed))
    xp = rand(r3, (2, 5, 4, 7, 1))
    for ps, st, pad in [
        ((2, 2, 2), None, "valid"),
        ((2, 2, 2), None, "same"),
        ((3, 3, 3), (2, 1, 2), "valid"),
        ((3, 3, 3), (2, 1, 2), "same"),
        ((2, 3, 2), (1, 2, 3), "same"),
    ]:
        cfg = {"poolSize": list(ps), "padding": pad}
        if st is not None:
            cfg["strides"] = list(st)
        tag = f"p{''.join(map(str, ps))}_s{''.join(map(str, st or ps))}_{pad}"
        for cls, mk in [("MaxPooling3D", L.MaxPooling3D), ("AveragePooling3D", L.AveragePooling3D)]:
            seed += 1
            short = "maxpool3d" if cls == "MaxPooling3D" else "avgpool3d"
            cases.append(layer_case(f"{short}_{tag}", cls, cfg, mk(ps, st, padding=pad), xp, [], seed=seed))
    # Keras's Conv3DTranspose takes a dilation (TF.js's ignores it), on a stream of its own.
    rd = np.random.default_rng(84)
    xd = rand(rd, (1, 3, 2, 3, 2))
    for pad in ["valid", "same"]:
        cfg = {"filters": 2, "kernelSize": [2, 3, 2], "dilationRate": [2, 1, 2], "padding": pad}
        layer = L.Conv3DTranspose(2, (2, 3, 2), dilation_rate=(2, 1, 2), padding=pad)
        ws = [rand(rd, (2, 3, 2, 2, 2), 0.3), rand(rd, (2,), 0.1)]
        seed += 1
        cases.append(layer_case(f"conv3d_transpose_k232_d212_{pad}", "Conv3DTranspose", cfg, layer, xd, ws, seed=seed))


def gen_layers():
    rng = np.random.default_rng(77)
    cases = []
    x = rand(rng, (2, 3, 4))
    cases.append(layer_case("reshape_3x4_to_2x6", "Reshape", {"targetShape": [2, 6]}, keras.layers.Reshape((2, 6)), x, [], seed=1))
    cases.append(layer_case("reshape_infer", "Reshape", {"targetShape": [-1, 3]}, keras.layers.Reshape((-1, 3)), x, [], seed=2))
    cases.append(layer_case("permute_2_1", "Permute", {"dims": [2, 1]}, keras.layers.Permute((2, 1)), x, [], seed=3))
    x4 = rand(rng, (2, 2, 3, 4))
    cases.append(layer_case("permute_3_1_2", "Permute", {"dims": [3, 1, 2]}, keras.layers.Permute((3, 1, 2)), x4, [], seed=4))
    x2 = rand(rng, (3, 5))
    cases.append(layer_case("repeat_vector_4", "RepeatVector", {"n": 4}, keras.layers.RepeatVector(4), x2, [], seed=5))
    idx = f32(rng.integers(0, 7, size=(3, 5)))
    idx[0, 0] = idx[1, 1] = 2.0  # a repeated index: its gradient rows add up
    emb = rand(rng, (7, 4), 0.5)
    cases.append(
        layer_case(
            "embedding_7x4",
            "Embedding",
            {"inputDim": 7, "outputDim": 4},
            keras.layers.Embedding(7, 4),
            idx,
            [emb],
            int_input=True,
            seed=6,
        )
    )
    for i, (shape, eps) in enumerate([((4, 6), 1e-3), ((2, 3, 5), 1e-5)]):
        xl = rand(rng, shape, 2.0) + 0.5
        gamma = 1.0 + rand(rng, (shape[-1],), 0.3)
        beta = rand(rng, (shape[-1],), 0.3)
        cases.append(
            layer_case(
                f"layer_norm_{'x'.join(map(str, shape))}",
                "LayerNormalization",
                {"epsilon": eps},
                keras.layers.LayerNormalization(epsilon=eps),
                xl,
                [gamma, beta],
                seed=10 + i,
            )
        )
    gen_conv_cases(rng, cases)
    gen_rnn_cases(rng, cases)
    gen_batchnorm_cases(rng, cases)
    # Bilinear upsampling (Keras 3: half-pixel centres; TF.js's resizeBilinear default differs).
    rb = np.random.default_rng(78)
    for k, (size, shape) in enumerate([((2, 2), (2, 3, 4, 2)), ((3, 2), (1, 2, 5, 3)), ((1, 4), (2, 1, 3, 1))]):
        cases.append(
            layer_case(
                f"upsampling_bilinear_{size[0]}x{size[1]}",
                "UpSampling2D",
                {"size": list(size), "interpolation": "bilinear"},
                keras.layers.UpSampling2D(size, interpolation="bilinear"),
                rand(rb, shape),
                [],
                seed=900 + k,
            )
        )
    for k, (name, cls, cfg, layer, shape) in enumerate(
        [
            ("cropping1d_1_2", "Cropping1D", {"cropping": [1, 2]}, keras.layers.Cropping1D((1, 2)), (2, 6, 3)),
            ("cropping2d_sym", "Cropping2D", {"cropping": [1, 2]}, keras.layers.Cropping2D((1, 2)), (2, 5, 6, 2)),
            ("cropping2d_asym", "Cropping2D", {"cropping": [[0, 2], [1, 0]]}, keras.layers.Cropping2D(((0, 2), (1, 0))), (1, 4, 3, 3)),
        ]
    ):
        cases.append(layer_case(name, cls, cfg, layer, rand(rb, shape), [], seed=910 + k))
    # BatchNormalization over a features axis other than the last (channels first).
    for k, (shape, axis) in enumerate([((4, 3, 5), 1), ((2, 3, 4, 2), 2)]):
        c = shape[axis]
        x = rand(rb, shape, 2.0) + 0.7
        gamma, beta = 1.0 + rand(rb, (c,), 0.3), rand(rb, (c,), 0.3)
        state = [rand(rb, (c,), 0.5), 0.5 + np.abs(rand(rb, (c,), 0.5))]
        for training in [True, False]:
            cases.append(
                layer_case(
                    f"batch_norm_axis{axis}_{'x'.join(map(str, shape))}_{'train' if training else 'infer'}",
                    "BatchNormalization",
                    {"axis": axis, "momentum": 0.8, "epsilon": 1e-3},
                    keras.layers.BatchNormalization(axis=axis, momentum=0.8, epsilon=1e-3),
                    x,
                    [gamma, beta],
                    seed=920 + 2 * k + training,
                    state=state,
                    training=training,
                )
            )
    gen_activation_layer_cases(cases)
    gen_preprocessing_cases(cases)
    gen_conv3d_cases(cases)
    cases = keep_committed("keras_layers.json", cases)
    write(
        "keras_layers.json",
        {
            "generator": GENERATOR,
            "description": (
                "Keras layers at fixed weights (trainable order): y = layer.stateless_call; "
                "grad_* are gradients of sum(y * dy) w.r.t. the weights and x (jax.vjp). "
                "config is the TF.js-style config for the same layer."
            ),
            "cases": cases,
        },
    )


def merge_case(name, cls, tfjs_config, layer, xs, seed):
    """Forward and vjp of a merge layer called on the list of inputs `xs`."""
    rng = np.random.default_rng(5000 + seed)
    y, vjp = jax.vjp(lambda *a: layer(list(a)), *[jnp.asarray(x) for x in xs])
    y = np.asarray(y)
    dy = rand(rng, y.shape)
    grads = vjp(jnp.asarray(dy))
    return {
        "name": name,
        "class": cls,
        "config": tfjs_config,
        "xs": [arr(x) for x in xs],
        "y": arr(y),
        "dy": arr(dy),
        "grad_xs": [arr(np.asarray(g)) for g in grads],
    }


def gen_merge():
    rng = np.random.default_rng(91)
    a, b, c = rand(rng, (3, 4)), rand(rng, (3, 4)), rand(rng, (3, 4))
    cases = []
    L = keras.layers
    for i, (cls, layer) in enumerate(
        [("Add", L.Add()), ("Multiply", L.Multiply()), ("Average", L.Average()), ("Maximum", L.Maximum()), ("Minimum", L.Minimum())]
    ):
        cases.append(merge_case(cls.lower() + "_3", cls, {}, layer, [a, b, c], i))
    cases.append(merge_case("subtract", "Subtract", {}, L.Subtract(), [a, b], 10))
    cases.append(merge_case("add_broadcast", "Add", {}, L.Add(), [rand(rng, (3, 1, 4)), rand(rng, (3, 2, 4))], 11))
    cases.append(merge_case("concat_last", "Concatenate", {}, L.Concatenate(), [a, rand(rng, (3, 2))], 12))
    s1, s2 = rand(rng, (2, 3, 4)), rand(rng, (2, 5, 4))
    cases.append(merge_case("concat_axis1", "Concatenate", {"axis": 1}, L.Concatenate(axis=1), [s1, s2], 13))
    cases.append(merge_case("dot_2d", "Dot", {"axes": 1}, L.Dot(axes=1), [a, b], 14))
    cases.append(merge_case("dot_2d_normalize", "Dot", {"axes": -1, "normalize": True}, L.Dot(axes=-1, normalize=True), [a, b], 15))
    cases.append(merge_case("dot_3d_2_2", "Dot", {"axes": [2, 2]}, L.Dot(axes=(2, 2)), [s1, s2], 16))
    t1, t2 = rand(rng, (2, 3, 4)), rand(rng, (2, 3, 5))
    cases.append(merge_case("dot_3d_1_1", "Dot", {"axes": [1, 1]}, L.Dot(axes=(1, 1)), [t1, t2], 17))
    # Inputs of different ranks: Keras adds size-1 axes after the batch axis of the lower-rank
    # ones, then broadcasts (an ACGAN multiplies a label embedding [null, 1, 16] by [null, 16]).
    rr = np.random.default_rng(92)
    for k, (name, cls, layer, shapes) in enumerate(
        [
            ("multiply_rank2_rank3", "Multiply", L.Multiply(), [(3, 4), (3, 1, 4)]),
            ("add_rank3_rank2", "Add", L.Add(), [(3, 2, 4), (3, 4)]),
            ("subtract_rank2_rank3", "Subtract", L.Subtract(), [(3, 4), (3, 2, 4)]),
            ("average_ranks_2_3_4", "Average", L.Average(), [(2, 4), (2, 3, 1), (2, 1, 3, 4)]),
            ("maximum_rank2_rank3", "Maximum", L.Maximum(), [(3, 4), (3, 2, 1)]),
            ("minimum_rank3_rank2", "Minimum", L.Minimum(), [(3, 2, 4), (3, 1)]),
        ]
    ):
        cases.append(merge_case(name, cls, {}, layer, [rand(rr, s) for s in shapes], 20 + k))
    cases = keep_committed("keras_merge.json", cases)
    write(
        "keras_merge.json",
        {
            "generator": GENERATOR,
            "description": "Keras merge layers on lists of inputs: y = layer(xs); grad_xs are gradients of sum(y * dy) w.r.t. each input (jax.vjp).",
            "cases": cases,
        },
    )


def attention_case(name, tfjs_config, layer, xs, seed, causal=False):
    """MultiHeadAttention at fixed weights called on [query, value(, key)]: forward and vjp
    w.r.t. the weights (Keras's order) and every input."""
    rng = np.random.default_rng(6000 + seed)
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else None
    layer.build(q.shape, v.shape, None if k is None else k.shape)
    weights = [rand(rng, tuple(w.shape), 0.4) for w in layer.trainable_variables]

    def fwd(ws, *ins):
        kw = {"use_causal_mask": True} if causal else {}
        args = list(ins)
        out, _ = layer.stateless_call(list(ws), [], args[0], args[1], *( [args[2]] if len(args) > 2 else [] ), **kw)
        return out

    ws = tuple(jnp.asarray(w) for w in weights)
    y, vjp = jax.vjp(fwd, ws, *[jnp.asarray(x) for x in xs])
    y = np.asarray(y)
    dy = rand(rng, y.shape)
    grads = vjp(jnp.asarray(dy))
    return {
        "name": name,
        "class": "MultiHeadAttention",
        "config": tfjs_config,
        "xs": [arr(x) for x in xs],
        "weights": [arr(w) for w in weights],
        "y": arr(y),
        "dy": arr(dy),
        "grad_weights": [arr(np.asarray(g)) for g in grads[0]],
        "grad_xs": [arr(np.asarray(g)) for g in grads[1:]],
    }


def gen_attention():
    rng = np.random.default_rng(93)
    L = keras.layers
    x = rand(rng, (2, 4, 6))
    cases = [
        attention_case("self_2heads", {"numHeads": 2, "keyDim": 3}, L.MultiHeadAttention(2, 3), [x, x], 1),
        attention_case(
            "cross_key_output",
            {"numHeads": 3, "keyDim": 2, "outputShape": 5},
            # (Keras 3.15 fails on value_dim != key_dim in its fused attention path, so value_dim
            # keeps its default here.)
            L.MultiHeadAttention(3, 2, output_shape=(5,)),
            [rand(rng, (2, 3, 6)), rand(rng, (2, 5, 7)), rand(rng, (2, 5, 4))],
            2,
        ),
        attention_case("no_bias", {"numHeads": 1, "keyDim": 4, "useBias": False}, L.MultiHeadAttention(1, 4, use_bias=False), [x, rand(rng, (2, 2, 6))], 3),
        attention_case("causal", {"numHeads": 2, "keyDim": 2, "useCausalMask": True}, L.MultiHeadAttention(2, 2), [x, x], 4, causal=True),
    ]
    write(
        "keras_attention.json",
        {
            "generator": GENERATOR,
            "description": "Keras MultiHeadAttention at fixed weights (Keras's order) on [query, value(, key)]; grad_* are gradients of sum(y * dy) (jax.vjp).",
            "cases": cases,
        },
    )


def rnn_state_case(name, cls, tfjs_config, layer, x, states, seed):
    """A recurrent layer called on x with optional initial states, returnState on: forward of
    every output ([output, *final_states]) and the vjp of sum_k sum(y_k * dy_k) w.r.t. the
    weights (Keras's order) and x and the initial states."""
    rng = np.random.default_rng(7000 + seed)
    layer.build(x.shape)
    weights = [rand(rng, tuple(w.shape), 0.4) for w in layer.trainable_variables]

    def fwd(ws, xin, *init):
        kw = {"initial_state": list(init)} if init else {}
        # (The non-trainable variables are the dropout seed generators' states.)
        out, _ = layer.stateless_call(list(ws), [v.value for v in layer.non_trainable_variables], xin, **kw)
        # (Stacked cells return each cell's states as a list: flattened, in order.)
        return tuple(jax.tree_util.tree_leaves(out))

    ws = tuple(jnp.asarray(w) for w in weights)
    ys, vjp = jax.vjp(fwd, ws, jnp.asarray(x), *[jnp.asarray(h) for h in states])
    ys = [np.asarray(y) for y in ys]
    dys = [rand(rng, y.shape) for y in ys]
    grads = vjp(tuple(jnp.asarray(d) for d in dys))
    return {
        "name": name,
        "class": cls,
        "config": tfjs_config,
        "xs": [arr(x)] + [arr(h) for h in states],
        "weights": [arr(w) for w in weights],
        "ys": [arr(y) for y in ys],
        "dys": [arr(d) for d in dys],
        "grad_weights": [arr(np.asarray(g)) for g in grads[0]],
        "grad_xs": [arr(np.asarray(g)) for g in grads[1:]],
    }


def gen_rnn_state():
    rng = np.random.default_rng(94)
    L = keras.layers
    H = 4
    x = rand(rng, (2, 5, 3))
    h0, c0, h1, c1 = (rand(rng, (2, H)) for _ in range(4))
    sig = {"recurrentActivation": "sigmoid"}
    cases = [
        rnn_state_case("lstm_state_init", "LSTM", {"units": H, "returnState": True, **sig},
                       L.LSTM(H, return_state=True, recurrent_activation="sigmoid"), x, [h0, c0], 1),
        rnn_state_case("lstm_seq_back_state_init", "LSTM", {"units": H, "returnState": True, "returnSequences": True, "goBackwards": True, **sig},
                       L.LSTM(H, return_state=True, return_sequences=True, go_backwards=True, recurrent_activation="sigmoid"), x, [h0, c0], 2),
        rnn_state_case("lstm_state_no_init", "LSTM", {"units": H, "returnState": True, **sig},
                       L.LSTM(H, return_state=True, recurrent_activation="sigmoid"), x, [], 3),
        rnn_state_case("gru_state_init_reset_after", "GRU", {"units": H, "returnState": True, "resetAfter": True, **sig},
                       L.GRU(H, return_state=True, reset_after=True, recurrent_activation="sigmoid"), x, [h0], 4),
        rnn_state_case("gru_seq_state_init_reset_before", "GRU", {"units": H, "returnState": True, "returnSequences": True, "resetAfter": False, **sig},
                       L.GRU(H, return_state=True, return_sequences=True, reset_after=False, recurrent_activation="sigmoid"), x, [h0], 5),
        rnn_state_case("simple_rnn_state_init", "SimpleRNN", {"units": H, "returnState": True},
                       L.SimpleRNN(H, return_state=True), x, [h0], 6),
        rnn_state_case("bidirectional_lstm_state_init", "Bidirectional",
                       {"layer": {"className": "LSTM", "config": {"units": H, "returnState": True, **sig}}, "mergeMode": "concat"},
                       L.Bidirectional(L.LSTM(H, return_state=True, recurrent_activation="sigmoid")), x, [h0, c0, h1, c1], 7),
        rnn_state_case("bidirectional_gru_seq_state", "Bidirectional",
                       {"layer": {"className": "GRU", "config": {"units": H, "returnState": True, "returnSequences": True, "resetAfter": True, **sig}}, "mergeMode": "sum"},
                       L.Bidirectional(L.GRU(H, return_state=True, return_sequences=True, reset_after=True, recurrent_activation="sigmoid"), merge_mode="sum"), x, [], 8),
        rnn_state_case("rnn_lstm_cell_state_init", "RNN", {"cell": {"className": "LSTMCell", "config": {"units": H, **sig}}, "returnState": True},
                       L.RNN(L.LSTMCell(H, recurrent_activation="sigmoid"), return_state=True), x, [h0, c0], 9),
        rnn_state_case("rnn_stacked_lstm_gru_seq_state", "RNN",
                       {"cell": [{"className": "LSTMCell", "config": {"units": 3, **sig}}, {"className": "GRUCell", "config": {"units": 2, "resetAfter": True, **sig}}],
                        "returnSequences": True, "returnState": True},
                       L.RNN([L.LSTMCell(3, recurrent_activation="sigmoid"), L.GRUCell(2, reset_after=True, recurrent_activation="sigmoid")], return_sequences=True, return_state=True), x, [], 10),
        rnn_state_case("rnn_simple_cell_backwards_state", "RNN", {"cell": {"className": "SimpleRNNCell", "config": {"units": H}}, "goBackwards": True, "returnState": True},
                       L.RNN(L.SimpleRNNCell(H), go_backwards=True, return_state=True), x, [h1], 11),
    ]
    write(
        "keras_rnn_state.json",
        {
            "generator": GENERATOR,
            "description": "Keras recurrent layers with return_state (outputs ys = [output, *final_states]) called on [x, *initial_state]; grad_* are gradients of sum_k sum(ys[k] * dys[k]) (jax.vjp).",
            "cases": cases,
        },
    )


# ---------------------------------------------------------------------------
# Weight constraints: whole training steps
# ---------------------------------------------------------------------------


def constraint_case(rng, name, input_shape, make_layers, hebb_layers, x, y, scales, checked):
    """Two SGD steps and, from the same start, two Adam steps of a small Sequential model whose
    layers carry weight constraints (Keras applies them after every update). `make_layers(c)`
    builds the Keras layers with (c=True) or without (c=False) their constraints; the run
    without them shows that the constraints changed the weights named in `checked`."""
    def build(c):
        model = keras.Sequential([keras.Input(shape=input_shape)] + make_layers(c))
        return model

    probe = build(True)
    shapes = [tuple(v.shape) for v in probe.weights]
    # Only the variable's own name: layer names are numbered by what ran before.
    paths = [v.path.split("/")[-1] for v in probe.weights]
    init = [rand(rng, sh, sc) if sc > 0 else f32(0.5 + np.abs(rand(rng, sh, 0.5))) for sh, sc in zip(shapes, scales)]
    assert len(init) == len(scales), (name, paths)
    runs = []
    for opt_name, make_opt, hebb_opt in [
        ("sgd", lambda: keras.optimizers.SGD(learning_rate=0.5), {"className": "SGD", "config": {"learningRate": 0.5}}),
        (
            "adam",
            lambda: keras.optimizers.Adam(learning_rate=0.05),
            {"className": "Adam", "config": {"learningRate": 0.05, "epsilonBeforeBiasCorrection": True}},
        ),
    ]:
        after = {}
        for c in [True, False]:
            model = build(c)
            model.set_weights(init)
            model.compile(optimizer=make_opt(), loss="mean_squared_error")
            snaps, losses = [], []
            for _ in range(2):
                losses.append(float(np.float32(model.train_on_batch(x, y))))
                snaps.append([f32(w) for w in model.get_weights()])
            after[c] = (snaps, losses)
        for k in checked:
            diff = float(np.max(np.abs(after[True][0][0][k] - after[False][0][0][k])))
            assert diff > 1e-3, (name, opt_name, paths[k], diff)
        runs.append(
            {
                "optimizer": hebb_opt,
                "losses": after[True][1],
                "weights_after": [[arr(w) for w in snap] for snap in after[True][0]],
            }
        )
    return {
        "name": name,
        "layers": hebb_layers,
        "input_shape": list(input_shape),
        "weight_names": paths,
        "constrained": checked,
        "initial_weights": [arr(w) for w in init],
        "x": arr(x),
        "y": arr(y),
        "runs": runs,
    }


def gen_constraints():
    rng = np.random.default_rng(123)
    L = keras.layers
    C = keras.constraints
    cases = []

    def mx(v, axis=0):
        return {"className": "MaxNorm", "config": {"maxValue": v, "axis": axis}}

    x = rand(rng, (6, 4))
    cases.append(
        constraint_case(
            rng,
            "dense_max_norm_kernel_non_neg_bias",
            (4,),
            lambda c: [
                L.Dense(3, activation="tanh", kernel_constraint=C.MaxNorm(0.5) if c else None, bias_constraint=C.NonNeg() if c else None),
                L.Dense(2),
            ],
            [
                {"className": "Dense", "config": {"units": 3, "activation": "tanh", "kernelConstraint": mx(0.5), "biasConstraint": "nonNeg"}},
                {"className": "Dense", "config": {"units": 2}},
            ],
            x,
            rand(rng, (6, 2)),
            [0.8, 0.5, 0.5, 0.1],
            [0, 1],
        )
    )
    cases.append(
        constraint_case(
            rng,
            "dense_non_neg",
            (4,),
            lambda c: [L.Dense(5, activation="relu", kernel_constraint=C.NonNeg() if c else None), L.Dense(1)],
            [
                {"className": "Dense", "config": {"units": 5, "activation": "relu", "kernelConstraint": {"className": "NonNeg", "config": {}}}},
                {"className": "Dense", "config": {"units": 1}},
            ],
            x,
            rand(rng, (6, 1)),
            [0.6, 0.2, 0.5, 0.1],
            [0],
        )
    )
    cases.append(
        constraint_case(
            rng,
            "dense_min_max_norm_axis1",
            (4,),
            lambda c: [L.Dense(3, kernel_constraint=C.MinMaxNorm(0.8, 1.2, rate=0.6, axis=1) if c else None), L.Dense(2)],
            [
                {
                    "className": "Dense",
                    "config": {"units": 3, "kernelConstraint": {"className": "MinMaxNorm", "config": {"minValue": 0.8, "maxValue": 1.2, "rate": 0.6, "axis": 1}}},
                },
                {"className": "Dense", "config": {"units": 2}},
            ],
            x,
            rand(rng, (6, 2)),
            [0.9, 0.1, 0.5, 0.1],
            [0],
        )
    )
    xi = rand(rng, (4, 5, 5, 2))
    cases.append(
        constraint_case(
            rng,
            "conv2d_unit_norm_filters",
            (5, 5, 2),
            lambda c: [L.Conv2D(3, 2, activation="relu", kernel_constraint=C.UnitNorm(axis=[0, 1, 2]) if c else None), L.Flatten(), L.Dense(2)],
            [
                {"className": "Conv2D", "config": {"filters": 3, "kernelSize": 2, "activation": "relu", "kernelConstraint": {"className": "UnitNorm", "config": {"axis": [0, 1, 2]}}}},
                {"className": "Flatten", "config": {}},
                {"className": "Dense", "config": {"units": 2}},
            ],
            xi,
            rand(rng, (4, 2)),
            [0.5, 0.1, 0.2, 0.1],
            [0],
        )
    )
    cases.append(
        constraint_case(
            rng,
            "separable_depthwise_unit_norm_pointwise_max_norm",
            (5, 5, 2),
            lambda c: [
                L.SeparableConv2D(
                    3,
                    2,
                    depth_multiplier=2,
                    depthwise_constraint=C.UnitNorm(axis=[0, 1]) if c else None,
                    pointwise_constraint=C.MaxNorm(0.6, axis=[0, 1, 2]) if c else None,
                ),
                L.GlobalAveragePooling2D(),
                L.Dense(2),
            ],
            [
                {
                    "className": "SeparableConv2D",
                    "config": {
                        "filters": 3,
                        "kernelSize": 2,
                        "depthMultiplier": 2,
                        "depthwiseConstraint": {"className": "UnitNorm", "config": {"axis": [0, 1]}},
                        "pointwiseConstraint": mx(0.6, [0, 1, 2]),
                    },
                },
                {"className": "GlobalAveragePooling2D", "config": {}},
                {"className": "Dense", "config": {"units": 2}},
            ],
            xi,
            rand(rng, (4, 2)),
            [0.5, 0.6, 0.1, 0.4, 0.1],
            [0, 1],
        )
    )
    xs = rand(rng, (3, 4, 2))
    cases.append(
        constraint_case(
            rng,
            "lstm_max_norm_recurrent_min_max_kernel",
            (4, 2),
            lambda c: [
                L.LSTM(
                    3,
                    recurrent_activation="sigmoid",
                    kernel_constraint=C.MinMaxNorm(0.2, 0.5, axis=0) if c else None,
                    recurrent_constraint=C.MaxNorm(0.4) if c else None,
                ),
                L.Dense(1),
            ],
            [
                {
                    "className": "LSTM",
                    "config": {
                        "units": 3,
                        "recurrentActivation": "sigmoid",
                        "kernelConstraint": {"className": "MinMaxNorm", "config": {"minValue": 0.2, "maxValue": 0.5}},
                        "recurrentConstraint": mx(0.4),
                    },
                },
                {"className": "Dense", "config": {"units": 1}},
            ],
            xs,
            rand(rng, (3, 1)),
            [0.6, 0.6, 0.2, 0.5, 0.1],
            [0, 1],
        )
    )
    cases.append(
        constraint_case(
            rng,
            "gru_unit_norm_bias_axis1",
            (4, 2),
            lambda c: [
                L.GRU(3, recurrent_activation="sigmoid", reset_after=True, bias_constraint=C.UnitNorm(axis=1) if c else None),
                L.Dense(1),
            ],
            [
                {
                    "className": "GRU",
                    "config": {"units": 3, "recurrentActivation": "sigmoid", "resetAfter": True, "biasConstraint": {"className": "UnitNorm", "config": {"axis": 1}}},
                },
                {"className": "Dense", "config": {"units": 1}},
            ],
            xs,
            rand(rng, (3, 1)),
            [0.5, 0.5, 0.5, 0.5, 0.1],
            [2],
        )
    )
    idx = f32(rng.integers(0, 6, size=(5, 3)))
    cases.append(
        constraint_case(
            rng,
            "embedding_max_norm_rows",
            (3,),
            lambda c: [L.Embedding(6, 4, embeddings_constraint=C.MaxNorm(0.3, axis=1) if c else None), L.Flatten(), L.Dense(1)],
            [
                {"className": "Embedding", "config": {"inputDim": 6, "outputDim": 4, "embeddingsConstraint": mx(0.3, 1)}},
                {"className": "Flatten", "config": {}},
                {"className": "Dense", "config": {"units": 1}},
            ],
            idx,
            rand(rng, (5, 1)),
            [0.5, 0.3, 0.1],
            [0],
        )
    )
    cases.append(
        constraint_case(
            rng,
            "batch_norm_and_layer_norm_gamma_beta",
            (4,),
            # (No bias before the batch normalization: its gradient is zero up to rounding, which
            # Adam would amplify into noise.)
            lambda c: [
                L.Dense(4, use_bias=False),
                L.BatchNormalization(gamma_constraint=C.MaxNorm(1.5) if c else None, beta_constraint=C.NonNeg() if c else None),
                L.LayerNormalization(gamma_constraint=C.UnitNorm() if c else None, beta_constraint=C.MinMaxNorm(0.1, 0.3) if c else None),
                L.Dense(1),
            ],
            [
                {"className": "Dense", "config": {"units": 4, "useBias": False}},
                {"className": "BatchNormalization", "config": {"gammaConstraint": mx(1.5), "betaConstraint": "nonNeg"}},
                {"className": "LayerNormalization", "config": {"gammaConstraint": "unitNorm", "betaConstraint": {"className": "MinMaxNorm", "config": {"minValue": 0.1, "maxValue": 0.3}}}},
                {"className": "Dense", "config": {"units": 1}},
            ],
            x,
            rand(rng, (6, 1)),
            # kernel, then gamma, beta, moving mean, moving variance (positive: scale 0) of the
            # batch normalization, gamma and beta of the layer normalization, the last Dense.
            [0.6, 1.5, 0.3, 0.1, 0.0, 0.9, 1.0, 0.5, 0.1],
            [1, 2, 5, 6],
        )
    )
    write(
        "keras_constraints.json",
        {
            "generator": GENERATOR,
            "description": (
                "Weight constraints (keras.constraints MaxNorm, NonNeg, UnitNorm, MinMaxNorm) on small Sequential "
                "models: from initial_weights, two model.train_on_batch(x, y) steps with SGD(0.5), and from the same "
                "start two with Adam(0.05), mean squared error. Keras applies each constraint right after every "
                "optimizer update (BaseOptimizer.apply: variable.assign(variable.constraint(variable))), with "
                "epsilon = keras.backend.epsilon() = %r. weights_after[k] are model.get_weights() after step k+1 "
                "(Keras's weight order, which is Hebb's); constrained lists the indices of the weights the "
                "generator checked the constraint changed (against the same run without constraints). layers are "
                "the TF.js-style {className, config} for Hebb." % keras.backend.epsilon()
            ),
            "cases": cases,
        },
    )


def masking_case(name, layers_tfjs, layers, x, seed):
    """A small Sequential model whose first layer makes a Keras mask (Embedding with mask_zero,
    or Masking): forward, and the vjp of sum(y * dy) w.r.t. every weight (Keras's order)."""
    rng = np.random.default_rng(8000 + seed)
    model = keras.Sequential(layers)
    weights = [rand(rng, tuple(w.shape), 0.5) for w in model.trainable_variables]

    def fwd(ws):
        out, _ = model.stateless_call(list(ws), [v.value for v in model.non_trainable_variables], jnp.asarray(x))
        return out

    y, vjp = jax.vjp(fwd, tuple(jnp.asarray(w) for w in weights))
    y = np.asarray(y)
    dy = rand(rng, y.shape)
    (grads,) = vjp(jnp.asarray(dy))
    return {
        "name": name,
        "layers": layers_tfjs,
        "x": arr(x),
        "weights": [arr(w) for w in weights],
        "y": arr(y),
        "dy": arr(dy),
        "grad_weights": [arr(np.asarray(g)) for g in grads],
    }


def gen_masking():
    rng = np.random.default_rng(95)
    L = keras.layers
    ids = f32(np.array([[3, 1, 4, 0, 0, 0], [2, 7, 1, 8, 2, 0], [0, 0, 5, 6, 1, 3]]))
    feats = rand(rng, (3, 5, 2))
    feats[0, 3:] = 0.0
    feats[1, 1] = 0.0
    feats[2, :2] = 0.0
    sig = {"recurrentActivation": "sigmoid"}
    emb = lambda: {"className": "Embedding", "config": {"inputDim": 9, "outputDim": 3, "maskZero": True}}
    cases = [
        masking_case("embedding_lstm", [emb(), {"className": "LSTM", "config": {"units": 4, **sig}}],
                     [L.Input((6,)), L.Embedding(9, 3, mask_zero=True), L.LSTM(4, recurrent_activation="sigmoid")], ids, 1),
        masking_case("embedding_gru_seq_gap", [emb(), {"className": "GRU", "config": {"units": 4, "returnSequences": True, "resetAfter": True, **sig}},
                                               {"className": "GlobalAveragePooling1D", "config": {}}],
                     [L.Input((6,)), L.Embedding(9, 3, mask_zero=True), L.GRU(4, return_sequences=True, recurrent_activation="sigmoid"), L.GlobalAveragePooling1D()], ids, 2),
        masking_case("masking_simple_rnn_seq_dense", [{"className": "Masking", "config": {"maskValue": 0}}, {"className": "SimpleRNN", "config": {"units": 4, "returnSequences": True}},
                                                      {"className": "Dense", "config": {"units": 2}}],
                     [L.Input((5, 2)), L.Masking(0.0), L.SimpleRNN(4, return_sequences=True), L.Dense(2)], feats, 3),
        masking_case("masking_lstm_backwards", [{"className": "Masking", "config": {"maskValue": 0}}, {"className": "LSTM", "config": {"units": 3, "goBackwards": True, **sig}}],
                     [L.Input((5, 2)), L.Masking(0.0), L.LSTM(3, go_backwards=True, recurrent_activation="sigmoid")], feats, 4),
        masking_case("embedding_bidirectional_lstm_seq", [emb(), {"className": "Bidirectional", "config": {"layer": {"className": "LSTM", "config": {"units": 3, "returnSequences": True, **sig}}}}],
                     [L.Input((6,)), L.Embedding(9, 3, mask_zero=True), L.Bidirectional(L.LSTM(3, return_sequences=True, recurrent_activation="sigmoid"))], ids, 5),
        masking_case("embedding_bidirectional_gru_sum", [emb(), {"className": "Bidirectional", "config": {"mergeMode": "sum", "layer": {"className": "GRU", "config": {"units": 3, "resetAfter": True, **sig}}}}],
                     [L.Input((6,)), L.Embedding(9, 3, mask_zero=True), L.Bidirectional(L.GRU(3, recurrent_activation="sigmoid"), merge_mode="sum")], ids, 6),
    ]
    write(
        "keras_masking.json",
        {
            "generator": GENERATOR,
            "description": "Keras masking (Embedding mask_zero, Masking) through recurrent layers, Bidirectional, GlobalAveragePooling1D and Dense: Sequential models at fixed weights (trainable order); grad_weights are gradients of sum(y * dy) (jax.vjp).",
            "cases": cases,
        },
    )


def conv_lstm_case(name, tfjs_config, layer, x, states, seed, scale=0.3):
    """ConvLSTM2D called on x (and optional initial states [h, c]): every output (the main one,
    then the final states with return_state) and the vjp of sum_k sum(y_k * dy_k) w.r.t. the
    weights (kernel, recurrent_kernel, bias), x and the initial states."""
    rng = np.random.default_rng(7500 + seed)
    layer.build(x.shape)
    weights = [rand(rng, tuple(w.shape), scale) for w in layer.trainable_variables]

    def fwd(ws, xin, *init):
        kw = {"initial_state": list(init)} if init else {}
        out, _ = layer.stateless_call(list(ws), [v.value for v in layer.non_trainable_variables], xin, **kw)
        return tuple(jax.tree_util.tree_leaves(out))

    ws = tuple(jnp.asarray(w) for w in weights)
    ys, vjp = jax.vjp(fwd, ws, jnp.asarray(x), *[jnp.asarray(h) for h in states])
    ys = [np.asarray(y) for y in ys]
    dys = [rand(rng, y.shape) for y in ys]
    grads = vjp(tuple(jnp.asarray(d) for d in dys))
    return {
        "name": name,
        "class": "ConvLSTM2D",
        "config": tfjs_config,
        "xs": [arr(x)] + [arr(h) for h in states],
        "weights": [arr(w) for w in weights],
        "ys": [arr(y) for y in ys],
        "dys": [arr(d) for d in dys],
        "grad_weights": [arr(np.asarray(g)) for g in grads[0]],
        "grad_xs": [arr(np.asarray(g)) for g in grads[1:]],
    }


def gen_conv_lstm():
    """ConvLSTM2D (channels last) against Keras 3: valid and same padding, strides, dilation,
    an even kernel (the recurrent 'same' convolution pads more at the end), a 1x1 kernel,
    return_sequences, go_backwards, return_state with and without initial states. Keras 3's
    recurrent_activation default is sigmoid, TF.js's hardSigmoid: every case sets it."""
    rng = np.random.default_rng(95)
    L = keras.layers
    sig = {"recurrentActivation": "sigmoid"}
    x = rand(rng, (2, 4, 6, 5, 2))
    specs = [
        ("conv_lstm_valid_last", {"filters": 3, "kernelSize": 3}, {}),
        ("conv_lstm_same_seq", {"filters": 3, "kernelSize": 3, "padding": "same", "returnSequences": True}, {}),
        ("conv_lstm_stride2_same_seq", {"filters": 2, "kernelSize": 3, "strides": 2, "padding": "same", "returnSequences": True}, {}),
        ("conv_lstm_stride2_valid_last", {"filters": 2, "kernelSize": [3, 2], "strides": [2, 1]}, {}),
        ("conv_lstm_backwards_seq", {"filters": 2, "kernelSize": 3, "padding": "same", "returnSequences": True, "goBackwards": True}, {}),
        ("conv_lstm_backwards_last", {"filters": 2, "kernelSize": 2, "goBackwards": True}, {}),
        ("conv_lstm_even_kernel_same_seq", {"filters": 2, "kernelSize": [2, 3], "padding": "same", "returnSequences": True}, {}),
        ("conv_lstm_dilation2_relu_nobias", {"filters": 2, "kernelSize": 2, "dilationRate": 2, "activation": "relu", "useBias": False}, {}),
        ("conv_lstm_1x1_seq", {"filters": 4, "kernelSize": 1, "returnSequences": True}, {}),
        ("conv_lstm_state_no_init", {"filters": 2, "kernelSize": 3, "padding": "same", "returnState": True}, {}),
        ("conv_lstm_state_seq_backwards", {"filters": 2, "kernelSize": 3, "returnState": True, "returnSequences": True, "goBackwards": True}, {}),
    ]

    def keras_layer(cfg):
        return L.ConvLSTM2D(
            cfg["filters"],
            tuple(cfg["kernelSize"]) if isinstance(cfg["kernelSize"], list) else cfg["kernelSize"],
            strides=tuple(cfg["strides"]) if isinstance(cfg.get("strides"), list) else cfg.get("strides", 1),
            padding=cfg.get("padding", "valid"),
            dilation_rate=cfg.get("dilationRate", 1),
            activation=cfg.get("activation", "tanh"),
            recurrent_activation="sigmoid",
            use_bias=cfg.get("useBias", True),
            return_sequences=cfg.get("returnSequences", False),
            return_state=cfg.get("returnState", False),
            go_backwards=cfg.get("goBackwards", False),
        )

    cases = []
    for k, (name, cfg, _) in enumerate(specs):
        cases.append(conv_lstm_case(name, {**cfg, **sig}, keras_layer(cfg), x, [], k))
    # Initial states [h, c], each [batch, out h, out w, filters].
    for k, (name, cfg) in enumerate(
        [
            ("conv_lstm_state_init", {"filters": 2, "kernelSize": 3, "padding": "same", "returnState": True}),
            ("conv_lstm_state_init_valid_seq", {"filters": 3, "kernelSize": 3, "returnState": True, "returnSequences": True}),
        ]
    ):
        oh, ow = (6, 5) if cfg.get("padding") == "same" else (4, 3)
        h0, c0 = rand(rng, (2, oh, ow, cfg["filters"])), rand(rng, (2, oh, ow, cfg["filters"]))
        cases.append(conv_lstm_case(name, {**cfg, **sig}, keras_layer(cfg), x, [h0, c0], 20 + k))
    write(
        "keras_conv_lstm.json",
        {
            "generator": GENERATOR,
            "description": "Keras ConvLSTM2D (channels last) called on [x, *initial_state]: ys = [output, *final_states with return_state]; grad_* are gradients of sum_k sum(ys[k] * dys[k]) (jax.vjp) w.r.t. the weights, x and the initial states.",
            "cases": cases,
        },
    )


def main():
    only = sys.argv[1:]
    gens = {
        "dense": gen_dense,
        "adam": gen_adam,
        "sgd": gen_sgd,
        "layers": gen_layers,
        "optimizers": gen_optimizers,
        "losses": gen_losses,
        "merge": gen_merge,
        "attention": gen_attention,
        "rnn_state": gen_rnn_state,
        "masking": gen_masking,
        "constraints": gen_constraints,
        "conv_lstm": gen_conv_lstm,
    }
    for name, gen in gens.items():
        if not only or name in only:
            gen()
    return 0


if __name__ == "__main__":
    sys.exit(main())

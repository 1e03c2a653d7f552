#!/usr/bin/env python3
"""Generate Keras 3 `.keras` files for the `.keras` reader's tests.

Usage (from the repo root, with the venv described in scripts/gen_fixtures.py):
    .venv/bin/python scripts/gen_keras_files.py

Writes, under tests/fixtures/keras/:
    convnet.keras     Sequential: Conv2D, BatchNormalization, MaxPooling2D, SeparableConv2D,
                      GlobalAveragePooling2D, Dropout, Dense (zip entries stored, as Keras writes)
    recurrent.keras   Sequential: int Input, Embedding, Bidirectional(LSTM), GRU, Dense
    functional.keras  Functional: two inputs, a Dense layer shared by two calls, Concatenate,
                      Add, LayerNormalization, two named outputs
    constrained.keras Sequential: Conv2D, GlobalAveragePooling2D, Dense, Dense with weight
                      constraints (MaxNorm over a list of axes, NonNeg, MinMaxNorm, UnitNorm)
    volumes.keras     Sequential over [batch, depth, height, width, channels]: Conv3D,
                      MaxPooling3D, Conv3DTranspose, AveragePooling3D ('same'), Flatten, Dense
    conv_lstm.keras   Sequential over [batch, steps, height, width, channels]: ConvLSTM2D
                      (sequences, 'same'), ConvLSTM2D (strides 2, backwards), Flatten, Dense
    activations.keras Sequential: Dense, ELU, Dense, ReLU (max_value, negative_slope,
                      threshold), PReLU (shared axis), Rescaling, GaussianDropout, AlphaDropout,
                      Dense (Keras 3 has no ThresholdedReLU)
    preprocess.keras  functional: an image through Resizing, CenterCrop, Conv2D and pooling,
                      token ids through CategoryEncoding (multi_hot) and Dense, concatenated
    <name>.json       for each of these: the fixed input(s), Keras's prediction (6
                      decimals), the layers in config order and every weight in Keras order
                      ({name: '<layer>/<index>', path, shape, sum, first, last})
    broken_*.keras    small damaged files the reader must reject (see BROKEN below)

All weights are fixed numbers drawn from numpy with fixed seeds (Keras initializers are never
relied on) and every layer name is given, so the files do not depend on Keras's global name
counters. `model.save` is not byte-reproducible (config.json holds Python object ids,
metadata.json the date, the zip the time), so each archive is rewritten with those normalised:
running the script twice gives byte-identical files. Each rewritten file is loaded back with
Keras to check that it still predicts the same.
"""

import io
import json
import os
import sys
import zipfile

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import h5py  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402

assert keras.backend.backend() == "jax", keras.backend.backend()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "keras")
TMP = os.path.join(OUT_DIR, ".tmp.keras")

GENERATOR = {
    "script": "scripts/gen_keras_files.py",
    "keras": keras.__version__,
    "h5py": h5py.__version__,
    "numpy": np.__version__,
    "backend": "jax (cpu)",
}

# Fixed zip entry time (the zip format cannot go earlier than 1980).
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def f32(a):
    return np.asarray(a, dtype=np.float32)


def set_fixed_weights(model, seed):
    """Overwrites every weight with numbers from a seeded generator.

    BatchNormalization gets a non-trivial moving mean and a positive moving variance, so that
    inference-mode normalisation is visible in the predictions.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            leaf = w.path.split("/")[-1]
            shape = tuple(w.shape)
            if leaf == "moving_variance":
                v = rng.uniform(0.5, 1.5, shape)
            elif leaf == "moving_mean":
                v = rng.standard_normal(shape) * 0.3
            elif leaf == "gamma":
                v = 1.0 + rng.standard_normal(shape) * 0.2
            else:
                v = rng.standard_normal(shape) * 0.4
            values.append(f32(v))
        if values:
            layer.set_weights(values)


def normalise_config(obj):
    """Replaces `shared_object_id` (a Python id(), different on every run) by 1, 2, ... in order
    of first appearance, so the same objects stay linked."""
    ids = {}

    def walk(o):
        if isinstance(o, dict):
            out = {}
            for k, v in o.items():
                if k == "shared_object_id":
                    v = ids.setdefault(v, len(ids) + 1)
                out[k] = walk(v)
            return out
        if isinstance(o, list):
            return [walk(v) for v in o]
        return o

    return walk(obj)


def read_entries(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def write_zip(path, entries, compress):
    """Writes the entries (name -> bytes, in order) with fixed times: a reproducible archive."""
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=9 if compress else None)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(buf.getvalue())} bytes)")


def saved_entries(model):
    """model.save() to a temporary file, then its entries with the run-dependent parts fixed."""
    model.save(TMP)
    entries = read_entries(TMP)
    os.remove(TMP)
    assert list(entries) == ["metadata.json", "config.json", "model.weights.h5"], list(entries)
    meta = json.loads(entries["metadata.json"])
    meta["date_saved"] = "1980-01-01@00:00:00"
    config = normalise_config(json.loads(entries["config.json"]))
    return {
        "metadata.json": json.dumps(meta).encode(),
        "config.json": json.dumps(config).encode(),
        "model.weights.h5": entries["model.weights.h5"],
    }


def h5_layer_groups(h5, model):
    """The group of each of model.layers in model.weights.h5: Keras names them after the class
    (snake_case), numbered in order of model.layers: dense, dense_1, ... (saving_lib)."""
    used = {}
    out = {}
    for layer in model.layers:
        base = keras.src.utils.naming.to_snake_case(layer.__class__.__name__)
        if base in used:
            used[base] += 1
            name = f"{base}_{used[base]}"
        else:
            used[base] = 0
            name = base
        group = h5["layers"][name]
        assert group["vars"].attrs["name"] == layer.name, (name, layer.name)
        out[layer.name] = group
    return out


# Children of a layer's group whose variables come after the layer's own, in the order the
# layer tracks them (layer.weights): Bidirectional, wrappers, RNN layers, stacked cells.
CHILD_ORDER = ["forward_layer", "backward_layer", "layer", "cell", "cells"]


def h5_vars_in_keras_order(group, config):
    """The datasets under one layer's group, in the order the reader (www/hebb/keras_file.js)
    takes them: own vars/0..n-1, then the children in CHILD_ORDER; the entries of a list
    (StackedRNNCells' cells) in list order, named as Keras names them."""
    out = []
    if "vars" in group:
        n = len(group["vars"])
        out += [group["vars"][str(i)][()] for i in range(n)]
    for child in CHILD_ORDER:
        if child not in group:
            continue
        if child == "cells":
            used = {}
            for cell in config["cells"]:
                base = keras.src.utils.naming.to_snake_case(cell["class_name"])
                used[base] = used.get(base, -1) + 1
                name = base if used[base] == 0 else f"{base}_{used[base]}"
                out += h5_vars_in_keras_order(group["cells"][name], cell["config"])
        else:
            sub = config.get(child) or config.get("layer") or {}
            out += h5_vars_in_keras_order(group[child], sub.get("config", sub))
    return out


def check_h5_order(entries, model):
    """The reader's ordering rule gives exactly layer.weights, layer by layer."""
    config = json.loads(entries["config.json"])
    configs = {c["config"]["name"]: c for c in config["config"]["layers"]}
    with h5py.File(io.BytesIO(entries["model.weights.h5"]), "r") as h5:
        groups = h5_layer_groups(h5, model)
        for layer in model.layers:
            got = h5_vars_in_keras_order(groups[layer.name], configs[layer.name]["config"])
            want = [np.asarray(w.value) for w in layer.weights]
            assert len(got) == len(want), (layer.name, len(got), len(want))
            for g, w in zip(got, want):
                assert g.shape == w.shape and np.array_equal(g, w), layer.name


def weight_table(model):
    out = []
    for layer in model.layers:
        for i, w in enumerate(layer.weights):
            v = f32(w.value)
            out.append({
                "layer": layer.name,
                "name": f"{layer.name}/{i}",
                "path": w.path,
                "shape": [int(d) for d in v.shape],
                "sum": float(np.sum(v, dtype=np.float64)),
                "first": float(v.reshape(-1)[0]),
                "last": float(v.reshape(-1)[-1]),
            })
    return out


def arr(name, a, digits=None):
    a = np.asarray(a)
    data = [float(v) if a.dtype.kind == "f" else int(v) for v in a.reshape(-1)]
    if digits is not None:
        data = [round(v, digits) for v in data]
    return {"name": name, "shape": [int(d) for d in a.shape], "dtype": str(a.dtype), "data": data}


def save_model(name, model, inputs, seed, compress):
    """Fixes the weights, saves `<name>.keras` and `<name>.json`, and checks the saved file."""
    set_fixed_weights(model, seed)
    feed = [x for _, x in inputs]
    pred = model(feed if len(feed) > 1 else feed[0], training=False)
    pred = pred if isinstance(pred, (list, tuple)) else [pred]
    pred = [np.asarray(p) for p in pred]

    entries = saved_entries(model)
    check_h5_order(entries, model)
    path = os.path.join(OUT_DIR, f"{name}.keras")
    write_zip(path, entries, compress)

    # The rewritten archive still loads in Keras and predicts the same.
    back = keras.saving.load_model(path)
    again = back(feed if len(feed) > 1 else feed[0], training=False)
    again = again if isinstance(again, (list, tuple)) else [again]
    for p, q in zip(pred, again):
        assert np.allclose(p, np.asarray(q), atol=1e-6), name

    config = json.loads(entries["config.json"])
    # Functional: output_layers is [[name, 0, 0], ...]; Sequential: the last layer.
    outs = config["config"].get("output_layers")
    # A functional model with one output may write it unnested: [name, 0, 0].
    if outs and not isinstance(outs[0], list):
        outs = [outs]
    out_names = [o[0] for o in outs] if outs else [model.layers[-1].name]
    assert len(out_names) == len(pred), out_names
    info = {
        "generator": GENERATOR,
        "file": f"{name}.keras",
        "class_name": config["class_name"],
        "model_name": model.name,
        "layers": [{"name": c["config"]["name"], "class_name": c["class_name"]}
                   for c in config["config"]["layers"]],
        "weights": weight_table(model),
        "inputs": [arr(n, x) for n, x in inputs],
        "outputs": [arr(n, p, digits=6) for n, p in zip(out_names, pred)],
    }
    jpath = os.path.join(OUT_DIR, f"{name}.json")
    with open(jpath, "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(jpath, ROOT)} ({os.path.getsize(jpath)} bytes)")


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------


def convnet():
    model = keras.Sequential([
        keras.Input((8, 8, 1), name="image"),
        L.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        L.BatchNormalization(name="bn"),
        L.MaxPooling2D(name="pool"),
        L.SeparableConv2D(6, 3, name="sepconv"),
        L.GlobalAveragePooling2D(name="gap"),
        L.Dropout(0.1, name="drop"),
        L.Dense(10, activation="softmax", name="probs"),
    ], name="convnet")
    rng = np.random.default_rng(7)
    x = f32(rng.standard_normal((2, 8, 8, 1)))
    # Stored entries, exactly the layout model.save() writes.
    save_model("convnet", model, [("image", x)], seed=11, compress=False)


def recurrent():
    model = keras.Sequential([
        keras.Input((5,), dtype="int32", name="tokens"),
        L.Embedding(20, 4, name="embed"),
        L.Bidirectional(L.LSTM(6, return_sequences=True, name="lstm"), name="bilstm"),
        L.GRU(5, reset_after=True, name="gru"),
        L.Dense(1, name="out"),
    ], name="recurrent")
    x = np.array([[1, 5, 19, 0, 7], [3, 3, 12, 8, 2]], dtype=np.int32)
    save_model("recurrent", model, [("tokens", x)], seed=12, compress=True)


def functional():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    ha = L.Dense(5, activation="relu", name="dense_a")(a)
    hb = L.Dense(5, activation="relu", name="dense_b")(b)
    cat = L.Concatenate(name="concat")([ha, hb])
    shared = L.Dense(5, name="shared")
    s1 = shared(cat)  # node 0: on the concatenation (10 -> 5)
    cat2 = L.Concatenate(name="concat_2")([s1, hb])
    s2 = shared(cat2)  # node 1: again on another 10-wide tensor
    res = L.Add(name="residual")([s2, ha])
    norm = L.LayerNormalization(name="norm")(res)
    cls = L.Dense(3, activation="softmax", name="cls")(norm)
    reg = L.Dense(1, name="reg")(norm)
    model = keras.Model([a, b], [cls, reg], name="two_heads")
    rng = np.random.default_rng(8)
    xa = f32(rng.standard_normal((2, 4)))
    xb = f32(rng.standard_normal((2, 3)))
    save_model("functional", model, [("a", xa), ("b", xb)], seed=13, compress=True)


def constrained():
    C = keras.constraints
    model = keras.Sequential([
        keras.Input((6, 6, 2), name="image"),
        L.Conv2D(3, 3, activation="relu", kernel_constraint=C.MaxNorm(2.0, axis=[0, 1, 2]),
                 bias_constraint=C.NonNeg(), name="conv"),
        L.GlobalAveragePooling2D(name="gap"),
        L.Dense(4, activation="tanh", kernel_constraint=C.MinMaxNorm(0.5, 1.5, rate=0.5),
                name="hidden"),
        L.Dense(2, kernel_constraint=C.UnitNorm(axis=0), name="out"),
    ], name="constrained")
    rng = np.random.default_rng(9)
    x = f32(rng.standard_normal((3, 6, 6, 2)))
    save_model("constrained", model, [("image", x)], seed=14, compress=True)


def volumes():
    model = keras.Sequential([
        keras.Input((5, 6, 7, 2), name="volume"),
        L.Conv3D(3, (3, 2, 3), padding="same", activation="relu", name="conv3d"),
        L.MaxPooling3D(name="maxpool3d"),
        L.Conv3DTranspose(2, 3, strides=2, name="deconv3d"),
        L.AveragePooling3D((2, 3, 2), strides=(1, 2, 2), padding="same", name="avgpool3d"),
        L.Flatten(name="flat"),
        L.Dense(2, name="out"),
    ], name="volumes")
    rng = np.random.default_rng(10)
    x = f32(rng.standard_normal((2, 5, 6, 7, 2)))
    save_model("volumes", model, [("volume", x)], seed=15, compress=True)


def conv_lstm():
    model = keras.Sequential([
        keras.Input((4, 6, 5, 2), name="frames"),
        L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, recurrent_activation="sigmoid", name="convlstm1"),
        L.ConvLSTM2D(2, (2, 3), strides=2, go_backwards=True, recurrent_activation="sigmoid", name="convlstm2"),
        L.Flatten(name="flat"),
        L.Dense(2, name="out"),
    ], name="conv_lstm")
    rng = np.random.default_rng(11)
    x = f32(rng.standard_normal((2, 4, 6, 5, 2)))
    save_model("conv_lstm", model, [("frames", x)], seed=16, compress=True)


def activations():
    model = keras.Sequential([
        keras.Input((5,), name="features"),
        L.Dense(6, name="d1"),
        L.ELU(alpha=0.7, name="elu"),
        L.Dense(6, name="d2"),
        L.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.05, name="relu"),
        L.Reshape((2, 3), name="pair"),
        L.PReLU(shared_axes=[1], name="prelu"),
        L.Flatten(name="flat"),
        L.Rescaling(2.0, offset=-0.5, name="rescale"),
        L.GaussianDropout(0.3, name="gdrop"),
        L.AlphaDropout(0.2, name="adrop"),
        L.Dense(2, name="out"),
    ], name="activations")
    rng = np.random.default_rng(12)
    x = f32(rng.standard_normal((3, 5)))
    save_model("activations", model, [("features", x)], seed=17, compress=True)


def preprocess():
    image = keras.Input((8, 10, 3), name="image")
    ids = keras.Input((4,), name="ids", dtype="int32")
    h = L.Resizing(6, 7, name="resize")(image)
    h = L.CenterCrop(4, 5, name="crop")(h)
    h = L.Conv2D(2, 3, name="conv")(h)
    h = L.GlobalAveragePooling2D(name="gap")(h)
    t = L.CategoryEncoding(num_tokens=6, output_mode="multi_hot", name="encode")(ids)
    t = L.Dense(3, name="dense_ids")(t)
    out = L.Dense(2, name="out")(L.Concatenate(name="cat")([h, t]))
    model = keras.Model([image, ids], out, name="preprocess")
    rng = np.random.default_rng(13)
    x = f32(rng.standard_normal((2, 8, 10, 3)))
    tokens = np.array([[1, 3, 3, 5], [0, 2, 4, 4]], dtype=np.int32)
    save_model("preprocess", model, [("image", x), ("ids", tokens)], seed=18, compress=True)


# ---------------------------------------------------------------------------
# damaged files
# ---------------------------------------------------------------------------


def tiny(use_bias=True):
    model = keras.Sequential([keras.Input((3,)), L.Dense(2, use_bias=use_bias, name="d")],
                             name="tiny")
    set_fixed_weights(model, 5)
    return saved_entries(model)


def broken():
    good = tiny()
    # A zip without the weights.
    write_zip(os.path.join(OUT_DIR, "broken_no_weights.keras"),
              {k: v for k, v in good.items() if k != "model.weights.h5"}, compress=True)
    # config.json cut short: not valid JSON.
    bad_json = dict(good)
    bad_json["config.json"] = good["config.json"][:40]
    write_zip(os.path.join(OUT_DIR, "broken_json.keras"), bad_json, compress=True)
    # The HDF5 file cut in half (the zip itself is intact).
    bad_h5 = dict(good)
    bad_h5["model.weights.h5"] = good["model.weights.h5"][: len(good["model.weights.h5"]) // 2]
    write_zip(os.path.join(OUT_DIR, "broken_h5.keras"), bad_h5, compress=True)
    # config.json says Dense(use_bias=True) (2 variables), the weights are a use_bias=False
    # Dense's (1 variable).
    no_bias = tiny(use_bias=False)
    mismatch = dict(no_bias)
    mismatch["config.json"] = good["config.json"]
    write_zip(os.path.join(OUT_DIR, "broken_count.keras"), mismatch, compress=True)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for make in (convnet, recurrent, functional, constrained, broken, volumes, conv_lstm, activations, preprocess):
        keras.backend.clear_session()
        keras.utils.set_random_seed(1234)
        make()
    return 0


if __name__ == "__main__":
    sys.exit(main())

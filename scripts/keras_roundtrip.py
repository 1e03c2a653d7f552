#!/usr/bin/env python3
"""The Keras 3 half of the .keras round trip (tests/browser/keras_roundtrip.test.mjs).

Usage: .venv/bin/python scripts/keras_roundtrip.py DIR

For each DIR/<name>.keras that Hebb wrote, with DIR/<name>.json beside it ({inputs: [[shape,
values], ...], outputs: [[shape, values], ...], x, y: the training data as [shape, values]}):
loads it in Keras 3 (compile=True, so its compile_config builds the optimizer and the loss),
predicts the inputs, trains it for 3 epochs with model.fit, saves it as
DIR/<name>.trained.keras and writes DIR/<name>.keras.json:
  {predict_max_diff, optimizer, loss, optimizer_iterations_loaded, losses, trained_outputs,
   keras_version}
The test asserts on those numbers; this script only reports them (it fails only if Keras
cannot load, predict, train or save the file).
"""

import glob
import json
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"

import keras  # noqa: E402
import numpy as np  # noqa: E402


def arrays(entries):
    return [np.asarray(v, dtype=np.float32).reshape(shape) for shape, v in entries]


def main(directory):
    done = 0
    failed = []
    for path in sorted(glob.glob(os.path.join(directory, "*.keras"))):
        if path.endswith(".trained.keras"):
            continue
        name = os.path.basename(path)[: -len(".keras")]
        try:
            run(directory, path, name)
            done += 1
        except Exception as e:  # report every model, then fail
            print(f"{name}: {type(e).__name__}: {e}")
            failed.append(name)
    if failed:
        sys.exit(f"Keras could not take: {', '.join(failed)}")
    if done == 0:
        sys.exit(f"no .keras files in {directory}")


def run(directory, path, name):
    with open(os.path.join(directory, name + ".json")) as f:
        spec = json.load(f)
    model = keras.saving.load_model(path, compile=True)
    inputs = arrays(spec["inputs"])
    feed = inputs if len(inputs) > 1 else inputs[0]
    pred = model.predict(feed, verbose=0)
    preds = pred if isinstance(pred, list) else [pred]
    want = arrays(spec["outputs"])
    diff = max(float(np.max(np.abs(p - w))) for p, w in zip(preds, want))
    iterations = int(model.optimizer.iterations.numpy()) if model.optimizer else None
    xs = arrays(spec["x"])
    ys = arrays(spec["y"])
    hist = model.fit(
        xs if len(xs) > 1 else xs[0],
        ys if len(ys) > 1 else ys[0],
        epochs=3,
        batch_size=8,
        shuffle=False,
        verbose=0,
    )
    trained = model.predict(feed, verbose=0)
    trained = trained if isinstance(trained, list) else [trained]
    model.save(os.path.join(directory, name + ".trained.keras"))
    out = {
        "predict_max_diff": diff,
        "optimizer": type(model.optimizer).__name__ if model.optimizer else None,
        "loss": str(model.loss),
        "optimizer_iterations_loaded": iterations,
        "losses": [float(v) for v in hist.history["loss"]],
        "trained_outputs": [[list(t.shape), t.ravel().tolist()] for t in trained],
        "keras_version": keras.__version__,
    }
    with open(os.path.join(directory, name + ".keras.json"), "w") as f:
        json.dump(out, f)
    print(f"{name}: predict max diff {diff:.3g}, {out['optimizer']}, losses {out['losses']}")


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""Convert scikit-learn's bundled 8x8 digits (1797 images, UCI ML hand-written digits, CC BY 4.0)
into tests/fixtures/digits.u8.gz: for each image, 64 pixel bytes (0-16, row-major) then its label
byte. The browser tests and the playground unpack it with DecompressionStream('gzip').

Usage (from the repo root): .venv/bin/pip install scikit-learn && .venv/bin/python scripts/gen_digits.py
"""

import gzip
import os

import numpy as np
from sklearn.datasets import load_digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
d = load_digits()
rows = np.concatenate([d.data.astype(np.uint8), d.target.astype(np.uint8)[:, None]], axis=1)
assert rows.shape == (1797, 65) and rows[:, :64].max() <= 16
out = os.path.join(ROOT, "tests", "fixtures", "digits.u8.gz")
with open(out, "wb") as f:
    # mtime=0 keeps the file byte-identical across runs.
    f.write(gzip.compress(rows.tobytes(), compresslevel=9, mtime=0))
print(f"wrote {out} ({os.path.getsize(out)} bytes)")

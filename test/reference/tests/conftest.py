"""Shared fixtures: the tiny configs, their synthetic checkpoints (written once per session by the
checkpoint writer), and reference models in the precisions the tests use."""

import os
import sys

# The tiny GEMMs run ~10x faster single-threaded (and a C++ build may be running beside us).
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(REFERENCE))
for p in (REFERENCE, REPO):
    if p not in sys.path:
        sys.path.insert(0, p)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ds4ref import Model, load_config  # noqa: E402
from ds4ref.checkpoint import load_weights  # noqa: E402
from models.synthetic import load as load_writer_config, make_checkpoint  # noqa: E402

TINY = ("tiny-a", "tiny-b")
CHECKPOINT_SEED = 1      # the seed the golden files were made with


def config_path(name):
    return os.path.join(REPO, "models", "configs", f"{name}.json")


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    """{config name: checkpoint directory} written by the synthetic-checkpoint writer."""
    root = tmp_path_factory.mktemp("checkpoints")
    out = {}
    for name in TINY:
        path = str(root / name)
        make_checkpoint(load_writer_config(config_path(name)), CHECKPOINT_SEED, path)
        out[name] = path
    return out


@pytest.fixture(scope="session")
def configs():
    return {name: load_config(config_path(name)) for name in TINY}


@pytest.fixture(scope="session")
def models(checkpoints, configs):
    """models(name, precision='exact', dtype=np.float32) -> cached Model."""
    weights, cache = {}, {}

    def get(name, precision="exact", dtype=np.float32):
        key = (name, precision, np.dtype(dtype).name)
        if key not in cache:
            if name not in weights:
                weights[name] = load_weights(configs[name], checkpoints[name], np.float64)
            cache[key] = Model(configs[name], weights[name], precision, dtype)
        return cache[key]

    return get


def rel_err(a, b):
    """max |a - b| / max |b| (the measure the transformers check reports)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))

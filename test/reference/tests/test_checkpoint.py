"""The synthetic-checkpoint writer (tools/ds4-make-checkpoint) and the reference's reader."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, config_path
from ds4ref import Checkpoint, CheckpointError, expected_tensors, load_config
from ds4ref.safetensors import SafetensorsError, SafetensorsFile
from models.synthetic import build_tensors, load as load_writer_config, tensor_specs
from transformers_check import checkpoint_digest

TOOL = os.path.join(REPO, "tools", "ds4-make-checkpoint")


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)


def test_writer_is_deterministic_and_sharded(tmp_path, checkpoints):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert run_tool(config_path("tiny-a"), "--seed=1", "-o", str(a)).returncode == 0
    assert run_tool(config_path("tiny-a"), "--seed=1", "-o", str(b), "--shards=3").returncode == 0
    assert run_tool(config_path("tiny-a"), "--seed=2", "-o", str(c)).returncode == 0
    d = tmp_path / "d"                                       # forked workers: same bytes
    assert run_tool(config_path("tiny-a"), "--seed=1", "-o", str(d), "--jobs=3").returncode == 0
    for f in os.listdir(a):
        assert (a / f).read_bytes() == (d / f).read_bytes()
    for f in os.listdir(a):                                  # byte for byte, per seed
        assert (a / f).read_bytes() == open(os.path.join(checkpoints["tiny-a"], f), "rb").read()
    assert checkpoint_digest(str(a)) == checkpoint_digest(str(b))   # content: any sharding
    assert checkpoint_digest(str(a)) != checkpoint_digest(str(c))
    files = sorted(os.listdir(b))
    assert files == ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                     "model-00003-of-00003.safetensors", "model.safetensors.index.json"]
    index = json.load(open(b / "model.safetensors.index.json"))
    assert set(index["weight_map"].values()) == set(files[:3])
    ca = Checkpoint(str(a))
    for name in ca.names():                                  # a weight and its scale share a shard
        if name.endswith(".scale"):
            w = name[:-len(".scale")] + ".weight"
            assert index["weight_map"][name] == index["weight_map"][w]
    assert index["metadata"]["total_size"] == sum(
        int(np.asarray(ca.raw(n)).nbytes) for n in ca.names())


@pytest.mark.parametrize("name", ["tiny-a", "tiny-b"])
def test_written_checkpoint_matches_the_spec_table(checkpoints, name):
    ckpt = Checkpoint(checkpoints[name])
    cfg = load_config(config_path(name))
    ckpt.check_against(cfg)                                  # raises on any mismatch
    assert len(ckpt.files) == 2
    tid = ckpt.raw("layers.0.ffn.gate.tid2eid")
    assert tid.dtype == np.int32 and tid.min() >= 0 and tid.max() < cfg.n_routed_experts
    assert all(len(set(r)) == cfg.n_activated_experts for r in tid.tolist())
    assert len(np.unique(tid)) == cfg.n_routed_experts


@pytest.mark.parametrize("name", ["deepseek-v4-flash", "deepseek-v4-pro", "tiny-b"])
def test_writer_layout_for_any_config(name):
    """The writer's table (shapes computed, nothing generated) equals the reference's table,
    including the released configs: nothing is sized for the tiny configs only."""
    cfg = load_writer_config(config_path(name))
    got = {}
    for n, kind, shape, _ in tensor_specs(cfg, seed=0):
        if kind in ("bf16", "f32", "i32"):
            got[n] = ({"bf16": "BF16", "f32": "F32", "i32": "I32"}[kind], tuple(shape))
        elif kind == "fp8":
            got[n + ".weight"] = ("F8_E4M3", shape)
            got[n + ".scale"] = ("F8_E8M0", (-(-shape[0] // 128), -(-shape[1] // 128)))
        else:
            got[n + ".weight"] = ("I8", (shape[0], shape[1] // 2))
            got[n + ".scale"] = ("F8_E8M0", (shape[0], shape[1] // 32))
    want = expected_tensors(load_config(config_path(name)))
    assert got == {k: (d, tuple(s)) for k, (d, s) in want.items()}
    assert list(got) == list(want)                           # same order as the spec table


def test_build_tensors_matches_stored_dtypes():
    cfg = load_writer_config(config_path("tiny-a"))
    for name, dtype, shape, data in build_tensors(cfg, 3)[:40]:
        assert tuple(np.asarray(data).shape) == tuple(shape), name


@pytest.mark.parametrize("edit,field", [
    (lambda c: c.pop("dim"), "dim"),
    (lambda c: c.update(compress_ratios=c["compress_ratios"][:-1]), "compress_ratios"),
    (lambda c: c["compress_ratios"].__setitem__(1, -4), "compress_ratios[1]"),
    (lambda c: c.update(o_groups=3), "o_groups"),
    (lambda c: c.update(hc_mult=0), "hc_mult"),
    (lambda c: c.update(dim=100), "dim"),
    (lambda c: c.update(hidden_size=512), "hidden_size"),
    (lambda c: c.update(expert_dtype="fp8"), "expert_dtype"),
])
def test_tool_rejects_bad_configs(tmp_path, edit, field):
    cfg = json.load(open(config_path("tiny-a")))
    edit(cfg)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cfg))
    r = run_tool(str(path), "--seed=1", "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and f"'{field}'" in lines[0], r.stderr
    assert not (tmp_path / "out").exists()


def test_tool_errors_leave_nothing_behind(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run_tool(config_path("tiny-a"), "--seed=1", "-o", str(blocker / "sub"))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert str(blocker / "sub") in r.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep").write_text("x")
    r = run_tool(config_path("tiny-a"), "--seed=1", "-o", str(tmp_path / "full"))
    assert r.returncode == 1 and "already exists" in r.stderr
    assert os.listdir(tmp_path / "full") == ["keep"]
    r = run_tool(config_path("tiny-a"), "--seed=1", "-o", str(tmp_path / "x"), "--shards=0")
    assert r.returncode == 2 and "--shards" in r.stderr
    r = run_tool(str(tmp_path / "missing.json"), "--seed=1", "-o", str(tmp_path / "y"))
    assert r.returncode == 2 and "missing.json" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["file", "full"]   # no temporary directories left


# --- the reader's validation: one crafted bad file per rule --------------------------------------

def _write(path, header, data=b"", raw_header=None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)
    return str(path)


GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [8, 16]}}


@pytest.mark.parametrize("header,data,raw,match", [
    (None, b"", b"", "too short|header length"),
    (GOOD, b"\0" * 16, b'{"a": ', "not valid JSON"),
    (GOOD, b"\0" * 16, b"[1, 2]", "not a JSON object"),
    (GOOD, b"\0" * 16, b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},'
                       b' "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}', "duplicate"),
    ({"a": {"dtype": "Q3", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "'a'.*unknown dtype"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 80]}}, b"\0" * 8, None, "'a'.*outside"),
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, None, "'a'.*needs 12 bytes"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12, None, "overlap"),
    ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "'a'.*bad shape"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8, None, "'a'.*bad data_offsets"),
])
def test_safetensors_validation(tmp_path, header, data, raw, match):
    path = tmp_path / "x.safetensors"
    if header is None:
        path.write_bytes(b"\x01\x02")
    else:
        _write(path, header, data, raw)
    with pytest.raises(SafetensorsError, match=match):
        SafetensorsFile(str(path))


def test_safetensors_header_length_beyond_file(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes((1000).to_bytes(8, "little") + b"{}")
    with pytest.raises(SafetensorsError, match="exceeds the file"):
        SafetensorsFile(str(path))


def test_safetensors_reads_values(tmp_path):
    data = np.array([1.5, -2.0], np.float32).tobytes() + np.array([0x3F80] * 4, np.uint16).tobytes()
    f = SafetensorsFile(_write(tmp_path / "x.safetensors", GOOD, data))
    assert f.raw("a").tolist() == [1.5, -2.0]
    assert f.info("b") == ("BF16", (2, 2))


def test_checkpoint_table_problems_are_reported_together(tmp_path, checkpoints):
    """Missing, unexpected, wrong dtype and wrong shape: one error listing each tensor."""
    src = Checkpoint(checkpoints["tiny-a"])
    tensors = {n: src.raw(n) for n in src.names()}
    kinds = {n: src.info(n)[0] for n in src.names()}
    del tensors["layers.0.attn.wq_a.weight"]
    tensors["layers.0.attn.extra"] = np.zeros(2, np.float32)
    kinds["layers.0.attn.extra"] = "F32"
    kinds["norm.weight"] = "F16"
    tensors["head.weight"] = tensors["head.weight"][:-1]
    from models.synthetic.safetensors_io import Group, write_checkpoint
    write_checkpoint(str(tmp_path), [Group([(n, kinds[n], t.shape)], lambda t=t: [t])
                                     for n, t in tensors.items()], 2, {})
    with pytest.raises(CheckpointError) as e:
        Checkpoint(str(tmp_path)).check_against(load_config(config_path("tiny-a")))
    problems = "\n".join(e.value.problems)
    assert "layers.0.attn.wq_a.weight: missing" in problems
    assert "layers.0.attn.extra: unexpected tensor" in problems
    assert "norm.weight: dtype F16, expected BF16" in problems
    assert "head.weight: shape [511, 256], expected [512, 256]" in problems


def test_index_must_agree_with_shards(tmp_path, checkpoints):
    for f in os.listdir(checkpoints["tiny-a"]):
        (tmp_path / f).write_bytes(open(os.path.join(checkpoints["tiny-a"], f), "rb").read())
    index_path = tmp_path / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    index["weight_map"]["embed.weight"] = "model-00002-of-00002.safetensors"
    index_path.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="embed.weight"):
        Checkpoint(str(tmp_path))

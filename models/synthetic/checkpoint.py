"""Synthetic DeepSeek-V4 checkpoints in the released layout (spec section 2).

Every tensor is drawn from its own random stream, seeded by (seed, tensor name), so the bytes
are a pure function of (config, seed) and adding a tensor never changes the others. Magnitudes
are chosen so that the network stays numerically alive through all layers:
  * projections ~ N(0, 1/fan_in) so that unit-RMS inputs give unit-scale outputs;
  * norm weights ~ 1 + N(0, 0.1^2); attention sinks, compressor `ape`, mHC base/scale, the
    routing bias are all nonzero;
  * some SwiGLU input rows are 5x larger so that the clamp at swiglu_limit is exercised;
  * the head gives logits with a standard deviation of about 2.5.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile

import numpy as np

from .formats import encode_bf16, encode_fp4_blocks, encode_fp8_blocks
from .safetensors_io import Group, write_checkpoint

HOT_FRACTION = 1 / 8     # SwiGLU channels whose inputs are scaled up to reach the clamp
HOT_SCALE = 5.0


class CheckpointWriteError(RuntimeError):
    pass


def _rng(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed] + words)))


def _normal(std):
    return lambda rng, shape: rng.standard_normal(shape) * std


def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _norm_weight(rng, shape):
    return 1.0 + 0.1 * rng.standard_normal(shape)


def _hc_base(n):
    """pre and post logits ~ N(0, 0.5^2); the n x n comb logits lean towards the identity."""
    def make(rng, shape):
        base = rng.standard_normal(shape)
        base[: 2 * n] *= 0.5
        base[2 * n:] += 2.0 * np.eye(n).reshape(-1)
        return base
    return make


def _hot_channels(seed, prefix, inter):
    return _rng(seed, prefix + "#hot").random(inter) < HOT_FRACTION


def _swiglu_in(seed, prefix, d):
    """w1 / w3 [inter, d]: N(0, 1/d), hot output channels scaled by HOT_SCALE."""
    def make(rng, shape):
        w = rng.standard_normal(shape) / math.sqrt(d)
        w[_hot_channels(seed, prefix, shape[0])] *= HOT_SCALE
        return w
    return make


def _swiglu_out(seed, prefix, inter):
    """w2 [d, inter]: N(0, 1/inter), the hot input channels scaled down to keep outputs O(1)."""
    def make(rng, shape):
        w = rng.standard_normal(shape) / math.sqrt(inter)
        w[:, _hot_channels(seed, prefix, shape[1])] /= HOT_SCALE ** 2
        return w
    return make


def _tid2eid(n_experts):
    """[vocab, k]: each token id routes to k distinct experts (a prefix of a permutation)."""
    def make(rng, shape):
        vocab, k = shape
        return np.stack([rng.permutation(n_experts)[:k] for _ in range(vocab)])
    return make


def tensor_specs(cfg: dict, seed: int):
    """(name, kind, shape, maker) in checkpoint order. kind: bf16 | f32 | i32 | fp8 | fp4;
    fp8/fp4 names are the weight's prefix (the writer adds .weight and .scale)."""
    d, n, H, D = cfg["dim"], cfg["hc_mult"], cfg["n_heads"], cfg["head_dim"]
    ql, G, R = cfg["q_lora_rank"], cfg["o_groups"], cfg["o_lora_rank"]
    inter, E, V = cfg["moe_inter_dim"], cfg["n_routed_experts"], cfg["vocab_size"]
    IH, ID = cfg["index_n_heads"], cfg["index_head_dim"]
    mix = (2 + n) * n
    specs = [
        ("embed.weight", "bf16", (V, d), _normal(1.0)),
        ("head.weight", "bf16", (V, d), _normal(2.5 / math.sqrt(d))),
        ("norm.weight", "bf16", (d,), _norm_weight),
        ("hc_head_fn", "f32", (n, n * d), _normal(1 / math.sqrt(n * d))),
        ("hc_head_base", "f32", (n,), _normal(0.5)),
        ("hc_head_scale", "f32", (1,), _uniform(0.5, 1.5)),
    ]
    for L in range(cfg["n_layers"]):
        p, a, f = f"layers.{L}.", f"layers.{L}.attn.", f"layers.{L}.ffn."
        ratio = cfg["compress_ratios"][L]
        specs += [
            (p + "attn_norm.weight", "bf16", (d,), _norm_weight),
            (p + "ffn_norm.weight", "bf16", (d,), _norm_weight),
        ]
        for site in ("attn", "ffn"):
            specs += [
                (p + f"hc_{site}_fn", "f32", (mix, n * d), _normal(1 / math.sqrt(n * d))),
                (p + f"hc_{site}_base", "f32", (mix,), _hc_base(n)),
                (p + f"hc_{site}_scale", "f32", (3,), _uniform(0.5, 1.5)),
            ]
        specs += [
            (a + "wq_a", "fp8", (ql, d), _normal(1 / math.sqrt(d))),
            (a + "q_norm.weight", "bf16", (ql,), _norm_weight),
            (a + "wq_b", "fp8", (H * D, ql), _normal(1 / math.sqrt(ql))),
            (a + "wkv", "fp8", (D, d), _normal(1 / math.sqrt(d))),
            (a + "kv_norm.weight", "bf16", (D,), _norm_weight),
            (a + "wo_a", "fp8", (G * R, H * D // G), _normal(1 / math.sqrt(H * D // G))),
            (a + "wo_b", "fp8", (d, G * R), _normal(1 / math.sqrt(G * R))),
            (a + "attn_sink", "f32", (H,), _uniform(0.0, 3.0)),
        ]
        if ratio:
            c = 2 if ratio == 4 else 1
            specs += [
                (a + "compressor.wkv.weight", "bf16", (c * D, d), _normal(1 / math.sqrt(d))),
                (a + "compressor.wgate.weight", "bf16", (c * D, d), _normal(1 / math.sqrt(d))),
                (a + "compressor.ape", "f32", (ratio, c * D), _normal(0.5)),
                (a + "compressor.norm.weight", "bf16", (D,), _norm_weight),
            ]
        if ratio == 4:
            specs += [
                (a + "indexer.wq_b", "fp8", (IH * ID, ql), _normal(1 / math.sqrt(ql))),
                (a + "indexer.weights_proj.weight", "bf16", (IH, d), _normal(1 / math.sqrt(d))),
                (a + "indexer.compressor.wkv.weight", "bf16", (2 * ID, d), _normal(1 / math.sqrt(d))),
                (a + "indexer.compressor.wgate.weight", "bf16", (2 * ID, d), _normal(1 / math.sqrt(d))),
                (a + "indexer.compressor.ape", "f32", (4, 2 * ID), _normal(0.5)),
                (a + "indexer.compressor.norm.weight", "bf16", (ID,), _norm_weight),
            ]
        specs.append((f + "gate.weight", "bf16", (E, d), _normal(1.5 / math.sqrt(d))))
        if L < cfg["n_hash_layers"]:
            specs.append((f + "gate.tid2eid", "i32", (V, cfg["n_activated_experts"]), _tid2eid(E)))
        else:
            specs.append((f + "gate.bias", "f32", (E,), _normal(0.15)))
        s = f + "shared_experts"
        specs += [
            (s + ".w1", "fp8", (inter, d), _swiglu_in(seed, s, d)),
            (s + ".w2", "fp8", (d, inter), _swiglu_out(seed, s, inter)),
            (s + ".w3", "fp8", (inter, d), _swiglu_in(seed, s, d)),
        ]
        for e in range(E):
            x = f + f"experts.{e}"
            specs += [
                (x + ".w1", "fp4", (inter, d), _swiglu_in(seed, x, d)),
                (x + ".w2", "fp4", (d, inter), _swiglu_out(seed, x, inter)),
                (x + ".w3", "fp4", (inter, d), _swiglu_in(seed, x, d)),
            ]
    return specs


_PLAIN = {"bf16": "BF16", "f32": "F32", "i32": "I32"}


def stored_tensors(name: str, kind: str, shape):
    """[(stored name, safetensors dtype, shape)] for one spec entry (FP8/FP4: weight + scale)."""
    if kind in _PLAIN:
        return [(name, _PLAIN[kind], tuple(shape))]
    rows, cols = shape
    if kind == "fp8":
        return [(name + ".weight", "F8_E4M3", (rows, cols)),
                (name + ".scale", "F8_E8M0", (-(-rows // 128), -(-cols // 128)))]
    return [(name + ".weight", "I8", (rows, cols // 2)),
            (name + ".scale", "F8_E8M0", (rows, cols // 32))]


def _encode(kind: str, values: np.ndarray):
    if kind == "bf16":
        return [encode_bf16(values)]
    if kind == "f32":
        return [values.astype(np.float32)]
    if kind == "i32":
        return [values.astype(np.int32)]
    return list(encode_fp8_blocks(values) if kind == "fp8" else encode_fp4_blocks(values))


def tensor_groups(cfg: dict, seed: int):
    """The checkpoint as write groups; each group draws and encodes its data only when written."""
    groups = []
    for name, kind, shape, make in tensor_specs(cfg, seed):
        def produce(name=name, kind=kind, shape=shape, make=make):
            return _encode(kind, make(_rng(seed, name), shape))
        groups.append(Group(stored_tensors(name, kind, shape), produce))
    return groups


def build_tensors(cfg: dict, seed: int):
    """[(name, safetensors dtype, shape, stored array)] for the whole checkpoint (in memory)."""
    out = []
    for g in tensor_groups(cfg, seed):
        out += [(n, d, s, a) for (n, d, s), a in zip(g.tensors, g.produce())]
    return out


def make_checkpoint(cfg: dict, seed: int, out_dir: str, n_shards: int = 2,
                    force: bool = False, jobs: int = 1) -> None:
    """Write the checkpoint into a temporary sibling directory, then rename it into place, so
    that a failure never leaves a partial checkpoint at out_dir."""
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    if os.path.exists(out_dir) and (not os.path.isdir(out_dir) or os.listdir(out_dir)) and not force:
        raise CheckpointWriteError(f"{out_dir}: already exists and is not an empty directory "
                                   "(use --force to replace it)")
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".ds4-checkpoint-", dir=parent)
    except OSError as e:
        raise CheckpointWriteError(f"{out_dir}: cannot write: {e.strerror}") from None
    try:
        write_checkpoint(tmp, tensor_groups(cfg, seed), n_shards,
                         {"ds4_synthetic_seed": str(seed)}, jobs)
        os.chmod(tmp, 0o755)
        if os.path.isdir(out_dir) and not os.listdir(out_dir):
            os.rmdir(out_dir)
        if os.path.exists(out_dir):   # --force: swap, then drop the old one
            old = tempfile.mkdtemp(prefix=".ds4-checkpoint-old-", dir=parent)
            os.rename(out_dir, os.path.join(old, "x"))
            os.rename(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CheckpointWriteError(f"{out_dir}: cannot write: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

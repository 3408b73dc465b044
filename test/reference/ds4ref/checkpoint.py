"""The released checkpoint layout (spec section 2): expected tensors, reading, dequantization."""

from __future__ import annotations

import json
import os

import numpy as np

from .config import ModelConfig
from .numerics import decode_bf16, dequant_fp4_blocks, dequant_fp8_blocks
from .safetensors import SafetensorsError, SafetensorsFile

INDEX_FILE = "model.safetensors.index.json"


class CheckpointError(ValueError):
    """Problems with a checkpoint, each naming its tensor: all of them in `problems`; the
    message shows the count and the first MAX_LISTED."""

    MAX_LISTED = 20

    def __init__(self, where: str, problems=None):
        self.problems = list(problems) if problems else []
        if not self.problems:
            super().__init__(where)
            return
        shown = "; ".join(self.problems[:self.MAX_LISTED])
        more = len(self.problems) - self.MAX_LISTED
        super().__init__(f"{where}: {len(self.problems)} problem(s): {shown}"
                         + (f"; ... and {more} more" if more > 0 else ""))


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def expected_tensors(cfg: ModelConfig) -> dict:
    """name -> (dtype, shape) for every tensor of the checkpoint (MTP block excluded)."""
    d, n, H, D = cfg.dim, cfg.hc_mult, cfg.n_heads, cfg.head_dim
    t = {}

    def fp8(name, rows, cols):
        t[name + ".weight"] = ("F8_E4M3", (rows, cols))
        t[name + ".scale"] = ("F8_E8M0", (_ceil(rows, 128), _ceil(cols, 128)))

    def fp4(name, rows, cols):
        t[name + ".weight"] = ("I8", (rows, cols // 2))
        t[name + ".scale"] = ("F8_E8M0", (rows, cols // 32))

    t["embed.weight"] = ("BF16", (cfg.vocab_size, d))
    t["head.weight"] = ("BF16", (cfg.vocab_size, d))
    t["norm.weight"] = ("BF16", (d,))
    t["hc_head_fn"] = ("F32", (n, n * d))
    t["hc_head_base"] = ("F32", (n,))
    t["hc_head_scale"] = ("F32", (1,))
    mix = (2 + n) * n
    inter = cfg.moe_inter_dim
    for L in range(cfg.n_layers):
        p = f"layers.{L}."
        t[p + "attn_norm.weight"] = ("BF16", (d,))
        t[p + "ffn_norm.weight"] = ("BF16", (d,))
        for site in ("attn", "ffn"):
            t[p + f"hc_{site}_fn"] = ("F32", (mix, n * d))
            t[p + f"hc_{site}_base"] = ("F32", (mix,))
            t[p + f"hc_{site}_scale"] = ("F32", (3,))
        a = p + "attn."
        fp8(a + "wq_a", cfg.q_lora_rank, d)
        t[a + "q_norm.weight"] = ("BF16", (cfg.q_lora_rank,))
        fp8(a + "wq_b", H * D, cfg.q_lora_rank)
        fp8(a + "wkv", D, d)
        t[a + "kv_norm.weight"] = ("BF16", (D,))
        fp8(a + "wo_a", cfg.o_groups * cfg.o_lora_rank, H * D // cfg.o_groups)
        fp8(a + "wo_b", d, cfg.o_groups * cfg.o_lora_rank)
        t[a + "attn_sink"] = ("F32", (H,))
        ratio = cfg.ratio(L)
        if ratio:
            c = 2 if ratio == 4 else 1
            t[a + "compressor.wkv.weight"] = ("BF16", (c * D, d))
            t[a + "compressor.wgate.weight"] = ("BF16", (c * D, d))
            t[a + "compressor.ape"] = ("F32", (ratio, c * D))
            t[a + "compressor.norm.weight"] = ("BF16", (D,))
        if ratio == 4:
            IH, ID = cfg.index_n_heads, cfg.index_head_dim
            fp8(a + "indexer.wq_b", IH * ID, cfg.q_lora_rank)
            t[a + "indexer.weights_proj.weight"] = ("BF16", (IH, d))
            t[a + "indexer.compressor.wkv.weight"] = ("BF16", (2 * ID, d))
            t[a + "indexer.compressor.wgate.weight"] = ("BF16", (2 * ID, d))
            t[a + "indexer.compressor.ape"] = ("F32", (4, 2 * ID))
            t[a + "indexer.compressor.norm.weight"] = ("BF16", (ID,))
        f = p + "ffn."
        t[f + "gate.weight"] = ("BF16", (cfg.n_routed_experts, d))
        if cfg.is_hash_layer(L):
            t[f + "gate.tid2eid"] = ("I32", (cfg.vocab_size, cfg.n_activated_experts))
        else:
            t[f + "gate.bias"] = ("F32", (cfg.n_routed_experts,))
        fp8(f + "shared_experts.w1", inter, d)
        fp8(f + "shared_experts.w2", d, inter)
        fp8(f + "shared_experts.w3", inter, d)
        for e in range(cfg.n_routed_experts):
            fp4(f + f"experts.{e}.w1", inter, d)
            fp4(f + f"experts.{e}.w2", d, inter)
            fp4(f + f"experts.{e}.w3", inter, d)
    return t


class Checkpoint:
    """A checkpoint directory (index json + shards) or a single .safetensors file."""

    def __init__(self, path: str):
        self.path = path
        self.files = {}        # shard file name -> SafetensorsFile
        self.location = {}     # tensor name -> SafetensorsFile
        problems = []
        try:
            if os.path.isdir(path):
                index_path = os.path.join(path, INDEX_FILE)
                if os.path.exists(index_path):
                    weight_map = self._read_index(index_path)
                    for shard in sorted(set(weight_map.values())):
                        self.files[shard] = SafetensorsFile(os.path.join(path, shard))
                    for name, shard in weight_map.items():
                        if name not in self.files[shard].entries:
                            problems.append(f"{name}: listed in {INDEX_FILE} under {shard} "
                                            "but not stored there")
                        else:
                            self.location[name] = self.files[shard]
                    for shard, f in self.files.items():
                        for name in f.entries:
                            if weight_map.get(name) != shard:
                                problems.append(f"{name}: stored in {shard} but the index says "
                                                f"{weight_map.get(name)}")
                else:
                    shards = sorted(x for x in os.listdir(path) if x.endswith(".safetensors"))
                    if not shards:
                        raise CheckpointError(f"{path}: no {INDEX_FILE} and no .safetensors files")
                    for shard in shards:
                        self.files[shard] = SafetensorsFile(os.path.join(path, shard))
            else:
                self.files[os.path.basename(path)] = SafetensorsFile(path)
        except SafetensorsError as e:
            raise CheckpointError(str(e)) from None
        if not self.location:
            for shard, f in self.files.items():
                for name in f.entries:
                    if name in self.location:
                        problems.append(f"{name}: stored in two shards")
                    self.location[name] = f
        if problems:
            raise CheckpointError(path, problems)

    @staticmethod
    def _read_index(index_path: str) -> dict:
        try:
            with open(index_path, "r", encoding="utf-8") as fh:
                index = json.load(fh)
        except (OSError, json.JSONDecodeError) as e:
            raise CheckpointError(f"{index_path}: cannot read index: {e}") from None
        weight_map = index.get("weight_map") if isinstance(index, dict) else None
        if not isinstance(weight_map, dict) or not all(
                isinstance(v, str) and "/" not in v for v in weight_map.values()):
            raise CheckpointError(f"{index_path}: 'weight_map' must map tensor names to shard files")
        return weight_map

    def names(self):
        return list(self.location)

    def info(self, name):
        return self.location[name].info(name)

    def raw(self, name):
        return self.location[name].raw(name)

    def check_against(self, cfg: ModelConfig) -> None:
        """Missing / unexpected tensors, wrong dtypes and shapes: all reported at once."""
        expected = expected_tensors(cfg)
        problems = []
        for name, (dtype, shape) in expected.items():
            if name not in self.location:
                problems.append(f"{name}: missing")
                continue
            got_dtype, got_shape = self.info(name)
            if got_dtype != dtype:
                problems.append(f"{name}: dtype {got_dtype}, expected {dtype}")
            if tuple(got_shape) != tuple(shape):
                problems.append(f"{name}: shape {list(got_shape)}, expected {list(shape)}")
        for name in self.location:
            if name not in expected and not name.startswith("mtp."):
                problems.append(f"{name}: unexpected tensor")
        if problems:
            raise CheckpointError(self.path, problems)


def load_weights(cfg: ModelConfig, path: str, dtype=np.float32) -> dict:
    """Read a checkpoint and dequantize every tensor exactly into `dtype` arrays.

    FP8 weights and FP4 experts are dequantized with their E8M0 block scales; BF16 is widened;
    F32 stays; I32 (tid2eid) stays integer. Names keep the checkpoint's spelling, with the
    `.scale` companions folded into their weights.
    """
    ckpt = Checkpoint(path)
    ckpt.check_against(cfg)
    out = {}
    for name, (kind, _shape) in expected_tensors(cfg).items():
        if name.endswith(".scale"):
            continue
        raw = ckpt.raw(name)
        if kind == "F8_E4M3":
            w = dequant_fp8_blocks(raw, ckpt.raw(name[: -len(".weight")] + ".scale"))
        elif kind == "I8":
            w = dequant_fp4_blocks(raw, ckpt.raw(name[: -len(".weight")] + ".scale"))
        elif kind == "BF16":
            w = decode_bf16(raw)
        elif kind == "F32":
            w = np.array(raw)
        else:  # I32
            out[name] = np.array(raw, dtype=np.int64)
            continue
        if not np.all(np.isfinite(w)):
            raise CheckpointError(f"{path}: {name}: non-finite values after dequantization")
        out[name] = np.ascontiguousarray(w, dtype=dtype)
    return out

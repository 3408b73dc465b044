"""DeepSeek-V4 model configuration (spec section 1).

Accepts the released inference `config.json` field names and the Hugging Face `config.json`
spelling of the same values. Every rejection raises ConfigError with a message naming the field.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

# Hugging Face spelling -> released inference spelling (spec section 1).
HF_ALIASES = {
    "hidden_size": "dim",
    "num_hidden_layers": "n_layers",
    "num_attention_heads": "n_heads",
    "moe_intermediate_size": "moe_inter_dim",
    "num_experts_per_tok": "n_activated_experts",
    "routed_scaling_factor": "route_scale",
    "sliding_window": "window_size",
    "num_hash_layers": "n_hash_layers",
    "rms_norm_eps": "norm_eps",
    "qk_rope_head_dim": "rope_head_dim",
    "scoring_func": "score_func",
}
# Keys of the HF `rope_scaling` (or flat `rope_parameters`) object -> released names.
HF_ROPE_ALIASES = {
    "factor": "rope_factor",
    "original_max_position_embeddings": "original_seq_len",
    "beta_fast": "beta_fast",
    "beta_slow": "beta_slow",
}
HF_LAYER_TYPE_RATIO = {"sliding_attention": 0, "compressed_sparse_attention": 4}

INT_FIELDS = (
    "vocab_size", "dim", "moe_inter_dim", "n_layers", "n_hash_layers", "n_heads",
    "n_routed_experts", "n_shared_experts", "n_activated_experts", "q_lora_rank", "head_dim",
    "rope_head_dim", "o_groups", "o_lora_rank", "window_size", "original_seq_len",
    "index_n_heads", "index_head_dim", "index_topk", "hc_mult", "hc_sinkhorn_iters",
)
FLOAT_FIELDS = (
    "route_scale", "swiglu_limit", "rope_theta", "rope_factor", "beta_fast", "beta_slow",
    "compress_rope_theta", "norm_eps", "hc_eps",
)
STR_FIELDS = ("score_func", "dtype", "scale_fmt", "expert_dtype")
# Fields with a default (spec section 1: "Other shared facts"); every other field is required.
DEFAULTS = {"norm_eps": 1e-6, "hc_eps": 1e-6, "dtype": "fp8", "scale_fmt": "ue8m0",
            "expert_dtype": "fp4", "score_func": "sqrtsoftplus", "n_shared_experts": 1}
SCORE_FUNCS = ("sqrtsoftplus", "sigmoid", "softmax")


class ConfigError(ValueError):
    """A malformed, contradictory or unsupported config value; the message names the field."""


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    dim: int
    moe_inter_dim: int
    n_layers: int
    n_hash_layers: int
    n_heads: int
    n_routed_experts: int
    n_shared_experts: int
    n_activated_experts: int
    score_func: str
    route_scale: float
    swiglu_limit: float
    q_lora_rank: int
    head_dim: int
    rope_head_dim: int
    o_groups: int
    o_lora_rank: int
    window_size: int
    original_seq_len: int
    rope_theta: float
    rope_factor: float
    beta_fast: float
    beta_slow: float
    index_n_heads: int
    index_head_dim: int
    index_topk: int
    hc_mult: int
    hc_sinkhorn_iters: int
    compress_rope_theta: float
    compress_ratios: tuple  # n_layers + 1 entries; the last one is the MTP layer's
    norm_eps: float = 1e-6
    hc_eps: float = 1e-6
    dtype: str = "fp8"
    scale_fmt: str = "ue8m0"
    expert_dtype: str = "fp4"
    name: str = field(default="", compare=False)

    # --- derived facts used throughout the reference -------------------------------------
    @property
    def nope_dim(self) -> int:
        return self.head_dim - self.rope_head_dim

    def ratio(self, layer: int) -> int:
        return self.compress_ratios[layer]

    def layer_kind(self, layer: int) -> str:
        """'swa' (ratio 0), 'csa' (ratio 4, overlapping compressor + indexer) or 'hca'."""
        r = self.compress_ratios[layer]
        return "swa" if r == 0 else ("csa" if r == 4 else "hca")

    def is_hash_layer(self, layer: int) -> bool:
        return layer < self.n_hash_layers


def _canonical_items(raw: dict):
    """Yield (canonical_name, value, spelling) for every recognised key of a raw config."""
    for key, value in raw.items():
        if key in HF_ALIASES:
            yield HF_ALIASES[key], value, key
        elif key in ("rope_scaling", "rope_parameters") and isinstance(value, dict):
            params = value
            # transformers' nested form: {"main": {...}, "compress": {...}}
            if isinstance(value.get("compress"), dict):
                params = value["compress"]
                if "rope_theta" in params:
                    yield "compress_rope_theta", params["rope_theta"], f"{key}.compress.rope_theta"
                if isinstance(value.get("main"), dict) and "rope_theta" in value["main"]:
                    yield "rope_theta", value["main"]["rope_theta"], f"{key}.main.rope_theta"
            for sub, canon in HF_ROPE_ALIASES.items():
                if sub in params and params[sub] is not None:
                    yield canon, params[sub], f"{key}.{sub}"
        else:
            yield key, value, key


def _from_hf_layer_types(raw: dict, merged: dict, spelled: dict):
    """transformers' own spelling: layer_types + compress_rates (+ mlp_layer_types)."""
    if "compress_ratios" not in merged and "layer_types" in raw:
        types = raw["layer_types"]
        rates = dict(raw.get("compress_rates") or {})
        ratio_of = dict(HF_LAYER_TYPE_RATIO)
        ratio_of["compressed_sparse_attention"] = rates.get("compressed_sparse_attention", 4)
        ratio_of["heavily_compressed_attention"] = rates.get("heavily_compressed_attention", 128)
        if not isinstance(types, list):
            raise ConfigError("field 'layer_types': expected a list")
        ratios = []
        for i, t in enumerate(types):
            if t not in ratio_of:
                raise ConfigError(f"field 'layer_types[{i}]': unknown layer type {t!r}")
            ratios.append(ratio_of[t])
        ratios.append(0)  # the MTP layer is sliding-window only (spec section 3.6)
        merged["compress_ratios"] = ratios
        spelled["compress_ratios"] = "layer_types"
    if "n_hash_layers" not in merged and "mlp_layer_types" in raw:
        types = raw["mlp_layer_types"]
        n_hash = 0
        while n_hash < len(types) and types[n_hash] == "hash_moe":
            n_hash += 1
        if "hash_moe" in types[n_hash:]:
            raise ConfigError("field 'mlp_layer_types': hash_moe layers must come first")
        merged["n_hash_layers"] = n_hash
        spelled["n_hash_layers"] = "mlp_layer_types"


def config_from_dict(raw: dict, name: str = "") -> ModelConfig:
    if not isinstance(raw, dict):
        raise ConfigError("config: expected a JSON object")
    merged, spelled = {}, {}
    for canon, value, spelling in _canonical_items(raw):
        if canon in merged and merged[canon] != value:
            raise ConfigError(f"fields '{spelled[canon]}' and '{spelling}' disagree: "
                              f"{merged[canon]!r} vs {value!r}")
        merged.setdefault(canon, value)
        spelled.setdefault(canon, spelling)
    _from_hf_layer_types(raw, merged, spelled)
    if "num_key_value_heads" in raw and raw["num_key_value_heads"] != 1:
        raise ConfigError("field 'num_key_value_heads': DeepSeek-V4 has one shared KV head (must be 1)")
    if raw.get("tie_word_embeddings"):
        raise ConfigError("field 'tie_word_embeddings': DeepSeek-V4 has an untied head (must be false)")

    def where(f):
        s = spelled.get(f, f)
        return f"field '{s}'" if s == f else f"field '{s}' ({f})"

    values = {}
    for f in INT_FIELDS + FLOAT_FIELDS + STR_FIELDS + ("compress_ratios",):
        if f not in merged or merged[f] is None:
            if f in DEFAULTS:
                values[f] = DEFAULTS[f]
                continue
            hf = [k for k, v in HF_ALIASES.items() if v == f]
            also = f" (Hugging Face spelling '{hf[0]}')" if hf else ""
            raise ConfigError(f"missing field '{f}'{also}")
        v = merged[f]
        if f in INT_FIELDS:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
                raise ConfigError(f"{where(f)}: expected an integer, got {v!r}")
            v = int(v)
        elif f in FLOAT_FIELDS:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"{where(f)}: expected a finite number, got {v!r}")
            v = float(v)
        elif f in STR_FIELDS:
            if not isinstance(v, str):
                raise ConfigError(f"{where(f)}: expected a string, got {v!r}")
        values[f] = v

    ratios = values["compress_ratios"]
    if not isinstance(ratios, (list, tuple)):
        raise ConfigError(f"{where('compress_ratios')}: expected a list of integers")
    for i, r in enumerate(ratios):
        if isinstance(r, bool) or not isinstance(r, int):
            raise ConfigError(f"field 'compress_ratios[{i}]': expected an integer, got {r!r}")
        if r < 0:
            raise ConfigError(f"field 'compress_ratios[{i}]': ratio {r} is negative "
                              "(0 = sliding window, 4 = CSA, other positive = HCA)")
    values["compress_ratios"] = tuple(ratios)
    cfg = ModelConfig(**values, name=name)
    validate(cfg, where)
    return cfg


def validate(cfg: ModelConfig, where=lambda f: f"field '{f}'") -> None:
    def need(cond, fld, msg):
        if not cond:
            raise ConfigError(f"{where(fld)}: {msg}")

    for f in INT_FIELDS:
        minimum = 0 if f == "n_hash_layers" else 1
        need(getattr(cfg, f) >= minimum, f, f"must be >= {minimum}, got {getattr(cfg, f)}")
    for f in ("route_scale", "swiglu_limit", "rope_theta", "compress_rope_theta", "norm_eps",
              "beta_fast", "beta_slow"):
        need(getattr(cfg, f) > 0, f, f"must be > 0, got {getattr(cfg, f)}")
    need(cfg.hc_eps >= 0, "hc_eps", f"must be >= 0, got {cfg.hc_eps}")
    need(cfg.rope_factor >= 1, "rope_factor", f"must be >= 1, got {cfg.rope_factor}")
    need(len(cfg.compress_ratios) == cfg.n_layers + 1, "compress_ratios",
         f"has {len(cfg.compress_ratios)} entries; expected n_layers + 1 = {cfg.n_layers + 1} "
         "(the last entry belongs to the MTP layer)")
    need(cfg.n_hash_layers <= cfg.n_layers, "n_hash_layers",
         f"{cfg.n_hash_layers} exceeds n_layers = {cfg.n_layers}")
    need(cfg.n_activated_experts <= cfg.n_routed_experts, "n_activated_experts",
         f"{cfg.n_activated_experts} exceeds n_routed_experts = {cfg.n_routed_experts}")
    need(cfg.n_shared_experts == 1, "n_shared_experts",
         f"only one shared expert is supported, got {cfg.n_shared_experts}")
    need(cfg.n_heads % cfg.o_groups == 0, "o_groups",
         f"n_heads = {cfg.n_heads} is not divisible by o_groups = {cfg.o_groups}")
    need(cfg.rope_head_dim % 2 == 0, "rope_head_dim", "must be even (rope rotates pairs)")
    need(cfg.rope_head_dim < cfg.head_dim, "rope_head_dim",
         f"{cfg.rope_head_dim} must be smaller than head_dim = {cfg.head_dim}")
    need(cfg.score_func in SCORE_FUNCS, "score_func",
         f"unsupported score function {cfg.score_func!r} (expected one of {', '.join(SCORE_FUNCS)})")
    need(cfg.dtype == "fp8", "dtype", f"unsupported weight dtype {cfg.dtype!r} (expected 'fp8')")
    need(cfg.expert_dtype == "fp4", "expert_dtype",
         f"unsupported expert dtype {cfg.expert_dtype!r} (expected 'fp4')")
    need(cfg.scale_fmt == "ue8m0", "scale_fmt",
         f"unsupported scale format {cfg.scale_fmt!r} (expected 'ue8m0')")
    need(cfg.dim % 32 == 0, "dim", f"{cfg.dim} must be a multiple of 32 (FP4 expert scale blocks)")
    need(cfg.moe_inter_dim % 32 == 0, "moe_inter_dim",
         f"{cfg.moe_inter_dim} must be a multiple of 32 (FP4 expert scale blocks)")
    if any(r == 4 for r in cfg.compress_ratios):
        idim = cfg.index_head_dim
        need(cfg.rope_head_dim <= idim, "index_head_dim",
             f"{idim} is smaller than rope_head_dim = {cfg.rope_head_dim}")
        need(idim & (idim - 1) == 0 and idim % 32 == 0, "index_head_dim",
             f"{idim} must be a power of two >= 32 (Hadamard transform, e2m1 blocks of 32)")


def load_config(path: str) -> ModelConfig:
    try:
        with open(path, "r", encoding="utf-8") as fh:
            raw = json.load(fh)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: invalid JSON: {e}") from None
    try:
        return config_from_dict(raw, name=os.path.splitext(os.path.basename(path))[0])
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None

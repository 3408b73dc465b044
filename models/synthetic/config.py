"""Config reading for the synthetic-checkpoint writer.

Reads the released inference field names (and the Hugging Face spelling of the same values,
spec section 1) and checks what the writer needs to lay tensors out. The compiler's own config
loader (models/, C++) is the authority on full validation; this one rejects anything that would
make the writer produce a wrong layout, naming the field.
"""

from __future__ import annotations

import json

HF_ALIASES = {
    "hidden_size": "dim", "num_hidden_layers": "n_layers", "num_attention_heads": "n_heads",
    "moe_intermediate_size": "moe_inter_dim", "num_experts_per_tok": "n_activated_experts",
    "routed_scaling_factor": "route_scale", "sliding_window": "window_size",
    "num_hash_layers": "n_hash_layers", "rms_norm_eps": "norm_eps",
    "qk_rope_head_dim": "rope_head_dim", "scoring_func": "score_func",
}
SHAPE_FIELDS = (
    "vocab_size", "dim", "moe_inter_dim", "n_layers", "n_hash_layers", "n_heads",
    "n_routed_experts", "n_activated_experts", "q_lora_rank", "head_dim", "rope_head_dim",
    "o_groups", "o_lora_rank", "window_size", "index_n_heads", "index_head_dim", "hc_mult",
)


class ConfigError(ValueError):
    pass


def normalize(raw: dict) -> dict:
    """Released field names for everything the writer reads; errors name the field."""
    if not isinstance(raw, dict):
        raise ConfigError("expected a JSON object")
    cfg = {}
    for key, value in raw.items():
        canon = HF_ALIASES.get(key, key)
        if canon in cfg and cfg[canon] != value:
            raise ConfigError(f"fields '{canon}' and '{key}' disagree: {cfg[canon]!r} vs {value!r}")
        cfg[canon] = value
    for f in SHAPE_FIELDS + ("compress_ratios",):
        if f not in cfg:
            raise ConfigError(f"missing field '{f}'")
    for f in SHAPE_FIELDS:
        v = cfg[f]
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"field '{f}': expected an integer, got {v!r}")
        if v < (0 if f == "n_hash_layers" else 1):
            raise ConfigError(f"field '{f}': must be positive, got {v}")
    cfg.setdefault("n_shared_experts", 1)
    if cfg["n_shared_experts"] != 1:
        raise ConfigError("field 'n_shared_experts': only 1 shared expert is supported")
    for f, want in (("dtype", "fp8"), ("expert_dtype", "fp4"), ("scale_fmt", "ue8m0")):
        if cfg.get(f, want) != want:
            raise ConfigError(f"field '{f}': unsupported value {cfg[f]!r} (expected {want!r})")
    ratios = cfg["compress_ratios"]
    if not isinstance(ratios, list) or not all(isinstance(r, int) and not isinstance(r, bool)
                                               for r in ratios):
        raise ConfigError("field 'compress_ratios': expected a list of integers")
    if len(ratios) != cfg["n_layers"] + 1:
        raise ConfigError(f"field 'compress_ratios': has {len(ratios)} entries, expected "
                          f"n_layers + 1 = {cfg['n_layers'] + 1}")
    for i, r in enumerate(ratios):
        if r < 0:
            raise ConfigError(f"field 'compress_ratios[{i}]': ratio {r} is negative")
    if cfg["n_heads"] % cfg["o_groups"]:
        raise ConfigError(f"field 'o_groups': n_heads = {cfg['n_heads']} is not divisible by "
                          f"o_groups = {cfg['o_groups']}")
    for f in ("dim", "moe_inter_dim"):
        if cfg[f] % 32:
            raise ConfigError(f"field '{f}': {cfg[f]} must be a multiple of 32 (FP4 scale blocks)")
    if cfg["n_activated_experts"] > cfg["n_routed_experts"]:
        raise ConfigError("field 'n_activated_experts': exceeds n_routed_experts")
    if cfg["n_hash_layers"] > cfg["n_layers"]:
        raise ConfigError("field 'n_hash_layers': exceeds n_layers")
    if not 0 < cfg["rope_head_dim"] < cfg["head_dim"] or cfg["rope_head_dim"] % 2:
        raise ConfigError("field 'rope_head_dim': must be even and smaller than head_dim")
    return cfg


def load(path: str) -> dict:
    try:
        with open(path, "r", encoding="utf-8") as fh:
            raw = json.load(fh)
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"invalid JSON: {e}") from None
    return normalize(raw)

"""Config loading: released names, Hugging Face spelling, field-named rejections."""

import json

import pytest

from conftest import config_path
from ds4ref import ConfigError, config_from_dict, load_config


def _raw(name):
    return json.load(open(config_path(name)))


def test_released_and_tiny_configs_load():
    flash, pro = load_config(config_path("deepseek-v4-flash")), load_config(config_path("deepseek-v4-pro"))
    assert (flash.dim, flash.n_layers, flash.index_topk, flash.nope_dim) == (4096, 43, 512, 448)
    assert (pro.dim, pro.n_layers, pro.o_groups) == (7168, 61, 16)
    assert [flash.layer_kind(i) for i in range(4)] == ["swa", "swa", "csa", "hca"]
    for name in ("tiny-a", "tiny-b"):
        c = load_config(config_path(name))
        kinds = {c.layer_kind(i) for i in range(c.n_layers)}
        assert kinds == {"swa", "csa", "hca"}                        # every layer kind
        assert 1 <= c.n_hash_layers < c.n_layers                      # hash and scored MoE
        assert c.hc_mult == 4 and c.n_routed_experts >= 8 and c.n_activated_experts >= 2
        assert c.rope_head_dim < c.head_dim and c.o_groups > 1 and c.nope_dim % 64 == 0
        assert c.index_topk < 300 // 4 and c.window_size < 127
        assert len(c.compress_ratios) == c.n_layers + 1


def test_hugging_face_spelling_is_equivalent():
    raw = _raw("tiny-b")
    hf = dict(raw)
    for released, spelled in [("dim", "hidden_size"), ("n_layers", "num_hidden_layers"),
                              ("n_heads", "num_attention_heads"),
                              ("moe_inter_dim", "moe_intermediate_size"),
                              ("n_activated_experts", "num_experts_per_tok"),
                              ("route_scale", "routed_scaling_factor"),
                              ("window_size", "sliding_window"), ("n_hash_layers", "num_hash_layers"),
                              ("rope_head_dim", "qk_rope_head_dim"), ("score_func", "scoring_func")]:
        hf[spelled] = hf.pop(released)
    hf["rope_scaling"] = {"type": "yarn", "factor": hf.pop("rope_factor"),
                          "original_max_position_embeddings": hf.pop("original_seq_len"),
                          "beta_fast": hf.pop("beta_fast"), "beta_slow": hf.pop("beta_slow")}
    hf["rms_norm_eps"] = 1e-6
    hf["num_key_value_heads"] = 1
    assert config_from_dict(hf) == config_from_dict(raw)


def test_transformers_layer_types_spelling():
    raw = _raw("tiny-a")
    t = dict(raw)
    ratios = t.pop("compress_ratios")
    names = {0: "sliding_attention", 4: "compressed_sparse_attention", 16: "heavily_compressed_attention"}
    t["layer_types"] = [names[r] for r in ratios[:-1]]
    t["compress_rates"] = {"compressed_sparse_attention": 4, "heavily_compressed_attention": 16}
    t["mlp_layer_types"] = ["hash_moe"] * t.pop("n_hash_layers") + ["moe"] * 3
    assert config_from_dict(t) == config_from_dict(raw)


@pytest.mark.parametrize("edit,field", [
    (lambda c: c.pop("vocab_size"), "'vocab_size'"),
    (lambda c: c.pop("dim"), "'dim' (Hugging Face spelling 'hidden_size')"),
    (lambda c: c.update(compress_ratios=c["compress_ratios"][:-1]), "'compress_ratios'"),
    (lambda c: c["compress_ratios"].__setitem__(2, -16), "'compress_ratios[2]'"),
    (lambda c: c["compress_ratios"].__setitem__(2, "x"), "'compress_ratios[2]'"),
    (lambda c: c.update(hc_mult=0), "'hc_mult'"),
    (lambda c: c.update(o_groups=3), "'o_groups'"),
    (lambda c: c.update(hidden_size=512), "'dim' and 'hidden_size'"),
    (lambda c: c.update(score_func="relu"), "'score_func'"),
    (lambda c: c.update(rope_head_dim=128), "'rope_head_dim'"),
    (lambda c: c.update(rope_head_dim=33), "'rope_head_dim'"),
    (lambda c: c.update(n_activated_experts=9), "'n_activated_experts'"),
    (lambda c: c.update(n_hash_layers=6), "'n_hash_layers'"),
    (lambda c: c.update(n_shared_experts=2), "'n_shared_experts'"),
    (lambda c: c.update(dim=300), "'dim'"),
    (lambda c: c.update(index_head_dim=96), "'index_head_dim'"),
    (lambda c: c.update(window_size=1.5), "'window_size'"),
    (lambda c: c.update(route_scale=True), "'route_scale'"),
    (lambda c: c.update(expert_dtype="fp8"), "'expert_dtype'"),
    (lambda c: c.update(num_key_value_heads=2), "'num_key_value_heads'"),
    (lambda c: c.update(sliding_window=64), "'window_size' and 'sliding_window'"),
])
def test_rejections_name_the_field(edit, field):
    raw = _raw("tiny-a")
    edit(raw)
    with pytest.raises(ConfigError) as e:
        config_from_dict(raw)
    assert field in str(e.value)


def test_load_errors_name_the_file(tmp_path):
    p = tmp_path / "c.json"
    p.write_text("{")
    with pytest.raises(ConfigError, match="c.json: invalid JSON"):
        load_config(str(p))
    with pytest.raises(ConfigError, match="nope.json: cannot read"):
        load_config(str(tmp_path / "nope.json"))

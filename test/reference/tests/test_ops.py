"""Building blocks of the forward pass, checked against the spec's formulas directly."""

import dataclasses
import math

import numpy as np
import pytest

from conftest import config_path
from ds4ref import Model, load_config
from ds4ref.model import (CompressorState, apply_rope, attend_with_sink, rmsnorm,
                          rope_frequencies, softmax)


def test_rope_inverse_and_relative_position():
    cfg = load_config(config_path("tiny-b"))
    f = rope_frequencies(cfg, compressed=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, cfg.rope_head_dim))
    pos = np.array([0, 1, 5, 127, 128, 100000])
    y = apply_rope(x, pos, f)
    assert np.allclose(apply_rope(y, pos, f, inverse=True), x, atol=1e-12)
    assert np.allclose(np.linalg.norm(y, axis=-1), np.linalg.norm(x, axis=-1))
    # interleaved: pair i of a unit vector rotates by t * f_i
    e = np.zeros((1, cfg.rope_head_dim))
    e[0, 2] = 1.0
    r = apply_rope(e, np.array([7]), f)
    assert np.allclose(r[0, 2:4], [math.cos(7 * f[1]), math.sin(7 * f[1])])
    # q . k depends only on the distance
    q, k = rng.standard_normal((1, cfg.rope_head_dim)), rng.standard_normal((1, cfg.rope_head_dim))
    d1 = apply_rope(q, np.array([50]), f) @ apply_rope(k, np.array([20]), f).T
    d2 = apply_rope(q, np.array([1030]), f) @ apply_rope(k, np.array([1000]), f).T
    assert np.allclose(d1, d2)


def test_yarn_frequencies_flash():
    cfg = load_config(config_path("deepseek-v4-flash"))
    r, theta = 64, 160000.0
    base = theta ** (-np.arange(0, r, 2) / r)
    # low = floor(64 ln(65536/(32*2pi)) / (2 ln 160000)) = 15, high = ceil(...(1*2pi)...) = 25
    low, high = 15, 25
    f = rope_frequencies(cfg, compressed=True)
    assert np.allclose(f[:low + 1], base[:low + 1])           # high frequencies: unchanged
    assert np.allclose(f[high:], base[high:] / 16)            # low frequencies: / factor
    ramp = (np.arange(r // 2) - low) / (high - low)
    assert np.allclose(f[20], base[20] / 16 * ramp[20] + base[20] * (1 - ramp[20]))
    assert np.allclose(rope_frequencies(cfg, compressed=False), 10000.0 ** (-np.arange(0, r, 2) / r))


def test_sinkhorn_is_doubly_stochastic(models):
    m = models("tiny-a", "exact", np.float64)
    trace = {}
    m.prefill(m.new_state(), np.arange(2, 60), trace=trace)
    Hs = trace["streams"][1]                                   # real residual streams
    x_in, post, comb = m._hc_mix(Hs, "layers.2.hc_attn")
    assert np.all(comb > 0) and np.all((post > 0) & (post < 2))
    assert np.allclose(comb.sum(axis=-2), 1, atol=2e-6)        # columns (the last step)
    assert np.allclose(comb.sum(axis=-1), 1, atol=1e-2)        # rows: 20 iterations approximate
    # more iterations converge to a doubly-stochastic matrix (up to the hc_eps terms)
    many = Model(dataclasses.replace(m.cfg, hc_sinkhorn_iters=1000), m.w, "exact", np.float64)
    comb = many._hc_mix(Hs, "layers.0.hc_ffn")[2]
    assert np.allclose(comb.sum(axis=-1), 1, atol=2e-6) and np.allclose(comb.sum(axis=-2), 1, atol=2e-6)
    # x_in = sum_i pre_i H_i with pre_i = sigmoid(...) + hc_eps in (0, 1 + eps)
    pre = np.linalg.lstsq(Hs[0].T, x_in[0], rcond=None)[0]
    assert np.all((pre > 0) & (pre < 1 + 1e-5))


def test_attention_with_sink():
    rng = np.random.default_rng(2)
    q, keys, sink = rng.standard_normal((2, 3, 8)), rng.standard_normal((5, 8)), rng.standard_normal(3)
    visible = np.array([[True] * 5, [True, False, True, False, False]])
    o = attend_with_sink(q, keys, visible, sink, 0.5)
    for s in range(2):
        k = keys[visible[s]]
        z = q[s] @ k.T * 0.5
        p = np.exp(z) / (np.exp(z).sum(-1, keepdims=True) + np.exp(sink)[:, None])
        assert np.allclose(o[s], p @ k)
    # a very negative sink leaves plain softmax attention
    assert np.allclose(attend_with_sink(q, keys, visible, np.full(3, -1e4), 0.5)[0],
                       softmax(q[0] @ keys.T * 0.5) @ keys)


def _spec_compressor_entries(m, L, which, x):
    """Spec 3.3 written out for a whole sequence at once (no state)."""
    cfg = m.cfg
    pre = f"layers.{L}.attn." + ("compressor." if which == "main" else "indexer.compressor.")
    ratio = cfg.ratio(L) if which == "main" else 4
    hd = cfg.head_dim if which == "main" else cfg.index_head_dim
    w = m.w
    k = x @ w[pre + "wkv.weight"].T
    g = x @ w[pre + "wgate.weight"].T + w[pre + "ape"][np.arange(len(x)) % ratio]
    entries = []
    for i in range(len(x) // ratio):
        blk = slice(i * ratio, (i + 1) * ratio)
        if ratio == 4:
            kk, gg = k[blk, hd:], g[blk, hd:]
            if i > 0:
                prev = slice((i - 1) * ratio, i * ratio)
                kk, gg = np.concatenate([k[prev, :hd], kk]), np.concatenate([g[prev, :hd], gg])
        else:
            kk, gg = k[blk], g[blk]
        c = rmsnorm((softmax(gg, axis=0) * kk).sum(0), w[pre + "norm.weight"], cfg.norm_eps)
        c[hd - cfg.rope_head_dim:] = apply_rope(c[None, hd - cfg.rope_head_dim:],
                                                np.array([i * ratio]), m.freqs_compress)[0]
        entries.append(c)
    return np.array(entries)


@pytest.mark.parametrize("name,L,which", [("tiny-a", 1, "main"), ("tiny-a", 1, "indexer"),
                                          ("tiny-a", 2, "main"), ("tiny-b", 0, "main")])
def test_compressor_emits_at_block_ends(models, name, L, which):
    m = models(name, "exact", np.float64)
    cfg = m.cfg
    ratio = cfg.ratio(L) if which == "main" else 4
    hd = cfg.head_dim if which == "main" else cfg.index_head_dim
    c = 2 if ratio == 4 else 1
    x = np.random.default_rng(3).standard_normal((5 * ratio + 3, cfg.dim))
    want = _spec_compressor_entries(m, L, which, x)
    st = CompressorState(np.zeros((0, hd)), np.zeros((0, c * hd)), np.zeros((0, c * hd)))
    p = 0
    for size in (1, ratio - 2, 1, 2 * ratio + 1, 1, len(x)):   # chunks straddling block edges
        chunk = x[p:p + size]
        before = st.entries.shape[0]
        m._compress(L, st, chunk, p, which)
        p += len(chunk)
        # entry i exists exactly once the token at position (i+1)*ratio - 1 has arrived
        assert st.entries.shape[0] == p // ratio, (before, p)
        assert st.block_kv.shape[0] == p % ratio
    assert np.allclose(st.entries, want, rtol=1e-12, atol=1e-12)


def test_indexer_topk_respects_the_causal_limit(models):
    m = models("tiny-a")
    cfg = m.cfg
    trace = {}
    ids = np.random.default_rng(4).integers(0, cfg.vocab_size, 150)
    m.prefill(m.new_state(), ids, trace=trace)
    for L, sel in trace["indexer"].items():
        assert len(sel) == 150
        for t, s in enumerate(sel):
            count = (t + 1) // 4
            assert len(s) == min(cfg.index_topk, count) and len(set(s.tolist())) == len(s)
            assert np.all(s < count)
        assert any(len(s) == cfg.index_topk < (t + 1) // 4 for t, s in enumerate(sel))


def test_routing(models, checkpoints):
    m = models("tiny-b")
    cfg = m.cfg
    trace = {}
    ids = np.random.default_rng(5).integers(0, cfg.vocab_size, 64)
    m.prefill(m.new_state(), ids, trace=trace)
    for L, sel in trace["moe"].items():
        assert sel.shape == (64, cfg.n_activated_experts)
        assert all(len(set(r)) == len(r) for r in sel.tolist())
        if cfg.is_hash_layer(L):
            assert np.array_equal(sel, m.w[f"layers.{L}.ffn.gate.tid2eid"][ids])
    # every routed expert is used somewhere: routing is not collapsed
    used = np.unique(np.concatenate([s.ravel() for s in trace["moe"].values()]))
    assert len(used) == cfg.n_routed_experts

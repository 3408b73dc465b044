"""Whole-model properties: prefill / decode / chunked prefill agree, state layout, liveness."""

import numpy as np
import pytest

from conftest import TINY, rel_err
from ds4ref import Model
from ds4ref.numerics import decode_fp8_e4m3fn, hadamard, round_to_bf16, round_to_e2m1

# prefill(n) + decode steps == prefill over the whole sequence. In float64 the two orders of
# evaluation differ only by ~1e-16 rounding, so discrete choices (top-k, routing, deploy-mode
# rounding) cannot flip; in float32 the agreement is ~1e-6 of the logit scale.
TOL = {("exact", "float64"): 1e-10, ("deploy", "float64"): 1e-9, ("exact", "float32"): 2e-5}


def _tokens(vocab, n, seed=7):
    ids = np.random.default_rng(seed).integers(2, vocab, n)
    ids[0] = 0
    return ids


@pytest.mark.parametrize("name", TINY)
@pytest.mark.parametrize("precision,dtype", [("exact", "float64"), ("deploy", "float64"),
                                             ("exact", "float32")])
def test_prefill_then_decode_equals_one_prefill(models, name, precision, dtype):
    m = models(name, precision, np.dtype(dtype))
    n_prefill, n_decode = 61, 44                 # positions 61..104 cross 4-, 16-, 32- and 64-
    ids = _tokens(m.cfg.vocab_size, n_prefill + n_decode)
    full = m.prefill(m.new_state(), ids)
    st = m.new_state()
    parts = [m.prefill(st, ids[:n_prefill])]
    parts += [m.decode([st], [t]) for t in ids[n_prefill:]]
    assert st.length == len(ids)
    assert rel_err(np.concatenate(parts), full) <= TOL[(precision, dtype)]


@pytest.mark.parametrize("name", TINY)
def test_chunked_prefill_from_partly_filled_state(models, name):
    m = models(name, "exact", np.float64)
    ids = _tokens(m.cfg.vocab_size, 170, seed=8)
    full = m.prefill(m.new_state(), ids)
    st, parts, p = m.new_state(), [], 0
    for size in (1, 2, 4, 29, 33, 64, 37):      # odd sizes: blocks complete mid-chunk
        parts.append(m.prefill(st, ids[p:p + size]))
        p += size
    assert rel_err(np.concatenate(parts), full) <= 1e-10


@pytest.mark.parametrize("name", TINY)
def test_batched_decode_slots_at_different_positions(models, name):
    m = models(name, "exact", np.float64)
    seqs = [_tokens(m.cfg.vocab_size, n, seed=10 + n) for n in (9, 40, 70)]
    # one slot at a time
    alone = []
    for s in seqs:
        st = m.new_state()
        m.prefill(st, s[:-6])
        alone.append(np.stack([m.decode([st], [t])[0] for t in s[-6:]]))
    # all slots in one decode call per step
    states = [m.new_state() for _ in seqs]
    for st, s in zip(states, seqs):
        m.prefill(st, s[:-6])
    together = np.stack([m.decode(states, [s[-6 + k] for s in seqs]) for k in range(6)], axis=1)
    for a, b in zip(alone, together):
        assert rel_err(b, a) <= 1e-10
    assert [st.length for st in states] == [9, 40, 70]


@pytest.mark.parametrize("name", TINY)
def test_state_layout(models, name):
    m = models(name)
    cfg = m.cfg
    st = m.new_state()
    m.prefill(st, _tokens(cfg.vocab_size, 75))
    for L, ls in enumerate(st.layers):
        assert ls.window.shape == (cfg.window_size, cfg.head_dim)
        ratio = cfg.ratio(L)
        if ratio == 0:
            assert ls.compressor is None and ls.indexer is None
            continue
        cs = ls.compressor
        assert cs.entries.shape == (75 // ratio, cfg.head_dim)
        assert cs.block_kv.shape[0] == 75 % ratio
        if ratio == 4:
            assert cs.prev_a_kv.shape == (4, cfg.head_dim)          # overlap rows
            assert ls.indexer.entries.shape == (75 // 4, cfg.index_head_dim)
        else:
            assert cs.prev_a_kv is None and ls.indexer is None


@pytest.mark.parametrize("name", TINY)
def test_deploy_mode_storage_formats(models, name):
    """Window kv and compressor entries hold fp8 nope blocks of 64 + bf16 rope dims; indexer keys
    are e2m1 blocks of 32 after the Hadamard rotation."""
    m = models(name, "deploy", np.float64)
    cfg = m.cfg
    st = m.new_state()
    m.prefill(st, _tokens(cfg.vocab_size, 80))
    fp8_grid = decode_fp8_e4m3fn(np.arange(127))
    for L, ls in enumerate(st.layers):
        rows = [ls.window] + ([ls.compressor.entries] if ls.compressor else [])
        for r in rows:
            nope = r[:, :cfg.nope_dim].reshape(r.shape[0], -1, 64)
            scale = 2.0 ** np.ceil(np.log2(np.abs(nope).max(-1, keepdims=True) / 448))
            assert np.all(np.isin(np.abs(nope / scale), fp8_grid))
            rope = r[:, cfg.nope_dim:]
            assert np.array_equal(rope, round_to_bf16(rope))
        if ls.indexer is not None:
            keys = ls.indexer.entries.reshape(ls.indexer.entries.shape[0], -1, 32)
            scale = 2.0 ** np.ceil(np.log2(np.abs(keys).max(-1, keepdims=True) / 6))
            assert np.array_equal(keys / scale, round_to_e2m1(keys / scale))
    assert np.allclose(hadamard(cfg.index_head_dim) @ hadamard(cfg.index_head_dim).T,
                       np.eye(cfg.index_head_dim))


@pytest.mark.parametrize("name", TINY)
def test_network_is_numerically_alive(models, name):
    """The synthetic weights keep every part of the network active (not degenerate)."""
    m = models(name)
    cfg = m.cfg
    trace = {}
    logits = m.prefill(m.new_state(), _tokens(cfg.vocab_size, 300, seed=3), trace=trace)
    assert np.all(np.isfinite(logits))
    assert 1.0 < logits.std() < 6.0 and np.all(logits.std(axis=-1) > 1.0)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    entropy = -(p * np.log(p)).sum(-1)
    assert 1.0 < entropy.mean() < np.log(cfg.vocab_size) - 1.0
    assert len(np.unique(logits.argmax(-1))) > 50          # predictions vary with the input
    for L, s in trace["streams"].items():
        rms = np.sqrt(np.mean(s.astype(np.float64) ** 2))
        assert 0.3 < rms < 10, (L, rms)
    # Discrete choices are far from ties compared with float32 rounding (~1e-6 of the scale),
    # so the transformers comparison and the golden files are not at the mercy of rounding.
    assert min(trace["margin"]) > 2e-6
    w = m.w
    for L in range(cfg.n_layers):
        a = f"layers.{L}.attn."
        assert np.all(w[a + "attn_sink"] != 0)
        assert np.std(w[f"layers.{L}.hc_attn_base"]) > 0.1 and np.all(w[f"layers.{L}.hc_ffn_scale"] != 0)
        if cfg.ratio(L):
            assert np.std(w[a + "compressor.ape"]) > 0.1
        if not cfg.is_hash_layer(L):
            assert np.std(w[f"layers.{L}.ffn.gate.bias"]) > 0.01


def test_rejects_bad_inputs(models):
    m = models("tiny-a")
    with pytest.raises(ValueError, match="token id out of range"):
        m.prefill(m.new_state(), [0, m.cfg.vocab_size])
    with pytest.raises(ValueError, match="precision"):
        Model(m.cfg, {}, precision="fast")

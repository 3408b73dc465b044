"""The DeepSeek-V4 forward pass in numpy, written from ../shared/spec/deepseek-v4.md.

One code path serves prefill and decode: `forward(states, chunks)` takes, for each sequence
slot, its explicit state and its new tokens (prefill: one slot with any number of tokens, from
an empty or a partly filled state; decode: many slots with one token each, each at its own
position). Token-wise work (projections, mHC, MoE) runs on all new rows at once; sequence-wise
work (window, compressor, indexer, attention) loops over the slots and reads/updates their state.

Precision modes (spec section 4):
  exact  - dequantized weights, activations in `dtype` (float32 by default), no activation
           quantization, kv kept at full precision. Matches transformers' DeepseekV4ForCausalLM.
  deploy - the released program's simulated quantization: fp8 activations for GEMMs with
           FP8/FP4 weights, fp8 nope / bf16 rope storage of window kv and compressor entries,
           Hadamard + e2m1 indexer q and keys, wo_a in bf16.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from .checkpoint import expected_tensors, load_weights
from .config import ModelConfig
from .numerics import hadamard, quantize_blocks, round_to_bf16

PRECISIONS = ("exact", "deploy")


# --- state ------------------------------------------------------------------------------------

@dataclass
class CompressorState:
    """Per-sequence state of one compressor (spec section 3.3)."""
    entries: np.ndarray          # [count, hd] emitted entries (normed, roped; deploy: rounded)
    block_kv: np.ndarray         # [k, c*hd] kv projections of the incomplete block (k < ratio)
    block_gate: np.ndarray       # [k, c*hd] gate projections + ape of the incomplete block
    prev_a_kv: np.ndarray | None = None    # overlap only: A halves of the last complete block
    prev_a_gate: np.ndarray | None = None


@dataclass
class LayerState:
    window: np.ndarray                       # [window_size, D] ring: position p at slot p % W
    compressor: CompressorState | None = None
    indexer: CompressorState | None = None   # CSA: the lightning indexer's keys


@dataclass
class SequenceState:
    length: int = 0                          # tokens processed so far = next position
    layers: list = field(default_factory=list)

    def copy(self) -> "SequenceState":
        return copy.deepcopy(self)


# --- elementwise helpers ------------------------------------------------------------------------

def rmsnorm(x, weight, eps):
    """x * rsqrt(mean(x^2) + eps) * weight over the last axis (weight None: unweighted)."""
    y = x * (1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))
    return y if weight is None else y * weight


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))   # overflow-free form of 1 / (1 + exp(-x))


def silu(x):
    return x * sigmoid(x)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def rope_frequencies(cfg: ModelConfig, compressed: bool) -> np.ndarray:
    """f_i for i < r/2 (float64). SWA layers: rope_theta, no scaling. CSA/HCA layers (q, kv,
    compressor and indexer alike): compress_rope_theta with YaRN (spec section 3.2)."""
    r = cfg.rope_head_dim
    i = np.arange(r // 2, dtype=np.float64)
    theta = cfg.compress_rope_theta if compressed else cfg.rope_theta
    f = theta ** (-2.0 * i / r)
    if not compressed or cfg.rope_factor <= 1.0:
        return f
    L0 = cfg.original_seq_len

    def correction_dim(rotations):
        return r * math.log(L0 / (rotations * 2 * math.pi)) / (2 * math.log(theta))

    low = max(math.floor(correction_dim(cfg.beta_fast)), 0)
    high = min(math.ceil(correction_dim(cfg.beta_slow)), r - 1)
    if low == high:
        high += 0.001  # avoid a zero-width ramp (as the released program and transformers do)
    ramp = np.clip((i - low) / (high - low), 0.0, 1.0)
    smooth = 1.0 - ramp
    return f / cfg.rope_factor * (1.0 - smooth) + f * smooth


def apply_rope(x, positions, freqs, inverse=False):
    """Interleaved rope on the last axis of x ([N, ..., r]): pairs (x[2i], x[2i+1]) rotate by
    angle t*f_i (inverse: -t*f_i). positions: [N] absolute positions (one per leading row)."""
    ang = np.asarray(positions, dtype=np.float64)[:, None] * freqs[None, :]   # [N, r/2]
    if inverse:
        ang = -ang
    shape = (ang.shape[0],) + (1,) * (x.ndim - 2) + (ang.shape[1],)
    cos = np.cos(ang).astype(x.dtype).reshape(shape)
    sin = np.sin(ang).astype(x.dtype).reshape(shape)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * cos - x1 * sin
    out[..., 1::2] = x0 * sin + x1 * cos
    return out


def attend_with_sink(q, keys, visible, sink, scale, order_seed=None):
    """Softmax attention of queries q [S, H, D] over shared K = V entries keys [E, D], each query
    seeing the entries where visible [S, E] is true, with a per-head sink logit in the
    denominator: p_e = exp(z_e) / (sum_visible exp(z) + exp(sink_h)), z_e = q . kv_e * scale.
    order_seed: sum over D and over the entries in another (equally valid) order."""
    if order_seed is not None:
        rng = np.random.default_rng((order_seed, *q.shape, *keys.shape))
        dperm, eperm = rng.permutation(keys.shape[1]), rng.permutation(keys.shape[0])
        q, keys, visible = q[..., dperm], keys[eperm][:, dperm], visible[:, eperm]
        out = np.empty_like(q)
        out[..., dperm] = attend_with_sink(q, keys, visible, sink, scale)
        return out
    z = (q @ keys.T) * scale                                              # [S, H, E]
    z = np.where(visible[:, None, :], z, -np.inf)
    m = np.maximum(np.max(z, axis=-1, initial=-np.inf), sink)            # [S, H]
    e = np.exp(z - m[..., None])
    denom = np.sum(e, axis=-1) + np.exp(sink - m)
    return (e / denom[..., None]) @ keys                                  # [S, H, D]


QUERY_BLOCK = 64   # queries scored together (bounds the [queries, heads, entries] temporaries)


# --- the model ------------------------------------------------------------------------------

class Model:
    def __init__(self, cfg: ModelConfig, weights: dict, precision: str = "exact",
                 dtype=np.float32, sum_order_seed: int | None = None):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.cfg = cfg
        self.precision = precision
        self.dtype = np.dtype(dtype)
        # The spec leaves the order of sums open; a seed permutes the reduction axes of every
        # _gemm and of the attention (head dim, entries), giving another equally valid f32
        # evaluation (tests use it to see how far rounding alone can move deploy logits).
        self.sum_order_seed = sum_order_seed
        self.w = {k: (v.astype(self.dtype) if v.dtype.kind == "f" else v) for k, v in weights.items()}
        # GEMMs whose weights are stored as FP8/FP4 take fp8 activations in deployment mode.
        kinds = expected_tensors(cfg)
        self.low_precision = {n for n, (k, _) in kinds.items() if k in ("F8_E4M3", "I8")}
        self.freqs_main = rope_frequencies(cfg, compressed=False)
        self.freqs_compress = rope_frequencies(cfg, compressed=True)
        self.hadamard = (hadamard(cfg.index_head_dim).astype(self.dtype)
                         if any(r == 4 for r in cfg.compress_ratios[:cfg.n_layers]) else None)

    @classmethod
    def from_checkpoint(cls, cfg, path, precision="exact", dtype=np.float32,
                        sum_order_seed=None):
        return cls(cfg, load_weights(cfg, path, dtype=np.float64), precision, dtype,
                   sum_order_seed)

    # --- state ------------------------------------------------------------------------------
    def new_state(self) -> SequenceState:
        cfg, dt = self.cfg, self.dtype
        layers = []
        for L in range(cfg.n_layers):
            ls = LayerState(window=np.zeros((cfg.window_size, cfg.head_dim), dt))
            ratio = cfg.ratio(L)
            if ratio:
                c = 2 if ratio == 4 else 1
                ls.compressor = CompressorState(np.zeros((0, cfg.head_dim), dt),
                                                np.zeros((0, c * cfg.head_dim), dt),
                                                np.zeros((0, c * cfg.head_dim), dt))
            if ratio == 4:
                ID = cfg.index_head_dim
                ls.indexer = CompressorState(np.zeros((0, ID), dt), np.zeros((0, 2 * ID), dt),
                                             np.zeros((0, 2 * ID), dt))
            layers.append(ls)
        return SequenceState(0, layers)

    # --- entry points -------------------------------------------------------------------------
    def prefill(self, state: SequenceState, tokens, trace=None) -> np.ndarray:
        """Process any number of new tokens of one sequence; logits for every new position."""
        return self.forward([state], [list(tokens)], trace)[0]

    def decode(self, states, tokens, trace=None) -> np.ndarray:
        """One new token for each slot (each at its own position); logits [slots, vocab]."""
        return np.stack([r[0] for r in self.forward(states, [[t] for t in tokens], trace)])

    def forward(self, states, chunks, trace=None):
        """chunks[i]: the new token ids of slot i, whose state states[i] is read and advanced.
        Returns one logits array [len(chunks[i]), vocab] per slot. `trace` (a dict), if given,
        collects per-layer residual streams, indexer selections, routing and decision margins."""
        cfg, dt = self.cfg, self.dtype
        if len({id(s) for s in states}) != len(states):
            raise ValueError("the same sequence state appears twice in one call")
        ids = np.array([t for ch in chunks for t in ch], dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= cfg.vocab_size):
            raise ValueError(f"token id out of range [0, {cfg.vocab_size})")
        segs, pos, row = [], [], 0
        for st, ch in zip(states, chunks):
            segs.append((row, row + len(ch), st))
            pos.extend(range(st.length, st.length + len(ch)))
            row += len(ch)
        pos = np.array(pos, dtype=np.int64)

        h0 = self.w["embed.weight"][ids]                             # [N, d]
        Hs = np.repeat(h0[:, None, :], cfg.hc_mult, axis=1)          # [N, n, d]: n streams
        for L in range(cfg.n_layers):
            Hs = self._block(L, Hs, ids, pos, segs, trace)
            if trace is not None:
                trace.setdefault("streams", {})[L] = Hs.copy()
        y = self._hc_head(Hs)
        logits = rmsnorm(y, self.w["norm.weight"], cfg.norm_eps) @ self.w["head.weight"].T
        for st, ch in zip(states, chunks):
            st.length += len(ch)
        assert logits.dtype == dt
        return [logits[a:b] for a, b, _ in segs]

    # --- building blocks ----------------------------------------------------------------------
    def _gemm(self, x, name):
        """x @ W^T; in deployment mode the activation row is rounded through e4m3 per 128
        values with a power-of-two scale first when W is stored as FP8/FP4."""
        if self.precision == "deploy" and name in self.low_precision:
            x = quantize_blocks(x, 128, "e4m3")
        w = self.w[name]
        if self.sum_order_seed is not None:
            seed = (self.sum_order_seed, *name.encode())
            perm = np.random.default_rng(seed).permutation(w.shape[-1])
            return x[..., perm] @ w[:, perm].T
        return x @ w.T

    def _hc_mix(self, Hs, prefix):
        """mHC pre: returns (sub-layer input x_in, post [N, n], comb [N, n, n]); spec 3.1."""
        cfg = self.cfg
        n, N = cfg.hc_mult, Hs.shape[0]
        fn, base, scale = (self.w[f"{prefix}_fn"], self.w[f"{prefix}_base"],
                           self.w[f"{prefix}_scale"])
        x = Hs.reshape(N, -1)
        mix = (x @ fn.T) * (1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + cfg.norm_eps))
        pre = sigmoid(mix[:, :n] * scale[0] + base[:n]) + cfg.hc_eps
        post = 2.0 * sigmoid(mix[:, n:2 * n] * scale[1] + base[n:2 * n])
        comb = (mix[:, 2 * n:] * scale[2] + base[2 * n:]).reshape(N, n, n)    # C[j][k]
        comb = softmax(comb, axis=-1) + cfg.hc_eps
        comb = comb / (comb.sum(axis=-2, keepdims=True) + cfg.hc_eps)        # column sums
        for _ in range(cfg.hc_sinkhorn_iters - 1):
            comb = comb / (comb.sum(axis=-1, keepdims=True) + cfg.hc_eps)    # row sums
            comb = comb / (comb.sum(axis=-2, keepdims=True) + cfg.hc_eps)    # column sums
        x_in = (pre[:, None, :] @ Hs)[:, 0]                                  # sum_i pre_i H_i
        return x_in, post, comb

    @staticmethod
    def _hc_combine(f, Hs, post, comb):
        """H'[k] = post[k] * F(x_in) + sum_j C[j][k] * H[j]   (C used transposed)."""
        return post[:, :, None] * f[:, None, :] + comb.transpose(0, 2, 1) @ Hs

    def _hc_head(self, Hs):
        cfg = self.cfg
        x = Hs.reshape(Hs.shape[0], -1)
        mix = (x @ self.w["hc_head_fn"].T) * (
            1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + cfg.norm_eps))
        pre = sigmoid(mix * self.w["hc_head_scale"][0] + self.w["hc_head_base"]) + cfg.hc_eps
        return (pre[:, None, :] @ Hs)[:, 0]

    def _block(self, L, Hs, ids, pos, segs, trace):
        cfg, p = self.cfg, f"layers.{L}."
        x_in, post, comb = self._hc_mix(Hs, p + "hc_attn")
        x = rmsnorm(x_in, self.w[p + "attn_norm.weight"], cfg.norm_eps)
        Hs = self._hc_combine(self._attention(L, x, pos, segs, trace), Hs, post, comb)
        x_in, post, comb = self._hc_mix(Hs, p + "hc_ffn")
        x = rmsnorm(x_in, self.w[p + "ffn_norm.weight"], cfg.norm_eps)
        return self._hc_combine(self._moe(L, x, ids, trace), Hs, post, comb)

    # --- attention (spec 3.2) -----------------------------------------------------------------
    def _store_kv(self, kv):
        """Deployment mode stores window kv and main compressor entries as fp8 nope dims (blocks
        of 64, power-of-two scales) + bf16 rope dims; attention reads those stored values."""
        if self.precision != "deploy":
            return kv
        nope = self.cfg.nope_dim
        out = np.empty_like(kv)
        out[..., :nope] = quantize_blocks(kv[..., :nope], 64, "e4m3")
        out[..., nope:] = round_to_bf16(kv[..., nope:])
        return out

    def _attention(self, L, x, pos, segs, trace):
        cfg, w, a = self.cfg, self.w, f"layers.{L}.attn."
        N, H, D, nope = x.shape[0], cfg.n_heads, cfg.head_dim, cfg.nope_dim
        W, ratio, kind = cfg.window_size, cfg.ratio(L), cfg.layer_kind(L)
        freqs = self.freqs_compress if ratio else self.freqs_main

        qr = rmsnorm(self._gemm(x, a + "wq_a.weight"), w[a + "q_norm.weight"], cfg.norm_eps)
        q = self._gemm(qr, a + "wq_b.weight").reshape(N, H, D)
        q = rmsnorm(q, None, cfg.norm_eps)                     # per head, no weight
        kv = rmsnorm(self._gemm(x, a + "wkv.weight"), w[a + "kv_norm.weight"], cfg.norm_eps)
        q[..., nope:] = apply_rope(q[..., nope:], pos, freqs)
        kv[..., nope:] = apply_rope(kv[..., nope:], pos, freqs)
        kv = self._store_kv(kv)

        sink, scale = w[a + "attn_sink"], cfg.head_dim ** -0.5
        o = np.zeros((N, H, D), self.dtype)
        for r0, r1, st in segs:
            ls, p0, s = st.layers[L], st.length, r1 - r0
            # Window history: up to W-1 earlier positions from the ring, then the new rows.
            n_old = min(p0, W - 1)
            old = np.array([ls.window[p % W] for p in range(p0 - n_old, p0)],
                           dtype=self.dtype).reshape(n_old, D)
            hist = np.concatenate([old, kv[r0:r1]])           # positions p0-n_old .. p0+s-1
            first = p0 - n_old
            if ratio:
                self._compress(L, ls.compressor, x[r0:r1], p0, "main")
            selected = self._indexer_select(L, ls, x[r0:r1], qr[r0:r1], p0, trace) \
                if kind == "csa" else None
            entries = ls.compressor.entries if ratio else np.zeros((0, D), self.dtype)
            for j0 in range(0, s, QUERY_BLOCK):
                t = np.arange(p0 + j0, min(p0 + s, p0 + j0 + QUERY_BLOCK))[:, None]
                # The entry set E(t) of spec 3.2: the window, plus for HCA every compressed
                # entry i < (t+1)/ratio, plus for CSA the indexer's selection.
                lo, hi = max(first, int(t[0, 0]) - W + 1), int(t[-1, 0]) + 1   # window rows
                keys = np.concatenate([hist[lo - first:hi - first], entries])
                hist_pos = np.arange(lo, hi)
                window = (hist_pos[None, :] <= t) & (hist_pos[None, :] > t - W)
                if kind == "hca":
                    compressed = np.arange(len(entries))[None, :] < (t + 1) // ratio
                else:
                    compressed = np.zeros((len(t), len(entries)), dtype=bool)
                    if kind == "csa":
                        for row, sel in enumerate(selected[j0:j0 + len(t)]):
                            compressed[row, sel] = True
                visible = np.concatenate([window, compressed], axis=1)
                o[r0 + j0:r0 + j0 + len(t)] = attend_with_sink(
                    q[r0 + j0:r0 + j0 + len(t)], keys, visible, sink, scale,
                    self.sum_order_seed)
            for j in range(max(0, s - W), s):                 # the ring keeps the last W
                ls.window[(p0 + j) % W] = kv[r0 + j]

        o[..., nope:] = apply_rope(o[..., nope:], pos, freqs, inverse=True)   # de-rotate at t
        # Grouped output projection: group g's H/G heads -> o_lora values through wo_a[g].
        G, R = cfg.o_groups, cfg.o_lora_rank
        og = o.reshape(N, G, H // G * D)
        wo_a = w[a + "wo_a.weight"].reshape(G, R, H // G * D)
        if self.precision == "deploy":                        # wo_a runs in bf16
            og = round_to_bf16(og)
        mid = (og.transpose(1, 0, 2) @ wo_a.transpose(0, 2, 1)).transpose(1, 0, 2)   # [N, G, R]
        if self.precision == "deploy":
            mid = round_to_bf16(mid)
        return self._gemm(mid.reshape(N, G * R), a + "wo_b.weight")

    # --- compressor (spec 3.3) ----------------------------------------------------------------
    def _compress(self, L, cs: CompressorState, x, p0, which):
        """Feed the new tokens (x [s, d], positions p0..) to a compressor; append an entry for
        every block completed. which: 'main' (hd = D) or 'indexer' (hd = ID, ratio 4)."""
        cfg = self.cfg
        pre = f"layers.{L}.attn." + ("compressor." if which == "main" else "indexer.compressor.")
        ratio = cfg.ratio(L) if which == "main" else 4
        overlap = ratio == 4
        hd = cfg.head_dim if which == "main" else cfg.index_head_dim
        r = cfg.rope_head_dim
        ape = self.w[pre + "ape"]
        pos = np.arange(p0, p0 + x.shape[0])
        kv = x @ self.w[pre + "wkv.weight"].T                             # fp32, BF16 weights
        gate = x @ self.w[pre + "wgate.weight"].T + ape[pos % ratio]
        rows_kv = np.concatenate([cs.block_kv, kv])
        rows_gate = np.concatenate([cs.block_gate, gate])
        n_blocks = rows_kv.shape[0] // ratio
        new = []
        for b in range(n_blocks):
            i = cs.entries.shape[0] + len(new)                            # entry index
            blk_kv = rows_kv[b * ratio:(b + 1) * ratio]
            blk_gate = rows_gate[b * ratio:(b + 1) * ratio]
            if overlap:
                # Entry i pools the A halves of block i-1 and the B halves of block i.
                slots_kv, slots_gate = blk_kv[:, hd:], blk_gate[:, hd:]
                if cs.prev_a_kv is not None:
                    slots_kv = np.concatenate([cs.prev_a_kv, slots_kv])
                    slots_gate = np.concatenate([cs.prev_a_gate, slots_gate])
                cs.prev_a_kv, cs.prev_a_gate = blk_kv[:, :hd].copy(), blk_gate[:, :hd].copy()
            else:
                slots_kv, slots_gate = blk_kv, blk_gate
            c = np.sum(softmax(slots_gate, axis=0) * slots_kv, axis=0)   # per-channel softmax
            c = rmsnorm(c, self.w[pre + "norm.weight"], cfg.norm_eps)[None, :]
            c[:, hd - r:] = apply_rope(c[:, hd - r:], np.array([i * ratio]), self.freqs_compress)
            if which == "main":
                c = self._store_kv(c)
            elif self.precision == "deploy":
                c = quantize_blocks(c @ self.hadamard, 32, "e2m1")
            new.append(c)
        rest = n_blocks * ratio
        cs.block_kv, cs.block_gate = rows_kv[rest:].copy(), rows_gate[rest:].copy()
        if new:
            cs.entries = np.concatenate([cs.entries] + new)

    # --- lightning indexer (spec 3.4) -----------------------------------------------------------
    def _indexer_select(self, L, ls, x, qr, p0, trace):
        """For each new query: indices of the top min(index_topk, count) compressed entries."""
        cfg, a = self.cfg, f"layers.{L}.attn.indexer."
        IH, ID, r = cfg.index_n_heads, cfg.index_head_dim, cfg.rope_head_dim
        s = x.shape[0]
        pos = np.arange(p0, p0 + s)
        self._compress(L, ls.indexer, x, p0, "indexer")
        keys = ls.indexer.entries
        qI = self._gemm(qr, a + "wq_b.weight").reshape(s, IH, ID)
        qI[..., ID - r:] = apply_rope(qI[..., ID - r:], pos, self.freqs_compress)
        if self.precision == "deploy":
            qI = quantize_blocks(qI @ self.hadamard, 32, "e2m1")
        weights = (x @ self.w[a + "weights_proj.weight"].T) * (ID ** -0.5 * IH ** -0.5)
        selected, margins = [], []
        for j0 in range(0, s, QUERY_BLOCK):
            j1 = min(s, j0 + QUERY_BLOCK)
            # I[t, i] = sum_h w[t,h] * relu(qI[t,h] . kI[i])   (all entries; masked per query)
            relu = np.maximum(qI[j0:j1] @ keys.T, 0.0)                       # [s, IH, E]
            scores = (weights[j0:j1, None, :] @ relu)[:, 0]                  # [s, E]
            for j in range(j0, j1):
                count = (pos[j] + 1) // 4                   # entries i < (t+1)/4 are visible
                k = min(cfg.index_topk, count)
                score = scores[j - j0, :count]
                top = np.argpartition(-score, k - 1)[:k] if 0 < k < count else np.arange(k)
                selected.append(np.sort(top))
                if trace is not None and k < count:
                    # How far the selection is from flipping: the gap between the k-th and
                    # (k+1)-th score relative to the largest |score| (tests keep it well above
                    # rounding so that implementations cannot disagree on the set).
                    order = np.sort(score)[::-1]
                    margins.append((order[k - 1] - order[k]) / max(np.max(np.abs(score)), 1e-30))
        if trace is not None:
            trace.setdefault("indexer", {}).setdefault(L, []).extend(selected)
            trace.setdefault("margin", []).extend(margins)
        return selected

    # --- MoE (spec 3.5) -------------------------------------------------------------------------
    def _expert(self, prefix, x, route_weight=None):
        """SwiGLU expert with clamp: w2(silu(min(w1 x, limit)) * clamp(w3 x, +-limit))."""
        lim = self.cfg.swiglu_limit
        g = np.minimum(self._gemm(x, prefix + "w1.weight"), lim)
        u = np.clip(self._gemm(x, prefix + "w3.weight"), -lim, lim)
        h = silu(g) * u
        if route_weight is None:
            return self._gemm(h, prefix + "w2.weight")
        if self.precision == "deploy":
            # The released program scales silu(g)*u before w2 (and its fp8 activation quant).
            return self._gemm(h * route_weight[:, None], prefix + "w2.weight")
        # transformers scales the expert output; the same up to rounding.
        return self._gemm(h, prefix + "w2.weight") * route_weight[:, None]

    def _moe(self, L, x, ids, trace):
        cfg, f = self.cfg, f"layers.{L}.ffn."
        logits = x @ self.w[f + "gate.weight"].T                          # fp32 [N, experts]
        if cfg.score_func == "sqrtsoftplus":
            score = np.sqrt(np.logaddexp(0.0, logits).astype(self.dtype))
        elif cfg.score_func == "sigmoid":
            score = sigmoid(logits)
        else:
            score = softmax(logits, axis=-1)
        k = cfg.n_activated_experts
        if cfg.is_hash_layer(L):
            sel = self.w[f + "gate.tid2eid"][ids]                         # hash routing
        else:
            biased = score + self.w[f + "gate.bias"]                      # bias: selection only
            sel = np.argsort(-biased, axis=-1, kind="stable")[:, :k]
            if trace is not None and k < cfg.n_routed_experts:
                order = -np.sort(-biased, axis=-1)
                gap = (order[:, k - 1] - order[:, k]) / np.max(np.abs(biased), axis=-1)
                trace.setdefault("margin", []).extend(gap.tolist())
        weight = np.take_along_axis(score, sel, axis=-1)
        if cfg.score_func != "softmax":  # the released program renormalizes all but softmax
            weight = weight / np.sum(weight, axis=-1, keepdims=True)
        weight = weight * cfg.route_scale
        if trace is not None:
            trace.setdefault("moe", {})[L] = sel.copy()
        out = np.zeros_like(x)
        for e in range(cfg.n_routed_experts):
            rows, slot = np.nonzero(sel == e)
            if rows.size:   # np.add.at: a malformed tid2eid row may name an expert twice
                np.add.at(out, rows, self._expert(f + f"experts.{e}.", x[rows], weight[rows, slot]))
        return out + self._expert(f + "shared_experts.", x)

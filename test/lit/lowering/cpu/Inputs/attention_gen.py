#!/usr/bin/env python3
"""Writes ../attention.mlir: inputs as dense constants and the expected values as FileCheck
lines, computed with the numpy reference (test/reference/ds4ref) independently of the
lowering. Run from anywhere:  python3 test/lit/lowering/cpu/Inputs/attention_gen.py

The compressor is checked with the reference's own `Model._compress` (state handling:
pending block, overlap, prefill continuing a partial block), attention with the reference's
`attend_with_sink` and the window history of `Model._attention`, the indexer scores with the
formula of `Model._indexer_select`.

Printed values are matched to 6 significant digits; where float32 rounding (summation order,
libm) could move the last printed digit, the line accepts every rendering within a relative
3e-6 of the reference value.
"""

from __future__ import annotations

import math
import os
import sys
from types import SimpleNamespace

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "reference"))

from ds4ref.model import (CompressorState, Model, attend_with_sink,  # noqa: E402
                          rope_frequencies)
from ds4ref.numerics import hadamard, quantize_blocks, round_to_bf16  # noqa: E402

rng = np.random.default_rng(4)
f32 = np.float32


def rand(*shape, scale=1.0):
    """Inputs with two decimals (exactly what the MLIR parser reads back)."""
    return np.round(rng.normal(size=shape) * scale, 2).astype(f32)


# --- MLIR text helpers ------------------------------------------------------------------------

def tensor_type(shape, elem):
    return "tensor<" + "x".join(str(s) for s in shape) + "x" + elem + ">"


def fmt_elem(v, elem):
    if elem.startswith("i"):
        return str(int(v))
    # The shortest decimal that reads back as this float32.
    return np.format_float_positional(np.float32(v), unique=True, trim="0")


def nested(a, elem):
    if a.ndim == 0:
        return fmt_elem(a, elem)
    return "[" + ", ".join(nested(x, elem) for x in a) + "]"


def g6(v):
    """C++ ostream rendering of a float (what printMemrefF32 prints)."""
    v = float(v)
    if math.isinf(v):
        return "-inf" if v < 0 else "inf"
    if math.isnan(v):
        return "nan"
    return format(v, ".6g")


def value_pattern(v, scale=1.0):
    """v as printed, or every rendering within 3e-6 * |v| + 1e-6 * scale (scale: the largest
    magnitude in the printed array, for values that come out of cancellation)."""
    v = float(v)
    if v == 0.0:
        return "{{-?0}}"
    if math.isinf(v) or math.isnan(v):
        return g6(v)
    if abs(v) < 1e-4 * scale:
        return "{{-?[0-9.]+(e-[0-9]+)?}}"
    delta = 3e-6 * abs(v) + 1e-6 * scale
    renders = sorted({g6(v + x) for x in np.linspace(-delta, delta, 201)} | {g6(v)})
    if len(renders) == 1:
        return renders[0]
    return "{{(" + "|".join(r.replace(".", "\\.").replace("+", "\\+") for r in renders) + ")}}"


class Writer:
    def __init__(self):
        self.lines = []
        self.extra = []   # functions emitted after the sections
        self.n = 0

    def emit(self, line=""):
        self.lines.append(line)

    def fresh(self, base):
        self.n += 1
        return f"%{base}{self.n}"

    def const(self, arr, elem="f32", name="c"):
        """A dense constant; large ones come from a function of their own (one huge block
        of element stores is slow to compile)."""
        v = self.fresh(name)
        tt = tensor_type(arr.shape, elem)
        dense = f"dense<{nested(np.asarray(arr), elem)}> : {tt}"
        if arr.size < 128:
            self.emit(f"  {v} = arith.constant {dense}")
            return v
        fn = "@const_" + v[1:]
        self.extra.append(f"func.func private {fn}() -> {tt} {{\n"
                          f"  %c = arith.constant {dense}\n  return %c : {tt}\n}}\n")
        self.emit(f"  {v} = call {fn}() : () -> {tt}")
        return v

    def state(self, arr, state_type, name="s"):
        """A state built from a buffer filled with `arr` (test-only cast, see the header);
        all-zero states are filled by @zero instead of a constant."""
        mt = "memref<" + "x".join(str(s) for s in arr.shape) + "xf32>"
        m = self.fresh("buf")
        if not np.any(arr):
            self.emit(f"  {m} = memref.alloc() : {mt}")
            d = self.fresh("dyn")
            self.emit(f"  {d} = memref.cast {m} : {mt} to memref<?x?x?xf32>")
            self.emit(f"  call @zero({d}) : (memref<?x?x?xf32>) -> ()")
        else:
            t = self.const(arr, "f32", name="init")
            self.emit(f"  {m} = bufferization.to_buffer {t} : {tensor_type(arr.shape, 'f32')} to {mt}")
        s = self.fresh(name)
        self.emit(f"  {s} = builtin.unrealized_conversion_cast {m} : {mt} to {state_type}")
        return s

    def print_tensor(self, v, shape, elem="f32"):
        m = self.fresh("m")
        mt = "memref<" + "x".join(str(s) for s in shape) + "x" + elem + ">"
        self.emit(f"  {m} = bufferization.to_buffer {v} : {tensor_type(shape, elem)} to {mt}")
        self._print(m, mt, elem)

    def print_state(self, v, shape, state_type):
        m = self.fresh("m")
        mt = "memref<" + "x".join(str(s) for s in shape) + "xf32>"
        self.emit(f"  {m} = builtin.unrealized_conversion_cast {v} : {state_type} to {mt}")
        self._print(m, mt, "f32")

    def _print(self, m, mt, elem):
        u = self.fresh("u")
        fn = "printMemrefF32" if elem == "f32" else "printMemrefI32"
        self.emit(f"  {u} = memref.cast {m} : {mt} to memref<*x{elem}>")
        self.emit(f"  call @{fn}({u}) : (memref<*x{elem}>) -> ()")

    def check(self, expected, comment=None, ints=False):
        """FileCheck lines for a printed array: the header, then one line per innermost row."""
        if comment:
            for c in comment.split("\n"):
                self.emit(f"  // {c}")
        e = np.asarray(expected)
        finite = np.abs(e[np.isfinite(e)]) if not ints else np.zeros(1)
        scale = float(finite.max()) if finite.size else 1.0
        self.emit("  // CHECK: sizes = [" + ", ".join(str(s) for s in e.shape) + "]")
        for row in e.reshape(-1, e.shape[-1]):
            pats = [str(int(x)) if ints else value_pattern(x, scale) for x in row]
            self.emit("  // CHECK-NEXT: [" + ",{{ +}}".join(pats) + "]")


# --- reference pieces -------------------------------------------------------------------------

W, D, R, H = 4, 8, 4, 2            # window rows, head dim, rope dims, heads
SCALE = D ** -0.5
ROPE_CFG = SimpleNamespace(rope_head_dim=R, rope_theta=10000.0, compress_rope_theta=160000.0,
                           rope_factor=16.0, original_seq_len=65536, beta_fast=32.0,
                           beta_slow=1.0)
FREQS = rope_frequencies(ROPE_CFG, compressed=True)
ROPE_ATTR = ("#ds4.rope<theta = 160000.0, dims = 4, yarn = #ds4.yarn<factor = 16.0, "
             "original = 65536, beta_fast = 32.0, beta_slow = 1.0>>")


def fake_model(ratio, hd, precision, rope=R, index_hd=None):
    """Just enough of ds4ref.model.Model for Model._compress: weights wkv = [I 0], wgate = [0 I]
    make the projections of x = [kv | gate] the given kv and gate exactly."""
    cfg = SimpleNamespace(ratio=lambda L: ratio, head_dim=hd, index_head_dim=index_hd or hd,
                          rope_head_dim=rope, norm_eps=1e-6, nope_dim=hd - rope)
    m = SimpleNamespace(cfg=cfg, precision=precision, freqs_compress=FREQS,
                        hadamard=hadamard(index_hd or hd).astype(f32), w={})
    m._store_kv = lambda kv: Model._store_kv(m, kv)
    return m


def set_compressor_weights(m, which, cw, ape, norm):
    pre = "layers.0.attn." + ("compressor." if which == "main" else "indexer.compressor.")
    eye = np.eye(cw, dtype=f32)
    zero = np.zeros((cw, cw), f32)
    m.w[pre + "wkv.weight"] = np.concatenate([eye, zero], axis=1)
    m.w[pre + "wgate.weight"] = np.concatenate([zero, eye], axis=1)
    m.w[pre + "ape"] = ape
    m.w[pre + "norm.weight"] = norm


def new_cstate(hd, cw):
    return CompressorState(np.zeros((0, hd), f32), np.zeros((0, cw), f32),
                           np.zeros((0, cw), f32))


def compress(m, which, cs, kv, gate, p0):
    Model._compress(m, 0, cs, np.concatenate([kv, gate], axis=1), p0, which)


def block_layout(blk, kv, gate, ape, p0, ratio, overlap):
    """The block state layout ds4.compressor documents, after the tokens p0, p0+1, ...:
    row p mod ratio holds [kv | gate + ape[p mod ratio]] of token p; with overlap,
    completing a block copies rows [0, ratio) to [ratio, 2*ratio)."""
    for j in range(kv.shape[0]):
        p = p0 + j
        blk[p % ratio] = np.concatenate([kv[j], gate[j] + ape[p % ratio]])
        if overlap and (p + 1) % ratio == 0:
            blk[ratio:2 * ratio] = blk[:ratio]


def attention_segment(ring, p0, q, kv, entries, kind, ratio, selected, sink):
    """One batch row of Model._attention from its window ring (the state before the call):
    the same history, entry set and attend_with_sink call."""
    s = q.shape[0]
    n_old = min(p0, W - 1)
    old = np.array([ring[p % W] for p in range(p0 - n_old, p0)], dtype=f32).reshape(n_old, D)
    hist = np.concatenate([old, kv])
    first = p0 - n_old
    if entries is None:
        entries = np.zeros((0, D), f32)
    t = np.arange(p0, p0 + s)[:, None]
    lo, hi = max(first, int(t[0, 0]) - W + 1), int(t[-1, 0]) + 1
    keys = np.concatenate([hist[lo - first:hi - first], entries])
    hist_pos = np.arange(lo, hi)
    window = (hist_pos[None, :] <= t) & (hist_pos[None, :] > t - W)
    if kind == "hca":
        compressed = np.arange(len(entries))[None, :] < (t + 1) // ratio
    else:
        compressed = np.zeros((s, len(entries)), dtype=bool)
        if kind == "csa":
            for row, sel in enumerate(selected):
                compressed[row, [i for i in sel if i >= 0]] = True
    visible = np.concatenate([window, compressed], axis=1)
    return attend_with_sink(q, keys, visible, sink, SCALE)


def window_update(ring, p0, kv):
    s = kv.shape[0]
    for j in range(max(0, s - W), s):
        ring[(p0 + j) % W] = kv[j]


# --- the test ---------------------------------------------------------------------------------

w = Writer()
HEADER = """\
// Numerics of the CPU lowering of the attention ops (window_update, compressor,
// indexer_score, topk, sparse_attention), executed on the host.
// GENERATED by Inputs/attention_gen.py: the expected values come from the numpy
// reference (test/reference/ds4ref: Model._compress, attend_with_sink, the window
// history of Model._attention), not from the lowering. Edit the script, not this file.
//
// States are built from filled buffers with builtin.unrealized_conversion_cast
// (memref -> !ds4.state, the type the state converts to), and printed through
// the reverse cast; the lowering folds both casts away.
// RUN: ds4-opt %s --ds4-cpu-bufferize --ds4-cpu-to-llvm | %run_cpu | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefI32(memref<*xi32>)

func.func @zero(%m: memref<?x?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %d0 = memref.dim %m, %c0 : memref<?x?x?xf32>
  %d1 = memref.dim %m, %c1 : memref<?x?x?xf32>
  %d2 = memref.dim %m, %c2 : memref<?x?x?xf32>
  scf.for %i = %c0 to %d0 step %c1 {
    scf.for %j = %c0 to %d1 step %c1 {
      scf.for %k = %c0 to %d2 step %c1 {
        memref.store %zero, %m[%i, %j, %k] : memref<?x?x?xf32>
      }
    }
  }
  return
}
"""


def positions_tensor(rows):
    return w.const(np.array(rows, dtype=np.int64), "i64", name="pos")


def slots_tensor(slots):
    return w.const(np.array(slots, dtype=np.int32), "i32", name="slots")


def t_type(shape, elem="f32"):
    return tensor_type(shape, elem)


# ===== 1. sliding window: window_update + sparse_attention (no compressed entries) =============

def section_window():
    w.emit("  // ===== Sliding window (W = 4): prefill past the window, a second slot,")
    w.emit("  // batched decode of two slots at different positions (wrap-around), then")
    w.emit("  // a prefill continuing slot 1 that reads the ring and this call's kv.")
    wt = "!ds4.state<window, 2x4x8, f32>"
    win = w.state(np.zeros((2, W, D), f32), wt, "win")
    rings = np.zeros((2, W, D), f32)
    sink = rand(H)
    sink_v = w.const(sink, name="sink")
    # (batch rows as (slot, first position), tokens per row)
    calls = [([(0, 0)], 5), ([(1, 0)], 2), ([(1, 2), (0, 5)], 1), ([(1, 3)], 6)]
    for rows, s in calls:
        B = len(rows)
        q, kv = rand(B, s, H, D), rand(B, s, D)
        qv, kvv = w.const(q, name="q"), w.const(kv, name="kv")
        pos = positions_tensor([[p0 + j for j in range(s)] for _, p0 in rows])
        sl = slots_tensor([slot for slot, _ in rows])
        o = w.fresh("o")
        w.emit(f"  {o} = ds4.sparse_attention {qv}, {kvv} window {win} sink {sink_v} at {pos} "
               f"slots {sl} {{scale = {SCALE!r} : f64}}")
        w.emit(f"      : ({t_type((B, s, H, D))}, {t_type((B, s, D))}, {wt}, {t_type((H,))}, "
               f"{t_type((B, s), 'i64')}, {t_type((B,), 'i32')}) -> {t_type((B, s, H, D))}")
        expected = np.stack([attention_segment(rings[slot], p0, q[b], kv[b], None, "swa", 0,
                                               None, sink) for b, (slot, p0) in enumerate(rows)])
        new = w.fresh("win")
        w.emit(f"  {new} = ds4.window_update {kvv} into {win} at {pos} slots {sl} : "
               f"{t_type((B, s, D))}, {t_type((B, s), 'i64')}, {t_type((B,), 'i32')}, {wt}")
        win = new
        for b, (slot, p0) in enumerate(rows):
            window_update(rings[slot], p0, kv[b])
        w.print_tensor(o, (B, s, H, D))
        w.check(expected, f"attention, rows (slot, first position) {rows}, {s} token(s) each")
    w.print_state(win, (2, W, D), wt)
    w.check(rings, "the rings: position p in row p mod 4 (later tokens overwrite)")


# ===== 2. compressors ============================================================================

def section_csa_compressor():
    w.emit("  // ===== CSA compressor (ratio 4, overlap, hd = 8, rope 4 with YaRN).")
    w.emit("  // Slot 0: prefill 0..5 from empty (entry 0 without A slots, 4..5 pending),")
    w.emit("  // prefill 6..10 continuing it (entry 1 pools block 0's A halves and the")
    w.emit("  // pending rows), decode at 11 (entry 2). Slot 1: prefill 0..2, decode at 3")
    w.emit("  // in the same batch as slot 0's (entry 0). Rows never completed stay 0.")
    ratio, hd = 4, D
    cw = 2 * hd
    bt = f"!ds4.state<compressor, 2x8x{2 * cw}, f32, ratio = 4>"
    et = "!ds4.state<compressed, 2x4x8, f32, ratio = 4>"
    ape, norm = rand(ratio, cw), (1.0 + rand(hd, scale=0.2)).astype(f32)
    m = fake_model(ratio, hd, "exact")
    set_compressor_weights(m, "main", cw, ape, norm)
    block = w.state(np.zeros((2, 2 * ratio, 2 * cw), f32), bt, "blk")
    ent = w.state(np.zeros((2, 4, hd), f32), et, "ent")
    ape_v, norm_v = w.const(ape, name="ape"), w.const(norm.astype(f32), name="norm")
    states = [new_cstate(hd, cw), new_cstate(hd, cw)]
    blocks = np.zeros((2, 2 * ratio, 2 * cw), f32)
    calls = [([(0, 0)], 6), ([(1, 0)], 3), ([(0, 6)], 5), ([(0, 11), (1, 3)], 1)]
    for rows, s in calls:
        B = len(rows)
        kv, gate = rand(B, s, cw), rand(B, s, cw)
        kvv, gv = w.const(kv, name="ckv"), w.const(gate, name="cgate")
        pos = positions_tensor([[p0 + j for j in range(s)] for _, p0 in rows])
        sl = slots_tensor([slot for slot, _ in rows])
        e2, b2 = w.fresh("ent"), w.fresh("blk")
        w.emit(f"  {e2}, {b2} = ds4.compressor {kvv}, {gv}, {ape_v}, {norm_v} at {pos} slots "
               f"{sl} state({block}, {ent}) {{ratio = 4 : i64, overlap, rope = {ROPE_ATTR}, "
               f"eps = 1.0e-6 : f64}}")
        w.emit(f"      : {t_type((B, s, cw))}, {t_type((B, s, cw))}, {t_type((ratio, cw))}, "
               f"{t_type((hd,))}, {t_type((B, s), 'i64')}, {t_type((B,), 'i32')}, {bt}, {et}")
        ent, block = e2, b2
        for b, (slot, p0) in enumerate(rows):
            compress(m, "main", states[slot], kv[b], gate[b], p0)
            block_layout(blocks[slot], kv[b], gate[b], ape, p0, ratio, True)
    expected = np.zeros((2, 4, hd), f32)
    for slot in range(2):
        e = states[slot].entries
        expected[slot, :len(e)] = e
    assert [len(s.entries) for s in states] == [3, 1]
    w.print_state(ent, (2, 4, hd), et)
    w.check(expected, "entries: slot 0 rows 0..2, slot 1 row 0")
    w.print_state(block, (2, 2 * ratio, 2 * cw), bt)
    w.check(blocks, "block state: pending rows 0..3, the last complete block in rows 4..7")


def section_hca_compressor():
    w.emit("  // ===== HCA compressor (ratio 8, no overlap): slot 0 prefill 0..9 (entry 0,")
    w.emit("  // 8..9 pending), then a batch of 6 tokens: slot 0 at 10..15 (entry 1 from the")
    w.emit("  // pending rows and the new ones) and slot 1 at 0..5 (no entry).")
    ratio, hd = 8, D
    cw = hd
    bt = f"!ds4.state<compressor, 2x8x{2 * cw}, f32, ratio = 8>"
    et = "!ds4.state<compressed, 2x3x8, f32, ratio = 8>"
    ape, norm = rand(ratio, cw), (1.0 + rand(hd, scale=0.2)).astype(f32)
    m = fake_model(ratio, hd, "exact")
    set_compressor_weights(m, "main", cw, ape, norm)
    block = w.state(np.zeros((2, ratio, 2 * cw), f32), bt, "hblk")
    ent = w.state(np.zeros((2, 3, hd), f32), et, "hent")
    ape_v, norm_v = w.const(ape, name="ape"), w.const(norm, name="norm")
    states = [new_cstate(hd, cw), new_cstate(hd, cw)]
    blocks = np.zeros((2, ratio, 2 * cw), f32)
    for rows, s in [([(0, 0)], 10), ([(0, 10), (1, 0)], 6)]:
        B = len(rows)
        kv, gate = rand(B, s, cw), rand(B, s, cw)
        kvv, gv = w.const(kv, name="hkv"), w.const(gate, name="hgate")
        pos = positions_tensor([[p0 + j for j in range(s)] for _, p0 in rows])
        sl = slots_tensor([slot for slot, _ in rows])
        e2, b2 = w.fresh("hent"), w.fresh("hblk")
        w.emit(f"  {e2}, {b2} = ds4.compressor {kvv}, {gv}, {ape_v}, {norm_v} at {pos} slots "
               f"{sl} state({block}, {ent}) {{ratio = 8 : i64, rope = {ROPE_ATTR}, "
               f"eps = 1.0e-6 : f64}}")
        w.emit(f"      : {t_type((B, s, cw))}, {t_type((B, s, cw))}, {t_type((ratio, cw))}, "
               f"{t_type((hd,))}, {t_type((B, s), 'i64')}, {t_type((B,), 'i32')}, {bt}, {et}")
        ent, block = e2, b2
        for b, (slot, p0) in enumerate(rows):
            compress(m, "main", states[slot], kv[b], gate[b], p0)
            block_layout(blocks[slot], kv[b], gate[b], ape, p0, ratio, False)
    expected = np.zeros((2, 3, hd), f32)
    for slot in range(2):
        expected[slot, :len(states[slot].entries)] = states[slot].entries
    assert [len(s.entries) for s in states] == [2, 0]
    w.print_state(ent, (2, 3, hd), et)
    w.check(expected, "entries: slot 0 rows 0..1")
    w.print_state(block, (2, ratio, 2 * cw), bt)
    w.check(blocks, "block state: slot 0 rows of 8..15, slot 1 rows 0..5 (6, 7 never written)")


def section_indexer_compressor_fp4():
    w.emit("  // ===== Deploy-mode indexer compressor: ratio 4, overlap, rotate (Hadamard of")
    w.emit("  // size 32), fp4 storage (e2m1 blocks of 32): prefill 0..8 from empty, two")
    w.emit("  // entries, one pending token. Reference: Model._compress(which='indexer').")
    ratio, hd = 4, 32
    cw = 2 * hd
    bt = f"!ds4.state<compressor, 1x8x{2 * cw}, f32, ratio = 4>"
    et = "!ds4.state<indexer_keys, 1x3x32, fp4, ratio = 4>"
    ape, norm = rand(ratio, cw), (1.0 + rand(hd, scale=0.2)).astype(f32)
    m = fake_model(ratio, hd, "deploy", index_hd=hd)
    set_compressor_weights(m, "indexer", cw, ape, norm)
    block = w.state(np.zeros((1, 2 * ratio, 2 * cw), f32), bt, "iblk")
    ent = w.state(np.zeros((1, 3, hd), f32), et, "keys")
    ape_v, norm_v = w.const(ape, name="ape"), w.const(norm, name="norm")
    cs = new_cstate(hd, cw)
    s = 9
    kv, gate = rand(1, s, cw), rand(1, s, cw)
    kvv, gv = w.const(kv, name="ikv"), w.const(gate, name="igate")
    pos = positions_tensor([list(range(s))])
    sl = slots_tensor([0])
    e2, b2 = w.fresh("keys"), w.fresh("iblk")
    w.emit(f"  {e2}, {b2} = ds4.compressor {kvv}, {gv}, {ape_v}, {norm_v} at {pos} slots {sl} "
           f"state({block}, {ent}) {{ratio = 4 : i64, overlap, rotate, rope = {ROPE_ATTR}, "
           f"eps = 1.0e-6 : f64}}")
    w.emit(f"      : {t_type((1, s, cw))}, {t_type((1, s, cw))}, {t_type((ratio, cw))}, "
           f"{t_type((hd,))}, {t_type((1, s), 'i64')}, {t_type((1,), 'i32')}, {bt}, {et}")
    compress(m, "indexer", cs, kv[0], gate[0], 0)
    expected = np.zeros((1, 3, hd), f32)
    expected[0, :len(cs.entries)] = cs.entries
    assert len(cs.entries) == 2
    w.print_state(e2, (1, 3, hd), et)
    w.check(expected, "fp4 keys: rows 0..1 (values on the e2m1 grid times a power of two)")


# ===== 3. indexer scores and top-k ===============================================================

def section_indexer_topk():
    w.emit("  // ===== indexer_score + topk (k = 4, ratio 4) over 5 keys of slot 0 / slot 1.")
    w.emit("  // Rows (slot, positions): (1, 2..3): 0 then 1 visible entries; (0, 10..11):")
    w.emit("  // 2 then 3 (all selected, -1 padding); (0, 18..19): 4 (all) then 5 (top 4).")
    w.emit("  // Keys 1, 3 and 4 of slot 0 are zero (score 0): equal scores are listed by")
    w.emit("  // index, and at (0, 19) the tie at the cut keeps 1 and 3, drops 4.")
    IH, ID, rows, k = 2, 8, 5, 4
    scale = ID ** -0.5 * IH ** -0.5
    keys = rand(2, rows, ID)
    qs = rand(3, 2, IH, ID)
    # Keys 1, 3 and 4 of slot 0 are zero: their score is 0 for every query, so the
    # third pick of (0, 18..19) is a tie between them.
    keys[0, [1, 3, 4]] = 0.0
    # Keys 0 and 2 lean towards the queries of (0, 18..19), so they score above 0.
    lean = qs[2].reshape(-1, ID).sum(axis=0)
    keys[0, 0] = np.round(keys[0, 0] * 0.3 + lean * 0.5, 2)
    keys[0, 2] = np.round(keys[0, 2] * 0.3 + lean * 0.4, 2)
    weights = rand(3, 2, IH)
    weights[..., :] = np.abs(weights) + 0.1   # positive head weights
    kt = f"!ds4.state<indexer_keys, 2x{rows}x{ID}, f32, ratio = 4>"
    kst = w.state(keys, kt, "ikeys")
    qv, wv = w.const(qs, name="iq"), w.const(weights, name="iw")
    batch = [(1, 2), (0, 10), (0, 18)]
    posn = np.array([[p0, p0 + 1] for _, p0 in batch], dtype=np.int64)
    pos = positions_tensor(posn.tolist())
    sl = slots_tensor([slot for slot, _ in batch])
    sc, sel = w.fresh("scores"), w.fresh("sel")
    w.emit(f"  {sc} = ds4.indexer_score {qv}, {wv} keys {kst} at {pos} slots {sl} "
           f"{{scale = {scale!r} : f64}}")
    w.emit(f"      : {t_type((3, 2, IH, ID))}, {t_type((3, 2, IH))}, {kt}, {t_type((3, 2), 'i64')}, "
           f"{t_type((3,), 'i32')} -> {t_type((3, 2, rows))}")
    w.emit(f"  {sel} = ds4.topk {sc} at {pos} {{k = {k} : i64, ratio = 4 : i64}} : "
           f"{t_type((3, 2, rows))}, {t_type((3, 2), 'i64')} -> {t_type((3, 2, k), 'i32')}")
    # Model._indexer_select: I = sum_h (w * scale) * relu(qI . kI), i < (t+1)/4, else -inf.
    scores = np.full((3, 2, rows), -np.inf, f32)
    selected = np.full((3, 2, k), -1, np.int64)
    for b, (slot, _) in enumerate(batch):
        wts = weights[b] * f32(scale)                              # [s, IH]
        relu = np.maximum(qs[b] @ keys[slot].T, 0.0)               # [s, IH, E]
        full = (wts[:, None, :] @ relu)[:, 0]                      # [s, E]
        for j in range(2):
            count = (posn[b, j] + 1) // 4
            scores[b, j, :count] = full[j, :count]
            kk = min(k, count)
            order = np.argsort(-scores[b, j, :count], kind="stable")[:kk]
            # The first kk of the stable descending sort, written in index order.
            selected[b, j, :kk] = np.sort(order)
    assert (scores[2, :, 0] > 0).all() and (scores[2, :, 2] > 0).all()
    assert selected[2, 0].tolist() == [0, 1, 2, 3] and selected[2, 1].tolist() == [0, 1, 2, 3]
    w.print_tensor(sc, (3, 2, rows))
    w.check(scores, "scores (-inf past the causal limit)")
    w.print_tensor(sel, (3, 2, k), "i32")
    w.check(selected, "selection: the largest scores (ties to the lower index) in index "
            "order, -1 padding",
            ints=True)


# ===== 4. sparse attention with compressed entries ================================================

def section_compressed_attention():
    w.emit("  // ===== sparse_attention with compressed entries, ring states given.")
    w.emit("  // HCA (ratio 8): slot 0 at 6..7 (no entry yet, then entry 0), slot 1 at")
    w.emit("  // 16..17 (entries 0..1). CSA (ratio 4): the same queries with selections")
    w.emit("  // holding -1 (and all -1: window only).")
    ring = rand(2, W, D)
    batch = [(0, 6), (1, 16)]
    s = 2
    q, kv, sink = rand(2, s, H, D), rand(2, s, D), rand(H)
    hent = rand(2, 3, D)
    cent = rand(2, 5, D)
    wt = "!ds4.state<window, 2x4x8, f32>"
    ht = "!ds4.state<compressed, 2x3x8, f32, ratio = 8>"
    ct = "!ds4.state<compressed, 2x5x8, f32, ratio = 4>"
    win = w.state(ring, wt, "ring")
    hst = w.state(hent, ht, "hcae")
    cst = w.state(cent, ct, "csae")
    qv, kvv, sv = w.const(q, name="q"), w.const(kv, name="kv"), w.const(sink, name="sink")
    pos = positions_tensor([[p0, p0 + 1] for _, p0 in batch])
    sl = slots_tensor([slot for slot, _ in batch])
    # CSA selections: row 0 (t = 6, 7: 1 and 2 visible entries), row 1 (t = 16, 17: 4).
    select = np.array([[[-1, -1, -1], [1, -1, 0]], [[3, 0, -1], [2, 1, 3]]], np.int32)
    selv = w.const(select, "i32", name="select")
    oh, oc = w.fresh("oh"), w.fresh("oc")
    w.emit(f"  {oh} = ds4.sparse_attention {qv}, {kvv} window {win} entries {hst} sink {sv} "
           f"at {pos} slots {sl} {{scale = {SCALE!r} : f64}}")
    w.emit(f"      : ({t_type((2, s, H, D))}, {t_type((2, s, D))}, {wt}, {ht}, {t_type((H,))}, "
           f"{t_type((2, s), 'i64')}, {t_type((2,), 'i32')}) -> {t_type((2, s, H, D))}")
    w.emit(f"  {oc} = ds4.sparse_attention {qv}, {kvv} window {win} entries {cst} select {selv} "
           f"sink {sv} at {pos} slots {sl} {{scale = {SCALE!r} : f64}}")
    w.emit(f"      : ({t_type((2, s, H, D))}, {t_type((2, s, D))}, {wt}, {ct}, "
           f"{t_type((2, s, 3), 'i32')}, {t_type((H,))}, {t_type((2, s), 'i64')}, "
           f"{t_type((2,), 'i32')}) -> {t_type((2, s, H, D))}")
    exp_h = np.stack([attention_segment(ring[slot], p0, q[b], kv[b], hent[slot], "hca", 8, None,
                                        sink) for b, (slot, p0) in enumerate(batch)])
    exp_c = np.stack([attention_segment(ring[slot], p0, q[b], kv[b], cent[slot], "csa", 4,
                                        select[b], sink) for b, (slot, p0) in enumerate(batch)])
    # HCA again with entries whose rows are dynamic, as in compiled models (their count is
    # a runtime size): the lowering then keeps no per-query scratch row and recomputes the
    # logits in each pass; the values must be the same.
    dt = "!ds4.state<compressed, ?x?x8, f32, ratio = 8>"
    hm, hd_, hdst, ohd = w.fresh("hbuf"), w.fresh("hdyn"), w.fresh("hcaed"), w.fresh("ohd")
    w.emit(f"  {hm} = builtin.unrealized_conversion_cast {hst} : {ht} to memref<2x3x8xf32>")
    w.emit(f"  {hd_} = memref.cast {hm} : memref<2x3x8xf32> to memref<?x?x8xf32>")
    w.emit(f"  {hdst} = builtin.unrealized_conversion_cast {hd_} : memref<?x?x8xf32> to {dt}")
    w.emit(f"  {ohd} = ds4.sparse_attention {qv}, {kvv} window {win} entries {hdst} sink {sv} "
           f"at {pos} slots {sl} {{scale = {SCALE!r} : f64}}")
    w.emit(f"      : ({t_type((2, s, H, D))}, {t_type((2, s, D))}, {wt}, {dt}, {t_type((H,))}, "
           f"{t_type((2, s), 'i64')}, {t_type((2,), 'i32')}) -> {t_type((2, s, H, D))}")
    w.print_tensor(oh, (2, s, H, D))
    w.check(exp_h, "HCA attention")
    w.print_tensor(oc, (2, s, H, D))
    w.check(exp_c, "CSA attention")
    w.print_tensor(ohd, (2, s, H, D))
    w.check(exp_h, "HCA attention, entries of dynamic rows")


# ===== 5. fp8_nope window storage =================================================================

def section_fp8_window():
    w.emit("  // ===== fp8_nope window storage (D = 68: 64 nope dims rounded through e4m3")
    w.emit("  // with a power-of-two block scale, 4 rope dims to bf16); one token at")
    w.emit("  // position 5 of a 2-row ring lands in row 1.")
    Dw = 68
    wt = f"!ds4.state<window, 1x2x{Dw}, fp8_nope, rope = 4>"
    win = w.state(np.zeros((1, 2, Dw), f32), wt, "fwin")
    kv = (rng.normal(size=(1, 1, Dw)) * 3).astype(f32)
    kv = np.round(kv, 3).astype(f32)
    kvv = w.const(kv, name="fkv")
    pos = positions_tensor([[5]])
    sl = slots_tensor([0])
    new = w.fresh("fwin")
    w.emit(f"  {new} = ds4.window_update {kvv} into {win} at {pos} slots {sl} : "
           f"{t_type((1, 1, Dw))}, {t_type((1, 1), 'i64')}, {t_type((1,), 'i32')}, {wt}")
    stored = np.zeros((1, 2, Dw), f32)
    row = kv[0, 0]
    stored[0, 1, :64] = quantize_blocks(row[None, :64], 64, "e4m3")[0]   # Model._store_kv
    stored[0, 1, 64:] = round_to_bf16(row[64:])
    w.print_state(new, (1, 2, Dw), wt)
    w.check(stored, "row 1: the stored (rounded) kv")


w.emit(HEADER)
# One function per section (small functions compile faster than one huge block).
SECTIONS = [section_window, section_csa_compressor, section_hca_compressor,
            section_indexer_compressor_fp4, section_indexer_topk,
            section_compressed_attention, section_fp8_window]
for section in SECTIONS:
    w.emit(f"func.func @{section.__name__}() {{")
    section()
    w.emit("  return")
    w.emit("}")
    w.emit()
for text in w.extra:
    w.emit(text)
w.emit("func.func @main() {")
for section in SECTIONS:
    w.emit(f"  call @{section.__name__}() : () -> ()")
w.emit("  return")
w.emit("}")

out = os.path.join(HERE, "..", "attention.mlir")
with open(out, "w") as f:
    f.write("\n".join(w.lines) + "\n")
print("wrote", os.path.normpath(out))

#!/usr/bin/env python3
"""ds4.topk on adversarial rows, checked against a numpy/python statement of the op's
semantics (the doc comment of TopKLowering, lowering/cpu/TopkToLoops.cpp):

  count = min((t+1) // ratio, N), kk = min(k, count): the first kk indices of the stable
  descending sort of scores[b, j, :count] (ties to the lower index; NaN after every number,
  among themselves by index; -0.0 == +0.0), written in index order, then -1 up to k.

  topk_check.py cases        one function per case, @case_NAME(scores, positions)
  topk_check.py link BUF     BUF (the cases after --ds4-cpu-bufferize) plus the inputs as
                             memref.globals and an @main that prints each result
  topk_check.py check OUT    compares the printed results with the expected ones

The rows hold ties at the cut, NaNs (both signs, payloads), +-inf, +-0.0, subnormals, rows
with count 0, k > count, all-equal and all-NaN rows, N that is no multiple of 4 or 32, and
rows over several of the lowering's segments (256 candidates), placed both ways (fewer
than 8 rows: one iteration per candidate; more: one per segment).
"""

from __future__ import annotations

import os
import re
import struct
import sys

import numpy as np

# TOPK_SEED: other random rows (a fuzzing aid; the test uses the default).
rng = np.random.default_rng(int(os.environ.get("TOPK_SEED", "20240611")))
f32 = np.float32


def bits(u):
    return np.frombuffer(struct.pack("<I", u), dtype=f32)[0]


NAN_NEG = bits(0xFFC00000)   # -nan
NAN_PAYLOAD = bits(0x7F800001)  # signalling NaN with a payload
SUB = bits(0x00000001)      # smallest positive subnormal
SUB_NEG = bits(0x80000001)
SPECIALS = np.array([np.nan, NAN_NEG, NAN_PAYLOAD, np.inf, -np.inf, 0.0, -0.0, SUB, SUB_NEG,
                     1.0, -1.0, 2.0, f32(3.4028235e38), f32(-3.4028235e38)], dtype=f32)


def cases():
    """(name, scores [B, S, N] f32, positions [B, S] i64, k, ratio)."""
    out = []
    # A pool of specials: ties everywhere, every count from 1 to past N.
    N = 37
    s = rng.choice(SPECIALS, size=(2, 20, N))
    pos = np.array([[t * 2 for t in range(20)], [t * 3 + 5 for t in range(20)]],
                   dtype=np.int64)
    out.append(("specials", s, pos, 8, 1))
    # k > count and count = 0 rows (ratio 4: t < 3 sees nothing), k > N.
    s = rng.choice(SPECIALS, size=(1, 6, 10))
    pos = np.array([[0, 2, 3, 9, 30, 41]], dtype=np.int64)
    out.append(("k_over_count", s, pos, 16, 4))
    # Ties straddling the cut (values from 4 levels and NaN), and uniform rows: all
    # equal, all NaN, all -inf, +-0.0 mixed, counts 3 and N = 301.
    N = 301
    s = rng.choice(np.array([0.5, 0.25, -0.0, 0.0, np.nan], dtype=f32), size=(2, 8, N))
    s[1, 3, :] = 7.0
    s[1, 4, :] = np.nan
    s[1, 5, :] = -np.inf
    s[1, 6, :] = rng.choice(np.array([0.0, -0.0], dtype=f32), N)
    s[1, 7, :3] = [-0.0, np.nan, -0.0]
    pos = np.array([[300, 150, 20, 3, 12, 299, 64, 2],
                    [300, 299, 64, 301, 300, 300, 300, 2]], dtype=np.int64)
    out.append(("ties", s, pos, 13, 1))
    # Several segments of the lowering (256 candidates each; N = 5001 ends in a
    # partial one): normals, normals with specials, few distinct values (equal keys at
    # the cut across segments), all equal, sparse ties whose cut lies in a later
    # segment, all NaN; counts at and next to segment boundaries.
    N = 5001
    s = rng.normal(size=(1, 8, N)).astype(f32)
    s[0, 1, rng.integers(0, N, 900)] = rng.choice(SPECIALS, 900)
    s[0, 2, :] = np.round(s[0, 2, :] * 2) / 2
    s[0, 3, :] = 1.0
    s[0, 4, :] = -1.0
    s[0, 4, rng.integers(0, N, 100)] = 2.0
    s[0, 4, 1000:2600:10] = 1.5  # the cut: 64 - #2.0 of these, some past 2048
    s[0, 5, :] = np.nan
    s[0, 6, :] = np.round(s[0, 6, :])
    s[0, 7, :] = np.round(s[0, 7, :] * 4) / 4
    pos = 4 * np.array([[N, N, N, N, N, N, 2048, 2049]], dtype=np.int64) - 1
    out.append(("segments", s, pos, 64, 4))
    # The same rows, fewer than 8 of them (the decode placing).
    rows = [1, 2, 4, 6]
    out.append(("segments_few_rows", s[:, rows, :].copy(), pos[:, rows].copy(), 64, 4))
    # k = 1 over two segments.
    N = 2100
    s = rng.choice(np.array([1.0, 1.0, -1.0, np.nan, -np.inf], dtype=f32), size=(1, 4, N))
    s[0, 1, :] = rng.choice(np.array([np.nan, -np.inf], dtype=f32), N)
    s[0, 2, 2090] = 3.0
    pos = np.array([[2099, 2099, 2099, 0]], dtype=np.int64)
    out.append(("k1", s, pos, 1, 1))
    return out


def expected(s, pos, k, ratio):
    B, S, N = s.shape
    res = np.full((B, S, k), -1, dtype=np.int64)
    for b in range(B):
        for j in range(S):
            count = min((int(pos[b, j]) + 1) // ratio, N)
            kk = min(k, count)
            row = [float(x) for x in s[b, j, :count]]
            # Stable descending sort: numbers by value (-0.0 == +0.0), then NaNs; ties by index.
            order = sorted(range(count),
                           key=lambda i: (1, 0.0, i) if np.isnan(row[i]) else (0, -row[i], i))
            # The selection is its first kk; the lowering writes it in index order.
            res[b, j, :kk] = sorted(order[:kk])
    return res


def tensor_type(shape, elem):
    return "tensor<" + "x".join(str(d) for d in shape) + "x" + elem + ">"


def memref_type(shape, elem):
    return "memref<" + "x".join(str(d) for d in shape) + "x" + elem + ">"


def hex_dense(a):
    return f'dense<"0x{a.tobytes().hex().upper()}">'


def gen_cases():
    """One public function per case: @case_NAME(scores, positions) -> topk."""
    lines = ["// GENERATED by topk_check.py cases."]
    for name, s, pos, k, ratio in cases():
        st, pt = tensor_type(s.shape, "f32"), tensor_type(pos.shape, "i64")
        rt = tensor_type((s.shape[0], s.shape[1], k), "i32")
        lines += [
            f"func.func @case_{name}(%s: {st}, %p: {pt}) -> {rt} {{",
            f"  %r = ds4.topk %s at %p {{k = {k} : i64, ratio = {ratio} : i64}} : {st}, {pt} -> {rt}",
            f"  return %r : {rt}",
            "}",
        ]
    print("\n".join(lines))


def link(path):
    """The bufferized cases (entry ABI: the result is an out-parameter) plus @main, which
    passes the inputs as memref.globals (no element-by-element constant stores) and prints
    each result."""
    text = open(path).read().rstrip()
    assert text.endswith("}"), "expected a module"
    lines = ["  func.func private @printMemrefI32(memref<*xi32>)"]
    body = []
    for name, s, pos, k, ratio in cases():
        smt, pmt = memref_type(s.shape, "f32"), memref_type(pos.shape, "i64")
        rmt = memref_type((s.shape[0], s.shape[1], k), "i32")
        lines += [
            f"  memref.global \"private\" constant @scores_{name} : {smt} = "
            f"{hex_dense(s.astype('<f4'))}",
            f"  memref.global \"private\" constant @pos_{name} : {pmt} = "
            f"{hex_dense(pos.astype('<i8'))}",
        ]
        body += [
            f"    %s_{name} = memref.get_global @scores_{name} : {smt}",
            f"    %p_{name} = memref.get_global @pos_{name} : {pmt}",
            f"    %r_{name} = memref.alloc() : {rmt}",
            f"    call @case_{name}(%s_{name}, %p_{name}, %r_{name}) : ({smt}, {pmt}, {rmt}) -> ()",
            f"    %u_{name} = memref.cast %r_{name} : {rmt} to memref<*xi32>",
            f"    call @printMemrefI32(%u_{name}) : (memref<*xi32>) -> ()",
        ]
    lines += ["  func.func @main() {"] + body + ["    return", "  }"]
    print(text[:-1] + "\n".join(lines) + "\n}")


def check(path):
    text = open(path).read()
    # Each printMemref: a header "Unranked Memref ... data =" then the nested values.
    parts = re.split(r"Unranked Memref[^\n]*data =", text)[1:]
    all_cases = cases()
    if len(parts) != len(all_cases):
        sys.exit(f"expected {len(all_cases)} printed results, got {len(parts)}")
    bad = 0
    for (name, s, pos, k, ratio), part in zip(all_cases, parts):
        got = np.array([int(x) for x in re.findall(r"-?\d+", part)], dtype=np.int64)
        want = expected(s, pos, k, ratio)
        if got.size != want.size or not np.array_equal(got.reshape(want.shape), want):
            bad += 1
            print(f"MISMATCH in case {name}")
            if got.size == want.size:
                g = got.reshape(want.shape)
                for b, j in sorted({(b, j) for b, j, _ in np.argwhere(g != want)}):
                    print(f"  row ({b}, {j}): got {g[b, j].tolist()}\n"
                          f"              want {want[b, j].tolist()}")
            else:
                print(f"  got {got.size} values, want {want.size}")
        else:
            print(f"ok {name}: {want.shape}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["cases"]:
        gen_cases()
    elif sys.argv[1:2] == ["link"] and len(sys.argv) == 3:
        link(sys.argv[2])
    elif sys.argv[1:2] == ["check"] and len(sys.argv) == 3:
        check(sys.argv[2])
    else:
        sys.exit(__doc__)

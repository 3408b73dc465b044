"""Encoders for the checkpoint's storage formats (spec section 2).

FP8 e4m3fn and FP4 e2m1 are encoded against tables of their representable values (round to
nearest, ties to the even code), BF16 by rounding the float32 bit pattern. The scales are E8M0
bytes: value 2^(byte - 127), chosen as the smallest power of two that fits the block's amax.
"""

from __future__ import annotations

import numpy as np

FP8_MAX = 448.0
FP4_MAX = 6.0


def _fp8_positive_table() -> np.ndarray:
    """Values of the e4m3fn codes 0..126 (0x7F is NaN), increasing with the code."""
    vals = []
    for code in range(127):
        e, m = code >> 3, code & 7
        vals.append(m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))
    return np.array(vals)


FP8_TABLE = _fp8_positive_table()
FP4_TABLE = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])


def _nearest_code(a: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Index of the nearest table value to each a >= 0 (ties to the even index)."""
    a = np.minimum(a, table[-1])
    hi = np.clip(np.searchsorted(table, a), 1, len(table) - 1)
    lo = hi - 1
    d_lo, d_hi = a - table[lo], table[hi] - a
    pick_hi = (d_hi < d_lo) | ((d_hi == d_lo) & (hi % 2 == 0))
    return np.where(pick_hi, hi, lo)


def encode_bf16(x: np.ndarray) -> np.ndarray:
    """float -> BF16 bits (uint16), round to nearest even."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return (((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF).astype(np.uint16)


def _scale_exponent(amax: np.ndarray, fmt_max: float) -> np.ndarray:
    """Smallest e with amax / 2^e <= fmt_max (e = 0 for all-zero blocks), clamped to E8M0."""
    with np.errstate(divide="ignore"):
        e = np.ceil(np.log2(np.where(amax > 0, amax, fmt_max) / fmt_max))
    return np.clip(e, -127, 127).astype(np.int64)


def encode_fp8_blocks(w: np.ndarray, block: int = 128):
    """W [rows, cols] -> (e4m3 bytes [rows, cols], E8M0 scales [ceil(rows/128), ceil(cols/128)]).
    Edge blocks may be partial; each block gets the smallest power-of-two scale that fits it."""
    rows, cols = w.shape
    br, bc = -(-rows // block), -(-cols // block)
    padded = np.zeros((br * block, bc * block))
    padded[:rows, :cols] = np.abs(w)
    amax = padded.reshape(br, block, bc, block).max(axis=(1, 3))
    e = _scale_exponent(amax, FP8_MAX)
    scale = np.repeat(np.repeat(np.ldexp(1.0, e), block, 0), block, 1)[:rows, :cols]
    q = w / scale
    code = _nearest_code(np.abs(q), FP8_TABLE).astype(np.uint8)
    code |= np.where((q < 0) & (code != 0), 0x80, 0).astype(np.uint8)
    return code, (e + 127).astype(np.uint8)


def encode_fp4_blocks(w: np.ndarray, block: int = 32):
    """W [rows, cols] -> (packed bytes [rows, cols/2], E8M0 scales [rows, cols/32]).
    Two e2m1 codes per byte along the input dim: element 2j low nibble, 2j+1 high nibble."""
    rows, cols = w.shape
    groups = w.reshape(rows, cols // block, block)
    e = _scale_exponent(np.abs(groups).max(axis=-1), FP4_MAX)
    q = groups / np.ldexp(1.0, e)[..., None]
    code = _nearest_code(np.abs(q), FP4_TABLE).astype(np.uint8)
    code |= np.where((q < 0) & (code != 0), 0x8, 0).astype(np.uint8)
    code = code.reshape(rows, cols)
    packed = code[:, 0::2] | (code[:, 1::2] << 4)
    return packed.view(np.int8), (e + 127).astype(np.uint8)

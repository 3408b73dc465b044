"""Number formats of the checkpoint and of deployment mode (spec sections 2 and 4).

Decoding works on the bit fields directly (sign / exponent / mantissa), not on lookup tables
copied from elsewhere, so that this module is an independent reading of the formats.
Rounding helpers (deployment mode) round to nearest, ties to even, and saturate.
"""

from __future__ import annotations

import numpy as np

FP8_E4M3_MAX = 448.0
FP4_E2M1_MAX = 6.0


# --- decoding -------------------------------------------------------------------------------

def decode_bf16(raw: np.ndarray) -> np.ndarray:
    """BF16 bits (uint16) -> float32: bf16 is the top half of an IEEE float32."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


def decode_e8m0(raw: np.ndarray) -> np.ndarray:
    """E8M0 scale byte -> float64 value 2^(byte-127); byte 255 is NaN."""
    b = raw.astype(np.int64)
    out = np.ldexp(1.0, b - 127)
    return np.where(b == 255, np.nan, out)


def decode_fp8_e4m3fn(raw: np.ndarray) -> np.ndarray:
    """FP8 e4m3fn bits (uint8) -> float64.

    1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits; exponent 0 is subnormal
    (m/8 * 2^-6); there are no infinities and S.1111.111 is NaN (the 'fn' variant).
    """
    b = raw.astype(np.int64)
    sign = np.where(b & 0x80, -1.0, 1.0)
    exp = (b >> 3) & 0xF
    man = b & 0x7
    normal = (1.0 + man / 8.0) * np.ldexp(1.0, exp - 7)
    subnormal = (man / 8.0) * 2.0 ** -6
    val = sign * np.where(exp == 0, subnormal, normal)
    return np.where((exp == 0xF) & (man == 0x7), np.nan, val)


def decode_fp4_e2m1(codes: np.ndarray) -> np.ndarray:
    """FP4 e2m1 4-bit codes (0..15) -> float64.

    1 sign bit, 2 exponent bits (bias 1), 1 mantissa bit; exponent 0 is subnormal (m * 0.5).
    Codes 0-7 are 0, 0.5, 1, 1.5, 2, 3, 4, 6 and 8-15 their negatives.
    """
    c = codes.astype(np.int64)
    sign = np.where(c & 0x8, -1.0, 1.0)
    exp = (c >> 1) & 0x3
    man = c & 0x1
    normal = (1.0 + man / 2.0) * np.ldexp(1.0, exp - 1)
    subnormal = man * 0.5
    return sign * np.where(exp == 0, subnormal, normal)


def unpack_fp4(packed: np.ndarray) -> np.ndarray:
    """[rows, k/2] bytes -> [rows, k] codes; element 2j is the low nibble, 2j+1 the high one."""
    u = packed.view(np.uint8) if packed.dtype != np.uint8 else packed
    out = np.empty(u.shape[:-1] + (u.shape[-1] * 2,), dtype=np.uint8)
    out[..., 0::2] = u & 0x0F
    out[..., 1::2] = u >> 4
    return out


def dequant_fp8_blocks(q: np.ndarray, scale: np.ndarray, block: int = 128) -> np.ndarray:
    """W[o,i] = fp8(q[o,i]) * 2^(scale[o//block, i//block] - 127); edge blocks may be partial."""
    rows, cols = q.shape
    s = decode_e8m0(scale)
    s = np.repeat(np.repeat(s, block, axis=0), block, axis=1)[:rows, :cols]
    return decode_fp8_e4m3fn(q) * s


def dequant_fp4_blocks(packed: np.ndarray, scale: np.ndarray, block: int = 32) -> np.ndarray:
    """W[o,i] = e2m1(code[o,i]) * 2^(scale[o, i//block] - 127)."""
    codes = unpack_fp4(packed)
    s = np.repeat(decode_e8m0(scale), block, axis=1)[:, : codes.shape[1]]
    return decode_fp4_e2m1(codes) * s


# --- rounding (deployment-mode simulation) --------------------------------------------------

def round_to_bf16(x: np.ndarray) -> np.ndarray:
    """Round float32 values to the nearest bf16 (ties to even); returns float32."""
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    u = x32.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x32), x32, out).astype(x.dtype)


def round_to_e4m3(x: np.ndarray) -> np.ndarray:
    """Round to the nearest FP8 e4m3fn value (ties to even), saturating at +-448."""
    a = np.minimum(np.abs(x.astype(np.float64)), FP8_E4M3_MAX)
    # Spacing of representable values: 2^(e-3) for a in [2^e, 2^(e+1)), e >= -6;
    # subnormals (a < 2^-6) have the fixed spacing 2^-9.
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(np.where(a > 0, a, 1.0)))
    step = np.ldexp(1.0, np.maximum(e, -6).astype(np.int64) - 3)
    r = np.rint(a / step) * step  # np.rint rounds half to even
    r = np.minimum(r, FP8_E4M3_MAX)
    return (np.sign(x) * r).astype(x.dtype)


def round_to_e2m1(x: np.ndarray) -> np.ndarray:
    """Round to the nearest FP4 e2m1 value (ties to even mantissa), saturating at +-6."""
    a = np.minimum(np.abs(x.astype(np.float64)), FP4_E2M1_MAX)
    # Spacing: 0.5 below 2 (subnormals and [1, 2)), 1 in [2, 4), 2 in [4, 6].
    step = np.where(a < 2.0, 0.5, np.where(a < 4.0, 1.0, 2.0))
    r = np.minimum(np.rint(a / step) * step, FP4_E2M1_MAX)
    return (np.sign(x) * r).astype(x.dtype)


def pow2_scale(amax: np.ndarray, fmt_max: float, amax_floor: float) -> np.ndarray:
    """Power-of-two block scale 2^ceil(log2(amax / fmt_max)) with amax clamped below."""
    a = np.maximum(amax.astype(np.float64), amax_floor)
    return np.ldexp(1.0, np.ceil(np.log2(a / fmt_max)).astype(np.int64))


def quantize_blocks(x: np.ndarray, block: int, fmt: str) -> np.ndarray:
    """Simulated block quantization along the last axis: returns dequantized values.

    fmt 'e4m3': scale 2^ceil(log2(amax/448)), amax >= 1e-4 (activations and kv, spec section 4).
    fmt 'e2m1': scale 2^ceil(log2(amax/6)), amax >= 6*2^-126 (indexer q and keys).
    A trailing partial block (last axis not a multiple of `block`) gets its own scale.
    """
    n = x.shape[-1]
    out = np.empty_like(x)
    for start in range(0, n, block):
        blk = x[..., start:start + block]
        amax = np.max(np.abs(blk), axis=-1, keepdims=True)
        if fmt == "e4m3":
            s = pow2_scale(amax, FP8_E4M3_MAX, 1e-4)
            q = round_to_e4m3(blk.astype(np.float64) / s)
        elif fmt == "e2m1":
            s = pow2_scale(amax, FP4_E2M1_MAX, FP4_E2M1_MAX * 2.0 ** -126)
            q = round_to_e2m1(blk.astype(np.float64) / s)
        else:
            raise ValueError(f"unknown block format {fmt!r}")
        out[..., start:start + block] = (q * s).astype(x.dtype)
    return out


def hadamard(n: int) -> np.ndarray:
    """Orthonormal Hadamard matrix of size n (a power of two): Sylvester construction * n^-0.5."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"Hadamard size {n} is not a power of two")
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h / np.sqrt(n)

"""Storage-format decoding tables and the deployment-mode rounding helpers."""

import numpy as np
import pytest

from ds4ref.numerics import (decode_bf16, decode_e8m0, decode_fp4_e2m1, decode_fp8_e4m3fn,
                             dequant_fp4_blocks, dequant_fp8_blocks, hadamard, quantize_blocks,
                             round_to_bf16, round_to_e2m1, round_to_e4m3, unpack_fp4)
from models.synthetic.formats import (FP8_TABLE, encode_bf16, encode_fp4_blocks,
                                      encode_fp8_blocks)


def test_fp4_e2m1_table():
    want = [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    got = decode_fp4_e2m1(np.arange(16))
    assert list(got[:8]) == want
    assert list(got[8:]) == [-v for v in want]
    assert np.signbit(got[8])                         # code 8 is -0


def test_fp4_nibble_order():
    # element 2j is the low nibble, 2j+1 the high nibble
    assert unpack_fp4(np.array([[0x21, 0xF7]], dtype=np.uint8)).tolist() == [[1, 2, 7, 15]]


def test_fp8_e4m3fn_table():
    d = decode_fp8_e4m3fn(np.arange(256))
    assert d[0x00] == 0 and d[0x01] == 2.0 ** -9 and d[0x07] == 7 * 2.0 ** -9
    assert d[0x08] == 2.0 ** -6                       # smallest normal
    assert d[0x38] == 1.0 and d[0x39] == 1.125 and d[0xB8] == -1.0
    assert d[0x7E] == 448 and d[0xFE] == -448         # largest finite
    assert np.isnan(d[0x7F]) and np.isnan(d[0xFF])    # the only NaNs; no infinities
    assert np.all(np.diff(d[:0x7F]) > 0)              # monotonic in the code
    assert np.isfinite(d).sum() == 254


def test_fp8_table_matches_the_writer():
    """The writer encodes against its own table; the reader decodes bit fields."""
    assert np.array_equal(decode_fp8_e4m3fn(np.arange(127)), FP8_TABLE)


def test_e8m0_and_bf16():
    e = decode_e8m0(np.array([0, 1, 126, 127, 128, 254, 255], dtype=np.uint8))
    assert list(e[:6]) == [2.0 ** -127, 2.0 ** -126, 0.5, 1, 2, 2.0 ** 127] and np.isnan(e[6])
    b = decode_bf16(np.array([0x3F80, 0xC000, 0x0000, 0x8000, 0x7F80, 0x3F81], dtype=np.uint16))
    assert list(b[:5]) == [1.0, -2.0, 0.0, 0.0, np.inf] and b[5] == 1 + 2.0 ** -7


def test_bf16_rounding_is_nearest_even():
    x = np.array([1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -8 + 2.0 ** -20], np.float32)
    assert list(round_to_bf16(x)) == [1.0, 1 + 2 * 2.0 ** -7, 1 + 2.0 ** -7]
    r = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    assert np.array_equal(round_to_bf16(r), decode_bf16(encode_bf16(r)))


def test_e4m3_rounding():
    grid = decode_fp8_e4m3fn(np.arange(127))
    assert np.array_equal(round_to_e4m3(grid), grid)           # representable values stay
    assert np.array_equal(round_to_e4m3(-grid), -grid)
    mid = (grid[:-1] + grid[1:]) / 2                            # ties go to the even code
    even = np.where(np.arange(126) % 2 == 0, grid[:-1], grid[1:])
    assert np.array_equal(round_to_e4m3(mid), even)
    assert round_to_e4m3(np.array([1e6, -500.0])).tolist() == [448, -448]   # saturation
    # independent implementations agree: bit-field rounding vs the writer's table encoder
    x = np.random.default_rng(1).standard_normal((4, 128)) * 50
    q, s = encode_fp8_blocks(x)
    assert np.array_equal(dequant_fp8_blocks(q, s), round_to_e4m3(x / 2.0 ** (s[0, 0] - 127.0))
                          * 2.0 ** (s[0, 0] - 127.0))


def test_e2m1_rounding():
    grid = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6])
    assert np.array_equal(round_to_e2m1(grid), grid)
    assert round_to_e2m1(np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 9.0, -5.0])).tolist() == \
        [0, 1, 1, 2, 2, 4, 4, 6, -4]


def test_fp4_block_roundtrip():
    """Writer encode -> reader decode: each 1x32 block is the e2m1 rounding of w / 2^e."""
    w = np.random.default_rng(2).standard_normal((3, 64))
    packed, scale = encode_fp4_blocks(w)
    assert packed.shape == (3, 32) and scale.shape == (3, 2)
    got = dequant_fp4_blocks(packed, scale)
    s = np.repeat(decode_e8m0(scale), 32, axis=1)
    assert np.array_equal(got, round_to_e2m1(w / s) * s)
    assert np.all(np.abs(w / s).reshape(3, 2, 32).max(-1) <= 6)     # scales fit the amax


def test_fp8_partial_edge_blocks():
    """Dims that are not multiples of 128: the edge block is partial but has its own scale."""
    w = np.random.default_rng(3).standard_normal((160, 200))
    w[128:, :] *= 1000                                       # edge rows need a larger scale
    q, s = encode_fp8_blocks(w)
    assert s.shape == (2, 2)
    assert decode_e8m0(s)[1, 0] > decode_e8m0(s)[0, 0]
    scale = np.repeat(np.repeat(decode_e8m0(s), 128, 0), 128, 1)[:160, :200]
    assert np.array_equal(dequant_fp8_blocks(q, s), round_to_e4m3(w / scale) * scale)
    assert np.all(np.abs(w / scale) <= 448)


@pytest.mark.parametrize("fmt,block,fmax", [("e4m3", 128, 448), ("e4m3", 64, 448), ("e2m1", 32, 6)])
def test_quantize_blocks(fmt, block, fmax):
    x = np.random.default_rng(4).standard_normal((5, 96)) * 3
    q = quantize_blocks(x, block, fmt)
    for start in range(0, 96, block):                        # 96 = partial last block for 64
        blk, qb = x[:, start:start + block], q[:, start:start + block]
        scale = 2.0 ** np.ceil(np.log2(np.abs(blk).max(-1, keepdims=True) / fmax))
        rnd = round_to_e4m3 if fmt == "e4m3" else round_to_e2m1
        assert np.array_equal(qb, rnd(blk / scale) * scale)


def test_hadamard_is_orthonormal():
    h = hadamard(128)
    assert np.allclose(h @ h.T, np.eye(128), atol=1e-12)
    with pytest.raises(ValueError):
        hadamard(96)

// Scalar and block helpers for the number formats of DeepSeek-V4 checkpoints and of the
// deployment precision mode (spec sections 2 and 4): bf16, fp8 e4m3fn, e8m0 scale bytes and
// fp4 e2m1.  Plain C++17 with no LLVM/MLIR dependency: the runtime, the reference program and
// the compiler's constant folding all share these definitions, so "what a code means" is
// written down exactly once.
//
// Every encoder rounds to nearest, ties to even, independently of the current floating-point
// environment (the rounding is done on integer bit patterns, never with rint/nearbyint).
#ifndef DS4_RUNTIME_NUMERICS_NUMERICS_H
#define DS4_RUNTIME_NUMERICS_NUMERICS_H

#include <cstddef>
#include <cstdint>
#include <limits>

namespace ds4 {
namespace numerics {

//===----------------------------------------------------------------------===//
// bf16
//===----------------------------------------------------------------------===//

/// Rounds to nearest even.  Infinities stay infinities, finite values that round past the
/// largest bf16 become infinities (as IEEE rounding demands), NaN stays NaN: the quiet bit is
/// forced so that a payload living only in the discarded low bits cannot turn into infinity.
uint16_t floatToBf16(float x);
/// Exact: bf16 is the top half of a float.
float bf16ToFloat(uint16_t bits);

//===----------------------------------------------------------------------===//
// fp8 e4m3fn (OCP "FN" variant)
//===----------------------------------------------------------------------===//
// 1 sign, 4 exponent (bias 7), 3 mantissa bits.  No infinities; S.1111.111 (0x7F, 0xFF) is
// NaN, so the largest finite magnitude is 1.75 * 2^8 = 448.  Subnormals are multiples of 2^-9.

constexpr float kE4M3Max = 448.0f;
constexpr uint8_t kE4M3MaxCode = 0x7E;  // +448
constexpr uint8_t kE4M3NaNCode = 0x7F;  // +NaN (0xFF is -NaN)

/// What an encoder does with a value whose magnitude does not round to <= 448.
enum class Overflow {
  /// Clamp to +-448 (finite overflow and infinities alike).  This is what the deployment
  /// mode's activation quantizer does (it clamps to [-448, 448] before the cast).
  Saturate,
  /// Produce NaN (0x7F with the input's sign), the OCP/PyTorch non-saturating conversion.
  NaN,
};

float e4m3ToFloat(uint8_t code);

/// Round-to-nearest-even onto the e4m3 grid, subnormals included.
///
/// Overflow rule (both modes): the value is first rounded as if the grid continued above 448
/// with the same spacing (the next step would be 480); it overflows iff that rounded magnitude
/// is above 448.  Hence |x| <= 464 gives 448 (464 is the exact tie between 448 = 1.110b * 2^8,
/// even mantissa, and 480 = 1.111b * 2^8, odd, so it goes to 448), while |x| > 464 overflows.
/// In Overflow::NaN mode this is bit-for-bit PyTorch's c10::Float8_e4m3fn conversion
/// (which returns NaN for |x| >= 480 and for (464, 480), where its mantissa carry lands on
/// the 0x7F NaN code).  Infinities overflow too.  NaN input gives the NaN code in both modes,
/// keeping the input's sign bit.  The sign of zero is kept (-0.0f -> 0x80).
uint8_t floatToE4M3(float x, Overflow mode);

//===----------------------------------------------------------------------===//
// e8m0 scale bytes
//===----------------------------------------------------------------------===//
// Byte b in [0, 254] means 2^(b-127); 255 is NaN.  There is no zero and no sign.

constexpr uint8_t kE8M0NaN = 255;
constexpr int kE8M0MinExponent = -127;  // byte 0
constexpr int kE8M0MaxExponent = 127;   // byte 254

/// Exact, including byte 0 = 2^-127, which is a float subnormal.
float e8m0ToFloat(uint8_t byte);

/// The byte for 2^exponent.  Throws std::out_of_range unless exponent is in [-127, 127]:
/// an exponent outside that range is a caller bug, never a value to clamp silently.
uint8_t e8m0FromExponent(int exponent);

/// The byte of the smallest power of two >= x, i.e. 2^ceil(log2(x)), computed exactly (no
/// libm log2).  Saturates to the representable range: x <= 2^-127 (zero, negatives and tiny
/// values included) gives byte 0, x > 2^127 (including +inf) gives byte 254.  NaN gives 255.
uint8_t e8m0CeilLog2(float x);

//===----------------------------------------------------------------------===//
// fp4 e2m1
//===----------------------------------------------------------------------===//
// 1 sign, 2 exponent (bias 1), 1 mantissa bit.  Codes 0-7 are 0, 0.5, 1, 1.5, 2, 3, 4, 6 and
// codes 8-15 their negatives (code 8 is -0).  There is no infinity and no NaN.

constexpr float kE2M1Max = 6.0f;

/// Only the low nibble of `code` is used.
float e2m1ToFloat(uint8_t code);

/// Round-to-nearest-even onto the e2m1 grid (ties go to the code whose mantissa bit is 0:
/// 0.25 -> 0, 0.75 -> 1, 1.25 -> 1, 1.75 -> 2, 2.5 -> 2, 3.5 -> 4, 5 -> 4), saturating to +-6
/// (infinities included).  The sign of zero is kept (-0.0f -> code 8).
///
/// NaN: e2m1 cannot represent it, so NaN saturates like an infinity of the NaN's sign, to
/// code 7 (+6) or 15 (-6).  It is never turned into zero.  A NaN is not lost in the block
/// helpers below: a NaN element makes the block's amax NaN, hence its e8m0 scale byte 255,
/// and the whole block dequantizes to NaN.  Callers converting single values that must
/// detect NaN have to test for it before calling.
uint8_t floatToE2M1(float x);

/// Packs two codes into one byte: `lo` (element 2j) in bits 0-3, `hi` (element 2j+1) in
/// bits 4-7.  Only the low nibble of each argument is used.
uint8_t packE2M1(uint8_t lo, uint8_t hi);
/// The code of element 2j from its byte.
inline uint8_t unpackE2M1Lo(uint8_t byte) { return byte & 0x0F; }
/// The code of element 2j+1 from its byte.
inline uint8_t unpackE2M1Hi(uint8_t byte) { return byte >> 4; }
/// The code of element `index` of a packed array (byte index/2, low nibble for even indices).
inline uint8_t unpackE2M1(const uint8_t* packed, size_t index) {
  uint8_t byte = packed[index / 2];
  return (index % 2 == 0) ? unpackE2M1Lo(byte) : unpackE2M1Hi(byte);
}

//===----------------------------------------------------------------------===//
// Block quantization (deployment mode, spec section 4)
//===----------------------------------------------------------------------===//
// The span [0, n) is cut into consecutive blocks of `block` elements (the last one may be
// shorter).  Each block gets one power-of-two scale 2^ceil(log2(max(amax, amaxFloor) / M))
// (M = 448 for e4m3, 6 for e2m1), chosen with exact arithmetic; because it is a power of two
// and at least amax / M, x / scale is exact and never exceeds M.  Codes are produced with
// Overflow::Saturate, matching the reference's clamp, which only matters for infinities.
// A NaN in a block makes its scale byte 255 and its simulated outputs NaN.  An infinity
// saturates the scale to 2^127 and its element to M * 2^127, i.e. +-inf in float again.
//
// The "simulate" forms write decode(encode(x / scale)) * scale and allow in == out.
// The "store" forms write the codes plus ceil(n / block) scale bytes; in a NaN block every
// code is the encoder's answer for NaN (0x7F for e4m3, 7 for e2m1) and the scale byte is 255.
// block == 0 throws std::invalid_argument.

constexpr float kE4M3AmaxFloor = 1e-4f;
/// 6 * 2^-126: the smallest amax whose scale amax / 6 is still a normal float.
constexpr float kE2M1AmaxFloor = 6.0f * std::numeric_limits<float>::min();

void quantizeBlockE4M3(const float* in, float* out, size_t n, size_t block,
                       float amaxFloor = kE4M3AmaxFloor);
/// codes: n bytes; scales: ceil(n / block) bytes.
void quantizeBlockE4M3Store(const float* in, uint8_t* codes, uint8_t* scales, size_t n,
                            size_t block, float amaxFloor = kE4M3AmaxFloor);

void quantizeBlockE2M1(const float* in, float* out, size_t n, size_t block,
                       float amaxFloor = kE2M1AmaxFloor);
/// packedCodes: ceil(n / 2) bytes in the packing of packE2M1 (element 2j low nibble; if n is
/// odd the last high nibble is 0); scales: ceil(n / block) bytes.
void quantizeBlockE2M1Store(const float* in, uint8_t* packedCodes, uint8_t* scales, size_t n,
                            size_t block, float amaxFloor = kE2M1AmaxFloor);

//===----------------------------------------------------------------------===//
// Weight dequantization (spec section 2)
//===----------------------------------------------------------------------===//

constexpr size_t kFp8WeightBlock = 128;
constexpr size_t kFp4WeightBlock = 32;

/// FP8 block-scaled weight, row-major [rows, cols]:
///   out[o*cols + i] = e4m3(q[o*cols + i]) * e8m0(scales[(o/128) * ceil(cols/128) + i/128]).
/// The scale grid is ceil(rows/128) x ceil(cols/128), row-major.
void dequantFp8BlockWeight(const uint8_t* q, const uint8_t* scales, size_t rows, size_t cols,
                           float* out);

/// FP4 (MXFP4) weight, logical shape [rows, cols]; each row holds ceil(cols/2) packed bytes
/// (element 2j in the low nibble, 2j+1 in the high nibble) and ceil(cols/32) scale bytes:
///   out[o*cols + i] = e2m1(code[o][i]) * e8m0(scales[o * ceil(cols/32) + i/32]).
void dequantFp4Weight(const uint8_t* packed, const uint8_t* scales, size_t rows, size_t cols,
                      float* out);

}  // namespace numerics
}  // namespace ds4

#endif  // DS4_RUNTIME_NUMERICS_NUMERICS_H

#include "runtime/numerics/Numerics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ds4 {
namespace numerics {

namespace {

uint32_t floatBits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  return bits;
}

float bitsToFloat(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof(x));
  return x;
}

constexpr uint32_t kSignBit = 0x80000000u;
constexpr uint32_t kAbsMask = 0x7FFFFFFFu;
constexpr uint32_t kFloatInf = 0x7F800000u;

/// v / 2^s rounded to nearest, ties to even (s >= 1).  Shifts of 32 or more give 0, which is
/// right for every caller: v < 2^24 there, so v / 2^s < 1/2.
uint32_t shiftRightRoundEven(uint32_t v, int s) {
  if (s >= 32) return 0;
  uint32_t q = v >> s;
  uint32_t rem = v & ((1u << s) - 1);
  uint32_t half = 1u << (s - 1);
  if (rem > half || (rem == half && (q & 1u))) ++q;
  return q;
}

/// The magnitude code of a finite float magnitude (absBits has no sign bit) on a minifloat grid
/// with `mantBits` mantissa bits and smallest normal exponent `minExp`, rounded to nearest
/// even, as if the grid had no top: the caller decides what a code past the largest finite
/// one means.  Codes are ordered like the values they encode, so a mantissa that rounds up
/// past its last value carries into the exponent field by plain integer addition.
uint32_t roundToMinifloatCode(uint32_t absBits, int mantBits, int minExp) {
  int floatExp = static_cast<int>(absBits >> 23);
  // Float zero or subnormal: below 2^-126, far under half of any minifloat's smallest step.
  if (floatExp == 0) return 0;
  int e = floatExp - 127;
  uint32_t sig = (absBits & 0x7FFFFFu) | 0x800000u;  // value = sig * 2^(e - 23)
  // Below the smallest normal exponent the spacing stops shrinking (subnormals).
  int effExp = std::max(e, minExp);
  // Count the value in units of the target spacing 2^(effExp - mantBits).
  int shift = 23 + effExp - mantBits - e;  // >= 23 - mantBits > 0
  uint32_t units = shiftRightRoundEven(sig, shift);
  // Normals: units in [2^m, 2^(m+1)], code = ((biasedExp - 1) << m) + units.
  // Subnormals: effExp == minExp and the code is just the unit count (2^m = smallest normal).
  return (static_cast<uint32_t>(effExp - minExp) << mantBits) + units;
}

float quietNaN(bool negative) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  return negative ? -nan : nan;
}

}  // namespace

//===----------------------------------------------------------------------===//
// bf16
//===----------------------------------------------------------------------===//

uint16_t floatToBf16(float x) {
  uint32_t bits = floatBits(x);
  if ((bits & kAbsMask) > kFloatInf) {
    // Truncating could leave an all-zero mantissa (an infinity); force the quiet bit.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  }
  // Adding 0x7FFF rounds up when the low half is above 0x8000; the lsb of the kept half breaks
  // the exact tie towards even.  A carry out of the mantissa correctly bumps the exponent
  // (and turns the largest finite values into infinity).
  uint32_t lsb = (bits >> 16) & 1u;
  bits += 0x7FFFu + lsb;
  return static_cast<uint16_t>(bits >> 16);
}

float bf16ToFloat(uint16_t bits) { return bitsToFloat(static_cast<uint32_t>(bits) << 16); }

//===----------------------------------------------------------------------===//
// e4m3fn
//===----------------------------------------------------------------------===//

float e4m3ToFloat(uint8_t code) {
  bool negative = (code & 0x80) != 0;
  uint32_t exp = (code >> 3) & 0xF;
  uint32_t mant = code & 0x7;
  if (exp == 0xF && mant == 0x7) return quietNaN(negative);
  float magnitude;
  if (exp == 0) {
    magnitude = static_cast<float>(mant) * (1.0f / 512.0f);  // mant * 2^-9, exact
  } else {
    // Rebias 7 -> 127 and left-align the 3 mantissa bits in the float's 23.
    magnitude = bitsToFloat(((exp - 7 + 127) << 23) | (mant << 20));
  }
  return negative ? -magnitude : magnitude;
}

uint8_t floatToE4M3(float x, Overflow mode) {
  uint32_t bits = floatBits(x);
  uint8_t sign = static_cast<uint8_t>((bits & kSignBit) >> 24);
  uint32_t absBits = bits & kAbsMask;
  if (absBits > kFloatInf) return sign | kE4M3NaNCode;
  uint32_t code = absBits == kFloatInf ? kE4M3NaNCode  // any code > 0x7E means "overflowed"
                                       : roundToMinifloatCode(absBits, /*mantBits=*/3,
                                                              /*minExp=*/-6);
  // 0x7F would be 480 on an uncapped grid; e4m3fn spends it on NaN, so anything that rounded
  // to 0x7F or beyond (|x| > 464, see the header) is out of range.
  if (code > kE4M3MaxCode)
    code = mode == Overflow::Saturate ? kE4M3MaxCode : kE4M3NaNCode;
  return sign | static_cast<uint8_t>(code);
}

//===----------------------------------------------------------------------===//
// e8m0
//===----------------------------------------------------------------------===//

float e8m0ToFloat(uint8_t byte) {
  if (byte == kE8M0NaN) return quietNaN(false);
  // 2^-127 is below the float normal range: it is the subnormal with only mantissa bit 22 set.
  if (byte == 0) return bitsToFloat(0x00400000u);
  return bitsToFloat(static_cast<uint32_t>(byte) << 23);
}

uint8_t e8m0FromExponent(int exponent) {
  if (exponent < kE8M0MinExponent || exponent > kE8M0MaxExponent)
    throw std::out_of_range("e8m0FromExponent: exponent " + std::to_string(exponent) +
                            " outside [-127, 127]");
  return static_cast<uint8_t>(exponent + 127);
}

uint8_t e8m0CeilLog2(float x) {
  if (std::isnan(x)) return kE8M0NaN;
  // The smallest representable scale already covers zero, negatives and anything <= 2^-127.
  if (!(x > e8m0ToFloat(0))) return 0;
  uint32_t bits = floatBits(x);
  int floatExp = static_cast<int>(bits >> 23);
  int ceilLog2;
  if (floatExp == 0) {
    // A subnormal above 2^-127 lies in (2^-127, 2^-126).
    ceilLog2 = -126;
  } else {
    // x = 1.m * 2^(floatExp - 127): exactly a power of two iff m == 0, else round up.
    ceilLog2 = floatExp - 127 + ((bits & 0x7FFFFFu) != 0 ? 1 : 0);
  }
  // +inf (floatExp 255) and x > 2^127 both land above 127.
  return static_cast<uint8_t>(std::min(ceilLog2, kE8M0MaxExponent) + 127);
}

//===----------------------------------------------------------------------===//
// e2m1
//===----------------------------------------------------------------------===//

float e2m1ToFloat(uint8_t code) {
  bool negative = (code & 0x8) != 0;
  uint32_t exp = (code >> 1) & 0x3;
  uint32_t mant = code & 0x1;
  float magnitude;
  if (exp == 0) {
    magnitude = mant ? 0.5f : 0.0f;  // subnormal: mant * 2^-1
  } else {
    // Rebias 1 -> 127 and left-align the mantissa bit.
    magnitude = bitsToFloat(((exp - 1 + 127) << 23) | (mant << 22));
  }
  return negative ? -magnitude : magnitude;
}

uint8_t floatToE2M1(float x) {
  constexpr uint32_t kMaxCode = 0x7;  // 6.0
  uint32_t bits = floatBits(x);
  uint8_t sign = static_cast<uint8_t>((bits & kSignBit) >> 28);
  uint32_t absBits = bits & kAbsMask;
  // Infinities and NaN (documented in the header) saturate to +-6.
  if (absBits >= kFloatInf) return sign | kMaxCode;
  uint32_t code = roundToMinifloatCode(absBits, /*mantBits=*/1, /*minExp=*/0);
  return sign | static_cast<uint8_t>(std::min(code, kMaxCode));
}

uint8_t packE2M1(uint8_t lo, uint8_t hi) {
  return static_cast<uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4));
}

//===----------------------------------------------------------------------===//
// Block quantization
//===----------------------------------------------------------------------===//

namespace {

struct BlockFormat {
  float max;  // largest finite magnitude: the scale maps amax onto it
  uint8_t (*encode)(float);
  float (*decode)(uint8_t);
};

uint8_t encodeE4M3Saturating(float x) { return floatToE4M3(x, Overflow::Saturate); }

const BlockFormat kE4M3Format{kE4M3Max, encodeE4M3Saturating, e4m3ToFloat};
const BlockFormat kE2M1Format{kE2M1Max, floatToE2M1, e2m1ToFloat};

/// The e8m0 byte of 2^ceil(log2(max(amax, floor) / formatMax)), or 255 if the block has a NaN.
/// Done with exact comparisons in double (formatMax * 2^k is exact there) rather than by
/// rounding amax / formatMax in float, so the chosen scale is always the smallest power of two
/// with amax / scale <= formatMax.  (For the default floors the reference's float formula
/// amax * (1 / formatMax) gives the same exponent.)
uint8_t blockScaleByte(const float* x, size_t len, float amaxFloor, float formatMax) {
  float amax = 0.0f;
  for (size_t i = 0; i < len; ++i) {
    if (std::isnan(x[i])) return kE8M0NaN;
    amax = std::max(amax, std::fabs(x[i]));
  }
  if (amax < amaxFloor) amax = amaxFloor;
  if (std::isinf(amax)) return e8m0FromExponent(kE8M0MaxExponent);

  // Start from an estimate, then settle on the exact answer within [-127, 127].
  int k = 0;
  double ratio = static_cast<double>(amax) / formatMax;
  if (ratio > 0) {
    int e;
    double f = std::frexp(ratio, &e);  // ratio = f * 2^e, f in [0.5, 1)
    k = f == 0.5 ? e - 1 : e;
  }
  k = std::clamp(k, kE8M0MinExponent, kE8M0MaxExponent);
  double top = formatMax;
  while (k < kE8M0MaxExponent && std::ldexp(top, k) < amax) ++k;
  while (k > kE8M0MinExponent && std::ldexp(top, k - 1) >= amax) --k;
  return e8m0FromExponent(k);
}

/// Cuts [0, n) into blocks, writes each block's scale byte (if `scales`), and calls
/// emit(index, code, scaleByte) for every element once its block's scale is known.  Each
/// element is read before emit sees it, so emit may overwrite `in[index]`.
template <typename Emit>
void quantizeBlocks(const float* in, size_t n, size_t block, float amaxFloor,
                    const BlockFormat& format, uint8_t* scales, Emit emit) {
  if (block == 0) throw std::invalid_argument("block quantization: block size must be > 0");
  for (size_t start = 0, b = 0; start < n; start += block, ++b) {
    size_t end = std::min(n, start + block);
    uint8_t scaleByte = blockScaleByte(in + start, end - start, amaxFloor, format.max);
    if (scales) scales[b] = scaleByte;
    int scaleExp = static_cast<int>(scaleByte) - 127;
    for (size_t i = start; i < end; ++i) {
      // Dividing by a power of two is exact (ldexp), so the only rounding is the encoder's.
      uint8_t code = scaleByte == kE8M0NaN ? format.encode(quietNaN(false))
                                           : format.encode(std::ldexp(in[i], -scaleExp));
      emit(i, code, scaleByte);
    }
  }
}

void simulateBlocks(const float* in, float* out, size_t n, size_t block, float amaxFloor,
                    const BlockFormat& format) {
  quantizeBlocks(in, n, block, amaxFloor, format, nullptr,
                 [&](size_t i, uint8_t code, uint8_t scaleByte) {
                   out[i] = scaleByte == kE8M0NaN
                                ? quietNaN(false)
                                : std::ldexp(format.decode(code), int(scaleByte) - 127);
                 });
}

}  // namespace

void quantizeBlockE4M3(const float* in, float* out, size_t n, size_t block, float amaxFloor) {
  simulateBlocks(in, out, n, block, amaxFloor, kE4M3Format);
}

void quantizeBlockE4M3Store(const float* in, uint8_t* codes, uint8_t* scales, size_t n,
                            size_t block, float amaxFloor) {
  quantizeBlocks(in, n, block, amaxFloor, kE4M3Format, scales,
                 [&](size_t i, uint8_t code, uint8_t) { codes[i] = code; });
}

void quantizeBlockE2M1(const float* in, float* out, size_t n, size_t block, float amaxFloor) {
  simulateBlocks(in, out, n, block, amaxFloor, kE2M1Format);
}

void quantizeBlockE2M1Store(const float* in, uint8_t* packedCodes, uint8_t* scales, size_t n,
                            size_t block, float amaxFloor) {
  quantizeBlocks(in, n, block, amaxFloor, kE2M1Format, scales,
                 [&](size_t i, uint8_t code, uint8_t) {
                   // The even element starts its byte (clearing the high nibble, which stays 0
                   // if n is odd); the odd one fills the high nibble.
                   if (i % 2 == 0)
                     packedCodes[i / 2] = packE2M1(code, 0);
                   else
                     packedCodes[i / 2] = packE2M1(unpackE2M1Lo(packedCodes[i / 2]), code);
                 });
}

//===----------------------------------------------------------------------===//
// Weight dequantization
//===----------------------------------------------------------------------===//

void dequantFp8BlockWeight(const uint8_t* q, const uint8_t* scales, size_t rows, size_t cols,
                           float* out) {
  // Decoding through a table keeps the inner loop to a load and a multiply.
  std::array<float, 256> value;
  for (size_t c = 0; c < value.size(); ++c) value[c] = e4m3ToFloat(static_cast<uint8_t>(c));
  size_t scaleCols = (cols + kFp8WeightBlock - 1) / kFp8WeightBlock;
  for (size_t o = 0; o < rows; ++o) {
    const uint8_t* scaleRow = scales + (o / kFp8WeightBlock) * scaleCols;
    for (size_t i = 0; i < cols; ++i)
      out[o * cols + i] = value[q[o * cols + i]] * e8m0ToFloat(scaleRow[i / kFp8WeightBlock]);
  }
}

void dequantFp4Weight(const uint8_t* packed, const uint8_t* scales, size_t rows, size_t cols,
                      float* out) {
  size_t bytesPerRow = (cols + 1) / 2;
  size_t scaleCols = (cols + kFp4WeightBlock - 1) / kFp4WeightBlock;
  for (size_t o = 0; o < rows; ++o) {
    const uint8_t* codeRow = packed + o * bytesPerRow;
    const uint8_t* scaleRow = scales + o * scaleCols;
    for (size_t i = 0; i < cols; ++i)
      out[o * cols + i] =
          e2m1ToFloat(unpackE2M1(codeRow, i)) * e8m0ToFloat(scaleRow[i / kFp4WeightBlock]);
  }
}

}  // namespace numerics
}  // namespace ds4

// Exhaustive tests of runtime/numerics.  Every expected value comes from an oracle written
// here independently of the library: decoders from the bit-field formulas in double
// arithmetic, encoders from a brute-force nearest-value search over the decoded grid.
#include "runtime/numerics/Numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

using namespace ds4::numerics;

namespace {

//===----------------------------------------------------------------------===//
// Oracles
//===----------------------------------------------------------------------===//

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

uint32_t bitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}

float fromBits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

/// 2^k by repeated multiplication (exact in double for |k| <= 1022), not by library calls.
double pow2(int k) {
  double r = 1.0;
  for (; k > 0; --k) r *= 2.0;
  for (; k < 0; ++k) r *= 0.5;
  return r;
}

/// Equal bit patterns, or both NaN.  Bitwise so that -0 and +0 differ.
::testing::AssertionResult sameFloat(float expected, float actual) {
  if (std::isnan(expected) && std::isnan(actual)) return ::testing::AssertionSuccess();
  if (bitsOf(expected) == bitsOf(actual)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << expected << " (0x" << std::hex
                                       << bitsOf(expected) << "), got " << actual << " (0x"
                                       << bitsOf(actual) << ")";
}

/// e4m3fn from its fields: S EEEE MMM, bias 7, S.1111.111 = NaN, E = 0 subnormal.
double refE4M3(uint8_t code) {
  int s = code >> 7, e = (code >> 3) & 15, m = code & 7;
  if (e == 15 && m == 7) return kNaN;
  double mag = e == 0 ? m * pow2(-9) : (1.0 + m / 8.0) * pow2(e - 7);
  return s ? -mag : mag;
}

/// e2m1 from its fields: S EE M, bias 1, E = 0 subnormal (m * 0.5).
double refE2M1(uint8_t code) {
  int s = (code >> 3) & 1, e = (code >> 1) & 3, m = code & 1;
  double mag = e == 0 ? m * 0.5 : (1.0 + m / 2.0) * pow2(e - 1);
  return s ? -mag : mag;
}

/// Nearest code by brute force over `count` non-negative codes with values `value(c)`,
/// ties to the even code.  The grids passed in are extended by one virtual code above the
/// largest finite value, so "rounds above max" is visible to the caller.
template <typename Value>
int bruteForceNearest(double mag, int count, Value value) {
  int best = 0;
  double bestDist = std::fabs(mag - value(0));
  for (int c = 1; c < count; ++c) {
    double d = std::fabs(mag - value(c));
    if (d < bestDist || (d == bestDist && (c % 2 == 0))) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

/// The e4m3 code of x by brute force, following the rule documented in Numerics.h: RNE on
/// the grid extended with 480 (virtual code 0x7F); anything rounding to 480 overflows.
uint8_t refToE4M3(float x, Overflow mode) {
  uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  if (std::isnan(x)) return sign | 0x7F;
  static const std::vector<double> extendedGrid = [] {
    std::vector<double> g;
    for (int c = 0; c < 0x7F; ++c) g.push_back(refE4M3(static_cast<uint8_t>(c)));
    g.push_back(480.0);
    return g;
  }();
  double mag = std::fabs(static_cast<double>(x));
  int c = std::isinf(x) ? 0x7F
                        : bruteForceNearest(mag, 0x80, [](int c) { return extendedGrid[c]; });
  if (c == 0x7F) c = mode == Overflow::Saturate ? 0x7E : 0x7F;
  return sign | static_cast<uint8_t>(c);
}

/// The e2m1 code of x by brute force: grid 0..6 extended with a virtual 8 (code 8) that
/// saturates to 6; NaN and infinities saturate to +-6 as documented.
uint8_t refToE2M1(float x) {
  uint8_t sign = std::signbit(x) ? 0x8 : 0x0;
  if (std::isnan(x) || std::isinf(x)) return sign | 0x7;
  int c = bruteForceNearest(std::fabs(static_cast<double>(x)), 9, [](int c) {
    return c == 8 ? 8.0 : refE2M1(static_cast<uint8_t>(c));
  });
  return sign | static_cast<uint8_t>(c > 7 ? 7 : c);
}

/// The byte of the smallest 2^k >= x within [-127, 127], via libm's log2 in double.
int refCeilLog2Byte(float x) {
  if (std::isnan(x)) return 255;
  if (x <= 0) return 0;
  if (std::isinf(x)) return 254;
  int k = static_cast<int>(std::ceil(std::log2(static_cast<double>(x))));
  if (k < -127) k = -127;
  if (k > 127) k = 127;
  return k + 127;
}

/// The block scale byte by searching k upward: smallest k in [-127,127] with max * 2^k >= amax.
int refScaleByte(const float* x, size_t len, double formatMax, double amaxFloor) {
  double amax = 0;
  for (size_t i = 0; i < len; ++i) {
    if (std::isnan(x[i])) return 255;
    amax = std::max(amax, std::fabs(static_cast<double>(x[i])));
  }
  amax = std::max(amax, amaxFloor);
  int k = -127;
  while (k < 127 && formatMax * pow2(k) < amax) ++k;
  return k + 127;
}

/// Every non-negative finite e4m3 value in increasing order (code == index).
std::vector<float> e4m3Grid() {
  std::vector<float> g;
  for (int c = 0; c <= 0x7E; ++c) g.push_back(static_cast<float>(refE4M3(c)));
  return g;
}

//===----------------------------------------------------------------------===//
// bf16
//===----------------------------------------------------------------------===//

TEST(Bf16, DecodeAllPatternsIsUpperHalfOfFloat) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float f = bf16ToFloat(static_cast<uint16_t>(b));
    // Independent: sign * (1 + m/128) * 2^(e-127), subnormals m/128 * 2^-126.
    int s = b >> 15, e = (b >> 7) & 0xFF, m = b & 0x7F;
    double expected;
    if (e == 0xFF)
      expected = m ? kNaN : std::numeric_limits<double>::infinity();
    else if (e == 0)
      expected = m / 128.0 * pow2(-126);
    else
      expected = (1.0 + m / 128.0) * pow2(e - 127);
    if (s) expected = -expected;
    ASSERT_TRUE(sameFloat(static_cast<float>(expected), f)) << "bf16 0x" << std::hex << b;
  }
}

TEST(Bf16, RoundTripAllPatterns) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float f = bf16ToFloat(static_cast<uint16_t>(b));
    uint16_t back = floatToBf16(f);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bf16ToFloat(back))) << std::hex << b;
      EXPECT_EQ(b & 0x8000, back & 0x8000u) << "NaN sign, 0x" << std::hex << b;
    } else {
      ASSERT_EQ(b, back) << "bf16 0x" << std::hex << b;
    }
  }
}

TEST(Bf16, RoundToNearestEvenCraftedPatterns) {
  struct Case {
    uint32_t in;
    uint16_t out;
  } cases[] = {
      {0x3F800000, 0x3F80},  // 1.0 exact
      {0x3F807FFF, 0x3F80},  // just below the tie: down
      {0x3F808000, 0x3F80},  // tie, kept lsb even: down
      {0x3F808001, 0x3F81},  // just above the tie: up
      {0x3F818000, 0x3F82},  // tie, kept lsb odd: up
      {0x3F817FFF, 0x3F81},  // below tie with odd lsb: down
      {0xBF808000, 0xBF80},  // negative tie, even: towards zero
      {0xBF818000, 0xBF82},  // negative tie, odd: away from zero
      {0x3FFF8000, 0x4000},  // tie with odd lsb carries into the exponent: 2.0
      {0x3FFFFFFF, 0x4000},  // carry into the exponent
      {0x007F8000, 0x0080},  // largest subnormal half-up carries into the smallest normal
      {0x00008000, 0x0000},  // subnormal tie, even: zero
      {0x00018000, 0x0002},  // subnormal tie, odd: up
      {0x7F7F0000, 0x7F7F},  // largest finite bf16 exact
      {0x7F7F7FFF, 0x7F7F},  // just below the tie to infinity
      {0x7F7F8000, 0x7F80},  // tie between max (odd) and "next" = inf: inf
      {0x7F7FFFFF, 0x7F80},  // FLT_MAX rounds to inf
      {0xFF7FFFFF, 0xFF80},  // -FLT_MAX rounds to -inf
      {0x7F7E8000, 0x7F7E},  // tie with even lsb just below max stays
      {0x7F800000, 0x7F80},  // +inf
      {0xFF800000, 0xFF80},  // -inf
      {0x00000000, 0x0000},  // +0
      {0x80000000, 0x8000},  // -0
      {0x7FC00000, 0x7FC0},  // canonical quiet NaN
      {0x7FA00000, 0x7FE0},  // signaling NaN with high payload: quieted, payload kept
  };
  for (const Case& c : cases)
    EXPECT_EQ(c.out, floatToBf16(fromBits(c.in))) << "input 0x" << std::hex << c.in;
}

TEST(Bf16, NaNWithPayloadOnlyInDiscardedBitsStaysNaN) {
  for (uint32_t in : {0x7F800001u, 0x7F807FFFu, 0x7F80FFFFu, 0xFF800001u, 0xFF80FFFFu}) {
    uint16_t out = floatToBf16(fromBits(in));
    EXPECT_TRUE(std::isnan(bf16ToFloat(out))) << std::hex << in << " -> " << out;
    EXPECT_EQ(in >> 31, static_cast<uint32_t>(out >> 15)) << "sign of 0x" << std::hex << in;
  }
}

TEST(Bf16, SweepAgainstNearestOfTwoCandidates) {
  // For each float, the answer is one of the two bf16 values around it: pick by distance
  // in double, ties to the even one.
  for (uint64_t b = 0; b < 0x7F800000ull; b += 9973) {
    for (uint32_t sign : {0u, 0x80000000u}) {
      float x = fromBits(static_cast<uint32_t>(b) | sign);
      uint16_t lo = static_cast<uint16_t>((static_cast<uint32_t>(b) | sign) >> 16);
      uint16_t hi = static_cast<uint16_t>(lo + 1);
      double dLo = std::fabs(static_cast<double>(x) - bf16ToFloat(lo));
      double vHi = (hi & 0x7FFF) == 0x7F80 ? std::copysign(pow2(128), x)  // past max: "2^128"
                                           : static_cast<double>(bf16ToFloat(hi));
      double dHi = std::fabs(static_cast<double>(x) - vHi);
      uint16_t expected = dLo < dHi ? lo : dHi < dLo ? hi : ((lo & 1) ? hi : lo);
      ASSERT_EQ(expected, floatToBf16(x)) << "x bits 0x" << std::hex << bitsOf(x);
    }
  }
}

//===----------------------------------------------------------------------===//
// e4m3fn
//===----------------------------------------------------------------------===//

TEST(E4M3, DecodeAll256Codes) {
  int nanCount = 0;
  for (int c = 0; c < 256; ++c) {
    double expected = refE4M3(static_cast<uint8_t>(c));
    float got = e4m3ToFloat(static_cast<uint8_t>(c));
    if (std::isnan(expected)) ++nanCount;
    ASSERT_TRUE(sameFloat(static_cast<float>(expected), got)) << "code 0x" << std::hex << c;
  }
  EXPECT_EQ(2, nanCount);
  // Landmarks written out by hand.
  EXPECT_EQ(448.0f, e4m3ToFloat(0x7E));
  EXPECT_EQ(-448.0f, e4m3ToFloat(0xFE));
  EXPECT_EQ(1.0f, e4m3ToFloat(0x38));
  EXPECT_EQ(0.001953125f, e4m3ToFloat(0x01));  // 2^-9
  EXPECT_EQ(0.013671875f, e4m3ToFloat(0x07));  // 7 * 2^-9, largest subnormal
  EXPECT_EQ(0.015625f, e4m3ToFloat(0x08));     // 2^-6, smallest normal
  EXPECT_EQ(240.0f, e4m3ToFloat(0x77));        // 1.875 * 2^7
  EXPECT_TRUE(std::isnan(e4m3ToFloat(0x7F)));
  EXPECT_TRUE(std::isnan(e4m3ToFloat(0xFF)));
  EXPECT_TRUE(std::signbit(e4m3ToFloat(0x80)));
  EXPECT_EQ(0.0f, e4m3ToFloat(0x80));
  EXPECT_FALSE(std::signbit(e4m3ToFloat(0x00)));
}

TEST(E4M3, EncodeDecodeRoundTripsEveryNonNaNCode) {
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7F) == 0x7F) continue;
    float v = static_cast<float>(refE4M3(static_cast<uint8_t>(c)));
    EXPECT_EQ(c, floatToE4M3(v, Overflow::Saturate)) << "code 0x" << std::hex << c;
    EXPECT_EQ(c, floatToE4M3(v, Overflow::NaN)) << "code 0x" << std::hex << c;
  }
}

TEST(E4M3, MidpointsRoundToEvenAndNeighboursToNearer) {
  std::vector<float> g = e4m3Grid();
  for (size_t c = 0; c + 1 < g.size(); ++c) {
    float a = g[c], b = g[c + 1];
    float mid = (a + b) / 2;  // exact: few significant bits
    ASSERT_EQ(static_cast<double>(mid), (static_cast<double>(a) + b) / 2);
    uint8_t even = static_cast<uint8_t>(c % 2 == 0 ? c : c + 1);
    for (Overflow mode : {Overflow::Saturate, Overflow::NaN}) {
      EXPECT_EQ(even, floatToE4M3(mid, mode)) << "midpoint " << mid;
      EXPECT_EQ(even | 0x80, floatToE4M3(-mid, mode)) << "midpoint " << -mid;
      EXPECT_EQ(c, floatToE4M3(std::nextafter(mid, 0.0f), mode)) << "below " << mid;
      EXPECT_EQ(c + 1, floatToE4M3(std::nextafter(mid, kInf), mode)) << "above " << mid;
      EXPECT_EQ(c | 0x80, floatToE4M3(-std::nextafter(mid, 0.0f), mode)) << "below " << -mid;
      EXPECT_EQ((c + 1) | 0x80, floatToE4M3(-std::nextafter(mid, kInf), mode))
          << "above " << -mid;
    }
  }
}

TEST(E4M3, SubnormalBoundaries) {
  const float tiny = 0.001953125f;  // 2^-9, smallest subnormal
  for (Overflow mode : {Overflow::Saturate, Overflow::NaN}) {
    EXPECT_EQ(0x01, floatToE4M3(tiny, mode));
    EXPECT_EQ(0x81, floatToE4M3(-tiny, mode));
    EXPECT_EQ(0x00, floatToE4M3(tiny / 2, mode));  // tie with 0: even code 0
    EXPECT_EQ(0x80, floatToE4M3(-tiny / 2, mode));  // and the sign survives
    EXPECT_EQ(0x01, floatToE4M3(std::nextafter(tiny / 2, 1.0f), mode));
    EXPECT_EQ(0x00, floatToE4M3(std::nextafter(tiny / 2, 0.0f), mode));
    EXPECT_EQ(0x02, floatToE4M3(tiny * 1.5f, mode));  // 1.5 steps: tie, 2 is even
    EXPECT_EQ(0x02, floatToE4M3(tiny * 2.5f, mode));  // 2.5 steps: tie, 2 is even
    EXPECT_EQ(0x08, floatToE4M3(tiny * 7.5f, mode));  // largest subnormal/min normal tie
    EXPECT_EQ(0x07, floatToE4M3(std::nextafter(tiny * 7.5f, 0.0f), mode));
    // Float subnormals and the smallest float normal are far below half a step.
    EXPECT_EQ(0x00, floatToE4M3(std::numeric_limits<float>::denorm_min(), mode));
    EXPECT_EQ(0x80, floatToE4M3(-std::numeric_limits<float>::denorm_min(), mode));
    EXPECT_EQ(0x00, floatToE4M3(std::numeric_limits<float>::min(), mode));
    EXPECT_EQ(0x00, floatToE4M3(0.0f, mode));
    EXPECT_EQ(0x80, floatToE4M3(-0.0f, mode));
  }
}

TEST(E4M3, OverflowSaturate) {
  const Overflow s = Overflow::Saturate;
  EXPECT_EQ(0x7E, floatToE4M3(448.0f, s));
  EXPECT_EQ(0x7E, floatToE4M3(464.0f, s));  // tie with the virtual 480 goes to even 448
  EXPECT_EQ(0x7E, floatToE4M3(std::nextafter(464.0f, kInf), s));
  EXPECT_EQ(0x7E, floatToE4M3(480.0f, s));
  EXPECT_EQ(0x7E, floatToE4M3(1e6f, s));
  EXPECT_EQ(0x7E, floatToE4M3(std::numeric_limits<float>::max(), s));
  EXPECT_EQ(0x7E, floatToE4M3(kInf, s));
  EXPECT_EQ(0xFE, floatToE4M3(-464.0f, s));
  EXPECT_EQ(0xFE, floatToE4M3(-1e6f, s));
  EXPECT_EQ(0xFE, floatToE4M3(-kInf, s));
}

TEST(E4M3, OverflowNaNFollowsPyTorch) {
  const Overflow n = Overflow::NaN;
  EXPECT_EQ(0x7E, floatToE4M3(448.0f, n));
  EXPECT_EQ(0x7E, floatToE4M3(std::nextafter(448.0f, kInf), n));
  EXPECT_EQ(0x7E, floatToE4M3(460.0f, n));
  EXPECT_EQ(0x7E, floatToE4M3(464.0f, n));  // exact tie: to 448 (mantissa 110 is even)
  EXPECT_EQ(0xFE, floatToE4M3(-464.0f, n));
  EXPECT_EQ(0x7F, floatToE4M3(std::nextafter(464.0f, kInf), n));  // rounds towards 480
  EXPECT_EQ(0xFF, floatToE4M3(-std::nextafter(464.0f, kInf), n));
  EXPECT_EQ(0x7F, floatToE4M3(470.0f, n));
  EXPECT_EQ(0x7F, floatToE4M3(480.0f, n));
  EXPECT_EQ(0x7F, floatToE4M3(1e30f, n));
  EXPECT_EQ(0x7F, floatToE4M3(kInf, n));
  EXPECT_EQ(0xFF, floatToE4M3(-kInf, n));
}

TEST(E4M3, NaNInputGivesNaNCodeInBothModes) {
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  for (Overflow mode : {Overflow::Saturate, Overflow::NaN}) {
    EXPECT_EQ(0x7F, floatToE4M3(qnan, mode));
    EXPECT_EQ(0xFF, floatToE4M3(-qnan, mode));
    EXPECT_EQ(0x7F, floatToE4M3(fromBits(0x7F800001), mode));  // signaling, tiny payload
    EXPECT_EQ(0xFF, floatToE4M3(fromBits(0xFFFFFFFF), mode));
  }
}

TEST(E4M3, SweepAgainstBruteForceNearest) {
  // Every 1021st float from 2^-12 to 600, both signs, both modes.
  for (uint32_t b = bitsOf(0.000244140625f); b <= bitsOf(600.0f); b += 1021) {
    for (float x : {fromBits(b), -fromBits(b)}) {
      for (Overflow mode : {Overflow::Saturate, Overflow::NaN})
        ASSERT_EQ(refToE4M3(x, mode), floatToE4M3(x, mode)) << "x = " << x;
    }
  }
}

TEST(E4M3, QuarterPointsBetweenNeighbours) {
  std::vector<float> g = e4m3Grid();
  for (size_t c = 0; c + 1 < g.size(); ++c) {
    float quarter = g[c] + (g[c + 1] - g[c]) / 4, threeQuarter = g[c] + 3 * (g[c + 1] - g[c]) / 4;
    EXPECT_EQ(c, floatToE4M3(quarter, Overflow::NaN));
    EXPECT_EQ(c + 1, floatToE4M3(threeQuarter, Overflow::NaN));
  }
}

TEST(E4M3, Fp4TimesScaleRatioWidensExactly) {
  // Spec section 2: an FP4 value times a power-of-two ratio up to 2^6 fits e4m3 exactly
  // (and, going down, as long as it stays at or above 2^-9).
  for (int code = 0; code < 16; ++code) {
    for (int r = -8; r <= 6; ++r) {
      float v = static_cast<float>(refE2M1(code) * pow2(r));
      uint8_t q = floatToE4M3(v, Overflow::NaN);
      EXPECT_TRUE(sameFloat(v, e4m3ToFloat(q))) << "code " << code << " ratio 2^" << r;
    }
  }
}

//===----------------------------------------------------------------------===//
// e8m0
//===----------------------------------------------------------------------===//

TEST(E8M0, DecodeAll256Bytes) {
  for (int b = 0; b < 255; ++b) {
    float expected = static_cast<float>(pow2(b - 127));  // exact, 2^-127 included
    ASSERT_TRUE(sameFloat(expected, e8m0ToFloat(static_cast<uint8_t>(b)))) << "byte " << b;
  }
  EXPECT_TRUE(std::isnan(e8m0ToFloat(255)));
  EXPECT_EQ(FP_SUBNORMAL, std::fpclassify(e8m0ToFloat(0)));
  EXPECT_EQ(0x00400000u, bitsOf(e8m0ToFloat(0)));
  EXPECT_EQ(FP_NORMAL, std::fpclassify(e8m0ToFloat(1)));
  EXPECT_EQ(1.0f, e8m0ToFloat(127));
  EXPECT_EQ(0x7F000000u, bitsOf(e8m0ToFloat(254)));  // 2^127
}

TEST(E8M0, FromExponentAndCeilLog2InvertDecode) {
  for (int b = 0; b < 255; ++b) {
    EXPECT_EQ(b, e8m0FromExponent(b - 127)) << "byte " << b;
    EXPECT_EQ(b, e8m0CeilLog2(static_cast<float>(pow2(b - 127)))) << "byte " << b;
  }
}

TEST(E8M0, FromExponentRangeChecks) {
  EXPECT_EQ(0, e8m0FromExponent(-127));
  EXPECT_EQ(254, e8m0FromExponent(127));
  EXPECT_THROW(e8m0FromExponent(-128), std::out_of_range);
  EXPECT_THROW(e8m0FromExponent(128), std::out_of_range);
  EXPECT_THROW(e8m0FromExponent(1000), std::out_of_range);
}

TEST(E8M0, CeilLog2EdgeCases) {
  for (int k = -126; k <= 126; ++k) {
    float p = static_cast<float>(pow2(k));
    EXPECT_EQ(k + 127, e8m0CeilLog2(p));
    EXPECT_EQ(k + 128, e8m0CeilLog2(std::nextafter(p, kInf))) << "just above 2^" << k;
    EXPECT_EQ(k + 127, e8m0CeilLog2(std::nextafter(p, 0.0f))) << "just below 2^" << k;
  }
  const float twoM127 = static_cast<float>(pow2(-127));
  EXPECT_EQ(0, e8m0CeilLog2(twoM127));
  EXPECT_EQ(1, e8m0CeilLog2(std::nextafter(twoM127, kInf)));  // subnormal above 2^-127
  EXPECT_EQ(0, e8m0CeilLog2(std::nextafter(twoM127, 0.0f)));  // saturates low
  EXPECT_EQ(0, e8m0CeilLog2(std::numeric_limits<float>::denorm_min()));
  EXPECT_EQ(0, e8m0CeilLog2(0.0f));
  EXPECT_EQ(0, e8m0CeilLog2(-0.0f));
  EXPECT_EQ(0, e8m0CeilLog2(-5.0f));
  EXPECT_EQ(0, e8m0CeilLog2(-kInf));
  EXPECT_EQ(254, e8m0CeilLog2(static_cast<float>(pow2(127))));
  EXPECT_EQ(254, e8m0CeilLog2(std::numeric_limits<float>::max()));  // would be 2^128
  EXPECT_EQ(254, e8m0CeilLog2(kInf));
  EXPECT_EQ(255, e8m0CeilLog2(std::numeric_limits<float>::quiet_NaN()));
  EXPECT_EQ(255, e8m0CeilLog2(-std::numeric_limits<float>::quiet_NaN()));
  // The scale-selection use: amax = 448 * 2^k picks exactly 2^k.
  EXPECT_EQ(127 + 3, e8m0CeilLog2(448.0f * 8 / 448.0f));
  EXPECT_EQ(127 + 1, e8m0CeilLog2(1.5f));
  EXPECT_EQ(127 - 1, e8m0CeilLog2(0.3f));
}

TEST(E8M0, CeilLog2SweepAgainstLog2) {
  for (uint64_t b = 1; b < 0x7F800000ull; b += 4093) {
    float x = fromBits(static_cast<uint32_t>(b));
    ASSERT_EQ(refCeilLog2Byte(x), e8m0CeilLog2(x)) << "x = " << x;
  }
}

//===----------------------------------------------------------------------===//
// e2m1
//===----------------------------------------------------------------------===//

TEST(E2M1, DecodeAll16Codes) {
  const float table[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};  // spec section 2
  for (int c = 0; c < 16; ++c) {
    float got = e2m1ToFloat(static_cast<uint8_t>(c));
    float fromTable = c < 8 ? table[c] : -table[c - 8];
    EXPECT_TRUE(sameFloat(fromTable, got)) << "code " << c;
    EXPECT_TRUE(sameFloat(static_cast<float>(refE2M1(c)), got)) << "code " << c;
  }
  EXPECT_TRUE(std::signbit(e2m1ToFloat(8)));
  // Only the low nibble counts.
  EXPECT_EQ(6.0f, e2m1ToFloat(0xF7));
}

TEST(E2M1, EncodeDecodeRoundTripsEveryCode) {
  for (int c = 0; c < 16; ++c)
    EXPECT_EQ(c, floatToE2M1(e2m1ToFloat(static_cast<uint8_t>(c)))) << "code " << c;
}

TEST(E2M1, NamedTies) {
  EXPECT_EQ(0, floatToE2M1(0.25f));
  EXPECT_EQ(2, floatToE2M1(0.75f));  // 1.0
  EXPECT_EQ(2, floatToE2M1(1.25f));  // 1.0
  EXPECT_EQ(4, floatToE2M1(1.75f));  // 2.0
  EXPECT_EQ(4, floatToE2M1(2.5f));   // 2.0
  EXPECT_EQ(6, floatToE2M1(3.5f));   // 4.0
  EXPECT_EQ(6, floatToE2M1(5.0f));   // 4.0
  EXPECT_EQ(8, floatToE2M1(-0.25f));
  EXPECT_EQ(14, floatToE2M1(-5.0f));
}

TEST(E2M1, MidpointsRoundToEvenAndNeighboursToNearer) {
  for (int c = 0; c < 7; ++c) {
    float a = e2m1ToFloat(c), b = e2m1ToFloat(c + 1);
    float mid = (a + b) / 2;
    int even = c % 2 == 0 ? c : c + 1;
    EXPECT_EQ(even, floatToE2M1(mid)) << mid;
    EXPECT_EQ(even | 8, floatToE2M1(-mid)) << -mid;
    EXPECT_EQ(c, floatToE2M1(std::nextafter(mid, 0.0f))) << mid;
    EXPECT_EQ(c + 1, floatToE2M1(std::nextafter(mid, kInf))) << mid;
    EXPECT_EQ(c | 8, floatToE2M1(-std::nextafter(mid, 0.0f))) << mid;
    EXPECT_EQ((c + 1) | 8, floatToE2M1(-std::nextafter(mid, kInf))) << mid;
  }
}

TEST(E2M1, SaturationNaNAndSignedZero) {
  EXPECT_EQ(7, floatToE2M1(6.0f));
  EXPECT_EQ(7, floatToE2M1(7.0f));
  EXPECT_EQ(7, floatToE2M1(std::nextafter(7.0f, kInf)));
  EXPECT_EQ(7, floatToE2M1(1e30f));
  EXPECT_EQ(7, floatToE2M1(kInf));
  EXPECT_EQ(15, floatToE2M1(-100.0f));
  EXPECT_EQ(15, floatToE2M1(-kInf));
  // Documented: NaN saturates with its sign bit, never to zero.
  EXPECT_EQ(7, floatToE2M1(std::numeric_limits<float>::quiet_NaN()));
  EXPECT_EQ(15, floatToE2M1(-std::numeric_limits<float>::quiet_NaN()));
  EXPECT_EQ(7, floatToE2M1(fromBits(0x7F800001)));
  EXPECT_EQ(0, floatToE2M1(0.0f));
  EXPECT_EQ(8, floatToE2M1(-0.0f));
  EXPECT_EQ(8, floatToE2M1(-std::numeric_limits<float>::denorm_min()));
  EXPECT_EQ(8, floatToE2M1(-0.25f));
}

TEST(E2M1, SweepAgainstBruteForceNearest) {
  for (uint32_t b = bitsOf(0.0625f); b <= bitsOf(16.0f); b += 509) {
    for (float x : {fromBits(b), -fromBits(b)})
      ASSERT_EQ(refToE2M1(x), floatToE2M1(x)) << "x = " << x;
  }
}

TEST(E2M1, PackingFollowsSpec) {
  EXPECT_EQ(0xA3, packE2M1(0x3, 0xA));
  EXPECT_EQ(0xA3, packE2M1(0xF3, 0xFA));  // high nibbles of the arguments ignored
  EXPECT_EQ(0x3, unpackE2M1Lo(0xA3));
  EXPECT_EQ(0xA, unpackE2M1Hi(0xA3));
  const uint8_t packed[] = {0x21, 0x43, 0x05};
  const uint8_t expected[] = {1, 2, 3, 4, 5, 0};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(expected[i], unpackE2M1(packed, i)) << i;
  for (int lo = 0; lo < 16; ++lo)
    for (int hi = 0; hi < 16; ++hi) {
      uint8_t byte = packE2M1(lo, hi);
      ASSERT_EQ(lo + 16 * hi, byte);
      ASSERT_EQ(lo, unpackE2M1Lo(byte));
      ASSERT_EQ(hi, unpackE2M1Hi(byte));
    }
}

//===----------------------------------------------------------------------===//
// Block quantization
//===----------------------------------------------------------------------===//

TEST(BlockE4M3, AmaxBelowFloorUsesFloorScale) {
  // 448 * 2^-22 = 1.07e-4 >= 1e-4 > 448 * 2^-23, so the floor picks 2^-22 (byte 105).
  std::vector<float> in = {1e-5f, -3e-6f, 0.0f, -0.0f, 2e-7f, 5e-5f, -8e-5f, 9.9e-5f};
  std::vector<uint8_t> codes(in.size()), scales(1);
  quantizeBlockE4M3Store(in.data(), codes.data(), scales.data(), in.size(), in.size());
  EXPECT_EQ(105, scales[0]);
  EXPECT_EQ(refScaleByte(in.data(), in.size(), 448.0, 1e-4f), scales[0]);
  std::vector<float> out(in.size());
  quantizeBlockE4M3(in.data(), out.data(), in.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    float scaled = static_cast<float>(in[i] / pow2(-22));
    EXPECT_EQ(refToE4M3(scaled, Overflow::Saturate), codes[i]) << i;
    float expected = static_cast<float>(refE4M3(codes[i]) * pow2(-22));
    EXPECT_TRUE(sameFloat(expected, out[i])) << i;
  }
  EXPECT_TRUE(std::signbit(out[3]));  // -0 stays -0

  // A custom floor.
  std::vector<float> zeros(4, 0.0f);
  quantizeBlockE4M3Store(zeros.data(), codes.data(), scales.data(), 4, 4, 448.0f);
  EXPECT_EQ(127, scales[0]);
}

TEST(BlockE4M3, AmaxExactly448TimesPowerOfTwo) {
  for (int k : {-20, -5, 0, 1, 3, 10, 60}) {
    float amax = static_cast<float>(448.0 * pow2(k));
    std::vector<float> in = {amax * 0.25f, -amax, amax * 0.5f, amax / 3};
    std::vector<uint8_t> codes(in.size()), scales(1);
    quantizeBlockE4M3Store(in.data(), codes.data(), scales.data(), in.size(), 4);
    EXPECT_EQ(127 + k, scales[0]) << "k " << k;
    EXPECT_EQ(0xFE, codes[1]) << "k " << k;  // -amax / scale = -448 exactly, not clamped
    EXPECT_EQ(0x6E, codes[0]) << "k " << k;  // 112 = 1.75 * 2^6
    std::vector<float> out(in.size());
    quantizeBlockE4M3(in.data(), out.data(), in.size(), 4);
    EXPECT_EQ(in[0], out[0]);
    EXPECT_EQ(in[1], out[1]);
    EXPECT_EQ(in[2], out[2]);

    // One ulp more needs the next scale.
    in[1] = -std::nextafter(amax, kInf);
    quantizeBlockE4M3Store(in.data(), codes.data(), scales.data(), in.size(), 4);
    EXPECT_EQ(128 + k, scales[0]) << "k " << k;
    EXPECT_EQ(0xF6, codes[1]) << "k " << k;  // -224
  }
}

TEST(BlockE4M3, ScalesPerBlockWithPartialLastBlock) {
  std::mt19937 rng(1234);
  const size_t n = 128 * 3 + 50, block = 128;
  std::vector<float> in(n);
  // Blocks with very different magnitudes: the third is tiny (below the floor).
  const float mags[] = {3.0f, 1000.0f, 1e-6f, 0.02f};
  for (size_t i = 0; i < n; ++i) {
    std::uniform_real_distribution<float> d(-mags[i / block], mags[i / block]);
    in[i] = d(rng);
  }
  std::vector<uint8_t> codes(n), scales(4);
  quantizeBlockE4M3Store(in.data(), codes.data(), scales.data(), n, block);
  std::vector<float> out(n), inPlace = in;
  quantizeBlockE4M3(in.data(), out.data(), n, block);
  quantizeBlockE4M3(inPlace.data(), inPlace.data(), n, block);
  for (size_t b = 0; b < 4; ++b) {
    size_t len = std::min(block, n - b * block);
    int expectedByte = refScaleByte(in.data() + b * block, len, 448.0, 1e-4f);
    ASSERT_EQ(expectedByte, scales[b]) << "block " << b;
    for (size_t i = b * block; i < b * block + len; ++i) {
      double scale = pow2(expectedByte - 127);
      float scaled = static_cast<float>(in[i] / scale);
      ASSERT_EQ(refToE4M3(scaled, Overflow::Saturate), codes[i]) << i;
      float expected = static_cast<float>(refE4M3(codes[i]) * scale);
      ASSERT_TRUE(sameFloat(expected, out[i])) << i;
      ASSERT_TRUE(sameFloat(expected, inPlace[i])) << i;
      // The quantization error is at most half a step of the scaled grid.
      ASSERT_LE(std::fabs(out[i] - in[i]), 16.0 * scale) << i;
    }
  }
  EXPECT_EQ(105, scales[2]);  // floored
}

TEST(BlockE4M3, NaNAndInfinityInBlock) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> in = {1.0f, nan, 2.0f, 3.0f, /*next block*/ 1.0f, -kInf, 0.5f, 448.0f};
  std::vector<uint8_t> codes(8), scales(2);
  quantizeBlockE4M3Store(in.data(), codes.data(), scales.data(), 8, 4);
  EXPECT_EQ(255, scales[0]);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(0x7F, codes[i]) << i;
  EXPECT_EQ(254, scales[1]);  // saturated: 2^127
  EXPECT_EQ(0xFE, codes[5]);  // -inf / 2^127 saturates to -448
  EXPECT_EQ(0x00, codes[4]);  // 1 / 2^127 is far below 2^-10
  std::vector<float> out(8);
  quantizeBlockE4M3(in.data(), out.data(), 8, 4);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(std::isnan(out[i])) << i;
  EXPECT_EQ(-kInf, out[5]);
  EXPECT_EQ(0.0f, out[4]);
}

TEST(BlockE4M3, ZeroBlockSizeThrows) {
  float x = 1.0f, y;
  EXPECT_THROW(quantizeBlockE4M3(&x, &y, 1, 0), std::invalid_argument);
}

TEST(BlockE2M1, FloorAndExactScale) {
  // All zeros: the floor 6 * 2^-126 gives scale 2^-126 (byte 1).
  std::vector<float> zeros = {0.0f, -0.0f, 0.0f};
  std::vector<uint8_t> packed(2, 0xFF), scales(1);  // 0xFF: catches nibbles left unwritten
  quantizeBlockE2M1Store(zeros.data(), packed.data(), scales.data(), 3, 32);
  EXPECT_EQ(1, scales[0]);
  EXPECT_EQ(0x80, packed[0]);  // element 1 is -0: code 8 in the high nibble
  EXPECT_EQ(0x00, packed[1]);  // odd n: the last high nibble is 0

  // amax = 6 exactly: scale 1, the named ties land where the header says.
  std::vector<float> in = {6.0f, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, -5.0f};
  packed.assign(4, 0xEE);
  quantizeBlockE2M1Store(in.data(), packed.data(), scales.data(), in.size(), 32);
  EXPECT_EQ(127, scales[0]);
  EXPECT_EQ(packE2M1(7, 0), packed[0]);
  EXPECT_EQ(packE2M1(2, 2), packed[1]);
  EXPECT_EQ(packE2M1(4, 4), packed[2]);
  EXPECT_EQ(packE2M1(6, 14), packed[3]);
  std::vector<float> out(in.size());
  quantizeBlockE2M1(in.data(), out.data(), in.size(), 32);
  const float expected[] = {6.0f, 0.0f, 1.0f, 1.0f, 2.0f, 2.0f, 4.0f, -4.0f};
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(expected[i], out[i]) << i;

  // amax = 6 * 2^5 scales everything by 32.
  for (float& x : in) x *= 32;
  quantizeBlockE2M1(in.data(), out.data(), in.size(), 32);
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(expected[i] * 32, out[i]) << i;
}

TEST(BlockE2M1, RandomBlocksAgainstOracle) {
  std::mt19937 rng(99);
  const size_t n = 32 * 5 + 7, block = 32, nBlocks = 6;
  std::vector<float> in(n);
  for (size_t i = 0; i < n; ++i) {
    float mag = std::ldexp(1.0f, static_cast<int>(i / block) * 7 - 20);
    in[i] = std::uniform_real_distribution<float>(-mag, mag)(rng);
  }
  std::vector<uint8_t> packed((n + 1) / 2, 0xFF), scales(nBlocks);
  quantizeBlockE2M1Store(in.data(), packed.data(), scales.data(), n, block);
  std::vector<float> out = in;
  quantizeBlockE2M1(out.data(), out.data(), n, block);  // in place
  for (size_t b = 0; b < nBlocks; ++b) {
    size_t len = std::min(block, n - b * block);
    int byte = refScaleByte(in.data() + b * block, len, 6.0, 6.0 * pow2(-126));
    ASSERT_EQ(byte, scales[b]) << "block " << b;
    for (size_t i = b * block; i < b * block + len; ++i) {
      double scale = pow2(byte - 127);
      uint8_t code = refToE2M1(static_cast<float>(in[i] / scale));
      uint8_t stored = (i % 2 == 0) ? (packed[i / 2] & 0xF) : (packed[i / 2] >> 4);
      ASSERT_EQ(code, stored) << i;
      ASSERT_TRUE(sameFloat(static_cast<float>(refE2M1(code) * scale), out[i])) << i;
    }
  }
  EXPECT_EQ(0, packed.back() >> 4);  // n odd
}

TEST(BlockE2M1, NaNBlockHasNaNScale) {
  std::vector<float> in = {1.0f, -std::numeric_limits<float>::quiet_NaN(), 2.0f, 3.0f};
  std::vector<uint8_t> packed(2), scales(2);
  quantizeBlockE2M1Store(in.data(), packed.data(), scales.data(), 4, 2);
  EXPECT_EQ(255, scales[0]);
  EXPECT_EQ(126, scales[1]);  // amax 3: 6 * 2^-1 = 3
  EXPECT_EQ(packE2M1(7, 7), packed[0]);
  EXPECT_EQ(packE2M1(6, 7), packed[1]);  // 2/0.5 = 4 (code 6), 3/0.5 = 6 (code 7)
  std::vector<float> out(4);
  quantizeBlockE2M1(in.data(), out.data(), 4, 2);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(2.0f, out[2]);
  EXPECT_EQ(3.0f, out[3]);
}

//===----------------------------------------------------------------------===//
// Weight dequantization
//===----------------------------------------------------------------------===//

TEST(Dequant, Fp8BlockScaledNonMultipleOf128) {
  const size_t rows = 130, cols = 300;  // scale grid 2 x 3
  const size_t scaleRows = 2, scaleCols = 3;
  std::mt19937 rng(7);
  std::vector<uint8_t> q(rows * cols), scales(scaleRows * scaleCols);
  for (uint8_t& c : q) c = static_cast<uint8_t>(rng());  // NaN codes included
  for (size_t i = 0; i < scales.size(); ++i) scales[i] = static_cast<uint8_t>(110 + 5 * i);
  std::vector<float> out(rows * cols);
  dequantFp8BlockWeight(q.data(), scales.data(), rows, cols, out.data());
  for (size_t o = 0; o < rows; ++o)
    for (size_t i = 0; i < cols; ++i) {
      int s = scales[(o / 128) * scaleCols + (i / 128)];
      float expected = static_cast<float>(refE4M3(q[o * cols + i]) * pow2(s - 127));
      ASSERT_TRUE(sameFloat(expected, out[o * cols + i])) << o << "," << i;
    }
}

TEST(Dequant, Fp8ExtremeScales) {
  const uint8_t q[] = {0x7E, 0x01, 0xFE, 0x38};
  const uint8_t scales[] = {0};  // 2^-127: results are float subnormals, still exact
  float out[4];
  dequantFp8BlockWeight(q, scales, 2, 2, out);
  EXPECT_TRUE(sameFloat(static_cast<float>(448 * pow2(-127)), out[0]));
  EXPECT_TRUE(sameFloat(static_cast<float>(pow2(-136)), out[1]));
  EXPECT_TRUE(sameFloat(static_cast<float>(-448 * pow2(-127)), out[2]));
  const uint8_t nanScale[] = {255};
  dequantFp8BlockWeight(q, nanScale, 2, 2, out);
  for (float v : out) EXPECT_TRUE(std::isnan(v));
}

void checkFp4(size_t rows, size_t cols, unsigned seed) {
  const size_t bytesPerRow = (cols + 1) / 2, scaleCols = (cols + 31) / 32;
  std::mt19937 rng(seed);
  std::vector<uint8_t> packed(rows * bytesPerRow), scales(rows * scaleCols);
  for (uint8_t& b : packed) b = static_cast<uint8_t>(rng());
  for (uint8_t& s : scales) s = static_cast<uint8_t>(100 + rng() % 50);
  std::vector<float> out(rows * cols);
  dequantFp4Weight(packed.data(), scales.data(), rows, cols, out.data());
  for (size_t o = 0; o < rows; ++o)
    for (size_t i = 0; i < cols; ++i) {
      uint8_t byte = packed[o * bytesPerRow + i / 2];
      uint8_t code = (i % 2 == 0) ? (byte & 0xF) : (byte >> 4);
      int s = scales[o * scaleCols + i / 32];
      float expected = static_cast<float>(refE2M1(code) * pow2(s - 127));
      ASSERT_TRUE(sameFloat(expected, out[o * cols + i])) << o << "," << i;
    }
}

TEST(Dequant, Fp4PackedNonMultipleOf128) {
  checkFp4(5, 200, 11);  // 200 = 6 full 32-blocks + 8
  checkFp4(3, 37, 12);   // odd: the last byte of each row holds one element
  checkFp4(1, 32, 13);
}

TEST(Dequant, Fp4HandBuiltRow) {
  // Row of 4: codes 1 (0.5), 15 (-6), 7 (6), 8 (-0) with scale 2^1.
  const uint8_t packed[] = {packE2M1(1, 15), packE2M1(7, 8)};
  const uint8_t scale[] = {128};
  float out[4];
  dequantFp4Weight(packed, scale, 1, 4, out);
  EXPECT_EQ(1.0f, out[0]);
  EXPECT_EQ(-12.0f, out[1]);
  EXPECT_EQ(12.0f, out[2]);
  EXPECT_TRUE(sameFloat(-0.0f, out[3]));
}

}  // namespace

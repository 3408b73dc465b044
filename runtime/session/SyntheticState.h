// Synthetic per-slot state for benchmarks (Session::fillContext): a decode step at context C
// costs what it costs whatever the state holds, so a slot can be given C tokens' worth of
// pseudo-random state instead of prefilling C tokens. The values are a pure function of
// (seed, element index), the same on every device (the cuda device computes them with a kernel
// of the same arithmetic, bit for bit).
#ifndef DS4_RUNTIME_SESSION_SYNTHETICSTATE_H
#define DS4_RUNTIME_SESSION_SYNTHETICSTATE_H

#include <cstddef>
#include <cstdint>

namespace ds4 {
namespace session {

/// Element `i` of a slot's rows of a state filled from `seed`: uniform in [-1, 1) with 24-bit
/// resolution (splitmix64 of the index).
inline float syntheticStateValue(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return float(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

/// The seed of state `index` (so the states of one slot differ).
inline uint64_t syntheticStateSeed(uint64_t seed, size_t index) {
  return seed ^ (uint64_t(index) + 1) * 0xD1B54A32D192ED03ull;
}

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_SYNTHETICSTATE_H

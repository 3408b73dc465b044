// Choosing the next token from a row of logits: greedy (argmax), or a seeded draw from
// softmax(logits / temperature) restricted to the top-p nucleus.
//
//   temperature == 0          greedy: the index of the largest logit (the first one on ties);
//   temperature > 0           p_i = softmax(logits / temperature), then, unless top_p == 1,
//                             only the most probable tokens whose cumulative probability first
//                             reaches top_p are kept (at least one), renormalized, and one is
//                             drawn with a std::mt19937_64 seeded with `seed`.
//
// The draw uses the generator's raw 64-bit output (u = (x >> 11) * 2^-53), not
// std::uniform_real_distribution, so a seed gives the same tokens with every standard library.
// Ties in probability are broken by the lower token id. NaN logits are an error; -inf logits
// have probability 0.
#ifndef DS4_RUNTIME_SESSION_SAMPLER_H
#define DS4_RUNTIME_SESSION_SAMPLER_H

#include "runtime/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ds4 {
namespace session {

struct SamplingOptions {
  /// 0 = greedy. Must be finite and >= 0.
  double temperature = 0.0;
  /// In (0, 1]; 1 keeps every token.
  double topP = 1.0;
  uint64_t seed = 0;
};

/// Why `options` are invalid, or "" if they are fine.
std::string samplingOptionsProblem(const SamplingOptions &options);

class Sampler {
public:
  /// Fails on invalid options.
  static Expected<Sampler> create(const SamplingOptions &options);

  /// One token from `vocab` logits.
  Expected<int32_t> sample(const float *logits, size_t vocab);

  const SamplingOptions &options() const { return options_; }

  /// The candidate set sample() draws from for these logits: (token, probability) pairs,
  /// most probable first, probabilities renormalized. Greedy: the argmax alone.
  Expected<std::vector<std::pair<int32_t, double>>> candidates(const float *logits,
                                                                size_t vocab) const;

private:
  explicit Sampler(const SamplingOptions &options) : options_(options), rng_(options.seed) {}
  SamplingOptions options_;
  std::mt19937_64 rng_;
};

/// The index of the largest logit (first on ties); an error on NaN or vocab == 0.
Expected<int32_t> argmax(const float *logits, size_t vocab);

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_SAMPLER_H

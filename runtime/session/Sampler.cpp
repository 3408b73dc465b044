#include "runtime/session/Sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace ds4 {
namespace session {

namespace {

Status checkLogits(const float *logits, size_t vocab) {
  if (vocab == 0)
    return Status::error("sampling: empty logits (vocabulary size 0)");
  if (vocab > size_t(std::numeric_limits<int32_t>::max()))
    return Status::error("sampling: vocabulary size " + std::to_string(vocab) +
                         " does not fit token ids (i32)");
  if (!logits)
    return Status::error("sampling: no logits (null pointer)");
  for (size_t i = 0; i < vocab; ++i)
    if (std::isnan(logits[i]))
      return Status::error("sampling: logit of token " + std::to_string(i) + " is NaN");
  return Status::success();
}

} // namespace

std::string samplingOptionsProblem(const SamplingOptions &o) {
  if (!std::isfinite(o.temperature) || o.temperature < 0)
    return "temperature " + std::to_string(o.temperature) + " must be finite and >= 0";
  if (!(o.topP > 0 && o.topP <= 1))
    return "top-p " + std::to_string(o.topP) + " must be in (0, 1]";
  return "";
}

Expected<Sampler> Sampler::create(const SamplingOptions &options) {
  std::string problem = samplingOptionsProblem(options);
  if (!problem.empty())
    return Status::error("sampling: " + problem);
  return Sampler(options);
}

Expected<int32_t> argmax(const float *logits, size_t vocab) {
  Status s = checkLogits(logits, vocab);
  if (!s.ok())
    return s;
  size_t best = 0;
  for (size_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best])
      best = i;
  return int32_t(best);
}

Expected<std::vector<std::pair<int32_t, double>>> Sampler::candidates(const float *logits,
                                                                       size_t vocab) const {
  using Result = std::vector<std::pair<int32_t, double>>;
  if (options_.temperature == 0) {
    Expected<int32_t> best = argmax(logits, vocab);
    if (!best)
      return best.status();
    return Result{{*best, 1.0}};
  }
  Status s = checkLogits(logits, vocab);
  if (!s.ok())
    return s;
  float maxLogit = *std::max_element(logits, logits + vocab);
  if (std::isinf(maxLogit) && maxLogit < 0)
    return Status::error("sampling: every logit is -inf");
  Result probs;
  probs.reserve(vocab);
  double sum = 0;
  bool posInf = std::isinf(maxLogit);
  for (size_t i = 0; i < vocab; ++i) {
    double p;
    if (posInf) // +inf logits share all the mass
      p = std::isinf(logits[i]) && logits[i] > 0 ? 1.0 : 0.0;
    else
      p = std::exp((double(logits[i]) - double(maxLogit)) / options_.temperature);
    if (p > 0) {
      probs.emplace_back(int32_t(i), p);
      sum += p;
    }
  }
  std::stable_sort(probs.begin(), probs.end(),
                   [](const auto &a, const auto &b) { return a.second > b.second; });
  for (auto &tp : probs)
    tp.second /= sum;
  if (options_.topP < 1) {
    double cumulative = 0;
    size_t keep = 0;
    while (keep < probs.size()) {
      cumulative += probs[keep].second;
      ++keep;
      if (cumulative >= options_.topP)
        break;
    }
    probs.resize(keep);
    double kept = 0;
    for (auto &tp : probs)
      kept += tp.second;
    for (auto &tp : probs)
      tp.second /= kept;
  }
  return probs;
}

Expected<int32_t> Sampler::sample(const float *logits, size_t vocab) {
  if (options_.temperature == 0)
    return argmax(logits, vocab);
  auto set = candidates(logits, vocab);
  if (!set)
    return set.status();
  double u = double(rng_() >> 11) * (1.0 / 9007199254740992.0); // [0, 1)
  double cumulative = 0;
  for (const auto &tp : *set) {
    cumulative += tp.second;
    if (u < cumulative)
      return tp.first;
  }
  return set->back().first; // rounding left u above the last boundary
}

} // namespace session
} // namespace ds4

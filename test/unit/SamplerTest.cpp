// Tests of runtime/session/Sampler: greedy is argmax, temperature 0 is greedy, a seed fixes the
// draws, top-p restricts the candidate set, and the draw follows the distribution.
#include "runtime/session/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <vector>

using namespace ds4;
using namespace ds4::session;

namespace {

Sampler make(double temperature, double topP = 1.0, uint64_t seed = 0) {
  SamplingOptions o;
  o.temperature = temperature;
  o.topP = topP;
  o.seed = seed;
  Expected<Sampler> s = Sampler::create(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(*s);
}

std::vector<float> logitsOf(const std::vector<double> &probs) {
  std::vector<float> out;
  for (double p : probs)
    out.push_back(p > 0 ? float(std::log(p)) : -std::numeric_limits<float>::infinity());
  return out;
}

TEST(SamplerTest, GreedyIsArgmax) {
  std::vector<float> logits = {0.5f, -1.0f, 3.25f, 3.0f, -7.0f};
  Sampler s = make(0);
  for (int i = 0; i < 5; ++i) {
    Expected<int32_t> t = s.sample(logits.data(), logits.size());
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(*t, 2);
  }
  // Ties go to the first.
  std::vector<float> tied = {1.0f, 4.0f, 4.0f, 0.0f};
  EXPECT_EQ(*argmax(tied.data(), tied.size()), 1);
  std::vector<float> negative = {-5.0f, -2.0f, -3.0f};
  EXPECT_EQ(*argmax(negative.data(), negative.size()), 1);
}

TEST(SamplerTest, TemperatureZeroIsGreedyWhateverSeedAndTopP) {
  std::vector<float> logits = {0.1f, 0.2f, 0.15f, 0.19f};
  for (uint64_t seed : {0ull, 1ull, 12345ull})
    for (double p : {0.1, 0.5, 1.0}) {
      Sampler s = make(0, p, seed);
      EXPECT_EQ(*s.sample(logits.data(), logits.size()), 1);
    }
}

TEST(SamplerTest, SeededDeterminism) {
  std::vector<float> logits = logitsOf({0.2, 0.2, 0.2, 0.2, 0.2});
  auto draw = [&](uint64_t seed) {
    Sampler s = make(1.0, 1.0, seed);
    std::vector<int32_t> tokens;
    for (int i = 0; i < 64; ++i)
      tokens.push_back(*s.sample(logits.data(), logits.size()));
    return tokens;
  };
  EXPECT_EQ(draw(7), draw(7));
  EXPECT_NE(draw(7), draw(8));
  // Golden: the draw does not depend on the standard library's distributions.
  Sampler s = make(1.0, 1.0, 42);
  std::vector<int32_t> first;
  for (int i = 0; i < 8; ++i)
    first.push_back(*s.sample(logits.data(), logits.size()));
  std::mt19937_64 rng(42);
  std::vector<int32_t> expected;
  for (int i = 0; i < 8; ++i) {
    double u = double(rng() >> 11) * (1.0 / 9007199254740992.0);
    expected.push_back(int32_t(std::min(4.0, std::floor(u * 5)))); // uniform over 5
  }
  EXPECT_EQ(first, expected);
}

TEST(SamplerTest, TopPRestrictsTheSet) {
  std::vector<float> logits = logitsOf({0.05, 0.5, 0.15, 0.3});
  Sampler s = make(1.0, 0.7, 3);
  auto set = s.candidates(logits.data(), logits.size());
  ASSERT_TRUE(set.ok()) << set.status().message();
  ASSERT_EQ(set->size(), 2u); // 0.5 + 0.3 >= 0.7
  EXPECT_EQ((*set)[0].first, 1);
  EXPECT_EQ((*set)[1].first, 3);
  EXPECT_NEAR((*set)[0].second, 0.5 / 0.8, 1e-6);
  std::set<int32_t> drawn;
  for (int i = 0; i < 500; ++i)
    drawn.insert(*s.sample(logits.data(), logits.size()));
  EXPECT_EQ(drawn, (std::set<int32_t>{1, 3}));

  // A tiny top-p keeps only the most probable token.
  Sampler tiny = make(1.0, 1e-6, 3);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(*tiny.sample(logits.data(), logits.size()), 1);

  // top-p 1 keeps every token with non-zero probability.
  Sampler all = make(1.0, 1.0, 3);
  EXPECT_EQ(all.candidates(logits.data(), logits.size())->size(), 4u);
}

TEST(SamplerTest, DrawFollowsTheDistribution) {
  std::vector<float> logits = logitsOf({0.75, 0.25, 0.0});
  Sampler s = make(1.0, 1.0, 11);
  int counts[3] = {0, 0, 0};
  const int n = 20000;
  for (int i = 0; i < n; ++i)
    ++counts[*s.sample(logits.data(), logits.size())];
  EXPECT_EQ(counts[2], 0); // -inf logit: probability 0
  EXPECT_NEAR(double(counts[0]) / n, 0.75, 0.02);

  // Temperature flattens / sharpens: T = 2 turns 0.75/0.25 into sqrt-weighted 0.634/0.366.
  Sampler hot = make(2.0, 1.0, 11);
  auto set = hot.candidates(logits.data(), logits.size());
  ASSERT_EQ(set->size(), 2u);
  EXPECT_NEAR((*set)[0].second, std::sqrt(0.75) / (std::sqrt(0.75) + std::sqrt(0.25)), 1e-6);
}

TEST(SamplerTest, RejectsBadOptionsAndLogits) {
  for (auto [t, p] : std::vector<std::pair<double, double>>{
           {-1.0, 1.0}, {std::nan(""), 1.0}, {INFINITY, 1.0}, {1.0, 0.0}, {1.0, 1.5}, {1.0, -0.1}}) {
    SamplingOptions o;
    o.temperature = t;
    o.topP = p;
    Expected<Sampler> s = Sampler::create(o);
    EXPECT_FALSE(s.ok()) << t << " " << p;
  }
  SamplingOptions o;
  o.temperature = -1;
  EXPECT_NE(Sampler::create(o).status().message().find("temperature"), std::string::npos);
  o.temperature = 1;
  o.topP = 2;
  EXPECT_NE(Sampler::create(o).status().message().find("top-p 2"), std::string::npos);

  std::vector<float> nan = {0.0f, std::nanf(""), 1.0f};
  Sampler greedy = make(0);
  Expected<int32_t> r = greedy.sample(nan.data(), nan.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("logit of token 1 is NaN"), std::string::npos);
  EXPECT_FALSE(greedy.sample(nan.data(), 0).ok());
  std::vector<float> ninf(3, -std::numeric_limits<float>::infinity());
  Sampler hot = make(1.0);
  EXPECT_FALSE(hot.sample(ninf.data(), ninf.size()).ok());
}

} // namespace

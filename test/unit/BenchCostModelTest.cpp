// ds4-bench's component grouping (tools/ds4-bench/Components.h) and the cost model's split of a
// step's bytes and FLOPs by component: every ds4 op and every V4-Flash weight lands in the
// component the transformers side books the same work to, and the parts add up to the step.
#include "test/unit/TestArtifacts.h"
#include "tools/ds4-bench/Components.h"
#include "tools/ds4-bench/CostModel.h"

#include <gtest/gtest.h>

#include <set>

using namespace ds4;

namespace {

TEST(BenchComponents, EveryListedOpMapsBack) {
  std::set<std::string> names;
  for (const bench::Component &c : bench::components())
    names.insert(c.name);
  EXPECT_EQ(names.size(), bench::components().size()) << "duplicate component names";
  const std::pair<const char *, const char *> ops[] = {
      {"logits", "lm_head"},
      {"linear", "projections"},
      {"grouped_linear", "projections"},
      {"multi_linear", "projections"},
      {"moe_experts", "routed_experts"},
      {"moe_gate", "moe_glue"},
      {"swiglu", "moe_glue"},
      {"compressor", "compression_indexer"},
      {"indexer_score", "compression_indexer"},
      {"topk", "compression_indexer"},
      {"sparse_attention", "attention"},
      {"rope", "attention"},
      {"window_update", "attention"},
      {"rms_norm", "norms"},
      {"hc_pre", "mhc"},
      {"hc_post", "mhc"},
      {"hc_head", "mhc"},
      {"hc_expand", "mhc"},
      {"embedding", "embedding"},
      // The entries' own loops (kernels named after the entry) and anything unknown.
      {"decode", "other"},
      {"prefill", "other"},
      {"no_such_op", "other"},
  };
  for (auto [op, part] : ops)
    EXPECT_EQ(bench::componentOfOp(op), part) << op;
}

TEST(BenchComponents, V4FlashWeights) {
  const std::pair<const char *, const char *> weights[] = {
      {"embed.weight", "embedding"},
      {"head.weight", "lm_head"},
      {"norm.weight", "norms"},
      {"hc_head_fn", "mhc"},
      {"layers.0.hc_attn_fn", "mhc"},
      {"layers.0.hc_ffn_scale", "mhc"},
      {"layers.0.attn_norm.weight", "norms"},
      {"layers.0.ffn_norm.weight", "norms"},
      {"layers.0.attn.q_norm.weight", "norms"},
      {"layers.0.attn.kv_norm.weight", "norms"},
      {"layers.0.attn.attn_sink", "attention"},
      {"layers.0.attn.wq_a.weight", "projections"},
      {"layers.0.attn.wq_b.weight", "projections"},
      {"layers.0.attn.wkv.weight", "projections"},
      {"layers.0.attn.wo_a.weight", "projections"},
      {"layers.0.attn.wo_b.weight", "projections"},
      {"layers.0.attn.compressor.wkv.weight", "projections"},
      {"layers.0.attn.compressor.wgate.weight", "projections"},
      {"layers.0.attn.compressor.ape", "compression_indexer"},
      {"layers.0.attn.compressor.norm.weight", "compression_indexer"},
      {"layers.0.attn.indexer.wq_b.weight", "projections"},
      {"layers.0.attn.indexer.weights_proj.weight", "projections"},
      {"layers.0.attn.indexer.compressor.wkv.weight", "projections"},
      {"layers.0.attn.indexer.compressor.ape", "compression_indexer"},
      {"layers.0.attn.indexer.compressor.norm.weight", "compression_indexer"},
      {"layers.0.ffn.gate.weight", "moe_glue"},
      {"layers.0.ffn.gate.bias", "moe_glue"},
      {"layers.0.ffn.gate.tid2eid", "moe_glue"},
      {"layers.0.ffn.experts.*.w1.weight", "routed_experts"},
      {"layers.0.ffn.experts.*.w2.weight", "routed_experts"},
      {"layers.0.ffn.shared_experts.w1.weight", "projections"},
      {"layers.0.ffn.shared_experts.w2.weight", "projections"},
  };
  for (auto [name, part] : weights)
    EXPECT_EQ(bench::componentOfWeight(name), part) << name;
}

/// A CSA layer in miniature: a weight of each kind and the four state kinds.
test::TestModel csaLayer() {
  test::TestModel m = test::fakeGpuModel({1, 2, 3});
  m.configJson = R"({"n_activated_experts": 2, "n_heads": 4, "head_dim": 16,
                     "window_size": 8, "index_topk": 4, "index_n_heads": 2,
                     "index_head_dim": 8})";
  m.weights.clear();
  int64_t offset = 0;
  auto add = [&](const char *name, std::string dtype, std::vector<int64_t> shape,
                 int64_t experts = 1) {
    test::TestWeight w;
    w.name = name;
    w.dtype = dtype;
    w.shape = shape;
    w.experts = experts;
    int64_t n = experts * (dtype == "BF16" ? 2 : 4);
    for (int64_t s : shape)
      n *= s;
    w.bytes = n;
    w.offset = offset;
    offset += (n + 255) / 256 * 256;
    m.weights.push_back(w);
  };
  add("embed.weight", "BF16", {64, 32});
  add("head.weight", "BF16", {64, 32});
  add("norm.weight", "F32", {32});
  add("layers.0.attn.wq_a.weight", "BF16", {16, 32});
  add("layers.0.attn.attn_sink", "F32", {4});
  add("layers.0.attn.compressor.ape", "F32", {4, 32});
  add("layers.0.ffn.experts.*.w1.weight", "BF16", {8, 32}, 16);
  add("layers.0.ffn.gate.weight", "BF16", {16, 32});
  add("layers.0.hc_attn_fn", "F32", {24, 128});
  m.weightArenaBytes = offset;
  m.states = {{"layers.0.window", artifact::StateKind_window, 8, 0, 16},
              {"layers.0.compressed", artifact::StateKind_compressed, 0, 4, 16},
              {"layers.0.indexer_keys", artifact::StateKind_indexer_keys, 0, 4, 8},
              {"layers.0.compressor", artifact::StateKind_compressor, 8, 0, 64}};
  return m;
}

TEST(BenchCostModel, ComponentsAddUpToTheStep) {
  Expected<artifact::Artifact> a =
      artifact::Artifact::fromBuffer(test::buildArtifact(csaLayer()), "csa-layer.ds4");
  ASSERT_TRUE(a.ok()) << a.status().message();
  Expected<bench::CostModel> model = bench::CostModel::fromArtifact(*a);
  ASSERT_TRUE(model.ok()) << model.status().message();
  for (auto [batch, tokens, context] :
       {std::tuple<int64_t, int64_t, int64_t>{1, 1, 64}, {2, 1, 1000}, {1, 16, 0}}) {
    bench::StepCost c = model->step(batch, tokens, context);
    double bytes = 0, flops = 0;
    for (auto &[name, part] : c.components) {
      EXPECT_NE(name, "other") << "every test weight has a component";
      bytes += part.bytes;
      flops += part.flops;
    }
    EXPECT_DOUBLE_EQ(bytes, c.bytes);
    EXPECT_DOUBLE_EQ(flops, c.flops);
    const double n = double(batch * tokens);
    // One embedding row (32 bf16) per token; the head whole; 16 x 32 bf16 per touched expert.
    EXPECT_DOUBLE_EQ(c.components["embedding"].bytes, n * 32 * 2);
    EXPECT_DOUBLE_EQ(c.components["lm_head"].bytes, 64 * 32 * 2);
    EXPECT_DOUBLE_EQ(c.components["lm_head"].flops, 2 * n * 64 * 32);
    EXPECT_DOUBLE_EQ(c.components["routed_experts"].bytes, std::min(16.0, n * 2) * 8 * 32 * 2);
    // Attention reads the window and the compressed entries it attends to; the indexer
    // keys and the compressor's state belong to compression_indexer.
    double entries = double(context + tokens) / 4;
    double read = std::min(entries, 4.0 * double(tokens));
    EXPECT_DOUBLE_EQ(c.components["attention"].bytes, batch * (8 * 16 + read * 16) * 4.0 + 4 * 4);
    EXPECT_DOUBLE_EQ(c.components["compression_indexer"].bytes,
                     batch * (entries * 8 + 8 * 64) * 4.0 + 4 * 32 * 4);
  }
}

} // namespace

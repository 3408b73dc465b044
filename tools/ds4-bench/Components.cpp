#include "tools/ds4-bench/Components.h"

#include <map>

using namespace ds4::bench;

const std::vector<Component> &ds4::bench::components() {
  static const std::vector<Component> list = {
      {"lm_head", "logits"},
      {"projections", "linear, multi_linear, grouped_linear"},
      {"routed_experts", "moe_experts"},
      {"moe_glue", "moe_gate, swiglu"},
      {"compression_indexer", "compressor, indexer_score, topk"},
      {"attention", "sparse_attention, rope, window_update"},
      {"norms", "rms_norm"},
      {"mhc", "hc_pre, hc_post, hc_head, hc_expand"},
      {"embedding", "embedding"},
      {"other", "the entries' own loops, the rest"},
  };
  return list;
}

std::string ds4::bench::componentOfOp(const std::string &op) {
  static const std::map<std::string, std::string> table = [] {
    std::map<std::string, std::string> m;
    // Split each component's op list ("a, b, c").
    for (const Component &c : components()) {
      std::string ops = c.ops;
      size_t start = 0;
      while (start < ops.size()) {
        size_t end = ops.find(", ", start);
        m[ops.substr(start, end - start)] = c.name;
        if (end == std::string::npos)
          break;
        start = end + 2;
      }
    }
    return m;
  }();
  auto it = table.find(op);
  return it == table.end() ? "other" : it->second;
}

std::string ds4::bench::componentOfWeight(const std::string &name) {
  auto has = [&](const char *part) { return name.find(part) != std::string::npos; };
  if (name == "embed.weight")
    return "embedding";
  if (name.rfind("head.", 0) == 0)
    return "lm_head";
  if (has("hc_"))
    return "mhc";
  if (has(".experts.") && !has("shared_experts"))
    return "routed_experts";
  if (has("ffn.gate."))
    return "moe_glue";
  // The compressors' pooling bias and norm belong to the compressor op; their projections
  // (wkv, wgate) are linear ops.
  if (has("compressor.ape") || has("compressor.norm"))
    return "compression_indexer";
  if (has("norm."))
    return "norms";
  if (has("attn_sink"))
    return "attention";
  if (has(".attn.") || has("shared_experts"))
    return "projections";
  return "other";
}

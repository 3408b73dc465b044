// What a prefill or decode step of a compiled model must at least move and compute: the
// roofline ds4-bench measures against. Derived from the artifact alone (its weight table,
// state table and model config), so it describes exactly the model that runs.
//
// Bytes (a lower bound: everything read once, nothing written counted):
//   - every weight except the routed experts and the embedding table, whole;
//   - routed experts (a weight stacked over '*'): min(E, tokens x n_activated_experts) of E;
//   - the embedding table: one row per token;
//   - state, per layer and sequence: the window ring, the compressor's block state, and
//     what attention reads of the compressed entries: all of them for heavily compressed
//     layers (ratio != 4), index_topk of them plus every indexer key for CSA layers (ratio
//     4); in the runtime's state format (f32).
// FLOPs: 2 per weight element and token for every weight a token uses (experts: its
// n_activated_experts), plus attention: per query token and head 4 x head_dim x keys (scores
// and values), keys = window + selected or all compressed entries, plus the indexer's
// 2 x index_n_heads x index_head_dim per compressed entry. Causal prefill counts each token's
// own context.
// Each byte and FLOP is also booked to the component that moves or computes it
// (Components.h): weights by name, the window and compressed entries to attention, the
// indexer keys and compressor state to compression_indexer.
#ifndef DS4_TOOLS_DS4_BENCH_COSTMODEL_H
#define DS4_TOOLS_DS4_BENCH_COSTMODEL_H

#include "runtime/artifact/Artifact.h"
#include "runtime/support/Status.h"

#include <cstdint>
#include <map>
#include <string>

namespace ds4 {
namespace bench {

struct Cost {
  double bytes = 0;
  double flops = 0;
};

struct StepCost : Cost {
  /// The same totals split by component (Components.h); absent: none.
  std::map<std::string, Cost> components;
  void add(const std::string &component, double bytes, double flops);
};

class CostModel {
public:
  /// Reads the config fields it needs from the artifact's config_json (released or HF
  /// spellings); an error naming the missing field otherwise.
  static Expected<CostModel> fromArtifact(const artifact::Artifact &artifact);

  /// `batch` sequences of `tokens` new tokens each, every sequence starting at `context`.
  StepCost step(int64_t batch, int64_t tokens, int64_t context) const;

private:
  const artifact::Model *model_ = nullptr;
  int64_t activated = 0, heads = 0, headDim = 0, window = 0, topk = 0;
  int64_t indexHeads = 0, indexHeadDim = 0;
};

} // namespace bench
} // namespace ds4

#endif // DS4_TOOLS_DS4_BENCH_COSTMODEL_H

#include "tools/ds4-bench/CostModel.h"

#include "runtime/support/Json.h"
#include "tools/ds4-bench/Components.h"

#include <algorithm>
#include <string>

using namespace ds4;
using namespace ds4::bench;

namespace {

/// Bytes of one element of a checkpoint dtype as the weight buffer holds it.
double elementBytes(const artifact::Weight &w) {
  std::string d = w.dtype()->str();
  if (d == "I8")
    return 0.5; // FP4 e2m1, two per byte (+ scales, counted by Weight.bytes)
  if (d == "F8_E4M3")
    return 1;
  if (d == "BF16")
    return 2;
  if (d == "I64")
    return 8;
  return 4;
}

double elements(const artifact::Weight &w) {
  double n = 1;
  for (int64_t s : *w.shape())
    n *= double(s);
  return n;
}

bool isExpertStack(const artifact::Weight &w) {
  return w.name()->str().find('*') != std::string::npos;
}

} // namespace

void StepCost::add(const std::string &component, double b, double f) {
  bytes += b;
  flops += f;
  Cost &c = components[component];
  c.bytes += b;
  c.flops += f;
}

Expected<CostModel> CostModel::fromArtifact(const artifact::Artifact &artifact) {
  const artifact::Model &m = artifact.model();
  std::string text = m.config_json() ? m.config_json()->str() : "";
  Expected<json::Value> config = json::parse(text);
  if (!config)
    return Status::error(artifact.path() + ": the embedded model config does not parse: " +
                         config.status().message());
  auto field = [&](std::initializer_list<const char *> names, int64_t &out) -> Status {
    for (const char *n : names)
      if (const json::Value *v = config->find(n); v && v->isInt()) {
        out = v->asInt();
        return Status::success();
      }
    return Status::error(artifact.path() + ": the model config has no integer '" +
                         *names.begin() + "'");
  };
  CostModel c;
  c.model_ = &m;
  Status s;
  for (Status one : {field({"n_activated_experts", "num_experts_per_tok"}, c.activated),
                     field({"n_heads", "num_attention_heads"}, c.heads),
                     field({"head_dim"}, c.headDim),
                     field({"window_size", "sliding_window"}, c.window),
                     field({"index_topk"}, c.topk), field({"index_n_heads"}, c.indexHeads),
                     field({"index_head_dim"}, c.indexHeadDim)})
    if (!one.ok())
      s.append(one);
  if (!s.ok())
    return s;
  return c;
}

StepCost CostModel::step(int64_t batch, int64_t tokens, int64_t context) const {
  StepCost cost;
  const double n = double(batch * tokens);
  for (const artifact::Weight *w : *model_->weights()) {
    std::string name = w->name()->str();
    std::string part = componentOfWeight(name);
    double experts = double(std::max<int64_t>(1, w->experts()));
    double perExpert = double(w->bytes()) / experts;
    if (name == "embed.weight") {
      // A gather, no FLOPs.
      cost.add(part, n * double(w->shape()->Get(1)) * elementBytes(*w), 0);
      continue;
    }
    if (isExpertStack(*w)) {
      double touched = std::min(experts, n * double(activated));
      cost.add(part, touched * perExpert, 2 * n * double(activated) * elements(*w));
      continue;
    }
    // Vectors (norm weights, biases, sinks) cost no matrix FLOPs worth counting.
    cost.add(part, double(w->bytes()),
             w->shape()->size() >= 2 ? 2 * n * elements(*w) * experts : 0);
  }
  // Attention state, per sequence: what a query must read at `context` (+ its new tokens).
  const double f32 = 4;
  for (const artifact::State *st : *model_->states()) {
    double width = double(st->width());
    double end = double(context + tokens);
    switch (st->kind()) {
    case artifact::StateKind_window:
      cost.add("attention", batch * double(st->fixed_rows()) * width * f32,
               4 * batch * double(tokens) * double(heads * headDim) * double(window));
      break;
    case artifact::StateKind_compressor:
      cost.add("compression_indexer", batch * double(st->fixed_rows()) * width * f32, 0);
      break;
    case artifact::StateKind_indexer_keys: {
      double entries = end / double(st->ratio());
      // Scores of every entry for every query token (causal: about half on average).
      double perQuery = tokens > 1 ? entries / 2 + double(context) / double(st->ratio()) / 2
                                   : entries;
      cost.add("compression_indexer", batch * entries * width * f32,
               2 * batch * double(tokens) * perQuery * double(indexHeads * indexHeadDim));
      break;
    }
    case artifact::StateKind_compressed: {
      double entries = end / double(st->ratio());
      bool sparse = st->ratio() == 4;
      double read =
          sparse ? std::min(entries, double(topk) * std::max<double>(1, tokens)) : entries;
      double keys = sparse ? std::min(entries, double(topk)) : entries;
      cost.add("attention", batch * read * width * f32,
               4 * batch * double(tokens) * double(heads * headDim) * keys);
      break;
    }
    default:
      break;
    }
  }
  return cost;
}

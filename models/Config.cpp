//===- Config.cpp - config loading and validation -------------------------===//

#include "models/Config.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <optional>
#include <set>
#include <cstring>

using namespace ds4;
using llvm::json::Object;
using llvm::json::Value;

const char *ds4::stringify(AttentionKind kind) {
  switch (kind) {
  case AttentionKind::SlidingWindow:
    return "sliding-window";
  case AttentionKind::Csa:
    return "CSA";
  case AttentionKind::Hca:
    return "HCA";
  }
  return "?";
}

AttentionKind ModelConfig::kind(int64_t layer) const {
  int64_t r = ratio(layer);
  if (r == 0)
    return AttentionKind::SlidingWindow;
  return r == 4 ? AttentionKind::Csa : AttentionKind::Hca;
}

namespace {
/// Reads fields by their released name and, where one exists, their Hugging
/// Face name (possibly nested under `rope_scaling`), collecting problems.
class FieldReader {
public:
  explicit FieldReader(const Object &root) : root(root) {}

  std::vector<std::string> problems;

  template <typename T>
  std::optional<T> get(llvm::StringRef name, llvm::StringRef hfName = {},
                       std::optional<T> fallback = std::nullopt) {
    std::optional<T> released = read<T>(root, name, name);
    std::optional<T> hf;
    std::string hfLabel = hfName.str();
    if (!hfName.empty()) {
      if (hfName.starts_with("rope_scaling.")) {
        if (const Object *scaling = root.getObject("rope_scaling"))
          hf = read<T>(*scaling, hfName.drop_front(strlen("rope_scaling.")),
                       hfName);
      } else {
        hf = read<T>(root, hfName, hfName);
      }
    }
    if (released && hf && !same(*released, *hf)) {
      problems.push_back("fields '" + name.str() + "' and '" + hfLabel +
                         "' are the same setting but disagree");
      return std::nullopt;
    }
    if (released)
      return released;
    if (hf)
      return hf;
    if (fallback)
      return fallback;
    if (!failed.count(name.str()) && !failed.count(hfLabel))
      problems.push_back("missing field '" + name.str() + "'" +
                         (hfName.empty() ? "" : " (or '" + hfLabel + "')"));
    return std::nullopt;
  }

private:
  const Object &root;
  std::set<std::string> failed;

  static bool same(int64_t a, int64_t b) { return a == b; }
  static bool same(double a, double b) { return a == b; }
  static bool same(const std::string &a, const std::string &b) { return a == b; }
  static bool same(const std::vector<int64_t> &a, const std::vector<int64_t> &b) {
    return a == b;
  }

  template <typename T>
  std::optional<T> read(const Object &obj, llvm::StringRef key,
                        llvm::StringRef label) {
    const Value *v = obj.get(key);
    if (!v || v->kind() == Value::Null)
      return std::nullopt;
    std::optional<T> out = convert<T>(*v);
    if (!out) {
      failed.insert(label.str());
      problems.push_back("field '" + label.str() + "' must be " +
                         describe<T>());
    }
    return out;
  }

  template <typename T> static const char *describe();
  template <typename T> static std::optional<T> convert(const Value &v);
};

template <> const char *FieldReader::describe<int64_t>() { return "an integer"; }
template <> const char *FieldReader::describe<double>() { return "a number"; }
template <> const char *FieldReader::describe<std::string>() { return "a string"; }
template <> const char *FieldReader::describe<std::vector<int64_t>>() {
  return "a list of integers";
}

template <>
std::optional<int64_t> FieldReader::convert<int64_t>(const Value &v) {
  if (std::optional<int64_t> i = v.getAsInteger())
    return i;
  // 16.0 is an integer written as a float in some configs.
  if (std::optional<double> d = v.getAsNumber())
    if (std::isfinite(*d) && *d == std::floor(*d) && std::fabs(*d) < 9e15)
      return static_cast<int64_t>(*d);
  return std::nullopt;
}
template <>
std::optional<double> FieldReader::convert<double>(const Value &v) {
  return v.getAsNumber();
}
template <>
std::optional<std::string> FieldReader::convert<std::string>(const Value &v) {
  if (std::optional<llvm::StringRef> s = v.getAsString())
    return s->str();
  return std::nullopt;
}
template <>
std::optional<std::vector<int64_t>>
FieldReader::convert<std::vector<int64_t>>(const Value &v) {
  const llvm::json::Array *array = v.getAsArray();
  if (!array)
    return std::nullopt;
  std::vector<int64_t> out;
  for (const Value &e : *array) {
    std::optional<int64_t> i = convert<int64_t>(e);
    if (!i)
      return std::nullopt;
    out.push_back(*i);
  }
  return out;
}
} // namespace

llvm::Expected<ModelConfig> ModelConfig::parse(llvm::StringRef json,
                                               llvm::StringRef source) {
  llvm::Expected<Value> parsed = llvm::json::parse(json);
  if (!parsed)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(), "%s: not valid JSON: %s",
        source.str().c_str(), llvm::toString(parsed.takeError()).c_str());
  const Object *root = parsed->getAsObject();
  if (!root)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s: the config must be a JSON object",
                                   source.str().c_str());
  FieldReader f(*root);
  ModelConfig c;
  auto set = [](auto &dst, auto opt) {
    if (opt)
      dst = *opt;
  };
  set(c.vocabSize, f.get<int64_t>("vocab_size"));
  set(c.dim, f.get<int64_t>("dim", "hidden_size"));
  set(c.moeInterDim, f.get<int64_t>("moe_inter_dim", "moe_intermediate_size"));
  set(c.nLayers, f.get<int64_t>("n_layers", "num_hidden_layers"));
  set(c.nHashLayers, f.get<int64_t>("n_hash_layers", "num_hash_layers"));
  set(c.nHeads, f.get<int64_t>("n_heads", "num_attention_heads"));
  set(c.nRoutedExperts, f.get<int64_t>("n_routed_experts"));
  set(c.nSharedExperts, f.get<int64_t>("n_shared_experts"));
  set(c.nActivatedExperts,
      f.get<int64_t>("n_activated_experts", "num_experts_per_tok"));
  set(c.scoreFunc, f.get<std::string>("score_func", "scoring_func"));
  set(c.routeScale, f.get<double>("route_scale", "routed_scaling_factor"));
  set(c.swigluLimit, f.get<double>("swiglu_limit"));
  set(c.qLoraRank, f.get<int64_t>("q_lora_rank"));
  set(c.headDim, f.get<int64_t>("head_dim"));
  set(c.ropeHeadDim, f.get<int64_t>("rope_head_dim", "qk_rope_head_dim"));
  set(c.oGroups, f.get<int64_t>("o_groups"));
  set(c.oLoraRank, f.get<int64_t>("o_lora_rank"));
  set(c.windowSize, f.get<int64_t>("window_size", "sliding_window"));
  set(c.originalSeqLen,
      f.get<int64_t>("original_seq_len",
                     "rope_scaling.original_max_position_embeddings"));
  set(c.ropeTheta, f.get<double>("rope_theta"));
  set(c.ropeFactor, f.get<double>("rope_factor", "rope_scaling.factor"));
  set(c.betaFast, f.get<double>("beta_fast", "rope_scaling.beta_fast"));
  set(c.betaSlow, f.get<double>("beta_slow", "rope_scaling.beta_slow"));
  set(c.indexNHeads, f.get<int64_t>("index_n_heads"));
  set(c.indexHeadDim, f.get<int64_t>("index_head_dim"));
  set(c.indexTopk, f.get<int64_t>("index_topk"));
  set(c.hcMult, f.get<int64_t>("hc_mult"));
  set(c.hcSinkhornIters, f.get<int64_t>("hc_sinkhorn_iters"));
  set(c.hcEps, f.get<double>("hc_eps", {}, 1e-6));
  set(c.normEps, f.get<double>("norm_eps", "rms_norm_eps", 1e-6));
  set(c.compressRopeTheta, f.get<double>("compress_rope_theta"));
  set(c.compressRatios, f.get<std::vector<int64_t>>("compress_ratios"));

  // Storage formats this compiler implements (spec section 2).
  auto expectString = [&](llvm::StringRef field, llvm::StringRef want) {
    if (std::optional<std::string> got = f.get<std::string>(field, {}, want.str()))
      if (*got != want)
        f.problems.push_back("field '" + field.str() + "' = \"" + *got +
                             "\" is not supported (only \"" + want.str() +
                             "\")");
  };
  expectString("dtype", "fp8");
  expectString("scale_fmt", "ue8m0");
  expectString("expert_dtype", "fp4");

  std::vector<std::string> &p = f.problems;
  bool complete = p.empty();
  auto positive = [&](llvm::StringRef field, int64_t v) {
    if (v <= 0)
      p.push_back("field '" + field.str() + "' must be positive, got " +
                  std::to_string(v));
  };
  auto positiveReal = [&](llvm::StringRef field, double v) {
    if (!(v > 0) || !std::isfinite(v))
      p.push_back("field '" + field.str() + "' must be a positive number, got " +
                  std::to_string(v));
  };
  if (complete) {
    positive("vocab_size", c.vocabSize);
    positive("dim", c.dim);
    positive("moe_inter_dim", c.moeInterDim);
    positive("n_layers", c.nLayers);
    positive("n_heads", c.nHeads);
    positive("n_routed_experts", c.nRoutedExperts);
    positive("n_activated_experts", c.nActivatedExperts);
    positive("q_lora_rank", c.qLoraRank);
    positive("head_dim", c.headDim);
    positive("rope_head_dim", c.ropeHeadDim);
    positive("o_groups", c.oGroups);
    positive("o_lora_rank", c.oLoraRank);
    positive("window_size", c.windowSize);
    positive("original_seq_len", c.originalSeqLen);
    positive("index_n_heads", c.indexNHeads);
    positive("index_head_dim", c.indexHeadDim);
    positive("index_topk", c.indexTopk);
    positive("hc_mult", c.hcMult);
    positive("hc_sinkhorn_iters", c.hcSinkhornIters);
    positiveReal("route_scale", c.routeScale);
    positiveReal("swiglu_limit", c.swigluLimit);
    positiveReal("norm_eps", c.normEps);
    if (!(c.hcEps >= 0))
      p.push_back("field 'hc_eps' must be >= 0");
    if (!(c.ropeTheta > 1))
      p.push_back("field 'rope_theta' must be > 1");
    if (!(c.compressRopeTheta > 1))
      p.push_back("field 'compress_rope_theta' must be > 1");
    if (!(c.ropeFactor >= 1))
      p.push_back("field 'rope_factor' must be >= 1");
    if (!(c.betaSlow > 0) || !(c.betaFast > c.betaSlow))
      p.push_back("fields 'beta_fast' and 'beta_slow' need beta_fast > "
                  "beta_slow > 0");
  }
  if (p.empty()) {
    if (c.nHashLayers < 0 || c.nHashLayers > c.nLayers)
      p.push_back("field 'n_hash_layers' = " + std::to_string(c.nHashLayers) +
                  " must be in [0, n_layers = " + std::to_string(c.nLayers) +
                  "]");
    if (c.nSharedExperts != 0 && c.nSharedExperts != 1)
      p.push_back("field 'n_shared_experts' = " +
                  std::to_string(c.nSharedExperts) + " is not supported (0 or 1)");
    if (c.nActivatedExperts > c.nRoutedExperts)
      p.push_back("field 'n_activated_experts' = " +
                  std::to_string(c.nActivatedExperts) +
                  " exceeds 'n_routed_experts' = " +
                  std::to_string(c.nRoutedExperts));
    if (c.scoreFunc != "sqrtsoftplus" && c.scoreFunc != "sigmoid" &&
        c.scoreFunc != "softmax")
      p.push_back("field 'score_func' = \"" + c.scoreFunc +
                  "\" is not one of sqrtsoftplus, sigmoid, softmax");
    if (c.ropeHeadDim % 2 != 0)
      p.push_back("field 'rope_head_dim' = " + std::to_string(c.ropeHeadDim) +
                  " must be even (interleaved pairs)");
    if (c.ropeHeadDim >= c.headDim)
      p.push_back("field 'rope_head_dim' = " + std::to_string(c.ropeHeadDim) +
                  " must be smaller than 'head_dim' = " +
                  std::to_string(c.headDim));
    if (c.ropeHeadDim > c.indexHeadDim)
      p.push_back("field 'index_head_dim' = " + std::to_string(c.indexHeadDim) +
                  " must be at least 'rope_head_dim' = " +
                  std::to_string(c.ropeHeadDim));
    if (c.nHeads % c.oGroups != 0)
      p.push_back("field 'n_heads' = " + std::to_string(c.nHeads) +
                  " must be divisible by 'o_groups' = " +
                  std::to_string(c.oGroups));
    if (c.dim % 32 != 0 || c.moeInterDim % 32 != 0)
      p.push_back("fields 'dim' and 'moe_inter_dim' must be multiples of 32 "
                  "(FP4 experts have one scale per 32 inputs)");
    if (c.compressRatios.size() != size_t(c.nLayers + 1))
      p.push_back("field 'compress_ratios' has " +
                  std::to_string(c.compressRatios.size()) +
                  " entries but needs n_layers + 1 = " +
                  std::to_string(c.nLayers + 1) + " (the last is the MTP layer)");
    for (size_t i = 0; i < c.compressRatios.size(); ++i)
      if (c.compressRatios[i] < 0)
        p.push_back("field 'compress_ratios[" + std::to_string(i) +
                    "]' = " + std::to_string(c.compressRatios[i]) +
                    " must be >= 0 (0 SWA, 4 CSA, other HCA)");
  }
  if (!p.empty()) {
    std::string message;
    for (size_t i = 0; i < p.size(); ++i)
      message += (i ? "\n" : "") + source.str() + ": " + p[i];
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  }
  c.sourceJson = json.str();
  return c;
}

llvm::Expected<ModelConfig> ModelConfig::load(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "%s: cannot read: %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  return parse((*buffer)->getBuffer(), path);
}

std::vector<std::string> ModelConfig::deployProblems() const {
  std::vector<std::string> p;
  auto block = [&](llvm::StringRef what, int64_t v, int64_t b) {
    if (v % b != 0)
      p.push_back(what.str() + " = " + std::to_string(v) +
                  " is not a multiple of " + std::to_string(b));
  };
  // GEMM inputs are quantized per 128 values with a partial last block
  // allowed; the KV and indexer formats need whole blocks.
  block("nope dims (head_dim - rope_head_dim)", nopeDim(), 64);
  block("index_head_dim", indexHeadDim, 32);
  if ((indexHeadDim & (indexHeadDim - 1)) != 0)
    p.push_back("index_head_dim = " + std::to_string(indexHeadDim) +
                " must be a power of two (Hadamard transform)");
  return p;
}

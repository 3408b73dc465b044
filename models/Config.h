//===- Config.h - DeepSeek-V4 model configuration -------------------------===//
//
// Loads the released inference config (../shared/configs/*.json field names)
// or the Hugging Face config.json spelling of the same values (spec section
// 1), and checks every structural relation the builder relies on. Errors
// name the offending field.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_MODELS_CONFIG_H
#define DS4_MODELS_CONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llvm::json {
class Object;
} // namespace llvm::json

namespace ds4 {

/// The attention kind of a layer, from its compress ratio.
enum class AttentionKind { SlidingWindow, Csa, Hca };

struct ModelConfig {
  int64_t vocabSize = 0;
  int64_t dim = 0;
  int64_t moeInterDim = 0;
  int64_t nLayers = 0;
  int64_t nHashLayers = 0;
  int64_t nHeads = 0;
  int64_t nRoutedExperts = 0;
  int64_t nSharedExperts = 0;
  int64_t nActivatedExperts = 0;
  std::string scoreFunc;
  double routeScale = 0;
  double swigluLimit = 0;
  int64_t qLoraRank = 0;
  int64_t headDim = 0;
  int64_t ropeHeadDim = 0;
  int64_t oGroups = 0;
  int64_t oLoraRank = 0;
  int64_t windowSize = 0;
  int64_t originalSeqLen = 0;
  double ropeTheta = 0;
  double ropeFactor = 0;
  double betaFast = 0;
  double betaSlow = 0;
  int64_t indexNHeads = 0;
  int64_t indexHeadDim = 0;
  int64_t indexTopk = 0;
  int64_t hcMult = 0;
  int64_t hcSinkhornIters = 0;
  double hcEps = 1e-6;
  double normEps = 1e-6;
  double compressRopeTheta = 0;
  /// The JSON text the config was parsed from (recorded in artifacts).
  std::string sourceJson;
  /// One entry per layer plus one for the MTP layer.
  std::vector<int64_t> compressRatios;

  /// Compress ratio of layer `layer` (0 = sliding window only).
  int64_t ratio(int64_t layer) const { return compressRatios[layer]; }
  AttentionKind kind(int64_t layer) const;
  bool isHashLayer(int64_t layer) const { return layer < nHashLayers; }
  int64_t nopeDim() const { return headDim - ropeHeadDim; }

  /// Parses and validates; every problem is reported in one error, one line
  /// each, prefixed by `source` (the file name).
  static llvm::Expected<ModelConfig> parse(llvm::StringRef json,
                                           llvm::StringRef source);
  static llvm::Expected<ModelConfig> load(llvm::StringRef path);

  /// The relations that deploy precision adds (activation blocks of 128,
  /// KV nope blocks of 64, indexer fp4 blocks of 32); empty when satisfied.
  std::vector<std::string> deployProblems() const;
};

const char *stringify(AttentionKind kind);

} // namespace ds4

#endif // DS4_MODELS_CONFIG_H

//===- Patterns.h - ds4 -> loops conversion patterns, by part of the model ===//
//
// Each ds4 op lowers to scf.for loop nests over memrefs with arith/math
// (ds4-lower-to-loops). One populate function per ODS file so the op
// groups can be worked on independently:
//   CoreToLoops.cpp            weights, embedding, norms, rope, linear, ...
//   HyperConnectionToLoops.cpp hc_expand, hc_pre, hc_post, hc_head
//   AttentionToLoops.cpp       window_update, compressor, indexer,
//                              sparse attention
//   TopkToLoops.cpp            top-k (the indexer's selection)
//   MoeToLoops.cpp             moe_gate, moe_experts
//   TensorToLoops.cpp          the upstream tensor/arith ops the builder uses
//
// Conventions every pattern follows:
//  - results are fresh `memref.alloc`s (deallocated by the pipeline), except
//    state results, which are the input state buffer updated in place (the
//    pass checks that no op reads a state value after it was updated);
//  - arithmetic is f32 (f64 where the reference uses it: rounding scales,
//    rope angles), loads widen and stores narrow via loadF32/storeF32;
//  - semantics are those of the op description, which matches
//    test/reference/ds4ref (the oracle for parity tests).
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_CPU_PATTERNS_H
#define DS4_LOWERING_CPU_PATTERNS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::ds4::lowering {

/// Base of every op lowering: an OpConversionPattern that can name the
/// buffer type a value of the op converts to.
template <typename Op>
struct BufferLowering : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  MemRefType bufferType(Type type) const {
    return cast<MemRefType>(this->getTypeConverter()->convertType(type));
  }
};

/// Target choices of the loop lowering (ds4-lower-to-loops options).
struct LoopLoweringOptions {
  /// Prefill products (linear, logits with at least 8 rows) as warp tiles
  /// of mma.sync (lowering/gpu/TensorCoreLinear.h); sm_90a only.
  bool tensorCores = false;
  /// Outputs one iteration of a decode-shaped routed-expert product
  /// computes side by side (lowering/cpu/LoweringUtils.h OutputGroup): on
  /// the GPU a lane keeps that many weight rows' loads in flight; results
  /// are the same for any value.
  int64_t outputsPerWarp = 1;
  /// The mHC Sinkhorn block of a token as one warp, a lane per entry
  /// (same results; GPU only).
  bool warpSinkhorn = false;
  /// Rows of a weight-times-activations product one iteration takes when
  /// there are at least this many rows: each weight element is loaded and
  /// decoded once for all of them (prefill), not once per row. Also the row
  /// count from which products go to tensor cores (with tensorCores).
  int64_t rowTile = 8;
};

/// `defaults` with the fields of `op`'s `ds4.tiling` (#ds4.tiling, chosen
/// in the tiled phase by ds4-choose-tiling) where it has one.
LoopLoweringOptions tiledOptions(Operation *op,
                                 const LoopLoweringOptions &defaults);

void populateCoreToLoopsPatterns(TypeConverter &converter,
                                 RewritePatternSet &patterns,
                                 const LoopLoweringOptions &options);
void populateHyperConnectionToLoopsPatterns(
    TypeConverter &converter, RewritePatternSet &patterns,
    const LoopLoweringOptions &options);
void populateAttentionToLoopsPatterns(TypeConverter &converter,
                                      RewritePatternSet &patterns,
                                      const LoopLoweringOptions &options);
void populateTopkToLoopsPatterns(TypeConverter &converter,
                                 RewritePatternSet &patterns);
void populateMoeToLoopsPatterns(TypeConverter &converter,
                                RewritePatternSet &patterns,
                                const LoopLoweringOptions &options);
void populateTensorToLoopsPatterns(TypeConverter &converter,
                                   RewritePatternSet &patterns);

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_CPU_PATTERNS_H

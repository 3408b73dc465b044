//===- TensorCoreLinear.h - prefill linear / logits on tensor cores -------===//
//
// The prefill form of linear, grouped_linear and logits on sm_90a: warp
// tiles of mma.sync (lowering/gpu/WarpMma.h) instead of one warp per output.
// Used by the loop lowering when ds4-lower-to-loops runs with tensor-cores=true
// (the GPU pipeline); the CPU keeps the scalar loops.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_GPU_TENSORCORELINEAR_H
#define DS4_LOWERING_GPU_TENSORCORELINEAR_H

#include "lowering/gpu/WarpMma.h"

namespace mlir::ds4::lowering {

/// result[row..., g, o] = sum_{i < k} x(row, g, i) * W[g * out + o, i] for
/// g < groups, o < out and every row of `rowDims` (`rows` their product):
/// linear (one group) and grouped_linear.
struct GroupedRowsTimesWeightT {
  WeightAccess w;
  int64_t groups = 1, out = 0, k = 0;
  /// bf16 parts per activation (1 or 3, WarpMma.h).
  int64_t terms = 3;
  ArrayRef<Value> rowDims;
  Value rows;
  function_ref<Value(ImplicitLocOpBuilder &, ValueRange row, Value group,
                     Value i)>
      x;
  function_ref<void(ImplicitLocOpBuilder &, ValueRange row, Value group,
                    Value o, Value sum)>
      store;
};

/// The products as one scf.parallel over (row tiles, groups, output tiles)
/// of warp tiles (64 rows x 32 outputs) marked kWarpIteration.
void emitTensorCoreProducts(ImplicitLocOpBuilder &b,
                            const GroupedRowsTimesWeightT &p);

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_GPU_TENSORCORELINEAR_H

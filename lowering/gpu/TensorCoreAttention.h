//===- TensorCoreAttention.h - prefill attention logits on tensor cores ---===//
//
// The logits of sparse attention for prefill on sm_90a. Every head of a
// query attends the same entry set (one kv head), so a query's logits are
// a product q [H, D] x kv_set [slots, D]^T: warp tiles of mma.sync
// (lowering/gpu/WarpMma.h) with the heads as rows and the query's slots as
// outputs. The kv rows are f32 (exact mode, and this step's own kv), so
// both operands are split into 3 bf16 parts.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_GPU_TENSORCOREATTENTION_H
#define DS4_LOWERING_GPU_TENSORCOREATTENTION_H

#include "lowering/gpu/WarpMma.h"

namespace mlir::ds4::lowering {

struct AttentionLogits {
  Value q; // [B, S, H, D] f32
  SmallVector<Value> qDims;
  int64_t d = 0; // D (static)
  Value nSlots;  // slots per query
  Value z;       // [B, S, H, slots] f32, the result
  Value scale;   // f32
  /// Called once per warp tile, first: readSlot and slotUsed refer to
  /// this query (its entry set is computed once, not per chunk or slot).
  function_ref<void(ImplicitLocOpBuilder &, Value bi, Value j)> atQuery;
  /// The kLaneRun values of slot `slot`'s kv row of query (bi, j) at
  /// columns col .. col + 15 (0 from D on when `masked`; 0 for an unused
  /// slot).
  function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, Value bi, Value j,
                                  Value slot, Value col, bool masked)>
      readSlot;
  /// Whether slot `slot` (< nSlots) of query (bi, j) holds an entry.
  function_ref<Value(ImplicitLocOpBuilder &, Value bi, Value j, Value slot)>
      slotUsed;
};

/// z[b, j, h, slot] = scale * (q[b, j, h] . kv_slot), -inf for unused slots,
/// as an scf.parallel over (B, S, head tiles, slot tiles) of warp tiles.
void emitTensorCoreAttentionLogits(ImplicitLocOpBuilder &b,
                                   const AttentionLogits &a);

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_GPU_TENSORCOREATTENTION_H

//===- TensorCoreAttention.h - a query's heads x its key rows, tensor cores ===//
//
// Attention-shaped products on sm_90a: every head of a query meets the same
// key rows (one kv head for sparse attention, the indexer keys for the
// lightning indexer), so a query's products are q [H, D] x keys [slots, D]^T:
// warp tiles of mma.sync (lowering/gpu/WarpMma.h) with the heads as rows and
// the query's slots as outputs. The key rows are f32 (the state buffers), so
// both operands are split into 3 bf16 parts.
//
//   QueryKeyTiles       the tile loop, with the result written by a caller's
//                       epilogue;
//   AttentionLogits     sparse attention's logits (prefill);
//   (the indexer scores: TensorCoreIndexer.h).
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_GPU_TENSORCOREATTENTION_H
#define DS4_LOWERING_GPU_TENSORCOREATTENTION_H

#include "lowering/gpu/WarpMma.h"

namespace mlir::ds4::lowering {

/// q [B, S, H, D] times nSlots key rows per query, one warp per (b, j,
/// 64 heads, 32 slots).
struct QueryKeyTiles {
  Value q; // [B, S, H, D] f32
  SmallVector<Value> qDims;
  int64_t d = 0; // D (static)
  Value nSlots;  // slots per query
  /// Called once per warp tile, first: the callbacks below refer to this
  /// query (its entry set is computed once, not per chunk or slot).
  function_ref<void(ImplicitLocOpBuilder &, Value bi, Value j)> atQuery;
  /// The kLaneRun values of slot `slot`'s key row of query (bi, j) at
  /// columns col .. col + 15 (0 from D on when `masked`; 0 for an unused
  /// slot). `slot` < nSlots.
  function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, Value bi, Value j,
                                  Value slot, Value col, bool masked)>
      readSlot;
  /// Optional: whether the tile of slots from slot0 needs its products;
  /// where not, the epilogue gets zero accumulators (e.g. every slot of the
  /// tile lies past the query's causal limit).
  function_ref<Value(ImplicitLocOpBuilder &, Value bi, Value j, Value slot0)>
      tileLive;
  /// Writes the tile: acc in warp_mma::accumulate's order, heads from
  /// head0, slots from slot0 (the epilogue checks both bounds).
  function_ref<void(ImplicitLocOpBuilder &, Value bi, Value j,
                    const warp_mma::Lane &, Value head0, Value slot0,
                    ArrayRef<Value> acc)>
      epilogue;
};

/// The scf.parallel over (B, S, head tiles, slot tiles) of warp tiles.
void emitQueryKeyTiles(ImplicitLocOpBuilder &b, const QueryKeyTiles &t);

/// The tiles of QueryKeyTiles (q, the slots, atQuery, readSlot; its
/// epilogue is the logits' own) and where the logits go.
struct AttentionLogits : QueryKeyTiles {
  Value z;     // [B, S, H, slots] f32, the result
  Value scale; // f32
  /// Whether slot `slot` (< nSlots) of query (bi, j) holds an entry.
  function_ref<Value(ImplicitLocOpBuilder &, Value bi, Value j, Value slot)>
      slotUsed;
};

/// z[b, j, h, slot] = scale * (q[b, j, h] . kv_slot), -inf for unused slots.
void emitTensorCoreAttentionLogits(ImplicitLocOpBuilder &b,
                                   const AttentionLogits &a);

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_GPU_TENSORCOREATTENTION_H

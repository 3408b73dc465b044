//===- TensorCoreIndexer.h - lightning indexer scores on tensor cores -----===//
//
// The lightning indexer on sm_90a (spec section 3.4): the score of entry i
// for query (b, j) is sum_h w[h] * scale * relu(q[h] . k_i). The q . k
// products of a query's heads with its keys are QueryKeyTiles
// (TensorCoreAttention.h): 64 heads x 32 entries per warp, the heads as
// rows. The epilogue applies relu and the head weights in registers and
// adds the heads: first the 8 a lane holds (in head order), then across
// the 8 lanes that share the entry (xor shuffles over lane bits 2-4). A
// warp thus makes 32 scores, where the per-score loops make one.
//
// The heads must fit one tile (at most 64: every released config has 64
// or fewer); the sum over heads is then complete inside the warp.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_GPU_TENSORCOREINDEXER_H
#define DS4_LOWERING_GPU_TENSORCOREINDEXER_H

#include "lowering/gpu/WarpMma.h"

namespace mlir::ds4::lowering {

struct IndexerScores {
  Value q;       // [B, S, IH, ID] f32
  Value weights; // [B, S, IH] f32
  Value keys;    // [slots, rows, ID] f32 (the indexer keys state)
  Value positions, slots;
  Value out; // [B, S, rows] f32
  SmallVector<Value> qDims;
  int64_t d = 0; // ID (static)
  int64_t ratio = 0;
  Value scale; // f32
};

/// Whether emitTensorCoreIndexerScores handles a q of this type (static
/// heads <= 64 and head dim).
bool supportsTensorCoreIndexer(MemRefType q);

/// out[b, j, i] = the score, -inf for entries past the query's causal
/// limit (tiles wholly past it skip the products).
void emitTensorCoreIndexerScores(ImplicitLocOpBuilder &b,
                                 const IndexerScores &s);

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_GPU_TENSORCOREINDEXER_H

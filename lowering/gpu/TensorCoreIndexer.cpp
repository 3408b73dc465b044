//===- TensorCoreIndexer.cpp - lightning indexer scores on tensor cores ---===//

#include "lowering/gpu/TensorCoreIndexer.h"

#include "lowering/SplitReductions.h"
#include "lowering/gpu/TensorCoreAttention.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;
using namespace mlir::ds4::lowering::warp_mma;

bool lowering::supportsTensorCoreIndexer(MemRefType q) {
  ArrayRef<int64_t> shape = q.getShape();
  return q.getRank() == 4 && !ShapedType::isDynamic(shape[2]) &&
         shape[2] <= kTileRows && !ShapedType::isDynamic(shape[3]);
}

void lowering::emitTensorCoreIndexerScores(ImplicitLocOpBuilder &b,
                                           const IndexerScores &s) {
  Value one = constIndex(b, 1);
  Value H = s.qDims[2];
  Value N = memrefDims(b, s.keys)[1];
  // The query's key slot and causal count: (t + 1) / ratio entries.
  struct Query {
    Value slot, count;
  } current;
  auto atQuery = [&](ImplicitLocOpBuilder &b, Value bi, Value j) {
    Value t = loadIndex(b, s.positions, {bi, j});
    current.slot = loadIndex(b, s.slots, {bi});
    current.count = iDiv(b, iAdd(b, t, one), constIndex(b, s.ratio));
  };
  auto readSlot = [&](ImplicitLocOpBuilder &b, Value, Value, Value i,
                      Value col, bool masked) {
    SmallVector<Value> v;
    for (int64_t c = 0; c < kLaneRun; ++c)
      v.push_back(maskedRead(b, masked, iAdd(b, col, constIndex(b, c)), s.d,
                             [&](Value at) {
                               return loadF32(b, s.keys,
                                              {current.slot, i, at});
                             }));
    return v;
  };
  auto tileLive = [&](ImplicitLocOpBuilder &b, Value, Value, Value slot0) {
    return iCmp(b, arith::CmpIPredicate::ult, slot0, current.count);
  };
  auto epilogue = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                      const Lane &lane, Value head0, Value slot0,
                      ArrayRef<Value> acc) {
    // The lane's heads (16i + 8h + g) in head order, each with its weight
    // times scale (0 past the heads: the padding rows add nothing).
    Value lastHead = arith::SubIOp::create(b, H, one);
    Value headWeight[kTilesM][2];
    for (int64_t i = 0; i < kTilesM; ++i)
      for (int64_t h = 0; h < 2; ++h) {
        Value head = laneRow(b, lane, head0, i, h);
        Value w = arith::MulFOp::create(
            b, loadF32(b, s.weights, {bi, j, iMin(b, head, lastHead)}),
            s.scale);
        headWeight[i][h] = arith::SelectOp::create(
            b, iCmp(b, arith::CmpIPredicate::ult, head, H), w,
            constF32(b, 0.0));
      }
    Value firstOfEntry =
        iCmp(b, arith::CmpIPredicate::eq, lane.g, constIndex(b, 0));
    Value minusInf = constF32(b, -INFINITY);
    for (int64_t n = 0; n < kTilesN; ++n)
      for (int64_t e = 0; e < 2; ++e) {
        Value score = constF32(b, 0.0);
        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t h = 0; h < 2; ++h) {
            Value qk = acc[(i * kTilesN + n) * kAccRegs + 2 * h + e];
            score = arith::AddFOp::create(
                b, score,
                arith::MulFOp::create(b, headWeight[i][h],
                                      fMax(b, qk, constF32(b, 0.0))));
          }
        // The 8 lanes of the entry (g = lane bits 2-4).
        for (int32_t offset : {4, 8, 16})
          score = arith::AddFOp::create(
              b, score,
              gpu::ShuffleOp::create(b, score, offset, ds4::kWarpLanes,
                                     gpu::ShuffleMode::XOR)
                  .getShuffleResult());
        Value entry = accumulatorOutput(b, lane, slot0, n, e);
        Value stored = arith::AndIOp::create(
            b, firstOfEntry, iCmp(b, arith::CmpIPredicate::ult, entry, N));
        ifThen(b, stored, [&](ImplicitLocOpBuilder &b) {
          Value visible =
              iCmp(b, arith::CmpIPredicate::ult, entry, current.count);
          storeF32(b, arith::SelectOp::create(b, visible, score, minusInf),
                   s.out, {bi, j, entry});
        });
      }
  };
  QueryKeyTiles t;
  t.q = s.q;
  t.qDims = s.qDims;
  t.d = s.d;
  t.nSlots = N;
  t.atQuery = atQuery;
  t.readSlot = readSlot;
  t.tileLive = tileLive;
  t.epilogue = epilogue;
  emitQueryKeyTiles(b, t);
}

//===- TensorCoreAttention.cpp - prefill attention logits on tensor cores -===//

#include "lowering/gpu/TensorCoreAttention.h"

#include "lowering/FlatIterations.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;
using namespace mlir::ds4::lowering::warp_mma;

void lowering::emitTensorCoreAttentionLogits(ImplicitLocOpBuilder &b,
                                             const AttentionLogits &a) {
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  Value B = a.qDims[0], S = a.qDims[1], H = a.qDims[2];
  // The queries' heads split into bf16 planes once: plane row (b S + j) H + h.
  SmallVector<Value> queryDims{B, S, H};
  SmallVector<Value> zeros(3, zero), ones(3, one);
  auto readQ = [&](ImplicitLocOpBuilder &b, Value row, Value col) {
    return loadF32(
        b, a.q,
        concat(ds4::delinearize(b, row, queryDims, zeros, ones), {col}));
  };
  Value rows = arith::MulIOp::create(b, arith::MulIOp::create(b, B, S), H);
  ActivationPlanes planes = splitActivations(b, rows, a.d, /*terms=*/3, readQ);

  Value headTiles = arith::CeilDivUIOp::create(b, H, constIndex(b, kTileRows));
  Value slotTiles =
      arith::CeilDivUIOp::create(b, a.nSlots, constIndex(b, kTileOutputs));
  auto loop = scf::ParallelOp::create(
      b, ValueRange{zero, zero, zero, zero},
      ValueRange{B, S, headTiles, slotTiles}, ValueRange{one, one, one, one},
      [&](OpBuilder &nested, Location loc, ValueRange ivs) {
        ImplicitLocOpBuilder b(loc, nested);
        Value bi = ivs[0], j = ivs[1];
        Lane lane = laneCoords(b);
        Value head0 =
            arith::MulIOp::create(b, ivs[2], constIndex(b, kTileRows));
        Value slot0 =
            arith::MulIOp::create(b, ivs[3], constIndex(b, kTileOutputs));
        Value lastHead = arith::SubIOp::create(b, H, one);
        Value lastSlot = arith::SubIOp::create(b, a.nSlots, one);
        Value queryRow = arith::MulIOp::create(
            b, arith::AddIOp::create(b, arith::MulIOp::create(b, bi, S), j), H);

        // The query's entry set, once for the whole tile.
        a.atQuery(b, bi, j);
        Operands ops;
        ops.x = planes;
        ops.weightTerms = 3;
        Value head[kTilesM][2];
        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t h = 0; h < 2; ++h) {
            head[i][h] = laneRow(b, lane, head0, i, h);
            ops.planeRow[i][h] = arith::AddIOp::create(
                b, queryRow, arith::MinUIOp::create(b, head[i][h], lastHead));
          }
        // Slots past the end read the last one; their logits are not stored.
        Value weightSlot[kTilesN];
        for (int64_t t = 0; t < kTilesN; ++t)
          weightSlot[t] = arith::MinUIOp::create(
              b, laneOutput(b, lane, slot0, t), lastSlot);
        auto weights = [&](ImplicitLocOpBuilder &b, int64_t t, Value col,
                           bool masked) {
          return a.readSlot(b, bi, j, weightSlot[t], col, masked);
        };
        ops.weights = weights;
        SmallVector<Value> acc = accumulate(b, lane, ops);

        // The lane's 8 output slots: 8t + 2 (lane % 4) + {0, 1}.
        Value minusInf = constF32(b, -INFINITY);
        for (int64_t t = 0; t < kTilesN; ++t)
          for (int64_t e = 0; e < 2; ++e) {
            Value slot = accumulatorOutput(b, lane, slot0, t, e);
            Value inSlots = arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                                                  slot, a.nSlots);
            ifThen(b, inSlots, [&](ImplicitLocOpBuilder &b) {
              Value used = a.slotUsed(b, bi, j, slot);
              for (int64_t i = 0; i < kTilesM; ++i)
                for (int64_t h = 0; h < 2; ++h) {
                  Value v = acc[(i * kTilesN + t) * kAccRegs + 2 * h + e];
                  Value logit = arith::SelectOp::create(
                      b, used, arith::MulFOp::create(b, v, a.scale), minusInf);
                  Value inHeads = arith::CmpIOp::create(
                      b, arith::CmpIPredicate::ult, head[i][h], H);
                  ifThen(b, inHeads, [&](ImplicitLocOpBuilder &b) {
                    storeF32(b, logit, a.z, {bi, j, head[i][h], slot});
                  });
                }
            });
          }
      });
  loop->setAttr(kWarpIteration, b.getUnitAttr());
}

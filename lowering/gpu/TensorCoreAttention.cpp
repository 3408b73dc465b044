//===- TensorCoreAttention.cpp - a query's heads x its key rows -----------===//

#include "lowering/gpu/TensorCoreAttention.h"

#include "lowering/FlatIterations.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;
using namespace mlir::ds4::lowering::warp_mma;

void lowering::emitQueryKeyTiles(ImplicitLocOpBuilder &b,
                                 const QueryKeyTiles &t) {
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  Value B = t.qDims[0], S = t.qDims[1], H = t.qDims[2];
  // The queries' heads split into bf16 planes once: plane row (b S + j) H + h.
  SmallVector<Value> queryDims{B, S, H};
  SmallVector<Value> zeros(3, zero), ones(3, one);
  auto readQ = [&](ImplicitLocOpBuilder &b, Value row, Value col) {
    return loadF32(
        b, t.q,
        concat(ds4::delinearize(b, row, queryDims, zeros, ones), {col}));
  };
  Value rows = arith::MulIOp::create(b, arith::MulIOp::create(b, B, S), H);
  ActivationPlanes planes = splitActivations(b, rows, t.d, /*terms=*/3, readQ);

  Value headTiles = arith::CeilDivUIOp::create(b, H, constIndex(b, kTileRows));
  Value slotTiles =
      arith::CeilDivUIOp::create(b, t.nSlots, constIndex(b, kTileOutputs));
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
        Value lastSlot = arith::SubIOp::create(b, t.nSlots, one);
        Value queryRow = arith::MulIOp::create(
            b, arith::AddIOp::create(b, arith::MulIOp::create(b, bi, S), j), H);

        // The query's entry set, once for the whole tile.
        t.atQuery(b, bi, j);
        auto products = [&](ImplicitLocOpBuilder &b) {
          Operands ops;
          ops.x = planes;
          ops.weightTerms = 3;
          for (int64_t i = 0; i < kTilesM; ++i)
            for (int64_t h = 0; h < 2; ++h)
              ops.planeRow[i][h] = arith::AddIOp::create(
                  b, queryRow,
                  arith::MinUIOp::create(b, laneRow(b, lane, head0, i, h),
                                         lastHead));
          // Slots past the end read the last one; their results are not
          // stored.
          Value weightSlot[kTilesN];
          for (int64_t n = 0; n < kTilesN; ++n)
            weightSlot[n] = arith::MinUIOp::create(
                b, laneOutput(b, lane, slot0, n), lastSlot);
          auto weights = [&](ImplicitLocOpBuilder &b, int64_t n, Value col,
                             bool masked) {
            return t.readSlot(b, bi, j, weightSlot[n], col, masked);
          };
          ops.weights = weights;
          return accumulate(b, lane, ops);
        };
        SmallVector<Value> acc;
        if (t.tileLive) {
          acc = ifElseAll(b, t.tileLive(b, bi, j, slot0), products,
                          [](ImplicitLocOpBuilder &b) {
                            return SmallVector<Value>(
                                kTilesM * kTilesN * kAccRegs, constF32(b, 0.0));
                          });
        } else {
          acc = products(b);
        }
        t.epilogue(b, bi, j, lane, head0, slot0, acc);
      });
  loop->setAttr(kWarpIteration, b.getUnitAttr());
}

void lowering::emitTensorCoreAttentionLogits(ImplicitLocOpBuilder &b,
                                             const AttentionLogits &a) {
  Value H = a.qDims[2];
  auto epilogue = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                      const Lane &lane, Value head0, Value slot0,
                      ArrayRef<Value> acc) {
    Value head[kTilesM][2];
    for (int64_t i = 0; i < kTilesM; ++i)
      for (int64_t h = 0; h < 2; ++h)
        head[i][h] = laneRow(b, lane, head0, i, h);
    // The lane's 8 output slots: 8n + 2 (lane % 4) + {0, 1}.
    Value minusInf = constF32(b, -INFINITY);
    for (int64_t n = 0; n < kTilesN; ++n)
      for (int64_t e = 0; e < 2; ++e) {
        Value slot = accumulatorOutput(b, lane, slot0, n, e);
        Value inSlots = arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                                              slot, a.nSlots);
        ifThen(b, inSlots, [&](ImplicitLocOpBuilder &b) {
          Value used = a.slotUsed(b, bi, j, slot);
          for (int64_t i = 0; i < kTilesM; ++i)
            for (int64_t h = 0; h < 2; ++h) {
              Value v = acc[(i * kTilesN + n) * kAccRegs + 2 * h + e];
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
  };
  QueryKeyTiles t = a;
  t.epilogue = epilogue;
  emitQueryKeyTiles(b, t);
}

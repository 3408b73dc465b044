//===- TensorCoreLinear.cpp - prefill linear / logits on tensor cores -----===//

#include "lowering/gpu/TensorCoreLinear.h"

#include "lowering/FlatIterations.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;
using namespace mlir::ds4::lowering::warp_mma;

void lowering::emitTensorCoreProducts(ImplicitLocOpBuilder &b,
                                      const GroupedRowsTimesWeightT &p) {
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  SmallVector<Value> zeros(p.rowDims.size(), zero), ones(p.rowDims.size(), one);
  // The activations of every (row, group) split into bf16 planes once.
  Value groups = constIndex(b, p.groups);
  auto x = [&](ImplicitLocOpBuilder &b, Value planeRow, Value col) {
    Value row = arith::DivUIOp::create(b, planeRow, groups);
    Value group = arith::RemUIOp::create(b, planeRow, groups);
    return p.x(b, ds4::delinearize(b, row, p.rowDims, zeros, ones), group, col);
  };
  ActivationPlanes planes = splitActivations(
      b, arith::MulIOp::create(b, p.rows, groups), p.k, p.terms, x);
  Value rowTiles =
      arith::CeilDivUIOp::create(b, p.rows, constIndex(b, kTileRows));
  Value outTiles = constIndex(b, (p.out + kTileOutputs - 1) / kTileOutputs);
  auto loop = scf::ParallelOp::create(
      b, ValueRange{zero, zero, zero},
      ValueRange{rowTiles, constIndex(b, p.groups), outTiles},
      ValueRange{one, one, one},
      [&](OpBuilder &nested, Location loc, ValueRange ivs) {
        ImplicitLocOpBuilder b(loc, nested);
        Lane lane = laneCoords(b);
        Value group = ivs[1];
        Value row0 = arith::MulIOp::create(b, ivs[0], constIndex(b, kTileRows));
        Value out0 =
            arith::MulIOp::create(b, ivs[2], constIndex(b, kTileOutputs));
        Value lastRow = arith::SubIOp::create(b, p.rows, one);
        Operands ops;
        ops.x = planes;
        WeightRows rows;
        rows.k = planes.k;

        // Rows and outputs past the end read the last one and are not
        // stored (the warp must stay whole for mma.sync).
        Value flatRow[kTilesM][2];
        SmallVector<Value> rowIndex[kTilesM][2];
        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t h = 0; h < 2; ++h) {
            flatRow[i][h] = laneRow(b, lane, row0, i, h);
            Value row = arith::MinUIOp::create(b, flatRow[i][h], lastRow);
            rowIndex[i][h] = ds4::delinearize(b, row, p.rowDims, zeros, ones);
            ops.planeRow[i][h] = arith::AddIOp::create(
                b, arith::MulIOp::create(b, row, groups), group);
          }
        Value groupBase = arith::MulIOp::create(b, group, constIndex(b, p.out));
        for (int64_t j = 0; j < kTilesN; ++j) {
          Value o = arith::MinUIOp::create(b, laneOutput(b, lane, out0, j),
                                           constIndex(b, p.out - 1));
          rows.weight[j] = p.w;
          rows.row[j] = {arith::AddIOp::create(b, groupBase, o)};
        }
        SmallVector<Value> acc = accumulate(b, lane, ops, rows);

        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t j = 0; j < kTilesN; ++j)
            for (int64_t r = 0; r < kAccRegs; ++r) {
              int64_t h = r / 2;
              Value o = accumulatorOutput(b, lane, out0, j, r);
              Value inRange = arith::AndIOp::create(
                  b,
                  arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                                        flatRow[i][h], p.rows),
                  arith::CmpIOp::create(b, arith::CmpIPredicate::ult, o,
                                        constIndex(b, p.out)));
              Value v = acc[(i * kTilesN + j) * kAccRegs + r];
              ifThen(b, inRange, [&](ImplicitLocOpBuilder &b) {
                p.store(b, rowIndex[i][h], group, o, v);
              });
            }
      });
  loop->setAttr(kWarpIteration, b.getUnitAttr());
}

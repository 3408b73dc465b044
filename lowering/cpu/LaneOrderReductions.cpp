//===- LaneOrderReductions.cpp - ds4-lane-order-reductions ----------------===//
//
// The CPU counterpart of the warp split in ds4-map-to-gpu: every split
// reduction is evaluated in the GPU's lane order, so the host and the device
// add the same terms in the same order.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "lowering/SplitReductions.h"
#include "lowering/cpu/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4LANEORDERREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

namespace {
struct LaneOrderReductionsPass
    : ds4::impl::Ds4LaneOrderReductionsBase<LaneOrderReductionsPass> {
  void runOnOperation() override {
    // Outermost marked loops only, as on the GPU: a marked loop inside a
    // split one runs whole on its lane there, so sequentially here.
    SmallVector<scf::ForOp> splits;
    getOperation()->walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
      if (!ds4::isSplitReduction(loop))
        return WalkResult::advance();
      splits.push_back(loop);
      return WalkResult::skip();
    });
    for (scf::ForOp loop : splits)
      if (failed(ds4::emulateLaneOrder(loop)))
        return signalPassFailure();
    getOperation()->walk(
        [](scf::ForOp loop) { loop->removeAttr(ds4::lowering::kSplitReduction); });
  }
};
} // namespace

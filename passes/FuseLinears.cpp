//===- FuseLinears.cpp - ds4-fuse-linears: sibling linears -> multi_linear ===//

#include "passes/Passes.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4FUSELINEARS
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;
using namespace mlir::ds4;

namespace {

/// Linears fuse when they read the same activation in the same block with
/// the same act_quant (absent or equal).
using GroupKey = std::tuple<Value, Block *, Attribute>;

struct Ds4FuseLinearsPass : ds4::impl::Ds4FuseLinearsBase<Ds4FuseLinearsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Groups in order of their first linear, members in block order (the
    // walk visits a block's ops in order).
    llvm::MapVector<GroupKey, SmallVector<LinearOp>> groups;
    getOperation()->walk([&](LinearOp op) {
      Attribute actQuant = op.getActQuantAttr();
      groups[{op.getX(), op->getBlock(), actQuant}].push_back(op);
    });
    for (auto &[key, linears] : groups)
      if (linears.size() >= std::max(2u, unsigned(minGroup)) &&
          failed(fuse(linears)))
        return signalPassFailure();
  }

  /// One ds4.multi_linear at the first linear of `linears`.
  LogicalResult fuse(MutableArrayRef<LinearOp> linears) {
    LinearOp first = linears.front();
    // Weights defined after the first linear move up to it: weight
    // references have no operands, so any place before their users is as
    // good. A weight computed there by anything else keeps the group apart.
    SmallVector<Operation *> moves;
    for (LinearOp op : linears)
      if (Operation *def = op.getWeight().getDefiningOp();
          def && def->getBlock() == first->getBlock() &&
          first->isBeforeInBlock(def)) {
        if (!isa<WeightOp>(def)) {
          op.emitRemark("ds4-fuse-linears: not fused with the other linears "
                        "of its input: its weight is computed after them");
          return success();
        }
        moves.push_back(def);
      }
    for (Operation *def : moves)
      def->moveBefore(first);
    SmallVector<Value> weights;
    SmallVector<Type> types;
    for (LinearOp op : linears) {
      weights.push_back(op.getWeight());
      types.push_back(op.getType());
    }
    OpBuilder b(first);
    auto fused = MultiLinearOp::create(b, first.getLoc(), types, first.getX(),
                                       weights, first.getActQuantAttr());
    for (auto [op, result] : llvm::zip(linears, fused.getResults())) {
      op.getResult().replaceAllUsesWith(result);
      op.erase();
    }
    return success();
  }
};

} // namespace

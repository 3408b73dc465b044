//===- WeightsToArgs.cpp - ds4-weights-to-args -----------------------------===//

#include "passes/Passes.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4WEIGHTSTOARGS
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;
using namespace mlir::ds4;

namespace {
struct WeightsToArgsPass
    : ds4::impl::Ds4WeightsToArgsBase<WeightsToArgsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      llvm::StringMap<BlockArgument> args;
      SmallVector<WeightOp> weights;
      func.walk([&](WeightOp op) { weights.push_back(op); });
      for (WeightOp op : weights) {
        auto [it, inserted] = args.try_emplace(op.getName());
        if (inserted) {
          unsigned index = func.getNumArguments();
          NamedAttribute name(StringAttr::get(&getContext(), "ds4.weight"),
                              op.getNameAttr());
          if (failed(func.insertArgument(
                  index, op.getType(),
                  DictionaryAttr::get(&getContext(), {name}), op.getLoc()))) {
            op.emitError("cannot add a weight argument to ") << func.getName();
            return signalPassFailure();
          }
          it->second = func.getArgument(index);
        }
        if (it->second.getType() != op.getType()) {
          op.emitError() << "weight '" << op.getName()
                         << "' is referenced with two types: "
                         << it->second.getType() << " and " << op.getType();
          return signalPassFailure();
        }
        op.getResult().replaceAllUsesWith(it->second);
        op.erase();
      }
    }
  }
};
} // namespace

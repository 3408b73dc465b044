//===- ChooseTiling.cpp - ds4-choose-tiling: tile shapes per op -----------===//

#include "passes/Passes.h"

#include "dialects/ds4/IR/Ds4Ops.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4CHOOSETILING
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;
using namespace mlir::ds4;

namespace {
struct Ds4ChooseTilingPass
    : ds4::impl::Ds4ChooseTilingBase<Ds4ChooseTilingPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<TargetDescription> description =
        TargetDescription::lookup(target);
    if (!description) {
      getOperation()->emitError() << "ds4-choose-tiling: unknown target '"
                                  << target << "' (cpu, sm_90a)";
      return signalPassFailure();
    }
    getOperation()->walk([&](TileableOpInterface op) {
      if (!op->hasAttr("ds4.tiling"))
        op->setAttr("ds4.tiling", op.chooseTiling(*description));
    });
  }
};
} // namespace

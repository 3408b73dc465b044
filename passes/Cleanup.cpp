//===- Cleanup.cpp - ds4-cleanup: fold, canonicalize, merge, drop dead ---===//

#include "passes/Passes.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4CLEANUP
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

namespace {
struct Ds4CleanupPass : ds4::impl::Ds4CleanupBase<Ds4CleanupPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Folders run as part of the greedy driver; canonicalization patterns of
    // every loaded dialect and op join them, as in `canonicalize`.
    RewritePatternSet patterns(ctx);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    FrozenRewritePatternSet frozen(std::move(patterns));

    // The greedy driver also erases trivially dead (pure, unused) ops.
    if (failed(applyPatternsGreedily(getOperation(), frozen))) {
      getOperation()->emitError("ds4-cleanup did not converge");
      return signalPassFailure();
    }
    if (!mergeDuplicates)
      return;
    IRRewriter rewriter(ctx);
    DominanceInfo dominance(getOperation());
    bool changed = false;
    eliminateCommonSubExpressions(rewriter, dominance, getOperation(),
                                  &changed);
    if (changed)
      (void)applyPatternsGreedily(getOperation(), frozen);
  }
};
} // namespace

//===- PreciseMathPass.cpp - ds4-precise-math -----------------------------===//
//
// The host's half of lowering/PreciseMath.h (ds4-map-to-gpu does the same
// inside launches): f32 transcendentals evaluated in f64.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "lowering/PreciseMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4PRECISEMATH
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

namespace {
struct PreciseMathPass : ds4::impl::Ds4PreciseMathBase<PreciseMathPass> {
  void runOnOperation() override {
    ds4::widenTranscendentals(getOperation(), [](Operation *) { return true; });
  }
};
} // namespace

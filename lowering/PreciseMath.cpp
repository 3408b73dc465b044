//===- PreciseMath.cpp - f32 transcendentals evaluated in f64 -------------===//

#include "lowering/PreciseMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;

void ds4::widenTranscendentals(Operation *root,
                               function_ref<bool(Operation *)> select) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if (op->getDialect() && isa<math::MathDialect>(op->getDialect()) &&
        op->getNumResults() == 1 && op->getResult(0).getType().isF32() &&
        select(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    ImplicitLocOpBuilder b(op->getLoc(), op);
    Value result;
    if (auto rsqrt = dyn_cast<math::RsqrtOp>(op)) {
      // 1 / sqrt, the square root taken in f64 (see above) so that no
      // approximate f32 sqrt or rsqrt instruction is ever selected.
      Value one = arith::ConstantOp::create(b, b.getF32FloatAttr(1.0f));
      Value wide = math::SqrtOp::create(
          b, arith::ExtFOp::create(b, b.getF64Type(), rsqrt.getOperand()));
      result = arith::DivFOp::create(
          b, one, arith::TruncFOp::create(b, b.getF32Type(), wide));
    } else if (isa<math::SqrtOp, math::ExpOp, math::Exp2Op, math::ExpM1Op,
                   math::LogOp,
                   math::Log1pOp, math::Log2Op, math::Log10Op, math::TanhOp,
                   math::SinOp, math::CosOp, math::TanOp, math::AtanOp,
                   math::ErfOp, math::PowFOp>(op)) {
      SmallVector<Value> wide;
      for (Value v : op->getOperands())
        wide.push_back(arith::ExtFOp::create(b, b.getF64Type(), v));
      OperationState state(op->getLoc(), op->getName());
      state.addOperands(wide);
      state.addTypes(b.getF64Type());
      state.addAttributes(op->getAttrs());
      Operation *f64 = b.create(state);
      result = arith::TruncFOp::create(b, b.getF32Type(), f64->getResult(0));
    } else {
      continue; // abs, floor, ... are exact on both
    }
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
  }
}

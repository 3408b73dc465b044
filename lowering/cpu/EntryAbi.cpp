//===- EntryAbi.cpp - ds4-entry-abi ----------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4ENTRYABI
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

/// Follows a buffer through calls of kernels that return one of their
/// arguments (in-place state updates) back to the value passed in.
static Value traceInPlace(Value value, ModuleOp module) {
  while (auto result = dyn_cast<OpResult>(value)) {
    auto call = dyn_cast<func::CallOp>(result.getOwner());
    if (!call)
      break;
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (!callee || callee.isExternal())
      break;
    auto ret = cast<func::ReturnOp>(callee.getBody().back().getTerminator());
    auto arg = dyn_cast<BlockArgument>(ret.getOperand(result.getResultNumber()));
    if (!arg || arg.getOwner() != &callee.getBody().front())
      break;
    value = call.getOperand(arg.getArgNumber());
  }
  return value;
}

namespace {
struct EntryAbiPass : ds4::impl::Ds4EntryAbiBase<EntryAbiPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || func.isPrivate())
        continue;
      auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
      SmallVector<Value> outputs;
      SmallVector<unsigned> dropped;
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        if (!isa<MemRefType>(value.getType())) {
          ret.emitError("entry points return only buffers");
          return signalPassFailure();
        }
        auto arg = dyn_cast<BlockArgument>(traceInPlace(value, getOperation()));
        bool inPlaceState =
            arg && arg.getOwner() == &func.getBody().front() &&
            func.getArgAttr(arg.getArgNumber(), "ds4.state");
        if (func.getResultAttr(i, "ds4.state") && !inPlaceState) {
          ret.emitError() << "state result #" << i
                          << " is not its argument updated in place";
          return signalPassFailure();
        }
        if (!inPlaceState)
          outputs.push_back(value);
        dropped.push_back(i);
      }
      // Outputs become trailing caller-owned arguments.
      OpBuilder b(ret);
      for (Value value : outputs) {
        auto type = cast<MemRefType>(value.getType());
        unsigned index = func.getNumArguments();
        if (failed(func.insertArgument(index, type, {}, value.getLoc())))
          return signalPassFailure();
        func.setArgAttr(index, "ds4.output", b.getUnitAttr());
        memref::CopyOp::create(b, ret.getLoc(), value, func.getArgument(index));
      }
      llvm::BitVector erase(func.getNumResults());
      for (unsigned i : dropped)
        erase.set(i);
      if (failed(func.eraseResults(erase)))
        return signalPassFailure();
      func::ReturnOp::create(b, ret.getLoc());
      ret.erase();
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(&getContext()));
      // An entry point is a straight sequence of kernel calls over thousands
      // of arguments (every weight of the model): optimizing it buys nothing
      // and costs LLVM's O3 pipeline tens of seconds on V4-Flash, so it is
      // compiled as is. The kernels are optimized.
      OpBuilder attrs(&getContext());
      func->setAttr("llvm.passthrough",
                    attrs.getArrayAttr({attrs.getStringAttr("noinline"),
                                        attrs.getStringAttr("optnone")}));
    }
  }
};
} // namespace

//===- OutlineKernels.cpp - ds4-outline-kernels ----------------------------===//

#include "passes/Passes.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4OUTLINEKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;
using namespace mlir::ds4;

/// Two ops can share a kernel when this key is equal: the op's generic form
/// without operand names (name, properties/attributes, types).
static std::string kernelKey(Operation *op) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << op->getName() << '|' << op->getPropertiesAsAttribute() << '|'
     << op->getDiscardableAttrDictionary() << '|';
  llvm::interleaveComma(op->getOperandTypes(), os);
  os << "->";
  llvm::interleaveComma(op->getResultTypes(), os);
  return key;
}

namespace {
struct OutlineKernelsPass
    : ds4::impl::Ds4OutlineKernelsBase<OutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    std::map<std::string, func::FuncOp> kernels;
    SmallVector<Operation *> ops;
    for (auto func : module.getOps<func::FuncOp>())
      func.walk([&](Operation *op) {
        if (isa<Ds4Dialect>(op->getDialect()) && !isa<WeightOp>(op))
          ops.push_back(op);
      });
    OpBuilder top = OpBuilder::atBlockEnd(module.getBody());
    for (Operation *op : ops) {
      std::string key = kernelKey(op);
      func::FuncOp &kernel = kernels[key];
      if (!kernel) {
        std::string name = "ds4_kernel_" + std::to_string(kernels.size() - 1) +
                           "_" +
                           op->getName().stripDialect().str();
        auto type = FunctionType::get(ctx, op->getOperandTypes(),
                                      op->getResultTypes());
        kernel = func::FuncOp::create(top, op->getLoc(), name, type);
        kernel.setPrivate();
        kernel.setNoInline(true);
        Block *body = kernel.addEntryBlock();
        OpBuilder b = OpBuilder::atBlockEnd(body);
        IRMapping map;
        map.map(op->getOperands(), body->getArguments());
        Operation *clone = b.clone(*op, map);
        func::ReturnOp::create(b, op->getLoc(), clone->getResults());
      }
      OpBuilder b(op);
      auto call = func::CallOp::create(b, op->getLoc(), kernel,
                                       op->getOperands());
      op->replaceAllUsesWith(call.getResults());
      op->erase();
    }
  }
};
} // namespace

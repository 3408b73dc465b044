//===- LowerToLoops.cpp - ds4-lower-to-loops --------------------------------===//

#include "passes/Passes.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "lowering/cpu/BufferTypes.h"
#include "lowering/cpu/Patterns.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4LOWERTOLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;
using namespace mlir::ds4;

/// In-place state updates are only correct if every read of a state value
/// precedes the op that produces its successor.
static LogicalResult checkStateOrder(func::FuncOp func) {
  LogicalResult result = success();
  func.walk([&](Operation *op) {
    for (OpResult res : op->getResults()) {
      if (!isa<StateType>(res.getType()))
        continue;
      // The operand this result updates is the one of identical type.
      for (Value operand : op->getOperands()) {
        if (operand.getType() != res.getType())
          continue;
        for (Operation *user : operand.getUsers()) {
          if (user == op || user->getBlock() != op->getBlock() ||
              user->isBeforeInBlock(op))
            continue;
          user->emitError() << "reads a state value after "
                            << op->getName()
                            << " updated it in place; reorder the reads first";
          result = failure();
        }
      }
    }
  });
  return result;
}

namespace {
struct LowerToLoopsPass
    : ds4::impl::Ds4LowerToLoopsBase<LowerToLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>())
      if (failed(checkStateOrder(func)))
        return signalPassFailure();
    module.walk([&](WeightOp op) {
      op.emitError("run ds4-weights-to-args before ds4-lower-to-loops");
      signalPassFailure();
    });

    MLIRContext *ctx = &getContext();
    lowering::BufferTypeConverter converter;
    RewritePatternSet patterns(ctx);
    lowering::LoopLoweringOptions options;
    options.tensorCores = tensorCores;
    if (outputsPerWarp < 1) {
      module.emitError("ds4-lower-to-loops: outputs-per-warp must be at least 1");
      return signalPassFailure();
    }
    options.outputsPerWarp = outputsPerWarp;
    options.warpSinkhorn = warpSinkhorn;
    lowering::populateCoreToLoopsPatterns(converter, patterns, options);
    lowering::populateHyperConnectionToLoopsPatterns(converter, patterns,
                                                     options);
    lowering::populateAttentionToLoopsPatterns(converter, patterns, options);
    lowering::populateTopkToLoopsPatterns(converter, patterns);
    lowering::populateMoeToLoopsPatterns(converter, patterns, options);
    lowering::populateTensorToLoopsPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*ctx);
    target.addLegalDialect<memref::MemRefDialect, scf::SCFDialect,
                           math::MathDialect>();
    // Warp tiles read their lane and issue mma.sync; the warp Sinkhorn
    // shuffles.
    if (tensorCores || warpSinkhorn)
      target.addLegalDialect<gpu::GPUDialect, NVVM::NVVMDialect,
                             LLVM::LLVMDialect>();
    target.addLegalOp<ModuleOp>();
    target.addIllegalDialect<Ds4Dialect, tensor::TensorDialect>();
    target.addIllegalOp<bufferization::ToBufferOp>();
    auto noTensors = [&](Operation *op) {
      return converter.isLegal(op->getOperandTypes()) &&
             converter.isLegal(op->getResultTypes());
    };
    target.addDynamicallyLegalDialect<arith::ArithDialect>(noTensors);
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(noTensors);
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

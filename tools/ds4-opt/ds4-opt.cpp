//===- ds4-opt.cpp - mlir-opt with the ds4 dialect and passes ------------===//
//
// Registers every upstream dialect and pass (the pipeline lowers through
// tensor/linalg/scf/vector/gpu/nvvm/llvm) plus ds4's own, then hands over
// to MlirOptMain.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "lowering/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::ds4::registerDs4Passes();
  mlir::ds4::registerDs4Pipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::ds4::Ds4Dialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "ds4 optimizer driver (DeepSeek-V4 dialect and passes)\n",
      registry));
}

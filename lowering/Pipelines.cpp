//===- Pipelines.cpp ------------------------------------------------------===//

#include "lowering/Pipelines.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

void ds4::buildCpuBufferizePipeline(OpPassManager &pm) {
  pm.addPass(createDs4WeightsToArgs());
  buildCpuLoopsPipeline(pm);
}

void ds4::buildCpuLoopsPipeline(OpPassManager &pm) {
  pm.addPass(createDs4OutlineKernels());
  pm.addPass(createDs4LowerToLoops());
  pm.addPass(createDs4WeightArena());
  pm.addPass(createDs4EntryAbi());
}

void ds4::buildCpuToLLVMPipeline(OpPassManager &pm) {
  // Upstream passes by their registered names keep this list readable and
  // identical to what a user would type into ds4-opt.
  static const char *kPipeline =
      // Kernels return fresh buffers (or the state buffer they updated):
      // ownership crosses those private calls dynamically.
      "buffer-deallocation-pipeline{private-function-dynamic-ownership=true},"
      "canonicalize,cse,"
      "convert-scf-to-cf,"
      // bf16 <-> f32 as integer ops: no soft-float library calls needed.
      "arith-expand{include-bf16=true},"
      "convert-math-to-llvm,"
      "convert-math-to-libm,"
      "expand-strided-metadata,"
      "lower-affine,"
      "finalize-memref-to-llvm,"
      "convert-arith-to-llvm,"
      "convert-index-to-llvm,"
      "convert-cf-to-llvm,"
      "convert-func-to-llvm,"
      "reconcile-unrealized-casts";
  if (failed(parsePassPipeline(kPipeline, pm, llvm::errs())))
    llvm::report_fatal_error("ds4: the built-in CPU pipeline does not parse");
  pm.addPass(createDs4EntryWrappers());
}

void ds4::registerDs4Pipelines() {
  PassPipelineRegistration<>(
      "ds4-cpu-bufferize",
      "ds4 model IR -> loops over memrefs with the runtime's entry ABI",
      buildCpuBufferizePipeline);
  PassPipelineRegistration<>(
      "ds4-cpu-to-llvm",
      "Loops over memrefs -> LLVM dialect (deallocation, then standard "
      "conversions)",
      buildCpuToLLVMPipeline);
}

//===- Pipelines.cpp ------------------------------------------------------===//

#include "lowering/Pipelines.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

/// The static memory plan, last in both bufferized pipelines so that it
/// sees every allocation (ds4-map-to-gpu turns per-thread scratch into
/// private memory; ds4-outline-parallel moves loop bodies, not buffers).
static void addMemoryPlan(OpPassManager &pm) {
  pm.addPass(ds4::createDs4KernelBuffersToArgs());
  pm.addPass(ds4::createDs4MemoryPlan());
}

void ds4::buildCpuBufferizePipeline(OpPassManager &pm) {
  pm.addPass(createDs4WeightsToArgs());
  buildCpuThreadsPipeline(pm);
}

void ds4::buildCpuLoopsPipeline(OpPassManager &pm, bool tensorCores) {
  pm.addPass(createDs4OutlineKernels());
  Ds4LowerToLoopsOptions loops;
  loops.tensorCores = tensorCores;
  // The GPU groups the experts' decode outputs for memory parallelism;
  // the host gains nothing from it (same results either way).
  loops.outputsPerWarp = tensorCores ? 4 : 1;
  loops.warpSinkhorn = tensorCores;
  pm.addPass(createDs4LowerToLoops(loops));
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

void ds4::buildGpuLoopsPipeline(OpPassManager &pm) {
  buildCpuLoopsPipeline(pm, /*tensorCores=*/true);
  pm.addPass(createDs4MapToGpu());
  addMemoryPlan(pm);
}

void ds4::buildCpuThreadsPipeline(OpPassManager &pm) {
  buildCpuLoopsPipeline(pm);
  pm.addPass(createDs4PreciseMath());
  pm.addPass(createDs4LaneOrderReductions());
  pm.addPass(createDs4OutlineParallel());
  addMemoryPlan(pm);
}

llvm::Expected<ds4::GpuCodegenOptions> ds4::findCudaToolkit() {
  std::vector<std::string> candidates;
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *v = std::getenv(var); v && *v)
      candidates.push_back(v);
  candidates.push_back("/usr/local/cuda");
  std::string tried;
  for (const std::string &root : candidates) {
    llvm::SmallString<128> libdevice(root);
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (!llvm::sys::fs::exists(libdevice)) {
      tried += (tried.empty() ? "" : ", ") + std::string(libdevice);
      continue;
    }
    GpuCodegenOptions options;
    options.toolkit = root;
    llvm::SmallString<128> ptxas(root);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    options.format = llvm::sys::fs::can_execute(ptxas) ? "bin" : "isa";
    return options;
  }
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "sm_90a needs libdevice from a CUDA toolkit (math functions on the "
      "GPU); not found at " +
          tried + " (set CUDA_HOME)");
}

void ds4::buildGpuToLLVMPipeline(OpPassManager &pm,
                                 const GpuCodegenOptions &options) {
  std::string pipeline =
      "gpu-kernel-outlining,"
      "canonicalize,cse,"
      "lower-affine,"
      "convert-scf-to-cf,"
      // bf16 <-> f32 as integer ops, on host and device alike.
      "arith-expand{include-bf16=true},"
      "expand-strided-metadata,"
      "nvvm-attach-target{chip=sm_90a features=+ptx80 O=3},"
      // Device code: math functions become libdevice calls, linked at
      // serialization.
      "gpu.module(convert-gpu-to-nvvm,canonicalize,cse,"
      "reconcile-unrealized-casts),"
      // Host plan: buffers come from the runtime's device arena through the
      // generic allocation functions (lowering/gpu/GpuHostAbi.h).
      "convert-math-to-llvm,"
      "finalize-memref-to-llvm{use-generic-functions=true},"
      "convert-arith-to-llvm,"
      "convert-index-to-llvm,"
      "convert-cf-to-llvm,"
      "convert-func-to-llvm,"
      "gpu-to-llvm,"
      "reconcile-unrealized-casts,"
      "gpu-module-to-binary{format=" +
      options.format + " toolkit=" + options.toolkit + "}";
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("ds4: the built-in GPU pipeline does not parse");
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

//===- Pipelines.h - the named pass pipelines ds4-compile runs -------------===//

#ifndef DS4_LOWERING_PIPELINES_H
#define DS4_LOWERING_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::ds4 {

/// model -> bufferized: weights to arguments, ds4 ops to loops over memrefs,
/// the entry-point ABI.
void buildCpuBufferizePipeline(OpPassManager &pm);
/// The part of it after ds4-weights-to-args (ds4-compile collects the weight
/// table between the two): kernels, loops, weight arena, entry ABI.
void buildCpuLoopsPipeline(OpPassManager &pm, bool tensorCores = false);
/// bufferized -> target: deallocations, then scf/memref/arith/math/func to
/// the LLVM dialect.
void buildCpuToLLVMPipeline(OpPassManager &pm);

/// Registers `ds4-cpu-bufferize` and `ds4-cpu-to-llvm` for ds4-opt.
/// cpu: the loops pipeline, then ds4-outline-parallel (thread-pool bodies).
void buildCpuThreadsPipeline(OpPassManager &pm);

/// sm_90a: the CPU loops pipeline, then ds4-map-to-gpu (launches over the
/// same loops).
void buildGpuLoopsPipeline(OpPassManager &pm);

/// How device code is serialized.
struct GpuCodegenOptions {
  /// CUDA toolkit root: libdevice (needed: math functions) and ptxas.
  std::string toolkit;
  /// "isa" (PTX text, JIT-compiled by the driver at load) or "bin" (cubin
  /// from ptxas).
  std::string format = "isa";
};
/// The CUDA toolkit to use: $CUDA_HOME, $CUDA_PATH or /usr/local/cuda,
/// whichever holds libdevice; an error naming the paths tried otherwise.
llvm::Expected<GpuCodegenOptions> findCudaToolkit();

/// Launches over memrefs -> gpu.module kernels in NVVM, serialized
/// (gpu.binary), and a host plan in the LLVM dialect.
void buildGpuToLLVMPipeline(OpPassManager &pm, const GpuCodegenOptions &options);

void registerDs4Pipelines();

} // namespace mlir::ds4

#endif // DS4_LOWERING_PIPELINES_H

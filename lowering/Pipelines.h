//===- Pipelines.h - the named pass pipelines ds4-compile runs -------------===//

#ifndef DS4_LOWERING_PIPELINES_H
#define DS4_LOWERING_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace mlir::ds4 {

/// model -> bufferized: weights to arguments, ds4 ops to loops over memrefs,
/// the entry-point ABI.
void buildCpuBufferizePipeline(OpPassManager &pm);
/// The part of it after ds4-weights-to-args (ds4-compile collects the weight
/// table between the two): kernels, loops, weight arena, entry ABI.
void buildCpuLoopsPipeline(OpPassManager &pm);
/// bufferized -> target: deallocations, then scf/memref/arith/math/func to
/// the LLVM dialect.
void buildCpuToLLVMPipeline(OpPassManager &pm);

/// Registers `ds4-cpu-bufferize` and `ds4-cpu-to-llvm` for ds4-opt.
void registerDs4Pipelines();

} // namespace mlir::ds4

#endif // DS4_LOWERING_PIPELINES_H

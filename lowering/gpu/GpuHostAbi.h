//===- GpuHostAbi.h - route the host plan's runtime calls -----------------===//
//
// MLIR's gpu-to-llvm lowering (and the translation of gpu.binary /
// gpu.launch_func) calls `mgpu*` runtime functions and loads device modules
// from global constructors. A ds4 artifact must not depend on MLIR's CUDA
// wrapper library, nor on how the runtime happens to be linked, and must
// not touch the driver before the runtime has set up a context. So, on the
// translated LLVM IR of the host plan:
//   - every declared `mgpu*` function (and the generic memref allocation
//     functions, which allocate from the runtime's device arena) is defined
//     as a call through the exported table `ds4_gpu_host_abi`, laid out as
//     runtime/include/ds4/gpu_host_abi.h says;
//   - `llvm.global_ctors` / `llvm.global_dtors` become the exported
//     `ds4_gpu_host_init` / `ds4_gpu_host_fini`.
// Any other external function the host plan would need is an error.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_GPU_GPUHOSTABI_H
#define DS4_LOWERING_GPU_GPUHOSTABI_H

#include "llvm/Support/Error.h"

namespace llvm {
class Module;
}

namespace mlir::ds4 {

llvm::Error routeGpuHostAbi(llvm::Module &module);

} // namespace mlir::ds4

#endif // DS4_LOWERING_GPU_GPUHOSTABI_H

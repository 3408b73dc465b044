//===- HostCodegen.h - LLVM dialect -> host shared object -----------------===//
//
// The last CPU phase: translate the LLVM-dialect module to LLVM IR, optimize
// it (O3), emit an x86-64 object file with LLVM's backend in-process, and
// link it into a shared object with the system C compiler driver (`cc
// -shared`, needing only libc and libm at run time). The runtime dlopens
// the result; it never links LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_HOSTCODEGEN_H
#define DS4_LOWERING_HOSTCODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::ds4 {

/// The optimized LLVM IR of `module` as text (for --compile-to=target -emit=llvm).
llvm::Expected<std::string> translateToLLVMIR(ModuleOp module,
                                              bool gpuHostPlan = false);

/// Object code for the host, then linked into a shared object; returns the
/// shared object's bytes.
/// `gpuHostPlan`: the module is an sm_90a host plan (gpu.binary + launches);
/// its runtime calls are routed through the runtime's table (GpuHostAbi.h).
llvm::Expected<std::string> emitHostSharedObject(ModuleOp module,
                                                 bool gpuHostPlan = false);

} // namespace mlir::ds4

#endif // DS4_LOWERING_HOSTCODEGEN_H

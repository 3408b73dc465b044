//===- HostThreadsAbi.h - parallel bodies -> the runtime's thread pool ----===//
//
// After translation to LLVM IR of a CPU module: every call of a function
// marked "ds4-parallel-body" (ds4-outline-parallel's bodies, called as
// body(0, total, args...)) becomes a call of the runtime's
// ds4_parallel_for(trampoline, context, total) through the exported table
// `ds4_host_abi` (runtime/include/ds4/host_abi.h); the arguments travel in a
// stack struct that the trampoline unpacks. A module without such bodies is
// left as it is (and exports no table).
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_CPU_HOSTTHREADSABI_H
#define DS4_LOWERING_CPU_HOSTTHREADSABI_H

#include "llvm/Support/Error.h"

namespace llvm {
class Module;
}

namespace mlir::ds4 {

llvm::Error routeHostThreads(llvm::Module &module);

} // namespace mlir::ds4

#endif // DS4_LOWERING_CPU_HOSTTHREADSABI_H

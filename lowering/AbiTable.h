//===- AbiTable.h - a function table a compiled shared object exports -----===//
//
// Both runtime ABIs of compiled host code (runtime/include/ds4/host_abi.h for
// the CPU thread pool, gpu_host_abi.h for the GPU host plan) are a table of
// function pointers the shared object exports, zero-initialized and filled
// by the runtime after dlopen, beside a version the runtime checks first.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_ABITABLE_H
#define DS4_LOWERING_ABITABLE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/IR/IRBuilder.h"

#include <cstdint>

namespace llvm {
class GlobalVariable;
class Module;
} // namespace llvm

namespace mlir::ds4 {

/// Adds `ptr name[count]` (zero) and `i32 name_version = version`, both
/// exported; returns the table.
llvm::GlobalVariable *createAbiTable(llvm::Module &module, llvm::StringRef name,
                                     unsigned count, uint32_t version);

/// The function pointer in slot `index` of `table`, loaded at `b`.
llvm::Value *loadAbiSlot(llvm::IRBuilder<> &b, llvm::GlobalVariable *table,
                         unsigned index);

} // namespace mlir::ds4

#endif // DS4_LOWERING_ABITABLE_H

//===- BufferSizes.h - where a buffer's sizes can be computed -------------===//
//
// Moving an allocation (into a kernel's caller, or to the start of an entry
// point for the memory plan) needs its sizes at the new place. They can be
// recomputed there when every op computing them is free of memory effects
// and the computation starts from the arguments of the function (and
// constants): then the same ops, cloned with the arguments substituted,
// give the same values anywhere the arguments are available. Ops that ran
// only under a condition (in a branch) must also be safe to run always.
// Sizes read through other buffers (`memref.dim` of a view, of a kernel's
// result) are first rewritten to read the arguments where they can.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_PASSES_BUFFERSIZES_H
#define DS4_PASSES_BUFFERSIZES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Block.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SetVector.h"

#include <optional>

#include <string>

namespace mlir::ds4 {

/// Adds to `slice` the ops that compute `sizes` from the arguments of
/// `block`: ops of `block`, or of blocks nested in it that the sizes' user
/// lies in. Fails, saying why in `why` (naming the op that stops it), when
/// one of them has memory effects or regions, a nested one could not run
/// where its block does not (a division by a value that may be zero), or a
/// value is an argument of another block.
LogicalResult collectSizeSlice(ValueRange sizes, Block &block,
                               llvm::SetVector<Operation *> &slice,
                               std::string &why);

/// Clones `slice` (from collectSizeSlice) in an order where definitions
/// come first, at `builder`'s insertion point; `map` must map the block
/// arguments they read. Ops already mapped (by an earlier call with the
/// same map) are not cloned again.
void cloneSizeSlice(OpBuilder &builder,
                    const llvm::SetVector<Operation *> &slice, IRMapping &map);

/// Rewrites the `memref.dim`s at the top level of `func` in terms of what
/// they measure: the sizes of allocations and views, and the operand of a
/// call whose callee returns that argument as is (state updated in place),
/// so that sizes read the function's arguments where they can.
void resolveSizesToArguments(func::FuncOp func, SymbolTableCollection &symbols);

/// The size of dimension `index` of the buffer argument `arg`, if known.
using ArgumentDimension = llvm::function_ref<std::optional<int64_t>(
    BlockArgument arg, unsigned index)>;

/// The value of the index `size` when the buffer arguments it reads have
/// the dimensions `dimension` gives: its pure ops are folded (on copies,
/// so the IR is untouched); std::nullopt if something is unknown. `known`
/// caches values across calls with the same `dimension`.
std::optional<int64_t> evaluateSize(Value size, ArgumentDimension dimension,
                                    llvm::DenseMap<Value, int64_t> &known);

} // namespace mlir::ds4

#endif // DS4_PASSES_BUFFERSIZES_H

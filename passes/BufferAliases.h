//===- BufferAliases.h - the values through which a buffer is used --------===//
//
// A buffer of an entry point is used through its aliases too: views of it
// (reshapes, subviews, casts) and results of kernel calls that hand back an
// argument (state updated in place, or a view of an input). Its memory can
// be reused only after the last use of any of them, and only if none
// escapes where the analysis cannot follow (returned from the entry point,
// passed to an external function, forwarded by a region).
//
//===----------------------------------------------------------------------===//

#ifndef DS4_PASSES_BUFFERALIASES_H
#define DS4_PASSES_BUFFERALIASES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

#include <string>

namespace mlir::ds4 {

/// What a result of a callee is, for its callers' buffers.
struct ReturnedBuffer {
  enum Kind {
    /// One of its arguments, itself or through views (state updated in
    /// place, a view of an input): an alias of that operand.
    Argument,
    /// A buffer the callee allocates.
    Fresh,
    /// Anything else: the analysis cannot tell what it aliases.
    Unknown,
  } kind;
  /// The argument, for Argument.
  unsigned argument = 0;
};

/// What result `index` of `callee` is (Unknown when it has no body).
ReturnedBuffer returnedBuffer(func::FuncOp callee, unsigned index);

/// The uses of a buffer allocated at the top level of `block`.
struct BufferUses {
  /// The op of `block` that holds the last use of the buffer or of an
  /// alias of it (uses inside regions count at the op holding the region);
  /// the allocation itself when it is unused.
  Operation *last;
  /// Deallocations of the buffer (gone once the buffer is an arena slot).
  SmallVector<memref::DeallocOp> deallocs;
};

/// Follows every alias of `buffer` (the result of an allocation at the top
/// level of `block`). Fails when one escapes, saying how in `why`.
FailureOr<BufferUses> traceBufferUses(Value buffer, Block &block,
                                      SymbolTableCollection &symbols,
                                      std::string &why);

} // namespace mlir::ds4

#endif // DS4_PASSES_BUFFERALIASES_H

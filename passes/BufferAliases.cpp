//===- BufferAliases.cpp - the values through which a buffer is used ------===//

#include "passes/BufferAliases.h"

#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

ds4::ReturnedBuffer ds4::returnedBuffer(func::FuncOp callee, unsigned index) {
  ReturnedBuffer unknown{ReturnedBuffer::Unknown};
  if (!callee || callee.isExternal() || !callee.getBody().hasOneBlock())
    return unknown;
  Block &body = callee.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret || index >= ret.getNumOperands())
    return unknown;
  Value value = ret.getOperand(index);
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (arg.getOwner() != &body)
        return unknown;
      return {ReturnedBuffer::Argument, arg.getArgNumber()};
    }
    Operation *op = value.getDefiningOp();
    if (isa<memref::AllocOp>(op))
      return {ReturnedBuffer::Fresh};
    auto view = dyn_cast<ViewLikeOpInterface>(op);
    if (!view)
      return unknown;
    value = view.getViewSource();
  }
}

/// "'memref.foo'": how the reasons name an op.
static std::string quoted(Operation *op) {
  return "'" + op->getName().getStringRef().str() + "'";
}

FailureOr<ds4::BufferUses> ds4::traceBufferUses(Value buffer, Block &block,
                                                SymbolTableCollection &symbols,
                                                std::string &why) {
  BufferUses uses{buffer.getDefiningOp(), {}};
  SmallVector<Value> work{buffer};
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top) {
        why = "it is used outside the function body";
        return failure();
      }
      if (uses.last->isBeforeInBlock(top))
        uses.last = top;
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
        if (value != buffer) {
          why = "a view of it is deallocated";
          return failure();
        }
        uses.deallocs.push_back(dealloc);
        continue;
      }
      if (user->hasTrait<OpTrait::IsTerminator>()) {
        why = quoted(user) + " returns or forwards it";
        return failure();
      }
      if (isa<memref::ExtractAlignedPointerAsIndexOp,
              UnrealizedConversionCastOp>(user)) {
        why = quoted(user) + " takes its address";
        return failure();
      }
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == value) {
        for (Value result : user->getResults())
          if (isa<BaseMemRefType>(result.getType()))
            work.push_back(result);
        continue;
      }
      if (auto call = dyn_cast<func::CallOp>(user)) {
        auto callee = symbols.lookupNearestSymbolFrom<func::FuncOp>(
            call, call.getCalleeAttr());
        if (!callee || callee.isExternal()) {
          why = "it is passed to the external function @" +
                call.getCallee().str();
          return failure();
        }
        for (OpResult result : call->getResults()) {
          if (!isa<BaseMemRefType>(result.getType()))
            continue;
          ReturnedBuffer returned =
              returnedBuffer(callee, result.getResultNumber());
          if (returned.kind == ReturnedBuffer::Unknown) {
            why = "the result #" + std::to_string(result.getResultNumber()) +
                  " of @" + call.getCallee().str() +
                  " may alias it (not an argument or a fresh buffer)";
            return failure();
          }
          if (returned.kind == ReturnedBuffer::Argument &&
              returned.argument == use.getOperandNumber())
            work.push_back(result);
        }
        continue;
      }
      if (isa<CallOpInterface>(user)) {
        why = quoted(user) + " calls what the analysis cannot see";
        return failure();
      }
      if (llvm::any_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>)) {
        why = quoted(user) + " makes a buffer of it";
        return failure();
      }
      // Anything else reads or writes it (loads, stores, copies, launches).
    }
  }
  return uses;
}

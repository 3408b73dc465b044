//===- KernelBuffersToArgs.cpp - ds4-kernel-buffers-to-args ---------------===//
//
// Kernels allocate their results and scratch buffers themselves; the entry
// point that calls them cannot place those buffers. Moving each allocation
// whose sizes follow from the kernel's arguments to the call sites puts
// every buffer of a step into the entry point, where ds4-memory-plan sees
// all of them and their lifetimes together.
//
// A buffer allocated in a branch (the tensor-core or the plain variant of a
// kernel, chosen by the number of rows) moves too when the branch's
// condition follows from the arguments as well: the caller gives it no
// elements unless the branch will be taken, so only the variant that runs
// takes memory.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/BufferSizes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4KERNELBUFFERSTOARGS
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

namespace {
/// An allocation of a kernel that its callers make instead.
struct HoistedBuffer {
  memref::AllocOp alloc;
  /// The ops computing its sizes (and conditions) from the kernel's
  /// arguments.
  llvm::SetVector<Operation *> sizes;
  /// The branches it lies in, outermost first: the scf.if's condition and
  /// whether it is in the `then` region.
  SmallVector<std::pair<Value, bool>> conditions;
};

bool isEntry(func::FuncOp func) {
  return func.isPublic() && !func.isExternal();
}

/// The private functions whose every use is a call from an entry point,
/// with those calls.
llvm::MapVector<func::FuncOp, SmallVector<func::CallOp>>
kernelsCalledByEntries(ModuleOp module) {
  llvm::MapVector<func::FuncOp, SmallVector<func::CallOp>> calls;
  llvm::DenseSet<Operation *> otherUses;
  SymbolTable symbols(module);
  if (auto uses = SymbolTable::getSymbolUses(&module.getBodyRegion())) {
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto callee =
          symbols.lookup<func::FuncOp>(use.getSymbolRef().getRootReference());
      if (!callee)
        continue;
      auto call = dyn_cast<func::CallOp>(use.getUser());
      auto caller = call ? call->getParentOfType<func::FuncOp>() : nullptr;
      if (call && caller && isEntry(caller) &&
          call.getCalleeAttr() == use.getSymbolRef())
        calls[callee].push_back(call);
      else
        otherUses.insert(callee);
    }
  }
  llvm::MapVector<func::FuncOp, SmallVector<func::CallOp>> kernels;
  for (auto &[callee, sites] : calls)
    if (callee.isPrivate() && !callee.isExternal() &&
        callee.getBody().hasOneBlock() && !otherUses.contains(callee))
      kernels.insert({callee, std::move(sites)});
  return kernels;
}

/// The allocations of `kernel` whose sizes its callers can compute: at the
/// top level of its body, or in branches (scf.if only) whose conditions
/// they can compute too. With `report`, remarks on those that stay.
SmallVector<HoistedBuffer> hoistableBuffers(func::FuncOp kernel, bool report) {
  SmallVector<HoistedBuffer> buffers;
  Block &body = kernel.getBody().front();
  kernel.walk([&](memref::AllocOp alloc) {
    HoistedBuffer buffer{alloc, {}, {}};
    std::string why;
    for (Operation *op = alloc->getParentOp(); op != kernel;
         op = op->getParentOp()) {
      auto branch = dyn_cast<scf::IfOp>(op);
      if (!branch) {
        why = "it is allocated inside '" + op->getName().getStringRef().str() +
              "'";
        break;
      }
      bool inThen = branch.getThenRegion().isAncestor(alloc->getParentRegion());
      buffer.conditions.insert(buffer.conditions.begin(),
                               {branch.getCondition(), inThen});
    }
    SmallVector<Value> computed(alloc->getOperands());
    for (auto [condition, inThen] : buffer.conditions)
      computed.push_back(condition);
    // A size known only inside the kernel (data-dependent) keeps the
    // allocation there.
    if (why.empty() &&
        succeeded(ds4::collectSizeSlice(computed, body, buffer.sizes, why)))
      buffers.push_back(std::move(buffer));
    else if (report)
      alloc.emitRemark("stays in the kernel: ") << why;
  });
  return buffers;
}

/// Whether the branches of `buffer` will be taken, at `b` where `map` maps
/// the kernel's values to the caller's.
Value branchesTaken(OpBuilder &b, Location loc, const HoistedBuffer &buffer,
                    IRMapping &map) {
  Value taken;
  for (auto [condition, inThen] : buffer.conditions) {
    Value here = map.lookup(condition);
    if (!inThen)
      here = arith::XOrIOp::create(b, loc, here,
                                   arith::ConstantIntOp::create(b, loc, 1, 1));
    taken = taken ? arith::AndIOp::create(b, loc, taken, here) : here;
  }
  return taken;
}

/// Allocates the buffers before `call` (the kernel unchanged yet) and
/// passes them to a call of the kernel's new signature, whose results are
/// the old ones but for those that returned a buffer (`returned[i]` >= 0:
/// the index of that buffer); their uses take the caller's buffer.
void rewriteCall(func::CallOp call, ArrayRef<HoistedBuffer> buffers,
                 ArrayRef<int> returned, TypeRange resultTypes) {
  OpBuilder b(call);
  Block &body =
      buffers.front().alloc->getParentOfType<func::FuncOp>().getBody().front();
  IRMapping map;
  map.map(body.getArguments(), call.getOperands());
  SmallVector<Value> operands(call.getOperands());
  for (const HoistedBuffer &buffer : buffers) {
    memref::AllocOp alloc = buffer.alloc;
    ds4::cloneSizeSlice(b, buffer.sizes, map);
    SmallVector<Value> sizes, symbols;
    for (Value size : alloc.getDynamicSizes())
      sizes.push_back(map.lookup(size));
    // No elements unless the buffer's branch runs. (A static buffer is
    // small: it is allocated either way.)
    if (!buffer.conditions.empty() && !sizes.empty()) {
      Value taken = branchesTaken(b, call.getLoc(), buffer, map);
      Value none = arith::ConstantIndexOp::create(b, call.getLoc(), 0);
      sizes.front() =
          arith::SelectOp::create(b, call.getLoc(), taken, sizes.front(), none);
    }
    for (Value symbol : alloc.getSymbolOperands())
      symbols.push_back(map.lookup(symbol));
    operands.push_back(memref::AllocOp::create(b, call.getLoc(),
                                               alloc.getType(), sizes, symbols,
                                               alloc.getAlignmentAttr()));
  }
  auto newCall = func::CallOp::create(b, call.getLoc(), call.getCalleeAttr(),
                                      resultTypes, operands);
  for (NamedAttribute attr : call->getDiscardableAttrs())
    newCall->setDiscardableAttr(attr.getName(), attr.getValue());
  unsigned next = 0;
  for (auto [i, result] : llvm::enumerate(call.getResults())) {
    if (returned[i] >= 0)
      result.replaceAllUsesWith(operands[call.getNumOperands() + returned[i]]);
    else
      result.replaceAllUsesWith(newCall.getResult(next++));
  }
  call.erase();
}

/// Makes each buffer a trailing argument of `kernel` and drops the results
/// that returned one (`returned`).
LogicalResult rewriteKernel(func::FuncOp kernel,
                            ArrayRef<HoistedBuffer> buffers,
                            ArrayRef<int> returned) {
  for (const HoistedBuffer &buffer : buffers) {
    memref::AllocOp alloc = buffer.alloc;
    unsigned index = kernel.getNumArguments();
    if (failed(
            kernel.insertArgument(index, alloc.getType(), {}, alloc.getLoc())))
      return failure();
    // The caller owns the buffer now; it must not be freed here.
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    alloc.replaceAllUsesWith(kernel.getArgument(index));
    alloc.erase();
  }
  auto ret = cast<func::ReturnOp>(kernel.getBody().front().getTerminator());
  llvm::BitVector dropped(ret.getNumOperands());
  SmallVector<Value> results;
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    if (returned[i] >= 0)
      dropped.set(i);
    else
      results.push_back(value);
  }
  ret->setOperands(results);
  return kernel.eraseResults(dropped);
}
} // namespace

namespace {
struct KernelBuffersToArgsPass
    : ds4::impl::Ds4KernelBuffersToArgsBase<KernelBuffersToArgsPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto &[kernel, calls] : kernelsCalledByEntries(getOperation())) {
      SmallVector<HoistedBuffer> buffers = hoistableBuffers(kernel, report);
      if (buffers.empty())
        continue;
      // Result i returned buffer returned[i] (or is kept: -1).
      SmallVector<int> returned;
      SmallVector<Type> resultTypes;
      auto ret = cast<func::ReturnOp>(kernel.getBody().front().getTerminator());
      for (Value value : ret.getOperands()) {
        auto it = llvm::find_if(buffers, [&](HoistedBuffer &buffer) {
          return buffer.alloc.getResult() == value;
        });
        returned.push_back(it == buffers.end() ? -1 : it - buffers.begin());
        if (it == buffers.end())
          resultTypes.push_back(value.getType());
      }
      // The call sites clone the kernel's size computations, so they are
      // rewritten while the kernel still allocates.
      for (func::CallOp call : calls)
        rewriteCall(call, buffers, returned, resultTypes);
      if (failed(rewriteKernel(kernel, buffers, returned)))
        return signalPassFailure();
    }
  }
};
} // namespace

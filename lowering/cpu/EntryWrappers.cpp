//===- EntryWrappers.cpp - ds4-entry-wrappers -------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4ENTRYWRAPPERS
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

namespace {
struct EntryWrappersPass
    : ds4::impl::Ds4EntryWrappersBase<EntryWrappersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    // convert-func-to-llvm keeps a func.func's `llvm.passthrough` as a
    // discardable attribute, which translation ignores: the parallel bodies'
    // marker (ds4-outline-parallel) is made the function's own passthrough
    // list, so the thread-pool routing finds them. (The entry points'
    // optnone request stays as ignored as it always was: making it effective
    // changes V4-Flash compile times, which is for a separate measurement.)
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (auto list = func->getAttrOfType<ArrayAttr>("llvm.passthrough"))
        if (llvm::any_of(list, [](Attribute a) {
              auto s = dyn_cast<StringAttr>(a);
              return s && s.getValue() == "ds4-parallel-body";
            })) {
          func.setPassthroughAttr(list);
          func->removeAttr("llvm.passthrough");
        }
    SmallVector<LLVM::LLVMFuncOp> ciface;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func.getName().starts_with("_mlir_ciface_") && !func.isExternal())
        ciface.push_back(func);
    for (LLVM::LLVMFuncOp callee : ciface) {
      LLVM::LLVMFunctionType type = callee.getFunctionType();
      if (!isa<LLVM::LLVMVoidType>(type.getReturnType()) ||
          llvm::any_of(type.getParams(),
                       [&](Type t) { return t != ptr; })) {
        callee.emitError("entry point must take only descriptor pointers and "
                         "return nothing (run ds4-entry-abi first)");
        return signalPassFailure();
      }
      std::string name =
          "ds4_entry_" +
          callee.getName().drop_front(strlen("_mlir_ciface_")).str();
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      Location loc = callee.getLoc();
      auto wrapper = LLVM::LLVMFuncOp::create(
          b, loc, name,
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}));
      Block *body = wrapper.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      Value argv = body->getArgument(0);
      SmallVector<Value> args;
      for (unsigned i = 0; i < type.getNumParams(); ++i) {
        Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, argv,
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
      }
      LLVM::CallOp::create(b, loc, callee, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }
  }
};
} // namespace

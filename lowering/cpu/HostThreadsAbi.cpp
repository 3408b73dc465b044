//===- HostThreadsAbi.cpp -------------------------------------------------===//

#include "lowering/cpu/HostThreadsAbi.h"

#include "ds4/host_abi.h"
#include "lowering/AbiTable.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace llvm;

static Error error(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// void trampoline(ptr context, i64 begin, i64 end): unpacks the struct and
/// calls the body.
static Function *trampoline(Function *body, StructType *fields) {
  LLVMContext &ctx = body->getContext();
  Type *i64 = Type::getInt64Ty(ctx);
  auto *type = FunctionType::get(Type::getVoidTy(ctx),
                                 {PointerType::get(ctx, 0), i64, i64}, false);
  auto *t = Function::Create(type, GlobalValue::InternalLinkage,
                             body->getName() + ".trampoline", body->getParent());
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", t));
  SmallVector<Value *> args{t->getArg(1), t->getArg(2)};
  for (unsigned i = 0; i < fields->getNumElements(); ++i)
    args.push_back(b.CreateLoad(fields->getElementType(i),
                                b.CreateStructGEP(fields, t->getArg(0), i)));
  b.CreateCall(body, args);
  b.CreateRetVoid();
  return t;
}

Error mlir::ds4::routeHostThreads(Module &m) {
  SmallVector<Function *> bodies;
  for (Function &f : m)
    if (f.hasFnAttribute("ds4-parallel-body"))
      bodies.push_back(&f);
  if (bodies.empty())
    return Error::success();
  LLVMContext &ctx = m.getContext();
  Type *ptr = PointerType::get(ctx, 0);
  Type *i64 = Type::getInt64Ty(ctx);
  GlobalVariable *table = mlir::ds4::createAbiTable(m, "ds4_host_abi", DS4_HOST_ABI_COUNT,
                                         DS4_HOST_ABI_VERSION);
  auto *parallelFor = FunctionType::get(Type::getVoidTy(ctx), {ptr, ptr, i64},
                                        false);
  for (Function *body : bodies) {
    FunctionType *type = body->getFunctionType();
    if (type->getNumParams() < 2 || type->getParamType(0) != i64 ||
        type->getParamType(1) != i64)
      return error("parallel body " + body->getName() +
                   " does not start with (i64 begin, i64 end)");
    StructType *fields =
        StructType::create(ctx, type->params().drop_front(2),
                           (body->getName() + ".args").str());
    // The call sites first: the trampoline calls the body too.
    SmallVector<CallInst *> calls;
    for (User *u : body->users())
      if (auto *call = dyn_cast<CallInst>(u); call && call->getCalledFunction() == body)
        calls.push_back(call);
    Function *t = trampoline(body, fields);
    for (CallInst *call : calls) {
      Function *caller = call->getFunction();
      IRBuilder<> entry(&caller->getEntryBlock(),
                        caller->getEntryBlock().getFirstInsertionPt());
      Value *context = entry.CreateAlloca(fields);
      IRBuilder<> b(call);
      for (unsigned i = 0; i < fields->getNumElements(); ++i)
        b.CreateStore(call->getArgOperand(i + 2), b.CreateStructGEP(fields, context, i));
      Value *fn = mlir::ds4::loadAbiSlot(b, table, ds4_host_abi_parallel_for);
      b.CreateCall(parallelFor, fn, {t, context, call->getArgOperand(1)});
      call->eraseFromParent();
    }
  }
  return Error::success();
}

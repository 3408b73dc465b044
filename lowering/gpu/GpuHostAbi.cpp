//===- GpuHostAbi.cpp -----------------------------------------------------===//

#include "lowering/gpu/GpuHostAbi.h"

#include "ds4/gpu_host_abi.h"
#include "lowering/AbiTable.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <algorithm>

using namespace llvm;

static Error error(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// Table index of each routed function, from the shared header.
static const StringMap<unsigned> &abiIndex() {
  static const StringMap<unsigned> index = [] {
    StringMap<unsigned> m;
#define DS4_GPU_HOST_ABI_INDEX(name, ret, params)                              \
  m[#name] = ds4_gpu_host_abi_##name;
    DS4_GPU_HOST_ABI_FUNCTIONS(DS4_GPU_HOST_ABI_INDEX)
#undef DS4_GPU_HOST_ABI_INDEX
    return m;
  }();
  return index;
}

/// Defines `f` (a declaration) as a tail call through table slot `index`,
/// with `f`'s own signature (the header's C signatures match MLIR's).
static void defineThroughTable(Function *f, GlobalVariable *table,
                               unsigned index) {
  LLVMContext &ctx = f->getContext();
  f->setLinkage(GlobalValue::InternalLinkage);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", f));
  SmallVector<Value *> args;
  for (Argument &a : f->args())
    args.push_back(&a);
  CallInst *call = b.CreateCall(f->getFunctionType(), mlir::ds4::loadAbiSlot(b, table, index),
                                args);
  if (f->getReturnType()->isVoidTy())
    b.CreateRetVoid();
  else
    b.CreateRet(call);
}

/// The generic memref allocation functions (finalize-memref-to-llvm with
/// use-generic-functions): device-arena allocations on the session stream.
static void defineAllocation(Function *f, GlobalVariable *table) {
  LLVMContext &ctx = f->getContext();
  f->setLinkage(GlobalValue::InternalLinkage);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", f));
  Type *ptr = b.getPtrTy();
  Value *null = ConstantPointerNull::get(PointerType::get(ctx, 0));
  if (f->getName() == "_mlir_memref_to_llvm_free") {
    auto *type = FunctionType::get(b.getVoidTy(), {ptr, ptr}, false);
    b.CreateCall(type, mlir::ds4::loadAbiSlot(b, table, ds4_gpu_host_abi_mgpuMemFree),
                 {f->getArg(0), null});
    b.CreateRetVoid();
    return;
  }
  // alloc(size) or aligned_alloc(alignment, size): the arena aligns every
  // allocation to 256 bytes, more than any memref alignment ds4 asks for.
  Value *size = f->getArg(f->arg_size() - 1);
  auto *type = FunctionType::get(ptr, {b.getInt64Ty(), ptr, b.getInt1Ty()},
                                 false);
  Value *p = b.CreateCall(type, mlir::ds4::loadAbiSlot(b, table, ds4_gpu_host_abi_mgpuMemAlloc),
                          {size, null, b.getFalse()});
  b.CreateRet(p);
}

/// Replaces `llvm.global_ctors` (or dtors) by an exported function calling
/// the same functions in priority order (dtors: reverse order).
static void exportStructors(Module &m, StringRef array, StringRef name,
                            bool reverse) {
  SmallVector<std::pair<uint64_t, Function *>> list;
  if (GlobalVariable *gv = m.getGlobalVariable(array)) {
    if (auto *init = dyn_cast<ConstantArray>(gv->getInitializer()))
      for (Value *op : init->operands()) {
        auto *entry = cast<ConstantStruct>(op);
        uint64_t priority =
            cast<ConstantInt>(entry->getOperand(0))->getZExtValue();
        if (auto *fn = dyn_cast<Function>(entry->getOperand(1)))
          list.emplace_back(priority, fn);
      }
    gv->eraseFromParent();
  }
  std::stable_sort(list.begin(), list.end(), [](auto &a, auto &b) {
    return a.first < b.first;
  });
  if (reverse)
    std::reverse(list.begin(), list.end());
  LLVMContext &ctx = m.getContext();
  auto *fn = Function::Create(FunctionType::get(Type::getVoidTy(ctx), false),
                              GlobalValue::ExternalLinkage, name, m);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", fn));
  for (auto &[priority, callee] : list)
    b.CreateCall(callee->getFunctionType(), callee);
  b.CreateRetVoid();
}

Error mlir::ds4::routeGpuHostAbi(Module &m) {
  GlobalVariable *table = mlir::ds4::createAbiTable(m, "ds4_gpu_host_abi",
                                         DS4_GPU_HOST_ABI_COUNT,
                                         DS4_GPU_HOST_ABI_VERSION);
  std::string unknown;
  for (Function &f : m) {
    if (!f.isDeclaration() || f.isIntrinsic())
      continue;
    StringRef name = f.getName();
    auto it = abiIndex().find(name);
    if (it != abiIndex().end())
      defineThroughTable(&f, table, it->second);
    else if (name.starts_with("_mlir_memref_to_llvm_"))
      defineAllocation(&f, table);
    else
      unknown += (unknown.empty() ? "" : ", ") + name.str();
  }
  if (!unknown.empty())
    return error("the GPU host plan calls functions the ds4 runtime does not "
                 "provide: " +
                 unknown);
  exportStructors(m, "llvm.global_ctors", "ds4_gpu_host_init", false);
  exportStructors(m, "llvm.global_dtors", "ds4_gpu_host_fini", true);
  return Error::success();
}

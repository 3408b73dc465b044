//===- AbiTable.cpp -------------------------------------------------------===//

#include "lowering/AbiTable.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Module.h"

using namespace llvm;

GlobalVariable *mlir::ds4::createAbiTable(Module &m, StringRef name,
                                          unsigned count, uint32_t version) {
  LLVMContext &ctx = m.getContext();
  auto *type = ArrayType::get(PointerType::get(ctx, 0), count);
  auto *table = new GlobalVariable(m, type, /*isConstant=*/false,
                                   GlobalValue::ExternalLinkage,
                                   ConstantAggregateZero::get(type), name);
  new GlobalVariable(m, Type::getInt32Ty(ctx), /*isConstant=*/true,
                     GlobalValue::ExternalLinkage,
                     ConstantInt::get(Type::getInt32Ty(ctx), version),
                     name + "_version");
  return table;
}

Value *mlir::ds4::loadAbiSlot(IRBuilder<> &b, GlobalVariable *table,
                              unsigned index) {
  Value *gep =
      b.CreateConstInBoundsGEP2_32(table->getValueType(), table, 0, index);
  return b.CreateLoad(b.getPtrTy(), gep);
}

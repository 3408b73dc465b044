//===- WeightArena.cpp - ds4-weight-arena ----------------------------------===//
//
// Replaces the weight arguments of each entry point by one byte buffer (the
// arena) and views into it. Thousands of memref arguments (every weight of
// V4-Flash) expand into tens of thousands of scalar parameters of the LLVM
// function, which the LLVM backend handles very slowly; one arena argument
// keeps the entry signature small whatever the size of the model.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4WEIGHTARENA
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

/// The runtime allocates the arena 64-byte aligned; every weight starts on a
/// 64-byte boundary so kernels see the same alignment as with one buffer per
/// weight.
static constexpr int64_t kArenaAlignment = 64;

namespace {
struct ArenaSlot {
  MemRefType type;
  int64_t offset;
  int64_t bytes;
};

struct WeightArenaPass : ds4::impl::Ds4WeightArenaBase<WeightArenaPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Builder builder(ctx);

    // One layout for the whole module, so every entry point reads a weight at
    // the same offset of the same arena: first appearance across the entry
    // points in module order.
    llvm::StringMap<ArenaSlot> slots;
    SmallVector<Attribute> layout;
    int64_t end = 0;
    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || func.isPrivate())
        continue;
      entries.push_back(func);
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        auto name = func.getArgAttrOfType<StringAttr>(i, "ds4.weight");
        if (!name)
          continue;
        auto type = dyn_cast<MemRefType>(func.getArgument(i).getType());
        if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
            type.getMemorySpace()) {
          func.emitError() << "weight '" << name.getValue()
                           << "' is not a static identity-layout memref: "
                           << func.getArgument(i).getType();
          return signalPassFailure();
        }
        int64_t bits = type.getElementTypeBitWidth() * type.getNumElements();
        int64_t bytes = (bits + 7) / 8;
        auto [it, inserted] = slots.try_emplace(name, ArenaSlot{type, 0, bytes});
        if (!inserted) {
          if (it->second.type != type) {
            func.emitError() << "weight '" << name.getValue()
                             << "' has two types across entry points: "
                             << it->second.type << " and " << type;
            return signalPassFailure();
          }
          continue;
        }
        int64_t offset = llvm::alignTo(end, kArenaAlignment);
        it->second.offset = offset;
        end = offset + bytes;
        layout.push_back(builder.getDictionaryAttr({
            builder.getNamedAttr("name", name),
            builder.getNamedAttr("offset", builder.getI64IntegerAttr(offset)),
            builder.getNamedAttr("bytes", builder.getI64IntegerAttr(bytes)),
        }));
      }
    }
    if (slots.empty())
      return;

    auto arenaType = MemRefType::get({ShapedType::kDynamic},
                                     IntegerType::get(ctx, 8));
    for (func::FuncOp func : entries) {
      SmallVector<unsigned> weights;
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        if (func.getArgAttr(i, "ds4.weight"))
          weights.push_back(i);
      if (weights.empty())
        continue;
      // The arena takes the place of the first weight, so the argument order
      // stays inputs, states, weights, outputs.
      unsigned first = weights.front();
      DictionaryAttr attrs = builder.getDictionaryAttr(
          builder.getNamedAttr("ds4.weights", builder.getUnitAttr()));
      if (failed(func.insertArgument(first, arenaType, attrs, func.getLoc())))
        return signalPassFailure();
      // Every weight sat at or after `first`: each moved up by one.
      llvm::BitVector erase(func.getNumArguments());
      for (unsigned i : weights)
        erase.set(i + 1);
      Value arena = func.getArgument(first);
      OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
      for (unsigned i : erase.set_bits()) {
        BlockArgument weight = func.getArgument(i);
        auto name = func.getArgAttrOfType<StringAttr>(i, "ds4.weight");
        const ArenaSlot &slot = slots.find(name)->second;
        Value offset =
            arith::ConstantIndexOp::create(b, weight.getLoc(), slot.offset);
        Value view = memref::ViewOp::create(b, weight.getLoc(), slot.type,
                                            arena, offset, ValueRange{});
        weight.replaceAllUsesWith(view);
      }
      if (failed(func.eraseArguments(erase)))
        return signalPassFailure();
    }

    module->setAttr("ds4.weight_arena",
                    builder.getDictionaryAttr({
                        builder.getNamedAttr(
                            "bytes", builder.getI64IntegerAttr(end)),
                        builder.getNamedAttr("weights",
                                             builder.getArrayAttr(layout)),
                    }));
  }
};
} // namespace

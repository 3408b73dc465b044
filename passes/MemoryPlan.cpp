//===- MemoryPlan.cpp - ds4-memory-plan -----------------------------------===//
//
// Places the buffers of each entry point in one arena allocated once per
// call, at offsets computed at the start of the call from the runtime sizes
// (passes/ArenaLayout.h says why those offsets are valid for every size).
// Buffers whose lifetimes do not overlap share memory; the runtime makes one
// allocation per call instead of one per buffer.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/ArenaLayout.h"
#include "passes/BufferAliases.h"
#include "passes/BufferSizes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "llvm/ADT/StringMap.h"

#include <map>

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4MEMORYPLAN
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

namespace {
/// A buffer of the arena.
struct PlannedBuffer {
  memref::AllocOp alloc;
  ds4::BufferUses uses;
  /// Bytes of one element.
  uint64_t elementBytes;
};

struct MemoryPlanPass : ds4::impl::Ds4MemoryPlanBase<MemoryPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    for (const std::string &entry : reportSizes) {
      auto [name, value] = StringRef(entry).rsplit('=');
      int64_t size;
      if (name.empty() || value.getAsInteger(10, size) || size < 0) {
        getOperation().emitError("ds4-memory-plan: report-sizes wants "
                                 "NAME.DIM=SIZE, got '")
            << entry << "'";
        return signalPassFailure();
      }
      sizesToReport[name] = size;
    }
    SymbolTableCollection symbols;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        planEntry(func, symbols);
  }

  /// Why `alloc` cannot be an arena slot, or success with its element size.
  LogicalResult checkBuffer(memref::AllocOp alloc, uint64_t &elementBytes,
                            std::string &why) {
    MemRefType type = alloc.getType();
    if (!type.getLayout().isIdentity()) {
      why = "its layout is not the identity";
      return failure();
    }
    if (type.getMemorySpace()) {
      why = "it is in a memory space";
      return failure();
    }
    if (alloc.getAlignment() && *alloc.getAlignment() > ds4::kArenaAlignment) {
      why = "it asks for an alignment above " +
            std::to_string(ds4::kArenaAlignment);
      return failure();
    }
    Type element = type.getElementType();
    if (!element.isIntOrIndexOrFloat()) {
      why = "its element type has no fixed size";
      return failure();
    }
    elementBytes =
        DataLayout::closest(alloc).getTypeSize(element).getFixedValue();
    return success();
  }

  void planEntry(func::FuncOp func, SymbolTableCollection &symbols) {
    Builder attrs(&getContext());
    unsigned unplanned = 0;
    auto leaveOut = [&](memref::AllocOp alloc, const std::string &why) {
      ++unplanned;
      if (report)
        alloc.emitRemark("left out of the memory plan: ") << why;
    };
    auto record = [&](unsigned planned) {
      func->setAttr(
          "ds4.memory_plan",
          attrs.getDictionaryAttr({
              attrs.getNamedAttr("buffers", attrs.getI64IntegerAttr(planned)),
              attrs.getNamedAttr("unplanned",
                                 attrs.getI64IntegerAttr(unplanned)),
          }));
    };
    if (!func.getBody().hasOneBlock()) {
      func.walk([&](memref::AllocOp alloc) {
        leaveOut(alloc, "the entry point has several blocks");
      });
      return record(0);
    }
    ds4::resolveSizesToArguments(func, symbols);
    Block &block = func.getBody().front();
    SmallVector<PlannedBuffer> buffers;
    llvm::SetVector<Operation *> sizeOps;
    func.walk([&](memref::AllocOp alloc) {
      if (alloc->getBlock() != &block)
        return leaveOut(alloc, "it is allocated inside a region");
      PlannedBuffer buffer{alloc, {}, 0};
      std::string why;
      llvm::SetVector<Operation *> slice;
      if (failed(checkBuffer(alloc, buffer.elementBytes, why)) ||
          failed(ds4::collectSizeSlice(alloc.getDynamicSizes(), block, slice,
                                       why)))
        return leaveOut(alloc, why);
      FailureOr<ds4::BufferUses> uses =
          ds4::traceBufferUses(alloc, block, symbols, why);
      if (failed(uses))
        return leaveOut(alloc, why);
      buffer.uses = std::move(*uses);
      sizeOps.insert(slice.begin(), slice.end());
      buffers.push_back(std::move(buffer));
    });
    if (!buffers.empty())
      placeBuffers(func, buffers, sizeOps);
    record(buffers.size());
  }

  /// The positions of `block`'s ops, for lifetimes.
  static llvm::DenseMap<Operation *, unsigned> positions(Block &block) {
    llvm::DenseMap<Operation *, unsigned> position;
    for (Operation &op : block)
      position[&op] = position.size();
    return position;
  }

  /// The buffer's size at the assumed value of every dynamic size: what
  /// orders the placement.
  uint64_t estimatedBytes(PlannedBuffer &buffer) const {
    uint64_t bytes = buffer.elementBytes;
    for (int64_t size : buffer.alloc.getType().getShape())
      bytes *= ShapedType::isDynamic(size) ? uint64_t(assumedDynamicSize)
                                           : uint64_t(size);
    return bytes;
  }

  void placeBuffers(func::FuncOp func, MutableArrayRef<PlannedBuffer> buffers,
                    const llvm::SetVector<Operation *> &sizeOps) {
    Block &block = func.getBody().front();
    llvm::DenseMap<Operation *, unsigned> position = positions(block);
    SmallVector<ds4::ArenaBuffer> lifetimes;
    for (PlannedBuffer &buffer : buffers)
      lifetimes.push_back({position[buffer.alloc], position[buffer.uses.last],
                           estimatedBytes(buffer)});
    ds4::ArenaLayout layout = ds4::layoutArena(lifetimes);

    // The sizes, byte counts, offsets and the arena's size, once, at the
    // start of the call.
    Location loc = func.getLoc();
    OpBuilder b = OpBuilder::atBlockBegin(&block);
    IRMapping map;
    ds4::cloneSizeSlice(b, sizeOps, map);
    llvm::DenseMap<int64_t, Value> constants;
    auto constant = [&](int64_t value) {
      Value &c = constants[value];
      if (!c)
        c = arith::ConstantIndexOp::create(b, loc, value);
      return c;
    };
    Value alignMask = constant(-int64_t(ds4::kArenaAlignment));
    Value alignPad = constant(ds4::kArenaAlignment - 1);
    SmallVector<Value> bytes, ends(buffers.size()), offsets(buffers.size());
    for (PlannedBuffer &buffer : buffers) {
      MemRefType type = buffer.alloc.getType();
      Value size =
          constant(int64_t(buffer.elementBytes) * staticElements(type));
      for (Value dynamic : buffer.alloc.getDynamicSizes())
        size =
            arith::MulIOp::create(b, loc, size, map.lookupOrDefault(dynamic));
      bytes.push_back(size);
    }
    Value zero = constant(0);
    for (unsigned i : layout.order) {
      Value offset = zero;
      for (auto [k, j] : llvm::enumerate(layout.below[i]))
        offset =
            k == 0 ? ends[j] : arith::MaxUIOp::create(b, loc, offset, ends[j]);
      offsets[i] = offset;
      Value padded = arith::AndIOp::create(
          b, loc, arith::AddIOp::create(b, loc, bytes[i], alignPad), alignMask);
      ends[i] = arith::AddIOp::create(b, loc, offset, padded);
    }
    Value total = zero;
    for (auto [k, i] : llvm::enumerate(layout.tops)) {
      Value end = arith::AddIOp::create(b, loc, offsets[i], bytes[i]);
      total = k == 0 ? end : arith::MaxUIOp::create(b, loc, total, end);
    }
    auto arenaType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
    Value arena = memref::AllocOp::create(
        b, loc, arenaType, ValueRange{total}, ValueRange{},
        b.getI64IntegerAttr(ds4::kArenaAlignment));

    SmallVector<Operation *> views;
    for (auto [i, buffer] : llvm::enumerate(buffers)) {
      b.setInsertionPoint(buffer.alloc);
      auto view = memref::ViewOp::create(
          b, buffer.alloc.getLoc(), buffer.alloc.getType(), arena, offsets[i],
          buffer.alloc.getDynamicSizes());
      views.push_back(view);
      for (memref::DeallocOp dealloc : buffer.uses.deallocs)
        dealloc.erase();
      buffer.alloc.replaceAllUsesWith(view.getResult());
      buffer.alloc.erase();
    }

    if (report)
      reportPlan(func, views, lifetimes, offsets, bytes, total);
  }

  /// "tokens.1": how `report-sizes` names dimension `index` of `arg`.
  static std::string dimensionName(BlockArgument arg, unsigned index) {
    auto func = cast<func::FuncOp>(arg.getOwner()->getParentOp());
    for (StringRef role : {"ds4.input", "ds4.state", "ds4.output"})
      if (auto name =
              func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), role))
        return (name.getValue() + "." + Twine(index)).str();
    return ("arg" + Twine(arg.getArgNumber()) + "." + Twine(index)).str();
  }

  /// Remarks with the plan evaluated at the sizes of `report-sizes` (every
  /// other dynamic size at `assumed-dynamic-size`): each buffer's offset and
  /// size, and the arena against the sum of the sizes and against the most
  /// bytes live at one op (no placement can need less).
  void reportPlan(func::FuncOp func, ArrayRef<Operation *> views,
                  ArrayRef<ds4::ArenaBuffer> lifetimes, ArrayRef<Value> offsets,
                  ArrayRef<Value> bytes, Value total) {
    auto dimension = [&](BlockArgument arg,
                         unsigned index) -> std::optional<int64_t> {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || index >= type.getRank())
        return std::nullopt;
      if (!type.isDynamicDim(index))
        return type.getDimSize(index);
      auto it = sizesToReport.find(dimensionName(arg, index));
      return it != sizesToReport.end() ? it->second
                                       : int64_t(assumedDynamicSize);
    };
    llvm::DenseMap<Value, int64_t> known;
    auto evaluate = [&](Value value) {
      return ds4::evaluateSize(value, dimension, known);
    };
    std::optional<int64_t> arena = evaluate(total);
    int64_t sum = 0;
    // Bytes that become live (+) and dead (-) at each op position.
    std::map<unsigned, int64_t> change;
    for (auto [view, lifetime, offset, size] :
         llvm::zip(views, lifetimes, offsets, bytes)) {
      std::optional<int64_t> at = evaluate(offset), n = evaluate(size);
      if (!at || !n) {
        arena.reset();
        continue;
      }
      view->emitRemark("arena slot: ") << *n << " bytes at offset " << *at;
      sum += *n;
      change[lifetime.start] += *n;
      change[lifetime.end + 1] -= *n;
    }
    if (!arena) {
      func.emitRemark("memory plan: ")
          << views.size() << " buffers; their sizes cannot be evaluated";
      return;
    }
    int64_t live = 0, peak = 0;
    for (auto [position, delta] : change)
      peak = std::max(peak, live += delta);
    func.emitRemark("memory plan: ")
        << views.size() << (views.size() == 1 ? " buffer" : " buffers")
        << " in one arena of " << *arena << " bytes; at most " << peak
        << " bytes live at once, " << sum << " bytes in all";
  }

  /// report-sizes, by dimension name.
  llvm::StringMap<int64_t> sizesToReport;

  static int64_t staticElements(MemRefType type) {
    int64_t n = 1;
    for (int64_t size : type.getShape())
      if (!ShapedType::isDynamic(size))
        n *= size;
    return n;
  }
};
} // namespace

//===- BufferSizes.cpp - where a buffer's sizes can be computed -----------===//

#include "passes/BufferSizes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

LogicalResult ds4::collectSizeSlice(ValueRange sizes, Block &block,
                                    llvm::SetVector<Operation *> &slice,
                                    std::string &why) {
  auto name = [](Operation *op) {
    return "'" + op->getName().getStringRef().str() + "'";
  };
  SmallVector<Value> work(sizes.begin(), sizes.end());
  while (!work.empty()) {
    Value value = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (arg.getOwner() == &block)
        continue;
      why = "a size is an argument of a nested block";
      return failure();
    }
    Operation *op = value.getDefiningOp();
    if (slice.contains(op))
      continue;
    if (!block.findAncestorOpInBlock(*op)) {
      why = "a size comes from outside the function body";
      return failure();
    }
    // Ops with memory effects (loads, allocations) may give another value
    // elsewhere; ops with regions are not worth the generality.
    if (op->getNumRegions() != 0 || !isMemoryEffectFree(op)) {
      why = "a size comes from " + name(op);
      return failure();
    }
    if (op->getBlock() != &block && !isPure(op)) {
      why = "a size comes from " + name(op) + " under a condition";
      return failure();
    }
    slice.insert(op);
    llvm::append_range(work, op->getOperands());
  }
  return success();
}

/// Whether `a` comes before `b` in the function, for ops of one block or of
/// blocks nested in each other (as the ops of a size slice are).
static bool isBeforeInProgram(Operation *a, Operation *b) {
  if (a->getBlock() == b->getBlock())
    return a->isBeforeInBlock(b);
  if (Operation *holder = a->getBlock()->findAncestorOpInBlock(*b))
    return a->isBeforeInBlock(holder);
  Operation *holder = b->getBlock()->findAncestorOpInBlock(*a);
  return holder->isBeforeInBlock(b);
}

void ds4::cloneSizeSlice(OpBuilder &builder,
                         const llvm::SetVector<Operation *> &slice,
                         IRMapping &map) {
  // Program order: definitions first, and the copies read as the original.
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered, isBeforeInProgram);
  for (Operation *op : ordered)
    if (!map.contains(op))
      builder.clone(*op, map);
}

/// Folds `op` once its operands are known (`operands`, null where not):
/// the constant results, or the operand value a result folds to.
static LogicalResult foldCopy(Operation *op, ArrayRef<Attribute> operands,
                              SmallVectorImpl<OpFoldResult> &results) {
  // Folding may rewrite an op in place (operand order); a detached copy
  // keeps the function as it is.
  OpBuilder b(op->getContext());
  Operation *copy = b.clone(*op);
  LogicalResult folded = copy->fold(operands, results);
  for (OpFoldResult &result : results)
    if (auto value = dyn_cast<Value>(result))
      // A value of the copy itself cannot be; one of its operands is an
      // original value.
      if (value.getDefiningOp() == copy)
        folded = failure();
  copy->destroy();
  return success(succeeded(folded) && results.size() == op->getNumResults());
}

std::optional<int64_t>
ds4::evaluateSize(Value size, ArgumentDimension dimension,
                  llvm::DenseMap<Value, int64_t> &known) {
  // Post-order over the ops computing `size`, without recursion: the chains
  // of offsets can be thousands of ops long.
  SmallVector<std::pair<Value, bool>> work{{size, false}};
  while (!work.empty()) {
    auto [value, operandsDone] = work.pop_back_val();
    if (known.contains(value))
      continue;
    Operation *op = value.getDefiningOp();
    if (!op || op->getNumRegions() != 0 || !isMemoryEffectFree(op))
      return std::nullopt;
    if (auto dim = dyn_cast<memref::DimOp>(op)) {
      auto arg = dyn_cast<BlockArgument>(dim.getSource());
      std::optional<int64_t> index = dim.getConstantIndex();
      std::optional<int64_t> extent;
      if (arg && index)
        extent = dimension(arg, *index);
      if (!extent)
        return std::nullopt;
      known[value] = *extent;
      continue;
    }
    if (!operandsDone) {
      work.push_back({value, true});
      for (Value operand : op->getOperands())
        if (!known.contains(operand))
          work.push_back({operand, false});
      continue;
    }
    SmallVector<Attribute> operands;
    for (Value operand : op->getOperands()) {
      auto it = known.find(operand);
      if (it == known.end())
        return std::nullopt;
      operands.push_back(IntegerAttr::get(operand.getType(), it->second));
    }
    SmallVector<OpFoldResult> results;
    if (failed(foldCopy(op, operands, results)))
      return std::nullopt;
    for (auto [result, folded] : llvm::zip(op->getResults(), results)) {
      if (auto attr =
              dyn_cast_if_present<IntegerAttr>(dyn_cast<Attribute>(folded)))
        known[result] = attr.getValue().getSExtValue();
      else if (auto same = dyn_cast<Value>(folded);
               same && known.contains(same))
        known[result] = known.lookup(same);
    }
    if (!known.contains(value))
      return std::nullopt;
  }
  return known.lookup(size);
}

namespace {
/// `memref.dim` of a call result that is an argument of the callee returned
/// as is (state updated in place) is that dimension of the call's operand:
/// a size then reads the entry's arguments rather than a kernel's result.
struct DimOfReturnedArgument : OpRewritePattern<memref::DimOp> {
  DimOfReturnedArgument(MLIRContext *ctx, SymbolTableCollection &symbols)
      : OpRewritePattern(ctx), symbols(symbols) {}

  LogicalResult matchAndRewrite(memref::DimOp dim,
                                PatternRewriter &rewriter) const override {
    auto result = dyn_cast<OpResult>(dim.getSource());
    auto call = result ? dyn_cast<func::CallOp>(result.getOwner()) : nullptr;
    if (!call)
      return failure();
    auto callee = symbols.lookupNearestSymbolFrom<func::FuncOp>(
        call, call.getCalleeAttr());
    if (!callee || callee.isExternal() || !callee.getBody().hasOneBlock())
      return failure();
    Value returned = callee.getBody().front().getTerminator()->getOperand(
        result.getResultNumber());
    auto arg = dyn_cast<BlockArgument>(returned);
    if (!arg || arg.getOwner() != &callee.getBody().front())
      return failure();
    rewriter.modifyOpInPlace(dim, [&] {
      dim.getSourceMutable().assign(call.getOperand(arg.getArgNumber()));
    });
    return success();
  }

  SymbolTableCollection &symbols;
};

/// `memref.dim` of a `memref.collapse_shape` is the product of the source
/// dimensions collapsed into it (upstream resolves only expand_shape).
struct DimOfCollapseShape : OpRewritePattern<memref::DimOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::DimOp dim,
                                PatternRewriter &rewriter) const override {
    auto collapse = dim.getSource().getDefiningOp<memref::CollapseShapeOp>();
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!collapse || !index ||
        *index >= int64_t(collapse.getReassociationIndices().size()))
      return failure();
    Location loc = dim.getLoc();
    Value product;
    for (int64_t source : collapse.getReassociationIndices()[*index]) {
      Value size =
          memref::DimOp::create(rewriter, loc, collapse.getSrc(), source);
      product =
          product ? arith::MulIOp::create(rewriter, loc, product, size) : size;
    }
    rewriter.replaceOp(dim, product);
    return success();
  }
};

} // namespace

void ds4::resolveSizesToArguments(func::FuncOp func,
                                  SymbolTableCollection &symbols) {
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  memref::DimOp::getCanonicalizationPatterns(patterns, ctx);
  memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
  patterns.add<DimOfReturnedArgument>(ctx, symbols);
  patterns.add<DimOfCollapseShape>(ctx);
  SmallVector<Operation *> dims;
  for (auto dim : func.getBody().front().getOps<memref::DimOp>())
    dims.push_back(dim);
  // Only the dims and what replaces them: the rest of the function stays
  // as it is.
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  (void)applyOpPatternsGreedily(dims, std::move(patterns), config);
}

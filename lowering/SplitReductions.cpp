//===- SplitReductions.cpp - a reduction loop spread over a warp ----------===//

#include "lowering/SplitReductions.h"

#include "lowering/cpu/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <limits>

using namespace mlir;

bool ds4::isSplitReduction(scf::ForOp loop) {
  return loop->hasAttr(ds4::lowering::kSplitReduction);
}

namespace {
/// How one accumulator is combined: the op kind and its identity element.
struct Combiner {
  OperationName name;
  TypedAttr identity;
};
} // namespace

/// The identity of `op` (an accumulating binary op) for `type`, or null.
static TypedAttr identityOf(Operation *op, Type type) {
  Builder b(op->getContext());
  if (auto f = dyn_cast<FloatType>(type)) {
    const llvm::fltSemantics &sem = f.getFloatSemantics();
    if (isa<arith::AddFOp>(op)) // -0.0: x + -0.0 == x for every x, -0.0 too
      return b.getFloatAttr(f, APFloat::getZero(sem, /*Negative=*/true));
    if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op))
      return b.getFloatAttr(f, APFloat::getInf(sem, /*Negative=*/true));
    if (isa<arith::MinimumFOp, arith::MinNumFOp>(op))
      return b.getFloatAttr(f, APFloat::getInf(sem, /*Negative=*/false));
    return {};
  }
  if (!type.isIntOrIndex())
    return {};
  unsigned width =
      type.isIndex() ? 64 : cast<IntegerType>(type).getWidth();
  APInt value;
  if (isa<arith::AddIOp, arith::OrIOp, arith::XOrIOp, arith::MaxUIOp>(op))
    value = APInt::getZero(width);
  else if (isa<arith::AndIOp, arith::MinUIOp>(op))
    value = APInt::getAllOnes(width);
  else if (isa<arith::MaxSIOp>(op))
    value = APInt::getSignedMinValue(width);
  else if (isa<arith::MinSIOp>(op))
    value = APInt::getSignedMaxValue(width);
  else
    return {};
  return b.getIntegerAttr(type, value);
}

/// value shuffled from lane ^ offset. 32-bit values go as they are; index
/// counts as i32 (a warp's partial counts of a row fit); 64-bit values as
/// two 32-bit halves.
static Value shuffleXor(ImplicitLocOpBuilder &b, Value value, int32_t offset) {
  Type type = value.getType();
  auto xor32 = [&](Value v) {
    return gpu::ShuffleOp::create(b, v, offset, ds4::kWarpLanes,
                                  gpu::ShuffleMode::XOR)
        .getShuffleResult();
  };
  if (type.isF32() || type.isInteger(32))
    return xor32(value);
  if (type.isIndex()) {
    Value narrow = arith::IndexCastOp::create(b, b.getI32Type(), value);
    return arith::IndexCastOp::create(b, type, xor32(narrow));
  }
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Value bits = type.isF64() ? arith::BitcastOp::create(b, i64, value) : value;
  Value lo = arith::TruncIOp::create(b, i32, bits);
  Value hi = arith::TruncIOp::create(
      b, i32,
      arith::ShRUIOp::create(
          b, bits, arith::ConstantOp::create(b, b.getI64IntegerAttr(32))));
  Value lo2 = arith::ExtUIOp::create(b, i64, xor32(lo));
  Value hi2 = arith::ShLIOp::create(
      b, arith::ExtUIOp::create(b, i64, xor32(hi)),
      arith::ConstantOp::create(b, b.getI64IntegerAttr(32)));
  Value joined = arith::OrIOp::create(b, lo2, hi2);
  return type.isF64() ? arith::BitcastOp::create(b, type, joined) : joined;
}

static Value combine(ImplicitLocOpBuilder &b, const Combiner &c, Value lhs,
                     Value rhs) {
  OperationState state(b.getLoc(), c.name);
  state.addOperands({lhs, rhs});
  state.addTypes(lhs.getType());
  return b.create(state)->getResult(0);
}

/// Runs the body of `loop` once at iteration value `iv` with accumulators
/// `acc` (cloned before `b`'s insertion point); returns the yielded values.
static SmallVector<Value> inlineBody(ImplicitLocOpBuilder &b, scf::ForOp loop,
                                     Value iv, ValueRange acc) {
  IRMapping map;
  map.map(loop.getInductionVar(), iv);
  map.map(loop.getRegionIterArgs(), acc);
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, map);
  SmallVector<Value> next;
  for (Value v : loop.getBody()->getTerminator()->getOperands())
    next.push_back(map.lookupOrDefault(v));
  return next;
}

/// The ops of a marked loop's body that a lane issues ahead of the sums:
/// its loads that do not depend on the accumulators, with the body ops
/// their operands come from (addresses). Everything else (dequantizing,
/// products, sums) stays in iteration order, so the values held across the
/// step are the loaded data only.
static llvm::DenseSet<Operation *> prefetched(scf::ForOp loop) {
  Block *body = loop.getBody();
  llvm::DenseSet<Value> tainted(loop.getRegionIterArgs().begin(),
                                loop.getRegionIterArgs().end());
  llvm::DenseSet<Operation *> dependent;
  for (Operation &op : body->without_terminator()) {
    bool uses = false;
    op.walk([&](Operation *inner) {
      for (Value v : inner->getOperands())
        uses |= tainted.contains(v);
    });
    if (uses) {
      dependent.insert(&op);
      tainted.insert(op.getResults().begin(), op.getResults().end());
    }
  }
  llvm::DenseSet<Operation *> ahead;
  SmallVector<Operation *> work;
  for (Operation &op : body->without_terminator())
    if (isa<memref::LoadOp>(op) && !dependent.contains(&op))
      work.push_back(&op);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!ahead.insert(op).second)
      continue;
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp(); def && def->getBlock() == body)
        work.push_back(def);
  }
  return ahead;
}

/// The combiners of a marked loop's accumulators, or a diagnostic.
static FailureOr<SmallVector<Combiner>> checkSplit(scf::ForOp loop) {
  auto chunkAttr =
      loop->getAttrOfType<IntegerAttr>(ds4::lowering::kSplitReduction);
  int64_t chunk = chunkAttr ? chunkAttr.getInt() : 1;
  if (chunk < 1 || chunk > 64)
    return loop.emitError("lane chunk of a split reduction must be in "
                          "[1, 64], not ")
           << chunk;
  // Each accumulator must be combined exactly once, by an op the lane tree
  // can finish.
  SmallVector<Combiner> combiners;
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (auto [k, acc] : llvm::enumerate(loop.getRegionIterArgs())) {
    Operation *op = yield.getOperand(k).getDefiningOp();
    bool once = acc.hasOneUse() && op && op->getNumOperands() == 2 &&
                op->getBlock() == loop.getBody() &&
                llvm::is_contained(op->getOperands(), acc);
    TypedAttr identity = once ? identityOf(op, acc.getType()) : TypedAttr();
    if (!identity)
      return loop.emitError("accumulator #")
             << k << " of a split reduction is not combined once by an "
             << "associative op with an identity";
    combiners.push_back({op->getName(), identity});
  }
  WalkResult writes = loop.getBody()->walk([&](Operation *op) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (effects && effects.hasEffect<MemoryEffects::Write>())
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (writes.wasInterrupted())
    return loop.emitError("a split reduction writes memory");
  return combiners;
}

/// Chunks a lane takes per step of its loop (see lanePartials), where a
/// chunk loads at most kPrefetchBits (the data held across the step stays
/// in a few dozen registers; wider bodies, e.g. several outputs' weight
/// rows at once, already have their loads side by side).
static constexpr int64_t kLaneUnroll = 2;
static constexpr int64_t kPrefetchBits = 1024;

/// Lane `lane`'s partial accumulators of the marked `loop`, built before it:
/// chunks c = lane, lane + 32, ... of `chunk` consecutive iterations
/// (unrolled, so a lane's loads sit side by side), then the tail (fewer
/// than `chunk` iterations) one per lane. Only lane 0 starts from the
/// loop's initial values, the others from the identity. With `prefetch`
/// (the GPU) a step takes kLaneUnroll chunks with all their loads first.

static SmallVector<Value> lanePartials(ImplicitLocOpBuilder &b,
                                       scf::ForOp loop, Value lane,
                                       ArrayRef<Combiner> combiners,
                                       bool prefetch) {
  int64_t chunk =
      loop->getAttrOfType<IntegerAttr>(ds4::lowering::kSplitReduction).getInt();
  auto cIndex = [&](int64_t v) { return arith::ConstantIndexOp::create(b, v); };
  Value lb = loop.getLowerBound(), ub = loop.getUpperBound(),
        step = loop.getStep();
  // trips = max(ceil((ub - lb) / step), 0)
  Value span = arith::MaxSIOp::create(b, arith::SubIOp::create(b, ub, lb),
                                      cIndex(0));
  Value trips = arith::CeilDivUIOp::create(b, span, step);
  Value first =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, cIndex(0));
  SmallVector<Value> init;
  for (auto [k, v] : llvm::enumerate(loop.getInitArgs()))
    init.push_back(arith::SelectOp::create(
        b, first, v, arith::ConstantOp::create(b, combiners[k].identity)));
  Value lanes = cIndex(ds4::kWarpLanes);
  auto ivAt = [&](ImplicitLocOpBuilder &b, Value t) {
    return arith::AddIOp::create(b, lb, arith::MulIOp::create(b, t, step));
  };
  Value chunkV = cIndex(chunk);
  Value chunks = arith::DivUIOp::create(b, trips, chunkV);
  // A lane's chunks c, c + 32, ... are taken kLaneUnroll at a time: the
  // later ones read a valid chunk (clamped to c) and are kept only where
  // they exist. The loads (with their addresses) of all of them are
  // emitted first, then the rest of each iteration in order: the sums run
  // in the same order as one iteration at a time, while all the step's
  // loads are in flight together (a decode product's lane has only a few
  // chunks: one memory latency instead of one per chunk).
  // (The host's emulation keeps one chunk at a time, in body order.)
  llvm::DenseSet<Operation *> ahead;
  if (prefetch)
    ahead = prefetched(loop);
  int64_t loadedBits = 0;
  for (Operation *op : ahead)
    if (auto load = dyn_cast<memref::LoadOp>(op))
      loadedBits += load.getType().isIndex()
                        ? 64
                        : load.getType().getIntOrFloatBitWidth();
  const int64_t unroll =
      prefetch && loadedBits * chunk <= kPrefetchBits ? kLaneUnroll : 1;
  Value stride = cIndex(ds4::kWarpLanes * unroll);
  auto main = scf::ForOp::create(
      b, lane, chunks, stride, init,
      [&](OpBuilder &nested, Location loc, Value c0, ValueRange acc) {
        ImplicitLocOpBuilder ib(loc, nested);
        SmallVector<IRMapping> maps(unroll * chunk);
        SmallVector<Value> exists(unroll);
        for (int64_t r = 0; r < unroll; ++r) {
          Value c = c0;
          if (r > 0) {
            Value cr = arith::AddIOp::create(
                ib, c0, cIndex(ds4::kWarpLanes * r));
            exists[r] = arith::CmpIOp::create(ib, arith::CmpIPredicate::ult,
                                              cr, chunks);
            c = arith::SelectOp::create(ib, exists[r], cr, c0);
          }
          Value base = arith::MulIOp::create(ib, c, chunkV);
          for (int64_t u = 0; u < chunk; ++u) {
            IRMapping &map = maps[r * chunk + u];
            map.map(loop.getInductionVar(),
                    ivAt(ib, arith::AddIOp::create(
                                 ib, base, arith::ConstantIndexOp::create(ib, u))));
            for (Operation &op : loop.getBody()->without_terminator())
              if (ahead.contains(&op))
                ib.clone(op, map);
          }
        }
        SmallVector<Value> cur(acc.begin(), acc.end());
        for (int64_t r = 0; r < unroll; ++r) {
          SmallVector<Value> next(cur);
          for (int64_t u = 0; u < chunk; ++u) {
            IRMapping &map = maps[r * chunk + u];
            map.map(loop.getRegionIterArgs(), next);
            for (Operation &op : loop.getBody()->without_terminator())
              if (!ahead.contains(&op))
                ib.clone(op, map);
            for (auto [k, v] : llvm::enumerate(
                     loop.getBody()->getTerminator()->getOperands()))
              next[k] = map.lookupOrDefault(v);
          }
          for (size_t k = 0; k < cur.size(); ++k)
            cur[k] = exists[r] ? arith::SelectOp::create(ib, exists[r],
                                                         next[k], cur[k])
                                     .getResult()
                               : next[k];
        }
        scf::YieldOp::create(ib, cur);
      });
  SmallVector<Value> partial(main.getResults());
  if (chunk > 1) {
    Value tailStart = arith::AddIOp::create(
        b, arith::MulIOp::create(b, chunks, chunkV), lane);
    auto tail = scf::ForOp::create(
        b, tailStart, trips, lanes, partial,
        [&](OpBuilder &nested, Location loc, Value t, ValueRange acc) {
          ImplicitLocOpBuilder ib(loc, nested);
          scf::YieldOp::create(ib, inlineBody(ib, loop, ivAt(ib, t), acc));
        });
    partial.assign(tail.getResults().begin(), tail.getResults().end());
  }
  return partial;
}

LogicalResult ds4::splitAcrossLanes(scf::ForOp loop, Value lane) {
  FailureOr<SmallVector<Combiner>> combiners = checkSplit(loop);
  if (failed(combiners))
    return failure();
  ImplicitLocOpBuilder b(loop.getLoc(), loop);
  SmallVector<Value> partial =
      lanePartials(b, loop, lane, *combiners, /*prefetch=*/true);
  // Butterfly: after step `offset`, each lane holds the total of its group
  // of 2 * offset lanes; the two lanes of a pair add the same two values.
  for (int32_t offset = kWarpLanes / 2; offset >= 1; offset /= 2)
    for (size_t k = 0; k < partial.size(); ++k)
      partial[k] = combine(b, (*combiners)[k], partial[k],
                           shuffleXor(b, partial[k], offset));
  loop.replaceAllUsesWith(partial);
  loop.erase();
  return success();
}

LogicalResult ds4::emulateLaneOrder(scf::ForOp loop) {
  FailureOr<SmallVector<Combiner>> combiners = checkSplit(loop);
  if (failed(combiners))
    return failure();
  // Integer sums, minima and maxima are exact in any order: the plain loop
  // already gives the GPU's result.
  if (llvm::all_of(loop.getResultTypes(),
                   [](Type t) { return t.isIntOrIndex(); }))
    return success();
  // Lane 0's butterfly is a balanced binary tree whose leaves, left to
  // right, are the lanes in bit-reversed order (p0, p16, p8, p24, ...). The
  // lanes run in that order and a stack of one pending subtree per level
  // folds them in (a binary counter: leaf i combines with the pending
  // subtrees at the levels of i's trailing ones), so no array is needed.
  constexpr int64_t kLevels = 5;
  static_assert((int64_t(1) << kLevels) == kWarpLanes);
  size_t n = combiners->size();
  ImplicitLocOpBuilder b(loop.getLoc(), loop);
  SmallVector<Value> init; // per accumulator: kLevels pending, then total
  for (auto [k, type] : llvm::enumerate(loop.getResultTypes()))
    for (int64_t l = 0; l <= kLevels; ++l)
      init.push_back(arith::ConstantOp::create(b, (*combiners)[k].identity));
  auto tree = scf::ForOp::create(
      b, arith::ConstantIndexOp::create(b, 0),
      arith::ConstantIndexOp::create(b, kWarpLanes),
      arith::ConstantIndexOp::create(b, 1), init,
      [&](OpBuilder &nested, Location loc, Value i, ValueRange state) {
        ImplicitLocOpBuilder ib(loc, nested);
        auto c = [&](int64_t v) {
          return arith::ConstantIndexOp::create(ib, v).getResult();
        };
        // lane = the 5 bits of i reversed
        Value lane = c(0);
        for (int64_t bit = 0; bit < kLevels; ++bit) {
          Value one = arith::AndIOp::create(
              ib, arith::ShRUIOp::create(ib, i, c(bit)), c(1));
          lane = arith::OrIOp::create(
              ib, lane,
              arith::ShLIOp::create(ib, one, c(kLevels - 1 - bit)));
        }
        SmallVector<Value> partial =
            lanePartials(ib, loop, lane, *combiners, /*prefetch=*/false);
        SmallVector<Value> next;
        for (size_t k = 0; k < n; ++k) {
          ValueRange pending = state.slice(k * (kLevels + 1), kLevels);
          Value carry = partial[k];
          Value done = arith::ConstantIntOp::create(ib, 0, 1);
          SmallVector<Value> kept;
          for (int64_t level = 0; level < kLevels; ++level) {
            Value bitSet = arith::CmpIOp::create(
                ib, arith::CmpIPredicate::ne,
                arith::AndIOp::create(
                    ib, arith::ShRUIOp::create(ib, i, c(level)), c(1)),
                c(0));
            Value live = arith::XOrIOp::create(
                ib, done, arith::ConstantIntOp::create(ib, 1, 1));
            // Trailing one: the pending left subtree absorbs the carry.
            Value merge = arith::AndIOp::create(ib, live, bitSet);
            // First zero: the carry waits at this level.
            Value park = arith::AndIOp::create(
                ib, live,
                arith::XOrIOp::create(ib, bitSet,
                                      arith::ConstantIntOp::create(ib, 1, 1)));
            kept.push_back(
                arith::SelectOp::create(ib, park, carry, pending[level]));
            carry = arith::SelectOp::create(
                ib, merge,
                combine(ib, (*combiners)[k], pending[level], carry), carry);
            done = arith::OrIOp::create(ib, done, park);
          }
          next.append(kept);
          next.push_back(carry); // after lane 31: the whole tree
        }
        scf::YieldOp::create(ib, next);
      });
  SmallVector<Value> results;
  for (size_t k = 0; k < n; ++k)
    results.push_back(tree.getResult(k * (kLevels + 1) + kLevels));
  loop.replaceAllUsesWith(results);
  loop.erase();
  return success();
}

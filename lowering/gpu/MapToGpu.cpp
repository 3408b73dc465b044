//===- MapToGpu.cpp - ds4-map-to-gpu ---------------------------------------===//
//
// Host code / device code split for sm_90a. The loop lowering (lowering/cpu)
// marks independent iterations with scf.parallel; this pass gives each of
// them a thread. Everything else that touches memory runs in a one-thread
// launch, so the host never dereferences device memory.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "lowering/FlatIterations.h"
#include "lowering/cpu/LoweringUtils.h"
#include "lowering/PreciseMath.h"
#include "lowering/SplitReductions.h"
#include "lowering/gpu/WarpMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4MAPTOGPU
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

/// Ops that stay on the host: they compute sizes and addresses or manage
/// buffers but never read or write buffer contents.
static bool staysOnHost(Operation *op) {
  if (isa<func::ReturnOp, func::CallOp, memref::AllocOp, memref::DeallocOp,
          memref::ViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp,
          memref::DimOp, memref::SubViewOp, memref::CastOp,
          memref::ReinterpretCastOp, memref::ExtractStridedMetadataOp>(op))
    return true;
  return op->getNumRegions() == 0 && isMemoryEffectFree(op);
}

/// Marks the launches of parallel loops (one iteration per thread).
static constexpr llvm::StringLiteral kParallel = "ds4_parallel";
/// The alignment the runtime guarantees for every buffer it passes.
static constexpr int32_t kBufferAlignment = 16;

/// The body of a launch with `threads` threads per block: (flat thread id).
static Value flatThreadId(ImplicitLocOpBuilder &b, int64_t blockSize) {
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value bid = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value size = arith::ConstantIndexOp::create(b, blockSize);
  return arith::AddIOp::create(b, arith::MulIOp::create(b, bid, size), tid);
}

/// A 1-d launch; `one` is the index constant 1.
static gpu::LaunchOp createLaunch(ImplicitLocOpBuilder &b, Value blocks,
                                  Value threads, Value one) {
  auto launch = gpu::LaunchOp::create(b, blocks, one, one, threads, one, one);
  b.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  return launch;
}

namespace {
struct MapToGpuPass : ds4::impl::Ds4MapToGpuBase<MapToGpuPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (failed(copiesToLoops(func)) || failed(mapFunction(func)) ||
          failed(privatizeScratch(func)))
        return signalPassFailure();
      assumeBufferAlignment(func);
      if (preciseMath)
        matchHostMath(func);
    }
  }

  /// Device code rounds transcendentals as the host does
  /// (lowering/PreciseMath.h).
  void matchHostMath(func::FuncOp func) {
    ds4::widenTranscendentals(func, [](Operation *op) {
      return op->getParentOfType<gpu::LaunchOp>() != nullptr;
    });
  }

  /// Every buffer a launch reads from the host side starts on a 16-byte
  /// boundary (the device arena's blocks, the weight arena's 64-byte slots,
  /// state buffers); saying so lets LLVM merge a lane's neighbouring scalar
  /// loads into one 16-byte load.
  void assumeBufferAlignment(func::FuncOp func) {
    func.walk([&](gpu::LaunchOp launch) {
      llvm::SetVector<Value> captured;
      launch.getBody().walk([&](Operation *op) {
        for (Value v : op->getOperands())
          if (isa<MemRefType>(v.getType()) &&
              !launch.getBody().isAncestor(v.getParentRegion()))
            captured.insert(v);
      });
      OpBuilder b(&launch.getBody().front(), launch.getBody().front().begin());
      for (Value buffer : captured) {
        auto assumed = memref::AssumeAlignmentOp::create(
            b, buffer.getLoc(), buffer, b.getI32IntegerAttr(kBufferAlignment));
        buffer.replaceUsesWithIf(assumed.getResult(), [&](OpOperand &use) {
          return use.getOwner() != assumed &&
                 launch.getBody().isAncestor(use.getOwner()->getParentRegion());
        });
        assumeStrideFactors(b, assumed.getResult());
      }
    });
  }

  /// A dynamic stride of an identity-layout buffer is the product of the
  /// sizes after it, so a multiple of their static part; the kernel only
  /// sees it as a parameter. Stating the power-of-two part of that factor
  /// keeps row starts provably aligned (rows of a [B, S, 4096] activation).
  static void assumeStrideFactors(OpBuilder &b, Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    if (!type.getLayout().isIdentity() || type.getRank() < 2 ||
        type.hasStaticShape())
      return;
    Location loc = buffer.getLoc();
    auto meta = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
    // factor = product of the static sizes after dim d (dynamic ones count
    // as 1: the stride is still a multiple of the rest).
    int64_t factor = 1;
    for (int64_t d = type.getRank() - 1; d >= 0; --d) {
      int64_t pow2 = factor & -factor; // the power-of-two part
      if (pow2 > 1 && factor != 0) {
        Value stride = meta.getStrides()[d];
        Value low = arith::AndIOp::create(
            b, loc, stride, arith::ConstantIndexOp::create(b, loc, pow2 - 1));
        Value aligned = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::eq, low,
            arith::ConstantIndexOp::create(b, loc, 0));
        LLVM::AssumeOp::create(b, loc, aligned);
      }
      if (!type.isDynamicDim(d))
        factor *= type.getDimSize(d);
    }
  }

  /// memref.copy at the top level (an entry's output) -> a parallel copy.
  LogicalResult copiesToLoops(func::FuncOp func) {
    SmallVector<memref::CopyOp> copies(func.front().getOps<memref::CopyOp>());
    for (memref::CopyOp copy : copies) {
      ImplicitLocOpBuilder b(copy.getLoc(), copy);
      auto type = cast<MemRefType>(copy.getSource().getType());
      SmallVector<Value> lbs, ubs, steps;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        lbs.push_back(arith::ConstantIndexOp::create(b, 0));
        steps.push_back(arith::ConstantIndexOp::create(b, 1));
        ubs.push_back(memref::DimOp::create(b, copy.getSource(), d));
      }
      auto loop = scf::ParallelOp::create(b, lbs, ubs, steps);
      b.setInsertionPointToStart(loop.getBody());
      Value v = memref::LoadOp::create(b, copy.getSource(),
                                       loop.getInductionVars());
      memref::StoreOp::create(b, v, copy.getTarget(), loop.getInductionVars());
      copy.erase();
    }
    return success();
  }

  LogicalResult mapFunction(func::FuncOp func) { return mapBlock(func.front()); }

  /// A host-side choice between loop nests (an scf.if on sizes whose
  /// branches hold parallel loops, e.g. a tiled and an untiled variant).
  static bool isHostBranch(Operation *op) {
    auto branch = dyn_cast<scf::IfOp>(op);
    if (!branch || branch->getNumResults() != 0)
      return false;
    WalkResult found = branch->walk([](scf::ParallelOp) {
      return WalkResult::interrupt();
    });
    return found.wasInterrupted();
  }

  LogicalResult mapBlock(Block &block) {
    SmallVector<Operation *> ops;
    for (Operation &op : block)
      ops.push_back(&op);
    SmallVector<Operation *> group;
    for (Operation *op : ops) {
      if (isa<scf::YieldOp>(op))
        continue;
      if (isHostBranch(op)) {
        if (failed(flushSequential(group)))
          return failure();
        auto branch = cast<scf::IfOp>(op);
        if (failed(mapBlock(branch.getThenRegion().front())) ||
            (!branch.getElseRegion().empty() &&
             failed(mapBlock(branch.getElseRegion().front()))))
          return failure();
        continue;
      }
      if (staysOnHost(op)) {
        if (failed(flushSequential(group)))
          return failure();
        continue;
      }
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        if (failed(flushSequential(group)) || failed(mapParallel(loop)))
          return failure();
        continue;
      }
      group.push_back(op);
    }
    return flushSequential(group);
  }

  /// A run of memory-touching top-level ops -> one single-thread launch.
  LogicalResult flushSequential(SmallVector<Operation *> &group) {
    if (group.empty())
      return success();
    llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
    for (Operation *op : group)
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers()) {
          Operation *top = user;
          while (top->getParentOp() != op->getParentOp())
            top = top->getParentOp();
          if (!members.contains(top))
            return op->emitError(
                "ds4-map-to-gpu: the host would need a value computed from "
                "device memory here (used by ")
                   << user->getName() << "); compute it inside a loop instead";
        }
    ImplicitLocOpBuilder b(group.front()->getLoc(), group.front());
    Value one = arith::ConstantIndexOp::create(b, 1);
    gpu::LaunchOp launch = createLaunch(b, one, one, one);
    for (Operation *op : group)
      op->walk([](scf::ForOp inner) {
        inner->removeAttr(ds4::lowering::kSplitReduction);
      });
    Operation *terminator = launch.getBody().front().getTerminator();
    for (Operation *op : group)
      op->moveBefore(terminator);
    group.clear();
    return success();
  }

  /// The outermost split reductions of `loop`'s body (marked ones nested in
  /// them run whole on their lane).
  static SmallVector<scf::ForOp> outermostSplits(Operation *root) {
    SmallVector<scf::ForOp> splits;
    root->walk<WalkOrder::PreOrder>([&](scf::ForOp inner) {
      if (!ds4::isSplitReduction(inner))
        return WalkResult::advance();
      splits.push_back(inner);
      return WalkResult::skip();
    });
    return splits;
  }

  /// scf.parallel -> a launch of ceil(n / blockSize) blocks, one iteration
  /// per thread, the flat id delinearized with the last dim fastest. An
  /// iteration holding a split reduction (or marked a warp tile) gets a
  /// warp instead: its lanes
  /// share the reduction and run the rest redundantly (the id is uniform
  /// across a warp, so all control flow around the butterfly is too).
  LogicalResult mapParallel(scf::ParallelOp loop) {
    if (loop.getNumReductions() != 0)
      return loop.emitError("ds4-map-to-gpu: parallel loops with reductions "
                            "are not mapped yet");
    // Warp tiles (tensor-core products) read their own lane id.
    bool warpTile = loop->hasAttr(ds4::lowering::kWarpIteration);
    bool perWarp = warpTile || !outermostSplits(loop).empty();
    if (perWarp && blockSize % ds4::kWarpLanes != 0)
      return loop.emitError("ds4-map-to-gpu: block-size must be a multiple "
                            "of 32 to give iterations whole warps");
    ImplicitLocOpBuilder b(loop.getLoc(), loop);
    ds4::FlatIterations flat = ds4::flattenIterations(b, loop);
    Value total = flat.total;
    Value lanes = arith::ConstantIndexOp::create(b, ds4::kWarpLanes);
    Value threads =
        perWarp ? arith::MulIOp::create(b, total, lanes).getResult() : total;
    Value size = arith::ConstantIndexOp::create(b, blockSize);
    Value blocks = arith::CeilDivUIOp::create(b, threads, size);
    Value zero = arith::ConstantIndexOp::create(b, 0);
    Value nonEmpty =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, total, zero);
    auto guard = scf::IfOp::create(b, nonEmpty, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    gpu::LaunchOp launch =
        createLaunch(b, blocks, size, arith::ConstantIndexOp::create(b, 1));
    launch->setAttr(kParallel, b.getUnitAttr());
    Value id = flatThreadId(b, blockSize), lane;
    if (perWarp) {
      lane = arith::RemUIOp::create(b, id, lanes);
      id = arith::DivUIOp::create(b, id, lanes);
    }
    Value inRange =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, id, total);
    auto body = scf::IfOp::create(b, inRange, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&body.getThenRegion().front());
    SmallVector<Value> ivs = ds4::delinearize(b, id, flat.trips,
                                         loop.getLowerBound(), loop.getStep());
    IRMapping map;
    map.map(loop.getInductionVars(), ivs);
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, map);
    loop.erase();
    for (scf::ForOp split : outermostSplits(launch))
      if (failed(ds4::splitAcrossLanes(split, lane)))
        return failure();
    // Marks left inside split loops and in single-thread code mean nothing.
    launch.walk([](scf::ForOp inner) {
      inner->removeAttr(ds4::lowering::kSplitReduction);
    });
    return success();
  }

  /// Buffers whose every use is inside one parallel launch are per-thread
  /// scratch: they become allocas at the top of the launch body. Allocations inside
  /// launch bodies (scratch allocated per iteration) are hoisted likewise.
  LogicalResult privatizeScratch(func::FuncOp func) {
    SmallVector<memref::AllocOp> allocs;
    func.walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
    for (memref::AllocOp alloc : allocs) {
      gpu::LaunchOp home = alloc->getParentOfType<gpu::LaunchOp>();
      bool insideLaunch = home != nullptr;
      if (!insideLaunch) {
        for (Operation *user : alloc->getUsers()) {
          if (isa<memref::DeallocOp>(user))
            continue;
          auto launch = user->getParentOfType<gpu::LaunchOp>();
          if (!launch || (home && launch != home)) {
            home = nullptr;
            break;
          }
          home = launch;
        }
        if (!home)
          continue; // a buffer the host passes around: device arena
        // Used by one thread only: the arena buffer is as good, and may be
        // of any size.
        if (!home->hasAttr(kParallel))
          continue;
      }
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape())
        return alloc.emitError("ds4-map-to-gpu: per-thread scratch must have "
                               "a static shape, not ")
               << type;
      OpBuilder b(&home.getBody().front(), home.getBody().front().begin());
      auto alloca = memref::AllocaOp::create(b, alloc.getLoc(), type);
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(alloca.getResult());
      alloc.erase();
    }
    return success();
  }
};
} // namespace

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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
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
      if (preciseMath)
        matchHostMath(func);
    }
  }

  /// libdevice's single-precision functions are up to 2 ulp from glibc's,
  /// and its rsqrt is an approximation; deploy precision rounds activations
  /// to fp8, where one ulp can flip a rounding the CPU and the reference do
  /// not. So device code evaluates f32 transcendentals in f64 (rounded once:
  /// the correctly rounded f32 result but for rare double roundings, as
  /// glibc's) and rsqrt as 1 / sqrt, which is what the host lowering emits.
  void matchHostMath(func::FuncOp func) {
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (op->getDialect() && isa<math::MathDialect>(op->getDialect()) &&
          op->getParentOfType<gpu::LaunchOp>() && op->getNumResults() == 1 &&
          op->getResult(0).getType().isF32())
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      ImplicitLocOpBuilder b(op->getLoc(), op);
      Value result;
      if (auto rsqrt = dyn_cast<math::RsqrtOp>(op)) {
        Value one = arith::ConstantOp::create(b, b.getF32FloatAttr(1.0f));
        result = arith::DivFOp::create(
            b, one, math::SqrtOp::create(b, rsqrt.getOperand()));
      } else if (isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::LogOp,
                     math::Log1pOp, math::Log2Op, math::Log10Op, math::TanhOp,
                     math::SinOp, math::CosOp, math::TanOp, math::AtanOp,
                     math::ErfOp, math::PowFOp>(op)) {
        SmallVector<Value> wide;
        for (Value v : op->getOperands())
          wide.push_back(arith::ExtFOp::create(b, b.getF64Type(), v));
        OperationState state(op->getLoc(), op->getName());
        state.addOperands(wide);
        state.addTypes(b.getF64Type());
        state.addAttributes(op->getAttrs());
        Operation *f64 = b.create(state);
        result = arith::TruncFOp::create(b, b.getF32Type(), f64->getResult(0));
      } else {
        continue; // sqrt, abs, ... are exact or correctly rounded on both
      }
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
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

  LogicalResult mapFunction(func::FuncOp func) {
    SmallVector<Operation *> ops;
    for (Operation &op : func.front())
      ops.push_back(&op);
    SmallVector<Operation *> group;
    for (Operation *op : ops) {
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
    Operation *terminator = launch.getBody().front().getTerminator();
    for (Operation *op : group)
      op->moveBefore(terminator);
    group.clear();
    return success();
  }

  /// scf.parallel -> a launch of ceil(n / blockSize) blocks, one iteration
  /// per thread, the flat id delinearized with the last dim fastest.
  LogicalResult mapParallel(scf::ParallelOp loop) {
    if (loop.getNumReductions() != 0)
      return loop.emitError("ds4-map-to-gpu: parallel loops with reductions "
                            "are not mapped yet");
    ImplicitLocOpBuilder b(loop.getLoc(), loop);
    ds4::FlatIterations flat = ds4::flattenIterations(b, loop);
    Value total = flat.total;
    Value size = arith::ConstantIndexOp::create(b, blockSize);
    Value blocks = arith::CeilDivUIOp::create(b, total, size);
    Value zero = arith::ConstantIndexOp::create(b, 0);
    Value nonEmpty =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ugt, total, zero);
    auto guard = scf::IfOp::create(b, nonEmpty, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    gpu::LaunchOp launch =
        createLaunch(b, blocks, size, arith::ConstantIndexOp::create(b, 1));
    launch->setAttr(kParallel, b.getUnitAttr());
    Value id = flatThreadId(b, blockSize);
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

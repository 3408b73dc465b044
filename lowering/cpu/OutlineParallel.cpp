//===- OutlineParallel.cpp - ds4-outline-parallel ---------------------------===//
//
// The CPU counterpart of ds4-map-to-gpu: each top-level scf.parallel becomes
// a body function over a range of flattened iterations, so the runtime's
// thread pool can split the range (lowering/cpu/HostThreadsAbi.h turns the
// call into a ds4_parallel_for call at LLVM IR level).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "lowering/FlatIterations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::ds4 {
#define GEN_PASS_DEF_DS4OUTLINEPARALLEL
#include "passes/Passes.h.inc"
} // namespace mlir::ds4

using namespace mlir;

namespace {
struct OutlineParallelPass
    : ds4::impl::Ds4OutlineParallelBase<OutlineParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      if (func.isExternal())
        continue;
      // Top-level loops, also those in host-side branches (scf.if on sizes
      // choosing between loop nests).
      SmallVector<scf::ParallelOp> loops;
      func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
          loops.push_back(loop);
          return WalkResult::skip();
        }
        return isa<func::FuncOp, scf::IfOp>(op) ? WalkResult::advance()
                                                 : WalkResult::skip();
      });
      for (auto [k, loop] : llvm::enumerate(loops))
        if (failed(outline(func, loop, k)))
          return signalPassFailure();
    }
  }

  LogicalResult outline(func::FuncOp func, scf::ParallelOp loop, size_t k) {
    if (loop.getNumReductions() != 0)
      return loop.emitError("ds4-outline-parallel: parallel loops with "
                            "reductions are not supported");
    ImplicitLocOpBuilder b(loop.getLoc(), loop);
    // Trip counts on the caller's side (folded where the bounds are
    // constants, so the body sees constants).
    ds4::FlatIterations flat = ds4::flattenIterations(b, loop);
    Value zero = arith::ConstantIndexOp::create(b, 0);
    Value total = flat.total;
    SmallVector<Value> &trips = flat.trips;
    // Values the body needs: bounds, steps, trip counts, then whatever the
    // loop body uses from above. Constants are cloned into the body (LLVM
    // then sees the sizes); every other value becomes an argument.
    llvm::SetVector<Value> used;
    used.insert(loop.getLowerBound().begin(), loop.getLowerBound().end());
    used.insert(loop.getStep().begin(), loop.getStep().end());
    used.insert(trips.begin(), trips.end());
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    llvm::SetVector<Value> captured;
    SmallVector<Operation *> constants;
    for (Value v : used) {
      Operation *def = v.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>())
        constants.push_back(def);
      else
        captured.insert(v);
    }

    // Arguments: begin, end, then the captured values.
    SmallVector<Value> operands{zero, total};
    operands.append(captured.begin(), captured.end());
    SmallVector<Type> types;
    for (Value v : operands)
      types.push_back(v.getType());

    OpBuilder mb(func->getContext());
    mb.setInsertionPointAfter(func);
    std::string name = (func.getName() + "_parallel_" + Twine(k)).str();
    auto body = func::FuncOp::create(mb, loop.getLoc(), name,
                                     mb.getFunctionType(types, {}));
    body.setPrivate();
    // The LLVM IR rewrite finds the bodies by this function attribute.
    body->setAttr("llvm.passthrough",
                  mb.getArrayAttr({mb.getStringAttr("noinline"),
                                   mb.getStringAttr("ds4-parallel-body")}));
    Block *entry = body.addEntryBlock();
    ImplicitLocOpBuilder bb(loop.getLoc(), OpBuilder::atBlockEnd(entry));
    ValueRange args = entry->getArguments();
    Value begin = args[0], end = args[1];
    IRMapping map;
    for (auto [i, v] : llvm::enumerate(captured))
      map.map(v, args[2 + i]);
    for (Operation *c : constants)
      bb.clone(*c, map);
    auto inBody = [&](ValueRange vs) {
      SmallVector<Value> out;
      for (Value v : vs)
        out.push_back(map.lookup(v));
      return out;
    };
    SmallVector<Value> lbs = inBody(loop.getLowerBound()),
                       steps = inBody(loop.getStep()), counts = inBody(trips);
    Value one = arith::ConstantIndexOp::create(bb, 1);
    auto loopFor = scf::ForOp::create(bb, begin, end, one);
    bb.setInsertionPointToStart(loopFor.getBody());
    SmallVector<Value> ivs =
        ds4::delinearize(bb, loopFor.getInductionVar(), counts, lbs, steps);
    map.map(loop.getInductionVars(), ivs);
    for (Operation &op : loop.getBody()->without_terminator())
      bb.clone(op, map);
    bb.setInsertionPointToEnd(entry);
    func::ReturnOp::create(bb);

    func::CallOp::create(b, body, operands);
    loop.erase();
    return success();
  }
};
} // namespace

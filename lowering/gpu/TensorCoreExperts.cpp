//===- TensorCoreExperts.cpp - prefill routed experts on tensor cores -----===//

#include "lowering/gpu/TensorCoreExperts.h"

#include "lowering/FlatIterations.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;
using namespace mlir::ds4::lowering::warp_mma;

/// ids[route] for a flat route id (token * topk + k).
static SmallVector<Value> routeIndex(ImplicitLocOpBuilder &b,
                                     const ExpertRoutes &routes, Value route) {
  Value token = arith::DivUIOp::create(b, route, routes.topk);
  Value k = arith::RemUIOp::create(b, route, routes.topk);
  SmallVector<Value> zeros(routes.tokens.size(), constIndex(b, 0));
  SmallVector<Value> ones(routes.tokens.size(), constIndex(b, 1));
  return concat(ds4::delinearize(b, token, routes.tokens, zeros, ones), {k});
}

ExpertRoutes lowering::groupRoutesByExpert(ImplicitLocOpBuilder &b, Value ids,
                                           ArrayRef<Value> tokens, Value topk,
                                           int64_t experts) {
  ExpertRoutes r;
  r.experts = experts;
  r.topk = topk;
  r.tokens.assign(tokens.begin(), tokens.end());
  // Every constant first: ds4-map-to-gpu cuts single-thread launches at
  // host-side ops, and the prefix sums below must stay one launch.
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  Value numExperts = constIndex(b, experts);
  Value tileRows = constIndex(b, kTileRows);
  Value zeroI32 = constI32(b, 0);
  r.routes = arith::MulIOp::create(b, product(b, tokens), topk);
  r.maxTiles = arith::AddIOp::create(
      b, arith::CeilDivUIOp::create(b, r.routes, tileRows), numExperts);
  Type index = b.getIndexType();
  r.count = allocBuffer(b, MemRefType::get({experts}, index), {});
  r.start = allocBuffer(b, MemRefType::get({experts}, index), {});
  r.tileStart = allocBuffer(b, MemRefType::get({experts + 1}, index), {});
  r.list = allocBuffer(b, MemRefType::get({ShapedType::kDynamic}, index),
                       {r.routes});
  auto expertOf = [&](ImplicitLocOpBuilder &b, Value route) {
    return loadIndex(b, ids, routeIndex(b, r, route));
  };

  // Routes per expert: a split count over all routes (a warp per expert).
  parallelForEach(b, {numExperts}, [&](ImplicitLocOpBuilder &b, ValueRange e) {
    Value n = splitReduce(
        b, zero, r.routes, zeroI32, /*laneChunk=*/4,
        [&](ImplicitLocOpBuilder &b, Value route, Value acc) {
          Value mine = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                             expertOf(b, route), e[0]);
          return arith::AddIOp::create(
              b, acc, arith::ExtUIOp::create(b, b.getI32Type(), mine));
        });
    memref::StoreOp::create(b, arith::IndexCastOp::create(b, index, n), r.count,
                            e);
  });
  // List starts and warp-tile starts: prefix sums over the experts (one
  // thread; E is small).
  memref::StoreOp::create(b, zero, r.tileStart, ValueRange{zero});
  scf::ForOp::create(
      b, zero, numExperts, one, ValueRange{zero, zero},
      [&](OpBuilder &nb, Location loc, Value e, ValueRange sums) {
        ImplicitLocOpBuilder b(loc, nb);
        Value n = memref::LoadOp::create(b, r.count, ValueRange{e});
        memref::StoreOp::create(b, sums[0], r.start, ValueRange{e});
        Value nextStart = arith::AddIOp::create(b, sums[0], n);
        Value nextTile = arith::AddIOp::create(
            b, sums[1], arith::CeilDivUIOp::create(b, n, tileRows));
        memref::StoreOp::create(b, nextTile, r.tileStart,
                                ValueRange{arith::AddIOp::create(b, e, one)});
        scf::YieldOp::create(b, ValueRange{nextStart, nextTile});
      });
  // The lists, each in route order (a thread per expert).
  parallelForEach(b, {numExperts}, [&](ImplicitLocOpBuilder &b, ValueRange e) {
    Value first = memref::LoadOp::create(b, r.start, e);
    scf::ForOp::create(
        b, constIndex(b, 0), r.routes, constIndex(b, 1), ValueRange{first},
        [&](OpBuilder &nb, Location loc, Value route, ValueRange at) {
          ImplicitLocOpBuilder b(loc, nb);
          Value mine = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                             expertOf(b, route), e[0]);
          ifThen(b, mine, [&](ImplicitLocOpBuilder &b) {
            memref::StoreOp::create(b, route, r.list, ValueRange{at[0]});
          });
          Value next = arith::AddIOp::create(b, at[0], constIndex(b, 1));
          scf::YieldOp::create(
              b, ValueRange{arith::SelectOp::create(b, mine, next, at[0])});
        });
  });
  return r;
}

namespace {
/// One warp tile of an expert's routes: which expert, and per lane row
/// (i, h) whether it is a route and its index [tokens..., k].
struct ExpertTile {
  Value expert;
  Value valid[kTilesM][2];
  Value flatRoute[kTilesM][2]; // token * topk + k
  SmallVector<Value> route[kTilesM][2];
};

/// The expert of warp tile `slot` (< the total): the last e with
/// tileStart[e] <= slot, by binary search; then the tile's routes.
ExpertTile locateTile(ImplicitLocOpBuilder &b, const ExpertRoutes &routes,
                      const Lane &lane, Value slot) {
  Value lo = constIndex(b, 0), hi = constIndex(b, routes.experts);
  for (int64_t step = 0; step < llvm::Log2_64_Ceil(routes.experts); ++step) {
    Value mid = arith::DivUIOp::create(b, arith::AddIOp::create(b, lo, hi),
                                       constIndex(b, 2));
    Value below = arith::CmpIOp::create(
        b, arith::CmpIPredicate::ule,
        memref::LoadOp::create(b, routes.tileStart, ValueRange{mid}), slot);
    lo = arith::SelectOp::create(b, below, mid, lo);
    hi = arith::SelectOp::create(b, below, hi, mid);
  }
  ExpertTile tile;
  tile.expert = lo;
  Value local = arith::SubIOp::create(
      b, slot, memref::LoadOp::create(b, routes.tileStart, ValueRange{lo}));
  Value count = memref::LoadOp::create(b, routes.count, ValueRange{lo});
  Value first = memref::LoadOp::create(b, routes.start, ValueRange{lo});
  Value last = arith::SubIOp::create(b, count, constIndex(b, 1));
  Value row0 = arith::MulIOp::create(b, local, constIndex(b, kTileRows));
  for (int64_t i = 0; i < kTilesM; ++i)
    for (int64_t h = 0; h < 2; ++h) {
      Value row = laneRow(b, lane, row0, i, h);
      tile.valid[i][h] =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, count);
      // Rows past the expert's routes repeat its last one (not stored).
      Value at =
          arith::AddIOp::create(b, first, arith::MinUIOp::create(b, row, last));
      Value route = memref::LoadOp::create(b, routes.list, ValueRange{at});
      tile.flatRoute[i][h] = route;
      tile.route[i][h] = routeIndex(b, routes, route);
    }
  return tile;
}

/// An scf.parallel over (warp tile slots, output tiles), marked
/// kWarpIteration; `body` runs for slots below the total only.
void forEachExpertTile(ImplicitLocOpBuilder &b, const ExpertRoutes &routes,
                       int64_t outTiles,
                       function_ref<void(ImplicitLocOpBuilder &, const Lane &,
                                         const ExpertTile &, Value outTile)>
                           body) {
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  auto loop = scf::ParallelOp::create(
      b, ValueRange{zero, zero},
      ValueRange{routes.maxTiles, constIndex(b, outTiles)},
      ValueRange{one, one},
      [&](OpBuilder &nested, Location loc, ValueRange ivs) {
        ImplicitLocOpBuilder b(loc, nested);
        Lane lane = laneCoords(b);
        Value total = memref::LoadOp::create(
            b, routes.tileStart, ValueRange{constIndex(b, routes.experts)});
        Value used =
            arith::CmpIOp::create(b, arith::CmpIPredicate::ult, ivs[0], total);
        // Uniform across the warp: the slot is the warp's.
        ifThen(b, used, [&](ImplicitLocOpBuilder &b) {
          body(b, lane, locateTile(b, routes, lane, ivs[0]), ivs[1]);
        });
      });
  loop->setAttr(kWarpIteration, b.getUnitAttr());
}

Value lessThan(ImplicitLocOpBuilder &b, Value v, int64_t bound) {
  return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, v,
                               constIndex(b, bound));
}
} // namespace

void lowering::emitTensorCoreExpertUpGate(
    ImplicitLocOpBuilder &b, const ExpertRoutes &routes, const WeightAccess &w1,
    const WeightAccess &w3, Value x, Value routeWeights, Value h, int64_t dim,
    int64_t inter, double limit, bool scaleByRoute, int64_t terms) {
  // A tile's 32 weight rows: 16 outputs of w1 (n-tiles 0, 1) and the same 16
  // of w3 (n-tiles 2, 3).
  constexpr int64_t kOutputs = kTileOutputs / 2;
  static_assert(kTilesN == 4, "gate and up tiles pair up");
  // The tokens' activations split into bf16 planes once.
  Value tokens = arith::DivUIOp::create(b, routes.routes, routes.topk);
  SmallVector<Value> zeros(routes.tokens.size(), constIndex(b, 0));
  SmallVector<Value> ones(routes.tokens.size(), constIndex(b, 1));
  auto readToken = [&](ImplicitLocOpBuilder &b, Value token, Value col) {
    SmallVector<Value> at =
        ds4::delinearize(b, token, routes.tokens, zeros, ones);
    return loadF32(b, x, concat(at, {col}));
  };
  ActivationPlanes planes = splitActivations(b, tokens, dim, terms, readToken);
  forEachExpertTile(
      b, routes, (inter + kOutputs - 1) / kOutputs,
      [&](ImplicitLocOpBuilder &b, const Lane &lane, const ExpertTile &tile,
          Value outTile) {
        Value out0 = arith::MulIOp::create(b, outTile, constIndex(b, kOutputs));
        Operands ops;
        ops.x = planes;
        WeightRows rows;
        rows.k = planes.k;
        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t hh = 0; hh < 2; ++hh)
            ops.planeRow[i][hh] =
                arith::DivUIOp::create(b, tile.flatRoute[i][hh], routes.topk);
        for (int64_t j = 0; j < kTilesN; ++j) {
          rows.weight[j] = j < 2 ? w1 : w3;
          Value o = laneOutput(b, lane, out0, j % 2);
          rows.row[j] = {tile.expert, arith::MinUIOp::create(
                                          b, o, constIndex(b, inter - 1))};
        }
        SmallVector<Value> acc = accumulate(b, lane, ops, rows);
        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t j = 0; j < 2; ++j)
            for (int64_t r = 0; r < kAccRegs; ++r) {
              Value g = acc[(i * kTilesN + j) * kAccRegs + r];
              Value u = acc[(i * kTilesN + j + 2) * kAccRegs + r];
              Value o = accumulatorOutput(b, lane, out0, j, r);
              int64_t hh = r / 2;
              Value store = arith::AndIOp::create(b, tile.valid[i][hh],
                                                  lessThan(b, o, inter));
              ifThen(b, store, [&](ImplicitLocOpBuilder &b) {
                // As the per-route loops (MoeToLoops.cpp).
                Value gc = arith::MinimumFOp::create(b, g, constF32(b, limit));
                Value uc = arith::MinimumFOp::create(
                    b, arith::MaximumFOp::create(b, u, constF32(b, -limit)),
                    constF32(b, limit));
                Value silu = arith::MulFOp::create(b, gc, sigmoid(b, gc));
                Value act = arith::MulFOp::create(b, silu, uc);
                if (scaleByRoute)
                  act = arith::MulFOp::create(
                      b, act, loadF32(b, routeWeights, tile.route[i][hh]));
                memref::StoreOp::create(b, act, h,
                                        concat(tile.route[i][hh], {o}));
              });
            }
      });
}

void lowering::emitTensorCoreExpertDown(ImplicitLocOpBuilder &b,
                                        const ExpertRoutes &routes,
                                        const WeightAccess &w2, Value h,
                                        Value routeWeights, Value y,
                                        int64_t dim, int64_t inter,
                                        bool scaleByRoute, int64_t terms) {
  // Every route's h split into bf16 planes once.
  auto readRoute = [&](ImplicitLocOpBuilder &b, Value route, Value col) {
    return loadF32(b, h, concat(routeIndex(b, routes, route), {col}));
  };
  ActivationPlanes planes =
      splitActivations(b, routes.routes, inter, terms, readRoute);
  forEachExpertTile(
      b, routes, (dim + kTileOutputs - 1) / kTileOutputs,
      [&](ImplicitLocOpBuilder &b, const Lane &lane, const ExpertTile &tile,
          Value outTile) {
        Value out0 =
            arith::MulIOp::create(b, outTile, constIndex(b, kTileOutputs));
        Operands ops;
        ops.x = planes;
        WeightRows rows;
        rows.k = planes.k;
        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t hh = 0; hh < 2; ++hh)
            ops.planeRow[i][hh] = tile.flatRoute[i][hh];
        for (int64_t j = 0; j < kTilesN; ++j) {
          rows.weight[j] = w2;
          Value c = laneOutput(b, lane, out0, j);
          rows.row[j] = {tile.expert,
                         arith::MinUIOp::create(b, c, constIndex(b, dim - 1))};
        }
        SmallVector<Value> acc = accumulate(b, lane, ops, rows);
        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t j = 0; j < kTilesN; ++j)
            for (int64_t r = 0; r < kAccRegs; ++r) {
              Value v = acc[(i * kTilesN + j) * kAccRegs + r];
              Value c = accumulatorOutput(b, lane, out0, j, r);
              int64_t hh = r / 2;
              Value store = arith::AndIOp::create(b, tile.valid[i][hh],
                                                  lessThan(b, c, dim));
              ifThen(b, store, [&](ImplicitLocOpBuilder &b) {
                Value out = v;
                if (scaleByRoute)
                  out = arith::MulFOp::create(
                      b, out, loadF32(b, routeWeights, tile.route[i][hh]));
                memref::StoreOp::create(b, out, y,
                                        concat(tile.route[i][hh], {c}));
              });
            }
      });
}

//===- TensorCoreExperts.h - prefill routed experts on tensor cores -------===//
//
// The prefill form of moe_experts on sm_90a. Per token and route the CPU
// (and the GPU at decode) computes each expert row as its own dot product,
// so a prefill of T tokens streams every chosen expert's weights T * topk /
// experts times over and never reuses a weight load. Here the routes are
// first grouped by expert (counts, prefix sums, lists in route order), then
// each expert's routes form the rows of warp tiles of mma.sync
// (lowering/gpu/WarpMma.h) that share every weight load:
//   up/gate: rows = the expert's routes, outputs = 16 rows of w1 and the
//            same 16 of w3 in one tile, so silu(gate) * up is formed in
//            registers;
//   down:    rows = the same routes, outputs = 32 channels of w2.
// The warp tiles of all experts are numbered consecutively (an expert with
// c routes has ceil(c / 64)); a warp finds its expert by binary search.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_GPU_TENSORCOREEXPERTS_H
#define DS4_LOWERING_GPU_TENSORCOREEXPERTS_H

#include "lowering/gpu/WarpMma.h"

namespace mlir::ds4::lowering {

/// The routes of a moe_experts call grouped by expert (device buffers).
struct ExpertRoutes {
  int64_t experts = 0;
  Value topk;                // routes per token
  SmallVector<Value> tokens; // the token dims
  Value routes;              // tokens * topk
  Value count;               // [E] routes per expert
  Value start;               // [E] first list slot of each expert
  Value tileStart; // [E + 1] first warp tile of each expert; [E] = total
  Value list;      // [routes] route ids (token * topk + k), by expert
  Value maxTiles;  // an upper bound of the total: ceil(routes / 64) + E
};

/// Groups the routes `ids` [tokens..., topk] by expert.
ExpertRoutes groupRoutesByExpert(ImplicitLocOpBuilder &b, Value ids,
                                 ArrayRef<Value> tokens, Value topk,
                                 int64_t experts);

/// h[t..., k, o] = silu(min(g, limit)) * clamp(u, -limit, limit) (* w[t, k]
/// when `scaleByRoute`), g = w1[e] x[t], u = w3[e] x[t], e = ids[t, k], for
/// o < inter; x [tokens..., dim].
void emitTensorCoreExpertUpGate(ImplicitLocOpBuilder &b,
                                const ExpertRoutes &routes,
                                const WeightAccess &w1, const WeightAccess &w3,
                                Value x, Value routeWeights, Value h,
                                int64_t dim, int64_t inter, double limit,
                                bool scaleByRoute, int64_t terms);

/// y[t..., k, c] = w2[e, c] h[t, k] (* w[t, k] when `scaleByRoute`) for
/// c < dim.
void emitTensorCoreExpertDown(ImplicitLocOpBuilder &b,
                              const ExpertRoutes &routes,
                              const WeightAccess &w2, Value h,
                              Value routeWeights, Value y, int64_t dim,
                              int64_t inter, bool scaleByRoute, int64_t terms);

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_GPU_TENSORCOREEXPERTS_H

//===- FlatIterations.h - an scf.parallel as one flat range ---------------===//
//
// ds4-map-to-gpu (a thread per iteration) and ds4-outline-parallel (a
// thread-pool range per call) both run an scf.parallel as the flat range
// [0, total) with the last dimension fastest. These builders are that
// mapping, shared so both targets order iterations identically.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_FLATITERATIONS_H
#define DS4_LOWERING_FLATITERATIONS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::ds4 {

struct FlatIterations {
  /// ceil((ub - lb) / step), at least 0, per dimension.
  SmallVector<Value> trips;
  /// Their product.
  Value total;
};

/// The trip counts of `loop`, built at `b` (folded where the bounds are
/// constants).
FlatIterations flattenIterations(ImplicitLocOpBuilder &b, scf::ParallelOp loop);

/// The induction variables of flat iteration `id`: digit d of `id` in the
/// mixed radix `trips` (last dimension fastest), as lbs[d] + digit * steps[d].
SmallVector<Value> delinearize(ImplicitLocOpBuilder &b, Value id,
                               ValueRange trips, ValueRange lbs,
                               ValueRange steps);

} // namespace mlir::ds4

#endif // DS4_LOWERING_FLATITERATIONS_H

//===- SplitReductions.h - a reduction loop spread over a warp ------------===//
//
// The op lowerings mark long reductions over contiguous memory with
// `ds4.split_reduction` (lowering/cpu/LoweringUtils.h). ds4-map-to-gpu gives
// a parallel iteration that holds one a whole warp, and these builders
// spread the marked loop over the warp's lanes: lane l takes chunks
// l, l + 32, ... of `laneChunk` consecutive iterations (neighbouring lanes
// read neighbouring addresses; a chunk is one wide load), then the partial
// accumulators meet in an xor-shuffle butterfly, after which every lane
// holds the same bits (a + b == b + a exactly), so the redundant code after
// the loop stays uniform across the warp.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_SPLITREDUCTIONS_H
#define DS4_LOWERING_SPLITREDUCTIONS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::ds4 {

/// Lanes per warp on NVIDIA GPUs.
inline constexpr int64_t kWarpLanes = 32;

/// True when `loop` is marked as a splittable reduction.
bool isSplitReduction(scf::ForOp loop);

/// Rewrites the marked `loop` (inside a launch body where every lane of a
/// warp runs the same iteration) so that lane `lane` of kWarpLanes takes
/// its share, and replaces the loop's results by the warp-wide totals.
/// Fails with a diagnostic when the loop is not a reduction the butterfly
/// can combine (each iter_arg combined once by addf/addi/max/min, no
/// writes to memory).
LogicalResult splitAcrossLanes(scf::ForOp loop, Value lane);

/// The host's form of the same reduction: the 32 lanes' partials computed
/// one lane after another and folded as lane 0's butterfly folds them, so the host adds the
/// same terms in the same order as the GPU and both targets agree bit for
/// bit (deploy precision rounds activations to fp8, where a last-bit
/// difference in a sum can flip a rounding).
/// Integer reductions (exact in any order) are left as they are.
LogicalResult emulateLaneOrder(scf::ForOp loop);

} // namespace mlir::ds4

#endif // DS4_LOWERING_SPLITREDUCTIONS_H

//===- PreciseMath.h - f32 transcendentals evaluated in f64 ---------------===//
//
// libm's and libdevice's single-precision functions are not correctly
// rounded (glibc's expf is within 0.502 ulp, libdevice's __nv_expf within
// 2), so the host and the GPU would round a different few results of every
// thousand differently -- and deploy precision rounds activations to fp8
// and bf16, where one ulp can flip a rounding and grow into a visible
// difference a few tokens later. Both targets therefore evaluate each f32
// transcendental in f64 and round once (the correctly rounded f32 result
// but for the rare double rounding), and rsqrt as 1 / sqrt. sqrt too: f32
// sqrt from libdevice is approximate unless __CUDA_PREC_SQRT is reflected
// as 1, while the f64 square root of an f32 value, rounded to f32, is
// exactly the correctly rounded f32 square root (the host's sqrtss).
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_PRECISEMATH_H
#define DS4_LOWERING_PRECISEMATH_H

#include "mlir/IR/Operation.h"

namespace mlir::ds4 {

/// Rewrites the f32 math ops under `root` for which `select` holds.
void widenTranscendentals(Operation *root,
                          function_ref<bool(Operation *)> select);

} // namespace mlir::ds4

#endif // DS4_LOWERING_PRECISEMATH_H

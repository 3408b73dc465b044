// Kernels of the runtime itself (not of a model), as PTX the driver JIT-compiles on first use.
#ifndef DS4_RUNTIME_SESSION_CUDA_RUNTIMEKERNELS_H
#define DS4_RUNTIME_SESSION_CUDA_RUNTIMEKERNELS_H

namespace ds4 {
namespace session {
namespace cuda {

/// `ds4_fill_random(float *out, u64 n, u64 seed)`: out[i] = syntheticStateValue(seed, i) for
/// i < n (SyntheticState.h), a grid-stride loop (any 1-D launch covers n).
extern const char kFillRandomPtx[];
constexpr const char *kFillRandomKernel = "ds4_fill_random";

} // namespace cuda
} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_CUDA_RUNTIMEKERNELS_H

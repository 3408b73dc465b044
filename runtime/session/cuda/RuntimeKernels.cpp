#include "runtime/session/cuda/RuntimeKernels.h"

namespace ds4 {
namespace session {
namespace cuda {

// nvcc -arch=sm_90a -ptx of the CUDA below (comments removed; `.version 7.8 / .target sm_90`
// so older drivers JIT it too). Keep it in step with syntheticStateValue:
//
//   extern "C" __global__ void ds4_fill_random(float *out, unsigned long long n,
//                                              unsigned long long seed) {
//     unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
//     for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
//          i < n; i += stride) {
//       unsigned long long z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
//       z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
//       z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
//       z ^= z >> 31;
//       out[i] = (float)(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
//     }
//   }
const char kFillRandomPtx[] =
    ".version 7.8\n"
    ".target sm_90\n"
    ".address_size 64\n"
    ".visible .entry ds4_fill_random(\n"
    ".param .u64 ds4_fill_random_param_0,\n"
    ".param .u64 ds4_fill_random_param_1,\n"
    ".param .u64 ds4_fill_random_param_2\n"
    ")\n"
    "{\n"
    ".reg .pred %p<3>;\n"
    ".reg .f32 %f<3>;\n"
    ".reg .b32 %r<5>;\n"
    ".reg .b64 %rd<26>;\n"
    "ld.param.u64 %rd8, [ds4_fill_random_param_0];\n"
    "ld.param.u64 %rd9, [ds4_fill_random_param_1];\n"
    "ld.param.u64 %rd10, [ds4_fill_random_param_2];\n"
    "mov.u32 %r1, %ntid.x;\n"
    "cvt.u64.u32 %rd1, %r1;\n"
    "mov.u32 %r2, %ctaid.x;\n"
    "mul.wide.u32 %rd11, %r2, %r1;\n"
    "mov.u32 %r3, %tid.x;\n"
    "cvt.u64.u32 %rd12, %r3;\n"
    "add.s64 %rd25, %rd11, %rd12;\n"
    "setp.ge.u64 %p1, %rd25, %rd9;\n"
    "@%p1 bra $L__BB0_3;\n"
    "add.s64 %rd3, %rd10, -7046029254386353131;\n"
    "mov.u32 %r4, %nctaid.x;\n"
    "cvt.u64.u32 %rd13, %r4;\n"
    "mul.lo.s64 %rd4, %rd13, %rd1;\n"
    "cvta.to.global.u64 %rd5, %rd8;\n"
    "$L__BB0_2:\n"
    "mul.lo.s64 %rd14, %rd25, -7046029254386353131;\n"
    "add.s64 %rd15, %rd3, %rd14;\n"
    "shr.u64 %rd16, %rd15, 30;\n"
    "xor.b64 %rd17, %rd16, %rd15;\n"
    "mul.lo.s64 %rd18, %rd17, -4658895280553007687;\n"
    "shr.u64 %rd19, %rd18, 27;\n"
    "xor.b64 %rd20, %rd19, %rd18;\n"
    "mul.lo.s64 %rd21, %rd20, -7723592293110705685;\n"
    "shr.u64 %rd22, %rd21, 40;\n"
    "cvt.rn.f32.u64 %f1, %rd22;\n"
    "fma.rn.f32 %f2, %f1, 0f34000000, 0fBF800000;\n"
    "shl.b64 %rd23, %rd25, 2;\n"
    "add.s64 %rd24, %rd5, %rd23;\n"
    "st.global.f32 [%rd24], %f2;\n"
    "add.s64 %rd25, %rd25, %rd4;\n"
    "setp.lt.u64 %p2, %rd25, %rd9;\n"
    "@%p2 bra $L__BB0_2;\n"
    "$L__BB0_3:\n"
    "ret;\n"
    "}\n"
    ;

} // namespace cuda
} // namespace session
} // namespace ds4

/* A stand-in for the host plan of an sm_90a artifact (runtime/include/ds4/gpu_host_abi.h):
 * it exports the ABI table, version, init/fini and entry points, and drives real PTX kernels
 * through the mgpu functions the runtime puts in its table. The session tests run it on a
 * GPU when there is one, and everywhere on the host-emulated driver of FakeCudaDriver.h
 * (which implements these kernels by name).
 *
 * Entries (args: tokens i32 [B,T], positions i64 [B,T], slots i32 [B], window f32 [S,R,2],
 * weights_arena i8 [A], logits f32 [B,T,V]) write, for each token row r (slot s, position p,
 * token k):
 *   window[s][p % R] = (k, p + 1)
 *   logits[r][v]: v = 0: p, 1: s, 2: k, 3: arena[k], 4: window[s][(p - 1) mod R][0] before
 *   the call (the slot's previous token), 5: 7.0 (mgpuMemset32), 6: arena[128 + k],
 *   7: the float with bits 0x3f803f80 (mgpuMemset16), v >= 8: 0.5 * v
 * through three kernels and three arena blocks, one copied with mgpuMemcpy and freed out of
 * order. ds4_fake_growing also allocates 8 MiB times the number of its calls, so each call
 * needs more than the arena grew to after the one before (by at most 5/4); the other ds4_fake_*
 * entries each make one mistake the runtime must report.
 *
 * FAKE_ABI_VERSION (default DS4_GPU_HOST_ABI_VERSION) builds a plan of another ABI version.
 *
 * The PTX below is nvcc 13's output for this CUDA source (nvcc -arch=sm_90a -ptx), with the
 * comments removed and `.version 7.8 / .target sm_90` so older drivers JIT it too:
 *
 *   extern "C" __global__ void ds4_fake_prev(const long long *positions, const int *slots,
 *       const float *window, float *scratch, int count, int n, int windowRows) {
 *     int r = blockIdx.x * blockDim.x + threadIdx.x;
 *     if (r >= n) return;
 *     int s = slots[r / count];
 *     long long row = (positions[r] + windowRows - 1) % windowRows;
 *     scratch[r * 8 + 4] = window[(s * windowRows + row) * 2];
 *   }
 *   extern "C" __global__ void ds4_fake_rows(const int *tokens, const long long *positions,
 *       const int *slots, const unsigned char *arena, float *window, float *scratch, int count,
 *       int n, int windowRows) {
 *     int r = blockIdx.x * blockDim.x + threadIdx.x;
 *     if (r >= n) return;
 *     int k = tokens[r];
 *     long long p = positions[r];
 *     int s = slots[r / count];
 *     scratch[r * 8 + 0] = (float)p;
 *     scratch[r * 8 + 1] = (float)s;
 *     scratch[r * 8 + 2] = (float)k;
 *     scratch[r * 8 + 3] = (float)arena[k];
 *     scratch[r * 8 + 6] = (float)arena[128 + k];
 *     float *w = window + (s * windowRows + p % windowRows) * 2;
 *     w[0] = (float)k;
 *     w[1] = (float)(p + 1);
 *   }
 *   extern "C" __global__ void ds4_fake_emit(const float *copy, const float *ones,
 *       float *logits, int n, int vocab) {
 *     int i = blockIdx.x * blockDim.x + threadIdx.x;
 *     if (i >= n * vocab) return;
 *     int r = i / vocab, v = i % vocab;
 *     logits[i] = v < 7 ? copy[r * 8 + v] : v == 7 ? ones[r * 8] : 0.5f * (float)v;
 *   }
 */
#include "ds4/gpu_host_abi.h"

#include <stddef.h>
#include <string.h>

#ifndef FAKE_ABI_VERSION
#define FAKE_ABI_VERSION DS4_GPU_HOST_ABI_VERSION
#endif

void *ds4_gpu_host_abi[DS4_GPU_HOST_ABI_COUNT];
uint32_t ds4_gpu_host_abi_version = FAKE_ABI_VERSION;

#define FAKE_TYPEDEF(name, ret, params) typedef ret(*name##_fn) params;
DS4_GPU_HOST_ABI_FUNCTIONS(FAKE_TYPEDEF)
#undef FAKE_TYPEDEF
/* A call through the table, as the compiled host plan makes it. */
#define ABI(name) ((name##_fn)ds4_gpu_host_abi[ds4_gpu_host_abi_##name])

typedef struct { void *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } Ref1;
typedef struct { void *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } Ref2;
typedef struct { void *allocated, *aligned; int64_t offset, sizes[3], strides[3]; } Ref3;

static const char kPtx[] =
    ".version 7.8\n"
    ".target sm_90\n"
    ".address_size 64\n"
    ".visible .entry ds4_fake_prev(\n"
    ".param .u64 ds4_fake_prev_param_0,\n"
    ".param .u64 ds4_fake_prev_param_1,\n"
    ".param .u64 ds4_fake_prev_param_2,\n"
    ".param .u64 ds4_fake_prev_param_3,\n"
    ".param .u32 ds4_fake_prev_param_4,\n"
    ".param .u32 ds4_fake_prev_param_5,\n"
    ".param .u32 ds4_fake_prev_param_6\n"
    ")\n"
    "{\n"
    ".reg .pred %p<3>;\n"
    ".reg .f32 %f<2>;\n"
    ".reg .b32 %r<15>;\n"
    ".reg .b64 %rd<29>;\n"
    "ld.param.u64 %rd6, [ds4_fake_prev_param_0];\n"
    "ld.param.u64 %rd7, [ds4_fake_prev_param_1];\n"
    "ld.param.u64 %rd8, [ds4_fake_prev_param_2];\n"
    "ld.param.u64 %rd9, [ds4_fake_prev_param_3];\n"
    "ld.param.u32 %r3, [ds4_fake_prev_param_4];\n"
    "ld.param.u32 %r5, [ds4_fake_prev_param_5];\n"
    "ld.param.u32 %r4, [ds4_fake_prev_param_6];\n"
    "mov.u32 %r6, %ctaid.x;\n"
    "mov.u32 %r7, %ntid.x;\n"
    "mov.u32 %r8, %tid.x;\n"
    "mad.lo.s32 %r1, %r6, %r7, %r8;\n"
    "setp.ge.s32 %p1, %r1, %r5;\n"
    "@%p1 bra $L__BB0_5;\n"
    "cvta.to.global.u64 %rd10, %rd7;\n"
    "div.s32 %r9, %r1, %r3;\n"
    "mul.wide.s32 %rd11, %r9, 4;\n"
    "add.s64 %rd12, %rd10, %rd11;\n"
    "ld.global.u32 %r2, [%rd12];\n"
    "cvta.to.global.u64 %rd13, %rd6;\n"
    "mul.wide.s32 %rd14, %r1, 8;\n"
    "add.s64 %rd15, %rd13, %rd14;\n"
    "cvt.s64.s32 %rd1, %r4;\n"
    "ld.global.u64 %rd16, [%rd15];\n"
    "add.s64 %rd17, %rd1, %rd16;\n"
    "add.s64 %rd2, %rd17, -1;\n"
    "or.b64 %rd18, %rd2, %rd1;\n"
    "and.b64 %rd19, %rd18, -4294967296;\n"
    "setp.eq.s64 %p2, %rd19, 0;\n"
    "@%p2 bra $L__BB0_3;\n"
    "rem.s64 %rd28, %rd2, %rd1;\n"
    "bra.uni $L__BB0_4;\n"
    "$L__BB0_3:\n"
    "cvt.u32.u64 %r10, %rd1;\n"
    "cvt.u32.u64 %r11, %rd2;\n"
    "rem.u32 %r12, %r11, %r10;\n"
    "cvt.u64.u32 %rd28, %r12;\n"
    "$L__BB0_4:\n"
    "mul.lo.s32 %r13, %r2, %r4;\n"
    "cvt.s64.s32 %rd20, %r13;\n"
    "add.s64 %rd21, %rd28, %rd20;\n"
    "cvta.to.global.u64 %rd22, %rd8;\n"
    "shl.b64 %rd23, %rd21, 3;\n"
    "add.s64 %rd24, %rd22, %rd23;\n"
    "ld.global.f32 %f1, [%rd24];\n"
    "shl.b32 %r14, %r1, 3;\n"
    "cvta.to.global.u64 %rd25, %rd9;\n"
    "mul.wide.s32 %rd26, %r14, 4;\n"
    "add.s64 %rd27, %rd25, %rd26;\n"
    "st.global.f32 [%rd27+16], %f1;\n"
    "$L__BB0_5:\n"
    "ret;\n"
    "}\n"
    ".visible .entry ds4_fake_rows(\n"
    ".param .u64 ds4_fake_rows_param_0,\n"
    ".param .u64 ds4_fake_rows_param_1,\n"
    ".param .u64 ds4_fake_rows_param_2,\n"
    ".param .u64 ds4_fake_rows_param_3,\n"
    ".param .u64 ds4_fake_rows_param_4,\n"
    ".param .u64 ds4_fake_rows_param_5,\n"
    ".param .u32 ds4_fake_rows_param_6,\n"
    ".param .u32 ds4_fake_rows_param_7,\n"
    ".param .u32 ds4_fake_rows_param_8\n"
    ")\n"
    "{\n"
    ".reg .pred %p<3>;\n"
    ".reg .b16 %rs<3>;\n"
    ".reg .f32 %f<7>;\n"
    ".reg .b32 %r<16>;\n"
    ".reg .b64 %rd<36>;\n"
    "ld.param.u64 %rd6, [ds4_fake_rows_param_0];\n"
    "ld.param.u64 %rd7, [ds4_fake_rows_param_1];\n"
    "ld.param.u64 %rd8, [ds4_fake_rows_param_2];\n"
    "ld.param.u64 %rd9, [ds4_fake_rows_param_3];\n"
    "ld.param.u64 %rd10, [ds4_fake_rows_param_4];\n"
    "ld.param.u64 %rd11, [ds4_fake_rows_param_5];\n"
    "ld.param.u32 %r3, [ds4_fake_rows_param_6];\n"
    "ld.param.u32 %r5, [ds4_fake_rows_param_7];\n"
    "ld.param.u32 %r4, [ds4_fake_rows_param_8];\n"
    "mov.u32 %r6, %ntid.x;\n"
    "mov.u32 %r7, %ctaid.x;\n"
    "mov.u32 %r8, %tid.x;\n"
    "mad.lo.s32 %r1, %r7, %r6, %r8;\n"
    "setp.ge.s32 %p1, %r1, %r5;\n"
    "@%p1 bra $L__BB1_5;\n"
    "cvta.to.global.u64 %rd12, %rd6;\n"
    "mul.wide.s32 %rd13, %r1, 4;\n"
    "add.s64 %rd14, %rd12, %rd13;\n"
    "ld.global.u32 %r9, [%rd14];\n"
    "cvta.to.global.u64 %rd15, %rd7;\n"
    "mul.wide.s32 %rd16, %r1, 8;\n"
    "add.s64 %rd17, %rd15, %rd16;\n"
    "div.s32 %r10, %r1, %r3;\n"
    "cvta.to.global.u64 %rd18, %rd8;\n"
    "mul.wide.s32 %rd19, %r10, 4;\n"
    "add.s64 %rd20, %rd18, %rd19;\n"
    "ld.global.u32 %r2, [%rd20];\n"
    "ld.global.u64 %rd1, [%rd17];\n"
    "cvt.rn.f32.s64 %f2, %rd1;\n"
    "shl.b32 %r11, %r1, 3;\n"
    "cvta.to.global.u64 %rd21, %rd11;\n"
    "mul.wide.s32 %rd22, %r11, 4;\n"
    "add.s64 %rd23, %rd21, %rd22;\n"
    "st.global.f32 [%rd23], %f2;\n"
    "cvt.rn.f32.s32 %f3, %r2;\n"
    "st.global.f32 [%rd23+4], %f3;\n"
    "cvt.rn.f32.s32 %f1, %r9;\n"
    "st.global.f32 [%rd23+8], %f1;\n"
    "cvt.s64.s32 %rd24, %r9;\n"
    "cvta.to.global.u64 %rd25, %rd9;\n"
    "add.s64 %rd26, %rd25, %rd24;\n"
    "ld.global.u8 %rs1, [%rd26];\n"
    "cvt.rn.f32.u16 %f4, %rs1;\n"
    "st.global.f32 [%rd23+12], %f4;\n"
    "ld.global.u8 %rs2, [%rd26+128];\n"
    "cvt.rn.f32.u16 %f5, %rs2;\n"
    "st.global.f32 [%rd23+24], %f5;\n"
    "cvt.s64.s32 %rd2, %r4;\n"
    "or.b64 %rd27, %rd1, %rd2;\n"
    "and.b64 %rd28, %rd27, -4294967296;\n"
    "setp.eq.s64 %p2, %rd28, 0;\n"
    "@%p2 bra $L__BB1_3;\n"
    "rem.s64 %rd35, %rd1, %rd2;\n"
    "bra.uni $L__BB1_4;\n"
    "$L__BB1_3:\n"
    "cvt.u32.u64 %r12, %rd2;\n"
    "cvt.u32.u64 %r13, %rd1;\n"
    "rem.u32 %r14, %r13, %r12;\n"
    "cvt.u64.u32 %rd35, %r14;\n"
    "$L__BB1_4:\n"
    "mul.lo.s32 %r15, %r2, %r4;\n"
    "cvt.s64.s32 %rd29, %r15;\n"
    "add.s64 %rd30, %rd35, %rd29;\n"
    "cvta.to.global.u64 %rd31, %rd10;\n"
    "shl.b64 %rd32, %rd30, 3;\n"
    "add.s64 %rd33, %rd31, %rd32;\n"
    "st.global.f32 [%rd33], %f1;\n"
    "add.s64 %rd34, %rd1, 1;\n"
    "cvt.rn.f32.s64 %f6, %rd34;\n"
    "st.global.f32 [%rd33+4], %f6;\n"
    "$L__BB1_5:\n"
    "ret;\n"
    "}\n"
    ".visible .entry ds4_fake_emit(\n"
    ".param .u64 ds4_fake_emit_param_0,\n"
    ".param .u64 ds4_fake_emit_param_1,\n"
    ".param .u64 ds4_fake_emit_param_2,\n"
    ".param .u32 ds4_fake_emit_param_3,\n"
    ".param .u32 ds4_fake_emit_param_4\n"
    ")\n"
    "{\n"
    ".reg .pred %p<4>;\n"
    ".reg .f32 %f<7>;\n"
    ".reg .b32 %r<14>;\n"
    ".reg .b64 %rd<13>;\n"
    "ld.param.u64 %rd1, [ds4_fake_emit_param_0];\n"
    "ld.param.u64 %rd2, [ds4_fake_emit_param_1];\n"
    "ld.param.u64 %rd3, [ds4_fake_emit_param_2];\n"
    "ld.param.u32 %r5, [ds4_fake_emit_param_3];\n"
    "ld.param.u32 %r4, [ds4_fake_emit_param_4];\n"
    "mov.u32 %r6, %ntid.x;\n"
    "mov.u32 %r7, %ctaid.x;\n"
    "mov.u32 %r8, %tid.x;\n"
    "mad.lo.s32 %r1, %r7, %r6, %r8;\n"
    "mul.lo.s32 %r9, %r4, %r5;\n"
    "setp.ge.s32 %p1, %r1, %r9;\n"
    "@%p1 bra $L__BB2_7;\n"
    "div.s32 %r2, %r1, %r4;\n"
    "mul.lo.s32 %r10, %r2, %r4;\n"
    "sub.s32 %r3, %r1, %r10;\n"
    "setp.lt.s32 %p2, %r3, 7;\n"
    "@%p2 bra $L__BB2_5;\n"
    "bra.uni $L__BB2_2;\n"
    "$L__BB2_5:\n"
    "shl.b32 %r12, %r2, 3;\n"
    "add.s32 %r13, %r12, %r3;\n"
    "cvta.to.global.u64 %rd7, %rd1;\n"
    "mul.wide.s32 %rd8, %r13, 4;\n"
    "add.s64 %rd9, %rd7, %rd8;\n"
    "ld.global.f32 %f6, [%rd9];\n"
    "bra.uni $L__BB2_6;\n"
    "$L__BB2_2:\n"
    "setp.eq.s32 %p3, %r3, 7;\n"
    "@%p3 bra $L__BB2_4;\n"
    "bra.uni $L__BB2_3;\n"
    "$L__BB2_4:\n"
    "shl.b32 %r11, %r2, 3;\n"
    "cvta.to.global.u64 %rd4, %rd2;\n"
    "mul.wide.s32 %rd5, %r11, 4;\n"
    "add.s64 %rd6, %rd4, %rd5;\n"
    "ld.global.f32 %f6, [%rd6];\n"
    "bra.uni $L__BB2_6;\n"
    "$L__BB2_3:\n"
    "cvt.rn.f32.s32 %f5, %r3;\n"
    "mul.f32 %f6, %f5, 0f3F000000;\n"
    "$L__BB2_6:\n"
    "cvta.to.global.u64 %rd10, %rd3;\n"
    "mul.wide.s32 %rd11, %r1, 4;\n"
    "add.s64 %rd12, %rd10, %rd11;\n"
    "st.global.f32 [%rd12], %f6;\n"
    "$L__BB2_7:\n"
    "ret;\n"
    "}\n"
    ;

static void *gModule, *gPrev, *gRows, *gEmit;
static int gGrowingCalls;

void ds4_gpu_host_init(void) {
  gModule = ABI(mgpuModuleLoadJIT)((void *)kPtx, 2);
  gPrev = ABI(mgpuModuleGetFunction)(gModule, "ds4_fake_prev");
  gRows = ABI(mgpuModuleGetFunction)(gModule, "ds4_fake_rows");
  gEmit = ABI(mgpuModuleGetFunction)(gModule, "ds4_fake_emit");
}

void ds4_gpu_host_fini(void) {
  if (gModule)
    ABI(mgpuModuleUnload)(gModule);
  gModule = gPrev = gRows = gEmit = NULL;
}

static intptr_t blocks(int64_t threads) { return (intptr_t)((threads + 127) / 128); }

static void run(void **args, uint64_t extraBytes) {
  const Ref2 *tokens = (const Ref2 *)args[0];
  const Ref2 *positions = (const Ref2 *)args[1];
  const Ref1 *slots = (const Ref1 *)args[2];
  const Ref3 *window = (const Ref3 *)args[3];
  const Ref1 *arena = (const Ref1 *)args[4];
  const Ref3 *logits = (const Ref3 *)args[5];
  int32_t count = (int32_t)tokens->sizes[1];
  int32_t n = (int32_t)(tokens->sizes[0] * tokens->sizes[1]);
  int32_t vocab = (int32_t)logits->sizes[2];
  int32_t rows = (int32_t)window->sizes[1];
  int32_t total = n * vocab;
  void *tok = tokens->aligned, *pos = positions->aligned, *slt = slots->aligned;
  void *win = window->aligned, *weights = arena->aligned, *out = logits->aligned;

  void *stream = ABI(mgpuStreamCreate)();
  void *extra = extraBytes ? ABI(mgpuMemAlloc)(extraBytes, stream, false) : NULL;
  uint64_t bytes = (uint64_t)n * 8 * sizeof(float);
  void *scratch = ABI(mgpuMemAlloc)(bytes, stream, false);
  void *ones = ABI(mgpuMemAlloc)(bytes, stream, false);
  void *copy = ABI(mgpuMemAlloc)(bytes, stream, false);
  float seven = 7.0f;
  uint32_t sevenBits;
  memcpy(&sevenBits, &seven, 4);
  ABI(mgpuMemset32)(scratch, sevenBits, (uint64_t)n * 8, stream);
  ABI(mgpuMemset16)(ones, 0x3f80, (uint64_t)n * 16, stream);

  void *prevArgs[] = {&pos, &slt, &win, &scratch, &count, &n, &rows};
  ABI(mgpuLaunchKernel)(gPrev, blocks(n), 1, 1, 128, 1, 1, 0, stream, prevArgs, NULL, 7);
  void *rowArgs[] = {&tok, &pos, &slt, &weights, &win, &scratch, &count, &n, &rows};
  ABI(mgpuLaunchKernel)(gRows, blocks(n), 1, 1, 128, 1, 1, 0, stream, rowArgs, NULL, 9);
  ABI(mgpuMemcpy)(copy, scratch, bytes, stream);
  ABI(mgpuMemFree)(scratch, stream);
  void *emitArgs[] = {&copy, &ones, &out, &n, &vocab};
  ABI(mgpuLaunchKernel)(gEmit, blocks(total), 1, 1, 128, 1, 1, 0, stream, emitArgs, NULL, 5);
  ABI(mgpuMemFree)(ones, stream);
  ABI(mgpuMemFree)(copy, stream);
  if (extra)
    ABI(mgpuMemFree)(extra, stream);
  ABI(mgpuStreamSynchronize)(stream);
  ABI(mgpuStreamDestroy)(stream);
}

void ds4_entry_prefill(void **args) { run(args, 0); }
void ds4_entry_decode(void **args) { run(args, 0); }
void ds4_fake_growing(void **args) { run(args, (uint64_t)++gGrowingCalls << 23); }

/* Mistakes the runtime must report, each naming the mgpu call. */
void ds4_fake_null_function(void **args) {
  (void)args;
  ABI(mgpuLaunchKernel)(NULL, 1, 1, 1, 1, 1, 1, 0, ABI(mgpuStreamCreate)(), NULL, NULL, 0);
}
void ds4_fake_zero_grid(void **args) {
  (void)args;
  ABI(mgpuLaunchKernel)(gEmit, 0, 1, 1, 128, 1, 1, 0, ABI(mgpuStreamCreate)(), NULL, NULL, 0);
}
void ds4_fake_bad_free(void **args) {
  int local;
  (void)args;
  ABI(mgpuMemFree)(&local, ABI(mgpuStreamCreate)());
}

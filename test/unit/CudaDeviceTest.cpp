// Tests of the cuda device's host ABI (runtime/session/cuda/GpuHostAbi.h) and its pieces on
// a device: PTX loaded and launched through the mgpu* table functions, a two-launch CUDA graph
// captured and replayed, activation arena addresses that repeat on the device, profiling
// events, and every error recorded with the failing call (the first one wins, later calls do
// nothing). Each test runs on the host-emulated driver and, where there is one, on the GPU.
#include "CudaTestSupport.h"

#include "ds4/gpu_host_abi.h"
#include "runtime/session/cuda/CudaContext.h"
#include "runtime/session/cuda/DeviceArena.h"
#include "runtime/session/cuda/GpuExecution.h"
#include "runtime/session/cuda/GpuHostAbi.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

using namespace ds4;
using namespace ds4::session;
using namespace ds4::session::cuda;
using namespace ds4::test;

namespace {

// nvcc -arch=sm_90a -ptx of (comments removed, `.version 7.8 / .target sm_90`):
//   extern "C" __global__ void ds4_test_iota(unsigned *out, unsigned n) {
//     unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
//     if (i < n) out[i] = i;
//   }
//   extern "C" __global__ void ds4_test_add(unsigned *out, const unsigned *in, unsigned add,
//                                           unsigned n) {
//     unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
//     if (i < n) out[i] = in[i] + add;
//   }
const char kTestPtx[] =
    ".version 7.8\n"
    ".target sm_90\n"
    ".address_size 64\n"
    ".visible .entry ds4_test_iota(\n"
    ".param .u64 ds4_test_iota_param_0,\n"
    ".param .u32 ds4_test_iota_param_1\n"
    ")\n"
    "{\n"
    ".reg .pred %p<2>;\n"
    ".reg .b32 %r<6>;\n"
    ".reg .b64 %rd<5>;\n"
    "ld.param.u64 %rd1, [ds4_test_iota_param_0];\n"
    "ld.param.u32 %r2, [ds4_test_iota_param_1];\n"
    "mov.u32 %r3, %ctaid.x;\n"
    "mov.u32 %r4, %ntid.x;\n"
    "mov.u32 %r5, %tid.x;\n"
    "mad.lo.s32 %r1, %r3, %r4, %r5;\n"
    "setp.ge.u32 %p1, %r1, %r2;\n"
    "@%p1 bra $L__BB0_2;\n"
    "cvta.to.global.u64 %rd2, %rd1;\n"
    "mul.wide.u32 %rd3, %r1, 4;\n"
    "add.s64 %rd4, %rd2, %rd3;\n"
    "st.global.u32 [%rd4], %r1;\n"
    "$L__BB0_2:\n"
    "ret;\n"
    "}\n"
    ".visible .entry ds4_test_add(\n"
    ".param .u64 ds4_test_add_param_0,\n"
    ".param .u64 ds4_test_add_param_1,\n"
    ".param .u32 ds4_test_add_param_2,\n"
    ".param .u32 ds4_test_add_param_3\n"
    ")\n"
    "{\n"
    ".reg .pred %p<2>;\n"
    ".reg .b32 %r<9>;\n"
    ".reg .b64 %rd<8>;\n"
    "ld.param.u64 %rd1, [ds4_test_add_param_0];\n"
    "ld.param.u64 %rd2, [ds4_test_add_param_1];\n"
    "ld.param.u32 %r2, [ds4_test_add_param_2];\n"
    "ld.param.u32 %r3, [ds4_test_add_param_3];\n"
    "mov.u32 %r4, %ctaid.x;\n"
    "mov.u32 %r5, %ntid.x;\n"
    "mov.u32 %r6, %tid.x;\n"
    "mad.lo.s32 %r1, %r4, %r5, %r6;\n"
    "setp.ge.u32 %p1, %r1, %r3;\n"
    "@%p1 bra $L__BB1_2;\n"
    "cvta.to.global.u64 %rd3, %rd2;\n"
    "mul.wide.u32 %rd4, %r1, 4;\n"
    "add.s64 %rd5, %rd3, %rd4;\n"
    "ld.global.u32 %r7, [%rd5];\n"
    "add.s32 %r8, %r7, %r2;\n"
    "cvta.to.global.u64 %rd6, %rd1;\n"
    "add.s64 %rd7, %rd6, %rd4;\n"
    "st.global.u32 [%rd7], %r8;\n"
    "$L__BB1_2:\n"
    "ret;\n"
    "}\n"
    ;

// The table's functions, called as a host plan calls them.
#define DS4_TEST_TYPEDEF(name, ret, params) using name##_fn = ret(*) params;
DS4_GPU_HOST_ABI_FUNCTIONS(DS4_TEST_TYPEDEF)
#undef DS4_TEST_TYPEDEF
#define ABI(name) reinterpret_cast<name##_fn>(table_[ds4_gpu_host_abi_##name])

constexpr uint64_t kMiB = uint64_t(1) << 20;

class CudaDeviceTest : public CudaDriverTest {
protected:
  void SetUp() override {
    CudaDriverTest::SetUp();
    if (IsSkipped())
      return;
    fillGpuHostAbi(table_);
    auto c = CudaContext::create(driver());
    ASSERT_TRUE(c.ok()) << c.status().message();
    context_ = std::move(*c);
    execution_ = std::make_unique<GpuExecution>(driver(), context_->stream(),
                                                context_->maxSharedOptin());
    arena_ = std::make_unique<DeviceArena>(
        "test arena", [this](uint64_t b) { return context_->allocateRaw(b); },
        [this](uint64_t a) { context_->freeRaw(a); }, kMiB);
    ASSERT_TRUE(arena_->reset().ok());
    execution_->setArena(arena_.get());
  }
  void TearDown() override {
    if (context_)
      (void)context_->makeCurrent();
    arena_.reset();
    execution_.reset();
    context_.reset();
    CudaDriverTest::TearDown();
  }

  /// Loads kTestPtx and looks up both kernels; false on failure.
  bool loadTestModule() {
    module_ = ABI(mgpuModuleLoadJIT)(const_cast<char *>(kTestPtx), 2);
    iota_ = ABI(mgpuModuleGetFunction)(module_, "ds4_test_iota");
    add_ = ABI(mgpuModuleGetFunction)(module_, "ds4_test_add");
    EXPECT_FALSE(execution_->failed()) << execution_->error();
    return !execution_->failed();
  }
  void launch(void *function, uint32_t n, std::vector<void *> params) {
    ABI(mgpuLaunchKernel)(function, (n + 127) / 128, 1, 1, 128, 1, 1, 0, ABI(mgpuStreamCreate)(),
                          params.data(), nullptr, params.size());
  }
  std::vector<uint32_t> download(void *device, size_t n) {
    std::vector<uint32_t> host(n);
    CUdeviceptr from = CUdeviceptr(uintptr_t(device));
    Status s = driver().check(
        driver().cuMemcpyDtoHAsync(host.data(), from, n * 4, context_->stream()),
        "cuMemcpyDtoHAsync");
    if (s.ok())
      s = context_->synchronize();
    EXPECT_TRUE(s.ok()) << s.message();
    return host;
  }

  void *table_[DS4_GPU_HOST_ABI_COUNT] = {};
  std::unique_ptr<CudaContext> context_;
  std::unique_ptr<GpuExecution> execution_;
  std::unique_ptr<DeviceArena> arena_;
  void *module_ = nullptr, *iota_ = nullptr, *add_ = nullptr;
};

TEST_P(CudaDeviceTest, LaunchesPtxThroughTheTable) {
  ActiveExecution active(*execution_);
  ASSERT_TRUE(loadTestModule());
  EXPECT_EQ(execution_->loadedModules(), 1u);
  EXPECT_EQ(ABI(mgpuStreamCreate)(), static_cast<void *>(context_->stream()))
      << "every stream is the session's";
  uint32_t n = 1000;
  void *out = ABI(mgpuMemAlloc)(n * 4, nullptr, false);
  ASSERT_NE(out, nullptr) << execution_->error();
  ABI(mgpuMemset32)(out, 0xffffffffu, n, nullptr);
  uint32_t written = n - 1; // the last word keeps the memset value
  launch(iota_, written, {&out, &written});
  // A second block copied from the first, and a third filled with 16-bit halves.
  void *copy = ABI(mgpuMemAlloc)(1000 * 4, nullptr, false);
  ABI(mgpuMemcpy)(copy, out, 1000 * 4, nullptr);
  void *halves = ABI(mgpuMemAlloc)(64, nullptr, false);
  ABI(mgpuMemset16)(halves, 0x1234, 32, nullptr);
  ASSERT_FALSE(execution_->failed()) << execution_->error();
  std::vector<uint32_t> host = download(copy, 1000);
  for (uint32_t i = 0; i < 999; ++i)
    ASSERT_EQ(host[i], i) << "at " << i;
  EXPECT_EQ(host[999], 0xffffffffu);
  EXPECT_EQ(download(halves, 16), std::vector<uint32_t>(16, 0x12341234u));
  ABI(mgpuMemFree)(out, nullptr);
  ABI(mgpuMemFree)(copy, nullptr);
  ABI(mgpuMemFree)(halves, nullptr);
  EXPECT_EQ(arena_->liveBlocks(), 0u);
  ABI(mgpuStreamSynchronize)(nullptr); // no-ops
  ABI(mgpuStreamDestroy)(nullptr);
  ABI(mgpuModuleUnload)(module_);
  EXPECT_FALSE(execution_->failed()) << execution_->error();
  EXPECT_EQ(execution_->loadedModules(), 0u);
}

TEST_P(CudaDeviceTest, GraphOfTwoLaunchesReplays) {
  ActiveExecution active(*execution_);
  ASSERT_TRUE(loadTestModule());
  uint32_t n = 300;
  void *a = ABI(mgpuMemAlloc)(n * 4, nullptr, false);
  void *b = ABI(mgpuMemAlloc)(n * 4, nullptr, false);
  launch(iota_, n, {&a, &n}); // a = i
  ASSERT_TRUE(context_->synchronize().ok());
  const CudaDriver &d = driver();
  CUstream stream = context_->stream();
  ASSERT_EQ(d.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), CUDA_SUCCESS);
  uint32_t one = 1, ten = 10;
  launch(add_, n, {&b, &a, &one, &n}); // b = a + 1
  launch(add_, n, {&a, &b, &ten, &n}); // a = b + 10
  CUgraph graph = nullptr;
  ASSERT_EQ(d.cuStreamEndCapture(stream, &graph), CUDA_SUCCESS);
  ASSERT_FALSE(execution_->failed()) << execution_->error();
  // Capturing ran nothing.
  EXPECT_EQ(download(a, 3), (std::vector<uint32_t>{0, 1, 2}));
  CUgraphExec exec = nullptr;
  ASSERT_EQ(d.cuGraphInstantiateWithFlags(&exec, graph, 0), CUDA_SUCCESS);
  d.cuGraphDestroy(graph);
  for (uint32_t replay = 1; replay <= 2; ++replay) {
    ASSERT_EQ(d.cuGraphLaunch(exec, stream), CUDA_SUCCESS);
    std::vector<uint32_t> ha = download(a, n), hb = download(b, n);
    for (uint32_t i = 0; i < n; ++i) {
      ASSERT_EQ(hb[i], i + 11 * replay - 10) << "replay " << replay << " at " << i;
      ASSERT_EQ(ha[i], i + 11 * replay) << "replay " << replay << " at " << i;
    }
  }
  d.cuGraphExecDestroy(exec);
  ABI(mgpuMemFree)(a, nullptr);
  ABI(mgpuMemFree)(b, nullptr);
  ABI(mgpuModuleUnload)(module_);
}

TEST_P(CudaDeviceTest, ArenaAddressesRepeatOnTheDevice) {
  ActiveExecution active(*execution_);
  ASSERT_TRUE(loadTestModule());
  // Grows past its 1 MiB in the first call, then every call gets the same addresses, and
  // they are device memory a kernel can write.
  std::vector<uint32_t> sizes = {1000, 300000, 5, 400000, 77777};
  std::vector<uint64_t> first;
  for (int call = 0; call < 4; ++call) {
    ASSERT_TRUE(arena_->reset().ok());
    std::vector<uint64_t> addresses;
    std::vector<void *> blocks;
    for (uint32_t n : sizes) {
      void *p = ABI(mgpuMemAlloc)(uint64_t(n) * 4, nullptr, false);
      ASSERT_NE(p, nullptr) << execution_->error();
      launch(iota_, n, {&p, &n});
      blocks.push_back(p);
      addresses.push_back(uint64_t(reinterpret_cast<uintptr_t>(p)));
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      std::vector<uint32_t> host = download(blocks[i], sizes[i]);
      ASSERT_EQ(host.back(), sizes[i] - 1) << "block " << i << " of call " << call;
    }
    for (void *p : blocks)
      ABI(mgpuMemFree)(p, nullptr);
    if (call == 0) {
      EXPECT_GT(arena_->overflowBlocks(), 0u) << "3.1 MB do not fit in 1 MiB";
    } else if (call == 1) {
      first = addresses;
      EXPECT_EQ(arena_->growths(), 1);
    } else {
      EXPECT_EQ(addresses, first) << "call " << call;
    }
  }
  EXPECT_EQ(arena_->capacity(), 3 * kMiB);
  ABI(mgpuModuleUnload)(module_);
  EXPECT_FALSE(execution_->failed()) << execution_->error();
}

TEST_P(CudaDeviceTest, ProfilesEachLaunch) {
  ActiveExecution active(*execution_);
  ASSERT_TRUE(loadTestModule());
  execution_->setProfiling(true);
  uint32_t n = 4096;
  void *a = ABI(mgpuMemAlloc)(n * 4, nullptr, false);
  uint32_t one = 1;
  launch(iota_, n, {&a, &n});
  launch(add_, n, {&a, &a, &one, &n});
  launch(add_, n, {&a, &a, &one, &n});
  ASSERT_TRUE(context_->synchronize().ok());
  Expected<std::vector<KernelTiming>> k = execution_->takeKernelTimings();
  ASSERT_TRUE(k.ok()) << k.status().message();
  ASSERT_EQ(k->size(), 2u);
  EXPECT_EQ((*k)[0].name, "ds4_test_iota");
  EXPECT_EQ((*k)[0].launches, 1);
  EXPECT_EQ((*k)[1].name, "ds4_test_add");
  EXPECT_EQ((*k)[1].launches, 2);
  EXPECT_GE((*k)[1].milliseconds, 0.0);
  EXPECT_TRUE(execution_->takeKernelTimings()->empty()) << "taken once";
  ABI(mgpuMemFree)(a, nullptr);
  ABI(mgpuModuleUnload)(module_);
}

TEST_P(CudaDeviceTest, FirstErrorWinsAndLaterCallsDoNothing) {
  ActiveExecution active(*execution_);
  ASSERT_TRUE(loadTestModule());
  ABI(mgpuLaunchKernel)(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  ASSERT_TRUE(execution_->failed());
  EXPECT_EQ(execution_->error(), "mgpuLaunchKernel: null kernel function (its module or lookup "
                                 "failed, or ds4_gpu_host_init was not run)");
  // Nothing happens any more, and the first error stays.
  EXPECT_EQ(ABI(mgpuMemAlloc)(16, nullptr, false), nullptr);
  EXPECT_EQ(ABI(mgpuModuleLoadJIT)(const_cast<char *>("junk"), 0), nullptr);
  EXPECT_EQ(arena_->liveBlocks(), 0u);
  EXPECT_CONTAINS(execution_->error(), "null kernel function");

  auto fails = [&](const std::function<void()> &call, const std::string &message) {
    execution_->clearError();
    call();
    EXPECT_TRUE(execution_->failed()) << "no error for " << message;
    EXPECT_CONTAINS(execution_->error(), message);
  };
  uint32_t n = 1;
  void *out = nullptr;
  fails([&] { launch(iota_, 0, {&out, &n}); },
        "mgpuLaunchKernel('ds4_test_iota'): grid 0x1x1, block 128x1x1: every dimension must "
        "be at least 1");
  fails([&] {
    ABI(mgpuLaunchKernel)(iota_, 1, 1, 1, 1, 1, 1, -4, nullptr, nullptr, nullptr, 0);
  },
        "mgpuLaunchKernel('ds4_test_iota'): negative shared memory size -4");
  fails([&] {
    ABI(mgpuLaunchKernel)(iota_, 1, 1, 1, 32, 1, 1, 1 << 20, nullptr, nullptr, nullptr, 0);
  },
        "mgpuLaunchKernel('ds4_test_iota'): 1048576 bytes of dynamic shared memory exceed the "
        "device's");
  fails([&] { ABI(mgpuMemAlloc)(64, nullptr, true); },
        "mgpuMemAlloc(64 bytes): host-shared memory is not supported");
  fails([&] {
    int local;
    ABI(mgpuMemFree)(&local, nullptr);
  },
        "mgpuMemFree: test arena: freeing 0x");
  fails([&] { ABI(mgpuModuleLoadJIT)(const_cast<char *>("this is not PTX"), 2); },
        "mgpuModuleLoadJIT: cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_");
  fails([&] { ABI(mgpuModuleGetFunction)(module_, "no_such_kernel"); },
        "mgpuModuleGetFunction('no_such_kernel'): cuModuleGetFunction failed: "
        "CUDA_ERROR_NOT_FOUND");
  fails([&] { ABI(mgpuModuleGetFunction)(nullptr, "ds4_test_iota"); },
        "mgpuModuleGetFunction('ds4_test_iota'): no module (did its load fail?)");
  fails([&] {
    int local;
    ABI(mgpuModuleUnload)(&local);
  },
        "mgpuModuleUnload: module 0x");
  execution_->setArena(nullptr);
  fails([&] { ABI(mgpuMemAlloc)(64, nullptr, false); },
        "mgpuMemAlloc(64 bytes): no activation arena (called outside an entry call");
  execution_->setArena(arena_.get());
  execution_->clearError();
  (void)context_->synchronize();
  ABI(mgpuModuleUnload)(module_);
  EXPECT_FALSE(execution_->failed()) << execution_->error();
}

// Failures only the emulated driver can produce.
class FakeCudaDeviceTest : public CudaDeviceTest {};

TEST_P(FakeCudaDeviceTest, DriverFailuresNameTheCall) {
  ActiveExecution active(*execution_);
  ASSERT_TRUE(loadTestModule());
  uint32_t n = 8;
  void *out = ABI(mgpuMemAlloc)(n * 4, nullptr, false);
  fake_->failNext("cuLaunchKernel", CUDA_ERROR_LAUNCH_FAILED);
  launch(iota_, n, {&out, &n});
  EXPECT_EQ(execution_->error(), "mgpuLaunchKernel('ds4_test_iota'): cuLaunchKernel failed: "
                                 "CUDA_ERROR_LAUNCH_FAILED (fake driver error)");
  execution_->clearError();
  fake_->failNext("cuMemsetD32Async", CUDA_ERROR_INVALID_VALUE);
  ABI(mgpuMemset32)(out, 0, n, nullptr);
  EXPECT_EQ(execution_->error(), "mgpuMemset32(8 words): cuMemsetD32Async failed: "
                                 "CUDA_ERROR_INVALID_VALUE (fake driver error)");
  execution_->clearError();
  ABI(mgpuModuleUnload)(module_);
}

TEST(CudaHostAbiTest, CallsWithoutASessionDoNothing) {
  void *table_[DS4_GPU_HOST_ABI_COUNT] = {};
  fillGpuHostAbi(table_);
  for (int i = 0; i < DS4_GPU_HOST_ABI_COUNT; ++i)
    EXPECT_NE(table_[i], nullptr) << "entry " << i;
  EXPECT_EQ(table_[ds4_gpu_host_abi_mgpuMemAlloc],
            gpuHostAbiFunction(ds4_gpu_host_abi_mgpuMemAlloc));
  ASSERT_EQ(currentExecution(), nullptr);
  EXPECT_EQ(ABI(mgpuStreamCreate)(), nullptr);
  EXPECT_EQ(ABI(mgpuMemAlloc)(16, nullptr, false), nullptr);
  EXPECT_EQ(ABI(mgpuModuleLoadJIT)(const_cast<char *>(kTestPtx), 2), nullptr);
  ABI(mgpuLaunchKernel)(nullptr, 0, 0, 0, 0, 0, 0, 0, nullptr, nullptr, nullptr, 0);
  ABI(mgpuMemFree)(reinterpret_cast<void *>(64), nullptr);
}

DS4_CUDA_DRIVER_TESTS(CudaDeviceTest);
DS4_FAKE_CUDA_DRIVER_TESTS(FakeCudaDeviceTest);

} // namespace

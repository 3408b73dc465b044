// Tests of Session on the cuda device with the fake GPU host plan (FakeGpuHostPlan.c): host
// plan binding (exports, ABI version), weights uploaded in their packed layouts, state on the
// device across calls and reset, decode steps as CUDA graphs (warm-up, capture, replay with new
// inputs; fallbacks when a capture fails), profiling, errors naming the failing mgpu call with
// the session left unchanged, and everything released at the end. Each test runs on the
// host-emulated driver and, where there is one, on the GPU.
#include "CudaTestSupport.h"
#include "TestArtifacts.h"

#include "ds4/ds4.h"
#include "runtime/session/Session.h"
#include "runtime/session/SyntheticState.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace ds4;
using namespace ds4::session;
using namespace ds4::test;
namespace fb = ds4::artifact;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kVocab = 16;

TestModel gpuModel(std::vector<uint8_t> plan, const std::string &prefill = "ds4_entry_prefill",
                   const std::string &decode = "ds4_entry_decode") {
  return fakeGpuModel(std::move(plan), prefill, decode);
}

class CudaSessionTest : public CudaDriverTest {
protected:
  void SetUp() override {
    CudaDriverTest::SetUp();
    if (IsSkipped())
      return;
    std::string pattern = ::testing::TempDir() + "ds4-cuda-session-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    ASSERT_NE(::mkdtemp(buffer.data()), nullptr);
    dir_ = buffer.data();
    plan_ = readFile(DS4_FAKE_GPU_PLAN_PATH);
    ASSERT_GT(plan_.size(), 64u) << "fake GPU host plan not found at " << DS4_FAKE_GPU_PLAN_PATH;
    artifact_ = writeArtifact("gpu.ds4", gpuModel(plan_));
    weights_ = dir_ + "/model.safetensors";
    Status s = writeFakeCheckpoint(weights_);
    ASSERT_TRUE(s.ok()) << s.message();
    bias_ = expectedFakeBuffer("bias");
    experts_ = expectedFakeBuffer("experts.*.w.weight");
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty())
      fs::remove_all(dir_, ec);
    CudaDriverTest::TearDown();
  }

  std::string writeArtifact(const std::string &name, const TestModel &m) {
    std::string p = dir_ + "/" + name;
    EXPECT_TRUE(writeFile(p, buildArtifact(m)));
    return p;
  }
  static SessionOptions cuda() {
    SessionOptions o;
    o.device = Device::cuda;
    return o;
  }
  std::unique_ptr<Session> open(const SessionOptions &o = cuda(), std::string artifact = "") {
    auto s = Session::create(artifact.empty() ? artifact_ : artifact, weights_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string createError(const std::string &artifact, const SessionOptions &o = cuda()) {
    auto s = Session::create(artifact, weights_, o);
    EXPECT_FALSE(s.ok());
    return s.ok() ? "" : s.status().message();
  }

  /// Checks one row of the fake plan's logits.
  void expectRow(const float *row, int64_t position, int64_t slot, int32_t token,
                 int32_t previous) {
    EXPECT_EQ(row[0], float(position));
    EXPECT_EQ(row[1], float(slot));
    EXPECT_EQ(row[2], float(token));
    EXPECT_EQ(row[3], float(bias_[size_t(token)])) << "weights arena byte " << token;
    EXPECT_EQ(row[4], float(previous)) << "the slot's previous token (state)";
    EXPECT_EQ(row[5], 7.0f) << "mgpuMemset32";
    EXPECT_EQ(row[6], float(experts_[size_t(token)])) << "the fp4 weight at arena offset 128";
    uint32_t bits;
    std::memcpy(&bits, &row[7], 4);
    EXPECT_EQ(bits, 0x3f803f80u) << "mgpuMemset16";
    for (int v = 8; v < kVocab; ++v)
      EXPECT_EQ(row[v], 0.5f * float(v));
  }

  /// Fake driver: nothing of the session is left.
  void expectReleased() {
    if (!fake())
      return;
    EXPECT_TRUE(fake_->allocations.empty()) << fake_->allocations.size() << " allocations";
    EXPECT_TRUE(fake_->modules.empty()) << "ds4_gpu_host_fini did not run";
    EXPECT_TRUE(fake_->events.empty());
    EXPECT_TRUE(fake_->graphs.empty());
    EXPECT_TRUE(fake_->graphExecs.empty());
    EXPECT_TRUE(fake_->streams.empty());
    EXPECT_EQ(fake_->retained, 0);
  }

  std::string dir_, artifact_, weights_;
  std::vector<uint8_t> plan_, bias_, experts_;
};

TEST_P(CudaSessionTest, PrefillDecodeAndResetOnTheDevice) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->device(), Device::cuda);
    DeviceInfo info = s->deviceInfo();
    EXPECT_FALSE(info.name.empty());
    EXPECT_GT(info.memoryBytes, 0u);
    if (fake())
      EXPECT_EQ(info.name, "Fake H200");

    std::vector<float> logits(3 * kVocab);
    std::vector<int32_t> prompt = {1, 2, 3};
    Status st = s->prefill(1, prompt.data(), 3, logits.data());
    ASSERT_TRUE(st.ok()) << st.message();
    for (int j = 0; j < 3; ++j)
      expectRow(&logits[size_t(j * kVocab)], j, 1, prompt[size_t(j)], 0);
    EXPECT_EQ(s->length(1), 3);
    StepTiming t = s->lastStep();
    EXPECT_EQ(t.entry, "prefill");
    EXPECT_EQ(t.tokens, 3);
    EXPECT_FALSE(t.graph);
    EXPECT_GE(t.milliseconds, 0.0);
    EXPECT_GE(t.wallMilliseconds, 0.0);

    // State persists on the device: decode sees the slot's last token.
    std::vector<int32_t> one = {1}, next = {9};
    Expected<std::vector<float>> step = s->decode(one, next);
    ASSERT_TRUE(step.ok()) << step.status().message();
    expectRow(step->data(), 3, 1, 9, 3);

    // A batch of two slots, each at its own position.
    ASSERT_TRUE(s->prefill(3, {5, 6}).ok());
    step = s->decode({3, 1}, {10, 11});
    ASSERT_TRUE(step.ok()) << step.status().message();
    expectRow(&(*step)[0], 2, 3, 10, 6);
    expectRow(&(*step)[kVocab], 4, 1, 11, 9);
    EXPECT_EQ(s->lastStep().batch, 2);

    // Logits not wanted.
    ASSERT_TRUE(s->prefill(0, prompt.data(), 3, nullptr).ok());
    // Longer prompts grow the prefill buffers.
    for (int n : {12, 7, 20}) {
      std::vector<int32_t> longer(static_cast<size_t>(n));
      for (int j = 0; j < n; ++j)
        longer[size_t(j)] = int32_t((j * 5) % kVocab);
      ASSERT_TRUE(s->reset(2).ok());
      Expected<std::vector<float>> rowsOut = s->prefill(2, longer);
      ASSERT_TRUE(rowsOut.ok()) << rowsOut.status().message();
      for (int j = 0; j < n; ++j)
        expectRow(&(*rowsOut)[size_t(j * kVocab)], j, 2, longer[size_t(j)], 0);
    }

    // Reset zeroes the slot's rows on the device, and only that slot's.
    ASSERT_TRUE(s->reset(1).ok());
    EXPECT_EQ(s->length(1), 0);
    step = s->decode({1, 3}, {4, 12});
    ASSERT_TRUE(step.ok()) << step.status().message();
    expectRow(&(*step)[0], 0, 1, 4, 0);
    expectRow(&(*step)[kVocab], 3, 3, 12, 10);
  }
  expectReleased();
}

TEST_P(CudaSessionTest, DecodeStepsBecomeGraphs) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->prefill(0, {1, 2}).ok());
    ASSERT_TRUE(s->prefill(2, {3}).ok());
    int32_t last0 = 2, last2 = 3;
    int64_t graphLaunches = fake() ? fake_->graphLaunches : 0;
    for (int i = 0; i < 5; ++i) {
      int32_t t0 = int32_t(4 + i), t2 = int32_t(15 - i);
      Expected<std::vector<float>> step = s->decode({0, 2}, {t0, t2});
      ASSERT_TRUE(step.ok()) << step.status().message();
      // New inputs every step: a replayed graph reads them from the same buffers.
      expectRow(&(*step)[0], 2 + i, 0, t0, last0);
      expectRow(&(*step)[kVocab], 1 + i, 2, t2, last2);
      last0 = t0;
      last2 = t2;
      EXPECT_EQ(s->lastStep().graph, i >= 1) << "step " << i << ": warm-up first, then graphs\n"
                                             << s->graphStatus();
    }
    EXPECT_CONTAINS(s->graphStatus(), "cuda graphs: on\nbatch 2: graph (captured 1 time, 3 "
                                      "replays)");
    if (fake())
      EXPECT_EQ(fake_->graphLaunches - graphLaunches, 4);

    // Another batch size has its own warm-up and graph; prefill in between changes nothing.
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(s->prefill(1, {7}).ok());
      Expected<std::vector<float>> step = s->decode({1}, {8});
      ASSERT_TRUE(step.ok()) << step.status().message();
      expectRow(step->data(), 2 * i + 1, 1, 8, 7);
      EXPECT_EQ(s->lastStep().graph, i >= 1);
    }
    ASSERT_TRUE(s->decode({0, 2}, {1, 1}).ok());
    EXPECT_TRUE(s->lastStep().graph);
    EXPECT_CONTAINS(s->graphStatus(), "batch 1: graph (captured 1 time, 1 replay)\nbatch 2: "
                                      "graph (captured 1 time, 4 replays)");

    // Profiling kernels runs decode uncaptured and names every kernel.
    s->setProfiling(true);
    EXPECT_CONTAINS(s->graphStatus(), "cuda graphs: paused while profiling kernels");
    ASSERT_TRUE(s->decode({0, 2}, {2, 2}).ok());
    StepTiming t = s->lastStep();
    EXPECT_FALSE(t.graph);
    ASSERT_EQ(t.kernels.size(), 3u);
    EXPECT_EQ(t.kernels[0].name, "ds4_fake_prev");
    EXPECT_EQ(t.kernels[1].name, "ds4_fake_rows");
    EXPECT_EQ(t.kernels[2].name, "ds4_fake_emit");
    for (const KernelTiming &k : t.kernels) {
      EXPECT_EQ(k.launches, 1);
      EXPECT_GE(k.milliseconds, 0.0);
    }
    ASSERT_TRUE(s->prefill(3, {1, 2, 3}).ok());
    EXPECT_EQ(s->lastStep().kernels.size(), 3u) << "prefill is profiled too";
    s->setProfiling(false);
    ASSERT_TRUE(s->decode({0, 2}, {3, 3}).ok());
    EXPECT_TRUE(s->lastStep().graph);
    EXPECT_TRUE(s->lastStep().kernels.empty());
  }
  expectReleased();
}

TEST_P(CudaSessionTest, WeightsOneByOne) {
  // Without a weights_arena argument each weight is its own buffer (in one device upload).
  TestModel m = gpuModel(plan_);
  m.weightArenaBytes = 0;
  for (TestEntry &e : m.entries)
    e.commands[0].args[4] = {fb::ArgKind_weight, 0}; // bias, where the plan reads arena[token]
  auto s = open(cuda(), writeArtifact("one-by-one.ds4", m));
  ASSERT_TRUE(s);
  for (int32_t token : {0, 7, 15}) {
    Expected<std::vector<float>> step = s->prefill(2, {token});
    ASSERT_TRUE(step.ok()) << step.status().message();
    EXPECT_EQ((*step)[2], float(token));
    EXPECT_EQ((*step)[3], float(bias_[size_t(token)]));
  }
}

TEST_P(CudaSessionTest, SyntheticContext) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->prefill(0, {3}).ok());
    ASSERT_TRUE(s->fillContext(1, 6, 42).ok());
    EXPECT_EQ(s->length(1), 6);
    Expected<std::vector<float>> step = s->decode({1, 0}, {9, 9});
    ASSERT_TRUE(step.ok()) << step.status().message();
    // Slot 1 continues at position 6; its window row 5 (element 10 of the slot's rows) holds
    // what the device computed, bit for bit what the host computes.
    EXPECT_EQ((*step)[0], 6.0f);
    EXPECT_EQ((*step)[4], syntheticStateValue(syntheticStateSeed(42, 0), 10));
    EXPECT_NE((*step)[4], 0.0f);
    expectRow(&(*step)[kVocab], 1, 0, 9, 3); // slot 0 untouched
    EXPECT_CONTAINS(s->fillContext(4, 1, 0).message(), "fillContext: slot 4 is out of range");
    EXPECT_CONTAINS(s->fillContext(1, 33, 0).message(),
                    "fillContext: a context of 33 tokens is out of range (maximum sequence "
                    "length 32)");
    EXPECT_EQ(s->length(1), 7);
  }
  expectReleased();
}

TEST_P(CudaSessionTest, GraphsCanBeTurnedOff) {
  SessionOptions o = cuda();
  o.cudaGraphs = false;
  auto s = open(o);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) {
    Expected<std::vector<float>> step = s->decode({0}, {int32_t(i)});
    ASSERT_TRUE(step.ok()) << step.status().message();
    expectRow(step->data(), i, 0, i, i == 0 ? 0 : i - 1);
    EXPECT_FALSE(s->lastStep().graph);
  }
  EXPECT_CONTAINS(s->graphStatus(), "cuda graphs: off (SessionOptions::cudaGraphs is false)");
}

TEST_P(CudaSessionTest, ArenaGrowsBeforeTheCapture) {
  SessionOptions o = cuda();
  o.cudaArenaBytes = 0; // the warm-up step overflows; the capture then fits
  auto s = open(o);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) {
    Expected<std::vector<float>> step = s->decode({0}, {int32_t(i + 1)});
    ASSERT_TRUE(step.ok()) << step.status().message();
    expectRow(step->data(), i, 0, i + 1, i);
    EXPECT_EQ(s->lastStep().graph, i >= 1);
  }
  EXPECT_CONTAINS(s->graphStatus(), "decode activation arena: 1048576 bytes, grew 1 time");
}

TEST_P(CudaSessionTest, CaptureThatDoesNotFitRunsUncaptured) {
  // ds4_fake_growing needs 1 MiB more every call, so no capture ever fits what the step before
  // it grew the arena to: each capture is abandoned and the step runs uncaptured, correctly.
  SessionOptions o = cuda();
  o.cudaArenaBytes = 0;
  std::string a = writeArtifact("growing.ds4", gpuModel(plan_, "ds4_entry_prefill",
                                                        "ds4_fake_growing"));
  auto s = open(o, a);
  ASSERT_TRUE(s);
  for (int i = 0; i < 4; ++i) {
    Expected<std::vector<float>> step = s->decode({1}, {int32_t(i + 2)});
    ASSERT_TRUE(step.ok()) << step.status().message();
    expectRow(step->data(), i, 1, i + 2, i == 0 ? 0 : i + 1);
    EXPECT_FALSE(s->lastStep().graph) << s->graphStatus();
  }
  EXPECT_CONTAINS(s->graphStatus(), "batch 1: warmed up: captured at the next decode step "
                                    "(mgpuMemAlloc(");
  EXPECT_CONTAINS(s->graphStatus(), "is too small while capturing a CUDA graph");
}

TEST_P(CudaSessionTest, EntryErrorsNameTheCallAndChangeNothing) {
  struct Case {
    const char *symbol;
    std::string message;
  };
  std::vector<Case> cases = {
      {"ds4_fake_null_function",
       ": entry 'prefill': mgpuLaunchKernel: null kernel function (its module or lookup "
       "failed, or ds4_gpu_host_init was not run)"},
      {"ds4_fake_zero_grid", ": entry 'prefill': mgpuLaunchKernel('ds4_fake_emit'): grid 0x1x1, "
                             "block 128x1x1: every dimension must be at least 1"},
      {"ds4_fake_bad_free",
       ": entry 'prefill': mgpuMemFree: prefill activation arena: freeing 0x"},
  };
  for (const Case &c : cases) {
    std::string a = writeArtifact(std::string(c.symbol) + ".ds4", gpuModel(plan_, c.symbol));
    auto s = open(cuda(), a);
    ASSERT_TRUE(s);
    Status st = s->prefill(0, {1, 2}).status();
    ASSERT_FALSE(st.ok()) << c.symbol;
    EXPECT_EQ(st.messages().size(), 1u);
    EXPECT_CONTAINS(st.message(), a + c.message);
    EXPECT_EQ(s->length(0), 0);
    EXPECT_EQ(s->lastStep().entry, "") << "no step succeeded";
    // The session still works.
    Expected<std::vector<float>> step = s->decode({0}, {5});
    ASSERT_TRUE(step.ok()) << step.status().message();
    expectRow(step->data(), 0, 0, 5, 0);
  }
}

TEST_P(CudaSessionTest, HostPlanBinding) {
  // A host plan of another ABI version.
  std::string v99 = writeArtifact("v99.ds4", gpuModel(readFile(DS4_FAKE_GPU_PLAN_V99_PATH)));
  EXPECT_EQ(createError(v99), v99 + ": kernel 0 'host_plan': host plan implements GPU host ABI "
                                    "version 99, but this runtime implements version 1 "
                                    "(recompile the model with a matching ds4-compile)");
  // A cpu host kernel is no host plan.
  std::string cpu = writeArtifact("cpu-kernel.ds4", gpuModel(fakeKernelBinary()));
  EXPECT_EQ(createError(cpu), cpu + ": kernel 0 'host_plan': not a GPU host plan: it does not "
                                    "export ds4_gpu_host_abi, ds4_gpu_host_abi_version, "
                                    "ds4_gpu_host_init, ds4_gpu_host_fini (see "
                                    "runtime/include/ds4/gpu_host_abi.h)");
  // A missing entry point.
  std::string missing = writeArtifact("missing.ds4", gpuModel(plan_, "ds4_entry_prefill",
                                                              "ds4_no_such_entry"));
  EXPECT_CONTAINS(createError(missing),
                  missing + ": kernel 0 'host_plan': host kernel does not export symbol "
                            "'ds4_no_such_entry' (entry 'decode', command 0)");
  // Not a shared object at all.
  std::string junk = writeArtifact("junk.ds4", gpuModel({1, 2, 3}));
  EXPECT_CONTAINS(createError(junk), "host kernel is not an ELF shared object");
  expectReleased();
}

TEST_P(CudaSessionTest, CopyBandwidth) {
  auto s = open();
  ASSERT_TRUE(s);
  Expected<double> gbs = s->measureCopyBandwidthGBs();
  ASSERT_TRUE(gbs.ok()) << gbs.status().message();
  EXPECT_GT(*gbs, 0.0);
  if (!fake())
    EXPECT_GT(*gbs, 100.0) << "an H100/H200 copies at more than 100 GB/s";
}

DS4_CUDA_DRIVER_TESTS(CudaSessionTest);

// Failures only the emulated driver can produce.
class FakeCudaSessionTest : public CudaSessionTest {};

TEST_P(FakeCudaSessionTest, DeviceProblems) {
  fake_->initResult = CUDA_ERROR_NO_DEVICE;
  EXPECT_EQ(createError(artifact_), "no CUDA device: CUDA_ERROR_NO_DEVICE (fake driver error)");
  fake_->initResult = CUDA_SUCCESS;
  fake_->deviceCount = 0;
  EXPECT_EQ(createError(artifact_), "no CUDA device: the driver reports 0 devices");
  fake_->deviceCount = 1;
  fake_->computeMajor = 8;
  EXPECT_EQ(createError(artifact_),
            artifact_ + ": the artifact targets sm_90a, but CUDA device 0 (Fake H200) has "
                        "compute capability 8.0; sm_90a code runs only on compute capability "
                        "9.0 (H100, H200)");
  fake_->computeMajor = 9;
  fake_->memoryLimit = 10;
  EXPECT_EQ(createError(artifact_),
            artifact_ + ": cannot allocate 16 bytes of device memory for decode tokens: "
                        "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (fake driver error)");
  fake_->memoryLimit = 400; // the decode inputs (320 bytes) fit, the weights (256) do not
  EXPECT_EQ(createError(artifact_),
            artifact_ + ": cannot allocate 256 bytes of device memory for the weights: "
                        "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (fake driver error)");
  expectReleased();
}

TEST_P(FakeCudaSessionTest, DriverErrorsDuringACall) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->prefill(0, {1}).ok());
    fake_->failNext("cuStreamSynchronize", CUDA_ERROR_LAUNCH_FAILED);
    Status st = s->decode({0}, {2}).status();
    EXPECT_EQ(st.message(), artifact_ + ": entry 'decode': cuStreamSynchronize failed: "
                                        "CUDA_ERROR_LAUNCH_FAILED (fake driver error)");
    EXPECT_EQ(s->length(0), 1) << "lengths advance only on success";
    fake_->failNext("cuLaunchKernel", CUDA_ERROR_LAUNCH_FAILED);
    st = s->prefill(0, {1}).status();
    EXPECT_EQ(st.message(), artifact_ + ": entry 'prefill': mgpuLaunchKernel('ds4_fake_prev'): "
                                        "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (fake "
                                        "driver error)");
    fake_->failNext("cuMemsetD32Async", CUDA_ERROR_INVALID_VALUE);
    EXPECT_CONTAINS(s->reset(0).message(), artifact_ + ": zeroing state: cuMemsetD32Async failed");
    ASSERT_TRUE(s->reset(0).ok());
  }
  expectReleased();
}

TEST_P(FakeCudaSessionTest, CaptureFailuresFallBack) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->decode({0}, {1}).ok()); // warm-up
    fake_->failNext("cuStreamEndCapture", CUDA_ERROR_STREAM_CAPTURE_INVALIDATED);
    Expected<std::vector<float>> step = s->decode({0}, {2});
    ASSERT_TRUE(step.ok()) << step.status().message();
    expectRow(step->data(), 1, 0, 2, 1);
    EXPECT_FALSE(s->lastStep().graph);
    EXPECT_CONTAINS(s->graphStatus(), "batch 1: uncaptured: capture failed: cuStreamEndCapture "
                                      "failed: CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
    step = s->decode({0}, {3});
    ASSERT_TRUE(step.ok());
    EXPECT_FALSE(s->lastStep().graph) << "that batch size stays uncaptured";

    ASSERT_TRUE(s->decode({0, 1}, {1, 1}).ok());
    fake_->failNext("cuGraphInstantiateWithFlags", CUDA_ERROR_INVALID_VALUE);
    step = s->decode({0, 1}, {4, 4});
    ASSERT_TRUE(step.ok());
    expectRow(step->data(), 4, 0, 4, 1);
    EXPECT_CONTAINS(s->graphStatus(), "batch 2: uncaptured: capture failed: "
                                      "cuGraphInstantiateWithFlags failed");
  }
  expectReleased();
}

DS4_FAKE_CUDA_DRIVER_TESTS(FakeCudaSessionTest);

// The C API on the GPU (libds4_runtime.so holds its own runtime, so only the real driver).
TEST(CudaCApiTest, RunsOnTheDevice) {
  if (!realCudaProblem().empty())
    GTEST_SKIP() << "no CUDA device: " << realCudaProblem();
  std::string dir = ::testing::TempDir();
  std::string artifact = dir + "ds4-capi-gpu.ds4", weights = dir + "ds4-capi-gpu.safetensors";
  ASSERT_TRUE(writeFile(artifact, buildArtifact(gpuModel(readFile(DS4_FAKE_GPU_PLAN_PATH)))));
  ASSERT_TRUE(writeFakeCheckpoint(weights).ok());
  char *error = nullptr;
  ds4_session *s = ds4_session_create(artifact.c_str(), weights.c_str(), "cuda", &error);
  ASSERT_NE(s, nullptr) << error;
  std::vector<int32_t> prompt = {1, 2};
  std::vector<float> logits(2 * kVocab);
  ASSERT_EQ(ds4_prefill(s, 3, prompt.data(), 2, logits.data()), 0) << ds4_last_error(s);
  EXPECT_EQ(logits[kVocab + 0], 1.0f);
  EXPECT_EQ(logits[kVocab + 4], 0.0f);
  int32_t slot = 3, token = 7;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(ds4_decode(s, 1, &slot, &token, logits.data()), 0) << ds4_last_error(s);
    EXPECT_EQ(logits[0], float(2 + i));
    EXPECT_EQ(logits[4], i == 0 ? 2.0f : 7.0f);
  }
  EXPECT_EQ(ds4_slot_length(s, 3), 5);
  ds4_session_destroy(s);
  std::remove(artifact.c_str());
  std::remove(weights.c_str());
}

} // namespace

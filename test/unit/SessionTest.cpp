// Tests of runtime/session with the fake host kernel (FakeKernel.c): loading host code from an
// artifact, binding and laying out weights, state, positions, slots, prefill/decode/reset, and
// every error a caller can provoke; then the same through the C API (libds4_runtime.so).
#include "TestArtifacts.h"

#include "ds4/ds4.h"
#include "runtime/session/Session.h"
#include "runtime/session/SyntheticState.h"
#include "runtime/weights/SafeTensors.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <dlfcn.h>

using namespace ds4;
using namespace ds4::session;
using namespace ds4::test;
namespace fb = ds4::artifact;
namespace fs = std::filesystem;

namespace {


constexpr int64_t kVocab = 16;

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "ds4-session-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    ASSERT_NE(::mkdtemp(buffer.data()), nullptr);
    dir_ = buffer.data();
    kernel_ = fakeKernelBinary();
    ASSERT_GT(kernel_.size(), 64u) << "fake kernel not found at " << DS4_FAKE_KERNEL_PATH;
    artifact_ = writeArtifact("model.ds4", fakeModel(kernel_));
    weights_ = path("model.safetensors");
    Status s = writeFakeCheckpoint(weights_);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string path(const std::string &name) const { return dir_ + "/" + name; }

  std::string writeArtifact(const std::string &name, const TestModel &m) {
    std::string p = path(name);
    EXPECT_TRUE(writeFile(p, buildArtifact(m)));
    return p;
  }

  std::unique_ptr<Session> open(const SessionOptions &options = {}) {
    auto s = Session::create(artifact_, weights_, options);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::string createError(const std::string &artifact, const std::string &weights,
                          const SessionOptions &options = {}) {
    auto s = Session::create(artifact, weights, options);
    EXPECT_FALSE(s.ok());
    return s.ok() ? "" : s.status().message();
  }

  // Checks row `r` of fake-kernel logits.
  void expectRow(const float *row, int64_t position, int64_t slot, int32_t token,
                 int64_t seen) {
    EXPECT_EQ(row[0], float(position));
    EXPECT_EQ(row[1], float(slot));
    EXPECT_EQ(row[2], float(token));
    EXPECT_EQ(row[3], float(seen));
    EXPECT_EQ(row[7], 1.0f) << "the kernel saw an unexpected descriptor";
  }

  std::string dir_, artifact_, weights_;
  std::vector<uint8_t> kernel_;
};

TEST_F(SessionTest, BindsWeightsInTheirLayouts) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->vocabSize(), kVocab);
  EXPECT_EQ(s->maxBatch(), 4);
  EXPECT_EQ(s->maxSeqLen(), 32);
  std::vector<int32_t> tokens = {3};
  Expected<std::vector<float>> logits = s->prefill(0, tokens);
  ASSERT_TRUE(logits.ok()) << logits.status().message();
  const float *row = logits->data();
  expectRow(row, 0, 0, 3, 1);
  // Packed fp8: codes then scales; packed fp4 (2 experts): all codes, then all scales.
  EXPECT_EQ(row[4], float(checksum(expectedFakeBuffer("proj.weight"))));
  EXPECT_EQ(row[5], float(checksum(expectedFakeBuffer("experts.*.w.weight"))));
  // Stacked bf16: (1 + 2 + 3) + (10 + 20 + 30).
  EXPECT_EQ(row[6], 66.0f);
  // Plain f32.
  for (int v = 8; v < kVocab; ++v)
    EXPECT_FLOAT_EQ(row[v], 0.25f * float(v) + 0.003f);
}

TEST_F(SessionTest, PrefillContinuesAndDecodeBatchesSlots) {
  auto s = open();
  ASSERT_TRUE(s);
  std::vector<float> logits(5 * kVocab);
  std::vector<int32_t> prompt = {1, 2, 3, 4, 5};
  ASSERT_TRUE(s->prefill(1, prompt.data(), 5, logits.data()).ok());
  for (int j = 0; j < 5; ++j)
    expectRow(&logits[size_t(j * kVocab)], j, 1, prompt[size_t(j)], j + 1);
  EXPECT_EQ(s->length(1), 5);
  EXPECT_EQ(s->length(0), 0);

  // Prefill continues a partly filled slot.
  std::vector<int32_t> more = {6, 7};
  ASSERT_TRUE(s->prefill(1, more.data(), 2, logits.data()).ok());
  expectRow(&logits[0], 5, 1, 6, 6);
  expectRow(&logits[kVocab], 6, 1, 7, 7);

  // Another slot at a different length.
  std::vector<int32_t> other = {9, 9, 9};
  ASSERT_TRUE(s->prefill(3, other.data(), 3, nullptr).ok()); // logits not wanted
  EXPECT_EQ(s->length(3), 3);

  // One decode step for slots 3 and 1 (given in that order), each at its own position.
  std::vector<int32_t> slots = {3, 1}, next = {10, 11};
  std::vector<float> step(2 * kVocab);
  ASSERT_TRUE(s->decode(slots.data(), next.data(), 2, step.data()).ok());
  expectRow(&step[0], 3, 3, 10, 4);
  expectRow(&step[kVocab], 7, 1, 11, 8);
  EXPECT_EQ(s->length(3), 4);
  EXPECT_EQ(s->length(1), 8);

  // Reset empties one slot only.
  ASSERT_TRUE(s->reset(1).ok());
  EXPECT_EQ(s->length(1), 0);
  auto again = s->decode({1, 3}, {12, 13});
  ASSERT_TRUE(again.ok()) << again.status().message();
  expectRow(&(*again)[0], 0, 1, 12, 1);
  expectRow(&(*again)[kVocab], 4, 3, 13, 5);
}

TEST_F(SessionTest, UnalignedLogitsBufferGetsACopy) {
  auto s = open();
  ASSERT_TRUE(s);
  std::vector<float> storage(2 * kVocab + 1);
  float *unaligned = storage.data() + 1;
  if (reinterpret_cast<uintptr_t>(unaligned) % 64 == 0)
    unaligned = storage.data(); // (never both aligned)
  std::vector<int32_t> tokens = {4, 5};
  ASSERT_TRUE(s->prefill(0, tokens.data(), 2, unaligned).ok());
  expectRow(unaligned + kVocab, 1, 0, 5, 2);
}

TEST_F(SessionTest, RejectsBadCalls) {
  auto s = open();
  ASSERT_TRUE(s);
  std::vector<int32_t> tokens = {1, 2, 16};
  Status st = s->prefill(0, tokens.data(), 3, nullptr);
  EXPECT_CONTAINS(st.message(),
                  "prefill: token id 16 at position 2 is out of range (vocabulary size 16)");
  tokens = {-1};
  EXPECT_CONTAINS(s->prefill(0, tokens.data(), 1, nullptr).message(), "token id -1 at position 0");
  EXPECT_CONTAINS(s->prefill(4, tokens.data(), 1, nullptr).message(),
                  "prefill: slot 4 is out of range (max batch 4)");
  EXPECT_CONTAINS(s->prefill(0, tokens.data(), 0, nullptr).message(), "prefill: no tokens");
  EXPECT_EQ(s->length(0), 0) << "a failed call must not advance the slot";

  std::vector<int32_t> many(33, 1);
  EXPECT_CONTAINS(s->prefill(0, many.data(), 33, nullptr).message(),
                  "prefill: 33 tokens at position 0 of slot 0 exceed the maximum sequence "
                  "length 32");
  many.resize(30);
  ASSERT_TRUE(s->prefill(0, many.data(), 30, nullptr).ok());
  std::vector<int32_t> three = {1, 1, 1};
  EXPECT_CONTAINS(s->prefill(0, three.data(), 3, nullptr).message(),
                  "3 tokens at position 30 of slot 0 exceed the maximum sequence length 32");
  std::vector<int32_t> slot0 = {0}, one = {1};
  ASSERT_TRUE(s->decode(slot0.data(), one.data(), 1, nullptr).ok());
  ASSERT_TRUE(s->decode(slot0.data(), one.data(), 1, nullptr).ok());
  EXPECT_CONTAINS(s->decode(slot0.data(), one.data(), 1, nullptr).message(),
                  "decode: slot 0 already holds 32 tokens, the maximum sequence length 32");

  std::vector<int32_t> dup = {2, 1, 2}, toks = {1, 1, 1};
  EXPECT_CONTAINS(s->decode(dup.data(), toks.data(), 3, nullptr).message(),
                  "decode: slot 2 appears twice in one batch (batch indices 0 and 2)");
  std::vector<int32_t> bad = {1, 7};
  EXPECT_CONTAINS(s->decode(bad.data(), toks.data(), 2, nullptr).message(),
                  "decode: slot 7 at batch index 1 is out of range (max batch 4)");
  std::vector<int32_t> five = {0, 1, 2, 3, 0};
  std::vector<int32_t> fiveTokens(5, 1);
  EXPECT_CONTAINS(s->decode(five.data(), fiveTokens.data(), 5, nullptr).message(),
                  "decode: batch of 5 exceeds max batch 4");
  EXPECT_CONTAINS(s->decode(five.data(), fiveTokens.data(), 0, nullptr).message(),
                  "decode: empty batch");
  std::vector<int32_t> big = {99};
  EXPECT_CONTAINS(s->decode(one.data(), big.data(), 1, nullptr).message(),
                  "decode: token id 99 at position 0 is out of range (vocabulary size 16)");
  EXPECT_CONTAINS(s->reset(-1).message(), "reset: slot -1 is out of range");
  EXPECT_EQ(s->length(9), -1);
}

TEST_F(SessionTest, LimitOverrides) {
  SessionOptions o;
  o.maxBatch = 2;
  o.maxSeqLen = 4;
  auto s = open(o);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->maxBatch(), 2);
  EXPECT_EQ(s->maxSeqLen(), 4);
  std::vector<int32_t> tokens(5, 1);
  EXPECT_CONTAINS(s->prefill(0, tokens.data(), 5, nullptr).message(),
                  "exceed the maximum sequence length 4");
  EXPECT_CONTAINS(s->prefill(2, tokens.data(), 1, nullptr).message(),
                  "slot 2 is out of range (max batch 2)");

  o.maxBatch = 5;
  o.maxSeqLen = 64;
  std::string e = createError(artifact_, weights_, o);
  EXPECT_CONTAINS(e, "max batch 5 exceeds the 4 that " + artifact_ +
                         " was compiled for (recompile with --max-batch=5)");
  EXPECT_CONTAINS(e, "max sequence length 64 exceeds the 32");
}

TEST_F(SessionTest, HostKernelThatIsNotAnElf) {
  TestModel m = fakeModel({'#', '!', '/', 'b', 'i', 'n', '/', 's', 'h', '\n'});
  std::string a = writeArtifact("text-kernel.ds4", m);
  std::string e = createError(a, weights_);
  EXPECT_CONTAINS(e, a + ": kernel 0 'host': host kernel is not an ELF shared object (it "
                         "starts with 23 21 2f 62, 10 bytes), so it cannot be loaded");
}

TEST_F(SessionTest, HostKernelThatIsABrokenElf) {
  std::vector<uint8_t> broken = kernel_;
  broken.resize(200); // a valid ELF header, nothing behind it
  std::string a = writeArtifact("broken-kernel.ds4", fakeModel(broken));
  std::string e = createError(a, weights_);
  EXPECT_CONTAINS(e, a + ": kernel 0 'host': cannot load host kernel: dlopen failed: ");

  std::vector<uint8_t> object = kernel_;
  object[16] = 1; // ET_REL
  a = writeArtifact("relocatable-kernel.ds4", fakeModel(object));
  EXPECT_CONTAINS(createError(a, weights_), "not a shared object (ET_DYN)");
}

TEST_F(SessionTest, MissingSymbol) {
  TestModel m = fakeModel(kernel_);
  m.entries[1].commands[0].symbol = "ds4_entry_verify";
  std::string a = writeArtifact("symbol.ds4", m);
  EXPECT_CONTAINS(createError(a, weights_),
                  a + ": kernel 0 'host': host kernel does not export symbol 'ds4_entry_verify' "
                      "(entry 'decode', command 0)");
}

TEST_F(SessionTest, WeightMismatchesAreListedTogether) {
  weights::SafeTensorsWriter w;
  std::vector<uint8_t> zeros(256, 0);
  // bias: wrong dtype; proj.weight: wrong shape; proj.scale, experts.*, stack.1.b missing.
  ASSERT_TRUE(w.add("bias", weights::DType::BF16, {16}, zeros.data(), 32).ok());
  ASSERT_TRUE(w.add("proj.weight", weights::DType::F8_E4M3, {8, 4}, zeros.data(), 32).ok());
  ASSERT_TRUE(w.add("stack.0.b", weights::DType::BF16, {3}, zeros.data(), 6).ok());
  ASSERT_TRUE(w.add("mtp.0.unused", weights::DType::F32, {2}, zeros.data(), 8).ok());
  std::string bad = path("bad.safetensors");
  ASSERT_TRUE(w.write(bad).ok());
  auto s = Session::create(artifact_, bad);
  ASSERT_FALSE(s.ok());
  const std::vector<std::string> &m = s.status().messages();
  std::string all = s.status().message();
  ASSERT_EQ(m.size(), 1u + 8u) << all;
  EXPECT_EQ(m[0], bad + ": 8 problems binding the checkpoint to the weight table of " +
                      artifact_ + ":");
  EXPECT_CONTAINS(all, "tensor 'bias': dtype BF16, expected F32");
  EXPECT_CONTAINS(all, "tensor 'proj.weight': shape 8x4, expected 4x8");
  EXPECT_CONTAINS(all, "tensor 'proj.scale': missing from the checkpoint (expected 2x2 F8_E8M0)");
  EXPECT_CONTAINS(all, "tensor 'experts.0.w.weight': missing from the checkpoint (expected 4x4 I8)");
  EXPECT_CONTAINS(all, "tensor 'experts.1.w.scale': missing");
  EXPECT_CONTAINS(all, "tensor 'stack.1.b': missing from the checkpoint (expected 3 BF16)");
  EXPECT_FALSE(contains(all, "mtp.0.unused")) << "extra tensors are allowed";
}

TEST_F(SessionTest, MissingWeightsAndArtifact) {
  std::string nowhere = path("no-such-dir");
  EXPECT_CONTAINS(createError(artifact_, nowhere), nowhere + ": cannot open checkpoint");
  std::string empty = path("empty");
  fs::create_directories(empty);
  EXPECT_CONTAINS(createError(artifact_, empty), "checkpoint directory has neither");
  std::string missing = path("missing.ds4");
  EXPECT_CONTAINS(createError(missing, weights_), missing + ": cannot open artifact");
}

TEST_F(SessionTest, CudaDevice) {
  SessionOptions o;
  o.device = Device::cuda;
  // A cpu artifact cannot run there at all.
  EXPECT_CONTAINS(createError(artifact_, weights_, o), "the artifact targets cpu, which the "
                                                       "cuda device cannot run");
  // An sm_90a artifact whose host plan is junk: what fails first depends on this machine
  // (CudaSessionTest runs real host plans).
  TestModel m = fakeModel({1, 2, 3});
  m.target = fb::Target_sm_90a;
  std::string a = writeArtifact("gpu.ds4", m);
  std::string e = createError(a, weights_, o);
#if DS4_HAVE_CUDA
  void *libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!libcuda) {
    EXPECT_EQ(e, kNoCudaDriverMessage);
    EXPECT_EQ(e, "no CUDA driver on this machine (libcuda.so.1 not found)");
  } else {
    dlclose(libcuda);
    EXPECT_TRUE(contains(e, "no CUDA device: ") || contains(e, "compute capability") ||
                contains(e, "host kernel is not an ELF shared object"))
        << e;
  }
#else
  EXPECT_EQ(e, kNoCudaSupportMessage);
#endif
  EXPECT_CONTAINS(createError(a, weights_), "the artifact targets sm_90a, which the cpu device "
                                            "cannot run (use --device=cuda");
}

TEST_F(SessionTest, SyntheticContext) {
  auto s = open(), t = open();
  ASSERT_TRUE(s && t);
  ASSERT_TRUE(s->prefill(0, {1, 2}).ok());
  ASSERT_TRUE(s->fillContext(2, 9, 7).ok());
  ASSERT_TRUE(t->fillContext(2, 9, 7).ok());
  EXPECT_EQ(s->length(2), 9);
  Expected<std::vector<float>> a = s->decode({2, 0}, {4, 4});
  Expected<std::vector<float>> b = t->decode({2}, {4});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)[0], 9.0f);
  // The fake kernel sums the slot's compressed column: random, and the same from the same seed.
  EXPECT_EQ((*a)[3], (*b)[3]);
  float sum = 1.0f; // the decoded token itself
  for (int64_t r = 0; r < 8; ++r)
    sum += syntheticStateValue(syntheticStateSeed(7, 1), uint64_t(r));
  EXPECT_FLOAT_EQ((*a)[3], sum);
  expectRow(&(*a)[kVocab], 2, 0, 4, 3);
  EXPECT_FALSE(s->fillContext(-1, 1, 0).ok());
  EXPECT_FALSE(s->fillContext(0, 33, 0).ok());
  EXPECT_TRUE(s->fillContext(0, 32, 0).ok());
}

TEST_F(SessionTest, TimingAndDeviceInfoOnTheCpu) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->lastStep().entry, "");
  ASSERT_TRUE(s->prefill(0, {1, 2, 3}).ok());
  StepTiming t = s->lastStep();
  EXPECT_EQ(t.entry, "prefill");
  EXPECT_EQ(t.batch, 1);
  EXPECT_EQ(t.tokens, 3);
  EXPECT_GE(t.milliseconds, 0.0);
  EXPECT_GE(t.wallMilliseconds, t.milliseconds);
  EXPECT_TRUE(t.kernels.empty());
  EXPECT_FALSE(t.graph);
  s->setProfiling(true);
  ASSERT_TRUE(s->decode({0, 1}, {4, 5}).ok());
  t = s->lastStep();
  EXPECT_EQ(t.entry, "decode");
  EXPECT_EQ(t.batch, 2);
  ASSERT_EQ(t.kernels.size(), 1u);
  EXPECT_EQ(t.kernels[0].name, "ds4_entry_decode");
  EXPECT_EQ(t.kernels[0].launches, 1);
  // A failed call keeps the last step.
  EXPECT_FALSE(s->decode({0}, {99}).ok());
  EXPECT_EQ(s->lastStep().entry, "decode");
  EXPECT_EQ(s->graphStatus(), "cuda graphs: none on the cpu device");
  DeviceInfo info = s->deviceInfo();
  EXPECT_FALSE(info.name.empty());
  EXPECT_GT(info.memoryBytes, 0u);
}
TEST_F(SessionTest, SessionsAreIndependentAndThreadSafe) {
  auto a = open(), b = open();
  ASSERT_TRUE(a && b);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      Session &s = t ? *b : *a;
      for (int slot = 0; slot < 4; ++slot)
        for (int i = 0; i < 8; ++i) {
          std::vector<int32_t> tok = {int32_t(i)};
          EXPECT_TRUE(s.prefill(slot, tok.data(), 1, nullptr).ok());
        }
    });
  for (auto &th : threads)
    th.join();
  for (int slot = 0; slot < 4; ++slot) {
    EXPECT_EQ(a->length(slot), 8);
    EXPECT_EQ(b->length(slot), 8);
  }
  // Concurrent calls on one session serialize.
  threads.clear();
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        std::vector<int32_t> slot = {t}, tok = {1};
        EXPECT_TRUE(a->decode(slot.data(), tok.data(), 1, nullptr).ok());
      }
    });
  for (auto &th : threads)
    th.join();
  EXPECT_EQ(a->length(0), 16);
  EXPECT_EQ(a->length(1), 16);
}

// ---------------------------------------------------------------------------------------------
// The C API.

TEST_F(SessionTest, CApi) {
  EXPECT_EQ(ds4_format_version(), fb::kFormatVersion);
  char *error = nullptr;
  ds4_session *s = ds4_session_create(artifact_.c_str(), weights_.c_str(), "cpu", &error);
  ASSERT_NE(s, nullptr) << error;
  EXPECT_EQ(error, nullptr);
  EXPECT_EQ(ds4_vocab_size(s), kVocab);
  EXPECT_EQ(ds4_max_batch(s), 4);
  EXPECT_EQ(ds4_max_seq_len(s), 32);

  std::vector<int32_t> prompt = {2, 4, 6};
  std::vector<float> logits(3 * kVocab);
  ASSERT_EQ(ds4_prefill(s, 2, prompt.data(), 3, logits.data()), 0) << ds4_last_error(s);
  expectRow(&logits[2 * kVocab], 2, 2, 6, 3);
  EXPECT_EQ(ds4_slot_length(s, 2), 3);
  EXPECT_STREQ(ds4_last_error(s), "");

  int32_t slot = 2, token = 8;
  ASSERT_EQ(ds4_decode(s, 1, &slot, &token, logits.data()), 0) << ds4_last_error(s);
  expectRow(&logits[0], 3, 2, 8, 4);

  int32_t bad = 16;
  EXPECT_NE(ds4_decode(s, 1, &slot, &bad, nullptr), 0);
  EXPECT_CONTAINS(std::string(ds4_last_error(s)), "token id 16 at position 0 is out of range");
  EXPECT_EQ(ds4_reset(s, 2), 0);
  EXPECT_EQ(ds4_slot_length(s, 2), 0);
  EXPECT_NE(ds4_reset(s, 9), 0);

  ds4_sampler *greedy = ds4_sampler_create(0.0, 1.0, 0, &error);
  ASSERT_NE(greedy, nullptr);
  int32_t picked = -1;
  ASSERT_EQ(ds4_sample(greedy, logits.data(), size_t(kVocab), &picked), 0);
  // The larger weight checksum is the largest logit.
  EXPECT_EQ(picked, checksum(expectedFakeBuffer("proj.weight")) >
                            checksum(expectedFakeBuffer("experts.*.w.weight"))
                        ? 4
                        : 5);
  EXPECT_NE(ds4_sample(greedy, logits.data(), 0, &picked), 0);
  EXPECT_CONTAINS(std::string(ds4_sampler_last_error(greedy)), "empty logits");
  ds4_sampler_destroy(greedy);
  EXPECT_EQ(ds4_sampler_create(1.0, 0.0, 0, &error), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_CONTAINS(std::string(error), "top-p");
  ds4_free(error);
  ds4_session_destroy(s);

  error = nullptr;
  EXPECT_EQ(ds4_session_create(artifact_.c_str(), weights_.c_str(), "tpu", &error), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_CONTAINS(std::string(error), "unknown device 'tpu'");
  ds4_free(error);
  error = nullptr;
  std::string missing = path("nope.ds4");
  EXPECT_EQ(ds4_session_create(missing.c_str(), weights_.c_str(), nullptr, &error), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_CONTAINS(std::string(error), missing + ": cannot open artifact");
  ds4_free(error);
  EXPECT_EQ(ds4_session_create_ex(artifact_.c_str(), weights_.c_str(), "cpu", 8, 0, nullptr),
            nullptr);
  ds4_session *small =
      ds4_session_create_ex(artifact_.c_str(), weights_.c_str(), "cpu", 1, 2, nullptr);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(ds4_max_batch(small), 1);
  EXPECT_EQ(ds4_max_seq_len(small), 2);
  ds4_session_destroy(small);
}

} // namespace

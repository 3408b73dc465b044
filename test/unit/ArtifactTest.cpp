// Tests of runtime/artifact: the loader accepts a well-formed artifact and rejects truncated,
// corrupt, wrong-identifier, wrong-version, wrong-target and inconsistent ones, each problem as
// one line naming the file.
#include "TestArtifacts.h"

#include "runtime/artifact/Artifact.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace ds4;
using namespace ds4::artifact;
using namespace ds4::test;

namespace {


const char *kName = "test.ds4";

/// A valid model (the fake model with a dummy kernel binary; the loader never runs it).
TestModel validModel() { return fakeModel(std::vector<uint8_t>{'\x7f', 'E', 'L', 'F', 0, 0}); }

/// The messages of a buffer that must be rejected; each must be one line naming the file.
std::vector<std::string> rejects(const std::vector<uint8_t> &bytes,
                                 const LoadOptions &options = {}) {
  Expected<Artifact> a = Artifact::fromBuffer(bytes, kName, options);
  EXPECT_FALSE(a.ok()) << "accepted";
  if (a.ok())
    return {};
  for (const std::string &m : a.status().messages()) {
    EXPECT_EQ(m.find('\n'), std::string::npos) << "multi-line message: " << m;
    EXPECT_EQ(m.rfind(std::string(kName) + ": ", 0), 0u) << "does not name the file: " << m;
  }
  return a.status().messages();
}

/// The single message for a model changed by `edit`.
std::string rejectsModel(const std::function<void(TestModel &)> &edit,
                         const LoadOptions &options = {}, size_t expectedMessages = 1) {
  TestModel m = validModel();
  edit(m);
  std::vector<std::string> messages = rejects(buildArtifact(m), options);
  EXPECT_EQ(messages.size(), expectedMessages);
  std::string all;
  for (const std::string &s : messages)
    all += s + "\n";
  return all;
}

TEST(ArtifactTest, AcceptsValidArtifact) {
  std::vector<uint8_t> bytes = buildArtifact(validModel());
  Expected<Artifact> a = Artifact::fromBuffer(bytes, kName);
  ASSERT_TRUE(a.ok()) << a.status().message();
  const Model &m = a->model();
  EXPECT_EQ(m.format_version(), kFormatVersion);
  EXPECT_EQ(m.vocab_size(), 16);
  EXPECT_EQ(a->path(), kName);
  ASSERT_NE(a->findEntry("prefill"), nullptr);
  ASSERT_NE(a->findEntry("decode"), nullptr);
  EXPECT_EQ(a->findEntry("mtp"), nullptr);
  // Moving keeps the root valid.
  Artifact moved = std::move(*a);
  EXPECT_EQ(moved.model().max_batch(), 4);
  // The device check: a cpu artifact on the cpu device.
  LoadOptions cpu;
  cpu.device = Device::cpu;
  EXPECT_TRUE(Artifact::fromBuffer(bytes, kName, cpu).ok());
}

TEST(ArtifactTest, LayoutHelpers) {
  std::vector<uint8_t> bytes = buildArtifact(validModel());
  Expected<Artifact> a = Artifact::fromBuffer(bytes, kName);
  ASSERT_TRUE(a.ok()) << a.status().message();
  const Model &m = a->model();
  const Weight &proj = *m.weights()->Get(1);
  PackedLayout l = packedLayout(proj);
  EXPECT_EQ(l.codeBytes(), 32);
  EXPECT_EQ(l.scaleRows, 2);
  EXPECT_EQ(l.scaleCols, 2);
  EXPECT_EQ(weightBufferBytes(proj).value(), 36);
  EXPECT_EQ(weightBufferShape(proj), std::vector<int64_t>{36});

  const Weight &experts = *m.weights()->Get(2);
  EXPECT_TRUE(isStacked(experts));
  EXPECT_EQ(weightBufferBytes(experts).value(), 2 * (4 * 4 + 4 * 2));
  std::vector<weights::ExpectedTensor> t = checkpointTensors(experts);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].name, "experts.0.w.weight");
  EXPECT_EQ(t[0].dtype, weights::DType::I8);
  EXPECT_EQ(t[0].shape, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(t[1].name, "experts.1.w.weight");
  EXPECT_EQ(t[2].name, "experts.0.w.scale");
  EXPECT_EQ(t[2].dtype, weights::DType::F8_E8M0);
  EXPECT_EQ(t[2].shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(t[3].name, "experts.1.w.scale");

  const Weight &stack = *m.weights()->Get(3);
  EXPECT_EQ(weightBufferShape(stack), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(weightBufferBytes(stack).value(), 12);

  EXPECT_EQ(stateRows(*m.states()->Get(0), 32), 8);
  EXPECT_EQ(stateRows(*m.states()->Get(1), 32), 8);
  EXPECT_EQ(stateRows(*m.states()->Get(1), 33), 9);

  // FNV-1a 64 test vectors.
  EXPECT_EQ(configHash(""), "cbf29ce484222325");
  EXPECT_EQ(configHash("a"), "af63dc4c8601ec8c");
}

TEST(ArtifactTest, RejectsTooShort) {
  std::vector<std::string> m = rejects({'D', 'S', '4'});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_CONTAINS(m[0], "3 bytes is too short to be a ds4 artifact");
  m = rejects({});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_CONTAINS(m[0], "0 bytes is too short");
}

TEST(ArtifactTest, RejectsWrongIdentifier) {
  std::vector<uint8_t> bytes = buildArtifact(validModel());
  bytes[4] = 'X';
  std::vector<std::string> m = rejects(bytes);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_CONTAINS(m[0], "not a ds4 artifact (file identifier 'XS4A', expected 'DS4A')");
  // A safetensors file or text is not an artifact either.
  std::string text = "{\"hello\": 1}\n";
  m = rejects(std::vector<uint8_t>(text.begin(), text.end()));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_CONTAINS(m[0], "not a ds4 artifact");
}

TEST(ArtifactTest, RejectsTruncated) {
  std::vector<uint8_t> bytes = buildArtifact(validModel());
  for (size_t keep : {size_t(8), size_t(16), bytes.size() / 3, bytes.size() / 2}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(keep));
    std::vector<std::string> m = rejects(cut);
    ASSERT_EQ(m.size(), 1u) << keep;
    EXPECT_CONTAINS(m[0], "corrupt or truncated ds4 artifact");
  }
}

TEST(ArtifactTest, RejectsCorruptOffsets) {
  std::vector<uint8_t> bytes = buildArtifact(validModel());
  // The root offset pointing past the end.
  bytes[0] = 0xff;
  bytes[1] = 0xff;
  bytes[2] = 0xff;
  bytes[3] = 0x7f;
  std::vector<std::string> m = rejects(bytes);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_CONTAINS(m[0], "corrupt or truncated ds4 artifact");
}

TEST(ArtifactTest, SurvivesEveryByteFlip) {
  // Every single-byte corruption either loads or fails cleanly (run under the sanitizers in
  // the sanitizer build; the fuzz target goes further).
  std::vector<uint8_t> bytes = buildArtifact(validModel());
  size_t rejected = 0;
  for (size_t i = 0; i < bytes.size(); ++i)
    for (uint8_t x : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xff)}) {
      std::vector<uint8_t> bad = bytes;
      bad[i] ^= x;
      Expected<Artifact> a = Artifact::fromBuffer(bad, kName);
      if (!a.ok()) {
        ++rejected;
        for (const std::string &msg : a.status().messages())
          EXPECT_EQ(msg.rfind(std::string(kName) + ": ", 0), 0u) << msg;
      }
    }
  EXPECT_GT(rejected, bytes.size()); // most corruptions are caught
}

TEST(ArtifactTest, RejectsWrongVersion) {
  std::string m = rejectsModel([](TestModel &t) { t.formatVersion = kFormatVersion + 1; });
  EXPECT_CONTAINS(m, "artifact format version " + std::to_string(kFormatVersion + 1) +
                         ", but this runtime reads version " + std::to_string(kFormatVersion) +
                         " (recompile it with a matching ds4-compile)");
  m = rejectsModel([](TestModel &t) { t.formatVersion = 0; });
  EXPECT_CONTAINS(m, "artifact format version 0");
}

TEST(ArtifactTest, RejectsWrongTargetForDevice) {
  LoadOptions cuda;
  cuda.device = Device::cuda;
  std::string m = rejectsModel([](TestModel &) {}, cuda);
  EXPECT_CONTAINS(m, "the artifact targets cpu, which the cuda device cannot run "
                     "(use --device=cpu, or compile with --target=sm_90a)");

  // An sm_90a artifact (a host plan called by call_host) on the cpu device.
  auto gpu = [](TestModel &t) { t.target = Target_sm_90a; };
  TestModel g = validModel();
  gpu(g);
  Expected<Artifact> onCuda = Artifact::fromBuffer(buildArtifact(g), kName, cuda);
  ASSERT_TRUE(onCuda.ok()) << onCuda.status().message();
  LoadOptions cpu;
  cpu.device = Device::cpu;
  m = rejectsModel(gpu, cpu);
  EXPECT_CONTAINS(m, "the artifact targets sm_90a, which the cpu device cannot run "
                     "(use --device=cuda, or compile with --target=cpu)");

  m = rejectsModel([](TestModel &t) { t.target = Target(7); });
  EXPECT_CONTAINS(m, "unknown target 7");
}

TEST(ArtifactTest, Sm90aHostPlanWithInspectionKernels) {
  LoadOptions cuda;
  cuda.device = Device::cuda;
  // The host plan runs; ptx and cubin kernels ride along for inspection.
  TestModel g = validModel();
  g.target = Target_sm_90a;
  g.kernels.push_back({"attention", BinaryKind_ptx, {'.', 'v'}});
  g.kernels.push_back({"moe", BinaryKind_cubin, {0x7f, 'E', 'L', 'F'}});
  Expected<Artifact> a = Artifact::fromBuffer(buildArtifact(g), kName, cuda);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->model().kernels()->size(), 3u);

  // Commands must call the host plan: launch is for no target, nor is a call into PTX.
  auto gpu = [](TestModel &t) {
    t.target = Target_sm_90a;
    t.kernels.push_back({"attention", BinaryKind_ptx, {'.', 'v'}});
  };
  std::string m = rejectsModel(
      [&](TestModel &t) {
        gpu(t);
        t.entries[1].commands[0].op = CommandOp_launch;
      },
      cuda);
  EXPECT_CONTAINS(m, "entry 'decode', command 0: op launch cannot run on target sm_90a (expected "
                     "call_host of the host plan, which launches the kernels)");
  m = rejectsModel(
      [&](TestModel &t) {
        gpu(t);
        t.entries[0].commands[0].kernel = 1;
      },
      cuda);
  EXPECT_CONTAINS(m, "entry 'prefill', command 0: call_host of kernel 1 of kind ptx (expected "
                     "host_shared_object)");
}

TEST(ArtifactTest, RejectsBadIndices) {
  std::string m = rejectsModel([](TestModel &t) { t.entries[0].commands[0].kernel = 5; });
  EXPECT_CONTAINS(m, "entry 'prefill', command 0: kernel index 5 is out of range (1 kernels)");

  m = rejectsModel([](TestModel &t) { t.entries[1].commands[0].args[3].index = 9; });
  EXPECT_CONTAINS(m, "entry 'decode', command 0, arg 3 (state): state index 9 is out of range "
                     "(2 states)");

  m = rejectsModel([](TestModel &t) { t.entries[0].commands[0].args[6].index = 4; });
  EXPECT_CONTAINS(m, "entry 'prefill', command 0, arg 6 (weight): weight index 4 is out of "
                     "range (4 weights)");

  m = rejectsModel([](TestModel &t) { t.entries[0].commands[0].args[0].rank = 1; });
  EXPECT_CONTAINS(m, "arg 0 (tokens): rank 1, but the runtime passes rank 2");

  m = rejectsModel([](TestModel &t) { t.entries[0].commands[0].args[8].rank = 1; });
  EXPECT_CONTAINS(m, "arg 8 (weight): rank 1, but the runtime passes rank 2");

  m = rejectsModel([](TestModel &t) { t.entries[0].commands[0].args[2].kind = ArgKind(42); });
  EXPECT_CONTAINS(m, "arg 2: unknown kind 42");
}

/// validModel() whose prefill also takes the weight arena: bias (64 bytes) at 0, proj.weight
/// (36) at 64, experts.*.w.weight (48) at 128, stack.*.b (12) at 192.
TestModel arenaModel() {
  TestModel m = validModel();
  for (size_t i = 0; i < m.weights.size(); ++i)
    m.weights[i].offset = int64_t(64 * i);
  m.weightArenaBytes = 204;
  m.entries[0].commands[0].args.push_back({ArgKind_weights_arena});
  return m;
}

TEST(ArtifactTest, WeightArena) {
  Expected<Artifact> a = Artifact::fromBuffer(buildArtifact(arenaModel()), kName);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_TRUE(usesWeightArena(a->model()));
  EXPECT_EQ(a->model().weight_arena_bytes(), 204);
  EXPECT_EQ(a->model().weights()->Get(2)->offset(), 128);
  Expected<Artifact> plain = Artifact::fromBuffer(buildArtifact(validModel()), kName);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(usesWeightArena(plain->model()));

  auto rejectsArena = [](const std::function<void(TestModel &)> &edit) {
    TestModel m = arenaModel();
    edit(m);
    std::vector<std::string> messages = rejects(buildArtifact(m));
    EXPECT_EQ(messages.size(), 1u);
    return messages.empty() ? std::string() : messages[0];
  };
  EXPECT_CONTAINS(rejectsArena([](TestModel &t) { t.weights[2].offset = 96; }),
                  "weight 2 'experts.*.w.weight': arena offset 96 is not a non-negative "
                  "multiple of 64");
  EXPECT_CONTAINS(rejectsArena([](TestModel &t) { t.weightArenaBytes = 200; }),
                  "weight 3 'stack.*.b': arena offset 192 + 12 bytes exceeds "
                  "weight_arena_bytes 200");
  EXPECT_CONTAINS(rejectsArena([](TestModel &t) { t.weights[1].offset = 0; }),
                  "weight 1 'proj.weight': arena offset 0 overlaps weight 0 'bias' (bytes 0..64)");
  EXPECT_CONTAINS(rejectsArena([](TestModel &t) { t.weightArenaBytes = -1; }),
                  "weight_arena_bytes -1 is out of range");
  EXPECT_CONTAINS(rejectsArena([](TestModel &t) {
                    t.entries[0].commands[0].args.back().rank = 2;
                  }),
                  "(weights_arena): rank 2, but the runtime passes rank 1");
}

TEST(ArtifactTest, RejectsBadCommands) {
  std::string m = rejectsModel([](TestModel &t) { t.entries[0].commands[0].symbol = ""; });
  EXPECT_CONTAINS(m, "entry 'prefill', command 0: symbol '' is not a C identifier");
  m = rejectsModel([](TestModel &t) { t.entries[0].commands[0].symbol = "a b"; });
  EXPECT_CONTAINS(m, "symbol 'a b' is not a C identifier");
  m = rejectsModel([](TestModel &t) { t.entries[1].commands[0].op = CommandOp_launch; });
  EXPECT_CONTAINS(m, "entry 'decode', command 0: op launch cannot run on target cpu "
                     "(expected call_host)");
  m = rejectsModel([](TestModel &t) { t.entries[1].commands[0].op = CommandOp_copy; });
  EXPECT_CONTAINS(m, "op copy is not supported in format version 1");
  m = rejectsModel([](TestModel &t) { t.entries[1].commands.clear(); });
  EXPECT_CONTAINS(m, "entry 'decode': no commands");
  m = rejectsModel([](TestModel &t) { t.entries[1].commands[0].args.pop_back(); });
  EXPECT_CONTAINS(m, "entry 'decode': no command writes the logits");
  // An updated state passed as a second "logits" output.
  m = rejectsModel([](TestModel &t) {
    t.entries[0].commands[0].args.push_back({ArgKind_logits});
  });
  EXPECT_CONTAINS(m, "entry 'prefill', command 0: passes logits 2 times (args 9, 10); there is "
                     "one logits output");
}

TEST(ArtifactTest, RejectsBadEntries) {
  std::string m = rejectsModel([](TestModel &t) { t.entries.pop_back(); });
  EXPECT_CONTAINS(m, "missing entry 'decode'");
  m = rejectsModel([](TestModel &t) { t.entries[0].tokens = 1; });
  EXPECT_CONTAINS(m, "entry 'prefill': batch 1, tokens 1 (prefill is batch 1, tokens -1)");
  // Two "prefill" entries: listed twice, the second's sizes, and no decode.
  m = rejectsModel([](TestModel &t) { t.entries[1].name = "prefill"; }, {}, 3);
  EXPECT_CONTAINS(m, "entry 'prefill': listed twice (entries 0 and 1)");
  EXPECT_CONTAINS(m, "missing entry 'decode'");
}

TEST(ArtifactTest, RejectsBadKernels) {
  std::string m = rejectsModel([](TestModel &t) { t.kernels[0].binary.clear(); });
  EXPECT_CONTAINS(m, "kernel 0 'host': empty binary");
  // The kernel itself and both entries' call_host of it are wrong.
  m = rejectsModel([](TestModel &t) { t.kernels[0].kind = BinaryKind_cubin; }, {}, 3);
  EXPECT_CONTAINS(m, "kernel 0 'host': binary kind cubin cannot run on target cpu");
  EXPECT_CONTAINS(m, "entry 'decode', command 0: call_host of kernel 0 of kind cubin "
                     "(expected host_shared_object)");
}

TEST(ArtifactTest, RejectsInconsistentWeights) {
  std::string m = rejectsModel([](TestModel &t) { t.weights[1].bytes = 35; });
  EXPECT_CONTAINS(m, "weight 1 'proj.weight': bytes 35 does not match its layout (packed_fp8, "
                     "1 x 4x8 F8_E4M3 -> 36 bytes)");
  m = rejectsModel([](TestModel &t) { t.weights[0].bytes = 60; });
  EXPECT_CONTAINS(m, "weight 0 'bias': bytes 60 does not match its layout (plain");
  m = rejectsModel([](TestModel &t) { t.weights[1].dtype = "BF16"; });
  EXPECT_CONTAINS(m, "weight 1 'proj.weight': dtype 'BF16' for layout packed_fp8 "
                     "(expected F8_E4M3)");
  m = rejectsModel([](TestModel &t) { t.weights[0].dtype = "F33"; });
  EXPECT_CONTAINS(m, "weight 0 'bias': unknown dtype 'F33'");
  m = rejectsModel([](TestModel &t) { t.weights[1].blockCols = 0; });
  EXPECT_CONTAINS(m, "block 2x0 must be positive");
  m = rejectsModel([](TestModel &t) { t.weights[2].shape = {4, 7}; });
  EXPECT_CONTAINS(m, "packed_fp4 needs an even number of columns, not 7");
  m = rejectsModel([](TestModel &t) { t.weights[1].shape = {4, 8, 1}; });
  EXPECT_CONTAINS(m, "packed weights have shape [rows, cols], not rank 3");
  m = rejectsModel([](TestModel &t) { t.weights[2].name = "experts.w.weight"; });
  EXPECT_CONTAINS(m, "experts 2 but no '*' in the name");
  m = rejectsModel([](TestModel &t) { t.weights[0].shape = {-16}; });
  EXPECT_CONTAINS(m, "negative dimension -16");
  m = rejectsModel([](TestModel &t) { t.weights[1].name = "proj.w"; });
  EXPECT_CONTAINS(m, "a packed weight's name ends in \"weight\"");
  m = rejectsModel([](TestModel &t) { t.weights[0].name = "proj.weight"; });
  EXPECT_CONTAINS(m, "weight 1 'proj.weight': listed twice (weights 0 and 1)");
  // Two weights binding one checkpoint tensor under different table names.
  m = rejectsModel([](TestModel &t) {
    t.weights[0] = {"proj.scale", WeightLayout_plain, "F8_E8M0", {2, 2}};
  });
  EXPECT_CONTAINS(m, "weight 1 'proj.weight': checkpoint tensor 'proj.scale' is also bound by "
                     "weight 0");
  m = rejectsModel([](TestModel &t) {
    t.weights[0].shape = {int64_t(1) << 40, int64_t(1) << 40};
    t.weights[0].bytes = 0;
  });
  EXPECT_CONTAINS(m, "weight 0 'bias': buffer size overflows");
}

TEST(ArtifactTest, RejectsBadStates) {
  std::string m = rejectsModel([](TestModel &t) { t.states[0].width = 0; });
  EXPECT_CONTAINS(m, "state 0 'window': width 0 must be positive");
  m = rejectsModel([](TestModel &t) { t.states[1].ratio = 0; });
  EXPECT_CONTAINS(m, "state 1 'compressed': neither fixed_rows nor ratio is set");
  m = rejectsModel([](TestModel &t) { t.states[1].ratio = -4; });
  EXPECT_CONTAINS(m, "must not be negative");
  m = rejectsModel([](TestModel &t) { t.states[1].name = "window"; });
  EXPECT_CONTAINS(m, "state 1 'window': listed twice (states 0 and 1)");
  m = rejectsModel([](TestModel &t) { t.states[0].kind = StateKind(9); });
  EXPECT_CONTAINS(m, "state 0 'window': unknown kind 9");
}

TEST(ArtifactTest, RejectsBadHeader) {
  std::string m = rejectsModel([](TestModel &t) { t.vocabSize = 0; });
  EXPECT_CONTAINS(m, "vocab_size 0 is out of range");
  m = rejectsModel([](TestModel &t) { t.maxBatch = -1; });
  EXPECT_CONTAINS(m, "max_batch -1 is out of range");
  m = rejectsModel([](TestModel &t) { t.configHash = "0123456789abcdef"; });
  EXPECT_CONTAINS(m, "config_hash '0123456789abcdef' does not match config_json");
  m = rejectsModel([](TestModel &t) { t.configHash = "xyz"; });
  EXPECT_CONTAINS(m, "config_hash 'xyz' is not a 64-bit hex number");
}

TEST(ArtifactTest, ReportsEveryProblemAtOnce) {
  TestModel t = validModel();
  t.entries[0].commands[0].kernel = 3;
  t.weights[1].bytes = 1;
  t.states[0].width = -1;
  std::vector<std::string> m = rejects(buildArtifact(t));
  EXPECT_EQ(m.size(), 3u);
}

TEST(ArtifactTest, LoadFromFile) {
  std::string dir = ::testing::TempDir();
  std::string good = dir + "ds4-artifact-test-good.ds4";
  ASSERT_TRUE(writeFile(good, buildArtifact(validModel())));
  Expected<Artifact> a = Artifact::load(good);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->path(), good);

  std::string missing = dir + "ds4-artifact-test-missing.ds4";
  Expected<Artifact> b = Artifact::load(missing);
  ASSERT_FALSE(b.ok());
  EXPECT_CONTAINS(b.status().message(), missing + ": cannot open artifact: No such file");

  Expected<Artifact> c = Artifact::load(dir);
  ASSERT_FALSE(c.ok());
  EXPECT_CONTAINS(c.status().message(), "is a directory, not a ds4 artifact");

  std::string truncated = dir + "ds4-artifact-test-truncated.ds4";
  std::vector<uint8_t> bytes = buildArtifact(validModel());
  bytes.resize(bytes.size() / 3);
  ASSERT_TRUE(writeFile(truncated, bytes));
  Expected<Artifact> d = Artifact::load(truncated);
  ASSERT_FALSE(d.ok());
  EXPECT_CONTAINS(d.status().message(), truncated + ": corrupt or truncated ds4 artifact");
  std::remove(good.c_str());
  std::remove(truncated.c_str());
}

TEST(ArtifactTest, Devices) {
  EXPECT_EQ(parseDevice("cpu"), Device::cpu);
  EXPECT_EQ(parseDevice("cuda"), Device::cuda);
  EXPECT_FALSE(parseDevice("gpu").has_value());
  EXPECT_STREQ(deviceName(Device::cuda), "cuda");
}

} // namespace

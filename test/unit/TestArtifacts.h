// Test helpers: artifacts built with the generated FlatBufferBuilder API from a plain
// description (so each test can break exactly one thing), and the standard "fake model" whose
// host kernel (FakeKernel.c) and checkpoint the session, C API and ds4-run tests use.
#ifndef DS4_TEST_UNIT_TESTARTIFACTS_H
#define DS4_TEST_UNIT_TESTARTIFACTS_H

#include "runtime/artifact/Artifact.h"
#include "runtime/support/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ds4 {
namespace test {

struct TestKernel {
  std::string name = "host";
  artifact::BinaryKind kind = artifact::BinaryKind_host_shared_object;
  std::vector<uint8_t> binary;
};

struct TestWeight {
  std::string name;
  artifact::WeightLayout layout = artifact::WeightLayout_plain;
  std::string dtype = "F32";
  std::vector<int64_t> shape;
  int64_t experts = 1;
  int64_t blockRows = 0, blockCols = 0;
  /// -1: the correct size for the layout.
  int64_t bytes = -1;
  /// Byte offset in the weight arena (used when an arg is weights_arena).
  int64_t offset = 0;
};

struct TestState {
  std::string name;
  artifact::StateKind kind = artifact::StateKind_window;
  int64_t fixedRows = 0, ratio = 0, width = 1;
};

struct TestArg {
  artifact::ArgKind kind;
  uint32_t index = 0;
  /// -1: the rank the runtime passes.
  int64_t rank = -1;
};

struct TestCommand {
  artifact::CommandOp op = artifact::CommandOp_call_host;
  uint32_t kernel = 0;
  std::string symbol;
  std::vector<TestArg> args;
};

struct TestEntry {
  std::string name;
  int64_t batch = 1, tokens = -1;
  std::vector<TestCommand> commands;
};

struct TestModel {
  uint32_t formatVersion = artifact::kFormatVersion;
  artifact::Target target = artifact::Target_cpu;
  std::string configJson = "{\"name\": \"fake\"}";
  /// nullopt: configHash(configJson).
  std::optional<std::string> configHash;
  int64_t vocabSize = 16, maxSeqLen = 32, maxBatch = 4;
  std::vector<TestKernel> kernels;
  std::vector<TestWeight> weights;
  std::vector<TestState> states;
  std::vector<TestEntry> entries;
  int64_t weightArenaBytes = 0;
};

/// The serialized artifact.
std::vector<uint8_t> buildArtifact(const TestModel &model);

/// The fake model: vocab 16, max_seq_len 32, max_batch 4; states "window" (fixed 8 rows x 2)
/// and "compressed" (ratio 4, width 1); weights "bias" (F32 [16], plain), "proj.weight"
/// (packed_fp8 [4, 8], block 2x4), "experts.*.w.weight" (packed_fp4 [4, 8] x 2 experts,
/// block 1x4), "stack.*.b" (BF16 [3] x 2 experts, plain); entries prefill/decode calling
/// ds4_entry_prefill / ds4_entry_decode with args tokens, positions, slots, window,
/// compressed, the four weights, logits. `kernel` is the host shared object.
TestModel fakeModel(std::vector<uint8_t> kernel);

/// The fake model for the fake GPU host plan (FakeGpuHostPlan.c): target sm_90a, `plan` as
/// kernel 0 "host_plan" (plus a PTX kernel carried for inspection), every weight in a 256-byte
/// arena (bias @0, proj.weight @64, experts.*.w.weight @128, stack.*.b @192), entries calling
/// `prefill` / `decode` with args tokens, positions, slots, the window state, the arena, logits.
TestModel fakeGpuModel(std::vector<uint8_t> plan, const std::string &prefill = "ds4_entry_prefill",
                       const std::string &decode = "ds4_entry_decode");

/// The bytes of the built fake kernel (DS4_FAKE_KERNEL_PATH).
std::vector<uint8_t> fakeKernelBinary();

/// Writes a checkpoint matching fakeModel() (plus an unused "mtp.0.extra" tensor) to `path`
/// (a .safetensors file). Tensor bytes are a deterministic pattern.
Status writeFakeCheckpoint(const std::string &path);

/// The buffer the runtime must build for fake-model weight `name` from that checkpoint.
std::vector<uint8_t> expectedFakeBuffer(const std::string &name);

/// sum_i (i + 1) * bytes[i]: an order-sensitive checksum (what the fake kernel reports).
double checksum(const std::vector<uint8_t> &bytes);

/// Reads / writes whole files.
std::vector<uint8_t> readFile(const std::string &path);
bool writeFile(const std::string &path, const std::vector<uint8_t> &bytes);

} // namespace test
} // namespace ds4

#endif // DS4_TEST_UNIT_TESTARTIFACTS_H

#include "TestArtifacts.h"

#include "runtime/weights/SafeTensors.h"

#include <cstring>
#include <fstream>
#include <iterator>

namespace ds4 {
namespace test {

namespace fb = ds4::artifact;

namespace {

int64_t correctBytes(const TestWeight &w) {
  flatbuffers::FlatBufferBuilder b;
  auto off = fb::CreateWeightDirect(b, w.name.c_str(), w.layout, w.dtype.c_str(), &w.shape,
                                    w.experts, w.blockRows, w.blockCols, 0);
  b.Finish(off);
  const fb::Weight *weight = flatbuffers::GetRoot<fb::Weight>(b.GetBufferPointer());
  return fb::weightBufferBytes(*weight).value_or(0);
}

int64_t correctRank(const TestModel &m, const TestArg &a) {
  switch (a.kind) {
  case fb::ArgKind_tokens:
  case fb::ArgKind_positions:
    return 2;
  case fb::ArgKind_slots:
  case fb::ArgKind_weights_arena:
    return 1;
  case fb::ArgKind_state:
  case fb::ArgKind_logits:
    return 3;
  case fb::ArgKind_weight: {
    if (a.index >= m.weights.size())
      return 1;
    const TestWeight &w = m.weights[a.index];
    if (w.layout != fb::WeightLayout_plain)
      return 1;
    return int64_t(w.shape.size()) + (w.name.find('*') != std::string::npos ? 1 : 0);
  }
  }
  return 0;
}

std::vector<uint8_t> patternBytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = uint8_t(seed + i * 13 + (i >> 3));
  return v;
}

struct FakeTensor {
  std::string name;
  weights::DType dtype;
  std::vector<int64_t> shape;
  uint8_t seed;
};

std::vector<FakeTensor> fakeTensors() {
  using weights::DType;
  return {
      {"bias", DType::F32, {16}, 0}, // overwritten with float values below
      {"proj.weight", DType::F8_E4M3, {4, 8}, 3},
      {"proj.scale", DType::F8_E8M0, {2, 2}, 120},
      {"experts.0.w.weight", DType::I8, {4, 4}, 5},
      {"experts.1.w.weight", DType::I8, {4, 4}, 77},
      {"experts.0.w.scale", DType::F8_E8M0, {4, 2}, 110},
      {"experts.1.w.scale", DType::F8_E8M0, {4, 2}, 130},
      {"stack.0.b", DType::BF16, {3}, 0}, // bf16 values below
      {"stack.1.b", DType::BF16, {3}, 0},
      {"mtp.0.extra", DType::F32, {1}, 9},
  };
}

std::vector<uint8_t> fakeTensorBytes(const FakeTensor &t) {
  if (t.name == "bias") {
    std::vector<float> v(16);
    for (int i = 0; i < 16; ++i)
      v[size_t(i)] = 0.25f * float(i);
    const uint8_t *p = reinterpret_cast<const uint8_t *>(v.data());
    return std::vector<uint8_t>(p, p + 64);
  }
  if (t.name == "stack.0.b" || t.name == "stack.1.b") {
    // bf16 of 1, 2, 3 (expert 0) and 10, 20, 30 (expert 1): upper halves of the f32 bits.
    float base = t.name == "stack.0.b" ? 1.0f : 10.0f;
    std::vector<uint8_t> out;
    for (int i = 1; i <= 3; ++i) {
      float f = base * float(i);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      uint16_t h = uint16_t(bits >> 16);
      out.push_back(uint8_t(h & 0xff));
      out.push_back(uint8_t(h >> 8));
    }
    return out;
  }
  return patternBytes(size_t(weights::byteSize(t.dtype, t.shape).value()), t.seed);
}

} // namespace

std::vector<uint8_t> buildArtifact(const TestModel &m) {
  flatbuffers::FlatBufferBuilder b(1024);
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels;
  for (const TestKernel &k : m.kernels)
    kernels.push_back(fb::CreateKernelDirect(b, k.name.c_str(), k.kind, &k.binary));
  std::vector<flatbuffers::Offset<fb::Weight>> weightsV;
  for (const TestWeight &w : m.weights)
    weightsV.push_back(fb::CreateWeightDirect(b, w.name.c_str(), w.layout, w.dtype.c_str(),
                                              &w.shape, w.experts, w.blockRows, w.blockCols,
                                              w.bytes >= 0 ? w.bytes : correctBytes(w),
                                              w.offset));
  std::vector<flatbuffers::Offset<fb::State>> states;
  for (const TestState &s : m.states)
    states.push_back(fb::CreateStateDirect(b, s.name.c_str(), s.kind, s.fixedRows, s.ratio,
                                           s.width, "f32"));
  std::vector<flatbuffers::Offset<fb::Entry>> entries;
  for (const TestEntry &e : m.entries) {
    std::vector<flatbuffers::Offset<fb::Command>> commands;
    for (const TestCommand &c : e.commands) {
      std::vector<flatbuffers::Offset<fb::Arg>> args;
      for (const TestArg &a : c.args)
        args.push_back(fb::CreateArg(b, a.kind, a.index,
                                     uint32_t(a.rank >= 0 ? a.rank : correctRank(m, a))));
      commands.push_back(
          fb::CreateCommandDirect(b, c.op, c.kernel, c.symbol.c_str(), &args));
    }
    entries.push_back(fb::CreateEntryDirect(b, e.name.c_str(), e.batch, e.tokens, &commands));
  }
  std::string hash = m.configHash ? *m.configHash : fb::configHash(m.configJson);
  auto model = fb::CreateModelDirect(b, m.formatVersion, "test", m.target, "exact",
                                     m.configJson.c_str(), hash.c_str(), m.vocabSize,
                                     m.maxSeqLen, m.maxBatch, &kernels, &weightsV, &states,
                                     &entries, m.weightArenaBytes);
  b.Finish(model, fb::ModelIdentifier());
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

TestModel fakeModel(std::vector<uint8_t> kernel) {
  TestModel m;
  m.kernels.push_back({"host", fb::BinaryKind_host_shared_object, std::move(kernel)});
  m.states = {{"window", fb::StateKind_window, 8, 0, 2},
              {"compressed", fb::StateKind_compressed, 0, 4, 1}};
  m.weights = {
      {"bias", fb::WeightLayout_plain, "F32", {16}},
      {"proj.weight", fb::WeightLayout_packed_fp8, "F8_E4M3", {4, 8}, 1, 2, 4},
      {"experts.*.w.weight", fb::WeightLayout_packed_fp4, "I8", {4, 8}, 2, 1, 4},
      {"stack.*.b", fb::WeightLayout_plain, "BF16", {3}, 2},
  };
  std::vector<TestArg> args = {
      {fb::ArgKind_tokens},    {fb::ArgKind_positions}, {fb::ArgKind_slots},
      {fb::ArgKind_state, 0},  {fb::ArgKind_state, 1},  {fb::ArgKind_weight, 0},
      {fb::ArgKind_weight, 1}, {fb::ArgKind_weight, 2}, {fb::ArgKind_weight, 3},
      {fb::ArgKind_logits},
  };
  m.entries = {
      {"prefill", 1, -1, {{fb::CommandOp_call_host, 0, "ds4_entry_prefill", args}}},
      {"decode", -1, 1, {{fb::CommandOp_call_host, 0, "ds4_entry_decode", args}}},
  };
  return m;
}

TestModel fakeGpuModel(std::vector<uint8_t> plan, const std::string &prefill,
                       const std::string &decode) {
  TestModel m = fakeModel(std::move(plan));
  m.target = fb::Target_sm_90a;
  m.kernels[0].name = "host_plan";
  m.kernels.push_back({"kernels", fb::BinaryKind_ptx, {'.', 'v', 'e', 'r'}});
  const int64_t offsets[] = {0, 64, 128, 192};
  for (size_t i = 0; i < m.weights.size(); ++i)
    m.weights[i].offset = offsets[i];
  m.weightArenaBytes = 256;
  std::vector<TestArg> args = {{fb::ArgKind_tokens},        {fb::ArgKind_positions},
                               {fb::ArgKind_slots},         {fb::ArgKind_state, 0},
                               {fb::ArgKind_weights_arena}, {fb::ArgKind_logits}};
  m.entries = {{"prefill", 1, -1, {{fb::CommandOp_call_host, 0, prefill, args}}},
               {"decode", -1, 1, {{fb::CommandOp_call_host, 0, decode, args}}}};
  return m;
}

std::vector<uint8_t> fakeKernelBinary() {
#ifdef DS4_FAKE_KERNEL_PATH
  return readFile(DS4_FAKE_KERNEL_PATH);
#else
  return {};
#endif
}

Status writeFakeCheckpoint(const std::string &path) {
  weights::SafeTensorsWriter w;
  for (const FakeTensor &t : fakeTensors()) {
    std::vector<uint8_t> bytes = fakeTensorBytes(t);
    Status s = w.add(t.name, t.dtype, t.shape, bytes.data(), bytes.size());
    if (!s.ok())
      return s;
  }
  return w.write(path);
}

std::vector<uint8_t> expectedFakeBuffer(const std::string &name) {
  std::vector<std::string> parts;
  if (name == "proj.weight")
    parts = {"proj.weight", "proj.scale"};
  else if (name == "experts.*.w.weight")
    parts = {"experts.0.w.weight", "experts.1.w.weight", "experts.0.w.scale",
             "experts.1.w.scale"};
  else if (name == "stack.*.b")
    parts = {"stack.0.b", "stack.1.b"};
  else
    parts = {name};
  std::vector<uint8_t> out;
  for (const std::string &p : parts)
    for (const FakeTensor &t : fakeTensors())
      if (t.name == p) {
        std::vector<uint8_t> bytes = fakeTensorBytes(t);
        out.insert(out.end(), bytes.begin(), bytes.end());
      }
  return out;
}

double checksum(const std::vector<uint8_t> &bytes) {
  double sum = 0;
  for (size_t i = 0; i < bytes.size(); ++i)
    sum += double(i + 1) * double(bytes[i]);
  return sum;
}

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
  return bool(out);
}

} // namespace test
} // namespace ds4

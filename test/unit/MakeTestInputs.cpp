// Writes test inputs from TestArtifacts.h:
//   ds4-test-inputs fuzz-seeds ARTIFACT_DIR SAFETENSORS_DIR
//       the hand-made seeds of the fuzz corpora (test/fuzz/artifact/, test/fuzz/safetensors/);
//   ds4-test-inputs fake-model DIR KERNEL.so
//       DIR/fake.ds4 + DIR/fake.safetensors, the fake model with the fake host kernel
//       (the C API ctypes test uses it; also handy for trying ds4-run by hand).
#include "TestArtifacts.h"

#include "runtime/weights/SafeTensors.h"

#include <cstdio>
#include <string>

using namespace ds4;
using namespace ds4::test;
namespace fb = ds4::artifact;

static bool put(const std::string &path, const std::vector<uint8_t> &bytes) {
  if (!writeFile(path, bytes)) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  if (argc == 4 && std::string(argv[1]) == "fake-model") {
    std::string dir = argv[2];
    bool ok = put(dir + "/fake.ds4", buildArtifact(fakeModel(readFile(argv[3]))));
    Status s = writeFakeCheckpoint(dir + "/fake.safetensors");
    if (!s.ok())
      std::fprintf(stderr, "%s\n", s.message().c_str());
    return ok && s.ok() ? 0 : 1;
  }
  if (argc != 4 || std::string(argv[1]) != "fuzz-seeds") {
    std::fprintf(stderr, "usage: ds4-test-inputs fuzz-seeds ARTIFACT_DIR SAFETENSORS_DIR\n"
                         "       ds4-test-inputs fake-model DIR KERNEL.so\n");
    return 2;
  }
  std::string a = argv[2], st = argv[3];
  // A small stand-in "kernel" keeps the seeds small; the loader never runs it.
  std::vector<uint8_t> kernel = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  TestModel m = fakeModel(kernel);
  bool ok = put(a + "/fake-cpu.ds4", buildArtifact(m));
  // sm_90a: the host plan called by call_host, and a PTX kernel carried for inspection.
  TestModel gpu = m;
  gpu.target = fb::Target_sm_90a;
  gpu.kernels.push_back({"kernels", fb::BinaryKind_ptx, {'.', 'v', 'e', 'r'}});
  ok &= put(a + "/fake-sm90a.ds4", buildArtifact(gpu));
  TestModel minimal;
  minimal.kernels.push_back({"k", fb::BinaryKind_host_shared_object, {1}});
  std::vector<TestArg> args = {{fb::ArgKind_tokens}, {fb::ArgKind_logits}};
  minimal.entries = {{"prefill", 1, -1, {{fb::CommandOp_call_host, 0, "p", args}}},
                     {"decode", -1, 1, {{fb::CommandOp_call_host, 0, "d", args}}}};
  ok &= put(a + "/minimal.ds4", buildArtifact(minimal));
  TestModel bad = m;
  bad.formatVersion = 2;
  bad.weights[1].bytes = 3;
  bad.entries[0].commands[0].kernel = 4;
  ok &= put(a + "/invalid-tables.ds4", buildArtifact(bad));

  weights::SafeTensorsWriter w;
  float f[4] = {1, 2, 3, 4};
  uint8_t codes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  w.setMetadata("format", "pt");
  ok &= w.add("a.weight", weights::DType::F32, {2, 2}, f, sizeof f).ok();
  ok &= w.add("b.weight", weights::DType::F8_E4M3, {2, 4}, codes, 8).ok();
  ok &= w.add("b.scale", weights::DType::F8_E8M0, {1, 1}, codes, 1).ok();
  ok &= w.add("scalar", weights::DType::BF16, {}, codes, 2).ok();
  ok &= w.add("empty", weights::DType::I64, {0, 3}, codes, 0).ok();
  ok &= put(st + "/small.safetensors", w.serialize());
  weights::SafeTensorsWriter none;
  ok &= put(st + "/empty.safetensors", none.serialize());
  std::string header = "{\"x\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}";
  std::vector<uint8_t> odd(8, 0);
  odd[0] = uint8_t(header.size());
  for (char c : header)
    odd.push_back(uint8_t(c));
  odd.push_back(0);
  odd.push_back(0);
  ok &= put(st + "/subbyte-invalid.safetensors", odd);
  return ok ? 0 : 1;
}

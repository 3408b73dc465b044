// libFuzzer target for the artifact loader: any input must load or fail with messages, never
// crash, hang or read out of bounds (build with DS4_BUILD_FUZZERS=ON and clang; the committed
// corpus in test/fuzz/artifact/ is replayed by ctest in every build).
#include "runtime/artifact/Artifact.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (auto device : {ds4::Device::cpu, ds4::Device::cuda}) {
    ds4::artifact::LoadOptions options;
    options.device = device;
    auto a = ds4::artifact::Artifact::fromBuffer(data, size, "fuzz.ds4", options);
    if (a.ok()) {
      // Exercise the layout helpers the session uses on a verified artifact.
      const ds4::artifact::Model &m = a->model();
      if (m.weights())
        for (const ds4::artifact::Weight *w : *m.weights()) {
          (void)ds4::artifact::checkpointTensors(*w);
          (void)ds4::artifact::weightBufferShape(*w);
        }
      if (m.states())
        for (const ds4::artifact::State *s : *m.states())
          (void)ds4::artifact::stateRows(*s, m.max_seq_len());
    } else {
      (void)a.status().message();
    }
  }
  return 0;
}

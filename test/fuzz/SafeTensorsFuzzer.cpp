// libFuzzer target for the safetensors reader (SafeTensorsFile::fromMemory): any input must be
// accepted or rejected with messages, never crash or read out of bounds. Corpus:
// test/fuzz/safetensors/.
#include "runtime/weights/SafeTensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (bool lenient : {false, true}) {
    ds4::weights::SafeTensorsOptions options;
    options.allowUnindexedBytes = lenient;
    auto f = ds4::weights::SafeTensorsFile::fromMemory(data, size, "fuzz.safetensors", options);
    if (f.ok()) {
      // Touch every byte the views claim, so an out-of-bounds view is caught.
      unsigned sum = 0;
      for (const ds4::weights::TensorView &t : f->tensors())
        for (size_t i = 0; i < t.bytes; ++i)
          sum += t.data[i];
      (void)f->find("x");
      volatile unsigned sink = sum;
      (void)sink;
    } else {
      (void)f.status().message();
    }
  }
  return 0;
}

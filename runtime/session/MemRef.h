// An MLIR memref descriptor { T *allocated, *aligned; int64 offset, sizes[rank],
// strides[rank] } for a contiguous row-major buffer: what a call_host command's args point at.
// The address is a host pointer on the cpu device and a device address (CUdeviceptr) on cuda;
// the descriptor itself always lives in host memory, where the host code reads it.
#ifndef DS4_RUNTIME_SESSION_MEMREF_H
#define DS4_RUNTIME_SESSION_MEMREF_H

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ds4 {
namespace session {

class MemRef {
public:
  MemRef() = default;
  MemRef(void *data, const std::vector<int64_t> &sizes) { set(data, sizes); }
  void set(void *data, const std::vector<int64_t> &sizes) {
    set(uint64_t(reinterpret_cast<uintptr_t>(data)), sizes);
  }
  void set(uint64_t address, const std::vector<int64_t> &sizes) {
    static_assert(sizeof(void *) == sizeof(int64_t), "memref descriptors assume 64-bit pointers");
    size_t rank = sizes.size();
    fields_.assign(3 + 2 * rank, 0);
    fields_[0] = int64_t(address);
    fields_[1] = int64_t(address);
    fields_[2] = 0;
    int64_t stride = 1;
    for (size_t d = rank; d-- > 0;) {
      fields_[3 + d] = sizes[d];
      fields_[3 + rank + d] = stride;
      stride *= std::max<int64_t>(sizes[d], 1);
    }
  }
  /// What an args[i] entry holds.
  void *address() { return fields_.data(); }
  /// The aligned pointer (the buffer's address).
  uint64_t data() const { return fields_.empty() ? 0 : uint64_t(fields_[1]); }

private:
  std::vector<int64_t> fields_;
};

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_MEMREF_H

// A 64-byte aligned, zero-filled host block: anonymous pages (zero until touched) for large
// blocks, the heap for small ones. Weights, state and logits scratch of the cpu device, and the
// host copy of the weights that the cuda device uploads.
#ifndef DS4_RUNTIME_SESSION_ALIGNEDBUFFER_H
#define DS4_RUNTIME_SESSION_ALIGNEDBUFFER_H

#include <cstddef>
#include <cstdint>

namespace ds4 {
namespace session {

class AlignedBuffer {
public:
  static constexpr size_t kAlignment = 64;

  AlignedBuffer() = default;
  AlignedBuffer(AlignedBuffer &&o) noexcept;
  AlignedBuffer &operator=(AlignedBuffer &&o) noexcept;
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  ~AlignedBuffer() { release(); }

  /// A zero-filled block of `bytes` (at least one) in `out`; false when out of memory.
  static bool allocate(size_t bytes, AlignedBuffer &out);
  uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  static constexpr size_t kMapThreshold = size_t(1) << 20;
  void release();
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0; // bytes mapped, or 0 for a heap block
};

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_ALIGNEDBUFFER_H

#include "runtime/session/AlignedBuffer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sys/mman.h>

namespace ds4 {
namespace session {

AlignedBuffer::AlignedBuffer(AlignedBuffer &&o) noexcept
    : data_(o.data_), size_(o.size_), mapped_(o.mapped_) {
  o.data_ = nullptr;
  o.size_ = o.mapped_ = 0;
}

AlignedBuffer &AlignedBuffer::operator=(AlignedBuffer &&o) noexcept {
  if (this != &o) {
    release();
    data_ = o.data_;
    size_ = o.size_;
    mapped_ = o.mapped_;
    o.data_ = nullptr;
    o.size_ = o.mapped_ = 0;
  }
  return *this;
}

bool AlignedBuffer::allocate(size_t bytes, AlignedBuffer &out) {
  AlignedBuffer b;
  size_t rounded = (std::max<size_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded < bytes)
    return false;
  if (rounded >= kMapThreshold) {
    void *p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return false;
    b.data_ = static_cast<uint8_t *>(p);
    b.mapped_ = rounded;
  } else {
    void *p = nullptr;
    if (posix_memalign(&p, kAlignment, rounded) != 0)
      return false;
    std::memset(p, 0, rounded);
    b.data_ = static_cast<uint8_t *>(p);
  }
  b.size_ = bytes;
  out = std::move(b);
  return true;
}

void AlignedBuffer::release() {
  if (data_ && mapped_)
    munmap(data_, mapped_);
  else if (data_)
    std::free(data_);
  data_ = nullptr;
  size_ = mapped_ = 0;
}

} // namespace session
} // namespace ds4

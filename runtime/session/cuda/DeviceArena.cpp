#include "runtime/session/cuda/DeviceArena.h"

#include "runtime/weights/Diagnostics.h"

#include <algorithm>
#include <iterator>
#include <sstream>

namespace ds4 {
namespace session {
namespace cuda {

namespace {

constexpr uint64_t kMaxBlock = uint64_t(1) << 56;

uint64_t roundUp(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

std::string hexAddress(uint64_t a) {
  std::ostringstream s;
  s << "0x" << std::hex << a;
  return s.str();
}

} // namespace

DeviceArena::DeviceArena(std::string name, Allocate allocate, Release release,
                         uint64_t initialCapacity)
    : name_(std::move(name)), allocate_(std::move(allocate)), release_(std::move(release)),
      capacity_(roundUp(initialCapacity, kGranule)) {}

DeviceArena::~DeviceArena() {
  for (uint64_t a : overflow_)
    release_(a);
  if (hasRegion_)
    release_(base_);
}

Status DeviceArena::reset() {
  for (uint64_t a : overflow_)
    release_(a);
  overflow_.clear();
  free_.clear();
  live_.clear();
  exhausted_ = false;
  uint64_t needed = peak_;
  top_ = peak_ = 0;

  bool grow = needed > capacity_;
  if (!grow && hasRegion_)
    return Status::success();
  uint64_t target = capacity_;
  if (grow) {
    target = roundUp(std::max(needed, capacity_ + capacity_ / 4), kGranule);
    if (hasRegion_)
      release_(base_);
    hasRegion_ = false;
    base_ = 0;
    capacity_ = 0;
    ++growths_;
  }
  if (target == 0)
    return Status::success();
  Expected<uint64_t> region = allocate_(target);
  if (!region)
    return Status::error(name_ + ": cannot allocate " + weights::byteCount(target) + ": " +
                         region.status().message());
  base_ = *region;
  capacity_ = target;
  hasRegion_ = true;
  ++generation_;
  return Status::success();
}

Expected<uint64_t> DeviceArena::allocate(uint64_t bytes) {
  if (bytes > kMaxBlock)
    return Status::error(name_ + ": a block of " + std::to_string(bytes) +
                         " bytes is beyond any device");
  uint64_t size = roundUp(std::max<uint64_t>(bytes, 1), kAlignment);
  uint64_t offset = top_;
  bool fromFree = false;
  for (auto it = free_.begin(); it != free_.end(); ++it)
    if (it->second >= size) {
      offset = it->first;
      uint64_t rest = it->second - size;
      free_.erase(it);
      if (rest)
        free_.emplace(offset + size, rest);
      fromFree = true;
      break;
    }
  if (!fromFree) {
    top_ += size;
    peak_ = std::max(peak_, top_);
  }

  uint64_t address;
  if (hasRegion_ && offset + size <= capacity_) {
    address = base_ + offset;
  } else if (capturing_) {
    release(offset, size);
    exhausted_ = true;
    return Status::error(name_ + " (" + weights::byteCount(capacity_) +
                         ") is too small while capturing a CUDA graph (this call needs at "
                         "least " + weights::byteCount(offset + size) + ")");
  } else {
    Expected<uint64_t> own = allocate_(size);
    if (!own) {
      release(offset, size);
      return Status::error(name_ + ": cannot allocate " + weights::byteCount(size) +
                           " beyond its " + weights::byteCount(capacity_) + ": " +
                           own.status().message());
    }
    address = *own;
    overflow_.push_back(address);
  }
  live_[address] = {offset, size};
  return address;
}

Status DeviceArena::free(uint64_t address) {
  auto it = live_.find(address);
  if (it == live_.end())
    return Status::error(name_ + ": freeing " + hexAddress(address) +
                         ", which is not a live block of this arena");
  release(it->second.offset, it->second.size);
  live_.erase(it);
  return Status::success();
}

void DeviceArena::release(uint64_t offset, uint64_t size) {
  auto next = free_.lower_bound(offset);
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {
      offset = prev->first;
      size += prev->second;
      free_.erase(prev);
    }
  }
  if (next != free_.end() && offset + size == next->first) {
    size += next->second;
    free_.erase(next);
  }
  if (offset + size == top_)
    top_ = offset; // the free range below is never adjacent to top_, so top_ is lowest here
  else
    free_.emplace(offset, size);
}

std::string DeviceArena::describe() const {
  std::string s = name_ + ": " + weights::byteCount(capacity_);
  if (growths_)
    s += ", grew " + std::to_string(growths_) + (growths_ == 1 ? " time" : " times");
  return s;
}

} // namespace cuda
} // namespace session
} // namespace ds4

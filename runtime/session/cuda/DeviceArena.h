// The activation arena of one entry: where the host plan's mgpuMemAlloc / mgpuMemFree get
// device memory during an entry call. Pure bookkeeping over an allocator given by the owner
// (cuMemAlloc / cuMemFree on the device; a fake in tests), so it builds without CUDA.
//
// Deterministic: blocks are placed first-fit in a virtual layout of offsets that starts empty
// at every reset(), so the same sequence of allocate/free calls yields the same offsets, and
// with an unchanged region the same addresses. That is what lets a captured CUDA graph (which
// holds the addresses) be replayed.
//
// Growth: the region has a fixed capacity. A block beyond it gets memory of its own from the
// allocator (an overflow block), and the call succeeds; the next reset() releases the overflow
// blocks and replaces the region by one that holds the last call's peak, so the same call
// then fits. Replacing the region moves every address: generation() counts regions, and graphs
// captured in an older generation must be dropped. While capturing, the arena never allocates:
// a block beyond the capacity is an error (exhaustedWhileCapturing()), the capture is abandoned
// and the call runs uncaptured instead, growing the arena for the next attempt.
#ifndef DS4_RUNTIME_SESSION_CUDA_DEVICEARENA_H
#define DS4_RUNTIME_SESSION_CUDA_DEVICEARENA_H

#include "runtime/support/Status.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ds4 {
namespace session {
namespace cuda {

class DeviceArena {
public:
  /// Device memory of `bytes`: its address, or an error naming the failing call.
  using Allocate = std::function<Expected<uint64_t>(uint64_t bytes)>;
  using Release = std::function<void(uint64_t address)>;

  /// Block alignment (what cuMemAlloc guarantees; enough for vector loads and TMA).
  static constexpr uint64_t kAlignment = 256;
  /// Regions are whole multiples of this.
  static constexpr uint64_t kGranule = uint64_t(1) << 20;

  /// `name` prefixes messages (e.g. "decode activation arena"). The first reset() allocates a
  /// region of `initialCapacity` (rounded up to kGranule; 0: none until a call needs one).
  DeviceArena(std::string name, Allocate allocate, Release release, uint64_t initialCapacity);
  ~DeviceArena();
  DeviceArena(const DeviceArena &) = delete;
  DeviceArena &operator=(const DeviceArena &) = delete;

  /// Starts an entry call: every block is free again; overflow blocks of the last call are
  /// released and, if it needed more than the capacity, the region is replaced by one of
  /// max(peak, 5/4 capacity). The caller must have synchronized the work of the last call.
  /// Fails only when the allocator does (then the arena has no region and every block of the
  /// next call overflows).
  Status reset();

  /// A block of at least `bytes` (0 counts as 1), kAlignment-aligned.
  Expected<uint64_t> allocate(uint64_t bytes);
  /// Returns a block; an error for an address allocate() did not return (or already freed).
  Status free(uint64_t address);

  /// While set, allocate() fails instead of overflowing.
  void setCapturing(bool capturing) { capturing_ = capturing; }
  /// Whether an allocate() failed for want of capacity while capturing, since reset().
  bool exhaustedWhileCapturing() const { return exhausted_; }

  uint64_t base() const { return base_; }
  uint64_t capacity() const { return capacity_; }
  /// Counts the regions allocated so far: addresses of different generations differ.
  uint64_t generation() const { return generation_; }
  /// How often the region was replaced by a larger one.
  int64_t growths() const { return growths_; }
  /// The end of the highest block of the current call (what the region must hold).
  uint64_t peak() const { return peak_; }
  /// Blocks live now and overflow blocks held now.
  size_t liveBlocks() const { return live_.size(); }
  size_t overflowBlocks() const { return overflow_.size(); }
  /// e.g. "decode activation arena: 4 MiB, grew 1 time".
  std::string describe() const;

private:
  struct Block {
    uint64_t offset = 0, size = 0;
  };
  /// Marks [offset, offset + size) free again, merging neighbours.
  void release(uint64_t offset, uint64_t size);

  std::string name_;
  Allocate allocate_;
  Release release_;
  uint64_t base_ = 0, capacity_ = 0;
  bool hasRegion_ = false;
  uint64_t generation_ = 0;
  int64_t growths_ = 0;
  bool capturing_ = false, exhausted_ = false;

  // The virtual layout: free ranges below top_ (offset -> size), everything from top_ up free.
  std::map<uint64_t, uint64_t> free_;
  uint64_t top_ = 0, peak_ = 0;
  std::map<uint64_t, Block> live_; // address -> its place in the layout
  std::vector<uint64_t> overflow_; // addresses from allocate_, released at reset()
};

} // namespace cuda
} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_CUDA_DEVICEARENA_H

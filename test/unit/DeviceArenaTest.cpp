// Tests of the cuda device's activation arena (runtime/session/cuda/DeviceArena.h) over a fake
// allocator: deterministic addresses, reuse of freed blocks, growth after a call that did not
// fit, no allocation while capturing, and every block and region returned.
#include "runtime/session/cuda/DeviceArena.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

using namespace ds4;
using ds4::session::cuda::DeviceArena;

namespace {

constexpr uint64_t kMiB = uint64_t(1) << 20;

/// Hands out disjoint fake addresses and remembers what is live.
struct FakeAllocator {
  uint64_t next = uint64_t(1) << 40;
  std::map<uint64_t, uint64_t> live;
  std::vector<uint64_t> sizes; // of every allocation, in order
  bool fail = false;

  DeviceArena make(uint64_t initial) {
    return DeviceArena(
        "test arena",
        [this](uint64_t bytes) -> Expected<uint64_t> {
          if (fail)
            return Status::error("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY");
          uint64_t a = next;
          next += (bytes + kMiB) / kMiB * kMiB * 2; // gaps: overflow blocks are not contiguous
          live[a] = bytes;
          sizes.push_back(bytes);
          return a;
        },
        [this](uint64_t address) { EXPECT_EQ(live.erase(address), 1u) << "double release"; },
        initial);
  }
};

/// One "entry call": allocates the sizes, frees every other block early, then the rest;
/// returns the addresses.
std::vector<uint64_t> step(DeviceArena &arena, const std::vector<uint64_t> &sizes) {
  std::vector<uint64_t> addresses;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Expected<uint64_t> a = arena.allocate(sizes[i]);
    EXPECT_TRUE(a.ok()) << a.status().message();
    addresses.push_back(a.ok() ? *a : 0);
    if (i % 2 == 1) // out of order: the block before this one
      EXPECT_TRUE(arena.free(addresses[i - 1]).ok());
  }
  for (size_t i = 0; i < sizes.size(); ++i)
    if (i % 2 == 1 || i + 1 == sizes.size())
      EXPECT_TRUE(arena.free(addresses[i]).ok());
  EXPECT_EQ(arena.liveBlocks(), 0u);
  return addresses;
}

TEST(DeviceArenaTest, SameCallsSameAddresses) {
  FakeAllocator fa;
  DeviceArena arena = fa.make(4 * kMiB);
  ASSERT_TRUE(arena.reset().ok());
  EXPECT_EQ(arena.capacity(), 4 * kMiB);
  EXPECT_EQ(arena.generation(), 1u);
  std::vector<uint64_t> sizes = {1000, 5000, 256, 70000, 1, 0, 333333};
  std::vector<uint64_t> first = step(arena, sizes);
  for (uint64_t a : first) {
    EXPECT_EQ(a % DeviceArena::kAlignment, 0u);
    EXPECT_GE(a, arena.base());
    EXPECT_LT(a, arena.base() + arena.capacity());
  }
  for (int call = 0; call < 3; ++call) {
    ASSERT_TRUE(arena.reset().ok());
    EXPECT_EQ(step(arena, sizes), first);
  }
  EXPECT_EQ(arena.generation(), 1u);
  EXPECT_EQ(arena.growths(), 0);
  EXPECT_EQ(fa.sizes.size(), 1u) << "the region only";
}

TEST(DeviceArenaTest, ReusesFreedBlocksFirstFit) {
  FakeAllocator fa;
  DeviceArena arena = fa.make(kMiB);
  ASSERT_TRUE(arena.reset().ok());
  uint64_t a = *arena.allocate(1000); // 1024 bytes
  uint64_t b = *arena.allocate(256);
  uint64_t c = *arena.allocate(512);
  EXPECT_EQ(b, a + 1024);
  EXPECT_EQ(c, b + 256);
  ASSERT_TRUE(arena.free(a).ok());
  ASSERT_TRUE(arena.free(b).ok());
  // a and b merged: 1280 bytes at a; a fitting block goes there.
  EXPECT_EQ(*arena.allocate(1280), a);
  // Freeing the top block lowers the top: the next block starts where c did.
  ASSERT_TRUE(arena.free(c).ok());
  EXPECT_EQ(*arena.allocate(100), c);
  EXPECT_EQ(arena.peak(), 1792u);
  // Freeing twice, or an address it never gave out, is an error naming the arena.
  ASSERT_TRUE(arena.free(c).ok());
  Status twice = arena.free(c);
  EXPECT_FALSE(twice.ok());
  EXPECT_CONTAINS(twice.message(), "test arena: freeing 0x");
  EXPECT_CONTAINS(twice.message(), "which is not a live block of this arena");
  EXPECT_FALSE(arena.free(12345).ok());
}

TEST(DeviceArenaTest, GrowsAfterACallThatDidNotFit) {
  FakeAllocator fa;
  DeviceArena arena = fa.make(kMiB);
  ASSERT_TRUE(arena.reset().ok());
  uint64_t base1 = arena.base();
  // 3 MiB in one call: the blocks beyond 1 MiB get memory of their own, and nothing fails.
  std::vector<uint64_t> sizes = {kMiB / 2, kMiB, kMiB, kMiB / 2};
  std::vector<uint64_t> big = step(arena, {sizes});
  EXPECT_GT(arena.overflowBlocks(), 0u);
  EXPECT_EQ(arena.peak(), 2 * kMiB + kMiB / 2) << "blocks 0 and 1 freed before 2 and 3";
  EXPECT_EQ(arena.growths(), 0);

  // The next call starts on a region that holds the peak: a new generation.
  ASSERT_TRUE(arena.reset().ok());
  EXPECT_EQ(arena.overflowBlocks(), 0u);
  EXPECT_EQ(arena.growths(), 1);
  EXPECT_EQ(arena.generation(), 2u);
  EXPECT_EQ(arena.capacity(), 3 * kMiB) << "the 2.5 MiB peak rounded up to whole MiB";
  EXPECT_NE(arena.base(), base1);
  std::vector<uint64_t> again = step(arena, sizes);
  EXPECT_EQ(arena.overflowBlocks(), 0u);
  for (uint64_t a : again)
    EXPECT_LT(a, arena.base() + arena.capacity());
  // And from then on the same addresses.
  ASSERT_TRUE(arena.reset().ok());
  EXPECT_EQ(step(arena, sizes), again);
  EXPECT_EQ(arena.generation(), 2u);
  EXPECT_CONTAINS(arena.describe(), "test arena: 3145728 bytes, grew 1 time");

  // Only the region is left: overflow blocks and the old region were released.
  EXPECT_EQ(fa.live.size(), 1u);
  EXPECT_EQ(fa.live.begin()->first, arena.base());
}

TEST(DeviceArenaTest, StartsEmptyWithoutInitialCapacity) {
  FakeAllocator fa;
  DeviceArena arena = fa.make(0);
  ASSERT_TRUE(arena.reset().ok());
  EXPECT_EQ(arena.capacity(), 0u);
  EXPECT_EQ(arena.generation(), 0u);
  EXPECT_TRUE(fa.live.empty());
  step(arena, {100, 200});
  ASSERT_TRUE(arena.reset().ok());
  EXPECT_EQ(arena.capacity(), kMiB);
  EXPECT_EQ(arena.generation(), 1u);
}

TEST(DeviceArenaTest, NeverAllocatesWhileCapturing) {
  FakeAllocator fa;
  DeviceArena arena = fa.make(kMiB);
  ASSERT_TRUE(arena.reset().ok());
  size_t allocations = fa.sizes.size();
  arena.setCapturing(true);
  uint64_t a = *arena.allocate(kMiB / 2);
  Expected<uint64_t> b = arena.allocate(kMiB);
  ASSERT_FALSE(b.ok());
  EXPECT_CONTAINS(b.status().message(),
                  "test arena (1048576 bytes) is too small while capturing a CUDA graph (this "
                  "call needs at least 1572864 bytes)");
  EXPECT_TRUE(arena.exhaustedWhileCapturing());
  EXPECT_EQ(fa.sizes.size(), allocations) << "no allocation while capturing";
  // What fits still works, at the address the failed block did not take.
  EXPECT_EQ(*arena.allocate(kMiB / 4), a + kMiB / 2);
  arena.setCapturing(false);
  // The reset after the failed capture grows the region to what the capture needed.
  ASSERT_TRUE(arena.reset().ok());
  EXPECT_FALSE(arena.exhaustedWhileCapturing());
  EXPECT_EQ(arena.capacity(), 2 * kMiB);
  arena.setCapturing(true);
  EXPECT_TRUE(arena.allocate(kMiB / 2).ok());
  EXPECT_TRUE(arena.allocate(kMiB).ok());
}

TEST(DeviceArenaTest, AllocatorFailures) {
  FakeAllocator fa;
  DeviceArena arena = fa.make(kMiB);
  fa.fail = true;
  Status s = arena.reset();
  ASSERT_FALSE(s.ok());
  EXPECT_CONTAINS(s.message(), "test arena: cannot allocate 1048576 bytes: cuMemAlloc failed: "
                               "CUDA_ERROR_OUT_OF_MEMORY");
  Expected<uint64_t> a = arena.allocate(10);
  ASSERT_FALSE(a.ok());
  EXPECT_CONTAINS(a.status().message(), "test arena: cannot allocate 256 bytes beyond its");
  fa.fail = false;
  // Without a region every block overflows, and still works.
  Expected<uint64_t> b = arena.allocate(10);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(arena.overflowBlocks(), 1u);
  EXPECT_TRUE(arena.reset().ok());
  EXPECT_EQ(arena.capacity(), kMiB);
  EXPECT_FALSE(arena.allocate(uint64_t(1) << 60).ok());
}

TEST(DeviceArenaTest, ReleasesEverythingOnDestruction) {
  FakeAllocator fa;
  {
    DeviceArena arena = fa.make(kMiB);
    ASSERT_TRUE(arena.reset().ok());
    ASSERT_TRUE(arena.allocate(2 * kMiB).ok()); // an overflow block, still held
    EXPECT_EQ(fa.live.size(), 2u);
  }
  EXPECT_TRUE(fa.live.empty());
}

} // namespace

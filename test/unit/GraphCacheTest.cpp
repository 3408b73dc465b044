// Tests of the decode graph bookkeeping (runtime/session/cuda/GraphCache.h): warm-up, capture,
// replay per batch size; failed captures (retried or given up, with the reason in status());
// invalidation; every graph destroyed exactly once.
#include "runtime/session/cuda/GraphCache.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <map>

using ds4::session::cuda::GraphCache;
using Action = GraphCache::Action;

namespace {

struct Graphs {
  std::map<void *, int> destroyed;
  GraphCache cache{[this](void *g) { ++destroyed[g]; }};
};

void *handle(int i) { return reinterpret_cast<void *>(uintptr_t(0x1000 + i)); }

TEST(GraphCacheTest, WarmUpCaptureReplay) {
  Graphs g;
  EXPECT_EQ(g.cache.status(), "no decode step yet");
  EXPECT_EQ(g.cache.next(4), Action::run);
  g.cache.ran(4);
  EXPECT_EQ(g.cache.next(4), Action::capture);
  EXPECT_EQ(g.cache.next(1), Action::run) << "batch sizes are independent";
  g.cache.captured(4, handle(4));
  EXPECT_EQ(g.cache.next(4), Action::replay);
  EXPECT_EQ(g.cache.graph(4), handle(4));
  EXPECT_EQ(g.cache.graph(1), nullptr);
  g.cache.replayed(4);
  g.cache.replayed(4);
  g.cache.ran(1);
  EXPECT_EQ(g.cache.status(), "batch 1: warmed up: captured at the next decode step\n"
                              "batch 4: graph (captured 1 time, 2 replays)");
  EXPECT_TRUE(g.destroyed.empty());
}

TEST(GraphCacheTest, FailedCaptures) {
  Graphs g;
  g.cache.ran(2);
  g.cache.captureFailed(2, "arena too small", /*retry=*/true);
  EXPECT_EQ(g.cache.next(2), Action::capture);
  EXPECT_CONTAINS(g.cache.status(), "batch 2: warmed up: captured at the next decode step "
                                    "(arena too small)");
  g.cache.captureFailed(2, "cuStreamEndCapture failed: CUDA_ERROR_X", /*retry=*/false);
  EXPECT_EQ(g.cache.next(2), Action::run);
  g.cache.ran(2); // stays uncaptured
  EXPECT_EQ(g.cache.next(2), Action::run);
  EXPECT_EQ(g.cache.status(),
            "batch 2: uncaptured: capture failed: cuStreamEndCapture failed: CUDA_ERROR_X");
}

TEST(GraphCacheTest, InvalidateDestroysEveryGraphOnce) {
  Graphs g;
  for (int b : {1, 3}) {
    g.cache.ran(b);
    g.cache.captured(b, handle(b));
  }
  g.cache.ran(5);
  g.cache.invalidate("the decode activation arena grew");
  EXPECT_EQ(g.destroyed.size(), 2u);
  EXPECT_EQ(g.destroyed[handle(1)], 1);
  EXPECT_EQ(g.destroyed[handle(3)], 1);
  EXPECT_EQ(g.cache.next(1), Action::capture) << "no second warm-up after invalidation";
  EXPECT_EQ(g.cache.next(5), Action::capture);
  EXPECT_CONTAINS(g.cache.status(), "batch 3: warmed up: captured at the next decode step (the "
                                    "decode activation arena grew)");
  // Recaptured, then the cache goes away: destroyed too.
  g.cache.captured(1, handle(11));
  g.cache.clear();
  EXPECT_EQ(g.destroyed[handle(11)], 1);
  EXPECT_EQ(g.cache.next(1), Action::run);
}

TEST(GraphCacheTest, DestructionDestroysGraphs) {
  std::map<void *, int> destroyed;
  {
    GraphCache cache([&](void *g) { ++destroyed[g]; });
    cache.captured(2, handle(2));
    cache.captured(2, handle(22)); // replaces (and destroys) the first
    EXPECT_EQ(destroyed[handle(2)], 1);
  }
  EXPECT_EQ(destroyed[handle(22)], 1);
}

} // namespace

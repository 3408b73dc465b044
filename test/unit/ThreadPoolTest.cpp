// The cpu device's thread pool: every iteration of a parallel loop runs exactly once, whatever
// the thread count and range; the pool is reusable back to back (workers waking late must not
// touch a finished job); ranges of 0 and 1 run inline.
#include "runtime/session/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

using ds4::session::ThreadPool;

namespace {
struct Hits {
  std::vector<std::atomic<int>> count;
  explicit Hits(size_t n) : count(n) {}
};

void mark(void *context, int64_t begin, int64_t end) {
  auto *hits = static_cast<Hits *>(context);
  for (int64_t i = begin; i < end; ++i)
    hits->count[size_t(i)].fetch_add(1);
}
} // namespace

TEST(ThreadPoolTest, EveryIterationRunsExactlyOnce) {
  for (unsigned threads : {1u, 2u, 4u, 7u}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int64_t total : {1, 2, 3, 7, 64, 1000, 100003}) {
      Hits hits{size_t(total)};
      pool.parallelFor(&mark, &hits, total);
      for (int64_t i = 0; i < total; ++i)
        ASSERT_EQ(hits.count[size_t(i)].load(), 1)
            << "iteration " << i << " of " << total << " with " << threads << " threads";
    }
  }
}

TEST(ThreadPoolTest, ManyJobsBackToBack) {
  ThreadPool pool(4);
  for (int round = 0; round < 2000; ++round) {
    int64_t total = 1 + round % 37;
    Hits hits{size_t(total)}; // a fresh context each time: late workers must not touch it
    pool.parallelFor(&mark, &hits, total);
    for (int64_t i = 0; i < total; ++i)
      ASSERT_EQ(hits.count[size_t(i)].load(), 1) << "round " << round;
  }
}

TEST(ThreadPoolTest, DefaultThreadCountIsPositive) {
  EXPECT_GE(ds4::session::defaultThreadCount(), 1u);
}

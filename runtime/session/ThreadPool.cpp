#include "runtime/session/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <sched.h>

using namespace ds4;
using namespace ds4::session;

namespace {
thread_local ThreadPool *currentPool = nullptr;

/// What compiled host code calls (through its ds4_host_abi table).
void parallelForEntry(ds4_parallel_body body, void *context, int64_t total) {
  if (total <= 0)
    return;
  if (ThreadPool *pool = currentPool)
    pool->parallelFor(body, context, total);
  else
    body(context, 0, total);
}
} // namespace

unsigned session::defaultThreadCount() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return unsigned(std::max(1, CPU_COUNT(&set)));
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(unsigned threads) {
  for (unsigned i = 1; i < std::max(1u, threads); ++i)
    workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

void ThreadPool::runChunks(Job &job) {
  for (;;) {
    int64_t begin = job.next.fetch_add(job.chunk);
    if (begin >= job.total)
      return;
    job.body(job.context, begin, std::min(job.total, begin + job.chunk));
  }
}

void ThreadPool::work() {
  int64_t seen = 0;
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
      job = job_;
      ++job->active;
    }
    runChunks(*job);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--job->active == 0)
        done_.notify_all();
    }
  }
}

void ThreadPool::parallelFor(ds4_parallel_body body, void *context, int64_t total) {
  if (workers_.empty() || total == 1) {
    body(context, 0, total);
    return;
  }
  auto job = std::make_shared<Job>();
  job->body = body;
  job->context = context;
  job->total = total;
  // A few chunks per thread balance uneven iterations without much contention.
  job->chunk = std::max<int64_t>(1, total / (int64_t(threads()) * 4));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = job;
    ++generation_;
  }
  wake_.notify_all();
  runChunks(*job);
  // Every chunk is claimed; wait for the workers still running theirs.
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return job->active == 0; });
}

ThreadPool::Current::Current(ThreadPool *pool) : previous_(currentPool) { currentPool = pool; }
ThreadPool::Current::~Current() { currentPool = previous_; }

Status session::bindHostThreads(const HostLibrary &library, const std::string &what) {
  Expected<HostSymbol> table = library.symbol("ds4_host_abi");
  if (!table)
    return Status::success(); // no parallel loops in this library
  Expected<HostSymbol> version = library.symbol("ds4_host_abi_version");
  if (!version || version->size < sizeof(uint32_t))
    return Status::error(what + ": exports ds4_host_abi but no ds4_host_abi_version");
  uint32_t v;
  std::memcpy(&v, version->address, sizeof v);
  if (v != DS4_HOST_ABI_VERSION)
    return Status::error(what + ": host ABI version " + std::to_string(v) +
                         ", this runtime provides version " +
                         std::to_string(DS4_HOST_ABI_VERSION) + " (recompile the artifact)");
  if (table->size < sizeof(void *) * DS4_HOST_ABI_COUNT)
    return Status::error(what + ": its ds4_host_abi table is too small");
  void **slots = static_cast<void **>(table->address);
  slots[ds4_host_abi_parallel_for] = reinterpret_cast<void *>(&parallelForEntry);
  return Status::success();
}

// The cpu device's threads: runs the parallel loops of compiled host code
// (runtime/include/ds4/host_abi.h). One pool per session; the session makes it current on the
// calling thread around each entry call, and ds4_parallel_for (the function put into every
// loaded host library's table) runs on the current pool, or inline when there is none.
#ifndef DS4_RUNTIME_SESSION_THREADPOOL_H
#define DS4_RUNTIME_SESSION_THREADPOOL_H

#include "ds4/host_abi.h"
#include "runtime/session/HostKernel.h"
#include "runtime/support/Status.h"

#include <condition_variable>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ds4 {
namespace session {

class ThreadPool {
public:
  /// `threads` workers in all, the calling thread included (1: everything runs inline).
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned threads() const { return unsigned(workers_.size()) + 1; }

  /// body(context, begin, end) over chunks covering [0, total) exactly once; returns when
  /// every chunk has run. The calling thread takes chunks too.
  void parallelFor(ds4_parallel_body body, void *context, int64_t total);

  /// Makes `pool` the one ds4_parallel_for uses on this thread until the guard ends.
  class Current {
  public:
    explicit Current(ThreadPool *pool);
    ~Current();

  private:
    ThreadPool *previous_;
  };

private:
  /// One parallelFor call. Workers hold it by shared_ptr, so one that wakes after the call
  /// returned finds every chunk claimed and touches nothing else.
  struct Job {
    ds4_parallel_body body;
    void *context;
    int64_t total, chunk;
    std::atomic<int64_t> next{0};
    unsigned active = 0; // workers inside runChunks (guarded by mutex_)
  };
  void work();
  static void runChunks(Job &job);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::shared_ptr<Job> job_; // the latest job (guarded by mutex_)
  int64_t generation_ = 0;
  bool stop_ = false;
};

/// The default thread count: the processors this process may run on.
unsigned defaultThreadCount();

/// Fills the host library's `ds4_host_abi` table, if it has one (else nothing to do), after
/// checking its version. `what` names the library in messages.
Status bindHostThreads(const HostLibrary &library, const std::string &what);

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_THREADPOOL_H

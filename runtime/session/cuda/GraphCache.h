// Which decode steps run as CUDA graphs: one graph per batch size, captured once the shapes
// have settled. Pure bookkeeping over opaque graph handles (CUgraphExec on the device), so it
// builds and is tested without CUDA.
//
// Per batch size: the first decode runs uncaptured (a warm-up: the activation arena grows to
// what the step needs), the next is captured and launched, later ones replay the graph. A
// capture that fails is reported in status() and that batch size keeps running uncaptured, or
// (retry: e.g. the arena was too small) is captured again next time. invalidate() drops every
// graph when the buffers they point into moved; those batch sizes capture again next time.
#ifndef DS4_RUNTIME_SESSION_CUDA_GRAPHCACHE_H
#define DS4_RUNTIME_SESSION_CUDA_GRAPHCACHE_H

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace ds4 {
namespace session {
namespace cuda {

class GraphCache {
public:
  enum class Action { run, capture, replay };
  using Destroy = std::function<void(void *graph)>;

  explicit GraphCache(Destroy destroy) : destroy_(std::move(destroy)) {}
  ~GraphCache() { clear(); }
  GraphCache(const GraphCache &) = delete;
  GraphCache &operator=(const GraphCache &) = delete;

  /// What the next decode of `batch` rows does.
  Action next(int64_t batch) const;
  /// The graph to replay (Action::replay), else nullptr.
  void *graph(int64_t batch) const;

  /// An uncaptured run of `batch` succeeded.
  void ran(int64_t batch);
  /// `graph` was captured for `batch`; this cache destroys it.
  void captured(int64_t batch, void *graph);
  void replayed(int64_t batch);
  /// Capturing `batch` failed because of `why`; retry: capture again next time, else run
  /// uncaptured from now on.
  void captureFailed(int64_t batch, const std::string &why, bool retry);
  /// The buffers graphs point into moved (`why`): every graph is destroyed.
  void invalidate(const std::string &why);
  /// Destroys every graph and forgets every batch size.
  void clear();

  /// One line per batch size seen, e.g. "batch 4: graph (captured 1 time, 10 replays)".
  std::string status() const;

private:
  enum class State { warming, warm, captured, failed };
  struct Entry {
    State state = State::warming;
    void *graph = nullptr;
    int64_t captures = 0, replays = 0;
    std::string why; // of the last failure or invalidation
  };
  Destroy destroy_;
  std::map<int64_t, Entry> batches_;
};

} // namespace cuda
} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_CUDA_GRAPHCACHE_H

#include "runtime/session/cuda/GraphCache.h"

namespace ds4 {
namespace session {
namespace cuda {

GraphCache::Action GraphCache::next(int64_t batch) const {
  auto it = batches_.find(batch);
  if (it == batches_.end())
    return Action::run;
  switch (it->second.state) {
  case State::warming:
  case State::failed:
    return Action::run;
  case State::warm:
    return Action::capture;
  case State::captured:
    return Action::replay;
  }
  return Action::run;
}

void *GraphCache::graph(int64_t batch) const {
  auto it = batches_.find(batch);
  return it == batches_.end() || it->second.state != State::captured ? nullptr : it->second.graph;
}

void GraphCache::ran(int64_t batch) {
  Entry &e = batches_[batch];
  if (e.state == State::warming)
    e.state = State::warm;
}

void GraphCache::captured(int64_t batch, void *graph) {
  Entry &e = batches_[batch];
  if (e.graph && e.graph != graph)
    destroy_(e.graph);
  e.graph = graph;
  e.state = State::captured;
  ++e.captures;
}

void GraphCache::replayed(int64_t batch) { ++batches_[batch].replays; }

void GraphCache::captureFailed(int64_t batch, const std::string &why, bool retry) {
  Entry &e = batches_[batch];
  if (e.graph)
    destroy_(e.graph);
  e.graph = nullptr;
  e.state = retry ? State::warm : State::failed;
  e.why = why;
}

void GraphCache::invalidate(const std::string &why) {
  for (auto &[batch, e] : batches_)
    if (e.state == State::captured) {
      destroy_(e.graph);
      e.graph = nullptr;
      e.state = State::warm;
      e.why = why;
    }
}

void GraphCache::clear() {
  for (auto &[batch, e] : batches_)
    if (e.graph)
      destroy_(e.graph);
  batches_.clear();
}

std::string GraphCache::status() const {
  if (batches_.empty())
    return "no decode step yet";
  std::string out;
  auto times = [](int64_t n, const char *what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  for (const auto &[batch, e] : batches_) {
    if (!out.empty())
      out += '\n';
    out += "batch " + std::to_string(batch) + ": ";
    switch (e.state) {
    case State::warming:
      out += "warming up";
      break;
    case State::warm:
      out += "warmed up: captured at the next decode step";
      if (!e.why.empty())
        out += " (" + e.why + ")";
      break;
    case State::captured:
      out += "graph (captured " + times(e.captures, "time") + ", " + times(e.replays, "replay") +
             ")";
      break;
    case State::failed:
      out += "uncaptured: capture failed: " + e.why;
      break;
    }
  }
  return out;
}

} // namespace cuda
} // namespace session
} // namespace ds4

#include "runtime/session/Session.h"

#include "runtime/session/AlignedBuffer.h"
#include "runtime/session/EntryArgs.h"
#include "runtime/session/HostKernel.h"
#include "runtime/session/SyntheticState.h"
#include "runtime/session/ThreadPool.h"
#include "runtime/weights/Checkpoint.h"
#include "runtime/weights/Diagnostics.h"

#if DS4_HAVE_CUDA
#include "runtime/session/cuda/CudaSession.h"
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include <unistd.h>

namespace ds4 {
namespace session {

using artifact::Arg;
using artifact::Artifact;
using artifact::Command;
using artifact::Entry;
using artifact::Model;
using weights::displayName;

namespace {

constexpr size_t kAlignment = AlignedBuffer::kAlignment;
/// The copy measureCopyBandwidthGBs times on the cpu.
constexpr size_t kCpuBandwidthBytes = size_t(256) << 20;

std::string plural(int64_t n, const char *word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

double millisecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

/// "model name" of /proc/cpuinfo, or "cpu".
std::string cpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size())
        return line.substr(colon + 2);
    }
  return "cpu";
}

} // namespace

struct Session::Impl {
  explicit Impl(Artifact a) : artifact(std::move(a)) {}
  ~Impl() {
#if DS4_HAVE_CUDA
    // The host plans' ds4_gpu_host_fini must run before `libraries` unloads them.
    cuda.reset();
#endif
  }

  Artifact artifact;
  Device device = Device::cpu;
  int64_t vocab = 0;
  int64_t maxBatch = 0, maxSeqLen = 0;     // usable limits
  int64_t stateBatch = 0, stateSeqLen = 0; // compiled shapes

  std::vector<HostLibrary> libraries; // the kernels the entries call
  std::unique_ptr<ThreadPool> pool;   // cpu: runs the host code's parallel loops
  std::vector<BoundCommand> prefillCommands, decodeCommands;

  // Either one arena holding every weight at its Weight.offset (an artifact whose entries
  // take a weights_arena argument), or one buffer per weight; on cuda only until uploaded.
  // buffers.weights / buffers.weightArena point into whichever holds them.
  AlignedBuffer weightArena;
  std::vector<AlignedBuffer> weightBuffers;
  std::vector<AlignedBuffer> stateBuffers; // cpu
  std::vector<uint64_t> stateAddresses;    // where each state buffer starts (host or device)
  std::vector<int64_t> stateRowElements;   // rows * width of one slot
  EntryBuffers buffers;

  std::vector<int64_t> lengths;
  AlignedBuffer logitsScratch;

  bool profileKernels = false;
  StepTiming lastStep;

#if DS4_HAVE_CUDA
  std::unique_ptr<cuda::CudaSession> cuda;
#endif

  mutable std::mutex mutex;

  const std::string &name() const { return artifact.path(); }

  Status bindKernels();
  Status bindWeights(const std::string &weightsPath);
  Status uploadWeights();
  Status allocateStates();
  Status checkTokens(const int32_t *tokens, size_t n, const std::string &what) const;
  Status run(bool decode, const int32_t *slots, const int32_t *tokens, int64_t batch,
             int64_t count, float *logits);
  void runCpu(const std::vector<BoundCommand> &commands, StepTiming &timing);
};

Status Session::Impl::bindKernels() {
  const Model &m = artifact.model();
  size_t kernels = m.kernels() ? m.kernels()->size() : 0;
  std::vector<std::unique_ptr<HostLibrary>> libs(kernels);
  Status status;
  auto bind = [&](const char *entryName, std::vector<BoundCommand> &out) {
    const Entry *e = artifact.findEntry(entryName);
    for (size_t c = 0; e && e->commands() && c < e->commands()->size(); ++c) {
      const Command *cmd = e->commands()->Get(flatbuffers::uoffset_t(c));
      uint32_t k = cmd->kernel();
      if (!libs[k]) {
        const artifact::Kernel *kernel = m.kernels()->Get(k);
        std::string what = name() + ": kernel " + std::to_string(k) + " " +
                           displayName(kernel->name() ? kernel->name()->str() : "");
        Expected<HostLibrary> lib =
            HostLibrary::load(kernel->binary()->data(), kernel->binary()->size(), what);
        if (!lib) {
          status.append(lib.status());
          return;
        }
        libs[k] = std::make_unique<HostLibrary>(std::move(*lib));
        if (device == Device::cpu) {
          Status bound = bindHostThreads(*libs[k], what);
          if (!bound.ok()) {
            status.append(bound);
            return;
          }
        }
#if DS4_HAVE_CUDA
        if (cuda) {
          Status bound = cuda->bindHostPlan(*libs[k], what);
          if (!bound.ok()) {
            status.append(bound);
            return;
          }
        }
#endif
      }
      Expected<HostFunction> fn = libs[k]->function(cmd->symbol()->str());
      if (!fn) {
        status.append(fn.status().message() + " (entry '" + entryName + "', command " +
                      std::to_string(c) + ")");
        continue;
      }
      out.push_back({*fn, cmd});
    }
  };
  bind("prefill", prefillCommands);
  if (status.ok())
    bind("decode", decodeCommands);
  for (auto &lib : libs)
    if (lib)
      libraries.push_back(std::move(*lib));
  return status;
}

Status Session::Impl::bindWeights(const std::string &weightsPath) {
  const Model &m = artifact.model();
  std::vector<weights::ExpectedTensor> expected;
  std::vector<std::pair<size_t, size_t>> ranges; // per weight: [first, end) into expected
  size_t weightCount = m.weights() ? m.weights()->size() : 0;
  for (size_t i = 0; i < weightCount; ++i) {
    std::vector<weights::ExpectedTensor> t =
        artifact::checkpointTensors(*m.weights()->Get(flatbuffers::uoffset_t(i)));
    ranges.emplace_back(expected.size(), expected.size() + t.size());
    for (auto &x : t)
      expected.push_back(std::move(x));
  }
  Expected<weights::Checkpoint> checkpoint = weights::Checkpoint::open(weightsPath);
  if (!checkpoint)
    return checkpoint.status();
  weights::ValidateOptions vo;
  vo.extraTensorsAreErrors = false; // checkpoints carry mtp.* and other unused tensors
  Status mismatch = checkpoint->validate(expected, vo);
  if (!mismatch.ok()) {
    Status s = Status::error(weightsPath + ": " + plural(int64_t(mismatch.messages().size()),
                                                         "problem") +
                             " binding the checkpoint to the weight table of " + name() + ":");
    s.append(mismatch);
    return s;
  }

  // The verifier checked that every weight lies inside the arena without overlap.
  bool arena = artifact::usesWeightArena(m);
  if (arena) {
    size_t total = size_t(m.weight_arena_bytes());
    if (!AlignedBuffer::allocate(total, weightArena))
      return Status::error(name() + ": out of memory allocating " + weights::byteCount(total) +
                           " for the weight arena");
    buffers.weightArena.set(weightArena.data(), {int64_t(total)});
  } else {
    weightBuffers.resize(weightCount);
  }
  buffers.weights.resize(weightCount);
  for (size_t i = 0; i < weightCount; ++i) {
    const artifact::Weight &w = *m.weights()->Get(flatbuffers::uoffset_t(i));
    size_t bytes = size_t(w.bytes());
    uint8_t *base;
    if (arena) {
      base = weightArena.data() + size_t(w.offset());
    } else {
      if (!AlignedBuffer::allocate(bytes, weightBuffers[i]))
        return Status::error(name() + ": out of memory allocating " + weights::byteCount(bytes) +
                             " for weight " + displayName(w.name()->str()));
      base = weightBuffers[i].data();
    }
    size_t offset = 0;
    for (size_t t = ranges[i].first; t < ranges[i].second; ++t) {
      const weights::TensorView *view = checkpoint->find(expected[t].name);
      if (offset + view->bytes > bytes)
        return Status::error(name() + ": internal error: weight " +
                             displayName(w.name()->str()) + " overflows its buffer");
      std::memcpy(base + offset, view->data, view->bytes);
      offset += view->bytes;
    }
    if (offset != bytes)
      return Status::error(name() + ": internal error: weight " + displayName(w.name()->str()) +
                           " fills " + std::to_string(offset) + " of " + std::to_string(bytes) +
                           " bytes");
    buffers.weights[i].set(base, artifact::weightBufferShape(w));
  }
  return uploadWeights();
}

/// cuda: the host buffers bindWeights built go to the device (one buffer), then are freed.
Status Session::Impl::uploadWeights() {
#if DS4_HAVE_CUDA
  if (!cuda)
    return Status::success();
  const Model &m = artifact.model();
  size_t weightCount = m.weights() ? m.weights()->size() : 0;
  std::vector<cuda::CudaSession::HostBytes> pieces;
  if (artifact::usesWeightArena(m))
    pieces.push_back({weightArena.data(), size_t(m.weight_arena_bytes())});
  else
    for (const AlignedBuffer &b : weightBuffers)
      pieces.push_back({b.data(), b.size()});
  Expected<std::vector<uint64_t>> addresses = cuda->uploadWeights(pieces);
  if (!addresses)
    return addresses.status();
  for (size_t i = 0; i < weightCount; ++i) {
    const artifact::Weight &w = *m.weights()->Get(flatbuffers::uoffset_t(i));
    uint64_t at = artifact::usesWeightArena(m) ? (*addresses)[0] + uint64_t(w.offset())
                                               : (*addresses)[i];
    buffers.weights[i].set(at, artifact::weightBufferShape(w));
  }
  if (artifact::usesWeightArena(m))
    buffers.weightArena.set((*addresses)[0], {m.weight_arena_bytes()});
  weightArena = AlignedBuffer();
  weightBuffers.clear();
#endif
  return Status::success();
}

Status Session::Impl::allocateStates() {
  const Model &m = artifact.model();
  size_t count = m.states() ? m.states()->size() : 0;
  stateBuffers.resize(count);
  stateAddresses.resize(count);
  buffers.states.resize(count);
  stateRowElements.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const artifact::State &s = *m.states()->Get(flatbuffers::uoffset_t(i));
    int64_t rows = artifact::stateRows(s, stateSeqLen);
    stateRowElements[i] = rows * s.width();
    size_t bytes = size_t(stateBatch) * size_t(stateRowElements[i]) * sizeof(float);
    std::string what = "state " + displayName(s.name()->str());
#if DS4_HAVE_CUDA
    if (cuda) {
      Expected<uint64_t> address = cuda->allocateState(bytes, what);
      if (!address)
        return address.status();
      stateAddresses[i] = *address;
    }
#endif
    if (device == Device::cpu) {
      if (!AlignedBuffer::allocate(bytes, stateBuffers[i]))
        return Status::error(name() + ": out of memory allocating " + weights::byteCount(bytes) +
                             " for " + what);
      stateAddresses[i] = uint64_t(reinterpret_cast<uintptr_t>(stateBuffers[i].data()));
    }
    buffers.states[i].set(stateAddresses[i], {stateBatch, rows, s.width()});
  }
  return Status::success();
}

Status Session::Impl::checkTokens(const int32_t *tokens, size_t n,
                                  const std::string &what) const {
  if (!tokens)
    return Status::error(what + ": no tokens (null pointer)");
  for (size_t j = 0; j < n; ++j)
    if (tokens[j] < 0 || int64_t(tokens[j]) >= vocab)
      return Status::error(what + ": token id " + std::to_string(tokens[j]) + " at position " +
                           std::to_string(j) + " is out of range (vocabulary size " +
                           std::to_string(vocab) + ")");
  return Status::success();
}

void Session::Impl::runCpu(const std::vector<BoundCommand> &commands, StepTiming &timing) {
  ThreadPool::Current threads(pool.get());
  auto t0 = std::chrono::steady_clock::now();
  std::vector<void *> args;
  std::map<std::string, size_t> index;
  for (const BoundCommand &bc : commands) {
    commandArgs(*bc.command, buffers, args);
    auto k0 = std::chrono::steady_clock::now();
    bc.function(args.data());
    if (profileKernels) {
      std::string symbol = bc.command->symbol()->str();
      auto it = index.emplace(symbol, timing.kernels.size());
      if (it.second)
        timing.kernels.push_back({symbol, 0, 0.0});
      KernelTiming &k = timing.kernels[it.first->second];
      ++k.launches;
      k.milliseconds += millisecondsSince(k0);
    }
  }
  timing.milliseconds = millisecondsSince(t0);
}

Status Session::Impl::run(bool decode, const int32_t *slots, const int32_t *tokens,
                          int64_t batch, int64_t count, float *logits) {
  auto wall = std::chrono::steady_clock::now();
  const std::vector<BoundCommand> &commands = decode ? decodeCommands : prefillCommands;
  size_t n = size_t(batch * count);
  std::vector<int32_t> tokenData(tokens, tokens + n);
  std::vector<int64_t> positionData(n);
  std::vector<int32_t> slotData(slots, slots + batch);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 0; j < count; ++j)
      positionData[size_t(b * count + j)] = lengths[size_t(slots[b])] + j;

  if (n > (size_t(1) << 40) / size_t(vocab))
    return Status::error(name() + ": " + std::to_string(n) + " x " + std::to_string(vocab) +
                         " logits are too many for one call");
  size_t logitBytes = n * size_t(vocab) * sizeof(float);

#if DS4_HAVE_CUDA
  if (cuda) {
    cuda::CudaSession::Call call;
    call.decode = decode;
    call.tokens = tokenData.data();
    call.positions = positionData.data();
    call.slots = slotData.data();
    call.batch = batch;
    call.count = count;
    call.logits = logits;
    Status s = cuda->run(commands, buffers, call);
    if (!s.ok())
      return s;
    lastStep = cuda->lastStep();
    for (int64_t b = 0; b < batch; ++b)
      lengths[size_t(slots[b])] += count;
    return Status::success();
  }
#endif

  // The caller's buffer when it is suitably aligned; otherwise a scratch buffer.
  float *out = logits;
  if (!out || reinterpret_cast<uintptr_t>(out) % kAlignment != 0) {
    if (logitsScratch.size() < logitBytes) {
      AlignedBuffer grown;
      if (!AlignedBuffer::allocate(logitBytes, grown))
        return Status::error(name() + ": out of memory allocating " +
                             weights::byteCount(logitBytes) + " of logits");
      logitsScratch = std::move(grown);
    }
    out = reinterpret_cast<float *>(logitsScratch.data());
  }
  buffers.tokens.set(tokenData.data(), {batch, count});
  buffers.positions.set(positionData.data(), {batch, count});
  buffers.slots.set(slotData.data(), {batch});
  buffers.logits.set(out, {batch, count, vocab});
  StepTiming timing;
  timing.entry = decode ? "decode" : "prefill";
  timing.batch = batch;
  timing.tokens = count;
  runCpu(commands, timing);
  if (logits && out != logits)
    std::memcpy(logits, out, logitBytes);
  for (int64_t b = 0; b < batch; ++b)
    lengths[size_t(slots[b])] += count;
  timing.wallMilliseconds = millisecondsSince(wall);
  lastStep = std::move(timing);
  return Status::success();
}

// ---------------------------------------------------------------------------------------------

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Expected<std::unique_ptr<Session>> Session::create(const std::string &artifactPath,
                                                   const std::string &weightsPath,
                                                   const SessionOptions &options) {
  artifact::LoadOptions lo;
  lo.device = options.device;
  Expected<Artifact> loaded = Artifact::load(artifactPath, lo);
  if (!loaded)
    return loaded.status();
  return create(std::move(*loaded), weightsPath, options);
}

Expected<std::unique_ptr<Session>> Session::create(Artifact artifact,
                                                   const std::string &weightsPath,
                                                   const SessionOptions &options) {
  const std::string artifactPath = artifact.path();
  // Re-checked for the device (a no-op when it was loaded with this device).
  artifact::LoadOptions lo;
  lo.device = options.device;
  Status verified = artifact::verifyArtifact(artifact.bytes().data(), artifact.bytes().size(),
                                             artifactPath, lo);
  if (!verified.ok())
    return verified;
  auto impl = std::make_unique<Impl>(std::move(artifact));
  const Model &m = impl->artifact.model();
  impl->device = options.device;
  if (options.device == Device::cpu)
    impl->pool = std::make_unique<ThreadPool>(options.threads ? options.threads
                                                              : defaultThreadCount());
  impl->vocab = m.vocab_size();
  impl->stateBatch = m.max_batch();
  impl->stateSeqLen = m.max_seq_len();

  Status limits;
  auto limit = [&](const char *what, const char *flag, int64_t requested, int64_t compiled,
                   int64_t &out) {
    if (requested < 0)
      limits.append(std::string(what) + " " + std::to_string(requested) + " must be positive");
    else if (requested > compiled)
      limits.append(std::string(what) + " " + std::to_string(requested) + " exceeds the " +
                    std::to_string(compiled) + " that " + artifactPath +
                    " was compiled for (recompile with " + flag + "=" +
                    std::to_string(requested) + ")");
    out = requested == 0 ? compiled : requested;
  };
  limit("max batch", "--max-batch", options.maxBatch, m.max_batch(), impl->maxBatch);
  limit("max sequence length", "--max-seq-len", options.maxSeqLen, m.max_seq_len(),
        impl->maxSeqLen);
  if (!limits.ok())
    return limits;

  if (options.device == Device::cuda) {
#if DS4_HAVE_CUDA
    cuda::CudaSession::Options co;
    co.name = artifactPath;
    co.graphs = options.cudaGraphs;
    co.maxBatch = m.max_batch();
    co.vocab = m.vocab_size();
    co.arenaBytes = options.cudaArenaBytes;
    Expected<std::unique_ptr<cuda::CudaSession>> device = cuda::CudaSession::create(co);
    if (!device)
      return device.status();
    impl->cuda = std::move(*device);
#else
    return Status::error(kNoCudaSupportMessage);
#endif
  }

  Status s = impl->bindKernels();
  if (!s.ok())
    return s;
  s = impl->bindWeights(weightsPath);
  if (!s.ok())
    return s;
  s = impl->allocateStates();
  if (!s.ok())
    return s;
  impl->lengths.assign(size_t(impl->maxBatch), 0);
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

const Artifact &Session::artifact() const { return impl_->artifact; }
Device Session::device() const { return impl_->device; }
int64_t Session::vocabSize() const { return impl_->vocab; }
int64_t Session::maxBatch() const { return impl_->maxBatch; }
int64_t Session::maxSeqLen() const { return impl_->maxSeqLen; }

int64_t Session::length(int64_t slot) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (slot < 0 || slot >= impl_->maxBatch)
    return -1;
  return impl_->lengths[size_t(slot)];
}

Status Session::prefill(int64_t slot, const int32_t *tokens, size_t n, float *logits) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl &I = *impl_;
  if (slot < 0 || slot >= I.maxBatch)
    return Status::error("prefill: slot " + std::to_string(slot) + " is out of range (max batch " +
                         std::to_string(I.maxBatch) + ")");
  if (n == 0)
    return Status::error("prefill: no tokens (at least one is needed)");
  Status s = I.checkTokens(tokens, n, "prefill");
  if (!s.ok())
    return s;
  int64_t at = I.lengths[size_t(slot)];
  if (n > size_t(I.maxSeqLen) || at + int64_t(n) > I.maxSeqLen)
    return Status::error("prefill: " + plural(int64_t(n), "token") + " at position " +
                         std::to_string(at) + " of slot " + std::to_string(slot) +
                         " exceed the maximum sequence length " + std::to_string(I.maxSeqLen));
  int32_t slot32 = int32_t(slot);
  return I.run(false, &slot32, tokens, 1, int64_t(n), logits);
}

Status Session::decode(const int32_t *slots, const int32_t *tokens, size_t batch,
                       float *logits) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl &I = *impl_;
  if (batch == 0)
    return Status::error("decode: empty batch (at least one slot is needed)");
  if (batch > size_t(I.maxBatch))
    return Status::error("decode: batch of " + std::to_string(batch) + " exceeds max batch " +
                         std::to_string(I.maxBatch));
  if (!slots)
    return Status::error("decode: no slots (null pointer)");
  std::map<int32_t, size_t> seen;
  for (size_t b = 0; b < batch; ++b) {
    if (slots[b] < 0 || slots[b] >= I.maxBatch)
      return Status::error("decode: slot " + std::to_string(slots[b]) + " at batch index " +
                           std::to_string(b) + " is out of range (max batch " +
                           std::to_string(I.maxBatch) + ")");
    auto dup = seen.emplace(slots[b], b);
    if (!dup.second)
      return Status::error("decode: slot " + std::to_string(slots[b]) +
                           " appears twice in one batch (batch indices " +
                           std::to_string(dup.first->second) + " and " + std::to_string(b) + ")");
  }
  Status s = I.checkTokens(tokens, batch, "decode");
  if (!s.ok())
    return s;
  for (size_t b = 0; b < batch; ++b)
    if (I.lengths[size_t(slots[b])] + 1 > I.maxSeqLen)
      return Status::error("decode: slot " + std::to_string(slots[b]) + " already holds " +
                           plural(I.lengths[size_t(slots[b])], "token") +
                           ", the maximum sequence length " + std::to_string(I.maxSeqLen));
  return I.run(true, slots, tokens, int64_t(batch), 1, logits);
}

Status Session::reset(int64_t slot) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl &I = *impl_;
  if (slot < 0 || slot >= I.maxBatch)
    return Status::error("reset: slot " + std::to_string(slot) + " is out of range (max batch " +
                         std::to_string(I.maxBatch) + ")");
  for (size_t i = 0; i < I.stateAddresses.size(); ++i) {
    size_t bytes = size_t(I.stateRowElements[i]) * sizeof(float);
    uint64_t at = I.stateAddresses[i] + uint64_t(slot) * bytes;
#if DS4_HAVE_CUDA
    if (I.cuda) {
      Status s = I.cuda->zero(at, bytes);
      if (!s.ok())
        return s;
      continue;
    }
#endif
    std::memset(reinterpret_cast<void *>(uintptr_t(at)), 0, bytes);
  }
  I.lengths[size_t(slot)] = 0;
  return Status::success();
}

Status Session::fillContext(int64_t slot, int64_t length, uint64_t seed) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl &I = *impl_;
  if (slot < 0 || slot >= I.maxBatch)
    return Status::error("fillContext: slot " + std::to_string(slot) +
                         " is out of range (max batch " + std::to_string(I.maxBatch) + ")");
  if (length < 0 || length > I.maxSeqLen)
    return Status::error("fillContext: a context of " + plural(length, "token") +
                         " is out of range (maximum sequence length " +
                         std::to_string(I.maxSeqLen) + ")");
  for (size_t i = 0; i < I.stateAddresses.size(); ++i) {
    uint64_t count = uint64_t(I.stateRowElements[i]);
    uint64_t at = I.stateAddresses[i] + uint64_t(slot) * count * sizeof(float);
    uint64_t stateSeed = syntheticStateSeed(seed, i);
#if DS4_HAVE_CUDA
    if (I.cuda) {
      Status s = I.cuda->fillRandom(at, count, stateSeed);
      if (!s.ok())
        return s;
      continue;
    }
#endif
    float *p = reinterpret_cast<float *>(uintptr_t(at));
    for (uint64_t e = 0; e < count; ++e)
      p[e] = syntheticStateValue(stateSeed, e);
  }
  I.lengths[size_t(slot)] = length;
  return Status::success();
}

void Session::setProfiling(bool kernels) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->profileKernels = kernels;
#if DS4_HAVE_CUDA
  if (impl_->cuda)
    impl_->cuda->setProfiling(kernels);
#endif
}

StepTiming Session::lastStep() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->lastStep;
}

std::string Session::graphStatus() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
#if DS4_HAVE_CUDA
  if (impl_->cuda)
    return impl_->cuda->graphStatus();
#endif
  return "cuda graphs: none on the cpu device";
}

DeviceInfo Session::deviceInfo() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
#if DS4_HAVE_CUDA
  if (impl_->cuda)
    return impl_->cuda->deviceInfo();
#endif
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  return {cpuModelName(), pages > 0 && pageSize > 0 ? uint64_t(pages) * uint64_t(pageSize) : 0};
}

Expected<double> Session::measureCopyBandwidthGBs() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
#if DS4_HAVE_CUDA
  if (impl_->cuda)
    return impl_->cuda->measureCopyBandwidthGBs();
#endif
  AlignedBuffer a, b;
  if (!AlignedBuffer::allocate(kCpuBandwidthBytes, a) ||
      !AlignedBuffer::allocate(kCpuBandwidthBytes, b))
    return Status::error("measuring copy bandwidth: out of memory allocating 2 x " +
                         weights::byteCount(kCpuBandwidthBytes));
  std::memset(a.data(), 1, kCpuBandwidthBytes); // touch every page before timing
  std::memset(b.data(), 0, kCpuBandwidthBytes);
  std::vector<double> seconds;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    std::memcpy(b.data(), a.data(), kCpuBandwidthBytes);
    seconds.push_back(millisecondsSince(t0) / 1e3);
  }
  std::sort(seconds.begin(), seconds.end());
  double median = seconds[seconds.size() / 2];
  if (median <= 0)
    return Status::error("measuring copy bandwidth: the copy took no measurable time");
  return 2.0 * double(kCpuBandwidthBytes) / median / 1e9;
}

Expected<std::vector<float>> Session::prefill(int64_t slot, const std::vector<int32_t> &tokens) {
  std::vector<float> logits(tokens.size() * size_t(vocabSize()));
  Status s = prefill(slot, tokens.data(), tokens.size(), logits.data());
  if (!s.ok())
    return s;
  return logits;
}

Expected<std::vector<float>> Session::decode(const std::vector<int32_t> &slots,
                                             const std::vector<int32_t> &tokens) {
  if (slots.size() != tokens.size())
    return Status::error("decode: " + plural(int64_t(slots.size()), "slot") + " but " +
                         plural(int64_t(tokens.size()), "token"));
  std::vector<float> logits(tokens.size() * size_t(vocabSize()));
  Status s = decode(slots.data(), tokens.data(), tokens.size(), logits.data());
  if (!s.ok())
    return s;
  return logits;
}

} // namespace session
} // namespace ds4

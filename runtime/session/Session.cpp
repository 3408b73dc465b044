#include "runtime/session/Session.h"

#include "runtime/session/HostKernel.h"
#include "runtime/weights/Checkpoint.h"
#include "runtime/weights/Diagnostics.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include <dlfcn.h>
#include <sys/mman.h>

namespace ds4 {
namespace session {

using artifact::Arg;
using artifact::Artifact;
using artifact::Command;
using artifact::Entry;
using artifact::Model;
using weights::displayName;

namespace {

constexpr size_t kAlignment = 64;

/// A 64-byte aligned, zero-filled block: anonymous pages (zero until touched) for large
/// blocks, the heap for small ones.
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  AlignedBuffer(AlignedBuffer &&o) noexcept : data_(o.data_), size_(o.size_), mapped_(o.mapped_) {
    o.data_ = nullptr;
    o.size_ = o.mapped_ = 0;
  }
  AlignedBuffer &operator=(AlignedBuffer &&o) noexcept {
    if (this != &o) {
      release();
      data_ = o.data_;
      size_ = o.size_;
      mapped_ = o.mapped_;
      o.data_ = nullptr;
      o.size_ = o.mapped_ = 0;
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  ~AlignedBuffer() { release(); }

  static bool allocate(size_t bytes, AlignedBuffer &out) {
    AlignedBuffer b;
    size_t rounded = (std::max<size_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded < bytes)
      return false;
    if (rounded >= kMapThreshold) {
      void *p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        return false;
      b.data_ = static_cast<uint8_t *>(p);
      b.mapped_ = rounded;
    } else {
      void *p = nullptr;
      if (posix_memalign(&p, kAlignment, rounded) != 0)
        return false;
      std::memset(p, 0, rounded);
      b.data_ = static_cast<uint8_t *>(p);
    }
    b.size_ = bytes;
    out = std::move(b);
    return true;
  }
  uint8_t *data() const { return data_; }
  size_t size() const { return size_; }

private:
  static constexpr size_t kMapThreshold = size_t(1) << 20;
  void release() {
    if (data_ && mapped_)
      munmap(data_, mapped_);
    else if (data_)
      std::free(data_);
    data_ = nullptr;
  }
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0; // bytes mapped, or 0 for a heap block
};

/// An MLIR memref descriptor { T *allocated, *aligned; int64 offset, sizes[rank],
/// strides[rank] } for a contiguous row-major buffer.
class MemRef {
public:
  MemRef() = default;
  MemRef(void *data, const std::vector<int64_t> &sizes) { set(data, sizes); }
  void set(void *data, const std::vector<int64_t> &sizes) {
    size_t rank = sizes.size();
    fields_.assign(3 + 2 * rank, 0);
    static_assert(sizeof(void *) == sizeof(int64_t), "memref descriptors assume 64-bit pointers");
    int64_t p = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
    fields_[0] = p;
    fields_[1] = p;
    fields_[2] = 0;
    int64_t stride = 1;
    for (size_t d = rank; d-- > 0;) {
      fields_[3 + d] = sizes[d];
      fields_[3 + rank + d] = stride;
      stride *= std::max<int64_t>(sizes[d], 1);
    }
  }
  void *address() { return fields_.data(); }

private:
  std::vector<int64_t> fields_;
};

struct BoundCommand {
  HostFunction function = nullptr;
  const Command *command = nullptr;
};

std::string plural(int64_t n, const char *word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

Status probeCuda() {
  void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return Status::error(kNoCudaDriverMessage);
  dlclose(h);
  return Status::error(kCudaNotImplementedMessage);
}

} // namespace

struct Session::Impl {
  explicit Impl(Artifact a) : artifact(std::move(a)) {}

  Artifact artifact;
  Device device = Device::cpu;
  int64_t vocab = 0;
  int64_t maxBatch = 0, maxSeqLen = 0;     // usable limits
  int64_t stateBatch = 0, stateSeqLen = 0; // compiled shapes

  std::vector<HostLibrary> libraries; // the kernels the entries call
  std::vector<BoundCommand> prefillCommands, decodeCommands;

  // Either one arena holding every weight at its Weight.offset (an artifact whose entries
  // take a weights_arena argument), or one buffer per weight. weightRefs point into
  // whichever holds them.
  AlignedBuffer weightArena;
  MemRef weightArenaRef;
  std::vector<AlignedBuffer> weightBuffers;
  std::vector<MemRef> weightRefs;
  std::vector<AlignedBuffer> stateBuffers;
  std::vector<int64_t> stateRowElements; // rows * width of one slot
  std::vector<MemRef> stateRefs;

  std::vector<int64_t> lengths;
  AlignedBuffer logitsScratch;

  mutable std::mutex mutex;

  const std::string &name() const { return artifact.path(); }

  Status bindKernels();
  Status bindWeights(const std::string &weightsPath);
  Status allocateStates();
  Status checkTokens(const int32_t *tokens, size_t n, const std::string &what) const;
  Status run(const std::vector<BoundCommand> &commands, const int32_t *slots,
             const int32_t *tokens, int64_t batch, int64_t count, float *logits);
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
    weightArenaRef.set(weightArena.data(), {int64_t(total)});
  } else {
    weightBuffers.resize(weightCount);
  }
  weightRefs.resize(weightCount);
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
    weightRefs[i].set(base, artifact::weightBufferShape(w));
  }
  return Status::success();
}

Status Session::Impl::allocateStates() {
  const Model &m = artifact.model();
  size_t count = m.states() ? m.states()->size() : 0;
  stateBuffers.resize(count);
  stateRefs.resize(count);
  stateRowElements.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const artifact::State &s = *m.states()->Get(flatbuffers::uoffset_t(i));
    int64_t rows = artifact::stateRows(s, stateSeqLen);
    stateRowElements[i] = rows * s.width();
    size_t bytes = size_t(stateBatch) * size_t(stateRowElements[i]) * sizeof(float);
    if (!AlignedBuffer::allocate(bytes, stateBuffers[i]))
      return Status::error(name() + ": out of memory allocating " + weights::byteCount(bytes) +
                           " for state " + displayName(s.name()->str()));
    stateRefs[i].set(stateBuffers[i].data(), {stateBatch, rows, s.width()});
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

Status Session::Impl::run(const std::vector<BoundCommand> &commands, const int32_t *slots,
                          const int32_t *tokens, int64_t batch, int64_t count, float *logits) {
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
  // The caller's buffer when it is suitably aligned; otherwise a scratch buffer.
  size_t logitBytes = n * size_t(vocab) * sizeof(float);
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

  MemRef tokenRef(tokenData.data(), {batch, count});
  MemRef positionRef(positionData.data(), {batch, count});
  MemRef slotRef(slotData.data(), {batch});
  MemRef logitRef(out, {batch, count, vocab});
  std::vector<void *> args;
  for (const BoundCommand &bc : commands) {
    args.clear();
    if (bc.command->args())
      for (const Arg *arg : *bc.command->args()) {
        switch (arg->kind()) {
        case artifact::ArgKind_tokens:
          args.push_back(tokenRef.address());
          break;
        case artifact::ArgKind_positions:
          args.push_back(positionRef.address());
          break;
        case artifact::ArgKind_slots:
          args.push_back(slotRef.address());
          break;
        case artifact::ArgKind_state:
          args.push_back(stateRefs[arg->index()].address());
          break;
        case artifact::ArgKind_weight:
          args.push_back(weightRefs[arg->index()].address());
          break;
        case artifact::ArgKind_weights_arena:
          args.push_back(weightArenaRef.address());
          break;
        case artifact::ArgKind_logits:
          args.push_back(logitRef.address());
          break;
        }
      }
    bc.function(args.data());
  }
  if (logits && out != logits)
    std::memcpy(logits, out, logitBytes);
  for (int64_t b = 0; b < batch; ++b)
    lengths[size_t(slots[b])] += count;
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

  if (options.device == Device::cuda)
    return probeCuda();

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
  return I.run(I.prefillCommands, &slot32, tokens, 1, int64_t(n), logits);
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
  return I.run(I.decodeCommands, slots, tokens, int64_t(batch), 1, logits);
}

Status Session::reset(int64_t slot) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl &I = *impl_;
  if (slot < 0 || slot >= I.maxBatch)
    return Status::error("reset: slot " + std::to_string(slot) + " is out of range (max batch " +
                         std::to_string(I.maxBatch) + ")");
  for (size_t i = 0; i < I.stateBuffers.size(); ++i) {
    size_t elements = size_t(I.stateRowElements[i]);
    std::memset(I.stateBuffers[i].data() + size_t(slot) * elements * sizeof(float), 0,
                elements * sizeof(float));
  }
  I.lengths[size_t(slot)] = 0;
  return Status::success();
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

#include "runtime/session/cuda/CudaSession.h"

#include "ds4/gpu_host_abi.h"
#include "runtime/session/cuda/GpuHostAbi.h"
#include "runtime/session/cuda/RuntimeKernels.h"
#include "runtime/weights/Diagnostics.h"

#include <algorithm>
#include <chrono>

namespace ds4 {
namespace session {
namespace cuda {

namespace {

/// Weights and other buffers start at offsets with this alignment.
constexpr uint64_t kAlignment = 256;
/// The copy the bandwidth measurement times (large enough to hide launch latency).
constexpr uint64_t kBandwidthBytes = uint64_t(256) << 20;
constexpr int kBandwidthRepeats = 5;

uint64_t roundUp(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

double millisecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

Expected<std::unique_ptr<CudaSession>> CudaSession::create(const Options &options) {
  Expected<const CudaDriver *> driver = loadCudaDriver();
  if (!driver)
    return driver.status();
  Expected<std::unique_ptr<CudaContext>> context = CudaContext::create(**driver);
  if (!context)
    return context.status();
  std::unique_ptr<CudaSession> s(new CudaSession(options));
  s->context_ = std::move(*context);
  CudaContext &c = *s->context_;
  if (c.computeMajor() != 9 || c.computeMinor() != 0)
    return Status::error(options.name + ": the artifact targets sm_90a, but CUDA device 0 (" +
                         c.name() + ") has compute capability " +
                         std::to_string(c.computeMajor()) + "." +
                         std::to_string(c.computeMinor()) +
                         "; sm_90a code runs only on compute capability 9.0 (H100, H200)");
  const CudaDriver &d = c.driver();
  s->execution_ = std::make_unique<GpuExecution>(d, c.stream(), c.maxSharedOptin());
  auto allocate = [ctx = s->context_.get()](uint64_t bytes) { return ctx->allocateRaw(bytes); };
  auto release = [ctx = s->context_.get()](uint64_t address) { ctx->freeRaw(address); };
  s->prefillArena_ = std::make_unique<DeviceArena>("prefill activation arena", allocate, release,
                                                   options.arenaBytes);
  s->decodeArena_ = std::make_unique<DeviceArena>("decode activation arena", allocate, release,
                                                  options.arenaBytes);
  s->graphs_ = std::make_unique<GraphCache>(
      [&d](void *graph) { d.cuGraphExecDestroy(static_cast<CUgraphExec>(graph)); });
  Status st = d.check(d.cuEventCreate(&s->stepStart_, CU_EVENT_DEFAULT), "cuEventCreate");
  if (st.ok())
    st = d.check(d.cuEventCreate(&s->stepEnd_, CU_EVENT_DEFAULT), "cuEventCreate");
  if (st.ok())
    st = s->ensureIo(s->decodeIo_, options.maxBatch, options.maxBatch, true);
  if (!st.ok())
    return Status::error(options.name + ": " + st.message());
  return s;
}

CudaSession::~CudaSession() {
  if (!context_)
    return;
  const CudaDriver &d = context_->driver();
  (void)context_->makeCurrent();
  (void)context_->synchronize();
  if (graphs_)
    graphs_->clear();
  if (execution_) {
    // The host plans' global destructors (module unloads), newest first.
    for (auto it = plans_.rbegin(); it != plans_.rend(); ++it) {
      ActiveExecution active(*execution_);
      execution_->clearError();
      it->fini();
    }
    (void)context_->synchronize();
    execution_.reset();
  }
  if (runtimeKernels_)
    d.cuModuleUnload(runtimeKernels_);
  if (stepStart_)
    d.cuEventDestroy(stepStart_);
  if (stepEnd_)
    d.cuEventDestroy(stepEnd_);
  prefillArena_.reset();
  decodeArena_.reset();
  prefillIo_ = Io();
  decodeIo_ = Io();
  states_.clear();
  weights_.reset();
  context_.reset();
}

Status CudaSession::bindHostPlan(const HostLibrary &library, const std::string &what) {
  std::vector<std::string> missing;
  auto need = [&](const char *name) -> HostSymbol {
    Expected<HostSymbol> s = library.symbol(name);
    if (!s)
      missing.push_back(name);
    return s ? *s : HostSymbol();
  };
  HostSymbol table = need("ds4_gpu_host_abi");
  HostSymbol version = need("ds4_gpu_host_abi_version");
  HostSymbol init = need("ds4_gpu_host_init");
  HostSymbol fini = need("ds4_gpu_host_fini");
  if (!missing.empty()) {
    std::string list;
    for (const std::string &m : missing)
      list += (list.empty() ? "" : ", ") + m;
    return Status::error(what + ": not a GPU host plan: it does not export " + list +
                         " (see runtime/include/ds4/gpu_host_abi.h)");
  }
  uint32_t v = *static_cast<const uint32_t *>(version.address);
  if (v != DS4_GPU_HOST_ABI_VERSION)
    return Status::error(what + ": host plan implements GPU host ABI version " +
                         std::to_string(v) + ", but this runtime implements version " +
                         std::to_string(DS4_GPU_HOST_ABI_VERSION) +
                         " (recompile the model with a matching ds4-compile)");
  size_t tableBytes = sizeof(void *) * DS4_GPU_HOST_ABI_COUNT;
  if (table.size != 0 && table.size < tableBytes)
    return Status::error(what + ": host plan's ds4_gpu_host_abi has " +
                         std::to_string(table.size / sizeof(void *)) + " entries, but version " +
                         std::to_string(DS4_GPU_HOST_ABI_VERSION) + " has " +
                         std::to_string(DS4_GPU_HOST_ABI_COUNT));
  fillGpuHostAbi(static_cast<void **>(table.address));

  Status s = context_->makeCurrent();
  if (!s.ok())
    return Status::error(what + ": " + s.message());
  execution_->clearError();
  {
    ActiveExecution active(*execution_);
    reinterpret_cast<void (*)()>(init.address)();
  }
  // From now on its fini runs at destruction, even after a failed init (to unload what it
  // did load).
  plans_.push_back({reinterpret_cast<void (*)()>(fini.address), what});
  if (execution_->failed()) {
    std::string e = execution_->error();
    execution_->clearError();
    return Status::error(what + ": ds4_gpu_host_init failed: " + e);
  }
  s = context_->synchronize();
  if (!s.ok())
    return Status::error(what + ": ds4_gpu_host_init: " + s.message());
  return Status::success();
}

Expected<std::vector<uint64_t>> CudaSession::uploadWeights(const std::vector<HostBytes> &pieces) {
  Status s = context_->makeCurrent();
  if (!s.ok())
    return Status::error(options_.name + ": " + s.message());
  std::vector<uint64_t> offsets;
  uint64_t total = 0;
  for (const HostBytes &p : pieces) {
    offsets.push_back(total);
    total = roundUp(total + std::max<uint64_t>(p.size, 1), kAlignment);
  }
  Expected<DeviceBuffer> buffer = context_->allocate(total, "the weights");
  if (!buffer)
    return Status::error(options_.name + ": " + buffer.status().message());
  weights_ = std::move(*buffer);
  const CudaDriver &d = context_->driver();
  std::vector<uint64_t> addresses;
  for (size_t i = 0; i < pieces.size(); ++i) {
    uint64_t address = weights_.address() + offsets[i];
    addresses.push_back(address);
    if (pieces[i].size == 0)
      continue;
    s = d.check(d.cuMemcpyHtoDAsync(CUdeviceptr(address), pieces[i].data, pieces[i].size,
                                    context_->stream()),
                "cuMemcpyHtoDAsync");
    if (!s.ok())
      return Status::error(options_.name + ": uploading the weights: " + s.message());
  }
  s = context_->synchronize();
  if (!s.ok())
    return Status::error(options_.name + ": uploading the weights: " + s.message());
  return addresses;
}

Expected<uint64_t> CudaSession::allocateState(uint64_t bytes, const std::string &what) {
  Status s = context_->makeCurrent();
  if (!s.ok())
    return Status::error(options_.name + ": " + s.message());
  Expected<DeviceBuffer> buffer = context_->allocate(bytes, what);
  if (!buffer)
    return Status::error(options_.name + ": " + buffer.status().message());
  uint64_t address = buffer->address();
  states_.push_back(std::move(*buffer));
  s = zero(address, bytes);
  if (!s.ok())
    return s;
  return address;
}

Status CudaSession::zero(uint64_t address, uint64_t bytes) {
  Status s = context_->makeCurrent();
  const CudaDriver &d = context_->driver();
  if (s.ok() && bytes >= 4)
    s = d.check(d.cuMemsetD32Async(CUdeviceptr(address), 0, size_t(bytes / 4), context_->stream()),
                "cuMemsetD32Async");
  if (s.ok())
    s = context_->synchronize();
  if (!s.ok())
    return Status::error(options_.name + ": zeroing state: " + s.message());
  return Status::success();
}

Status CudaSession::fillRandom(uint64_t address, uint64_t count, uint64_t seed) {
  const CudaDriver &d = context_->driver();
  Status s = context_->makeCurrent();
  if (s.ok() && !fillRandom_) {
    char log[4096] = {0};
    CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof log - 1))};
    CUresult r = d.cuModuleLoadDataEx(&runtimeKernels_, kFillRandomPtx, 2, options, values);
    if (r != CUDA_SUCCESS)
      s = Status::error("loading the runtime's kernels: cuModuleLoadDataEx failed: " +
                        d.describe(r) + (log[0] ? std::string(": ") + log : std::string()));
    if (s.ok())
      s = d.check(d.cuModuleGetFunction(&fillRandom_, runtimeKernels_, kFillRandomKernel),
                  "cuModuleGetFunction(ds4_fill_random)");
  }
  if (s.ok() && count > 0) {
    constexpr uint64_t kBlock = 256, kMaxBlocks = 8192; // a grid-stride loop covers the rest
    unsigned blocks = unsigned(std::min((count + kBlock - 1) / kBlock, kMaxBlocks));
    CUdeviceptr out = CUdeviceptr(address);
    void *params[] = {&out, &count, &seed};
    s = d.check(d.cuLaunchKernel(fillRandom_, blocks, 1, 1, unsigned(kBlock), 1, 1, 0,
                                 context_->stream(), params, nullptr),
                "cuLaunchKernel(ds4_fill_random)");
  }
  if (s.ok())
    s = context_->synchronize();
  if (!s.ok())
    return Status::error(options_.name + ": filling state: " + s.message());
  return Status::success();
}

Status CudaSession::ensureIo(Io &io, int64_t rows, int64_t batch, bool decode) {
  if (rows <= io.rows && batch <= io.batch)
    return Status::success();
  const char *entry = decode ? "decode" : "prefill";
  auto allocate = [&](int64_t newRows, int64_t newBatch, Io &out) {
    auto get = [&](uint64_t bytes, const char *what, DeviceBuffer &buffer) {
      Expected<DeviceBuffer> b = context_->allocate(bytes, std::string(entry) + " " + what);
      if (!b)
        return b.status();
      buffer = std::move(*b);
      return Status::success();
    };
    Status s = get(uint64_t(newRows) * 4, "tokens", out.tokens);
    if (s.ok())
      s = get(uint64_t(newRows) * 8, "positions", out.positions);
    if (s.ok())
      s = get(uint64_t(newBatch) * 4, "slots", out.slots);
    if (s.ok())
      s = get(uint64_t(newRows) * uint64_t(options_.vocab) * 4, "logits", out.logits);
    out.rows = newRows;
    out.batch = newBatch;
    return s;
  };
  // Free the old buffers first (the logits of a long prompt are large). Prefill inputs grow
  // geometrically, since prompts come in many lengths, unless only the exact size fits.
  int64_t newRows = decode ? rows : std::max(rows, 2 * io.rows);
  int64_t newBatch = std::max(batch, io.batch);
  io = Io();
  Io grown;
  Status s = allocate(newRows, newBatch, grown);
  if (!s.ok() && grown.rows > rows) {
    grown = Io();
    s = allocate(rows, newBatch, grown);
  }
  if (!s.ok())
    return s;
  io = std::move(grown);
  if (decode)
    graphs_->invalidate("the decode input buffers moved");
  return Status::success();
}

Status CudaSession::resetArena(bool decode) {
  DeviceArena &arena = decode ? *decodeArena_ : *prefillArena_;
  uint64_t generation = arena.generation();
  Status s = arena.reset();
  if (decode && arena.generation() != generation)
    graphs_->invalidate("the decode activation arena grew to " +
                        weights::byteCount(arena.capacity()));
  return s;
}

void CudaSession::callCommands(const std::vector<BoundCommand> &commands,
                               EntryBuffers &buffers, DeviceArena &arena) {
  execution_->setArena(&arena);
  {
    ActiveExecution active(*execution_);
    std::vector<void *> args;
    for (const BoundCommand &bc : commands) {
      commandArgs(*bc.command, buffers, args);
      bc.function(args.data());
      if (execution_->failed())
        break;
    }
  }
  execution_->setArena(nullptr);
}

bool CudaSession::captureAndLaunch(const std::vector<BoundCommand> &commands,
                                   EntryBuffers &buffers, int64_t batch) {
  const CudaDriver &d = context_->driver();
  CUstream stream = context_->stream();
  // Thread-local: other threads (other sessions) may allocate while this one captures.
  CUresult r = d.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
  if (r != CUDA_SUCCESS) {
    graphs_->captureFailed(batch, "cuStreamBeginCapture failed: " + d.describe(r), false);
    return false;
  }
  decodeArena_->setCapturing(true);
  callCommands(commands, buffers, *decodeArena_);
  decodeArena_->setCapturing(false);
  CUgraph graph = nullptr;
  r = d.cuStreamEndCapture(stream, &graph);
  std::string why;
  bool retry = false;
  CUgraphExec exec = nullptr;
  if (execution_->failed()) {
    why = execution_->error();
    retry = decodeArena_->exhaustedWhileCapturing();
    execution_->clearError();
  } else if (r != CUDA_SUCCESS) {
    why = "cuStreamEndCapture failed: " + d.describe(r);
  } else {
    r = d.cuGraphInstantiateWithFlags(&exec, graph, 0);
    if (r != CUDA_SUCCESS)
      why = "cuGraphInstantiateWithFlags failed: " + d.describe(r);
  }
  if (graph)
    d.cuGraphDestroy(graph);
  if (!why.empty()) {
    graphs_->captureFailed(batch, why, retry);
    return false;
  }
  graphs_->captured(batch, exec);
  execution_->check(d.cuGraphLaunch(exec, stream), "cuGraphLaunch", "decode graph");
  return true;
}

std::string CudaSession::fail(const char *entry, const std::string &message) const {
  return options_.name + ": entry '" + entry + "': " + message;
}

Status CudaSession::run(const std::vector<BoundCommand> &commands, EntryBuffers &buffers,
                        const Call &call) {
  auto wall = std::chrono::steady_clock::now();
  const char *entry = call.decode ? "decode" : "prefill";
  const CudaDriver &d = context_->driver();
  CUstream stream = context_->stream();
  int64_t rows = call.batch * call.count;
  Status s = context_->makeCurrent();
  if (!s.ok())
    return Status::error(fail(entry, s.message()));
  execution_->clearError();
  execution_->discardKernelTimings();
  execution_->setProfiling(profiling_);

  Io &io = call.decode ? decodeIo_ : prefillIo_;
  s = ensureIo(io, rows, call.batch, call.decode);
  if (s.ok())
    s = d.check(d.cuMemcpyHtoDAsync(io.tokens.address(), call.tokens, size_t(rows) * 4, stream),
                "cuMemcpyHtoDAsync(tokens)");
  if (s.ok())
    s = d.check(d.cuMemcpyHtoDAsync(io.positions.address(), call.positions, size_t(rows) * 8,
                                    stream),
                "cuMemcpyHtoDAsync(positions)");
  if (s.ok())
    s = d.check(d.cuMemcpyHtoDAsync(io.slots.address(), call.slots, size_t(call.batch) * 4,
                                    stream),
                "cuMemcpyHtoDAsync(slots)");
  if (s.ok())
    s = resetArena(call.decode);
  if (!s.ok()) {
    (void)context_->synchronize();
    return Status::error(fail(entry, s.message()));
  }
  buffers.tokens.set(uint64_t(io.tokens.address()), {call.batch, call.count});
  buffers.positions.set(uint64_t(io.positions.address()), {call.batch, call.count});
  buffers.slots.set(uint64_t(io.slots.address()), {call.batch});
  buffers.logits.set(uint64_t(io.logits.address()), {call.batch, call.count, options_.vocab});

  bool useGraphs = call.decode && options_.graphs && !profiling_;
  GraphCache::Action action = useGraphs ? graphs_->next(call.batch) : GraphCache::Action::run;
  bool graph = false;
  execution_->check(d.cuEventRecord(stepStart_, stream), "cuEventRecord", "step timing");
  if (!execution_->failed()) {
    if (action == GraphCache::Action::replay) {
      CUgraphExec exec = static_cast<CUgraphExec>(graphs_->graph(call.batch));
      graph = execution_->check(d.cuGraphLaunch(exec, stream), "cuGraphLaunch", "decode graph");
      if (graph)
        graphs_->replayed(call.batch);
    } else if (action == GraphCache::Action::capture &&
               captureAndLaunch(commands, buffers, call.batch)) {
      graph = true;
    } else {
      if (action == GraphCache::Action::capture) {
        // The capture ran nothing; run the step uncaptured on a fresh (maybe grown) arena.
        Status reset = resetArena(true);
        if (!reset.ok())
          execution_->fail(reset.message());
      }
      if (!execution_->failed())
        callCommands(commands, buffers, call.decode ? *decodeArena_ : *prefillArena_);
    }
  }
  if (!execution_->failed())
    execution_->check(d.cuEventRecord(stepEnd_, stream), "cuEventRecord", "step timing");
  if (!execution_->failed() && call.logits)
    execution_->check(d.cuMemcpyDtoHAsync(call.logits, io.logits.address(),
                                          size_t(rows) * size_t(options_.vocab) * 4, stream),
                      "cuMemcpyDtoHAsync", "copying the logits");
  Status synced = context_->synchronize();
  if (execution_->failed()) {
    std::string e = execution_->error();
    execution_->clearError();
    execution_->discardKernelTimings();
    return Status::error(fail(entry, e));
  }
  if (!synced.ok())
    return Status::error(fail(entry, synced.message()));

  StepTiming t;
  t.entry = entry;
  t.batch = call.batch;
  t.tokens = call.count;
  t.graph = graph;
  float ms = 0;
  s = d.check(d.cuEventElapsedTime(&ms, stepStart_, stepEnd_), "cuEventElapsedTime");
  if (!s.ok())
    return Status::error(fail(entry, "step timing: " + s.message()));
  t.milliseconds = double(ms);
  if (profiling_) {
    Expected<std::vector<KernelTiming>> kernels = execution_->takeKernelTimings();
    if (!kernels)
      return Status::error(fail(entry, kernels.status().message()));
    t.kernels = std::move(*kernels);
  }
  if (useGraphs && action == GraphCache::Action::run)
    graphs_->ran(call.batch);
  t.wallMilliseconds = millisecondsSince(wall);
  last_ = std::move(t);
  return Status::success();
}

void CudaSession::setProfiling(bool kernels) { profiling_ = kernels; }

std::string CudaSession::graphStatus() const {
  std::string head;
  if (!options_.graphs)
    head = "cuda graphs: off (SessionOptions::cudaGraphs is false)";
  else if (profiling_)
    head = "cuda graphs: paused while profiling kernels";
  else
    head = "cuda graphs: on";
  return head + "\n" + graphs_->status() + "\n" + prefillArena_->describe() + "\n" +
         decodeArena_->describe();
}

DeviceInfo CudaSession::deviceInfo() const {
  return {context_->name(), context_->totalMemory()};
}

Expected<double> CudaSession::measureCopyBandwidthGBs() {
  Expected<double> gbs = context_->measureCopyBandwidthGBs(kBandwidthBytes, kBandwidthRepeats);
  if (!gbs)
    return Status::error(options_.name + ": " + gbs.status().message());
  return gbs;
}

} // namespace cuda
} // namespace session
} // namespace ds4

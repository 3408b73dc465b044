#include "runtime/session/cuda/CudaContext.h"

#include "runtime/weights/Diagnostics.h"

#include <algorithm>
#include <vector>

namespace ds4 {
namespace session {
namespace cuda {

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&o) noexcept {
  if (this != &o) {
    reset();
    driver_ = o.driver_;
    address_ = o.address_;
    bytes_ = o.bytes_;
    o.driver_ = nullptr;
    o.address_ = 0;
    o.bytes_ = 0;
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (driver_ && address_)
    driver_->cuMemFree(address_);
  driver_ = nullptr;
  address_ = 0;
  bytes_ = 0;
}

Expected<std::unique_ptr<CudaContext>> CudaContext::create(const CudaDriver &driver) {
  CUresult r = driver.cuInit(0);
  if (r != CUDA_SUCCESS)
    return Status::error("no CUDA device: " + driver.describe(r));
  int count = 0;
  r = driver.cuDeviceGetCount(&count);
  if (r != CUDA_SUCCESS)
    return Status::error("no CUDA device: " + driver.describe(r));
  if (count == 0)
    return Status::error("no CUDA device: the driver reports 0 devices");

  std::unique_ptr<CudaContext> c(new CudaContext(driver));
  Status s = driver.check(driver.cuDeviceGet(&c->device_, 0), "cuDeviceGet(0)");
  if (!s.ok())
    return s;
  char name[256] = {0};
  if (driver.cuDeviceGetName(name, int(sizeof name - 1), c->device_) == CUDA_SUCCESS)
    c->name_ = name;
  size_t total = 0;
  if (driver.cuDeviceTotalMem(&total, c->device_) == CUDA_SUCCESS)
    c->totalMemory_ = total;
  auto attribute = [&](CUdevice_attribute a, int &out) {
    return driver.check(driver.cuDeviceGetAttribute(&out, a, c->device_),
                        "cuDeviceGetAttribute");
  };
  s = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, c->computeMajor_);
  if (s.ok())
    s = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, c->computeMinor_);
  if (s.ok())
    s = attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, c->maxSharedOptin_);
  if (!s.ok())
    return s;
  s = driver.check(driver.cuDevicePrimaryCtxRetain(&c->context_, c->device_),
                   "cuDevicePrimaryCtxRetain");
  if (!s.ok())
    return s;
  c->retained_ = true;
  s = c->makeCurrent();
  if (!s.ok())
    return s;
  // Non-blocking: the session's work never waits for the legacy default stream of others.
  s = driver.check(driver.cuStreamCreate(&c->stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  if (!s.ok())
    return s;
  return c;
}

CudaContext::~CudaContext() {
  if (!retained_)
    return;
  driver_.cuCtxSetCurrent(context_);
  if (stream_) {
    driver_.cuStreamSynchronize(stream_);
    driver_.cuStreamDestroy(stream_);
  }
  driver_.cuCtxSetCurrent(nullptr);
  driver_.cuDevicePrimaryCtxRelease(device_);
}

Status CudaContext::makeCurrent() const {
  return driver_.check(driver_.cuCtxSetCurrent(context_), "cuCtxSetCurrent");
}

Status CudaContext::synchronize() const {
  return driver_.check(driver_.cuStreamSynchronize(stream_), "cuStreamSynchronize");
}

Expected<uint64_t> CudaContext::allocateRaw(uint64_t bytes) const {
  CUdeviceptr p = 0;
  Status s = driver_.check(driver_.cuMemAlloc(&p, size_t(std::max<uint64_t>(bytes, 1))),
                           "cuMemAlloc");
  if (!s.ok())
    return s;
  return uint64_t(p);
}

void CudaContext::freeRaw(uint64_t address) const { driver_.cuMemFree(CUdeviceptr(address)); }

Expected<DeviceBuffer> CudaContext::allocate(uint64_t bytes, const std::string &what) const {
  Expected<uint64_t> p = allocateRaw(bytes);
  if (!p)
    return Status::error("cannot allocate " + weights::byteCount(bytes) + " of device memory for " +
                         what + ": " + p.status().message());
  return DeviceBuffer(&driver_, CUdeviceptr(*p), bytes);
}

Expected<double> CudaContext::measureCopyBandwidthGBs(uint64_t bytes, int repeats) const {
  Status s = makeCurrent();
  if (!s.ok())
    return s;
  Expected<DeviceBuffer> a = allocate(bytes, "the copy bandwidth measurement");
  if (!a)
    return a.status();
  Expected<DeviceBuffer> b = allocate(bytes, "the copy bandwidth measurement");
  if (!b)
    return b.status();
  CUevent start = nullptr, end = nullptr;
  s = driver_.check(driver_.cuEventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate");
  if (s.ok())
    s = driver_.check(driver_.cuEventCreate(&end, CU_EVENT_DEFAULT), "cuEventCreate");
  std::vector<double> seconds;
  // One untimed copy first: the first touch of fresh memory costs extra.
  for (int i = 0; s.ok() && i <= repeats; ++i) {
    s = driver_.check(driver_.cuEventRecord(start, stream_), "cuEventRecord");
    if (s.ok())
      s = driver_.check(driver_.cuMemcpyDtoDAsync(b->address(), a->address(), size_t(bytes),
                                                  stream_),
                        "cuMemcpyDtoDAsync");
    if (s.ok())
      s = driver_.check(driver_.cuEventRecord(end, stream_), "cuEventRecord");
    if (s.ok())
      s = driver_.check(driver_.cuEventSynchronize(end), "cuEventSynchronize");
    float ms = 0;
    if (s.ok())
      s = driver_.check(driver_.cuEventElapsedTime(&ms, start, end), "cuEventElapsedTime");
    if (s.ok() && i > 0)
      seconds.push_back(double(ms) / 1e3);
  }
  if (start)
    driver_.cuEventDestroy(start);
  if (end)
    driver_.cuEventDestroy(end);
  if (!s.ok())
    return Status::error("measuring copy bandwidth: " + s.message());
  if (seconds.empty())
    return Status::error("measuring copy bandwidth: no repeats");
  std::sort(seconds.begin(), seconds.end());
  double median = seconds[seconds.size() / 2];
  if (median <= 0)
    return Status::error("measuring copy bandwidth: a copy of " + weights::byteCount(bytes) +
                         " took no measurable time");
  return 2.0 * double(bytes) / median / 1e9;
}

} // namespace cuda
} // namespace session
} // namespace ds4

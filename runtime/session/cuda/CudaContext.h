// A session's hold on CUDA device 0: the device's primary context (retained for the session's
// life, made current on whichever thread calls), one stream for all of the session's work,
// device buffers, and the few measurements a benchmark wants (device name and memory, copy
// bandwidth).
#ifndef DS4_RUNTIME_SESSION_CUDA_CUDACONTEXT_H
#define DS4_RUNTIME_SESSION_CUDA_CUDACONTEXT_H

#include "runtime/session/cuda/CudaDriver.h"
#include "runtime/support/Status.h"

#include <cuda.h>

#include <cstdint>
#include <memory>
#include <string>

namespace ds4 {
namespace session {
namespace cuda {

/// One cuMemAlloc block, freed on destruction (the owning context must be current then).
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(const CudaDriver *driver, CUdeviceptr address, uint64_t bytes)
      : driver_(driver), address_(address), bytes_(bytes) {}
  DeviceBuffer(DeviceBuffer &&o) noexcept { *this = std::move(o); }
  DeviceBuffer &operator=(DeviceBuffer &&o) noexcept;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() { reset(); }

  CUdeviceptr address() const { return address_; }
  uint64_t size() const { return bytes_; }
  void reset();

private:
  const CudaDriver *driver_ = nullptr;
  CUdeviceptr address_ = 0;
  uint64_t bytes_ = 0;
};

class CudaContext {
public:
  /// Device 0 of `driver`: cuInit, the device count ("no CUDA device: ..." when there is
  /// none), its primary context and a non-blocking stream.
  static Expected<std::unique_ptr<CudaContext>> create(const CudaDriver &driver);
  ~CudaContext();
  CudaContext(const CudaContext &) = delete;
  CudaContext &operator=(const CudaContext &) = delete;

  const CudaDriver &driver() const { return driver_; }
  CUstream stream() const { return stream_; }
  /// Makes the session's context current on the calling thread.
  Status makeCurrent() const;
  Status synchronize() const;

  const std::string &name() const { return name_; }
  uint64_t totalMemory() const { return totalMemory_; }
  int computeMajor() const { return computeMajor_; }
  int computeMinor() const { return computeMinor_; }
  int maxSharedOptin() const { return maxSharedOptin_; }

  /// `bytes` (at least 1) of device memory; `what` names it in the out-of-memory message.
  Expected<DeviceBuffer> allocate(uint64_t bytes, const std::string &what) const;
  /// For DeviceArena: raw blocks.
  Expected<uint64_t> allocateRaw(uint64_t bytes) const;
  void freeRaw(uint64_t address) const;

  /// Device-to-device copy bandwidth: `bytes` copied between two buffers `repeats` times,
  /// each timed with events on the stream; the median, counting bytes read plus bytes written.
  Expected<double> measureCopyBandwidthGBs(uint64_t bytes, int repeats) const;

private:
  explicit CudaContext(const CudaDriver &driver) : driver_(driver) {}

  const CudaDriver &driver_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  bool retained_ = false;
  CUstream stream_ = nullptr;
  std::string name_;
  uint64_t totalMemory_ = 0;
  int computeMajor_ = 0, computeMinor_ = 0, maxSharedOptin_ = 0;
};

} // namespace cuda
} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_CUDA_CUDACONTEXT_H

// Runs a cuda test twice: on the host-emulated driver (FakeCudaDriver.h), everywhere, and on
// the real driver and device 0, skipped with "no CUDA device: <why>" where there is none.
#ifndef DS4_TEST_UNIT_CUDATESTSUPPORT_H
#define DS4_TEST_UNIT_CUDATESTSUPPORT_H

#include "FakeCudaDriver.h"

#include "runtime/session/cuda/CudaContext.h"
#include "runtime/session/cuda/CudaDriver.h"

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

namespace ds4 {
namespace test {

enum class CudaDriverKind { fake, real };

/// Why this machine cannot run the real-device tests ("" if it can).
inline const std::string &realCudaProblem() {
  static const std::string problem = [] {
    Expected<const session::cuda::CudaDriver *> driver = session::cuda::loadCudaDriver();
    if (!driver)
      return driver.status().message();
    auto context = session::cuda::CudaContext::create(**driver);
    if (!context) {
      std::string m = context.status().message();
      const std::string prefix = "no CUDA device: ";
      return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
    }
    if ((*context)->computeMajor() != 9 || (*context)->computeMinor() != 0)
      return "device 0 (" + (*context)->name() + ") is not compute capability 9.0";
    return std::string();
  }();
  return problem;
}

class CudaDriverTest : public ::testing::TestWithParam<CudaDriverKind> {
protected:
  void SetUp() override {
    if (GetParam() == CudaDriverKind::fake) {
      fake_ = std::make_unique<FakeCuda>();
      addFakeGpuKernels(*fake_);
      return;
    }
    if (!realCudaProblem().empty())
      GTEST_SKIP() << "no CUDA device: " << realCudaProblem();
  }
  void TearDown() override { fake_.reset(); }

  bool fake() const { return fake_ != nullptr; }
  /// The driver under test.
  const session::cuda::CudaDriver &driver() const {
    return **session::cuda::loadCudaDriver();
  }

  std::unique_ptr<FakeCuda> fake_;
};

inline void PrintTo(CudaDriverKind kind, std::ostream *os) {
  *os << (kind == CudaDriverKind::fake ? "fake driver" : "real driver");
}

inline std::string cudaDriverKindName(const ::testing::TestParamInfo<CudaDriverKind> &info) {
  return info.param == CudaDriverKind::fake ? "fake" : "real";
}

/// Instantiates the TEST_Ps of `Suite` for both drivers.
#define DS4_CUDA_DRIVER_TESTS(Suite)                                                               \
  INSTANTIATE_TEST_SUITE_P(Drivers, Suite,                                                         \
                           ::testing::Values(::ds4::test::CudaDriverKind::fake,                    \
                                             ::ds4::test::CudaDriverKind::real),                   \
                           ::ds4::test::cudaDriverKindName)

/// Instantiates the TEST_Ps of `Suite` for the emulated driver only (injected failures).
#define DS4_FAKE_CUDA_DRIVER_TESTS(Suite)                                                          \
  INSTANTIATE_TEST_SUITE_P(Driver, Suite, ::testing::Values(::ds4::test::CudaDriverKind::fake),    \
                           ::ds4::test::cudaDriverKindName)

} // namespace test
} // namespace ds4

#endif // DS4_TEST_UNIT_CUDATESTSUPPORT_H

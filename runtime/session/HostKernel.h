// Host code of an artifact: a host_shared_object kernel (cpu: the model's code; sm_90a: the host
// plan of gpu_host_abi.h) written to an anonymous memory file (memfd_create; a private
// temporary file where memfd is unavailable), dlopen'ed, and its command symbols looked up. No
// LLVM: the compiled code needs only libc and libm.
#ifndef DS4_RUNTIME_SESSION_HOSTKERNEL_H
#define DS4_RUNTIME_SESSION_HOSTKERNEL_H

#include "runtime/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace ds4 {
namespace session {

/// The calling convention of a call_host command: args[i] is the address of the memref
/// descriptor of the command's i-th Arg.
using HostFunction = void (*)(void **args);

/// An exported symbol: its address and size (from the ELF symbol table; 0 when unknown).
struct HostSymbol {
  void *address = nullptr;
  size_t size = 0;
};

class HostLibrary {
public:
  /// Loads `size` bytes of an ELF shared object. `what` names it in messages (e.g.
  /// "model.ds4: kernel 0 'host'").
  static Expected<HostLibrary> load(const uint8_t *image, size_t size, const std::string &what);

  HostLibrary(HostLibrary &&other) noexcept;
  HostLibrary &operator=(HostLibrary &&other) noexcept;
  HostLibrary(const HostLibrary &) = delete;
  HostLibrary &operator=(const HostLibrary &) = delete;
  ~HostLibrary();

  /// The exported function `symbol`; an error naming the library and symbol if absent.
  Expected<HostFunction> function(const std::string &symbol) const;
  /// Any exported symbol (data too, e.g. a cuda host plan's ds4_gpu_host_abi table).
  Expected<HostSymbol> symbol(const std::string &name) const;

private:
  HostLibrary(void *handle, int fd, std::string what)
      : handle_(handle), fd_(fd), what_(std::move(what)) {}
  void reset();
  void *handle_ = nullptr;
  int fd_ = -1; // the memory file, kept open while loaded so its /proc name stays unique
  std::string what_;
};

/// Why `image` is not a loadable ELF shared object for this machine, or "" if it looks like
/// one (magic, 64-bit little-endian, ET_DYN, this machine's architecture).
std::string elfProblem(const uint8_t *image, size_t size);

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_HOSTKERNEL_H

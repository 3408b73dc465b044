#include "runtime/session/HostKernel.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

namespace ds4 {
namespace session {

namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = 62; // EM_X86_64
constexpr const char *kHostMachineName = "x86-64";
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = 183; // EM_AARCH64
constexpr const char *kHostMachineName = "aarch64";
#else
constexpr uint16_t kHostMachine = 0; // unchecked
constexpr const char *kHostMachineName = "this machine";
#endif

std::string hex(const uint8_t *p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i)
      out += ' ';
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

bool writeAll(int fd, const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= size_t(n);
  }
  return true;
}

std::string lastDlError() {
  const char *e = dlerror();
  std::string s = e ? e : "unknown dlopen error";
  for (char &c : s)
    if (c == '\n')
      c = ' ';
  return s;
}

/// dlopen of an open file by its /proc name; nullptr + `error` on failure. glibc matches
/// already-loaded objects by name first, so a name another (possibly never unloaded) library
/// holds is avoided by moving the descriptor to a fresh number.
void *openFd(int &fd, std::string &error) {
  std::vector<int> parked; // kept open until done, so a dup never reuses their numbers
  void *handle = nullptr;
  for (int attempt = 0;; ++attempt) {
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    if (void *stale = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD)) {
      dlclose(stale);
      int moved = attempt < 64 ? fcntl(fd, F_DUPFD_CLOEXEC, fd + 1) : -1;
      if (moved < 0) {
        error = "no free name to load the kernel under";
        break;
      }
      parked.push_back(fd);
      fd = moved;
      continue;
    }
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error = lastDlError();
    break;
  }
  for (int p : parked)
    ::close(p);
  return handle;
}

} // namespace

std::string elfProblem(const uint8_t *image, size_t size) {
  if (size < 64 || std::memcmp(image, "\x7f" "ELF", 4) != 0)
    return "not an ELF shared object (it starts with " + hex(image, size < 4 ? size : 4) +
           (size < 64 ? ", " + std::to_string(size) + " bytes" : std::string()) + ")";
  if (image[4] != 2 || image[5] != 1)
    return "not a 64-bit little-endian ELF object";
  uint16_t type = uint16_t(image[16] | image[17] << 8);
  if (type != 3)
    return "an ELF object of type " + std::to_string(type) + ", not a shared object (ET_DYN)";
  uint16_t machine = uint16_t(image[18] | image[19] << 8);
  if (kHostMachine && machine != kHostMachine)
    return "an ELF shared object for machine " + std::to_string(machine) + ", not " +
           kHostMachineName;
  return "";
}

Expected<HostLibrary> HostLibrary::load(const uint8_t *image, size_t size,
                                        const std::string &what) {
  std::string problem = elfProblem(image, size);
  if (!problem.empty())
    return Status::error(what + ": host kernel is " + problem + ", so it cannot be loaded");

  std::string error;
  // First choice: an anonymous memory file, never visible in the file system.
  int fd = static_cast<int>(memfd_create("ds4-host-kernel", MFD_CLOEXEC));
  if (fd >= 0) {
    if (!writeAll(fd, image, size)) {
      error = std::string("cannot write the kernel to a memory file: ") + std::strerror(errno);
    } else if (void *h = openFd(fd, error)) {
      return HostLibrary(h, fd, what);
    }
    ::close(fd);
  } else {
    error = std::string("memfd_create: ") + std::strerror(errno);
  }

  // Fallback (no memfd, or memory files not executable here): a private temporary file,
  // removed as soon as it is mapped.
  const char *tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ds4-host-kernel-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int tfd = mkstemp(name.data());
  if (tfd < 0)
    return Status::error(what + ": cannot load host kernel: " + error +
                         "; and no temporary file (" + pattern + "): " + std::strerror(errno));
  bool written = writeAll(tfd, image, size);
  ::close(tfd);
  void *h = written ? dlopen(name.data(), RTLD_NOW | RTLD_LOCAL) : nullptr;
  std::string tmpError = written ? (h ? "" : lastDlError()) : std::string("write failed");
  ::unlink(name.data());
  if (!h)
    return Status::error(what + ": cannot load host kernel: dlopen failed: " + error +
                         (tmpError != error ? " (from a temporary file: " + tmpError + ")" : ""));
  return HostLibrary(h, -1, what);
}

HostLibrary::HostLibrary(HostLibrary &&other) noexcept
    : handle_(other.handle_), fd_(other.fd_), what_(std::move(other.what_)) {
  other.handle_ = nullptr;
  other.fd_ = -1;
}

HostLibrary &HostLibrary::operator=(HostLibrary &&other) noexcept {
  if (this != &other) {
    reset();
    handle_ = other.handle_;
    fd_ = other.fd_;
    what_ = std::move(other.what_);
    other.handle_ = nullptr;
    other.fd_ = -1;
  }
  return *this;
}

HostLibrary::~HostLibrary() { reset(); }

void HostLibrary::reset() {
  if (handle_)
    dlclose(handle_);
  if (fd_ >= 0)
    ::close(fd_);
  handle_ = nullptr;
  fd_ = -1;
}

Expected<HostFunction> HostLibrary::function(const std::string &symbol) const {
  dlerror();
  void *p = dlsym(handle_, symbol.c_str());
  if (!p)
    return Status::error(what_ + ": host kernel does not export symbol '" + symbol + "'");
  return reinterpret_cast<HostFunction>(p);
}

Expected<HostSymbol> HostLibrary::symbol(const std::string &name) const {
  dlerror();
  void *p = dlsym(handle_, name.c_str());
  if (!p)
    return Status::error(what_ + ": host kernel does not export symbol '" + name + "'");
  HostSymbol out;
  out.address = p;
  Dl_info info;
  void *entry = nullptr;
  if (dladdr1(p, &info, &entry, RTLD_DL_SYMENT) != 0 && entry)
    out.size = size_t(static_cast<const ElfW(Sym) *>(entry)->st_size);
  return out;
}

} // namespace session
} // namespace ds4

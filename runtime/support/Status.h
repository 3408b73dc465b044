// ds4::Status and ds4::Expected<T>: error values for the runtime's public APIs, which never
// throw.  A Status holds zero messages (success) or one or more single-line messages; a
// validator that finds several problems returns them all in one Status, so a user sees every
// mismatch at once instead of fixing them one run at a time.
//
// Plain C++17, no LLVM/MLIR: the runtime links no LLVM.
#ifndef DS4_RUNTIME_SUPPORT_STATUS_H
#define DS4_RUNTIME_SUPPORT_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ds4 {

class [[nodiscard]] Status {
public:
  /// Success.
  Status() = default;

  static Status success() { return Status(); }
  /// One error.  An empty message is replaced by "unknown error" so the result is a failure.
  static Status error(std::string message) {
    Status s;
    s.append(std::move(message));
    return s;
  }
  /// Several errors at once; success if `messages` is empty.
  static Status errors(std::vector<std::string> messages) {
    Status s;
    for (std::string &m : messages)
      s.append(std::move(m));
    return s;
  }

  bool ok() const { return messages_.empty(); }
  explicit operator bool() const { return ok(); }

  /// Every message, in the order they were found.
  const std::vector<std::string> &messages() const { return messages_; }
  /// The messages joined by '\n' (no trailing newline); "" on success.
  std::string message() const {
    std::string out;
    for (size_t i = 0; i < messages_.size(); ++i) {
      if (i)
        out += '\n';
      out += messages_[i];
    }
    return out;
  }

  void append(std::string message) {
    messages_.push_back(message.empty() ? std::string("unknown error") : std::move(message));
  }
  void append(const Status &other) {
    messages_.insert(messages_.end(), other.messages_.begin(), other.messages_.end());
  }

private:
  std::vector<std::string> messages_;
};

/// A value or a failed Status.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  /// `status` must be a failure.
  Expected(Status status) : status_(std::move(status)) {
    assert(!status_.ok() && "Expected constructed from a successful Status");
    if (status_.ok())
      status_.append("internal error: Expected built from a successful Status");
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  /// The failure (a successful Status when ok()).
  const Status &status() const { return status_; }

  T &value() & {
    assert(ok());
    return *value_;
  }
  const T &value() const & {
    assert(ok());
    return *value_;
  }
  T &&value() && {
    assert(ok());
    return std::move(*value_);
  }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace ds4

#endif // DS4_RUNTIME_SUPPORT_STATUS_H

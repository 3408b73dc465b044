// Internal to ds4_weights: how names appear in messages.
#ifndef DS4_RUNTIME_WEIGHTS_DIAGNOSTICS_H
#define DS4_RUNTIME_WEIGHTS_DIAGNOSTICS_H

#include <cstdint>
#include <string>
#include <string_view>

namespace ds4 {
namespace weights {

/// `name` in single quotes, with quotes, backslashes and control bytes escaped so that a
/// message stays on one line whatever the file contains.
inline std::string displayName(std::string_view name) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

/// "1 byte", "N bytes".
inline std::string byteCount(uint64_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

} // namespace weights
} // namespace ds4

#endif // DS4_RUNTIME_WEIGHTS_DIAGNOSTICS_H

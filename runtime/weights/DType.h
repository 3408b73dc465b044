// Element types of safetensors checkpoints, under their safetensors names.
//
// DeepSeek-V4 checkpoints use BF16, F32, I32, F8_E4M3, F8_E8M0 and I8 (which holds packed fp4
// e2m1, two codes per byte: the header's shape already counts bytes, so an I8 tensor is one
// byte per element like any I8 tensor; see ../shared/spec/deepseek-v4.md section 2).  The rest
// of the standard safetensors set is accepted too, including the sub-byte F4 / F6_* types
// (their byte count must come out whole).
#ifndef DS4_RUNTIME_WEIGHTS_DTYPE_H
#define DS4_RUNTIME_WEIGHTS_DTYPE_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ds4 {
namespace weights {

enum class DType : uint8_t {
  BOOL,
  U8,
  I8,
  U16,
  I16,
  U32,
  I32,
  U64,
  I64,
  F16,
  BF16,
  F32,
  F64,
  C64,
  F8_E4M3,
  F8_E5M2,
  F8_E8M0,
  F4,
  F6_E2M3,
  F6_E3M2,
};

/// Every DType, in declaration order.
const std::vector<DType> &allDTypes();

/// The safetensors spelling ("BF16", "F8_E4M3", ...).
std::string_view dtypeName(DType dtype);
/// The DType spelled exactly `name` (case-sensitive, as safetensors writes it), or nullopt.
std::optional<DType> parseDType(std::string_view name);
/// Bits per element: 4 (F4), 6 (F6_*), 8, 16, 32 or 64.
unsigned dtypeBits(DType dtype);

/// Number of elements of `shape` (1 for a scalar, []), or nullopt if a dimension is negative
/// or the product overflows int64.
std::optional<int64_t> elementCount(const std::vector<int64_t> &shape);
/// Bytes of a tensor of `shape` and `dtype`, or nullopt if elementCount fails, the product
/// overflows 64 bits, or (sub-byte types) the bit count is not a whole number of bytes.
std::optional<uint64_t> byteSize(DType dtype, const std::vector<int64_t> &shape);

/// "64x128" ("scalar" for []).
std::string formatShape(const std::vector<int64_t> &shape);
/// "64x128 F8_E4M3" ("scalar F32" for []).
std::string formatTensorType(DType dtype, const std::vector<int64_t> &shape);

} // namespace weights
} // namespace ds4

#endif // DS4_RUNTIME_WEIGHTS_DTYPE_H

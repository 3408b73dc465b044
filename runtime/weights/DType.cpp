#include "runtime/weights/DType.h"

namespace ds4 {
namespace weights {

namespace {
struct DTypeInfo {
  DType dtype;
  const char *name;
  unsigned bits;
};
// Keep in DType declaration order.
const DTypeInfo kDTypes[] = {
    {DType::BOOL, "BOOL", 8},       {DType::U8, "U8", 8},           {DType::I8, "I8", 8},
    {DType::U16, "U16", 16},        {DType::I16, "I16", 16},        {DType::U32, "U32", 32},
    {DType::I32, "I32", 32},        {DType::U64, "U64", 64},        {DType::I64, "I64", 64},
    {DType::F16, "F16", 16},        {DType::BF16, "BF16", 16},      {DType::F32, "F32", 32},
    {DType::F64, "F64", 64},        {DType::C64, "C64", 64},        {DType::F8_E4M3, "F8_E4M3", 8},
    {DType::F8_E5M2, "F8_E5M2", 8}, {DType::F8_E8M0, "F8_E8M0", 8}, {DType::F4, "F4", 4},
    {DType::F6_E2M3, "F6_E2M3", 6}, {DType::F6_E3M2, "F6_E3M2", 6},
};
constexpr size_t kNumDTypes = sizeof(kDTypes) / sizeof(kDTypes[0]);

const DTypeInfo &info(DType dtype) {
  size_t i = static_cast<size_t>(dtype);
  return kDTypes[i < kNumDTypes ? i : 0];
}
} // namespace

const std::vector<DType> &allDTypes() {
  static const std::vector<DType> all = [] {
    std::vector<DType> v;
    for (const DTypeInfo &d : kDTypes)
      v.push_back(d.dtype);
    return v;
  }();
  return all;
}

std::string_view dtypeName(DType dtype) { return info(dtype).name; }

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &d : kDTypes)
    if (name == d.name)
      return d.dtype;
  return std::nullopt;
}

unsigned dtypeBits(DType dtype) { return info(dtype).bits; }

std::optional<int64_t> elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (!overflow && __builtin_mul_overflow(n, d, &n))
      overflow = true;
  }
  // A zero dimension makes the count 0 even if other dimensions overflowed on the way.
  for (int64_t d : shape)
    if (d == 0)
      return 0;
  if (overflow)
    return std::nullopt;
  return n;
}

std::optional<uint64_t> byteSize(DType dtype, const std::vector<int64_t> &shape) {
  std::optional<int64_t> n = elementCount(shape);
  if (!n)
    return std::nullopt;
  uint64_t bits;
  if (__builtin_mul_overflow(static_cast<uint64_t>(*n), static_cast<uint64_t>(dtypeBits(dtype)),
                             &bits))
    return std::nullopt;
  if (bits % 8 != 0)
    return std::nullopt;
  return bits / 8;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

std::string formatTensorType(DType dtype, const std::vector<int64_t> &shape) {
  return formatShape(shape) + " " + std::string(dtypeName(dtype));
}

} // namespace weights
} // namespace ds4

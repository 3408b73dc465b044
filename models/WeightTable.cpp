//===- WeightTable.cpp ----------------------------------------------------===//

#include "models/WeightTable.h"

#include "dialects/ds4/IR/Ds4Ops.h"

#include <map>

using namespace mlir;
using namespace mlir::ds4;
using ::ds4::weights::DType;
using ::ds4::weights::ExpectedTensor;

static std::optional<DType> plainDType(Type element) {
  if (element.isBF16())
    return DType::BF16;
  if (element.isF32())
    return DType::F32;
  if (element.isInteger(32))
    return DType::I32;
  if (element.isInteger(64))
    return DType::I64;
  return std::nullopt;
}

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The checkpoint tensors behind one (unstacked) weight reference.
static void expand(StringRef name, RankedTensorType type,
                   ArrayRef<int64_t> shape,
                   std::vector<ExpectedTensor> &out) {
  auto quant = dyn_cast_or_null<QuantEncodingAttr>(type.getEncoding());
  if (!quant) {
    out.push_back({name.str(), *plainDType(type.getElementType()),
                   std::vector<int64_t>(shape.begin(), shape.end())});
    return;
  }
  std::vector<int64_t> codes(shape.begin(), shape.end());
  DType codeType = DType::F8_E4M3;
  if (quant.getFormat() == QuantFormat::fp4_e2m1) {
    codes.back() /= 2; // two codes per byte
    codeType = DType::I8;
  }
  out.push_back({name.str(), codeType, codes});
  std::vector<int64_t> scales(shape.begin(), shape.end());
  scales[scales.size() - 2] = ceilDiv(scales[scales.size() - 2], quant.getBlockRows());
  scales.back() = ceilDiv(scales.back(), quant.getBlockCols());
  out.push_back({name.drop_back(strlen("weight")).str() + "scale",
                 DType::F8_E8M0, scales});
}

FailureOr<std::vector<ExpectedTensor>>
(::ds4::collectWeightTable)(ModuleOp module) {
  std::map<std::string, std::pair<WeightOp, RankedTensorType>> byName;
  bool ok = true;
  module.walk([&](WeightOp op) {
    auto type = op.getResult().getType();
    auto [it, inserted] = byName.try_emplace(op.getName().str(), op, type);
    if (!inserted && it->second.second != type) {
      op.emitError() << "weight '" << op.getName() << "' is referenced as "
                     << type << " here but as " << it->second.second
                     << " elsewhere";
      ok = false;
    }
  });
  if (!ok)
    return failure();
  std::vector<ExpectedTensor> table;
  for (auto &[name, entry] : byName) {
    RankedTensorType type = entry.second;
    if (!entry.first.isStacked()) {
      expand(name, type, type.getShape(), table);
      continue;
    }
    for (int64_t e = 0; e < type.getShape()[0]; ++e) {
      std::string expert = name;
      expert.replace(expert.find('*'), 1, std::to_string(e));
      expand(expert, type, type.getShape().drop_front(), table);
    }
  }
  llvm::sort(table, [](const ExpectedTensor &a, const ExpectedTensor &b) {
    return a.name < b.name;
  });
  return table;
}

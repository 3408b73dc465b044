//===- BufferTypes.cpp ----------------------------------------------------===//

#include "lowering/cpu/BufferTypes.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

std::optional<PackedWeightLayout>
lowering::getPackedWeightLayout(RankedTensorType type) {
  auto quant = dyn_cast_or_null<QuantEncodingAttr>(type.getEncoding());
  if (!quant)
    return std::nullopt;
  ArrayRef<int64_t> shape = type.getShape();
  PackedWeightLayout l;
  for (int64_t d : shape.drop_back(2))
    l.experts *= d;
  l.rows = shape[shape.size() - 2];
  l.cols = shape.back();
  l.format = quant.getFormat();
  l.codeCols = l.format == QuantFormat::fp4_e2m1 ? l.cols / 2 : l.cols;
  l.blockRows = quant.getBlockRows();
  l.blockCols = quant.getBlockCols();
  l.scaleRows = (l.rows + l.blockRows - 1) / l.blockRows;
  l.scaleCols = (l.cols + l.blockCols - 1) / l.blockCols;
  return l;
}

BufferTypeConverter::BufferTypeConverter() {
  addConversion([](Type type) -> std::optional<Type> {
    if (isa<RankedTensorType, StateType>(type))
      return std::nullopt; // handled below
    return type;
  });
  addConversion([](RankedTensorType type) -> Type {
    if (std::optional<PackedWeightLayout> layout = getPackedWeightLayout(type))
      return MemRefType::get({layout->totalBytes()},
                             IntegerType::get(type.getContext(), 8));
    return MemRefType::get(type.getShape(), type.getElementType());
  });
  addConversion([](StateType type) -> Type {
    return MemRefType::get(type.getShape(), Float32Type::get(type.getContext()));
  });
  // Values still of tensor type at a boundary (never expected once every op
  // is converted) are bridged with casts that reconcile-unrealized-casts
  // must eliminate; a leftover one is a lowering bug and fails the pipeline.
  auto cast = [](OpBuilder &builder, Type type, ValueRange inputs,
                 Location loc) -> Value {
    return UnrealizedConversionCastOp::create(builder, loc, type, inputs)
        .getResult(0);
  };
  addSourceMaterialization(cast);
  addTargetMaterialization(cast);
}

//===- BufferTypes.h - tensor / state / weight types -> memrefs (CPU) -----===//
//
// The CPU lowering turns ds4 ops on tensors into loops over memrefs in one
// conversion (ds4-lower-to-loops). This converter says what each value
// becomes:
//
//  - a plain tensor (f32 / bf16 / integer) -> a memref of the same shape;
//  - `!ds4.state<kind, SxRxW, ...>` -> memref<SxRxWxf32>: on the CPU every
//    state row is kept in f32; `fp8_nope` / `fp4` storage is honoured by
//    rounding values through the format when they are written (the values
//    are identical to packed storage, the bytes are not);
//  - a block-quantized weight tensor -> memref<Nxi8>: one packed byte blob
//    holding all codes, then all e8m0 scales (see PackedWeightLayout). The
//    runtime builds this blob at load time from `X.weight` and `X.scale`
//    (stacking per-expert tensors), as the artifact's weight table says.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_CPU_BUFFERTYPES_H
#define DS4_LOWERING_CPU_BUFFERTYPES_H

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::ds4::lowering {

/// Byte layout of a packed quantized weight `[E..., O, I]` (leading dims
/// flattened to `experts`): codes `[experts, O, codeCols]` row-major, then
/// scales `[experts, scaleRows, scaleCols]` row-major, one byte each.
struct PackedWeightLayout {
  int64_t experts = 1;
  int64_t rows = 0, cols = 0;         // logical O, I
  int64_t codeCols = 0;               // I (fp8) or I/2 (fp4)
  int64_t scaleRows = 0, scaleCols = 0;
  int64_t blockRows = 0, blockCols = 0;
  QuantFormat format = QuantFormat::fp8_e4m3;

  int64_t codeBytes() const { return experts * rows * codeCols; }
  int64_t scaleBytes() const { return experts * scaleRows * scaleCols; }
  int64_t totalBytes() const { return codeBytes() + scaleBytes(); }
};

/// The layout of a `#ds4.quant` tensor type; nullopt for plain tensors.
std::optional<PackedWeightLayout> getPackedWeightLayout(RankedTensorType type);

class BufferTypeConverter : public TypeConverter {
public:
  BufferTypeConverter();
};

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_CPU_BUFFERTYPES_H

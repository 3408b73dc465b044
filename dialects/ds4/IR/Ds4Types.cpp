//===- Ds4Types.cpp - the per-sequence state type ------------------------===//

#include "dialects/ds4/IR/Ds4Dialect.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::ds4;

// `?x128x512`: the same dimension-list spelling as tensor shapes.
static ParseResult parseDs4Shape(AsmParser &parser,
                                 SmallVector<int64_t> &shape) {
  return parser.parseDimensionList(shape, /*allowDynamic=*/true,
                                   /*withTrailingX=*/false);
}

static void printDs4Shape(AsmPrinter &printer, ArrayRef<int64_t> shape) {
  llvm::interleave(
      shape, printer.getStream(),
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          printer << '?';
        else
          printer << dim;
      },
      "x");
}

// `fp8_nope, ratio = 4, rope = 64`: the storage, then optional
// keyword = integer pairs, each omitted when 0.
static ParseResult parseDs4StateStorage(AsmParser &parser,
                                        StateStorage &storage, int64_t &ratio,
                                        int64_t &rope) {
  FailureOr<StateStorage> parsed = FieldParser<StateStorage>::parse(parser);
  if (failed(parsed))
    return failure();
  storage = *parsed;
  ratio = 0;
  rope = 0;
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return failure();
    int64_t *field = key == "ratio" ? &ratio : key == "rope" ? &rope : nullptr;
    if (!field)
      return parser.emitError(loc) << "expected 'ratio' or 'rope', got '"
                                   << key << "'";
    if (parser.parseInteger(*field))
      return failure();
  }
  return success();
}

static void printDs4StateStorage(AsmPrinter &printer, StateStorage storage,
                                 int64_t ratio, int64_t rope) {
  printer << stringifyStateStorage(storage);
  if (ratio != 0)
    printer << ", ratio = " << ratio;
  if (rope != 0)
    printer << ", rope = " << rope;
}

#define GET_TYPEDEF_CLASSES
#include "dialects/ds4/IR/Ds4Types.cpp.inc"

void Ds4Dialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/ds4/IR/Ds4Types.cpp.inc"
      >();
}

LogicalResult StateType::verify(function_ref<InFlightDiagnostic()> emitError,
                                StateKind kind, ArrayRef<int64_t> shape,
                                StateStorage storage, int64_t ratio,
                                int64_t rope) {
  if (shape.size() != 3)
    return emitError() << "!ds4.state shape must be slots x rows x width, got "
                       << shape.size() << " dims";
  for (int64_t dim : shape.take_front(2))
    if (!ShapedType::isDynamic(dim) && dim <= 0)
      return emitError() << "!ds4.state slots and rows must be positive or ?";
  int64_t width = shape[2];
  if (ShapedType::isDynamic(width) || width <= 0)
    return emitError() << "!ds4.state width must be a positive constant";
  if (kind == StateKind::window && ratio != 0)
    return emitError() << "!ds4.state<window> takes no ratio";
  if (kind != StateKind::window && ratio <= 0)
    return emitError() << "!ds4.state<" << stringifyStateKind(kind)
                       << "> needs a positive ratio";
  if (kind == StateKind::compressor && storage != StateStorage::f32)
    return emitError() << "!ds4.state<compressor> pending rows are f32, got "
                       << stringifyStateStorage(storage);
  if (storage == StateStorage::fp8_nope) {
    if (kind != StateKind::window && kind != StateKind::compressed)
      return emitError() << "fp8_nope storage is for window and compressed "
                            "kv only";
    if (rope <= 0 || rope >= width)
      return emitError() << "fp8_nope storage needs 0 < rope < width, got rope "
                         << rope;
    if ((width - rope) % 64 != 0)
      return emitError() << "fp8_nope storage needs the " << width - rope
                         << " nope dims to split into blocks of 64";
  } else if (rope != 0) {
    return emitError() << "rope = " << rope
                       << " is only meaningful with fp8_nope storage";
  }
  if (storage == StateStorage::fp4) {
    if (kind != StateKind::indexer_keys)
      return emitError() << "fp4 storage is for indexer keys only";
    if (width % 32 != 0)
      return emitError() << "fp4 storage needs width divisible by 32, got "
                         << width;
  }
  return success();
}

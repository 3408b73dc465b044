//===- AttentionOps.cpp - window, compressor, indexer, attention ---------===//

#include "dialects/ds4/IR/Ds4Ops.h"
#include "dialects/ds4/IR/VerifyHelpers.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::verify;

/// kv-like operand [b, s, width]; returns {b, s}.
static FailureOr<std::pair<int64_t, int64_t>>
getTokenDims(Operation *op, StringRef what, Value value, int64_t width) {
  if (failed(isFloatTensor(op, what, value.getType())) ||
      failed(hasShape(op, what, value.getType(), {kAny, kAny, width})))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(value);
  return std::make_pair(shape[0], shape[1]);
}

static LogicalResult sameSlots(Operation *op, StateType a, StateType b) {
  if (!dimsMatch(a.getSlots(), b.getSlots()))
    return op->emitOpError() << "states disagree on the number of slots: "
                             << a << " vs " << b;
  return success();
}

//===----------------------------------------------------------------------===//
// ds4.window_update
//===----------------------------------------------------------------------===//

LogicalResult WindowUpdateOp::verify() {
  StateType window = getWindow().getType();
  if (failed(isStateKind(*this, "'window'", window, {StateKind::window})))
    return failure();
  auto tokens = getTokenDims(*this, "'kv'", getKv(), window.getWidth());
  if (failed(tokens))
    return failure();
  return hasPositionsAndSlots(*this, getPositions(), getSlots(),
                              tokens->first, tokens->second);
}

//===----------------------------------------------------------------------===//
// ds4.compressor
//===----------------------------------------------------------------------===//

LogicalResult CompressorOp::verify() {
  int64_t ratio = getRatio();
  if (ratio <= 0)
    return emitOpError() << "'ratio' must be positive, got " << ratio;
  StateType block = getBlock().getType();
  StateType entries = getEntries().getType();
  if (failed(isStateKind(*this, "'block'", block, {StateKind::compressor})) ||
      failed(isStateKind(*this, "'entries'", entries,
                         {StateKind::compressed, StateKind::indexer_keys})) ||
      failed(sameSlots(*this, block, entries)))
    return failure();
  if (block.getRatio() != ratio || entries.getRatio() != ratio)
    return emitOpError() << "'ratio' " << ratio
                         << " must equal the ratio of 'block' ("
                         << block.getRatio() << ") and 'entries' ("
                         << entries.getRatio() << ")";
  // c = 2 with overlap: each projection row holds the [A | B] halves.
  int64_t hd = entries.getWidth();
  int64_t c = getOverlap() ? 2 : 1;
  auto tokens = getTokenDims(*this, "'kv'", getKv(), c * hd);
  if (failed(tokens) || failed(isF32Tensor(*this, "'kv'", getKv().getType())))
    return failure();
  if (getGate().getType() != getKv().getType())
    return emitOpError() << "'gate' type must equal 'kv' type "
                         << getKv().getType() << ", got "
                         << getGate().getType();
  if (failed(isF32Tensor(*this, "'ape'", getApe().getType())) ||
      failed(hasShape(*this, "'ape'", getApe().getType(), {ratio, c * hd})) ||
      failed(isFloatTensor(*this, "'norm'", getNorm().getType())) ||
      failed(hasShape(*this, "'norm'", getNorm().getType(), {hd})))
    return failure();
  int64_t rows = (getOverlap() ? 2 : 1) * ratio;
  if (!dimsMatch(block.getRows(), rows) || block.getWidth() != 2 * c * hd)
    return emitOpError() << "'block' must hold " << rows << " rows of [kv | "
                         << "gate] = " << 2 * c * hd << " values, got "
                         << block;
  if (getRope().getDims() > hd)
    return emitOpError() << "rope dims " << getRope().getDims()
                         << " exceed the entry width " << hd;
  if (getRotate() && !llvm::isPowerOf2_64(hd))
    return emitOpError() << "'rotate' needs a power-of-two entry width for "
                            "the Hadamard transform, got "
                         << hd;
  if (entries.getStorage() == StateStorage::fp8_nope &&
      entries.getRope() != getRope().getDims())
    return emitOpError() << "'entries' keeps " << entries.getRope()
                         << " rope dims in bf16 but the op ropes "
                         << getRope().getDims();
  if (failed(isPositive(*this, "'eps'", getEps().convertToDouble())))
    return failure();
  return hasPositionsAndSlots(*this, getPositions(), getSlots(),
                              tokens->first, tokens->second);
}

//===----------------------------------------------------------------------===//
// ds4.indexer_score
//===----------------------------------------------------------------------===//

LogicalResult IndexerScoreOp::verify() {
  StateType keys = getKeys().getType();
  if (failed(isStateKind(*this, "'keys'", keys, {StateKind::indexer_keys})))
    return failure();
  Type q = getQ().getType();
  if (failed(isFloatTensor(*this, "'q'", q)) ||
      failed(hasShape(*this, "'q'", q, {kAny, kAny, kAny, keys.getWidth()})))
    return failure();
  ArrayRef<int64_t> qShape = shapeOf(getQ());
  if (failed(isFloatTensor(*this, "'weights'", getWeights().getType())) ||
      failed(hasShape(*this, "'weights'", getWeights().getType(),
                      qShape.drop_back())))
    return failure();
  if (failed(isPositive(*this, "'scale'", getScale().convertToDouble())) ||
      failed(hasPositionsAndSlots(*this, getPositions(), getSlots(), qShape[0],
                                  qShape[1])))
    return failure();
  if (failed(isF32Tensor(*this, "result", getType())))
    return failure();
  return hasShape(*this, "result", getType(),
                  {qShape[0], qShape[1], keys.getRows()});
}

//===----------------------------------------------------------------------===//
// ds4.topk
//===----------------------------------------------------------------------===//

LogicalResult TopKOp::verify() {
  // I64Attr getters return uint64_t; read them signed so negatives fail.
  int64_t k = getK(), ratio = getRatio();
  if (k <= 0)
    return emitOpError() << "'k' must be positive, got " << k;
  if (ratio <= 0)
    return emitOpError() << "'ratio' must be positive, got " << ratio;
  Type scores = getScores().getType();
  if (failed(isFloatTensor(*this, "'scores'", scores)) ||
      failed(hasRank(*this, "'scores'", scores, 3)))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(getScores());
  if (failed(isIntegerTensor(*this, "'positions'", getPositions().getType())) ||
      failed(hasShape(*this, "'positions'", getPositions().getType(),
                      shape.drop_back())))
    return failure();
  if (!getType().getElementType().isInteger(32))
    return emitOpError() << "result must hold i32 indices, got " << getType();
  return hasShape(*this, "result", getType(), {shape[0], shape[1], k});
}

//===----------------------------------------------------------------------===//
// ds4.sparse_attention
//===----------------------------------------------------------------------===//

LogicalResult SparseAttentionOp::verify() {
  Type q = getQ().getType();
  if (failed(isFloatTensor(*this, "'q'", q)) ||
      failed(hasRank(*this, "'q'", q, 4)))
    return failure();
  ArrayRef<int64_t> qShape = shapeOf(getQ());
  int64_t b = qShape[0], s = qShape[1], heads = qShape[2], dim = qShape[3];
  StateType window = getWindow().getType();
  if (failed(isStateKind(*this, "'window'", window, {StateKind::window})))
    return failure();
  if (!dimsMatch(dim, window.getWidth()))
    return emitOpError() << "'q' head dim " << dim
                         << " must equal the window width "
                         << window.getWidth();
  if (failed(isFloatTensor(*this, "'kv'", getKv().getType())) ||
      failed(hasShape(*this, "'kv'", getKv().getType(), {b, s, dim})))
    return failure();
  if (Value entries = getEntries()) {
    auto entriesType = cast<StateType>(entries.getType());
    if (failed(isStateKind(*this, "'entries'", entriesType,
                           {StateKind::compressed})) ||
        failed(sameSlots(*this, window, entriesType)))
      return failure();
    if (!dimsMatch(entriesType.getWidth(), dim))
      return emitOpError() << "'entries' width " << entriesType.getWidth()
                           << " must equal the head dim " << dim;
  }
  if (Value select = getSelect()) {
    if (!getEntries())
      return emitOpError("'select' picks compressed entries, so it needs "
                         "'entries'");
    if (failed(isIntegerTensor(*this, "'select'", select.getType())) ||
        failed(hasShape(*this, "'select'", select.getType(), {b, s, kAny})))
      return failure();
  }
  if (failed(isF32Tensor(*this, "'sink'", getSink().getType())) ||
      failed(hasShape(*this, "'sink'", getSink().getType(), {heads})) ||
      failed(isPositive(*this, "'scale'", getScale().convertToDouble())) ||
      failed(hasPositionsAndSlots(*this, getPositions(), getSlots(), b, s)) ||
      failed(isFloatTensor(*this, "result", getType())))
    return failure();
  return hasShape(*this, "result", getType(), qShape);
}

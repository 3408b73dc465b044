//===- HyperConnectionOps.cpp - mHC pre / post / head verifiers ----------===//

#include "dialects/ds4/IR/Ds4Ops.h"
#include "dialects/ds4/IR/VerifyHelpers.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::verify;

namespace {
/// n (streams) and d (model dim) of a `[..., n, d]` stream tensor.
struct StreamDims {
  int64_t n, d;
  ArrayRef<int64_t> shape;
};
} // namespace

static FailureOr<StreamDims> getStreamDims(Operation *op, Value streams) {
  Type type = streams.getType();
  if (failed(isFloatTensor(op, "'streams'", type)) ||
      failed(hasMinRank(op, "'streams'", type, 2)))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(streams);
  int64_t n = shape[shape.size() - 2], d = shape.back();
  if (ShapedType::isDynamic(n) || ShapedType::isDynamic(d))
    return op->emitOpError() << "'streams' hc_mult and model dims (last two) "
                                "must be static, got "
                             << type;
  return StreamDims{n, d, shape};
}

/// fn [rows, n*d], base [rows], scale [scales], all f32.
static LogicalResult verifyMixParams(Operation *op, const StreamDims &dims,
                                     Value fn, Value base, Value scale,
                                     int64_t rows, int64_t scales) {
  if (failed(isF32Tensor(op, "'fn'", fn.getType())) ||
      failed(hasShape(op, "'fn'", fn.getType(), {rows, dims.n * dims.d})) ||
      failed(isF32Tensor(op, "'base'", base.getType())) ||
      failed(hasShape(op, "'base'", base.getType(), {rows})) ||
      failed(isF32Tensor(op, "'scale'", scale.getType())) ||
      failed(hasShape(op, "'scale'", scale.getType(), {scales})))
    return failure();
  return success();
}

static LogicalResult verifyEps(Operation *op, double hcEps, double normEps) {
  if (!(hcEps >= 0.0))
    return op->emitOpError() << "'hc_eps' must be >= 0, got " << hcEps;
  return isPositive(op, "'norm_eps'", normEps);
}

LogicalResult HcExpandOp::verify() {
  Type x = getX().getType();
  if (failed(isFloatTensor(*this, "'x'", x)) ||
      failed(hasMinRank(*this, "'x'", x, 1)))
    return failure();
  if (failed(isFloatTensor(*this, "result", getType())) ||
      failed(hasMinRank(*this, "result", getType(), 2)))
    return failure();
  int64_t n = getType().getShape()[getType().getRank() - 2];
  if (ShapedType::isDynamic(n))
    return emitOpError() << "result hc_mult dim (second to last) must be "
                            "static, got "
                         << getType();
  return hasShape(*this, "result", getType(),
                  withTail(shapeOf(getX()), 1, {n, shapeOf(getX()).back()}));
}

LogicalResult HcPreOp::verify() {
  FailureOr<StreamDims> dims = getStreamDims(*this, getStreams());
  if (failed(dims))
    return failure();
  int64_t n = dims->n;
  if (failed(verifyMixParams(*this, *dims, getFn(), getBase(), getScale(),
                             (2 + n) * n, 3)))
    return failure();
  // I64Attr getters return uint64_t; read it signed so negatives fail.
  int64_t sinkhornIters = getSinkhornIters();
  if (sinkhornIters < 1)
    return emitOpError() << "'sinkhorn_iters' must be >= 1, got "
                         << sinkhornIters;
  if (failed(verifyEps(*this, getHcEps().convertToDouble(),
                       getNormEps().convertToDouble())))
    return failure();
  if (failed(isFloatTensor(*this, "'x_in'", getXIn().getType())) ||
      failed(hasShape(*this, "'x_in'", getXIn().getType(),
                      withTail(dims->shape, 2, {dims->d}))) ||
      failed(isF32Tensor(*this, "'post'", getPost().getType())) ||
      failed(hasShape(*this, "'post'", getPost().getType(),
                      withTail(dims->shape, 2, {n}))) ||
      failed(isF32Tensor(*this, "'comb'", getComb().getType())) ||
      failed(hasShape(*this, "'comb'", getComb().getType(),
                      withTail(dims->shape, 2, {n, n}))))
    return failure();
  return success();
}

LogicalResult HcPostOp::verify() {
  FailureOr<StreamDims> dims = getStreamDims(*this, getStreams());
  if (failed(dims))
    return failure();
  int64_t n = dims->n;
  if (failed(isFloatTensor(*this, "'f'", getF().getType())) ||
      failed(hasShape(*this, "'f'", getF().getType(),
                      withTail(dims->shape, 2, {dims->d}))) ||
      failed(isF32Tensor(*this, "'post'", getPost().getType())) ||
      failed(hasShape(*this, "'post'", getPost().getType(),
                      withTail(dims->shape, 2, {n}))) ||
      failed(isF32Tensor(*this, "'comb'", getComb().getType())) ||
      failed(hasShape(*this, "'comb'", getComb().getType(),
                      withTail(dims->shape, 2, {n, n}))))
    return failure();
  if (getType() != getStreams().getType())
    return emitOpError() << "result type must equal 'streams' type "
                         << getStreams().getType() << ", got " << getType();
  return success();
}

LogicalResult HcHeadOp::verify() {
  FailureOr<StreamDims> dims = getStreamDims(*this, getStreams());
  if (failed(dims))
    return failure();
  if (failed(verifyMixParams(*this, *dims, getFn(), getBase(), getScale(),
                             dims->n, 1)) ||
      failed(verifyEps(*this, getHcEps().convertToDouble(),
                       getNormEps().convertToDouble())))
    return failure();
  if (failed(isFloatTensor(*this, "result", getType())))
    return failure();
  return hasShape(*this, "result", getType(),
                  withTail(dims->shape, 2, {dims->d}));
}

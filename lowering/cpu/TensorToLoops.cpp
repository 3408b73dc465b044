//===- TensorToLoops.cpp - the upstream ops the model builder uses --------===//
//
// tensor.dim / expand_shape / collapse_shape become their memref forms (views,
// no copies); arith.addf on tensors (routed + shared expert) becomes one
// scf.parallel over all elements.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

namespace {

struct DimLowering : OpConversionPattern<tensor::DimOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tensor::DimOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<memref::DimOp>(op, adaptor.getSource(),
                                               adaptor.getIndex());
    return success();
  }
};

struct ExpandShapeLowering : BufferLowering<tensor::ExpandShapeOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(tensor::ExpandShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MemRefType type = bufferType(op.getType());
    rewriter.replaceOpWithNewOp<memref::ExpandShapeOp>(
        op, type, adaptor.getSrc(), op.getReassociationIndices(),
        op.getMixedOutputShape());
    return success();
  }
};

struct CollapseShapeLowering : OpConversionPattern<tensor::CollapseShapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tensor::CollapseShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<memref::CollapseShapeOp>(
        op, adaptor.getSrc(), op.getReassociationIndices());
    return success();
  }
};

struct AddFLowering : BufferLowering<arith::AddFOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(arith::AddFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<RankedTensorType>(op.getType()))
      return failure();
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MemRefType type = bufferType(op.getType());
    SmallVector<Value> dims = memrefDims(b, adaptor.getLhs());
    Value out = allocBuffer(b, type, dims);
    parallelForEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value sum = arith::AddFOp::create(b, loadF32(b, adaptor.getLhs(), ivs),
                                        loadF32(b, adaptor.getRhs(), ivs));
      storeF32(b, sum, out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// A dense tensor constant (tests and small tables) becomes a buffer filled
/// element by element. Packed weights cannot be written as constants.
struct TensorConstantLowering : BufferLowering<arith::ConstantOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto tensorType = dyn_cast<RankedTensorType>(op.getType());
    auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!tensorType || !dense || tensorType.getEncoding())
      return rewriter.notifyMatchFailure(op, "only plain dense tensors");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MemRefType type = bufferType(tensorType);
    Value out = memref::AllocOp::create(b, type);
    SmallVector<int64_t> strides = computeSuffixProduct(tensorType.getShape());
    // The stores as one (single-iteration) scf.parallel: one launch, not
    // one per element.
    parallelForEach(b, {}, [&](ImplicitLocOpBuilder &b, ValueRange) {
      int64_t linear = 0;
      for (Attribute element : dense.getValues<Attribute>()) {
        // The multi-index of `linear` in row-major order.
        SmallVector<Value> idx;
        int64_t rest = linear;
        for (int64_t s : strides) {
          idx.push_back(constIndex(b, rest / s));
          rest %= s;
        }
        Value v = arith::ConstantOp::create(b, cast<TypedAttr>(element));
        memref::StoreOp::create(b, v, out, idx);
        ++linear;
      }
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Test drivers read results with bufferization.to_buffer: after this
/// conversion the tensor already is that buffer.
struct ToBufferLowering : OpConversionPattern<bufferization::ToBufferOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(bufferization::ToBufferOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (adaptor.getTensor().getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "layout differs");
    rewriter.replaceOp(op, adaptor.getTensor());
    return success();
  }
};

} // namespace

void lowering::populateTensorToLoopsPatterns(TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<DimLowering, ExpandShapeLowering, CollapseShapeLowering,
               AddFLowering, TensorConstantLowering, ToBufferLowering>(
      converter, patterns.getContext());
}

//===- CoreToLoops.cpp - weights, embedding, norms, rope, linear, ... -----===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

namespace {

/// Common plumbing: the converted result type and a builder.
template <typename Op>
struct Ds4Lowering : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  MemRefType bufferType(Type type) const {
    return cast<MemRefType>(this->getTypeConverter()->convertType(type));
  }
};

/// out[..., :] = table[ids[...], :]
struct EmbeddingLowering : Ds4Lowering<EmbeddingOp> {
  using Ds4Lowering::Ds4Lowering;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MemRefType type = bufferType(op.getType());
    SmallVector<Value> dims = memrefDims(b, adaptor.getIds());
    dims.push_back(constIndex(b, type.getShape().back()));
    Value out = allocBuffer(b, type, dims);
    forEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value id = loadIndex(b, adaptor.getIds(), ivs.drop_back());
      Value v = loadF32(b, adaptor.getTable(), {id, ivs.back()});
      storeF32(b, v, out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// y = x * rsqrt(mean(x^2) + eps) [* weight], over the last dim, in f32.
struct RmsNormLowering : Ds4Lowering<RmsNormOp> {
  using Ds4Lowering::Ds4Lowering;
  LogicalResult
  matchAndRewrite(RmsNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX();
    SmallVector<Value> dims = memrefDims(b, x);
    Value out = allocBuffer(b, bufferType(op.getType()), dims);
    int64_t k = cast<MemRefType>(x.getType()).getShape().back();
    double eps = op.getEps().convertToDouble();
    forEach(b, ArrayRef<Value>(dims).drop_back(),
            [&](ImplicitLocOpBuilder &b, ValueRange row) {
              auto at = [&](Value i) {
                SmallVector<Value> idx(row.begin(), row.end());
                idx.push_back(i);
                return idx;
              };
              Value sumSq = reduce(b, dims.back(), constF32(b, 0.0),
                                   [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
                                     Value v = loadF32(b, x, at(i));
                                     return arith::AddFOp::create(
                                         b, acc, arith::MulFOp::create(b, v, v));
                                   });
              Value mean = arith::DivFOp::create(b, sumSq, constF32(b, double(k)));
              Value inv = math::RsqrtOp::create(
                  b, arith::AddFOp::create(b, mean, constF32(b, eps)));
              forEach(b, {dims.back()}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
                Value y = arith::MulFOp::create(b, loadF32(b, x, at(i[0])), inv);
                if (Value w = adaptor.getWeight())
                  y = arith::MulFOp::create(b, y, loadF32(b, w, {i[0]}));
                storeF32(b, y, out, at(i[0]));
              });
            });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// y = silu(min(g, limit)) * clamp(u, -limit, limit)
struct SwiGluLowering : Ds4Lowering<SwiGluOp> {
  using Ds4Lowering::Ds4Lowering;
  LogicalResult
  matchAndRewrite(SwiGluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    SmallVector<Value> dims = memrefDims(b, adaptor.getGate());
    Value out = allocBuffer(b, bufferType(op.getType()), dims);
    std::optional<double> limit;
    if (std::optional<APFloat> l = op.getLimit())
      limit = l->convertToDouble();
    forEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value g = loadF32(b, adaptor.getGate(), ivs);
      Value u = loadF32(b, adaptor.getUp(), ivs);
      if (limit) {
        g = arith::MinimumFOp::create(b, g, constF32(b, *limit));
        u = arith::MinimumFOp::create(
            b, arith::MaximumFOp::create(b, u, constF32(b, -*limit)),
            constF32(b, *limit));
      }
      // silu(g) = g / (1 + exp(-g))
      Value silu = arith::DivFOp::create(
          b, g,
          arith::AddFOp::create(b, constF32(b, 1.0),
                                math::ExpOp::create(b, arith::NegFOp::create(b, g))));
      storeF32(b, arith::MulFOp::create(b, silu, u), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void lowering::populateCoreToLoopsPatterns(TypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<EmbeddingLowering, RmsNormLowering, SwiGluLowering>(
      converter, patterns.getContext());
}

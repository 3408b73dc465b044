//===- HyperConnectionToLoops.cpp - mHC ops --------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

namespace {

/// H[..., k, :] = x[..., :] for every stream k.
struct HcExpandLowering : OpConversionPattern<HcExpandOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(HcExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    SmallVector<Value> dims = memrefDims(b, adaptor.getX());
    dims.insert(dims.end() - 1, constIndex(b, type.getShape()[type.getRank() - 2]));
    Value out = allocBuffer(b, type, dims);
    forEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      SmallVector<Value> src(ivs.begin(), ivs.end());
      src.erase(src.end() - 2);
      storeF32(b, loadF32(b, adaptor.getX(), src), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void lowering::populateHyperConnectionToLoopsPatterns(
    TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<HcExpandLowering>(converter, patterns.getContext());
}

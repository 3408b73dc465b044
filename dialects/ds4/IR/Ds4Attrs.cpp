//===- Ds4Attrs.cpp - attribute verifiers and helpers --------------------===//

#include "dialects/ds4/IR/Ds4Dialect.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::ds4;

#define GET_ATTRDEF_CLASSES
#include "dialects/ds4/IR/Ds4Attrs.cpp.inc"

void Ds4Dialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/ds4/IR/Ds4Attrs.cpp.inc"
      >();
}

LogicalResult
QuantEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          QuantFormat format, int64_t blockRows,
                          int64_t blockCols) {
  if (blockRows <= 0 || blockCols <= 0)
    return emitError() << "#ds4.quant block must be positive, got ["
                       << blockRows << ", " << blockCols << "]";
  // Two e2m1 codes share a byte along the input dim, so a scale block must
  // not split a byte.
  if (format == QuantFormat::fp4_e2m1 && blockCols % 2 != 0)
    return emitError() << "#ds4.quant fp4_e2m1 block columns must be even "
                          "(two codes per byte), got "
                       << blockCols;
  return success();
}

Type QuantEncodingAttr::getCodeType() const {
  MLIRContext *ctx = getContext();
  if (getFormat() == QuantFormat::fp8_e4m3)
    return Float8E4M3FNType::get(ctx);
  return Float4E2M1FNType::get(ctx);
}

LogicalResult ActQuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   QuantFormat format, int64_t block) {
  if (block <= 0)
    return emitError() << "#ds4.act_quant block must be positive, got "
                       << block;
  return success();
}

LogicalResult TilingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 bool tensorCores, int64_t rowTile,
                                 int64_t outputsPerWarp, bool warpSinkhorn) {
  // A row tile's sums are registers of one iteration: keep them few.
  if (rowTile < 1 || rowTile > 32)
    return emitError() << "#ds4.tiling row_tile must be in [1, 32], got "
                       << rowTile;
  if (outputsPerWarp < 1 || outputsPerWarp > 16)
    return emitError() << "#ds4.tiling outputs_per_warp must be in [1, 16], "
                          "got "
                       << outputsPerWarp;
  return success();
}

LogicalResult YarnAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               APFloat factorValue, int64_t original,
                               APFloat betaFastValue,
                               APFloat betaSlowValue) {
  double factor = factorValue.convertToDouble();
  double betaFast = betaFastValue.convertToDouble();
  double betaSlow = betaSlowValue.convertToDouble();
  if (!(factor >= 1.0))
    return emitError() << "#ds4.yarn factor must be >= 1, got " << factor;
  if (original <= 0)
    return emitError() << "#ds4.yarn original length must be positive, got "
                       << original;
  if (!(betaSlow > 0.0) || !(betaFast > betaSlow))
    return emitError() << "#ds4.yarn needs beta_fast > beta_slow > 0, got "
                       << betaFast << " and " << betaSlow;
  return success();
}

LogicalResult RopeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               APFloat thetaValue, int64_t dims,
                               YarnAttr yarn, bool inverse) {
  double theta = thetaValue.convertToDouble();
  // ln(theta) divides the YaRN correction range: theta must exceed 1.
  if (!(theta > 1.0))
    return emitError() << "#ds4.rope theta must be > 1, got " << theta;
  if (dims <= 0 || dims % 2 != 0)
    return emitError() << "#ds4.rope dims must be positive and even "
                          "(interleaved pairs), got "
                       << dims;
  return success();
}

RopeAttr RopeAttr::getInverted() const {
  return RopeAttr::get(getContext(), getTheta(), getDims(), getYarn(),
                       !getInverse());
}

SmallVector<double> RopeAttr::getFrequencies() const {
  const int64_t r = getDims();
  const double theta = getTheta().convertToDouble();
  SmallVector<double> freqs;
  for (int64_t i = 0; i < r / 2; ++i)
    freqs.push_back(std::pow(theta, -2.0 * double(i) / double(r)));
  YarnAttr yarn = getYarn();
  if (!yarn)
    return freqs;
  // Spec 3.2: the dims whose wavelength fits the original context keep
  // their frequency; longer ones are interpolated by 1/factor.
  auto correctionDim = [&](double beta) {
    return double(r) *
           std::log(double(yarn.getOriginal()) / (beta * 2.0 * M_PI)) /
           (2.0 * std::log(theta));
  };
  double low = std::max(0.0, std::floor(correctionDim(yarn.getBetaFast().convertToDouble())));
  double high =
      std::min(double(r - 1), std::ceil(correctionDim(yarn.getBetaSlow().convertToDouble())));
  if (high == low)
    high += 0.001; // the released program's guard against a zero-width ramp
  for (int64_t i = 0; i < r / 2; ++i) {
    double ramp = std::clamp((double(i) - low) / (high - low), 0.0, 1.0);
    double smooth = 1.0 - ramp;
    freqs[i] = freqs[i] / yarn.getFactor().convertToDouble() * (1.0 - smooth) + freqs[i] * smooth;
  }
  return freqs;
}

//===- MoeToLoops.cpp - MoE routing and FP4 experts ------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

void lowering::populateMoeToLoopsPatterns(TypeConverter &converter,
                                          RewritePatternSet &patterns) {}

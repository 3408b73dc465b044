//===- Passes.h - ds4 passes ----------------------------------------------===//

#ifndef DS4_PASSES_PASSES_H
#define DS4_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::ds4 {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::ds4

#endif // DS4_PASSES_PASSES_H

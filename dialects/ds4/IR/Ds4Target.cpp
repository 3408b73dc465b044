//===- Ds4Target.cpp - target descriptions of the tiled phase -------------===//

#include "dialects/ds4/IR/Ds4Target.h"

using namespace mlir::ds4;

std::optional<TargetDescription>
TargetDescription::lookup(llvm::StringRef name) {
  TargetDescription t;
  if (name == "cpu") {
    t.name = "cpu";
    return t;
  }
  if (name == "sm_90a") {
    t.name = "sm_90a";
    t.tensorCores = true;
    t.outputsPerWarp = 4;
    t.warpSinkhorn = true;
    return t;
  }
  return std::nullopt;
}

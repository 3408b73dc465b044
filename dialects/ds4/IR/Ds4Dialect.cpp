//===- Ds4Dialect.cpp - dialect registration and module attributes -------===//

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::ds4;

#include "dialects/ds4/IR/Ds4Dialect.cpp.inc"
#include "dialects/ds4/IR/Ds4Enums.cpp.inc"
#include "dialects/ds4/IR/Ds4Interfaces.cpp.inc"

// Op classes (builders, parsers, printers, ODS constraint checks). The
// hand-written verifiers and folders live in one file per part of the model.
#define GET_OP_CLASSES
#include "dialects/ds4/IR/Ds4Ops.cpp.inc"

void Ds4Dialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "dialects/ds4/IR/Ds4Ops.cpp.inc"
      >();
}

// The discardable ds4 attributes are the module's precision mode, the
// weight arena layout (ds4-weight-arena, read by the artifact writer), the
// split-reduction schedule hint on loops (lowering/cpu/LoweringUtils.h) and
// the activation memory plan's counts on entry points (ds4-memory-plan);
// an unknown `ds4.*` attribute is almost always a typo, so it is rejected.
LogicalResult Ds4Dialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  if (attr.getName() == "ds4.weight_arena") {
    if (!isa<DictionaryAttr>(attr.getValue()))
      return op->emitError() << "'ds4.weight_arena' must be a dictionary "
                                "{bytes, weights}, got "
                             << attr.getValue();
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'ds4.weight_arena' belongs on the "
                                "builtin.module";
    return success();
  }
  if (attr.getName() == "ds4.tiling") {
    if (!isa<TilingAttr>(attr.getValue()))
      return op->emitError()
             << "'ds4.tiling' must be a #ds4.tiling, got " << attr.getValue();
    if (!isa<TileableOpInterface>(op))
      return op->emitError() << "'ds4.tiling' on " << op->getName()
                             << ", which has no tile shapes to choose";
    return success();
  }
  if (attr.getName() == "ds4.memory_plan") {
    auto plan = dyn_cast<DictionaryAttr>(attr.getValue());
    auto count = [&](StringRef name) {
      return plan ? plan.getAs<IntegerAttr>(name) : nullptr;
    };
    if (!plan || plan.size() != 2 || !count("buffers") || !count("unplanned"))
      return op->emitError() << "'ds4.memory_plan' must be a dictionary "
                                "{buffers, unplanned} of integers, got "
                             << attr.getValue();
    if (!isa<FunctionOpInterface>(op))
      return op->emitError() << "'ds4.memory_plan' belongs on a function";
    return success();
  }
  if (attr.getName() == "ds4.split_reduction") {
    auto chunk = dyn_cast<IntegerAttr>(attr.getValue());
    if (!chunk || chunk.getInt() < 1 || op->getNumResults() == 0)
      return op->emitError() << "'ds4.split_reduction' must be a positive "
                                "integer on a loop with results, got "
                             << attr.getValue();
    return success();
  }
  if (attr.getName() == "ds4.warp_iteration") {
    if (!isa<UnitAttr>(attr.getValue()) || !isa<scf::ParallelOp>(op))
      return op->emitError() << "'ds4.warp_iteration' is a unit attribute "
                                "of an scf.parallel";
    return success();
  }
  if (attr.getName() != getPrecisionAttrName())
    return op->emitError() << "unknown ds4 attribute '"
                           << attr.getName().getValue() << "'";
  if (!isa<PrecisionModeAttr>(attr.getValue()))
    return op->emitError() << "'" << attr.getName().getValue()
                           << "' must be a #ds4.precision<exact|deploy>, got "
                           << attr.getValue();
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << attr.getName().getValue()
                           << "' belongs on the builtin.module";
  return success();
}

//===- Ds4Ops.h - ds4 operations ------------------------------------------===//

#ifndef DS4_DIALECTS_DS4_IR_DS4OPS_H
#define DS4_DIALECTS_DS4_IR_DS4OPS_H

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

// The interfaces' methods take the target description.
#include "dialects/ds4/IR/Ds4Target.h"

#include "dialects/ds4/IR/Ds4Interfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/ds4/IR/Ds4Ops.h.inc"

#endif // DS4_DIALECTS_DS4_IR_DS4OPS_H

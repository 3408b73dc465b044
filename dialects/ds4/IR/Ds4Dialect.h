//===- Ds4Dialect.h - the ds4 dialect, its attributes and types ----------===//

#ifndef DS4_DIALECTS_DS4_IR_DS4DIALECT_H
#define DS4_DIALECTS_DS4_IR_DS4DIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/ds4/IR/Ds4Dialect.h.inc"
#include "dialects/ds4/IR/Ds4Enums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/ds4/IR/Ds4Attrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/ds4/IR/Ds4Types.h.inc"

#endif // DS4_DIALECTS_DS4_IR_DS4DIALECT_H

//===- Ds4Ops.td - all ds4 operations ------------------------------------===//
//
// One file per part of the model; each op's description is its reference
// documentation (docs/ds4/Ds4Dialect.md is generated from these).
//
//===----------------------------------------------------------------------===//

#ifndef DS4_OPS_TD
#define DS4_OPS_TD

include "dialects/ds4/IR/Ds4Attrs.td"
include "dialects/ds4/IR/Ds4Interfaces.td"
include "dialects/ds4/IR/Ds4Types.td"
include "dialects/ds4/IR/Ds4CoreOps.td"
include "dialects/ds4/IR/Ds4HyperConnectionOps.td"
include "dialects/ds4/IR/Ds4AttentionOps.td"
include "dialects/ds4/IR/Ds4MoeOps.td"

#endif // DS4_OPS_TD

//===- Passes.td - ds4 transformation passes ------------------------------===//
//
// Every pass is named `ds4-<what>`, lives in its own file, and has a lit
// test at test/lit/passes/<name>.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_PASSES_TD
#define DS4_PASSES_TD

include "mlir/Pass/PassBase.td"

def Ds4Cleanup : Pass<"ds4-cleanup"> {
  let summary = "Fold and canonicalize ds4 ops, merge duplicate weights, drop dead code";
  let description = [{
    The ds4 counterpart of `canonicalize` + `cse`, run between pipeline
    phases. It applies every ds4 folder and canonicalization pattern (and
    those of the upstream dialects present) greedily:

    - `ds4.rope` with `inverse` directly undoing a `ds4.rope` at the same
      positions folds to the unrotated value;
    - `ds4.hadamard` of a `ds4.hadamard` folds to the input;
    - a simulated `ds4.quantize` of an identically simulated value folds to
      it (the rounding is idempotent);

    then merges repeated `ds4.weight` references to one checkpoint tensor
    (and any other identical pure ops), and erases pure ops whose results
    are unused, so an unused weight never reaches the artifact's weight
    table.
  }];
  let options = [
    Option<"mergeDuplicates", "merge-duplicates", "bool", /*default=*/"true",
           "Merge identical pure ops (repeated weight references) after folding">
  ];
}

#endif // DS4_PASSES_TD

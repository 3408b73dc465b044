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

def Ds4WeightsToArgs : Pass<"ds4-weights-to-args", "ModuleOp"> {
  let summary = "Turn ds4.weight references into entry-point arguments";
  let description = [{
    Before bufferization, every distinct `ds4.weight "name"` of a function
    becomes one trailing argument of that function carrying
    `{ds4.weight = "name"}`, in order of first use; the ops are erased. The
    runtime binds these arguments from the checkpoint (the artifact's weight
    table lists them per entry point), so compiled code reaches weights
    through ordinary buffer arguments.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def Ds4LowerToLoops : Pass<"ds4-lower-to-loops", "ModuleOp"> {
  let summary = "Lower ds4 ops on tensors to scf loops over memrefs (CPU)";
  let description = [{
    One dialect conversion that bufferizes and lowers: tensors become
    memrefs, `!ds4.state` becomes an f32 memref updated in place, packed
    FP8/FP4 weights become byte buffers (lowering/cpu/BufferTypes.h), and
    every ds4 op becomes scf.for loop nests with arith/math
    (lowering/cpu/*ToLoops.cpp). Before converting it checks that no state
    value is read after the op that updates it, which in-place updating
    relies on. Runs after `ds4-weights-to-args`.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

def Ds4EntryAbi : Pass<"ds4-entry-abi", "ModuleOp"> {
  let summary = "Give the memref entry points the runtime's calling convention";
  let description = [{
    After bufferization: state results that are the (in-place updated)
    state arguments are dropped; every other result becomes a caller-owned
    output argument written with `memref.copy`; functions get
    `llvm.emit_c_interface`. The runtime then calls
    `_mlir_ciface_<name>(descriptor*...)` with inputs, states, weights and
    outputs in that order.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

#endif // DS4_PASSES_TD

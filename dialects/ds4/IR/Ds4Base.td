//===- Ds4Base.td - ds4 dialect definition and shared ODS helpers --------===//
//
// The ds4 dialect expresses the DeepSeek-V4 forward pass as first-class ops.
// Notation in every op description follows ../shared/spec/deepseek-v4.md:
// `b` batch, `s` new tokens, `t` absolute position, `d` model dim, `H` heads,
// `D` head dim, `r` rope dims, `n` hc_mult.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_BASE_TD
#define DS4_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Ds4_Dialect : Dialect {
  let name = "ds4";
  let cppNamespace = "::mlir::ds4";
  let summary = "DeepSeek-V4 inference operations";
  let description = [{
    The ds4 dialect has one op per computation of the DeepSeek-V4 forward
    pass (../shared/spec/deepseek-v4.md): mHC hyper-connections, the
    compressed sparse / heavily compressed attention with its compressor,
    lightning indexer and sliding window, MoE routing with FP4 experts, and
    the FP8/FP4 block quantization formats of the released checkpoint.

    Activations are ranked tensors. Weights are `ds4.weight` references to
    checkpoint tensors by name; quantized weights carry a `#ds4.quant`
    encoding that names their block-scale layout. Per-sequence state is a
    `!ds4.state` value that ops take in and return, so every effect on the
    KV cache is visible in SSA form.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();

    /// Discardable attribute naming the precision mode a module was built
    /// for: `ds4.precision = #ds4.precision<deploy>`.
    static constexpr ::llvm::StringLiteral getPrecisionAttrName() {
      return ::llvm::StringLiteral("ds4.precision");
    }
  }];
}

class Ds4_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ds4_Dialect, mnemonic, traits>;

// An f64 parameter (stored as APFloat for hashing), written as a plain
// number and printed in MLIR's shortest round-tripping float form.
class Ds4_F64Parameter<string desc>
    : AttrOrTypeParameter<"::llvm::APFloat", desc> {
  let comparator = "$_lhs.bitwiseIsEqual($_rhs)";
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double value;
    if ($_parser.parseFloat(value))
      return ::mlir::failure();
    return ::llvm::APFloat(value);
  }() }];
  let printer = [{ $_printer.printFloat($_self) }];
}

#endif // DS4_BASE_TD

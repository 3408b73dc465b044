//===- Ds4Enums.td - ds4 enumerations ------------------------------------===//

#ifndef DS4_ENUMS_TD
#define DS4_ENUMS_TD

include "mlir/IR/EnumAttr.td"
include "dialects/ds4/IR/Ds4Base.td"

// Spec section 4: exact = transformers' semantics; deploy = the released
// program's simulated FP8/FP4 activation and KV quantization.
def Ds4_PrecisionMode : I32EnumAttr<"PrecisionMode", "precision mode", [
    I32EnumAttrCase<"exact", 0>,
    I32EnumAttrCase<"deploy", 1>]> {
  let cppNamespace = "::mlir::ds4";
  let genSpecializedAttr = 0;
}

// The two block-scaled low-precision formats; scales are always e8m0.
def Ds4_QuantFormat : I32EnumAttr<"QuantFormat", "block-scaled number format", [
    I32EnumAttrCase<"fp8_e4m3", 0>,
    I32EnumAttrCase<"fp4_e2m1", 1>]> {
  let cppNamespace = "::mlir::ds4";
  let genSpecializedAttr = 0;
}

def Ds4_QuantizeMode : I32EnumAttr<"QuantizeMode", "quantization effect", [
    I32EnumAttrCase<"simulate", 0>,
    I32EnumAttrCase<"store", 1>]> {
  let cppNamespace = "::mlir::ds4";
  let genSpecializedAttr = 0;
}

def Ds4_ScoreFunc : I32EnumAttr<"ScoreFunc", "MoE gate score function", [
    I32EnumAttrCase<"sqrtsoftplus", 0>,
    I32EnumAttrCase<"sigmoid", 1>,
    I32EnumAttrCase<"softmax", 2>]> {
  let cppNamespace = "::mlir::ds4";
  let genSpecializedAttr = 0;
}

// What a `!ds4.state` value holds for one attention layer.
def Ds4_StateKind : I32EnumAttr<"StateKind", "per-sequence state kind", [
    I32EnumAttrCase<"window", 0>,
    I32EnumAttrCase<"compressed", 1>,
    I32EnumAttrCase<"compressor", 2>,
    I32EnumAttrCase<"indexer_keys", 3>]> {
  let cppNamespace = "::mlir::ds4";
}

// How state rows are stored (spec section 4 for the deploy formats).
def Ds4_StateStorage : I32EnumAttr<"StateStorage", "state row storage", [
    I32EnumAttrCase<"f32", 0>,
    I32EnumAttrCase<"bf16", 1>,
    // nope dims as e4m3 in blocks of 64 with e8m0 scales, rope dims bf16
    // (448 + 7 + 128 = 583 bytes, padded to 584, for D = 512).
    I32EnumAttrCase<"fp8_nope", 2>,
    // every dim as e2m1 in blocks of 32 with e8m0 scales (indexer keys).
    I32EnumAttrCase<"fp4", 3>]> {
  let cppNamespace = "::mlir::ds4";
}

// Written `#ds4.precision<deploy>` / `#ds4.score_func<sigmoid>` in attribute
// dictionaries; the two used inside op syntax print as bare keywords.
def Ds4_PrecisionModeAttr : EnumAttr<Ds4_Dialect, Ds4_PrecisionMode, "precision"> {
  let assemblyFormat = "`<` $value `>`";
}
def Ds4_QuantFormatAttr : EnumAttr<Ds4_Dialect, Ds4_QuantFormat, "format">;
def Ds4_QuantizeModeAttr : EnumAttr<Ds4_Dialect, Ds4_QuantizeMode, "quantize_mode">;
def Ds4_ScoreFuncAttr : EnumAttr<Ds4_Dialect, Ds4_ScoreFunc, "score_func"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // DS4_ENUMS_TD

//===- Ds4Attrs.td - ds4 attributes --------------------------------------===//

#ifndef DS4_ATTRS_TD
#define DS4_ATTRS_TD

include "dialects/ds4/IR/Ds4Enums.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

class Ds4_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Ds4_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// `true` / `false` keyword parameter, omitted from struct() output when it
// equals its default.
class Ds4_BoolParameter<string desc, string default>
    : AttrOrTypeParameter<"bool", desc> {
  let defaultValue = default;
  let parser = [{ [&]() -> ::mlir::FailureOr<bool> {
    if (::mlir::succeeded($_parser.parseOptionalKeyword("true")))
      return true;
    if (::mlir::succeeded($_parser.parseOptionalKeyword("false")))
      return false;
    return $_parser.emitError($_parser.getCurrentLocation(),
                              "expected 'true' or 'false'");
  }() }];
  let printer = [{ $_printer << ($_self ? "true" : "false") }];
}

def Ds4_QuantEncodingAttr : Ds4_Attr<"QuantEncoding", "quant"> {
  let summary = "block-scaled weight encoding (tensor encoding)";
  let description = [{
    Attached as the encoding of a weight tensor whose element type is the
    stored code type (`f8E4M3FN` or `f4E2M1FN`). Each `block[0] x block[1]`
    tile of the trailing two dims shares one e8m0 scale, stored in the
    checkpoint tensor `<name>.scale` (spec section 2):

    - `#ds4.quant<fp8_e4m3, block = [128, 128]>`:
      `W[o,i] = fp8(q[o,i]) * 2^(scale[o/128, i/128] - 127)`; the scale grid
      is `ceil(O/128) x ceil(I/128)`.
    - `#ds4.quant<fp4_e2m1, block = [1, 32]>`: two e2m1 codes per byte along
      the input dim (element 2j in the low nibble),
      `W[o,i] = e2m1(q[o,i]) * 2^(scale[o, i/32] - 127)`.

    For a stacked expert weight `[E, O, I]` the blocks tile `[O, I]` of each
    expert.
  }];
  let parameters = (ins EnumParameter<Ds4_QuantFormat>:$format,
                        "int64_t":$blockRows, "int64_t":$blockCols);
  let assemblyFormat =
      "`<` $format `,` `block` `=` `[` $blockRows `,` $blockCols `]` `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The element type a tensor with this encoding must have.
    ::mlir::Type getCodeType() const;
  }];
}

def Ds4_ActQuantAttr : Ds4_Attr<"ActQuant", "act_quant"> {
  let summary = "activation quantization applied before a GEMM (deploy mode)";
  let description = [{
    Before the product, each row of the activation is split into blocks of
    `block` values along the reduction dim; each block is rounded through
    `format` with the power-of-two scale `2^ceil(log2(amax / fmax))`
    (`fmax` = 448 for e4m3, 6 for e2m1; `amax` floored at 1e-4 for e4m3,
    `6 * 2^-126` for e2m1). When the row length is not a multiple of
    `block`, the trailing partial block gets its own scale (the released
    dims are multiples of 128; small test configs need not be).
    Accumulation stays fp32 (spec section 4).
  }];
  let parameters = (ins EnumParameter<Ds4_QuantFormat>:$format, "int64_t":$block);
  let assemblyFormat = "`<` $format `,` `block` `=` $block `>`";
  let genVerifyDecl = 1;
}

def Ds4_TilingAttr : Ds4_Attr<"Tiling", "tiling"> {
  let summary = "the tile shapes a target chose for one op (the tiled phase)";
  let description = [{
    What `ds4-choose-tiling` decides for an op implementing
    `TileableOpInterface`, from the target description, and the lowering
    to loops reads (as the `ds4.tiling` attribute of the op):

    - `tensor_cores`: products of at least `row_tile` rows as warp tiles of
      `mma.sync` (64 rows x 32 outputs per warp, `lowering/gpu/WarpMma.h`);
      sm_90a only.
    - `row_tile`: rows per iteration of the loops over rows that share each
      weight load (prefill projections on the host), and the row count
      from which a projection is tiled that way (or on tensor cores)
      rather than computed an output at a time.
    - `outputs_per_warp`: outputs one iteration of a decode-shaped routed
      expert product computes side by side (loads in flight per lane on the
      GPU).
    - `warp_sinkhorn`: the mHC Sinkhorn block of a token as one warp, a lane
      per entry (GPU).

    None of these changes a result on the host (the sums keep their order);
    on the GPU, tensor-core tiles add a product's sums in the tensor cores'
    order.
  }];
  let parameters = (ins "bool":$tensor_cores, "int64_t":$row_tile,
                        "int64_t":$outputs_per_warp, "bool":$warp_sinkhorn);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Ds4_YarnAttr : Ds4_Attr<"Yarn", "yarn"> {
  let summary = "YaRN frequency interpolation parameters";
  let description = [{
    With `low = floor(r ln(L0 / (beta_fast 2 pi)) / (2 ln theta))` and
    `high = ceil(r ln(L0 / (beta_slow 2 pi)) / (2 ln theta))` clamped to
    `[0, r-1]`, `ramp_i = clamp((i - low) / (high - low), 0, 1)`,
    `smooth_i = 1 - ramp_i`, each frequency becomes
    `f_i' = f_i / factor * (1 - smooth_i) + f_i * smooth_i`
    (spec section 3.2; no magnitude scaling). `original` is L0.
  }];
  let parameters = (ins Ds4_F64Parameter<"scale factor">:$factor,
                        "int64_t":$original,
                        Ds4_F64Parameter<"beta_fast">:$beta_fast,
                        Ds4_F64Parameter<"beta_slow">:$beta_slow);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Ds4_RopeAttr : Ds4_Attr<"Rope", "rope"> {
  let summary = "interleaved partial rotary embedding parameters";
  let description = [{
    Rotates the last `dims` channels of a vector in interleaved pairs
    `(x[2i], x[2i+1])` by angle `t * f_i`, `f_i = theta^(-2i/dims)`,
    `i < dims/2`, optionally with YaRN-adjusted frequencies. `inverse = true`
    rotates by `-t * f_i` (used to de-rotate attention outputs).

    Example: `#ds4.rope<theta = 160000.0, dims = 64, yarn = #ds4.yarn<factor
    = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>>`.
  }];
  let parameters = (ins Ds4_F64Parameter<"base">:$theta,
                        "int64_t":$dims,
                        OptionalParameter<"::mlir::ds4::YarnAttr">:$yarn,
                        Ds4_BoolParameter<"de-rotate", "false">:$inverse);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The same parameters rotating the other way.
    RopeAttr getInverted() const;
    /// The per-pair frequencies f_i (after YaRN when present), i < dims/2.
    ::llvm::SmallVector<double> getFrequencies() const;
  }];
}

#endif // DS4_ATTRS_TD

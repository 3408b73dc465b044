//===- Ds4Types.td - ds4 types -------------------------------------------===//

#ifndef DS4_TYPES_TD
#define DS4_TYPES_TD

include "dialects/ds4/IR/Ds4Enums.td"

def Ds4_StateType : TypeDef<Ds4_Dialect, "State"> {
  let mnemonic = "state";
  let summary = "per-sequence attention state of one layer";
  let description = [{
    Shape `slots x rows x width` (`?` for sizes fixed at load time: the
    number of sequence slots and the rows that grow with max context). The
    kind says what the rows are:

    - `window`: ring of raw kv rows; position `p` lives in row `p mod rows`
      (`rows` = window size, `width` = D).
    - `compressed`: compressed entries; entry `i` (covering positions
      `[i*ratio, (i+1)*ratio)`) lives in row `i` (`width` = D).
    - `compressor`: the compressor's pending block: `rows` = ratio, or
      2*ratio with overlap (the current block in rows `[0, ratio)`, the
      previous complete block in `[ratio, 2*ratio)`), each row
      `[kv | gate + ape]` of the projected token, `width` = 2 * c * hd
      (see `ds4.compressor`).
    - `indexer_keys`: the indexer compressor's entries, row `i` = entry `i`
      (`width` = indexer head dim).

    `storage` is how rows are kept: `f32`, `bf16`, `fp8_nope` (nope dims e4m3
    in blocks of 64 with e8m0 scales, rope dims bf16; window/compressed only),
    `fp4` (e2m1 in blocks of 32 with e8m0 scales; indexer keys only).
    `ratio` is the compression ratio (required for every kind but window).
    `rope` is the number of trailing rope dims that `fp8_nope` keeps in bf16
    (required with `fp8_nope`, meaningless otherwise); the other
    `width - rope` dims must split into whole blocks of 64.

    Example: `!ds4.state<compressed, ?x?x512, fp8_nope, ratio = 4, rope = 64>`.
  }];
  let parameters = (ins EnumParameter<Ds4_StateKind>:$kind,
                        ArrayRefParameter<"int64_t">:$shape,
                        EnumParameter<Ds4_StateStorage>:$storage,
                        DefaultValuedParameter<"int64_t", "0">:$ratio,
                        DefaultValuedParameter<"int64_t", "0">:$rope);
  let assemblyFormat = [{
    `<` $kind `,` custom<Ds4Shape>($shape) `,`
        custom<Ds4StateStorage>($storage, $ratio, $rope) `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getSlots() const { return getShape()[0]; }
    int64_t getRows() const { return getShape()[1]; }
    int64_t getWidth() const { return getShape()[2]; }
  }];
}

#endif // DS4_TYPES_TD

//===- Ds4CoreOps.td - weights, norms, rope, linear, quantization --------===//

#ifndef DS4_CORE_OPS_TD
#define DS4_CORE_OPS_TD

include "dialects/ds4/IR/Ds4Attrs.td"
include "dialects/ds4/IR/Ds4Types.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Ds4_WeightOp : Ds4_Op<"weight", [Pure]> {
  let summary = "a checkpoint tensor referenced by name";
  let description = [{
    Names a tensor of the checkpoint (spec section 2 table) by its full
    checkpoint name (e.g. `layers.3.attn.wq_a.weight`, `layers.3.attn.attn_sink`).
    Artifacts hold no weights: the runtime binds the name at load time and
    checks dtype and shape against the result type.

    - Plain tensors (`bf16`, `f32`, `i32`, `i64`) have no encoding.
    - FP8 / FP4 weights have the stored code element type (`f8E4M3FN`,
      `f4E2M1FN`) and a `#ds4.quant` encoding; their name ends in `.weight`
      and their e8m0 scales are the checkpoint tensor of the same name ending
      in `.scale`.
    - A name containing one `*` is a stack of per-expert tensors: the `*`
      stands for the expert index, which is the result's leading dim
      (`layers.3.ffn.experts.*.w1.weight : tensor<256x2048x4096xf4E2M1FN,
      ...>`).

    The op is pure so CSE merges repeated references to one tensor.
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True when `name` holds the per-expert `*` wildcard.
    bool isStacked() { return getName().contains('*'); }
  }];
}

def Ds4_EmbeddingOp : Ds4_Op<"embedding", [Pure]> {
  let summary = "token embedding lookup";
  let description = [{
    `result[..., :] = table[ids[...], :]`. `table` is `[vocab, d]`; the
    result has the shape of `ids` with `d` appended. The result element type
    is the table's, or f32 (widening is exact). Ids outside `[0, vocab)` are
    a runtime error reported by the runtime before the op executes.
  }];
  let arguments = (ins AnyRankedTensor:$table, AnyRankedTensor:$ids);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ds4_RmsNormOp : Ds4_Op<"rms_norm", [Pure]> {
  let summary = "RMS normalization over the last dim, weighted or not";
  let description = [{
    Over the last dim of `x` (size `k`), in fp32:
    `y = x * rsqrt(mean(x^2) + eps)`, then `y *= weight` when a weight
    (`[k]`) is given. Unweighted form: per-head query normalization
    (spec section 3.2).
  }];
  let arguments = (ins AnyRankedTensor:$x, Optional<AnyRankedTensor>:$weight,
                       F64Attr:$eps);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $x (`weight` $weight^)? `eps` $eps attr-dict `:` type($x)
        (`,` type($weight)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ds4_RopeOp : Ds4_Op<"rope", [Pure]> {
  let summary = "interleaved partial rotary embedding at given positions";
  let description = [{
    `positions` has the leading dims of `x` (`[b, s]`); any dims between
    them and the last (heads) share the position. The last `rope.dims`
    channels of the last dim rotate in interleaved pairs:
    `(x[2i], x[2i+1]) <- (x[2i] cos a - x[2i+1] sin a,
                          x[2i] sin a + x[2i+1] cos a)`, `a = t * f_i`
    with `f_i` from `#ds4.rope` (negated when `inverse`); as in the
    reference, `a` and its cos/sin are computed in f64 and rounded to f32
    before the f32 products. Other channels pass through. Applying the
    inverse after the forward at the same positions is the identity, which
    the folder uses.
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$positions,
                       Ds4_RopeAttr:$rope);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $x `at` $positions $rope attr-dict `:` type($x) `,` type($positions)
        `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ds4_LinearOp : Ds4_Op<"linear", [Pure, Ds4_TileableOpInterface]> {
  let summary = "x @ W^T for any weight encoding";
  let description = [{
    `y[..., o] = sum_i x[..., i] * W[o, i]` with `W` `[out, in]` dequantized
    exactly from its encoding (bf16, f32, `#ds4.quant` FP8 or FP4).
    Accumulation is fp32; the result is f32 or bf16. With `act_quant`
    (deploy mode, quantized weights only) each row of `x` is first rounded
    through the given format in blocks along `in` (see `#ds4.act_quant`).
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$weight,
                       OptionalAttr<Ds4_ActQuantAttr>:$act_quant);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $x `,` $weight (`act_quant` $act_quant^)? attr-dict `:` type($x) `,`
        type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ds4_MultiLinearOp : Ds4_Op<"multi_linear", [Pure, Ds4_TileableOpInterface]> {
  let summary = "several projections of one activation (sibling linears)";
  let description = [{
    `results[j] = x @ weights[j]^T` for every j: the `ds4.linear` of each
    weight (any encoding, each its own), all reading the same `x` with the
    same `act_quant`. It is what `ds4-fuse-linears` makes of sibling
    linears: `x` is rounded once instead of once per weight, and a decode
    step runs every projection in one kernel (one launch with the outputs
    of all weights, where each small projection alone leaves most of the
    GPU idle). Every output is computed exactly as its `ds4.linear` would
    compute it, so fusing never changes a result.
  }];
  let arguments = (ins AnyRankedTensor:$x, Variadic<AnyRankedTensor>:$weights,
                       OptionalAttr<Ds4_ActQuantAttr>:$act_quant);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $x `,` $weights (`act_quant` $act_quant^)? attr-dict `:` type($x) `,`
        type($weights) `->` type($results)
  }];
  let hasVerifier = 1;
}

def Ds4_GroupedLinearOp : Ds4_Op<"grouped_linear", [Pure, Ds4_TileableOpInterface]> {
  let summary = "grouped output projection (wo_a)";
  let description = [{
    `x` is `[..., G, k]`, `weight` is `[G*n, k]` (group `g` owns rows
    `[g*n, (g+1)*n)`): `y[..., g, j] = sum_i x[..., g, i] * W[g*n + j, i]`,
    result `[..., G, n]`. This is spec 3.2's
    `o = per group g: o[g] @ wo_a[g]^T` with `k = H*D/G`, `n = o_lora`.
    With `compute = bf16` (deploy mode) `x` is rounded to bf16 before the
    products and `y` to bf16 after them (the reference's
    `round_to_bf16(round_to_bf16(og) @ wo_a^T)`); accumulation is fp32 and
    `W` is used as dequantized (FP8 and bf16 weights are exact in bf16).
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$weight,
                       OptionalAttr<TypeAttr>:$compute);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $x `,` $weight (`compute` $compute^)? attr-dict `:` type($x) `,`
        type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ds4_QuantizeOp : Ds4_Op<"quantize", [Pure]> {
  let summary = "block activation quantization (fp8 / fp4), simulated or stored";
  let description = [{
    Splits the first `channels` values of the last dim (all of it when
    absent) into blocks of `block`; each block gets the power-of-two scale
    `s = 2^ceil(log2(max(amax, floor) / fmax))` (`fmax`/`floor`: 448/1e-4 for
    `fp8_e4m3`, 6/`6*2^-126` for `fp4_e2m1`) and each value becomes
    `code = round_to_nearest_even(x / s)` in the format.

    - `simulate`: the result has `x`'s type and holds `decode(code) * s`;
      channels past `channels` pass through unchanged, or with `rest_bf16`
      are rounded to bf16 (deploy-mode KV: fp8 nope dims, bf16 rope dims,
      spec section 4). Simulating twice is the same as once
      (the re-derived scale is the same or half, and halving maps the grid
      into itself), which the folder uses.
    - `store`: the result holds the codes (`f8E4M3FN` / `f4E2M1FN`, same
      shape) and `scales` the e8m0 scales (`f8E8M0FNU`, last dim
      `channels / block`); `channels` must then cover the whole last dim.
  }];
  let arguments = (ins AnyRankedTensor:$x, Ds4_QuantizeModeAttr:$mode,
                       Ds4_QuantFormatAttr:$format, I64Attr:$block,
                       OptionalAttr<I64Attr>:$channels, UnitAttr:$rest_bf16);
  let results = (outs AnyRankedTensor:$result,
                      Optional<AnyRankedTensor>:$scales);
  let assemblyFormat = [{
    $x $mode $format `block` $block (`channels` $channels^)?
        (`rest_bf16` $rest_bf16^)? attr-dict `:`
        type($x) `->` type($result) (`,` type($scales)^)?
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ds4_HadamardOp : Ds4_Op<"hadamard", [Pure, SameOperandsAndResultType]> {
  let summary = "orthonormal Hadamard transform of the last dim";
  let description = [{
    `y = x @ (Hn / sqrt(n))` over the last dim of size `n` (a power of two),
    `Hn` the Sylvester Hadamard matrix. The transform is symmetric and
    orthonormal, so it preserves dot products (`qI . kI` in the indexer) and
    applying it twice is the identity, which the folder uses.
  }];
  let arguments = (ins AnyRankedTensor:$x);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ds4_SwiGluOp : Ds4_Op<"swiglu", [Pure]> {
  let summary = "clamped SwiGLU: silu(min(g, limit)) * clamp(u, -limit, limit)";
  let description = [{
    Elementwise over equal shapes. Without `limit` no clamping is applied.
    Used by the shared expert; routed experts have it built in
    (`ds4.moe_experts`).
  }];
  let arguments = (ins AnyRankedTensor:$gate, AnyRankedTensor:$up,
                       OptionalAttr<F64Attr>:$limit);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $gate `,` $up (`limit` $limit^)? attr-dict `:` type($gate) `,` type($up)
        `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ds4_LogitsOp : Ds4_Op<"logits", [Pure, Ds4_TileableOpInterface]> {
  let summary = "output head: fp32 logits";
  let description = [{
    `logits[..., v] = sum_i x[..., i] * head[v, i]` in fp32, `head` `[vocab,
    d]` (bf16 in the checkpoint). The input is the normalized output of
    `ds4.hc_head` (spec section 3).
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$head);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $x `,` $head attr-dict `:` type($x) `,` type($head) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // DS4_CORE_OPS_TD

//===- Ds4AttentionOps.td - window, compressor, indexer, attention -------===//

#ifndef DS4_ATTENTION_OPS_TD
#define DS4_ATTENTION_OPS_TD

include "dialects/ds4/IR/Ds4Attrs.td"
include "dialects/ds4/IR/Ds4Types.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Every state-touching op takes `positions` [b, s] (absolute position of
// each new token, contiguous per row) and `slots` [b] (which state slot each
// batch row reads and writes), so one op serves prefill (b = 1, s = n) and
// batched decode (s = 1, rows at different positions).

def Ds4_WindowUpdateOp : Ds4_Op<"window_update",
    [Pure, AllTypesMatch<["window", "result"]>]> {
  let summary = "write new raw kv rows into the sliding-window ring";
  let description = [{
    For each batch row `b` and new token `j`: row
    `positions[b, j] mod rows` of slot `slots[b]` becomes `kv[b, j, :]`,
    rounded to the state's storage (`fp8_nope`: nope dims through e4m3 in
    blocks of 64). When `s` exceeds the window only the last `rows` tokens
    remain. The result is the updated state.
  }];
  let arguments = (ins AnyRankedTensor:$kv, AnyRankedTensor:$positions,
                       AnyRankedTensor:$slots, Ds4_StateType:$window);
  let results = (outs Ds4_StateType:$result);
  let assemblyFormat = [{
    $kv `into` $window `at` $positions `slots` $slots attr-dict `:`
        type($kv) `,` type($positions) `,` type($slots) `,` qualified(type($window))
  }];
  let hasVerifier = 1;
}

def Ds4_CompressorOp : Ds4_Op<"compressor", [Pure,
    AllTypesMatch<["block", "block_result"]>,
    AllTypesMatch<["entries", "entries_result"]>]> {
  let summary = "pool every `ratio` tokens into one compressed entry";
  let description = [{
    Spec section 3.3. `kv` and `gate` are the projections `wkv @ x` and
    `wgate @ x` of the new tokens, `[b, s, c*hd]` f32 (`c = 2` with
    `overlap`, else 1); `ape` is `[ratio, c*hd]`, `norm` `[hd]`. For a token
    at position `p`, `g_p = gate_p + ape[p mod ratio]`.

    - Without overlap: entry `i` = `sum_{p in block i} softmax_p(g_p) * k_p`,
      the softmax per channel over the block's `ratio` tokens.
    - With overlap: split rows into halves `[A | B]` of hd channels; entry `i`
      pools, per channel, the A halves of block `i-1` and the B halves of
      block `i` (2*ratio slots; for `i = 0` the A slots have weight 0).

    Then `c_i = rmsnorm(c_i, norm, eps)`, `rope` on its last `r` dims at
    position `i * ratio`, and (with `rotate`) the orthonormal Hadamard
    transform (deploy-mode indexer keys). Entry `i` is written to row `i` of
    slot `slots[b]` of `entries`, rounded to its storage, when the token at
    position `(i+1)*ratio - 1` arrives. Each batch row's tokens are taken in
    order, so one call may complete several entries and leave a partial
    block.

    `block` layout (per slot): row `p mod ratio` holds the token at position
    `p` of the current block as `[k_p | g_p]` (`c*hd` values each; the gate
    is stored with `ape` already added). With overlap, rows
    `[ratio, 2*ratio)` hold the previous complete block's rows (copied when
    its entry is emitted; entry `i` reads their A halves for `i > 0`). So
    prefill may stop anywhere and decode continue it.
  }];
  let arguments = (ins AnyRankedTensor:$kv, AnyRankedTensor:$gate,
                       AnyRankedTensor:$ape, AnyRankedTensor:$norm,
                       AnyRankedTensor:$positions, AnyRankedTensor:$slots,
                       Ds4_StateType:$block, Ds4_StateType:$entries,
                       I64Attr:$ratio, UnitAttr:$overlap, UnitAttr:$rotate,
                       Ds4_RopeAttr:$rope, F64Attr:$eps);
  let results = (outs Ds4_StateType:$entries_result,
                      Ds4_StateType:$block_result);
  let assemblyFormat = [{
    $kv `,` $gate `,` $ape `,` $norm `at` $positions `slots` $slots
        `state` `(` $block `,` $entries `)` attr-dict `:` type($kv) `,`
        type($gate) `,` type($ape) `,` type($norm) `,` type($positions) `,`
        type($slots) `,` qualified(type($block)) `,` qualified(type($entries))
  }];
  let hasVerifier = 1;
}

def Ds4_IndexerScoreOp : Ds4_Op<"indexer_score", [Pure, Ds4_TileableOpInterface]> {
  let summary = "lightning indexer scores of every compressed entry";
  let description = [{
    Spec section 3.4. `q` is `qI` `[b, s, IH, ID]` (already roped),
    `weights` is `weights_proj @ x` `[b, s, IH]`, `keys` the indexer keys
    state. For query position `t = positions[b, j]`:
    `I[b, j, i] = sum_h weights[b,j,h] * scale * relu(q[b,j,h] . keys[i])`
    (keys of slot `slots[b]`) for `i < (t+1) / ratio`, else `-inf`, where
    `ratio` is the keys state's ratio. `scale` is `ID^-0.5 * IH^-0.5`.
    Result `[b, s, rows]` f32 (`rows` = the keys state's rows).
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$weights,
                       Ds4_StateType:$keys, AnyRankedTensor:$positions,
                       AnyRankedTensor:$slots, F64Attr:$scale);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $q `,` $weights `keys` $keys `at` $positions `slots` $slots attr-dict
        `:` type($q) `,` type($weights) `,` qualified(type($keys)) `,` type($positions)
        `,` type($slots) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ds4_TopKOp : Ds4_Op<"topk", [Pure]> {
  let summary = "top-k entry indices under the causal limit";
  let description = [{
    For the query at position `t = positions[b, j]`, the indices of the
    `min(k, (t+1) / ratio)` largest `scores[b, j, i]` among
    `i < (t+1) / ratio`; remaining slots hold -1. Result `[b, s, k]` i32.
    Order within the selection and ties are unspecified: consumers treat it
    as a set (attention is order-free).
  }];
  let arguments = (ins AnyRankedTensor:$scores, AnyRankedTensor:$positions,
                       I64Attr:$k, I64Attr:$ratio);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $scores `at` $positions attr-dict `:` type($scores) `,` type($positions)
        `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ds4_SparseAttentionOp : Ds4_Op<"sparse_attention",
    [Pure, AttrSizedOperandSegments, Ds4_TileableOpInterface]> {
  let summary = "attention with sink over the window and compressed entries";
  let description = [{
    Spec section 3.2. `q` is `[b, s, H, D]`, `kv` the new tokens' raw kv
    `[b, s, D]` (key and value), `window` the ring before this call, `sink`
    `[H]`. For the query at `t = positions[b, j]` the entry set is:

    - window: positions `max(0, t - W + 1) .. t` (`W` = window rows), read
      from `kv` for this call's tokens and from `window` for earlier ones;
    - with `entries` and no `select` (HCA): every entry `i < (t+1) / ratio`
      (`ratio` of the entries state);
    - with `entries` and `select` `[b, s, k]` (CSA): the listed entries
      (`-1` = unused slot).

    `window` and `entries` are read at slot `slots[b]`; a batch row's
    positions are contiguous, so position `u` of this call is `kv` row
    `u - positions[b, 0]`. With `z_e = q . kv_e * scale`, per head `h`:
    `p_e = exp(z_e) / (sum_e exp(z_e) + exp(sink[h]))`, `o = sum_e p_e kv_e`
    (window and compressed entries share one softmax; computed with the
    maximum of the logits and the sink subtracted). Result `[b, s, H, D]`.
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$kv,
                       Ds4_StateType:$window,
                       Optional<Ds4_StateType>:$entries,
                       Optional<AnyRankedTensor>:$select,
                       AnyRankedTensor:$sink, AnyRankedTensor:$positions,
                       AnyRankedTensor:$slots, F64Attr:$scale);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $q `,` $kv `window` $window (`entries` $entries^)? (`select` $select^)?
        `sink` $sink `at` $positions `slots` $slots attr-dict `:`
        functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // DS4_ATTENTION_OPS_TD

//===- Ds4MoeOps.td - MoE routing and FP4 experts ------------------------===//

#ifndef DS4_MOE_OPS_TD
#define DS4_MOE_OPS_TD

include "dialects/ds4/IR/Ds4Attrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Ds4_MoeGateOp : Ds4_Op<"moe_gate", [Pure, AttrSizedOperandSegments]> {
  let summary = "MoE routing: expert ids and routing weights per token";
  let description = [{
    Spec section 3.5, for `x` `[..., d]` and gate `weight` `[E, d]`:
    `a = weight @ x` (fp32), `s = score_func(a)` (`sqrtsoftplus`:
    `sqrt(softplus(a))`; `sigmoid`; `softmax` over experts).
    Selection: the `topk` largest `s + bias` (bias only chooses; it is not
    part of the weight; without `bias` the largest `s`), in decreasing order,
    equal values in increasing expert order (the reference's stable argsort),
    or with a hash table `ids = tid2eid[token_ids]`.
    Weights: `w = s[ids] / sum(s[ids]) * route_scale`, except that
    `softmax` scores are not renormalized (the released program).
    Results: `weights` `[..., topk]` f32 and `ids` `[..., topk]` i32.
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$weight,
                       Optional<AnyRankedTensor>:$bias,
                       Optional<AnyRankedTensor>:$tid2eid,
                       Optional<AnyRankedTensor>:$token_ids,
                       Ds4_ScoreFuncAttr:$score_func, I64Attr:$topk,
                       F64Attr:$route_scale);
  let results = (outs AnyRankedTensor:$weights, AnyRankedTensor:$ids);
  let assemblyFormat = [{
    $x `,` $weight (`bias` $bias^)? (`hash` $tid2eid^)? (`tokens` $token_ids^)?
        attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ds4_MoeExpertsOp : Ds4_Op<"moe_experts", [Pure, Ds4_TileableOpInterface]> {
  let summary = "routed experts: grouped SwiGLU FFNs combined by routing weight";
  let description = [{
    `w1`, `w3` are stacked `[E, inter, d]`, `w2` `[E, d, inter]` (FP4 with
    `#ds4.quant<fp4_e2m1, block = [1, 32]>` in the release). For each token
    and each `k < topk` with `e = ids[..., k]`:
    ```
    g = min(w1[e] x, limit);  u = clamp(w3[e] x, -limit, limit)
    h = silu(g) * u
    y += (w2[e] h) * weights[..., k]                  # exact (transformers)
    y += w2[e] act_quant(weights[..., k] * h)         # with act_quant
    ```
    accumulated in fp32. Result `[..., d]` f32. Without `act_quant` (exact
    mode) the routing weight scales the expert output, as transformers does;
    with `act_quant` (deploy mode) it multiplies `silu(g) * u` before `w2`, as
    the released program does, and the inputs of every GEMM are
    block-quantized: `x` before `w1` / `w3`, and the weighted `h` before `w2`.
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$weights,
                       AnyRankedTensor:$ids, AnyRankedTensor:$w1,
                       AnyRankedTensor:$w2, AnyRankedTensor:$w3,
                       F64Attr:$swiglu_limit,
                       OptionalAttr<Ds4_ActQuantAttr>:$act_quant);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $x `,` $weights `,` $ids `experts` `(` $w1 `,` $w2 `,` $w3 `)`
        (`act_quant` $act_quant^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // DS4_MOE_OPS_TD

//===- Ds4HyperConnectionOps.td - mHC residual streams -------------------===//

#ifndef DS4_HYPER_CONNECTION_OPS_TD
#define DS4_HYPER_CONNECTION_OPS_TD

include "dialects/ds4/IR/Ds4Attrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Ds4_HcExpandOp : Ds4_Op<"hc_expand", [Pure]> {
  let summary = "open the n residual streams: repeat the embedding n times";
  let description = [{
    `H[..., k, :] = x[..., :]` for every `k < n`: the embedded tokens
    `[..., d]` become `n = hc_mult` identical streams `[..., n, d]` before the
    first block (spec section 3). `n` is the result's second-to-last dim.
  }];
  let arguments = (ins AnyRankedTensor:$x);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
  let hasVerifier = 1;
}

def Ds4_HcPreOp : Ds4_Op<"hc_pre", [Pure, Ds4_TileableOpInterface]> {
  let summary = "mHC pre: mix, Sinkhorn, collapse the n streams";
  let description = [{
    `streams` is `H` `[..., n, d]`; `fn` `[(2+n)n, n*d]`, `base` `[(2+n)n]`,
    `scale` `[3]`, all f32 (spec section 3.1). Per token, in fp32:
    ```
    x    = flatten(H)                                     # n*d values
    mix  = (fn @ x) * rsqrt(mean(x^2) + norm_eps)
    pre  = sigmoid(mix[0:n]   * scale[0] + base[0:n])   + hc_eps
    post = 2 * sigmoid(mix[n:2n] * scale[1] + base[n:2n])
    C    = reshape(mix[2n:] * scale[2] + base[2n:], n x n)  # C[j][k]
    C    = softmax_k(C) + hc_eps;  C = C / (column sums + hc_eps)
    repeat sinkhorn_iters - 1 times:
      C /= (row sums + hc_eps);  C /= (column sums + hc_eps)
    x_in = sum_i pre[i] * H[i]
    ```
    Results: `x_in` `[..., d]` (the sub-layer input, before its RMSNorm),
    `post` `[..., n]` and `comb` = C `[..., n, n]`, both f32, consumed by
    `ds4.hc_post`.
  }];
  let arguments = (ins AnyRankedTensor:$streams, AnyRankedTensor:$fn,
                       AnyRankedTensor:$base, AnyRankedTensor:$scale,
                       I64Attr:$sinkhorn_iters, F64Attr:$hc_eps,
                       F64Attr:$norm_eps);
  let results = (outs AnyRankedTensor:$x_in, AnyRankedTensor:$post,
                      AnyRankedTensor:$comb);
  let assemblyFormat = [{
    $streams `,` $fn `,` $base `,` $scale attr-dict `:`
        functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ds4_HcPostOp : Ds4_Op<"hc_post", [Pure]> {
  let summary = "mHC post: expand the sub-layer output back into n streams";
  let description = [{
    `H'[..., k, :] = post[..., k] * f[..., :] + sum_j comb[..., j, k] * H[..., j, :]`
    (note the transposed C), with `f` the sub-layer output `[..., d]`,
    `streams` `[..., n, d]`, `post` `[..., n]`, `comb` `[..., n, n]`.
    The result has the type of `streams`.
  }];
  let arguments = (ins AnyRankedTensor:$f, AnyRankedTensor:$streams,
                       AnyRankedTensor:$post, AnyRankedTensor:$comb);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $f `,` $streams `,` $post `,` $comb attr-dict `:`
        functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ds4_HcHeadOp : Ds4_Op<"hc_head", [Pure]> {
  let summary = "mHC head: collapse the n streams before the final norm";
  let description = [{
    With `fn` `[n, n*d]`, `base` `[n]`, `scale` `[1]` (f32):
    `mix = (fn @ flatten(H)) * rsqrt(mean(x^2) + norm_eps)`,
    `pre = sigmoid(mix * scale[0] + base) + hc_eps`,
    `y = sum_i pre[i] * H[i]`; no Sinkhorn and no post. Result `[..., d]`.
  }];
  let arguments = (ins AnyRankedTensor:$streams, AnyRankedTensor:$fn,
                       AnyRankedTensor:$base, AnyRankedTensor:$scale,
                       F64Attr:$hc_eps, F64Attr:$norm_eps);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $streams `,` $fn `,` $base `,` $scale attr-dict `:`
        functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // DS4_HYPER_CONNECTION_OPS_TD

//===- MoeToLoops.cpp - MoE routing and FP4 experts ------------------------===//
//
// Spec section 3.5, per token, in f32, in the order of
// test/reference/ds4ref/model.py (Model._moe, Model._expert). Weights are
// read through loadWeight, so the same loops serve plain f32/bf16 weights
// and packed FP8/FP4 (stacked experts `[E, O, I]`).
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"
#include "lowering/gpu/TensorCoreExperts.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;


/// softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), the stable
/// form of numpy's logaddexp(0, x).
static Value softplus(ImplicitLocOpBuilder &b, Value x) {
  Value negAbs = arith::NegFOp::create(b, math::AbsFOp::create(b, x));
  return arith::AddFOp::create(
      b, arith::MaximumFOp::create(b, x, constF32(b, 0.0)),
      math::Log1pOp::create(b, math::ExpOp::create(b, negAbs)));
}

/// sum_{i < size} w[prefix..., i] * v(i), v(i) an f32 value; a split
/// reduction (a warp per row on the GPU).
static Value dotRow(ImplicitLocOpBuilder &b, const WeightAccess &w,
                    ValueRange prefix, Value size,
                    function_ref<Value(ImplicitLocOpBuilder &, Value)> v) {
  return splitReduce(b, size, constF32(b, 0.0), weightLaneChunk(w),
                [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
                  Value wi = loadWeight(b, w, concat(prefix, {i}));
                  Value vi = v(b, i);
                  return arith::AddFOp::create(b, acc,
                                               arith::MulFOp::create(b, wi, vi));
                });
}

/// An f32 memref type: the first `keep` dims of `like`'s type, then `tail`.
static MemRefType f32Buffer(Value like, int64_t keep, ArrayRef<int64_t> tail) {
  auto type = cast<MemRefType>(like.getType());
  SmallVector<int64_t> shape(type.getShape().take_front(keep));
  shape.append(tail.begin(), tail.end());
  return MemRefType::get(shape, Float32Type::get(type.getContext()));
}

/// The static size of an index value, or dynamic.
static int64_t staticSize(Value v) {
  return getConstantIntValue(v).value_or(ShapedType::kDynamic);
}


/// Tokens from which routed experts run on tensor cores (when enabled):
/// below it (decode) one warp per route and row reads each weight once
/// anyway.
static constexpr int64_t kTensorCoreTokens = 8;

namespace {

/// MoE routing, per token (spec 3.5, ds4ref Model._moe):
///   a = weight @ x (f32);  s = score_func(a) over the E experts
///   ids = the topk largest s + bias (bias only chooses; ties: lowest expert
///         first, as the reference's stable argsort), or tid2eid[token_id]
///   w = s[ids] (/ sum(s[ids]) unless softmax) * route_scale
struct MoeGateLowering : BufferLowering<MoeGateOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(MoeGateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX();
    WeightAccess gate{adaptor.getWeight(),
                      cast<RankedTensorType>(op.getWeight().getType())};
    SmallVector<Value> tokens = memrefDims(b, x);
    Value dim = tokens.pop_back_val();
    Value experts = gate.type.isDynamicDim(0)
                        ? memref::DimOp::create(b, gate.buffer, 0).getResult()
                        : constIndex(b, gate.type.getShape()[0]);
    int64_t topk = op.getTopk();
    Value topkV = constIndex(b, topk);
    Value weights = allocBuffer(b, bufferType(op.getWeights().getType()),
                                concat(tokens, {topkV}));
    Value ids = allocBuffer(b, bufferType(op.getIds().getType()),
                            concat(tokens, {topkV}));
    ScoreFunc scoreFunc = op.getScoreFunc();
    Value bias = adaptor.getBias();
    size_t rank = tokens.size();

    // s[t..., e] = score_func(weight[e] @ x[t]): one scf.parallel over
    // tokens x experts into a fresh buffer; the dot (dotRow) is a split
    // reduction: a warp per score on the GPU.
    Value score = allocBuffer(
        b, f32Buffer(x, rank, {staticSize(experts)}), concat(tokens, experts));
    parallelForEach(
        b, concat(tokens, experts),
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          ValueRange t = ivs.drop_back();
          Value a = dotRow(b, gate, ivs.back(), dim,
                           [&](ImplicitLocOpBuilder &b, Value c) {
                             return loadF32(b, x, concat(t, c));
                           });
          if (scoreFunc == ScoreFunc::sqrtsoftplus)
            a = math::SqrtOp::create(b, softplus(b, a));
          else if (scoreFunc == ScoreFunc::sigmoid)
            a = sigmoid(b, a);
          memref::StoreOp::create(b, a, score, ivs);
        });

    // Then one iteration per token: softmax, the top-k choice (sequential
    // picks) and the weights.
    parallelForEach(b, tokens, [&](ImplicitLocOpBuilder &b, ValueRange t) {
      auto at = [&](Value e) { return concat(t, e); };
      auto load = [&](ImplicitLocOpBuilder &b, Value e) {
        return memref::LoadOp::create(b, score, at(e)).getResult();
      };
      if (scoreFunc == ScoreFunc::softmax) {
        Value max = reduce(b, experts, constF32(b, -INFINITY),
                           [&](ImplicitLocOpBuilder &b, Value e, Value acc) {
                             return arith::MaximumFOp::create(b, acc,
                                                              load(b, e));
                           });
        Value sum = reduce(b, experts, constF32(b, 0.0),
                           [&](ImplicitLocOpBuilder &b, Value e, Value acc) {
                             Value v = math::ExpOp::create(
                                 b, arith::SubFOp::create(b, load(b, e), max));
                             memref::StoreOp::create(b, v, score, at(e));
                             return arith::AddFOp::create(b, acc, v);
                           });
        forEach(b, {experts}, [&](ImplicitLocOpBuilder &b, ValueRange e) {
          Value v = load(b, e[0]);
          memref::StoreOp::create(b, arith::DivFOp::create(b, v, sum), score,
                                  at(e[0]));
        });
      }

      if (Value table = adaptor.getTid2eid()) {
        // ids[k] = tid2eid[token_id, k]
        Value tid = loadIndex(b, adaptor.getTokenIds(), t);
        forEach(b, {topkV}, [&](ImplicitLocOpBuilder &b, ValueRange k) {
          Value e = loadIndex(b, table, {tid, k[0]});
          memref::StoreOp::create(
              b, arith::IndexCastOp::create(b, b.getI32Type(), e), ids,
              concat(t, k));
        });
      } else {
        selectTopK(b, score, bias, experts, topkV, ids, t);
      }

      // w[k] = s[ids[k]] (/ sum_k s[ids[k]]) * route_scale
      auto selected = [&](ImplicitLocOpBuilder &b, Value k) {
        return memref::LoadOp::create(
                   b, score, at(loadIndex(b, ids, concat(t, {k}))))
            .getResult();
      };
      Value sum;
      if (scoreFunc != ScoreFunc::softmax)
        sum = reduce(b, topkV, constF32(b, 0.0),
                     [&](ImplicitLocOpBuilder &b, Value k, Value acc) {
                       return arith::AddFOp::create(b, acc, selected(b, k));
                     });
      Value routeScale = constF32(b, op.getRouteScale().convertToDouble());
      forEach(b, {topkV}, [&](ImplicitLocOpBuilder &b, ValueRange k) {
        Value w = selected(b, k[0]);
        if (sum)
          w = arith::DivFOp::create(b, w, sum);
        memref::StoreOp::create(b, arith::MulFOp::create(b, w, routeScale),
                                weights, concat(t, k));
      });
    });
    rewriter.replaceOp(op, {weights, ids});
    return success();
  }

  /// ids[t, k] for k < topk (s = score[t, :]): the experts in decreasing
  /// order of key[e] = s[e] (+ bias[e]), equal keys in increasing expert
  /// order (the order of numpy's stable argsort of -key). Pick k is the
  /// largest key strictly after pick k-1 in that order:
  ///   key[e] < key[prev] || (key[e] == key[prev] && e > prev).
  static void selectTopK(ImplicitLocOpBuilder &b, Value score, Value bias,
                         Value experts, Value topk, Value ids, ValueRange t) {
    auto key = [&](ImplicitLocOpBuilder &b, Value e) -> Value {
      Value s = memref::LoadOp::create(b, score, concat(t, e));
      if (!bias)
        return s;
      return arith::AddFOp::create(b, s, loadF32(b, bias, {e}));
    };
    Value none = constIndex(b, -1);
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto cI64 = [&](ImplicitLocOpBuilder &b, int64_t v) {
      return arith::ConstantOp::create(b, b.getI64IntegerAttr(v)).getResult();
    };
    scf::ForOp::create(
        b, constIndex(b, 0), topk, constIndex(b, 1),
        ValueRange{constF32(b, INFINITY), none},
        [&](OpBuilder &nb, Location loc, Value k, ValueRange prev) {
          ImplicitLocOpBuilder b(loc, nb);
          // The best expert after the previous pick, as one max over
          // packed (ordered key bits << 32 | 0xFFFFFFFF - e) -- a larger key
          // wins, equal keys the lower expert -- so the scan is a split
          // reduction (0: none after the previous pick).
          Value packed = splitReduce(
              b, experts, cI64(b, 0), 4,
              [&](ImplicitLocOpBuilder &b, Value e, Value acc) {
                Value v = key(b, e);
                auto cmpF = [&](arith::CmpFPredicate p, Value l, Value r) {
                  return arith::CmpFOp::create(b, p, l, r).getResult();
                };
                // e comes after the previous pick in the order.
                Value after = arith::OrIOp::create(
                    b, cmpF(arith::CmpFPredicate::OLT, v, prev[0]),
                    arith::AndIOp::create(
                        b, cmpF(arith::CmpFPredicate::OEQ, v, prev[0]),
                        arith::CmpIOp::create(b, arith::CmpIPredicate::sgt, e,
                                              prev[1])));
                // Keys as unsigned integers in float order (-0.0 as +0.0,
                // which compares equal to it).
                Value bits = arith::BitcastOp::create(
                    b, i32, arith::AddFOp::create(b, v, constF32(b, 0.0)));
                Value negative = arith::CmpIOp::create(
                    b, arith::CmpIPredicate::slt, bits, constI32(b, 0));
                Value ordered = arith::SelectOp::create(
                    b, negative,
                    arith::XOrIOp::create(b, bits, constI32(b, -1)),
                    arith::OrIOp::create(b, bits, constI32(b, INT32_MIN)));
                Value lowE = arith::SubIOp::create(
                    b, cI64(b, 0xFFFFFFFFll),
                    arith::IndexCastOp::create(b, i64, e));
                Value p = arith::OrIOp::create(
                    b,
                    arith::ShLIOp::create(b, arith::ExtUIOp::create(b, i64, ordered),
                                          cI64(b, 32)),
                    lowE);
                return arith::MaxUIOp::create(
                    b, acc, arith::SelectOp::create(b, after, p, cI64(b, 0)));
              });
          Value found = arith::CmpIOp::create(b, arith::CmpIPredicate::ne,
                                              packed, cI64(b, 0));
          Value low = arith::AndIOp::create(b, packed, cI64(b, 0xFFFFFFFFll));
          Value pick = arith::IndexCastOp::create(
              b, b.getIndexType(),
              arith::SubIOp::create(b, cI64(b, 0xFFFFFFFFll), low));
          Value e = arith::SelectOp::create(b, found, pick, none);
          Value safe = arith::SelectOp::create(b, found, pick, constIndex(b, 0));
          Value v = arith::SelectOp::create(b, found, key(b, safe),
                                            constF32(b, -INFINITY));
          memref::StoreOp::create(
              b, arith::IndexCastOp::create(b, b.getI32Type(), e), ids,
              concat(t, {k}));
          scf::YieldOp::create(b, ValueRange{v, e});
        });
  }
};

/// Routed experts, per token (spec 3.5, ds4ref Model._expert / _moe):
///   for k < topk, e = ids[k], w = weights[k]:
///     g = min(w1[e] x, limit);  u = clamp(w3[e] x, -limit, limit)
///     h = silu(g) * u
///     exact (no act_quant, transformers' order): y += (w2[e] h) * w
///     deploy (act_quant, the released program): x is block-quantized
///       before w1/w3, and y += w2[e] quant(h * w)
///   accumulated in f32 over k.
struct MoeExpertsLowering : BufferLowering<MoeExpertsOp> {
  MoeExpertsLowering(TypeConverter &converter, MLIRContext *ctx,
                     const LoopLoweringOptions &options)
      : BufferLowering(converter, ctx), options(options) {}
  LoopLoweringOptions options;
  LogicalResult
  matchAndRewrite(MoeExpertsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The op's own tile shapes (#ds4.tiling, the tiled phase) over the
    // pass's options.
    const LoopLoweringOptions options = tiledOptions(op, this->options);
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX();
    WeightAccess w1{adaptor.getW1(),
                    cast<RankedTensorType>(op.getW1().getType())};
    WeightAccess w2{adaptor.getW2(),
                    cast<RankedTensorType>(op.getW2().getType())};
    WeightAccess w3{adaptor.getW3(),
                    cast<RankedTensorType>(op.getW3().getType())};
    SmallVector<Value> dims = memrefDims(b, x);
    SmallVector<Value> tokens(ArrayRef<Value>(dims).drop_back());
    Value dim = dims.back();
    // inter = w1's dim 1 (dynamic only for plain weights: packed ones are
    // static).
    Value inter = w1.type.isDynamicDim(1)
                      ? memref::DimOp::create(b, w1.buffer, 1).getResult()
                      : constIndex(b, w1.type.getShape()[1]);
    Value topk = memrefDims(b, adaptor.getWeights()).back();
    Value out = allocBuffer(b, bufferType(op.getType()), dims);
    double limit = op.getSwigluLimit().convertToDouble();
    std::optional<ActQuantAttr> actQuant = op.getActQuant();
    size_t rank = tokens.size();

    // Up to five scf.parallel, each a separate pass over fresh buffers:
    // (act_quant) x block-quantized, tokens x blocks;
    Value xq = x;
    if (actQuant) {
      xq = allocBuffer(b, f32Buffer(x, rank + 1, {}), dims);
      quantizeRows(b, x, xq, tokens, dim, actQuant->getBlock(),
                   actQuant->getFormat());
    }
    SmallVector<Value> hDims = concat(tokens, {topk, inter});
    Value h = allocBuffer(
        b, f32Buffer(x, rank, {staticSize(topk), staticSize(inter)}), hDims);
    SmallVector<Value> yDims = concat(tokens, {topk, dim});
    Value y = allocBuffer(
        b, f32Buffer(x, rank, {staticSize(topk), staticSize(dim)}), yDims);
    auto perRoute = [&](ImplicitLocOpBuilder &b) {
      const int64_t R = options.outputsPerWarp;
      // h[t..., k, o] = silu(min(w1[e, o] x, limit)) * clamp(w3[e, o] x,
      // +-limit) (* w with act_quant), e = ids[t, k]: tokens x topk x
      // groups of R outputs (their 2R sums side by side, each in its own
      // order);
      Value hGroups = arith::CeilDivUIOp::create(b, inter, constIndex(b, R));
      parallelForEach(
          b, concat(tokens, {topk, hGroups}),
          [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
            ValueRange tk = ivs.drop_back();
            ValueRange t = tk.drop_back();
            Value e = loadIndex(b, adaptor.getIds(), tk);
            Value w = loadF32(b, adaptor.getWeights(), tk);
            OutputGroup o = outputGroup(b, ivs.back(), R, inter);
            SmallVector<Value> zeros(2 * R, constF32(b, 0.0));
            SmallVector<Value> sums = splitReduce(
                b, constIndex(b, 0), dim, zeros, weightLaneChunk(w1),
                [&](ImplicitLocOpBuilder &b, Value i, ValueRange acc) {
                  Value xv = loadF32(b, xq, concat(t, i));
                  SmallVector<Value> next(acc);
                  for (int64_t u = 0; u < R; ++u) {
                    next[u] = arith::AddFOp::create(
                        b, acc[u],
                        arith::MulFOp::create(
                            b, loadWeight(b, w1, {e, o.read[u], i}), xv));
                    next[R + u] = arith::AddFOp::create(
                        b, acc[R + u],
                        arith::MulFOp::create(
                            b, loadWeight(b, w3, {e, o.read[u], i}), xv));
                  }
                  return next;
                });
            o.store(b, [&](ImplicitLocOpBuilder &b, int64_t u, Value out) {
              Value g =
                  arith::MinimumFOp::create(b, sums[u], constF32(b, limit));
              Value up = arith::MinimumFOp::create(
                  b,
                  arith::MaximumFOp::create(b, sums[R + u],
                                            constF32(b, -limit)),
                  constF32(b, limit));
              Value silu = arith::MulFOp::create(b, g, sigmoid(b, g));
              Value act = arith::MulFOp::create(b, silu, up);
              if (actQuant)
                act = arith::MulFOp::create(b, act, w);
              memref::StoreOp::create(b, act, h, concat(tk, out));
            });
          });
      // (act_quant) each h row block-quantized in place, tokens x topk x
      // blocks;
      if (actQuant)
        quantizeRows(b, h, h, concat(tokens, topk), inter, actQuant->getBlock(),
                     actQuant->getFormat());
      // y[t..., k, c] = w2[e, c] h[t, k] (* w in exact mode): tokens x topk x
      // groups of R channels.
      Value yGroups = arith::CeilDivUIOp::create(b, dim, constIndex(b, R));
      parallelForEach(
          b, concat(tokens, {topk, yGroups}),
          [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
            ValueRange tk = ivs.drop_back();
            Value e = loadIndex(b, adaptor.getIds(), tk);
            OutputGroup c = outputGroup(b, ivs.back(), R, dim);
            SmallVector<Value> zeros(R, constF32(b, 0.0));
            SmallVector<Value> sums = splitReduce(
                b, constIndex(b, 0), inter, zeros, weightLaneChunk(w2),
                [&](ImplicitLocOpBuilder &b, Value i, ValueRange acc) {
                  Value hv = memref::LoadOp::create(b, h, concat(tk, i));
                  SmallVector<Value> next;
                  for (int64_t u = 0; u < R; ++u)
                    next.push_back(arith::AddFOp::create(
                        b, acc[u],
                        arith::MulFOp::create(
                            b, loadWeight(b, w2, {e, c.read[u], i}), hv)));
                  return next;
                });
            c.store(b, [&](ImplicitLocOpBuilder &b, int64_t u, Value out) {
              Value v = sums[u];
              if (!actQuant)
                v = arith::MulFOp::create(b, v,
                                          loadF32(b, adaptor.getWeights(), tk));
              memref::StoreOp::create(b, v, y, concat(tk, out));
            });
          });
    };

    // Prefill on tensor cores: the routes grouped by expert, each expert's
    // weights read once per 64 of its routes
    // (lowering/gpu/TensorCoreExperts.h). Rounded activations (act_quant) are
    // exact in bf16: one part.
    int64_t interSize = staticSize(inter), dimSize = staticSize(dim);
    if (options.tensorCores && !ShapedType::isDynamic(interSize) &&
        !ShapedType::isDynamic(dimSize) && !w1.type.isDynamicDim(0) &&
        warp_mma::supportsWeight(w1) && warp_mma::supportsWeight(w2) &&
        warp_mma::supportsWeight(w3)) {
      Value prefill = arith::CmpIOp::create(b, arith::CmpIPredicate::uge,
                                            product(b, tokens),
                                            constIndex(b, kTensorCoreTokens));
      int64_t terms = actQuant ? 1 : 3;
      ifThenElse(
          b, prefill,
          [&](ImplicitLocOpBuilder &b) {
            ExpertRoutes routes = groupRoutesByExpert(
                b, adaptor.getIds(), tokens, topk, w1.type.getShape()[0]);
            emitTensorCoreExpertUpGate(b, routes, w1, w3, xq,
                                       adaptor.getWeights(), h, dimSize,
                                       interSize, limit, bool(actQuant), terms);
            if (actQuant)
              quantizeRows(b, h, h, concat(tokens, topk), inter,
                           actQuant->getBlock(), actQuant->getFormat());
            emitTensorCoreExpertDown(b, routes, w2, h, adaptor.getWeights(), y,
                                     dimSize, interSize, !actQuant, terms);
          },
          perRoute);
    } else {
      perRoute(b);
    }
    // out[t..., c] = the y[t, k, c] added in order of k, through out's
    // element type after each addition: tokens x channels.
    parallelForEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      ValueRange t = ivs.drop_back();
      Value c = ivs.back();
      storeF32(b, constF32(b, 0.0), out, ivs);
      forEach(b, {topk}, [&](ImplicitLocOpBuilder &b, ValueRange k) {
        Value yk = memref::LoadOp::create(b, y, concat(t, {k[0], c}));
        storeF32(b, arith::AddFOp::create(b, loadF32(b, out, ivs), yk), out,
                 ivs);
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void lowering::populateMoeToLoopsPatterns(TypeConverter &converter,
                                          RewritePatternSet &patterns,
                                          const LoopLoweringOptions &options) {
  patterns.add<MoeGateLowering>(converter, patterns.getContext());
  patterns.add<MoeExpertsLowering>(converter, patterns.getContext(), options);
}

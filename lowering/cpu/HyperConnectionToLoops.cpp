//===- HyperConnectionToLoops.cpp - mHC ops --------------------------------===//
//
// The manifold-constrained hyper-connections of spec section 3.1, per token,
// in f32, in the order of test/reference/ds4ref/model.py (_hc_mix,
// _hc_combine, _hc_head). The streams H are `[..., n, d]`. Every op is a
// few scf.parallel over the leading (token) dims and the output's own dims
// (mix rows, channels); per-token steps that couple a block (the Sinkhorn
// normalization) run one iteration per token.
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;



/// mix[token..., r] = (fn[r, :] @ flatten(H[token])) *
///                     (1 / sqrt(mean(flatten(H[token])^2) + eps))
/// for r < rows, into a fresh f32 buffer [tokens..., rows]: one scf.parallel
/// over tokens x rows. Each iteration sums its token's squares alongside its
/// dot product, both in flatten order (i, c) from 0, so both sums are the
/// ones a separate pass would compute.
static Value computeMix(ImplicitLocOpBuilder &b, Value streams,
                        ArrayRef<Value> tokens, Value fn, int64_t rows,
                        int64_t n, int64_t d, double normEps) {
  ArrayRef<int64_t> shape = cast<MemRefType>(streams.getType()).getShape();
  SmallVector<int64_t> mixShape(shape.drop_back(2));
  mixShape.push_back(rows);
  Value rowsV = constIndex(b, rows);
  Value mix = allocBuffer(b, MemRefType::get(mixShape, b.getF32Type()),
                          concat(tokens, rowsV));
  Value nV = constIndex(b, n), dV = constIndex(b, d);
  parallelForEach(
      b, concat(tokens, rowsV), [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        ValueRange token = ivs.drop_back();
        Value r = ivs.back();
        Value zero = constF32(b, 0.0);
        // {sum h^2, sum fn[r, i*d + c] * h} over (i, c).
        auto outer = scf::ForOp::create(
            b, constIndex(b, 0), nV, constIndex(b, 1), ValueRange{zero, zero},
            [&](OpBuilder &nb, Location loc, Value i, ValueRange acc) {
              ImplicitLocOpBuilder b(loc, nb);
              auto inner = scf::ForOp::create(
                  b, constIndex(b, 0), dV, constIndex(b, 1), acc,
                  [&](OpBuilder &nb, Location loc, Value c, ValueRange acc) {
                    ImplicitLocOpBuilder b(loc, nb);
                    Value h = loadF32(b, streams, concat(token, {i, c}));
                    Value sq = arith::AddFOp::create(
                        b, acc[0], arith::MulFOp::create(b, h, h));
                    // flatten(H)[i * d + c] = H[i, c]
                    Value col = arith::AddIOp::create(
                        b, arith::MulIOp::create(b, i, dV), c);
                    Value dot = arith::AddFOp::create(
                        b, acc[1],
                        arith::MulFOp::create(b, loadF32(b, fn, {r, col}), h));
                    scf::YieldOp::create(b, ValueRange{sq, dot});
                  });
              scf::YieldOp::create(b, inner.getResults());
            });
        Value mean = arith::DivFOp::create(b, outer.getResult(0),
                                           constF32(b, double(n * d)));
        Value inv = arith::DivFOp::create(
            b, constF32(b, 1.0),
            math::SqrtOp::create(
                b, arith::AddFOp::create(b, mean, constF32(b, normEps))));
        memref::StoreOp::create(
            b, arith::MulFOp::create(b, outer.getResult(1), inv), mix, ivs);
      });
  return mix;
}

/// pre[i] = sigmoid(mix[token, i] * scale[0] + base[i]) + hc_eps.
static Value computePre(ImplicitLocOpBuilder &b, Value mix, ValueRange token,
                        Value base, Value scale, Value i, double hcEps) {
  Value s0 = loadF32(b, scale, {constIndex(b, 0)});
  Value m = memref::LoadOp::create(b, mix, concat(token, i));
  Value z = arith::AddFOp::create(b, arith::MulFOp::create(b, m, s0),
                                  loadF32(b, base, {i}));
  return arith::AddFOp::create(b, sigmoid(b, z), constF32(b, hcEps));
}

/// out[token..., c] = sum_i pre[i] * H[token, i, c] (pre from mix[token,
/// 0:n], computePre): one scf.parallel over tokens x channels.
static void collapseStreams(ImplicitLocOpBuilder &b, Value streams,
                            ArrayRef<Value> tokens, Value mix, Value base,
                            Value scale, int64_t n, int64_t d, double hcEps,
                            Value out) {
  parallelForEach(
      b, concat(tokens, constIndex(b, d)),
      [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        ValueRange token = ivs.drop_back();
        Value c = ivs.back();
        Value y = reduce(b, constIndex(b, n), constF32(b, 0.0),
                         [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
                           Value h =
                               loadF32(b, streams, concat(token, {i, c}));
                           Value p =
                               computePre(b, mix, token, base, scale, i, hcEps);
                           return arith::AddFOp::create(
                               b, acc, arith::MulFOp::create(b, p, h));
                         });
        storeF32(b, y, out, ivs);
      });
}

/// Leading (token) dims of a `[..., n, d]` streams buffer.
static SmallVector<Value> tokenDims(ImplicitLocOpBuilder &b, Value streams) {
  SmallVector<Value> dims = memrefDims(b, streams);
  dims.resize(dims.size() - 2);
  return dims;
}

namespace {

/// H[..., k, :] = x[..., :] for every stream k.
struct HcExpandLowering : OpConversionPattern<HcExpandOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(HcExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto type = cast<MemRefType>(getTypeConverter()->convertType(op.getType()));
    SmallVector<Value> dims = memrefDims(b, adaptor.getX());
    dims.insert(dims.end() - 1, constIndex(b, type.getShape()[type.getRank() - 2]));
    Value out = allocBuffer(b, type, dims);
    parallelForEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      SmallVector<Value> src(ivs.begin(), ivs.end());
      src.erase(src.end() - 2);
      storeF32(b, loadF32(b, adaptor.getX(), src), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// mHC pre, per token (spec 3.1, ds4ref Model._hc_mix):
///   mix  = (fn @ flatten(H)) * rsqrt(mean(flatten(H)^2) + norm_eps)
///   pre  = sigmoid(mix[0:n] * scale[0] + base[0:n]) + hc_eps
///   post = 2 * sigmoid(mix[n:2n] * scale[1] + base[n:2n])
///   C[j][k] = mix[2n + j*n + k] * scale[2] + base[2n + j*n + k]
///   C = softmax_k(C) + hc_eps;  C /= (column sums + hc_eps)
///   (sinkhorn_iters - 1) times: C /= (row sums + hc_eps);
///                               C /= (column sums + hc_eps)
///   x_in = sum_i pre[i] * H[i]
struct HcPreLowering : BufferLowering<HcPreOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(HcPreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value streams = adaptor.getStreams();
    ArrayRef<int64_t> shape = cast<MemRefType>(streams.getType()).getShape();
    int64_t n = shape[shape.size() - 2], d = shape.back();
    double hcEps = op.getHcEps().convertToDouble();
    double normEps = op.getNormEps().convertToDouble();
    int64_t iters = op.getSinkhornIters();

    SmallVector<Value> tokens = tokenDims(b, streams);
    Value nV = constIndex(b, n);
    Value xIn = allocBuffer(b, bufferType(op.getXIn().getType()),
                            concat(tokens, {constIndex(b, d)}));
    Value post = allocBuffer(b, bufferType(op.getPost().getType()),
                             concat(tokens, {nV}));
    Value comb = allocBuffer(b, bufferType(op.getComb().getType()),
                             concat(tokens, {nV, nV}));
    Value scale = adaptor.getScale(), base = adaptor.getBase();
    Value eps = constF32(b, hcEps);

    // Three scf.parallel: mix (tokens x rows), post and the Sinkhorn
    // combination (tokens: C couples the whole n x n block), then x_in
    // (tokens x channels).
    Value mix = computeMix(b, streams, tokens, adaptor.getFn(), (2 + n) * n, n,
                           d, normEps);
    parallelForEach(b, tokens, [&](ImplicitLocOpBuilder &b, ValueRange t) {
      auto mixAt = [&](ImplicitLocOpBuilder &b, Value r) {
        return memref::LoadOp::create(b, mix, concat(t, r)).getResult();
      };
      // post[i] = 2 * sigmoid(mix[n + i] * scale[1] + base[n + i])
      Value s1 = loadF32(b, scale, {constIndex(b, 1)});
      forEach(b, {nV}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
        Value r = arith::AddIOp::create(b, i[0], nV);
        Value z = arith::AddFOp::create(
            b, arith::MulFOp::create(b, mixAt(b, r), s1),
            loadF32(b, base, {r}));
        storeF32(b, arith::MulFOp::create(b, constF32(b, 2.0), sigmoid(b, z)),
                 post, concat(t, i));
      });

      // C[j][k] = softmax_k(mix[2n + j*n + k] * scale[2] + base[...]) + hc_eps
      Value s2 = loadF32(b, scale, {constIndex(b, 2)});
      auto cAt = [&](Value j, Value k) { return concat(t, {j, k}); };
      forEach(b, {nV}, [&](ImplicitLocOpBuilder &b, ValueRange j) {
        Value rowBase = arith::AddIOp::create(
            b, constIndex(b, 2 * n), arith::MulIOp::create(b, j[0], nV));
        forEach(b, {nV}, [&](ImplicitLocOpBuilder &b, ValueRange k) {
          Value r = arith::AddIOp::create(b, rowBase, k[0]);
          Value z = arith::AddFOp::create(
              b, arith::MulFOp::create(b, mixAt(b, r), s2),
              loadF32(b, base, {r}));
          memref::StoreOp::create(b, z, comb, cAt(j[0], k[0]));
        });
        Value max = reduce(b, nV, constF32(b, -INFINITY),
                           [&](ImplicitLocOpBuilder &b, Value k, Value acc) {
                             return arith::MaximumFOp::create(
                                 b, acc,
                                 memref::LoadOp::create(b, comb, cAt(j[0], k)));
                           });
        Value sum = reduce(b, nV, constF32(b, 0.0),
                           [&](ImplicitLocOpBuilder &b, Value k, Value acc) {
                             Value e = math::ExpOp::create(
                                 b, arith::SubFOp::create(
                                        b,
                                        memref::LoadOp::create(b, comb,
                                                               cAt(j[0], k)),
                                        max));
                             memref::StoreOp::create(b, e, comb, cAt(j[0], k));
                             return arith::AddFOp::create(b, acc, e);
                           });
        forEach(b, {nV}, [&](ImplicitLocOpBuilder &b, ValueRange k) {
          Value e = memref::LoadOp::create(b, comb, cAt(j[0], k[0]));
          Value c = arith::AddFOp::create(b, arith::DivFOp::create(b, e, sum),
                                          eps);
          memref::StoreOp::create(b, c, comb, cAt(j[0], k[0]));
        });
      });

      // C[j][k] /= (sum_{j'} C[j'][k] + hc_eps)  (columns, byRows = false) or
      // C[j][k] /= (sum_{k'} C[j][k'] + hc_eps)  (rows, byRows = true).
      auto normalize = [&](ImplicitLocOpBuilder &b, bool byRows) {
        auto at = [&](Value line, Value m) {
          return byRows ? cAt(line, m) : cAt(m, line);
        };
        forEach(b, {nV}, [&](ImplicitLocOpBuilder &b, ValueRange line) {
          Value sum = reduce(b, nV, constF32(b, 0.0),
                             [&](ImplicitLocOpBuilder &b, Value m, Value acc) {
                               return arith::AddFOp::create(
                                   b, acc,
                                   memref::LoadOp::create(b, comb,
                                                          at(line[0], m)));
                             });
          Value denom = arith::AddFOp::create(b, sum, eps);
          forEach(b, {nV}, [&](ImplicitLocOpBuilder &b, ValueRange m) {
            Value c = memref::LoadOp::create(b, comb, at(line[0], m[0]));
            memref::StoreOp::create(b, arith::DivFOp::create(b, c, denom), comb,
                                    at(line[0], m[0]));
          });
        });
      };
      normalize(b, /*byRows=*/false);
      forEach(b, {constIndex(b, iters - 1)},
              [&](ImplicitLocOpBuilder &b, ValueRange) {
                normalize(b, /*byRows=*/true);
                normalize(b, /*byRows=*/false);
              });
    });
    collapseStreams(b, streams, tokens, mix, base, scale, n, d, hcEps, xIn);
    rewriter.replaceOp(op, {xIn, post, comb});
    return success();
  }
};

/// mHC post (spec 3.1, ds4ref Model._hc_combine), C used transposed:
///   H'[k, c] = post[k] * f[c] + sum_j C[j][k] * H[j, c]
struct HcPostLowering : BufferLowering<HcPostOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(HcPostOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value streams = adaptor.getStreams();
    SmallVector<Value> dims = memrefDims(b, streams);
    Value out = allocBuffer(b, bufferType(op.getType()), dims);
    Value nV = dims[dims.size() - 2];
    parallelForEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      ValueRange t = ivs.drop_back(2);
      Value k = ivs[ivs.size() - 2], c = ivs.back();
      Value mixed = reduce(
          b, nV, constF32(b, 0.0),
          [&](ImplicitLocOpBuilder &b, Value j, Value acc) {
            Value cjk = loadF32(b, adaptor.getComb(), concat(t, {j, k}));
            Value h = loadF32(b, streams, concat(t, {j, c}));
            return arith::AddFOp::create(b, acc, arith::MulFOp::create(b, cjk, h));
          });
      Value pf = arith::MulFOp::create(
          b, loadF32(b, adaptor.getPost(), concat(t, {k})),
          loadF32(b, adaptor.getF(), concat(t, {c})));
      storeF32(b, arith::AddFOp::create(b, pf, mixed), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// mHC head (spec 3.1, ds4ref Model._hc_head), per token:
///   mix = (fn @ flatten(H)) * rsqrt(mean(flatten(H)^2) + norm_eps)   [n]
///   pre = sigmoid(mix * scale[0] + base) + hc_eps;  y = sum_i pre[i] * H[i]
struct HcHeadLowering : BufferLowering<HcHeadOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(HcHeadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value streams = adaptor.getStreams();
    ArrayRef<int64_t> shape = cast<MemRefType>(streams.getType()).getShape();
    int64_t n = shape[shape.size() - 2], d = shape.back();
    SmallVector<Value> tokens = tokenDims(b, streams);
    Value out = allocBuffer(b, bufferType(op.getType()),
                            concat(tokens, {constIndex(b, d)}));
    // Two scf.parallel: mix (tokens x n), then y (tokens x channels).
    Value mix = computeMix(b, streams, tokens, adaptor.getFn(), n, n, d,
                           op.getNormEps().convertToDouble());
    collapseStreams(b, streams, tokens, mix, adaptor.getBase(),
                    adaptor.getScale(), n, d, op.getHcEps().convertToDouble(),
                    out);
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void lowering::populateHyperConnectionToLoopsPatterns(
    TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<HcExpandLowering, HcPreLowering, HcPostLowering,
               HcHeadLowering>(converter, patterns.getContext());
}

//===- HyperConnectionToLoops.cpp - mHC ops --------------------------------===//
//
// The manifold-constrained hyper-connections of spec section 3.1, per token,
// in f32, in the order of test/reference/ds4ref/model.py (_hc_mix,
// _hc_combine, _hc_head). The streams H are `[..., n, d]`. Every op is a
// few scf.parallel over the leading (token) dims and the output's own dims
// (mix rows, channels); per-token steps that couple a block (the Sinkhorn
// normalization) run one iteration per token -- on the GPU one warp per
// token, a lane per entry of the block (warp-sinkhorn).
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "lowering/SplitReductions.h"
#include "lowering/gpu/WarpMma.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;



/// mix[token..., r] = (fn[r, :] @ flatten(H[token])) *
///                     (1 / sqrt(mean(flatten(H[token])^2) + eps))
/// for r < rows, into a fresh f32 buffer [tokens..., rows]. rows is small
/// (2n + n^2 = 24, or n) and the sums long (n * d = 16384), so the sums are
/// split in two launches: (tokens, rows, parts) each sums its token's
/// squares alongside the dot product over one part of the flattened index
/// i * d + c (a split reduction: a warp per part on the GPU) into `partial`;
/// then (tokens, rows) adds the parts in order and scales.
static Value computeMix(ImplicitLocOpBuilder &b, Value streams,
                        ArrayRef<Value> tokens, Value fn, int64_t rows,
                        int64_t n, int64_t d, double normEps) {
  ArrayRef<int64_t> shape = cast<MemRefType>(streams.getType()).getShape();
  SmallVector<int64_t> mixShape(shape.drop_back(2));
  mixShape.push_back(rows);
  Value rowsV = constIndex(b, rows);
  Value mix = allocBuffer(b, MemRefType::get(mixShape, b.getF32Type()),
                          concat(tokens, rowsV));
  Value dV = constIndex(b, d);
  // Parts of at least 256 elements (a few lane steps each), at most 64.
  int64_t flat = n * d, parts = 1;
  while (parts < 64 && flat % (2 * parts) == 0 && flat / (2 * parts) >= 256)
    parts *= 2;
  int64_t partSize = flat / parts;
  SmallVector<int64_t> partialShape(mixShape);
  partialShape.append({parts, 2});
  Value partsV = constIndex(b, parts);
  Value partial =
      allocBuffer(b, MemRefType::get(partialShape, b.getF32Type()),
                  concat(tokens, {rowsV, partsV, constIndex(b, 2)}));
  // 16 bytes of fn (the weight, read most) per lane step.
  int64_t laneChunk = std::max<int64_t>(
      1, 128 / cast<MemRefType>(fn.getType()).getElementTypeBitWidth());
  parallelForEach(
      b, concat(tokens, {rowsV, partsV}),
      [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        ValueRange token = ivs.drop_back(2);
        Value r = ivs[ivs.size() - 2], part = ivs.back();
        Value zero = constF32(b, 0.0);
        Value lo = arith::MulIOp::create(b, part, constIndex(b, partSize));
        Value hi = arith::AddIOp::create(b, lo, constIndex(b, partSize));
        // {sum h^2, sum fn[r, col] * h} over col = i * d + c in the part.
        SmallVector<Value> sums = splitReduce(
            b, lo, hi, ValueRange{zero, zero}, laneChunk,
            [&](ImplicitLocOpBuilder &b, Value col, ValueRange acc) {
              Value i = arith::DivUIOp::create(b, col, dV);
              Value c = arith::RemUIOp::create(b, col, dV);
              Value h = loadF32(b, streams, concat(token, {i, c}));
              Value sq = arith::AddFOp::create(
                  b, acc[0], arith::MulFOp::create(b, h, h));
              Value dot = arith::AddFOp::create(
                  b, acc[1],
                  arith::MulFOp::create(b, loadF32(b, fn, {r, col}), h));
              return SmallVector<Value>{sq, dot};
            });
        for (int64_t k = 0; k < 2; ++k)
          memref::StoreOp::create(b, sums[k], partial,
                                  concat(ivs, constIndex(b, k)));
      });
  parallelForEach(
      b, concat(tokens, rowsV), [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        Value zero = constF32(b, 0.0);
        auto sums = scf::ForOp::create(
            b, constIndex(b, 0), partsV, constIndex(b, 1),
            ValueRange{zero, zero},
            [&](OpBuilder &nb, Location loc, Value part, ValueRange acc) {
              ImplicitLocOpBuilder b(loc, nb);
              SmallVector<Value> next;
              for (int64_t k = 0; k < 2; ++k)
                next.push_back(arith::AddFOp::create(
                    b, acc[k],
                    memref::LoadOp::create(
                        b, partial, concat(ivs, {part, constIndex(b, k)}))));
              scf::YieldOp::create(b, next);
            });
        Value mean = arith::DivFOp::create(b, sums.getResult(0),
                                           constF32(b, double(flat)));
        Value inv = arith::DivFOp::create(
            b, constF32(b, 1.0),
            math::SqrtOp::create(
                b, arith::AddFOp::create(b, mean, constF32(b, normEps))));
        memref::StoreOp::create(
            b, arith::MulFOp::create(b, sums.getResult(1), inv), mix, ivs);
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

/// post and the Sinkhorn combination of HcPreLowering with one iteration
/// per token (the host): the n x n block lives in SSA values (n is static
/// and small), so the Sinkhorn iterations stay in registers.
static void threadPostAndComb(ImplicitLocOpBuilder &b, Value mix,
                              ArrayRef<Value> tokens, Value scale, Value base,
                              int64_t n, int64_t iters, Value eps, Value post,
                              Value comb) {
  Value nV = constIndex(b, n);
  parallelForEach(b, tokens, [&](ImplicitLocOpBuilder &b, ValueRange t) {
    auto mixAt = [&](ImplicitLocOpBuilder &b, Value r) {
      return memref::LoadOp::create(b, mix, concat(t, r)).getResult();
    };
    // post[i] = 2 * sigmoid(mix[n + i] * scale[1] + base[n + i])
    Value s1 = loadF32(b, scale, {constIndex(b, 1)});
    forEach(b, {nV}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
      Value r = arith::AddIOp::create(b, i[0], nV);
      Value z = arith::AddFOp::create(
          b, arith::MulFOp::create(b, mixAt(b, r), s1), loadF32(b, base, {r}));
      storeF32(b, arith::MulFOp::create(b, constF32(b, 2.0), sigmoid(b, z)),
               post, concat(t, i));
    });

    // C[j][k] = softmax_k(mix[2n + j*n + k] * scale[2] + base[...]) + hc_eps
    // The n x n block lives in SSA values (n is static and small): the
    // Sinkhorn iterations then stay in registers on the GPU instead of
    // waiting on memory dozens of times. Same operations in the same
    // order as the reference's loops.
    Value s2 = loadF32(b, scale, {constIndex(b, 2)});
    SmallVector<Value> c(n * n);
    for (int64_t j = 0; j < n; ++j) {
      SmallVector<Value> z(n);
      Value max = constF32(b, -INFINITY);
      for (int64_t k = 0; k < n; ++k) {
        Value r = constIndex(b, 2 * n + j * n + k);
        z[k] =
            arith::AddFOp::create(b, arith::MulFOp::create(b, mixAt(b, r), s2),
                                  loadF32(b, base, {r}));
        max = arith::MaximumFOp::create(b, max, z[k]);
      }
      Value sum = constF32(b, 0.0);
      for (int64_t k = 0; k < n; ++k) {
        z[k] = math::ExpOp::create(b, arith::SubFOp::create(b, z[k], max));
        sum = arith::AddFOp::create(b, sum, z[k]);
      }
      for (int64_t k = 0; k < n; ++k)
        c[j * n + k] =
            arith::AddFOp::create(b, arith::DivFOp::create(b, z[k], sum), eps);
    }
    // C[j][k] /= (sum_{j'} C[j'][k] + hc_eps)  (columns, byRows = false) or
    // C[j][k] /= (sum_{k'} C[j][k'] + hc_eps)  (rows, byRows = true).
    auto normalize = [&](ImplicitLocOpBuilder &b, SmallVector<Value> &c,
                         bool byRows) {
      for (int64_t line = 0; line < n; ++line) {
        auto at = [&](int64_t m) {
          return byRows ? line * n + m : m * n + line;
        };
        Value sum = constF32(b, 0.0);
        for (int64_t m = 0; m < n; ++m)
          sum = arith::AddFOp::create(b, sum, c[at(m)]);
        Value denom = arith::AddFOp::create(b, sum, eps);
        for (int64_t m = 0; m < n; ++m)
          c[at(m)] = arith::DivFOp::create(b, c[at(m)], denom);
      }
    };
    normalize(b, c, /*byRows=*/false);
    auto sinkhorn = scf::ForOp::create(
        b, constIndex(b, 0), constIndex(b, iters - 1), constIndex(b, 1), c,
        [&](OpBuilder &nb, Location loc, Value, ValueRange acc) {
          ImplicitLocOpBuilder b(loc, nb);
          SmallVector<Value> cur(acc.begin(), acc.end());
          normalize(b, cur, /*byRows=*/true);
          normalize(b, cur, /*byRows=*/false);
          scf::YieldOp::create(b, cur);
        });
    for (int64_t j = 0; j < n; ++j)
      for (int64_t k = 0; k < n; ++k)
        memref::StoreOp::create(
            b, sinkhorn.getResult(j * n + k), comb,
            concat(t, {constIndex(b, j), constIndex(b, k)}));
  });
}

/// post and the Sinkhorn combination of HcPreLowering with one warp per
/// token (an scf.parallel marked ds4.warp_iteration): lane l < n^2 holds
/// C[l / n][l % n] (lanes past it mirror the last entry and store
/// nothing) and reads the other entries of its row or column by shuffles,
/// so every sum runs over the same values in the same order as the
/// one-thread loops: the results are identical, but the 2 (iters - 1) + 1
/// normalizations take one division per lane instead of n^2 in a row.
static void warpPostAndComb(ImplicitLocOpBuilder &b, Value mix,
                            ArrayRef<Value> tokens, Value scale, Value base,
                            int64_t n, int64_t iters, Value eps, Value post,
                            Value comb) {
  SmallVector<Value> lbs(tokens.size(), constIndex(b, 0));
  SmallVector<Value> steps(tokens.size(), constIndex(b, 1));
  auto loop = scf::ParallelOp::create(
      b, lbs, tokens, steps,
      [&](OpBuilder &nested, Location loc, ValueRange t) {
        ImplicitLocOpBuilder b(loc, nested);
        Value lane = gpu::LaneIdOp::create(b, /*upper_bound=*/nullptr);
        Value nV = constIndex(b, n);
        Value entry = iMin(b, lane, constIndex(b, n * n - 1));
        Value row = iDiv(b, entry, nV), col = iRem(b, entry, nV);
        auto mixAt = [&](ImplicitLocOpBuilder &b, Value r) {
          return memref::LoadOp::create(b, mix, concat(t, r)).getResult();
        };
        // v of the lane holding entry `at`.
        auto from = [&](ImplicitLocOpBuilder &b, Value v, Value at) {
          Value src = arith::IndexCastOp::create(b, b.getI32Type(), at);
          return gpu::ShuffleOp::create(
                     b, v, src,
                     arith::ConstantIntOp::create(b, b.getI32Type(),
                                                  ds4::kWarpLanes),
                     gpu::ShuffleMode::IDX)
              .getShuffleResult();
        };
        // Entry m of the lane's row / column.
        auto inRow = [&](ImplicitLocOpBuilder &b, int64_t m) {
          return iAdd(b, arith::MulIOp::create(b, row, nV), constIndex(b, m));
        };
        auto inColumn = [&](ImplicitLocOpBuilder &b, int64_t m) {
          return iAdd(b, constIndex(b, m * n), col);
        };
        // sum over m of v[line(m)], in order.
        auto lineSum = [&](ImplicitLocOpBuilder &b, Value v,
                           function_ref<Value(ImplicitLocOpBuilder &, int64_t)>
                               line) {
          Value sum = constF32(b, 0.0);
          for (int64_t m = 0; m < n; ++m)
            sum = arith::AddFOp::create(b, sum, from(b, v, line(b, m)));
          return sum;
        };

        // post[i] = 2 * sigmoid(mix[n + i] * scale[1] + base[n + i]), i < n.
        ifThen(b, iCmp(b, arith::CmpIPredicate::ult, lane, nV),
               [&](ImplicitLocOpBuilder &b) {
                 Value r = iAdd(b, lane, nV);
                 Value z = arith::AddFOp::create(
                     b,
                     arith::MulFOp::create(
                         b, mixAt(b, r), loadF32(b, scale, {constIndex(b, 1)})),
                     loadF32(b, base, {r}));
                 storeF32(b,
                          arith::MulFOp::create(b, constF32(b, 2.0),
                                                sigmoid(b, z)),
                          post, concat(t, lane));
               });
        // C = softmax over the row of mix[2n + ...] * scale[2] + base + eps.
        Value r = iAdd(b, constIndex(b, 2 * n), entry);
        Value z = arith::AddFOp::create(
            b,
            arith::MulFOp::create(b, mixAt(b, r),
                                  loadF32(b, scale, {constIndex(b, 2)})),
            loadF32(b, base, {r}));
        Value max = constF32(b, -INFINITY);
        for (int64_t m = 0; m < n; ++m)
          max = arith::MaximumFOp::create(b, max, from(b, z, inRow(b, m)));
        Value e = math::ExpOp::create(b, arith::SubFOp::create(b, z, max));
        Value c = arith::AddFOp::create(
            b, arith::DivFOp::create(b, e, lineSum(b, e, inRow)), eps);
        auto normalize = [&](ImplicitLocOpBuilder &b, Value c, bool byRows) {
          Value sum = byRows ? lineSum(b, c, inRow) : lineSum(b, c, inColumn);
          return arith::DivFOp::create(b, c, arith::AddFOp::create(b, sum, eps))
              .getResult();
        };
        c = normalize(b, c, /*byRows=*/false);
        auto sinkhorn = scf::ForOp::create(
            b, constIndex(b, 0), constIndex(b, iters - 1), constIndex(b, 1),
            ValueRange{c},
            [&](OpBuilder &nb, Location loc, Value, ValueRange acc) {
              ImplicitLocOpBuilder b(loc, nb);
              Value cur = normalize(b, acc[0], /*byRows=*/true);
              scf::YieldOp::create(b, normalize(b, cur, /*byRows=*/false));
            });
        ifThen(b, iCmp(b, arith::CmpIPredicate::ult, lane, constIndex(b, n * n)),
               [&](ImplicitLocOpBuilder &b) {
                 memref::StoreOp::create(b, sinkhorn.getResult(0), comb,
                                         concat(t, {row, col}));
               });
      });
  loop->setAttr(kWarpIteration, b.getUnitAttr());
}

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
  HcPreLowering(TypeConverter &converter, MLIRContext *ctx,
                const LoopLoweringOptions &options)
      : BufferLowering(converter, ctx), options(options) {}
  LoopLoweringOptions options;
  LogicalResult
  matchAndRewrite(HcPreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The op's own tile shapes (#ds4.tiling, the tiled phase) over the
    // pass's options.
    const LoopLoweringOptions options = tiledOptions(op, this->options);
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
    if (options.warpSinkhorn)
      warpPostAndComb(b, mix, tokens, scale, base, n, iters, eps, post, comb);
    else
      threadPostAndComb(b, mix, tokens, scale, base, n, iters, eps, post, comb);
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
    TypeConverter &converter, RewritePatternSet &patterns,
    const LoopLoweringOptions &options) {
  patterns.add<HcExpandLowering, HcPostLowering, HcHeadLowering>(
      converter, patterns.getContext());
  patterns.add<HcPreLowering>(converter, patterns.getContext(), options);
}

//===- CoreToLoops.cpp - weights, embedding, norms, rope, linear, ... -----===//

#include "lowering/FlatIterations.h"
#include "lowering/gpu/TensorCoreLinear.h"
#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

namespace {

/// out[..., :] = table[ids[...], :]
struct EmbeddingLowering : BufferLowering<EmbeddingOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MemRefType type = bufferType(op.getType());
    SmallVector<Value> dims = memrefDims(b, adaptor.getIds());
    dims.push_back(constIndex(b, type.getShape().back()));
    Value out = allocBuffer(b, type, dims);
    parallelForEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value id = loadIndex(b, adaptor.getIds(), ivs.drop_back());
      Value v = loadF32(b, adaptor.getTable(), {id, ivs.back()});
      storeF32(b, v, out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// y = x * rsqrt(mean(x^2) + eps) [* weight], over the last dim, in f32.
struct RmsNormLowering : BufferLowering<RmsNormOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(RmsNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX();
    SmallVector<Value> dims = memrefDims(b, x);
    Value out = allocBuffer(b, bufferType(op.getType()), dims);
    int64_t k = cast<MemRefType>(x.getType()).getShape().back();
    double eps = op.getEps().convertToDouble();
    // Two scf.parallel: per row the sum of squares (split across a warp's
    // lanes on the GPU) and its rsqrt into `inv`, then per element.
    ArrayRef<Value> rows = ArrayRef<Value>(dims).drop_back();
    auto xType = cast<MemRefType>(x.getType());
    SmallVector<int64_t> rowShape(xType.getShape().drop_back());
    Value inv = allocBuffer(b, MemRefType::get(rowShape, b.getF32Type()), rows);
    int64_t laneChunk =
        std::max<int64_t>(1, 128 / xType.getElementTypeBitWidth());
    parallelForEach(b, rows, [&](ImplicitLocOpBuilder &b, ValueRange row) {
      Value sumSq = splitReduce(
          b, dims.back(), constF32(b, 0.0), laneChunk,
          [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
            Value v = loadF32(b, x, concat(row, i));
            return arith::AddFOp::create(b, acc, arith::MulFOp::create(b, v, v));
          });
      Value mean = arith::DivFOp::create(b, sumSq, constF32(b, double(k)));
      memref::StoreOp::create(
          b,
          math::RsqrtOp::create(b,
                                arith::AddFOp::create(b, mean, constF32(b, eps))),
          inv, row);
    });
    parallelForEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value r = memref::LoadOp::create(b, inv, ivs.drop_back());
      Value y = arith::MulFOp::create(b, loadF32(b, x, ivs), r);
      if (Value w = adaptor.getWeight())
        y = arith::MulFOp::create(b, y, loadF32(b, w, {ivs.back()}));
      storeF32(b, y, out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// y = silu(min(g, limit)) * clamp(u, -limit, limit)
struct SwiGluLowering : BufferLowering<SwiGluOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(SwiGluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    SmallVector<Value> dims = memrefDims(b, adaptor.getGate());
    Value out = allocBuffer(b, bufferType(op.getType()), dims);
    std::optional<double> limit;
    if (std::optional<APFloat> l = op.getLimit())
      limit = l->convertToDouble();
    parallelForEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value g = loadF32(b, adaptor.getGate(), ivs);
      Value u = loadF32(b, adaptor.getUp(), ivs);
      if (limit) {
        g = arith::MinimumFOp::create(b, g, constF32(b, *limit));
        u = arith::MinimumFOp::create(
            b, arith::MaximumFOp::create(b, u, constF32(b, -*limit)),
            constF32(b, *limit));
      }
      // silu(g) = g / (1 + exp(-g))
      Value silu = arith::DivFOp::create(
          b, g,
          arith::AddFOp::create(b, constF32(b, 1.0),
                                math::ExpOp::create(b, arith::NegFOp::create(b, g))));
      storeF32(b, arith::MulFOp::create(b, silu, u), out, ivs);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Shared pieces of the projections
//===----------------------------------------------------------------------===//

/// `prefix` with `last` appended: the index of one element of a row.
static SmallVector<Value> rowIndex(ValueRange prefix, Value last) {
  return concat(prefix, ValueRange{last});
}

/// One product of the rows with a weight: W [out, k] and the buffer its
/// sums go to (rows x out).
struct Projection {
  WeightAccess w;
  int64_t out;
  Value result;
};

/// The per-output sum of one projection: y[row, o] = sum_i xRow(row, i) *
/// W[o, i], a split reduction over i (a warp per output on the GPU, its
/// lanes reading neighbouring weights).
static void emitOutputSum(
    ImplicitLocOpBuilder &b, const Projection &p, int64_t k, ValueRange row,
    Value o,
    function_ref<Value(ImplicitLocOpBuilder &, ValueRange, Value)> xRow) {
  Value acc =
      splitReduce(b, constIndex(b, k), constF32(b, 0.0), weightLaneChunk(p.w),
                  [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
                    Value prod = arith::MulFOp::create(
                        b, xRow(b, row, i), loadWeight(b, p.w, {o, i}));
                    return arith::AddFOp::create(b, acc, prod);
                  });
  storeF32(b, acc, p.result, rowIndex(row, o));
}

/// y_j[row..., o] = sum_{i < k} xRow(row, i) * W_j[o, i] for every
/// projection j and o < out_j, in f32, for every row of `rowDims`. `xRow`
/// reads one (already rounded) activation value of a row. With fewer than
/// rowTile rows (decode) one scf.parallel over rows x the outputs of all
/// projections, each iteration one output's split reduction (of the
/// projection its index falls in); otherwise (prefill) per projection one
/// over row tiles x outputs, each iteration carrying rowTile sums that
/// share every weight load. Both add each sum's terms in the same order,
/// so neither the choice nor the grouping of projections ever changes a
/// result. With tensor cores the prefill branch is warp tiles of mma.sync
/// instead, the activations split into `terms` bf16 parts (1 where xRow is
/// exact in bf16); its sums are then added in the tensor cores' order.
static void emitRowsTimesWeightsT(
    ImplicitLocOpBuilder &b, ArrayRef<Projection> projections, int64_t k,
    ArrayRef<Value> rowDims, const LoopLoweringOptions &options, int64_t terms,
    function_ref<Value(ImplicitLocOpBuilder &, ValueRange, Value)> xRow) {
  Value rows = product(b, rowDims);
  Value tiled = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows,
                                      constIndex(b, options.rowTile));
  auto tiles = [&](ImplicitLocOpBuilder &b, const Projection &proj) {
    const WeightAccess &w = proj.w;
    int64_t out = proj.out;
    Value result = proj.result;
    int64_t chunk = weightLaneChunk(w);
    if (options.tensorCores && warp_mma::supportsWeight(w)) {
      GroupedRowsTimesWeightT p;
      p.w = w;
      p.out = out;
      p.k = k;
      p.terms = terms;
      p.rowDims = rowDims;
      p.rows = rows;
      auto x = [&](ImplicitLocOpBuilder &b, ValueRange row, Value, Value i) {
        return xRow(b, row, i);
      };
      auto store = [&](ImplicitLocOpBuilder &b, ValueRange row, Value, Value o,
                       Value sum) {
        storeF32(b, sum, result, rowIndex(row, o));
      };
      p.x = x;
      p.store = store;
      emitTensorCoreProducts(b, p);
      return;
    }
    Value tiles =
        arith::CeilDivUIOp::create(b, rows, constIndex(b, options.rowTile));
    Value last = arith::SubIOp::create(b, rows, constIndex(b, 1));
    parallelForEach(
        b, {tiles, constIndex(b, out)},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value tile = ivs[0], o = ivs[1];
          // Rows past the end read the last row and are not stored.
          SmallVector<Value> flat;
          SmallVector<SmallVector<Value>> row;
          SmallVector<Value> zerosI(rowDims.size(), constIndex(b, 0));
          SmallVector<Value> onesI(rowDims.size(), constIndex(b, 1));
          for (int64_t u = 0; u < options.rowTile; ++u) {
            flat.push_back(arith::AddIOp::create(
                b,
                arith::MulIOp::create(b, tile, constIndex(b, options.rowTile)),
                constIndex(b, u)));
            row.push_back(ds4::delinearize(
                b, arith::MinUIOp::create(b, flat.back(), last), rowDims,
                zerosI, onesI));
          }
          SmallVector<Value> zeros(options.rowTile, constF32(b, 0.0));
          SmallVector<Value> sums = splitReduce(
              b, constIndex(b, 0), constIndex(b, k), zeros, chunk,
              [&](ImplicitLocOpBuilder &b, Value i, ValueRange acc) {
                Value wv = loadWeight(b, w, {o, i});
                SmallVector<Value> next;
                for (int64_t u = 0; u < options.rowTile; ++u)
                  next.push_back(arith::AddFOp::create(
                      b, acc[u],
                      arith::MulFOp::create(b, xRow(b, row[u], i), wv)));
                return next;
              });
          for (int64_t u = 0; u < options.rowTile; ++u) {
            Value inRange = arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                                                  flat[u], rows);
            scf::IfOp::create(b, inRange, [&](OpBuilder &nb, Location loc) {
              ImplicitLocOpBuilder b(loc, nb);
              storeF32(b, sums[u], result, rowIndex(row[u], o));
              scf::YieldOp::create(b);
            });
          }
        });
  };
  scf::IfOp::create(
      b, tiled,
      [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder b(loc, nested);
        for (const Projection &p : projections)
          tiles(b, p);
        scf::YieldOp::create(b);
      },
      [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder b(loc, nested);
        // One output per warp: grouping outputs (as the routed experts do)
        // measured slower here, most projections having too few outputs
        // to fill the GPU with a quarter of the warps. Several projections
        // share the loop (ds4.multi_linear): output o belongs to the one
        // whose range [start, start + out) holds it.
        int64_t total = 0;
        for (const Projection &p : projections)
          total += p.out;
        parallelForEach(
            b, concat(rowDims, {constIndex(b, total)}),
            [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
              ValueRange row = ivs.drop_back();
              Value o = ivs.back();
              if (projections.size() == 1) {
                emitOutputSum(b, projections.front(), k, row, o, xRow);
                return;
              }
              // which = the number of projections starting at or before o,
              // minus one.
              Value which = constIndex(b, 0);
              SmallVector<int64_t> cases;
              SmallVector<int64_t> starts;
              int64_t start = 0;
              for (auto [j, p] : llvm::enumerate(projections)) {
                starts.push_back(start);
                if (j > 0) {
                  cases.push_back(int64_t(j) - 1);
                  Value past = arith::CmpIOp::create(
                      b, arith::CmpIPredicate::uge, o, constIndex(b, start));
                  which = arith::AddIOp::create(
                      b, which,
                      arith::IndexCastUIOp::create(b, b.getIndexType(), past));
                }
                start += p.out;
              }
              auto sw = scf::IndexSwitchOp::create(b, TypeRange{}, which, cases,
                                                   cases.size());
              auto emitCase = [&](Region &region, size_t j) {
                Block &block = region.emplaceBlock();
                ImplicitLocOpBuilder cb(b.getLoc(), &block, block.begin());
                Value local =
                    arith::SubIOp::create(cb, o, constIndex(cb, starts[j]));
                emitOutputSum(cb, projections[j], k, row, local, xRow);
                scf::YieldOp::create(cb);
              };
              for (size_t c = 0; c < cases.size(); ++c)
                emitCase(sw.getCaseRegions()[c], c);
              emitCase(sw.getDefaultRegion(), projections.size() - 1);
            });
        scf::YieldOp::create(b);
      });
}

/// emitRowsTimesWeightsT with one projection.
static void emitRowsTimesWeightT(
    ImplicitLocOpBuilder &b, const WeightAccess &w, int64_t out, int64_t k,
    Value result, ArrayRef<Value> rowDims, const LoopLoweringOptions &options,
    int64_t terms,
    function_ref<Value(ImplicitLocOpBuilder &, ValueRange, Value)> xRow) {
  emitRowsTimesWeightsT(b, Projection{w, out, result}, k, rowDims, options,
                        terms, xRow);
}

/// Rope: for every pair i < dims/2 of the last `dims` channels of x,
///   a = t * f_i (f64; -t * f_i when inverse),
///   c = (f32) cos a, s = (f32) sin a,
///   (x[2i], x[2i+1]) <- (x[2i] c - x[2i+1] s, x[2i] s + x[2i+1] c)  (f32),
/// t = positions[leading dims of x]; the other channels are copied. As the
/// reference's apply_rope: angles and cos/sin in float64, rounded to the
/// activation dtype (f32), products in f32.
struct RopeLowering : BufferLowering<RopeOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(RopeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX(), positions = adaptor.getPositions();
    RopeAttr rope = op.getRope();
    SmallVector<Value> dims = memrefDims(b, x);
    Value out = allocBuffer(b, bufferType(op.getType()), dims);
    int64_t posRank = cast<MemRefType>(positions.getType()).getRank();

    Value width = dims.back();
    Value ropeStart =
        arith::SubIOp::create(b, width, constIndex(b, rope.getDims()));
    // One iteration per output element: channels [0, width - dims) are
    // copied; rope channel ropeStart + 2i + s computes element s of pair i's
    // rotation (both elements of the pair from the same cos / sin).
    parallelForEach(b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      ValueRange row = ivs.drop_back();
      Value c = ivs.back();
      Value isRope =
          arith::CmpIOp::create(b, arith::CmpIPredicate::uge, c, ropeStart);
      scf::IfOp::create(
          b, isRope,
          [&](OpBuilder &nested, Location loc) {
            ImplicitLocOpBuilder b(loc, nested);
            Value rel = arith::SubIOp::create(b, c, ropeStart);
            Value i = arith::DivUIOp::create(b, rel, constIndex(b, 2));
            Value odd = arith::CmpIOp::create(
                b, arith::CmpIPredicate::ne,
                arith::RemUIOp::create(b, rel, constIndex(b, 2)),
                constIndex(b, 0));
            Value t =
                memref::LoadOp::create(b, positions, row.take_front(posRank));
            t = arith::SIToFPOp::create(b, b.getF64Type(), t);
            if (rope.getInverse())
              t = arith::NegFOp::create(b, t);
            Value angle =
                arith::MulFOp::create(b, t, ropeFrequency(b, rope, i));
            Value cos = arith::TruncFOp::create(b, b.getF32Type(),
                                                math::CosOp::create(b, angle));
            Value sin = arith::TruncFOp::create(b, b.getF32Type(),
                                                math::SinOp::create(b, angle));
            Value c0 = arith::AddIOp::create(
                b, ropeStart, arith::MulIOp::create(b, i, constIndex(b, 2)));
            Value c1 = arith::AddIOp::create(b, c0, constIndex(b, 1));
            Value x0 = loadF32(b, x, rowIndex(row, c0));
            Value x1 = loadF32(b, x, rowIndex(row, c1));
            Value y0 =
                arith::SubFOp::create(b, arith::MulFOp::create(b, x0, cos),
                                      arith::MulFOp::create(b, x1, sin));
            Value y1 =
                arith::AddFOp::create(b, arith::MulFOp::create(b, x0, sin),
                                      arith::MulFOp::create(b, x1, cos));
            storeF32(b, arith::SelectOp::create(b, odd, y1, y0), out, ivs);
            scf::YieldOp::create(b);
          },
          [&](OpBuilder &nested, Location loc) {
            ImplicitLocOpBuilder b(loc, nested);
            storeF32(b, loadF32(b, x, ivs), out, ivs);
            scf::YieldOp::create(b);
          });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// y_j[..., o] = sum_i xq[..., i] * W_j[o, i] for each weight W_j [out_j,
/// in] (buffers `weights`, tensor types `weightTypes`), dequantized from its
/// encoding (loadWeight), accumulated in f32 into a new buffer of
/// `resultTypes[j]`. xq = x, or with act_quant (deploy) each row of x copied
/// once to an f32 buffer and rounded through the format in blocks of
/// `block` along `in` (the last block may be partial), as the reference's
/// _gemm (quantize_blocks, then x @ W^T). Returns the result buffers.
static SmallVector<Value>
lowerProjections(ImplicitLocOpBuilder &b, const TypeConverter &converter,
                 Value x, ValueRange weights, TypeRange weightTypes,
                 TypeRange resultTypes, std::optional<ActQuantAttr> actQuant,
                 const LoopLoweringOptions &options) {
  SmallVector<Value> dims = memrefDims(b, x);
  int64_t in = 0;
  SmallVector<Projection> projections;
  SmallVector<Value> results;
  for (auto [weight, wType, resultType] :
       llvm::zip(weights, weightTypes, resultTypes)) {
    auto type = cast<RankedTensorType>(wType);
    int64_t out = type.getShape()[0];
    in = type.getShape()[1];
    SmallVector<Value> outDims(dims);
    outDims.back() = constIndex(b, out);
    Value result = allocBuffer(
        b, cast<MemRefType>(converter.convertType(resultType)), outDims);
    projections.push_back({WeightAccess{weight, type}, out, result});
    results.push_back(result);
  }
  ArrayRef<Value> rowDims = ArrayRef<Value>(dims).drop_back();
  // With act_quant, x is first rounded into an f32 copy by its own loops;
  // the products read that copy.
  Value xq = x;
  if (actQuant) {
    auto xType = cast<MemRefType>(x.getType());
    xq =
        allocBuffer(b, MemRefType::get(xType.getShape(), b.getF32Type()), dims);
    quantizeRows(b, x, xq, rowDims, constIndex(b, in), actQuant->getBlock(),
                 actQuant->getFormat());
  }
  // Rounded rows (e4m3 or e2m1 codes times a power of two) are exact in
  // bf16: one tensor-core term.
  emitRowsTimesWeightsT(b, projections, in, rowDims, options, actQuant ? 1 : 3,
                        [&](ImplicitLocOpBuilder &b, ValueRange row, Value i) {
                          return loadF32(b, xq, rowIndex(row, i));
                        });
  return results;
}

/// ds4.linear: one projection (lowerProjections).
struct LinearLowering : BufferLowering<LinearOp> {
  LinearLowering(TypeConverter &converter, MLIRContext *ctx,
                 const LoopLoweringOptions &options)
      : BufferLowering(converter, ctx), options(options) {}
  LoopLoweringOptions options;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op, lowerProjections(b, *getTypeConverter(),
                                            adaptor.getX(), adaptor.getWeight(),
                                            op.getWeight().getType(),
                                            op.getType(), op.getActQuant(),
                                            tiledOptions(op, options)));
    return success();
  }
};

/// ds4.multi_linear: the linears of one activation (each as LinearLowering
/// lowers it) sharing the act_quant copy of x and, in decode, one
/// scf.parallel over the outputs of every weight.
struct MultiLinearLowering : BufferLowering<MultiLinearOp> {
  MultiLinearLowering(TypeConverter &converter, MLIRContext *ctx,
                      const LoopLoweringOptions &options)
      : BufferLowering(converter, ctx), options(options) {}
  LoopLoweringOptions options;
  LogicalResult
  matchAndRewrite(MultiLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(
        op, lowerProjections(b, *getTypeConverter(), adaptor.getX(),
                             adaptor.getWeights(), op.getWeights().getTypes(),
                             op.getResultTypes(), op.getActQuant(),
                             tiledOptions(op, options)));
    return success();
  }
};

/// y[..., g, j] = sum_i x[..., g, i] * W[g*n + j, i], W [G*n, k], f32
/// accumulation. With compute = bf16 (deploy) x is rounded to bf16 before
/// the products and y to bf16 after the sum, as the reference's wo_a
/// (round_to_bf16(og) @ wo_a^T, then round_to_bf16); W is used as
/// dequantized (FP8 and bf16 weights are exact in bf16).
struct GroupedLinearLowering : BufferLowering<GroupedLinearOp> {
  GroupedLinearLowering(TypeConverter &converter, MLIRContext *ctx,
                        const LoopLoweringOptions &options)
      : BufferLowering(converter, ctx), options(options) {}
  LogicalResult
  matchAndRewrite(GroupedLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The op's own tile shapes (#ds4.tiling, the tiled phase) over the
    // pass's options.
    const LoopLoweringOptions options = tiledOptions(op, this->options);
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX();
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    WeightAccess w{adaptor.getWeight(), wType};
    auto xType = cast<MemRefType>(x.getType());
    int64_t groups = xType.getShape()[xType.getRank() - 2];
    int64_t n = wType.getShape()[0] / groups, k = wType.getShape()[1];
    bool bf16 = op.getCompute() && op.getCompute()->isBF16();
    SmallVector<Value> outDims = memrefDims(b, x);
    outDims.back() = constIndex(b, n);
    Value result = allocBuffer(b, bufferType(op.getType()), outDims);
    auto perOutput = [&](ImplicitLocOpBuilder &b) {
      parallelForEach(b, outDims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        ValueRange row = ivs.drop_back(); // [..., g]
        Value g = ivs[ivs.size() - 2], j = ivs.back();
        Value wRow = arith::AddIOp::create(
            b, arith::MulIOp::create(b, g, constIndex(b, n)), j);
        Value acc = splitReduce(
            b, constIndex(b, k), constF32(b, 0.0), weightLaneChunk(w),
            [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
              Value xv = loadF32(b, x, rowIndex(row, i));
              if (bf16)
                xv = roundBF16(b, xv);
              Value prod =
                  arith::MulFOp::create(b, xv, loadWeight(b, w, {wRow, i}));
              return arith::AddFOp::create(b, acc, prod);
            });
        if (bf16)
          acc = roundBF16(b, acc);
        storeF32(b, acc, result, ivs);
      });
    };
    if (options.tensorCores && warp_mma::supportsWeight(w)) {
      // Prefill on tensor cores: warp tiles per group (bf16-rounded rows
      // are one bf16 part).
      ArrayRef<Value> rowDims = ArrayRef<Value>(outDims).drop_back(2);
      Value rows = product(b, rowDims);
      Value tiled = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows,
                                          constIndex(b, options.rowTile));
      ifThenElse(
          b, tiled,
          [&](ImplicitLocOpBuilder &b) {
            GroupedRowsTimesWeightT p;
            p.w = w;
            p.groups = groups;
            p.out = n;
            p.k = k;
            p.terms = bf16 ? 1 : 3;
            p.rowDims = rowDims;
            p.rows = rows;
            auto read = [&](ImplicitLocOpBuilder &b, ValueRange row, Value g,
                            Value i) {
              Value xv = loadF32(b, x, concat(row, {g, i}));
              return bf16 ? roundBF16(b, xv) : xv;
            };
            auto store = [&](ImplicitLocOpBuilder &b, ValueRange row, Value g,
                             Value j, Value sum) {
              storeF32(b, bf16 ? roundBF16(b, sum) : sum, result,
                       concat(row, {g, j}));
            };
            p.x = read;
            p.store = store;
            emitTensorCoreProducts(b, p);
          },
          perOutput);
    } else {
      perOutput(b);
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  LoopLoweringOptions options;
};

/// The sign bit of an f64 value (true for -0.0 too).
static Value isNegative(ImplicitLocOpBuilder &b, Value q) {
  Value bits = arith::BitcastOp::create(b, b.getI64Type(), q);
  return arith::CmpIOp::create(
      b, arith::CmpIPredicate::slt, bits,
      arith::ConstantOp::create(b, b.getI64IntegerAttr(0)));
}

/// The e4m3fn code of an f64 value `q` that is exactly representable
/// (the output of roundE4M3): sign << 7 | exponent field << 3 | mantissa.
static Value encodeE4M3(ImplicitLocOpBuilder &b, Value q) {
  Type i32 = b.getI32Type();
  Value a = math::AbsFOp::create(b, q);
  Value bits = arith::BitcastOp::create(
      b, i32, arith::TruncFOp::create(b, b.getF32Type(), a));
  // Normal (a >= 2^-6): exponent field = f32 exponent - 127 + 7, the 3 top
  // mantissa bits. Subnormal: a = m * 2^-9.
  Value exp = arith::SubIOp::create(
      b, arith::ShRUIOp::create(b, bits, constI32(b, 23)), constI32(b, 120));
  Value man = arith::AndIOp::create(
      b, arith::ShRUIOp::create(b, bits, constI32(b, 20)), constI32(b, 7));
  Value normal = arith::OrIOp::create(
      b, arith::ShLIOp::create(b, exp, constI32(b, 3)), man);
  Value subnormal = arith::FPToUIOp::create(
      b, i32, arith::MulFOp::create(b, a, constF64(b, 0x1p9)));
  Value isSub = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, a,
                                      constF64(b, 0x1p-6));
  Value mag = arith::SelectOp::create(b, isSub, subnormal, normal);
  Value negative = isNegative(b, q);
  Value code = arith::SelectOp::create(
      b, negative, arith::OrIOp::create(b, mag, constI32(b, 0x80)), mag);
  return arith::TruncIOp::create(b, b.getI8Type(), code);
}

/// The e2m1 code (i4) of an exactly representable f64 value: magnitudes
/// 0, .5, 1, 1.5, 2, 3, 4, 6 are codes 0-7, bit 3 the sign.
static Value encodeE2M1(ImplicitLocOpBuilder &b, Value q) {
  Type i32 = b.getI32Type();
  Value a = math::AbsFOp::create(b, q);
  // a < 2: code = 2a; a >= 2: 4 + (a - 2) for 2, 3, 4 -> 4, 5, 6 and 6 -> 7.
  Value small = arith::FPToUIOp::create(
      b, i32, arith::MulFOp::create(b, a, constF64(b, 2.0)));
  Value large = arith::FPToUIOp::create(
      b, i32, arith::AddFOp::create(b, a, constF64(b, 2.0)));
  Value isSix =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, a, constF64(b, 6.0));
  large = arith::SelectOp::create(b, isSix, constI32(b, 7), large);
  Value below2 =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, a, constF64(b, 2.0));
  Value mag = arith::SelectOp::create(b, below2, small, large);
  Value negative = isNegative(b, q);
  Value code = arith::SelectOp::create(
      b, negative, arith::OrIOp::create(b, mag, constI32(b, 8)), mag);
  return arith::TruncIOp::create(b, b.getIntegerType(4), code);
}

/// Block quantization of the first `channels` values of the last dim, blocks
/// of `block`, scale s = 2^ceil(log2(max(amax, floor) / fmax)) (f64, as
/// numerics.quantize_blocks).
///  - simulate: y = x, then each block rounded in place (quantizeRowInPlace);
///    channels past `channels` are copied unchanged.
///  - store: codes[..., i] = code(round(x / s)) (f8E4M3FN / f4E2M1FN),
///    scales[..., blk] = e8m0(s) = log2(s) + 127 (f8E8M0FNU); the codes are
///    built as integers and bitcast to the code types.
struct QuantizeLowering : BufferLowering<QuantizeOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX();
    SmallVector<Value> dims = memrefDims(b, x);
    int64_t last = cast<MemRefType>(x.getType()).getShape().back();
    int64_t channels = op.getChannels().value_or(last);
    int64_t block = op.getBlock();
    QuantFormat format = op.getFormat();
    ArrayRef<Value> rowDims = ArrayRef<Value>(dims).drop_back();

    if (op.getMode() == QuantizeMode::simulate) {
      // out has x's type, so reading x reads the values a copy would hold.
      Value out = allocBuffer(b, bufferType(op.getResult().getType()), dims);
      quantizeRows(b, x, out, rowDims, constIndex(b, channels), block, format);
      if (channels < last)
        parallelForEach(
            b, concat(rowDims, {constIndex(b, last - channels)}),
            [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
              Value c = arith::AddIOp::create(b, ivs.back(),
                                              constIndex(b, channels));
              SmallVector<Value> idx = rowIndex(ivs.drop_back(), c);
              Value v = loadF32(b, x, idx);
              if (op.getRestBf16())
                v = roundBF16(b, v);
              storeF32(b, v, out, idx);
            });
      rewriter.replaceOp(op, ValueRange{out});
      return success();
    }

    bool fp8 = format == QuantFormat::fp8_e4m3;
    double fmax = fp8 ? 448.0 : 6.0;
    double floor = fp8 ? 1e-4 : 6.0 * 0x1p-126;
    MemRefType codesType = bufferType(op.getResult().getType());
    MemRefType scalesType = bufferType(op.getScales().getType());
    Value codes = allocBuffer(b, codesType, dims);
    SmallVector<Value> scaleDims(dims);
    scaleDims.back() = constIndex(b, last / block);
    Value scales = allocBuffer(b, scalesType, scaleDims);
    scaleDims.back() = constIndex(b, channels / block);
    // One iteration per (row, block): its scale and its codes.
    parallelForEach(b, scaleDims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      ValueRange row = ivs.drop_back();
      Value lo = arith::MulIOp::create(b, ivs.back(), constIndex(b, block));
      Value hi = arith::AddIOp::create(b, lo, constIndex(b, block));
      Value amax =
          reduce(b, lo, hi, constF64(b, 0.0),
                 [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
                   Value v = arith::ExtFOp::create(
                       b, b.getF64Type(), loadF32(b, x, rowIndex(row, i)));
                   return arith::MaximumFOp::create(b, acc,
                                                    math::AbsFOp::create(b, v));
                 });
      amax = arith::MaximumFOp::create(b, amax, constF64(b, floor));
      Value log2s =
          ceilLog2(b, arith::DivFOp::create(b, amax, constF64(b, fmax)));
      Value scale = pow2(b, log2s);
      Value e8m0 = arith::TruncIOp::create(
          b, b.getI8Type(),
          arith::AddIOp::create(
              b, arith::FPToSIOp::create(b, b.getI32Type(), log2s),
              constI32(b, 127)));
      memref::StoreOp::create(
          b, arith::BitcastOp::create(b, scalesType.getElementType(), e8m0),
          scales, ivs);
      scf::ForOp::create(
          b, lo, hi, constIndex(b, 1), ValueRange{},
          [&](OpBuilder &nested, Location loc, Value i, ValueRange) {
            ImplicitLocOpBuilder ib(loc, nested);
            SmallVector<Value> idx = rowIndex(row, i);
            Value v =
                arith::ExtFOp::create(ib, ib.getF64Type(), loadF32(ib, x, idx));
            Value q = arith::DivFOp::create(ib, v, scale);
            Value code = fp8 ? encodeE4M3(ib, roundE4M3(ib, q))
                             : encodeE2M1(ib, roundE2M1(ib, q));
            memref::StoreOp::create(
                ib,
                arith::BitcastOp::create(ib, codesType.getElementType(), code),
                codes, idx);
            scf::YieldOp::create(ib);
          });
    });
    rewriter.replaceOp(op, ValueRange{codes, scales});
    return success();
  }
};

/// y = x @ (Hn / sqrt(n)) over the last dim, Hn the Sylvester Hadamard
/// matrix (Hn[j][k] = (-1)^popcount(j & k), symmetric): the fast
/// Walsh-Hadamard transform on an f64 copy of each row, butterflies
/// (a, b) <- (a + b, a - b) at strides 1, 2, 4, ..., n/2, then times the
/// f32 value of n^-0.5 (the reference's matrix entries are f32). The f64
/// sums of f32 values are exact (short of a 2^29 spread of magnitudes), so
/// y is the f32 rounding of the exact product with the reference's matrix,
/// which the reference's own f32 matmul approximates.
struct HadamardLowering : BufferLowering<HadamardOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(HadamardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX();
    SmallVector<Value> dims = memrefDims(b, x);
    Value out = allocBuffer(b, bufferType(op.getType()), dims);
    int64_t n = cast<MemRefType>(x.getType()).getShape().back();
    double scale = double(float(1.0 / std::sqrt(double(n))));
    // One iteration per row (the butterflies mix the whole row), with its
    // own f64 copy of the row.
    parallelForEach(
        b, ArrayRef<Value>(dims).drop_back(),
        [&](ImplicitLocOpBuilder &b, ValueRange row) {
          Value buf =
              memref::AllocOp::create(b, MemRefType::get({n}, b.getF64Type()));
          forEach(b, {constIndex(b, n)},
                  [&](ImplicitLocOpBuilder &b, ValueRange i) {
                    Value v = arith::ExtFOp::create(
                        b, b.getF64Type(), loadF32(b, x, rowIndex(row, i[0])));
                    memref::StoreOp::create(b, v, buf, i);
                  });
          for (int64_t h = 1; h < n; h *= 2) {
            forEach(
                b, {constIndex(b, n / (2 * h)), constIndex(b, h)},
                [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                  Value j0 = arith::AddIOp::create(
                      b, arith::MulIOp::create(b, ivs[0], constIndex(b, 2 * h)),
                      ivs[1]);
                  Value j1 = arith::AddIOp::create(b, j0, constIndex(b, h));
                  Value a = memref::LoadOp::create(b, buf, ValueRange{j0});
                  Value c = memref::LoadOp::create(b, buf, ValueRange{j1});
                  memref::StoreOp::create(b, arith::AddFOp::create(b, a, c),
                                          buf, ValueRange{j0});
                  memref::StoreOp::create(b, arith::SubFOp::create(b, a, c),
                                          buf, ValueRange{j1});
                });
          }
          forEach(b, {constIndex(b, n)},
                  [&](ImplicitLocOpBuilder &b, ValueRange i) {
                    Value v = arith::MulFOp::create(
                        b, memref::LoadOp::create(b, buf, i),
                        constF64(b, scale));
                    storeF32(b, arith::TruncFOp::create(b, b.getF32Type(), v),
                             out, rowIndex(row, i[0]));
                  });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// logits[..., v] = sum_i x[..., i] * head[v, i] in f32 (the reference's
/// rmsnorm(y) @ head^T, fp32), head [vocab, d] bf16 or f32.
struct LogitsLowering : BufferLowering<LogitsOp> {
  LogitsLowering(TypeConverter &converter, MLIRContext *ctx,
                 const LoopLoweringOptions &options)
      : BufferLowering(converter, ctx), options(options) {}
  LoopLoweringOptions options;
  LogicalResult
  matchAndRewrite(LogitsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The op's own tile shapes (#ds4.tiling, the tiled phase) over the
    // pass's options.
    const LoopLoweringOptions options = tiledOptions(op, this->options);
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value x = adaptor.getX();
    auto headType = cast<RankedTensorType>(op.getHead().getType());
    int64_t vocab = headType.getShape()[0], d = headType.getShape()[1];
    SmallVector<Value> dims = memrefDims(b, x);
    SmallVector<Value> outDims(dims);
    outDims.back() = constIndex(b, vocab);
    Value result = allocBuffer(b, bufferType(op.getType()), outDims);
    emitRowsTimesWeightT(b, WeightAccess{adaptor.getHead(), headType}, vocab,
                         d, result, ArrayRef<Value>(dims).drop_back(), options,
                         /*terms=*/3, [&](ImplicitLocOpBuilder &b, ValueRange row, Value i) {
                           return loadF32(b, x, rowIndex(row, i));
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void lowering::populateCoreToLoopsPatterns(
    TypeConverter &converter, RewritePatternSet &patterns,
    const LoopLoweringOptions &options) {
  patterns.add<EmbeddingLowering, RmsNormLowering, SwiGluLowering, RopeLowering,
               QuantizeLowering, HadamardLowering>(converter,
                                                   patterns.getContext());
  patterns.add<LinearLowering, MultiLinearLowering, GroupedLinearLowering,
               LogitsLowering>(converter, patterns.getContext(), options);
}

//===- AttentionToLoops.cpp - window, compressor, indexer, attention ------===//
//
// The sequence-wise part of DeepSeek-V4 attention (spec sections 3.2-3.4),
// as scf loops over the f32 state buffers. Every state is
// memref<slots x rows x width x f32>, row `slots[b]` for batch row `b`, and
// is updated in place; positions[b, j] are the absolute positions of the new
// tokens (contiguous per batch row, starting at the slot's length). The
// semantics follow test/reference/ds4ref/model.py (`_attention`,
// `_compress`, `_indexer_select`, `attend_with_sink`):
//
//   window_update     ring row p mod W <- kv of position p
//   compressor        pending block rows, entry i written when the token at
//                     (i+1)*ratio-1 arrives (softmax pool, rmsnorm, rope,
//                     optional Hadamard)
//   indexer_score     I[t, i] = sum_h w*scale*relu(q_h . k_i), i < (t+1)/ratio
//   topk              the min(k, (t+1)/ratio) largest scores, rest -1
//   sparse_attention  window + compressed entries, one softmax with sink
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <array>
#include <cmath>

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Small builders (index arithmetic, branches, dot products, rope)
//===----------------------------------------------------------------------===//

Value iAdd(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::AddIOp::create(b, x, y);
}
Value iSub(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::SubIOp::create(b, x, y);
}
Value iMul(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::MulIOp::create(b, x, y);
}
Value iDiv(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::DivUIOp::create(b, x, y);
}
Value iRem(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::RemUIOp::create(b, x, y);
}
Value iMin(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::MinSIOp::create(b, x, y);
}
Value iMax(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::MaxSIOp::create(b, x, y);
}
Value iCmp(ImplicitLocOpBuilder &b, arith::CmpIPredicate p, Value x, Value y) {
  return arith::CmpIOp::create(b, p, x, y);
}
Value fMax(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::MaximumFOp::create(b, x, y);
}

/// An index value as f64 (positions for rope angles).
Value indexToF64(ImplicitLocOpBuilder &b, Value v) {
  Value i64 = arith::IndexCastOp::create(b, b.getI64Type(), v);
  return arith::SIToFPOp::create(b, b.getF64Type(), i64);
}

SmallVector<Value> concat(ValueRange prefix, ValueRange rest) {
  SmallVector<Value> idx(prefix.begin(), prefix.end());
  idx.append(rest.begin(), rest.end());
  return idx;
}

/// for iv in [lb, ub): body(iv).
void forRange(ImplicitLocOpBuilder &b, Value lb, Value ub,
              function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
  scf::ForOp::create(
      b, lb, ub, constIndex(b, 1), ValueRange{},
      [&](OpBuilder &nested, Location loc, Value iv, ValueRange) {
        ImplicitLocOpBuilder ib(loc, nested);
        body(ib, iv);
        scf::YieldOp::create(ib);
      });
}

/// if (cond) body().
void ifThen(ImplicitLocOpBuilder &b, Value cond,
            function_ref<void(ImplicitLocOpBuilder &)> body) {
  scf::IfOp::create(b, cond, [&](OpBuilder &nested, Location loc) {
    ImplicitLocOpBuilder ib(loc, nested);
    body(ib);
    scf::YieldOp::create(ib);
  });
}

/// cond ? thenValue() : elseValue(), evaluating only the taken side.
Value ifElse(ImplicitLocOpBuilder &b, Value cond,
             function_ref<Value(ImplicitLocOpBuilder &)> thenValue,
             function_ref<Value(ImplicitLocOpBuilder &)> elseValue) {
  auto op = scf::IfOp::create(
      b, cond,
      [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder ib(loc, nested);
        scf::YieldOp::create(ib, thenValue(ib));
      },
      [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder ib(loc, nested);
        scf::YieldOp::create(ib, elseValue(ib));
      });
  return op.getResult(0);
}

/// sum_d x[xRow, d] * y[yRow, d] over d < n, in f32.
Value dot(ImplicitLocOpBuilder &b, Value x, ValueRange xRow, Value y,
          ValueRange yRow, Value n) {
  return reduce(b, n, constF32(b, 0.0),
                [&](ImplicitLocOpBuilder &b, Value d, Value acc) {
                  Value p = arith::MulFOp::create(
                      b, loadF32(b, x, concat(xRow, d)),
                      loadF32(b, y, concat(yRow, d)));
                  return arith::AddFOp::create(b, acc, p);
                });
}

/// A buffer holding the rope frequencies f_i (f64, i < dims/2), written
/// once per op so the loops can index it.
Value frequencyTable(ImplicitLocOpBuilder &b, RopeAttr rope) {
  SmallVector<double> freqs = rope.getFrequencies();
  auto type = MemRefType::get({int64_t(freqs.size())}, b.getF64Type());
  Value table = memref::AllocOp::create(b, type);
  for (auto [i, f] : llvm::enumerate(freqs))
    memref::StoreOp::create(b, constF64(b, f), table,
                            ValueRange{constIndex(b, i)});
  return table;
}

/// Interleaved rope in place over `buffer[row, start + 2i .. start + 2i+1]`,
/// i < half, at position `pos`: angle = pos * f_i in f64, cos / sin rounded
/// to f32, the rotation in f32 (as `apply_rope` of the reference).
void ropeInPlace(ImplicitLocOpBuilder &b, Value buffer, ValueRange row,
                 int64_t start, Value freqs, int64_t half, Value pos,
                 bool inverse) {
  Value t = indexToF64(b, pos);
  forEach(b, {constIndex(b, half)}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
    Value angle = arith::MulFOp::create(
        b, t, memref::LoadOp::create(b, freqs, ValueRange{i[0]}));
    if (inverse)
      angle = arith::NegFOp::create(b, angle);
    Value cos = arith::TruncFOp::create(b, b.getF32Type(),
                                        math::CosOp::create(b, angle));
    Value sin = arith::TruncFOp::create(b, b.getF32Type(),
                                        math::SinOp::create(b, angle));
    Value c0 = iAdd(b, constIndex(b, start), iMul(b, i[0], constIndex(b, 2)));
    Value c1 = iAdd(b, c0, constIndex(b, 1));
    Value x0 = loadF32(b, buffer, concat(row, c0));
    Value x1 = loadF32(b, buffer, concat(row, c1));
    Value y0 = arith::SubFOp::create(b, arith::MulFOp::create(b, x0, cos),
                                     arith::MulFOp::create(b, x1, sin));
    Value y1 = arith::AddFOp::create(b, arith::MulFOp::create(b, x0, sin),
                                     arith::MulFOp::create(b, x1, cos));
    storeF32(b, y0, buffer, concat(row, c0));
    storeF32(b, y1, buffer, concat(row, c1));
  });
}

//===----------------------------------------------------------------------===//
// ds4.window_update
//===----------------------------------------------------------------------===//

/// window[slots[b], p mod W, :] = kv[b, j, :] for p = positions[b, j], then
/// the row is rounded to the state's storage. Only the last W tokens of a
/// row can survive, so earlier ones are skipped (later tokens overwrite).
struct WindowUpdateLowering : BufferLowering<WindowUpdateOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(WindowUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    StateType stateType = op.getWindow().getType();
    Value window = adaptor.getWindow(), kv = adaptor.getKv();
    Value positions = adaptor.getPositions(), slots = adaptor.getSlots();
    SmallVector<Value> tokens = memrefDims(b, positions); // {B, S}
    SmallVector<Value> state = memrefDims(b, window);     // {slots, W, D}
    Value rows = state[1], width = state[2];
    // first = max(S - W, 0)
    Value first = iMax(b, iSub(b, tokens[1], rows), constIndex(b, 0));
    forEach(b, {tokens[0]}, [&](ImplicitLocOpBuilder &b, ValueRange bi) {
      Value slot = loadIndex(b, slots, {bi[0]});
      forRange(b, first, tokens[1], [&](ImplicitLocOpBuilder &b, Value j) {
        Value p = loadIndex(b, positions, {bi[0], j});
        Value row = iRem(b, p, rows);
        forEach(b, {width}, [&](ImplicitLocOpBuilder &b, ValueRange d) {
          storeF32(b, loadF32(b, kv, {bi[0], j, d[0]}), window,
                   {slot, row, d[0]});
        });
        roundStateRow(b, stateType, window, {slot, row});
      });
    });
    rewriter.replaceOp(op, window);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ds4.compressor
//===----------------------------------------------------------------------===//

/// Per batch row, the new tokens in order (the state after token j is what
/// token j+1 sees). Token p is written to `block` row p mod ratio as
/// [kv | gate + ape[p mod ratio]] (width 2*c*hd). When p = (i+1)*ratio - 1,
/// entry i is computed into `entries` row i:
///
///   per channel ch < hd, over the slots of entry i
///     (no overlap: the block's rows, channel ch;
///      overlap: the previous block's A halves (rows [ratio, 2*ratio),
///      channel ch; absent for i = 0), then the block's B halves (rows
///      [0, ratio), channel hd + ch)):
///     c[ch] = sum_slot softmax_slot(gate) * kv
///   c = rmsnorm(c, norm, eps); rope(c[hd-r:], i*ratio); [c = c @ Hadamard]
///
/// then rounded to the entries' storage; with overlap the block's rows are
/// copied to rows [ratio, 2*ratio) for entry i+1.
struct CompressorLowering : BufferLowering<CompressorOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(CompressorOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    StateType blockType = op.getBlock().getType();
    StateType entriesType = op.getEntries().getType();
    Value block = adaptor.getBlock(), entries = adaptor.getEntries();
    Value kv = adaptor.getKv(), gate = adaptor.getGate();
    Value ape = adaptor.getApe(), norm = adaptor.getNorm();
    Value positions = adaptor.getPositions(), slots = adaptor.getSlots();
    bool overlap = op.getOverlap(), rotate = op.getRotate();
    int64_t ratio = op.getRatio();
    int64_t hd = entriesType.getWidth();
    int64_t cw = (overlap ? 2 : 1) * hd; // c*hd: the kv (or gate) part of a row
    double eps = op.getEps().convertToDouble();

    SmallVector<Value> tokens = memrefDims(b, positions); // {B, S}
    Value ratioV = constIndex(b, ratio);
    Value freqs = frequencyTable(b, op.getRope());
    // Scratch for the Hadamard product (one entry at a time).
    Value scratch;
    if (rotate)
      scratch = memref::AllocOp::create(
          b, MemRefType::get({hd}, b.getF32Type()));

    forEach(b, {tokens[0]}, [&](ImplicitLocOpBuilder &b, ValueRange bi) {
      Value slot = loadIndex(b, slots, {bi[0]});
      forRange(b, constIndex(b, 0), tokens[1], [&](ImplicitLocOpBuilder &b,
                                                   Value j) {
        // Pending row of token p: [kv | gate + ape[p mod ratio]].
        Value p = loadIndex(b, positions, {bi[0], j});
        Value row = iRem(b, p, ratioV);
        forEach(b, {constIndex(b, cw)}, [&](ImplicitLocOpBuilder &b,
                                            ValueRange ch) {
          storeF32(b, loadF32(b, kv, {bi[0], j, ch[0]}), block,
                   {slot, row, ch[0]});
          Value g =
              arith::AddFOp::create(b, loadF32(b, gate, {bi[0], j, ch[0]}),
                                    loadF32(b, ape, {row, ch[0]}));
          storeF32(b, g, block, {slot, row, iAdd(b, ch[0], constIndex(b, cw))});
        });
        roundStateRow(b, blockType, block, {slot, row});

        // The block is complete: emit entry i.
        Value next = iAdd(b, p, constIndex(b, 1));
        Value complete = iCmp(b, arith::CmpIPredicate::eq,
                              iRem(b, next, ratioV), constIndex(b, 0));
        ifThen(b, complete, [&](ImplicitLocOpBuilder &b) {
          Value i = iSub(b, iDiv(b, next, ratioV), constIndex(b, 1));
          emitEntry(b, op, block, entries, norm, freqs, scratch, slot, i, eps);
          roundStateRow(b, entriesType, entries, {slot, i});
          if (overlap) {
            // Keep this block's rows for the A halves of entry i+1.
            forEach(b, {ratioV, constIndex(b, 2 * cw)},
                    [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                      Value v = loadF32(b, block, {slot, ivs[0], ivs[1]});
                      storeF32(b, v, block,
                               {slot, iAdd(b, ivs[0], ratioV), ivs[1]});
                    });
            forEach(b, {ratioV}, [&](ImplicitLocOpBuilder &b, ValueRange rr) {
              roundStateRow(b, blockType, block,
                            {slot, iAdd(b, rr[0], ratioV)});
            });
          }
        });
      });
    });
    rewriter.replaceOp(op, {entries, block});
    return success();
  }

private:
  /// entries[slot, i, :] = the pooled, normed, roped (and rotated) entry i
  /// from the complete block in `block` rows [0, ratio) (and, with overlap,
  /// the previous block in rows [ratio, 2*ratio)). Storage rounding is left
  /// to the caller.
  static void emitEntry(ImplicitLocOpBuilder &b, CompressorOp op, Value block,
                        Value entries, Value norm, Value freqs, Value scratch,
                        Value slot, Value i, double eps) {
    bool overlap = op.getOverlap();
    int64_t ratio = op.getRatio();
    int64_t hd = cast<StateType>(op.getEntries().getType()).getWidth();
    int64_t cw = (overlap ? 2 : 1) * hd;
    int64_t r = op.getRope().getDims();
    Value zero = constIndex(b, 0), ratioV = constIndex(b, ratio);
    Value hdV = constIndex(b, hd);
    // The previous block's A slots exist for i > 0 (overlap only): the loops
    // over them run ratio or 0 times.
    Value prevCount = zero;
    if (overlap)
      prevCount = arith::SelectOp::create(
          b, iCmp(b, arith::CmpIPredicate::ugt, i, zero), ratioV, zero);
    // Column of channel ch in the current block: the B half with overlap.
    int64_t curOffset = overlap ? hd : 0;

    forEach(b, {hdV}, [&](ImplicitLocOpBuilder &b, ValueRange chs) {
      Value ch = chs[0];
      Value curKv = iAdd(b, ch, constIndex(b, curOffset));
      Value curGate = iAdd(b, curKv, constIndex(b, cw));
      Value prevKv = ch, prevGate = iAdd(b, ch, constIndex(b, cw));
      auto prevRow = [&](ImplicitLocOpBuilder &b, Value s) {
        return iAdd(b, s, ratioV);
      };
      // Slots in the reference's order: previous A halves, then this block.
      auto overSlots = [&](Value init,
                           function_ref<Value(ImplicitLocOpBuilder &, Value,
                                              Value, Value)>
                               body) {
        Value acc = reduce(b, prevCount, init,
                           [&](ImplicitLocOpBuilder &b, Value s, Value acc) {
                             Value row = prevRow(b, s);
                             Value g = loadF32(b, block, {slot, row, prevGate});
                             Value k = loadF32(b, block, {slot, row, prevKv});
                             return body(b, acc, g, k);
                           });
        return reduce(b, ratioV, acc,
                      [&](ImplicitLocOpBuilder &b, Value s, Value acc) {
                        return body(b, acc,
                                    loadF32(b, block, {slot, s, curGate}),
                                    loadF32(b, block, {slot, s, curKv}));
                      });
      };
      // softmax over the slots per channel: e = exp(g - max), e / sum(e).
      Value m = overSlots(constF32(b, -INFINITY),
                          [&](ImplicitLocOpBuilder &b, Value acc, Value g,
                              Value) { return fMax(b, acc, g); });
      auto weight = [&](ImplicitLocOpBuilder &b, Value g) {
        return math::ExpOp::create(b, arith::SubFOp::create(b, g, m));
      };
      Value sum = overSlots(constF32(b, 0.0),
                            [&](ImplicitLocOpBuilder &b, Value acc, Value g,
                                Value) {
                              return arith::AddFOp::create(b, acc,
                                                           weight(b, g));
                            });
      Value c = overSlots(
          constF32(b, 0.0),
          [&](ImplicitLocOpBuilder &b, Value acc, Value g, Value k) {
            Value p = arith::DivFOp::create(b, weight(b, g), sum);
            return arith::AddFOp::create(b, acc,
                                         arith::MulFOp::create(b, p, k));
          });
      storeF32(b, c, entries, {slot, i, ch});
    });

    // rmsnorm: c * (1 / sqrt(mean(c^2) + eps)) * norm
    Value sumSq = reduce(b, hdV, constF32(b, 0.0),
                         [&](ImplicitLocOpBuilder &b, Value ch, Value acc) {
                           Value v = loadF32(b, entries, {slot, i, ch});
                           return arith::AddFOp::create(
                               b, acc, arith::MulFOp::create(b, v, v));
                         });
    Value mean = arith::DivFOp::create(b, sumSq, constF32(b, double(hd)));
    Value inv = arith::DivFOp::create(
        b, constF32(b, 1.0),
        math::SqrtOp::create(b, arith::AddFOp::create(b, mean,
                                                      constF32(b, eps))));
    forEach(b, {hdV}, [&](ImplicitLocOpBuilder &b, ValueRange ch) {
      Value v = arith::MulFOp::create(
          b, loadF32(b, entries, {slot, i, ch[0]}), inv);
      v = arith::MulFOp::create(b, v, loadF32(b, norm, {ch[0]}));
      storeF32(b, v, entries, {slot, i, ch[0]});
    });

    // rope on the last r dims at the block's first position i*ratio.
    if (r > 0)
      ropeInPlace(b, entries, {slot, i}, hd - r, freqs, r / 2,
                  iMul(b, i, ratioV), op.getRope().getInverse());

    // Orthonormal Hadamard (Sylvester): out[j] = sum_k c[k] H[k, j],
    // H[k, j] = (-1)^popcount(k & j) / sqrt(hd).
    if (op.getRotate()) {
      Value h = constF32(b, 1.0 / std::sqrt(double(hd)));
      forEach(b, {hdV}, [&](ImplicitLocOpBuilder &b, ValueRange jj) {
        Value jI = arith::IndexCastOp::create(b, b.getI64Type(), jj[0]);
        Value v = reduce(
            b, hdV, constF32(b, 0.0),
            [&](ImplicitLocOpBuilder &b, Value k, Value acc) {
              Value kI = arith::IndexCastOp::create(b, b.getI64Type(), k);
              Value bits = math::CtPopOp::create(
                  b, arith::AndIOp::create(b, kI, jI));
              Value odd = arith::TruncIOp::create(b, b.getI1Type(), bits);
              Value sign = arith::SelectOp::create(
                  b, odd, arith::NegFOp::create(b, h), h);
              Value x = loadF32(b, entries, {slot, i, k});
              return arith::AddFOp::create(b, acc,
                                           arith::MulFOp::create(b, x, sign));
            });
        storeF32(b, v, scratch, {jj[0]});
      });
      forEach(b, {hdV}, [&](ImplicitLocOpBuilder &b, ValueRange jj) {
        storeF32(b, loadF32(b, scratch, {jj[0]}), entries, {slot, i, jj[0]});
      });
    }
  }
};

//===----------------------------------------------------------------------===//
// ds4.indexer_score
//===----------------------------------------------------------------------===//

/// I[b, j, i] = sum_h (weights[b,j,h] * scale) * relu(q[b,j,h,:] . keys[i,:])
/// for i < (t+1)/ratio (t = positions[b, j], keys of slot slots[b]), else
/// -inf. The result has as many columns as the keys state has rows.
struct IndexerScoreLowering : BufferLowering<IndexerScoreOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(IndexerScoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value q = adaptor.getQ(), weights = adaptor.getWeights();
    Value keys = adaptor.getKeys();
    Value positions = adaptor.getPositions(), slots = adaptor.getSlots();
    int64_t ratio = op.getKeys().getType().getRatio();
    SmallVector<Value> qDims = memrefDims(b, q);       // {B, S, IH, ID}
    SmallVector<Value> keyDims = memrefDims(b, keys);  // {slots, rows, ID}
    Value out = allocBuffer(b, bufferType(op.getType()),
                            {qDims[0], qDims[1], keyDims[1]});
    Value scale = constF32(b, op.getScale().convertToDouble());
    forEach(b, {qDims[0], qDims[1]}, [&](ImplicitLocOpBuilder &b,
                                         ValueRange bj) {
      Value t = loadIndex(b, positions, bj);
      Value slot = loadIndex(b, slots, {bj[0]});
      Value count = iDiv(b, iAdd(b, t, constIndex(b, 1)), constIndex(b, ratio));
      forEach(b, {keyDims[1]}, [&](ImplicitLocOpBuilder &b, ValueRange i) {
        Value visible = iCmp(b, arith::CmpIPredicate::ult, i[0], count);
        Value score = ifElse(
            b, visible,
            [&](ImplicitLocOpBuilder &b) {
              return reduce(
                  b, qDims[2], constF32(b, 0.0),
                  [&](ImplicitLocOpBuilder &b, Value h, Value acc) {
                    Value qk = dot(b, q, {bj[0], bj[1], h}, keys,
                                   {slot, i[0]}, qDims[3]);
                    Value relu = fMax(b, qk, constF32(b, 0.0));
                    Value w = arith::MulFOp::create(
                        b, loadF32(b, weights, {bj[0], bj[1], h}), scale);
                    return arith::AddFOp::create(
                        b, acc, arith::MulFOp::create(b, w, relu));
                  });
            },
            [&](ImplicitLocOpBuilder &b) { return constF32(b, -INFINITY); });
        storeF32(b, score, out, {bj[0], bj[1], i[0]});
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ds4.topk
//===----------------------------------------------------------------------===//

/// For t = positions[b, j] and count = (t+1)/ratio: the indices of the
/// kk = min(k, count) largest scores[b, j, i < count], in descending score
/// order (ties: the lower index first, so the choice is deterministic);
/// slots kk..k-1 hold -1. A running sorted list of the best kk so far:
/// a score enters when the list is not full or it beats the last one.
struct TopKLowering : BufferLowering<TopKOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value scores = adaptor.getScores(), positions = adaptor.getPositions();
    int64_t k = op.getK(), ratio = op.getRatio();
    SmallVector<Value> dims = memrefDims(b, scores); // {B, S, N}
    Value kV = constIndex(b, k), one = constIndex(b, 1);
    Value out =
        allocBuffer(b, bufferType(op.getType()), {dims[0], dims[1], kV});
    Type indexType = cast<MemRefType>(out.getType()).getElementType();
    // The selected scores, parallel to out[b, j, :].
    Value best =
        memref::AllocOp::create(b, MemRefType::get({k}, b.getF32Type()));
    forEach(b, {dims[0], dims[1]}, [&](ImplicitLocOpBuilder &b, ValueRange bj) {
      auto outAt = [&](Value m) { return concat(bj, m); };
      Value t = loadIndex(b, positions, bj);
      Value count = iMin(b, iDiv(b, iAdd(b, t, one), constIndex(b, ratio)),
                         dims[2]);
      Value kk = iMin(b, kV, count);
      forEach(b, {kV}, [&](ImplicitLocOpBuilder &b, ValueRange m) {
        memref::StoreOp::create(
            b, arith::ConstantOp::create(b, b.getIntegerAttr(indexType, -1)),
            out, outAt(m[0]));
        storeF32(b, constF32(b, -INFINITY), best, {m[0]});
      });
      reduce(b, count, constIndex(b, 0), [&](ImplicitLocOpBuilder &b, Value i,
                                             Value filled) {
        Value v = loadF32(b, scores, concat(bj, i));
        Value notFull = iCmp(b, arith::CmpIPredicate::ult, filled, kk);
        // kk >= 1 whenever the loop runs.
        Value last = loadF32(b, best, {iSub(b, kk, one)});
        Value beats =
            arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, v, last);
        Value enter = arith::OrIOp::create(b, notFull, beats);
        return ifElse(
            b, enter,
            [&](ImplicitLocOpBuilder &b) {
              // Insertion point: after every kept score >= v.
              Value at = reduce(
                  b, filled, constIndex(b, 0),
                  [&](ImplicitLocOpBuilder &b, Value m, Value acc) {
                    Value ge = arith::CmpFOp::create(
                        b, arith::CmpFPredicate::OGE, loadF32(b, best, {m}), v);
                    return arith::SelectOp::create(b, ge, iAdd(b, acc, one),
                                                   acc);
                  });
              Value size = iMin(b, iAdd(b, filled, one), kk);
              // Shift [at, size-1) one right, from the end.
              Value moves = iSub(b, iSub(b, size, one), at);
              forRange(b, constIndex(b, 0), moves,
                       [&](ImplicitLocOpBuilder &b, Value n) {
                         Value dst = iSub(b, iSub(b, size, one), n);
                         Value src = iSub(b, dst, one);
                         storeF32(b, loadF32(b, best, {src}), best, {dst});
                         Value id = memref::LoadOp::create(b, out, outAt(src));
                         memref::StoreOp::create(b, id, out, outAt(dst));
                       });
              storeF32(b, v, best, {at});
              memref::StoreOp::create(
                  b, arith::IndexCastOp::create(b, indexType, i), out,
                  outAt(at));
              return size;
            },
            [&](ImplicitLocOpBuilder &b) { return filled; });
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ds4.sparse_attention
//===----------------------------------------------------------------------===//

/// Per (b, j, h), t = positions[b, j], p0 = positions[b, 0] (this call's
/// first position), the entry set is
///   window:  positions u in [max(0, t-W+1), t]: u >= p0 from kv[b, u-p0],
///            u < p0 from the ring (the state before this call) row u mod W;
///   HCA:     entries[slot, i] for i < (t+1)/ratio;
///   CSA:     entries[slot, select[b, j, m]] for select >= 0.
/// z_e = (q . kv_e) * scale, mx = max(max_e z_e, sink[h]),
/// o = sum_e exp(z_e - mx) / (sum_e exp(z_e - mx) + exp(sink[h] - mx)) kv_e.
/// Logits, then probabilities, go through a scratch row: [0, W) window
/// entries by u - lo, [W, W + E) compressed entries.
struct SparseAttentionLowering : BufferLowering<SparseAttentionOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(SparseAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value q = adaptor.getQ(), kv = adaptor.getKv();
    Value window = adaptor.getWindow(), entries = adaptor.getEntries();
    Value select = adaptor.getSelect(), sink = adaptor.getSink();
    Value positions = adaptor.getPositions(), slots = adaptor.getSlots();
    SmallVector<Value> qDims = memrefDims(b, q); // {B, S, H, D}
    Value W = memrefDims(b, window)[1], D = qDims[3];
    Value zero = constIndex(b, 0), one = constIndex(b, 1);
    Value out = allocBuffer(b, bufferType(op.getType()), qDims);

    // Compressed entries per query: HCA up to the entries' rows, CSA k.
    Value entryRows = zero, selectK = zero;
    int64_t ratio = 0;
    if (entries) {
      entryRows = memrefDims(b, entries)[1];
      ratio = cast<StateType>(op.getEntries().getType()).getRatio();
    }
    if (select)
      selectK = memrefDims(b, select)[2];
    Value compressedCap = select ? selectK : entryRows;
    Value scratchSize = iAdd(b, W, compressedCap);
    Value z = memref::AllocOp::create(
        b, MemRefType::get({ShapedType::kDynamic}, b.getF32Type()),
        ValueRange{scratchSize});
    Value scale = constF32(b, op.getScale().convertToDouble());

    ArrayRef<Value> queries = ArrayRef<Value>(qDims).take_front(3); // B, S, H
    forEach(b, queries, [&](ImplicitLocOpBuilder &b, ValueRange bjh) {
      Value bi = bjh[0], j = bjh[1], h = bjh[2];
      Value qRow[] = {bi, j, h};
      Value t = loadIndex(b, positions, {bi, j});
      Value p0 = loadIndex(b, positions, {bi, zero});
      Value slot = loadIndex(b, slots, {bi});
      Value end = iAdd(b, t, one); // window positions [lo, end)
      Value lo = arith::SelectOp::create(
          b, iCmp(b, arith::CmpIPredicate::ugt, end, W), iSub(b, end, W), zero);
      Value ringEnd = iMax(b, lo, iMin(b, end, p0));  // ring: [lo, ringEnd)
      Value newBegin = iMax(b, lo, p0);               // kv:   [newBegin, end)
      // HCA: entries [0, nHca); CSA: select[0, selectK) where >= 0.
      Value nHca = zero;
      if (entries && !select)
        nHca = iMin(b, iDiv(b, end, constIndex(b, ratio)), entryRows);

      // Entry rows of each source, by scratch slot.
      auto ringRow = [&](ImplicitLocOpBuilder &b, Value u) {
        return SmallVector<Value>{slot, iRem(b, u, W)};
      };
      auto newRow = [&](ImplicitLocOpBuilder &b, Value u) {
        return SmallVector<Value>{bi, iSub(b, u, p0)};
      };
      auto windowSlot = [&](ImplicitLocOpBuilder &b, Value u) {
        return iSub(b, u, lo);
      };
      auto compressedSlot = [&](ImplicitLocOpBuilder &b, Value m) {
        return iAdd(b, W, m);
      };
      // CSA selection m: {valid (>= 0), raw entry index}.
      auto selected = [&](ImplicitLocOpBuilder &b, Value m) {
        Value raw = memref::LoadOp::create(b, select, ValueRange{bi, j, m});
        Value valid = iCmp(b, arith::CmpIPredicate::sge, raw,
                           arith::ConstantOp::create(
                               b, b.getIntegerAttr(raw.getType(), 0)));
        return std::array<Value, 2>{valid, raw};
      };
      auto toIndex = [&](ImplicitLocOpBuilder &b, Value raw) {
        return arith::IndexCastOp::create(b, b.getIndexType(), raw).getResult();
      };

      // Pass 1: logits into the scratch row, and their maximum.
      auto logit = [&](ImplicitLocOpBuilder &b, Value src, ValueRange row,
                       Value at, Value acc) {
        Value zv =
            arith::MulFOp::create(b, dot(b, q, qRow, src, row, D), scale);
        storeF32(b, zv, z, {at});
        return fMax(b, acc, zv);
      };
      // Folds `visit(b, src, row, scratchSlot, acc)` over this query's entry
      // set: ring rows of earlier tokens, this call's kv rows, then every HCA
      // entry or the selected CSA entries (`invalid` for a -1 selection).
      auto overEntries = [&](ImplicitLocOpBuilder &b, Value init, auto visit,
                             auto invalid) {
        Value acc = reduce(b, lo, ringEnd, init,
                           [&](ImplicitLocOpBuilder &b, Value u, Value acc) {
                             return visit(b, window, ringRow(b, u),
                                          windowSlot(b, u), acc);
                           });
        acc = reduce(b, newBegin, end, acc,
                     [&](ImplicitLocOpBuilder &b, Value u, Value acc) {
                       return visit(b, kv, newRow(b, u), windowSlot(b, u), acc);
                     });
        if (entries && !select) {
          acc = reduce(b, nHca, acc,
                       [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
                         return visit(b, entries, {slot, i},
                                      compressedSlot(b, i), acc);
                       });
        } else if (select) {
          acc = reduce(b, selectK, acc,
                       [&](ImplicitLocOpBuilder &b, Value m, Value acc) {
                         std::array<Value, 2> sel = selected(b, m);
                         Value valid = sel[0], raw = sel[1];
                         return ifElse(
                             b, valid,
                             [&](ImplicitLocOpBuilder &b) {
                               return visit(b, entries, {slot, toIndex(b, raw)},
                                            compressedSlot(b, m), acc);
                             },
                             [&](ImplicitLocOpBuilder &b) {
                               return invalid(b, compressedSlot(b, m), acc);
                             });
                       });
        }
        return acc;
      };

      Value mx = overEntries(
          b, constF32(b, -INFINITY), logit,
          [&](ImplicitLocOpBuilder &b, Value at, Value acc) {
            // exp(-inf - mx) = 0 in pass 2.
            storeF32(b, constF32(b, -INFINITY), z, {at});
            return acc;
          });
      Value sinkH = loadF32(b, sink, {h});
      mx = fMax(b, mx, sinkH);

      // Pass 2: e = exp(z - mx) in place, denominator with the sink.
      Value nWindow = iSub(b, end, lo);
      Value cBegin = W, cEnd = iAdd(b, W, select ? selectK : nHca);
      auto expSum = [&](Value lb, Value ub, Value init) {
        return reduce(b, lb, ub, init, [&](ImplicitLocOpBuilder &b, Value s,
                                           Value acc) {
          Value e = math::ExpOp::create(
              b, arith::SubFOp::create(b, loadF32(b, z, {s}), mx));
          storeF32(b, e, z, {s});
          return arith::AddFOp::create(b, acc, e);
        });
      };
      Value denom = expSum(zero, nWindow, constF32(b, 0.0));
      denom = expSum(cBegin, cEnd, denom);
      denom = arith::AddFOp::create(
          b, denom,
          math::ExpOp::create(b, arith::SubFOp::create(b, sinkH, mx)));
      // p = e / denom
      auto normalize = [&](Value lb, Value ub) {
        forRange(b, lb, ub, [&](ImplicitLocOpBuilder &b, Value s) {
          storeF32(b, arith::DivFOp::create(b, loadF32(b, z, {s}), denom), z,
                   {s});
        });
      };
      normalize(zero, nWindow);
      normalize(cBegin, cEnd);

      // Pass 3: o[d] = sum_e p_e kv_e[d].
      forEach(b, {D}, [&](ImplicitLocOpBuilder &b, ValueRange ds) {
        Value d = ds[0];
        auto weighted = [&](ImplicitLocOpBuilder &b, Value src, ValueRange row,
                            Value at, Value acc) {
          Value v = loadF32(b, src, concat(row, d));
          return arith::AddFOp::create(
              b, acc, arith::MulFOp::create(b, loadF32(b, z, {at}), v));
        };
        Value o = overEntries(
            b, constF32(b, 0.0), weighted,
            [&](ImplicitLocOpBuilder &, Value, Value acc) { return acc; });
        storeF32(b, o, out, {bi, j, h, d});
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Test support: a state made from a buffer
//===----------------------------------------------------------------------===//

/// `builtin.unrealized_conversion_cast` between a `!ds4.state` and the
/// memref it converts to (in either direction) is that memref. Model IR never
/// contains such casts; lit tests use them to build a state from a filled
/// buffer in `@main` and to print an updated state.
struct StateCastLowering : OpConversionPattern<UnrealizedConversionCastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnrealizedConversionCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op->getNumOperands() != 1 || op->getNumResults() != 1)
      return failure();
    Type from = op->getOperand(0).getType(), to = op->getResult(0).getType();
    if (!isa<StateType>(from) && !isa<StateType>(to))
      return failure();
    Value input = adaptor.getOperands()[0];
    if (getTypeConverter()->convertType(to) != input.getType())
      return rewriter.notifyMatchFailure(op, "not a state <-> buffer cast");
    rewriter.replaceOp(op, input);
    return success();
  }
};

} // namespace

void lowering::populateAttentionToLoopsPatterns(TypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<WindowUpdateLowering, CompressorLowering, IndexerScoreLowering,
               TopKLowering, SparseAttentionLowering, StateCastLowering>(
      converter, patterns.getContext());
}

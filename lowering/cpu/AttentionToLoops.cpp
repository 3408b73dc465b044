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
//   (topk: TopkToLoops.cpp)
//   sparse_attention  window + compressed entries, one softmax with sink
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"
#include "lowering/gpu/TensorCoreAttention.h"
#include "lowering/gpu/TensorCoreIndexer.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <algorithm>
#include <array>
#include <cmath>

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Small builders (index arithmetic, branches, dot products, rope)
//===----------------------------------------------------------------------===//

/// An index value as f64 (positions for rope angles).
Value indexToF64(ImplicitLocOpBuilder &b, Value v) {
  Value i64 = arith::IndexCastOp::create(b, b.getI64Type(), v);
  return arith::SIToFPOp::create(b, b.getF64Type(), i64);
}

/// sum_d x[xRow, d] * y[yRow, d] over d < n, in f32; a split reduction
/// (16 bytes of y's row per lane step).
Value dot(ImplicitLocOpBuilder &b, Value x, ValueRange xRow, Value y,
          ValueRange yRow, Value n) {
  unsigned bits = cast<MemRefType>(y.getType()).getElementTypeBitWidth();
  return splitReduce(b, n, constF32(b, 0.0), std::max(1u, 128 / bits),
                [&](ImplicitLocOpBuilder &b, Value d, Value acc) {
                  Value p = arith::MulFOp::create(
                      b, loadF32(b, x, concat(xRow, d)),
                      loadF32(b, y, concat(yRow, d)));
                  return arith::AddFOp::create(b, acc, p);
                });
}

/// Interleaved rope of the pair (x0, x1) = (x[2k], x[2k+1]) at position
/// `pos`: angle = pos * f_k in f64 (negated for the inverse), cos / sin
/// rounded to f32, the rotation in f32 (as `apply_rope` of the reference).
std::array<Value, 2> ropePair(ImplicitLocOpBuilder &b, RopeAttr rope, Value k,
                              Value pos, bool inverse, Value x0, Value x1) {
  Value angle =
      arith::MulFOp::create(b, indexToF64(b, pos), ropeFrequency(b, rope, k));
  if (inverse)
    angle = arith::NegFOp::create(b, angle);
  Value cos =
      arith::TruncFOp::create(b, b.getF32Type(), math::CosOp::create(b, angle));
  Value sin =
      arith::TruncFOp::create(b, b.getF32Type(), math::SinOp::create(b, angle));
  Value y0 = arith::SubFOp::create(b, arith::MulFOp::create(b, x0, cos),
                                   arith::MulFOp::create(b, x1, sin));
  Value y1 = arith::AddFOp::create(b, arith::MulFOp::create(b, x0, sin),
                                   arith::MulFOp::create(b, x1, cos));
  return {y0, y1};
}

//===----------------------------------------------------------------------===//
// ds4.window_update
//===----------------------------------------------------------------------===//

/// window[slots[b], p mod W, :] = kv[b, j, :] for p = positions[b, j], then
/// the row is rounded to the state's storage. Only the last W tokens of a
/// row can survive (j >= first = max(S - W, 0)), and of those the last one
/// of each ring row wins: one scf.parallel over batch rows x ring rows x
/// rounding groups (stateRowGroups), each finding its row's winner, so
/// iterations write disjoint elements whatever the positions (batch rows
/// have distinct slots).
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
    Value rows = state[1];
    // first = max(S - W, 0)
    Value first = iMax(b, iSub(b, tokens[1], rows), constIndex(b, 0));
    Value groups = constIndex(b, stateRowGroups(stateType));
    parallelForEach(
        b, {tokens[0], rows, groups},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value bi = ivs[0], row = ivs[1], g = ivs[2];
          // The last token j in [first, S) with positions[b, j] mod W = row,
          // or -1.
          Value none = constIndex(b, -1);
          Value winner = reduce(
              b, first, tokens[1], none,
              [&](ImplicitLocOpBuilder &b, Value j, Value acc) {
                Value p = loadIndex(b, positions, {bi, j});
                Value hit = iCmp(b, arith::CmpIPredicate::eq, iRem(b, p, rows),
                                 row);
                return arith::SelectOp::create(b, hit, j, acc).getResult();
              });
          Value written = iCmp(b, arith::CmpIPredicate::ne, winner, none);
          ifThen(b, written, [&](ImplicitLocOpBuilder &b) {
            Value slot = loadIndex(b, slots, {bi});
            writeStateRowGroup(b, stateType, window, {slot, row}, g,
                               [&](ImplicitLocOpBuilder &b, Value d) {
                                 return loadF32(b, kv, {bi, winner, d});
                               });
          });
        });
    rewriter.replaceOp(op, window);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ds4.compressor
//===----------------------------------------------------------------------===//

/// Per batch row b (slot = slots[b]; the call's tokens are at the contiguous
/// positions p0 = positions[b, 0] .. pEnd - 1, pEnd = p0 + S), the same
/// values as taking the tokens one by one: token p is written to `block` row
/// p mod ratio as [kv | gate + ape[p mod ratio]] (width 2*c*hd); when
/// p = (i+1)*ratio - 1, entry i is computed into `entries` row i:
///
///   per channel ch < hd, over the slots of entry i
///     (no overlap: the tokens of block i, channel ch;
///      overlap: the A halves (channel ch) of block i-1 (absent for i = 0),
///      then the B halves (channel hd + ch) of block i):
///     c[ch] = sum_slot softmax_slot(gate) * kv
///   c = rmsnorm(c, norm, eps); rope(c[hd-r:], i*ratio); [c = c @ Hadamard]
///
/// then rounded to the entries' storage; with overlap the block's rows are
/// copied to rows [ratio, 2*ratio) for entry i+1.
///
/// An entry only depends on the token rows of its window, which come from
/// this call's inputs (position >= p0) or from the block state the previous
/// call left (the block of p0 in rows [0, ratio), the block before it in
/// rows [ratio, 2*ratio)). So the call is a sequence of top-level
/// scf.parallel phases over the entries it completes, i = p0/ratio + e for
/// e < ceil(S/ratio) (those with (i+1)*ratio <= pEnd), none a recurrence:
///
///   pool   (b, e, ch < hd):   c[ch] into entries[slot, i, ch];
///   norm   (b, e):            inv = 1/sqrt(mean(c^2) + eps) into a buffer;
///   scale  (b, e, unit):      c * inv * norm, one nope channel or one rope
///                             pair (then roped), in place;
///   rotate (b, e, j < hd):    the Hadamard product's column j into a buffer
///                             (with `rotate` only);
///   round  (b, e, group):     the entries' storage rounding per group
///                             (stateRowGroups; skipped for f32 storage
///                             without `rotate`);
///   block  (b, row < ratio, col < 2*c*hd): the block state after the call:
///                             row `row` holds the last token of the call
///                             with p mod ratio = row (else stays), and with
///                             overlap row ratio + row the same row of the
///                             last completed block, if the call completed
///                             one (else stays). The old state values it
///                             reads are read by the same iteration before
///                             it writes them; it runs after the pool phase,
///                             the only other reader of the old state.
///
/// Every value comes out of the same f32 operations in the same order as
/// the sequential form (the block state is f32 storage, so its rows hold the
/// input values exactly).
struct CompressorLowering : BufferLowering<CompressorOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(CompressorOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    StateType blockType = op.getBlock().getType();
    StateType entriesType = op.getEntries().getType();
    if (blockType.getStorage() != StateStorage::f32)
      return rewriter.notifyMatchFailure(op, "pending block rows are f32");
    Value block = adaptor.getBlock(), entries = adaptor.getEntries();
    Value kv = adaptor.getKv(), gate = adaptor.getGate();
    Value ape = adaptor.getApe(), norm = adaptor.getNorm();
    Value positions = adaptor.getPositions(), slots = adaptor.getSlots();
    bool overlap = op.getOverlap(), rotate = op.getRotate();
    int64_t ratio = op.getRatio();
    int64_t hd = entriesType.getWidth();
    int64_t cw = (overlap ? 2 : 1) * hd; // c*hd: the kv (or gate) part of a row
    int64_t r = op.getRope().getDims();
    double eps = op.getEps().convertToDouble();
    RopeAttr rope = op.getRope();

    SmallVector<Value> tokens = memrefDims(b, positions); // {B, S}
    Value zero = constIndex(b, 0), one = constIndex(b, 1);
    Value ratioV = constIndex(b, ratio), hdV = constIndex(b, hd);
    Value cwV = constIndex(b, cw);
    // Entries a call can complete: at most ceil(S / ratio).
    Value maxEntries = arith::CeilDivUIOp::create(b, tokens[1], ratioV);
    int64_t staticB = cast<MemRefType>(positions.getType()).getShape()[0];
    Type f32 = b.getF32Type();

    // The tokens of batch row `bi`.
    struct Row {
      Value slot, p0, pEnd, blockStart;
    };
    auto rowOf = [&](ImplicitLocOpBuilder &b, Value bi) {
      Row row;
      row.slot = loadIndex(b, slots, {bi});
      row.p0 = loadIndex(b, positions, {bi, zero});
      row.pEnd = iAdd(b, row.p0, tokens[1]);
      row.blockStart = iMul(b, iDiv(b, row.p0, ratioV), ratioV);
      return row;
    };
    // The old state row of the token at position q < p0: the block of p0
    // in rows [0, ratio), the block before it (overlap) in [ratio, 2*ratio).
    auto stateRow = [&](ImplicitLocOpBuilder &b, const Row &row, Value q) {
      Value inBlock = iRem(b, q, ratioV);
      if (!overlap)
        return inBlock;
      return arith::SelectOp::create(
                 b, iCmp(b, arith::CmpIPredicate::uge, q, row.blockStart),
                 inBlock, iAdd(b, inBlock, ratioV))
          .getResult();
    };
    // The kv (kvAt) or gate + ape (gateAt) value of channel c < cw of the
    // token at position q, as the block row the sequential form reads holds
    // it: q >= p0 from this call's inputs, else from the old state (stateRow).
    auto kvAt = [&](ImplicitLocOpBuilder &b, const Row &row, Value bi, Value q,
                    Value c) {
      return ifElse(
          b, iCmp(b, arith::CmpIPredicate::uge, q, row.p0),
          [&](ImplicitLocOpBuilder &b) {
            return loadF32(b, kv, {bi, iSub(b, q, row.p0), c});
          },
          [&](ImplicitLocOpBuilder &b) {
            return loadF32(b, block, {row.slot, stateRow(b, row, q), c});
          });
    };
    auto gateAt = [&](ImplicitLocOpBuilder &b, const Row &row, Value bi,
                      Value q, Value c) {
      return ifElse(
          b, iCmp(b, arith::CmpIPredicate::uge, q, row.p0),
          [&](ImplicitLocOpBuilder &b) {
            return arith::AddFOp::create(
                       b, loadF32(b, gate, {bi, iSub(b, q, row.p0), c}),
                       loadF32(b, ape, {iRem(b, q, ratioV), c}))
                .getResult();
          },
          [&](ImplicitLocOpBuilder &b) {
            return loadF32(b, block,
                           {row.slot, stateRow(b, row, q), iAdd(b, c, cwV)});
          });
    };
    // Emitted entry e of row `bi`: {entry index, valid}.
    auto entryOf = [&](ImplicitLocOpBuilder &b, const Row &row, Value e) {
      Value i = iAdd(b, iDiv(b, row.p0, ratioV), e);
      Value end = iMul(b, iAdd(b, i, one), ratioV);
      Value valid = iCmp(b, arith::CmpIPredicate::ule, end, row.pEnd);
      return std::array<Value, 2>{i, valid};
    };
    auto onEntries =
        [&](ArrayRef<Value> inner,
            function_ref<void(ImplicitLocOpBuilder &, const Row &, Value bi,
                              Value e, Value i, ValueRange inner)>
                body) {
          parallelForEach(
              b, concat(ValueRange{tokens[0], maxEntries}, inner),
              [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                Row row = rowOf(b, ivs[0]);
                std::array<Value, 2> entry = entryOf(b, row, ivs[1]);
                ifThen(b, entry[1], [&](ImplicitLocOpBuilder &b) {
                  body(b, row, ivs[0], ivs[1], entry[0], ivs.drop_front(2));
                });
              });
        };

    // (a) pool: c[ch] of entry i, the slots in the reference's order
    // (previous A halves, then this block).
    onEntries({hdV}, [&](ImplicitLocOpBuilder &b, const Row &row, Value bi,
                         Value, Value i, ValueRange inner) {
      Value ch = inner[0];
      Value first = iMul(b, i, ratioV); // the block's first position
      // The previous block's A slots exist for i > 0 (overlap only).
      Value prevCount = zero;
      if (overlap)
        prevCount = arith::SelectOp::create(
            b, iCmp(b, arith::CmpIPredicate::ugt, i, zero), ratioV, zero);
      Value curCol = iAdd(b, ch, constIndex(b, overlap ? hd : 0));
      using SlotBody = function_ref<Value(ImplicitLocOpBuilder &, Value acc,
                                          Value q, Value col)>;
      auto overSlots = [&](Value init, SlotBody body) {
        Value acc = reduce(b, prevCount, init,
                           [&](ImplicitLocOpBuilder &b, Value s, Value acc) {
                             Value q = iSub(b, iAdd(b, first, s), ratioV);
                             return body(b, acc, q, ch);
                           });
        return reduce(b, ratioV, acc,
                      [&](ImplicitLocOpBuilder &b, Value s, Value acc) {
                        return body(b, acc, iAdd(b, first, s), curCol);
                      });
      };
      // softmax over the slots per channel: e = exp(g - max), e / sum(e).
      Value m =
          overSlots(constF32(b, -INFINITY), [&](ImplicitLocOpBuilder &b,
                                                Value acc, Value q, Value col) {
            return fMax(b, acc, gateAt(b, row, bi, q, col));
          });
      auto weight = [&](ImplicitLocOpBuilder &b, Value q, Value col) {
        return math::ExpOp::create(
            b, arith::SubFOp::create(b, gateAt(b, row, bi, q, col), m));
      };
      Value sum =
          overSlots(constF32(b, 0.0), [&](ImplicitLocOpBuilder &b, Value acc,
                                          Value q, Value col) {
            return arith::AddFOp::create(b, acc, weight(b, q, col));
          });
      Value c = overSlots(constF32(b, 0.0), [&](ImplicitLocOpBuilder &b,
                                                Value acc, Value q, Value col) {
        Value p = arith::DivFOp::create(b, weight(b, q, col), sum);
        Value k = kvAt(b, row, bi, q, col);
        return arith::AddFOp::create(b, acc, arith::MulFOp::create(b, p, k));
      });
      storeF32(b, c, entries, {row.slot, i, ch});
    });

    // (b) norm: inv = 1 / sqrt(mean(c^2) + eps) of each entry.
    Value invs =
        allocBuffer(b, MemRefType::get({staticB, ShapedType::kDynamic}, f32),
                    {tokens[0], maxEntries});
    onEntries({}, [&](ImplicitLocOpBuilder &b, const Row &row, Value bi,
                      Value e, Value i, ValueRange) {
      Value sumSq = reduce(b, hdV, constF32(b, 0.0),
                           [&](ImplicitLocOpBuilder &b, Value ch, Value acc) {
                             Value v = loadF32(b, entries, {row.slot, i, ch});
                             return arith::AddFOp::create(
                                 b, acc, arith::MulFOp::create(b, v, v));
                           });
      Value mean = arith::DivFOp::create(b, sumSq, constF32(b, double(hd)));
      Value inv = arith::DivFOp::create(
          b, constF32(b, 1.0),
          math::SqrtOp::create(
              b, arith::AddFOp::create(b, mean, constF32(b, eps))));
      storeF32(b, inv, invs, {bi, e});
    });

    // (c) scale (c * inv * norm) and rope: units [0, hd - r) are the nope
    // channels, unit hd - r + k the rope pair (hd - r + 2k, hd - r + 2k + 1)
    // at the block's first position i*ratio.
    int64_t nope = hd - r;
    onEntries({constIndex(b, nope + r / 2)}, [&](ImplicitLocOpBuilder &b,
                                                 const Row &row, Value bi,
                                                 Value e, Value i,
                                                 ValueRange inner) {
      Value inv = loadF32(b, invs, {bi, e});
      auto normed = [&](ImplicitLocOpBuilder &b, Value ch) {
        Value v = arith::MulFOp::create(
            b, loadF32(b, entries, {row.slot, i, ch}), inv);
        return arith::MulFOp::create(b, v, loadF32(b, norm, {ch})).getResult();
      };
      Value u = inner[0];
      Value nopeV = constIndex(b, nope);
      auto scaleNope = [&](ImplicitLocOpBuilder &b) {
        storeF32(b, normed(b, u), entries, {row.slot, i, u});
      };
      if (r == 0) {
        scaleNope(b);
        return;
      }
      scf::IfOp::create(
          b, iCmp(b, arith::CmpIPredicate::ult, u, nopeV),
          [&](OpBuilder &nested, Location loc) {
            ImplicitLocOpBuilder ib(loc, nested);
            scaleNope(ib);
            scf::YieldOp::create(ib);
          },
          [&](OpBuilder &nested, Location loc) {
            ImplicitLocOpBuilder ib(loc, nested);
            Value k = iSub(ib, u, nopeV);
            Value c0 = iAdd(ib, nopeV, iMul(ib, k, constIndex(ib, 2)));
            Value c1 = iAdd(ib, c0, constIndex(ib, 1));
            std::array<Value, 2> y =
                ropePair(ib, rope, k, iMul(ib, i, ratioV), rope.getInverse(),
                         normed(ib, c0), normed(ib, c1));
            storeF32(ib, y[0], entries, {row.slot, i, c0});
            storeF32(ib, y[1], entries, {row.slot, i, c1});
            scf::YieldOp::create(ib);
          });
    });

    // (d) rotate: orthonormal Hadamard (Sylvester), out[j] = sum_k c[k]
    // H[k, j], H[k, j] = (-1)^popcount(k & j) / sqrt(hd), into a buffer.
    Value rotated;
    if (rotate) {
      rotated = allocBuffer(
          b, MemRefType::get({staticB, ShapedType::kDynamic, hd}, f32),
          {tokens[0], maxEntries, hdV});
      Value h = constF32(b, 1.0 / std::sqrt(double(hd)));
      onEntries({hdV}, [&](ImplicitLocOpBuilder &b, const Row &row, Value bi,
                           Value e, Value i, ValueRange inner) {
        Value jI = arith::IndexCastOp::create(b, b.getI64Type(), inner[0]);
        Value v = reduce(
            b, hdV, constF32(b, 0.0),
            [&](ImplicitLocOpBuilder &b, Value k, Value acc) {
              Value kI = arith::IndexCastOp::create(b, b.getI64Type(), k);
              Value bits =
                  math::CtPopOp::create(b, arith::AndIOp::create(b, kI, jI));
              Value odd = arith::TruncIOp::create(b, b.getI1Type(), bits);
              Value sign = arith::SelectOp::create(
                  b, odd, arith::NegFOp::create(b, h), h);
              Value x = loadF32(b, entries, {row.slot, i, k});
              return arith::AddFOp::create(b, acc,
                                           arith::MulFOp::create(b, x, sign));
            });
        storeF32(b, v, rotated, {bi, e, inner[0]});
      });
    }

    // (e) round: each rounding group of the entry's final values.
    if (rotate || entriesType.getStorage() != StateStorage::f32) {
      onEntries({constIndex(b, stateRowGroups(entriesType))},
                [&](ImplicitLocOpBuilder &b, const Row &row, Value bi, Value e,
                    Value i, ValueRange inner) {
                  writeStateRowGroup(
                      b, entriesType, entries, {row.slot, i}, inner[0],
                      [&](ImplicitLocOpBuilder &b, Value ch) {
                        if (rotate)
                          return loadF32(b, rotated, {bi, e, ch});
                        return loadF32(b, entries, {row.slot, i, ch});
                      });
                });
    }

    // (f) block: the state after the call (no iterations when S = 0: the
    // rows' positions are then unknown, and nothing changes).
    Value batch = arith::SelectOp::create(
        b, iCmp(b, arith::CmpIPredicate::ugt, tokens[1], zero), tokens[0],
        zero);
    parallelForEach(
        b, {batch, ratioV, constIndex(b, 2 * cw)},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value bi = ivs[0], rowIdx = ivs[1], col = ivs[2];
          Row row = rowOf(b, bi);
          auto valueAt = [&](ImplicitLocOpBuilder &b, Value q) {
            return ifElse(
                b, iCmp(b, arith::CmpIPredicate::ult, col, cwV),
                [&](ImplicitLocOpBuilder &b) {
                  return kvAt(b, row, bi, q, col);
                },
                [&](ImplicitLocOpBuilder &b) {
                  return gateAt(b, row, bi, q, iSub(b, col, cwV));
                });
          };
          // Overlap: the last completed block's row (read before the
          // current row is overwritten below).
          Value completed, prev;
          if (overlap) {
            Value blocksEnd = iDiv(b, row.pEnd, ratioV);
            completed = iCmp(b, arith::CmpIPredicate::ugt, blocksEnd,
                             iDiv(b, row.p0, ratioV));
            prev = ifElse(
                b, completed,
                [&](ImplicitLocOpBuilder &b) {
                  Value q =
                      iAdd(b, iMul(b, iSub(b, blocksEnd, one), ratioV), rowIdx);
                  return valueAt(b, q);
                },
                [&](ImplicitLocOpBuilder &b) { return constF32(b, 0.0); });
          }
          // The last token of the call with position mod ratio = rowIdx:
          // q = pEnd - 1 - ((pEnd - 1 - rowIdx) mod ratio), if q >= p0.
          Value last = iSub(b, row.pEnd, one);
          Value back = iRem(b, iSub(b, iAdd(b, last, ratioV), rowIdx), ratioV);
          Value q = iSub(b, last, back);
          Value written = iCmp(b, arith::CmpIPredicate::sge, q, row.p0);
          ifThen(b, written, [&](ImplicitLocOpBuilder &b) {
            storeF32(b, valueAt(b, q), block, {row.slot, rowIdx, col});
          });
          if (overlap)
            ifThen(b, completed, [&](ImplicitLocOpBuilder &b) {
              storeF32(b, prev, block,
                       {row.slot, iAdd(b, rowIdx, ratioV), col});
            });
        });
    rewriter.replaceOp(op, {entries, block});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ds4.indexer_score
//===----------------------------------------------------------------------===//

/// I[b, j, i] = sum_h (weights[b,j,h] * scale) * relu(q[b,j,h,:] . keys[i,:])
/// for i < (t+1)/ratio (t = positions[b, j], keys of slot slots[b]), else
/// -inf. The result has as many columns as the keys state has rows.
struct IndexerScoreLowering : BufferLowering<IndexerScoreOp> {
  IndexerScoreLowering(TypeConverter &converter, MLIRContext *ctx,
                       const LoopLoweringOptions &options)
      : BufferLowering(converter, ctx), options(options) {}
  LoopLoweringOptions options;
  LogicalResult
  matchAndRewrite(IndexerScoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The op's own tile shapes (#ds4.tiling, the tiled phase) over the
    // pass's options.
    const LoopLoweringOptions options = tiledOptions(op, this->options);
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
    // On the GPU every query's scores are warp tiles of mma.sync, decode
    // included: a warp makes 32 scores (TensorCoreIndexer.h). Where the
    // CPU's order matters for bit-identical GPU results (a short prefill
    // of the tiny configs) no score does: those rows have no more entries
    // than the top-k keeps, so the selection is every entry whatever the
    // scores.
    auto qType = cast<MemRefType>(q.getType());
    if (options.tensorCores && supportsTensorCoreIndexer(qType)) {
      IndexerScores s;
      s.q = q;
      s.weights = weights;
      s.keys = keys;
      s.positions = positions;
      s.slots = slots;
      s.out = out;
      s.qDims = qDims;
      s.d = qType.getShape()[3];
      s.ratio = ratio;
      s.scale = scale;
      emitTensorCoreIndexerScores(b, s);
      rewriter.replaceOp(op, out);
      return success();
    }
    // One iteration per score (b, j, i).
    parallelForEach(
        b, {qDims[0], qDims[1], keyDims[1]},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value bi = ivs[0], j = ivs[1], i = ivs[2];
          Value t = loadIndex(b, positions, {bi, j});
          Value slot = loadIndex(b, slots, {bi});
          Value count =
              iDiv(b, iAdd(b, t, constIndex(b, 1)), constIndex(b, ratio));
          Value visible = iCmp(b, arith::CmpIPredicate::ult, i, count);
          Value score = ifElse(
              b, visible,
              [&](ImplicitLocOpBuilder &b) {
                // Heads in order; each head's dot product is split over
                // the lanes (neighbouring lanes read neighbouring channels
                // of the query and key rows).
                return reduce(
                    b, qDims[2], constF32(b, 0.0),
                    [&](ImplicitLocOpBuilder &b, Value h, Value acc) {
                      Value qk =
                          dot(b, q, {bi, j, h}, keys, {slot, i}, qDims[3]);
                      Value relu = fMax(b, qk, constF32(b, 0.0));
                      Value w = arith::MulFOp::create(
                          b, loadF32(b, weights, {bi, j, h}), scale);
                      return arith::AddFOp::create(
                          b, acc, arith::MulFOp::create(b, w, relu));
                    });
              },
              [&](ImplicitLocOpBuilder &b) { return constF32(b, -INFINITY); });
          storeF32(b, score, out, ivs);
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
///
/// Five scf.parallel through buffers z [B, S, H, W + C] (C: CSA k, HCA the
/// entries' rows, else 0; slot u - lo for window position u, W + m for
/// compressed entry m; -inf where no entry), mx and denom [B, S, H]:
///   (b, j, h, e):  z = the logit of slot e (one dot product over D);
///   (b, j, h):     mx, then the denominator sum exp(z - mx) with the sink
///                  (window slots, then compressed, in order);
///   (b, j, h, e):  z = p = exp(z - mx) / denom in place;
///   (b, j, h, part, d): the sum of p_e kv_e[d] over one of 8 ranges of
///                  slots (1 with 8 or more query rows; entries in the
///                  order ring, new kv, compressed);
///   (b, j, h, d):  o[d] = the parts added in order.
struct SparseAttentionLowering : BufferLowering<SparseAttentionOp> {
  SparseAttentionLowering(TypeConverter &converter, MLIRContext *ctx,
                          const LoopLoweringOptions &options)
      : BufferLowering(converter, ctx), options(options) {}
  LoopLoweringOptions options;
  /// Query rows (B * S) from which the logits run on tensor cores (when
  /// enabled); decode keeps the per-slot dot products.
  static constexpr int64_t kTensorCoreQueries = 8;
  LogicalResult
  matchAndRewrite(SparseAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The op's own tile shapes (#ds4.tiling, the tiled phase) over the
    // pass's options.
    const LoopLoweringOptions options = tiledOptions(op, this->options);
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value q = adaptor.getQ(), kv = adaptor.getKv();
    Value window = adaptor.getWindow(), entries = adaptor.getEntries();
    Value select = adaptor.getSelect(), sink = adaptor.getSink();
    Value positions = adaptor.getPositions(), slots = adaptor.getSlots();
    SmallVector<Value> qDims = memrefDims(b, q); // {B, S, H, D}
    Value W = memrefDims(b, window)[1], D = qDims[3];
    Value zero = constIndex(b, 0), one = constIndex(b, 1);
    MemRefType outType = bufferType(op.getType());
    Value out = allocBuffer(b, outType, qDims);

    // Compressed slots per query: HCA the entries' rows, CSA k, else none.
    bool hca = entries && !select;
    Value cap = zero, entryRows = zero;
    int64_t ratio = 0;
    int64_t staticCap = 0;
    if (entries) {
      entryRows = memrefDims(b, entries)[1];
      ratio = cast<StateType>(op.getEntries().getType()).getRatio();
      cap = entryRows;
      staticCap = cast<MemRefType>(entries.getType()).getShape()[1];
    }
    if (select) {
      cap = memrefDims(b, select)[2];
      staticCap = cast<MemRefType>(select.getType()).getShape()[2];
    }
    int64_t staticW = cast<MemRefType>(window.getType()).getShape()[1];
    int64_t staticSlots = ShapedType::isDynamic(staticW) ||
                                  ShapedType::isDynamic(staticCap)
                              ? ShapedType::kDynamic
                              : staticW + staticCap;
    Value nSlots = staticSlots == ShapedType::kDynamic
                       ? iAdd(b, W, cap)
                       : constIndex(b, staticSlots);
    ArrayRef<int64_t> qShape = cast<MemRefType>(q.getType()).getShape();
    Type f32 = b.getF32Type();
    Value z = allocBuffer(
        b, MemRefType::get({qShape[0], qShape[1], qShape[2], staticSlots}, f32),
        {qDims[0], qDims[1], qDims[2], nSlots});
    ArrayRef<Value> queries = ArrayRef<Value>(qDims).take_front(3); // B, S, H
    Value denoms =
        allocBuffer(b, MemRefType::get(qShape.take_front(3), f32), queries);
    Value scale = constF32(b, op.getScale().convertToDouble());

    // The entry set of query (b, j): window positions [lo, end), from the
    // ring [lo, ringEnd) and from kv [newBegin, end); compressed slots
    // [W, W + nCompressed) (CSA: those with select >= 0).
    struct Query {
      Value slot, p0, lo, end, ringEnd, newBegin, nCompressed;
    };
    auto query = [&](ImplicitLocOpBuilder &b, Value bi, Value j) {
      Query g;
      Value t = loadIndex(b, positions, {bi, j});
      g.p0 = loadIndex(b, positions, {bi, zero});
      g.slot = loadIndex(b, slots, {bi});
      g.end = iAdd(b, t, one);
      g.lo = arith::SelectOp::create(
          b, iCmp(b, arith::CmpIPredicate::ugt, g.end, W), iSub(b, g.end, W),
          zero);
      g.ringEnd = iMax(b, g.lo, iMin(b, g.end, g.p0));
      g.newBegin = iMax(b, g.lo, g.p0);
      g.nCompressed = cap;
      if (hca)
        g.nCompressed =
            iMin(b, iDiv(b, g.end, constIndex(b, ratio)), entryRows);
      return g;
    };
    // CSA selection m of row (b, j): {valid (>= 0), entry index}.
    auto selected = [&](ImplicitLocOpBuilder &b, Value bi, Value j, Value m) {
      Value raw = memref::LoadOp::create(b, select, ValueRange{bi, j, m});
      Value valid = iCmp(
          b, arith::CmpIPredicate::sge, raw,
          arith::ConstantOp::create(b, b.getIntegerAttr(raw.getType(), 0)));
      Value index = arith::IndexCastOp::create(b, b.getIndexType(), raw);
      return std::array<Value, 2>{valid, index};
    };
    auto minusInf = [](ImplicitLocOpBuilder &b) {
      return constF32(b, -INFINITY);
    };

    // The kv row slot e of query (bi, j) reads (window ring, this step's
    // kv, or a compressed entry): fn(src, row) on it, or `unused` where the
    // slot holds nothing.
    using SlotValues = function_ref<SmallVector<Value>(
        ImplicitLocOpBuilder &, Value src, ValueRange row)>;
    using NoSlot = function_ref<SmallVector<Value>(ImplicitLocOpBuilder &)>;
    auto onSlot = [&](ImplicitLocOpBuilder &b, const Query &g, Value bi,
                      Value j, Value e, SlotValues fn, NoSlot unused) {
      auto windowSlot = [&](ImplicitLocOpBuilder &b) {
        Value u = iAdd(b, g.lo, e);
        return ifElseAll(
            b, iCmp(b, arith::CmpIPredicate::ult, u, g.end),
            [&](ImplicitLocOpBuilder &b) {
              return ifElseAll(
                  b, iCmp(b, arith::CmpIPredicate::ult, u, g.p0),
                  [&](ImplicitLocOpBuilder &b) {
                    return fn(b, window, {g.slot, iRem(b, u, W)});
                  },
                  [&](ImplicitLocOpBuilder &b) {
                    return fn(b, kv, {bi, iSub(b, u, g.p0)});
                  });
            },
            unused);
      };
      auto compressedSlot = [&](ImplicitLocOpBuilder &b) {
        Value m = iSub(b, e, W);
        if (select) {
          std::array<Value, 2> sel = selected(b, bi, j, m);
          return ifElseAll(
              b, sel[0],
              [&](ImplicitLocOpBuilder &b) {
                return fn(b, entries, {g.slot, sel[1]});
              },
              unused);
        }
        return ifElseAll(
            b, iCmp(b, arith::CmpIPredicate::ult, m, g.nCompressed),
            [&](ImplicitLocOpBuilder &b) {
              return fn(b, entries, {g.slot, m});
            },
            unused);
      };
      return entries ? ifElseAll(b, iCmp(b, arith::CmpIPredicate::ult, e, W),
                                 windowSlot, compressedSlot)
                     : windowSlot(b);
    };

    // The query of the warp tile being built (tensor-core logits and
    // values): atQuery computes its entry set once per tile, and the tile's
    // slot reads and epilogue use it.
    Query current;
    auto atQuery = [&](ImplicitLocOpBuilder &b, Value bi, Value j) {
      current = query(b, bi, j);
    };

    // (a) Logits: one per (b, j, h, slot); for prefill on tensor cores one
    // warp tile per (b, j, 64 heads, 32 slots).
    auto perSlotLogits = [&](ImplicitLocOpBuilder &b) {
      parallelForEach(b, {qDims[0], qDims[1], qDims[2], nSlots},
                      [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                        Value bi = ivs[0], j = ivs[1], h = ivs[2], e = ivs[3];
                        Query g = query(b, bi, j);
                        auto logit = [&](ImplicitLocOpBuilder &b, Value src,
                                         ValueRange row) {
                          return SmallVector<Value>{arith::MulFOp::create(
                              b, dot(b, q, {bi, j, h}, src, row, D), scale)};
                        };
                        auto noLogit = [](ImplicitLocOpBuilder &b) {
                          return SmallVector<Value>{constF32(b, -INFINITY)};
                        };
                        storeF32(b, onSlot(b, g, bi, j, e, logit, noLogit)[0],
                                 z, ivs);
                      });
    };
    int64_t staticD = qShape[3];
    if (options.tensorCores && !ShapedType::isDynamic(staticD)) {
      Value prefill = iCmp(b, arith::CmpIPredicate::uge,
                           arith::MulIOp::create(b, qDims[0], qDims[1]),
                           constIndex(b, kTensorCoreQueries));
      ifThenElse(
          b, prefill,
          [&](ImplicitLocOpBuilder &b) {
            AttentionLogits a;
            a.q = q;
            a.qDims = qDims;
            a.d = staticD;
            a.nSlots = nSlots;
            a.z = z;
            a.scale = scale;
            auto readSlot = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                                Value e, Value col, bool masked) {
              const Query &g = current;
              auto run = [&](ImplicitLocOpBuilder &b, Value src,
                             ValueRange row) {
                SmallVector<Value> v;
                for (int64_t c = 0; c < warp_mma::kLaneRun; ++c)
                  v.push_back(warp_mma::maskedRead(
                      b, masked, iAdd(b, col, constIndex(b, c)), staticD,
                      [&](Value at) {
                        return loadF32(b, src, concat(row, at));
                      }));
                return v;
              };
              auto zeros = [](ImplicitLocOpBuilder &b) {
                return SmallVector<Value>(warp_mma::kLaneRun, constF32(b, 0.0));
              };
              return onSlot(b, g, bi, j, e, run, zeros);
            };
            auto slotUsed = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                                Value e) {
              const Query &g = current;
              Type i1 = b.getI1Type();
              auto yes = [&](ImplicitLocOpBuilder &b, Value, ValueRange) {
                return SmallVector<Value>{
                    arith::ConstantOp::create(b, b.getIntegerAttr(i1, 1))};
              };
              auto no = [&](ImplicitLocOpBuilder &b) {
                return SmallVector<Value>{
                    arith::ConstantOp::create(b, b.getIntegerAttr(i1, 0))};
              };
              return onSlot(b, g, bi, j, e, yes, no)[0];
            };
            a.atQuery = atQuery;
            a.readSlot = readSlot;
            a.slotUsed = slotUsed;
            emitTensorCoreAttentionLogits(b, a);
          },
          perSlotLogits);
    } else {
      perSlotLogits(b);
    }

    // (b) Per query: the maximum and the denominator (with the sink), two
    // split reductions over the slots, into mxs / denoms.
    Value mxs =
        allocBuffer(b, MemRefType::get(qShape.take_front(3), f32), queries);
    parallelForEach(b, queries, [&](ImplicitLocOpBuilder &b, ValueRange bjh) {
      Query g = query(b, bjh[0], bjh[1]);
      Value nWindow = iSub(b, g.end, g.lo);
      Value compressedEnd = iAdd(b, W, g.nCompressed);
      // Folds over the window slots, then the compressed slots.
      auto overSlots = [&](Value init, ReduceBody step) {
        Value acc = splitReduce(b, zero, nWindow, init, 4, step);
        return splitReduce(b, W, compressedEnd, acc, 4, step);
      };
      // An unused CSA slot holds -inf: no effect on the maximum, and
      // exp(-inf - mx) = 0 in the denominator.
      Value mx = overSlots(
          minusInf(b), [&](ImplicitLocOpBuilder &b, Value s, Value acc) {
            return fMax(b, acc, loadF32(b, z, concat(bjh, s)));
          });
      Value sinkH = loadF32(b, sink, {bjh[2]});
      mx = fMax(b, mx, sinkH);
      Value denom = overSlots(
          constF32(b, 0.0), [&](ImplicitLocOpBuilder &b, Value s, Value acc) {
            Value e = math::ExpOp::create(
                b, arith::SubFOp::create(b, loadF32(b, z, concat(bjh, s)), mx));
            return arith::AddFOp::create(b, acc, e).getResult();
          });
      denom = arith::AddFOp::create(
          b, denom,
          math::ExpOp::create(b, arith::SubFOp::create(b, sinkH, mx)));
      storeF32(b, mx, mxs, bjh);
      storeF32(b, denom, denoms, bjh);
    });

    // (b') z <- p = exp(z - mx) / denom in place, one per (b, j, h, slot)
    // (-inf slots become 0 and add nothing below).
    parallelForEach(
        b, {qDims[0], qDims[1], qDims[2], nSlots},
        [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          ValueRange bjh = ivs.take_front(3);
          Value e = math::ExpOp::create(
              b, arith::SubFOp::create(b, loadF32(b, z, ivs),
                                       loadF32(b, mxs, bjh)));
          storeF32(b, arith::DivFOp::create(b, e, loadF32(b, denoms, bjh)), z,
                   ivs);
        });

    // (c), (d): o = sum over slots of p_slot kv_slot; for prefill on tensor
    // cores, else per channel.
    auto perChannelValues = [&](ImplicitLocOpBuilder &b) {
      // (c) Partial sums over kSlotParts ranges of slots: partial[b, j, h,
      // part, d] = sum_{slot in part} p_slot kv_slot[d], a thread per channel
      // (neighbouring threads read neighbouring channels of a row) and enough
      // threads at decode (64 heads x 512 channels would be only 1024 warps,
      // each walking 640 slots) -- with fewer than kSlotParts query rows;
      // prefill has threads enough and takes one part (no 8x buffer). (More
      // parts do not help long contexts: 65 parts of 128 slots for an HCA
      // layer at 1M tokens measured 0.162 ms against 0.140 ms for 8, each
      // head re-reading the kv rows from L2 either way.)
      constexpr int64_t kSlotParts = 8;
      Value fewRows = iCmp(b, arith::CmpIPredicate::ult,
                           arith::MulIOp::create(b, qDims[0], qDims[1]),
                           constIndex(b, kSlotParts));
      Value partsV = arith::SelectOp::create(
          b, fewRows, constIndex(b, kSlotParts), constIndex(b, 1));
      Value partSize = arith::CeilDivUIOp::create(b, nSlots, partsV);
      SmallVector<int64_t> partialShape(qShape.begin(), qShape.end());
      partialShape.insert(partialShape.begin() + 3, ShapedType::kDynamic);
      SmallVector<Value> partialDims{qDims[0], qDims[1], qDims[2], partsV,
                                     qDims[3]};
      Value partial =
          allocBuffer(b, MemRefType::get(partialShape, f32), partialDims);
      parallelForEach(b, partialDims, [&](ImplicitLocOpBuilder &b,
                                          ValueRange ivs) {
        Value bi = ivs[0], j = ivs[1], h = ivs[2], part = ivs[3], d = ivs[4];
        Query g = query(b, bi, j);
        // This part's slots [sLo, sHi).
        Value sLo = arith::MulIOp::create(b, part, partSize);
        Value sHi = iMin(b, iAdd(b, sLo, partSize), nSlots);
        auto maxS = [&](Value x, Value y) {
          return arith::MaxSIOp::create(b, x, y).getResult();
        };
        auto minS = [&](Value x, Value y) {
          return arith::MinSIOp::create(b, x, y).getResult();
        };
        auto weighted = [&](ImplicitLocOpBuilder &b, Value s, Value src,
                            ValueRange row, Value acc) {
          Value p = loadF32(b, z, {bi, j, h, s});
          Value v = loadF32(b, src, concat(row, d));
          return arith::AddFOp::create(b, acc, arith::MulFOp::create(b, p, v))
              .getResult();
        };
        // Window positions u of this part: slot u - lo in [sLo, sHi).
        Value uLo = iAdd(b, g.lo, sLo), uHi = iAdd(b, g.lo, sHi);
        Value o = reduce(b, maxS(g.lo, uLo), minS(g.ringEnd, uHi),
                         constF32(b, 0.0),
                         [&](ImplicitLocOpBuilder &b, Value u, Value acc) {
                           return weighted(b, iSub(b, u, g.lo), window,
                                           {g.slot, iRem(b, u, W)}, acc);
                         });
        o = reduce(b, maxS(g.newBegin, uLo), minS(g.end, uHi), o,
                   [&](ImplicitLocOpBuilder &b, Value u, Value acc) {
                     return weighted(b, iSub(b, u, g.lo), kv,
                                     {bi, iSub(b, u, g.p0)}, acc);
                   });
        // Compressed entries m of this part: slot W + m in [sLo, sHi).
        Value mLo = maxS(zero, iSub(b, sLo, W));
        Value mHi = minS(g.nCompressed, iSub(b, sHi, W));
        if (hca) {
          o = reduce(b, mLo, mHi, o,
                     [&](ImplicitLocOpBuilder &b, Value m, Value acc) {
                       return weighted(b, iAdd(b, W, m), entries, {g.slot, m},
                                       acc);
                     });
        } else if (select) {
          o = reduce(b, mLo, mHi, o,
                     [&](ImplicitLocOpBuilder &b, Value m, Value acc) {
                       std::array<Value, 2> sel = selected(b, bi, j, m);
                       return ifElse(
                           b, sel[0],
                           [&](ImplicitLocOpBuilder &b) {
                             return weighted(b, iAdd(b, W, m), entries,
                                             {g.slot, sel[1]}, acc);
                           },
                           [&](ImplicitLocOpBuilder &) { return acc; });
                     });
        }
        memref::StoreOp::create(b, o, partial, ivs);
      });
      // (d) o[b, j, h, d] = the parts added in order.
      parallelForEach(b, qDims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        Value o = reduce(b, partsV, constF32(b, 0.0),
                         [&](ImplicitLocOpBuilder &b, Value part, Value acc) {
                           Value v = memref::LoadOp::create(
                               b, partial,
                               ValueRange{ivs[0], ivs[1], ivs[2], part, ivs[3]});
                           return arith::AddFOp::create(b, acc, v).getResult();
                         });
        storeF32(b, o, out, ivs);
      });
    };
    // For prefill: o [H, D] = p [H, slots] x kv_set [slots, D], warp tiles
    // of 64 heads x 32 channels (p split into bf16 planes, each kv value
    // into 3 parts as it is gathered; slots that hold nothing read 0).
    auto tensorCoreValues = [&](ImplicitLocOpBuilder &b) {
      QueryKeyTiles t;
      t.q = z;
      t.qDims = {qDims[0], qDims[1], qDims[2], nSlots};
      t.d = staticSlots;
      t.nSlots = D;
      // Channel `d` of the kv rows of slots col .. col + 15 (0 where a slot
      // holds nothing). W is a multiple of 16, so a run lies wholly in the
      // window or wholly in the compressed slots: one branch per run, and
      // inside it selects (both window sources read at clamped rows), no
      // branch per slot.
      auto readChannel = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                             Value d, Value col, bool masked) {
        const Query &g = current;
        Type i1 = b.getI1Type();
        auto pick = [&](Value valid, Value v) -> Value {
          return arith::SelectOp::create(b, valid, v, constF32(b, 0.0));
        };
        auto windowRun = [&](ImplicitLocOpBuilder &b) {
          SmallVector<Value> v;
          for (int64_t c = 0; c < warp_mma::kLaneRun; ++c) {
            Value u = iAdd(b, g.lo, iAdd(b, col, constIndex(b, c)));
            Value valid = iCmp(b, arith::CmpIPredicate::ult, u, g.end);
            Value inRing = iCmp(b, arith::CmpIPredicate::ult, u, g.p0);
            Value fromKv = arith::AndIOp::create(
                b, valid, arith::XOrIOp::create(
                              b, inRing,
                              arith::ConstantOp::create(
                                  b, b.getIntegerAttr(i1, 1))));
            Value ring = loadF32(b, window, {g.slot, iRem(b, u, W), d});
            Value kvRow =
                arith::SelectOp::create(b, fromKv, iSub(b, u, g.p0), zero);
            Value now = loadF32(b, kv, {bi, kvRow, d});
            v.push_back(
                pick(valid, arith::SelectOp::create(b, inRing, ring, now)));
          }
          return v;
        };
        auto compressedRun = [&](ImplicitLocOpBuilder &b) {
          SmallVector<Value> v;
          for (int64_t c = 0; c < warp_mma::kLaneRun; ++c) {
            Value e = iAdd(b, col, constIndex(b, c));
            Value m = iSub(b, e, W);
            Value valid, row;
            if (select) {
              Value inSlots = iCmp(b, arith::CmpIPredicate::ult, e, nSlots);
              std::array<Value, 2> sel = selected(
                  b, bi, j, arith::SelectOp::create(b, inSlots, m, zero));
              valid = arith::AndIOp::create(b, inSlots, sel[0]);
              row = arith::SelectOp::create(b, valid, sel[1], zero);
            } else {
              valid = iCmp(b, arith::CmpIPredicate::ult, m, g.nCompressed);
              row = arith::SelectOp::create(b, valid, m, zero);
            }
            v.push_back(pick(valid, loadF32(b, entries, {g.slot, row, d})));
          }
          return v;
        };
        (void)masked; // runs past the slots read 0 through `valid`
        if (!entries)
          return windowRun(b);
        return ifElseAll(b, iCmp(b, arith::CmpIPredicate::ult, col, W),
                         windowRun, compressedRun);
      };
      auto epilogue = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                          const warp_mma::Lane &lane, Value head0,
                          Value channel0, ArrayRef<Value> acc) {
        using namespace warp_mma;
        for (int64_t i = 0; i < kTilesM; ++i)
          for (int64_t h = 0; h < 2; ++h) {
            Value head = laneRow(b, lane, head0, i, h);
            ifThen(b, iCmp(b, arith::CmpIPredicate::ult, head, qDims[2]),
                   [&](ImplicitLocOpBuilder &b) {
                     for (int64_t n = 0; n < kTilesN; ++n)
                       for (int64_t e = 0; e < 2; ++e) {
                         Value d = accumulatorOutput(b, lane, channel0, n, e);
                         ifThen(b, iCmp(b, arith::CmpIPredicate::ult, d, D),
                                [&](ImplicitLocOpBuilder &b) {
                                  storeF32(b,
                                           acc[(i * kTilesN + n) * kAccRegs +
                                               2 * h + e],
                                           out, {bi, j, head, d});
                                });
                       }
                   });
          }
      };
      t.atQuery = atQuery;
      t.readSlot = readChannel;
      t.epilogue = epilogue;
      emitQueryKeyTiles(b, t);
    };
    if (options.tensorCores && !ShapedType::isDynamic(staticD) &&
        !ShapedType::isDynamic(staticSlots) &&
        staticW % warp_mma::kLaneRun == 0) {
      Value prefill = iCmp(b, arith::CmpIPredicate::uge,
                           arith::MulIOp::create(b, qDims[0], qDims[1]),
                           constIndex(b, kTensorCoreQueries));
      ifThenElse(b, prefill, tensorCoreValues, perChannelValues);
    } else {
      perChannelValues(b);
    }
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

void lowering::populateAttentionToLoopsPatterns(
    TypeConverter &converter, RewritePatternSet &patterns,
    const LoopLoweringOptions &options) {
  patterns.add<WindowUpdateLowering, CompressorLowering, StateCastLowering>(
      converter, patterns.getContext());
  patterns.add<IndexerScoreLowering, SparseAttentionLowering>(
      converter, patterns.getContext(), options);
}

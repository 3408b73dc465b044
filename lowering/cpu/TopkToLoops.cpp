//===- TopkToLoops.cpp - ds4.topk -----------------------------------------===//
//
// The indexer's top-k selection (`_indexer_select` of
// test/reference/ds4ref/model.py) as scf loops: a per-row threshold found by
// a radix search over order-preserving integer keys, then the selected
// candidates placed in index order. The counts over a row are split
// reductions (ds4.split_reduction: a warp per iteration on the GPU).
//
//===----------------------------------------------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "dialects/ds4/IR/Ds4Ops.h"

#include <cstdint>

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

namespace {

//===----------------------------------------------------------------------===//
// ds4.topk
//===----------------------------------------------------------------------===//

/// The order-preserving key of a score (f32): unsigned, a larger key
/// precedes. Numbers map to [0x007fffff (-inf), 0xff800000 (+inf)] in the
/// order of their values, -0.0 and +0.0 (equal as floats) to the same key;
/// NaN maps to 0, after every number. So for scores x, y:
/// key(x) > key(y) iff x > y or (x is a number and y NaN), and
/// key(x) == key(y) iff x == y or both are NaN -- exactly the comparisons of
/// the op's order, with ties (equal numbers, NaNs) broken by index.
Value scoreKey(ImplicitLocOpBuilder &b, Value score) {
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, i32, score);
  Value zero = constI32(b, 0);
  // -0.0 -> +0.0.
  Value magnitude = arith::AndIOp::create(b, bits, constI32(b, 0x7fffffff));
  bits = arith::SelectOp::create(
      b, iCmp(b, arith::CmpIPredicate::eq, magnitude, zero), zero, bits);
  // Negative: all bits flipped (more negative, smaller); else the sign bit
  // set (above every negative).
  Value negative = iCmp(b, arith::CmpIPredicate::slt, bits, zero);
  Value key = arith::SelectOp::create(
      b, negative, arith::XOrIOp::create(b, bits, constI32(b, -1)),
      arith::OrIOp::create(b, bits, constI32(b, INT32_MIN)));
  Value nan = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, score, score);
  return arith::SelectOp::create(b, nan, zero, key);
}

/// cond as 0 / 1 (i32), for counts.
Value countOf(ImplicitLocOpBuilder &b, Value cond) {
  return arith::ExtUIOp::create(b, b.getI32Type(), cond);
}

/// Candidates per segment: the radix histograms and the selection's
/// positions are counted per segment of a row, so that a row's counts
/// spread over many parallel iterations (one warp each on the GPU: a
/// decode row of 16K entries makes 64 warps of 8 keys per lane).
constexpr int64_t kSegment = 256;
/// Key bits decided per radix pass, and the passes over 32 bits.
constexpr int64_t kDigitBits = 4;
constexpr int64_t kDigits = 1 << kDigitBits;
constexpr int64_t kPasses = 32 / kDigitBits;
/// i64 counters that carry the 16 per-digit counts of a segment.
constexpr int64_t kPackedWords = kDigits / 4;
static_assert(kSegment < (1 << 16), "segment counts are 16-bit fields");
/// Rows (B * S) from which the selection is placed by one iteration per
/// segment instead of one per candidate (prefill: most candidates of a
/// row's capacity are past its causal limit, and a warp each would cost
/// more than they do).
constexpr int64_t kManyRows = 8;
/// Iterations per lane step of the split counts: 4 consecutive f32 / i32.
constexpr int64_t kLaneChunk = 4;

/// Several counts (of type `type`) over [lb, ub) in one split reduction:
/// body returns acc[w] + x_w for each w.
SmallVector<Value> splitCounts(ImplicitLocOpBuilder &b, Value lb, Value ub,
                               int64_t n, Type type, ReduceAllBody body) {
  SmallVector<Value> inits(
      n, arith::ConstantOp::create(b, b.getIntegerAttr(type, 0)));
  return splitReduce(b, lb, ub, inits, kLaneChunk, body);
}

/// One i32 count over [lb, ub): the number of iterations where pred holds.
Value splitCount(ImplicitLocOpBuilder &b, Value lb, Value ub,
                 function_ref<Value(ImplicitLocOpBuilder &, Value iv)> pred) {
  return splitReduce(b, lb, ub, constI32(b, 0), kLaneChunk,
                     [&](ImplicitLocOpBuilder &b, Value i, Value n) {
                       return arith::AddIOp::create(b, n,
                                                    countOf(b, pred(b, i)));
                     });
}

/// One i32 sum of load(iv) over [lb, ub).
Value splitSum(ImplicitLocOpBuilder &b, Value lb, Value ub,
               function_ref<Value(ImplicitLocOpBuilder &, Value iv)> load) {
  return splitReduce(b, lb, ub, constI32(b, 0), kLaneChunk,
                     [&](ImplicitLocOpBuilder &b, Value i, Value n) {
                       return arith::AddIOp::create(b, n, load(b, i));
                     });
}

/// For t = positions[b, j] and count = min((t+1)/ratio, N): the indices of
/// the kk = min(k, count) largest scores[b, j, i < count], ties to the
/// lower index (the first kk of a stable descending sort; NaN scores come
/// after every number, among themselves by index), in index order (the op
/// leaves the order open); slots kk..k-1 hold -1.
///
/// Scores compare through scoreKey: candidate i precedes c iff
/// key_i > key_c, or key_i == key_c and i < c (a strict total order; the
/// selection is its first kk candidates). A row is cut at T = the kk-th
/// largest key and L = the index of the need-th key equal to T
/// (need = kk - #keys > T): c is selected iff key_c > T, or key_c == T and
/// c <= L. Rows are split into segments of kSegment candidates; every count
/// is a split reduction (ds4.split_reduction, addi; a warp per iteration on
/// the GPU). Scratch (i32): state[b, j] = {T, #keys above T, #keys >= T,
/// L}, hist[b, j, 2, 16, segments] (two sets: a pass reads the previous
/// pass's set while it writes its own), decided[b, j, pass, 2] = {T's bits
/// through the pass, #keys above them}. The scf.parallel, in order:
///   radix pass p = 0..7 (T's bits 31-4p .. 28-4p), (b, j, segment):
///                      for p > 0 first pass p - 1's digit, from its
///                      histograms summed over the segments: the largest d
///                      with #keys above + #matching keys with digit >= d
///                      >= kk (every segment decides it; segment 0 records
///                      it in decided[p - 1] for the next pass); then
///                      hist[p % 2][d] = #keys of the segment that match
///                      T's bits so far and whose digit is d, d = 0..15
///                      (one count of 4 i64 words of 16-bit fields);
///   (b, j)             pass 7's digit: T, #keys above and >= T;
///   (b, j, segment)    #keys == T of the segment (rows whose keys == T are
///                      not all selected, else nothing);
///   (b, j)             L: the count itself when every key == T is
///                      selected, else by bisection over the index bits,
///                      counting keys == T below a bound from the segment
///                      counts and one partial segment;
///   (b, j, segment)    #selected candidates of the segment;
///   placing the selection in index order, with fewer than kManyRows rows
///   (decode):
///     (b, j, c < N)    a selected candidate c: its slot is its position
///                      among the selected (earlier segments' counts plus
///                      a count within its segment); the others do no
///                      count;
///   else (prefill: one iteration per candidate of a row's whole capacity
///   would mostly find candidates past the causal limit):
///     (b, j, segment)  one iteration walks the segment's candidates in
///                      order from the earlier segments' count;
///   (b, j, m < k)      slots m >= kk get -1.
/// 14 launches. Work per row (count = n): 8 n key reads for T (in 8
/// launches of n / kSegment iterations, each also reading 16 n / kSegment
/// counts), n for the selected counts
/// (plus n and log2(n) * (n / kSegment + kSegment) for L when the cut
/// splits equal keys), kk * (n / kSegment + kSegment) or n + (n /
/// kSegment)^2 for the placing. Counts and indices are i32 (N < 2^31).
struct TopKLowering : BufferLowering<TopKOp> {
  using BufferLowering::BufferLowering;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value scores = adaptor.getScores(), positions = adaptor.getPositions();
    int64_t k = op.getK(), ratio = op.getRatio();
    SmallVector<Value> dims = memrefDims(b, scores); // {B, S, N}
    Value B = dims[0], S = dims[1], N = dims[2];
    Value kV = constIndex(b, k);
    Value out = allocBuffer(b, bufferType(op.getType()), {B, S, kV});
    Type indexType = cast<MemRefType>(out.getType()).getElementType();
    Type i32 = b.getI32Type();
    Value segV = constIndex(b, kSegment);
    auto ceilSegments = [&](ImplicitLocOpBuilder &b, Value n) -> Value {
      return iDiv(b, iAdd(b, n, constIndex(b, kSegment - 1)),
                  constIndex(b, kSegment));
    };
    Value segments = ceilSegments(b, N);
    ArrayRef<int64_t> shape = cast<MemRefType>(scores.getType()).getShape();
    int64_t staticSegments = ShapedType::isDynamic(shape[2])
                                 ? ShapedType::kDynamic
                                 : (shape[2] + kSegment - 1) / kSegment;
    enum { kT = 0, kAbove = 1, kAtLeastT = 2, kL = 3 };
    Value state = allocBuffer(b, MemRefType::get({shape[0], shape[1], 4}, i32),
                              {B, S, constIndex(b, 4)});
    // Two sets of segment histograms: pass p writes set p % 2 while it
    // reads pass p - 1's.
    Value hist = allocBuffer(
        b,
        MemRefType::get({shape[0], shape[1], 2, kDigits, staticSegments}, i32),
        {B, S, constIndex(b, 2), constIndex(b, kDigits), segments});
    // Per pass, T's bits through it and #keys above them.
    Value decidedBits = allocBuffer(
        b, MemRefType::get({shape[0], shape[1], kPasses, 2}, i32),
        {B, S, constIndex(b, kPasses), constIndex(b, 2)});
    // After the radix passes, rows 0 and 1 of hist set 0 hold the
    // per-segment counts of keys == T and of selected candidates.
    enum { kEqualRow = 0, kSelectedRow = 1 };
    // count = min((t+1)/ratio, N) of row (b, j).
    auto visibleCount = [&](ImplicitLocOpBuilder &b, Value bi, Value j) {
      Value t = loadIndex(b, positions, {bi, j});
      return iMin(
          b, iDiv(b, iAdd(b, t, constIndex(b, 1)), constIndex(b, ratio)), N);
    };
    auto keyAt = [&](ImplicitLocOpBuilder &b, Value bi, Value j, Value i) {
      return scoreKey(b, loadF32(b, scores, {bi, j, i}));
    };
    auto toI32 = [&](ImplicitLocOpBuilder &b, Value v) -> Value {
      return arith::IndexCastOp::create(b, i32, v);
    };
    auto toIndex = [&](ImplicitLocOpBuilder &b, Value v) -> Value {
      return arith::IndexCastOp::create(b, b.getIndexType(), v);
    };
    auto loadState = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                         int64_t field) -> Value {
      return memref::LoadOp::create(b, state,
                                    ValueRange{bi, j, constIndex(b, field)});
    };
    auto storeState = [&](ImplicitLocOpBuilder &b, Value v, Value bi, Value j,
                          int64_t field) {
      memref::StoreOp::create(b, v, state,
                              ValueRange{bi, j, constIndex(b, field)});
    };
    auto loadHist = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                        int64_t set, int64_t d, Value g) -> Value {
      return memref::LoadOp::create(
          b, hist, ValueRange{bi, j, constIndex(b, set), constIndex(b, d), g});
    };
    auto storeHist = [&](ImplicitLocOpBuilder &b, Value v, Value bi, Value j,
                         int64_t set, int64_t d, Value g) {
      memref::StoreOp::create(
          b, v, hist,
          ValueRange{bi, j, constIndex(b, set), constIndex(b, d), g});
    };
    auto loadDecided = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                           int64_t p, int64_t field) -> Value {
      return memref::LoadOp::create(
          b, decidedBits,
          ValueRange{bi, j, constIndex(b, p), constIndex(b, field)});
    };
    auto storeDecided = [&](ImplicitLocOpBuilder &b, Value v, Value bi,
                            Value j, int64_t p, int64_t field) {
      memref::StoreOp::create(
          b, v, decidedBits,
          ValueRange{bi, j, constIndex(b, p), constIndex(b, field)});
    };
    // Candidate i (key `key`) is selected by the cut (T, L).
    auto selectedBy = [&](ImplicitLocOpBuilder &b, Value i, Value key, Value T,
                          Value L) -> Value {
      return arith::OrIOp::create(
          b, iCmp(b, arith::CmpIPredicate::ugt, key, T),
          arith::AndIOp::create(b, iCmp(b, arith::CmpIPredicate::eq, key, T),
                                iCmp(b, arith::CmpIPredicate::ule, i, L)));
    };
    // Runs body(b, bi, j, g, lo, hi, count) for the segments g of row
    // (b, j) that hold visible candidates [lo, hi).
    using SegmentBody =
        function_ref<void(ImplicitLocOpBuilder &, Value bi, Value j, Value g,
                          Value lo, Value hi, Value count)>;
    auto forEachSegment = [&](SegmentBody body) {
      parallelForEach(b, {B, S, segments},
                      [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                        Value bi = ivs[0], j = ivs[1], g = ivs[2];
                        Value count = visibleCount(b, bi, j);
                        Value lo = arith::MulIOp::create(b, g, segV);
                        ifThen(b, iCmp(b, arith::CmpIPredicate::ult, lo, count),
                               [&](ImplicitLocOpBuilder &b) {
                                 Value hi = iMin(b, iAdd(b, lo, segV), count);
                                 body(b, bi, j, g, lo, hi, count);
                               });
                      });
    };

    // The digit of radix pass p of row (b, j) (count >= 1 visible keys),
    // from that pass's segment histograms and the bits decided before it:
    // {T's bits through pass p, #keys above them, #keys >= them}. From d =
    // 15 down, atLeast = #matching keys with digit >= d; the digit is the
    // first d with above + atLeast >= kk (atLeast does not shrink as d
    // falls; d = 0 always qualifies: #keys >= T's bits so far >= kk).
    auto decide = [&](ImplicitLocOpBuilder &b, Value bi, Value j, Value count,
                      int64_t p) -> std::array<Value, 3> {
      int64_t shift = 32 - kDigitBits * (p + 1);
      Value kk = toI32(b, iMin(b, kV, count));
      Value prefix = p == 0 ? constI32(b, 0) : loadDecided(b, bi, j, p - 1, 0);
      Value above = p == 0 ? constI32(b, 0) : loadDecided(b, bi, j, p - 1, 1);
      SmallVector<Value> totals = splitCounts(
          b, constIndex(b, 0), ceilSegments(b, count), kDigits, i32,
          [&](ImplicitLocOpBuilder &b, Value g, ValueRange acc) {
            SmallVector<Value> next;
            for (int64_t d = 0; d < kDigits; ++d)
              next.push_back(arith::AddIOp::create(
                  b, acc[d], loadHist(b, bi, j, p % 2, d, g)));
            return next;
          });
      Value zero = constI32(b, 0);
      Value atLeast = zero, digit = zero, atDigit = zero, pastDigit = zero;
      Value found = arith::ConstantIntOp::create(b, 0, 1);
      for (int64_t d = kDigits - 1; d >= 0; --d) {
        Value nextAtLeast = arith::AddIOp::create(b, atLeast, totals[d]);
        Value hit = arith::AndIOp::create(
            b,
            arith::XOrIOp::create(b, found,
                                  arith::ConstantIntOp::create(b, 1, 1)),
            iCmp(b, arith::CmpIPredicate::sge,
                 arith::AddIOp::create(b, above, nextAtLeast), kk));
        auto pick = [&](Value now, Value before) -> Value {
          return arith::SelectOp::create(b, hit, now, before);
        };
        digit = pick(constI32(b, d), digit);
        atDigit = pick(nextAtLeast, atDigit);
        pastDigit = pick(atLeast, pastDigit);
        found = arith::OrIOp::create(b, found, hit);
        atLeast = nextAtLeast;
      }
      return {arith::OrIOp::create(
                  b, prefix,
                  arith::ShLIOp::create(b, digit, constI32(b, shift))),
              arith::AddIOp::create(b, above, pastDigit),
              arith::AddIOp::create(b, above, atDigit)};
    };

    // Radix passes: T's digits, highest first. Pass p's segments first
    // decide pass p - 1's digit themselves (segment 0 records it for pass
    // p + 1), then count the keys that match T's bits so far, by digit.
    // The 16 counts (each <= kSegment < 2^16) travel as 16-bit fields of 4
    // i64 counters: digit d adds 1 << 16 (d mod 4) to counter d / 4.
    for (int64_t p = 0; p < kPasses; ++p) {
      int64_t shift = 32 - kDigitBits * (p + 1);
      // The bits decided before this pass.
      uint32_t decided = p == 0 ? 0u : ~0u << (shift + kDigitBits);
      forEachSegment([&](ImplicitLocOpBuilder &b, Value bi, Value j, Value g,
                         Value lo, Value hi, Value count) {
        Type i64 = b.getI64Type();
        Value prefix = constI32(b, 0);
        if (p > 0) {
          std::array<Value, 3> before = decide(b, bi, j, count, p - 1);
          prefix = before[0];
          ifThen(b, iCmp(b, arith::CmpIPredicate::eq, g, constIndex(b, 0)),
                 [&](ImplicitLocOpBuilder &b) {
                   storeDecided(b, before[0], bi, j, p - 1, 0);
                   storeDecided(b, before[1], bi, j, p - 1, 1);
                 });
        }
        SmallVector<Value> packed = splitCounts(
            b, lo, hi, kPackedWords, i64,
            [&](ImplicitLocOpBuilder &b, Value i, ValueRange acc) {
              Value key = keyAt(b, bi, j, i);
              Value match = iCmp(
                  b, arith::CmpIPredicate::eq,
                  arith::AndIOp::create(b, key, constI32(b, int32_t(decided))),
                  prefix);
              // The digit, or 16 (no counter) when the key does not match.
              Value digit = arith::SelectOp::create(
                  b, match,
                  arith::AndIOp::create(
                      b, arith::ShRUIOp::create(b, key, constI32(b, shift)),
                      constI32(b, kDigits - 1)),
                  constI32(b, kDigits));
              Value word = arith::ShRUIOp::create(b, digit, constI32(b, 2));
              Value field = arith::ShLIOp::create(
                  b, arith::AndIOp::create(b, digit, constI32(b, 3)),
                  constI32(b, 4));
              Value one = arith::ShLIOp::create(
                  b, arith::ConstantOp::create(b, b.getI64IntegerAttr(1)),
                  arith::ExtUIOp::create(b, i64, field));
              Value zero = arith::ConstantOp::create(b, b.getI64IntegerAttr(0));
              SmallVector<Value> next;
              for (int64_t w = 0; w < kPackedWords; ++w) {
                Value hit =
                    iCmp(b, arith::CmpIPredicate::eq, word, constI32(b, w));
                next.push_back(arith::AddIOp::create(
                    b, acc[w], arith::SelectOp::create(b, hit, one, zero)));
              }
              return next;
            });
        for (int64_t d = 0; d < kDigits; ++d) {
          Value fieldBits = arith::ShRUIOp::create(
              b, packed[d / 4],
              arith::ConstantOp::create(b, b.getI64IntegerAttr(16 * (d % 4))));
          Value count = arith::TruncIOp::create(
              b, i32,
              arith::AndIOp::create(
                  b, fieldBits,
                  arith::ConstantOp::create(b, b.getI64IntegerAttr(0xffff))));
          storeHist(b, count, bi, j, p % 2, d, g);
        }
      });
    }
    // Per row, the last digit: T, #keys above T and #keys >= T (rows with
    // no visible key select nothing: all 0).
    parallelForEach(b, {B, S}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value bi = ivs[0], j = ivs[1];
      Value count = visibleCount(b, bi, j);
      SmallVector<Value> cut = ifElseAll(
          b, iCmp(b, arith::CmpIPredicate::ugt, count, constIndex(b, 0)),
          [&](ImplicitLocOpBuilder &b) {
            std::array<Value, 3> last = decide(b, bi, j, count, kPasses - 1);
            return SmallVector<Value>(last.begin(), last.end());
          },
          [&](ImplicitLocOpBuilder &b) {
            return SmallVector<Value>(3, constI32(b, 0));
          });
      storeState(b, cut[0], bi, j, kT);
      storeState(b, cut[1], bi, j, kAbove);
      storeState(b, cut[2], bi, j, kAtLeastT);
    });

    // Rows where some keys == T are not selected (#keys >= T > kk).
    auto splitsTies = [&](ImplicitLocOpBuilder &b, Value bi, Value j,
                          Value count) {
      Value kk = toI32(b, iMin(b, kV, count));
      return iCmp(b, arith::CmpIPredicate::sgt, loadState(b, bi, j, kAtLeastT),
                  kk);
    };
    forEachSegment([&](ImplicitLocOpBuilder &b, Value bi, Value j, Value g,
                       Value lo, Value hi, Value count) {
      ifThen(b, splitsTies(b, bi, j, count), [&](ImplicitLocOpBuilder &b) {
        Value T = loadState(b, bi, j, kT);
        Value equal =
            splitCount(b, lo, hi, [&](ImplicitLocOpBuilder &b, Value i) {
              return iCmp(b, arith::CmpIPredicate::eq, keyAt(b, bi, j, i), T);
            });
        storeHist(b, equal, bi, j, 0, kEqualRow, g);
      });
    });
    parallelForEach(b, {B, S}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      Value bi = ivs[0], j = ivs[1];
      Value count = visibleCount(b, bi, j);
      Value L = ifElse(
          b, splitsTies(b, bi, j, count),
          [&](ImplicitLocOpBuilder &b) {
            Value T = loadState(b, bi, j, kT);
            Value need = arith::SubIOp::create(b, toI32(b, iMin(b, kV, count)),
                                               loadState(b, bi, j, kAbove));
            // The largest L < count with fewer than `need` keys == T below
            // it (key_L is the need-th), bit by bit from the top.
            auto search = scf::ForOp::create(
                b, constIndex(b, 0), constIndex(b, 32), constIndex(b, 1),
                ValueRange{constIndex(b, 0)},
                [&](OpBuilder &nested, Location loc, Value q, ValueRange acc) {
                  ImplicitLocOpBuilder b(loc, nested);
                  Value cand =
                      iAdd(b, acc[0],
                           arith::ShLIOp::create(
                               b, constIndex(b, 1),
                               arith::SubIOp::create(b, constIndex(b, 31), q)));
                  Value next = ifElse(
                      b, iCmp(b, arith::CmpIPredicate::ult, cand, count),
                      [&](ImplicitLocOpBuilder &b) {
                        // #keys == T below cand: whole segments, then the
                        // partial one.
                        Value whole = iDiv(b, cand, segV);
                        Value below = arith::AddIOp::create(
                            b,
                            splitSum(b, constIndex(b, 0), whole,
                                     [&](ImplicitLocOpBuilder &b, Value g) {
                                       return loadHist(b, bi, j, 0, kEqualRow, g);
                                     }),
                            splitCount(
                                b, arith::MulIOp::create(b, whole, segV), cand,
                                [&](ImplicitLocOpBuilder &b, Value i) {
                                  return iCmp(b, arith::CmpIPredicate::eq,
                                              keyAt(b, bi, j, i), T);
                                }));
                        return arith::SelectOp::create(
                                   b,
                                   iCmp(b, arith::CmpIPredicate::slt, below,
                                        need),
                                   cand, acc[0])
                            .getResult();
                      },
                      [&](ImplicitLocOpBuilder &b) { return acc[0]; });
                  scf::YieldOp::create(b, ValueRange{next});
                });
            return search.getResult(0);
          },
          [&](ImplicitLocOpBuilder &b) { return count; });
      storeState(b, toI32(b, L), bi, j, kL);
    });

    // Selected candidates per segment.
    auto loadCut = [&](ImplicitLocOpBuilder &b, Value bi, Value j) {
      return std::make_pair(loadState(b, bi, j, kT),
                            toIndex(b, loadState(b, bi, j, kL)));
    };
    forEachSegment([&](ImplicitLocOpBuilder &b, Value bi, Value j, Value g,
                       Value lo, Value hi, Value) {
      auto [T, L] = loadCut(b, bi, j);
      Value selected =
          splitCount(b, lo, hi, [&](ImplicitLocOpBuilder &b, Value i) {
            return selectedBy(b, i, keyAt(b, bi, j, i), T, L);
          });
      storeHist(b, selected, bi, j, 0, kSelectedRow, g);
    });

    // The selected candidates go to their places in index order (the op
    // leaves the order open: attention sums its entries in any order).
    auto storeOut = [&](ImplicitLocOpBuilder &b, Value v, ValueRange at) {
      memref::StoreOp::create(b, arith::IndexCastOp::create(b, indexType, v),
                              out, at);
    };
    Value manyRows = iCmp(b, arith::CmpIPredicate::uge, product(b, {B, S}),
                          constIndex(b, kManyRows));
    ifThenElse(
        b, manyRows,
        [&](ImplicitLocOpBuilder &b) {
          // Many rows (prefill): one iteration per segment walks its
          // candidates in order, after the earlier segments' selected
          // counts; only the segments holding visible candidates run.
          forEachSegment([&](ImplicitLocOpBuilder &b, Value bi, Value j,
                             Value g, Value lo, Value hi, Value) {
            auto [T, L] = loadCut(b, bi, j);
            Value before = reduce(
                b, g, constI32(b, 0),
                [&](ImplicitLocOpBuilder &b, Value h, Value acc) {
                  return arith::AddIOp::create(
                      b, acc, loadHist(b, bi, j, 0, kSelectedRow, h));
                });
            scf::ForOp::create(
                b, lo, hi, constIndex(b, 1), ValueRange{before},
                [&](OpBuilder &nested, Location loc, Value c, ValueRange pos) {
                  ImplicitLocOpBuilder b(loc, nested);
                  Value chosen = selectedBy(b, c, keyAt(b, bi, j, c), T, L);
                  ifThen(b, chosen, [&](ImplicitLocOpBuilder &b) {
                    storeOut(b, c, {bi, j, toIndex(b, pos[0])});
                  });
                  scf::YieldOp::create(
                      b, ValueRange{arith::AddIOp::create(b, pos[0],
                                                          countOf(b, chosen))});
                });
          });
        },
        [&](ImplicitLocOpBuilder &b) {
          // Few rows (decode): one iteration per candidate; a selected one
          // counts its position (earlier segments' counts plus a count
          // within its segment).
          parallelForEach(
              b, dims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                Value bi = ivs[0], j = ivs[1], c = ivs[2];
                Value count = visibleCount(b, bi, j);
                ifThen(
                    b, iCmp(b, arith::CmpIPredicate::ult, c, count),
                    [&](ImplicitLocOpBuilder &b) {
                      auto [T, L] = loadCut(b, bi, j);
                      ifThen(
                          b, selectedBy(b, c, keyAt(b, bi, j, c), T, L),
                          [&](ImplicitLocOpBuilder &b) {
                            Value g = iDiv(b, c, segV);
                            Value before = arith::AddIOp::create(
                                b,
                                splitSum(b, constIndex(b, 0), g,
                                         [&](ImplicitLocOpBuilder &b, Value h) {
                                           return loadHist(b, bi, j, 0,
                                                           kSelectedRow, h);
                                         }),
                                splitCount(
                                    b, arith::MulIOp::create(b, g, segV), c,
                                    [&](ImplicitLocOpBuilder &b, Value i) {
                                      return selectedBy(
                                          b, i, keyAt(b, bi, j, i), T, L);
                                    }));
                            storeOut(b, c, {bi, j, toIndex(b, before)});
                          });
                    });
              });
        });

    // Slots kk..k-1 hold -1.
    parallelForEach(
        b, {B, S, kV}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
          Value kk = iMin(b, kV, visibleCount(b, ivs[0], ivs[1]));
          ifThen(b, iCmp(b, arith::CmpIPredicate::uge, ivs[2], kk),
                 [&](ImplicitLocOpBuilder &b) {
                   storeOut(b, constIndex(b, -1), ivs);
                 });
        });
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void lowering::populateTopkToLoopsPatterns(TypeConverter &converter,
                                           RewritePatternSet &patterns) {
  patterns.add<TopKLowering>(converter, patterns.getContext());
}

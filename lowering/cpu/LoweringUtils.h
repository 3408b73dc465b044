//===- LoweringUtils.h - loop and number-format builders for ds4 lowering -===//
//
// Small builders shared by the op lowerings (CoreToLoops.cpp, ...): loop
// nests, f32 load/store of any activation element type, dequantizing weight
// loads, and the spec's rounding rules (spec section 4) emitted as arith /
// math ops. The rounding mirrors test/reference/ds4ref/numerics.py exactly
// (scales and rounding computed in f64), so compiled and reference values
// agree bit for bit on the rounding itself.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_CPU_LOWERINGUTILS_H
#define DS4_LOWERING_CPU_LOWERINGUTILS_H

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "lowering/cpu/BufferTypes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::ds4::lowering {

using LoopBody = function_ref<void(ImplicitLocOpBuilder &, ValueRange ivs)>;
using ReduceBody =
    function_ref<Value(ImplicitLocOpBuilder &, Value iv, Value acc)>;

Value constIndex(ImplicitLocOpBuilder &b, int64_t v);
Value constF32(ImplicitLocOpBuilder &b, double v);
Value constF64(ImplicitLocOpBuilder &b, double v);
Value constI32(ImplicitLocOpBuilder &b, int64_t v);

/// Sizes of every dim of a memref as index values.
SmallVector<Value> memrefDims(ImplicitLocOpBuilder &b, Value memref);
/// A new buffer of `type`; its dynamic sizes are taken, in order, from
/// `allDims` (one value per dim, static ones ignored).
Value allocBuffer(ImplicitLocOpBuilder &b, MemRefType type,
                  ArrayRef<Value> allDims);

/// for ivs in [0, ubs): body(ivs). Nested scf.for loops.
void forEach(ImplicitLocOpBuilder &b, ArrayRef<Value> ubs, LoopBody body);
/// for ivs in [0, ubs): body(ivs), as ONE scf.parallel over all of `ubs`
/// (lower bounds 0, steps 1, no reductions). For the outermost band of an
/// op whose iterations are independent: each writes its own output elements
/// and reads nothing another iteration writes. The GPU mapping runs a
/// top-level scf.parallel with one thread per iteration; the CPU runs it as
/// nested loops in dim order (identical to forEach). Scratch used by one
/// iteration only is allocated inside `body` (static sizes: per-thread
/// memory on the GPU). No `ubs`: one iteration.
void parallelForEach(ImplicitLocOpBuilder &b, ArrayRef<Value> ubs,
                     LoopBody body);
/// acc = init; for iv in [0, ub): acc = body(iv, acc); returns acc.
Value reduce(ImplicitLocOpBuilder &b, Value lb, Value ub, Value init,
             ReduceBody body);
Value reduce(ImplicitLocOpBuilder &b, Value ub, Value init, ReduceBody body);

/// The attribute on a reduction loop (scf.for with one iter_arg) that a
/// target may split across the lanes of a warp: the loop's body combines
/// its accumulator once, by addf/addi/maximumf/minimumf, and only reads
/// memory; consecutive iterations read consecutive addresses. Its value is
/// the number of consecutive iterations one lane takes per step (a 16-byte
/// load's worth of the element read most). The CPU ignores it.
inline constexpr llvm::StringLiteral kSplitReduction = "ds4.split_reduction";

/// reduce(), marked kSplitReduction with `laneChunk` iterations per lane
/// step. The order the terms are added in is then target-defined: use it
/// where the reference's own order is a BLAS dot product (linear, logits,
/// norms, scores), not where a rounding depends on the order.
Value splitReduce(ImplicitLocOpBuilder &b, Value lb, Value ub, Value init,
                  int64_t laneChunk, ReduceBody body);
Value splitReduce(ImplicitLocOpBuilder &b, Value ub, Value init,
                  int64_t laneChunk, ReduceBody body);
/// splitReduce with several accumulators: body returns the next value of
/// each (each combined once, as above).
using ReduceAllBody = function_ref<SmallVector<Value>(
    ImplicitLocOpBuilder &, Value iv, ValueRange acc)>;
SmallVector<Value> splitReduce(ImplicitLocOpBuilder &b, Value lb, Value ub,
                               ValueRange inits, int64_t laneChunk,
                               ReduceAllBody body);

/// Index arithmetic (unsigned division and remainder, signed min/max) and
/// the f32 maximum that propagates NaN, named short: op lowerings are dense
/// with them.
Value iAdd(ImplicitLocOpBuilder &b, Value x, Value y);
Value iSub(ImplicitLocOpBuilder &b, Value x, Value y);
Value iMul(ImplicitLocOpBuilder &b, Value x, Value y);
Value iDiv(ImplicitLocOpBuilder &b, Value x, Value y);
Value iRem(ImplicitLocOpBuilder &b, Value x, Value y);
Value iMin(ImplicitLocOpBuilder &b, Value x, Value y);
Value iMax(ImplicitLocOpBuilder &b, Value x, Value y);
Value iCmp(ImplicitLocOpBuilder &b, arith::CmpIPredicate p, Value x, Value y);
Value fMax(ImplicitLocOpBuilder &b, Value x, Value y);

/// if (cond) body().
void ifThen(ImplicitLocOpBuilder &b, Value cond,
            function_ref<void(ImplicitLocOpBuilder &)> body);
/// cond ? thenValue() : elseValue(), evaluating only the taken side.
Value ifElse(ImplicitLocOpBuilder &b, Value cond,
             function_ref<Value(ImplicitLocOpBuilder &)> thenValue,
             function_ref<Value(ImplicitLocOpBuilder &)> elseValue);
/// The outputs of group q of `size` consecutive outputs that one iteration
/// of a decode-shaped product computes side by side (one split reduction
/// with an accumulator each; every output is still summed in its own lane
/// order, so the grouping never changes a result). `read[u]` is the output
/// to read (clamped to the last one); `store` calls fn(u, output) for the
/// outputs that exist.
struct OutputGroup {
  SmallVector<Value> read;
  SmallVector<Value> output;
  Value count;
  void store(ImplicitLocOpBuilder &b,
             function_ref<void(ImplicitLocOpBuilder &, int64_t u, Value)> fn)
      const;
};
OutputGroup outputGroup(ImplicitLocOpBuilder &b, Value q, int64_t size,
                        Value count);
inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// ifElse with any number of results.
SmallVector<Value>
ifElseAll(ImplicitLocOpBuilder &b, Value cond,
          function_ref<SmallVector<Value>(ImplicitLocOpBuilder &)> thenValues,
          function_ref<SmallVector<Value>(ImplicitLocOpBuilder &)> elseValues);
/// if (cond) thenBody else elseBody, no results (e.g. a prefill and a
/// decode variant of an op's loops).
void ifThenElse(ImplicitLocOpBuilder &b, Value cond,
                function_ref<void(ImplicitLocOpBuilder &)> thenBody,
                function_ref<void(ImplicitLocOpBuilder &)> elseBody);
/// The product of index values (1 for none): a row count from its dims.
Value product(ImplicitLocOpBuilder &b, ValueRange sizes);

/// `ivs` followed by `more` (an element index from a row index and a column).
SmallVector<Value> concat(ValueRange ivs, ValueRange more);

/// A scratch f32 vector of `size` elements (static when `size` is a
/// constant); freed by the deallocation pipeline.
Value allocScratch(ImplicitLocOpBuilder &b, Value size);

/// sigmoid(x) = 0.5 * (1 + tanh(x / 2)): the overflow-free form the
/// reference uses.
Value sigmoid(ImplicitLocOpBuilder &b, Value x);

/// Loads an element as f32 (extending bf16/f16) / stores an f32 value
/// (rounding to the buffer's element type).
Value loadF32(ImplicitLocOpBuilder &b, Value memref, ValueRange idx);
void storeF32(ImplicitLocOpBuilder &b, Value v, Value memref, ValueRange idx);
/// Loads an integer element as index (ids, positions, slots, selections).
Value loadIndex(ImplicitLocOpBuilder &b, Value memref, ValueRange idx);

/// A converted weight operand: its buffer plus the original tensor type,
/// which says how to read it (plain, or packed FP8/FP4, see BufferTypes.h).
struct WeightAccess {
  Value buffer;
  RankedTensorType type;
};

/// Iterations along a weight row per 16-byte load of its codes: the
/// laneChunk of a split reduction that walks the row (fp4 32, fp8 16,
/// bf16 8, f32 4).
int64_t weightLaneChunk(const WeightAccess &w);
/// W[idx] dequantized to f32. `idx` indexes the logical shape of `type`.
Value loadWeight(ImplicitLocOpBuilder &b, const WeightAccess &w,
                 ValueRange idx);
/// W[idx ... idx + n - 1] along the last index, dequantized to f32, with
/// one scale load: the run must lie in one scale block (n divides the
/// block's columns and the first column is a multiple of n).
SmallVector<Value> loadWeightRun(ImplicitLocOpBuilder &b,
                                 const WeightAccess &w, ValueRange idx,
                                 int64_t n);

/// floor(log2(x)), ceil(log2(x)) (x a positive normal f64) and 2^e (e an
/// integral f64 in [-1022, 1023]) from the bits: exact, so block scales are
/// the same on every target (libm's and libdevice's log2 differ by an ulp).
Value floorLog2(ImplicitLocOpBuilder &b, Value x);
Value ceilLog2(ImplicitLocOpBuilder &b, Value x);
Value pow2(ImplicitLocOpBuilder &b, Value e);

/// Format decoders on integer codes (i8 values).
Value decodeE4M3(ImplicitLocOpBuilder &b, Value code);
Value decodeE2M1(ImplicitLocOpBuilder &b, Value nibble);
Value decodeE8M0(ImplicitLocOpBuilder &b, Value code);

/// f64 value rounding (round to nearest even, saturating), as numerics.py.
Value roundE4M3(ImplicitLocOpBuilder &b, Value x64);
Value roundE2M1(ImplicitLocOpBuilder &b, Value x64);
/// f32 -> bf16 -> f32.
Value roundBF16(ImplicitLocOpBuilder &b, Value x32);

/// Simulated block quantization of one block [lo, hi): amax of the f32
/// values load(i), scale 2^ceil(log2(max(amax, floor) / fmax)) (f64), then
/// store(i, f32(round(load(i) / scale) * scale)) (spec section 4).
void quantizeBlock(
    ImplicitLocOpBuilder &b, Value lo, Value hi, QuantFormat format,
    function_ref<Value(ImplicitLocOpBuilder &, Value)> load,
    function_ref<void(ImplicitLocOpBuilder &, Value, Value)> store);

/// dst[row..., i] = the simulated block quantization of src[row..., i] for
/// i < count, blocks of `block` along the last dim (the last may be
/// partial), for every row in `rowDims`: an scf.parallel over rows x blocks
/// for the scales (amax a split reduction), then one over rows x values.
/// `dst` may be `src` (in place); values as quantizeRowInPlace.
void quantizeRows(ImplicitLocOpBuilder &b, Value src, Value dst,
                  ArrayRef<Value> rowDims, Value count, int64_t block,
                  QuantFormat format);

/// Simulated block quantization in place over `count` consecutive values of
/// the last dim of `buffer` (f32), starting at `start`, for the row `prefix`
/// (all indices but the last): blocks of `block` (the last may be partial)
/// each get the scale 2^ceil(log2(max(amax, floor) / fmax)) and values are
/// rounded through `format` (spec section 4).
void quantizeRowInPlace(ImplicitLocOpBuilder &b, Value buffer,
                        ValueRange prefix, int64_t start, Value count,
                        int64_t block, QuantFormat format);

/// The rounding a state row of this storage applies on write, in place over
/// row `prefix` of `buffer` (width `width`): fp8_nope rounds the first
/// width - rope values in blocks of 64 and the rope values to bf16; fp4 rounds all in blocks of 32;
/// bf16 rounds each value to bf16; f32 does nothing.
void roundStateRow(ImplicitLocOpBuilder &b, StateType type, Value buffer,
                   ValueRange prefix);

/// The state row rounding of roundStateRow split into independent groups:
/// fp8_nope: the e4m3 blocks of 64 of the nope dims, then each rope dim;
/// fp4: the blocks of 32; f32 / bf16: each dim. A group's rounded values
/// depend only on its own values.
int64_t stateRowGroups(StateType type);
/// Writes group `g` (< stateRowGroups) of row `prefix` of `buffer` from the
/// f32 values value(ch), rounded to the storage: the same values as writing
/// the whole row, then roundStateRow.
void writeStateRowGroup(
    ImplicitLocOpBuilder &b, StateType type, Value buffer, ValueRange prefix,
    Value g, function_ref<Value(ImplicitLocOpBuilder &, Value ch)> value);

/// The rope frequency f_i (f64, i < dims/2) of `rope`, computed at compile
/// time (RopeAttr::getFrequencies), selected by an scf.index_switch on `i`:
/// no table in memory, so any loop (or GPU thread) can use it.
Value ropeFrequency(ImplicitLocOpBuilder &b, RopeAttr rope, Value i);

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_CPU_LOWERINGUTILS_H

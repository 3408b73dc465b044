//===- WarpMma.h - one warp's tile of mma.sync products -------------------===//
//
// The tensor-core core shared by the prefill products (TensorCoreLinear.h,
// TensorCoreExperts.h, TensorCoreAttention.h): a warp accumulates a tile of
// kTileRows rows x kTileOutputs outputs, sum over k of x[row, k] *
// W[output, k], with mma.sync.m16n8k16 (bf16 operands, f32 accumulators),
// 4 x 4 mma tiles, 16 f32 accumulators per lane.
//
// Along k the warp takes chunks of 64: lane (g = lane / 4, t = lane % 4)
// reads the weight row of output g of each 8-output tile at k = 16t .. 16t +
// 15 (one 16-byte load of FP8 codes, two of bf16) and the activations of
// rows g and g + 8 of each 16-row tile at the same k. A chunk is 4 mma
// k-steps; the mma's logical k maps to memory permuted (step s, logical k 2t
// + {0,1} and 2t + 8 + {0,1} -> 16t + 4s + {0,1} and 16t + 4s + {2,3}), the
// same for both operands, so the dot products are unchanged and every
// lane's loads are contiguous. A last partial chunk reads zeros past k.
//
// Exactness: every checkpoint weight ds4 multiplies is exact in bf16 once
// dequantized (FP8 and FP4 codes times a power of two, bf16 heads).
// Activations are split once, before the tiles, into `terms` bf16 planes
// summing to the f32 value (3 parts carry all 24 significand bits; 1 where
// the activation is exact in bf16, e.g. rows rounded through e4m3); f32
// weights (attention's kv rows) are split likewise as they are read. Every
// product is then the exact product the CPU forms; only the order and
// rounding of the f32 sums inside the tensor core differ from the host's.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_LOWERING_GPU_WARPMMA_H
#define DS4_LOWERING_GPU_WARPMMA_H

#include "lowering/cpu/LoweringUtils.h"

namespace mlir::ds4::lowering {

/// The attribute on an scf.parallel whose every iteration is one warp's
/// work: its body reads gpu.lane_id and issues warp-wide instructions, so
/// ds4-map-to-gpu must give each iteration the 32 lanes of one warp.
inline constexpr llvm::StringLiteral kWarpIteration = "ds4.warp_iteration";

namespace warp_mma {
constexpr int64_t kTilesM = 4; // 16-row mma tiles per warp
constexpr int64_t kTilesN = 4; // 8-output mma tiles per warp
constexpr int64_t kTileRows = 16 * kTilesM;
constexpr int64_t kTileOutputs = 8 * kTilesN;
constexpr int64_t kAccRegs = 4;  // f32 accumulator registers per mma tile
constexpr int64_t kLaneRun = 16; // consecutive k a lane reads per chunk

/// read(col), or 0 where col >= k when `masked` (a last, partial chunk;
/// the read itself is clamped to column k - 1).
Value maskedRead(ImplicitLocOpBuilder &b, bool masked, Value col, int64_t k,
                 function_ref<Value(Value)> read);

/// Whether a warp tile can read `w`: a lane's run of 16 weights must share
/// one scale (packed blocks of a multiple of 16 columns; plain weights
/// always do).
bool supportsWeight(const WeightAccess &w);

/// This lane's place in the fragments: g = lane / 4, t = lane % 4.
struct Lane {
  Value g, t;
};
Lane laneCoords(ImplicitLocOpBuilder &b);

/// Activations split once into bf16 parts (above), before the warp tiles
/// read them: plane[term, row, pair] is an i32 holding columns 2 pair and
/// 2 pair + 1 (the lower in the low half), zero past k up to a whole
/// chunk, so a lane's fragment registers are plain loads.
struct ActivationPlanes {
  Value buffer; // memref<terms x rows x pairs x i32>
  int64_t terms = 3;
  int64_t k = 0;
};

/// The scf.parallel (rows x pairs) writing the planes of `rows` rows of
/// length k; x(row, col) reads activation col < k of flat row `row`.
ActivationPlanes splitActivations(
    ImplicitLocOpBuilder &b, Value rows, int64_t k, int64_t terms,
    function_ref<Value(ImplicitLocOpBuilder &, Value row, Value col)> x);

/// What one warp multiplies. Rows: the lane's rows are (i, h) -> local row
/// 16i + 8h + g of the tile; outputs: the lane reads the weight row of
/// output g of n-tile j.
struct Operands {
  ActivationPlanes x;
  /// The plane row of the lane's row (i, h).
  Value planeRow[kTilesM][2];
  /// The lane's kLaneRun weights of n-tile j at columns col .. col + 15, as
  /// f32; with `masked` (the last chunk) columns from k on read 0.
  function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, int64_t j, Value col,
                                  bool masked)>
      weights;
  /// bf16 parts per weight: 1 where weights are exact in bf16 (dequantized
  /// FP8/FP4, bf16), 3 for f32 data (then the parts' products down to
  /// 2^-16 of the leading one are formed: 6 mma instead of 9).
  int64_t weightTerms = 1;
};

/// Rows of weights read through loadWeight: n-tile j reads row[j] (leading
/// indices included, e.g. {expert, row}; the column is appended).
struct WeightRows {
  std::array<WeightAccess, kTilesN> weight;
  std::array<SmallVector<Value>, kTilesN> row;
  int64_t k = 0;
};
/// Operands::weights for WeightRows.
SmallVector<Value> readWeightRun(ImplicitLocOpBuilder &b,
                                 const WeightRows &rows, int64_t j, Value col,
                                 bool masked);

/// Where the lane's values sit in a tile starting at row0 / out0:
/// - laneRow: its row (i, h), row0 + 16i + 8h + g;
/// - laneOutput: the weight row it reads for n-tile j, out0 + 8j + g;
/// - accumulatorOutput: the output of accumulator r of n-tile j, out0 +
///   8j + 2t + r % 2 (its row is laneRow(i, r / 2)).
Value laneRow(ImplicitLocOpBuilder &b, const Lane &lane, Value row0, int64_t i,
              int64_t h);
Value laneOutput(ImplicitLocOpBuilder &b, const Lane &lane, Value out0,
                 int64_t j);
Value accumulatorOutput(ImplicitLocOpBuilder &b, const Lane &lane, Value out0,
                        int64_t j, int64_t r);

/// The accumulators after the whole reduction: value (i * kTilesN + j) *
/// kAccRegs + r is row 16i + 8 (r / 2) + g, output 8j + 2t + r % 2 of the
/// tile.
SmallVector<Value> accumulate(ImplicitLocOpBuilder &b, const Lane &lane,
                              const Operands &ops);
/// accumulate() with the weights read from `rows` (readWeightRun).
SmallVector<Value> accumulate(ImplicitLocOpBuilder &b, const Lane &lane,
                              Operands ops, const WeightRows &rows);
} // namespace warp_mma

} // namespace mlir::ds4::lowering

#endif // DS4_LOWERING_GPU_WARPMMA_H

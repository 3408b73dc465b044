//===- WarpMma.cpp - one warp's tile of mma.sync products -----------------===//

#include "lowering/gpu/WarpMma.h"

#include "lowering/cpu/BufferTypes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;
using namespace mlir::ds4::lowering::warp_mma;

namespace {
constexpr int64_t kLaneRun = 16; // consecutive k a lane reads per chunk
constexpr int64_t kChunk = 64;   // k per chunk: 4 lanes of a quad x kLaneRun
constexpr int64_t kSteps = 4;    // mma k-steps (16 each) per chunk

/// (lo, hi) f32 values exactly representable in bf16 -> one .b32 register
/// holding bf16x2, lo in the low half (the lower k).
Value packPair(ImplicitLocOpBuilder &b, Value lo, Value hi) {
  Type i32 = b.getI32Type();
  auto bits = [&](Value v) {
    Value h = arith::TruncFOp::create(b, b.getBF16Type(), v);
    return arith::ExtUIOp::create(
        b, i32, arith::BitcastOp::create(b, b.getI16Type(), h));
  };
  return arith::OrIOp::create(
      b, bits(lo), arith::ShLIOp::create(b, bits(hi), constI32(b, 16)));
}

/// x split into `terms` bf16-exact parts, largest first, summing to x. An
/// infinite x keeps its first part and zero rest (inf - inf would be NaN).
SmallVector<Value> splitTerms(ImplicitLocOpBuilder &b, Value x, int64_t terms) {
  SmallVector<Value> parts;
  Value rest = x;
  for (int64_t p = 0; p < terms; ++p) {
    Value part = roundBF16(b, rest);
    parts.push_back(part);
    if (p + 1 == terms)
      break;
    Value next = arith::SubFOp::create(b, rest, part);
    Value nan = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, next, next);
    rest = arith::SelectOp::create(b, nan, constF32(b, 0.0), next);
  }
  return parts;
}

/// read(col), or 0 where col >= k when `masked` (the last, partial chunk).
Value maskedRead(ImplicitLocOpBuilder &b, bool masked, Value col, int64_t k,
                 function_ref<Value(Value)> read) {
  if (!masked)
    return read(col);
  Value valid = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col,
                                      constIndex(b, k));
  Value v = read(arith::MinUIOp::create(b, col, constIndex(b, k - 1)));
  return arith::SelectOp::create(b, valid, v, constF32(b, 0.0));
}

Value mma(ImplicitLocOpBuilder &b, ArrayRef<Value> a, ArrayRef<Value> bReg,
          ArrayRef<Value> c) {
  Type f32 = b.getF32Type();
  auto resultType =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  return NVVM::MmaOp::create(
      b, resultType, a, bReg, c, ArrayRef<int64_t>{16, 8, 16},
      /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
}

/// acc advanced by the chunk whose lane columns start at laneK.
SmallVector<Value> chunk(ImplicitLocOpBuilder &b, const Operands &ops,
                         Value laneK, bool masked, ValueRange acc) {
  // Weights: 16 consecutive k of each n-tile's row -> 8 registers.
  SmallVector<Value> bRegs[kTilesN];
  for (int64_t j = 0; j < kTilesN; ++j) {
    const WeightAccess &w = ops.weight[j];
    SmallVector<Value> v;
    if (masked) {
      for (int64_t e = 0; e < kLaneRun; ++e)
        v.push_back(maskedRead(
            b, true, arith::AddIOp::create(b, laneK, constIndex(b, e)), ops.k,
            [&](Value col) {
              return loadWeight(b, w, concat(ops.weightRow[j], {col}));
            }));
    } else {
      v = loadWeightRun(b, w, concat(ops.weightRow[j], {laneK}), kLaneRun);
    }
    for (int64_t p = 0; p < kLaneRun / 2; ++p)
      bRegs[j].push_back(packPair(b, v[2 * p], v[2 * p + 1]));
  }
  SmallVector<Value> next(acc);
  for (int64_t s = 0; s < kSteps; ++s) {
    // Activations of rows g and g + 8 at k = laneK + 4s .. + 3, in bf16
    // parts; A register r holds row h = r % 2, k pair r / 2.
    Value stepK = arith::AddIOp::create(b, laneK, constIndex(b, 4 * s));
    SmallVector<Value> aRegs[kTilesM]; // [term * 4 + register]
    for (int64_t i = 0; i < kTilesM; ++i) {
      SmallVector<Value> parts[2][4];
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t e = 0; e < 4; ++e) {
          Value col = arith::AddIOp::create(b, stepK, constIndex(b, e));
          Value v = maskedRead(b, masked, col, ops.k,
                               [&](Value c) { return ops.x(b, i, h, c); });
          parts[h][e] = splitTerms(b, v, ops.terms);
        }
      for (int64_t term = 0; term < ops.terms; ++term)
        for (int64_t r = 0; r < 4; ++r) {
          int64_t h = r % 2, e = 2 * (r / 2);
          aRegs[i].push_back(
              packPair(b, parts[h][e][term], parts[h][e + 1][term]));
        }
    }
    // The smallest parts first.
    for (int64_t term = ops.terms - 1; term >= 0; --term)
      for (int64_t i = 0; i < kTilesM; ++i)
        for (int64_t j = 0; j < kTilesN; ++j) {
          int64_t at = (i * kTilesN + j) * kAccRegs;
          ArrayRef<Value> a = ArrayRef<Value>(aRegs[i]).slice(term * 4, 4);
          Value d = mma(b, a, {bRegs[j][2 * s], bRegs[j][2 * s + 1]},
                        ArrayRef<Value>(next).slice(at, kAccRegs));
          for (int64_t r = 0; r < kAccRegs; ++r)
            next[at + r] = LLVM::ExtractValueOp::create(b, d, r);
        }
  }
  return next;
}
} // namespace

bool warp_mma::supportsWeight(const WeightAccess &w) {
  std::optional<PackedWeightLayout> layout = getPackedWeightLayout(w.type);
  return !layout || layout->blockCols % kLaneRun == 0;
}

warp_mma::Lane warp_mma::laneCoords(ImplicitLocOpBuilder &b) {
  Value lane = gpu::LaneIdOp::create(b, /*upper_bound=*/nullptr);
  return {arith::DivUIOp::create(b, lane, constIndex(b, 4)),
          arith::RemUIOp::create(b, lane, constIndex(b, 4))};
}

SmallVector<Value> warp_mma::accumulate(ImplicitLocOpBuilder &b,
                                        const Lane &lane, const Operands &ops) {
  assert((ops.terms == 1 || ops.terms == 3) && "1 or 3 bf16 parts");
  Value laneOffset = arith::MulIOp::create(b, lane.t, constIndex(b, kLaneRun));
  SmallVector<Value> acc(kTilesM * kTilesN * kAccRegs, constF32(b, 0.0));
  int64_t full = ops.k / kChunk * kChunk;
  if (full > 0) {
    auto chunks = scf::ForOp::create(
        b, constIndex(b, 0), constIndex(b, full), constIndex(b, kChunk), acc,
        [&](OpBuilder &nb, Location loc, Value k0, ValueRange carried) {
          ImplicitLocOpBuilder b(loc, nb);
          Value laneK = arith::AddIOp::create(b, k0, laneOffset);
          scf::YieldOp::create(b, chunk(b, ops, laneK, false, carried));
        });
    acc.assign(chunks.getResults().begin(), chunks.getResults().end());
  }
  if (full < ops.k) {
    Value laneK = arith::AddIOp::create(b, constIndex(b, full), laneOffset);
    acc = chunk(b, ops, laneK, true, acc);
  }
  return acc;
}

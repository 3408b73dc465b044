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
constexpr int64_t kChunk = 64; // k per chunk: 4 lanes of a quad x kLaneRun
constexpr int64_t kSteps = 4;  // mma k-steps (16 each) per chunk

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
  // Weights: 16 consecutive k of each n-tile's row, in bf16 parts ->
  // bRegs[j][term * 8 + pair].
  SmallVector<Value> bRegs[kTilesN];
  for (int64_t j = 0; j < kTilesN; ++j) {
    SmallVector<Value> v = ops.weights(b, j, laneK, masked);
    SmallVector<SmallVector<Value>> parts;
    for (Value e : v)
      parts.push_back(ops.weightTerms == 1 ? SmallVector<Value>{e}
                                           : splitTerms(b, e, ops.weightTerms));
    for (int64_t term = 0; term < ops.weightTerms; ++term)
      for (int64_t p = 0; p < kLaneRun / 2; ++p)
        bRegs[j].push_back(
            packPair(b, parts[2 * p][term], parts[2 * p + 1][term]));
  }
  // The products of parts (x part a, weight part w) that reach f32
  // precision (a + w <= 2), the smallest first.
  SmallVector<std::pair<int64_t, int64_t>> products;
  for (int64_t level = 2; level >= 0; --level)
    for (int64_t a = 0; a < ops.x.terms; ++a)
      for (int64_t w = 0; w < ops.weightTerms; ++w)
        if (a + w == level)
          products.push_back({a, w});
  SmallVector<Value> next(acc);
  const ActivationPlanes &x = ops.x;
  Value lanePair = arith::DivUIOp::create(b, laneK, constIndex(b, 2));
  for (int64_t s = 0; s < kSteps; ++s) {
    // A register r of 16-row tile i: row h = r % 2, columns laneK + 4s +
    // 2 (r / 2) + {0, 1}: one plane pair.
    SmallVector<Value> aRegs[kTilesM]; // [term * 4 + register]
    for (int64_t i = 0; i < kTilesM; ++i)
      for (int64_t term = 0; term < x.terms; ++term)
        for (int64_t r = 0; r < 4; ++r) {
          Value pair =
              arith::AddIOp::create(b, lanePair, constIndex(b, 2 * s + r / 2));
          aRegs[i].push_back(memref::LoadOp::create(
              b, x.buffer,
              ValueRange{constIndex(b, term), ops.planeRow[i][r % 2], pair}));
        }
    for (auto [a, w] : products)
      for (int64_t i = 0; i < kTilesM; ++i)
        for (int64_t j = 0; j < kTilesN; ++j) {
          int64_t at = (i * kTilesN + j) * kAccRegs;
          ArrayRef<Value> aReg = ArrayRef<Value>(aRegs[i]).slice(a * 4, 4);
          int64_t bAt = w * (kLaneRun / 2) + 2 * s;
          Value d = mma(b, aReg, {bRegs[j][bAt], bRegs[j][bAt + 1]},
                        ArrayRef<Value>(next).slice(at, kAccRegs));
          for (int64_t r = 0; r < kAccRegs; ++r)
            next[at + r] = LLVM::ExtractValueOp::create(b, d, r);
        }
  }
  return next;
}
} // namespace

ActivationPlanes warp_mma::splitActivations(
    ImplicitLocOpBuilder &b, Value rows, int64_t k, int64_t terms,
    function_ref<Value(ImplicitLocOpBuilder &, Value, Value)> x) {
  assert((terms == 1 || terms == 3) && "1 or 3 bf16 parts");
  int64_t pairs = (k + kChunk - 1) / kChunk * kChunk / 2;
  ActivationPlanes planes;
  planes.terms = terms;
  planes.k = k;
  planes.buffer = allocBuffer(
      b, MemRefType::get({terms, ShapedType::kDynamic, pairs}, b.getI32Type()),
      {constIndex(b, terms), rows, constIndex(b, pairs)});
  parallelForEach(b, {rows, constIndex(b, pairs)},
                  [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
                    SmallVector<Value> parts[2];
                    for (int64_t e = 0; e < 2; ++e) {
                      Value col = arith::AddIOp::create(
                          b, arith::MulIOp::create(b, ivs[1], constIndex(b, 2)),
                          constIndex(b, e));
                      Value v = maskedRead(b, true, col, k, [&](Value c) {
                        return x(b, ivs[0], c);
                      });
                      parts[e] = splitTerms(b, v, terms);
                    }
                    for (int64_t term = 0; term < terms; ++term)
                      memref::StoreOp::create(
                          b, packPair(b, parts[0][term], parts[1][term]),
                          planes.buffer,
                          ValueRange{constIndex(b, term), ivs[0], ivs[1]});
                  });
  return planes;
}

SmallVector<Value> warp_mma::readWeightRun(ImplicitLocOpBuilder &b,
                                           const WeightRows &rows, int64_t j,
                                           Value col, bool masked) {
  const WeightAccess &w = rows.weight[j];
  if (!masked)
    return loadWeightRun(b, w, concat(rows.row[j], {col}), kLaneRun);
  SmallVector<Value> v;
  for (int64_t e = 0; e < kLaneRun; ++e)
    v.push_back(maskedRead(
        b, true, arith::AddIOp::create(b, col, constIndex(b, e)), rows.k,
        [&](Value c) { return loadWeight(b, w, concat(rows.row[j], {c})); }));
  return v;
}

Value warp_mma::maskedRead(ImplicitLocOpBuilder &b, bool masked, Value col,
                           int64_t k, function_ref<Value(Value)> read) {
  if (!masked)
    return read(col);
  Value valid = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, col,
                                      constIndex(b, k));
  Value v = read(arith::MinUIOp::create(b, col, constIndex(b, k - 1)));
  return arith::SelectOp::create(b, valid, v, constF32(b, 0.0));
}

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
  Value laneOffset = arith::MulIOp::create(b, lane.t, constIndex(b, kLaneRun));
  SmallVector<Value> acc(kTilesM * kTilesN * kAccRegs, constF32(b, 0.0));
  int64_t k = ops.x.k;
  int64_t full = k / kChunk * kChunk;
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
  if (full < k) {
    Value laneK = arith::AddIOp::create(b, constIndex(b, full), laneOffset);
    acc = chunk(b, ops, laneK, true, acc);
  }
  return acc;
}

Value warp_mma::laneRow(ImplicitLocOpBuilder &b, const Lane &lane, Value row0,
                        int64_t i, int64_t h) {
  return arith::AddIOp::create(
      b, row0, arith::AddIOp::create(b, lane.g, constIndex(b, 16 * i + 8 * h)));
}

Value warp_mma::laneOutput(ImplicitLocOpBuilder &b, const Lane &lane,
                           Value out0, int64_t j) {
  return arith::AddIOp::create(
      b, out0, arith::AddIOp::create(b, lane.g, constIndex(b, 8 * j)));
}

Value warp_mma::accumulatorOutput(ImplicitLocOpBuilder &b, const Lane &lane,
                                  Value out0, int64_t j, int64_t r) {
  Value col0 = arith::MulIOp::create(b, lane.t, constIndex(b, 2));
  return arith::AddIOp::create(
      b, out0, arith::AddIOp::create(b, col0, constIndex(b, 8 * j + r % 2)));
}

SmallVector<Value> warp_mma::accumulate(ImplicitLocOpBuilder &b,
                                        const Lane &lane, Operands ops,
                                        const WeightRows &rows) {
  auto weights = [&](ImplicitLocOpBuilder &b, int64_t j, Value col,
                     bool masked) {
    return readWeightRun(b, rows, j, col, masked);
  };
  ops.weights = weights;
  return accumulate(b, lane, ops);
}

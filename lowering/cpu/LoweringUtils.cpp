//===- LoweringUtils.cpp --------------------------------------------------===//

#include "lowering/cpu/LoweringUtils.h"
#include "lowering/cpu/Patterns.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include <algorithm>

using namespace mlir;
using namespace mlir::ds4;
using namespace mlir::ds4::lowering;

Value lowering::constIndex(ImplicitLocOpBuilder &b, int64_t v) {
  return arith::ConstantIndexOp::create(b, v);
}
Value lowering::constF32(ImplicitLocOpBuilder &b, double v) {
  return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
}
Value lowering::constF64(ImplicitLocOpBuilder &b, double v) {
  return arith::ConstantOp::create(b, b.getF64FloatAttr(v));
}
Value lowering::constI32(ImplicitLocOpBuilder &b, int64_t v) {
  return arith::ConstantOp::create(b, b.getI32IntegerAttr(v));
}

SmallVector<Value> lowering::memrefDims(ImplicitLocOpBuilder &b, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<Value> dims;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (type.isDynamicDim(i))
      dims.push_back(memref::DimOp::create(b, memref, i));
    else
      dims.push_back(constIndex(b, type.getDimSize(i)));
  }
  return dims;
}

Value lowering::allocBuffer(ImplicitLocOpBuilder &b, MemRefType type,
                            ArrayRef<Value> allDims) {
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamic.push_back(allDims[i]);
  return memref::AllocOp::create(b, type, dynamic);
}

void lowering::forEach(ImplicitLocOpBuilder &b, ArrayRef<Value> ubs,
                       LoopBody body) {
  SmallVector<Value> lbs(ubs.size(), constIndex(b, 0));
  SmallVector<Value> steps(ubs.size(), constIndex(b, 1));
  scf::buildLoopNest(b, b.getLoc(), lbs, ubs, steps,
                     [&](OpBuilder &nested, Location loc, ValueRange ivs) {
                       ImplicitLocOpBuilder ib(loc, nested);
                       body(ib, ivs);
                     });
}

void lowering::parallelForEach(ImplicitLocOpBuilder &b, ArrayRef<Value> ubs,
                               LoopBody body) {
  SmallVector<Value> bounds(ubs.begin(), ubs.end());
  if (bounds.empty())
    bounds.push_back(constIndex(b, 1));
  SmallVector<Value> lbs(bounds.size(), constIndex(b, 0));
  SmallVector<Value> steps(bounds.size(), constIndex(b, 1));
  bool none = ubs.empty();
  scf::ParallelOp::create(b, lbs, bounds, steps,
                          [&](OpBuilder &nested, Location loc, ValueRange ivs) {
                            ImplicitLocOpBuilder ib(loc, nested);
                            body(ib, none ? ValueRange{} : ivs);
                          });
}

Value lowering::reduce(ImplicitLocOpBuilder &b, Value lb, Value ub, Value init,
                       ReduceBody body) {
  auto loop = scf::ForOp::create(
      b, lb, ub, constIndex(b, 1), ValueRange{init},
      [&](OpBuilder &nested, Location loc, Value iv, ValueRange acc) {
        ImplicitLocOpBuilder ib(loc, nested);
        scf::YieldOp::create(ib, ValueRange{body(ib, iv, acc[0])});
      });
  return loop.getResult(0);
}

Value lowering::reduce(ImplicitLocOpBuilder &b, Value ub, Value init,
                       ReduceBody body) {
  return reduce(b, constIndex(b, 0), ub, init, body);
}

SmallVector<Value> lowering::splitReduce(ImplicitLocOpBuilder &b, Value lb,
                                         Value ub, ValueRange inits,
                                         int64_t laneChunk,
                                         ReduceAllBody body) {
  auto loop = scf::ForOp::create(
      b, lb, ub, constIndex(b, 1), inits,
      [&](OpBuilder &nested, Location loc, Value iv, ValueRange acc) {
        ImplicitLocOpBuilder ib(loc, nested);
        scf::YieldOp::create(ib, body(ib, iv, acc));
      });
  loop->setAttr(kSplitReduction, b.getI64IntegerAttr(laneChunk));
  return SmallVector<Value>(loop.getResults());
}

Value lowering::splitReduce(ImplicitLocOpBuilder &b, Value lb, Value ub,
                            Value init, int64_t laneChunk, ReduceBody body) {
  return splitReduce(b, lb, ub, ValueRange{init}, laneChunk,
                     [&](ImplicitLocOpBuilder &b, Value iv, ValueRange acc) {
                       return SmallVector<Value>{body(b, iv, acc[0])};
                     })[0];
}

Value lowering::splitReduce(ImplicitLocOpBuilder &b, Value ub, Value init,
                            int64_t laneChunk, ReduceBody body) {
  return splitReduce(b, constIndex(b, 0), ub, init, laneChunk, body);
}

Value lowering::iAdd(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::AddIOp::create(b, x, y);
}
Value lowering::iSub(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::SubIOp::create(b, x, y);
}
Value lowering::iMul(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::MulIOp::create(b, x, y);
}
Value lowering::iDiv(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::DivUIOp::create(b, x, y);
}
Value lowering::iRem(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::RemUIOp::create(b, x, y);
}
Value lowering::iMin(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::MinSIOp::create(b, x, y);
}
Value lowering::iMax(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::MaxSIOp::create(b, x, y);
}
Value lowering::iCmp(ImplicitLocOpBuilder &b, arith::CmpIPredicate p, Value x,
                     Value y) {
  return arith::CmpIOp::create(b, p, x, y);
}
Value lowering::fMax(ImplicitLocOpBuilder &b, Value x, Value y) {
  return arith::MaximumFOp::create(b, x, y);
}

void lowering::ifThen(ImplicitLocOpBuilder &b, Value cond,
                      function_ref<void(ImplicitLocOpBuilder &)> body) {
  scf::IfOp::create(b, cond, [&](OpBuilder &nested, Location loc) {
    ImplicitLocOpBuilder ib(loc, nested);
    body(ib);
    scf::YieldOp::create(ib);
  });
}

Value lowering::ifElse(ImplicitLocOpBuilder &b, Value cond,
                       function_ref<Value(ImplicitLocOpBuilder &)> thenValue,
                       function_ref<Value(ImplicitLocOpBuilder &)> elseValue) {
  return ifElseAll(
      b, cond,
      [&](ImplicitLocOpBuilder &b) { return SmallVector<Value>{thenValue(b)}; },
      [&](ImplicitLocOpBuilder &b) {
        return SmallVector<Value>{elseValue(b)};
      })[0];
}

void lowering::ifThenElse(ImplicitLocOpBuilder &b, Value cond,
                          function_ref<void(ImplicitLocOpBuilder &)> thenBody,
                          function_ref<void(ImplicitLocOpBuilder &)> elseBody) {
  ifElseAll(
      b, cond,
      [&](ImplicitLocOpBuilder &b) {
        thenBody(b);
        return SmallVector<Value>{};
      },
      [&](ImplicitLocOpBuilder &b) {
        elseBody(b);
        return SmallVector<Value>{};
      });
}

Value lowering::product(ImplicitLocOpBuilder &b, ValueRange sizes) {
  Value p = constIndex(b, 1);
  for (Value d : sizes)
    p = arith::MulIOp::create(b, p, d);
  return p;
}

OutputGroup lowering::outputGroup(ImplicitLocOpBuilder &b, Value q,
                                  int64_t size, Value count) {
  OutputGroup g;
  g.count = count;
  Value last = arith::SubIOp::create(b, count, constIndex(b, 1));
  Value first = arith::MulIOp::create(b, q, constIndex(b, size));
  for (int64_t u = 0; u < size; ++u) {
    g.output.push_back(arith::AddIOp::create(b, first, constIndex(b, u)));
    g.read.push_back(arith::MinUIOp::create(b, g.output.back(), last));
  }
  return g;
}

void OutputGroup::store(
    ImplicitLocOpBuilder &b,
    function_ref<void(ImplicitLocOpBuilder &, int64_t, Value)> fn) const {
  for (int64_t u = 0; u < int64_t(output.size()); ++u) {
    Value exists =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, output[u], count);
    ifThen(b, exists,
           [&](ImplicitLocOpBuilder &b) { fn(b, u, output[u]); });
  }
}

SmallVector<Value> lowering::ifElseAll(
    ImplicitLocOpBuilder &b, Value cond,
    function_ref<SmallVector<Value>(ImplicitLocOpBuilder &)> thenValues,
    function_ref<SmallVector<Value>(ImplicitLocOpBuilder &)> elseValues) {
  auto op = scf::IfOp::create(
      b, cond,
      [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder ib(loc, nested);
        scf::YieldOp::create(ib, thenValues(ib));
      },
      [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder ib(loc, nested);
        scf::YieldOp::create(ib, elseValues(ib));
      });
  return SmallVector<Value>(op.getResults());
}

SmallVector<Value> lowering::concat(ValueRange ivs, ValueRange more) {
  SmallVector<Value> idx(ivs.begin(), ivs.end());
  idx.append(more.begin(), more.end());
  return idx;
}

Value lowering::allocScratch(ImplicitLocOpBuilder &b, Value size) {
  if (std::optional<int64_t> c = getConstantIntValue(size))
    return memref::AllocOp::create(b, MemRefType::get({*c}, b.getF32Type()));
  return memref::AllocOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getF32Type()),
      ValueRange{size});
}

Value lowering::sigmoid(ImplicitLocOpBuilder &b, Value x) {
  Value t = math::TanhOp::create(b, arith::MulFOp::create(b, x, constF32(b, 0.5)));
  return arith::MulFOp::create(
      b, constF32(b, 0.5), arith::AddFOp::create(b, constF32(b, 1.0), t));
}

Value lowering::loadF32(ImplicitLocOpBuilder &b, Value memref, ValueRange idx) {
  Value v = memref::LoadOp::create(b, memref, idx);
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, b.getF32Type(), v);
}

void lowering::storeF32(ImplicitLocOpBuilder &b, Value v, Value memref,
                        ValueRange idx) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  if (element != v.getType())
    v = arith::TruncFOp::create(b, element, v);
  memref::StoreOp::create(b, v, memref, idx);
}

Value lowering::loadIndex(ImplicitLocOpBuilder &b, Value memref,
                          ValueRange idx) {
  Value v = memref::LoadOp::create(b, memref, idx);
  return arith::IndexCastOp::create(b, b.getIndexType(), v);
}

//===----------------------------------------------------------------------===//
// Number formats
//===----------------------------------------------------------------------===//

// e4m3fn: sign | 4-bit exponent (bias 7) | 3-bit mantissa; exponent 0 is
// subnormal (m * 2^-9); 0x7F/0xFF are NaN. The 7 magnitude bits placed at
// f32 bits 20..26 read as 2^(e-127) (1 + m/8) -- or, for e = 0, as the f32
// subnormal m * 2^-129 -- so one exact multiply by 2^120 gives the value in
// both cases: a handful of integer ops per weight, which the GPU's
// memory-bound matrix-vector kernels need (f32 subnormals are not flushed
// on either target).
Value lowering::decodeE4M3(ImplicitLocOpBuilder &b, Value code) {
  Type i32 = b.getI32Type();
  Value bits = arith::ExtUIOp::create(b, i32, code);
  Value mag = arith::AndIOp::create(b, bits, constI32(b, 0x7F));
  Value sign = arith::ShLIOp::create(
      b, arith::AndIOp::create(b, bits, constI32(b, 0x80)), constI32(b, 24));
  Value placed = arith::OrIOp::create(
      b, sign, arith::ShLIOp::create(b, mag, constI32(b, 20)));
  Value value = arith::MulFOp::create(
      b, arith::BitcastOp::create(b, b.getF32Type(), placed),
      constF32(b, 0x1p120));
  Value isNaN = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, mag,
                                      constI32(b, 0x7F));
  return arith::SelectOp::create(b, isNaN, constF32(b, NAN), value);
}

// e2m1 codes 0-7: 0, .5, 1, 1.5, 2, 3, 4, 6; 8-15 the negatives. As for
// e4m3: the 3 magnitude bits at f32 bits 22..24 read as 2^(e-127) (1 + m/2)
// (e = 0: the subnormal m * 2^-127), times 2^126.
Value lowering::decodeE2M1(ImplicitLocOpBuilder &b, Value nibble) {
  Type i32 = b.getI32Type();
  Value code = arith::ExtUIOp::create(b, i32, nibble);
  Value sign = arith::ShLIOp::create(
      b, arith::AndIOp::create(b, code, constI32(b, 8)), constI32(b, 28));
  Value mag = arith::ShLIOp::create(
      b, arith::AndIOp::create(b, code, constI32(b, 7)), constI32(b, 22));
  Value placed = arith::OrIOp::create(b, sign, mag);
  return arith::MulFOp::create(
      b, arith::BitcastOp::create(b, b.getF32Type(), placed),
      constF32(b, 0x1p126));
}

// e8m0: 2^(code - 127); code 0 is 2^-127 (an f32 subnormal); 255 is NaN.
Value lowering::decodeE8M0(ImplicitLocOpBuilder &b, Value code) {
  Type i32 = b.getI32Type();
  Value bits = arith::ExtUIOp::create(b, i32, code);
  Value normal = arith::BitcastOp::create(
      b, b.getF32Type(), arith::ShLIOp::create(b, bits, constI32(b, 23)));
  Value isZero = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, bits,
                                       constI32(b, 0));
  Value isNaN = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, bits,
                                      constI32(b, 255));
  Value v = arith::SelectOp::create(b, isZero, constF32(b, 0x1p-127), normal);
  return arith::SelectOp::create(b, isNaN, constF32(b, NAN), v);
}

int64_t lowering::weightLaneChunk(const WeightAccess &w) {
  if (std::optional<PackedWeightLayout> layout = getPackedWeightLayout(w.type))
    return layout->format == QuantFormat::fp8_e4m3 ? 16 : 32;
  unsigned bits = w.type.getElementType().getIntOrFloatBitWidth();
  return std::max<int64_t>(1, 128 / bits);
}

/// Where one weight row of a packed weight starts (its expert folded in)
/// and the f32 scale of the block holding (row, col).
namespace {
struct PackedRow {
  Value rowBase; // expert * rows + row
  Value scale;
};
} // namespace

static PackedRow packedRow(ImplicitLocOpBuilder &b, const WeightAccess &w,
                           const PackedWeightLayout &layout, ValueRange idx) {
  // Flatten leading (expert) indices.
  ArrayRef<int64_t> shape = w.type.getShape();
  Value expert = constIndex(b, 0);
  for (size_t i = 0; i + 2 < shape.size(); ++i)
    expert = arith::AddIOp::create(
        b, arith::MulIOp::create(b, expert, constIndex(b, shape[i])), idx[i]);
  Value row = idx[idx.size() - 2], col = idx[idx.size() - 1];
  Value rowBase = arith::AddIOp::create(
      b, arith::MulIOp::create(b, expert, constIndex(b, layout.rows)), row);
  Value sRow = arith::DivUIOp::create(b, row, constIndex(b, layout.blockRows));
  Value sCol = arith::DivUIOp::create(b, col, constIndex(b, layout.blockCols));
  Value sAt = arith::AddIOp::create(
      b, constIndex(b, layout.codeBytes()),
      arith::AddIOp::create(
          b,
          arith::MulIOp::create(
              b,
              arith::AddIOp::create(
                  b,
                  arith::MulIOp::create(b, expert,
                                        constIndex(b, layout.scaleRows)),
                  sRow),
              constIndex(b, layout.scaleCols)),
          sCol));
  Value scale =
      decodeE8M0(b, memref::LoadOp::create(b, w.buffer, ValueRange{sAt}));
  return {rowBase, scale};
}

/// The unscaled value of element `col` of a packed weight row.
static Value packedCode(ImplicitLocOpBuilder &b, const WeightAccess &w,
                        const PackedWeightLayout &layout, Value rowBase,
                        Value col) {
  Value rowStart =
      arith::MulIOp::create(b, rowBase, constIndex(b, layout.codeCols));
  if (layout.format == QuantFormat::fp8_e4m3) {
    Value at = arith::AddIOp::create(b, rowStart, col);
    return decodeE4M3(b, memref::LoadOp::create(b, w.buffer, ValueRange{at}));
  }
  Value byteCol = arith::DivUIOp::create(b, col, constIndex(b, 2));
  Value at = arith::AddIOp::create(b, rowStart, byteCol);
  Value byte = arith::ExtUIOp::create(
      b, b.getI32Type(), memref::LoadOp::create(b, w.buffer, ValueRange{at}));
  // Element 2j is the low nibble, 2j+1 the high one (spec section 2).
  Value odd = arith::RemUIOp::create(b, col, constIndex(b, 2));
  Value shift = arith::MulIOp::create(
      b, arith::IndexCastOp::create(b, b.getI32Type(), odd), constI32(b, 4));
  Value nibble = arith::ShRUIOp::create(b, byte, shift);
  return decodeE2M1(b, arith::TruncIOp::create(b, b.getI8Type(), nibble));
}

Value lowering::loadWeight(ImplicitLocOpBuilder &b, const WeightAccess &w,
                           ValueRange idx) {
  std::optional<PackedWeightLayout> layout = getPackedWeightLayout(w.type);
  if (!layout)
    return loadF32(b, w.buffer, idx);
  PackedRow row = packedRow(b, w, *layout, idx);
  return arith::MulFOp::create(
      b, packedCode(b, w, *layout, row.rowBase, idx.back()), row.scale);
}

SmallVector<Value> lowering::loadWeightRun(ImplicitLocOpBuilder &b,
                                           const WeightAccess &w,
                                           ValueRange idx, int64_t n) {
  SmallVector<Value> values;
  std::optional<PackedWeightLayout> layout = getPackedWeightLayout(w.type);
  SmallVector<Value> at(idx);
  if (!layout) {
    for (int64_t e = 0; e < n; ++e) {
      at.back() = arith::AddIOp::create(b, idx.back(), constIndex(b, e));
      values.push_back(loadF32(b, w.buffer, at));
    }
    return values;
  }
  assert(layout->blockCols % n == 0 && "a run must stay in one scale block");
  // One scale for the run; the codes are neighbouring bytes (fp8) or
  // nibbles (fp4, the run starting on an even element).
  PackedRow row = packedRow(b, w, *layout, idx);
  for (int64_t e = 0; e < n; ++e) {
    Value col = arith::AddIOp::create(b, idx.back(), constIndex(b, e));
    values.push_back(arith::MulFOp::create(
        b, packedCode(b, w, *layout, row.rowBase, col), row.scale));
  }
  return values;
}

// floor/ceil(log2(x)) and 2^e by the bits of an f64 (x positive and normal,
// e an integer in [-1022, 1023]): exact everywhere. log2 from libm and from
// libdevice may differ by an ulp, which moves ceil/floor at exact powers of
// two -- and requantizing fp8 data hits those (amax = 448 * 2^k) -- so a
// scale would differ between CPU and GPU.
static Value exponentBits(ImplicitLocOpBuilder &b, Value x) {
  Value bits = arith::BitcastOp::create(b, b.getI64Type(), x);
  return arith::ShRUIOp::create(
      b, bits, arith::ConstantIntOp::create(b, b.getI64Type(), 52));
}

Value lowering::floorLog2(ImplicitLocOpBuilder &b, Value x) {
  Value e = arith::SubIOp::create(
      b, exponentBits(b, x), arith::ConstantIntOp::create(b, b.getI64Type(), 1023));
  return arith::SIToFPOp::create(b, b.getF64Type(), e);
}

Value lowering::ceilLog2(ImplicitLocOpBuilder &b, Value x) {
  Value bits = arith::BitcastOp::create(b, b.getI64Type(), x);
  Value mantissa = arith::AndIOp::create(
      b, bits, arith::ConstantIntOp::create(b, b.getI64Type(), (int64_t(1) << 52) - 1));
  Value exact = arith::CmpIOp::create(
      b, arith::CmpIPredicate::eq, mantissa,
      arith::ConstantIntOp::create(b, b.getI64Type(), 0));
  Value e = floorLog2(b, x);
  return arith::SelectOp::create(
      b, exact, e, arith::AddFOp::create(b, e, constF64(b, 1.0)));
}

Value lowering::pow2(ImplicitLocOpBuilder &b, Value e) {
  Value i = arith::FPToSIOp::create(b, b.getI64Type(), e);
  i = arith::AddIOp::create(b, i, arith::ConstantIntOp::create(b, b.getI64Type(), 1023));
  i = arith::ShLIOp::create(b, i, arith::ConstantIntOp::create(b, b.getI64Type(), 52));
  return arith::BitcastOp::create(b, b.getF64Type(), i);
}

Value lowering::roundE4M3(ImplicitLocOpBuilder &b, Value x) {
  // Spacing 2^(e-3) for |x| in [2^e, 2^(e+1)), e >= -6 (subnormals: 2^-9).
  Value a = math::AbsFOp::create(b, x);
  a = arith::MinimumFOp::create(b, a, constF64(b, 448.0));
  Value positive = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, a,
                                         constF64(b, 0.0));
  Value safe = arith::SelectOp::create(b, positive, a, constF64(b, 1.0));
  Value e = floorLog2(b, safe);
  e = arith::MaximumFOp::create(b, e, constF64(b, -6.0));
  Value step = pow2(b, arith::SubFOp::create(b, e, constF64(b, 3.0)));
  Value r = arith::MulFOp::create(
      b, math::RoundEvenOp::create(b, arith::DivFOp::create(b, a, step)), step);
  r = arith::MinimumFOp::create(b, r, constF64(b, 448.0));
  return math::CopySignOp::create(b, r, x);
}

Value lowering::roundE2M1(ImplicitLocOpBuilder &b, Value x) {
  Value a = arith::MinimumFOp::create(b, math::AbsFOp::create(b, x),
                                      constF64(b, 6.0));
  Value below2 = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, a,
                                       constF64(b, 2.0));
  Value below4 = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, a,
                                       constF64(b, 4.0));
  Value step = arith::SelectOp::create(
      b, below2, constF64(b, 0.5),
      arith::SelectOp::create(b, below4, constF64(b, 1.0), constF64(b, 2.0)));
  Value r = arith::MulFOp::create(
      b, math::RoundEvenOp::create(b, arith::DivFOp::create(b, a, step)), step);
  r = arith::MinimumFOp::create(b, r, constF64(b, 6.0));
  return math::CopySignOp::create(b, r, x);
}

Value lowering::roundBF16(ImplicitLocOpBuilder &b, Value x) {
  Value h = arith::TruncFOp::create(b, b.getBF16Type(), x);
  return arith::ExtFOp::create(b, b.getF32Type(), h);
}

/// The block scale 2^ceil(log2(max(amax, floor) / fmax)) of `format` (f64).
static Value blockScale(ImplicitLocOpBuilder &b, Value amax,
                        QuantFormat format) {
  bool fp8 = format == QuantFormat::fp8_e4m3;
  double fmax = fp8 ? 448.0 : 6.0;
  double floor = fp8 ? 1e-4 : 6.0 * 0x1p-126;
  amax = arith::MaximumFOp::create(b, amax, constF64(b, floor));
  return pow2(b,
              ceilLog2(b, arith::DivFOp::create(b, amax, constF64(b, fmax))));
}

/// f32(round(v / scale) * scale) through `format`, in f64.
static Value roundToScale(ImplicitLocOpBuilder &b, Value v32, Value scale,
                          QuantFormat format) {
  Value v = arith::ExtFOp::create(b, b.getF64Type(), v32);
  Value q = arith::DivFOp::create(b, v, scale);
  q = format == QuantFormat::fp8_e4m3 ? roundE4M3(b, q) : roundE2M1(b, q);
  q = arith::MulFOp::create(b, q, scale);
  return arith::TruncFOp::create(b, b.getF32Type(), q);
}

/// max(acc, |v|) in f64: the amax step (exact, so any order gives the same).
static Value amaxStep(ImplicitLocOpBuilder &b, Value acc, Value v32) {
  Value v = arith::ExtFOp::create(b, b.getF64Type(), v32);
  return arith::MaximumFOp::create(b, acc, math::AbsFOp::create(b, v));
}

void lowering::quantizeBlock(
    ImplicitLocOpBuilder &b, Value lo, Value hi, QuantFormat format,
    function_ref<Value(ImplicitLocOpBuilder &, Value)> load,
    function_ref<void(ImplicitLocOpBuilder &, Value, Value)> store) {
  Value amax = reduce(b, lo, hi, constF64(b, 0.0),
                      [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
                        return amaxStep(b, acc, load(b, i));
                      });
  Value scale = blockScale(b, amax, format);
  scf::ForOp::create(
      b, lo, hi, constIndex(b, 1), ValueRange{},
      [&](OpBuilder &nested, Location loc, Value i, ValueRange) {
        ImplicitLocOpBuilder ib(loc, nested);
        store(ib, i, roundToScale(ib, load(ib, i), scale, format));
        scf::YieldOp::create(ib);
      });
}

void lowering::quantizeRowInPlace(ImplicitLocOpBuilder &b, Value buffer,
                                  ValueRange prefix, int64_t start,
                                  Value count, int64_t block,
                                  QuantFormat format) {
  Value blockV = constIndex(b, block);
  Value startV = constIndex(b, start);
  // number of blocks = ceil(count / block)
  Value blocks = arith::CeilDivUIOp::create(b, count, blockV);
  forEach(b, {blocks}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
    Value lo = arith::AddIOp::create(
        b, startV, arith::MulIOp::create(b, ivs[0], blockV));
    Value hi = arith::MinUIOp::create(
        b, arith::AddIOp::create(b, lo, blockV),
        arith::AddIOp::create(b, startV, count));
    quantizeBlock(
        b, lo, hi, format,
        [&](ImplicitLocOpBuilder &b, Value i) {
          return loadF32(b, buffer, concat(prefix, i));
        },
        [&](ImplicitLocOpBuilder &b, Value i, Value v) {
          storeF32(b, v, buffer, concat(prefix, i));
        });
  });
}

void lowering::quantizeRows(ImplicitLocOpBuilder &b, Value src, Value dst,
                            ArrayRef<Value> rowDims, Value count,
                            int64_t block, QuantFormat format) {
  // Two loops: the scale of every (row, block), its amax a split reduction
  // (a warp per block on the GPU; the maximum is exact, so the order of its
  // terms changes nothing), then every value rounded by its own iteration.
  // One loop doing both kept a single thread per block of 128 values, the
  // longest launch of a deploy-mode decode projection.
  Value blockV = constIndex(b, block);
  Value blocks = arith::CeilDivUIOp::create(b, count, blockV);
  SmallVector<Value> scaleDims = concat(rowDims, blocks);
  SmallVector<int64_t> scaleShape(scaleDims.size(), ShapedType::kDynamic);
  Value scales =
      allocBuffer(b, MemRefType::get(scaleShape, b.getF64Type()), scaleDims);
  // 4 f32 per lane step: one 16-byte load.
  constexpr int64_t kLaneChunk = 4;
  parallelForEach(b, scaleDims, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
    ValueRange row = ivs.drop_back();
    Value lo = arith::MulIOp::create(b, ivs.back(), blockV);
    Value hi =
        arith::MinUIOp::create(b, arith::AddIOp::create(b, lo, blockV), count);
    // In f32 (|x| and the maximum are exact there, and the lanes shuffle
    // 32-bit values); widened to f64 it equals quantizeBlock's f64 amax.
    Value amax = splitReduce(b, lo, hi, constF32(b, 0.0), kLaneChunk,
                             [&](ImplicitLocOpBuilder &b, Value i, Value acc) {
                               Value v = loadF32(b, src, concat(row, i));
                               return arith::MaximumFOp::create(
                                   b, acc, math::AbsFOp::create(b, v));
                             });
    amax = arith::ExtFOp::create(b, b.getF64Type(), amax);
    memref::StoreOp::create(b, blockScale(b, amax, format), scales, ivs);
  });
  parallelForEach(
      b, concat(rowDims, count), [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
        ValueRange row = ivs.drop_back();
        Value blk = arith::DivUIOp::create(b, ivs.back(), blockV);
        Value scale = memref::LoadOp::create(b, scales, concat(row, blk));
        storeF32(b, roundToScale(b, loadF32(b, src, ivs), scale, format), dst,
                 ivs);
      });
}

void lowering::roundStateRow(ImplicitLocOpBuilder &b, StateType type,
                             Value buffer, ValueRange prefix) {
  int64_t width = type.getWidth();
  switch (type.getStorage()) {
  case StateStorage::f32:
    return;
  case StateStorage::bf16:
    forEach(b, {constIndex(b, width)}, [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
      SmallVector<Value> idx(prefix.begin(), prefix.end());
      idx.push_back(ivs[0]);
      storeF32(b, roundBF16(b, loadF32(b, buffer, idx)), buffer, idx);
    });
    return;
  case StateStorage::fp8_nope: {
    int64_t nope = width - type.getRope();
    quantizeRowInPlace(b, buffer, prefix, 0, constIndex(b, nope), 64,
                       QuantFormat::fp8_e4m3);
    // The rope dims are kept in bf16.
    forEach(b, {constIndex(b, type.getRope())},
            [&](ImplicitLocOpBuilder &b, ValueRange ivs) {
              SmallVector<Value> idx(prefix.begin(), prefix.end());
              idx.push_back(arith::AddIOp::create(b, ivs[0], constIndex(b, nope)));
              storeF32(b, roundBF16(b, loadF32(b, buffer, idx)), buffer, idx);
            });
    return;
  }
  case StateStorage::fp4:
    quantizeRowInPlace(b, buffer, prefix, 0, constIndex(b, width), 32,
                       QuantFormat::fp4_e2m1);
    return;
  }
}

int64_t lowering::stateRowGroups(StateType type) {
  int64_t width = type.getWidth();
  switch (type.getStorage()) {
  case StateStorage::f32:
  case StateStorage::bf16:
    return width;
  case StateStorage::fp8_nope: {
    int64_t nope = width - type.getRope();
    return (nope + 63) / 64 + type.getRope();
  }
  case StateStorage::fp4:
    return (width + 31) / 32;
  }
  llvm_unreachable("unknown state storage");
}

void lowering::writeStateRowGroup(
    ImplicitLocOpBuilder &b, StateType type, Value buffer, ValueRange prefix,
    Value g, function_ref<Value(ImplicitLocOpBuilder &, Value ch)> value) {
  int64_t width = type.getWidth();
  auto store = [&](ImplicitLocOpBuilder &b, Value ch, Value v) {
    storeF32(b, v, buffer, concat(prefix, ch));
  };
  // Block group `blk` of [0, count) in blocks of `block`.
  auto quantized = [&](ImplicitLocOpBuilder &b, Value blk, int64_t count,
                       int64_t block, QuantFormat format) {
    Value lo = arith::MulIOp::create(b, blk, constIndex(b, block));
    Value hi = arith::MinUIOp::create(
        b, arith::AddIOp::create(b, lo, constIndex(b, block)),
        constIndex(b, count));
    quantizeBlock(b, lo, hi, format, value, store);
  };
  switch (type.getStorage()) {
  case StateStorage::f32:
    store(b, g, value(b, g));
    return;
  case StateStorage::bf16:
    store(b, g, roundBF16(b, value(b, g)));
    return;
  case StateStorage::fp8_nope: {
    int64_t nope = width - type.getRope();
    Value blocks = constIndex(b, (nope + 63) / 64);
    Value isBlock =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, g, blocks);
    scf::IfOp::create(
        b, isBlock,
        [&](OpBuilder &nested, Location loc) {
          ImplicitLocOpBuilder ib(loc, nested);
          quantized(ib, g, nope, 64, QuantFormat::fp8_e4m3);
          scf::YieldOp::create(ib);
        },
        [&](OpBuilder &nested, Location loc) {
          // The rope dims are kept in bf16.
          ImplicitLocOpBuilder ib(loc, nested);
          Value ch = arith::AddIOp::create(
              ib, arith::SubIOp::create(ib, g, blocks), constIndex(ib, nope));
          store(ib, ch, roundBF16(ib, value(ib, ch)));
          scf::YieldOp::create(ib);
        });
    return;
  }
  case StateStorage::fp4:
    quantized(b, g, width, 32, QuantFormat::fp4_e2m1);
    return;
  }
}

Value lowering::ropeFrequency(ImplicitLocOpBuilder &b, RopeAttr rope,
                              Value i) {
  SmallVector<double> freqs = rope.getFrequencies();
  assert(!freqs.empty() && "rope without dims");
  // Cases 0 .. n-2; the default region is f_{n-1}.
  SmallVector<int64_t> cases;
  for (int64_t k = 0; k + 1 < int64_t(freqs.size()); ++k)
    cases.push_back(k);
  auto sw = scf::IndexSwitchOp::create(b, TypeRange{b.getF64Type()}, i, cases,
                                       cases.size());
  auto fill = [&](Region &region, double f) {
    OpBuilder::InsertionGuard guard(b);
    b.createBlock(&region);
    scf::YieldOp::create(b, ValueRange{constF64(b, f)});
  };
  for (auto [k, region] : llvm::enumerate(sw.getCaseRegions()))
    fill(region, freqs[k]);
  fill(sw.getDefaultRegion(), freqs.back());
  return sw.getResult(0);
}

LoopLoweringOptions
mlir::ds4::lowering::tiledOptions(Operation *op,
                                  const LoopLoweringOptions &defaults) {
  LoopLoweringOptions options = defaults;
  if (auto tiling = op->getAttrOfType<TilingAttr>("ds4.tiling")) {
    options.tensorCores = tiling.getTensorCores();
    options.rowTile = tiling.getRowTile();
    options.outputsPerWarp = tiling.getOutputsPerWarp();
    options.warpSinkhorn = tiling.getWarpSinkhorn();
  }
  return options;
}

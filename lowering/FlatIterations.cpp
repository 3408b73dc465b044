//===- FlatIterations.cpp -------------------------------------------------===//

#include "lowering/FlatIterations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

ds4::FlatIterations ds4::flattenIterations(ImplicitLocOpBuilder &b,
                                      scf::ParallelOp loop) {
  FlatIterations flat;
  Value zero = arith::ConstantIndexOp::create(b, 0);
  flat.total = arith::ConstantIndexOp::create(b, 1);
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                       loop.getUpperBound(), loop.getStep())) {
    Value span = b.createOrFold<arith::SubIOp>(ub, lb);
    span = b.createOrFold<arith::MaxSIOp>(span, zero);
    Value n = b.createOrFold<arith::CeilDivUIOp>(span, step);
    flat.trips.push_back(n);
    flat.total = b.createOrFold<arith::MulIOp>(flat.total, n);
  }
  return flat;
}

SmallVector<Value> ds4::delinearize(ImplicitLocOpBuilder &b, Value id,
                                    ValueRange trips, ValueRange lbs,
                                    ValueRange steps) {
  SmallVector<Value> ivs(trips.size());
  Value rest = id;
  for (int64_t d = int64_t(trips.size()) - 1; d >= 0; --d) {
    Value digit = d == 0 ? rest : arith::RemUIOp::create(b, rest, trips[d]);
    if (d != 0)
      rest = arith::DivUIOp::create(b, rest, trips[d]);
    ivs[d] = arith::AddIOp::create(b, lbs[d],
                                   arith::MulIOp::create(b, digit, steps[d]));
  }
  return ivs;
}

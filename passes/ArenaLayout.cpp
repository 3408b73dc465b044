//===- ArenaLayout.cpp - buffers of runtime sizes in one arena ------------===//

#include "passes/ArenaLayout.h"

#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Sequence.h"

#include <algorithm>
#include <optional>

using namespace mlir;

/// Places the buffers in `order`, each above the overlapping ones placed
/// before it.
static ds4::ArenaLayout placeInOrder(ArrayRef<ds4::ArenaBuffer> buffers,
                                     SmallVector<unsigned> order) {
  ds4::ArenaLayout layout;
  unsigned n = buffers.size();
  layout.order = std::move(order);
  layout.below.resize(n);
  // underneath[i]: every buffer whose end is at or below buffer i's offset
  // (those it was placed on, and theirs, transitively).
  SmallVector<llvm::BitVector> underneath(n, llvm::BitVector(n));
  llvm::BitVector placed(n), covered(n);
  for (unsigned i : layout.order) {
    SmallVector<unsigned> overlapping;
    for (unsigned j : placed.set_bits())
      if (buffers[j].start <= buffers[i].end &&
          buffers[i].start <= buffers[j].end)
        overlapping.push_back(j);
    llvm::BitVector &under = underneath[i];
    for (unsigned j : overlapping) {
      under.set(j);
      under |= underneath[j];
    }
    // A buffer under another overlapping one ends at or below that one's
    // offset: it never decides the maximum.
    llvm::BitVector dominated(n);
    for (unsigned j : overlapping)
      dominated |= underneath[j];
    for (unsigned j : overlapping)
      if (!dominated.test(j))
        layout.below[i].push_back(j);
    covered |= under;
    placed.set(i);
  }
  for (unsigned i : layout.order)
    if (!covered.test(i))
      layout.tops.push_back(i);
  return layout;
}

/// The bytes `layout` takes when every buffer has its estimated size.
static uint64_t estimatedArena(const ds4::ArenaLayout &layout,
                               ArrayRef<ds4::ArenaBuffer> buffers) {
  auto padded = [](uint64_t bytes) {
    return llvm::alignTo(bytes, ds4::kArenaAlignment);
  };
  SmallVector<uint64_t> offset(buffers.size(), 0);
  for (unsigned i : layout.order)
    for (unsigned j : layout.below[i])
      offset[i] =
          std::max(offset[i], offset[j] + padded(buffers[j].estimatedBytes));
  uint64_t end = 0;
  for (unsigned i : layout.tops)
    end = std::max(end, offset[i] + buffers[i].estimatedBytes);
  return end;
}

ds4::ArenaLayout ds4::layoutArena(ArrayRef<ArenaBuffer> buffers) {
  auto ordered = [&](auto before) {
    auto order = llvm::to_vector(llvm::seq<unsigned>(0, buffers.size()));
    // Ties in program order, so the layout does not depend on the sort.
    llvm::stable_sort(order, [&](unsigned a, unsigned b) {
      return before(buffers[a], buffers[b]);
    });
    return order;
  };
  auto lifetime = [](const ArenaBuffer &buffer) {
    return buffer.end - buffer.start;
  };
  // Largest first is the classic greedy. Longest-lived first puts the
  // buffers that span many ops (a layer's residual stream, its
  // hyper-connection weights) at the bottom, and the many short-lived ones
  // above them reuse the same bytes op after op: on the V4-Flash layers it
  // reaches the most bytes live at once, which no placement can beat.
  SmallVector<SmallVector<unsigned>> orders = {
      ordered([](const ArenaBuffer &a, const ArenaBuffer &b) {
        return a.estimatedBytes > b.estimatedBytes;
      }),
      ordered([&](const ArenaBuffer &a, const ArenaBuffer &b) {
        if (lifetime(a) != lifetime(b))
          return lifetime(a) > lifetime(b);
        return a.estimatedBytes > b.estimatedBytes;
      }),
  };
  std::optional<ArenaLayout> best;
  uint64_t bestBytes = 0;
  for (SmallVector<unsigned> &order : orders) {
    ArenaLayout layout = placeInOrder(buffers, std::move(order));
    uint64_t bytes = estimatedArena(layout, buffers);
    if (!best || bytes < bestBytes) {
      best = std::move(layout);
      bestBytes = bytes;
    }
  }
  return std::move(*best);
}

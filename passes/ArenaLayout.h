//===- ArenaLayout.h - buffers of runtime sizes in one arena --------------===//
//
// The buffers of an entry point have sizes known only at run time (the
// number of new tokens, the batch), so their offsets in the arena cannot be
// constants. The layout fixes at compile time only which buffers lie below
// which: a buffer's offset is the highest end (offset + size rounded up to
// kArenaAlignment) of the buffers placed before it whose lifetimes overlap
// its own, 0 if none. Whatever the sizes at run time, of two buffers live
// at the same time the one placed later starts at or above the end of the
// one placed earlier, so no two live buffers share a byte: the layout is
// valid for every value of the sizes, and the sizes only decide how much
// memory it takes. The order of placement aims at a small arena for sizes
// near an assumed value: largest first or longest-lived first, whichever
// needs less with every buffer at its size for that value.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_PASSES_ARENALAYOUT_H
#define DS4_PASSES_ARENALAYOUT_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir::ds4 {

/// Every buffer of the arena starts on this boundary (the arena itself is
/// allocated so aligned): what the device arena gave each buffer before,
/// enough for any vector load and for TMA.
constexpr uint64_t kArenaAlignment = 256;

/// One buffer to place: it is live from the op at position `start` to the
/// op at position `end` (both included); `estimatedBytes` (its size at the
/// assumed value of the dynamic sizes) only orders the placement.
struct ArenaBuffer {
  unsigned start;
  unsigned end;
  uint64_t estimatedBytes;
};

struct ArenaLayout {
  /// Buffer indices in the order they are placed.
  SmallVector<unsigned> order;
  /// below[i]: the buffers whose ends bound the offset of buffer i; its
  /// offset is their highest end (0 when there are none). Only the buffers
  /// that are not already below another of them are listed: their ends are
  /// no higher than that one's offset, so they cannot be the highest.
  SmallVector<SmallVector<unsigned>> below;
  /// The buffers that no other buffer lies above: the arena ends at the
  /// highest end of one of them (offset + unrounded size).
  SmallVector<unsigned> tops;
};

/// Places `buffers` as the header says (`order` and `below` for the order
/// chosen).
ArenaLayout layoutArena(ArrayRef<ArenaBuffer> buffers);

} // namespace mlir::ds4

#endif // DS4_PASSES_ARENALAYOUT_H

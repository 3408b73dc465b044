//===- Ds4Target.h - what the tiled phase knows about a target ------------===//
//
// The target description `ds4-choose-tiling` hands to every op implementing
// TileableOpInterface: the machine's tile shapes, from which each op picks
// its #ds4.tiling. One entry per `--target` of ds4-compile.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_DIALECTS_DS4_IR_DS4TARGET_H
#define DS4_DIALECTS_DS4_IR_DS4TARGET_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace mlir::ds4 {

struct TargetDescription {
  llvm::StringRef name;
  /// mma.sync warp tiles for products of at least rowTile rows.
  bool tensorCores = false;
  /// Rows per iteration of the host's row-tiled products (8 f32 sums stay
  /// in registers and each weight element is decoded once for 8 rows).
  int64_t rowTile = 8;
  /// Decode-shaped routed-expert outputs per iteration: 4 keeps a GPU lane's
  /// weight loads in flight; the host gains nothing from more than 1.
  int64_t outputsPerWarp = 1;
  /// The Sinkhorn block of a token as one warp (GPU).
  bool warpSinkhorn = false;

  /// "cpu" or "sm_90a"; nullopt for any other name.
  static std::optional<TargetDescription> lookup(llvm::StringRef name);
};

} // namespace mlir::ds4

#endif // DS4_DIALECTS_DS4_IR_DS4TARGET_H

//===- Ds4Interfaces.td - ds4 op interfaces -------------------------------===//

#ifndef DS4_INTERFACES_TD
#define DS4_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Ds4_TileableOpInterface : OpInterface<"TileableOpInterface"> {
  let cppNamespace = "::mlir::ds4";
  let description = [{
    An op whose lowering to loops has tile shapes that depend on the target
    (see `#ds4.tiling`). In the tiled phase `ds4-choose-tiling` asks each
    such op for its tiling under the target description and attaches it as
    the op's `ds4.tiling` attribute; the lowering to loops then follows the
    attribute (an op without one takes the lowering pass's options). An op
    can refine the target's defaults by implementing `chooseTiling`.
  }];
  let methods = [
    InterfaceMethod<
      "The tile shapes of this op on `target`.",
      "::mlir::ds4::TilingAttr", "chooseTiling",
      (ins "const ::mlir::ds4::TargetDescription &":$target), [{}], [{
        return ::mlir::ds4::TilingAttr::get(
            $_op->getContext(), target.tensorCores, target.rowTile,
            target.outputsPerWarp, target.warpSinkhorn);
      }]>
  ];
}

#endif // DS4_INTERFACES_TD

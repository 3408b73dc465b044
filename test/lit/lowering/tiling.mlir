// ds4-lower-to-loops follows each op's #ds4.tiling (ds4-choose-tiling, the
// tiled phase) over its own options: here the pass asks for tensor cores,
// and the linear whose tiling says otherwise gets the host's row tiles of 4
// rows instead (tiled from 4 rows on, 4 sums per iteration), while the
// linear without a tiling gets the pass's mma.sync warp tiles from 8 rows.
// RUN: ds4-opt %s --ds4-lower-to-loops="tensor-cores=true" | FileCheck %s

// CHECK-LABEL: func.func @host_tiles
// CHECK: arith.muli
// CHECK: %[[ROWS:.+]] = arith.muli
// CHECK: %[[TILED:.+]] = arith.cmpi uge, %[[ROWS]], %c4
// CHECK: scf.if %[[TILED]]
// CHECK: arith.ceildivui %[[ROWS]], %c4
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} iter_args({{[^,]+, [^,]+, [^,]+, [^,)]+}}) -> (f32, f32, f32, f32)
// CHECK-NOT: nvvm.mma.sync
// CHECK: return
func.func @host_tiles(%x: tensor<?x?x80xf32>, %w: tensor<40x80xbf16>) -> tensor<?x?x40xf32> {
  %y = ds4.linear %x, %w {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 4, outputs_per_warp = 1, warp_sinkhorn = false>} : tensor<?x?x80xf32>, tensor<40x80xbf16> -> tensor<?x?x40xf32>
  return %y : tensor<?x?x40xf32>
}

// CHECK-LABEL: func.func @pass_options
// CHECK: arith.muli
// CHECK: %[[ROWS:.+]] = arith.muli
// CHECK: %[[TILED:.+]] = arith.cmpi uge, %[[ROWS]], %c8
// CHECK: nvvm.mma.sync
func.func @pass_options(%x: tensor<?x?x80xf32>, %w: tensor<40x80xbf16>) -> tensor<?x?x40xf32> {
  %y = ds4.linear %x, %w : tensor<?x?x80xf32>, tensor<40x80xbf16> -> tensor<?x?x40xf32>
  return %y : tensor<?x?x40xf32>
}

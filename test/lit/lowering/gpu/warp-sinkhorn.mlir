// ds4-lower-to-loops with warp-sinkhorn=true (the sm_90a pipeline): hc_pre's
// post and Sinkhorn combination run one warp per token. Lane l holds entry
// C[l / 4][l % 4] (lanes from 16 on mirror entry 15); each row or column
// sum reads the line's 4 entries by index shuffles, in order, so it adds
// the same values in the same order as the one-thread loops of the CPU.
// Lanes < 4 write post, lanes < 16 their entry of comb. Without the option
// the CPU's one-iteration-per-token loop stays (no GPU op).
// RUN: ds4-opt %s --ds4-lower-to-loops="warp-sinkhorn=true" | FileCheck %s
// RUN: ds4-opt %s --ds4-lower-to-loops="warp-sinkhorn=true" --ds4-map-to-gpu | FileCheck %s --check-prefix=MAPPED
// RUN: ds4-opt %s --ds4-lower-to-loops | FileCheck %s --check-prefix=CPU

// CHECK-LABEL: func.func @hc_pre
// CHECK:       scf.parallel
// CHECK:         gpu.lane_id
// CHECK:         arith.minsi %{{.*}}, %c15
// CHECK:         arith.cmpi ult, %{{.*}}, %c4
// CHECK:         scf.if
// CHECK:           memref.store
// CHECK-COUNT-4:   gpu.shuffle  idx
// CHECK:         math.exp
// CHECK-COUNT-4:   gpu.shuffle  idx
// CHECK:         arith.divf
// CHECK-COUNT-4:   gpu.shuffle  idx
// CHECK:         arith.divf
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (f32) {
// CHECK-COUNT-4:     gpu.shuffle  idx
// CHECK:             arith.divf
// CHECK-COUNT-4:     gpu.shuffle  idx
// CHECK:             arith.divf
// CHECK-NOT:         gpu.shuffle
// CHECK:             scf.yield
// CHECK:         arith.cmpi ult, %{{.*}}, %c16
// CHECK:         scf.if
// CHECK:           memref.store
// CHECK:       } {ds4.warp_iteration}
// MAPPED-LABEL: func.func @hc_pre
// MAPPED:       gpu.launch
// MAPPED:       gpu.launch
// MAPPED:       gpu.launch
// MAPPED:         gpu.lane_id
// MAPPED:         gpu.shuffle  idx
// CPU-LABEL: func.func @hc_pre
// CPU-NOT: gpu.
// CPU-NOT: ds4.warp_iteration
// CPU: return
func.func @hc_pre(%H: tensor<?x4x64xf32>, %fn: tensor<24x256xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>)
    -> (tensor<?x64xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>) {
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x64xf32>, tensor<24x256xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x64xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return %x, %post, %comb : tensor<?x64xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>
}

// RUN: ds4-opt %s --ds4-choose-tiling=target=sm_90a --split-input-file | FileCheck %s --check-prefix=GPU
// RUN: ds4-opt %s --ds4-choose-tiling=target=cpu --split-input-file | FileCheck %s --check-prefix=CPU
// RUN: not ds4-opt %s --ds4-choose-tiling=target=sm_80 --split-input-file 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// Tileable ops get their target's tile shapes; others (rms_norm) none; a
// tiling already present (written by hand, or by an earlier run) is kept.
// GPU-LABEL: func.func @tiles
// GPU: ds4.rms_norm
// GPU-NOT: ds4.tiling
// GPU: ds4.linear {{.*}} {ds4.tiling = #ds4.tiling<tensor_cores = true, row_tile = 8, outputs_per_warp = 4, warp_sinkhorn = true>}
// GPU: ds4.multi_linear {{.*}} {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 4, outputs_per_warp = 1, warp_sinkhorn = false>}
// CPU-LABEL: func.func @tiles
// CPU: ds4.linear {{.*}} {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 8, outputs_per_warp = 1, warp_sinkhorn = false>}
// CPU: ds4.multi_linear {{.*}} {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 4, outputs_per_warp = 1, warp_sinkhorn = false>}
// UNKNOWN: error: ds4-choose-tiling: unknown target 'sm_80' (cpu, sm_90a)
func.func @tiles(%x: tensor<?x256xf32>, %n: tensor<256xbf16>, %w: tensor<64x256xbf16>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  %h = ds4.rms_norm %x weight %n eps 1.0e-6 : tensor<?x256xf32>, tensor<256xbf16> -> tensor<?x256xf32>
  %0 = ds4.linear %h, %w : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  %1:2 = ds4.multi_linear %x, %w, %w {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 4, outputs_per_warp = 1, warp_sinkhorn = false>} : tensor<?x256xf32>, tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<?x64xf32>, tensor<?x64xf32>
  return %0, %1#0, %1#1 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

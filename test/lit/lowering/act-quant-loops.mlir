// The act_quant copy of a deploy-mode projection's activation: the scale of
// every (row, block of 128) first, its amax a split reduction of f32
// maxima (a warp per block on the GPU; exact in any order), then every
// value rounded through e4m3 by its own iteration. Numerics are covered by
// the CPU parity tests (deploy mode) and test/lit/lowering/cpu/core.mlir.
// RUN: ds4-opt %s --ds4-lower-to-loops | FileCheck %s
// RUN: ds4-opt %s --ds4-lower-to-loops --ds4-map-to-gpu | FileCheck %s --check-prefix=GPU

// CHECK-LABEL: func.func @project_quantized
// CHECK: %[[XQ:.+]] = memref.alloc({{.*}}) : memref<?x128xf32>
// CHECK: %[[BLOCKS:.+]] = arith.ceildivui %{{.+}}, %c128
// CHECK: %[[SCALES:.+]] = memref.alloc({{.*}}, %[[BLOCKS]]) : memref<?x?xf64>
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%{{.+}}, %[[BLOCKS]])
// CHECK: scf.for {{.*}} -> (f32)
// CHECK: math.absf {{.*}} : f32
// CHECK: arith.maximumf {{.*}} : f32
// CHECK: } {ds4.split_reduction = 4 : i64}
// CHECK: arith.extf {{.*}} f32 to f64
// CHECK: memref.store {{.*}}, %[[SCALES]]
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%{{.+}}, %c128{{(_[0-9]+)?}})
// CHECK: memref.load %[[SCALES]]
// CHECK: memref.store {{.*}}, %[[XQ]]
// GPU-LABEL: func.func @project_quantized
// GPU: gpu.launch
// GPU: gpu.shuffle xor {{.*}} : f32
// GPU: gpu.launch
func.func @project_quantized(%x: tensor<?x128xf32>, %w: tensor<40x128xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>) -> tensor<?x40xf32> {
  %y = ds4.linear %x, %w act_quant <fp8_e4m3, block = 128> : tensor<?x128xf32>, tensor<40x128xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

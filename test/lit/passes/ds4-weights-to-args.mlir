// RUN: ds4-opt %s --ds4-weights-to-args --split-input-file | FileCheck %s

// Each distinct checkpoint name becomes one trailing argument, in order of
// first use; repeated references share it.
// CHECK-LABEL: func.func @two_weights
// CHECK-SAME: (%[[X:.*]]: tensor<?x256xf32>,
// CHECK-SAME: %[[A:.*]]: tensor<128x256xbf16> {ds4.weight = "a.weight"},
// CHECK-SAME: %[[B:.*]]: tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> {ds4.weight = "b.weight"})
// CHECK-NOT: ds4.weight "
// CHECK: ds4.linear %[[X]], %[[A]]
// CHECK: ds4.linear %[[X]], %[[B]]
// CHECK: ds4.linear %[[X]], %[[A]]
func.func @two_weights(%x: tensor<?x256xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>) {
  %a = ds4.weight "a.weight" : tensor<128x256xbf16>
  %0 = ds4.linear %x, %a : tensor<?x256xf32>, tensor<128x256xbf16> -> tensor<?x128xf32>
  %b = ds4.weight "b.weight" : tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
  %1 = ds4.linear %x, %b : tensor<?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x128xf32>
  %a2 = ds4.weight "a.weight" : tensor<128x256xbf16>
  %2 = ds4.linear %x, %a2 : tensor<?x256xf32>, tensor<128x256xbf16> -> tensor<?x128xf32>
  return %0, %1, %2 : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// A function without weights is left alone.
// CHECK-LABEL: func.func @none(%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
func.func @none(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

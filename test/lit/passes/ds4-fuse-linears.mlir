// RUN: ds4-opt %s --ds4-fuse-linears --split-input-file --verify-diagnostics | FileCheck %s
// RUN: ds4-opt %s --ds4-fuse-linears=min-group=3 --split-input-file | FileCheck %s --check-prefix=MIN3

// Three projections of one activation (weights of different encodings)
// become one ds4.multi_linear at the first of them; each use takes its
// result. The weight referenced after the first linear moves up to it.
// CHECK-LABEL: func.func @siblings
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x256xf32>)
// CHECK-DAG: %[[WQ:.*]] = ds4.weight "wq_a.weight"
// CHECK-DAG: %[[WKV:.*]] = ds4.weight "wkv.weight"
// CHECK-DAG: %[[WI:.*]] = ds4.weight "weights_proj.weight"
// CHECK: %[[M:.*]]:3 = ds4.multi_linear %[[X]], %[[WQ]], %[[WKV]], %[[WI]] : tensor<?x?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, tensor<64x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, tensor<16x256xbf16> -> tensor<?x?x128xf32>, tensor<?x?x64xf32>, tensor<?x?x16xf32>
// CHECK-NOT: ds4.linear
// CHECK: return %[[M]]#0, %[[M]]#1, %[[M]]#2
// MIN3-LABEL: func.func @siblings
// MIN3: ds4.multi_linear
func.func @siblings(%x: tensor<?x?x256xf32>) -> (tensor<?x?x128xf32>, tensor<?x?x64xf32>, tensor<?x?x16xf32>) {
  %wq = ds4.weight "wq_a.weight" : tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
  %wkv = ds4.weight "wkv.weight" : tensor<64x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
  %q = ds4.linear %x, %wq : tensor<?x?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x128xf32>
  %kv = ds4.linear %x, %wkv : tensor<?x?x256xf32>, tensor<64x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x64xf32>
  %wi = ds4.weight "weights_proj.weight" : tensor<16x256xbf16>
  %i = ds4.linear %x, %wi : tensor<?x?x256xf32>, tensor<16x256xbf16> -> tensor<?x?x16xf32>
  return %q, %kv, %i : tensor<?x?x128xf32>, tensor<?x?x64xf32>, tensor<?x?x16xf32>
}

// -----

// Linears fuse only with the same act_quant: the two deploy-mode fp8
// projections form one group, the bf16 pair (no act_quant) another.
// CHECK-LABEL: func.func @by_act_quant
// CHECK: %[[A:.*]]:2 = ds4.multi_linear %{{.*}}, %{{.*}}, %{{.*}} act_quant <fp8_e4m3, block = 128>
// CHECK: %[[B:.*]]:2 = ds4.multi_linear %{{.*}}, %{{.*}}, %{{.*}} :
// CHECK-NOT: ds4.linear
// CHECK: return %[[A]]#0, %[[B]]#0, %[[A]]#1, %[[B]]#1
// MIN3-LABEL: func.func @by_act_quant
// MIN3-NOT: ds4.multi_linear
// MIN3-COUNT-4: ds4.linear
func.func @by_act_quant(%x: tensor<?x256xf32>, %wq: tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, %wb: tensor<64x256xbf16>) -> (tensor<?x128xf32>, tensor<?x64xf32>, tensor<?x128xf32>, tensor<?x64xf32>) {
  %0 = ds4.linear %x, %wq act_quant <fp8_e4m3, block = 128> : tensor<?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x128xf32>
  %1 = ds4.linear %x, %wb : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  %2 = ds4.linear %x, %wq act_quant <fp8_e4m3, block = 128> : tensor<?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x128xf32>
  %3 = ds4.linear %x, %wb : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return %0, %1, %2, %3 : tensor<?x128xf32>, tensor<?x64xf32>, tensor<?x128xf32>, tensor<?x64xf32>
}

// -----

// A linear alone, and linears of different activations, stay as they are.
// CHECK-LABEL: func.func @no_siblings
// CHECK-NOT: ds4.multi_linear
// CHECK-COUNT-2: ds4.linear
func.func @no_siblings(%x: tensor<?x256xf32>, %y: tensor<?x256xf32>, %w: tensor<64x256xbf16>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  %1 = ds4.linear %y, %w : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return %0, %1 : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// A weight computed after the first linear (not a ds4.weight reference)
// cannot move up: the group is left alone, with a remark.
// CHECK-LABEL: func.func @late_weight
// CHECK-NOT: ds4.multi_linear
func.func @late_weight(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>, %v: tensor<64x256xbf16>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  %v2 = tensor.insert_slice %w into %v[0, 0] [64, 256] [1, 1] : tensor<64x256xbf16> into tensor<64x256xbf16>
  // expected-remark @+1 {{ds4-fuse-linears: not fused}}
  %1 = ds4.linear %x, %v2 : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return %0, %1 : tensor<?x64xf32>, tensor<?x64xf32>
}

// ds4.linear / ds4.grouped_linear on packed FP8 and FP4 weights (loadWeight),
// executed on the host. Packed weights cannot be dense constants, so the
// ops read them through ds4.weight: ds4-cpu-bufferize turns each weight into
// an i8 blob (codes, then e8m0 scales; BufferTypes.h) at its offset in the
// weight arena argument (ds4-weight-arena); sed drops the bufferized module's
// closing brace and driver.mlir, which passes the arena in, closes it.
// RUN: split-file %s %t
// RUN: ds4-opt %t/ops.mlir --ds4-cpu-bufferize | sed '/^}$/d' | cat - %t/driver.mlir \
// RUN:   | ds4-opt --ds4-cpu-to-llvm | %run_cpu | FileCheck %s
//
// Expected values: numpy with test/reference/ds4ref/numerics.py,
//   W = decode_fp8_e4m3fn(codes) * decode_e8m0(scales) repeated over the
//       blocks (edge blocks partial), or dequant_fp4_blocks(packed, scales, 4);
//   y = x @ W.T, or with act_quant quantize_blocks(x, block, "e4m3") @ W.T.

//--- ops.mlir
func.func private @printMemrefF32(memref<*xf32>)

// FP8 [3, 5] in blocks of [2, 4]: partial blocks in both dims.
func.func @fp8() {
  %w = ds4.weight "l8.weight" : tensor<3x5xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [2, 4]>>
  %x = arith.constant dense<[[0.677, -1.058, -0.844, -2.004, -3.165], [-1.172, 1.446, -0.716, 2.873, -0.599]]> : tensor<2x5xf32>
  // CHECK: [-3.29938,{{ +}}1.18108,{{ +}}-1502.02]
  // CHECK-NEXT: [0.281003,{{ +}}-2.12347,{{ +}}2132.27]
  %y = ds4.linear %x, %w : tensor<2x5xf32>, tensor<3x5xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [2, 4]>> -> tensor<2x3xf32>
  %ym = bufferization.to_buffer %y : tensor<2x3xf32> to memref<2x3xf32>
  %yu = memref.cast %ym : memref<2x3xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  // act_quant in blocks of 2 along in = 5: the last block is partial.
  // CHECK: [-3.37891,{{ +}}1.06479,{{ +}}-1486.2]
  // CHECK-NEXT: [0.225586,{{ +}}-2.24055,{{ +}}2066.86]
  %q = ds4.linear %x, %w act_quant <fp8_e4m3, block = 2> : tensor<2x5xf32>, tensor<3x5xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [2, 4]>> -> tensor<2x3xf32>
  %qm = bufferization.to_buffer %q : tensor<2x3xf32> to memref<2x3xf32>
  %qu = memref.cast %qm : memref<2x3xf32> to memref<*xf32>
  call @printMemrefF32(%qu) : (memref<*xf32>) -> ()
  return
}

// FP4 [2, 8] in blocks of [1, 4] (two codes per byte, element 2j low).
func.func @fp4() {
  %w = ds4.weight "l4.weight" : tensor<2x8xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 4]>>
  %x = arith.constant dense<[[-1.773, -0.583, 1.765, 1.161, 0.183, 1.34, -5.656, 2.043]]> : tensor<1x8xf32>
  // CHECK: [-2.8195,{{ +}}-8.93075]
  %y = ds4.linear %x, %w : tensor<1x8xf32>, tensor<2x8xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 4]>> -> tensor<1x2xf32>
  %ym = bufferization.to_buffer %y : tensor<1x2xf32> to memref<1x2xf32>
  %yu = memref.cast %ym : memref<1x2xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  // act_quant in blocks of 3 along in = 8 (3 + 3 + 2).
  // CHECK: [-3.0625,{{ +}}-8.67969]
  %q = ds4.linear %x, %w act_quant <fp8_e4m3, block = 3> : tensor<1x8xf32>, tensor<2x8xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 4]>> -> tensor<1x2xf32>
  %qm = bufferization.to_buffer %q : tensor<1x2xf32> to memref<1x2xf32>
  %qu = memref.cast %qm : memref<1x2xf32> to memref<*xf32>
  call @printMemrefF32(%qu) : (memref<*xf32>) -> ()
  return
}

// wo_a-like: FP8 [G*n = 4, k = 3] in blocks of [2, 2], G = 2.
//   og = x.reshape(2, 3); wg = W.reshape(2, 2, 3)
//   f32: einsum('gk,gjk->gj', og, wg)
//   bf16: round_to_bf16(einsum('gk,gjk->gj', round_to_bf16(og), wg))
func.func @grouped() {
  %w = ds4.weight "g.weight" : tensor<4x3xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [2, 2]>>
  %x = arith.constant dense<[[[[1.00490625, -0.3, 2.2], [0.7, 1.3, -0.01]]]]> : tensor<1x1x2x3xf32>
  // CHECK: [7.90832,{{ +}}-108.092]
  // CHECK-NEXT: [-0.343828,{{ +}}-21.645]
  %y = ds4.grouped_linear %x, %w : tensor<1x1x2x3xf32>, tensor<4x3xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [2, 2]>> -> tensor<1x1x2x2xf32>
  %ym = bufferization.to_buffer %y : tensor<1x1x2x2xf32> to memref<1x1x2x2xf32>
  %yu = memref.cast %ym : memref<1x1x2x2xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  // CHECK: [7.90625,{{ +}}-108]
  // CHECK-NEXT: [-0.34375,{{ +}}-21.625]
  %b = ds4.grouped_linear %x, %w compute bf16 : tensor<1x1x2x3xf32>, tensor<4x3xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [2, 2]>> -> tensor<1x1x2x2xf32>
  %bm = bufferization.to_buffer %b : tensor<1x1x2x2xf32> to memref<1x1x2x2xf32>
  %bu = memref.cast %bm : memref<1x1x2x2xf32> to memref<*xf32>
  call @printMemrefF32(%bu) : (memref<*xf32>) -> ()
  return
}

//--- driver.mlir
  // The packed blobs (codes row-major, then the e8m0 scale grid, signed i8)
  // in one weight arena, as ds4-weight-arena laid them out: l8.weight (19
  // bytes) at 0, l4.weight (12) at 64, g.weight (16) at 128.
  memref.global "private" constant @arena : memref<144xi8> = dense<[-49, 21, 45, 60, 46, -51, -34, -107, 10, 24, 85, 110, -97, 122, 67, 123, -128, -128, 122, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -15, 16, -1, 36, 5, -82, 57, 55, -128, 126, 124, 125, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -76, -89, 55, 99, -44, -41, -88, 1, -82, 57, -47, -23, 126, -127, -128, 125]>
  func.func @main() {
    %a = memref.get_global @arena : memref<144xi8>
    %arena = memref.cast %a : memref<144xi8> to memref<?xi8>
    call @fp8(%arena) : (memref<?xi8>) -> ()
    call @fp4(%arena) : (memref<?xi8>) -> ()
    call @grouped(%arena) : (memref<?xi8>) -> ()
    return
  }
}

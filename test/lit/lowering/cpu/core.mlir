// Numerics of the CPU lowering of the core ops, executed on the host.
// Expected values are computed independently (numpy, in the comments).
// RUN: ds4-opt %s --ds4-cpu-bufferize --ds4-cpu-to-llvm | %run_cpu | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)

func.func @print3(%t: tensor<1x1x4xf32>) {
  %m = bufferization.to_buffer %t : tensor<1x1x4xf32> to memref<1x1x4xf32>
  %u = memref.cast %m : memref<1x1x4xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @main() {
  %g = arith.constant dense<[[[1.0, -2.0, 11.0, 0.5]]]> : tensor<1x1x4xf32>
  // g = min(g, 10); u = clip(g, -10, 10); g * sigmoid(g) * u
  // CHECK: [0.731059,{{ +}}0.476812,{{ +}}99.9955,{{ +}}0.155615]
  %s = ds4.swiglu %g, %g limit 10.0 : tensor<1x1x4xf32>, tensor<1x1x4xf32> -> tensor<1x1x4xf32>
  call @print3(%s) : (tensor<1x1x4xf32>) -> ()

  // x / sqrt(mean(x^2) + 1e-6) * w, mean(x^2) = 31.5625
  // CHECK: [0.177998,{{ +}}-0.711991,{{ +}}3.91595,{{ +}}0.0444994]
  %w = arith.constant dense<[1.0, 2.0, 2.0, 0.5]> : tensor<4xf32>
  %n = ds4.rms_norm %g weight %w eps 1.0e-6 : tensor<1x1x4xf32>, tensor<4xf32> -> tensor<1x1x4xf32>
  call @print3(%n) : (tensor<1x1x4xf32>) -> ()

  // Rows 2 and 0 of a bf16 table (bf16 values are exact here).
  // CHECK: [2,{{ +}}2.5,{{ +}}3,{{ +}}3.5]
  %table = arith.constant dense<[[0.0, 0.5, 1.0, 1.5], [9.0, 9.0, 9.0, 9.0], [2.0, 2.5, 3.0, 3.5]]> : tensor<3x4xbf16>
  %ids = arith.constant dense<[[2]]> : tensor<1x1xi32>
  %e = ds4.embedding %table[%ids] : tensor<3x4xbf16>, tensor<1x1xi32> -> tensor<1x1x4xf32>
  call @print3(%e) : (tensor<1x1x4xf32>) -> ()
  return
}

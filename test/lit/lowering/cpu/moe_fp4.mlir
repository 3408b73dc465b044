// ds4.moe_experts on packed FP4 experts (#ds4.quant<fp4_e2m1>, read through
// loadWeight), in exact mode and in deploy mode (act_quant). Dense constants
// of quantized tensors are not supported, so the experts are compiled
// separately (kernels.mlir: private functions taking the quantized weights,
// which lower to packed byte buffers) and main.mlir, written on memrefs,
// calls them with the packed bytes (sed unwraps the kernels' module so that
// both files' functions share one).
// Expected values: the numpy reference test/reference/ds4ref (Model._expert
// in exact and deploy precision, on the weights dequantized by
// numerics.decode_fp4_e2m1 / decode_e8m0), printed with 6 significant digits.
// RUN: rm -rf %t && split-file %s %t
// RUN: ds4-opt %t/kernels.mlir --ds4-cpu-bufferize | sed -e '/^module {$/d' -e '/^}$/d' > %t/lowered.mlir
// RUN: cat %t/main.mlir %t/lowered.mlir | ds4-opt --ds4-cpu-bufferize --ds4-cpu-to-llvm | %run_cpu | FileCheck %s

// Exact: y = sum_k rw[k] * w2[e] (silu(min(w1[e] x, 4)) * clamp(w3[e] x, -4, 4)).
// CHECK: {{.*}}[-4.5903,{{ +}}{{(2\.58056|2\.58057)}},{{ +}}-2.33368,{{ +}}1.21832]
// CHECK-NEXT: {{.*}}[-1.72965,{{ +}}{{(4\.42586|4\.42587)}},{{ +}}-4.00236,{{ +}}{{(2\.05607|2\.05608)}}]
// Deploy, act_quant block 128 (the released program): x rounded through e4m3
// (one partial block of 4), then quant(rw[k] * silu(g) * u) through w2.
// CHECK: {{.*}}[-4.7627,{{ +}}{{(2\.5957|2\.59571)}},{{ +}}-2.27158,{{ +}}1.20348]
// CHECK-NEXT: {{.*}}[-1.72476,{{ +}}4.6203,{{ +}}-4.20703,{{ +}}2.15784]
// Deploy, act_quant block 3: blocks [0, 3) and the partial [3, 4) of x and of
// the w2 input get their own scales.
// CHECK: {{.*}}[-4.77442,{{ +}}2.59375,{{ +}}-2.24668,{{ +}}{{(1\.20201|1\.20202)}}]
// CHECK-NEXT: {{.*}}[-1.72064,{{ +}}4.62024,{{ +}}{{(-4\.20313|-4\.20312)}},{{ +}}2.15503]

//--- kernels.mlir
// w1, w3: [E = 2, inter = 4, d = 4], w2: [2, d = 4, inter = 4], all with two
// scale blocks per row (block [1, 2]); the w1 / w3 scales of columns 2-3 are
// 2^11, so that x[:, 3] (tiny) matters.
func.func private @exact(%x: tensor<2x4xf32>, %rw: tensor<2x2xf32>, %ids: tensor<2x2xi32>, %w1: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, %w2: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, %w3: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>) -> tensor<2x4xf32> {
  %y = ds4.moe_experts %x, %rw, %ids experts(%w1, %w2, %w3) {swiglu_limit = 4.0 : f64}
      : (tensor<2x4xf32>, tensor<2x2xf32>, tensor<2x2xi32>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

func.func private @deploy128(%x: tensor<2x4xf32>, %rw: tensor<2x2xf32>, %ids: tensor<2x2xi32>, %w1: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, %w2: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, %w3: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>) -> tensor<2x4xf32> {
  %y = ds4.moe_experts %x, %rw, %ids experts(%w1, %w2, %w3) act_quant <fp8_e4m3, block = 128> {swiglu_limit = 4.0 : f64}
      : (tensor<2x4xf32>, tensor<2x2xf32>, tensor<2x2xi32>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

func.func private @deploy3(%x: tensor<2x4xf32>, %rw: tensor<2x2xf32>, %ids: tensor<2x2xi32>, %w1: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, %w2: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, %w3: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>) -> tensor<2x4xf32> {
  %y = ds4.moe_experts %x, %rw, %ids experts(%w1, %w2, %w3) act_quant <fp8_e4m3, block = 3> {swiglu_limit = 4.0 : f64}
      : (tensor<2x4xf32>, tensor<2x2xf32>, tensor<2x2xi32>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

//--- main.mlir
func.func private @printMemrefF32(memref<*xf32>)

func.func @main() {
  // x[:, 3] is tiny: quantized in one block with x[:, 0:3] (act_quant block
  // 128) it becomes an e4m3 subnormal, in a block of its own (block 3) not.
  %xt = arith.constant dense<[[0.360000014, 1.50999999, 0.0, 9.99999975e-06], [-0.0500000007, -0.800000012, 0.0, 4.99999987e-06]]> : tensor<2x4xf32>
  %rwt = arith.constant dense<[[0.699999988, 0.300000012], [1.25, 0.5]]> : tensor<2x2xf32>
  %idst = arith.constant dense<[[1, 0], [1, 1]]> : tensor<2x2xi32>
  // Packed experts: codes [E, O, I/2] (element 2j in the low nibble), then
  // the e8m0 scales [E, O, I/block].
  %w1t = arith.constant dense<[-5, -82, 62, -84, -8, 61, -33, -75, 60, 36, -9, 86, 126, -96, 124, 15, -128, -118, 127, -118, 127, -118, -128, -118, 127, -118, 124, -118, 124, -118, 124, -118]> : tensor<32xi8>
  %w2t = arith.constant dense<[-30, 3, 6, 26, 84, -21, -102, -93, 11, 41, 97, -84, -50, -107, 68, 42, 126, 126, 126, 125, 125, 127, 126, -128, 126, -128, 127, 124, -128, 127, 127, 124]> : tensor<32xi8>
  %w3t = arith.constant dense<[-77, 116, -118, 103, 63, 44, -89, 68, 2, 52, -22, -80, -106, 111, -47, 78, 126, -118, 124, -118, 124, -118, 127, -118, 126, -118, 126, -118, 125, -118, 127, -118]> : tensor<32xi8>
  %x = bufferization.to_buffer %xt : tensor<2x4xf32> to memref<2x4xf32>
  %rw = bufferization.to_buffer %rwt : tensor<2x2xf32> to memref<2x2xf32>
  %ids = bufferization.to_buffer %idst : tensor<2x2xi32> to memref<2x2xi32>
  %w1 = bufferization.to_buffer %w1t : tensor<32xi8> to memref<32xi8>
  %w2 = bufferization.to_buffer %w2t : tensor<32xi8> to memref<32xi8>
  %w3 = bufferization.to_buffer %w3t : tensor<32xi8> to memref<32xi8>
  %ye = call @exact(%x, %rw, %ids, %w1, %w2, %w3) : (memref<2x4xf32>, memref<2x2xf32>, memref<2x2xi32>, memref<32xi8>, memref<32xi8>, memref<32xi8>) -> memref<2x4xf32>
  %yeu = memref.cast %ye : memref<2x4xf32> to memref<*xf32>
  call @printMemrefF32(%yeu) : (memref<*xf32>) -> ()
  %yd = call @deploy128(%x, %rw, %ids, %w1, %w2, %w3) : (memref<2x4xf32>, memref<2x2xf32>, memref<2x2xi32>, memref<32xi8>, memref<32xi8>, memref<32xi8>) -> memref<2x4xf32>
  %ydu = memref.cast %yd : memref<2x4xf32> to memref<*xf32>
  call @printMemrefF32(%ydu) : (memref<*xf32>) -> ()
  %yq = call @deploy3(%x, %rw, %ids, %w1, %w2, %w3) : (memref<2x4xf32>, memref<2x2xf32>, memref<2x2xi32>, memref<32xi8>, memref<32xi8>, memref<32xi8>) -> memref<2x4xf32>
  %yqu = memref.cast %yq : memref<2x4xf32> to memref<*xf32>
  call @printMemrefF32(%yqu) : (memref<*xf32>) -> ()
  return
}

// Numerics of the CPU lowering of the core ops, executed on the host.
// Expected values are computed independently (numpy, in the comments).
// RUN: ds4-opt %s --ds4-cpu-bufferize --ds4-cpu-to-llvm | %run_cpu | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefI32(memref<*xi32>)

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

  call @rope() : () -> ()
  call @linear() : () -> ()
  call @multi_linear() : () -> ()
  call @grouped_linear() : () -> ()
  call @quantize() : () -> ()
  call @hadamard() : () -> ()
  call @logits() : () -> ()
  return
}

// Expected values below: numpy with the reference's own functions
// (test/reference/ds4ref: model.rope_frequencies / apply_rope, numerics.
// quantize_blocks / round_to_bf16 / round_to_e4m3 / round_to_e2m1 /
// pow2_scale / hadamard), f32 arrays as in the reference.

func.func private @rope() {
  // Plain rope, theta 1e4, dims 4 of 6 (channels 0-1 pass through), two heads
  // sharing the position; t = 3 and t = 1e6 (f64 angles matter there).
  //   y = x.copy(); y[..., 2:] = apply_rope(x[0, :, :, 2:], [3, 1000000], f)
  // CHECK: [1,{{ +}}2,{{ +}}-3.53446,{{ +}}-3.53661,{{ +}}4.81778,{{ +}}6.14728]
  // CHECK-NEXT: [-1,{{ +}}0.5,{{ +}}0.0347419,{{ +}}2.01526,{{ +}}1.40934,{{ +}}3.04364]
  // CHECK-NEXT: [1,{{ +}}2,{{ +}}4.21023,{{ +}}2.69703,{{ +}}-2.92709,{{ +}}-7.241]
  // CHECK-NEXT: [-1,{{ +}}0.5,{{ +}}-0.465799,{{ +}}-1.961,{{ +}}-0.51139,{{ +}}-3.31489]
  %x = arith.constant dense<[[[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [-1.0, 0.5, 0.25, -2.0, 1.5, 3.0]],
                              [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [-1.0, 0.5, 0.25, -2.0, 1.5, 3.0]]]]> : tensor<1x2x2x6xf32>
  %pos = arith.constant dense<[[3, 1000000]]> : tensor<1x2xi32>
  %y = ds4.rope %x at %pos <theta = 10000.0, dims = 4> : tensor<1x2x2x6xf32>, tensor<1x2xi32> -> tensor<1x2x2x6xf32>
  %ym = bufferization.to_buffer %y : tensor<1x2x2x6xf32> to memref<1x2x2x6xf32>
  %yu = memref.cast %ym : memref<1x2x2x6xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()

  // Inverse YaRN rope (theta 160000, dims 8 of 10, factor 16, L0 65536,
  // beta 32/1: low = 1, high = 4, f = [1, .05, .00171875, 4.6875e-5]) on
  // [b, s, D] rows at t = 0 (identity), 7, 65539; i64 positions.
  //   y[..., 2:] = apply_rope(x[0, :, 2:], [0, 7, 65539], f, inverse=True)
  // CHECK: [0.35,{{ +}}0.82,{{ +}}0.33,{{ +}}-1.3,{{ +}}0.91,{{ +}}0.45,{{ +}}-0.54,{{ +}}0.58,{{ +}}0.36,{{ +}}0.29]
  // CHECK-NEXT: [0.03,{{ +}}0.55,{{ +}}-0.663006,{{ +}}0.365546,{{ +}}-0.24516,{{ +}}0.728215,{{ +}}0.0365081,{{ +}}-0.29046,{{ +}}-0.780085,{{ +}}-0.259744]
  // CHECK-NEXT: [0.01,{{ +}}-0.28,{{ +}}0.000986278,{{ +}}1.63835,{{ +}}3.11469,{{ +}}1.10223,{{ +}}0.0305948,{{ +}}-0.452066,{{ +}}-0.194227,{{ +}}-0.234043]
  %x2 = arith.constant dense<[[[0.35, 0.82, 0.33, -1.3, 0.91, 0.45, -0.54, 0.58, 0.36, 0.29],
                               [0.03, 0.55, -0.74, -0.16, -0.48, 0.6, 0.04, -0.29, -0.78, -0.26],
                               [0.01, -0.28, 1.29, 1.01, -2.71, -1.89, -0.17, -0.42, 0.21, 0.22]]]> : tensor<1x3x10xf32>
  %pos2 = arith.constant dense<[[0, 7, 65539]]> : tensor<1x3xi64>
  %y2 = ds4.rope %x2 at %pos2 <theta = 160000.0, dims = 8, yarn = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>, inverse = true> : tensor<1x3x10xf32>, tensor<1x3xi64> -> tensor<1x3x10xf32>
  %y2m = bufferization.to_buffer %y2 : tensor<1x3x10xf32> to memref<1x3x10xf32>
  %y2u = memref.cast %y2m : memref<1x3x10xf32> to memref<*xf32>
  call @printMemrefF32(%y2u) : (memref<*xf32>) -> ()
  return
}

func.func private @linear() {
  // bf16 weight, f32 result: x @ W.T
  // CHECK: [3.5,{{ +}}-3.375]
  // CHECK-NEXT: [-3.125,{{ +}}6.03125]
  %x = arith.constant dense<[[[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]]]> : tensor<1x2x3xf32>
  %w = arith.constant dense<[[1.5, -0.5, 2.0], [0.125, 1.0, -3.0]]> : tensor<2x3xbf16>
  %y = ds4.linear %x, %w : tensor<1x2x3xf32>, tensor<2x3xbf16> -> tensor<1x2x2xf32>
  %ym = bufferization.to_buffer %y : tensor<1x2x2xf32> to memref<1x2x2xf32>
  %yu = memref.cast %ym : memref<1x2x2xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()

  // f32 weight, bf16 result (read back exactly through an f32 identity):
  // round_to_bf16(x @ W.T)
  // CHECK: [0.0600586,{{ +}}-1.45312]
  %x2 = arith.constant dense<[[[0.1, 0.7, -0.3]]]> : tensor<1x1x3xf32>
  %w2 = arith.constant dense<[[0.1, 0.2, 0.3], [1.001, -2.003, 0.5]]> : tensor<2x3xf32>
  %y2 = ds4.linear %x2, %w2 : tensor<1x1x3xf32>, tensor<2x3xf32> -> tensor<1x1x2xbf16>
  %id = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %y2f = ds4.linear %y2, %id : tensor<1x1x2xbf16>, tensor<2x2xf32> -> tensor<1x1x2xf32>
  %y2m = bufferization.to_buffer %y2f : tensor<1x1x2xf32> to memref<1x1x2xf32>
  %y2u = memref.cast %y2m : memref<1x1x2xf32> to memref<*xf32>
  call @printMemrefF32(%y2u) : (memref<*xf32>) -> ()
  return
}

func.func private @multi_linear() {
  // Two projections of one x: the bf16 weight of @linear and an f32 one
  // with 3 outputs (decode: fewer than 8 rows, one loop over all 5 outputs).
  //   x @ W.T as in @linear; x @ V.T = [x0, x2, x0 + x1 + x2]
  // CHECK: [3.5,{{ +}}-3.375]
  // CHECK-NEXT: [-3.125,{{ +}}6.03125]
  // CHECK: [1,{{ +}}0.5,{{ +}}-0.5]
  // CHECK-NEXT: [0.25,{{ +}}-1,{{ +}}2.25]
  %x = arith.constant dense<[[[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]]]> : tensor<1x2x3xf32>
  %w = arith.constant dense<[[1.5, -0.5, 2.0], [0.125, 1.0, -3.0]]> : tensor<2x3xbf16>
  %v = arith.constant dense<[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]> : tensor<3x3xf32>
  %y:2 = ds4.multi_linear %x, %w, %v : tensor<1x2x3xf32>, tensor<2x3xbf16>, tensor<3x3xf32> -> tensor<1x2x2xf32>, tensor<1x2x3xf32>
  %ym = bufferization.to_buffer %y#0 : tensor<1x2x2xf32> to memref<1x2x2xf32>
  %yu = memref.cast %ym : memref<1x2x2xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  %vm = bufferization.to_buffer %y#1 : tensor<1x2x3xf32> to memref<1x2x3xf32>
  %vu = memref.cast %vm : memref<1x2x3xf32> to memref<*xf32>
  call @printMemrefF32(%vu) : (memref<*xf32>) -> ()

  // Prefill (9 rows: row tiles per projection). Row r of x is [r, 1, -1]:
  //   x @ W.T = [1.5 r - 2.5, 0.125 r + 4]; x @ V.T = [r, -1, r]
  // CHECK: [-2.5,{{ +}}4]
  // CHECK-NEXT: [-1,{{ +}}4.125]
  // CHECK-COUNT-6: ]
  // CHECK-NEXT: [9.5,{{ +}}5]
  // CHECK: [0,{{ +}}-1,{{ +}}0]
  // CHECK-NEXT: [1,{{ +}}-1,{{ +}}1]
  // CHECK-COUNT-6: ]
  // CHECK-NEXT: [8,{{ +}}-1,{{ +}}8]
  %x9 = arith.constant dense<[[[0.0, 1.0, -1.0], [1.0, 1.0, -1.0], [2.0, 1.0, -1.0], [3.0, 1.0, -1.0], [4.0, 1.0, -1.0], [5.0, 1.0, -1.0], [6.0, 1.0, -1.0], [7.0, 1.0, -1.0], [8.0, 1.0, -1.0]]]> : tensor<1x9x3xf32>
  %z:2 = ds4.multi_linear %x9, %w, %v : tensor<1x9x3xf32>, tensor<2x3xbf16>, tensor<3x3xf32> -> tensor<1x9x2xf32>, tensor<1x9x3xf32>
  %zm = bufferization.to_buffer %z#0 : tensor<1x9x2xf32> to memref<1x9x2xf32>
  %zu = memref.cast %zm : memref<1x9x2xf32> to memref<*xf32>
  call @printMemrefF32(%zu) : (memref<*xf32>) -> ()
  %wm = bufferization.to_buffer %z#1 : tensor<1x9x3xf32> to memref<1x9x3xf32>
  %wu = memref.cast %wm : memref<1x9x3xf32> to memref<*xf32>
  call @printMemrefF32(%wu) : (memref<*xf32>) -> ()

  // The same with row tiles of 4 (#ds4.tiling): 3 tiles, the last one
  // partial; the sums are the same.
  // CHECK: [-2.5,{{ +}}4]
  // CHECK-NEXT: [-1,{{ +}}4.125]
  // CHECK-COUNT-6: ]
  // CHECK-NEXT: [9.5,{{ +}}5]
  %t:2 = ds4.multi_linear %x9, %w, %v {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 4, outputs_per_warp = 1, warp_sinkhorn = false>} : tensor<1x9x3xf32>, tensor<2x3xbf16>, tensor<3x3xf32> -> tensor<1x9x2xf32>, tensor<1x9x3xf32>
  %tm = bufferization.to_buffer %t#0 : tensor<1x9x2xf32> to memref<1x9x2xf32>
  %tu = memref.cast %tm : memref<1x9x2xf32> to memref<*xf32>
  call @printMemrefF32(%tu) : (memref<*xf32>) -> ()
  return
}

func.func private @grouped_linear() {
  // x [1, 1, G=2, k=3], W [G*n=4, 3]: group g uses rows 2g, 2g+1.
  //   og = x.reshape(2, 3); wg = W.reshape(2, 2, 3)
  // f32: einsum('gk,gjk->gj', og, wg)
  // CHECK: [0.700491,{{ +}}2.70681]
  // CHECK-NEXT: [-0.711,{{ +}}1.773]
  // compute = bf16 (the reference's deploy wo_a): x and the result rounded,
  // W (f32 here, not bf16-exact) used as is:
  //   round_to_bf16(einsum('gk,gjk->gj', round_to_bf16(og), wg))
  // (rounding W too would give -0.707031 in row 2.)
  // CHECK: [0.703125,{{ +}}2.71875]
  // CHECK-NEXT: [-0.710938,{{ +}}1.77344]
  %x = arith.constant dense<[[[[1.00490625, -0.3, 2.2], [0.7, 1.3, -0.01]]]]> : tensor<1x1x2x3xf32>
  %w = arith.constant dense<[[0.1, 0.2, 0.3], [1.001, -2.003, 0.5], [0.3, -0.7, 1.1], [2.5, 0.01, -1.0]]> : tensor<4x3xf32>
  %y = ds4.grouped_linear %x, %w : tensor<1x1x2x3xf32>, tensor<4x3xf32> -> tensor<1x1x2x2xf32>
  %ym = bufferization.to_buffer %y : tensor<1x1x2x2xf32> to memref<1x1x2x2xf32>
  %yu = memref.cast %ym : memref<1x1x2x2xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  %b = ds4.grouped_linear %x, %w compute bf16 : tensor<1x1x2x3xf32>, tensor<4x3xf32> -> tensor<1x1x2x2xf32>
  %bm = bufferization.to_buffer %b : tensor<1x1x2x2xf32> to memref<1x1x2x2xf32>
  %bu = memref.cast %bm : memref<1x1x2x2xf32> to memref<*xf32>
  call @printMemrefF32(%bu) : (memref<*xf32>) -> ()
  return
}

func.func private @quantize() {
  // fp8 simulate, block 4, channels 8 (the last 2 pass through, even 1e30):
  //   y = x.copy(); y[:, :8] = quantize_blocks(x[:, :8], 4, "e4m3")
  // Ties to even (1.0625 -> 1, 1.1875 -> 1.25), a subnormal code (0.001),
  // blocks below the amax floor 1e-4 (scale 2^-22), -0 kept.
  // CHECK: [1,{{ +}}1.25,{{ +}}0.00195312,{{ +}}448,{{ +}}9.53674e-07,{{ +}}-3.05176e-05,{{ +}}0,{{ +}}1.90735e-05,{{ +}}7.3,{{ +}}-7.3]
  // CHECK-NEXT: [-3.25,{{ +}}0.0703125,{{ +}}0.5,{{ +}}1,{{ +}}1024,{{ +}}-0.101562,{{ +}}32,{{ +}}-256,{{ +}}1e+30,{{ +}}-0]
  %x = arith.constant dense<[[1.0625, 1.1875, 0.001, 448.0, 1.0e-6, -3.0e-5, 0.0, 2.0e-5, 7.3, -7.3],
                             [-3.3, 0.07, 0.5, 1.0, 1000.0, -0.1, 33.3, -256.5, 1.0e30, -0.0]]> : tensor<2x10xf32>
  %y = ds4.quantize %x simulate fp8_e4m3 block 4 channels 8 : tensor<2x10xf32> -> tensor<2x10xf32>
  %ym = bufferization.to_buffer %y : tensor<2x10xf32> to memref<2x10xf32>
  %yu = memref.cast %ym : memref<2x10xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()

  // The same first row with rest_bf16: the pass-through channels are
  // rounded to bf16 (deploy KV rope dims): y[:, 8:] = round_to_bf16(x[:, 8:]).
  // CHECK: [1,{{ +}}1.25,{{ +}}0.00195312,{{ +}}448,{{ +}}9.53674e-07,{{ +}}-3.05176e-05,{{ +}}0,{{ +}}1.90735e-05,{{ +}}7.3125,{{ +}}-7.3125]
  %xr = arith.constant dense<[[1.0625, 1.1875, 0.001, 448.0, 1.0e-6, -3.0e-5, 0.0, 2.0e-5, 7.3, -7.3]]> : tensor<1x10xf32>
  %yr = ds4.quantize %xr simulate fp8_e4m3 block 4 channels 8 rest_bf16 : tensor<1x10xf32> -> tensor<1x10xf32>
  %yrm = bufferization.to_buffer %yr : tensor<1x10xf32> to memref<1x10xf32>
  %yru = memref.cast %yrm : memref<1x10xf32> to memref<*xf32>
  call @printMemrefF32(%yru) : (memref<*xf32>) -> ()

  // fp4 simulate, block 4, all channels: quantize_blocks(x, 4, "e2m1")
  // (2.5 -> 2 and 5 -> 4: ties to even; 0.75 -> 1; -0.2 -> -0).
  // CHECK: [6,{{ +}}2,{{ +}}4,{{ +}}0,{{ +}}1,{{ +}}-1,{{ +}}4,{{ +}}-0]
  // CHECK-NEXT: [0.0117188,{{ +}}0.0234375,{{ +}}-0.03125,{{ +}}0.00390625,{{ +}}-96,{{ +}}48,{{ +}}32,{{ +}}16]
  %x4 = arith.constant dense<[[[6.0, 2.5, 5.0, 0.25, 0.75, -1.25, 3.5, -0.2],
                               [0.01, 0.02, -0.03, 0.004, -100.0, 50.0, 25.0, 12.5]]]> : tensor<1x2x8xf32>
  %y4 = ds4.quantize %x4 simulate fp4_e2m1 block 4 : tensor<1x2x8xf32> -> tensor<1x2x8xf32>
  %y4m = bufferization.to_buffer %y4 : tensor<1x2x8xf32> to memref<1x2x8xf32>
  %y4u = memref.cast %y4m : memref<1x2x8xf32> to memref<*xf32>
  call @printMemrefF32(%y4u) : (memref<*xf32>) -> ()

  // Store form, block 4: codes and e8m0 scales (printed as their bits).
  // s = pow2_scale(amax, fmax, floor); q = round_to_e4m3(x / s):
  //   block 0: s code 121, q = [64, -128, 20, 320] -> 0x68 0xF0 0x5A 0x7A
  //   block 1: s code 125, q = [2^-8 (subnormal 2), -0, 384, 12] -> 2 0x80 0x7C 0x54
  // CHECK: [104,{{ +}}240,{{ +}}90,{{ +}}122,{{ +}}2,{{ +}}128,{{ +}}124,{{ +}}84]
  // CHECK: [121,{{ +}}125]
  %xs = arith.constant dense<[[1.0, -2.0, 0.3, 5.0, 0.001, -0.0001, 100.0, 3.0]]> : tensor<1x8xf32>
  %c8, %s8 = ds4.quantize %xs store fp8_e4m3 block 4 : tensor<1x8xf32> -> tensor<1x8xf8E4M3FN>, tensor<1x2xf8E8M0FNU>
  %c8m = bufferization.to_buffer %c8 : tensor<1x8xf8E4M3FN> to memref<1x8xf8E4M3FN>
  %s8m = bufferization.to_buffer %s8 : tensor<1x2xf8E8M0FNU> to memref<1x2xf8E8M0FNU>
  call @printE4M3Codes(%c8m) : (memref<1x8xf8E4M3FN>) -> ()
  call @printE8M0Codes(%s8m) : (memref<1x2xf8E8M0FNU>) -> ()
  // e2m1, q = round_to_e2m1(x / s): block 0 s code 127, q = [1, -2, .5, 4]
  // -> 2 12 1 6; block 1 s code 132, q = [0, -0, 3, 0] -> 0 8 5 0.
  // CHECK: [2,{{ +}}12,{{ +}}1,{{ +}}6,{{ +}}0,{{ +}}8,{{ +}}5,{{ +}}0]
  // CHECK: [127,{{ +}}132]
  %c4, %s4 = ds4.quantize %xs store fp4_e2m1 block 4 : tensor<1x8xf32> -> tensor<1x8xf4E2M1FN>, tensor<1x2xf8E8M0FNU>
  %c4m = bufferization.to_buffer %c4 : tensor<1x8xf4E2M1FN> to memref<1x8xf4E2M1FN>
  %s4m = bufferization.to_buffer %s4 : tensor<1x2xf8E8M0FNU> to memref<1x2xf8E8M0FNU>
  call @printE2M1Codes(%c4m) : (memref<1x8xf4E2M1FN>) -> ()
  call @printE8M0Codes(%s4m) : (memref<1x2xf8E8M0FNU>) -> ()
  return
}

func.func private @printE4M3Codes(%m: memref<1x8xf8E4M3FN>) {
  %o = memref.alloc() : memref<1x8xi32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %m[%c0, %i] : memref<1x8xf8E4M3FN>
    %bits = arith.bitcast %v : f8E4M3FN to i8
    %w = arith.extui %bits : i8 to i32
    memref.store %w, %o[%c0, %i] : memref<1x8xi32>
  }
  %u = memref.cast %o : memref<1x8xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

func.func private @printE2M1Codes(%m: memref<1x8xf4E2M1FN>) {
  %o = memref.alloc() : memref<1x8xi32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %m[%c0, %i] : memref<1x8xf4E2M1FN>
    %bits = arith.bitcast %v : f4E2M1FN to i4
    %w = arith.extui %bits : i4 to i32
    memref.store %w, %o[%c0, %i] : memref<1x8xi32>
  }
  %u = memref.cast %o : memref<1x8xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

func.func private @printE8M0Codes(%m: memref<1x2xf8E8M0FNU>) {
  %o = memref.alloc() : memref<1x2xi32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    %v = memref.load %m[%c0, %i] : memref<1x2xf8E8M0FNU>
    %bits = arith.bitcast %v : f8E8M0FNU to i8
    %w = arith.extui %bits : i8 to i32
    memref.store %w, %o[%c0, %i] : memref<1x2xi32>
  }
  %u = memref.cast %o : memref<1x2xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

func.func private @hadamard() {
  // x @ hadamard(8).astype(f32) (Sylvester order: row k of H8 has signs
  // (-1)^popcount(j & k)), two rows, with the products summed exactly
  // (float64) and rounded once to f32, as the lowering does; the
  // reference's f32 matmul gives -0.0374766 (one ulp off) for row 2, col 4.
  // CHECK: [-0.322441,{{ +}}-0.149907,{{ +}}-0.488611,{{ +}}0.318905,{{ +}}-0.289207,{{ +}}0.375474,{{ +}}1.52452,{{ +}}-0.965908]
  // CHECK-NEXT: [-0.149907,{{ +}}0.202233,{{ +}}-1.21976,{{ +}}0.620133,{{ +}}-0.0374767,{{ +}}-0.0176777,{{ +}}-0.165463,{{ +}}-0.623668]
  %x = arith.constant dense<[[0.001, 0.299, -0.274, -0.891, -0.455, -0.992, 0.06, 1.34],
                             [-0.492, -0.62, 0.49, 0.357, 0.105, -0.93, -0.029, 0.695]]> : tensor<2x8xf32>
  %y = ds4.hadamard %x : tensor<2x8xf32>
  %ym = bufferization.to_buffer %y : tensor<2x8xf32> to memref<2x8xf32>
  %yu = memref.cast %ym : memref<2x8xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  // n = 4 over [1, 1, 4]: [1, 2, 3, 4.5] @ H4 / 2
  // CHECK: [5.25,{{ +}}-1.25,{{ +}}-2.25,{{ +}}0.25]
  %x4 = arith.constant dense<[[[1.0, 2.0, 3.0, 4.5]]]> : tensor<1x1x4xf32>
  %y4 = ds4.hadamard %x4 : tensor<1x1x4xf32>
  call @print3(%y4) : (tensor<1x1x4xf32>) -> ()
  return
}

func.func private @logits() {
  // x @ head.T with a bf16 head, f32 logits
  // CHECK: [1.50098,{{ +}}-0.5,{{ +}}-0.650391,{{ +}}2.5]
  // CHECK-NEXT: [-2.2251,{{ +}}2.25,{{ +}}-0.472656,{{ +}}-5]
  %x = arith.constant dense<[[[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]]]> : tensor<1x2x3xf32>
  %h = arith.constant dense<[[0.30078125, -0.10009766, 2.0], [1.0, 1.0, 1.0], [-0.69921875, 0.20019531, 0.8984375], [0.0, 0.0, 5.0]]> : tensor<4x3xbf16>
  %y = ds4.logits %x, %h : tensor<1x2x3xf32>, tensor<4x3xbf16> -> tensor<1x2x4xf32>
  %ym = bufferization.to_buffer %y : tensor<1x2x4xf32> to memref<1x2x4xf32>
  %yu = memref.cast %ym : memref<1x2x4xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  return
}

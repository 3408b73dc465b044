// Numerics of the CPU lowering of the mHC ops (ds4.hc_pre / hc_post / hc_head),
// executed on the host. Expected values come from the numpy reference
// test/reference/ds4ref (Model._hc_mix, Model._hc_combine, Model._hc_head run
// on these constants, float32), printed with 6 significant digits.
// RUN: ds4-opt %s --ds4-cpu-bufferize --ds4-cpu-to-llvm | %run_cpu | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)

func.func @print2x2(%t: tensor<2x2xf32>) {
  %m = bufferization.to_buffer %t : tensor<2x2xf32> to memref<2x2xf32>
  %u = memref.cast %m : memref<2x2xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print2x3(%t: tensor<2x3xf32>) {
  %m = bufferization.to_buffer %t : tensor<2x3xf32> to memref<2x3xf32>
  %u = memref.cast %m : memref<2x3xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print2x3x3(%t: tensor<2x3x3xf32>) {
  %m = bufferization.to_buffer %t : tensor<2x3x3xf32> to memref<2x3x3xf32>
  %u = memref.cast %m : memref<2x3x3xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print2x3x2(%t: tensor<2x3x2xf32>) {
  %m = bufferization.to_buffer %t : tensor<2x3x2xf32> to memref<2x3x2xf32>
  %u = memref.cast %m : memref<2x3x2xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @print2x2bf16(%t: tensor<2x2xbf16>) {
  %m = bufferization.to_buffer %t : tensor<2x2xbf16> to memref<2x2xbf16>
  %f = memref.alloc() : memref<2x2xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c2 step %c1 {
      %v = memref.load %m[%i, %j] : memref<2x2xbf16>
      %w = arith.extf %v : bf16 to f32
      memref.store %w, %f[%i, %j] : memref<2x2xf32>
    }
  }
  %u = memref.cast %f : memref<2x2xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @main() {
  // Two tokens, n = 3 streams of d = 2.
  %H = arith.constant dense<[[[0.0, 0.300000012], [-0.270000011, -0.889999986], [-0.449999988, -0.99000001]], [[0.0599999987, 1.34000003], [-0.49000001, -0.620000005], [0.49000001, 0.360000014]]]> : tensor<2x3x2xf32>
  %fn = arith.constant dense<[[0.109999999, -0.930000007, -0.0299999993, 0.699999988, -1.34000003, -0.460000008], [-1.89999998, -1.28999996, -1.84000003, -0.239999995, -1.26999998, 0.270000011], [0.159999996, -0.189999998, -2.51999998, -0.540000021, -0.0500000007, 0.109999999], [-1.52999997, -0.479999989, -0.980000019, -0.810000002, 1.05999994, -0.810000002], [-0.0299999993, 0.879999995, -0.579999983, -0.109999999, 0.109999999, 0.0599999987], [-1.23000002, 0.0799999982, 1.36000001, -1.54999995, 0.860000014, 0.119999997], [-0.639999986, 2.0, 0.75999999, -1.20000005, 0.0700000003, 0.579999983], [-0.189999998, 0.680000007, -0.0700000003, 0.670000017, 1.44000006, -0.680000007], [0.200000003, -0.460000008, 0.129999995, -1.19000006, -0.579999983, -0.200000003], [0.899999976, 1.14999998, -1.32000005, -0.790000021, 0.649999976, -1.99000001], [-0.460000008, -0.100000001, 1.25999999, 0.689999998, -0.330000013, -0.370000005], [-0.25, 1.51999998, -0.430000007, -0.300000012, 0.349999994, -0.119999997], [-0.200000003, -1.11000001, -0.00999999978, -0.439999998, 1.16999996, 0.649999976], [-0.0199999996, 0.670000017, -0.340000004, 1.04999995, -0.00999999978, 0.579999983], [-1.28999996, 0.349999994, -1.69000006, -2.03999996, -0.300000012, -0.899999976]]> : tensor<15x6xf32>
  %base = arith.constant dense<[0.159999996, 2.24000001, -0.829999983, -0.620000005, 0.209999993, 0.49000001, -0.180000007, -0.209999993, 0.699999988, 0.519999981, -1.02999997, -0.0799999982, 0.0399999991, -1.04999995, 0.25999999]> : tensor<15xf32>
  %scale = arith.constant dense<[0.5, 1.5, 2.0]> : tensor<3xf32>

  // hc_pre, hc_eps = 1e-3 (large enough to show in the printed values),
  // 4 Sinkhorn iterations: x_in, post, then comb, whose column sums are
  // 1 - O(hc_eps) and row sums only near 1 (doubly stochastic-ish).
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 4 : i64, hc_eps = 1.0e-3 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<2x3x2xf32>, tensor<15x6xf32>, tensor<15xf32>, tensor<3xf32>) -> (tensor<2x2xf32>, tensor<2x3xf32>, tensor<2x3x3xf32>)
// CHECK: {{.*}}[-0.482258,{{ +}}-1.16727]
// CHECK-NEXT: {{.*}}[-0.109747,{{ +}}{{(-0\.0754309|-0\.0754308)}}]
  call @print2x2(%x) : (tensor<2x2xf32>) -> ()
// CHECK: {{.*}}[1.81961,{{ +}}1.5509,{{ +}}{{(1\.72189|1\.7219)}}]
// CHECK-NEXT: {{.*}}[1.2092,{{ +}}1.95355,{{ +}}1.80625]
  call @print2x3(%post) : (tensor<2x3xf32>) -> ()
// CHECK: {{.*}}[{{(0\.0978154|0\.0978155)}},{{ +}}{{(0\.504941|0\.504942)}},{{ +}}{{(0\.375713|0\.375714)}}]
// CHECK-NEXT: {{.*}}[{{(0\.899136|0\.899137)}},{{ +}}0.154417,{{ +}}{{(0\.000356678|0\.000356679)}}]
// CHECK-NEXT: {{.*}}[0.00197949,{{ +}}0.339661,{{ +}}{{(0\.622972|0\.622973)}}]
// CHECK-NEXT: {{.*}}[0.648221,{{ +}}{{(0\.339178|0\.339179)}},{{ +}}{{(0\.000938286|0\.000938287)}}]
// CHECK-NEXT: {{.*}}[0.350165,{{ +}}0.166602,{{ +}}0.483344]
// CHECK-NEXT: {{.*}}[{{(0\.000632392|0\.000632393)}},{{ +}}{{(0\.493215|0\.493216)}},{{ +}}{{(0\.514703|0\.514704)}}]
  call @print2x3x3(%comb) : (tensor<2x3x3xf32>) -> ()

  // sinkhorn_iters = 1: softmax rows + hc_eps, then one column normalization.
  %x1, %post1, %comb1 = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 1 : i64, hc_eps = 1.0e-3 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<2x3x2xf32>, tensor<15x6xf32>, tensor<15xf32>, tensor<3xf32>) -> (tensor<2x2xf32>, tensor<2x3xf32>, tensor<2x3x3xf32>)
// CHECK: {{.*}}[0.0702196,{{ +}}0.43147,{{ +}}{{(0\.479704|0\.479705)}}]
// CHECK-NEXT: {{.*}}[{{(0\.927925|0\.927926)}},{{ +}}{{(0\.189688|0\.189689)}},{{ +}}0.000654682]
// CHECK-NEXT: {{.*}}[{{(0\.000927445|0\.000927446)}},{{ +}}0.189426,{{ +}}0.519122]
// CHECK-NEXT: {{.*}}[{{(0\.667717|0\.667718)}},{{ +}}0.229534,{{ +}}0.000713845]
// CHECK-NEXT: {{.*}}[0.330514,{{ +}}0.103311,{{ +}}0.336955]
// CHECK-NEXT: {{.*}}[0.0011007,{{ +}}{{(0\.563986|0\.563987)}},{{ +}}{{(0\.661666|0\.661667)}}]
  call @print2x3x3(%comb1) : (tensor<2x3x3xf32>) -> ()

  // hc_post with the comb above (not symmetric): H'[k] = post[k] f + sum_j C[j][k] H[j].
  %f = arith.constant dense<[[-0.860000014, 0.970000029], [0.189999998, 0.0900000036]]> : tensor<2x2xf32>
  %Hn = ds4.hc_post %f, %H, %post, %comb : (tensor<2x2xf32>, tensor<2x3x2xf32>, tensor<2x3xf32>, tensor<2x3x3xf32>) -> tensor<2x3x2xf32>
// CHECK: {{.*}}[-1.80852,{{ +}}{{(0\.992171|0\.992172)}}]
// CHECK-NEXT: {{.*}}[{{(-1\.52832|-1\.52831)}},{{ +}}1.18216]
// CHECK-NEXT: {{.*}}[-1.76126,{{ +}}1.16589]
// CHECK-NEXT: {{.*}}[{{(0\.0973694|0\.0973695|0\.0973696|0\.0973697|0\.0973698|0\.0973699|0\.09737)}},{{ +}}{{(0\.760569|0\.76057)}}]
// CHECK-NEXT: {{.*}}[0.551566,{{ +}}0.704583]
// CHECK-NEXT: {{.*}}[{{(0\.358609|0\.35861)}},{{ +}}{{(0\.0494394|0\.0494395|0\.0494396|0\.0494397|0\.0494398|0\.0494399|0\.04944)}}]
  call @print2x3x2(%Hn) : (tensor<2x3x2xf32>) -> ()

  // hc_head: pre = sigmoid(mix * scale + base) + hc_eps, y = sum_i pre[i] H[i].
  %hfn = arith.constant dense<[[-0.589999974, -0.119999997, -2.0, -1.13, 0.360000014, -2.13000011], [0.850000024, -1.75, 0.75999999, -0.850000024, 0.779999971, 0.129999995], [-1.53999996, 1.25, 1.44000006, -0.0700000003, -0.270000011, -0.159999996]]> : tensor<3x6xf32>
  %hbase = arith.constant dense<[-0.980000019, 1.10000002, -0.540000021]> : tensor<3xf32>
  %hscale = arith.constant dense<[0.75]> : tensor<1xf32>
  %y = ds4.hc_head %H, %hfn, %hbase, %hscale {hc_eps = 1.0e-3 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<2x3x2xf32>, tensor<3x6xf32>, tensor<3xf32>, tensor<1xf32>) -> tensor<2x2xf32>
// CHECK: {{.*}}[{{(-0\.381391|-0\.38139)}},{{ +}}-0.735443]
// CHECK-NEXT: {{.*}}[0.153115,{{ +}}0.680632]
  call @print2x2(%y) : (tensor<2x2xf32>) -> ()

  // bf16 streams in and a bf16 result (the streams rounded to bf16 first,
  // the result rounded to bf16).
  %Hb = arith.constant dense<[[[0.0, 0.300000012], [-0.270000011, -0.889999986], [-0.449999988, -0.99000001]], [[0.0599999987, 1.34000003], [-0.49000001, -0.620000005], [0.49000001, 0.360000014]]]> : tensor<2x3x2xbf16>
  %yb = ds4.hc_head %Hb, %hfn, %hbase, %hscale {hc_eps = 1.0e-3 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<2x3x2xbf16>, tensor<3x6xf32>, tensor<3xf32>, tensor<1xf32>) -> tensor<2x2xbf16>
// CHECK: {{.*}}[{{(-0\.38086|-0\.380859)}},{{ +}}-0.734375]
// CHECK-NEXT: {{.*}}[0.154297,{{ +}}{{(0\.683593|0\.683594)}}]
  call @print2x2bf16(%yb) : (tensor<2x2xbf16>) -> ()
  return
}

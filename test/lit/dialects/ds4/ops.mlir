// Round trip of every ds4 op, type and attribute: parse -> print -> parse.
// RUN: ds4-opt %s | ds4-opt | FileCheck %s
// RUN: ds4-opt %s --mlir-print-op-generic | ds4-opt | FileCheck %s

// CHECK-LABEL: func.func @weights
func.func @weights() {
  // CHECK: ds4.weight "layers.0.attn.wq_a.weight" : tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
  %0 = ds4.weight "layers.0.attn.wq_a.weight" : tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
  // CHECK: ds4.weight "layers.0.ffn.experts.*.w1.weight" : tensor<8x128x256xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>
  %1 = ds4.weight "layers.0.ffn.experts.*.w1.weight" : tensor<8x128x256xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>
  // CHECK: ds4.weight "layers.0.attn.attn_sink" : tensor<4xf32>
  %2 = ds4.weight "layers.0.attn.attn_sink" : tensor<4xf32>
  // CHECK: ds4.weight "layers.0.ffn.gate.tid2eid" : tensor<512x2xi32>
  %3 = ds4.weight "layers.0.ffn.gate.tid2eid" : tensor<512x2xi32>
  // CHECK: ds4.weight "embed.weight" : tensor<512x256xbf16>
  %4 = ds4.weight "embed.weight" : tensor<512x256xbf16>
  return
}

// CHECK-LABEL: func.func @core
func.func @core(%ids: tensor<?x?xi32>, %pos: tensor<?x?xi64>, %h: tensor<?x?x4x128xf32>,
                %x: tensor<?x?x256xf32>, %table: tensor<512x256xbf16>,
                %wq: tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>,
                %wb: tensor<64x256xbf16>, %o: tensor<?x?x2x256xf32>, %woa: tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>,
                %norm: tensor<256xbf16>, %head: tensor<512x256xbf16>,
                %woa2: tensor<256x128xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>) {
  // CHECK: %[[EMB:.*]] = ds4.embedding %{{.*}}[%{{.*}}] : tensor<512x256xbf16>, tensor<?x?xi32> -> tensor<?x?x256xbf16>
  %e = ds4.embedding %table[%ids] : tensor<512x256xbf16>, tensor<?x?xi32> -> tensor<?x?x256xbf16>
  // CHECK: ds4.rms_norm %[[EMB]] weight %{{.*}} eps 9.9999999999999995E-7 : tensor<?x?x256xbf16>, tensor<256xbf16> -> tensor<?x?x256xf32>
  %n = ds4.rms_norm %e weight %norm eps 1.0e-6 : tensor<?x?x256xbf16>, tensor<256xbf16> -> tensor<?x?x256xf32>
  // CHECK: ds4.rms_norm %{{.*}} eps 9.9999999999999995E-7 : tensor<?x?x4x128xf32> -> tensor<?x?x4x128xf32>
  %qn = ds4.rms_norm %h eps 1.0e-6 : tensor<?x?x4x128xf32> -> tensor<?x?x4x128xf32>
  // CHECK: ds4.rope %{{.*}} at %{{.*}} <theta = 1.600000e+05, dims = 64, yarn = <factor = 1.600000e+01, original = 65536, beta_fast = 3.200000e+01, beta_slow = 1.000000e+00>>
  %r = ds4.rope %h at %pos <theta = 160000.0, dims = 64, yarn = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xf32>
  // CHECK: ds4.rope %{{.*}} at %{{.*}} <theta = 1.000000e+04, dims = 64, inverse = true>
  %ri = ds4.rope %h at %pos <theta = 10000.0, dims = 64, inverse = true> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xf32>
  // CHECK: ds4.linear %{{.*}}, %{{.*}} act_quant <fp8_e4m3, block = 128> : tensor<?x?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x128xf32>
  %l = ds4.linear %x, %wq act_quant <fp8_e4m3, block = 128> : tensor<?x?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x128xf32>
  // A reduction dim that is not a multiple of the block: the tail block gets its own scale.
  // CHECK: ds4.linear %{{.*}}, %{{.*}} act_quant <fp8_e4m3, block = 128> : tensor<?x?x128xf32>, tensor<256x128xf8E4M3FN
  %lt = ds4.linear %l, %woa2 act_quant <fp8_e4m3, block = 128> : tensor<?x?x128xf32>, tensor<256x128xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x256xf32>
  // CHECK: ds4.linear %{{.*}}, %{{.*}} : tensor<?x?x256xf32>, tensor<64x256xbf16> -> tensor<?x?x64xbf16>
  %lb = ds4.linear %x, %wb : tensor<?x?x256xf32>, tensor<64x256xbf16> -> tensor<?x?x64xbf16>
  // Sibling linears of one activation, each weight its own encoding.
  // CHECK: %{{.*}}:2 = ds4.multi_linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, tensor<64x256xbf16> -> tensor<?x?x128xf32>, tensor<?x?x64xbf16>
  %ml:2 = ds4.multi_linear %x, %wq, %wb : tensor<?x?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, tensor<64x256xbf16> -> tensor<?x?x128xf32>, tensor<?x?x64xbf16>
  // CHECK: %{{.*}}:2 = ds4.multi_linear %{{.*}}, %{{.*}}, %{{.*}} act_quant <fp8_e4m3, block = 128> :
  %mq:2 = ds4.multi_linear %x, %wq, %wq act_quant <fp8_e4m3, block = 128> : tensor<?x?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x128xf32>, tensor<?x?x128xf32>
  // CHECK: ds4.grouped_linear %{{.*}}, %{{.*}} compute bf16 : tensor<?x?x2x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x2x64xf32>
  %g = ds4.grouped_linear %o, %woa compute bf16 : tensor<?x?x2x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x2x64xf32>
  // CHECK: ds4.quantize %{{.*}} simulate fp8_e4m3 block 64 channels 64 : tensor<?x?x4x128xf32> -> tensor<?x?x4x128xf32>
  %qs = ds4.quantize %h simulate fp8_e4m3 block 64 channels 64 : tensor<?x?x4x128xf32> -> tensor<?x?x4x128xf32>
  // CHECK: ds4.quantize %{{.*}} simulate fp8_e4m3 block 64 channels 64 rest_bf16 : tensor<?x?x4x128xf32> -> tensor<?x?x4x128xf32>
  %qr = ds4.quantize %h simulate fp8_e4m3 block 64 channels 64 rest_bf16 : tensor<?x?x4x128xf32> -> tensor<?x?x4x128xf32>
  // CHECK: %{{.*}}, %{{.*}} = ds4.quantize %{{.*}} store fp4_e2m1 block 32 : tensor<?x?x4x128xf32> -> tensor<?x?x4x128xf4E2M1FN>, tensor<?x?x4x4xf8E8M0FNU>
  %codes, %scales = ds4.quantize %h store fp4_e2m1 block 32 : tensor<?x?x4x128xf32> -> tensor<?x?x4x128xf4E2M1FN>, tensor<?x?x4x4xf8E8M0FNU>
  // CHECK: ds4.hadamard %{{.*}} : tensor<?x?x4x128xf32>
  %hd = ds4.hadamard %h : tensor<?x?x4x128xf32>
  // CHECK: ds4.swiglu %{{.*}}, %{{.*}} limit 1.000000e+01 : tensor<?x?x256xf32>, tensor<?x?x256xf32> -> tensor<?x?x256xf32>
  %sw = ds4.swiglu %x, %x limit 10.0 : tensor<?x?x256xf32>, tensor<?x?x256xf32> -> tensor<?x?x256xf32>
  // CHECK: ds4.swiglu %{{.*}}, %{{.*}} : tensor<?x?x256xf32>, tensor<?x?x256xf32> -> tensor<?x?x256xf32>
  %sw2 = ds4.swiglu %x, %x : tensor<?x?x256xf32>, tensor<?x?x256xf32> -> tensor<?x?x256xf32>
  // CHECK: ds4.logits %{{.*}}, %{{.*}} : tensor<?x?x256xf32>, tensor<512x256xbf16> -> tensor<?x?x512xf32>
  %lg = ds4.logits %x, %head : tensor<?x?x256xf32>, tensor<512x256xbf16> -> tensor<?x?x512xf32>
  return
}

// CHECK-LABEL: func.func @hyper_connections
func.func @hyper_connections(%H: tensor<?x?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>,
                             %scale: tensor<3xf32>, %f: tensor<?x?x256xf32>, %hfn: tensor<4x1024xf32>,
                             %hbase: tensor<4xf32>, %hscale: tensor<1xf32>) {
  // CHECK: ds4.hc_expand %{{.*}} : tensor<?x?x256xf32> -> tensor<?x?x4x256xf32>
  %open = ds4.hc_expand %f : tensor<?x?x256xf32> -> tensor<?x?x4x256xf32>
  // CHECK: %[[X:.*]], %[[POST:.*]], %[[COMB:.*]] = ds4.hc_pre %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {hc_eps = 9.9999999999999995E-7 : f64, norm_eps = 9.9999999999999995E-7 : f64, sinkhorn_iters = 20 : i64}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x?x256xf32>, tensor<?x?x4xf32>, tensor<?x?x4x4xf32>)
  // CHECK: ds4.hc_post %{{.*}}, %{{.*}}, %[[POST]], %[[COMB]]
  %H2 = ds4.hc_post %f, %H, %post, %comb
      : (tensor<?x?x256xf32>, tensor<?x?x4x256xf32>, tensor<?x?x4xf32>, tensor<?x?x4x4xf32>) -> tensor<?x?x4x256xf32>
  // CHECK: ds4.hc_head %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {hc_eps = 9.9999999999999995E-7 : f64, norm_eps = 9.9999999999999995E-7 : f64}
  %y = ds4.hc_head %H2, %hfn, %hbase, %hscale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x?x4x256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x?x256xf32>
  return
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                     %win: !ds4.state<window, ?x16x128, fp8_nope, rope = 64>,
                     %ent: !ds4.state<compressed, ?x?x128, fp8_nope, ratio = 4, rope = 64>,
                     %blk: !ds4.state<compressor, ?x8x512, f32, ratio = 4>,
                     %hblk: !ds4.state<compressor, ?x16x256, f32, ratio = 16>,
                     %hent: !ds4.state<compressed, ?x?x128, bf16, ratio = 16>,
                     %ckv: tensor<?x?x256xf32>, %hkv: tensor<?x?x128xf32>, %ape: tensor<4x256xf32>, %hape: tensor<16x128xf32>,
                     %norm: tensor<128xbf16>, %sink: tensor<4xf32>,
                     %qi: tensor<?x?x2x64xf32>, %wi: tensor<?x?x2xf32>,
                     %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>,
                     %iblk: !ds4.state<compressor, ?x8x256, f32, ratio = 4>,
                     %ikv: tensor<?x?x128xf32>, %iape: tensor<4x128xf32>, %inorm: tensor<64xbf16>) {
  // CHECK: ds4.window_update %{{.*}} into %{{.*}} at %{{.*}} slots %{{.*}} : tensor<?x?x128xf32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<window, ?x16x128, fp8_nope, rope = 64>
  %win2 = ds4.window_update %kv into %win at %pos slots %slots : tensor<?x?x128xf32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<window, ?x16x128, fp8_nope, rope = 64>
  // CHECK: ds4.compressor {{.*}} state(%{{.*}}, %{{.*}}) {eps = {{.*}}, overlap, ratio = 4 : i64, rope = #ds4.rope<theta = 1.600000e+05, dims = 64>}
  %ent2, %blk2 = ds4.compressor %ckv, %ckv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, overlap, rope = #ds4.rope<theta = 160000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x256xf32>, tensor<?x?x256xf32>, tensor<4x256xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x8x512, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, fp8_nope, ratio = 4, rope = 64>
  // CHECK: ds4.compressor {{.*}} {eps = {{.*}}, ratio = 16 : i64, rope = #ds4.rope<theta = 1.600000e+05, dims = 64>}
  %hent2, %hblk2 = ds4.compressor %hkv, %hkv, %hape, %norm at %pos slots %slots state(%hblk, %hent) {ratio = 16 : i64, rope = #ds4.rope<theta = 160000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<16x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x16x256, f32, ratio = 16>, !ds4.state<compressed, ?x?x128, bf16, ratio = 16>
  // CHECK: ds4.compressor {{.*}} {eps = {{.*}}, overlap, ratio = 4 : i64, rope = #ds4.rope<theta = 1.600000e+05, dims = 32>, rotate}
  %keys2, %iblk2 = ds4.compressor %ikv, %ikv, %iape, %inorm at %pos slots %slots state(%iblk, %keys) {ratio = 4 : i64, overlap, rotate, rope = #ds4.rope<theta = 160000.0, dims = 32>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<64xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x8x256, f32, ratio = 4>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>
  // CHECK: %[[SCORES:.*]] = ds4.indexer_score %{{.*}}, %{{.*}} keys %{{.*}} at %{{.*}} slots %{{.*}} {scale = {{.*}}} : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  %scores = ds4.indexer_score %qi, %wi keys %keys2 at %pos slots %slots {scale = 0.088388347648318 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  // CHECK: %[[SEL:.*]] = ds4.topk %[[SCORES]] at %{{.*}} {k = 8 : i64, ratio = 4 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x8xi32>
  %sel = ds4.topk %scores at %pos {k = 8 : i64, ratio = 4 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x8xi32>
  // CHECK: ds4.sparse_attention %{{.*}}, %{{.*}} window %{{.*}} entries %{{.*}} select %[[SEL]] sink
  %o = ds4.sparse_attention %q, %kv window %win entries %ent2 select %sel sink %sink at %pos slots %slots {scale = 0.088388347648318 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, fp8_nope, rope = 64>, !ds4.state<compressed, ?x?x128, fp8_nope, ratio = 4, rope = 64>, tensor<?x?x8xi32>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  // CHECK: ds4.sparse_attention %{{.*}}, %{{.*}} window %{{.*}} entries %{{.*}} sink
  %oh = ds4.sparse_attention %q, %kv window %win entries %hent2 sink %sink at %pos slots %slots {scale = 0.088388347648318 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, fp8_nope, rope = 64>, !ds4.state<compressed, ?x?x128, bf16, ratio = 16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  // CHECK: ds4.sparse_attention %{{.*}}, %{{.*}} window %{{.*}} sink
  %os = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088388347648318 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, fp8_nope, rope = 64>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// CHECK-LABEL: func.func @moe
func.func @moe(%x: tensor<?x?x256xf32>, %ids: tensor<?x?xi32>, %gate: tensor<8x256xbf16>, %bias: tensor<8xf32>,
               %table: tensor<512x2xi32>,
               %w1: tensor<8x128x256xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>,
               %w2: tensor<8x256x128xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>) {
  // CHECK: %[[W:.*]], %[[E:.*]] = ds4.moe_gate %{{.*}}, %{{.*}} bias %{{.*}} {route_scale = 1.500000e+00 : f64, score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64}
  %w, %e = ds4.moe_gate %x, %gate bias %bias {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x?x256xf32>, tensor<8x256xbf16>, tensor<8xf32>) -> (tensor<?x?x2xf32>, tensor<?x?x2xi32>)
  // CHECK: ds4.moe_gate %{{.*}}, %{{.*}} hash %{{.*}} tokens %{{.*}} {route_scale = 1.500000e+00 : f64, score_func = #ds4.score_func<sigmoid>, topk = 2 : i64}
  %hw, %he = ds4.moe_gate %x, %gate hash %table tokens %ids {score_func = #ds4.score_func<sigmoid>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x?x256xf32>, tensor<8x256xbf16>, tensor<512x2xi32>, tensor<?x?xi32>) -> (tensor<?x?x2xf32>, tensor<?x?x2xi32>)
  // CHECK: ds4.moe_experts %{{.*}}, %[[W]], %[[E]] experts(%{{.*}}, %{{.*}}, %{{.*}}) act_quant <fp8_e4m3, block = 128> {swiglu_limit = 1.000000e+01 : f64}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) act_quant <fp8_e4m3, block = 128> {swiglu_limit = 10.0 : f64}
      : (tensor<?x?x256xf32>, tensor<?x?x2xf32>, tensor<?x?x2xi32>, tensor<8x128x256xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>, tensor<8x256x128xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>, tensor<8x128x256xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>) -> tensor<?x?x256xf32>
  return
}

// CHECK-LABEL: module attributes {ds4.precision = #ds4.precision<deploy>}
module attributes {ds4.precision = #ds4.precision<deploy>} {
}

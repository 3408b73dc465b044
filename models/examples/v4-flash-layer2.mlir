// One DeepSeek-V4-Flash block written by hand in ds4 IR: layer 2 of the
// released config (Compressed Sparse Attention, ratio 4, with hash-routed
// MoE because 2 < n_hash_layers), deployment precision (spec section 4).
// Shapes are the released ones: d 4096, hc_mult 4, 64 heads of 512 (rope
// 64), q_lora 1024, 8 output groups of 1024, indexer 64 x 128 top-512,
// window 128, 256 FP4 experts of 2048 with 6 active plus one FP8 shared.
//
// `@layer2` takes any number of new tokens per sequence slot (prefill:
// b = 1, s = n; decode: b = slots, s = 1), the n = 4 residual streams, and
// this layer's state, and returns the new streams and state.
//
// The README's first command prints it back verified with ds4-opt; the
// model builder (models/) reproduces it from the config.

module attributes {ds4.precision = #ds4.precision<deploy>} {
  func.func @layer2(
      %streams: tensor<?x?x4x4096xf32>, %tokens: tensor<?x?xi32>,
      %positions: tensor<?x?xi64>, %slots: tensor<?xi32>,
      %window: !ds4.state<window, ?x128x512, fp8_nope, rope = 64>,
      %entries: !ds4.state<compressed, ?x?x512, fp8_nope, ratio = 4, rope = 64>,
      %block: !ds4.state<compressor, ?x8x2048, f32, ratio = 4>,
      %keys: !ds4.state<indexer_keys, ?x?x128, fp4, ratio = 4>,
      %keys_block: !ds4.state<compressor, ?x8x512, f32, ratio = 4>)
      -> (tensor<?x?x4x4096xf32>,
          !ds4.state<window, ?x128x512, fp8_nope, rope = 64>,
          !ds4.state<compressed, ?x?x512, fp8_nope, ratio = 4, rope = 64>,
          !ds4.state<compressor, ?x8x2048, f32, ratio = 4>,
          !ds4.state<indexer_keys, ?x?x128, fp4, ratio = 4>,
          !ds4.state<compressor, ?x8x512, f32, ratio = 4>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %b = tensor.dim %streams, %c0 : tensor<?x?x4x4096xf32>
    %s = tensor.dim %streams, %c1 : tensor<?x?x4x4096xf32>

    // ---- mHC pre around attention (spec 3.1) ----
    %hc_fn = ds4.weight "layers.2.hc_attn_fn" : tensor<24x16384xf32>
    %hc_base = ds4.weight "layers.2.hc_attn_base" : tensor<24xf32>
    %hc_scale = ds4.weight "layers.2.hc_attn_scale" : tensor<3xf32>
    %x_in, %post, %comb = ds4.hc_pre %streams, %hc_fn, %hc_base, %hc_scale
        {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
        : (tensor<?x?x4x4096xf32>, tensor<24x16384xf32>, tensor<24xf32>, tensor<3xf32>)
          -> (tensor<?x?x4096xf32>, tensor<?x?x4xf32>, tensor<?x?x4x4xf32>)
    %attn_norm = ds4.weight "layers.2.attn_norm.weight" : tensor<4096xbf16>
    %x = ds4.rms_norm %x_in weight %attn_norm eps 1.0e-6
        : tensor<?x?x4096xf32>, tensor<4096xbf16> -> tensor<?x?x4096xf32>

    // ---- queries: low-rank, per-head unweighted norm, rope (spec 3.2) ----
    %wq_a = ds4.weight "layers.2.attn.wq_a.weight" : tensor<1024x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %qa = ds4.linear %x, %wq_a act_quant <fp8_e4m3, block = 128>
        : tensor<?x?x4096xf32>, tensor<1024x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x1024xf32>
    %q_norm = ds4.weight "layers.2.attn.q_norm.weight" : tensor<1024xbf16>
    %qr = ds4.rms_norm %qa weight %q_norm eps 1.0e-6
        : tensor<?x?x1024xf32>, tensor<1024xbf16> -> tensor<?x?x1024xf32>
    %wq_b = ds4.weight "layers.2.attn.wq_b.weight" : tensor<32768x1024xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %q_flat = ds4.linear %qr, %wq_b act_quant <fp8_e4m3, block = 128>
        : tensor<?x?x1024xf32>, tensor<32768x1024xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x32768xf32>
    %q_heads = tensor.expand_shape %q_flat [[0], [1], [2, 3]] output_shape [%b, %s, 64, 512]
        : tensor<?x?x32768xf32> into tensor<?x?x64x512xf32>
    %q_normed = ds4.rms_norm %q_heads eps 1.0e-6 : tensor<?x?x64x512xf32> -> tensor<?x?x64x512xf32>
    %q = ds4.rope %q_normed at %positions <theta = 160000.0, dims = 64, yarn = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>>
        : tensor<?x?x64x512xf32>, tensor<?x?xi64> -> tensor<?x?x64x512xf32>

    // ---- the single shared key/value head ----
    %wkv = ds4.weight "layers.2.attn.wkv.weight" : tensor<512x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %kv_proj = ds4.linear %x, %wkv act_quant <fp8_e4m3, block = 128>
        : tensor<?x?x4096xf32>, tensor<512x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x512xf32>
    %kv_norm = ds4.weight "layers.2.attn.kv_norm.weight" : tensor<512xbf16>
    %kv_normed = ds4.rms_norm %kv_proj weight %kv_norm eps 1.0e-6
        : tensor<?x?x512xf32>, tensor<512xbf16> -> tensor<?x?x512xf32>
    %kv_roped = ds4.rope %kv_normed at %positions <theta = 160000.0, dims = 64, yarn = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>>
        : tensor<?x?x512xf32>, tensor<?x?xi64> -> tensor<?x?x512xf32>
    // Deploy mode: the nope dims go through e4m3 in blocks of 64.
    %kv = ds4.quantize %kv_roped simulate fp8_e4m3 block 64 channels 448 rest_bf16
        : tensor<?x?x512xf32> -> tensor<?x?x512xf32>

    // ---- compressor: every 4 tokens (overlapping) pool into one entry (3.3) ----
    %cmp_wkv = ds4.weight "layers.2.attn.compressor.wkv.weight" : tensor<1024x4096xbf16>
    %cmp_wgate = ds4.weight "layers.2.attn.compressor.wgate.weight" : tensor<1024x4096xbf16>
    %cmp_ape = ds4.weight "layers.2.attn.compressor.ape" : tensor<4x1024xf32>
    %cmp_norm = ds4.weight "layers.2.attn.compressor.norm.weight" : tensor<512xbf16>
    %cmp_kv = ds4.linear %x, %cmp_wkv : tensor<?x?x4096xf32>, tensor<1024x4096xbf16> -> tensor<?x?x1024xf32>
    %cmp_gate = ds4.linear %x, %cmp_wgate : tensor<?x?x4096xf32>, tensor<1024x4096xbf16> -> tensor<?x?x1024xf32>
    %entries_out, %block_out = ds4.compressor %cmp_kv, %cmp_gate, %cmp_ape, %cmp_norm
        at %positions slots %slots state(%block, %entries)
        {ratio = 4 : i64, overlap, eps = 1.0e-6 : f64,
         rope = #ds4.rope<theta = 160000.0, dims = 64, yarn = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>>}
        : tensor<?x?x1024xf32>, tensor<?x?x1024xf32>, tensor<4x1024xf32>, tensor<512xbf16>, tensor<?x?xi64>, tensor<?xi32>,
          !ds4.state<compressor, ?x8x2048, f32, ratio = 4>, !ds4.state<compressed, ?x?x512, fp8_nope, ratio = 4, rope = 64>

    // ---- lightning indexer: score every entry, keep the top 512 (3.4) ----
    %idx_wq_b = ds4.weight "layers.2.attn.indexer.wq_b.weight" : tensor<8192x1024xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %qi_flat = ds4.linear %qr, %idx_wq_b act_quant <fp8_e4m3, block = 128>
        : tensor<?x?x1024xf32>, tensor<8192x1024xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x8192xf32>
    %qi_heads = tensor.expand_shape %qi_flat [[0], [1], [2, 3]] output_shape [%b, %s, 64, 128]
        : tensor<?x?x8192xf32> into tensor<?x?x64x128xf32>
    %qi_roped = ds4.rope %qi_heads at %positions <theta = 160000.0, dims = 64, yarn = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>>
        : tensor<?x?x64x128xf32>, tensor<?x?xi64> -> tensor<?x?x64x128xf32>
    %qi_rotated = ds4.hadamard %qi_roped : tensor<?x?x64x128xf32>
    %qi = ds4.quantize %qi_rotated simulate fp4_e2m1 block 32 : tensor<?x?x64x128xf32> -> tensor<?x?x64x128xf32>
    %idx_proj = ds4.weight "layers.2.attn.indexer.weights_proj.weight" : tensor<64x4096xbf16>
    %idx_w = ds4.linear %x, %idx_proj : tensor<?x?x4096xf32>, tensor<64x4096xbf16> -> tensor<?x?x64xf32>
    %idx_wkv = ds4.weight "layers.2.attn.indexer.compressor.wkv.weight" : tensor<256x4096xbf16>
    %idx_wgate = ds4.weight "layers.2.attn.indexer.compressor.wgate.weight" : tensor<256x4096xbf16>
    %idx_ape = ds4.weight "layers.2.attn.indexer.compressor.ape" : tensor<4x256xf32>
    %idx_norm = ds4.weight "layers.2.attn.indexer.compressor.norm.weight" : tensor<128xbf16>
    %idx_kv = ds4.linear %x, %idx_wkv : tensor<?x?x4096xf32>, tensor<256x4096xbf16> -> tensor<?x?x256xf32>
    %idx_gate = ds4.linear %x, %idx_wgate : tensor<?x?x4096xf32>, tensor<256x4096xbf16> -> tensor<?x?x256xf32>
    %keys_out, %keys_block_out = ds4.compressor %idx_kv, %idx_gate, %idx_ape, %idx_norm
        at %positions slots %slots state(%keys_block, %keys)
        {ratio = 4 : i64, overlap, rotate, eps = 1.0e-6 : f64,
         rope = #ds4.rope<theta = 160000.0, dims = 64, yarn = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>>}
        : tensor<?x?x256xf32>, tensor<?x?x256xf32>, tensor<4x256xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>,
          !ds4.state<compressor, ?x8x512, f32, ratio = 4>, !ds4.state<indexer_keys, ?x?x128, fp4, ratio = 4>
    // scale = ID^-0.5 * IH^-0.5 = 128^-0.5 * 64^-0.5
    %scores = ds4.indexer_score %qi, %idx_w keys %keys_out at %positions slots %slots {scale = 0.011048543456039806 : f64}
        : tensor<?x?x64x128xf32>, tensor<?x?x64xf32>, !ds4.state<indexer_keys, ?x?x128, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32>
          -> tensor<?x?x?xf32>
    %selected = ds4.topk %scores at %positions {k = 512 : i64, ratio = 4 : i64}
        : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x512xi32>

    // ---- attention with sink over window + selected entries, scale 512^-0.5 ----
    %sink = ds4.weight "layers.2.attn.attn_sink" : tensor<64xf32>
    %o = ds4.sparse_attention %q, %kv window %window entries %entries_out select %selected
        sink %sink at %positions slots %slots {scale = 0.044194173824159216 : f64}
        : (tensor<?x?x64x512xf32>, tensor<?x?x512xf32>, !ds4.state<window, ?x128x512, fp8_nope, rope = 64>,
           !ds4.state<compressed, ?x?x512, fp8_nope, ratio = 4, rope = 64>, tensor<?x?x512xi32>, tensor<64xf32>,
           tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x64x512xf32>
    %window_out = ds4.window_update %kv into %window at %positions slots %slots
        : tensor<?x?x512xf32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<window, ?x128x512, fp8_nope, rope = 64>
    %o_derotated = ds4.rope %o at %positions <theta = 160000.0, dims = 64, yarn = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 1.0>, inverse = true>
        : tensor<?x?x64x512xf32>, tensor<?x?xi64> -> tensor<?x?x64x512xf32>

    // ---- grouped output projection: 8 groups of 8 heads -> 8 x 1024 -> d ----
    %o_flat = tensor.collapse_shape %o_derotated [[0], [1], [2, 3]] : tensor<?x?x64x512xf32> into tensor<?x?x32768xf32>
    %o_groups = tensor.expand_shape %o_flat [[0], [1], [2, 3]] output_shape [%b, %s, 8, 4096]
        : tensor<?x?x32768xf32> into tensor<?x?x8x4096xf32>
    %wo_a = ds4.weight "layers.2.attn.wo_a.weight" : tensor<8192x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %o_lora = ds4.grouped_linear %o_groups, %wo_a compute bf16
        : tensor<?x?x8x4096xf32>, tensor<8192x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x8x1024xf32>
    %o_lora_flat = tensor.collapse_shape %o_lora [[0], [1], [2, 3]] : tensor<?x?x8x1024xf32> into tensor<?x?x8192xf32>
    %wo_b = ds4.weight "layers.2.attn.wo_b.weight" : tensor<4096x8192xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %attn_out = ds4.linear %o_lora_flat, %wo_b act_quant <fp8_e4m3, block = 128>
        : tensor<?x?x8192xf32>, tensor<4096x8192xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x4096xf32>

    // ---- mHC post: back into the 4 streams ----
    %streams_attn = ds4.hc_post %attn_out, %streams, %post, %comb
        : (tensor<?x?x4096xf32>, tensor<?x?x4x4096xf32>, tensor<?x?x4xf32>, tensor<?x?x4x4xf32>) -> tensor<?x?x4x4096xf32>

    // ---- MoE: hash-routed (layer 2 < n_hash_layers) FP4 experts + FP8 shared (3.5) ----
    %ffn_fn = ds4.weight "layers.2.hc_ffn_fn" : tensor<24x16384xf32>
    %ffn_base = ds4.weight "layers.2.hc_ffn_base" : tensor<24xf32>
    %ffn_scale = ds4.weight "layers.2.hc_ffn_scale" : tensor<3xf32>
    %f_in, %f_post, %f_comb = ds4.hc_pre %streams_attn, %ffn_fn, %ffn_base, %ffn_scale
        {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
        : (tensor<?x?x4x4096xf32>, tensor<24x16384xf32>, tensor<24xf32>, tensor<3xf32>)
          -> (tensor<?x?x4096xf32>, tensor<?x?x4xf32>, tensor<?x?x4x4xf32>)
    %ffn_norm = ds4.weight "layers.2.ffn_norm.weight" : tensor<4096xbf16>
    %h = ds4.rms_norm %f_in weight %ffn_norm eps 1.0e-6
        : tensor<?x?x4096xf32>, tensor<4096xbf16> -> tensor<?x?x4096xf32>
    %gate_w = ds4.weight "layers.2.ffn.gate.weight" : tensor<256x4096xbf16>
    %tid2eid = ds4.weight "layers.2.ffn.gate.tid2eid" : tensor<129280x6xi32>
    %route_w, %route_ids = ds4.moe_gate %h, %gate_w hash %tid2eid tokens %tokens
        {score_func = #ds4.score_func<sqrtsoftplus>, topk = 6 : i64, route_scale = 1.5 : f64}
        : (tensor<?x?x4096xf32>, tensor<256x4096xbf16>, tensor<129280x6xi32>, tensor<?x?xi32>)
          -> (tensor<?x?x6xf32>, tensor<?x?x6xi32>)
    %w1 = ds4.weight "layers.2.ffn.experts.*.w1.weight" : tensor<256x2048x4096xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>
    %w2 = ds4.weight "layers.2.ffn.experts.*.w2.weight" : tensor<256x4096x2048xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>
    %w3 = ds4.weight "layers.2.ffn.experts.*.w3.weight" : tensor<256x2048x4096xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>
    %routed = ds4.moe_experts %h, %route_w, %route_ids experts(%w1, %w2, %w3) act_quant <fp8_e4m3, block = 128>
        {swiglu_limit = 10.0 : f64}
        : (tensor<?x?x4096xf32>, tensor<?x?x6xf32>, tensor<?x?x6xi32>,
           tensor<256x2048x4096xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>,
           tensor<256x4096x2048xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>,
           tensor<256x2048x4096xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>) -> tensor<?x?x4096xf32>
    %sw1 = ds4.weight "layers.2.ffn.shared_experts.w1.weight" : tensor<2048x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %sw3 = ds4.weight "layers.2.ffn.shared_experts.w3.weight" : tensor<2048x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %sw2 = ds4.weight "layers.2.ffn.shared_experts.w2.weight" : tensor<4096x2048xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
    %sg = ds4.linear %h, %sw1 act_quant <fp8_e4m3, block = 128>
        : tensor<?x?x4096xf32>, tensor<2048x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x2048xf32>
    %su = ds4.linear %h, %sw3 act_quant <fp8_e4m3, block = 128>
        : tensor<?x?x4096xf32>, tensor<2048x4096xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x2048xf32>
    %sact = ds4.swiglu %sg, %su limit 10.0 : tensor<?x?x2048xf32>, tensor<?x?x2048xf32> -> tensor<?x?x2048xf32>
    %shared = ds4.linear %sact, %sw2 act_quant <fp8_e4m3, block = 128>
        : tensor<?x?x2048xf32>, tensor<4096x2048xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x?x4096xf32>
    %ffn_out = arith.addf %routed, %shared : tensor<?x?x4096xf32>
    %streams_out = ds4.hc_post %ffn_out, %streams_attn, %f_post, %f_comb
        : (tensor<?x?x4096xf32>, tensor<?x?x4x4096xf32>, tensor<?x?x4xf32>, tensor<?x?x4x4xf32>) -> tensor<?x?x4x4096xf32>

    return %streams_out, %window_out, %entries_out, %block_out, %keys_out, %keys_block_out
        : tensor<?x?x4x4096xf32>,
          !ds4.state<window, ?x128x512, fp8_nope, rope = 64>,
          !ds4.state<compressed, ?x?x512, fp8_nope, ratio = 4, rope = 64>,
          !ds4.state<compressor, ?x8x2048, f32, ratio = 4>,
          !ds4.state<indexer_keys, ?x?x128, fp4, ratio = 4>,
          !ds4.state<compressor, ?x8x512, f32, ratio = 4>
  }
}

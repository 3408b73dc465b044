// Verifier and parser errors of the ds4 dialect: one case per rule.
// RUN: ds4-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// #ds4.quant
//===----------------------------------------------------------------------===//

// Block sizes must be positive.
// expected-error @+1 {{#ds4.quant block must be positive, got [0, 128]}}
func.func @quant_block_zero(%w: tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [0, 128]>>) {
  return
}

// -----

// A negative block size is rejected by the same rule.
// expected-error @+1 {{#ds4.quant block must be positive, got [128, -1]}}
func.func @quant_block_negative(%w: tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, -1]>>) {
  return
}

// -----

// fp4 scale blocks must not split a byte (two codes per byte).
// expected-error @+1 {{#ds4.quant fp4_e2m1 block columns must be even (two codes per byte), got 31}}
func.func @quant_fp4_odd_cols(%w: tensor<4x62xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 31]>>) {
  return
}

// -----

// Garbage: unknown format (the enum parser and the generated attribute
// parser each report it).
// expected-error @+2 {{expected ::mlir::ds4::QuantFormat to be one of: fp8_e4m3, fp4_e2m1}}
// expected-error @+1 {{failed to parse Ds4_QuantEncodingAttr parameter 'format'}}
func.func @quant_bad_format(%w: tensor<4x4xf8E4M3FN, #ds4.quant<fp9, block = [1, 2]>>) {
  return
}

// -----

// Garbage: a block with one size.
// expected-error @+1 {{expected ','}}
func.func @quant_short_block(%w: tensor<4x4xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128]>>) {
  return
}

// -----

//===----------------------------------------------------------------------===//
// #ds4.act_quant
//===----------------------------------------------------------------------===//

// The activation block must be positive.
// expected-error @+1 {{#ds4.act_quant block must be positive, got 0}}
func.func @act_quant_block_zero() attributes {a = #ds4.act_quant<fp8_e4m3, block = 0>} {
  return
}

// -----

//===----------------------------------------------------------------------===//
// #ds4.yarn
//===----------------------------------------------------------------------===//

// YaRN never shrinks the context: factor >= 1.
// expected-error @+1 {{#ds4.yarn factor must be >= 1, got 5.000000e-01}}
func.func @yarn_factor() attributes {a = #ds4.yarn<factor = 0.5, original = 65536, beta_fast = 32.0, beta_slow = 1.0>} {
  return
}

// -----

// The original context length must be positive.
// expected-error @+1 {{#ds4.yarn original length must be positive, got 0}}
func.func @yarn_original() attributes {a = #ds4.yarn<factor = 16.0, original = 0, beta_fast = 32.0, beta_slow = 1.0>} {
  return
}

// -----

// beta_slow must be positive.
// expected-error @+1 {{#ds4.yarn needs beta_fast > beta_slow > 0, got 3.200000e+01 and 0.000000e+00}}
func.func @yarn_beta_slow() attributes {a = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 32.0, beta_slow = 0.0>} {
  return
}

// -----

// beta_fast must exceed beta_slow.
// expected-error @+1 {{#ds4.yarn needs beta_fast > beta_slow > 0, got 1.000000e+00 and 3.200000e+01}}
func.func @yarn_beta_order() attributes {a = #ds4.yarn<factor = 16.0, original = 65536, beta_fast = 1.0, beta_slow = 32.0>} {
  return
}

// -----

//===----------------------------------------------------------------------===//
// #ds4.rope
//===----------------------------------------------------------------------===//

// theta must exceed 1 (ln(theta) divides the YaRN range).
// expected-error @+1 {{#ds4.rope theta must be > 1, got 1.000000e+00}}
func.func @rope_theta() attributes {a = #ds4.rope<theta = 1.0, dims = 64>} {
  return
}

// -----

// Rotated dims come in interleaved pairs: odd dims are rejected.
// expected-error @+1 {{#ds4.rope dims must be positive and even (interleaved pairs), got 63}}
func.func @rope_dims_odd() attributes {a = #ds4.rope<theta = 10000.0, dims = 63>} {
  return
}

// -----

// ... and so are zero dims.
// expected-error @+1 {{#ds4.rope dims must be positive and even (interleaved pairs), got 0}}
func.func @rope_dims_zero() attributes {a = #ds4.rope<theta = 10000.0, dims = 0>} {
  return
}

// -----

// An invalid nested #ds4.yarn is reported by the yarn verifier (and again by
// the generated struct parser).
// expected-error @+2 {{#ds4.yarn factor must be >= 1}}
// expected-error @+1 {{failed to parse Ds4_RopeAttr parameter 'yarn'}}
func.func @rope_bad_yarn() attributes {a = #ds4.rope<theta = 10000.0, dims = 64, yarn = #ds4.yarn<factor = 0.5, original = 65536, beta_fast = 32.0, beta_slow = 1.0>>} {
  return
}

// -----

// Garbage: 'inverse' takes true or false (the bool parameter parser and the
// generated struct parser each report it).
// expected-error @+2 {{expected 'true' or 'false'}}
// expected-error @+1 {{failed to parse Ds4_RopeAttr parameter 'inverse'}}
func.func @rope_bad_inverse() attributes {a = #ds4.rope<theta = 10000.0, dims = 64, inverse = maybe>} {
  return
}

// -----

// Garbage: theta is a float literal.
// expected-error @+3 {{unexpected decimal integer literal for a floating point value}}
// expected-note @+2 {{add a trailing dot to make the literal a float}}
// expected-error @+1 {{failed to parse Ds4_RopeAttr parameter 'theta'}}
func.func @rope_integer_theta() attributes {a = #ds4.rope<theta = 10000, dims = 64>} {
  return
}

// -----

// Garbage: theta is required.
// expected-error @+1 {{struct is missing required parameter: theta}}
func.func @rope_missing_theta() attributes {a = #ds4.rope<dims = 64>} {
  return
}

// -----

//===----------------------------------------------------------------------===//
// Enum attributes and unknown mnemonics
//===----------------------------------------------------------------------===//

// Garbage: unknown precision mode.
// expected-error @+2 {{expected ::mlir::ds4::PrecisionMode to be one of: exact, deploy}}
// expected-error @+1 {{failed to parse Ds4_PrecisionModeAttr parameter 'value'}}
func.func @bad_precision() attributes {a = #ds4.precision<fast>} {
  return
}

// -----

// Garbage: unknown attribute mnemonic.
// expected-error @+1 {{unknown attribute `nothing` in dialect `ds4`}}
func.func @unknown_attr() attributes {a = #ds4.nothing<1>} {
  return
}

// -----

// Garbage: unknown type mnemonic.
// expected-error @+1 {{unknown  type `bogus` in dialect `ds4`}}
func.func @unknown_type(%s: !ds4.bogus) {
  return
}

// -----

//===----------------------------------------------------------------------===//
// !ds4.state
//===----------------------------------------------------------------------===//

// The shape is slots x rows x width.
// expected-error @+1 {{!ds4.state shape must be slots x rows x width, got 2 dims}}
func.func @state_rank(%s: !ds4.state<window, 4x128, f32>) {
  return
}

// -----

// An empty shape is caught by the same rule.
// expected-error @+1 {{!ds4.state shape must be slots x rows x width, got 0 dims}}
func.func @state_empty_shape(%s: !ds4.state<window, , f32>) {
  return
}

// -----

// Slots must be positive or dynamic.
// expected-error @+1 {{!ds4.state slots and rows must be positive or ?}}
func.func @state_zero_slots(%s: !ds4.state<window, 0x16x128, f32>) {
  return
}

// -----

// Rows must be positive or dynamic.
// expected-error @+1 {{!ds4.state slots and rows must be positive or ?}}
func.func @state_zero_rows(%s: !ds4.state<window, ?x0x128, f32>) {
  return
}

// -----

// The width must be a static size.
// expected-error @+1 {{!ds4.state width must be a positive constant}}
func.func @state_dynamic_width(%s: !ds4.state<window, ?x16x?, f32>) {
  return
}

// -----

// The width must be positive.
// expected-error @+1 {{!ds4.state width must be a positive constant}}
func.func @state_zero_width(%s: !ds4.state<window, ?x16x0, f32>) {
  return
}

// -----

// A window has no compression ratio.
// expected-error @+1 {{!ds4.state<window> takes no ratio}}
func.func @state_window_ratio(%s: !ds4.state<window, ?x16x128, f32, ratio = 4>) {
  return
}

// -----

// Every other kind needs a positive ratio (missing here).
// expected-error @+1 {{!ds4.state<compressed> needs a positive ratio}}
func.func @state_missing_ratio(%s: !ds4.state<compressed, ?x?x128, f32>) {
  return
}

// -----

// ... and a negative ratio is rejected too.
// expected-error @+1 {{!ds4.state<indexer_keys> needs a positive ratio}}
func.func @state_negative_ratio(%s: !ds4.state<indexer_keys, ?x?x64, f32, ratio = -4>) {
  return
}

// -----

// The compressor's pending rows are f32.
// expected-error @+1 {{!ds4.state<compressor> pending rows are f32, got bf16}}
func.func @state_compressor_storage(%s: !ds4.state<compressor, ?x8x256, bf16, ratio = 4>) {
  return
}

// -----

// fp8_nope is for window and compressed kv only.
// expected-error @+1 {{fp8_nope storage is for window and compressed kv only}}
func.func @state_fp8_nope_kind(%s: !ds4.state<indexer_keys, ?x?x128, fp8_nope, ratio = 4, rope = 64>) {
  return
}

// -----

// fp8_nope needs a rope count (missing here).
// expected-error @+1 {{fp8_nope storage needs 0 < rope < width, got rope 0}}
func.func @state_fp8_nope_no_rope(%s: !ds4.state<window, ?x16x128, fp8_nope>) {
  return
}

// -----

// fp8_nope rope dims must leave some nope dims.
// expected-error @+1 {{fp8_nope storage needs 0 < rope < width, got rope 128}}
func.func @state_fp8_nope_rope_too_big(%s: !ds4.state<window, ?x16x128, fp8_nope, rope = 128>) {
  return
}

// -----

// The nope dims split into e4m3 blocks of 64.
// expected-error @+1 {{fp8_nope storage needs the 96 nope dims to split into blocks of 64}}
func.func @state_fp8_nope_blocks(%s: !ds4.state<compressed, ?x?x128, fp8_nope, ratio = 4, rope = 32>) {
  return
}

// -----

// rope is only meaningful with fp8_nope.
// expected-error @+1 {{rope = 64 is only meaningful with fp8_nope storage}}
func.func @state_rope_without_fp8_nope(%s: !ds4.state<window, ?x16x128, bf16, rope = 64>) {
  return
}

// -----

// fp4 is for indexer keys only.
// expected-error @+1 {{fp4 storage is for indexer keys only}}
func.func @state_fp4_kind(%s: !ds4.state<compressed, ?x?x128, fp4, ratio = 4>) {
  return
}

// -----

// fp4 rows split into e2m1 blocks of 32.
// expected-error @+1 {{fp4 storage needs width divisible by 32, got 48}}
func.func @state_fp4_width(%s: !ds4.state<indexer_keys, ?x?x48, fp4, ratio = 4>) {
  return
}

// -----

// Custom storage parser: only 'ratio' and 'rope' follow the storage.
// expected-error @+1 {{expected 'ratio' or 'rope', got 'foo'}}
func.func @state_bad_key(%s: !ds4.state<compressed, ?x?x128, f32, foo = 4>) {
  return
}

// -----

// Garbage: kind only.
// expected-error @+1 {{expected ','}}
func.func @state_kind_only(%s: !ds4.state<window>) {
  return
}

// -----

// Garbage: unknown kind (the enum parser and the generated type parser each
// report it).
// expected-error @+2 {{expected ::mlir::ds4::StateKind to be one of: window, compressed, compressor, indexer_keys}}
// expected-error @+1 {{failed to parse Ds4_StateType parameter 'kind'}}
func.func @state_bad_kind(%s: !ds4.state<bogus, 1x2x3, f32>) {
  return
}

// -----

// Garbage: unknown storage.
// expected-error @+1 {{expected one of [f32, bf16, fp8_nope, fp4] for state row storage, got: f64}}
func.func @state_bad_storage(%s: !ds4.state<window, 1x2x128, f64>) {
  return
}

// -----

// Garbage: negative dim.
// expected-error @+1 {{invalid dimension}}
func.func @state_negative_dim(%s: !ds4.state<window, 1x-2x128, f32>) {
  return
}

// -----

// Garbage: non-integer ratio.
// expected-error @+1 {{expected integer value}}
func.func @state_bad_ratio(%s: !ds4.state<compressed, ?x?x128, f32, ratio = x>) {
  return
}

// -----

//===----------------------------------------------------------------------===//
// Module attribute ds4.precision (Ds4Dialect::verifyOperationAttribute)
//===----------------------------------------------------------------------===//

// An unknown ds4.* attribute is almost always a typo.
// expected-error @+1 {{unknown ds4 attribute 'ds4.precison'}}
module attributes {ds4.precison = #ds4.precision<deploy>} {
}

// -----

// ds4.precision holds a #ds4.precision.
// expected-error @+1 {{'ds4.precision' must be a #ds4.precision<exact|deploy>, got "deploy"}}
module attributes {ds4.precision = "deploy"} {
}

// -----

// ds4.precision belongs on the module.
// expected-error @+1 {{'ds4.precision' belongs on the builtin.module}}
func.func @precision_on_func() attributes {ds4.precision = #ds4.precision<deploy>} {
  return
}

// -----

//===----------------------------------------------------------------------===//
// ODS-generated constraints
//===----------------------------------------------------------------------===//

// Missing required attribute.
func.func @weight_missing_name() {
  // expected-error @+1 {{'ds4.weight' op requires attribute 'name'}}
  %0 = "ds4.weight"() : () -> tensor<4xf32>
  return
}

// -----

// Attribute of the wrong kind.
func.func @weight_name_not_string() {
  // expected-error @+1 {{'ds4.weight' op attribute 'name' failed to satisfy constraint: string attribute}}
  %0 = "ds4.weight"() {name = 3 : i64} : () -> tensor<4xf32>
  return
}

// -----

// I64Attr given a float.
func.func @topk_float_k(%s: tensor<?x?x?xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'ds4.topk' op attribute 'k' failed to satisfy constraint: 64-bit signless integer attribute}}
  %0 = ds4.topk %s at %pos {k = 2.0 : f64, ratio = 4 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x2xi32>
  return
}

// -----

// Missing required attribute in the custom form.
func.func @hc_pre_missing_iters(%H: tensor<?x?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'ds4.hc_pre' op requires attribute 'sinkhorn_iters'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x?x256xf32>, tensor<?x?x4xf32>, tensor<?x?x4x4xf32>)
  return
}

// -----

// Missing required enum attribute.
func.func @moe_gate_missing_score_func(%x: tensor<?x?x256xf32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'ds4.moe_gate' op requires attribute 'score_func'}}
  %w, %e = ds4.moe_gate %x, %gate {topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x?x2xf32>, tensor<?x?x2xi32>)
  return
}

// -----

// SameOperandsAndResultType (generic form).
func.func @hadamard_result_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'ds4.hadamard' op requires the same type for all operands and results}}
  %0 = "ds4.hadamard"(%x) : (tensor<4xf32>) -> tensor<4xbf16>
  return
}

// -----

// AllTypesMatch<["window", "result"]> (generic form).
func.func @window_update_result_type(%kv: tensor<?x?x128xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                     %win: !ds4.state<window, ?x16x128, f32>) {
  // expected-error @+1 {{'ds4.window_update' op failed to verify that all of {window, result} have same type}}
  %0 = "ds4.window_update"(%kv, %pos, %slots, %win)
      : (tensor<?x?x128xf32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<window, ?x16x128, f32>) -> !ds4.state<window, ?x8x128, f32>
  return
}

// -----

// Operand type constraint: the window must be a !ds4.state.
func.func @sparse_attention_tensor_window(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: tensor<?x16x128xf32>,
                                          %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'ds4.sparse_attention' op operand #2 must be per-sequence attention state of one layer, but got 'tensor<?x16x128xf32>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, tensor<?x16x128xf32>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// Operands are ranked tensors.
func.func @hadamard_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = ds4.hadamard %x : tensor<*xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.weight
//===----------------------------------------------------------------------===//

// The checkpoint name must not be empty.
func.func @weight_empty_name() {
  // expected-error @+1 {{checkpoint name must not be empty}}
  %0 = ds4.weight "" : tensor<4xf32>
  return
}

// -----

// No whitespace in checkpoint names.
func.func @weight_space_in_name() {
  // expected-error @+1 {{checkpoint name 'layers.0.attn sink' must not contain whitespace or quotes}}
  %0 = ds4.weight "layers.0.attn sink" : tensor<4xf32>
  return
}

// -----

// No quotes in checkpoint names.
func.func @weight_quote_in_name() {
  // expected-error @+1 {{must not contain whitespace or quotes}}
  %0 = ds4.weight "layers.0.\22attn_sink" : tensor<4xf32>
  return
}

// -----

// At most one expert wildcard.
func.func @weight_two_wildcards() {
  // expected-error @+1 {{checkpoint name 'layers.*.ffn.experts.*.w1.weight' may hold at most one expert wildcard '*'}}
  %0 = ds4.weight "layers.*.ffn.experts.*.w1.weight" : tensor<8x128x256xbf16>
  return
}

// -----

// Weights have static shapes.
func.func @weight_dynamic_shape() {
  // expected-error @+1 {{weight 'embed.weight' must have a static shape, got 'tensor<?x256xbf16>'}}
  %0 = ds4.weight "embed.weight" : tensor<?x256xbf16>
  return
}

// -----

// A stacked weight has an expert dim and at least one more.
func.func @weight_stacked_rank() {
  // expected-error @+1 {{stacked weight 'layers.0.ffn.experts.*.bias' needs a leading expert dim and at least one more}}
  %0 = ds4.weight "layers.0.ffn.experts.*.bias" : tensor<8xf32>
  return
}

// -----

// Only #ds4.quant encodings.
func.func @weight_foreign_encoding() {
  // expected-error @+1 {{weight 'embed.weight' has an encoding that is not #ds4.quant}}
  %0 = ds4.weight "embed.weight" : tensor<512x256xbf16, "sparse">
  return
}

// -----

// fp8 codes need their block-scale encoding.
func.func @weight_fp8_without_quant() {
  // expected-error @+1 {{weight 'layers.0.attn.wq_a.weight' of 'f8E4M3FN' codes needs a #ds4.quant encoding}}
  %0 = ds4.weight "layers.0.attn.wq_a.weight" : tensor<128x256xf8E4M3FN>
  return
}

// -----

// Plain weights are bf16, f32, i32 or i64.
func.func @weight_bad_element() {
  // expected-error @+1 {{weight 'layers.0.attn.attn_sink' must be bf16, f32, i32, i64 or block-quantized fp8/fp4, got 'f16'}}
  %0 = ds4.weight "layers.0.attn.attn_sink" : tensor<4xf16>
  return
}

// -----

// The element type is the encoding's code type.
func.func @weight_code_type() {
  // expected-error @+1 {{must have element type 'f8E4M3FN', got 'f4E2M1FN'}}
  %0 = ds4.weight "layers.0.attn.wq_a.weight" : tensor<128x256xf4E2M1FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
  return
}

// -----

// Quantized weights are at least 2-D.
func.func @weight_quant_rank() {
  // expected-error @+1 {{quantized weight 'layers.0.attn.wq_a.weight' must be at least 2-D (scales tile the last two dims)}}
  %0 = ds4.weight "layers.0.attn.wq_a.weight" : tensor<256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
  return
}

// -----

// Quantized weights are named '<name>.weight' (scales: '<name>.scale').
func.func @weight_quant_name() {
  // expected-error @+1 {{quantized weight 'layers.0.attn.wq_a' must end in '.weight'}}
  %0 = ds4.weight "layers.0.attn.wq_a" : tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>
  return
}

// -----

// fp4 weights are a whole number of scale blocks (columns).
func.func @weight_fp4_partial_cols() {
  // expected-error @+1 {{fp4 weight 'layers.0.ffn.experts.*.w1.weight' shape [128, 48] must be a whole number of 1x32 scale blocks}}
  %0 = ds4.weight "layers.0.ffn.experts.*.w1.weight" : tensor<8x128x48xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>
  return
}

// -----

// fp4 weights are a whole number of scale blocks (rows).
func.func @weight_fp4_partial_rows() {
  // expected-error @+1 {{fp4 weight 'layers.0.ffn.shared.w1.weight' shape [3, 64] must be a whole number of 2x32 scale blocks}}
  %0 = ds4.weight "layers.0.ffn.shared.w1.weight" : tensor<3x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [2, 32]>>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.embedding
//===----------------------------------------------------------------------===//

// The table is [vocab, d].
func.func @embedding_table_rank(%table: tensor<512xbf16>, %ids: tensor<?x?xi32>) {
  // expected-error @+1 {{'table' must have rank 2, got 'tensor<512xbf16>'}}
  %0 = ds4.embedding %table[%ids] : tensor<512xbf16>, tensor<?x?xi32> -> tensor<?x?x256xbf16>
  return
}

// -----

// The table is bf16 or f32.
func.func @embedding_table_f16(%table: tensor<512x256xf16>, %ids: tensor<?x?xi32>) {
  // expected-error @+1 {{'table' must be a plain bf16 or f32 tensor, got 'tensor<512x256xf16>'}}
  %0 = ds4.embedding %table[%ids] : tensor<512x256xf16>, tensor<?x?xi32> -> tensor<?x?x256xf32>
  return
}

// -----

// The table is not quantized.
func.func @embedding_table_quant(%table: tensor<512x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, %ids: tensor<?x?xi32>) {
  // expected-error @+1 {{'table' must be a plain bf16 or f32 tensor}}
  %0 = ds4.embedding %table[%ids] : tensor<512x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, tensor<?x?xi32> -> tensor<?x?x256xf32>
  return
}

// -----

// Ids are integers.
func.func @embedding_float_ids(%table: tensor<512x256xbf16>, %ids: tensor<?x?xf32>) {
  // expected-error @+1 {{'ids' must be a tensor of integers, got 'tensor<?x?xf32>'}}
  %0 = ds4.embedding %table[%ids] : tensor<512x256xbf16>, tensor<?x?xf32> -> tensor<?x?x256xbf16>
  return
}

// -----

// The result is ids' shape with d appended.
func.func @embedding_result_shape(%table: tensor<512x256xbf16>, %ids: tensor<?x?xi32>) {
  // expected-error @+1 {{result must have shape [?, ?, 256], got 'tensor<?x?x128xbf16>'}}
  %0 = ds4.embedding %table[%ids] : tensor<512x256xbf16>, tensor<?x?xi32> -> tensor<?x?x128xbf16>
  return
}

// -----

// The result element type is the table's or f32.
func.func @embedding_result_element(%table: tensor<512x256xbf16>, %ids: tensor<?x?xi32>) {
  // expected-error @+1 {{result element type must be the table's ('bf16') or f32, got 'f16'}}
  %0 = ds4.embedding %table[%ids] : tensor<512x256xbf16>, tensor<?x?xi32> -> tensor<?x?x256xf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.rms_norm
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @rms_norm_int_x(%x: tensor<?x256xi32>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16, got 'tensor<?x256xi32>'}}
  %0 = ds4.rms_norm %x eps 1.0e-6 : tensor<?x256xi32> -> tensor<?x256xf32>
  return
}

// -----

// x has a last dim to normalize.
func.func @rms_norm_scalar_x(%x: tensor<f32>) {
  // expected-error @+1 {{'x' must have rank >= 1, got 'tensor<f32>'}}
  %0 = ds4.rms_norm %x eps 1.0e-6 : tensor<f32> -> tensor<f32>
  return
}

// -----

// The weight is a float tensor.
func.func @rms_norm_int_weight(%x: tensor<?x256xf32>, %w: tensor<256xi32>) {
  // expected-error @+1 {{'weight' must be a tensor of f32, bf16 or f16, got 'tensor<256xi32>'}}
  %0 = ds4.rms_norm %x weight %w eps 1.0e-6 : tensor<?x256xf32>, tensor<256xi32> -> tensor<?x256xf32>
  return
}

// -----

// The weight is [k].
func.func @rms_norm_weight_shape(%x: tensor<?x256xf32>, %w: tensor<128xbf16>) {
  // expected-error @+1 {{'weight' must have shape [256], got 'tensor<128xbf16>'}}
  %0 = ds4.rms_norm %x weight %w eps 1.0e-6 : tensor<?x256xf32>, tensor<128xbf16> -> tensor<?x256xf32>
  return
}

// -----

// eps is positive.
func.func @rms_norm_eps(%x: tensor<?x256xf32>) {
  // expected-error @+1 {{'eps' must be positive, got 0.000000e+00}}
  %0 = ds4.rms_norm %x eps 0.0 : tensor<?x256xf32> -> tensor<?x256xf32>
  return
}

// -----

// The result is a float tensor.
func.func @rms_norm_int_result(%x: tensor<?x256xf32>) {
  // expected-error @+1 {{result must be a tensor of f32, bf16 or f16, got 'tensor<?x256xi32>'}}
  %0 = ds4.rms_norm %x eps 1.0e-6 : tensor<?x256xf32> -> tensor<?x256xi32>
  return
}

// -----

// The result has x's shape.
func.func @rms_norm_result_shape(%x: tensor<?x256xf32>) {
  // expected-error @+1 {{result must have shape [?, 256], got 'tensor<?x128xf32>'}}
  %0 = ds4.rms_norm %x eps 1.0e-6 : tensor<?x256xf32> -> tensor<?x128xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.rope
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @rope_int_x(%x: tensor<?x?x4x128xi32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.rope %x at %pos <theta = 10000.0, dims = 64> : tensor<?x?x4x128xi32>, tensor<?x?xi64> -> tensor<?x?x4x128xi32>
  return
}

// -----

// Positions are integers.
func.func @rope_float_positions(%x: tensor<?x?x4x128xf32>, %pos: tensor<?x?xf32>) {
  // expected-error @+1 {{'positions' must be a tensor of integers, got 'tensor<?x?xf32>'}}
  %0 = ds4.rope %x at %pos <theta = 10000.0, dims = 64> : tensor<?x?x4x128xf32>, tensor<?x?xf32> -> tensor<?x?x4x128xf32>
  return
}

// -----

// x has more dims than positions.
func.func @rope_x_rank(%x: tensor<?x128xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'x' must have more dims than 'positions' (the rotated channels are its last dim)}}
  %0 = ds4.rope %x at %pos <theta = 10000.0, dims = 64> : tensor<?x128xf32>, tensor<?x?xi64> -> tensor<?x128xf32>
  return
}

// -----

// Positions have the leading dims of x.
func.func @rope_positions_shape(%x: tensor<2x3x4x128xf32>, %pos: tensor<2x5xi64>) {
  // expected-error @+1 {{'positions' shape [2, 5] must match the leading dims of 'x' [2, 3, 4, 128]}}
  %0 = ds4.rope %x at %pos <theta = 10000.0, dims = 64> : tensor<2x3x4x128xf32>, tensor<2x5xi64> -> tensor<2x3x4x128xf32>
  return
}

// -----

// The last dim holds the rotated channels.
func.func @rope_dims_exceed_x(%x: tensor<?x?x4x32xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'x' last dim 32 is smaller than the rope dims 64}}
  %0 = ds4.rope %x at %pos <theta = 10000.0, dims = 64> : tensor<?x?x4x32xf32>, tensor<?x?xi64> -> tensor<?x?x4x32xf32>
  return
}

// -----

// The result has x's type.
func.func @rope_result_type(%x: tensor<?x?x4x128xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{result type must equal 'x' type 'tensor<?x?x4x128xf32>', got 'tensor<?x?x4x128xbf16>'}}
  %0 = ds4.rope %x at %pos <theta = 10000.0, dims = 64> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xbf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.linear
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @linear_int_x(%x: tensor<?x256xi32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.linear %x, %w : tensor<?x256xi32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

// x has a reduction dim.
func.func @linear_scalar_x(%x: tensor<f32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{'x' must have rank >= 1}}
  %0 = ds4.linear %x, %w : tensor<f32>, tensor<64x256xbf16> -> tensor<64xf32>
  return
}

// -----

// The weight encoding is #ds4.quant or none.
func.func @linear_weight_foreign_encoding(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16, "sparse">) {
  // expected-error @+1 {{'weight' has an encoding that is not #ds4.quant}}
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<64x256xbf16, "sparse"> -> tensor<?x64xf32>
  return
}

// -----

// A quantized weight holds its encoding's code type.
func.func @linear_weight_code_type(%x: tensor<?x256xf32>, %w: tensor<64x256xf8E4M3FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>) {
  // expected-error @+1 {{'weight' with encoding #ds4.quant<fp4_e2m1, block = [1, 32]> must have element type 'f4E2M1FN', got 'f8E4M3FN'}}
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<64x256xf8E4M3FN, #ds4.quant<fp4_e2m1, block = [1, 32]>> -> tensor<?x64xf32>
  return
}

// -----

// fp8 codes need their block-scale encoding.
func.func @linear_weight_fp8_without_quant(%x: tensor<?x256xf32>, %w: tensor<64x256xf8E4M3FN>) {
  // expected-error @+1 {{'weight' of 'f8E4M3FN' codes needs a #ds4.quant encoding for its block scales}}
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<64x256xf8E4M3FN> -> tensor<?x64xf32>
  return
}

// -----

// Plain weights are bf16 or f32.
func.func @linear_weight_f16(%x: tensor<?x256xf32>, %w: tensor<64x256xf16>) {
  // expected-error @+1 {{'weight' must be bf16, f32 or block-quantized fp8/fp4, got 'tensor<64x256xf16>'}}
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<64x256xf16> -> tensor<?x64xf32>
  return
}

// -----

// The weight is [out, in].
func.func @linear_weight_rank(%x: tensor<?x256xf32>, %w: tensor<2x64x256xbf16>) {
  // expected-error @+1 {{'weight' must have rank 2, got 'tensor<2x64x256xbf16>'}}
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<2x64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

// x's last dim is the weight's input dim.
func.func @linear_in_dim(%x: tensor<?x128xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{'x' last dim 128 must equal the 'weight' input dim 256}}
  %0 = ds4.linear %x, %w : tensor<?x128xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

// The result is f32 or bf16.
func.func @linear_result_f16(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{result must be f32 or bf16, got 'tensor<?x64xf16>'}}
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf16>
  return
}

// -----

// The result is x's shape with the last dim replaced by out.
func.func @linear_result_shape(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{result must have shape [?, 64], got 'tensor<?x128xf32>'}}
  %0 = ds4.linear %x, %w : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x128xf32>
  return
}

// -----

// act_quant is for quantized weights only.
func.func @linear_act_quant_plain_weight(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{act_quant applies only to fp8/fp4 weights (deploy mode), but 'weight' is 'tensor<64x256xbf16>'}}
  %0 = ds4.linear %x, %w act_quant <fp8_e4m3, block = 128> : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.tiling
//===----------------------------------------------------------------------===//

// A row tile is a handful of rows.
func.func @tiling_row_tile(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{#ds4.tiling row_tile must be in [1, 32], got 0}}
  %0 = ds4.linear %x, %w {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 0, outputs_per_warp = 1, warp_sinkhorn = false>} : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @tiling_outputs(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{#ds4.tiling outputs_per_warp must be in [1, 16], got 64}}
  %0 = ds4.linear %x, %w {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 8, outputs_per_warp = 64, warp_sinkhorn = false>} : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

// Only ops with tile shapes to choose take one.
func.func @tiling_on_rms_norm(%x: tensor<?x256xf32>) {
  // expected-error @+1 {{'ds4.tiling' on ds4.rms_norm, which has no tile shapes to choose}}
  %0 = ds4.rms_norm %x eps 1.0e-6 {ds4.tiling = #ds4.tiling<tensor_cores = false, row_tile = 8, outputs_per_warp = 1, warp_sinkhorn = false>} : tensor<?x256xf32> -> tensor<?x256xf32>
  return
}

// -----

func.func @tiling_not_attr(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{'ds4.tiling' must be a #ds4.tiling, got 8}}
  %0 = ds4.linear %x, %w {ds4.tiling = 8} : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.multi_linear
//===----------------------------------------------------------------------===//

// One weight is a ds4.linear.
func.func @multi_linear_one_weight(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{needs at least two weights (one is ds4.linear), got 1}}
  %0 = ds4.multi_linear %x, %w : tensor<?x256xf32>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

// A result per weight.
func.func @multi_linear_results(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>) {
  // expected-error @+1 {{needs one result per weight: 2 weights, 1 results}}
  %0 = ds4.multi_linear %x, %w, %w : tensor<?x256xf32>, tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<?x64xf32>
  return
}

// -----

// Every weight reads all of x.
func.func @multi_linear_input_dim(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>, %v: tensor<64x128xbf16>) {
  // expected-error @+1 {{'x' last dim 256 must equal the 'weights #1' input dim 128}}
  %0:2 = ds4.multi_linear %x, %w, %v : tensor<?x256xf32>, tensor<64x256xbf16>, tensor<64x128xbf16> -> tensor<?x64xf32>, tensor<?x64xf32>
  return
}

// -----

// Each result is x's rows times its weight's outputs.
func.func @multi_linear_result_shape(%x: tensor<?x256xf32>, %w: tensor<64x256xbf16>, %v: tensor<32x256xbf16>) {
  // expected-error @+1 {{result #1}}
  %0:2 = ds4.multi_linear %x, %w, %v : tensor<?x256xf32>, tensor<64x256xbf16>, tensor<32x256xbf16> -> tensor<?x64xf32>, tensor<?x64xf32>
  return
}

// -----

// act_quant (deploy mode) needs every weight quantized.
func.func @multi_linear_act_quant_plain(%x: tensor<?x256xf32>, %w: tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, %v: tensor<64x256xbf16>) {
  // expected-error @+1 {{act_quant applies only to fp8/fp4 weights (deploy mode), but 'weights #1' is 'tensor<64x256xbf16>'}}
  %0:2 = ds4.multi_linear %x, %w, %v act_quant <fp8_e4m3, block = 128> : tensor<?x256xf32>, tensor<128x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>, tensor<64x256xbf16> -> tensor<?x128xf32>, tensor<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.grouped_linear
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @grouped_linear_int_x(%x: tensor<?x2x256xi32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x256xi32>, tensor<128x256xbf16> -> tensor<?x2x64xf32>
  return
}

// -----

// x is [..., G, k].
func.func @grouped_linear_x_rank(%x: tensor<256xf32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{'x' must have rank >= 2, got 'tensor<256xf32>'}}
  %0 = ds4.grouped_linear %x, %w : tensor<256xf32>, tensor<128x256xbf16> -> tensor<64xf32>
  return
}

// -----

// The weight encoding is #ds4.quant or none.
func.func @grouped_linear_weight_foreign_encoding(%x: tensor<?x2x256xf32>, %w: tensor<128x256xbf16, "sparse">) {
  // expected-error @+1 {{'weight' has an encoding that is not #ds4.quant}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x256xf32>, tensor<128x256xbf16, "sparse"> -> tensor<?x2x64xf32>
  return
}

// -----

// A quantized weight holds its encoding's code type.
func.func @grouped_linear_weight_code_type(%x: tensor<?x2x256xf32>, %w: tensor<128x256xbf16, #ds4.quant<fp8_e4m3, block = [128, 128]>>) {
  // expected-error @+1 {{'weight' with encoding #ds4.quant<fp8_e4m3, block = [128, 128]> must have element type 'f8E4M3FN', got 'bf16'}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x256xf32>, tensor<128x256xbf16, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x2x64xf32>
  return
}

// -----

// fp4 codes need their block-scale encoding.
func.func @grouped_linear_weight_fp4_without_quant(%x: tensor<?x2x256xf32>, %w: tensor<128x256xf4E2M1FN>) {
  // expected-error @+1 {{'weight' of 'f4E2M1FN' codes needs a #ds4.quant encoding for its block scales}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x256xf32>, tensor<128x256xf4E2M1FN> -> tensor<?x2x64xf32>
  return
}

// -----

// Plain weights are bf16 or f32.
func.func @grouped_linear_weight_int(%x: tensor<?x2x256xf32>, %w: tensor<128x256xi8>) {
  // expected-error @+1 {{'weight' must be bf16, f32 or block-quantized fp8/fp4, got 'tensor<128x256xi8>'}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x256xf32>, tensor<128x256xi8> -> tensor<?x2x64xf32>
  return
}

// -----

// The weight is [G*n, k].
func.func @grouped_linear_weight_rank(%x: tensor<?x2x256xf32>, %w: tensor<2x64x256xbf16>) {
  // expected-error @+1 {{'weight' must have rank 2, got 'tensor<2x64x256xbf16>'}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x256xf32>, tensor<2x64x256xbf16> -> tensor<?x2x64xf32>
  return
}

// -----

// The group count is static.
func.func @grouped_linear_dynamic_groups(%x: tensor<?x?x256xf32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{'x' group dim (second to last) must be static and positive, got 'tensor<?x?x256xf32>'}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x?x256xf32>, tensor<128x256xbf16> -> tensor<?x?x64xf32>
  return
}

// -----

// The group count is positive (regression: zero groups divided by zero).
func.func @grouped_linear_zero_groups(%x: tensor<?x0x256xf32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{'x' group dim (second to last) must be static and positive, got 'tensor<?x0x256xf32>'}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x0x256xf32>, tensor<128x256xbf16> -> tensor<?x0x64xf32>
  return
}

// -----

// The weight rows split evenly into the groups.
func.func @grouped_linear_uneven_groups(%x: tensor<?x3x256xf32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{'weight' rows 128 must split evenly into 3 groups}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x3x256xf32>, tensor<128x256xbf16> -> tensor<?x3x42xf32>
  return
}

// -----

// x's last dim is the weight's input dim.
func.func @grouped_linear_in_dim(%x: tensor<?x2x128xf32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{'x' last dim 128 must equal the 'weight' input dim 256}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x128xf32>, tensor<128x256xbf16> -> tensor<?x2x64xf32>
  return
}

// -----

// The compute type is bf16 or f32.
func.func @grouped_linear_compute_f16(%x: tensor<?x2x256xf32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{compute type must be bf16 or f32, got 'f16'}}
  %0 = ds4.grouped_linear %x, %w compute f16 : tensor<?x2x256xf32>, tensor<128x256xbf16> -> tensor<?x2x64xf32>
  return
}

// -----

// The result is f32 or bf16.
func.func @grouped_linear_result_f16(%x: tensor<?x2x256xf32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{result must be f32 or bf16, got 'tensor<?x2x64xf16>'}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x256xf32>, tensor<128x256xbf16> -> tensor<?x2x64xf16>
  return
}

// -----

// The result is [..., G, n].
func.func @grouped_linear_result_shape(%x: tensor<?x2x256xf32>, %w: tensor<128x256xbf16>) {
  // expected-error @+1 {{result must have shape [?, 2, 64], got 'tensor<?x2x128xf32>'}}
  %0 = ds4.grouped_linear %x, %w : tensor<?x2x256xf32>, tensor<128x256xbf16> -> tensor<?x2x128xf32>
  return
}

// -----

// Valid (regression): dynamic weight rows leave the per-group size dynamic
// instead of reporting bogus split / shape errors.
func.func @grouped_linear_dynamic_rows(%x: tensor<?x3x256xf32>, %w: tensor<?x256xbf16>) {
  %0 = ds4.grouped_linear %x, %w : tensor<?x3x256xf32>, tensor<?x256xbf16> -> tensor<?x3x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.quantize
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @quantize_int_x(%x: tensor<?x128xi32>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 64 : tensor<?x128xi32> -> tensor<?x128xi32>
  return
}

// -----

// x has a last dim to quantize.
func.func @quantize_scalar_x(%x: tensor<f32>) {
  // expected-error @+1 {{'x' must have rank >= 1}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 64 : tensor<f32> -> tensor<f32>
  return
}

// -----

// The block is positive.
func.func @quantize_block_zero(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{block must be positive, got 0}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 0 : tensor<?x128xf32> -> tensor<?x128xf32>
  return
}

// -----

// The last dim is static.
func.func @quantize_dynamic_last(%x: tensor<128x?xf32>) {
  // expected-error @+1 {{'x' last dim must be static, got 'tensor<128x?xf32>'}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 64 : tensor<128x?xf32> -> tensor<128x?xf32>
  return
}

// -----

// channels lies in [1, last].
func.func @quantize_channels_too_many(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{channels 256 must be in [1, 128]}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 64 channels 256 : tensor<?x128xf32> -> tensor<?x128xf32>
  return
}

// -----

// ... and is not zero.
func.func @quantize_channels_zero(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{channels 0 must be in [1, 128]}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 64 channels 0 : tensor<?x128xf32> -> tensor<?x128xf32>
  return
}

// -----

// The block divides the quantized channels.
func.func @quantize_block_divides(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{block 64 must divide the 96 quantized channels}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 64 channels 96 : tensor<?x128xf32> -> tensor<?x128xf32>
  return
}

// -----

// simulate has no scales result.
func.func @quantize_simulate_scales(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{simulate mode has no 'scales' result}}
  %0, %1 = ds4.quantize %x simulate fp8_e4m3 block 64 : tensor<?x128xf32> -> tensor<?x128xf32>, tensor<?x2xf8E8M0FNU>
  return
}

// -----

// simulate returns x's type.
func.func @quantize_simulate_type(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{simulate result type must equal 'x' type 'tensor<?x128xf32>', got 'tensor<?x128xbf16>'}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 64 : tensor<?x128xf32> -> tensor<?x128xbf16>
  return
}

// -----

// store returns the scales too.
func.func @quantize_store_no_scales(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{store mode needs a 'scales' result}}
  %0 = ds4.quantize %x store fp8_e4m3 block 64 : tensor<?x128xf32> -> tensor<?x128xf8E4M3FN>
  return
}

// -----

// store quantizes the whole last dim.
func.func @quantize_store_channels(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{store mode quantizes the whole last dim; channels 64 != 128}}
  %0, %1 = ds4.quantize %x store fp8_e4m3 block 64 channels 64 : tensor<?x128xf32> -> tensor<?x128xf8E4M3FN>, tensor<?x1xf8E8M0FNU>
  return
}

// -----

// store returns the format's codes.
func.func @quantize_store_code_type(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{store result must hold 'f4E2M1FN' codes, got 'tensor<?x128xf8E4M3FN>'}}
  %0, %1 = ds4.quantize %x store fp4_e2m1 block 32 : tensor<?x128xf32> -> tensor<?x128xf8E4M3FN>, tensor<?x4xf8E8M0FNU>
  return
}

// -----

// The codes have x's shape.
func.func @quantize_store_shape(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{result must have shape [?, 128], got 'tensor<?x64xf8E4M3FN>'}}
  %0, %1 = ds4.quantize %x store fp8_e4m3 block 64 : tensor<?x128xf32> -> tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>
  return
}

// -----

// The scales are e8m0.
func.func @quantize_scales_type(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{'scales' must hold f8E8M0FNU, got 'tensor<?x2xf32>'}}
  %0, %1 = ds4.quantize %x store fp8_e4m3 block 64 : tensor<?x128xf32> -> tensor<?x128xf8E4M3FN>, tensor<?x2xf32>
  return
}

// -----

// The scales have one entry per block.
func.func @quantize_scales_shape(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{'scales' must have shape [?, 2], got 'tensor<?x4xf8E8M0FNU>'}}
  %0, %1 = ds4.quantize %x store fp8_e4m3 block 64 : tensor<?x128xf32> -> tensor<?x128xf8E4M3FN>, tensor<?x4xf8E8M0FNU>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.hadamard
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @hadamard_int_x(%x: tensor<?x128xi32>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.hadamard %x : tensor<?x128xi32>
  return
}

// -----

// x has a last dim to transform.
func.func @hadamard_scalar_x(%x: tensor<f32>) {
  // expected-error @+1 {{'x' must have rank >= 1}}
  %0 = ds4.hadamard %x : tensor<f32>
  return
}

// -----

// The last dim is a power of two.
func.func @hadamard_not_pow2(%x: tensor<?x96xf32>) {
  // expected-error @+1 {{'x' last dim must be a static power of two, got 'tensor<?x96xf32>'}}
  %0 = ds4.hadamard %x : tensor<?x96xf32>
  return
}

// -----

// The last dim is static.
func.func @hadamard_dynamic(%x: tensor<128x?xf32>) {
  // expected-error @+1 {{'x' last dim must be a static power of two, got 'tensor<128x?xf32>'}}
  %0 = ds4.hadamard %x : tensor<128x?xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.swiglu
//===----------------------------------------------------------------------===//

// gate is a float tensor.
func.func @swiglu_int_gate(%g: tensor<?x256xi32>, %u: tensor<?x256xf32>) {
  // expected-error @+1 {{'gate' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.swiglu %g, %u : tensor<?x256xi32>, tensor<?x256xf32> -> tensor<?x256xf32>
  return
}

// -----

// up is a float tensor.
func.func @swiglu_int_up(%g: tensor<?x256xf32>, %u: tensor<?x256xi32>) {
  // expected-error @+1 {{'up' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xi32> -> tensor<?x256xf32>
  return
}

// -----

// up has gate's shape.
func.func @swiglu_up_shape(%g: tensor<?x256xf32>, %u: tensor<?x128xf32>) {
  // expected-error @+1 {{'up' must have shape [?, 256], got 'tensor<?x128xf32>'}}
  %0 = ds4.swiglu %g, %u : tensor<?x256xf32>, tensor<?x128xf32> -> tensor<?x256xf32>
  return
}

// -----

// The result is a float tensor.
func.func @swiglu_int_result(%g: tensor<?x256xf32>, %u: tensor<?x256xf32>) {
  // expected-error @+1 {{result must be a tensor of f32, bf16 or f16}}
  %0 = ds4.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xi32>
  return
}

// -----

// The result has gate's shape.
func.func @swiglu_result_shape(%g: tensor<?x256xf32>, %u: tensor<?x256xf32>) {
  // expected-error @+1 {{result must have shape [?, 256], got 'tensor<?x128xf32>'}}
  %0 = ds4.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x128xf32>
  return
}

// -----

// The limit is positive.
func.func @swiglu_limit(%g: tensor<?x256xf32>, %u: tensor<?x256xf32>) {
  // expected-error @+1 {{'limit' must be positive, got -1.000000e+00}}
  %0 = ds4.swiglu %g, %u limit -1.0 : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.logits
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @logits_int_x(%x: tensor<?x256xi32>, %head: tensor<512x256xbf16>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.logits %x, %head : tensor<?x256xi32>, tensor<512x256xbf16> -> tensor<?x512xf32>
  return
}

// -----

// x has a model dim.
func.func @logits_scalar_x(%x: tensor<f32>, %head: tensor<512x256xbf16>) {
  // expected-error @+1 {{'x' must have rank >= 1}}
  %0 = ds4.logits %x, %head : tensor<f32>, tensor<512x256xbf16> -> tensor<512xf32>
  return
}

// -----

// The head is [vocab, d].
func.func @logits_head_rank(%x: tensor<?x256xf32>, %head: tensor<256xbf16>) {
  // expected-error @+1 {{'head' must have rank 2, got 'tensor<256xbf16>'}}
  %0 = ds4.logits %x, %head : tensor<?x256xf32>, tensor<256xbf16> -> tensor<?x512xf32>
  return
}

// -----

// The head is not quantized.
func.func @logits_head_quant(%x: tensor<?x256xf32>, %head: tensor<512x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>) {
  // expected-error @+1 {{'head' must be a plain bf16 or f32 tensor}}
  %0 = ds4.logits %x, %head : tensor<?x256xf32>, tensor<512x256xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x512xf32>
  return
}

// -----

// The head is a float tensor.
func.func @logits_head_int(%x: tensor<?x256xf32>, %head: tensor<512x256xi32>) {
  // expected-error @+1 {{'head' must be a plain bf16 or f32 tensor, got 'tensor<512x256xi32>'}}
  %0 = ds4.logits %x, %head : tensor<?x256xf32>, tensor<512x256xi32> -> tensor<?x512xf32>
  return
}

// -----

// x's last dim is the head's model dim.
func.func @logits_model_dim(%x: tensor<?x128xf32>, %head: tensor<512x256xbf16>) {
  // expected-error @+1 {{'x' last dim 128 must equal the 'head' model dim 256}}
  %0 = ds4.logits %x, %head : tensor<?x128xf32>, tensor<512x256xbf16> -> tensor<?x512xf32>
  return
}

// -----

// Logits are f32.
func.func @logits_result_bf16(%x: tensor<?x256xf32>, %head: tensor<512x256xbf16>) {
  // expected-error @+1 {{result must be a tensor of f32, got 'tensor<?x512xbf16>'}}
  %0 = ds4.logits %x, %head : tensor<?x256xf32>, tensor<512x256xbf16> -> tensor<?x512xbf16>
  return
}

// -----

// Logits are [..., vocab].
func.func @logits_result_shape(%x: tensor<?x256xf32>, %head: tensor<512x256xbf16>) {
  // expected-error @+1 {{result must have shape [?, 512], got 'tensor<?x256xf32>'}}
  %0 = ds4.logits %x, %head : tensor<?x256xf32>, tensor<512x256xbf16> -> tensor<?x256xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.hc_expand
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @hc_expand_int_x(%x: tensor<?x256xi32>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.hc_expand %x : tensor<?x256xi32> -> tensor<?x4x256xf32>
  return
}

// -----

// x has a model dim.
func.func @hc_expand_scalar_x(%x: tensor<f32>) {
  // expected-error @+1 {{'x' must have rank >= 1}}
  %0 = ds4.hc_expand %x : tensor<f32> -> tensor<4x1xf32>
  return
}

// -----

// The result is a float tensor.
func.func @hc_expand_int_result(%x: tensor<?x256xf32>) {
  // expected-error @+1 {{result must be a tensor of f32, bf16 or f16}}
  %0 = ds4.hc_expand %x : tensor<?x256xf32> -> tensor<?x4x256xi32>
  return
}

// -----

// The result is [..., n, d].
func.func @hc_expand_result_rank(%x: tensor<256xf32>) {
  // expected-error @+1 {{result must have rank >= 2, got 'tensor<256xf32>'}}
  %0 = ds4.hc_expand %x : tensor<256xf32> -> tensor<256xf32>
  return
}

// -----

// n is static.
func.func @hc_expand_dynamic_n(%x: tensor<?x256xf32>) {
  // expected-error @+1 {{result hc_mult dim (second to last) must be static, got 'tensor<?x?x256xf32>'}}
  %0 = ds4.hc_expand %x : tensor<?x256xf32> -> tensor<?x?x256xf32>
  return
}

// -----

// The result is x's shape with n inserted before d.
func.func @hc_expand_result_shape(%x: tensor<?x256xf32>) {
  // expected-error @+1 {{result must have shape [?, 4, 256], got 'tensor<?x4x128xf32>'}}
  %0 = ds4.hc_expand %x : tensor<?x256xf32> -> tensor<?x4x128xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.hc_pre
//===----------------------------------------------------------------------===//

// streams is a float tensor.
func.func @hc_pre_int_streams(%H: tensor<?x4x256xi32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'streams' must be a tensor of f32, bf16 or f16}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xi32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// streams is [..., n, d].
func.func @hc_pre_streams_rank(%H: tensor<256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'streams' must have rank >= 2, got 'tensor<256xf32>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<256xf32>, tensor<4xf32>, tensor<4x4xf32>)
  return
}

// -----

// n and d are static.
func.func @hc_pre_dynamic_n(%H: tensor<?x?x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'streams' hc_mult and model dims (last two) must be static, got 'tensor<?x?x256xf32>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x?x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// fn is f32.
func.func @hc_pre_fn_bf16(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xbf16>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'fn' must be a tensor of f32, got 'tensor<24x1024xbf16>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xbf16>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// fn is [(2+n)n, n*d].
func.func @hc_pre_fn_shape(%H: tensor<?x4x256xf32>, %fn: tensor<16x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'fn' must have shape [24, 1024], got 'tensor<16x1024xf32>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<16x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// base is f32.
func.func @hc_pre_base_bf16(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xbf16>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'base' must be a tensor of f32, got 'tensor<24xbf16>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xbf16>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// base is [(2+n)n].
func.func @hc_pre_base_shape(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<16xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'base' must have shape [24], got 'tensor<16xf32>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<16xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// scale is f32.
func.func @hc_pre_scale_bf16(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xbf16>) {
  // expected-error @+1 {{'scale' must be a tensor of f32, got 'tensor<3xbf16>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xbf16>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// scale is [3].
func.func @hc_pre_scale_shape(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'scale' must have shape [3], got 'tensor<1xf32>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<1xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// At least one Sinkhorn iteration.
func.func @hc_pre_iters_zero(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'sinkhorn_iters' must be >= 1, got 0}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 0 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// A negative count is rejected too (regression: the unsigned I64Attr getter
// let it through).
func.func @hc_pre_iters_negative(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'sinkhorn_iters' must be >= 1, got -3}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = -3 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// hc_eps is >= 0.
func.func @hc_pre_hc_eps(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'hc_eps' must be >= 0, got -1.000000e-06}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = -1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// norm_eps is positive.
func.func @hc_pre_norm_eps(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'norm_eps' must be positive, got 0.000000e+00}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 0.0 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// x_in is a float tensor.
func.func @hc_pre_int_x_in(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'x_in' must be a tensor of f32, bf16 or f16}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xi32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// x_in is [..., d].
func.func @hc_pre_x_in_shape(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'x_in' must have shape [?, 256], got 'tensor<?x4x256xf32>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x4x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// post is f32.
func.func @hc_pre_post_bf16(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'post' must be a tensor of f32, got 'tensor<?x4xbf16>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xbf16>, tensor<?x4x4xf32>)
  return
}

// -----

// post is [..., n].
func.func @hc_pre_post_shape(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'post' must have shape [?, 4], got 'tensor<?x2xf32>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x4x4xf32>)
  return
}

// -----

// comb is f32.
func.func @hc_pre_comb_bf16(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'comb' must be a tensor of f32, got 'tensor<?x4x4xbf16>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x4x4xbf16>)
  return
}

// -----

// comb is [..., n, n].
func.func @hc_pre_comb_shape(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<24xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'comb' must have shape [?, 4, 4], got 'tensor<?x16xf32>'}}
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 20 : i64, hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<24xf32>, tensor<3xf32>) -> (tensor<?x256xf32>, tensor<?x4xf32>, tensor<?x16xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.hc_post
//===----------------------------------------------------------------------===//

// streams is a float tensor.
func.func @hc_post_int_streams(%f: tensor<?x256xf32>, %H: tensor<?x4x256xi32>, %post: tensor<?x4xf32>, %comb: tensor<?x4x4xf32>) {
  // expected-error @+1 {{'streams' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xf32>, tensor<?x4x256xi32>, tensor<?x4xf32>, tensor<?x4x4xf32>) -> tensor<?x4x256xi32>
  return
}

// -----

// streams is [..., n, d].
func.func @hc_post_streams_rank(%f: tensor<?x256xf32>, %H: tensor<256xf32>, %post: tensor<?x4xf32>, %comb: tensor<?x4x4xf32>) {
  // expected-error @+1 {{'streams' must have rank >= 2}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xf32>, tensor<256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>) -> tensor<256xf32>
  return
}

// -----

// n and d are static.
func.func @hc_post_dynamic_d(%f: tensor<?x256xf32>, %H: tensor<?x4x?xf32>, %post: tensor<?x4xf32>, %comb: tensor<?x4x4xf32>) {
  // expected-error @+1 {{'streams' hc_mult and model dims (last two) must be static, got 'tensor<?x4x?xf32>'}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xf32>, tensor<?x4x?xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>) -> tensor<?x4x?xf32>
  return
}

// -----

// f is a float tensor.
func.func @hc_post_int_f(%f: tensor<?x256xi32>, %H: tensor<?x4x256xf32>, %post: tensor<?x4xf32>, %comb: tensor<?x4x4xf32>) {
  // expected-error @+1 {{'f' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xi32>, tensor<?x4x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>) -> tensor<?x4x256xf32>
  return
}

// -----

// f is [..., d].
func.func @hc_post_f_shape(%f: tensor<?x128xf32>, %H: tensor<?x4x256xf32>, %post: tensor<?x4xf32>, %comb: tensor<?x4x4xf32>) {
  // expected-error @+1 {{'f' must have shape [?, 256], got 'tensor<?x128xf32>'}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x128xf32>, tensor<?x4x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>) -> tensor<?x4x256xf32>
  return
}

// -----

// post is f32.
func.func @hc_post_post_bf16(%f: tensor<?x256xf32>, %H: tensor<?x4x256xf32>, %post: tensor<?x4xbf16>, %comb: tensor<?x4x4xf32>) {
  // expected-error @+1 {{'post' must be a tensor of f32, got 'tensor<?x4xbf16>'}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xf32>, tensor<?x4x256xf32>, tensor<?x4xbf16>, tensor<?x4x4xf32>) -> tensor<?x4x256xf32>
  return
}

// -----

// post is [..., n].
func.func @hc_post_post_shape(%f: tensor<?x256xf32>, %H: tensor<?x4x256xf32>, %post: tensor<?x2xf32>, %comb: tensor<?x4x4xf32>) {
  // expected-error @+1 {{'post' must have shape [?, 4], got 'tensor<?x2xf32>'}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xf32>, tensor<?x4x256xf32>, tensor<?x2xf32>, tensor<?x4x4xf32>) -> tensor<?x4x256xf32>
  return
}

// -----

// comb is f32.
func.func @hc_post_comb_bf16(%f: tensor<?x256xf32>, %H: tensor<?x4x256xf32>, %post: tensor<?x4xf32>, %comb: tensor<?x4x4xbf16>) {
  // expected-error @+1 {{'comb' must be a tensor of f32, got 'tensor<?x4x4xbf16>'}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xf32>, tensor<?x4x256xf32>, tensor<?x4xf32>, tensor<?x4x4xbf16>) -> tensor<?x4x256xf32>
  return
}

// -----

// comb is [..., n, n].
func.func @hc_post_comb_shape(%f: tensor<?x256xf32>, %H: tensor<?x4x256xf32>, %post: tensor<?x4xf32>, %comb: tensor<?x4x2xf32>) {
  // expected-error @+1 {{'comb' must have shape [?, 4, 4], got 'tensor<?x4x2xf32>'}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xf32>, tensor<?x4x256xf32>, tensor<?x4xf32>, tensor<?x4x2xf32>) -> tensor<?x4x256xf32>
  return
}

// -----

// The result has the type of streams.
func.func @hc_post_result_type(%f: tensor<?x256xf32>, %H: tensor<?x4x256xf32>, %post: tensor<?x4xf32>, %comb: tensor<?x4x4xf32>) {
  // expected-error @+1 {{result type must equal 'streams' type 'tensor<?x4x256xf32>', got 'tensor<?x4x256xbf16>'}}
  %0 = ds4.hc_post %f, %H, %post, %comb : (tensor<?x256xf32>, tensor<?x4x256xf32>, tensor<?x4xf32>, tensor<?x4x4xf32>) -> tensor<?x4x256xbf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.hc_head
//===----------------------------------------------------------------------===//

// streams is a float tensor.
func.func @hc_head_int_streams(%H: tensor<?x4x256xi32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'streams' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xi32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x256xf32>
  return
}

// -----

// streams is [..., n, d].
func.func @hc_head_streams_rank(%H: tensor<256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'streams' must have rank >= 2}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<256xf32>
  return
}

// -----

// n and d are static.
func.func @hc_head_dynamic_n(%H: tensor<?x?x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'streams' hc_mult and model dims (last two) must be static}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x?x256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x256xf32>
  return
}

// -----

// fn is f32.
func.func @hc_head_fn_bf16(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xbf16>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'fn' must be a tensor of f32, got 'tensor<4x1024xbf16>'}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xbf16>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x256xf32>
  return
}

// -----

// fn is [n, n*d].
func.func @hc_head_fn_shape(%H: tensor<?x4x256xf32>, %fn: tensor<24x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'fn' must have shape [4, 1024], got 'tensor<24x1024xf32>'}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<24x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x256xf32>
  return
}

// -----

// base is f32.
func.func @hc_head_base_bf16(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xbf16>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'base' must be a tensor of f32, got 'tensor<4xbf16>'}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xf32>, tensor<4xbf16>, tensor<1xf32>) -> tensor<?x256xf32>
  return
}

// -----

// base is [n].
func.func @hc_head_base_shape(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<24xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'base' must have shape [4], got 'tensor<24xf32>'}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xf32>, tensor<24xf32>, tensor<1xf32>) -> tensor<?x256xf32>
  return
}

// -----

// scale is f32.
func.func @hc_head_scale_bf16(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xbf16>) {
  // expected-error @+1 {{'scale' must be a tensor of f32, got 'tensor<1xbf16>'}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// scale is [1].
func.func @hc_head_scale_shape(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<3xf32>) {
  // expected-error @+1 {{'scale' must have shape [1], got 'tensor<3xf32>'}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<?x256xf32>
  return
}

// -----

// hc_eps is >= 0.
func.func @hc_head_hc_eps(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'hc_eps' must be >= 0, got -1.000000e+00}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = -1.0 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x256xf32>
  return
}

// -----

// norm_eps is positive.
func.func @hc_head_norm_eps(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{'norm_eps' must be positive, got -1.000000e+00}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = -1.0 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x256xf32>
  return
}

// -----

// The result is a float tensor.
func.func @hc_head_int_result(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{result must be a tensor of f32, bf16 or f16}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x256xi32>
  return
}

// -----

// The result is [..., d].
func.func @hc_head_result_shape(%H: tensor<?x4x256xf32>, %fn: tensor<4x1024xf32>, %base: tensor<4xf32>, %scale: tensor<1xf32>) {
  // expected-error @+1 {{result must have shape [?, 256], got 'tensor<?x4x256xf32>'}}
  %0 = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-6 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x4x256xf32>, tensor<4x1024xf32>, tensor<4xf32>, tensor<1xf32>) -> tensor<?x4x256xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.window_update
//===----------------------------------------------------------------------===//

// The state is a window.
func.func @window_update_kind(%kv: tensor<?x?x128xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                              %win: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'window' must be a state of kind window, got '!ds4.state<compressed, ?x?x128, bf16, ratio = 4>'}}
  %0 = ds4.window_update %kv into %win at %pos slots %slots : tensor<?x?x128xf32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// kv is a float tensor.
func.func @window_update_int_kv(%kv: tensor<?x?x128xi32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                %win: !ds4.state<window, ?x16x128, bf16>) {
  // expected-error @+1 {{'kv' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.window_update %kv into %win at %pos slots %slots : tensor<?x?x128xi32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<window, ?x16x128, bf16>
  return
}

// -----

// kv is [b, s, width].
func.func @window_update_kv_shape(%kv: tensor<?x?x64xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                  %win: !ds4.state<window, ?x16x128, bf16>) {
  // expected-error @+1 {{'kv' must have shape [?, ?, 128], got 'tensor<?x?x64xf32>'}}
  %0 = ds4.window_update %kv into %win at %pos slots %slots : tensor<?x?x64xf32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<window, ?x16x128, bf16>
  return
}

// -----

// Positions are integers.
func.func @window_update_float_positions(%kv: tensor<?x?x128xf32>, %pos: tensor<?x?xf32>, %slots: tensor<?xi32>,
                                         %win: !ds4.state<window, ?x16x128, bf16>) {
  // expected-error @+1 {{'positions' must be a tensor of integers}}
  %0 = ds4.window_update %kv into %win at %pos slots %slots : tensor<?x?x128xf32>, tensor<?x?xf32>, tensor<?xi32>, !ds4.state<window, ?x16x128, bf16>
  return
}

// -----

// Positions are [b, s].
func.func @window_update_positions_shape(%kv: tensor<2x3x128xf32>, %pos: tensor<2x4xi64>, %slots: tensor<2xi32>,
                                         %win: !ds4.state<window, ?x16x128, bf16>) {
  // expected-error @+1 {{'positions' must have shape [2, 3], got 'tensor<2x4xi64>'}}
  %0 = ds4.window_update %kv into %win at %pos slots %slots : tensor<2x3x128xf32>, tensor<2x4xi64>, tensor<2xi32>, !ds4.state<window, ?x16x128, bf16>
  return
}

// -----

// Slots are integers.
func.func @window_update_float_slots(%kv: tensor<?x?x128xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xf32>,
                                     %win: !ds4.state<window, ?x16x128, bf16>) {
  // expected-error @+1 {{'slots' must be a tensor of integers}}
  %0 = ds4.window_update %kv into %win at %pos slots %slots : tensor<?x?x128xf32>, tensor<?x?xi64>, tensor<?xf32>, !ds4.state<window, ?x16x128, bf16>
  return
}

// -----

// Slots are [b].
func.func @window_update_slots_shape(%kv: tensor<2x3x128xf32>, %pos: tensor<2x3xi64>, %slots: tensor<3xi32>,
                                     %win: !ds4.state<window, ?x16x128, bf16>) {
  // expected-error @+1 {{'slots' must have shape [2], got 'tensor<3xi32>'}}
  %0 = ds4.window_update %kv into %win at %pos slots %slots : tensor<2x3x128xf32>, tensor<2x3xi64>, tensor<3xi32>, !ds4.state<window, ?x16x128, bf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.compressor
//===----------------------------------------------------------------------===//

// The ratio is positive.
func.func @compressor_ratio_zero(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                 %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                 %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                 %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'ratio' must be positive, got 0}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 0 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// block is a compressor state.
func.func @compressor_block_kind(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                 %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                 %blk: !ds4.state<compressed, ?x4x256, f32, ratio = 4>,
                                 %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'block' must be a state of kind compressor, got '!ds4.state<compressed, ?x4x256, f32, ratio = 4>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressed, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// entries are compressed kv or indexer keys.
func.func @compressor_entries_kind(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                   %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                   %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                   %ent: !ds4.state<compressor, ?x4x128, f32, ratio = 4>) {
  // expected-error @+1 {{'entries' must be a state of kind compressed or indexer_keys, got '!ds4.state<compressor, ?x4x128, f32, ratio = 4>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressor, ?x4x128, f32, ratio = 4>
  return
}

// -----

// block and entries have the same slots.
func.func @compressor_slots(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                            %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                            %blk: !ds4.state<compressor, 2x4x256, f32, ratio = 4>,
                            %ent: !ds4.state<compressed, 3x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{states disagree on the number of slots: '!ds4.state<compressor, 2x4x256, f32, ratio = 4>' vs '!ds4.state<compressed, 3x?x128, bf16, ratio = 4>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, 2x4x256, f32, ratio = 4>, !ds4.state<compressed, 3x?x128, bf16, ratio = 4>
  return
}

// -----

// The op's ratio is the states' ratio.
func.func @compressor_ratio_mismatch(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                     %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                     %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                     %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 8>) {
  // expected-error @+1 {{'ratio' 4 must equal the ratio of 'block' (4) and 'entries' (8)}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 8>
  return
}

// -----

// kv is a float tensor.
func.func @compressor_int_kv(%kv: tensor<?x?x128xi32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                             %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                             %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                             %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'kv' must be a tensor of f32, bf16 or f16}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xi32>, tensor<?x?x128xi32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// kv is [b, s, c*hd]: c = 2 with overlap.
func.func @compressor_kv_shape(%kv: tensor<?x?x128xf32>, %ape: tensor<4x256xf32>, %norm: tensor<128xbf16>,
                               %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                               %blk: !ds4.state<compressor, ?x8x512, f32, ratio = 4>,
                               %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'kv' must have shape [?, ?, 256], got 'tensor<?x?x128xf32>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, overlap, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x256xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x8x512, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// gate has kv's type.
func.func @compressor_gate_type(%kv: tensor<?x?x128xf32>, %gate: tensor<?x?x128xbf16>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'gate' type must equal 'kv' type 'tensor<?x?x128xf32>', got 'tensor<?x?x128xbf16>'}}
  %e, %b = ds4.compressor %kv, %gate, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xbf16>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// ape is f32.
func.func @compressor_ape_bf16(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xbf16>, %norm: tensor<128xbf16>,
                               %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                               %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                               %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'ape' must be a tensor of f32, got 'tensor<4x128xbf16>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xbf16>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// ape is [ratio, c*hd].
func.func @compressor_ape_shape(%kv: tensor<?x?x128xf32>, %ape: tensor<8x128xf32>, %norm: tensor<128xbf16>,
                                %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'ape' must have shape [4, 128], got 'tensor<8x128xf32>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<8x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// norm is a float tensor.
func.func @compressor_int_norm(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xi32>,
                               %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                               %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                               %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'norm' must be a tensor of f32, bf16 or f16, got 'tensor<128xi32>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xi32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// norm is [hd].
func.func @compressor_norm_shape(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<64xbf16>,
                                 %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                 %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                 %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'norm' must have shape [128], got 'tensor<64xbf16>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<64xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// block holds ratio rows (2*ratio with overlap).
func.func @compressor_block_rows(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                 %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                 %blk: !ds4.state<compressor, ?x8x256, f32, ratio = 4>,
                                 %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'block' must hold 4 rows of [kv | gate] = 256 values, got '!ds4.state<compressor, ?x8x256, f32, ratio = 4>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x8x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// block rows are [kv | gate] = 2*c*hd wide.
func.func @compressor_block_width(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                  %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                  %blk: !ds4.state<compressor, ?x4x128, f32, ratio = 4>,
                                  %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'block' must hold 4 rows of [kv | gate] = 256 values}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x128, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// The rope dims fit in the entry.
func.func @compressor_rope_dims(%kv: tensor<?x?x32xf32>, %ape: tensor<4x32xf32>, %norm: tensor<32xbf16>,
                                %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                %blk: !ds4.state<compressor, ?x4x64, f32, ratio = 4>,
                                %ent: !ds4.state<compressed, ?x?x32, bf16, ratio = 4>) {
  // expected-error @+1 {{rope dims 64 exceed the entry width 32}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<4x32xf32>, tensor<32xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x64, f32, ratio = 4>, !ds4.state<compressed, ?x?x32, bf16, ratio = 4>
  return
}

// -----

// rotate needs a power-of-two entry width.
func.func @compressor_rotate_width(%kv: tensor<?x?x96xf32>, %ape: tensor<4x96xf32>, %norm: tensor<96xbf16>,
                                   %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                   %blk: !ds4.state<compressor, ?x4x192, f32, ratio = 4>,
                                   %ent: !ds4.state<indexer_keys, ?x?x96, bf16, ratio = 4>) {
  // expected-error @+1 {{'rotate' needs a power-of-two entry width for the Hadamard transform, got 96}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rotate, rope = #ds4.rope<theta = 10000.0, dims = 32>, eps = 1.0e-6 : f64}
      : tensor<?x?x96xf32>, tensor<?x?x96xf32>, tensor<4x96xf32>, tensor<96xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x192, f32, ratio = 4>, !ds4.state<indexer_keys, ?x?x96, bf16, ratio = 4>
  return
}

// -----

// fp8_nope entries keep exactly the op's rope dims in bf16.
func.func @compressor_fp8_nope_rope(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                    %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                    %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                    %ent: !ds4.state<compressed, ?x?x128, fp8_nope, ratio = 4, rope = 64>) {
  // expected-error @+1 {{'entries' keeps 64 rope dims in bf16 but the op ropes 32}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 32>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, fp8_nope, ratio = 4, rope = 64>
  return
}

// -----

// eps is positive.
func.func @compressor_eps(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                          %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                          %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                          %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'eps' must be positive, got 0.000000e+00}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 0.0 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// Positions are integers.
func.func @compressor_float_positions(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                      %pos: tensor<?x?xf32>, %slots: tensor<?xi32>,
                                      %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                      %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'positions' must be a tensor of integers}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xf32>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// Positions are [b, s].
func.func @compressor_positions_shape(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                      %pos: tensor<?xi64>, %slots: tensor<?xi32>,
                                      %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                      %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'positions' must have shape [?, ?], got 'tensor<?xi64>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// Slots are integers.
func.func @compressor_float_slots(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                  %pos: tensor<?x?xi64>, %slots: tensor<?xf32>,
                                  %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                  %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'slots' must be a tensor of integers}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xf32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// Slots are [b].
func.func @compressor_slots_shape(%kv: tensor<2x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                  %pos: tensor<2x?xi64>, %slots: tensor<1xi32>,
                                  %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                  %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'slots' must have shape [2], got 'tensor<1xi32>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<2x?x128xf32>, tensor<2x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<2x?xi64>, tensor<1xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// AllTypesMatch<["entries", "entries_result"]> (generic form).
func.func @compressor_result_type(%kv: tensor<?x?x128xf32>, %ape: tensor<4x128xf32>, %norm: tensor<128xbf16>,
                                  %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                  %blk: !ds4.state<compressor, ?x4x256, f32, ratio = 4>,
                                  %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'ds4.compressor' op failed to verify that all of {entries, entries_result} have same type}}
  %e, %b = "ds4.compressor"(%kv, %kv, %ape, %norm, %pos, %slots, %blk, %ent) <{ratio = 4 : i64, rope = #ds4.rope<theta = 10000.0, dims = 64>, eps = 1.0e-6 : f64}>
      : (tensor<?x?x128xf32>, tensor<?x?x128xf32>, tensor<4x128xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>)
      -> (!ds4.state<compressed, ?x?x128, f32, ratio = 4>, !ds4.state<compressor, ?x4x256, f32, ratio = 4>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.indexer_score
//===----------------------------------------------------------------------===//

// keys are an indexer_keys state.
func.func @indexer_score_keys_kind(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                   %keys: !ds4.state<compressed, ?x?x64, bf16, ratio = 4>) {
  // expected-error @+1 {{'keys' must be a state of kind indexer_keys, got '!ds4.state<compressed, ?x?x64, bf16, ratio = 4>'}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<compressed, ?x?x64, bf16, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  return
}

// -----

// q is a float tensor.
func.func @indexer_score_int_q(%q: tensor<?x?x2x64xi32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                               %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'q' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xi32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  return
}

// -----

// q is [b, s, IH, ID] with ID the key width.
func.func @indexer_score_q_shape(%q: tensor<?x?x2x128xf32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                 %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'q' must have shape [?, ?, ?, 64], got 'tensor<?x?x2x128xf32>'}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x128xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  return
}

// -----

// weights is a float tensor.
func.func @indexer_score_int_weights(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x2xi32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                     %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'weights' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xi32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  return
}

// -----

// weights is [b, s, IH].
func.func @indexer_score_weights_shape(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                       %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'weights' must have shape [?, ?, 2], got 'tensor<?x?x4xf32>'}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x4xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  return
}

// -----

// scale is positive.
func.func @indexer_score_scale(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                               %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'scale' must be positive, got 0.000000e+00}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.0 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  return
}

// -----

// Positions are integers.
func.func @indexer_score_float_positions(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xf32>, %slots: tensor<?xi32>,
                                         %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'positions' must be a tensor of integers}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xf32>, tensor<?xi32> -> tensor<?x?x?xf32>
  return
}

// -----

// Positions are [b, s].
func.func @indexer_score_positions_shape(%q: tensor<1x5x2x64xf32>, %w: tensor<1x5x2xf32>, %pos: tensor<1x4xi64>, %slots: tensor<1xi32>,
                                         %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'positions' must have shape [1, 5], got 'tensor<1x4xi64>'}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<1x5x2x64xf32>, tensor<1x5x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<1x4xi64>, tensor<1xi32> -> tensor<1x5x?xf32>
  return
}

// -----

// Slots are integers.
func.func @indexer_score_float_slots(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xf32>,
                                     %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'slots' must be a tensor of integers}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xf32> -> tensor<?x?x?xf32>
  return
}

// -----

// Slots are [b].
func.func @indexer_score_slots_shape(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?x1xi32>,
                                     %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{'slots' must have shape [?], got 'tensor<?x1xi32>'}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?x1xi32> -> tensor<?x?x?xf32>
  return
}

// -----

// Scores are f32.
func.func @indexer_score_result_bf16(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                     %keys: !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>) {
  // expected-error @+1 {{result must be a tensor of f32, got 'tensor<?x?x?xbf16>'}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xbf16>
  return
}

// -----

// Scores are [b, s, rows].
func.func @indexer_score_result_shape(%q: tensor<?x?x2x64xf32>, %w: tensor<?x?x2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                                      %keys: !ds4.state<indexer_keys, ?x16x64, fp4, ratio = 4>) {
  // expected-error @+1 {{result must have shape [?, ?, 16], got 'tensor<?x?x8xf32>'}}
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x2x64xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x16x64, fp4, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.topk
//===----------------------------------------------------------------------===//

// k is positive.
func.func @topk_k_zero(%s: tensor<?x?x?xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'k' must be positive, got 0}}
  %0 = ds4.topk %s at %pos {k = 0 : i64, ratio = 4 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x0xi32>
  return
}

// -----

// A negative k is rejected too (regression: the unsigned I64Attr getter let
// it through).
func.func @topk_k_negative(%s: tensor<?x?x?xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'k' must be positive, got -1}}
  %0 = ds4.topk %s at %pos {k = -1 : i64, ratio = 4 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x?xi32>
  return
}

// -----

// ratio is positive.
func.func @topk_ratio_zero(%s: tensor<?x?x?xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'ratio' must be positive, got 0}}
  %0 = ds4.topk %s at %pos {k = 8 : i64, ratio = 0 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x8xi32>
  return
}

// -----

// A negative ratio is rejected too (regression, as for k).
func.func @topk_ratio_negative(%s: tensor<?x?x?xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'ratio' must be positive, got -4}}
  %0 = ds4.topk %s at %pos {k = 8 : i64, ratio = -4 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x8xi32>
  return
}

// -----

// Scores are a float tensor.
func.func @topk_int_scores(%s: tensor<?x?x?xi32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'scores' must be a tensor of f32, bf16 or f16}}
  %0 = ds4.topk %s at %pos {k = 8 : i64, ratio = 4 : i64} : tensor<?x?x?xi32>, tensor<?x?xi64> -> tensor<?x?x8xi32>
  return
}

// -----

// Scores are [b, s, entries].
func.func @topk_scores_rank(%s: tensor<?x?xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{'scores' must have rank 3, got 'tensor<?x?xf32>'}}
  %0 = ds4.topk %s at %pos {k = 8 : i64, ratio = 4 : i64} : tensor<?x?xf32>, tensor<?x?xi64> -> tensor<?x?x8xi32>
  return
}

// -----

// Positions are integers.
func.func @topk_float_positions(%s: tensor<?x?x?xf32>, %pos: tensor<?x?xf32>) {
  // expected-error @+1 {{'positions' must be a tensor of integers}}
  %0 = ds4.topk %s at %pos {k = 8 : i64, ratio = 4 : i64} : tensor<?x?x?xf32>, tensor<?x?xf32> -> tensor<?x?x8xi32>
  return
}

// -----

// Positions are [b, s].
func.func @topk_positions_shape(%s: tensor<2x3x?xf32>, %pos: tensor<2x4xi64>) {
  // expected-error @+1 {{'positions' must have shape [2, 3], got 'tensor<2x4xi64>'}}
  %0 = ds4.topk %s at %pos {k = 8 : i64, ratio = 4 : i64} : tensor<2x3x?xf32>, tensor<2x4xi64> -> tensor<2x3x8xi32>
  return
}

// -----

// Indices are i32.
func.func @topk_result_i64(%s: tensor<?x?x?xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{result must hold i32 indices, got 'tensor<?x?x8xi64>'}}
  %0 = ds4.topk %s at %pos {k = 8 : i64, ratio = 4 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x8xi64>
  return
}

// -----

// The result is [b, s, k].
func.func @topk_result_shape(%s: tensor<?x?x?xf32>, %pos: tensor<?x?xi64>) {
  // expected-error @+1 {{result must have shape [?, ?, 8], got 'tensor<?x?x4xi32>'}}
  %0 = ds4.topk %s at %pos {k = 8 : i64, ratio = 4 : i64} : tensor<?x?x?xf32>, tensor<?x?xi64> -> tensor<?x?x4xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.sparse_attention
//===----------------------------------------------------------------------===//

// q is a float tensor.
func.func @sparse_attention_int_q(%q: tensor<?x?x4x128xi32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                  %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'q' must be a tensor of f32, bf16 or f16}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xi32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// q is [b, s, H, D].
func.func @sparse_attention_q_rank(%q: tensor<?x?x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                   %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'q' must have rank 4, got 'tensor<?x?x128xf32>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x128xf32>
  return
}

// -----

// window is a window state.
func.func @sparse_attention_window_kind(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>,
                                        %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'window' must be a state of kind window, got '!ds4.state<compressed, ?x?x128, bf16, ratio = 4>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// q's head dim is the window width.
func.func @sparse_attention_head_dim(%q: tensor<?x?x4x64xf32>, %kv: tensor<?x?x64xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                     %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'q' head dim 64 must equal the window width 128}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x64xf32>, tensor<?x?x64xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x64xf32>
  return
}

// -----

// kv is a float tensor.
func.func @sparse_attention_int_kv(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xi32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                   %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'kv' must be a tensor of f32, bf16 or f16}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xi32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// kv is [b, s, D].
func.func @sparse_attention_kv_shape(%q: tensor<2x3x4x128xf32>, %kv: tensor<2x5x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                     %sink: tensor<4xf32>, %pos: tensor<2x3xi64>, %slots: tensor<2xi32>) {
  // expected-error @+1 {{'kv' must have shape [2, 3, 128], got 'tensor<2x5x128xf32>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<2x3x4x128xf32>, tensor<2x5x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<2x3xi64>, tensor<2xi32>) -> tensor<2x3x4x128xf32>
  return
}

// -----

// entries are compressed kv.
func.func @sparse_attention_entries_kind(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                         %ent: !ds4.state<indexer_keys, ?x?x128, bf16, ratio = 4>,
                                         %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'entries' must be a state of kind compressed, got '!ds4.state<indexer_keys, ?x?x128, bf16, ratio = 4>'}}
  %o = ds4.sparse_attention %q, %kv window %win entries %ent sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, !ds4.state<indexer_keys, ?x?x128, bf16, ratio = 4>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// window and entries have the same slots.
func.func @sparse_attention_slots(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, 2x16x128, bf16>,
                                  %ent: !ds4.state<compressed, 4x?x128, bf16, ratio = 4>,
                                  %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{states disagree on the number of slots}}
  %o = ds4.sparse_attention %q, %kv window %win entries %ent sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, 2x16x128, bf16>, !ds4.state<compressed, 4x?x128, bf16, ratio = 4>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// The entry width is the head dim.
func.func @sparse_attention_entries_width(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                          %ent: !ds4.state<compressed, ?x?x64, bf16, ratio = 4>,
                                          %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'entries' width 64 must equal the head dim 128}}
  %o = ds4.sparse_attention %q, %kv window %win entries %ent sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, !ds4.state<compressed, ?x?x64, bf16, ratio = 4>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// select picks compressed entries, so it needs them.
func.func @sparse_attention_select_without_entries(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                                   %sel: tensor<?x?x8xi32>, %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'select' picks compressed entries, so it needs 'entries'}}
  %o = ds4.sparse_attention %q, %kv window %win select %sel sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<?x?x8xi32>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// select holds integer indices.
func.func @sparse_attention_float_select(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                         %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>,
                                         %sel: tensor<?x?x8xf32>, %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'select' must be a tensor of integers, got 'tensor<?x?x8xf32>'}}
  %o = ds4.sparse_attention %q, %kv window %win entries %ent select %sel sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>, tensor<?x?x8xf32>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// select is [b, s, k].
func.func @sparse_attention_select_shape(%q: tensor<2x3x4x128xf32>, %kv: tensor<2x3x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                         %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>,
                                         %sel: tensor<2x1x8xi32>, %sink: tensor<4xf32>, %pos: tensor<2x3xi64>, %slots: tensor<2xi32>) {
  // expected-error @+1 {{'select' must have shape [2, 3, ?], got 'tensor<2x1x8xi32>'}}
  %o = ds4.sparse_attention %q, %kv window %win entries %ent select %sel sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<2x3x4x128xf32>, tensor<2x3x128xf32>, !ds4.state<window, ?x16x128, bf16>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>, tensor<2x1x8xi32>, tensor<4xf32>, tensor<2x3xi64>, tensor<2xi32>) -> tensor<2x3x4x128xf32>
  return
}

// -----

// sink is f32.
func.func @sparse_attention_sink_bf16(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                      %sink: tensor<4xbf16>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'sink' must be a tensor of f32, got 'tensor<4xbf16>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xbf16>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// sink is [H].
func.func @sparse_attention_sink_shape(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                       %sink: tensor<8xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'sink' must have shape [4], got 'tensor<8xf32>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<8xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// scale is positive.
func.func @sparse_attention_scale(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                  %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'scale' must be positive, got -8.800000e-02}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = -0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// Positions are integers.
func.func @sparse_attention_float_positions(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                            %sink: tensor<4xf32>, %pos: tensor<?x?xf32>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{'positions' must be a tensor of integers}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xf32>, tensor<?xi32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// Positions are [b, s].
func.func @sparse_attention_positions_shape(%q: tensor<2x3x4x128xf32>, %kv: tensor<2x3x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                            %sink: tensor<4xf32>, %pos: tensor<3x2xi64>, %slots: tensor<2xi32>) {
  // expected-error @+1 {{'positions' must have shape [2, 3], got 'tensor<3x2xi64>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<2x3x4x128xf32>, tensor<2x3x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<3x2xi64>, tensor<2xi32>) -> tensor<2x3x4x128xf32>
  return
}

// -----

// Slots are integers.
func.func @sparse_attention_float_slots(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                        %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xf32>) {
  // expected-error @+1 {{'slots' must be a tensor of integers}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xf32>) -> tensor<?x?x4x128xf32>
  return
}

// -----

// Slots are [b].
func.func @sparse_attention_slots_shape(%q: tensor<2x3x4x128xf32>, %kv: tensor<2x3x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                        %sink: tensor<4xf32>, %pos: tensor<2x3xi64>, %slots: tensor<3xi32>) {
  // expected-error @+1 {{'slots' must have shape [2], got 'tensor<3xi32>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<2x3x4x128xf32>, tensor<2x3x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<2x3xi64>, tensor<3xi32>) -> tensor<2x3x4x128xf32>
  return
}

// -----

// The result is a float tensor.
func.func @sparse_attention_int_result(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                       %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{result must be a tensor of f32, bf16 or f16}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x128xi32>
  return
}

// -----

// The result is [b, s, H, D].
func.func @sparse_attention_result_shape(%q: tensor<?x?x4x128xf32>, %kv: tensor<?x?x128xf32>, %win: !ds4.state<window, ?x16x128, bf16>,
                                         %sink: tensor<4xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) {
  // expected-error @+1 {{result must have shape [?, ?, 4, 128], got 'tensor<?x?x512xf32>'}}
  %o = ds4.sparse_attention %q, %kv window %win sink %sink at %pos slots %slots {scale = 0.088 : f64}
      : (tensor<?x?x4x128xf32>, tensor<?x?x128xf32>, !ds4.state<window, ?x16x128, bf16>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x512xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.moe_gate
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @moe_gate_int_x(%x: tensor<?x256xi32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xi32>, tensor<8x256xbf16>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// x has a model dim.
func.func @moe_gate_scalar_x(%x: tensor<f32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'x' must have rank >= 1}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<f32>, tensor<8x256xbf16>) -> (tensor<2xf32>, tensor<2xi32>)
  return
}

// -----

// The gate weight encoding is #ds4.quant or none.
func.func @moe_gate_weight_foreign_encoding(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16, "sparse">) {
  // expected-error @+1 {{'weight' has an encoding that is not #ds4.quant}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16, "sparse">) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// A quantized gate weight holds its encoding's code type.
func.func @moe_gate_weight_code_type(%x: tensor<?x256xf32>, %gate: tensor<8x256xf32, #ds4.quant<fp8_e4m3, block = [128, 128]>>) {
  // expected-error @+1 {{'weight' with encoding #ds4.quant<fp8_e4m3, block = [128, 128]> must have element type 'f8E4M3FN', got 'f32'}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xf32, #ds4.quant<fp8_e4m3, block = [128, 128]>>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// fp8 codes need their block-scale encoding.
func.func @moe_gate_weight_fp8_without_quant(%x: tensor<?x256xf32>, %gate: tensor<8x256xf8E4M3FN>) {
  // expected-error @+1 {{'weight' of 'f8E4M3FN' codes needs a #ds4.quant encoding}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xf8E4M3FN>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// Plain gate weights are bf16 or f32.
func.func @moe_gate_weight_f16(%x: tensor<?x256xf32>, %gate: tensor<8x256xf16>) {
  // expected-error @+1 {{'weight' must be bf16, f32 or block-quantized fp8/fp4, got 'tensor<8x256xf16>'}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xf16>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// The gate weight is [E, d].
func.func @moe_gate_weight_shape(%x: tensor<?x256xf32>, %gate: tensor<8x128xbf16>) {
  // expected-error @+1 {{'weight' must have shape [?, 256], got 'tensor<8x128xbf16>'}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x128xbf16>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// topk is at least 1.
func.func @moe_gate_topk_zero(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'topk' must be in [1, 8], got 0}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 0 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x0xf32>, tensor<?x0xi32>)
  return
}

// -----

// topk is at most the number of experts.
func.func @moe_gate_topk_too_big(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'topk' must be in [1, 8], got 9}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 9 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x9xf32>, tensor<?x9xi32>)
  return
}

// -----

// With a dynamic expert count the bound prints as ? (regression: it printed
// the kDynamic sentinel).
func.func @moe_gate_topk_dynamic_experts(%x: tensor<?x256xf32>, %gate: tensor<?x256xbf16>) {
  // expected-error @+1 {{'topk' must be in [1, ?], got -1}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = -1 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<?x256xbf16>) -> (tensor<?x?xf32>, tensor<?x?xi32>)
  return
}

// -----

// route_scale is positive.
func.func @moe_gate_route_scale(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'route_scale' must be positive, got 0.000000e+00}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 0.0 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// A gate is scored (bias) or hashed, not both.
func.func @moe_gate_bias_and_hash(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>, %bias: tensor<8xf32>,
                                  %table: tensor<512x2xi32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{a gate either adds 'bias' (scored layers) or routes by 'hash' table (hash layers), not both}}
  %w, %e = ds4.moe_gate %x, %gate bias %bias hash %table tokens %ids {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>, tensor<8xf32>, tensor<512x2xi32>, tensor<?xi32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// Hash routing needs the token ids.
func.func @moe_gate_hash_without_tokens(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>, %table: tensor<512x2xi32>) {
  // expected-error @+1 {{hash routing needs both the 'hash' table and the 'tokens' ids}}
  %w, %e = ds4.moe_gate %x, %gate hash %table {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>, tensor<512x2xi32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// Token ids without a hash table are rejected by the same rule.
func.func @moe_gate_tokens_without_hash(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{hash routing needs both the 'hash' table and the 'tokens' ids}}
  %w, %e = ds4.moe_gate %x, %gate tokens %ids {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>, tensor<?xi32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// bias is f32.
func.func @moe_gate_bias_bf16(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>, %bias: tensor<8xbf16>) {
  // expected-error @+1 {{'bias' must be a tensor of f32, got 'tensor<8xbf16>'}}
  %w, %e = ds4.moe_gate %x, %gate bias %bias {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>, tensor<8xbf16>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// bias is [E].
func.func @moe_gate_bias_shape(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>, %bias: tensor<16xf32>) {
  // expected-error @+1 {{'bias' must have shape [8], got 'tensor<16xf32>'}}
  %w, %e = ds4.moe_gate %x, %gate bias %bias {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>, tensor<16xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// The hash table holds expert ids.
func.func @moe_gate_float_hash(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>, %table: tensor<512x2xf32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'hash' must be a tensor of integers, got 'tensor<512x2xf32>'}}
  %w, %e = ds4.moe_gate %x, %gate hash %table tokens %ids {score_func = #ds4.score_func<sigmoid>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>, tensor<512x2xf32>, tensor<?xi32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// The hash table is [vocab, topk].
func.func @moe_gate_hash_shape(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>, %table: tensor<512x3xi32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'hash' must have shape [?, 2], got 'tensor<512x3xi32>'}}
  %w, %e = ds4.moe_gate %x, %gate hash %table tokens %ids {score_func = #ds4.score_func<sigmoid>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>, tensor<512x3xi32>, tensor<?xi32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// Token ids are integers.
func.func @moe_gate_float_tokens(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>, %table: tensor<512x2xi32>, %ids: tensor<?xf32>) {
  // expected-error @+1 {{'tokens' must be a tensor of integers, got 'tensor<?xf32>'}}
  %w, %e = ds4.moe_gate %x, %gate hash %table tokens %ids {score_func = #ds4.score_func<sigmoid>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>, tensor<512x2xi32>, tensor<?xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return
}

// -----

// Token ids have x's leading dims.
func.func @moe_gate_tokens_shape(%x: tensor<?x?x256xf32>, %gate: tensor<8x256xbf16>, %table: tensor<512x2xi32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'tokens' must have shape [?, ?], got 'tensor<?xi32>'}}
  %w, %e = ds4.moe_gate %x, %gate hash %table tokens %ids {score_func = #ds4.score_func<sigmoid>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x?x256xf32>, tensor<8x256xbf16>, tensor<512x2xi32>, tensor<?xi32>) -> (tensor<?x?x2xf32>, tensor<?x?x2xi32>)
  return
}

// -----

// Routing weights are f32.
func.func @moe_gate_weights_bf16(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'weights' result must be a tensor of f32, got 'tensor<?x2xbf16>'}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x2xbf16>, tensor<?x2xi32>)
  return
}

// -----

// Routing weights are [..., topk].
func.func @moe_gate_weights_shape(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'weights' result must have shape [?, 2], got 'tensor<?x4xf32>'}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x4xf32>, tensor<?x2xi32>)
  return
}

// -----

// Expert ids are i32.
func.func @moe_gate_ids_i64(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'ids' result must hold i32, got 'tensor<?x2xi64>'}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x2xf32>, tensor<?x2xi64>)
  return
}

// -----

// Expert ids are [..., topk].
func.func @moe_gate_ids_shape(%x: tensor<?x256xf32>, %gate: tensor<8x256xbf16>) {
  // expected-error @+1 {{'ids' result must have shape [?, 2], got 'tensor<?x4xi32>'}}
  %w, %e = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<sqrtsoftplus>, topk = 2 : i64, route_scale = 1.5 : f64}
      : (tensor<?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x2xf32>, tensor<?x4xi32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// ds4.moe_experts
//===----------------------------------------------------------------------===//

// x is a float tensor.
func.func @moe_experts_int_x(%x: tensor<?x256xi32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                             %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'x' must be a tensor of f32, bf16 or f16}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xi32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// x has a model dim.
func.func @moe_experts_scalar_x(%x: tensor<f32>, %w: tensor<2xf32>, %e: tensor<2xi32>,
                                %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'x' must have rank >= 1}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<f32>, tensor<2xf32>, tensor<2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<f32>
  return
}

// -----

// w1: the encoding is #ds4.quant or none.
func.func @moe_experts_w1_foreign_encoding(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                           %w1: tensor<8x128x256xbf16, "sparse">, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'w1' has an encoding that is not #ds4.quant}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16, "sparse">, tensor<8x256x128xbf16>, tensor<8x128x256xbf16, "sparse">) -> tensor<?x256xf32>
  return
}

// -----

// w1: a quantized weight holds its encoding's code type.
func.func @moe_experts_w1_code_type(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                    %w1: tensor<8x128x256xf8E4M3FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'w1' with encoding #ds4.quant<fp4_e2m1, block = [1, 32]> must have element type 'f4E2M1FN', got 'f8E4M3FN'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xf8E4M3FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>, tensor<8x256x128xbf16>, tensor<8x128x256xf8E4M3FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>) -> tensor<?x256xf32>
  return
}

// -----

// w1: fp4 codes need their block-scale encoding.
func.func @moe_experts_w1_fp4_without_quant(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                            %w1: tensor<8x128x256xf4E2M1FN>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'w1' of 'f4E2M1FN' codes needs a #ds4.quant encoding}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xf4E2M1FN>, tensor<8x256x128xbf16>, tensor<8x128x256xf4E2M1FN>) -> tensor<?x256xf32>
  return
}

// -----

// w1: plain weights are bf16 or f32.
func.func @moe_experts_w1_f16(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                              %w1: tensor<8x128x256xf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'w1' must be bf16, f32 or block-quantized fp8/fp4, got 'tensor<8x128x256xf16>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xf16>, tensor<8x256x128xbf16>, tensor<8x128x256xf16>) -> tensor<?x256xf32>
  return
}

// -----

// w1 is [E, inter, d].
func.func @moe_experts_w1_rank(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                               %w1: tensor<128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'w1' must have rank 3, got 'tensor<128x256xbf16>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<128x256xbf16>, tensor<8x256x128xbf16>, tensor<128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// w2: the encoding is #ds4.quant or none.
func.func @moe_experts_w2_foreign_encoding(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                           %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16, "sparse">) {
  // expected-error @+1 {{'w2' has an encoding that is not #ds4.quant}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16, "sparse">, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// w2: a quantized weight holds its encoding's code type.
func.func @moe_experts_w2_code_type(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                    %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16, #ds4.quant<fp4_e2m1, block = [1, 32]>>) {
  // expected-error @+1 {{'w2' with encoding #ds4.quant<fp4_e2m1, block = [1, 32]> must have element type 'f4E2M1FN', got 'bf16'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16, #ds4.quant<fp4_e2m1, block = [1, 32]>>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// w2: fp8 codes need their block-scale encoding.
func.func @moe_experts_w2_fp8_without_quant(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                            %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xf8E4M3FN>) {
  // expected-error @+1 {{'w2' of 'f8E4M3FN' codes needs a #ds4.quant encoding}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xf8E4M3FN>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// w2: plain weights are bf16 or f32.
func.func @moe_experts_w2_int(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                              %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xi8>) {
  // expected-error @+1 {{'w2' must be bf16, f32 or block-quantized fp8/fp4, got 'tensor<8x256x128xi8>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xi8>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// w2 is [E, d, inter].
func.func @moe_experts_w2_rank(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                               %w1: tensor<8x128x256xbf16>, %w2: tensor<256x128xbf16>) {
  // expected-error @+1 {{'w2' must have rank 3, got 'tensor<256x128xbf16>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// w3: the encoding is #ds4.quant or none.
func.func @moe_experts_w3_foreign_encoding(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                           %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>, %w3: tensor<8x128x256xbf16, "sparse">) {
  // expected-error @+1 {{'w3' has an encoding that is not #ds4.quant}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w3) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16, "sparse">) -> tensor<?x256xf32>
  return
}

// -----

// w3: a quantized weight holds its encoding's code type.
func.func @moe_experts_w3_code_type(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                    %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>,
                                    %w3: tensor<8x128x256xbf16, #ds4.quant<fp8_e4m3, block = [128, 128]>>) {
  // expected-error @+1 {{'w3' with encoding #ds4.quant<fp8_e4m3, block = [128, 128]> must have element type 'f8E4M3FN', got 'bf16'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w3) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16, #ds4.quant<fp8_e4m3, block = [128, 128]>>) -> tensor<?x256xf32>
  return
}

// -----

// w3: fp4 codes need their block-scale encoding.
func.func @moe_experts_w3_fp4_without_quant(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                            %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>, %w3: tensor<8x128x256xf4E2M1FN>) {
  // expected-error @+1 {{'w3' of 'f4E2M1FN' codes needs a #ds4.quant encoding}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w3) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xf4E2M1FN>) -> tensor<?x256xf32>
  return
}

// -----

// w3: plain weights are bf16 or f32.
func.func @moe_experts_w3_f16(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                              %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>, %w3: tensor<8x128x256xf16>) {
  // expected-error @+1 {{'w3' must be bf16, f32 or block-quantized fp8/fp4, got 'tensor<8x128x256xf16>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w3) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xf16>) -> tensor<?x256xf32>
  return
}

// -----

// w3 is [E, inter, d].
func.func @moe_experts_w3_rank(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                               %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>, %w3: tensor<8x128x256x1xbf16>) {
  // expected-error @+1 {{'w3' must have rank 3, got 'tensor<8x128x256x1xbf16>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w3) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256x1xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// w3 has w1's type.
func.func @moe_experts_w3_type(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                               %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>, %w3: tensor<8x128x256xf32>) {
  // expected-error @+1 {{'w3' type must equal 'w1' type 'tensor<8x128x256xbf16>', got 'tensor<8x128x256xf32>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w3) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xf32>) -> tensor<?x256xf32>
  return
}

// -----

// w2 is [E, d, inter] for w1's E, inter, d.
func.func @moe_experts_w2_shape(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                %w1: tensor<8x128x256xbf16>, %w2: tensor<8x128x256xbf16>) {
  // expected-error @+1 {{'w2' must have shape [8, 256, 128], got 'tensor<8x128x256xbf16>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x128x256xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// x's last dim is the experts' model dim.
func.func @moe_experts_model_dim(%x: tensor<?x128xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                 %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'x' last dim 128 must equal the experts' model dim 256}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x128xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x128xf32>
  return
}

// -----

// Routing weights are f32.
func.func @moe_experts_weights_bf16(%x: tensor<?x256xf32>, %w: tensor<?x2xbf16>, %e: tensor<?x2xi32>,
                                    %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'weights' must be a tensor of f32, got 'tensor<?x2xbf16>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xbf16>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// Routing weights have a topk dim.
func.func @moe_experts_weights_scalar(%x: tensor<?x256xf32>, %w: tensor<f32>, %e: tensor<?x2xi32>,
                                      %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'weights' must have rank >= 1, got 'tensor<f32>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<f32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// Routing weights are [..., topk] with x's leading dims.
func.func @moe_experts_weights_shape(%x: tensor<?x?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x?x2xi32>,
                                     %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'weights' must have shape [?, ?, 2], got 'tensor<?x2xf32>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x?x256xf32>, tensor<?x2xf32>, tensor<?x?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x?x256xf32>
  return
}

// -----

// Expert ids are integers.
func.func @moe_experts_float_ids(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xf32>,
                                 %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'ids' must be a tensor of integers, got 'tensor<?x2xf32>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// Expert ids have the routing weights' shape.
func.func @moe_experts_ids_shape(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x4xi32>,
                                 %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'ids' must have shape [?, 2], got 'tensor<?x4xi32>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x4xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// swiglu_limit is positive.
func.func @moe_experts_limit(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                             %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{'swiglu_limit' must be positive, got 0.000000e+00}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 0.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// act_quant is for quantized experts only.
func.func @moe_experts_act_quant_plain(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                       %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{act_quant applies only to fp8/fp4 experts}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) act_quant <fp8_e4m3, block = 128> {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xf32>
  return
}

// -----

// The result is f32.
func.func @moe_experts_result_bf16(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                   %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{result must be a tensor of f32, got 'tensor<?x256xbf16>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x256xbf16>
  return
}

// -----

// The result has x's shape.
func.func @moe_experts_result_shape(%x: tensor<?x256xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>,
                                    %w1: tensor<8x128x256xbf16>, %w2: tensor<8x256x128xbf16>) {
  // expected-error @+1 {{result must have shape [?, 256], got 'tensor<?x128xf32>'}}
  %y = ds4.moe_experts %x, %w, %e experts(%w1, %w2, %w1) {swiglu_limit = 10.0 : f64}
      : (tensor<?x256xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x256xbf16>, tensor<8x256x128xbf16>, tensor<8x128x256xbf16>) -> tensor<?x128xf32>
  return
}

// -----

// ds4.weight: a stacked quantized weight is [experts, out, in].
func.func @weight_stacked_quant_rank() {
  // expected-error @+1 {{stacked quantized weight 'layers.0.ffn.experts.*.w1.weight' must be [experts, out, in], got 'tensor<8x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>'}}
  %0 = ds4.weight "layers.0.ffn.experts.*.w1.weight" : tensor<8x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>
  return
}

// -----

// ds4.rope: positions are per token, never a scalar.
func.func @rope_scalar_positions(%x: tensor<4x128xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{'positions' must have rank >= 1}}
  %0 = ds4.rope %x at %p <theta = 10000.0, dims = 64> : tensor<4x128xf32>, tensor<i64> -> tensor<4x128xf32>
  return
}

// -----

// ds4.logits: the head is bf16 or f32 (not f16), without encoding.
func.func @logits_f16_head(%x: tensor<?x?x256xf32>, %h: tensor<512x256xf16>) {
  // expected-error @+1 {{'head' must be a plain bf16 or f32 tensor, got 'tensor<512x256xf16>'}}
  %0 = ds4.logits %x, %h : tensor<?x?x256xf32>, tensor<512x256xf16> -> tensor<?x?x512xf32>
  return
}

// -----

// ds4.embedding: a table with a foreign encoding is rejected.
func.func @embedding_foreign_encoding(%t: tensor<512x256xbf16, "foo">, %ids: tensor<?x?xi32>) {
  // expected-error @+1 {{'table' must be a plain bf16 or f32 tensor}}
  %0 = ds4.embedding %t[%ids] : tensor<512x256xbf16, "foo">, tensor<?x?xi32> -> tensor<?x?x256xbf16>
  return
}

// -----

// ds4.compressor: the projections are fp32 (spec 3.3).
func.func @compressor_bf16_kv(%kv: tensor<?x?x256xbf16>, %ape: tensor<4x256xf32>, %norm: tensor<128xbf16>,
                              %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                              %blk: !ds4.state<compressor, ?x8x512, f32, ratio = 4>,
                              %ent: !ds4.state<compressed, ?x?x128, bf16, ratio = 4>) {
  // expected-error @+1 {{'kv' must be a tensor of f32, got 'tensor<?x?x256xbf16>'}}
  %e, %b = ds4.compressor %kv, %kv, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, overlap, rope = #ds4.rope<theta = 160000.0, dims = 64>, eps = 1.0e-6 : f64}
      : tensor<?x?x256xbf16>, tensor<?x?x256xbf16>, tensor<4x256xf32>, tensor<128xbf16>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x8x512, f32, ratio = 4>, !ds4.state<compressed, ?x?x128, bf16, ratio = 4>
  return
}

// -----

// ds4.quantize: rest_bf16 needs pass-through channels in simulate mode.
func.func @quantize_rest_bf16_nothing_left(%x: tensor<?x128xf32>) {
  // expected-error @+1 {{rest_bf16 rounds the channels past 'channels' in simulate mode; there are none here}}
  %0 = ds4.quantize %x simulate fp8_e4m3 block 64 rest_bf16 : tensor<?x128xf32> -> tensor<?x128xf32>
  return
}

// -----

// ds4.memory_plan (ds4-memory-plan) counts an entry's buffers.
// expected-error @+1 {{'ds4.memory_plan' must be a dictionary {buffers, unplanned} of integers, got {buffers = 3 : i64}}}
func.func @memory_plan_incomplete() attributes {ds4.memory_plan = {buffers = 3 : i64}} {
  return
}

// -----

// expected-error @+1 {{'ds4.memory_plan' belongs on a function}}
module attributes {ds4.memory_plan = {buffers = 0 : i64, unplanned = 0 : i64}} {
}

// Loop structure of the CPU lowering (ds4-lower-to-loops) that the GPU mapping
// relies on: every op's outermost band of independent iterations is ONE
// top-level scf.parallel (one GPU thread per iteration; the CPU runs it as
// nested loops), reductions and order-dependent steps stay scf.for inside it,
// and per-iteration scratch is a static memref.alloc inside the body.
// RUN: ds4-opt %s --ds4-lower-to-loops | FileCheck %s

// act_quant: x is rounded by its own scf.parallel (rows x blocks), then the
// product: with at least 8 rows, tiles of 8 rows x outputs (8 sums sharing
// each weight load, one split reduction over `in`), else rows x outputs.
// CHECK-LABEL: func.func @linear_act_quant
// CHECK:       %[[XQ:.*]] = memref.alloc({{.*}}) : memref<?x?x8xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK:         scf.for
// CHECK:         memref.store {{.*}}, %[[XQ]]
// CHECK:         scf.reduce
// CHECK:       %[[TILED:.*]] = arith.cmpi uge, %{{.*}}, %c8
// CHECK:       scf.if %[[TILED]] {
// CHECK:         scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} to ({{.*}}, %c4{{.*}}) step
// CHECK:           scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-8:     memref.load %[[XQ]]
// CHECK:           } {ds4.split_reduction = 16 : i64}
// CHECK:           scf.reduce
// CHECK:       } else {
// CHECK:         scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to ({{.*}}, %c4{{.*}}) step
// CHECK:           memref.load %[[XQ]]
// CHECK:           } {ds4.split_reduction = 16 : i64}
// CHECK:           scf.reduce
// CHECK:       return
func.func @linear_act_quant(%x: tensor<?x?x8xf32>, %w: tensor<4x8xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [2, 4]>>) -> tensor<?x?x4xf32> {
  %y = ds4.linear %x, %w act_quant <fp8_e4m3, block = 4> : tensor<?x?x8xf32>, tensor<4x8xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [2, 4]>> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// Per row the sum of squares (a split reduction, 4 f32 per lane step) and
// its rsqrt into a buffer, then one iteration per element.
// CHECK-LABEL: func.func @rms_norm
// CHECK:       %[[INV:.*]] = memref.alloc({{.*}}) : memref<?x?xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK:         scf.for {{.*}} iter_args
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK:         math.rsqrt
// CHECK-NEXT:    memref.store %{{.*}}, %[[INV]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to ({{.*}}, %c8{{.*}}) step
// CHECK-NOT:     scf.for
// CHECK:         memref.load %[[INV]]
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @rms_norm(%x: tensor<?x?x8xf32>, %w: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %n = ds4.rms_norm %x weight %w eps 1.0e-6 : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
  return %n : tensor<?x?x8xf32>
}

// One iteration per output element; the frequency is a switch on the pair,
// not a table in memory.
// CHECK-LABEL: func.func @rope
// CHECK-NOT:   memref.alloc() : memref<2xf64>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK:         scf.index_switch
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @rope(%x: tensor<?x?x2x6xf32>, %pos: tensor<?x?xi32>) -> tensor<?x?x2x6xf32> {
  %y = ds4.rope %x at %pos <theta = 10000.0, dims = 4> : tensor<?x?x2x6xf32>, tensor<?x?xi32> -> tensor<?x?x2x6xf32>
  return %y : tensor<?x?x2x6xf32>
}

// One iteration per row with its own static f64 copy of the row.
// CHECK-LABEL: func.func @hadamard
// CHECK:       scf.parallel (%{{[^)]*}}) = {{.*}} {
// CHECK-NEXT:    memref.alloc() : memref<8xf64>
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @hadamard(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = ds4.hadamard %x : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// Rows x blocks, then rows x the channels past `channels`.
// CHECK-LABEL: func.func @quantize_simulate
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c2{{.*}}) step
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @quantize_simulate(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %y = ds4.quantize %x simulate fp8_e4m3 block 4 channels 8 rest_bf16 : tensor<?x10xf32> -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// Batch rows x ring rows x rounding groups (fp8_nope 64 + 4 rope: 1 block +
// 4 dims); each iteration finds the last token of its ring row.
// CHECK-LABEL: func.func @window_update
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c4{{.*}}, %c5{{.*}}) step
// CHECK-NEXT:    %[[NONE:.*]] = arith.constant -1 : index
// CHECK:         scf.for {{.*}} iter_args({{.*}} = %[[NONE]]) -> (index)
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @window_update(%kv: tensor<?x?x68xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>, %win: !ds4.state<window, ?x4x68, fp8_nope, rope = 4>) -> !ds4.state<window, ?x4x68, fp8_nope, rope = 4> {
  %w = ds4.window_update %kv into %win at %pos slots %slots : tensor<?x?x68xf32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<window, ?x4x68, fp8_nope, rope = 4>
  return %w : !ds4.state<window, ?x4x68, fp8_nope, rope = 4>
}

// No token recurrence: phases over (batch row, emitted entry e < ceil(S/4)):
// pool (x channel), rmsnorm (per entry, into a host buffer), scale + rope
// (x unit: 2 nope channels, 2 rope pairs), Hadamard (x column, into a host
// buffer), storage rounding (x group); then the new block state (x row x
// column; no rows when S = 0). No top-level scf.for, no per-iteration alloc.
// CHECK-LABEL: func.func @compressor
// CHECK:       %[[E:.*]] = arith.ceildivui %{{.*}}, %c4 : index
// CHECK-NOT:   scf.for
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%[[B:[^,]*]], %[[E]], %c8{{[_0-9]*}}) step
// CHECK-NOT:   memref.alloc
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  %[[INV:.*]] = memref.alloc(%[[B]], %[[E]]) : memref<?x?xf32>
// CHECK-NEXT:  %{{.*}} = arith.constant 0 : index
// CHECK-NEXT:  %{{.*}} = arith.constant 1 : index
// CHECK-NEXT:  scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%[[B]], %[[E]]) step
// CHECK:         memref.store %{{.*}}, %[[INV]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%[[B]], %[[E]], %c6{{[_0-9]*}}) step
// CHECK:         memref.load %[[INV]]
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  %[[ROT:.*]] = memref.alloc(%[[B]], %[[E]]) : memref<?x?x8xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%[[B]], %[[E]], %c8{{[_0-9]*}}) step
// CHECK:         memref.store %{{.*}}, %[[ROT]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%[[B]], %[[E]], %c8{{[_0-9]*}}) step
// CHECK:         memref.load %[[ROT]]
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK:       %[[ROWS:.*]] = arith.select %{{.*}}, %[[B]], %{{.*}} : index
// CHECK-NOT:   scf.for
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%[[ROWS]], %c4{{[_0-9]*}}, %c32{{[_0-9]*}}) step
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @compressor(%kv: tensor<?x?x16xf32>, %gate: tensor<?x?x16xf32>, %ape: tensor<4x16xf32>, %norm: tensor<8xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                      %blk: !ds4.state<compressor, ?x8x32, f32, ratio = 4>, %ent: !ds4.state<indexer_keys, ?x?x8, f32, ratio = 4>)
    -> (!ds4.state<indexer_keys, ?x?x8, f32, ratio = 4>, !ds4.state<compressor, ?x8x32, f32, ratio = 4>) {
  %e, %b = ds4.compressor %kv, %gate, %ape, %norm at %pos slots %slots state(%blk, %ent) {ratio = 4 : i64, overlap, rotate, rope = #ds4.rope<theta = 160000.0, dims = 4>, eps = 1.0e-6 : f64}
      : tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<4x16xf32>, tensor<8xf32>, tensor<?x?xi64>, tensor<?xi32>, !ds4.state<compressor, ?x8x32, f32, ratio = 4>, !ds4.state<indexer_keys, ?x?x8, f32, ratio = 4>
  return %e, %b : !ds4.state<indexer_keys, ?x?x8, f32, ratio = 4>, !ds4.state<compressor, ?x8x32, f32, ratio = 4>
}

// One iteration per score.
// CHECK-LABEL: func.func @indexer_score
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @indexer_score(%q: tensor<?x?x2x8xf32>, %w: tensor<?x?x2xf32>, %keys: !ds4.state<indexer_keys, ?x?x8, f32, ratio = 4>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) -> tensor<?x?x?xf32> {
  %s = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.25 : f64}
      : tensor<?x?x2x8xf32>, tensor<?x?x2xf32>, !ds4.state<indexer_keys, ?x?x8, f32, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x?xf32>
  return %s : tensor<?x?x?xf32>
}

// Per radix pass (8 of 4 key bits), segments of a row: from the second
// pass on, the previous pass's digit (a split sum of its 16 digit counts
// over the segments; segment 0 records it), then the 16 digit counts of the
// segment (4 i64 words, one split count) into the pass's histogram set;
// rows: the last digit, into the state scratch; then the tie cut
// (segments: the keys equal to T; rows: L by bisection), segments (selected
// counts); then the selection in index order: with 8 or more rows one
// iteration per segment walks its candidates after the earlier segments'
// count, else one per candidate counts its position; then slots past kk
// get -1.
// CHECK-LABEL: func.func @topk
// CHECK:       %[[OUT:.*]] = memref.alloc({{.*}}) : memref<?x?x4xi32>
// CHECK:       %[[STATE:.*]] = memref.alloc({{.*}}) : memref<?x?x4xi32>
// CHECK:       %[[HIST:.*]] = memref.alloc({{.*}}) : memref<?x?x2x16x1xi32>
// CHECK:       %[[DECIDED:.*]] = memref.alloc({{.*}}) : memref<?x?x8x2xi32>
// CHECK-NOT:   memref.alloc
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} step
// CHECK-NOT:     memref.load %[[HIST]]
// CHECK:         scf.for {{.*}} -> (i64, i64, i64, i64) {
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK-COUNT-16: memref.store %{{.*}}, %[[HIST]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} step
// CHECK:         scf.for {{.*}} -> (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) {
// CHECK-COUNT-16:  memref.load %[[HIST]]
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK:         scf.if
// CHECK:           memref.store %{{.*}}, %[[DECIDED]]
// CHECK:           memref.store %{{.*}}, %[[DECIDED]]
// CHECK:         scf.for {{.*}} -> (i64, i64, i64, i64) {
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK-COUNT-16: memref.store %{{.*}}, %[[HIST]]
// CHECK-COUNT-6: scf.for {{.*}} -> (i64, i64, i64, i64) {
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} step
// CHECK:         scf.if {{.*}} -> (i32, i32, i32) {
// CHECK:           memref.load %[[DECIDED]]
// CHECK:           } {ds4.split_reduction = 4 : i64}
// CHECK-COUNT-3: memref.store %{{.*}}, %[[STATE]]
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} step
// CHECK:         scf.if
// CHECK:           scf.for {{.*}} -> (i32) {
// CHECK:           } {ds4.split_reduction = 4 : i64}
// CHECK:           memref.store %{{.*}}, %[[HIST]]
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} step
// CHECK:         scf.if {{.*}} -> (index) {
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c32{{.*}} -> (index) {
// CHECK:             } {ds4.split_reduction = 4 : i64}
// CHECK:             } {ds4.split_reduction = 4 : i64}
// CHECK:         memref.store %{{.*}}, %[[STATE]]
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} step
// CHECK:           } {ds4.split_reduction = 4 : i64}
// CHECK:           memref.store %{{.*}}, %[[HIST]]
// CHECK:       arith.cmpi uge, %{{.*}}, %c8
// CHECK:       scf.if
// CHECK:         scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} step
// CHECK-NOT:       split_reduction
// CHECK:           scf.for {{.*}} -> (i32) {
// CHECK:             memref.load %[[HIST]]
// CHECK:           scf.for {{.*}} -> (i32) {
// CHECK:             scf.if
// CHECK:               memref.store %{{.*}}, %[[OUT]]
// CHECK:       } else {
// CHECK:         scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c5{{.*}}) step
// CHECK:           scf.if
// CHECK:             scf.if
// CHECK:               } {ds4.split_reduction = 4 : i64}
// CHECK:               } {ds4.split_reduction = 4 : i64}
// CHECK:               memref.store %{{.*}}, %[[OUT]]
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c4{{.*}}) step
// CHECK-NOT:     split_reduction
// CHECK:         scf.if
// CHECK:           memref.store %{{.*}}, %[[OUT]]
// CHECK:       scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @topk(%s: tensor<?x?x5xf32>, %pos: tensor<?x?xi64>) -> tensor<?x?x4xi32> {
  %sel = ds4.topk %s at %pos {k = 4 : i64, ratio = 4 : i64} : tensor<?x?x5xf32>, tensor<?x?xi64> -> tensor<?x?x4xi32>
  return %sel : tensor<?x?x4xi32>
}

// Logits (b, j, h, W + k = 4 + 3 slots) into a buffer, then per query the
// maximum and the denominator (split reductions), then (b, j, h, slot) the
// probabilities in place, then (b, j, h, 8 slot ranges (1 with 8 or more
// query rows), d) partial weighted sums and (b, j, h, d) their total. No per-iteration scratch.
// CHECK-LABEL: func.func @sparse_attention_csa
// CHECK:       %[[O:.*]] = memref.alloc({{.*}}) : memref<?x?x2x8xf32>
// CHECK:       %[[Z:.*]] = memref.alloc({{.*}}) : memref<?x?x2x7xf32>
// CHECK:       %[[DEN:.*]] = memref.alloc({{.*}}) : memref<?x?x2xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}, %c7{{.*}}) step
// CHECK-NOT:     memref.alloc
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK:         memref.store %{{.*}}, %[[Z]]
// CHECK:         scf.reduce
// CHECK:       %[[MX:.*]] = memref.alloc({{.*}}) : memref<?x?x2xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}) step
// CHECK:         scf.for {{.*}} -> (f32)
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK:         memref.store %{{.*}}, %[[MX]]
// CHECK:         memref.store %{{.*}}, %[[DEN]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}, %c7{{.*}}) step
// CHECK:         memref.load %[[MX]]
// CHECK:         memref.load %[[DEN]]
// CHECK:         memref.store %{{.*}}, %[[Z]]
// CHECK:         scf.reduce
// CHECK:       %[[PART:.*]] = memref.alloc({{.*}}) : memref<?x?x2x?x8xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}, %{{.*}}, %c8{{.*}}) step
// CHECK-NOT:     memref.alloc
// CHECK:         memref.load %[[Z]]
// CHECK:         memref.store %{{.*}}, %[[PART]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}, %c8{{.*}}) step
// CHECK:         memref.load %[[PART]]
// CHECK:         memref.store %{{.*}}, %[[O]]
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @sparse_attention_csa(%q: tensor<?x?x2x8xf32>, %kv: tensor<?x?x8xf32>, %win: !ds4.state<window, ?x4x8, f32>, %ent: !ds4.state<compressed, ?x?x8, f32, ratio = 4>,
                                %sel: tensor<?x?x3xi32>, %sink: tensor<2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) -> tensor<?x?x2x8xf32> {
  %o = ds4.sparse_attention %q, %kv window %win entries %ent select %sel sink %sink at %pos slots %slots {scale = 0.35 : f64}
      : (tensor<?x?x2x8xf32>, tensor<?x?x8xf32>, !ds4.state<window, ?x4x8, f32>, !ds4.state<compressed, ?x?x8, f32, ratio = 4>, tensor<?x?x3xi32>, tensor<2xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x2x8xf32>
  return %o : tensor<?x?x2x8xf32>
}

// HCA over entries of dynamic rows: the logits buffer has W + rows slots
// (dynamic), the same bands.
// CHECK-LABEL: func.func @sparse_attention_hca
// CHECK:       memref.alloc({{.*}}) : memref<?x?x2x8xf32>
// CHECK:       %[[Z:.*]] = memref.alloc(%{{.*}}, %{{.*}}, %[[SLOTS:.*]]) : memref<?x?x2x?xf32>
// CHECK:       memref.alloc({{.*}}) : memref<?x?x2xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}, %[[SLOTS]]) step
// CHECK-NOT:     memref.alloc
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}) step
// CHECK-NOT:     memref.alloc
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}, %{{.*}}, %c8{{.*}}) step
// CHECK-NOT:     memref.alloc
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %c2{{.*}}, %c8{{.*}}) step
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @sparse_attention_hca(%q: tensor<?x?x2x8xf32>, %kv: tensor<?x?x8xf32>, %win: !ds4.state<window, ?x4x8, f32>, %ent: !ds4.state<compressed, ?x?x8, f32, ratio = 8>,
                                %sink: tensor<2xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) -> tensor<?x?x2x8xf32> {
  %o = ds4.sparse_attention %q, %kv window %win entries %ent sink %sink at %pos slots %slots {scale = 0.35 : f64}
      : (tensor<?x?x2x8xf32>, tensor<?x?x8xf32>, !ds4.state<window, ?x4x8, f32>, !ds4.state<compressed, ?x?x8, f32, ratio = 8>, tensor<2xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x2x8xf32>
  return %o : tensor<?x?x2x8xf32>
}

// Scores (tokens x experts, the dot a split reduction) into a buffer, then
// per token the softmax, the sequential top-k picks and the weights.
// CHECK-LABEL: func.func @moe_gate
// CHECK:       %[[S:.*]] = memref.alloc({{.*}}) : memref<?x6xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c6{{.*}}) step
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK:         memref.store {{.*}}, %[[S]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^)]*}}) = {{.*}} {
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @moe_gate(%x: tensor<?x4xf32>, %gate: tensor<6x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %w, %i = ds4.moe_gate %x, %gate {score_func = #ds4.score_func<softmax>, topk = 2 : i64, route_scale = 2.0 : f64}
      : (tensor<?x4xf32>, tensor<6x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}

// h (tokens x topk x inter) into a buffer, then each expert's output
// (tokens x topk x channels) into a buffer, then tokens x channels summing
// the experts in order.
// CHECK-LABEL: func.func @moe_experts
// CHECK:       %[[H:.*]] = memref.alloc({{.*}}) : memref<?x2x3xf32>
// CHECK:       %[[Y:.*]] = memref.alloc({{.*}}) : memref<?x2x4xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK:         memref.store {{.*}}, %[[H]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK:         memref.load %[[H]]
// CHECK:         memref.store {{.*}}, %[[Y]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK:         memref.load %[[Y]]
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @moe_experts(%x: tensor<?x4xf32>, %rw: tensor<?x2xf32>, %ids: tensor<?x2xi32>, %w1: tensor<6x3x4xf32>, %w2: tensor<6x4x3xf32>, %w3: tensor<6x3x4xf32>) -> tensor<?x4xf32> {
  %y = ds4.moe_experts %x, %rw, %ids experts(%w1, %w2, %w3) {swiglu_limit = 1.0 : f64}
      : (tensor<?x4xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<6x3x4xf32>, tensor<6x4x3xf32>, tensor<6x3x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// hc_pre: mix in two launches, (tokens x 15 rows x 1 part) each a split
// reduction over its part of n * d with two sums (squares, dot), then tokens
// x rows adding the parts; then per token post and the Sinkhorn
// combination; then tokens x channels.
// CHECK-LABEL: func.func @hc_pre
// CHECK:       %[[MIX:.*]] = memref.alloc({{.*}}) : memref<?x15xf32>
// CHECK:       %[[PART:.*]] = memref.alloc({{.*}}) : memref<?x15x1x2xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c15{{.*}}, %c1{{.*}}) step
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (f32, f32)
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK:         memref.store %{{.*}}, %[[PART]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c15{{.*}}) step
// CHECK:         memref.load %[[PART]]
// CHECK:         memref.store %{{.*}}, %[[MIX]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^)]*}}) = {{.*}} {
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c2{{.*}}) step
// CHECK:         memref.load %[[MIX]]
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @hc_pre(%H: tensor<?x3x2xf32>, %fn: tensor<15x6xf32>, %base: tensor<15xf32>, %scale: tensor<3xf32>) -> (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3x3xf32>) {
  %x, %post, %comb = ds4.hc_pre %H, %fn, %base, %scale {sinkhorn_iters = 4 : i64, hc_eps = 1.0e-3 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x3x2xf32>, tensor<15x6xf32>, tensor<15xf32>, tensor<3xf32>) -> (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3x3xf32>)
  return %x, %post, %comb : tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3x3xf32>
}

// hc_head: mix (tokens x n x parts, split reductions; then tokens x n),
// then tokens x channels.
// CHECK-LABEL: func.func @hc_head
// CHECK:       %[[MIX:.*]] = memref.alloc({{.*}}) : memref<?x3xf32>
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c3{{.*}}, %c1{{.*}}) step
// CHECK:         } {ds4.split_reduction = 4 : i64}
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c3{{.*}}) step
// CHECK:         memref.store %{{.*}}, %[[MIX]]
// CHECK:         scf.reduce
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} to (%{{.*}}, %c2{{.*}}) step
// CHECK:         memref.load %[[MIX]]
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @hc_head(%H: tensor<?x3x2xf32>, %fn: tensor<3x6xf32>, %base: tensor<3xf32>, %scale: tensor<1xf32>) -> tensor<?x2xf32> {
  %y = ds4.hc_head %H, %fn, %base, %scale {hc_eps = 1.0e-3 : f64, norm_eps = 1.0e-6 : f64}
      : (tensor<?x3x2xf32>, tensor<3x6xf32>, tensor<3xf32>, tensor<1xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// An elementwise tensor op in an entry function: all dims.
// CHECK-LABEL: func.func @addf
// CHECK:       scf.parallel (%{{[^,]*}}, %{{[^)]*}}) = {{.*}} {
// CHECK-NOT:     scf.for
// CHECK:         scf.reduce
// CHECK-NEXT:  }
// CHECK-NEXT:  return
func.func @addf(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c = arith.addf %a, %b : tensor<?x4xf32>
  return %c : tensor<?x4xf32>
}

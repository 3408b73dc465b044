// ds4-lower-to-loops with tensor-cores=true (the sm_90a pipeline): linear and
// logits keep the per-output warp reduction for fewer than 8 rows (decode)
// and become warp tiles of mma.sync for prefill. k = 80 is one full chunk of
// 64 and a masked tail of 16. Then ds4-map-to-gpu gives each warp tile a
// whole warp. Without the option (the CPU) nothing of the GPU appears.
// RUN: ds4-opt %s --ds4-lower-to-loops="tensor-cores=true" | FileCheck %s
// RUN: ds4-opt %s --ds4-lower-to-loops="tensor-cores=true" --ds4-map-to-gpu | FileCheck %s --check-prefix=MAPPED
// RUN: ds4-opt %s --ds4-lower-to-loops | FileCheck %s --check-prefix=CPU
// The GPU pipeline also groups the routed experts' decode outputs 4 per warp.
// RUN: ds4-opt %s --ds4-lower-to-loops="tensor-cores=true outputs-per-warp=4" | FileCheck %s --check-prefix=GROUPED
// RUN: not ds4-opt %s --ds4-lower-to-loops="outputs-per-warp=0" 2>&1 | FileCheck %s --check-prefix=BADGROUP

// CHECK-LABEL: func.func @project
// CHECK: arith.muli
// CHECK: %[[ROWS:.+]] = arith.muli
// CHECK: %[[TILED:.+]] = arith.cmpi uge, %[[ROWS]], %c8
// CHECK: scf.if %[[TILED]]
// The activations split once into 3 bf16 planes of column pairs, padded with
// zeros to whole chunks (k = 80 -> 128 columns, 64 pairs).
// CHECK: %[[PLANES:.+]] = memref.alloc({{.*}}) : memref<3x?x64xi32>
// CHECK: scf.parallel
// CHECK: memref.store {{.*}}, %[[PLANES]]
// Warp tiles of 64 rows x 32 outputs: 40 outputs -> 2 output tiles.
// CHECK: %[[RT:.+]] = arith.ceildivui %[[ROWS]], %c64
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%[[RT]], %c1{{(_[0-9]+)?}}, %c2)
// CHECK: gpu.lane_id
// The full chunks: 16 mma per k-step of 16, 4 steps, 3 bf16 parts (f32 activations).
// CHECK: scf.for {{.*}} = %c0{{(_[0-9]+)?}} to %c64{{(_[0-9]+)?}} step %c64
// CHECK-COUNT-192: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK: scf.yield
// The masked tail chunk.
// CHECK-COUNT-192: nvvm.mma.sync
// CHECK: memref.store
// CHECK: } {ds4.warp_iteration}
// CHECK: } else {
// CHECK: scf.parallel
// CHECK-NOT: nvvm.mma.sync
// CHECK: ds4.split_reduction = 8
func.func @project(%x: tensor<?x?x80xf32>, %w: tensor<40x80xbf16>) -> tensor<?x?x40xf32> {
  %y = ds4.linear %x, %w : tensor<?x?x80xf32>, tensor<40x80xbf16> -> tensor<?x?x40xf32>
  return %y : tensor<?x?x40xf32>
}

// Rows rounded through e4m3 (deploy) are exact in bf16: one part, 64 mma per chunk.
// CHECK-LABEL: func.func @project_quantized
// CHECK: scf.for {{.*}} to %c128{{(_[0-9]+)?}} step %c64
// CHECK-COUNT-64: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: scf.yield
func.func @project_quantized(%x: tensor<?x128xf32>, %w: tensor<40x128xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>>) -> tensor<?x40xf32> {
  %y = ds4.linear %x, %w act_quant <fp8_e4m3, block = 128> : tensor<?x128xf32>, tensor<40x128xf8E4M3FN, #ds4.quant<fp8_e4m3, block = [128, 128]>> -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// MAPPED-LABEL: func.func @project
// MAPPED: scf.if
// The activations' bf16 planes: a thread per (row, column pair).
// MAPPED: gpu.launch
// MAPPED: arith.truncf {{.*}} to bf16
// One warp per tile: threads = tiles * 32.
// MAPPED: arith.muli %{{.+}}, %c32
// MAPPED: gpu.launch
// MAPPED: gpu.lane_id
// MAPPED: nvvm.mma.sync

// CPU-LABEL: func.func @project
// CPU-NOT: nvvm
// CPU-NOT: gpu.
// CPU-NOT: ds4.warp_iteration
// CPU: return

// Routed experts: with at least 8 tokens the routes are grouped by expert
// (counts as a split reduction, prefix sums in one thread, lists a thread per
// expert), then two warp-tile loops: gate and up (w1 and w3 rows side by
// side, the swiglu in registers) and down. 3 bf16 parts (exact mode): 192
// mma per chunk, one chunk of 64 along dim = 64 and inter = 64.
// CHECK-LABEL: func.func @experts
// CHECK: %[[ROWS:.+]] = arith.muli %{{.*}}, %dim
// CHECK: arith.cmpi uge, %[[ROWS]], %c8
// CHECK: scf.if
// CHECK: ds4.split_reduction = 4
// CHECK: scf.for
// CHECK: memref.store {{.*}} : memref<9xindex>
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: scf.if
// CHECK: memref.store {{.*}} : memref<?xindex>
// CHECK: scf.parallel
// CHECK: gpu.lane_id
// CHECK-COUNT-192: nvvm.mma.sync
// CHECK: math.tanh
// CHECK: } {ds4.warp_iteration}
// CHECK: scf.parallel
// CHECK: gpu.lane_id
// CHECK-COUNT-192: nvvm.mma.sync
// CHECK: } {ds4.warp_iteration}
// CHECK: } else {
// CHECK-NOT: nvvm.mma.sync
// CHECK: ds4.split_reduction = 32
// Decode (else branch) with outputs-per-warp=4: per route 4 outputs of gate
// and up (8 sums in one split reduction over dim = 64 fp4 weights), then 4
// channels of down (4 sums over inter).
// GROUPED-LABEL: func.func @experts
// GROUPED: } else {
// GROUPED: scf.parallel ({{.*}}) = ({{.*}}) to (%{{.*}}, %c2{{(_[0-9]+)?}}, %{{.*}})
// GROUPED: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32)
// GROUPED: } {ds4.split_reduction = 32 : i64}
// GROUPED: scf.parallel
// GROUPED: scf.for {{.*}} -> (f32, f32, f32, f32)
// GROUPED: } {ds4.split_reduction = 32 : i64}
// BADGROUP: error: ds4-lower-to-loops: outputs-per-warp must be at least 1
// Blocks of 2 columns cannot feed a lane's run of 16 weights: no warp tiles.
// CHECK-LABEL: func.func @experts_narrow_blocks
// CHECK-NOT: nvvm.mma.sync
// CHECK: return
func.func @experts(%x: tensor<?x64xf32>, %rw: tensor<?x2xf32>, %ids: tensor<?x2xi32>,
                   %w1: tensor<8x64x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>,
                   %w2: tensor<8x64x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>,
                   %w3: tensor<8x64x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>) -> tensor<?x64xf32> {
  %y = ds4.moe_experts %x, %rw, %ids experts(%w1, %w2, %w3) {swiglu_limit = 4.0 : f64}
      : (tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x64x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>, tensor<8x64x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>, tensor<8x64x64xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 32]>>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

func.func @experts_narrow_blocks(%x: tensor<?x4xf32>, %rw: tensor<?x2xf32>, %ids: tensor<?x2xi32>,
                   %w1: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>,
                   %w2: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>,
                   %w3: tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>) -> tensor<?x4xf32> {
  %y = ds4.moe_experts %x, %rw, %ids experts(%w1, %w2, %w3) {swiglu_limit = 4.0 : f64}
      : (tensor<?x4xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>, tensor<2x4x4xf4E2M1FN, #ds4.quant<fp4_e2m1, block = [1, 2]>>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// grouped_linear (wo_a): warp tiles per (row tile, group, output tile); with
// compute bf16 the rows are rounded to bf16 (one part: 64 mma per chunk) and
// the sums after.
// CHECK-LABEL: func.func @grouped
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%{{.*}}, %c4{{(_[0-9]+)?}}, %c1{{(_[0-9]+)?}})
// CHECK: scf.for {{.*}} to %c64{{(_[0-9]+)?}} step %c64
// CHECK-COUNT-64: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: scf.yield
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: } {ds4.warp_iteration}
func.func @grouped(%x: tensor<?x?x4x64xf32>, %w: tensor<128x64xbf16>) -> tensor<?x?x4x32xf32> {
  %y = ds4.grouped_linear %x, %w compute bf16 : tensor<?x?x4x64xf32>, tensor<128x64xbf16> -> tensor<?x?x4x32xf32>
  return %y : tensor<?x?x4x32xf32>
}

// sparse_attention (CSA: window ring, this call's kv, selected compressed
// entries): with at least 8 query rows the logits are warp tiles of 64 heads
// x 32 slots. q is split into 3 bf16 planes (D = 64: 32 pairs) and so is
// every kv row as it is read (f32 state): 6 products of parts per k-step,
// 384 mma per chunk. Unused slots get -inf. Then, after the softmax, the
// values: o [heads, D] = p [heads, slots] x kv_set [slots, D], warp tiles
// of 64 heads x 32 channels: p split into planes (W + k = 24 slots: one
// masked chunk, 32 pairs), the kv channel of 16 slots gathered per run
// (W = 16: a run is all window -- both sources read, selected -- or all
// compressed), 384 mma, o stored by the epilogue. Decode keeps the loops.
// CHECK-LABEL: func.func @attention
// CHECK: arith.cmpi uge, %{{.*}}, %c8
// CHECK: scf.if
// CHECK: memref.alloc({{.*}}) : memref<3x?x32xi32>
// CHECK: scf.parallel
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: gpu.lane_id
// CHECK-COUNT-384: nvvm.mma.sync
// CHECK: scf.yield
// CHECK: 0xFF800000
// CHECK: } {ds4.warp_iteration}
// CHECK: } else {
// CHECK-NOT: nvvm.mma.sync
// CHECK: ds4.split_reduction
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: arith.cmpi uge, %{{.*}}, %c8
// CHECK: scf.if
// CHECK: memref.alloc({{.*}}) : memref<3x?x32xi32>
// CHECK: gpu.lane_id
// CHECK: scf.if %{{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: arith.remui
// CHECK: } else {
// CHECK: arith.cmpi sge
// CHECK-COUNT-384: nvvm.mma.sync
// CHECK: memref.store
// CHECK: } {ds4.warp_iteration}
// CHECK: } else {
// CHECK-NOT: nvvm.mma.sync
// CHECK: return
func.func @attention(%q: tensor<?x?x4x64xf32>, %kv: tensor<?x?x64xf32>,
                     %win: !ds4.state<window, 2x16x64, f32>,
                     %e: !ds4.state<compressed, 2x16x64, f32, ratio = 4>,
                     %sel: tensor<?x?x8xi32>, %sink: tensor<4xf32>,
                     %pos: tensor<?x?xi64>, %slots: tensor<?xi32>) -> tensor<?x?x4x64xf32> {
  %o = ds4.sparse_attention %q, %kv window %win entries %e select %sel sink %sink at %pos slots %slots {scale = 0.125 : f64}
      : (tensor<?x?x4x64xf32>, tensor<?x?x64xf32>, !ds4.state<window, 2x16x64, f32>, !ds4.state<compressed, 2x16x64, f32, ratio = 4>, tensor<?x?x8xi32>, tensor<4xf32>, tensor<?x?xi64>, tensor<?xi32>) -> tensor<?x?x4x64xf32>
  return %o : tensor<?x?x4x64xf32>
}

// indexer_score: on the GPU always warp tiles (decode included) of 64
// heads x 32 entries, the heads fitting one tile (16 here). q and every key
// row are split into 3 bf16 parts (ID = 64: one chunk, 384 mma). A tile
// wholly past the query's causal limit skips the products (scf.if with the
// 64 accumulators). The epilogue weighs relu(q . k) per head, adds the
// lane's heads and then the 8 lanes of an entry (xor 4, 8, 16), and the
// first lane of the entry stores (-inf past the limit). The CPU keeps one
// iteration per score.
// CHECK-LABEL: func.func @indexer
// CHECK-NOT: ds4.split_reduction
// CHECK: memref.alloc({{.*}}) : memref<3x?x32xi32>
// CHECK: gpu.lane_id
// CHECK: scf.if %{{.*}} -> (f32
// CHECK-COUNT-384: nvvm.mma.sync
// CHECK: } else {
// CHECK: arith.maximumf
// CHECK: gpu.shuffle  xor %{{.*}}, %c4_i32
// CHECK: gpu.shuffle  xor %{{.*}}, %c8_i32
// CHECK: gpu.shuffle  xor %{{.*}}, %c16_i32
// CHECK: scf.if
// CHECK: arith.select
// CHECK: memref.store
// CHECK: } {ds4.warp_iteration}
// CHECK-NOT: ds4.split_reduction
// CHECK: return
// CPU-LABEL: func.func @indexer
// CPU-NOT: gpu.
// CPU: ds4.split_reduction
// CPU: return
func.func @indexer(%q: tensor<?x?x16x64xf32>, %w: tensor<?x?x16xf32>, %pos: tensor<?x?xi64>, %slots: tensor<?xi32>,
                   %keys: !ds4.state<indexer_keys, 2x40x64, f32, ratio = 4>) -> tensor<?x?x40xf32> {
  %0 = ds4.indexer_score %q, %w keys %keys at %pos slots %slots {scale = 0.088 : f64}
      : tensor<?x?x16x64xf32>, tensor<?x?x16xf32>, !ds4.state<indexer_keys, 2x40x64, f32, ratio = 4>, tensor<?x?xi64>, tensor<?xi32> -> tensor<?x?x40xf32>
  return %0 : tensor<?x?x40xf32>
}

// RUN: ds4-opt %s --ds4-cleanup --split-input-file | FileCheck %s
// RUN: ds4-opt %s --ds4-cleanup=merge-duplicates=false --split-input-file | FileCheck %s --check-prefix=NOMERGE

// A forward rope undone by its inverse at the same positions disappears.
// CHECK-LABEL: func.func @rope_inverse_pair
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4x128xf32>, %[[P:.*]]: tensor<?x?xi64>)
// CHECK-NOT: ds4.rope
// CHECK: return %[[X]]
func.func @rope_inverse_pair(%x: tensor<?x?x4x128xf32>, %p: tensor<?x?xi64>) -> tensor<?x?x4x128xf32> {
  %r = ds4.rope %x at %p <theta = 10000.0, dims = 64> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xf32>
  %i = ds4.rope %r at %p <theta = 10000.0, dims = 64, inverse = true> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xf32>
  return %i : tensor<?x?x4x128xf32>
}

// -----

// Different positions (or parameters) must not fold.
// CHECK-LABEL: func.func @rope_other_positions
// CHECK: %[[R:.*]] = ds4.rope
// CHECK: %[[I:.*]] = ds4.rope %[[R]]
// CHECK: return %[[I]]
func.func @rope_other_positions(%x: tensor<?x?x4x128xf32>, %p: tensor<?x?xi64>, %q: tensor<?x?xi64>) -> tensor<?x?x4x128xf32> {
  %r = ds4.rope %x at %p <theta = 10000.0, dims = 64> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xf32>
  %i = ds4.rope %r at %q <theta = 10000.0, dims = 64, inverse = true> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xf32>
  return %i : tensor<?x?x4x128xf32>
}

// -----

// CHECK-LABEL: func.func @rope_other_theta
// CHECK-COUNT-2: ds4.rope
func.func @rope_other_theta(%x: tensor<?x?x4x128xf32>, %p: tensor<?x?xi64>) -> tensor<?x?x4x128xf32> {
  %r = ds4.rope %x at %p <theta = 10000.0, dims = 64> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xf32>
  %i = ds4.rope %r at %p <theta = 160000.0, dims = 64, inverse = true> : tensor<?x?x4x128xf32>, tensor<?x?xi64> -> tensor<?x?x4x128xf32>
  return %i : tensor<?x?x4x128xf32>
}

// -----

// The orthonormal Hadamard transform is an involution; a single one stays.
// CHECK-LABEL: func.func @hadamard_twice
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[H:.*]] = ds4.hadamard %[[X]]
// CHECK-NOT: ds4.hadamard
// CHECK: return %[[X]], %[[H]]
func.func @hadamard_twice(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %a = ds4.hadamard %x : tensor<?x64xf32>
  %b = ds4.hadamard %a : tensor<?x64xf32>
  return %b, %a : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// Repeated simulated quantization with the same parameters is idempotent;
// with another block size it is not.
// CHECK-LABEL: func.func @quantize_twice
// CHECK: %[[Q:.*]] = ds4.quantize %{{.*}} simulate fp8_e4m3 block 128
// CHECK-NEXT: %[[Q64:.*]] = ds4.quantize %[[Q]] {{ *}}simulate {{ *}}fp8_e4m3 block 64
// CHECK-NEXT: return %[[Q]], %[[Q64]]
func.func @quantize_twice(%x: tensor<?x256xf32>) -> (tensor<?x256xf32>, tensor<?x256xf32>) {
  %a = ds4.quantize %x simulate fp8_e4m3 block 128 : tensor<?x256xf32> -> tensor<?x256xf32>
  %b = ds4.quantize %a simulate fp8_e4m3 block 128 : tensor<?x256xf32> -> tensor<?x256xf32>
  %c = ds4.quantize %b simulate fp8_e4m3 block 64 : tensor<?x256xf32> -> tensor<?x256xf32>
  return %b, %c : tensor<?x256xf32>, tensor<?x256xf32>
}

// -----

// Repeated references to one checkpoint tensor merge; unused ones vanish.
// CHECK-LABEL: func.func @weights
// CHECK-COUNT-1: ds4.weight "layers.0.attn.wq_a.weight"
// CHECK-NOT: ds4.weight
// CHECK: ds4.linear
// NOMERGE-LABEL: func.func @weights
// NOMERGE-COUNT-2: ds4.weight "layers.0.attn.wq_a.weight"
// NOMERGE-NOT: "unused.weight"
func.func @weights(%x: tensor<?x256xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  %w0 = ds4.weight "layers.0.attn.wq_a.weight" : tensor<128x256xbf16>
  %unused = ds4.weight "unused.weight" : tensor<4xf32>
  %w1 = ds4.weight "layers.0.attn.wq_a.weight" : tensor<128x256xbf16>
  %a = ds4.linear %x, %w0 : tensor<?x256xf32>, tensor<128x256xbf16> -> tensor<?x128xf32>
  %b = ds4.linear %x, %w1 : tensor<?x256xf32>, tensor<128x256xbf16> -> tensor<?x128xf32>
  return %a, %b : tensor<?x128xf32>, tensor<?x128xf32>
}

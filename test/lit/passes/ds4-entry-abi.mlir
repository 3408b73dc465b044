// RUN: ds4-opt %s --ds4-entry-abi --split-input-file --verify-diagnostics | FileCheck %s

// A returned state argument (updated in place) is dropped; any other result
// becomes a trailing caller-owned output argument written by memref.copy.
// CHECK-LABEL: func.func @entry
// CHECK-SAME: (%[[T:.*]]: memref<1x?xi32>, %[[S:.*]]: memref<?x4x8xf32> {ds4.state = "layers.0.window"}, %[[OUT:.*]]: memref<1x?x16xf32> {ds4.output})
// CHECK-SAME: attributes {llvm.emit_c_interface, llvm.passthrough = ["noinline", "optnone"]}
// CHECK: %[[L:.*]] = memref.alloc
// CHECK: memref.copy %[[L]], %[[OUT]]
// CHECK-NEXT: return{{$}}
func.func @entry(%t: memref<1x?xi32>, %s: memref<?x4x8xf32> {ds4.state = "layers.0.window"}) -> (memref<1x?x16xf32>, memref<?x4x8xf32>) {
  %c1 = arith.constant 1 : index
  %n = memref.dim %t, %c1 : memref<1x?xi32>
  %l = memref.alloc(%n) : memref<1x?x16xf32>
  return %l, %s : memref<1x?x16xf32>, memref<?x4x8xf32>
}

// -----

// Private helpers keep their signature.
// CHECK-LABEL: func.func private @helper(%{{.*}}: memref<4xf32>) -> memref<4xf32>
// CHECK-NOT: emit_c_interface
func.func private @helper(%x: memref<4xf32>) -> memref<4xf32> {
  return %x : memref<4xf32>
}

// -----

// A state returned through kernels that update it in place (each returns
// its argument) is still recognized as the state argument and dropped.
// CHECK-LABEL: func.func @through_kernels
// CHECK-SAME: (%[[S:.*]]: memref<?x4x8xf32> {ds4.state = "layers.0.window"})
// CHECK: call @update(%[[S]])
// CHECK-NOT: memref.copy
// CHECK: return{{$}}
func.func private @update(%s: memref<?x4x8xf32>) -> memref<?x4x8xf32> {
  return %s : memref<?x4x8xf32>
}
func.func @through_kernels(%s: memref<?x4x8xf32> {ds4.state = "layers.0.window"}) -> (memref<?x4x8xf32> {ds4.state = "layers.0.window"}) {
  %0 = call @update(%s) : (memref<?x4x8xf32>) -> memref<?x4x8xf32>
  return %0 : memref<?x4x8xf32>
}

// -----

// A state result that is a fresh buffer is not an in-place update: error.
func.func @fresh_state(%s: memref<4xf32> {ds4.state = "layers.0.window"}) -> (memref<4xf32> {ds4.state = "layers.0.window"}) {
  %0 = memref.alloc() : memref<4xf32>
  // expected-error @+1 {{state result #0 is not its argument updated in place}}
  return %0 : memref<4xf32>
}

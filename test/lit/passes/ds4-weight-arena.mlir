// RUN: ds4-opt %s --ds4-weight-arena --split-input-file --verify-diagnostics | FileCheck %s

// Weights shared by two entry points get one layout: first appearance in
// module order, each at a 64-byte aligned offset. The arena takes the place
// of the first weight argument; each weight becomes a view of it.
// CHECK: module attributes {ds4.weight_arena = {bytes = 576 : i64, weights = [
// CHECK-SAME: {bytes = 6 : i64, name = "a.weight", offset = 0 : i64},
// CHECK-SAME: {bytes = 256 : i64, name = "b.weight", offset = 64 : i64},
// CHECK-SAME: {bytes = 256 : i64, name = "c.weight", offset = 320 : i64}]}}
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: (%[[T:.*]]: memref<1x?xi32>, %[[S:.*]]: memref<?x4xf32> {ds4.state = "s"}, %[[ARENA:.*]]: memref<?xi8> {ds4.weights})
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[A:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<?xi8> to memref<3xbf16>
// CHECK-DAG: %[[B:.*]] = memref.view %[[ARENA]][%[[C64]]][] : memref<?xi8> to memref<8x8xf32>
// CHECK: call @use(%[[T]], %[[S]], %[[A]], %[[B]])
func.func private @use(memref<1x?xi32>, memref<?x4xf32>, memref<3xbf16>, memref<8x8xf32>)
func.func @prefill(%t: memref<1x?xi32>, %s: memref<?x4xf32> {ds4.state = "s"},
                   %a: memref<3xbf16> {ds4.weight = "a.weight"},
                   %b: memref<8x8xf32> {ds4.weight = "b.weight"}) {
  call @use(%t, %s, %a, %b) : (memref<1x?xi32>, memref<?x4xf32>, memref<3xbf16>, memref<8x8xf32>) -> ()
  return
}
// The second entry reuses b.weight's offset and appends c.weight; arguments
// after the weights (outputs) keep their place.
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%[[ARENA2:.*]]: memref<?xi8> {ds4.weights}, %[[OUT:.*]]: memref<4xf32> {ds4.output})
// CHECK-DAG: %[[C320:.*]] = arith.constant 320 : index
// CHECK-DAG: %[[C64B:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C:.*]] = memref.view %[[ARENA2]][%[[C320]]][] : memref<?xi8> to memref<256xi8>
// CHECK-DAG: %[[B2:.*]] = memref.view %[[ARENA2]][%[[C64B]]][] : memref<?xi8> to memref<8x8xf32>
// CHECK: call @use2(%[[C]], %[[B2]], %[[OUT]])
func.func private @use2(memref<256xi8>, memref<8x8xf32>, memref<4xf32>)
func.func @decode(%c: memref<256xi8> {ds4.weight = "c.weight"},
                  %b: memref<8x8xf32> {ds4.weight = "b.weight"},
                  %out: memref<4xf32> {ds4.output}) {
  call @use2(%c, %b, %out) : (memref<256xi8>, memref<8x8xf32>, memref<4xf32>) -> ()
  return
}

// -----

// A module without weights is left alone: no arena argument, no layout.
// CHECK-NOT: ds4.weight_arena
// CHECK-LABEL: func.func @no_weights
// CHECK-SAME: (%{{.*}}: memref<4xf32>)
func.func @no_weights(%x: memref<4xf32>) {
  return
}

// -----

// Private kernels keep their buffer arguments.
// CHECK-LABEL: func.func private @kernel
// CHECK-SAME: (%{{.*}}: memref<4xf32> {ds4.weight = "k.weight"})
func.func private @kernel(%w: memref<4xf32> {ds4.weight = "k.weight"}) {
  return
}

// -----

// One name with two types cannot share a slot.
func.func @first(%a: memref<4xf32> {ds4.weight = "a.weight"}) {
  return
}
// expected-error @+1 {{weight 'a.weight' has two types across entry points: 'memref<4xf32>' and 'memref<8xf32>'}}
func.func @second(%a: memref<8xf32> {ds4.weight = "a.weight"}) {
  return
}

// -----

// Weights must have a static shape to get a fixed slot.
// expected-error @+1 {{weight 'd.weight' is not a static identity-layout memref: 'memref<?xf32>'}}
func.func @dynamic(%d: memref<?xf32> {ds4.weight = "d.weight"}) {
  return
}

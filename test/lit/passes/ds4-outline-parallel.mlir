// RUN: ds4-opt %s --ds4-outline-parallel --split-input-file --verify-diagnostics | FileCheck %s

// A top-level parallel loop becomes a call of a private body over [0, total)
// flattened iterations; the body delinearizes (last dim fastest), constants
// are cloned into it and other captured values become arguments.
// CHECK-LABEL: func.func @kernel
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>, %[[Y:.*]]: memref<?x8xf32>)
// CHECK: %[[TOTAL:.*]] = arith.muli
// CHECK: call @kernel_parallel_0(%{{.*}}, %[[TOTAL]], %{{.*}}, %[[X]], %[[Y]])
// CHECK-NOT: scf.parallel
// CHECK: func.func private @kernel_parallel_0(%[[B:.*]]: index, %[[E:.*]]: index, %{{.*}}: index, %{{.*}}: memref<?x8xf32>, %{{.*}}: memref<?x8xf32>)
// CHECK-SAME: attributes {llvm.passthrough = ["noinline", "ds4-parallel-body"]}
// CHECK: %[[TWO:.*]] = arith.constant 2.0
// CHECK: scf.for %[[ID:.*]] = %[[B]] to %[[E]]
// CHECK: arith.remui %[[ID]]
// CHECK: arith.divui %[[ID]]
// CHECK: memref.load
// CHECK: arith.mulf {{.*}}, %[[TWO]]
// CHECK: memref.store
func.func @kernel(%x: memref<?x8xf32>, %y: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x8xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %y[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  return
}

// -----

// Sequential loops and nested parallel loops stay where they are; only
// top-level scf.parallel is outlined.
// CHECK-LABEL: func.func @sequential
// CHECK: scf.for
// CHECK-NOT: call
func.func @sequential(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %x[%i] : memref<4xf32>
    memref.store %v, %x[%i] : memref<4xf32>
  }
  return
}

// -----

func.func @reduction(%x: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{parallel loops with reductions are not supported}}
  %r = scf.parallel (%i) = (%c0) to (%c4) step (%c1) init (%zero) -> f32 {
    %v = memref.load %x[%i] : memref<4xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %r : f32
}

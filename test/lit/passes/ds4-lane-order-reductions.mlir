// RUN: ds4-opt %s --ds4-lane-order-reductions --split-input-file --verify-diagnostics | FileCheck %s

// The host adds a split reduction in the GPU's lane order: the lanes run in
// bit-reversed order (lane = the 5 bits of i reversed), each lane's partial
// is the GPU's (chunks of 4 from chunk `lane`, step 32, then the tail) and
// it folds into a stack of pending subtrees, one per butterfly level (5
// pending + the total per accumulator); the mark is gone.
// CHECK-LABEL: func.func @dot
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[TREE:.*]]:6 = scf.for %[[I:.*]] = %{{.*}} to %[[C32]] step %{{.*}} iter_args
// CHECK: arith.shrui %[[I]]
// CHECK-COUNT-5: arith.ori
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32{{.*}} iter_args
// CHECK-COUNT-4: arith.mulf
// CHECK: scf.for
// CHECK-COUNT-5: arith.select
// CHECK: return %[[TREE]]#5 : f32
// CHECK-NOT: ds4.split_reduction
func.func @dot(%x: memref<70xf32>, %y: memref<70xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c70 = arith.constant 70 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %k = %c0 to %c70 step %c1 iter_args(%acc = %zero) -> f32 {
    %a = memref.load %x[%k] : memref<70xf32>
    %b = memref.load %y[%k] : memref<70xf32>
    %p = arith.mulf %a, %b : f32
    %n = arith.addf %acc, %p : f32
    scf.yield %n : f32
  } {ds4.split_reduction = 4 : i64}
  return %s : f32
}

// -----

// A split reduction may not write memory.
func.func @writes(%x: memref<70xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c70 = arith.constant 70 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{a split reduction writes memory}}
  %s = scf.for %k = %c0 to %c70 step %c1 iter_args(%acc = %zero) -> f32 {
    %a = memref.load %x[%k] : memref<70xf32>
    memref.store %a, %x[%k] : memref<70xf32>
    %n = arith.addf %acc, %a : f32
    scf.yield %n : f32
  } {ds4.split_reduction = 4 : i64}
  return %s : f32
}

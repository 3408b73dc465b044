// RUN: ds4-opt %s --ds4-map-to-gpu --split-input-file --verify-diagnostics | FileCheck %s

// A parallel loop: one thread per iteration, the 2-d space flattened (last
// dim fastest), 256 threads per block, skipped on the host when empty.
// CHECK-LABEL: func.func @parallel
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>, %[[Y:.*]]: memref<?x8xf32>)
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[TOTAL:.*]], %[[C256]] : index
// CHECK: scf.if
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[BLOCKS]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[C256]],
// Every buffer the launch reads or writes is known to start 16-byte aligned.
// CHECK-DAG: %[[XA:.*]] = memref.assume_alignment %[[X]], 16
// CHECK-DAG: %[[YA:.*]] = memref.assume_alignment %[[Y]], 16
// CHECK: %[[TID:.*]] = gpu.thread_id x
// CHECK: %[[BID:.*]] = gpu.block_id x
// CHECK: %[[ID:.*]] = arith.addi {{.*}}, %[[TID]]
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[ID]], %[[TOTAL]]
// CHECK: scf.if %[[IN]]
// CHECK: %[[J:.*]] = arith.remui %[[ID]]
// CHECK: %[[I:.*]] = arith.divui %[[ID]]
// CHECK: memref.load %[[XA]]
// CHECK: memref.store {{.*}}, %[[YA]]
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
func.func @parallel(%x: memref<?x8xf32>, %y: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x8xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %y[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  return
}

// -----

// A sequential loop nest runs in a single-thread launch; the output buffer
// stays a host allocation (the runtime's device arena) because it is
// returned.
// CHECK-LABEL: func.func @sequential
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<4xf32>
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE:.*]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]]) threads({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]])
// CHECK: %[[OUTA:.*]] = memref.assume_alignment %[[OUT]], 16
// CHECK: scf.for
// CHECK: memref.store {{.*}}, %[[OUTA]]
// CHECK: return %[[OUT]]
func.func @sequential(%x: memref<4xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %cst = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<4xf32>
  %s = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %cst) -> f32 {
    %v = memref.load %x[%i] : memref<4xf32>
    %a = arith.addf %acc, %v : f32
    memref.store %a, %out[%i] : memref<4xf32>
    scf.yield %a : f32
  }
  return %out : memref<4xf32>
}

// -----

// Scratch used only inside one parallel loop becomes per-thread memory.
// CHECK-LABEL: func.func @scratch
// CHECK-NOT: memref.alloc(
// CHECK: gpu.launch
// CHECK: %[[S:.*]] = memref.alloca() : memref<16xf32>
// CHECK: memref.store {{.*}}, %[[S]]
// CHECK-NOT: memref.dealloc
func.func @scratch(%x: memref<?x16xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  %s = memref.alloc() : memref<16xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %k = %c0 to %c16 step %c1 {
      %v = memref.load %x[%i, %k] : memref<?x16xf32>
      memref.store %v, %s[%k] : memref<16xf32>
    }
    %f = memref.load %s[%c0] : memref<16xf32>
    memref.store %f, %y[%i] : memref<?xf32>
    scf.reduce
  }
  memref.dealloc %s : memref<16xf32>
  return
}

// -----

// An entry's output copy becomes a parallel copy on the device.
// CHECK-LABEL: func.func @copy
// CHECK-NOT: memref.copy
// CHECK: gpu.launch
// CHECK: memref.load
// CHECK: memref.store
func.func @copy(%x: memref<?x4xf32>, %y: memref<?x4xf32>) {
  memref.copy %x, %y : memref<?x4xf32> to memref<?x4xf32>
  return
}

// -----

// The host cannot use a value read from device memory.
func.func @host_reads_device(%x: memref<4xindex>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  // expected-error @below {{the host would need a value computed from device memory}}
  %n = memref.load %x[%c0] : memref<4xindex>
  %b = memref.alloc(%n) : memref<?xf32>
  return %b : memref<?xf32>
}

// -----

// Per-thread scratch of dynamic size cannot become private memory.
func.func @dynamic_scratch(%x: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  // expected-error @below {{per-thread scratch must have a static shape}}
  %s = memref.alloc(%n) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %x[%i] : memref<?xf32>
    memref.store %v, %s[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// An iteration holding a split reduction gets a warp: 32 threads per
// iteration, lane = id % 32, the iteration = id / 32; lane l starts at chunk
// l (2 iterations per chunk, unrolled) and takes 2 chunks per step of 64
// (the second clamped to the first where it does not exist, and its sums
// kept only where it does), the loads of both first; then the tail one
// iteration per lane; the partials meet in an xor butterfly.
// CHECK-LABEL: func.func @split_reduction
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[THREADS:.*]] = arith.muli %{{.*}}, %[[C32]] : index
// CHECK: arith.ceildivui %[[THREADS]]
// CHECK: gpu.launch
// CHECK: memref.assume_alignment %{{.*}}, 16
// CHECK: %[[LANE:.*]] = arith.remui %{{.*}}, %[[C32]]
// CHECK: %[[ROW:.*]] = arith.divui %{{.*}}, %[[C32]]
// CHECK: scf.for %{{.*}} = %[[LANE]] to %[[CHUNKS:.*]] step %c64{{.*}} iter_args
// CHECK-COUNT-2: memref.load
// CHECK-NOT: arith.addf
// CHECK: %[[NEXT:.*]] = arith.addi %{{.*}}, %c32
// CHECK: %[[EXISTS:.*]] = arith.cmpi ult, %[[NEXT]], %[[CHUNKS]]
// CHECK: arith.select %[[EXISTS]], %[[NEXT]]
// CHECK-COUNT-2: memref.load
// CHECK-COUNT-4: arith.addf
// CHECK: arith.select %[[EXISTS]]
// CHECK: scf.for
// CHECK: gpu.shuffle  xor %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK-COUNT-4: gpu.shuffle  xor
// CHECK: memref.store
// CHECK-NOT: ds4.split_reduction
func.func @split_reduction(%x: memref<?x100xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x100xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %s = scf.for %k = %c0 to %c100 step %c1 iter_args(%acc = %zero) -> f32 {
      %v = memref.load %x[%i, %k] : memref<?x100xf32>
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    } {ds4.split_reduction = 2 : i64}
    memref.store %s, %y[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// A split reduction must combine its accumulator once by an associative op.
func.func @not_a_reduction(%x: memref<?x100xf32>, %y: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x100xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    // expected-error @+1 {{accumulator #0 of a split reduction is not combined once by an associative op with an identity}}
    %s = scf.for %k = %c0 to %c100 step %c1 iter_args(%acc = %zero) -> f32 {
      %v = memref.load %x[%i, %k] : memref<?x100xf32>
      %a = arith.subf %acc, %v : f32
      scf.yield %a : f32
    } {ds4.split_reduction = 1 : i64}
    memref.store %s, %y[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

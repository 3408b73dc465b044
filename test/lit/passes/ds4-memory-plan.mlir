// RUN: ds4-opt %s --ds4-memory-plan --split-input-file | FileCheck %s
// The offsets and sizes evaluated at 100 tokens (report-sizes):
// RUN: ds4-opt %s --ds4-memory-plan="report report-sizes=tokens.0=100" --split-input-file --verify-diagnostics -o /dev/null
// RUN: not ds4-opt %s --ds4-memory-plan="report report-sizes=tokens.0" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADSIZE
// BADSIZE: error: ds4-memory-plan: report-sizes wants NAME.DIM=SIZE, got 'tokens.0'
// The deallocation pipeline frees the arena once, at the end:
// RUN: ds4-opt %s --ds4-memory-plan --buffer-deallocation-pipeline --split-input-file | FileCheck %s --check-prefix=FREE

// Three buffers of the token count: %a dies at the call that fills %b, %c
// (twice as large, placed first) is allocated after it. %a and %c share
// offset 0; %b overlaps both and sits above the higher of their ends.
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: (%[[T:.*]]: memref<?xf32> {ds4.input = "tokens"}, %[[OUT:.*]]: memref<?x2xf32> {ds4.output})
// CHECK-SAME: ds4.memory_plan = {buffers = 3 : i64, unplanned = 0 : i64}
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = memref.dim %[[T]], %[[C0]]
// CHECK: %[[MASK:.*]] = arith.constant -256 : index
// CHECK: %[[PAD:.*]] = arith.constant 255 : index
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[BYTES_A:.*]] = arith.muli %[[C4]], %[[N]] : index
// CHECK: %[[BYTES_B:.*]] = arith.muli %[[C4]], %[[N]] : index
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[BYTES_C:.*]] = arith.muli %[[C8]], %[[N]] : index
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[PC:.*]] = arith.addi %[[BYTES_C]], %[[PAD]] : index
// CHECK: %[[RC:.*]] = arith.andi %[[PC]], %[[MASK]] : index
// CHECK: %[[END_C:.*]] = arith.addi %[[ZERO]], %[[RC]] : index
// CHECK: %[[PA:.*]] = arith.addi %[[BYTES_A]], %[[PAD]] : index
// CHECK: %[[RA:.*]] = arith.andi %[[PA]], %[[MASK]] : index
// CHECK: %[[END_A:.*]] = arith.addi %[[ZERO]], %[[RA]] : index
// CHECK: %[[OFF_B:.*]] = arith.maxui %[[END_A]], %[[END_C]] : index
// CHECK: %[[TOP:.*]] = arith.addi %[[OFF_B]], %[[BYTES_B]] : index
// CHECK: %[[ARENA:.*]] = memref.alloc(%[[TOP]]) {alignment = 256 : i64} : memref<?xi8>
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[ZERO]]][%{{.*}}] : memref<?xi8> to memref<?xf32>
// CHECK: call @step(%[[T]], %[[A]])
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[OFF_B]]][%{{.*}}] : memref<?xi8> to memref<?xf32>
// CHECK: call @step(%[[A]], %[[B]])
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[ZERO]]][%{{.*}}] : memref<?xi8> to memref<?x2xf32>
// CHECK: call @widen(%[[B]], %[[C]])
// CHECK: memref.copy %[[C]], %[[OUT]]
// CHECK-NOT: memref.alloc
// CHECK: return
// FREE-LABEL: func.func @prefill
// FREE: %[[ARENA:.*]] = memref.alloc(%{{.*}}) {alignment = 256 : i64} : memref<?xi8>
// FREE-NOT: memref.dealloc
// FREE: memref.copy
// FREE-NEXT: memref.dealloc %[[ARENA]] : memref<?xi8>
// FREE-NEXT: return
func.func private @step(%x: memref<?xf32>, %y: memref<?xf32>) {
  return
}
func.func private @widen(%x: memref<?xf32>, %y: memref<?x2xf32>) {
  return
}
// expected-remark @+1 {{memory plan: 3 buffers in one arena of 1424 bytes; at most 1200 bytes live at once, 1600 bytes in all}}
func.func @prefill(%t: memref<?xf32> {ds4.input = "tokens"}, %out: memref<?x2xf32> {ds4.output}) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %t, %c0 : memref<?xf32>
  // expected-remark @+1 {{arena slot: 400 bytes at offset 0}}
  %a = memref.alloc(%n) : memref<?xf32>
  call @step(%t, %a) : (memref<?xf32>, memref<?xf32>) -> ()
  // expected-remark @+1 {{arena slot: 400 bytes at offset 1024}}
  %b = memref.alloc(%n) : memref<?xf32>
  call @step(%a, %b) : (memref<?xf32>, memref<?xf32>) -> ()
  // expected-remark @+1 {{arena slot: 800 bytes at offset 0}}
  %c = memref.alloc(%n) : memref<?x2xf32>
  call @widen(%b, %c) : (memref<?xf32>, memref<?x2xf32>) -> ()
  memref.copy %c, %out : memref<?x2xf32> to memref<?x2xf32>
  return
}

// -----

// Longest-lived first can need less than largest first: %m spans the
// layer; placed first, it lies at the bottom and the short-lived %x and %s
// (which do not overlap) share the bytes above it. Largest first would put
// %m on %x and %s on %m.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: ds4.memory_plan = {buffers = 3 : i64, unplanned = 0 : i64}
func.func private @fill(%t: memref<?xi8>, %x: memref<?x4xf32>) {
  return
}
func.func private @reduce(%x: memref<?x4xf32>, %m: memref<?xf32>) {
  return
}
func.func private @scale(%m: memref<?xf32>, %s: memref<?xi8>) {
  return
}
func.func private @finish(%m: memref<?xf32>) {
  return
}
// expected-remark @+1 {{memory plan: 3 buffers in one arena of 2112 bytes; at most 2000 bytes live at once, 2100 bytes in all}}
func.func @residual(%tokens: memref<?xi8> {ds4.input = "tokens"}) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %tokens, %c0 : memref<?xi8>
  // expected-remark @+1 {{arena slot: 1600 bytes at offset 512}}
  %x = memref.alloc(%n) : memref<?x4xf32>
  call @fill(%tokens, %x) : (memref<?xi8>, memref<?x4xf32>) -> ()
  // expected-remark @+1 {{arena slot: 400 bytes at offset 0}}
  %m = memref.alloc(%n) : memref<?xf32>
  call @reduce(%x, %m) : (memref<?x4xf32>, memref<?xf32>) -> ()
  // expected-remark @+1 {{arena slot: 100 bytes at offset 512}}
  %s = memref.alloc(%n) : memref<?xi8>
  call @scale(%m, %s) : (memref<?xf32>, memref<?xi8>) -> ()
  call @finish(%m) : (memref<?xf32>) -> ()
  return
}

// -----

// Aliases keep a buffer alive: %h is used through the result of @update
// (which returns its argument: state updated in place) and through a
// reshape of it, so %late, allocated after the last direct use of %h,
// cannot share its bytes; %after, allocated once no alias is used any
// more, can. The sizes of a kernel result that returns an argument, and of
// a reshape, resolve to the entry's arguments.
// CHECK-LABEL: func.func @decode
// CHECK-SAME: ds4.memory_plan = {buffers = 3 : i64, unplanned = 0 : i64}
// CHECK: %[[ARENA:.*]] = memref.alloc
// CHECK: %[[H:.*]] = memref.view %[[ARENA]]
// CHECK: %[[U:.*]] = call @update(%[[H]])
// CHECK: memref.expand_shape %[[U]]
func.func private @update(%s: memref<?x8xf32>) -> memref<?x8xf32> {
  return %s : memref<?x8xf32>
}
func.func private @read(%x: memref<?x2x4xf32>, %y: memref<?x8xf32>) {
  return
}
// expected-remark @+1 {{memory plan: 3 buffers in one arena of 6528 bytes; at most 6400 bytes live at once, 9600 bytes in all}}
func.func @decode(%tokens: memref<?x1xi32> {ds4.input = "tokens"}) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %tokens, %c0 : memref<?x1xi32>
  // expected-remark @+1 {{arena slot: 3200 bytes at offset 0}}
  %h = memref.alloc(%n) : memref<?x8xf32>
  %u = call @update(%h) : (memref<?x8xf32>) -> memref<?x8xf32>
  %m = memref.dim %u, %c0 : memref<?x8xf32>
  // expected-remark @+1 {{arena slot: 3200 bytes at offset 3328}}
  %late = memref.alloc(%m) : memref<?x8xf32>
  %v = memref.expand_shape %u [[0], [1, 2]] output_shape [%m, 2, 4] : memref<?x8xf32> into memref<?x2x4xf32>
  call @read(%v, %late) : (memref<?x2x4xf32>, memref<?x8xf32>) -> ()
  %k = memref.dim %v, %c0 : memref<?x2x4xf32>
  // expected-remark @+1 {{arena slot: 3200 bytes at offset 0}}
  %after = memref.alloc(%k) : memref<?x8xf32>
  %w = call @update(%after) : (memref<?x8xf32>) -> memref<?x8xf32>
  return
}

// -----

// Buffers whose aliases escape stay plain allocations: one returned (a
// view of it), one passed to an external function, one yielded by a region.
// A buffer allocated in a region, one sized from memory, and one in a
// memory space are left out too. Each is counted.
// CHECK-LABEL: func.func @escapes
// CHECK-SAME: ds4.memory_plan = {buffers = 1 : i64, unplanned = 6 : i64}
// CHECK: %[[ARENA:.*]] = memref.alloc(%{{.*}}) {alignment = 256 : i64} : memref<?xi8>
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.view %[[ARENA]]
func.func private @printMemrefF32(memref<*xf32>)
// expected-remark @+1 {{memory plan: 1 buffer in one arena of 16 bytes; at most 16 bytes live at once, 16 bytes in all}}
func.func @escapes(%sizes: memref<1xindex>, %flag: i1) -> memref<2x2xf32> {
  %c0 = arith.constant 0 : index
  // expected-remark @+1 {{left out of the memory plan: 'func.return' returns or forwards it}}
  %r = memref.alloc() : memref<4xf32>
  %rv = memref.expand_shape %r [[0, 1]] output_shape [2, 2] : memref<4xf32> into memref<2x2xf32>
  // expected-remark @+1 {{left out of the memory plan: it is passed to the external function @printMemrefF32}}
  %p = memref.alloc() : memref<8xf32>
  %pu = memref.cast %p : memref<8xf32> to memref<*xf32>
  call @printMemrefF32(%pu) : (memref<*xf32>) -> ()
  // expected-remark @+1 {{left out of the memory plan: 'scf.yield' returns or forwards it}}
  %y = memref.alloc() : memref<4xf32>
  %chosen = scf.if %flag -> memref<4xf32> {
    scf.yield %y : memref<4xf32>
  } else {
    // expected-remark @+1 {{left out of the memory plan: it is allocated inside a region}}
    %e = memref.alloc() : memref<4xf32>
    scf.yield %e : memref<4xf32>
  }
  %n = memref.load %sizes[%c0] : memref<1xindex>
  // expected-remark @+1 {{left out of the memory plan: a size comes from 'memref.load'}}
  %d = memref.alloc(%n) : memref<?xf32>
  // expected-remark @+1 {{left out of the memory plan: it is in a memory space}}
  %s = memref.alloc() : memref<4xf32, 1>
  // expected-remark @+1 {{arena slot: 16 bytes at offset 0}}
  %ok = memref.alloc() : memref<4xf32>
  %f = memref.load %ok[%c0] : memref<4xf32>
  memref.store %f, %d[%c0] : memref<?xf32>
  memref.store %f, %s[%c0] : memref<4xf32, 1>
  memref.store %f, %chosen[%c0] : memref<4xf32>
  return %rv : memref<2x2xf32>
}

// -----

// A buffer used inside a region lives until the op holding the region:
// %a, read in the loop, overlaps %b. Static sizes give constant offsets.
// CHECK-LABEL: func.func @static_sizes
// CHECK: %[[ARENA:.*]] = memref.alloc(%{{.*}}) {alignment = 256 : i64} : memref<?xi8>
// CHECK: memref.view %[[ARENA]][%{{.*}}][] : memref<?xi8> to memref<16xf32>
// expected-remark @+1 {{memory plan: 2 buffers in one arena of 576 bytes; at most 576 bytes live at once, 576 bytes in all}}
func.func @static_sizes(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-remark @+1 {{arena slot: 64 bytes at offset 512}}
  %a = memref.alloc() : memref<16xf32>
  // expected-remark @+1 {{arena slot: 512 bytes at offset 0}}
  %b = memref.alloc() : memref<128xf32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%c0] : memref<16xf32>
    memref.store %v, %b[%c0] : memref<128xf32>
  }
  return
}

// -----

// A deallocation of a planned buffer goes: the arena is freed whole.
// CHECK-LABEL: func.func @freed
// CHECK-SAME: ds4.memory_plan = {buffers = 1 : i64, unplanned = 0 : i64}
// CHECK-NOT: memref.dealloc
// CHECK: return
// FREE-LABEL: func.func @freed
// FREE: %[[ARENA:.*]] = memref.alloc
// FREE-NEXT: memref.view
// FREE-NEXT: memref.store
// FREE-NEXT: memref.dealloc %[[ARENA]] : memref<64xi8>
// FREE-NEXT: return
// expected-remark @+1 {{memory plan: 1 buffer in one arena of 64 bytes; at most 64 bytes live at once, 64 bytes in all}}
func.func @freed(%f: f32) {
  %c0 = arith.constant 0 : index
  // expected-remark @+1 {{arena slot: 64 bytes at offset 0}}
  %a = memref.alloc() : memref<16xf32>
  memref.store %f, %a[%c0] : memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  return
}

// -----

// An entry without buffers gets no arena, only its (empty) plan; private
// functions are not entries.
// CHECK-LABEL: func.func private @kernel
// CHECK-NOT: ds4.memory_plan
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-LABEL: func.func @nothing
// CHECK-SAME: ds4.memory_plan = {buffers = 0 : i64, unplanned = 0 : i64}
// CHECK-NOT: memref.alloc
func.func private @kernel() -> memref<4xf32> {
  %a = memref.alloc() : memref<4xf32>
  return %a : memref<4xf32>
}
func.func @nothing(%x: memref<4xf32>) {
  return
}

// -----

// A callee result that may alias its argument in a way the analysis cannot
// follow (here: chosen by a select) makes the buffer escape.
func.func private @either(%x: memref<4xf32>, %y: memref<4xf32>, %c: i1) -> memref<4xf32> {
  %r = arith.select %c, %x, %y : memref<4xf32>
  return %r : memref<4xf32>
}
// CHECK-LABEL: func.func @unknown_alias
// CHECK-SAME: ds4.memory_plan = {buffers = 0 : i64, unplanned = 1 : i64}
func.func @unknown_alias(%x: memref<4xf32>, %c: i1) {
  // expected-remark @+1 {{left out of the memory plan: the result #0 of @either may alias it (not an argument or a fresh buffer)}}
  %a = memref.alloc() : memref<4xf32>
  %r = call @either(%a, %x, %c) : (memref<4xf32>, memref<4xf32>, i1) -> memref<4xf32>
  return
}

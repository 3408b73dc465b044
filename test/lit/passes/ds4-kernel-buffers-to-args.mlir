// RUN: ds4-opt %s --ds4-kernel-buffers-to-args=report --split-input-file --verify-diagnostics | FileCheck %s

// A kernel shared by two call sites: its result buffer becomes a trailing
// argument, and each call site computes the size from its own operand,
// allocates, and uses its buffer where it used the result.
// CHECK-LABEL: func.func private @rms_norm
// CHECK-SAME: (%[[X:.*]]: memref<1x?x8xf32>, %[[OUT:.*]]: memref<1x?x8xf32>) {
// CHECK-NOT: memref.alloc
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: return{{$}}
func.func private @rms_norm(%x: memref<1x?x8xf32>) -> memref<1x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c1 : memref<1x?x8xf32>
  %y = memref.alloc(%n) : memref<1x?x8xf32>
  %v = memref.load %x[%c0, %c0, %c0] : memref<1x?x8xf32>
  memref.store %v, %y[%c0, %c0, %c0] : memref<1x?x8xf32>
  return %y : memref<1x?x8xf32>
}
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: (%[[T:.*]]: memref<1x?x8xf32>)
// CHECK: %[[N1:.*]] = memref.dim %[[T]], %{{.*}} : memref<1x?x8xf32>
// CHECK: %[[B1:.*]] = memref.alloc(%[[N1]]) : memref<1x?x8xf32>
// CHECK: call @rms_norm(%[[T]], %[[B1]]) : (memref<1x?x8xf32>, memref<1x?x8xf32>) -> ()
// CHECK: %[[N2:.*]] = memref.dim %[[B1]], %{{.*}} : memref<1x?x8xf32>
// CHECK: %[[B2:.*]] = memref.alloc(%[[N2]]) : memref<1x?x8xf32>
// CHECK: call @rms_norm(%[[B1]], %[[B2]])
// CHECK: return %[[B2]]
func.func @prefill(%t: memref<1x?x8xf32>) -> memref<1x?x8xf32> {
  %a = call @rms_norm(%t) : (memref<1x?x8xf32>) -> memref<1x?x8xf32>
  %b = call @rms_norm(%a) : (memref<1x?x8xf32>) -> memref<1x?x8xf32>
  return %b : memref<1x?x8xf32>
}

// -----

// A kernel that updates its state argument in place keeps returning it;
// its fresh result and its scratch buffer (alignment kept, dealloc gone)
// come from the caller, in order of allocation.
// CHECK-LABEL: func.func private @window_update
// CHECK-SAME: (%[[K:.*]]: memref<?x4xf32>, %[[S:.*]]: memref<?x16x4xf32>, %[[SCRATCH:.*]]: memref<64xi32>, %[[OUT:.*]]: memref<?x4xf32>) -> memref<?x16x4xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return %[[S]] : memref<?x16x4xf32>
func.func private @window_update(%k: memref<?x4xf32>, %s: memref<?x16x4xf32>) -> (memref<?x16x4xf32>, memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %scratch = memref.alloc() {alignment = 64 : i64} : memref<64xi32>
  %n = memref.dim %k, %c0 : memref<?x4xf32>
  %out = memref.alloc(%n) : memref<?x4xf32>
  %v = memref.load %k[%c0, %c0] : memref<?x4xf32>
  memref.store %v, %s[%c0, %c0, %c0] : memref<?x16x4xf32>
  memref.store %v, %out[%c0, %c0] : memref<?x4xf32>
  memref.dealloc %scratch : memref<64xi32>
  return %s, %out : memref<?x16x4xf32>, memref<?x4xf32>
}
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%[[KEYS:.*]]: memref<?x4xf32>, %[[STATE:.*]]: memref<?x16x4xf32>)
// CHECK: %[[SCR:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64xi32>
// CHECK: %[[N:.*]] = memref.dim %[[KEYS]]
// CHECK: %[[O:.*]] = memref.alloc(%[[N]]) : memref<?x4xf32>
// CHECK: %[[R:.*]] = call @window_update(%[[KEYS]], %[[STATE]], %[[SCR]], %[[O]]) : (memref<?x4xf32>, memref<?x16x4xf32>, memref<64xi32>, memref<?x4xf32>) -> memref<?x16x4xf32>
// CHECK: return %[[R]], %[[O]]
func.func @decode(%keys: memref<?x4xf32>, %state: memref<?x16x4xf32>) -> (memref<?x16x4xf32>, memref<?x4xf32>) {
  %s, %o = call @window_update(%keys, %state) : (memref<?x4xf32>, memref<?x16x4xf32>) -> (memref<?x16x4xf32>, memref<?x4xf32>)
  return %s, %o : memref<?x16x4xf32>, memref<?x4xf32>
}

// -----

// Sizes computed from the arguments through pure index arithmetic are
// recomputed at the call; a size read from memory (data-dependent) keeps
// the allocation in the kernel, and its result stays a result.
// CHECK-LABEL: func.func private @topk
// CHECK-SAME: (%[[SC:.*]]: memref<?xf32>, %[[COUNT:.*]]: memref<1xindex>, %[[HIST:.*]]: memref<?xi32>) -> memref<?xi32>
// CHECK: %[[K:.*]] = memref.load %[[COUNT]]
// CHECK: %[[SEL:.*]] = memref.alloc(%[[K]]) : memref<?xi32>
// CHECK: return %[[SEL]]
func.func private @topk(%scores: memref<?xf32>, %count: memref<1xindex>) -> memref<?xi32> {
  %c0 = arith.constant 0 : index
  %c255 = arith.constant 255 : index
  %c256 = arith.constant 256 : index
  %n = memref.dim %scores, %c0 : memref<?xf32>
  %p = arith.addi %n, %c255 : index
  %segments = arith.divui %p, %c256 : index
  %hist = memref.alloc(%segments) : memref<?xi32>
  %k = memref.load %count[%c0] : memref<1xindex>
  // expected-remark @+1 {{stays in the kernel: a size comes from 'memref.load'}}
  %sel = memref.alloc(%k) : memref<?xi32>
  %z = arith.constant 0 : i32
  memref.store %z, %hist[%c0] : memref<?xi32>
  return %sel : memref<?xi32>
}
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: (%[[S:.*]]: memref<?xf32>, %[[C:.*]]: memref<1xindex>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C255:.*]] = arith.constant 255 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[N:.*]] = memref.dim %[[S]], %[[C0]]
// CHECK: %[[P:.*]] = arith.addi %[[N]], %[[C255]]
// CHECK: %[[SEG:.*]] = arith.divui %[[P]], %[[C256]]
// CHECK: %[[H:.*]] = memref.alloc(%[[SEG]]) : memref<?xi32>
// CHECK: %[[R:.*]] = call @topk(%[[S]], %[[C]], %[[H]])
// CHECK: return %[[R]]
func.func @prefill(%scores: memref<?xf32>, %count: memref<1xindex>) -> memref<?xi32> {
  %r = call @topk(%scores, %count) : (memref<?xf32>, memref<1xindex>) -> memref<?xi32>
  return %r : memref<?xi32>
}

// -----

// Buffers of branches chosen by the number of rows: the caller allocates
// each with no elements unless its branch will be taken. A static buffer
// is allocated either way; a buffer in a loop stays.
// CHECK-LABEL: func.func private @linear
// CHECK-SAME: (%{{.*}}: memref<?x8xf32>, %[[TILES:.*]]: memref<3x?xi32>, %[[PLAIN:.*]]: memref<?x2xf32>, %[[FIXED:.*]]: memref<4xindex>)
// CHECK-NOT: memref.alloc(
// CHECK: scf.for
// CHECK-NEXT: memref.alloc() : memref<2xf32>
func.func private @linear(%x: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %rows = memref.dim %x, %c0 : memref<?x8xf32>
  %tiled = arith.cmpi uge, %rows, %c8 : index
  scf.if %tiled {
    %packed = arith.muli %rows, %c8 : index
    %tiles = memref.alloc(%packed) : memref<3x?xi32>
    %z = arith.constant 0 : i32
    memref.store %z, %tiles[%c0, %c0] : memref<3x?xi32>
  } else {
    %plain = memref.alloc(%rows) : memref<?x2xf32>
    %fixed = memref.alloc() : memref<4xindex>
    scf.for %i = %c0 to %rows step %c1 {
      // expected-remark @+1 {{stays in the kernel: it is allocated inside 'scf.for'}}
      %row = memref.alloc() : memref<2xf32>
      %f = arith.constant 0.0 : f32
      memref.store %f, %row[%c0] : memref<2xf32>
      memref.store %f, %plain[%i, %c0] : memref<?x2xf32>
    }
    memref.store %c0, %fixed[%c0] : memref<4xindex>
  }
  return
}
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>)
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[ROWS:.*]] = memref.dim %[[X]]
// CHECK: %[[TILED:.*]] = arith.cmpi uge, %[[ROWS]], %[[C8]]
// CHECK: %[[PACKED:.*]] = arith.muli %[[ROWS]], %[[C8]]
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[N1:.*]] = arith.select %[[TILED]], %[[PACKED]], %[[ZERO]]
// CHECK: %[[T:.*]] = memref.alloc(%[[N1]]) : memref<3x?xi32>
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: %[[UNTILED:.*]] = arith.xori %[[TILED]], %[[TRUE]]
// CHECK: %[[ZERO2:.*]] = arith.constant 0 : index
// CHECK: %[[N2:.*]] = arith.select %[[UNTILED]], %[[ROWS]], %[[ZERO2]]
// CHECK: %[[P:.*]] = memref.alloc(%[[N2]]) : memref<?x2xf32>
// CHECK-NEXT: %[[F:.*]] = memref.alloc() : memref<4xindex>
// CHECK: call @linear(%[[X]], %[[T]], %[[P]], %[[F]])
func.func @prefill(%x: memref<?x8xf32>) {
  call @linear(%x) : (memref<?x8xf32>) -> ()
  return
}

// -----

// In a branch, a size must be safe to compute whether or not the branch
// runs: a division by a value that may be zero is not.
func.func private @split(%x: memref<?xf32>, %parts: index) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %some = arith.cmpi ugt, %parts, %c0 : index
  scf.if %some {
    %each = arith.divui %n, %parts : index
    // expected-remark @+1 {{stays in the kernel: a size comes from 'arith.divui' under a condition}}
    %chunk = memref.alloc(%each) : memref<?xf32>
    %f = arith.constant 0.0 : f32
    memref.store %f, %chunk[%c0] : memref<?xf32>
  }
  return
}
// CHECK-LABEL: func.func @prefill
// CHECK-NOT: memref.alloc
// CHECK: call @split(%{{.*}}, %{{.*}}) : (memref<?xf32>, index) -> ()
func.func @prefill(%x: memref<?xf32>, %parts: index) {
  call @split(%x, %parts) : (memref<?xf32>, index) -> ()
  return
}

// -----

// A function also called from another private function (a helper, not a
// kernel of the entry) keeps its allocations: not every caller could
// provide the buffers.
// CHECK-LABEL: func.func private @helper
// CHECK-SAME: (%{{.*}}: memref<4xf32>) -> memref<4xf32>
// CHECK: memref.alloc() : memref<4xf32>
func.func private @helper(%x: memref<4xf32>) -> memref<4xf32> {
  %y = memref.alloc() : memref<4xf32>
  memref.copy %x, %y : memref<4xf32> to memref<4xf32>
  return %y : memref<4xf32>
}
func.func private @inner(%x: memref<4xf32>) -> memref<4xf32> {
  %y = call @helper(%x) : (memref<4xf32>) -> memref<4xf32>
  return %y : memref<4xf32>
}
// CHECK-LABEL: func.func @prefill
// CHECK: call @helper(%{{.*}}) : (memref<4xf32>) -> memref<4xf32>
func.func @prefill(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
  %a = call @helper(%x) : (memref<4xf32>) -> memref<4xf32>
  %b = call @inner(%x) : (memref<4xf32>) -> memref<4xf32>
  return %a, %b : memref<4xf32>, memref<4xf32>
}

// -----

// Public functions (entry points) are not kernels: their allocations stay.
// CHECK-LABEL: func.func @entry_called
// CHECK: memref.alloc() : memref<4xf32>
func.func @entry_called() -> memref<4xf32> {
  %y = memref.alloc() : memref<4xf32>
  return %y : memref<4xf32>
}
// CHECK-LABEL: func.func @caller
// CHECK: call @entry_called() : () -> memref<4xf32>
func.func @caller() -> memref<4xf32> {
  %y = call @entry_called() : () -> memref<4xf32>
  return %y : memref<4xf32>
}

// RUN: ds4-opt %s --ds4-entry-wrappers | FileCheck %s

// The C-interface function gets a `void ds4_entry_<name>(void **)` wrapper
// that loads each descriptor pointer from the array, in order.
// CHECK-LABEL: llvm.func @ds4_entry_prefill(
// CHECK-SAME: %[[ARGV:.*]]: !llvm.ptr)
// CHECK: %[[P0:.*]] = llvm.getelementptr %[[ARGV]][0]
// CHECK: %[[A0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[P1:.*]] = llvm.getelementptr %[[ARGV]][1]
// CHECK: %[[A1:.*]] = llvm.load %[[P1]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @_mlir_ciface_prefill(%[[A0]], %[[A1]])
// CHECK: llvm.return
llvm.func @_mlir_ciface_prefill(%a: !llvm.ptr, %b: !llvm.ptr) {
  llvm.return
}
// A declaration-only C interface is not an entry point.
// CHECK-NOT: ds4_entry_external
llvm.func @_mlir_ciface_external(!llvm.ptr)

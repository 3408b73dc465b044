//===- Passes.td - ds4 transformation passes ------------------------------===//
//
// Every pass is named `ds4-<what>`, lives in its own file, and has a lit
// test at test/lit/passes/<name>.mlir.
//
//===----------------------------------------------------------------------===//

#ifndef DS4_PASSES_TD
#define DS4_PASSES_TD

include "mlir/Pass/PassBase.td"

def Ds4Cleanup : Pass<"ds4-cleanup"> {
  let summary = "Fold and canonicalize ds4 ops, merge duplicate weights, drop dead code";
  let description = [{
    The ds4 counterpart of `canonicalize` + `cse`, run between pipeline
    phases. It applies every ds4 folder and canonicalization pattern (and
    those of the upstream dialects present) greedily:

    - `ds4.rope` with `inverse` directly undoing a `ds4.rope` at the same
      positions folds to the unrotated value;
    - `ds4.hadamard` of a `ds4.hadamard` folds to the input;
    - a simulated `ds4.quantize` of an identically simulated value folds to
      it (the rounding is idempotent);

    then merges repeated `ds4.weight` references to one checkpoint tensor
    (and any other identical pure ops), and erases pure ops whose results
    are unused, so an unused weight never reaches the artifact's weight
    table.
  }];
  let options = [
    Option<"mergeDuplicates", "merge-duplicates", "bool", /*default=*/"true",
           "Merge identical pure ops (repeated weight references) after folding">
  ];
}

def Ds4FuseLinears : Pass<"ds4-fuse-linears"> {
  let summary = "Fuse sibling ds4.linear ops (one activation, several weights) into ds4.multi_linear";
  let description = [{
    The `fused` phase's first fusion. Every group of `ds4.linear` ops of one
    block that read the same `x` with the same `act_quant` (the attention
    block's `wq_a`, `wkv`, compressor, indexer and weight projections all
    read the normed hidden state) becomes one `ds4.multi_linear` placed at
    the first of them; `ds4.weight` references defined later are moved up
    to it (they have no operands). The fusion is free: each output is
    computed as its linear computes it (the lowering runs the same
    reduction per output), so results are unchanged bit for bit. What it
    saves: the activation is rounded once per group (deploy mode), and a
    decode step launches one kernel per group instead of one per weight,
    with the outputs of all of them to spread over the GPU.

    `ds4-compile --ds4-disable=fuse-linears` skips it.
  }];
  let options = [
    Option<"minGroup", "min-group", "unsigned", /*default=*/"2",
           "Fuse groups of at least this many linears">
  ];
}

def Ds4ChooseTiling : Pass<"ds4-choose-tiling"> {
  let summary = "Attach each tileable op's #ds4.tiling for the target (the tiled phase)";
  let description = [{
    Every op implementing `TileableOpInterface` (the projections, logits,
    routed experts, mHC pre-mix, indexer scores and sparse attention) that
    has no `ds4.tiling` yet gets the one it chooses under the target
    description of `target` (`cpu`, `sm_90a`: dialects/ds4/IR/Ds4Target.h).
    `ds4-lower-to-loops` then follows each op's attribute, so the choice is
    visible in the IR of the tiled phase and can be changed there per op
    (an attribute already present is kept).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "Target description: cpu or sm_90a">
  ];
}

def Ds4WeightsToArgs : Pass<"ds4-weights-to-args", "ModuleOp"> {
  let summary = "Turn ds4.weight references into entry-point arguments";
  let description = [{
    Before bufferization, every distinct `ds4.weight "name"` of a function
    becomes one trailing argument of that function carrying
    `{ds4.weight = "name"}`, in order of first use; the ops are erased. The
    runtime binds these arguments from the checkpoint (the artifact's weight
    table lists them per entry point), so compiled code reaches weights
    through ordinary buffer arguments.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def Ds4OutlineKernels : Pass<"ds4-outline-kernels", "ModuleOp"> {
  let summary = "Move each ds4 op into a private kernel function, one per distinct signature";
  let description = [{
    Every ds4 op (after `ds4-weights-to-args`) is replaced by a `func.call`
    to a private function holding just that op; ops with the same name,
    attributes and operand/result types share one kernel. Layers of one kind
    then share their code, so the size of the compiled module (and the time
    LLVM spends on it) depends on the number of distinct layer shapes, not on
    the depth of the model; the kernels are the natural unit of the
    artifact's kernel table. Kernels are marked `no_inline`.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def Ds4LowerToLoops : Pass<"ds4-lower-to-loops", "ModuleOp"> {
  let summary = "Lower ds4 ops on tensors to scf loops over memrefs (CPU)";
  let description = [{
    One dialect conversion that bufferizes and lowers: tensors become
    memrefs, `!ds4.state` becomes an f32 memref updated in place, packed
    FP8/FP4 weights become byte buffers (lowering/cpu/BufferTypes.h), and
    every ds4 op becomes scf.for loop nests with arith/math
    (lowering/cpu/*ToLoops.cpp). Before converting it checks that no state
    value is read after the op that updates it, which in-place updating
    relies on. Runs after `ds4-weights-to-args`.

    With `tensor-cores` (the sm_90a pipeline) the prefill products (at
    least 8 rows) become warp tiles of `nvvm.mma.sync` (bf16 operands, f32
    accumulators; lowering/gpu/WarpMma.h): linear, grouped_linear and
    logits, the routed experts (routes grouped by expert first) and the
    sparse-attention logits; the lightning indexer's scores always (decode
    included: 32 scores per warp). They are scf.parallel loops marked
    `ds4.warp_iteration` whose bodies read `gpu.lane_id`; other decode
    products keep the loops the CPU runs.

    With `warp-sinkhorn` (also the sm_90a pipeline) the Sinkhorn
    normalization of `hc_pre` runs one warp per token, a lane per entry of
    the n x n block, exchanging row and column values by shuffles: the
    same sums in the same order as the one-thread loops.
  }];
  let options = [
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"false",
           "Prefill products as mma.sync warp tiles (GPU only)">,
    Option<"outputsPerWarp", "outputs-per-warp", "int64_t", /*default=*/"1",
           "Outputs of a decode-shaped routed-expert product per iteration "
           "(each still summed in its own order; the GPU pipeline uses 4)">,
    Option<"warpSinkhorn", "warp-sinkhorn", "bool", /*default=*/"false",
           "The mHC Sinkhorn block of a token as one warp, a lane per entry "
           "(same results; GPU only)">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def Ds4WeightArena : Pass<"ds4-weight-arena", "ModuleOp"> {
  let summary = "Pass all weights of an entry point in one byte buffer (the arena)";
  let description = [{
    After bufferization, before `ds4-entry-abi`: in each public function the
    weight arguments (`{ds4.weight = "name"}`, static identity-layout
    memrefs) are replaced by one `memref<?xi8> {ds4.weights}` argument at
    the position of the first of them; each weight becomes a `memref.view`
    of it at a constant byte offset. One layout serves the whole module:
    weights in order of first appearance across the entry points (module
    order), each at a 64-byte aligned offset, taking the bytes of its memref
    type. The layout is recorded on the module as

      `ds4.weight_arena = {bytes = TOTAL, weights = [{name, offset, bytes}...]}`

    for the artifact writer (the runtime fills one arena from it). Without
    this, every weight is its own memref argument: thousands of them for
    V4-Flash, whose descriptors expand into tens of thousands of scalar
    parameters that the LLVM backend takes minutes over.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def Ds4EntryAbi : Pass<"ds4-entry-abi", "ModuleOp"> {
  let summary = "Give the memref entry points the runtime's calling convention";
  let description = [{
    After bufferization: state results that are the (in-place updated)
    state arguments are dropped; every other result becomes a caller-owned
    output argument written with `memref.copy`; functions get
    `llvm.emit_c_interface`. The runtime then calls
    `_mlir_ciface_<name>(descriptor*...)` with inputs, states, weights (or
    the weight arena, after `ds4-weight-arena`) and outputs in that order.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def Ds4EntryWrappers : Pass<"ds4-entry-wrappers", "ModuleOp"> {
  let summary = "Export each entry point as `void ds4_entry_<name>(void **args)`";
  let description = [{
    After conversion to the LLVM dialect, each `_mlir_ciface_<name>` (one
    pointer to a memref descriptor per argument) gets a wrapper taking one
    array of those pointers, so the runtime can call any entry point without
    knowing its arity at compile time (the artifact lists the arguments).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def Ds4MapToGpu : Pass<"ds4-map-to-gpu", "ModuleOp"> {
  let summary = "Turn the loops over memrefs into GPU launches (sm_90a)";
  let description = [{
    After `ds4-entry-abi`, in every function: each top-level `scf.parallel`
    becomes a `gpu.launch` with one thread per iteration (the iteration
    space flattened, the innermost dimension fastest across neighbouring
    threads so that their accesses coalesce; `block-size` threads per
    block, a host-side guard skips empty launches). Every other run of
    top-level ops that touch memory (sequential `scf.for` nests, loads,
    stores) becomes a single-thread launch: correct, and visible as slow in
    a profile. A top-level `memref.copy` (an entry's output) becomes a
    parallel copy. What stays on the host is pure index arithmetic, buffer
    allocation (the runtime's device arena), views and kernel calls; so the
    host code never dereferences a device address, which the pass checks.

    Buffers used only inside one launch (per-iteration scratch) become
    private `memref.alloca`s at the top of the launch body; they must have
    static shapes.

    An iteration whose body holds a loop marked `ds4.split_reduction = C`
    (lowering/cpu/LoweringUtils.h) gets a whole warp instead of a thread:
    the outermost marked loops are spread over its 32 lanes (lane l takes
    chunks l, l + 32, ... of C consecutive iterations, then the leftovers
    one per lane) and finished by an xor-shuffle butterfly; the rest of the
    body runs redundantly on every lane (lowering/SplitReductions.h).
    `ds4-lane-order-reductions` computes the same order on the host.

    A top-level `scf.if` on sizes whose branches hold parallel loops (a
    tiled and an untiled variant) stays on the host and its branches are
    mapped. Every buffer a launch uses is declared 16-byte aligned
    (`memref.assume_alignment`, plus the static factors of dynamic strides)
    so LLVM can merge a lane's neighbouring loads into 16-byte loads.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block of a parallel launch">,
    Option<"preciseMath", "precise-math", "bool", /*default=*/"true",
           "Evaluate f32 transcendental functions in f64 and rsqrt as 1/sqrt "
           "in device code, as ds4-precise-math does on the host">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}


def Ds4PreciseMath : Pass<"ds4-precise-math", "ModuleOp"> {
  let summary = "Evaluate f32 transcendentals in f64 (CPU; the GPU does it in ds4-map-to-gpu)";
  let description = [{
    Every f32 `math` op with a libm call behind it (exp, log, tanh, sin,
    cos, erf, pow, ...) is evaluated in f64 and rounded to f32 once, and
    rsqrt becomes 1 / sqrt. glibc's expf is within 0.502 ulp and
    libdevice's within 2, so the two targets would otherwise round a few
    results in a thousand differently; with both in f64 they agree but for
    rare double roundings, which deploy precision (fp8/bf16 rounding of
    activations) needs for the host and the GPU to give the same tokens.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def Ds4LaneOrderReductions : Pass<"ds4-lane-order-reductions", "ModuleOp"> {
  let summary = "Evaluate split reductions in the GPU's lane order (CPU)";
  let description = [{
    Loops the op lowerings mark `ds4.split_reduction = C` are spread over
    the 32 lanes of a warp on the GPU (ds4-map-to-gpu): lane l accumulates
    the chunks l, l + 32, ... of C consecutive iterations and then the
    iterations left over (one per lane), and the lanes meet in an
    xor-shuffle butterfly. This pass computes exactly that on the host --
    each lane's partial in turn, folded into lane 0's butterfly tree as
    it comes -- so both targets add the same terms in the same order and
    their results agree bit for bit. Only the outermost marked loop of a
    nest is split, as on the GPU; the marks are removed.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def Ds4OutlineParallel : Pass<"ds4-outline-parallel", "ModuleOp"> {
  let summary = "Outline top-level parallel loops into bodies the runtime's thread pool runs (CPU)";
  let description = [{
    After `ds4-entry-abi` on the CPU path: every top-level `scf.parallel`
    of a function becomes a call of a new private function
    `<function>_parallel_<k>(begin, end, lower bounds, steps, trip counts,
    captured values)` that runs the flattened iterations [begin, end) (the
    last dimension fastest). The call passes [0, total). At LLVM IR level
    (lowering/cpu/HostThreadsAbi.h) each such call becomes a call of the
    runtime's `ds4_parallel_for` through the table of
    runtime/include/ds4/host_abi.h, which splits the range over the
    session's threads. Iterations of an scf.parallel are independent, so
    any split gives the sequential result bit for bit.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def Ds4KernelBuffersToArgs : Pass<"ds4-kernel-buffers-to-args", "ModuleOp"> {
  let summary = "Let the entry points allocate the kernels' buffers (results and scratch)";
  let description = [{
    In each private function whose every use is a `func.call` from an entry
    point (public function), each `memref.alloc` at the top level of the
    body (or in branches, below) whose sizes are computed from the
    function's arguments and constants by ops free of memory effects
    becomes a trailing argument:
    every call site computes the sizes again (the same ops, the arguments
    replaced by the call's operands), allocates the buffer with the same
    alignment and passes it. A result that was such a buffer is dropped and
    its uses take the caller's buffer; results that return an argument
    (state updated in place) or a buffer of data-dependent size stay. A
    kernel called from several places gets the buffers of each.

    A buffer allocated in `scf.if` branches moves too when the conditions
    are computed likewise (ops in the branches must also be speculatable):
    the caller gives its first dynamic dimension the size 0 unless its
    branches will be taken, so of a kernel's variants (tensor-core or
    plain, chosen by the number of rows) only the one that runs takes
    memory. Allocations in loops, launches or other regions stay.

    The entry point then holds the allocations of a whole step, which
    `ds4-memory-plan` places in one arena.
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on every allocation that stays in its kernel, saying why">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def Ds4MemoryPlan : Pass<"ds4-memory-plan", "ModuleOp"> {
  let summary = "Place the buffers of each entry point in one arena (static memory plan)";
  let description = [{
    In each entry point (public function), after `ds4-kernel-buffers-to-args`:
    the `memref.dim`s are folded into the sizes of what they measure (views,
    allocations, kernel results that are an argument returned as is), then
    every `memref.alloc` at the top level whose sizes are computed from the
    entry's arguments and constants by ops free of memory effects, and none
    of whose aliases escapes, becomes a `memref.view` of one arena: a
    single `memref.alloc` of i8 (256-byte aligned) at the start of the
    entry. Aliases are views and results of calls whose callee returns the
    argument the buffer was passed as; returning one, passing one to an
    external function or forwarding one through a region leaves the buffer
    a plain allocation.

    A buffer is live from its allocation to the last use of it or of an
    alias (a use inside a region counts at the op holding the region).
    Sizes are known only at run time, so the layout fixes at compile time
    which buffers lie below which and the offsets are index arithmetic at
    the start of the entry: buffers are placed one by one, each at the
    highest 256-aligned end of the buffers already placed whose lifetimes
    overlap its own. Two buffers live at the same time never share a byte
    whatever the sizes (passes/ArenaLayout.h). The order is largest first
    or longest-lived first, whichever needs the smaller arena with every
    dynamic size at `assumed-dynamic-size`. The entry is marked
    `ds4.memory_plan = {buffers = N, unplanned = M}`. With `report`, each
    buffer gets a remark saying why it was left out, or its offset and
    size, and the entry one with the arena's size against the most bytes
    live at once (what no placement can go below) and the sum of the
    sizes, all evaluated at `report-sizes`.
  }];
  let options = [
    Option<"assumedDynamicSize", "assumed-dynamic-size", "int64_t",
           /*default=*/"4096",
           "The value of every dynamic size when comparing buffer sizes "
           "(orders the placement only)">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on every buffer: why it was left out, or its offset and "
           "size; and on each entry: its arena's size against the most "
           "bytes live at once and the sum of the sizes (dynamic sizes as "
           "report-sizes says, else assumed-dynamic-size)">,
    ListOption<"reportSizes", "report-sizes", "std::string",
               "Sizes for the report: NAME.DIM=SIZE, NAME the argument's "
               "ds4.input / ds4.state / ds4.output name (or argK), DIM the "
               "dimension (e.g. tokens.1=4096)">
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // DS4_PASSES_TD

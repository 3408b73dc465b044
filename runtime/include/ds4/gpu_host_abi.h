/* The contract between the host plan of an sm_90a artifact and the runtime's CUDA device.
 *
 * The host plan is an ELF shared object (artifact kernel of kind host_shared_object) compiled
 * from MLIR's gpu-to-llvm lowering. That lowering calls the `mgpu*` functions below (the names
 * and signatures MLIR's GPUToLLVM conversion emits). ds4 does not link MLIR's CUDA runtime
 * wrappers: the compiler rewrites every such call into a call through a table that the shared
 * object exports, and the runtime fills the table with its own implementations after dlopen and
 * before calling anything. So the shared object needs only libc, and each loaded copy (one per
 * session) talks to its own session's device.
 *
 * Exported by the host plan:
 *   void *ds4_gpu_host_abi[DS4_GPU_HOST_ABI_COUNT];   the table, indexed by ds4_gpu_host_abi_index
 *   uint32_t ds4_gpu_host_abi_version;                DS4_GPU_HOST_ABI_VERSION at compile time
 *   void ds4_gpu_host_init(void);   loads the device modules (what would have been global ctors)
 *   void ds4_gpu_host_fini(void);   unloads them (what would have been global dtors)
 *   void ds4_entry_<name>(void **args)   as on the CPU: args[i] points at a memref descriptor,
 *                                   whose pointers are device addresses.
 *
 * Semantics the runtime implements (CUstream/CUmodule/CUfunction are the driver's handles):
 *   mgpuModuleLoad(data, size)            cuModuleLoadData on a cubin image
 *   mgpuModuleLoadJIT(data, optLevel)     cuModuleLoadDataEx on NUL-terminated PTX
 *   mgpuModuleUnload(module)
 *   mgpuModuleGetFunction(module, name)
 *   mgpuLaunchKernel(f, gx, gy, gz, bx, by, bz, smem, stream, params, extra, paramCount)
 *                                         cuLaunchKernel; params[i] points at argument i
 *   mgpuStreamCreate()                    returns the session's stream (never a new one), so a
 *                                         whole entry call is one stream and can be captured
 *   mgpuStreamSynchronize(stream)         no-op (the runtime synchronizes after the entry call;
 *                                         host code never reads device memory)
 *   mgpuStreamDestroy(stream)             no-op
 *   mgpuMemAlloc(bytes, stream, hostShared)  from the session's activation arena; the same
 *                                         sequence of calls yields the same addresses (so
 *                                         captured graphs stay valid); hostShared must be false
 *   mgpuMemFree(ptr, stream)              returns to the arena
 *   mgpuMemcpy(dst, src, bytes, stream)   cuMemcpyAsync on the session stream
 *   mgpuMemset32(dst, value, count, stream) / mgpuMemset16  cuMemsetD32Async / D16Async
 * Any driver error is recorded in the session (the first one wins) and reported when the entry
 * call returns; later calls in the same entry become no-ops.
 */
#ifndef DS4_GPU_HOST_ABI_H
#define DS4_GPU_HOST_ABI_H

#include <stdint.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

#define DS4_GPU_HOST_ABI_VERSION 1u

/* X(name, return type, parameter list) in table order. Append only. */
#define DS4_GPU_HOST_ABI_FUNCTIONS(X)                                                              \
  X(mgpuModuleLoad, void *, (void *data, uint64_t size))                                          \
  X(mgpuModuleLoadJIT, void *, (void *data, int optLevel))                                        \
  X(mgpuModuleUnload, void, (void *module))                                                       \
  X(mgpuModuleGetFunction, void *, (void *module, const char *name))                              \
  X(mgpuLaunchKernel, void,                                                                       \
    (void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ, intptr_t blockX,              \
     intptr_t blockY, intptr_t blockZ, int32_t smem, void *stream, void **params, void **extra,   \
     uint64_t paramCount))                                                                         \
  X(mgpuStreamCreate, void *, (void))                                                             \
  X(mgpuStreamDestroy, void, (void *stream))                                                      \
  X(mgpuStreamSynchronize, void, (void *stream))                                                  \
  X(mgpuMemAlloc, void *, (uint64_t sizeBytes, void *stream, bool isHostShared))                  \
  X(mgpuMemFree, void, (void *ptr, void *stream))                                                 \
  X(mgpuMemcpy, void, (void *dst, void *src, uint64_t sizeBytes, void *stream))                   \
  X(mgpuMemset32, void, (void *dst, uint32_t value, uint64_t count, void *stream))                \
  X(mgpuMemset16, void, (void *dst, uint16_t value, uint64_t count, void *stream))

enum ds4_gpu_host_abi_index {
#define DS4_GPU_HOST_ABI_ENUM(name, ret, params) ds4_gpu_host_abi_##name,
  DS4_GPU_HOST_ABI_FUNCTIONS(DS4_GPU_HOST_ABI_ENUM)
#undef DS4_GPU_HOST_ABI_ENUM
  DS4_GPU_HOST_ABI_COUNT
};

#endif /* DS4_GPU_HOST_ABI_H */

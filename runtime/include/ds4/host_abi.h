/* The contract between the host code of a cpu artifact and the runtime's thread pool.
 *
 * The compiler outlines every top-level parallel loop of the host code into a body function
 * over a range of flattened iterations, and calls it through a table the shared object
 * exports (as the GPU host plan does, see gpu_host_abi.h), so the shared object needs only libc
 * and libm and each loaded copy talks to its own session's pool:
 *
 *   void *ds4_host_abi[DS4_HOST_ABI_COUNT];     filled by the runtime after dlopen
 *   uint32_t ds4_host_abi_version;              DS4_HOST_ABI_VERSION at compile time
 *
 *   ds4_parallel_for(body, context, total)
 *       runs body(context, begin, end) over disjoint ranges covering [0, total) exactly once,
 *       possibly concurrently on several threads, and returns when all have finished. The
 *       iterations are independent (the compiler only outlines scf.parallel loops).
 *
 * A shared object without `ds4_host_abi` has no parallel loops and needs nothing.
 */
#ifndef DS4_HOST_ABI_H
#define DS4_HOST_ABI_H

#include <stdint.h>

#define DS4_HOST_ABI_VERSION 1u

typedef void (*ds4_parallel_body)(void *context, int64_t begin, int64_t end);
typedef void (*ds4_parallel_for_fn)(ds4_parallel_body body, void *context, int64_t total);

enum ds4_host_abi_index {
  ds4_host_abi_parallel_for = 0,
  DS4_HOST_ABI_COUNT
};

#endif /* DS4_HOST_ABI_H */

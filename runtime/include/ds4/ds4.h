/* ds4 runtime C API: load a compiled DeepSeek-V4 artifact with its checkpoint, run prefill and
 * decode on sequence slots, and sample tokens. libds4_runtime.so exports exactly these
 * functions (usable from C, C++ and Python ctypes).
 *
 * Conventions:
 *  - Functions returning int return 0 on success and non-zero on failure; the failure's
 *    message (one or more lines, each naming the input at fault) is then available from
 *    ds4_last_error(session) / ds4_sampler_last_error(sampler) until the next call on that
 *    object.
 *  - Strings returned through `char **error` are malloc'ed; release them with ds4_free().
 *  - A ds4_session is thread-safe: calls on one session serialize on an internal lock (the
 *    compiled host code is single-threaded); different sessions run concurrently. A
 *    ds4_sampler must not be used from two threads at once.
 *  - Logits are float32, row-major [tokens][vocab].
 */
#ifndef DS4_DS4_H
#define DS4_DS4_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define DS4_API __attribute__((visibility("default")))
#else
#define DS4_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ds4_session ds4_session;
typedef struct ds4_sampler ds4_sampler;

/* The artifact format version this library reads. */
DS4_API uint32_t ds4_format_version(void);

/* Loads `artifact` (a .ds4 file) and binds the checkpoint `weights` (a directory with
 * model.safetensors.index.json or model.safetensors, an index json, or one .safetensors file)
 * on `device` ("cpu" or "cuda"; NULL means "cpu"). max_batch / max_seq_len restrict the usable
 * slots / positions (0 = the artifact's; larger than the artifact's is an error). On failure
 * returns NULL and, if `error` is not NULL, stores a malloc'ed message there. */
DS4_API ds4_session *ds4_session_create(const char *artifact, const char *weights,
                                        const char *device, char **error);
DS4_API ds4_session *ds4_session_create_ex(const char *artifact, const char *weights,
                                           const char *device, int64_t max_batch,
                                           int64_t max_seq_len, char **error);
DS4_API void ds4_session_destroy(ds4_session *session);

DS4_API int64_t ds4_vocab_size(const ds4_session *session);
DS4_API int64_t ds4_max_batch(const ds4_session *session);
DS4_API int64_t ds4_max_seq_len(const ds4_session *session);
/* Tokens held by `slot` (the position its next token takes); -1 if slot is out of range. */
DS4_API int64_t ds4_slot_length(const ds4_session *session, int32_t slot);

/* Runs n >= 1 tokens of one sequence in `slot`, continuing at ds4_slot_length(slot). Writes
 * n * vocab logits to logits_out unless it is NULL. */
DS4_API int ds4_prefill(ds4_session *session, int32_t slot, const int32_t *tokens, size_t n,
                        float *logits_out);
/* One token for each of `batch` distinct slots, each at its own position. Writes
 * batch * vocab logits to logits_out unless it is NULL. */
DS4_API int ds4_decode(ds4_session *session, size_t batch, const int32_t *slots,
                       const int32_t *tokens, float *logits_out);
/* Empties `slot`: zero state, length 0. */
DS4_API int ds4_reset(ds4_session *session, int32_t slot);
/* The last failure's message on this session, or "" (owned by the session). */
DS4_API const char *ds4_last_error(const ds4_session *session);

/* Sampling: temperature 0 = greedy (argmax); otherwise softmax(logits / temperature)
 * restricted to the top_p nucleus (0 < top_p <= 1), drawn with a std::mt19937_64 seeded with
 * `seed`. Returns NULL on invalid options (message in *error as for ds4_session_create). */
DS4_API ds4_sampler *ds4_sampler_create(double temperature, double top_p, uint64_t seed,
                                        char **error);
DS4_API void ds4_sampler_destroy(ds4_sampler *sampler);
/* Picks one token of `vocab` logits into *token_out. */
DS4_API int ds4_sample(ds4_sampler *sampler, const float *logits, size_t vocab,
                       int32_t *token_out);
DS4_API const char *ds4_sampler_last_error(const ds4_sampler *sampler);

/* Releases a string this library returned through `char **error`. */
DS4_API void ds4_free(void *p);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DS4_DS4_H */

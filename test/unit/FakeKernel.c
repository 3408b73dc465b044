/* A stand-in for compiled host code, loaded by the session tests from a test artifact: the
 * entry points ds4_entry_prefill / ds4_entry_decode with the runtime's calling convention
 * (args[i] = address of the memref descriptor of Arg i) for the fake model of
 * TestArtifacts.h. Arg order: tokens i32 [B,T], positions i64 [B,T], slots i32 [B],
 * window f32 [S,8,2], compressed f32 [S,R,1], bias f32 [16], proj i8 [36],
 * experts i8 [48], stack bf16 [2,3], logits f32 [B,T,16].
 *
 * For each token it records the token in window[slot][pos % 8] = (token, pos + 1), adds 1 to
 * compressed[slot][pos / 4][0], and writes logits[b][t][v]:
 *   v = 0: position        v = 1: slot          v = 2: token
 *   v = 3: tokens the slot has seen (sum of its compressed column), this one included
 *   v = 4: checksum of proj (sum (i+1) * byte_i)   v = 5: checksum of experts
 *   v = 6: sum of stack as bf16                     v = 7: 1 if every descriptor has the
 *          expected sizes and contiguous strides, else 0
 *   v >= 8: bias[v] + 0.001 * token
 */
#include <stdint.h>
#include <string.h>

typedef struct { void *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } Ref1;
typedef struct { void *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } Ref2;
typedef struct { void *allocated, *aligned; int64_t offset, sizes[3], strides[3]; } Ref3;

static double checksum(const Ref1 *r) {
  const uint8_t *p = (const uint8_t *)r->aligned;
  double s = 0;
  for (int64_t i = 0; i < r->sizes[0]; ++i)
    s += (double)(i + 1) * p[i];
  return s;
}

static float bf16(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static int contiguous3(const Ref3 *r) {
  return r->offset == 0 && r->strides[2] == 1 && r->strides[1] == r->sizes[2] &&
         r->strides[0] == r->sizes[1] * r->sizes[2] && r->allocated == r->aligned;
}
static int contiguous2(const Ref2 *r) {
  return r->offset == 0 && r->strides[1] == 1 && r->strides[0] == r->sizes[1];
}

static void run(void **args) {
  const Ref2 *tokens = (const Ref2 *)args[0];
  const Ref2 *positions = (const Ref2 *)args[1];
  const Ref1 *slots = (const Ref1 *)args[2];
  const Ref3 *window = (const Ref3 *)args[3];
  const Ref3 *compressed = (const Ref3 *)args[4];
  const Ref1 *bias = (const Ref1 *)args[5];
  const Ref1 *proj = (const Ref1 *)args[6];
  const Ref1 *experts = (const Ref1 *)args[7];
  const Ref2 *stack = (const Ref2 *)args[8];
  const Ref3 *logits = (const Ref3 *)args[9];

  int64_t B = tokens->sizes[0], T = tokens->sizes[1], V = logits->sizes[2];
  int ok = contiguous2(tokens) && contiguous2(positions) && positions->sizes[0] == B &&
           positions->sizes[1] == T && slots->sizes[0] == B && slots->strides[0] == 1 &&
           window->sizes[1] == 8 && window->sizes[2] == 2 && contiguous3(window) &&
           compressed->sizes[0] == window->sizes[0] && compressed->sizes[2] == 1 &&
           contiguous3(compressed) && bias->sizes[0] == 16 && proj->sizes[0] == 36 &&
           experts->sizes[0] == 48 && stack->sizes[0] == 2 && stack->sizes[1] == 3 &&
           contiguous2(stack) && logits->sizes[0] == B && logits->sizes[1] == T && V == 16 &&
           contiguous3(logits) && ((uintptr_t)logits->aligned % 64) == 0 &&
           ((uintptr_t)proj->aligned % 64) == 0;

  const int32_t *tok = (const int32_t *)tokens->aligned;
  const int64_t *pos = (const int64_t *)positions->aligned;
  const int32_t *slot = (const int32_t *)slots->aligned;
  float *win = (float *)window->aligned;
  float *comp = (float *)compressed->aligned;
  const float *b = (const float *)bias->aligned;
  const uint16_t *st = (const uint16_t *)stack->aligned;
  float *out = (float *)logits->aligned;
  int64_t compRows = compressed->sizes[1];

  double projSum = checksum(proj), expertSum = checksum(experts);
  float stackSum = 0;
  for (int i = 0; i < 6; ++i)
    stackSum += bf16(st[i]);

  for (int64_t i = 0; i < B; ++i) {
    int64_t s = slot[i];
    for (int64_t t = 0; t < T; ++t) {
      int64_t p = pos[i * T + t];
      int32_t k = tok[i * T + t];
      float *w = win + (s * 8 + p % 8) * 2;
      w[0] = (float)k;
      w[1] = (float)(p + 1);
      comp[s * compRows + p / 4] += 1.0f;
      float seen = 0;
      for (int64_t r = 0; r < compRows; ++r)
        seen += comp[s * compRows + r];
      float *row = out + (i * T + t) * V;
      row[0] = (float)p;
      row[1] = (float)s;
      row[2] = (float)k;
      row[3] = seen;
      row[4] = (float)projSum;
      row[5] = (float)expertSum;
      row[6] = stackSum;
      row[7] = (float)ok;
      for (int64_t v = 8; v < V; ++v)
        row[v] = b[v] + 0.001f * (float)k;
    }
  }
}

void ds4_entry_prefill(void **args) { run(args); }
void ds4_entry_decode(void **args) { run(args); }

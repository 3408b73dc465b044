// The C API (runtime/include/ds4/ds4.h) over ds4::session::Session and Sampler.
#include "ds4/ds4.h"

#include "runtime/session/Sampler.h"
#include "runtime/session/Session.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>

using ds4::Status;
using ds4::session::Sampler;
using ds4::session::SamplingOptions;
using ds4::session::Session;
using ds4::session::SessionOptions;

struct ds4_session {
  std::unique_ptr<Session> session;
  mutable std::mutex errorMutex;
  std::string lastError;
};

struct ds4_sampler {
  Sampler sampler;
  std::string lastError;
};

namespace {

void setError(char **error, const std::string &message) {
  if (!error)
    return;
  *error = static_cast<char *>(std::malloc(message.size() + 1));
  if (*error)
    std::memcpy(*error, message.c_str(), message.size() + 1);
}

int record(ds4_session *s, const Status &status) {
  std::lock_guard<std::mutex> lock(s->errorMutex);
  s->lastError = status.message();
  return status.ok() ? 0 : 1;
}

int invalid(const char *function) {
  (void)function;
  return 2;
}

} // namespace

extern "C" {

uint32_t ds4_format_version(void) { return ds4::artifact::kFormatVersion; }

ds4_session *ds4_session_create_ex(const char *artifact, const char *weights, const char *device,
                                   int64_t max_batch, int64_t max_seq_len, char **error) {
  if (error)
    *error = nullptr;
  if (!artifact || !weights) {
    setError(error, std::string("ds4_session_create: ") + (!artifact ? "artifact" : "weights") +
                        " path is NULL");
    return nullptr;
  }
  SessionOptions options;
  if (device) {
    std::optional<ds4::Device> d = ds4::parseDevice(device);
    if (!d) {
      setError(error, std::string("ds4_session_create: unknown device '") + device +
                          "' (expected cpu or cuda)");
      return nullptr;
    }
    options.device = *d;
  }
  options.maxBatch = max_batch;
  options.maxSeqLen = max_seq_len;
  try {
    auto created = Session::create(artifact, weights, options);
    if (!created) {
      setError(error, created.status().message());
      return nullptr;
    }
    auto *s = new ds4_session;
    s->session = std::move(*created);
    return s;
  } catch (const std::exception &e) {
    setError(error, std::string("ds4_session_create: ") + e.what());
    return nullptr;
  }
}

ds4_session *ds4_session_create(const char *artifact, const char *weights, const char *device,
                                char **error) {
  return ds4_session_create_ex(artifact, weights, device, 0, 0, error);
}

void ds4_session_destroy(ds4_session *session) { delete session; }

int64_t ds4_vocab_size(const ds4_session *s) { return s ? s->session->vocabSize() : -1; }
int64_t ds4_max_batch(const ds4_session *s) { return s ? s->session->maxBatch() : -1; }
int64_t ds4_max_seq_len(const ds4_session *s) { return s ? s->session->maxSeqLen() : -1; }
int64_t ds4_slot_length(const ds4_session *s, int32_t slot) {
  return s ? s->session->length(slot) : -1;
}

int ds4_prefill(ds4_session *s, int32_t slot, const int32_t *tokens, size_t n,
                float *logits_out) {
  if (!s)
    return invalid("ds4_prefill");
  try {
    return record(s, s->session->prefill(slot, tokens, n, logits_out));
  } catch (const std::exception &e) {
    return record(s, Status::error(std::string("prefill: ") + e.what()));
  }
}

int ds4_decode(ds4_session *s, size_t batch, const int32_t *slots, const int32_t *tokens,
               float *logits_out) {
  if (!s)
    return invalid("ds4_decode");
  try {
    return record(s, s->session->decode(slots, tokens, batch, logits_out));
  } catch (const std::exception &e) {
    return record(s, Status::error(std::string("decode: ") + e.what()));
  }
}

int ds4_reset(ds4_session *s, int32_t slot) {
  if (!s)
    return invalid("ds4_reset");
  return record(s, s->session->reset(slot));
}

const char *ds4_last_error(const ds4_session *s) {
  if (!s)
    return "ds4_last_error: session is NULL";
  std::lock_guard<std::mutex> lock(s->errorMutex);
  return s->lastError.c_str();
}

ds4_sampler *ds4_sampler_create(double temperature, double top_p, uint64_t seed, char **error) {
  if (error)
    *error = nullptr;
  SamplingOptions o;
  o.temperature = temperature;
  o.topP = top_p;
  o.seed = seed;
  auto sampler = Sampler::create(o);
  if (!sampler) {
    setError(error, sampler.status().message());
    return nullptr;
  }
  return new ds4_sampler{std::move(*sampler), std::string()};
}

void ds4_sampler_destroy(ds4_sampler *sampler) { delete sampler; }

int ds4_sample(ds4_sampler *sampler, const float *logits, size_t vocab, int32_t *token_out) {
  if (!sampler)
    return invalid("ds4_sample");
  if (!token_out) {
    sampler->lastError = "sampling: token_out is NULL";
    return 1;
  }
  try {
    auto token = sampler->sampler.sample(logits, vocab);
    if (!token) {
      sampler->lastError = token.status().message();
      return 1;
    }
    sampler->lastError.clear();
    *token_out = *token;
    return 0;
  } catch (const std::exception &e) {
    sampler->lastError = std::string("sampling: ") + e.what();
    return 1;
  }
}

const char *ds4_sampler_last_error(const ds4_sampler *sampler) {
  return sampler ? sampler->lastError.c_str() : "ds4_sampler_last_error: sampler is NULL";
}

void ds4_free(void *p) { std::free(p); }

} // extern "C"

#include "runtime/artifact/Artifact.h"

#include "runtime/weights/DType.h"
#include "runtime/weights/Diagnostics.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>

#include <sys/stat.h>

namespace ds4 {

const char *deviceName(Device device) {
  switch (device) {
  case Device::cpu:
    return "cpu";
  case Device::cuda:
    return "cuda";
  }
  return "unknown";
}

std::optional<Device> parseDevice(std::string_view name) {
  if (name == "cpu")
    return Device::cpu;
  if (name == "cuda")
    return Device::cuda;
  return std::nullopt;
}

namespace artifact {

using weights::displayName;
using weights::DType;

namespace {

/// Largest FlatBuffer the library can address.
constexpr size_t kMaxArtifactBytes = size_t(FLATBUFFERS_MAX_BUFFER_SIZE) - 1;

bool mulOk(int64_t a, int64_t b, int64_t &out) {
  return !__builtin_mul_overflow(a, b, &out) && out <= kMaxBufferBytes;
}
bool addOk(int64_t a, int64_t b, int64_t &out) {
  return !__builtin_add_overflow(a, b, &out) && out <= kMaxBufferBytes;
}

int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

std::string str(const flatbuffers::String *s) { return s ? s->str() : std::string(); }

const char *targetName(Target t) {
  const char *n = EnumNameTarget(t);
  return n && *n ? n : "unknown";
}

std::string enumValue(const char *name, int value) {
  if (name && *name)
    return name;
  return "unknown (" + std::to_string(value) + ")";
}

bool isIdentifier(const flatbuffers::String *s) {
  if (!s || s->size() == 0)
    return false;
  for (size_t i = 0; i < s->size(); ++i) {
    char c = s->c_str()[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (digit && i > 0)))
      return false;
  }
  return true;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

size_t countStars(const std::string &s) {
  size_t n = 0;
  for (char c : s)
    n += c == '*';
  return n;
}

std::string expertName(const std::string &name, int64_t e) {
  std::string out = name;
  size_t star = out.find('*');
  if (star != std::string::npos)
    out.replace(star, 1, std::to_string(e));
  return out;
}

std::optional<uint64_t> parseHex64(const std::string &s) {
  if (s.empty() || s.size() > 16)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    v = v << 4 | uint64_t(d);
  }
  return v;
}

uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// Checks the semantic rules of a buffer the FlatBuffers verifier accepted.
class Checker {
public:
  Checker(const Model &m, const std::string &name, const LoadOptions &options)
      : m_(m), name_(name), options_(options) {}

  Status run() {
    checkHeader();
    checkKernels();
    checkWeights();
    checkStates();
    checkEntries();
    if (usesWeightArena(m_))
      checkArena();
    return std::move(status_);
  }

private:
  void error(const std::string &what) { status_.append(name_ + ": " + what); }

  template <typename T> static size_t size(const flatbuffers::Vector<flatbuffers::Offset<T>> *v) {
    return v ? v->size() : 0;
  }

  void checkHeader() {
    Target t = m_.target();
    bool knownTarget = t == Target_cpu || t == Target_sm_90a;
    if (!knownTarget)
      error("unknown target " + std::to_string(int(t)) + " (this runtime knows cpu and sm_90a)");
    if (knownTarget && options_.device) {
      Device want = t == Target_cpu ? Device::cpu : Device::cuda;
      if (*options_.device != want)
        error(std::string("the artifact targets ") + targetName(t) + ", which the " +
              deviceName(*options_.device) + " device cannot run (use --device=" +
              deviceName(want) + ", or compile with --target=" +
              (*options_.device == Device::cpu ? "cpu" : "sm_90a") + ")");
    }
    auto positive = [&](const char *field, int64_t v, int64_t limit) {
      if (v <= 0 || v > limit)
        error(std::string(field) + " " + std::to_string(v) + " is out of range (1.." +
              std::to_string(limit) + ")");
    };
    positive("vocab_size", m_.vocab_size(), kMaxVocabSize);
    positive("max_seq_len", m_.max_seq_len(), kMaxSeqLen);
    positive("max_batch", m_.max_batch(), kMaxBatch);
    if (m_.config_hash() && m_.config_json()) {
      std::optional<uint64_t> h = parseHex64(m_.config_hash()->str());
      uint64_t actual = fnv1a64(std::string_view(m_.config_json()->c_str(), m_.config_json()->size()));
      if (!h)
        error("config_hash " + displayName(m_.config_hash()->str()) +
              " is not a 64-bit hex number");
      else if (*h != actual)
        error("config_hash " + displayName(m_.config_hash()->str()) +
              " does not match config_json (FNV-1a 64 " + configHash(m_.config_json()->str()) +
              "): the config was altered after compilation");
    }
  }

  void checkKernels() {
    Target t = m_.target();
    for (size_t i = 0; i < size(m_.kernels()); ++i) {
      const Kernel *k = m_.kernels()->Get(flatbuffers::uoffset_t(i));
      std::string where = "kernel " + std::to_string(i);
      if (!k->name() || k->name()->size() == 0)
        error(where + ": missing name");
      else
        where += " " + displayName(k->name()->str());
      BinaryKind kind = k->kind();
      bool known = kind == BinaryKind_host_shared_object || kind == BinaryKind_ptx ||
                   kind == BinaryKind_cubin;
      if (!known)
        error(where + ": unknown binary kind " + std::to_string(int(kind)));
      else if (t == Target_cpu && kind != BinaryKind_host_shared_object)
        error(where + ": binary kind " + EnumNameBinaryKind(kind) +
              " cannot run on target cpu (expected host_shared_object)");
      // sm_90a: the host plan (host_shared_object) runs; its ptx / cubin modules are embedded
      // in it, and kernels of those kinds are carried only for inspection.
      if (!k->binary() || k->binary()->size() == 0)
        error(where + ": empty binary");
    }
  }

  void checkWeights() {
    std::map<std::string, size_t> names;
    std::map<std::string, size_t> tensors;
    int64_t tensorCount = 0;
    for (size_t i = 0; i < size(m_.weights()); ++i) {
      const Weight *w = m_.weights()->Get(flatbuffers::uoffset_t(i));
      std::string name = str(w->name());
      std::string where = "weight " + std::to_string(i) + " " + displayName(name);
      size_t before = status_.messages().size();
      if (name.empty()) {
        error("weight " + std::to_string(i) + ": empty name");
        continue;
      }
      auto dup = names.emplace(name, i);
      if (!dup.second)
        error(where + ": listed twice (weights " + std::to_string(dup.first->second) + " and " +
              std::to_string(i) + ")");
      std::string dtypeText = str(w->dtype());
      std::optional<DType> dtype = weights::parseDType(dtypeText);
      WeightLayout layout = w->layout();
      std::vector<int64_t> shape(w->shape()->begin(), w->shape()->end());
      for (size_t d = 0; d < shape.size(); ++d)
        if (shape[d] < 0)
          error(where + ": negative dimension " + std::to_string(shape[d]) + " in shape");
      if (w->experts() < 1 || w->experts() > kMaxExperts)
        error(where + ": experts " + std::to_string(w->experts()) + " is out of range (1.." +
              std::to_string(kMaxExperts) + ")");
      size_t stars = countStars(name);
      if (stars > 1)
        error(where + ": name holds " + std::to_string(stars) + " '*' (at most one)");
      if (w->experts() > 1 && stars == 0)
        error(where + ": experts " + std::to_string(w->experts()) +
              " but no '*' in the name to stand for the expert index");
      switch (layout) {
      case WeightLayout_plain:
        if (!dtype)
          error(where + ": unknown dtype " + displayName(dtypeText));
        else if (weights::dtypeBits(*dtype) % 8 != 0)
          error(where + ": dtype " + dtypeText + " is not byte-sized, so it cannot be plain");
        break;
      case WeightLayout_packed_fp8:
      case WeightLayout_packed_fp4: {
        const char *want = layout == WeightLayout_packed_fp8 ? "F8_E4M3" : "I8";
        if (dtypeText != want)
          error(where + ": dtype " + displayName(dtypeText) + " for layout " +
                EnumNameWeightLayout(layout) + " (expected " + want + ")");
        if (shape.size() != 2)
          error(where + ": packed weights have shape [rows, cols], not rank " +
                std::to_string(shape.size()));
        else if (layout == WeightLayout_packed_fp4 && shape[1] % 2 != 0)
          error(where + ": packed_fp4 needs an even number of columns, not " +
                std::to_string(shape[1]));
        if (w->block_rows() <= 0 || w->block_cols() <= 0)
          error(where + ": block " + std::to_string(w->block_rows()) + "x" +
                std::to_string(w->block_cols()) + " must be positive");
        if (!endsWith(name, "weight"))
          error(where + ": a packed weight's name ends in \"weight\" (its scales are "
                        "\"...scale\")");
        break;
      }
      default:
        error(where + ": unknown layout " + std::to_string(int(layout)));
      }
      if (status_.messages().size() != before)
        continue;
      std::optional<int64_t> bytes = weightBufferBytes(*w);
      if (!bytes) {
        error(where + ": buffer size overflows (limit " + std::to_string(kMaxBufferBytes) +
              " bytes)");
        continue;
      }
      if (w->bytes() != *bytes)
        error(where + ": bytes " + std::to_string(w->bytes()) + " does not match its layout (" +
              std::string(EnumNameWeightLayout(layout)) + ", " + std::to_string(w->experts()) +
              " x " + weights::formatTensorType(*dtype, shape) + " -> " +
              std::to_string(*bytes) + " bytes)");
      int64_t count = w->experts() * (layout == WeightLayout_plain ? 1 : 2);
      if (tensorCount + count > kMaxCheckpointTensors) {
        error(where + ": the weight table names more than " +
              std::to_string(kMaxCheckpointTensors) + " checkpoint tensors");
        return;
      }
      tensorCount += count;
      for (const weights::ExpectedTensor &t : checkpointTensors(*w)) {
        auto seen = tensors.emplace(t.name, i);
        if (!seen.second && seen.first->second != i)
          error(where + ": checkpoint tensor " + displayName(t.name) +
                " is also bound by weight " + std::to_string(seen.first->second));
        else if (!seen.second)
          error(where + ": checkpoint tensor " + displayName(t.name) + " appears twice");
      }
    }
  }

  void checkStates() {
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < size(m_.states()); ++i) {
      const State *s = m_.states()->Get(flatbuffers::uoffset_t(i));
      std::string name = str(s->name());
      std::string where = "state " + std::to_string(i) + " " + displayName(name);
      if (name.empty()) {
        error("state " + std::to_string(i) + ": empty name");
        continue;
      }
      auto dup = names.emplace(name, i);
      if (!dup.second)
        error(where + ": listed twice (states " + std::to_string(dup.first->second) + " and " +
              std::to_string(i) + ")");
      if (!EnumNameStateKind(s->kind()) || !*EnumNameStateKind(s->kind()))
        error(where + ": unknown kind " + std::to_string(int(s->kind())));
      bool ok = true;
      if (s->width() <= 0) {
        error(where + ": width " + std::to_string(s->width()) + " must be positive");
        ok = false;
      }
      if (s->fixed_rows() < 0 || s->ratio() < 0) {
        error(where + ": fixed_rows " + std::to_string(s->fixed_rows()) + " and ratio " +
              std::to_string(s->ratio()) + " must not be negative");
        ok = false;
      } else if (s->fixed_rows() == 0 && s->ratio() == 0) {
        error(where + ": neither fixed_rows nor ratio is set, so it has no rows");
        ok = false;
      }
      if (!ok || m_.max_seq_len() <= 0 || m_.max_batch() <= 0 || m_.max_batch() > kMaxBatch ||
          m_.max_seq_len() > kMaxSeqLen)
        continue;
      int64_t elements, bytes;
      if (!mulOk(m_.max_batch(), stateRows(*s, m_.max_seq_len()), elements) ||
          !mulOk(elements, s->width(), elements) || !mulOk(elements, 4, bytes))
        error(where + ": buffer size overflows (limit " + std::to_string(kMaxBufferBytes) +
              " bytes)");
    }
  }

  void checkEntries() {
    std::map<std::string, size_t> names;
    Target t = m_.target();
    for (size_t i = 0; i < size(m_.entries()); ++i) {
      const Entry *e = m_.entries()->Get(flatbuffers::uoffset_t(i));
      std::string name = str(e->name());
      std::string where = "entry " + displayName(name);
      if (name.empty()) {
        error("entry " + std::to_string(i) + ": empty name");
        continue;
      }
      auto dup = names.emplace(name, i);
      if (!dup.second)
        error(where + ": listed twice (entries " + std::to_string(dup.first->second) + " and " +
              std::to_string(i) + ")");
      if (name == "prefill" && (e->batch() != 1 || e->tokens() != -1))
        error(where + ": batch " + std::to_string(e->batch()) + ", tokens " +
              std::to_string(e->tokens()) + " (prefill is batch 1, tokens -1)");
      if (name == "decode" && (e->batch() != -1 || e->tokens() != 1))
        error(where + ": batch " + std::to_string(e->batch()) + ", tokens " +
              std::to_string(e->tokens()) + " (decode is batch -1, tokens 1)");
      size_t commands = e->commands() ? e->commands()->size() : 0;
      if (commands == 0)
        error(where + ": no commands");
      bool logits = false;
      for (size_t c = 0; c < commands; ++c)
        logits |= checkCommand(t, where + ", command " + std::to_string(c),
                               *e->commands()->Get(flatbuffers::uoffset_t(c)));
      if (commands && !logits)
        error(where + ": no command writes the logits (no logits argument)");
    }
    for (const char *required : {"prefill", "decode"})
      if (!names.count(required))
        error(std::string("missing entry '") + required + "'");
  }

  /// The arena an entry takes as one `weights_arena` argument: every weight at its offset,
  /// 64-byte aligned, inside weight_arena_bytes, none overlapping another.
  void checkArena() {
    int64_t total = m_.weight_arena_bytes();
    if (total < 0 || total > kMaxBufferBytes) {
      error("weight_arena_bytes " + std::to_string(total) + " is out of range (0.." +
            std::to_string(kMaxBufferBytes) + ")");
      return;
    }
    std::vector<std::pair<int64_t, size_t>> starts; // (offset, weight index)
    for (size_t i = 0; i < size(m_.weights()); ++i) {
      const Weight *w = m_.weights()->Get(flatbuffers::uoffset_t(i));
      std::string where = "weight " + std::to_string(i) + " " + displayName(str(w->name()));
      std::optional<int64_t> bytes = weightBufferBytes(*w);
      if (!bytes || w->bytes() != *bytes)
        continue; // reported with the weight
      int64_t offset = w->offset(), end;
      if (offset < 0 || offset % kWeightArenaAlignment != 0) {
        error(where + ": arena offset " + std::to_string(offset) +
              " is not a non-negative multiple of " + std::to_string(kWeightArenaAlignment));
        continue;
      }
      if (!addOk(offset, w->bytes(), end) || end > total) {
        error(where + ": arena offset " + std::to_string(offset) + " + " +
              std::to_string(w->bytes()) + " bytes exceeds weight_arena_bytes " +
              std::to_string(total));
        continue;
      }
      starts.emplace_back(offset, i);
    }
    std::sort(starts.begin(), starts.end());
    for (size_t k = 1; k < starts.size(); ++k) {
      const Weight *prev = m_.weights()->Get(flatbuffers::uoffset_t(starts[k - 1].second));
      if (starts[k - 1].first + prev->bytes() > starts[k].first)
        error("weight " + std::to_string(starts[k].second) + " " +
              displayName(str(m_.weights()->Get(flatbuffers::uoffset_t(starts[k].second))->name())) +
              ": arena offset " + std::to_string(starts[k].first) + " overlaps weight " +
              std::to_string(starts[k - 1].second) + " " + displayName(str(prev->name())) +
              " (bytes " + std::to_string(starts[k - 1].first) + ".." +
              std::to_string(starts[k - 1].first + prev->bytes()) + ")");
    }
  }

  /// Returns whether the command passes the logits.
  bool checkCommand(Target t, const std::string &where, const Command &c) {
    CommandOp op = c.op();
    bool logits = false;
    const char *opName = EnumNameCommandOp(op);
    if (!opName || !*opName) {
      error(where + ": unknown op " + std::to_string(int(op)));
    } else if (op == CommandOp_copy || op == CommandOp_fill) {
      error(where + ": op " + opName + " is not supported in format version " +
            std::to_string(kFormatVersion));
    } else if (t == Target_cpu && op != CommandOp_call_host) {
      error(where + ": op " + opName + " cannot run on target cpu (expected call_host)");
    } else if (t == Target_sm_90a && op != CommandOp_call_host) {
      error(where + ": op " + opName + " cannot run on target sm_90a (expected call_host of "
                                      "the host plan, which launches the kernels)");
    }
    size_t kernels = size(m_.kernels());
    if (c.kernel() >= kernels) {
      error(where + ": kernel index " + std::to_string(c.kernel()) + " is out of range (" +
            std::to_string(kernels) + " kernels)");
    } else {
      const Kernel *k = m_.kernels()->Get(c.kernel());
      if (op == CommandOp_call_host && k->kind() != BinaryKind_host_shared_object)
        error(where + ": call_host of kernel " + std::to_string(c.kernel()) + " of kind " +
              enumValue(EnumNameBinaryKind(k->kind()), int(k->kind())) +
              " (expected host_shared_object)");
    }
    if (op == CommandOp_call_host && !isIdentifier(c.symbol()))
      error(where + ": symbol " + (c.symbol() ? displayName(c.symbol()->str()) : "(missing)") +
            " is not a C identifier");
    if (!c.args())
      return false;
    std::vector<size_t> logitArgs;
    for (size_t a = 0; a < c.args()->size(); ++a)
      if (c.args()->Get(flatbuffers::uoffset_t(a))->kind() == ArgKind_logits)
        logitArgs.push_back(a);
    if (logitArgs.size() > 1) {
      std::string list;
      for (size_t i = 0; i < logitArgs.size() && i < 8; ++i)
        list += (i ? ", " : "") + std::to_string(logitArgs[i]);
      if (logitArgs.size() > 8)
        list += ", ...";
      error(where + ": passes logits " + std::to_string(logitArgs.size()) + " times (args " +
            list + "); there is one logits output (are other outputs, e.g. updated state, "
            "marked as logits?)");
    }
    for (size_t a = 0; a < c.args()->size(); ++a) {
      const Arg &arg = *c.args()->Get(flatbuffers::uoffset_t(a));
      std::string at = where + ", arg " + std::to_string(a);
      ArgKind kind = arg.kind();
      const char *kindName = EnumNameArgKind(kind);
      if (!kindName || !*kindName) {
        error(at + ": unknown kind " + std::to_string(int(kind)));
        continue;
      }
      at += " (" + std::string(kindName) + ")";
      if (kind == ArgKind_logits)
        logits = true;
      if (kind == ArgKind_state && arg.index() >= size(m_.states())) {
        error(at + ": state index " + std::to_string(arg.index()) + " is out of range (" +
              std::to_string(size(m_.states())) + " states)");
        continue;
      }
      if (kind == ArgKind_weight) {
        if (arg.index() >= size(m_.weights())) {
          error(at + ": weight index " + std::to_string(arg.index()) + " is out of range (" +
                std::to_string(size(m_.weights())) + " weights)");
          continue;
        }
        const Weight *w = m_.weights()->Get(arg.index());
        if (!weightBufferBytes(*w))
          continue; // reported with the weight
      }
      int64_t rank = argRank(m_, arg);
      if (int64_t(arg.rank()) != rank)
        error(at + ": rank " + std::to_string(arg.rank()) + ", but the runtime passes rank " +
              std::to_string(rank));
    }
    return logits;
  }

  const Model &m_;
  const std::string &name_;
  const LoadOptions &options_;
  Status status_;
};

} // namespace

Status verifyArtifact(const uint8_t *data, size_t size, const std::string &name,
                      const LoadOptions &options) {
  if (size < 8)
    return Status::error(name + ": " + weights::byteCount(size) +
                         " is too short to be a ds4 artifact (truncated file?)");
  if (size > kMaxArtifactBytes)
    return Status::error(name + ": " + weights::byteCount(size) +
                         " is larger than a FlatBuffer can be (2 GiB)");
  if (!ModelBufferHasIdentifier(data)) {
    std::string got(reinterpret_cast<const char *>(data) + 4, 4);
    return Status::error(name + ": not a ds4 artifact (file identifier " + displayName(got) +
                         ", expected '" + kFileIdentifier + "')");
  }
  if (reinterpret_cast<uintptr_t>(data) % 8 != 0)
    return Status::error(name + ": internal error: artifact buffer is not 8-byte aligned");
  flatbuffers::Verifier verifier(data, size, /*max_depth=*/64, /*max_tables=*/size_t(1) << 26);
  if (!VerifyModelBuffer(verifier))
    return Status::error(name + ": corrupt or truncated ds4 artifact (" +
                         weights::byteCount(size) +
                         "; the FlatBuffers verifier rejects its tables)");
  const Model &m = *GetModel(data);
  if (m.format_version() != kFormatVersion)
    return Status::error(name + ": artifact format version " +
                         std::to_string(m.format_version()) + ", but this runtime reads version " +
                         std::to_string(kFormatVersion) +
                         " (recompile it with a matching ds4-compile)");
  return Checker(m, name, options).run();
}

Expected<Artifact> Artifact::fromBuffer(std::vector<uint8_t> bytes, std::string name,
                                        const LoadOptions &options) {
  // std::vector's storage comes from operator new: aligned for any fundamental type.
  Status s = verifyArtifact(bytes.data(), bytes.size(), name, options);
  if (!s.ok())
    return s;
  return Artifact(std::move(bytes), std::move(name));
}

Expected<Artifact> Artifact::fromBuffer(const uint8_t *data, size_t size, std::string name,
                                        const LoadOptions &options) {
  return fromBuffer(std::vector<uint8_t>(data, data + size), std::move(name), options);
}

Expected<Artifact> Artifact::load(const std::string &path, const LoadOptions &options) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return Status::error(path + ": cannot open artifact: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    return Status::error(path + ": is a directory, not a ds4 artifact");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::error(path + ": cannot open artifact: " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  std::streamoff end = in.tellg();
  if (end < 0)
    return Status::error(path + ": cannot read artifact (not a regular file?)");
  if (uint64_t(end) > kMaxArtifactBytes)
    return Status::error(path + ": " + weights::byteCount(uint64_t(end)) +
                         " is larger than a FlatBuffer can be (2 GiB)");
  std::vector<uint8_t> bytes(static_cast<size_t>(end));
  in.seekg(0);
  if (!bytes.empty())
    in.read(reinterpret_cast<char *>(bytes.data()), std::streamsize(bytes.size()));
  if (!in)
    return Status::error(path + ": cannot read artifact: " + std::strerror(errno));
  return fromBuffer(std::move(bytes), path, options);
}

const Entry *Artifact::findEntry(std::string_view name) const {
  const Model &m = model();
  if (!m.entries())
    return nullptr;
  for (const Entry *e : *m.entries())
    if (e->name() && e->name()->string_view() == name)
      return e;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------

bool isStacked(const Weight &weight) {
  return weight.name() && weight.name()->string_view().find('*') != std::string_view::npos;
}

PackedLayout packedLayout(const Weight &weight) {
  PackedLayout l;
  l.experts = weight.experts();
  if (!weight.shape() || weight.shape()->size() != 2 || weight.block_rows() <= 0 ||
      weight.block_cols() <= 0)
    return l;
  l.rows = weight.shape()->Get(0);
  l.cols = weight.shape()->Get(1);
  l.codeCols = weight.layout() == WeightLayout_packed_fp4 ? l.cols / 2 : l.cols;
  l.scaleRows = ceilDiv(l.rows, weight.block_rows());
  l.scaleCols = ceilDiv(l.cols, weight.block_cols());
  return l;
}

std::optional<int64_t> weightBufferBytes(const Weight &weight) {
  if (!weight.shape() || weight.experts() < 1)
    return std::nullopt;
  std::vector<int64_t> shape(weight.shape()->begin(), weight.shape()->end());
  int64_t total;
  if (weight.layout() == WeightLayout_plain) {
    std::optional<DType> dtype = weights::parseDType(str(weight.dtype()));
    if (!dtype)
      return std::nullopt;
    std::optional<uint64_t> one = weights::byteSize(*dtype, shape);
    if (!one || *one > uint64_t(kMaxBufferBytes) || !mulOk(int64_t(*one), weight.experts(), total))
      return std::nullopt;
    return total;
  }
  if (weight.layout() != WeightLayout_packed_fp8 && weight.layout() != WeightLayout_packed_fp4)
    return std::nullopt;
  if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0 || weight.block_rows() <= 0 ||
      weight.block_cols() <= 0)
    return std::nullopt;
  PackedLayout l = packedLayout(weight);
  int64_t codes, scales;
  if (!mulOk(l.rows, l.codeCols, codes) || !mulOk(codes, l.experts, codes) ||
      !mulOk(l.scaleRows, l.scaleCols, scales) || !mulOk(scales, l.experts, scales) ||
      !addOk(codes, scales, total))
    return std::nullopt;
  return total;
}

std::vector<int64_t> weightBufferShape(const Weight &weight) {
  if (weight.layout() != WeightLayout_plain) {
    std::optional<int64_t> bytes = weightBufferBytes(weight);
    return {bytes ? *bytes : 0};
  }
  std::vector<int64_t> shape;
  if (isStacked(weight))
    shape.push_back(weight.experts());
  if (weight.shape())
    shape.insert(shape.end(), weight.shape()->begin(), weight.shape()->end());
  return shape;
}

std::vector<weights::ExpectedTensor> checkpointTensors(const Weight &weight) {
  std::vector<weights::ExpectedTensor> out;
  std::string name = str(weight.name());
  std::vector<int64_t> shape;
  if (weight.shape())
    shape.assign(weight.shape()->begin(), weight.shape()->end());
  int64_t experts = std::max<int64_t>(weight.experts(), 1);
  if (weight.layout() == WeightLayout_plain) {
    std::optional<DType> dtype = weights::parseDType(str(weight.dtype()));
    for (int64_t e = 0; e < experts; ++e)
      out.push_back({expertName(name, e), dtype.value_or(DType::U8), shape});
    return out;
  }
  PackedLayout l = packedLayout(weight);
  bool fp4 = weight.layout() == WeightLayout_packed_fp4;
  std::string stem = endsWith(name, "weight") ? name.substr(0, name.size() - 6) : name + ".";
  for (int64_t e = 0; e < experts; ++e)
    out.push_back({expertName(name, e), fp4 ? DType::I8 : DType::F8_E4M3, {l.rows, l.codeCols}});
  for (int64_t e = 0; e < experts; ++e)
    out.push_back({expertName(stem + "scale", e), DType::F8_E8M0, {l.scaleRows, l.scaleCols}});
  return out;
}

int64_t stateRows(const State &state, int64_t maxSeqLen) {
  if (state.fixed_rows() > 0)
    return state.fixed_rows();
  if (state.ratio() <= 0)
    return 0;
  return ceilDiv(maxSeqLen, state.ratio());
}

int64_t argRank(const Model &model, const Arg &arg) {
  switch (arg.kind()) {
  case ArgKind_tokens:
  case ArgKind_positions:
    return 2;
  case ArgKind_slots:
    return 1;
  case ArgKind_state:
  case ArgKind_logits:
    return 3;
  case ArgKind_weight:
    if (!model.weights() || arg.index() >= model.weights()->size())
      return -1;
    return int64_t(weightBufferShape(*model.weights()->Get(arg.index())).size());
  case ArgKind_weights_arena:
    return 1;
  }
  return -1;
}

bool usesWeightArena(const Model &model) {
  if (!model.entries())
    return false;
  for (const Entry *e : *model.entries())
    for (size_t c = 0; e->commands() && c < e->commands()->size(); ++c) {
      const Command *cmd = e->commands()->Get(flatbuffers::uoffset_t(c));
      for (size_t a = 0; cmd->args() && a < cmd->args()->size(); ++a)
        if (cmd->args()->Get(flatbuffers::uoffset_t(a))->kind() == ArgKind_weights_arena)
          return true;
    }
  return false;
}

std::string configHash(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  uint64_t h = fnv1a64(text);
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4)
    out[size_t(i)] = kHex[h & 15];
  return out;
}

} // namespace artifact
} // namespace ds4

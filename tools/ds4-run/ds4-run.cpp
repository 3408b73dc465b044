// ds4-run: generate tokens from a compiled artifact and a checkpoint (the runtime only; no
// LLVM/MLIR).
//
//   ds4-run model.ds4 --weights=DIR|FILE --prompt-ids=1,2,3 [--max-new-tokens=N]
//           [--temperature=T --top-p=P --seed=S] [--dump-logits=FILE] [--device=cpu|cuda]
//           [--prefill-chunk=N]
//
// stdout: the generated token ids on one line (comma-separated), then
//   prefill: N tokens in S s (R tokens/s)
//   decode: M tokens in S s (R tokens/s)
// stderr: progress for long prompts, and errors ("ds4-run: ..."), each naming the input at
// fault; the exit status is 0 only on success. --dump-logits writes a safetensors file (see
// docs/artifact-and-runtime.md), through a temporary file renamed into place, only on success.
#include "runtime/session/Sampler.h"
#include "runtime/session/Session.h"
#include "runtime/weights/SafeTensors.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace ds4;
using ds4::session::Sampler;
using ds4::session::SamplingOptions;
using ds4::session::Session;
using ds4::session::SessionOptions;

namespace {

constexpr int64_t kDefaultMaxNewTokens = 16;
/// Prompts at least this long get progress lines on stderr.
constexpr size_t kProgressThreshold = 256;

const char *kUsage =
    "usage: ds4-run MODEL.ds4 --weights=DIR|FILE --prompt-ids=ID,ID,... [options]\n"
    "\n"
    "Runs a compiled DeepSeek-V4 artifact: prefill of the prompt, then decode steps.\n"
    "Prints the generated token ids (one line, comma-separated), then prefill and decode\n"
    "throughput.\n"
    "\n"
    "  --weights=PATH         checkpoint: a directory (model.safetensors.index.json or\n"
    "                         model.safetensors), an index json, or one .safetensors file\n"
    "  --prompt-ids=LIST      comma-separated token ids (at least one)\n"
    "  --max-new-tokens=N     tokens to generate (default 16; 0 = prefill only)\n"
    "  --temperature=T        0 = greedy (default); > 0 samples\n"
    "  --top-p=P              nucleus size in (0, 1] (default 1)\n"
    "  --seed=S               sampling seed (default 0)\n"
    "  --dump-logits=FILE     write every position's logits to FILE (safetensors, tensor\n"
    "                         \"logits\" F32 [positions, vocab])\n"
    "  --device=cpu|cuda      where to run (default cpu)\n"
    "  --prefill-chunk=N      prefill in pieces of N tokens (default 0 = one call)\n"
    "  --help                 this text\n";

struct Options {
  std::string artifact;
  std::string weights;
  std::vector<int32_t> prompt;
  int64_t maxNewTokens = kDefaultMaxNewTokens;
  SamplingOptions sampling;
  std::string dumpLogits;
  Device device = Device::cpu;
  int64_t prefillChunk = 0;
};

int fail(const std::string &message) {
  // Every line of a multi-line status gets the tool's prefix.
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos)
      end = message.size();
    std::fprintf(stderr, "ds4-run: %s\n", message.substr(start, end - start).c_str());
    start = end + 1;
  }
  return 1;
}

bool parseInt64(const std::string &text, int64_t &out) {
  if (text.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0])))
    return false;
  out = v;
  return true;
}

bool parseUint64(const std::string &text, uint64_t &out) {
  if (text.empty() || text[0] == '-' || text[0] == '+' ||
      std::isspace(static_cast<unsigned char>(text[0])))
    return false;
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  out = v;
  return true;
}

bool parseDouble(const std::string &text, double &out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    return false;
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

/// Parses argv; returns an error message, "" on success, or "help".
std::string parseArgs(int argc, char **argv, Options &o) {
  std::map<std::string, std::string> values;
  std::vector<std::string> positional;
  static const char *kKnown[] = {"weights",     "prompt-ids", "max-new-tokens", "temperature",
                                 "top-p",       "seed",       "dump-logits",    "device",
                                 "prefill-chunk"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h")
      return "help";
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      if (arg == "--") {
        for (++i; i < argc; ++i)
          positional.push_back(argv[i]);
        break;
      }
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    size_t eq = name.find('=');
    bool known = false;
    std::string key = eq == std::string::npos ? name : name.substr(0, eq);
    for (const char *k : kKnown)
      known |= key == k;
    if (!known)
      return "unknown flag '--" + key + "' (see --help)";
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
    } else {
      if (i + 1 >= argc)
        return "flag '--" + key + "' needs a value (--" + key + "=VALUE)";
      value = argv[++i];
    }
    if (values.count(key))
      return "flag '--" + key + "' given twice";
    values[key] = value;
  }
  if (positional.empty())
    return "missing the artifact (ds4-run MODEL.ds4 --weights=... --prompt-ids=...; see --help)";
  if (positional.size() > 1)
    return "unexpected argument '" + positional[1] + "' (one artifact only)";
  o.artifact = positional[0];

  if (!values.count("weights"))
    return "missing --weights=DIR|FILE";
  o.weights = values["weights"];
  if (o.weights.empty())
    return "--weights: empty path";

  if (!values.count("prompt-ids"))
    return "missing --prompt-ids=ID,ID,...";
  const std::string &ids = values["prompt-ids"];
  size_t start = 0, index = 0;
  while (true) {
    size_t comma = ids.find(',', start);
    std::string item = ids.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
    int64_t id;
    if (!parseInt64(item, id) || id < 0 || id > std::numeric_limits<int32_t>::max())
      return "--prompt-ids: item " + std::to_string(index) + " '" + item +
             "' is not a token id (a non-negative integer)";
    o.prompt.push_back(int32_t(id));
    ++index;
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }

  if (values.count("max-new-tokens") &&
      (!parseInt64(values["max-new-tokens"], o.maxNewTokens) || o.maxNewTokens < 0))
    return "--max-new-tokens: '" + values["max-new-tokens"] + "' is not a non-negative integer";
  if (values.count("temperature") && !parseDouble(values["temperature"], o.sampling.temperature))
    return "--temperature: '" + values["temperature"] + "' is not a number";
  if (values.count("top-p") && !parseDouble(values["top-p"], o.sampling.topP))
    return "--top-p: '" + values["top-p"] + "' is not a number";
  if (values.count("seed") && !parseUint64(values["seed"], o.sampling.seed))
    return "--seed: '" + values["seed"] + "' is not a non-negative 64-bit integer";
  std::string problem = session::samplingOptionsProblem(o.sampling);
  if (!problem.empty())
    return (o.sampling.temperature < 0 || !std::isfinite(o.sampling.temperature)
                ? "--temperature: "
                : "--top-p: ") +
           problem;
  if (values.count("dump-logits")) {
    o.dumpLogits = values["dump-logits"];
    if (o.dumpLogits.empty())
      return "--dump-logits: empty path";
  }
  if (values.count("device")) {
    std::optional<Device> d = parseDevice(values["device"]);
    if (!d)
      return "--device: unknown device '" + values["device"] + "' (expected cpu or cuda)";
    o.device = *d;
  }
  if (values.count("prefill-chunk") &&
      (!parseInt64(values["prefill-chunk"], o.prefillChunk) || o.prefillChunk < 0))
    return "--prefill-chunk: '" + values["prefill-chunk"] + "' is not a non-negative integer";
  return "";
}

double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string rate(int64_t tokens, double s) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%lld tokens in %.3f s (%.2f tokens/s)",
                static_cast<long long>(tokens), s, s > 0 ? double(tokens) / s : 0.0);
  return buf;
}

std::string joinIds(const std::vector<int32_t> &ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i)
      out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  std::string error = parseArgs(argc, argv, o);
  if (error == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!error.empty())
    return fail(error);

  // The artifact first: prompt and context problems are reported before any weights load.
  artifact::LoadOptions lo;
  lo.device = o.device;
  auto loaded = artifact::Artifact::load(o.artifact, lo);
  if (!loaded)
    return fail(loaded.status().message());
  const int64_t vocab = loaded->model().vocab_size();
  const int64_t maxSeqLen = loaded->model().max_seq_len();
  const int64_t n = int64_t(o.prompt.size());
  for (size_t j = 0; j < o.prompt.size(); ++j)
    if (o.prompt[j] >= vocab)
      return fail("--prompt-ids: token id " + std::to_string(o.prompt[j]) + " at position " +
                  std::to_string(j) + " is out of range for " + o.artifact + " (vocabulary size " +
                  std::to_string(vocab) + ")");
  int64_t decodeSteps = o.maxNewTokens > 0 ? o.maxNewTokens - 1 : 0;
  if (n + decodeSteps > maxSeqLen)
    return fail("the prompt (" + std::to_string(n) + " tokens) and --max-new-tokens=" +
                std::to_string(o.maxNewTokens) + " need " + std::to_string(n + decodeSteps) +
                " positions, but " + o.artifact + " was compiled for a maximum sequence length "
                "of " + std::to_string(maxSeqLen) + " (ds4-compile --max-seq-len)");

  SessionOptions so;
  so.device = o.device;
  auto created = Session::create(std::move(*loaded), o.weights, so);
  if (!created)
    return fail(created.status().message());
  Session &s = **created;

  auto sampler = Sampler::create(o.sampling);
  if (!sampler)
    return fail(sampler.status().message());

  bool dump = !o.dumpLogits.empty();
  std::vector<float> allLogits; // [positions, vocab] when dumping
  std::vector<float> lastRow(size_t(vocab), 0.0f);
  if (dump)
    allLogits.resize(size_t(n + decodeSteps) * size_t(vocab));

  // Prefill, in chunks if asked (each continues the slot).
  bool progress = o.prompt.size() >= kProgressThreshold;
  int64_t chunk = o.prefillChunk > 0 ? o.prefillChunk : n;
  std::vector<float> chunkLogits;
  auto t0 = std::chrono::steady_clock::now();
  if (progress)
    std::fprintf(stderr, "ds4-run: prefill of %lld tokens%s\n", static_cast<long long>(n),
                 chunk < n ? (" in chunks of " + std::to_string(chunk)).c_str() : "");
  for (int64_t at = 0; at < n; at += chunk) {
    int64_t len = std::min(chunk, n - at);
    float *out;
    if (dump) {
      out = allLogits.data() + size_t(at) * size_t(vocab);
    } else {
      chunkLogits.resize(size_t(len) * size_t(vocab));
      out = chunkLogits.data();
    }
    Status st = s.prefill(0, o.prompt.data() + at, size_t(len), out);
    if (!st.ok())
      return fail(o.artifact + ": " + st.message());
    if (at + len == n)
      std::memcpy(lastRow.data(), out + size_t(len - 1) * size_t(vocab),
                  size_t(vocab) * sizeof(float));
    if (progress)
      std::fprintf(stderr, "ds4-run: prefill %lld/%lld tokens (%.1f s)\n",
                   static_cast<long long>(at + len), static_cast<long long>(n),
                   seconds(t0, std::chrono::steady_clock::now()));
  }
  auto t1 = std::chrono::steady_clock::now();

  std::vector<int32_t> generated;
  std::vector<int32_t> fed = o.prompt; // the token behind each logits row
  for (int64_t step = 0; step < o.maxNewTokens; ++step) {
    auto token = sampler->sample(lastRow.data(), size_t(vocab));
    if (!token)
      return fail(o.artifact + ": " + token.status().message());
    generated.push_back(*token);
    if (step + 1 == o.maxNewTokens)
      break;
    int32_t slot = 0;
    float *out = dump ? allLogits.data() + size_t(n + step) * size_t(vocab) : lastRow.data();
    Status st = s.decode(&slot, &*token, 1, out);
    if (!st.ok())
      return fail(o.artifact + ": " + st.message());
    fed.push_back(*token);
    if (dump)
      std::memcpy(lastRow.data(), out, size_t(vocab) * sizeof(float));
  }
  auto t2 = std::chrono::steady_clock::now();

  if (dump) {
    weights::SafeTensorsWriter writer;
    writer.setMetadata("format", "ds4-logits");
    writer.setMetadata("format_version", "1");
    writer.setMetadata("artifact", o.artifact);
    writer.setMetadata("prompt_length", std::to_string(n));
    writer.setMetadata("tokens", joinIds(fed));
    writer.setMetadata("generated", joinIds(generated));
    writer.setMetadata("temperature", std::to_string(o.sampling.temperature));
    writer.setMetadata("top_p", std::to_string(o.sampling.topP));
    writer.setMetadata("seed", std::to_string(o.sampling.seed));
    Status st = writer.addBorrowed("logits", weights::DType::F32,
                                   {n + decodeSteps, vocab}, allLogits.data(),
                                   allLogits.size() * sizeof(float));
    if (st.ok())
      st = writer.write(o.dumpLogits);
    if (!st.ok())
      return fail("--dump-logits: " + st.message());
  }

  std::printf("%s\n", joinIds(generated).c_str());
  std::printf("prefill: %s\n", rate(n, seconds(t0, t1)).c_str());
  std::printf("decode: %s\n", rate(decodeSteps, seconds(t1, t2)).c_str());
  if (std::fflush(stdout) != 0)
    return fail(std::string("cannot write to stdout: ") + std::strerror(errno));
  return 0;
}

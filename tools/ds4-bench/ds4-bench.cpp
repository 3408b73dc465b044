// ds4-bench MODEL.ds4 --weights=DIR [--device=cuda|cpu] [--prefill=N,...] [--contexts=C,...]
//           [--batch=B] [--iters=N] [--warmup=N] [--kernels] [--peak-tflops=T]
//           [--torch=FILE.json] [--json=FILE]
//
// Times whole prefill and decode steps of a compiled model (device events on cuda, around the
// entry's commands; decode steps replayed from CUDA graphs as ds4-run runs them), the median
// of --iters after --warmup, fresh random token ids every iteration. For each step it prints
// the time, the bytes and FLOPs the step must at least move and compute (CostModel.h), the
// achieved GB/s and TFLOP/s, and the fraction of the machine's roofline: bandwidth measured
// here (device-to-device copy), FLOP peak from --peak-tflops or the device's data sheet.
// Decode at context C starts from a synthesized context (Session::fillContext: random state
// rows, so a 1M-token context needs no 1M-token prefill). --kernels adds one profiled run per
// step and a per-kernel table. --torch reads ds4-bench-torch's JSON (the same steps in
// transformers on the same GPU) and prints the speedup: median over median, and transformers'
// fastest sample over ds4's median ("vs fastest", the conservative one). With --kernels, each
// step also gets a table by component (Components.h): ds4's kernel time, its bytes and FLOPs
// from the cost model with the achieved rates and roofline fractions, and, when the torch file
// has them, transformers' kernel time of the same component and the ratio. Both sides' kernel
// times come from one profiled call (ds4: device events around each launch, which adds a few
// microseconds per launch to ds4's side; transformers: the profiler's kernel durations).
#include "runtime/session/Session.h"
#include "runtime/support/Json.h"
#include "tools/ds4-bench/Components.h"
#include "tools/ds4-bench/CostModel.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace ds4;
using ds4::session::Session;

namespace {

struct Options {
  std::string artifact, weights, torchJson, jsonOut;
  Device device = Device::cuda;
  std::vector<int64_t> prefill{4096}, contexts{4096};
  int64_t batch = 1, iters = 20, warmup = 3;
  bool kernels = false;
  double peakTflops = 0;
};

int fail(const std::string &message) {
  std::fprintf(stderr, "ds4-bench: error: %s\n", message.c_str());
  return 1;
}

bool parseList(const std::string &text, std::vector<int64_t> &out) {
  out.clear();
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char *end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end || v < 0)
      return false;
    if (v > 0)
      out.push_back(v);
  }
  return true;
}

bool parseInt(const std::string &text, int64_t &out, int64_t min) {
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || v < min)
    return false;
  out = v;
  return true;
}

/// Dense BF16 tensor-core peaks (TFLOP/s) from the data sheets, by device name.
double dataSheetTflops(const std::string &name) {
  struct Entry {
    const char *name;
    double tflops;
  };
  static const Entry table[] = {{"H200", 989.4}, {"H100 80GB HBM3", 989.4}, {"H100", 756.0},
                                {"A100", 312.0}};
  for (const Entry &e : table)
    if (name.find(e.name) != std::string::npos)
      return e.tflops;
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// "ds4_kernel_25_linear_kernel" -> "linear"; launches of one op kind summed.
std::string opOf(const std::string &kernel) {
  std::string s = kernel;
  const std::string prefix = "ds4_kernel_";
  if (s.rfind(prefix, 0) == 0) {
    s = s.substr(prefix.size());
    size_t us = s.find('_');
    if (us != std::string::npos)
      s = s.substr(us + 1);
  }
  size_t at = s.rfind("_kernel"); // gpu-kernel-outlining's suffix
  return at == std::string::npos ? s : s.substr(0, at);
}

/// Launches and milliseconds per component, from the kernels of one profiled run.
std::map<std::string, std::pair<int64_t, double>>
byComponent(const std::vector<session::KernelTiming> &kernels) {
  std::map<std::string, std::pair<int64_t, double>> parts;
  for (const session::KernelTiming &k : kernels) {
    auto &p = parts[bench::componentOfOp(opOf(k.name))];
    p.first += k.launches;
    p.second += k.milliseconds;
  }
  return parts;
}

struct Row {
  std::string step, shape;
  double ms = 0, bytes = 0, flops = 0;
  bench::StepCost cost;
  std::vector<double> samples;
  std::vector<session::KernelTiming> kernels;
};

} // namespace

int main(int argc, char **argv) {
  Options o;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *flag, std::string &out) {
      std::string f = std::string("--") + flag + "=";
      if (a.rfind(f, 0) != 0)
        return false;
      out = a.substr(f.size());
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::printf("usage: ds4-bench MODEL.ds4 --weights=DIR [--device=cuda|cpu] "
                  "[--prefill=N,...] [--contexts=C,...] [--batch=B] [--iters=N] [--warmup=N] "
                  "[--kernels] [--peak-tflops=T] [--torch=FILE.json] [--json=FILE]\n");
      return 0;
    } else if (value("weights", v)) {
      o.weights = v;
    } else if (value("device", v)) {
      std::optional<Device> d = parseDevice(v);
      if (!d)
        return fail("--device: unknown device '" + v + "' (expected cpu or cuda)");
      o.device = *d;
    } else if (value("prefill", v)) {
      if (!parseList(v, o.prefill))
        return fail("--prefill: expected comma-separated token counts, got '" + v + "'");
    } else if (value("contexts", v)) {
      if (!parseList(v, o.contexts))
        return fail("--contexts: expected comma-separated context lengths, got '" + v + "'");
    } else if (value("batch", v)) {
      if (!parseInt(v, o.batch, 1))
        return fail("--batch: expected an integer >= 1, got '" + v + "'");
    } else if (value("iters", v)) {
      if (!parseInt(v, o.iters, 1))
        return fail("--iters: expected an integer >= 1, got '" + v + "'");
    } else if (value("warmup", v)) {
      if (!parseInt(v, o.warmup, 0))
        return fail("--warmup: expected an integer >= 0, got '" + v + "'");
    } else if (value("peak-tflops", v)) {
      o.peakTflops = std::atof(v.c_str());
      if (o.peakTflops <= 0)
        return fail("--peak-tflops: expected a positive number, got '" + v + "'");
    } else if (value("torch", v)) {
      o.torchJson = v;
    } else if (value("json", v)) {
      o.jsonOut = v;
    } else if (a == "--kernels") {
      o.kernels = true;
    } else if (a.rfind("--", 0) == 0) {
      return fail("unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 1)
    return fail("expected one artifact (ds4-bench MODEL.ds4 --weights=DIR ...)");
  if (o.weights.empty())
    return fail("--weights=DIR is required");
  o.artifact = positional[0];

  // Per step, transformers' median and fastest sample, and its kernel ms per component.
  std::map<std::string, std::pair<double, double>> torchMs;
  std::map<std::string, std::map<std::string, double>> torchParts;
  if (!o.torchJson.empty()) {
    std::ifstream in(o.torchJson);
    std::stringstream text;
    text << in.rdbuf();
    Expected<json::Value> parsed = json::parse(text.str());
    if (!in || !parsed || !parsed->isObject())
      return fail(o.torchJson + ": not a ds4-bench-torch JSON file" +
                  (parsed ? "" : " (" + parsed.status().message() + ")"));
    for (const json::Member &m : parsed->asObject()) {
      const json::Value *ms = m.value.find("ms");
      if (!ms || !ms->isNumber())
        continue;
      double fastest = ms->asDouble();
      if (const json::Value *samples = m.value.find("samples"); samples && samples->isArray())
        for (const json::Value &v : samples->asArray())
          if (v.isNumber())
            fastest = std::min(fastest, v.asDouble());
      torchMs[m.key] = {ms->asDouble(), fastest};
      if (const json::Value *parts = m.value.find("components"); parts && parts->isObject())
        for (const json::Member &p : parts->asObject())
          if (const json::Value *pms = p.value.find("ms"); pms && pms->isNumber())
            torchParts[m.key][p.key] = pms->asDouble();
    }
  }

  session::SessionOptions so;
  so.device = o.device;
  so.maxBatch = o.batch;
  std::fprintf(stderr, "ds4-bench: loading %s with %s ...\n", o.artifact.c_str(),
               o.weights.c_str());
  Expected<std::unique_ptr<Session>> created = Session::create(o.artifact, o.weights, so);
  if (!created)
    return fail(created.status().message());
  Session &s = **created;
  Expected<bench::CostModel> cost = bench::CostModel::fromArtifact(s.artifact());
  if (!cost)
    return fail(cost.status().message());

  session::DeviceInfo info = s.deviceInfo();
  Expected<double> bw = s.measureCopyBandwidthGBs();
  if (!bw)
    return fail(bw.status().message());
  double peak = o.peakTflops > 0 ? o.peakTflops : dataSheetTflops(info.name);
  std::printf("device: %s, %.1f GiB; copy bandwidth %.0f GB/s (measured); FLOP peak %s\n",
              info.name.c_str(), double(info.memoryBytes) / double(1ull << 30), *bw,
              peak > 0 ? (std::to_string(int(peak)) + " TFLOP/s (dense BF16" +
                          (o.peakTflops > 0 ? ", given)" : ", data sheet)"))
                             .c_str()
                       : "unknown (give --peak-tflops)");

  std::mt19937_64 rng(20261128);
  std::uniform_int_distribution<int32_t> tokenDist(1, int32_t(s.vocabSize() - 1));
  auto randomTokens = [&](size_t n) {
    std::vector<int32_t> t(n);
    for (int32_t &x : t)
      x = tokenDist(rng);
    return t;
  };

  std::vector<Row> rows;
  // Each step is printed as soon as it is measured (a long step under a time limit must not
  // take the finished ones with it).
  auto printHeader = [&] {
    std::printf("\n%-16s %-32s %10s %10s %8s %10s %8s %10s %8s %10s\n", "step", "shape",
                "time ms", "GB/s", "%BW", "TFLOP/s", "%FLOP", "torch ms", "speedup",
                "vs fastest");
  };
  // Per component: ds4's kernel time against the cost model's bytes and FLOPs of that
  // component, and transformers' kernel time of it.
  auto printComponents = [&](const Row &r) {
    std::map<std::string, std::pair<int64_t, double>> mine = byComponent(r.kernels);
    auto torchIt = torchParts.find(r.step);
    const std::map<std::string, double> none;
    const std::map<std::string, double> &theirs =
        torchIt == torchParts.end() ? none : torchIt->second;
    std::vector<std::string> names;
    for (const bench::Component &c : bench::components())
      names.push_back(c.name);
    for (auto &[name, ms] : theirs) // e.g. transformers' "unattributed"
      if (std::find(names.begin(), names.end(), name) == names.end())
        names.push_back(name);
    std::printf("    components of %s (kernel time of one profiled run; torch: transformers' "
                "kernels of the same part):\n",
                r.step.c_str());
    std::printf("      %-20s %8s %10s %10s %7s %10s %7s %10s %10s\n", "component", "launches",
                "ds4 ms", "GB/s", "%BW", "TFLOP/s", "%FLOP", "torch ms", "torch/ds4");
    for (const std::string &name : names) {
      auto m = mine.find(name);
      auto t = theirs.find(name);
      auto c = r.cost.components.find(name);
      if (m == mine.end() && t == theirs.end())
        continue;
      double ms = m == mine.end() ? 0 : m->second.second;
      std::printf("      %-20s %8lld %10.3f", name.c_str(),
                  (long long)(m == mine.end() ? 0 : m->second.first), ms);
      if (c != r.cost.components.end() && ms > 0) {
        double gbs = c->second.bytes / (ms * 1e-3) / 1e9;
        double tflops = c->second.flops / (ms * 1e-3) / 1e12;
        std::printf(" %10.1f %6.1f%% %10.3f %6.1f%%", gbs, 100 * gbs / *bw, tflops,
                    peak > 0 ? 100 * tflops / peak : 0.0);
      } else {
        std::printf(" %10s %7s %10s %7s", "-", "-", "-", "-");
      }
      if (t != theirs.end() && ms > 0)
        std::printf(" %10.3f %9.2fx\n", t->second, t->second / ms);
      else if (t != theirs.end())
        std::printf(" %10.3f %10s\n", t->second, "-");
      else
        std::printf(" %10s %10s\n", "-", "-");
    }
  };
  auto printRow = [&](const Row &r) {
    double gbs = r.bytes / (r.ms * 1e-3) / 1e9;
    double tflops = r.flops / (r.ms * 1e-3) / 1e12;
    auto t = torchMs.find(r.step);
    std::printf("%-16s %-32s %10.3f %10.1f %7.2f%% %10.3f %7.2f%%", r.step.c_str(),
                r.shape.c_str(), r.ms, gbs, 100 * gbs / *bw, tflops,
                peak > 0 ? 100 * tflops / peak : 0.0);
    // speedup: the medians; vs fastest: transformers' fastest sample over
    // ds4's median (the conservative ratio: eager PyTorch's step time
    // moves with the host's launch overhead from run to run).
    if (t != torchMs.end())
      std::printf(" %10.3f %7.2fx %9.2fx\n", t->second.first, t->second.first / r.ms,
                  t->second.second / r.ms);
    else
      std::printf(" %10s %8s %10s\n", "-", "-", "-");
    if (!r.kernels.empty()) {
      std::map<std::string, std::pair<int64_t, double>> byOp;
      double total = 0;
      for (const session::KernelTiming &k : r.kernels) {
        auto &e = byOp[opOf(k.name)];
        e.first += k.launches;
        e.second += k.milliseconds;
        total += k.milliseconds;
      }
      std::vector<std::pair<std::string, std::pair<int64_t, double>>> sorted(byOp.begin(),
                                                                             byOp.end());
      std::sort(sorted.begin(), sorted.end(),
                [](auto &x, auto &y) { return x.second.second > y.second.second; });
      std::printf("    kernels of %s (one profiled run, %.3f ms in kernels):\n",
                  r.step.c_str(), total);
      for (auto &[op, e] : sorted)
        std::printf("      %-26s %6lld launches %10.3f ms %6.1f%%\n", op.c_str(),
                    (long long)e.first, e.second, total > 0 ? 100 * e.second / total : 0.0);
      printComponents(r);
    }
    std::fflush(stdout);
  };
  if (o.kernels) {
    std::printf("components (ds4 ops in each):");
    for (const bench::Component &c : bench::components())
      std::printf(" %s = %s;", c.name, c.ops);
    std::printf("\n");
  }
  printHeader();

  auto measure = [&](Row &row, auto &&once) -> Status {
    for (int64_t i = 0; i < o.warmup + o.iters; ++i) {
      Status st = once();
      if (!st.ok())
        return st;
      if (i >= o.warmup)
        row.samples.push_back(s.lastStep().milliseconds);
    }
    row.ms = median(row.samples);
    if (o.kernels) {
      s.setProfiling(true);
      Status st = once();
      s.setProfiling(false);
      if (!st.ok())
        return st;
      row.kernels = s.lastStep().kernels;
    }
    return Status::success();
  };

  // Decode first: it is what long prefills would otherwise crowd out of a time limit.
  for (int64_t ctx : o.contexts) {
    int64_t steps = o.warmup + o.iters + (o.kernels ? 1 : 0);
    if (ctx + steps > s.maxSeqLen())
      return fail("--contexts=" + std::to_string(ctx) + ": " + std::to_string(ctx) + " + " +
                  std::to_string(steps) + " decode steps exceed the artifact's max_seq_len " +
                  std::to_string(s.maxSeqLen()) + " (compile with --max-seq-len)");
    Row row;
    row.step = "decode@" + std::to_string(ctx);
    row.shape = std::to_string(o.batch) + " x 1 token, context " + std::to_string(ctx);
    row.cost = cost->step(o.batch, 1, ctx);
    row.bytes = row.cost.bytes;
    row.flops = row.cost.flops;
    std::fprintf(stderr, "ds4-bench: %s (synthesizing the context) ...\n", row.step.c_str());
    std::vector<int32_t> slots(size_t(o.batch));
    for (int64_t b = 0; b < o.batch; ++b) {
      slots[size_t(b)] = int32_t(b);
      Status st = s.fillContext(b, ctx, uint64_t(1000 + b));
      if (!st.ok())
        return fail(row.step + ": " + st.message());
    }
    Status st = measure(row, [&] {
      std::vector<int32_t> t = randomTokens(size_t(o.batch));
      return s.decode(slots.data(), t.data(), t.size(), nullptr);
    });
    if (!st.ok())
      return fail(row.step + ": " + st.message());
    printRow(row);
    rows.push_back(std::move(row));
  }

  for (int64_t n : o.prefill) {
    if (n > s.maxSeqLen())
      return fail("--prefill=" + std::to_string(n) + " exceeds the artifact's max_seq_len " +
                  std::to_string(s.maxSeqLen()));
    Row row;
    row.step = "prefill-" + std::to_string(n);
    row.shape = "1 x " + std::to_string(n) + " tokens";
    row.cost = cost->step(1, n, 0);
    row.bytes = row.cost.bytes;
    row.flops = row.cost.flops;
    std::fprintf(stderr, "ds4-bench: %s ...\n", row.step.c_str());
    Status st = measure(row, [&] {
      Status r = s.reset(0);
      if (!r.ok())
        return r;
      std::vector<int32_t> t = randomTokens(size_t(n));
      return s.prefill(0, t.data(), t.size(), nullptr);
    });
    if (!st.ok())
      return fail(row.step + ": " + st.message());
    printRow(row);
    rows.push_back(std::move(row));
  }

  std::printf("\n%s\n", s.graphStatus().c_str());

  if (!o.jsonOut.empty()) {
    std::ofstream out(o.jsonOut);
    out << "{\n \"device\": " << json::quote(info.name) << ",\n \"copy_gbs\": " << *bw
        << ",\n \"peak_tflops\": " << peak << ",\n \"steps\": {";
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row &r = rows[i];
      out << (i ? "," : "") << "\n  " << json::quote(r.step) << ": {\"ms\": " << r.ms
          << ", \"bytes\": " << r.bytes << ", \"flops\": " << r.flops << ", \"samples\": [";
      for (size_t j = 0; j < r.samples.size(); ++j)
        out << (j ? ", " : "") << r.samples[j];
      out << "], \"kernels\": [";
      for (size_t j = 0; j < r.kernels.size(); ++j)
        out << (j ? ", " : "") << "{\"name\": " << json::quote(r.kernels[j].name)
            << ", \"launches\": " << r.kernels[j].launches
            << ", \"ms\": " << r.kernels[j].milliseconds << "}";
      out << "], \"components\": {";
      bool first = true;
      for (auto &[name, e] : byComponent(r.kernels)) {
        auto c = r.cost.components.find(name);
        out << (first ? "" : ", ") << json::quote(name) << ": {\"launches\": " << e.first
            << ", \"ms\": " << e.second
            << ", \"bytes\": " << (c == r.cost.components.end() ? 0 : c->second.bytes)
            << ", \"flops\": " << (c == r.cost.components.end() ? 0 : c->second.flops) << "}";
        first = false;
      }
      out << "}}";
    }
    out << "\n }\n}\n";
    if (!out)
      return fail(o.jsonOut + ": cannot write");
  }
  return 0;
}

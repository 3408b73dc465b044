// Tests of tools/ds4-run with the fake model: output format, --dump-logits, and each bad input
// giving one error line that names the input, a non-zero exit and no output file.
#include "TestArtifacts.h"

#include "runtime/weights/SafeTensors.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <sys/wait.h>

using namespace ds4;
using namespace ds4::test;
namespace fs = std::filesystem;

namespace {


struct RunResult {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Ds4RunTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "ds4-run-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    ASSERT_NE(::mkdtemp(buffer.data()), nullptr);
    dir_ = buffer.data();
    artifact_ = path("model.ds4");
    ASSERT_TRUE(writeFile(artifact_, buildArtifact(fakeModel(fakeKernelBinary()))));
    weights_ = path("ckpt");
    fs::create_directories(weights_);
    Status s = writeFakeCheckpoint(weights_ + "/model.safetensors");
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string &name) const { return dir_ + "/" + name; }

  RunResult run(const std::string &args) {
    std::string out = path("stdout"), err = path("stderr");
    std::string cmd = std::string(DS4_RUN_PATH) + " " + args + " >" + out + " 2>" + err;
    int rc = std::system(cmd.c_str());
    RunResult r;
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  // A failing run: non-zero exit, nothing on stdout, one "ds4-run: " line naming `needle`.
  std::string fails(const std::string &args, const std::string &needle) {
    RunResult r = run(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(r.err.rfind("ds4-run: ", 0), 0u) << r.err;
    EXPECT_CONTAINS(r.err, needle);
    return r.err;
  }

  std::string base() const { return artifact_ + " --weights=" + weights_; }

  std::string dir_, artifact_, weights_;
};

TEST_F(Ds4RunTest, GeneratesAndReportsThroughput) {
  RunResult r = run(base() + " --prompt-ids=1,2,3 --max-new-tokens=4");
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> lines;
  std::stringstream ss(r.out);
  for (std::string line; std::getline(ss, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  // Greedy on the fake kernel: the larger weight checksum wins every time.
  std::string t = checksum(expectedFakeBuffer("proj.weight")) >
                          checksum(expectedFakeBuffer("experts.*.w.weight"))
                      ? "4"
                      : "5";
  EXPECT_EQ(lines[0], t + "," + t + "," + t + "," + t);
  EXPECT_EQ(lines[1].rfind("prefill: 3 tokens in ", 0), 0u) << lines[1];
  EXPECT_CONTAINS(lines[1], " tokens/s)");
  EXPECT_EQ(lines[2].rfind("decode: 3 tokens in ", 0), 0u) << lines[2];

  // The flags in the `--flag value` form, sampling options, and prefill-only.
  r = run(artifact_ + " --weights " + weights_ +
          " --prompt-ids 5 --temperature=0.7 --top-p=0.9 --seed=3 --max-new-tokens=2");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run(base() + " --prompt-ids=5 --max-new-tokens=0");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "");
  r = run("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_CONTAINS(r.out, "usage: ds4-run");
}

TEST_F(Ds4RunTest, DumpLogits) {
  std::string dump = path("logits.safetensors");
  RunResult r = run(base() + " --prompt-ids=1,2,3 --max-new-tokens=3 --dump-logits=" + dump +
                    " --prefill-chunk=2");
  ASSERT_EQ(r.status, 0) << r.err;
  auto f = weights::SafeTensorsFile::open(dump);
  ASSERT_TRUE(f.ok()) << f.status().message();
  const weights::TensorView *t = f->find("logits");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, weights::DType::F32);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{5, 16})); // 3 prompt positions + 2 decode steps
  std::vector<float> rows(5 * 16);
  std::memcpy(rows.data(), t->data, rows.size() * sizeof(float));
  for (int p = 0; p < 5; ++p) {
    EXPECT_EQ(rows[size_t(p * 16)], float(p)) << "position of row " << p;
    EXPECT_EQ(rows[size_t(p * 16 + 3)], float(p + 1)) << "tokens seen at row " << p;
  }
  std::map<std::string, std::string> meta(f->metadata().begin(), f->metadata().end());
  EXPECT_EQ(meta["format"], "ds4-logits");
  EXPECT_EQ(meta["prompt_length"], "3");
  std::string g = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(meta["generated"], g);
  EXPECT_EQ(meta["tokens"], "1,2,3," + g.substr(0, g.rfind(',')));
  for (int p = 0; p < 3; ++p)
    EXPECT_EQ(rows[size_t(p * 16 + 2)], float(p + 1)) << "token behind row " << p;
}

TEST_F(Ds4RunTest, BadInputs) {
  std::string dump = path("never.safetensors");
  std::string d = " --dump-logits=" + dump;
  fails(base() + " --prompt-ids=1,16" + d,
        "--prompt-ids: token id 16 at position 1 is out of range for " + artifact_ +
            " (vocabulary size 16)");
  fails(base() + " --prompt-ids=1,2 --max-new-tokens=32" + d,
        "the prompt (2 tokens) and --max-new-tokens=32 need 33 positions, but " + artifact_ +
            " was compiled for a maximum sequence length of 32");
  std::string missing = path("missing.ds4");
  fails(missing + " --weights=" + weights_ + " --prompt-ids=1" + d,
        missing + ": cannot open artifact");
  std::string corrupt = path("corrupt.ds4");
  std::vector<uint8_t> bytes = readFile(artifact_);
  bytes.resize(bytes.size() / 2);
  ASSERT_TRUE(writeFile(corrupt, bytes));
  fails(corrupt + " --weights=" + weights_ + " --prompt-ids=1" + d,
        corrupt + ": corrupt or truncated ds4 artifact");
  std::string text = path("text.ds4");
  ASSERT_TRUE(writeFile(text, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}));
  fails(text + " --weights=" + weights_ + " --prompt-ids=1" + d,
        text + ": not a ds4 artifact");
  std::string noWeights = path("no-weights");
  fails(artifact_ + " --weights=" + noWeights + " --prompt-ids=1" + d,
        noWeights + ": cannot open checkpoint");
  std::string other = path("other.safetensors");
  weights::SafeTensorsWriter w;
  float x = 1;
  ASSERT_TRUE(w.add("bias", weights::DType::F32, {1}, &x, 4).ok());
  ASSERT_TRUE(w.write(other).ok());
  std::string err = fails(artifact_ + " --weights=" + other + " --prompt-ids=1" + d,
                          other + ": 9 problems binding the checkpoint");
  EXPECT_CONTAINS(err, "ds4-run: " + other + ": tensor 'bias': shape 1, expected 16");
  fails(base() + " --prompt-ids=1 --device=cuda" + d, "the artifact targets cpu");
  fails(base() + " --prompt-ids=1 --device=tpu", "--device: unknown device 'tpu'");

  // Flags.
  fails(base(), "missing --prompt-ids");
  fails("--prompt-ids=1", "missing the artifact");
  fails(artifact_ + " --prompt-ids=1", "missing --weights");
  fails(base() + " --prompt-ids=1,,2", "--prompt-ids: item 1 '' is not a token id");
  fails(base() + " --prompt-ids=1,x", "--prompt-ids: item 1 'x' is not a token id");
  fails(base() + " --prompt-ids=-3", "item 0 '-3' is not a token id");
  fails(base() + " --prompt-ids=1 --max-new-tokens=-1", "--max-new-tokens: '-1'");
  fails(base() + " --prompt-ids=1 --temperature=hot", "--temperature: 'hot' is not a number");
  fails(base() + " --prompt-ids=1 --temperature=-1", "--temperature: temperature");
  fails(base() + " --prompt-ids=1 --top-p=0", "--top-p: top-p 0");
  fails(base() + " --prompt-ids=1 --seed=-1", "--seed: '-1'");
  fails(base() + " --prompt-ids=1 --frobnicate=2", "unknown flag '--frobnicate'");
  fails(base() + " --prompt-ids=1 --prompt-ids=2", "flag '--prompt-ids' given twice");
  fails(base() + " --prompt-ids=1 extra.ds4", "unexpected argument 'extra.ds4'");
  fails(base() + " --prompt-ids", "flag '--prompt-ids' needs a value");

  EXPECT_FALSE(fs::exists(dump)) << "a failing run left " << dump;
  for (const auto &entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find("never"), std::string::npos)
        << "temporary left behind: " << entry.path();
}

TEST_F(Ds4RunTest, CudaDevice) {
  // An sm_90a artifact: it runs where there is a GPU, and says why not elsewhere.
#ifdef DS4_FAKE_GPU_PLAN_PATH
  std::vector<uint8_t> plan = readFile(DS4_FAKE_GPU_PLAN_PATH);
#else
  std::vector<uint8_t> plan = {1, 2, 3};
#endif
  std::string gpu = path("gpu.ds4");
  ASSERT_TRUE(writeFile(gpu, buildArtifact(fakeGpuModel(plan))));
  std::string args = gpu + " --weights=" + weights_ + " --prompt-ids=1,2,3 --max-new-tokens=3";
  fails(args, "the artifact targets sm_90a, which the cpu device cannot run (use --device=cuda");
  args += " --device=cuda";
#if DS4_HAVE_CUDA
  void *libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!libcuda) {
    EXPECT_EQ(fails(args, "no CUDA driver"),
              "ds4-run: no CUDA driver on this machine (libcuda.so.1 not found)\n");
    return;
  }
  dlclose(libcuda);
  RunResult r = run(args);
  if (r.status != 0 && contains(r.err, "no CUDA device"))
    GTEST_SKIP() << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> lines;
  std::stringstream ss(r.out);
  for (std::string line; std::getline(ss, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[1].rfind("prefill: 3 tokens in ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("decode: 2 tokens in ", 0), 0u) << lines[2];
#else
  fails(args, "this runtime was built without CUDA support");
#endif
}

TEST_F(Ds4RunTest, UnwritableDumpLeavesNoFile) {
  std::string dump = path("no-such-dir/logits.safetensors");
  fails(base() + " --prompt-ids=1 --dump-logits=" + dump, "--dump-logits: ");
  EXPECT_FALSE(fs::exists(dump));
}

} // namespace

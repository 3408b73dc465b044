//===- ds4-compile.cpp - DeepSeek-V4 config -> compiled module ------------===//
//
// ds4-compile CONFIG.json [--target=cpu|sm_90a] [-o FILE]
//             [--compile-to=PHASE] [--precision=exact|deploy] [--mtp]
//             [--max-seq-len=N] [--max-batch=N] [standard MLIR flags]
//
// Only the `model` phase exists so far: it prints the verified ds4 IR of the
// whole model. Later phases (fused, tiled, bufferized, target, artifact)
// are refused with a clear message until their passes land.
//
//===----------------------------------------------------------------------===//

#include "models/Builder.h"
#include "models/Config.h"
#include "models/WeightTable.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <chrono>

namespace cl = llvm::cl;

static cl::opt<std::string> configPath(cl::Positional, cl::desc("<config.json>"),
                                       cl::Required);
static cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' = stdout)"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<std::string> target("target", cl::desc("cpu or sm_90a"),
                                   cl::init("cpu"));
static cl::opt<std::string>
    compileTo("compile-to",
              cl::desc("Stop after this phase and print its IR: model, fused, "
                       "tiled, bufferized, target, artifact"),
              cl::init("artifact"));
static cl::opt<std::string> precision("precision",
                                      cl::desc("exact or deploy"),
                                      cl::init("exact"));
static cl::opt<bool> mtp("mtp", cl::desc("Also build the MTP block"),
                         cl::init(false));
static cl::opt<int64_t> maxSeqLen("max-seq-len",
                                  cl::desc("Longest context a slot can hold"),
                                  cl::init(65536));
static cl::opt<int64_t> maxBatch("max-batch",
                                 cl::desc("Sequence slots decoded together"),
                                 cl::init(8));
static cl::opt<std::string> checkWeights(
    "check-weights",
    cl::desc("Check a checkpoint (directory, index json or .safetensors) "
             "against the model's weight table and exit"),
    cl::value_desc("path"));
static cl::opt<bool> timing("time", cl::desc("Print the time each step took"),
                            cl::init(false));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "ds4-compile") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "ds4 compiler for DeepSeek-V4\n");

  static const char *phases[] = {"model", "fused", "tiled", "bufferized",
                                 "target", "artifact"};
  if (!llvm::is_contained(phases, llvm::StringRef(compileTo)))
    return fail("--compile-to=" + compileTo +
                ": unknown phase (model, fused, tiled, bufferized, target, "
                "artifact)");
  if (target != "cpu" && target != "sm_90a")
    return fail("--target=" + target + ": unknown target (cpu, sm_90a)");
  if (precision != "exact" && precision != "deploy")
    return fail("--precision=" + precision + ": must be exact or deploy");
  if (maxSeqLen <= 0 || maxBatch <= 0)
    return fail("--max-seq-len and --max-batch must be positive");
  if (compileTo != "model" && checkWeights.empty())
    return fail("--compile-to=" + compileTo +
                ": this phase is not implemented yet; only 'model' is "
                "available");

  auto start = std::chrono::steady_clock::now();
  llvm::Expected<ds4::ModelConfig> config = ds4::ModelConfig::load(configPath);
  if (!config)
    return fail(llvm::toString(config.takeError()));

  mlir::MLIRContext context;
  ds4::BuildOptions options;
  options.precision = precision == "deploy" ? mlir::ds4::PrecisionMode::deploy
                                            : mlir::ds4::PrecisionMode::exact;
  options.mtp = mtp;
  auto module = ds4::buildModel(context, *config, options);
  if (!module)
    return fail(configPath + ": " + llvm::toString(module.takeError()));
  auto built = std::chrono::steady_clock::now();

  if (!checkWeights.empty()) {
    mlir::FailureOr<std::vector<ds4::weights::ExpectedTensor>> table =
        ds4::collectWeightTable(**module);
    if (mlir::failed(table))
      return 1;
    auto checkpoint = ds4::weights::Checkpoint::open(checkWeights);
    if (!checkpoint.ok()) {
      llvm::errs() << checkpoint.status().message() << "\n";
      return fail(checkWeights + ": not a valid checkpoint");
    }
    ds4::Status status = checkpoint->validate(*table);
    if (!status.ok()) {
      llvm::errs() << status.message() << "\n";
      return fail(checkWeights + ": " + llvm::Twine(status.messages().size()) +
                  " problems against the weight table of " + configPath);
    }
    llvm::outs() << checkWeights << ": all " << table->size()
                 << " tensors match the weight table of " << configPath << "\n";
    return 0;
  }

  // The output is written to a temporary and renamed on success, so a
  // failure never leaves a partial file behind.
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputPath, &error);
  if (!output)
    return fail(outputPath + ": " + error);
  (*module)->print(output->os());
  output->os() << "\n";
  if (output->os().has_error())
    return fail(outputPath + ": write failed");
  output->keep();
  if (timing) {
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    llvm::errs() << llvm::format(
        "ds4-compile: built and verified the model in %.1f ms, printed in "
        "%.1f ms\n",
        ms(start, built), ms(built, std::chrono::steady_clock::now()));
  }
  return 0;
}

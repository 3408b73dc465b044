//===- ds4-compile.cpp - DeepSeek-V4 config -> compiled module ------------===//
//
// ds4-compile CONFIG.json [--target=cpu|sm_90a] [-o FILE]
//             [--compile-to=PHASE] [--precision=exact|deploy] [--mtp]
//             [--max-seq-len=N] [--max-batch=N] [standard MLIR flags]
//
// Phases: model (the builder's ds4 IR), fused (cleaned up; no fusion
// patterns yet), tiled (no tiling passes yet), bufferized (loops over
// memrefs), target (LLVM dialect), artifact (host shared object + plan,
// written with -o). Every phase but artifact prints its IR.
//
//===----------------------------------------------------------------------===//

#include "models/Builder.h"
#include "models/Config.h"
#include "models/WeightTable.h"
#include "lowering/ArtifactWriter.h"
#include "lowering/HostCodegen.h"
#include "lowering/Pipelines.h"
#include "passes/Passes.h"

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/InitAllPasses.h"

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
static cl::opt<std::string>
    emit("emit",
         cl::desc("What -o receives at the artifact phase: artifact, or ptx "
                  "(sm_90a: the PTX of every device kernel, for inspection)"),
         cl::init("artifact"));
static cl::opt<bool> timing("time", cl::desc("Print the time each step took"),
                            cl::init(false));
static cl::list<std::string>
    disabled("ds4-disable",
             cl::desc("Skip an optional optimization (comma-separated): "
                      "fuse-linears"),
             cl::CommaSeparated, cl::value_desc("name"));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "ds4-compile") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // The CPU pipeline names upstream passes by their registered names.
  mlir::registerAllPasses();
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
  // The optimizations a user can turn off, so the simple path stays one flag
  // away (../shared/spec/architecture.md).
  static const char *optional[] = {"fuse-linears"};
  for (const std::string &name : disabled)
    if (!llvm::is_contained(optional, llvm::StringRef(name)))
      return fail("--ds4-disable=" + name +
                  ": unknown optimization (fuse-linears)");
  bool fuseLinears = !llvm::is_contained(disabled, "fuse-linears");

  auto start = std::chrono::steady_clock::now();
  llvm::Expected<ds4::ModelConfig> config = ds4::ModelConfig::load(configPath);
  if (!config)
    return fail(llvm::toString(config.takeError()));

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // sm_90a: #nvvm.target serializes device code; translations for both sides.
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::ds4::Ds4Dialect>();
  mlir::MLIRContext context(registry);
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

  // Phases after `model` (../shared/spec/architecture.md).
  unsigned stop = std::find(std::begin(phases), std::end(phases),
                            llvm::StringRef(compileTo)) -
                  std::begin(phases);
  bool gpu = target == "sm_90a";
  if (emit != "artifact" && emit != "ptx")
    return fail("--emit=" + emit + ": unknown (artifact, ptx)");
  if (emit == "ptx" && (!gpu || stop != 5))
    return fail("--emit=ptx needs --target=sm_90a and the artifact phase");
  mlir::ds4::GpuCodegenOptions gpuOptions;
  if (gpu && stop >= 4) {
    llvm::Expected<mlir::ds4::GpuCodegenOptions> found =
        mlir::ds4::findCudaToolkit();
    if (!found)
      return fail(llvm::toString(found.takeError()));
    gpuOptions = *found;
    // PTX text for inspection; otherwise cubin when ptxas exists.
    if (emit == "ptx")
      gpuOptions.format = "isa";
  }
  mlir::ds4::ArtifactWriter artifact;
  auto runPhase = [&](llvm::StringRef name,
                      llvm::function_ref<void(mlir::PassManager &)> add) {
    auto t0 = std::chrono::steady_clock::now();
    mlir::PassManager pm(&context);
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
      return false;
    add(pm);
    if (mlir::failed(pm.run(**module)))
      return false;
    if (timing || stop == 5)
      llvm::errs() << llvm::format("ds4-compile: %-10s %8.1f ms\n",
                                   name.str().c_str(),
                                   std::chrono::duration<double, std::milli>(
                                       std::chrono::steady_clock::now() - t0)
                                       .count());
    return true;
  };
  // fused: cleanup, then the fusions. tiled: each tileable op's tile
  // shapes for the target (#ds4.tiling), which the lowering follows.
  if (stop >= 1 && !runPhase("fused", [&](mlir::PassManager &pm) {
        pm.addPass(mlir::ds4::createDs4Cleanup());
        if (fuseLinears)
          pm.addPass(mlir::ds4::createDs4FuseLinears());
      }))
    return fail("the fused phase failed");
  if (stop >= 2 && !runPhase("tiled", [&](mlir::PassManager &pm) {
        mlir::ds4::Ds4ChooseTilingOptions tiling;
        tiling.target = target;
        pm.addPass(mlir::ds4::createDs4ChooseTiling(tiling));
      }))
    return fail("the tiled phase failed");
  if (stop >= 3) {
    if (!runPhase("weights", [](mlir::PassManager &pm) {
          pm.addPass(mlir::ds4::createDs4WeightsToArgs());
        }) ||
        mlir::failed(artifact.collectTensorLevel(**module)))
      return fail("binding weights to arguments failed");
    if (!runPhase("bufferized", [&](mlir::PassManager &pm) {
          if (gpu)
            mlir::ds4::buildGpuLoopsPipeline(pm);
          else
            mlir::ds4::buildCpuThreadsPipeline(pm);
        }) ||
        mlir::failed(artifact.collectEntryAbi(**module)))
      return fail("the bufferized phase failed");
  }
  if (stop >= 4 && !runPhase("target", [&](mlir::PassManager &pm) {
        if (gpu)
          mlir::ds4::buildGpuToLLVMPipeline(pm, gpuOptions);
        else
          mlir::ds4::buildCpuToLLVMPipeline(pm);
      }))
    return fail("lowering to the LLVM dialect failed");

  if (stop == 5) {
    if (outputPath == "-")
      return fail("the artifact is binary: give an output file with -o");
    auto t0 = std::chrono::steady_clock::now();
    if (emit == "ptx") {
      std::string ptx;
      for (auto binary : (*module)->getOps<mlir::gpu::BinaryOp>())
        for (mlir::Attribute attr : binary.getObjects())
          if (auto object = llvm::dyn_cast<mlir::gpu::ObjectAttr>(attr))
            ptx += "// ds4 device module " + binary.getName().str() + "\n" +
                   object.getObject().getValue().str() + "\n";
      if (llvm::Error err = llvm::writeToOutput(
              outputPath, [&](llvm::raw_ostream &os) {
                os << ptx;
                return llvm::Error::success();
              }))
        return fail(outputPath + ": " + llvm::toString(std::move(err)));
      llvm::errs() << "ds4-compile: wrote the PTX of "
                   << llvm::range_size(
                          (*module)->getOps<mlir::gpu::BinaryOp>())
                   << " device modules to " << outputPath << "\n";
      return 0;
    }
    llvm::Expected<std::string> sharedObject =
        mlir::ds4::emitHostSharedObject(**module, gpu);
    if (!sharedObject)
      return fail(llvm::toString(sharedObject.takeError()));
    mlir::ds4::ArtifactOptions artifactOptions;
    artifactOptions.target = target;
    artifactOptions.precision = precision;
    artifactOptions.configJson = config->sourceJson;
    artifactOptions.vocabSize = config->vocabSize;
    artifactOptions.maxSeqLen = maxSeqLen;
    artifactOptions.maxBatch = maxBatch;
    llvm::Expected<std::string> bytes =
        artifact.serialize(artifactOptions, *sharedObject);
    if (!bytes)
      return fail(llvm::toString(bytes.takeError()));
    // llvm::writeToOutput writes a temporary beside the target and renames
    // it, so a failure never leaves a partial artifact.
    if (llvm::Error err = llvm::writeToOutput(
            outputPath, [&](llvm::raw_ostream &os) {
              os << *bytes;
              return llvm::Error::success();
            }))
      return fail(outputPath + ": " + llvm::toString(std::move(err)));
    llvm::errs() << llvm::format(
        "ds4-compile: artifact  %8.1f ms  wrote %s (%.2f MB, host kernels "
        "%.2f MB)\n",
        std::chrono::duration<double, std::milli>(
            std::chrono::steady_clock::now() - t0)
            .count(),
        outputPath.c_str(), bytes->size() / 1e6, sharedObject->size() / 1e6);
    return 0;
  }

  // Textual phases: written through a temporary and renamed on success.
  if (llvm::Error err =
          llvm::writeToOutput(outputPath, [&](llvm::raw_ostream &os) {
            (*module)->print(os);
            os << "\n";
            return llvm::Error::success();
          }))
    return fail(outputPath + ": " + llvm::toString(std::move(err)));
  if (timing) {
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    llvm::errs() << llvm::format(
        "ds4-compile: built and verified the model in %.1f ms, total %.1f ms\n",
        ms(start, built), ms(start, std::chrono::steady_clock::now()));
  }
  return 0;
}

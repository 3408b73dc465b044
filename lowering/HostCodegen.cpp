//===- HostCodegen.cpp ----------------------------------------------------===//

#include "lowering/HostCodegen.h"

#include "lowering/cpu/HostThreadsAbi.h"
#include "lowering/gpu/GpuHostAbi.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

namespace {
/// One translated, optimized module and the machine it targets.
struct HostModule {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  std::unique_ptr<llvm::TargetMachine> machine;
};
} // namespace

static llvm::Expected<HostModule> translateAndOptimize(ModuleOp module,
                                                      bool gpuHostPlan) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;

  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // sm_90a host plans hold gpu.binary / gpu.launch_func: their translation
  // embeds the device binary and emits the runtime calls.
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  module->getContext()->appendDialectRegistry(registry);

  HostModule host;
  host.context = std::make_unique<llvm::LLVMContext>();
  host.module = translateModuleToLLVMIR(module, *host.context, "ds4");
  if (!host.module)
    return error("translation of the LLVM dialect to LLVM IR failed");
  if (gpuHostPlan) {
    if (llvm::Error err = ds4::routeGpuHostAbi(*host.module))
      return std::move(err);
  } else if (llvm::Error err = ds4::routeHostThreads(*host.module)) {
    return std::move(err);
  }

  // A portable baseline (the artifact may run on another x86-64 machine).
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string lookupError;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target)
    return error("no LLVM target for " + triple.str() + ": " + lookupError);
  host.machine.reset(target->createTargetMachine(
      triple, "x86-64-v2", "", llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  host.module->setDataLayout(host.machine->createDataLayout());
  host.module->setTargetTriple(triple);

  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                            host.machine.get());
  if (llvm::Error err = optimize(host.module.get()))
    return std::move(err);
  return std::move(host);
}

llvm::Expected<std::string> ds4::translateToLLVMIR(ModuleOp module,
                                                  bool gpuHostPlan) {
  llvm::Expected<HostModule> host = translateAndOptimize(module, gpuHostPlan);
  if (!host)
    return host.takeError();
  std::string text;
  llvm::raw_string_ostream os(text);
  host->module->print(os, nullptr);
  return text;
}

llvm::Expected<std::string> ds4::emitHostSharedObject(ModuleOp module,
                                                     bool gpuHostPlan) {
  llvm::Expected<HostModule> host = translateAndOptimize(module, gpuHostPlan);
  if (!host)
    return host.takeError();

  llvm::SmallString<128> object, shared;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("ds4-kernels", "o", object))
    return error("cannot create a temporary object file: " + ec.message());
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("ds4-kernels", "so", shared))
    return error("cannot create a temporary file: " + ec.message());
  auto cleanup = llvm::make_scope_exit([&] {
    llvm::sys::fs::remove(object);
    llvm::sys::fs::remove(shared);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(object, ec, llvm::sys::fs::OF_None);
    if (ec)
      return error("cannot write " + object + ": " + ec.message());
    llvm::legacy::PassManager pm;
    if (host->machine->addPassesToEmitFile(pm, out, nullptr,
                                           llvm::CodeGenFileType::ObjectFile))
      return error("the LLVM backend cannot emit an object file");
    pm.run(*host->module);
  }

  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return error("no C compiler driver 'cc' on PATH to link the host kernels "
                 "into a shared object");
  std::string message;
  llvm::StringRef args[] = {*cc, "-shared", "-o", shared, object, "-lm"};
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0)
    return error("linking the host kernels failed (" + *cc + " exit " +
                 llvm::Twine(rc) + (message.empty() ? "" : ": " + message) +
                 ")");
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> bytes =
      llvm::MemoryBuffer::getFile(shared, /*IsText=*/false);
  if (!bytes)
    return error("cannot read the linked shared object: " +
                 bytes.getError().message());
  return (*bytes)->getBuffer().str();
}

# -*- Python -*-
# lit configuration for ds4: tests live beside the part of the tree they
# test (dialects/, passes/, tools/, docs/).

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ds4"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

import shutil
import sys
# The python3 on PATH is the one scripts/setup.sh installed requirements.txt
# into (lit itself may run under another interpreter).
config.substitutions.append(("%python", shutil.which("python3") or sys.executable))
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.ds4_obj_root

config.substitutions.append(("%ds4_src", config.ds4_source_dir))
config.substitutions.append(("%ds4_build", config.ds4_binary_dir))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
# FileCheck, not, split-file come from the Debian LLVM tools directory.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.ds4_tools_dir, append_path=True)
# Sanitizer builds (DS4_ENABLE_SANITIZERS): libMLIR/libLLVM are not
# instrumented while the LLVM allocator code inlined into ds4 poisons memory
# they later reuse, so ASan must ignore manual poisoning to avoid false
# reports; leaks and real errors are still reported. Harmless otherwise.
config.environment["ASAN_OPTIONS"] = "allow_user_poisoning=0"
config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"

# sm_90a compilation links libdevice from a CUDA toolkit (no GPU needed).
for _root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
    if _root and os.path.exists(os.path.join(_root, "nvvm", "libdevice", "libdevice.10.bc")):
        config.available_features.add("cuda-toolkit")
        break

tool_dirs = [config.ds4_tools_dir, config.llvm_tools_dir]
tools = [ToolSubst("ds4-opt", unresolved="fatal"),
         ToolSubst("ds4-compile", unresolved="fatal"),
         ToolSubst("ds4-bench", unresolved="fatal"),
         ToolSubst("ds4-run", unresolved="fatal")]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Executes the `@main` of a module lowered to the LLVM dialect on the host:
#   ds4-opt %s --ds4-cpu-bufferize --ds4-cpu-to-llvm | %run_cpu | FileCheck %s
_libs = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
config.substitutions.append((
    "%run_cpu",
    os.path.join(config.llvm_tools_dir, "mlir-runner")
    + " -e main -entry-point-result=void -shared-libs="
    + os.path.join(_libs, "libmlir_runner_utils.so") + ","
    + os.path.join(_libs, "libmlir_c_runner_utils.so")))

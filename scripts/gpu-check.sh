#!/usr/bin/env bash
# The GPU part of the test suite, for a machine with an NVIDIA GPU but no LLVM/MLIR (the
# device machine): the runtime is built without the compiler (DS4_RUNTIME_BUILD, default
# build-rt: cmake -G Ninja -S . -B build-rt -DDS4_BUILD_COMPILER=OFF) and the tiny artifacts
# are compiled elsewhere into DS4_PREBUILT_ARTIFACTS (default devwork) as
#   <config>-<precision>-{sm_90a,cpu}.ds4   (ds4-compile ... --max-seq-len=512 --max-batch=2)
# Runs every unit test (the real-GPU variants included) and the GPU parity cases (GPU vs the
# numpy reference and GPU vs CPU, test/e2e/parity.py). Logs go to $OUT (default /tmp).
# Exit status 0 only if everything passed.
set -uo pipefail
cd "$(dirname "$0")/.."
RT=${DS4_RUNTIME_BUILD:-build-rt}
ART=${DS4_PREBUILT_ARTIFACTS:-devwork}
OUT=${OUT:-/tmp}
status=0

# The unit tests name their helper libraries by the absolute build path they were built at.
built_at=$(sed -n 's/^CMAKE_CACHEFILE_DIR:INTERNAL=//p' "$RT/CMakeCache.txt")
if [ -n "$built_at" ] && [ "$built_at" != "$PWD/$RT" ] && [ ! -e "$built_at" ]; then
  mkdir -p "$(dirname "$built_at")" && ln -s "$PWD/$RT" "$built_at"
fi

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
if [ -z "${DS4_SKIP_UNIT:-}" ]; then
  echo "== unit tests ($RT)"
  if ! timeout 300 "$RT/test/unit/ds4-unit-tests" --gtest_brief=1 > "$OUT/unit.log" 2>&1; then
    status=1
  fi
  grep -E "^\[  (PASSED|FAILED|SKIPPED)|tests ran|FAILED TEST" "$OUT/unit.log" | tail -20
fi

echo "== GPU parity"
for case in tiny-a:exact tiny-b:exact tiny-a:deploy; do
  config=${case%%:*}
  precision=${case##*:}
  if ! timeout 600 python3 test/e2e/parity.py --build "$RT" --config "models/configs/$config.json" \
      --precision "$precision" --device cuda --workdir /tmp/ds4-parity \
      --artifact "$ART/$config-$precision-sm_90a.ds4" \
      --cpu-artifact "$ART/$config-$precision-cpu.ds4" >> "$OUT/parity.log" 2>&1; then
    status=1
  fi
done
grep -E "tiny|FAIL" "$OUT/parity.log"
exit $status

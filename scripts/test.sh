#!/usr/bin/env bash
# Install, build and run every test: the lit suites (FileCheck, verifier
# diagnostics) and ctest (GoogleTest unit tests, Python reference tests,
# docs freshness). Ends with one "N passed, N failed, N skipped" line.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DS4_BUILD_DIR:-$root/build}"

"$root/scripts/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }
"$root/scripts/build.sh" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT

echo "== lit =="
/usr/lib/llvm-22/bin/lit -sv "$build/test/lit" 2>&1 | tee "$log/lit"
lit_rc=${PIPESTATUS[0]}

echo "== ctest =="
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" 2>&1 | tee "$log/ctest"
ctest_rc=${PIPESTATUS[0]}

count() { # count FILE REGEX -> first integer captured, or 0
  local v; v=$(grep -Eo "$2" "$1" | grep -Eo '[0-9]+' | head -1); echo "${v:-0}"
}
lit_pass=$(count "$log/lit" 'Passed *: *[0-9]+')
lit_fail=$(( $(count "$log/lit" 'Failed *: *[0-9]+') + $(count "$log/lit" 'Unresolved *: *[0-9]+') ))
lit_skip=$(( $(count "$log/lit" 'Unsupported *: *[0-9]+') + $(count "$log/lit" 'Excluded *: *[0-9]+') ))
ct_total=$(grep -Eo 'tests failed out of [0-9]+' "$log/ctest" | grep -Eo '[0-9]+$' | head -1)
ct_fail=$(grep -Eo '[0-9]+ tests failed out of' "$log/ctest" | grep -Eo '^[0-9]+' | head -1)
ct_skip=$(grep -Ec '\*\*\*Skipped|Not Run' "$log/ctest")
ct_total=${ct_total:-0}; ct_fail=${ct_fail:-0}
ct_pass=$(( ct_total - ct_fail - ct_skip ))
[[ $lit_rc -ne 0 && $lit_fail -eq 0 ]] && lit_fail=1
[[ $ctest_rc -ne 0 && $ct_fail -eq 0 ]] && ct_fail=1

echo "lit: $lit_pass passed, $lit_fail failed, $lit_skip skipped; ctest: $ct_pass passed, $ct_fail failed, $ct_skip skipped"
echo "$(( lit_pass + ct_pass )) passed, $(( lit_fail + ct_fail )) failed, $(( lit_skip + ct_skip )) skipped"
[[ $lit_rc -eq 0 && $ctest_rc -eq 0 ]]

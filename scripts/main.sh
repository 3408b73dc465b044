#!/usr/bin/env bash
# The main job: install, build, then run ds4-opt over the shipped DeepSeek-V4
# layer written in ds4 IR (models/examples/v4-flash-layer2.mlir) and print it
# back verified and cleaned up. Later issues grow this into
# compile-and-generate on the shipped tiny model.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DS4_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
example="$root/models/examples/v4-flash-layer2.mlir"
echo "== ds4-opt --ds4-cleanup $example ==" >&2
"$build/bin/ds4-opt" --ds4-cleanup "$example"
echo "== verified: $(grep -c '= ds4\.' "$example") ds4 ops in @layer2 ==" >&2

#!/usr/bin/env bash
# The main job: install, build, write the synthetic checkpoint of the shipped
# tiny config, compile it for the CPU, and generate tokens from a fixed prompt
# with ds4-run. Outputs go to ./out (re-runs reuse the checkpoint).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DS4_BUILD_DIR:-$root/build}"
out="$root/out"
config="$root/models/configs/tiny-a.json"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
mkdir -p "$out"
if [[ ! -f "$out/tiny-a-ckpt/model.safetensors.index.json" ]]; then
  echo "== ds4-make-checkpoint $config --seed=1 -o $out/tiny-a-ckpt ==" >&2
  python3 "$root/tools/ds4-make-checkpoint" "$config" --seed=1 -o "$out/tiny-a-ckpt" --force
fi
echo "== ds4-compile $config --target=cpu -o $out/tiny-a.ds4 ==" >&2
"$build/bin/ds4-compile" "$config" --target=cpu -o "$out/tiny-a.ds4"
echo "== ds4-run $out/tiny-a.ds4 --weights=$out/tiny-a-ckpt --prompt-ids=0,17,42,99,7 --max-new-tokens=16 ==" >&2
"$build/bin/ds4-run" "$out/tiny-a.ds4" --weights="$out/tiny-a-ckpt" \
  --prompt-ids=0,17,42,99,7 --max-new-tokens=16

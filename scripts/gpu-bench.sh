#!/usr/bin/env bash
# The real-size benchmark of the issue note, on the GPU machine (runtime-only build, artifacts
# compiled elsewhere): one V4-Flash CSA layer and one HCA layer (models/configs/bench/, each
# with its MoE of 256 FP4 experts), random weights from ds4-make-checkpoint, timed by ds4-bench
# (decode at the contexts in DS4_BENCH_CONTEXTS, prefill of DS4_BENCH_PREFILL tokens) and by
# tools/ds4-bench-torch (transformers' DeepseekV4 on the same GPU and weights), whose JSON
# ds4-bench reads to print the speedup. Artifacts in DS4_PREBUILT_ARTIFACTS (default devwork):
#   flash-<csa|hca>-64k.ds4  (ds4-compile models/configs/bench/v4-flash-<x>-layer.json
#                             --target=sm_90a --max-seq-len=65600 --max-batch=1)
#   flash-<csa|hca>-1m.ds4   (the same with --max-seq-len=1048640), used for 1M-token contexts
# Logs and JSON go to $OUT (default /tmp). LAYERS selects the layers (default "csa hca").
# TORCH_JSON_DIR: reuse torch-<layer>.json from an earlier run there instead of running
# transformers again (saves device time; the speedup column then compares across runs).
set -uo pipefail
cd "$(dirname "$0")/.."
RT=${DS4_RUNTIME_BUILD:-build-rt}
ART=${DS4_PREBUILT_ARTIFACTS:-devwork}
OUT=${OUT:-/tmp}
CONTEXTS=${DS4_BENCH_CONTEXTS:-4096,65536}
PREFILL=${DS4_BENCH_PREFILL:-4096}
ITERS=${DS4_BENCH_ITERS:-10}
for layer in ${LAYERS:-csa hca}; do
  config=models/configs/bench/v4-flash-$layer-layer.json
  ckpt=/tmp/ds4-bench-$layer-ckpt
  [ -d "$ckpt" ] || python3 tools/ds4-make-checkpoint "$config" --seed=3 -o "$ckpt" --jobs="$(nproc)"
  if [ -n "${TORCH_JSON_DIR:-}" ] && [ -f "$TORCH_JSON_DIR/torch-$layer.json" ]; then
    # An earlier run's transformers timings (same GPU kind, same weights seed).
    cp "$TORCH_JSON_DIR/torch-$layer.json" "$OUT/torch-$layer.json"
    echo "transformers timings reused from $TORCH_JSON_DIR/torch-$layer.json" > "$OUT/torch-$layer.txt"
  else
    timeout "${TORCH_TIMEOUT:-200}" python3 tools/ds4-bench-torch "$config" --weights="$ckpt" \
        --prefill="$PREFILL" --contexts="$CONTEXTS" --iters="$ITERS" --warmup=2 \
        --json="$OUT/torch-$layer.json" > "$OUT/torch-$layer.txt" 2>&1
  fi
  timeout "${DS4_TIMEOUT:-200}" "$RT/bin/ds4-bench" "$ART/flash-$layer-64k.ds4" --weights="$ckpt" \
      --contexts="$CONTEXTS" --prefill="$PREFILL" --iters="$ITERS" --warmup=2 --kernels \
      --torch="$OUT/torch-$layer.json" --json="$OUT/ds4-$layer.json" > "$OUT/ds4-$layer.txt" 2>&1
  echo "ds4-bench $layer: exit $?" >> "$OUT/ds4-$layer.txt"
  if [ -n "${DS4_BENCH_LONG:-}" ]; then
    timeout 120 "$RT/bin/ds4-bench" "$ART/flash-$layer-1m.ds4" --weights="$ckpt" \
        --contexts="$DS4_BENCH_LONG" --prefill= --iters=5 --warmup=1 --kernels \
        >> "$OUT/ds4-$layer.txt" 2>&1
    echo "ds4-bench $layer long: exit $?" >> "$OUT/ds4-$layer.txt"
  fi
done

#!/usr/bin/env python3
"""Run the numpy DeepSeek-V4 reference on a checkpoint.

    run_reference.py CONFIG --weights=DIR --prompt-ids=0,5,7 [--decode-ids=3,4,...]
                     [--precision=exact|deploy] [--dtype=float32|float64] [--dump-logits=FILE.npy]

Prefills the prompt (logits for every prompt position), then feeds the --decode-ids one
decode step at a time (teacher forcing). Prints the argmax token of each position; with
--dump-logits, saves all logits [positions, vocab] as .npy. Errors name the input; exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # tiny GEMMs: threads only cost time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from ds4ref import CheckpointError, ConfigError, Model, load_config  # noqa: E402
from ds4ref.safetensors import SafetensorsError  # noqa: E402


def _ids(text: str, flag: str):
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"run_reference.py: error: {flag}: expected comma-separated integers, "
                         f"got {text!r}") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--weights", required=True, help="checkpoint directory or .safetensors file")
    ap.add_argument("--prompt-ids", required=True)
    ap.add_argument("--decode-ids", default="")
    ap.add_argument("--precision", choices=("exact", "deploy"), default="exact")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--dump-logits")
    args = ap.parse_args(argv)
    prompt, decode = _ids(args.prompt_ids, "--prompt-ids"), _ids(args.decode_ids, "--decode-ids")
    if not prompt:
        raise SystemExit("run_reference.py: error: --prompt-ids: empty prompt")
    try:
        cfg = load_config(args.config)
        model = Model.from_checkpoint(cfg, args.weights, args.precision, np.dtype(args.dtype))
        state = model.new_state()
        logits = [model.prefill(state, prompt)]
        for t in decode:
            logits.append(model.decode([state], [t]))
    except (ConfigError, CheckpointError, SafetensorsError, ValueError) as e:
        print(f"run_reference.py: error: {e}", file=sys.stderr)
        return 1
    logits = np.concatenate(logits)
    print("argmax:", ",".join(str(int(i)) for i in logits.argmax(axis=-1)))
    if args.dump_logits:
        np.save(args.dump_logits, logits)
    return 0


if __name__ == "__main__":
    sys.exit(main())

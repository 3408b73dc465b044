"""ds4-make-checkpoint CONFIG --seed=S -o DIR [--shards=N] [--force] [--jobs=N]"""

from __future__ import annotations

import argparse
import sys

from .checkpoint import CheckpointWriteError, make_checkpoint
from .config import ConfigError, load

PROG = "ds4-make-checkpoint"


class _Parser(argparse.ArgumentParser):
    def error(self, message):              # one line, exit status 2
        sys.stderr.write(f"{PROG}: error: {message}\n")
        sys.exit(2)


def main(argv=None) -> int:
    ap = _Parser(prog=PROG, description="Write a synthetic DeepSeek-V4 checkpoint (safetensors "
                 "shards + model.safetensors.index.json) in the released layout.")
    ap.add_argument("config", metavar="CONFIG", help="model config JSON (released or HF names)")
    ap.add_argument("--seed", type=int, required=True, help="random seed (bytes are a pure "
                    "function of config and seed)")
    ap.add_argument("-o", "--output", metavar="DIR", required=True, help="output directory")
    ap.add_argument("--shards", type=int, default=2, help="number of safetensors shards (default 2)")
    ap.add_argument("--force", action="store_true", help="replace an existing output directory")
    ap.add_argument("--jobs", type=int, default=1, help="processes drawing tensors (the bytes "
                    "do not depend on it; real-size layers want several)")
    args = ap.parse_args(argv)
    if args.shards < 1:
        ap.error(f"--shards: must be >= 1, got {args.shards}")
    if args.jobs < 1:
        ap.error(f"--jobs: must be >= 1, got {args.jobs}")
    if args.seed < 0:
        ap.error(f"--seed: must be >= 0, got {args.seed}")
    try:
        cfg = load(args.config)
    except ConfigError as e:
        sys.stderr.write(f"{PROG}: error: {args.config}: {e}\n")
        return 2
    try:
        make_checkpoint(cfg, args.seed, args.output, n_shards=args.shards, force=args.force,
                        jobs=args.jobs)
    except CheckpointWriteError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
        return 1
    return 0

#!/usr/bin/env python3
"""Cross-checks two independent readings of the checkpoint table (spec section 2):
the `ds4.weight` references that the model builder emits (IR on stdin) against
the tensors that ds4-make-checkpoint wrote (safetensors headers in DIR).

usage: ds4-compile CONFIG --compile-to=model | check_weight_table.py DIR [--allow-extra PREFIX]

Quantized references imply two checkpoint tensors: `X.weight` holding codes
(F8_E4M3, or I8 with two e2m1 codes per byte) and `X.scale` (F8_E8M0; FP8
blocks of 128x128, FP4 blocks of 1x32). A `*` in a name stands for every
expert index of the leading dim.
"""
import json
import math
import os
import re
import struct
import sys

PLAIN = {"bf16": "BF16", "f32": "F32", "i32": "I32", "i64": "I64"}


def expected_from_ir(text):
    table = {}
    pattern = re.compile(r'ds4\.weight "([^"]+)" : tensor<([0-9x]+)x(\w+)(?:, #ds4\.quant<(\w+), block = \[(\d+), (\d+)\]>)?>')
    for name, dims, elem, fmt, brows, bcols in pattern.findall(text):
        shape = [int(d) for d in dims.split("x")]
        experts = [None]
        if "*" in name:
            experts, shape = list(range(shape[0])), shape[1:]
        for e in experts:
            n = name if e is None else name.replace("*", str(e))
            if not fmt:
                table[n] = (PLAIN[elem], shape)
                continue
            rows, cols = shape[-2], shape[-1]
            lead = shape[:-2]
            brows, bcols = int(brows), int(bcols)
            scale_shape = lead + [math.ceil(rows / brows), math.ceil(cols / bcols)]
            if fmt == "fp8_e4m3":
                table[n] = ("F8_E4M3", shape)
            else:
                table[n] = ("I8", lead + [rows, cols // 2])
            table[n[: -len(".weight")] + ".scale"] = ("F8_E8M0", scale_shape)
    return table


def actual_from_checkpoint(directory):
    table = {}
    for file in sorted(os.listdir(directory)):
        if not file.endswith(".safetensors"):
            continue
        with open(os.path.join(directory, file), "rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(size))
        for name, info in header.items():
            if name != "__metadata__":
                table[name] = (info["dtype"], info["shape"])
    return table


def main():
    directory = sys.argv[1]
    allow = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--allow-extra" else None
    expected = expected_from_ir(sys.stdin.read())
    actual = actual_from_checkpoint(directory)
    problems = []
    for name in sorted(expected.keys() - actual.keys()):
        problems.append(f"missing from checkpoint: {name} {expected[name]}")
    for name in sorted(actual.keys() - expected.keys()):
        if not (allow and name.startswith(allow)):
            problems.append(f"not referenced by the model: {name} {actual[name]}")
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name][0] != actual[name][0] or list(expected[name][1]) != list(actual[name][1]):
            problems.append(f"{name}: model expects {expected[name]}, checkpoint has {actual[name]}")
    for p in problems:
        print(p)
    if problems:
        print(f"weight table mismatch: {len(problems)} problems")
        return 1
    print(f"weight table matches: {len(expected)} tensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())

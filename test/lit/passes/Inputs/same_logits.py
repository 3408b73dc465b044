"""Compares the logits of two ds4-run --dump-logits files bit for bit (the tensor data after
the safetensors header; the headers name different artifacts)."""
import json
import struct
import sys


def logits(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    return header["logits"]["shape"], raw[8 + n:]


(shape_a, a), (shape_b, b) = logits(sys.argv[1]), logits(sys.argv[2])
if shape_a != shape_b or a != b:
    diff = sum(x != y for x, y in zip(a, b))
    print(f"DIFFER: shapes {shape_a} {shape_b}, {diff} bytes differ")
    sys.exit(1)
print(f"identical logits {shape_a}")

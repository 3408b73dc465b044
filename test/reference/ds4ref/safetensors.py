"""A minimal, validating safetensors reader (no dependency on the `safetensors` package).

File layout: 8-byte little-endian header length N, N bytes of JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
then the data area; offsets are relative to the start of the data area.
"""

from __future__ import annotations

import json
import os

import numpy as np

# dtype name -> (numpy storage dtype, bytes per element)
DTYPES = {
    "BOOL": (np.bool_, 1), "U8": (np.uint8, 1), "I8": (np.int8, 1), "I16": (np.int16, 2),
    "U16": (np.uint16, 2), "I32": (np.int32, 4), "U32": (np.uint32, 4), "I64": (np.int64, 8),
    "U64": (np.uint64, 8), "F16": (np.float16, 2), "F32": (np.float32, 4), "F64": (np.float64, 8),
    # Formats numpy cannot compute with are kept as raw bits and decoded by ds4ref.numerics.
    "BF16": (np.uint16, 2), "F8_E4M3": (np.uint8, 1), "F8_E5M2": (np.uint8, 1),
    "F8_E8M0": (np.uint8, 1),
}
MAX_HEADER_BYTES = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    """A malformed safetensors file; the message names the file and, where known, the tensor."""


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise SafetensorsError(f"duplicate tensor name {k!r} in header")
        seen[k] = v
    return seen


class SafetensorsFile:
    """Reads and validates one .safetensors file; tensors are memory-mapped on demand."""

    def __init__(self, path: str):
        self.path = path
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as fh:
                prefix = fh.read(8)
                if len(prefix) < 8:
                    raise SafetensorsError(f"{path}: file too short for a header ({size} bytes)")
                n = int.from_bytes(prefix, "little")
                if n > MAX_HEADER_BYTES or 8 + n > size:
                    raise SafetensorsError(f"{path}: header length {n} exceeds the file ({size} bytes)")
                header_bytes = fh.read(n)
        except OSError as e:
            raise SafetensorsError(f"{path}: cannot read: {e.strerror}") from None
        try:
            header = json.loads(header_bytes.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except SafetensorsError as e:
            raise SafetensorsError(f"{path}: {e}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SafetensorsError(f"{path}: header is not valid JSON: {e}") from None
        if not isinstance(header, dict):
            raise SafetensorsError(f"{path}: header is not a JSON object")
        self.metadata = header.pop("__metadata__", None) or {}
        self.data_start = 8 + n
        data_len = size - self.data_start
        self.entries = {}
        spans = []
        for name, e in header.items():
            where = f"{path}: tensor {name!r}"
            if not isinstance(e, dict) or set(e) - {"dtype", "shape", "data_offsets"} or len(e) != 3:
                raise SafetensorsError(f"{where}: entry must have exactly dtype, shape, data_offsets")
            dtype, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
            if dtype not in DTYPES:
                raise SafetensorsError(f"{where}: unknown dtype {dtype!r}")
            if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
                raise SafetensorsError(f"{where}: bad shape {shape!r}")
            if (not isinstance(offs, list) or len(offs) != 2
                    or not all(isinstance(o, int) for o in offs) or not 0 <= offs[0] <= offs[1]):
                raise SafetensorsError(f"{where}: bad data_offsets {offs!r}")
            if offs[1] > data_len:
                raise SafetensorsError(f"{where}: data_offsets {offs} outside the data area "
                                       f"({data_len} bytes)")
            nbytes = int(np.prod(shape, dtype=np.int64)) * DTYPES[dtype][1]
            if nbytes != offs[1] - offs[0]:
                raise SafetensorsError(f"{where}: {dtype} x {shape} needs {nbytes} bytes but "
                                       f"data_offsets span {offs[1] - offs[0]}")
            self.entries[name] = (dtype, tuple(shape), offs[0], offs[1])
            spans.append((offs[0], offs[1], name))
        spans.sort()
        for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
            if b1 < e0:
                raise SafetensorsError(f"{path}: tensors {n0!r} and {n1!r} overlap")
        self._map = None

    def names(self):
        return list(self.entries)

    def info(self, name: str):
        dtype, shape, _, _ = self.entries[name]
        return dtype, shape

    def raw(self, name: str) -> np.ndarray:
        """The stored values as a numpy array (raw bits for BF16/F8 types)."""
        dtype, shape, begin, end = self.entries[name]
        if self._map is None:
            self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        np_dtype = DTYPES[dtype][0]
        buf = self._map[self.data_start + begin:self.data_start + end]
        return np.frombuffer(buf, dtype=np_dtype).reshape(shape)

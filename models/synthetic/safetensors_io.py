"""Deterministic safetensors writing: shards plus model.safetensors.index.json.

Header: 8-byte little-endian length, JSON (keys sorted, no whitespace, padded with spaces to a
multiple of 8 bytes), then the tensors' bytes in the order given, each tensor contiguous.
Tensors are produced one group at a time while writing, so memory holds one group at a time
(a group is what one producer returns, e.g. an FP8 weight and its scale).
"""

from __future__ import annotations

import json
import os

import numpy as np

INDEX_FILE = "model.safetensors.index.json"
DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4,
               "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8, "F8_E4M3": 1, "F8_E5M2": 1,
               "F8_E8M0": 1}


class Group:
    """Tensors written together: [(name, dtype, shape)] and a producer returning their arrays."""

    def __init__(self, tensors, produce):
        self.tensors = [(n, d, tuple(int(x) for x in s)) for n, d, s in tensors]
        self.produce = produce

    def nbytes(self) -> int:
        return sum(int(np.prod(s, dtype=np.int64)) * DTYPE_BYTES[d] for _, d, s in self.tensors)


def shard_name(i: int, n: int) -> str:
    return f"model-{i + 1:05d}-of-{n:05d}.safetensors"


# Groups handed to forked workers (their producers are closures, which do not pickle).
_FORKED_GROUPS = None


def _produce_bytes(index: int):
    return [np.ascontiguousarray(a).tobytes() for a in _FORKED_GROUPS[index].produce()]


def _produced(groups, jobs: int):
    """Each group's blobs in order; drawn by `jobs` forked processes when jobs > 1 (the bytes
    do not depend on it: every tensor has its own seeded stream)."""
    global _FORKED_GROUPS
    if jobs <= 1 or len(groups) <= 1:
        for g in groups:
            yield [np.ascontiguousarray(a).tobytes() for a in g.produce()]
        return
    import multiprocessing
    _FORKED_GROUPS = groups
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(_produce_bytes, range(len(groups)))
    finally:
        _FORKED_GROUPS = None


def write_safetensors(path: str, groups, metadata: dict | None = None, jobs: int = 1) -> None:
    header, offset = {}, 0
    for g in groups:
        for name, dtype, shape in g.tensors:
            size = int(np.prod(shape, dtype=np.int64)) * DTYPE_BYTES[dtype]
            header[name] = {"dtype": dtype, "shape": list(shape),
                            "data_offsets": [offset, offset + size]}
            offset += size
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as fh:
        fh.write(len(text).to_bytes(8, "little"))
        fh.write(text)
        for g, blobs in zip(groups, _produced(groups, jobs)):
            for (name, dtype, shape), blob in zip(g.tensors, blobs):
                if len(blob) != header[name]["data_offsets"][1] - header[name]["data_offsets"][0]:
                    raise AssertionError(f"{name}: produced {len(blob)} bytes for {dtype} {shape}")
                fh.write(blob)


def split_into_shards(groups, n_shards: int):
    """Contiguous runs of groups of roughly equal byte size (each non-empty), in order."""
    n_shards = max(1, min(n_shards, len(groups)))
    sizes = [g.nbytes() for g in groups]
    total = sum(sizes)
    shards, current, acc = [], [], 0
    for i, (g, size) in enumerate(zip(groups, sizes)):
        current.append(g)
        acc += size
        left_groups, left_shards = len(groups) - i - 1, n_shards - len(shards) - 1
        if left_shards > 0 and (acc >= total * (len(shards) + 1) / n_shards
                                or left_groups == left_shards):
            shards.append(current)
            current = []
    shards.append(current)
    return shards


def write_checkpoint(directory: str, groups, n_shards: int, metadata: dict,
                     jobs: int = 1) -> None:
    shards = split_into_shards(groups, n_shards)
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        name = shard_name(i, len(shards))
        write_safetensors(os.path.join(directory, name), shard, {"format": "pt", **metadata}, jobs)
        for g in shard:
            total += g.nbytes()
            for tensor_name, _, _ in g.tensors:
                weight_map[tensor_name] = name
    index = {"metadata": {"total_size": total, **metadata}, "weight_map": weight_map}
    with open(os.path.join(directory, INDEX_FILE), "w", encoding="utf-8") as fh:
        json.dump(index, fh, indent=2, sort_keys=True)
        fh.write("\n")

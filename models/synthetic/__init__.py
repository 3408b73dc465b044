"""Synthetic DeepSeek-V4 checkpoints in the released layout (tools/ds4-make-checkpoint)."""

from .checkpoint import CheckpointWriteError, build_tensors, make_checkpoint, tensor_specs
from .config import ConfigError, load, normalize

__all__ = ["CheckpointWriteError", "ConfigError", "build_tensors", "load", "make_checkpoint",
           "normalize", "tensor_specs"]

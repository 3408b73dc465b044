"""ds4ref: an independent numpy reference of DeepSeek-V4 inference (../shared/spec/deepseek-v4.md)."""

from .checkpoint import Checkpoint, CheckpointError, expected_tensors, load_weights
from .config import ConfigError, ModelConfig, config_from_dict, load_config
from .model import Model, SequenceState

__all__ = ["Checkpoint", "CheckpointError", "ConfigError", "Model", "ModelConfig",
           "SequenceState", "config_from_dict", "expected_tensors", "load_config", "load_weights"]

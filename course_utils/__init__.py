"""Helpers shared by the chapter-3 notebooks (``import course_utils as cu``).

Each helper exists because the environment forces it (no Hub, no GPU, quick
test runs); learner-facing code keeps the canonical library calls.
"""

from .accelerate_loop import TrainConfig, choose_mixed_precision, training_function
from .checkpoint import choose_checkpoint, packaged_checkpoint, resolve_checkpoint
from .data import choose_data_source, load_dataset
from .errors import CheckpointError, CourseError, DataSourceError, MetricError
from .hub import hub_status
from .metrics import load_metric
from .runtime import CourseEnv, check_versions, detect_device, in_colab, quick_mode, setup

__all__ = [
    "CheckpointError",
    "CourseEnv",
    "CourseError",
    "DataSourceError",
    "MetricError",
    "TrainConfig",
    "check_versions",
    "choose_checkpoint",
    "choose_data_source",
    "choose_mixed_precision",
    "detect_device",
    "hub_status",
    "in_colab",
    "load_dataset",
    "load_metric",
    "packaged_checkpoint",
    "quick_mode",
    "resolve_checkpoint",
    "setup",
    "training_function",
]

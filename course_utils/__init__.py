"""Helpers shared by the chapter-3 notebooks (``import course_utils as cu``).

Each helper exists because the environment forces it (no Hub, no GPU, quick
test runs); learner-facing code keeps the canonical library calls.
"""

from .checkpoint import choose_checkpoint, packaged_checkpoint, resolve_checkpoint
from .data import choose_data_source, load_dataset
from .errors import CheckpointError, CourseError, DataSourceError, MetricError
from .evaluation import misclassified
from .hub import hub_status
from .metrics import load_metric
from .plots import plot_confusion_matrix, plot_training_history
from .precision import cpu_supports_bf16, mixed_precision_args
from .runtime import CourseEnv, check_versions, detect_device, in_colab, quick_mode, setup

__all__ = [
    "CheckpointError",
    "CourseEnv",
    "CourseError",
    "DataSourceError",
    "MetricError",
    "check_versions",
    "choose_checkpoint",
    "choose_data_source",
    "cpu_supports_bf16",
    "detect_device",
    "hub_status",
    "in_colab",
    "load_dataset",
    "load_metric",
    "misclassified",
    "mixed_precision_args",
    "packaged_checkpoint",
    "plot_confusion_matrix",
    "plot_training_history",
    "quick_mode",
    "resolve_checkpoint",
    "setup",
]

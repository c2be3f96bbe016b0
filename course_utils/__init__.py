"""Helpers shared by the chapter-3 notebooks (``import course_utils as cu``).

Each helper exists because the environment forces it (no Hub, no GPU, quick
test runs); learner-facing code keeps the canonical library calls. Lesson 06's
training loop is not here: the notebook defines it, and ``course_utils.accelerate_loop``
is generated from it (``python -m course_tools.export_loop``) for the training script.
"""

from .checkpoint import choose_checkpoint, packaged_checkpoint, resolve_checkpoint
from .data import choose_data_source, load_dataset
from .errors import CheckpointError, CourseError, DataSourceError, MetricError
from .evaluation import RunSummary, misclassified, summarize_history
from .exercises import (
    check_glue_preprocessing,
    check_labels,
    check_pair_tokenization,
    check_sst2_loop,
    check_sst2_preprocessing,
    check_sst2_trainer,
)
from .explorers import explore_dataset, explore_padding, explore_tokenizer
from .hub import hub_status
from .load_report import hide_load_report, show_load_report
from .metrics import load_metric
from .outputs import check_output_dir, model_card, publish, staging_dir, write_run_files
from .padding import PaddingStats, compare_throughput, measure_throughput, padding_from_lengths, padding_stats
from .plots import plot_confusion_matrix, plot_learning_curves, plot_length_histogram, plot_training_history
from .hardware import cpu_supports_bf16
from .precision import Precision, choose_mixed_precision, mixed_precision_args, precision_policy
from .quiz import Quiz, check_answer
from .quiz_text import TextQuiz, answer, reset_quiz, show_quiz
from .quiz_widgets import quiz_widget, run_quiz
from .recipes import COURSE, course_recipe, describe_recipe, fast_cpu_recipe, recipe
from .runtime import CourseEnv, check_process_group, check_versions, detect_device, in_colab, quick_mode, setup

__all__ = [
    "COURSE",
    "CheckpointError",
    "CourseEnv",
    "CourseError",
    "DataSourceError",
    "MetricError",
    "PaddingStats",
    "RunSummary",
    "Quiz",
    "TextQuiz",
    "answer",
    "check_answer",
    "check_glue_preprocessing",
    "check_labels",
    "check_output_dir",
    "check_pair_tokenization",
    "check_process_group",
    "check_sst2_loop",
    "check_sst2_preprocessing",
    "check_sst2_trainer",
    "check_versions",
    "choose_checkpoint",
    "choose_data_source",
    "choose_mixed_precision",
    "compare_throughput",
    "course_recipe",
    "cpu_supports_bf16",
    "describe_recipe",
    "detect_device",
    "explore_dataset",
    "explore_padding",
    "explore_tokenizer",
    "fast_cpu_recipe",
    "hide_load_report",
    "hub_status",
    "in_colab",
    "load_dataset",
    "load_metric",
    "measure_throughput",
    "misclassified",
    "mixed_precision_args",
    "model_card",
    "packaged_checkpoint",
    "padding_from_lengths",
    "padding_stats",
    "plot_confusion_matrix",
    "plot_learning_curves",
    "plot_length_histogram",
    "plot_training_history",
    "publish",
    "quick_mode",
    "quiz_widget",
    "recipe",
    "reset_quiz",
    "resolve_checkpoint",
    "run_quiz",
    "setup",
    "show_load_report",
    "show_quiz",
    "staging_dir",
    "summarize_history",
    "write_run_files",
]

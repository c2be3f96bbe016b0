"""Helpers shared by the chapter-3 notebooks (``import course_utils as cu``).

Each helper exists because the environment forces it (no Hub, no GPU, quick
test runs); learner-facing code keeps the canonical library calls. ``__all__``
is exactly what the lessons and ``scripts/train_mrpc.py`` write as ``cu.NAME``;
anything else is imported from its module. The modules, by room:

- routes: ``routes`` (the one route type, ladder and record), ``hub`` (is the Hub
  reachable?), ``data`` / ``glue_source`` / ``sample_data`` (GLUE MRPC and SST-2),
  ``checkpoint``, ``metrics`` / ``glue_mrpc`` (the offline metric), ``cache``,
  ``prefetch`` (the instructor's offline pack);
- machine and training: ``hardware`` (device, CPU, GPU, machine record),
  ``precision`` (the one precision value), ``recipes``, ``reference`` (the
  measured numbers), ``runtime`` (``setup``), ``outputs`` (a run's output
  folder and model card), ``accelerate_loop`` (GENERATED from lesson 06);
- the lessons' interactive parts: ``explorers``, ``padding``, ``plots``,
  ``evaluation``, ``exercises``, ``quiz`` / ``quiz_text`` / ``quiz_widgets``,
  ``load_report``, ``frontend``, ``links``, ``tracking`` (trackio when installed),
  ``sharing`` (may ``trainer.push_to_hub()`` upload from here?),
  ``search`` (Optuna for the hyperparameter search, when installed).

Maintainer tools (refresh stored outputs, render numbers, export lesson 06's
loop, site, slides, benchmarks) are not here: they are ``course_tools``.
"""

# Every lesson: setup and where things come from.
from .checkpoint import resolve_checkpoint
from .data import choose_data_source, load_dataset, load_dataset_card
from .errors import CheckpointError, CourseError, DataSourceError, MetricError
from .hub import hub_status
from .load_report import hide_load_report, show_load_report
from .metrics import load_metric
from .routes import routes_used
from .runtime import check_versions, setup

# 01–03: the data, tokenization, padding.
from .explorers import explore_dataset, explore_padding, explore_tokenizer  # isort: skip
from .padding import compare_throughput, padding_stats  # isort: skip
from .plots import plot_confusion_matrix, plot_learning_curves, plot_length_histogram, plot_training_history  # isort: skip

# 04–07: training, precision, evaluation, a run's outputs.
from .evaluation import misclassified, split_history, summarize_history  # isort: skip
from .outputs import check_output_dir, publish, staging_dir, write_run_files  # isort: skip
from .precision import choose_mixed_precision, mixed_precision_args, precision_policy  # isort: skip
from .recipes import COURSE, curve_learning_rates, describe_curve_learning_rates, describe_recipe, fast_cpu_recipe  # isort: skip
from .runtime import check_process_group  # isort: skip
from .sharing import ready_to_push  # isort: skip
from .tracking import dashboard_command, report_to  # isort: skip
from .plots import plot_search_trials  # isort: skip
from .search import optuna_installed  # isort: skip

# Exercises and check questions.
from .exercises import (  # isort: skip
    check_dataset_card,
    check_dataset_task,
    check_glue_preprocessing,
    check_labels,
    check_pair_tokenization,
    check_sst2_loop,
    check_sst2_preprocessing,
    check_sst2_trainer,
)
from .quiz_text import answer, reset_quiz, show_quiz  # isort: skip
from .quiz_widgets import run_quiz  # isort: skip

__all__ = [
    # every lesson
    "setup",
    "check_versions",
    "hub_status",
    "load_dataset",
    "choose_data_source",
    "load_dataset_card",
    "resolve_checkpoint",
    "load_metric",
    "routes_used",
    "hide_load_report",
    "show_load_report",
    "CourseError",
    "CheckpointError",
    "DataSourceError",
    "MetricError",
    # 01–03
    "explore_dataset",
    "explore_tokenizer",
    "explore_padding",
    "padding_stats",
    "compare_throughput",
    "plot_length_histogram",
    # 04–07
    "COURSE",
    "describe_recipe",
    "fast_cpu_recipe",
    "curve_learning_rates",
    "describe_curve_learning_rates",
    "precision_policy",
    "choose_mixed_precision",
    "mixed_precision_args",
    "plot_training_history",
    "plot_confusion_matrix",
    "plot_learning_curves",
    "plot_search_trials",
    "misclassified",
    "split_history",
    "summarize_history",
    "check_process_group",
    "report_to",
    "dashboard_command",
    "ready_to_push",
    "optuna_installed",
    "check_output_dir",
    "staging_dir",
    "write_run_files",
    "publish",
    # exercises and check questions
    "check_labels",
    "check_dataset_card",
    "check_dataset_task",
    "check_pair_tokenization",
    "check_glue_preprocessing",
    "check_sst2_preprocessing",
    "check_sst2_trainer",
    "check_sst2_loop",
    "run_quiz",
    "show_quiz",
    "answer",
    "reset_quiz",
]

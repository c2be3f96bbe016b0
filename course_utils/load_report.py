"""Hide (or show again) the LOAD REPORT that 🤗 Transformers prints when it loads a model.

The report is a warning of the ``transformers.modeling_utils`` logger. Lesson 04
explains it once; after that it repeats at every load. Lowering the library's
verbosity (``transformers.logging.set_verbosity_error()``) would hide it too, but
it also hides every other warning and makes ``TrainingArguments`` default to
``disable_tqdm=True``: no progress bar, no progress table in Jupyter, only
printed dicts. A logging filter drops just the report and changes nothing else.
"""

from __future__ import annotations

import logging

LOGGER_NAME = "transformers.modeling_utils"
MARKER = "LOAD REPORT"


class LoadReportFilter(logging.Filter):
    """Drops log records whose message contains the LOAD REPORT heading."""

    def filter(self, record: logging.LogRecord) -> bool:
        return MARKER not in record.getMessage()


_FILTER = LoadReportFilter()


def hide_load_report() -> None:
    """Stop printing the LOAD REPORT for the rest of the session; other warnings still show."""
    logging.getLogger(LOGGER_NAME).addFilter(_FILTER)  # adding the same filter twice is a no-op


def show_load_report() -> None:
    """Print the LOAD REPORT again at the next model load."""
    logging.getLogger(LOGGER_NAME).removeFilter(_FILTER)

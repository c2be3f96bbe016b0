"""Errors raised by course_utils, with learner-facing messages in Chinese.

Every error names what went wrong and how to fix it. The original library
exception, when there is one, is kept as ``__cause__`` (``raise ... from err``)
so that the English traceback is still there for anyone who needs it.
"""

from __future__ import annotations


class CourseError(RuntimeError):
    """Base class: a problem in the course environment a learner can fix."""

    def __init__(self, problem: str, fix: str):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}\n怎么解决：{fix}")


class DataSourceError(CourseError):
    """The MRPC data could not be read from the configured source."""


class CheckpointError(CourseError):
    """The requested model checkpoint cannot be used here."""


class MetricError(CourseError):
    """The evaluation metric could not be loaded."""

"""Errors raised for bad input: each names the file, the field and the fix."""

from __future__ import annotations


class ConfigError(ValueError):
    """A platform, workload or scenario description is invalid.

    The message always has the same three parts so that a user can act on it
    without reading a traceback: where (file and field), what is wrong, and
    how to fix it.

    Attributes:
        source: The file (or other origin, such as ``"<dict>"``) that was read.
        field: A dotted path to the offending field, e.g. ``tasks[3].cost.GPU``.
        problem: What is wrong with the value found there.
        fix: What the user should change.
    """

    def __init__(self, source: str, field: str, problem: str, fix: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{source}: field '{field}': {problem}. Fix: {fix}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str]]:
        """Rebuilt from its four parts, so that it crosses process boundaries (pools, Ray)."""
        return type(self), (self.source, self.field, self.problem, self.fix)


class SchedulingError(RuntimeError):
    """A scheduler returned an assignment the emulator cannot honour.

    Raised for a task that does not exist or was already placed, a PE that is
    not eligible for the task, or a PE that is down. Schedulers must only
    return assignments allowed by :class:`socsim.scheduler.SchedulerView`.
    """


class UsageError(Exception):
    """A command-line value that cannot be used; the message says what to change."""


class ScenarioError(ValueError):
    """A :class:`socsim.scenario.Scenario` field that cannot be used.

    The message names the field as Python code sees it
    (``Scenario.trace_file``); the command line rewords it for the flag that
    sets the field (``--trace-file``) in one place, :func:`as_flag_error`.

    Attributes:
        field: The scenario field.
        problem: What is wrong.
        value_hint: What to give instead, e.g. ``"FILE (CSV time[,profile] or JSON)"``.
    """

    def __init__(self, field: str, problem: str, value_hint: str) -> None:
        self.field = field
        self.problem = problem
        self.value_hint = value_hint
        super().__init__(f"Scenario.{field}: {problem}; set {field}={value_hint}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        """Rebuilt from its three parts, so that it crosses process boundaries."""
        return type(self), (self.field, self.problem, self.value_hint)

    def as_flag_error(self) -> UsageError:
        """The same error for a command-line user: the flag instead of the field."""
        flag = "--" + self.field.replace("_", "-")
        return UsageError(f"{flag}: {self.problem}; give {flag} {self.value_hint}")

"""Helpers for the hostile-input tests: run a call under a wall-clock alarm."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class HangError(AssertionError):
    """The call did not return in time: the behaviour under test is a hang."""


def run_with_alarm(call: Callable[[], T], seconds: int) -> T:
    """Run ``call``; fail the test (instead of hanging the suite) after ``seconds``."""

    def _alarm(signum: int, frame: object) -> None:
        raise HangError(f"did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        return call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

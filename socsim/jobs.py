"""Job sources: when jobs arrive, which profile each is, and its execution-time noise.

A :class:`JobSource` combines an arrival process, a weighted mix of bound
profiles, a cap on the number of jobs in the system (with an optional
pre-fill, DS3Gym's "pseudo steady state"), a total job count, and relative
Gaussian noise on execution times. All draws come from generators the
simulator derives from its one seed, so the same seed gives the same jobs
whatever the scheduler does.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from socsim.documents import parse_document, read_text
from socsim.errors import ConfigError
from socsim.fields import MAX_NUMBER, brief
from socsim.workload import BoundProfile

#: Largest time accepted anywhere in a job source (us): about 32 years, far
#: enough from float overflow that sums of many such times stay finite.
MAX_TIME = MAX_NUMBER
#: Largest relative noise on execution times (see :attr:`JobSource.noise_sigma`).
MAX_NOISE_SIGMA = 10.0


def _check_time(value: object, name: str, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a number in (0, :data:`MAX_TIME`]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 < value <= MAX_TIME:
        raise ValueError(f"{name} must be a positive number of microseconds at most "
                         f"{MAX_TIME:g} (about 32 years; larger times overflow the clock), "
                         f"got {value!r}; give {what} in us")


class ArrivalProcess(Protocol):
    """When jobs arrive.

    The simulator asks for the first arrival time once, then, each time it
    injects a job at time ``t``, for the next arrival after ``t``. A process
    that counts gaps from injections (DS3's generator) therefore stretches
    naturally while the system is full.
    """

    def first(self, rng: np.random.Generator) -> float | None:
        """Time of the first arrival, or ``None`` if there is none."""
        ...

    def after_injection(self, t: float, rng: np.random.Generator) -> float | None:
        """Time of the next arrival after a job was injected at ``t`` (``None``: no more)."""
        ...

    def profile_hint(self) -> str | None:
        """Name of the profile of the arrival just produced, if the process fixes it."""
        ...


@dataclass
class Poisson:
    """Exponential inter-arrival times; the first job arrives at t = 0 (as in DS3).

    Attributes:
        mean_interarrival: Mean gap between arrivals (us).
        integer: Round gaps down to whole microseconds (DS3's ``int(Exp)``).
        retry_when_full: What an arrival that finds the system full does.
            ``None`` (default): it waits and is injected as soon as a job
            leaves. A pause ``p`` (us): it is dropped and the generator tries
            again after ``p`` plus a fresh gap, as DS3Gym's generator does
            with ``p = 1`` (one clock tick), so that a freed slot stays empty
            until the next try.
    """

    mean_interarrival: float
    integer: bool = False
    retry_when_full: float | None = None

    def __post_init__(self) -> None:
        _check_time(self.mean_interarrival, "mean_interarrival (--interarrival)",
                    "the mean gap between arrivals")
        if self.retry_when_full is not None:
            _check_time(self.retry_when_full, "retry_when_full", "a pause (us)")

    def first(self, rng: np.random.Generator) -> float | None:  # noqa: D102
        return 0.0

    def after_injection(self, t: float, rng: np.random.Generator) -> float | None:  # noqa: D102
        gap = float(rng.exponential(self.mean_interarrival))
        return t + (float(int(gap)) if self.integer else gap)

    def after_blocked(self, t: float, rng: np.random.Generator) -> float | None:
        """Time of the next try after an arrival at ``t`` found the system full.

        ``None`` when :attr:`retry_when_full` is ``None``: the arrival waits
        for a free slot instead.
        """
        if self.retry_when_full is None:
            return None
        return self.after_injection(t + self.retry_when_full, rng)

    def profile_hint(self) -> str | None:  # noqa: D102
        return None


@dataclass
class FixedRate:
    """One arrival every ``period`` microseconds, starting at t = 0."""

    period: float

    def __post_init__(self) -> None:
        _check_time(self.period, "period (--interarrival)", "the gap between arrivals")

    def first(self, rng: np.random.Generator) -> float | None:  # noqa: D102
        return 0.0

    def after_injection(self, t: float, rng: np.random.Generator) -> float | None:  # noqa: D102
        return t + self.period

    def profile_hint(self) -> str | None:  # noqa: D102
        return None


@dataclass
class Batch:
    """All jobs arrive at t = 0 (the classic static scheduling problem)."""

    def first(self, rng: np.random.Generator) -> float | None:  # noqa: D102
        return 0.0

    def after_injection(self, t: float, rng: np.random.Generator) -> float | None:  # noqa: D102
        return t

    def profile_hint(self) -> str | None:  # noqa: D102
        return None


class Trace:
    """Arrivals read from a list of ``(time, profile or None)``, in time order.

    Each entry arrives at its time, or, when the cap held back the entry
    before it, right after that one is injected (an admission queue in
    trace order).
    """

    def __init__(self, entries: Sequence[tuple[float, str | None]], source: str = "<list>"
                 ) -> None:
        last = 0.0
        for k, (time, profile) in enumerate(entries):
            if isinstance(time, bool) or not (isinstance(time, (int, float))
                                              and last <= time <= MAX_TIME):
                raise ConfigError(source, f"arrivals[{k}].time", f"is {brief(time)}",
                                  f"give non-negative times in increasing order, at most "
                                  f"{MAX_TIME:g} us")
            if profile is not None and not isinstance(profile, str):
                raise ConfigError(source, f"arrivals[{k}].profile", f"is {brief(profile)}",
                                  "give the profile as a name (a string)")
            last = float(time)
        self.entries = [(float(t), p) for t, p in entries]
        self.source = source
        self._next = 0

    @classmethod
    def from_file(cls, path: str | Path) -> Trace:
        """Read a trace: CSV with a ``time`` column and optional ``profile`` column, or JSON.

        JSON is a list of numbers or of ``{"time": t, "profile": name}`` objects.
        """
        path = Path(path)
        text = read_text(path)
        entries: list[tuple[float, str | None]] = []
        if path.suffix.lower() == ".json":
            items = parse_document(text, str(path), json_format=True)
            if not isinstance(items, list):
                raise ConfigError(str(path), "<top level>",
                                  f"expected a list, found {type(items).__name__}",
                                  "write a list of times or of {\"time\": t, \"profile\": name}")
            for k, item in enumerate(items):
                if isinstance(item, dict):
                    if "time" not in item:
                        raise ConfigError(str(path), f"[{k}].time", "is missing",
                                          "give each arrival a 'time'")
                    entries.append((item["time"], item.get("profile")))
                else:
                    entries.append((item, None))
        else:
            try:
                reader = csv.DictReader(text.splitlines())
                fieldnames = reader.fieldnames
                rows = list(reader)
            except csv.Error as exc:
                raise ConfigError(str(path), "<file>", f"is not valid CSV ({exc})",
                                  "write one 'time,profile' line per arrival") from None
            if not fieldnames or "time" not in fieldnames:
                raise ConfigError(str(path), "header", "has no 'time' column",
                                  "start the CSV with a header line 'time,profile'")
            for k, row in enumerate(rows):
                try:
                    time = float(row["time"])
                except (TypeError, ValueError):
                    raise ConfigError(str(path), f"row {k + 2}.time",
                                      f"is {brief(row['time'])}",
                                      "give a number of microseconds") from None
                entries.append((time, row.get("profile") or None))
        return cls(entries, source=str(path))

    def reset(self) -> None:
        """Start again from the first entry (the simulator calls this when a run starts)."""
        self._next = 0

    def first(self, rng: np.random.Generator) -> float | None:  # noqa: D102
        self.reset()
        return self._advance()

    def after_injection(self, t: float, rng: np.random.Generator) -> float | None:  # noqa: D102
        return self._advance()

    def profile_hint(self) -> str | None:  # noqa: D102
        return self.entries[self._next - 1][1] if self._next else None

    def _advance(self) -> float | None:
        if self._next >= len(self.entries):
            return None
        self._next += 1
        return self.entries[self._next - 1][0]


@dataclass
class JobSource:
    """Everything that decides the stream of jobs.

    Attributes:
        profiles: Bound profiles to draw jobs from.
        weights: Relative weight of each profile (default: equal).
        arrivals: The arrival process (default: a batch at t = 0).
        max_jobs: Total number of jobs to inject (``None``: unbounded, then a
            horizon must stop the run).
        max_in_system: Cap on jobs present at once; an arrival that finds the
            system full waits and is injected when a job leaves.
        prefill: Jobs injected at t = 0 before the arrival process starts
            (DS3Gym's pseudo steady state uses ``prefill = max_in_system``).
        noise_sigma: Relative standard deviation of execution times. Each
            job draws one standard normal ``z`` per task; a task lasts
            ``mu * (1 + sigma * z)`` on the PE that runs it (``mu``: the
            tabulated time there), at least ``mu / 1000``; in DS3 timing,
            ``max(1, round(...))`` as DS3 does. Schedulers see only ``mu``.
        inject_asap: Also inject the next job the moment a job completes (DS3's
            ``inject_jobs_ASAP``): a completion cuts the wait for the next
            arrival short, and the arrival process draws its next gap from there.
    """

    profiles: Sequence[BoundProfile]
    weights: Sequence[float] | None = None
    arrivals: ArrivalProcess | None = None
    max_jobs: int | None = None
    max_in_system: int | None = None
    prefill: int = 0
    noise_sigma: float = 0.0
    inject_asap: bool = False

    def __post_init__(self) -> None:
        if not self.profiles:
            raise ValueError("JobSource needs at least one profile")
        weights = list(self.weights) if self.weights is not None else [1.0] * len(self.profiles)
        if len(weights) != len(self.profiles) or any(
                not (math.isfinite(w) and 0 <= w <= MAX_NUMBER) for w in weights) \
                or sum(weights) <= 0:
            raise ValueError(f"weights must be one non-negative number per profile, at most "
                             f"{MAX_NUMBER:g}, with a positive sum, got {weights!r}")
        total = sum(weights)
        self.probabilities = np.array([w / total for w in weights])
        self.cumulative = np.cumsum(self.probabilities)
        if self.arrivals is None:
            self.arrivals = Batch()
        if self.max_jobs is not None and self.max_jobs < 0:
            raise ValueError(f"max_jobs must be >= 0, got {self.max_jobs}")
        if self.max_in_system is not None and self.max_in_system < 1:
            raise ValueError(f"max_in_system must be >= 1, got {self.max_in_system}")
        if self.prefill < 0 or (self.max_in_system is not None
                                and self.prefill > self.max_in_system):
            raise ValueError(f"prefill must be between 0 and max_in_system, got {self.prefill}")
        if isinstance(self.noise_sigma, bool) or not isinstance(self.noise_sigma, (int, float)) \
                or not 0 <= self.noise_sigma <= MAX_NOISE_SIGMA:
            raise ValueError(
                f"noise_sigma (--noise) must be between 0 and {MAX_NOISE_SIGMA:g}, got "
                f"{self.noise_sigma!r}: it is the relative standard deviation of execution "
                f"times, and above {MAX_NOISE_SIGMA:g} most tasks would be clamped at 1/1000 "
                "of their mean or last over ten times it; give e.g. 0.1 for 10 % noise")
        if isinstance(self.arrivals, Trace) and self.max_jobs is None:
            self.max_jobs = len(self.arrivals.entries)  # a trace is finite
        if isinstance(self.arrivals, Batch) and self.max_jobs is None:
            raise ValueError("a batch arrival needs max_jobs (how many jobs at t = 0)")
        self._by_name = {p.name: k for k, p in enumerate(self.profiles)}
        if isinstance(self.arrivals, Trace):
            for k, (_, name) in enumerate(self.arrivals.entries):
                if name is not None and name not in self._by_name:
                    raise ConfigError(self.arrivals.source, f"arrivals[{k}].profile",
                                      f"unknown profile '{name}'",
                                      f"use one of {sorted(self._by_name)}")

    def pick_profile(self, rng: np.random.Generator) -> int:
        """Index of the profile of the next job (the trace's, else a weighted draw)."""
        hint = self.arrivals.profile_hint()
        if hint is not None:
            return self._by_name[hint]
        if len(self.profiles) == 1:
            return 0
        return min(int(np.searchsorted(self.cumulative, rng.random(), side="right")),
                   len(self.profiles) - 1)

    def job_profile(self, index: int, rng: np.random.Generator) -> BoundProfile:
        """The bound profile a new job of profile ``index`` runs with.

        For a profile whose activity is drawn per job, the job draws its
        activity from ``rng`` and gets the precomputed variant of that
        activity level (:meth:`BoundProfile.variant_for`); other profiles
        are returned as they are, without a draw.
        """
        profile = self.profiles[index]
        if not profile.variants:
            return profile
        return profile.variant_for(profile.profile.activity.draw(rng))  # type: ignore[union-attr]

    def draw_noise(self, num_tasks: int, rng: np.random.Generator) -> list[float] | None:
        """Per-task standard normal draws for one job, or ``None`` without noise."""
        if self.noise_sigma == 0.0:
            return None
        return rng.standard_normal(num_tasks).tolist()

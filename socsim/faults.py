"""PE faults: scheduled failures and recoveries, or random ones drawn from MTBF/MTTR.

When a PE fails, the task running on it is aborted and every task queued on
it returns to the scheduler; the simulator restarts them elsewhere. A PE
that fails with no recovery ahead is down for good; jobs left with a task
that no live PE can run are recorded as failed, with the reason.

Overlapping faults combine: a PE is down while *any* cause holds it down.
Each scheduled failure opens a down window and each scheduled recovery of
that PE closes one (a recovery with no window open changes nothing); each
random failure holds the PE down until its own repair. So
``--fail P1@20-60 --fail P1@40-200`` keeps P1 down from 20 to 200, and a
random repair never revives a PE whose scheduled failure has no recovery.
The random failure process of a PE runs on regardless of scheduled windows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from socsim.fields import MAX_NUMBER


@dataclass(frozen=True)
class FaultEvent:
    """One scheduled change of a PE's state.

    Attributes:
        time: When it happens (us).
        pe: PE index.
        kind: ``"fail"`` or ``"recover"``.
    """

    time: float
    pe: int
    kind: Literal["fail", "recover"]


@dataclass
class FaultModel:
    """Which PEs fail and when.

    Attributes:
        scheduled: Fixed fault events.
        mtbf: Mean time between failures per PE for random faults (us);
            ``None`` disables random faults.
        mttr: Mean time to repair for random faults (us).
        pes: PEs subject to random faults (default: all).
    """

    scheduled: Sequence[FaultEvent] = field(default_factory=tuple)
    mtbf: float | None = None
    mttr: float = 1000.0
    pes: Sequence[int] | None = None

    def validate(self, num_pes: int) -> None:
        """Check PE indices, times and rates against a platform of ``num_pes`` PEs."""
        for k, event in enumerate(self.scheduled):
            if not 0 <= event.pe < num_pes:
                raise ValueError(f"fault {k}: PE {event.pe} does not exist (0..{num_pes - 1})")
            if event.kind not in ("fail", "recover"):
                raise ValueError(f"fault {k}: kind must be 'fail' or 'recover', not "
                                 f"{event.kind!r}")
            if not (math.isfinite(event.time) and 0 <= event.time <= MAX_NUMBER):
                raise ValueError(f"fault {k}: time must be in [0, {MAX_NUMBER:g}] us, got "
                                 f"{event.time!r}")
        if self.mtbf is not None and not (0 < self.mtbf <= MAX_NUMBER
                                          and 0 < self.mttr <= MAX_NUMBER):
            raise ValueError(f"mtbf and mttr must be times in (0, {MAX_NUMBER:g}] us, got "
                             f"{self.mtbf!r}, {self.mttr!r}")
        for pe in self.pes or ():
            if not 0 <= pe < num_pes:
                raise ValueError(f"random faults: PE {pe} does not exist (0..{num_pes - 1})")

    def random_pes(self, num_pes: int) -> list[int]:
        """PEs that fail at random (none if ``mtbf`` is unset)."""
        if self.mtbf is None:
            return []
        return list(self.pes) if self.pes is not None else list(range(num_pes))

    def time_to_failure(self, rng: np.random.Generator) -> float:
        """A random up time."""
        return float(rng.exponential(self.mtbf))

    def time_to_repair(self, rng: np.random.Generator) -> float:
        """A random down time."""
        return float(rng.exponential(self.mttr))

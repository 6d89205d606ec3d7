"""Latency figures of a batch of episodes for training logs: censored first, honest counts beside.

Training logs (``log.jsonl``) and best-policy selection use the censored
mean latency: jobs still in the system at the horizon count at their age
then, so a policy that stalls the platform cannot look better by finishing
fewer jobs. The completed-jobs mean (DS3Gym's figure) and the counts of
completed and unfinished jobs are logged beside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

#: Metric of each logged figure, in log order; the first is the one selected by.
FIGURES = {"censored_latency": "censored_mean_latency", "mean_latency": "mean_latency",
           "completed": "completed", "in_system": "in_system"}


def latency_stats(prefix: str, metrics: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Means over episodes of :data:`FIGURES`, keyed ``"<prefix>/<figure>"``.

    Args:
        prefix: Log section (``rollout``, ``eval``).
        metrics: Each episode's metrics (``info["metrics"]``).

    Returns:
        One mean per figure (``nan`` where no episode has a finite value).
    """
    rows = list(metrics)
    out = {}
    for figure, metric in FIGURES.items():
        values = [float(m.get(metric, math.nan)) for m in rows]
        finite = [v for v in values if math.isfinite(v)]
        out[f"{prefix}/{figure}"] = float(np.mean(finite)) if finite else math.nan
    return out

"""The yardstick in ``info``: a baseline scheduler's result on the episode's own instance.

The baseline runs in a fresh simulator built from the same scenario with
the same simulator seed, hence the same jobs, arrival times, noise draws
and faults as the episode. Schedulers come from
:func:`socsim.registry.make_scheduler`, which loads ``socsim.agents``
(HEFT and family) on first use, so this package never imports the agents
at import time.

When it runs: only at the end of an episode, when the final ``info`` is
built (``info["baseline"]``: the scheduler's name and
:data:`YARDSTICK_METRICS`; ``info["vs_baseline"]``: ours over theirs), and
at most once per simulator seed: results are cached (the last 256 seeds),
so evaluating several policies on the same seeds pays for it once.

On and off: ``gym.make(env_id)`` keeps it on (evaluation: the ratios are
the point), with the environment's default scheduler (``baseline="default"``)
or a named one. Training turns it off with ``baseline=None``, which removes
both keys from the final ``info`` and costs nothing; the native vector
environment (``gym.make_vec``, :mod:`.vector`) is made for training and
defaults to ``baseline=None`` unless a ``baseline`` is passed.
"""

from __future__ import annotations

from collections import OrderedDict

from socsim.registry import make_scheduler

from .generator import InstanceGenerator

#: Metrics copied into ``info["baseline"]`` and compared in ``info["vs_baseline"]``.
YARDSTICK_METRICS = ("makespan", "mean_latency", "censored_mean_latency", "energy_uj", "edp",
                     "completed")


class BaselineCache:
    """Runs a named scheduler on an episode's instance, once per seed.

    Args:
        generator: Builds the episode's simulator.
        scheduler: A registered scheduler name (``"heft"``, ``"heft-rt"``...).
        size: Seeds remembered.
    """

    def __init__(self, generator: InstanceGenerator, scheduler: str, size: int = 256) -> None:
        make_scheduler(scheduler)  # fail early on an unknown name, with suggestions
        self.generator = generator
        self.scheduler = scheduler
        self.size = size
        self._cache: OrderedDict[int, dict[str, float]] = OrderedDict()

    def metrics(self, seed: int) -> dict[str, float]:
        """The baseline's :data:`YARDSTICK_METRICS` for simulator seed ``seed``."""
        cached = self._cache.get(seed)
        if cached is None:
            sim = self.generator.simulator(seed, keep_trace=False)
            result = sim.run(make_scheduler(self.scheduler))
            cached = {name: float(result.metrics[name]) for name in YARDSTICK_METRICS}
            self._cache[seed] = cached
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(seed)
        return dict(cached)


def ratios(ours: dict[str, float], theirs: dict[str, float]) -> dict[str, float]:
    """Ours over the baseline's, per yardstick metric (``nan`` where undefined)."""
    out = {}
    for name in YARDSTICK_METRICS:
        reference = theirs.get(name, float("nan"))
        value = float(ours.get(name, float("nan")))
        out[name] = value / reference if reference and reference == reference else float("nan")
    return out

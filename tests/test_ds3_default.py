"""DS3's own default configuration runs under MET (issue: emulator core, must-show)."""

import math

import pytest

from socsim import JobSource, Poisson, Simulator, catalog
from socsim.schedulers import SCHEDULERS


def ds3_default_source(jobs: int = 100) -> tuple:
    platform = catalog.get_platform("ds3_multiple_bal")
    mix = catalog.get_mix("ds3_default")
    profiles = [catalog.get_workload(name).bind(platform) for name in mix.weights]
    source = JobSource(profiles, weights=list(mix.weights.values()),
                       arrivals=Poisson(500.0, integer=True), max_jobs=jobs, max_in_system=12)
    return platform, source


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
def test_ds3_default_configuration_completes(scheduler: str) -> None:
    platform, source = ds3_default_source()
    result = Simulator(platform, source, seed=0, keep_jobs=True,
                       keep_trace=True).run(SCHEDULERS[scheduler]())
    metrics = result.metrics
    assert metrics["injected"] == metrics["completed"] == 100
    assert metrics["failed"] == 0 and metrics["in_system"] == 0
    # The mix is drawn with DS3's weights: all six applications appear.
    assert {job.profile for job in result.jobs} == set(catalog.get_mix("ds3_default").weights)
    # Never more than 12 jobs in the system: sweep arrivals (+1) and completions (-1).
    events = sorted([(j.arrival, 1) for j in result.jobs] + [(j.finish, -1) for j in result.jobs],
                    key=lambda e: (e[0], e[1]))
    present = peak = 0
    for _, delta in events:
        present += delta
        peak = max(peak, present)
    assert peak <= 12
    # DS3 timing: every start and finish is a whole microsecond.
    assert all(float(r.start).is_integer() and float(r.finish).is_integer()
               for r in result.trace)
    assert 0 < metrics["mean_latency"] < math.inf and metrics["energy_uj"] > 0


def test_met_uses_accelerators_for_fft_tasks() -> None:
    platform, source = ds3_default_source(jobs=20)
    result = Simulator(platform, source, seed=1, keep_trace=True).run(SCHEDULERS["met"]())
    fft_pes = set(platform.pes_of_type[platform.type_index("FFT")])
    ffts = [r for r in result.trace if r.task.startswith("ifft_") or r.task.startswith("fft_")]
    assert ffts and all(r.pe in fft_pes for r in ffts)

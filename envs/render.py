"""Rendering: a text summary of PEs and queues, and a Gantt chart of the schedule so far."""

from __future__ import annotations

import numpy as np

from socsim.simulator import Simulator


def render_text(sim: Simulator, episode_return: float, max_items: int = 8) -> str:
    """PE states, queues and ready tasks at the current time, as plain text.

    Args:
        sim: The episode's simulator.
        episode_return: Reward collected so far (shown in the header).
        max_items: Queued or ready tasks listed per line before ``...``.
    """
    platform = sim.platform
    lines = [f"t = {sim.now:.6g} us | jobs in system {len(sim.jobs)} | ready {len(sim.ready)} "
             f"| completed {sim.counters.completed} | return {episode_return:.4g}"]
    pes = sim.pes
    width = max(len(name) for name in platform.pe_names)
    for pe, name in enumerate(platform.pe_names):
        running = pes.running[pe]
        if not pes.alive[pe]:
            state = "down"
        elif running is not None:
            job, task, start, mu = running.job, running.task, running.start, running.expected
            state = (f"runs j{job.id}:{job.profile.profile.task_names[task]} "
                     f"(expected end {start + mu:.6g})")
        else:
            state = "idle"
        queue = [f"j{job.id}:{job.profile.profile.task_names[task]}"
                 for job, task in list(pes.queue[pe])[:max_items]]
        more = " ..." if len(pes.queue[pe]) > max_items else ""
        lines.append(f"  {name:<{width}}  {state:<40} queue [{', '.join(queue)}{more}]")
    ready = [f"j{job}:{sim.jobs[job].profile.profile.task_names[task]}"
             for job, task in list(sim.ready)[:max_items]]
    more = " ..." if len(sim.ready) > max_items else ""
    lines.append(f"  ready: {', '.join(ready) or '-'}{more}")
    return "\n".join(lines)


def render_gantt(sim: Simulator, title: str | None = None) -> np.ndarray:
    """The Gantt chart of the executions so far, as an ``(H, W, 3)`` uint8 image.

    Raises:
        RuntimeError: The simulator keeps no trace (build the env with
            ``render_mode="rgb_array"`` or ``keep_trace=True``).
    """
    if sim.trace is None:
        raise RuntimeError("rgb_array rendering needs the task trace: make the environment "
                           "with render_mode='rgb_array' or keep_trace=True")
    from socsim.gantt import gantt_rgb_array  # matplotlib loads only when a chart is drawn

    return gantt_rgb_array(sim.trace, sim.platform, title=title, until=max(sim.now, 1.0),
                           down=sim.down_intervals())

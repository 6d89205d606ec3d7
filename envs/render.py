"""Rendering: a text summary of PEs and queues, and a Gantt chart of the schedule so far."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

from socsim.simulator import Simulator

if TYPE_CHECKING:  # matplotlib loads only when a picture is drawn
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage


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


#: matplotlib backends that draw to a file or an array, never to a screen.
_NO_WINDOW = frozenset({"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"})


def display_backend() -> str | None:
    """The matplotlib backend that can open a window here, or ``None`` (headless, notebook).

    matplotlib picks a non-interactive backend by itself when no display
    exists (``agg`` on a Linux machine without ``DISPLAY``); ``MPLBACKEND``
    chooses one explicitly. Notebook backends are not windows either.
    """
    import matplotlib

    backend = matplotlib.get_backend().lower()
    if backend in _NO_WINDOW or backend.startswith("module://") or backend in (
            "nbagg", "notebook", "webagg"):
        return None
    return backend


class HumanWindow:
    """``render_mode="human"``: a window with the Gantt chart so far, or text where none opens.

    Where matplotlib has a screen backend, the first render opens a figure
    and each later one replaces its picture (the ``rgb_array`` frame) and
    waits ``1 / fps`` seconds, Gymnasium's convention for human rendering.
    Without a display (or if the window cannot open), each render prints
    the text summary instead, and the first says why once on stderr.
    """

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self._figure: Figure | None = None
        self._image: AxesImage | None = None
        self._text_only: bool | None = None

    @property
    def text_only(self) -> bool:
        """Whether renders print text (decided at the first render)."""
        return bool(self._text_only)

    def show(self, sim: Simulator, summary: str) -> None:
        """Show the state of ``sim`` (the window, or ``summary`` on stdout)."""
        if self._text_only is None:
            backend = display_backend()
            self._text_only = backend is None
            if backend is None:
                print("socsim: render_mode='human' found no display (matplotlib backend "
                      "non-interactive); printing a text summary at each step instead. Set "
                      "MPLBACKEND=TkAgg (or another screen backend) where a display exists.",
                      file=sys.stderr)
        if self._text_only:
            print(summary)
            return
        try:
            self._draw(sim, summary)
        except Exception as exc:  # any GUI failure: fall back, once, and say so
            print(f"socsim: render_mode='human' could not open a window ({exc}); printing a "
                  "text summary at each step instead", file=sys.stderr)
            self._text_only = True
            print(summary)

    def _draw(self, sim: Simulator, summary: str) -> None:
        import matplotlib.pyplot as plt

        frame = render_gantt(sim)
        figure, image = self._figure, self._image
        if figure is None or image is None or not plt.fignum_exists(figure.number):
            height, width = frame.shape[:2]
            figure, axes = plt.subplots(figsize=(width / 100, height / 100 + 0.4))
            axes.set_axis_off()
            self._figure, self._image = figure, axes.imshow(frame)
            figure.tight_layout()
        else:
            if image.get_array().shape != frame.shape:  # the chart grew: refit the axes
                image.set_extent((-0.5, frame.shape[1] - 0.5, frame.shape[0] - 0.5, -0.5))
            image.set_data(frame)
        figure.suptitle(summary.splitlines()[0], fontsize=9)
        plt.pause(1.0 / self.fps)

    def close(self) -> None:
        """Close the window, if one is open."""
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)
            self._figure = self._image = None

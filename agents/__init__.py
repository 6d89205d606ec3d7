"""Schedulers beyond the emulator's own two (``socsim.agents``).

Installed under the ``socsim`` namespace because PyPI already has a project
called ``agents``. Heuristics here talk to the emulator through
:class:`socsim.scheduler.SchedulerView`; learned agents see it through
``socsim.envs``.
"""

from . import ds3_rules, runtime, static  # noqa: F401  (importing registers them)
from .learned.hook import register as _register_learned
from .rollout import register as _register_rollout

_register_learned()  # "learned:PATH" schedulers; torch is imported only when one is made
_register_rollout()  # "rollout:BASE" lookahead schedulers

"""Gymnasium and PettingZoo environments over the socsim emulator (``socsim.envs``).

Installed under the ``socsim`` namespace because PyPI already has a project
called ``envs``. Environments depend on :mod:`socsim`; the emulator never
imports this package.
"""

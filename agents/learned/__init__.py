"""Learned schedulers: a Decima-style graph policy, its training and its evaluation.

- :mod:`.encoder`: the graph encoder over the environments' padded observation;
- :mod:`.policy`: order / assign heads, value head, decoding strategies;
- :mod:`.rollout`: episodes with a policy in an environment;
- :mod:`.features`: the real-time ``node_pe_finish`` observation feature;
- :mod:`.train_bc`, :mod:`.train_reinforce`, :mod:`.train_ppo`: training;
- :mod:`.scheduler`: a trained policy as a :class:`socsim.scheduler.Scheduler`
  (``learned:PATH`` in ``socsim compare``);
- :mod:`.checkpoint`: run folders, checkpoints and resuming;
- :mod:`.cli`: ``socsim train`` and ``socsim evaluate``.

Requires torch (the ``rl`` extra).
"""

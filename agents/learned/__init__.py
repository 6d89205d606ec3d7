"""Learned schedulers: the size-agnostic set policy (``learned:default``) and the env agents.

The set policy, which runs on any platform and workload:

- :mod:`.candidates`: a decision as a set of (task, PE) candidates with
  scenario-free features;
- :mod:`.set_policy`: the pooled set network and batched forward passes;
- :mod:`.set_scheduler`: the policy as a scheduler, lock-step batched runs,
  its checkpoints (``learned:default``, ``learned:PATH``);
- :mod:`.task_suite`: the training and evaluation scenario families;
- :mod:`.dagger`, :mod:`.finetune`, :mod:`.recipe`: imitation of
  ``rollout:etf-live`` with DAgger, RL fine-tuning, the one-command recipe;
- :mod:`.suite_eval`: batched evaluation over (case, seed) runs.

The fixed-size agents of the Gymnasium environments (``socsim train``):

- :mod:`.encoder`: the graph encoder over the environments' padded observation;
- :mod:`.policy`: order / assign heads, value head, decoding strategies;
- :mod:`.rollout`: episodes with a policy in an environment;
- :mod:`.features`: the real-time ``node_pe_finish`` observation feature;
- :mod:`.train_bc`, :mod:`.train_reinforce`, :mod:`.train_ppo`: training;
- :mod:`.scheduler`: such a policy as a :class:`socsim.scheduler.Scheduler`
  (``learned:PATH``, ``learned:deepsocs-env``);
- :mod:`.checkpoint`: run folders, checkpoints and resuming;
- :mod:`.cli`: ``socsim train`` and ``socsim evaluate``.

Requires torch (the ``rl`` extra).
"""

"""Registration of the environments with Gymnasium (run by ``import socsim``).

Gymnasium 1.0 dropped entry-point plugins, so importing :mod:`socsim` (or
``gym.make("socsim:socsim/DeepSoCS-v0")``) is what makes the ids known.
Entry points are strings: nothing heavier than Gymnasium is imported until
an environment is made.
"""

from __future__ import annotations

import gymnasium

#: Registered ids and their entry points; defaults are in each class.
ENV_IDS: dict[str, str] = {
    # The Topcuoglu 10-task example on canonical3, one job at t = 0; makespan reward.
    "socsim/DAGSchedule-v0": "socsim.envs.dag_schedule:DAGScheduleEnv",
    # mobile_soc + edge_ai mix, Poisson every 8 ms, at most 12 jobs, 1 s; latency reward.
    "socsim/SoCStream-v0": "socsim.envs.soc_stream:SoCStreamEnv",
    # The DeepSoCS / DS3Gym protocol preset, order mode; latency reward.
    "socsim/DeepSoCS-v0": "socsim.envs.deepsocs:DeepSoCSEnv",
    # A fresh DAGGEN-style random DAG (5-20 tasks) on canonical3 at every reset; makespan.
    "socsim/RandomDAG-v0": "socsim.envs.random_dag:RandomDAGEnv",
}


#: Native vector environments (:mod:`socsim.envs.vector`): what ``gym.make_vec(id, num_envs=N)``
#: builds unless ``vectorization_mode="sync"`` or ``"async"`` is asked for.
VECTOR_ENTRY_POINTS: dict[str, str] = {
    "socsim/DAGSchedule-v0": "socsim.envs.vector:DAGScheduleVectorEnv",
    "socsim/SoCStream-v0": "socsim.envs.vector:SoCStreamVectorEnv",
    "socsim/DeepSoCS-v0": "socsim.envs.vector:DeepSoCSVectorEnv",
    "socsim/RandomDAG-v0": "socsim.envs.vector:RandomDAGVectorEnv",
}


def register_envs() -> None:
    """Register every id of :data:`ENV_IDS` that is not registered yet (idempotent)."""
    for env_id, entry_point in ENV_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point,
                               vector_entry_point=VECTOR_ENTRY_POINTS[env_id])

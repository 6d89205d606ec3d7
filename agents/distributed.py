"""Ray backend: the only module of socsim that imports Ray (``pip install socsim[ray]``).

Two execution objects, each a drop-in for a local process pool:

- :class:`RayExecutor` maps a function over inputs as Ray *tasks* (the
  ``compare`` and ``sweep`` grids). Results come back in input order; a task
  whose worker process dies is retried by Ray (``max_retries``), and only
  the attempt that finished returns a value, so no result is lost or
  counted twice. Exceptions raised by the function itself are not retried:
  the runs are deterministic, so a second attempt would fail the same way.
- :class:`RayActorPool` keeps ``N`` Ray *actors* that each apply one
  function (the REINFORCE rollout workers; the learner stays in the
  calling process). An actor that dies is restarted and its pending calls
  are retried (``max_restarts``, ``max_task_retries``).

Both are safe to retry because every input carries its own seeds: a result
depends on its input alone, never on which worker ran it or how often.

:func:`ray_session` connects to a cluster (``address``) or starts a private
local Ray instance, and shuts it down afterwards if it started it. A local
instance listens on 127.0.0.1 only and, with Ray >= 2.52, requires Ray's
authentication token (``RAY_AUTH_MODE=token``), since whoever can reach a
Ray instance can run code in it. Ray is imported lazily, so the rest of the
package works without it.
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

#: What to do when Ray is missing.
INSTALL_HINT = "the Ray backend needs Ray: pip install 'socsim[ray]' (or pip install 'ray>=2.9')"

#: Retries of a task whose worker process died (system failures only).
TASK_RETRIES = 3

#: Restarts of a rollout actor whose process died, and retries of its calls.
ACTOR_RESTARTS = 3


#: Where a local Ray instance started here listens: this machine only.
LOOPBACK = "127.0.0.1"

#: First Ray version with token authentication (``RAY_AUTH_MODE=token``).
RAY_AUTH_VERSION = (2, 52)

#: Ray's switch between "this machine only" (node address 127.0.0.1) and
#: "a node of a cluster" (its network address). Despite its name it applies on
#: every platform: Ray reads it to choose the address its processes bind.
_CLUSTER_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


class RayUnavailableError(ImportError):
    """Ray is not installed; the message says how to install it."""


class RayConnectionError(ConnectionError, ValueError):
    """Ray could not be reached or started; the message says what to change."""


def import_ray() -> ModuleType:
    """Import Ray, or fail with the install command.

    Raises:
        RayUnavailableError: Ray is not installed.
    """
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailableError(INSTALL_HINT) from exc
    return ray


def ray_version(ray: ModuleType) -> tuple[int, ...]:
    """The installed Ray's ``(major, minor)``."""
    parts = []
    for part in str(getattr(ray, "__version__", "0.0")).split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@contextmanager
def _environment(changes: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block, restoring the old values afterwards."""
    old = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _this_machine_only(ray: ModuleType) -> Iterator[None]:
    """Make Ray resolve ``127.0.0.1`` to itself rather than to the network address.

    ``ray.init(_node_ip_address="127.0.0.1")`` alone is not enough on Linux:
    Ray replaces a loopback address by the machine's network address unless
    its cluster switch is off, and the switch is read when Ray is imported.
    """
    constants = getattr(getattr(ray, "_private", None), "ray_constants", None)
    had = hasattr(constants, "ENABLE_RAY_CLUSTER")
    old = getattr(constants, "ENABLE_RAY_CLUSTER", None)
    if had:
        constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if had:
            constants.ENABLE_RAY_CLUSTER = old


def _require_token(ray: ModuleType) -> None:
    """Turn on Ray's token authentication for this process and the instance it starts.

    As ``ray.init`` itself does where token authentication is Ray's default:
    ``RAY_AUTH_MODE=token`` in the environment (left set, like Ray leaves
    it), and Ray's cached configuration re-read so the driver sends the
    token too. ``ray.init`` then creates ``~/.ray/auth_token`` if missing.
    An explicit ``RAY_AUTH_MODE`` (e.g. ``disabled``) is the user's choice.
    """
    if "RAY_AUTH_MODE" in os.environ:
        return
    os.environ["RAY_AUTH_MODE"] = "token"
    config = getattr(getattr(ray, "_raylet", None), "Config", None)
    if config is not None and hasattr(config, "initialize"):
        config.initialize("")


def _start_local(ray: ModuleType) -> dict[str, str]:
    """Start a private Ray instance on loopback, with token authentication when Ray has it.

    Returns:
        The environment variables to keep set while the instance runs.
    """
    env = {_CLUSTER_SWITCH: "0"}
    if ray_version(ray) >= RAY_AUTH_VERSION:
        _require_token(ray)
    else:
        warnings.warn(f"Ray {ray.__version__} has no authentication (Ray 2.52 added it): the "
                      f"local Ray instance listens on {LOOPBACK} only, but any user of this "
                      "machine can run code in it; pip install -U 'ray>=2.52'", stacklevel=3)
    with _environment(env), _this_machine_only(ray):
        ray.init(address="local", include_dashboard=False, log_to_driver=False,
                 _node_ip_address=LOOPBACK)
    node = ray.util.get_node_ip_address()
    if node != LOOPBACK:
        warnings.warn(f"Ray {ray.__version__} started its local instance on {node}, not "
                      f"{LOOPBACK}: it may be reachable from other machines", stacklevel=3)
    return env


def _first_sentence(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.split(". ")[0].rstrip(".")[:300]


@contextmanager
def ray_session(address: str | None = None) -> Iterator[ModuleType]:
    """Use the Ray instance already initialised here, or connect/start one for the block.

    Args:
        address: ``None``: the cluster in ``RAY_ADDRESS`` if set, else a new
            private local instance; ``"local"``: always a new local instance;
            ``"auto"``: the cluster started on this machine with ``ray
            start``; ``"HOST:6379"``: a cluster's head node;
            ``"ray://HOST:10001"``: through Ray Client. A local instance
            listens on 127.0.0.1 only and requires Ray's token (Ray >= 2.52,
            unless ``RAY_AUTH_MODE`` says otherwise).

    Yields:
        The ``ray`` module, initialised. A session started here is shut down
        when the block ends; one initialised by the caller is left running.

    Raises:
        RayUnavailableError: Ray is not installed.
        RayConnectionError: The cluster cannot be reached, or a local
            instance cannot start; one line saying what to change.
    """
    ray = import_ray()
    started = not ray.is_initialized()
    env: dict[str, str] = {}
    if started:
        target = address if address is not None else os.environ.get("RAY_ADDRESS") or "local"
        origin = " (from RAY_ADDRESS)" if address is None and target != "local" else ""
        try:
            if target == "local":
                env = _start_local(ray)
            else:
                ray.init(address=target, include_dashboard=False, log_to_driver=False)
        except Exception as exc:  # whatever Ray raises, the answer is one line
            if ray.is_initialized():
                ray.shutdown()
            if target == "local":
                raise RayConnectionError(
                    f"could not start a local Ray instance: {_first_sentence(exc)}. Fix: "
                    "check that this machine can run Ray ('ray start --head' says why not), "
                    "or use --backend local") from None
            raise RayConnectionError(
                f"Ray address {target!r}{origin}: could not connect: {_first_sentence(exc)}. "
                "Fix: start a cluster here with 'ray start --head' (for --address auto), give "
                "the head node as --address HOST:6379 or ray://HOST:10001, or leave --address "
                "out (and RAY_ADDRESS unset) for a private local instance") from None
    try:
        with _environment(env):
            yield ray
    finally:
        if started:
            ray.shutdown()


def _apply_chunk(fn: Callable[..., Any], chunk: list[tuple[Any, ...]]) -> list[Any]:
    """Apply ``fn`` to each argument tuple of a chunk (runs in a Ray task)."""
    return [fn(*args) for args in chunk]


class RayExecutor:
    """An ordered ``map`` over Ray tasks, for :func:`socsim.agents.compare.compare`.

    Args:
        workers: At most this many tasks in flight at once (``None``: as many
            as the cluster's CPUs allow).
        chunksize: Inputs per task (more amortises Ray's per-task cost;
            ``None``: about four tasks per worker slot).
        max_retries: Retries of a task whose worker process died.

    Ray must be initialised (see :func:`ray_session`) before :meth:`map`.
    """

    def __init__(self, workers: int | None = None, chunksize: int | None = None,
                 max_retries: int = TASK_RETRIES) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if chunksize is not None and chunksize < 1:
            raise ValueError(f"chunksize must be >= 1, got {chunksize}")
        self.ray = import_ray()
        self.workers = workers
        self.chunksize = chunksize
        self.remote = self.ray.remote(num_cpus=1, max_retries=max_retries,
                                      retry_exceptions=False)(_apply_chunk)

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        """Apply ``fn`` to the zipped iterables in Ray tasks; results in input order.

        Raises:
            ray.exceptions.RayTaskError: ``fn`` raised (the original error is its cause).
        """
        args = list(zip(*iterables, strict=True))
        size = self.chunksize or max(1, len(args) // (4 * self.slots()))
        chunks = [args[i:i + size] for i in range(0, len(args), size)]
        fn_ref = self.ray.put(fn)
        limit = self.workers or len(chunks)
        pending = iter(chunks)
        refs = [self.remote.remote(fn_ref, chunk) for chunk in itertools.islice(pending, limit)]
        results: list[Any] = []
        for k in range(len(chunks)):  # collect in order, topping the window up as we go
            results.extend(self.ray.get(refs[k]))
            refs[k] = None  # let the object store free it
            refs.extend(self.remote.remote(fn_ref, chunk)
                        for chunk in itertools.islice(pending, 1))
        return iter(results)

    def slots(self) -> int:
        """Tasks that can run at once: ``workers``, else the cluster's CPUs."""
        return self.workers or max(1, int(self.ray.cluster_resources().get("CPU", 1)))


class _Worker:
    """A Ray actor applying one function (wrapped by :func:`ray.remote` on use)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def call(self, job: Any) -> Any:
        """``fn(job)``."""
        return self.fn(job)


class RayActorPool:
    """``workers`` Ray actors applying ``fn``: ``map(jobs)`` and ``close()``.

    Job ``k`` goes to actor ``k % workers``; results come back in job order.
    An actor whose process dies is restarted (its constructor reruns) and
    the calls it had not finished are retried on it.

    Args:
        fn: A module-level function of one job (pickled by reference).
        workers: Number of actors (one CPU each).
        max_restarts: Restarts allowed per actor.
    """

    def __init__(self, fn: Callable[[Any], Any], workers: int,
                 max_restarts: int = ACTOR_RESTARTS) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.ray = import_ray()
        actor = self.ray.remote(num_cpus=1, max_restarts=max_restarts,
                                max_task_retries=max_restarts)(_Worker)
        self.actors = [actor.remote(fn) for _ in range(workers)]

    def map(self, jobs: Sequence[Any]) -> list[Any]:
        """``fn(job)`` for each job, spread over the actors; results in job order."""
        refs = [self.actors[k % len(self.actors)].call.remote(job)
                for k, job in enumerate(jobs)]
        return self.ray.get(refs)

    def close(self) -> None:
        """Stop the actors."""
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors = []


@contextmanager
def ray_executor(address: str | None = None, workers: int | None = None,
                 chunksize: int | None = None) -> Iterator[RayExecutor]:
    """A :class:`RayExecutor` inside a :func:`ray_session`."""
    with ray_session(address):
        yield RayExecutor(workers, chunksize)

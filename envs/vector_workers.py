"""Worker processes for the native vector environment: each runs a batch in lock step.

With ``workers=K`` (K > 1) :class:`~socsim.envs.vector.SchedulingVectorEnv`
splits its ``num_envs`` sub-environments into K contiguous slices and runs
each slice in its own process, as an in-process vector environment of its
own. Every observation array, and the action masks, live in shared memory
(:mod:`multiprocessing.shared_memory`): a worker's sub-environments write
their rows there in place, so a step sends only the actions out and the
rewards, ends and the few end-of-episode infos back, one message per worker.
The result is the same, bit for bit, as the in-process environment given the
same seeds and actions (tested); what changes is that K slices step at once
on a machine with K free cores.

An exception in a worker is raised again in the calling process, with the
worker's traceback attached as a note.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np


class _SharedArrays:
    """Named ``(num_envs, ...)`` arrays over shared-memory blocks (one block per array)."""

    def __init__(self, layout: dict[str, tuple[tuple[int, ...], str]],
                 names: dict[str, str] | None = None) -> None:
        self.layout = layout
        self.blocks: dict[str, SharedMemory] = {}
        self.arrays: dict[str, np.ndarray] = {}
        for key, (shape, dtype) in layout.items():
            size = max(1, int(np.prod(shape)) * np.dtype(dtype).itemsize)
            block = (SharedMemory(create=True, size=size) if names is None
                     else SharedMemory(name=names[key]))
            self.blocks[key] = block
            self.arrays[key] = np.ndarray(shape, dtype, buffer=block.buf)
        if names is None:
            for array in self.arrays.values():
                array.fill(0)

    @property
    def names(self) -> dict[str, str]:
        """The blocks' names, for a worker to attach to."""
        return {key: block.name for key, block in self.blocks.items()}

    def release(self, unlink: bool) -> None:
        """Drop the arrays and close the blocks (``unlink``: also free them; the owner does)."""
        self.arrays.clear()
        for block in self.blocks.values():
            with contextlib.suppress(BufferError, FileNotFoundError):
                block.close()
            if unlink:
                with contextlib.suppress(FileNotFoundError):
                    block.unlink()
        self.blocks.clear()


def _work(pipe: Connection, env_class: type, start: int, stop: int,
          layout: dict[str, tuple[tuple[int, ...], str]], names: dict[str, str],
          options: dict[str, Any]) -> None:
    """A worker: build sub-environments ``start..stop-1`` over the shared rows, serve commands."""
    from .vector import SchedulingVectorEnv

    shared = None
    try:
        shared = _SharedArrays(layout, names)
        rows = {key: array[start:stop] for key, array in shared.arrays.items()}
        batch = SchedulingVectorEnv(env_class, stop - start, copy=False, buffers=rows,
                                    **options)
        pipe.send(("ready", None))
        while True:
            command, args = pipe.recv()
            if command == "close":
                batch.close()
                pipe.send(("done", None))
                return
            if command == "reset":
                seeds, reset_options = args
                _, infos = batch.reset(seed=seeds, options=reset_options)
                pipe.send(("ok", _strip(infos)))
            elif command == "step":
                _, rewards, terminations, truncations, infos = batch.step(args)
                pipe.send(("ok", (rewards, terminations, truncations, _strip(infos))))
            elif command == "call":
                name, call_args, call_kwargs = args
                pipe.send(("ok", batch.call(name, *call_args, **call_kwargs)))
            elif command == "get_attr":
                pipe.send(("ok", batch.get_attr(args)))
            elif command == "set_attr":
                name, values = args
                batch.set_attr(name, values)
                pipe.send(("ok", None))
            else:
                raise ValueError(f"unknown worker command {command!r}")
    except (KeyboardInterrupt, EOFError):
        return
    except BaseException as exc:  # everything goes back to the caller
        with contextlib.suppress(Exception):
            pipe.send(("error", (exc, traceback.format_exc())))
    finally:
        if shared is not None:
            shared.release(unlink=False)


def _strip(infos: dict[str, Any]) -> dict[str, Any]:
    """A worker's infos without what the shared arrays already hold (the action masks)."""
    return {key: value for key, value in infos.items()
            if key not in ("action_mask", "_action_mask")}


def merge_infos(parts: Sequence[tuple[int, int, dict[str, Any]]], num_envs: int
                ) -> dict[str, Any]:
    """Gymnasium-style batched infos of disjoint slices, merged into one batch of ``num_envs``.

    Args:
        parts: ``(start, stop, infos)`` per slice; ``infos`` is batched over
            the slice (each key an array of ``stop - start`` rows with its
            ``_key`` mask; nested dicts alike).
        num_envs: The size of the whole batch.

    Returns:
        What the in-process vector environment gives for the whole batch: a
        row outside a slice that had a key holds the fresh array's fill (0 or
        ``None``) and ``False`` in the key's mask.
    """
    merged: dict[str, Any] = {}
    for start, stop, infos in parts:
        _merge_into(merged, infos, start, stop, num_envs)
    return merged


def _merge_into(merged: dict[str, Any], infos: dict[str, Any], start: int, stop: int,
                num_envs: int) -> None:
    for key, value in infos.items():
        if key.startswith("_") and key[1:] in infos:
            continue  # a mask: written with its key
        if isinstance(value, dict):
            _merge_into(merged.setdefault(key, {}), value, start, stop, num_envs)
        else:
            target = merged.get(key)
            if target is None:
                target = (np.full(num_envs, None, dtype=object) if value.dtype == object
                          else np.zeros((num_envs, *value.shape[1:]), value.dtype))
                merged[key] = target
            target[start:stop] = value
        mask = merged.get(f"_{key}")
        if mask is None:
            mask = merged[f"_{key}"] = np.zeros(num_envs, np.bool_)
        mask[start:stop] = infos.get(f"_{key}", True)


class WorkerPool:
    """The worker processes of a vector environment and the shared arrays they write.

    Args:
        env_class: The sub-environments' class.
        num_envs: Sub-environments in all.
        workers: Processes (each runs a contiguous slice, sizes differing by at most one).
        layout: Per observation key (``action_mask`` included), the batch's
            shape and dtype.
        options: The in-process vector environment's keyword arguments
            (``autoreset_mode``, ``max_episode_steps``, ``baseline`` and the
            sub-environments' own), passed to every worker.
        context: A :mod:`multiprocessing` start method (``None``: the platform's default).

    Attributes:
        arrays: The shared ``(num_envs, ...)`` arrays, by observation key.
        slices: ``(start, stop)`` of each worker.
    """

    def __init__(self, env_class: type, num_envs: int, workers: int,
                 layout: dict[str, tuple[tuple[int, ...], str]], options: dict[str, Any],
                 context: str | None = None) -> None:
        self.num_envs = num_envs
        self._shared = _SharedArrays(layout)
        self.arrays = self._shared.arrays
        bounds = np.linspace(0, num_envs, workers + 1).round().astype(int).tolist()
        self.slices = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]
        ctx = mp.get_context(context)
        self._pipes: list[Connection] = []
        self._processes: list[Any] = []
        self._closed = False
        try:
            for start, stop in self.slices:
                ours, theirs = ctx.Pipe()
                process = ctx.Process(
                    target=_work, name=f"socsim-vector-{start}-{stop}", daemon=True,
                    args=(theirs, env_class, start, stop, layout, self._shared.names, options))
                process.start()
                theirs.close()
                self._pipes.append(ours)
                self._processes.append(process)
            self._gather()  # every worker built its environments (or raises their error)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------- commands
    def reset(self, seeds: Sequence[int | None], options: dict[str, Any] | None,
              reset_mask: np.ndarray | None) -> dict[str, Any]:
        """Reset the sub-environments (all, or those in ``reset_mask``); the merged infos."""
        asked = []
        for pipe, (start, stop) in zip(self._pipes, self.slices, strict=True):
            part_options = dict(options or {})
            if reset_mask is not None:
                rows = reset_mask[start:stop]
                if not rows.any():
                    continue
                part_options["reset_mask"] = rows.copy()
            pipe.send(("reset", (list(seeds[start:stop]), part_options or None)))
            asked.append((pipe, start, stop))
        replies = self._gather([pipe for pipe, _, _ in asked])
        return merge_infos([(start, stop, infos) for (_, start, stop), infos
                            in zip(asked, replies, strict=True)], self.num_envs)

    def step(self, actions: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                    dict[str, Any]]:
        """Step every worker's slice; rewards, terminations, truncations and merged infos."""
        for pipe, (start, stop) in zip(self._pipes, self.slices, strict=True):
            pipe.send(("step", actions[start:stop]))
        replies = self._gather()
        rewards = np.concatenate([r[0] for r in replies])
        terminations = np.concatenate([r[1] for r in replies])
        truncations = np.concatenate([r[2] for r in replies])
        infos = merge_infos([(a, b, r[3]) for (a, b), r in zip(self.slices, replies,
                                                               strict=True)], self.num_envs)
        return rewards, terminations, truncations, infos

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """``call`` on every worker's slice, results in sub-environment order."""
        for pipe in self._pipes:
            pipe.send(("call", (name, args, kwargs)))
        return tuple(value for part in self._gather() for value in part)

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """Attribute ``name`` of every sub-environment, in order."""
        for pipe in self._pipes:
            pipe.send(("get_attr", name))
        return tuple(value for part in self._gather() for value in part)

    def set_attr(self, name: str, values: Sequence[Any]) -> None:
        """Set ``name`` on every sub-environment, one value each."""
        for pipe, (start, stop) in zip(self._pipes, self.slices, strict=True):
            pipe.send(("set_attr", (name, list(values[start:stop]))))
        self._gather()

    def close(self) -> None:
        """Stop the workers and free the shared memory (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        for pipe in self._pipes:
            with contextlib.suppress(OSError, ValueError):
                pipe.send(("close", None))
        for pipe, process in zip(self._pipes, self._processes, strict=False):
            with contextlib.suppress(OSError, EOFError, ValueError):
                if pipe.poll(5.0):
                    pipe.recv()
            process.join(5.0)
            if process.is_alive():
                process.terminate()
                process.join(1.0)
            pipe.close()
        self._shared.release(unlink=True)

    # ------------------------------------------------------------ internals
    def _gather(self, pipes: Sequence[Connection] | None = None) -> list[Any]:
        """Every asked worker's reply; a worker's exception is raised here."""
        replies, error = [], None
        for index, pipe in enumerate(self._pipes if pipes is None else pipes):
            try:
                status, payload = pipe.recv()
            except EOFError:
                status, payload = "error", (RuntimeError(
                    f"socsim vector worker {index} exited unexpectedly"), "")
            if status == "error" and error is None:
                error = payload
            replies.append(payload)
        if error is not None:
            exc, trace = error
            if trace:
                exc.add_note(f"raised in a socsim vector worker process:\n{trace}")
            raise exc
        return replies

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

"""Hyperparameter files for ``socsim train --hyperparams FILE.yaml``, and run-folder names.

A hyperparameter file is a YAML (or JSON) mapping whose keys are the long
names of ``socsim train``'s flags, with ``_`` or ``-`` (``eval_freq`` or
``eval-freq``), for example::

    algo: ppo
    env: socsim/DAGSchedule-v0
    env_kwargs: {noise: 0.5}
    steps: 20000
    lr: 0.0003
    eval_freq: 2048

It is read with :func:`socsim.documents.read_document` (safe YAML, bounded
size and depth, no repeated key) and every value is checked against its
flag's type and choices; a bad file ends with one line naming the file,
the field and the fix. Flags given on the command line override the
file's values. Every run folder gets ``hyperparams.yaml``: the run's
effective values of these keys, which ``--hyperparams`` reads back.

Not hyperparameters, hence refused in a file: ``out`` (where the run
goes), ``hyperparams`` itself, and how the run is carried out
(``quiet``, ``backend``, ``address``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from socsim.documents import read_document
from socsim.fields import Fields, brief

#: Train flags (their ``dest``) that a hyperparameter file may not set.
NOT_HYPERPARAMS = frozenset({"out", "hyperparams", "quiet", "backend", "address", "handler",
                             "command",
                             "version", "help"})
#: File written into every run folder.
HYPERPARAMS_FILE = "hyperparams.yaml"
#: Where run folders go when ``--out`` is not given.
RUNS_ROOT = Path("runs")
#: Namespace attribute that records which flags were given on the command line.
GIVEN = "_given_flags"
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]+")


class RecordGiven(argparse.Action):
    """Mixin for argparse actions: records the ``dest`` of each flag actually given.

    Lets ``--hyperparams`` tell a flag given on the command line (which wins)
    from one left at its default (which the file may set), even when the
    value given equals the default.
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        """Record ``self.dest``, then act as the wrapped action."""
        given = getattr(namespace, GIVEN, None)
        if given is None:
            given = set()
            setattr(namespace, GIVEN, given)
        given.add(self.dest)
        super().__call__(parser, namespace, values, option_string)  # type: ignore[misc]


def record_given(parser: argparse.ArgumentParser) -> None:
    """Make every optional flag of ``parser`` record itself in the namespace when given."""
    for action in parser._actions:
        if not action.option_strings or isinstance(action, RecordGiven) or \
                action.dest in ("help", "version"):
            continue
        cls = type(action)
        action.__class__ = type(f"Given{cls.__name__}", (RecordGiven, cls), {})


def hyperparam_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The flags a hyperparameter file may set, by ``dest``."""
    return {a.dest: a for a in parser._actions
            if a.option_strings and a.dest not in NOT_HYPERPARAMS}


def _value(fields: Fields, action: argparse.Action, key: str, value: Any) -> Any:
    """``value`` checked against ``action``'s type and choices (``None``: the flag's default)."""
    if value is None:
        if action.default is not None:
            raise fields.error(key, "is empty", f"give a value, or remove '{key}' to keep the "
                               f"default {action.default!r}")
        return None
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise fields.error(key, f"expected true or false, found {brief(value)}",
                               "write true or false")
        return value
    if action.dest == "env_kwargs":
        if isinstance(value, Mapping):
            return dict(value)
        if isinstance(value, str):
            return value  # JSON text, checked as the flag is
        raise fields.error(key, f"expected a mapping, found {brief(value)}",
                           "write the environment keywords as 'key: value' pairs")
    if action.dest == "noises":
        if isinstance(value, list):
            return ",".join(str(fields.number(v, f"{key}[{i}]")) for i, v in enumerate(value))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(fields.number(value, key))
        if isinstance(value, str):
            for part in (p for p in value.split(",") if p.strip()):
                try:
                    float(part)
                except ValueError:
                    raise fields.error(key, f"holds {brief(part)}, not a number",
                                       "give noise levels as a list, e.g. [0, 0.5], or "
                                       "'0,0.5'") from None
            return value
    if action.type is int:
        value = fields.integer(value, key)
    elif action.type is float:
        value = fields.number(value, key)
    else:
        value = fields.text(value, key)
    if action.choices is not None and value not in action.choices:
        raise fields.error(key, f"is {brief(value)}, not one of {list(action.choices)}",
                           f"use one of {', '.join(map(str, action.choices))}")
    return value


def read_hyperparams(path: str | Path, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The hyperparameters in ``path``, by flag ``dest``, each checked like its flag.

    Args:
        path: A YAML or JSON file holding one mapping.
        parser: The ``socsim train`` parser (which flags exist, their types and choices).

    Returns:
        The values found, keyed by ``dest`` (``eval_freq``).

    Raises:
        ConfigError: The file cannot be read or parsed, is not a mapping,
            names an unknown flag (or one that is not a hyperparameter, or
            one twice as ``a_b`` and ``a-b``), or has a value of the wrong
            type or outside the flag's choices.
    """
    fields = Fields(str(path))
    doc = fields.mapping(read_document(path), "(top level)")
    actions = hyperparam_actions(parser)
    out: dict[str, Any] = {}
    for raw, value in doc.items():
        key = str(raw)
        dest = key.replace("-", "_")
        if dest not in actions:
            hint = ("it is set on the command line only" if dest in NOT_HYPERPARAMS
                    else f"use one of {', '.join(sorted(actions))}")
            raise fields.error(key, "is not a hyperparameter of socsim train",
                               f"remove it ({hint})")
        if dest in out:
            raise fields.error(key, f"is given twice (as {dest!r} too)", "keep one of them")
        out[dest] = _value(fields, actions[dest], key, value)
    return out


def apply_hyperparams(args: argparse.Namespace, values: Mapping[str, Any]) -> list[str]:
    """Set ``values`` on ``args``, except flags given on the command line (those win).

    Returns:
        The keys of ``values`` that the command line overrode.
    """
    given = getattr(args, GIVEN, None) or set()
    overridden = []
    for dest, value in values.items():
        if dest in given:
            overridden.append(dest)
        else:
            setattr(args, dest, value)
    return overridden


def effective_hyperparams(args: Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters of a run's saved arguments (what ``hyperparams.yaml`` holds)."""
    return {k: v for k, v in args.items()
            if k not in NOT_HYPERPARAMS and not k.startswith("_")}


def write_hyperparams(run_dir: Path, args: Mapping[str, Any]) -> Path:
    """Write the run's effective hyperparameters to ``run_dir/hyperparams.yaml``."""
    values = effective_hyperparams(args)
    source = args.get("hyperparams")
    head = ("# socsim train hyperparameters of this run (flags given on the command line "
            "included);\n# train again with: socsim train --hyperparams THIS_FILE --out NEW\n")
    if source:
        head += f"# read from {source}\n"
    path = run_dir / HYPERPARAMS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(head + yaml.safe_dump(values, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path


def run_name(env_id: str, algo: str) -> str:
    """``<env>_<algo>``: the environment id without its namespace, in plain characters."""
    env = _UNSAFE.sub("_", env_id.rsplit("/", 1)[-1]).strip("._-") or "env"
    return f"{env}_{algo}"


def next_run_dir(env_id: str, algo: str, root: Path = RUNS_ROOT) -> Path:
    """``root/<env>_<algo>_<n>``, ``n`` one more than the highest such folder in ``root``.

    Example: ``runs/DeepSoCS-v0_ppo_1`` for ``socsim/DeepSoCS-v0`` and ``ppo``
    in an empty ``runs``.
    """
    stem = run_name(env_id, algo)
    pattern = re.compile(re.escape(stem) + r"_(\d+)")
    taken = [int(m.group(1)) for p in (root.iterdir() if root.is_dir() else ())
             if (m := pattern.fullmatch(p.name))]
    return root / f"{stem}_{max(taken, default=0) + 1}"

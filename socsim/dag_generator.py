"""Random task DAGs in the style of Suter's DAGGEN, with Topcuoglu's heterogeneous costs.

Scheduling studies compare heuristics on many random graphs whose shape is
set by a few knobs; this module makes such graphs as :class:`JobProfile`
objects, so that every part of socsim (simulator, schedulers, environments,
command line) can use them like a built-in workload.

Shape (DAGGEN, F. Suter, github.com/frs69wq/daggen): the tasks are split into
levels whose ideal width is ``n ** fat``; each level's width is drawn
uniformly within ``+-(1 - regularity)`` of that ideal (at least one task, the
last level takes what is left, so there are exactly ``n`` tasks). Each task
below the first level gets ``1 + floor(U[0, density x w))`` parents (at most
``w``), where ``w`` is the width of the level above; each parent comes from a
level between 1 and ``jump`` levels up (the first level when that runs past
the top), without repeats. Edges only go down, so the graph is acyclic.

Costs (Topcuoglu, Hariri and Wu, IEEE TPDS 13(3), 2002): task ``i`` gets a
mean cost ``w_i ~ U[0, 2 x cost]``, and on PE type ``j`` the cost
``w_ij ~ U[w_i (1 - beta/2), w_i (1 + beta/2)]``; ``beta`` is the
heterogeneity.

Communication: edge volumes are drawn ``U[0, 2]`` and then scaled so that
the graph's communication-to-computation ratio is exactly ``ccr`` (up to the
0.01 rounding of the stored figures), with CCR defined by
:func:`communication_to_computation_ratio`: the mean over edges of
``volume / bandwidth`` divided by the mean over tasks of the task's mean cost
over PE types. ``bandwidth`` is the mean bandwidth of the platform the graph
is meant for (1 on ``canonical3``).

A graph is also reachable by a *spec* string wherever socsim takes a
workload name (``catalog.get_workload``, ``socsim simulate --workload``, mix
files; a trace file's ``profile`` column must use the canonical form that
:attr:`DagSpec.spec` gives and the profile is named by)::

    daggen/n=50/fat=0.5/density=0.3/regularity=0.5/jump=2/ccr=1/beta=0.5/seed=3/types=P1+P2+P3

``daggen`` alone uses every default. The separator is ``/`` (not ``,`` or
``:``, which separate weights in ``--workload a:2,b:1`` lists and fields in
CSV traces); ``types`` joins PE type names with ``+``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from socsim.errors import ConfigError
from socsim.fields import brief
from socsim.workload import JobProfile

#: First word of a spec string.
SPEC_PREFIX = "daggen"
#: Separator between the prefix and the ``key=value`` parameters of a spec.
SPEC_SEPARATOR = "/"
#: Separator between PE type names in a spec's ``types`` value.
TYPE_SEPARATOR = "+"
#: PE types of a spec without ``types``: those of the ``canonical3`` platform.
DEFAULT_TYPES = ("P1", "P2", "P3")
#: Stored costs and volumes are rounded to this many decimals (0.01 us).
DECIMALS = 2
#: A spec that shows every parameter, for help texts and error messages.
EXAMPLE_SPEC = ("daggen/n=50/fat=0.5/density=0.3/regularity=0.5/jump=2/ccr=1/beta=0.5/"
                "seed=3/types=P1+P2+P3")

_SOURCE = "DagParams"


@dataclass(frozen=True)
class _Rule:
    """The allowed values of one parameter, for validation and messages."""

    integer: bool
    low: float
    high: float = math.inf
    low_open: bool = False
    cap: float = math.inf

    def allows(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= min(self.high, self.cap)

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        if self.high < math.inf:
            return f"{kind} in [{self.low:g}, {self.high:g}]"
        text = f"{kind} {'>' if self.low_open else '>='} {self.low:g}"
        return text if self.cap == math.inf else f"{text}, at most {self.cap:g}"


#: Upper bounds keep generation quick (``n``: 10,000 tasks take about two
#: seconds) and every cost and volume finite: volumes are about
#: ``ccr x cost x bandwidth``, at most 1e15 with these bounds.
_RULES: dict[str, _Rule] = {
    "n": _Rule(integer=True, low=1, cap=10_000),
    "fat": _Rule(integer=False, low=0, high=1),
    "density": _Rule(integer=False, low=0, high=1),
    "regularity": _Rule(integer=False, low=0, high=1),
    "jump": _Rule(integer=True, low=1, cap=10_000),
    "ccr": _Rule(integer=False, low=0, cap=1e3),
    "beta": _Rule(integer=False, low=0, high=2),
    "cost": _Rule(integer=False, low=0, low_open=True, cap=1e6),
    "bandwidth": _Rule(integer=False, low=0, low_open=True, cap=1e6),
}

_MEANINGS = {
    "n": "number of tasks",
    "fat": "width: a level holds about n ** fat tasks (0: a chain, 1: one level)",
    "density": "edges: each task has 1 + U[0, density x width above) parents",
    "regularity": "how evenly the tasks spread over levels (1: all levels equally wide)",
    "jump": "an edge spans at most this many levels",
    "ccr": "mean communication time / mean computation time",
    "beta": "heterogeneity: per-type costs spread +-beta/2 around the task's mean",
    "cost": "mean computation cost of a task, us",
    "bandwidth": "mean bandwidth of the target platform, for the CCR",
    "seed": "seed of the random draws (an integer >= 0)",
    "types": "PE type names the costs are keyed by, joined by '+'",
}


@dataclass(frozen=True)
class DagParams:
    """Shape and cost parameters of a random DAG (see the module docstring).

    Attributes:
        n: Number of tasks (exact).
        fat: Width exponent: a level holds about ``n ** fat`` tasks.
        density: Fraction of the level above a task draws its parents from.
        regularity: 1 makes every level the ideal width; 0 lets a width
            vary from 0 to twice the ideal.
        jump: Edges span at most this many levels (1: adjacent levels only).
        ccr: Communication-to-computation ratio of the result.
        beta: Heterogeneity of costs across PE types, in [0, 2].
        cost: Mean computation cost of a task (us).
        bandwidth: Mean bandwidth of the platform the graph is meant for, so
            that ``volume / bandwidth`` is the communication time.

    Raises:
        ConfigError: A value of the wrong type or out of range; the message
            names the parameter and its allowed range.
    """

    n: int = 100
    fat: float = 0.5
    density: float = 0.5
    regularity: float = 0.9
    jump: int = 1
    ccr: float = 1.0
    beta: float = 0.5
    cost: float = 20.0
    bandwidth: float = 1.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = check_value(item.name, getattr(self, item.name), _SOURCE)
            object.__setattr__(self, item.name, value)


def check_value(name: str, value: Any, source: str) -> float | int:
    """``value`` as the number parameter ``name`` needs, or a :class:`ConfigError`.

    Args:
        name: A field of :class:`DagParams`.
        value: The value given.
        source: Where it came from (``DagParams`` or the spec string), for the message.
    """
    rule = _RULES[name]
    fix = f"give {name} ({_MEANINGS[name]}) as {rule.describe()}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(source, name, f"is {value!r}, not a number", fix)
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if rule.integer and math.isfinite(number) and not number.is_integer():
        raise ConfigError(source, name, f"is {value!r}, not an integer", fix)
    if not math.isfinite(number) or not rule.allows(value):
        raise ConfigError(source, name, f"is {brief(value)}, out of range", fix)
    return int(value) if rule.integer else float(value)


# --------------------------------------------------------------------------- generation


def random_dag(params: DagParams, pe_types: Sequence[str],
               rng_or_seed: np.random.Generator | int, name: str | None = None) -> JobProfile:
    """A random DAG with ``params.n`` tasks whose costs are keyed by ``pe_types``.

    Args:
        params: Shape and cost parameters.
        pe_types: PE type names; every task gets a cost on each. They are
            declared as the profile's ``pe_types``, so the graph binds to any
            platform with at least one of them.
        rng_or_seed: A numpy generator (advanced by the draws) or a seed.
            The same seed gives the same graph, edges and costs alike.
        name: Profile name; by default the spec string when a seed is given
            (so that the name recreates the graph), else ``random_dag``.

    Raises:
        ConfigError: ``pe_types`` is empty, repeats a name or has an empty name.
    """
    types = check_types(pe_types, _SOURCE)
    if isinstance(rng_or_seed, np.random.Generator):
        rng = rng_or_seed
        default_name = "random_dag"
    else:
        seed = check_seed(rng_or_seed, _SOURCE)
        rng = np.random.default_rng(seed)
        default_name = DagSpec(params, types, seed).spec
    levels = _levels(params.n, params.fat, params.regularity, rng)
    pairs = _edges(levels, params.density, params.jump, rng)
    table = _costs(params.n, len(types), params.cost, params.beta, rng)
    volumes = _volumes(len(pairs), float(table.mean()), params.ccr, params.bandwidth, rng)
    return JobProfile(
        name=name or default_name,
        task_names=tuple(f"t{k + 1}" for k in range(params.n)),
        costs=tuple(dict(zip(types, map(float, row), strict=True)) for row in table),
        edges=tuple((src, dst, float(v)) for (src, dst), v in zip(pairs, volumes, strict=True)),
        description=_description(params, types, len(levels)),
        source=name or default_name,
        pe_types=types,
    )


def _levels(n: int, fat: float, regularity: float, rng: np.random.Generator) -> list[range]:
    """Consecutive task-index ranges, one per level, covering exactly ``n`` tasks."""
    ideal = n ** fat
    spread = 1.0 - regularity
    levels: list[range] = []
    start = 0
    while start < n:
        width = max(1, round(ideal * rng.uniform(1.0 - spread, 1.0 + spread)))
        stop = min(n, start + width)
        levels.append(range(start, stop))
        start = stop
    return levels


def _edges(levels: list[range], density: float, jump: int,
           rng: np.random.Generator) -> list[tuple[int, int]]:
    """Parent -> child pairs, sorted; every task below the first level has a parent."""
    pairs: list[tuple[int, int]] = []
    for depth in range(1, len(levels)):
        above = len(levels[depth - 1])
        for child in levels[depth]:
            wanted = min(above, 1 + int(rng.uniform(0.0, density * above)))
            offsets = rng.integers(1, jump + 1, size=wanted)
            parent_levels, counts = np.unique(np.maximum(0, depth - offsets), return_counts=True)
            for level, count in zip(parent_levels, counts, strict=True):
                candidates = levels[int(level)]
                picked = rng.choice(len(candidates), size=min(int(count), len(candidates)),
                                    replace=False)
                pairs.extend((candidates[int(k)], child) for k in picked)
    return sorted(pairs)


def _costs(n: int, num_types: int, cost: float, beta: float,
           rng: np.random.Generator) -> np.ndarray:
    """``(n, num_types)`` costs: task means ``U[0, 2 cost]``, spread ``+-beta/2`` per type."""
    means = rng.uniform(0.0, 2.0 * cost, size=n)
    factors = rng.uniform(1.0 - beta / 2, 1.0 + beta / 2, size=(n, num_types))
    resolution = 10.0 ** -DECIMALS
    return np.maximum(np.round(means[:, None] * factors, DECIMALS), resolution)


def _volumes(num_edges: int, mean_cost: float, ccr: float, bandwidth: float,
             rng: np.random.Generator) -> np.ndarray:
    """Edge volumes ``U[0, 2]`` scaled so that mean(volume / bandwidth) = ccr x mean_cost."""
    raw = rng.uniform(0.0, 2.0, size=num_edges)
    if num_edges == 0 or raw.sum() == 0:
        return raw
    scale = ccr * mean_cost * bandwidth / raw.mean()
    return np.round(raw * scale, DECIMALS)


def _description(params: DagParams, types: tuple[str, ...], num_levels: int) -> str:
    return (f"Random DAG: {params.n} tasks on {num_levels} levels, DAGGEN-style shape "
            f"(Suter's daggen: fat {params.fat:g}, density {params.density:g}, regularity "
            f"{params.regularity:g}, jump {params.jump}), costs on {', '.join(types)} as in "
            f"Topcuoglu et al. 2002 (mean {params.cost:g} us, heterogeneity beta "
            f"{params.beta:g}), CCR {params.ccr:g} at bandwidth {params.bandwidth:g}. "
            "Made by socsim.dag_generator.")


def communication_to_computation_ratio(profile: JobProfile, bandwidth: float = 1.0) -> float:
    """The CCR of a profile: mean edge communication time / mean task computation time.

    Communication time of an edge is ``volume / bandwidth`` (``bandwidth``
    being the platform's mean bandwidth between distinct PEs); a task's
    computation time is the mean of its costs over the PE types that can run
    it. Both means are plain averages over edges and over tasks.

    Tasks without tabulated costs (op-based tasks, whose costs exist only
    once bound to a platform) are left out of the computation mean.

    Returns:
        The ratio; ``nan`` for a graph without edges or without tabulated costs.
    """
    means = [sum(c.values()) / len(c) for c in profile.costs if c]
    if not profile.edges or not means or sum(means) == 0:
        return math.nan
    comm = sum(v for _, _, v in profile.edges) / len(profile.edges) / bandwidth
    return comm / (sum(means) / len(means))


# --------------------------------------------------------------------------- spec strings


@dataclass(frozen=True)
class DagSpec:
    """Everything that determines one random DAG: parameters, PE types and seed.

    Attributes:
        params: Shape and cost parameters.
        types: PE type names the costs are keyed by.
        seed: Seed of the draws.
    """

    params: DagParams = DagParams()
    types: tuple[str, ...] = DEFAULT_TYPES
    seed: int = 0

    @property
    def spec(self) -> str:
        """The canonical spec string: every parameter, in a fixed order."""
        parts = [f"{item.name}={_number(getattr(self.params, item.name))}"
                 for item in fields(self.params)]
        parts += [f"seed={self.seed}", f"types={TYPE_SEPARATOR.join(self.types)}"]
        return SPEC_SEPARATOR.join([SPEC_PREFIX, *parts])

    def generate(self) -> JobProfile:
        """The graph this spec describes, named by :attr:`spec`."""
        return random_dag(self.params, self.types, self.seed, name=self.spec)


def is_spec(text: object) -> bool:
    """Whether ``text`` is meant as a DAG spec (it may still be malformed)."""
    return isinstance(text, str) and (
        text == SPEC_PREFIX or text.startswith((SPEC_PREFIX + SPEC_SEPARATOR, SPEC_PREFIX + ":")))


def corrected_spec(text: str) -> str | None:
    """``text`` with its prefix respelt, if it is probably a misspelt spec (``dagen/n=5``)."""
    head = text.replace(":", SPEC_SEPARATOR).split(SPEC_SEPARATOR, 1)[0]
    if "=" not in text or head == SPEC_PREFIX or not head:
        return None
    import difflib  # loaded only when a spelling is checked

    if not difflib.get_close_matches(head.lower(), [SPEC_PREFIX], n=1, cutoff=0.6):
        return None
    return SPEC_PREFIX + text[len(head):]


def parse_spec(text: str) -> DagSpec:
    """Read a spec string such as ``daggen/n=50/ccr=2/seed=3/types=P1+P2``.

    Keys may come in any order; each at most once; missing ones take the
    defaults of :class:`DagParams`, ``seed=0`` and ``types=P1+P2+P3``.

    Raises:
        ConfigError: Naming the spec, the parameter and the fix: an unknown
            key (with the closest one), a part without ``=``, a repeated key,
            a value that is not a number or out of range, or the
            ``daggen:a=1,b=2`` form (with its ``/`` spelling).
    """
    if text.startswith(SPEC_PREFIX + ":"):
        body = text[len(SPEC_PREFIX) + 1:].replace(",", SPEC_SEPARATOR)
        raise ConfigError(text, "<spec>", "separates parameters with ':' and ','",
                          f"write '{SPEC_PREFIX}{SPEC_SEPARATOR}{body}' (parameters "
                          f"separated by '{SPEC_SEPARATOR}')")
    if text != SPEC_PREFIX and not text.startswith(SPEC_PREFIX + SPEC_SEPARATOR):
        raise ConfigError(text, "<spec>", f"does not start with '{SPEC_PREFIX}"
                          f"{SPEC_SEPARATOR}'", f"write it like '{EXAMPLE_SPEC}'")
    values = _spec_values(text)
    types = check_types(values.pop("types").split(TYPE_SEPARATOR), text) \
        if "types" in values else DEFAULT_TYPES
    seed = check_seed(_parse_number("seed", values.pop("seed"), text), text) \
        if "seed" in values else 0
    numbers = {key: check_value(key, _parse_number(key, raw, text), text)
               for key, raw in values.items()}
    return DagSpec(DagParams(**numbers), types, seed)


def _spec_values(text: str) -> dict[str, str]:
    """The ``key -> raw value`` pairs of a spec, keys checked."""
    values: dict[str, str] = {}
    for part in text.split(SPEC_SEPARATOR)[1:]:
        key, equals, raw = part.partition("=")
        key = key.strip()
        if not equals or not key:
            raise ConfigError(text, part or "<empty>", "is not a key=value pair",
                              f"write parameters as key=value separated by "
                              f"'{SPEC_SEPARATOR}', e.g. '{EXAMPLE_SPEC}'")
        if key not in _MEANINGS:
            import difflib  # only to word an error

            close = difflib.get_close_matches(key, list(_MEANINGS), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(text, key, "is not a parameter of random DAGs",
                              f"{hint}use {', '.join(_MEANINGS)}")
        if key in values:
            raise ConfigError(text, key, "is given twice", "keep one value")
        values[key] = raw.strip()
    return values


def _parse_number(key: str, raw: str, source: str) -> int | float:
    """``raw`` as an int or float; a message naming ``key`` if it is neither."""
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        rule = _RULES.get(key)
        allowed = rule.describe() if rule else "an integer >= 0"
        raise ConfigError(source, key, f"is {raw!r}, not a number",
                          f"give {key} ({_MEANINGS[key]}) as {allowed}") from None


def check_seed(seed: Any, source: str) -> int:
    """``seed`` as an int >= 0, or a :class:`ConfigError` naming ``source``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        alternative = ", or a numpy Generator" if source == _SOURCE else ""
        raise ConfigError(source, "seed", f"is {seed!r}, not an integer >= 0",
                          f"give seed ({_MEANINGS['seed']}){alternative}")
    return int(seed)


def check_types(pe_types: Sequence[str] | str, source: str) -> tuple[str, ...]:
    """PE type names as a tuple: at least one, non-empty, no repeats."""
    if isinstance(pe_types, str):
        raise ConfigError(source, "types", f"is the string {pe_types!r}",
                          "give a sequence of PE type names, e.g. ['P1', 'P2']")
    types = tuple(str(t).strip() for t in pe_types)
    fix = f"name PE types like 'types=P1{TYPE_SEPARATOR}P2' (those of your platform)"
    if not types:
        raise ConfigError(source, "types", "is empty", fix)
    if any(not t for t in types):
        raise ConfigError(source, "types", f"is {list(types)!r}, with an empty name", fix)
    repeated = sorted({t for t in types if types.count(t) > 1})
    if repeated:
        raise ConfigError(source, "types", f"repeats {repeated}", fix)
    return types


def _number(value: float) -> str:
    """Shortest text of a number that reads back to the same value (``1`` for 1.0)."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))

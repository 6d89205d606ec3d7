"""Fuzz targets over the file loaders: a clear error or a valid load, never another exception.

Each target starts from real documents (the built-in platforms, workloads and
mixes in ``socsim/data``, the instance files in ``tests/data``, small DS3 SoC
and job files), applies random mutations, writes the result to a file and
loads it. Structural mutations work on the parsed document: delete a key,
replace a value by junk (huge, negative, NaN or infinite numbers, strings,
lists, nested mappings, ``None``), duplicate a list entry, add an unknown key.
Text mutations work on the serialised file: truncate it, repeat a line
(duplicate keys), insert bytes, turn a value into a YAML anchor and repeat it
through aliases.

The load must either succeed, giving an object that is safe to use (finite
costs, unique PE names, a short simulation runs), or raise
:class:`socsim.errors.ConfigError` whose message names the file. Anything
else (another exception, a hang caught by the per-example time limit) fails.

Budget: ``SOCSIM_FUZZ_EXAMPLES`` examples per target (default 100, the CI
budget); run ``SOCSIM_FUZZ_EXAMPLES=5000 python -m pytest
tests/test_fuzz_loaders.py`` for a long local run.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from socsim import catalog
from socsim.agents.instance import load_instance
from socsim.ds3 import read_ds3_job, read_ds3_soc
from socsim.errors import ConfigError
from socsim.jobs import Batch, JobSource, Trace
from socsim.platform import MAX_PES, Platform, load_platform
from socsim.registry import make_scheduler
from socsim.simulator import Simulator
from socsim.workload import INELIGIBLE, MAX_TIME, load_profile

EXAMPLES = int(os.environ.get("SOCSIM_FUZZ_EXAMPLES", "100"))
#: Longest one load may take; a slower one counts as a hang.
SECONDS_PER_LOAD = 10.0
DATA = Path(catalog.__file__).parent / "data"
TESTS_DATA = Path(__file__).parent / "data"

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


def builtin_docs(kind: str) -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text(encoding="utf-8"))
            for path in sorted((DATA / kind).glob("*.yaml"))]


PLATFORMS = builtin_docs("platforms")
# Tabulated, op-based and activity-varying workloads, but not all 30 (they are alike).
WORKLOADS = [doc for doc in builtin_docs("workloads")
             if doc["name"] in ("canonical", "wifi_tx", "lag", "top", "peft_example",
                                "sdtv2_15m_t1", "egru_dvs_gesture", "ohq_resnet18_mixed",
                                "mcc_av_twopoint")]
MIXES = builtin_docs("mixes")
INSTANCES = [json.loads(path.read_text(encoding="utf-8"))
             for path in sorted(TESTS_DATA.glob("*.json"))]
TRACES = [[0, 5.5, {"time": 10, "profile": "canonical"}, 20],
          [{"time": 0.0, "profile": "canonical"}, {"time": 3, "profile": None}]]
SOC = """\
add_new_resource resource_type LTL resource_name L resource_ID 0 capacity 2 \
num_supported_functionalities 3 DVFS_mode performance
opp 500 800
opp 1000 1000
power_profile 1000 1.0 1.5
PG_profile 1000 0.8 1.5
f1 10
f2 20
f3 30
add_new_resource ACC_1 X 1 1 1 none
opp 1000 900
power_profile 1000 0.5
f2 4 4
add_new_resource MEM MEMORY 2 1 1 none
None 0
comm_band 0 1 50
"""
JOB = """\
job_name tiny
add_new_tasks 3
f1 0
f1 HEAD
f2 1 0
f3 2 0 1
f3 TAIL
comm_vol 0 1 7
comm_vol 1 2 3
"""

# ---------------------------------------------------------------------- mutations

JUNK_VALUES = st.one_of(
    st.sampled_from([1e308, -1e308, 1.7e308, 1e16, 1e15, 1e-300, -1.0, 0, -0.0, 10**30,
                     10**400, 2**63, math.nan, math.inf, -math.inf, True, False, None, "",
                     " ", "0", "1e308", "nan", "c1.0", "P1", "A7", "x" * 500, [], {}, [[]],
                     {"a": {"b": {"c": [1, 2]}}}, [1, "a", None], "\u00b2", "\u0000"]),
    st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(-3, 3), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(-3, 3), max_size=3),
)
#: Numbers at and past the bounds loaders must enforce.
NUMBERS = st.one_of(
    st.sampled_from([0, -0.0, 1, -1, 1e-300, 1e-10, 1e-9, 1e14, 1e15, 1e15 + 1, 1e16, 1e300,
                     1e308, 1.7976931348623157e308, 10**16, 10**400, 2**63, 4096, 1024, 1025,
                     100_000_000, math.nan, math.inf, -math.inf]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-10, 5000),
)
#: Junk, copied so that a mutation of it never changes the sampled constants.
JUNK = JUNK_VALUES.map(copy.deepcopy)


def locations(doc: Any, limit: int = 4000) -> list[tuple[Any, Any]]:
    """``(container, key)`` of every value in ``doc`` (breadth first, at most ``limit``)."""
    found: list[tuple[Any, Any]] = []
    queue = [doc]
    while queue and len(found) < limit:
        node = queue.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            found.append((node, key))
            if isinstance(value, (dict, list)) and value:
                queue.append(value)
    return found


@st.composite
def mutated_document(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A seed document with one to four structural mutations."""
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        spots = locations(doc)
        if not spots:
            return draw(JUNK)
        action = draw(st.sampled_from(["delete", "junk", "junk", "number", "number",
                                       "number", "name", "duplicate", "unknown", "wrap"]))
        typed = {"number": (int, float), "name": (str,)}.get(action)
        if typed is not None:
            spots = [(c, k) for c, k in spots
                     if isinstance(c[k], typed) and not isinstance(c[k], bool)] or spots
        container, key = draw(st.sampled_from(spots))
        if action == "number":
            container[key] = draw(NUMBERS)
        elif action == "name":
            names = [c[k] for c, k in locations(doc) if isinstance(c[k], str)
                     and len(c[k]) < 40]
            container[key] = draw(st.sampled_from(names)) if names and draw(st.booleans()) \
                else draw(st.sampled_from(["c1.0", "P1.0", "0", "3", "A7.0", "t1", "",
                                           "a b", "x" * 100]))
        elif action == "delete":
            del container[key]
        elif action == "junk":
            container[key] = draw(JUNK)
        elif action == "duplicate" and isinstance(container, list):
            container.insert(key, copy.deepcopy(container[key]))
        elif action == "unknown" and isinstance(container, dict):
            container[draw(st.sampled_from(["extra", "nme", "count", 1, "kind"]))] = draw(JUNK)
        elif action == "wrap":
            container[key] = draw(st.sampled_from([[container[key]],
                                                   {"value": container[key]}]))
    return doc


def serialise(doc: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, default=str)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000)


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with zero to two text mutations."""
    for _ in range(draw(st.integers(0, 2))):
        lines = text.splitlines(keepends=True)
        action = draw(st.sampled_from(["truncate", "repeat", "insert", "alias"]))
        if action == "truncate" and text:
            text = text[:draw(st.integers(0, len(text) - 1))]
        elif action == "repeat" and lines:
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            text = "".join(lines)
        elif action == "insert":
            k = draw(st.integers(0, len(text)))
            junk = draw(st.sampled_from(["&a ", "*a", "*b ", "- ", ": ", "{", "]", "\t",
                                         "!!python/object:os.system ", "\x00", "\ufeff",
                                         "<<: *a\n", "? ", "%YAML 1.1\n---\n", "...\n"]))
            text = text[:k] + junk + text[k:]
        elif action == "alias" and lines:
            text = add_aliases(text, draw)
    return text


def add_aliases(text: str, draw: st.DrawFn) -> str:
    """Anchor one line's value and repeat it through aliases on later lines."""
    lines = text.splitlines(keepends=True)
    values = [k for k, line in enumerate(lines) if ": " in line and not line.rstrip()
              .endswith(":")]
    if len(values) < 2:
        return text
    first = draw(st.sampled_from(values))
    key, _, value = lines[first].partition(": ")
    lines[first] = f"{key}: &v {value}"
    for k in draw(st.lists(st.sampled_from(values), max_size=3)):
        if k > first:
            other, _, _ = lines[k].partition(": ")
            lines[k] = f"{other}: *v\n"
    return "".join(lines)


# ----------------------------------------------------------------------- checking


_FOLDER = Path(tempfile.mkdtemp(prefix="socsim-fuzz-"))
_COUNTER = itertools.count()


def write_case(text: str, suffix: str) -> Path:
    """A fresh file holding ``text`` (lone surrogates are written as their UTF-8 bytes)."""
    path = _FOLDER / f"case{next(_COUNTER)}{suffix}"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    return path


def clear_error_or(load: Callable[[Path], Any], path: Path,
                   check: Callable[[Any], None] | None = None) -> str:
    """Load ``path``: a ConfigError naming it, or a valid result passing ``check``."""
    start = time.perf_counter()
    try:
        result = load(path)
        if check is not None:
            check(result)
        outcome = "loaded"
    except ConfigError as exc:
        message = str(exc)
        assert str(path) in message or exc.source == str(path), message
        assert exc.field and exc.problem and exc.fix, message
        assert "\n" not in message or "\n" in str(path), message
        outcome = f"error: {exc.field.split('[')[0].split('.')[0]}"
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS_PER_LOAD, f"{path} took {elapsed:.1f} s"
    path.unlink()
    event(outcome)
    return outcome


def finite(value: float) -> bool:
    return math.isfinite(value)


def check_platform(platform: Platform) -> None:
    assert 1 <= platform.num_pes <= MAX_PES
    assert len(set(platform.pe_names)) == platform.num_pes
    assert not any(name.isdigit() for name in platform.pe_names)
    for pe_type in platform.types:
        for opp in pe_type.opps:
            assert all(finite(v) for v in (opp.mhz, opp.mv, opp.active_w, opp.idle_w))
            assert 0 <= opp.idle_w <= opp.active_w and opp.mhz > 0
        assert all(finite(pe_type.slowdown(k)) for k in range(len(pe_type.opps)))
    for row in platform.links:
        assert all(finite(link.bandwidth) and link.bandwidth > 0 and finite(link.latency)
                   for link in row)


def run_briefly(bound: Any) -> None:
    """Two jobs of ``bound`` under MET; every reported time and energy is finite."""
    source = JobSource([bound], arrivals=Batch(), max_jobs=2)
    result = Simulator(bound.platform, source, seed=0).run(make_scheduler("met"))
    for name, value in result.metrics.items():
        assert not (isinstance(value, float) and math.isinf(value)), (name, value)


def check_bound(bound: Any) -> None:
    for row in bound.cost:
        assert all(v == INELIGIBLE or (finite(v) and 0 <= v <= MAX_TIME) for v in row)
    for variant in bound.variants:
        for row in variant.cost:
            assert all(v == INELIGIBLE or (finite(v) and 0 <= v <= MAX_TIME) for v in row)
    assert all(bound.eligible_pes)
    run_briefly(bound)


def platform_for(profile: Any) -> Platform:
    """A built-in platform with the profile's PE types (so that binding is meaningful)."""
    wanted = set(profile.pe_types or ()) | {t for cost in profile.costs for t in cost}
    best = None
    for name in catalog.platform_names():
        platform = catalog.get_platform(name)
        if wanted and wanted <= set(platform.type_names):
            return platform
        if profile.ops is not None and any(t.cost_model for t in platform.types):
            best = best or platform
    return best or catalog.get_platform("canonical3")


def load_and_bind(path: Path) -> Any:
    profile = load_profile(path)
    return profile.bind(platform_for(profile))


# ------------------------------------------------------------------------ targets


@FUZZ
@given(doc=mutated_document(PLATFORMS), fmt=st.sampled_from(["yaml", "json"]), data=st.data())
def test_fuzz_platform_loader(doc: Any, fmt: str, data: st.DataObject) -> None:
    text = serialise(doc, fmt)
    if fmt == "yaml":
        text = data.draw(mutated_text(text))
    path = write_case(text, f".{fmt}")
    clear_error_or(load_platform, path, check_platform)


@FUZZ
@given(doc=mutated_document(WORKLOADS), fmt=st.sampled_from(["yaml", "json"]), data=st.data())
def test_fuzz_workload_loader(doc: Any, fmt: str, data: st.DataObject) -> None:
    text = serialise(doc, fmt)
    if fmt == "yaml":
        text = data.draw(mutated_text(text))
    path = write_case(text, f".{fmt}")
    clear_error_or(load_and_bind, path, check_bound)


@FUZZ
@given(doc=mutated_document(INSTANCES), fmt=st.sampled_from(["json", "yaml"]), data=st.data())
def test_fuzz_instance_loader(doc: Any, fmt: str, data: st.DataObject) -> None:
    text = serialise(doc, fmt)
    if fmt == "yaml":
        text = data.draw(mutated_text(text))
    path = write_case(text, f".{fmt}")
    clear_error_or(load_instance, path, lambda instance: check_bound(instance.bound))


@FUZZ
@given(doc=mutated_document(MIXES), data=st.data())
def test_fuzz_mix_loader(doc: Any, data: st.DataObject) -> None:
    path = write_case(data.draw(mutated_text(serialise(doc, "yaml"))), ".yaml")

    def check(mix: catalog.Mix) -> None:
        assert mix.weights and all(finite(w) and w > 0 for w in mix.weights.values())
        assert all(finite(p) for p in mix.probabilities().values())

    clear_error_or(catalog.get_mix, path, check)


@FUZZ
@given(doc=mutated_document(TRACES), fmt=st.sampled_from(["json", "csv"]))
def test_fuzz_trace_loader(doc: Any, fmt: str) -> None:
    if fmt == "csv":
        rows = doc if isinstance(doc, list) else [doc]
        lines = ["time,profile"]
        for row in rows:
            if isinstance(row, dict):
                lines.append(f"{row.get('time', '')},{row.get('profile', '') or ''}")
            else:
                lines.append(str(row))
        text = "\n".join(lines) + "\n"
    else:
        text = json.dumps(doc, default=str)
    path = write_case(text, f".{fmt}")

    def check(trace: Trace) -> None:
        times = [t for t, _ in trace.entries]
        assert all(finite(t) and 0 <= t <= MAX_TIME for t in times)
        assert times == sorted(times)

    clear_error_or(Trace.from_file, path, check)


def mutate_lines(draw: Callable[..., Any], text: str) -> str:
    """DS3 text with tokens replaced, lines dropped, repeated or cut."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        k = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["token", "token", "drop", "repeat", "cut"]))
        if action == "token":
            tokens = lines[k].split() or [""]
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[j] = draw(st.sampled_from(["1e308", "-1", "0", "nan", "inf", "1e-300",
                                              "9" * 400, "x", "", "#", "MEM", "0.5",
                                              "100000000", "A7"]))
            lines[k] = " ".join(tokens)
        elif action == "drop":
            del lines[k]
        elif action == "repeat":
            lines.insert(k, lines[k])
        else:
            lines[k] = lines[k][:draw(st.integers(0, len(lines[k])))]
    return "\n".join(lines) + "\n"


@FUZZ
@given(data=st.data(), which=st.sampled_from(["soc", "job"]))
def test_fuzz_ds3_loaders(data: st.DataObject, which: str) -> None:
    soc_text = mutate_lines(data.draw, SOC) if which == "soc" else SOC
    job_text = mutate_lines(data.draw, JOB) if which == "job" else JOB
    soc_path = write_case(soc_text, ".txt")
    job_path = write_case(job_text, ".txt")
    if which == "soc":
        clear_error_or(read_ds3_soc, soc_path, lambda soc: check_platform(soc.platform))
        return
    soc = read_ds3_soc(soc_path)
    clear_error_or(lambda path: read_ds3_job(path, soc).bind(soc.platform), job_path,
                   check_bound)


@pytest.mark.parametrize("kind", ["platforms", "workloads", "mixes"])
def test_seed_documents_load(kind: str) -> None:
    """The seeds themselves load (else the fuzz targets would only test errors)."""
    loader = {"platforms": load_platform, "workloads": load_profile,
              "mixes": catalog.get_mix}[kind]
    for path in sorted((DATA / kind).glob("*.yaml")):
        loader(path)
    for path in sorted(TESTS_DATA.glob("*.json")):
        load_instance(path)
